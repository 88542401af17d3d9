/*
 * coap_xmit.c — retransmission timer and response matching for one
 * outgoing Confirmable request; token and Message ID sequences.
 */
#include "bsd/coap/coap_xmit.h"

#include <string.h>

int coap_xmit_init(coap_xmit_t *x, const uint8_t *msg, size_t len)
{
    memset(x, 0, sizeof(*x));
    if (msg == NULL || len < COAP_HEADER_LEN) return COAP_ERR_INVAL;
    uint8_t tkl = msg[0] & 0x0f;
    if ((msg[0] >> 6) != COAP_VERSION || ((msg[0] >> 4) & 3) != COAP_TYPE_CON || tkl > COAP_MAX_TKL ||
        len < COAP_HEADER_LEN + (size_t)tkl)
        return COAP_ERR_INVAL;
    x->msg = msg;
    x->len = len;
    x->mid = (uint16_t)((msg[2] << 8) | msg[3]);
    x->tkl = tkl;
    memcpy(x->token, msg + COAP_HEADER_LEN, tkl);
    x->state = COAP_XMIT_S_INIT;
    return 0;
}

int coap_xmit_start(coap_xmit_t *x, uint64_t now_ms, uint32_t rnd)
{
    if (x->state != COAP_XMIT_S_INIT || x->msg == NULL) return COAP_ERR_STATE;
    /* §4.2: initial timeout random in [ACK_TIMEOUT, ACK_TIMEOUT * 1.5]. */
    x->timeout_ms = COAP_ACK_TIMEOUT_MS + rnd % (COAP_ACK_RANDOM_MAX_MS - COAP_ACK_TIMEOUT_MS + 1u);
    x->retransmits = 0;
    x->last_tx_ms = now_ms;
    x->deadline_ms = now_ms + x->timeout_ms;
    x->state = COAP_XMIT_S_WAIT_ACK;
    return 0;
}

int coap_xmit_timer(coap_xmit_t *x, uint64_t now_ms)
{
    if (x->state != COAP_XMIT_S_WAIT_ACK && x->state != COAP_XMIT_S_WAIT_SEPARATE) return COAP_XMIT_IDLE;
    if (now_ms < x->deadline_ms) return COAP_XMIT_IDLE;
    if (x->state == COAP_XMIT_S_WAIT_ACK && x->retransmits < COAP_MAX_RETRANSMIT) {
        x->retransmits++;
        x->timeout_ms *= 2; /* exponential back-off (§4.2) */
        x->last_tx_ms = now_ms;
        x->deadline_ms = now_ms + x->timeout_ms;
        return COAP_XMIT_RETRANSMIT;
    }
    x->state = COAP_XMIT_S_DONE;
    return COAP_XMIT_TIMEOUT;
}

uint64_t coap_xmit_next_deadline(const coap_xmit_t *x)
{
    if (x->state != COAP_XMIT_S_WAIT_ACK && x->state != COAP_XMIT_S_WAIT_SEPARATE)
        return COAP_XMIT_NO_DEADLINE;
    return x->deadline_ms;
}

static int token_matches(const coap_xmit_t *x, const coap_msg_t *in)
{
    return in->tkl == x->tkl && memcmp(in->token, x->token, x->tkl) == 0;
}

int coap_xmit_on_message(coap_xmit_t *x, const coap_msg_t *in)
{
    int waiting_ack = x->state == COAP_XMIT_S_WAIT_ACK;

    if (!waiting_ack && x->state != COAP_XMIT_S_WAIT_SEPARATE) return COAP_XMIT_NOMATCH;

    switch (in->type) {
    case COAP_TYPE_RST:
        if (!waiting_ack || in->mid != x->mid) return COAP_XMIT_NOMATCH;
        x->state = COAP_XMIT_S_DONE;
        return COAP_XMIT_RESET;
    case COAP_TYPE_ACK:
        if (!waiting_ack || in->mid != x->mid) return COAP_XMIT_NOMATCH;
        if (in->code == COAP_EMPTY) {
            x->state = COAP_XMIT_S_WAIT_SEPARATE;
            x->deadline_ms = x->last_tx_ms + COAP_XMIT_SEPARATE_WAIT_MS;
            return COAP_XMIT_ACKED_EMPTY;
        }
        if (!coap_msg_is_response(in) || !token_matches(x, in)) return COAP_XMIT_NOMATCH;
        x->state = COAP_XMIT_S_DONE;
        return COAP_XMIT_RESPONSE;
    default: /* CON or NON: only a separate response can be ours */
        if (!coap_msg_is_response(in) || !token_matches(x, in)) return COAP_XMIT_NOMATCH;
        x->state = COAP_XMIT_S_DONE;
        return COAP_XMIT_RESPONSE;
    }
}

void coap_xmit_cancel(coap_xmit_t *x)
{
    x->state = COAP_XMIT_S_DONE;
}

void coap_token_gen_init(coap_token_gen_t *g)
{
    g->next = 0;
}

uint8_t coap_token_next(coap_token_gen_t *g, uint8_t token[COAP_MAX_TKL])
{
    uint64_t v = g->next++;
    uint8_t n = 1;

    while (n < COAP_MAX_TKL && (v >> (8 * n)) != 0)
        n++;
    for (uint8_t i = 0; i < n; i++)
        token[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
    return n;
}

void coap_mid_gen_init(coap_mid_gen_t *g, uint16_t seed)
{
    g->next = seed;
}

uint16_t coap_mid_next(coap_mid_gen_t *g)
{
    return g->next++;
}
