/*
 * test_linkfmt.c — unit tests for bsd/lwm2m/linkfmt: the Bootstrap-Discover
 * answers of LWM2M-BOOTSTRAP.md (Wakaama, Anjay 1.1 and 1.0, Zephyr as in
 * zephyr issue #77061 and ThingsBoard issue #6274, Leshan), the LwM2M 1.0
 * example with "</0/1/>" (Core 1.1.1 §6.1.7.3 note), the lenient corners
 * (white space, empty elements and values, unknown attributes), the
 * helpers, and malformed answers with their exact error codes.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bsd/lwm2m/linkfmt.h"

#define MAXE 64

static linkfmt_entry_t ents[MAXE];
static linkfmt_doc_t doc;

static int parse(const char *s)
{
    return linkfmt_parse(s, strlen(s), &doc, ents, MAXE);
}

static void span_eq(const linkfmt_span_t *sp, const char *expect)
{
    if (expect == NULL) {
        ck_assert_ptr_null(sp->p);
        return;
    }
    ck_assert_ptr_nonnull(sp->p);
    ck_assert_uint_eq(sp->len, strlen(expect));
    ck_assert_mem_eq(sp->p, expect, sp->len);
}

static void path_eq(const linkfmt_entry_t *e, int depth, uint16_t o, uint16_t i)
{
    lwm2m_path_t p = lwm2m_path(depth, o, i, 0, 0);
    ck_assert_int_eq(e->path.depth, depth);
    ck_assert_int_eq(lwm2m_path_cmp(&e->path, &p), 0);
}

static void version_eq(int expect_rc, uint8_t ma, uint8_t mi)
{
    uint8_t a = 99, b = 99;
    ck_assert_int_eq(linkfmt_lwm2m_version(&doc, &a, &b), expect_rc);
    ck_assert_int_eq(a, ma);
    ck_assert_int_eq(b, mi);
}

static void objver_eq(uint16_t obj, int expect_rc, uint8_t ma, uint8_t mi)
{
    uint8_t a = 99, b = 99;
    ck_assert_int_eq(linkfmt_object_version(&doc, obj, &a, &b), expect_rc);
    if (expect_rc >= 0) {
        ck_assert_int_eq(a, ma);
        ck_assert_int_eq(b, mi);
    }
}

/* The only Bootstrap-Server account is |iid|. */
static void bs_is(uint16_t iid)
{
    uint16_t ids[4] = {0xffff, 0xffff, 0xffff, 0xffff};
    ck_assert_uint_eq(linkfmt_find_bs_account(&doc, ids, 4), 1);
    ck_assert_int_eq(ids[0], iid);
}

/* ---- Field variants ---------------------------------------------------- */

START_TEST(wakaama)
{
    const char *s = "</>;lwm2m=1.1,</0/0>,</0/1>;ssid=101;uri=\"coaps://s.example.com:5684\",</1>;ver=1.1,"
                    "</1/0>;ssid=101,</2/0>,</2/1>,</3/0>";
    ck_assert_int_eq(parse(s), 8);
    ck_assert_uint_eq(doc.count, 8);
    path_eq(&ents[0], 0, 0, 0);
    ck_assert(!ents[0].bare);
    ck_assert(doc.has_root);
    version_eq(1, 1, 1);
    bs_is(0);
    path_eq(&ents[2], 2, 0, 1);
    ck_assert(ents[2].has_ssid);
    ck_assert_int_eq(ents[2].ssid, 101);
    span_eq(&ents[2].uri, "coaps://s.example.com:5684");
    ck_assert(!ents[1].has_ssid);
    span_eq(&ents[1].uri, NULL);
    objver_eq(1, 1, 1, 1);
    objver_eq(2, 0, 1, 0);              /* listed, no ver= */
    objver_eq(5, LWM2M_ERR_PATH, 0, 0); /* not listed */
    uint16_t ids[8];
    ck_assert_uint_eq(linkfmt_instances(&doc, 0, ids, 8), 2);
    ck_assert_int_eq(ids[0], 0);
    ck_assert_int_eq(ids[1], 1);
    ck_assert_uint_eq(linkfmt_instances(&doc, 2, ids, 8), 2);
    ck_assert_uint_eq(linkfmt_instances(&doc, 4, ids, 8), 0);
    linkfmt_account_t acc[4];
    ck_assert_uint_eq(linkfmt_accounts(&doc, 1, acc, 4), 1);
    ck_assert_int_eq(acc[0].iid, 0);
    ck_assert(acc[0].has_ssid);
    ck_assert_int_eq(acc[0].ssid, 101);
    span_eq(&acc[0].uri, NULL);
    ck_assert_uint_eq(linkfmt_accounts(&doc, 0, acc, 4), 2);
    ck_assert(!acc[0].has_ssid);
    ck_assert_int_eq(acc[1].ssid, 101);
    span_eq(&acc[1].uri, "coaps://s.example.com:5684");
}
END_TEST

