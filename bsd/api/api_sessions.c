/*
 * api_sessions.c — /api/v1/sessions: the bootstrap session records
 * (bsd/db/db_sessions.h), filtered by endpoint, outcome and start time,
 * newest first, with keyset pagination; and one session with its whole
 * record. Role: viewer.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bsd/api/api_handler.h"
#include "bsd/db/db_sessions.h"

#define SESS_LIMIT_DEFAULT 100
#define SESS_TEXT_MAX      255 /* longest endpoint or outcome filter */

/* One row as the JSON object of a listing (the record left out). */
static json_t *sess_summary(const db_session_row_t *row)
{
    json_t *o = json_pack("{s:I, s:s, s:s, s:s}", "id", (json_int_t)row->id, "endpoint", row->endpoint,
                          "outcome", row->outcome, "started_at", row->started);
    if (o == NULL) return NULL;
    json_object_set_new(o, "duration_ms",
                        row->duration_ms >= 0 ? json_integer(row->duration_ms) : json_null());
    json_object_set_new(o, "cred", row->cred[0] ? json_string(row->cred) : json_null());
    json_object_set_new(o, "peer", row->peer[0] ? json_string(row->peer) : json_null());
    json_object_set_new(o, "reason", row->reason[0] ? json_string(row->reason) : json_null());
    json_object_set_new(o, "plan", row->plan[0] ? json_string(row->plan) : json_null());
    return o;
}

typedef struct sess_page {
    json_t *items;
    unsigned want; /* rows the client asked for; one more tells there is a next page */
    unsigned seen;
    long long last_id;
} sess_page_t;

static int sess_collect(void *arg, const db_session_row_t *row)
{
    sess_page_t *p = arg;
    if (++p->seen > p->want) return 0; /* the look-ahead row */
    p->last_id = row->id;
    json_t *o = sess_summary(row);
    return o && json_array_append_new(p->items, o) == 0 ? 0 : -ENOMEM;
}

/* A text filter: at most SESS_TEXT_MAX bytes. */
static int sess_text_ok(api_resp_t *resp, const char *name, const char *v)
{
    if (v == NULL || (v[0] && strlen(v) <= SESS_TEXT_MAX)) return 0;
    api_error(resp, 400, "invalid_parameter", json_pack("{s:s}", "parameter", name),
              "Query parameter '%s' must be 1..%d bytes.", name, SESS_TEXT_MAX);
    return -1;
}

static int sess_list(api_req_t *req, api_resp_t *resp)
{
    db_sessions_filter_t f = {
        .endpoint = api_query(req, "endpoint"),
        .outcome = api_query(req, "outcome"),
        .since = api_query(req, "since"),
        .until = api_query(req, "until"),
        .limit = SESS_LIMIT_DEFAULT,
    };
    if (sess_text_ok(resp, "endpoint", f.endpoint) || sess_text_ok(resp, "outcome", f.outcome)) return 0;
    const char *times[2][2] = {{"since", f.since}, {"until", f.until}};
    for (size_t i = 0; i < 2; i++)
        if (times[i][1] && !api_rfc3339_ok(times[i][1]))
            return api_error(resp, 400, "invalid_parameter", json_pack("{s:s}", "parameter", times[i][0]),
                             "Query parameter '%s' must be an RFC 3339 time, e.g. 2026-01-31T08:00:00Z.",
                             times[i][0]);
    uint64_t v;
    const char *lim = api_query(req, "limit"), *cur = api_query(req, "cursor");
    if (lim) {
        if (api_parse_u64(lim, 1, DB_SESSIONS_PAGE_MAX, &v) != 0)
            return api_error(resp, 400, "invalid_parameter", json_pack("{s:s}", "parameter", "limit"),
                             "Query parameter 'limit' must be an integer in 1..%d.", DB_SESSIONS_PAGE_MAX);
        f.limit = (unsigned)v;
    }
    if (cur) {
        if (api_parse_u64(cur, 1, INT64_MAX, &v) != 0)
            return api_error(resp, 400, "invalid_parameter", json_pack("{s:s}", "parameter", "cursor"),
                             "Query parameter 'cursor' must be a value of 'next' from an earlier page.");
        f.before_id = (long long)v;
    }
    sess_page_t page = {.items = json_array(), .want = f.limit};
    if (page.items == NULL) return -ENOMEM;
    /* One row more than asked: whether a next page exists. */
    f.limit++;
    db_t *db = api_db(req);
    int r = db ? db_sessions_list(db, &f, sess_collect, &page) : -ECONNREFUSED;
    if (r == -EIO && (db = api_db_retry(req)) != NULL) {
        json_array_clear(page.items);
        page.seen = 0;
        r = db_sessions_list(db, &f, sess_collect, &page);
    }
    if (r != 0) {
        json_decref(page.items);
        if (db == NULL) return api_error_nodb(resp);
        return r == -EINVAL ? api_error(resp, 400, "invalid_parameter", NULL, "%s", db_errmsg(db))
                            : api_error_db(resp, db, r);
    }
    int more = page.seen > page.want;
    char next[24];
    snprintf(next, sizeof next, "%lld", page.last_id);
    return api_json(
        resp, 200,
        json_pack("{s:o, s:o}", "sessions", page.items, "next", more ? json_string(next) : json_null()));
}

static int sess_one(void *arg, const db_session_row_t *row)
{
    json_t **out = arg;
    *out = sess_summary(row);
    if (*out == NULL) return -ENOMEM;
    json_t *rec = json_loads(row->record, 0, NULL);
    json_object_set_new(*out, "record", rec ? rec : json_null());
    return 0;
}

static int sess_get(api_req_t *req, api_resp_t *resp)
{
    uint64_t id;
    if (api_parse_u64(api_param(req, "id"), 1, INT64_MAX, &id) != 0)
        return api_error(resp, 400, "invalid_parameter", json_pack("{s:s}", "parameter", "id"),
                         "A session id is a positive integer.");
    db_t *db = api_db(req);
    if (db == NULL) return api_error_nodb(resp);
    json_t *o = NULL;
    int r = db_session_get(db, (long long)id, sess_one, &o);
    if (r == -EIO && (db = api_db_retry(req)) != NULL) r = db_session_get(db, (long long)id, sess_one, &o);
    if (r == -ENOENT)
        return api_error(resp, 404, "not_found", NULL, "There is no session %llu.", (unsigned long long)id);
    if (r != 0) {
        json_decref(o);
        return db ? api_error_db(resp, db, r) : api_error_nodb(resp);
    }
    return api_json(resp, 200, o);
}

const api_route_t api_sessions_routes[] = {
    {.method = "GET",
     .pattern = "/api/v1/sessions",
     .role = API_ROLE_VIEWER,
     .handler = sess_list,
     .query = "endpoint,outcome,since,until,limit,cursor"},
    {.method = "GET", .pattern = "/api/v1/sessions/{id}", .role = API_ROLE_VIEWER, .handler = sess_get},
    API_ROUTES_END,
};
