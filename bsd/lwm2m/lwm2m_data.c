/*
 * lwm2m_data.c — path helpers and TLV raw-value interpretation for the
 * shared LwM2M data model (see lwm2m_data.h).
 */
#include "bsd/lwm2m/lwm2m_data.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

lwm2m_path_t lwm2m_path(int depth, uint16_t obj, uint16_t inst, uint16_t res, uint16_t rinst)
{
    lwm2m_path_t p = {LWM2M_ID_NONE, LWM2M_ID_NONE, LWM2M_ID_NONE, LWM2M_ID_NONE, 0};
    if (depth < 0) depth = 0;
    if (depth > 4) depth = 4;
    p.depth = (uint8_t)depth;
    if (depth >= 1) p.obj = obj;
    if (depth >= 2) p.inst = inst;
    if (depth >= 3) p.res = res;
    if (depth >= 4) p.rinst = rinst;
    return p;
}

static uint16_t *part(lwm2m_path_t *p, int i)
{
    switch (i) {
    case 0: return &p->obj;
    case 1: return &p->inst;
    case 2: return &p->res;
    default: return &p->rinst;
    }
}

static uint16_t cpart(const lwm2m_path_t *p, int i)
{
    switch (i) {
    case 0: return p->obj;
    case 1: return p->inst;
    case 2: return p->res;
    default: return p->rinst;
    }
}

int lwm2m_path_parse(const char *s, size_t len, lwm2m_path_t *out)
{
    lwm2m_path_t p = lwm2m_path(0, 0, 0, 0, 0);
    size_t i = 0;
    if (i < len && s[i] == '/') i++;
    while (i < len) {
        if (p.depth == 4) return LWM2M_ERR_FORMAT;
        uint32_t v = 0;
        size_t start = i;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            v = v * 10 + (uint32_t)(s[i] - '0');
            if (v > LWM2M_MAX_ID || i - start >= 5) return LWM2M_ERR_FORMAT;
            i++;
        }
        if (i == start) return LWM2M_ERR_FORMAT;
        *part(&p, p.depth) = (uint16_t)v;
        p.depth++;
        if (i < len) {
            if (s[i] != '/' || i + 1 == len) return LWM2M_ERR_FORMAT;
            i++;
        }
    }
    *out = p;
    return 0;
}

int lwm2m_path_format(const lwm2m_path_t *p, char *out, size_t cap)
{
    size_t n = 0;
    if (p->depth == 0) {
        if (cap < 2) return LWM2M_ERR_NOSPACE;
        out[0] = '/';
        out[1] = 0;
        return 1;
    }
    for (int i = 0; i < p->depth; i++) {
        int w = snprintf(out + n, cap - n, "/%u", (unsigned)cpart(p, i));
        if (w < 0 || (size_t)w >= cap - n) return LWM2M_ERR_NOSPACE;
        n += (size_t)w;
    }
    return (int)n;
}

int lwm2m_path_cmp(const lwm2m_path_t *a, const lwm2m_path_t *b)
{
    int d = a->depth < b->depth ? a->depth : b->depth;
    for (int i = 0; i < d; i++) {
        uint16_t x = cpart(a, i), y = cpart(b, i);
        if (x != y) return x < y ? -1 : 1;
    }
    return a->depth == b->depth ? 0 : (a->depth < b->depth ? -1 : 1);
}

int lwm2m_path_under(const lwm2m_path_t *p, const lwm2m_path_t *prefix)
{
    if (p->depth < prefix->depth) return 0;
    for (int i = 0; i < prefix->depth; i++)
        if (cpart(p, i) != cpart(prefix, i)) return 0;
    return 1;
}

int lwm2m_raw_as_int(const lwm2m_value_t *v, int64_t *out)
{
    size_t n = v->bytes.len;
    if (n != 1 && n != 2 && n != 4 && n != 8) return LWM2M_ERR_FORMAT;
    const uint8_t *b = v->bytes.p;
    uint64_t u = 0;
    for (size_t i = 0; i < n; i++)
        u = u << 8 | b[i];
    if (n < 8 && (b[0] & 0x80)) u |= ~0ull << (8 * n); /* sign-extend */
    *out = (int64_t)u;
    return 0;
}

int lwm2m_raw_as_float(const lwm2m_value_t *v, double *out)
{
    const uint8_t *b = v->bytes.p;
    if (v->bytes.len == 4) {
        uint32_t u = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
        float f;
        memcpy(&f, &u, 4);
        *out = f;
        return 0;
    }
    if (v->bytes.len == 8) {
        uint64_t u = 0;
        for (int i = 0; i < 8; i++)
            u = u << 8 | b[i];
        memcpy(out, &u, 8);
        return 0;
    }
    return LWM2M_ERR_FORMAT;
}

int lwm2m_raw_as_bool(const lwm2m_value_t *v, bool *out)
{
    if (v->bytes.len != 1 || v->bytes.p[0] > 1) return LWM2M_ERR_FORMAT;
    *out = v->bytes.p[0] == 1;
    return 0;
}

int lwm2m_raw_as_objlnk(const lwm2m_value_t *v, lwm2m_objlnk_t *out)
{
    if (v->bytes.len != 4) return LWM2M_ERR_FORMAT;
    const uint8_t *b = v->bytes.p;
    out->obj = (uint16_t)(b[0] << 8 | b[1]);
    out->inst = (uint16_t)(b[2] << 8 | b[3]);
    return 0;
}

int lwm2m_records_sort(lwm2m_record_t *r, size_t n)
{
    /* Insertion sort: linear on the (usual) already-sorted input. */
    for (size_t i = 1; i < n; i++) {
        if (lwm2m_path_cmp(&r[i - 1].path, &r[i].path) < 0) continue;
        lwm2m_record_t x = r[i];
        size_t j = i;
        while (j > 0 && lwm2m_path_cmp(&r[j - 1].path, &x.path) > 0) {
            r[j] = r[j - 1];
            j--;
        }
        r[j] = x;
    }
    for (size_t i = 1; i < n; i++)
        if (lwm2m_path_under(&r[i].path, &r[i - 1].path)) return LWM2M_ERR_FORMAT;
    return 0;
}

const char *lwm2m_type_name(lwm2m_type_t t)
{
    switch (t) {
    case LWM2M_T_STRING: return "String";
    case LWM2M_T_INTEGER: return "Integer";
    case LWM2M_T_UNSIGNED: return "Unsigned Integer";
    case LWM2M_T_FLOAT: return "Float";
    case LWM2M_T_BOOLEAN: return "Boolean";
    case LWM2M_T_OPAQUE: return "Opaque";
    case LWM2M_T_TIME: return "Time";
    case LWM2M_T_OBJLNK: return "Objlnk";
    case LWM2M_T_CORELNK: return "Corelnk";
    default: return "untyped";
    }
}

void lwm2m_jprintf(lwm2m_jbuf_t *j, const char *fmt, ...)
{
    if (j->err) return;
    if (j->n >= j->cap) {
        j->err = 1;
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(j->p + j->n, j->cap - j->n, fmt, ap);
    va_end(ap);
    if (w < 0 || (size_t)w >= j->cap - j->n)
        j->err = 1;
    else
        j->n += (size_t)w;
}
