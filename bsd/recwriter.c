/*
 * recwriter.c — spool → PostgreSQL (contract in recwriter.h). One thread,
 * one connection, one transaction per batch of one worker's records. The
 * batch travels as a single text parameter split into lines by the server,
 * so no per-record round trip and no client-side escaping.
 */
#include "bsd/recwriter.h"

#include <errno.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "bsd/util/config.h"
#include "bsd/util/log.h"

#define RW_IDLE_MS     200   /* look at the spool at least this often */
#define RW_BACKOFF_MAX 10000 /* longest pause between connection attempts */
#define RW_BUF         (SPOOL_LINE_MAX + 1 + 256 * 1024)

/* Inserts every JSON line of $1; the spool position of worker $2 moves to ($3, $4). */
static const char SQL_INSERT[] =
    "INSERT INTO sessions (endpoint, outcome, started_at, duration_ms, record) "
    "SELECT j->>'endpoint', j->>'outcome', COALESCE((j->>'started')::timestamptz, now()), "
    "LEAST(COALESCE((j->>'duration_ms')::bigint, 0), 2147483647)::integer, "
    "CASE WHEN j ? 'bs_rotation' THEN jsonb_set(j, '{bs_rotation}', (j->'bs_rotation') - 'psk_key' - "
    "'psk_key_mac') "
    "ELSE j END "
    "FROM (SELECT x::jsonb AS j FROM regexp_split_to_table($1, E'\\n') AS x WHERE x <> '') AS r RETURNING id";
/*
 * Bootstrap-credential rotation (migration 0005), for the records of $1
 * that carry "bs_rotation". The credential_version a record names is the
 * one its new credential was derived against: a device the operator changed
 * since is left alone. "written": the device's next credential (bs_next);
 * "used": it becomes the device's credential, audited. The newest record of
 * a device wins within a batch.
 */
#define SQL_ROT_ROWS                                                                                         \
    "WITH r AS (SELECT DISTINCT ON (j->>'endpoint') j->>'endpoint' AS ep, j->'bs_rotation' AS b, "           \
    "j->>'started' AS at FROM (SELECT x::jsonb AS j FROM regexp_split_to_table($1, E'\\n') AS x "            \
    "WHERE x LIKE '%\"bs_rotation\"%') AS l WHERE j->'bs_rotation'->>'state' = $2 "                          \
    "ORDER BY j->>'endpoint', j->>'started' DESC) "
static const char SQL_ROT_WRITTEN[] =
    SQL_ROT_ROWS "UPDATE devices d SET bs_next = (r.b - 'state' - 'credential_version') || "
                 "jsonb_build_object('written_at', r.at) FROM r WHERE d.endpoint = r.ep AND "
                 "d.credential_version = (r.b->>'credential_version')::bigint";
static const char SQL_ROT_USED[] = SQL_ROT_ROWS
    ", u AS (UPDATE devices d SET kind = r.b->>'kind', "
    "psk_identity = CASE WHEN r.b->>'kind' = 'psk' THEN r.b->>'psk_identity' END, "
    "psk_key = CASE WHEN r.b->>'kind' = 'psk' THEN decode(r.b->>'psk_key', 'hex') END, "
    "psk_key_mac = CASE WHEN r.b->>'kind' = 'psk' THEN decode(r.b->>'psk_key_mac', 'hex') END, "
    "spki = CASE WHEN r.b->>'kind' = 'rpk' THEN decode(r.b->>'spki', 'hex') END, "
    "x509_name_type = NULL, x509_name = NULL, fingerprint = NULL, nosec_allow = NULL, bs_next = NULL "
    "FROM r WHERE d.endpoint = r.ep AND d.credential_version = (r.b->>'credential_version')::bigint "
    "RETURNING d.endpoint, r.b) "
    "INSERT INTO audit (actor, action, object, details) SELECT 'bsd', "
    "'device.bootstrap_credential.rotated', 'device:' || endpoint, jsonb_strip_nulls(jsonb_build_object("
    "'rotation', b->'rotation', 'kind', b->>'kind', 'psk_identity', b->>'psk_identity')) FROM u";
/*
 * Unbootstrapping (migration 0011), over the sessions rows $1 (their ids)
 * just inserted whose outcome is finished or finished-with-errors: the
 * SSIDs a record's "accounts" lists were written (device_accounts upserted,
 * last_session its row), those a successful "unboot" ("failed": 0)
 * "removed", or found "absent" (the device no longer has them), are gone
 * (rows deleted). Per (device, SSID) the last record of
 * the batch wins, and within a record a write (after the removal) wins;
 * across batches (the spool workers are stored independently) the newer
 * session wins: a row is neither moved back nor deleted by an older one.
 * Pending requests of that device are then done: "removed" SSIDs applied,
 * "absent" ones absent (the first session of the batch that did it).
 * Malformed SSIDs (not an integer 1..65534) are left out.
 */
