/*
 * test_coap_block.c — unit tests for bsd/coap/coap_block (RFC 7959):
 * option values, server Block2 slicing, server Block1 reassembly (2.31 /
 * 4.08 / 4.13, Request-Tag per RFC 9175 §3), client Block1 sending with
 * SZX renegotiation, client Block2 reassembly, and both roles driven
 * against each other through encoded messages.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bsd/coap/coap_block.h"
#include "bsd/coap/coap_msg.h"

/* ---- Helpers ---------------------------------------------------------- */

/* A message under construction in tests: wire bytes plus parsed view. */
typedef struct {
    uint8_t wire[1400];
    coap_msg_t m;
} tmsg_t;

typedef struct {
    uint8_t type, code;
    int block1;          /* -1: none, else encoded value */
    int block2;          /* -1: none */
    int cf;              /* -1: none */
    int size1;           /* -1: none */
    int size2;           /* -1: none */
    const char *etag;    /* NULL: none */
    const char *tags[6]; /* Request-Tag values (NULL-terminated list) */
    int ntags;
    const uint8_t *payload;
    size_t plen;
} tspec_t;

static void tbuild(tmsg_t *t, const tspec_t *s)
{
    coap_builder_t b;
    static uint16_t mid = 1;
    const uint8_t tok = 0x11;
    coap_build_init(&b, t->wire, sizeof(t->wire), s->type, s->code, mid++, &tok, 1);
    if (s->etag) coap_build_opt_str(&b, COAP_OPT_ETAG, s->etag);
    coap_build_uri_path(&b, "0/1");
    if (s->cf >= 0) coap_build_opt_uint(&b, COAP_OPT_CONTENT_FORMAT, (uint32_t)s->cf);
    if (s->block2 >= 0) coap_build_opt_uint(&b, COAP_OPT_BLOCK2, (uint32_t)s->block2);
    if (s->block1 >= 0) coap_build_opt_uint(&b, COAP_OPT_BLOCK1, (uint32_t)s->block1);
    if (s->size2 >= 0) coap_build_opt_uint(&b, COAP_OPT_SIZE2, (uint32_t)s->size2);
    if (s->size1 >= 0) coap_build_opt_uint(&b, COAP_OPT_SIZE1, (uint32_t)s->size1);
    for (int i = 0; i < s->ntags; i++)
        coap_build_opt_str(&b, COAP_OPT_REQUEST_TAG, s->tags[i]);
    coap_build_payload(&b, s->payload, s->plen);
    int n = coap_build_finish(&b);
    ck_assert_int_gt(n, 0);
    ck_assert_int_eq(coap_parse(&t->m, t->wire, (size_t)n), 0);
}

static uint32_t bval(uint32_t num, int more, int szx)
{
    coap_block_t b = {num, (uint8_t)more, (uint8_t)szx};
    return coap_block_encode(&b);
}

static tspec_t req_b1(uint32_t num, int more, int szx, const uint8_t *p, size_t plen)
{
    tspec_t s = {.type = COAP_TYPE_CON,
                 .code = COAP_PUT,
                 .block1 = (int)bval(num, more, szx),
                 .block2 = -1,
                 .cf = COAP_CF_LWM2M_TLV,
                 .size1 = -1,
                 .size2 = -1,
                 .payload = p,
                 .plen = plen};
    return s;
}

static uint8_t body[4096];

static void fill_body(void)
{
    for (size_t i = 0; i < sizeof(body); i++)
        body[i] = (uint8_t)(i * 7 + (i >> 8));
}

/* ---- Option values (RFC 7959 §2.2) ------------------------------------ */

START_TEST(test_block_decode_encode)
{
    coap_option_t o;
    coap_block_t b;
    uint8_t v[4];

    /* E5's Block1 0x0a: NUM 0, M 1, SZX 2 */
    v[0] = 0x0a;
    o = (coap_option_t){COAP_OPT_BLOCK1, 1, v};
    ck_assert_int_eq(coap_block_decode(&o, &b), 0);
    ck_assert_uint_eq(b.num, 0);
    ck_assert_uint_eq(b.more, 1);
    ck_assert_uint_eq(b.szx, 2);
    ck_assert_uint_eq(coap_block_size(b.szx), 64);
    ck_assert_uint_eq(coap_block_encode(&b), 0x0a);
    /* zero-length value = 0/0/16 (§2.2) */
    o = (coap_option_t){COAP_OPT_BLOCK1, 0, NULL};
    ck_assert_int_eq(coap_block_decode(&o, &b), 0);
    ck_assert_uint_eq(b.num, 0);
    ck_assert_uint_eq(b.more, 0);
    ck_assert_uint_eq(b.szx, 0);
    /* 3 bytes: largest NUM */
    v[0] = 0xff;
    v[1] = 0xff;
    v[2] = 0xfe;
    o = (coap_option_t){COAP_OPT_BLOCK2, 3, v};
    ck_assert_int_eq(coap_block_decode(&o, &b), 0);
    ck_assert_uint_eq(b.num, COAP_BLOCK_NUM_MAX);
    ck_assert_uint_eq(b.more, 1);
    ck_assert_uint_eq(b.szx, 6);
    ck_assert_uint_eq(coap_block_encode(&b), 0xfffffe);
    ck_assert_uint_eq(coap_block_offset(&b), (size_t)COAP_BLOCK_NUM_MAX << 10);
    /* SZX 7 reserved → 4.00 (§2.2) */
    v[0] = 0x17;
    o = (coap_option_t){COAP_OPT_BLOCK2, 1, v};
    ck_assert_int_eq(coap_block_decode(&o, &b), COAP_ERR_BLOCK_SZX);
    /* 4 bytes is not a Block value */
    o = (coap_option_t){COAP_OPT_BLOCK2, 4, v};
    ck_assert_int_eq(coap_block_decode(&o, &b), COAP_ERR_BAD_OPTION);
    ck_assert_int_eq(coap_block_decode(NULL, &b), COAP_ERR_NOTFOUND);
    /* offset = (val & ~0xF) << (val & 7) */
    b = (coap_block_t){5, 0, 3};
    ck_assert_uint_eq(coap_block_offset(&b), (bval(5, 0, 3) & ~0xfu) << 3);
    ck_assert_uint_eq(coap_block_offset(&b), 640);
}
END_TEST

