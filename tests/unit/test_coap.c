/*
 * test_coap.c — unit tests for bsd/coap: the RFC 7252 codec (PROTOCOLS.md
 * §6.5 vectors E1–E8, malformed input, option helpers, builder), duplicate
 * detection (coap_dedup) and retransmission (coap_xmit).
 * Block-wise tests are in test_coap_block.c.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bsd/coap/coap_dedup.h"
#include "bsd/coap/coap_msg.h"
#include "bsd/coap/coap_xmit.h"

/* ---- Helpers ---------------------------------------------------------- */

static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    int hi = -1;
    for (; *hex; hex++) {
        int v;
        if (*hex == ' ') continue;
        if (*hex >= '0' && *hex <= '9')
            v = *hex - '0';
        else if (*hex >= 'a' && *hex <= 'f')
            v = *hex - 'a' + 10;
        else
            ck_abort_msg("bad hex digit");
        if (hi < 0) {
            hi = v;
            continue;
        }
        ck_assert_uint_lt(n, cap);
        out[n++] = (uint8_t)(hi << 4 | v);
        hi = -1;
    }
    ck_assert_int_eq(hi, -1);
    return n;
}

/* Re-serialises |m| field by field with the builder. */
static int rebuild(const coap_msg_t *m, uint8_t *out, size_t cap)
{
    coap_builder_t b;
    coap_build_init(&b, out, cap, m->type, m->code, m->mid, m->token, m->tkl);
    for (uint16_t i = 0; i < m->nopts; i++)
        coap_build_opt(&b, m->opts[i].num, m->opts[i].val, m->opts[i].len);
    coap_build_payload(&b, m->payload, m->payload_len);
    return coap_build_finish(&b);
}

/* Parses |wire|, expects success, and checks the generic round trip. */
static void parse_roundtrip(coap_msg_t *m, const uint8_t *wire, size_t len)
{
    uint8_t out[2048];
    ck_assert_int_eq(coap_parse(m, wire, len), 0);
    int n = rebuild(m, out, sizeof(out));
    ck_assert_int_eq(n, (int)len);
    ck_assert_mem_eq(out, wire, len);
}

static void opt_is(const coap_option_t *o, uint16_t num, const void *val, size_t len)
{
    ck_assert_ptr_nonnull(o);
    ck_assert_uint_eq(o->num, num);
    ck_assert_uint_eq(o->len, len);
    if (len) ck_assert_mem_eq(o->val, val, len);
}

static uint32_t opt_u(const coap_msg_t *m, uint16_t num)
{
    uint32_t v = 0xdeadbeef;
    ck_assert_int_eq(coap_opt_uint(coap_opt_get(m, num), &v), 0);
    return v;
}

static const char T6_HEX[] = /* PROTOCOLS.md §5.1 T6, 63 bytes */
    "c8001b636f6170733a2f2f62732e6578616d706c652e636f6d3a35363834c10100"
    "c10200c303657031c805100102030405060708090a0b0c0d0e0f10c10a65";

/* ---- §6.5 vectors ----------------------------------------------------- */

/* E1: Bootstrap-Request CON POST /bs?ep=ep1 (RFC 7252 §3, §3.1, §6.4;
 * LwM2M Transport §6.1.2). */
START_TEST(test_e1)
{
    uint8_t w[64], out[64];
    size_t n = unhex("41020001a1b262734665703d657031", w, sizeof(w));
    coap_msg_t m;
    const uint8_t *v;
    size_t vl;

    parse_roundtrip(&m, w, n);
    ck_assert_uint_eq(m.type, COAP_TYPE_CON);
    ck_assert_uint_eq(m.code, COAP_POST);
    ck_assert_uint_eq(m.mid, 0x0001);
    ck_assert_uint_eq(m.tkl, 1);
    ck_assert_uint_eq(m.token[0], 0xa1);
    ck_assert_uint_eq(m.nopts, 2);
    opt_is(&m.opts[0], COAP_OPT_URI_PATH, "bs", 2);
    opt_is(&m.opts[1], COAP_OPT_URI_QUERY, "ep=ep1", 6);
    ck_assert_ptr_null(m.payload);
    ck_assert(coap_uri_path_equals(&m, "bs"));
    ck_assert(coap_uri_path_equals(&m, "/bs"));
    ck_assert_int_eq(coap_query_get(&m, "ep", &v, &vl), 0);
    ck_assert_uint_eq(vl, 3);
    ck_assert_mem_eq(v, "ep1", 3);
    ck_assert_int_eq(coap_msg_unknown_critical(&m), 0);

    coap_builder_t b;
    const uint8_t tok = 0xa1;
    coap_build_init(&b, out, sizeof(out), COAP_TYPE_CON, COAP_POST, 1, &tok, 1);
    coap_build_uri_path(&b, "bs");
    coap_build_opt_str(&b, COAP_OPT_URI_QUERY, "ep=ep1");
    ck_assert_int_eq(coap_build_finish(&b), (int)n);
    ck_assert_mem_eq(out, w, n);
}
END_TEST

/* E2: Bootstrap-Write PUT /0/1, Content-Format 11542, payload T6
 * (RFC 7252 §3, §5.10.3; LwM2M TLV). */
START_TEST(test_e2)
{
    uint8_t w[128], t6[64], out[128];
    size_t hn = unhex("41030002b2b1300131122d16ff", w, sizeof(w));
    size_t tn = unhex(T6_HEX, t6, sizeof(t6));
    coap_msg_t m;

    ck_assert_uint_eq(tn, 63);
    memcpy(w + hn, t6, tn);
    size_t n = hn + tn;
    parse_roundtrip(&m, w, n);
    ck_assert_uint_eq(m.code, COAP_PUT);
    ck_assert_uint_eq(m.mid, 2);
    ck_assert_uint_eq(m.token[0], 0xb2);
    ck_assert(coap_uri_path_equals(&m, "0/1"));
    ck_assert(!coap_uri_path_equals(&m, "0"));
    ck_assert(!coap_uri_path_equals(&m, "0/1/2"));
    ck_assert_uint_eq(opt_u(&m, COAP_OPT_CONTENT_FORMAT), COAP_CF_LWM2M_TLV);
    ck_assert_uint_eq(m.payload_len, 63);
    ck_assert_mem_eq(m.payload, t6, 63);

    coap_builder_t b;
    const uint8_t tok = 0xb2;
    coap_build_init(&b, out, sizeof(out), COAP_TYPE_CON, COAP_PUT, 2, &tok, 1);
    coap_build_uri_path(&b, "/0/1");
    coap_build_opt_uint(&b, COAP_OPT_CONTENT_FORMAT, COAP_CF_LWM2M_TLV);
    coap_build_payload(&b, t6, tn);
    ck_assert_int_eq(coap_build_finish(&b), (int)n);
    ck_assert_mem_eq(out, w, n);
}
END_TEST

/* E3: 4.01 ACK with an 8-byte Echo as first option, delta 252 = 13 + 0xef
 * (RFC 7252 §3.1 extended delta; RFC 9175 §2.2.1). */
START_TEST(test_e3)
{
    static const uint8_t echo[8] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77};
    uint8_t w[64], out[64];
    size_t n = unhex("61810002b2d8ef0011223344556677", w, sizeof(w));
    coap_msg_t m;

    parse_roundtrip(&m, w, n);
    ck_assert_uint_eq(m.type, COAP_TYPE_ACK);
    ck_assert_uint_eq(m.code, COAP_UNAUTHORIZED);
    ck_assert_uint_eq(m.nopts, 1);
    opt_is(coap_opt_get(&m, COAP_OPT_ECHO), COAP_OPT_ECHO, echo, 8);
    ck_assert(coap_msg_is_response(&m));

    coap_builder_t b;
    const uint8_t tok = 0xb2;
    coap_build_init(&b, out, sizeof(out), COAP_TYPE_ACK, COAP_UNAUTHORIZED, 2, &tok, 1);
    coap_build_opt(&b, COAP_OPT_ECHO, echo, sizeof(echo));
    ck_assert_int_eq(coap_build_finish(&b), (int)n);
    ck_assert_mem_eq(out, w, n);
}
END_TEST

/* E4: retried PUT /0/1, CF 110, Echo after Content-Format: delta 240 =
 * 13 + 0xe3 (RFC 7252 §3.1; RFC 9175 §2.3). */
START_TEST(test_e4)
{
    static const uint8_t echo[8] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77};
    uint8_t w[64], out[64];
    size_t n = unhex("41030003b3b1300131116ed8e30011223344556677", w, sizeof(w));
    coap_msg_t m;

    parse_roundtrip(&m, w, n);
    ck_assert_uint_eq(m.mid, 3);
    ck_assert(coap_uri_path_equals(&m, "0/1"));
    ck_assert_uint_eq(opt_u(&m, COAP_OPT_CONTENT_FORMAT), COAP_CF_SENML_JSON);
    opt_is(coap_opt_get(&m, COAP_OPT_ECHO), COAP_OPT_ECHO, echo, 8);

    coap_builder_t b;
    const uint8_t tok = 0xb3;
    coap_build_init(&b, out, sizeof(out), COAP_TYPE_CON, COAP_PUT, 3, &tok, 1);
    coap_build_uri_path(&b, "0/1");
    coap_build_opt_uint(&b, COAP_OPT_CONTENT_FORMAT, COAP_CF_SENML_JSON);
    coap_build_opt(&b, COAP_OPT_ECHO, echo, 8);
    ck_assert_int_eq(coap_build_finish(&b), (int)n);
    ck_assert_mem_eq(out, w, n);
}
END_TEST

/* E5: EST POST /est/sen, CF 286, Accept 281, Block1 0/1/64, Size1 300,
 * Request-Tag 01 (RFC 9148 §4.1; RFC 7959 §2.2, §4; RFC 9175 §3.2.1). */
