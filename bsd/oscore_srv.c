/*
 * oscore_srv.c — the Bootstrap interface over OSCORE (see oscore_srv.h).
 */
#include "bsd/oscore_srv.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "bsd/bootstrap.h"
#include "bsd/coap/coap_dedup.h"
#include "bsd/lwm2m/bs_session.h"
#include "bsd/oscore/oscore.h"
#include "bsd/server_sess.h"
#include "bsd/transport/dtls.h"
#include "bsd/transport/udp.h"
#include "bsd/util/log.h"

#define OSC_R2_LEN    8   /* bytes of R2 (as libcoap; B.2 suggests at least 8) */
#define OSC_ECHO_AGE  120 /* seconds an Echo value stays good */
#define OSC_MSG_MAX   1400
#define OSC_PLAIN_MAX (OSC_MSG_MAX + 64)

typedef struct osc_sess {
    char endpoint[CREDS_MAX_ENDPOINT + 1];
    oscore_ctx_t base; /* the device's context as request #1 used it (ID Context ID1) */
    uint8_t id1[OSCORE_MAX_ID_CTX_LEN];
    size_t id1_len;
    int r2_pending; /* a 4.01 with this R2 went out; request #2 not seen yet */
    uint8_t r2[OSC_R2_LEN];
    int active; /* ctx is ctx3: the bootstrap runs over it */
    oscore_ctx_t ctx;
    dtls_auth_t auth; /* what bootstrap_request sees for a plain peer */
    /* the request last protected for the engine, for its retransmissions
     * and for verifying its response */
    int out_valid;
    uint16_t out_mid;
    size_t out_len;
    oscore_req_t out_req;
    uint8_t out_buf[OSC_MSG_MAX];
} osc_sess_t;

static uint8_t g_echo_key[OSCORE_HMAC_KEY_LEN];
static pthread_once_t g_echo_once = PTHREAD_ONCE_INIT;

/* The Echo key is drawn at start: a restart invalidates every Echo value
 * handed out before it (what Appendix B.1.2 relies on). */
static void echo_key_init(void)
{
    if (getrandom(g_echo_key, sizeof(g_echo_key), 0) != (ssize_t)sizeof(g_echo_key)) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        memcpy(g_echo_key, &ts, sizeof(ts) < sizeof(g_echo_key) ? sizeof(ts) : sizeof(g_echo_key));
    }
}

static uint32_t now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint32_t)ts.tv_sec;
}

static void hexs(char *out, size_t cap, const uint8_t *b, size_t n)
{
    static const char hx[] = "0123456789abcdef";
    size_t k = 0;
    for (size_t i = 0; i < n && k + 2 < cap; i++) {
        out[k++] = hx[b[i] >> 4];
        out[k++] = hx[b[i] & 15];
    }
    out[k] = 0;
}

static void log_refused(const worker_peer_t *peer, const char *reason, const uint8_t *kid, size_t kid_len)
{
    char a[64], k[2 * OSCORE_MAX_ID_LEN + 1];
    hexs(k, sizeof(k), kid, kid_len);
    log_msg(BSD_LOG_INFO, "oscore.refused", "peer=%s kid=%s reason=\"%s\"",
            udp_addr_str(peer->addr, a, sizeof(a)), k, reason);
}

/* An OSCORE-layer error, unprotected (RFC 8613 §8.2), logged with |why|
 * (NULL: the error's own name). */
static size_t plain_error_why(const worker_peer_t *peer, const coap_msg_t *m, int err, const char *why,
                              const uint8_t *kid, size_t kid_len, uint8_t *out, size_t cap)
{
    const char *diag = NULL;
    uint8_t code = oscore_err_response(err, &diag);
    log_refused(peer, why ? why : oscore_strerror(err), kid, kid_len);
    if (!code) code = COAP_INTERNAL_SERVER_ERROR;
    coap_builder_t b;
    coap_build_init(&b, out, cap, m->type == COAP_TYPE_CON ? COAP_TYPE_ACK : COAP_TYPE_NON, code,
                    m->type == COAP_TYPE_CON ? m->mid : server_next_mid(), m->token, m->tkl);
    if (diag) coap_build_payload(&b, (const uint8_t *)diag, strlen(diag));
    int n = coap_build_finish(&b);
    return n > 0 ? (size_t)n : 0;
}