static const char SQL_UNBOOT[] =
    "WITH s AS (SELECT id, endpoint AS ep, record AS j, started_at + coalesce(duration_ms, 0) * "
    "interval '1 millisecond' AS at, record->'unboot'->>'failed' = '0' AS ok FROM sessions "
    "WHERE id = ANY($1::bigint[]) AND outcome IN ('finished', 'finished-with-errors') "
    "AND endpoint IN (SELECT endpoint FROM devices)), "
    "v AS (SELECT s.ep, s.id, s.at, s.ok, k.kind, e.x FROM s, LATERAL (VALUES ('accounts', s.j->'accounts'), "
    "('removed', s.j->'unboot'->'removed'), ('absent', s.j->'unboot'->'absent')) AS k(kind, arr), "
    "jsonb_array_elements(CASE WHEN jsonb_typeof(k.arr) = 'array' THEN k.arr ELSE '[]' END) AS e(x)), "
    /* Nested CASE: the only order of evaluation SQL guarantees (no cast of a string). */
    "ev AS (SELECT ep, id, at, kind, CASE WHEN jsonb_typeof(x) = 'number' AND (kind = 'accounts' OR ok) "
    "THEN CASE WHEN x::numeric BETWEEN 1 AND 65534 AND x::numeric = trunc(x::numeric) THEN x::numeric::int "
    "END END AS ssid FROM v), "
    "last AS (SELECT DISTINCT ON (ep, ssid) ep, ssid, id, at, kind FROM ev WHERE ssid IS NOT NULL "
    "ORDER BY ep, ssid, id DESC, kind = 'accounts' DESC), "
    "up AS (INSERT INTO device_accounts (device, ssid, first_written, last_written, last_session) "
    "SELECT ep, ssid, at, at, id FROM last WHERE kind = 'accounts' ON CONFLICT (device, ssid) DO UPDATE "
    "SET last_written = EXCLUDED.last_written, last_session = EXCLUDED.last_session "
    "WHERE device_accounts.last_written <= EXCLUDED.last_written), "
    "del AS (DELETE FROM device_accounts a USING last WHERE last.kind <> 'accounts' AND a.device = last.ep "
    "AND a.ssid = last.ssid AND a.last_written < last.at), "
    "done AS (SELECT DISTINCT ON (ep, ssid) ep, ssid, id, CASE kind WHEN 'removed' THEN 'applied' "
    "ELSE 'absent' END AS st FROM ev WHERE ssid IS NOT NULL AND kind <> 'accounts' ORDER BY ep, ssid, id) "
    "UPDATE unboot_requests u SET state = done.st, done_at = now(), session = done.id FROM done "
    "WHERE u.device = done.ep AND u.ssid = done.ssid AND u.state = 'pending'";
static const char SQL_PROGRESS[] =
    "INSERT INTO spool_progress (worker, seq, off) VALUES ($1::int, $2::bigint, $3::bigint) "
    "ON CONFLICT (worker) DO UPDATE SET seq = EXCLUDED.seq, off = EXCLUDED.off, updated = now()";
static const char SQL_LOAD[] = "SELECT worker, seq, off FROM spool_progress";

struct recwriter {
    spool_t *spool;
    char *url;
    char redacted[256]; /* the URL for messages */
    PGconn *conn;
    pthread_t th;
    int efd;
    atomic_int stop;
    atomic_int kicked;
    unsigned drain_ms;
    spool_pos_t pos[SPOOL_MAX_WRITERS];
    int loaded; /* positions read from spool_progress on this connection */
    char *buf;
    pthread_mutex_t mu; /* guards stats only (never taken by workers) */
    recwriter_stats_t st;
};

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void count(recwriter_t *r, uint64_t stored, int batch, int failure)
{
    pthread_mutex_lock(&r->mu);
    r->st.stored += stored;
    r->st.batches += (uint64_t)batch;
    r->st.failures += (uint64_t)failure;
    r->st.connected = r->conn != NULL;
    pthread_mutex_unlock(&r->mu);
}

static void disconnect(recwriter_t *r)
{
    if (r->conn) PQfinish(r->conn);
    r->conn = NULL;
    r->loaded = 0;
    count(r, 0, 0, 0);
}