START_TEST(test_e5)
{
    uint8_t w[64], out[64];
    size_t n = unhex("41020004c4b36573740373656e12011e520119a10ad214012cd1db01", w, sizeof(w));
    coap_msg_t m;
    char path[32];

    parse_roundtrip(&m, w, n);
    ck_assert(coap_uri_path_equals(&m, "est/sen"));
    ck_assert_int_eq(coap_uri_path_join(&m, path, sizeof(path)), 8);
    ck_assert_str_eq(path, "/est/sen");
    ck_assert(coap_uri_path_equals(&m, path));
    ck_assert_uint_eq(opt_u(&m, COAP_OPT_CONTENT_FORMAT), COAP_CF_PKCS10);
    ck_assert_uint_eq(opt_u(&m, COAP_OPT_ACCEPT), COAP_CF_PKCS7_CERTS);
    ck_assert_uint_eq(opt_u(&m, COAP_OPT_BLOCK1), 0x0a);
    ck_assert_uint_eq(opt_u(&m, COAP_OPT_SIZE1), 300);
    opt_is(coap_opt_get(&m, COAP_OPT_REQUEST_TAG), COAP_OPT_REQUEST_TAG, "\x01", 1);

    coap_builder_t b;
    const uint8_t tok = 0xc4, tag = 0x01;
    coap_build_init(&b, out, sizeof(out), COAP_TYPE_CON, COAP_POST, 4, &tok, 1);
    coap_build_uri_path(&b, "est/sen");
    coap_build_opt_uint(&b, COAP_OPT_CONTENT_FORMAT, COAP_CF_PKCS10);
    coap_build_opt_uint(&b, COAP_OPT_ACCEPT, COAP_CF_PKCS7_CERTS);
    coap_build_opt_uint(&b, COAP_OPT_BLOCK1, 0x0a);
    coap_build_opt_uint(&b, COAP_OPT_SIZE1, 300);
    coap_build_opt(&b, COAP_OPT_REQUEST_TAG, &tag, 1);
    ck_assert_int_eq(coap_build_finish(&b), (int)n);
    ck_assert_mem_eq(out, w, n);
}
END_TEST

/* E6: Request-Tag 292 as first option: delta nibble 14, 0x0017 = 292 - 269
 * (RFC 7252 §3.1). */
START_TEST(test_e6)
{
    uint8_t w[16], out[16];
    size_t n = unhex("40021234e100177f", w, sizeof(w));
    coap_msg_t m;
    const uint8_t tag = 0x7f;

    parse_roundtrip(&m, w, n);
    ck_assert_uint_eq(m.mid, 0x1234);
    ck_assert_uint_eq(m.tkl, 0);
    opt_is(&m.opts[0], COAP_OPT_REQUEST_TAG, &tag, 1);

    coap_builder_t b;
    coap_build_init(&b, out, sizeof(out), COAP_TYPE_CON, COAP_POST, 0x1234, NULL, 0);
    coap_build_opt(&b, COAP_OPT_REQUEST_TAG, &tag, 1);
    ck_assert_int_eq(coap_build_finish(&b), (int)n);
    ck_assert_mem_eq(out, w, n);
}
END_TEST

/* E7: 20-byte Uri-Path: length nibble 13, 0x07 = 20 - 13 (RFC 7252 §3.1). */
START_TEST(test_e7)
{
    uint8_t w[64], out[64];
    size_t n = unhex("40011235bd07", w, sizeof(w));
    coap_msg_t m;
    memcpy(w + n, "abcdefghijklmnopqrst", 20);
    n += 20;

    parse_roundtrip(&m, w, n);
    ck_assert_uint_eq(m.code, COAP_GET);
    opt_is(&m.opts[0], COAP_OPT_URI_PATH, "abcdefghijklmnopqrst", 20);

    coap_builder_t b;
    coap_build_init(&b, out, sizeof(out), COAP_TYPE_CON, COAP_GET, 0x1235, NULL, 0);
    coap_build_uri_path(&b, "abcdefghijklmnopqrst");
    ck_assert_int_eq(coap_build_finish(&b), (int)n);
    ck_assert_mem_eq(out, w, n);
}
END_TEST

/* E8: 300-byte Uri-Path: length nibble 14, 0x001f = 300 - 269 (RFC 7252
 * §3.1). The encoding is well formed, but Uri-Path is limited to 0–255
 * bytes (§5.10.1) and is critical, so §5.4.3 + §5.4.1 make it a Bad Option:
 * the parser reports COAP_ERR_BAD_OPTION and the builder refuses it. The
 * same length encoding is checked byte for byte on Proxy-Uri (1–1034). */
START_TEST(test_e8)
{
    uint8_t w[400], out[400];
    size_t n = unhex("40011236be001f", w, sizeof(w));
    coap_msg_t m;
    char seg[301];

    memset(w + n, 'x', 300);
    memset(seg, 'x', 300);
    seg[300] = '\0';
    n += 300;

    ck_assert_int_eq(coap_parse(&m, w, n), COAP_ERR_BAD_OPTION);
    /* Header and option are still available for the 4.02 answer. */
    ck_assert_uint_eq(m.mid, 0x1236);
    ck_assert_uint_eq(m.nopts, 1);
    ck_assert_uint_eq(m.opts[0].num, COAP_OPT_URI_PATH);
    ck_assert_uint_eq(m.opts[0].len, 300);

    coap_builder_t b;
    coap_build_init(&b, out, sizeof(out), COAP_TYPE_CON, COAP_GET, 0x1236, NULL, 0);
    coap_build_uri_path(&b, seg);
    ck_assert_int_eq(coap_build_finish(&b), COAP_ERR_BAD_OPTION);

    /* Proxy-Uri 35 = delta 35 -> nibble 13 (0x16), length 300 -> nibble 14. */
    uint8_t pw[400];
    size_t pn = unhex("40011236de16001f", pw, sizeof(pw));
    memset(pw + pn, 'x', 300);
    pn += 300;
    parse_roundtrip(&m, pw, pn);
    opt_is(&m.opts[0], COAP_OPT_PROXY_URI, seg, 300);
    coap_build_init(&b, out, sizeof(out), COAP_TYPE_CON, COAP_GET, 0x1236, NULL, 0);
    coap_build_opt_str(&b, COAP_OPT_PROXY_URI, seg);
    ck_assert_int_eq(coap_build_finish(&b), (int)pn);
    ck_assert_mem_eq(out, pw, pn);
}
END_TEST

/* ---- Malformed input (RFC 7252 §3, §3.1, §4.1–4.3, §5.4) -------------- */

static int parse_hex(coap_msg_t *m, const char *hex)
{
    static uint8_t w[2048];
    size_t n = unhex(hex, w, sizeof(w));
    return coap_parse(m, w, n);
}

/* §3: a message is at least the 4-byte header. */
START_TEST(test_short)
{
    coap_msg_t m;
    uint8_t w[4] = {0x40, 0x01, 0x00, 0x01};
    ck_assert_int_eq(coap_parse(&m, NULL, 0), COAP_ERR_FORMAT);
    for (size_t i = 0; i < 4; i++)
        ck_assert_int_eq(coap_parse(&m, w, i), COAP_ERR_FORMAT);
    ck_assert_int_eq(coap_parse(&m, w, 4), 0);
}
END_TEST

/* §3: Ver must be 1. */
START_TEST(test_version)
{
    coap_msg_t m;
    ck_assert_int_eq(parse_hex(&m, "00010001"), COAP_ERR_FORMAT);
    ck_assert_int_eq(parse_hex(&m, "80010001"), COAP_ERR_FORMAT);
    ck_assert_int_eq(parse_hex(&m, "c0010001"), COAP_ERR_FORMAT);
    ck_assert_int_eq(parse_hex(&m, "40010001"), 0);
}
END_TEST

/* §3: TKL 9–15 are reserved and a format error; token must be present. */
START_TEST(test_tkl)
{
    coap_msg_t m;
    uint8_t w[32];
    memset(w, 0xaa, sizeof(w));
    w[1] = COAP_GET;
    w[2] = 0;
    w[3] = 7;
    for (uint8_t t = 9; t <= 15; t++) {
        w[0] = (uint8_t)(0x40 | t);
        ck_assert_int_eq(coap_parse(&m, w, 4 + t), COAP_ERR_FORMAT);
    }
    w[0] = 0x48;
    ck_assert_int_eq(coap_parse(&m, w, 12), 0);
    ck_assert_uint_eq(m.tkl, 8);
    ck_assert_int_eq(coap_parse(&m, w, 11), COAP_ERR_FORMAT); /* truncated */
    w[0] = 0x44;
    ck_assert_int_eq(coap_parse(&m, w, 6), COAP_ERR_FORMAT);
}
END_TEST

/* §3 / §4.2 / §4.3: codes of reserved classes 1, 3, 6, 7 are rejected. */
START_TEST(test_reserved_class)
{
    coap_msg_t m;
    ck_assert_int_eq(parse_hex(&m, "40200001"), COAP_ERR_FORMAT);
    ck_assert_int_eq(parse_hex(&m, "40600001"), COAP_ERR_FORMAT);
    ck_assert_int_eq(parse_hex(&m, "40c00001"), COAP_ERR_FORMAT);
    ck_assert_int_eq(parse_hex(&m, "40e00001"), COAP_ERR_FORMAT);
    ck_assert_int_eq(parse_hex(&m, "40450001"), 0); /* 2.05 in a CON */
    ck_assert_int_eq(parse_hex(&m, "40a30001"), 0); /* 5.03 */
}
END_TEST

/* §4.1: Empty message: TKL 0, nothing after the Message ID; §4.3 a NON is
 * never Empty; §4.2 RST is always Empty; an ACK carries no request. */
