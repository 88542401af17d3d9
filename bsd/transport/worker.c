/*
 * worker.c — the event loop of one worker thread (see worker.h).
 *
 * State per peer exists only after a ClientHello carried a valid cookie:
 * cookie-less ClientHellos are answered with a HelloVerifyRequest by a
 * per-worker "listener" WOLFSSL object whose cookie logic is stateless
 * (wolfSSL 5.7.2 DoClientHelloStateless). When the listener answers a
 * cookie-verified ClientHello with a ServerHello it has become a real
 * connection: it is promoted to a session and a fresh listener takes its
 * place. Spoofed ClientHellos therefore cost one HMAC and leave nothing.
 *
 * Two listeners exist, one per server certificate type (X.509 chain, raw
 * public key); the ClientHello's server_certificate_type picks one.
 */
#include "bsd/transport/worker.h"

#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <wolfssl/wolfcrypt/sha256.h>

#include "bsd/transport/udp.h"
#include "bsd/util/log.h"

/* DTLS 1.2 record expansion budget for application data: header 13 +
 * explicit IV/nonce up to 16 + MAC 32 + padding 16 (CBC-SHA256 worst case). */
#define DTLS_OVERHEAD 77

enum sess_state { S_LISTENER = 0, S_HANDSHAKE, S_OPEN, S_DEAD };

typedef struct sess {
    struct sess *hnext; /* hash chain */
    struct worker *w;
    size_t heap_idx;   /* position in the timer heap, or SIZE_MAX */
    uint64_t deadline; /* ms, monotonic */
    uint64_t created, last_rx;
    struct sockaddr_storage peer;
    socklen_t peerlen;
    uint32_t hash;
    int sock; /* index into w->dtls_fd */
    WOLFSSL *ssl;
    enum sess_state state;
    uint8_t promoted;  /* listener answered with a ServerHello */
    int alert_sent;    /* last plaintext alert we sent, or -1 */
    int last_err;      /* wolfSSL error of a failed listener run */
    const uint8_t *in; /* pending datagram for the recv callback */
    size_t inlen;
    dtls_hs_t hs;
    dtls_auth_t auth;
    void *app;             /* application session state */
    uint64_t app_deadline; /* when the application's on_timer is due; 0 = none */
    uint8_t plain;         /* a plain-CoAP peer adopted by the application (no ssl) */
} sess_t;

/* The send path handed to the application for one callback. */
struct worker_io {
    struct worker *w;
    sess_t *s;                         /* NULL for a plain peer without a session */
    int fd;                            /* plain socket */
    const struct sockaddr_storage *to; /* plain peer address */
    socklen_t tolen;
    size_t max; /* max CoAP message size */
    int failed; /* a DTLS write failed */
};

typedef struct rate_slot {
    uint64_t key;
    uint64_t last_ms;
    uint32_t tokens_milli; /* tokens × 1000 */
} rate_slot_t;

typedef struct txq {
    struct mmsghdr msg[WORKER_BATCH];
    struct iovec iov[WORKER_BATCH];
    struct sockaddr_storage addr[WORKER_BATCH];
    int fd[WORKER_BATCH];
    uint8_t buf[WORKER_BATCH][WORKER_TX_BUF];
    int n;
} txq_t;

struct worker {
    int id;
    pthread_t thread;
    int started;
    int epfd, evfd;
    int dtls_fd[WORKER_MAX_SOCKETS], ndtls;
    int coap_fd[WORKER_MAX_SOCKETS], ncoap;
    worker_limits_t lim;
    bsd_gen_t *_Atomic *genp;
    bsd_gen_t *gen; /* generation in use */
    atomic_ullong acked_gen;
    atomic_int stop;
    worker_app_t app;
    worker_stats_t stats;
    uint64_t now;

    sess_t **table; /* peer → session */
    size_t tcap, nsess;
    sess_t **heap; /* timer min-heap */
    size_t nheap, heapcap;

    sess_t *lst[2]; /* listeners: [0] X.509, [1] RPK */
    uint8_t cookie_secret[32];
    uint64_t cookie_next_rotate;

    rate_slot_t rate[WORKER_RATE_SLOTS];
    txq_t tx;

    /* receive batch */
    struct mmsghdr rmsg[WORKER_BATCH];
    struct iovec riov[WORKER_BATCH];
    struct sockaddr_storage raddr[WORKER_BATCH];
    uint8_t rbuf[WORKER_BATCH][WORKER_RX_BUF];
    uint8_t app_in[WORKER_RX_BUF];
    uint8_t app_out[WORKER_TX_BUF];
};

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- transmit queue ---------------------------------------------------- */

static void tx_flush(worker_t *w)
{
    txq_t *q = &w->tx;
    int i = 0;
    while (i < q->n) {
        int j = i;
        while (j < q->n && q->fd[j] == q->fd[i])
            j++;
        int off = i;
        while (off < j) {
            int r = sendmmsg(q->fd[i], &q->msg[off], (unsigned)(j - off), 0);
            if (r <= 0) {
                if (r < 0 && errno == EINTR) continue;
                /* EAGAIN or a per-destination error: drop the rest of this run;
                 * DTLS and CoAP retransmit. */
                atomic_fetch_add_explicit(&w->stats.dropped, (unsigned long)(j - off), memory_order_relaxed);
                break;
            }
            off += r;
        }
        i = j;
    }
    q->n = 0;
}

