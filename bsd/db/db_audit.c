/*
 * db_audit.c — the audit table (contract in db_audit.h; the table itself
 * is created by db/migrations/0001_initial.sql).
 */
#include "bsd/db/db_audit.h"

#include <errno.h>
#include <libpq-fe.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int db_audit_write(db_t *db, const char *actor, const char *action, const char *object,
                   const char *details_json)
{
    const char *params[4] = {actor, action, object, details_json ? details_json : "{}"};
    PGresult *res = PQexecParams(
        db_pg(db), "INSERT INTO audit (actor, action, object, details) VALUES ($1, $2, $3, $4::jsonb)", 4,
        NULL, params, NULL, NULL, 0);
    int r = 0;
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        db_set_pg_error(db, "audit", res);
        r = -EIO;
    }
    PQclear(res);
    return r;
}

int db_audit_list(db_t *db, const char *object, size_t limit, db_audit_fn fn, void *arg)
{
    char lim[32];
    snprintf(lim, sizeof lim, "%zu", limit);
    const char *params[2] = {object, limit ? lim : NULL};
    PGresult *res = PQexecParams(db_pg(db),
                                 "SELECT id, at, actor, action, object, details::text FROM ("
                                 " SELECT * FROM audit WHERE $1::text IS NULL OR object = $1"
                                 " ORDER BY id DESC LIMIT $2::bigint) a ORDER BY id",
                                 2, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        db_set_pg_error(db, "audit", res);
        PQclear(res);
        return -EIO;
    }
    int r = 0;
    for (int i = 0; r == 0 && i < PQntuples(res); i++) {
        db_audit_entry_t e = {
            .id = atoll(PQgetvalue(res, i, 0)),
            .at = PQgetvalue(res, i, 1),
            .actor = PQgetvalue(res, i, 2),
            .action = PQgetvalue(res, i, 3),
            .object = PQgetvalue(res, i, 4),
            .details = PQgetvalue(res, i, 5),
        };
        r = fn(arg, &e);
    }
    PQclear(res);
    return r;
}

char *db_audit_actor(const char *tool, char *out, size_t cap)
{
    struct passwd pw, *p = NULL;
    char buf[1024];
    if (getpwuid_r(geteuid(), &pw, buf, sizeof buf, &p) == 0 && p != NULL)
        snprintf(out, cap, "%s:%s", tool, p->pw_name);
    else
        snprintf(out, cap, "%s:uid%u", tool, (unsigned)geteuid());
    return out;
}
