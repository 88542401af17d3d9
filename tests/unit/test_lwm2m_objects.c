/*
 * test_lwm2m_objects.c — unit tests for bsd/lwm2m/lwm2m_objects: resource
 * types per object version (registry 0.xml, 1.xml, 2.xml, 21-1_1.xml,
 * 21-2_0.xml; object 21 String in v1.x and Opaque in v2.0), TLV raw →
 * typed conversion (LwM2M Core Appendix C), SenML number normalisation,
 * and the S7 records read back through the model.
 */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bsd/lwm2m/lwm2m_objects.h"

static void res_is(uint16_t obj, uint8_t ma, uint8_t mi, uint16_t res, lwm2m_type_t t, bool multiple,
                   bool mandatory)
{
    const lwm2m_obj_res_t *r = lwm2m_obj_res(obj, ma, mi, res);
    ck_assert_msg(r != NULL, "/%u v%u.%u res %u missing", obj, ma, mi, res);
    ck_assert_int_eq(r->id, res);
    ck_assert_msg(r->type == t, "/%u v%u.%u res %u: type %d, want %d", obj, ma, mi, res, r->type, t);
    ck_assert_int_eq(r->multiple, multiple);
    ck_assert_int_eq(r->mandatory, mandatory);
    ck_assert_ptr_nonnull(r->name);
}

static void res_absent(uint16_t obj, uint8_t ma, uint8_t mi, uint16_t res)
{
    ck_assert_msg(lwm2m_obj_res(obj, ma, mi, res) == NULL, "/%u v%u.%u res %u should be absent", obj, ma, mi,
                  res);
}

static lwm2m_value_t raw(const void *b, size_t n)
{
    lwm2m_value_t v = {.type = LWM2M_T_RAW};
    v.bytes.p = b;
    v.bytes.len = n;
    return v;
}

/* ---- Types per version ------------------------------------------------- */

START_TEST(security_versions)
{
    for (uint8_t mi = 0; mi <= 2; mi++) {
        res_is(0, 1, mi, 0, LWM2M_T_STRING, false, true);
        res_is(0, 1, mi, 1, LWM2M_T_BOOLEAN, false, true);
        res_is(0, 1, mi, 2, LWM2M_T_INTEGER, false, true);
        res_is(0, 1, mi, 3, LWM2M_T_OPAQUE, false, true);
        res_is(0, 1, mi, 4, LWM2M_T_OPAQUE, false, true);
        res_is(0, 1, mi, 5, LWM2M_T_OPAQUE, false, true);
        res_is(0, 1, mi, 6, LWM2M_T_INTEGER, false, false);
        res_is(0, 1, mi, 7, LWM2M_T_OPAQUE, false, false);
        res_is(0, 1, mi, 8, LWM2M_T_OPAQUE, false, false);
        res_is(0, 1, mi, 9, LWM2M_T_STRING, false, false);
        res_is(0, 1, mi, 10, LWM2M_T_INTEGER, false, false);
        res_is(0, 1, mi, 11, LWM2M_T_INTEGER, false, false);
        res_is(0, 1, mi, 12, LWM2M_T_INTEGER, false, false);
    }
    for (uint16_t r = 13; r <= 17; r++)
        res_absent(0, 1, 0, r);
    for (uint8_t mi = 1; mi <= 2; mi++) {
        res_is(0, 1, mi, 13, LWM2M_T_UNSIGNED, false, false);
        res_is(0, 1, mi, 14, LWM2M_T_STRING, false, false);
        res_is(0, 1, mi, 15, LWM2M_T_UNSIGNED, false, false);
        res_is(0, 1, mi, 16, LWM2M_T_UNSIGNED, true, false);
        res_is(0, 1, mi, 17, LWM2M_T_OBJLNK, false, false);
    }
    res_absent(0, 1, 1, 18);
    res_is(0, 1, 2, 18, LWM2M_T_UNSIGNED, true, false);
    res_is(0, 1, 2, 25, LWM2M_T_STRING, true, false);
    res_is(0, 1, 2, 27, LWM2M_T_OBJLNK, true, false);
    res_is(0, 1, 2, 30, LWM2M_T_STRING, false, false);
    res_absent(0, 1, 2, 31);
    /* a newer minor than known reads as the newest known */
    res_is(0, 1, 9, 30, LWM2M_T_STRING, false, false);
    res_absent(0, 2, 0, 0);
    res_absent(0, 0, 0, 0);
    ck_assert_int_eq(lwm2m_obj_res(0, 1, 1, 0)->ops, 0); /* bootstrap-only object */
}
END_TEST

