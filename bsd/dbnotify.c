/*
 * dbnotify.c — LISTEN bsd_changes (dbnotify.h) on a plain libpq
 * connection, driven by the main thread's poll loop.
 */
#include "bsd/dbnotify.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bsd/util/config.h"
#include "bsd/util/log.h"

#define DBNOTIFY_RETRY_MS 5000

struct dbnotify {
    char *url;
    char redacted[256];
    PGconn *conn;
    uint64_t retry_at;
    int warned; /* logged the current outage once */
};

dbnotify_t *dbnotify_new(const char *url)
{
    dbnotify_t *n = calloc(1, sizeof(*n));
    if (!n || !(n->url = strdup(url))) {
        free(n);
        return NULL;
    }
    config_redact_url(url, n->redacted, sizeof(n->redacted));
    return n;
}

int dbnotify_fd(const dbnotify_t *n)
{
    return n && n->conn ? PQsocket(n->conn) : -1;
}

static void drop(dbnotify_t *n, uint64_t now)
{
    if (n->conn) PQfinish(n->conn);
    n->conn = NULL;
    n->retry_at = now + DBNOTIFY_RETRY_MS;
}

static int connect_listen(dbnotify_t *n, uint64_t now)
{
    n->conn = PQconnectdb(n->url);
    PGresult *res = PQstatus(n->conn) == CONNECTION_OK ? PQexec(n->conn, "LISTEN bsd_changes") : NULL;
    if (!res || PQresultStatus(res) != PGRES_COMMAND_OK) {
        if (!n->warned) {
            char m[256];
            snprintf(m, sizeof(m), "%s", PQerrorMessage(n->conn));
            m[strcspn(m, "\n")] = 0;
            log_msg(BSD_LOG_WARN, "db.listen.unavailable", "db=\"%s\" error=\"%s\"", n->redacted, m);
            n->warned = 1;
        }
        PQclear(res);
        drop(n, now);
        return 0;
    }
    PQclear(res);
    PQsetnonblocking(n->conn, 1);
    if (n->warned) log_msg(BSD_LOG_INFO, "db.listen.restored", "db=\"%s\"", n->redacted);
    n->warned = 0;
    return 1;
}

int dbnotify_poll(dbnotify_t *n, uint64_t now)
{
    if (!n) return 0;
    if (!n->conn) return now >= n->retry_at ? connect_listen(n, now) : 0;
    if (!PQconsumeInput(n->conn) || PQstatus(n->conn) != CONNECTION_OK) {
        log_msg(BSD_LOG_WARN, "db.listen.lost", "db=\"%s\"", n->redacted);
        drop(n, now);
        return 0;
    }
    /* An import notifies once per row: one log line per read, not per row. */
    unsigned changed = 0;
    char first[104] = "";
    PGnotify *e;
    while ((e = PQnotifies(n->conn)) != NULL) {
        if (!changed++) snprintf(first, sizeof(first), "%.100s", e->extra);
        PQfreemem(e);
    }
    if (changed) log_msg(BSD_LOG_DEBUG, "db.changed", "count=%u first=\"%s\"", changed, first);
    return changed != 0;
}

void dbnotify_free(dbnotify_t *n)
{
    if (!n) return;
    if (n->conn) PQfinish(n->conn);
    free(n->url);
    free(n);
}
