/*
 * db_unboot.c — device_accounts and unboot_requests (contract in
 * db_unboot.h). Endpoint lists travel as one JSON array parameter, so a
 * queue of a thousand devices is one statement with no client-side
 * escaping; the audit rows are written by the same statement.
 */
#include "bsd/db/db_unboot.h"

#include <errno.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bsd/db/db_policy_ops.h"

#define DB_UB_TIME(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
#define DB_UB_COLS                                                                                           \
    "id, device, ssid, state, reason, " DB_UB_TIME(                                                          \
        "created_at") ", created_by, "                                                                       \
                      "coalesce(" DB_UB_TIME("done_at") ", ''), coalesce(session, 0)"

/* Both lists of every device, one row each: endpoint, written, pending. */
#define DB_UB_DEVICES                                                                                        \
    "SELECT device, coalesce(string_agg(ssid::text, ',' ORDER BY ssid) FILTER (WHERE k = 0), ''), "          \
    "coalesce(string_agg(ssid::text, ',' ORDER BY ssid) FILTER (WHERE k = 1), '') FROM ("                    \
    "SELECT device, ssid, 0 AS k FROM device_accounts WHERE $1::text IS NULL OR device = $1 UNION ALL "      \
    "SELECT device, ssid, 1 FROM unboot_requests WHERE state = 'pending' AND ($1::text IS NULL OR device = " \
    "$1)) x GROUP BY device ORDER BY device"

/* "1,5,7" into |out| (at most DB_UNBOOT_MAX; the rest left out). */
static size_t db_ub_ssids(const char *s, uint16_t *out)
{
    size_t n = 0;
    while (*s && n < DB_UNBOOT_MAX) {
        char *end;
        long v = strtol(s, &end, 10);
        if (end == s) break;
        if (v >= 1 && v <= 65534) out[n++] = (uint16_t)v;
        s = *end == ',' ? end + 1 : end;
    }
    return n;
}

static int db_ub_devices(db_t *db, const char *endpoint, int (*fn)(void *, const db_unboot_dev_t *),
                         void *arg, char *err, size_t errcap)
{
    const char *p[1] = {endpoint};
    PGresult *res = PQexecParams(db_pg(db), DB_UB_DEVICES, 1, NULL, p, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        db_set_pg_error(db, "unbootstrap accounts", res);
        snprintf(err, errcap, "%s", db_errmsg(db));
        PQclear(res);
        return -EIO;
    }
    int r = 0;
    for (int i = 0; r == 0 && i < PQntuples(res); i++) {
        db_unboot_dev_t d;
        memset(&d, 0, sizeof d);
        if ((size_t)snprintf(d.endpoint, sizeof d.endpoint, "%s", PQgetvalue(res, i, 0)) >= sizeof d.endpoint)
            continue; /* the schema bounds endpoints to 255 bytes */
        d.nwritten = db_ub_ssids(PQgetvalue(res, i, 1), d.written);
        d.npending = db_ub_ssids(PQgetvalue(res, i, 2), d.pending);
        r = fn(arg, &d);
    }
    PQclear(res);
    return r;
}

int db_unboot_each(db_t *db, int (*fn)(void *arg, const db_unboot_dev_t *d), void *arg, char *err,
                   size_t errcap)
{
    return db_ub_devices(db, NULL, fn, arg, err, errcap);
}

static int db_ub_copy(void *arg, const db_unboot_dev_t *d)
{
    *(db_unboot_dev_t *)arg = *d;
    return 0;
}

int db_unboot_device(db_t *db, const char *endpoint, db_unboot_dev_t *out, char *err, size_t errcap)
{
    memset(out, 0, sizeof *out);
    snprintf(out->endpoint, sizeof out->endpoint, "%s", endpoint);
    return db_ub_devices(db, endpoint, db_ub_copy, out, err, errcap);
}

/* Row |i| of |res| (columns DB_UB_COLS) as a request. */
static db_unboot_req_t db_ub_row(PGresult *res, int i)
{
    db_unboot_req_t q = {
        .id = atoll(PQgetvalue(res, i, 0)),
        .endpoint = PQgetvalue(res, i, 1),
        .ssid = atoi(PQgetvalue(res, i, 2)),
        .state = PQgetvalue(res, i, 3),
        .reason = PQgetvalue(res, i, 4),
        .created_at = PQgetvalue(res, i, 5),
        .created_by = PQgetvalue(res, i, 6),
        .done_at = PQgetvalue(res, i, 7),
        .session = atoll(PQgetvalue(res, i, 8)),
    };
    return q;
}

