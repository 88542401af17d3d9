/*
 * test_tlv.c — unit tests for bsd/lwm2m/tlv.c: the TLV vectors T1–T6 of
 * docs PROTOCOLS.md §5.1 byte for byte (sources named per test), typed
 * round trips at every integer-width and length-field boundary, and
 * malformed input with the exact error code.
 */
#include "bsd/lwm2m/tlv.h"

#include <check.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXREC 64

/* Decodes a hex string into |out|; returns the byte count. */
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

static void assert_bytes(const uint8_t *got, size_t got_len, const uint8_t *want, size_t want_len)
{
    ck_assert_uint_eq(got_len, want_len);
    for (size_t i = 0; i < want_len; i++)
        ck_assert_msg(got[i] == want[i], "byte %zu: %02x != %02x", i, got[i], want[i]);
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

static int64_t raw_int(const lwm2m_record_t *r)
{
    int64_t v;
    ck_assert_int_eq(r->v.type, LWM2M_T_RAW);
    ck_assert_int_eq(lwm2m_raw_as_int(&r->v, &v), 0);
    return v;
}

static void assert_raw_str(const lwm2m_record_t *r, const char *s)
{
    ck_assert_int_eq(r->v.type, LWM2M_T_RAW);
    ck_assert_uint_eq(r->v.bytes.len, strlen(s));
    ck_assert(memcmp(r->v.bytes.p, s, strlen(s)) == 0);
}

static void assert_path(const lwm2m_record_t *r, lwm2m_path_t p)
{
    ck_assert_msg(lwm2m_path_cmp(&r->path, &p) == 0, "path mismatch");
}

/* Decode |hex| at |base|; expect |want| (0 or an error). */
static size_t decode_hex(const lwm2m_path_t *base, const char *hex, lwm2m_record_t *recs, size_t max,
                         int want)
{
    static uint8_t in[1024];
    size_t len = unhex(hex, in, sizeof in), n = 99;
    int rc = tlv_decode(base, in, len, recs, max, &n);
    ck_assert_msg(rc == want, "decode %s: %d, want %d", hex, rc, want);
    if (rc != 0) ck_assert_uint_eq(n, 0);
    return n;
}

/* Decode |in| with |base|, re-encode at |base|, and expect the same bytes. */
static void assert_reencodes(const lwm2m_path_t *base, const uint8_t *in, size_t len)
{
    lwm2m_record_t recs[MAXREC];
    uint8_t out[1024];
    size_t n;
    ck_assert_int_eq(tlv_decode(base, in, len, recs, MAXREC, &n), 0);
    int w = tlv_encode(base, recs, n, out, sizeof out);
    ck_assert_int_ge(w, 0);
    assert_bytes(out, (size_t)w, in, len);
}

/* ---- vectors ---- */

/* T1: Leshan LwM2mNodeEncoderTest ENCODED_DEVICE_WITHOUT_INSTANCE (Read /3/0). */
static const char *T1 =
    "c800144f70656e204d6f62696c6520416c6c69616e6365c801164c69676874776569676874204d324d20436c"
    "69656e74c80209333435303030313233c303312e30860641000141010588070842000ed842011388870841"
    "007d42010384c10964c10a0f830b410000c40d5182428fc60e2b30323a3030c11055";

static void check_device(const lwm2m_record_t *r, size_t n, uint16_t inst)
{
    ck_assert_uint_eq(n, 16);
    assert_path(&r[0], P3(3, inst, 0));
    assert_raw_str(&r[0], "Open Mobile Alliance");
    assert_raw_str(&r[1], "Lightweight M2M Client");
    assert_raw_str(&r[2], "345000123");
    assert_raw_str(&r[3], "1.0");
    assert_path(&r[4], P4(3, inst, 6, 0));
    ck_assert_int_eq(raw_int(&r[4]), 1);
    assert_path(&r[5], P4(3, inst, 6, 1));
    ck_assert_int_eq(raw_int(&r[5]), 5);
    ck_assert_int_eq(raw_int(&r[6]), 3800);
    ck_assert_int_eq(raw_int(&r[7]), 5000);
    assert_path(&r[8], P4(3, inst, 8, 0));
    ck_assert_int_eq(raw_int(&r[8]), 125);
    ck_assert_int_eq(raw_int(&r[9]), 900);
    assert_path(&r[10], P3(3, inst, 9));
    ck_assert_int_eq(raw_int(&r[10]), 100);
    ck_assert_int_eq(raw_int(&r[11]), 15);
    assert_path(&r[12], P4(3, inst, 11, 0));
    ck_assert_int_eq(raw_int(&r[12]), 0);
    assert_path(&r[13], P3(3, inst, 13));
    ck_assert_int_eq(raw_int(&r[13]), 1367491215);
    assert_raw_str(&r[14], "+02:00");
    assert_path(&r[15], P3(3, inst, 16));
    assert_raw_str(&r[15], "U");
}

START_TEST(test_t1_device_resources)
{
    lwm2m_record_t recs[MAXREC];
    uint8_t in[256];
    size_t len = unhex(T1, in, sizeof in);
    ck_assert_uint_eq(len, 121);
    lwm2m_path_t base = lwm2m_path(2, 3, 0, 0, 0);
    size_t n = decode_hex(&base, T1, recs, MAXREC, 0);
    check_device(recs, n, 0);
    assert_reencodes(&base, in, len);
}
END_TEST

/* T2: Leshan ENCODED_DEVICE_WITH_INSTANCE (Read /3); wakaama re-serialises it. */
START_TEST(test_t2_device_object)
{
    char hex[512];
    lwm2m_record_t recs[MAXREC];
    uint8_t in[256], out[256];
    snprintf(hex, sizeof hex, "080079%s", T1);
    size_t len = unhex(hex, in, sizeof in);
    ck_assert_uint_eq(len, 124);
    lwm2m_path_t base = lwm2m_path(1, 3, 0, 0, 0);
    size_t n = decode_hex(&base, hex, recs, MAXREC, 0);
    check_device(recs, n, 0);
    assert_reencodes(&base, in, len);
    /* the T1 records encode to T2 at /3 */
    lwm2m_path_t inst = lwm2m_path(2, 3, 0, 0, 0);
    n = decode_hex(&inst, T1, recs, MAXREC, 0);
    int w = tlv_encode(&base, recs, n, out, sizeof out);
    assert_bytes(out, (size_t)w, in, len);
    /* an instance Read answered wrapped in its Object Instance is unwrapped */
    n = decode_hex(&inst, hex, recs, MAXREC, 0);
    check_device(recs, n, 0);
}
END_TEST

/* T3: Access Control /2, 16-bit Resource Instance ID (LwM2M Core 2017 draft
 * example with 86 corrected to 87; wakaama round-trips it). */
START_TEST(test_t3_access_control)
{
    const char *t3 = "08000ec10001c101008302417f07c1037f080212c10003c101008702417f0761013601c1037f";
    lwm2m_record_t recs[MAXREC];
    uint8_t in[64];
    size_t len = unhex(t3, in, sizeof in);
    ck_assert_uint_eq(len, 38);
    lwm2m_path_t base = lwm2m_path(1, 2, 0, 0, 0);
    size_t n = decode_hex(&base, t3, recs, MAXREC, 0);
    ck_assert_uint_eq(n, 9);
    assert_path(&recs[0], P3(2, 0, 0));
    ck_assert_int_eq(raw_int(&recs[0]), 1);
    assert_path(&recs[1], P3(2, 0, 1));
    ck_assert_int_eq(raw_int(&recs[1]), 0);
    assert_path(&recs[2], P4(2, 0, 2, 127));
    ck_assert_int_eq(raw_int(&recs[2]), 7);
    assert_path(&recs[3], P3(2, 0, 3));
    ck_assert_int_eq(raw_int(&recs[3]), 127);
    assert_path(&recs[4], P3(2, 2, 0));
    ck_assert_int_eq(raw_int(&recs[4]), 3);
    assert_path(&recs[6], P4(2, 2, 2, 127));
    assert_path(&recs[7], P4(2, 2, 2, 310));
    ck_assert_int_eq(raw_int(&recs[7]), 1);
    assert_path(&recs[8], P3(2, 2, 3));
    assert_reencodes(&base, in, len);
    /* the printed draft form (86 for 87) fails: the last RI runs past the MR */
    decode_hex(&base, "08000ec10001c101008302417f07c1037f080212c10003c101008602417f0761013601c1037f", recs,
               MAXREC, LWM2M_ERR_FORMAT);
}
END_TEST

/* T4: Server /1 (Core 2017 draft, instance length 0D corrected to 0F). */
START_TEST(test_t4_server)
{
    const char *t4 = "08000fc10001c40100015180c10601c10755";
    lwm2m_record_t recs[MAXREC];
    uint8_t in[32];
    bool b;
    size_t len = unhex(t4, in, sizeof in);
    ck_assert_uint_eq(len, 18);
    lwm2m_path_t base = lwm2m_path(1, 1, 0, 0, 0);
    size_t n = decode_hex(&base, t4, recs, MAXREC, 0);
    ck_assert_uint_eq(n, 4);
    assert_path(&recs[0], P3(1, 0, 0));
    ck_assert_int_eq(raw_int(&recs[0]), 1);
    assert_path(&recs[1], P3(1, 0, 1));
    ck_assert_int_eq(raw_int(&recs[1]), 86400);
    assert_path(&recs[2], P3(1, 0, 6));
    ck_assert_int_eq(lwm2m_raw_as_bool(&recs[2].v, &b), 0);
    ck_assert(b);
    assert_path(&recs[3], P3(1, 0, 7));
    assert_raw_str(&recs[3], "U");
    assert_reencodes(&base, in, len);
    /* the printed 0D length leaves the last two bytes outside the instance */
    decode_hex(&base, "08000dc10001c40100015180c10601c10755", recs, MAXREC, LWM2M_ERR_FORMAT);
}
END_TEST

/* T5: wakaama tests/data_tlvtests.c test_decodeTLV / test_tlv_parse. */
START_TEST(test_t5_wakaama)
{
    lwm2m_record_t recs[MAXREC];
    uint8_t in[64];
    lwm2m_path_t res = lwm2m_path(3, 1, 0, 55, 0);
    size_t n = decode_hex(&res, "c337010203", recs, MAXREC, 0);
    ck_assert_uint_eq(n, 1);
    ck_assert_uint_eq(recs[0].v.bytes.len, 3);
    ck_assert_int_eq(recs[0].v.bytes.p[2], 3);
    size_t len = unhex("c337010203", in, sizeof in);
    assert_reencodes(&res, in, len);

    const char *oi = "28020311c337010203c84209040506070809"
                     "0a0b0c";
    lwm2m_path_t obj = lwm2m_path(1, 9, 0, 0, 0);
    n = decode_hex(&obj, oi, recs, MAXREC, 0);
    ck_assert_uint_eq(n, 2);
    assert_path(&recs[0], P3(9, 0x203, 55));
    assert_path(&recs[1], P3(9, 0x203, 66));
    ck_assert_uint_eq(recs[1].v.bytes.len, 9);
    ck_assert_int_eq(recs[1].v.bytes.p[8], 0x0c);
    len = unhex(oi, in, sizeof in);
    assert_reencodes(&obj, in, len);
}
END_TEST

/* T6 (self-derived, re-serialised byte for byte by wakaama): Bootstrap-Write
 * of /0/1 as Leshan sends it (resources array) and as Object Instance 1. */
static const char *T6 =
    "c8001b636f6170733a2f2f62732e6578616d706c652e636f6d3a35363834c10100c10200c303657031c805"
    "100102030405060708090a0b0c0d0e0f10c10a65";
static const uint8_t KEY16[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

static size_t t6_records(lwm2m_record_t *r)
{
    r[0] = rec_str(P3(0, 1, 0), "coaps://bs.example.com:5684");
    r[1] = rec_bool(P3(0, 1, 1), false);
    r[2] = rec_int(P3(0, 1, 2), 0);
    r[3] = rec_bytes(P3(0, 1, 3), LWM2M_T_OPAQUE, "ep1", 3);
    r[4] = rec_bytes(P3(0, 1, 5), LWM2M_T_OPAQUE, KEY16, 16);
    r[5] = rec_int(P3(0, 1, 10), 101);
    return 6;
}

START_TEST(test_t6_bootstrap_write)
{
    lwm2m_record_t recs[8], back[8];
    uint8_t want[128], out[128];
    char hex[256];
    size_t n = t6_records(recs), m;
    size_t len = unhex(T6, want, sizeof want);
    ck_assert_uint_eq(len, 63);
    lwm2m_path_t inst = lwm2m_path(2, 0, 1, 0, 0), obj = lwm2m_path(1, 0, 0, 0, 0);

    int w = tlv_encode(&inst, recs, n, out, sizeof out);
    assert_bytes(out, (size_t)w, want, len);

    snprintf(hex, sizeof hex, "08013f%s", T6);
    len = unhex(hex, want, sizeof want);
    ck_assert_uint_eq(len, 66);
    w = tlv_encode(&obj, recs, n, out, sizeof out);
    assert_bytes(out, (size_t)w, want, len);

    /* the exact size is enough; one byte less is not */
    ck_assert_int_eq(tlv_encode(&obj, recs, n, out, 66), 66);
    for (size_t cap = 0; cap < 66; cap++)
        ck_assert_int_eq(tlv_encode(&obj, recs, n, out, cap), LWM2M_ERR_NOSPACE);

    ck_assert_int_eq(tlv_decode(&obj, out, 66, back, 8, &m), 0);
    ck_assert_uint_eq(m, 6);
    for (size_t i = 0; i < m; i++)
        assert_path(&back[i], recs[i].path);
}
END_TEST

/* T6 objlnk example: resource 17 → /21/0 is c4 11 00150000. */
START_TEST(test_objlnk)
{
    lwm2m_record_t r = {.path = P3(0, 1, 17)}, back;
    uint8_t out[16], want[16];
    lwm2m_objlnk_t l;
    size_t n;
    r.v.type = LWM2M_T_OBJLNK;
    r.v.lnk.obj = 21;
    r.v.lnk.inst = 0;
    lwm2m_path_t res = r.path;
    int w = tlv_encode(&res, &r, 1, out, sizeof out);
    assert_bytes(out, (size_t)w, want, unhex("c41100150000", want, sizeof want));
    ck_assert_int_eq(tlv_decode(&res, out, (size_t)w, &back, 1, &n), 0);
    ck_assert_int_eq(lwm2m_raw_as_objlnk(&back.v, &l), 0);
    ck_assert_uint_eq(l.obj, 21);
    ck_assert_uint_eq(l.inst, 0);
    r.v.lnk.obj = r.v.lnk.inst = 0xffff; /* the null link */
    w = tlv_encode(&res, &r, 1, out, sizeof out);
    assert_bytes(out, (size_t)w, want, unhex("c411ffffffff", want, sizeof want));
}
END_TEST

/* ---- typed round trips ---- */

/* Encodes one value at /1/0/5 (a resource target), decodes it and returns
 * the wire value length. */
static size_t roundtrip_one(const lwm2m_value_t *v, lwm2m_record_t *back)
{
    static uint8_t out[64];
    lwm2m_record_t r = {.path = P3(1, 0, 5), .v = *v};
    size_t n;
    int w = tlv_encode(&r.path, &r, 1, out, sizeof out);
    ck_assert_int_gt(w, 0);
    ck_assert_int_eq(tlv_decode(&r.path, out, (size_t)w, back, 1, &n), 0);
    ck_assert_uint_eq(n, 1);
    assert_path(back, r.path);
    ck_assert_int_eq(out[0] & 0xc0, 0xc0);
    return back->v.bytes.len;
}

START_TEST(test_integer_widths)
{
    static const struct {
        int64_t v;
        size_t width;
    } cases[] = {
        {0, 1},
        {1, 1},
        {-1, 1},
        {127, 1},
        {128, 2}, /* PROTOCOLS.md §5.1: 128 needs 2 bytes */
        {-128, 1},
        {-129, 2},
        {32767, 2},
        {32768, 4},
        {-32768, 2},
        {-32769, 4},
        {2147483647, 4},
        {2147483648LL, 8},
        {-2147483647LL - 1, 4},
        {-2147483649LL, 8},
        {INT64_MAX, 8},
        {INT64_MIN, 8},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lwm2m_value_t v = {.type = LWM2M_T_INTEGER, .i = cases[i].v};
        lwm2m_record_t back;
        ck_assert_uint_eq(roundtrip_one(&v, &back), cases[i].width);
        ck_assert_int_eq(raw_int(&back), cases[i].v);
        v.type = LWM2M_T_TIME;
        ck_assert_uint_eq(roundtrip_one(&v, &back), cases[i].width);
        ck_assert_int_eq(raw_int(&back), cases[i].v);
    }
}
END_TEST

START_TEST(test_unsigned)
{
    lwm2m_value_t v = {.type = LWM2M_T_UNSIGNED, .u = 200};
    lwm2m_record_t back, r = {.path = P3(1, 0, 5)};
    uint8_t out[16];
    ck_assert_uint_eq(roundtrip_one(&v, &back), 2); /* 00 c8: an unsigned reader also sees 200 */
    ck_assert_int_eq(raw_int(&back), 200);
    v.u = (uint64_t)INT64_MAX;
    ck_assert_uint_eq(roundtrip_one(&v, &back), 8);
    ck_assert_int_eq(raw_int(&back), INT64_MAX);
    r.v.type = LWM2M_T_UNSIGNED;
    r.v.u = (uint64_t)INT64_MAX + 1;
    ck_assert_int_eq(tlv_encode(&r.path, &r, 1, out, sizeof out), LWM2M_ERR_RANGE);
    r.v.u = UINT64_MAX;
    ck_assert_int_eq(tlv_encode(&r.path, &r, 1, out, sizeof out), LWM2M_ERR_RANGE);
}
END_TEST

START_TEST(test_float)
{
    static const struct {
        double v;
        size_t width;
    } cases[] = {
        {1.5, 4}, {-0.0, 4},  {0.0, 4},        {FLT_MAX, 4}, {FLT_MIN, 4}, {16777216.0, 4},
        {0.1, 8}, {1e300, 8}, {16777217.0, 8}, {DBL_MAX, 8}, {DBL_MIN, 8},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lwm2m_value_t v = {.type = LWM2M_T_FLOAT, .f = cases[i].v};
        lwm2m_record_t back;
        double d;
        ck_assert_uint_eq(roundtrip_one(&v, &back), cases[i].width);
        ck_assert_int_eq(lwm2m_raw_as_float(&back.v, &d), 0);
        ck_assert(memcmp(&d, &cases[i].v, sizeof d) == 0);
    }
    lwm2m_value_t v = {.type = LWM2M_T_FLOAT, .f = INFINITY};
    lwm2m_record_t back;
    double d;
    ck_assert_uint_eq(roundtrip_one(&v, &back), 4);
    ck_assert_int_eq(lwm2m_raw_as_float(&back.v, &d), 0);
    ck_assert(isinf(d) && d > 0);
    v.f = -INFINITY;
    ck_assert_uint_eq(roundtrip_one(&v, &back), 4);
    v.f = NAN;
    ck_assert_uint_eq(roundtrip_one(&v, &back), 8);
    ck_assert_int_eq(lwm2m_raw_as_float(&back.v, &d), 0);
    ck_assert(isnan(d));
}
END_TEST

START_TEST(test_bool_string_opaque)
{
    lwm2m_record_t back;
    bool b;
    lwm2m_value_t v = {.type = LWM2M_T_BOOLEAN, .b = true};
    ck_assert_uint_eq(roundtrip_one(&v, &back), 1);
    ck_assert_int_eq(lwm2m_raw_as_bool(&back.v, &b), 0);
    ck_assert(b);
    v.b = false;
    ck_assert_uint_eq(roundtrip_one(&v, &back), 1);
    ck_assert_int_eq(lwm2m_raw_as_bool(&back.v, &b), 0);
    ck_assert(!b);

    v.type = LWM2M_T_OPAQUE; /* empty opaque: c0 05, and a NULL pointer is fine */
    v.bytes.p = NULL;
    v.bytes.len = 0;
    ck_assert_uint_eq(roundtrip_one(&v, &back), 0);
    ck_assert_ptr_nonnull(back.v.bytes.p);
    v.type = LWM2M_T_STRING;
    v.bytes.p = (const uint8_t *)"";
    ck_assert_uint_eq(roundtrip_one(&v, &back), 0);
    v.type = LWM2M_T_CORELNK;
    v.bytes.p = (const uint8_t *)"</1/0>";
    v.bytes.len = 6;
    ck_assert_uint_eq(roundtrip_one(&v, &back), 6);
    assert_raw_str(&back, "</1/0>");
    v.type = LWM2M_T_RAW;
    ck_assert_uint_eq(roundtrip_one(&v, &back), 6);
}
END_TEST

/* Length-type boundaries (Core §6.4.3.1): inline ≤ 7, then 8/16/24 bits. */
START_TEST(test_length_boundaries)
{
    static const struct {
        size_t len;
        size_t hdr;
        uint8_t type;
    } cases[] = {
        {0, 2, 0xc0},   {7, 2, 0xc7},     {8, 3, 0xc8},     {255, 3, 0xc8},
        {256, 4, 0xd0}, {65535, 4, 0xd0}, {65536, 5, 0xd8}, {16777215, 5, 0xd8},
    };
    uint8_t *val = malloc(16777216), *out = malloc(16777216 + 8);
    ck_assert_ptr_nonnull(val);
    ck_assert_ptr_nonnull(out);
    for (size_t i = 0; i < 16777216; i++)
        val[i] = (uint8_t)(i * 7);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        lwm2m_record_t r = rec_bytes(P3(0, 1, 300), LWM2M_T_OPAQUE, val, cases[i].len), back;
        size_t n;
        int w = tlv_encode(&r.path, &r, 1, out, 16777216 + 8);
        ck_assert_int_eq(w, (int)(cases[i].hdr + 1 + cases[i].len)); /* +1: 16-bit ID 300 */
        ck_assert_uint_eq(out[0], cases[i].type | 0x20);
        ck_assert_int_eq(tlv_decode(&r.path, out, (size_t)w, &back, 1, &n), 0);
        ck_assert_uint_eq(back.v.bytes.len, cases[i].len);
        ck_assert(cases[i].len == 0 || memcmp(back.v.bytes.p, val, cases[i].len) == 0);
        /* the same value as an instance of a multiple resource at /0 */
        lwm2m_path_t obj = lwm2m_path(1, 0, 0, 0, 0);
        r.path = P4(0, 1, 7, 0);
        if (cases[i].len + 10 <= TLV_MAX_VALUE_LEN) {
            w = tlv_encode(&obj, &r, 1, out, 16777216 + 8);
            ck_assert_int_gt(w, 0);
            ck_assert_int_eq(tlv_decode(&obj, out, (size_t)w, &back, 1, &n), 0);
            assert_path(&back, r.path);
            ck_assert_uint_eq(back.v.bytes.len, cases[i].len);
        } else {
            ck_assert_int_eq(tlv_encode(&obj, &r, 1, out, 16777216 + 8), LWM2M_ERR_RANGE);
        }
    }
    /* one byte more than a 24-bit length */
    lwm2m_record_t big = rec_bytes(P3(0, 1, 3), LWM2M_T_OPAQUE, val, 16777216);
    ck_assert_int_eq(tlv_encode(&big.path, &big, 1, out, 16777216 + 8), LWM2M_ERR_RANGE);
    /* two 10 MB values: each fits a TLV, their Object Instance does not */
    lwm2m_record_t two[2] = {rec_bytes(P3(0, 1, 3), LWM2M_T_OPAQUE, val, 10000000),
                             rec_bytes(P3(0, 1, 4), LWM2M_T_OPAQUE, val, 10000000)};
    lwm2m_path_t obj = lwm2m_path(1, 0, 0, 0, 0), inst = lwm2m_path(2, 0, 1, 0, 0);
    ck_assert_int_eq(tlv_encode(&obj, two, 2, out, 16777216 + 8), LWM2M_ERR_RANGE);
    ck_assert_int_eq(tlv_encode(&inst, two, 2, out, 16777216 + 8), LWM2M_ERR_NOSPACE);
    free(val);
    free(out);
}
END_TEST

/* Multiple-instance resources at every target depth. */
START_TEST(test_multiple_resources)
{
    lwm2m_record_t recs[8], back[8];
    uint8_t out[128], want[128];
    size_t n;
    /* /2/0 with ACL 2 → {0: 7, 101: 15, 310: 1} */
    recs[0] = rec_int(P3(2, 0, 0), 1);
    recs[1] = rec_int(P4(2, 0, 2, 0), 7);
    recs[2] = rec_int(P4(2, 0, 2, 101), 15);
    recs[3] = rec_int(P4(2, 0, 2, 310), 1);
    recs[4] = rec_int(P3(2, 0, 3), 65535);
    lwm2m_path_t inst = lwm2m_path(2, 2, 0, 0, 0);
    int w = tlv_encode(&inst, recs, 5, out, sizeof out);
    assert_bytes(out, (size_t)w, want,
                 unhex("c10001"
                       "88020a41000741650f61013601"
                       "c4030000ffff",
                       want, sizeof want));
    ck_assert_int_eq(tlv_decode(&inst, out, (size_t)w, back, 8, &n), 0);
    ck_assert_uint_eq(n, 5);
    for (size_t i = 0; i < n; i++) {
        assert_path(&back[i], recs[i].path);
        ck_assert_int_eq(raw_int(&back[i]), recs[i].v.i);
    }
    /* the resource alone: one Multiple Resource TLV */
    lwm2m_path_t res = lwm2m_path(3, 2, 0, 2, 0);
    w = tlv_encode(&res, recs + 1, 3, out, sizeof out);
    assert_bytes(out, (size_t)w, want, unhex("88020a41000741650f61013601", want, sizeof want));
    ck_assert_int_eq(tlv_decode(&res, out, (size_t)w, back, 8, &n), 0);
    ck_assert_uint_eq(n, 3);
    assert_path(&back[2], P4(2, 0, 2, 310));
    /* one resource instance */
    lwm2m_path_t ri = P4(2, 0, 2, 101);
    w = tlv_encode(&ri, recs + 2, 1, out, sizeof out);
    assert_bytes(out, (size_t)w, want, unhex("41650f", want, sizeof want));
    ck_assert_int_eq(tlv_decode(&ri, out, (size_t)w, back, 8, &n), 0);
    ck_assert_uint_eq(n, 1);
    assert_path(&back[0], ri);
    /* two instances of /2 with 16-bit instance IDs */
    recs[0] = rec_int(P3(2, 1, 0), 3);
    recs[1] = rec_int(P4(2, 1, 2, 0), 1);
    recs[2] = rec_int(P3(2, 65534, 0), 4);
    recs[3] = rec_int(P4(2, 65534, 2, 65534), 2);
    lwm2m_path_t obj = lwm2m_path(1, 2, 0, 0, 0);
    w = tlv_encode(&obj, recs, 4, out, sizeof out);
    assert_bytes(out, (size_t)w, want,
                 unhex("080108"
                       "c10003"
                       "8302410001"
                       "28fffe09"
                       "c10004"
                       "840261fffe02",
                       want, sizeof want));
    ck_assert_int_eq(tlv_decode(&obj, out, (size_t)w, back, 8, &n), 0);
    ck_assert_uint_eq(n, 4);
    for (size_t i = 0; i < n; i++)
        assert_path(&back[i], recs[i].path);
    /* nothing to write at object or instance level is an empty payload */
    ck_assert_int_eq(tlv_encode(&obj, recs, 0, out, 0), 0);
    ck_assert_int_eq(tlv_encode(&inst, recs, 0, NULL, 0), 0);
}
END_TEST

/* Decoder output is sorted whatever order the client used. */
START_TEST(test_decode_sorts)
{
    lwm2m_record_t recs[8];
    lwm2m_path_t inst = lwm2m_path(2, 1, 0, 0, 0);
    size_t n = decode_hex(&inst, "c10755c10601c40100015180c10001", recs, 8, 0);
    ck_assert_uint_eq(n, 4);
    assert_path(&recs[0], P3(1, 0, 0));
    assert_path(&recs[1], P3(1, 0, 1));
    assert_path(&recs[2], P3(1, 0, 6));
    assert_path(&recs[3], P3(1, 0, 7));
    /* 16-bit ID and non-minimal length forms are accepted */
    n = decode_hex(&inst,
                   "e00007"
                   "c8000101",
                   recs, 8, 0);
    ck_assert_uint_eq(n, 2);
    assert_path(&recs[0], P3(1, 0, 0));
    ck_assert_int_eq(raw_int(&recs[0]), 1);
    assert_path(&recs[1], P3(1, 0, 7));
    ck_assert_uint_eq(recs[1].v.bytes.len, 0);
    /* empty object instance and empty multiple resource yield nothing */
    lwm2m_path_t obj = lwm2m_path(1, 1, 0, 0, 0);
    ck_assert_uint_eq(decode_hex(&obj, "0800000801028000", recs, 8, 0), 0);
    ck_assert_uint_eq(decode_hex(&obj, "", recs, 8, 0), 0);
    ck_assert_uint_eq(decode_hex(&inst, "", recs, 8, 0), 0);
}
END_TEST

/* ---- malformed input ---- */

START_TEST(test_truncation)
{
    /* every proper prefix of a single-container payload is malformed */
    char hex[512];
    uint8_t in[256];
    lwm2m_record_t recs[MAXREC];
    size_t n;
    snprintf(hex, sizeof hex, "080079%s", T1);
    size_t len = unhex(hex, in, sizeof in);
    lwm2m_path_t obj3 = lwm2m_path(1, 3, 0, 0, 0);
    for (size_t cut = 1; cut < len; cut++)
        ck_assert_int_eq(tlv_decode(&obj3, in, cut, recs, MAXREC, &n), LWM2M_ERR_FORMAT);
    snprintf(hex, sizeof hex, "08013f%s", T6);
    len = unhex(hex, in, sizeof in);
    lwm2m_path_t obj0 = lwm2m_path(1, 0, 0, 0, 0);
    for (size_t cut = 1; cut < len; cut++)
        ck_assert_int_eq(tlv_decode(&obj0, in, cut, recs, MAXREC, &n), LWM2M_ERR_FORMAT);
    /* T3 holds two instances: only the cut between them decodes */
    len =
        unhex("08000ec10001c101008302417f07c1037f080212c10003c101008702417f0761013601c1037f", in, sizeof in);
    lwm2m_path_t obj2 = lwm2m_path(1, 2, 0, 0, 0);
    for (size_t cut = 1; cut < len; cut++) {
        int rc = tlv_decode(&obj2, in, cut, recs, MAXREC, &n);
        if (cut == 17) {
            ck_assert_int_eq(rc, 0);
            ck_assert_uint_eq(n, 4);
        } else {
            ck_assert_int_eq(rc, LWM2M_ERR_FORMAT);
        }
    }
    /* a Multiple Resource cut anywhere inside, at resource depth */
    len = unhex("88020941000741650f61013601", in, sizeof in);
    lwm2m_path_t res = lwm2m_path(3, 2, 0, 2, 0);
    for (size_t cut = 0; cut < len; cut++)
        ck_assert_int_eq(tlv_decode(&res, in, cut, recs, MAXREC, &n), LWM2M_ERR_FORMAT);
}
END_TEST

START_TEST(test_malformed)
{
    lwm2m_record_t recs[MAXREC];
    lwm2m_path_t obj = lwm2m_path(1, 2, 0, 0, 0), inst = lwm2m_path(2, 2, 0, 0, 0),
                 res = lwm2m_path(3, 1, 0, 1, 0), ri = P4(2, 0, 2, 127);
    /* lengths past the end */
    decode_hex(&inst, "c8001441", recs, MAXREC, LWM2M_ERR_FORMAT);
    decode_hex(&inst, "c10001c3", recs, MAXREC, LWM2M_ERR_FORMAT);
    decode_hex(&inst, "d8000001", recs, MAXREC, LWM2M_ERR_FORMAT); /* 24-bit length cut */
    decode_hex(&inst, "e100", recs, MAXREC, LWM2M_ERR_FORMAT);     /* 16-bit ID cut */
    decode_hex(&inst, "c1", recs, MAXREC, LWM2M_ERR_FORMAT);
    decode_hex(&inst, "c7000102", recs, MAXREC, LWM2M_ERR_FORMAT);
    /* an inner TLV running past its Object Instance, though not past the input */
    decode_hex(&obj, "080003c20001c10000", recs, MAXREC, LWM2M_ERR_FORMAT);
    /* a Resource Instance running past its Multiple Resource */
    decode_hex(&inst, "8302420007c10000", recs, MAXREC, LWM2M_ERR_FORMAT);
    /* bad nesting */
    decode_hex(&obj, "080003080100", recs, MAXREC, LWM2M_ERR_FORMAT); /* OI in OI */
    decode_hex(&obj, "080003410001", recs, MAXREC, LWM2M_ERR_FORMAT); /* RI in OI */
    decode_hex(&obj,
               "08000583"
               "02c10001",
               recs, MAXREC, LWM2M_ERR_FORMAT); /* Resource in MR */
    decode_hex(&obj,
               "0800048202"
               "8000",
               recs, MAXREC, LWM2M_ERR_FORMAT);                              /* MR in MR */
    decode_hex(&obj, "c10001", recs, MAXREC, LWM2M_ERR_FORMAT);              /* Resource at object level */
    decode_hex(&inst, "410001", recs, MAXREC, LWM2M_ERR_FORMAT);             /* RI at instance level */
    decode_hex(&inst, "c10001080003c10001", recs, MAXREC, LWM2M_ERR_FORMAT); /* OI after resources */
    /* wrapping Object Instance at depth 2: wrong ID, or not alone */
    decode_hex(&inst, "080503c10001", recs, MAXREC, LWM2M_ERR_PATH);
    decode_hex(&inst, "080003c10001c10100", recs, MAXREC, LWM2M_ERR_FORMAT);
    /* depth 3: one TLV of the right kind and ID */
    decode_hex(&res, "c10501", recs, MAXREC, LWM2M_ERR_PATH);
    decode_hex(&res,
               "830541"
               "0001",
               recs, MAXREC, LWM2M_ERR_PATH);
    decode_hex(&res, "830141000141", recs, MAXREC, LWM2M_ERR_FORMAT);
    decode_hex(&res, "c10101c10201", recs, MAXREC, LWM2M_ERR_FORMAT);
    decode_hex(&res, "", recs, MAXREC, LWM2M_ERR_FORMAT);
    decode_hex(&res, "080103c10101", recs, MAXREC, LWM2M_ERR_FORMAT);
    decode_hex(&res, "410101", recs, MAXREC, LWM2M_ERR_FORMAT);
    /* depth 4: one Resource Instance TLV with the right ID */
    decode_hex(&ri, "410307", recs, MAXREC, LWM2M_ERR_PATH);
    decode_hex(&ri, "c17f07", recs, MAXREC, LWM2M_ERR_FORMAT);
    decode_hex(&ri, "417f07417f07", recs, MAXREC, LWM2M_ERR_FORMAT);
    decode_hex(&ri, "", recs, MAXREC, LWM2M_ERR_FORMAT);
    /* reserved ID 65535 */
    decode_hex(&inst, "e1ffff01", recs, MAXREC, LWM2M_ERR_RANGE);
    decode_hex(&inst,
               "8404"
               "61ffff01",
               recs, MAXREC, LWM2M_ERR_RANGE);
    decode_hex(&obj, "28ffff00", recs, MAXREC, LWM2M_ERR_RANGE);
    /* repeated paths */
    decode_hex(&inst, "c10001c10002", recs, MAXREC, LWM2M_ERR_FORMAT);
    decode_hex(&inst,
               "c10601830641"
               "0001",
               recs, MAXREC, LWM2M_ERR_FORMAT);
    decode_hex(&inst, "8606410001410002", recs, MAXREC, LWM2M_ERR_FORMAT);
    decode_hex(&obj, "080003c10001080003c10001", recs, MAXREC, LWM2M_ERR_FORMAT);
    /* bad bases */
    lwm2m_path_t root = lwm2m_path(0, 0, 0, 0, 0), deep = ri, bad = lwm2m_path(2, 2, 0xffff, 0, 0);
    deep.depth = 5;
    decode_hex(&root, "c10001", recs, MAXREC, LWM2M_ERR_PATH);
    decode_hex(&deep, "c10001", recs, MAXREC, LWM2M_ERR_PATH);
    decode_hex(&bad, "c10001", recs, MAXREC, LWM2M_ERR_RANGE);
    /* too many records */
    lwm2m_path_t dev = lwm2m_path(2, 3, 0, 0, 0);
    decode_hex(&dev, T1, recs, 15, LWM2M_ERR_NOSPACE);
    decode_hex(&dev, T1, recs, 16, 0);
    decode_hex(&dev, T1, recs, 0, LWM2M_ERR_NOSPACE);
    decode_hex(&inst, "", recs, 0, 0);
}
END_TEST

START_TEST(test_encode_errors)
{
    lwm2m_record_t recs[4];
    uint8_t out[64];
    lwm2m_path_t inst = lwm2m_path(2, 0, 1, 0, 0), root = lwm2m_path(0, 0, 0, 0, 0), deep = inst;
    deep.depth = 5;
    recs[0] = rec_int(P3(0, 1, 0), 1);
    recs[1] = rec_int(P3(0, 1, 1), 2);
    ck_assert_int_eq(tlv_encode(&root, recs, 2, out, sizeof out), LWM2M_ERR_PATH);
    ck_assert_int_eq(tlv_encode(&deep, recs, 2, out, sizeof out), LWM2M_ERR_PATH);
    /* not under the target */
    lwm2m_path_t other = lwm2m_path(2, 0, 2, 0, 0);
    ck_assert_int_eq(tlv_encode(&other, recs, 2, out, sizeof out), LWM2M_ERR_PATH);
    /* out of order, repeated, depth 2, resource next to its instances */
    recs[0] = rec_int(P3(0, 1, 1), 1);
    recs[1] = rec_int(P3(0, 1, 0), 2);
    ck_assert_int_eq(tlv_encode(&inst, recs, 2, out, sizeof out), LWM2M_ERR_PATH);
    recs[1] = rec_int(P3(0, 1, 1), 2);
    ck_assert_int_eq(tlv_encode(&inst, recs, 2, out, sizeof out), LWM2M_ERR_PATH);
    recs[0] = rec_int(lwm2m_path(2, 0, 1, 0, 0), 1);
    ck_assert_int_eq(tlv_encode(&inst, recs, 1, out, sizeof out), LWM2M_ERR_PATH);
    recs[0] = rec_int(P3(0, 1, 16), 1);
    recs[1] = rec_int(P4(0, 1, 16, 0), 2);
    ck_assert_int_eq(tlv_encode(&inst, recs, 2, out, sizeof out), LWM2M_ERR_PATH);
    /* depth 3/4 need their record */
    lwm2m_path_t res = lwm2m_path(3, 0, 1, 16, 0), ri = P4(0, 1, 16, 0);
    ck_assert_int_eq(tlv_encode(&res, recs, 0, out, sizeof out), LWM2M_ERR_PATH);
    ck_assert_int_eq(tlv_encode(&ri, recs, 0, out, sizeof out), LWM2M_ERR_PATH);
    ck_assert_int_eq(tlv_encode(&ri, recs, 1, out, sizeof out), LWM2M_ERR_PATH); /* /0/1/16 is above it */
    /* IDs */
    recs[0] = rec_int(P3(0, 1, 0xffff), 1);
    ck_assert_int_eq(tlv_encode(&inst, recs, 1, out, sizeof out), LWM2M_ERR_RANGE);
    lwm2m_path_t badt = lwm2m_path(1, 0xffff, 0, 0, 0);
    ck_assert_int_eq(tlv_encode(&badt, recs, 0, out, sizeof out), LWM2M_ERR_RANGE);
    /* types */
    recs[0] = rec_int(P3(0, 1, 0), 1);
    recs[0].v.type = LWM2M_T_NONE;
    ck_assert_int_eq(tlv_encode(&inst, recs, 1, out, sizeof out), LWM2M_ERR_TYPE);
    recs[0].v.type = (lwm2m_type_t)99;
    ck_assert_int_eq(tlv_encode(&inst, recs, 1, out, sizeof out), LWM2M_ERR_TYPE);
    /* a bad record after one that does not fit is still reported as such */
    recs[0] = rec_str(P3(0, 1, 0), "coaps://bs.example.com:5684");
    recs[1] = rec_int(P3(0, 1, 1), 0);
    recs[1].v.type = LWM2M_T_NONE;
    ck_assert_int_eq(tlv_encode(&inst, recs, 2, out, 4), LWM2M_ERR_TYPE);
}
END_TEST

static Suite *tlv_suite(void)
{
    Suite *s = suite_create("tlv");
    TCase *tc = tcase_create("vectors");
    tcase_add_test(tc, test_t1_device_resources);
    tcase_add_test(tc, test_t2_device_object);
    tcase_add_test(tc, test_t3_access_control);
    tcase_add_test(tc, test_t4_server);
    tcase_add_test(tc, test_t5_wakaama);
    tcase_add_test(tc, test_t6_bootstrap_write);
    tcase_add_test(tc, test_objlnk);
    suite_add_tcase(s, tc);
    tc = tcase_create("roundtrip");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_integer_widths);
    tcase_add_test(tc, test_unsigned);
    tcase_add_test(tc, test_float);
    tcase_add_test(tc, test_bool_string_opaque);
    tcase_add_test(tc, test_length_boundaries);
    tcase_add_test(tc, test_multiple_resources);
    tcase_add_test(tc, test_decode_sorts);
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
    SRunner *sr = srunner_create(tlv_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
