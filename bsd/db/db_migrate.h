/*
 * db_migrate.h — the schema: numbered migrations applied in order.
 *
 * The SQL lives in db/migrations/NNNN_name.sql and is compiled into the
 * binary (bsd/db/embed_migrations.py writes db_migrations[] at build time),
 * so a bsctl or daemon always carries the schema it expects. Each migration
 * runs in its own transaction together with its row in schema_migrations
 * (version, name, sha256 of the SQL, applied_at). A session-level advisory
 * lock serialises concurrent migrators: a second process waits, then finds
 * nothing left to do. An applied migration whose SQL changed since is an
 * error (migrations are append-only).
 */
#ifndef BSD_DB_DB_MIGRATE_H
#define BSD_DB_DB_MIGRATE_H

#include "bsd/db/db.h"

#include <stddef.h>

/* One embedded migration. */
typedef struct db_migration {
    int version;        /* 1, 2, 3... */
    const char *name;   /* "0001_initial" */
    const char *sha256; /* hex digest of the SQL text */
    const char *sql;    /* the SQL, NUL-terminated */
} db_migration_t;

/* The migrations compiled in, by version (generated). */
extern const db_migration_t db_migrations[];
extern const size_t db_migrations_count;

/* Key of the advisory lock taken while migrating ("bsd-migr"). */
#define DB_MIGRATE_LOCK_KEY 0x6273642d6d696772LL

/*
 * db_migrate applies every embedded migration the database lacks, in order.
 * *applied (may be NULL) receives how many were applied now.
 *
 * Returns 0; -EIO (SQL error; the failing migration is rolled back and
 * db_errmsg() names it); -EPROTO when the database has a migration this
 * binary does not know (newer schema) or an applied migration's checksum
 * differs from the embedded one.
 */
int db_migrate(db_t *db, int *applied);

/*
 * db_schema_version stores the highest applied migration in *version (0 for
 * an empty database).
 *
 * Returns 0 or -EIO.
 */
int db_schema_version(db_t *db, int *version);

/*
 * db_schema_check tells whether the database is at exactly the schema this
 * binary carries, for commands that need the tables.
 *
 * Returns 0; -ENOENT when migrations are missing ("run bsctl migrate");
 * -EPROTO when the database is newer; -EIO. db_errmsg() says which.
 */
int db_schema_check(db_t *db);

#endif /* BSD_DB_DB_MIGRATE_H */
