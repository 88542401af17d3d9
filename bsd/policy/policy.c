/*
 * policy.c — parsing and checking YAML policies (see policy.h and
 * docs/POLICY.md): the strict YAML tree (yaml_tree.h) is walked once into
 * the model of policy_int.h, and every rule an operator can break is
 * reported at the offending node as "NAME:LINE:COLUMN: message".
 *
 * Compilation lives in policy_compile.c, credential derivation in
 * policy_creds.c, the dry run in policy_json.c.
 */
#include "bsd/policy/policy.h"

#include "bsd/util/utf8.h"

#include <fnmatch.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/coding.h>

#include "bsd/lwm2m/lwm2m_objects.h"
#include "bsd/policy/policy_int.h"
#include "bsd/util/spki.h"

#define REGEX_MAX 255 /* bytes of an endpoint_regex */
#define GLOB_MAX  255
#define LABEL_MAX 63 /* bytes of a label name or value */

typedef struct pctx {
    policy_t *p;
    const char *name;
    char *err;
    size_t errcap;
} pctx_t;

/* ---- messages ------------------------------------------------------------ */

static int fail(pctx_t *c, const yt_node_t *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(pctx_t *c, const yt_node_t *n, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (c->err && c->errcap) {
        if (n)
            snprintf(c->err, c->errcap, "%s:%u:%u: %s", c->name, (unsigned)n->line, (unsigned)n->col, msg);
        else
            snprintf(c->err, c->errcap, "%s: %s", c->name, msg);
    }
    return -1;
}

/* |s| quoted for a message: control and non-ASCII bytes as \xNN, cut after 40 bytes. */
static const char *q(const char *s, size_t len, char *buf, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < len && o + 8 < cap; i++) {
        if (i == 40) {
            o += (size_t)snprintf(buf + o, cap - o, "...");
            break;
        }
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x20 || ch >= 0x7f || ch == '"' || ch == '\\')
            o += (size_t)snprintf(buf + o, cap - o, "\\x%02x", ch);
        else
            buf[o++] = (char)ch;
    }
    buf[o] = 0;
    return buf;
}

#define QN(n) q((n)->str ? (n)->str : "", (n)->str ? (n)->len : 0, qb, sizeof qb)

static const char *kind_name(const yt_node_t *n)
{
    if (!n) return "nothing";
    if (n->kind == YT_MAP) return "a mapping";
    if (n->kind == YT_SEQ) return "a list";
    if (yt_is_null(n)) return "empty";
    return "a scalar";
}

/* ---- typed scalars ------------------------------------------------------- */

static int need_map(pctx_t *c, const yt_node_t *n, const char *what)
{
    if (n && n->kind == YT_MAP) return 0;
    return fail(c, n, "%s must be a mapping, not %s", what, kind_name(n));
}

static int need_seq(pctx_t *c, const yt_node_t *n, const char *what, size_t min, size_t max)
{
    if (!n || n->kind != YT_SEQ) return fail(c, n, "%s must be a list, not %s", what, kind_name(n));
    if (n->n < min || n->n > max)
        return fail(c, n, "%s must have %zu..%zu entries, not %zu", what, min, max, n->n);
    return 0;
}

static int get_text(pctx_t *c, const yt_node_t *n, const char *what, const char **s, size_t *len)
{
    if (!n || n->kind != YT_SCALAR || yt_is_null(n))
        return fail(c, n, "%s must be a string, not %s", what, kind_name(n));
    *s = n->str;
    *len = n->len;
    return 0;
}

static int get_int(pctx_t *c, const yt_node_t *n, const char *what, int64_t min, int64_t max, int64_t *out)
{
    char qb[200];
    if (!n || n->kind != YT_SCALAR || yt_is_null(n))
        return fail(c, n, "%s must be an integer, not %s", what, kind_name(n));
    int r = yt_scalar_int(n, min, max, out);
    if (r == -2) return fail(c, n, "%s must be in %lld..%lld", what, (long long)min, (long long)max);
    if (r != 0) return fail(c, n, "%s must be an integer, not \"%s\"", what, QN(n));
    return 0;
}

static int get_bool(pctx_t *c, const yt_node_t *n, const char *what, bool *out)
{
    char qb[200];
    if (!n || n->kind != YT_SCALAR || yt_scalar_bool(n, out) != 0)
        return fail(c, n, "%s must be true or false, not %s", what,
                    n && n->kind == YT_SCALAR
                        ? (snprintf(qb, sizeof qb, "\"%s\"", q(n->str, n->len, qb + 100, 100)), qb)
                        : kind_name(n));
    return 0;
}

/* Rejects keys of |m| not in the NULL-terminated |valid| list. */
static int check_keys(pctx_t *c, const yt_node_t *m, const char *const *valid, const char *where)
{
    char qb[200];
    for (size_t i = 0; i < m->n; i++) {
        const yt_node_t *k = m->keys[i];
        int ok = 0;
        for (const char *const *v = valid; *v && !ok; v++)
            ok = yt_scalar_is(k, *v);
        if (ok) continue;
        char list[300];
        size_t o = 0;
        for (const char *const *v = valid; *v && o < sizeof list; v++)
            o += (size_t)snprintf(list + o, sizeof list - o, "%s%s", v == valid ? "" : ", ", *v);
        return fail(c, k, "unknown key \"%s\" in %s; valid keys: %s", QN(k), where, list);
    }
    return 0;
}

static int require(pctx_t *c, const yt_node_t *m, const char *key, const char *where, const yt_node_t **out)
{
    *out = yt_get(m, key);
    if (!*out) return fail(c, m, "%s needs \"%s\"", where, key);
    return 0;
}

int pol_utf8_ok(const char *s, size_t len)
{
    return utf8_valid(s, len);
}

/* ---- variables ----------------------------------------------------------- */

static int label_name_ok(const char *s, size_t len)
{
    if (len == 0 || len > LABEL_MAX) return 0;
    for (size_t i = 0; i < len; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
              ch == '-' || ch == '.'))
            return 0;
    }
    return 1;
}

size_t pol_var_at(const char *s, size_t len, size_t i, size_t *name_off, size_t *name_len)
{
    if (i + 1 >= len || s[i] != '$' || s[i + 1] != '{') return 0;
    size_t j = i + 2;
    while (j < len && s[j] != '}')
        j++;
    *name_off = i + 2;
    *name_len = j - (i + 2);
    return j < len ? j + 1 - i : len - i; /* an unterminated one spans the rest */
}

/* Whether the variable name is one of ours. */
static int var_known(const char *n, size_t len)
{
    if (len == 8 && memcmp(n, "endpoint", 8) == 0) return 1;
    if (len == 6 && memcmp(n, "serial", 6) == 0) return 1;
    if (len > 6 && memcmp(n, "label.", 6) == 0 && label_name_ok(n + 6, len - 6)) return 1;
    return 0;
}

static int check_vars(pctx_t *c, const yt_node_t *n, const char *s, size_t len)
{
    char qb[200];
    for (size_t i = 0; i < len; i++) {
        size_t no, nl, vl = pol_var_at(s, len, i, &no, &nl);
        if (!vl) continue;
        if (i + vl > len || s[i + vl - 1] != '}' || !var_known(s + no, nl))
            return fail(c, n, "unknown variable \"%s\"; valid: ${endpoint}, ${serial}, ${label.NAME}",
                        q(s + i, vl, qb, sizeof qb));
        i += vl - 1;
    }
    return 0;
}

static int has_vars(const char *s, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++)
        if (s[i] == '$' && s[i + 1] == '{') return 1;
    return 0;
}

int pol_subst(const char *tmpl, size_t len, const policy_device_t *dev, char *out, size_t cap, char *what,
              size_t whatcap)
{
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        size_t no, nl, vl = pol_var_at(tmpl, len, i, &no, &nl);
        const char *val = NULL;
        if (vl) {
            const char *nm = tmpl + no;
            if (nl == 8 && memcmp(nm, "endpoint", 8) == 0)
                val = dev->endpoint;
            else if (nl == 6 && memcmp(nm, "serial", 6) == 0) {
                val = dev->serial;
                if (!val) {
                    snprintf(what, whatcap, "the device has no serial for ${serial}");
                    return POLICY_ERR_DEVICE;
                }
            } else if (nl > 6 && memcmp(nm, "label.", 6) == 0) {
                for (size_t k = 0; k < dev->nlabels && !val; k++)
                    if (dev->labels[k].key && strlen(dev->labels[k].key) == nl - 6 &&
                        memcmp(dev->labels[k].key, nm + 6, nl - 6) == 0)
                        val = dev->labels[k].value;
                if (!val) {
                    snprintf(what, whatcap, "the device has no label \"%.*s\"", (int)(nl < 60 ? nl - 6 : 54),
                             nm + 6);
                    return POLICY_ERR_DEVICE;
                }
            } else {
                snprintf(what, whatcap, "unknown variable");
                return POLICY_ERR_DEVICE;
            }
            size_t l = strlen(val);
            if (o + l > cap) return LWM2M_ERR_LIMIT;
            memcpy(out + o, val, l);
            o += l;
            i += vl;
            continue;
        }
        if (o + 1 > cap) return LWM2M_ERR_LIMIT;
        out[o++] = tmpl[i++];
    }
    return (int)o;
}

/* ---- URIs ---------------------------------------------------------------- */

/* The length of a known scheme prefix ("coaps://"), 0 when none. */
static size_t uri_scheme(const char *s, size_t len, bool *secure)
{
    static const struct {
        const char *pfx;
        bool secure;
    } schemes[] = {{"coaps+tcp://", true}, {"coap+tcp://", false}, {"coaps://", true}, {"coap://", false}};
    for (size_t k = 0; k < sizeof schemes / sizeof schemes[0]; k++) {
        size_t l = strlen(schemes[k].pfx);
        if (len >= l && memcmp(s, schemes[k].pfx, l) == 0) {
            *secure = schemes[k].secure;
            return l;
        }
    }
    return 0;
}

