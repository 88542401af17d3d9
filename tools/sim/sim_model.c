/*
 * sim_model.c — the object model of the simulated client (see
 * sim_store.h): resource types from bsd/lwm2m/lwm2m_objects.h when that
 * module is built, a built-in table otherwise and for object 3, and the
 * typing of decoded Write values (RAW TLV bytes and loosely typed SenML
 * numbers) before they enter the store.
 */
#include "tools/sim/sim_store.h"

#include <math.h>

#if SIM_HAVE_LWM2M_OBJECTS
#include "bsd/lwm2m/lwm2m_objects.h"
#endif

/* ---- object model (registry 0.xml 1.1, 1.xml 1.1, 2.xml, 3.xml, 21.xml) */

#define S  LWM2M_T_STRING
#define I  LWM2M_T_INTEGER
#define B  LWM2M_T_BOOLEAN
#define O  LWM2M_T_OPAQUE
#define L  LWM2M_T_OBJLNK
#define T  LWM2M_T_TIME
#define X  LWM2M_T_NONE /* executable */
#define IM 0x80         /* marks a multiple-instance resource in the tables */

static const uint8_t model_security[] = {S, B, I, O, O, O, I, O, O, S, I, I, I, I, S, I, I | IM, L};
static const uint8_t model_server[] = {I, I, I, I, X, I, B, S, X, X, L, I,
                                       T, I, I, B, B, I, I, I, I, B, S, B};
static const uint8_t model_acl[] = {I, I, I | IM, I};
static const uint8_t model_device[] = {S,      S, S, S, X, X, I | IM, I | IM, I | IM, I, I,
                                       I | IM, X, T, S, S, S, S,      S,      S,      I, I};
/* Object 21: 0,1,2,5,6 are String in v1.x and Opaque in v2.0 (O here,
 * switched by SIM_ST_OSCORE_V1). */
static const uint8_t model_oscore[] = {O, O, O, I, I, O, O};

#if SIM_HAVE_LWM2M_OBJECTS
/* The object versions this client implements (Discover shows ver= for 1
 * and 21 only, like Wakaama; object 0 is typed as v1.1 so that resources
 * 13–17, e.g. the OSCORE link, keep their types). */
static void obj_version(uint16_t obj, unsigned flags, uint8_t *major, uint8_t *minor)
{
    *major = 1;
    *minor = (obj <= SIM_OBJ_SERVER && !(flags & SIM_ST_LWM2M10)) ? 1 : 0;
    if (obj == SIM_OBJ_OSCORE)
        *major = (flags & SIM_ST_OSCORE_V1) ? 1 : 2, *minor = (flags & SIM_ST_OSCORE_V1) ? 1 : 0;
}

/* 1 when the shared model (lwm2m_objects.h) describes |obj|. */
static int shared_model(uint16_t obj, unsigned flags)
{
    uint8_t maj, min;
    obj_version(obj, flags, &maj, &min);
    return lwm2m_obj_known(obj, maj);
}
#endif

int sim_model_lookup(uint16_t obj, uint16_t res, unsigned flags, sim_model_res_t *out)
{
#if SIM_HAVE_LWM2M_OBJECTS
    if (shared_model(obj, flags)) {
        uint8_t maj, min;
        obj_version(obj, flags, &maj, &min);
        const lwm2m_obj_res_t *r = lwm2m_obj_res(obj, maj, min, res);
        if (!r) return 0;
        out->type = r->type;
        out->multi = r->multiple;
        return 1;
    }
#endif
    const uint8_t *t;
    size_t n;
    switch (obj) {
    case SIM_OBJ_SECURITY: t = model_security, n = sizeof(model_security); break;
    case SIM_OBJ_SERVER: t = model_server, n = sizeof(model_server); break;
    case SIM_OBJ_ACL: t = model_acl, n = sizeof(model_acl); break;
    case SIM_OBJ_DEVICE: t = model_device, n = sizeof(model_device); break;
    case SIM_OBJ_OSCORE: t = model_oscore, n = sizeof(model_oscore); break;
    default: return 0;
    }
    if (res >= n) return 0;
    out->type = (lwm2m_type_t)(t[res] & ~IM);
    out->multi = (t[res] & IM) != 0;
    if (obj == SIM_OBJ_OSCORE && out->type == LWM2M_T_OPAQUE && (flags & SIM_ST_OSCORE_V1))
        out->type = LWM2M_T_STRING;
    return 1;
}

