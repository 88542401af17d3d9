/*
 * test_sim_oscore.c — bsd-sim's OSCORE client (tools/sim/sim_oscore.c and
 * its use in sim_coap.c) against a Bootstrap-Server side built in this
 * file from bsd/oscore: the client-initiated Appendix B.2 run reproduces
 * the PROTOCOLS.md §1.12 walk-through byte for byte (request #1, request
 * #2 with ctx3 = R2 || R3), response #1 in the three nonce variants of
 * §1.10; a whole device (sim_dev_*) through a server-initiated B.2 with an
 * inner Echo, a protected Discover and Finish, a replayed, a tampered and
 * an unprotected server request (RFC 8613 §8 errors), a retransmission;
 * a plain 4.01 + Echo without B.2; the nonce log.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bsd/oscore/oscore.h"
#include "tools/sim/sim.h"
#include "tools/sim/sim_oscore.h"

/* RFC 8613 C.1 inputs; the client has the empty Sender ID. */
static const uint8_t SECRET[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
static const uint8_t SALT[] = {0x9e, 0x7c, 0xa9, 0x22, 0x23, 0x78, 0x63, 0x40};
static const uint8_t SRV_ID[] = {0x01};
/* PROTOCOLS.md §1.12 nonces. */
static const uint8_t ID1[] = {0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8};
static const uint8_t R2[] = {0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8};
static const uint8_t R3[] = {0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8};
static const uint8_t ECHO[] = {0xe0, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xeb};

static size_t unhex(const char *h, uint8_t *out)
{
    size_t n = strlen(h) / 2;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        ck_assert_int_eq(sscanf(h + 2 * i, "%2x", &v), 1);
        out[i] = (uint8_t)v;
    }
    return n;
}

static void assert_hex(const uint8_t *b, size_t n, const char *want)
{
    char got[1024];
    ck_assert_uint_lt(2 * n, sizeof(got));
    for (size_t i = 0; i < n; i++)
        snprintf(got + 2 * i, 3, "%02x", b[i]);
    got[2 * n] = 0;
    ck_assert_str_eq(got, want);
}

/* RNG handing out R1 (= ID1) and then R3, as §1.12 does. */
static int rng_calls;
static int test_rng(void *arg, uint8_t *out, size_t len)
{
    (void)arg;
    ck_assert_uint_eq(len, 8);
    memcpy(out, rng_calls++ == 0 ? ID1 : R3, len);
    return 0;
}

static void client_cfg(sim_osc_cfg_t *k, bool b2_init)
{
    memset(k, 0, sizeof(*k));
    memcpy(k->secret, SECRET, sizeof(SECRET)), k->secret_len = sizeof(SECRET);
    memcpy(k->salt, SALT, sizeof(SALT)), k->salt_len = sizeof(SALT);
    memcpy(k->recipient_id, SRV_ID, 1), k->recipient_id_len = 1;
    k->b2_init = b2_init;
}

static sim_osc_t *new_client(bool b2_init, bool r1_from_rng)
{
    sim_osc_t *o = calloc(1, sizeof(*o));
    ck_assert_ptr_nonnull(o);
    sim_osc_cfg_t k;
    client_cfg(&k, b2_init);
    rng_calls = r1_from_rng ? 0 : 1; /* server-initiated B.2: the first draw is R3 */
    o->rng = test_rng;
    char err[128];
    ck_assert_int_eq(sim_osc_init(o, &k, err, sizeof(err)), 0);
    return o;
}

/* The server's configured context (Sender ID 01, Recipient ID empty). */
static void server_base(oscore_ctx_t *s)
{
    oscore_params_t p = {.master_secret = SECRET,
                         .master_secret_len = sizeof(SECRET),
                         .master_salt = SALT,
                         .master_salt_len = sizeof(SALT),
                         .sender_id = SRV_ID,
                         .sender_id_len = 1,
                         .recipient_id = (const uint8_t *)"",
                         .recipient_id_len = 0};
    ck_assert_int_eq(oscore_ctx_derive(s, &p), 0);
    ck_assert_int_eq(oscore_ctx_seq_reserved(s, 1000), 0);
}

