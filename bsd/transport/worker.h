/*
 * worker.h — one worker thread: its sockets, epoll loop, timers, and every
 * DTLS session whose peer the kernel hashed onto its sockets.
 *
 * A worker owns its sessions outright: no locks on the packet path. The only
 * shared state is the published configuration generation (credentials and
 * wolfSSL contexts), read through an atomic pointer; the main thread frees
 * an old generation only after every worker has acknowledged the new one.
 *
 * Datagram path: recvmmsg batch → session lookup by (socket, peer) → wolfSSL
 * (custom I/O: the pending datagram in, replies appended to a sendmmsg batch)
 * → decrypted CoAP to the application callback → response back through
 * wolfSSL → one sendmmsg per batch.
 */
#ifndef BSD_TRANSPORT_WORKER_H
#define BSD_TRANSPORT_WORKER_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "bsd/transport/creds.h"
#include "bsd/transport/dtls.h"

#define WORKER_MAX_SOCKETS 16
#define WORKER_BATCH       32   /* datagrams per recvmmsg/sendmmsg */
#define WORKER_RX_BUF      4096 /* largest datagram accepted from a peer */
#define WORKER_TX_BUF      2048 /* room per queued outgoing datagram */
#define WORKER_RATE_SLOTS  4096 /* per-source handshake rate table */

/* A configuration generation: what a reload replaces as a whole. */
typedef struct bsd_gen {
    uint64_t id;
    dtls_profile_t prof;
    creds_t *creds;
    void *app; /* the application's share (e.g. bootstrap plans); opaque here */
} bsd_gen_t;

/* Where a peer's CoAP messages go (its DTLS session or its plain socket). */
typedef struct worker_io worker_io_t;

/* The peer as the application layer sees it. */
typedef struct worker_peer {
    const struct sockaddr *addr;
    socklen_t addrlen;
    const dtls_auth_t *auth; /* NULL for the plain-CoAP listener */
    size_t max_coap;         /* largest CoAP message that fits one datagram */
    worker_io_t *io;         /* for worker_io_send() during the callback */
    /* Plain CoAP only, when the peer has no session yet: the application
     * may store a state pointer here to make the worker keep a session for
     * this address (e.g. a NoSec bootstrap); NULL when not offered. */
    void **adopt;
} worker_peer_t;

/* Returned as a deadline by the application: close this session now. */
#define WORKER_CLOSE UINT64_MAX

/* Sends one CoAP message to the peer: DTLS-protected on a DTLS session,
 * as is on the plain listener. Returns 0, or -1 when it was not sent
 * (larger than the peer's max_coap, or the session failed). */
int worker_io_send(worker_io_t *io, const uint8_t *msg, size_t len);

/* Application callbacks (the CoAP server); all run on the worker thread.
 * The ones returning a deadline return the absolute time (ms, monotonic) at
 * which on_timer wants to run next, 0 for none, or WORKER_CLOSE. */
typedef struct worker_app {
    void *ctx;
    /* Per-session state, created after the handshake; may return NULL. */
    void *(*sess_open)(void *ctx, const worker_peer_t *peer);
    void (*sess_close)(void *ctx, void *st);
    /* One CoAP datagram in. |st| is NULL on the plain-CoAP listener unless
     * the peer was adopted earlier. */
    uint64_t (*on_coap)(void *ctx, void *st, const worker_peer_t *peer, const bsd_gen_t *gen,
                        const uint8_t *in, size_t len, uint64_t now_ms);
    /* The deadline the application asked for has passed. */
    uint64_t (*on_timer)(void *ctx, void *st, const worker_peer_t *peer, const bsd_gen_t *gen,
                         uint64_t now_ms);
} worker_app_t;

typedef struct worker_limits {
    uint32_t handshake_timeout_ms;
    uint32_t idle_timeout_ms;
    uint32_t max_sessions;   /* this worker's share */
    uint32_t handshake_rate; /* per source address per second; 0 = off */
    uint32_t cookie_rotate_ms;
    uint16_t max_datagram;
} worker_limits_t;

/* Why DTLS handshakes failed: the reasons dtls.c and the worker log, as
 * named by worker_hs_fail_name(). */
#define WORKER_HS_FAIL_REASONS                                                                               \
    {                                                                                                        \
        "protocol", "timeout", "unknown_psk_identity", "psk_identity_contains_nul",                          \
            "unknown_raw_public_key", "certificate_names_several_devices", "certificate_unparsable",         \
            "certificate_not_bound_to_device", "certificate_fingerprint_mismatch", "certificate_expired",    \
            "unknown_ca", "bad_certificate", "certificate_revoked"                                           \
    }
#define WORKER_HS_FAIL_N 13

/* The index of |reason| in WORKER_HS_FAIL_REASONS; NULL or unknown: 0 ("protocol"). */
int worker_hs_fail_index(const char *reason);

/* The name of reason |i| (0..WORKER_HS_FAIL_N-1), or NULL. */
const char *worker_hs_fail_name(int i);

/* Counters, written by the worker (relaxed), read by anyone. */
typedef struct worker_stats {
    atomic_ulong handshakes_ok;
    atomic_ulong handshakes_failed;
    atomic_ulong hello_verify_sent;
    atomic_ulong dropped;
    atomic_ulong rate_limited;
    atomic_ulong sessions;
    atomic_ulong coap_in;
    atomic_ulong revoked; /* sessions closed because their credential went away or changed */
    atomic_ulong denied;  /* datagrams from deny-listed sources dropped */
    atomic_ulong handshakes_failed_by[WORKER_HS_FAIL_N]; /* by worker_hs_fail_index() */
} worker_stats_t;

typedef struct worker worker_t;

/*
 * Creates a worker over already-bound sockets (it takes ownership of the
 * fds). |genp| points at the published generation. Returns NULL on OOM or
 * when wolfSSL objects cannot be created.
 */
worker_t *worker_new(int id, const int *dtls_fds, int ndtls, const int *coap_fds, int ncoap,
                     const worker_limits_t *lim, bsd_gen_t *_Atomic *genp, const worker_app_t *app);

/* Starts the thread. Returns 0 or -errno. */
int worker_start(worker_t *w);

/* Asks the worker to close its sessions (close_notify) and exit; wakes it. */
void worker_stop(worker_t *w);

/* Wakes the worker so it notices a new generation promptly. */
void worker_wake(worker_t *w);

/* The newest generation id this worker has switched to. */
uint64_t worker_acked_gen(worker_t *w);

/* Joins the thread and frees everything it owns. */
void worker_free(worker_t *w);

/* The worker's counters. */
worker_stats_t *worker_stats(worker_t *w);

#endif
