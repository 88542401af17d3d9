/*
 * senml_json.c — SenML JSON encoder and decoder (see senml_json.h).
 *
 * The encoder is hand-written and writes straight into the caller's
 * buffer: it runs for every Bootstrap-Write. The decoder is a small
 * bounded recursive-descent JSON reader rather than jansson: SenML needs
 * only an array of flat objects, and reading it ourselves means no
 * allocation (hence no leak on any error path), strings that point into
 * the input, exact int64/uint64 numbers, and limits (size, depth, label
 * and name length) checked where the bytes are read. Nested values are
 * only ever skipped (unknown labels), with the depth bound.
 */
#include "bsd/lwm2m/senml_json.h"

#include "bsd/util/utf8.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Encoder ------------------------------------------------------------ */

/* Output cursor; |full| latches once anything did not fit. */
typedef struct {
    char *p;
    size_t cap, len;
    bool full;
} wbuf_t;

static void put(wbuf_t *w, const char *s, size_t n)
{
    if (n > w->cap - w->len) {
        w->full = true;
        return;
    }
    if (n > 0) memcpy(w->p + w->len, s, n);
    w->len += n;
}

#define PUTS(w, lit) put((w), (lit), sizeof(lit) - 1)

static void put_ch(wbuf_t *w, char c)
{
    if (w->len == w->cap) {
        w->full = true;
        return;
    }
    w->p[w->len++] = c;
}