START_TEST(server_versions)
{
    res_is(1, 1, 0, 0, LWM2M_T_INTEGER, false, true);
    res_is(1, 1, 0, 1, LWM2M_T_INTEGER, false, true);
    res_is(1, 1, 1, 1, LWM2M_T_INTEGER, false, true);
    res_is(1, 1, 2, 1, LWM2M_T_UNSIGNED, false, true); /* Lifetime became Unsigned in 1.2 */
    res_is(1, 1, 0, 2, LWM2M_T_INTEGER, false, false);
    res_is(1, 1, 0, 3, LWM2M_T_INTEGER, false, false);
    res_is(1, 1, 0, 4, LWM2M_T_NONE, false, false);
    ck_assert_int_eq(lwm2m_obj_res(1, 1, 0, 4)->ops, LWM2M_OBJ_OP_E);
    res_is(1, 1, 0, 5, LWM2M_T_INTEGER, false, false);
    res_is(1, 1, 0, 6, LWM2M_T_BOOLEAN, false, true);
    res_is(1, 1, 0, 7, LWM2M_T_STRING, false, true);
    ck_assert_int_eq(lwm2m_obj_res(1, 1, 0, 7)->ops, LWM2M_OBJ_OP_R | LWM2M_OBJ_OP_W);
    res_is(1, 1, 0, 8, LWM2M_T_NONE, false, true);
    res_absent(1, 1, 0, 9);
    res_is(1, 1, 1, 9, LWM2M_T_NONE, false, false);
    res_is(1, 1, 1, 10, LWM2M_T_OBJLNK, false, false);
    res_is(1, 1, 1, 11, LWM2M_T_UNSIGNED, false, false);
    res_is(1, 1, 1, 12, LWM2M_T_TIME, false, false);
    res_is(1, 1, 1, 13, LWM2M_T_UNSIGNED, false, false);
    res_is(1, 1, 1, 15, LWM2M_T_BOOLEAN, false, false);
    res_is(1, 1, 1, 20, LWM2M_T_UNSIGNED, false, false);
    res_is(1, 1, 1, 22, LWM2M_T_STRING, false, false);
    res_is(1, 1, 1, 23, LWM2M_T_BOOLEAN, false, false);
    res_absent(1, 1, 1, 24);
    res_is(1, 1, 2, 24, LWM2M_T_OBJLNK, true, false);
    res_is(1, 1, 2, 25, LWM2M_T_STRING, true, false);
    res_is(1, 1, 2, 27, LWM2M_T_UNSIGNED, false, false);
    res_absent(1, 1, 2, 28);
}
END_TEST

START_TEST(acl_versions)
{
    for (uint8_t mi = 0; mi <= 1; mi++) {
        res_is(2, 1, mi, 0, LWM2M_T_INTEGER, false, true);
        res_is(2, 1, mi, 1, LWM2M_T_INTEGER, false, true);
        res_is(2, 1, mi, 2, LWM2M_T_INTEGER, true, false);
        res_is(2, 1, mi, 3, LWM2M_T_INTEGER, false, true);
        res_absent(2, 1, mi, 4);
    }
}
END_TEST

START_TEST(oscore_versions)
{
    static const uint16_t secrets[] = {0, 1, 2, 5};
    for (size_t k = 0; k < 4; k++) {
        bool m = secrets[k] <= 2;
        res_is(21, 1, 0, secrets[k], LWM2M_T_STRING, false, m);
        res_is(21, 1, 1, secrets[k], LWM2M_T_STRING, false, m);
        res_is(21, 2, 0, secrets[k], LWM2M_T_OPAQUE, false, m);
    }
    for (uint8_t ma = 1; ma <= 2; ma++) {
        res_is(21, ma, 0, 3, LWM2M_T_INTEGER, false, false);
        res_is(21, ma, 0, 4, LWM2M_T_INTEGER, false, false);
    }
    res_absent(21, 1, 0, 6); /* ID Context from 1.1 */
    res_is(21, 1, 1, 6, LWM2M_T_STRING, false, false);
    res_is(21, 2, 0, 6, LWM2M_T_OPAQUE, false, false);
    res_is(21, 1, 5, 6, LWM2M_T_STRING, false, false);
    res_absent(21, 3, 0, 0);
    res_absent(21, 2, 0, 7);
}
END_TEST

