/*
 * bs_planfile.c — parses and checks the plans file (bs_planfile.h) and
 * compiles a plan for one endpoint.
 *
 * jansson does the JSON syntax (with duplicate keys rejected, so an
 * operator's second "timeout" cannot silently win); this file walks the
 * tree once, checks every key and value, and stores each plan as a
 * template bs_plan_t whose text values still hold `${endpoint}`. Compiling
 * copies the template and expands the variable, so it needs no allocation
 * and cannot fail on anything but size.
 *
 * The location in semantic errors is built as the walk descends
 * (plans[0].operations[3].values.16.0); only keys that passed validation
 * are appended to it, so it never carries operator bytes. Values quoted in
 * messages are escaped and shortened: messages go to logs.
 */
#include "bsd/lwm2m/bs_planfile.h"

#include "bsd/lwm2m/lwm2m_objects.h"
#include "bsd/util/utf8.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct bs_planfile_plan {
    bs_plan_t tmpl;                  /* the plan before substitution; value bytes point into tmpl.bytes */
    uint8_t subst[BS_PLAN_MAX_RECS]; /* 1: record i is text holding ${endpoint} */
    char globs[BS_PLANFILE_MAX_GLOBS][BS_PLANFILE_GLOB_MAX + 1]; /* `match`, NUL-terminated */
    size_t nglobs;
};

struct bs_planfile {
    bs_planfile_plan_t *plans; /* nplans entries, file order */
    size_t nplans;
};

#define VAR_LEN   (sizeof BS_PLANFILE_VAR_ENDPOINT - 1)
#define QUOTE_MAX 40                  /* operator bytes shown in a message */
#define QBUF      (4 * QUOTE_MAX + 8) /* their escaped, quoted form */
#define LOC_MAX   160 /* longest location, e.g. plans[255].operations[63].values.65534.65534.base64 */

/* ---- messages ------------------------------------------------------------------ */

typedef struct pctx {
    const char *name; /* file name for messages */
    char *err;        /* caller's message buffer */
    size_t errcap;
    char loc[LOC_MAX]; /* where the walk is */
    size_t loclen;
} pctx_t;

/* Writes |n| bytes of |s| to |out| with control and non-ASCII bytes as \xNN,
 * at most |show| source bytes (then "..."); |quoted|: in quotes, with '"'
 * and '\\' escaped. */
static void escape_into(char *out, size_t cap, const char *s, size_t n, size_t show, int quoted)
{
    size_t o = 0;
    if (cap == 0) return;
#define PUT(ch)                                                                                              \
    do {                                                                                                     \
        if (o + 1 < cap) out[o++] = (ch);                                                                    \
    } while (0)
    if (quoted) PUT('"');
    for (size_t i = 0; i < n && i < show; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (quoted && (ch == '"' || ch == '\\')) {
            PUT('\\');
            PUT((char)ch);
        } else if (ch < 0x20 || ch >= 0x7f) {
            static const char hx[] = "0123456789abcdef";
            PUT('\\');
            PUT('x');
            PUT(hx[ch >> 4]);
            PUT(hx[ch & 15]);
        } else {
            PUT((char)ch);
        }
    }
    if (n > show) {
        PUT('.');
        PUT('.');
        PUT('.');
    }
    if (quoted) PUT('"');
#undef PUT
    out[o] = '\0';
}

/* |s| quoted for a message, in |buf| (QBUF bytes). */
static const char *q(char *buf, const char *s)
{
    escape_into(buf, QBUF, s, strlen(s), QUOTE_MAX, 1);
    return buf;
}

__attribute__((format(printf, 2, 3))) static int fail(pctx_t *c, const char *fmt, ...)
{
    if (c->errcap == 0) return -1;
    int n = c->loclen ? snprintf(c->err, c->errcap, "%s: %s: ", c->name, c->loc)
                      : snprintf(c->err, c->errcap, "%s: ", c->name);
    if (n < 0 || (size_t)n >= c->errcap) return -1; /* truncated name: the message is cut, not wrong */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err + n, c->errcap - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

/* Descends into a location part; returns the length to restore with loc_pop. */
__attribute__((format(printf, 2, 3))) static size_t loc_push(pctx_t *c, const char *fmt, ...)
{
    size_t old = c->loclen;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(c->loc + old, sizeof c->loc - old, fmt, ap);
    va_end(ap);
    if (old == 0 && n > 0 && c->loc[0] == '.') { /* a top-level key: "comment", not ".comment" */
        memmove(c->loc, c->loc + 1, strlen(c->loc));
        n--;
    }
    /* LOC_MAX fits the deepest location; a cut one would still be right up to the cut. */
    c->loclen = n < 0 ? old : (old + (size_t)n < sizeof c->loc ? old + (size_t)n : sizeof c->loc - 1);
    return old;
}

static void loc_pop(pctx_t *c, size_t old)
{
    c->loclen = old;
    c->loc[old] = '\0';
}

/* ---- small parsers ------------------------------------------------------------ */

/* A decimal ID: "0" or no leading zero, at most |max|. Returns 0 or -1. */
static int parse_dec(const char *s, size_t n, uint32_t max, uint32_t *out)
{
    uint32_t v = 0;
    if (n == 0 || n > 5 || (n > 1 && s[0] == '0')) return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (uint32_t)(s[i] - '0');
    }
    if (v > max) return -1;
    *out = v;
    return 0;
}

static int parse_id(const char *s, uint16_t *out)
{
    uint32_t v;
    if (parse_dec(s, strlen(s), LWM2M_MAX_ID, &v) != 0) return -1;
    *out = (uint16_t)v;
    return 0;
}

/* Path parse results. */
enum { PATH_OK = 0, PATH_BAD, PATH_SLOT_RANGE, PATH_SLOT_OBJ, PATH_RESERVED };