static void put_u64(wbuf_t *w, uint64_t u)
{
    char tmp[20];
    size_t i = sizeof tmp;
    do {
        tmp[--i] = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    put(w, tmp + i, sizeof tmp - i);
}

static void put_i64(wbuf_t *w, int64_t v)
{
    if (v < 0) {
        put_ch(w, '-');
        put_u64(w, 0 - (uint64_t)v); /* also right for INT64_MIN */
    } else {
        put_u64(w, (uint64_t)v);
    }
}

static uint16_t path_part(const lwm2m_path_t *p, int i)
{
    switch (i) {
    case 0: return p->obj;
    case 1: return p->inst;
    case 2: return p->res;
    default: return p->rinst;
    }
}

/* Writes parts [from, depth) of |p| separated by "/", with a leading "/"
 * when |lead|. */
static void put_parts(wbuf_t *w, const lwm2m_path_t *p, int from, bool lead)
{
    for (int i = from; i < p->depth; i++) {
        if (lead || i > from) put_ch(w, '/');
        put_u64(w, path_part(p, i));
    }
}

/* JSON string body (RFC 8259 §7): quote, backslash and C0 controls are
 * escaped; everything else, including valid UTF-8, is copied. */
static void put_escaped(wbuf_t *w, const uint8_t *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    size_t run = 0; /* start of the pending run of plain bytes */
    for (size_t i = 0; i < n; i++) {
        uint8_t c = s[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        put(w, (const char *)s + run, i - run);
        run = i + 1;
        switch (c) {
        case '"': PUTS(w, "\\\""); break;
        case '\\': PUTS(w, "\\\\"); break;
        case '\b': PUTS(w, "\\b"); break;
        case '\f': PUTS(w, "\\f"); break;
        case '\n': PUTS(w, "\\n"); break;
        case '\r': PUTS(w, "\\r"); break;
        case '\t': PUTS(w, "\\t"); break;
        default: {
            char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            put(w, u, sizeof u);
        }
        }
    }
    put(w, (const char *)s + run, n - run);
}

/* base64url without padding (RFC 4648 §5; RFC 8428 §5 for "vd"). */
static void put_b64url(wbuf_t *w, const uint8_t *s, size_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t need = n / 3 * 4 + (n % 3 ? n % 3 + 1 : 0);
    if (need > w->cap - w->len) {
        w->full = true;
        return;
    }
    char *o = w->p + w->len;
    size_t i = 0;
    for (; i + 3 <= n; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
        *o++ = tab[v >> 18];
        *o++ = tab[v >> 12 & 63];
        *o++ = tab[v >> 6 & 63];
        *o++ = tab[v & 63];
    }
    if (n - i == 1) {
        uint32_t v = (uint32_t)s[i] << 16;
        *o++ = tab[v >> 18];
        *o++ = tab[v >> 12 & 63];
    } else if (n - i == 2) {
        uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8;
        *o++ = tab[v >> 18];
        *o++ = tab[v >> 12 & 63];
        *o++ = tab[v >> 6 & 63];
    }
    w->len += need;
}

/* Shortest of %.15g/%.16g/%.17g that strtod reads back as |f| (17 always
 * does), plus ".0" when it would otherwise look like an integer, so that
 * the reader keeps it a float. |f| is finite. */
static void put_double(wbuf_t *w, double f)
{
    char buf[40];
    int n = 0;
    for (int prec = 15; prec <= 17; prec++) {
        n = snprintf(buf, sizeof buf - 2, "%.*g", prec, f);
        if (prec == 17 || strtod(buf, NULL) == f) break;
    }
    if (n <= 0 || (size_t)n >= sizeof buf - 2) { /* cannot happen for %.17g of a finite double */
        w->full = true;
        return;
    }
    if (strpbrk(buf, ".eE") == NULL) {
        buf[n++] = '.';
        buf[n++] = '0';
    }
    put(w, buf, (size_t)n);
}

static int put_value(wbuf_t *w, const lwm2m_value_t *v)
{
    switch (v->type) {
    case LWM2M_T_STRING:
    case LWM2M_T_CORELNK:
        if (v->bytes.len > 0 && !utf8_valid(v->bytes.p, v->bytes.len)) return LWM2M_ERR_RANGE;
        PUTS(w, "\"vs\":\"");
        if (v->bytes.len > 0) put_escaped(w, v->bytes.p, v->bytes.len);
        put_ch(w, '"');
        return 0;
    case LWM2M_T_INTEGER:
    case LWM2M_T_TIME:
        PUTS(w, "\"v\":");
        put_i64(w, v->i);
        return 0;
    case LWM2M_T_UNSIGNED:
        PUTS(w, "\"v\":");
        put_u64(w, v->u);
        return 0;
    case LWM2M_T_FLOAT:
        if (!isfinite(v->f)) return LWM2M_ERR_RANGE;
        PUTS(w, "\"v\":");
        put_double(w, v->f);
        return 0;
    case LWM2M_T_BOOLEAN:
        if (v->b)
            PUTS(w, "\"vb\":true");
        else
            PUTS(w, "\"vb\":false");
        return 0;
    case LWM2M_T_OPAQUE:
        PUTS(w, "\"vd\":\"");
        if (v->bytes.len > 0) put_b64url(w, v->bytes.p, v->bytes.len);
        put_ch(w, '"');
        return 0;
    case LWM2M_T_OBJLNK:
        PUTS(w, "\"vlo\":\"");
        put_u64(w, v->lnk.obj);
        put_ch(w, ':');
        put_u64(w, v->lnk.inst);
        put_ch(w, '"');
        return 0;
    default: return LWM2M_ERR_TYPE;
    }
}

/* Records must be depth 3/4 under |target|, strictly increasing, and a
 * resource may not appear both whole and by instance (the data model's
 * shape; the same rules as tlv_encode). */
static int check_records(const lwm2m_path_t *target, const lwm2m_record_t *recs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const lwm2m_path_t *p = &recs[i].path;
        if (p->depth < 3 || p->depth > 4 || !lwm2m_path_under(p, target)) return LWM2M_ERR_PATH;
        if (p->depth == target->depth && n > 1) return LWM2M_ERR_PATH;
        if (i > 0) {
            const lwm2m_path_t *q = &recs[i - 1].path;
            if (lwm2m_path_cmp(q, p) >= 0 || lwm2m_path_under(p, q)) return LWM2M_ERR_PATH;
        }
    }
    return 0;
}

int senml_json_encode(const lwm2m_path_t *target, const lwm2m_record_t *recs, size_t n, char *out, size_t cap)
{
    if (target->depth > 4) return LWM2M_ERR_PATH;
    int rc = check_records(target, recs, n);
    if (rc < 0) return rc;
    if (cap > (size_t)INT32_MAX) cap = INT32_MAX; /* the length is returned as an int */

    wbuf_t w = {out, cap, 0, false};
    put_ch(&w, '[');
    for (size_t i = 0; i < n; i++) {
        const lwm2m_path_t *p = &recs[i].path;
        if (i > 0) put_ch(&w, ',');
        put_ch(&w, '{');
        if (i == 0 && p->depth == target->depth) {
            PUTS(&w, "\"bn\":\""); /* the single record is the target: S1, S4 */
            put_parts(&w, p, 0, true);
            PUTS(&w, "\",");
        } else {
            if (i == 0) {
                PUTS(&w, "\"bn\":\"");
                put_parts(&w, target, 0, true);
                PUTS(&w, "/\",");
            }
            PUTS(&w, "\"n\":\"");
            put_parts(&w, p, target->depth, false);
            PUTS(&w, "\",");
        }
        rc = put_value(&w, &recs[i].v);
        if (rc < 0) return rc;
        put_ch(&w, '}');
        if (w.full) return LWM2M_ERR_NOSPACE;
    }
    put_ch(&w, ']');
    if (w.full) return LWM2M_ERR_NOSPACE;
    return (int)w.len;
}

/* ---- Decoder: JSON lexing ----------------------------------------------- */

typedef struct {
    const uint8_t *p, *end;
} cur_t;

/* A JSON string as found in the input: the bytes between the quotes,
 * already validated, and whether any escape needs resolving. */
typedef struct {
    const uint8_t *s;
    size_t len;
    bool esc;
} jstr_t;

static void skip_ws(cur_t *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static int hexval(uint8_t h)
{
    if (h >= '0' && h <= '9') return h - '0';
    if (h >= 'a' && h <= 'f') return h - 'a' + 10;
    if (h >= 'A' && h <= 'F') return h - 'A' + 10;
    return -1;
}

/* Reads the 4 hex digits after "\u" at |p| (|n| bytes available). */
static int hex4(const uint8_t *p, size_t n, uint32_t *out)
{
    if (n < 4) return -1;
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(p[i]);
        if (h < 0) return -1;
        v = v << 4 | (uint32_t)h;
    }
    *out = v;
    return 0;
}

/* Scans the string starting at the opening quote; validates escapes
 * (surrogates must pair), control characters and UTF-8. */
static int scan_string(cur_t *c, jstr_t *out)
{
    if (c->p >= c->end || *c->p != '"') return LWM2M_ERR_FORMAT;
    const uint8_t *p = ++c->p, *end = c->end;
    out->s = p;
    out->esc = false;
    while (p < end) {
        uint8_t ch = *p;
        if (ch == '"') {
            out->len = (size_t)(p - out->s);
            c->p = p + 1;
            return 0;
        }
        if (ch < 0x20) return LWM2M_ERR_FORMAT;
        if (ch == '\\') {
            out->esc = true;
            if (end - p < 2) return LWM2M_ERR_FORMAT;
            uint8_t e = p[1];
            if (e == 'u') {
                uint32_t u;
                if (hex4(p + 2, (size_t)(end - p - 2), &u) < 0) return LWM2M_ERR_FORMAT;
                p += 6;
                if (u >= 0xdc00 && u <= 0xdfff) return LWM2M_ERR_FORMAT; /* lone low surrogate */
                if (u >= 0xd800 && u <= 0xdbff) {
                    uint32_t lo;
                    if (end - p < 6 || p[0] != '\\' || p[1] != 'u' || hex4(p + 2, 4, &lo) < 0 ||
                        lo < 0xdc00 || lo > 0xdfff)
                        return LWM2M_ERR_FORMAT;
                    p += 6;
                }
                continue;
            }
            if (!strchr("\"\\/bfnrt", e) || e == 0) return LWM2M_ERR_FORMAT;
            p += 2;
            continue;
        }
        if (ch < 0x80) {
            p++;
            continue;
        }
        size_t k = utf8_seq(p, (size_t)(end - p));
        if (k == 0) return LWM2M_ERR_FORMAT;
        p += k;
    }
    return LWM2M_ERR_FORMAT; /* unterminated */
}

/* Resolves the escapes of a scanned string into |dst| (|cap| bytes).
 * Never writes more than |s->len| bytes. Returns 0 or LWM2M_ERR_NOSPACE. */
static int unescape(const jstr_t *s, uint8_t *dst, size_t cap, size_t *out_len)
{
    if (!s->esc) {
        if (s->len > cap) return LWM2M_ERR_NOSPACE;
        if (s->len > 0) memcpy(dst, s->s, s->len);
        *out_len = s->len;
        return 0;
    }
    size_t o = 0;
    const uint8_t *p = s->s, *end = s->s + s->len;
    while (p < end) {
        uint8_t tmp[4];
        size_t k = 1;
        if (*p != '\\') {
            tmp[0] = *p++;
        } else if (p[1] != 'u') {
            static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
            tmp[0] = (uint8_t)to[strchr(from, p[1]) - from];
            p += 2;
        } else {
            uint32_t u, lo;
            hex4(p + 2, 4, &u); /* validated by scan_string */
            p += 6;
            if (u >= 0xd800 && u <= 0xdbff) {
                hex4(p + 2, 4, &lo);
                p += 6;
                u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
            }
            if (u < 0x80) {
                tmp[0] = (uint8_t)u;
            } else if (u < 0x800) {
                tmp[0] = (uint8_t)(0xc0 | u >> 6);
                tmp[1] = (uint8_t)(0x80 | (u & 63));
                k = 2;
            } else if (u < 0x10000) {
                tmp[0] = (uint8_t)(0xe0 | u >> 12);
                tmp[1] = (uint8_t)(0x80 | (u >> 6 & 63));
                tmp[2] = (uint8_t)(0x80 | (u & 63));
                k = 3;
            } else {
                tmp[0] = (uint8_t)(0xf0 | u >> 18);
                tmp[1] = (uint8_t)(0x80 | (u >> 12 & 63));
                tmp[2] = (uint8_t)(0x80 | (u >> 6 & 63));
                tmp[3] = (uint8_t)(0x80 | (u & 63));
                k = 4;
            }
        }
        if (k > cap - o) return LWM2M_ERR_NOSPACE;
        memcpy(dst + o, tmp, k);
        o += k;
    }
    *out_len = o;
    return 0;
}

/* Scans a JSON number (RFC 8259 §6) into |v|: INTEGER, UNSIGNED or FLOAT
 * as senml_json.h describes. */
static int scan_number(cur_t *c, lwm2m_value_t *v)
{
    const uint8_t *p = c->p, *end = c->end, *start = p;
    bool neg = false, frac = false;
    if (p < end && *p == '-') {
        neg = true;
        p++;
    }
    const uint8_t *digits = p;
    if (p >= end || *p < '0' || *p > '9') return LWM2M_ERR_FORMAT;
    if (*p == '0') {
        p++;
    } else {
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    const uint8_t *int_end = p;
    if (p < end && *p == '.') {
        frac = true;
        p++;
        if (p >= end || *p < '0' || *p > '9') return LWM2M_ERR_FORMAT;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        frac = true;
        p++;
        if (p < end && (*p == '+' || *p == '-')) p++;
        if (p >= end || *p < '0' || *p > '9') return LWM2M_ERR_FORMAT;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    size_t n = (size_t)(p - start);
    if (n > SENML_JSON_MAX_NUM) return LWM2M_ERR_LIMIT;
    c->p = p;

    if (!frac) {
        uint64_t u = 0;
        bool over = false;
        for (const uint8_t *q = digits; q < int_end && !over; q++) {
            unsigned d = (unsigned)(*q - '0');
            if (u > (UINT64_MAX - d) / 10)
                over = true;
            else
                u = u * 10 + d;
        }
        if (!over && !neg && u <= (uint64_t)INT64_MAX) {
            v->type = LWM2M_T_INTEGER;
            v->i = (int64_t)u;
            return 0;
        }
        if (!over && !neg) {
            v->type = LWM2M_T_UNSIGNED;
            v->u = u;
            return 0;
        }
        if (!over && u <= (uint64_t)INT64_MAX + 1) {
            v->type = LWM2M_T_INTEGER;
            v->i = u == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)u;
            return 0;
        }
        /* beyond 64 bits: a float, like any other JSON number */
    }
    char buf[SENML_JSON_MAX_NUM + 1];
    memcpy(buf, start, n);
    buf[n] = 0;
    char *e;
    double f = strtod(buf, &e);
    if (e != buf + n) return LWM2M_ERR_FORMAT; /* only under a non-"C" LC_NUMERIC */
    if (!isfinite(f)) return LWM2M_ERR_RANGE;
    v->type = LWM2M_T_FLOAT;
    v->f = f;
    return 0;
}

static int scan_literal(cur_t *c, const char *lit)
{
    size_t n = strlen(lit);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, lit, n) != 0) return LWM2M_ERR_FORMAT;
    c->p += n;
    return 0;
}