/* Calls |fn| per row of |res| (columns DB_UB_COLS). */
static int db_ub_rows(PGresult *res, db_unboot_req_fn fn, void *arg)
{
    int r = 0;
    for (int i = 0; r == 0 && i < PQntuples(res); i++) {
        db_unboot_req_t q = db_ub_row(res, i);
        r = fn(arg, &q);
    }
    return r;
}

json_t *db_unboot_req_json(const db_unboot_req_t *r)
{
    json_t *o = json_pack("{s:I, s:s, s:i, s:s, s:s, s:s, s:s}", "id", (json_int_t)r->id, "endpoint",
                          r->endpoint, "ssid", r->ssid, "state", r->state, "reason", r->reason, "created_at",
                          r->created_at, "created_by", r->created_by);
    if (o == NULL) return NULL;
    if (json_object_set_new(o, "done_at", r->done_at[0] ? json_string(r->done_at) : json_null()) != 0 ||
        json_object_set_new(o, "session", r->session > 0 ? json_integer(r->session) : json_null()) != 0) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* New requests and their audit rows; the pending requests of the given
 * devices, in the order given; then the endpoints that are not devices. */
static const char SQL_QUEUE[] =
    "WITH e AS (SELECT v AS ep, min(o) AS o FROM jsonb_array_elements_text($1::jsonb) WITH ORDINALITY "
    "AS t(v, o) GROUP BY v), "
    "ins AS (INSERT INTO unboot_requests (device, ssid, reason, created_by) "
    "SELECT d.endpoint, $2::int, $3, $4 FROM devices d JOIN e ON d.endpoint = e.ep ORDER BY e.o "
    "ON CONFLICT (device, ssid) WHERE state = 'pending' DO NOTHING RETURNING id, device, ssid, reason) "
    "INSERT INTO audit (actor, action, object, details) SELECT $4, 'unboot.queue', 'device:' || device, "
    "jsonb_build_object('id', id, 'ssid', ssid, 'reason', reason) FROM ins";
static const char SQL_QUEUED[] =
    "WITH e AS (SELECT v AS ep, min(o) AS o FROM jsonb_array_elements_text($1::jsonb) WITH ORDINALITY "
    "AS t(v, o) GROUP BY v) "
    "SELECT " DB_UB_COLS ", e.ep FROM e LEFT JOIN unboot_requests u ON u.device = e.ep AND u.ssid = $2::int "
    "AND u.state = 'pending' ORDER BY e.o";

int db_unboot_queue(db_t *db, const char *const *endpoints, size_t n, int ssid, const char *reason,
                    const char *actor, db_unboot_req_fn fn, void *arg, db_unboot_err_fn efn, void *earg)
{
    if (ssid < 1 || ssid > 65534 || n < 1 || n > DB_UNBOOT_QUEUE_MAX ||
        (reason && strlen(reason) > DB_UNBOOT_REASON_MAX)) {
        db_set_error(db, "unbootstrap: %s",
                     ssid < 1 || ssid > 65534           ? "ssid must be 1..65534"
                     : n < 1 || n > DB_UNBOOT_QUEUE_MAX ? "1..1000 endpoints per request"
                                                        : "reason longer than 200 bytes");
        return -EINVAL;
    }
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < n; i++)
        if (json_array_append_new(arr, json_string(endpoints[i])) != 0) {
            json_decref(arr);
            arr = NULL;
        }
    char *eps = arr ? json_dumps(arr, JSON_COMPACT) : NULL;
    json_decref(arr);
    if (eps == NULL) {
        db_set_error(db, "unbootstrap: out of memory (or an endpoint that is not UTF-8)");
        return -EINVAL;
    }
    char ss[16];
    snprintf(ss, sizeof ss, "%d", ssid);
    const char *p[4] = {eps, ss, reason ? reason : "", actor};
    int r = -EIO;
    PGresult *res = NULL;
    if (db_begin(db) < 0) goto out;
    res = PQexecParams(db_pg(db), SQL_QUEUE, 4, NULL, p, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        db_set_pg_error(db, "unbootstrap queue", res);
        goto out;
    }
    PQclear(res);
    res = PQexecParams(db_pg(db), SQL_QUEUED, 2, NULL, p, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        db_set_pg_error(db, "unbootstrap queue", res);
        goto out;
    }
    if (db_commit(db) < 0) goto out;
    r = 0;
    for (int i = 0; r == 0 && i < PQntuples(res); i++) {
        if (PQgetisnull(res, i, 0))
            r = efn ? efn(earg, PQgetvalue(res, i, 9), "no such device") : 0;
        else {
            db_unboot_req_t q = db_ub_row(res, i);
            r = fn ? fn(arg, &q) : 0;
        }
    }
out:
    if (r == -EIO) db_rollback(db);
    PQclear(res);
    free(eps);
    return r;
}

