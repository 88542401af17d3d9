/*
 * api_deny.c — /api/v1/deny: the deny-list (bsd/db/db_deny.h) over the
 * API, with the semantics of `bsctl deny`: a denied endpoint cannot
 * authenticate, datagrams from a denied source prefix are dropped unread;
 * the daemon follows every change through LISTEN/NOTIFY. Listing: viewer;
 * changes: operator, audited with the token as actor.
 */
#include <errno.h>
#include <string.h>

#include "bsd/api/api_handler.h"
#include "bsd/db/db_deny.h"
#include "bsd/db/db_device_json.h"

static int deny_add_entry(void *arg, const db_deny_entry_t *e)
{
    json_t *o = db_deny_entry_json(e);
    return o && json_array_append_new(arg, o) == 0 ? 0 : -ENOMEM;
}

static int deny_list(api_req_t *req, api_resp_t *resp)
{
    db_t *db = api_db(req);
    if (db == NULL) return api_error_nodb(resp);
    json_t *arr = json_array();
    int r = arr ? db_deny_list(db, deny_add_entry, arr) : -ENOMEM;
    if (r == -EIO && (db = api_db_retry(req)) != NULL) {
        json_array_clear(arr);
        r = db_deny_list(db, deny_add_entry, arr);
    }
    if (r != 0) {
        json_decref(arr);
        if (r == -ENOMEM) return r;
        return db ? api_error_db(resp, db, r) : api_error_nodb(resp);
    }
    return api_json(resp, 200, json_pack("{s:o}", "items", arr));
}

/* POST {"<member>": "...", "reason": "..."}: denies an endpoint or a prefix. */
static int deny_add(api_req_t *req, api_resp_t *resp, int is_source)
{
    const char *member = is_source ? "prefix" : "endpoint";
    const char *what = NULL, *reason = NULL;
    json_error_t je;
    if (json_unpack_ex(req->json, &je, JSON_STRICT, "{s:s, s?s}", member, &what, "reason", &reason) != 0)
        return api_error(resp, 400, "invalid_request", NULL,
                         "The body must be {\"%s\": \"...\", \"reason\": \"...\"}: %s.", member, je.text);
    db_t *db = api_db(req);
    if (db == NULL) return api_error_nodb(resp);
    int r = db_deny_add(db, is_source, what, reason, api_actor(req));
    if (r == -EIO && (db = api_db_retry(req)) != NULL)
        r = db_deny_add(db, is_source, what, reason, api_actor(req));
    if (r != 0) return db ? api_error_db(resp, db, r) : api_error_nodb(resp);
    return api_json(resp, 201,
                    json_pack("{s:s, s:s, s:s, s:s}", "type", is_source ? "source" : "device", "what", what,
                              "reason", reason ? reason : "", "actor", api_actor(req)));
}

static int deny_remove(api_req_t *req, api_resp_t *resp, int is_source)
{
    const char *what = api_param(req, is_source ? "prefix" : "endpoint");
    db_t *db = api_db(req);
    if (db == NULL) return api_error_nodb(resp);
    int r = db_deny_remove(db, is_source, what, api_actor(req));
    if (r == -EIO && (db = api_db_retry(req)) != NULL)
        r = db_deny_remove(db, is_source, what, api_actor(req));
    if (r != 0) return db ? api_error_db(resp, db, r) : api_error_nodb(resp);
    return api_text(resp, 204, "application/json", "", 0);
}

static int deny_device_add(api_req_t *req, api_resp_t *resp)
{
    return deny_add(req, resp, 0);
}

static int deny_source_add(api_req_t *req, api_resp_t *resp)
{
    return deny_add(req, resp, 1);
}

static int deny_device_remove(api_req_t *req, api_resp_t *resp)
{
    return deny_remove(req, resp, 0);
}

static int deny_source_remove(api_req_t *req, api_resp_t *resp)
{
    return deny_remove(req, resp, 1);
}

const api_route_t api_deny_routes[] = {
    {.method = "GET", .pattern = "/api/v1/deny", .role = API_ROLE_VIEWER, .handler = deny_list},
    {.method = "POST",
     .pattern = "/api/v1/deny/devices",
     .role = API_ROLE_OPERATOR,
     .handler = deny_device_add,
     .body = API_BODY_JSON},
    {.method = "DELETE",
     .pattern = "/api/v1/deny/devices/{endpoint}",
     .role = API_ROLE_OPERATOR,
     .handler = deny_device_remove},
    {.method = "POST",
     .pattern = "/api/v1/deny/sources",
     .role = API_ROLE_OPERATOR,
     .handler = deny_source_add,
     .body = API_BODY_JSON},
    {.method = "DELETE",
     .pattern = "/api/v1/deny/sources/{prefix}",
     .role = API_ROLE_OPERATOR,
     .handler = deny_source_remove},
    API_ROUTES_END,
};