static void server_ctx(oscore_ctx_t *dst, const oscore_ctx_t *base, const uint8_t *a, size_t al,
                       const uint8_t *b, size_t bl)
{
    uint8_t idc[OSCORE_MAX_ID_CTX_LEN];
    int n = oscore_b2_id_ctx(a, al, b, bl, idc, sizeof(idc));
    ck_assert_int_gt(n, 0);
    ck_assert_int_eq(oscore_ctx_rederive(dst, base, idc, (size_t)n), 0);
    ck_assert_int_eq(oscore_ctx_seq_reserved(dst, 1000), 0);
}

static coap_msg_t parsed(const uint8_t *b, size_t n)
{
    coap_msg_t m;
    ck_assert_int_eq(coap_parse(&m, b, n), 0);
    return m;
}

/* The kid context of a protected message, unwrapped from its bstr. */
static size_t kid_ctx(const coap_msg_t *m, uint8_t *out)
{
    const coap_option_t *oo = coap_opt_get(m, COAP_OPT_OSCORE);
    ck_assert_ptr_nonnull(oo);
    oscore_option_t opt;
    ck_assert_int_eq(oscore_option_decode(oo->val, oo->len, &opt), 0);
    ck_assert(opt.has_kid_ctx);
    const uint8_t *id;
    size_t n;
    ck_assert_int_eq(oscore_b2_unwrap(opt.kid_ctx, opt.kid_ctx_len, &id, &n), 0);
    memcpy(out, id, n);
    return n;
}

/* Server: protects the response |plain_hex| to |sreq| with |ctx|. */
static int server_respond(oscore_ctx_t *ctx, const oscore_req_t *sreq, const char *plain_hex,
                          const oscore_send_t *snd, uint8_t *out, size_t cap)
{
    uint8_t p[256];
    size_t n = unhex(plain_hex, p);
    coap_msg_t m = parsed(p, n);
    int r = oscore_protect_response(ctx, sreq, &m, snd, out, cap);
    ck_assert_int_gt(r, 0);
    return r;
}

