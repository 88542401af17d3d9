/*
 * db_sessions.h — reading the bootstrap session records in the sessions
 * table (written by the record writer, bsd/recwriter.h; schema in
 * migration 0001): filtered, newest first, paginated by id.
 *
 * Keyset pagination: a page ends with the smallest id it holds; the next
 * page asks for ids below it (|before_id|), so rows stored meanwhile never
 * shift a page and deep pages cost the same as the first.
 *
 * Error codes are negative errno values; db_errmsg() has the text.
 */
#ifndef BSD_DB_DB_SESSIONS_H
#define BSD_DB_DB_SESSIONS_H

#include <stddef.h>

#include "bsd/db/db.h"

#define DB_SESSIONS_PAGE_MAX 1000 /* rows per page at most */

/* What to list; NULL/0 fields do not filter. Times are RFC 3339 text the
 * caller has checked (PostgreSQL parses them again). */
typedef struct db_sessions_filter {
    const char *endpoint; /* equal to */
    const char *outcome;  /* equal to */
    const char *since;    /* started_at >= since */
    const char *until;    /* started_at < until */
    long long before_id;  /* id < before_id; 0 = from the newest */
    unsigned limit;       /* 1..DB_SESSIONS_PAGE_MAX + 1 (a page and one row to look ahead) */
} db_sessions_filter_t;

/* One session as read. Strings are valid during the callback only; a
 * missing value is "" (a record without that field). */
typedef struct db_session_row {
    long long id;
    const char *endpoint;
    const char *outcome;
    const char *started;   /* RFC 3339 UTC with milliseconds */
    long long duration_ms; /* -1 when unknown */
    const char *cred;      /* psk, rpk, x509, nosec */
    const char *peer;      /* address:port */
    const char *reason;    /* why it was refused or failed, "" when none */
    const char *plan;      /* plan (policy) name, "" when none */
    const char *record;    /* the whole record as JSON text (db_session_get only; "" in lists) */
} db_session_row_t;

/* Called per row; a non-zero return stops and is returned. */
typedef int (*db_session_fn)(void *arg, const db_session_row_t *row);

/*
 * db_sessions_list calls |fn| for the sessions matching |f|, newest (highest
 * id) first, at most f->limit of them.
 *
 * Returns 0; -EINVAL (limit out of range, or a time PostgreSQL rejects);
 * -EIO; or what |fn| returned.
 */
int db_sessions_list(db_t *db, const db_sessions_filter_t *f, db_session_fn fn, void *arg);

/*
 * db_session_get calls |fn| once for session |id|, with its whole record.
 *
 * Returns 0; -ENOENT; -EIO; or what |fn| returned.
 */
int db_session_get(db_t *db, long long id, db_session_fn fn, void *arg);

#endif /* BSD_DB_DB_SESSIONS_H */
