/*
 * oscore_msg.c — protecting and verifying CoAP messages (RFC 8613 §5,
 * §8): the nonce (§5.2), the AAD (§5.4), the plaintext of Class E
 * options (§5.3), the outer message with its Class U options and the
 * OSCORE option (§4.1, §4.2), AES-CCM-16-64-128 through wolfCrypt, and
 * the coap_msg_t view of a verified message.
 */
#include "bsd/oscore/oscore.h"
#include "bsd/oscore/oscore_int.h"

#include <string.h>

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/aes.h>

#define ID_PIV_FIELD 7 /* nonce bytes for the ID (13 - 6, §5.2) */

/* ---- Nonce, AAD, AEAD ------------------------------------------------- */

static size_t piv_encode(uint64_t ssn, uint8_t piv[OSCORE_MAX_PIV_LEN])
{
    size_t n = 1;
    while (n < OSCORE_MAX_PIV_LEN && (ssn >> (8 * n)) != 0)
        n++;
    for (size_t i = 0; i < n; i++)
        piv[i] = (uint8_t)(ssn >> (8 * (n - 1 - i)));
    return n;
}

static uint64_t piv_decode(const uint8_t *piv, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = (v << 8) | piv[i];
    return v;
}

/* nonce = Common IV XOR (len(ID) || pad(ID, 7) || pad(PIV, 5)) (§5.2). */
void oscore_nonce(const uint8_t iv[OSCORE_NONCE_LEN], const uint8_t *id, size_t id_len, const uint8_t *piv,
                  size_t piv_len, uint8_t nonce[OSCORE_NONCE_LEN])
{
    uint8_t b[OSCORE_NONCE_LEN] = {0};
    b[0] = (uint8_t)id_len;
    if (id_len) memcpy(b + 1 + ID_PIV_FIELD - id_len, id, id_len);
    if (piv_len) memcpy(b + OSCORE_NONCE_LEN - piv_len, piv, piv_len);
    for (size_t i = 0; i < OSCORE_NONCE_LEN; i++)
        nonce[i] = iv[i] ^ b[i];
}

/* AAD = ["Encrypt0", h'', bstr([1, [10], kid, piv, h''])] (§5.4); the
 * aad_array is at most 19 bytes, so its bstr head is one byte. */
size_t oscore_aad(const uint8_t *kid, size_t kid_len, const uint8_t *piv, size_t piv_len,
                  uint8_t aad[OSCORE_AAD_MAX])
{
    static const uint8_t enc0[] = {0x83, 0x68, 'E', 'n', 'c', 'r', 'y', 'p', 't', '0', 0x40};
    size_t n = sizeof(enc0);
    memcpy(aad, enc0, n);
    size_t arr_len = 4 + 1 + kid_len + 1 + piv_len + 1;
    aad[n++] = (uint8_t)(0x40 | arr_len);
    aad[n++] = 0x85;
    aad[n++] = 0x01;
    aad[n++] = 0x81;
    aad[n++] = OSCORE_ALG_AES_CCM_16_64_128;
    aad[n++] = (uint8_t)(0x40 | kid_len);
    if (kid_len) memcpy(aad + n, kid, kid_len);
    n += kid_len;
    aad[n++] = (uint8_t)(0x40 | piv_len);
    if (piv_len) memcpy(aad + n, piv, piv_len);
    n += piv_len;
    aad[n++] = 0x40; /* no Class I options */
    return n;
}

/* Encrypts |len| bytes at |buf| in place (wolfCrypt's CCM reads each block
 * before writing it) and writes the tag after them. */