static size_t plain_error(const worker_peer_t *peer, const coap_msg_t *m, int err, const uint8_t *kid,
                          size_t kid_len, uint8_t *out, size_t cap)
{
    return plain_error_why(peer, m, err, NULL, kid, kid_len, out, cap);
}

/* Builds the plain response |code| (with an Echo option when |echo|) to
 * request |m| into |buf| and parses it into |plain|. */
static int plain_response(const coap_msg_t *m, uint8_t code, const uint8_t *echo, size_t echo_len,
                          uint8_t *buf, size_t cap, coap_msg_t *plain)
{
    coap_builder_t b;
    coap_build_init(&b, buf, cap, m->type == COAP_TYPE_CON ? COAP_TYPE_ACK : COAP_TYPE_NON, code,
                    m->type == COAP_TYPE_CON ? m->mid : server_next_mid(), m->token, m->tkl);
    if (echo) coap_build_opt(&b, COAP_OPT_ECHO, echo, echo_len);
    int n = coap_build_finish(&b);
    return n > 0 && coap_parse(plain, buf, (size_t)n) == 0 ? 0 : -1;
}

static int kid_is(const oscore_option_t *o, const uint8_t *id, size_t len)
{
    return o->kid_len == len && (len == 0 || memcmp(o->kid, id, len) == 0);
}

static osc_sess_t *sess_osc(server_sess_t *ss)
{
    if (!ss->osc) ss->osc = calloc(1, sizeof(osc_sess_t));
    return ss->osc;
}

/* Answers request #1 (verified with the device's context): 4.01 protected
 * with ctx2 = R2 || ID1, our own Partial IV, kid context R2, inner Echo. */
static size_t start_b2(const worker_peer_t *peer, osc_sess_t *os, const coap_msg_t *m,
                       const oscore_req_t *req, uint8_t *out, size_t cap)
{
    uint8_t idc[OSCORE_MAX_ID_CTX_LEN], wrapped[OSC_R2_LEN + 2], echo[OSCORE_ECHO_LEN];
    if (getrandom(os->r2, sizeof(os->r2), 0) != (ssize_t)sizeof(os->r2)) return 0;
    int l = oscore_b2_id_ctx(os->r2, sizeof(os->r2), os->id1, os->id1_len, idc, sizeof(idc));
    int wl = oscore_b2_wrap(os->r2, sizeof(os->r2), wrapped, sizeof(wrapped));
    pthread_once(&g_echo_once, echo_key_init);
    if (l < 0 || wl < 0 || oscore_echo_make(g_echo_key, now_s(), os->r2, sizeof(os->r2), echo) < 0) return 0;
    oscore_ctx_t ctx2;
    size_t n = 0;
    uint8_t pbuf[128];
    coap_msg_t plain;
    oscore_send_t snd = {.own_piv = true, .kid_ctx = wrapped, .kid_ctx_len = (size_t)wl};
    /* ctx2 is new (a random R2): its whole sequence-number space is ours. */
    if (oscore_ctx_rederive(&ctx2, &os->base, idc, (size_t)l) == 0 &&
        oscore_ctx_seq_reserved(&ctx2, OSCORE_SSN_LIMIT) == 0 &&
        plain_response(m, COAP_UNAUTHORIZED, echo, sizeof(echo), pbuf, sizeof(pbuf), &plain) == 0) {
        int r = oscore_protect_response(&ctx2, req, &plain, &snd, out, cap);
        n = r > 0 ? (size_t)r : 0;
    }
    oscore_ctx_wipe(&ctx2);
    if (n) {
        os->r2_pending = 1;
        char a[64], q[LOG_QUOTE_SIZE(64)];
        log_quote_str(q, sizeof(q), os->endpoint);
        log_msg(BSD_LOG_INFO, "oscore.b2.started", "peer=%s endpoint=%s",
                udp_addr_str(peer->addr, a, sizeof(a)), q);
    }
    return n;
}

/* Serves the inner request of an established ctx3 (request #2, or a later
 * one) and protects the answer with ctx3. */