START_TEST(test_empty_rules)
{
    coap_msg_t m;
    ck_assert_int_eq(parse_hex(&m, "40000001"), 0);                 /* CON ping */
    ck_assert_int_eq(parse_hex(&m, "60000001"), 0);                 /* empty ACK */
    ck_assert_int_eq(parse_hex(&m, "70000001"), 0);                 /* RST */
    ck_assert_int_eq(parse_hex(&m, "50000001"), COAP_ERR_FORMAT);   /* empty NON */
    ck_assert_int_eq(parse_hex(&m, "6100000111"), COAP_ERR_FORMAT); /* TKL 1 */
    ck_assert_int_eq(parse_hex(&m, "60000001ff"), COAP_ERR_FORMAT);
    ck_assert_int_eq(parse_hex(&m, "60000001b0"), COAP_ERR_FORMAT);
    ck_assert_int_eq(parse_hex(&m, "6000000100"), COAP_ERR_FORMAT);
    ck_assert_int_eq(parse_hex(&m, "70450001"), COAP_ERR_FORMAT); /* RST 2.05 */
    ck_assert_int_eq(parse_hex(&m, "60010001"), COAP_ERR_FORMAT); /* ACK GET */
    ck_assert_int_eq(parse_hex(&m, "60440001"), 0);               /* ACK 2.04 */
}
END_TEST

/* §3: payload marker followed by a zero-length payload is a format error. */
START_TEST(test_marker_empty_payload)
{
    coap_msg_t m;
    ck_assert_int_eq(parse_hex(&m, "40010001ff"), COAP_ERR_FORMAT);
    ck_assert_int_eq(parse_hex(&m, "40010001b161ff"), COAP_ERR_FORMAT);
    ck_assert_int_eq(parse_hex(&m, "40010001b161ff00"), 0);
    ck_assert_uint_eq(m.payload_len, 1);
    ck_assert_int_eq(parse_hex(&m, "40010001ffff"), 0); /* payload may be 0xff */
    ck_assert_uint_eq(m.payload_len, 1);
    ck_assert_uint_eq(m.payload[0], 0xff);
}
END_TEST

/* §3.1: nibble 15 is reserved except in the 0xFF payload marker. */
START_TEST(test_nibble15)
{
    coap_msg_t m;
    ck_assert_int_eq(parse_hex(&m, "40010001f0"), COAP_ERR_FORMAT);
    ck_assert_int_eq(parse_hex(&m, "40010001f1aa"), COAP_ERR_FORMAT);
    ck_assert_int_eq(parse_hex(&m, "40010001bf"), COAP_ERR_FORMAT);
    ck_assert_int_eq(parse_hex(&m, "400100011f"
                                   "00"),
                     COAP_ERR_FORMAT);
    ck_assert_int_eq(parse_hex(&m, "40010001df00"), COAP_ERR_FORMAT);
}
END_TEST

/* §3.1: extended delta/length bytes must be present; value within bounds. */
START_TEST(test_ext_truncated)
{
    coap_msg_t m;
    ck_assert_int_eq(parse_hex(&m, "40010001d0"), COAP_ERR_FORMAT);   /* delta 13, no byte */
    ck_assert_int_eq(parse_hex(&m, "40010001e0"), COAP_ERR_FORMAT);   /* delta 14, no bytes */
    ck_assert_int_eq(parse_hex(&m, "40010001e000"), COAP_ERR_FORMAT); /* delta 14, 1 byte */
    ck_assert_int_eq(parse_hex(&m, "40010001bd"), COAP_ERR_FORMAT);   /* length 13, no byte */
    ck_assert_int_eq(parse_hex(&m, "40010001be00"), COAP_ERR_FORMAT); /* length 14, 1 byte */
    ck_assert_int_eq(parse_hex(&m, "40010001dd00"), COAP_ERR_FORMAT); /* delta ok, len ext missing */
    ck_assert_int_eq(parse_hex(&m, "40010001b3616263"), 0);
    ck_assert_int_eq(parse_hex(&m, "40010001b36162"), COAP_ERR_FORMAT); /* value past end */
    ck_assert_int_eq(parse_hex(&m, "40010001bd00616263646566676869707172"),
                     COAP_ERR_FORMAT); /* 13 bytes, 12 given */
}
END_TEST

/* §3.1: option numbers above 65535 cannot be represented. */
START_TEST(test_option_number_overflow)
{
    coap_msg_t m;
    /* delta 14: 269 + 0xffff = 65804 */
    ck_assert_int_eq(parse_hex(&m, "40010001e0ffff"), COAP_ERR_FORMAT);
    /* 65535 exactly: 269 + 0xfef2; odd, so unknown critical */
    ck_assert_int_eq(parse_hex(&m, "40010001e0fef2"), 0);
    ck_assert_uint_eq(m.opts[0].num, 65535);
    ck_assert_int_eq(coap_msg_unknown_critical(&m), 65535);
    /* 65000 (269 + 0xfcdb), then +536 (269 + 0x010b) = 65536 */
    ck_assert_int_eq(parse_hex(&m, "40010001e0fcdbe0010b"), COAP_ERR_FORMAT);
    /* 65000 then +535 = 65535 */
    ck_assert_int_eq(parse_hex(&m, "40010001e0fcdbe0010a"), 0);
    ck_assert_uint_eq(m.nopts, 2);
    ck_assert_uint_eq(m.opts[1].num, 65535);
}
END_TEST

/* Options beyond COAP_MAX_OPTIONS: header and first 40 kept; a format
 * error later in the message still wins. */
START_TEST(test_too_many_options)
{
    uint8_t w[256];
    coap_msg_t m;
    size_t n = unhex("40010042", w, sizeof(w));
    w[n++] = 0xb0; /* Uri-Path "" */
    for (int i = 1; i < COAP_MAX_OPTIONS; i++)
        w[n++] = 0x00; /* repeat */
    ck_assert_int_eq(coap_parse(&m, w, n), 0);
    ck_assert_uint_eq(m.nopts, COAP_MAX_OPTIONS);
    w[n++] = 0x00;
    ck_assert_int_eq(coap_parse(&m, w, n), COAP_ERR_TOO_MANY_OPTIONS);
    ck_assert_uint_eq(m.mid, 0x42);
    ck_assert_uint_eq(m.nopts, COAP_MAX_OPTIONS);
    w[n++] = 0xff;
    w[n++] = 0x61;
    ck_assert_int_eq(coap_parse(&m, w, n), COAP_ERR_TOO_MANY_OPTIONS);
    ck_assert_uint_eq(m.payload_len, 1);
    w[n - 2] = 0x0f; /* length nibble 15 */
    ck_assert_int_eq(coap_parse(&m, w, n), COAP_ERR_FORMAT);
}
END_TEST

/* §5.4.3 + §5.4.1: known critical option with a length out of range ->
 * COAP_ERR_BAD_OPTION (4.02). Lengths per PROTOCOLS.md §6.3. */
START_TEST(test_bad_critical_length)
{
    coap_msg_t m;
    /* Block2 (23) 4 bytes; Block1 (27) 4 bytes (RFC 7959 §2.1) */
    ck_assert_int_eq(parse_hex(&m, "40010001d40a00000001"), COAP_ERR_BAD_OPTION);
    ck_assert_int_eq(parse_hex(&m, "40010001d40e00000001"), COAP_ERR_BAD_OPTION);
    ck_assert_int_eq(parse_hex(&m, "40010001d30e000001"), 0);
    /* If-None-Match (5) must be empty */
    ck_assert_int_eq(parse_hex(&m, "400100015100"), COAP_ERR_BAD_OPTION);
    ck_assert_int_eq(parse_hex(&m, "4001000150"), 0);
    /* Uri-Host (3) 1..255: empty is bad */
    ck_assert_int_eq(parse_hex(&m, "4001000130"), COAP_ERR_BAD_OPTION);
    /* Uri-Port (7) 0..2; Accept (17) 0..2 */
    ck_assert_int_eq(parse_hex(&m, "4001000173000001"), COAP_ERR_BAD_OPTION);
    ck_assert_int_eq(parse_hex(&m, "40010001d304000001"), COAP_ERR_BAD_OPTION);
    /* If-Match (1) 0..8 */
    ck_assert_int_eq(parse_hex(&m, "4001000119010203040506070809"), COAP_ERR_BAD_OPTION);
    ck_assert_int_eq(parse_hex(&m, "400100011801020304050607 08"), 0);
    /* Proxy-Scheme (39) 1..255 empty */
    ck_assert_int_eq(parse_hex(&m, "40010001d01a"), COAP_ERR_BAD_OPTION);
    /* the rest of the message is still parsed: bad option then Uri-Path */
    ck_assert_int_eq(parse_hex(&m, "4001000130 8161"), COAP_ERR_BAD_OPTION);
    ck_assert_uint_eq(m.nopts, 2);
    ck_assert_uint_eq(m.opts[1].num, COAP_OPT_URI_PATH);
    /* ... and a later format error wins */
    ck_assert_int_eq(parse_hex(&m, "4001000130 8f"), COAP_ERR_FORMAT);
}
END_TEST

/* Uri-Path, Uri-Query and OSCORE are limited to 255 bytes (§5.10.1,
 * RFC 8613 §2). */