static int aead_seal(const uint8_t key[OSCORE_KEY_LEN], const uint8_t nonce[OSCORE_NONCE_LEN],
                     const uint8_t *aad, size_t aad_len, uint8_t *buf, size_t len)
{
    Aes aes;
    int rc = wc_AesInit(&aes, NULL, INVALID_DEVID);
    if (rc == 0) {
        rc = wc_AesCcmSetKey(&aes, key, OSCORE_KEY_LEN);
        if (rc == 0)
            rc = wc_AesCcmEncrypt(&aes, buf, buf, (word32)len, nonce, OSCORE_NONCE_LEN, buf + len,
                                  OSCORE_TAG_LEN, aad, (word32)aad_len);
        wc_AesFree(&aes);
    }
    explicit_bzero(&aes, sizeof(aes));
    return rc == 0 ? 0 : OSCORE_ERR_CRYPTO;
}

static int aead_open(const uint8_t key[OSCORE_KEY_LEN], const uint8_t nonce[OSCORE_NONCE_LEN],
                     const uint8_t *aad, size_t aad_len, const uint8_t *ct, size_t len, uint8_t *out)
{
    Aes aes;
    int rc = wc_AesInit(&aes, NULL, INVALID_DEVID);
    int ret = OSCORE_ERR_CRYPTO;
    if (rc == 0) {
        rc = wc_AesCcmSetKey(&aes, key, OSCORE_KEY_LEN);
        if (rc == 0) {
            rc = wc_AesCcmDecrypt(&aes, out, ct, (word32)len, nonce, OSCORE_NONCE_LEN, ct + len,
                                  OSCORE_TAG_LEN, aad, (word32)aad_len);
            ret = rc == 0 ? 0 : OSCORE_ERR_DECRYPT;
        }
        wc_AesFree(&aes);
    }
    explicit_bzero(&aes, sizeof(aes));
    return ret;
}

/* ---- Protect ---------------------------------------------------------- */

/* Appends option |num| (after |prev|) in RFC 7252 §3.1 form. */
static int put_opt(uint8_t *out, size_t cap, size_t *pos, uint16_t prev, uint16_t num, const uint8_t *val,
                   size_t len)
{
    uint8_t ext[4];
    size_t ne = 0;
    unsigned nib[2];
    size_t fields[2] = {(size_t)(num - prev), len};
    for (int i = 0; i < 2; i++) {
        size_t v = fields[i];
        if (v < 13) {
            nib[i] = (unsigned)v;
        } else if (v < 269) {
            nib[i] = 13;
            ext[ne++] = (uint8_t)(v - 13);
        } else {
            nib[i] = 14;
            ext[ne++] = (uint8_t)((v - 269) >> 8);
            ext[ne++] = (uint8_t)(v - 269);
        }
    }
    if (cap - *pos < 1 + ne + len) return OSCORE_ERR_NOSPACE;
    out[(*pos)++] = (uint8_t)(nib[0] << 4 | nib[1]);
    memcpy(out + *pos, ext, ne);
    *pos += ne;
    if (len) memcpy(out + *pos, val, len);
    *pos += len;
    return 0;
}

typedef struct {
    uint8_t outer_code;
    bool request;
    const uint8_t *oscore_val; /* encoded OSCORE option */
    size_t oscore_len;
    const uint8_t *key;
    const uint8_t *nonce;
    const uint8_t *aad;
    size_t aad_len;
} seal_t;

/* Writes the outer message (header, token, Class U options, OSCORE
 * option), then the plaintext (code, Class E options, payload) where the
 * ciphertext goes, and encrypts it there. */