START_TEST(b2_client_initiated_walkthrough)
{
    sim_osc_t *o = new_client(true, true);
    char *logbuf = NULL;
    size_t loglen = 0;
    o->nonce_log = open_memstream(&logbuf, &loglen);
    ck_assert_ptr_nonnull(o->nonce_log);
    oscore_ctx_t s0, s1, s2, s3;
    server_base(&s0);
    uint8_t plain[64], out[256], sbuf[256], idc[OSCORE_MAX_ID_CTX_LEN];
    size_t pl = unhex("41020001a1b262734665703d657031", plain); /* POST /bs?ep=ep1 */

    /* Request #1: ctx1 = R1, bstr(R1) as kid context (§1.12, byte for byte). */
    int n = sim_osc_protect_request(o, plain, pl, out, sizeof(out));
    assert_hex(out, (size_t)n,
               "41020001a19c19000948a1a2a3a4a5a6a7a8ff1cfab3e6727ae4d60c64cb5b72ca09fbd16b83");

    /* Server: ctx1 from ID1 verifies; 4.01 under ctx2 = R2 || ID1 with its own PIV. */
    coap_msg_t req1 = parsed(out, (size_t)n), inner;
    size_t il = kid_ctx(&req1, idc);
    ck_assert_int_eq(oscore_ctx_rederive(&s1, &s0, idc, il), 0);
    oscore_req_t sreq;
    ck_assert_int_eq(oscore_unprotect_request(&s1, &req1, sbuf, sizeof(sbuf), &inner, &sreq), 0);
    server_ctx(&s2, &s0, R2, sizeof(R2), ID1, sizeof(ID1));
    uint8_t wire[64], resp[256];
    int wl = oscore_b2_wrap(R2, sizeof(R2), wire, sizeof(wire));
    oscore_send_t snd = {.own_piv = true, .kid_ctx = wire, .kid_ctx_len = (size_t)wl};
    int rl = server_respond(&s2, &sreq, "61810001a1", &snd, resp, sizeof(resp));
    assert_hex(resp, (size_t)rl, "61440001a19c11000948b1b2b3b4b5b6b7b8ff5918ff4609b530b34a"); /* §1.12 (c) */

    /* Client: step 3 — ctx2 verifies, ctx3 = R2 || R3 is current. */
    coap_msg_t r1 = parsed(resp, (size_t)rl);
    ck_assert_int_eq(sim_osc_response(o, &r1, &inner), SIM_OSC_B2);
    ck_assert_uint_eq(inner.code, COAP_UNAUTHORIZED);
    ck_assert_uint_eq(o->b2, SIM_OSC_B2_CTX3);
    assert_hex(o->ctx.id_ctx, o->ctx.id_ctx_len, "b1b2b3b4b5b6b7b8c1c2c3c4c5c6c7c8");
    assert_hex(o->ctx.sender_key, 16, "10948105540891160cc0ac3faa5c3b8f");

    /* Request #2 (the same request, SSN 0 in ctx3): §1.12 option and ciphertext. */
    n = sim_osc_protect_request(o, plain, pl, out, sizeof(out));
    coap_msg_t req2 = parsed(out, (size_t)n);
    const coap_option_t *oo = coap_opt_get(&req2, COAP_OPT_OSCORE);
    assert_hex(oo->val, oo->len, "19001150b1b2b3b4b5b6b7b8c1c2c3c4c5c6c7c8");
    assert_hex(req2.payload, req2.payload_len, "7ef3405d1a9dd6b42e48dc8afcf066d044855f");

    /* Server: R2 is the first half; ctx3 verifies; 2.04 without PIV confirms ctx3. */
    il = kid_ctx(&req2, idc);
    ck_assert_uint_eq(il, 16);
    ck_assert_mem_eq(idc, R2, sizeof(R2));
    ck_assert_int_eq(oscore_ctx_rederive(&s3, &s0, idc, il), 0);
    ck_assert_int_eq(oscore_ctx_seq_reserved(&s3, 1000), 0);
    ck_assert_int_eq(oscore_unprotect_request(&s3, &req2, sbuf, sizeof(sbuf), &inner, &sreq), 0);
    rl = server_respond(&s3, &sreq, "61440001a1", NULL, resp, sizeof(resp));
    coap_msg_t r2 = parsed(resp, (size_t)rl);
    ck_assert_int_eq(sim_osc_response(o, &r2, &inner), SIM_OSC_PROTECTED);
    ck_assert_uint_eq(inner.code, COAP_CHANGED);
    ck_assert_uint_eq(o->b2, SIM_OSC_B2_DONE);
    ck_assert_uint_eq(o->wire_len, 0);

    /* A server request (GET /0, Accept 40) under ctx3, our answer with its nonce. */
    uint8_t sp[64], sreq_b[256];
    size_t spl = unhex("4101beefb0b1306128", sp); /* CON GET MID beef tok b0, Uri-Path "0", Accept 40 */
    coap_msg_t sm = parsed(sp, spl);
    oscore_req_t creq;
    int sl = oscore_protect_request(&s3, &sm, NULL, sreq_b, sizeof(sreq_b), &creq);
    ck_assert_int_gt(sl, 0);
    coap_msg_t outer = parsed(sreq_b, (size_t)sl);
    ck_assert_int_eq(sim_osc_request(o, &outer, &inner), 0);
    ck_assert_uint_eq(inner.code, COAP_GET);
    ck_assert(coap_uri_path_equals(&inner, "0"));
    uint8_t ans[32];
    size_t al = unhex("6145beefb0c0ff3c2f303e", ans); /* ACK 2.05 "</0>" */
    int pn = sim_osc_protect_response(o, ans, al);
    ck_assert_int_gt(pn, 0);
    coap_msg_t pr = parsed(o->last, (size_t)pn);
    ck_assert_uint_eq(pr.code, COAP_CHANGED);
    ck_assert_uint_eq(coap_opt_get(&pr, COAP_OPT_OSCORE)->len, 0); /* request nonce, no PIV */
    ck_assert_int_eq(oscore_unprotect_response(&s3, &creq, &pr, sbuf, sizeof(sbuf), &inner), 0);
    ck_assert_uint_eq(inner.code, COAP_CONTENT);
    ck_assert_uint_eq(inner.payload_len, 4);
    const uint8_t *cached;
    size_t clen;
    ck_assert_int_eq(sim_osc_cached(o, 0xbeef, &cached, &clen), 1);
    ck_assert_int_eq(sim_osc_cached(o, 0xbeee, &cached, &clen), 0);

    /* The same request again: a replay, logged as such. */
    ck_assert_int_eq(sim_osc_request(o, &outer, &inner), OSCORE_ERR_REPLAY);
    fclose(o->nonce_log);
    ck_assert_str_eq(logbuf,
                     "kid=01 piv=00 kid_context=b1b2b3b4b5b6b7b8a1a2a3a4a5a6a7a8 msg=rsp status=ok\n"
                     "kid= piv=00 kid_context=b1b2b3b4b5b6b7b8c1c2c3c4c5c6c7c8 msg=rsp status=ok\n"
                     "kid=01 piv=00 kid_context=b1b2b3b4b5b6b7b8c1c2c3c4c5c6c7c8 msg=req status=ok\n"
                     "kid=01 piv=00 kid_context=b1b2b3b4b5b6b7b8c1c2c3c4c5c6c7c8 msg=req status=replay\n");
    free(logbuf);
    free(o);
}
END_TEST