START_TEST(test_bad_critical_255)
{
    uint8_t w[600];
    coap_msg_t m;
    static const uint16_t nums[] = {COAP_OPT_URI_PATH, COAP_OPT_URI_QUERY, COAP_OPT_OSCORE};
    for (size_t k = 0; k < 3; k++) {
        for (size_t len = 254; len <= 256; len++) {
            size_t n = 0;
            w[n++] = 0x40;
            w[n++] = 0x01;
            w[n++] = 0;
            w[n++] = 1;
            if (nums[k] < 13) {
                w[n++] = (uint8_t)((nums[k] << 4) | 13);
            } else {
                w[n++] = 0xdd;
                w[n++] = (uint8_t)(nums[k] - 13);
            }
            w[n++] = (uint8_t)(len - 13);
            memset(w + n, 'a', len);
            n += len;
            ck_assert_int_eq(coap_parse(&m, w, n), len <= 255 ? 0 : COAP_ERR_BAD_OPTION);
            ck_assert_uint_eq(m.opts[0].num, nums[k]);
        }
    }
    /* Proxy-Uri up to 1034 */
    static uint8_t big[1100];
    for (size_t len = 1034; len <= 1035; len++) {
        size_t n = 0;
        big[n++] = 0x40;
        big[n++] = 0x01;
        big[n++] = 0;
        big[n++] = 1;
        big[n++] = 0xde;
        big[n++] = 35 - 13;
        big[n++] = (uint8_t)((len - 269) >> 8);
        big[n++] = (uint8_t)(len - 269);
        memset(big + n, 'a', len);
        n += len;
        ck_assert_int_eq(coap_parse(&m, big, n), len <= 1034 ? 0 : COAP_ERR_BAD_OPTION);
    }
}
END_TEST

/* §5.4.5: a repeated non-repeatable critical option is a Bad Option. */
START_TEST(test_repeat_critical)
{
    coap_msg_t m;
    ck_assert_int_eq(parse_hex(&m, "40010001d10a0e010e"), COAP_ERR_BAD_OPTION); /* Block2 x2 */
    ck_assert_int_eq(parse_hex(&m, "40010001d10e0e010e"), COAP_ERR_BAD_OPTION); /* Block1 x2 */
    ck_assert_int_eq(parse_hex(&m, "400100019103"), 0);                         /* OSCORE */
    ck_assert_int_eq(parse_hex(&m, "40010001910300"), COAP_ERR_BAD_OPTION);     /* OSCORE x2 */
    ck_assert_int_eq(parse_hex(&m, "40010001b161016201 63"), 0);                /* Uri-Path x3 ok */
}
END_TEST

/* §5.4.1, §5.4.3, §5.4.5: elective options with a bad length, or repeated
 * when not repeatable, are silently ignored and not listed. */
START_TEST(test_bad_elective_ignored)
{
    uint8_t w[128];
    coap_msg_t m;
    /* Echo (252) empty: delta 252 = 13 + 239 */
    ck_assert_int_eq(parse_hex(&m, "40010001d0ef"), 0);
    ck_assert_ptr_null(coap_opt_get(&m, COAP_OPT_ECHO));
    ck_assert_uint_eq(m.nopts, 0);
    /* Echo 41 bytes (RFC 9175 §2.2.1: 1–40) */
    size_t n = unhex("40010001ddef1c", w, sizeof(w));
    memset(w + n, 0x11, 41);
    ck_assert_int_eq(coap_parse(&m, w, n + 41), 0);
    ck_assert_ptr_null(coap_opt_get(&m, COAP_OPT_ECHO));
    w[6] = 40 - 13;
    ck_assert_int_eq(coap_parse(&m, w, n + 40), 0);
    ck_assert_uint_eq(coap_opt_get(&m, COAP_OPT_ECHO)->len, 40);
    /* Echo 1 byte ok */
    ck_assert_int_eq(parse_hex(&m, "40010001d1ef01"), 0);
    ck_assert_uint_eq(coap_opt_get(&m, COAP_OPT_ECHO)->len, 1);
    /* Request-Tag (292) 9 bytes ignored; 0 and 8 bytes kept, repeatable */
    ck_assert_int_eq(parse_hex(&m, "40010001e90017010203040506070809"), 0);
    ck_assert_ptr_null(coap_opt_get(&m, COAP_OPT_REQUEST_TAG));
    ck_assert_int_eq(parse_hex(&m, "40010001e00017080102030405060708"), 0);
    ck_assert_uint_eq(coap_opt_count(&m, COAP_OPT_REQUEST_TAG), 2);
    /* Content-Format (12) 3 bytes ignored; a second one ignored */
    ck_assert_int_eq(parse_hex(&m, "40010001c3000001"), 0);
    ck_assert_ptr_null(coap_opt_get(&m, COAP_OPT_CONTENT_FORMAT));
    ck_assert_int_eq(parse_hex(&m, "40010001c16e012d"), 0);
    ck_assert_uint_eq(coap_opt_count(&m, COAP_OPT_CONTENT_FORMAT), 1);
    ck_assert_uint_eq(opt_u(&m, COAP_OPT_CONTENT_FORMAT), 110);
    /* ETag (4) 0 and 9 bytes ignored */
    ck_assert_int_eq(parse_hex(&m, "4001000140"), 0);
    ck_assert_uint_eq(m.nopts, 0);
    ck_assert_int_eq(parse_hex(&m, "4001000149010203040506070809"), 0);
    ck_assert_uint_eq(m.nopts, 0);
    /* Size1 (60) 5 bytes; Max-Age (14) 5 bytes; Observe (6) 4 bytes;
     * No-Response (258) 2 bytes */
    ck_assert_int_eq(parse_hex(&m, "40010001d52f0000000001"), 0);
    ck_assert_uint_eq(m.nopts, 0);
    ck_assert_int_eq(parse_hex(&m, "40010001d5010000000001"), 0);
    ck_assert_uint_eq(m.nopts, 0);
    ck_assert_int_eq(parse_hex(&m, "400100016400000001"), 0);
    ck_assert_uint_eq(m.nopts, 0);
    ck_assert_int_eq(parse_hex(&m, "40010001d2f50001"), 0);
    ck_assert_uint_eq(m.nopts, 0);
    /* the ignored option still anchors the delta of the next one */
    ck_assert_int_eq(parse_hex(&m, "40010001c3000001 3161"), 0);
    ck_assert_uint_eq(m.nopts, 1);
    ck_assert_uint_eq(m.opts[0].num, COAP_OPT_URI_QUERY);
}
END_TEST

/* §5.4.1: unknown critical options are reported; unknown electives kept. */
START_TEST(test_unknown_critical)
{
    coap_msg_t m;
    /* 2049 = 269 + 0x06f4 */
    ck_assert_int_eq(parse_hex(&m, "40010001e106f4aa"), 0);
    ck_assert_int_eq(coap_msg_unknown_critical(&m), 2049);
    ck_assert_int_eq(parse_hex(&m, "40010001e106f3aa"), 0); /* 2048 elective */
    ck_assert_int_eq(coap_msg_unknown_critical(&m), 0);
    ck_assert_uint_eq(m.nopts, 1);
    /* Uri-Path then 13 (unknown, critical) */
    ck_assert_int_eq(parse_hex(&m, "40010001b1612100"), 0);
    ck_assert_int_eq(coap_msg_unknown_critical(&m), 13);
    ck_assert(COAP_OPT_IS_CRITICAL(COAP_OPT_URI_PATH));
    ck_assert(!COAP_OPT_IS_CRITICAL(COAP_OPT_ECHO));
    ck_assert(COAP_OPT_IS_UNSAFE(COAP_OPT_BLOCK1));
    ck_assert(COAP_OPT_IS_NOCACHEKEY(COAP_OPT_SIZE1));
    ck_assert(!COAP_OPT_IS_NOCACHEKEY(COAP_OPT_REQUEST_TAG));
}
END_TEST

/* ---- Option helpers --------------------------------------------------- */

/* §3.1: options arrive sorted; repeatable ones (§5.4.5) are iterated. */
START_TEST(test_opt_iter)
{
    coap_msg_t m;
    /* Uri-Path a, b, c; Uri-Query x=1 */
    ck_assert_int_eq(parse_hex(&m, "40010001b161016201634378 3d31"), 0);
    const coap_option_t *o = coap_opt_get(&m, COAP_OPT_URI_PATH);
    const char *want = "abc";
    int i = 0;
    for (; o; o = coap_opt_next(&m, o), i++)
        ck_assert_uint_eq(o->val[0], (uint8_t)want[i]);
    ck_assert_int_eq(i, 3);
    ck_assert_uint_eq(coap_opt_count(&m, COAP_OPT_URI_PATH), 3);
    ck_assert_uint_eq(coap_opt_count(&m, COAP_OPT_URI_QUERY), 1);
    ck_assert_uint_eq(coap_opt_count(&m, COAP_OPT_ECHO), 0);
    ck_assert_ptr_null(coap_opt_get(&m, COAP_OPT_CONTENT_FORMAT));
    ck_assert_ptr_null(coap_opt_next(&m, coap_opt_get(&m, COAP_OPT_URI_QUERY)));
    ck_assert_ptr_null(coap_opt_next(&m, NULL));
    /* options are in wire order */
    for (uint16_t k = 1; k < m.nopts; k++)
        ck_assert_uint_le(m.opts[k - 1].num, m.opts[k].num);
}
END_TEST

/* §3.2: uint options, leading zeros accepted, at most 4 bytes. */
START_TEST(test_opt_uint)
{
    coap_msg_t m;
    uint32_t v;
    ck_assert_int_eq(parse_hex(&m, "40010001c0"), 0);
    ck_assert_uint_eq(opt_u(&m, COAP_OPT_CONTENT_FORMAT), 0);
    ck_assert_int_eq(parse_hex(&m, "40010001c2002a"), 0);
    ck_assert_uint_eq(opt_u(&m, COAP_OPT_CONTENT_FORMAT), 42);
    ck_assert_int_eq(parse_hex(&m, "40010001d42fffffffff"), 0);
    ck_assert_uint_eq(opt_u(&m, COAP_OPT_SIZE1), 0xffffffffu);
    /* unknown elective 2048 with 5 bytes */
    ck_assert_int_eq(parse_hex(&m, "40010001e506f30102030405"), 0);
    ck_assert_int_eq(coap_opt_uint(&m.opts[0], &v), COAP_ERR_BAD_OPTION);
    ck_assert_int_eq(coap_opt_uint(NULL, &v), COAP_ERR_NOTFOUND);
}
END_TEST