/* Skips any JSON value; |depth| is the nesting level the value sits at. */
static int skip_value(cur_t *c, int depth)
{
    if (c->p >= c->end) return LWM2M_ERR_FORMAT;
    uint8_t ch = *c->p;
    if (ch == '"') {
        jstr_t s;
        return scan_string(c, &s);
    }
    if (ch == 't') return scan_literal(c, "true");
    if (ch == 'f') return scan_literal(c, "false");
    if (ch == 'n') return scan_literal(c, "null");
    if (ch == '-' || (ch >= '0' && ch <= '9')) {
        lwm2m_value_t v;
        int rc = scan_number(c, &v);
        return rc == LWM2M_ERR_RANGE ? 0 : rc; /* an ignored 1e999 is harmless */
    }
    if (ch != '[' && ch != '{') return LWM2M_ERR_FORMAT;
    if (depth + 1 > SENML_JSON_MAX_DEPTH) return LWM2M_ERR_LIMIT;
    uint8_t close = ch == '[' ? ']' : '}';
    c->p++;
    skip_ws(c);
    if (c->p < c->end && *c->p == close) {
        c->p++;
        return 0;
    }
    for (;;) {
        int rc;
        if (close == '}') {
            jstr_t k;
            if ((rc = scan_string(c, &k)) < 0) return rc;
            skip_ws(c);
            if (c->p >= c->end || *c->p != ':') return LWM2M_ERR_FORMAT;
            c->p++;
            skip_ws(c);
        }
        if ((rc = skip_value(c, depth + 1)) < 0) return rc;
        skip_ws(c);
        if (c->p >= c->end) return LWM2M_ERR_FORMAT;
        if (*c->p == close) {
            c->p++;
            return 0;
        }
        if (*c->p != ',') return LWM2M_ERR_FORMAT;
        c->p++;
        skip_ws(c);
    }
}

