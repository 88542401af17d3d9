/*
 * db_deny.c — the deny-list tables (db_deny.h). The prefix text goes to
 * PostgreSQL as is and its cidr type checks it (host bits included).
 */
#include "bsd/db/db_deny.h"

#include <errno.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bsd/db/db_audit.h"

static const char *table(int is_source)
{
    return is_source ? "denied_sources" : "denied_devices";
}

/* Runs one statement with parameters in a transaction with its audit row. */
static int change(db_t *db, const char *sql, int np, const char *const *p, const char *actor,
                  const char *action, const char *what, const char *reason, int *rows)
{
    if (db_begin(db) < 0) return -EIO;
    PGresult *res = PQexecParams(db_pg(db), sql, np, NULL, p, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        const char *st = db_sqlstate(res);
        int r = strcmp(st, "23505") == 0                                ? -EEXIST
                : strncmp(st, "22", 2) == 0 || strcmp(st, "23514") == 0 ? -EINVAL
                                                                        : -EIO;
        db_set_pg_error(db, action, res);
        PQclear(res);
        db_rollback(db);
        return r;
    }
    *rows = atoi(PQcmdTuples(res));
    PQclear(res);
    json_t *o = json_pack("{s:s}", "reason", reason ? reason : "");
    char *det = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    int r = *rows ? db_audit_write(db, actor, action, what, det ? det : "{}") : 0;
    free(det);
    if (r < 0 || db_commit(db) < 0) {
        db_rollback(db);
        return -EIO;
    }
    return 0;
}

int db_deny_add(db_t *db, int is_source, const char *what, const char *reason, const char *actor)
{
    if (!what || !what[0] || (reason && strlen(reason) > DB_DENY_REASON_MAX)) {
        db_set_error(db, "deny: %s", !what || !what[0] ? "nothing to deny" : "reason longer than 200 bytes");
        return -EINVAL;
    }
    char sql[200];
    snprintf(sql, sizeof sql, "INSERT INTO %s (%s, reason, actor) VALUES ($1%s, $2, $3)", table(is_source),
             is_source ? "prefix" : "endpoint", is_source ? "::cidr" : "");
    const char *p[3] = {what, reason ? reason : "", actor};
    int rows = 0;
    int r =
        change(db, sql, 3, p, actor, is_source ? "deny.source.add" : "deny.device.add", what, reason, &rows);
    if (r == -EEXIST) db_set_error(db, "%s is already denied", what);
    if (r == -EINVAL)
        db_set_error(db, "%s: not %s", what,
                     is_source ? "an address or prefix (host bits clear)" : "an endpoint name");
    return r;
}

int db_deny_remove(db_t *db, int is_source, const char *what, const char *actor)
{
    char sql[160];
    snprintf(sql, sizeof sql, "DELETE FROM %s WHERE %s = $1%s", table(is_source),
             is_source ? "prefix" : "endpoint", is_source ? "::cidr" : "");
    const char *p[1] = {what};
    int rows = 0;
    int r = change(db, sql, 1, p, actor, is_source ? "deny.source.remove" : "deny.device.remove", what, NULL,
                   &rows);
    if (r == -EINVAL) db_set_error(db, "%s: not an address or prefix", what);
    if (r == 0 && rows == 0) {
        db_set_error(db, "%s is not denied", what);
        return -ENOENT;
    }
    return r;
}

int db_deny_list(db_t *db, db_deny_fn fn, void *arg)
{
    PGresult *res = PQexec(
        db_pg(db), "SELECT 0, endpoint, reason, actor, created_at::text FROM denied_devices"
                   " UNION ALL SELECT 1, prefix::text, reason, actor, created_at::text FROM denied_sources"
                   " ORDER BY 1, 2");
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        db_set_pg_error(db, "deny list", res);
        PQclear(res);
        return -EIO;
    }
    int r = 0;
    for (int i = 0; i < PQntuples(res) && r == 0; i++) {
        db_deny_entry_t e = {atoi(PQgetvalue(res, i, 0)), PQgetvalue(res, i, 1), PQgetvalue(res, i, 2),
                             PQgetvalue(res, i, 3), PQgetvalue(res, i, 4)};
        r = fn(arg, &e);
    }
    PQclear(res);
    return r;
}
