/*
 * oscore_echo.c — RFC 9175 Echo values as integrity-protected timestamps
 * (App. A, method 2) and the RFC 8613 Appendix B.2 helpers: the new ID
 * Context, the CBOR bstr wrapping of the kid context on the wire, and the
 * stateless R2 of B.2.1. Both MACs are truncated HMAC-SHA-256 with a
 * label so that an Echo value can never pass as an R2 or the reverse.
 */
#include "bsd/oscore/oscore.h"
#include "bsd/oscore/oscore_int.h"

#include <string.h>

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/hmac.h>

#define MAC_LEN 8 /* truncated HMAC bytes in Echo and R2 */
#define S2_LEN  8

int oscore_ct_equal(const uint8_t *a, const uint8_t *b, size_t n)
{
    uint8_t d = 0;
    for (size_t i = 0; i < n; i++)
        d |= (uint8_t)(a[i] ^ b[i]);
    return d == 0;
}

int oscore_hmac_trunc(const uint8_t key[OSCORE_HMAC_KEY_LEN], const char *label, const uint8_t *a,
                      size_t a_len, const uint8_t *b, size_t b_len, uint8_t *out, size_t out_len)
{
    Hmac h;
    uint8_t mac[WC_SHA256_DIGEST_SIZE];
    int rc = wc_HmacInit(&h, NULL, INVALID_DEVID);
    if (rc == 0) {
        rc = wc_HmacSetKey(&h, WC_SHA256, key, OSCORE_HMAC_KEY_LEN);
        /* The label is NUL-terminated so "ab" || x and "a" || "b"x differ. */
        if (rc == 0) rc = wc_HmacUpdate(&h, (const byte *)label, (word32)strlen(label) + 1);
        if (rc == 0 && a_len) rc = wc_HmacUpdate(&h, a, (word32)a_len);
        if (rc == 0 && b_len) rc = wc_HmacUpdate(&h, b, (word32)b_len);
        if (rc == 0) rc = wc_HmacFinal(&h, mac);
        wc_HmacFree(&h);
    }
    if (rc == 0) memcpy(out, mac, out_len);
    explicit_bzero(&h, sizeof(h));
    explicit_bzero(mac, sizeof(mac));
    return rc == 0 ? 0 : OSCORE_ERR_CRYPTO;
}

/* ---- Echo (RFC 9175) -------------------------------------------------- */

int oscore_echo_make(const uint8_t key[OSCORE_HMAC_KEY_LEN], uint32_t now, const uint8_t *bind,
                     size_t bind_len, uint8_t out[OSCORE_ECHO_LEN])
{
    if (key == NULL || out == NULL || (bind == NULL && bind_len)) return OSCORE_ERR_INVAL;
    out[0] = (uint8_t)(now >> 24);
    out[1] = (uint8_t)(now >> 16);
    out[2] = (uint8_t)(now >> 8);
    out[3] = (uint8_t)now;
    int rc = oscore_hmac_trunc(key, "echo", out, 4, bind, bind_len, out + 4, MAC_LEN);
    return rc == 0 ? OSCORE_ECHO_LEN : rc;
}

int oscore_echo_verify(const uint8_t key[OSCORE_HMAC_KEY_LEN], uint32_t now, uint32_t max_age,
                       const uint8_t *bind, size_t bind_len, const uint8_t *val, size_t len)
{
    if (key == NULL || (bind == NULL && bind_len) || (val == NULL && len)) return OSCORE_ERR_INVAL;
    if (len != OSCORE_ECHO_LEN) return OSCORE_ERR_ECHO_INVALID;
    uint8_t mac[MAC_LEN];
    int rc = oscore_hmac_trunc(key, "echo", val, 4, bind, bind_len, mac, MAC_LEN);
    if (rc != 0) return rc;
    if (!oscore_ct_equal(mac, val + 4, MAC_LEN)) return OSCORE_ERR_ECHO_INVALID;
    uint32_t t = (uint32_t)val[0] << 24 | (uint32_t)val[1] << 16 | (uint32_t)val[2] << 8 | val[3];
    /* Modular age: a value "from the future" has a huge age. */
    if ((uint32_t)(now - t) > max_age) return OSCORE_ERR_ECHO_EXPIRED;
    return 0;
}

/* ---- Appendix B.2 ----------------------------------------------------- */

int oscore_b2_id_ctx(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len, uint8_t *out, size_t cap)
{
    if ((a == NULL && a_len) || (b == NULL && b_len) || a_len > OSCORE_MAX_ID_CTX_LEN ||
        b_len > OSCORE_MAX_ID_CTX_LEN - a_len)
        return OSCORE_ERR_INVAL;
    if (out == NULL || cap < a_len + b_len) return OSCORE_ERR_NOSPACE;
    /* |a| or |b| may overlap |out| (ID1 is often replaced by R2 || ID1). */
    uint8_t tmp[OSCORE_MAX_ID_CTX_LEN];
    if (a_len) memcpy(tmp, a, a_len);
    if (b_len) memcpy(tmp + a_len, b, b_len);
    if (a_len + b_len) memcpy(out, tmp, a_len + b_len);
    return (int)(a_len + b_len);
}

int oscore_b2_wrap(const uint8_t *id, size_t len, uint8_t *out, size_t cap)
{
    if ((id == NULL && len) || len > UINT8_MAX) return OSCORE_ERR_INVAL;
    size_t head = len < 24 ? 1 : 2;
    if (out == NULL || cap < head + len) return OSCORE_ERR_NOSPACE;
    if (len) memmove(out + head, id, len);
    oscore_cbor_bstr_head(out, len);
    return (int)(head + len);
}

int oscore_b2_unwrap(const uint8_t *wire, size_t len, const uint8_t **id, size_t *id_len)
{
    if (wire == NULL || len == 0 || id == NULL || id_len == NULL) return OSCORE_ERR_B2_KID_CTX;
    size_t n, head;
    if (wire[0] >= 0x40 && wire[0] <= 0x57) {
        head = 1;
        n = wire[0] & 0x1f;
    } else if (wire[0] == 0x58 && len >= 2 && wire[1] >= 24) {
        head = 2;
        n = wire[1];
    } else {
        return OSCORE_ERR_B2_KID_CTX;
    }
    if (len - head != n) return OSCORE_ERR_B2_KID_CTX;
    *id = n ? wire + head : NULL;
    *id_len = n;
    return 0;
}

int oscore_b2_r2_make(const uint8_t key[OSCORE_HMAC_KEY_LEN], const uint8_t s2[8],
                      uint8_t r2[OSCORE_B2_R2_LEN])
{
    if (key == NULL || s2 == NULL || r2 == NULL) return OSCORE_ERR_INVAL;
    memmove(r2, s2, S2_LEN);
    return oscore_hmac_trunc(key, "r2", r2, S2_LEN, NULL, 0, r2 + S2_LEN, MAC_LEN);
}

int oscore_b2_r2_check(const uint8_t key[OSCORE_HMAC_KEY_LEN], const uint8_t *r2, size_t len)
{
    if (key == NULL || r2 == NULL || len != OSCORE_B2_R2_LEN) return OSCORE_ERR_B2_KID_CTX;
    uint8_t mac[MAC_LEN];
    int rc = oscore_hmac_trunc(key, "r2", r2, S2_LEN, NULL, 0, mac, MAC_LEN);
    if (rc != 0) return rc;
    return oscore_ct_equal(mac, r2 + S2_LEN, MAC_LEN) ? 0 : OSCORE_ERR_B2_KID_CTX;
}
