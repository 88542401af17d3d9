/*
 * test_der.c — unit tests for bsd/est/der.c: the X.690 length forms
 * (§8.1.3 short and long form, §10.1 minimal lengths, indefinite length
 * refused), nesting, INTEGER encoding (§8.3, §10 minimal), the writer's
 * error handling (buffer full, nesting too deep, close without open) and
 * RFC 5280 §4.1.2.5 times, including the UTCTime/GeneralizedTime switch at
 * 2049/2050 and leap days. Epoch values were checked with `date -u -d`.
 */
#include "bsd/est/der.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Decodes a hex string (spaces allowed) into |out|; returns the byte count. */
static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    for (;;) {
        unsigned v;
        while (*hex == ' ')
            hex++;
        if (!hex[0]) return n;
        ck_assert_int_eq(sscanf(hex, "%2x", &v), 1);
        ck_assert_uint_lt(n, cap);
        out[n++] = (uint8_t)v;
        hex += 2;
    }
}

/* der_next() on the hex input; the TLV lands in |*t| (over static storage). */
static int next_hex(const char *hex, der_tlv_t *t, size_t *left)
{
    static uint8_t buf[512];
    size_t n = unhex(hex, buf, sizeof(buf));
    der_rd_t r = der_rd(buf, n);
    int rc = der_next(&r, t);
    if (left) *left = r.len;
    return rc;
}

START_TEST(test_rd_short_and_long)
{
    der_tlv_t t;
    size_t left;
    ck_assert_int_eq(next_hex("04 03 61 62 63 05 00", &t, &left), 0);
    ck_assert_uint_eq(t.tag, DER_OCTET_STR);
    ck_assert_uint_eq(t.len, 3);
    ck_assert_mem_eq(t.val, "abc", 3);
    ck_assert_uint_eq(t.rawlen, 5);
    ck_assert_uint_eq(left, 2);
    ck_assert_int_eq(next_hex("05 00", &t, &left), 0);
    ck_assert_uint_eq(t.len, 0);
    ck_assert_uint_eq(left, 0);

    /* Long form, one octet (X.690 §8.1.3.5), for 128 content octets. */
    uint8_t buf[300];
    buf[0] = DER_OCTET_STR;
    buf[1] = 0x81;
    buf[2] = 0x80;
    memset(buf + 3, 0x5a, 128);
    der_rd_t r = der_rd(buf, 131);
    ck_assert_int_eq(der_next(&r, &t), 0);
    ck_assert_uint_eq(t.len, 128);
    ck_assert_ptr_eq(t.val, buf + 3);
    ck_assert_uint_eq(r.len, 0);
    ck_assert_int_eq(der_next(&r, &t), 1);

    /* Two length octets for 256. */
    buf[1] = 0x82;
    buf[2] = 0x01;
    buf[3] = 0x00;
    memset(buf + 4, 0, 256);
    r = der_rd(buf, 260);
    ck_assert_int_eq(der_next(&r, &t), 0);
    ck_assert_uint_eq(t.len, 256);
    ck_assert_uint_eq(t.rawlen, 260);
}
END_TEST