int pol_uri_check(const char *s, size_t len, bool *secure, char *why, size_t whycap)
{
    size_t i = uri_scheme(s, len, secure);
    if (!i) {
        snprintf(why, whycap, "the scheme must be coap, coaps, coap+tcp or coaps+tcp");
        return -1;
    }
    size_t h0 = i;
    if (i < len && s[i] == '[') {
        while (i < len && s[i] != ']') {
            char ch = s[i];
            if (i > h0 && !((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
                            (ch >= 'A' && ch <= 'F') || ch == ':' || ch == '.')) {
                snprintf(why, whycap, "bad character in the IPv6 address");
                return -1;
            }
            i++;
        }
        if (i >= len || i - h0 < 3) {
            snprintf(why, whycap, "bad IPv6 address");
            return -1;
        }
        i++;
    } else {
        while (i < len && s[i] != ':' && s[i] != '/') {
            char ch = s[i];
            if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                  ch == '-' || ch == '.')) {
                snprintf(why, whycap, "bad character in the host");
                return -1;
            }
            i++;
        }
        if (i == h0 || i - h0 > 253) {
            snprintf(why, whycap, "the host is missing");
            return -1;
        }
    }
    if (i < len && s[i] == ':') {
        i++;
        size_t p0 = i;
        unsigned long port = 0;
        while (i < len && s[i] >= '0' && s[i] <= '9' && i - p0 < 6)
            port = port * 10 + (unsigned long)(s[i++] - '0');
        if (i == p0 || port == 0 || port > 65535) {
            snprintf(why, whycap, "the port must be 1..65535");
            return -1;
        }
    }
    if (i < len && s[i] != '/') {
        snprintf(why, whycap, "unexpected text after the host and port");
        return -1;
    }
    for (; i < len; i++)
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f || s[i] == '?' || s[i] == '#') {
            snprintf(why, whycap, "the path may not hold spaces, a query or a fragment");
            return -1;
        }
    return 0;
}

/* ---- bytes ----------------------------------------------------------------- */

static int arena_put(pctx_t *c, const yt_node_t *n, const uint8_t *b, size_t len, const uint8_t **out)
{
    policy_t *p = c->p;
    if (len > sizeof p->arena - p->narena)
        return fail(c, n, "the policy's binary values exceed %zu bytes", sizeof p->arena);
    memcpy(p->arena + p->narena, b, len);
    *out = p->arena + p->narena;
    p->narena += len;
    return 0;
}

int pol_hexval(char ch)
{
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

/* Decodes a {hex: …} or {base64: …} node into the arena. Returns 1 when
 * |m| was such a node, 0 when not, -1 on error. */
static int get_bytes(pctx_t *c, const yt_node_t *m, const uint8_t **out, size_t *outlen)
{
    if (!m || m->kind != YT_MAP || m->n != 1) return 0;
    const yt_node_t *k = m->keys[0], *v = m->vals[0];
    if (yt_scalar_is(k, "hex")) {
        const char *s;
        size_t len;
        if (get_text(c, v, "hex", &s, &len) < 0) {
            if (v && v->kind == YT_SCALAR && yt_is_null(v)) {
                *out = c->p->arena;
                *outlen = 0;
                return 1;
            }
            return -1;
        }
        if (len % 2) return fail(c, v, "hex needs an even number of digits");
        uint8_t buf[POL_ARENA_MAX];
        if (len / 2 > sizeof buf) return fail(c, v, "hex value too long");
        for (size_t i = 0; i < len; i += 2) {
            int a = pol_hexval(s[i]), b = pol_hexval(s[i + 1]);
            if (a < 0 || b < 0) return fail(c, v, "hex may only hold 0-9, a-f, A-F");
            buf[i / 2] = (uint8_t)(a << 4 | b);
        }
        *outlen = len / 2;
        return arena_put(c, v, buf, len / 2, out) < 0 ? -1 : 1;
    }
    if (yt_scalar_is(k, "base64")) {
        const char *s;
        size_t len;
        if (get_text(c, v, "base64", &s, &len) < 0) return -1;
        uint8_t buf[POL_ARENA_MAX];
        char clean[2 * POL_ARENA_MAX];
        size_t cl = 0;
        for (size_t i = 0; i < len; i++) {
            char ch = s[i];
            if (ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t') continue;
            if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
                  ch == '+' || ch == '/' || ch == '='))
                return fail(c, v, "base64 may only hold A-Z, a-z, 0-9, +, / and = padding");
            if (cl >= sizeof clean - 4) return fail(c, v, "base64 value too long");
            clean[cl++] = ch;
        }
        while (cl % 4)
            clean[cl++] = '=';
        word32 ol = sizeof buf;
        if (cl && Base64_Decode((const byte *)clean, (word32)cl, buf, &ol) != 0)
            return fail(c, v, "malformed base64");
        if (!cl) ol = 0;
        *outlen = ol;
        return arena_put(c, v, buf, ol, out) < 0 ? -1 : 1;
    }
    return 0;
}

/* A DER SEQUENCE spanning exactly |len| bytes (shape only). */
static int der_seq_ok(const uint8_t *d, size_t len)
{
    if (len < 2 || d[0] != 0x30) return 0;
    size_t l, h;
    if (d[1] < 0x80) {
        l = d[1];
        h = 2;
    } else {
        size_t nb = d[1] & 0x7f;
        if (nb == 0 || nb > 3 || len < 2 + nb || d[2] == 0) return 0;
        l = 0;
        for (size_t i = 0; i < nb; i++)
            l = l << 8 | d[2 + i];
        h = 2 + nb;
        if (l < 0x80) return 0;
    }
    return h + l == len;
}

/* /0/x/4 as an RPK: PEM "PUBLIC KEY", or {hex|base64} SubjectPublicKeyInfo DER. */
static int get_server_pubkey(pctx_t *c, const yt_node_t *n, const uint8_t **out, size_t *len)
{
    int r = get_bytes(c, n, out, len);
    if (r < 0) return -1;
    if (r == 1) {
        if (!spki_der_ok(*out, *len))
            return fail(c, n, "server_public_key is not a SubjectPublicKeyInfo DER");
        return 0;
    }
    const char *s;
    size_t sl;
    if (get_text(c, n, "server_public_key", &s, &sl) < 0) return -1;
    uint8_t der[SPKI_MAX];
    size_t dl;
    char why[128];
    if (spki_decode(s, sl, der, &dl, why, sizeof why) != 0) return fail(c, n, "server_public_key: %s", why);
    *len = dl;
    return arena_put(c, n, der, dl, out);
}

/* /0/x/4 as a certificate: PEM "CERTIFICATE", or {hex|base64} DER. */
static int get_server_cert(pctx_t *c, const yt_node_t *n, const uint8_t **out, size_t *len)
{
    int r = get_bytes(c, n, out, len);
    if (r < 0) return -1;
    if (r == 1) {
        if (!der_seq_ok(*out, *len)) return fail(c, n, "server_certificate is not a DER certificate");
        return 0;
    }
    const char *s;
    size_t sl;
    if (get_text(c, n, "server_certificate", &s, &sl) < 0) return -1;
    if (sl < 11 || memcmp(s, "-----BEGIN ", 11) != 0)
        return fail(c, n, "server_certificate must be a PEM CERTIFICATE or {hex: …} / {base64: …} DER");
    uint8_t der[8192];
    int dl = wc_CertPemToDer((const unsigned char *)s, (int)sl, der, (int)sizeof der, CERT_TYPE);
    if (dl <= 0 || !der_seq_ok(der, (size_t)dl))
        return fail(c, n, "server_certificate: malformed PEM CERTIFICATE");
    *len = (size_t)dl;
    return arena_put(c, n, der, (size_t)dl, out);
}

/* ---- credential sources --------------------------------------------------- */

#define LITERAL_SECRET                                                                                       \
    "%s: a secret written in the policy would be shared by every device it matches; use generate or {from: " \
    "device}"

/* `generate`, `{generate: N}` or `{from: device}`. |gen_ok| 0: only from
 * device; |sized| 0: `{generate: N}` not allowed (key pairs). */
static int get_src(pctx_t *c, const yt_node_t *n, const char *what, bool gen_ok, bool sized, uint16_t defsize,
                   pol_src_t *out)
{
    char qb[200];
    if (n && n->kind == YT_SCALAR && !n->quoted && yt_scalar_is(n, "generate")) {
        if (!gen_ok) goto nogen;
        out->kind = SRC_GENERATE;
        out->size = defsize;
        return 0;
    }
    if (n && n->kind == YT_MAP && n->n == 1 && yt_scalar_is(n->keys[0], "generate")) {
        if (!gen_ok) goto nogen;
        if (!sized) return fail(c, n->vals[0], "%s: write `generate` (the key size is fixed)", what);
        int64_t v;
        if (get_int(c, n->vals[0], "generate", POLICY_PSK_MIN, POLICY_PSK_MAX, &v) < 0) return -1;
        out->kind = SRC_GENERATE;
        out->size = (uint16_t)v;
        return 0;
    }
    if (n && n->kind == YT_MAP && n->n == 1 && yt_scalar_is(n->keys[0], "from")) {
        if (!yt_scalar_is(n->vals[0], "device"))
            return fail(c, n->vals[0], "%s: `from` must be device, not \"%s\"", what,
                        n->vals[0]->kind == YT_SCALAR ? QN(n->vals[0]) : "");
        out->kind = SRC_DEVICE;
        return 0;
    }
    if (n &&
        (n->kind == YT_SCALAR || (n->kind == YT_MAP && n->n == 1 &&
                                  (yt_scalar_is(n->keys[0], "hex") || yt_scalar_is(n->keys[0], "base64") ||
                                   yt_scalar_is(n->keys[0], "text")))))
        return fail(c, n, LITERAL_SECRET, what);
    return fail(c, n, "%s must be generate, {generate: N} or {from: device}", what);
nogen:
    return fail(c, n, "%s cannot be generated here; use {from: device}", what);
}

