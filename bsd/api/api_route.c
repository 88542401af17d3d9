/*
 * api_route.c — routing over the resource tables and the role rule
 * (contract in api_int.h). Pure: it reads tables and a parsed target.
 */
#include <stdio.h>
#include <string.h>

#include "bsd/api/api_int.h"

/* Appends |m| to the comma-separated |allow| unless it is there. */
static void api_allow_add(char *allow, size_t cap, const char *m)
{
    size_t n = strlen(allow), mlen = strlen(m);
    for (const char *p = allow; *p;) {
        const char *e = strstr(p, ", ");
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == mlen && memcmp(p, m, mlen) == 0) return;
        p = e ? e + 2 : p + len;
    }
    if (n + mlen + 3 > cap) return;
    snprintf(allow + n, cap - n, "%s%s", n ? ", " : "", m);
}

const api_route_t *api_route_find(const api_route_t *const *tables, const char *method, const api_target_t *t,
                                  api_kv_t *params, size_t *np, bool *path_known, char *allow,
                                  size_t allowcap)
{
    const char *want = strcmp(method, "HEAD") == 0 ? "GET" : method;
    *path_known = false;
    *np = 0;
    if (allowcap) allow[0] = 0;
    for (size_t i = 0; tables[i] != NULL; i++) {
        for (const api_route_t *r = tables[i]; r->method != NULL; r++) {
            api_kv_t p[API_PARAMS_MAX];
            size_t n;
            if (!api_pattern_match(r->pattern, t, p, &n)) continue;
            if (strcmp(r->method, want) == 0) {
                memcpy(params, p, n * sizeof p[0]);
                *np = n;
                return r;
            }
            *path_known = true;
            api_allow_add(allow, allowcap, r->method);
            if (strcmp(r->method, "GET") == 0) api_allow_add(allow, allowcap, "HEAD");
        }
    }
    return NULL;
}

const char *api_route_bad_query(const api_route_t *r, const api_target_t *t)
{
    for (size_t i = 0; i < t->nquery; i++)
        if (!api_name_in_list(t->query[i].name, t->query[i].nlen, r->query)) return t->query[i].name;
    return NULL;
}

bool api_role_allows(const api_route_t *r, db_token_role_t have)
{
    if (r->role == API_ROLE_PUBLIC) return true;
    if (have == DB_ROLE_METRICS) return (r->flags & API_F_METRICS) != 0;
    return have >= r->role;
}
