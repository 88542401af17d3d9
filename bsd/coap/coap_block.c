/*
 * coap_block.c — RFC 7959 block-wise transfer helpers and state machines.
 *
 * Positions are tracked in bytes rather than block numbers: when either
 * side moves to a smaller SZX mid-transfer (§2.3, §2.4) the offset stays
 * valid and the next NUM is just offset >> (SZX + 4).
 */
#include "bsd/coap/coap_block.h"

#include "bsd/coap/coap_dedup.h" /* COAP_EXCHANGE_LIFETIME_MS */

#include <string.h>

/* ---- Option values ---------------------------------------------------- */

int coap_block_decode(const coap_option_t *opt, coap_block_t *out)
{
    uint32_t v = 0;

    if (opt == NULL) return COAP_ERR_NOTFOUND;
    if (opt->len > 3) return COAP_ERR_BAD_OPTION;
    for (uint16_t i = 0; i < opt->len; i++)
        v = (v << 8) | opt->val[i];
    if ((v & 7u) == 7u) return COAP_ERR_BLOCK_SZX;
    out->num = v >> 4;
    out->more = (uint8_t)((v >> 3) & 1u);
    out->szx = (uint8_t)(v & 7u);
    return 0;
}

int coap_block_get(const coap_msg_t *m, uint16_t num, coap_block_t *out)
{
    return coap_block_decode(coap_opt_get(m, num), out);
}

uint32_t coap_block_encode(const coap_block_t *b)
{
    return ((b->num & COAP_BLOCK_NUM_MAX) << 4) | ((b->more ? 1u : 0u) << 3) | (b->szx & 7u);
}

size_t coap_block_size(uint8_t szx)
{
    return (size_t)16 << (szx & 7u);
}

size_t coap_block_offset(const coap_block_t *b)
{
    return (size_t)b->num << ((b->szx & 7u) + 4);
}

int coap_block_szx_for(size_t max_payload)
{
    if (max_payload < 16) return COAP_ERR_INVAL;
    for (int szx = COAP_BLOCK_SZX_MAX; szx > 0; szx--)
        if (coap_block_size((uint8_t)szx) <= max_payload) return szx;
    return 0;
}

/* ---- Server Block2 ---------------------------------------------------- */

int coap_block2_slice(size_t total_len, const coap_block_t *requested, size_t max_payload, coap_block_t *out,
                      size_t *off, size_t *len)
{
    int fit = coap_block_szx_for(max_payload);
    uint8_t szx;
    size_t o = 0;

    if (fit < 0) return fit;
    if (requested == NULL && total_len <= max_payload) {
        *out = (coap_block_t){0, 0, (uint8_t)fit};
        *off = 0;
        *len = total_len;
        return 0;
    }
    szx = (uint8_t)fit;
    if (requested) {
        if (requested->szx > COAP_BLOCK_SZX_MAX) return COAP_ERR_BLOCK_SZX;
        if (requested->szx < szx) szx = requested->szx;
        if (requested->num > COAP_BLOCK_NUM_MAX) return COAP_ERR_BLOCK_RANGE;
        o = coap_block_offset(requested);
    }
    if (o > total_len || (o == total_len && total_len != 0)) return COAP_ERR_BLOCK_RANGE;
    size_t bsz = coap_block_size(szx);
    size_t num = o >> (szx + 4);
    if (num > COAP_BLOCK_NUM_MAX) return COAP_ERR_BLOCK_RANGE;
    size_t n = total_len - o < bsz ? total_len - o : bsz;
    out->num = (uint32_t)num;
    out->more = (uint8_t)(o + n < total_len);
    out->szx = szx;
    *off = o;
    *len = n;
    return 1;
}

/* ---- Server Block1 ---------------------------------------------------- */

int coap_block1_rx_init(coap_block1_rx_t *rx, uint8_t *buf, size_t cap, size_t max_payload)
{
    int szx = coap_block_szx_for(max_payload);

    memset(rx, 0, sizeof(*rx));
    if ((buf == NULL && cap > 0) || szx < 0) return COAP_ERR_INVAL;
    rx->buf = buf;
    rx->cap = cap;
    rx->pref_szx = (uint8_t)szx;
    return 0;
}

void coap_block1_rx_reset(coap_block1_rx_t *rx)
{
    rx->active = 0;
    rx->len = 0;
}