/* ---- typed resource values -------------------------------------------------- */

static int parse_scalar_float(const yt_node_t *n, double *out)
{
    if (n->quoted || n->len == 0 || n->len > 64) return -1;
    char buf[80];
    memcpy(buf, n->str, n->len);
    buf[n->len] = 0;
    char *end;
    double d = strtod(buf, &end);
    if (*end || !isfinite(d)) return -1;
    for (size_t i = 0; i < n->len; i++)
        if (!((buf[i] >= '0' && buf[i] <= '9') || buf[i] == '.' || buf[i] == '-' || buf[i] == 'e' ||
              buf[i] == 'E' || buf[i] == '+'))
            return -1;
    *out = d;
    return 0;
}

static int parse_objlnk(const char *s, size_t len, lwm2m_objlnk_t *out)
{
    unsigned long a = 0, b = 0;
    size_t i = 0, d0 = 0;
    while (i < len && s[i] >= '0' && s[i] <= '9' && i < 5)
        a = a * 10 + (unsigned long)(s[i++] - '0');
    if (i == 0 || i >= len || s[i] != ':') return -1;
    d0 = ++i;
    while (i < len && s[i] >= '0' && s[i] <= '9' && i - d0 < 5)
        b = b * 10 + (unsigned long)(s[i++] - '0');
    if (i == d0 || i != len || a > 65535 || b > 65535) return -1;
    out->obj = (uint16_t)a;
    out->inst = (uint16_t)b;
    return 0;
}

/* One value |n| for a resource of type |t| (LWM2M_T_NONE: no model). */
static int parse_value(pctx_t *c, const yt_node_t *n, lwm2m_type_t t, pol_val_t *v)
{
    char qb[200];
    memset(v, 0, sizeof *v);
    const uint8_t *bytes;
    size_t blen;
    if (n && n->kind == YT_MAP && n->n == 1) {
        const yt_node_t *k = n->keys[0], *val = n->vals[0];
        if (yt_scalar_is(k, "hex") || yt_scalar_is(k, "base64")) {
            if (t != LWM2M_T_NONE && t != LWM2M_T_OPAQUE)
                return fail(c, n, "the resource is %s; bytes fit Opaque resources only", lwm2m_type_name(t));
            if (get_bytes(c, n, &bytes, &blen) < 0) return -1;
            v->kind = PV_BYTES;
            v->type = LWM2M_T_OPAQUE;
            v->s = (const char *)bytes;
            v->len = blen;
            return 0;
        }
        if (yt_scalar_is(k, "text")) {
            if (t != LWM2M_T_NONE && t != LWM2M_T_STRING && t != LWM2M_T_OPAQUE && t != LWM2M_T_CORELNK)
                return fail(c, n, "the resource is %s, not text", lwm2m_type_name(t));
            if (get_text(c, val, "text", &v->s, &v->len) < 0 || check_vars(c, val, v->s, v->len) < 0)
                return -1;
            v->kind = PV_TEXT;
            v->type = t == LWM2M_T_NONE ? LWM2M_T_STRING : t;
            return 0;
        }
        if (yt_scalar_is(k, "objlnk")) {
            if (t != LWM2M_T_NONE && t != LWM2M_T_OBJLNK)
                return fail(c, n, "the resource is %s, not Objlnk", lwm2m_type_name(t));
            if (!val || val->kind != YT_SCALAR || parse_objlnk(val->str, val->len, &v->lnk) < 0)
                return fail(c, val, "objlnk must be \"OBJ:INST\" with each half 0..65535");
            v->kind = PV_OBJLNK;
            v->type = LWM2M_T_OBJLNK;
            return 0;
        }
    }
    if (!n || n->kind != YT_SCALAR || yt_is_null(n))
        return fail(c, n, "a value must be a scalar, {hex: …}, {base64: …}, {text: …} or {objlnk: …}, not %s",
                    kind_name(n));
    switch (t) {
    case LWM2M_T_STRING:
    case LWM2M_T_CORELNK:
    case LWM2M_T_OPAQUE:
        v->kind = PV_TEXT;
        v->type = t;
        v->s = n->str;
        v->len = n->len;
        return check_vars(c, n, v->s, v->len);
    case LWM2M_T_INTEGER:
    case LWM2M_T_TIME:
        v->kind = PV_INT;
        v->type = t;
        return get_int(c, n, "the value", INT64_MIN, INT64_MAX, &v->i);
    case LWM2M_T_UNSIGNED:
        v->kind = PV_INT;
        v->type = t;
        return get_int(c, n, "the value", 0, INT64_MAX, &v->i);
    case LWM2M_T_FLOAT:
        v->kind = PV_FLOAT;
        v->type = t;
        if (parse_scalar_float(n, &v->f) < 0) return fail(c, n, "the resource is Float, not \"%s\"", QN(n));
        return 0;
    case LWM2M_T_BOOLEAN:
        v->kind = PV_BOOL;
        v->type = t;
        return get_bool(c, n, "the value", &v->b);
    case LWM2M_T_OBJLNK:
        v->kind = PV_OBJLNK;
        v->type = t;
        if (parse_objlnk(n->str, n->len, &v->lnk) < 0)
            return fail(c, n, "the resource is Objlnk: write \"OBJ:INST\", not \"%s\"", QN(n));
        return 0;
    default: break;
    }
    /* No model: the YAML decides. Quoted text stays text. */
    if (!n->quoted) {
        if (yt_scalar_bool(n, &v->b) == 0) {
            v->kind = PV_BOOL;
            v->type = LWM2M_T_BOOLEAN;
            return 0;
        }
        int r = yt_scalar_int(n, INT64_MIN, INT64_MAX, &v->i);
        if (r == 0) {
            v->kind = PV_INT;
            v->type = LWM2M_T_INTEGER;
            return 0;
        }
        if (parse_scalar_float(n, &v->f) == 0) {
            v->kind = PV_FLOAT;
            v->type = LWM2M_T_FLOAT;
            return 0;
        }
    }
    v->kind = PV_TEXT;
    v->type = LWM2M_T_STRING;
    v->s = n->str;
    v->len = n->len;
    return check_vars(c, n, v->s, v->len);
}

static int is_typed_value_map(const yt_node_t *n)
{
    return n && n->kind == YT_MAP && n->n == 1 &&
           (yt_scalar_is(n->keys[0], "hex") || yt_scalar_is(n->keys[0], "base64") ||
            yt_scalar_is(n->keys[0], "text") || yt_scalar_is(n->keys[0], "objlnk"));
}

typedef const char *(*res_forbid_fn)(uint16_t res);

/* A map of resource ID -> value for object |obj| into |out|. */
static int parse_res_map(pctx_t *c, const yt_node_t *m, uint16_t obj, res_forbid_fn forbid, pol_res_t *out,
                         size_t *nout, const char *what)
{
    char qb[200];
    if (need_map(c, m, what) < 0) return -1;
    *nout = 0;
    int known = lwm2m_obj_known(obj, 1);
    for (size_t i = 0; i < m->n; i++) {
        const yt_node_t *k = m->keys[i], *vn = m->vals[i];
        int64_t rid;
        if (k->kind != YT_SCALAR || yt_scalar_int(k, 0, LWM2M_MAX_ID, &rid) != 0)
            return fail(c, k, "resource IDs are integers 0..65534, not \"%s\"", QN(k));
        const char *why = forbid ? forbid((uint16_t)rid) : NULL;
        if (why) return fail(c, k, "resource %lld is set by %s", (long long)rid, why);
        const lwm2m_obj_res_t *def = known ? lwm2m_obj_res(obj, 1, 2, (uint16_t)rid) : NULL;
        if (known && !def) return fail(c, k, "object %u has no resource %lld", (unsigned)obj, (long long)rid);
        if (def && def->type == LWM2M_T_NONE)
            return fail(c, k, "resource %lld (%s) is executable; it cannot be written", (long long)rid,
                        def->name);
        lwm2m_type_t t = def ? def->type : LWM2M_T_NONE;
        bool multi_val = vn && (vn->kind == YT_SEQ || (vn->kind == YT_MAP && !is_typed_value_map(vn)));
        if (def && def->multiple && !multi_val)
            return fail(c, vn, "resource %lld (%s) is multiple-instance: give a list or a map of instances",
                        (long long)rid, def->name);
        if (def && !def->multiple && multi_val)
            return fail(c, vn, "resource %lld (%s) is single-instance: give one value", (long long)rid,
                        def->name);
        if (!multi_val) {
            if (*nout >= POLICY_MAX_RES)
                return fail(c, vn, "more than %d values in %s", POLICY_MAX_RES, what);
            pol_res_t *r = &out[(*nout)++];
            r->res = (uint16_t)rid;
            r->multi = false;
            if (parse_value(c, vn, t, &r->v) < 0) return -1;
            continue;
        }
        if (vn->n == 0) return fail(c, vn, "resource %lld: give at least one instance", (long long)rid);
        for (size_t j = 0; j < vn->n; j++) {
            int64_t ri = (int64_t)j;
            if (vn->kind == YT_MAP) {
                const yt_node_t *rk = vn->keys[j];
                if (rk->kind != YT_SCALAR || yt_scalar_int(rk, 0, LWM2M_MAX_ID, &ri) != 0)
                    return fail(c, rk, "resource instance IDs are integers 0..65534, not \"%s\"", QN(rk));
            }
            if (*nout >= POLICY_MAX_RES)
                return fail(c, vn, "more than %d values in %s", POLICY_MAX_RES, what);
            pol_res_t *r = &out[(*nout)++];
            r->res = (uint16_t)rid;
            r->rinst = (uint16_t)ri;
            r->multi = true;
            if (parse_value(c, vn->vals[j], t, &r->v) < 0) return -1;
        }
    }
    return 0;
}

/* ---- paths ----------------------------------------------------------------- */

