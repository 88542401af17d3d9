/*
 * test_cbor.c — unit tests for bsd/lwm2m/cbor.c: RFC 8949 Appendix A
 * examples (decode, and encode where preferred serialization yields the
 * listed bytes), RFC 8949 Appendix F malformed examples with the exact error
 * code, the nesting limit, skipping, and writer bounds.
 */
#include "bsd/lwm2m/cbor.h"

#include <check.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static void assert_hex(const cbor_writer_t *w, const char *hex)
{
    uint8_t want[64];
    size_t n = unhex(hex, want, sizeof want);
    ck_assert_int_eq(cbor_writer_result(w), (int)n);
    ck_assert_msg(memcmp(w->buf, want, n) == 0, "encoding differs from %s", hex);
}

/* Reads one top-level scalar from |hex| and checks the input is consumed. */
static cbor_item_t read1(const char *hex)
{
    static uint8_t in[64];
    cbor_reader_t r;
    cbor_item_t it, end;
    size_t n = unhex(hex, in, sizeof in);
    cbor_reader_init(&r, in, n);
    ck_assert_int_eq(cbor_next(&r, &it), 0);
    ck_assert_int_eq(cbor_next(&r, &end), 0);
    ck_assert_int_eq(end.type, CBOR_T_END);
    ck_assert(cbor_reader_done(&r));
    return it;
}

/* Walks |hex| to the end; returns the number of items or the error. */
static int walk(const char *hex)
{
    static uint8_t in[600];
    cbor_reader_t r;
    cbor_item_t it;
    size_t n = unhex(hex, in, sizeof in);
    int count = 0, rc;
    cbor_reader_init(&r, in, n);
    for (;;) {
        unsigned before = cbor_depth(&r);
        if ((rc = cbor_next(&r, &it)) < 0) return rc;
        if (it.type == CBOR_T_END && before == 0) {
            ck_assert(cbor_reader_done(&r));
            return count;
        }
        count++;
        ck_assert_int_lt(count, 10000);
    }
}

/* ---- RFC 8949 Appendix A ---- */

