/*
 * db.h — a connection to the PostgreSQL store (libpq) and the small helpers
 * every table module uses: transactions, one-shot statements, the last error
 * message. Tables live in db_devices.h, db_policies.h, db_audit.h and
 * db_records.h; the schema and its migrations in db_migrate.h.
 *
 * One db_t is one connection and is not thread-safe. Messages never contain
 * the password of the URL (config_redact_url() is applied) nor any secret:
 * statements carry secrets only as parameters, and libpq errors quote no
 * parameter values.
 *
 * Error codes are negative errno values; the text of the last error is
 * db_errmsg().
 */
#ifndef BSD_DB_DB_H
#define BSD_DB_DB_H

#include <stdbool.h>
#include <stddef.h>

#define DB_ERR_MAX 512 /* bytes of an error message */

typedef struct db db_t;

/* libpq's connection type, for the table modules (include <libpq-fe.h>). */
struct pg_conn;

/*
 * db_connect opens a connection to |url| (a postgresql:// URI or a keyword
 * conninfo string). On failure |err| (|errcap| bytes) gets one line:
 * "cannot connect to <url without password>: <libpq reason>".
 *
 * Returns 0 with *out set; -ECONNREFUSED when the server cannot be reached
 * or refuses the login; -EINVAL for an unparsable URL; -ENOMEM.
 */
int db_connect(const char *url, db_t **out, char *err, size_t errcap);

/* db_close closes the connection and frees |db|. NULL is allowed. */
void db_close(db_t *db);

/* db_pg returns the libpq connection (for the table modules). */
struct pg_conn *db_pg(db_t *db);

/* db_errmsg returns the message of the last failed call on |db| ("" if none). */
const char *db_errmsg(const db_t *db);

/* db_url returns the connection URL with its password redacted. */
const char *db_url(const db_t *db);

/*
 * db_exec runs |sql| (no parameters; several statements allowed) and
 * discards the result.
 *
 * Returns 0, or -EIO with db_errmsg() set.
 */
int db_exec(db_t *db, const char *sql);

/*
 * db_begin / db_commit / db_rollback run BEGIN, COMMIT and ROLLBACK. A
 * COMMIT the server turns into a rollback (the transaction had failed) is an
 * error. db_rollback is safe to call when no transaction is open.
 *
 * Each returns 0, or -EIO with db_errmsg() set.
 */
int db_begin(db_t *db);
int db_commit(db_t *db);
int db_rollback(db_t *db);

/*
 * db_set_error stores a printf-style message as the last error (for the
 * table modules). db_set_pg_error stores "|what|: <libpq message>" from the
 * result |res| (a PGresult *, may be NULL) or the connection.
 */
void db_set_error(db_t *db, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void db_set_pg_error(db_t *db, const char *what, const void *res);

/*
 * db_sqlstate returns the SQLSTATE of |res| (a PGresult *), or "" when it has
 * none. "23505" is a unique violation, "23514" a check violation.
 */
const char *db_sqlstate(const void *res);

/* db_name_ok tells whether |name| is 1..|max| characters of A-Z a-z 0-9 . _ -
 * starting with a letter or digit: the rule for policy and token names. */
bool db_name_ok(const char *name, size_t max);

/* db_hex_encode writes |len| bytes as lower-case hex plus NUL into |out|
 * (2 * len + 1 bytes). Returns |out|. */
char *db_hex_encode(const unsigned char *in, size_t len, char *out);

#endif /* BSD_DB_DB_H */
