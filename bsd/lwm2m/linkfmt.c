/*
 * linkfmt.c — tolerant RFC 6690 reader for Bootstrap-Discover answers
 * (see linkfmt.h for the variants it accepts and what it refuses).
 *
 * One pass over the input, no allocation, no copies: the grammar is
 * link *("," link), link = ( "<" target ">" / bare-param ) *(";" param),
 * param = name [ "=" ( quoted-string / token ) ], with optional white
 * space around the punctuation.
 */
#include "bsd/lwm2m/linkfmt.h"

#include <string.h>
#include <strings.h>

typedef struct {
    const char *p, *end;
} lcur_t;

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void skip_ws(lcur_t *c)
{
    while (c->p < c->end && is_ws(*c->p))
        c->p++;
}

/* Characters that end an attribute name. */
static bool name_stop(char c)
{
    return is_ws(c) || c == ',' || c == ';' || c == '=' || c == '<' || c == '>' || c == '"' ||
           (unsigned char)c < 0x20 || c == 0x7f;
}

static bool span_is(const linkfmt_span_t *s, const char *lit)
{
    size_t n = strlen(lit);
    return s->len == n && strncasecmp(s->p, lit, n) == 0; /* parameter names are case-insensitive */
}

/* Decimal 0..|max| from the whole span (1..5 digits). */
static int span_uint(const linkfmt_span_t *s, uint32_t max, uint32_t *out)
{
    if (s->p == NULL || s->len == 0 || s->len > 5) return -1;
    uint32_t v = 0;
    for (size_t i = 0; i < s->len; i++) {
        if (s->p[i] < '0' || s->p[i] > '9') return -1;
        v = v * 10 + (uint32_t)(s->p[i] - '0');
    }
    if (v > max) return -1;
    *out = v;
    return 0;
}

/* "MAJOR" or "MAJOR.MINOR", each 0..255. */
static int parse_version(const linkfmt_span_t *s, uint8_t *major, uint8_t *minor)
{
    if (s->p == NULL) return LWM2M_ERR_FORMAT;
    const char *dot = memchr(s->p, '.', s->len);
    linkfmt_span_t a = {s->p, dot ? (size_t)(dot - s->p) : s->len};
    linkfmt_span_t b = {dot ? dot + 1 : NULL, dot ? s->len - a.len - 1 : 0};
    uint32_t ma, mi = 0;
    if (span_uint(&a, 255, &ma) < 0) return LWM2M_ERR_FORMAT;
    if (dot && span_uint(&b, 255, &mi) < 0) return LWM2M_ERR_FORMAT;
    *major = (uint8_t)ma;
    *minor = (uint8_t)mi;
    return 0;
}

/* The text between "<" and ">": "/" or an LwM2M path, one trailing "/"
 * tolerated ("</0/1/>" in the LwM2M 1.0 examples). */
static int parse_target(const char *s, size_t n, lwm2m_path_t *path)
{
    if (n == 0) return LWM2M_ERR_FORMAT;
    if (n > 1 && s[n - 1] == '/') n--;
    if (n == 1 && s[0] == '/') {
        *path = lwm2m_path(0, 0, 0, 0, 0);
        return 0;
    }
    return lwm2m_path_parse(s, n, path) < 0 ? LWM2M_ERR_FORMAT : 0;
}

/* Reads one "name[=value]" at the cursor into |name|/|value| (value.p ==
 * NULL: no "="; name.len == 0: an empty parameter such as ";;"). */
static int scan_param(lcur_t *c, linkfmt_span_t *name, linkfmt_span_t *value)
{
    skip_ws(c);
    name->p = c->p;
    while (c->p < c->end && !name_stop(*c->p))
        c->p++;
    name->len = (size_t)(c->p - name->p);
    value->p = NULL;
    value->len = 0;
    if (name->len > LINKFMT_MAX_NAME) return LWM2M_ERR_LIMIT;
    skip_ws(c);
    if (c->p >= c->end || *c->p != '=') return 0;
    if (name->len == 0) return LWM2M_ERR_FORMAT;
    c->p++;
    skip_ws(c);
    if (c->p < c->end && *c->p == '"') {
        const char *q = ++c->p;
        while (q < c->end && *q != '"')
            q += (*q == '\\' && q + 1 < c->end) ? 2 : 1; /* quoted-pair */
        if (q >= c->end) return LWM2M_ERR_FORMAT;
        value->p = c->p;
        value->len = (size_t)(q - c->p);
        c->p = q + 1;
    } else {
        value->p = c->p;
        while (c->p < c->end && !is_ws(*c->p) && *c->p != ',' && *c->p != ';')
            c->p++;
        value->len = (size_t)(c->p - value->p);
    }
    if (value->len > LINKFMT_MAX_VALUE) return LWM2M_ERR_LIMIT;
    return 0;
}

