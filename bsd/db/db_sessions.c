/*
 * db_sessions.c — queries on the sessions table (contract in
 * db_sessions.h). Filters are parameters; a NULL parameter disables its
 * condition, and libpq's unnamed statements are planned with the values
 * given, so the indexes on (endpoint, started_at), (outcome, started_at)
 * and the primary key are used as the filter suggests.
 */
#include "bsd/db/db_sessions.h"

#include <errno.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DB_SESS_COLS                                                                                         \
    "id, coalesce(endpoint, ''), outcome, "                                                                  \
    "to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), coalesce(duration_ms, "    \
    "-1), "                                                                                                  \
    "coalesce(record->>'cred', ''), coalesce(record->>'peer', ''), coalesce(record->>'reason', ''), "        \
    "coalesce(record->>'plan', '')"

/* Calls |fn| per row of |res| (columns DB_SESS_COLS, then the record text
 * when |with_record|). */
static int db_sess_rows(PGresult *res, int with_record, db_session_fn fn, void *arg)
{
    int r = 0;
    for (int i = 0; r == 0 && i < PQntuples(res); i++) {
        db_session_row_t row = {
            .id = atoll(PQgetvalue(res, i, 0)),
            .endpoint = PQgetvalue(res, i, 1),
            .outcome = PQgetvalue(res, i, 2),
            .started = PQgetvalue(res, i, 3),
            .duration_ms = atoll(PQgetvalue(res, i, 4)),
            .cred = PQgetvalue(res, i, 5),
            .peer = PQgetvalue(res, i, 6),
            .reason = PQgetvalue(res, i, 7),
            .plan = PQgetvalue(res, i, 8),
            .record = with_record ? PQgetvalue(res, i, 9) : "",
        };
        r = fn(arg, &row);
    }
    return r;
}

int db_sessions_list(db_t *db, const db_sessions_filter_t *f, db_session_fn fn, void *arg)
{
    if (f->limit < 1 || f->limit > DB_SESSIONS_PAGE_MAX + 1) {
        db_set_error(db, "sessions: limit must be 1..%d", DB_SESSIONS_PAGE_MAX + 1);
        return -EINVAL;
    }
    char before[24], limit[16];
    snprintf(before, sizeof before, "%lld", f->before_id);
    snprintf(limit, sizeof limit, "%u", f->limit);
    const char *p[6] = {f->endpoint, f->outcome, f->since, f->until, f->before_id > 0 ? before : NULL, limit};
    PGresult *res = PQexecParams(db_pg(db),
                                 "SELECT " DB_SESS_COLS " FROM sessions"
                                 " WHERE ($1::text IS NULL OR endpoint = $1)"
                                 " AND ($2::text IS NULL OR outcome = $2)"
                                 " AND ($3::timestamptz IS NULL OR started_at >= $3)"
                                 " AND ($4::timestamptz IS NULL OR started_at < $4)"
                                 " AND ($5::bigint IS NULL OR id < $5)"
                                 " ORDER BY id DESC LIMIT $6::int",
                                 6, NULL, p, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        int bad = strncmp(db_sqlstate(res), "22", 2) == 0; /* data exception: a time out of range */
        db_set_pg_error(db, "sessions", res);
        PQclear(res);
        return bad ? -EINVAL : -EIO;
    }
    int r = db_sess_rows(res, 0, fn, arg);
    PQclear(res);
    return r;
}

int db_session_get(db_t *db, long long id, db_session_fn fn, void *arg)
{
    char ids[24];
    snprintf(ids, sizeof ids, "%lld", id);
    const char *p[1] = {ids};
    PGresult *res =
        PQexecParams(db_pg(db), "SELECT " DB_SESS_COLS ", record::text FROM sessions WHERE id = $1", 1, NULL,
                     p, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        db_set_pg_error(db, "sessions", res);
        PQclear(res);
        return -EIO;
    }
    int r = PQntuples(res) == 0 ? -ENOENT : db_sess_rows(res, 1, fn, arg);
    if (r == -ENOENT) db_set_error(db, "no session %lld", id);
    PQclear(res);
    return r;
}