/* First line of libpq's message, for one-line logs. */
static const char *pq_msg(PGconn *c, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s", c ? PQerrorMessage(c) : "no connection");
    buf[strcspn(buf, "\n")] = 0;
    return buf;
}

static int connect_db(recwriter_t *r)
{
    r->conn = PQconnectdb(r->url);
    if (PQstatus(r->conn) != CONNECTION_OK) {
        char m[256];
        log_msg(BSD_LOG_WARN, "records.db.unreachable", "db=\"%s\" error=\"%s\"", r->redacted,
                pq_msg(r->conn, m, sizeof(m)));
        disconnect(r);
        return -1;
    }
    /* Positions stored with the last committed batches; none = from the start. */
    PGresult *res = PQexec(r->conn, SQL_LOAD);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        char m[256];
        log_msg(BSD_LOG_ERROR, "records.db.progress_unreadable", "error=\"%s\"",
                pq_msg(r->conn, m, sizeof(m)));
        PQclear(res);
        disconnect(r);
        return -1;
    }
    memset(r->pos, 0, sizeof(r->pos));
    for (int i = 0; i < PQntuples(res); i++) {
        long w = strtol(PQgetvalue(res, i, 0), NULL, 10);
        if (w < 0 || w >= SPOOL_MAX_WRITERS) continue;
        r->pos[w].seq = strtoull(PQgetvalue(res, i, 1), NULL, 10);
        r->pos[w].off = strtoull(PQgetvalue(res, i, 2), NULL, 10);
    }
    PQclear(res);
    r->loaded = 1;
    log_msg(BSD_LOG_INFO, "records.db.connected", "db=\"%s\"", r->redacted);
    count(r, 0, 0, 0);
    return 0;
}

static int exec_ok(PGresult *res)
{
    ExecStatusType s = PQresultStatus(res);
    return s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
}

static int simple(PGconn *c, const char *sql)
{
    PGresult *res = PQexec(c, sql);
    int ok = exec_ok(res);
    PQclear(res);
    return ok ? 0 : -1;
}

/*
 * A statement behind SAVEPOINT |sp| failed with |res| (cleared here): when
 * the connection is fine, logs |event| with |ctx| and rolls back to the
 * savepoint, so the records are stored all the same. Returns -1 only when
 * the connection failed.
 */
static int refused(recwriter_t *r, PGresult *res, const char *sp, const char *event, const char *ctx)
{
    char m[256], q[64];
    snprintf(m, sizeof(m), "%s", PQresultErrorMessage(res));
    m[strcspn(m, "\n")] = 0;
    PQclear(res);
    if (PQstatus(r->conn) != CONNECTION_OK) return -1;
    log_msg(BSD_LOG_ERROR, event, "%s error=\"%s\"", ctx, m);
    snprintf(q, sizeof(q), "ROLLBACK TO SAVEPOINT %s", sp);
    return simple(r->conn, q);
}

/*
 * Applies the rotations in |text| inside the open transaction, behind a
 * savepoint: a rotation the database refuses (say, the new PSK identity was
 * given to another device meanwhile) is logged and skipped, and the records
 * are stored all the same. Returns -1 only when the connection failed.
 */
static int rotations(recwriter_t *r, const char *text)
{
    if (simple(r->conn, "SAVEPOINT rotation") != 0) return -1;
    const char *states[2] = {"used", "written"};
    for (int i = 0; i < 2; i++) {
        const char *p[2] = {text, states[i]};
        PGresult *res =
            PQexecParams(r->conn, i == 0 ? SQL_ROT_USED : SQL_ROT_WRITTEN, 2, NULL, p, NULL, NULL, 0);
        int ok = exec_ok(res);
        if (ok && i == 0 && strcmp(PQcmdTuples(res), "0") != 0)
            log_msg(BSD_LOG_INFO, "records.rotation.completed", "devices=%s", PQcmdTuples(res));
        if (!ok) {
            char ctx[32];
            snprintf(ctx, sizeof(ctx), "state=%s", states[i]);
            return refused(r, res, "rotation", "records.rotation.refused", ctx);
        }
        PQclear(res);
    }
    return simple(r->conn, "RELEASE SAVEPOINT rotation");
}

/*
 * The written and removed accounts of the sessions rows just inserted
 * (|ins|: the INSERT's result, one id per row), behind a savepoint like
 * the rotations. Returns -1 only when the connection failed.
 */