START_TEST(unknown_objects)
{
    res_absent(3, 1, 0, 0);
    res_absent(65534, 1, 0, 0);
    ck_assert_int_eq(lwm2m_obj_known(0, 1), 1);
    ck_assert_int_eq(lwm2m_obj_known(1, 1), 1);
    ck_assert_int_eq(lwm2m_obj_known(2, 1), 1);
    ck_assert_int_eq(lwm2m_obj_known(21, 1), 1);
    ck_assert_int_eq(lwm2m_obj_known(21, 2), 1);
    ck_assert_int_eq(lwm2m_obj_known(21, 3), 0);
    ck_assert_int_eq(lwm2m_obj_known(3, 1), 0);
}
END_TEST

/* ---- Raw → typed ------------------------------------------------------- */

START_TEST(raw_integers)
{
    lwm2m_value_t t;
    lwm2m_value_t v = raw("\x65", 1); /* T6: Short Server ID 101 */
    ck_assert_int_eq(lwm2m_obj_typed_from_raw(0, 1, 1, 10, &v, &t), 0);
    ck_assert_int_eq(t.type, LWM2M_T_INTEGER);
    ck_assert_int_eq(t.i, 101);
    v = raw("\xff", 1);
    ck_assert_int_eq(lwm2m_obj_typed_from_raw(0, 1, 1, 10, &v, &t), 0);
    ck_assert_int_eq(t.i, -1);
    v = raw("\x00\x01\x51\x80", 4); /* T4: Lifetime 86400 */
    ck_assert_int_eq(lwm2m_obj_typed_from_raw(1, 1, 1, 1, &v, &t), 0);
    ck_assert_int_eq(t.type, LWM2M_T_INTEGER);
    ck_assert_int_eq(t.i, 86400);
    ck_assert_int_eq(lwm2m_obj_typed_from_raw(1, 1, 2, 1, &v, &t), 0);
    ck_assert_int_eq(t.type, LWM2M_T_UNSIGNED);
    ck_assert_uint_eq(t.u, 86400);
    v = raw("\x80\x00\x00\x00\x00\x00\x00\x00", 8);
    ck_assert_int_eq(lwm2m_obj_typed_from_raw(2, 1, 0, 3, &v, &t), 0);
    ck_assert_int_eq(t.i, INT64_MIN);
    /* Unsigned: 2-byte 0xC0A8 is ciphersuite 49320, not -16216 */
    v = raw("\xc0\xa8", 2);
    ck_assert_int_eq(lwm2m_obj_typed_from_raw(0, 1, 1, 16, &v, &t), 0);
    ck_assert_int_eq(t.type, LWM2M_T_UNSIGNED);
    ck_assert_uint_eq(t.u, 49320);
    v = raw("\x00\x00\xc0\xa8", 4); /* a signed writer's form gives the same */
    ck_assert_int_eq(lwm2m_obj_typed_from_raw(0, 1, 1, 16, &v, &t), 0);
    ck_assert_uint_eq(t.u, 49320);
    v = raw("\xff\xff\xff\xff\xff\xff\xff\xff", 8);
    ck_assert_int_eq(lwm2m_obj_typed_from_raw(0, 1, 2, 22, &v, &t), 0);
    ck_assert_uint_eq(t.u, UINT64_MAX);
    /* Time */
    v = raw("\x51\x82\x42\x8f", 4);
    ck_assert_int_eq(lwm2m_obj_typed_from_raw(1, 1, 1, 12, &v, &t), 0);
    ck_assert_int_eq(t.type, LWM2M_T_TIME);
    ck_assert_int_eq(t.i, 1367491215);
    /* wrong widths */
    v = raw("\x00\x01\x02", 3);
    ck_assert_int_eq(lwm2m_obj_typed_from_raw(0, 1, 1, 10, &v, &t), LWM2M_ERR_FORMAT);
    ck_assert_int_eq(lwm2m_obj_typed_from_raw(0, 1, 1, 16, &v, &t), LWM2M_ERR_FORMAT);
    v = raw(NULL, 0);
    ck_assert_int_eq(lwm2m_obj_typed_from_raw(0, 1, 1, 10, &v, &t), LWM2M_ERR_FORMAT);
    ck_assert_int_eq(lwm2m_obj_typed_from_raw(1, 1, 1, 12, &v, &t), LWM2M_ERR_FORMAT);
}
END_TEST