/* §5.10.1, §6.4 step 8: one Uri-Path option per segment; none for "/". */
START_TEST(test_uri_path_equals)
{
    coap_msg_t m;
    ck_assert_int_eq(parse_hex(&m, "40010001"), 0);
    ck_assert(coap_uri_path_equals(&m, ""));
    ck_assert(coap_uri_path_equals(&m, "/"));
    ck_assert(!coap_uri_path_equals(&m, "a"));

    ck_assert_int_eq(parse_hex(&m, "40010001b16101 62"), 0); /* a/b */
    ck_assert(coap_uri_path_equals(&m, "a/b"));
    ck_assert(coap_uri_path_equals(&m, "/a/b"));
    ck_assert(!coap_uri_path_equals(&m, ""));
    ck_assert(!coap_uri_path_equals(&m, "a"));
    ck_assert(!coap_uri_path_equals(&m, "a/b/"));
    ck_assert(!coap_uri_path_equals(&m, "a/bc"));
    ck_assert(!coap_uri_path_equals(&m, "ab"));

    ck_assert_int_eq(parse_hex(&m, "40010001b16100"), 0); /* "a", "" */
    ck_assert(coap_uri_path_equals(&m, "a/"));
    ck_assert(!coap_uri_path_equals(&m, "a"));

    ck_assert_int_eq(parse_hex(&m, "40010001b0"), 0); /* one empty segment */
    ck_assert(!coap_uri_path_equals(&m, ""));

    ck_assert_int_eq(parse_hex(&m, "40010001b3612f62"), 0); /* "a/b" in one option */
    ck_assert(!coap_uri_path_equals(&m, "a/b"));
}
END_TEST

/* §6.5 step 7: path = "/" + value per Uri-Path; never a silent cut. */
START_TEST(test_uri_path_join)
{
    coap_msg_t m;
    char out[16];
    ck_assert_int_eq(parse_hex(&m, "40010001"), 0);
    ck_assert_int_eq(coap_uri_path_join(&m, out, sizeof(out)), 0);
    ck_assert_str_eq(out, "");
    ck_assert_int_eq(coap_uri_path_join(&m, out, 0), COAP_ERR_NOSPACE);

    ck_assert_int_eq(parse_hex(&m, "40010001b2627301 31"), 0); /* bs/1 */
    ck_assert_int_eq(coap_uri_path_join(&m, out, sizeof(out)), 5);
    ck_assert_str_eq(out, "/bs/1");
    ck_assert_int_eq(coap_uri_path_join(&m, out, 6), 5); /* exact fit */
    ck_assert_int_eq(coap_uri_path_join(&m, out, 5), COAP_ERR_NOSPACE);
    ck_assert_str_eq(out, ""); /* no silent cut */
    ck_assert_int_eq(coap_uri_path_join(&m, out, 3), COAP_ERR_NOSPACE);

    /* empty segments keep their separators (RFC 7252 §6.5 step 7) */
    ck_assert_int_eq(parse_hex(&m, "40010001b00161"), 0); /* "", "a" */
    ck_assert_int_eq(coap_uri_path_join(&m, out, sizeof(out)), 3);
    ck_assert_str_eq(out, "//a");
    ck_assert(coap_uri_path_equals(&m, out));
    ck_assert_int_eq(parse_hex(&m, "40010001b16100"), 0); /* "a", "" */
    ck_assert_int_eq(coap_uri_path_join(&m, out, sizeof(out)), 3);
    ck_assert_str_eq(out, "/a/");
    ck_assert(coap_uri_path_equals(&m, out));
    ck_assert_int_eq(parse_hex(&m, "40010001b0"), 0); /* "" */
    ck_assert_int_eq(coap_uri_path_join(&m, out, sizeof(out)), 1);
    ck_assert_str_eq(out, "/");

    ck_assert_int_eq(parse_hex(&m, "40010001b3612f62"), 0);
    ck_assert_int_eq(coap_uri_path_join(&m, out, sizeof(out)), COAP_ERR_BAD_OPTION);
    ck_assert_int_eq(parse_hex(&m, "40010001b3610062"), 0);
    ck_assert_int_eq(coap_uri_path_join(&m, out, sizeof(out)), COAP_ERR_BAD_OPTION);
}
END_TEST

/* §5.10.1 Uri-Query "key=value" (LwM2M ep=, pct=); duplicates refused. */
START_TEST(test_query_get)
{
    uint8_t w[128];
    coap_msg_t m;
    const uint8_t *v;
    size_t vl;
    coap_builder_t b;

    coap_build_init(&b, w, sizeof(w), COAP_TYPE_CON, COAP_POST, 1, NULL, 0);
    coap_build_uri_path(&b, "bs");
    coap_build_opt_str(&b, COAP_OPT_URI_QUERY, "epx=no");
    coap_build_opt_str(&b, COAP_OPT_URI_QUERY, "ep=dev1");
    coap_build_opt_str(&b, COAP_OPT_URI_QUERY, "pct=");
    coap_build_opt_str(&b, COAP_OPT_URI_QUERY, "flag");
    coap_build_opt_str(&b, COAP_OPT_URI_QUERY, "d=1");
    coap_build_opt_str(&b, COAP_OPT_URI_QUERY, "d=2");
    int n = coap_build_finish(&b);
    ck_assert_int_gt(n, 0);
    ck_assert_int_eq(coap_parse(&m, w, (size_t)n), 0);

    ck_assert_int_eq(coap_query_get(&m, "ep", &v, &vl), 0);
    ck_assert_uint_eq(vl, 4);
    ck_assert_mem_eq(v, "dev1", 4);
    ck_assert_int_eq(coap_query_get(&m, "epx", &v, &vl), 0);
    ck_assert_mem_eq(v, "no", 2);
    ck_assert_int_eq(coap_query_get(&m, "pct", &v, &vl), 0);
    ck_assert_uint_eq(vl, 0);
    ck_assert_int_eq(coap_query_get(&m, "flag", &v, &vl), 0);
    ck_assert_uint_eq(vl, 0);
    ck_assert_int_eq(coap_query_get(&m, "e", &v, &vl), COAP_ERR_NOTFOUND);
    ck_assert_int_eq(coap_query_get(&m, "missing", &v, &vl), COAP_ERR_NOTFOUND);
    ck_assert_int_eq(coap_query_get(&m, "", &v, &vl), COAP_ERR_NOTFOUND);
    ck_assert_int_eq(coap_query_get(&m, "d", &v, &vl), COAP_ERR_DUPLICATE);
}
END_TEST

/* ---- Builder ---------------------------------------------------------- */

/* §3.1 boundaries of the delta/length nibbles: 12, 13, 268, 269. */
START_TEST(test_build_ext_boundaries)
{
    static const uint16_t nums[] = {2048, 2060, 2073, 2341, 2610, 3000};
    static const size_t lens[] = {0, 12, 13, 268, 269, 600};
    uint8_t val[600], w[4096];
    coap_msg_t m;
    memset(val, 0x5a, sizeof(val));
    coap_builder_t b;
    coap_build_init(&b, w, sizeof(w), COAP_TYPE_NON, COAP_GET, 9, NULL, 0);
    for (size_t i = 0; i < 6; i++)
        coap_build_opt(&b, nums[i], val, lens[i]);
    int n = coap_build_finish(&b);
    ck_assert_int_gt(n, 0);
    parse_roundtrip(&m, w, (size_t)n);
    ck_assert_uint_eq(m.nopts, 6);
    for (size_t i = 0; i < 6; i++) {
        ck_assert_uint_eq(m.opts[i].num, nums[i]);
        ck_assert_uint_eq(m.opts[i].len, lens[i]);
    }
    /* delta 13 and 269 exactly from zero */
    coap_build_init(&b, w, sizeof(w), COAP_TYPE_NON, COAP_GET, 9, NULL, 0);
    coap_build_opt(&b, 13, NULL, 0);
    ck_assert_int_eq(coap_build_finish(&b), 6);
    ck_assert_uint_eq(w[4], 0xd0);
    ck_assert_uint_eq(w[5], 0x00);
    coap_build_init(&b, w, sizeof(w), COAP_TYPE_NON, COAP_GET, 9, NULL, 0);
    coap_build_opt(&b, 269, NULL, 0);
    ck_assert_int_eq(coap_build_finish(&b), 7);
    ck_assert_uint_eq(w[4], 0xe0);
    ck_assert_uint_eq(w[5], 0x00);
    ck_assert_uint_eq(w[6], 0x00);
}
END_TEST

/* §3.2: uint values without leading zeros. */
START_TEST(test_build_uint)
{
    static const uint32_t vals[] = {0, 1, 255, 256, 65535, 65536, 0xffffff, 0x1000000, 0xffffffff};
    static const uint16_t lens[] = {0, 1, 1, 2, 2, 3, 3, 4, 4};
    uint8_t w[32];
    coap_msg_t m;
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        coap_builder_t b;
        coap_build_init(&b, w, sizeof(w), COAP_TYPE_CON, COAP_GET, 1, NULL, 0);
        coap_build_opt_uint(&b, COAP_OPT_SIZE1, vals[i]);
        int n = coap_build_finish(&b);
        ck_assert_int_gt(n, 0);
        ck_assert_int_eq(coap_parse(&m, w, (size_t)n), 0);
        ck_assert_uint_eq(m.opts[0].len, lens[i]);
        ck_assert_uint_eq(opt_u(&m, COAP_OPT_SIZE1), vals[i]);
    }
}
END_TEST

/* §3.1: options in non-decreasing number order, before the payload;
 * §5.4.5 repeats and PROTOCOLS.md §6.3 lengths enforced; sticky errors. */