static int tx_push(worker_t *w, int fd, const struct sockaddr_storage *to, socklen_t tolen,
                   const uint8_t *data, size_t len)
{
    txq_t *q = &w->tx;
    if (len > WORKER_TX_BUF || len > w->lim.max_datagram) return -1;
    if (q->n == WORKER_BATCH) tx_flush(w);
    int i = q->n++;
    memcpy(q->buf[i], data, len);
    memcpy(&q->addr[i], to, tolen);
    q->iov[i].iov_base = q->buf[i];
    q->iov[i].iov_len = len;
    memset(&q->msg[i], 0, sizeof(q->msg[i]));
    q->msg[i].msg_hdr.msg_name = &q->addr[i];
    q->msg[i].msg_hdr.msg_namelen = tolen;
    q->msg[i].msg_hdr.msg_iov = &q->iov[i];
    q->msg[i].msg_hdr.msg_iovlen = 1;
    q->fd[i] = fd;
    return 0;
}

/* ---- session table ----------------------------------------------------- */

static uint32_t addr_hash(const struct sockaddr_storage *a, socklen_t len, int sock)
{
    const uint8_t *p = (const uint8_t *)a;
    uint32_t h = 2166136261u ^ (uint32_t)sock;
    for (socklen_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 16777619u;
    }
    return h;
}

/* Normalises the parts of a sockaddr that the kernel may leave unset, so
 * byte comparison of addresses is exact. */
static socklen_t addr_norm(struct sockaddr_storage *a)
{
    if (a->ss_family == AF_INET) {
        memset(((struct sockaddr_in *)a)->sin_zero, 0, 8);
        return sizeof(struct sockaddr_in);
    }
    ((struct sockaddr_in6 *)a)->sin6_flowinfo = 0;
    return sizeof(struct sockaddr_in6);
}

static sess_t *table_find(worker_t *w, const struct sockaddr_storage *a, socklen_t len, int sock, uint32_t h)
{
    for (sess_t *s = w->table[h & (w->tcap - 1)]; s; s = s->hnext)
        if (s->hash == h && s->sock == sock && s->peerlen == len && memcmp(&s->peer, a, len) == 0) return s;
    return NULL;
}

static void table_grow(worker_t *w)
{
    size_t ncap = w->tcap * 2;
    sess_t **nt = calloc(ncap, sizeof(*nt));
    if (!nt) return; /* keep the longer chains */
    for (size_t i = 0; i < w->tcap; i++) {
        sess_t *s = w->table[i];
        while (s) {
            sess_t *next = s->hnext;
            s->hnext = nt[s->hash & (ncap - 1)];
            nt[s->hash & (ncap - 1)] = s;
            s = next;
        }
    }
    free(w->table);
    w->table = nt;
    w->tcap = ncap;
}

static void table_insert(worker_t *w, sess_t *s)
{
    if (w->nsess + 1 > w->tcap) table_grow(w);
    sess_t **b = &w->table[s->hash & (w->tcap - 1)];
    s->hnext = *b;
    *b = s;
    w->nsess++;
    atomic_store_explicit(&w->stats.sessions, w->nsess, memory_order_relaxed);
}

static void table_remove(worker_t *w, sess_t *s)
{
    sess_t **pp = &w->table[s->hash & (w->tcap - 1)];
    while (*pp && *pp != s)
        pp = &(*pp)->hnext;
    if (*pp) {
        *pp = s->hnext;
        w->nsess--;
        atomic_store_explicit(&w->stats.sessions, w->nsess, memory_order_relaxed);
    }
}

/* ---- timer heap -------------------------------------------------------- */

static void heap_swap(worker_t *w, size_t a, size_t b)
{
    sess_t *t = w->heap[a];
    w->heap[a] = w->heap[b];
    w->heap[b] = t;
    w->heap[a]->heap_idx = a;
    w->heap[b]->heap_idx = b;
}

static void heap_up(worker_t *w, size_t i)
{
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (w->heap[p]->deadline <= w->heap[i]->deadline) break;
        heap_swap(w, p, i);
        i = p;
    }
}

static void heap_down(worker_t *w, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < w->nheap && w->heap[l]->deadline < w->heap[m]->deadline) m = l;
        if (r < w->nheap && w->heap[r]->deadline < w->heap[m]->deadline) m = r;
        if (m == i) break;
        heap_swap(w, i, m);
        i = m;
    }
}

static void heap_remove(worker_t *w, sess_t *s)
{
    size_t i = s->heap_idx;
    if (i == SIZE_MAX) return;
    w->nheap--;
    if (i != w->nheap) {
        w->heap[i] = w->heap[w->nheap];
        w->heap[i]->heap_idx = i;
        heap_down(w, i);
        heap_up(w, i);
    }
    s->heap_idx = SIZE_MAX;
}

static void sess_set_deadline(worker_t *w, sess_t *s, uint64_t when)
{
    s->deadline = when;
    if (s->heap_idx == SIZE_MAX) {
        if (w->nheap == w->heapcap) {
            size_t nc = w->heapcap ? w->heapcap * 2 : 256;
            sess_t **nh = realloc(w->heap, nc * sizeof(*nh));
            if (!nh) return; /* no timer; the idle sweep at reload catches it */
            w->heap = nh;
            w->heapcap = nc;
        }
        s->heap_idx = w->nheap;
        w->heap[w->nheap++] = s;
        heap_up(w, s->heap_idx);
    } else {
        heap_down(w, s->heap_idx);
        heap_up(w, s->heap_idx);
    }
}

/* ---- wolfSSL custom I/O ------------------------------------------------ */

