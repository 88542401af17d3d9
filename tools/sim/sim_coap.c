/*
 * sim_coap.c — the client side of the LwM2M Bootstrap interface
 * (Transport 1.1.1 §6.4, §6.7) for one simulated device, sans-IO: our
 * Bootstrap-Request (and Anjay's GET /bspack) with RFC 7252 retransmission,
 * and the answers to the server's Discover / Read / Write / Delete / Finish
 * with deduplication and block-wise transfers. Messages go out through
 * sim_dev_t.tx; sockets and DTLS are sim_net.c, the loop sim_loop.c.
 * With --oscore-* every message is protected / verified by sim_oscore.c
 * on its way out / in.
 */
#include "tools/sim/sim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bsd/util/log.h"
#include "tools/sim/sim_formats.h"
#include "tools/sim/sim_oscore.h"
#include "tools/sim/sim_state.h"

#define US_PER_MS 1000u
_Static_assert(SIM_OSC_MSG_MAX >= SIM_DGRAM_MAX + 64, "OSCORE buffers hold any datagram we serve");

static const char *const outcome_names[SIM_OUT_COUNT] = {
    "running",          "finished",
    "finish-rejected",  "bspack-finished",
    "bspack-rejected",  "request-rejected",
    "request-timeout",  "request-reset",
    "handshake-failed", "handshake-timeout",
    "timeout",          "vanished",
    "closed",           "error",
};

const char *sim_outcome_name(sim_outcome_t o)
{
    return (unsigned)o < SIM_OUT_COUNT ? outcome_names[o] : "unknown";
}

int sim_outcome_parse(const char *s)
{
    for (int i = 0; i < SIM_OUT_COUNT; i++)
        if (strcmp(s, outcome_names[i]) == 0) return i;
    return -1;
}

static uint32_t rnd_next(sim_dev_t *d)
{
    uint32_t x = d->rnd ? d->rnd : 0x9e3779b9u;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return d->rnd = x;
}

static void code_str(uint8_t code, char *out, size_t cap)
{
    snprintf(out, cap, "%u.%02u", code >> 5, code & 31u);
}

/* ---- initial state -------------------------------------------------- */

static void initial_store(sim_dev_t *d)
{
    const sim_cfg_t *c = d->cfg;
    sim_store_t *s = &d->store;
    if (c->state && c->state->have_initial) {
        /* --state: what the device kept from its last run. */
        sim_state_copy(s, &c->state->initial);
        return;
    }
    uint16_t bs = (uint16_t)c->bs_inst;
    sim_store_set_str(s, SIM_OBJ_SECURITY, bs, 0, c->uri);
    sim_store_set_bool(s, SIM_OBJ_SECURITY, bs, 1, true);
    sim_store_set_int(s, SIM_OBJ_SECURITY, bs, 2, c->sec);
    if (c->sec == SIM_SEC_PSK) {
        const char *id = c->psk_identity_ep ? d->ep : c->psk_identity;
        sim_store_set_opaque(s, SIM_OBJ_SECURITY, bs, 3, (const uint8_t *)id, strlen(id));
        sim_store_set_opaque(s, SIM_OBJ_SECURITY, bs, 5, c->psk_key, c->psk_key_len);
    } else if (c->sec != SIM_SEC_NOSEC) {
        /* The public part only: the private key is not mirrored here. */
        sim_store_set_opaque(s, SIM_OBJ_SECURITY, bs, 3, c->cred, c->cred_len);
    }
    sim_store_set_str(s, SIM_OBJ_DEVICE, 0, 0, "lwm2m-bsd");
    sim_store_set_str(s, SIM_OBJ_DEVICE, 0, 1, "bsd-sim");
    sim_store_set_str(s, SIM_OBJ_DEVICE, 0, 2, d->ep);
    sim_store_set_str(s, SIM_OBJ_DEVICE, 0, 16, "U");
    if (c->preset_ssid > 0) {
        /* A factory-provisioned LwM2M Server account, for Delete and
         * unbootstrap tests: /0/(next free), /1/0, and an ACL for /3/0. */
        uint16_t si = bs == 0 ? 1 : 0, ssid = (uint16_t)c->preset_ssid;
        sim_store_set_str(s, SIM_OBJ_SECURITY, si, 0, "coap://127.0.0.1:5683");
        sim_store_set_bool(s, SIM_OBJ_SECURITY, si, 1, false);
        sim_store_set_int(s, SIM_OBJ_SECURITY, si, 2, SIM_SEC_NOSEC);
        sim_store_set_int(s, SIM_OBJ_SECURITY, si, 10, ssid);
        sim_store_set_int(s, SIM_OBJ_SERVER, 0, 0, ssid);
        sim_store_set_int(s, SIM_OBJ_SERVER, 0, 1, 86400);
        sim_store_set_bool(s, SIM_OBJ_SERVER, 0, 6, false);
        sim_store_set_str(s, SIM_OBJ_SERVER, 0, 7, "U");
        sim_store_set_int(s, SIM_OBJ_ACL, 0, 0, SIM_OBJ_DEVICE);
        sim_store_set_int(s, SIM_OBJ_ACL, 0, 1, 0);
        sim_store_set_rint(s, SIM_OBJ_ACL, 0, 2, ssid, 7); /* R, W, E */
        sim_store_set_int(s, SIM_OBJ_ACL, 0, 3, ssid);
    }
    if (c->presets) sim_presets_apply(s, c->presets); /* sim_main checked them */
}

