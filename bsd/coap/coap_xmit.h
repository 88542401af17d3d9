/*
 * coap_xmit.h — reliability for the Confirmable requests the
 * Bootstrap-Server sends (Discover, Read, Write, Delete, Finish):
 * retransmission with exponential back-off (RFC 7252 §4.2, §4.8) and
 * matching of the ACK / RST / response to the request (§5.3.2), plus the
 * token and Message ID generators of one connection.
 *
 * One coap_xmit_t tracks one outstanding request (NSTART = 1, §4.7). It
 * never sends anything: the caller transmits x->msg/x->len when it starts
 * the exchange and whenever coap_xmit_timer() says COAP_XMIT_RETRANSMIT.
 * Receive-side duplicate detection is coap_dedup.h.
 *
 * A separate response that arrives as a CON must be acknowledged by the
 * caller (an Empty ACK with the response's MID, coap_build_empty()), also
 * when it is a duplicate arriving after the exchange has completed.
 */
#ifndef BSD_COAP_COAP_XMIT_H
#define BSD_COAP_COAP_XMIT_H

#include <stddef.h>
#include <stdint.h>

#include "bsd/coap/coap_msg.h"

/* RFC 7252 §4.8 defaults (PROTOCOLS.md §6.4). */
#define COAP_ACK_TIMEOUT_MS       2000u
#define COAP_ACK_RANDOM_MAX_MS    3000u /* ACK_TIMEOUT * ACK_RANDOM_FACTOR 1.5 */
#define COAP_MAX_RETRANSMIT       4
#define COAP_MAX_TRANSMIT_WAIT_MS 93000u /* §4.8.2 */
/* How long we wait for a separate response after an Empty ACK. RFC 7252
 * sets no bound; we allow MAX_TRANSMIT_WAIT counted from our last
 * transmission, a span during which a device's CON response must have
 * arrived. The session layer may well give up earlier. */
#define COAP_XMIT_SEPARATE_WAIT_MS COAP_MAX_TRANSMIT_WAIT_MS
/* coap_xmit_next_deadline() when no timer is pending. */
#define COAP_XMIT_NO_DEADLINE UINT64_MAX

/* Results of coap_xmit_timer() and coap_xmit_on_message(). */
enum {
    COAP_XMIT_IDLE = 0,        /* timer: nothing to do now */
    COAP_XMIT_RETRANSMIT = 1,  /* timer: send x->msg again now */
    COAP_XMIT_TIMEOUT = 2,     /* timer: give up, the exchange failed */
    COAP_XMIT_NOMATCH = 3,     /* message: not for this exchange */
    COAP_XMIT_ACKED_EMPTY = 4, /* message: Empty ACK, a separate response follows */
    COAP_XMIT_RESPONSE = 5,    /* message: the response (exchange done) */
    COAP_XMIT_RESET = 6,       /* message: RST for our MID (exchange failed) */
};

/* Exchange state (coap_xmit_t.state). */
enum {
    COAP_XMIT_S_INIT = 0,      /* initialised, not started */
    COAP_XMIT_S_WAIT_ACK,      /* retransmitting until ACK/RST/response */
    COAP_XMIT_S_WAIT_SEPARATE, /* ACKed empty; waiting for the response */
    COAP_XMIT_S_DONE,          /* response, RST, timeout or cancelled */
};

typedef struct {
    const uint8_t *msg;          /* caller-owned encoded CON message */
    size_t len;                  /* its length */
    uint16_t mid;                /* Message ID read from msg */
    uint8_t tkl;                 /* token length read from msg */
    uint8_t token[COAP_MAX_TKL]; /* token read from msg */
    uint8_t state;               /* COAP_XMIT_S_* */
    uint8_t retransmits;         /* retransmissions done, 0..COAP_MAX_RETRANSMIT */
    uint32_t timeout_ms;         /* the timeout currently running */
    uint64_t last_tx_ms;         /* time of the last (re)transmission */
    uint64_t deadline_ms;        /* when coap_xmit_timer() acts next */
} coap_xmit_t;

