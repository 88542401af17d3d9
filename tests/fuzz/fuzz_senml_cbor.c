/*
 * fuzz_senml_cbor.c — libFuzzer target for the SenML CBOR codec
 * (bsd/lwm2m/senml_cbor.c over bsd/lwm2m/cbor.c).
 *
 * The input is decoded at several base paths; decoded records are checked
 * against the documented invariants, encoded with senml_cbor_encode() at the
 * same base (which must succeed: every decodable pack is encodable) and
 * decoded again. Records must match exactly (NaN matches NaN), and a second
 * encoding must reproduce the first byte for byte. Any mismatch aborts.
 */
#include "bsd/lwm2m/senml_cbor.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXREC 64

static bool within(const lwm2m_value_t *v, const uint8_t *in, size_t len)
{
    return v->bytes.len == 0 ||
           (v->bytes.p >= in && v->bytes.len <= len && (size_t)(v->bytes.p - in) <= len - v->bytes.len);
}

static void check_records(const lwm2m_path_t *base, const lwm2m_record_t *r, size_t n, const uint8_t *in,
                          size_t len)
{
    for (size_t i = 0; i < n; i++) {
        if (r[i].path.depth < 3 || r[i].path.depth > 4 || !lwm2m_path_under(&r[i].path, base)) abort();
        switch (r[i].v.type) {
        case LWM2M_T_STRING:
        case LWM2M_T_OPAQUE:
            if (!within(&r[i].v, in, len)) abort();
            break;
        case LWM2M_T_UNSIGNED:
            if (r[i].v.u <= (uint64_t)INT64_MAX) abort();
            break;
        case LWM2M_T_INTEGER:
        case LWM2M_T_FLOAT:
        case LWM2M_T_BOOLEAN:
        case LWM2M_T_OBJLNK: break;
        default: abort();
        }
        if (i > 0 &&
            (lwm2m_path_cmp(&r[i - 1].path, &r[i].path) >= 0 || lwm2m_path_under(&r[i].path, &r[i - 1].path)))
            abort();
    }
}

static void same_value(const lwm2m_value_t *a, const lwm2m_value_t *b)
{
    if (a->type != b->type) abort();
    switch (a->type) {
    case LWM2M_T_INTEGER:
        if (a->i != b->i) abort();
        break;
    case LWM2M_T_UNSIGNED:
        if (a->u != b->u) abort();
        break;
    case LWM2M_T_FLOAT:
        if (isnan(a->f) ? !isnan(b->f) : memcmp(&a->f, &b->f, sizeof a->f) != 0) abort();
        break;
    case LWM2M_T_BOOLEAN:
        if (a->b != b->b) abort();
        break;
    case LWM2M_T_OBJLNK:
        if (a->lnk.obj != b->lnk.obj || a->lnk.inst != b->lnk.inst) abort();
        break;
    default:
        if (a->bytes.len != b->bytes.len) abort();
        if (a->bytes.len > 0 && memcmp(a->bytes.p, b->bytes.p, a->bytes.len) != 0) abort();
    }
}

static void one_base(const lwm2m_path_t *base, const uint8_t *data, size_t size)
{
    static lwm2m_record_t recs[MAXREC], back[MAXREC];
    size_t n = 0, m = 0;
    int rc = senml_cbor_decode(base, data, size, recs, MAXREC, &n);
    if (rc < 0) {
        if (rc != LWM2M_ERR_FORMAT && rc != LWM2M_ERR_PATH && rc != LWM2M_ERR_RANGE && rc != LWM2M_ERR_TYPE &&
            rc != LWM2M_ERR_LIMIT && rc != LWM2M_ERR_NOSPACE)
            abort();
        if (n != 0) abort();
        return;
    }
    if (n > MAXREC) abort();
    check_records(base, recs, n, data, size);

    /* per record at most: map, bn or n with a 24-char path, "vlo" + link,
     * or the value re-encoded no longer than in the input */
    size_t cap = 2 * size + 64 * n + 16;
    uint8_t *out = malloc(cap), *out2 = malloc(cap);
    if (out == NULL || out2 == NULL) abort();
    int w = senml_cbor_encode(base, recs, n, out, cap);
    if (w < 0) abort();
    if (senml_cbor_decode(base, out, (size_t)w, back, MAXREC, &m) != 0 || m != n) abort();
    for (size_t i = 0; i < n; i++) {
        if (lwm2m_path_cmp(&recs[i].path, &back[i].path) != 0) abort();
        same_value(&recs[i].v, &back[i].v);
    }
    int w2 = senml_cbor_encode(base, back, m, out2, cap);
    if (w2 != w || memcmp(out, out2, (size_t)w) != 0) abort();
    free(out);
    free(out2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const lwm2m_path_t bases[] = {
        lwm2m_path(0, 0, 0, 0, 0), lwm2m_path(1, 0, 0, 0, 0), lwm2m_path(2, 0, 1, 0, 0),
        lwm2m_path(2, 3, 0, 0, 0), lwm2m_path(3, 0, 0, 3, 0), lwm2m_path(4, 2, 0, 2, 1),
    };
    for (size_t i = 0; i < sizeof bases / sizeof bases[0]; i++)
        one_base(&bases[i], data, size);
    /* a short record array fails cleanly */
    lwm2m_record_t few[2];
    size_t n = 7;
    int rc = senml_cbor_decode(&bases[0], data, size, few, 2, &n);
    if (rc < 0 ? n != 0 : n > 2) abort();
    return 0;
}
