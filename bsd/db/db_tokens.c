/*
 * db_tokens.c — API bearer tokens: format, hash and the api_tokens table
 * (contract in db_tokens.h; schema in db/migrations/0006_api_tokens.sql).
 * Role checks per request are bsd/api's job.
 */
#include "bsd/db/db_tokens.h"

#include <errno.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/hash.h>
#include <wolfssl/wolfcrypt/sha256.h>

#include "bsd/db/db_audit.h"

static const char db_tok_b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* RFC 3339 UTC text of a timestamptz column, for every query below. */
#define DB_TOK_TS(col) "coalesce(to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '')"

static const char *const db_tok_roles[] = {"none", "metrics", "viewer", "operator", "admin"};

const char *db_token_role_name(db_token_role_t role)
{
    return (unsigned)role < sizeof db_tok_roles / sizeof db_tok_roles[0] ? db_tok_roles[role] : "none";
}

db_token_role_t db_token_role_parse(const char *name)
{
    for (size_t i = 1; name && i < sizeof db_tok_roles / sizeof db_tok_roles[0]; i++)
        if (strcmp(name, db_tok_roles[i]) == 0) return (db_token_role_t)i;
    return DB_ROLE_NONE;
}

bool db_token_name_ok(const char *name)
{
    return db_name_ok(name, DB_TOKEN_NAME_MAX);
}

/* Index of |c| in the base64url alphabet, or -1. */
static int db_tok_b64_val(char c)
{
    const char *p = c ? strchr(db_tok_b64, c) : NULL;
    return p ? (int)(p - db_tok_b64) : -1;
}

int db_token_generate(char out[DB_TOKEN_TEXT_MAX])
{
    uint8_t rnd[DB_TOKEN_RANDOM_LEN + 1]; /* one zero byte pads the last group */
    size_t got = 0;
    while (got < DB_TOKEN_RANDOM_LEN) {
        ssize_t r = getrandom(rnd + got, DB_TOKEN_RANDOM_LEN - got, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -EIO;
        got += (size_t)r;
    }
    rnd[DB_TOKEN_RANDOM_LEN] = 0;
    memcpy(out, DB_TOKEN_PREFIX, DB_TOKEN_PREFIX_LEN);
    size_t o = DB_TOKEN_PREFIX_LEN;
    /* 32 bytes = 10 groups of 3 (40 characters) + 2 bytes (3 characters). */
    for (size_t i = 0; i < DB_TOKEN_RANDOM_LEN; i += 3) {
        uint32_t v = (uint32_t)rnd[i] << 16 | (uint32_t)rnd[i + 1] << 8 |
                     (i + 2 < DB_TOKEN_RANDOM_LEN ? rnd[i + 2] : 0);
        size_t chars = i + 2 < DB_TOKEN_RANDOM_LEN ? 4 : 3;
        for (size_t k = 0; k < chars; k++)
            out[o++] = db_tok_b64[(v >> (18 - 6 * k)) & 63];
    }
    out[o] = 0;
    explicit_bzero(rnd, sizeof rnd);
    return o == DB_TOKEN_LEN ? 0 : -EIO;
}

bool db_token_well_formed(const char *s, size_t len)
{
    if (s == NULL || len != DB_TOKEN_LEN || memcmp(s, DB_TOKEN_PREFIX, DB_TOKEN_PREFIX_LEN) != 0)
        return false;
    for (size_t i = DB_TOKEN_PREFIX_LEN; i < len; i++)
        if (db_tok_b64_val(s[i]) < 0) return false;
    /* The last character carries 4 bits of the 32nd byte and 2 zero bits. */
    return (db_tok_b64_val(s[len - 1]) & 3) == 0;
}

int db_token_hash(const char *s, size_t len, uint8_t out[DB_TOKEN_HASH_LEN])
{
    return wc_Sha256Hash((const byte *)s, (word32)len, out) == 0 ? 0 : -EIO;
}

/* Writes the audit row of a change to token |name|. */
static int db_tok_audit(db_t *db, const char *actor, const char *action, const char *name, const char *role)
{
    char object[DB_TOKEN_NAME_MAX + 16];
    snprintf(object, sizeof object, "token:%s", name);
    json_t *o = role ? json_pack("{s:s}", "role", role) : json_object();
    char *det = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    int r = db_audit_write(db, actor, action, object, det ? det : "{}");
    free(det);
    return r;
}

int db_token_create(db_t *db, const char *name, db_token_role_t role, const char *actor,
                    char token[DB_TOKEN_TEXT_MAX])
{
    if (!db_token_name_ok(name)) {
        db_set_error(db, "token name must be 1..63 of A-Z a-z 0-9 . _ - (starting with a letter or digit)");
        return -EINVAL;
    }
    if (role == DB_ROLE_NONE || (unsigned)role > DB_ROLE_ADMIN) {
        db_set_error(db, "token role must be viewer, operator, admin or metrics");
        return -EINVAL;
    }
    uint8_t hash[DB_TOKEN_HASH_LEN];
    if (db_token_generate(token) != 0 || db_token_hash(token, DB_TOKEN_LEN, hash) != 0) {
        db_set_error(db, "token: no random bytes or hash");
        return -EIO;
    }
    if (db_begin(db) < 0) return -EIO;
    const char *params[4] = {name, db_token_role_name(role), (const char *)hash, actor};
    int lens[4] = {0, 0, DB_TOKEN_HASH_LEN, 0};
    int fmts[4] = {0, 0, 1, 0};
    PGresult *res = PQexecParams(db_pg(db),
                                 "INSERT INTO api_tokens (name, role, token_hash, created_by) "
                                 "VALUES ($1, $2, $3, $4)",
                                 4, NULL, params, lens, fmts, 0);
    int r = 0;
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        bool dup = strcmp(db_sqlstate(res), "23505") == 0;
        db_set_pg_error(db, "token", res);
        if (dup) db_set_error(db, "an active token named '%s' exists (revoke it first)", name);
        r = dup ? -EEXIST : -EIO;
    }
    PQclear(res);
    if (r == 0) r = db_tok_audit(db, actor, "token.create", name, db_token_role_name(role));
    if (r == 0) r = db_commit(db);
    if (r != 0) {
        db_rollback(db);
        explicit_bzero(token, DB_TOKEN_TEXT_MAX);
    }
    return r;
}

