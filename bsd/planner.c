/*
 * planner.c — the plan sources behind planner.h. The plans-file source
 * matches the endpoint against the plans' globs and compiles the first
 * match. The policy source keeps, per device, what policies may match on
 * (labels, serial) and the certificates the generation loader had this
 * server's CA issue for it, in an open-addressing table keyed by endpoint,
 * and compiles the selected policy with the derivation key.
 */
#include "bsd/planner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum planner_kind { PLANNER_FILE = 1, PLANNER_POLICY };

/* One device's policy-visible attributes. */
typedef struct pdev {
    char *endpoint;
    char *serial;
    policy_label_t *labels;
    size_t nlabels;
    policy_device_cert_t *certs; /* issued certificates by SSID (der malloc'ed) */
    size_t ncerts;
    uint16_t *unboot; /* written[nwritten] then pending[npending] (malloc'ed), or NULL */
    uint8_t nwritten, npending;
} pdev_t;

struct bsd_planner {
    enum planner_kind kind;
    bs_planfile_t *pf; /* PLANNER_FILE */
    /* PLANNER_POLICY */
    policy_t **ps;
    uint32_t *versions;
    size_t nps;
    uint8_t key[POLICY_KEY_LEN];
    pdev_t *devs;     /* open addressing by endpoint hash; endpoint NULL = empty */
    size_t cap, used; /* cap is a power of two */
};

static uint32_t ep_hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++) {
        h ^= (uint8_t)*s;
        h *= 16777619u;
    }
    return h;
}

bsd_planner_t *bsd_planner_from_planfile(bs_planfile_t *pf)
{
    bsd_planner_t *p = calloc(1, sizeof(*p));
    if (!p) {
        bs_planfile_free(pf);
        return NULL;
    }
    p->kind = PLANNER_FILE;
    p->pf = pf;
    return p;
}

bsd_planner_t *bsd_planner_from_policies(policy_t **ps, const uint32_t *versions, size_t n,
                                         const uint8_t key[POLICY_KEY_LEN])
{
    bsd_planner_t *p = calloc(1, sizeof(*p));
    policy_t **own = n ? calloc(n, sizeof(*own)) : NULL;
    uint32_t *vers = n ? calloc(n, sizeof(*vers)) : NULL;
    if (!p || (n && (!own || !vers))) {
        for (size_t i = 0; i < n; i++)
            policy_free(ps[i]);
        free(own);
        free(vers);
        free(p);
        return NULL;
    }
    p->kind = PLANNER_POLICY;
    for (size_t i = 0; i < n; i++) {
        own[i] = ps[i];
        vers[i] = versions[i];
    }
    p->ps = own;
    p->versions = vers;
    p->nps = n;
    memcpy(p->key, key, POLICY_KEY_LEN);
    return p;
}

static void pdev_free(pdev_t *d)
{
    for (size_t i = 0; i < d->ncerts; i++)
        free((uint8_t *)d->certs[i].der);
    free(d->certs);
    for (size_t i = 0; i < d->nlabels; i++) {
        free((char *)d->labels[i].key);
        free((char *)d->labels[i].value);
    }
    free(d->labels);
    free(d->serial);
    free(d->unboot);
    free(d->endpoint);
}

void bsd_planner_free(bsd_planner_t *p)
{
    if (!p) return;
    bs_planfile_free(p->pf);
    for (size_t i = 0; i < p->nps; i++)
        policy_free(p->ps[i]);
    free(p->ps);
    free(p->versions);
    for (size_t i = 0; i < p->cap; i++)
        if (p->devs[i].endpoint) pdev_free(&p->devs[i]);
    free(p->devs);
    explicit_bzero(p->key, sizeof(p->key));
    free(p);
}

static pdev_t *find_slot(pdev_t *devs, size_t cap, const char *ep)
{
    size_t mask = cap - 1;
    for (size_t i = ep_hash(ep) & mask;; i = (i + 1) & mask)
        if (!devs[i].endpoint || strcmp(devs[i].endpoint, ep) == 0) return &devs[i];
}

static int grow(bsd_planner_t *p)
{
    size_t ncap = p->cap ? p->cap * 2 : 1024;
    pdev_t *nd = calloc(ncap, sizeof(*nd));
    if (!nd) return -1;
    for (size_t i = 0; i < p->cap; i++)
        if (p->devs[i].endpoint) *find_slot(nd, ncap, p->devs[i].endpoint) = p->devs[i];
    free(p->devs);
    p->devs = nd;
    p->cap = ncap;
    return 0;
}

