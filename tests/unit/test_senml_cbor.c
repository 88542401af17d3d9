/*
 * test_senml_cbor.c — unit tests for bsd/lwm2m/senml_cbor.c: the SenML
 * CBOR vectors S1–S7 of docs PROTOCOLS.md §5.2 byte for byte (sources named
 * per test), typed round trips, and malformed packs with the exact error.
 */
#include "bsd/lwm2m/senml_cbor.h"

#include "bsd/lwm2m/cbor.h"

#include <check.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXREC 32

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

static lwm2m_path_t P3(uint16_t o, uint16_t i, uint16_t r)
{
    return lwm2m_path(3, o, i, r, 0);
}

static lwm2m_path_t P4(uint16_t o, uint16_t i, uint16_t r, uint16_t ri)
{
    return lwm2m_path(4, o, i, r, ri);
}

static lwm2m_record_t rec_int(lwm2m_path_t p, int64_t v)
{
    lwm2m_record_t r = {.path = p};
    r.v.type = LWM2M_T_INTEGER;
    r.v.i = v;
    return r;
}

static lwm2m_record_t rec_bytes(lwm2m_path_t p, lwm2m_type_t t, const void *b, size_t len)
{
    lwm2m_record_t r = {.path = p};
    r.v.type = t;
    r.v.bytes.p = b;
    r.v.bytes.len = len;
    return r;
}

static lwm2m_record_t rec_str(lwm2m_path_t p, const char *s)
{
    return rec_bytes(p, LWM2M_T_STRING, s, strlen(s));
}

static lwm2m_record_t rec_bool(lwm2m_path_t p, bool b)
{
    lwm2m_record_t r = {.path = p};
    r.v.type = LWM2M_T_BOOLEAN;
    r.v.b = b;
    return r;
}

static void assert_path(const lwm2m_record_t *r, lwm2m_path_t p)
{
    char a[32], b[32];
    lwm2m_path_format(&r->path, a, sizeof a);
    lwm2m_path_format(&p, b, sizeof b);
    ck_assert_str_eq(a, b);
}

static void assert_str(const lwm2m_record_t *r, lwm2m_type_t t, const char *s)
{
    ck_assert_int_eq(r->v.type, t);
    ck_assert_uint_eq(r->v.bytes.len, strlen(s));
    ck_assert(memcmp(r->v.bytes.p, s, strlen(s)) == 0);
}

static void assert_int(const lwm2m_record_t *r, int64_t v)
{
    ck_assert_int_eq(r->v.type, LWM2M_T_INTEGER);
    ck_assert_int_eq(r->v.i, v);
}

/* The decoded form of a value: TIME reads back as INTEGER, CORELNK as
 * STRING, an UNSIGNED that fits int64_t as INTEGER. */
static void assert_same_value(const lwm2m_value_t *got, const lwm2m_value_t *sent)
{
    lwm2m_type_t t = sent->type;
    if (t == LWM2M_T_TIME || (t == LWM2M_T_UNSIGNED && sent->u <= (uint64_t)INT64_MAX)) t = LWM2M_T_INTEGER;
    if (t == LWM2M_T_CORELNK) t = LWM2M_T_STRING;
    ck_assert_int_eq(got->type, t);
    switch (t) {
    case LWM2M_T_INTEGER: ck_assert_int_eq(got->i, sent->i); break;
    case LWM2M_T_UNSIGNED: ck_assert(got->u == sent->u); break;
    case LWM2M_T_FLOAT:
        if (isnan(sent->f))
            ck_assert(isnan(got->f));
        else
            ck_assert(memcmp(&got->f, &sent->f, sizeof got->f) == 0);
        break;
    case LWM2M_T_BOOLEAN: ck_assert(got->b == sent->b); break;
    case LWM2M_T_OBJLNK:
        ck_assert_uint_eq(got->lnk.obj, sent->lnk.obj);
        ck_assert_uint_eq(got->lnk.inst, sent->lnk.inst);
        break;
    default:
        ck_assert_uint_eq(got->bytes.len, sent->bytes.len);
        ck_assert(sent->bytes.len == 0 || memcmp(got->bytes.p, sent->bytes.p, sent->bytes.len) == 0);
        break;
    }
}

/* Encodes at |target|, decodes at |target| and compares; returns the size. */
static int roundtrip(const lwm2m_path_t *target, const lwm2m_record_t *recs, size_t n, uint8_t *buf,
                     size_t cap)
{
    lwm2m_record_t back[MAXREC];
    size_t m = 99;
    int w = senml_cbor_encode(target, recs, n, buf, cap);
    ck_assert_int_gt(w, 0);
    ck_assert_int_eq(senml_cbor_decode(target, buf, (size_t)w, back, MAXREC, &m), 0);
    ck_assert_uint_eq(m, n);
    for (size_t i = 0; i < n; i++) {
        assert_path(&back[i], recs[i].path);
        assert_same_value(&back[i].v, &recs[i].v);
    }
    return w;
}