static size_t serve(server_t *srv, server_sess_t **ssp, osc_sess_t *os, const worker_peer_t *peer,
                    const bsd_gen_t *gen, const coap_msg_t *inner, const oscore_req_t *req, uint64_t now,
                    uint8_t *out, size_t cap)
{
    static _Thread_local uint8_t pl[OSC_PLAIN_MAX];
    size_t n;
    if (coap_uri_path_equals(inner, "bs") && inner->code == COAP_POST) {
        if (peer->auth && strcmp(peer->auth->endpoint, os->endpoint) != 0) {
            /* DTLS and OSCORE name two devices. */
            log_refused(peer, "dtls_and_oscore_devices_differ", os->ctx.recipient_id,
                        os->ctx.recipient_id_len);
            coap_msg_t plain;
            if (plain_response(inner, COAP_BAD_REQUEST, NULL, 0, pl, sizeof(pl), &plain) != 0) return 0;
            int r = oscore_protect_response(&os->ctx, req, &plain, NULL, out, cap);
            return r > 0 ? (size_t)r : 0;
        }
        worker_peer_t p2 = *peer;
        /* Room for the OSCORE option, the inner code and the tag in every
         * message the engine builds. */
        p2.max_coap = peer->max_coap > 128 ? peer->max_coap - 40 : peer->max_coap;
        /* cred=oscore; inside DTLS the DTLS credential stays described
         * (dtls_kind, identity: the record and rotation use them). */
        if (peer->auth) {
            os->auth = *peer->auth;
            os->auth.dtls_kind = peer->auth->kind;
        } else {
            memset(&os->auth, 0, sizeof(os->auth));
            hexs(os->auth.identity, sizeof(os->auth.identity), os->ctx.recipient_id,
                 os->ctx.recipient_id_len);
        }
        os->auth.kind = CREDS_OSCORE;
        snprintf(os->auth.endpoint, sizeof(os->auth.endpoint), "%s", os->endpoint);
        p2.auth = &os->auth;
        n = bootstrap_request(srv, ssp, &p2, gen, inner, now, pl, sizeof(pl));
    } else {
        coap_msg_t plain;
        if (plain_response(inner, COAP_NOT_FOUND, NULL, 0, pl, sizeof(pl), &plain) != 0) return 0;
        int r = oscore_protect_response(&os->ctx, req, &plain, NULL, out, cap);
        return r > 0 ? (size_t)r : 0;
    }
    coap_msg_t plain;
    if (!n || coap_parse(&plain, pl, n) != 0) return 0;
    int r = oscore_protect_response(&os->ctx, req, &plain, NULL, out, cap);
    return r > 0 ? (size_t)r : 0;
}