static int get_path(pctx_t *c, const yt_node_t *n, const char *what, int mindepth, int maxdepth,
                    lwm2m_path_t *out)
{
    char qb[200];
    const char *s;
    size_t len;
    if (get_text(c, n, what, &s, &len) < 0) return -1;
    if (len == 0 || s[0] != '/' || lwm2m_path_parse(s, len, out) != 0)
        return fail(c, n, "%s: \"%s\" is not a path like /11/0", what, QN(n));
    if (out->depth < mindepth || out->depth > maxdepth) {
        static const char *const forms[] = {"/", "/O", "/O/I", "/O/I/R", "/O/I/R/RI"};
        return fail(c, n, "%s: \"%s\" must be %s%s%s", what, QN(n), forms[mindepth],
                    maxdepth > mindepth ? " .. " : "", maxdepth > mindepth ? forms[maxdepth] : "");
    }
    return 0;
}

/* ---- sections ---------------------------------------------------------------- */

static int parse_match(pctx_t *c, const yt_node_t *m)
{
    static const char *const keys[] = {"endpoint", "endpoint_regex", "labels", NULL};
    char qb[200];
    policy_t *p = c->p;
    if (need_map(c, m, "match") < 0 || check_keys(c, m, keys, "match") < 0) return -1;
    const yt_node_t *g = yt_get(m, "endpoint"), *re = yt_get(m, "endpoint_regex"), *lb = yt_get(m, "labels");
    if (!g && !re && !lb)
        return fail(c, m, "match needs endpoint, endpoint_regex or labels (use endpoint: \"*\" for all)");
    if (g && re) return fail(c, re, "match takes endpoint or endpoint_regex, not both");
    const char *s;
    size_t len;
    if (g) {
        if (get_text(c, g, "match.endpoint", &s, &len) < 0) return -1;
        if (len == 0 || len > GLOB_MAX) return fail(c, g, "match.endpoint must be 1..%d bytes", GLOB_MAX);
        p->glob = s;
    }
    if (re) {
        if (get_text(c, re, "match.endpoint_regex", &s, &len) < 0) return -1;
        if (len == 0 || len > REGEX_MAX)
            return fail(c, re, "match.endpoint_regex must be 1..%d bytes", REGEX_MAX);
        /* The expression must match the whole endpoint name. */
        char buf[REGEX_MAX + 8];
        snprintf(buf, sizeof buf, "^(%.*s)$", (int)len, s);
        int r = regcomp(&p->re, buf, REG_EXTENDED | REG_NOSUB);
        if (r != 0) {
            char why[128];
            regerror(r, &p->re, why, sizeof why);
            return fail(c, re, "match.endpoint_regex \"%s\": %s", QN(re), why);
        }
        p->has_regex = true;
    }
    if (lb) {
        if (need_map(c, lb, "match.labels") < 0) return -1;
        if (lb->n == 0 || lb->n > POLICY_MAX_LABELS)
            return fail(c, lb, "match.labels must have 1..%d entries", POLICY_MAX_LABELS);
        for (size_t i = 0; i < lb->n; i++) {
            const yt_node_t *k = lb->keys[i], *v = lb->vals[i];
            if (!label_name_ok(k->str, k->len))
                return fail(c, k, "label names are 1..%d bytes of A-Z a-z 0-9 _ - ., not \"%s\"", LABEL_MAX,
                            QN(k));
            if (get_text(c, v, "a label value", &s, &len) < 0) return -1;
            if (len > LABEL_MAX) return fail(c, v, "label values are at most %d bytes", LABEL_MAX);
            p->labels[p->nlabels].key = k->str;
            p->labels[p->nlabels].value = v->str;
            p->nlabels++;
        }
    }
    return 0;
}

static const char *server_res_forbid(uint16_t r)
{
    switch (r) {
    case 0: return "ssid";
    case 1: return "lifetime";
    case 2: return "min_period";
    case 3: return "max_period";
    case 5: return "disable_timeout";
    case 6: return "notification_storing";
    case 7: return "binding";
    default: return NULL;
    }
}

static int parse_security(pctx_t *c, const yt_node_t *m, pol_server_t *sv, const char **oscore_name,
                          const yt_node_t **oscore_node)
{
    static const char *const keys[] = {"mode",
                                       "psk_identity",
                                       "psk_key",
                                       "client_key",
                                       "client_certificate",
                                       "server_public_key",
                                       "server_certificate",
                                       "certificate_usage",
                                       "sni",
                                       "ciphersuites",
                                       "oscore",
                                       "rotation",
                                       "written_mode",
                                       NULL};
    char qb[200];
    if (need_map(c, m, "security") < 0 || check_keys(c, m, keys, "security") < 0) return -1;
    const yt_node_t *mode;
    if (require(c, m, "mode", "security", &mode) < 0) return -1;
    static const char *const modes[] = {"psk", "rpk", "x509", "nosec", "est"};
    int md = -1;
    for (int i = 0; i < 5; i++)
        if (yt_scalar_is(mode, modes[i])) md = i;
    if (md < 0)
        return fail(c, mode, "security.mode must be psk, rpk, x509, nosec or est, not \"%s\"",
                    mode->kind == YT_SCALAR ? QN(mode) : kind_name(mode));
    sv->mode = (uint8_t)md;
    /* Which keys each mode takes: everything else is an error, so that a
     * credential meant for another mode cannot pass unnoticed. */
    static const struct {
        const char *key;
        uint8_t modes; /* bit per POL_MODE_* */
    } allowed[] = {
        {"psk_identity", 1 << POL_MODE_PSK},
        {"psk_key", 1 << POL_MODE_PSK},
        {"client_key", 1 << POL_MODE_RPK | 1 << POL_MODE_X509},
        {"client_certificate", 1 << POL_MODE_X509},
        {"server_public_key", 1 << POL_MODE_RPK},
        {"server_certificate", 1 << POL_MODE_X509 | 1 << POL_MODE_EST},
        {"certificate_usage", 1 << POL_MODE_X509 | 1 << POL_MODE_EST},
        {"sni", 1 << POL_MODE_PSK | 1 << POL_MODE_RPK | 1 << POL_MODE_X509 | 1 << POL_MODE_EST},
        {"ciphersuites", 1 << POL_MODE_PSK | 1 << POL_MODE_RPK | 1 << POL_MODE_X509 | 1 << POL_MODE_EST},
        {"rotation", 1 << POL_MODE_PSK | 1 << POL_MODE_RPK | 1 << POL_MODE_X509},
        {"written_mode", 1 << POL_MODE_EST},
    };
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++) {
        const yt_node_t *k = NULL;
        for (size_t j = 0; j < m->n; j++)
            if (yt_scalar_is(m->keys[j], allowed[i].key)) k = m->keys[j];
        if (k && !(allowed[i].modes & (1 << md)))
            return fail(c, k, "%s does not apply to mode %s", allowed[i].key, modes[md]);
    }
    const yt_node_t *n;
    switch (md) {
    case POL_MODE_PSK:
        n = yt_get(m, "psk_identity");
        if (n && n->kind == YT_MAP && n->n == 1 && yt_scalar_is(n->keys[0], "from")) {
            pol_src_t s;
            if (get_src(c, n, "psk_identity", false, false, 0, &s) < 0) return -1;
            sv->identity_from_device = true;
        } else if (n) {
            if (get_text(c, n, "psk_identity", &sv->identity.s, &sv->identity.len) < 0 ||
                check_vars(c, n, sv->identity.s, sv->identity.len) < 0)
                return -1;
            if (sv->identity.len == 0) return fail(c, n, "psk_identity is empty");
            if (!pol_utf8_ok(sv->identity.s, sv->identity.len))
                return fail(c, n, "psk_identity is not UTF-8");
            if (!has_vars(sv->identity.s, sv->identity.len) && sv->identity.len > POLICY_IDENTITY_MAX)
                return fail(c, n, "psk_identity is %zu bytes; at most %d", sv->identity.len,
                            POLICY_IDENTITY_MAX);
        } else {
            sv->identity.s = "${endpoint}";
            sv->identity.len = 11;
        }
        sv->identity.kind = PV_TEXT;
        sv->identity.type = LWM2M_T_OPAQUE;
        if (require(c, m, "psk_key", "security with mode psk", &n) < 0 ||
            get_src(c, n, "psk_key", true, true, POL_PSK_DEFAULT, &sv->key) < 0)
            return -1;
        break;
    case POL_MODE_RPK:
        if (require(c, m, "client_key", "security with mode rpk", &n) < 0 ||
            get_src(c, n, "client_key", true, false, 0, &sv->key) < 0)
            return -1;
        if (require(c, m, "server_public_key", "security with mode rpk (the server's key for /0/x/4)", &n) <
                0 ||
            get_server_pubkey(c, n, &sv->server_key, &sv->server_key_len) < 0)
            return -1;
        break;
    case POL_MODE_X509: {
        /* Either both halves come from the device record, or this server
         * generates the key pair and its CA certifies it (policy_x509.c). */
        const yt_node_t *cn;
        if (require(c, m, "client_certificate", "security with mode x509", &cn) < 0 ||
            require(c, m, "client_key", "security with mode x509", &n) < 0)
            return -1;
        if (cn->kind == YT_SCALAR && !cn->quoted && yt_scalar_is(cn, "issue")) {
            sv->cert_issue = true;
        } else if (cn->kind == YT_MAP && cn->n == 1 && yt_scalar_is(cn->keys[0], "from")) {
            pol_src_t s;
            if (get_src(c, cn, "client_certificate", false, false, 0, &s) < 0) return -1;
            sv->cert_from_device = true;
        } else {
            return fail(c, cn,
                        "client_certificate must be issue (with client_key: generate) or {from: device}");
        }
        if (!sv->cert_issue && n->kind == YT_SCALAR && !n->quoted && yt_scalar_is(n, "generate"))
            return fail(c, n,
                        "client_key: generate needs client_certificate: issue (a certificate from the "
                        "device cannot carry a key generated here)");
        if (get_src(c, n, "client_key", sv->cert_issue, false, 0, &sv->key) < 0) return -1;
        if (sv->cert_issue && sv->key.kind != SRC_GENERATE)
            return fail(c, n,
                        "client_key must be generate with client_certificate: issue (the CA certifies the "
                        "key this server generates)");
        const yt_node_t *rn = yt_get(m, "rotation");
        if (rn && !sv->cert_issue)
            return fail(c, rn, "rotation applies to x509 only with client_certificate: issue");
    }
        __attribute__((fallthrough)); /* x509 and est both need the server certificate */
    case POL_MODE_EST:
        if (require(c, m, "server_certificate",
                    md == POL_MODE_EST
                        ? "security with mode est (the EST/DTLS server's certificate for /0/x/4)"
                        : "security with mode x509 (the server's certificate or trust anchor for /0/x/4)",
                    &n) < 0 ||
            get_server_cert(c, n, &sv->server_key, &sv->server_key_len) < 0)
            return -1;
        break;
    default: break;
    }
    sv->written_mode = 4;
    if ((n = yt_get(m, "written_mode"))) {
        /* Transport 1.1.1 §5.2.4 writes mode 4; some clients (and an interop
         * test suite) expect mode 2 with empty /0/x/3 and /0/x/5 instead. */
        int64_t v;
        if (n->kind != YT_SCALAR || yt_scalar_int(n, 0, 255, &v) != 0 || (v != 2 && v != 4))
            return fail(c, n,
                        "written_mode must be 4 (Security Mode 4, Transport §5.2.4) or 2 (mode 2 with empty "
                        "/0/x/3 and /0/x/5)");
        sv->written_mode = (uint8_t)v;
    }
    sv->cert_usage = -1;
    if ((n = yt_get(m, "certificate_usage"))) {
        int64_t v;
        if (get_int(c, n, "certificate_usage", 0, 3, &v) < 0) return -1;
        sv->cert_usage = (int)v;
    }
    if ((n = yt_get(m, "sni"))) {
        if (get_text(c, n, "sni", &sv->sni.s, &sv->sni.len) < 0 ||
            check_vars(c, n, sv->sni.s, sv->sni.len) < 0)
            return -1;
        if (sv->sni.len == 0 || sv->sni.len > 253) return fail(c, n, "sni must be 1..253 bytes");
        for (size_t i = 0; i < sv->sni.len; i++) {
            char ch = sv->sni.s[i];
            if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                  ch == '-' || ch == '.' || ch == '$' || ch == '{' || ch == '}' || ch == '_'))
                return fail(c, n, "sni must be a DNS host name, not \"%s\"", QN(n));
        }
        sv->has_sni = true;
        sv->sni.kind = PV_TEXT;
        sv->sni.type = LWM2M_T_STRING;
    }
    if ((n = yt_get(m, "ciphersuites"))) {
        if (need_seq(c, n, "ciphersuites", 1, POLICY_MAX_SUITES) < 0) return -1;
        for (size_t i = 0; i < n->n; i++) {
            int64_t v;
            if (get_int(c, n->vals[i], "a ciphersuite (IANA TLS number)", 1, 65535, &v) < 0) return -1;
            for (size_t j = 0; j < sv->nsuites; j++)
                if (sv->suites[j] == v)
                    return fail(c, n->vals[i], "ciphersuite %lld is listed twice", (long long)v);
            sv->suites[sv->nsuites++] = (uint16_t)v;
        }
    }
    if ((n = yt_get(m, "rotation"))) {
        int64_t v;
        if (get_int(c, n, "rotation", 0, UINT32_MAX, &v) < 0) return -1;
        sv->rotation = (uint32_t)v;
    }
    *oscore_node = yt_get(m, "oscore");
    if (*oscore_node) {
        size_t l;
        if (get_text(c, *oscore_node, "security.oscore", oscore_name, &l) < 0) return -1;
    }
    (void)qb;
    return 0;
}

