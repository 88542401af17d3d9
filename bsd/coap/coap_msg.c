/*
 * coap_msg.c — RFC 7252 codec: strict parser, option accessors, builder.
 *
 * The parser makes one pass over the datagram; option values are not
 * copied. The per-option rules (length ranges, repeatability) come from a
 * single table, opt_rule(), shared by the parser and the builder so that
 * what we emit is exactly what we accept.
 */
#include "bsd/coap/coap_msg.h"

#include <limits.h>
#include <string.h>

/* ---- Option rules (PROTOCOLS.md §6.3; RFC 7252 Table 4, RFC 7959 §2.1,
 * RFC 7641, RFC 7967 §2, RFC 8613 §2, RFC 9175 §2.2.1, §3.2.1) ---------- */

typedef struct {
    uint16_t min;  /* shortest allowed value */
    uint16_t max;  /* longest allowed value */
    uint8_t known; /* 0: not in the table */
    uint8_t rep;   /* repeatable */
} opt_rule_t;

/* Options 0..63 by number; the three above 63 are special-cased. A table
 * rather than a switch: one indexed load per option on the parse path. */
static const opt_rule_t opt_rules_low[64] = {
    [COAP_OPT_IF_MATCH] = {0, 8, 1, 1},
    [COAP_OPT_URI_HOST] = {1, 255, 1, 0},
    [COAP_OPT_ETAG] = {1, 8, 1, 1},
    [COAP_OPT_IF_NONE_MATCH] = {0, 0, 1, 0},
    [COAP_OPT_OBSERVE] = {0, 3, 1, 0},
    [COAP_OPT_URI_PORT] = {0, 2, 1, 0},
    [COAP_OPT_LOCATION_PATH] = {0, 255, 1, 1},
    [COAP_OPT_OSCORE] = {0, 255, 1, 0},
    [COAP_OPT_URI_PATH] = {0, 255, 1, 1},
    [COAP_OPT_CONTENT_FORMAT] = {0, 2, 1, 0},
    [COAP_OPT_MAX_AGE] = {0, 4, 1, 0},
    [COAP_OPT_URI_QUERY] = {0, 255, 1, 1},
    [COAP_OPT_ACCEPT] = {0, 2, 1, 0},
    [COAP_OPT_LOCATION_QUERY] = {0, 255, 1, 1},
    [COAP_OPT_BLOCK2] = {0, 3, 1, 0},
    [COAP_OPT_BLOCK1] = {0, 3, 1, 0},
    [COAP_OPT_SIZE2] = {0, 4, 1, 0},
    [COAP_OPT_PROXY_URI] = {1, 1034, 1, 0},
    [COAP_OPT_PROXY_SCHEME] = {1, 255, 1, 0},
    [COAP_OPT_SIZE1] = {0, 4, 1, 0},
};
static const opt_rule_t rule_echo = {1, 40, 1, 0};
static const opt_rule_t rule_no_response = {0, 1, 1, 0};
static const opt_rule_t rule_request_tag = {0, 8, 1, 1};
static const opt_rule_t rule_unknown = {0, COAP_MAX_OPT_LEN, 0, 1};

static const opt_rule_t *opt_rule(uint32_t num)
{
    if (num < 64) return opt_rules_low[num].known ? &opt_rules_low[num] : &rule_unknown;
    switch (num) {
    case COAP_OPT_ECHO: return &rule_echo;
    case COAP_OPT_NO_RESPONSE: return &rule_no_response;
    case COAP_OPT_REQUEST_TAG: return &rule_request_tag;
    default: return &rule_unknown;
    }
}