void sim_dev_reset(sim_dev_t *d, const char *ep, uint32_t seed, uint64_t now_us)
{
    const sim_cfg_t *c = d->cfg;
    snprintf(d->ep, sizeof(d->ep), "%s", ep);
    d->state = SIM_S_IDLE;
    d->outcome = SIM_OUT_RUNNING;
    d->req_code = d->finish_code = 0;
    d->detail[0] = 0;
    sim_store_reset(&d->store, c->store_flags);
    initial_store(d);
    coap_dedup_init(&d->dedup);
    coap_block1_rx_init(&d->b1, d->body, d->body ? SIM_BODY_MAX : 0, c->block);
    memset(&d->xmit, 0, sizeof(d->xmit));
    d->xmit.state = COAP_XMIT_S_DONE;
    d->reqlen = 0;
    d->req_kind = 0;
    d->b2_next = 0;
    d->echo_len = d->echo_tries = 0;
    d->rnd = seed | 1u;
    coap_token_gen_init(&d->tokgen);
    coap_mid_gen_init(&d->midgen, (uint16_t)rnd_next(d));
    d->t_start = now_us;
    d->t_secure = d->t_request = d->t_end = d->linger_until = 0;
    d->deadline_us = now_us + (uint64_t)c->timeout_ms * US_PER_MS;
    d->served = d->n_discover = d->n_read = d->n_write = d->n_delete = d->n_blocks = d->n_dups = 0;
}

uint8_t *sim_dev_body(sim_dev_t *d)
{
    if (!d->body) {
        d->body = malloc(SIM_BODY_MAX);
        if (!d->body) return NULL;
        coap_block1_rx_init(&d->b1, d->body, SIM_BODY_MAX, d->cfg->block);
    }
    return d->body;
}

void sim_dev_end(sim_dev_t *d, sim_outcome_t o, const char *why, uint64_t now_us)
{
    if (d->outcome != SIM_OUT_RUNNING) return;
    d->outcome = (uint8_t)o;
    if (why) snprintf(d->detail, sizeof(d->detail), "%s", why);
    d->state = SIM_S_DONE;
    d->t_end = now_us;
    if (d->cfg->state) sim_state_capture(d->cfg->state, &d->store); /* final from here on */
    coap_xmit_cancel(&d->xmit);
    /* Stay to answer a retransmitted Finish whose 2.04 was lost. */
    int linger = o == SIM_OUT_FINISHED || o == SIM_OUT_FINISH_REJECTED;
    d->linger_until = now_us + (linger ? (uint64_t)d->cfg->linger_ms * US_PER_MS : 0);
}

/* ---- our requests: GET /bspack, POST /bs ------------------------------ */