static int parse_server(pctx_t *c, const yt_node_t *m, pol_server_t *sv)
{
    static const char *const keys[] = {"ssid",
                                       "uri",
                                       "security",
                                       "lifetime",
                                       "min_period",
                                       "max_period",
                                       "disable_timeout",
                                       "notification_storing",
                                       "binding",
                                       "resources",
                                       NULL};
    char qb[200], why[128];
    if (need_map(c, m, "a server") < 0 || check_keys(c, m, keys, "a server") < 0) return -1;
    const yt_node_t *n, *sec;
    int64_t v;
    if (require(c, m, "ssid", "a server", &n) < 0 || get_int(c, n, "ssid", 1, 65534, &v) < 0) return -1;
    sv->ssid = (uint16_t)v;
    const yt_node_t *urin;
    if (require(c, m, "uri", "a server", &urin) < 0 ||
        get_text(c, urin, "uri", &sv->uri.s, &sv->uri.len) < 0 ||
        check_vars(c, urin, sv->uri.s, sv->uri.len) < 0)
        return -1;
    sv->uri.kind = PV_TEXT;
    sv->uri.type = LWM2M_T_STRING;
    bool secure = false;
    if (!has_vars(sv->uri.s, sv->uri.len)) {
        if (pol_uri_check(sv->uri.s, sv->uri.len, &secure, why, sizeof why) < 0)
            return fail(c, urin, "uri \"%s\": %s", QN(urin), why);
    } else if (uri_scheme(sv->uri.s, sv->uri.len, &secure) == 0) {
        /* The scheme decides the mode check; the rest is checked per device. */
        return fail(c, urin, "uri \"%s\": the scheme must be coap, coaps, coap+tcp or coaps+tcp", QN(urin));
    }
    const char *oname = NULL;
    const yt_node_t *onode = NULL;
    if (require(c, m, "security", "a server", &sec) < 0 || parse_security(c, sec, sv, &oname, &onode) < 0)
        return -1;
    sv->oscore = -1;
    if (oname) {
        for (size_t i = 0; i < c->p->noscore; i++)
            if (strcmp(c->p->oscore[i].name, oname) == 0) sv->oscore = (int)i;
        if (sv->oscore < 0) return fail(c, onode, "oscore \"%s\" is not defined under oscore:", QN(onode));
        pol_oscore_t *o = &c->p->oscore[sv->oscore];
        if (o->server >= 0)
            return fail(c, onode,
                        "oscore \"%s\" is already used by server %u; each context serves one server",
                        QN(onode), (unsigned)c->p->servers[o->server].ssid);
        o->server = (int)(sv - c->p->servers);
    }
    if (sv->mode == POL_MODE_NOSEC && secure)
        return fail(c, urin, "mode nosec needs a coap:// or coap+tcp:// uri, not coaps");
    if (sv->mode != POL_MODE_NOSEC && !secure)
        return fail(c, urin, "mode %s needs a coaps:// or coaps+tcp:// uri",
                    sv->mode == POL_MODE_PSK    ? "psk"
                    : sv->mode == POL_MODE_RPK  ? "rpk"
                    : sv->mode == POL_MODE_X509 ? "x509"
                                                : "est");
    sv->lifetime = 86400;
    if ((n = yt_get(m, "lifetime")) && get_int(c, n, "lifetime", 1, INT32_MAX, &sv->lifetime) < 0) return -1;
    if ((n = yt_get(m, "min_period"))) {
        if (get_int(c, n, "min_period", 0, INT32_MAX, &sv->min_period) < 0) return -1;
        sv->has_min = true;
    }
    if ((n = yt_get(m, "max_period"))) {
        if (get_int(c, n, "max_period", 1, INT32_MAX, &sv->max_period) < 0) return -1;
        sv->has_max = true;
        if (sv->has_min && sv->max_period < sv->min_period)
            return fail(c, n, "max_period (%lld) is below min_period (%lld)", (long long)sv->max_period,
                        (long long)sv->min_period);
    }
    if ((n = yt_get(m, "disable_timeout"))) {
        if (get_int(c, n, "disable_timeout", 0, INT32_MAX, &sv->disable_timeout) < 0) return -1;
        sv->has_disable = true;
    }
    sv->nstore = true;
    if ((n = yt_get(m, "notification_storing")) && get_bool(c, n, "notification_storing", &sv->nstore) < 0)
        return -1;
    sv->binding.kind = PV_TEXT;
    sv->binding.type = LWM2M_T_STRING;
    sv->binding.s = "U";
    sv->binding.len = 1;
    if ((n = yt_get(m, "binding"))) {
        if (get_text(c, n, "binding", &sv->binding.s, &sv->binding.len) < 0) return -1;
        /* LwM2M 1.1 Core §E.2: U, T, S, N (Q was 1.0's queue mode). */
        if (sv->binding.len == 0 || sv->binding.len > 4)
            return fail(c, n, "binding must be 1..4 of U, T, S, N, Q");
        for (size_t i = 0; i < sv->binding.len; i++) {
            if (!strchr("UTSNQ", sv->binding.s[i]) || sv->binding.s[i] == 0)
                return fail(c, n, "binding may only hold U, T, S, N, Q, not \"%s\"", QN(n));
            for (size_t j = 0; j < i; j++)
                if (sv->binding.s[j] == sv->binding.s[i])
                    return fail(c, n, "binding repeats %c", sv->binding.s[i]);
        }
    }
    if ((n = yt_get(m, "resources")) &&
        parse_res_map(c, n, LWM2M_OBJ_SERVER, server_res_forbid, sv->extra, &sv->nextra, "resources") < 0)
        return -1;
    return 0;
}

static int printable_id(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] < 0x21 || s[i] > 0x7e) return 0;
    return 1;
}

