/*
 * oscore_opt.c — the OSCORE option value codec (RFC 8613 §6.1), the
 * inner/outer option classes (§4.1, RFC 9175), error strings and the
 * mapping of verification errors to CoAP answers (§8).
 */
#include "bsd/oscore/oscore.h"

#include <string.h>

#define FLAG_N_MASK   0x07 /* Partial IV length */
#define FLAG_K        0x08 /* kid present */
#define FLAG_H        0x10 /* kid context present */
#define FLAG_RESERVED 0xe0

int oscore_option_decode(const uint8_t *val, size_t len, oscore_option_t *o)
{
    if (o == NULL || (val == NULL && len)) return OSCORE_ERR_INVAL;
    memset(o, 0, sizeof(*o));
    if (len > OSCORE_MAX_OPT_LEN) return OSCORE_ERR_OPT_TOO_LONG;
    if (len == 0) return 0;

    uint8_t f = val[0];
    if (f & FLAG_RESERVED) return OSCORE_ERR_RESERVED;
    /* All flags zero: the value must be empty (§6.1). */
    if (f == 0) return OSCORE_ERR_ZERO_FLAGS;
    size_t n = f & FLAG_N_MASK;
    if (n > OSCORE_MAX_PIV_LEN) return OSCORE_ERR_PIV_LEN;
    size_t pos = 1;
    if (len - pos < n) return OSCORE_ERR_TRUNCATED;
    if (n) {
        /* Leading zeros are stripped when encoding (§6.1); two spellings of
         * one sequence number would give one nonce but two AADs. */
        if (n > 1 && val[pos] == 0) return OSCORE_ERR_PIV_NONMINIMAL;
        o->piv = val + pos;
        o->piv_len = (uint8_t)n;
        pos += n;
    }
    if (f & FLAG_H) {
        if (pos >= len) return OSCORE_ERR_TRUNCATED;
        size_t s = val[pos++];
        if (len - pos < s) return OSCORE_ERR_TRUNCATED;
        o->has_kid_ctx = true;
        o->kid_ctx = s ? val + pos : NULL;
        o->kid_ctx_len = (uint8_t)s;
        pos += s;
    }
    if (f & FLAG_K) {
        /* The kid is the rest of the value; it may be empty (C.4). */
        o->has_kid = true;
        o->kid = pos < len ? val + pos : NULL;
        o->kid_len = (uint8_t)(len - pos);
    } else if (pos != len) {
        return OSCORE_ERR_TRAILING;
    }
    return 0;
}

int oscore_option_encode(const oscore_option_t *o, uint8_t *out, size_t cap)
{
    if (o == NULL || o->piv_len > OSCORE_MAX_PIV_LEN || (o->piv == NULL && o->piv_len) ||
        (o->has_kid_ctx && o->kid_ctx == NULL && o->kid_ctx_len) ||
        (o->has_kid && o->kid == NULL && o->kid_len))
        return OSCORE_ERR_INVAL;
    if (o->piv_len > 1 && o->piv[0] == 0) return OSCORE_ERR_INVAL;
    if (o->piv_len == 0 && !o->has_kid_ctx && !o->has_kid) return 0;

    size_t total = 1 + (size_t)o->piv_len + (o->has_kid_ctx ? 1 + (size_t)o->kid_ctx_len : 0) +
                   (o->has_kid ? o->kid_len : 0);
    if (total > OSCORE_MAX_OPT_LEN) return OSCORE_ERR_INVAL;
    if (out == NULL || cap < total) return OSCORE_ERR_NOSPACE;

    size_t pos = 0;
    out[pos++] = (uint8_t)(o->piv_len | (o->has_kid ? FLAG_K : 0) | (o->has_kid_ctx ? FLAG_H : 0));
    if (o->piv_len) memcpy(out + pos, o->piv, o->piv_len);
    pos += o->piv_len;
    if (o->has_kid_ctx) {
        out[pos++] = o->kid_ctx_len;
        if (o->kid_ctx_len) memcpy(out + pos, o->kid_ctx, o->kid_ctx_len);
        pos += o->kid_ctx_len;
    }
    if (o->has_kid && o->kid_len) {
        memcpy(out + pos, o->kid, o->kid_len);
        pos += o->kid_len;
    }
    return (int)pos;
}

