/*
 * test_unboot.c — the unbootstrap planner's input and output (unboot.h):
 * the Access Control object read back from real Read /2 payloads in TLV,
 * SenML JSON and SenML CBOR, malformed answers refused, the full-instance
 * records of an ACL Write, the JSON of a result, and the bounds. The
 * planning rules themselves are checked against an independent reference
 * model in test_unboot_prop.c.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bsd/coap/coap_msg.h"
#include "bsd/lwm2m/senml_cbor.h"
#include "bsd/lwm2m/senml_json.h"
#include "bsd/lwm2m/tlv.h"
#include "bsd/lwm2m/unboot.h"

static unboot_state_t st;
static unboot_result_t res;

static unboot_acl_t acl_of(uint16_t iid, uint16_t obj, uint16_t inst, uint16_t owner, int n,
                           const uint16_t *kv)
{
    unboot_acl_t a = {.iid = iid, .obj = obj, .inst = inst, .owner = owner, .nent = (uint8_t)n};
    for (int i = 0; i < n; i++)
        a.ent[i] = (unboot_entry_t){kv[2 * i], kv[2 * i + 1]};
    return a;
}

/* Two ACL instances: /2/0 for /3/0 {101: RWE, 102: R} owner 101, and
 * /2/7 object level for /3303 {0: C, 102: C} owner 102. */
static size_t sample(lwm2m_record_t *recs, size_t cap)
{
    static const uint16_t e0[] = {101, 7, 102, 1}, e7[] = {0, 16, 102, 16};
    unboot_acl_t a = acl_of(0, 3, 0, 101, 2, e0), b = acl_of(7, 3303, 65535, 102, 2, e7);
    int n1 = unboot_acl_records(&a, recs, cap);
    ck_assert_int_eq(n1, 5);
    int n2 = unboot_acl_records(&b, recs + n1, cap - (size_t)n1);
    ck_assert_int_eq(n2, 5);
    return (size_t)(n1 + n2);
}

static void check_sample(void)
{
    ck_assert_int_eq(st.acl_known, 1);
    ck_assert_uint_eq(st.nacl, 2);
    const unboot_acl_t *a = &st.acl[0], *b = &st.acl[1];
    ck_assert_uint_eq(a->iid, 0);
    ck_assert_uint_eq(a->obj, 3);
    ck_assert_uint_eq(a->inst, 0);
    ck_assert_uint_eq(a->owner, 101);
    ck_assert_uint_eq(a->nent, 2);
    ck_assert_uint_eq(a->ent[0].ssid, 101);
    ck_assert_uint_eq(a->ent[0].rights, 7);
    ck_assert_uint_eq(a->ent[1].ssid, 102);
    ck_assert_uint_eq(a->ent[1].rights, 1);
    ck_assert_uint_eq(b->iid, 7);
    ck_assert_uint_eq(b->obj, 3303);
    ck_assert_uint_eq(b->inst, 65535);
    ck_assert_uint_eq(b->owner, 102);
    ck_assert_uint_eq(b->ent[0].ssid, 0);
    ck_assert_uint_eq(b->ent[0].rights, 16);
}

START_TEST(read_tlv_senml_json_senml_cbor)
{
    lwm2m_record_t recs[32], dec[32];
    size_t n = sample(recs, 32);
    lwm2m_path_t base = lwm2m_path(1, 2, 0, 0, 0);
    uint8_t buf[1024], scratch[1024];
    size_t nd;

    int len = tlv_encode(&base, recs, n, buf, sizeof(buf));
    ck_assert_int_gt(len, 0);
    ck_assert_int_eq(tlv_decode(&base, buf, (size_t)len, dec, 32, &nd), 0);
    memset(&st, 0, sizeof(st));
    ck_assert_int_eq(unboot_acl_from_records(&st, dec, nd), 2); /* TLV: raw values read as integers */
    check_sample();

    len = senml_json_encode(&base, recs, n, (char *)buf, sizeof(buf));
    ck_assert_int_gt(len, 0);
    int r = senml_json_decode(&base, buf, (size_t)len, dec, 32, scratch, sizeof(scratch));
    ck_assert_int_eq(r, (int)n);
    memset(&st, 0, sizeof(st));
    ck_assert_int_eq(unboot_acl_from_records(&st, dec, (size_t)r), 2);
    check_sample();

    len = senml_cbor_encode(&base, recs, n, buf, sizeof(buf));
    ck_assert_int_gt(len, 0);
    ck_assert_int_eq(senml_cbor_decode(&base, buf, (size_t)len, dec, 32, &nd), 0);
    memset(&st, 0, sizeof(st));
    ck_assert_int_eq(unboot_acl_from_records(&st, dec, nd), 2);
    check_sample();
}
END_TEST