int db_unboot_list(db_t *db, const db_unboot_filter_t *f, db_unboot_req_fn fn, void *arg)
{
    if (f->limit < 1 || f->limit > DB_UNBOOT_PAGE_MAX + 1) {
        db_set_error(db, "unbootstrap: limit must be 1..%d", DB_UNBOOT_PAGE_MAX + 1);
        return -EINVAL;
    }
    char before[24], limit[16], ssid[16];
    snprintf(before, sizeof before, "%lld", f->before_id);
    snprintf(limit, sizeof limit, "%u", f->limit);
    snprintf(ssid, sizeof ssid, "%d", f->ssid);
    const char *p[5] = {f->state, f->endpoint, f->ssid > 0 ? ssid : NULL, f->before_id > 0 ? before : NULL,
                        limit};
    PGresult *res = PQexecParams(db_pg(db),
                                 "SELECT " DB_UB_COLS " FROM unboot_requests"
                                 " WHERE ($1::text IS NULL OR state = $1)"
                                 " AND ($2::text IS NULL OR device = $2)"
                                 " AND ($3::int IS NULL OR ssid = $3)"
                                 " AND ($4::bigint IS NULL OR id < $4)"
                                 " ORDER BY id DESC LIMIT $5::int",
                                 5, NULL, p, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        db_set_pg_error(db, "unbootstrap list", res);
        PQclear(res);
        return -EIO;
    }
    int r = db_ub_rows(res, fn, arg);
    PQclear(res);
    return r;
}

int db_unboot_get(db_t *db, long long id, db_unboot_req_fn fn, void *arg)
{
    char ids[24];
    snprintf(ids, sizeof ids, "%lld", id);
    const char *p[1] = {ids};
    PGresult *res =
        PQexecParams(db_pg(db), "SELECT " DB_UB_COLS " FROM unboot_requests WHERE id = $1::bigint", 1, NULL,
                     p, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        db_set_pg_error(db, "unbootstrap", res);
        PQclear(res);
        return -EIO;
    }
    int r = PQntuples(res) == 0 ? -ENOENT : db_ub_rows(res, fn, arg);
    if (r == -ENOENT) db_set_error(db, "no unbootstrap request %lld", id);
    PQclear(res);
    return r;
}

int db_unboot_cancel(db_t *db, long long id, const char *actor, db_unboot_req_fn fn, void *arg)
{
    char ids[24];
    snprintf(ids, sizeof ids, "%lld", id);
    const char *p[2] = {ids, actor};
    if (db_begin(db) < 0) return -EIO;
    PGresult *res =
        PQexecParams(db_pg(db),
                     "WITH c AS (UPDATE unboot_requests SET state = 'cancelled', done_at = now() "
                     "WHERE id = $1::bigint AND state = 'pending' RETURNING *), "
                     "a AS (INSERT INTO audit (actor, action, object, details) SELECT $2, 'unboot.cancel', "
                     "'device:' || device, jsonb_build_object('id', id, 'ssid', ssid) FROM c) "
                     "SELECT " DB_UB_COLS " FROM c",
                     2, NULL, p, NULL, NULL, 0);
    int r = 0;
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        db_set_pg_error(db, "unbootstrap cancel", res);
        r = -EIO;
    } else if (PQntuples(res) == 0) {
        PQclear(res);
        res = PQexecParams(db_pg(db), "SELECT state FROM unboot_requests WHERE id = $1::bigint", 1, NULL, p,
                           NULL, NULL, 0);
        if (PQresultStatus(res) != PGRES_TUPLES_OK) {
            db_set_pg_error(db, "unbootstrap cancel", res);
            r = -EIO;
        } else if (PQntuples(res) == 0) {
            db_set_error(db, "no unbootstrap request %lld", id);
            r = -ENOENT;
        } else {
            db_set_error(db, "unbootstrap request %lld is %s, not pending", id, PQgetvalue(res, 0, 0));
            r = -EALREADY;
        }
    }
    if (r == 0 && db_commit(db) < 0) r = -EIO;
    if (r != 0) db_rollback(db);
    if (r == 0 && fn) r = db_ub_rows(res, fn, arg);
    PQclear(res);
    return r;
}

