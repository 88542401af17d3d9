/*
 * est_csr.h — PKCS#10 certification requests (RFC 2986) as EST-coaps
 * carries them (Content-Format 286, DER): parse, bound, verify.
 *
 * est_csr_parse() takes the request apart without copying (the pointers
 * point into the input, which must outlive the result) and refuses anything
 * malformed; est_csr_verify() checks the self-signature with the key the
 * request carries. Keys: EC on P-256, P-384 or P-521 (other key types parse,
 * with curve EST_CURVE_NONE, so the caller can refuse them as weak with
 * 4.03 rather than as garbage with 4.00). Signatures: ECDSA with SHA-256,
 * SHA-384 or SHA-512.
 */
#ifndef BSD_EST_EST_CSR_H
#define BSD_EST_EST_CSR_H

#include <stddef.h>
#include <stdint.h>

#define EST_CSR_MAX       4096 /* largest request accepted, bytes */
#define EST_CSR_MAX_SAN   8    /* subjectAltName entries kept */
#define EST_NAME_STR_MAX  512  /* a Name as text, est_name_str() */

enum est_curve { EST_CURVE_NONE = 0, EST_CURVE_P256 = 256, EST_CURVE_P384 = 384, EST_CURVE_P521 = 521 };
enum est_sig { EST_SIG_NONE = 0, EST_SIG_ECDSA_SHA256, EST_SIG_ECDSA_SHA384, EST_SIG_ECDSA_SHA512 };
enum est_san_type { EST_SAN_DNS = 2, EST_SAN_URI = 6, EST_SAN_EMAIL = 1, EST_SAN_IP = 7, EST_SAN_OTHER = 0 };

/* Errors. */
#define EST_CSR_ERR_MALFORMED (-1) /* not a PKCS#10 request we can read: 4.00 */
#define EST_CSR_ERR_SIGNATURE (-2) /* the self-signature does not verify: 4.00 */
#define EST_CSR_ERR_UNSUPPORTED (-3) /* well-formed, but a key or algorithm we do not take: 4.03 */

typedef struct est_san {
    enum est_san_type type;
    const uint8_t *val; /* the name's octets (IA5String contents; 4/16 bytes for IP) */
    size_t len;
} est_san_t;

typedef struct est_csr {
    const uint8_t *info;    /* certificationRequestInfo, whole TLV: the signed bytes */
    size_t info_len;
    const uint8_t *subject; /* subject Name, whole TLV */
    size_t subject_len;
    const uint8_t *spki;    /* SubjectPublicKeyInfo, whole TLV */
    size_t spki_len;
    const uint8_t *pub;     /* the public key point (BIT STRING contents after the unused-bits octet) */
    size_t pub_len;
    enum est_curve curve;   /* EST_CURVE_NONE: not an EC key on a curve we know */
    enum est_sig sig_alg;   /* EST_SIG_NONE: an algorithm we do not know */
    const uint8_t *sig;     /* ECDSA-Sig-Value DER (BIT STRING contents) */
    size_t sig_len;
    est_san_t san[EST_CSR_MAX_SAN]; /* from the extensionRequest attribute */
    size_t nsan;
    int san_overflow;               /* more SAN entries than EST_CSR_MAX_SAN */
    const uint8_t *challenge;       /* challengePassword value, or NULL */
    size_t challenge_len;
    int other_extensions;           /* extensionRequest carried extensions besides SAN */
} est_csr_t;

/*
 * Parses |der| (|len| bytes, at most EST_CSR_MAX) into |*c|. Returns 0 or
 * EST_CSR_ERR_MALFORMED with a one-line reason in |err| (|errcap| bytes; it
 * never quotes input bytes).
 */
int est_csr_parse(est_csr_t *c, const uint8_t *der, size_t len, char *err, size_t errcap);

/*
 * Verifies the self-signature of a parsed request. Returns 0,
 * EST_CSR_ERR_UNSUPPORTED (curve or algorithm we do not take) or
 * EST_CSR_ERR_SIGNATURE.
 */
int est_csr_verify(const est_csr_t *c);

/*
 * Writes the Name |name| (whole TLV, |len| bytes) as text into |out|: RDNs
 * in encoding order joined by ",", each "TYPE=value" with the RFC 4514 short
 * names CN, O, OU, C, L, ST, SERIALNUMBER, DC, UID, emailAddress, else the
 * dotted OID; ",+\"\\<>;=" in values escaped with a backslash, control and
 * non-ASCII bytes as \XX. Several attributes in one RDN are joined by "+".
 * The empty Name gives "". Returns the length, or -1 when malformed or it
 * does not fit.
 */
int est_name_str(const uint8_t *name, size_t len, char *out, size_t cap);

/*
 * Encodes the text form above (only CN, O, OU, C, L, ST, SERIALNUMBER; one
 * attribute per RDN; UTF8String, PrintableString for C and SERIALNUMBER)
 * back into a Name. Returns the length, or -1 when |str| is not of that form
 * or it does not fit. est_name_str(est_name_der(s)) == s for such strings.
 */
int est_name_der(const char *str, uint8_t *out, size_t cap);

/* The hash of |c|'s SubjectPublicKeyInfo (SHA-256), for comparing keys. */
int est_csr_spki_sha256(const est_csr_t *c, uint8_t out[32]);

#endif
