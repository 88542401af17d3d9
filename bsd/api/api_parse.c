/*
 * api_parse.c — request-target, header and body parsing for the REST admin
 * API (contract in api_parse.h). Pure: no I/O, one allocation per target.
 */
#include "bsd/api/api_parse.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bsd/util/lex.h"

static char api_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

static void api_msgf(char *msg, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void api_msgf(char *msg, size_t cap, const char *fmt, ...)
{
    if (msg == NULL || cap == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, cap, fmt, ap);
    va_end(ap);
}

long api_url_decode(const char *in, size_t len, bool plus, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        if (o + 1 >= cap) return -ENOSPC;
        char c = in[i];
        if (c == '%') {
            if (len - i < 3) return -EINVAL; /* '%' needs two hex digits */
            int hi = lex_hexval((unsigned char)in[i + 1]);
            int lo = lex_hexval((unsigned char)in[i + 2]);
            if (hi < 0 || lo < 0) return -EINVAL;
            c = (char)(hi << 4 | lo);
            if (c == 0) return -EINVAL;
            i += 2;
        } else if (c == '+' && plus) {
            c = ' ';
        } else if (c == 0) {
            return -EINVAL;
        }
        out[o++] = c;
    }
    if (o >= cap) return -ENOSPC;
    out[o] = 0;
    return (long)o;
}

/* Decodes one piece into the arena at *pos; returns its start or NULL. */
static const char *api_arena_put(char *arena, size_t cap, size_t *pos, const char *s, size_t len, bool plus)
{
    long n = api_url_decode(s, len, plus, arena + *pos, cap - *pos);
    if (n < 0) return NULL;
    const char *r = arena + *pos;
    *pos += (size_t)n + 1;
    return r;
}

int api_target_parse(const char *uri, api_target_t *t, char *msg, size_t msgcap)
{
    memset(t, 0, sizeof *t);
    size_t len = uri ? strnlen(uri, API_TARGET_MAX + 1) : 0;
    if (len == 0 || uri[0] != '/') {
        api_msgf(msg, msgcap, "The request target must be a path starting with '/'.");
        return -EINVAL;
    }
    if (len > API_TARGET_MAX) {
        api_msgf(msg, msgcap, "The request target is longer than %d bytes.", API_TARGET_MAX);
        return -EINVAL;
    }
    if (memchr(uri, '#', len) != NULL) {
        api_msgf(msg, msgcap, "The request target must not contain a fragment ('#').");
        return -EINVAL;
    }
    /* Decoded text is never longer than its source; one NUL per piece. */
    size_t cap = len + API_SEGMENTS_MAX + 2 * API_QUERY_MAX + 8;
    t->arena = malloc(cap);
    if (t->arena == NULL) return -ENOMEM;
    size_t pos = 0;
    const char *q = memchr(uri, '?', len);
    size_t plen = q ? (size_t)(q - uri) : len;

    /* Path: segments between slashes ("/" alone has none). */
    for (size_t i = 1; plen > 1 && i <= plen;) {
        size_t e = i;
        while (e < plen && uri[e] != '/')
            e++;
        if (t->nseg == API_SEGMENTS_MAX) {
            api_msgf(msg, msgcap, "The path has more than %d segments.", API_SEGMENTS_MAX);
            goto bad;
        }
        const char *s = api_arena_put(t->arena, cap, &pos, uri + i, e - i, false);
        if (s == NULL) {
            api_msgf(msg, msgcap, "The path has a malformed percent-escape or an encoded NUL.");
            goto bad;
        }
        t->seg[t->nseg++] = s;
        i = e + 1;
    }

    /* Query: name=value pairs between '&' (empty pieces skipped). */
    for (size_t i = plen + 1; q && i <= len;) {
        size_t e = i;
        while (e < len && uri[e] != '&')
            e++;
        if (e > i) {
            const char *eq = memchr(uri + i, '=', e - i);
            size_t nend = eq ? (size_t)(eq - uri) : e;
            if (t->nquery == API_QUERY_MAX) {
                api_msgf(msg, msgcap, "The query has more than %d parameters.", API_QUERY_MAX);
                goto bad;
            }
            api_kv_t *kv = &t->query[t->nquery];
            kv->name = api_arena_put(t->arena, cap, &pos, uri + i, nend - i, true);
            kv->value =
                kv->name ? api_arena_put(t->arena, cap, &pos, eq ? eq + 1 : "", eq ? e - nend - 1 : 0, true)
                         : NULL;
            if (kv->name == NULL || kv->value == NULL) {
                api_msgf(msg, msgcap, "The query has a malformed percent-escape or an encoded NUL.");
                goto bad;
            }
            kv->nlen = strlen(kv->name);
            if (kv->nlen == 0) {
                api_msgf(msg, msgcap, "The query has a parameter without a name.");
                goto bad;
            }
            if (api_target_query(t, kv->name) != NULL) {
                api_msgf(msg, msgcap, "Query parameter '%.64s' is given more than once.", kv->name);
                goto bad;
            }
            t->nquery++;
        }
        i = e + 1;
    }
    return 0;
bad:
    api_target_free(t);
    return -EINVAL;
}

void api_target_free(api_target_t *t)
{
    free(t->arena);
    memset(t, 0, sizeof *t);
}

const char *api_target_query(const api_target_t *t, const char *name)
{
    for (size_t i = 0; i < t->nquery; i++)
        if (strcmp(t->query[i].name, name) == 0) return t->query[i].value;
    return NULL;
}