START_TEST(test_build_order_sticky)
{
    uint8_t w[64];
    coap_builder_t b;
    coap_build_init(&b, w, sizeof(w), COAP_TYPE_CON, COAP_GET, 1, NULL, 0);
    coap_build_opt_uint(&b, COAP_OPT_CONTENT_FORMAT, 0);
    coap_build_uri_path(&b, "a"); /* 11 < 12 */
    ck_assert_int_eq(coap_build_finish(&b), COAP_ERR_ORDER);
    size_t len = b.len;
    coap_build_opt_uint(&b, COAP_OPT_ACCEPT, 0); /* no-op after error */
    coap_build_payload(&b, (const uint8_t *)"x", 1);
    ck_assert_uint_eq(b.len, len);
    ck_assert_int_eq(coap_build_finish(&b), COAP_ERR_ORDER);

    /* option after payload */
    coap_build_init(&b, w, sizeof(w), COAP_TYPE_CON, COAP_GET, 1, NULL, 0);
    coap_build_payload(&b, (const uint8_t *)"x", 1);
    coap_build_opt_uint(&b, COAP_OPT_ACCEPT, 0);
    ck_assert_int_eq(coap_build_finish(&b), COAP_ERR_ORDER);
    /* second payload */
    coap_build_init(&b, w, sizeof(w), COAP_TYPE_CON, COAP_GET, 1, NULL, 0);
    coap_build_payload(&b, (const uint8_t *)"x", 1);
    coap_build_payload(&b, (const uint8_t *)"y", 1);
    ck_assert_int_eq(coap_build_finish(&b), COAP_ERR_ORDER);
    /* equal numbers are fine for repeatable options */
    coap_build_init(&b, w, sizeof(w), COAP_TYPE_CON, COAP_GET, 1, NULL, 0);
    coap_build_uri_path(&b, "a/b");
    coap_build_opt_str(&b, COAP_OPT_URI_PATH, "c");
    ck_assert_int_eq(coap_build_finish(&b), 10);
    /* but not for a non-repeatable one */
    coap_build_init(&b, w, sizeof(w), COAP_TYPE_CON, COAP_GET, 1, NULL, 0);
    coap_build_opt_uint(&b, COAP_OPT_BLOCK2, 1);
    coap_build_opt_uint(&b, COAP_OPT_BLOCK2, 2);
    ck_assert_int_eq(coap_build_finish(&b), COAP_ERR_BAD_OPTION);
    /* bad lengths of known options */
    coap_build_init(&b, w, sizeof(w), COAP_TYPE_CON, COAP_GET, 1, NULL, 0);
    coap_build_opt(&b, COAP_OPT_ECHO, NULL, 0);
    ck_assert_int_eq(coap_build_finish(&b), COAP_ERR_BAD_OPTION);
    coap_build_init(&b, w, sizeof(w), COAP_TYPE_CON, COAP_GET, 1, NULL, 0);
    coap_build_opt(&b, COAP_OPT_REQUEST_TAG, (const uint8_t *)"123456789", 9);
    ck_assert_int_eq(coap_build_finish(&b), COAP_ERR_BAD_OPTION);
    /* invalid arguments */
    uint8_t tok[9] = {0};
    coap_build_init(&b, w, sizeof(w), COAP_TYPE_CON, COAP_GET, 1, tok, 9);
    ck_assert_int_eq(coap_build_finish(&b), COAP_ERR_INVAL);
    coap_build_init(&b, w, sizeof(w), 4, COAP_GET, 1, NULL, 0);
    ck_assert_int_eq(coap_build_finish(&b), COAP_ERR_INVAL);
    coap_build_init(&b, w, sizeof(w), COAP_TYPE_CON, COAP_GET, 1, NULL, 2);
    ck_assert_int_eq(coap_build_finish(&b), COAP_ERR_INVAL);
}
END_TEST

/* Every write is bounded by the caller's buffer. */
START_TEST(test_build_nospace)
{
    uint8_t w[64];
    coap_builder_t b;
    const uint8_t tok[4] = {1, 2, 3, 4};
    coap_build_init(&b, w, 7, COAP_TYPE_CON, COAP_GET, 1, tok, 4);
    ck_assert_int_eq(coap_build_finish(&b), COAP_ERR_NOSPACE);
    /* exact sizes: header 4 + option 1+2 + marker 1 + payload 3 = 11 */
    for (size_t cap = 0; cap <= 11; cap++) {
        coap_build_init(&b, w, cap, COAP_TYPE_CON, COAP_GET, 1, NULL, 0);
        coap_build_uri_path(&b, "ab");
        coap_build_payload(&b, (const uint8_t *)"xyz", 3);
        ck_assert_int_eq(coap_build_finish(&b), cap == 11 ? 11 : COAP_ERR_NOSPACE);
        ck_assert_uint_le(b.len, cap);
    }
    /* empty payload writes no marker (§3) */
    coap_build_init(&b, w, 4, COAP_TYPE_CON, COAP_GET, 1, NULL, 0);
    coap_build_payload(&b, NULL, 0);
    ck_assert_int_eq(coap_build_finish(&b), 4);
}
END_TEST

/* §4.2, §4.3: Empty ACK/RST is 4 bytes. */
START_TEST(test_build_empty)
{
    uint8_t w[8];
    coap_msg_t m;
    ck_assert_int_eq(coap_build_empty(w, sizeof(w), COAP_TYPE_ACK, 0xbeef), 4);
    ck_assert_mem_eq(w, "\x60\x00\xbe\xef", 4);
    ck_assert_int_eq(coap_parse(&m, w, 4), 0);
    ck_assert_uint_eq(m.type, COAP_TYPE_ACK);
    ck_assert_uint_eq(m.mid, 0xbeef);
    ck_assert_int_eq(coap_build_empty(w, sizeof(w), COAP_TYPE_RST, 7), 4);
    ck_assert_mem_eq(w, "\x70\x00\x00\x07", 4);
    ck_assert_int_eq(coap_build_empty(w, 3, COAP_TYPE_RST, 7), COAP_ERR_NOSPACE);
    ck_assert_int_eq(coap_build_empty(w, 8, 4, 7), COAP_ERR_INVAL);
    ck_assert_str_eq(coap_strerror(COAP_ERR_NOSPACE), "no space");
    ck_assert_str_eq(coap_strerror(-999), "unknown error");
}
END_TEST

/* ---- Dedup (RFC 7252 §4.5, §4.8.2) ------------------------------------ */

/* §4.5: a duplicate CON gets the same response; processed once. */
START_TEST(test_dedup_basic)
{
    coap_dedup_t d;
    const uint8_t *c;
    size_t cl;
    const uint8_t resp[] = {0x60, 0x44, 0x00, 0x05};
    coap_dedup_init(&d);
    ck_assert_int_eq(coap_dedup_check(&d, 5, 1000, &c, &cl), COAP_DEDUP_NEW);
    ck_assert_int_eq(coap_dedup_check(&d, 5, 1001, &c, &cl), COAP_DEDUP_PENDING);
    ck_assert_ptr_null(c);
    ck_assert_int_eq(coap_dedup_store(&d, 5, resp, sizeof(resp), 1002), COAP_DEDUP_CACHED);
    ck_assert_int_eq(coap_dedup_check(&d, 5, 1003, &c, &cl), COAP_DEDUP_CACHED);
    ck_assert_uint_eq(cl, 4);
    ck_assert_mem_eq(c, resp, 4);
    ck_assert_int_eq(coap_dedup_check(&d, 5, 1003, NULL, NULL), COAP_DEDUP_CACHED);
    ck_assert_int_eq(coap_dedup_check(&d, 6, 1004, &c, &cl), COAP_DEDUP_NEW);
    /* a response larger than the inline cache: reprocess */
    uint8_t big[COAP_DEDUP_INLINE + 1];
    memset(big, 1, sizeof(big));
    ck_assert_int_eq(coap_dedup_store(&d, 6, big, sizeof(big), 1005), COAP_DEDUP_REPROCESS);
    ck_assert_int_eq(coap_dedup_check(&d, 6, 1006, &c, &cl), COAP_DEDUP_REPROCESS);
    ck_assert_ptr_null(c);
    ck_assert_uint_eq(cl, 0);
    /* exactly COAP_DEDUP_INLINE is cached */
    ck_assert_int_eq(coap_dedup_store(&d, 6, big, COAP_DEDUP_INLINE, 1007), COAP_DEDUP_CACHED);
    ck_assert_int_eq(coap_dedup_check(&d, 6, 1008, &c, &cl), COAP_DEDUP_CACHED);
    ck_assert_uint_eq(cl, COAP_DEDUP_INLINE);
    ck_assert_int_eq(coap_dedup_store(&d, 6, NULL, 3, 1009), COAP_ERR_INVAL);
    coap_dedup_forget(&d, 6);
    ck_assert_int_eq(coap_dedup_check(&d, 6, 1010, &c, &cl), COAP_DEDUP_NEW);
}
END_TEST

/* §4.8.2: entries expire EXCHANGE_LIFETIME (247 s) after the request. */
START_TEST(test_dedup_expiry)
{
    coap_dedup_t d;
    const uint8_t resp[] = {0x60, 0x44, 0x00, 0x05};
    coap_dedup_init(&d);
    ck_assert_uint_eq(COAP_EXCHANGE_LIFETIME_MS, 247000);
    ck_assert_int_eq(coap_dedup_check(&d, 5, 10000, NULL, NULL), COAP_DEDUP_NEW);
    coap_dedup_store(&d, 5, resp, 4, 10500);
    ck_assert_int_eq(coap_dedup_check(&d, 5, 10000 + 246999, NULL, NULL), COAP_DEDUP_CACHED);
    ck_assert_int_eq(coap_dedup_check(&d, 5, 10000 + 247000, NULL, NULL), COAP_DEDUP_NEW);
    ck_assert_int_eq(coap_dedup_check(&d, 5, 10000 + 247001, NULL, NULL), COAP_DEDUP_PENDING);
}
END_TEST