START_TEST(anjay_1_1)
{
    /* every object listed, empty ones too; uri= on every Security instance, the BS one too */
    const char *s =
        "</>;lwm2m=1.1,</0>,</0/1>;uri=\"coap://bs.example.com:5683\",</0/2>;ssid=1;"
        "uri=\"coaps://s.example.com:5684\",</1>,</1/1>;ssid=1,</2>,</3>;ver=1.2,</3/0>,</4>,</21>;"
        "ver=2.0";
    ck_assert_int_eq(parse(s), 11);
    version_eq(1, 1, 1);
    bs_is(1);
    span_eq(&ents[2].uri, "coap://bs.example.com:5683");
    objver_eq(21, 1, 2, 0);
    objver_eq(3, 1, 1, 2);
    objver_eq(0, 0, 1, 0);
    objver_eq(4, 0, 1, 0);
    ck_assert_uint_eq(linkfmt_instances(&doc, 4, NULL, 0), 0);
    linkfmt_account_t acc[4];
    ck_assert_uint_eq(linkfmt_accounts(&doc, 0, acc, 4), 2);
    ck_assert_int_eq(acc[0].iid, 1);
    ck_assert(!acc[0].has_ssid);
    ck_assert_int_eq(acc[1].iid, 2);
    ck_assert_int_eq(acc[1].ssid, 1);
}
END_TEST

START_TEST(anjay_1_0_quoted)
{
    ck_assert_int_eq(parse("</>;lwm2m=\"1.0\",</0/1>;uri=\"coap://bs:5683\",</0/2>;ssid=1;uri=\"coap://s\""),
                     3);
    version_eq(1, 1, 0);
    bs_is(1);
}
END_TEST

START_TEST(zephyr_bare_version)
{
    /* zephyr issue #77061 */
    const char *s = "lwm2m=\"1.1\",</3>;ver=1.0,</3/0>,</5/0>,</0/0>,</0/1>;ssid=0,</1>,</3311/0>,</3303/0>,"
                    "</3340/0>,</16>";
    ck_assert_int_eq(parse(s), 11);
    ck_assert(ents[0].bare);
    ck_assert(!doc.has_root);
    path_eq(&ents[0], 0, 0, 0);
    version_eq(1, 1, 1);
    bs_is(0);
    ck_assert(ents[5].has_ssid);
    ck_assert_int_eq(ents[5].ssid, 0); /* Zephyr's "unset" */
    objver_eq(3, 1, 1, 0);
    objver_eq(3311, 0, 1, 0);
    /* ThingsBoard #6274's device: 1.0, and nothing but the bare attribute first */
    ck_assert_int_eq(parse("lwm2m=\"1.0\",</0/0>,</0/1>;ssid=101,</1/0>;ssid=101,</3/0>"), 5);
    version_eq(1, 1, 0);
    bs_is(0);
    /* a bare attribute list may have several parameters */
    ck_assert_int_eq(parse("lwm2m=1.0;foo=bar,</0/0>"), 2);
    ck_assert_uint_eq(ents[0].nattrs, 1);
    span_eq(&ents[0].attrs[0].name, "foo");
    span_eq(&ents[0].attrs[0].value, "bar");
}
END_TEST

START_TEST(leshan)
{
    const char *s = "</>;lwm2m=1.0,</0/0>;uri=\"coap://localhost:5683\",</0/1>;ssid=2222;uri=\"coap://"
                    "localhost:5684\",</1/0>;ssid=2222,</3/0>";
    ck_assert_int_eq(parse(s), 5);
    version_eq(1, 1, 0);
    bs_is(0);
    span_eq(&ents[1].uri, "coap://localhost:5683");
    ck_assert_int_eq(ents[2].ssid, 2222);
    span_eq(&ents[2].uri, "coap://localhost:5684");
}
END_TEST

START_TEST(lwm2m_1_0_example_trailing_slash)
{
    /* Core 1.1.1 §6.1.7.3 note: "lwm2m=1.0,</0/0>;ssid=101,</0/1/>,</0/2>;ssid=102" */
    ck_assert_int_eq(parse("lwm2m=1.0,</0/0>;ssid=101,</0/1/>,</0/2>;ssid=102"), 4);
    version_eq(1, 1, 0);
    path_eq(&ents[2], 2, 0, 1);
    bs_is(1);
}
END_TEST

