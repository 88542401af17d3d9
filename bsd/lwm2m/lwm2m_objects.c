/*
 * lwm2m_objects.c — resource tables for objects 0, 1, 2 and 21 and the
 * raw/loose → typed value conversion (see lwm2m_objects.h).
 *
 * One table per (object, major version). Each row says in which minor
 * versions it applies, so 0 v1.0/1.1/1.2 share a table and a resource
 * whose type changed between minors (1/1 Lifetime) has two rows.
 *
 * Choices where sources differ or were not at hand:
 *  - 0/13, 0/15, 0/16 are Unsigned Integer as in registry 0.xml v1.2; the
 *    2017 Core 1.1 draft says Integer. Reading TLV as unsigned is right
 *    for both: a signed writer needs a longer, zero-led form for the same
 *    non-negative value (ciphersuite 0xC0A8 = 49320), and none of these
 *    values can be negative.
 *  - 1/10–1/23 are taken to exist from Server v1.1 on, with the 1.2
 *    registry types (Unsigned Integer for 11, 13, 14, 17–20); the 1.1
 *    registry file was not available to check. 1/22 Preferred Transport
 *    is a single String, 1/9 Bootstrap-Request Trigger is executable.
 *  - 0/9 LwM2M Server SMS Number is a String (registry), not Opaque.
 */
#include "bsd/lwm2m/lwm2m_objects.h"

#include <math.h>
#include <stddef.h>

typedef struct {
    uint8_t since, until; /* minor versions the row applies to, inclusive */
    lwm2m_obj_res_t r;
} def_t;

typedef struct {
    uint16_t obj;
    uint8_t major;
    uint8_t newest_minor; /* newest minor version the table describes */
    const def_t *defs;
    size_t n;
} table_t;

#define ANY  255
#define ONE  false /* single-instance resource */
#define MANY true
#define MAND true /* mandatory */
#define OPT  false
#define R_   LWM2M_OBJ_OP_R
#define RW   (LWM2M_OBJ_OP_R | LWM2M_OBJ_OP_W)
#define E_   LWM2M_OBJ_OP_E
/* clang-format off */
#define ROW(id, since, until, type, mult, mand, ops, name) {since, until, {id, LWM2M_T_##type, mult, mand, ops, name}}
/* clang-format on */

/* Security, v1.0–1.2 (0.xml). */
static const def_t security_1[] = {
    ROW(0, 0, ANY, STRING, ONE, MAND, 0, "LwM2M Server URI"),
    ROW(1, 0, ANY, BOOLEAN, ONE, MAND, 0, "Bootstrap-Server"),
    ROW(2, 0, ANY, INTEGER, ONE, MAND, 0, "Security Mode"),
    ROW(3, 0, ANY, OPAQUE, ONE, MAND, 0, "Public Key or Identity"),
    ROW(4, 0, ANY, OPAQUE, ONE, MAND, 0, "Server Public Key"),
    ROW(5, 0, ANY, OPAQUE, ONE, MAND, 0, "Secret Key"),
    ROW(6, 0, ANY, INTEGER, ONE, OPT, 0, "SMS Security Mode"),
    ROW(7, 0, ANY, OPAQUE, ONE, OPT, 0, "SMS Binding Key Parameters"),
    ROW(8, 0, ANY, OPAQUE, ONE, OPT, 0, "SMS Binding Secret Key(s)"),
    ROW(9, 0, ANY, STRING, ONE, OPT, 0, "LwM2M Server SMS Number"),
    ROW(10, 0, ANY, INTEGER, ONE, OPT, 0, "Short Server ID"),
    ROW(11, 0, ANY, INTEGER, ONE, OPT, 0, "Client Hold Off Time"),
    ROW(12, 0, ANY, INTEGER, ONE, OPT, 0, "Bootstrap-Server Account Timeout"),
    ROW(13, 1, ANY, UNSIGNED, ONE, OPT, 0, "Matching Type"),
    ROW(14, 1, ANY, STRING, ONE, OPT, 0, "SNI"),
    ROW(15, 1, ANY, UNSIGNED, ONE, OPT, 0, "Certificate Usage"),
    ROW(16, 1, ANY, UNSIGNED, MANY, OPT, 0, "DTLS/TLS Ciphersuite"),
    ROW(17, 1, ANY, OBJLNK, ONE, OPT, 0, "OSCORE Security Mode"),
    ROW(18, 2, ANY, UNSIGNED, MANY, OPT, 0, "Groups To Use by Client"),
    ROW(19, 2, ANY, UNSIGNED, MANY, OPT, 0, "Signature Algorithms Supported by Server"),
    ROW(20, 2, ANY, UNSIGNED, MANY, OPT, 0, "Signature Algorithms To Use by Client"),
    ROW(21, 2, ANY, UNSIGNED, MANY, OPT, 0, "Signature Algorithm Certs Supported by Server"),
    ROW(22, 2, ANY, UNSIGNED, ONE, OPT, 0, "TLS 1.3 Features To Use by Client"),
    ROW(23, 2, ANY, UNSIGNED, ONE, OPT, 0, "TLS Extensions Supported by Server"),
    ROW(24, 2, ANY, UNSIGNED, ONE, OPT, 0, "TLS Extensions To Use by Client"),
    ROW(25, 2, ANY, STRING, MANY, OPT, 0, "Secondary LwM2M Server URI"),
    ROW(26, 2, ANY, OBJLNK, ONE, OPT, 0, "MQTT Server"),
    ROW(27, 2, ANY, OBJLNK, MANY, OPT, 0, "LwM2M COSE Security"),
    ROW(28, 2, ANY, INTEGER, ONE, OPT, 0, "RDS Destination Port"),
    ROW(29, 2, ANY, INTEGER, ONE, OPT, 0, "RDS Source Port"),
    ROW(30, 2, ANY, STRING, ONE, OPT, 0, "RDS Application ID"),
};

