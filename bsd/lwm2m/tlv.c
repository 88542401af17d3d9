/*
 * tlv.c — LwM2M TLV encoder and decoder (contract in tlv.h).
 *
 * The encoder derives the TLV nesting from the sorted record paths: records
 * that share obj/inst form an Object Instance, depth-4 records that share a
 * resource form a Multiple Resource. Because a container's length field
 * precedes its body and its own size depends on that length, each container
 * is sized first (cheap: value lengths only) and then written in one pass
 * with a single bounds check per top-level TLV.
 *
 * The decoder walks the nesting the base path allows (no recursion beyond
 * the three fixed levels), then sorts the records in place, which is
 * linear for the sorted payloads clients actually send.
 */
#include "bsd/lwm2m/tlv.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

/* Type byte, LwM2M Core 1.1 §6.4.3.1: bits 7-6 identifier type. */
#define KIND_MASK     0xc0u
#define KIND_OBJ_INST 0x00u /* value = Resource / Multiple Resource TLVs */
#define KIND_RES_INST 0x40u /* value = the instance's value */
#define KIND_MULTI    0x80u /* value = Resource Instance TLVs */
#define KIND_RES      0xc0u /* value = the resource's value */
#define ID16_BIT      0x20u /* bit 5: 16-bit identifier */
#define LEN_TYPE(t)   (((t) >> 3) & 3u)

/* The wire bytes of one value: |p| points into the record or at |tmp|. */
typedef struct tlv_val {
    uint8_t tmp[8]; /* fixed-width encodings (integer, float, bool, objlnk) */
    const uint8_t *p;
    size_t len;
} tlv_val_t;

static void put_be(uint8_t *p, uint64_t v, size_t w)
{
    while (w > 0) {
        p[--w] = (uint8_t)v;
        v >>= 8;
    }
}

static size_t int_width(int64_t v)
{
    if (v >= INT8_MIN && v <= INT8_MAX) return 1;
    if (v >= INT16_MIN && v <= INT16_MAX) return 2;
    if (v >= INT32_MIN && v <= INT32_MAX) return 4;
    return 8;
}

/* Single precision when the value survives the round trip; the range test
 * keeps the conversion defined (C11 6.3.1.5). NaN keeps 8 bytes so that its
 * payload is not altered. */
static bool fits_single(double d)
{
    if (isnan(d)) return false;
    if (isinf(d)) return true;
    if (fabs(d) > FLT_MAX) return false;
    return (double)(float)d == d;
}

static int value_bytes(const lwm2m_value_t *v, tlv_val_t *out)
{
    int64_t i;
    switch (v->type) {
    case LWM2M_T_STRING:
    case LWM2M_T_OPAQUE:
    case LWM2M_T_CORELNK:
    case LWM2M_T_RAW:
        if (v->bytes.len > TLV_MAX_VALUE_LEN) return LWM2M_ERR_RANGE;
        out->p = v->bytes.p;
        out->len = v->bytes.len;
        return 0;
    case LWM2M_T_UNSIGNED:
        if (v->u > (uint64_t)INT64_MAX) return LWM2M_ERR_RANGE;
        i = (int64_t)v->u;
        goto integer;
    case LWM2M_T_INTEGER:
    case LWM2M_T_TIME:
        i = v->i;
    integer:
        out->len = int_width(i);
        put_be(out->tmp, (uint64_t)i, out->len);
        break;
    case LWM2M_T_FLOAT:
        if (fits_single(v->f)) {
            float f = (float)v->f;
            uint32_t u;
            memcpy(&u, &f, sizeof u);
            put_be(out->tmp, u, 4);
            out->len = 4;
        } else {
            uint64_t u;
            memcpy(&u, &v->f, sizeof u);
            put_be(out->tmp, u, 8);
            out->len = 8;
        }
        break;
    case LWM2M_T_BOOLEAN:
        out->tmp[0] = v->b ? 1 : 0;
        out->len = 1;
        break;
    case LWM2M_T_OBJLNK:
        put_be(out->tmp, (uint32_t)v->lnk.obj << 16 | v->lnk.inst, 4);
        out->len = 4;
        break;
    default: return LWM2M_ERR_TYPE;
    }
    out->p = out->tmp;
    return 0;
}

/* Header size for |id| and a value of |len| ≤ TLV_MAX_VALUE_LEN bytes. */
static size_t hdr_len(uint16_t id, size_t len)
{
    return 2u + (id > 0xff) + (len > 7) + (len > 0xff) + (len > 0xffff);
}

