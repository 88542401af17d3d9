/*
 * db_policies.c — the policies table (contract in db_policies.h). The next
 * version number is max + 1, computed inside the INSERT; when two stores of
 * the same name race, the loser hits the primary key and is retried.
 */
#include "bsd/db/db_policies.h"

#include "bsd/db/db_audit.h"

#include <errno.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool db_policy_name_ok(const char *name)
{
    return db_name_ok(name, DB_POLICY_NAME_MAX);
}

int db_policies_store(db_t *db, const char *name, const char *source, size_t len, const char *compiled_json,
                      const char *author, int *version)
{
    if (!db_policy_name_ok(name)) {
        db_set_error(db, "policy name must be 1..%d of A-Z a-z 0-9 . _ - (starting with a letter or digit)",
                     DB_POLICY_NAME_MAX);
        return -EINVAL;
    }
    if (len == 0 || len > DB_POLICY_SOURCE_MAX || memchr(source, 0, len) != NULL) {
        db_set_error(db, "policy %s: source must be 1..%u bytes of text", name, DB_POLICY_SOURCE_MAX);
        return -EINVAL;
    }
    char *src = strndup(source, len);
    if (src == NULL) return -ENOMEM;
    int r = -EIO;
    for (int attempt = 0; attempt < 5; attempt++) {
        if ((r = db_begin(db)) < 0) break;
        const char *p[4] = {name, src, compiled_json, author};
        PGresult *res = PQexecParams(db_pg(db),
                                     "INSERT INTO policies (name, version, source, compiled, author)"
                                     " SELECT $1, coalesce(max(version), 0) + 1, $2, $3::jsonb, $4"
                                     " FROM policies WHERE name = $1 RETURNING version",
                                     4, NULL, p, NULL, NULL, 0);
        if (PQresultStatus(res) != PGRES_TUPLES_OK) {
            bool retry = strcmp(db_sqlstate(res), "23505") == 0;
            bool bad = strncmp(db_sqlstate(res), "22", 2) == 0;
            db_set_pg_error(db, "policy store", res);
            PQclear(res);
            db_rollback(db);
            r = bad ? -EINVAL : -EIO;
            if (retry) continue;
            break;
        }
        int v = atoi(PQgetvalue(res, 0, 0));
        PQclear(res);
        char obj[128], det[64];
        snprintf(obj, sizeof obj, "policy:%s", name);
        snprintf(det, sizeof det, "{\"version\":%d,\"bytes\":%zu}", v, len);
        r = db_audit_write(db, author, "policy.store", obj, det);
        if (r == 0) r = db_commit(db);
        if (r < 0) {
            db_rollback(db);
            break;
        }
        if (version) *version = v;
        break;
    }
    free(src);
    return r;
}

int db_policies_activate(db_t *db, const char *name, int version, const char *actor)
{
    char v[16];
    snprintf(v, sizeof v, "%d", version);
    const char *p[2] = {name, v};
    int r = db_begin(db);
    if (r < 0) return r;
    PGresult *res =
        PQexecParams(db_pg(db),
                     "SELECT version FROM policies WHERE name = $1 AND ($2::int = 0 OR version = $2::int)"
                     " ORDER BY version DESC LIMIT 1 FOR UPDATE",
                     2, NULL, p, NULL, NULL, 0);
    int target = 0;
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        db_set_pg_error(db, "policy activate", res);
        r = -EIO;
    } else if (PQntuples(res) == 0) {
        db_set_error(db, "policy %s: no version %s", name, version ? v : "stored");
        r = -ENOENT;
    } else {
        target = atoi(PQgetvalue(res, 0, 0));
    }
    PQclear(res);
    if (r == 0) {
        snprintf(v, sizeof v, "%d", target);
        res = PQexecParams(db_pg(db), "UPDATE policies SET active = false WHERE name = $1 AND active", 1,
                           NULL, p, NULL, NULL, 0);
        if (PQresultStatus(res) != PGRES_COMMAND_OK) {
            db_set_pg_error(db, "policy activate", res);
            r = -EIO;
        }
        PQclear(res);
    }
    if (r == 0) {
        res =
            PQexecParams(db_pg(db), "UPDATE policies SET active = true WHERE name = $1 AND version = $2::int",
                         2, NULL, p, NULL, NULL, 0);
        if (PQresultStatus(res) != PGRES_COMMAND_OK) {
            db_set_pg_error(db, "policy activate", res);
            r = -EIO;
        }
        PQclear(res);
    }
    if (r == 0) {
        char obj[128], det[64];
        snprintf(obj, sizeof obj, "policy:%s", name);
        snprintf(det, sizeof det, "{\"version\":%d}", target);
        r = db_audit_write(db, actor, "policy.activate", obj, det);
    }
    if (r == 0) r = db_commit(db);
    if (r < 0) db_rollback(db);
    return r;
}

static void db_policy_fill(const PGresult *res, int i, db_policy_t *p)
{
    snprintf(p->name, sizeof p->name, "%s", PQgetvalue(res, i, 0));
    p->version = atoi(PQgetvalue(res, i, 1));
    p->active = PQgetvalue(res, i, 2)[0] == 't';
    snprintf(p->author, sizeof p->author, "%s", PQgetvalue(res, i, 3));
    snprintf(p->created, sizeof p->created, "%s", PQgetvalue(res, i, 4));
}

int db_policies_get(db_t *db, const char *name, int version, db_policy_t *out)
{
    memset(out, 0, sizeof *out);
    char v[16];
    snprintf(v, sizeof v, "%d", version);
    const char *p[2] = {name, v};
    PGresult *res =
        PQexecParams(db_pg(db),
                     "SELECT name, version, active, author, created_at::text, source, compiled::text"
                     " FROM policies WHERE name = $1 AND"
                     " (($2::int = 0 AND active) OR version = $2::int)",
                     2, NULL, p, NULL, NULL, 0);
    int r = 0;
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        db_set_pg_error(db, "policy get", res);
        r = -EIO;
    } else if (PQntuples(res) == 0) {
        db_set_error(db, version ? "policy %s: no version %s" : "policy %s: no active version", name, v);
        r = -ENOENT;
    } else {
        db_policy_fill(res, 0, out);
        out->source = strdup(PQgetvalue(res, 0, 5));
        out->compiled = PQgetisnull(res, 0, 6) ? NULL : strdup(PQgetvalue(res, 0, 6));
        if (out->source == NULL || (!PQgetisnull(res, 0, 6) && out->compiled == NULL)) {
            db_policy_free(out);
            r = -ENOMEM;
        }
    }
    PQclear(res);
    return r;
}

int db_policies_list(db_t *db, const char *name, db_policies_fn fn, void *arg)
{
    const char *p[1] = {name};
    PGresult *res = PQexecParams(db_pg(db),
                                 "SELECT name, version, active, author, created_at::text FROM policies"
                                 " WHERE $1::text IS NULL OR name = $1 ORDER BY name, version",
                                 1, NULL, p, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        db_set_pg_error(db, "policy list", res);
        PQclear(res);
        return -EIO;
    }
    int r = 0;
    for (int i = 0; r == 0 && i < PQntuples(res); i++) {
        db_policy_t pol;
        memset(&pol, 0, sizeof pol);
        db_policy_fill(res, i, &pol);
        r = fn(arg, &pol);
    }
    PQclear(res);
    return r;
}

void db_policy_free(db_policy_t *p)
{
    free(p->source);
    free(p->compiled);
    p->source = p->compiled = NULL;
}