size_t oscore_srv_request(server_t *srv, server_sess_t **ssp, const worker_peer_t *peer, const bsd_gen_t *gen,
                          const coap_msg_t *m, uint64_t now, uint8_t *out, size_t cap)
{
    static _Thread_local uint8_t pbuf[OSC_PLAIN_MAX];
    const coap_option_t *oo = coap_opt_get(m, COAP_OPT_OSCORE);
    oscore_option_t opt;
    int r = oo ? oscore_option_decode(oo->val, oo->len, &opt) : OSCORE_ERR_NO_OPTION;
    if (r != 0) return plain_error(peer, m, r, NULL, 0, out, cap);
    if (!opt.has_kid) return plain_error(peer, m, OSCORE_ERR_NO_KID, NULL, 0, out, cap);
    if (m->payload_len + OSCORE_UNPROTECT_OVERHEAD > sizeof(pbuf))
        return plain_error(peer, m, OSCORE_ERR_NOSPACE, opt.kid, opt.kid_len, out, cap);
    const uint8_t *kc = NULL;
    size_t kcl = 0;
    int kc_wrapped = opt.has_kid_ctx && oscore_b2_unwrap(opt.kid_ctx, opt.kid_ctx_len, &kc, &kcl) == 0;
    if (opt.has_kid_ctx && !kc_wrapped) {
        kc = opt.kid_ctx;
        kcl = opt.kid_ctx_len;
    }
    server_sess_t *ss = *ssp;
    osc_sess_t *os = ss ? ss->osc : NULL;
    coap_msg_t inner;
    oscore_req_t req;

    /* A request on the running context (ctx3). */
    if (os && os->active && kid_is(&opt, os->ctx.recipient_id, os->ctx.recipient_id_len) &&
        (!opt.has_kid_ctx || (kcl == os->ctx.id_ctx_len && memcmp(kc, os->ctx.id_ctx, kcl) == 0))) {
        r = oscore_unprotect_request(&os->ctx, m, pbuf, sizeof(pbuf), &inner, &req);
        if (r != 0 && r != OSCORE_ERR_INNER_BAD_OPTION)
            return plain_error(peer, m, r, opt.kid, opt.kid_len, out, cap);
        return serve(srv, ssp, os, peer, gen, &inner, &req, now, out, cap);
    }

    /* Request #2: kid context R2 || R3 with the R2 this session sent. */
    if (os && os->r2_pending && opt.has_kid_ctx && kcl > OSC_R2_LEN && memcmp(kc, os->r2, OSC_R2_LEN) == 0 &&
        kid_is(&opt, os->base.recipient_id, os->base.recipient_id_len)) {
        oscore_ctx_t c3;
        if (oscore_ctx_rederive(&c3, &os->base, kc, kcl) != 0)
            return plain_error(peer, m, OSCORE_ERR_CRYPTO, opt.kid, opt.kid_len, out, cap);
        /* ctx3 is new (its ID Context holds our random R2): every sequence
         * number is ours; the replay window starts empty. */
        oscore_ctx_seq_reserved(&c3, OSCORE_SSN_LIMIT);
        r = oscore_unprotect_request(&c3, m, pbuf, sizeof(pbuf), &inner, &req);
        if (r != 0 && r != OSCORE_ERR_INNER_BAD_OPTION) {
            oscore_ctx_wipe(&c3);
            return plain_error(peer, m, r, opt.kid, opt.kid_len, out, cap);
        }
        const coap_option_t *eo = coap_opt_get(&inner, COAP_OPT_ECHO);
        pthread_once(&g_echo_once, echo_key_init);
        int er = eo ? oscore_echo_verify(g_echo_key, now_s(), OSC_ECHO_AGE, os->r2, sizeof(os->r2), eo->val,
                                         eo->len)
                    : OSCORE_ERR_ECHO_INVALID;
        if (er != 0) {
            oscore_ctx_wipe(&c3);
            log_refused(peer, eo ? oscore_strerror(er) : "echo_missing", opt.kid, opt.kid_len);
            /* Start over: a new R2 and Echo. */
            return start_b2(peer, os, &inner, &req, out, cap);
        }
        os->ctx = c3;
        oscore_ctx_wipe(&c3);
        os->active = 1;
        os->r2_pending = 0;
        os->out_valid = 0;
        return serve(srv, ssp, os, peer, gen, &inner, &req, now, out, cap);
    }

    /* Request #1: the device's own context. */
    /* By kid and kid context; a kid context the device was not configured
     * with (a client starting B.2 with its R1) is looked up by kid alone. */
    const creds_device_t *dev =
        creds_find_oscore(gen->creds, opt.kid, opt.kid_len, opt.has_kid_ctx ? kc : NULL, kcl);
    if (!dev && opt.has_kid_ctx) dev = creds_find_oscore(gen->creds, opt.kid, opt.kid_len, NULL, 0);
    if (!dev) return plain_error(peer, m, OSCORE_ERR_UNKNOWN_KID, opt.kid, opt.kid_len, out, cap);
    /* OSCORE inside DTLS: a psk/rpk/x509 device's context is good only in
     * a DTLS session, never on the plain listener (it must not get around
     * its DTLS credential): as if the context did not exist. */
    if (dev->kind != CREDS_OSCORE && !peer->auth)
        return plain_error_why(peer, m, OSCORE_ERR_UNKNOWN_KID, "oscore_requires_dtls", opt.kid, opt.kid_len,
                               out, cap);
    oscore_ctx_t c1;
    const uint8_t *idc = opt.has_kid_ctx ? kc : (dev->oscore_has_id_context ? dev->oscore_id_context : NULL);
    size_t idcl = opt.has_kid_ctx ? kcl : dev->oscore_id_context_len;
    oscore_params_t p = {
        .master_secret = dev->oscore_secret,
        .master_secret_len = dev->oscore_secret_len,
        .master_salt = dev->oscore_salt,
        .master_salt_len = dev->oscore_salt_len,
        .sender_id = dev->oscore_recipient_id, /* ours is the device's Recipient ID */
        .sender_id_len = dev->oscore_recipient_id_len,
        .recipient_id = dev->oscore_sender_id,
        .recipient_id_len = dev->oscore_sender_id_len,
        .id_ctx = idc,
        .id_ctx_len = idc ? idcl : 0,
    };
    if (oscore_ctx_derive(&c1, &p) != 0)
        return plain_error(peer, m, OSCORE_ERR_CRYPTO, opt.kid, opt.kid_len, out, cap);
    r = oscore_unprotect_request(&c1, m, pbuf, sizeof(pbuf), &inner, &req);
    if (r != 0 && r != OSCORE_ERR_INNER_BAD_OPTION) {
        oscore_ctx_wipe(&c1);
        return plain_error(peer, m, r, opt.kid, opt.kid_len, out, cap);
    }
    if (!ss) {
        if (!peer->adopt) {
            oscore_ctx_wipe(&c1);
            return plain_error(peer, m, OSCORE_ERR_NOSPACE, opt.kid, opt.kid_len, out, cap);
        }
        ss = calloc(1, sizeof(*ss));
        if (!ss) {
            oscore_ctx_wipe(&c1);
            return 0;
        }
        coap_dedup_init(&ss->dedup);
        *peer->adopt = ss;
        *ssp = ss;
        /* The answer to this datagram is stored under its Message ID by
         * the caller; mark it seen so a retransmission is not new. */
        if (m->type == COAP_TYPE_CON) {
            const uint8_t *cached;
            size_t clen;
            coap_dedup_check(&ss->dedup, m->mid, now, &cached, &clen);
        }
    }
    os = sess_osc(ss);
    if (!os) {
        oscore_ctx_wipe(&c1);
        return 0;
    }
    oscore_ctx_wipe(&os->ctx);
    os->active = 0;
    os->out_valid = 0;
    os->base = c1;
    oscore_ctx_wipe(&c1);
    /* ID1 is the ID Context request #1 was protected with: the kid
     * context it carried, else the device's own (B.2: ctx2 = R2 || ID1). */
    os->id1_len = idc ? idcl : 0;
    if (os->id1_len) memcpy(os->id1, idc, os->id1_len);
    snprintf(os->endpoint, sizeof(os->endpoint), "%s", dev->endpoint);
    return start_b2(peer, os, &inner, &req, out, cap);
}