static int seal(const coap_msg_t *plain, const seal_t *s, uint8_t *out, size_t cap)
{
    coap_builder_t b;
    coap_build_init(&b, out, cap, plain->type, s->outer_code, plain->mid, plain->token, plain->tkl);
    bool oscore_done = false;
    for (uint16_t i = 0; i < plain->nopts; i++) {
        const coap_option_t *o = &plain->opts[i];
        if (!oscore_done && o->num > COAP_OPT_OSCORE) {
            coap_build_opt(&b, COAP_OPT_OSCORE, s->oscore_val, s->oscore_len);
            oscore_done = true;
        }
        if (oscore_option_class(o->num) & OSCORE_CLASS_U) coap_build_opt(&b, o->num, o->val, o->len);
    }
    if (!oscore_done) coap_build_opt(&b, COAP_OPT_OSCORE, s->oscore_val, s->oscore_len);
    int n = coap_build_finish(&b);
    if (n < 0) return n == COAP_ERR_NOSPACE ? OSCORE_ERR_NOSPACE : OSCORE_ERR_INVAL;

    size_t pos = (size_t)n;
    if (cap - pos < 2) return OSCORE_ERR_NOSPACE;
    out[pos++] = COAP_PAYLOAD_MARKER;
    size_t ct = pos;
    out[pos++] = plain->code;
    uint16_t prev = 0;
    for (uint16_t i = 0; i < plain->nopts; i++) {
        const coap_option_t *o = &plain->opts[i];
        int cls = oscore_option_class(o->num);
        if (!(cls & OSCORE_CLASS_E)) continue;
        /* A notification's inner Observe is empty; the value is outer
         * (§4.1.3.5.2). */
        size_t len = (cls == OSCORE_CLASS_EU && !s->request) ? 0 : o->len;
        int rc = put_opt(out, cap, &pos, prev, o->num, o->val, len);
        if (rc != 0) return rc;
        prev = o->num;
    }
    if (plain->payload_len) {
        if (cap - pos < 1 + plain->payload_len) return OSCORE_ERR_NOSPACE;
        out[pos++] = COAP_PAYLOAD_MARKER;
        memcpy(out + pos, plain->payload, plain->payload_len);
        pos += plain->payload_len;
    }
    if (cap - pos < OSCORE_TAG_LEN) return OSCORE_ERR_NOSPACE;
    int rc = aead_seal(s->key, s->nonce, s->aad, s->aad_len, out + ct, pos - ct);
    if (rc != 0) return rc;
    return (int)(pos + OSCORE_TAG_LEN);
}

static int check_plain(const coap_msg_t *plain, bool request)
{
    if (plain == NULL || plain->tkl > COAP_MAX_TKL || plain->type > COAP_TYPE_RST ||
        (plain->payload == NULL && plain->payload_len))
        return OSCORE_ERR_INVAL;
    if (request ? !coap_msg_is_request(plain) : !coap_msg_is_response(plain)) return OSCORE_ERR_INVAL;
    /* Proxy-Uri must have been decomposed (§4.1.3.3). */
    if (coap_opt_get(plain, COAP_OPT_OSCORE) || coap_opt_get(plain, COAP_OPT_PROXY_URI))
        return OSCORE_ERR_INVAL;
    return 0;
}

static bool send_ok(const oscore_send_t *snd)
{
    return snd == NULL || (snd->kid_ctx_len <= UINT8_MAX && (snd->kid_ctx != NULL || snd->kid_ctx_len == 0));
}