/* Response #1 without a Partial IV: the libcoap nonce (request nonce) and
 * the Californium one (recomputed with ctx2's Common IV) both verify; a
 * forged kid context or a tampered one does not. */
START_TEST(b2_response_nonce_variants)
{
    for (int variant = 0; variant < 4; variant++) {
        sim_osc_t *o = new_client(true, true);
        oscore_ctx_t s0, s2;
        server_base(&s0);
        uint8_t plain[64], out[256], resp[256];
        size_t pl = unhex("41020001a1b262734665703d657031", plain);
        int n = sim_osc_protect_request(o, plain, pl, out, sizeof(out));
        ck_assert_int_gt(n, 0);
        oscore_req_t sreq = o->req; /* what the server gets from unprotecting #1 */
        server_ctx(&s2, &s0, R2, sizeof(R2), ID1, sizeof(ID1));
        if (variant == 1)
            oscore_nonce(s2.common_iv, sreq.kid, sreq.kid_len, sreq.piv, sreq.piv_len, sreq.nonce);
        uint8_t wire[64];
        int wl = oscore_b2_wrap(R2, sizeof(R2), wire, sizeof(wire));
        if (variant == 3) wire[1] ^= 1; /* another R2: ctx2 differs */
        oscore_send_t snd = {.kid_ctx = wire, .kid_ctx_len = (size_t)(variant == 2 ? 8 : wl)};
        int rl = server_respond(&s2, &sreq, "61810001a1", &snd, resp, sizeof(resp));
        coap_msg_t r1 = parsed(resp, (size_t)rl), inner;
        int r = sim_osc_response(o, &r1, &inner);
        if (variant < 2) {
            ck_assert_int_eq(r, SIM_OSC_B2);
            assert_hex(o->ctx.id_ctx, o->ctx.id_ctx_len, "b1b2b3b4b5b6b7b8c1c2c3c4c5c6c7c8");
        } else {
            /* 2: kid context not one bstr; 3: does not verify. Context kept. */
            ck_assert_int_eq(r, variant == 2 ? OSCORE_ERR_B2_KID_CTX : OSCORE_ERR_DECRYPT);
            ck_assert_uint_eq(o->b2, SIM_OSC_B2_NONE);
            assert_hex(o->ctx.id_ctx, o->ctx.id_ctx_len, "a1a2a3a4a5a6a7a8");
        }
        free(o);
    }
}
END_TEST

/* ---- a whole device ----------------------------------------------------- */

