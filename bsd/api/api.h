/*
 * api.h — the REST admin API inside the daemon: its life cycle as main.c
 * drives it. Resources plug in through api_handler.h; request parsing is
 * api_parse.h; the wire is libmicrohttpd (HTTPS through its GnuTLS, and an
 * optional plain-HTTP listener that config.c restricts to loopback).
 *
 * Threads: each listener runs libmicrohttpd's own pool of api.threads
 * threads; handlers run there and may block on PostgreSQL (one connection
 * per API thread, from a small pool). Nothing here touches a DTLS worker:
 * what the API shows of the daemon comes through the hooks below, which
 * read atomics and snapshots (bsd/metrics.h).
 *
 * Start-up order (main.c): api_open() while still privileged (bind the TCP
 * sockets, read the TLS key), drop privileges, start the workers, then
 * api_start(); at SIGTERM api_close() before the workers stop.
 */
#ifndef BSD_API_API_H
#define BSD_API_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bsd/util/config.h"

typedef struct api api_t;

struct est_ca; /* bsd/est/est_ca.h */

/* What the API asks the daemon. Called on API threads, concurrently. */
typedef struct api_hooks {
    void *ctx;
    /* Writes the daemon's metrics (Prometheus text format 0.0.4) to |f|.
     * Returns 0 or -EIO. */
    int (*metrics)(void *ctx, FILE *f);
    /* The configuration generation in force; 0 while the first loads. */
    uint64_t (*generation)(void *ctx);
    /* The EST CA the daemon loaded (est.ca_cert/est.ca_key), for
     * /api/v1/ca/certificate and /api/v1/ca/crl; NULL when EST is not
     * configured. Not owned; outlives the API. */
    const struct est_ca *est_ca;
} api_hooks_t;

/*
 * api_check reads the TLS certificate and key named by |cfg| (when
 * api.listen is set) and checks they hold PEM blocks, without binding
 * anything: for `bsd -n`. Returns 0, or -errno with |err| set.
 */
int api_check(const bsd_config_t *cfg, char *err, size_t errcap);

/*
 * api_open prepares the API of |cfg| (api.listen and/or api.http_listen
 * set; db_url set): reads the TLS certificate and key into memory and binds
 * and listens on every TCP address. Nothing is served yet. Returns the API,
 * or NULL with |err| set ("cannot bind 127.0.0.1:8443: Address in use").
 * |diag| adds the test-only routes (diag_resources).
 */
api_t *api_open(const bsd_config_t *cfg, bool diag, char *err, size_t errcap);

/*
 * api_start starts serving with |hooks| (copied). Returns 0, or -errno with
 * |err| set (e.g. the TLS key does not fit the certificate).
 */
int api_start(api_t *api, const api_hooks_t *hooks, char *err, size_t errcap);

/* api_close stops serving (requests in progress finish first), closes the
 * sockets and database connections, wipes the key, frees |api|. NULL is
 * fine. */
void api_close(api_t *api);

#endif /* BSD_API_API_H */
