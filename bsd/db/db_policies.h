/*
 * db_policies.h — versioned provisioning policies in the policies table.
 *
 * A policy is stored as the YAML text the operator wrote, unchanged; each
 * store makes a new version (highest + 1) of that name. At most one version
 * per name is active (a partial unique index enforces it); activating one
 * deactivates the others in the same transaction. This module does not
 * parse YAML: the policy parser (bsd/policy) checks a policy before it is
 * stored and may attach its compiled form as JSON.
 *
 * Every change writes an audit row; triggers notify channel bsd_changes
 * ("policies:<name>").
 *
 * Error codes are negative errno values; db_errmsg() has the text.
 */
#ifndef BSD_DB_DB_POLICIES_H
#define BSD_DB_DB_POLICIES_H

#include "bsd/db/db.h"

#include <stdbool.h>
#include <stddef.h>

#define DB_POLICY_NAME_MAX   63         /* [A-Za-z0-9][A-Za-z0-9._-]* */
#define DB_POLICY_SOURCE_MAX (1u << 20) /* bytes of YAML source */

/* One policy version as read back. Strings are owned by the caller of
 * db_policy_free() (get) or valid during the callback (list). */
typedef struct db_policy {
    char name[DB_POLICY_NAME_MAX + 1];
    int version;      /* 1, 2, ... */
    bool active;      /* the version in force */
    char *source;     /* YAML text as stored (NULL in listings) */
    char *compiled;   /* JSON text or NULL */
    char author[128]; /* who stored it */
    char created[40]; /* timestamp */
} db_policy_t;

/* Called per version by db_policies_list; non-zero stops and is returned. */
typedef int (*db_policies_fn)(void *arg, const db_policy_t *p);

/* db_policy_name_ok tells whether |name| is a valid policy name. */
bool db_policy_name_ok(const char *name);

/*
 * db_policies_store stores |source| (|len| bytes, UTF-8, at most
 * DB_POLICY_SOURCE_MAX) as the next version of |name|, with the optional
 * compiled form |compiled_json| (NULL = none), by |author|. The new version
 * is not active. *version receives its number.
 *
 * Returns 0; -EINVAL (bad name, empty or too large source, invalid JSON or
 * UTF-8 as reported by the server); -EIO.
 */
int db_policies_store(db_t *db, const char *name, const char *source, size_t len, const char *compiled_json,
                      const char *author, int *version);

/*
 * db_policies_activate makes |version| of |name| the active one (0 = the
 * highest version) and writes an audit row by |actor|.
 *
 * Returns 0; -ENOENT when that version does not exist; -EIO.
 */
int db_policies_activate(db_t *db, const char *name, int version, const char *actor);

/*
 * db_policies_get reads |version| of |name| (0 = the active version) into
 * |out|; free it with db_policy_free().
 *
 * Returns 0; -ENOENT (no such version, or no active one); -ENOMEM; -EIO.
 */
int db_policies_get(db_t *db, const char *name, int version, db_policy_t *out);

/*
 * db_policies_list calls |fn| for every version (source not loaded), by name
 * and version; only versions of |name| unless it is NULL.
 *
 * Returns 0; -EIO; or what |fn| returned.
 */
int db_policies_list(db_t *db, const char *name, db_policies_fn fn, void *arg);

/* db_policy_free frees the strings of |p|. */
void db_policy_free(db_policy_t *p);

#endif /* BSD_DB_DB_POLICIES_H */