static void send_request(sim_dev_t *d, uint8_t kind, uint64_t now_us)
{
    const sim_cfg_t *c = d->cfg;
    uint8_t tok[COAP_MAX_TKL];
    uint8_t tkl = coap_token_next(&d->tokgen, tok);
    coap_builder_t b;
    char q[SIM_EP_MAX + 8];
    uint8_t plain[SIM_REQ_MAX]; /* OSCORE: the request before protection */
    coap_build_init(&b, c->oscore ? plain : d->req, sizeof(d->req), COAP_TYPE_CON,
                    kind == SIM_S_BSPACK ? COAP_GET : COAP_POST, coap_mid_next(&d->midgen), tok, tkl);
    coap_build_opt_str(&b, COAP_OPT_URI_PATH, kind == SIM_S_BSPACK ? "bspack" : "bs");
    if (!c->omit_ep) {
        snprintf(q, sizeof(q), "ep=%s", d->ep);
        coap_build_opt_str(&b, COAP_OPT_URI_QUERY, q);
    }
    if (kind == SIM_S_BSPACK) {
        coap_build_opt_uint(&b, COAP_OPT_ACCEPT,
                            c->pct == COAP_CF_SENML_JSON ? COAP_CF_SENML_JSON : COAP_CF_SENML_CBOR);
        if (d->b2_next) coap_build_opt_uint(&b, COAP_OPT_BLOCK2, d->b2_next);
    } else if (c->pct >= 0 && c->minor >= 1) {
        snprintf(q, sizeof(q), "pct=%d", c->pct);
        coap_build_opt_str(&b, COAP_OPT_URI_QUERY, q);
    }
    if (d->echo_len) coap_build_opt(&b, COAP_OPT_ECHO, d->echo, d->echo_len);
    int n = coap_build_finish(&b);
    if (n >= 0 && c->oscore) n = sim_osc_protect_request(c->oscore, plain, (size_t)n, d->req, sizeof(d->req));
    if (n < 0) {
        sim_dev_end(d, SIM_OUT_ERROR, c->oscore ? "request-build/oscore-protect" : "request-build", now_us);
        return;
    }
    d->reqlen = (size_t)n;
    d->req_kind = kind;
    d->state = kind;
    coap_xmit_init(&d->xmit, d->req, d->reqlen);
    coap_xmit_start(&d->xmit, now_us / US_PER_MS, rnd_next(d));
    if (!d->t_request) d->t_request = now_us; /* latency: first request → Finish answered */
    d->tx(d, d->req, d->reqlen);
}

/* --oscore-send-raw: the saved datagram once more, as it was. */
static void send_raw(sim_dev_t *d, const sim_osc_t *osc, uint64_t now_us)
{
    memcpy(d->req, osc->raw, osc->raw_len);
    d->reqlen = osc->raw_len;
    d->req_kind = d->state = SIM_S_REQUEST;
    coap_xmit_init(&d->xmit, d->req, d->reqlen);
    coap_xmit_start(&d->xmit, now_us / US_PER_MS, rnd_next(d));
    d->t_request = now_us;
    d->tx(d, d->req, d->reqlen);
}

void sim_dev_begin(sim_dev_t *d, uint64_t now_us)
{
    d->t_secure = now_us;
    if (d->cfg->oscore && d->cfg->oscore->raw_len) {
        send_raw(d, d->cfg->oscore, now_us);
    } else if (d->cfg->bspack) {
        if (!sim_dev_body(d)) {
            sim_dev_end(d, SIM_OUT_ERROR, "out of memory", now_us);
            return;
        }
        coap_block2_rx_init(&d->b2, d->body, SIM_BODY_MAX, (uint8_t)coap_block_szx_for(d->cfg->block));
        send_request(d, SIM_S_BSPACK, now_us);
    } else {
        send_request(d, SIM_S_REQUEST, now_us);
    }
}

/* Applies a complete Bootstrap-Pack (LwM2M 1.2) as Anjay does: every
 * record written, then the configuration validated like a Finish. */
static void apply_bspack(sim_dev_t *d, const coap_msg_t *m, uint64_t now_us)
{
    uint32_t cf = COAP_CF_SENML_CBOR;
    coap_opt_uint(coap_opt_get(m, COAP_OPT_CONTENT_FORMAT), &cf);
    lwm2m_path_t root = lwm2m_path(0, 0, 0, 0, 0);
    size_t n;
    char why[96];
    sim_work_t *w = d->work;
    int r = sim_fmt_decode((uint16_t)cf, &root, d->b2.buf, d->b2.len, w->recs, SIM_MAX_RECS, &n, w->scratch,
                           sizeof(w->scratch));
    if (r == 0) r = sim_store_write(&d->store, &root, w->recs, n);
    if (r != 0) {
        snprintf(why, sizeof(why), "bspack-undecodable cf=%u err=%d", (unsigned)cf, r);
        sim_dev_end(d, SIM_OUT_BSPACK_REJECTED, why, now_us);
    } else if (sim_store_validate(&d->store, why, sizeof(why)) != 0) {
        sim_dev_end(d, SIM_OUT_BSPACK_REJECTED, why, now_us);
    } else {
        sim_dev_end(d, SIM_OUT_BSPACK_FINISHED, NULL, now_us);
    }
}