#define TXQ 8
static uint8_t txq[TXQ][2048];
static size_t txl[TXQ];
static unsigned ntx;

static int capture(sim_dev_t *d, const uint8_t *msg, size_t len)
{
    (void)d;
    ck_assert_uint_lt(ntx, TXQ);
    ck_assert_uint_le(len, sizeof(txq[0]));
    memcpy(txq[ntx], msg, len);
    txl[ntx++] = len;
    return 0;
}

/* The last datagram the device sent, parsed (the queue is then emptied). */
static coap_msg_t last_tx(uint8_t *keep)
{
    ck_assert_uint_gt(ntx, 0);
    memcpy(keep, txq[ntx - 1], txl[ntx - 1]);
    coap_msg_t m = parsed(keep, txl[ntx - 1]);
    ntx = 0;
    return m;
}

static sim_cfg_t dev_cfg;
static sim_work_t dev_work;

static sim_dev_t *new_device(sim_osc_t *o)
{
    memset(&dev_cfg, 0, sizeof(dev_cfg));
    dev_cfg.minor = 1;
    dev_cfg.pct = COAP_CF_SENML_CBOR;
    dev_cfg.block = SIM_DEFAULT_BLOCK;
    dev_cfg.timeout_ms = 30000;
    dev_cfg.sec = SIM_SEC_NOSEC;
    snprintf(dev_cfg.uri, sizeof(dev_cfg.uri), "coap://127.0.0.1:5683");
    dev_cfg.accept_cf[0] = COAP_CF_LWM2M_TLV, dev_cfg.accept_cf[1] = COAP_CF_SENML_JSON,
    dev_cfg.accept_cf[2] = COAP_CF_SENML_CBOR, dev_cfg.naccept = 3;
    dev_cfg.store_flags = SIM_ST_LENIENT;
    dev_cfg.oscore = o;
    sim_dev_t *d = calloc(1, sizeof(*d));
    ck_assert_ptr_nonnull(d);
    d->cfg = &dev_cfg;
    d->work = &dev_work;
    d->tx = capture;
    sim_store_init(&d->store, dev_cfg.store_flags);
    sim_dev_reset(d, "ep1", 7, 1000);
    ntx = 0;
    return d;
}

static void free_device(sim_dev_t *d)
{
    sim_store_free(&d->store);
    free(d->body);
    free(d);
}

/* Server side: protects the CON request |plain_hex| with |s| and feeds it;
 * returns the outer datagram in |dg| (for replays) and its association. */
static size_t server_request(sim_dev_t *d, oscore_ctx_t *s, const char *plain_hex, uint8_t *dg,
                             oscore_req_t *creq, uint64_t now)
{
    uint8_t p[128];
    coap_msg_t m = parsed(p, unhex(plain_hex, p));
    int n = oscore_protect_request(s, &m, NULL, dg, 256, creq);
    ck_assert_int_gt(n, 0);
    sim_dev_input(d, dg, (size_t)n, now);
    return (size_t)n;
}