/* Content-Format of |m|: returns 1 and sets |*cf| when present, 0 when
 * absent, COAP_ERR_BAD_OPTION when longer than a uint. */
static int get_cf(const coap_msg_t *m, uint32_t *cf)
{
    const coap_option_t *o = coap_opt_get(m, COAP_OPT_CONTENT_FORMAT);
    if (o == NULL) return 0;
    if (coap_opt_uint(o, cf) != 0) return COAP_ERR_BAD_OPTION;
    return 1;
}

/* 1 if the Request-Tag list of |m| equals the one remembered in |rx|. */
static int tags_equal(const coap_block1_rx_t *rx, const coap_msg_t *m)
{
    unsigned i = 0;
    for (const coap_option_t *o = coap_opt_get(m, COAP_OPT_REQUEST_TAG); o; o = coap_opt_next(m, o), i++) {
        if (i >= rx->ntags || o->len != rx->tag_len[i] || (o->len && memcmp(o->val, rx->tag[i], o->len) != 0))
            return 0;
    }
    return i == rx->ntags;
}

int coap_block1_rx_feed(coap_block1_rx_t *rx, const coap_msg_t *req, uint64_t now_ms)
{
    coap_block_t b;
    int rc = coap_block_get(req, COAP_OPT_BLOCK1, &b);
    uint32_t cf = 0;
    int has_cf;

    if (rc < 0) return rc;
    size_t bsz = coap_block_size(b.szx);
    if ((b.more && req->payload_len != bsz) || req->payload_len > bsz)
        return COAP_ERR_BLOCK_SIZE; /* §2.3: M=1 payload must be the block size */
    unsigned ntags = 0;
    for (const coap_option_t *o = coap_opt_get(req, COAP_OPT_REQUEST_TAG); o; o = coap_opt_next(req, o)) {
        if (o->len > COAP_REQTAG_MAX_LEN) /* coap_parse() drops these */
            return COAP_ERR_BAD_OPTION;
        if (++ntags > COAP_BLOCK_MAX_REQTAGS) return COAP_ERR_TOO_MANY_OPTIONS;
    }
    has_cf = get_cf(req, &cf);
    if (has_cf < 0) return has_cf;
    size_t off = coap_block_offset(&b);

    if (b.num == 0) {
        /* A new body; replaces any partial one (§2.5). */
        uint32_t size1;
        rx->active = 0;
        rx->len = 0;
        if (coap_opt_uint(coap_opt_get(req, COAP_OPT_SIZE1), &size1) == 0 && size1 > rx->cap)
            return COAP_B1_TOO_LARGE; /* §4: total size announced */
        rx->code = req->code;
        rx->has_cf = (uint8_t)has_cf;
        rx->cf = cf;
        rx->ntags = 0;
        for (const coap_option_t *o = coap_opt_get(req, COAP_OPT_REQUEST_TAG); o;
             o = coap_opt_next(req, o), rx->ntags++) {
            rx->tag_len[rx->ntags] = (uint8_t)o->len; /* checked above */
            if (o->len) memcpy(rx->tag[rx->ntags], o->val, o->len);
        }
    } else {
        if (!rx->active) return COAP_B1_INCOMPLETE;
        /* Another operation (RFC 9175 §3.3): leave ours alone. */
        if (req->code != rx->code || !tags_equal(rx, req)) return COAP_B1_INCOMPLETE;
        if (now_ms >= rx->expires_ms || has_cf != rx->has_cf || (has_cf && cf != rx->cf) || off != rx->len) {
            coap_block1_rx_reset(rx); /* §2.3, §2.5, §2.9.2 */
            return COAP_B1_INCOMPLETE;
        }
    }
    if (req->payload_len > rx->cap - rx->len) {
        coap_block1_rx_reset(rx);
        return COAP_B1_TOO_LARGE;
    }
    if (req->payload_len) memcpy(rx->buf + rx->len, req->payload, req->payload_len);
    rx->len += req->payload_len;
    rx->last = b;
    rx->expires_ms = now_ms + COAP_EXCHANGE_LIFETIME_MS;
    rx->active = b.more;
    return b.more ? COAP_B1_CONTINUE : COAP_B1_COMPLETE;
}

