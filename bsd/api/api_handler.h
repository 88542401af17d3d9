/*
 * api_handler.h — how a resource plugs into the REST admin API: the route
 * table, the request a handler gets, and the response helpers. The server
 * (api_server.c) does everything else: TLS, routing, 404/405, bearer-token
 * authentication and roles (401/403, audited), Content-Type (415), body
 * size limits enforced while receiving (413), JSON parsing (400 with line
 * and column), query-parameter checks (400), the error shape, and a
 * per-thread PostgreSQL connection.
 *
 * Adding a resource, e.g. devices, in a new file:
 *
 *   1. bsd/api/api_devices.c: handlers and their routes.
 *
 *        #include "bsd/api/api_handler.h"
 *        #include "bsd/db/db_devices.h"
 *
 *        static int devices_get(api_req_t *req, api_resp_t *resp)
 *        {
 *            db_t *db = api_db(req);
 *            if (db == NULL) return api_error_nodb(resp);
 *            const char *ep = api_param(req, "endpoint"); // decoded, never NULL
 *            ...
 *            if (r == -ENOENT) return api_error(resp, 404, "not_found", NULL, "No device %s.", ep);
 *            if (r < 0) return api_error_db(resp, db, r);
 *            return api_json(resp, 200, json_pack("{s:s}", "endpoint", ep));
 *        }
 *
 *        const api_route_t api_devices_routes[] = {
 *            {.method = "GET", .pattern = "/api/v1/devices/{endpoint}",
 *             .role = API_ROLE_VIEWER, .handler = devices_get},
 *            {.method = "PUT", .pattern = "/api/v1/devices/{endpoint}",
 *             .role = API_ROLE_OPERATOR, .handler = devices_put, .body = API_BODY_JSON},
 *            {.method = "GET", .pattern = "/api/v1/devices",
 *             .role = API_ROLE_VIEWER, .handler = devices_list, .query = "label,limit,cursor"},
 *            {.method = "POST", .pattern = "/api/v1/devices/import",
 *             .role = API_ROLE_OPERATOR, .handler = devices_import,
 *             .body = API_BODY_STREAM, .content_types = "text/csv,application/json",
 *             .flags = API_F_IMPORT, .on_chunk = import_chunk, .stream_free = import_free},
 *            API_ROUTES_END,
 *        };
 *
 *   2. Declare the table in api_resources.c and add it to api_route_tables[]
 *      (two lines), and add the file to bsd/api/meson.build.
 *   3. Describe each operation in docs/openapi.json (with "x-role"), and
 *      test every role against it in tests/integration/test_api.sh.
 *
 * Rules a handler follows:
 *   - It runs on one of the API's own threads, never on a DTLS worker, and
 *     may block on PostgreSQL. It must not touch worker state; daemon-wide
 *     numbers come through bsd/metrics.h.
 *   - Writes go through the bsd/db modules, which audit in the same
 *     transaction; the actor is api_actor(req) ("api:<token name>").
 *   - It never puts a secret in a log line or an error message, and never
 *     echoes the Authorization header.
 *   - It returns one of the api_json/api_text/api_error* results; the
 *     response is sent when it returns. A negative return without a
 *     response set becomes 500 internal_error.
 */
#ifndef BSD_API_API_HANDLER_H
#define BSD_API_API_HANDLER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bsd/api/api_parse.h"
#include "bsd/db/db.h"
#include "bsd/db/db_tokens.h"
#include "bsd/db/secretbox.h"

/* The least role a route needs. viewer < operator < admin; a metrics
 * token may call only routes flagged API_F_METRICS. */
#define API_ROLE_PUBLIC   DB_ROLE_NONE /* no token needed (health, readiness, the OpenAPI document) */
#define API_ROLE_VIEWER   DB_ROLE_VIEWER
#define API_ROLE_OPERATOR DB_ROLE_OPERATOR
#define API_ROLE_ADMIN    DB_ROLE_ADMIN

/* Route flags. */
#define API_F_METRICS 1u /* a metrics-role token may call it too */
#define API_F_IMPORT  2u /* the body limit is api.max_import_mib, not api.max_body_kib */

/* What the request body may be. */
typedef enum api_body {
    API_BODY_NONE = 0, /* no body: a non-empty one is 400 unexpected_body */
    API_BODY_JSON,     /* application/json, parsed: req->json */
    API_BODY_RAW,      /* one of .content_types, buffered whole: req->body, req->body_len */
    API_BODY_STREAM,   /* one of .content_types, handed to .on_chunk as it arrives */
} api_body_t;

#define API_RESP_HEADERS_MAX 4   /* extra response headers */
#define API_HEADER_VALUE_MAX 256 /* bytes of one extra header value */

/* The response a handler fills through the helpers below. */
typedef struct api_resp {
    int status;        /* HTTP status; 0 = not set yet */
    const char *ctype; /* Content-Type (a constant) */
    char *body;        /* malloc'd; sent and freed by the server */
    size_t len;
    struct {
        char name[40];
        char value[API_HEADER_VALUE_MAX];
    } hdr[API_RESP_HEADERS_MAX];
    size_t nhdr;
} api_resp_t;

typedef struct api_req api_req_t;

/* A handler: fills |resp| and returns its helper's result (0), or a
 * negative value for "internal error". */
typedef int (*api_handler_fn)(api_req_t *req, api_resp_t *resp);

/* API_BODY_STREAM: called for each piece of the body as it arrives (|len| >
 * 0), in order. It keeps its state in req->stream. A non-zero return stops
 * the upload: the rest of the body is read and dropped, and |resp| (which it
 * must fill with api_error) is sent instead of calling the handler. */