static size_t decode_hex(const lwm2m_path_t *base, const char *hex, lwm2m_record_t *recs, size_t max,
                         int want)
{
    static uint8_t in[1024];
    size_t len = unhex(hex, in, sizeof in), n = 99;
    int rc = senml_cbor_decode(base, in, len, recs, max, &n);
    ck_assert_msg(rc == want, "decode %s: %d, want %d", hex, rc, want);
    if (rc != 0) ck_assert_uint_eq(n, 0);
    return n;
}

static void assert_encodes(const lwm2m_path_t *target, const lwm2m_record_t *recs, size_t n, const char *hex)
{
    uint8_t want[512], out[512];
    size_t len = unhex(hex, want, sizeof want);
    int w = senml_cbor_encode(target, recs, n, out, sizeof out);
    ck_assert_int_eq(w, (int)len);
    for (size_t i = 0; i < len; i++)
        ck_assert_msg(out[i] == want[i], "byte %zu: %02x != %02x", i, out[i], want[i]);
    /* exactly enough room is enough; any less is not */
    ck_assert_int_eq(senml_cbor_encode(target, recs, n, out, len), (int)len);
    for (size_t cap = 0; cap < len; cap++)
        ck_assert_int_eq(senml_cbor_encode(target, recs, n, out, cap), LWM2M_ERR_NOSPACE);
}

static const lwm2m_path_t ROOT = {LWM2M_ID_NONE, LWM2M_ID_NONE, LWM2M_ID_NONE, LWM2M_ID_NONE, 0};

/* ---- vectors ---- */

/* S1: wakaama senml_cbor_test_4 (LwM2M Core 1.1 Table 7.4.4-5). */
START_TEST(test_s1)
{
    lwm2m_record_t recs[MAXREC];
    const char *s1 = "81a221662f332f302f3003744f70656e204d6f62696c6520416c6c69616e6365";
    lwm2m_path_t res = P3(3, 0, 0);
    ck_assert_uint_eq(decode_hex(&res, s1, recs, MAXREC, 0), 1);
    assert_path(&recs[0], res);
    assert_str(&recs[0], LWM2M_T_STRING, "Open Mobile Alliance");
    ck_assert_uint_eq(decode_hex(&ROOT, s1, recs, MAXREC, 0), 1);
    assert_encodes(&res, recs, 1, s1);
}
END_TEST

/* S2: wakaama senml_cbor_test_6 (Table 7.4.4-7), names only in n. */
START_TEST(test_s2)
{
    lwm2m_record_t recs[MAXREC];
    const char *s2 =
        "83a200662f332f302f3003744f70656e204d6f62696c6520416c6c69616e6365a200662f332f302f3902185fa2"
        "00662f312f302f31021a00015180";
    ck_assert_uint_eq(decode_hex(&ROOT, s2, recs, MAXREC, 0), 3);
    assert_path(&recs[0], P3(1, 0, 1)); /* sorted */
    assert_int(&recs[0], 86400);
    assert_path(&recs[1], P3(3, 0, 0));
    assert_str(&recs[1], LWM2M_T_STRING, "Open Mobile Alliance");
    assert_path(&recs[2], P3(3, 0, 9));
    assert_int(&recs[2], 95);
    lwm2m_path_t obj3 = lwm2m_path(1, 3, 0, 0, 0);
    decode_hex(&obj3, s2, recs, MAXREC, LWM2M_ERR_PATH); /* /1/0/1 is not under /3 */
}
END_TEST

/* S3: wakaama senml_cbor_test_7 (Table 7.4.4-8), booleans. */
START_TEST(test_s3)
{
    lwm2m_record_t recs[MAXREC];
    const char *s3 =
        "84a2006c2f333331312f302f3538353004f4a2006c2f333331312f312f3538353004f4a2006c2f333331312f"
        "322f353835310214a2006c2f333330382f302f353930300212";
    ck_assert_uint_eq(decode_hex(&ROOT, s3, recs, MAXREC, 0), 4);
    assert_path(&recs[0], P3(3308, 0, 5900));
    assert_int(&recs[0], 18);
    assert_path(&recs[1], P3(3311, 0, 5850));
    ck_assert_int_eq(recs[1].v.type, LWM2M_T_BOOLEAN);
    ck_assert(!recs[1].v.b);
    assert_path(&recs[2], P3(3311, 1, 5850));
    ck_assert(!recs[2].v.b);
    assert_path(&recs[3], P3(3311, 2, 5851));
    assert_int(&recs[3], 20);
}
END_TEST

