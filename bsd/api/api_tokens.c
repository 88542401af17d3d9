/*
 * api_tokens.c — /api/v1/tokens: the API's bearer tokens (bsd/db/db_tokens.h)
 * listed, created and revoked over the API itself. Role: admin. A new
 * token is in the creation response only; the first admin token comes from
 * `bsctl token create`, which works on the database directly.
 */
#include <errno.h>
#include <string.h>

#include "bsd/api/api_handler.h"

static int tok_add(void *arg, const db_token_info_t *t)
{
    json_t *o = json_pack("{s:s, s:s, s:b, s:s, s:s}", "name", t->name, "role", db_token_role_name(t->role),
                          "revoked", t->revoked, "created_at", t->created, "created_by", t->created_by);
    if (o == NULL) return -ENOMEM;
    json_object_set_new(o, "last_used_at", t->last_used[0] ? json_string(t->last_used) : json_null());
    json_object_set_new(o, "revoked_at", t->revoked_at[0] ? json_string(t->revoked_at) : json_null());
    return json_array_append_new(arg, o) == 0 ? 0 : -ENOMEM;
}

static int tok_list(api_req_t *req, api_resp_t *resp)
{
    db_t *db = api_db(req);
    if (db == NULL) return api_error_nodb(resp);
    json_t *arr = json_array();
    int r = arr ? db_token_list(db, tok_add, arr) : -ENOMEM;
    if (r == -EIO && (db = api_db_retry(req)) != NULL) {
        json_array_clear(arr);
        r = db_token_list(db, tok_add, arr);
    }
    if (r != 0) {
        json_decref(arr);
        return db ? api_error_db(resp, db, r) : api_error_nodb(resp);
    }
    return api_json(resp, 200, json_pack("{s:o}", "tokens", arr));
}

static int tok_create(api_req_t *req, api_resp_t *resp)
{
    const char *name = NULL, *role = NULL;
    json_error_t je;
    if (json_unpack_ex(req->json, &je, JSON_STRICT, "{s:s, s:s}", "name", &name, "role", &role) != 0)
        return api_error(
            resp, 400, "invalid_request", NULL,
            "The body must be {\"name\": \"...\", \"role\": \"viewer|operator|admin|metrics\"}: %s.",
            je.text);
    db_token_role_t rl = db_token_role_parse(role);
    if (rl == DB_ROLE_NONE)
        return api_error(resp, 400, "invalid_request", json_pack("{s:s}", "field", "role"),
                         "The role must be viewer, operator, admin or metrics.");
    if (!db_token_name_ok(name))
        return api_error(resp, 400, "invalid_request", json_pack("{s:s}", "field", "name"),
                         "The name must be 1..63 of A-Z a-z 0-9 . _ - starting with a letter or digit.");
    db_t *db = api_db(req);
    if (db == NULL) return api_error_nodb(resp);
    char token[DB_TOKEN_TEXT_MAX];
    int r = db_token_create(db, name, rl, api_actor(req), token);
    if (r != 0) return api_error_db(resp, db, r);
    r = api_json(resp, 201,
                 json_pack("{s:s, s:s, s:s}", "name", name, "role", db_token_role_name(rl), "token", token));
    explicit_bzero(token, sizeof token);
    return r;
}

static int tok_revoke(api_req_t *req, api_resp_t *resp)
{
    const char *name = api_param(req, "name");
    db_t *db = api_db(req);
    if (db == NULL) return api_error_nodb(resp);
    int r = db_token_revoke(db, name, api_actor(req));
    if (r != 0) return api_error_db(resp, db, r);
    return api_json(resp, 200, json_pack("{s:s, s:b}", "name", name, "revoked", 1));
}

const api_route_t api_tokens_routes[] = {
    {.method = "GET", .pattern = "/api/v1/tokens", .role = API_ROLE_ADMIN, .handler = tok_list},
    {.method = "POST",
     .pattern = "/api/v1/tokens",
     .role = API_ROLE_ADMIN,
     .handler = tok_create,
     .body = API_BODY_JSON},
    {.method = "DELETE", .pattern = "/api/v1/tokens/{name}", .role = API_ROLE_ADMIN, .handler = tok_revoke},
    API_ROUTES_END,
};
