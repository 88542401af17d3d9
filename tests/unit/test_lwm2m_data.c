/*
 * test_lwm2m_data.c — unit tests for bsd/lwm2m/lwm2m_data.c: path
 * construction, parsing, formatting, ordering and prefix tests, and the
 * LWM2M_T_RAW (TLV) value readers of LwM2M Core 1.1 Appendix C.
 */
#include "bsd/lwm2m/lwm2m_data.h"

#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static lwm2m_value_t raw(const void *p, size_t len)
{
    lwm2m_value_t v = {.type = LWM2M_T_RAW};
    v.bytes.p = p;
    v.bytes.len = len;
    return v;
}

START_TEST(test_path_ctor)
{
    lwm2m_path_t p = lwm2m_path(2, 3, 4, 5, 6);
    ck_assert_uint_eq(p.depth, 2);
    ck_assert_uint_eq(p.obj, 3);
    ck_assert_uint_eq(p.inst, 4);
    ck_assert_uint_eq(p.res, LWM2M_ID_NONE);
    ck_assert_uint_eq(p.rinst, LWM2M_ID_NONE);
    ck_assert_uint_eq(lwm2m_path(-1, 1, 1, 1, 1).depth, 0);
    ck_assert_uint_eq(lwm2m_path(9, 1, 1, 1, 1).depth, 4);
}
END_TEST

START_TEST(test_path_parse)
{
    static const struct {
        const char *s;
        int rc;
        int depth;
        uint16_t ids[4];
    } cases[] = {
        {"/", 0, 0, {0}},
        {"/3", 0, 1, {3}},
        {"/3/0/1", 0, 3, {3, 0, 1}},
        {"3/0", 0, 2, {3, 0}},
        {"/65534/65534/65534/65534", 0, 4, {65534, 65534, 65534, 65534}},
        {"/00007", 0, 1, {7}},
        {"/65535", LWM2M_ERR_FORMAT, 0, {0}},
        {"/100000", LWM2M_ERR_FORMAT, 0, {0}},
        {"/000000", LWM2M_ERR_FORMAT, 0, {0}},
        {"/3/", LWM2M_ERR_FORMAT, 0, {0}},
        {"//3", LWM2M_ERR_FORMAT, 0, {0}},
        {"/3//0", LWM2M_ERR_FORMAT, 0, {0}},
        {"/a", LWM2M_ERR_FORMAT, 0, {0}},
        {"/3 ", LWM2M_ERR_FORMAT, 0, {0}},
        {"/-1", LWM2M_ERR_FORMAT, 0, {0}},
        {"/1/2/3/4/5", LWM2M_ERR_FORMAT, 0, {0}},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lwm2m_path_t p;
        int rc = lwm2m_path_parse(cases[i].s, strlen(cases[i].s), &p);
        ck_assert_msg(rc == cases[i].rc, "%s: %d", cases[i].s, rc);
        if (rc != 0) continue;
        ck_assert_int_eq(p.depth, cases[i].depth);
        lwm2m_path_t want =
            lwm2m_path(cases[i].depth, cases[i].ids[0], cases[i].ids[1], cases[i].ids[2], cases[i].ids[3]);
        ck_assert(memcmp(&p, &want, sizeof p) == 0 || lwm2m_path_cmp(&p, &want) == 0);
    }
    /* |len| bounds the input: no terminator needed */
    lwm2m_path_t p;
    ck_assert_int_eq(lwm2m_path_parse("/3/0/1xyz", 6, &p), 0);
    ck_assert_uint_eq(p.depth, 3);
}
END_TEST

START_TEST(test_path_format)
{
    char buf[32];
    lwm2m_path_t p = lwm2m_path(4, 65534, 1, 22, 333);
    ck_assert_int_eq(lwm2m_path_format(&p, buf, sizeof buf), 15);
    ck_assert_str_eq(buf, "/65534/1/22/333");
    ck_assert_int_eq(lwm2m_path_format(&p, buf, 15), LWM2M_ERR_NOSPACE); /* the NUL needs room too */
    ck_assert_int_eq(lwm2m_path_format(&p, buf, 16), 15);
    p = lwm2m_path(0, 0, 0, 0, 0);
    ck_assert_int_eq(lwm2m_path_format(&p, buf, sizeof buf), 1);
    ck_assert_str_eq(buf, "/");
    ck_assert_int_eq(lwm2m_path_format(&p, buf, 1), LWM2M_ERR_NOSPACE);
}
END_TEST

