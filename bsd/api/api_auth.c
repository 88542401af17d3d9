/*
 * api_auth.c — bearer-token authentication for the REST admin API and the
 * record of denied requests (contract in api_int.h). Tokens are compared
 * by their SHA-256 only; neither a token nor the Authorization header ever
 * reaches a log line, an audit row or a response.
 *
 * Lookups are remembered for API_TOKEN_CACHE_MS (hits, misses and revoked
 * tokens alike), so a busy client costs one query per token per period and
 * a revocation takes effect within that period. Denied requests are logged
 * and audited through a token bucket (API_AUDIT_BURST, refilled at
 * API_AUDIT_RATE per second): a flood of bad requests cannot flood the
 * audit table; the count left out is logged and put in the next row.
 */
#include <errno.h>
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bsd/api/api_int.h"
#include "bsd/db/db_audit.h"
#include "bsd/util/log.h"

#define API_AUDIT_BURST 20 /* denied requests audited at once */
#define API_AUDIT_RATE  5  /* per second after that */

uint64_t api_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Looks |hash| up in the cache, else in PostgreSQL. *found: 1 known, 0 not.
 * Returns 0, or -1 when the database could not answer. */
static int api_token_lookup(struct api_call *c, const uint8_t hash[DB_TOKEN_HASH_LEN], db_token_info_t *info,
                            int *found)
{
    struct api *a = c->api;
    uint64_t now = api_now_ms();
    api_token_entry_t *e = &a->cache[(hash[0] | (unsigned)hash[1] << 8) % API_TOKEN_CACHE];
    pthread_mutex_lock(&a->auth_lock);
    bool hit = e->expires_ms > now && memcmp(e->hash, hash, DB_TOKEN_HASH_LEN) == 0;
    if (hit) {
        *found = e->found;
        *info = e->info;
    }
    pthread_mutex_unlock(&a->auth_lock);
    if (hit) {
        atomic_fetch_add_explicit(&a->n.lookup_cache, 1, memory_order_relaxed);
        return 0;
    }
    atomic_fetch_add_explicit(&a->n.lookup_db, 1, memory_order_relaxed);
    db_t *db = api_db(&c->req);
    int r = db ? db_token_lookup(db, hash, info) : -EIO;
    if (r == -EIO && db && (db = api_db_retry(&c->req)) != NULL) r = db_token_lookup(db, hash, info);
    if (r != 0 && r != -ENOENT) return -1;
    *found = r == 0;
    if (!*found) memset(info, 0, sizeof *info);
    pthread_mutex_lock(&a->auth_lock);
    memcpy(e->hash, hash, DB_TOKEN_HASH_LEN);
    e->found = *found;
    e->info = *info;
    e->expires_ms = now + API_TOKEN_CACHE_MS;
    pthread_mutex_unlock(&a->auth_lock);
    return 0;
}

/* Answers 401 with |code| and the RFC 6750 §3 challenge, and records it. */
static int api_unauthorized(struct api_call *c, const char *code, const char *reason, const char *msg)
{
    api_error(&c->resp, 401, code, NULL, "%s", msg);
    api_header_set(&c->resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                   strcmp(code, "missing_token") == 0 ? "Bearer realm=\"bsd\""
                                                      : "Bearer realm=\"bsd\", error=\"invalid_token\"");
    api_deny(c, 401, reason);
    return -1;
}