static int io_recv(WOLFSSL *ssl, char *buf, int sz, void *ctx)
{
    (void)ssl;
    sess_t *s = ctx;
    if (!s->in || s->inlen == 0) return WOLFSSL_CBIO_ERR_WANT_READ;
    size_t n = s->inlen < (size_t)sz ? s->inlen : (size_t)sz;
    memcpy(buf, s->in, n);
    s->in = NULL;
    s->inlen = 0;
    return (int)n;
}

static int io_send(WOLFSSL *ssl, char *buf, int sz, void *ctx)
{
    (void)ssl;
    sess_t *s = ctx;
    worker_t *w = s->w;
    const uint8_t *b = (const uint8_t *)buf;
    if (s->state == S_LISTENER) {
        /* Content type 22, first handshake message: 3 = HelloVerifyRequest,
         * 2 = ServerHello (the cookie was valid: the listener became stateful). */
        if (sz > 13 && b[0] == 22 && b[13] == 2) s->promoted = 1;
        if (sz > 13 && b[0] == 22 && b[13] == 3)
            atomic_fetch_add_explicit(&w->stats.hello_verify_sent, 1, memory_order_relaxed);
    }
    int alert = dtls_peek_alert(b, (size_t)sz);
    if (alert >= 0) s->alert_sent = alert;
    if (tx_push(w, w->dtls_fd[s->sock], &s->peer, s->peerlen, b, (size_t)sz) != 0) {
        log_msg(BSD_LOG_WARN, "dtls.send.oversize", "worker=%d size=%d limit=%u", w->id, sz,
                (unsigned)w->lim.max_datagram);
    }
    return sz;
}

/* ---- sessions ---------------------------------------------------------- */

static sess_t *sess_alloc(worker_t *w, WOLFSSL_CTX *ctx)
{
    sess_t *s = calloc(1, sizeof(*s));
    if (!s) return NULL;
    s->w = w;
    s->heap_idx = SIZE_MAX;
    s->alert_sent = -1;
    s->ssl = wolfSSL_new(ctx);
    if (!s->ssl) {
        free(s);
        return NULL;
    }
    wolfSSL_dtls_set_using_nonblock(s->ssl, 1);
    wolfSSL_dtls_set_mtu(s->ssl, w->lim.max_datagram);
    wolfSSL_SSLSetIORecv(s->ssl, io_recv);
    wolfSSL_SSLSetIOSend(s->ssl, io_send);
    wolfSSL_SetIOReadCtx(s->ssl, s);
    wolfSSL_SetIOWriteCtx(s->ssl, s);
    s->hs.ssl = s->ssl;
    s->hs.auth = &s->auth;
    s->hs.creds = w->gen->creds;
    wolfSSL_set_ex_data(s->ssl, 0, &s->hs);
    wolfSSL_SetCertCbCtx(s->ssl, &s->hs);
    wolfSSL_DTLS_SetCookieSecret(s->ssl, w->cookie_secret, sizeof(w->cookie_secret));
    return s;
}

static void sess_free(worker_t *w, sess_t *s)
{
    heap_remove(w, s);
    if (s->app && w->app.sess_close) w->app.sess_close(w->app.ctx, s->app);
    if (s->ssl) wolfSSL_free(s->ssl);
    explicit_bzero(&s->auth, sizeof(s->auth));
    free(s);
}

static void sess_close(worker_t *w, sess_t *s, int notify)
{
    if (notify && s->ssl && s->state == S_OPEN) wolfSSL_shutdown(s->ssl); /* close_notify */
    table_remove(w, s);
    sess_free(w, s);
}

static const char *peer_str(const sess_t *s, char *buf, size_t cap)
{
    return udp_addr_str((const struct sockaddr *)&s->peer, buf, cap);
}

static const char *const hs_fail_reasons[WORKER_HS_FAIL_N] = WORKER_HS_FAIL_REASONS;

int worker_hs_fail_index(const char *reason)
{
    for (int i = 0; reason && i < WORKER_HS_FAIL_N; i++)
        if (strcmp(reason, hs_fail_reasons[i]) == 0) return i;
    return 0;
}

const char *worker_hs_fail_name(int i)
{
    return i >= 0 && i < WORKER_HS_FAIL_N ? hs_fail_reasons[i] : NULL;
}

/* Counts a failed handshake, in all and by its reason. */
static void count_hs_failure(worker_t *w, const char *reason)
{
    atomic_fetch_add_explicit(&w->stats.handshakes_failed, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&w->stats.handshakes_failed_by[worker_hs_fail_index(reason)], 1,
                              memory_order_relaxed);
}

static void handshake_failed(worker_t *w, sess_t *s, int err, const char *stage)
{
    char pb[64], eb[96], eq[LOG_QUOTE_SIZE(96)];
    wolfSSL_ERR_error_string_n((unsigned long)err, eb, sizeof(eb));
    log_quote(eq, sizeof(eq), (const uint8_t *)eb, strnlen(eb, sizeof(eb)));
    count_hs_failure(w, s->auth.fail_reason);
    log_msg(BSD_LOG_INFO, "dtls.handshake.failed",
            "worker=%d peer=%s stage=%s reason=%s alert=%s error=%d detail=%s", w->id,
            peer_str(s, pb, sizeof(pb)), stage, s->auth.fail_reason ? s->auth.fail_reason : "protocol",
            s->alert_sent >= 0 ? dtls_alert_name(s->alert_sent) : "none", err, eq);
}

