/*
 * oscore_ctx.c — OSCORE security context: key and Common IV derivation
 * (RFC 8613 §3.2.1), the sender sequence number against the caller's
 * durable reservation (Appendix B.1.1), and the recipient replay window
 * (§7.4). Message protection lives in oscore_msg.c, the option codec in
 * oscore_opt.c, Echo and B.2 helpers in oscore_echo.c.
 */
#include "bsd/oscore/oscore.h"
#include "bsd/oscore/oscore_int.h"

#include <string.h>

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/hmac.h>

/* Appends a CBOR byte string head for |len| bytes (len <= 255). */
size_t oscore_cbor_bstr_head(uint8_t *p, size_t len)
{
    if (len < 24) {
        p[0] = (uint8_t)(0x40 | len);
        return 1;
    }
    p[0] = 0x58;
    p[1] = (uint8_t)len;
    return 2;
}

/*
 * info = [id, id_context, alg_aead, type, L] (§3.2.1): at most
 * 1 + (1 + 7) + (2 + 32) + 1 + 4 + 1 = 49 bytes with our limits.
 */
static int derive_one(const oscore_ctx_t *c, const uint8_t *id, size_t id_len, bool iv, uint8_t *out)
{
    uint8_t info[64];
    size_t n = 0;
    info[n++] = 0x85;
    n += oscore_cbor_bstr_head(info + n, id_len);
    if (id_len) memcpy(info + n, id, id_len);
    n += id_len;
    if (c->has_id_ctx) {
        n += oscore_cbor_bstr_head(info + n, c->id_ctx_len);
        memcpy(info + n, c->id_ctx, c->id_ctx_len);
        n += c->id_ctx_len;
    } else {
        info[n++] = 0xf6; /* nil */
    }
    info[n++] = OSCORE_ALG_AES_CCM_16_64_128;
    if (iv) {
        memcpy(info + n, "\x62IV", 3);
        n += 3;
        info[n++] = OSCORE_NONCE_LEN;
    } else {
        memcpy(info + n, "\x63Key", 4);
        n += 4;
        info[n++] = OSCORE_KEY_LEN;
    }
    int rc =
        wc_HKDF(WC_SHA256, c->master_secret, c->master_secret_len, c->master_salt_len ? c->master_salt : NULL,
                c->master_salt_len, info, (word32)n, out, iv ? OSCORE_NONCE_LEN : OSCORE_KEY_LEN);
    return rc == 0 ? 0 : OSCORE_ERR_CRYPTO;
}

static int derive_keys(oscore_ctx_t *c)
{
    int rc = derive_one(c, c->sender_id, c->sender_id_len, false, c->sender_key);
    if (rc == 0) rc = derive_one(c, c->recipient_id, c->recipient_id_len, false, c->recipient_key);
    if (rc == 0) rc = derive_one(c, NULL, 0, true, c->common_iv);
    c->ssn = 0;
    c->ssn_limit = 0;
    memset(&c->replay, 0, sizeof(c->replay));
    if (rc != 0) oscore_ctx_wipe(c);
    return rc;
}

static bool bytes_ok(const uint8_t *p, size_t len, size_t max)
{
    return len <= max && (p != NULL || len == 0);
}

int oscore_ctx_derive(oscore_ctx_t *ctx, const oscore_params_t *p)
{
    if (ctx == NULL) return OSCORE_ERR_INVAL;
    oscore_ctx_wipe(ctx);
    if (p == NULL || p->master_secret == NULL || p->master_secret_len == 0 ||
        !bytes_ok(p->master_secret, p->master_secret_len, OSCORE_MAX_MASTER_LEN) ||
        !bytes_ok(p->master_salt, p->master_salt_len, OSCORE_MAX_MASTER_LEN) ||
        !bytes_ok(p->sender_id, p->sender_id_len, OSCORE_MAX_ID_LEN) ||
        !bytes_ok(p->recipient_id, p->recipient_id_len, OSCORE_MAX_ID_LEN) ||
        (p->id_ctx != NULL && p->id_ctx_len > OSCORE_MAX_ID_CTX_LEN) || (p->id_ctx == NULL && p->id_ctx_len))
        return OSCORE_ERR_INVAL;
    /* Sender and Recipient ID must differ, or both directions would share
     * keys and nonces (§3.3). */
    if (p->sender_id_len == p->recipient_id_len &&
        (p->sender_id_len == 0 || memcmp(p->sender_id, p->recipient_id, p->sender_id_len) == 0))
        return OSCORE_ERR_INVAL;

    memcpy(ctx->master_secret, p->master_secret, p->master_secret_len);
    ctx->master_secret_len = (uint8_t)p->master_secret_len;
    if (p->master_salt_len) memcpy(ctx->master_salt, p->master_salt, p->master_salt_len);
    ctx->master_salt_len = (uint8_t)p->master_salt_len;
    if (p->sender_id_len) memcpy(ctx->sender_id, p->sender_id, p->sender_id_len);
    ctx->sender_id_len = (uint8_t)p->sender_id_len;
    if (p->recipient_id_len) memcpy(ctx->recipient_id, p->recipient_id, p->recipient_id_len);
    ctx->recipient_id_len = (uint8_t)p->recipient_id_len;
    ctx->has_id_ctx = p->id_ctx != NULL;
    if (p->id_ctx_len) memcpy(ctx->id_ctx, p->id_ctx, p->id_ctx_len);
    ctx->id_ctx_len = (uint8_t)p->id_ctx_len;
    return derive_keys(ctx);
}