START_TEST(test_block_szx_for)
{
    ck_assert_int_eq(coap_block_szx_for(0), COAP_ERR_INVAL);
    ck_assert_int_eq(coap_block_szx_for(15), COAP_ERR_INVAL);
    ck_assert_int_eq(coap_block_szx_for(16), 0);
    ck_assert_int_eq(coap_block_szx_for(31), 0);
    ck_assert_int_eq(coap_block_szx_for(32), 1);
    ck_assert_int_eq(coap_block_szx_for(1023), 5);
    ck_assert_int_eq(coap_block_szx_for(1024), 6);
    ck_assert_int_eq(coap_block_szx_for(100000), 6);
    for (uint8_t s = 0; s <= 6; s++)
        ck_assert_uint_eq(coap_block_size(s), 16u << s);
}
END_TEST

/* ---- Server Block2 (RFC 7959 §2.4) ------------------------------------ */

START_TEST(test_block2_slice)
{
    coap_block_t out, req;
    size_t off, len;

    /* fits, no Block2 requested: whole body, no option */
    ck_assert_int_eq(coap_block2_slice(100, NULL, 512, &out, &off, &len), 0);
    ck_assert_uint_eq(off, 0);
    ck_assert_uint_eq(len, 100);
    /* too large, nothing requested: block 0 at the largest fitting size */
    ck_assert_int_eq(coap_block2_slice(1000, NULL, 300, &out, &off, &len), 1);
    ck_assert_uint_eq(out.num, 0);
    ck_assert_uint_eq(out.more, 1);
    ck_assert_uint_eq(out.szx, 4);
    ck_assert_uint_eq(len, 256);
    /* client asks for smaller blocks: honoured */
    req = (coap_block_t){0, 0, 1};
    ck_assert_int_eq(coap_block2_slice(1000, &req, 1024, &out, &off, &len), 1);
    ck_assert_uint_eq(out.szx, 1);
    ck_assert_uint_eq(len, 32);
    ck_assert_uint_eq(out.more, 1);
    req = (coap_block_t){3, 0, 1};
    ck_assert_int_eq(coap_block2_slice(1000, &req, 1024, &out, &off, &len), 1);
    ck_assert_uint_eq(out.num, 3);
    ck_assert_uint_eq(off, 96);
    ck_assert_uint_eq(len, 32);
    /* requested block fits even though the body would fit whole */
    req = (coap_block_t){0, 0, 6};
    ck_assert_int_eq(coap_block2_slice(100, &req, 1024, &out, &off, &len), 1);
    ck_assert_uint_eq(out.more, 0);
    ck_assert_uint_eq(out.szx, 6);
    ck_assert_uint_eq(len, 100);
    /* requested larger than fits: our SZX, NUM rescaled to the same offset */
    req = (coap_block_t){1, 0, 6};
    ck_assert_int_eq(coap_block2_slice(3000, &req, 300, &out, &off, &len), 1);
    ck_assert_uint_eq(out.szx, 4);
    ck_assert_uint_eq(out.num, 4);
    ck_assert_uint_eq(off, 1024);
    ck_assert_uint_eq(len, 256);
    ck_assert_uint_le(len, 300);
    /* last block: M=0, short */
    req = (coap_block_t){15, 0, 2};
    ck_assert_int_eq(coap_block2_slice(1000, &req, 1024, &out, &off, &len), 1);
    ck_assert_uint_eq(off, 960);
    ck_assert_uint_eq(len, 40);
    ck_assert_uint_eq(out.more, 0);
    /* exactly at the end or beyond: 4.00 */
    req = (coap_block_t){16, 0, 2};
    ck_assert_int_eq(coap_block2_slice(1024, &req, 1024, &out, &off, &len), COAP_ERR_BLOCK_RANGE);
    req = (coap_block_t){17, 0, 2};
    ck_assert_int_eq(coap_block2_slice(1000, &req, 1024, &out, &off, &len), COAP_ERR_BLOCK_RANGE);
    /* last block ends exactly at the end: M=0 */
    req = (coap_block_t){15, 0, 2};
    ck_assert_int_eq(coap_block2_slice(1024, &req, 1024, &out, &off, &len), 1);
    ck_assert_uint_eq(len, 64);
    ck_assert_uint_eq(out.more, 0);
    /* empty body, block 0 */
    req = (coap_block_t){0, 0, 2};
    ck_assert_int_eq(coap_block2_slice(0, &req, 1024, &out, &off, &len), 1);
    ck_assert_uint_eq(len, 0);
    ck_assert_uint_eq(out.more, 0);
    /* bad arguments */
    req = (coap_block_t){0, 0, 7};
    ck_assert_int_eq(coap_block2_slice(100, &req, 1024, &out, &off, &len), COAP_ERR_BLOCK_SZX);
    ck_assert_int_eq(coap_block2_slice(100, NULL, 8, &out, &off, &len), COAP_ERR_INVAL);
    /* M in a request is ignored (§2.2) */
    req = (coap_block_t){1, 1, 2};
    ck_assert_int_eq(coap_block2_slice(1000, &req, 1024, &out, &off, &len), 1);
    ck_assert_uint_eq(off, 64);
    /* rescaled NUM above 20 bits */
    req = (coap_block_t){COAP_BLOCK_NUM_MAX, 0, 6};
    ck_assert_int_eq(coap_block2_slice((size_t)1 << 31, &req, 16, &out, &off, &len), COAP_ERR_BLOCK_RANGE);
}
END_TEST