int worker_io_send(worker_io_t *io, const uint8_t *msg, size_t len)
{
    if (!io || len == 0 || len > io->max) return -1;
    if (io->s && io->s->ssl) {
        if (io->s->state != S_OPEN || wolfSSL_write(io->s->ssl, msg, (int)len) != (int)len) {
            io->failed = 1;
            return -1;
        }
        return 0;
    }
    return tx_push(io->w, io->fd, io->to, io->tolen, msg, len);
}

static size_t dtls_max_coap(const worker_t *w)
{
    return w->lim.max_datagram > DTLS_OVERHEAD ? w->lim.max_datagram - DTLS_OVERHEAD : 0;
}

/* The application's view of session |s|; |io| is filled in for sends. */
static worker_peer_t sess_peer(worker_t *w, sess_t *s, worker_io_t *io)
{
    size_t max = s->plain ? w->lim.max_datagram : dtls_max_coap(w);
    *io = (worker_io_t){.w = w,
                        .s = s,
                        .fd = s->plain ? w->coap_fd[s->sock - WORKER_MAX_SOCKETS] : -1,
                        .to = &s->peer,
                        .tolen = s->peerlen,
                        .max = max};
    worker_peer_t p = {
        .addr = (const struct sockaddr *)&s->peer,
        .addrlen = s->peerlen,
        .auth = s->plain ? NULL : &s->auth,
        .max_coap = max,
        .io = io,
        .adopt = NULL,
    };
    return p;
}

/* Re-reads the leaf the peer presented through wolfSSL_get_peer_chain and
 * checks it is the one the verify callback bound to the device: the binding
 * must never rest on a certificate other than the one the handshake proved. */
static int peer_chain_matches(sess_t *s)
{
    if (s->auth.kind != CREDS_X509) return 1;
    WOLFSSL_X509_CHAIN *chain = wolfSSL_get_peer_chain(s->ssl);
    if (!chain || wolfSSL_get_chain_count(chain) < 1) return 0;
    const unsigned char *der = wolfSSL_get_chain_cert(chain, 0);
    int len = wolfSSL_get_chain_length(chain, 0);
    uint8_t fp[32];
    if (!der || len <= 0 || wc_Sha256Hash(der, (word32)len, fp) != 0) return 0;
    return memcmp(fp, s->auth.cert_sha256, 32) == 0;
}

static void handshake_done(worker_t *w, sess_t *s)
{
    char pb[64], eq[300];
    if (s->auth.kind == CREDS_NONE || !peer_chain_matches(s)) {
        /* Cannot happen with the callbacks in dtls.c; refuse rather than
         * serve an unauthenticated or mis-bound peer. */
        log_msg(BSD_LOG_ERROR, "dtls.handshake.unbound", "worker=%d peer=%s", w->id,
                peer_str(s, pb, sizeof(pb)));
        s->state = S_DEAD;
        return;
    }
    s->state = S_OPEN;
    atomic_fetch_add_explicit(&w->stats.handshakes_ok, 1, memory_order_relaxed);
    log_quote(eq, sizeof(eq), (const uint8_t *)s->auth.endpoint, strlen(s->auth.endpoint));
    log_msg(BSD_LOG_INFO, "dtls.handshake.ok", "worker=%d peer=%s cred=%s endpoint=%s suite=%s", w->id,
            peer_str(s, pb, sizeof(pb)), creds_kind_name(s->auth.kind), eq, wolfSSL_get_cipher(s->ssl));
    if (w->app.sess_open) {
        worker_io_t io;
        worker_peer_t p = sess_peer(w, s, &io);
        s->app = w->app.sess_open(w->app.ctx, &p);
    }
}

/* Runs wolfSSL over the pending datagram; returns 0, or -1 when the session
 * ended and was freed. */
static int sess_drive(worker_t *w, sess_t *s)
{
    if (s->state == S_HANDSHAKE || s->state == S_LISTENER) {
        int r = wolfSSL_accept(s->ssl);
        if (r == WOLFSSL_SUCCESS) {
            handshake_done(w, s);
            if (s->state != S_OPEN) return -1;
        } else {
            int e = wolfSSL_get_error(s->ssl, r);
            if (e != WOLFSSL_ERROR_WANT_READ && e != WOLFSSL_ERROR_WANT_WRITE) {
                if (s->state == S_LISTENER && !s->promoted) {
                    s->last_err = e;
                    return -2; /* the caller logs and resets the listener */
                }
                handshake_failed(w, s, e, "handshake");
                return -1;
            }
            return 0;
        }
    }
    for (;;) {
        int n = wolfSSL_read(s->ssl, w->app_in, sizeof(w->app_in));
        if (n > 0) {
            atomic_fetch_add_explicit(&w->stats.coap_in, 1, memory_order_relaxed);
            worker_io_t io;
            worker_peer_t p = sess_peer(w, s, &io);
            uint64_t d = w->app.on_coap
                             ? w->app.on_coap(w->app.ctx, s->app, &p, w->gen, w->app_in, (size_t)n, w->now)
                             : 0;
            if (io.failed) return -1;
            if (d == WORKER_CLOSE) {
                s->app_deadline = WORKER_CLOSE;
                return 0; /* the caller closes with close_notify */
            }
            s->app_deadline = d;
            continue;
        }
        int e = wolfSSL_get_error(s->ssl, n);
        if (e == WOLFSSL_ERROR_WANT_READ || e == WOLFSSL_ERROR_WANT_WRITE) return 0;
        char pb[64];
        log_msg(BSD_LOG_INFO, "dtls.session.closed", "worker=%d peer=%s reason=%s", w->id,
                peer_str(s, pb, sizeof(pb)), e == WOLFSSL_ERROR_ZERO_RETURN ? "close_notify" : "error");
        return -1;
    }
}

