/*
 * server.c — CoAP message handling and resources (see server.h).
 *
 * Everything here runs on a worker thread and allocates nothing per
 * datagram: the response is built directly into the worker's buffer.
 */
#include "bsd/server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#ifdef BSD_HAVE_BOOTSTRAP
#include "bsd/bootstrap.h"
#endif
#include "bsd/coap/coap_block.h"
#include "bsd/coap/coap_dedup.h"
#include "bsd/coap/coap_msg.h"
#ifdef BSD_HAVE_BOOTSTRAP
#include "bsd/est_srv.h"
#include "bsd/oscore_srv.h"
#endif
#include "bsd/server_sess.h"
#include "bsd/transport/udp.h"
#include "bsd/util/log.h"

/* Room for the response header, token and options ahead of a payload. */
#define RESP_HEADROOM 48

static _Thread_local uint16_t tl_mid;
static _Thread_local int tl_mid_init;

uint16_t server_next_mid(void)
{
    if (!tl_mid_init) {
        if (getrandom(&tl_mid, sizeof(tl_mid), 0) != sizeof(tl_mid)) tl_mid = 0x4242;
        tl_mid_init = 1;
    }
    return ++tl_mid;
}

static void *sess_open(void *ctx, const worker_peer_t *peer)
{
    (void)ctx;
    (void)peer;
    server_sess_t *s = calloc(1, sizeof(*s));
    if (s) coap_dedup_init(&s->dedup);
    return s;
}

static void sess_close(void *ctx, void *st)
{
#ifdef BSD_HAVE_BOOTSTRAP
    if (st) bootstrap_sess_close(ctx, st);
    if (st) est_srv_sess_close(st);
    if (st) oscore_srv_sess_close(st);
#endif
    free(st);
}

static void hex32(char *out, const uint8_t *b)
{
    static const char hx[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        out[2 * i] = hx[b[i] >> 4];
        out[2 * i + 1] = hx[b[i] & 15];
    }
    out[64] = 0;
}