int oscore_protect_request(oscore_ctx_t *ctx, const coap_msg_t *plain, const oscore_send_t *snd, uint8_t *out,
                           size_t cap, oscore_req_t *req)
{
    if (ctx == NULL || out == NULL || req == NULL || !send_ok(snd)) return OSCORE_ERR_INVAL;
    int rc = check_plain(plain, true);
    if (rc != 0) return rc;

    oscore_option_t o = {.has_kid = true, .kid = ctx->sender_id, .kid_len = ctx->sender_id_len};
    if (snd != NULL && snd->kid_ctx != NULL) {
        o.has_kid_ctx = true;
        o.kid_ctx = snd->kid_ctx;
        o.kid_ctx_len = (uint8_t)snd->kid_ctx_len;
    }
    uint8_t optval[OSCORE_MAX_OPT_LEN];
    uint64_t ssn;
    rc = oscore_ctx_seq_take(ctx, &ssn);
    if (rc != 0) return rc;

    memset(req, 0, sizeof(*req));
    req->piv_len = (uint8_t)piv_encode(ssn, req->piv);
    memcpy(req->kid, ctx->sender_id, ctx->sender_id_len);
    req->kid_len = ctx->sender_id_len;
    req->observe = coap_opt_get(plain, COAP_OPT_OBSERVE) != NULL;
    oscore_nonce(ctx->common_iv, req->kid, req->kid_len, req->piv, req->piv_len, req->nonce);
    o.piv = req->piv;
    o.piv_len = req->piv_len;
    int olen = oscore_option_encode(&o, optval, sizeof(optval));
    if (olen < 0) return olen;

    uint8_t aad[OSCORE_AAD_MAX];
    seal_t s = {.outer_code = req->observe ? COAP_FETCH : COAP_POST,
                .request = true,
                .oscore_val = optval,
                .oscore_len = (size_t)olen,
                .key = ctx->sender_key,
                .nonce = req->nonce};
    s.aad_len = oscore_aad(req->kid, req->kid_len, req->piv, req->piv_len, aad);
    s.aad = aad;
    return seal(plain, &s, out, cap);
}

int oscore_protect_response(oscore_ctx_t *ctx, const oscore_req_t *req, const coap_msg_t *plain,
                            const oscore_send_t *snd, uint8_t *out, size_t cap)
{
    if (ctx == NULL || req == NULL || out == NULL || !send_ok(snd) || req->kid_len > OSCORE_MAX_ID_LEN ||
        req->piv_len == 0 || req->piv_len > OSCORE_MAX_PIV_LEN)
        return OSCORE_ERR_INVAL;
    int rc = check_plain(plain, false);
    if (rc != 0) return rc;

    oscore_option_t o = {0};
    if (snd != NULL && snd->kid_ctx != NULL) {
        o.has_kid_ctx = true;
        o.kid_ctx = snd->kid_ctx;
        o.kid_ctx_len = (uint8_t)snd->kid_ctx_len;
    }
    uint8_t piv[OSCORE_MAX_PIV_LEN];
    uint8_t nonce[OSCORE_NONCE_LEN];
    if (snd != NULL && snd->own_piv) {
        uint64_t ssn;
        rc = oscore_ctx_seq_take(ctx, &ssn);
        if (rc != 0) return rc;
        o.piv = piv;
        o.piv_len = (uint8_t)piv_encode(ssn, piv);
        oscore_nonce(ctx->common_iv, ctx->sender_id, ctx->sender_id_len, o.piv, o.piv_len, nonce);
    } else {
        memcpy(nonce, req->nonce, sizeof(nonce));
    }
    uint8_t optval[OSCORE_MAX_OPT_LEN];
    int olen = oscore_option_encode(&o, optval, sizeof(optval));
    if (olen < 0) return olen;

    bool observe = req->observe && coap_opt_get(plain, COAP_OPT_OBSERVE) != NULL;
    uint8_t aad[OSCORE_AAD_MAX];
    seal_t s = {.outer_code = observe ? COAP_CONTENT : COAP_CHANGED,
                .request = false,
                .oscore_val = optval,
                .oscore_len = (size_t)olen,
                .key = ctx->sender_key,
                .nonce = nonce};
    s.aad_len = oscore_aad(req->kid, req->kid_len, req->piv, req->piv_len, aad);
    s.aad = aad;
    return seal(plain, &s, out, cap);
}

/* ---- Unprotect -------------------------------------------------------- */

/* Common checks of a received message: OSCORE option present and well
 * formed, a ciphertext at least as long as the tag. */
static int read_outer(const coap_msg_t *outer, oscore_option_t *o)
{
    const coap_option_t *opt = coap_opt_get(outer, COAP_OPT_OSCORE);
    if (opt == NULL) return OSCORE_ERR_NO_OPTION;
    return oscore_option_decode(opt->val, opt->len, o);
}

