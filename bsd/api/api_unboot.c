/*
 * api_unboot.c — /api/v1/unbootstrap: on-demand removal of an LwM2M Server
 * account (by SSID) from devices, queued and applied at each device's next
 * bootstrap (bsd/db/db_unboot.h); the dry run of such a removal; listing,
 * showing and cancelling requests; and /api/v1/devices/{endpoint}/accounts,
 * the accounts this server wrote to a device with its pending removals.
 * Queueing and cancelling: operator (audited with the token as actor);
 * reading: viewer.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bsd/api/api_handler.h"
#include "bsd/api/api_policies.h"
#include "bsd/db/db_unboot.h"

#define UB_LIMIT_DEFAULT 100
#define UB_DRY_RUN_MAX   20 /* dry runs per call: each compiles a policy and plays a session */

static int ub_append(void *arg, const db_unboot_req_t *r)
{
    json_t *o = db_unboot_req_json(r);
    return o && json_array_append_new(arg, o) == 0 ? 0 : -ENOMEM;
}

static int ub_error_entry(void *arg, const char *endpoint, const char *msg)
{
    json_t *o = json_pack("{s:s, s:s}", "endpoint", endpoint, "message", msg);
    return o && json_array_append_new(arg, o) == 0 ? 0 : -ENOMEM;
}

static int ub_bad_body(api_resp_t *resp, const char *field, const char *msg)
{
    return api_error(resp, 400, "invalid_request", json_pack("{s:s}", "field", field), "%s", msg);
}

/* The dry runs of removing |ssid| from |eps|: nothing is stored. */
static int ub_dry_runs(api_req_t *req, api_resp_t *resp, const char **eps, size_t n, int ssid)
{
    if (n > UB_DRY_RUN_MAX)
        return api_error(resp, 422, "too_many_dry_runs", json_pack("{s:i}", "max", UB_DRY_RUN_MAX),
                         "A dry run takes at most %d endpoints.", UB_DRY_RUN_MAX);
    db_secretbox_t sb;
    db_secretbox_init(&sb);
    json_t *runs = json_array(), *errs = json_array();
    int r = runs && errs ? 0 : -ENOMEM;
    db_t *db = NULL;
    if (r == 0 && api_policy_keyring(req, resp, &sb) != 0) goto out;
    if (r == 0 && (db = api_db(req)) == NULL) {
        r = api_error_nodb(resp);
        goto out;
    }
    for (size_t i = 0; r == 0 && i < n; i++) {
        char err[DB_POLICY_ERR_MAX];
        json_t *plan = NULL;
        int rc = db_unboot_dry_run(db, &sb, eps[i], ssid, &plan, err, sizeof err);
        if (rc == -EIO && i == 0 && (db = api_db_retry(req)) != NULL)
            rc = db_unboot_dry_run(db, &sb, eps[i], ssid, &plan, err, sizeof err);
        if (db == NULL) {
            r = api_error_nodb(resp);
            goto out;
        }
        if (rc == -ENOMEM)
            r = rc;
        else if (rc != 0)
            r = ub_error_entry(errs, eps[i], err);
        else
            r = json_array_append_new(runs, json_pack("{s:s, s:o}", "endpoint", eps[i], "plan", plan)) == 0
                    ? 0
                    : -ENOMEM;
    }
    if (r == 0 && json_array_size(runs) == 0)
        r = api_error(resp, 422, "nothing_planned", json_pack("{s:O}", "errors", errs),
                      "No dry run could be made for any of the endpoints.");
    else if (r == 0)
        r = api_json(resp, 200, json_pack("{s:O, s:O}", "dry_runs", runs, "errors", errs));
out:
    json_decref(runs);
    json_decref(errs);
    db_secretbox_free(&sb);
    return r;
}