START_TEST(device_server_initiated_b2_echo)
{
    sim_osc_t *o = new_client(false, false);
    sim_dev_t *d = new_device(o);
    oscore_ctx_t s0, s2, s3;
    server_base(&s0);
    uint8_t keep[2048], sbuf[2048], resp[256], idc[OSCORE_MAX_ID_CTX_LEN];
    coap_msg_t inner;
    oscore_req_t sreq;

    /* Request #1 in the configured context: kid empty, no kid context. */
    sim_dev_begin(d, 2000);
    coap_msg_t q1 = last_tx(keep);
    ck_assert_uint_eq(q1.code, COAP_POST);
    oscore_option_t opt;
    const coap_option_t *oo = coap_opt_get(&q1, COAP_OPT_OSCORE);
    ck_assert_int_eq(oscore_option_decode(oo->val, oo->len, &opt), 0);
    ck_assert(opt.has_kid && opt.kid_len == 0 && !opt.has_kid_ctx);
    ck_assert_int_eq(oscore_unprotect_request(&s0, &q1, sbuf, sizeof(sbuf), &inner, &sreq), 0);
    ck_assert(coap_uri_path_equals(&inner, "bs"));
    ck_assert_ptr_null(coap_opt_get(&inner, COAP_OPT_ECHO));

    /* One 4.01: ctx2 = R2 || ID1 (ID1 empty), kid context bstr(R2), inner
     * Echo, the server's own PIV (issue 7). */
    server_ctx(&s2, &s0, R2, sizeof(R2), NULL, 0);
    uint8_t wire[64], p401[64];
    int wl = oscore_b2_wrap(R2, sizeof(R2), wire, sizeof(wire));
    coap_builder_t b;
    coap_build_init(&b, p401, sizeof(p401), COAP_TYPE_ACK, COAP_UNAUTHORIZED, q1.mid, q1.token, q1.tkl);
    coap_build_opt(&b, COAP_OPT_ECHO, ECHO, sizeof(ECHO));
    coap_msg_t m401 = parsed(p401, (size_t)coap_build_finish(&b));
    oscore_send_t snd = {.own_piv = true, .kid_ctx = wire, .kid_ctx_len = (size_t)wl};
    int rl = oscore_protect_response(&s2, &sreq, &m401, &snd, resp, sizeof(resp));
    ck_assert_int_gt(rl, 0);
    sim_dev_input(d, resp, (size_t)rl, 3000);

    /* Request #2: ctx3 = R2 || R3, kid context bstr(R2 || R3), the Echo inner. */
    coap_msg_t q2 = last_tx(keep);
    ck_assert_uint_eq(kid_ctx(&q2, idc), 16);
    ck_assert_mem_eq(idc, R2, 8);
    ck_assert_mem_eq(idc + 8, R3, 8);
    ck_assert_int_eq(oscore_ctx_rederive(&s3, &s0, idc, 16), 0);
    ck_assert_int_eq(oscore_ctx_seq_reserved(&s3, 1000), 0);
    ck_assert_int_eq(oscore_unprotect_request(&s3, &q2, sbuf, sizeof(sbuf), &inner, &sreq), 0);
    const coap_option_t *echo = coap_opt_get(&inner, COAP_OPT_ECHO);
    ck_assert_ptr_nonnull(echo);
    ck_assert_uint_eq(echo->len, sizeof(ECHO));
    ck_assert_mem_eq(echo->val, ECHO, sizeof(ECHO));
    ck_assert(coap_uri_path_equals(&inner, "bs"));

    /* 2.04 under ctx3 (no PIV): the device serves. */
    uint8_t p204[16];
    coap_build_init(&b, p204, sizeof(p204), COAP_TYPE_ACK, COAP_CHANGED, q2.mid, q2.token, q2.tkl);
    coap_msg_t m204 = parsed(p204, (size_t)coap_build_finish(&b));
    rl = oscore_protect_response(&s3, &sreq, &m204, NULL, resp, sizeof(resp));
    sim_dev_input(d, resp, (size_t)rl, 4000);
    ck_assert_uint_eq(d->state, SIM_S_SERVING);
    ck_assert_uint_eq(d->req_code, COAP_CHANGED);
    ck_assert_uint_eq(o->b2, SIM_OSC_B2_DONE);

    /* Discover "/" under ctx3: a protected link-format answer. */
    uint8_t dg[256], dg_copy[256];
    oscore_req_t creq;
    size_t dl = server_request(d, &s3, "41011001d0d10428", dg, &creq, 5000); /* GET MID 1001, Accept 40 */
    coap_msg_t a = last_tx(keep);
    ck_assert_uint_eq(a.type, COAP_TYPE_ACK);
    ck_assert_uint_eq(a.code, COAP_CHANGED);
    ck_assert_int_eq(oscore_unprotect_response(&s3, &creq, &a, sbuf, sizeof(sbuf), &inner), 0);
    ck_assert_uint_eq(inner.code, COAP_CONTENT);
    uint32_t cf = 0;
    ck_assert_int_eq(coap_opt_uint(coap_opt_get(&inner, COAP_OPT_CONTENT_FORMAT), &cf), 0);
    ck_assert_uint_eq(cf, COAP_CF_LINK_FORMAT);
    ck_assert_ptr_nonnull(memmem(inner.payload, inner.payload_len, "</0/0>", 6));
    size_t alen = txl[0];
    uint8_t first_answer[2048];
    memcpy(first_answer, keep, alen);

    /* Its retransmission (same MID): the same protected answer again. */
    sim_dev_input(d, dg, dl, 5100);
    ck_assert_uint_eq(ntx, 1);
    ck_assert_uint_eq(txl[0], alen);
    ck_assert_mem_eq(txq[0], first_answer, alen);
    ntx = 0;

    /* The same OSCORE request under another MID: replay → unprotected 4.01. */
    memcpy(dg_copy, dg, dl);
    dg_copy[3] ^= 0x55;
    sim_dev_input(d, dg_copy, dl, 5200);
    a = last_tx(keep);
    ck_assert_uint_eq(a.code, COAP_UNAUTHORIZED);
    ck_assert_ptr_null(coap_opt_get(&a, COAP_OPT_OSCORE));
    ck_assert_uint_eq(a.payload_len, strlen("Replay detected"));
    ck_assert_mem_eq(a.payload, "Replay detected", a.payload_len);

    /* A tampered ciphertext: 4.00 "Decryption failed"; the PIV stays usable. */
    oscore_req_t creq2;
    uint8_t p[64];
    coap_msg_t del = parsed(p, unhex("41041002d1b131", p)); /* DELETE /1, MID 1002 */
    int n = oscore_protect_request(&s3, &del, NULL, dg, sizeof(dg), &creq2);
    dg[n - 1] ^= 1;
    sim_dev_input(d, dg, (size_t)n, 5300);
    a = last_tx(keep);
    ck_assert_uint_eq(a.code, COAP_BAD_REQUEST);
    ck_assert_mem_eq(a.payload, "Decryption failed", a.payload_len);

    /* An unprotected request: 4.01 "OSCORE required". */
    uint8_t plainreq[16];
    size_t prl = unhex("41041003d2b131", plainreq);
    sim_dev_input(d, plainreq, prl, 5400);
    a = last_tx(keep);
    ck_assert_uint_eq(a.code, COAP_UNAUTHORIZED);
    ck_assert_mem_eq(a.payload, "OSCORE required", a.payload_len);

    /* Bootstrap-Finish (POST /bs) protected: 2.04 protected, outcome finished. */
    server_request(d, &s3, "41021004d3b26273", dg, &creq, 5500);
    a = last_tx(keep);
    ck_assert_int_eq(oscore_unprotect_response(&s3, &creq, &a, sbuf, sizeof(sbuf), &inner), 0);
    ck_assert_uint_eq(inner.code, COAP_CHANGED);
    ck_assert_uint_eq(d->outcome, SIM_OUT_FINISHED);
    free_device(d);
    free(o);
}
END_TEST