START_TEST(test_path_order)
{
    lwm2m_path_t a = lwm2m_path(1, 3, 0, 0, 0), b = lwm2m_path(2, 3, 0, 0, 0), c = lwm2m_path(3, 3, 0, 1, 0),
                 d = lwm2m_path(4, 3, 0, 1, 0), e = lwm2m_path(3, 3, 0, 2, 0), f = lwm2m_path(1, 4, 0, 0, 0);
    const lwm2m_path_t *seq[] = {&a, &b, &c, &d, &e, &f};
    for (size_t i = 0; i < 6; i++)
        for (size_t j = 0; j < 6; j++) {
            int want = i < j ? -1 : i > j ? 1 : 0;
            ck_assert_int_eq(lwm2m_path_cmp(seq[i], seq[j]), want);
        }
    ck_assert(lwm2m_path_under(&d, &c));
    ck_assert(lwm2m_path_under(&d, &a));
    ck_assert(lwm2m_path_under(&c, &c));
    ck_assert(!lwm2m_path_under(&c, &d));
    ck_assert(!lwm2m_path_under(&e, &c));
    ck_assert(!lwm2m_path_under(&f, &a));
    lwm2m_path_t root = lwm2m_path(0, 0, 0, 0, 0);
    ck_assert(lwm2m_path_under(&f, &root));
}
END_TEST

START_TEST(test_raw_int)
{
    static const struct {
        const char *b;
        size_t len;
        int64_t v;
    } cases[] = {
        {"\x00", 1, 0},
        {"\x7f", 1, 127},
        {"\x80", 1, -128},
        {"\xff", 1, -1},
        {"\x00\x80", 2, 128},
        {"\xff\x7f", 2, -129},
        {"\x80\x00", 2, -32768},
        {"\x51\x82\x42\x8f", 4, 1367491215},
        {"\xff\xff\x7f\xff", 4, -32769},
        {"\x80\x00\x00\x00\x00\x00\x00\x00", 8, INT64_MIN},
        {"\x7f\xff\xff\xff\xff\xff\xff\xff", 8, INT64_MAX},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lwm2m_value_t v = raw(cases[i].b, cases[i].len);
        int64_t out;
        ck_assert_int_eq(lwm2m_raw_as_int(&v, &out), 0);
        ck_assert_int_eq(out, cases[i].v);
    }
    int64_t out;
    for (size_t len = 0; len < 10; len++) {
        lwm2m_value_t v = raw("\0\0\0\0\0\0\0\0\0", len);
        ck_assert_int_eq(lwm2m_raw_as_int(&v, &out),
                         len == 1 || len == 2 || len == 4 || len == 8 ? 0 : LWM2M_ERR_FORMAT);
    }
}
END_TEST

START_TEST(test_raw_other)
{
    double d;
    bool b;
    lwm2m_objlnk_t l;
    lwm2m_value_t v = raw("\x3f\xc0\x00\x00", 4);
    ck_assert_int_eq(lwm2m_raw_as_float(&v, &d), 0);
    ck_assert(d == 1.5);
    v = raw("\x3f\xb9\x99\x99\x99\x99\x99\x9a", 8);
    ck_assert_int_eq(lwm2m_raw_as_float(&v, &d), 0);
    ck_assert(d == 0.1);
    v = raw("\x7f\x80\x00\x00", 4);
    ck_assert_int_eq(lwm2m_raw_as_float(&v, &d), 0);
    ck_assert(isinf(d));
    v = raw("\x00\x00", 2);
    ck_assert_int_eq(lwm2m_raw_as_float(&v, &d), LWM2M_ERR_FORMAT);

    v = raw("\x01", 1);
    ck_assert_int_eq(lwm2m_raw_as_bool(&v, &b), 0);
    ck_assert(b);
    v = raw("\x00", 1);
    ck_assert_int_eq(lwm2m_raw_as_bool(&v, &b), 0);
    ck_assert(!b);
    v = raw("\x02", 1);
    ck_assert_int_eq(lwm2m_raw_as_bool(&v, &b), LWM2M_ERR_FORMAT);
    v = raw("\x00\x01", 2);
    ck_assert_int_eq(lwm2m_raw_as_bool(&v, &b), LWM2M_ERR_FORMAT);
    v = raw(NULL, 0);
    ck_assert_int_eq(lwm2m_raw_as_bool(&v, &b), LWM2M_ERR_FORMAT);

    v = raw("\x00\x15\x00\x00", 4); /* PROTOCOLS.md §5.1: 17 → /21/0 */
    ck_assert_int_eq(lwm2m_raw_as_objlnk(&v, &l), 0);
    ck_assert_uint_eq(l.obj, 21);
    ck_assert_uint_eq(l.inst, 0);
    v = raw("\xff\xff\xff\xff", 4);
    ck_assert_int_eq(lwm2m_raw_as_objlnk(&v, &l), 0);
    ck_assert_uint_eq(l.obj, LWM2M_ID_NONE);
    ck_assert_uint_eq(l.inst, LWM2M_ID_NONE);
    v = raw("\x00\x15\x00", 3);
    ck_assert_int_eq(lwm2m_raw_as_objlnk(&v, &l), LWM2M_ERR_FORMAT);
}
END_TEST

static Suite *lwm2m_data_suite(void)
{
    Suite *s = suite_create("lwm2m_data");
    TCase *tc = tcase_create("paths");
    tcase_add_test(tc, test_path_ctor);
    tcase_add_test(tc, test_path_parse);
    tcase_add_test(tc, test_path_format);
    tcase_add_test(tc, test_path_order);
    suite_add_tcase(s, tc);
    tc = tcase_create("raw");
    tcase_add_test(tc, test_raw_int);
    tcase_add_test(tc, test_raw_other);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(lwm2m_data_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