static int accounts(recwriter_t *r, const PGresult *ins)
{
    int n = PQntuples(ins);
    if (n == 0) return 0;
    size_t cap = (size_t)n * 21 + 3, len = 0;
    char *ids = malloc(cap);
    if (ids == NULL) return -1;
    ids[len++] = '{';
    for (int i = 0; i < n; i++)
        len += (size_t)snprintf(ids + len, cap - len, "%s%s", i ? "," : "", PQgetvalue(ins, i, 0));
    snprintf(ids + len, cap - len, "}");
    int rc = -1;
    if (simple(r->conn, "SAVEPOINT unboot") == 0) {
        const char *p[1] = {ids};
        PGresult *res = PQexecParams(r->conn, SQL_UNBOOT, 1, NULL, p, NULL, NULL, 0);
        if (exec_ok(res)) {
            PQclear(res);
            rc = simple(r->conn, "RELEASE SAVEPOINT unboot");
        } else {
            rc = refused(r, res, "unboot", "records.unboot.refused", "rows=batch");
        }
    }
    free(ids);
    return rc;
}

/*
 * Stores |text| (complete lines) and moves worker |w| to |end| in one
 * transaction. Returns 0, -1 on a connection or server failure (retry
 * later), -2 when the data itself was refused (a damaged line).
 */
static int store(recwriter_t *r, unsigned w, const char *text, const spool_pos_t *end)
{
    char ws[16], seq[24], off[24];
    snprintf(ws, sizeof(ws), "%u", w);
    snprintf(seq, sizeof(seq), "%" PRIu64, end->seq);
    snprintf(off, sizeof(off), "%" PRIu64, end->off);
    const char *pp[3] = {ws, seq, off};
    if (simple(r->conn, "BEGIN") != 0) return -1;
    const char *p1[1] = {text};
    PGresult *res = PQexecParams(r->conn, SQL_INSERT, 1, NULL, p1, NULL, NULL, 0);
    int ok = exec_ok(res);
    const char *state = ok ? NULL : PQresultErrorField(res, PG_DIAG_SQLSTATE);
    int data_error = state && strncmp(state, "22", 2) == 0; /* data exception: a bad line */
    if (ok && (strstr(text, "\"accounts\"") || strstr(text, "\"unboot\""))) ok = accounts(r, res) == 0;
    PQclear(res);
    if (ok && strstr(text, "\"bs_rotation\"")) ok = rotations(r, text) == 0;
    if (ok) {
        res = PQexecParams(r->conn, SQL_PROGRESS, 3, NULL, pp, NULL, NULL, 0);
        ok = exec_ok(res);
        PQclear(res);
    }
    if (ok && simple(r->conn, "COMMIT") == 0) return 0;
    simple(r->conn, "ROLLBACK");
    return data_error ? -2 : -1;
}

/*
 * A batch the server refused as data: store worker |w|'s lines one at a
 * time up to |until|, skipping (and logging) each line refused alone, so
 * one damaged line never blocks the spool. Returns records stored, or -1
 * (connection trouble: retry later).
 */
static long store_one_by_one(recwriter_t *r, unsigned w, const spool_pos_t *until)
{
    long stored = 0;
    while (r->pos[w].seq != until->seq || r->pos[w].off < until->off) {
        spool_pos_t end;
        long n = spool_read(r->spool, w, &r->pos[w], r->buf, RW_BUF - 1, 1, &end);
        if (n < 0) return -1;
        r->buf[n] = 0;
        int rc = store(r, w, r->buf, &end);
        if (rc == -2) {
            log_msg(BSD_LOG_ERROR, "records.line.refused", "worker=%u seq=%" PRIu64 " offset=%" PRIu64, w,
                    r->pos[w].seq, r->pos[w].off);
            rc = store(r, w, "", &end); /* move past it */
        } else if (rc == 0 && n > 0) {
            stored++;
        }
        if (rc != 0) return -1;
        int moved = end.seq != r->pos[w].seq || end.off != r->pos[w].off;
        r->pos[w] = end;
        spool_commit(r->spool, w, &end);
        if (!moved) break;
    }
    count(r, (uint64_t)stored, 1, 0);
    return stored;
}