/* A server without B.2: a protected 4.01 + Echo (own PIV) in the configured
 * context; the client repeats with the Echo, same context, next SSN. Then a
 * response that does not verify ends the bootstrap. */
START_TEST(device_plain_echo_and_forgery)
{
    sim_osc_t *o = new_client(false, false);
    sim_dev_t *d = new_device(o);
    oscore_ctx_t s0;
    server_base(&s0);
    uint8_t keep[2048], sbuf[2048], resp[256], p401[64];
    coap_msg_t inner;
    oscore_req_t sreq;
    sim_dev_begin(d, 2000);
    coap_msg_t q1 = last_tx(keep);
    ck_assert_int_eq(oscore_unprotect_request(&s0, &q1, sbuf, sizeof(sbuf), &inner, &sreq), 0);
    coap_builder_t b;
    coap_build_init(&b, p401, sizeof(p401), COAP_TYPE_ACK, COAP_UNAUTHORIZED, q1.mid, q1.token, q1.tkl);
    coap_build_opt(&b, COAP_OPT_ECHO, ECHO, 5);
    coap_msg_t m401 = parsed(p401, (size_t)coap_build_finish(&b));
    oscore_send_t snd = {.own_piv = true};
    int rl = oscore_protect_response(&s0, &sreq, &m401, &snd, resp, sizeof(resp));
    sim_dev_input(d, resp, (size_t)rl, 3000);
    coap_msg_t q2 = last_tx(keep);
    oscore_option_t opt;
    const coap_option_t *oo = coap_opt_get(&q2, COAP_OPT_OSCORE);
    ck_assert_int_eq(oscore_option_decode(oo->val, oo->len, &opt), 0);
    ck_assert(!opt.has_kid_ctx);
    ck_assert_uint_eq(opt.piv_len, 1);
    ck_assert_uint_eq(opt.piv[0], 1);
    ck_assert_int_eq(oscore_unprotect_request(&s0, &q2, sbuf, sizeof(sbuf), &inner, &sreq), 0);
    const coap_option_t *echo = coap_opt_get(&inner, COAP_OPT_ECHO);
    ck_assert_ptr_nonnull(echo);
    ck_assert_mem_eq(echo->val, ECHO, 5);
    ck_assert_uint_eq(o->b2, SIM_OSC_B2_NONE);

    /* A 2.04 whose ciphertext was altered: not accepted. */
    uint8_t p204[16];
    coap_build_init(&b, p204, sizeof(p204), COAP_TYPE_ACK, COAP_CHANGED, q2.mid, q2.token, q2.tkl);
    coap_msg_t m204 = parsed(p204, (size_t)coap_build_finish(&b));
    rl = oscore_protect_response(&s0, &sreq, &m204, NULL, resp, sizeof(resp));
    resp[rl - 2] ^= 0x80;
    sim_dev_input(d, resp, (size_t)rl, 4000);
    ck_assert_uint_eq(d->outcome, SIM_OUT_REQUEST_REJECTED);
    ck_assert_ptr_nonnull(strstr(d->detail, "oscore response"));
    free_device(d);
    free(o);
}
END_TEST