/* POST {"ssid", "endpoints": [...], "reason", "dry_run"}. */
static int ub_queue(api_req_t *req, api_resp_t *resp)
{
    json_int_t ssid = 0;
    json_t *list = NULL;
    const char *reason = NULL;
    int dry = 0;
    json_error_t je;
    if (json_unpack_ex(req->json, &je, JSON_STRICT, "{s:I, s:o, s?s, s?b}", "ssid", &ssid, "endpoints", &list,
                       "reason", &reason, "dry_run", &dry) != 0)
        return api_error(resp, 400, "invalid_request", NULL,
                         "The body must be {\"ssid\": N, \"endpoints\": [\"...\"], \"reason\": \"...\", "
                         "\"dry_run\": false} (reason and dry_run optional): %s.",
                         je.text);
    if (ssid < 1 || ssid > 65534) return ub_bad_body(resp, "ssid", "ssid is a Short Server ID, 1..65534.");
    size_t n = json_is_array(list) ? json_array_size(list) : 0;
    if (n < 1 || n > DB_UNBOOT_QUEUE_MAX)
        return ub_bad_body(resp, "endpoints", "endpoints is an array of 1..1000 endpoint names.");
    if (reason && strlen(reason) > DB_UNBOOT_REASON_MAX)
        return ub_bad_body(resp, "reason", "reason is at most 200 bytes.");
    const char *eps[DB_UNBOOT_QUEUE_MAX];
    for (size_t i = 0; i < n; i++) {
        eps[i] = json_string_value(json_array_get(list, i));
        if (eps[i] == NULL || eps[i][0] == 0 || strlen(eps[i]) > DB_UNBOOT_EP_MAX)
            return ub_bad_body(resp, "endpoints", "Each endpoint is a string of 1..255 bytes.");
    }
    if (dry) return ub_dry_runs(req, resp, eps, n, (int)ssid);
    json_t *reqs = json_array(), *errs = json_array();
    if (reqs == NULL || errs == NULL) {
        json_decref(reqs);
        json_decref(errs);
        return -ENOMEM;
    }
    db_t *db = api_db(req);
    int r = db ? db_unboot_queue(db, eps, n, (int)ssid, reason, api_actor(req), ub_append, reqs,
                                 ub_error_entry, errs)
               : -ECONNREFUSED;
    if (r == -EIO && (db = api_db_retry(req)) != NULL) {
        json_array_clear(reqs);
        json_array_clear(errs);
        r = db_unboot_queue(db, eps, n, (int)ssid, reason, api_actor(req), ub_append, reqs, ub_error_entry,
                            errs);
    }
    if (r == 0 && json_array_size(reqs) == 0)
        r = api_error(resp, 422, "nothing_queued", json_pack("{s:O}", "errors", errs),
                      "None of the endpoints is a device: nothing was queued.");
    else if (r == 0)
        r = api_json(resp, 201, json_pack("{s:O, s:O}", "requests", reqs, "errors", errs));
    else if (r != -ENOMEM)
        r = db ? api_error_db(resp, db, r) : api_error_nodb(resp);
    json_decref(reqs);
    json_decref(errs);
    return r;
}

static int ub_list(api_req_t *req, api_resp_t *resp)
{
    db_unboot_filter_t f = {
        .state = api_query(req, "state"), .endpoint = api_query(req, "endpoint"), .limit = UB_LIMIT_DEFAULT};
    static const char *const states[] = {"pending", "applied", "absent", "cancelled"};
    size_t k = 0;
    while (f.state && k < 4 && strcmp(f.state, states[k]) != 0)
        k++;
    if (k == 4)
        return api_error(resp, 400, "invalid_parameter", json_pack("{s:s}", "parameter", "state"),
                         "Query parameter 'state' is pending, applied, absent or cancelled.");
    if (f.endpoint && (!f.endpoint[0] || strlen(f.endpoint) > DB_UNBOOT_EP_MAX))
        return api_error(resp, 400, "invalid_parameter", json_pack("{s:s}", "parameter", "endpoint"),
                         "Query parameter 'endpoint' must be 1..%d bytes.", DB_UNBOOT_EP_MAX);
    const struct {
        const char *name;
        uint64_t max;
    } nums[3] = {{"ssid", 65534}, {"limit", DB_UNBOOT_PAGE_MAX}, {"cursor", INT64_MAX}};
    uint64_t v[3] = {0, 0, 0};
    for (size_t i = 0; i < 3; i++) {
        const char *s = api_query(req, nums[i].name);
        if (s && api_parse_u64(s, 1, nums[i].max, &v[i]) != 0)
            return api_error(resp, 400, "invalid_parameter", json_pack("{s:s}", "parameter", nums[i].name),
                             "Query parameter '%s' must be an integer in 1..%llu.", nums[i].name,
                             (unsigned long long)nums[i].max);
    }
    f.ssid = (int)v[0];
    if (v[1]) f.limit = (unsigned)v[1];
    f.before_id = (long long)v[2];
    json_t *items = json_array();
    if (items == NULL) return -ENOMEM;
    unsigned want = f.limit;
    f.limit++; /* one row more: whether a next page exists */
    db_t *db = api_db(req);
    int r = db ? db_unboot_list(db, &f, ub_append, items) : -ECONNREFUSED;
    if (r == -EIO && (db = api_db_retry(req)) != NULL) {
        json_array_clear(items);
        r = db_unboot_list(db, &f, ub_append, items);
    }
    if (r != 0) {
        json_decref(items);
        if (r == -ENOMEM) return r;
        return db ? api_error_db(resp, db, r) : api_error_nodb(resp);
    }
    json_t *next = json_null();
    if (json_array_size(items) > want) {
        json_array_remove(items, want);
        char cur[24];
        snprintf(cur, sizeof cur, "%lld",
                 (long long)json_integer_value(json_object_get(json_array_get(items, want - 1), "id")));
        next = json_string(cur);
    }
    return api_json(resp, 200, json_pack("{s:o, s:o}", "requests", items, "next", next));
}

