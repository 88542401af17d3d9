/*
 * db_oscore.c — the oscore_state table (contract in db_oscore.h; schema in
 * db/migrations/0008_oscore_state.sql).
 *
 * Every call is a single statement, so it is its own transaction and one
 * round trip. The ones that may meet a context for the first time are
 * INSERT ... ON CONFLICT DO UPDATE: PostgreSQL locks the row (or waits for
 * the concurrent insert of it to commit) and re-evaluates the update on the
 * newest version, so two connections incrementing ssn_reserved at once
 * serialise and get disjoint blocks. The conditions (the 2^40 limit, a lease
 * held by another owner) sit in the DO UPDATE's WHERE: when they fail no row
 * comes back and nothing changed. Lease times use the database's clock, the
 * one clock every instance shares.
 *
 * The key's bytes travel as binary parameters; results are text.
 */
#include "bsd/db/db_oscore.h"

#include <errno.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The key columns and their match, parameters $1..$4. */
#define DBO_KEY_COLS  "endpoint, recipient_id, has_id_context, id_context"
#define DBO_CONFLICT  " ON CONFLICT (" DBO_KEY_COLS ") DO UPDATE SET "
#define DBO_KEY_WHERE " WHERE endpoint = $1 AND recipient_id = $2 AND has_id_context = $3 AND id_context = $4"

#define DBO_NPARAM 6 /* the key and at most two more */

/* The parameters of one statement: the key first. */
typedef struct dbo_params {
    const char *v[DBO_NPARAM];
    int len[DBO_NPARAM];
    int fmt[DBO_NPARAM];
    char num[2][24]; /* text of numeric parameters */
} dbo_params_t;

/* Checks |k| and fills parameters $1..$4 from it. Returns 0 or -EINVAL. */
static int dbo_key(db_t *db, const db_oscore_key_t *k, dbo_params_t *p)
{
    size_t elen = k->endpoint ? strlen(k->endpoint) : 0;
    if (elen < 1 || elen > 255 || k->recipient_id_len > DB_OSCORE_ID_MAX ||
        k->id_context_len > DB_OSCORE_ID_CONTEXT_MAX || (!k->has_id_context && k->id_context_len != 0)) {
        db_set_error(db,
                     "oscore: bad context key (endpoint 1..255 bytes, recipient id 0..%d, id context 0..%d)",
                     DB_OSCORE_ID_MAX, DB_OSCORE_ID_CONTEXT_MAX);
        return -EINVAL;
    }
    memset(p, 0, sizeof *p);
    /* A binary parameter of length 0 still needs a non-NULL pointer (NULL is SQL NULL). */
    p->v[0] = k->endpoint;
    p->v[1] = k->recipient_id_len ? (const char *)k->recipient_id : "";
    p->len[1] = (int)k->recipient_id_len;
    p->fmt[1] = 1;
    p->v[2] = k->has_id_context ? "t" : "f";
    p->v[3] = k->id_context_len ? (const char *)k->id_context : "";
    p->len[3] = (int)k->id_context_len;
    p->fmt[3] = 1;
    return 0;
}

/* Sets parameter |i| (4 or 5) to the decimal text of |x|. */
static void dbo_num(dbo_params_t *p, int i, long long x)
{
    snprintf(p->num[i - 4], sizeof p->num[0], "%lld", x);
    p->v[i] = p->num[i - 4];
}

/* The owner rule: 1..DB_OSCORE_OWNER_MAX printable ASCII bytes, no space. */
static int dbo_owner(db_t *db, const char *owner)
{
    size_t n = owner ? strlen(owner) : 0;
    bool ok = n >= 1 && n <= DB_OSCORE_OWNER_MAX;
    for (size_t i = 0; ok && i < n; i++)
        ok = owner[i] >= '!' && owner[i] <= '~';
    if (!ok) db_set_error(db, "oscore: lease owner must be 1..%d printable characters", DB_OSCORE_OWNER_MAX);
    return ok ? 0 : -EINVAL;
}

/* Runs |sql| with |n| parameters of |p|. Returns the result (the caller
 * clears it), or NULL with the error stored when it failed. */
static PGresult *dbo_exec(db_t *db, const char *sql, int n, const dbo_params_t *p, ExecStatusType want)
{
    PGresult *res = PQexecParams(db_pg(db), sql, n, NULL, p->v, p->len, p->fmt, 0);
    if (PQresultStatus(res) != want) {
        db_set_pg_error(db, "oscore_state", res);
        PQclear(res);
        return NULL;
    }
    return res;
}

static int64_t dbo_i64(const PGresult *res, int col)
{
    return strtoll(PQgetvalue(res, 0, col), NULL, 10);
}

int db_oscore_reserve(db_t *db, const db_oscore_key_t *k, int64_t n, int64_t *start, int64_t *end)
{
    dbo_params_t p;
    int r = dbo_key(db, k, &p);
    if (r < 0) return r;
    if (n < 1 || n > DB_OSCORE_SSN_LIMIT) {
        db_set_error(db, "oscore: a block is 1..2^40 sequence numbers");
        return -EINVAL;
    }
    dbo_num(&p, 4, (long long)n);
    PGresult *res = dbo_exec(db,
                             "INSERT INTO oscore_state AS s (" DBO_KEY_COLS ", ssn_reserved)"
                             " VALUES ($1, $2, $3, $4, $5::int8)" DBO_CONFLICT
                             "ssn_reserved = s.ssn_reserved + EXCLUDED.ssn_reserved, updated_at = now()"
                             " WHERE s.ssn_reserved <= 1099511627776 - EXCLUDED.ssn_reserved"
                             " RETURNING s.ssn_reserved",
                             5, &p, PGRES_TUPLES_OK);
    if (res == NULL) return -EIO;
    if (PQntuples(res) != 1) {
        PQclear(res);
        db_set_error(db, "oscore: sequence numbers of %s exhausted (2^40): the context must be re-keyed",
                     k->endpoint);
        return -ERANGE;
    }
    *end = dbo_i64(res, 0);
    *start = *end - n;
    PQclear(res);
    return 0;
}

