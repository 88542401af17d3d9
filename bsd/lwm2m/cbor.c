/*
 * cbor.c — bounded CBOR (RFC 8949) pull reader and preferred-serialization
 * writer (contract in cbor.h). SenML specifics live in senml_cbor.c.
 *
 * The reader keeps one small record per open container instead of
 * recursing, so nesting costs no stack and is capped by CBOR_MAX_DEPTH.
 * Every length or count is checked against the bytes actually left before
 * it is used: a definite container cannot announce more items than the
 * remaining input could hold (each item takes at least one byte), which
 * rejects "2^64 elements" bombs at their head.
 */
#include "bsd/lwm2m/cbor.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <string.h>

/* Major types, RFC 8949 §3.1. */
enum {
    MT_UINT = 0,
    MT_NEGINT = 1,
    MT_BYTES = 2,
    MT_TEXT = 3,
    MT_ARRAY = 4,
    MT_MAP = 5,
    MT_TAG = 6,
    MT_SIMPLE = 7,
};
#define AI_INDEFINITE 31u
#define BREAK_BYTE    0xffu

void cbor_reader_init(cbor_reader_t *r, const uint8_t *in, size_t len)
{
    r->p = in;
    r->end = in + len;
    r->depth = 0;
    r->tag_pending = false;
}

unsigned cbor_depth(const cbor_reader_t *r)
{
    return r->depth;
}

int cbor_reader_done(const cbor_reader_t *r)
{
    return r->depth == 0 && !r->tag_pending && r->p == r->end;
}

static uint64_t get_be(const uint8_t *p, size_t w)
{
    uint64_t v = 0;
    for (size_t i = 0; i < w; i++)
        v = v << 8 | p[i];
    return v;
}

/* RFC 8949 Appendix D, without relying on a native half type. */
static double half_to_double(uint16_t h)
{
    unsigned e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
    double v;
    if (e == 0)
        v = ldexp(m, -24);
    else if (e == 31)
        v = m ? NAN : INFINITY;
    else
        v = ldexp(m + 1024, (int)e - 25);
    return (h & 0x8000u) ? -v : v;
}

static int read_float(cbor_reader_t *r, unsigned ai, cbor_item_t *it)
{
    size_t w = (size_t)1 << (ai - 24); /* 2, 4, 8 */
    if ((size_t)(r->end - r->p) < w) return LWM2M_ERR_FORMAT;
    uint64_t bits = get_be(r->p, w);
    r->p += w;
    if (w == 2) {
        it->f = half_to_double((uint16_t)bits);
    } else if (w == 4) {
        uint32_t b = (uint32_t)bits;
        float f;
        memcpy(&f, &b, sizeof f);
        it->f = f;
    } else {
        memcpy(&it->f, &bits, sizeof it->f);
    }
    it->type = CBOR_T_FLOAT;
    return 0;
}

/* Decodes the item whose head starts at |r->p| (not a break) into |*it|. */
static int read_item(cbor_reader_t *r, cbor_item_t *it)
{
    unsigned ib = *r->p++, mt = ib >> 5, ai = ib & 0x1fu;
    uint64_t arg = ai;
    size_t left;

    if (mt == MT_SIMPLE && ai >= 25 && ai <= 27) return read_float(r, ai, it);
    if (ai >= 24 && ai <= 27) {
        size_t w = (size_t)1 << (ai - 24);
        if ((size_t)(r->end - r->p) < w) return LWM2M_ERR_FORMAT;
        arg = get_be(r->p, w);
        r->p += w;
    } else if (ai >= 28 && ai < AI_INDEFINITE) {
        return LWM2M_ERR_FORMAT; /* reserved, RFC 8949 §3 */
    }
    left = (size_t)(r->end - r->p);
    it->u = arg;

    switch (mt) {
    case MT_UINT:
    case MT_NEGINT:
        if (ai == AI_INDEFINITE) return LWM2M_ERR_FORMAT;
        it->type = mt == MT_UINT ? CBOR_T_UINT : CBOR_T_NEGINT;
        return 0;
    case MT_BYTES:
    case MT_TEXT:
        if (ai == AI_INDEFINITE) return LWM2M_ERR_TYPE;
        if (arg > left) return LWM2M_ERR_FORMAT;
        it->type = mt == MT_BYTES ? CBOR_T_BYTES : CBOR_T_TEXT;
        it->str.p = r->p;
        it->str.len = (size_t)arg;
        r->p += arg;
        return 0;
    case MT_ARRAY:
    case MT_MAP:
        if (ai == AI_INDEFINITE) {
            it->indefinite = true;
            it->u = 0;
        } else if (arg > (mt == MT_MAP ? left / 2 : left)) {
            return LWM2M_ERR_FORMAT; /* more items than bytes left */
        }
        it->type = mt == MT_ARRAY ? CBOR_T_ARRAY : CBOR_T_MAP;
        return 0;
    case MT_TAG:
        if (ai == AI_INDEFINITE) return LWM2M_ERR_FORMAT;
        it->type = CBOR_T_TAG;
        return 0;
    default:                                              /* MT_SIMPLE, RFC 8949 §3.3 */
        if (ai == AI_INDEFINITE) return LWM2M_ERR_FORMAT; /* a break where an item must be */
        if (ai == 24 && arg < 32) return LWM2M_ERR_FORMAT;
        switch (arg) {
        case 20: it->type = CBOR_T_FALSE; break;
        case 21: it->type = CBOR_T_TRUE; break;
        case 22: it->type = CBOR_T_NULL; break;
        case 23: it->type = CBOR_T_UNDEFINED; break;
        default: it->type = CBOR_T_SIMPLE; break;
        }
        return 0;
    }
}