START_TEST(raw_other_types)
{
    lwm2m_value_t t;
    lwm2m_value_t v = raw("\x01", 1);
    ck_assert_int_eq(lwm2m_obj_typed_from_raw(0, 1, 0, 1, &v, &t), 0);
    ck_assert_int_eq(t.type, LWM2M_T_BOOLEAN);
    ck_assert(t.b);
    v = raw("\x02", 1);
    ck_assert_int_eq(lwm2m_obj_typed_from_raw(0, 1, 0, 1, &v, &t), LWM2M_ERR_FORMAT);
    v = raw("\x00\x00", 2);
    ck_assert_int_eq(lwm2m_obj_typed_from_raw(0, 1, 0, 1, &v, &t), LWM2M_ERR_FORMAT);
    /* Objlnk: T6 note, resource 17 → /21/0 */
    v = raw("\x00\x15\x00\x00", 4);
    ck_assert_int_eq(lwm2m_obj_typed_from_raw(0, 1, 1, 17, &v, &t), 0);
    ck_assert_int_eq(t.type, LWM2M_T_OBJLNK);
    ck_assert_int_eq(t.lnk.obj, 21);
    ck_assert_int_eq(t.lnk.inst, 0);
    v = raw("\x00\x15\x00", 3);
    ck_assert_int_eq(lwm2m_obj_typed_from_raw(0, 1, 1, 17, &v, &t), LWM2M_ERR_FORMAT);
    /* String and Opaque keep their bytes; 21 differs by version */
    static const char uri[] = "coaps://bs.example.com:5684";
    v = raw(uri, sizeof uri - 1);
    ck_assert_int_eq(lwm2m_obj_typed_from_raw(0, 1, 1, 0, &v, &t), 0);
    ck_assert_int_eq(t.type, LWM2M_T_STRING);
    ck_assert_ptr_eq(t.bytes.p, (const uint8_t *)uri);
    ck_assert_uint_eq(t.bytes.len, sizeof uri - 1);
    v = raw("abc", 3);
    ck_assert_int_eq(lwm2m_obj_typed_from_raw(21, 1, 1, 1, &v, &t), 0);
    ck_assert_int_eq(t.type, LWM2M_T_STRING);
    ck_assert_int_eq(lwm2m_obj_typed_from_raw(21, 2, 0, 1, &v, &t), 0);
    ck_assert_int_eq(t.type, LWM2M_T_OPAQUE);
    ck_assert_uint_eq(t.bytes.len, 3);
    ck_assert_int_eq(lwm2m_obj_typed_from_raw(0, 1, 0, 5, &v, &t), 0);
    ck_assert_int_eq(t.type, LWM2M_T_OPAQUE);
    /* empty strings are fine */
    v = raw(NULL, 0);
    ck_assert_int_eq(lwm2m_obj_typed_from_raw(0, 1, 0, 0, &v, &t), 0);
    ck_assert_int_eq(t.type, LWM2M_T_STRING);
    ck_assert_uint_eq(t.bytes.len, 0);
    /* in place */
    v = raw("\x0a", 1);
    ck_assert_int_eq(lwm2m_obj_typed_from_raw(21, 1, 1, 3, &v, &v), 0);
    ck_assert_int_eq(v.type, LWM2M_T_INTEGER);
    ck_assert_int_eq(v.i, 10);
}
END_TEST

