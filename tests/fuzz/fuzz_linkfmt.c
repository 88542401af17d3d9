/*
 * fuzz_linkfmt.c — libFuzzer target for the Bootstrap-Discover parser
 * (linkfmt_parse and helpers, bsd/lwm2m/linkfmt.c).
 *
 * Checks the documented invariants of a successful parse: every span lies
 * inside the input, counts and lengths respect their bounds, paths are
 * valid, and the helpers agree with the entries (each Bootstrap-Server
 * account is a listed Security instance without ssid, and so on). The
 * input is copied to an exact-size buffer so that ASan sees any read past
 * its end.
 */
#include "bsd/lwm2m/linkfmt.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXE 128

static linkfmt_entry_t ents[MAXE];

static void span_inside(const linkfmt_span_t *s, const char *in, size_t size, size_t max)
{
    if (s->p == NULL) {
        if (s->len != 0) abort();
        return;
    }
    if (s->p < in || s->p > in + size || s->len > (size_t)(in + size - s->p) || s->len > max) abort();
}

static const linkfmt_entry_t *find_instance(const linkfmt_doc_t *doc, uint16_t obj, uint16_t iid)
{
    for (size_t i = 0; i < doc->count; i++) {
        const linkfmt_entry_t *e = &doc->entries[i];
        if (e->path.depth == 2 && e->path.obj == obj && e->path.inst == iid) return e;
    }
    return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *in = malloc(size ? size : 1);
    if (in == NULL) abort();
    if (size) memcpy(in, data, size);
    linkfmt_doc_t doc;
    int n = linkfmt_parse(in, size, &doc, ents, MAXE);
    if (n < LWM2M_ERR_LIMIT || n > MAXE) abort();
    if (n < 0) {
        if (doc.count != 0 || doc.has_root || doc.has_lwm2m) abort();
        free(in);
        return 0;
    }
    if ((size_t)n != doc.count || doc.entries != ents) abort();
    if (!doc.has_lwm2m && (doc.lwm2m_major != 1 || doc.lwm2m_minor != 0)) abort();

    bool root = false;
    for (int i = 0; i < n; i++)
        root |= ents[i].path.depth == 0 && !ents[i].bare;
    if (root != doc.has_root) abort();
    for (int i = 0; i < n; i++) {
        const linkfmt_entry_t *e = &ents[i];
        if (e->path.depth > 4) abort();
        if (e->bare && e->path.depth != 0) abort();
        if (e->path.depth >= 1 && e->path.obj > LWM2M_MAX_ID) abort();
        if (e->path.depth >= 2 && e->path.inst > LWM2M_MAX_ID) abort();
        if (e->path.depth >= 3 && e->path.res > LWM2M_MAX_ID) abort();
        if (e->path.depth >= 4 && e->path.rinst > LWM2M_MAX_ID) abort();
        if (!e->has_ssid && e->ssid != 0) abort();
        if (!e->has_ver && (e->ver_major != 0 || e->ver_minor != 0)) abort();
        span_inside(&e->uri, in, size, LINKFMT_MAX_VALUE);
        if (e->nattrs > LINKFMT_MAX_ATTRS) abort();
        if (e->attrs_dropped > 0 && e->nattrs != LINKFMT_MAX_ATTRS) abort();
        for (int a = 0; a < e->nattrs; a++) {
            if (e->attrs[a].name.p == NULL || e->attrs[a].name.len == 0) abort();
            span_inside(&e->attrs[a].name, in, size, LINKFMT_MAX_NAME);
            span_inside(&e->attrs[a].value, in, size, LINKFMT_MAX_VALUE);
        }
    }

    uint8_t ma, mi;
    if (linkfmt_lwm2m_version(&doc, &ma, &mi) != (doc.has_lwm2m ? 1 : 0)) abort();
    uint16_t ids[MAXE];
    linkfmt_account_t acc[MAXE];
    size_t bs = linkfmt_find_bs_account(&doc, ids, MAXE);
    size_t sec = linkfmt_instances(&doc, 0, NULL, 0);
    if (bs > sec || linkfmt_accounts(&doc, 0, acc, MAXE) != sec) abort();
    for (size_t k = 0; k < bs; k++) {
        const linkfmt_entry_t *e = find_instance(&doc, 0, ids[k]);
        if (e == NULL || e->has_ssid) abort();
    }
    for (size_t k = 0; k < sec; k++) {
        const linkfmt_entry_t *e = find_instance(&doc, 0, acc[k].iid);
        if (e == NULL || e->has_ssid != acc[k].has_ssid || e->ssid != acc[k].ssid || e->uri.p != acc[k].uri.p)
            abort();
        for (size_t j = 0; j < k; j++)
            if (acc[j].iid == acc[k].iid) abort();
    }
    for (int i = 0; i < n; i++) {
        if (ents[i].path.depth == 0) continue;
        int rc = linkfmt_object_version(&doc, ents[i].path.obj, &ma, &mi);
        if (rc < 0) abort();
        if (rc == 0 && (ma != 1 || mi != 0)) abort();
        size_t ni = linkfmt_instances(&doc, ents[i].path.obj, ids, MAXE);
        if (ni > (size_t)n) abort();
    }
    free(in);
    return 0;
}