int bsd_planner_add_device(bsd_planner_t *p, const char *endpoint, const char *serial,
                           const policy_label_t *labels, size_t nlabels)
{
    if (!p || p->kind != PLANNER_POLICY || !endpoint) return -1;
    if ((p->used + 1) * 4 > p->cap * 3 && grow(p) != 0) return -1;
    pdev_t d = {0};
    d.endpoint = strdup(endpoint);
    d.serial = serial && serial[0] ? strdup(serial) : NULL;
    d.labels = nlabels ? calloc(nlabels, sizeof(*d.labels)) : NULL;
    int bad = !d.endpoint || (serial && serial[0] && !d.serial) || (nlabels && !d.labels);
    for (size_t i = 0; !bad && i < nlabels; i++) {
        d.labels[i].key = strdup(labels[i].key);
        d.labels[i].value = strdup(labels[i].value);
        d.nlabels = i + 1;
        bad = !d.labels[i].key || !d.labels[i].value;
    }
    if (bad) {
        pdev_free(&d);
        return -1;
    }
    pdev_t *slot = find_slot(p->devs, p->cap, endpoint);
    if (slot->endpoint) {
        pdev_free(slot); /* the last registration wins */
        p->used--;
    }
    *slot = d;
    p->used++;
    return 0;
}

int bsd_planner_add_cert(bsd_planner_t *p, const char *endpoint, uint16_t ssid, const uint8_t *der,
                         size_t len)
{
    if (!p || p->kind != PLANNER_POLICY || !endpoint || !p->cap || !der || !len) return -1;
    pdev_t *d = find_slot(p->devs, p->cap, endpoint);
    if (!d->endpoint) return -1;
    uint8_t *copy = malloc(len);
    if (!copy) return -1;
    memcpy(copy, der, len);
    for (size_t i = 0; i < d->ncerts; i++)
        if (d->certs[i].ssid == ssid) {
            free((uint8_t *)d->certs[i].der);
            d->certs[i].der = copy;
            d->certs[i].der_len = len;
            return 0;
        }
    policy_device_cert_t *nc = realloc(d->certs, (d->ncerts + 1) * sizeof(*nc));
    if (!nc) {
        free(copy);
        return -1;
    }
    d->certs = nc;
    d->certs[d->ncerts++] = (policy_device_cert_t){.ssid = ssid, .der = copy, .der_len = len};
    return 0;
}

int bsd_planner_set_unboot(bsd_planner_t *p, const char *endpoint, const uint16_t *written, size_t nw,
                           const uint16_t *pending, size_t np)
{
    if (!p || p->kind != PLANNER_POLICY || !endpoint || !p->cap) return -1;
    pdev_t *d = find_slot(p->devs, p->cap, endpoint);
    if (!d->endpoint) return -1;
    if (nw > BS_PLAN_MAX_REMOVE) nw = BS_PLAN_MAX_REMOVE;
    if (np > BS_PLAN_MAX_REMOVE) np = BS_PLAN_MAX_REMOVE;
    free(d->unboot);
    d->unboot = NULL;
    d->nwritten = d->npending = 0;
    if (!nw && !np) return 0;
    if (!(d->unboot = malloc((nw + np) * sizeof(*d->unboot)))) return -1;
    if (nw) memcpy(d->unboot, written, nw * sizeof(*written));
    if (np) memcpy(d->unboot + nw, pending, np * sizeof(*pending));
    d->nwritten = (uint8_t)nw;
    d->npending = (uint8_t)np;
    return 0;
}

int bsd_planner_issues_certs(const bsd_planner_t *p)
{
    for (size_t i = 0; p && p->kind == PLANNER_POLICY && i < p->nps; i++)
        if (policy_x509_issue_count(p->ps[i])) return 1;
    return 0;
}

/* The policy-visible attributes of |endpoint| into |pd|; returns the selected policy or -1. */
static int select_for(const bsd_planner_t *p, const char *endpoint, policy_device_t *pd)
{
    memset(pd, 0, sizeof(*pd));
    pd->endpoint = endpoint;
    if (p->cap) {
        const pdev_t *d = find_slot(p->devs, p->cap, endpoint);
        if (d->endpoint) {
            pd->serial = d->serial;
            pd->labels = d->labels;
            pd->nlabels = d->nlabels;
            pd->certs = d->certs;
            pd->ncerts = d->ncerts;
            pd->unboot_written = d->unboot;
            pd->nunboot_written = d->nwritten;
            pd->unboot_pending = d->unboot ? d->unboot + d->nwritten : NULL;
            pd->nunboot_pending = d->npending;
        }
    }
    int i = policy_select((const policy_t *const *)p->ps, p->nps, pd, NULL);
    return i < 0 ? -1 : i;
}

