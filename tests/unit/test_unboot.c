/*
 * test_unboot.c — the unbootstrap planner's input and output (unboot.h):
 * the Access Control object read back from real Read /2 payloads in TLV,
 * SenML JSON and SenML CBOR, malformed answers refused, the full-instance
 * records of an ACL Write, the JSON of a result, and the bounds; and the
 * planning rules, one hand-written case per sentence of unboot.h and of
 * LWM2M-BOOTSTRAP.md "Unbootstrapping and the Access Control Owner"
 * (§5.2.5 done by the server). Random tables are checked against an
 * independent reference model in test_unboot_prop.c.
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
    ck_assert_int_eq(from_json(big), LWM2M_ERR_LIMIT); /* beyond the bounds, not malformed */
    ck_assert_int_eq(st.acl_known, 0);
    /* an empty answer: known, no instances */
    ck_assert_int_eq(from_json("[]"), 0);
    ck_assert_int_eq(st.acl_known, 1);
}
END_TEST

/* Read /2 answers written byte by byte (TLV: LwM2M Core §7.4.3; SenML
 * CBOR: RFC 8428 §6): one instance /2/0 for /3/0, entry 101, owner 101. */
START_TEST(read_by_hand)
{
    static const uint8_t tlv_ok[] = {0x08, 0x00, 0x0e,             /* Object Instance 0, 14 bytes */
                                     0xc1, 0x00, 0x03,             /* 0: 3 */
                                     0xc1, 0x01, 0x00,             /* 1: 0 */
                                     0x83, 0x02, 0x41, 0x65, 0x07, /* 2: {101: 7} */
                                     0xc1, 0x03, 0x65};            /* 3: 101 */
    static const uint8_t tlv_3byte[] = {0x08, 0x00, 0x10, 0xc1, 0x00, 0x03, 0xc1, 0x01, 0x00, 0x85,
                                        0x02, 0x43, 0x65, 0x00, 0x00, 0x07, 0xc1, 0x03, 0x65};
    static const uint8_t tlv_negative[] = {0x08, 0x00, 0x0e, 0xc1, 0x00, 0x03, 0xc1, 0x01, 0x00,
                                           0x83, 0x02, 0x41, 0x65, 0xff, 0xc1, 0x03, 0x65};
    lwm2m_path_t base = lwm2m_path(1, 2, 0, 0, 0);
    lwm2m_record_t dec[16];
    size_t nd;
    ck_assert_int_eq(tlv_decode(&base, tlv_ok, sizeof(tlv_ok), dec, 16, &nd), 0);
    memset(&st, 0, sizeof(st));
    ck_assert_int_eq(unboot_acl_from_records(&st, dec, nd), 1);
    ck_assert_uint_eq(st.acl[0].obj, 3);
    ck_assert_uint_eq(st.acl[0].owner, 101);
    ck_assert_uint_eq(st.acl[0].nent, 1);
    ck_assert_uint_eq(st.acl[0].ent[0].ssid, 101);
    ck_assert_uint_eq(st.acl[0].ent[0].rights, 7);
    /* a 3-byte integer, and rights -1 (0xff is signed in TLV) */
    ck_assert_int_eq(tlv_decode(&base, tlv_3byte, sizeof(tlv_3byte), dec, 16, &nd), 0);
    ck_assert_int_eq(unboot_acl_from_records(&st, dec, nd), LWM2M_ERR_FORMAT);
    ck_assert_int_eq(st.acl_known, 0);
    ck_assert_uint_eq(st.nacl, 0);
    ck_assert_int_eq(tlv_decode(&base, tlv_negative, sizeof(tlv_negative), dec, 16, &nd), 0);
    ck_assert_int_eq(unboot_acl_from_records(&st, dec, nd), LWM2M_ERR_FORMAT);

    /* [{-2:"/2/0/", 0:"0", 2:3}, {0:"1", 2:0}, {0:"2/1", 2:<half float>}] */
    uint8_t cbor[] = {0x83, 0xa3, 0x21, 0x65, '/',  '2',  '/',  '0',  '/',  0x00,
                      0x61, '0',  0x02, 0x03, 0xa2, 0x00, 0x61, '1',  0x02, 0x00,
                      0xa2, 0x00, 0x63, '2',  '/',  '1',  0x02, 0xf9, 0x40, 0x00}; /* 2.0 */
    ck_assert_int_eq(senml_cbor_decode(&base, cbor, sizeof(cbor), dec, 16, &nd), 0);
    ck_assert_int_eq(dec[2].v.type, LWM2M_T_FLOAT);
    memset(&st, 0, sizeof(st));
    ck_assert_int_eq(unboot_acl_from_records(&st, dec, nd), 1);
    ck_assert_uint_eq(st.acl[0].ent[0].ssid, 1);
    ck_assert_uint_eq(st.acl[0].ent[0].rights, 2);
    ck_assert_uint_eq(st.acl[0].owner, 0); /* missing owner reads as 0 */
    cbor[sizeof(cbor) - 2] = 0x3e;         /* 1.5 */
    ck_assert_int_eq(senml_cbor_decode(&base, cbor, sizeof(cbor), dec, 16, &nd), 0);
    ck_assert_int_eq(unboot_acl_from_records(&st, dec, nd), LWM2M_ERR_FORMAT);
    ck_assert_int_eq(st.acl_known, 0);
}
END_TEST