/* Full table: expired entries are reused first, else the oldest goes. */
START_TEST(test_dedup_eviction)
{
    coap_dedup_t d;
    coap_dedup_init(&d);
    for (uint16_t i = 0; i < COAP_DEDUP_SLOTS; i++)
        ck_assert_int_eq(coap_dedup_check(&d, i, 1000 + i, NULL, NULL), COAP_DEDUP_NEW);
    for (uint16_t i = 0; i < COAP_DEDUP_SLOTS; i++)
        ck_assert_int_eq(coap_dedup_check(&d, i, 2000, NULL, NULL), COAP_DEDUP_PENDING);
    /* 9th MID evicts MID 0 (oldest) */
    ck_assert_int_eq(coap_dedup_check(&d, 100, 3000, NULL, NULL), COAP_DEDUP_NEW);
    for (uint16_t i = 1; i < COAP_DEDUP_SLOTS; i++)
        ck_assert_int_eq(coap_dedup_check(&d, i, 3001, NULL, NULL), COAP_DEDUP_PENDING);
    ck_assert_int_eq(coap_dedup_check(&d, 100, 3001, NULL, NULL), COAP_DEDUP_PENDING);
    /* MID 0 is new again and evicts MID 1 */
    ck_assert_int_eq(coap_dedup_check(&d, 0, 3002, NULL, NULL), COAP_DEDUP_NEW);
    ck_assert_int_eq(coap_dedup_check(&d, 1, 3003, NULL, NULL), COAP_DEDUP_NEW);
    /* an expired slot is taken before any live one is evicted */
    coap_dedup_init(&d);
    ck_assert_int_eq(coap_dedup_check(&d, 1, 0, NULL, NULL), COAP_DEDUP_NEW);
    for (uint16_t i = 2; i <= COAP_DEDUP_SLOTS; i++)
        coap_dedup_check(&d, i, 200000, NULL, NULL);
    ck_assert_int_eq(coap_dedup_check(&d, 50, 247000, NULL, NULL), COAP_DEDUP_NEW);
    for (uint16_t i = 2; i <= COAP_DEDUP_SLOTS; i++)
        ck_assert_int_eq(coap_dedup_check(&d, i, 247001, NULL, NULL), COAP_DEDUP_PENDING);
    /* store after eviction re-inserts */
    coap_dedup_init(&d);
    coap_dedup_check(&d, 7, 0, NULL, NULL);
    for (uint16_t i = 100; i < 100 + COAP_DEDUP_SLOTS; i++)
        coap_dedup_check(&d, i, 10, NULL, NULL);
    ck_assert_int_eq(coap_dedup_store(&d, 7, (const uint8_t *)"\x60\x44\x00\x07", 4, 20), COAP_DEDUP_CACHED);
    ck_assert_int_eq(coap_dedup_check(&d, 7, 30, NULL, NULL), COAP_DEDUP_CACHED);
}
END_TEST

/* ---- Retransmission (RFC 7252 §4.2, §4.8, §5.2, §5.3.2) --------------- */

static size_t mk_req(uint8_t *w, size_t cap, uint16_t mid, const uint8_t *tok, uint8_t tkl)
{
    coap_builder_t b;
    coap_build_init(&b, w, cap, COAP_TYPE_CON, COAP_GET, mid, tok, tkl);
    coap_build_uri_path(&b, "3/0");
    int n = coap_build_finish(&b);
    ck_assert_int_gt(n, 0);
    return (size_t)n;
}

static void mk_msg(coap_msg_t *m, uint8_t *w, size_t cap, uint8_t type, uint8_t code, uint16_t mid,
                   const uint8_t *tok, uint8_t tkl)
{
    coap_builder_t b;
    coap_build_init(&b, w, cap, type, code, mid, tok, tkl);
    if (code != COAP_EMPTY) coap_build_payload(&b, (const uint8_t *)"ok", 2);
    int n = coap_build_finish(&b);
    ck_assert_int_gt(n, 0);
    ck_assert_int_eq(coap_parse(m, w, (size_t)n), 0);
}

/* §4.2: first timeout in [ACK_TIMEOUT, ACK_TIMEOUT * ACK_RANDOM_FACTOR]. */
START_TEST(test_xmit_first_timeout)
{
    uint8_t w[32];
    const uint8_t tok[2] = {0, 1};
    size_t n = mk_req(w, sizeof(w), 0x100, tok, 2);
    coap_xmit_t x;
    static const uint32_t rs[] = {0, 1, 500, 1000, 1001, 123456789, 0xffffffffu};
    for (size_t i = 0; i < sizeof(rs) / sizeof(rs[0]); i++) {
        ck_assert_int_eq(coap_xmit_init(&x, w, n), 0);
        ck_assert_int_eq(coap_xmit_start(&x, 5000, rs[i]), 0);
        ck_assert_uint_ge(x.timeout_ms, 2000);
        ck_assert_uint_le(x.timeout_ms, 3000);
        ck_assert_uint_eq(coap_xmit_next_deadline(&x), 5000 + x.timeout_ms);
    }
    coap_xmit_init(&x, w, n);
    coap_xmit_start(&x, 0, 0);
    ck_assert_uint_eq(x.timeout_ms, 2000);
    coap_xmit_init(&x, w, n);
    coap_xmit_start(&x, 0, 1000);
    ck_assert_uint_eq(x.timeout_ms, 3000);
    ck_assert_int_eq(coap_xmit_start(&x, 0, 1000), COAP_ERR_STATE);
    ck_assert_uint_eq(x.mid, 0x100);
    ck_assert_uint_eq(x.tkl, 2);
}
END_TEST

/* §4.2: timeout doubles; give up when the timeout after the 4th
 * retransmission expires: total 31 x T0 (MAX_TRANSMIT_WAIT for T0 = 3 s). */
START_TEST(test_xmit_schedule)
{
    uint8_t w[32];
    size_t n = mk_req(w, sizeof(w), 0x200, (const uint8_t *)"\x07", 1);
    coap_xmit_t x;
    ck_assert_int_eq(coap_xmit_init(&x, w, n), 0);
    ck_assert_int_eq(coap_xmit_timer(&x, 0), COAP_XMIT_IDLE); /* not started */
    ck_assert_uint_eq(coap_xmit_next_deadline(&x), COAP_XMIT_NO_DEADLINE);
    ck_assert_int_eq(coap_xmit_start(&x, 1000, 250), 0);
    uint64_t t = 1000, to = 2250;
    for (int i = 1; i <= COAP_MAX_RETRANSMIT; i++) {
        ck_assert_uint_eq(coap_xmit_next_deadline(&x), t + to);
        ck_assert_int_eq(coap_xmit_timer(&x, t + to - 1), COAP_XMIT_IDLE);
        t += to;
        ck_assert_int_eq(coap_xmit_timer(&x, t), COAP_XMIT_RETRANSMIT);
        ck_assert_uint_eq(x.retransmits, i);
        to *= 2;
        ck_assert_uint_eq(x.timeout_ms, to);
    }
    ck_assert_int_eq(coap_xmit_timer(&x, t + to - 1), COAP_XMIT_IDLE);
    ck_assert_int_eq(coap_xmit_timer(&x, t + to), COAP_XMIT_TIMEOUT);
    ck_assert_uint_eq(t + to - 1000, 31u * 2250u);
    ck_assert_int_eq(coap_xmit_timer(&x, t + to + 100000), COAP_XMIT_IDLE);
    ck_assert_uint_eq(coap_xmit_next_deadline(&x), COAP_XMIT_NO_DEADLINE);
    /* T0 = 3000 gives MAX_TRANSMIT_WAIT = 93 s */
    coap_xmit_init(&x, w, n);
    coap_xmit_start(&x, 0, 1000);
    uint64_t now = 0;
    int r, retx = 0;
    while ((r = coap_xmit_timer(&x, now = coap_xmit_next_deadline(&x))) == COAP_XMIT_RETRANSMIT)
        retx++;
    ck_assert_int_eq(r, COAP_XMIT_TIMEOUT);
    ck_assert_int_eq(retx, 4);
    ck_assert_uint_eq(now, COAP_MAX_TRANSMIT_WAIT_MS);
}
END_TEST

/* §4.2: RST with our MID ends the exchange; other MIDs don't match. */
START_TEST(test_xmit_reset)
{
    uint8_t w[32], r[32];
    size_t n = mk_req(w, sizeof(w), 0x300, (const uint8_t *)"\x01", 1);
    coap_xmit_t x;
    coap_msg_t m;
    coap_xmit_init(&x, w, n);
    coap_xmit_start(&x, 0, 0);
    mk_msg(&m, r, sizeof(r), COAP_TYPE_RST, COAP_EMPTY, 0x301, NULL, 0);
    ck_assert_int_eq(coap_xmit_on_message(&x, &m), COAP_XMIT_NOMATCH);
    mk_msg(&m, r, sizeof(r), COAP_TYPE_RST, COAP_EMPTY, 0x300, NULL, 0);
    ck_assert_int_eq(coap_xmit_on_message(&x, &m), COAP_XMIT_RESET);
    ck_assert_int_eq(coap_xmit_timer(&x, 100000), COAP_XMIT_IDLE);
    ck_assert_int_eq(coap_xmit_on_message(&x, &m), COAP_XMIT_NOMATCH);
    /* a non-CON message cannot be tracked */
    w[0] = (uint8_t)((w[0] & 0xcf) | (COAP_TYPE_NON << 4));
    ck_assert_int_eq(coap_xmit_init(&x, w, n), COAP_ERR_INVAL);
    ck_assert_int_eq(coap_xmit_init(&x, w, 3), COAP_ERR_INVAL);
}
END_TEST

/* §5.2.2: Empty ACK stops retransmission; the separate response (CON,
 * matched by token) completes the exchange and must be ACKed by the
 * caller. */
