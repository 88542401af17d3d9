/*
 * spki.h — SubjectPublicKeyInfo (RFC 5280, 4.1.2.7) from the files operators
 * hand us: a strict PEM "PUBLIC KEY" block (RFC 7468) or raw DER.
 *
 * Used by the devices file for rpk devices (spki= and spki_file=).  Only the
 * DER shape is checked here; the DTLS layer compares the bytes a client
 * presents with the stored ones and wolfSSL parses the key itself.  Nothing
 * here is secret: these are public keys.
 */
#ifndef BSD_UTIL_SPKI_H
#define BSD_UTIL_SPKI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest SubjectPublicKeyInfo accepted, in DER bytes (fits RSA-4096). */
#define SPKI_MAX 512

/*
 * spki_der_ok tells whether |len| bytes at |der| are exactly one DER
 * SEQUENCE { SEQUENCE { OBJECT IDENTIFIER, ... }, BIT STRING } with definite,
 * minimally encoded lengths, nothing after it, and a BIT STRING that has no
 * unused bits.
 */
bool spki_der_ok(const uint8_t *der, size_t len);

/*
 * spki_decode extracts the SubjectPublicKeyInfo from the content of a key
 * file, |len| bytes at |buf|, into |out| (SPKI_MAX bytes), length in
 * |*outlen|.  If the content starts (after blanks and line ends) with
 * "-----BEGIN ", it must be exactly one "PUBLIC KEY" PEM block: blank lines
 * around it are allowed, no headers, no blank line inside, no other text,
 * strict base64.  Otherwise the whole content must be the DER.  Either way
 * the result must pass spki_der_ok().
 *
 * Returns 0, or -EINVAL with a short reason in |why| (|whycap| bytes, e.g.
 * "line 3: blank line inside the PEM block").
 */
int spki_decode(const char *buf, size_t len, uint8_t out[SPKI_MAX], size_t *outlen, char *why, size_t whycap);

#endif /* BSD_UTIL_SPKI_H */