static size_t put_hdr(uint8_t *p, unsigned kind, uint16_t id, size_t len)
{
    size_t i = 1;
    unsigned t = kind;
    if (id > 0xff) {
        t |= ID16_BIT;
        p[i++] = (uint8_t)(id >> 8);
    }
    p[i++] = (uint8_t)id;
    if (len <= 7) {
        t |= (unsigned)len;
    } else {
        size_t w = len <= 0xff ? 1 : len <= 0xffff ? 2 : 3;
        t |= (unsigned)w << 3;
        put_be(p + i, len, w);
        i += w;
    }
    p[0] = (uint8_t)t;
    return i;
}

/* Writes one complete TLV; the caller has checked the space. */
static size_t put_tlv(uint8_t *p, unsigned kind, uint16_t id, const tlv_val_t *v)
{
    size_t h = put_hdr(p, kind, id, v->len);
    if (v->len > 0) memcpy(p + h, v->p, v->len);
    return h + v->len;
}

/* End of the group starting at |i|: the records of one resource. */
static size_t res_group_end(const lwm2m_record_t *recs, size_t i, size_t n)
{
    const lwm2m_path_t *a = &recs[i].path;
    size_t j = i + 1;
    if (a->depth == 3) return j;
    while (j < n && recs[j].path.res == a->res && recs[j].path.inst == a->inst && recs[j].path.obj == a->obj)
        j++;
    return j;
}

static size_t inst_group_end(const lwm2m_record_t *recs, size_t i, size_t n)
{
    size_t j = i + 1;
    while (j < n && recs[j].path.inst == recs[i].path.inst && recs[j].path.obj == recs[i].path.obj)
        j++;
    return j;
}

/* Total size of the Resource or Multiple Resource TLV for recs[i..j). */
static int res_size(const lwm2m_record_t *recs, size_t i, size_t j, size_t *size)
{
    tlv_val_t v;
    int rc;
    size_t body = 0;
    if (recs[i].path.depth == 3) {
        if ((rc = value_bytes(&recs[i].v, &v)) < 0) return rc;
        *size = hdr_len(recs[i].path.res, v.len) + v.len;
        return 0;
    }
    for (size_t k = i; k < j; k++) {
        if ((rc = value_bytes(&recs[k].v, &v)) < 0) return rc;
        body += hdr_len(recs[k].path.rinst, v.len) + v.len;
        if (body > TLV_MAX_VALUE_LEN) return LWM2M_ERR_RANGE;
    }
    *size = hdr_len(recs[i].path.res, body) + body;
    return 0;
}

/* Writes the Resource or Multiple Resource TLV for recs[i..j) at |p|; the
 * caller has validated the values with res_size() and checked the space. */
static size_t put_res(uint8_t *p, const lwm2m_record_t *recs, size_t i, size_t j)
{
    tlv_val_t v;
    const lwm2m_path_t *a = &recs[i].path;
    if (a->depth == 3) {
        (void)value_bytes(&recs[i].v, &v);
        return put_tlv(p, KIND_RES, a->res, &v);
    }
    size_t body = 0;
    for (size_t k = i; k < j; k++) {
        (void)value_bytes(&recs[k].v, &v);
        body += hdr_len(recs[k].path.rinst, v.len) + v.len;
    }
    size_t o = put_hdr(p, KIND_MULTI, a->res, body);
    for (size_t k = i; k < j; k++) {
        (void)value_bytes(&recs[k].v, &v);
        o += put_tlv(p + o, KIND_RES_INST, recs[k].path.rinst, &v);
    }
    return o;
}

static bool id_ok(const lwm2m_path_t *p)
{
    return (p->depth < 1 || p->obj <= LWM2M_MAX_ID) && (p->depth < 2 || p->inst <= LWM2M_MAX_ID) &&
           (p->depth < 3 || p->res <= LWM2M_MAX_ID) && (p->depth < 4 || p->rinst <= LWM2M_MAX_ID);
}

