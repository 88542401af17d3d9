/*
 * fuzz_cbor.c — libFuzzer target for the CBOR reader and writer
 * (bsd/lwm2m/cbor.c).
 *
 * Walks arbitrary input with cbor_next(), touching every string byte (so
 * ASan sees any out-of-bounds pointer) and checking the depth bound; then
 * walks it again with cbor_skip() and requires the same verdict. When the
 * input is fully well-formed, uses only definite lengths and no simple
 * values other than false/true/null, every item is written back with the
 * cbor_put_* functions and the result is read again: the item sequence
 * must be the same (floats by value, NaN as NaN).
 */
#include "bsd/lwm2m/cbor.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ITEMS 4096

static volatile uint8_t sink;

static int walk(const uint8_t *data, size_t size, cbor_item_t *items, size_t *count, bool *rewritable)
{
    cbor_reader_t r;
    cbor_item_t it;
    int rc;
    *count = 0;
    *rewritable = true;
    cbor_reader_init(&r, data, size);
    for (;;) {
        unsigned before = cbor_depth(&r);
        if ((rc = cbor_next(&r, &it)) < 0) return rc;
        if (cbor_depth(&r) > CBOR_MAX_DEPTH) abort();
        if (it.type == CBOR_T_END && before == 0) {
            if (!cbor_reader_done(&r)) abort();
            return 0;
        }
        if (it.type == CBOR_T_BYTES || it.type == CBOR_T_TEXT) {
            uint8_t x = 0;
            for (size_t i = 0; i < it.str.len; i++)
                x ^= it.str.p[i];
            sink = x;
            if (it.str.len > 0 && (it.str.p < data || it.str.p + it.str.len > data + size)) abort();
        }
        if (it.indefinite || it.type == CBOR_T_UNDEFINED || it.type == CBOR_T_SIMPLE) *rewritable = false;
        if (*count < MAX_ITEMS)
            items[*count] = it;
        else
            *rewritable = false;
        (*count)++;
        if (*count > 2 * size + 2) abort(); /* every item but END takes a byte */
    }
}

static int skip_all(const uint8_t *data, size_t size)
{
    cbor_reader_t r;
    int rc;
    cbor_reader_init(&r, data, size);
    while (!cbor_reader_done(&r))
        if ((rc = cbor_skip(&r)) < 0) return rc;
    return 0;
}

static void put(cbor_writer_t *w, const cbor_item_t *it)
{
    switch (it->type) {
    case CBOR_T_UINT: cbor_put_uint(w, it->u); break;
    case CBOR_T_NEGINT: cbor_put_negint(w, it->u); break;
    case CBOR_T_BYTES: cbor_put_bytes(w, it->str.p, it->str.len); break;
    case CBOR_T_TEXT: cbor_put_text(w, (const char *)it->str.p, it->str.len); break;
    case CBOR_T_ARRAY: cbor_put_array(w, it->u); break;
    case CBOR_T_MAP: cbor_put_map(w, it->u); break;
    case CBOR_T_TAG: cbor_put_tag(w, it->u); break;
    case CBOR_T_FALSE: cbor_put_bool(w, false); break;
    case CBOR_T_TRUE: cbor_put_bool(w, true); break;
    case CBOR_T_NULL: cbor_put_null(w); break;
    case CBOR_T_FLOAT: cbor_put_float(w, it->f); break;
    default: break; /* END: definite containers close by count */
    }
}

static void same_item(const cbor_item_t *a, const cbor_item_t *b)
{
    if (a->type != b->type) abort();
    switch (a->type) {
    case CBOR_T_BYTES:
    case CBOR_T_TEXT:
        if (a->str.len != b->str.len) abort();
        if (a->str.len > 0 && memcmp(a->str.p, b->str.p, a->str.len) != 0) abort();
        break;
    case CBOR_T_FLOAT:
        if (isnan(a->f) ? !isnan(b->f) : memcmp(&a->f, &b->f, sizeof a->f) != 0) abort();
        break;
    case CBOR_T_END:
    case CBOR_T_FALSE:
    case CBOR_T_TRUE:
    case CBOR_T_NULL: break;
    default:
        if (a->u != b->u) abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static cbor_item_t items[MAX_ITEMS], again[MAX_ITEMS];
    size_t n, m;
    bool rewritable, unused;
    int rc = walk(data, size, items, &n, &rewritable);
    if (rc != 0 && rc != LWM2M_ERR_FORMAT && rc != LWM2M_ERR_TYPE && rc != LWM2M_ERR_LIMIT) abort();
    /* skipping must agree on well-formedness (both stop at the first bad
     * head; skip reports no error code of its own on valid input) */
    int rs = skip_all(data, size);
    if ((rc == 0) != (rs == 0)) abort();
    if (rc != 0 || !rewritable) return 0;

    /* preferred serialization is never longer than the input */
    uint8_t *out = malloc(size + 1);
    if (out == NULL) abort();
    cbor_writer_t w;
    cbor_writer_init(&w, out, size + 1);
    for (size_t i = 0; i < n; i++)
        put(&w, &items[i]);
    int len = cbor_writer_result(&w);
    if (len < 0 || (size_t)len > size) abort();
    if (walk(out, (size_t)len, again, &m, &unused) != 0 || m != n) abort();
    for (size_t i = 0; i < n; i++)
        same_item(&items[i], &again[i]);
    free(out);
    return 0;
}
