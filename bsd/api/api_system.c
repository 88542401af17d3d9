/*
 * api_system.c — the API's own resources: liveness (/healthz), readiness
 * (/readyz), Prometheus metrics (/metrics), the OpenAPI document
 * (/api/openapi.json, docs/openapi.json compiled in) and /api/v1/whoami.
 */
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

#include "bsd/api/api_int.h"

/* docs/openapi.json, embedded at build time (embed_openapi.py). */
extern const char api_openapi_json[];
extern const size_t api_openapi_json_len;

#define API_METRICS_CTYPE "text/plain; version=0.0.4; charset=utf-8"

/* The process answers: nothing else is checked. */
static int sys_healthz(api_req_t *req, api_resp_t *resp)
{
    return api_json(resp, 200, json_pack("{s:s}", "status", "ok"));
}

/* Runs "SELECT 1"; returns 0 when the database answered. */
static int sys_db_ping(db_t *db)
{
    PGresult *res = PQexec(db_pg(db), "SELECT 1");
    int ok = PQresultStatus(res) == PGRES_TUPLES_OK;
    PQclear(res);
    return ok ? 0 : -1;
}

/* Ready when the first generation is loaded and PostgreSQL answers. */
static int sys_readyz(api_req_t *req, api_resp_t *resp)
{
    struct api *a = req->call->api;
    uint64_t gen = a->hooks.generation ? a->hooks.generation(a->hooks.ctx) : 0;
    if (gen == 0)
        return api_error(resp, 503, "not_ready", json_pack("{s:b, s:n}", "generation_loaded", 0, "database"),
                         "The daemon is still loading its first configuration generation.");
    db_t *db = api_db(req);
    int r = db ? sys_db_ping(db) : -1;
    if (r != 0 && db && (db = api_db_retry(req)) != NULL) r = sys_db_ping(db);
    if (r != 0)
        return api_error(resp, 503, "database_unavailable",
                         json_pack("{s:b, s:b}", "generation_loaded", 1, "database", 0),
                         "The database does not answer.");
    return api_json(resp, 200, json_pack("{s:s, s:I}", "status", "ready", "generation", (json_int_t)gen));
}

void api_write_own_metrics(struct api *a, FILE *f)
{
    static const char *const cls[6] = {"other", "1xx", "2xx", "3xx", "4xx", "5xx"};
    fputs("# HELP bsd_api_responses_total API responses by status class.\n"
          "# TYPE bsd_api_responses_total counter\n",
          f);
    for (size_t i = 0; i < 6; i++)
        if (i != 1)
            fprintf(f, "bsd_api_responses_total{class=\"%s\"} %lu\n", cls[i],
                    atomic_load_explicit(&a->n.status[i], memory_order_relaxed));
    fputs("# HELP bsd_api_denied_total API requests refused for their token (401) or its role (403).\n"
          "# TYPE bsd_api_denied_total counter\n",
          f);
    fprintf(f, "bsd_api_denied_total{status=\"401\"} %lu\n", atomic_load(&a->n.denied_401));
    fprintf(f, "bsd_api_denied_total{status=\"403\"} %lu\n", atomic_load(&a->n.denied_403));
    fputs("# HELP bsd_api_denied_unaudited_total Denied requests left out of the audit table (rate limit).\n"
          "# TYPE bsd_api_denied_unaudited_total counter\n",
          f);
    fprintf(f, "bsd_api_denied_unaudited_total %lu\n", atomic_load(&a->n.audit_dropped));
    fputs("# HELP bsd_api_token_lookups_total Bearer-token lookups by where they were answered.\n"
          "# TYPE bsd_api_token_lookups_total counter\n",
          f);
    fprintf(f, "bsd_api_token_lookups_total{source=\"cache\"} %lu\n", atomic_load(&a->n.lookup_cache));
    fprintf(f, "bsd_api_token_lookups_total{source=\"database\"} %lu\n", atomic_load(&a->n.lookup_db));
}

static int sys_metrics(api_req_t *req, api_resp_t *resp)
{
    struct api *a = req->call->api;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (f == NULL) return api_error(resp, 503, "out_of_memory", NULL, "The server is out of memory.");
    int r = a->hooks.metrics ? a->hooks.metrics(a->hooks.ctx, f) : 0;
    api_write_own_metrics(a, f);
    if (fclose(f) != 0 || r != 0) {
        free(buf);
        return api_error(resp, 500, "internal_error", NULL, "The metrics could not be written.");
    }
    r = api_text(resp, 200, API_METRICS_CTYPE, buf, len);
    free(buf);
    return r;
}

static int sys_openapi(api_req_t *req, api_resp_t *resp)
{
    return api_text(resp, 200, "application/json", api_openapi_json, api_openapi_json_len);
}

static int sys_whoami(api_req_t *req, api_resp_t *resp)
{
    return api_json(resp, 200,
                    json_pack("{s:s, s:s}", "name", req->token_name, "role", db_token_role_name(req->role)));
}

const api_route_t api_system_routes[] = {
    {.method = "GET", .pattern = "/healthz", .role = API_ROLE_PUBLIC, .handler = sys_healthz},
    {.method = "GET", .pattern = "/readyz", .role = API_ROLE_PUBLIC, .handler = sys_readyz},
    {.method = "GET",
     .pattern = "/metrics",
     .role = API_ROLE_VIEWER,
     .handler = sys_metrics,
     .flags = API_F_METRICS},
    {.method = "GET", .pattern = "/api/openapi.json", .role = API_ROLE_PUBLIC, .handler = sys_openapi},
    {.method = "GET", .pattern = "/api/v1/whoami", .role = API_ROLE_VIEWER, .handler = sys_whoami},
    API_ROUTES_END,
};