static void on_response(sim_dev_t *d, const coap_msg_t *m, uint64_t now_us)
{
    char cs[8], why[64];
    if (d->state == SIM_S_DONE || d->state == SIM_S_VANISHED) return;
    if (d->req_kind == SIM_S_BSPACK) {
        coap_block_t next;
        int r = m->code == COAP_CONTENT ? coap_block2_rx_feed(&d->b2, m, &next) : -1;
        if (r == COAP_B2_NEXT) {
            d->b2_next = coap_block_encode(&next); /* NUM >= 1: never 0 */
            send_request(d, SIM_S_BSPACK, now_us);
        } else if (r == COAP_B2_COMPLETE) {
            apply_bspack(d, m, now_us);
        } else {
            /* Anjay falls back to POST /bs on any error answer. */
            code_str(m->code, cs, sizeof(cs));
            log_msg(BSD_LOG_DEBUG, "sim.bspack.fallback", "ep=%s code=%s", d->ep, cs);
            coap_block2_rx_reset(&d->b2);
            d->b2_next = 0;
            send_request(d, SIM_S_REQUEST, now_us);
        }
        return;
    }
    const coap_option_t *echo = coap_opt_get(m, COAP_OPT_ECHO);
    if (m->code == COAP_UNAUTHORIZED && echo && echo->len <= sizeof(d->echo) &&
        d->echo_tries < SIM_ECHO_TRIES) {
        /* RFC 9175 §2.3: repeat the request with the server's Echo. */
        memcpy(d->echo, echo->val, echo->len);
        d->echo_len = (uint8_t)echo->len;
        d->echo_tries++;
        send_request(d, SIM_S_REQUEST, now_us);
        return;
    }
    d->req_code = m->code;
    if (m->code == COAP_CHANGED) {
        if (d->state == SIM_S_REQUEST) d->state = SIM_S_SERVING;
        return;
    }
    code_str(m->code, cs, sizeof(cs));
    snprintf(why, sizeof(why), "bootstrap-request=%s", cs);
    sim_dev_end(d, SIM_OUT_REQUEST_REJECTED, why, now_us);
}

/* A response to our protected request: verified (B.2 step 3 included) and
 * handed on as the inner message; an unprotected one (an RFC 8613 §8 error,
 * a plain 4.01 + Echo) is handed on as it is. */
static void on_oscore_response(sim_dev_t *d, const coap_msg_t *m, uint64_t now_us)
{
    sim_osc_t *osc = d->cfg->oscore;
    char why[96];
    if (osc->raw_len) {
        sim_osc_raw_answer(osc, m);
        d->req_code = m->code;
        sim_dev_end(d, SIM_OUT_REQUEST_REJECTED, "oscore send-raw answered", now_us);
        return;
    }
    coap_msg_t inner;
    int r = sim_osc_response(osc, m, &inner);
    if (r == SIM_OSC_UNPROTECTED) {
        on_response(d, m, now_us);
        return;
    }
    if (r < 0) {
        /* §8.4: a response that does not verify is not processed; the
         * exchange is over, so the bootstrap cannot go on. */
        snprintf(why, sizeof(why), "oscore response: %s", oscore_strerror(r));
        sim_dev_end(d, SIM_OUT_REQUEST_REJECTED, why, now_us);
        return;
    }
    if (r == SIM_OSC_B2 && inner.code == COAP_UNAUTHORIZED && !coap_opt_get(&inner, COAP_OPT_ECHO) &&
        d->echo_tries < SIM_ECHO_TRIES) {
        /* B.2 step 3 without Echo: request #2 is the same request, in ctx3. */
        d->echo_tries++;
        send_request(d, SIM_S_REQUEST, now_us);
        return;
    }
    on_response(d, &inner, now_us);
}

/* A server request under OSCORE: verified, served as the inner message,
 * answered protected with the request's nonce; one that does not verify
 * gets the unprotected RFC 8613 §8 error. */