const char *coap_strerror(int err)
{
    switch (err) {
    case COAP_OK: return "ok";
    case COAP_ERR_FORMAT: return "message format error";
    case COAP_ERR_TOO_MANY_OPTIONS: return "too many options";
    case COAP_ERR_BAD_OPTION: return "bad option";
    case COAP_ERR_NOSPACE: return "no space";
    case COAP_ERR_ORDER: return "out of order";
    case COAP_ERR_INVAL: return "invalid argument";
    case COAP_ERR_NOTFOUND: return "not found";
    case COAP_ERR_DUPLICATE: return "duplicate";
    case COAP_ERR_BLOCK_SZX: return "reserved block size";
    case COAP_ERR_BLOCK_RANGE: return "block out of range";
    case COAP_ERR_BLOCK_SIZE: return "block payload size mismatch";
    case COAP_ERR_BLOCK_SEQ: return "block out of sequence";
    case COAP_ERR_BLOCK_ETAG: return "etag changed";
    case COAP_ERR_STATE: return "invalid state";
    case COAP_ERR_PROTOCOL: return "protocol violation";
    default: return "unknown error";
    }
}

/* ---- Parser ----------------------------------------------------------- */

/* Reads an extended delta/length field for nibble |nib| at buf[*pos].
 * Returns the value, or -1 when the field runs past |len| or |nib| is 15. */
static int32_t read_ext(uint32_t nib, const uint8_t *buf, size_t len, size_t *pos)
{
    if (nib < 13) return (int32_t)nib;
    if (nib == 13) {
        if (*pos >= len) return -1;
        return 13 + buf[(*pos)++];
    }
    if (nib == 14) {
        if (len - *pos < 2) return -1;
        int32_t v = 269 + (((int32_t)buf[*pos] << 8) | buf[*pos + 1]);
        *pos += 2;
        return v;
    }
    return -1; /* 15: reserved (§3.1) */
}

/* Header-level checks of §3, §4.1–4.3 that make a message unprocessable. */
static int header_ok(uint8_t type, uint8_t code, uint8_t tkl, size_t len)
{
    uint8_t cls = COAP_CODE_CLASS(code);

    if (tkl > COAP_MAX_TKL) return 0;
    /* Only classes 0, 2, 4, 5 are defined; the rest are reserved (§3). */
    if (cls != 0 && cls != 2 && cls != 4 && cls != 5) return 0;
    if (code == COAP_EMPTY) {
        /* §4.1: TKL 0 and no bytes after the Message ID; §4.3: a NON is
         * never Empty. */
        if (tkl != 0 || len != COAP_HEADER_LEN || type == COAP_TYPE_NON) return 0;
        return 1;
    }
    if (type == COAP_TYPE_RST) /* §4.2: RST MUST be Empty */
        return 0;
    if (type == COAP_TYPE_ACK && cls == 0) /* ACK carries a response or nothing */
        return 0;
    return 1;
}

int coap_parse(coap_msg_t *m, const uint8_t *buf, size_t len)
{
    size_t pos;
    uint32_t num = 0;
    int32_t prev = -1; /* number of the previous option seen, kept or not */
    int too_many = 0, bad_crit = 0;
    uint16_t n = 0; /* kept in a local: stores to m->opts could alias buf */
    coap_option_t *opts = m->opts;

    /* Never leave options of an earlier datagram visible, even on error. */
    m->nopts = 0;
    m->payload = NULL;
    m->payload_len = 0;
    if (buf == NULL || len < COAP_HEADER_LEN) return COAP_ERR_FORMAT;
    if ((buf[0] >> 6) != COAP_VERSION) return COAP_ERR_FORMAT;

    uint8_t type = (buf[0] >> 4) & 3, tkl = buf[0] & 0x0f, code = buf[1];
    if (!header_ok(type, code, tkl, len) || len - COAP_HEADER_LEN < tkl) return COAP_ERR_FORMAT;
    m->type = type;
    m->tkl = tkl;
    m->code = code;
    m->mid = (uint16_t)((buf[2] << 8) | buf[3]);
    memset(m->token, 0, sizeof(m->token));
    memcpy(m->token, buf + COAP_HEADER_LEN, tkl);
    pos = COAP_HEADER_LEN + (size_t)tkl;

    while (pos < len) {
        uint8_t b = buf[pos++];

        if (b == COAP_PAYLOAD_MARKER) {
            if (pos == len) /* marker then nothing (§3) */
                return COAP_ERR_FORMAT;
            m->payload = buf + pos;
            m->payload_len = len - pos;
            break;
        }
        int32_t delta = read_ext(b >> 4, buf, len, &pos);
        if (delta < 0) return COAP_ERR_FORMAT;
        int32_t olen = read_ext(b & 0x0f, buf, len, &pos);
        if (olen < 0) return COAP_ERR_FORMAT;
        num += (uint32_t)delta;
        if (num > COAP_MAX_OPT_NUM || (uint32_t)olen > COAP_MAX_OPT_LEN || (size_t)olen > len - pos)
            return COAP_ERR_FORMAT;

        const uint8_t *val = buf + pos;
        pos += (size_t)olen;

        const opt_rule_t *r = opt_rule(num);
        int invalid = r->known && ((uint32_t)olen < r->min || (uint32_t)olen > r->max ||
                                   (!r->rep && (int32_t)num == prev));
        prev = (int32_t)num;
        if (invalid) {
            /* §5.4.3/§5.4.5: treat as unrecognised. Elective: ignore. */
            if (!COAP_OPT_IS_CRITICAL(num)) continue;
            bad_crit = 1;
        }
        if (n == COAP_MAX_OPTIONS) {
            too_many = 1; /* keep scanning: a format error wins */
            continue;
        }
        opts[n].num = (uint16_t)num;
        opts[n].len = (uint16_t)olen;
        opts[n].val = olen ? val : NULL;
        n++;
    }
    m->nopts = n;
    if (too_many) return COAP_ERR_TOO_MANY_OPTIONS;
    if (bad_crit) return COAP_ERR_BAD_OPTION;
    return 0;
}