/* Body of /diag/whoami: what the transport authenticated. */
static size_t whoami(const worker_peer_t *peer, const creds_device_t *nosec, char *out, size_t cap)
{
    char addr[64], hx[65];
    udp_addr_str(peer->addr, addr, sizeof(addr));
    int n;
    if (!peer->auth) {
        n = snprintf(out, cap, "cred=nosec endpoint=%s peer=%s\n", nosec ? nosec->endpoint : "", addr);
    } else if (peer->auth->kind == CREDS_RPK) {
        hex32(hx, peer->auth->spki_sha256);
        n = snprintf(out, cap, "cred=rpk endpoint=%s spki_sha256=%s peer=%s\n", peer->auth->endpoint, hx,
                     addr);
    } else if (peer->auth->kind == CREDS_X509) {
        hex32(hx, peer->auth->cert_sha256);
        n = snprintf(out, cap, "cred=x509 endpoint=%s %s=%s cert_sha256=%s peer=%s\n", peer->auth->endpoint,
                     creds_name_type_name((enum creds_name_type)peer->auth->name_type), peer->auth->identity,
                     hx, addr);
    } else {
        n = snprintf(out, cap, "cred=%s endpoint=%s identity=%s peer=%s\n", creds_kind_name(peer->auth->kind),
                     peer->auth->endpoint, peer->auth->identity, addr);
    }
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

typedef struct resp {
    coap_builder_t b;
    uint8_t code;
} resp_t;

/* Writes a response carrying |body| (possibly one Block2 slice of it). */
void server_put_body(coap_builder_t *b, const coap_msg_t *req, const uint8_t *body, size_t len, uint16_t cf,
                     size_t max_coap, uint8_t *code)
{
    server_put_body_b1(b, req, NULL, body, len, cf, max_coap, code);
}

void server_put_body_b1(coap_builder_t *b, const coap_msg_t *req, const coap_block_t *b1, const uint8_t *body,
                        size_t len, uint16_t cf, size_t max_coap, uint8_t *code)
{
    size_t room = max_coap > RESP_HEADROOM ? max_coap - RESP_HEADROOM : 16;
    const coap_option_t *b2 = coap_opt_get(req, COAP_OPT_BLOCK2);
    coap_block_t want, got;
    int have_want = 0;
    if (b2) {
        if (coap_block_decode(b2, &want) != 0) {
            *code = COAP_BAD_REQUEST;
            return;
        }
        have_want = 1;
    }
    if (!have_want && len <= room) {
        coap_build_opt_uint(b, COAP_OPT_CONTENT_FORMAT, cf);
        if (b1) coap_build_opt_uint(b, COAP_OPT_BLOCK1, coap_block_encode(b1));
        coap_build_payload(b, body, len);
        return;
    }
    size_t off, n;
    int r = coap_block2_slice(len, have_want ? &want : NULL, room, &got, &off, &n);
    if (r < 0) {
        *code = COAP_BAD_REQUEST;
        return;
    }
    if (r == 0) {
        coap_build_opt_uint(b, COAP_OPT_CONTENT_FORMAT, cf);
        if (b1) coap_build_opt_uint(b, COAP_OPT_BLOCK1, coap_block_encode(b1));
        coap_build_payload(b, body, len);
        return;
    }
    coap_build_opt_uint(b, COAP_OPT_CONTENT_FORMAT, cf);
    coap_build_opt_uint(b, COAP_OPT_BLOCK2, coap_block_encode(&got));
    if (b1) coap_build_opt_uint(b, COAP_OPT_BLOCK1, coap_block_encode(b1));
    if (got.num == 0) coap_build_opt_uint(b, COAP_OPT_SIZE2, (uint32_t)len);
    coap_build_payload(b, body + off, n);
}

static void fill_blob(uint8_t *buf, size_t n)
{
    /* A pattern whose every 16-byte line names its own offset, so a test can
     * check reassembly order as well as length. */
    for (size_t i = 0; i < n; i += 16) {
        char line[17];
        snprintf(line, sizeof(line), "%015zx\n", i);
        memcpy(buf + i, line, n - i < 16 ? n - i : 16);
    }
}

/* Handles one request or message; returns the reply length written into
 * |out| (0 for none). */
static size_t handle(server_t *srv, server_sess_t **ssp, const worker_peer_t *peer, const bsd_gen_t *gen,
                     const uint8_t *in, size_t len, uint8_t *out, size_t cap, uint64_t now, uint64_t *wake)
{
    server_sess_t *ss = *ssp;
    const creds_t *creds = gen->creds;
    coap_msg_t m;
    int r = coap_parse(&m, in, len);
    if ((r == COAP_ERR_BAD_OPTION || r == COAP_ERR_TOO_MANY_OPTIONS) && coap_msg_is_request(&m) &&
        (m.type == COAP_TYPE_CON || m.type == COAP_TYPE_NON)) {
        /* Header and token are valid (coap_msg.h): answer the request.
         * RFC 7252 §5.4.1: a critical option with a bad value is 4.02. */
        coap_builder_t eb;
        uint8_t ecode = r == COAP_ERR_BAD_OPTION ? COAP_BAD_OPTION : COAP_BAD_REQUEST;
        coap_build_init(&eb, out, cap, m.type == COAP_TYPE_CON ? COAP_TYPE_ACK : COAP_TYPE_NON, ecode,
                        m.type == COAP_TYPE_CON ? m.mid : server_next_mid(), m.token, m.tkl);
        int n = coap_build_finish(&eb);
        log_msg(BSD_LOG_DEBUG, "coap.request.rejected", "error=%s", coap_strerror(r));
        return n > 0 ? (size_t)n : 0;
    }
    if (r != 0) {
        /* RFC 7252 §4.2/§4.3: reject a malformed CON with RST, drop others. */
        if (len >= 4 && (in[0] >> 6) == 1 && ((in[0] >> 4) & 3) == COAP_TYPE_CON) {
            uint16_t mid = (uint16_t)(in[2] << 8 | in[3]);
            log_msg(BSD_LOG_DEBUG, "coap.malformed", "error=%s action=rst", coap_strerror(r));
            int n = coap_build_empty(out, cap, COAP_TYPE_RST, mid);
            return n > 0 ? (size_t)n : 0;
        }
        log_msg(BSD_LOG_DEBUG, "coap.malformed", "error=%s action=drop", coap_strerror(r));
        return 0;
    }
#ifdef BSD_HAVE_BOOTSTRAP
    if (!coap_msg_is_request(&m) && ss && ss->osc && oscore_srv_response(ss, peer, &m, now)) return 0;
    if (!coap_msg_is_request(&m) && bootstrap_message(ss, peer, &m, now)) return 0;
#endif
    if (m.type == COAP_TYPE_ACK || m.type == COAP_TYPE_RST) return 0; /* not for anything outstanding */
    if (m.code == COAP_EMPTY) {
        /* CoAP ping (§4.3): an Empty CON is answered with RST. */
        int n = m.type == COAP_TYPE_CON ? coap_build_empty(out, cap, COAP_TYPE_RST, m.mid) : 0;
        return n > 0 ? (size_t)n : 0;
    }
    if (!coap_msg_is_request(&m)) {
        int n = m.type == COAP_TYPE_CON ? coap_build_empty(out, cap, COAP_TYPE_RST, m.mid) : 0;
        return n > 0 ? (size_t)n : 0;
    }
    if (ss && m.type == COAP_TYPE_CON) {
        const uint8_t *cached;
        size_t clen;
        switch (coap_dedup_check(&ss->dedup, m.mid, now, &cached, &clen)) {
        case COAP_DEDUP_CACHED:
            if (clen > cap) return 0;
            memcpy(out, cached, clen);
            return clen;
        case COAP_DEDUP_PENDING: return 0;
        case COAP_DEDUP_REPROCESS:
            if (m.code != COAP_GET && m.code != COAP_FETCH) return 0;
            break;
        default: break;
        }
    }

    uint8_t code = COAP_CONTENT;
    const creds_device_t *nosec = NULL;
    uint8_t type = m.type == COAP_TYPE_CON ? COAP_TYPE_ACK : COAP_TYPE_NON;
    uint16_t mid = m.type == COAP_TYPE_CON ? m.mid : server_next_mid();
    coap_builder_t b;
    coap_build_init(&b, out, cap, type, code, mid, m.token, m.tkl);

#ifdef BSD_HAVE_BOOTSTRAP
    if (coap_opt_get(&m, COAP_OPT_OSCORE)) {
        /* OSCORE-protected: the Bootstrap-Request over OSCORE (oscore_srv.h). */
        size_t n = oscore_srv_request(srv, ssp, peer, gen, &m, now, out, cap);
        ss = *ssp;
        if (ss && m.type == COAP_TYPE_CON && n) coap_dedup_store(&ss->dedup, m.mid, out, n, now);
        return n;
    }
    if (coap_uri_path_equals(&m, "bs") && m.code == COAP_POST) {
        if (coap_msg_unknown_critical(&m)) {
            code = COAP_BAD_OPTION;
            goto done;
        }
        size_t n = bootstrap_request(srv, ssp, peer, gen, &m, now, out, cap);
        ss = *ssp;
        if (ss && m.type == COAP_TYPE_CON && n) coap_dedup_store(&ss->dedup, m.mid, out, n, now);
        return n;
    }
    int est_res = srv->est ? est_srv_resource(&m) : 0;
    if (est_res) {
        size_t n = est_srv_request(srv->est, ss, est_res, peer, gen, &m, now, out, cap, wake);
        if (ss && m.type == COAP_TYPE_CON && n) coap_dedup_store(&ss->dedup, m.mid, out, n, now);
        return n;
    }
#endif
    if (coap_uri_path_equals(&m, "bspack")) {
        /* Bootstrap-Pack (LwM2M 1.2) is not served: answer at once so the
         * client falls back to POST /bs (Anjay does on an error, not on a
         * timeout). */
        code = COAP_NOT_FOUND;
        goto done;
    }
    if (!peer->auth) {
        /* Plain CoAP: only sources allowed NoSec by a device record are
         * served; everyone else gets a bare 4.01 (no amplification). */
        int amb = 0;
        nosec = creds_find_nosec(creds, peer->addr, &amb);
        if (!nosec) {
            char a[64];
            log_msg(BSD_LOG_INFO, "coap.nosec.refused", "peer=%s", udp_addr_str(peer->addr, a, sizeof(a)));
            code = COAP_UNAUTHORIZED;
            goto done;
        }
    }
    int crit = coap_msg_unknown_critical(&m);
    if (crit) {
        code = COAP_BAD_OPTION;
        goto done;
    }
    if (coap_uri_path_equals(&m, ".well-known/core")) {
        if (m.code != COAP_GET) {
            code = COAP_METHOD_NOT_ALLOWED;
            goto done;
        }
        static const char wk_diag[] = "</diag/whoami>;ct=0,</diag/blob>;ct=0";
        char body[1024];
        size_t bl = 0;
        const uint8_t *rt = NULL;
        size_t rtl = 0;
        /* RFC 6690 §4.1: a filter on rt (the one RFC 9148 discovery uses)
         * lists the EST resources it matches; the diag resources have no
         * rt, so any rt filter leaves them out. */
        int has_rt = coap_query_get(&m, "rt", &rt, &rtl) == 0;
#ifdef BSD_HAVE_BOOTSTRAP
        if (srv->est) bl = est_srv_links(has_rt ? rt : NULL, rtl, body, sizeof(body));
#endif
        if (srv->diag_resources && !has_rt)
            bl += (size_t)snprintf(body + bl, sizeof(body) - bl, "%s%s", bl ? "," : "", wk_diag);
        server_put_body(&b, &m, (const uint8_t *)body, bl, COAP_CF_LINK_FORMAT, peer->max_coap, &code);
    } else if (srv->diag_resources && coap_uri_path_equals(&m, "diag/whoami")) {
        if (m.code != COAP_GET) {
            code = COAP_METHOD_NOT_ALLOWED;
            goto done;
        }
        char body[600];
        size_t n = whoami(peer, nosec, body, sizeof(body));
        server_put_body(&b, &m, (const uint8_t *)body, n, COAP_CF_TEXT_PLAIN, peer->max_coap, &code);
    } else if (srv->diag_resources && coap_uri_path_equals(&m, "diag/blob")) {
        if (m.code != COAP_GET) {
            code = COAP_METHOD_NOT_ALLOWED;
            goto done;
        }
        const uint8_t *v;
        size_t vl;
        unsigned long size = 4096;
        if (coap_query_get(&m, "size", &v, &vl) == 0) {
            char tmp[16];
            char *end;
            if (vl == 0 || vl >= sizeof(tmp)) {
                code = COAP_BAD_REQUEST;
                goto done;
            }
            memcpy(tmp, v, vl);
            tmp[vl] = 0;
            size = strtoul(tmp, &end, 10);
            if (*end || size > SERVER_BLOB_MAX) {
                code = COAP_BAD_REQUEST;
                goto done;
            }
        }
        static _Thread_local uint8_t blob[SERVER_BLOB_MAX];
        fill_blob(blob, size);
        server_put_body(&b, &m, blob, size, COAP_CF_TEXT_PLAIN, peer->max_coap, &code);
    } else {
        code = COAP_NOT_FOUND;
    }
done:
    if (code != COAP_CONTENT)
        coap_build_init(&b, out, cap, type, code, mid, m.token, m.tkl);
    else
        out[1] = code;
    int n = coap_build_finish(&b);
    if (n <= 0) {
        coap_build_init(&b, out, cap, type, COAP_INTERNAL_SERVER_ERROR, mid, m.token, m.tkl);
        n = coap_build_finish(&b);
        if (n <= 0) return 0;
    }
    if (ss && m.type == COAP_TYPE_CON) coap_dedup_store(&ss->dedup, m.mid, out, (size_t)n, now);
    return (size_t)n;
}

/* The earlier of two deadlines (0 = none; WORKER_CLOSE wins). */
static uint64_t earliest(uint64_t a, uint64_t b)
{
    if (a == WORKER_CLOSE || b == WORKER_CLOSE) return WORKER_CLOSE;
    if (!a) return b;
    if (!b) return a;
    return a < b ? a : b;
}

static uint64_t on_coap(void *ctx, void *st, const worker_peer_t *peer, const bsd_gen_t *gen,
                        const uint8_t *in, size_t len, uint64_t now)
{
    static _Thread_local uint8_t out[WORKER_TX_BUF];
    server_sess_t *ss = st;
    size_t cap = peer->max_coap < sizeof(out) ? peer->max_coap : sizeof(out);
    uint64_t wake = 0;
    size_t n = handle(ctx, &ss, peer, gen, in, len, out, cap, now, &wake);
    if (n) worker_io_send(peer->io, out, n);
#ifdef BSD_HAVE_BOOTSTRAP
    /* After the answer went out: let a (new) bootstrap send what is due. */
    uint64_t bs = bootstrap_drive(ctx, ss, peer, now);
    if (ss && ss->est) {
        uint64_t e = est_srv_poll(((server_t *)ctx)->est, ss, peer, now);
        if (e && (wake == 0 || e < wake)) wake = e;
    }
    return earliest(bs, wake);
#else
    (void)wake;
    return 0;
#endif
}

static uint64_t on_timer(void *ctx, void *st, const worker_peer_t *peer, const bsd_gen_t *gen, uint64_t now)
{
    (void)gen;
#ifdef BSD_HAVE_BOOTSTRAP
    uint64_t bs = bootstrap_drive(ctx, st, peer, now);
    server_sess_t *ss = st;
    uint64_t e = ss && ss->est ? est_srv_poll(((server_t *)ctx)->est, ss, peer, now) : 0;
    return earliest(bs, e);
#else
    (void)ctx, (void)st, (void)peer, (void)now;
    return 0;
#endif
}

void server_app(server_t *srv, worker_app_t *app)
{
    memset(app, 0, sizeof(*app));
    app->ctx = srv;
    app->sess_open = sess_open;
    app->sess_close = sess_close;
    app->on_coap = on_coap;
    app->on_timer = on_timer;
}