static void sess_reschedule(worker_t *w, sess_t *s)
{
    uint64_t d;
    if (s->state == S_HANDSHAKE) {
        int t = wolfSSL_dtls_get_current_timeout(s->ssl);
        d = w->now + (uint64_t)(t > 0 ? t : 1) * 1000u;
        uint64_t hard = s->created + w->lim.handshake_timeout_ms;
        if (hard < d) d = hard;
    } else {
        d = s->last_rx + w->lim.idle_timeout_ms;
        if (s->app_deadline && s->app_deadline < d) d = s->app_deadline;
    }
    sess_set_deadline(w, s, d);
}

static void sess_timeout(worker_t *w, sess_t *s)
{
    char pb[64];
    if (s->state == S_HANDSHAKE) {
        if (w->now >= s->created + w->lim.handshake_timeout_ms) {
            count_hs_failure(w, "timeout");
            log_msg(BSD_LOG_INFO, "dtls.handshake.failed", "worker=%d peer=%s reason=timeout", w->id,
                    peer_str(s, pb, sizeof(pb)));
            sess_close(w, s, 0);
            return;
        }
        if (wolfSSL_dtls_got_timeout(s->ssl) != WOLFSSL_SUCCESS) {
            int e = wolfSSL_get_error(s->ssl, 0);
            if (e != WOLFSSL_ERROR_WANT_READ && e != WOLFSSL_ERROR_WANT_WRITE) {
                handshake_failed(w, s, e, "handshake");
                sess_close(w, s, 0);
                return;
            }
        }
        sess_reschedule(w, s);
        return;
    }
    if (s->app_deadline && s->app_deadline <= w->now && w->now < s->last_rx + w->lim.idle_timeout_ms) {
        uint64_t d = 0;
        if (w->app.on_timer) {
            worker_io_t io;
            worker_peer_t p = sess_peer(w, s, &io);
            d = w->app.on_timer(w->app.ctx, s->app, &p, w->gen, w->now);
            if (io.failed) d = WORKER_CLOSE;
        }
        if (d == WORKER_CLOSE) {
            sess_close(w, s, 1);
            return;
        }
        s->app_deadline = d;
        sess_reschedule(w, s);
        return;
    }
    log_msg(BSD_LOG_DEBUG, s->plain ? "coap.session.idle" : "dtls.session.idle", "worker=%d peer=%s", w->id,
            peer_str(s, pb, sizeof(pb)));
    sess_close(w, s, 1);
}

/* ---- listeners, cookies, rate limits ----------------------------------- */

static void listener_reset(worker_t *w, int i)
{
    if (w->lst[i]) sess_free(w, w->lst[i]);
    w->lst[i] = NULL;
    WOLFSSL_CTX *ctx = i == 1 ? w->gen->prof.ctx_rpk : w->gen->prof.ctx_x509;
    if (ctx) w->lst[i] = sess_alloc(w, ctx);
}

static void cookie_rotate(worker_t *w)
{
    if (getrandom(w->cookie_secret, sizeof(w->cookie_secret), 0) != sizeof(w->cookie_secret)) {
        /* Keep the old secret; getrandom on Linux does not fail after boot. */
        log_msg(BSD_LOG_WARN, "dtls.cookie.rotate_failed", "worker=%d", w->id);
    }
    for (int i = 0; i < 2; i++)
        if (w->lst[i])
            wolfSSL_DTLS_SetCookieSecret(w->lst[i]->ssl, w->cookie_secret, sizeof(w->cookie_secret));
    w->cookie_next_rotate = w->now + w->lim.cookie_rotate_ms;
}

/* Token bucket per source address (port ignored), fixed memory: a slot is
 * taken over by whichever address hashes to it. */
static int rate_allow(worker_t *w, const struct sockaddr_storage *a)
{
    if (w->lim.handshake_rate == 0) return 1;
    uint64_t key = 1469598103934665603ull;
    const uint8_t *p;
    size_t n;
    if (a->ss_family == AF_INET) {
        p = (const uint8_t *)&((const struct sockaddr_in *)a)->sin_addr;
        n = 4;
    } else {
        p = (const uint8_t *)&((const struct sockaddr_in6 *)a)->sin6_addr;
        n = 16;
    }
    for (size_t i = 0; i < n; i++)
        key = (key ^ p[i]) * 1099511628211ull;
    rate_slot_t *r = &w->rate[key % WORKER_RATE_SLOTS];
    uint32_t cap = w->lim.handshake_rate * 1000u;
    if (r->key != key) {
        r->key = key;
        r->tokens_milli = cap;
        r->last_ms = w->now;
    }
    uint64_t refill = (w->now - r->last_ms) * w->lim.handshake_rate;
    r->last_ms = w->now;
    r->tokens_milli = refill + r->tokens_milli > cap ? cap : (uint32_t)(refill + r->tokens_milli);
    if (r->tokens_milli < 1000) return 0;
    r->tokens_milli -= 1000;
    return 1;
}