int cbor_next(cbor_reader_t *r, cbor_item_t *it)
{
    cbor_level_t *l = r->depth > 0 ? &r->lvl[r->depth - 1] : NULL;
    int rc;
    it->indefinite = false;
    it->u = 0;

    if (l == NULL && r->p == r->end) {
        if (r->tag_pending) return LWM2M_ERR_FORMAT;
        it->type = CBOR_T_END;
        return 0;
    }
    if (l != NULL && !l->indefinite && l->left == 0) {
        r->depth--; /* a tag inside keeps |left| above 0, so none is pending */
        it->type = CBOR_T_END;
        return 0;
    }
    if (r->p == r->end) return LWM2M_ERR_FORMAT;
    if (*r->p == BREAK_BYTE && l != NULL && l->indefinite) {
        if (l->in_value || r->tag_pending) return LWM2M_ERR_FORMAT;
        r->p++;
        r->depth--;
        it->type = CBOR_T_END;
        return 0;
    }
    if ((rc = read_item(r, it)) < 0) return rc;
    if (it->type == CBOR_T_TAG) {
        r->tag_pending = true; /* the content takes the container slot */
        return 0;
    }
    bool push = it->type == CBOR_T_ARRAY || it->type == CBOR_T_MAP;
    if (push && r->depth == CBOR_MAX_DEPTH) return LWM2M_ERR_LIMIT;
    r->tag_pending = false;
    if (l != NULL) {
        if (!l->indefinite) l->left--;
        if (l->map) l->in_value = !l->in_value;
    }
    if (push) {
        cbor_level_t *n = &r->lvl[r->depth++];
        n->indefinite = it->indefinite;
        n->map = it->type == CBOR_T_MAP;
        n->left = n->map ? it->u * 2 : it->u;
        n->in_value = false;
    }
    return 0;
}

int cbor_skip(cbor_reader_t *r)
{
    unsigned d = r->depth;
    cbor_item_t it;
    int rc;
    for (;;) {
        unsigned before = r->depth;
        if ((rc = cbor_next(r, &it)) < 0) return rc;
        if (it.type == CBOR_T_END && before == d) return LWM2M_ERR_FORMAT; /* nothing to skip */
        if (it.type != CBOR_T_TAG && r->depth == d) return 0;
    }
}

int cbor_item_int64(const cbor_item_t *it, int64_t *out)
{
    if (it->type != CBOR_T_UINT && it->type != CBOR_T_NEGINT) return LWM2M_ERR_TYPE;
    if (it->u > (uint64_t)INT64_MAX) return LWM2M_ERR_RANGE;
    *out = it->type == CBOR_T_UINT ? (int64_t)it->u : -1 - (int64_t)it->u;
    return 0;
}

/* ---- writer ---- */

void cbor_writer_init(cbor_writer_t *w, uint8_t *buf, size_t cap)
{
    w->buf = buf;
    w->cap = buf != NULL ? cap : 0;
    w->len = 0;
    w->err = 0;
}

/* Appends |hl| head bytes and |plen| payload bytes, all or nothing. */
static int append(cbor_writer_t *w, const uint8_t *h, size_t hl, const void *payload, size_t plen)
{
    if (w->err) return w->err;
    size_t room = w->cap - w->len;
    if (hl > room || plen > room - hl) {
        w->err = LWM2M_ERR_NOSPACE;
        return w->err;
    }
    memcpy(w->buf + w->len, h, hl);
    if (plen > 0) memcpy(w->buf + w->len + hl, payload, plen);
    w->len += hl + plen;
    return 0;
}

/* Preferred serialization of a head: the shortest argument (RFC 8949 §4.1). */
static int put_head(cbor_writer_t *w, unsigned mt, uint64_t arg, const void *payload, size_t plen)
{
    uint8_t h[9];
    size_t hl, wid;
    if (arg < 24) {
        h[0] = (uint8_t)(mt << 5 | arg);
        return append(w, h, 1, payload, plen);
    }
    if (arg <= 0xff)
        wid = 1;
    else if (arg <= 0xffff)
        wid = 2;
    else if (arg <= 0xffffffffu)
        wid = 4;
    else
        wid = 8;
    h[0] = (uint8_t)(mt << 5 | (wid == 1 ? 24u : wid == 2 ? 25u : wid == 4 ? 26u : 27u));
    for (hl = wid; hl > 0; hl--, arg >>= 8)
        h[hl] = (uint8_t)arg;
    return append(w, h, 1 + wid, payload, plen);
}

