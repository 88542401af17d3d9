/*
 * fuzz_api_parse.c — libFuzzer target for the REST admin API's request
 * parsing (bsd/api/api_parse.c, api_route.c): the request target (path
 * segments, query parameters, percent-decoding), routing against a table
 * shaped like the real one, query-parameter checks, the Authorization
 * header, the Content-Type check, RFC 3339 times and JSON bodies.
 *
 * Input: "METHOD TARGET\nAUTHORIZATION\nCONTENT-TYPE\nBODY..." — each of the
 * first three lines may be empty or missing.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bsd/api/api_int.h"
#include "bsd/api/api_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fz_h(api_req_t *req, api_resp_t *resp)
{
    return 0;
}

static const api_route_t fz_routes[] = {
    {.method = "GET", .pattern = "/healthz", .role = API_ROLE_PUBLIC, .handler = fz_h},
    {.method = "GET",
     .pattern = "/metrics",
     .role = API_ROLE_VIEWER,
     .handler = fz_h,
     .flags = API_F_METRICS},
    {.method = "GET",
     .pattern = "/api/v1/sessions",
     .role = API_ROLE_VIEWER,
     .handler = fz_h,
     .query = "endpoint,outcome,since,until,limit,cursor"},
    {.method = "GET", .pattern = "/api/v1/sessions/{id}", .role = API_ROLE_VIEWER, .handler = fz_h},
    {.method = "POST",
     .pattern = "/api/v1/tokens",
     .role = API_ROLE_ADMIN,
     .handler = fz_h,
     .body = API_BODY_JSON},
    {.method = "DELETE", .pattern = "/api/v1/tokens/{name}", .role = API_ROLE_ADMIN, .handler = fz_h},
    {.method = "PUT",
     .pattern = "/api/v1/devices/{endpoint}/labels/{key}",
     .role = API_ROLE_OPERATOR,
     .handler = fz_h,
     .body = API_BODY_JSON},
    API_ROUTES_END,
};
static const api_route_t *const fz_tables[] = {fz_routes, NULL};

/* Copies the next line of |d| (up to '\n') as a C string; NULL when absent. */
static char *fz_line(const uint8_t **d, size_t *n)
{
    const uint8_t *e = memchr(*d, '\n', *n);
    if (e == NULL) return NULL;
    size_t len = (size_t)(e - *d);
    char *s = malloc(len + 1);
    if (s == NULL) return NULL;
    memcpy(s, *d, len);
    s[len] = 0;
    *d = e + 1;
    *n -= len + 1;
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *d = data;
    size_t n = size;
    char *first = fz_line(&d, &n), *auth = fz_line(&d, &n), *ctype = fz_line(&d, &n);
    if (first != NULL) {
        char *sp = strchr(first, ' ');
        const char *method = "GET", *uri = first;
        if (sp != NULL) {
            *sp = 0;
            method = first;
            uri = sp + 1;
        }
        api_target_t t;
        char msg[API_MSG_MAX];
        if (api_target_parse(uri, &t, msg, sizeof msg) == 0) {
            api_kv_t params[API_PARAMS_MAX];
            size_t np;
            bool known;
            char allow[API_ALLOW_MAX];
            const api_route_t *r =
                api_route_find(fz_tables, method, &t, params, &np, &known, allow, sizeof allow);
            if (r != NULL) {
                (void)api_route_bad_query(r, &t);
                for (size_t i = 0; i < np; i++)
                    if (strlen(params[i].value) == 0) abort(); /* a parameter is never empty */
                (void)api_role_allows(r, DB_ROLE_METRICS);
            } else if (!known && allow[0] != 0) {
                abort(); /* an Allow list only for a known path */
            }
            for (size_t i = 0; i < t.nquery; i++)
                (void)api_rfc3339_ok(t.query[i].value);
            api_target_free(&t);
        }
    }
    const char *tok;
    size_t tlen;
    if (api_bearer_parse(auth, &tok, &tlen) == 0 &&
        (tlen == 0 || tok < auth || tok + tlen > auth + strlen(auth)))
        abort();
    (void)api_media_type_in(ctype, "application/json,text/csv");
    json_t *j = NULL;
    api_json_error_t e;
    if (api_json_parse((const char *)d, n, &j, &e) == 0) json_decref(j);
    free(first);
    free(auth);
    free(ctype);
    return 0;
}