/* Server, v1.0–1.2 (1.xml). */
static const def_t server_1[] = {
    ROW(0, 0, ANY, INTEGER, ONE, MAND, R_, "Short Server ID"),
    ROW(1, 0, 1, INTEGER, ONE, MAND, RW, "Lifetime"),
    ROW(1, 2, ANY, UNSIGNED, ONE, MAND, RW, "Lifetime"),
    ROW(2, 0, ANY, INTEGER, ONE, OPT, RW, "Default Minimum Period"),
    ROW(3, 0, ANY, INTEGER, ONE, OPT, RW, "Default Maximum Period"),
    ROW(4, 0, ANY, NONE, ONE, OPT, E_, "Disable"),
    ROW(5, 0, ANY, INTEGER, ONE, OPT, RW, "Disable Timeout"),
    ROW(6, 0, ANY, BOOLEAN, ONE, MAND, RW, "Notification Storing When Disabled or Offline"),
    ROW(7, 0, ANY, STRING, ONE, MAND, RW, "Binding"),
    ROW(8, 0, ANY, NONE, ONE, MAND, E_, "Registration Update Trigger"),
    ROW(9, 1, ANY, NONE, ONE, OPT, E_, "Bootstrap-Request Trigger"),
    ROW(10, 1, ANY, OBJLNK, ONE, OPT, RW, "APN Link"),
    ROW(11, 1, ANY, UNSIGNED, ONE, OPT, R_, "TLS-DTLS Alert Code"),
    ROW(12, 1, ANY, TIME, ONE, OPT, R_, "Last Bootstrapped"),
    ROW(13, 1, ANY, UNSIGNED, ONE, OPT, R_, "Registration Priority Order"),
    ROW(14, 1, ANY, UNSIGNED, ONE, OPT, RW, "Initial Registration Delay Timer"),
    ROW(15, 1, ANY, BOOLEAN, ONE, OPT, R_, "Registration Failure Block"),
    ROW(16, 1, ANY, BOOLEAN, ONE, OPT, R_, "Bootstrap on Registration Failure"),
    ROW(17, 1, ANY, UNSIGNED, ONE, OPT, RW, "Communication Retry Count"),
    ROW(18, 1, ANY, UNSIGNED, ONE, OPT, RW, "Communication Retry Timer"),
    ROW(19, 1, ANY, UNSIGNED, ONE, OPT, RW, "Communication Sequence Delay Timer"),
    ROW(20, 1, ANY, UNSIGNED, ONE, OPT, RW, "Communication Sequence Retry Count"),
    ROW(21, 1, ANY, BOOLEAN, ONE, OPT, RW, "Trigger"),
    ROW(22, 1, ANY, STRING, ONE, OPT, RW, "Preferred Transport"),
    ROW(23, 1, ANY, BOOLEAN, ONE, OPT, RW, "Mute Send"),
    ROW(24, 2, ANY, OBJLNK, MANY, OPT, RW, "Alternate APN Links"),
    ROW(25, 2, ANY, STRING, MANY, OPT, RW, "Supported Server Versions"),
    ROW(26, 2, ANY, INTEGER, ONE, OPT, RW, "Default Notification Mode"),
    ROW(27, 2, ANY, UNSIGNED, ONE, OPT, RW, "Profile ID Hash Algorithm"),
};