/* "/", "/O", "/O/I", "/O/I/R" with I a number or slot:N (1..BS_PLAN_MAX_SLOTS). */
static int parse_op_path(const char *s, lwm2m_path_t *out)
{
    uint16_t id[3] = {0, 0, 0};
    int depth = 0, slot = 0;
    size_t n = strlen(s);
    if (n == 0 || s[0] != '/') return PATH_BAD;
    if (n == 1) {
        *out = lwm2m_path(0, 0, 0, 0, 0);
        return PATH_OK;
    }
    size_t i = 1;
    for (;;) {
        size_t start = i;
        while (i < n && s[i] != '/')
            i++;
        if (depth == 3) return PATH_BAD;
        const char *seg = s + start;
        size_t len = i - start;
        uint32_t v;
        if (depth == 1 && len > 5 && memcmp(seg, "slot:", 5) == 0) {
            if (parse_dec(seg + 5, len - 5, 99999, &v) != 0) return PATH_BAD;
            if (v < 1 || v > BS_PLAN_MAX_SLOTS) return PATH_SLOT_RANGE;
            id[1] = BS_INST_SLOT(v - 1);
            slot = 1;
        } else {
            if (parse_dec(seg, len, LWM2M_MAX_ID, &v) != 0) return PATH_BAD;
            if (depth == 1 && BS_INST_IS_SLOT(v)) return PATH_RESERVED;
            id[depth] = (uint16_t)v;
        }
        depth++;
        if (i == n) break;
        i++; /* the '/'; a trailing one leaves an empty segment, refused above */
    }
    if (slot && id[0] != 0 && id[0] != 1) return PATH_SLOT_OBJ;
    *out = lwm2m_path(depth, id[0], id[1], id[2], 0);
    return PATH_OK;
}

/* Writes |p| as the file spells it ("/0/slot:1/10"). */
static void path_str(const lwm2m_path_t *p, char *out, size_t cap)
{
    uint16_t v[4] = {p->obj, p->inst, p->res, p->rinst};
    size_t o = 0;
    if (p->depth == 0) {
        snprintf(out, cap, "/");
        return;
    }
    out[0] = '\0';
    for (int i = 0; i < p->depth && o < cap; i++) {
        int w = i == 1 && BS_INST_IS_SLOT(v[1])
                    ? snprintf(out + o, cap - o, "/slot:%u", (unsigned)(v[1] - BS_INST_SLOT_BASE + 1))
                    : snprintf(out + o, cap - o, "/%u", (unsigned)v[i]);
        if (w < 0) break;
        o += (size_t)w;
    }
}

static int hexval(char ch)
{
    if (ch >= '0' && ch <= '9') return ch - '0';
    if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
    return -1;
}

static int b64val(char ch)
{
    if (ch >= 'A' && ch <= 'Z') return ch - 'A';
    if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9') return ch - '0' + 52;
    if (ch == '+') return 62;
    if (ch == '/') return 63;
    return -1;
}

/* Standard base64 (RFC 4648 §4), padding optional, no whitespace, unused
 * bits zero. Writes at most |cap| bytes; returns the length or -1 (bad
 * text), -2 (does not fit). */
static long b64_decode(const char *s, size_t n, uint8_t *out, size_t cap)
{
    size_t pad = 0;
    while (n > 0 && s[n - 1] == '=' && pad < 2) {
        n--;
        pad++;
    }
    if (pad && (n + pad) % 4 != 0) return -1;
    if (n % 4 == 1) return -1;
    size_t need = n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0);
    if (need > cap) return -2;
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64val(s[i]);
        if (v < 0) return -1;
        acc = acc << 6 | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (acc != 0) return -1; /* non-canonical: leftover bits set */
    return (long)o;
}

/* "O:I", each 0..65535 (65535:65535 is the null link). */
static int parse_objlnk(const char *s, lwm2m_objlnk_t *out)
{
    const char *colon = strchr(s, ':');
    uint32_t o, i;
    if (colon == NULL || parse_dec(s, (size_t)(colon - s), 65535, &o) != 0 ||
        parse_dec(colon + 1, strlen(colon + 1), 65535, &i) != 0)
        return -1;
    out->obj = (uint16_t)o;
    out->inst = (uint16_t)i;
    return 0;
}

/* ---- the object model ----------------------------------------------------------- */

/* What the file needs to know about a resource. */
typedef struct res_info {
    int known;         /* the model lists it; otherwise the type follows the JSON */
    lwm2m_type_t type; /* LWM2M_T_NONE for executable resources */
    int multiple;      /* multiple-instance */
    int bytes_ok;      /* String in v1.1 but Opaque in a later version: hex/base64 accepted */
} res_info_t;

/* The shared object model (lwm2m_objects.h), at version 1.1: the version
 * a Bootstrap-Server writes for LwM2M 1.1 clients. */
static res_info_t model(uint16_t obj, uint16_t res)
{
    res_info_t ri = {0, LWM2M_T_NONE, 0, 0};
    const lwm2m_obj_res_t *r = lwm2m_obj_res(obj, 1, 1, res);
    if (r) {
        ri.known = 1;
        ri.type = r->type;
        ri.multiple = r->multiple;
        /* OSCORE v2.0 made its secrets and IDs Opaque: bytes are accepted and
         * the engine writes them with the type of the client's version. */
        const lwm2m_obj_res_t *r2 = lwm2m_obj_res(obj, 2, 0, res);
        ri.bytes_ok = r->type == LWM2M_T_STRING && r2 && r2->type == LWM2M_T_OPAQUE;
    }
    return ri;
}

/* ---- values -------------------------------------------------------------------- */

static int mismatch(pctx_t *c, const res_info_t *ri, const char *got)
{
    return fail(c, "the resource is %s, not %s", lwm2m_type_name(ri->type), got);
}

