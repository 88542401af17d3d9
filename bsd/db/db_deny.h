/*
 * db_deny.h — the deny-list: endpoints that must not bootstrap and source
 * prefixes whose datagrams the daemon drops (schema: migration 0004).
 * Every change writes an audit row in the same transaction and notifies
 * bsd_changes. Error codes are negative errno values; db_errmsg() has the
 * text.
 */
#ifndef BSD_DB_DB_DENY_H
#define BSD_DB_DB_DENY_H

#include <stddef.h>

#include "bsd/db/db.h"

#define DB_DENY_REASON_MAX 200

/* One entry as listed: |what| is an endpoint or a prefix ("192.0.2.0/24"). */
typedef struct db_deny_entry {
    int is_source;       /* 0 endpoint, 1 source prefix */
    const char *what;    /* endpoint or prefix text */
    const char *reason;  /* may be "" */
    const char *actor;   /* who added it */
    const char *created; /* timestamp text */
} db_deny_entry_t;

/* Called per entry; a non-zero return stops the walk and is returned. */
typedef int (*db_deny_fn)(void *arg, const db_deny_entry_t *e);

/*
 * db_deny_add denies endpoint |what| (|is_source| 0) or source prefix
 * |what| (|is_source| 1, an address or prefix PostgreSQL's cidr accepts,
 * host bits clear) with |reason| (may be NULL), by |actor|.
 * Returns 0; -EEXIST when already denied; -EINVAL for a malformed endpoint
 * or prefix or a reason over DB_DENY_REASON_MAX bytes; -EIO.
 */
int db_deny_add(db_t *db, int is_source, const char *what, const char *reason, const char *actor);

/* db_deny_remove lifts a denial. Returns 0; -ENOENT; -EINVAL; -EIO. */
int db_deny_remove(db_t *db, int is_source, const char *what, const char *actor);

/* db_deny_list calls |fn| for every entry, endpoints first, each sorted.
 * Returns 0; -EIO; or what |fn| returned. */
int db_deny_list(db_t *db, db_deny_fn fn, void *arg);

#endif