static int parse_oscore(pctx_t *c, const yt_node_t *m, pol_oscore_t *o)
{
    static const char *const keys[] = {"name",        "master_secret", "sender_id", "recipient_id", "aead",
                                       "master_salt", "id_context",    "instance",  "rotation",     NULL};
    char qb[200];
    if (need_map(c, m, "an oscore context") < 0 || check_keys(c, m, keys, "an oscore context") < 0) return -1;
    const yt_node_t *n;
    size_t len;
    if (require(c, m, "name", "an oscore context", &n) < 0 || get_text(c, n, "name", &o->name, &len) < 0)
        return -1;
    if (len == 0 || len > LABEL_MAX || !label_name_ok(o->name, len))
        return fail(c, n, "oscore names are 1..%d bytes of A-Z a-z 0-9 _ - .", LABEL_MAX);
    for (pol_oscore_t *x = c->p->oscore; x < o; x++)
        if (strcmp(x->name, o->name) == 0) return fail(c, n, "oscore \"%s\" is defined twice", QN(n));
    if (require(c, m, "master_secret", "an oscore context", &n) < 0 ||
        get_src(c, n, "master_secret", true, true, POL_MS_DEFAULT, &o->secret) < 0)
        return -1;
    const char *ids[2] = {"sender_id", "recipient_id"};
    pol_val_t *dst[2] = {&o->sender, &o->recipient};
    for (int i = 0; i < 2; i++) {
        if (require(c, m, ids[i], "an oscore context", &n) < 0 ||
            get_text(c, n, ids[i], &dst[i]->s, &dst[i]->len) < 0)
            return -1;
        /* RFC 8613 §3.3: at most 7 bytes with AES-CCM-16-64-128; printable
         * ASCII so the String (v1.x) and Opaque (v2.0) encodings agree. */
        if (dst[i]->len > POL_OSCORE_ID_MAX || !printable_id(dst[i]->s, dst[i]->len))
            return fail(c, n, "%s must be 0..%d printable ASCII characters", ids[i], POL_OSCORE_ID_MAX);
        dst[i]->kind = PV_TEXT;
        dst[i]->type = LWM2M_T_STRING;
    }
    if (o->sender.len == o->recipient.len && memcmp(o->sender.s, o->recipient.s, o->sender.len) == 0)
        return fail(c, n, "sender_id and recipient_id must differ");
    if ((n = yt_get(m, "aead"))) {
        if (get_int(c, n, "aead (a COSE algorithm)", -65536, 65535, &o->aead) < 0) return -1;
        o->has_aead = true;
    }
    if ((n = yt_get(m, "master_salt"))) {
        if (parse_value(c, n, LWM2M_T_NONE, &o->salt) < 0) return -1;
        if (o->salt.kind != PV_BYTES && o->salt.kind != PV_TEXT)
            return fail(c, n, "master_salt must be text or {hex: …} / {base64: …}");
        o->has_salt = true;
    }
    if ((n = yt_get(m, "id_context"))) {
        if (parse_value(c, n, LWM2M_T_NONE, &o->idctx) < 0) return -1;
        if (o->idctx.kind != PV_BYTES && o->idctx.kind != PV_TEXT)
            return fail(c, n, "id_context must be text or {hex: …} / {base64: …}");
        o->has_ctx = true;
    }
    int64_t v = -1;
    if ((n = yt_get(m, "instance")) && get_int(c, n, "instance", 0, LWM2M_MAX_ID, &v) < 0) return -1;
    o->inst = v < 0 ? 0xffffu : (uint16_t)v;
    if (v >= 0)
        for (pol_oscore_t *x = c->p->oscore; x < o; x++)
            if (x->inst == o->inst) return fail(c, n, "instance %lld is used twice", (long long)v);
    if ((n = yt_get(m, "rotation"))) {
        if (get_int(c, n, "rotation", 0, UINT32_MAX, &v) < 0) return -1;
        o->rotation = (uint32_t)v;
    }
    o->server = -1;
    return 0;
}

static int server_by_ssid(const policy_t *p, int64_t ssid)
{
    for (size_t i = 0; i < p->nservers; i++)
        if (p->servers[i].ssid == ssid) return (int)i;
    return -1;
}

/* "RWEDC" letters: R=1, W=2, E=4, D=8, C=16 (Core §E.3). */
static int get_rights(pctx_t *c, const yt_node_t *n, bool object_level, uint8_t *out)
{
    char qb[200];
    const char *s;
    size_t len;
    if (get_text(c, n, "rights", &s, &len) < 0) return -1;
    *out = 0;
    for (size_t i = 0; i < len; i++) {
        const char *at = strchr("RWEDC", s[i]);
        if (!at || !s[i])
            return fail(c, n,
                        "rights are letters of RWEDC (Read, Write, Execute, Delete, Create), not \"%s\"",
                        QN(n));
        uint8_t bit = (uint8_t)(1u << (at - "RWEDC"));
        if (*out & bit) return fail(c, n, "rights repeat %c", s[i]);
        *out |= bit;
    }
    if (object_level && (*out & ~16u))
        return fail(c, n, "an object-level ACL (target /O) only grants C (Create), not \"%s\"", QN(n));
    if (!object_level && (*out & 16u))
        return fail(c, n, "C (Create) is granted by an object-level ACL (target /O), not on an instance");
    return 0;
}

static int parse_acl(pctx_t *c, const yt_node_t *m, pol_acl_t *a)
{
    static const char *const keys[] = {"target", "owner", "rights", "default", "instance", NULL};
    char qb[200];
    if (need_map(c, m, "an acl") < 0 || check_keys(c, m, keys, "an acl") < 0) return -1;
    const yt_node_t *n;
    lwm2m_path_t t;
    if (require(c, m, "target", "an acl", &n) < 0 || get_path(c, n, "target", 1, 2, &t) < 0) return -1;
    if (t.obj == LWM2M_OBJ_SECURITY || t.obj == LWM2M_OBJ_ACL || t.obj == LWM2M_OBJ_OSCORE)
        return fail(c, n, "objects 0, 2 and 21 have no Access Control instances");
    a->obj = t.obj;
    a->oinst = t.depth == 2 ? t.inst : 0xffffu;
    for (pol_acl_t *x = c->p->acls; x < a; x++)
        if (x->obj == a->obj && x->oinst == a->oinst) return fail(c, n, "target \"%s\" has two acls", QN(n));
    bool ol = t.depth == 1;
    int64_t v;
    if (require(c, m, "owner", "an acl", &n) < 0 || get_int(c, n, "owner", 1, 65534, &v) < 0) return -1;
    if (server_by_ssid(c->p, v) < 0)
        return fail(c, n, "owner %lld is not the ssid of a server in this policy", (long long)v);
    a->owner = (uint16_t)v;
    if ((n = yt_get(m, "rights"))) {
        if (need_map(c, n, "rights") < 0) return -1;
        if (n->n > POL_MAX_RIGHTS) return fail(c, n, "at most %d rights entries", POL_MAX_RIGHTS);
        for (size_t i = 0; i < n->n; i++) {
            const yt_node_t *k = n->keys[i];
            if (k->kind != YT_SCALAR || yt_scalar_int(k, 1, 65534, &v) != 0)
                return fail(c, k, "rights are keyed by ssid (1..65534), not \"%s\"", QN(k));
            if (server_by_ssid(c->p, v) < 0)
                return fail(c, k, "ssid %lld is not the ssid of a server in this policy", (long long)v);
            a->ssid[a->n] = (uint16_t)v;
            if (get_rights(c, n->vals[i], ol, &a->rights[a->n]) < 0) return -1;
            a->n++;
        }
    }
    if ((n = yt_get(m, "default"))) {
        if (get_rights(c, n, ol, &a->def) < 0) return -1;
        a->has_default = true;
    }
    if (!a->n && !a->has_default) return fail(c, m, "an acl needs rights or default");
    v = -1;
    if ((n = yt_get(m, "instance")) && get_int(c, n, "instance", 0, LWM2M_MAX_ID, &v) < 0) return -1;
    a->inst = v < 0 ? 0xffffu : (uint16_t)v;
    if (v >= 0)
        for (pol_acl_t *x = c->p->acls; x < a; x++)
            if (x->inst == a->inst) return fail(c, n, "acl instance %lld is used twice", (long long)v);
    return 0;
}

static int parse_object(pctx_t *c, const yt_node_t *m, pol_object_t *o)
{
    static const char *const keys[] = {"path", "values", NULL};
    char qb[200];
    if (need_map(c, m, "an object") < 0 || check_keys(c, m, keys, "an object") < 0) return -1;
    const yt_node_t *n;
    if (require(c, m, "path", "an object", &n) < 0 || get_path(c, n, "path", 2, 2, &o->path) < 0) return -1;
    static const char *const by[] = {"servers:", "servers:", "acls:"};
    if (o->path.obj <= 2)
        return fail(c, n, "object %u is written by %s", (unsigned)o->path.obj, by[o->path.obj]);
    if (o->path.obj == LWM2M_OBJ_OSCORE) return fail(c, n, "object 21 is written by oscore:");
    for (pol_object_t *x = c->p->objects; x < o; x++)
        if (x->path.obj == o->path.obj && x->path.inst == o->path.inst)
            return fail(c, n, "\"%s\" is given twice", QN(n));
    if (require(c, m, "values", "an object", &n) < 0 ||
        parse_res_map(c, n, o->path.obj, NULL, o->res, &o->nres, "values") < 0)
        return -1;
    if (o->nres == 0) return fail(c, n, "values is empty");
    return 0;
}