int db_token_revoke(db_t *db, const char *name, const char *actor)
{
    if (db_begin(db) < 0) return -EIO;
    const char *params[1] = {name};
    PGresult *res = PQexecParams(
        db_pg(db), "UPDATE api_tokens SET revoked_at = now() WHERE name = $1 AND revoked_at IS NULL", 1, NULL,
        params, NULL, NULL, 0);
    int r = 0;
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        db_set_pg_error(db, "token", res);
        r = -EIO;
    } else if (atoi(PQcmdTuples(res)) == 0) {
        db_set_error(db, "no active token named '%s'", name);
        r = -ENOENT;
    }
    PQclear(res);
    if (r == 0) r = db_tok_audit(db, actor, "token.revoke", name, NULL);
    if (r == 0) r = db_commit(db);
    if (r != 0) db_rollback(db);
    return r;
}

/* Fills |t| from columns name, role, revoked, created, created_by,
 * last_used, revoked_at of row |i|. */
static void db_tok_row(const PGresult *res, int i, db_token_info_t *t)
{
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", PQgetvalue(res, i, 0));
    t->role = db_token_role_parse(PQgetvalue(res, i, 1));
    t->revoked = PQgetvalue(res, i, 2)[0] == 't';
    snprintf(t->created, sizeof t->created, "%s", PQgetvalue(res, i, 3));
    snprintf(t->created_by, sizeof t->created_by, "%s", PQgetvalue(res, i, 4));
    snprintf(t->last_used, sizeof t->last_used, "%s", PQgetvalue(res, i, 5));
    snprintf(t->revoked_at, sizeof t->revoked_at, "%s", PQgetvalue(res, i, 6));
}

#define DB_TOK_COLS                                                                                          \
    "name, role, revoked_at IS NOT NULL, " DB_TOK_TS("created_at") ", created_by, " DB_TOK_TS(               \
        "last_used_at") ", " DB_TOK_TS("revoked_at")

int db_token_list(db_t *db, db_token_fn fn, void *arg)
{
    PGresult *res = PQexec(db_pg(db), "SELECT " DB_TOK_COLS " FROM api_tokens "
                                      "ORDER BY revoked_at IS NOT NULL, name, created_at, id");
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        db_set_pg_error(db, "tokens", res);
        PQclear(res);
        return -EIO;
    }
    int r = 0;
    for (int i = 0; r == 0 && i < PQntuples(res); i++) {
        db_token_info_t t;
        db_tok_row(res, i, &t);
        r = fn(arg, &t);
    }
    PQclear(res);
    return r;
}

int db_token_lookup(db_t *db, const uint8_t hash[DB_TOKEN_HASH_LEN], db_token_info_t *out)
{
    /* One round trip: read the row and stamp last_used_at when it is active. */
    const char *params[1] = {(const char *)hash};
    int lens[1] = {DB_TOKEN_HASH_LEN};
    int fmts[1] = {1};
    PGresult *res = PQexecParams(db_pg(db),
                                 "WITH t AS (SELECT * FROM api_tokens WHERE token_hash = $1), "
                                 "u AS (UPDATE api_tokens SET last_used_at = now() FROM t "
                                 "WHERE api_tokens.id = t.id AND t.revoked_at IS NULL) "
                                 "SELECT " DB_TOK_COLS " FROM t",
                                 1, NULL, params, lens, fmts, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        db_set_pg_error(db, "token lookup", res);
        PQclear(res);
        return -EIO;
    }
    int r = PQntuples(res) == 1 ? 0 : -ENOENT;
    if (r == 0) db_tok_row(res, 0, out);
    PQclear(res);
    return r;
}