typedef int (*api_chunk_fn)(api_req_t *req, const char *data, size_t len, api_resp_t *resp);

/* One route: a method on a path pattern. */
typedef struct api_route {
    const char *method;        /* "GET", "POST", "PUT", "PATCH", "DELETE" (GET also serves HEAD) */
    const char *pattern;       /* "/api/v1/sessions/{id}": literal and {name} segments */
    db_token_role_t role;      /* the least role (API_ROLE_*) */
    api_handler_fn handler;    /* called once the whole body is in */
    api_body_t body;           /* what the body may be */
    const char *query;         /* allowed query parameters, comma-separated; NULL = none */
    const char *content_types; /* RAW/STREAM: accepted media types, comma-separated; JSON: application/json */
    unsigned flags;            /* API_F_* */
    api_chunk_fn on_chunk;     /* API_BODY_STREAM only */
    void (*stream_free)(void *stream); /* frees req->stream when the handler is not reached (the
                                          upload was refused or cut short); api_db() still works */
} api_route_t;

/* Ends a route table. */
#define API_ROUTES_END                                                                                       \
    {                                                                                                        \
        .method = NULL                                                                                       \
    }

/* The request as a handler sees it. Strings stay valid until the response
 * is sent. */
struct api_req {
    const char *method;       /* as sent ("HEAD" reaches GET routes) */
    const char *target;       /* the request target as sent (path and query, percent-encoded) */
    const api_route_t *route; /* the route matched */
    const char *token_name;   /* "" on a public route called without a token */
    db_token_role_t role;     /* the token's role; DB_ROLE_NONE without one */
    const char *remote;       /* client address, "a.b.c.d:port" or "[v6]:port" */
    const char *body;         /* JSON/RAW: the whole body, NUL-terminated; NULL otherwise */
    size_t body_len;
    json_t *json;          /* JSON: the parsed body (the server frees it) */
    void *stream;          /* STREAM: on_chunk's state (the handler frees it) */
    uint64_t body_bytes;   /* bytes of body received so far */
    struct api_call *call; /* the server's; do not touch */
};

/* api_param returns the decoded value of path parameter |name| of the
 * route's pattern (never NULL for a name in the pattern; NULL otherwise). */
const char *api_param(const api_req_t *req, const char *name);

/* api_query returns the decoded value of query parameter |name|, or NULL
 * when absent. Only names listed in the route's .query reach a handler. */
const char *api_query(const api_req_t *req, const char *name);

/* api_header returns the value of request header |name| (case-insensitive),
 * or NULL. Authorization is not available. */
const char *api_header(const api_req_t *req, const char *name);

/* api_actor returns the audit actor for this request, "api:<token name>". */
const char *api_actor(const api_req_t *req);

/*
 * api_db returns this request's PostgreSQL connection (one per API thread,
 * connected on first use, reconnected after it broke), or NULL when the
 * database cannot be reached (answer with api_error_nodb). Do not close it;
 * leave no transaction open.
 */
db_t *api_db(api_req_t *req);

/*
 * api_db_retry is for the first statement of a handler that failed: when
 * the connection turned out broken (PostgreSQL restarted since it was last
 * used) it connects anew and returns the new connection to retry once;
 * otherwise (the statement failed for another reason, or no connection can
 * be had) NULL.
 */
db_t *api_db_retry(api_req_t *req);

/*
 * api_keyring loads the daemon's keyring (secret_keys_file, else
 * BSD_SECRET_KEYS) into |sb| (db_secretbox_init'ed by the caller, who
 * frees it with db_secretbox_free as soon as it is done) for sealing or
 * opening secrets at rest. Returns 0, or a negative errno with |err| set
 * (db_secretbox_load_file's messages; never key material).
 */
int api_keyring(api_req_t *req, db_secretbox_t *sb, char *err, size_t errcap);

/* api_json answers |status| with |body| (stolen; NULL = out of memory,
 * answered 500) as application/json. Returns 0 (or -ENOMEM). */
int api_json(api_resp_t *resp, int status, json_t *body);

/* api_text answers |status| with a copy of |len| bytes of |text| as |ctype|
 * (a constant string). Returns 0 (or -ENOMEM). */
int api_text(api_resp_t *resp, int status, const char *ctype, const char *text, size_t len);

/*
 * api_error answers |status| with the one error shape of the API:
 *   {"code": |code|, "message": <printf of |fmt|>, "details": |details| or null}
 * |code| is snake_case and stable (clients branch on it); the message is a
 * sentence for people. |details| (stolen; may be NULL) is a JSON object.
 * Returns 0 (or -ENOMEM).
 */
int api_error(api_resp_t *resp, int status, const char *code, json_t *details, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/*
 * api_error_db answers a failed bsd/db call that returned |rc|: -ENOENT 404
 * not_found, -EEXIST 409 conflict, -EINVAL 400 invalid_request (each with
 * db_errmsg() as the message), anything else 503 database_error.
 */
int api_error_db(api_resp_t *resp, db_t *db, int rc);

/* api_error_nodb answers 503 database_unavailable (api_db returned NULL). */
int api_error_nodb(api_resp_t *resp);

/* api_header_set adds response header |name|: |value| (both copied; values
 * over API_HEADER_VALUE_MAX - 1 bytes or more than API_RESP_HEADERS_MAX
 * headers are refused). Returns 0 or -ENOSPC. */
int api_header_set(api_resp_t *resp, const char *name, const char *value);

#endif /* BSD_API_API_HANDLER_H */