int api_authenticate(struct api_call *c)
{
    const char *hdr = MHD_lookup_connection_value(c->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    const char *tok;
    size_t len;
    int r = api_bearer_parse(hdr, &tok, &len);
    if (r == -ENOENT)
        return api_unauthorized(c, "missing_token", "missing_token",
                                "This endpoint needs a bearer token: Authorization: Bearer <token>.");
    if (r < 0 || !db_token_well_formed(tok, len))
        return api_unauthorized(c, "invalid_token", "malformed_token",
                                "The bearer token is not valid (unknown, revoked or malformed).");
    uint8_t hash[DB_TOKEN_HASH_LEN];
    db_token_info_t info;
    int found = 0;
    if (db_token_hash(tok, len, hash) != 0 || api_token_lookup(c, hash, &info, &found) != 0) {
        api_error_nodb(&c->resp);
        return -1;
    }
    if (found) {
        snprintf(c->token_name, sizeof c->token_name, "%s", info.name);
        snprintf(c->actor, sizeof c->actor, "api:%s", info.name);
    }
    if (!found || info.revoked || info.role == DB_ROLE_NONE)
        return api_unauthorized(c, "invalid_token", found ? "revoked_token" : "unknown_token",
                                "The bearer token is not valid (unknown, revoked or malformed).");
    c->req.role = info.role;
    return 0;
}

/*
 * Takes one token from the audit bucket. On success *dropped gets how many
 * were left out since the last success. Returns false when the bucket is
 * empty (the request is counted as left out).
 */
static bool api_audit_take(struct api *a, uint64_t now, uint64_t *dropped)
{
    bool ok, first_drop = false;
    pthread_mutex_lock(&a->auth_lock);
    if (a->audit_at_ms == 0) {
        a->audit_tokens = API_AUDIT_BURST;
        a->audit_at_ms = now;
    }
    a->audit_tokens += (double)(now - a->audit_at_ms) * API_AUDIT_RATE / 1000.0;
    if (a->audit_tokens > API_AUDIT_BURST) a->audit_tokens = API_AUDIT_BURST;
    a->audit_at_ms = now;
    ok = a->audit_tokens >= 1.0;
    if (ok) {
        a->audit_tokens -= 1.0;
        *dropped = a->audit_dropped;
        a->audit_dropped = 0;
    } else {
        first_drop = a->audit_dropped++ == 0;
    }
    pthread_mutex_unlock(&a->auth_lock);
    if (first_drop)
        log_msg(BSD_LOG_WARN, "api.denied.suppressing", "burst=%d rate_per_s=%d", API_AUDIT_BURST,
                API_AUDIT_RATE);
    return ok;
}

void api_deny(struct api_call *c, int status, const char *reason)
{
    struct api *a = c->api;
    atomic_fetch_add_explicit(status == 403 ? &a->n.denied_403 : &a->n.denied_401, 1, memory_order_relaxed);
    uint64_t dropped = 0;
    if (!api_audit_take(a, api_now_ms(), &dropped)) {
        atomic_fetch_add_explicit(&a->n.audit_dropped, 1, memory_order_relaxed);
        return;
    }
    /* The path without the query: what was asked for, not its arguments. */
    const char *q = strchr(c->uri, '?');
    size_t plen = q ? (size_t)(q - c->uri) : strlen(c->uri);
    if (plen > 200) plen = 200;
    char object[240], pq[LOG_QUOTE_SIZE(200)];
    snprintf(object, sizeof object, "%s %.*s", c->req.method, (int)plen, c->uri);
    for (char *o = object; *o; o++) /* printable ASCII only: the column is text, the path raw bytes */
        if ((unsigned char)*o < 0x20 || (unsigned char)*o >= 0x7f) *o = '?';
    log_quote(pq, sizeof pq, (const uint8_t *)c->uri, plen);
    const char *actor = c->token_name[0] ? c->actor : "anonymous";
    log_msg(BSD_LOG_INFO, "api.denied", "status=%d reason=%s actor=%s method=%s path=%s remote=%s", status,
            reason, actor, c->req.method, pq, c->remote);
    if (dropped) log_msg(BSD_LOG_WARN, "api.denied.suppressed", "count=%llu", (unsigned long long)dropped);
    json_t *d = json_pack("{s:i, s:s, s:s}", "status", status, "reason", reason, "remote", c->remote);
    if (d && dropped) json_object_set_new(d, "suppressed", json_integer((json_int_t)dropped));
    char *det = d ? json_dumps(d, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(d);
    db_t *db = api_db(&c->req);
    if (db == NULL || db_audit_write(db, actor, "api.denied", object, det) < 0)
        log_msg(BSD_LOG_WARN, "api.denied.audit_failed", "status=%d reason=%s", status, reason);
    free(det);
}