/* The {id} of the path, or 0 after answering 400. */
static long long ub_id(api_req_t *req, api_resp_t *resp)
{
    uint64_t id;
    if (api_parse_u64(api_param(req, "id"), 1, INT64_MAX, &id) == 0) return (long long)id;
    api_error(resp, 400, "invalid_parameter", json_pack("{s:s}", "parameter", "id"),
              "A request id is a positive integer.");
    return 0;
}

static int ub_one(void *arg, const db_unboot_req_t *r)
{
    *(json_t **)arg = db_unboot_req_json(r);
    return *(json_t **)arg ? 0 : -ENOMEM;
}

static int ub_get_or_cancel(api_req_t *req, api_resp_t *resp, int cancel)
{
    long long id = ub_id(req, resp);
    if (id == 0) return 0;
    db_t *db = api_db(req);
    if (db == NULL) return api_error_nodb(resp);
    json_t *o = NULL;
    int r = cancel ? db_unboot_cancel(db, id, api_actor(req), ub_one, &o) : db_unboot_get(db, id, ub_one, &o);
    if (r == -EIO && (db = api_db_retry(req)) != NULL)
        r = cancel ? db_unboot_cancel(db, id, api_actor(req), ub_one, &o) : db_unboot_get(db, id, ub_one, &o);
    if (r == 0) return api_json(resp, 200, o);
    json_decref(o);
    if (r == -ENOMEM) return r;
    if (db == NULL) return api_error_nodb(resp);
    if (r == -EALREADY) return api_error(resp, 409, "not_pending", NULL, "%s.", db_errmsg(db));
    return api_error_db(resp, db, r);
}

static int ub_get(api_req_t *req, api_resp_t *resp)
{
    return ub_get_or_cancel(req, resp, 0);
}

static int ub_cancel(api_req_t *req, api_resp_t *resp)
{
    return ub_get_or_cancel(req, resp, 1);
}

static int ub_accounts(api_req_t *req, api_resp_t *resp)
{
    const char *ep = api_param(req, "endpoint");
    db_t *db = api_db(req);
    if (db == NULL) return api_error_nodb(resp);
    json_t *o = NULL;
    int r = db_unboot_accounts_json(db, ep, &o);
    if (r == -EIO && (db = api_db_retry(req)) != NULL) r = db_unboot_accounts_json(db, ep, &o);
    if (r == 0) return api_json(resp, 200, o);
    if (r == -ENOMEM) return r;
    return db ? api_error_db(resp, db, r) : api_error_nodb(resp);
}

const api_route_t api_unboot_routes[] = {
    {.method = "POST",
     .pattern = "/api/v1/unbootstrap",
     .role = API_ROLE_OPERATOR,
     .handler = ub_queue,
     .body = API_BODY_JSON},
    {.method = "GET",
     .pattern = "/api/v1/unbootstrap",
     .role = API_ROLE_VIEWER,
     .handler = ub_list,
     .query = "state,endpoint,ssid,limit,cursor"},
    {.method = "GET", .pattern = "/api/v1/unbootstrap/{id}", .role = API_ROLE_VIEWER, .handler = ub_get},
    {.method = "DELETE",
     .pattern = "/api/v1/unbootstrap/{id}",
     .role = API_ROLE_OPERATOR,
     .handler = ub_cancel},
    {.method = "GET",
     .pattern = "/api/v1/devices/{endpoint}/accounts",
     .role = API_ROLE_VIEWER,
     .handler = ub_accounts},
    API_ROUTES_END,
};