/* S4: Leshan LwM2mNodeEncoderTest.senml_cbor_encode_opaque_resource. */
START_TEST(test_s4)
{
    lwm2m_record_t recs[MAXREC];
    const char *s4 = "81a221662f302f302f330843abcdef";
    lwm2m_path_t res = P3(0, 0, 3);
    ck_assert_uint_eq(decode_hex(&res, s4, recs, MAXREC, 0), 1);
    assert_str(&recs[0], LWM2M_T_OPAQUE, "\xab\xcd\xef");
    lwm2m_record_t r = rec_bytes(res, LWM2M_T_OPAQUE, "\xab\xcd\xef", 3);
    assert_encodes(&res, &r, 1, s4);
}
END_TEST

/* S5: wakaama senml_cbor_test_9: bn "/2/3" + n "/0" is /2/3/0, re-emitted
 * as bn "/2/3/", n "0". */
START_TEST(test_s5)
{
    lwm2m_record_t recs[MAXREC];
    lwm2m_path_t inst = lwm2m_path(2, 2, 3, 0, 0);
    ck_assert_uint_eq(decode_hex(&inst, "81a321642f322f3300622f30021904d2", recs, MAXREC, 0), 1);
    assert_path(&recs[0], P3(2, 3, 0));
    assert_int(&recs[0], 1234);
    assert_encodes(&inst, recs, 1, "81a321652f322f332f006130021904d2");
}
END_TEST

/* S6: the Device object /3/0 (Table 7.4.4-2; wakaama senml_cbor_test_1). */
static const char *S6 =
    "90a321652f332f302f00613003744f70656e204d6f62696c6520416c6c69616e6365a200613103764c6967687477656967"
    "6874204d324d20436c69656e74a20061320369333435303030313233a20061330363312e30a20063362f300201a200633"
    "62f310205a20063372f3002190ed8a20063372f3102191388a20063382f3002187da20063382f3102190384a200613902"
    "1864a200623130020fa2006431312f300200a200623133021a5182428fa20062313403662b30323a3030a2006231360361"
    "55";

START_TEST(test_s6)
{
    lwm2m_record_t recs[MAXREC];
    uint8_t in[256];
    ck_assert_uint_eq(unhex(S6, in, sizeof in), 196);
    lwm2m_path_t inst = lwm2m_path(2, 3, 0, 0, 0);
    ck_assert_uint_eq(decode_hex(&inst, S6, recs, MAXREC, 0), 16);
    assert_str(&recs[0], LWM2M_T_STRING, "Open Mobile Alliance");
    assert_str(&recs[1], LWM2M_T_STRING, "Lightweight M2M Client");
    assert_str(&recs[2], LWM2M_T_STRING, "345000123");
    assert_str(&recs[3], LWM2M_T_STRING, "1.0");
    assert_path(&recs[4], P4(3, 0, 6, 0));
    assert_int(&recs[4], 1);
    assert_path(&recs[5], P4(3, 0, 6, 1));
    assert_int(&recs[5], 5);
    assert_int(&recs[6], 3800);
    assert_int(&recs[7], 5000);
    assert_int(&recs[8], 125);
    assert_int(&recs[9], 900);
    assert_path(&recs[10], P3(3, 0, 9));
    assert_int(&recs[10], 100);
    assert_int(&recs[11], 15);
    assert_path(&recs[12], P4(3, 0, 11, 0));
    assert_int(&recs[12], 0);
    assert_path(&recs[13], P3(3, 0, 13));
    assert_int(&recs[13], 1367491215);
    assert_str(&recs[14], LWM2M_T_STRING, "+02:00");
    assert_path(&recs[15], P3(3, 0, 16));
    assert_str(&recs[15], LWM2M_T_STRING, "U");
    /* our encoder lays records out exactly as the table does */
    assert_encodes(&inst, recs, 16, S6);
    /* too many records */
    decode_hex(&inst, S6, recs, 15, LWM2M_ERR_NOSPACE);
    decode_hex(&inst, S6, recs, 0, LWM2M_ERR_NOSPACE);
}
END_TEST

/* S7 (self-derived; wakaama parses and re-serialises it byte for byte):
 * Bootstrap-Write /0/1 with the T6 data. */
static const char *S7 =
    "86a321652f302f312f00613003781b636f6170733a2f2f62732e6578616d706c652e636f6d3a35363834a2006131"
    "04f4a20061320200a20061330843657031a200613508500102030405060708090a0b0c0d0e0f10a20062313002"
    "1865";