/* Files one parameter of entry |e|. */
static int apply_param(linkfmt_entry_t *e, linkfmt_doc_t *doc, const linkfmt_span_t *name,
                       const linkfmt_span_t *value)
{
    if (name->len == 0) return 0;
    if (span_is(name, "ssid")) {
        uint32_t v;
        if (e->has_ssid) return LWM2M_ERR_FORMAT;
        if (span_uint(value, 65535, &v) < 0) return LWM2M_ERR_RANGE;
        e->has_ssid = true;
        e->ssid = (uint16_t)v;
        return 0;
    }
    if (span_is(name, "uri")) {
        if (e->uri.p != NULL) return LWM2M_ERR_FORMAT;
        e->uri = *value;
        if (e->uri.p == NULL) e->uri.p = name->p + name->len; /* bare "uri": present, empty */
        return 0;
    }
    if (span_is(name, "ver")) {
        if (e->has_ver) return LWM2M_ERR_FORMAT;
        if (parse_version(value, &e->ver_major, &e->ver_minor) < 0) return LWM2M_ERR_FORMAT;
        e->has_ver = true;
        return 0;
    }
    if (e->path.depth == 0 && span_is(name, "lwm2m")) {
        uint8_t ma, mi;
        if (parse_version(value, &ma, &mi) < 0) return LWM2M_ERR_FORMAT;
        if (!doc->has_lwm2m) { /* the first statement wins */
            doc->has_lwm2m = true;
            doc->lwm2m_major = ma;
            doc->lwm2m_minor = mi;
        }
        return 0;
    }
    if (e->nattrs < LINKFMT_MAX_ATTRS) {
        e->attrs[e->nattrs].name = *name;
        e->attrs[e->nattrs].value = *value;
        e->nattrs++;
    } else if (e->attrs_dropped < 255) {
        e->attrs_dropped++;
    }
    return 0;
}

/* Parameters of one link, up to the "," that ends it (or the end).
 * |first| is set for a bare link, whose first parameter has no ";". */
static int parse_params(lcur_t *c, linkfmt_entry_t *e, linkfmt_doc_t *doc, bool first)
{
    for (;;) {
        skip_ws(c);
        if (!first) {
            if (c->p >= c->end || *c->p == ',') return 0;
            if (*c->p != ';') return LWM2M_ERR_FORMAT;
            c->p++;
        }
        first = false;
        linkfmt_span_t name, value;
        int rc = scan_param(c, &name, &value);
        if (rc < 0) return rc;
        if ((rc = apply_param(e, doc, &name, &value)) < 0) return rc;
    }
}

static void doc_reset(linkfmt_doc_t *doc, linkfmt_entry_t *entries)
{
    doc->entries = entries;
    doc->count = 0;
    doc->has_root = false;
    doc->has_lwm2m = false;
    doc->lwm2m_major = 1;
    doc->lwm2m_minor = 0;
}

static int parse_links(lcur_t *c, linkfmt_doc_t *doc, linkfmt_entry_t *entries, size_t cap)
{
    for (;;) {
        skip_ws(c);
        if (c->p >= c->end) return 0;
        if (*c->p == ',') { /* empty element, or a trailing comma */
            c->p++;
            continue;
        }
        if (doc->count == cap) return LWM2M_ERR_NOSPACE;
        linkfmt_entry_t *e = &entries[doc->count];
        memset(e, 0, sizeof *e);
        int rc;
        if (*c->p == '<') {
            const char *gt = memchr(c->p + 1, '>', (size_t)(c->end - c->p - 1));
            if (gt == NULL) return LWM2M_ERR_FORMAT;
            if ((rc = parse_target(c->p + 1, (size_t)(gt - c->p - 1), &e->path)) < 0) return rc;
            c->p = gt + 1;
            if (e->path.depth == 0) doc->has_root = true;
            rc = parse_params(c, e, doc, false);
        } else {
            e->bare = true; /* 'lwm2m="1.0",</0/0>…' */
            e->path = lwm2m_path(0, 0, 0, 0, 0);
            rc = parse_params(c, e, doc, true);
        }
        if (rc < 0) return rc;
        doc->count++;
        if (c->p < c->end) c->p++; /* the "," */
    }
}