int oscore_option_class(uint16_t num)
{
    switch (num) {
    case COAP_OPT_URI_HOST:
    case COAP_OPT_URI_PORT:
    case COAP_OPT_OSCORE:
    case COAP_OPT_PROXY_URI:
    case COAP_OPT_PROXY_SCHEME: return OSCORE_CLASS_U;
    case COAP_OPT_OBSERVE: return OSCORE_CLASS_EU;
    default: return OSCORE_CLASS_E;
    }
}

const char *oscore_strerror(int err)
{
    switch (err) {
    case OSCORE_OK: return "ok";
    case OSCORE_ERR_INVAL: return "invalid argument";
    case OSCORE_ERR_NOSPACE: return "buffer too small";
    case OSCORE_ERR_CRYPTO: return "crypto library failure";
    case OSCORE_ERR_RESERVED: return "oscore option: reserved flag set";
    case OSCORE_ERR_PIV_LEN: return "oscore option: reserved partial iv length";
    case OSCORE_ERR_TRUNCATED: return "oscore option: truncated";
    case OSCORE_ERR_ZERO_FLAGS: return "oscore option: zero flags with a value";
    case OSCORE_ERR_TRAILING: return "oscore option: trailing bytes";
    case OSCORE_ERR_PIV_NONMINIMAL: return "oscore option: partial iv has leading zeros";
    case OSCORE_ERR_OPT_TOO_LONG: return "oscore option: too long";
    case OSCORE_ERR_NO_OPTION: return "no oscore option";
    case OSCORE_ERR_NO_PAYLOAD: return "no or short ciphertext";
    case OSCORE_ERR_NO_PIV: return "request without partial iv";
    case OSCORE_ERR_NO_KID: return "request without kid";
    case OSCORE_ERR_UNKNOWN_KID: return "security context not found";
    case OSCORE_ERR_REPLAY: return "replay detected";
    case OSCORE_ERR_DECRYPT: return "decryption failed";
    case OSCORE_ERR_INNER_FORMAT: return "inner message malformed";
    case OSCORE_ERR_INNER_BAD_OPTION: return "inner message has a bad critical option";
    case OSCORE_ERR_SEQ_EXHAUSTED: return "sequence numbers not reserved";
    case OSCORE_ERR_SEQ_WRAPPED: return "sequence number space used up";
    case OSCORE_ERR_ECHO_INVALID: return "echo value invalid";
    case OSCORE_ERR_ECHO_EXPIRED: return "echo value expired";
    case OSCORE_ERR_B2_KID_CTX: return "kid context is not a cbor byte string";
    default: return "unknown error";
    }
}

uint8_t oscore_err_response(int err, const char **diag)
{
    const char *d = NULL;
    uint8_t code;
    switch (err) {
    case OSCORE_ERR_RESERVED:
    case OSCORE_ERR_PIV_LEN:
    case OSCORE_ERR_TRUNCATED:
    case OSCORE_ERR_ZERO_FLAGS:
    case OSCORE_ERR_TRAILING:
    case OSCORE_ERR_PIV_NONMINIMAL:
    case OSCORE_ERR_OPT_TOO_LONG:
    case OSCORE_ERR_NO_OPTION:
    case OSCORE_ERR_NO_PAYLOAD:
    case OSCORE_ERR_NO_PIV:
    case OSCORE_ERR_NO_KID:
        code = COAP_BAD_OPTION; /* §8.2 step 2 */
        d = "Failed to decode COSE";
        break;
    case OSCORE_ERR_UNKNOWN_KID:
        code = COAP_UNAUTHORIZED; /* §8.2 step 2 */
        d = "Security context not found";
        break;
    case OSCORE_ERR_REPLAY:
        code = COAP_UNAUTHORIZED; /* §7.4, §8.2 step 3 */
        d = "Replay detected";
        break;
    case OSCORE_ERR_DECRYPT:
        code = COAP_BAD_REQUEST; /* §8.2 step 6 */
        d = "Decryption failed";
        break;
    case OSCORE_ERR_INNER_FORMAT: code = COAP_BAD_REQUEST; break;
    case OSCORE_ERR_INNER_BAD_OPTION: code = COAP_BAD_OPTION; break;
    default: code = 0; break;
    }
    if (diag != NULL) *diag = d;
    return code;
}