static const uint8_t KEY16[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

START_TEST(test_s7)
{
    lwm2m_record_t recs[6], back[MAXREC];
    recs[0] = rec_str(P3(0, 1, 0), "coaps://bs.example.com:5684");
    recs[1] = rec_bool(P3(0, 1, 1), false);
    recs[2] = rec_int(P3(0, 1, 2), 0);
    recs[3] = rec_bytes(P3(0, 1, 3), LWM2M_T_OPAQUE, "ep1", 3);
    recs[4] = rec_bytes(P3(0, 1, 5), LWM2M_T_OPAQUE, KEY16, 16);
    recs[5] = rec_int(P3(0, 1, 10), 101);
    lwm2m_path_t inst = lwm2m_path(2, 0, 1, 0, 0);
    uint8_t in[128];
    ck_assert_uint_eq(unhex(S7, in, sizeof in), 93);
    assert_encodes(&inst, recs, 6, S7);
    ck_assert_uint_eq(decode_hex(&inst, S7, back, MAXREC, 0), 6);
    for (size_t i = 0; i < 6; i++) {
        assert_path(&back[i], recs[i].path);
        assert_same_value(&back[i].v, &recs[i].v);
    }
    /* the same data written to /0 names instance and resource in n */
    lwm2m_path_t obj = lwm2m_path(1, 0, 0, 0, 0);
    uint8_t out[256];
    int w = roundtrip(&obj, recs, 6, out, sizeof out);
    ck_assert_int_eq(out[4], '/');       /* bn "/0/" */
    ck_assert_int_eq(w, 93 - 2 + 6 * 2); /* bn "/0/" not "/0/1/"; each n gains "1/" */
}
END_TEST

/* ---- round trips ---- */

START_TEST(test_integers)
{
    static const int64_t vals[] = {0,
                                   1,
                                   23,
                                   24,
                                   255,
                                   256,
                                   65535,
                                   65536,
                                   -1,
                                   -24,
                                   -25,
                                   -256,
                                   -257,
                                   -65536,
                                   -65537,
                                   4294967295LL,
                                   4294967296LL,
                                   -4294967296LL,
                                   -4294967297LL,
                                   INT64_MAX,
                                   INT64_MIN};
    static const int sizes[] = {1, 1, 1, 2, 2, 3, 3, 5, 1, 1, 2, 2, 3, 3, 5, 5, 9, 5, 9, 9, 9};
    uint8_t buf[64];
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        lwm2m_record_t r = rec_int(P3(1, 0, 1), vals[i]);
        /* 81 a2 21 64 "/1/0" ... no: the record is the target, so bn only */
        int w = roundtrip(&r.path, &r, 1, buf, sizeof buf);
        ck_assert_int_eq(w, 1 + 1 + 1 + 7 + 1 + sizes[i]);
        r.v.type = LWM2M_T_TIME;
        roundtrip(&r.path, &r, 1, buf, sizeof buf);
    }
    lwm2m_record_t r = {.path = P3(1, 0, 1)};
    r.v.type = LWM2M_T_UNSIGNED;
    r.v.u = UINT64_MAX;
    roundtrip(&r.path, &r, 1, buf, sizeof buf);
    r.v.u = (uint64_t)INT64_MAX + 1;
    roundtrip(&r.path, &r, 1, buf, sizeof buf);
    r.v.u = 7;
    roundtrip(&r.path, &r, 1, buf, sizeof buf);
}
END_TEST

START_TEST(test_floats)
{
    static const double vals[] = {0.0,     -0.0,     1.5,       65504.0, 100000.0, 0.1, 1e300,
                                  0x1p-24, 0x1p-149, 0x1p-1074, FLT_MAX, DBL_MAX,  2.0};
    static const int sizes[] = {3, 3, 3, 3, 5, 9, 9, 3, 5, 9, 5, 9, 3};
    uint8_t buf[64];
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        lwm2m_record_t r = {.path = P3(3, 0, 9)};
        r.v.type = LWM2M_T_FLOAT;
        r.v.f = vals[i];
        int w = roundtrip(&r.path, &r, 1, buf, sizeof buf);
        ck_assert_int_eq(w, 1 + 1 + 1 + 7 + 1 + sizes[i]);
    }
    lwm2m_record_t r = {.path = P3(3, 0, 9)};
    r.v.type = LWM2M_T_FLOAT;
    r.v.f = INFINITY;
    roundtrip(&r.path, &r, 1, buf, sizeof buf);
    r.v.f = -INFINITY;
    roundtrip(&r.path, &r, 1, buf, sizeof buf);
    r.v.f = NAN;
    roundtrip(&r.path, &r, 1, buf, sizeof buf);
}
END_TEST