static void on_unknown_peer(worker_t *w, int sock, struct sockaddr_storage *a, socklen_t alen, uint32_t h,
                            const uint8_t *dg, size_t len, sess_t *old)
{
    dtls_hello_info_t hi;
    if (dtls_peek_client_hello(dg, len, &hi) != 0) {
        atomic_fetch_add_explicit(&w->stats.dropped, 1, memory_order_relaxed);
        return; /* not a ClientHello: no state, no answer */
    }
    int li = hi.wants_rpk_server && w->lst[1] ? 1 : 0;
    if (!w->lst[li]) listener_reset(w, li);
    sess_t *l = w->lst[li];
    if (!l) return;
    if (hi.has_cookie) {
        /* Only a cookie-verified hello may create state: enforce limits here. */
        if (w->nsess >= w->lim.max_sessions || !rate_allow(w, a)) {
            atomic_fetch_add_explicit(&w->stats.rate_limited, 1, memory_order_relaxed);
            return;
        }
    }
    memcpy(&l->peer, a, alen);
    l->peerlen = alen;
    l->sock = sock;
    l->hash = h;
    l->promoted = 0;
    l->alert_sent = -1;
    memset(&l->auth, 0, sizeof(l->auth));
    l->hs.psk_identity_bad = 0;
    l->hs.creds = w->gen->creds;
    wolfSSL_dtls_set_peer(l->ssl, a, alen);
    l->in = dg;
    l->inlen = len;
    int r = sess_drive(w, l);
    l->in = NULL;
    l->inlen = 0;
    if (!l->promoted) {
        if (r != 0) {
            /* A cookie-verified hello that wolfSSL refused (no shared suite,
             * version): the peer got its alert; log it like any failure. A
             * cookie-less one never gets here (answered statelessly). */
            if (hi.has_cookie) handshake_failed(w, l, l->last_err, "hello");
            listener_reset(w, li); /* fatal on the listener: start clean */
        }
        return;
    }
    /* The listener became this peer's connection. */
    w->lst[li] = NULL;
    listener_reset(w, li);
    if (old) sess_close(w, old, 0); /* the client restarted its handshake */
    if (r == -1) {
        sess_free(w, l);
        return;
    }
    if (l->state == S_LISTENER) l->state = S_HANDSHAKE;
    l->created = l->last_rx = w->now;
    table_insert(w, l);
    sess_reschedule(w, l);
}

static void on_dtls_datagram(worker_t *w, int sock, struct sockaddr_storage *a, const uint8_t *dg, size_t len)
{
    socklen_t alen = addr_norm(a);
    uint32_t h = addr_hash(a, alen, sock);
    sess_t *s = table_find(w, a, alen, sock, h);
    if (!s) {
        if (creds_source_denied(w->gen->creds, (const struct sockaddr *)a)) {
            atomic_fetch_add_explicit(&w->stats.denied, 1, memory_order_relaxed);
            return; /* deny-listed source: not even a HelloVerifyRequest */
        }
        on_unknown_peer(w, sock, a, alen, h, dg, len, NULL);
        return;
    }
    if (s->state == S_OPEN && len > 13 && dg[0] == 22 && dg[3] == 0 && dg[4] == 0) {
        /* Epoch-0 handshake on an open session: a client that restarted.
         * Answer statelessly; replace the session only after a valid cookie. */
        on_unknown_peer(w, sock, a, alen, h, dg, len, s);
        return;
    }
    if (s->state == S_HANDSHAKE && dtls_psk_identity_has_nul(dg, len)) s->hs.psk_identity_bad = 1;
    s->hs.creds = w->gen->creds;
    s->in = dg;
    s->inlen = len;
    s->last_rx = w->now;
    int r = sess_drive(w, s);
    s->in = NULL;
    s->inlen = 0;
    if (r != 0) {
        sess_close(w, s, 0);
        return;
    }
    if (s->app_deadline == WORKER_CLOSE) {
        sess_close(w, s, 1);
        return;
    }
    sess_reschedule(w, s);
}

static void on_coap_datagram(worker_t *w, int sock, struct sockaddr_storage *a, const uint8_t *dg, size_t len)
{
    socklen_t alen = addr_norm(a);
    int key = WORKER_MAX_SOCKETS + sock; /* plain sessions share the table */
    uint32_t h = addr_hash(a, alen, key);
    sess_t *s = table_find(w, a, alen, key, h);
    if (!w->app.on_coap) return;
    if (!s && creds_source_denied(w->gen->creds, (const struct sockaddr *)a)) {
        atomic_fetch_add_explicit(&w->stats.denied, 1, memory_order_relaxed);
        return;
    }
    if (s) {
        worker_io_t io;
        worker_peer_t p = sess_peer(w, s, &io);
        s->last_rx = w->now;
        uint64_t d = w->app.on_coap(w->app.ctx, s->app, &p, w->gen, dg, len, w->now);
        if (d == WORKER_CLOSE) {
            sess_close(w, s, 0);
            return;
        }
        s->app_deadline = d;
        sess_reschedule(w, s);
        return;
    }
    void *adopted = NULL;
    worker_io_t io = {.w = w, .fd = w->coap_fd[sock], .to = a, .tolen = alen, .max = w->lim.max_datagram};
    worker_peer_t p = {
        .addr = (const struct sockaddr *)a,
        .addrlen = alen,
        .auth = NULL,
        .max_coap = w->lim.max_datagram,
        .io = &io,
        .adopt = w->nsess < w->lim.max_sessions ? &adopted : NULL,
    };
    uint64_t d = w->app.on_coap(w->app.ctx, NULL, &p, w->gen, dg, len, w->now);
    if (!adopted) return;
    s = calloc(1, sizeof(*s));
    if (!s) {
        if (w->app.sess_close) w->app.sess_close(w->app.ctx, adopted);
        return;
    }
    s->w = w;
    s->heap_idx = SIZE_MAX;
    s->alert_sent = -1;
    s->plain = 1;
    s->state = S_OPEN;
    memcpy(&s->peer, a, alen);
    s->peerlen = alen;
    s->sock = key;
    s->hash = h;
    s->app = adopted;
    s->auth.kind = CREDS_NOSEC;
    s->created = s->last_rx = w->now;
    table_insert(w, s);
    if (d == WORKER_CLOSE) {
        sess_close(w, s, 0);
        return;
    }
    s->app_deadline = d;
    sess_reschedule(w, s);
}

