/*
 * fuzz_yaml_tree.c — libFuzzer target for the strict YAML reader
 * (yt_parse, bsd/policy/yaml_tree.c, on libyaml).
 *
 * A parsed tree is walked whole and checked against the documented
 * invariants of yt_node_t and the limits; the typed scalar helpers are run
 * on every scalar. A refusal must be one message line naming the input,
 * and parsing again into a short buffer must give a cut copy of it (ASan
 * sees any write past that buffer).
 */
#include "bsd/policy/yaml_tree.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NAME "fuzz.yaml"

/* Small maps are checked pairwise for duplicates; big ones would cost n^2. */
#define PAIRWISE_MAX 64

static size_t walked;

static void check_scalar(const yt_node_t *n)
{
    if (n->str == NULL || n->len > YT_MAX_SCALAR || strlen(n->str) != n->len) abort();
    if (n->keys != NULL || n->vals != NULL || n->n != 0) abort();
    int64_t v;
    int r = yt_scalar_int(n, INT64_MIN, INT64_MAX, &v);
    if (r == 0) {
        /* A well-formed integer prints back as itself ("-0" as "0"). */
        char buf[32];
        snprintf(buf, sizeof buf, "%" PRId64, v);
        if (!yt_scalar_is(n, buf) && !(v == 0 && yt_scalar_is(n, "-0"))) abort();
        if (n->quoted) abort();
    } else if (r != -1 && r != -2) {
        abort();
    }
    bool b;
    if (yt_scalar_bool(n, &b) == 0 && (n->quoted || (n->len != 4 && n->len != 5))) abort();
    if (yt_is_null(n) && (n->quoted || n->len > 4)) abort();
    if (!yt_scalar_is(n, n->str)) abort();
}

static void walk(const yt_node_t *n, size_t depth, size_t size)
{
    if (n == NULL || ++walked > YT_MAX_NODES) abort();
    if (n->line < 1 || n->col < 1 || n->line > size + 1 || n->col > size + 1) abort();
    switch (n->kind) {
    case YT_SCALAR: check_scalar(n); return;
    case YT_MAP:
        if (n->keys == NULL || n->vals == NULL) abort();
        break;
    case YT_SEQ:
        if (n->keys != NULL || n->vals == NULL) abort();
        break;
    default: abort();
    }
    if (n->str != NULL || n->len != 0 || depth + 1 > YT_MAX_DEPTH || n->n > YT_MAX_NODES) abort();
    for (size_t i = 0; i < n->n; i++) {
        if (n->kind == YT_MAP) {
            const yt_node_t *k = n->keys[i];
            if (k == NULL || k->kind != YT_SCALAR) abort();
            if (!k->quoted && yt_scalar_is(k, "<<")) abort();
            walk(k, depth + 1, size);
            if (n->n <= PAIRWISE_MAX) {
                for (size_t j = 0; j < i; j++)
                    if (n->keys[j]->len == k->len && memcmp(n->keys[j]->str, k->str, k->len) == 0) abort();
                if (yt_get(n, k->str) != n->vals[i]) abort();
            }
        }
        walk(n->vals[i], depth + 1, size);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[YT_ERR_MAX];
    memset(err, 'z', sizeof err);
    yt_doc_t *d = yt_parse(NAME, (const char *)data, size, err, sizeof err);
    if (d != NULL) {
        if (err[0] != '\0') abort();
        const yt_node_t *r = yt_root(d);
        if (r == NULL) abort();
        /* What yt_parse calls an empty document never comes back. */
        if (r->kind == YT_SCALAR && r->len == 0 && !r->quoted) abort();
        walked = 0;
        walk(r, 0, size);
        yt_free(d);
        return 0;
    }
    size_t len = strnlen(err, sizeof err);
    if (len == sizeof err || strncmp(err, NAME ":", sizeof NAME) != 0 || strchr(err, '\n') != NULL) abort();
    /* Again into a buffer of a few bytes: the same message, cut. */
    size_t cap = size ? data[0] % 24 : 0;
    char *small = cap ? malloc(cap) : NULL;
    if (cap && small == NULL) return 0;
    if (yt_parse(NAME, (const char *)data, size, small, cap) != NULL) abort();
    if (cap && (strlen(small) != (len < cap ? len : cap - 1) || strncmp(small, err, strlen(small)) != 0))
        abort();
    free(small);
    return 0;
}