/* ---- Decoder: SenML ----------------------------------------------------- */

/* base64 digit of either alphabet (RFC 4648 §4 and §5), or -1. */
static int b64_digit(uint8_t ch)
{
    if (ch >= 'A' && ch <= 'Z') return ch - 'A';
    if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9') return ch - '0' + 52;
    if (ch == '+' || ch == '-') return 62;
    if (ch == '/' || ch == '_') return 63;
    return -1;
}

/* Decodes |n| base64 characters into |dst|; |dst| may equal |s| (each
 * quantum is read before its bytes are written, and output never
 * overtakes input). Padding: none, or exactly enough to reach a multiple
 * of 4. Non-zero bits in the last digit are tolerated (RFC 4648 §3.5). */
static int b64_decode(const uint8_t *s, size_t n, uint8_t *dst, size_t cap, size_t *out_len)
{
    size_t pad = 0;
    while (n > 0 && s[n - 1] == '=') {
        n--;
        pad++;
    }
    if (pad > 2 || (pad > 0 && (n + pad) % 4 != 0) || n % 4 == 1) return LWM2M_ERR_FORMAT;
    size_t need = n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0);
    if (need > cap) return LWM2M_ERR_NOSPACE;
    size_t o = 0;
    for (size_t i = 0; i < n; i += 4) {
        size_t k = n - i < 4 ? n - i : 4;
        uint32_t v = 0;
        for (size_t j = 0; j < 4; j++) {
            int d = j < k ? b64_digit(s[i + j]) : 0;
            if (d < 0) return LWM2M_ERR_FORMAT;
            v = v << 6 | (uint32_t)d;
        }
        dst[o++] = (uint8_t)(v >> 16);
        if (k > 2) dst[o++] = (uint8_t)(v >> 8);
        if (k > 3) dst[o++] = (uint8_t)v;
    }
    *out_len = o;
    return 0;
}