/* ---- Server Block1 (RFC 7959 §2.3, §2.5, §2.9; RFC 9175 §3) ----------- */

START_TEST(test_block1_rx_sequence)
{
    uint8_t buf[1024];
    coap_block1_rx_t rx;
    tmsg_t t;
    tspec_t s;
    coap_block_t r;
    fill_body();
    ck_assert_int_eq(coap_block1_rx_init(&rx, buf, sizeof(buf), 1024), 0);

    s = req_b1(0, 1, 2, body, 64);
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block1_rx_feed(&rx, &t.m, 0), COAP_B1_CONTINUE);
    coap_block1_rx_response(&rx, &r);
    ck_assert_uint_eq(r.num, 0);
    ck_assert_uint_eq(r.more, 1);
    ck_assert_uint_eq(r.szx, 2);
    s = req_b1(1, 1, 2, body + 64, 64);
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block1_rx_feed(&rx, &t.m, 10), COAP_B1_CONTINUE);
    s = req_b1(2, 0, 2, body + 128, 10);
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block1_rx_feed(&rx, &t.m, 20), COAP_B1_COMPLETE);
    coap_block1_rx_response(&rx, &r);
    ck_assert_uint_eq(r.num, 2);
    ck_assert_uint_eq(r.more, 0);
    ck_assert_uint_eq(rx.len, 138);
    ck_assert_mem_eq(buf, body, 138);
    /* after completion a NUM > 0 block has nothing to attach to */
    ck_assert_int_eq(coap_block1_rx_feed(&rx, &t.m, 30), COAP_B1_INCOMPLETE);
    /* single-block body */
    s = req_b1(0, 0, 6, body, 5);
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block1_rx_feed(&rx, &t.m, 40), COAP_B1_COMPLETE);
    ck_assert_uint_eq(rx.len, 5);
    /* no Block1: not ours */
    s.block1 = -1;
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block1_rx_feed(&rx, &t.m, 50), COAP_ERR_NOTFOUND);
}
END_TEST

/* §2.5, §2.9.2: missing or out-of-order blocks → 4.08. */
START_TEST(test_block1_rx_gap)
{
    uint8_t buf[1024];
    coap_block1_rx_t rx;
    tmsg_t t;
    tspec_t s;
    fill_body();
    coap_block1_rx_init(&rx, buf, sizeof(buf), 1024);
    /* NUM > 0 without block 0 */
    s = req_b1(1, 1, 2, body, 64);
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block1_rx_feed(&rx, &t.m, 0), COAP_B1_INCOMPLETE);
    /* gap: 0 then 2 */
    s = req_b1(0, 1, 2, body, 64);
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block1_rx_feed(&rx, &t.m, 0), COAP_B1_CONTINUE);
    s = req_b1(2, 1, 2, body + 128, 64);
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block1_rx_feed(&rx, &t.m, 0), COAP_B1_INCOMPLETE);
    /* the partial body was dropped: block 1 no longer fits */
    s = req_b1(1, 1, 2, body + 64, 64);
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block1_rx_feed(&rx, &t.m, 0), COAP_B1_INCOMPLETE);
    /* repeated block with a new MID (out of order) */
    s = req_b1(0, 1, 2, body, 64);
    tbuild(&t, &s);
    coap_block1_rx_feed(&rx, &t.m, 0);
    s = req_b1(1, 1, 2, body + 64, 64);
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block1_rx_feed(&rx, &t.m, 0), COAP_B1_CONTINUE);
    ck_assert_int_eq(coap_block1_rx_feed(&rx, &t.m, 0), COAP_B1_INCOMPLETE);
    /* block 0 restarts at any time (§2.5) */
    s = req_b1(0, 1, 2, body, 64);
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block1_rx_feed(&rx, &t.m, 0), COAP_B1_CONTINUE);
    ck_assert_uint_eq(rx.len, 64);
    /* EXCHANGE_LIFETIME after the last block the partial body is gone */
    s = req_b1(1, 1, 2, body + 64, 64);
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block1_rx_feed(&rx, &t.m, 247000), COAP_B1_INCOMPLETE);
}
END_TEST

/* §2.3 / §2.9.2: Content-Format change → 4.08; RFC 9175 §3.3: another
 * Request-Tag list (or method) is another operation → 4.08, ours intact. */
