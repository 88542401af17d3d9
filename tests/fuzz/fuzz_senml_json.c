/*
 * fuzz_senml_json.c — libFuzzer target for the SenML JSON decoder
 * (senml_json_decode, bsd/lwm2m/senml_json.c), with the encoder as oracle.
 *
 * Whatever decodes must re-encode (the decoder only yields values the
 * encoder can write: finite numbers, valid UTF-8, depth 3–4 sorted unique
 * paths), and decoding that again must give the same paths, types and
 * values, bit for bit. When all records share one object instance, the
 * same holds with that instance as the target. The record capacity is
 * also checked to be exact (one fewer gives LWM2M_ERR_NOSPACE).
 */
#include "bsd/lwm2m/senml_json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXR 256

static lwm2m_record_t r1[MAXR], r2[MAXR];

static void same_records(const lwm2m_record_t *a, const lwm2m_record_t *b, int n)
{
    for (int k = 0; k < n; k++) {
        if (lwm2m_path_cmp(&a[k].path, &b[k].path) != 0 || a[k].path.depth != b[k].path.depth) abort();
        const lwm2m_value_t *x = &a[k].v, *y = &b[k].v;
        if (x->type != y->type) abort();
        switch (x->type) {
        case LWM2M_T_STRING:
        case LWM2M_T_OPAQUE:
            if (x->bytes.len != y->bytes.len) abort();
            if (x->bytes.len > 0 && memcmp(x->bytes.p, y->bytes.p, x->bytes.len) != 0) abort();
            break;
        case LWM2M_T_INTEGER:
            if (x->i != y->i) abort();
            break;
        case LWM2M_T_UNSIGNED:
            if (x->u != y->u) abort();
            break;
        case LWM2M_T_FLOAT:
            if (memcmp(&x->f, &y->f, sizeof x->f) != 0) abort();
            break;
        case LWM2M_T_BOOLEAN:
            if (x->b != y->b) abort();
            break;
        case LWM2M_T_OBJLNK:
            if (x->lnk.obj != y->lnk.obj || x->lnk.inst != y->lnk.inst) abort();
            break;
        default: abort(); /* the decoder yields no other type */
        }
    }
}

/* encode(|target|, r1[0..n)) → decode → compare. */
static void round_trip(const lwm2m_path_t *target, int n, size_t in_size)
{
    size_t cap = 6 * in_size + 128 * ((size_t)n + 1);
    char *out = malloc(cap);
    if (out == NULL) abort();
    int len = senml_json_encode(target, r1, (size_t)n, out, cap);
    if (len < 0) abort();
    uint8_t *scratch = malloc((size_t)len + 1);
    if (scratch == NULL) abort();
    int m = senml_json_decode(target, (const uint8_t *)out, (size_t)len, r2, MAXR, scratch, (size_t)len);
    if (m != n) abort();
    same_records(r1, r2, n);
    free(scratch);
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *scratch = malloc(size + 1); /* |size| bytes always suffice */
    if (scratch == NULL) abort();
    lwm2m_path_t root = lwm2m_path(0, 0, 0, 0, 0);
    int n = senml_json_decode(&root, data, size, r1, MAXR, scratch, size);
    if (n < LWM2M_ERR_LIMIT || n > MAXR) abort();
    if (n >= 0) {
        for (int k = 0; k < n; k++)
            if (r1[k].path.depth < 3 || r1[k].path.depth > 4) abort();
        if (n > 0) {
            uint8_t *s2 = malloc(size + 1);
            if (s2 == NULL) abort();
            if (senml_json_decode(&root, data, size, r2, (size_t)n - 1, s2, size) != LWM2M_ERR_NOSPACE)
                abort();
            free(s2);
        }
        round_trip(&root, n, size);
        bool one_instance = n > 0;
        for (int k = 1; k < n && one_instance; k++)
            one_instance = r1[k].path.obj == r1[0].path.obj && r1[k].path.inst == r1[0].path.inst;
        if (one_instance) {
            lwm2m_path_t inst = lwm2m_path(2, r1[0].path.obj, r1[0].path.inst, 0, 0);
            round_trip(&inst, n, size);
        }
    }
    free(scratch);
    return 0;
}