/* ---- loop -------------------------------------------------------------- */

/* 1 when two records of one device hold the same credential. */
static int same_credential(const creds_device_t *a, const creds_device_t *b)
{
    if (a->kind != b->kind) return 0;
    switch (a->kind) {
    case CREDS_PSK:
        return a->key_len == b->key_len && memcmp(a->key, b->key, a->key_len) == 0 && a->psk_identity &&
               b->psk_identity && strcmp(a->psk_identity, b->psk_identity) == 0;
    case CREDS_RPK: return a->spki_len == b->spki_len && memcmp(a->spki, b->spki, a->spki_len) == 0;
    case CREDS_X509:
        if (a->has_fingerprint != b->has_fingerprint ||
            (a->has_fingerprint && memcmp(a->fingerprint, b->fingerprint, 32) != 0))
            return 0;
        return a->x509_name_type == b->x509_name_type && (a->x509_name == NULL) == (b->x509_name == NULL) &&
               (!a->x509_name || strcmp(a->x509_name, b->x509_name) == 0);
    default: return 1;
    }
}

/*
 * A new generation: sessions in their handshake look credentials up in the
 * new store from now on (the old one is freed once every worker acked it),
 * and an authenticated session whose device was removed, or whose
 * credential changed, is closed (close_notify): the device must
 * authenticate again with what is in force now.
 */
static void switch_gen(worker_t *w)
{
    bsd_gen_t *g = atomic_load_explicit(w->genp, memory_order_acquire);
    if (g == w->gen) return;
    for (size_t i = 0; i < w->tcap; i++) {
        sess_t *next;
        for (sess_t *s = w->table[i]; s; s = next) {
            next = s->hnext;
            s->hs.creds = g->creds;
            if (creds_source_denied(g->creds, (const struct sockaddr *)&s->peer)) {
                char pb[64];
                log_msg(BSD_LOG_INFO, "dtls.session.revoked", "worker=%d peer=%s reason=source_denied", w->id,
                        peer_str(s, pb, sizeof(pb)));
                atomic_fetch_add_explicit(&w->stats.revoked, 1, memory_order_relaxed);
                sess_close(w, s, !s->plain);
                continue;
            }
            if (s->plain || s->auth.kind == CREDS_NONE || !s->auth.endpoint[0]) continue;
            size_t n = strlen(s->auth.endpoint);
            const creds_device_t *now = creds_find_endpoint(g->creds, s->auth.endpoint, n);
            const creds_device_t *was = creds_find_endpoint(w->gen->creds, s->auth.endpoint, n);
            const char *why = !now                                 ? "device_removed"
                              : !was || !same_credential(was, now) ? "credential_changed"
                                                                   : NULL;
            if (!why) continue;
            char pb[64], eq[LOG_QUOTE_SIZE(64)];
            log_quote(eq, sizeof(eq), (const uint8_t *)s->auth.endpoint, n > 64 ? 64 : n);
            log_msg(BSD_LOG_INFO, "dtls.session.revoked", "worker=%d peer=%s endpoint=%s reason=%s", w->id,
                    peer_str(s, pb, sizeof(pb)), eq, why);
            atomic_fetch_add_explicit(&w->stats.revoked, 1, memory_order_relaxed);
            sess_close(w, s, 1);
        }
    }
    w->gen = g;
    listener_reset(w, 0);
    listener_reset(w, 1);
    atomic_store_explicit(&w->acked_gen, g->id, memory_order_release);
}

static void drain_socket(worker_t *w, int fd, int sock, int is_dtls)
{
    for (int round = 0; round < 8; round++) {
        for (int i = 0; i < WORKER_BATCH; i++) {
            w->riov[i].iov_base = w->rbuf[i];
            w->riov[i].iov_len = WORKER_RX_BUF;
            memset(&w->rmsg[i].msg_hdr, 0, sizeof(w->rmsg[i].msg_hdr));
            w->rmsg[i].msg_hdr.msg_name = &w->raddr[i];
            w->rmsg[i].msg_hdr.msg_namelen = sizeof(w->raddr[i]);
            w->rmsg[i].msg_hdr.msg_iov = &w->riov[i];
            w->rmsg[i].msg_hdr.msg_iovlen = 1;
        }
        int n = recvmmsg(fd, w->rmsg, WORKER_BATCH, MSG_DONTWAIT, NULL);
        if (n <= 0) return;
        w->now = now_ms();
        for (int i = 0; i < n; i++) {
            struct msghdr *mh = &w->rmsg[i].msg_hdr;
            if (mh->msg_flags & MSG_TRUNC) {
                atomic_fetch_add_explicit(&w->stats.dropped, 1, memory_order_relaxed);
                continue;
            }
            if (is_dtls)
                on_dtls_datagram(w, sock, &w->raddr[i], w->rbuf[i], w->rmsg[i].msg_len);
            else
                on_coap_datagram(w, sock, &w->raddr[i], w->rbuf[i], w->rmsg[i].msg_len);
        }
        tx_flush(w);
        if (n < WORKER_BATCH) return;
    }
}

