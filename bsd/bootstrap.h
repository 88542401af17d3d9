/*
 * bootstrap.h — the Bootstrap-Request (POST /bs) and the session that
 * follows it, between the CoAP server (server.c) and the engine
 * (bsd/lwm2m/bs_session.h).
 *
 * Validation of a Bootstrap-Request (LwM2M Transport 1.1.1 §6.4.2, §5.2.6,
 * §5.3): unknown or repeated query parameters or a malformed value → 4.00;
 * `ep` must name the device the DTLS credential is bound to (mismatch →
 * 4.00, logged with both names); without `ep`, the credential's device is
 * used, except for raw public keys (→ 4.00); plain CoAP is served only for
 * devices of kind nosec whose allow-list holds the source address; a pct
 * other than 110, 112 or 11542 → 4.15; no plan for the device → 4.00.
 * Otherwise 2.04, and the engine starts only after that answer is queued.
 */
#ifndef BSD_BOOTSTRAP_H
#define BSD_BOOTSTRAP_H

#include <stddef.h>
#include <stdint.h>

#include "bsd/coap/coap_msg.h"
#include "bsd/server.h"
#include "bsd/server_sess.h"
#include "bsd/transport/worker.h"

/*
 * Handles a Bootstrap-Request |m|. |*ssp| is the peer's session state (NULL
 * for a plain-CoAP peer without one; on success such a peer is adopted and
 * |*ssp| set). Writes the answer into |out| and returns its length.
 */
size_t bootstrap_request(server_t *srv, server_sess_t **ssp, const worker_peer_t *peer, const bsd_gen_t *gen,
                         const coap_msg_t *m, uint64_t now, uint8_t *out, size_t cap);

/* Feeds a non-request message to a running bootstrap. Returns 1 if it was
 * the bootstrap's (answered or absorbed), 0 otherwise. */
int bootstrap_message(server_sess_t *ss, const worker_peer_t *peer, const coap_msg_t *m, uint64_t now);

/* Sends what the engine has due, writes the record when the session ends,
 * and returns the next deadline (0 none; WORKER_CLOSE for a plain peer
 * whose bootstrap is over). */
uint64_t bootstrap_drive(server_t *srv, server_sess_t *ss, const worker_peer_t *peer, uint64_t now);

/* The peer's session is going away: a running bootstrap ends (recorded as
 * timed-out: the device is gone) and its memory is freed. */
void bootstrap_sess_close(server_t *srv, server_sess_t *ss);

#endif