static void serve_oscore(sim_dev_t *d, const coap_msg_t *m, uint64_t now_us)
{
    sim_osc_t *osc = d->cfg->oscore;
    uint8_t *out = d->work->msg;
    const uint8_t *bytes = out;
    coap_msg_t inner;
    int n, r = sim_osc_request(osc, m, &inner);
    if (r == 0 || r == OSCORE_ERR_INNER_FORMAT || r == OSCORE_ERR_INNER_BAD_OPTION) {
        /* Verified: the answer, or the error about the inner message
         * (§8.2: 4.00 / 4.02), goes back protected. */
        n = r == 0 ? (int)sim_dev_serve(d, &inner, now_us, out, sizeof(d->work->msg))
                   : sim_osc_error_response(m, r, coap_mid_next(&d->midgen), out, sizeof(d->work->msg));
        if (n <= 0) return;
        n = sim_osc_protect_response(osc, out, (size_t)n);
        bytes = osc->last;
    } else {
        log_msg(BSD_LOG_DEBUG, "sim.oscore.reject", "ep=%s err=%s", d->ep, oscore_strerror(r));
        n = sim_osc_error_response(m, r, coap_mid_next(&d->midgen), out, sizeof(d->work->msg));
    }
    if (n <= 0) return;
    if (m->type == COAP_TYPE_CON) coap_dedup_store(&d->dedup, m->mid, bytes, (size_t)n, now_us / US_PER_MS);
    d->tx(d, bytes, (size_t)n);
}

/* ---- input ------------------------------------------------------------ */

static void send_empty(sim_dev_t *d, uint8_t type, uint16_t mid)
{
    uint8_t e[4];
    if (coap_build_empty(e, sizeof(e), type, mid) == 4) d->tx(d, e, 4);
}

void sim_dev_input(sim_dev_t *d, const uint8_t *msg, size_t len, uint64_t now_us)
{
    coap_msg_t m;
    uint64_t now_ms = now_us / US_PER_MS;
    if (d->state == SIM_S_VANISHED || d->state == SIM_S_IDLE || d->state == SIM_S_HANDSHAKE) return;
    int pr = coap_parse(&m, msg, len);
    if (pr == COAP_ERR_FORMAT) {
        /* RFC 7252 §4.2: reject a malformed CON with RST. */
        if (len >= 4 && (msg[0] >> 6) == 1 && ((msg[0] >> 4) & 3) == COAP_TYPE_CON)
            send_empty(d, COAP_TYPE_RST, (uint16_t)(msg[2] << 8 | msg[3]));
        return;
    }
    if (!coap_msg_is_request(&m)) {
        int r = (d->state == SIM_S_BSPACK || d->state == SIM_S_REQUEST || d->state == SIM_S_SERVING)
                    ? coap_xmit_on_message(&d->xmit, &m)
                    : COAP_XMIT_NOMATCH;
        if (r == COAP_XMIT_RESPONSE) {
            if (m.type == COAP_TYPE_CON) send_empty(d, COAP_TYPE_ACK, m.mid);
            if (d->cfg->oscore)
                on_oscore_response(d, &m, now_us);
            else
                on_response(d, &m, now_us);
        } else if (r == COAP_XMIT_RESET) {
            sim_dev_end(d, SIM_OUT_REQUEST_RESET, d->req_kind == SIM_S_BSPACK ? "bspack" : "bs", now_us);
        } else if (r == COAP_XMIT_NOMATCH && m.type == COAP_TYPE_CON) {
            /* A separate response seen before (ACK it again), or a ping or
             * unknown response (RST, §4.2/§4.3). */
            send_empty(d, m.code != COAP_EMPTY ? COAP_TYPE_ACK : COAP_TYPE_RST, m.mid);
        }
        return;
    }
    if (m.type != COAP_TYPE_CON && m.type != COAP_TYPE_NON) return;
    if (m.type == COAP_TYPE_CON) {
        const uint8_t *cached;
        size_t clen;
        switch (coap_dedup_check(&d->dedup, m.mid, now_ms, &cached, &clen)) {
        case COAP_DEDUP_CACHED:
            d->n_dups++;
            d->tx(d, cached, clen);
            return;
        case COAP_DEDUP_PENDING: d->n_dups++; return;
        case COAP_DEDUP_REPROCESS:
            d->n_dups++;
            /* OSCORE cannot reprocess (the replay window says no): resend. */
            if (d->cfg->oscore && sim_osc_cached(d->cfg->oscore, m.mid, &cached, &clen)) {
                d->tx(d, cached, clen);
                return;
            }
            if (m.code != COAP_GET) return;
            break;
        default: break;
        }
    }
    if (d->state == SIM_S_DONE) return; /* new requests after the end: silence */
    if (d->cfg->vanish_after && d->served >= d->cfg->vanish_after) {
        d->state = SIM_S_VANISHED;
        coap_xmit_cancel(&d->xmit);
        snprintf(d->detail, sizeof(d->detail), "vanished after %u requests", d->served);
        return;
    }
    d->served++;
    uint8_t *out = d->work->msg;
    if (pr != 0) {
        /* Header and token are valid (coap_msg.h): 4.02 / 4.00. */
        coap_builder_t b;
        coap_build_init(&b, out, sizeof(d->work->msg),
                        m.type == COAP_TYPE_CON ? COAP_TYPE_ACK : COAP_TYPE_NON,
                        pr == COAP_ERR_BAD_OPTION ? COAP_BAD_OPTION : COAP_BAD_REQUEST,
                        m.type == COAP_TYPE_CON ? m.mid : coap_mid_next(&d->midgen), m.token, m.tkl);
        int n = coap_build_finish(&b);
        if (n > 0) d->tx(d, out, (size_t)n);
        if (n > 0 && m.type == COAP_TYPE_CON) coap_dedup_store(&d->dedup, m.mid, out, (size_t)n, now_ms);
        return;
    }
    if (d->cfg->oscore) {
        serve_oscore(d, &m, now_us);
        return;
    }
    size_t n = sim_dev_serve(d, &m, now_us, out, sizeof(d->work->msg));
    if (n == 0) return;
    if (m.type == COAP_TYPE_CON) coap_dedup_store(&d->dedup, m.mid, out, n, now_ms);
    d->tx(d, out, n);
}