/* Checks the variables in text |s|: only ${endpoint}. Sets |*has| when present. */
static int check_vars(pctx_t *c, const char *s, int *has)
{
    char qb[QBUF];
    *has = 0;
    for (const char *p = strstr(s, "${"); p != NULL; p = strstr(p + 2, "${")) {
        if (strncmp(p, BS_PLANFILE_VAR_ENDPOINT, VAR_LEN) != 0)
            return fail(c, "unknown variable in %s (only " BS_PLANFILE_VAR_ENDPOINT ")", q(qb, s));
        *has = 1;
    }
    return 0;
}

/* Room for |n| more value bytes in the plan. */
static int reserve(pctx_t *c, bs_plan_t *t, size_t n)
{
    if (n > BS_PLAN_MAX_BYTES - t->nbytes)
        return fail(c, "the plan's values exceed %u bytes", (unsigned)BS_PLAN_MAX_BYTES);
    return 0;
}

/* A text value of type |type|: stored as is, ${endpoint} expanded at compile time. */
static int put_text(pctx_t *c, bs_planfile_plan_t *p, lwm2m_record_t *r, json_t *j, lwm2m_type_t type)
{
    bs_plan_t *t = &p->tmpl;
    const char *s = json_string_value(j);
    size_t n = json_string_length(j);
    int has;
    if (check_vars(c, s, &has) != 0 || reserve(c, t, n) != 0) return -1;
    memcpy(t->bytes + t->nbytes, s, n);
    r->v.type = type;
    r->v.bytes.p = t->bytes + t->nbytes;
    r->v.bytes.len = n;
    t->nbytes += n;
    p->subst[t->nrecs] = (uint8_t)has;
    return 0;
}

/* A JSON number as |ri|'s type (or INTEGER/FLOAT by its form without a model). */
static int put_number(pctx_t *c, lwm2m_record_t *r, json_t *j, const res_info_t *ri)
{
    int integral;
    int64_t i = 0;
    double f = json_number_value(j);
    if (json_is_integer(j)) {
        i = json_integer_value(j);
        integral = 1;
    } else {
        /* 2^63 is exact in a double; [-2^63, 2^63) converts without overflow. */
        integral = f >= -9223372036854775808.0 && f < 9223372036854775808.0 && (double)(int64_t)f == f;
        if (integral) i = (int64_t)f;
    }
    lwm2m_type_t want = ri->known ? ri->type : (integral ? LWM2M_T_INTEGER : LWM2M_T_FLOAT);
    switch (want) {
    case LWM2M_T_FLOAT:
        r->v.type = LWM2M_T_FLOAT;
        r->v.f = f;
        if (json_is_integer(j)) r->v.f = (double)i;
        return 0;
    case LWM2M_T_INTEGER:
    case LWM2M_T_TIME:
        if (!integral) return mismatch(c, ri, "a fractional number");
        r->v.type = want;
        r->v.i = i;
        return 0;
    case LWM2M_T_UNSIGNED:
        if (!integral) return mismatch(c, ri, "a fractional number");
        if (i < 0) return fail(c, "the resource is Unsigned Integer, not negative");
        r->v.type = LWM2M_T_UNSIGNED;
        r->v.u = (uint64_t)i;
        return 0;
    default: return mismatch(c, ri, "a number");
    }
}

/* {"hex"|"base64"|"text"|"objlnk": "…"} */
static int put_typed(pctx_t *c, bs_planfile_plan_t *p, lwm2m_record_t *r, json_t *j, const res_info_t *ri)
{
    bs_plan_t *t = &p->tmpl;
    char qb[QBUF];
    void *it = json_object_iter(j);
    const char *key = json_object_iter_key(it);
    json_t *v = json_object_iter_value(it);
    if (json_object_size(j) != 1 || key == NULL || v == NULL)
        return fail(c, "a typed value has exactly one key: \"hex\", \"base64\", \"text\" or \"objlnk\"");
    if (strcmp(key, "hex") != 0 && strcmp(key, "base64") != 0 && strcmp(key, "text") != 0 &&
        strcmp(key, "objlnk") != 0)
        return fail(c, "unknown key %s (hex, base64, text, objlnk)", q(qb, key));
    size_t old = loc_push(c, ".%s", key);
    int rc = -1;
    if (!json_is_string(v)) {
        rc = fail(c, "must be a string");
        goto out;
    }
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (strcmp(key, "text") == 0) {
        lwm2m_type_t ty = ri->known ? ri->type : LWM2M_T_STRING;
        if (ty != LWM2M_T_STRING && ty != LWM2M_T_OPAQUE && ty != LWM2M_T_CORELNK)
            rc = mismatch(c, ri, "text");
        else
            rc = put_text(c, p, r, v, ty);
    } else if (strcmp(key, "objlnk") == 0) {
        if (ri->known && ri->type != LWM2M_T_OBJLNK) {
            rc = mismatch(c, ri, "Objlnk");
        } else if (parse_objlnk(s, &r->v.lnk) != 0) {
            rc = fail(c, "%s is not an object link (\"O:I\", each 0..65535)", q(qb, s));
        } else {
            r->v.type = LWM2M_T_OBJLNK;
            rc = 0;
        }
    } else {
        int hex = strcmp(key, "hex") == 0;
        long len;
        if (ri->known && ri->type != LWM2M_T_OPAQUE && !ri->bytes_ok) {
            rc = mismatch(c, ri, "Opaque");
            goto out;
        }
        if (hex) {
            if (n % 2 != 0) {
                rc = fail(c, "odd number of hex digits");
                goto out;
            }
            if (reserve(c, t, n / 2) != 0) goto out;
            for (size_t k = 0; k < n; k += 2) {
                int hi = hexval(s[k]), lo = hexval(s[k + 1]);
                if (hi < 0 || lo < 0) {
                    rc = fail(c, "%s is not hex", q(qb, s));
                    goto out;
                }
                t->bytes[t->nbytes + k / 2] = (uint8_t)(hi << 4 | lo);
            }
            len = (long)(n / 2);
        } else {
            len = b64_decode(s, n, t->bytes + t->nbytes, BS_PLAN_MAX_BYTES - t->nbytes);
            if (len == -2) {
                rc = reserve(c, t, BS_PLAN_MAX_BYTES + 1);
                goto out;
            }
            if (len < 0) {
                rc = fail(c, "%s is not base64", q(qb, s));
                goto out;
            }
        }
        r->v.type = LWM2M_T_OPAQUE;
        r->v.bytes.p = t->bytes + t->nbytes;
        r->v.bytes.len = (size_t)len;
        t->nbytes += (size_t)len;
        rc = 0;
    }
out:
    loc_pop(c, old);
    return rc;
}