START_TEST(test_types)
{
    uint8_t buf[512];
    lwm2m_record_t recs[8];
    recs[0] = rec_bool(P3(0, 1, 1), true);
    recs[1] = rec_bytes(P3(0, 1, 3), LWM2M_T_OPAQUE, NULL, 0); /* empty opaque */
    recs[2] = rec_str(P3(0, 1, 4), "");
    recs[3] = rec_bytes(P3(0, 1, 5), LWM2M_T_CORELNK, "</1/0>", 6);
    recs[4] = (lwm2m_record_t){.path = P3(0, 1, 17)};
    recs[4].v.type = LWM2M_T_OBJLNK;
    recs[4].v.lnk = (lwm2m_objlnk_t){21, 0};
    recs[5] = recs[4];
    recs[5].path = P4(0, 1, 18, 0);
    recs[5].v.lnk = (lwm2m_objlnk_t){0xffff, 0xffff}; /* null link */
    recs[6] = recs[4];
    recs[6].path = P4(0, 1, 18, 65534);
    recs[6].v.lnk = (lwm2m_objlnk_t){65534, 12345};
    lwm2m_path_t inst = lwm2m_path(2, 0, 1, 0, 0);
    roundtrip(&inst, recs, 7, buf, sizeof buf);
    /* objlnk on the wire: "vlo": "21:0" */
    lwm2m_path_t res = P3(0, 1, 17);
    assert_encodes(&res, &recs[4], 1, "81a2 21672f302f312f3137 63766c6f 6432313a30");
    /* a multiple resource as the target: bn "/0/1/18/", n "0" */
    lwm2m_path_t mr = lwm2m_path(3, 0, 1, 18, 0);
    roundtrip(&mr, recs + 5, 2, buf, sizeof buf);
    assert_encodes(&mr, recs + 5, 1, "81a3 2168 2f302f312f31382f 006130 63766c6f 6b36353533353a3635353335");
    /* a resource instance target and the root */
    roundtrip(&recs[6].path, recs + 6, 1, buf, sizeof buf);
    roundtrip(&ROOT, recs, 7, buf, sizeof buf);
    assert_encodes(&ROOT, recs, 1, "81a3 21612f 0065302f312f31 04f5");
    /* nothing: the empty array */
    assert_encodes(&inst, recs, 0, "80");
}
END_TEST

START_TEST(test_long_values)
{
    static const size_t lens[] = {23, 24, 255, 256, 65535, 65536, 100000};
    uint8_t *val = malloc(100000), *buf = malloc(2 * 100000 + 64);
    ck_assert_ptr_nonnull(val);
    ck_assert_ptr_nonnull(buf);
    for (size_t i = 0; i < 100000; i++)
        val[i] = (uint8_t)('a' + i % 26);
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        lwm2m_record_t r[2] = {rec_bytes(P3(0, 1, 3), LWM2M_T_OPAQUE, val, lens[i]),
                               rec_bytes(P3(0, 1, 4), LWM2M_T_STRING, val, lens[i])};
        lwm2m_path_t inst = lwm2m_path(2, 0, 1, 0, 0);
        roundtrip(&inst, r, 2, buf, 2 * lens[i] + 64);
        ck_assert_int_eq(senml_cbor_encode(&inst, r, 2, buf, 2 * lens[i]), LWM2M_ERR_NOSPACE);
    }
    free(val);
    free(buf);
}
END_TEST

/* ---- decoder features ---- */

START_TEST(test_decode_forms)
{
    lwm2m_record_t recs[MAXREC];
    lwm2m_path_t obj = lwm2m_path(1, 1, 0, 0, 0);
    /* Anjay answers an empty array for /1 with no servers */
    ck_assert_uint_eq(decode_hex(&obj, "80", recs, MAXREC, 0), 0);
    ck_assert_uint_eq(decode_hex(&obj, "9fff", recs, 0, 0), 0);
    /* indefinite array and map; bn given after n in the map; bn persists,
     * then changes */
    size_t n = decode_hex(&obj,
                          "9f bf 0061 31 21 65 2f312f302f 02 0a ff" /* {n:"1", bn:"/1/0/", v:10} */
                          "a2 0061 37 0361 55"                      /* {n:"7", vs:"U"} */
                          "a3 21 65 2f312f312f 0061 30 02 01"       /* {bn:"/1/1/", n:"0", v:1} */
                          "a1 00 66 2f312f322f30 ff",               /* {n:"/1/2/0"} — no value */
                          recs, MAXREC, LWM2M_ERR_FORMAT);
    (void)n;
    n = decode_hex(&obj,
                   "9f bf 0061 31 21 65 2f312f302f 02 0a ff"
                   "a2 0061 37 0361 55"
                   "a3 21 65 2f312f312f 0061 30 02 01"
                   "a3 21 60 00 66 2f312f322f30 04 f5 ff", /* {bn:"", n:"/1/2/0", vb:true} */
                   recs, MAXREC, 0);
    ck_assert_uint_eq(n, 4);
    assert_path(&recs[0], P3(1, 0, 1));
    assert_int(&recs[0], 10);
    assert_path(&recs[1], P3(1, 0, 7));
    assert_str(&recs[1], LWM2M_T_STRING, "U");
    assert_path(&recs[2], P3(1, 1, 0));
    assert_path(&recs[3], P3(1, 2, 0));
    ck_assert(recs[3].v.b);
    /* ignored fields: bver, bt, t, ut, bu, u, unknown text labels (any value) */
    n = decode_hex(&obj,
                   "81 aa 20 0a 22 fb41d8a3a9a0000000 06 20 07 f93c00 23 61 73 01 62 6d 56"
                   "63 666f6f a1 01 82 02 03 21 66 2f312f302f31 02 01 62 5f78 f6",
                   recs, MAXREC, 0);
    ck_assert_uint_eq(n, 1);
    assert_int(&recs[0], 1);
    /* floats of every width and negative integers */
    n = decode_hex(&obj,
                   "83 a2 00 66 2f312f302f31 02 f93e00 a2 00 66 2f312f302f32 02 fa47c35000"
                   "a2 00 66 2f312f302f33 02 3b7fffffffffffffff",
                   recs, MAXREC, 0);
    ck_assert_uint_eq(n, 3);
    ck_assert(recs[0].v.type == LWM2M_T_FLOAT && recs[0].v.f == 1.5);
    ck_assert(recs[1].v.type == LWM2M_T_FLOAT && recs[1].v.f == 100000.0);
    assert_int(&recs[2], INT64_MIN);
    /* a name without a leading slash still parses */
    n = decode_hex(&obj, "81 a2 00 65 312f302f31 02 01", recs, MAXREC, 0);
    ck_assert_uint_eq(n, 1);
    assert_path(&recs[0], P3(1, 0, 1));
}
END_TEST

