/*
 * sim_net.h — the simulated device's transport: one connected,
 * non-blocking UDP socket per device and, for coaps://, a wolfSSL DTLS 1.2
 * client (PSK, RPK with RFC 7250 client and server certificate type RPK,
 * or X.509) with custom I/O on that socket. The event loop hands each
 * received datagram to sim_conn_input(); plaintext CoAP goes on to
 * sim_dev_input().
 */
#ifndef BSD_TOOLS_SIM_NET_H
#define BSD_TOOLS_SIM_NET_H

#include <stddef.h>
#include <stdint.h>

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

#include "tools/sim/sim.h"

/* Suites offered by default (the daemon's profile, docs/SECURITY.md). */
#define SIM_PSK_SUITES   "PSK-AES128-CCM-8:PSK-AES128-GCM-SHA256:PSK-AES128-CBC-SHA256"
#define SIM_ECDSA_SUITES "ECDHE-ECDSA-AES128-CCM-8:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-SHA256"
#define SIM_DTLS_MTU     16384 /* loopback: let a whole --no-block answer go in one record */

struct sim_conn;

/* Process-wide DTLS client context (shared by every device and thread). */
typedef struct sim_tls {
    WOLFSSL_CTX *ctx;          /* NULL for coap:// */
    uint8_t pin[SIM_CRED_MAX]; /* pinned server RPK (SubjectPublicKeyInfo DER) */
    size_t pin_len;            /* 0: server key not checked */
    /* Called by sim_conn_close() before it closes the session of a device
     * whose bootstrap finished (--est: EST on the same session), NULL = none. */
    void (*after_finish)(struct sim_conn *c, void *arg);
    void *after_arg;
} sim_tls_t;

/*
 * Builds the client context for |cfg|'s security mode (wolfSSL_Init()
 * must have run). For RPK the device's SubjectPublicKeyInfo, for X.509 its
 * leaf certificate DER, is stored in cfg->cred (mirrored into the BS
 * account). Returns 0, or -1 with a message naming the file in |err|.
 */
int sim_tls_init(sim_tls_t *t, sim_cfg_t *cfg, char *err, size_t cap);

/* Releases the context. */
void sim_tls_free(sim_tls_t *t);

/* One device's connection. */
typedef struct sim_conn {
    int fd;            /* connected UDP socket, -1 when closed */
    WOLFSSL *ssl;      /* DTLS client, NULL for NoSec */
    const uint8_t *in; /* datagram being handed to wolfSSL */
    size_t inlen;
    uint8_t hs_done;           /* handshake complete (or NoSec) */
    uint64_t dtls_deadline_us; /* handshake retransmission timer, 0 = none */
    unsigned icmp_errors;      /* ECONNREFUSED seen (nobody listening) */
    sim_dev_t *dev;
    const sim_tls_t *tls;
} sim_conn_t;

/* Opens the socket (and the WOLFSSL object) for |c->dev|. Returns the
 * socket descriptor or -1 with |err| set. */
int sim_conn_open(sim_conn_t *c, const sim_tls_t *tls, char *err, size_t cap);

/* Starts the exchange: sends the ClientHello, or for NoSec calls
 * sim_dev_begin() at once. */
void sim_conn_start(sim_conn_t *c, uint64_t now_us);

/* Reads every datagram waiting on the socket into |buf| (|cap| bytes) and
 * processes each at its own sim_now_us(). */
void sim_conn_readable(sim_conn_t *c, uint8_t *buf, size_t cap);

/* Runs the DTLS handshake timer. */
void sim_conn_timer(sim_conn_t *c, uint64_t now_us);

/* Runs tls->after_finish first when set and the device's bootstrap
 * finished; then sends close_notify when |notify| (and the handshake
 * completed), frees the WOLFSSL object and closes the socket. */
void sim_conn_close(sim_conn_t *c, int notify);

/* The sim_tx_fn for devices: d->tx_ctx is their sim_conn_t. */
int sim_conn_tx(sim_dev_t *d, const uint8_t *msg, size_t len);

#endif