bool api_name_in_list(const char *name, size_t len, const char *list)
{
    for (const char *p = list; p && *p;) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n == len && memcmp(p, name, len) == 0) return true;
        p = e ? e + 1 : NULL;
    }
    return false;
}

bool api_pattern_match(const char *pattern, const api_target_t *t, api_kv_t *params, size_t *nparams)
{
    *nparams = 0;
    size_t si = 0;
    const char *p = pattern;
    if (p == NULL || *p != '/') return false;
    p++;
    while (*p) {
        const char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (si == t->nseg) return false;
        const char *seg = t->seg[si++];
        if (n >= 2 && p[0] == '{' && p[n - 1] == '}') {
            if (seg[0] == 0 || *nparams == API_PARAMS_MAX) return false;
            params[*nparams].name = p + 1;
            params[*nparams].nlen = n - 2;
            params[*nparams].value = seg;
            (*nparams)++;
        } else if (strlen(seg) != n || memcmp(seg, p, n) != 0) {
            return false;
        }
        p += n;
        if (*p == '/') p++;
    }
    return si == t->nseg;
}

/* RFC 7230 token68 characters of RFC 6750 §2.1 (b64token). */
static bool api_b64token_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
}

int api_bearer_parse(const char *hdr, const char **tok, size_t *len)
{
    if (hdr == NULL || hdr[0] == 0) return -ENOENT;
    static const char scheme[] = "bearer";
    for (size_t i = 0; i < sizeof scheme - 1; i++)
        if (api_lower(hdr[i]) != scheme[i]) return -EINVAL;
    const char *p = hdr + sizeof scheme - 1;
    if (*p != ' ' && *p != '\t') return -EINVAL;
    while (*p == ' ' || *p == '\t')
        p++;
    const char *s = p;
    while (api_b64token_char(*p))
        p++;
    while (*p == '=') /* token68 may end in padding */
        p++;
    size_t n = (size_t)(p - s);
    while (*p == ' ' || *p == '\t')
        p++;
    if (n == 0 || *p != 0) return -EINVAL;
    *tok = s;
    *len = n;
    return 0;
}

bool api_media_type_in(const char *ctype, const char *list)
{
    if (ctype == NULL) return false;
    while (*ctype == ' ' || *ctype == '\t')
        ctype++;
    size_t n = 0;
    while (ctype[n] && ctype[n] != ';' && ctype[n] != ' ' && ctype[n] != '\t')
        n++;
    for (const char *p = list; p && *p;) {
        const char *e = strchr(p, ',');
        size_t m = e ? (size_t)(e - p) : strlen(p);
        if (m == n) {
            size_t i = 0;
            while (i < n && api_lower(ctype[i]) == api_lower(p[i]))
                i++;
            if (i == n) {
                /* Only parameters (or blanks) may follow the media type. */
                const char *r = ctype + n;
                while (*r == ' ' || *r == '\t')
                    r++;
                return *r == 0 || *r == ';';
            }
        }
        p = e ? e + 1 : NULL;
    }
    return false;
}

/* Reads exactly |n| digits at *p as a number in [lo, hi]; advances *p. */
static bool api_digits(const char **p, int n, int lo, int hi, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9') return false;
        v = v * 10 + (c - '0');
    }
    *p += n;
    if (out) *out = v;
    return v >= lo && v <= hi;
}

bool api_rfc3339_ok(const char *s)
{
    if (s == NULL) return false;
    const char *p = s;
    if (!api_digits(&p, 4, 0, 9999, NULL) || *p++ != '-' || !api_digits(&p, 2, 1, 12, NULL) || *p++ != '-' ||
        !api_digits(&p, 2, 1, 31, NULL))
        return false;
    if (*p != 'T' && *p != 't' && *p != ' ') return false;
    p++;
    if (!api_digits(&p, 2, 0, 23, NULL) || *p++ != ':' || !api_digits(&p, 2, 0, 59, NULL) || *p++ != ':' ||
        !api_digits(&p, 2, 0, 60, NULL))
        return false;
    if (*p == '.') {
        p++;
        int n = 0;
        while (*p >= '0' && *p <= '9' && n < 9) {
            p++;
            n++;
        }
        if (n == 0) return false;
    }
    if (*p == 'Z' || *p == 'z') return p[1] == 0;
    if (*p != '+' && *p != '-') return false;
    p++;
    return api_digits(&p, 2, 0, 23, NULL) && *p++ == ':' && api_digits(&p, 2, 0, 59, NULL) && *p == 0;
}

int api_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    uint64_t v;
    if (s == NULL || strlen(s) > 19 || lex_parse_uint(s, strlen(s), max, &v) != 0 || v < min) return -EINVAL;
    *out = v;
    return 0;
}

int api_json_parse(const char *body, size_t len, json_t **out, api_json_error_t *e)
{
    json_error_t je;
    memset(e, 0, sizeof *e);
    *out = json_loadb(body ? body : "", len, JSON_REJECT_DUPLICATES, &je);
    if (*out != NULL) return 0;
    e->line = je.line > 0 ? je.line : 0;
    e->column = je.column > 0 ? je.column : 0;
    e->position = je.position > 0 ? (size_t)je.position : 0;
    if (len == 0)
        snprintf(e->text, sizeof e->text, "The request body is empty; a JSON value is expected.");
    else
        snprintf(e->text, sizeof e->text, "The request body is not valid JSON: %.120s at line %d, column %d.",
                 je.text, e->line, e->column);
    return -EINVAL;
}