int oscore_srv_response(server_sess_t *ss, const worker_peer_t *peer, const coap_msg_t *m, uint64_t now)
{
    osc_sess_t *os = ss ? ss->osc : NULL;
    if (!os || !os->active || !os->out_valid || !coap_opt_get(m, COAP_OPT_OSCORE)) return 0;
    static _Thread_local uint8_t pbuf[OSC_PLAIN_MAX];
    if (m->payload_len + OSCORE_UNPROTECT_OVERHEAD > sizeof(pbuf)) return 1;
    coap_msg_t inner;
    int r = oscore_unprotect_response(&os->ctx, &os->out_req, m, pbuf, sizeof(pbuf), &inner);
    if (r != 0 && r != OSCORE_ERR_INNER_BAD_OPTION) {
        log_refused(peer, oscore_strerror(r), os->ctx.recipient_id, os->ctx.recipient_id_len);
        return 1; /* not from the device: the engine retransmits or times out */
    }
    bootstrap_message(ss, peer, &inner, now);
    return 1;
}

size_t oscore_srv_protect(server_sess_t *ss, const uint8_t *msg, size_t len, uint8_t *out, size_t cap)
{
    osc_sess_t *os = ss ? ss->osc : NULL;
    coap_msg_t plain;
    if (!os) {
        if (len > cap) return 0;
        memcpy(out, msg, len);
        return len;
    }
    /* An OSCORE session never sends a request in clear: without its
     * context (a new request #1 reset it) the engine's message is dropped. */
    if (coap_parse(&plain, msg, len) != 0) return 0;
    if (!coap_msg_is_request(&plain)) {
        if (len > cap) return 0;
        memcpy(out, msg, len); /* an empty ACK or RST */
        return len;
    }
    if (!os->active) return 0;
    if (os->out_valid && plain.mid == os->out_mid) {
        if (os->out_len > cap) return 0;
        memcpy(out, os->out_buf, os->out_len);
        return os->out_len;
    }
    int n = oscore_protect_request(&os->ctx, &plain, NULL, out, cap, &os->out_req);
    if (n <= 0 || (size_t)n > sizeof(os->out_buf)) return 0;
    memcpy(os->out_buf, out, (size_t)n);
    os->out_len = (size_t)n;
    os->out_mid = plain.mid;
    os->out_valid = 1;
    return (size_t)n;
}

void oscore_srv_sess_close(server_sess_t *ss)
{
    osc_sess_t *os = ss ? ss->osc : NULL;
    if (!os) return;
    oscore_ctx_wipe(&os->base);
    oscore_ctx_wipe(&os->ctx);
    explicit_bzero(os, sizeof(*os));
    free(os);
    ss->osc = NULL;
}