static int check_records(const lwm2m_path_t *t, const lwm2m_record_t *recs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const lwm2m_path_t *p = &recs[i].path;
        if (p->depth < 3 || p->depth > 4 || !lwm2m_path_under(p, t)) return LWM2M_ERR_PATH;
        if (!id_ok(p)) return LWM2M_ERR_RANGE;
        tlv_val_t v;
        int rc = value_bytes(&recs[i].v, &v); /* so that later passes cannot fail */
        if (rc < 0) return rc;
        if (i > 0) {
            const lwm2m_path_t *q = &recs[i - 1].path;
            /* strictly increasing, and never a resource next to its own instances */
            if (lwm2m_path_cmp(q, p) >= 0 || lwm2m_path_under(p, q)) return LWM2M_ERR_PATH;
        }
    }
    if (t->depth >= 3 && n == 0) return LWM2M_ERR_PATH;
    if (t->depth == 4 && n != 1) return LWM2M_ERR_PATH; /* defensive: implied by order and prefix */
    return 0;
}

int tlv_encode(const lwm2m_path_t *target, const lwm2m_record_t *recs, size_t n, uint8_t *out, size_t cap)
{
    int rc;
    size_t pos = 0, size;
    if (target->depth < 1 || target->depth > 4) return LWM2M_ERR_PATH;
    if (!id_ok(target)) return LWM2M_ERR_RANGE;
    if ((rc = check_records(target, recs, n)) < 0) return rc;
    if (cap > INT_MAX) cap = INT_MAX;

    if (target->depth == 4) {
        tlv_val_t v;
        if ((rc = value_bytes(&recs[0].v, &v)) < 0) return rc;
        if (hdr_len(target->rinst, v.len) + v.len > cap) return LWM2M_ERR_NOSPACE;
        return (int)put_tlv(out, KIND_RES_INST, target->rinst, &v);
    }
    if (target->depth >= 2) {
        /* depth 3 has exactly one group; depth 2 the resources array */
        for (size_t i = 0; i < n;) {
            size_t j = res_group_end(recs, i, n);
            if ((rc = res_size(recs, i, j, &size)) < 0) return rc;
            if (size > cap - pos) return LWM2M_ERR_NOSPACE;
            pos += put_res(out + pos, recs, i, j);
            i = j;
        }
        return (int)pos;
    }
    for (size_t i = 0; i < n;) {
        size_t e = inst_group_end(recs, i, n), body = 0;
        for (size_t k = i; k < e;) {
            size_t j = res_group_end(recs, k, e);
            if ((rc = res_size(recs, k, j, &size)) < 0) return rc;
            body += size;
            if (body > TLV_MAX_VALUE_LEN) return LWM2M_ERR_RANGE;
            k = j;
        }
        uint16_t inst = recs[i].path.inst;
        if (hdr_len(inst, body) + body > cap - pos) return LWM2M_ERR_NOSPACE;
        pos += put_hdr(out + pos, KIND_OBJ_INST, inst, body);
        for (size_t k = i; k < e;) {
            size_t j = res_group_end(recs, k, e);
            pos += put_res(out + pos, recs, k, j);
            k = j;
        }
        i = e;
    }
    return (int)pos;
}

/* ---- decoding ---- */

typedef struct tlv_hdr {
    unsigned kind; /* KIND_* */
    uint16_t id;
    const uint8_t *val;
    size_t len;
} tlv_hdr_t;

/* Reads the TLV at |*pos| of buf[0..len) and advances |*pos| past it. */
static int read_tlv(const uint8_t *buf, size_t len, size_t *pos, tlv_hdr_t *h)
{
    size_t left = len - *pos;
    const uint8_t *b = buf + *pos;
    if (left < 2) return LWM2M_ERR_FORMAT;
    unsigned t = b[0];
    size_t idw = (t & ID16_BIT) ? 2 : 1, lw = LEN_TYPE(t), hl = 1 + idw + lw;
    if (left < hl) return LWM2M_ERR_FORMAT;
    h->id = idw == 2 ? (uint16_t)(b[1] << 8 | b[2]) : b[1];
    size_t vl = t & 7u;
    if (lw > 0) {
        vl = 0;
        for (size_t k = 0; k < lw; k++)
            vl = vl << 8 | b[1 + idw + k];
    }
    if (vl > left - hl) return LWM2M_ERR_FORMAT;
    if (h->id == LWM2M_ID_NONE) return LWM2M_ERR_RANGE;
    h->kind = t & KIND_MASK;
    h->val = b + hl;
    h->len = vl;
    *pos += hl + vl;
    return 0;
}

typedef struct tlv_out {
    lwm2m_record_t *recs;
    size_t max, n;
} tlv_out_t;