START_TEST(test_block1_rx_cf_tag)
{
    uint8_t buf[1024];
    coap_block1_rx_t rx;
    tmsg_t t;
    tspec_t s;
    fill_body();
    coap_block1_rx_init(&rx, buf, sizeof(buf), 1024);

    s = req_b1(0, 1, 2, body, 64);
    s.tags[0] = "t1";
    s.ntags = 1;
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block1_rx_feed(&rx, &t.m, 0), COAP_B1_CONTINUE);
    /* different tag */
    s = req_b1(1, 1, 2, body + 64, 64);
    s.tags[0] = "t2";
    s.ntags = 1;
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block1_rx_feed(&rx, &t.m, 0), COAP_B1_INCOMPLETE);
    /* no tag at all */
    s.ntags = 0;
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block1_rx_feed(&rx, &t.m, 0), COAP_B1_INCOMPLETE);
    /* two tags (list differs) */
    s.tags[0] = "t1";
    s.tags[1] = "t1";
    s.ntags = 2;
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block1_rx_feed(&rx, &t.m, 0), COAP_B1_INCOMPLETE);
    /* method change */
    s.ntags = 1;
    s.code = COAP_POST;
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block1_rx_feed(&rx, &t.m, 0), COAP_B1_INCOMPLETE);
    /* ours is still there */
    s.code = COAP_PUT;
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block1_rx_feed(&rx, &t.m, 0), COAP_B1_CONTINUE);
    ck_assert_uint_eq(rx.len, 128);
    /* Content-Format change drops the body */
    s = req_b1(2, 1, 2, body + 128, 64);
    s.tags[0] = "t1";
    s.ntags = 1;
    s.cf = COAP_CF_SENML_JSON;
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block1_rx_feed(&rx, &t.m, 0), COAP_B1_INCOMPLETE);
    ck_assert_uint_eq(rx.len, 0);
    /* Content-Format disappearing also counts */
    s = req_b1(0, 1, 2, body, 64);
    tbuild(&t, &s);
    coap_block1_rx_feed(&rx, &t.m, 0);
    s = req_b1(1, 0, 2, body + 64, 3);
    s.cf = -1;
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block1_rx_feed(&rx, &t.m, 0), COAP_B1_INCOMPLETE);
    /* empty Request-Tag is a value distinct from no Request-Tag */
    s = req_b1(0, 1, 2, body, 64);
    s.tags[0] = "";
    s.ntags = 1;
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block1_rx_feed(&rx, &t.m, 0), COAP_B1_CONTINUE);
    s = req_b1(1, 0, 2, body + 64, 3);
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block1_rx_feed(&rx, &t.m, 0), COAP_B1_INCOMPLETE);
    s.tags[0] = "";
    s.ntags = 1;
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block1_rx_feed(&rx, &t.m, 0), COAP_B1_COMPLETE);
    /* more Request-Tags than we keep: 4.00 */
    s = req_b1(0, 1, 2, body, 64);
    s.ntags = 5;
    for (int i = 0; i < 5; i++)
        s.tags[i] = "x";
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block1_rx_feed(&rx, &t.m, 0), COAP_ERR_TOO_MANY_OPTIONS);
}
END_TEST

/* §2.9.3: body larger than the buffer → 4.13 with Size1; §4 Size1. */
START_TEST(test_block1_rx_too_large)
{
    uint8_t buf[100];
    coap_block1_rx_t rx;
    tmsg_t t;
    tspec_t s;
    fill_body();
    coap_block1_rx_init(&rx, buf, sizeof(buf), 1024);
    s = req_b1(0, 1, 2, body, 64);
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block1_rx_feed(&rx, &t.m, 0), COAP_B1_CONTINUE);
    s = req_b1(1, 1, 2, body + 64, 64);
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block1_rx_feed(&rx, &t.m, 0), COAP_B1_TOO_LARGE);
    ck_assert_uint_eq(rx.cap, 100);
    ck_assert_uint_eq(rx.len, 0);
    /* exactly cap fits */
    s = req_b1(0, 1, 2, body, 64);
    tbuild(&t, &s);
    coap_block1_rx_feed(&rx, &t.m, 0);
    s = req_b1(1, 0, 2, body + 64, 36);
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block1_rx_feed(&rx, &t.m, 0), COAP_B1_COMPLETE);
    ck_assert_uint_eq(rx.len, 100);
    /* Size1 announces too much */
    s = req_b1(0, 1, 2, body, 64);
    s.size1 = 101;
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block1_rx_feed(&rx, &t.m, 0), COAP_B1_TOO_LARGE);
    s.size1 = 100;
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block1_rx_feed(&rx, &t.m, 0), COAP_B1_CONTINUE);
}
END_TEST

/* §2.3: payload must equal the block size when M=1; SZX 7 → 4.00. */
START_TEST(test_block1_rx_bad_blocks)
{
    uint8_t buf[1024];
    coap_block1_rx_t rx;
    tmsg_t t;
    tspec_t s;
    fill_body();
    coap_block1_rx_init(&rx, buf, sizeof(buf), 1024);
    s = req_b1(0, 1, 2, body, 63);
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block1_rx_feed(&rx, &t.m, 0), COAP_ERR_BLOCK_SIZE);
    s = req_b1(0, 1, 2, body, 65);
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block1_rx_feed(&rx, &t.m, 0), COAP_ERR_BLOCK_SIZE);
    s = req_b1(0, 0, 2, body, 65);
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block1_rx_feed(&rx, &t.m, 0), COAP_ERR_BLOCK_SIZE);
    s = req_b1(0, 1, 2, body, 64);
    s.block1 = 0x0f;
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block1_rx_feed(&rx, &t.m, 0), COAP_ERR_BLOCK_SZX);
    /* errors leave the transfer as it was */
    s = req_b1(0, 1, 2, body, 64);
    tbuild(&t, &s);
    coap_block1_rx_feed(&rx, &t.m, 0);
    s = req_b1(1, 1, 2, body, 10);
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block1_rx_feed(&rx, &t.m, 0), COAP_ERR_BLOCK_SIZE);
    s = req_b1(1, 0, 2, body + 64, 10);
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block1_rx_feed(&rx, &t.m, 0), COAP_B1_COMPLETE);
    ck_assert_mem_eq(buf, body, 74);
    ck_assert_int_eq(coap_block1_rx_init(&rx, buf, sizeof(buf), 15), COAP_ERR_INVAL);
}
END_TEST

/* §2.3, §2.5 and the §3.3 example: client starts at 128 bytes, we prefer
 * 32: 2.31 carries SZX 1, the client continues at NUM 4 (offset 128). */