/* "obj:inst", each 0..65535 (65535:65535 is the null link). */
static int parse_objlnk(const uint8_t *s, size_t n, lwm2m_objlnk_t *out)
{
    uint32_t part[2] = {0, 0};
    size_t i = 0;
    for (int k = 0; k < 2; k++) {
        size_t start = i;
        while (i < n && s[i] >= '0' && s[i] <= '9' && i - start < 5) {
            part[k] = part[k] * 10 + (uint32_t)(s[i] - '0');
            i++;
        }
        if (i == start || part[k] > 0xffff) return LWM2M_ERR_FORMAT;
        if (k == 0) {
            if (i >= n || s[i] != ':') return LWM2M_ERR_FORMAT;
            i++;
        }
    }
    if (i != n) return LWM2M_ERR_FORMAT;
    out->obj = (uint16_t)part[0];
    out->inst = (uint16_t)part[1];
    return 0;
}

/* Labels we know (RFC 8428 §4.3 plus LwM2M's "vlo"), as bits. */
enum {
    L_BN = 1 << 0,
    L_BT = 1 << 1,
    L_BU = 1 << 2,
    L_BV = 1 << 3,
    L_BS = 1 << 4,
    L_BVER = 1 << 5,
    L_N = 1 << 6,
    L_U = 1 << 7,
    L_V = 1 << 8,
    L_VS = 1 << 9,
    L_VB = 1 << 10,
    L_VD = 1 << 11,
    L_VLO = 1 << 12,
    L_S = 1 << 13,
    L_T = 1 << 14,
    L_UT = 1 << 15,
};
#define L_VALUES (L_V | L_VS | L_VB | L_VD | L_VLO)