/* 1 for /0/x/10 and /1/x/0: Short Server IDs, 1..65534 (0 and 65535 are reserved). */
static int is_ssid(const lwm2m_path_t *pa)
{
    return pa->depth == 3 && ((pa->obj == 0 && pa->res == 10) || (pa->obj == 1 && pa->res == 0));
}

/* Adds one record at |pa| (depth 3 or 4) from the plain or typed value |j|. */
static int add_value(pctx_t *c, bs_planfile_plan_t *p, const lwm2m_path_t *pa, json_t *j,
                     const res_info_t *ri)
{
    bs_plan_t *t = &p->tmpl;
    char qb[QBUF];
    if (t->nrecs == BS_PLAN_MAX_RECS)
        return fail(c, "the plan has more than %u records", (unsigned)BS_PLAN_MAX_RECS);
    lwm2m_record_t *r = &t->recs[t->nrecs];
    memset(r, 0, sizeof *r);
    r->path = *pa;
    p->subst[t->nrecs] = 0;
    int rc;
    switch (json_typeof(j)) {
    case JSON_STRING:
        if (ri->known && ri->type == LWM2M_T_OBJLNK) {
            rc = parse_objlnk(json_string_value(j), &r->v.lnk);
            if (rc != 0) return fail(c, "%s is not an object link (\"O:I\")", q(qb, json_string_value(j)));
            r->v.type = LWM2M_T_OBJLNK;
        } else if (!ri->known || ri->type == LWM2M_T_STRING || ri->type == LWM2M_T_OPAQUE ||
                   ri->type == LWM2M_T_CORELNK) {
            rc = put_text(c, p, r, j, ri->known ? ri->type : LWM2M_T_STRING);
        } else {
            rc = mismatch(c, ri, "a string");
        }
        break;
    case JSON_INTEGER:
    case JSON_REAL: rc = put_number(c, r, j, ri); break;
    case JSON_TRUE:
    case JSON_FALSE:
        if (ri->known && ri->type != LWM2M_T_BOOLEAN) {
            rc = mismatch(c, ri, "a boolean");
        } else {
            r->v.type = LWM2M_T_BOOLEAN;
            r->v.b = json_is_true(j);
            rc = 0;
        }
        break;
    case JSON_OBJECT: rc = put_typed(c, p, r, j, ri); break;
    case JSON_ARRAY: rc = fail(c, "an array is not a value here"); break;
    default: rc = fail(c, "null is not a value"); break;
    }
    if (rc != 0) return rc;
    if (is_ssid(pa) && (r->v.type != LWM2M_T_INTEGER || r->v.i < 1 || r->v.i > (int64_t)LWM2M_MAX_ID))
        return fail(c, "a Short Server ID is an integer 1..65534");
    t->nrecs++;
    return 0;
}

/* An object whose keys are IDs ({"0": …}) holds resource instances; one
 * with a type key ({"hex": …}) is a typed value. */
static int is_instances_object(json_t *j)
{
    if (!json_is_object(j)) return 0;
    const char *key = json_object_iter_key(json_object_iter(j));
    return key == NULL || (key[0] >= '0' && key[0] <= '9'); /* {}: no instances, refused by the caller */
}

/* Adds the resource instances in |j| (array or {"RIID": value}) under |res| (depth 3). */
static int add_instances(pctx_t *c, bs_planfile_plan_t *p, const lwm2m_path_t *res, json_t *j,
                         const res_info_t *ri)
{
    char qb[QBUF];
    size_t n = json_is_array(j) ? json_array_size(j) : json_object_size(j);
    if (n == 0) return fail(c, "no resource instances");
    if (json_is_array(j)) {
        if (n > LWM2M_MAX_ID + 1) return fail(c, "too many resource instances");
        for (size_t k = 0; k < n; k++) {
            lwm2m_path_t pa = lwm2m_path(4, res->obj, res->inst, res->res, (uint16_t)k);
            size_t old = loc_push(c, "[%zu]", k);
            int rc = add_value(c, p, &pa, json_array_get(j, k), ri);
            loc_pop(c, old);
            if (rc != 0) return rc;
        }
        return 0;
    }
    const char *key;
    json_t *v;
    json_object_foreach(j, key, v)
    {
        uint16_t riid;
        if (parse_id(key, &riid) != 0) return fail(c, "%s is not a resource instance ID", q(qb, key));
        lwm2m_path_t pa = lwm2m_path(4, res->obj, res->inst, res->res, riid);
        size_t old = loc_push(c, ".%u", (unsigned)riid);
        int rc = add_value(c, p, &pa, v, ri);
        loc_pop(c, old);
        if (rc != 0) return rc;
    }
    return 0;
}

static int rec_cmp(const void *a, const void *b)
{
    return lwm2m_path_cmp(&((const lwm2m_record_t *)a)->path, &((const lwm2m_record_t *)b)->path);
}