/* Access Control, v1.0 and v1.1 (identical resources: 2.xml, 2-1_1.xml). */
static const def_t acl_1[] = {
    ROW(0, 0, ANY, INTEGER, ONE, MAND, R_, "Object ID"),
    ROW(1, 0, ANY, INTEGER, ONE, MAND, R_, "Object Instance ID"),
    ROW(2, 0, ANY, INTEGER, MANY, OPT, RW, "ACL"),
    ROW(3, 0, ANY, INTEGER, ONE, MAND, RW, "Access Control Owner"),
};

/* OSCORE v1.0/1.1: secrets and IDs are Strings (21-1_1.xml); 6 from 1.1. */
static const def_t oscore_1[] = {
    ROW(0, 0, ANY, STRING, ONE, MAND, 0, "OSCORE Master Secret"),
    ROW(1, 0, ANY, STRING, ONE, MAND, 0, "OSCORE Sender ID"),
    ROW(2, 0, ANY, STRING, ONE, MAND, 0, "OSCORE Recipient ID"),
    ROW(3, 0, ANY, INTEGER, ONE, OPT, 0, "OSCORE AEAD Algorithm"),
    ROW(4, 0, ANY, INTEGER, ONE, OPT, 0, "OSCORE HMAC Algorithm"),
    ROW(5, 0, ANY, STRING, ONE, OPT, 0, "OSCORE Master Salt"),
    ROW(6, 1, ANY, STRING, ONE, OPT, 0, "OSCORE ID Context"),
};

/* OSCORE v2.0: the same resources as Opaque (21-2_0.xml). */
static const def_t oscore_2[] = {
    ROW(0, 0, ANY, OPAQUE, ONE, MAND, 0, "OSCORE Master Secret"),
    ROW(1, 0, ANY, OPAQUE, ONE, MAND, 0, "OSCORE Sender ID"),
    ROW(2, 0, ANY, OPAQUE, ONE, MAND, 0, "OSCORE Recipient ID"),
    ROW(3, 0, ANY, INTEGER, ONE, OPT, 0, "OSCORE AEAD Algorithm"),
    ROW(4, 0, ANY, INTEGER, ONE, OPT, 0, "OSCORE HMAC Algorithm"),
    ROW(5, 0, ANY, OPAQUE, ONE, OPT, 0, "OSCORE Master Salt"),
    ROW(6, 0, ANY, OPAQUE, ONE, OPT, 0, "OSCORE ID Context"),
};

/* clang-format off */
#define TABLE(obj, major, newest, defs) {obj, major, newest, defs, sizeof defs / sizeof defs[0]}
/* clang-format on */
static const table_t tables[] = {
    TABLE(LWM2M_OBJ_SECURITY, 1, 2, security_1), TABLE(LWM2M_OBJ_SERVER, 1, 2, server_1),
    TABLE(LWM2M_OBJ_ACL, 1, 1, acl_1),           TABLE(LWM2M_OBJ_OSCORE, 1, 1, oscore_1),
    TABLE(LWM2M_OBJ_OSCORE, 2, 0, oscore_2),
};

static const table_t *find_table(uint16_t obj, uint8_t major)
{
    for (size_t i = 0; i < sizeof tables / sizeof tables[0]; i++)
        if (tables[i].obj == obj && tables[i].major == major) return &tables[i];
    return NULL;
}

int lwm2m_obj_known(uint16_t obj, uint8_t ver_major)
{
    return find_table(obj, ver_major) != NULL;
}

const lwm2m_obj_res_t *lwm2m_obj_res(uint16_t obj, uint8_t ver_major, uint8_t ver_minor, uint16_t res)
{
    const table_t *t = find_table(obj, ver_major);
    if (t == NULL) return NULL;
    uint8_t minor = ver_minor > t->newest_minor ? t->newest_minor : ver_minor;
    for (size_t i = 0; i < t->n; i++) {
        const def_t *d = &t->defs[i];
        if (d->r.id == res && minor >= d->since && minor <= d->until) return &d->r;
    }
    return NULL;
}

/* Unsigned Integer in TLV: 1/2/4/8 bytes, big-endian, no sign. */
static int raw_as_uint(const lwm2m_value_t *v, uint64_t *out)
{
    size_t n = v->bytes.len;
    if (n != 1 && n != 2 && n != 4 && n != 8) return LWM2M_ERR_FORMAT;
    uint64_t u = 0;
    for (size_t i = 0; i < n; i++)
        u = u << 8 | v->bytes.p[i];
    *out = u;
    return 0;
}

