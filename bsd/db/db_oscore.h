/*
 * db_oscore.h — the persistent state of the OSCORE contexts the bootstrap
 * server uses (table oscore_state, migration 0008): blocks of Sender
 * Sequence Numbers handed out before use, the recipient replay floor, and a
 * lease that gives a context to one daemon instance at a time. This is what
 * makes RFC 8613 Appendix B.1 hold across a restart, a kill -9 and a second
 * instance: no (key, nonce) pair is ever used twice, and no request already
 * processed is accepted again.
 *
 * The contexts themselves (keys, protect/unprotect, the in-memory replay
 * window) live in bsd/oscore; the master secrets in the devices table.
 *
 * Use: one dedicated thread with its own connection, never the workers
 * (each call is one round trip, its own transaction). On first use of a
 * context an instance takes the lease, reads the state (db_oscore_load),
 * starts its replay window above replay_floor and reserves a block of SSNs;
 * it sends with SSNs of that block only and reserves the next block before
 * it runs out. It raises the replay floor (and waits for the call to
 * return) before it acts on a request it accepted. SSNs of a block not used
 * before a crash are simply skipped. The lease guards the replay window (one
 * instance owns it); it renews the lease well before it ends and stops
 * using the context when renewal fails. Blocks stay disjoint with or
 * without the lease: db_oscore_reserve does not consult it.
 *
 * Error codes are negative errno values; db_errmsg() has the text.
 */
#ifndef BSD_DB_DB_OSCORE_H
#define BSD_DB_DB_OSCORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bsd/db/db.h"

#define DB_OSCORE_ID_MAX         7     /* Recipient ID bytes (RFC 8613 §3.3, AES-CCM-16-64-128) */
#define DB_OSCORE_ID_CONTEXT_MAX 255   /* ID Context bytes (the kid context length is one byte) */
#define DB_OSCORE_OWNER_MAX      128   /* lease owner bytes */
#define DB_OSCORE_LEASE_MAX      86400 /* seconds a lease may be taken for at most */

/* 2^40: the first Sender Sequence Number that may never be used (the
 * Partial IV is at most 40 bits, RFC 8613 §7.2.1). */
#define DB_OSCORE_SSN_LIMIT (INT64_C(1) << 40)

/* Which context: the server's view (it looks contexts up by the kid of the
 * device's requests, i.e. its own Recipient ID, and the ID Context). An
 * absent ID Context differs from an empty one (§3.2.1: nil vs. h''). */
typedef struct db_oscore_key {
    const char *endpoint;                         /* the device, 1..255 bytes */
    uint8_t recipient_id[DB_OSCORE_ID_MAX];       /* the server's Recipient ID */
    size_t recipient_id_len;                      /* 0..DB_OSCORE_ID_MAX */
    bool has_id_context;                          /* false: no ID Context */
    uint8_t id_context[DB_OSCORE_ID_CONTEXT_MAX]; /* e.g. R2 || R3 after Appendix B.2 */
    size_t id_context_len;                        /* 0..DB_OSCORE_ID_CONTEXT_MAX; 0 when absent */
} db_oscore_key_t;

/* The stored state of one context. */
typedef struct db_oscore_state {
    int64_t ssn_reserved;                      /* SSNs below it may have been used */
    int64_t replay_floor;                      /* reject requests with SSN <= it; -1: none */
    char lease_owner[DB_OSCORE_OWNER_MAX + 1]; /* "" when not leased */
    int64_t lease_until;                       /* seconds since the epoch; 0 when not leased */
    bool lease_live;                           /* leased and not expired (database clock) */
} db_oscore_state_t;

/*
 * db_oscore_reserve hands out the next |n| Sender Sequence Numbers of
 * context |k| (creating its row on first use) in one atomic statement:
 * *start and *end get the block [start, end), end = start + n. Blocks handed
 * out for one context never overlap, whichever connection asks.
 *
 * Returns 0; -EINVAL (a bad key, or |n| not in 1..DB_OSCORE_SSN_LIMIT);
 * -ERANGE when the block would pass DB_OSCORE_SSN_LIMIT (nothing is handed
 * out: the context must be re-keyed); -EIO.
 */
int db_oscore_reserve(db_t *db, const db_oscore_key_t *k, int64_t n, int64_t *start, int64_t *end);

/*
 * db_oscore_replay_floor_raise raises the replay floor of |k| to |ssn|
 * (creating the row on first use); a lower |ssn| leaves it unchanged.
 * *floor (may be NULL) gets the floor now stored.
 *
 * Returns 0; -EINVAL (a bad key, or |ssn| not in 0..DB_OSCORE_SSN_LIMIT - 1);
 * -EIO.
 */
int db_oscore_replay_floor_raise(db_t *db, const db_oscore_key_t *k, int64_t ssn, int64_t *floor);

/*
 * db_oscore_load reads the state of |k| into *st.
 *
 * Returns 0; -ENOENT when the context has no row (never used: SSNs start at
 * 0, no floor); -EINVAL (a bad key); -EIO.
 */
int db_oscore_load(db_t *db, const db_oscore_key_t *k, db_oscore_state_t *st);

/*
 * db_oscore_lease gives context |k| to |owner| (1..DB_OSCORE_OWNER_MAX
 * bytes; stable per instance, so that a restarted instance gets its own
 * lease back at once) for |seconds| (1..DB_OSCORE_LEASE_MAX) from now by the
 * database's clock: taken when free or expired, renewed when |owner| holds
 * it. *until (may be NULL) gets its end in seconds since the epoch.
 *
 * Returns 0; -EBUSY when another owner holds an unexpired lease (db_errmsg()
 * names it); -EINVAL; -EIO.
 */
int db_oscore_lease(db_t *db, const db_oscore_key_t *k, const char *owner, int seconds, int64_t *until);

/*
 * db_oscore_release ends |owner|'s lease on |k|.
 *
 * Returns 0; -ENOENT when |owner| holds no lease on it (never had one, or
 * it expired and another owner took it); -EINVAL; -EIO.
 */
int db_oscore_release(db_t *db, const db_oscore_key_t *k, const char *owner);

#endif /* BSD_DB_DB_OSCORE_H */