int coap_msg_unknown_critical(const coap_msg_t *m)
{
    for (uint16_t i = 0; i < m->nopts; i++) {
        uint16_t n = m->opts[i].num;
        if (COAP_OPT_IS_CRITICAL(n) && !opt_rule(n)->known) return n;
    }
    return 0;
}

int coap_msg_is_request(const coap_msg_t *m)
{
    return m->code != COAP_EMPTY && COAP_CODE_CLASS(m->code) == 0;
}

int coap_msg_is_response(const coap_msg_t *m)
{
    uint8_t c = COAP_CODE_CLASS(m->code);
    return c == 2 || c == 4 || c == 5;
}

/* ---- Option accessors ------------------------------------------------- */

const coap_option_t *coap_opt_get(const coap_msg_t *m, uint16_t num)
{
    for (uint16_t i = 0; i < m->nopts; i++) {
        if (m->opts[i].num == num) return &m->opts[i];
        if (m->opts[i].num > num) /* sorted: no need to look further */
            break;
    }
    return NULL;
}

const coap_option_t *coap_opt_next(const coap_msg_t *m, const coap_option_t *prev)
{
    if (prev == NULL || prev < m->opts || prev >= m->opts + m->nopts) return NULL;
    const coap_option_t *n = prev + 1;
    if (n < m->opts + m->nopts && n->num == prev->num) return n;
    return NULL;
}

unsigned coap_opt_count(const coap_msg_t *m, uint16_t num)
{
    unsigned c = 0;
    for (const coap_option_t *o = coap_opt_get(m, num); o; o = coap_opt_next(m, o))
        c++;
    return c;
}

int coap_opt_uint(const coap_option_t *opt, uint32_t *out)
{
    uint32_t v = 0;

    if (opt == NULL) return COAP_ERR_NOTFOUND;
    if (opt->len > COAP_MAX_UINT_LEN) return COAP_ERR_BAD_OPTION;
    for (uint16_t i = 0; i < opt->len; i++)
        v = (v << 8) | opt->val[i];
    *out = v;
    return 0;
}

int coap_uri_path_equals(const coap_msg_t *m, const char *path)
{
    const coap_option_t *o = coap_opt_get(m, COAP_OPT_URI_PATH);

    if (*path == '/') path++;
    if (*path == '\0') return o == NULL;
    for (;;) {
        size_t sl = strcspn(path, "/");
        if (o == NULL || o->len != sl || (sl && memcmp(o->val, path, sl) != 0)) return 0;
        o = coap_opt_next(m, o);
        if (path[sl] == '\0') return o == NULL;
        path += sl + 1;
    }
}