/* ---- timers -------------------------------------------------------------- */

static int xmit_running(const sim_dev_t *d)
{
    return (d->state == SIM_S_BSPACK || d->state == SIM_S_REQUEST || d->state == SIM_S_SERVING) &&
           (d->xmit.state == COAP_XMIT_S_WAIT_ACK || d->xmit.state == COAP_XMIT_S_WAIT_SEPARATE);
}

void sim_dev_timer(sim_dev_t *d, uint64_t now_us)
{
    if (d->outcome != SIM_OUT_RUNNING) return;
    if (now_us >= d->deadline_us) {
        switch (d->state) {
        case SIM_S_VANISHED: sim_dev_end(d, SIM_OUT_VANISHED, NULL, now_us); break;
        case SIM_S_IDLE:
        case SIM_S_HANDSHAKE: sim_dev_end(d, SIM_OUT_HANDSHAKE_TIMEOUT, NULL, now_us); break;
        case SIM_S_BSPACK:
        case SIM_S_REQUEST:
            sim_dev_end(d, SIM_OUT_REQUEST_TIMEOUT,
                        d->state == SIM_S_BSPACK ? "bspack: --timeout reached" : "bs: --timeout reached",
                        now_us);
            break;
        default: sim_dev_end(d, SIM_OUT_TIMEOUT, "no bootstrap-finish", now_us); break;
        }
        return;
    }
    if (!xmit_running(d)) return;
    switch (coap_xmit_timer(&d->xmit, now_us / US_PER_MS)) {
    case COAP_XMIT_RETRANSMIT: d->tx(d, d->req, d->reqlen); break;
    case COAP_XMIT_TIMEOUT:
        /* Anjay does not fall back from /bspack on a timeout. */
        sim_dev_end(d, SIM_OUT_REQUEST_TIMEOUT,
                    d->req_kind == SIM_S_BSPACK ? "bspack: retransmissions exhausted"
                                                : "bs: retransmissions exhausted",
                    now_us);
        break;
    default: break;
    }
}

uint64_t sim_dev_deadline(const sim_dev_t *d)
{
    if (d->outcome != SIM_OUT_RUNNING) return d->linger_until;
    uint64_t t = d->deadline_us;
    if (xmit_running(d)) {
        uint64_t x = coap_xmit_next_deadline(&d->xmit);
        if (x != COAP_XMIT_NO_DEADLINE && x * US_PER_MS < t) t = x * US_PER_MS;
    }
    return t;
}

int sim_dev_released(const sim_dev_t *d, uint64_t now_us)
{
    return d->outcome != SIM_OUT_RUNNING && now_us >= d->linger_until;
}
