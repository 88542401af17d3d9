/*
 * fuzz_oscore.c — libFuzzer target for bsd/oscore.
 *
 * The first input byte picks what the rest is:
 *   0: an OSCORE option value: a value the decoder accepts must re-encode
 *      to the same bytes;
 *   1: a protected request datagram, verified against the RFC 8613 C.1
 *      server context (fresh replay window per input); a verified request
 *      must give a well-formed view, and the same bytes again a replay;
 *   2: a protected response datagram, verified against the C.1 client
 *      context and a fixed request association;
 *   3: a plain request, protected by the C.1 client and verified by the
 *      C.1 server: the view must equal the original message; the response
 *      path is checked the same way with the request's association;
 *   4: a plain response, protected (own Partial IV or not, per byte 1)
 *      and verified in the same way.
 * Any broken invariant aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bsd/coap/coap_msg.h"
#include "bsd/oscore/oscore.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                                             \
    do {                                                                                                     \
        if (!(c)) abort();                                                                                   \
    } while (0)

#define MAX_IN 1500

static oscore_ctx_t g_cli, g_srv; /* pristine C.1.1 / C.1.2 contexts */
static bool g_ready;

static void setup(void)
{
    static const uint8_t secret[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    static const uint8_t salt[] = {0x9e, 0x7c, 0xa9, 0x22, 0x23, 0x78, 0x63, 0x40};
    static const uint8_t id01[] = {0x01};
    oscore_params_t p = {.master_secret = secret,
                         .master_secret_len = sizeof(secret),
                         .master_salt = salt,
                         .master_salt_len = sizeof(salt),
                         .recipient_id = id01,
                         .recipient_id_len = 1};
    CHECK(oscore_ctx_derive(&g_cli, &p) == 0);
    p.recipient_id = NULL;
    p.recipient_id_len = 0;
    p.sender_id = id01;
    p.sender_id_len = 1;
    CHECK(oscore_ctx_derive(&g_srv, &p) == 0);
    CHECK(oscore_ctx_seq_reserved(&g_cli, 1000) == 0);
    CHECK(oscore_ctx_seq_reserved(&g_srv, 1000) == 0);
    g_ready = true;
}

static bool inside(const uint8_t *p, size_t len, const uint8_t *base, size_t cap)
{
    return p >= base && len <= cap && (size_t)(p - base) <= cap - len;
}

/* Options ascending, every value inside the decrypted buffer or the outer
 * datagram, payload inside the buffer. */
static void check_view(const coap_msg_t *v, const uint8_t *buf, size_t cap, const uint8_t *dg, size_t dg_len)
{
    CHECK(v->nopts <= COAP_MAX_OPTIONS && v->tkl <= COAP_MAX_TKL);
    for (uint16_t i = 0; i < v->nopts; i++) {
        const coap_option_t *o = &v->opts[i];
        if (i) CHECK(v->opts[i - 1].num <= o->num);
        CHECK(o->num != COAP_OPT_OSCORE);
        if (o->len) CHECK(inside(o->val, o->len, buf, cap) || inside(o->val, o->len, dg, dg_len));
    }
    if (v->payload_len) CHECK(inside(v->payload, v->payload_len, buf, cap));
}

static void check_equal(const coap_msg_t *a, const coap_msg_t *b)
{
    CHECK(a->type == b->type && a->code == b->code && a->mid == b->mid && a->tkl == b->tkl);
    CHECK(memcmp(a->token, b->token, a->tkl) == 0);
    CHECK(a->nopts == b->nopts);
    for (uint16_t i = 0; i < a->nopts; i++) {
        CHECK(a->opts[i].num == b->opts[i].num && a->opts[i].len == b->opts[i].len);
        CHECK(a->opts[i].len == 0 || memcmp(a->opts[i].val, b->opts[i].val, a->opts[i].len) == 0);
    }
    CHECK(a->payload_len == b->payload_len);
    CHECK(a->payload_len == 0 || memcmp(a->payload, b->payload, a->payload_len) == 0);
}

static void fuzz_option(const uint8_t *d, size_t n)
{
    oscore_option_t o;
    if (oscore_option_decode(n ? d : NULL, n, &o) != 0) return;
    uint8_t out[OSCORE_MAX_OPT_LEN];
    int m = oscore_option_encode(&o, out, sizeof(out));
    CHECK(m == (int)n);
    CHECK(n == 0 || memcmp(out, d, n) == 0);
}

static void fuzz_unprotect(const uint8_t *d, size_t n, bool request)
{
    static uint8_t dg[MAX_IN], buf[MAX_IN + OSCORE_UNPROTECT_OVERHEAD];
    memcpy(dg, d, n);
    coap_msg_t outer, inner;
    int prc = coap_parse(&outer, dg, n);
    if (prc != 0 && prc != COAP_ERR_BAD_OPTION && prc != COAP_ERR_TOO_MANY_OPTIONS) return;
    int rc;
    if (request) {
        oscore_ctx_t srv = g_srv;
        oscore_req_t r;
        rc = oscore_unprotect_request(&srv, &outer, buf, sizeof(buf), &inner, &r);
        if (rc == 0 || rc == OSCORE_ERR_INNER_BAD_OPTION || rc == OSCORE_ERR_INNER_FORMAT) {
            if (rc != OSCORE_ERR_INNER_FORMAT) check_view(&inner, buf, sizeof(buf), dg, n);
            CHECK(oscore_unprotect_request(&srv, &outer, buf, sizeof(buf), &inner, &r) == OSCORE_ERR_REPLAY);
            return;
        }
    } else {
        static const oscore_req_t req = {
            .kid_len = 0,
            .piv = {0x14},
            .piv_len = 1,
            .nonce = {0x46, 0x22, 0xd4, 0xdd, 0x6d, 0x94, 0x41, 0x68, 0xee, 0xfb, 0x54, 0x98, 0x68}};
        rc = oscore_unprotect_response(&g_cli, &req, &outer, buf, sizeof(buf), &inner);
    }
    if (rc == 0 || rc == OSCORE_ERR_INNER_BAD_OPTION) check_view(&inner, buf, sizeof(buf), dg, n);
    const char *diag;
    (void)oscore_err_response(rc, &diag);
    CHECK(oscore_strerror(rc) != NULL);
}

static void fuzz_roundtrip(const uint8_t *d, size_t n, bool request, bool own_piv)
{
    static uint8_t raw[MAX_IN], prot[MAX_IN + 512], buf[MAX_IN + 512], rprot[MAX_IN + 512];
    memcpy(raw, d, n);
    coap_msg_t plain, outer, inner;
    if (coap_parse(&plain, raw, n) != 0) return;
    oscore_ctx_t cli = g_cli, srv = g_srv;
    oscore_req_t cr, sr;
    if (request) {
        int m = oscore_protect_request(&cli, &plain, NULL, prot, sizeof(prot), &cr);
        if (m < 0) {
            CHECK(m == OSCORE_ERR_INVAL || m == OSCORE_ERR_NOSPACE);
            return;
        }
        CHECK(coap_parse(&outer, prot, (size_t)m) == 0);
        CHECK(oscore_unprotect_request(&srv, &outer, buf, sizeof(buf), &inner, &sr) == 0);
        check_equal(&inner, &plain);
        CHECK(memcmp(&cr, &sr, sizeof(cr)) == 0);
        return;
    }
    /* A response to a fixed GET, answered with |plain|. */
    static const uint8_t get[] = {0x44, 0x01, 0x12, 0x34, 1, 2, 3, 4, 0xb2, 'b', 's'};
    static uint8_t getb[sizeof(get)];
    memcpy(getb, get, sizeof(get));
    coap_msg_t g;
    CHECK(coap_parse(&g, getb, sizeof(getb)) == 0);
    int m = oscore_protect_request(&cli, &g, NULL, prot, sizeof(prot), &cr);
    CHECK(m > 0);
    CHECK(coap_parse(&outer, prot, (size_t)m) == 0);
    CHECK(oscore_unprotect_request(&srv, &outer, buf, sizeof(buf), &inner, &sr) == 0);
    oscore_send_t snd = {.own_piv = own_piv};
    m = oscore_protect_response(&srv, &sr, &plain, &snd, rprot, sizeof(rprot));
    if (m < 0) {
        CHECK(m == OSCORE_ERR_INVAL || m == OSCORE_ERR_NOSPACE);
        return;
    }
    CHECK(coap_parse(&outer, rprot, (size_t)m) == 0);
    CHECK(oscore_unprotect_response(&cli, &cr, &outer, buf, sizeof(buf), &inner) == 0);
    check_equal(&inner, &plain);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!g_ready) setup();
    if (size < 2 || size > MAX_IN) return 0;
    const uint8_t *d = data + 1;
    size_t n = size - 1;
    switch (data[0] % 5) {
    case 0: fuzz_option(d, n); break;
    case 1: fuzz_unprotect(d, n, true); break;
    case 2: fuzz_unprotect(d, n, false); break;
    case 3: fuzz_roundtrip(d, n, true, false); break;
    default: fuzz_roundtrip(d + 1, n - 1, false, d[0] & 1); break;
    }
    return 0;
}