START_TEST(test_block1_rx_smaller_szx)
{
    uint8_t buf[1024];
    coap_block1_rx_t rx;
    tmsg_t t;
    tspec_t s;
    coap_block_t r;
    fill_body();
    coap_block1_rx_init(&rx, buf, sizeof(buf), 32);
    ck_assert_uint_eq(rx.pref_szx, 1);
    s = req_b1(0, 1, 3, body, 128);
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block1_rx_feed(&rx, &t.m, 0), COAP_B1_CONTINUE);
    coap_block1_rx_response(&rx, &r);
    ck_assert_uint_eq(r.num, 0);
    ck_assert_uint_eq(r.more, 1);
    ck_assert_uint_eq(r.szx, 1);
    s = req_b1(4, 1, 1, body + 128, 32);
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block1_rx_feed(&rx, &t.m, 0), COAP_B1_CONTINUE);
    coap_block1_rx_response(&rx, &r);
    ck_assert_uint_eq(r.num, 4);
    ck_assert_uint_eq(r.szx, 1);
    s = req_b1(5, 0, 1, body + 160, 7);
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block1_rx_feed(&rx, &t.m, 0), COAP_B1_COMPLETE);
    ck_assert_uint_eq(rx.len, 167);
    ck_assert_mem_eq(buf, body, 167);
}
END_TEST

/* ---- Client Block1 (RFC 7959 §2.3, §2.5, §2.9.3) ---------------------- */

static tspec_t resp_spec(uint8_t code, int block1)
{
    tspec_t s = {.type = COAP_TYPE_ACK,
                 .code = code,
                 .block1 = block1,
                 .block2 = -1,
                 .cf = -1,
                 .size1 = -1,
                 .size2 = -1};
    return s;
}

START_TEST(test_block1_tx_basic)
{
    coap_block1_tx_t tx;
    coap_block_t b;
    const uint8_t *p;
    size_t pl;
    tmsg_t t;
    tspec_t s;
    fill_body();
    ck_assert_int_eq(coap_block1_tx_init(&tx, body, 300, 128, (const uint8_t *)"\x05", 1), 0);
    ck_assert_uint_eq(tx.has_tag, 1);
    ck_assert_uint_eq(tx.tag_len, 1);
    for (uint32_t i = 0; i < 2; i++) {
        ck_assert_int_eq(coap_block1_tx_next(&tx, &b, &p, &pl), 0);
        ck_assert_uint_eq(b.num, i);
        ck_assert_uint_eq(b.more, 1);
        ck_assert_uint_eq(b.szx, 3);
        ck_assert_uint_eq(pl, 128);
        ck_assert_ptr_eq(p, body + 128 * i);
        s = resp_spec(COAP_CONTINUE, (int)bval(i, 1, 3));
        tbuild(&t, &s);
        ck_assert_int_eq(coap_block1_tx_on_response(&tx, &t.m), COAP_B1TX_NEXT);
    }
    ck_assert_int_eq(coap_block1_tx_next(&tx, &b, &p, &pl), 0);
    ck_assert_uint_eq(b.num, 2);
    ck_assert_uint_eq(b.more, 0);
    ck_assert_uint_eq(pl, 44);
    /* 2.31 to the last block is a protocol error */
    s = resp_spec(COAP_CONTINUE, (int)bval(2, 1, 3));
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block1_tx_on_response(&tx, &t.m), COAP_ERR_PROTOCOL);
    s = resp_spec(COAP_CHANGED, (int)bval(2, 0, 3));
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block1_tx_on_response(&tx, &t.m), COAP_B1TX_DONE);
    ck_assert_int_eq(coap_block1_tx_next(&tx, &b, &p, &pl), COAP_ERR_STATE);
    ck_assert_int_eq(coap_block1_tx_on_response(&tx, &t.m), COAP_ERR_STATE);

    /* error responses end the operation */
    coap_block1_tx_init(&tx, body, 300, 128, NULL, 0);
    ck_assert_uint_eq(tx.has_tag, 0);
    s = resp_spec(COAP_REQUEST_ENTITY_INCOMPLETE, -1);
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block1_tx_on_response(&tx, &t.m), COAP_B1TX_DONE);
    /* 2.31 without Block1, or echoing another NUM */
    coap_block1_tx_init(&tx, body, 300, 128, NULL, 0);
    s = resp_spec(COAP_CONTINUE, -1);
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block1_tx_on_response(&tx, &t.m), COAP_ERR_PROTOCOL);
    s = resp_spec(COAP_CONTINUE, (int)bval(1, 1, 3));
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block1_tx_on_response(&tx, &t.m), COAP_ERR_PROTOCOL);
    /* a non-atomic server answers 2.04 to a middle block: keep going */
    s = resp_spec(COAP_CHANGED, (int)bval(0, 0, 3));
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block1_tx_on_response(&tx, &t.m), COAP_B1TX_NEXT);
    ck_assert_int_eq(coap_block1_tx_next(&tx, &b, &p, &pl), 0);
    ck_assert_uint_eq(b.num, 1);
    /* bad arguments */
    ck_assert_int_eq(coap_block1_tx_init(&tx, body, 300, 8, NULL, 0), COAP_ERR_INVAL);
    ck_assert_int_eq(coap_block1_tx_init(&tx, body, 300, 64, body, 9), COAP_ERR_INVAL);
    ck_assert_int_eq(coap_block1_tx_init(&tx, NULL, 1, 64, NULL, 0), COAP_ERR_INVAL);
}
END_TEST