static int parse_bootstrap(pctx_t *c, const yt_node_t *m)
{
    static const char *const keys[] = {"client_hold_off", "account_timeout", "rotate", NULL};
    static const char *const rkeys[] = {"mode", "psk_identity", "psk_key", "client_key", "rotation", NULL};
    pol_bs_t *b = &c->p->bs;
    if (need_map(c, m, "bootstrap") < 0 || check_keys(c, m, keys, "bootstrap") < 0) return -1;
    const yt_node_t *n;
    if ((n = yt_get(m, "client_hold_off"))) {
        if (get_int(c, n, "client_hold_off", 0, INT32_MAX, &b->hold) < 0) return -1;
        b->has_hold = true;
    }
    if ((n = yt_get(m, "account_timeout"))) {
        if (get_int(c, n, "account_timeout", 0, INT32_MAX, &b->timeout) < 0) return -1;
        b->has_timeout = true;
    }
    const yt_node_t *r = yt_get(m, "rotate");
    if (!r) {
        if (!b->has_hold && !b->has_timeout)
            return fail(c, m, "bootstrap needs client_hold_off, account_timeout or rotate");
        return 0;
    }
    char qb[200];
    if (need_map(c, r, "bootstrap.rotate") < 0 || check_keys(c, r, rkeys, "bootstrap.rotate") < 0) return -1;
    if (require(c, r, "mode", "bootstrap.rotate", &n) < 0) return -1;
    if (yt_scalar_is(n, "psk"))
        b->mode = POL_MODE_PSK;
    else if (yt_scalar_is(n, "rpk"))
        b->mode = POL_MODE_RPK;
    else
        return fail(c, n, "bootstrap.rotate.mode must be psk or rpk, not \"%s\"",
                    n->kind == YT_SCALAR ? QN(n) : "");
    const yt_node_t *k;
    if (b->mode == POL_MODE_PSK) {
        if ((k = yt_get(r, "client_key"))) return fail(c, k, "client_key does not apply to mode psk");
        b->identity.s = "${endpoint}";
        b->identity.len = 11;
        if ((k = yt_get(r, "psk_identity"))) {
            if (get_text(c, k, "psk_identity", &b->identity.s, &b->identity.len) < 0 ||
                check_vars(c, k, b->identity.s, b->identity.len) < 0)
                return -1;
            if (b->identity.len == 0 ||
                (!has_vars(b->identity.s, b->identity.len) && b->identity.len > POLICY_IDENTITY_MAX))
                return fail(c, k, "psk_identity must be 1..%d bytes", POLICY_IDENTITY_MAX);
        }
        b->identity.kind = PV_TEXT;
        b->identity.type = LWM2M_T_OPAQUE;
        if (require(c, r, "psk_key", "bootstrap.rotate with mode psk", &k) < 0 ||
            get_src(c, k, "psk_key", true, true, POL_PSK_DEFAULT, &b->key) < 0)
            return -1;
    } else {
        if ((k = yt_get(r, "psk_key"))) return fail(c, k, "psk_key does not apply to mode rpk");
        if ((k = yt_get(r, "psk_identity"))) return fail(c, k, "psk_identity does not apply to mode rpk");
        if (require(c, r, "client_key", "bootstrap.rotate with mode rpk", &k) < 0 ||
            get_src(c, k, "client_key", true, false, 0, &b->key) < 0)
            return -1;
    }
    if (b->key.kind == SRC_DEVICE)
        return fail(
            c, k,
            "a rotated bootstrap credential is generated by this server; {from: device} does not apply");
    if ((k = yt_get(r, "rotation"))) {
        int64_t v;
        if (get_int(c, k, "rotation", 0, UINT32_MAX, &v) < 0) return -1;
        b->rotation = (uint32_t)v;
    }
    b->rotate = true;
    return 0;
}

/* A list of distinct names from |names| (|n| of them) as the bit set |*out|. */
static int get_name_set(pctx_t *c, const yt_node_t *l, const char *what, const char *const *names, size_t n,
                        uint32_t *out)
{
    char qb[200], list[80];
    size_t o = 0;
    for (size_t k = 0; k < n; k++)
        o += (size_t)snprintf(list + o, sizeof list - o, "%s%s", k ? ", " : "", names[k]);
    if (need_seq(c, l, what, 1, n) < 0) return -1;
    *out = 0;
    for (size_t i = 0; i < l->n; i++) {
        const yt_node_t *v = l->vals[i];
        size_t k = 0;
        while (k < n && !yt_scalar_is(v, names[k]))
            k++;
        if (k == n)
            return fail(c, v, "%s: \"%s\" is not one of %s", what,
                        v->kind == YT_SCALAR ? QN(v) : kind_name(v), list);
        if (*out & (1u << k)) return fail(c, v, "%s lists %s twice", what, names[k]);
        *out |= 1u << k;
    }
    return 0;
}

static int parse_est_sans(pctx_t *c, const yt_node_t *m, pol_est_t *e)
{
    static const char *const keys[] = {"dns", "uri", "email", NULL};
    static const int types[] = {POLICY_EST_SAN_DNS, POLICY_EST_SAN_URI, POLICY_EST_SAN_EMAIL};
    char qb[200], why[128], what[40];
    if (need_map(c, m, "est.subject_alt_names") < 0 || check_keys(c, m, keys, "est.subject_alt_names") < 0)
        return -1;
    for (size_t t = 0; t < 3; t++) {
        const yt_node_t *l = yt_get(m, keys[t]);
        if (!l) continue;
        snprintf(what, sizeof what, "est.subject_alt_names.%s", keys[t]);
        if (need_seq(c, l, what, 1, POLICY_EST_MAX_SAN) < 0) return -1;
        for (size_t i = 0; i < l->n; i++) {
            const yt_node_t *v = l->vals[i];
            pol_est_san_t *s = &e->san[e->nsan];
            if (e->nsan == POLICY_EST_MAX_SAN)
                return fail(c, v, "est.subject_alt_names holds more than %d names", POLICY_EST_MAX_SAN);
            if (get_text(c, v, what, &s->s, &s->len) < 0 || check_vars(c, v, s->s, s->len) < 0) return -1;
            if (pol_est_san_check(types[t], s->s, s->len, has_vars(s->s, s->len), why, sizeof why) < 0)
                return fail(c, v, "%s \"%s\": %s", what, QN(v), why);
            for (const pol_est_san_t *x = e->san; x < s; x++)
                if (x->type == types[t] && x->len == s->len && memcmp(x->s, s->s, s->len) == 0)
                    return fail(c, v, "%s lists \"%s\" twice", what, QN(v));
            s->type = types[t];
            e->nsan++;
        }
    }
    return 0;
}

/* The `est:` section: who may enroll at this server's EST CA, and for what. */
static int parse_est(pctx_t *c, const yt_node_t *m)
{
    static const char *const keys[] = {"enroll_with",
                                       "subject",
                                       "subject_alt_names",
                                       "validity_days",
                                       "curves",
                                       "renew_with_new_key",
                                       "max_enrollments_per_hour",
                                       NULL};
    static const char *const auths[] = {"x509", "psk", "rpk"};    /* POLICY_EST_AUTH_* bit order */
    static const char *const curves[] = {"p256", "p384", "p521"}; /* POLICY_EST_CURVE_* bit order */
    char qb[200], why[200];
    pol_est_t *e = &c->p->est;
    if (need_map(c, m, "est") < 0 || check_keys(c, m, keys, "est") < 0) return -1;
    e->present = true;
    const yt_node_t *n;
    int64_t v;
    if ((n = yt_get(m, "enroll_with")) && get_name_set(c, n, "est.enroll_with", auths, 3, &e->auth) < 0)
        return -1;
    if ((n = yt_get(m, "subject"))) {
        if (get_text(c, n, "est.subject", &e->subject, &e->subject_len) < 0 ||
            check_vars(c, n, e->subject, e->subject_len) < 0)
            return -1;
        if (pol_est_subject_check(e->subject, e->subject_len, why, sizeof why) < 0)
            return fail(c, n, "est.subject \"%s\": %s", QN(n), why);
    }
    if ((n = yt_get(m, "subject_alt_names")) && parse_est_sans(c, n, e) < 0) return -1;
    if ((n = yt_get(m, "validity_days"))) {
        if (get_int(c, n, "est.validity_days", 1, 3650, &v) < 0) return -1;
        e->validity_days = (uint32_t)v;
    }
    if ((n = yt_get(m, "curves")) && get_name_set(c, n, "est.curves", curves, 3, &e->curves) < 0) return -1;
    if ((n = yt_get(m, "renew_with_new_key")) &&
        get_bool(c, n, "est.renew_with_new_key", &e->renew_new_key) < 0)
        return -1;
    if ((n = yt_get(m, "max_enrollments_per_hour"))) {
        if (get_int(c, n, "est.max_enrollments_per_hour", 1, 1000, &v) < 0) return -1;
        e->per_hour = (uint32_t)v;
    }
    return 0;
}

/* Assigns instance IDs left to the policy: the lowest unused ones, in order. */
static void auto_instances(policy_t *p)
{
    for (size_t i = 0; i < p->noscore; i++) {
        if (p->oscore[i].inst != 0xffffu) continue;
        for (uint16_t id = 0;; id++) {
            int used = 0;
            for (size_t j = 0; j < p->noscore; j++)
                if (p->oscore[j].inst == id) used = 1;
            if (!used) {
                p->oscore[i].inst = id;
                break;
            }
        }
    }
    for (size_t i = 0; i < p->nacls; i++) {
        if (p->acls[i].inst != 0xffffu) continue;
        for (uint16_t id = 0;; id++) {
            int used = 0;
            for (size_t j = 0; j < p->nacls; j++)
                if (p->acls[j].inst == id) used = 1;
            if (!used) {
                p->acls[i].inst = id;
                break;
            }
        }
    }
}

static size_t count_ops(const policy_t *p)
{
    size_t n = 2 + p->ndel; /* discover, finish */
    for (size_t i = 0; i < p->nservers; i++)
        n += 2 + (p->servers[i].oscore >= 0);
    n += p->nacls + p->nobjects + p->bs.has_hold + p->bs.has_timeout + (p->bs.rotate ? 3 : 0);
    return n;
}

