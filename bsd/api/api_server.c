/*
 * api_server.c — the REST admin API on libmicrohttpd (contract in api.h):
 * listeners, the life of one request, and the pool of PostgreSQL
 * connections. Routing, authentication and parsing live in api_route.c,
 * api_auth.c and api_parse.c; the resources in api_*.c.
 *
 * One request: libmicrohttpd hands us the raw target first (URI log
 * callback: we parse and decode it ourselves, so an encoded '/' in a path
 * parameter stays inside it), then calls the access handler once when the
 * headers are in, once per piece of body, and once at the end. Everything
 * that can refuse a request without its body (404, 405, 401, 403, 415, a
 * Content-Length over the limit) is answered at the first call, before a
 * byte of body is read. A body that grows past the limit while arriving
 * (chunked) is dropped from there on, answered 413 at its end, and the
 * connection is closed if more than API_DISCARD_MAX keeps coming.
 */
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bsd/api/api_int.h"
#include "bsd/util/lex.h"
#include "bsd/util/log.h"

#define API_CONN_LIMIT     256     /* connections per listener */
#define API_CONN_PER_IP    64      /* per client address and listener */
#define API_CONN_TIMEOUT   30      /* seconds a connection may stay idle */
#define API_CONN_MEMORY    65536   /* bytes per connection for headers (libmicrohttpd's pool) */
#define API_TLS_FILE_MAX   1048576 /* largest certificate or key file */
#define API_TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

/* ---- the database pool ------------------------------------------------------- */

db_t *api_db(api_req_t *req)
{
    struct api_call *c = req->call;
    struct api *a = c->api;
    if (c->slot == NULL) {
        pthread_mutex_lock(&a->db_lock);
        api_dbslot_t *pick = NULL;
        for (size_t i = 0; i < a->nslots; i++) {
            if (a->slots[i].busy) continue;
            if (pick == NULL || (a->slots[i].db != NULL && pick->db == NULL)) pick = &a->slots[i];
        }
        if (pick) pick->busy = true;
        pthread_mutex_unlock(&a->db_lock);
        if (pick == NULL) return NULL;
        c->slot = pick;
    }
    if (c->slot->db == NULL) {
        char err[DB_ERR_MAX + 1100];
        if (db_connect(a->db_url, &c->slot->db, err, sizeof err) != 0) {
            /* At most one line per 10 s while the database is away. */
            uint64_t now = api_now_ms(), last = atomic_load(&a->db_warned_ms);
            if ((last == 0 || now - last >= 10000) &&
                atomic_compare_exchange_strong(&a->db_warned_ms, &last, now)) {
                char q[LOG_QUOTE_SIZE(300)];
                log_quote_str(q, sizeof q, err);
                log_msg(BSD_LOG_WARN, "api.db.unavailable", "reason=%s", q);
            }
            c->slot->db = NULL;
            return NULL;
        }
    }
    return c->slot->db;
}

db_t *api_db_retry(api_req_t *req)
{
    struct api_call *c = req->call;
    if (c->slot == NULL || c->slot->db == NULL || PQstatus(db_pg(c->slot->db)) != CONNECTION_BAD) return NULL;
    db_close(c->slot->db);
    c->slot->db = NULL;
    return api_db(req);
}

void api_release_db(struct api_call *c)
{
    api_dbslot_t *s = c->slot;
    if (s == NULL) return;
    c->slot = NULL;
    if (s->db && PQstatus(db_pg(s->db)) == CONNECTION_OK && PQtransactionStatus(db_pg(s->db)) != PQTRANS_IDLE)
        db_rollback(s->db); /* a handler left a transaction open */
    if (s->db &&
        (PQstatus(db_pg(s->db)) != CONNECTION_OK || PQtransactionStatus(db_pg(s->db)) != PQTRANS_IDLE)) {
        db_close(s->db);
        s->db = NULL;
    }
    pthread_mutex_lock(&c->api->db_lock);
    s->busy = false;
    pthread_mutex_unlock(&c->api->db_lock);
}