/* ---- malformed ---- */

START_TEST(test_truncation)
{
    uint8_t in[256];
    lwm2m_record_t recs[MAXREC];
    size_t n, len = unhex(S7, in, sizeof in);
    lwm2m_path_t inst = lwm2m_path(2, 0, 1, 0, 0);
    for (size_t cut = 0; cut < len; cut++)
        ck_assert_int_eq(senml_cbor_decode(&inst, in, cut, recs, MAXREC, &n), LWM2M_ERR_FORMAT);
    len = unhex(S6, in, sizeof in);
    lwm2m_path_t dev = lwm2m_path(2, 3, 0, 0, 0);
    for (size_t cut = 0; cut < len; cut++)
        ck_assert_int_eq(senml_cbor_decode(&dev, in, cut, recs, MAXREC, &n), LWM2M_ERR_FORMAT);
}
END_TEST

START_TEST(test_malformed)
{
    lwm2m_record_t recs[MAXREC];
    lwm2m_path_t obj = lwm2m_path(1, 1, 0, 0, 0);
#define NAME "00 66 2f312f302f31" /* n: "/1/0/1" */
    /* not a pack of maps */
    decode_hex(&obj, "a0", recs, MAXREC, LWM2M_ERR_FORMAT);
    decode_hex(&obj, "01", recs, MAXREC, LWM2M_ERR_FORMAT);
    decode_hex(&obj, "", recs, MAXREC, LWM2M_ERR_FORMAT);
    decode_hex(&obj, "8101", recs, MAXREC, LWM2M_ERR_FORMAT);
    decode_hex(&obj, "8180", recs, MAXREC, LWM2M_ERR_FORMAT);
    decode_hex(&obj, "80 80", recs, MAXREC, LWM2M_ERR_FORMAT); /* trailing bytes */
    decode_hex(&obj, "81 a2" NAME "02 01 00", recs, MAXREC, LWM2M_ERR_FORMAT);
    /* keys */
    decode_hex(&obj, "81 a2" NAME "80 01", recs, MAXREC, LWM2M_ERR_FORMAT);
    decode_hex(&obj, "81 a2" NAME "f4 01", recs, MAXREC, LWM2M_ERR_FORMAT);
    decode_hex(&obj, "81 a3" NAME "02 01 09 01", recs, MAXREC, LWM2M_ERR_FORMAT);      /* label 9 */
    decode_hex(&obj, "81 a3" NAME "02 01 26 01", recs, MAXREC, LWM2M_ERR_FORMAT);      /* label -7 */
    decode_hex(&obj, "81 a3" NAME "02 01 24 01", recs, MAXREC, LWM2M_ERR_FORMAT);      /* bv */
    decode_hex(&obj, "81 a3" NAME "02 01 25 01", recs, MAXREC, LWM2M_ERR_FORMAT);      /* bs */
    decode_hex(&obj, "81 a3" NAME "02 01 05 01", recs, MAXREC, LWM2M_ERR_FORMAT);      /* s */
    decode_hex(&obj, "81 a3" NAME "02 01 62 785f 01", recs, MAXREC, LWM2M_ERR_FORMAT); /* "x_" */
    decode_hex(&obj, "81 a3" NAME "02 01 20 0b", recs, MAXREC, LWM2M_ERR_FORMAT);      /* bver 11 */
    decode_hex(&obj, "81 a3" NAME "02 01" NAME, recs, MAXREC, LWM2M_ERR_FORMAT);       /* n twice */
    /* field types */
    decode_hex(&obj, "81 a2 00 01 02 01", recs, MAXREC, LWM2M_ERR_FORMAT);
    decode_hex(&obj, "81 a3 21 01" NAME "02 01", recs, MAXREC, LWM2M_ERR_FORMAT);
    decode_hex(&obj, "81 a2" NAME "02 6131", recs, MAXREC, LWM2M_ERR_FORMAT);
    decode_hex(&obj, "81 a2" NAME "02 f5", recs, MAXREC, LWM2M_ERR_FORMAT);
    decode_hex(&obj, "81 a2" NAME "03 01", recs, MAXREC, LWM2M_ERR_FORMAT);
    decode_hex(&obj, "81 a2" NAME "03 4131", recs, MAXREC, LWM2M_ERR_FORMAT);
    decode_hex(&obj, "81 a2" NAME "04 01", recs, MAXREC, LWM2M_ERR_FORMAT);
    decode_hex(&obj, "81 a2" NAME "04 f6", recs, MAXREC, LWM2M_ERR_FORMAT);
    decode_hex(&obj, "81 a2" NAME "08 6131", recs, MAXREC, LWM2M_ERR_FORMAT);
    decode_hex(&obj, "81 a2" NAME "63766c6f 01", recs, MAXREC, LWM2M_ERR_FORMAT);
    decode_hex(&obj, "81 a3" NAME "02 01 06 6131", recs, MAXREC, LWM2M_ERR_FORMAT); /* t as text */
    decode_hex(&obj, "81 a3" NAME "02 01 01 01", recs, MAXREC, LWM2M_ERR_FORMAT);   /* u as int */
    /* bad links */
    static const char *links[] = {
        "6232 31",     "63 32313a", "62 3a30", "67 37303030303a30",          "65 313a323a33",
        "63 2d313a30", "63 313a20", "60",      "6c 3030303030303030313a3030"};
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
        char hex[128];
        snprintf(hex, sizeof hex, "81 a2" NAME "63766c6f %s", links[i]);
        decode_hex(&obj, hex, recs, MAXREC, LWM2M_ERR_FORMAT);
    }
    /* values: none, two */
    decode_hex(&obj, "81 a1" NAME, recs, MAXREC, LWM2M_ERR_FORMAT);
    decode_hex(&obj, "81 a3" NAME "02 01 04 f5", recs, MAXREC, LWM2M_ERR_FORMAT);
    /* names */
    decode_hex(&obj, "81 a2 00 66 2f612f302f31 02 01", recs, MAXREC, LWM2M_ERR_FORMAT);
    decode_hex(&obj, "81 a2 00 67 2f312f302f312f 02 01", recs, MAXREC, LWM2M_ERR_FORMAT);
    decode_hex(&obj, "81 a2 00 6a 2f312f302f312f312f31 02 01", recs, MAXREC, LWM2M_ERR_FORMAT); /* depth 5 */
    decode_hex(&obj, "81 a2 00 6a 2f312f302f3635353335 02 01", recs, MAXREC, LWM2M_ERR_FORMAT); /* 65535 */
    decode_hex(&obj, "81 a2 00 60 02 01", recs, MAXREC, LWM2M_ERR_PATH);
    decode_hex(&obj, "81 a2 00 64 2f312f30 02 01", recs, MAXREC, LWM2M_ERR_PATH);
    decode_hex(&obj, "81 a2 00 66 2f322f302f31 02 01", recs, MAXREC, LWM2M_ERR_PATH);
    {
        char hex[400] = "81 a3 21 78 40";
        for (int i = 0; i < 64; i++)
            strcat(hex, "30"); /* bn: 64 zeros; n: "/1" */
        strcat(hex, "00 62 2f31 02 01");
        decode_hex(&ROOT, hex, recs, MAXREC, LWM2M_ERR_FORMAT);
    }
    /* the same path twice; a resource with and without instances */
    decode_hex(&obj, "82 a2" NAME "02 01 a2" NAME "02 02", recs, MAXREC, LWM2M_ERR_FORMAT);
    decode_hex(&obj, "82 a2" NAME "02 01 a2 00 68 2f312f302f312f30 02 02", recs, MAXREC, LWM2M_ERR_FORMAT);
    /* tags, indefinite strings, range, nesting inside an ignored field */
    decode_hex(&obj, "c1 81 a2" NAME "02 01", recs, MAXREC, LWM2M_ERR_TYPE);
    decode_hex(&obj, "81 c1 a2" NAME "02 01", recs, MAXREC, LWM2M_ERR_TYPE);
    decode_hex(&obj, "81 a2" NAME "02 c4 82 21 19 6ab3", recs, MAXREC, LWM2M_ERR_TYPE); /* 273.15 as tag 4 */
    decode_hex(&obj, "81 a2" NAME "03 7f 6131 ff", recs, MAXREC, LWM2M_ERR_TYPE);
    decode_hex(&obj, "81 a2" NAME "02 3b 8000000000000000", recs, MAXREC, LWM2M_ERR_RANGE);
    {
        char hex[400] = "81 a3" NAME "02 01 63 666f6f";
        for (int i = 0; i < CBOR_MAX_DEPTH; i++)
            strcat(hex, "81");
        strcat(hex, "01");
        decode_hex(&obj, hex, recs, MAXREC, LWM2M_ERR_LIMIT);
    }
    /* bases */
    lwm2m_path_t deep = P4(1, 0, 1, 0), bad = lwm2m_path(2, 1, 0xffff, 0, 0);
    deep.depth = 5;
    decode_hex(&deep, "80", recs, MAXREC, LWM2M_ERR_PATH);
    decode_hex(&bad, "80", recs, MAXREC, LWM2M_ERR_RANGE);