#undef S
#undef I
#undef B
#undef O
#undef L
#undef T
#undef X
#undef IM

/* Types record value |v| as |want|; RAW (TLV) values are interpreted per
 * LwM2M Core Appendix C. Returns 0 or SIM_ST_ERR_TYPE. */
static int type_value(lwm2m_value_t *v, lwm2m_type_t want)
{
    if (v->type == LWM2M_T_RAW) {
        int64_t i;
        double f;
        bool b;
        lwm2m_objlnk_t l;
        switch (want) {
        case LWM2M_T_STRING:
        case LWM2M_T_OPAQUE:
        case LWM2M_T_CORELNK: v->type = want; return 0;
        case LWM2M_T_INTEGER:
        case LWM2M_T_TIME:
            if (lwm2m_raw_as_int(v, &i)) return SIM_ST_ERR_TYPE;
            v->type = want, v->i = i;
            return 0;
        case LWM2M_T_UNSIGNED:
            if (lwm2m_raw_as_int(v, &i) || i < 0) return SIM_ST_ERR_TYPE;
            v->type = LWM2M_T_UNSIGNED, v->u = (uint64_t)i;
            return 0;
        case LWM2M_T_FLOAT:
            if (lwm2m_raw_as_float(v, &f)) return SIM_ST_ERR_TYPE;
            v->type = want, v->f = f;
            return 0;
        case LWM2M_T_BOOLEAN:
            if (lwm2m_raw_as_bool(v, &b)) return SIM_ST_ERR_TYPE;
            v->type = want, v->b = b;
            return 0;
        case LWM2M_T_OBJLNK:
            if (lwm2m_raw_as_objlnk(v, &l)) return SIM_ST_ERR_TYPE;
            v->type = want, v->lnk = l;
            return 0;
        default: return SIM_ST_ERR_TYPE;
        }
    }
    if (v->type == want) return 0;
    switch (want) {
    case LWM2M_T_INTEGER:
    case LWM2M_T_TIME:
        /* SenML carries integers as plain numbers: accept any exact one. */
        if (v->type == LWM2M_T_INTEGER || v->type == LWM2M_T_TIME) {
            v->type = want;
            return 0;
        }
        if (v->type == LWM2M_T_UNSIGNED && v->u <= INT64_MAX) {
            v->type = want, v->i = (int64_t)v->u;
            return 0;
        }
        if (v->type == LWM2M_T_FLOAT && v->f == floor(v->f) && fabs(v->f) < 9.0e15) {
            v->type = want, v->i = (int64_t)v->f;
            return 0;
        }
        return SIM_ST_ERR_TYPE;
    case LWM2M_T_FLOAT:
        if (v->type == LWM2M_T_INTEGER) {
            v->type = want, v->f = (double)v->i;
            return 0;
        }
        if (v->type == LWM2M_T_UNSIGNED) {
            v->type = want, v->f = (double)v->u;
            return 0;
        }
        return SIM_ST_ERR_TYPE;
    default: return SIM_ST_ERR_TYPE;
    }
}

int sim_model_type(const lwm2m_path_t *p, unsigned flags, lwm2m_value_t *v)
{
    sim_model_res_t m;
    if (!sim_model_lookup(p->obj, p->res, flags, &m)) {
        if (v->type == LWM2M_T_RAW) v->type = LWM2M_T_OPAQUE;
        return v->type == LWM2M_T_NONE ? SIM_ST_ERR_TYPE : 0;
    }
    if (m.type == LWM2M_T_NONE) return SIM_ST_ERR_EXEC;
    if (m.multi != (p->depth == 4)) return SIM_ST_ERR_TYPE;
#if SIM_HAVE_LWM2M_OBJECTS
    if (shared_model(p->obj, flags)) {
        uint8_t maj, min;
        obj_version(p->obj, flags, &maj, &min);
        return lwm2m_obj_typed_from_raw(p->obj, maj, min, p->res, v, v) == 0 ? 0 : SIM_ST_ERR_TYPE;
    }
#endif
    return type_value(v, m.type) ? SIM_ST_ERR_TYPE : 0;
}