int db_oscore_replay_floor_raise(db_t *db, const db_oscore_key_t *k, int64_t ssn, int64_t *floor)
{
    dbo_params_t p;
    int r = dbo_key(db, k, &p);
    if (r < 0) return r;
    if (ssn < 0 || ssn >= DB_OSCORE_SSN_LIMIT) {
        db_set_error(db, "oscore: a sequence number is 0..2^40-1");
        return -EINVAL;
    }
    dbo_num(&p, 4, (long long)ssn);
    PGresult *res =
        dbo_exec(db,
                 "INSERT INTO oscore_state AS s (" DBO_KEY_COLS ", replay_floor)"
                 " VALUES ($1, $2, $3, $4, $5::int8)" DBO_CONFLICT
                 "replay_floor = greatest(s.replay_floor, EXCLUDED.replay_floor), updated_at = now()"
                 " RETURNING s.replay_floor",
                 5, &p, PGRES_TUPLES_OK);
    if (res == NULL) return -EIO;
    if (floor) *floor = dbo_i64(res, 0);
    PQclear(res);
    return 0;
}

int db_oscore_load(db_t *db, const db_oscore_key_t *k, db_oscore_state_t *st)
{
    dbo_params_t p;
    int r = dbo_key(db, k, &p);
    if (r < 0) return r;
    PGresult *res = dbo_exec(db,
                             "SELECT ssn_reserved, replay_floor, coalesce(lease_owner, ''),"
                             " coalesce(floor(extract(epoch FROM lease_until))::int8, 0),"
                             " coalesce(lease_until > now(), false) FROM oscore_state" DBO_KEY_WHERE,
                             4, &p, PGRES_TUPLES_OK);
    if (res == NULL) return -EIO;
    if (PQntuples(res) != 1) {
        PQclear(res);
        db_set_error(db, "oscore: no stored state for a context of %s", k->endpoint);
        return -ENOENT;
    }
    memset(st, 0, sizeof *st);
    st->ssn_reserved = dbo_i64(res, 0);
    st->replay_floor = dbo_i64(res, 1);
    snprintf(st->lease_owner, sizeof st->lease_owner, "%s", PQgetvalue(res, 0, 2));
    st->lease_until = dbo_i64(res, 3);
    st->lease_live = PQgetvalue(res, 0, 4)[0] == 't';
    PQclear(res);
    return 0;
}

int db_oscore_lease(db_t *db, const db_oscore_key_t *k, const char *owner, int seconds, int64_t *until)
{
    dbo_params_t p;
    int r = dbo_key(db, k, &p);
    if (r == 0) r = dbo_owner(db, owner);
    if (r < 0) return r;
    if (seconds < 1 || seconds > DB_OSCORE_LEASE_MAX) {
        db_set_error(db, "oscore: a lease lasts 1..%d seconds", DB_OSCORE_LEASE_MAX);
        return -EINVAL;
    }
    p.v[4] = owner;
    dbo_num(&p, 5, seconds);
    PGresult *res =
        dbo_exec(db,
                 "INSERT INTO oscore_state AS s (" DBO_KEY_COLS ", lease_owner, lease_until)"
                 " VALUES ($1, $2, $3, $4, $5, now() + make_interval(secs => $6::float8))" DBO_CONFLICT
                 "lease_owner = EXCLUDED.lease_owner, lease_until = EXCLUDED.lease_until,"
                 " updated_at = now()"
                 " WHERE s.lease_owner IS NULL OR s.lease_owner = EXCLUDED.lease_owner"
                 " OR s.lease_until <= now()"
                 " RETURNING floor(extract(epoch FROM s.lease_until))::int8",
                 6, &p, PGRES_TUPLES_OK);
    if (res == NULL) return -EIO;
    if (PQntuples(res) != 1) {
        PQclear(res);
        /* Name the holder; reading it is a second statement, so it may have let go meanwhile. */
        db_oscore_state_t st;
        if (db_oscore_load(db, k, &st) == 0 && st.lease_owner[0])
            db_set_error(db, "oscore: a context of %s is leased to %s", k->endpoint, st.lease_owner);
        else
            db_set_error(db, "oscore: a context of %s is leased to another instance", k->endpoint);
        return -EBUSY;
    }
    if (until) *until = dbo_i64(res, 0);
    PQclear(res);
    return 0;
}

int db_oscore_release(db_t *db, const db_oscore_key_t *k, const char *owner)
{
    dbo_params_t p;
    int r = dbo_key(db, k, &p);
    if (r == 0) r = dbo_owner(db, owner);
    if (r < 0) return r;
    p.v[4] = owner;
    PGresult *res = dbo_exec(
        db,
        "UPDATE oscore_state SET lease_owner = NULL, lease_until = NULL, updated_at = now()" DBO_KEY_WHERE
        " AND lease_owner = $5",
        5, &p, PGRES_COMMAND_OK);
    if (res == NULL) return -EIO;
    r = strcmp(PQcmdTuples(res), "1") == 0 ? 0 : -ENOENT;
    PQclear(res);
    if (r < 0) db_set_error(db, "oscore: %s holds no lease on that context of %s", owner, k->endpoint);
    return r;
}
