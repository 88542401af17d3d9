/*
 * db.c — libpq connection and helpers (contract in db.h). Password redaction
 * is bsd/util/config.c's config_redact_url(), so the daemon and bsctl print
 * URLs the same way.
 */
#include "bsd/db/db.h"

#include "bsd/util/config.h"

#include <errno.h>
#include <libpq-fe.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct db {
    PGconn *pg;           /* the connection */
    char url[1024];       /* URL, password redacted */
    char err[DB_ERR_MAX]; /* last error */
};

/* Copies a libpq message without its trailing newline(s). */
static void db_copy_msg(char *out, size_t cap, const char *msg)
{
    snprintf(out, cap, "%s", msg ? msg : "");
    size_t n = strlen(out);
    while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
        out[--n] = 0;
    for (size_t i = 0; i < n; i++) /* one line: libpq adds DETAIL/HINT lines */
        if (out[i] == '\n' || out[i] == '\t') out[i] = ' ';
}

int db_connect(const char *url, db_t **out, char *err, size_t errcap)
{
    *out = NULL;
    char red[1024];
    config_redact_url(url ? url : "", red, sizeof red);
    if (url == NULL || url[0] == 0) {
        snprintf(err, errcap, "no database URL (give --db URL or set BSD_DB_URL)");
        return -EINVAL;
    }
    char *perr = NULL;
    PQconninfoOption *opts = PQconninfoParse(url, &perr);
    if (opts == NULL) {
        char m[DB_ERR_MAX];
        db_copy_msg(m, sizeof m, perr ? perr : "out of memory");
        snprintf(err, errcap, "invalid database URL %s: %s", red, m);
        PQfreemem(perr);
        return perr ? -EINVAL : -ENOMEM;
    }
    PQconninfoFree(opts);
    db_t *db = calloc(1, sizeof *db);
    if (db == NULL) {
        snprintf(err, errcap, "out of memory");
        return -ENOMEM;
    }
    snprintf(db->url, sizeof db->url, "%s", red);
    db->pg = PQconnectdb(url);
    if (db->pg == NULL || PQstatus(db->pg) != CONNECTION_OK) {
        char m[DB_ERR_MAX];
        db_copy_msg(m, sizeof m, db->pg ? PQerrorMessage(db->pg) : "out of memory");
        snprintf(err, errcap, "cannot connect to %s: %s", red, m);
        PQfinish(db->pg);
        free(db);
        return -ECONNREFUSED;
    }
    PGresult *res = PQexec(db->pg, "SET client_min_messages = warning");
    PQclear(res);
    *out = db;
    return 0;
}

void db_close(db_t *db)
{
    if (db == NULL) return;
    PQfinish(db->pg);
    free(db);
}

struct pg_conn *db_pg(db_t *db)
{
    return db->pg;
}

const char *db_errmsg(const db_t *db)
{
    return db->err;
}

const char *db_url(const db_t *db)
{
    return db->url;
}

void db_set_error(db_t *db, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(db->err, sizeof db->err, fmt, ap);
    va_end(ap);
}

void db_set_pg_error(db_t *db, const char *what, const void *res)
{
    char m[DB_ERR_MAX];
    const char *pm = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    db_copy_msg(m, sizeof m, pm ? pm : PQerrorMessage(db->pg));
    db_set_error(db, "%s: %s", what, m);
}

const char *db_sqlstate(const void *res)
{
    const char *s = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    return s ? s : "";
}

int db_exec(db_t *db, const char *sql)
{
    PGresult *res = PQexec(db->pg, sql);
    ExecStatusType st = PQresultStatus(res);
    int r = 0;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        db_set_pg_error(db, "database", res);
        r = -EIO;
    }
    PQclear(res);
    return r;
}

int db_begin(db_t *db)
{
    return db_exec(db, "BEGIN");
}

int db_commit(db_t *db)
{
    PGresult *res = PQexec(db->pg, "COMMIT");
    int r = 0;
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        db_set_pg_error(db, "commit", res);
        r = -EIO;
    } else if (strcmp(PQcmdStatus(res), "ROLLBACK") == 0) {
        db_set_error(db, "commit: the transaction had failed and was rolled back");
        r = -EIO;
    }
    PQclear(res);
    return r;
}

int db_rollback(db_t *db)
{
    if (PQtransactionStatus(db->pg) == PQTRANS_IDLE) return 0;
    return db_exec(db, "ROLLBACK");
}

bool db_name_ok(const char *name, size_t max)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > max) return false;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-'))) return false;
    }
    return true;
}

char *db_hex_encode(const unsigned char *in, size_t len, char *out)
{
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = hx[in[i] >> 4];
        out[2 * i + 1] = hx[in[i] & 15];
    }
    out[2 * len] = 0;
    return out;
}