/* A hand-written SenML JSON answer as a client sends it: floats that are
 * integral, entries out of order, an unknown resource, an instance without
 * its target (skipped), a missing owner (0). */
START_TEST(read_tolerant)
{
    const char *js =
        "[{\"bn\":\"/2/3/\",\"n\":\"0\",\"v\":5.0},{\"n\":\"1\",\"v\":0},{\"n\":\"2/9\",\"v\":3},"
        "{\"n\":\"2/4\",\"v\":8},{\"n\":\"7\",\"vs\":\"x\"},"
        "{\"bn\":\"/2/4/\",\"n\":\"0\",\"v\":6},{\"n\":\"3\",\"v\":1}]";
    lwm2m_record_t dec[16];
    uint8_t scratch[512];
    lwm2m_path_t base = lwm2m_path(1, 2, 0, 0, 0);
    int r = senml_json_decode(&base, (const uint8_t *)js, strlen(js), dec, 16, scratch, sizeof(scratch));
    ck_assert_int_eq(r, 7);
    memset(&st, 0, sizeof(st));
    ck_assert_int_eq(unboot_acl_from_records(&st, dec, (size_t)r), 1);
    ck_assert_uint_eq(st.acl[0].iid, 3);
    ck_assert_uint_eq(st.acl[0].obj, 5);
    ck_assert_uint_eq(st.acl[0].owner, 0);
    ck_assert_uint_eq(st.acl[0].nent, 2);
    ck_assert_uint_eq(st.acl[0].ent[0].ssid, 4); /* sorted */
    ck_assert_uint_eq(st.acl[0].ent[1].ssid, 9);
}
END_TEST

static int from_json(const char *js)
{
    lwm2m_record_t dec[40];
    uint8_t scratch[1024];
    lwm2m_path_t base = lwm2m_path(1, 2, 0, 0, 0);
    int r = senml_json_decode(&base, (const uint8_t *)js, strlen(js), dec, 40, scratch, sizeof(scratch));
    ck_assert_int_ge(r, 0);
    memset(&st, 0xa5, sizeof(st.acl[0]));
    st.nacl = 0;
    st.acl_known = 1;
    return unboot_acl_from_records(&st, dec, (size_t)r);
}