static int decrypt_into(const uint8_t *key, const uint8_t *nonce, const uint8_t *aad, size_t aad_len,
                        const coap_msg_t *outer, uint8_t *buf, size_t cap)
{
    size_t ct_len = outer->payload_len - OSCORE_TAG_LEN;
    if (cap < ct_len + OSCORE_UNPROTECT_OVERHEAD) return OSCORE_ERR_NOSPACE;
    return aead_open(key, nonce, aad, aad_len, outer->payload, ct_len, buf + OSCORE_UNPROTECT_OVERHEAD);
}

/* Inserts |o| into the ascending option list of |m| after any options with
 * the same number. */
static int insert_opt(coap_msg_t *m, const coap_option_t *o)
{
    if (m->nopts >= COAP_MAX_OPTIONS) return OSCORE_ERR_INNER_FORMAT;
    uint16_t at = m->nopts;
    while (at > 0 && m->opts[at - 1].num > o->num)
        at--;
    memmove(&m->opts[at + 1], &m->opts[at], (size_t)(m->nopts - at) * sizeof(m->opts[0]));
    m->opts[at] = *o;
    m->nopts++;
    return 0;
}

/* Turns the plaintext at buf + 3 (code, options, payload) into the view
 * |*inner|: a 4-byte header is written in front of the options so that
 * coap_parse() applies the usual rules, then the outer header fields and
 * Class U options are put in. */
static int make_view(const coap_msg_t *outer, bool request, uint8_t *buf, size_t pt_len, coap_msg_t *inner)
{
    memset(inner, 0, sizeof(*inner));
    if (pt_len < 1) return OSCORE_ERR_INNER_FORMAT;
    uint8_t code = buf[OSCORE_UNPROTECT_OVERHEAD];
    bool is_req = COAP_CODE_CLASS(code) == 0 && code != COAP_EMPTY;
    bool is_resp = COAP_CODE_CLASS(code) == 2 || COAP_CODE_CLASS(code) == 4 || COAP_CODE_CLASS(code) == 5;
    if (request ? !is_req : !is_resp) return OSCORE_ERR_INNER_FORMAT;
    buf[0] = (uint8_t)(COAP_VERSION << 6 | (outer->type & 3) << 4);
    buf[1] = code;
    buf[2] = 0;
    buf[3] = 0;
    int rc = coap_parse(inner, buf, OSCORE_UNPROTECT_OVERHEAD + pt_len);
    if (rc != 0 && rc != COAP_ERR_BAD_OPTION) {
        memset(inner, 0, sizeof(*inner));
        return OSCORE_ERR_INNER_FORMAT;
    }
    for (uint16_t i = 0; i < inner->nopts; i++) {
        if (oscore_option_class(inner->opts[i].num) == OSCORE_CLASS_U) {
            memset(inner, 0, sizeof(*inner));
            return OSCORE_ERR_INNER_FORMAT;
        }
    }
    inner->mid = outer->mid;
    inner->tkl = outer->tkl;
    memcpy(inner->token, outer->token, outer->tkl);
    for (uint16_t i = 0; i < outer->nopts; i++) {
        const coap_option_t *o = &outer->opts[i];
        if (oscore_option_class(o->num) != OSCORE_CLASS_U || o->num == COAP_OPT_OSCORE) continue;
        if (insert_opt(inner, o) != 0) {
            memset(inner, 0, sizeof(*inner));
            return OSCORE_ERR_INNER_FORMAT;
        }
    }
    if (!request) {
        /* A notification number travels outer (§4.1.3.5.2). */
        const coap_option_t *oo = coap_opt_get(outer, COAP_OPT_OBSERVE);
        coap_option_t *io = (coap_option_t *)coap_opt_get(inner, COAP_OPT_OBSERVE);
        if (oo != NULL && io != NULL) *io = *oo;
    }
    return rc == COAP_ERR_BAD_OPTION ? OSCORE_ERR_INNER_BAD_OPTION : 0;
}