static int add_rec(tlv_out_t *o, const lwm2m_path_t *p, const tlv_hdr_t *h)
{
    if (o->n == o->max) return LWM2M_ERR_NOSPACE;
    lwm2m_record_t *r = &o->recs[o->n++];
    r->path = *p;
    r->v.type = LWM2M_T_RAW;
    r->v.bytes.p = h->val;
    r->v.bytes.len = h->len;
    return 0;
}

/* The Resource Instance TLVs of a Multiple Resource at path |p| (depth 3). */
static int dec_multi(tlv_out_t *o, lwm2m_path_t p, const uint8_t *buf, size_t len)
{
    tlv_hdr_t h;
    int rc;
    p.depth = 4;
    for (size_t pos = 0; pos < len;) {
        if ((rc = read_tlv(buf, len, &pos, &h)) < 0) return rc;
        if (h.kind != KIND_RES_INST) return LWM2M_ERR_FORMAT;
        p.rinst = h.id;
        if ((rc = add_rec(o, &p, &h)) < 0) return rc;
    }
    return 0;
}

/* A resources array (Resource / Multiple Resource TLVs) of /obj/inst. */
static int dec_resources(tlv_out_t *o, uint16_t obj, uint16_t inst, const uint8_t *buf, size_t len)
{
    tlv_hdr_t h;
    int rc;
    lwm2m_path_t p = {obj, inst, 0, LWM2M_ID_NONE, 3};
    for (size_t pos = 0; pos < len;) {
        if ((rc = read_tlv(buf, len, &pos, &h)) < 0) return rc;
        p.res = h.id;
        if (h.kind == KIND_RES)
            rc = add_rec(o, &p, &h);
        else if (h.kind == KIND_MULTI)
            rc = dec_multi(o, p, h.val, h.len);
        else
            rc = LWM2M_ERR_FORMAT;
        if (rc < 0) return rc;
    }
    return 0;
}

static int dec_body(const lwm2m_path_t *base, const uint8_t *in, size_t len, tlv_out_t *o)
{
    tlv_hdr_t h;
    size_t pos = 0;
    int rc;
    switch (base->depth) {
    case 1:
        while (pos < len) {
            if ((rc = read_tlv(in, len, &pos, &h)) < 0) return rc;
            if (h.kind != KIND_OBJ_INST) return LWM2M_ERR_FORMAT;
            if ((rc = dec_resources(o, base->obj, h.id, h.val, h.len)) < 0) return rc;
        }
        return 0;
    case 2:
        if (len > 0 && (in[0] & KIND_MASK) == KIND_OBJ_INST) {
            if ((rc = read_tlv(in, len, &pos, &h)) < 0) return rc;
            if (h.id != base->inst) return LWM2M_ERR_PATH;
            if (pos != len) return LWM2M_ERR_FORMAT;
            return dec_resources(o, base->obj, base->inst, h.val, h.len);
        }
        return dec_resources(o, base->obj, base->inst, in, len);
    case 3: {
        lwm2m_path_t p = {base->obj, base->inst, base->res, LWM2M_ID_NONE, 3};
        if ((rc = read_tlv(in, len, &pos, &h)) < 0) return rc;
        if (h.kind != KIND_RES && h.kind != KIND_MULTI) return LWM2M_ERR_FORMAT;
        if (h.id != base->res) return LWM2M_ERR_PATH;
        if (pos != len) return LWM2M_ERR_FORMAT;
        return h.kind == KIND_RES ? add_rec(o, &p, &h) : dec_multi(o, p, h.val, h.len);
    }
    case 4:
        if ((rc = read_tlv(in, len, &pos, &h)) < 0) return rc;
        if (h.kind != KIND_RES_INST) return LWM2M_ERR_FORMAT;
        if (h.id != base->rinst) return LWM2M_ERR_PATH;
        if (pos != len) return LWM2M_ERR_FORMAT;
        return add_rec(o, base, &h);
    default: return LWM2M_ERR_PATH;
    }
}

int tlv_decode(const lwm2m_path_t *base, const uint8_t *in, size_t len, lwm2m_record_t *recs, size_t max,
               size_t *n)
{
    tlv_out_t o = {recs, max, 0};
    int rc =
        base->depth >= 1 && base->depth <= 4 && !id_ok(base) ? LWM2M_ERR_RANGE : dec_body(base, in, len, &o);
    if (rc == 0) rc = lwm2m_records_sort(recs, o.n);
    *n = rc == 0 ? o.n : 0;
    return rc;
}