/* Records and their subst flags move together: sort an index, then permute. */
static void sort_records(bs_planfile_plan_t *p, size_t first, size_t n)
{
    lwm2m_record_t tmp[BS_PLAN_MAX_RECS];
    uint8_t fl[BS_PLAN_MAX_RECS];
    size_t idx[BS_PLAN_MAX_RECS];
    for (size_t i = 0; i < n; i++)
        idx[i] = first + i;
    /* insertion sort: n <= 128, stable, and no qsort context pointer needed */
    for (size_t i = 1; i < n; i++) {
        size_t x = idx[i], k = i;
        while (k > 0 && rec_cmp(&p->tmpl.recs[idx[k - 1]], &p->tmpl.recs[x]) > 0) {
            idx[k] = idx[k - 1];
            k--;
        }
        idx[k] = x;
    }
    for (size_t i = 0; i < n; i++) {
        tmp[i] = p->tmpl.recs[idx[i]];
        fl[i] = p->subst[idx[i]];
    }
    memcpy(&p->tmpl.recs[first], tmp, n * sizeof tmp[0]);
    memcpy(&p->subst[first], fl, n);
}

/* ---- operations ---------------------------------------------------------------- */

static const char *const op_names[] = {NULL, "discover", "read", "delete", "write", "finish"};

/* The value of key |key| in |obj| as a string, or NULL with an error (|*bad|). */
static const char *get_string(pctx_t *c, json_t *obj, const char *key, int *bad)
{
    json_t *v = json_object_get(obj, key);
    *bad = 0;
    if (v == NULL) return NULL;
    if (!json_is_string(v)) {
        size_t old = loc_push(c, ".%s", key);
        *bad = fail(c, "must be a string");
        loc_pop(c, old);
        return NULL;
    }
    return json_string_value(v);
}

/* Refuses keys of |obj| outside |allowed| (NULL-terminated); "comment" (a string) is always allowed. */
static int check_keys(pctx_t *c, json_t *obj, const char *const *allowed)
{
    const char *key;
    json_t *v;
    char qb[QBUF];
    json_object_foreach(obj, key, v)
    {
        if (strcmp(key, "comment") == 0) {
            if (!json_is_string(v)) {
                size_t old = loc_push(c, ".comment");
                fail(c, "must be a string");
                loc_pop(c, old);
                return -1;
            }
            continue;
        }
        size_t i = 0;
        while (allowed[i] != NULL && strcmp(allowed[i], key) != 0)
            i++;
        if (allowed[i] == NULL) return fail(c, "unknown key %s", q(qb, key));
    }
    return 0;
}

static int parse_write(pctx_t *c, bs_planfile_plan_t *p, bs_op_t *op, json_t *jop)
{
    bs_plan_t *t = &p->tmpl;
    char qb[QBUF], ps[40];
    json_t *values = json_object_get(jop, "values"), *value = json_object_get(jop, "value");
    const lwm2m_path_t *pa = &op->path;
    path_str(pa, ps, sizeof ps);
    op->first_rec = (uint32_t)t->nrecs;
    if (pa->depth == 2) {
        if (value != NULL) return fail(c, "\"value\" needs a resource path; use \"values\"");
        if (values == NULL) return fail(c, "missing key \"values\"");
        size_t old = loc_push(c, ".values");
        int rc = 0;
        if (!json_is_object(values) || json_object_size(values) == 0) {
            rc = fail(c, "must be an object of resource IDs and values");
        } else {
            const char *key;
            json_t *v;
            json_object_foreach(values, key, v)
            {
                uint16_t rid;
                if (parse_id(key, &rid) != 0) {
                    rc = fail(c, "%s is not a resource ID", q(qb, key));
                    break;
                }
                lwm2m_path_t res = lwm2m_path(3, pa->obj, pa->inst, rid, 0);
                res_info_t ri = model(pa->obj, rid);
                size_t old2 = loc_push(c, ".%u", (unsigned)rid);
                if (ri.known && ri.type == LWM2M_T_NONE)
                    rc = fail(c, "the resource is executable, not writable");
                else if (json_is_array(v) || is_instances_object(v))
                    rc = ri.known && !ri.multiple ? fail(c, "the resource is single-instance, not a list")
                                                  : add_instances(c, p, &res, v, &ri);
                else if (ri.known && ri.multiple)
                    rc = fail(c, "the resource is multiple-instance: give an array or {\"ID\": value}");
                else
                    rc = add_value(c, p, &res, v, &ri);
                loc_pop(c, old2);
                if (rc != 0) break;
            }
        }
        loc_pop(c, old);
        if (rc != 0) return rc;
    } else {
        res_info_t ri = model(pa->obj, pa->res);
        if (ri.known && ri.type == LWM2M_T_NONE) return fail(c, "%s is executable, not writable", ps);
        if ((value == NULL) == (values == NULL))
            return fail(c, "a resource write takes \"value\" or \"values\"");
        if (value != NULL) {
            if (ri.known && ri.multiple) return fail(c, "%s is multiple-instance: use \"values\"", ps);
            size_t old = loc_push(c, ".value");
            int rc = add_value(c, p, pa, value, &ri);
            loc_pop(c, old);
            if (rc != 0) return rc;
        } else {
            if (ri.known && !ri.multiple) return fail(c, "%s is single-instance: use \"value\"", ps);
            size_t old = loc_push(c, ".values");
            int rc = json_is_array(values) || is_instances_object(values)
                         ? add_instances(c, p, pa, values, &ri)
                         : fail(c, "must be an array or an object of resource instance IDs and values");
            loc_pop(c, old);
            if (rc != 0) return rc;
        }
    }
    op->nrecs = (uint32_t)(t->nrecs - op->first_rec);
    sort_records(p, op->first_rec, op->nrecs);
    return 0;
}