int oscore_unprotect_request(oscore_ctx_t *ctx, const coap_msg_t *outer, uint8_t *buf, size_t cap,
                             coap_msg_t *inner, oscore_req_t *req)
{
    if (ctx == NULL || outer == NULL || buf == NULL || inner == NULL || req == NULL) return OSCORE_ERR_INVAL;
    oscore_option_t o;
    int rc = read_outer(outer, &o);
    if (rc != 0) return rc;
    if (o.piv_len == 0) return OSCORE_ERR_NO_PIV;
    if (!o.has_kid) return OSCORE_ERR_NO_KID;
    if (outer->payload == NULL || outer->payload_len < OSCORE_TAG_LEN) return OSCORE_ERR_NO_PAYLOAD;
    if (o.kid_len != ctx->recipient_id_len || (o.kid_len && memcmp(o.kid, ctx->recipient_id, o.kid_len) != 0))
        return OSCORE_ERR_UNKNOWN_KID;
    uint64_t piv = piv_decode(o.piv, o.piv_len);
    rc = oscore_replay_check(&ctx->replay, piv);
    if (rc != 0) return rc;

    oscore_req_t r = {.kid_len = o.kid_len, .piv_len = o.piv_len};
    if (o.kid_len) memcpy(r.kid, o.kid, o.kid_len);
    memcpy(r.piv, o.piv, o.piv_len);
    oscore_nonce(ctx->common_iv, r.kid, r.kid_len, r.piv, r.piv_len, r.nonce);
    uint8_t aad[OSCORE_AAD_MAX];
    size_t aad_len = oscore_aad(r.kid, r.kid_len, r.piv, r.piv_len, aad);
    rc = decrypt_into(ctx->recipient_key, r.nonce, aad, aad_len, outer, buf, cap);
    if (rc != 0) return rc;

    /* Verified: only now does the Partial IV count as used (§7.4). */
    oscore_replay_update(&ctx->replay, piv);
    rc = make_view(outer, true, buf, outer->payload_len - OSCORE_TAG_LEN, inner);
    r.observe =
        (rc == 0 || rc == OSCORE_ERR_INNER_BAD_OPTION) && coap_opt_get(inner, COAP_OPT_OBSERVE) != NULL;
    *req = r;
    return rc;
}

int oscore_unprotect_response(const oscore_ctx_t *ctx, const oscore_req_t *req, const coap_msg_t *outer,
                              uint8_t *buf, size_t cap, coap_msg_t *inner)
{
    if (ctx == NULL || req == NULL || outer == NULL || buf == NULL || inner == NULL ||
        req->kid_len > OSCORE_MAX_ID_LEN || req->piv_len == 0 || req->piv_len > OSCORE_MAX_PIV_LEN)
        return OSCORE_ERR_INVAL;
    oscore_option_t o;
    int rc = read_outer(outer, &o);
    if (rc != 0) return rc;
    if (outer->payload == NULL || outer->payload_len < OSCORE_TAG_LEN) return OSCORE_ERR_NO_PAYLOAD;

    uint8_t nonce[OSCORE_NONCE_LEN];
    if (o.piv_len)
        oscore_nonce(ctx->common_iv, ctx->recipient_id, ctx->recipient_id_len, o.piv, o.piv_len, nonce);
    else
        memcpy(nonce, req->nonce, sizeof(nonce));
    uint8_t aad[OSCORE_AAD_MAX];
    size_t aad_len = oscore_aad(req->kid, req->kid_len, req->piv, req->piv_len, aad);
    rc = decrypt_into(ctx->recipient_key, nonce, aad, aad_len, outer, buf, cap);
    if (rc != 0) return rc;
    return make_view(outer, false, buf, outer->payload_len - OSCORE_TAG_LEN, inner);
}