START_TEST(raw_unknown_and_execute)
{
    lwm2m_value_t t;
    lwm2m_value_t v = raw("\x01\x02", 2);
    ck_assert_int_eq(lwm2m_obj_typed_from_raw(3, 1, 0, 0, &v, &t), 1);
    ck_assert_int_eq(t.type, LWM2M_T_OPAQUE);
    ck_assert_uint_eq(t.bytes.len, 2);
    ck_assert_int_eq(lwm2m_obj_typed_from_raw(0, 1, 0, 17, &v, &t), 1); /* 17 is 1.1+ */
    ck_assert_int_eq(lwm2m_obj_typed_from_raw(21, 3, 0, 0, &v, &t), 1);
    lwm2m_value_t s = {.type = LWM2M_T_INTEGER, .i = 7};
    ck_assert_int_eq(lwm2m_obj_typed_from_raw(3, 1, 0, 9, &s, &t), 1); /* typed input copied */
    ck_assert_int_eq(t.type, LWM2M_T_INTEGER);
    ck_assert_int_eq(t.i, 7);
    ck_assert_int_eq(lwm2m_obj_typed_from_raw(1, 1, 1, 8, &v, &t), LWM2M_ERR_TYPE);
    ck_assert_int_eq(lwm2m_obj_typed_from_raw(1, 1, 1, 4, &s, &t), LWM2M_ERR_TYPE);
}
END_TEST

/* ---- Typed (SenML) → resource type ------------------------------------- */

START_TEST(typed_conversions)
{
    lwm2m_value_t t, in;
    /* INTEGER → UNSIGNED resource */
    in = (lwm2m_value_t){.type = LWM2M_T_INTEGER, .i = 49320};
    ck_assert_int_eq(lwm2m_obj_typed_from_raw(0, 1, 1, 16, &in, &t), 0);
    ck_assert_int_eq(t.type, LWM2M_T_UNSIGNED);
    ck_assert_uint_eq(t.u, 49320);
    in.i = -1;
    ck_assert_int_eq(lwm2m_obj_typed_from_raw(0, 1, 1, 16, &in, &t), LWM2M_ERR_RANGE);
    /* UNSIGNED → INTEGER resource */
    in = (lwm2m_value_t){.type = LWM2M_T_UNSIGNED, .u = 5};
    ck_assert_int_eq(lwm2m_obj_typed_from_raw(0, 1, 1, 10, &in, &t), 0);
    ck_assert_int_eq(t.type, LWM2M_T_INTEGER);
    ck_assert_int_eq(t.i, 5);
    in.u = (uint64_t)INT64_MAX + 1;
    ck_assert_int_eq(lwm2m_obj_typed_from_raw(0, 1, 1, 10, &in, &t), LWM2M_ERR_RANGE);
    /* integral FLOAT → integer types; others refused */
    in = (lwm2m_value_t){.type = LWM2M_T_FLOAT, .f = 86400.0};
    ck_assert_int_eq(lwm2m_obj_typed_from_raw(1, 1, 1, 1, &in, &t), 0);
    ck_assert_int_eq(t.type, LWM2M_T_INTEGER);
    ck_assert_int_eq(t.i, 86400);
    ck_assert_int_eq(lwm2m_obj_typed_from_raw(1, 1, 2, 1, &in, &t), 0);
    ck_assert_int_eq(t.type, LWM2M_T_UNSIGNED);
    ck_assert_uint_eq(t.u, 86400);
    in.f = 1.5;
    ck_assert_int_eq(lwm2m_obj_typed_from_raw(1, 1, 1, 1, &in, &t), LWM2M_ERR_RANGE);
    in.f = 1e19;
    ck_assert_int_eq(lwm2m_obj_typed_from_raw(1, 1, 1, 1, &in, &t), LWM2M_ERR_RANGE);
    ck_assert_int_eq(lwm2m_obj_typed_from_raw(1, 1, 2, 1, &in, &t), 0);
    ck_assert_uint_eq(t.u, 10000000000000000000u);
    in.f = -1.0;
    ck_assert_int_eq(lwm2m_obj_typed_from_raw(1, 1, 2, 1, &in, &t), LWM2M_ERR_RANGE);
    in.f = NAN;
    ck_assert_int_eq(lwm2m_obj_typed_from_raw(1, 1, 1, 1, &in, &t), LWM2M_ERR_RANGE);
    in.f = -9223372036854775808.0;
    ck_assert_int_eq(lwm2m_obj_typed_from_raw(1, 1, 1, 1, &in, &t), 0);
    ck_assert_int_eq(t.i, INT64_MIN);
    /* INTEGER → TIME */
    in = (lwm2m_value_t){.type = LWM2M_T_INTEGER, .i = 1367491215};
    ck_assert_int_eq(lwm2m_obj_typed_from_raw(1, 1, 1, 12, &in, &t), 0);
    ck_assert_int_eq(t.type, LWM2M_T_TIME);
    ck_assert_int_eq(t.i, 1367491215);
    /* kinds that do not mix */
    in = (lwm2m_value_t){.type = LWM2M_T_BOOLEAN, .b = true};
    ck_assert_int_eq(lwm2m_obj_typed_from_raw(0, 1, 1, 10, &in, &t), LWM2M_ERR_TYPE);
    ck_assert_int_eq(lwm2m_obj_typed_from_raw(0, 1, 1, 1, &in, &t), 0);
    ck_assert(t.b);
    in = (lwm2m_value_t){.type = LWM2M_T_STRING};
    in.bytes.p = (const uint8_t *)"ab";
    in.bytes.len = 2;
    ck_assert_int_eq(lwm2m_obj_typed_from_raw(21, 2, 0, 0, &in, &t), LWM2M_ERR_TYPE); /* 2.0 wants Opaque */
    ck_assert_int_eq(lwm2m_obj_typed_from_raw(21, 1, 1, 0, &in, &t), 0);
    ck_assert_int_eq(t.type, LWM2M_T_STRING);
    ck_assert_int_eq(lwm2m_obj_typed_from_raw(0, 1, 1, 10, &in, &t), LWM2M_ERR_TYPE);
    in.type = LWM2M_T_CORELNK;
    ck_assert_int_eq(lwm2m_obj_typed_from_raw(0, 1, 1, 0, &in, &t), 0);
    ck_assert_int_eq(t.type, LWM2M_T_STRING);
    in.type = LWM2M_T_OPAQUE;
    ck_assert_int_eq(lwm2m_obj_typed_from_raw(21, 2, 0, 0, &in, &t), 0);
    ck_assert_int_eq(lwm2m_obj_typed_from_raw(0, 1, 0, 0, &in, &t), LWM2M_ERR_TYPE);
    in = (lwm2m_value_t){.type = LWM2M_T_OBJLNK, .lnk = {21, 0}};
    ck_assert_int_eq(lwm2m_obj_typed_from_raw(0, 1, 1, 17, &in, &t), 0);
    ck_assert_int_eq(t.lnk.obj, 21);
    ck_assert_int_eq(lwm2m_obj_typed_from_raw(0, 1, 1, 10, &in, &t), LWM2M_ERR_TYPE);
}
END_TEST

