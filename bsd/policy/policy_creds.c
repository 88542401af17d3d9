/*
 * policy_creds.c — per-device credentials derived, not stored.
 *
 * Every generated secret is HKDF-SHA-256 (RFC 5869, wolfCrypt wc_HKDF) of
 * the caller's 32-byte derivation key, with an info string binding the
 * purpose, the endpoint name, the SSID and the policy's rotation counter.
 * The same device under the same policy thus gets the same credentials on
 * every bootstrap (no storage on the packet path), two devices or two
 * accounts never share one, and DTLS and OSCORE secrets differ by purpose
 * (LwM2M Transport §5.2.1, §5.5.3). Raising `rotation:` changes them.
 *
 * P-256 key pairs: the private scalar is an HKDF output retried with a
 * counter byte until 1 <= d < n (FIPS 186-4 B.4.2 "testing candidates");
 * wolfCrypt computes the public point. Encodings per LwM2M Transport
 * §5.2.8: SubjectPublicKeyInfo DER (RFC 5480) for /0/x/3 and RFC 5958
 * OneAsymmetricKey v1 carrying an RFC 5915 ECPrivateKey for /0/x/5.
 */
#include <string.h>

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/hmac.h>

#include "bsd/policy/policy_int.h"

#define SALT         "lwm2m-bsd policy credentials v1"
#define ENDPOINT_MAX 1024 /* bytes of endpoint bound into the info */

void pol_wipe(void *p, size_t n)
{
    volatile uint8_t *v = p;
    while (n--)
        *v++ = 0;
}

int pol_derive(const uint8_t key[POLICY_KEY_LEN], const char *purpose, const char *endpoint, uint16_t ssid,
               uint32_t rotation, uint8_t counter, uint8_t *out, size_t outlen)
{
    uint8_t info[1 + 64 + 2 + ENDPOINT_MAX + 2 + 4 + 1];
    size_t pl = strlen(purpose), el = strlen(endpoint), n = 0;
    if (pl > 64 || el > ENDPOINT_MAX || outlen == 0 || outlen > 255 * 32) return POLICY_ERR_ARG;
    /* Length-prefixed fields: no two inputs share an info string. */
    info[n++] = (uint8_t)pl;
    memcpy(info + n, purpose, pl);
    n += pl;
    info[n++] = (uint8_t)(el >> 8);
    info[n++] = (uint8_t)el;
    memcpy(info + n, endpoint, el);
    n += el;
    info[n++] = (uint8_t)(ssid >> 8);
    info[n++] = (uint8_t)ssid;
    info[n++] = (uint8_t)(rotation >> 24);
    info[n++] = (uint8_t)(rotation >> 16);
    info[n++] = (uint8_t)(rotation >> 8);
    info[n++] = (uint8_t)rotation;
    info[n++] = counter;
    int r = wc_HKDF(WC_SHA256, key, POLICY_KEY_LEN, (const byte *)SALT, (word32)(sizeof SALT - 1), info,
                    (word32)n, out, (word32)outlen);
    return r == 0 ? 0 : POLICY_ERR_CRYPTO;
}

/* The order n of the P-256 group (SEC 2 §2.4.2). */
static const uint8_t p256_n[32] = {0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff,
                                   0xff, 0xff, 0xff, 0xff, 0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17,
                                   0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51};

static int scalar_ok(const uint8_t d[32])
{
    int zero = 1;
    for (int i = 0; i < 32; i++)
        if (d[i]) zero = 0;
    if (zero) return 0;
    return memcmp(d, p256_n, 32) < 0;
}

/* SubjectPublicKeyInfo for id-ecPublicKey / prime256v1 (RFC 5480 §2),
 * followed by the 65-byte uncompressed point. */
static const uint8_t spki_prefix[26] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48,
                                        0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
                                        0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00};

/* OneAsymmetricKey v1 (RFC 5958 §2): version 0, the same algorithm, and an
 * OCTET STRING holding ECPrivateKey (RFC 5915 §3) { version 1, the 32-byte
 * scalar, [1] the public point }; the curve is named once, outside. */
static const uint8_t pkcs8_prefix[] = {0x30, 0x81, 0x87, 0x02, 0x01, 0x00, 0x30, 0x13, 0x06,
                                       0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06,
                                       0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07,
                                       0x04, 0x6d, 0x30, 0x6b, 0x02, 0x01, 0x01, 0x04, 0x20};
static const uint8_t pkcs8_mid[] = {0xa1, 0x44, 0x03, 0x42, 0x00};

int pol_derive_p256(const uint8_t key[POLICY_KEY_LEN], const char *purpose, const char *endpoint,
                    uint16_t ssid, uint32_t rotation, uint8_t spki[POL_SPKI_P256_LEN],
                    uint8_t pkcs8[POL_PKCS8_P256_LEN])
{
    uint8_t d[32];
    int r = POLICY_ERR_CRYPTO;
    unsigned ctr;
    for (ctr = 0; ctr < 256; ctr++) {
        if ((r = pol_derive(key, purpose, endpoint, ssid, rotation, (uint8_t)ctr, d, sizeof d)) != 0)
            return r;
        if (scalar_ok(d)) break;
    }
    if (ctr == 256) return POLICY_ERR_CRYPTO; /* probability about 2^-8192 */
    ecc_key k;
    uint8_t pub[65];
    word32 publen = sizeof pub;
    r = POLICY_ERR_CRYPTO;
    if (wc_ecc_init(&k) != 0) goto out;
    if (wc_ecc_import_private_key_ex(d, sizeof d, NULL, 0, &k, ECC_SECP256R1) == 0 &&
        wc_ecc_make_pub(&k, NULL) == 0 && wc_ecc_export_x963(&k, pub, &publen) == 0 && publen == 65) {
        memcpy(spki, spki_prefix, sizeof spki_prefix);
        memcpy(spki + sizeof spki_prefix, pub, 65);
        size_t n = 0;
        memcpy(pkcs8 + n, pkcs8_prefix, sizeof pkcs8_prefix);
        n += sizeof pkcs8_prefix;
        memcpy(pkcs8 + n, d, 32);
        n += 32;
        memcpy(pkcs8 + n, pkcs8_mid, sizeof pkcs8_mid);
        n += sizeof pkcs8_mid;
        memcpy(pkcs8 + n, pub, 65);
        r = 0;
    }
    wc_ecc_free(&k);
out:
    pol_wipe(d, sizeof d);
    return r;
}