/* Prepares |x| for the encoded Confirmable message |msg| (|len| bytes,
 * owned by the caller and left untouched until the exchange is over): its
 * MID and token are read from the header. Returns 0 or COAP_ERR_INVAL
 * (NULL, shorter than header plus token, not version 1, TKL > 8, or not a
 * CON). */
int coap_xmit_init(coap_xmit_t *x, const uint8_t *msg, size_t len);

/* Arms the retransmission timer at |now_ms| (monotonic milliseconds), just
 * as the caller sends the message for the first time. The first timeout is
 * ACK_TIMEOUT + (rnd mod 1001) ms, i.e. in [2000, 3000] (§4.2); |rnd|
 * comes from the caller's RNG. Returns 0 or COAP_ERR_STATE if |x| is not
 * freshly initialised. */
int coap_xmit_start(coap_xmit_t *x, uint64_t now_ms, uint32_t rnd);

/* Advances the timer to |now_ms|. While waiting for an ACK: returns
 * COAP_XMIT_RETRANSMIT when the timeout expired and fewer than
 * COAP_MAX_RETRANSMIT retransmissions were made (the timeout doubles, the
 * caller resends x->msg), COAP_XMIT_TIMEOUT when the timeout after the
 * last retransmission expired (§4.2). While waiting for a separate
 * response: COAP_XMIT_TIMEOUT after COAP_XMIT_SEPARATE_WAIT_MS. Otherwise
 * COAP_XMIT_IDLE. Never fails. */
int coap_xmit_timer(coap_xmit_t *x, uint64_t now_ms);

/* Returns the time at which coap_xmit_timer() next has something to do, or
 * COAP_XMIT_NO_DEADLINE when the exchange is not running. */
uint64_t coap_xmit_next_deadline(const coap_xmit_t *x);

/* Matches the parsed incoming message |in| against the running exchange:
 *   COAP_XMIT_RESET       RST with our MID while waiting for the ACK;
 *   COAP_XMIT_ACKED_EMPTY Empty ACK with our MID: retransmission stops and
 *                         the response is awaited (separate response);
 *   COAP_XMIT_RESPONSE    ACK with our MID and token carrying a response
 *                         (piggybacked), or a CON/NON response with our
 *                         token (separate, §5.2.2; also accepted before the
 *                         ACK, which may have been lost). The caller ACKs
 *                         a CON one;
 *   COAP_XMIT_NOMATCH     anything else, including duplicates after the
 *                         exchange ended, and an ACK with our MID but
 *                         another token (§5.3.2).
 * RESET and RESPONSE end the exchange. Never fails. */
int coap_xmit_on_message(coap_xmit_t *x, const coap_msg_t *in);

/* Ends the exchange without a result (no more timer events). */
void coap_xmit_cancel(coap_xmit_t *x);

/* ---- Token and Message ID generators (one per connection) ------------ */

/* RFC 9175 §4.2: tokens are a sequence number starting from 0 for each new
 * or rekeyed connection, so a response can never bind to the wrong
 * request while the connection lives. */
typedef struct {
    uint64_t next; /* value of the next token */
} coap_token_gen_t;

/* Restarts the sequence at 0 (new connection, or DTLS/OSCORE rekey). */
void coap_token_gen_init(coap_token_gen_t *g);

/* Writes the next token to |token| as the counter in minimal big-endian
 * form, at least one byte (0 → 00, 256 → 01 00). Returns its length 1..8.
 * Never fails. */
uint8_t coap_token_next(coap_token_gen_t *g, uint8_t token[COAP_MAX_TKL]);

/* RFC 7252 §4.4: Message IDs of one endpoint are consecutive from a
 * randomised start. */
typedef struct {
    uint16_t next; /* next Message ID */
} coap_mid_gen_t;

/* Starts the sequence at |seed| (a random value from the caller). */
void coap_mid_gen_init(coap_mid_gen_t *g, uint16_t seed);

/* Returns the next Message ID (wraps after 65535). */
uint16_t coap_mid_next(coap_mid_gen_t *g);

#endif /* BSD_COAP_COAP_XMIT_H */