START_TEST(read_malformed)
{
    /* a string where an integer belongs */
    ck_assert_int_eq(from_json("[{\"bn\":\"/2/0/\",\"n\":\"0\",\"vs\":\"3\"},{\"n\":\"1\",\"v\":0}]"),
                     LWM2M_ERR_FORMAT);
    ck_assert_int_eq(st.acl_known, 0);
    /* rights above 255, a negative ID, a fraction, an object ID over 65535 */
    ck_assert_int_eq(
        from_json("[{\"bn\":\"/2/0/\",\"n\":\"0\",\"v\":3},{\"n\":\"1\",\"v\":0},{\"n\":\"2/1\",\"v\":256}]"),
        LWM2M_ERR_FORMAT);
    ck_assert_int_eq(from_json("[{\"bn\":\"/2/0/\",\"n\":\"0\",\"v\":-3},{\"n\":\"1\",\"v\":0}]"),
                     LWM2M_ERR_FORMAT);
    ck_assert_int_eq(from_json("[{\"bn\":\"/2/0/\",\"n\":\"0\",\"v\":3.5},{\"n\":\"1\",\"v\":0}]"),
                     LWM2M_ERR_FORMAT);
    ck_assert_int_eq(from_json("[{\"bn\":\"/2/0/\",\"n\":\"0\",\"v\":65536},{\"n\":\"1\",\"v\":0}]"),
                     LWM2M_ERR_FORMAT);
    /* resource 2 without a resource instance */
    ck_assert_int_eq(
        from_json("[{\"bn\":\"/2/0/\",\"n\":\"0\",\"v\":3},{\"n\":\"1\",\"v\":0},{\"n\":\"2\",\"v\":1}]"),
        LWM2M_ERR_FORMAT);
    /* a record of another object (the decoders refuse it first; the reader too) */
    lwm2m_record_t other = {.path = lwm2m_path(3, 3, 0, 0, 0), .v = {.type = LWM2M_T_INTEGER, .i = 3}};
    ck_assert_int_eq(unboot_acl_from_records(&st, &other, 1), LWM2M_ERR_FORMAT);
    /* one instance in two places: the decoder orders the records, so it
     * reads as one; records handed over unordered are refused */
    ck_assert_int_eq(
        from_json("[{\"n\":\"/2/0/0\",\"v\":3},{\"n\":\"/2/0/1\",\"v\":0},{\"n\":\"/2/1/0\",\"v\":3},"
                  "{\"n\":\"/2/1/1\",\"v\":0},{\"n\":\"/2/0/3\",\"v\":1}]"),
        2);
    ck_assert_uint_eq(st.acl[0].owner, 1);
    lwm2m_record_t split[] = {
        {.path = lwm2m_path(3, 2, 0, 0, 0), .v = {.type = LWM2M_T_INTEGER, .i = 3}},
        {.path = lwm2m_path(3, 2, 0, 1, 0), .v = {.type = LWM2M_T_INTEGER, .i = 0}},
        {.path = lwm2m_path(3, 2, 1, 0, 0), .v = {.type = LWM2M_T_INTEGER, .i = 3}},
        {.path = lwm2m_path(3, 2, 1, 1, 0), .v = {.type = LWM2M_T_INTEGER, .i = 0}},
        {.path = lwm2m_path(3, 2, 0, 3, 0), .v = {.type = LWM2M_T_INTEGER, .i = 1}},
    };
    ck_assert_int_eq(unboot_acl_from_records(&st, split, 5), LWM2M_ERR_FORMAT);
    /* more entries than UNBOOT_MAX_ENTRIES */
    char big[2048];
    size_t n =
        (size_t)snprintf(big, sizeof(big), "[{\"bn\":\"/2/0/\",\"n\":\"0\",\"v\":3},{\"n\":\"1\",\"v\":0}");
    for (int i = 1; i <= UNBOOT_MAX_ENTRIES + 1; i++)
        n += (size_t)snprintf(big + n, sizeof(big) - n, ",{\"n\":\"2/%d\",\"v\":1}", i);
    snprintf(big + n, sizeof(big) - n, "]");
    ck_assert_int_eq(from_json(big), LWM2M_ERR_FORMAT);
    /* an empty answer: known, no instances */
    ck_assert_int_eq(from_json("[]"), 0);
    ck_assert_int_eq(st.acl_known, 1);
}
END_TEST

