/*
 * db_migrate.c — applies the embedded migrations (contract in
 * db_migrate.h; the SQL itself is in db/migrations/).
 *
 * Order of work: take the advisory lock (so two processes starting at once
 * do not both run 0001), create schema_migrations if needed, then per
 * migration: BEGIN, skip if recorded, run the SQL, record it, COMMIT.
 */
#include "bsd/db/db_migrate.h"

#include <errno.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char db_mig_table[] = "CREATE TABLE IF NOT EXISTS schema_migrations ("
                                   " version integer PRIMARY KEY,"
                                   " name text NOT NULL,"
                                   " sha256 text NOT NULL,"
                                   " applied_at timestamptz NOT NULL DEFAULT now())";

static int db_lock(db_t *db, bool take)
{
    char sql[96];
    snprintf(sql, sizeof sql, "SELECT pg_advisory_%s(%lld)", take ? "lock" : "unlock", DB_MIGRATE_LOCK_KEY);
    return db_exec(db, sql);
}

/* Looks up |version| in schema_migrations: 1 (and its sha256), 0, or -EIO. */
static int db_applied(db_t *db, int version, char *sha, size_t cap)
{
    char v[16];
    snprintf(v, sizeof v, "%d", version);
    const char *params[1] = {v};
    PGresult *res = PQexecParams(db_pg(db), "SELECT sha256 FROM schema_migrations WHERE version = $1", 1,
                                 NULL, params, NULL, NULL, 0);
    int r;
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        db_set_pg_error(db, "schema_migrations", res);
        r = -EIO;
    } else if (PQntuples(res) == 0) {
        r = 0;
    } else {
        snprintf(sha, cap, "%s", PQgetvalue(res, 0, 0));
        r = 1;
    }
    PQclear(res);
    return r;
}

static int db_apply_one(db_t *db, const db_migration_t *m, int *applied)
{
    int r = db_begin(db);
    if (r < 0) return r;
    char sha[80];
    r = db_applied(db, m->version, sha, sizeof sha);
    if (r < 0) goto fail;
    if (r == 1) {
        if (strcmp(sha, m->sha256) != 0) {
            db_set_error(
                db, "migration %s was applied with different SQL (sha256 %.16s..., this binary has %.16s...)",
                m->name, sha, m->sha256);
            r = -EPROTO;
            goto fail;
        }
        return db_commit(db);
    }
    PGresult *res = PQexec(db_pg(db), m->sql);
    if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK) {
        char what[96];
        snprintf(what, sizeof what, "migration %s", m->name);
        db_set_pg_error(db, what, res);
        PQclear(res);
        r = -EIO;
        goto fail;
    }
    PQclear(res);
    char v[16];
    snprintf(v, sizeof v, "%d", m->version);
    const char *params[3] = {v, m->name, m->sha256};
    res = PQexecParams(db_pg(db), "INSERT INTO schema_migrations (version, name, sha256) VALUES ($1, $2, $3)",
                       3, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        db_set_pg_error(db, "schema_migrations", res);
        PQclear(res);
        r = -EIO;
        goto fail;
    }
    PQclear(res);
    r = db_commit(db);
    if (r == 0 && applied) (*applied)++;
    return r;
fail:
    db_rollback(db);
    return r;
}

int db_schema_version(db_t *db, int *version)
{
    *version = 0;
    PGresult *res =
        PQexec(db_pg(db), "SELECT CASE WHEN to_regclass('schema_migrations') IS NULL THEN -1 END");
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        db_set_pg_error(db, "schema version", res);
        PQclear(res);
        return -EIO;
    }
    bool none = !PQgetisnull(res, 0, 0);
    PQclear(res);
    if (none) return 0;
    res = PQexec(db_pg(db), "SELECT coalesce(max(version), 0) FROM schema_migrations");
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        db_set_pg_error(db, "schema version", res);
        PQclear(res);
        return -EIO;
    }
    *version = atoi(PQgetvalue(res, 0, 0));
    PQclear(res);
    return 0;
}

int db_migrate(db_t *db, int *applied)
{
    if (applied) *applied = 0;
    int r = db_lock(db, true);
    if (r < 0) return r;
    r = db_exec(db, db_mig_table);
    int have = 0;
    if (r == 0) r = db_schema_version(db, &have);
    int known = db_migrations[db_migrations_count - 1].version;
    if (r == 0 && have > known) {
        db_set_error(db, "the database schema (version %d) is newer than this program (version %d)", have,
                     known);
        r = -EPROTO;
    }
    for (size_t i = 0; r == 0 && i < db_migrations_count; i++)
        r = db_apply_one(db, &db_migrations[i], applied);
    char keep[DB_ERR_MAX];
    snprintf(keep, sizeof keep, "%s", db_errmsg(db));
    db_lock(db, false);
    db_set_error(db, "%s", keep);
    return r;
}

int db_schema_check(db_t *db)
{
    int have;
    int r = db_schema_version(db, &have);
    if (r < 0) return r;
    int known = db_migrations[db_migrations_count - 1].version;
    if (have < known) {
        db_set_error(db, "the database schema is at version %d, this program needs %d: run `bsctl migrate`",
                     have, known);
        return -ENOENT;
    }
    if (have > known) {
        db_set_error(db, "the database schema (version %d) is newer than this program (version %d)", have,
                     known);
        return -EPROTO;
    }
    return 0;
}