int linkfmt_parse(const char *in, size_t len, linkfmt_doc_t *doc, linkfmt_entry_t *entries, size_t cap)
{
    doc_reset(doc, entries);
    if (len > LINKFMT_MAX_INPUT) return LWM2M_ERR_LIMIT;
    lcur_t c = {in, in + len};
    int rc = parse_links(&c, doc, entries, cap);
    if (rc < 0) {
        doc_reset(doc, entries);
        return rc;
    }
    return (int)doc->count;
}

int linkfmt_lwm2m_version(const linkfmt_doc_t *doc, uint8_t *major, uint8_t *minor)
{
    *major = doc->lwm2m_major;
    *minor = doc->lwm2m_minor;
    return doc->has_lwm2m ? 1 : 0;
}

int linkfmt_object_version(const linkfmt_doc_t *doc, uint16_t obj, uint8_t *major, uint8_t *minor)
{
    bool listed = false;
    for (size_t i = 0; i < doc->count; i++) {
        const linkfmt_entry_t *e = &doc->entries[i];
        if (e->path.depth == 0 || e->path.obj != obj) continue;
        listed = true;
        if (e->path.depth == 1 && e->has_ver) {
            *major = e->ver_major;
            *minor = e->ver_minor;
            return 1;
        }
    }
    if (!listed) return LWM2M_ERR_PATH;
    *major = 1;
    *minor = 0;
    return 0;
}

/* Calls |fn| with the first </obj/inst> entry of each distinct instance,
 * in the order of the answer. */
static void each_instance(const linkfmt_doc_t *doc, uint16_t obj, void (*fn)(const linkfmt_entry_t *, void *),
                          void *arg)
{
    for (size_t i = 0; i < doc->count; i++) {
        const linkfmt_entry_t *e = &doc->entries[i];
        if (e->path.depth != 2 || e->path.obj != obj) continue;
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++) {
            const linkfmt_entry_t *f = &doc->entries[j];
            seen = f->path.depth == 2 && f->path.obj == obj && f->path.inst == e->path.inst;
        }
        if (!seen) fn(e, arg);
    }
}

typedef struct {
    uint16_t *iids;
    linkfmt_account_t *acc;
    size_t cap, n;
    bool bs_only; /* keep only entries without ssid */
} collect_t;

static void collect(const linkfmt_entry_t *e, void *arg)
{
    collect_t *c = arg;
    if (c->bs_only && e->has_ssid) return;
    if (c->n < c->cap) {
        if (c->iids) c->iids[c->n] = e->path.inst;
        if (c->acc) {
            c->acc[c->n].iid = e->path.inst;
            c->acc[c->n].has_ssid = e->has_ssid;
            c->acc[c->n].ssid = e->ssid;
            c->acc[c->n].uri = e->uri;
        }
    }
    c->n++;
}

size_t linkfmt_instances(const linkfmt_doc_t *doc, uint16_t obj, uint16_t *iids, size_t cap)
{
    collect_t c = {iids, NULL, iids ? cap : 0, 0, false};
    each_instance(doc, obj, collect, &c);
    return c.n;
}

size_t linkfmt_accounts(const linkfmt_doc_t *doc, uint16_t obj, linkfmt_account_t *out, size_t cap)
{
    collect_t c = {NULL, out, out ? cap : 0, 0, false};
    each_instance(doc, obj, collect, &c);
    return c.n;
}

size_t linkfmt_find_bs_account(const linkfmt_doc_t *doc, uint16_t *iids, size_t cap)
{
    collect_t c = {iids, NULL, iids ? cap : 0, 0, true};
    each_instance(doc, 0, collect, &c);
    return c.n;
}