static int from_raw(lwm2m_type_t type, const lwm2m_value_t *raw, lwm2m_value_t *typed)
{
    lwm2m_value_t v = {.type = type};
    int rc = 0;
    switch (type) {
    case LWM2M_T_STRING:
    case LWM2M_T_OPAQUE:
    case LWM2M_T_CORELNK: v.bytes = raw->bytes; break;
    case LWM2M_T_INTEGER:
    case LWM2M_T_TIME: rc = lwm2m_raw_as_int(raw, &v.i); break;
    case LWM2M_T_UNSIGNED: rc = raw_as_uint(raw, &v.u); break;
    case LWM2M_T_FLOAT: rc = lwm2m_raw_as_float(raw, &v.f); break;
    case LWM2M_T_BOOLEAN: rc = lwm2m_raw_as_bool(raw, &v.b); break;
    case LWM2M_T_OBJLNK: rc = lwm2m_raw_as_objlnk(raw, &v.lnk); break;
    default: return LWM2M_ERR_TYPE;
    }
    if (rc < 0) return LWM2M_ERR_FORMAT;
    *typed = v;
    return 0;
}

/* Signed value of an INTEGER/TIME/UNSIGNED/FLOAT input, when it has one. */
static int as_int64(const lwm2m_value_t *in, int64_t *out)
{
    switch (in->type) {
    case LWM2M_T_INTEGER:
    case LWM2M_T_TIME: *out = in->i; return 0;
    case LWM2M_T_UNSIGNED:
        if (in->u > (uint64_t)INT64_MAX) return LWM2M_ERR_RANGE;
        *out = (int64_t)in->u;
        return 0;
    case LWM2M_T_FLOAT:
        if (in->f != trunc(in->f) || !(in->f >= -9223372036854775808.0 && in->f < 9223372036854775808.0))
            return LWM2M_ERR_RANGE;
        *out = (int64_t)in->f;
        return 0;
    default: return LWM2M_ERR_TYPE;
    }
}

static int as_uint64(const lwm2m_value_t *in, uint64_t *out)
{
    switch (in->type) {
    case LWM2M_T_UNSIGNED: *out = in->u; return 0;
    case LWM2M_T_INTEGER:
    case LWM2M_T_TIME:
        if (in->i < 0) return LWM2M_ERR_RANGE;
        *out = (uint64_t)in->i;
        return 0;
    case LWM2M_T_FLOAT:
        if (in->f != trunc(in->f) || !(in->f >= 0.0 && in->f < 18446744073709551616.0))
            return LWM2M_ERR_RANGE;
        *out = (uint64_t)in->f;
        return 0;
    default: return LWM2M_ERR_TYPE;
    }
}

static int from_typed(lwm2m_type_t type, const lwm2m_value_t *in, lwm2m_value_t *typed)
{
    lwm2m_value_t v = {.type = type};
    int rc = 0;
    switch (type) {
    case LWM2M_T_INTEGER:
    case LWM2M_T_TIME: rc = as_int64(in, &v.i); break;
    case LWM2M_T_UNSIGNED: rc = as_uint64(in, &v.u); break;
    case LWM2M_T_FLOAT:
        if (in->type == LWM2M_T_FLOAT)
            v.f = in->f;
        else if (in->type == LWM2M_T_INTEGER || in->type == LWM2M_T_TIME)
            v.f = (double)in->i;
        else if (in->type == LWM2M_T_UNSIGNED)
            v.f = (double)in->u;
        else
            rc = LWM2M_ERR_TYPE;
        break;
    case LWM2M_T_STRING:
    case LWM2M_T_CORELNK:
        if (in->type != LWM2M_T_STRING && in->type != LWM2M_T_CORELNK) return LWM2M_ERR_TYPE;
        v.bytes = in->bytes;
        break;
    case LWM2M_T_OPAQUE:
    case LWM2M_T_BOOLEAN:
    case LWM2M_T_OBJLNK:
        if (in->type != type) return LWM2M_ERR_TYPE;
        v = *in;
        break;
    default: return LWM2M_ERR_TYPE;
    }
    if (rc < 0) return rc;
    *typed = v;
    return 0;
}

int lwm2m_obj_typed_from_raw(uint16_t obj, uint8_t ver_major, uint8_t ver_minor, uint16_t res,
                             const lwm2m_value_t *raw, lwm2m_value_t *typed)
{
    const lwm2m_obj_res_t *r = lwm2m_obj_res(obj, ver_major, ver_minor, res);
    if (r == NULL) {
        *typed = *raw;
        if (typed->type == LWM2M_T_RAW) typed->type = LWM2M_T_OPAQUE;
        return 1;
    }
    if (r->type == LWM2M_T_NONE) return LWM2M_ERR_TYPE;
    if (raw->type == LWM2M_T_RAW) return from_raw(r->type, raw, typed);
    return from_typed(r->type, raw, typed);
}
