/*
 * oscore_srv.h — the Bootstrap interface over OSCORE (RFC 8613) on the
 * daemon's workers: the plain-UDP listener (Security Mode 3 with OSCORE)
 * and DTLS sessions alike.
 *
 * Every OSCORE-protected Bootstrap-Request goes through one exchange before
 * it is acted on (Transport 1.1.1 §6.4.2 Echo, §5.5.3 Appendix B.2), both
 * in one answer:
 *   request #1  protected with the device's context (ID Context from its
 *               kid context, or the device's own, or none) — verified,
 *               never acted on;
 *   4.01        protected with ctx2 (ID Context R2 || ID1, R2 random and
 *               kept in the session), with our own Partial IV, kid context
 *               = R2 (CBOR-wrapped on the wire), inner Echo;
 *   request #2  kid context R2 || R3, protected with ctx3, carrying the
 *               Echo: verified, and only now is the Bootstrap-Request
 *               served; its answer and every request the bootstrap then
 *               sends are protected with ctx3.
 *
 * OSCORE inside DTLS (a psk, rpk or x509 device with an OSCORE context):
 * served only in that device's own DTLS session — on the plain listener
 * its context is as unknown (4.01), and another device's session carrying
 * it gets 4.00. The bootstrap then runs as cred=oscore with the DTLS kind
 * in dtls_auth_t.dtls_kind (docs/OSCORE.md).
 *
 * Sequence numbers: the server only ever sends with ctx2 and ctx3, which are
 * derived from a fresh random R2 for every exchange, so no (key, nonce)
 * pair can recur — not across restarts, kill -9 or a second instance —
 * without any stored counter. These contexts live in the session only; a
 * request protected with one that the daemon no longer holds starts over
 * at request #1 (a 4.01), and is never acted on: replays after a restart
 * are refused by the Echo (its key is drawn at start), replays within a
 * session by ctx3's replay window.
 */
#ifndef BSD_OSCORE_SRV_H
#define BSD_OSCORE_SRV_H

#include <stddef.h>
#include <stdint.h>

#include "bsd/coap/coap_msg.h"
#include "bsd/server.h"
#include "bsd/transport/worker.h"

struct server_sess;

/*
 * Serves request |m|, which carries the OSCORE option, on a worker. Writes
 * the answer (protected, or an unprotected OSCORE error) into |out| and
 * returns its length (0: nothing to send). May adopt a session for a plain
 * peer (*ssp).
 */
size_t oscore_srv_request(server_t *srv, struct server_sess **ssp, const worker_peer_t *peer,
                          const bsd_gen_t *gen, const coap_msg_t *m, uint64_t now, uint8_t *out, size_t cap);

/*
 * A response (or ACK) |m| with the OSCORE option on a session whose
 * bootstrap runs over OSCORE: verifies it against the request it answers
 * and hands the inner response to the bootstrap engine. Returns 1 when
 * consumed, 0 when it is not for OSCORE (the caller goes on).
 */
int oscore_srv_response(struct server_sess *ss, const worker_peer_t *peer, const coap_msg_t *m, uint64_t now);

/*
 * Protects a request the bootstrap engine wants to send (|msg|, |len|
 * bytes) when the session runs over OSCORE: writes the datagram to send
 * into |out| and returns its length. A session without OSCORE state gets
 * |msg| copied as is; an OSCORE session whose context is not (or no longer)
 * established never sends a request in clear: 0 (drop it; the engine
 * retransmits or times out). Empty ACKs and RSTs go as they are. A
 * retransmission (same Message ID) gets the same protected bytes.
 */
size_t oscore_srv_protect(struct server_sess *ss, const uint8_t *msg, size_t len, uint8_t *out, size_t cap);

/* The session ends: wipes its OSCORE state. */
void oscore_srv_sess_close(struct server_sess *ss);

#endif