/* One pass over every worker's spool. Returns records stored, or -1. */
static long drain_once(recwriter_t *r)
{
    long total = 0;
    for (unsigned w = 0; w < spool_workers(r->spool); w++) {
        for (;;) {
            spool_pos_t end;
            long n = spool_read(r->spool, w, &r->pos[w], r->buf, RW_BUF - 1, RECWRITER_BATCH, &end);
            if (n < 0) {
                log_msg(BSD_LOG_ERROR, "records.spool.unreadable", "worker=%u", w);
                break;
            }
            int moved = end.seq != r->pos[w].seq || end.off != r->pos[w].off;
            if (!moved) break;
            r->buf[n] = 0;
            uint64_t lines = 0;
            for (long i = 0; i < n; i++)
                lines += r->buf[i] == '\n';
            int rc = store(r, w, r->buf, &end); /* n == 0: only a segment hop or a skipped tail */
            if (rc == -2) {
                long k = store_one_by_one(r, w, &end);
                if (k < 0) return -1;
                total += k;
                continue;
            }
            if (rc != 0) return -1;
            r->pos[w] = end;
            spool_commit(r->spool, w, &end);
            count(r, lines, 1, 0);
            total += (long)lines;
        }
    }
    return total;
}

static void *run(void *arg)
{
    recwriter_t *r = arg;
    unsigned backoff = 250;
    uint64_t retry_at = 0;
    for (;;) {
        int stopping = atomic_load(&r->stop);
        uint64_t t = now_ms();
        if (!r->conn && t >= retry_at) {
            if (connect_db(r) != 0) {
                count(r, 0, 0, 1);
                retry_at = t + backoff;
                backoff = backoff * 2 > RW_BACKOFF_MAX ? RW_BACKOFF_MAX : backoff * 2;
            } else {
                backoff = 250;
            }
        }
        if (r->conn && drain_once(r) < 0) {
            char m[256];
            log_msg(BSD_LOG_WARN, "records.db.store_failed", "error=\"%s\" pending_bytes=%" PRIu64,
                    pq_msg(r->conn, m, sizeof(m)), spool_pending_bytes(r->spool));
            count(r, 0, 0, 1);
            disconnect(r);
            retry_at = now_ms() + backoff;
        }
        if (stopping) break;
        struct pollfd pfd = {r->efd, POLLIN, 0};
        atomic_store(&r->kicked, 0);
        if (poll(&pfd, 1, RW_IDLE_MS) > 0) {
            uint64_t v;
            if (read(r->efd, &v, sizeof(v)) < 0 && errno != EAGAIN) break;
        }
    }
    /* Stopping: one bounded last attempt when not connected. */
    uint64_t deadline = now_ms() + r->drain_ms;
    while (spool_pending_bytes(r->spool) > 0 && now_ms() < deadline) {
        if (!r->conn && connect_db(r) != 0) break;
        if (drain_once(r) < 0) {
            disconnect(r);
            break;
        }
        if (spool_pending_bytes(r->spool) == 0) break;
    }
    disconnect(r);
    return NULL;
}

recwriter_t *recwriter_start(spool_t *s, const char *url, char *err, size_t errcap)
{
    recwriter_t *r = calloc(1, sizeof(*r));
    if (!r || !(r->url = strdup(url)) || !(r->buf = malloc(RW_BUF))) {
        if (r) {
            free(r->url);
            free(r);
        }
        snprintf(err, errcap, "out of memory");
        return NULL;
    }
    r->spool = s;
    config_redact_url(url, r->redacted, sizeof(r->redacted));
    pthread_mutex_init(&r->mu, NULL);
    r->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (r->efd < 0 || pthread_create(&r->th, NULL, run, r) != 0) {
        snprintf(err, errcap, "cannot start the record writer: %s", strerror(errno));
        if (r->efd >= 0) close(r->efd);
        pthread_mutex_destroy(&r->mu);
        free(r->buf);
        free(r->url);
        free(r);
        return NULL;
    }
    return r;
}

void recwriter_kick(recwriter_t *r)
{
    if (!r || atomic_exchange(&r->kicked, 1)) return; /* already woken */
    uint64_t one = 1;
    if (write(r->efd, &one, sizeof(one)) < 0) { /* counter full: it is awake anyway */
    }
}

void recwriter_stop(recwriter_t *r, unsigned drain_ms)
{
    if (!r) return;
    r->drain_ms = drain_ms;
    atomic_store(&r->stop, 1);
    uint64_t one = 1;
    if (write(r->efd, &one, sizeof(one)) < 0) {
    }
    pthread_join(r->th, NULL);
    close(r->efd);
    pthread_mutex_destroy(&r->mu);
    free(r->buf);
    explicit_bzero(r->url, strlen(r->url));
    free(r->url);
    free(r);
}

void recwriter_stats(recwriter_t *r, recwriter_stats_t *out)
{
    pthread_mutex_lock(&r->mu);
    *out = r->st;
    pthread_mutex_unlock(&r->mu);
}