START_TEST(test_rd_malformed)
{
    der_tlv_t t;
    /* Each of these must be refused. */
    static const char *const bad[] = {
        "04",                      /* no length */
        "04 03 61 62",             /* value truncated */
        "04 80 00 00",             /* indefinite length (DER forbids, X.690 §10.1) */
        "04 81 7f",                /* long form where short would do */
        "04 81",                   /* length octets missing */
        "04 82 00 80",             /* leading zero length octet */
        "04 82 01",                /* length octets truncated */
        "04 85 00 00 00 00 01 00", /* five length octets */
        "04 84 ff ff ff ff",       /* 4 GiB claimed */
        "1f 01 00",                /* high tag number form */
        "3f 20 00",                /* high tag number form, constructed */
        "9f 81 00",                /* high tag number form, context class */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(next_hex(bad[i], &t, NULL) == -1, "accepted %s", bad[i]);
    /* Empty input is the end, not an error. */
    der_rd_t r = der_rd(NULL, 0);
    ck_assert_int_eq(der_next(&r, &t), 1);
}
END_TEST

START_TEST(test_rd_nesting)
{
    uint8_t buf[64];
    /* SEQUENCE { INTEGER 5, SEQUENCE { NULL } }, BOOLEAN after it. */
    size_t n = unhex("30 07 02 01 05 30 02 05 00 01 01 ff", buf, sizeof(buf));
    der_rd_t r = der_rd(buf, n);
    der_tlv_t seq, t;
    ck_assert_int_eq(der_expect(&r, DER_SEQUENCE, &seq), 0);
    der_rd_t in = der_inside(&seq);
    ck_assert_int_eq(der_peek(&in, DER_INTEGER), 1);
    ck_assert_int_eq(der_peek(&in, DER_SEQUENCE), 0);
    /* A wrong tag leaves the reader where it was. */
    ck_assert_int_eq(der_expect(&in, DER_SEQUENCE, &t), -1);
    ck_assert_uint_eq(in.len, 7);
    ck_assert_int_eq(der_expect(&in, DER_INTEGER, &t), 0);
    uint64_t v;
    ck_assert_int_eq(der_small_uint(&t, &v), 0);
    ck_assert_uint_eq(v, 5);
    ck_assert_int_eq(der_expect(&in, DER_SEQUENCE, &t), 0);
    der_rd_t in2 = der_inside(&t);
    ck_assert_int_eq(der_expect(&in2, DER_NULL, &t), 0);
    ck_assert_int_eq(der_next(&in2, &t), 1);
    ck_assert_int_eq(der_next(&in, &t), 1);
    ck_assert_int_eq(der_expect(&in, DER_NULL, &t), -1); /* at the end */
    ck_assert_int_eq(der_expect(&r, DER_BOOLEAN, &t), 0);
    ck_assert_int_eq(der_next(&r, &t), 1);
    ck_assert_int_eq(der_peek(&r, DER_BOOLEAN), 0);

    /* An inner element claiming more than its parent holds is refused even
     * though the bytes exist in the buffer after the parent. */
    n = unhex("30 03 04 05 61 62 63 64 65", buf, sizeof(buf));
    r = der_rd(buf, n);
    ck_assert_int_eq(der_expect(&r, DER_SEQUENCE, &seq), 0);
    in = der_inside(&seq);
    ck_assert_int_eq(der_next(&in, &t), -1);
}
END_TEST

START_TEST(test_small_uint_and_oid)
{
    der_tlv_t t;
    uint64_t v;
    static const struct {
        const char *hex;
        int rc;
        uint64_t v;
    } cases[] = {
        {"02 01 00", 0, 0},
        {"02 01 7f", 0, 127},
        {"02 02 00 80", 0, 128},
        {"02 02 01 00", 0, 256},
        {"02 08 7f ff ff ff ff ff ff ff", 0, 0x7fffffffffffffffULL},
        {"02 09 00 80 00 00 00 00 00 00 00", -1, 0}, /* 2^63: 64 bits */
        {"02 02 00 7f", -1, 0},                      /* not minimal */
        {"02 01 80", -1, 0},                         /* negative */
        {"02 02 ff 7f", -1, 0},                      /* negative */
        {"02 00", -1, 0},                            /* empty */
        {"04 01 05", -1, 0},                         /* not an INTEGER */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ck_assert_int_eq(next_hex(cases[i].hex, &t, NULL), 0);
        v = 12345;
        ck_assert_msg(der_small_uint(&t, &v) == cases[i].rc, "%s", cases[i].hex);
        if (cases[i].rc == 0) ck_assert_uint_eq(v, cases[i].v);
    }

    static const uint8_t ecpub[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01}; /* 1.2.840.10045.2.1 */
    ck_assert_int_eq(next_hex("06 07 2a 86 48 ce 3d 02 01", &t, NULL), 0);
    ck_assert_int_eq(der_oid_is(&t, ecpub, sizeof(ecpub)), 1);
    ck_assert_int_eq(der_oid_is(&t, ecpub, sizeof(ecpub) - 1), 0);
    ck_assert_int_eq(next_hex("04 07 2a 86 48 ce 3d 02 01", &t, NULL), 0);
    ck_assert_int_eq(der_oid_is(&t, ecpub, sizeof(ecpub)), 0); /* same bytes, not an OID */
}
END_TEST

static void assert_hex(const der_wr_t *w, const char *hex)
{
    uint8_t want[256];
    size_t n = unhex(hex, want, sizeof(want));
    ck_assert_int_eq(der_wr_finish(w), (long)n);
    ck_assert_mem_eq(w->buf, want, n);
}

START_TEST(test_wr_integers)
{
    uint8_t buf[64];
    der_wr_t w;
    static const struct {
        uint64_t v;
        const char *hex;
    } cases[] = {
        {0, "02 01 00"},
        {127, "02 01 7f"},
        {128, "02 02 00 80"},
        {256, "02 02 01 00"},
        {0x7fffffffffffffffULL, "02 08 7f ff ff ff ff ff ff ff"},
        {UINT64_MAX, "02 09 00 ff ff ff ff ff ff ff ff"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        der_wr_init(&w, buf, sizeof(buf));
        der_wr_uint(&w, cases[i].v);
        assert_hex(&w, cases[i].hex);
        /* And back, where it fits 63 bits. */
        if (cases[i].v <= 0x7fffffffffffffffULL) {
            der_rd_t r = der_rd(buf, (size_t)der_wr_finish(&w));
            der_tlv_t t;
            uint64_t v;
            ck_assert_int_eq(der_expect(&r, DER_INTEGER, &t), 0);
            ck_assert_int_eq(der_small_uint(&t, &v), 0);
            ck_assert_uint_eq(v, cases[i].v);
        }
    }
    /* Big-endian input: leading zeros dropped, a sign octet added. */
    static const uint8_t serial[] = {0x00, 0x00, 0x9a, 0x01};
    der_wr_init(&w, buf, sizeof(buf));
    der_wr_uint_be(&w, serial, sizeof(serial));
    assert_hex(&w, "02 03 00 9a 01");
    static const uint8_t zeros[] = {0, 0, 0};
    der_wr_init(&w, buf, sizeof(buf));
    der_wr_uint_be(&w, zeros, sizeof(zeros));
    der_wr_uint_be(&w, zeros, 0);
    assert_hex(&w, "02 01 00 02 01 00");

    static const uint8_t oid[] = {0x55, 0x04, 0x03};
    der_wr_init(&w, buf, sizeof(buf));
    der_wr_oid(&w, oid, sizeof(oid));
    der_wr_bits(&w, "\x04\x01", 2);
    der_wr_true(&w);
    der_wr_prim(&w, DER_NULL, NULL, 0);
    der_wr_raw(&w, "\x05\x00", 2);
    assert_hex(&w, "06 03 55 04 03 03 03 00 04 01 01 01 ff 05 00 05 00");
}
END_TEST

/* Writes SEQUENCE { OCTET STRING of |n| bytes } and reads it back. */
static void wr_nested(size_t n, const char *hdr)
{
    static uint8_t body[70000], buf[70100];
    for (size_t i = 0; i < n; i++)
        body[i] = (uint8_t)i;
    der_wr_t w;
    der_wr_init(&w, buf, sizeof(buf));
    der_wr_open(&w, DER_SEQUENCE);
    der_wr_prim(&w, DER_OCTET_STR, body, n);
    der_wr_close(&w);
    long len = der_wr_finish(&w);
    ck_assert_int_gt(len, 0);
    uint8_t want[16];
    size_t hn = unhex(hdr, want, sizeof(want));
    ck_assert_mem_eq(buf, want, hn);

    der_rd_t r = der_rd(buf, (size_t)len);
    der_tlv_t seq, t;
    ck_assert_int_eq(der_expect(&r, DER_SEQUENCE, &seq), 0);
    ck_assert_int_eq(der_next(&r, &t), 1);
    der_rd_t in = der_inside(&seq);
    ck_assert_int_eq(der_expect(&in, DER_OCTET_STR, &t), 0);
    ck_assert_uint_eq(t.len, n);
    ck_assert_mem_eq(t.val, body, n);
    ck_assert_uint_eq(in.len, 0);
}

START_TEST(test_wr_open_close_lengths)
{
    wr_nested(0, "30 02 04 00");
    wr_nested(125, "30 7f 04 7d");
    wr_nested(126, "30 81 80 04 7e");
    wr_nested(127, "30 81 81 04 7f");
    wr_nested(128, "30 81 83 04 81 80");
    wr_nested(252, "30 81 ff 04 81 fc");
    wr_nested(253, "30 82 01 00 04 81 fd");
    wr_nested(65531, "30 82 ff ff 04 82 ff fb");
    wr_nested(65532, "30 83 01 00 00 04 82 ff fc");
    wr_nested(65536, "30 83 01 00 05 04 83 01 00 00");
}
END_TEST

START_TEST(test_wr_depth_and_misuse)
{
    uint8_t buf[128];
    der_wr_t w;
    der_wr_init(&w, buf, sizeof(buf));
    for (int i = 0; i < DER_WR_DEPTH; i++)
        der_wr_open(&w, DER_SEQUENCE);
    der_wr_prim(&w, DER_NULL, NULL, 0);
    for (int i = 0; i < DER_WR_DEPTH; i++)
        der_wr_close(&w);
    ck_assert_int_eq(der_wr_finish(&w), 2 * DER_WR_DEPTH + 2);
    /* Read all the way down again. */
    der_rd_t r = der_rd(buf, (size_t)der_wr_finish(&w));
    der_tlv_t t;
    for (int i = 0; i < DER_WR_DEPTH; i++) {
        ck_assert_int_eq(der_expect(&r, DER_SEQUENCE, &t), 0);
        ck_assert_uint_eq(t.len, 2 * (DER_WR_DEPTH - 1 - i) + 2);
        r = der_inside(&t);
    }
    ck_assert_int_eq(der_expect(&r, DER_NULL, &t), 0);

    der_wr_init(&w, buf, sizeof(buf));
    for (int i = 0; i <= DER_WR_DEPTH; i++)
        der_wr_open(&w, DER_SEQUENCE);
    ck_assert_int_eq(der_wr_finish(&w), -1);

    der_wr_init(&w, buf, sizeof(buf));
    der_wr_prim(&w, DER_NULL, NULL, 0);
    der_wr_close(&w);
    ck_assert_int_eq(der_wr_finish(&w), -1);
    /* Sticky: later writes do not clear it. */
    der_wr_prim(&w, DER_NULL, NULL, 0);
    ck_assert_int_eq(der_wr_finish(&w), -1);

    der_wr_init(&w, buf, sizeof(buf));
    der_wr_open(&w, DER_SET);
    ck_assert_int_eq(der_wr_finish(&w), -1); /* still open */
    der_wr_close(&w);
    ck_assert_int_eq(der_wr_finish(&w), 2);
}
END_TEST

/* A structure exercising every writer call; returns its encoded length. */
static long wr_sample(uint8_t *buf, size_t cap)
{
    static const uint8_t big[200] = {0x80};
    der_wr_t w;
    der_wr_init(&w, buf, cap);
    der_wr_open(&w, DER_SEQUENCE);
    der_wr_uint(&w, 0x1234);
    der_wr_open(&w, DER_CTX_CONS(0));
    der_wr_prim(&w, DER_OCTET_STR, big, 100);
    der_wr_close(&w);
    der_wr_uint_be(&w, big, sizeof(big));
    der_wr_time(&w, 2524608000LL);
    der_wr_bits(&w, big, 3);
    der_wr_true(&w);
    der_wr_raw(&w, "\x05\x00", 2);
    der_wr_close(&w);
    return der_wr_finish(&w);
}

START_TEST(test_wr_buffer_full)
{
    uint8_t full[512], buf[512];
    long need = wr_sample(full, sizeof(full));
    ck_assert_int_gt(need, 300);
    /* Every smaller buffer fails, and nothing is written past its end. */
    for (long cap = 0; cap < need; cap++) {
        memset(buf, 0xee, sizeof(buf));
        ck_assert_msg(wr_sample(buf, (size_t)cap) == -1, "cap %ld", cap);
        for (size_t i = (size_t)cap; i < sizeof(buf); i++)
            ck_assert_uint_eq(buf[i], 0xee);
    }
    ck_assert_int_eq(wr_sample(buf, (size_t)need), need);
    ck_assert_mem_eq(buf, full, (size_t)need);
}
END_TEST

/* Writes |secs|, checks the text and tag, reads it back. */
static void time_rt(int64_t secs, uint8_t tag, const char *text)
{
    uint8_t buf[32];
    der_wr_t w;
    der_wr_init(&w, buf, sizeof(buf));
    der_wr_time(&w, secs);
    long n = der_wr_finish(&w);
    ck_assert_int_eq(n, (long)(2 + strlen(text)));
    ck_assert_uint_eq(buf[0], tag);
    ck_assert_uint_eq(buf[1], strlen(text));
    ck_assert_mem_eq(buf + 2, text, strlen(text));
    der_rd_t r = der_rd(buf, (size_t)n);
    der_tlv_t t;
    int64_t back = 0;
    ck_assert_int_eq(der_next(&r, &t), 0);
    ck_assert_int_eq(der_time(&t, &back), 0);
    ck_assert_int_eq(back, secs);
}

START_TEST(test_time_boundaries)
{
    time_rt(0, DER_UTCTIME, "700101000000Z");
    time_rt(-631152001LL, DER_GENTIME, "19491231235959Z");
    time_rt(-631152000LL, DER_UTCTIME, "500101000000Z");
    time_rt(2524607999LL, DER_UTCTIME, "491231235959Z");
    time_rt(2524608000LL, DER_GENTIME, "20500101000000Z");
    time_rt(951782400LL, DER_UTCTIME, "000229000000Z");
    time_rt(1709210096LL, DER_UTCTIME, "240229123456Z");
    time_rt(253402300799LL, DER_GENTIME, "99991231235959Z");
    time_rt(-62167219200LL, DER_GENTIME, "00000101000000Z");

    /* Outside 0000-9999 the writer fails rather than writing garbage. */
    uint8_t buf[32];
    der_wr_t w;
    der_wr_init(&w, buf, sizeof(buf));
    der_wr_time(&w, 253402300800LL);
    ck_assert_int_eq(der_wr_finish(&w), -1);
    der_wr_init(&w, buf, sizeof(buf));
    der_wr_time(&w, -62167219201LL);
    ck_assert_int_eq(der_wr_finish(&w), -1);
}
END_TEST

/* der_time() of a primitive with |tag| and text |s|. */
static int parse_time(uint8_t tag, const char *s, int64_t *secs)
{
    der_tlv_t t = {.tag = tag, .val = (const uint8_t *)s, .len = strlen(s)};
    t.raw = t.val;
    t.rawlen = t.len;
    return der_time(&t, secs);
}

START_TEST(test_time_parse)
{
    int64_t s;
    ck_assert_int_eq(parse_time(DER_GENTIME, "20000229000000Z", &s), 0);
    ck_assert_int_eq(s, 951782400LL);
    ck_assert_int_eq(parse_time(DER_UTCTIME, "491231235959Z", &s), 0);
    ck_assert_int_eq(s, 2524607999LL);
    ck_assert_int_eq(parse_time(DER_UTCTIME, "500101000000Z", &s), 0);
    ck_assert_int_eq(s, -631152000LL);
    /* GeneralizedTime for a year UTCTime could carry is still read. */
    ck_assert_int_eq(parse_time(DER_GENTIME, "20240229123456Z", &s), 0);
    ck_assert_int_eq(s, 1709210096LL);

    static const struct {
        uint8_t tag;
        const char *s;
    } bad[] = {
        {DER_UTCTIME, "230229000000Z"},     /* 2023 is not a leap year */
        {DER_GENTIME, "21000229000000Z"},   /* 2100 is not a leap year */
        {DER_GENTIME, "19000229000000Z"},   /* nor 1900 */
        {DER_UTCTIME, "241301000000Z"},     /* month 13 */
        {DER_UTCTIME, "240001000000Z"},     /* month 0 */
        {DER_UTCTIME, "240100000000Z"},     /* day 0 */
        {DER_UTCTIME, "240431000000Z"},     /* 31 April */
        {DER_UTCTIME, "240101240000Z"},     /* hour 24 */
        {DER_UTCTIME, "240101006000Z"},     /* minute 60 */
        {DER_UTCTIME, "240101000060Z"},     /* leap second */
        {DER_UTCTIME, "2401010000Z"},       /* seconds missing */
        {DER_UTCTIME, "240101000000"},      /* Z missing */
        {DER_UTCTIME, "240101000000+0100"}, /* offset */
        {DER_UTCTIME, "24010100000aZ"},     /* not a digit */
        {DER_UTCTIME, "24-101000000Z"},     /* sign inside */
        {DER_GENTIME, "20240101000000.5Z"}, /* fraction */
        {DER_GENTIME, "240101000000Z"},     /* two-digit year */
        {DER_UTCTIME, "20240101000000Z"},   /* four-digit year */
        {DER_OCTET_STR, "240101000000Z"},   /* not a time */
        {DER_UTCTIME, ""},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        ck_assert_msg(parse_time(bad[i].tag, bad[i].s, &s) == -1, "accepted %s", bad[i].s);
}
END_TEST

/* The writer against the C library's calendar over 1901-2100. */
START_TEST(test_time_vs_gmtime)
{
    for (int64_t secs = -2147483648LL; secs < 4102444800LL; secs += 86400LL * 29 + 3671) {
        time_t tt = (time_t)secs;
        struct tm tm;
        ck_assert_ptr_nonnull(gmtime_r(&tt, &tm));
        int year = tm.tm_year + 1900;
        char want[64];
        if (year >= 1950 && year <= 2049)
            snprintf(want, sizeof(want), "%02d%02d%02d%02d%02d%02dZ", year % 100, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec);
        else
            snprintf(want, sizeof(want), "%04d%02d%02d%02d%02d%02dZ", year, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec);
        time_rt(secs, year >= 1950 && year <= 2049 ? DER_UTCTIME : DER_GENTIME, want);
    }
}
END_TEST

static Suite *der_suite(void)
{
    Suite *s = suite_create("der");
    TCase *tc = tcase_create("reader");
    tcase_add_test(tc, test_rd_short_and_long);
    tcase_add_test(tc, test_rd_malformed);
    tcase_add_test(tc, test_rd_nesting);
    tcase_add_test(tc, test_small_uint_and_oid);
    suite_add_tcase(s, tc);
    tc = tcase_create("writer");
    tcase_add_test(tc, test_wr_integers);
    tcase_add_test(tc, test_wr_open_close_lengths);
    tcase_add_test(tc, test_wr_depth_and_misuse);
    tcase_add_test(tc, test_wr_buffer_full);
    suite_add_tcase(s, tc);
    tc = tcase_create("time");
    tcase_add_test(tc, test_time_boundaries);
    tcase_add_test(tc, test_time_parse);
    tcase_add_test(tc, test_time_vs_gmtime);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(der_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
