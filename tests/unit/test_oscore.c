/*
 * test_oscore.c — unit tests for bsd/oscore: every RFC 8613 Appendix C
 * vector byte for byte (C.1–C.3 derivations and nonces, C.4–C.6 protected
 * requests, C.7/C.8 protected responses) in both directions; the
 * Appendix B.2 walk-through of PROTOCOLS.md §1.12 (self-derived, not from
 * an RFC); the replay window (§7.4); tampering; sequence-number
 * reservation (App. B.1.1); the option codec (§6.1, §6.3 examples and
 * every malformed form); error mapping (§8); Echo (RFC 9175 App. A).
 */
#include "bsd/oscore/oscore.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = strlen(hex) / 2;
    ck_assert_uint_le(n, cap);
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        ck_assert_int_eq(sscanf(hex + 2 * i, "%2x", &v), 1);
        out[i] = (uint8_t)v;
    }
    return n;
}

static void assert_hex(const uint8_t *got, size_t len, const char *hex)
{
    uint8_t want[512];
    size_t n = unhex(hex, want, sizeof(want));
    ck_assert_uint_eq(len, n);
    ck_assert_mem_eq(got, want, n);
}

/* ---- Appendix C contexts (PROTOCOLS.md §1.11) ------------------------- */

static const uint8_t SECRET[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
static const uint8_t SALT[] = {0x9e, 0x7c, 0xa9, 0x22, 0x23, 0x78, 0x63, 0x40};
static const uint8_t IDCTX[] = {0x37, 0xcb, 0xf3, 0x21, 0x00, 0x17, 0xa2, 0xd3};
static const uint8_t ID00[] = {0x00};
static const uint8_t ID01[] = {0x01};

/* vector: 1, 2 or 3 (C.1..C.3); client: the .1 (client) or .2 (server) side */
static void derive_c(oscore_ctx_t *c, int vector, bool client)
{
    oscore_params_t p = {.master_secret = SECRET, .master_secret_len = sizeof(SECRET)};
    if (vector != 2) {
        p.master_salt = SALT;
        p.master_salt_len = sizeof(SALT);
    }
    if (vector == 3) {
        p.id_ctx = IDCTX;
        p.id_ctx_len = sizeof(IDCTX);
    }
    const uint8_t *cid = vector == 2 ? ID00 : NULL;
    size_t cid_len = vector == 2 ? 1 : 0;
    p.sender_id = client ? cid : ID01;
    p.sender_id_len = client ? cid_len : 1;
    p.recipient_id = client ? ID01 : cid;
    p.recipient_id_len = client ? 1 : cid_len;
    ck_assert_int_eq(oscore_ctx_derive(c, &p), 0);
}

static void derive_pair(oscore_ctx_t *cli, oscore_ctx_t *srv, int vector)
{
    derive_c(cli, vector, true);
    derive_c(srv, vector, false);
}

static void check_ctx(int vector, bool client, const char *skey, const char *rkey, const char *iv,
                      const char *snonce, const char *rnonce)
{
    oscore_ctx_t c;
    derive_c(&c, vector, client);
    assert_hex(c.sender_key, OSCORE_KEY_LEN, skey);
    assert_hex(c.recipient_key, OSCORE_KEY_LEN, rkey);
    assert_hex(c.common_iv, OSCORE_NONCE_LEN, iv);
    const uint8_t piv0 = 0;
    uint8_t nonce[OSCORE_NONCE_LEN];
    oscore_nonce(c.common_iv, c.sender_id, c.sender_id_len, &piv0, 1, nonce);
    assert_hex(nonce, sizeof(nonce), snonce);
    oscore_nonce(c.common_iv, c.recipient_id, c.recipient_id_len, &piv0, 1, nonce);
    assert_hex(nonce, sizeof(nonce), rnonce);
}

START_TEST(c1_to_c3_derivation)
{
    check_ctx(1, true, "f0910ed7295e6ad4b54fc793154302ff", "ffb14e093c94c9cac9471648b4f98710",
              "4622d4dd6d944168eefb54987c", "4622d4dd6d944168eefb54987c", "4722d4dd6d944169eefb54987c");
    check_ctx(1, false, "ffb14e093c94c9cac9471648b4f98710", "f0910ed7295e6ad4b54fc793154302ff",
              "4622d4dd6d944168eefb54987c", "4722d4dd6d944169eefb54987c", "4622d4dd6d944168eefb54987c");
    check_ctx(2, true, "321b26943253c7ffb6003b0b64d74041", "e57b5635815177cd679ab4bcec9d7dda",
              "be35ae297d2dace910c52e99f9", "bf35ae297d2dace910c52e99f9", "bf35ae297d2dace810c52e99f9");
    check_ctx(2, false, "e57b5635815177cd679ab4bcec9d7dda", "321b26943253c7ffb6003b0b64d74041",
              "be35ae297d2dace910c52e99f9", "bf35ae297d2dace810c52e99f9", "bf35ae297d2dace910c52e99f9");
    check_ctx(3, true, "af2a1300a5e95788b356336eeecd2b92", "e39a0c7c77b43f03b4b39ab9a268699f",
              "2ca58fb85ff1b81c0b7181b85e", "2ca58fb85ff1b81c0b7181b85e", "2da58fb85ff1b81d0b7181b85e");
    check_ctx(3, false, "e39a0c7c77b43f03b4b39ab9a268699f", "af2a1300a5e95788b356336eeecd2b92",
              "2ca58fb85ff1b81c0b7181b85e", "2da58fb85ff1b81d0b7181b85e", "2ca58fb85ff1b81c0b7181b85e");
}
END_TEST

START_TEST(aad_examples)
{
    uint8_t aad[OSCORE_AAD_MAX];
    const uint8_t kid0 = 0x00, piv25 = 0x25, piv14 = 0x14;
    /* RFC 8613 §5.4 example (PROTOCOLS.md §1.4) */
    size_t n = oscore_aad(&kid0, 1, &piv25, 1, aad);
    assert_hex(aad, n, "8368456e63727970743040498501810a4100412540");
    /* C.4 (empty kid) */
    n = oscore_aad(NULL, 0, &piv14, 1, aad);
    assert_hex(aad, n, "8368456e63727970743040488501810a40411440");
    /* the largest: 7-byte kid, 5-byte PIV */
    uint8_t kid[7] = {1, 2, 3, 4, 5, 6, 7}, piv[5] = {1, 2, 3, 4, 5};
    n = oscore_aad(kid, 7, piv, 5, aad);
    ck_assert_uint_le(n, OSCORE_AAD_MAX);
    ck_assert_uint_eq(aad[11], 0x40 | 19);
}
END_TEST

START_TEST(derive_rejects)
{
    oscore_ctx_t c;
    uint8_t id8[8] = {0};
    oscore_params_t p = {.master_secret = SECRET,
                         .master_secret_len = sizeof(SECRET),
                         .recipient_id = ID01,
                         .recipient_id_len = 1};
    p.sender_id = id8;
    p.sender_id_len = 8; /* > 7 (§3.3) */
    ck_assert_int_eq(oscore_ctx_derive(&c, &p), OSCORE_ERR_INVAL);
    p.sender_id = ID01;
    p.sender_id_len = 1; /* equal to the Recipient ID */
    ck_assert_int_eq(oscore_ctx_derive(&c, &p), OSCORE_ERR_INVAL);
    p.sender_id_len = 0;
    p.master_secret_len = 0;
    ck_assert_int_eq(oscore_ctx_derive(&c, &p), OSCORE_ERR_INVAL);
    p.master_secret_len = sizeof(SECRET);
    uint8_t big[OSCORE_MAX_ID_CTX_LEN + 1] = {0};
    p.id_ctx = big;
    p.id_ctx_len = sizeof(big);
    ck_assert_int_eq(oscore_ctx_derive(&c, &p), OSCORE_ERR_INVAL);
    ck_assert_int_eq(oscore_ctx_derive(&c, NULL), OSCORE_ERR_INVAL);
}
END_TEST

/* ---- C.4–C.8 messages ------------------------------------------------- */

typedef struct {
    uint8_t raw[512];
    coap_msg_t m;
} msg_t;

static void parse_hex(msg_t *x, const char *hex)
{
    size_t n = unhex(hex, x->raw, sizeof(x->raw));
    ck_assert_int_eq(coap_parse(&x->m, x->raw, n), 0);
}

static void parse_bytes(msg_t *x, const uint8_t *b, size_t n)
{
    memcpy(x->raw, b, n);
    ck_assert_int_eq(coap_parse(&x->m, x->raw, n), 0);
}

/* The options of |a| and |b| are the same list. */
static void assert_same_opts(const coap_msg_t *a, const coap_msg_t *b)
{
    ck_assert_uint_eq(a->nopts, b->nopts);
    for (uint16_t i = 0; i < a->nopts; i++) {
        ck_assert_uint_eq(a->opts[i].num, b->opts[i].num);
        ck_assert_uint_eq(a->opts[i].len, b->opts[i].len);
        ck_assert_mem_eq(a->opts[i].val, b->opts[i].val, a->opts[i].len);
    }
}

static void reserve(oscore_ctx_t *c, uint64_t next, uint64_t limit)
{
    ck_assert_int_eq(oscore_ctx_seq_restore(c, next), 0);
    ck_assert_int_eq(oscore_ctx_seq_reserved(c, limit), 0);
}

#define C4_PLAIN "44015d1f00003974396c6f63616c686f737483747631"
#define C4_PROT  "44025d1f00003974396c6f63616c686f7374620914ff612f1092f1776f1c1668b3825e"
#define C5_PLAIN "440171c30000b932396c6f63616c686f737483747631"
#define C5_PROT  "440271c30000b932396c6f63616c686f737463091400ff4ed339a5a379b0b8bc731fffb0"
#define C6_PLAIN "44012f8eef9bbf7a396c6f63616c686f737483747631"
#define C6_PROT  "44022f8eef9bbf7a396c6f63616c686f73746b19140837cbf3210017a2d3ff72cd7273fd331ac45cffbe55c3"
#define C7_PLAIN "64455d1f00003974ff48656c6c6f20576f726c6421"
#define C7_PROT  "64445d1f0000397490ffdbaad1e9a7e7b2a813d3c31524378303cdafae119106"
#define C8_PROT  "64445d1f00003974920100ff4d4c13669384b67354b2b6175ff4b8658c666a6cf88e"

/* Client side of C.4–C.6: protect the plain request with SSN 20. */
static void check_request_vector(int vector, const char *plain_hex, const char *prot_hex,
                                 const char *nonce_hex, bool send_kid_ctx)
{
    oscore_ctx_t cli, srv;
    derive_pair(&cli, &srv, vector);
    reserve(&cli, 20, 100);
    msg_t plain, prot;
    parse_hex(&plain, plain_hex);
    oscore_send_t snd = {.kid_ctx = IDCTX, .kid_ctx_len = sizeof(IDCTX)};
    uint8_t out[256];
    oscore_req_t creq;
    int n = oscore_protect_request(&cli, &plain.m, send_kid_ctx ? &snd : NULL, out, sizeof(out), &creq);
    ck_assert_int_gt(n, 0);
    assert_hex(out, (size_t)n, prot_hex);
    assert_hex(creq.nonce, OSCORE_NONCE_LEN, nonce_hex);
    ck_assert_uint_eq(oscore_ctx_seq_next(&cli), 21);

    /* Server side: the vector's protected bytes verify to the plain request. */
    parse_hex(&prot, prot_hex);
    uint8_t buf[256];
    coap_msg_t inner;
    oscore_req_t sreq;
    ck_assert_int_eq(oscore_unprotect_request(&srv, &prot.m, buf, sizeof(buf), &inner, &sreq), 0);
    ck_assert_uint_eq(inner.code, plain.m.code);
    ck_assert_uint_eq(inner.type, plain.m.type);
    ck_assert_uint_eq(inner.mid, plain.m.mid);
    ck_assert_uint_eq(inner.tkl, plain.m.tkl);
    ck_assert_mem_eq(inner.token, plain.m.token, plain.m.tkl);
    assert_same_opts(&inner, &plain.m);
    ck_assert_uint_eq(inner.payload_len, 0);
    ck_assert_mem_eq(&sreq, &creq, sizeof(sreq));
}

START_TEST(c4_c5_c6_requests)
{
    check_request_vector(1, C4_PLAIN, C4_PROT, "4622d4dd6d944168eefb549868", false);
    check_request_vector(2, C5_PLAIN, C5_PROT, "bf35ae297d2dace910c52e99ed", false);
    check_request_vector(3, C6_PLAIN, C6_PROT, "2ca58fb85ff1b81c0b7181b84a", true);
}
END_TEST

START_TEST(c7_c8_responses)
{
    oscore_ctx_t cli, srv;
    derive_pair(&cli, &srv, 1);
    msg_t req_prot, plain;
    parse_hex(&req_prot, C4_PROT);
    uint8_t buf[256];
    coap_msg_t inner;
    oscore_req_t sreq;
    ck_assert_int_eq(oscore_unprotect_request(&srv, &req_prot.m, buf, sizeof(buf), &inner, &sreq), 0);

    parse_hex(&plain, C7_PLAIN);
    uint8_t out[256];
    /* C.7: no Partial IV, the request's nonce; no SSN needed. */
    int n = oscore_protect_response(&srv, &sreq, &plain.m, NULL, out, sizeof(out));
    assert_hex(out, (size_t)n, C7_PROT);
    /* C.8: own Partial IV 0 — refused until an SSN block is reserved. */
    oscore_send_t own = {.own_piv = true};
    ck_assert_int_eq(oscore_protect_response(&srv, &sreq, &plain.m, &own, out, sizeof(out)),
                     OSCORE_ERR_SEQ_EXHAUSTED);
    reserve(&srv, 0, 10);
    n = oscore_protect_response(&srv, &sreq, &plain.m, &own, out, sizeof(out));
    assert_hex(out, (size_t)n, C8_PROT);
    ck_assert_uint_eq(oscore_ctx_seq_next(&srv), 1);

    /* Client: both vector responses verify against the C.4 request. */
    reserve(&cli, 20, 100);
    msg_t req_plain;
    parse_hex(&req_plain, C4_PLAIN);
    oscore_req_t creq;
    ck_assert_int_gt(oscore_protect_request(&cli, &req_plain.m, NULL, out, sizeof(out), &creq), 0);
    const char *vectors[] = {C7_PROT, C8_PROT};
    for (int i = 0; i < 2; i++) {
        msg_t resp;
        parse_hex(&resp, vectors[i]);
        ck_assert_int_eq(oscore_unprotect_response(&cli, &creq, &resp.m, buf, sizeof(buf), &inner), 0);
        ck_assert_uint_eq(inner.code, COAP_CONTENT);
        ck_assert_uint_eq(inner.type, COAP_TYPE_ACK);
        ck_assert_uint_eq(inner.nopts, 0);
        ck_assert_uint_eq(inner.payload_len, 12);
        ck_assert_mem_eq(inner.payload, "Hello World!", 12);
        ck_assert_uint_eq(inner.mid, 0x5d1f);
    }
}
END_TEST

/* ---- B.2 walk-through (PROTOCOLS.md §1.12) ---------------------------- */

static const uint8_t ID1[] = {0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8};
static const uint8_t R2[] = {0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8};
static const uint8_t R3[] = {0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8};

/* Returns the kid context carried by |m|'s OSCORE option, unwrapped. */
static size_t kid_ctx_of(const coap_msg_t *m, uint8_t *out)
{
    const coap_option_t *opt = coap_opt_get(m, COAP_OPT_OSCORE);
    ck_assert_ptr_nonnull(opt);
    oscore_option_t o;
    ck_assert_int_eq(oscore_option_decode(opt->val, opt->len, &o), 0);
    ck_assert(o.has_kid_ctx);
    const uint8_t *id;
    size_t id_len;
    ck_assert_int_eq(oscore_b2_unwrap(o.kid_ctx, o.kid_ctx_len, &id, &id_len), 0);
    memcpy(out, id, id_len);
    return id_len;
}

START_TEST(b2_walkthrough)
{
    oscore_ctx_t cli0, srv0, cli1, srv1, cli2, srv2, cli3, srv3;
    derive_pair(&cli0, &srv0, 1);
    uint8_t wire[64], idc[OSCORE_MAX_ID_CTX_LEN], out[256], buf[256];
    coap_msg_t inner;

    /* Client: ctx1 from ID1, request #1 with SSN 0 and the wrapped ID1. */
    ck_assert_int_eq(oscore_ctx_rederive(&cli1, &cli0, ID1, sizeof(ID1)), 0);
    assert_hex(cli1.sender_key, 16, "453eebb18751de9311c64a9d66d501d8");
    assert_hex(cli1.recipient_key, 16, "76f2ca5b8af7b1753e0c36aa30d01da6");
    assert_hex(cli1.common_iv, 13, "77fb280ac8f424dea9d646ffd8");
    reserve(&cli1, 0, 100);
    int wl = oscore_b2_wrap(ID1, sizeof(ID1), wire, sizeof(wire));
    ck_assert_int_eq(wl, 9);
    msg_t plain;
    parse_hex(&plain, "41020001a1b262734665703d657031");
    oscore_send_t snd = {.kid_ctx = wire, .kid_ctx_len = (size_t)wl};
    oscore_req_t creq1;
    int n = oscore_protect_request(&cli1, &plain.m, &snd, out, sizeof(out), &creq1);
    assert_hex(out, (size_t)n,
               "41020001a19c19000948a1a2a3a4a5a6a7a8ff1cfab3e6727ae4d60c64cb5b72ca09fbd16b83");
    assert_hex(creq1.nonce, 13, "77fb280ac8f424dea9d646ffd8");

    /* Server: no context for the kid context; ctx1 from it verifies #1. */
    msg_t req1;
    parse_bytes(&req1, out, (size_t)n);
    size_t il = kid_ctx_of(&req1.m, idc);
    ck_assert_int_eq(oscore_ctx_rederive(&srv1, &srv0, idc, il), 0);
    oscore_req_t sreq1;
    ck_assert_int_eq(oscore_unprotect_request(&srv1, &req1.m, buf, sizeof(buf), &inner, &sreq1), 0);
    ck_assert(coap_uri_path_equals(&inner, "bs"));

    /* Server: ctx2 = R2 || ID1; response #1 is 4.01 with the wrapped R2 and
     * the server's own PIV 0 (variant c), then the libcoap variant (a). */
    int cl = oscore_b2_id_ctx(R2, sizeof(R2), idc, il, idc, sizeof(idc));
    ck_assert_int_eq(cl, 16);
    ck_assert_int_eq(oscore_ctx_rederive(&srv2, &srv0, idc, (size_t)cl), 0);
    assert_hex(srv2.sender_key, 16, "c4b950e1b50b4d8cc60033a9c84eb1bb");
    assert_hex(srv2.common_iv, 13, "7070721b48ecce76dd6ed68a7a");
    reserve(&srv2, 0, 100);
    wl = oscore_b2_wrap(R2, sizeof(R2), wire, sizeof(wire));
    snd = (oscore_send_t){.own_piv = true, .kid_ctx = wire, .kid_ctx_len = (size_t)wl};
    msg_t r401;
    parse_hex(&r401, "61810001a1");
    n = oscore_protect_response(&srv2, &sreq1, &r401.m, &snd, out, sizeof(out));
    assert_hex(out, (size_t)n, "61440001a19c11000948b1b2b3b4b5b6b7b8ff5918ff4609b530b34a");
    uint8_t out_a[128];
    snd.own_piv = false;
    int na = oscore_protect_response(&srv2, &sreq1, &r401.m, &snd, out_a, sizeof(out_a));
    assert_hex(out_a, (size_t)na, "61440001a19b100948b1b2b3b4b5b6b7b8ff49af09c88e6aa6a612");

    /* Client: ctx2 from the response's kid context verifies response #1. */
    msg_t resp1;
    parse_bytes(&resp1, out, (size_t)n);
    uint8_t r2got[OSCORE_MAX_ID_CTX_LEN];
    size_t r2l = kid_ctx_of(&resp1.m, r2got);
    cl = oscore_b2_id_ctx(r2got, r2l, ID1, sizeof(ID1), idc, sizeof(idc));
    ck_assert_int_eq(oscore_ctx_rederive(&cli2, &cli0, idc, (size_t)cl), 0);
    assert_hex(cli2.sender_key, 16, "5a6b3996249b21c379c57da300a0b8a0");
    assert_hex(cli2.recipient_key, 16, "c4b950e1b50b4d8cc60033a9c84eb1bb");
    ck_assert_int_eq(oscore_unprotect_response(&cli2, &creq1, &resp1.m, buf, sizeof(buf), &inner), 0);
    ck_assert_uint_eq(inner.code, COAP_UNAUTHORIZED);

    /* Client: ctx3 = R2 || R3, request #2 with SSN 0. */
    cl = oscore_b2_id_ctx(r2got, r2l, R3, sizeof(R3), idc, sizeof(idc));
    ck_assert_int_eq(oscore_ctx_rederive(&cli3, &cli0, idc, (size_t)cl), 0);
    assert_hex(cli3.sender_key, 16, "10948105540891160cc0ac3faa5c3b8f");
    assert_hex(cli3.recipient_key, 16, "017bb5dd4711168625d2499b30f3ca1c");
    assert_hex(cli3.common_iv, 13, "2a371984e7da3f9c73a7642ca5");
    reserve(&cli3, 0, 100);
    wl = oscore_b2_wrap(idc, (size_t)cl, wire, sizeof(wire));
    snd = (oscore_send_t){.kid_ctx = wire, .kid_ctx_len = (size_t)wl};
    oscore_req_t creq3;
    n = oscore_protect_request(&cli3, &plain.m, &snd, out, sizeof(out), &creq3);
    ck_assert_int_gt(n, 0);
    assert_hex(creq3.nonce, 13, "2a371984e7da3f9c73a7642ca5");
    msg_t req2;
    parse_bytes(&req2, out, (size_t)n);
    const coap_option_t *oo = coap_opt_get(&req2.m, COAP_OPT_OSCORE);
    assert_hex(oo->val, oo->len, "19001150b1b2b3b4b5b6b7b8c1c2c3c4c5c6c7c8");
    assert_hex(req2.m.payload, req2.m.payload_len, "7ef3405d1a9dd6b42e48dc8afcf066d044855f");

    /* Server: the first half is the R2 it issued; ctx3 verifies #2 once. */
    il = kid_ctx_of(&req2.m, idc);
    ck_assert_uint_eq(il, 16);
    ck_assert_mem_eq(idc, R2, sizeof(R2));
    ck_assert_int_eq(oscore_ctx_rederive(&srv3, &srv0, idc, il), 0);
    oscore_req_t sreq3;
    ck_assert_int_eq(oscore_unprotect_request(&srv3, &req2.m, buf, sizeof(buf), &inner, &sreq3), 0);
    ck_assert_int_eq(oscore_unprotect_request(&srv3, &req2.m, buf, sizeof(buf), &inner, &sreq3),
                     OSCORE_ERR_REPLAY);
    /* Request #2 does not verify under ctx1 or ctx2 keys. */
    ck_assert_int_eq(oscore_unprotect_request(&srv1, &req2.m, buf, sizeof(buf), &inner, &sreq3),
                     OSCORE_ERR_REPLAY); /* PIV 0 already used in ctx1 */
    ck_assert_int_eq(oscore_unprotect_request(&srv2, &req2.m, buf, sizeof(buf), &inner, &sreq3),
                     OSCORE_ERR_DECRYPT);
}
END_TEST

START_TEST(b2_helpers)
{
    uint8_t out[64];
    const uint8_t *id;
    size_t len;
    uint8_t r24[24];
    memset(r24, 0x5a, sizeof(r24));
    /* 24 bytes need the one-byte length form 0x58 0x18 */
    ck_assert_int_eq(oscore_b2_wrap(r24, sizeof(r24), out, sizeof(out)), 26);
    ck_assert_uint_eq(out[0], 0x58);
    ck_assert_uint_eq(out[1], 24);
    ck_assert_int_eq(oscore_b2_unwrap(out, 26, &id, &len), 0);
    ck_assert_uint_eq(len, 24);
    ck_assert_ptr_eq(id, out + 2);
    ck_assert_int_eq(oscore_b2_wrap(r24, sizeof(r24), out, 25), OSCORE_ERR_NOSPACE);
    /* malformed kid contexts */
    const char *bad[] = {"",     "48a1a2",     "4201", "580501020304", /* non-preferred */
                         "6161", "4301020304", "5818", "f6"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        size_t n = unhex(bad[i], out, sizeof(out));
        ck_assert_int_eq(oscore_b2_unwrap(out, n, &id, &len), OSCORE_ERR_B2_KID_CTX);
    }
    ck_assert_int_eq(oscore_b2_unwrap((const uint8_t *)"\x40", 1, &id, &len), 0);
    ck_assert_uint_eq(len, 0);
    /* ID Context concatenation bound */
    ck_assert_int_eq(oscore_b2_id_ctx(r24, 24, r24, 9, out, sizeof(out)), OSCORE_ERR_INVAL);
    ck_assert_int_eq(oscore_b2_id_ctx(r24, 24, r24, 8, out, 31), OSCORE_ERR_NOSPACE);

    /* stateless R2 (B.2.1) */
    uint8_t key[OSCORE_HMAC_KEY_LEN], key2[OSCORE_HMAC_KEY_LEN], s2[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    memset(key, 0x11, sizeof(key));
    memset(key2, 0x22, sizeof(key2));
    uint8_t r2[OSCORE_B2_R2_LEN];
    ck_assert_int_eq(oscore_b2_r2_make(key, s2, r2), 0);
    ck_assert_mem_eq(r2, s2, 8);
    ck_assert_int_eq(oscore_b2_r2_check(key, r2, sizeof(r2)), 0);
    ck_assert_int_eq(oscore_b2_r2_check(key2, r2, sizeof(r2)), OSCORE_ERR_B2_KID_CTX);
    ck_assert_int_eq(oscore_b2_r2_check(key, r2, 8), OSCORE_ERR_B2_KID_CTX);
    r2[3] ^= 1;
    ck_assert_int_eq(oscore_b2_r2_check(key, r2, sizeof(r2)), OSCORE_ERR_B2_KID_CTX);
}
END_TEST

/* ---- Replay window ---------------------------------------------------- */

#define NREQ 45
static uint8_t g_req[NREQ][64];
static size_t g_req_len[NREQ];

/* Client C.1.1 protects GET /tv1 with SSN 0..NREQ-1 into g_req. */
static void make_requests(void)
{
    oscore_ctx_t cli;
    derive_c(&cli, 1, true);
    reserve(&cli, 0, NREQ);
    msg_t plain;
    parse_hex(&plain, C4_PLAIN);
    for (int i = 0; i < NREQ; i++) {
        oscore_req_t r;
        int n = oscore_protect_request(&cli, &plain.m, NULL, g_req[i], sizeof(g_req[i]), &r);
        ck_assert_int_gt(n, 0);
        g_req_len[i] = (size_t)n;
    }
}

static int deliver(oscore_ctx_t *srv, int i)
{
    msg_t m;
    parse_bytes(&m, g_req[i], g_req_len[i]);
    uint8_t buf[128];
    coap_msg_t inner;
    oscore_req_t r;
    return oscore_unprotect_request(srv, &m.m, buf, sizeof(buf), &inner, &r);
}

START_TEST(replay_window)
{
    make_requests();
    oscore_ctx_t srv;
    derive_c(&srv, 1, false);
    ck_assert_int_eq(deliver(&srv, 5), 0);
    ck_assert_int_eq(deliver(&srv, 5), OSCORE_ERR_REPLAY); /* replayed */
    ck_assert_int_eq(deliver(&srv, 3), 0);                 /* reordered, inside the window */
    ck_assert_int_eq(deliver(&srv, 0), 0);
    ck_assert_int_eq(deliver(&srv, 3), OSCORE_ERR_REPLAY);
    ck_assert_int_eq(deliver(&srv, 40), 0);
    ck_assert_int_eq(deliver(&srv, 9), 0);                 /* 40 - 31: last slot of the window */
    ck_assert_int_eq(deliver(&srv, 8), OSCORE_ERR_REPLAY); /* 40 - 32: too old */
    ck_assert_int_eq(deliver(&srv, 6), OSCORE_ERR_REPLAY);
    ck_assert_int_eq(deliver(&srv, 39), 0);
    ck_assert_int_eq(deliver(&srv, 40), OSCORE_ERR_REPLAY);
    ck_assert_int_eq(deliver(&srv, 9), OSCORE_ERR_REPLAY);

    /* Persisted state restores the same decisions into a new context. */
    oscore_replay_t st;
    oscore_ctx_replay_get(&srv, &st);
    ck_assert(st.valid);
    ck_assert_uint_eq(st.highest, 40);
    oscore_ctx_t srv2;
    derive_c(&srv2, 1, false);
    ck_assert_int_eq(oscore_ctx_replay_set(&srv2, &st), 0);
    ck_assert_int_eq(deliver(&srv2, 39), OSCORE_ERR_REPLAY);
    ck_assert_int_eq(deliver(&srv2, 38), 0);
    ck_assert_int_eq(deliver(&srv2, 44), 0);
    oscore_replay_t bad = {.valid = true, .highest = 3, .bitmap = 2};
    ck_assert_int_eq(oscore_ctx_replay_set(&srv2, &bad), OSCORE_ERR_INVAL);
    bad = (oscore_replay_t){.valid = true, .highest = OSCORE_SSN_LIMIT, .bitmap = 1};
    ck_assert_int_eq(oscore_ctx_replay_set(&srv2, &bad), OSCORE_ERR_INVAL);

    /* Floor restore (B.1.2): PIV <= floor refused, above accepted. */
    oscore_ctx_t srv3;
    derive_c(&srv3, 1, false);
    ck_assert_int_eq(oscore_ctx_replay_set_floor(&srv3, 10), 0);
    ck_assert_int_eq(deliver(&srv3, 10), OSCORE_ERR_REPLAY);
    ck_assert_int_eq(deliver(&srv3, 2), OSCORE_ERR_REPLAY);
    ck_assert_int_eq(deliver(&srv3, 11), 0);
    ck_assert_int_eq(deliver(&srv3, 11), OSCORE_ERR_REPLAY);
    ck_assert_int_eq(oscore_ctx_replay_set_floor(&srv3, OSCORE_SSN_LIMIT), OSCORE_ERR_INVAL);
}
END_TEST

START_TEST(replay_window_raw)
{
    oscore_replay_t w = {0};
    ck_assert_int_eq(oscore_replay_check(&w, 1000), 0); /* first PIV may be anything */
    oscore_replay_update(&w, 1000);
    ck_assert_int_eq(oscore_replay_check(&w, 1000), OSCORE_ERR_REPLAY);
    ck_assert_int_eq(oscore_replay_check(&w, 969), 0);
    ck_assert_int_eq(oscore_replay_check(&w, 968), OSCORE_ERR_REPLAY);
    oscore_replay_update(&w, 1000 + 100); /* jump past the window */
    ck_assert_uint_eq(w.bitmap, 1);
    ck_assert_int_eq(oscore_replay_check(&w, 1000), OSCORE_ERR_REPLAY);
    ck_assert_int_eq(oscore_replay_check(&w, 1099), 0);
}
END_TEST

/* ---- Tampering -------------------------------------------------------- */

static int deliver_bytes(oscore_ctx_t *srv, const uint8_t *b, size_t n)
{
    msg_t m;
    memcpy(m.raw, b, n);
    int rc = coap_parse(&m.m, m.raw, n);
    ck_assert_int_eq(rc, 0);
    uint8_t buf[128];
    coap_msg_t inner;
    oscore_req_t r;
    return oscore_unprotect_request(srv, &m.m, buf, sizeof(buf), &inner, &r);
}

START_TEST(tampering)
{
    oscore_ctx_t srv;
    derive_c(&srv, 1, false);
    uint8_t b[64];
    size_t n = unhex(C4_PROT, b, sizeof(b));
    size_t ct = n - 13; /* 5 bytes ciphertext + 8 bytes tag */
    for (size_t i = ct; i < n; i++) {
        b[i] ^= 0x01; /* each ciphertext and tag byte */
        ck_assert_int_eq(deliver_bytes(&srv, b, n), OSCORE_ERR_DECRYPT);
        b[i] ^= 0x01;
    }
    /* The Partial IV is in the nonce and the AAD: 0914 -> 0915 */
    b[ct - 2] = 0x15;
    ck_assert_int_eq(deliver_bytes(&srv, b, n), OSCORE_ERR_DECRYPT);
    b[ct - 2] = 0x14;
    /* A kid that is not ours: 0914 -> 091401 needs a longer option */
    uint8_t k[64];
    size_t kn =
        unhex("44025d1f00003974396c6f63616c686f737463091401ff612f1092f1776f1c1668b3825e", k, sizeof(k));
    ck_assert_int_eq(deliver_bytes(&srv, k, kn), OSCORE_ERR_UNKNOWN_KID);
    /* Failed attempts did not consume PIV 20; outer Class U Uri-Host and the
     * outer code are not protected (§4.1.3.2, §4.2), so they may change. */
    b[13] = 'L';
    b[1] = 0x03; /* outer code PUT */
    ck_assert_int_eq(deliver_bytes(&srv, b, n), 0);
    ck_assert_int_eq(deliver_bytes(&srv, b, n), OSCORE_ERR_REPLAY);
}
END_TEST

/* ---- Malformed protected requests ------------------------------------- */

START_TEST(malformed_requests)
{
    oscore_ctx_t srv;
    derive_c(&srv, 1, false);
    struct {
        const char *hex;
        int err;
    } cases[] = {
        /* no OSCORE option */
        {"44025d1f00003974396c6f63616c686f7374ff612f1092f1776f1c1668b3825e", OSCORE_ERR_NO_OPTION},
        /* reserved flag */
        {"44025d1f00003974396c6f63616c686f7374622914ff612f1092f1776f1c1668b3825e", OSCORE_ERR_RESERVED},
        /* no Partial IV (flags 08: kid only) */
        {"44025d1f00003974396c6f63616c686f73746108ff612f1092f1776f1c1668b3825e", OSCORE_ERR_NO_PIV},
        /* no kid (flags 01) */
        {"44025d1f00003974396c6f63616c686f7374620114ff612f1092f1776f1c1668b3825e", OSCORE_ERR_NO_KID},
        /* no payload */
        {"44025d1f00003974396c6f63616c686f7374620914", OSCORE_ERR_NO_PAYLOAD},
        /* payload shorter than the tag */
        {"44025d1f00003974396c6f63616c686f7374620914ff01020304050607", OSCORE_ERR_NO_PAYLOAD},
        /* empty OSCORE option on a request */
        {"44025d1f00003974396c6f63616c686f737460ff612f1092f1776f1c1668b3825e", OSCORE_ERR_NO_PIV},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint8_t b[128];
        size_t n = unhex(cases[i].hex, b, sizeof(b));
        ck_assert_msg(deliver_bytes(&srv, b, n) == cases[i].err, "case %zu", i);
    }
    /* buffer too small for the plaintext */
    msg_t m;
    parse_hex(&m, C4_PROT);
    uint8_t small[7];
    coap_msg_t inner;
    oscore_req_t r;
    ck_assert_int_eq(oscore_unprotect_request(&srv, &m.m, small, sizeof(small), &inner, &r),
                     OSCORE_ERR_NOSPACE);
    uint8_t exact[5 + OSCORE_UNPROTECT_OVERHEAD];
    ck_assert_int_eq(oscore_unprotect_request(&srv, &m.m, exact, sizeof(exact), &inner, &r), 0);
}
END_TEST

/* An authenticated client puts a response code in a request: protect a
 * response with the client's sender key and the request's nonce/AAD, then
 * send that ciphertext under the request's OSCORE option. */
START_TEST(inner_errors)
{
    oscore_ctx_t cli, srv;
    derive_pair(&cli, &srv, 1);
    reserve(&cli, 0, 10);
    msg_t plain;
    parse_hex(&plain, C4_PLAIN);
    uint8_t reqb[128], respb[128], forged[128], buf[128];
    oscore_req_t creq, sreq;
    int rn = oscore_protect_request(&cli, &plain.m, NULL, reqb, sizeof(reqb), &creq);
    ck_assert_int_gt(rn, 0);
    msg_t resp_plain;
    parse_hex(&resp_plain, C7_PLAIN);
    int pn = oscore_protect_response(&cli, &creq, &resp_plain.m, NULL, respb, sizeof(respb));
    ck_assert_int_gt(pn, 0);
    msg_t req, resp;
    parse_bytes(&req, reqb, (size_t)rn);
    parse_bytes(&resp, respb, (size_t)pn);
    coap_builder_t b;
    coap_build_init(&b, forged, sizeof(forged), COAP_TYPE_CON, COAP_POST, 1, NULL, 0);
    const coap_option_t *oo = coap_opt_get(&req.m, COAP_OPT_OSCORE);
    coap_build_opt(&b, COAP_OPT_OSCORE, oo->val, oo->len);
    coap_build_payload(&b, resp.m.payload, resp.m.payload_len);
    int fn = coap_build_finish(&b);
    ck_assert_int_gt(fn, 0);
    msg_t f;
    parse_bytes(&f, forged, (size_t)fn);
    coap_msg_t inner;
    ck_assert_int_eq(oscore_unprotect_request(&srv, &f.m, buf, sizeof(buf), &inner, &sreq),
                     OSCORE_ERR_INNER_FORMAT);
    /* verified, so the Partial IV is now used */
    ck_assert_int_eq(oscore_unprotect_request(&srv, &req.m, buf, sizeof(buf), &inner, &sreq),
                     OSCORE_ERR_REPLAY);

    /* A critical inner option with a bad length: the view stays usable. */
    coap_msg_t p2 = plain.m;
    p2.opts[1] = (coap_option_t){.num = COAP_OPT_IF_NONE_MATCH, .len = 1, .val = (const uint8_t *)"x"};
    p2.opts[2] = plain.m.opts[1];
    p2.nopts = 3;
    int n = oscore_protect_request(&cli, &p2, NULL, reqb, sizeof(reqb), &creq);
    ck_assert_int_gt(n, 0);
    parse_bytes(&req, reqb, (size_t)n);
    ck_assert_int_eq(oscore_unprotect_request(&srv, &req.m, buf, sizeof(buf), &inner, &sreq),
                     OSCORE_ERR_INNER_BAD_OPTION);
    ck_assert(coap_uri_path_equals(&inner, "tv1"));
    ck_assert_ptr_nonnull(coap_opt_get(&inner, COAP_OPT_URI_HOST));
}
END_TEST

START_TEST(protect_rejects)
{
    oscore_ctx_t cli;
    derive_c(&cli, 1, true);
    reserve(&cli, 0, 10);
    msg_t plain, resp;
    parse_hex(&plain, C4_PLAIN);
    parse_hex(&resp, C7_PLAIN);
    uint8_t out[128];
    oscore_req_t r;
    /* a response code through protect_request, and the reverse */
    ck_assert_int_eq(oscore_protect_request(&cli, &resp.m, NULL, out, sizeof(out), &r), OSCORE_ERR_INVAL);
    /* an OSCORE or Proxy-Uri option in the plain message */
    msg_t withosc, proxy;
    parse_hex(&withosc, "44015d1f0000397490");
    ck_assert_int_eq(oscore_protect_request(&cli, &withosc.m, NULL, out, sizeof(out), &r), OSCORE_ERR_INVAL);
    parse_hex(&proxy, "44015d1f00003974d416636f6170");
    ck_assert_int_eq(oscore_protect_request(&cli, &proxy.m, NULL, out, sizeof(out), &r), OSCORE_ERR_INVAL);
    ck_assert_uint_eq(oscore_ctx_seq_next(&cli), 0); /* nothing consumed */
    /* too small an output buffer */
    ck_assert_int_eq(oscore_protect_request(&cli, &plain.m, NULL, out, 20, &r), OSCORE_ERR_NOSPACE);
    ck_assert_int_eq(oscore_protect_request(&cli, &plain.m, NULL, out, 34, &r), OSCORE_ERR_NOSPACE);
    ck_assert_int_eq(oscore_protect_request(&cli, &plain.m, NULL, out, 35, &r), 35);
    ck_assert_int_eq(oscore_protect_response(&cli, &r, &plain.m, NULL, out, sizeof(out)), OSCORE_ERR_INVAL);
}
END_TEST

/* ---- Sequence numbers (B.1.1) ----------------------------------------- */

START_TEST(seq_reservation)
{
    oscore_ctx_t cli;
    derive_c(&cli, 1, true);
    msg_t plain;
    parse_hex(&plain, C4_PLAIN);
    uint8_t out[128];
    oscore_req_t r;
    /* nothing reserved after derivation */
    ck_assert_int_eq(oscore_protect_request(&cli, &plain.m, NULL, out, sizeof(out), &r),
                     OSCORE_ERR_SEQ_EXHAUSTED);
    ck_assert(oscore_ctx_seq_low(&cli, 0));
    ck_assert_int_eq(oscore_ctx_seq_reserved(&cli, 3), 0);
    ck_assert_uint_eq(oscore_ctx_seq_remaining(&cli), 3);
    ck_assert(!oscore_ctx_seq_low(&cli, 1));
    for (int i = 0; i < 2; i++)
        ck_assert_int_gt(oscore_protect_request(&cli, &plain.m, NULL, out, sizeof(out), &r), 0);
    ck_assert(oscore_ctx_seq_low(&cli, 1)); /* one left: ask for the next block */
    ck_assert_int_gt(oscore_protect_request(&cli, &plain.m, NULL, out, sizeof(out), &r), 0);
    ck_assert_uint_eq(r.piv_len, 1);
    ck_assert_uint_eq(r.piv[0], 2);
    ck_assert_int_eq(oscore_protect_request(&cli, &plain.m, NULL, out, sizeof(out), &r),
                     OSCORE_ERR_SEQ_EXHAUSTED);
    ck_assert_uint_eq(oscore_ctx_seq_next(&cli), 3); /* how far it got */
    /* the limit only grows; the SSN only moves forward */
    ck_assert_int_eq(oscore_ctx_seq_reserved(&cli, 2), OSCORE_ERR_INVAL);
    ck_assert_int_eq(oscore_ctx_seq_restore(&cli, 1), OSCORE_ERR_INVAL);
    ck_assert_int_eq(oscore_ctx_seq_reserved(&cli, 5), 0);
    ck_assert_int_gt(oscore_protect_request(&cli, &plain.m, NULL, out, sizeof(out), &r), 0);
    ck_assert_uint_eq(r.piv[0], 3);

    /* A restart resumes at the end of the last reserved block. */
    oscore_ctx_t again;
    derive_c(&again, 1, true);
    reserve(&again, 5, 10);
    ck_assert_int_gt(oscore_protect_request(&again, &plain.m, NULL, out, sizeof(out), &r), 0);
    ck_assert_uint_eq(r.piv[0], 5);

    /* The end of the SSN space (§7.2.1). */
    ck_assert_int_eq(oscore_ctx_seq_reserved(&again, OSCORE_SSN_LIMIT + 1), OSCORE_ERR_INVAL);
    reserve(&again, OSCORE_SSN_LIMIT - 1, OSCORE_SSN_LIMIT);
    ck_assert(!oscore_ctx_seq_low(&again, 100)); /* nothing more to reserve */
    ck_assert_int_gt(oscore_protect_request(&again, &plain.m, NULL, out, sizeof(out), &r), 0);
    assert_hex(r.piv, r.piv_len, "ffffffffff");
    ck_assert_int_eq(oscore_protect_request(&again, &plain.m, NULL, out, sizeof(out), &r),
                     OSCORE_ERR_SEQ_WRAPPED);
}
END_TEST

/* ---- Option codec ----------------------------------------------------- */

START_TEST(option_roundtrip)
{
    /* RFC 8613 §6.3 examples and C.4–C.8 values */
    const char *ok[] = {
        "090525",         "0900",   "19050544616c656b",       "",     "0107",
        "0914",           "091400", "19140837cbf3210017a2d3", "0100", "100948b1b2b3b4b5b6b7b8",
        "0d0102030405ee", "1000"};
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        uint8_t v[64], out[64];
        size_t n = unhex(ok[i], v, sizeof(v));
        oscore_option_t o;
        ck_assert_msg(oscore_option_decode(n ? v : NULL, n, &o) == 0, "%s", ok[i]);
        int m = oscore_option_encode(&o, out, sizeof(out));
        ck_assert_int_eq(m, (int)n);
        ck_assert_mem_eq(out, v, n);
    }
    oscore_option_t o;
    uint8_t v[] = {0x19, 0x05, 0x05, 'D', 'a', 'l', 'e', 'k'};
    ck_assert_int_eq(oscore_option_decode(v, sizeof(v), &o), 0);
    ck_assert_uint_eq(o.piv_len, 1);
    ck_assert_uint_eq(o.piv[0], 5);
    ck_assert(o.has_kid_ctx && o.kid_ctx_len == 5 && memcmp(o.kid_ctx, "Dalek", 5) == 0);
    ck_assert(o.has_kid && o.kid_len == 0);
}
END_TEST

START_TEST(option_malformed)
{
    struct {
        const char *hex;
        int err;
    } bad[] = {
        {"20", OSCORE_ERR_RESERVED},
        {"4900", OSCORE_ERR_RESERVED},
        {"8900", OSCORE_ERR_RESERVED},
        {"00", OSCORE_ERR_ZERO_FLAGS},
        {"0001", OSCORE_ERR_ZERO_FLAGS},
        {"06010203040506", OSCORE_ERR_PIV_LEN},
        {"07", OSCORE_ERR_PIV_LEN},
        {"03aabb", OSCORE_ERR_TRUNCATED},
        {"01", OSCORE_ERR_TRUNCATED},
        {"10", OSCORE_ERR_TRUNCATED},
        {"1105", OSCORE_ERR_TRUNCATED},
        {"1003aabb", OSCORE_ERR_TRUNCATED},
        {"0105aa", OSCORE_ERR_TRAILING},
        {"1001aabb", OSCORE_ERR_TRAILING},
        {"020014", OSCORE_ERR_PIV_NONMINIMAL},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint8_t v[16];
        size_t n = unhex(bad[i].hex, v, sizeof(v));
        oscore_option_t o;
        ck_assert_msg(oscore_option_decode(v, n, &o) == bad[i].err, "%s", bad[i].hex);
    }
    uint8_t big[256] = {0x08};
    oscore_option_t o;
    ck_assert_int_eq(oscore_option_decode(big, 256, &o), OSCORE_ERR_OPT_TOO_LONG);
    ck_assert_int_eq(oscore_option_decode(big, 255, &o), 0); /* kid of 254 bytes */
    ck_assert_uint_eq(o.kid_len, 254);
    ck_assert_int_eq(oscore_option_decode(NULL, 1, &o), OSCORE_ERR_INVAL);

    /* encoder refusals */
    uint8_t out[300], piv2[2] = {0, 1};
    o = (oscore_option_t){.piv = piv2, .piv_len = 2};
    ck_assert_int_eq(oscore_option_encode(&o, out, sizeof(out)), OSCORE_ERR_INVAL);
    o = (oscore_option_t){.piv = piv2, .piv_len = 6};
    ck_assert_int_eq(oscore_option_encode(&o, out, sizeof(out)), OSCORE_ERR_INVAL);
    o = (oscore_option_t){.has_kid = true, .kid = big, .kid_len = 255};
    ck_assert_int_eq(oscore_option_encode(&o, out, sizeof(out)), OSCORE_ERR_INVAL);
    o = (oscore_option_t){.has_kid = true, .kid = big, .kid_len = 4};
    ck_assert_int_eq(oscore_option_encode(&o, out, 4), OSCORE_ERR_NOSPACE);
    ck_assert_int_eq(oscore_option_encode(&o, out, 5), 5);
}
END_TEST

START_TEST(option_classes)
{
    ck_assert_int_eq(oscore_option_class(COAP_OPT_URI_HOST), OSCORE_CLASS_U);
    ck_assert_int_eq(oscore_option_class(COAP_OPT_URI_PORT), OSCORE_CLASS_U);
    ck_assert_int_eq(oscore_option_class(COAP_OPT_PROXY_SCHEME), OSCORE_CLASS_U);
    ck_assert_int_eq(oscore_option_class(COAP_OPT_OBSERVE), OSCORE_CLASS_EU);
    const uint16_t in_nums[] = {COAP_OPT_URI_PATH, COAP_OPT_BLOCK1,         COAP_OPT_BLOCK2,
                                COAP_OPT_ECHO,     COAP_OPT_REQUEST_TAG,    COAP_OPT_SIZE1,
                                COAP_OPT_MAX_AGE,  COAP_OPT_CONTENT_FORMAT, 2049 /* unknown */};
    for (size_t i = 0; i < sizeof(in_nums) / sizeof(in_nums[0]); i++)
        ck_assert_int_eq(oscore_option_class(in_nums[i]), OSCORE_CLASS_E);

    /* Echo, Block1 and Request-Tag end up inside the ciphertext. */
    oscore_ctx_t cli, srv;
    derive_pair(&cli, &srv, 2);
    reserve(&cli, 0, 10);
    uint8_t raw[128], out[128], buf[128];
    coap_builder_t b;
    coap_build_init(&b, raw, sizeof(raw), COAP_TYPE_CON, COAP_POST, 7, (const uint8_t *)"\x01\x02", 2);
    coap_build_opt_str(&b, COAP_OPT_URI_HOST, "h");
    coap_build_opt_uint(&b, COAP_OPT_URI_PORT, 5683);
    coap_build_uri_path(&b, "bs");
    coap_build_opt_uint(&b, COAP_OPT_BLOCK1, 0x0a);
    coap_build_opt(&b, COAP_OPT_ECHO, (const uint8_t *)"12345678", 8);
    coap_build_opt(&b, COAP_OPT_REQUEST_TAG, (const uint8_t *)"\x01", 1);
    coap_build_payload(&b, (const uint8_t *)"data", 4);
    int n = coap_build_finish(&b);
    msg_t plain, prot;
    parse_bytes(&plain, raw, (size_t)n);
    oscore_req_t r;
    n = oscore_protect_request(&cli, &plain.m, NULL, out, sizeof(out), &r);
    parse_bytes(&prot, out, (size_t)n);
    ck_assert_uint_eq(prot.m.code, COAP_POST);
    ck_assert_uint_eq(prot.m.nopts, 3); /* Uri-Host, Uri-Port, OSCORE */
    ck_assert_uint_eq(prot.m.opts[0].num, COAP_OPT_URI_HOST);
    ck_assert_uint_eq(prot.m.opts[1].num, COAP_OPT_URI_PORT);
    ck_assert_uint_eq(prot.m.opts[2].num, COAP_OPT_OSCORE);
    coap_msg_t inner;
    oscore_req_t sr;
    ck_assert_int_eq(oscore_unprotect_request(&srv, &prot.m, buf, sizeof(buf), &inner, &sr), 0);
    assert_same_opts(&inner, &plain.m);
    ck_assert_uint_eq(inner.payload_len, 4);
    ck_assert_mem_eq(inner.payload, "data", 4);
    ck_assert_uint_eq(inner.tkl, 2);
    ck_assert_uint_eq(inner.mid, 7);
}
END_TEST

START_TEST(observe_codes)
{
    oscore_ctx_t cli, srv;
    derive_pair(&cli, &srv, 1);
    reserve(&cli, 0, 10);
    reserve(&srv, 0, 10);
    msg_t plain, prot, rplain, rprot;
    parse_hex(&plain, "44015d1f000039746053747631"); /* GET /tv1, Observe 0 */
    uint8_t out[128], buf[128];
    oscore_req_t cr, sr;
    int n = oscore_protect_request(&cli, &plain.m, NULL, out, sizeof(out), &cr);
    parse_bytes(&prot, out, (size_t)n);
    ck_assert_uint_eq(prot.m.code, COAP_FETCH); /* §4.2 */
    ck_assert_ptr_nonnull(coap_opt_get(&prot.m, COAP_OPT_OBSERVE));
    coap_msg_t inner;
    ck_assert_int_eq(oscore_unprotect_request(&srv, &prot.m, buf, sizeof(buf), &inner, &sr), 0);
    ck_assert(sr.observe);
    ck_assert_ptr_nonnull(coap_opt_get(&inner, COAP_OPT_OBSERVE));
    /* notification 2.05, Observe 5: outer 2.05 carrying 5, inner empty */
    parse_hex(&rplain, "64455d1f000039746105ff4869");
    oscore_send_t own = {.own_piv = true};
    n = oscore_protect_response(&srv, &sr, &rplain.m, &own, out, sizeof(out));
    parse_bytes(&rprot, out, (size_t)n);
    ck_assert_uint_eq(rprot.m.code, COAP_CONTENT);
    uint32_t obs = 0;
    ck_assert_int_eq(coap_opt_uint(coap_opt_get(&rprot.m, COAP_OPT_OBSERVE), &obs), 0);
    ck_assert_uint_eq(obs, 5);
    ck_assert_int_eq(oscore_unprotect_response(&cli, &cr, &rprot.m, buf, sizeof(buf), &inner), 0);
    ck_assert_int_eq(coap_opt_uint(coap_opt_get(&inner, COAP_OPT_OBSERVE), &obs), 0);
    ck_assert_uint_eq(obs, 5);
    ck_assert_uint_eq(inner.payload_len, 2);
}
END_TEST

/* ---- Error mapping (§8) ----------------------------------------------- */

START_TEST(error_mapping)
{
    const char *d;
    ck_assert_uint_eq(oscore_err_response(OSCORE_ERR_RESERVED, &d), COAP_BAD_OPTION);
    ck_assert_str_eq(d, "Failed to decode COSE");
    ck_assert_uint_eq(oscore_err_response(OSCORE_ERR_NO_KID, &d), COAP_BAD_OPTION);
    ck_assert_uint_eq(oscore_err_response(OSCORE_ERR_UNKNOWN_KID, &d), COAP_UNAUTHORIZED);
    ck_assert_str_eq(d, "Security context not found");
    ck_assert_uint_eq(oscore_err_response(OSCORE_ERR_REPLAY, &d), COAP_UNAUTHORIZED);
    ck_assert_str_eq(d, "Replay detected");
    ck_assert_uint_eq(oscore_err_response(OSCORE_ERR_DECRYPT, &d), COAP_BAD_REQUEST);
    ck_assert_str_eq(d, "Decryption failed");
    ck_assert_uint_eq(oscore_err_response(OSCORE_ERR_INNER_BAD_OPTION, &d), COAP_BAD_OPTION);
    ck_assert_ptr_null(d);
    ck_assert_uint_eq(oscore_err_response(OSCORE_ERR_NOSPACE, &d), 0);
    for (int e = 0; e >= OSCORE_ERR_B2_KID_CTX; e--)
        ck_assert_str_ne(oscore_strerror(e), "unknown error");
    ck_assert_str_eq(oscore_strerror(1), "unknown error");
}
END_TEST

/* ---- Echo (RFC 9175) -------------------------------------------------- */

START_TEST(echo_values)
{
    uint8_t key[OSCORE_HMAC_KEY_LEN], key2[OSCORE_HMAC_KEY_LEN], e[OSCORE_ECHO_LEN];
    memset(key, 0x42, sizeof(key));
    memset(key2, 0x43, sizeof(key2));
    const uint8_t bind[] = "kid01";
    ck_assert_int_eq(oscore_echo_make(key, 1000, bind, 5, e), OSCORE_ECHO_LEN);
    ck_assert_int_eq(oscore_echo_verify(key, 1000, 60, bind, 5, e, sizeof(e)), 0);
    ck_assert_int_eq(oscore_echo_verify(key, 1060, 60, bind, 5, e, sizeof(e)), 0);
    ck_assert_int_eq(oscore_echo_verify(key, 1061, 60, bind, 5, e, sizeof(e)), OSCORE_ERR_ECHO_EXPIRED);
    ck_assert_int_eq(oscore_echo_verify(key, 999, 60, bind, 5, e, sizeof(e)), OSCORE_ERR_ECHO_EXPIRED);
    ck_assert_int_eq(oscore_echo_verify(key, 1000, 60, bind, 4, e, sizeof(e)), OSCORE_ERR_ECHO_INVALID);
    ck_assert_int_eq(oscore_echo_verify(key2, 1000, 60, bind, 5, e, sizeof(e)), OSCORE_ERR_ECHO_INVALID);
    ck_assert_int_eq(oscore_echo_verify(key, 1000, 60, bind, 5, e, 11), OSCORE_ERR_ECHO_INVALID);
    for (size_t i = 0; i < sizeof(e); i++) {
        e[i] ^= 0x80; /* the time is MAC-protected too */
        ck_assert_int_eq(oscore_echo_verify(key, 1000, 1u << 31, bind, 5, e, sizeof(e)),
                         OSCORE_ERR_ECHO_INVALID);
        e[i] ^= 0x80;
    }
    /* the clock wraps */
    ck_assert_int_eq(oscore_echo_make(key, 0xfffffff0u, NULL, 0, e), OSCORE_ECHO_LEN);
    ck_assert_int_eq(oscore_echo_verify(key, 5, 60, NULL, 0, e, sizeof(e)), 0);
    ck_assert_int_eq(oscore_echo_verify(key, 100, 60, NULL, 0, e, sizeof(e)), OSCORE_ERR_ECHO_EXPIRED);
    /* an Echo value fits the option (1..40 bytes) and round-trips inner */
    ck_assert_int_le(OSCORE_ECHO_LEN, 40);
}
END_TEST

static Suite *oscore_suite(void)
{
    Suite *s = suite_create("oscore");
    TCase *t = tcase_create("core");
    tcase_add_test(t, c1_to_c3_derivation);
    tcase_add_test(t, aad_examples);
    tcase_add_test(t, derive_rejects);
    tcase_add_test(t, c4_c5_c6_requests);
    tcase_add_test(t, c7_c8_responses);
    tcase_add_test(t, b2_walkthrough);
    tcase_add_test(t, b2_helpers);
    tcase_add_test(t, replay_window);
    tcase_add_test(t, replay_window_raw);
    tcase_add_test(t, tampering);
    tcase_add_test(t, malformed_requests);
    tcase_add_test(t, inner_errors);
    tcase_add_test(t, protect_rejects);
    tcase_add_test(t, seq_reservation);
    tcase_add_test(t, option_roundtrip);
    tcase_add_test(t, option_malformed);
    tcase_add_test(t, option_classes);
    tcase_add_test(t, observe_codes);
    tcase_add_test(t, error_mapping);
    tcase_add_test(t, echo_values);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(oscore_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