const char *api_header(const api_req_t *req, const char *name)
{
    if (strcasecmp(name, MHD_HTTP_HEADER_AUTHORIZATION) == 0) return NULL;
    return MHD_lookup_connection_value(req->call->conn, MHD_HEADER_KIND, name);
}

/* ---- one request ------------------------------------------------------------- */

/* libmicrohttpd: a request starts; |uri| is the target exactly as sent. */
static void *api_on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    api_listener_t *l = cls;
    struct api_call *c = calloc(1, sizeof *c);
    if (c == NULL) return NULL;
    c->uri = strndup(uri ? uri : "", API_TARGET_MAX + 1);
    if (c->uri == NULL) {
        free(c);
        return NULL;
    }
    c->api = l->api;
    c->lst = l;
    c->conn = conn;
    c->t0_ms = api_now_ms();
    c->req.call = c;
    c->req.target = c->uri;
    c->req.token_name = c->token_name;
    c->req.remote = c->remote;
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    if (ci && ci->client_addr)
        memcpy(&ss, ci->client_addr,
               ci->client_addr->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                      : sizeof(struct sockaddr_in));
    if (config_format_addr(&ss, c->remote, sizeof c->remote) != 0) snprintf(c->remote, sizeof c->remote, "?");
    return c;
}

/* The body limit of |r|, in bytes. */
static uint64_t api_body_limit(const struct api *a, const api_route_t *r)
{
    if (r->body == API_BODY_NONE) return 0;
    return (r->flags & API_F_IMPORT) ? a->max_import : a->max_body;
}

/* Answers 413 for a body over |limit| bytes. */
static void api_too_large(struct api_call *c)
{
    api_error(&c->resp, 413, "payload_too_large", json_pack("{s:I}", "limit_bytes", (json_int_t)c->limit),
              "The request body is larger than the limit of %llu bytes.", (unsigned long long)c->limit);
}

