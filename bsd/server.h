/*
 * server.h — the CoAP request layer above the transport: message-level
 * rules (ping, RST, duplicate suppression, piggybacked answers), the
 * authorisation of plain-CoAP peers, and routing to resources.
 *
 * Resources: POST /bs (Bootstrap-Request, bootstrap.h), GET /bspack
 * (answered 4.04 at once so LwM2M 1.2 clients fall back to /bs),
 * /.well-known/core, and for tests only (diag_resources) /diag/whoami (who
 * the transport says the peer is) and /diag/blob?size=N (N bytes, served
 * block-wise). EST plugs in here.
 */
#ifndef BSD_SERVER_H
#define BSD_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "bsd/coap/coap_block.h"
#include "bsd/coap/coap_msg.h"
#include "bsd/transport/worker.h"

#define SERVER_BLOB_MAX 65536 /* largest /diag/blob body */

struct spool;
struct recwriter;
struct est_srv;

typedef struct server {
    int diag_resources;       /* serve the /diag resources */
    int records_fd;           /* session records (JSON lines, O_APPEND), or -1 */
    struct spool *spool;      /* PostgreSQL mode: records go here instead; NULL otherwise */
    struct recwriter *rw;     /* the thread that stores the spool (woken after each record) */
    unsigned max_per_device;  /* bootstraps per device and window before 5.03; 0 = no limit */
    unsigned device_window_s; /* that window, seconds */
    struct est_srv *est;      /* the EST server (est_srv.h); NULL when EST is off */
} server_t;

/* Fills |app| with the callbacks that route the transport's CoAP datagrams
 * to |srv|. */
void server_app(server_t *srv, worker_app_t *app);

/* Adds |body| (|len| bytes, Content-Format |cf|) to the response being
 * built in |b| for request |req|: whole when it fits in |max_coap| and no
 * Block2 was asked for, else the Block2 slice asked for (or the first one),
 * with Size2 on slice 0. A bad Block2 request sets |*code| to 4.00. */
void server_put_body(coap_builder_t *b, const coap_msg_t *req, const uint8_t *body, size_t len, uint16_t cf,
                     size_t max_coap, uint8_t *code);

/* The same, echoing |b1| (the Block1 of the request's last block, RFC 7959
 * §2.3) in its place among the options; NULL for none. */
void server_put_body_b1(coap_builder_t *b, const coap_msg_t *req, const coap_block_t *b1, const uint8_t *body,
                        size_t len, uint16_t cf, size_t max_coap, uint8_t *code);

/* A fresh Message ID for a NON response on this worker thread (RFC 7252
 * §4.4: a NON answer is a new message, it does not echo the request's). */
uint16_t server_next_mid(void);

#endif