int oscore_ctx_rederive(oscore_ctx_t *dst, const oscore_ctx_t *src, const uint8_t *id_ctx, size_t len)
{
    if (dst == NULL || src == NULL || (id_ctx == NULL && len) || len > OSCORE_MAX_ID_CTX_LEN)
        return OSCORE_ERR_INVAL;
    uint8_t idc[OSCORE_MAX_ID_CTX_LEN];
    if (len) memcpy(idc, id_ctx, len); /* id_ctx may point into src/dst */
    if (dst != src) *dst = *src;
    dst->has_id_ctx = true;
    memset(dst->id_ctx, 0, sizeof(dst->id_ctx));
    if (len) memcpy(dst->id_ctx, idc, len);
    dst->id_ctx_len = (uint8_t)len;
    return derive_keys(dst);
}

void oscore_ctx_wipe(oscore_ctx_t *ctx)
{
    if (ctx != NULL) explicit_bzero(ctx, sizeof(*ctx));
}

/* ---- Sequence numbers (B.1.1) ----------------------------------------- */

int oscore_ctx_seq_reserved(oscore_ctx_t *ctx, uint64_t limit)
{
    if (ctx == NULL || limit < ctx->ssn_limit || limit > OSCORE_SSN_LIMIT) return OSCORE_ERR_INVAL;
    ctx->ssn_limit = limit;
    return 0;
}

int oscore_ctx_seq_restore(oscore_ctx_t *ctx, uint64_t next)
{
    if (ctx == NULL || next < ctx->ssn || next > OSCORE_SSN_LIMIT) return OSCORE_ERR_INVAL;
    ctx->ssn = next;
    return 0;
}

uint64_t oscore_ctx_seq_next(const oscore_ctx_t *ctx)
{
    return ctx->ssn;
}

uint64_t oscore_ctx_seq_remaining(const oscore_ctx_t *ctx)
{
    return ctx->ssn < ctx->ssn_limit ? ctx->ssn_limit - ctx->ssn : 0;
}

bool oscore_ctx_seq_low(const oscore_ctx_t *ctx, uint64_t low_water)
{
    return ctx->ssn_limit < OSCORE_SSN_LIMIT && oscore_ctx_seq_remaining(ctx) <= low_water;
}

int oscore_ctx_seq_take(oscore_ctx_t *ctx, uint64_t *ssn)
{
    if (ctx->ssn >= OSCORE_SSN_LIMIT) return OSCORE_ERR_SEQ_WRAPPED;
    if (ctx->ssn >= ctx->ssn_limit) return OSCORE_ERR_SEQ_EXHAUSTED;
    *ssn = ctx->ssn++;
    return 0;
}

/* ---- Replay window (§7.4, RFC 6347 §4.1.2.6) -------------------------- */

void oscore_ctx_replay_get(const oscore_ctx_t *ctx, oscore_replay_t *st)
{
    *st = ctx->replay;
}

int oscore_ctx_replay_set(oscore_ctx_t *ctx, const oscore_replay_t *st)
{
    if (ctx == NULL || st == NULL) return OSCORE_ERR_INVAL;
    if (st->valid && (st->highest >= OSCORE_SSN_LIMIT || (st->bitmap & 1u) == 0)) return OSCORE_ERR_INVAL;
    if (st->valid)
        ctx->replay = *st;
    else
        memset(&ctx->replay, 0, sizeof(ctx->replay));
    return 0;
}

int oscore_ctx_replay_set_floor(oscore_ctx_t *ctx, uint64_t floor)
{
    if (ctx == NULL || floor >= OSCORE_SSN_LIMIT) return OSCORE_ERR_INVAL;
    /* Everything in the window counts as seen; everything left of it is
     * too old anyway, so exactly PIV <= floor is refused. */
    ctx->replay.valid = true;
    ctx->replay.highest = floor;
    ctx->replay.bitmap = UINT32_MAX;
    return 0;
}

int oscore_replay_check(const oscore_replay_t *w, uint64_t piv)
{
    if (!w->valid || piv > w->highest) return 0;
    uint64_t diff = w->highest - piv;
    if (diff >= OSCORE_REPLAY_WINDOW) return OSCORE_ERR_REPLAY;
    return (w->bitmap >> diff) & 1u ? OSCORE_ERR_REPLAY : 0;
}

void oscore_replay_update(oscore_replay_t *w, uint64_t piv)
{
    if (!w->valid) {
        w->valid = true;
        w->highest = piv;
        w->bitmap = 1;
    } else if (piv > w->highest) {
        uint64_t shift = piv - w->highest;
        w->bitmap = shift >= OSCORE_REPLAY_WINDOW ? 1u : (w->bitmap << shift) | 1u;
        w->highest = piv;
    } else if (w->highest - piv < OSCORE_REPLAY_WINDOW) {
        w->bitmap |= 1u << (w->highest - piv);
    }
}
