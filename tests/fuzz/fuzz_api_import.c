/*
 * fuzz_api_import.c — libFuzzer target for the bulk import of the REST API
 * (POST /api/v1/devices/import, bsd/api/api_devices.c): the body reaches
 * the import parser (bsd/db/devimport.c) in whatever pieces the HTTP server
 * hands over, so the parser must come to the same rows and the same
 * refusals however the body is cut.
 *
 * Input: byte 0 picks the format (bit 0: CSV or JSON) and the largest
 * piece (bits 1..7: 1..128 bytes); bytes 1..4 seed the generator of piece
 * sizes; the rest is the body. The body is parsed whole, then in pieces;
 * every good row (endpoint, kind), every refusal (line, column, the row's
 * endpoint as db_import_row_endpoint() tells it, message) and the results
 * must be identical, and every refusal must name a position.
 */
#include "bsd/db/devimport.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What one parse produced, as text. */
typedef struct trace {
    db_import_t *im;
    char *buf;
    size_t len, cap;
} trace_t;

static void trace_add(trace_t *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void trace_add(trace_t *t, const char *fmt, ...)
{
    char line[1400];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0) abort();
    if ((size_t)n >= sizeof line) n = sizeof line - 1;
    if (t->len + (size_t)n + 1 > t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 4096;
        while (cap < t->len + (size_t)n + 1)
            cap *= 2;
        char *b = realloc(t->buf, cap);
        if (b == NULL) abort();
        t->buf = b;
        t->cap = cap;
    }
    memcpy(t->buf + t->len, line, (size_t)n);
    t->len += (size_t)n;
    t->buf[t->len] = 0;
}

static int on_row(void *arg, const db_device_t *d)
{
    trace_add(arg, "row %s %d %u:%u\n", d->endpoint, d->kind, d->line, d->col);
    return 0;
}

static void on_err(void *arg, unsigned line, unsigned col, const char *msg)
{
    trace_t *t = arg;
    if (line == 0 || col == 0 || strncmp(msg, "fuzz:", 5) != 0) abort();
    const char *ep = db_import_row_endpoint(t->im);
    if (ep == NULL || strlen(ep) > DB_DEVICE_ENDPOINT_MAX) abort();
    trace_add(t, "err %u:%u [%s] %s\n", line, col, ep, msg);
}

static uint32_t next_rand(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

/* Parses |body| in pieces of 1..|maxpiece| bytes (0: whole) into |t|. */
static void run(int fmt, const uint8_t *body, size_t len, size_t maxpiece, uint32_t seed, trace_t *t)
{
    t->im = db_import_new(fmt, "fuzz", on_row, on_err, t);
    if (t->im == NULL) abort();
    int r = 0;
    for (size_t at = 0; r == 0 && at < len;) {
        size_t n = maxpiece ? 1 + next_rand(&seed) % maxpiece : len;
        if (n > len - at) n = len - at;
        r = db_import_feed(t->im, (const char *)body + at, n);
        at += n;
    }
    if (r == 0) r = db_import_finish(t->im);
    trace_add(t, "end %d ok=%zu bad=%zu\n", r, db_import_rows_ok(t->im), db_import_rows_failed(t->im));
    db_import_free(t->im);
    t->im = NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 5) return 0;
    int fmt = (data[0] & 1) ? DB_IMPORT_JSON : DB_IMPORT_CSV;
    size_t maxpiece = 1 + (data[0] >> 1);
    uint32_t seed =
        (uint32_t)data[1] | (uint32_t)data[2] << 8 | (uint32_t)data[3] << 16 | (uint32_t)data[4] << 24;
    if (seed == 0) seed = 1;
    trace_t whole = {0}, pieces = {0};
    run(fmt, data + 5, size - 5, 0, seed, &whole);
    run(fmt, data + 5, size - 5, maxpiece, seed, &pieces);
    if (whole.len != pieces.len || memcmp(whole.buf, pieces.buf, whole.len) != 0) {
        fprintf(stderr, "whole:\n%s\npieces of up to %zu bytes:\n%s\n", whole.buf, maxpiece, pieces.buf);
        abort();
    }
    free(whole.buf);
    free(pieces.buf);
    return 0;
}