static int parse_root(pctx_t *c, const yt_node_t *root)
{
    static const char *const keys[] = {
        "policy",  "description", "priority", "match",   "format",    "on_error", "timeout",     "delete",
        "servers", "oscore",      "acls",     "objects", "bootstrap", "est",      "unbootstrap", NULL};
    char qb[200];
    policy_t *p = c->p;
    if (need_map(c, root, "a policy") < 0 || check_keys(c, root, keys, "a policy") < 0) return -1;
    const yt_node_t *n;
    const char *s;
    size_t len;
    if (require(c, root, "policy", "a policy", &n) < 0 || get_text(c, n, "policy (the name)", &s, &len) < 0)
        return -1;
    if (len == 0 || len > POLICY_NAME_MAX) return fail(c, n, "policy names are 1..%d bytes", POLICY_NAME_MAX);
    for (size_t i = 0; i < len; i++)
        if (s[i] < 0x21 || s[i] > 0x7e) return fail(c, n, "policy names are printable ASCII without spaces");
    memcpy(p->name, s, len);
    p->name[len] = 0;
    if ((n = yt_get(root, "description")) && get_text(c, n, "description", &s, &len) < 0) return -1;
    int64_t v;
    if ((n = yt_get(root, "priority"))) {
        if (get_int(c, n, "priority", -1000000, 1000000, &v) < 0) return -1;
        p->priority = (int32_t)v;
    }
    if (require(c, root, "match", "a policy", &n) < 0 || parse_match(c, n) < 0) return -1;
    if ((n = yt_get(root, "format"))) {
        static const struct {
            const char *name;
            uint16_t cf;
        } f[] = {{"auto", 0}, {"tlv", 11542}, {"senml-json", 110}, {"senml-cbor", 112}};
        int ok = 0;
        for (size_t i = 0; i < 4; i++)
            if (yt_scalar_is(n, f[i].name)) {
                p->format = f[i].cf;
                ok = 1;
            }
        if (!ok)
            return fail(c, n, "format must be auto, tlv, senml-json or senml-cbor, not \"%s\"",
                        n->kind == YT_SCALAR ? QN(n) : kind_name(n));
    }
    if ((n = yt_get(root, "on_error"))) {
        if (yt_scalar_is(n, "continue"))
            p->on_error = BS_ON_ERROR_CONTINUE;
        else if (yt_scalar_is(n, "stop"))
            p->on_error = BS_ON_ERROR_STOP;
        else
            return fail(c, n, "on_error must be continue or stop, not \"%s\"",
                        n->kind == YT_SCALAR ? QN(n) : kind_name(n));
    }
    if ((n = yt_get(root, "unbootstrap"))) {
        if (yt_scalar_is(n, "written"))
            p->unboot = POLICY_UNBOOT_WRITTEN;
        else if (yt_scalar_is(n, "exclusive"))
            p->unboot = POLICY_UNBOOT_EXCLUSIVE;
        else if (yt_scalar_is(n, "off"))
            p->unboot = POLICY_UNBOOT_OFF;
        else
            return fail(c, n, "unbootstrap must be written, exclusive or off, not \"%s\"",
                        n->kind == YT_SCALAR ? QN(n) : kind_name(n));
    }
    if ((n = yt_get(root, "timeout"))) {
        if (get_int(c, n, "timeout", 1, POLICY_TIMEOUT_MAX, &v) < 0) return -1;
        p->timeout_ms = (uint32_t)v * 1000u;
    }
    if ((n = yt_get(root, "delete"))) {
        if (need_seq(c, n, "delete", 1, POLICY_MAX_DELETES) < 0) return -1;
        for (size_t i = 0; i < n->n; i++) {
            if (get_path(c, n->vals[i], "delete", 0, 2, &p->del[i]) < 0) return -1;
            for (size_t j = 0; j < i; j++)
                if (lwm2m_path_cmp(&p->del[i], &p->del[j]) == 0)
                    return fail(c, n->vals[i], "\"%s\" is deleted twice", QN(n->vals[i]));
            p->ndel++;
        }
    }
    /* OSCORE contexts first: servers link to them by name. */
    if ((n = yt_get(root, "oscore"))) {
        if (need_seq(c, n, "oscore", 1, POLICY_MAX_OSCORE) < 0) return -1;
        for (size_t i = 0; i < n->n; i++) {
            if (parse_oscore(c, n->vals[i], &p->oscore[i]) < 0) return -1;
            p->noscore++;
        }
    }
    const yt_node_t *svn = yt_get(root, "servers");
    if (svn) {
        if (need_seq(c, svn, "servers", 1, POLICY_MAX_SERVERS) < 0) return -1;
        for (size_t i = 0; i < svn->n; i++) {
            pol_server_t *sv = &p->servers[i];
            if (parse_server(c, svn->vals[i], sv) < 0) return -1;
            if (server_by_ssid(p, sv->ssid) >= 0)
                return fail(c, yt_get(svn->vals[i], "ssid"), "ssid %u is used by two servers",
                            (unsigned)sv->ssid);
            p->nservers++;
        }
    }
    for (size_t i = 0; i < p->noscore; i++)
        if (p->oscore[i].server < 0)
            return fail(c, yt_get(yt_get(root, "oscore")->vals[i], "name"),
                        "oscore \"%s\" is not used by any server", p->oscore[i].name);
    if ((n = yt_get(root, "acls"))) {
        if (need_seq(c, n, "acls", 1, POLICY_MAX_ACLS) < 0) return -1;
        for (size_t i = 0; i < n->n; i++) {
            if (parse_acl(c, n->vals[i], &p->acls[i]) < 0) return -1;
            p->nacls++;
        }
    }
    if ((n = yt_get(root, "objects"))) {
        if (need_seq(c, n, "objects", 1, POLICY_MAX_OBJECTS) < 0) return -1;
        for (size_t i = 0; i < n->n; i++) {
            if (parse_object(c, n->vals[i], &p->objects[i]) < 0) return -1;
            p->nobjects++;
        }
    }
    if ((n = yt_get(root, "bootstrap")) && parse_bootstrap(c, n) < 0) return -1;
    pol_est_defaults(&p->est);
    if ((n = yt_get(root, "est")) && parse_est(c, n) < 0) return -1;
    if (!p->nservers && !p->ndel && !p->nacls && !p->nobjects && !p->bs.has_hold && !p->bs.has_timeout &&
        !p->bs.rotate)
        return fail(c, root, "the policy writes nothing: give servers, delete, acls, objects or bootstrap");
    auto_instances(p);
    if (count_ops(p) > BS_PLAN_MAX_OPS)
        return fail(c, root, "the policy needs %zu operations; a plan holds at most %d", count_ops(p),
                    BS_PLAN_MAX_OPS);
    return 0;
}

policy_t *policy_parse(const char *name, const char *yaml, size_t len, char *err, size_t errcap)
{
    if (err && errcap) err[0] = 0;
    if (!name) name = "policy";
    if (!yaml) {
        if (err && errcap) snprintf(err, errcap, "%s: no input", name);
        return NULL;
    }
    yt_doc_t *d = yt_parse(name, yaml, len, err, errcap);
    if (!d) return NULL;
    policy_t *p = calloc(1, sizeof *p);
    if (!p) {
        yt_free(d);
        if (err && errcap) snprintf(err, errcap, "%s: out of memory", name);
        return NULL;
    }
    p->doc = d;
    pctx_t c = {p, name, err, errcap};
    if (parse_root(&c, yt_root(d)) < 0) {
        policy_free(p);
        return NULL;
    }
    return p;
}

void policy_free(policy_t *p)
{
    if (!p) return;
    if (p->has_regex) regfree(&p->re);
    yt_free(p->doc);
    pol_wipe(p, sizeof *p);
    free(p);
}

const char *policy_name(const policy_t *p)
{
    return p ? p->name : NULL;
}

int32_t policy_priority(const policy_t *p)
{
    return p ? p->priority : 0;
}

/* ---- matching ------------------------------------------------------------- */

int policy_matches(const policy_t *p, const policy_device_t *dev)
{
    if (!p || !dev || !dev->endpoint) return 0;
    if (p->glob && fnmatch(p->glob, dev->endpoint, 0) != 0) return 0;
    if (p->has_regex && regexec(&p->re, dev->endpoint, 0, NULL, 0) != 0) return 0;
    for (size_t i = 0; i < p->nlabels; i++) {
        int ok = 0;
        for (size_t k = 0; k < dev->nlabels && !ok; k++)
            ok = dev->labels[k].key && dev->labels[k].value &&
                 strcmp(dev->labels[k].key, p->labels[i].key) == 0 &&
                 strcmp(dev->labels[k].value, p->labels[i].value) == 0;
        if (!ok) return 0;
    }
    return 1;
}

int policy_select(const policy_t *const *ps, size_t n, const policy_device_t *dev, int *ambiguous)
{
    int best = -1, amb = 0;
    for (size_t i = 0; i < n; i++) {
        if (!ps[i] || !policy_matches(ps[i], dev)) continue;
        if (best < 0 || ps[i]->priority > ps[best]->priority) {
            best = (int)i;
            amb = 0;
        } else if (ps[i]->priority == ps[best]->priority) {
            amb = 1;
            if (strcmp(ps[i]->name, ps[best]->name) < 0) best = (int)i;
        }
    }
    if (ambiguous) *ambiguous = amb;
    return best < 0 ? POLICY_ERR_NOMATCH : best;
}

static int glob_is_literal(const char *g)
{
    return g && strpbrk(g, "*?[\\") == NULL;
}

int policy_may_overlap(const policy_t *a, const policy_t *b)
{
    if (!a || !b || a->priority != b->priority) return 0;
    for (size_t i = 0; i < a->nlabels; i++)
        for (size_t j = 0; j < b->nlabels; j++)
            if (strcmp(a->labels[i].key, b->labels[j].key) == 0 &&
                strcmp(a->labels[i].value, b->labels[j].value) != 0)
                return 0;
    /* A literal name is one device: it decides against the other's pattern. */
    if (glob_is_literal(a->glob) && glob_is_literal(b->glob)) return strcmp(a->glob, b->glob) == 0;
    if (glob_is_literal(a->glob)) {
        if (b->glob && fnmatch(b->glob, a->glob, 0) != 0) return 0;
        if (b->has_regex && regexec(&b->re, a->glob, 0, NULL, 0) != 0) return 0;
    }
    if (glob_is_literal(b->glob)) {
        if (a->glob && fnmatch(a->glob, b->glob, 0) != 0) return 0;
        if (a->has_regex && regexec(&a->re, b->glob, 0, NULL, 0) != 0) return 0;
    }
    return 1;
}