START_TEST(write_records_and_json)
{
    static const uint16_t e[] = {0, 1, 101, 15};
    unboot_acl_t a = acl_of(4, 3303, 0, 101, 2, e);
    lwm2m_record_t recs[8];
    ck_assert_int_eq(unboot_acl_records(&a, recs, 4), LWM2M_ERR_NOSPACE);
    ck_assert_int_eq(unboot_acl_records(&a, recs, 8), 5);
    char p[32];
    const char *want[] = {"/2/4/0", "/2/4/1", "/2/4/2/0", "/2/4/2/101", "/2/4/3"};
    const int64_t val[] = {3303, 0, 1, 15, 101};
    for (int i = 0; i < 5; i++) {
        ck_assert_int_gt(lwm2m_path_format(&recs[i].path, p, sizeof(p)), 0);
        ck_assert_str_eq(p, want[i]);
        ck_assert_int_eq(recs[i].v.type, LWM2M_T_INTEGER);
        ck_assert_int_eq(recs[i].v.i, val[i]);
        if (i) ck_assert_int_lt(lwm2m_path_cmp(&recs[i - 1].path, &recs[i].path), 0);
    }

    /* One server (102) removed from a client with 101 and 102 sharing /3303/0. */
    static const uint16_t e2[] = {101, 3, 102, 10};
    memset(&st, 0, sizeof(st));
    st.sec[st.nsec++] = (unboot_account_t){0, 0};
    st.sec[st.nsec++] = (unboot_account_t){1, 101};
    st.sec[st.nsec++] = (unboot_account_t){2, 102};
    st.srv[st.nsrv++] = (unboot_account_t){0, 101};
    st.srv[st.nsrv++] = (unboot_account_t){1, 102};
    st.acl[st.nacl++] = acl_of(0, 3303, 0, 102, 2, e2);
    st.acl_known = 1;
    const uint16_t rm[] = {102, 9};
    ck_assert_int_eq(unboot_plan(&st, rm, 2, &res), 0);
    char js[1024];
    int n = unboot_result_json(&res, 1, js, sizeof(js));
    ck_assert_int_gt(n, 0);
    ck_assert_str_eq(
        js, "{\"acl\":\"read\",\"removed\":[102],\"absent\":[9],\"changes\":[{\"acl\":0,\"target\":"
            "\"/3303/0\",\"change\":\"rewritten\",\"dropped\":1,\"owner\":{\"from\":102,\"to\":101,"
            "\"score\":1}}],\"ops\":[\"delete /2/0\",\"write /2/0\",\"delete /1/1\",\"delete /0/2\"],"
            "\"after\":[{\"iid\":0,\"obj\":3303,\"inst\":0,\"owner\":101,\"acl\":{\"101\":3}}]}");
    ck_assert_int_eq((int)strlen(js), n);
    for (size_t cap = 0; cap < (size_t)n + 1; cap += 7)
        ck_assert_int_eq(unboot_result_json(&res, 1, js, cap), LWM2M_ERR_NOSPACE);
    ck_assert_int_gt(unboot_result_json(&res, 0, js, sizeof(js)), 0);
    ck_assert_ptr_null(strstr(js, "after"));
}
END_TEST

START_TEST(bounds)
{
    memset(&st, 0, sizeof(st));
    st.srv[st.nsrv++] = (unboot_account_t){0, 101};
    st.acl_known = 1;
    static const uint16_t dup[] = {101, 3, 101, 1}, unsorted[] = {102, 3, 101, 1};
    st.acl[st.nacl++] = acl_of(0, 3, 0, 101, 2, dup);
    const uint16_t rm[] = {101};
    ck_assert_int_eq(unboot_plan(&st, rm, 1, &res), LWM2M_ERR_RANGE);
    ck_assert_uint_eq(res.nops, 0);
    st.acl[0] = acl_of(0, 3, 0, 101, 2, unsorted);
    ck_assert_int_eq(unboot_plan(&st, rm, 1, &res), LWM2M_ERR_RANGE);
    st.acl[0] = acl_of(0, 3, 0, 101, 0, NULL);
    st.acl[st.nacl++] = acl_of(0, 5, 0, 101, 0, NULL); /* the same iid twice */
    ck_assert_int_eq(unboot_plan(&st, rm, 1, &res), LWM2M_ERR_RANGE);
    st.nacl = 1;
    uint16_t many[UNBOOT_MAX_REMOVE + 1];
    for (int i = 0; i <= UNBOOT_MAX_REMOVE; i++)
        many[i] = (uint16_t)(i + 1);
    ck_assert_int_eq(unboot_plan(&st, many, UNBOOT_MAX_REMOVE + 1, &res), LWM2M_ERR_RANGE);
    ck_assert_int_eq(unboot_plan(&st, many, UNBOOT_MAX_REMOVE, &res), 0);
    st.nsrv = UNBOOT_MAX_ACCOUNTS + 1;
    ck_assert_int_eq(unboot_plan(&st, rm, 1, &res), LWM2M_ERR_RANGE);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("unboot");
    TCase *t = tcase_create("io");
    tcase_add_test(t, read_tlv_senml_json_senml_cbor);
    tcase_add_test(t, read_tolerant);
    tcase_add_test(t, read_malformed);
    tcase_add_test(t, write_records_and_json);
    tcase_add_test(t, bounds);
    suite_add_tcase(s, t);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
