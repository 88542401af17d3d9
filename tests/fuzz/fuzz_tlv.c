/*
 * fuzz_tlv.c — libFuzzer target for the TLV codec (bsd/lwm2m/tlv.c).
 *
 * The input is decoded at a set of base paths of every depth (some take
 * their IDs from the input's first TLV header so that depth-3/4 bases can
 * match). Whatever decodes is checked against the documented invariants,
 * re-encoded with tlv_encode() at the same base and decoded again: the
 * records must be identical, and encoding them once more must give the same
 * bytes (the encoder's output is canonical). Any mismatch aborts.
 */
#include "bsd/lwm2m/tlv.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXREC 64

static void check_records(const lwm2m_path_t *base, const lwm2m_record_t *r, size_t n, const uint8_t *in,
                          size_t len)
{
    for (size_t i = 0; i < n; i++) {
        if (r[i].path.depth < 3 || r[i].path.depth > 4 || !lwm2m_path_under(&r[i].path, base)) abort();
        if (r[i].v.type != LWM2M_T_RAW) abort();
        if (r[i].v.bytes.p < in || r[i].v.bytes.len > len ||
            (size_t)(r[i].v.bytes.p - in) > len - r[i].v.bytes.len)
            abort();
        if (i > 0 &&
            (lwm2m_path_cmp(&r[i - 1].path, &r[i].path) >= 0 || lwm2m_path_under(&r[i].path, &r[i - 1].path)))
            abort();
    }
}

static void same_records(const lwm2m_record_t *a, size_t na, const lwm2m_record_t *b, size_t nb)
{
    if (na != nb) abort();
    for (size_t i = 0; i < na; i++) {
        if (lwm2m_path_cmp(&a[i].path, &b[i].path) != 0 || a[i].v.bytes.len != b[i].v.bytes.len) abort();
        if (a[i].v.bytes.len > 0 && memcmp(a[i].v.bytes.p, b[i].v.bytes.p, a[i].v.bytes.len) != 0) abort();
    }
}

static void one_base(const lwm2m_path_t *base, const uint8_t *data, size_t size)
{
    static lwm2m_record_t recs[MAXREC], back[MAXREC];
    size_t n = 0, m = 0;
    int rc = tlv_decode(base, data, size, recs, MAXREC, &n);
    if (rc < 0) {
        if (rc != LWM2M_ERR_FORMAT && rc != LWM2M_ERR_PATH && rc != LWM2M_ERR_RANGE &&
            rc != LWM2M_ERR_NOSPACE)
            abort();
        if (n != 0) abort();
        return;
    }
    if (n > MAXREC) abort();
    check_records(base, recs, n, data, size);

    /* a smaller record array must fail cleanly or give the same prefix count */
    if (n > 0) {
        size_t k;
        if (tlv_decode(base, data, size, back, n - 1, &k) != LWM2M_ERR_NOSPACE || k != 0) abort();
    }

    if (base->depth >= 3 && n == 0) return; /* an empty Multiple Resource: nothing to re-encode */
    size_t cap = size + 16;                 /* canonical output is never longer than the input */
    uint8_t *out = malloc(cap), *out2 = malloc(cap);
    if (out == NULL || out2 == NULL) abort();
    int w = tlv_encode(base, recs, n, out, cap);
    if (w < 0 || (size_t)w > size) abort();
    if (tlv_decode(base, out, (size_t)w, back, MAXREC, &m) != 0) abort();
    same_records(recs, n, back, m);
    int w2 = tlv_encode(base, back, m, out2, cap);
    if (w2 != w || memcmp(out, out2, (size_t)w) != 0) abort();
    free(out);
    free(out2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* the ID of the first TLV, for bases that must match it */
    uint16_t id = 0;
    if (size >= 3 && (data[0] & 0x20))
        id = (uint16_t)(data[1] << 8 | data[2]);
    else if (size >= 2)
        id = data[1];
    if (id == LWM2M_ID_NONE) id = 0;

    const lwm2m_path_t bases[] = {
        lwm2m_path(1, 0, 0, 0, 0),  lwm2m_path(1, 2, 0, 0, 0),  lwm2m_path(2, 0, 1, 0, 0),
        lwm2m_path(2, 3, id, 0, 0), lwm2m_path(3, 0, 1, id, 0), lwm2m_path(3, 2, 0, 2, 0),
        lwm2m_path(4, 2, 0, 2, id), lwm2m_path(4, 3, 0, 6, 0),  lwm2m_path(0, 0, 0, 0, 0),
    };
    for (size_t i = 0; i < sizeof bases / sizeof bases[0]; i++)
        one_base(&bases[i], data, size);
    return 0;
}