void coap_block1_rx_response(const coap_block1_rx_t *rx, coap_block_t *out)
{
    out->num = rx->last.num;
    out->more = rx->last.more;
    out->szx = rx->last.szx < rx->pref_szx ? rx->last.szx : rx->pref_szx;
}

/* ---- Client Block1 ---------------------------------------------------- */

int coap_block1_tx_init(coap_block1_tx_t *tx, const uint8_t *body, size_t len, size_t max_payload,
                        const uint8_t *reqtag, size_t reqtag_len)
{
    int szx = coap_block_szx_for(max_payload);

    memset(tx, 0, sizeof(*tx));
    if (szx < 0 || (body == NULL && len > 0) || reqtag_len > COAP_REQTAG_MAX_LEN ||
        (reqtag == NULL && reqtag_len > 0))
        return COAP_ERR_INVAL;
    tx->body = body;
    tx->len = len;
    tx->szx = (uint8_t)szx;
    if (reqtag) {
        tx->has_tag = 1;
        tx->tag_len = (uint8_t)reqtag_len;
        if (reqtag_len) memcpy(tx->tag, reqtag, reqtag_len);
    }
    return 0;
}

/* Payload length of the current block. */
static size_t tx_cur_len(const coap_block1_tx_t *tx)
{
    size_t bsz = coap_block_size(tx->szx);
    size_t left = tx->len - tx->off;
    return left < bsz ? left : bsz;
}

static int tx_is_last(const coap_block1_tx_t *tx)
{
    return tx->off + tx_cur_len(tx) >= tx->len;
}

int coap_block1_tx_next(coap_block1_tx_t *tx, coap_block_t *blk, const uint8_t **payload, size_t *plen)
{
    if (tx->done) return COAP_ERR_STATE;
    size_t num = tx->off >> (tx->szx + 4);
    if (num > COAP_BLOCK_NUM_MAX) return COAP_ERR_BLOCK_RANGE;
    size_t n = tx_cur_len(tx);
    blk->num = (uint32_t)num;
    blk->more = (uint8_t)!tx_is_last(tx);
    blk->szx = tx->szx;
    *payload = n ? tx->body + tx->off : NULL;
    *plen = n;
    return 0;
}

int coap_block1_tx_on_response(coap_block1_tx_t *tx, const coap_msg_t *resp)
{
    coap_block_t rb;
    int rc;

    if (tx->done) return COAP_ERR_STATE;
    if (!coap_msg_is_response(resp)) return COAP_ERR_INVAL;
    int last = tx_is_last(tx);
    uint32_t cur_num = (uint32_t)(tx->off >> (tx->szx + 4));

    if (resp->code == COAP_CONTINUE) {
        rc = coap_block_get(resp, COAP_OPT_BLOCK1, &rb);
        if (rc == COAP_ERR_NOTFOUND) return COAP_ERR_PROTOCOL;
        if (rc < 0) return rc;
        if (last || rb.num != cur_num) return COAP_ERR_PROTOCOL;
    } else if (COAP_CODE_CLASS(resp->code) == 2 && !last) {
        /* Non-atomic server acted on this block; keep sending (§2.3). */
        rc = coap_block_get(resp, COAP_OPT_BLOCK1, &rb);
        if (rc < 0 && rc != COAP_ERR_NOTFOUND) return rc;
        if (rc == COAP_ERR_NOTFOUND) rb.szx = tx->szx;
    } else if (resp->code == COAP_REQUEST_ENTITY_TOO_LARGE) {
        uint32_t size1;
        uint8_t nszx;
        if (coap_opt_uint(coap_opt_get(resp, COAP_OPT_SIZE1), &size1) == 0 && size1 < tx->len) {
            tx->done = 1;
            return COAP_B1TX_DONE;
        }
        rc = coap_block_get(resp, COAP_OPT_BLOCK1, &rb);
        if (rc == 0 && rb.szx < tx->szx)
            nszx = rb.szx;
        else if (tx->szx > 0)
            nszx = (uint8_t)(tx->szx - 1);
        else {
            tx->done = 1;
            return COAP_B1TX_DONE;
        }
        tx->szx = nszx;
        tx->off = 0;
        return COAP_B1TX_RESTART;
    } else {
        tx->done = 1;
        return COAP_B1TX_DONE;
    }
    /* The current block went through: advance, adopting a smaller SZX
     * (§2.5: the next NUM may jump, e.g. 0/1/128 → 4/1/32). */
    tx->off += tx_cur_len(tx);
    if (rb.szx < tx->szx) tx->szx = rb.szx;
    return COAP_B1TX_NEXT;
}