static int label_bit(const uint8_t *k, size_t n)
{
    static const struct {
        const char *name;
        int bit;
    } labels[] = {
        {"bn", L_BN},   {"bt", L_BT}, {"bu", L_BU}, {"bv", L_BV}, {"bs", L_BS}, {"bver", L_BVER},
        {"n", L_N},     {"u", L_U},   {"v", L_V},   {"vs", L_VS}, {"vb", L_VB}, {"vd", L_VD},
        {"vlo", L_VLO}, {"s", L_S},   {"t", L_T},   {"ut", L_UT},
    };
    for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++)
        if (strlen(labels[i].name) == n && memcmp(labels[i].name, k, n) == 0) return labels[i].bit;
    return 0;
}

/* Decoder state that outlives one record. */
typedef struct {
    cur_t c;
    char bn[SENML_JSON_MAX_NAME]; /* current base name, unescaped */
    size_t bn_len;
    bool has_bv;
    lwm2m_value_t bv; /* base value, numeric */
    uint8_t *scratch;
    size_t scratch_cap, scratch_used;
} dec_t;

/* A string field into a small local buffer (labels, names, vlo);
 * |too_long| is returned when it does not fit. */
static int small_string(dec_t *d, char *buf, size_t cap, size_t *len, int too_long)
{
    jstr_t s;
    int rc = scan_string(&d->c, &s);
    if (rc < 0) return rc;
    if (unescape(&s, (uint8_t *)buf, cap, len) < 0) return too_long;
    return 0;
}

/* Free part of the scratch buffer (NULL when the caller gave none). */
static uint8_t *scratch_at(dec_t *d)
{
    return d->scratch != NULL ? d->scratch + d->scratch_used : NULL;
}

static double as_double(const lwm2m_value_t *v)
{
    if (v->type == LWM2M_T_INTEGER) return (double)v->i;
    if (v->type == LWM2M_T_UNSIGNED) return (double)v->u;
    return v->f;
}

/* v += bv, exactly when both are int64 and it fits, else as doubles. */
static int add_base(lwm2m_value_t *v, const lwm2m_value_t *bv)
{
    if (bv->type == LWM2M_T_INTEGER && bv->i == 0) return 0;
    if (v->type == LWM2M_T_INTEGER && bv->type == LWM2M_T_INTEGER) {
        int64_t r;
        if (!__builtin_add_overflow(v->i, bv->i, &r)) {
            v->i = r;
            return 0;
        }
    }
    double r = as_double(v) + as_double(bv);
    if (!isfinite(r)) return LWM2M_ERR_RANGE;
    v->type = LWM2M_T_FLOAT;
    v->f = r;
    return 0;
}

/* What one record has collected so far. */
typedef struct {
    int seen; /* L_* labels met */
    char name[SENML_JSON_MAX_NAME];
    size_t name_len;
    lwm2m_value_t val;
} rec_t;

/* "vs": into the input when there is nothing to unescape. */
static int field_vs(dec_t *d, lwm2m_value_t *val)
{
    jstr_t s;
    int rc = scan_string(&d->c, &s);
    if (rc < 0) return rc;
    val->type = LWM2M_T_STRING;
    if (!s.esc) {
        val->bytes.p = s.s;
        val->bytes.len = s.len;
        return 0;
    }
    uint8_t *dst = scratch_at(d);
    if (unescape(&s, dst, d->scratch_cap - d->scratch_used, &val->bytes.len) < 0) return LWM2M_ERR_NOSPACE;
    val->bytes.p = dst;
    d->scratch_used += val->bytes.len;
    return 0;
}