/* §2.3/§2.5: the server's 2.31 asks for a smaller SZX: renumber. */
START_TEST(test_block1_tx_renegotiate)
{
    coap_block1_tx_t tx;
    coap_block_t b;
    const uint8_t *p;
    size_t pl;
    tmsg_t t;
    tspec_t s;
    fill_body();
    coap_block1_tx_init(&tx, body, 200, 1024, NULL, 0);
    ck_assert_int_eq(coap_block1_tx_next(&tx, &b, &p, &pl), 0);
    ck_assert_uint_eq(b.szx, 6);
    ck_assert_uint_eq(b.more, 0); /* 200 fits in one block */
    coap_block1_tx_init(&tx, body, 200, 128, NULL, 0);
    ck_assert_int_eq(coap_block1_tx_next(&tx, &b, &p, &pl), 0);
    ck_assert_uint_eq(b.szx, 3);
    s = resp_spec(COAP_CONTINUE, (int)bval(0, 1, 1)); /* server wants 32 */
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block1_tx_on_response(&tx, &t.m), COAP_B1TX_NEXT);
    ck_assert_int_eq(coap_block1_tx_next(&tx, &b, &p, &pl), 0);
    ck_assert_uint_eq(b.num, 4);
    ck_assert_uint_eq(b.szx, 1);
    ck_assert_uint_eq(pl, 32);
    ck_assert_ptr_eq(p, body + 128);
    /* a larger SZX in a later 2.31 is not followed */
    s = resp_spec(COAP_CONTINUE, (int)bval(4, 1, 5));
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block1_tx_on_response(&tx, &t.m), COAP_B1TX_NEXT);
    ck_assert_int_eq(coap_block1_tx_next(&tx, &b, &p, &pl), 0);
    ck_assert_uint_eq(b.num, 5);
    ck_assert_uint_eq(b.szx, 1);
    ck_assert_uint_eq(b.more, 1);
    s = resp_spec(COAP_CONTINUE, (int)bval(5, 1, 1));
    tbuild(&t, &s);
    coap_block1_tx_on_response(&tx, &t.m);
    ck_assert_int_eq(coap_block1_tx_next(&tx, &b, &p, &pl), 0);
    ck_assert_uint_eq(b.num, 6);
    ck_assert_uint_eq(b.more, 0);
    ck_assert_uint_eq(pl, 8);
}
END_TEST

/* §2.9.3: 4.13 with a smaller SZX → restart smaller; Size1 below the body
 * → give up; no hint → one SZX smaller, down to 16 bytes. */
START_TEST(test_block1_tx_413)
{
    coap_block1_tx_t tx;
    coap_block_t b;
    const uint8_t *p;
    size_t pl;
    tmsg_t t;
    tspec_t s;
    fill_body();
    coap_block1_tx_init(&tx, body, 300, 1024, NULL, 0);
    s = resp_spec(COAP_REQUEST_ENTITY_TOO_LARGE, (int)bval(0, 0, 2));
    s.size1 = 1000;
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block1_tx_on_response(&tx, &t.m), COAP_B1TX_RESTART);
    ck_assert_int_eq(coap_block1_tx_next(&tx, &b, &p, &pl), 0);
    ck_assert_uint_eq(b.num, 0);
    ck_assert_uint_eq(b.szx, 2);
    ck_assert_uint_eq(pl, 64);
    /* after a block went through, 4.13 restarts from block 0 */
    s = resp_spec(COAP_CONTINUE, (int)bval(0, 1, 2));
    tbuild(&t, &s);
    coap_block1_tx_on_response(&tx, &t.m);
    s = resp_spec(COAP_REQUEST_ENTITY_TOO_LARGE, -1);
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block1_tx_on_response(&tx, &t.m), COAP_B1TX_RESTART);
    ck_assert_int_eq(coap_block1_tx_next(&tx, &b, &p, &pl), 0);
    ck_assert_uint_eq(b.num, 0);
    ck_assert_uint_eq(b.szx, 1);
    ck_assert_ptr_eq(p, body);
    /* Size1 smaller than the body: the server can never take it */
    s = resp_spec(COAP_REQUEST_ENTITY_TOO_LARGE, -1);
    s.size1 = 299;
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block1_tx_on_response(&tx, &t.m), COAP_B1TX_DONE);
    /* bounded: at most 6 restarts from SZX 6 */
    coap_block1_tx_init(&tx, body, 300, 1024, NULL, 0);
    s = resp_spec(COAP_REQUEST_ENTITY_TOO_LARGE, -1);
    tbuild(&t, &s);
    int restarts = 0, rc;
    while ((rc = coap_block1_tx_on_response(&tx, &t.m)) == COAP_B1TX_RESTART)
        restarts++;
    ck_assert_int_eq(rc, COAP_B1TX_DONE);
    ck_assert_int_eq(restarts, 6);
}
END_TEST

/* ---- Client Block2 (RFC 7959 §2.4) ------------------------------------ */

static tspec_t resp_b2(uint32_t num, int more, int szx, const uint8_t *p, size_t plen, const char *etag)
{
    tspec_t s = {.type = COAP_TYPE_ACK,
                 .code = COAP_CONTENT,
                 .block1 = -1,
                 .block2 = (int)bval(num, more, szx),
                 .cf = COAP_CF_LWM2M_TLV,
                 .size1 = -1,
                 .size2 = -1,
                 .etag = etag,
                 .payload = p,
                 .plen = plen};
    return s;
}