static int parse_op(pctx_t *c, bs_planfile_plan_t *p, json_t *jop, size_t idx, size_t nops)
{
    static const char *const keys_path[] = {"op", "path", NULL};
    static const char *const keys_write[] = {"op", "path", "values", "value", NULL};
    static const char *const keys_finish[] = {"op", NULL};
    char qb[QBUF], ps[40];
    int bad;
    bs_op_t *op = &p->tmpl.ops[idx];
    if (!json_is_object(jop)) return fail(c, "must be an object");
    const char *name = get_string(c, jop, "op", &bad);
    if (bad) return -1;
    if (name == NULL) return fail(c, "missing key \"op\"");
    int kind = 0;
    for (int k = BS_OP_DISCOVER; k <= BS_OP_FINISH; k++)
        if (strcmp(name, op_names[k]) == 0) kind = k;
    if (kind == 0) {
        size_t old = loc_push(c, ".op");
        fail(c, "unknown operation %s (discover, read, delete, write, finish)", q(qb, name));
        loc_pop(c, old);
        return -1;
    }
    op->kind = (bs_op_kind_t)kind;
    if (check_keys(c, jop,
                   kind == BS_OP_WRITE    ? keys_write
                   : kind == BS_OP_FINISH ? keys_finish
                                          : keys_path) != 0)
        return -1;
    if (kind == BS_OP_FINISH) {
        if (idx + 1 != nops) return fail(c, "\"finish\" must be the last operation");
        op->path = lwm2m_path(0, 0, 0, 0, 0);
        return 0;
    }
    const char *path = get_string(c, jop, "path", &bad);
    if (bad) return -1;
    if (path == NULL) {
        if (kind != BS_OP_DISCOVER) return fail(c, "missing key \"path\"");
        path = "/";
    }
    size_t old = loc_push(c, ".path");
    int rc = 0;
    switch (parse_op_path(path, &op->path)) {
    case PATH_OK: break;
    case PATH_SLOT_RANGE: rc = fail(c, "%s: slot numbers are 1..%u", q(qb, path), BS_PLAN_MAX_SLOTS); break;
    case PATH_SLOT_OBJ: rc = fail(c, "%s: slots are only for objects 0 and 1", q(qb, path)); break;
    case PATH_RESERVED:
        rc = fail(c, "%s: instance IDs %u..%u are reserved for slots", q(qb, path), BS_INST_SLOT_BASE,
                  BS_INST_SLOT_BASE + BS_PLAN_MAX_SLOTS - 1);
        break;
    default: rc = fail(c, "%s is not a path", q(qb, path)); break;
    }
    if (rc == 0) {
        const lwm2m_path_t *pa = &op->path;
        path_str(pa, ps, sizeof ps);
        /* Which paths each operation takes: Transport 1.1.1 Table 6.4.2-1; clients also allow Read of /1. */
        if (kind == BS_OP_DISCOVER && pa->depth > 1)
            rc = fail(c, "discover takes \"/\" or \"/O\", not %s", q(qb, ps));
        else if (kind == BS_OP_READ && (pa->depth < 1 || pa->depth > 2 || (pa->obj != 1 && pa->obj != 2)))
            rc = fail(c, "read takes an object or instance of /1 or /2, not %s", q(qb, ps));
        else if (kind == BS_OP_DELETE && pa->depth > 2)
            rc = fail(c, "delete takes \"/\", \"/O\" or \"/O/I\", not %s", q(qb, ps));
        else if (kind == BS_OP_WRITE && (pa->depth < 2 || pa->depth > 3))
            rc = fail(c, "write takes \"/O/I\" or \"/O/I/R\", not %s", q(qb, ps));
    }
    loc_pop(c, old);
    if (rc != 0) return rc;
    if (kind == BS_OP_WRITE) return parse_write(c, p, op, jop);
    return 0;
}

/* ---- plans --------------------------------------------------------------------- */

/* An integer key in |lo|..|hi|; |*out| untouched when absent. */
static int get_int(pctx_t *c, json_t *obj, const char *key, long long lo, long long hi, long long *out)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL) return 0;
    size_t old = loc_push(c, ".%s", key);
    int rc = 0;
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
        rc = fail(c, "must be an integer %lld..%lld", lo, hi);
    else
        *out = json_integer_value(v);
    loc_pop(c, old);
    return rc;
}

static int parse_match(pctx_t *c, bs_planfile_plan_t *p, json_t *m)
{
    if (m == NULL) return fail(c, "missing key \"match\"");
    size_t old = loc_push(c, ".match");
    int rc = 0;
    if (!json_is_array(m) || json_array_size(m) == 0)
        rc = fail(c, "must be a non-empty array of endpoint name globs");
    else if (json_array_size(m) > BS_PLANFILE_MAX_GLOBS)
        rc = fail(c, "more than %u globs", BS_PLANFILE_MAX_GLOBS);
    for (size_t i = 0; rc == 0 && i < json_array_size(m); i++) {
        json_t *g = json_array_get(m, i);
        size_t old2 = loc_push(c, "[%zu]", i);
        if (!json_is_string(g) || json_string_length(g) == 0 || json_string_length(g) > BS_PLANFILE_GLOB_MAX)
            rc = fail(c, "must be a glob of 1..%u bytes", BS_PLANFILE_GLOB_MAX);
        else
            memcpy(p->globs[p->nglobs++], json_string_value(g), json_string_length(g) + 1);
        loc_pop(c, old2);
    }
    loc_pop(c, old);
    return rc;
}

/* Picks |s| from |names| (NULL-terminated); the index or -1 with an error. */
static int get_choice(pctx_t *c, json_t *obj, const char *key, const char *const *names, const char *list)
{
    char qb[QBUF];
    int bad;
    const char *s = get_string(c, obj, key, &bad);
    if (bad) return -2;
    if (s == NULL) return -1;
    for (int i = 0; names[i] != NULL; i++)
        if (strcmp(s, names[i]) == 0) return i;
    size_t old = loc_push(c, ".%s", key);
    fail(c, "%s is not one of %s", q(qb, s), list);
    loc_pop(c, old);
    return -2;
}