/* Records as a caller may hand them over: types, ranges, twice, bounds. */
START_TEST(read_records_edges)
{
    static lwm2m_record_t recs[2 * (UNBOOT_MAX_ACL + 1)];
    lwm2m_record_t r[4] = {
        {.path = lwm2m_path(3, 2, 0, 0, 0), .v = {.type = LWM2M_T_UNSIGNED, .u = 3303}},
        {.path = lwm2m_path(3, 2, 0, 1, 0), .v = {.type = LWM2M_T_INTEGER, .i = 65535}},
        {.path = lwm2m_path(4, 2, 0, 2, 65535), .v = {.type = LWM2M_T_INTEGER, .i = 255}},
        {.path = lwm2m_path(3, 2, 0, 3, 0), .v = {.type = LWM2M_T_FLOAT, .f = 65535.0}},
    };
    memset(&st, 0, sizeof(st));
    ck_assert_int_eq(unboot_acl_from_records(&st, r, 4), 1);
    ck_assert_uint_eq(st.acl[0].obj, 3303);
    ck_assert_uint_eq(st.acl[0].inst, 65535);
    ck_assert_uint_eq(st.acl[0].ent[0].ssid, 65535);
    ck_assert_uint_eq(st.acl[0].ent[0].rights, 255);
    ck_assert_uint_eq(st.acl[0].owner, 65535);
    r[0].v.u = UINT64_MAX;
    ck_assert_int_eq(unboot_acl_from_records(&st, r, 4), LWM2M_ERR_FORMAT);
    ck_assert_uint_eq(st.nacl, 0);
    r[0].v = (lwm2m_value_t){.type = LWM2M_T_BOOLEAN, .b = 1};
    ck_assert_int_eq(unboot_acl_from_records(&st, r, 4), LWM2M_ERR_FORMAT);
    r[0].v = (lwm2m_value_t){.type = LWM2M_T_INTEGER, .i = 3303};
    r[3].v.f = -1.0;
    ck_assert_int_eq(unboot_acl_from_records(&st, r, 4), LWM2M_ERR_FORMAT);
    r[3].v.f = 5.0;
    r[2] = r[1]; /* resource 1 twice */
    ck_assert_int_eq(unboot_acl_from_records(&st, r, 4), LWM2M_ERR_FORMAT);
    /* only the target missing: the instance is skipped, the read is fine */
    ck_assert_int_eq(unboot_acl_from_records(&st, &r[1], 1), 0);
    ck_assert_int_eq(st.acl_known, 1);

    /* UNBOOT_MAX_ACL instances fit, one more is LWM2M_ERR_LIMIT */
    for (size_t i = 0; i <= UNBOOT_MAX_ACL; i++) {
        recs[2 * i] = (lwm2m_record_t){.path = lwm2m_path(3, 2, (uint16_t)i, 0, 0),
                                       .v = {.type = LWM2M_T_INTEGER, .i = 3303}};
        recs[2 * i + 1] = (lwm2m_record_t){.path = lwm2m_path(3, 2, (uint16_t)i, 1, 0),
                                           .v = {.type = LWM2M_T_INTEGER, .i = (int64_t)i}};
    }
    ck_assert_int_eq(unboot_acl_from_records(&st, recs, 2 * UNBOOT_MAX_ACL), UNBOOT_MAX_ACL);
    ck_assert_int_eq(unboot_acl_from_records(&st, recs, 2 * (UNBOOT_MAX_ACL + 1)), LWM2M_ERR_LIMIT);
    ck_assert_int_eq(st.acl_known, 0);
    ck_assert_uint_eq(st.nacl, 0);
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

/* ---- planning: hand-written cases from the spec text ------------------------------ */

/* A client with the Bootstrap-Server account (/0/0, no SSID). */
static void client(void)
{
    memset(&st, 0, sizeof(st));
    st.acl_known = 1;
    st.sec[st.nsec++] = (unboot_account_t){0, 0};
}

/* Server |ssid| with Server instance /1/|srv| and Security instance /0/|sec|. */
static void server(uint16_t ssid, uint16_t srv, uint16_t sec)
{
    st.srv[st.nsrv++] = (unboot_account_t){srv, ssid};
    st.sec[st.nsec++] = (unboot_account_t){sec, ssid};
}

/* The usual client: servers 101 (/1/0, /0/1) and 102 (/1/1, /0/2). */
static void two_servers(void)
{
    client();
    server(101, 0, 1);
    server(102, 1, 2);
}

static void add_acl(uint16_t iid, uint16_t obj, uint16_t inst, uint16_t owner, const uint16_t *kv, size_t n)
{
    st.acl[st.nacl++] = acl_of(iid, obj, inst, owner, (int)n, kv);
}

/* ACL(iid, obj, inst, owner, ssid, rights, ssid, rights, ...) */
#define ACL(iid, obj, inst, owner, ...)                                                                      \
    add_acl(iid, obj, inst, owner, (const uint16_t[]){__VA_ARGS__},                                          \
            sizeof((const uint16_t[]){__VA_ARGS__}) / sizeof(uint16_t) / 2)
#define PLAN(...)                                                                                            \
    unboot_plan(&st, (const uint16_t[]){__VA_ARGS__},                                                        \
                sizeof((const uint16_t[]){__VA_ARGS__}) / sizeof(uint16_t), &res)

#define RW  (UNBOOT_R | UNBOOT_W)
#define RWD (UNBOOT_R | UNBOOT_W | UNBOOT_D)

/* The planned operations as "delete /2/0,write /2/0,...". */
static const char *ops(void)
{
    static char buf[8192];
    lwm2m_jbuf_t j = {buf, sizeof(buf), 0, 0};
    buf[0] = 0;
    for (size_t i = 0; i < res.nops; i++) {
        const unboot_op_t *o = &res.ops[i];
        ck_assert_int_eq(o->path.depth, 2);
        lwm2m_jprintf(&j, "%s%s /%u/%u", i ? "," : "", o->kind == UNBOOT_OP_WRITE_ACL ? "write" : "delete",
                      (unsigned)o->path.obj, (unsigned)o->path.inst);
        if (o->kind == UNBOOT_OP_WRITE_ACL) {
            ck_assert_uint_lt(o->acl, res.nafter);
            ck_assert_uint_eq(res.after[o->acl].iid, o->path.inst);
        }
    }
    ck_assert_int_eq(j.err, 0);
    return buf;
}

/* The whole "after" table, "iid /obj/inst owner: ssid=rights ..." per
 * instance, joined by " | " ("" when empty). */
static const char *after(void)
{
    static char buf[8192];
    lwm2m_jbuf_t j = {buf, sizeof(buf), 0, 0};
    buf[0] = 0;
    for (size_t i = 0; i < res.nafter; i++) {
        const unboot_acl_t *a = &res.after[i];
        lwm2m_jprintf(&j, "%s%u /%u/%u %u:", i ? " | " : "", (unsigned)a->iid, (unsigned)a->obj,
                      (unsigned)a->inst, (unsigned)a->owner);
        for (unsigned k = 0; k < a->nent; k++)
            lwm2m_jprintf(&j, " %u=%u", (unsigned)a->ent[k].ssid, (unsigned)a->ent[k].rights);
    }
    ck_assert_int_eq(j.err, 0);
    return buf;
}

static void check_change(size_t i, uint8_t kind, uint16_t iid, uint8_t dropped, uint8_t target_deleted)
{
    ck_assert_uint_lt(i, res.nchanges);
    const unboot_change_t *c = &res.changes[i];
    ck_assert_uint_eq(c->kind, kind);
    ck_assert_uint_eq(c->iid, iid);
    ck_assert_uint_eq(c->dropped, dropped);
    ck_assert_uint_eq(c->target_deleted, target_deleted);
}

static void check_owner(size_t i, uint16_t from, uint16_t to, uint8_t score)
{
    const unboot_change_t *c = &res.changes[i];
    ck_assert_uint_eq(c->owner_changed, 1);
    ck_assert_uint_eq(c->owner_from, from);
    ck_assert_uint_eq(c->owner_to, to);
    ck_assert_uint_eq(c->score, score);
}

/* "drop S's entry": the rest of the instance stays, a shared target stays,
 * the owner that is not removed stays; the rewrite is Delete + full Write,
 * and the removed server's accounts go last (Server, then Security). */
START_TEST(plan_entry_dropped)
{
    two_servers();
    ACL(0, 3303, 0, 101, 0, UNBOOT_R, 50, UNBOOT_R, 101, RW, 102, RWD);
    ck_assert_int_eq(PLAN(102), 0);
    ck_assert_str_eq(ops(), "delete /2/0,write /2/0,delete /1/1,delete /0/2");
    ck_assert_uint_eq(res.nchanges, 1);
    check_change(0, UNBOOT_CH_REWRITTEN, 0, 1, 0);
    ck_assert_uint_eq(res.changes[0].owner_changed, 0);
    /* entry 0 and entry 50 (no such server) are not touched */
    ck_assert_str_eq(after(), "0 /3303/0 101: 0=1 50=1 101=3");
    ck_assert_uint_eq(res.nremoved, 1);
    ck_assert_uint_eq(res.removed[0], 102);
    ck_assert_uint_eq(res.nabsent, 0);
    ck_assert_int_eq(res.acl_unknown, 0);
}
END_TEST

/* Score [W] + [D], one point each, whatever the other bits; ties to the
 * lowest SSID. (Anjay weighs W=2, D=8 and lets the last tie win.) */
START_TEST(plan_owner_score)
{
    static const struct {
        uint16_t r1, r2, r3; /* rights of 1, 2 and 3 (3 is removed and owns) */
        uint16_t owner;
        uint8_t score;
    } cases[] = {
        {UNBOOT_R | UNBOOT_W | UNBOOT_E, UNBOOT_D, RWD, 1, 1},        /* 1 vs 1: lowest SSID */
        {UNBOOT_W, RWD, RWD, 2, 2},                                   /* R|W|D beats W */
        {UNBOOT_W, UNBOOT_D, 0, 1, 1},                                /* raw bits would pick D (8) */
        {UNBOOT_W, UNBOOT_W, RWD, 1, 1},                              /* last tie does not win */
        {UNBOOT_R | UNBOOT_E | UNBOOT_C | 0x80, UNBOOT_W, RWD, 2, 1}, /* R, E, C, other bits: 0 */
        {UNBOOT_R, UNBOOT_E, RWD, 1, 0},                              /* all 0: lowest SSID */
        {0, UNBOOT_R, RWD, 1, 0}, /* an own entry counts whatever its rights */
        {UNBOOT_D | UNBOOT_W, UNBOOT_D | UNBOOT_W | UNBOOT_R | UNBOOT_E | UNBOOT_C, RWD, 1, 2},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        client();
        server(1, 0, 1);
        server(2, 1, 2);
        server(3, 2, 3);
        ACL(4, 3303, 0, 3, 1, cases[i].r1, 2, cases[i].r2, 3, cases[i].r3);
        ck_assert_int_eq(PLAN(3), 0);
        ck_assert_str_eq(ops(), "delete /2/4,write /2/4,delete /1/2,delete /0/3");
        check_change(0, UNBOOT_CH_REWRITTEN, 4, 1, 0);
        check_owner(0, 3, cases[i].owner, cases[i].score);
        ck_assert_uint_eq(res.after[0].owner, cases[i].owner);
    }
}
END_TEST

/* SSID 0 and 65535 are never servers, even with a Server instance and an
 * entry that would score 2; the elected owner is a real server. */
START_TEST(plan_never_0_or_65535)
{
    client();
    server(5, 0, 1);
    server(7, 1, 2);
    st.srv[st.nsrv++] = (unboot_account_t){8, 0};
    st.srv[st.nsrv++] = (unboot_account_t){9, 65535};
    ACL(0, 3303, 0, 7, 0, RWD, 5, UNBOOT_R, 7, RWD, 65535, RWD);
    /* 0 and 65535 in the request are ignored: neither removed nor absent */
    ck_assert_int_eq(PLAN(0, 7, 65535), 0);
    ck_assert_uint_eq(res.nremoved, 1);
    ck_assert_uint_eq(res.nabsent, 0);
    check_owner(0, 7, 5, 0);
    ck_assert_str_eq(after(), "0 /3303/0 5: 0=11 5=1 65535=11");
    ck_assert_str_eq(ops(), "delete /2/0,write /2/0,delete /1/1,delete /0/2");

    /* Only 0 and 65535 left with entries: nobody can access, target goes. */
    client();
    server(5, 0, 1);
    st.srv[st.nsrv++] = (unboot_account_t){9, 65535};
    ACL(0, 3303, 0, 5, 0, 0, 5, RWD, 65535, RWD);
    ck_assert_int_eq(PLAN(5), 0);
    ck_assert_str_eq(ops(), "delete /3303/0,delete /2/0,delete /1/0,delete /0/1");
    check_change(0, UNBOOT_CH_DELETED, 0, 1, 1);
    ck_assert_str_eq(after(), "");
}
END_TEST

/* An owner that is not removed is kept, 65535 "bootstrap only" too. */
START_TEST(plan_owner_kept)
{
    two_servers();
    server(103, 2, 3);
    ACL(0, 3303, 0, 65535, 101, RW, 102, RWD);
    ACL(1, 3303, 1, 103, 101, RW, 102, RWD, 103, UNBOOT_R);
    ACL(2, 3303, 2, 0, 101, UNBOOT_R); /* owner 0, not naming 102: unchanged */
    ck_assert_int_eq(PLAN(102), 0);
    ck_assert_str_eq(ops(), "delete /2/0,write /2/0,delete /2/1,write /2/1,delete /1/1,delete /0/2");
    ck_assert_uint_eq(res.nchanges, 2);
    ck_assert_uint_eq(res.changes[0].owner_changed, 0);
    ck_assert_uint_eq(res.changes[1].owner_changed, 0);
    ck_assert_str_eq(after(), "0 /3303/0 65535: 101=3 | 1 /3303/1 103: 101=3 103=1 | 2 /3303/2 0: 101=1");
}
END_TEST

/* The default entry: a server without its own entry accesses through it;
 * with no remaining own entry, the owner is elected among those, scored by
 * the default entry, lowest SSID. */
START_TEST(plan_default_entry)
{
    client();
    server(104, 0, 1);
    server(101, 1, 2);
    server(102, 2, 3);
    server(103, 3, 4);
    ACL(0, 3303, 0, 102, 0, UNBOOT_R | UNBOOT_W, 102, RWD);
    ck_assert_int_eq(PLAN(102), 0);
    check_change(0, UNBOOT_CH_REWRITTEN, 0, 1, 0);
    check_owner(0, 102, 101, 1);
    ck_assert_str_eq(after(), "0 /3303/0 101: 0=3");

    /* an own entry (even R only) makes its server the only candidate */
    client();
    server(104, 0, 1);
    server(101, 1, 2);
    server(102, 2, 3);
    server(103, 3, 4);
    ACL(0, 3303, 0, 102, 0, RWD, 102, RWD, 103, UNBOOT_R);
    ck_assert_int_eq(PLAN(102), 0);
    check_owner(0, 102, 103, 0);
}
END_TEST

/* An own entry with rights 0 blocks the default entry: that server cannot
 * access, so with no one else the target and its ACL instance go. */
START_TEST(plan_zero_entry_blocks_default)
{
    two_servers();
    ACL(0, 3303, 0, 102, 0, RWD, 101, 0, 102, RWD);
    ck_assert_int_eq(PLAN(102), 0);
    ck_assert_str_eq(ops(), "delete /3303/0,delete /2/0,delete /1/1,delete /0/2");
    check_change(0, UNBOOT_CH_DELETED, 0, 1, 1);
    ck_assert_str_eq(after(), "");

    /* the same with 101 reaching it through the default entry: kept */
    two_servers();
    ACL(0, 3303, 0, 102, 0, UNBOOT_R, 102, RWD);
    ck_assert_int_eq(PLAN(102), 0);
    ck_assert_str_eq(ops(), "delete /2/0,write /2/0,delete /1/1,delete /0/2");
    check_owner(0, 102, 101, 0);
}
END_TEST

/* Protected targets keep their instance, lose the ACL instance; an
 * ordinary instance nobody can reach is deleted with it. */
START_TEST(plan_protected)
{
    two_servers();
    ACL(1, 3, 0, 102, 102, RWD);
    ACL(2, 3, 1, 102, 102, RWD); /* /3/1 is not protected */
    ACL(3, 1, 0, 102, 102, RWD);
    ACL(4, 0, 1, 102, 102, RWD);
    ACL(5, 21, 0, 102, 102, RWD);
    ACL(6, 1, 1, 102, 102, RWD); /* the removed server's own Server instance */
    /* an anomaly: /2/7 names /2/8, which 101 can still reach; /2/7 goes,
     * /2/8 is not deleted as its "target" but rewritten as its own plan says */
    ACL(7, 2, 8, 102, 102, RWD);
    ACL(8, 3303, 0, 102, 101, UNBOOT_R, 102, RWD);
    ck_assert_int_eq(PLAN(102), 0);
    ck_assert_str_eq(ops(), "delete /2/1,delete /3/1,delete /2/2,delete /2/3,delete /2/4,delete /2/5,"
                            "delete /2/6,delete /2/7,delete /2/8,write /2/8,delete /1/1,delete /0/2");
    ck_assert_uint_eq(res.nchanges, 8);
    check_change(0, UNBOOT_CH_DELETED_ACL, 1, 1, 0);
    check_change(1, UNBOOT_CH_DELETED, 2, 1, 1);
    for (size_t i = 2; i < 7; i++)
        check_change(i, UNBOOT_CH_DELETED_ACL, (uint16_t)(i + 1), 1, 0);
    check_change(7, UNBOOT_CH_REWRITTEN, 8, 1, 0);
    check_owner(7, 102, 101, 0);
    ck_assert_str_eq(after(), "8 /3303/0 101: 101=1");
}
END_TEST

/* Object-level ACL instances (inst 65535, the Create right): the object
 * is never deleted; rewritten with an elected owner, or deleted when
 * nobody is left to own them. */
START_TEST(plan_object_level)
{
    two_servers();
    ACL(0, 3303, 65535, 102, 102, UNBOOT_C);              /* nobody left: ACL deleted */
    ACL(1, 3304, 65535, 102, 0, UNBOOT_C, 102, UNBOOT_C); /* 101 via the default entry */
    ACL(2, 3305, 65535, 101, 101, UNBOOT_C, 102, UNBOOT_C);
    ACL(3, 3306, 65535, 102, 101, 0, 102, UNBOOT_C); /* 101 cannot create, still a candidate */
    ck_assert_int_eq(PLAN(102), 0);
    ck_assert_str_eq(ops(),
                     "delete /2/0,delete /2/1,write /2/1,delete /2/2,write /2/2,delete /2/3,write /2/3,"
                     "delete /1/1,delete /0/2");
    check_change(0, UNBOOT_CH_DELETED_ACL, 0, 1, 0);
    check_change(1, UNBOOT_CH_REWRITTEN, 1, 1, 0);
    check_owner(1, 102, 101, 0);
    check_change(2, UNBOOT_CH_REWRITTEN, 2, 1, 0);
    ck_assert_uint_eq(res.changes[2].owner_changed, 0);
    check_change(3, UNBOOT_CH_REWRITTEN, 3, 1, 0);
    check_owner(3, 102, 101, 0);
    ck_assert_str_eq(after(),
                     "1 /3304/65535 101: 0=16 | 2 /3305/65535 101: 101=16 | 3 /3306/65535 101: 101=0");
}
END_TEST

/* |have_insts|: a target the client did not list gets no Delete. */
START_TEST(plan_have_insts)
{
    two_servers();
    ACL(0, 3303, 0, 102, 102, RWD);
    ACL(1, 3303, 1, 102, 102, RWD);
    st.insts[st.ninsts++] = lwm2m_path(2, 3303, 1, 0, 0);
    st.insts[st.ninsts++] = lwm2m_path(2, 3304, 0, 0, 0);
    st.have_insts = 1;
    ck_assert_int_eq(PLAN(102), 0);
    ck_assert_str_eq(ops(), "delete /2/0,delete /3303/1,delete /2/1,delete /1/1,delete /0/2");
    check_change(0, UNBOOT_CH_DELETED, 0, 1, 0);
    check_change(1, UNBOOT_CH_DELETED, 1, 1, 1);
    /* without the list every target is deleted */
    st.have_insts = 0;
    ck_assert_int_eq(PLAN(102), 0);
    ck_assert_str_eq(ops(), "delete /3303/0,delete /2/0,delete /3303/1,delete /2/1,delete /1/1,delete /0/2");
}
END_TEST

/* The order: ACL instances by ascending iid whatever the state's order, a
 * target shared by two ACL instances deleted once (at its first place);
 * then per removed SSID ascending its Server instances then its Security
 * instances, each ascending; unchanged instances get nothing. */
START_TEST(plan_order)
{
    client();
    server(101, 0, 1);
    st.srv[st.nsrv++] = (unboot_account_t){4, 103};
    st.srv[st.nsrv++] = (unboot_account_t){2, 103};
    st.sec[st.nsec++] = (unboot_account_t){7, 103};
    st.sec[st.nsec++] = (unboot_account_t){3, 103};
    st.srv[st.nsrv++] = (unboot_account_t){5, 102};
    st.sec[st.nsec++] = (unboot_account_t){6, 102};
    ACL(9, 3303, 0, 103, 103, RWD);
    ACL(2, 3303, 0, 102, 102, RWD);
    ACL(5, 3303, 1, 101, 101, RWD, 103, UNBOOT_R);
    ACL(1, 3303, 2, 101, 101, RWD); /* unchanged */
    ck_assert_int_eq(PLAN(103, 102), 0);
    ck_assert_str_eq(ops(), "delete /3303/0,delete /2/2,delete /2/5,write /2/5,delete /2/9,"
                            "delete /1/5,delete /0/6,delete /1/2,delete /1/4,delete /0/3,delete /0/7");
    ck_assert_uint_eq(res.nchanges, 3);
    check_change(0, UNBOOT_CH_DELETED, 2, 1, 1);
    check_change(1, UNBOOT_CH_REWRITTEN, 5, 1, 0);
    check_change(2, UNBOOT_CH_DELETED, 9, 1, 1); /* its target's Delete is planned, once */
    ck_assert_str_eq(after(), "1 /3303/2 101: 101=11 | 5 /3303/1 101: 101=11");
    ck_assert_uint_eq(res.removed[0], 102);
    ck_assert_uint_eq(res.removed[1], 103);

    /* deterministic: the same plan again, byte for byte */
    static unboot_result_t again;
    ck_assert_int_eq(unboot_plan(&st, (const uint16_t[]){102, 103}, 2, &again), 0);
    ck_assert_int_eq(memcmp(&again, &res, sizeof(res)), 0);
}
END_TEST

/* Several SSIDs removed together: none of them is ever elected, though it
 * scores higher and would still be there one removal at a time. */
START_TEST(plan_several_removed)
{
    two_servers();
    server(103, 2, 3);
    ACL(0, 3303, 0, 102, 101, UNBOOT_R, 102, RWD, 103, RWD);
    ACL(1, 3303, 1, 103, 102, RWD, 103, RWD);
    ck_assert_int_eq(PLAN(103, 102), 0);
    check_change(0, UNBOOT_CH_REWRITTEN, 0, 2, 0);
    check_owner(0, 102, 101, 0);
    check_change(1, UNBOOT_CH_DELETED, 1, 2, 1);
    ck_assert_str_eq(after(), "0 /3303/0 101: 101=1");
    ck_assert_str_eq(ops(), "delete /2/0,write /2/0,delete /3303/1,delete /2/1,delete /1/1,delete /0/2,"
                            "delete /1/2,delete /0/3");
}
END_TEST

/* Presence: accounts, ACL entries or owners name an SSID; the others are
 * absent and change nothing; duplicates are one request. */
START_TEST(plan_absent)
{
    two_servers();
    ACL(0, 3303, 0, 101, 7, UNBOOT_R, 101, RWD); /* 7: an entry, no account */
    ACL(1, 3303, 1, 8, 101, RWD);                /* 8: an owner, no account */
    ck_assert_int_eq(PLAN(9, 7, 8, 7, 5), 0);
    ck_assert_uint_eq(res.nremoved, 2);
    ck_assert_uint_eq(res.removed[0], 7);
    ck_assert_uint_eq(res.removed[1], 8);
    ck_assert_uint_eq(res.nabsent, 2);
    ck_assert_uint_eq(res.absent[0], 5);
    ck_assert_uint_eq(res.absent[1], 9);
    ck_assert_str_eq(ops(), "delete /2/0,write /2/0,delete /2/1,write /2/1");
    check_owner(1, 8, 101, 2);

    /* nothing present: an empty plan, the table as it is */
    ck_assert_int_eq(PLAN(5, 9), 0);
    ck_assert_uint_eq(res.nremoved, 0);
    ck_assert_uint_eq(res.nabsent, 2);
    ck_assert_uint_eq(res.nops, 0);
    ck_assert_uint_eq(res.nchanges, 0);
    ck_assert_str_eq(after(), "0 /3303/0 101: 7=1 101=11 | 1 /3303/1 8: 101=11");
    ck_assert_uint_eq(unboot_plan(&st, NULL, 0, &res), 0);
    ck_assert_uint_eq(res.nops, 0);
}
END_TEST

/* Every ACL instance is examined once something is removed: one that no
 * remaining server can reach goes too, though no removed SSID was in it. */
START_TEST(plan_orphan_examined)
{
    two_servers();
    ACL(0, 3303, 0, 101, 101, 0);
    ck_assert_int_eq(PLAN(102), 0);
    ck_assert_str_eq(ops(), "delete /3303/0,delete /2/0,delete /1/1,delete /0/2");
    check_change(0, UNBOOT_CH_DELETED, 0, 0, 1);
}
END_TEST

/* ACLs unknown (LwM2M 1.0, or the Read failed): accounts only. */
START_TEST(plan_acl_unknown)
{
    two_servers();
    server(102, 3, 4); /* a second account of 102 */
    ACL(0, 3303, 0, 102, 7, UNBOOT_R, 102, RWD);
    st.acl_known = 0;
    ck_assert_int_eq(PLAN(102, 7), 0);
    ck_assert_int_eq(res.acl_unknown, 1);
    ck_assert_str_eq(ops(), "delete /1/1,delete /1/3,delete /0/2,delete /0/4");
    ck_assert_uint_eq(res.nchanges, 0);
    ck_assert_str_eq(after(), "");
    ck_assert_uint_eq(res.nremoved, 1);
    ck_assert_uint_eq(res.nabsent, 1); /* 7 only named by the unread table */
    char js[512];
    ck_assert_int_gt(unboot_result_json(&res, 1, js, sizeof(js)), 0);
    ck_assert_str_eq(js, "{\"acl\":\"unknown\",\"removed\":[102],\"absent\":[7],\"changes\":[],"
                         "\"ops\":[\"delete /1/1\",\"delete /1/3\",\"delete /0/2\",\"delete /0/4\"],"
                         "\"after\":[]}");
}
END_TEST

/* A state over its bounds: LWM2M_ERR_RANGE and an empty result, even
 * after a successful plan into the same result. */
START_TEST(plan_invalid_state)
{
    for (int k = 0; k < 7; k++) {
        two_servers();
        ACL(0, 3303, 0, 102, 101, RWD, 102, RWD);
        ACL(1, 3303, 1, 102, 101, RWD, 102, RWD);
        ck_assert_int_eq(PLAN(102), 0);
        ck_assert_uint_gt(res.nops, 0);
        switch (k) {
        case 0: st.acl[1].iid = 0; break;                       /* iid twice */
        case 1: st.acl[1].ent[0].ssid = 102; break;             /* entry twice */
        case 2: st.acl[1].ent[0].ssid = 103; break;             /* unsorted */
        case 3: st.acl[1].nent = UNBOOT_MAX_ENTRIES + 1; break; /* too many entries */
        case 4: st.nsec = UNBOOT_MAX_ACCOUNTS + 1; break;
        case 5: st.nacl = UNBOOT_MAX_ACL + 1; break;
        default: st.ninsts = UNBOOT_MAX_INSTS + 1; break;
        }
        ck_assert_int_eq(PLAN(102), LWM2M_ERR_RANGE);
        ck_assert_uint_eq(res.nops + res.nchanges + res.nafter + res.nremoved + res.nabsent, 0);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("unboot");
    TCase *t = tcase_create("io");
    tcase_add_test(t, read_tlv_senml_json_senml_cbor);
    tcase_add_test(t, read_tolerant);
    tcase_add_test(t, read_malformed);
    tcase_add_test(t, read_by_hand);
    tcase_add_test(t, read_records_edges);
    tcase_add_test(t, write_records_and_json);
    tcase_add_test(t, bounds);
    suite_add_tcase(s, t);
    TCase *p = tcase_create("plan");
    tcase_add_test(p, plan_entry_dropped);
    tcase_add_test(p, plan_owner_score);
    tcase_add_test(p, plan_never_0_or_65535);
    tcase_add_test(p, plan_owner_kept);
    tcase_add_test(p, plan_default_entry);
    tcase_add_test(p, plan_zero_entry_blocks_default);
    tcase_add_test(p, plan_protected);
    tcase_add_test(p, plan_object_level);
    tcase_add_test(p, plan_have_insts);
    tcase_add_test(p, plan_order);
    tcase_add_test(p, plan_several_removed);
    tcase_add_test(p, plan_absent);
    tcase_add_test(p, plan_orphan_examined);
    tcase_add_test(p, plan_acl_unknown);
    tcase_add_test(p, plan_invalid_state);
    suite_add_tcase(s, p);
    SRunner *r = srunner_create(s);
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