/* "vd": base64 into the scratch buffer (escapes resolved first, then
 * decoded in place). */
static int field_vd(dec_t *d, lwm2m_value_t *val)
{
    jstr_t s;
    int rc = scan_string(&d->c, &s);
    if (rc < 0) return rc;
    uint8_t *dst = scratch_at(d);
    size_t room = d->scratch_cap - d->scratch_used, n = s.len;
    const uint8_t *src = s.s;
    if (s.esc) {
        if (unescape(&s, dst, room, &n) < 0) return LWM2M_ERR_NOSPACE;
        src = dst;
    }
    if ((rc = b64_decode(src, n, dst, room, &val->bytes.len)) < 0) return rc;
    val->type = LWM2M_T_OPAQUE;
    val->bytes.p = dst;
    d->scratch_used += val->bytes.len;
    return 0;
}

/* The value of known label |bit|, at the cursor. Wrong JSON types are
 * caught by scan_string/scan_number/scan_literal themselves. */
static int parse_field(dec_t *d, int bit, rec_t *r)
{
    cur_t *c = &d->c;
    lwm2m_value_t num;
    jstr_t s;
    size_t n;
    int rc;
    switch (bit) {
    case L_BN: return small_string(d, d->bn, sizeof d->bn, &d->bn_len, LWM2M_ERR_LIMIT);
    case L_N: return small_string(d, r->name, sizeof r->name, &r->name_len, LWM2M_ERR_LIMIT);
    case L_BU:
    case L_U: return scan_string(c, &s);
    case L_BVER:
        if ((rc = scan_number(c, &num)) < 0) return rc == LWM2M_ERR_RANGE ? LWM2M_ERR_FORMAT : rc;
        return (num.type == LWM2M_T_INTEGER && num.i >= 1 && num.i <= SENML_JSON_BVER) ? 0 : LWM2M_ERR_FORMAT;
    case L_BV:
        if ((rc = scan_number(c, &d->bv)) < 0) return rc;
        d->has_bv = true;
        return 0;
    case L_V: return scan_number(c, &r->val);
    case L_VB:
        r->val.type = LWM2M_T_BOOLEAN;
        r->val.b = c->p < c->end && *c->p == 't';
        return scan_literal(c, r->val.b ? "true" : "false");
    case L_VS: return field_vs(d, &r->val);
    case L_VD: return field_vd(d, &r->val);
    case L_VLO: {
        char lnk[16];
        if ((rc = small_string(d, lnk, sizeof lnk, &n, LWM2M_ERR_FORMAT)) < 0) return rc;
        if ((rc = parse_objlnk((const uint8_t *)lnk, n, &r->val.lnk)) < 0) return rc;
        r->val.type = LWM2M_T_OBJLNK;
        return 0;
    }
    default: /* bt, bs, s, t, ut: numbers we do not use */ return scan_number(c, &num);
    }
}

/* Resolves bn + n (RFC 8428 §4.5.1), tolerating a doubled "/", into a
 * depth 3–4 path under |base|. */
static int resolve_name(const dec_t *d, const rec_t *r, const lwm2m_path_t *base, lwm2m_path_t *path)
{
    char full[SENML_JSON_MAX_NAME];
    size_t skip =
        (d->bn_len > 0 && d->bn[d->bn_len - 1] == '/' && r->name_len > 0 && r->name[0] == '/') ? 1 : 0;
    size_t len = d->bn_len + r->name_len - skip;
    if (len > sizeof full) return LWM2M_ERR_LIMIT;
    if (d->bn_len > 0) memcpy(full, d->bn, d->bn_len);
    if (r->name_len > skip) memcpy(full + d->bn_len, r->name + skip, r->name_len - skip);
    if (lwm2m_path_parse(full, len, path) < 0) return LWM2M_ERR_PATH;
    if (path->depth < 3 || (base != NULL && !lwm2m_path_under(path, base))) return LWM2M_ERR_PATH;
    return 0;
}

/* Parses one record object (the cursor is on its "{"); when it has a
 * value, appends it to |recs|. */