START_TEST(no_version)
{
    ck_assert_int_eq(parse("</0/0>,</0/1>;ssid=1"), 2);
    version_eq(0, 1, 0);
    ck_assert_int_eq(parse(""), 0);
    version_eq(0, 1, 0);
    ck_assert_uint_eq(linkfmt_find_bs_account(&doc, NULL, 0), 0);
    objver_eq(0, LWM2M_ERR_PATH, 0, 0);
    ck_assert_int_eq(parse(" , ,\n"), 0);
    /* lwm2m= on something other than "/" is just an attribute */
    ck_assert_int_eq(parse("</1>;lwm2m=1.1"), 1);
    version_eq(0, 1, 0);
    ck_assert_uint_eq(ents[0].nattrs, 1);
    /* the first statement wins */
    ck_assert_int_eq(parse("</>;lwm2m=1.1,lwm2m=1.0"), 2);
    version_eq(1, 1, 1);
}
END_TEST

START_TEST(two_bs_accounts)
{
    ck_assert_int_eq(parse("</>;lwm2m=1.1,</0/0>,</0/1>,</0/2>;ssid=5,</0/1>"), 5);
    uint16_t ids[1] = {0xffff};
    ck_assert_uint_eq(linkfmt_find_bs_account(&doc, ids, 1), 2); /* duplicate </0/1> counted once */
    ck_assert_int_eq(ids[0], 0);
    uint16_t all[4];
    ck_assert_uint_eq(linkfmt_find_bs_account(&doc, all, 4), 2);
    ck_assert_int_eq(all[1], 1);
    ck_assert_uint_eq(linkfmt_instances(&doc, 0, all, 4), 3);
    ck_assert_uint_eq(linkfmt_instances(&doc, 0, all, 2), 3); /* total, even when cut */
}
END_TEST

START_TEST(lenient_whitespace_and_commas)
{
    const char *s =
        " </> ; lwm2m = 1.1 , </0/0> ,\r\n\t</0/1> ; ssid = 3 ; uri = \"coap://x\" ,, </1/3>;ssid=3 ,";
    ck_assert_int_eq(parse(s), 4);
    version_eq(1, 1, 1);
    ck_assert_int_eq(ents[2].ssid, 3);
    span_eq(&ents[2].uri, "coap://x");
    path_eq(&ents[3], 2, 1, 3);
    bs_is(0);
    /* empty parameters */
    ck_assert_int_eq(parse("</0/0>;;ssid=1;,</0/1>;"), 2);
    ck_assert_int_eq(ents[0].ssid, 1);
    ck_assert_uint_eq(ents[0].nattrs, 0);
}
END_TEST

START_TEST(attributes)
{
    const char *s =
        "</1/0>;ssid=1;pmin=;foo;bar=\"\";rt=\"oma.lwm2m\";Ver=\"1.1\";URI=coap://h:1;a=1;b=2;c=3;d=4";
    ck_assert_int_eq(parse(s), 1);
    const linkfmt_entry_t *e = &ents[0];
    ck_assert(e->has_ver); /* names are case-insensitive */
    ck_assert_int_eq(e->ver_major, 1);
    ck_assert_int_eq(e->ver_minor, 1);
    span_eq(&e->uri, "coap://h:1");
    ck_assert_uint_eq(e->nattrs, LINKFMT_MAX_ATTRS);
    ck_assert_uint_eq(e->attrs_dropped, 2);
    span_eq(&e->attrs[0].name, "pmin");
    span_eq(&e->attrs[0].value, ""); /* empty, but present */
    span_eq(&e->attrs[1].name, "foo");
    span_eq(&e->attrs[1].value, NULL); /* no "=" */
    span_eq(&e->attrs[2].value, "");
    span_eq(&e->attrs[3].value, "oma.lwm2m");
    span_eq(&e->attrs[4].name, "a");
    span_eq(&e->attrs[5].name, "b");
    /* quoted values keep ",", ";" and escaped quotes */
    ck_assert_int_eq(parse("</0/1>;uri=\"coap://a,b;c\\\"d\";ssid=\"7\",</0/2>"), 2);
    span_eq(&ents[0].uri, "coap://a,b;c\\\"d");
    ck_assert_int_eq(ents[0].ssid, 7);
    bs_is(2);
    /* ver forms */
    ck_assert_int_eq(parse("</1>;ver=2,</2>;ver=255.255,</3>;ver=\"1.0\""), 3);
    objver_eq(1, 1, 2, 0);
    objver_eq(2, 1, 255, 255);
    objver_eq(3, 1, 1, 0);
    /* bare uri */
    ck_assert_int_eq(parse("</0/1>;uri"), 1);
    ck_assert_ptr_nonnull(ents[0].uri.p);
    ck_assert_uint_eq(ents[0].uri.len, 0);
}
END_TEST