int bsd_planner_bs_rotation(const bsd_planner_t *p, const char *endpoint, policy_cred_t *out, char *err,
                            size_t errcap)
{
    if (errcap) err[0] = 0;
    if (!p || p->kind != PLANNER_POLICY || !endpoint) return 0;
    policy_device_t pd;
    int i = select_for(p, endpoint, &pd);
    if (i < 0) return 0;
    policy_ctx_t ctx = {.version = p->versions[i], .flags = POLICY_CTX_ROTATE_BS};
    memcpy(ctx.key, p->key, POLICY_KEY_LEN);
    char msg[256];
    int r = policy_bs_rotation(p->ps[i], &pd, &ctx, out, msg, sizeof(msg));
    explicit_bzero(ctx.key, sizeof(ctx.key));
    if (r < 0) {
        snprintf(err, errcap, "policy %s v%u: %s", policy_name(p->ps[i]), (unsigned)p->versions[i], msg);
        return -1;
    }
    return r;
}

int bsd_planner_x509_issue(const bsd_planner_t *p, const char *endpoint, policy_x509_issue_t *out, size_t cap,
                           char *err, size_t errcap)
{
    if (errcap) err[0] = 0;
    if (!p || p->kind != PLANNER_POLICY || !endpoint) return 0;
    policy_device_t pd;
    int i = select_for(p, endpoint, &pd);
    if (i < 0 || policy_x509_issue_count(p->ps[i]) == 0) return 0;
    policy_ctx_t ctx = {.version = p->versions[i]};
    memcpy(ctx.key, p->key, POLICY_KEY_LEN);
    char msg[256];
    int r = policy_x509_issue_keys(p->ps[i], &pd, &ctx, out, cap, msg, sizeof(msg));
    explicit_bzero(ctx.key, sizeof(ctx.key));
    if (r < 0) {
        snprintf(err, errcap, "policy %s v%u: %s", policy_name(p->ps[i]), (unsigned)p->versions[i], msg);
        return -1;
    }
    return r;
}

static int plan_policies(const bsd_planner_t *p, const creds_device_t *dev, uint32_t flags, bs_plan_t *out,
                         char *err, size_t errcap)
{
    policy_device_t pd;
    int i = select_for(p, dev->endpoint, &pd);
    if (i < 0) return BSD_PLANNER_NONE;
    policy_ctx_t ctx = {.version = p->versions[i], .flags = flags};
    memcpy(ctx.key, p->key, POLICY_KEY_LEN);
    char msg[256];
    int r = policy_compile(p->ps[i], &pd, &ctx, out, msg, sizeof(msg));
    explicit_bzero(ctx.key, sizeof(ctx.key));
    if (r != 0) {
        snprintf(err, errcap, "policy %s v%u: %s", policy_name(p->ps[i]), (unsigned)p->versions[i], msg);
        return BSD_PLANNER_FAIL;
    }
    return 0;
}

int bsd_planner_plan(const bsd_planner_t *p, const creds_device_t *dev, uint32_t flags, bs_plan_t *out,
                     char *err, size_t errcap)
{
    if (errcap) err[0] = 0;
    if (!p || !dev) return BSD_PLANNER_NONE;
    if (p->kind == PLANNER_POLICY) return plan_policies(p, dev, flags, out, err, errcap);
    const bs_planfile_plan_t *pp = bs_planfile_match(p->pf, dev->endpoint);
    if (!pp) return BSD_PLANNER_NONE;
    return bs_planfile_compile(pp, dev->endpoint, out, err, errcap) == 0 ? 0 : BSD_PLANNER_FAIL;
}

int bsd_planner_est(const bsd_planner_t *p, const creds_device_t *dev, policy_est_t *out, char *err,
                    size_t errcap)
{
    if (errcap) err[0] = 0;
    if (!out) return POLICY_ERR_ARG;
    memset(out, 0, sizeof(*out));
    if (!p || !dev || !dev->endpoint || p->kind != PLANNER_POLICY) return 0;
    policy_device_t pd;
    int i = select_for(p, dev->endpoint, &pd);
    if (i < 0) return 0;
    char msg[256];
    int r = policy_est(p->ps[i], &pd, out, msg, sizeof(msg));
    if (r < 0)
        snprintf(err, errcap, "policy %s v%u: %s", policy_name(p->ps[i]), (unsigned)p->versions[i], msg);
    return r;
}

const char *bsd_planner_describe(const bsd_planner_t *p, char *buf, size_t cap)
{
    if (!p)
        snprintf(buf, cap, "no plans");
    else if (p->kind == PLANNER_POLICY)
        snprintf(buf, cap, "%zu active policies, %zu devices with attributes", p->nps, p->used);
    else
        snprintf(buf, cap, "plans file (%zu plans)", bs_planfile_count(p->pf));
    return buf;
}