START_TEST(test_block2_rx_sequence)
{
    uint8_t buf[512];
    coap_block2_rx_t rx;
    coap_block_t n;
    tmsg_t t;
    tspec_t s;
    fill_body();
    ck_assert_int_eq(coap_block2_rx_init(&rx, buf, sizeof(buf), 6), 0);
    coap_block2_rx_first(&rx, &n);
    ck_assert_uint_eq(n.num, 0);
    ck_assert_uint_eq(n.szx, 6);
    s = resp_b2(0, 1, 2, body, 64, "e1");
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block2_rx_feed(&rx, &t.m, &n), COAP_B2_NEXT);
    ck_assert_uint_eq(n.num, 1);
    ck_assert_uint_eq(n.more, 0);
    ck_assert_uint_eq(n.szx, 2);
    s = resp_b2(1, 1, 2, body + 64, 64, "e1");
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block2_rx_feed(&rx, &t.m, &n), COAP_B2_NEXT);
    ck_assert_uint_eq(n.num, 2);
    s = resp_b2(2, 0, 2, body + 128, 1, "e1");
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block2_rx_feed(&rx, &t.m, &n), COAP_B2_COMPLETE);
    ck_assert_uint_eq(rx.len, 129);
    ck_assert_mem_eq(buf, body, 129);
    ck_assert_int_eq(coap_block2_rx_feed(&rx, &t.m, &n), COAP_ERR_STATE);
    /* a response without Block2 is the whole body */
    coap_block2_rx_reset(&rx);
    s = resp_b2(0, 0, 0, body, 100, NULL);
    s.block2 = -1;
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block2_rx_feed(&rx, &t.m, &n), COAP_B2_COMPLETE);
    ck_assert_uint_eq(rx.len, 100);
    ck_assert_int_eq(coap_block2_rx_init(&rx, buf, sizeof(buf), 7), COAP_ERR_INVAL);
}
END_TEST

/* §2.4: we prefer smaller blocks than the server's first one. */
START_TEST(test_block2_rx_pref_smaller)
{
    uint8_t buf[512];
    coap_block2_rx_t rx;
    coap_block_t n;
    tmsg_t t;
    tspec_t s;
    fill_body();
    coap_block2_rx_init(&rx, buf, sizeof(buf), 1);
    s = resp_b2(0, 1, 3, body, 128, NULL);
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block2_rx_feed(&rx, &t.m, &n), COAP_B2_NEXT);
    ck_assert_uint_eq(n.num, 4);
    ck_assert_uint_eq(n.szx, 1);
    s = resp_b2(4, 0, 1, body + 128, 20, NULL);
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block2_rx_feed(&rx, &t.m, &n), COAP_B2_COMPLETE);
    ck_assert_mem_eq(buf, body, 148);
}
END_TEST

/* §2.4: ETag must not change; blocks in sequence; bounded by cap. */
START_TEST(test_block2_rx_errors)
{
    uint8_t buf[150];
    coap_block2_rx_t rx;
    coap_block_t n;
    tmsg_t t;
    tspec_t s;
    fill_body();
    coap_block2_rx_init(&rx, buf, sizeof(buf), 6);
    /* ETag changed */
    s = resp_b2(0, 1, 2, body, 64, "v1");
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block2_rx_feed(&rx, &t.m, &n), COAP_B2_NEXT);
    s = resp_b2(1, 1, 2, body + 64, 64, "v2");
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block2_rx_feed(&rx, &t.m, &n), COAP_ERR_BLOCK_ETAG);
    ck_assert_uint_eq(rx.len, 0);
    /* ETag appears */
    s = resp_b2(0, 1, 2, body, 64, NULL);
    tbuild(&t, &s);
    coap_block2_rx_feed(&rx, &t.m, &n);
    s = resp_b2(1, 1, 2, body + 64, 64, "v1");
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block2_rx_feed(&rx, &t.m, &n), COAP_ERR_BLOCK_ETAG);
    /* ETag disappears */
    s = resp_b2(0, 1, 2, body, 64, "v1");
    tbuild(&t, &s);
    coap_block2_rx_feed(&rx, &t.m, &n);
    s = resp_b2(1, 1, 2, body + 64, 64, NULL);
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block2_rx_feed(&rx, &t.m, &n), COAP_ERR_BLOCK_ETAG);
    /* out of sequence: first block not 0, skipped, repeated */
    s = resp_b2(1, 1, 2, body + 64, 64, NULL);
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block2_rx_feed(&rx, &t.m, &n), COAP_ERR_BLOCK_SEQ);
    s = resp_b2(0, 1, 2, body, 64, NULL);
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block2_rx_feed(&rx, &t.m, &n), COAP_B2_NEXT);
    ck_assert_int_eq(coap_block2_rx_feed(&rx, &t.m, &n), COAP_ERR_BLOCK_SEQ);
    coap_block2_rx_feed(&rx, &t.m, &n);
    s = resp_b2(2, 1, 2, body + 128, 64, NULL);
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block2_rx_feed(&rx, &t.m, &n), COAP_ERR_BLOCK_SEQ);
    /* Block2 dropped mid-transfer */
    s = resp_b2(0, 1, 2, body, 64, NULL);
    tbuild(&t, &s);
    coap_block2_rx_feed(&rx, &t.m, &n);
    s.block2 = -1;
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block2_rx_feed(&rx, &t.m, &n), COAP_ERR_BLOCK_SEQ);
    /* larger than the buffer (150) */
    s = resp_b2(0, 1, 2, body, 64, NULL);
    tbuild(&t, &s);
    coap_block2_rx_feed(&rx, &t.m, &n);
    s = resp_b2(1, 1, 2, body + 64, 64, NULL);
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block2_rx_feed(&rx, &t.m, &n), COAP_B2_NEXT);
    s = resp_b2(2, 1, 2, body + 128, 64, NULL);
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block2_rx_feed(&rx, &t.m, &n), COAP_ERR_NOSPACE);
    /* Size2 announces too much */
    s = resp_b2(0, 1, 2, body, 64, NULL);
    s.size2 = 151;
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block2_rx_feed(&rx, &t.m, &n), COAP_ERR_NOSPACE);
    /* M=1 block with the wrong size; SZX 7 */
    s = resp_b2(0, 1, 2, body, 60, NULL);
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block2_rx_feed(&rx, &t.m, &n), COAP_ERR_BLOCK_SIZE);
    s = resp_b2(0, 0, 2, body, 65, NULL);
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block2_rx_feed(&rx, &t.m, &n), COAP_ERR_BLOCK_SIZE);
    s = resp_b2(0, 1, 2, body, 64, NULL);
    s.block2 = 0x0f;
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block2_rx_feed(&rx, &t.m, &n), COAP_ERR_BLOCK_SZX);
    /* whole body without Block2 too large */
    s = resp_b2(0, 0, 0, body, 151, NULL);
    s.block2 = -1;
    tbuild(&t, &s);
    ck_assert_int_eq(coap_block2_rx_feed(&rx, &t.m, &n), COAP_ERR_NOSPACE);
}
END_TEST

