/*
 * est_srv.h — the EST-coaps server (RFC 9148) inside the daemon: the
 * resources crts, sen, sren and att at /.well-known/est/ and /est/, served
 * on a device's DTLS session with this bootstrap server (LwM2M Security
 * Mode 4, Transport 1.1.1 §5.2.4).
 *
 * Split in two so that no worker ever waits for PostgreSQL:
 *   - on the worker: routing, Accept and Content-Format, Block1 assembly of
 *     the request and Block2 slicing of the answer, and every check that
 *     needs no database — the device's policy allows enrollment and the way
 *     it authenticated, the CSR parses, its signature verifies, its key is
 *     strong enough, its subject and subjectAltNames are exactly the
 *     policy's. The request is then handed to the EST thread and the worker
 *     goes on; it looks at the job again from its timer and answers (a
 *     piggybacked response, or 5.03 + Max-Age when the CA takes too long).
 *   - on the EST thread (its own PostgreSQL connection): the same request
 *     answered before (a retry) gets the same certificate; the per-device
 *     rate limit; for sren the device's current certificate; then a fresh
 *     serial, the certificate signed through the CA's signer, and its row
 *     committed — only then does the worker see the job done, so no
 *     certificate leaves unrecorded and no serial is used twice.
 */
#ifndef BSD_EST_SRV_H
#define BSD_EST_SRV_H

#include <stddef.h>
#include <stdint.h>

#include "bsd/coap/coap_msg.h"
#include "bsd/transport/worker.h"
#include "bsd/util/config.h"

struct est_ca;
struct server_sess;

typedef struct est_srv est_srv_t;

/* Loads the CA of |cfg| (est.ca_cert, est.ca_key). Returns NULL with |err|
 * set, or with |err| empty when EST is not configured. */
est_srv_t *est_srv_open(const bsd_config_t *cfg, char *err, size_t errcap);

/* Starts the EST thread. Returns 0 or -1 with |err| set. */
int est_srv_start(est_srv_t *e, char *err, size_t errcap);

/* Stops the thread (after the workers stopped) and frees everything. NULL
 * is fine. */
void est_srv_close(est_srv_t *e);

/* The CA, for the API (certificate and CRL downloads). */
const struct est_ca *est_srv_ca(const est_srv_t *e);

/* Which EST resource |m| addresses: EST_RES_* or 0 for none. */
enum { EST_RES_CRTS = 1, EST_RES_SEN, EST_RES_SREN, EST_RES_ATT };
int est_srv_resource(const coap_msg_t *m);

/*
 * Handles request |m| for EST resource |res| on a worker. Writes the
 * answer into |out| and returns its length, or returns 0 when the answer
 * comes later (an enrollment is with the EST thread): then |*wake| is when
 * est_srv_poll() wants to run.
 */
size_t est_srv_request(est_srv_t *e, struct server_sess *ss, int res, const worker_peer_t *peer,
                       const bsd_gen_t *gen, const coap_msg_t *m, uint64_t now, uint8_t *out, size_t cap,
                       uint64_t *wake);

/* From the session's timer: answers a finished enrollment. Returns when
 * it wants to run again, or 0. */
uint64_t est_srv_poll(est_srv_t *e, struct server_sess *ss, const worker_peer_t *peer, uint64_t now);

/* The session ends: drops its EST state (a job still running is left to
 * the EST thread, which records its certificate and frees it). */
void est_srv_sess_close(struct server_sess *ss);

/* Writes the link-format entries of the EST resources for
 * /.well-known/core into |out|: all, or with |rt| (|rtl| bytes) those whose
 * rt equals it, or starts with it up to a trailing '*' (RFC 6690 §4.1).
 * Returns the length written (0 when none match or |cap| is too small). */
size_t est_srv_links(const uint8_t *rt, size_t rtl, char *out, size_t cap);

#endif