int coap_uri_path_join(const coap_msg_t *m, char *out, size_t cap)
{
    size_t n = 0;

    if (cap == 0) return COAP_ERR_NOSPACE;
    out[0] = '\0';
    for (const coap_option_t *o = coap_opt_get(m, COAP_OPT_URI_PATH); o; o = coap_opt_next(m, o)) {
        if (o->len && (memchr(o->val, '/', o->len) || memchr(o->val, '\0', o->len))) {
            out[0] = '\0';
            return COAP_ERR_BAD_OPTION;
        }
        if ((size_t)o->len + 1u >= cap - n) { /* '/' + value + room for NUL */
            out[0] = '\0';
            return COAP_ERR_NOSPACE;
        }
        out[n++] = '/';
        if (o->len) memcpy(out + n, o->val, o->len);
        n += o->len;
    }
    out[n] = '\0';
    if (n > (size_t)INT_MAX) return COAP_ERR_NOSPACE;
    return (int)n;
}

int coap_query_get(const coap_msg_t *m, const char *key, const uint8_t **val, size_t *len)
{
    size_t kl = strlen(key);
    int found = 0;

    if (kl == 0) return COAP_ERR_NOTFOUND;
    for (const coap_option_t *o = coap_opt_get(m, COAP_OPT_URI_QUERY); o; o = coap_opt_next(m, o)) {
        if (o->len < kl || memcmp(o->val, key, kl) != 0) continue;
        if (o->len != kl && o->val[kl] != '=') continue; /* "keyX=..." is another key */
        if (found) return COAP_ERR_DUPLICATE;
        found = 1;
        size_t vl = o->len > kl ? o->len - kl - 1u : 0u;
        *len = vl;
        *val = vl ? o->val + kl + 1 : NULL;
    }
    return found ? 0 : COAP_ERR_NOTFOUND;
}

/* ---- Builder ---------------------------------------------------------- */

void coap_build_init(coap_builder_t *b, uint8_t *buf, size_t cap, uint8_t type, uint8_t code, uint16_t mid,
                     const uint8_t *token, uint8_t tkl)
{
    b->buf = buf;
    b->cap = cap;
    b->len = 0;
    b->last_num = 0;
    b->nopts_any = 0;
    b->payload = 0;
    b->err = 0;
    if (buf == NULL || type > COAP_TYPE_RST || tkl > COAP_MAX_TKL || (tkl && token == NULL)) {
        b->err = COAP_ERR_INVAL;
        return;
    }
    if (cap < COAP_HEADER_LEN + (size_t)tkl) {
        b->err = COAP_ERR_NOSPACE;
        return;
    }
    buf[0] = (uint8_t)((COAP_VERSION << 6) | (type << 4) | tkl);
    buf[1] = code;
    buf[2] = (uint8_t)(mid >> 8);
    buf[3] = (uint8_t)mid;
    if (tkl) memcpy(buf + COAP_HEADER_LEN, token, tkl);
    b->len = COAP_HEADER_LEN + (size_t)tkl;
}

/* Nibble and extension size for a delta or length (§3.1). */
static uint8_t ext_nibble(uint32_t v, size_t *extlen)
{
    if (v < 13) {
        *extlen = 0;
        return (uint8_t)v;
    }
    if (v < 269) {
        *extlen = 1;
        return 13;
    }
    *extlen = 2;
    return 14;
}

static uint8_t *put_ext(uint8_t *p, uint32_t v, size_t extlen)
{
    if (extlen == 1) {
        *p++ = (uint8_t)(v - 13);
    } else if (extlen == 2) {
        *p++ = (uint8_t)((v - 269) >> 8);
        *p++ = (uint8_t)(v - 269);
    }
    return p;
}

