/*
 * db_audit.h — the audit log: one row per administrative change (device
 * added, removed, imported; policy stored, activated), who made it and
 * what it touched. Written by the table modules in the same transaction as
 * the change, so a change without its audit row cannot commit.
 *
 * Details never hold a secret: callers pass identities, kinds, counts and
 * versions, never keys.
 *
 * Error codes are negative errno values; db_errmsg() has the text.
 */
#ifndef BSD_DB_DB_AUDIT_H
#define BSD_DB_DB_AUDIT_H

#include "bsd/db/db.h"

#include <stddef.h>

/* One audit row as read back. Strings are valid during the callback only. */
typedef struct db_audit_entry {
    long long id;        /* increasing */
    const char *at;      /* timestamp as PostgreSQL prints it */
    const char *actor;   /* "bsctl:alice", "daemon" */
    const char *action;  /* "device.add", "policy.activate", ... */
    const char *object;  /* "device:<endpoint>", "policy:<name>", "devices" */
    const char *details; /* JSON object text */
} db_audit_entry_t;

/* Called per entry; a non-zero return stops the listing and is returned. */
typedef int (*db_audit_fn)(void *arg, const db_audit_entry_t *e);

/*
 * db_audit_write appends a row. |details_json| is a JSON object text or NULL
 * ("{}").
 *
 * Returns 0; -EIO (e.g. invalid JSON) with db_errmsg() set.
 */
int db_audit_write(db_t *db, const char *actor, const char *action, const char *object,
                   const char *details_json);

/*
 * db_audit_list calls |fn| for the newest |limit| rows (0 = all), oldest
 * first, optionally only those whose object equals |object| (NULL = all).
 *
 * Returns 0; -EIO; or what |fn| returned.
 */
int db_audit_list(db_t *db, const char *object, size_t limit, db_audit_fn fn, void *arg);

/* db_audit_actor writes the default actor for this process, "bsctl:<user>"
 * style: |tool| ":" and the login name of the effective uid (or the uid).
 * Returns |out|. */
char *db_audit_actor(const char *tool, char *out, size_t cap);

#endif /* BSD_DB_DB_AUDIT_H */