static int parse_plan(pctx_t *c, bs_planfile_plan_t *p, json_t *jp)
{
    static const char *const keys[] = {"name",   "version", "match",      "on_error",
                                       "format", "timeout", "operations", NULL};
    static const char *const on_error_names[] = {"continue", "stop", NULL};
    static const char *const format_names[] = {"auto", "tlv", "senml-json", "senml-cbor", NULL};
    static const uint16_t formats[] = {0, 11542, 110, 112};
    bs_plan_t *t = &p->tmpl;
    int bad;
    if (!json_is_object(jp)) return fail(c, "must be an object");
    if (check_keys(c, jp, keys) != 0) return -1;

    const char *name = get_string(c, jp, "name", &bad);
    if (bad) return -1;
    if (name == NULL) return fail(c, "missing key \"name\"");
    size_t nlen = strlen(name);
    int printable = nlen > 0 && nlen < BS_PLAN_NAME_MAX;
    for (size_t i = 0; printable && i < nlen; i++)
        printable = name[i] >= 0x20 && name[i] < 0x7f;
    if (!printable) {
        size_t old = loc_push(c, ".name");
        fail(c, "must be 1..%u printable ASCII characters", BS_PLAN_NAME_MAX - 1);
        loc_pop(c, old);
        return -1;
    }
    memcpy(t->name, name, nlen + 1);

    long long v = 0;
    if (get_int(c, jp, "version", 0, UINT32_MAX, &v) != 0) return -1;
    t->version = (uint32_t)v;
    if (parse_match(c, p, json_object_get(jp, "match")) != 0) return -1;
    int ch = get_choice(c, jp, "on_error", on_error_names, "\"continue\", \"stop\"");
    if (ch == -2) return -1;
    t->on_error = ch == 1 ? BS_ON_ERROR_STOP : BS_ON_ERROR_CONTINUE;
    ch = get_choice(c, jp, "format", format_names, "\"auto\", \"tlv\", \"senml-json\", \"senml-cbor\"");
    if (ch == -2) return -1;
    t->format = ch < 0 ? 0 : formats[ch];
    v = 0; /* absent: 0, the engine's default (BS_SESSION_TIMEOUT_MS) */
    if (get_int(c, jp, "timeout", 1, BS_PLANFILE_TIMEOUT_MAX, &v) != 0) return -1;
    t->timeout_ms = (uint32_t)v * 1000u;

    json_t *ops = json_object_get(jp, "operations");
    if (ops == NULL) return fail(c, "missing key \"operations\"");
    size_t old = loc_push(c, ".operations");
    int rc = 0;
    size_t n = json_is_array(ops) ? json_array_size(ops) : 0;
    if (!json_is_array(ops) || n == 0)
        rc = fail(c, "must be a non-empty array of operations");
    else if (n > BS_PLAN_MAX_OPS)
        rc = fail(c, "more than %u operations", BS_PLAN_MAX_OPS);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        size_t old2 = loc_push(c, "[%zu]", i);
        rc = parse_op(c, p, json_array_get(ops, i), i, n);
        loc_pop(c, old2);
        t->nops = i + 1;
    }
    if (rc == 0 && t->ops[n - 1].kind != BS_OP_FINISH) rc = fail(c, "the last operation must be \"finish\"");
    loc_pop(c, old);
    return rc;
}

static int parse_root(pctx_t *c, json_t *root, bs_planfile_t *pf)
{
    static const char *const keys[] = {"plans", NULL};
    char qb[QBUF];
    if (!json_is_object(root)) return fail(c, "the top level must be an object");
    if (check_keys(c, root, keys) != 0) return -1;
    json_t *plans = json_object_get(root, "plans");
    if (plans == NULL) return fail(c, "missing key \"plans\"");
    size_t old = loc_push(c, "plans");
    size_t n = json_is_array(plans) ? json_array_size(plans) : 0;
    int rc = 0;
    if (!json_is_array(plans) || n == 0)
        rc = fail(c, "must be a non-empty array of plans");
    else if (n > BS_PLANFILE_MAX_PLANS)
        rc = fail(c, "more than %u plans", BS_PLANFILE_MAX_PLANS);
    else if ((pf->plans = calloc(n, sizeof pf->plans[0])) == NULL)
        rc = fail(c, "out of memory");
    for (size_t i = 0; rc == 0 && i < n; i++) {
        size_t old2 = loc_push(c, "[%zu]", i);
        rc = parse_plan(c, &pf->plans[i], json_array_get(plans, i));
        for (size_t k = 0; rc == 0 && k < i; k++) {
            if (strcmp(pf->plans[k].tmpl.name, pf->plans[i].tmpl.name) == 0) {
                size_t old3 = loc_push(c, ".name");
                rc = fail(c, "duplicate plan name %s (also plans[%zu])", q(qb, pf->plans[i].tmpl.name), k);
                loc_pop(c, old3);
            }
        }
        loc_pop(c, old2);
        pf->nplans = i + 1;
    }
    loc_pop(c, old);
    return rc;
}

/* ---- public -------------------------------------------------------------------- */

bs_planfile_t *bs_planfile_parse(const char *name, const char *buf, size_t len, char *err, size_t errcap)
{
    pctx_t c = {name != NULL ? name : "(plans)", err, errcap, "", 0};
    if (errcap) err[0] = '\0';
    if (len > BS_PLANFILE_FILE_MAX) {
        fail(&c, "larger than %u bytes", BS_PLANFILE_FILE_MAX);
        return NULL;
    }
    json_error_t je;
    /* Duplicate keys are refused: the later one would silently win. */
    json_t *root = json_loadb(buf != NULL ? buf : "", buf != NULL ? len : 0, JSON_REJECT_DUPLICATES, &je);
    if (root == NULL) {
        if (errcap) {
            /* jansson's column is that of the last character read (1-based); 0 before any */
            int n = je.line > 0 && je.column > 0
                        ? snprintf(err, errcap, "%s:%d:%d: ", c.name, je.line, je.column)
                    : je.line > 0 ? snprintf(err, errcap, "%s:%d: ", c.name, je.line)
                                  : snprintf(err, errcap, "%s: ", c.name);
            /* jansson's text quotes input bytes ("near '…'"): escape them for logs */
            if (n >= 0 && (size_t)n < errcap)
                escape_into(err + n, errcap - (size_t)n, je.text, strlen(je.text), 2 * QUOTE_MAX, 0);
        }
        return NULL;
    }
    bs_planfile_t *pf = calloc(1, sizeof *pf);
    if (pf == NULL) {
        fail(&c, "out of memory");
    } else if (parse_root(&c, root, pf) != 0) {
        bs_planfile_free(pf);
        pf = NULL;
    }
    json_decref(root);
    return pf;
}