START_TEST(error_responses)
{
    uint8_t req[16], out[64];
    coap_msg_t m = parsed(req, unhex("4102abcdd1", req)); /* CON, token d1 */
    struct {
        int err;
        uint8_t code;
        const char *diag;
    } cases[] = {
        {OSCORE_ERR_NO_OPTION, COAP_UNAUTHORIZED, "OSCORE required"},
        {OSCORE_ERR_UNKNOWN_KID, COAP_UNAUTHORIZED, "Security context not found"},
        {OSCORE_ERR_REPLAY, COAP_UNAUTHORIZED, "Replay detected"},
        {OSCORE_ERR_DECRYPT, COAP_BAD_REQUEST, "Decryption failed"},
        {OSCORE_ERR_TRUNCATED, COAP_BAD_OPTION, "Failed to decode COSE"},
        {OSCORE_ERR_CRYPTO, COAP_INTERNAL_SERVER_ERROR, ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int n = sim_osc_error_response(&m, cases[i].err, 7, out, sizeof(out));
        coap_msg_t a = parsed(out, (size_t)n);
        ck_assert_uint_eq(a.type, COAP_TYPE_ACK);
        ck_assert_uint_eq(a.mid, 0xabcd);
        ck_assert_uint_eq(a.tkl, 1);
        ck_assert_uint_eq(a.token[0], 0xd1);
        ck_assert_uint_eq(a.code, cases[i].code);
        ck_assert_uint_eq(a.payload_len, strlen(cases[i].diag));
        if (a.payload_len) ck_assert_mem_eq(a.payload, cases[i].diag, a.payload_len);
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("sim_oscore");
    TCase *t = tcase_create("core");
    tcase_add_test(t, b2_client_initiated_walkthrough);
    tcase_add_test(t, b2_response_nonce_variants);
    tcase_add_test(t, device_server_initiated_b2_echo);
    tcase_add_test(t, device_plain_echo_and_forgery);
    tcase_add_test(t, error_responses);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