int cbor_put_uint(cbor_writer_t *w, uint64_t v)
{
    return put_head(w, MT_UINT, v, NULL, 0);
}

int cbor_put_int(cbor_writer_t *w, int64_t v)
{
    /* ~(uint64_t)v is -1 - v for negative v, without signed overflow */
    return v >= 0 ? put_head(w, MT_UINT, (uint64_t)v, NULL, 0)
                  : put_head(w, MT_NEGINT, ~(uint64_t)v, NULL, 0);
}

int cbor_put_negint(cbor_writer_t *w, uint64_t n)
{
    return put_head(w, MT_NEGINT, n, NULL, 0);
}

int cbor_put_bytes(cbor_writer_t *w, const void *p, size_t len)
{
    return put_head(w, MT_BYTES, len, p, len);
}

int cbor_put_text(cbor_writer_t *w, const char *p, size_t len)
{
    return put_head(w, MT_TEXT, len, p, len);
}

int cbor_put_array(cbor_writer_t *w, uint64_t count)
{
    return put_head(w, MT_ARRAY, count, NULL, 0);
}

int cbor_put_map(cbor_writer_t *w, uint64_t pairs)
{
    return put_head(w, MT_MAP, pairs, NULL, 0);
}

int cbor_put_tag(cbor_writer_t *w, uint64_t tag)
{
    return put_head(w, MT_TAG, tag, NULL, 0);
}

int cbor_put_bool(cbor_writer_t *w, bool b)
{
    uint8_t h = b ? 0xf5 : 0xf4;
    return append(w, &h, 1, NULL, 0);
}

int cbor_put_null(cbor_writer_t *w)
{
    uint8_t h = 0xf6;
    return append(w, &h, 1, NULL, 0);
}

/* Half-precision bits of |f| when the conversion is exact (RFC 8949 §4.2.2
 * preferred serialization); |f| is finite or infinite, not NaN. */
static bool float_to_half(float f, uint16_t *out)
{
    uint32_t b;
    memcpy(&b, &f, sizeof b);
    uint16_t s = (uint16_t)((b >> 16) & 0x8000u);
    uint32_t e = (b >> 23) & 0xffu, m = b & 0x7fffffu;
    if (e == 0xff) { /* infinity */
        *out = s | 0x7c00u;
        return true;
    }
    if (e == 0) { /* zero; single subnormals are far below half's range */
        *out = s;
        return m == 0;
    }
    int ue = (int)e - 127;
    if (ue > 15 || ue < -24) return false;
    if (ue >= -14) { /* half normal: 10 mantissa bits */
        if (m & 0x1fffu) return false;
        *out = (uint16_t)(s | (uint32_t)(ue + 15) << 10 | m >> 13);
        return true;
    }
    /* half subnormal: value = mh * 2^-24 */
    uint32_t full = m | 0x800000u;
    unsigned sh = (unsigned)(-ue - 1); /* 14..23 */
    if (full & ((1u << sh) - 1)) return false;
    *out = (uint16_t)(s | full >> sh);
    return true;
}

int cbor_put_float(cbor_writer_t *w, double f)
{
    uint8_t h[9];
    if (isnan(f)) {
        static const uint8_t qnan[3] = {0xf9, 0x7e, 0x00};
        return append(w, qnan, 3, NULL, 0);
    }
    if (isinf(f) || fabs(f) <= FLT_MAX) {
        float s = (float)f;
        if ((double)s == f) {
            uint16_t half;
            if (float_to_half(s, &half)) {
                h[0] = 0xf9;
                h[1] = (uint8_t)(half >> 8);
                h[2] = (uint8_t)half;
                return append(w, h, 3, NULL, 0);
            }
            uint32_t b;
            memcpy(&b, &s, sizeof b);
            h[0] = 0xfa;
            for (int i = 4; i > 0; i--, b >>= 8)
                h[i] = (uint8_t)b;
            return append(w, h, 5, NULL, 0);
        }
    }
    uint64_t b;
    memcpy(&b, &f, sizeof b);
    h[0] = 0xfb;
    for (int i = 8; i > 0; i--, b >>= 8)
        h[i] = (uint8_t)b;
    return append(w, h, 9, NULL, 0);
}

int cbor_writer_result(const cbor_writer_t *w)
{
    if (w->err) return w->err;
    if (w->len > INT_MAX) return LWM2M_ERR_NOSPACE;
    return (int)w->len;
}