bs_planfile_t *bs_planfile_load(const char *path, char *err, size_t errcap)
{
    pctx_t c = {path, err, errcap, "", 0};
    char eb[128];
    if (errcap) err[0] = '\0';
    /* O_NONBLOCK: a FIFO named by mistake must not hang the daemon; fstat refuses it below. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        fail(&c, "cannot open: %s", strerror_r(errno, eb, sizeof eb));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        fail(&c, "not a regular file");
        close(fd);
        return NULL;
    }
    /* Read up to one byte past the bound so a file that grew is still refused. */
    char *buf = malloc(BS_PLANFILE_FILE_MAX + 1);
    size_t len = 0;
    if (buf == NULL) {
        fail(&c, "out of memory");
        close(fd);
        return NULL;
    }
    while (len < BS_PLANFILE_FILE_MAX + 1) {
        ssize_t r = read(fd, buf + len, BS_PLANFILE_FILE_MAX + 1 - len);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            fail(&c, "cannot read: %s", strerror_r(errno, eb, sizeof eb));
            close(fd);
            free(buf);
            return NULL;
        }
        if (r == 0) break;
        len += (size_t)r;
    }
    close(fd);
    bs_planfile_t *pf = bs_planfile_parse(path, buf, len, err, errcap);
    free(buf);
    return pf;
}

void bs_planfile_free(bs_planfile_t *pf)
{
    if (pf == NULL) return;
    free(pf->plans);
    free(pf);
}

size_t bs_planfile_count(const bs_planfile_t *pf)
{
    return pf->nplans;
}

const bs_planfile_plan_t *bs_planfile_plan_at(const bs_planfile_t *pf, size_t i)
{
    return i < pf->nplans ? &pf->plans[i] : NULL;
}

const bs_planfile_plan_t *bs_planfile_match(const bs_planfile_t *pf, const char *endpoint)
{
    if (endpoint == NULL) return NULL;
    for (size_t i = 0; i < pf->nplans; i++)
        for (size_t k = 0; k < pf->plans[i].nglobs; k++)
            if (fnmatch(pf->plans[i].globs[k], endpoint, 0) == 0) return &pf->plans[i];
    return NULL;
}

const char *bs_planfile_plan_name(const bs_planfile_plan_t *p)
{
    return p->tmpl.name;
}

uint32_t bs_planfile_plan_version(const bs_planfile_plan_t *p)
{
    return p->tmpl.version;
}

static int has_bytes(lwm2m_type_t t)
{
    return t == LWM2M_T_STRING || t == LWM2M_T_OPAQUE || t == LWM2M_T_CORELNK;
}

int bs_planfile_compile(const bs_planfile_plan_t *p, const char *endpoint, bs_plan_t *out, char *err,
                        size_t errcap)
{
    const bs_plan_t *t = &p->tmpl;
    char qb[QBUF];
    if (errcap) err[0] = '\0';
    memset(out, 0, sizeof *out);
    if (endpoint == NULL) {
        if (errcap) snprintf(err, errcap, "plan %s: no endpoint name", q(qb, t->name));
        return LWM2M_ERR_FORMAT;
    }
    size_t elen = strlen(endpoint);
    int checked = 0;
    memcpy(out->name, t->name, sizeof out->name);
    out->version = t->version;
    out->format = t->format;
    out->on_error = t->on_error;
    out->timeout_ms = t->timeout_ms;
    memcpy(out->ops, t->ops, t->nops * sizeof t->ops[0]);
    out->nops = t->nops;
    for (size_t i = 0; i < t->nrecs; i++) {
        const lwm2m_record_t *r = &t->recs[i];
        lwm2m_record_t *o = &out->recs[i];
        *o = *r;
        if (!has_bytes(r->v.type)) continue;
        const uint8_t *s = r->v.bytes.p, *end = s + r->v.bytes.len;
        size_t start = out->nbytes;
        while (s < end) {
            /* Copy up to the next ${endpoint} (only in text values), then the endpoint. */
            const uint8_t *var =
                p->subst[i] ? memmem(s, (size_t)(end - s), BS_PLANFILE_VAR_ENDPOINT, VAR_LEN) : NULL;
            size_t chunk = (size_t)((var != NULL ? var : end) - s);
            if (chunk > BS_PLAN_MAX_BYTES - out->nbytes) goto limit;
            memcpy(out->bytes + out->nbytes, s, chunk);
            out->nbytes += chunk;
            s += chunk;
            if (var == NULL) break;
            if (!checked) {
                /* STRING values are UTF-8 on the wire (Core Appendix C); the name comes from the device. */
                if (!utf8_valid((const uint8_t *)endpoint, elen)) {
                    if (errcap) snprintf(err, errcap, "plan %s: endpoint name is not UTF-8", q(qb, t->name));
                    memset(out, 0, sizeof *out);
                    return LWM2M_ERR_FORMAT;
                }
                checked = 1;
            }
            if (elen > BS_PLAN_MAX_BYTES - out->nbytes) goto limit;
            memcpy(out->bytes + out->nbytes, endpoint, elen);
            out->nbytes += elen;
            s += VAR_LEN;
        }
        o->v.bytes.p = out->bytes + start;
        o->v.bytes.len = out->nbytes - start;
    }
    out->nrecs = t->nrecs;
    return 0;
limit:
    if (errcap)
        snprintf(err, errcap, "plan %s: the values for this endpoint exceed %u bytes", q(qb, t->name),
                 (unsigned)BS_PLAN_MAX_BYTES);
    memset(out, 0, sizeof *out);
    return LWM2M_ERR_LIMIT;
}