START_TEST(test_xmit_separate)
{
    uint8_t w[32], r[32];
    const uint8_t tok[2] = {0xab, 0xcd};
    size_t n = mk_req(w, sizeof(w), 0x400, tok, 2);
    coap_xmit_t x;
    coap_msg_t m;
    coap_xmit_init(&x, w, n);
    coap_xmit_start(&x, 0, 0);
    ck_assert_int_eq(coap_xmit_timer(&x, 2000), COAP_XMIT_RETRANSMIT);
    mk_msg(&m, r, sizeof(r), COAP_TYPE_ACK, COAP_EMPTY, 0x400, NULL, 0);
    ck_assert_int_eq(coap_xmit_on_message(&x, &m), COAP_XMIT_ACKED_EMPTY);
    ck_assert_int_eq(x.state, COAP_XMIT_S_WAIT_SEPARATE);
    /* no more retransmissions; a duplicate ACK does not match */
    ck_assert_int_eq(coap_xmit_timer(&x, 6000), COAP_XMIT_IDLE);
    ck_assert_int_eq(coap_xmit_on_message(&x, &m), COAP_XMIT_NOMATCH);
    ck_assert_uint_eq(coap_xmit_next_deadline(&x), 2000 + COAP_XMIT_SEPARATE_WAIT_MS);
    /* wrong token */
    mk_msg(&m, r, sizeof(r), COAP_TYPE_CON, COAP_CONTENT, 0x9000, (const uint8_t *)"\xab", 1);
    ck_assert_int_eq(coap_xmit_on_message(&x, &m), COAP_XMIT_NOMATCH);
    /* a request with our token is not a response */
    mk_msg(&m, r, sizeof(r), COAP_TYPE_CON, COAP_GET, 0x9000, tok, 2);
    ck_assert_int_eq(coap_xmit_on_message(&x, &m), COAP_XMIT_NOMATCH);
    mk_msg(&m, r, sizeof(r), COAP_TYPE_CON, COAP_CONTENT, 0x9001, tok, 2);
    ck_assert_int_eq(coap_xmit_on_message(&x, &m), COAP_XMIT_RESPONSE);
    /* the caller ACKs it */
    uint8_t ack[4];
    ck_assert_int_eq(coap_build_empty(ack, sizeof(ack), COAP_TYPE_ACK, m.mid), 4);
    /* duplicate after completion */
    ck_assert_int_eq(coap_xmit_on_message(&x, &m), COAP_XMIT_NOMATCH);

    /* separate response never comes */
    coap_xmit_init(&x, w, n);
    coap_xmit_start(&x, 0, 0);
    mk_msg(&m, r, sizeof(r), COAP_TYPE_ACK, COAP_EMPTY, 0x400, NULL, 0);
    ck_assert_int_eq(coap_xmit_on_message(&x, &m), COAP_XMIT_ACKED_EMPTY);
    ck_assert_int_eq(coap_xmit_timer(&x, COAP_XMIT_SEPARATE_WAIT_MS - 1), COAP_XMIT_IDLE);
    ck_assert_int_eq(coap_xmit_timer(&x, COAP_XMIT_SEPARATE_WAIT_MS), COAP_XMIT_TIMEOUT);
    /* NON separate response */
    coap_xmit_init(&x, w, n);
    coap_xmit_start(&x, 0, 0);
    mk_msg(&m, r, sizeof(r), COAP_TYPE_ACK, COAP_EMPTY, 0x400, NULL, 0);
    coap_xmit_on_message(&x, &m);
    mk_msg(&m, r, sizeof(r), COAP_TYPE_NON, COAP_CHANGED, 0x77, tok, 2);
    ck_assert_int_eq(coap_xmit_on_message(&x, &m), COAP_XMIT_RESPONSE);
}
END_TEST

/* §5.2.1 piggybacked response: MID and token must both match (§5.3.2);
 * §5.2.2 a CON response arriving before the (lost) ACK also completes. */
START_TEST(test_xmit_piggyback)
{
    uint8_t w[32], r[32];
    const uint8_t tok[1] = {0x42};
    size_t n = mk_req(w, sizeof(w), 0x500, tok, 1);
    coap_xmit_t x;
    coap_msg_t m;
    coap_xmit_init(&x, w, n);
    coap_xmit_start(&x, 0, 0);
    mk_msg(&m, r, sizeof(r), COAP_TYPE_ACK, COAP_CONTENT, 0x500, (const uint8_t *)"\x43", 1);
    ck_assert_int_eq(coap_xmit_on_message(&x, &m), COAP_XMIT_NOMATCH);
    mk_msg(&m, r, sizeof(r), COAP_TYPE_ACK, COAP_CONTENT, 0x501, tok, 1);
    ck_assert_int_eq(coap_xmit_on_message(&x, &m), COAP_XMIT_NOMATCH);
    mk_msg(&m, r, sizeof(r), COAP_TYPE_ACK, COAP_CONTENT, 0x500, tok, 1);
    ck_assert_int_eq(coap_xmit_on_message(&x, &m), COAP_XMIT_RESPONSE);
    ck_assert_int_eq(coap_xmit_timer(&x, 100000), COAP_XMIT_IDLE);

    coap_xmit_init(&x, w, n);
    coap_xmit_start(&x, 0, 0);
    mk_msg(&m, r, sizeof(r), COAP_TYPE_CON, COAP_CONTENT, 0x1, tok, 1);
    ck_assert_int_eq(coap_xmit_on_message(&x, &m), COAP_XMIT_RESPONSE);
    mk_msg(&m, r, sizeof(r), COAP_TYPE_ACK, COAP_EMPTY, 0x500, NULL, 0);
    ck_assert_int_eq(coap_xmit_on_message(&x, &m), COAP_XMIT_NOMATCH);
    coap_xmit_cancel(&x);
    ck_assert_uint_eq(coap_xmit_next_deadline(&x), COAP_XMIT_NO_DEADLINE);
}
END_TEST

/* RFC 9175 §4.2: token = sequence number from 0; RFC 7252 §4.4 MIDs. */
START_TEST(test_token_mid_gen)
{
    coap_token_gen_t g;
    uint8_t t[8];
    coap_token_gen_init(&g);
    ck_assert_uint_eq(coap_token_next(&g, t), 1);
    ck_assert_uint_eq(t[0], 0);
    ck_assert_uint_eq(coap_token_next(&g, t), 1);
    ck_assert_uint_eq(t[0], 1);
    g.next = 255;
    ck_assert_uint_eq(coap_token_next(&g, t), 1);
    ck_assert_uint_eq(t[0], 0xff);
    ck_assert_uint_eq(coap_token_next(&g, t), 2);
    ck_assert_mem_eq(t, "\x01\x00", 2);
    g.next = 0x0102030405060708ull;
    ck_assert_uint_eq(coap_token_next(&g, t), 8);
    ck_assert_mem_eq(t, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);

    coap_mid_gen_t mg;
    coap_mid_gen_init(&mg, 0xfffe);
    ck_assert_uint_eq(coap_mid_next(&mg), 0xfffe);
    ck_assert_uint_eq(coap_mid_next(&mg), 0xffff);
    ck_assert_uint_eq(coap_mid_next(&mg), 0);
}
END_TEST

static Suite *coap_suite(void)
{
    Suite *s = suite_create("coap");
    TCase *tc;

    tc = tcase_create("vectors");
    tcase_add_test(tc, test_e1);
    tcase_add_test(tc, test_e2);
    tcase_add_test(tc, test_e3);
    tcase_add_test(tc, test_e4);
    tcase_add_test(tc, test_e5);
    tcase_add_test(tc, test_e6);
    tcase_add_test(tc, test_e7);
    tcase_add_test(tc, test_e8);
    suite_add_tcase(s, tc);

    tc = tcase_create("malformed");
    tcase_add_test(tc, test_short);
    tcase_add_test(tc, test_version);
    tcase_add_test(tc, test_tkl);
    tcase_add_test(tc, test_reserved_class);
    tcase_add_test(tc, test_empty_rules);
    tcase_add_test(tc, test_marker_empty_payload);
    tcase_add_test(tc, test_nibble15);
    tcase_add_test(tc, test_ext_truncated);
    tcase_add_test(tc, test_option_number_overflow);
    tcase_add_test(tc, test_too_many_options);
    tcase_add_test(tc, test_bad_critical_length);
    tcase_add_test(tc, test_bad_critical_255);
    tcase_add_test(tc, test_repeat_critical);
    tcase_add_test(tc, test_bad_elective_ignored);
    tcase_add_test(tc, test_unknown_critical);
    suite_add_tcase(s, tc);

    tc = tcase_create("options");
    tcase_add_test(tc, test_opt_iter);
    tcase_add_test(tc, test_opt_uint);
    tcase_add_test(tc, test_uri_path_equals);
    tcase_add_test(tc, test_uri_path_join);
    tcase_add_test(tc, test_query_get);
    suite_add_tcase(s, tc);

    tc = tcase_create("builder");
    tcase_add_test(tc, test_build_ext_boundaries);
    tcase_add_test(tc, test_build_uint);
    tcase_add_test(tc, test_build_order_sticky);
    tcase_add_test(tc, test_build_nospace);
    tcase_add_test(tc, test_build_empty);
    suite_add_tcase(s, tc);

    tc = tcase_create("dedup");
    tcase_add_test(tc, test_dedup_basic);
    tcase_add_test(tc, test_dedup_expiry);
    tcase_add_test(tc, test_dedup_eviction);
    suite_add_tcase(s, tc);

    tc = tcase_create("xmit");
    tcase_add_test(tc, test_xmit_first_timeout);
    tcase_add_test(tc, test_xmit_schedule);
    tcase_add_test(tc, test_xmit_reset);
    tcase_add_test(tc, test_xmit_separate);
    tcase_add_test(tc, test_xmit_piggyback);
    tcase_add_test(tc, test_token_mid_gen);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(coap_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