#undef NAME
}
END_TEST

START_TEST(test_encode_errors)
{
    lwm2m_record_t recs[4];
    uint8_t out[128];
    lwm2m_path_t inst = lwm2m_path(2, 0, 1, 0, 0), deep = inst, other = lwm2m_path(2, 0, 2, 0, 0);
    deep.depth = 5;
    recs[0] = rec_int(P3(0, 1, 0), 1);
    recs[1] = rec_int(P3(0, 1, 1), 2);
    ck_assert_int_eq(senml_cbor_encode(&deep, recs, 2, out, sizeof out), LWM2M_ERR_PATH);
    ck_assert_int_eq(senml_cbor_encode(&other, recs, 2, out, sizeof out), LWM2M_ERR_PATH);
    recs[1] = rec_int(P3(0, 1, 0), 2);
    ck_assert_int_eq(senml_cbor_encode(&inst, recs, 2, out, sizeof out), LWM2M_ERR_PATH);
    recs[0] = rec_int(P3(0, 1, 1), 2);
    ck_assert_int_eq(senml_cbor_encode(&inst, recs, 2, out, sizeof out), LWM2M_ERR_PATH);
    recs[0] = rec_int(P3(0, 1, 16), 1);
    recs[1] = rec_int(P4(0, 1, 16, 0), 2);
    ck_assert_int_eq(senml_cbor_encode(&inst, recs, 2, out, sizeof out), LWM2M_ERR_PATH);
    recs[0] = rec_int(lwm2m_path(2, 0, 1, 0, 0), 1);
    ck_assert_int_eq(senml_cbor_encode(&inst, recs, 1, out, sizeof out), LWM2M_ERR_PATH);
    recs[0] = rec_int(P3(0, 1, 0xffff), 1);
    ck_assert_int_eq(senml_cbor_encode(&inst, recs, 1, out, sizeof out), LWM2M_ERR_RANGE);
    lwm2m_path_t badt = lwm2m_path(1, 0xffff, 0, 0, 0);
    ck_assert_int_eq(senml_cbor_encode(&badt, recs, 0, out, sizeof out), LWM2M_ERR_RANGE);
    recs[0] = rec_bytes(P3(0, 1, 0), LWM2M_T_RAW, "x", 1);
    ck_assert_int_eq(senml_cbor_encode(&inst, recs, 1, out, sizeof out), LWM2M_ERR_TYPE);
    recs[0].v.type = LWM2M_T_NONE;
    ck_assert_int_eq(senml_cbor_encode(&inst, recs, 1, out, sizeof out), LWM2M_ERR_TYPE);
    recs[0].v.type = (lwm2m_type_t)77;
    ck_assert_int_eq(senml_cbor_encode(&inst, recs, 1, out, 0), LWM2M_ERR_TYPE);
}
END_TEST

static Suite *senml_cbor_suite(void)
{
    Suite *s = suite_create("senml_cbor");
    TCase *tc = tcase_create("vectors");
    tcase_add_test(tc, test_s1);
    tcase_add_test(tc, test_s2);
    tcase_add_test(tc, test_s3);
    tcase_add_test(tc, test_s4);
    tcase_add_test(tc, test_s5);
    tcase_add_test(tc, test_s6);
    tcase_add_test(tc, test_s7);
    suite_add_tcase(s, tc);
    tc = tcase_create("roundtrip");
    tcase_add_test(tc, test_integers);
    tcase_add_test(tc, test_floats);
    tcase_add_test(tc, test_types);
    tcase_add_test(tc, test_long_values);
    tcase_add_test(tc, test_decode_forms);
    suite_add_tcase(s, tc);
    tc = tcase_create("malformed");
    tcase_add_test(tc, test_truncation);
    tcase_add_test(tc, test_malformed);
    tcase_add_test(tc, test_encode_errors);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(senml_cbor_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