START_TEST(t6_records_through_the_model)
{
    /* The T6 Bootstrap-Write /0/1 resources, as a TLV decoder hands them over. */
    static const struct {
        uint16_t res;
        const char *b;
        size_t n;
        lwm2m_type_t t;
    } rows[] = {
        {0, "coaps://bs.example.com:5684", 27, LWM2M_T_STRING},
        {1, "\x00", 1, LWM2M_T_BOOLEAN},
        {2, "\x00", 1, LWM2M_T_INTEGER},
        {3, "ep1", 3, LWM2M_T_OPAQUE},
        {5, "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10", 16, LWM2M_T_OPAQUE},
        {10, "\x65", 1, LWM2M_T_INTEGER},
    };
    for (size_t k = 0; k < sizeof rows / sizeof rows[0]; k++) {
        lwm2m_value_t v = raw(rows[k].b, rows[k].n), t;
        ck_assert_int_eq(lwm2m_obj_typed_from_raw(0, 1, 1, rows[k].res, &v, &t), 0);
        ck_assert_int_eq(t.type, rows[k].t);
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("lwm2m_objects");
    TCase *m = tcase_create("model");
    tcase_add_test(m, security_versions);
    tcase_add_test(m, server_versions);
    tcase_add_test(m, acl_versions);
    tcase_add_test(m, oscore_versions);
    tcase_add_test(m, unknown_objects);
    suite_add_tcase(s, m);
    TCase *c = tcase_create("convert");
    tcase_add_test(c, raw_integers);
    tcase_add_test(c, raw_other_types);
    tcase_add_test(c, raw_unknown_and_execute);
    tcase_add_test(c, typed_conversions);
    tcase_add_test(c, t6_records_through_the_model);
    suite_add_tcase(s, c);
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
