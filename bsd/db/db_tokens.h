/*
 * db_tokens.h — bearer tokens of the REST admin API (schema: migration
 * 0006): their text format, their hash, and the api_tokens table.
 *
 * A token is DB_TOKEN_PREFIX followed by 32 random bytes in unpadded
 * base64url (43 characters): "bsd_" + 43 = 47 characters. The prefix makes a
 * leaked token recognisable to secret scanners and to people. The table
 * keeps only SHA-256 of the whole text; the token itself is returned once,
 * by db_token_create(), and never stored, logged or audited.
 *
 * Roles: viewer < operator < admin (each may do what the lower ones may);
 * metrics may only read /metrics. The API (bsd/api) enforces them.
 *
 * Every change (create, revoke) writes an audit row in the same transaction.
 * Error codes are negative errno values; db_errmsg() has the text, which
 * never holds a token.
 */
#ifndef BSD_DB_DB_TOKENS_H
#define BSD_DB_DB_TOKENS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bsd/db/db.h"

#define DB_TOKEN_PREFIX     "bsd_"
#define DB_TOKEN_PREFIX_LEN 4
#define DB_TOKEN_RANDOM_LEN 32                         /* random bytes in a token */
#define DB_TOKEN_LEN        (DB_TOKEN_PREFIX_LEN + 43) /* characters: prefix + base64url */
#define DB_TOKEN_HASH_LEN   32                         /* SHA-256 */
#define DB_TOKEN_NAME_MAX   63                         /* [A-Za-z0-9][A-Za-z0-9._-]* */
#define DB_TOKEN_TEXT_MAX   (DB_TOKEN_LEN + 1)         /* buffer for a token and its NUL */

/* A role; the order of the first three is the order of their rights. */
typedef enum db_token_role {
    DB_ROLE_NONE = 0, /* no valid token */
    DB_ROLE_METRICS,  /* GET /metrics only */
    DB_ROLE_VIEWER,   /* read everything but secrets */
    DB_ROLE_OPERATOR, /* change devices, policies, deny-list */
    DB_ROLE_ADMIN,    /* everything, tokens and credential exports included */
} db_token_role_t;

/* One token as listed or looked up (never the token text). Strings are
 * valid during the callback (list) or owned by the struct (lookup). */
typedef struct db_token_info {
    char name[DB_TOKEN_NAME_MAX + 1];
    db_token_role_t role;
    bool revoked;         /* revoked_at is set */
    char created[40];     /* timestamps as RFC 3339 UTC text; "" when unset */
    char created_by[128]; /* who created it ("bsctl:alice", "api:ci") */
    char last_used[40];
    char revoked_at[40];
} db_token_info_t;

/* Called per token by db_token_list; a non-zero return stops and is returned. */
typedef int (*db_token_fn)(void *arg, const db_token_info_t *t);

/* db_token_role_name returns "viewer", "operator", "admin", "metrics" or "none". */
const char *db_token_role_name(db_token_role_t role);

/* db_token_role_parse maps a role name to its value; DB_ROLE_NONE if unknown. */
db_token_role_t db_token_role_parse(const char *name);

/* db_token_name_ok tells whether |name| is a valid token name. */
bool db_token_name_ok(const char *name);

/*
 * db_token_generate writes a fresh token (DB_TOKEN_LEN characters and a NUL)
 * into |out|, from the kernel's CSPRNG.
 *
 * Returns 0, or -EIO when no random bytes could be had.
 */
int db_token_generate(char out[DB_TOKEN_TEXT_MAX]);

/*
 * db_token_well_formed tells whether |len| bytes at |s| have the shape of a
 * token: the prefix and 43 base64url characters whose last one carries no
 * stray bits. Cheap; a caller checks it before hashing untrusted input.
 */
bool db_token_well_formed(const char *s, size_t len);

/*
 * db_token_hash stores SHA-256 of |len| bytes at |s| in |out|.
 *
 * Returns 0, or -EIO if the hash failed.
 */
int db_token_hash(const char *s, size_t len, uint8_t out[DB_TOKEN_HASH_LEN]);

/*
 * db_token_create makes a token named |name| with |role| (not DB_ROLE_NONE),
 * stores its hash, writes audit row "token.create" by |actor| (details: the
 * role), and returns the token in |token| — the only time it exists outside
 * the client.
 *
 * Returns 0; -EINVAL (bad name or role); -EEXIST (an active token has that
 * name); -EIO.
 */
int db_token_create(db_t *db, const char *name, db_token_role_t role, const char *actor,
                    char token[DB_TOKEN_TEXT_MAX]);

/*
 * db_token_revoke revokes the active token named |name| (it stays listed)
 * and writes audit row "token.revoke" by |actor|.
 *
 * Returns 0; -ENOENT (no active token has that name); -EIO.
 */
int db_token_revoke(db_t *db, const char *name, const char *actor);

/*
 * db_token_list calls |fn| for every token, revoked ones included, active
 * first, then by name and creation.
 *
 * Returns 0; -EIO; or what |fn| returned.
 */
int db_token_list(db_t *db, db_token_fn fn, void *arg);

/*
 * db_token_lookup finds the token whose hash is |hash| and fills |out|. A
 * token found and not revoked gets its last_used_at set to now.
 *
 * Returns 0 (check out->revoked); -ENOENT (no such token); -EIO.
 */
int db_token_lookup(db_t *db, const uint8_t hash[DB_TOKEN_HASH_LEN], db_token_info_t *out);

#endif /* BSD_DB_DB_TOKENS_H */