START_TEST(paths)
{
    ck_assert_int_eq(parse("</>,</0>,</0/1>,</0/1/2>,</0/1/2/3>,<1/2>,</65534/65534/65534/65534>"), 7);
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(ents[i].path.depth, i);
    ck_assert_int_eq(ents[3].path.res, 2);
    ck_assert_int_eq(ents[4].path.rinst, 3);
    path_eq(&ents[5], 2, 1, 2);
    ck_assert_int_eq(ents[6].path.rinst, 65534);
    /* only </obj/inst> entries make instances */
    ck_assert_uint_eq(linkfmt_instances(&doc, 0, NULL, 0), 1);
}
END_TEST

START_TEST(spans_point_into_input)
{
    static const char s[] = "</0/1>;uri=\"coap://u\";x=y,</1/1>;z=\"q\"";
    ck_assert_int_eq(linkfmt_parse(s, sizeof s - 1, &doc, ents, MAXE), 2);
    ck_assert_ptr_eq(doc.entries, ents);
    ck_assert_ptr_eq(ents[0].uri.p, s + 12);
    ck_assert_ptr_eq(ents[0].attrs[0].name.p, s + 22);
    ck_assert_ptr_eq(ents[1].attrs[0].value.p, s + 36);
    /* not NUL-terminated input: parse a prefix */
    ck_assert_int_eq(linkfmt_parse(s, 6, &doc, ents, MAXE), 1);
    ck_assert_int_eq(linkfmt_parse(s, 5, &doc, ents, MAXE), LWM2M_ERR_FORMAT);
    /* an error leaves the document empty, even after good entries */
    ck_assert_int_eq(parse("</>;lwm2m=1.1,</0/0>,</0/1>;ssid=x"), LWM2M_ERR_RANGE);
    ck_assert_uint_eq(doc.count, 0);
    ck_assert(!doc.has_root);
    version_eq(0, 1, 0);
}
END_TEST

/* ---- Malformed answers -------------------------------------------------- */

static const struct {
    const char *s;
    int err;
} malformed[] = {
    {"</0/0", LWM2M_ERR_FORMAT},
    {"</>;lwm2m=1.1,</0/1", LWM2M_ERR_FORMAT},
    {"<", LWM2M_ERR_FORMAT},
    {"</0/a>", LWM2M_ERR_FORMAT},
    {"</0/70000>", LWM2M_ERR_FORMAT},
    {"</0/65535>", LWM2M_ERR_FORMAT},
    {"</0/0/0/0/0>", LWM2M_ERR_FORMAT},
    {"<>", LWM2M_ERR_FORMAT},
    {"</0//1>", LWM2M_ERR_FORMAT},
    {"</-1>", LWM2M_ERR_FORMAT},
    {"</ 0>", LWM2M_ERR_FORMAT},
    {"<coap://host/0/1>", LWM2M_ERR_FORMAT},
    {"</0/0>x", LWM2M_ERR_FORMAT},
    {"</0/0></0/1>", LWM2M_ERR_FORMAT},
    {"</0/1>;a b", LWM2M_ERR_FORMAT},
    {"</0/1>;uri=\"coap://a", LWM2M_ERR_FORMAT},
    {"</0/1>;uri=\"coap://a\\\"", LWM2M_ERR_FORMAT},
    {"</0/1>;=5", LWM2M_ERR_FORMAT},
    {"</0/1>;uri=\"a\";uri=\"b\"", LWM2M_ERR_FORMAT},
    {"</0/1>;ssid=1;ssid=1", LWM2M_ERR_FORMAT},
    {"</1>;ver=1.0;ver=1.1", LWM2M_ERR_FORMAT},
    {"</1>;ver=x", LWM2M_ERR_FORMAT},
    {"</1>;ver=", LWM2M_ERR_FORMAT},
    {"</1>;ver", LWM2M_ERR_FORMAT},
    {"</1>;ver=1.256", LWM2M_ERR_FORMAT},
    {"</1>;ver=1.", LWM2M_ERR_FORMAT},
    {"</1>;ver=.1", LWM2M_ERR_FORMAT},
    {"</>;lwm2m=1.1.1", LWM2M_ERR_FORMAT},
    {"lwm2m=one", LWM2M_ERR_FORMAT},
    {"lwm2m=1.0>", LWM2M_ERR_FORMAT},
    {"</0/1>;ssid=abc", LWM2M_ERR_RANGE},
    {"</0/1>;ssid=65536", LWM2M_ERR_RANGE},
    {"</0/1>;ssid=-1", LWM2M_ERR_RANGE},
    {"</0/1>;ssid=123456", LWM2M_ERR_RANGE},
    {"</0/1>;ssid=", LWM2M_ERR_RANGE},
    {"</0/1>;ssid", LWM2M_ERR_RANGE},
    {"</0/1>;ssid=\"\"", LWM2M_ERR_RANGE},
    {"</0/1>;abcdefghijklmnopqrstuvwxyz0123456=1", LWM2M_ERR_LIMIT},
};