/* ---- Both roles against each other ------------------------------------ */

/* Client Block1 upload (client max 1024) to a server preferring 64 bytes,
 * with a Request-Tag, through encoded messages. */
START_TEST(test_e2e_block1)
{
    uint8_t sbuf[2048];
    coap_block1_rx_t rx;
    coap_block1_tx_t tx;
    coap_block_t b, r;
    const uint8_t *p;
    size_t pl;
    tmsg_t t;
    int steps = 0, rc;
    fill_body();
    coap_block1_rx_init(&rx, sbuf, sizeof(sbuf), 64);
    coap_block1_tx_init(&tx, body, 1500, 1024, (const uint8_t *)"\xaa\xbb", 2);
    for (;;) {
        ck_assert_int_lt(++steps, 100);
        ck_assert_int_eq(coap_block1_tx_next(&tx, &b, &p, &pl), 0);
        tspec_t s = req_b1(b.num, b.more, b.szx, p, pl);
        s.tags[0] = "\xaa\xbb";
        s.ntags = 1;
        if (b.num == 0) s.size1 = (int)tx.len;
        tbuild(&t, &s);
        rc = coap_block1_rx_feed(&rx, &t.m, (uint64_t)steps);
        ck_assert(rc == COAP_B1_CONTINUE || rc == COAP_B1_COMPLETE);
        coap_block1_rx_response(&rx, &r);
        tspec_t rs =
            resp_spec(rc == COAP_B1_CONTINUE ? COAP_CONTINUE : COAP_CHANGED, (int)coap_block_encode(&r));
        tbuild(&t, &rs);
        rc = coap_block1_tx_on_response(&tx, &t.m);
        if (rc == COAP_B1TX_DONE) break;
        ck_assert_int_eq(rc, COAP_B1TX_NEXT);
    }
    ck_assert_uint_eq(rx.len, 1500);
    ck_assert_mem_eq(sbuf, body, 1500);
    /* 1024 + (1500 - 1024) / 64 rounded up = 1 + 8 */
    ck_assert_int_eq(steps, 9);
}
END_TEST

/* Server Block2 slicing feeding client Block2 reassembly, client asking
 * for 32-byte blocks, server limited to 256. */
START_TEST(test_e2e_block2)
{
    uint8_t cbuf[4096];
    coap_block2_rx_t rx;
    coap_block_t req, out;
    size_t off, len;
    tmsg_t t;
    int steps = 0, rc;
    fill_body();
    for (uint8_t pref = 0; pref <= 6; pref++) {
        coap_block2_rx_init(&rx, cbuf, sizeof(cbuf), pref);
        coap_block2_rx_first(&rx, &req);
        steps = 0;
        for (;;) {
            ck_assert_int_lt(++steps, 500);
            ck_assert_int_ge(coap_block2_slice(3000, &req, 256, &out, &off, &len), 0);
            tspec_t s = resp_b2(out.num, out.more, out.szx, body + off, len, "tag");
            tbuild(&t, &s);
            rc = coap_block2_rx_feed(&rx, &t.m, &req);
            if (rc == COAP_B2_COMPLETE) break;
            ck_assert_int_eq(rc, COAP_B2_NEXT);
        }
        ck_assert_uint_eq(rx.len, 3000);
        ck_assert_mem_eq(cbuf, body, 3000);
        size_t bs = coap_block_size(pref < 4 ? pref : 4);
        ck_assert_int_eq(steps, (int)((3000 + bs - 1) / bs));
    }
}
END_TEST

static Suite *block_suite(void)
{
    Suite *s = suite_create("coap_block");
    TCase *tc;

    tc = tcase_create("values");
    tcase_add_test(tc, test_block_decode_encode);
    tcase_add_test(tc, test_block_szx_for);
    suite_add_tcase(s, tc);

    tc = tcase_create("server");
    tcase_add_test(tc, test_block2_slice);
    tcase_add_test(tc, test_block1_rx_sequence);
    tcase_add_test(tc, test_block1_rx_gap);
    tcase_add_test(tc, test_block1_rx_cf_tag);
    tcase_add_test(tc, test_block1_rx_too_large);
    tcase_add_test(tc, test_block1_rx_bad_blocks);
    tcase_add_test(tc, test_block1_rx_smaller_szx);
    suite_add_tcase(s, tc);

    tc = tcase_create("client");
    tcase_add_test(tc, test_block1_tx_basic);
    tcase_add_test(tc, test_block1_tx_renegotiate);
    tcase_add_test(tc, test_block1_tx_413);
    tcase_add_test(tc, test_block2_rx_sequence);
    tcase_add_test(tc, test_block2_rx_pref_smaller);
    tcase_add_test(tc, test_block2_rx_errors);
    suite_add_tcase(s, tc);

    tc = tcase_create("end_to_end");
    tcase_add_test(tc, test_e2e_block1);
    tcase_add_test(tc, test_e2e_block2);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(block_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