static void run_timers(worker_t *w)
{
    while (w->nheap > 0 && w->heap[0]->deadline <= w->now) {
        sess_t *s = w->heap[0];
        heap_remove(w, s);
        sess_timeout(w, s);
    }
    if (w->now >= w->cookie_next_rotate) cookie_rotate(w);
    tx_flush(w);
}

static void shutdown_all(worker_t *w)
{
    for (size_t i = 0; i < w->tcap; i++) {
        while (w->table[i])
            sess_close(w, w->table[i], 1);
    }
    tx_flush(w);
}

static void *worker_main(void *arg)
{
    worker_t *w = arg;
    struct epoll_event ev[WORKER_MAX_SOCKETS * 2 + 1];
    w->now = now_ms();
    cookie_rotate(w);
    listener_reset(w, 0);
    listener_reset(w, 1);
    atomic_store_explicit(&w->acked_gen, w->gen->id, memory_order_release);
    while (!atomic_load_explicit(&w->stop, memory_order_relaxed)) {
        int timeout = 1000;
        if (w->nheap > 0) {
            uint64_t d = w->heap[0]->deadline;
            timeout = d <= w->now ? 0 : (int)(d - w->now < 1000 ? d - w->now : 1000);
        }
        int n = epoll_wait(w->epfd, ev, (int)(sizeof(ev) / sizeof(ev[0])), timeout);
        w->now = now_ms();
        switch_gen(w);
        for (int i = 0; i < n; i++) {
            int tag = (int)ev[i].data.u32;
            if (tag == 0xffff) {
                uint64_t v;
                if (read(w->evfd, &v, sizeof(v)) < 0) { /* spurious wake-up */
                }
                continue;
            }
            int is_dtls = tag < WORKER_MAX_SOCKETS;
            int sock = is_dtls ? tag : tag - WORKER_MAX_SOCKETS;
            drain_socket(w, is_dtls ? w->dtls_fd[sock] : w->coap_fd[sock], sock, is_dtls);
        }
        run_timers(w);
    }
    shutdown_all(w);
    return NULL;
}

worker_t *worker_new(int id, const int *dtls_fds, int ndtls, const int *coap_fds, int ncoap,
                     const worker_limits_t *lim, bsd_gen_t *_Atomic *genp, const worker_app_t *app)
{
    if (ndtls > WORKER_MAX_SOCKETS || ncoap > WORKER_MAX_SOCKETS) return NULL;
    worker_t *w = calloc(1, sizeof(*w));
    if (!w) return NULL;
    w->epfd = w->evfd = -1;
    w->id = id;
    w->lim = *lim;
    if (w->lim.max_datagram > WORKER_TX_BUF) w->lim.max_datagram = WORKER_TX_BUF;
    w->genp = genp;
    w->gen = atomic_load(genp);
    w->app = *app;
    w->tcap = 1024;
    w->table = calloc(w->tcap, sizeof(*w->table));
    w->epfd = epoll_create1(EPOLL_CLOEXEC);
    w->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (!w->table || w->epfd < 0 || w->evfd < 0) goto fail;
    struct epoll_event ev = {.events = EPOLLIN};
    ev.data.u32 = 0xffff;
    if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->evfd, &ev) < 0) goto fail;
    for (int i = 0; i < ndtls; i++) {
        w->dtls_fd[w->ndtls++] = dtls_fds[i];
        ev.data.u32 = (uint32_t)i;
        if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, dtls_fds[i], &ev) < 0) goto fail;
    }
    for (int i = 0; i < ncoap; i++) {
        w->coap_fd[w->ncoap++] = coap_fds[i];
        ev.data.u32 = (uint32_t)(WORKER_MAX_SOCKETS + i);
        if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, coap_fds[i], &ev) < 0) goto fail;
    }
    return w;
fail:
    worker_free(w);
    return NULL;
}

int worker_start(worker_t *w)
{
    int r = pthread_create(&w->thread, NULL, worker_main, w);
    if (r) return -r;
    w->started = 1;
    return 0;
}

void worker_wake(worker_t *w)
{
    uint64_t one = 1;
    if (write(w->evfd, &one, sizeof(one)) < 0) { /* counter saturated: already awake */
    }
}

void worker_stop(worker_t *w)
{
    atomic_store(&w->stop, 1);
    worker_wake(w);
}

uint64_t worker_acked_gen(worker_t *w)
{
    return atomic_load_explicit(&w->acked_gen, memory_order_acquire);
}

worker_stats_t *worker_stats(worker_t *w)
{
    return &w->stats;
}

void worker_free(worker_t *w)
{
    if (!w) return;
    if (w->started) pthread_join(w->thread, NULL);
    if (w->table) {
        for (size_t i = 0; i < w->tcap; i++)
            while (w->table[i])
                sess_close(w, w->table[i], 0);
    }
    for (int i = 0; i < 2; i++)
        if (w->lst[i]) sess_free(w, w->lst[i]);
    free(w->table);
    free(w->heap);
    for (int i = 0; i < w->ndtls; i++)
        close(w->dtls_fd[i]);
    for (int i = 0; i < w->ncoap; i++)
        close(w->coap_fd[i]);
    if (w->epfd >= 0) close(w->epfd);
    if (w->evfd >= 0) close(w->evfd);
    free(w);
}