START_TEST(test_integers)
{
    static const struct {
        const char *hex;
        int64_t v;
        bool preferred; /* our encoder produces exactly |hex| */
    } cases[] = {
        {"00", 0, true},
        {"01", 1, true},
        {"0a", 10, true},
        {"17", 23, true},
        {"1818", 24, true},
        {"1819", 25, true},
        {"1864", 100, true},
        {"1903e8", 1000, true},
        {"1a000f4240", 1000000, true},
        {"1b000000e8d4a51000", 1000000000000LL, true},
        {"20", -1, true},
        {"29", -10, true},
        {"3863", -100, true},
        {"3903e7", -1000, true},
        {"18ff", 255, true},
        {"190100", 256, true},
        {"19ffff", 65535, true},
        {"1a00010000", 65536, true},
        {"1affffffff", 4294967295LL, true},
        {"1b0000000100000000", 4294967296LL, true},
        {"37", -24, true},
        {"3818", -25, true},
        {"38ff", -256, true},
        {"390100", -257, true},
        {"3a7fffffff", -2147483648LL, true},
        {"3b7fffffffffffffff", INT64_MIN, true},
        {"1b7fffffffffffffff", INT64_MAX, true},
        {"1800", 0, false}, /* non-preferred forms decode */
        {"1b0000000000000001", 1, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cbor_item_t it = read1(cases[i].hex);
        int64_t v;
        ck_assert_int_eq(cbor_item_int64(&it, &v), 0);
        ck_assert_int_eq(v, cases[i].v);
        if (cases[i].preferred) {
            uint8_t buf[16];
            cbor_writer_t w;
            cbor_writer_init(&w, buf, sizeof buf);
            ck_assert_int_eq(cbor_put_int(&w, cases[i].v), 0);
            assert_hex(&w, cases[i].hex);
        }
    }
    /* beyond int64_t */
    cbor_item_t it = read1("1bffffffffffffffff");
    int64_t v;
    ck_assert_int_eq(it.type, CBOR_T_UINT);
    ck_assert(it.u == UINT64_MAX);
    ck_assert_int_eq(cbor_item_int64(&it, &v), LWM2M_ERR_RANGE);
    it = read1("3bffffffffffffffff"); /* -18446744073709551616 */
    ck_assert_int_eq(it.type, CBOR_T_NEGINT);
    ck_assert(it.u == UINT64_MAX);
    ck_assert_int_eq(cbor_item_int64(&it, &v), LWM2M_ERR_RANGE);
    it = read1("1b8000000000000000");
    ck_assert_int_eq(cbor_item_int64(&it, &v), LWM2M_ERR_RANGE);
    it = read1("f4");
    ck_assert_int_eq(cbor_item_int64(&it, &v), LWM2M_ERR_TYPE);
    uint8_t buf[32];
    cbor_writer_t w;
    cbor_writer_init(&w, buf, sizeof buf);
    cbor_put_uint(&w, UINT64_MAX);
    cbor_put_negint(&w, UINT64_MAX);
    cbor_put_negint(&w, 0);
    assert_hex(&w, "1bffffffffffffffff 3bffffffffffffffff 20");
}
END_TEST

START_TEST(test_floats)
{
    static const struct {
        const char *hex;
        double v;
        bool preferred;
    } cases[] = {
        {"f90000", 0.0, true},
        {"f98000", -0.0, true},
        {"f93c00", 1.0, true},
        {"fb3ff199999999999a", 1.1, true},
        {"f93e00", 1.5, true},
        {"f97bff", 65504.0, true},
        {"fa47c35000", 100000.0, true},
        {"fa7f7fffff", 3.4028234663852886e+38, true},
        {"fb7e37e43c8800759c", 1.0e+300, true},
        {"f90001", 5.960464477539063e-8, true},
        {"f90400", 0.00006103515625, true},
        {"f9c400", -4.0, true},
        {"fbc010666666666666", -4.1, true},
        {"fa3f800000", 1.0, false},
        {"fb3ff0000000000000", 1.0, false},
        /* boundaries of our shortest-form choice (not in Appendix A) */
        {"fa47800000", 0x1p16, true},           /* 65536: beyond half's range */
        {"f97bff", 65504.0, true},              /* largest half */
        {"fa477fe100", 65505.0, true},          /* needs more mantissa bits than half has */
        {"f90200", 0x1p-15, true},              /* half subnormal */
        {"fa33000000", 0x1p-25, true},          /* below the smallest half subnormal */
        {"fa33c00000", 0x1.8p-24, true},        /* 1.5 * 2^-24: not a half subnormal */
        {"fa00000001", 0x1p-149, true},         /* smallest single subnormal */
        {"fb3690000000000000", 0x1p-150, true}, /* below single */
        {"fb0000000000000001", 0x1p-1074, true},
        {"fb47f0000000000000", 0x1p128, true}, /* beyond single */
        {"fa7f7fffff", FLT_MAX, true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cbor_item_t it = read1(cases[i].hex);
        ck_assert_int_eq(it.type, CBOR_T_FLOAT);
        ck_assert_msg(memcmp(&it.f, &cases[i].v, sizeof it.f) == 0, "%s: %.17g", cases[i].hex, it.f);
        if (cases[i].preferred) {
            uint8_t buf[16];
            cbor_writer_t w;
            cbor_writer_init(&w, buf, sizeof buf);
            ck_assert_int_eq(cbor_put_float(&w, cases[i].v), 0);
            assert_hex(&w, cases[i].hex);
        }
    }
    static const struct {
        const char *hex;
        int kind; /* 1 +inf, -1 -inf, 0 NaN */
    } special[] = {
        {"f97c00", 1},
        {"f97e00", 0},
        {"f9fc00", -1},
        {"fa7f800000", 1},
        {"fa7fc00000", 0},
        {"faff800000", -1},
        {"fb7ff0000000000000", 1},
        {"fb7ff8000000000000", 0},
        {"fbfff0000000000000", -1},
    };
    for (size_t i = 0; i < sizeof special / sizeof special[0]; i++) {
        cbor_item_t it = read1(special[i].hex);
        uint8_t buf[16];
        cbor_writer_t w;
        if (special[i].kind == 0)
            ck_assert(isnan(it.f));
        else
            ck_assert(isinf(it.f) && (it.f > 0) == (special[i].kind > 0));
        cbor_writer_init(&w, buf, sizeof buf);
        cbor_put_float(&w, it.f);
        assert_hex(&w, special[i].kind == 0 ? "f97e00" : special[i].kind > 0 ? "f97c00" : "f9fc00");
    }
}
END_TEST

START_TEST(test_simple_and_strings)
{
    ck_assert_int_eq(read1("f4").type, CBOR_T_FALSE);
    ck_assert_int_eq(read1("f5").type, CBOR_T_TRUE);
    ck_assert_int_eq(read1("f6").type, CBOR_T_NULL);
    ck_assert_int_eq(read1("f7").type, CBOR_T_UNDEFINED);
    cbor_item_t it = read1("f0");
    ck_assert_int_eq(it.type, CBOR_T_SIMPLE);
    ck_assert_uint_eq(it.u, 16);
    it = read1("f8ff");
    ck_assert_int_eq(it.type, CBOR_T_SIMPLE);
    ck_assert_uint_eq(it.u, 255);
    it = read1("40");
    ck_assert_int_eq(it.type, CBOR_T_BYTES);
    ck_assert_uint_eq(it.str.len, 0);
    it = read1("4401020304");
    ck_assert_uint_eq(it.str.len, 4);
    ck_assert_int_eq(it.str.p[3], 4);
    it = read1("60");
    ck_assert_int_eq(it.type, CBOR_T_TEXT);
    ck_assert_uint_eq(it.str.len, 0);
    it = read1("6449455446");
    ck_assert_uint_eq(it.str.len, 4);
    ck_assert(memcmp(it.str.p, "IETF", 4) == 0);
    it = read1("62c3bc"); /* "\u00fc" */
    ck_assert_uint_eq(it.str.len, 2);

    uint8_t buf[64];
    cbor_writer_t w;
    cbor_writer_init(&w, buf, sizeof buf);
    cbor_put_bool(&w, false);
    cbor_put_bool(&w, true);
    cbor_put_null(&w);
    cbor_put_bytes(&w, NULL, 0);
    cbor_put_bytes(&w, "\x01\x02\x03\x04", 4);
    cbor_put_text(&w, "", 0);
    cbor_put_text(&w, "IETF", 4);
    assert_hex(&w, "f4f5f6404401020304606449455446");
}
END_TEST

START_TEST(test_containers)
{
    /* [1, [2, 3], [4, 5]] */
    uint8_t in[64];
    size_t n = unhex("8301820203820405", in, sizeof in);
    cbor_reader_t r;
    cbor_item_t it;
    static const cbor_type_t want[] = {CBOR_T_ARRAY, CBOR_T_UINT,  CBOR_T_ARRAY, CBOR_T_UINT, CBOR_T_UINT,
                                       CBOR_T_END,   CBOR_T_ARRAY, CBOR_T_UINT,  CBOR_T_UINT, CBOR_T_END,
                                       CBOR_T_END,   CBOR_T_END,   CBOR_T_END};
    static const unsigned depth[] = {1, 1, 2, 2, 2, 1, 2, 2, 2, 1, 0, 0, 0};
    cbor_reader_init(&r, in, n);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        ck_assert_int_eq(cbor_next(&r, &it), 0);
        ck_assert_int_eq(it.type, want[i]);
        ck_assert_uint_eq(cbor_depth(&r), depth[i]);
    }
    ck_assert(cbor_reader_done(&r));

    /* item counts include one END per container */
    ck_assert_int_eq(walk("80"), 2);
    ck_assert_int_eq(walk("a0"), 2);
    ck_assert_int_eq(walk("83010203"), 5);
    ck_assert_int_eq(walk("98190102030405060708090a0b0c0d0e0f101112131415161718181819"), 27);
    ck_assert_int_eq(walk("a201020304"), 6);
    ck_assert_int_eq(walk("a26161016162820203"), 9);
    ck_assert_int_eq(walk("826161a161626163"), 7);
    ck_assert_int_eq(walk("a56161614161626142616361436164614461656145"), 12);
    /* tags: 0("2013-03-21T20:04:00Z"), 1(1363896240), 23(h'01020304'), 32("http://www.example.com") */
    ck_assert_int_eq(walk("c074323031332d30332d32315432303a30343a30305a"), 2);
    ck_assert_int_eq(walk("c11a514b67b0"), 2);
    ck_assert_int_eq(walk("d74401020304"), 2);
    ck_assert_int_eq(walk("d82076687474703a2f2f7777772e6578616d706c652e636f6d"), 2);
    ck_assert_int_eq(walk("c1c1c101"), 4); /* tags of tags */
    ck_assert_int_eq(walk("81c101"), 4);   /* a tagged item fills one array slot */
    /* indefinite-length arrays and maps */
    ck_assert_int_eq(walk("9fff"), 2);
    ck_assert_int_eq(walk("9f018202039f0405ffff"), 11);
    ck_assert_int_eq(walk("9f01820203820405ff"), 11);
    ck_assert_int_eq(walk("83018202039f0405ff"), 11);
    ck_assert_int_eq(walk("83019f0203ff820405"), 11);
    ck_assert_int_eq(walk("9f0102030405060708090a0b0c0d0e0f101112131415161718181819ff"), 27);
    ck_assert_int_eq(walk("bf61610161629f0203ffff"), 9);
    ck_assert_int_eq(walk("826161bf61626163ff"), 7);
    ck_assert_int_eq(walk("bf6346756ef563416d7421ff"), 6);
    /* a CBOR sequence of two items (RFC 8742) */
    ck_assert_int_eq(walk("0102"), 2);
    ck_assert_int_eq(walk(""), 0);

    uint8_t buf[64];
    cbor_writer_t w;
    cbor_writer_init(&w, buf, sizeof buf);
    cbor_put_array(&w, 3);
    cbor_put_uint(&w, 1);
    cbor_put_array(&w, 2);
    cbor_put_uint(&w, 2);
    cbor_put_uint(&w, 3);
    cbor_put_map(&w, 1);
    cbor_put_text(&w, "a", 1);
    cbor_put_tag(&w, 32);
    cbor_put_int(&w, -1);
    assert_hex(&w, "83018202 03a16161d82020");
}
END_TEST

START_TEST(test_skip)
{
    uint8_t in[64];
    cbor_reader_t r;
    cbor_item_t it;
    /* [ {1: [2, 3]}, 6(7(h'00')), 9, [_ 1, [_ ]] ] skipped item by item */
    size_t n = unhex("84a101820203c6c74100099f019fffff", in, sizeof in);
    cbor_reader_init(&r, in, n);
    ck_assert_int_eq(cbor_next(&r, &it), 0);
    ck_assert_int_eq(it.type, CBOR_T_ARRAY);
    ck_assert_int_eq(cbor_skip(&r), 0);
    ck_assert_int_eq(cbor_skip(&r), 0);
    ck_assert_int_eq(cbor_next(&r, &it), 0);
    ck_assert_int_eq(it.type, CBOR_T_UINT);
    ck_assert_int_eq(cbor_skip(&r), 0);
    ck_assert_uint_eq(cbor_depth(&r), 1);
    ck_assert_int_eq(cbor_skip(&r), LWM2M_ERR_FORMAT); /* nothing left in the array */
    cbor_reader_init(&r, in, n);
    ck_assert_int_eq(cbor_skip(&r), 0); /* the whole thing */
    ck_assert(cbor_reader_done(&r));
    ck_assert_int_eq(cbor_skip(&r), LWM2M_ERR_FORMAT);
    /* errors inside a skipped item surface */
    n = unhex("82018302", in, sizeof in);
    cbor_reader_init(&r, in, n);
    ck_assert_int_eq(cbor_skip(&r), LWM2M_ERR_FORMAT);
}
END_TEST

/* ---- malformed (RFC 8949 Appendix F.1) ---- */

START_TEST(test_malformed)
{
    static const char *format[] = {
        /* end of input in a head */
        "18",
        "19",
        "1a",
        "1b",
        "1901",
        "1a0102",
        "1b01020304050607",
        "38",
        "58",
        "78",
        "98",
        "9a01ff00",
        "b8",
        "d8",
        "f8",
        "f900",
        "fa0000",
        "fb000000",
        /* definite-length strings with short data */
        "41",
        "61",
        "5affffffff00",
        "5bffffffffffffffff010203",
        "7affffffff00",
        "7b7fffffffffffffff010203",
        /* definite-length containers with short data */
        "81",
        "818181818181818181",
        "8200",
        "a1",
        "a20102",
        "a100",
        "a2000000",
        /* tag number not followed by content */
        "c0",
        "81c0",
        /* indefinite-length containers without a break */
        "9f",
        "9f0102",
        "bf",
        "bf01020102",
        "819f",
        "9f8000",
        "9f9f9f9f9fffffffff",
        "9f819f819f9fffffff",
        /* reserved additional information */
        "1c",
        "1d",
        "1e",
        "3c",
        "3d",
        "3e",
        "5c",
        "5d",
        "5e",
        "7c",
        "7d",
        "7e",
        "9c",
        "9d",
        "9e",
        "bc",
        "bd",
        "be",
        "dc",
        "dd",
        "de",
        "fc",
        "fd",
        "fe",
        /* indefinite length where none exists */
        "1f",
        "3f",
        "df",
        /* breaks out of place */
        "ff",
        "81ff",
        "8200ff",
        "a1ff",
        "a1ff00",
        "a100ff",
        "a20000ff",
        "9f81ff",
        "9f829f819f9fffffffff",
        "bf00ff",
        "bf000000ff",
        /* two-byte simple values below 32 */
        "f800",
        "f801",
        "f818",
        "f81f",
        /* a count larger than the remaining input */
        "9bffffffffffffffff",
        "bbffffffffffffffff",
        "83",
        "a2",
    };
    for (size_t i = 0; i < sizeof format / sizeof format[0]; i++)
        ck_assert_msg(walk(format[i]) == LWM2M_ERR_FORMAT, "%s: %d", format[i], walk(format[i]));
    /* indefinite-length strings are well-formed but not supported */
    ck_assert_int_eq(walk("5f42010243030405ff"), LWM2M_ERR_TYPE);
    ck_assert_int_eq(walk("7f657374726561646d696e67ff"), LWM2M_ERR_TYPE);
    ck_assert_int_eq(walk("5fff"), LWM2M_ERR_TYPE);
}
END_TEST

START_TEST(test_depth_limit)
{
    char hex[128] = "";
    for (int i = 0; i < CBOR_MAX_DEPTH - 1; i++)
        strcat(hex, "81");
    strcat(hex, "80");
    ck_assert_int_eq(walk(hex), 2 * CBOR_MAX_DEPTH);
    hex[0] = 0;
    for (int i = 0; i < CBOR_MAX_DEPTH; i++)
        strcat(hex, "81");
    strcat(hex, "80");
    ck_assert_int_eq(walk(hex), LWM2M_ERR_LIMIT);
    hex[0] = 0;
    for (int i = 0; i <= CBOR_MAX_DEPTH; i++)
        strcat(hex, "9f");
    ck_assert_int_eq(walk(hex), LWM2M_ERR_LIMIT);
    /* tags do not count as nesting */
    hex[0] = 0;
    for (int i = 0; i < 50; i++)
        strcat(hex, "c1");
    strcat(hex, "01");
    ck_assert_int_eq(walk(hex), 51);
}
END_TEST

START_TEST(test_writer_bounds)
{
    uint8_t buf[32];
    cbor_writer_t w;
    /* [h'0102', "ab", 1000, -1000, 1.1] is 1+3+3+3+3+9 = 22 bytes */
    for (size_t cap = 0; cap <= 22; cap++) {
        cbor_writer_init(&w, buf, cap);
        cbor_put_array(&w, 5);
        cbor_put_bytes(&w, "\x01\x02", 2);
        cbor_put_text(&w, "ab", 2);
        cbor_put_uint(&w, 1000);
        cbor_put_int(&w, -1000);
        int rc = cbor_put_float(&w, 1.1);
        if (cap < 22) {
            ck_assert_int_eq(rc, LWM2M_ERR_NOSPACE);
            ck_assert_int_eq(cbor_writer_result(&w), LWM2M_ERR_NOSPACE);
            ck_assert_uint_le(w.len, cap);
        } else {
            ck_assert_int_eq(rc, 0);
            assert_hex(&w, "85 420102 626162 1903e8 3903e7 fb3ff199999999999a");
        }
    }
    /* sticky: a small item after a failed big one is not written */
    cbor_writer_init(&w, buf, 4);
    ck_assert_int_eq(cbor_put_text(&w, "abcdef", 6), LWM2M_ERR_NOSPACE);
    ck_assert_int_eq(cbor_put_uint(&w, 1), LWM2M_ERR_NOSPACE);
    ck_assert_uint_eq(w.len, 0);
    cbor_writer_init(&w, NULL, 100);
    ck_assert_int_eq(cbor_put_null(&w), LWM2M_ERR_NOSPACE);
}
END_TEST

static Suite *cbor_suite(void)
{
    Suite *s = suite_create("cbor");
    TCase *tc = tcase_create("rfc8949");
    tcase_add_test(tc, test_integers);
    tcase_add_test(tc, test_floats);
    tcase_add_test(tc, test_simple_and_strings);
    tcase_add_test(tc, test_containers);
    tcase_add_test(tc, test_skip);
    suite_add_tcase(s, tc);
    tc = tcase_create("malformed");
    tcase_add_test(tc, test_malformed);
    tcase_add_test(tc, test_depth_limit);
    tcase_add_test(tc, test_writer_bounds);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(cbor_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