void coap_build_opt(coap_builder_t *b, uint16_t num, const uint8_t *val, size_t len)
{
    size_t dext, lext;
    uint32_t delta;
    uint8_t dn, ln;

    if (b->err) return;
    if (b->payload || (b->nopts_any && num < b->last_num)) {
        b->err = COAP_ERR_ORDER;
        return;
    }
    if (len > COAP_MAX_OPT_LEN || (len && val == NULL)) {
        b->err = COAP_ERR_INVAL;
        return;
    }
    const opt_rule_t *r = opt_rule(num);
    if (r->known && (len < r->min || len > r->max || (!r->rep && b->nopts_any && num == b->last_num))) {
        b->err = COAP_ERR_BAD_OPTION;
        return;
    }
    delta = num - (b->nopts_any ? b->last_num : 0u);
    dn = ext_nibble(delta, &dext);
    ln = ext_nibble((uint32_t)len, &lext);
    if (b->cap - b->len < 1 + dext + lext + len) {
        b->err = COAP_ERR_NOSPACE;
        return;
    }
    uint8_t *p = b->buf + b->len;
    *p++ = (uint8_t)((dn << 4) | ln);
    p = put_ext(p, delta, dext);
    p = put_ext(p, (uint32_t)len, lext);
    if (len) memcpy(p, val, len);
    b->len += 1 + dext + lext + len;
    b->last_num = num;
    b->nopts_any = 1;
}

void coap_build_opt_uint(coap_builder_t *b, uint16_t num, uint32_t v)
{
    uint8_t tmp[4];
    size_t n = 0;

    /* Minimal big-endian encoding: no leading zero bytes (§3.2). */
    if (v > 0xffffffu) tmp[n++] = (uint8_t)(v >> 24);
    if (v > 0xffffu) tmp[n++] = (uint8_t)(v >> 16);
    if (v > 0xffu) tmp[n++] = (uint8_t)(v >> 8);
    if (v > 0) tmp[n++] = (uint8_t)v;
    coap_build_opt(b, num, tmp, n);
}

void coap_build_opt_str(coap_builder_t *b, uint16_t num, const char *s)
{
    if (s == NULL) {
        if (!b->err) b->err = COAP_ERR_INVAL;
        return;
    }
    coap_build_opt(b, num, (const uint8_t *)s, strlen(s));
}

void coap_build_uri_path(coap_builder_t *b, const char *path)
{
    if (path == NULL) {
        if (!b->err) b->err = COAP_ERR_INVAL;
        return;
    }
    if (*path == '/') path++;
    if (*path == '\0') return;
    for (;;) {
        size_t sl = strcspn(path, "/");
        coap_build_opt(b, COAP_OPT_URI_PATH, (const uint8_t *)path, sl);
        if (b->err || path[sl] == '\0') return;
        path += sl + 1;
    }
}

void coap_build_payload(coap_builder_t *b, const uint8_t *data, size_t len)
{
    if (b->err) return;
    if (b->payload) {
        b->err = COAP_ERR_ORDER;
        return;
    }
    if (len && data == NULL) {
        b->err = COAP_ERR_INVAL;
        return;
    }
    b->payload = 1;
    if (len == 0) return;
    if (b->cap - b->len < 1 + len) {
        b->err = COAP_ERR_NOSPACE;
        return;
    }
    b->buf[b->len] = COAP_PAYLOAD_MARKER;
    memcpy(b->buf + b->len + 1, data, len);
    b->len += 1 + len;
}

int coap_build_finish(const coap_builder_t *b)
{
    if (b->err) return b->err;
    if (b->len > (size_t)INT_MAX) return COAP_ERR_NOSPACE;
    return (int)b->len;
}

int coap_build_empty(uint8_t *buf, size_t cap, uint8_t type, uint16_t mid)
{
    if (buf == NULL || type > COAP_TYPE_RST) return COAP_ERR_INVAL;
    if (cap < COAP_HEADER_LEN) return COAP_ERR_NOSPACE;
    buf[0] = (uint8_t)((COAP_VERSION << 6) | (type << 4));
    buf[1] = COAP_EMPTY;
    buf[2] = (uint8_t)(mid >> 8);
    buf[3] = (uint8_t)mid;
    return COAP_HEADER_LEN;
}