START_TEST(malformed_answers)
{
    int rc = parse(malformed[_i].s);
    ck_assert_msg(rc == malformed[_i].err, "#%d %s: got %d, want %d", _i, malformed[_i].s, rc,
                  malformed[_i].err);
}
END_TEST

START_TEST(bounds)
{
    /* entry capacity */
    ck_assert_int_eq(linkfmt_parse("</0/0>,</0/1>,</0/2>", 20, &doc, ents, 2), LWM2M_ERR_NOSPACE);
    ck_assert_int_eq(linkfmt_parse("</0/0>,</0/1>,", 14, &doc, ents, 2), 2);
    ck_assert_int_eq(linkfmt_parse("", 0, &doc, NULL, 0), 0);
    /* input size */
    size_t big = LINKFMT_MAX_INPUT + 1;
    char *buf = malloc(big);
    ck_assert_ptr_nonnull(buf);
    memset(buf, ',', big);
    ck_assert_int_eq(linkfmt_parse(buf, big, &doc, ents, MAXE), LWM2M_ERR_LIMIT);
    ck_assert_int_eq(linkfmt_parse(buf, big - 1, &doc, ents, MAXE), 0);
    /* value length */
    size_t n = 0;
    memcpy(buf, "</0/1>;uri=\"", 12);
    n = 12;
    memset(buf + n, 'a', LINKFMT_MAX_VALUE);
    n += LINKFMT_MAX_VALUE;
    buf[n++] = '"';
    ck_assert_int_eq(linkfmt_parse(buf, n, &doc, ents, MAXE), 1);
    ck_assert_uint_eq(ents[0].uri.len, LINKFMT_MAX_VALUE);
    memmove(buf + 13, buf + 12, n - 12);
    buf[12] = 'a';
    ck_assert_int_eq(linkfmt_parse(buf, n + 1, &doc, ents, MAXE), LWM2M_ERR_LIMIT);
    free(buf);
    /* a name of LINKFMT_MAX_NAME bytes is fine */
    ck_assert_int_eq(parse("</0/1>;abcdefghijklmnopqrstuvwxyz012345=1"), 1);
    /* dropped-attribute counter saturates */
    char many[2048];
    n = (size_t)snprintf(many, sizeof many, "</1/0>");
    for (int i = 0; i < 300; i++)
        many[n++] = ';', many[n++] = 'x';
    ck_assert_int_eq(linkfmt_parse(many, n, &doc, ents, MAXE), 1);
    ck_assert_uint_eq(ents[0].nattrs, LINKFMT_MAX_ATTRS);
    ck_assert_uint_eq(ents[0].attrs_dropped, 255);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("linkfmt");
    TCase *t = tcase_create("variants");
    tcase_add_test(t, wakaama);
    tcase_add_test(t, anjay_1_1);
    tcase_add_test(t, anjay_1_0_quoted);
    tcase_add_test(t, zephyr_bare_version);
    tcase_add_test(t, leshan);
    tcase_add_test(t, lwm2m_1_0_example_trailing_slash);
    tcase_add_test(t, no_version);
    tcase_add_test(t, two_bs_accounts);
    tcase_add_test(t, lenient_whitespace_and_commas);
    tcase_add_test(t, attributes);
    tcase_add_test(t, paths);
    tcase_add_test(t, spans_point_into_input);
    suite_add_tcase(s, t);
    TCase *m = tcase_create("malformed");
    tcase_add_loop_test(m, malformed_answers, 0, (int)(sizeof malformed / sizeof malformed[0]));
    tcase_add_test(m, bounds);
    suite_add_tcase(s, m);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