static int parse_record(dec_t *d, const lwm2m_path_t *base, lwm2m_record_t *recs, size_t cap, size_t *count)
{
    cur_t *c = &d->c;
    rec_t r = {.seen = 0, .name_len = 0, .val = {.type = LWM2M_T_NONE}};
    int rc;

    c->p++;
    skip_ws(c);
    if (c->p < c->end && *c->p == '}') return LWM2M_ERR_FORMAT; /* neither value nor sum */
    for (;;) {
        char key[SENML_JSON_MAX_KEY];
        size_t klen;
        if ((rc = small_string(d, key, sizeof key, &klen, LWM2M_ERR_LIMIT)) < 0) return rc;
        skip_ws(c);
        if (c->p >= c->end || *c->p != ':') return LWM2M_ERR_FORMAT;
        c->p++;
        skip_ws(c);

        int bit = label_bit((const uint8_t *)key, klen);
        if (bit == 0) {
            if (klen > 0 && key[klen - 1] == '_') return LWM2M_ERR_FORMAT; /* must-understand, §4.4 */
            if ((rc = skip_value(c, 2)) < 0) return rc;
        } else {
            /* a label twice, or a second value field */
            if ((r.seen & bit) || ((bit & L_VALUES) && (r.seen & L_VALUES))) return LWM2M_ERR_FORMAT;
            r.seen |= bit;
            if ((rc = parse_field(d, bit, &r)) < 0) return rc;
        }
        skip_ws(c);
        if (c->p >= c->end) return LWM2M_ERR_FORMAT;
        if (*c->p == '}') break;
        if (*c->p != ',') return LWM2M_ERR_FORMAT;
        c->p++;
        skip_ws(c);
    }
    c->p++; /* '}' */

    if (!(r.seen & L_VALUES)) return (r.seen & L_S) ? 0 : LWM2M_ERR_FORMAT;
    if ((r.seen & L_V) && d->has_bv && (rc = add_base(&r.val, &d->bv)) < 0) return rc;
    lwm2m_path_t path;
    if ((rc = resolve_name(d, &r, base, &path)) < 0) return rc;
    if (*count == cap) return LWM2M_ERR_NOSPACE;
    recs[*count].path = path;
    recs[*count].v = r.val;
    (*count)++;
    return 0;
}

/* Stable insertion sort by path (usually already in order: one pass),
 * then refuse repeats and resource-vs-instance overlaps. */
static int sort_and_check(lwm2m_record_t *recs, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        if (lwm2m_path_cmp(&recs[i - 1].path, &recs[i].path) <= 0) continue;
        lwm2m_record_t t = recs[i];
        size_t j = i;
        while (j > 0 && lwm2m_path_cmp(&recs[j - 1].path, &t.path) > 0) {
            recs[j] = recs[j - 1];
            j--;
        }
        recs[j] = t;
    }
    for (size_t i = 1; i < n; i++)
        if (lwm2m_path_under(&recs[i].path, &recs[i - 1].path)) return LWM2M_ERR_PATH;
    return 0;
}

int senml_json_decode(const lwm2m_path_t *base, const uint8_t *in, size_t len, lwm2m_record_t *recs,
                      size_t cap, uint8_t *scratch, size_t scratch_cap)
{
    if (len > SENML_JSON_MAX_INPUT) return LWM2M_ERR_LIMIT;
    if (scratch == NULL) scratch_cap = 0;
    dec_t d = {.c = {in, in + len}, .scratch = scratch, .scratch_cap = scratch_cap};
    cur_t *c = &d.c;
    size_t count = 0;
    int rc;

    skip_ws(c);
    if (c->p >= c->end || *c->p != '[') return LWM2M_ERR_FORMAT;
    c->p++;
    skip_ws(c);
    if (c->p < c->end && *c->p == ']') {
        c->p++;
    } else {
        for (;;) {
            if (c->p >= c->end || *c->p != '{') return LWM2M_ERR_FORMAT;
            if ((rc = parse_record(&d, base, recs, cap, &count)) < 0) return rc;
            skip_ws(c);
            if (c->p >= c->end) return LWM2M_ERR_FORMAT;
            if (*c->p == ']') {
                c->p++;
                break;
            }
            if (*c->p != ',') return LWM2M_ERR_FORMAT;
            c->p++;
            skip_ws(c);
        }
    }
    skip_ws(c);
    if (c->p != c->end) return LWM2M_ERR_FORMAT;
    if ((rc = sort_and_check(recs, count)) < 0) return rc;
    return (int)count;
}