static int db_ub_append(void *arg, const db_unboot_req_t *r)
{
    json_t *o = db_unboot_req_json(r);
    return o && json_array_append_new(arg, o) == 0 ? 0 : -ENOMEM;
}

int db_unboot_accounts_json(db_t *db, const char *endpoint, json_t **out)
{
    *out = NULL;
    const char *p[1] = {endpoint};
    PGresult *res =
        PQexecParams(db_pg(db),
                     "SELECT a.ssid, " DB_UB_TIME("a.first_written") ", " DB_UB_TIME(
                         "a.last_written") ", coalesce(a.last_session, 0), d.endpoint IS NOT NULL "
                                           "FROM (SELECT $1::text AS ep) e LEFT JOIN devices d ON "
                                           "d.endpoint = e.ep LEFT JOIN device_accounts a ON "
                                           "a.device = d.endpoint ORDER BY a.ssid",
                     1, NULL, p, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        db_set_pg_error(db, "device accounts", res);
        PQclear(res);
        return -EIO;
    }
    if (PQntuples(res) < 1 || strcmp(PQgetvalue(res, 0, 4), "t") != 0) {
        db_set_error(db, "no device %s", endpoint);
        PQclear(res);
        return -ENOENT;
    }
    json_t *accts = json_array(), *pend = json_array();
    int r = accts && pend ? 0 : -ENOMEM;
    for (int i = 0; r == 0 && i < PQntuples(res); i++) {
        if (PQgetisnull(res, i, 0)) continue; /* a device without accounts */
        long long ls = atoll(PQgetvalue(res, i, 3));
        json_t *o = json_pack("{s:i, s:s, s:s, s:o}", "ssid", atoi(PQgetvalue(res, i, 0)), "first_written",
                              PQgetvalue(res, i, 1), "last_written", PQgetvalue(res, i, 2), "last_session",
                              ls > 0 ? json_integer(ls) : json_null());
        r = o && json_array_append_new(accts, o) == 0 ? 0 : -ENOMEM;
    }
    PQclear(res);
    db_unboot_filter_t f = {.state = "pending", .endpoint = endpoint, .limit = DB_UNBOOT_PAGE_MAX};
    if (r == 0) r = db_unboot_list(db, &f, db_ub_append, pend);
    if (r == 0 && (*out = json_pack("{s:s, s:O, s:O}", "endpoint", endpoint, "accounts", accts, "pending",
                                    pend)) == NULL)
        r = -ENOMEM;
    json_decref(accts);
    json_decref(pend);
    return r;
}

int db_unboot_dry_run(db_t *db, db_secretbox_t *sb, const char *endpoint, int ssid, json_t **out, char *err,
                      size_t errcap)
{
    *out = NULL;
    db_policy_prep_t x;
    db_policy_run_t run = {0};
    int r = db_policy_prep_device(db, sb, endpoint, &x, err, errcap);
    if (r == 0) r = db_policy_prep_select(db, &x, NULL, err, errcap);
    if (r == 0) {
        x.unboot_extra[0] = (uint16_t)ssid;
        x.nunboot_extra = ssid >= 1 && ssid <= 65534 ? 1 : 0;
        r = db_policy_dry_run(db, &x, NULL, 0, false, &run, err, errcap);
    }
    if (r == 0 && (*out = json_loads(run.json, 0, NULL)) == NULL) {
        snprintf(err, errcap, "device %s: the dry run is not JSON", endpoint);
        r = -ENOMEM;
    }
    db_policy_run_free(&run);
    db_policy_prep_free(&x);
    return r;
}