/* The checks made when the headers are in; may answer in c->resp. */
static void api_begin(struct api_call *c, const char *method)
{
    struct api *a = c->api;
    c->req.method = method;
    c->head = strcmp(method, "HEAD") == 0;
    char msg[API_MSG_MAX];
    if (api_target_parse(c->uri, &c->target, msg, sizeof msg) != 0) {
        api_error(&c->resp, 400, "bad_request", NULL, "%s", msg);
        return;
    }
    /* The resource tables, and the test-only ones when enabled. */
    const api_route_t *tables[API_TABLES_MAX + 2];
    size_t nt = 0;
    for (; api_route_tables[nt] != NULL && nt < API_TABLES_MAX; nt++)
        tables[nt] = api_route_tables[nt];
    if (a->diag) tables[nt++] = api_diag_routes;
    tables[nt] = NULL;
    bool known = false;
    char allow[API_ALLOW_MAX];
    const api_route_t *r =
        api_route_find(tables, method, &c->target, c->params, &c->nparams, &known, allow, sizeof allow);
    c->req.route = r;
    /* Who asks comes before what exists: without a token an unknown path
     * answers 401 as a known one does, so paths cannot be probed. */
    if ((r == NULL || r->role != API_ROLE_PUBLIC) && api_authenticate(c) != 0) goto out;
    if (r == NULL && known) {
        api_error(&c->resp, 405, "method_not_allowed", json_pack("{s:s}", "allow", allow),
                  "%s is not allowed here; allowed: %s.", method, allow);
        api_header_set(&c->resp, MHD_HTTP_HEADER_ALLOW, allow);
        goto out;
    }
    if (r == NULL) {
        api_error(&c->resp, 404, "not_found", NULL, "There is no resource at this path.");
        goto out;
    }
    if (!api_role_allows(r, c->req.role)) {
        api_error(&c->resp, 403, "forbidden",
                  json_pack("{s:s, s:s}", "role", db_token_role_name(c->req.role), "required",
                            r->role == API_ROLE_VIEWER && (r->flags & API_F_METRICS)
                                ? "viewer or metrics"
                                : db_token_role_name(r->role)),
                  "The token's role (%s) may not do this.", db_token_role_name(c->req.role));
        api_deny(c, 403, "insufficient_role");
        goto out;
    }
    const char *bad = api_route_bad_query(r, &c->target);
    if (bad) {
        api_error(&c->resp, 400, "unknown_parameter", json_pack("{s:s}", "parameter", bad),
                  "Query parameter '%.64s' is not known here%s%s.", bad, r->query ? "; known: " : "",
                  r->query ? r->query : "");
        goto out;
    }
    c->limit = api_body_limit(a, r);
    const char *cl = MHD_lookup_connection_value(c->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
    uint64_t clen = 0;
    if (cl && api_parse_u64(cl, 0, UINT64_MAX >> 1, &clen) != 0) clen = 0;
    if (r->body == API_BODY_NONE) {
        if (clen > 0)
            api_error(&c->resp, 400, "unexpected_body", NULL, "This endpoint takes no request body.");
        goto out;
    }
    const char *types = r->content_types ? r->content_types : "application/json";
    const char *ct = MHD_lookup_connection_value(c->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    if (!api_media_type_in(ct, types)) {
        api_error(&c->resp, 415, "unsupported_media_type", json_pack("{s:s}", "accepted", types),
                  "The request body must be sent as %s (Content-Type).", types);
        goto out;
    }
    if (clen > c->limit) api_too_large(c);
out:
    api_release_db(c);
}

/* One piece of body. Returns false to close the connection. */
static bool api_body_piece(struct api_call *c, const char *data, size_t n)
{
    if (c->resp.status != 0) { /* an answer is decided: drop the rest, within reason */
        c->discarded += n;
        return c->discarded <= API_DISCARD_MAX;
    }
    c->req.body_bytes += n;
    const api_route_t *r = c->req.route;
    if (c->req.body_bytes > c->limit) {
        if (r->body == API_BODY_NONE)
            api_error(&c->resp, 400, "unexpected_body", NULL, "This endpoint takes no request body.");
        else
            api_too_large(c);
        c->discarded = n;
        return true;
    }
    if (r->body == API_BODY_STREAM) {
        if (r->on_chunk(&c->req, data, n, &c->resp) != 0 && c->resp.status == 0)
            api_error(&c->resp, 500, "internal_error", NULL, "The upload failed.");
        api_release_db(c);
        return true;
    }
    if (c->len + n + 1 > c->cap) {
        size_t want = c->cap ? c->cap : 4096;
        while (want < c->len + n + 1)
            want *= 2;
        if (want > c->limit + 1) want = (size_t)c->limit + 1;
        char *b = realloc(c->buf, want);
        if (b == NULL) {
            api_error(&c->resp, 503, "out_of_memory", NULL, "The server is out of memory; try again later.");
            return true;
        }
        c->buf = b;
        c->cap = want;
    }
    memcpy(c->buf + c->len, data, n);
    c->len += n;
    c->buf[c->len] = 0;
    return true;
}

/* The whole body is in: parse it and call the handler. */
static void api_finish(struct api_call *c)
{
    const api_route_t *r = c->req.route;
    if (r->body == API_BODY_JSON) {
        api_json_error_t je;
        if (api_json_parse(c->buf, c->len, &c->req.json, &je) != 0) {
            api_error(&c->resp, 400, "malformed_json",
                      json_pack("{s:i, s:i, s:I}", "line", je.line, "column", je.column, "position",
                                (json_int_t)je.position),
                      "%s", je.text);
            return;
        }
    }
    if (r->body == API_BODY_JSON || r->body == API_BODY_RAW) {
        c->req.body = c->buf ? c->buf : "";
        c->req.body_len = c->len;
    }
    c->handled = true;
    int rc = r->handler(&c->req, &c->resp);
    if (c->resp.status == 0 || (rc < 0 && c->resp.status < 400))
        api_error(&c->resp, 500, "internal_error", NULL, "The request failed inside the server.");
    api_release_db(c);
}

/* Hands c->resp to libmicrohttpd. */
static enum MHD_Result api_send(struct api_call *c)
{
    api_resp_t *rs = &c->resp;
    struct MHD_Response *m = MHD_create_response_from_buffer(rs->len, rs->body, MHD_RESPMEM_MUST_FREE);
    if (m == NULL) return MHD_NO;
    rs->body = NULL; /* libmicrohttpd frees it */
    MHD_add_response_header(m, MHD_HTTP_HEADER_CONTENT_TYPE, rs->ctype ? rs->ctype : "application/json");
    MHD_add_response_header(m, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(m, "X-Content-Type-Options", "nosniff");
    for (size_t i = 0; i < rs->nhdr; i++)
        MHD_add_response_header(m, rs->hdr[i].name, rs->hdr[i].value);
    enum MHD_Result q = MHD_queue_response(c->conn, (unsigned)rs->status, m);
    MHD_destroy_response(m);
    int cls = rs->status / 100;
    atomic_fetch_add_explicit(&c->api->n.status[cls >= 2 && cls <= 5 ? cls : 0], 1, memory_order_relaxed);
    int lvl =
        rs->status < 400 && (c->head || strcmp(c->req.method, "GET") == 0) ? BSD_LOG_DEBUG : BSD_LOG_INFO;
    if (log_enabled(lvl)) {
        const char *qm = strchr(c->uri, '?');
        size_t plen = qm ? (size_t)(qm - c->uri) : strlen(c->uri);
        char pq[LOG_QUOTE_SIZE(160)], mq[LOG_QUOTE_SIZE(16)];
        log_quote(pq, sizeof pq, (const uint8_t *)c->uri, plen > 160 ? 160 : plen);
        log_quote_str(mq, sizeof mq, c->req.method ? c->req.method : "?");
        log_msg(lvl, "api.request", "method=%s path=%s status=%d actor=%s remote=%s ms=%llu", mq, pq,
                rs->status, c->token_name[0] ? c->actor : "-", c->remote,
                (unsigned long long)(api_now_ms() - c->t0_ms));
    }
    return q;
}

/* libmicrohttpd's access handler: see the file comment. */
static enum MHD_Result api_on_access(void *cls, struct MHD_Connection *conn, const char *url,
                                     const char *method, const char *version, const char *data, size_t *size,
                                     void **req_cls)
{
    struct api_call *c = *req_cls;
    if (c == NULL) return MHD_NO; /* out of memory when the request began */
    c->conn = conn;
    if (c->phase == 0) {
        c->phase = 1;
        api_begin(c, method);
        return c->resp.status ? api_send(c) : MHD_YES;
    }
    if (*size > 0) {
        size_t n = *size;
        *size = 0;
        return api_body_piece(c, data, n) ? MHD_YES : MHD_NO;
    }
    if (c->resp.status == 0) api_finish(c);
    return api_send(c);
}

/* libmicrohttpd: the request is over (answered, or the client went away). */
static void api_on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                             enum MHD_RequestTerminationCode toe)
{
    struct api_call *c = *req_cls;
    if (c == NULL) return;
    *req_cls = NULL;
    /* stream_free may still use this request's connection (api_db). */
    const api_route_t *r = c->req.route;
    if (!c->handled && c->req.stream && r && r->stream_free) r->stream_free(c->req.stream);
    api_release_db(c);
    json_decref(c->req.json);
    free(c->resp.body);
    free(c->buf);
    api_target_free(&c->target);
    free(c->uri);
    free(c);
}

/* libmicrohttpd's own messages, as log lines. */
static void api_on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char m[256], q[LOG_QUOTE_SIZE(255)];
    vsnprintf(m, sizeof m, fmt, ap);
    size_t n = strlen(m);
    while (n > 0 && (m[n - 1] == '\n' || m[n - 1] == '.'))
        m[--n] = 0;
    log_quote(q, sizeof q, (const uint8_t *)m, n);
    log_msg(BSD_LOG_WARN, "api.http", "listener=%s message=%s", ((api_listener_t *)cls)->name, q);
}

int api_keyring(api_req_t *req, db_secretbox_t *sb, char *err, size_t errcap)
{
    const char *file = req->call->api->keys_file;
    /* Read at each use, as the daemon does at each reload: a key appended
     * for rotation is used without a restart. */
    return file ? db_secretbox_load_file(sb, file, err, errcap)
                : db_secretbox_load_env(sb, "BSD_SECRET_KEYS", err, errcap);
}

/* ---- life cycle -------------------------------------------------------------- */

/* Reads a PEM file into a NUL-terminated buffer. */
static int api_read_pem(const char *path, const char *what, char **out, size_t *len, char *err, size_t errcap)
{
    int r = lex_load_file(path, API_TLS_FILE_MAX, out, len, NULL, err, errcap);
    if (r < 0) return r;
    char *b = realloc(*out, *len + 1);
    if (b == NULL) {
        free(*out);
        *out = NULL;
        snprintf(err, errcap, "%s: out of memory", path);
        return -ENOMEM;
    }
    b[*len] = 0;
    *out = b;
    if (strstr(b, "-----BEGIN ") == NULL) {
        explicit_bzero(b, *len);
        free(b);
        *out = NULL;
        snprintf(err, errcap, "%s: %s: no PEM block found", path, what);
        return -EINVAL;
    }
    return 0;
}

int api_check(const bsd_config_t *cfg, char *err, size_t errcap)
{
    if (cfg->api.listen.count == 0) return 0;
    char *cert = NULL, *key = NULL;
    size_t clen = 0, klen = 0;
    int r = api_read_pem(cfg->api.tls_cert, "api.tls_cert", &cert, &clen, err, errcap);
    if (r == 0) r = api_read_pem(cfg->api.tls_key, "api.tls_key", &key, &klen, err, errcap);
    free(cert);
    if (key) explicit_bzero(key, klen);
    free(key);
    return r;
}

/* Binds and listens on |a| (TCP). Returns the socket or -errno. */
static int api_listen(const config_addr_t *a)
{
    int fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return -errno;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (a->ss.ss_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (bind(fd, (const struct sockaddr *)&a->ss, a->len) != 0 || listen(fd, 128) != 0) {
        int e = -errno;
        close(fd);
        return e;
    }
    return fd;
}

api_t *api_open(const bsd_config_t *cfg, bool diag, char *err, size_t errcap)
{
    struct api *a = calloc(1, sizeof *a);
    if (a == NULL) {
        snprintf(err, errcap, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&a->db_lock, NULL);
    pthread_mutex_init(&a->auth_lock, NULL);
    for (size_t i = 0; i < API_LISTENERS_MAX; i++)
        a->lst[i].fd = -1;
    a->db_url = strdup(cfg->db_url ? cfg->db_url : "");
    a->keys_file = cfg->secret_keys_file ? strdup(cfg->secret_keys_file) : NULL;
    a->threads = cfg->api.threads ? cfg->api.threads : 1;
    a->max_body = (uint64_t)cfg->api.max_body_kib << 10;
    a->max_import = (uint64_t)cfg->api.max_import_mib << 20;
    a->diag = diag;
    if (a->db_url == NULL || (cfg->secret_keys_file && a->keys_file == NULL)) {
        snprintf(err, errcap, "out of memory");
        goto fail;
    }
    if (cfg->api.listen.count > 0) {
        size_t clen;
        if (api_read_pem(cfg->api.tls_cert, "api.tls_cert", &a->tls_cert, &clen, err, errcap) != 0 ||
            api_read_pem(cfg->api.tls_key, "api.tls_key", &a->tls_key, &a->tls_key_len, err, errcap) != 0)
            goto fail;
    }
    for (int tls = 1; tls >= 0; tls--) {
        const config_addr_list_t *list = tls ? &cfg->api.listen : &cfg->api.http_listen;
        for (size_t i = 0; i < list->count; i++) {
            api_listener_t *l = &a->lst[a->nlst];
            l->api = a;
            l->tls = tls;
            if (config_format_addr(&list->addr[i].ss, l->name, sizeof l->name) != 0)
                snprintf(l->name, sizeof l->name, "?");
            l->fd = api_listen(&list->addr[i]);
            if (l->fd < 0) {
                snprintf(err, errcap, "api: cannot listen on %s: %s", l->name, strerror(-l->fd));
                goto fail;
            }
            a->nlst++;
        }
    }
    a->nslots = a->nlst * a->threads;
    a->slots = calloc(a->nslots ? a->nslots : 1, sizeof *a->slots);
    if (a->slots == NULL) {
        snprintf(err, errcap, "out of memory");
        goto fail;
    }
    return a;
fail:
    api_close(a);
    return NULL;
}

int api_start(api_t *a, const api_hooks_t *hooks, char *err, size_t errcap)
{
    a->hooks = *hooks;
    for (size_t i = 0; i < a->nlst; i++) {
        api_listener_t *l = &a->lst[i];
        int fd = fcntl(l->fd, F_DUPFD_CLOEXEC, 0);
        if (fd < 0) {
            snprintf(err, errcap, "api: %s: %s", l->name, strerror(errno));
            return -errno;
        }
        struct MHD_OptionItem opts[16];
        size_t n = 0;
#define API_OPT(o, v, p) opts[n++] = (struct MHD_OptionItem){(o), (intptr_t)(v), (p)}
        /* The logger first: libmicrohttpd logs through the default one
         * until it has seen this option. */
        API_OPT(MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)api_on_mhd_log, l);
        API_OPT(MHD_OPTION_LISTEN_SOCKET, fd, NULL);
        API_OPT(MHD_OPTION_THREAD_POOL_SIZE, a->threads, NULL);
        API_OPT(MHD_OPTION_CONNECTION_LIMIT, API_CONN_LIMIT, NULL);
        API_OPT(MHD_OPTION_PER_IP_CONNECTION_LIMIT, API_CONN_PER_IP, NULL);
        API_OPT(MHD_OPTION_CONNECTION_TIMEOUT, API_CONN_TIMEOUT, NULL);
        API_OPT(MHD_OPTION_CONNECTION_MEMORY_LIMIT, API_CONN_MEMORY, NULL);
        API_OPT(MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)api_on_uri, l);
        API_OPT(MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)api_on_completed, l);
        if (l->tls) {
            API_OPT(MHD_OPTION_HTTPS_MEM_CERT, 0, a->tls_cert);
            API_OPT(MHD_OPTION_HTTPS_MEM_KEY, 0, a->tls_key);
            API_OPT(MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)API_TLS_PRIORITIES);
        }
        API_OPT(MHD_OPTION_END, 0, NULL);
#undef API_OPT
        unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
        if (l->tls) flags |= MHD_USE_TLS;
        l->mhd =
            MHD_start_daemon(flags, 0, NULL, NULL, api_on_access, l, MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
        if (l->mhd == NULL) {
            close(fd);
            snprintf(err, errcap, "api: cannot serve %s on %s (check api.tls_cert and api.tls_key)",
                     l->tls ? "HTTPS" : "HTTP", l->name);
            return -EIO;
        }
        log_msg(BSD_LOG_INFO, "api.listening", "addr=%s tls=%s threads=%u", l->name, l->tls ? "yes" : "no",
                a->threads);
    }
    return 0;
}

void api_close(api_t *a)
{
    if (a == NULL) return;
    for (size_t i = 0; i < API_LISTENERS_MAX; i++) {
        if (a->lst[i].mhd) MHD_stop_daemon(a->lst[i].mhd);
        if (a->lst[i].fd >= 0) close(a->lst[i].fd);
    }
    for (size_t i = 0; a->slots && i < a->nslots; i++)
        db_close(a->slots[i].db);
    free(a->slots);
    if (a->tls_key) explicit_bzero(a->tls_key, a->tls_key_len);
    free(a->tls_key);
    free(a->tls_cert);
    free(a->db_url);
    free(a->keys_file);
    pthread_mutex_destroy(&a->db_lock);
    pthread_mutex_destroy(&a->auth_lock);
    free(a);
}