/* ---- Client Block2 ---------------------------------------------------- */

int coap_block2_rx_init(coap_block2_rx_t *rx, uint8_t *buf, size_t cap, uint8_t pref_szx)
{
    memset(rx, 0, sizeof(*rx));
    if (pref_szx > COAP_BLOCK_SZX_MAX || (buf == NULL && cap > 0)) return COAP_ERR_INVAL;
    rx->buf = buf;
    rx->cap = cap;
    rx->pref_szx = pref_szx;
    return 0;
}

void coap_block2_rx_first(const coap_block2_rx_t *rx, coap_block_t *first)
{
    first->num = 0;
    first->more = 0;
    first->szx = rx->pref_szx;
}

void coap_block2_rx_reset(coap_block2_rx_t *rx)
{
    rx->len = 0;
    rx->started = 0;
    rx->complete = 0;
    rx->has_etag = 0;
    rx->etag_len = 0;
}

static int b2_fail(coap_block2_rx_t *rx, int err)
{
    coap_block2_rx_reset(rx);
    return err;
}

int coap_block2_rx_feed(coap_block2_rx_t *rx, const coap_msg_t *resp, coap_block_t *next)
{
    coap_block_t b;
    const coap_option_t *etag = coap_opt_get(resp, COAP_OPT_ETAG);

    if (rx->complete) return COAP_ERR_STATE;
    if (etag && etag->len > sizeof(rx->etag)) /* coap_parse() drops these */
        return b2_fail(rx, COAP_ERR_BAD_OPTION);
    int rc = coap_block_get(resp, COAP_OPT_BLOCK2, &b);
    if (rc == COAP_ERR_NOTFOUND) {
        if (rx->started) return b2_fail(rx, COAP_ERR_BLOCK_SEQ);
        /* Not block-wise: the payload is the whole body. */
        if (resp->payload_len > rx->cap) return b2_fail(rx, COAP_ERR_NOSPACE);
        if (resp->payload_len) memcpy(rx->buf, resp->payload, resp->payload_len);
        rx->len = resp->payload_len;
        rx->started = 1;
        rx->complete = 1;
        return COAP_B2_COMPLETE;
    }
    if (rc < 0) return b2_fail(rx, rc);

    size_t bsz = coap_block_size(b.szx);
    if ((b.more && resp->payload_len != bsz) || resp->payload_len > bsz)
        return b2_fail(rx, COAP_ERR_BLOCK_SIZE);
    if (coap_block_offset(&b) != rx->len || (!rx->started && b.num != 0))
        return b2_fail(rx, COAP_ERR_BLOCK_SEQ);
    if (!rx->started) {
        uint32_t size2;
        if (coap_opt_uint(coap_opt_get(resp, COAP_OPT_SIZE2), &size2) == 0 && size2 > rx->cap)
            return b2_fail(rx, COAP_ERR_NOSPACE);
        rx->has_etag = etag != NULL;
        rx->etag_len = etag ? (uint8_t)etag->len : 0;
        if (etag && etag->len) memcpy(rx->etag, etag->val, etag->len);
    } else if ((etag != NULL) != rx->has_etag ||
               (etag &&
                (etag->len != rx->etag_len || (etag->len && memcmp(etag->val, rx->etag, etag->len) != 0)))) {
        return b2_fail(rx, COAP_ERR_BLOCK_ETAG);
    }
    if (resp->payload_len > rx->cap - rx->len) return b2_fail(rx, COAP_ERR_NOSPACE);
    if (resp->payload_len) memcpy(rx->buf + rx->len, resp->payload, resp->payload_len);
    rx->len += resp->payload_len;
    rx->started = 1;
    if (!b.more) {
        rx->complete = 1;
        return COAP_B2_COMPLETE;
    }
    uint8_t szx = b.szx < rx->pref_szx ? b.szx : rx->pref_szx;
    size_t num = rx->len >> (szx + 4);
    if (num > COAP_BLOCK_NUM_MAX) return b2_fail(rx, COAP_ERR_BLOCK_RANGE);
    next->num = (uint32_t)num;
    next->more = 0;
    next->szx = szx;
    return COAP_B2_NEXT;
}
