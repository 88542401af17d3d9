/*
 * test_unboot_prop.c — property tests of the unbootstrap planner
 * (bsd/lwm2m/unboot.h) against the reference client of unboot_model.c.
 *
 * Thousands of random clients (servers with Security/Server instances, a
 * Bootstrap-Server account, object instances, Access Control instances with
 * random entries and owners) and random removal sets are planned; the plan
 * is applied to the model and the invariants of LWM2M-BOOTSTRAP.md
 * "Unbootstrapping and the Access Control Owner (§5.2.5)" are checked on
 * the result. Seeds are fixed; a failure prints the seed, the case number,
 * the client, the request and the plan. Hand-written cases follow the
 * spec text (election W+D, ties, SSID 0, object level, 1.0 fallback).
 */
#include "bsd/lwm2m/unboot.h"
#include "tests/unit/unboot_model.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CASES  5000
#define MAXREQ 8

/* ---- deterministic random numbers (splitmix64) ---- */

static uint64_t rng;

static uint32_t rnd(void)
{
    uint64_t z = (rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return (uint32_t)((z ^ (z >> 31)) >> 32);
}

static uint32_t below(uint32_t n)
{
    return n ? rnd() % n : 0;
}

static int chance(unsigned pct)
{
    return below(100) < pct;
}

/* Fisher-Yates on |n| elements of |arr|. */
#define SHUFFLE(arr, n, type)                                                                                \
    do {                                                                                                     \
        for (size_t i_ = (n); i_ > 1; i_--) {                                                                \
            size_t j_ = below((uint32_t)i_);                                                                 \
            type t_ = (arr)[i_ - 1];                                                                         \
            (arr)[i_ - 1] = (arr)[j_];                                                                       \
            (arr)[j_] = t_;                                                                                  \
        }                                                                                                    \
    } while (0)

/* ---- the case under test (static: large, and printed on failure) ---- */

typedef struct profile {
    unsigned max_servers; /* 1..6 */
    unsigned max_acl;     /* ACL instances 0..max_acl */
    unsigned max_entries; /* entries per ACL instance 0..max_entries */
    unsigned pct_acl_unknown;
    unsigned pct_have_insts;
} profile_t;

static struct {
    uint64_t seed;
    int n;
    int acl_known, have_insts;
    uint16_t req[MAXREQ];
    size_t nreq;
} cur;

static model_t pre, post, expect, selfc, tmp;
static int post_valid; /* |post| holds the client after the plan of this case */
static unboot_state_t st, st_copy, st2;
static unboot_result_t res, res2;

static const char *op_text(const unboot_op_t *op, char *buf, size_t cap)
{
    char p[32];
    if (lwm2m_path_format(&op->path, p, sizeof(p)) < 0) snprintf(p, sizeof(p), "?");
    snprintf(buf, cap, "%s %s",
             op->kind == UNBOOT_OP_DELETE      ? "delete"
             : op->kind == UNBOOT_OP_WRITE_ACL ? "write"
                                               : "?",
             p);
    return buf;
}

static void dump_case(void)
{
    char b[96];
    fprintf(stderr, "== counterexample: seed=0x%llx case=%d acl_known=%d have_insts=%d remove=[",
            (unsigned long long)cur.seed, cur.n, cur.acl_known, cur.have_insts);
    for (size_t i = 0; i < cur.nreq; i++)
        fprintf(stderr, "%s%u", i ? "," : "", cur.req[i]);
    fprintf(stderr, "]\n");
    model_dump(&pre, "client before");
    fprintf(stderr, "-- plan: %zu ops\n", res.nops);
    for (size_t i = 0; i < res.nops && i < UNBOOT_MAX_OPS; i++)
        fprintf(stderr, "   %s\n", op_text(&res.ops[i], b, sizeof(b)));
    if (post_valid) model_dump(&post, "client after the plan");
}

#define PCHECK(cond, fmt, ...)                                                                               \
    do {                                                                                                     \
        if (!(cond)) {                                                                                       \
            dump_case();                                                                                     \
            ck_abort_msg("seed=0x%llx case=%d: " fmt, (unsigned long long)cur.seed, cur.n, ##__VA_ARGS__);   \
        }                                                                                                    \
    } while (0)

/* ---- generation ---- */

static const uint16_t ssid_pool[] = {1, 2, 3, 4, 6, 65534};
#define POOL_N (sizeof(ssid_pool) / sizeof(ssid_pool[0]))

static const uint16_t rights_pool[] = {
    0,
    UNBOOT_R,
    UNBOOT_W,
    UNBOOT_D,
    UNBOOT_W | UNBOOT_D,
    UNBOOT_R | UNBOOT_E,
    UNBOOT_C,
    UNBOOT_R | UNBOOT_W | UNBOOT_E | UNBOOT_D,
    UNBOOT_R | UNBOOT_W | UNBOOT_E | UNBOOT_D | UNBOOT_C,
    0x20 | UNBOOT_R, /* a bit the planner must keep */
};
#define RIGHTS_N (sizeof(rights_pool) / sizeof(rights_pool[0]))

static uint16_t pick_rights(void)
{
    return chance(15) ? (uint16_t)below(32) : rights_pool[below(RIGHTS_N)];
}

typedef struct target {
    uint16_t obj, inst;
} target_t;

static void gen_client(const profile_t *pf, model_set_t *servers)
{
    memset(&pre, 0, sizeof(pre));
    servers->n = 0;

    /* Servers: distinct SSIDs from the pool. */
    uint16_t pool[POOL_N];
    memcpy(pool, ssid_pool, sizeof(pool));
    SHUFFLE(pool, POOL_N, uint16_t);
    unsigned nserv = 1 + below(pf->max_servers);
    uint16_t sec_iid = (uint16_t)below(3), srv_iid = (uint16_t)below(3);
    unsigned bs_at = below(nserv + 1);
    for (unsigned s = 0; s <= nserv; s++) {
        if (s == bs_at) model_add_inst(&pre, 0, sec_iid++, 0); /* the Bootstrap-Server account */
        if (s == nserv) break;
        uint16_t ssid = pool[s];
        model_set_add(servers, ssid);
        if (!chance(10)) model_add_inst(&pre, 0, sec_iid++, ssid); /* else: Server without Security */
        if (!chance(5)) model_add_inst(&pre, 1, srv_iid++, ssid);  /* else: Security only */
        if (chance(6)) model_add_inst(&pre, 1, srv_iid++, ssid);   /* duplicates */
        if (chance(4)) model_add_inst(&pre, 0, sec_iid++, ssid);
        sec_iid = (uint16_t)(sec_iid + below(2));
        srv_iid = (uint16_t)(srv_iid + below(2));
    }

    /* Object instances: /3/0 always, some with ACL instances, some without. */
    model_add_inst(&pre, 3, 0, MODEL_NO_SSID);
    unsigned n3303 = below(5);
    for (unsigned i = 0; i < n3303; i++)
        model_add_inst(&pre, 3303, (uint16_t)i, MODEL_NO_SSID);
    if (chance(50)) model_add_inst(&pre, 5, 0, MODEL_NO_SSID);
    if (chance(20)) model_add_inst(&pre, 21, 0, MODEL_NO_SSID);
    if (chance(40)) model_add_inst(&pre, 3304, 0, MODEL_NO_SSID); /* never a target */

    /* Targets to choose from. */
    target_t tg[64];
    size_t ntg = 0;
    for (size_t i = 0; i < pre.ninst; i++)
        if (pre.inst[i].obj != 3304) tg[ntg++] = (target_t){pre.inst[i].obj, pre.inst[i].inst};
    tg[ntg++] = (target_t){3303, UNBOOT_INST_OBJECT};
    tg[ntg++] = (target_t){5, UNBOOT_INST_OBJECT};
    tg[ntg++] = (target_t){1, UNBOOT_INST_OBJECT};
    tg[ntg++] = (target_t){3303, 9}; /* stale: no such instance */
    tg[ntg++] = (target_t){5, 3};
    tg[ntg++] = (target_t){2, 1}; /* an anomaly: ACL instance 1, when there is one */
    int used[64] = {0};

    /* ACL instance IDs: distinct, in random order. */
    uint16_t iids[64];
    for (uint16_t i = 0; i < 64; i++)
        iids[i] = i;
    SHUFFLE(iids, 64, uint16_t);
    unsigned nacl = below(pf->max_acl + 1);
    for (unsigned k = 0; k < nacl && k < 64; k++) {
        model_acl_t a = {.iid = iids[k]};
        size_t t = below((uint32_t)ntg);
        if (used[t] && !chance(5)) { /* rarely two ACL instances for one target */
            for (size_t tries = 0; tries < ntg && used[t]; tries++)
                t = (t + 1) % ntg;
        }
        if (tg[t].obj == 0 && !chance(20)) t = (t + 1) % ntg; /* Security targets are rare */
        used[t] = 1;
        a.obj = tg[t].obj;
        a.inst = tg[t].inst;
        unsigned nent = below(pf->max_entries + 1);
        for (unsigned e = 0; e < nent; e++) {
            uint16_t who;
            unsigned r = below(100);
            if (r < 60 && servers->n)
                who = servers->v[below((uint32_t)servers->n)];
            else if (r < 75)
                who = 0; /* default entry */
            else if (r < 85)
                who = 9; /* not a server */
            else
                who = ssid_pool[below(POOL_N)];
            int dup;
            (void)model_rights(&a, who, &dup);
            if (dup) continue;
            a.map[a.nmap].who = who;
            a.map[a.nmap].rights = pick_rights();
            a.nmap++;
        }
        unsigned o = below(100);
        if (o < 55 && servers->n)
            a.owner = servers->v[below((uint32_t)servers->n)];
        else if (o < 70)
            a.owner = UNBOOT_OWNER_BS;
        else if (o < 80)
            a.owner = chance(50) ? 9 : 5; /* not a server */
        else if (o < 88)
            a.owner = 0;
        else
            a.owner = a.nmap ? a.map[below((uint32_t)a.nmap)].who : 1;
        model_add_acl(&pre, &a);
    }

    /* The request. */
    cur.nreq = 1 + below(3);
    for (size_t i = 0; i < cur.nreq; i++) {
        unsigned r = below(100);
        if (r < 60)
            cur.req[i] = servers->v[below((uint32_t)servers->n)];
        else if (r < 70)
            cur.req[i] = chance(50) ? 42 : 7; /* absent */
        else if (r < 78)
            cur.req[i] = 0;
        else if (r < 85)
            cur.req[i] = 65535;
        else if (r < 95)
            cur.req[i] = 9; /* maybe only in ACL entries or owners */
        else
            cur.req[i] = i ? cur.req[i - 1] : 1; /* duplicate */
    }
    cur.acl_known = !chance(pf->pct_acl_unknown);
    cur.have_insts = chance(pf->pct_have_insts);
}

/* ---- helpers on plans ---- */

static int cmp_u16(const void *a, const void *b)
{
    return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

static void sort_u16(uint16_t *v, size_t n)
{
    if (n > 1) qsort(v, n, sizeof(v[0]), cmp_u16);
}

static int path_eq(const lwm2m_path_t *p, uint16_t obj, uint16_t inst)
{
    return p->depth == 2 && p->obj == obj && p->inst == inst;
}

static int results_equal(const unboot_result_t *a, const unboot_result_t *b)
{
    if (a->nremoved != b->nremoved || a->nabsent != b->nabsent || a->acl_unknown != b->acl_unknown ||
        a->nops != b->nops || a->nchanges != b->nchanges || a->nafter != b->nafter)
        return 0;
    if (memcmp(a->removed, b->removed, a->nremoved * sizeof(a->removed[0])) ||
        memcmp(a->absent, b->absent, a->nabsent * sizeof(a->absent[0])))
        return 0;
    for (size_t i = 0; i < a->nops; i++) {
        const unboot_op_t *x = &a->ops[i], *y = &b->ops[i];
        if (x->kind != y->kind || x->acl != y->acl || x->path.depth != y->path.depth ||
            x->path.obj != y->path.obj || x->path.inst != y->path.inst || x->path.res != y->path.res ||
            x->path.rinst != y->path.rinst)
            return 0;
    }
    for (size_t i = 0; i < a->nchanges; i++) {
        const unboot_change_t *x = &a->changes[i], *y = &b->changes[i];
        if (x->kind != y->kind || x->iid != y->iid || x->obj != y->obj || x->inst != y->inst ||
            x->dropped != y->dropped || x->owner_changed != y->owner_changed ||
            x->owner_from != y->owner_from || x->owner_to != y->owner_to || x->score != y->score ||
            x->target_deleted != y->target_deleted)
            return 0;
    }
    for (size_t i = 0; i < a->nafter; i++) {
        const unboot_acl_t *x = &a->after[i], *y = &b->after[i];
        if (x->iid != y->iid || x->obj != y->obj || x->inst != y->inst || x->owner != y->owner ||
            x->nent != y->nent || memcmp(x->ent, y->ent, x->nent * sizeof(x->ent[0])))
            return 0;
    }
    return 1;
}

/* Applies |r|'s operations to |m|; returns the first failing result. */
static int apply_plan(model_t *m, const unboot_result_t *r, size_t *failed_at)
{
    for (size_t i = 0; i < r->nops; i++) {
        const unboot_op_t *op = &r->ops[i];
        int rc;
        *failed_at = i;
        if (op->kind == UNBOOT_OP_DELETE) {
            rc = model_apply_delete(m, &op->path);
        } else if (op->kind == UNBOOT_OP_WRITE_ACL) {
            if (op->acl >= r->nafter) return MODEL_ERR_FORBIDDEN;
            rc = model_apply_write_acl(m, &op->path, &r->after[op->acl]);
        } else {
            return MODEL_ERR_FORBIDDEN;
        }
        if (rc < 0) return rc;
        /* 4.04 is possible only for a target the planner could not know was gone. */
        if (rc == MODEL_NOT_FOUND && (cur.have_insts || op->path.obj <= 2)) return rc;
    }
    return MODEL_OK;
}

/* |a| with the entries of |removed| dropped (entry 0 is nobody's). */
static model_acl_t without(const model_acl_t *a, const model_set_t *removed, int *dropped)
{
    model_acl_t q = *a;
    q.nmap = 0;
    *dropped = 0;
    for (size_t i = 0; i < a->nmap; i++) {
        if (a->map[i].who != 0 && model_set_has(removed, a->map[i].who))
            (*dropped)++;
        else
            q.map[q.nmap++] = a->map[i];
    }
    return q;
}

/* The expected change of one ACL instance, from the spec's definitions. */
typedef struct verdict {
    int kind; /* 0 = unaffected, else unboot_change_kind_t */
    int dropped, owner_changed, score;
    int32_t owner_to;
    model_acl_t after;
} verdict_t;

static verdict_t judge(const model_acl_t *p, const model_set_t *removed, const model_set_t *remaining)
{
    verdict_t v = {.kind = 0};
    v.after = without(p, removed, &v.dropped);
    if (p->inst != UNBOOT_INST_OBJECT && !model_anyone_can_access(&v.after, remaining)) {
        v.kind = model_protected(p->obj, p->inst) ? UNBOOT_CH_DELETED_ACL : UNBOOT_CH_DELETED;
        return v;
    }
    int score;
    int32_t e = model_elect(&v.after, remaining, &score);
    if (e < 0) {
        v.kind = UNBOOT_CH_DELETED_ACL;
        return v;
    }
    if (model_set_has(removed, p->owner)) {
        v.owner_changed = 1;
        v.owner_to = e;
        v.score = score;
        v.after.owner = (uint16_t)e;
    }
    if (v.owner_changed || v.dropped) v.kind = UNBOOT_CH_REWRITTEN;
    return v;
}

/* The ACL instances of |m| by ascending iid, into |out|; returns the count. */
static size_t sorted_acls(const model_t *m, const model_acl_t **out)
{
    size_t n = 0;
    for (size_t i = 0; i < m->nacl; i++) {
        size_t j = n++;
        for (; j > 0 && out[j - 1]->iid > m->acl[i].iid; j--)
            out[j] = out[j - 1];
        out[j] = &m->acl[i];
    }
    return n;
}

/* ---- the invariants ---- */

static void check_request_split(const model_set_t *present)
{
    uint16_t want_rm[MAXREQ], want_ab[MAXREQ];
    size_t nrm = 0, nab = 0;
    for (size_t i = 0; i < present->n; i++)
        want_rm[nrm++] = present->v[i];
    for (size_t i = 0; i < cur.nreq; i++) {
        uint16_t v = cur.req[i];
        int seen = 0;
        for (size_t k = 0; k < nab; k++)
            seen |= want_ab[k] == v;
        if (v != 0 && v != 65535 && !model_set_has(present, v) && !seen) want_ab[nab++] = v;
    }
    sort_u16(want_rm, nrm);
    sort_u16(want_ab, nab);
    PCHECK(res.nremoved == nrm, "removed %zu SSIDs, model says %zu", res.nremoved, nrm);
    for (size_t i = 0; i < nrm; i++)
        PCHECK(res.removed[i] == want_rm[i], "removed[%zu] = %u, model says %u", i, res.removed[i],
               want_rm[i]);
    PCHECK(res.nabsent == nab, "absent %zu SSIDs, model says %zu", res.nabsent, nab);
    for (size_t i = 0; i < nab; i++)
        PCHECK(res.absent[i] == want_ab[i], "absent[%zu] = %u, model says %u", i, res.absent[i], want_ab[i]);
    if (nrm == 0) PCHECK(res.nops == 0 && res.nchanges == 0, "nothing present, yet %zu ops", res.nops);
}

/* The Server then Security Deletes at the end of the plan, exactly; returns
 * where they start. */
static size_t check_account_tail(const model_set_t *present)
{
    unboot_op_t want[2 * UNBOOT_MAX_ACCOUNTS];
    size_t n = 0;
    uint16_t rm[MODEL_MAX_SERVERS];
    memcpy(rm, present->v, present->n * sizeof(rm[0]));
    sort_u16(rm, present->n);
    for (size_t r = 0; r < present->n; r++) {
        for (uint16_t obj = 1;; obj = 0) {
            uint16_t iids[MODEL_MAX_INSTS];
            size_t k = 0;
            for (size_t i = 0; i < pre.ninst; i++)
                if (pre.inst[i].obj == obj && pre.inst[i].ssid == rm[r]) iids[k++] = pre.inst[i].inst;
            sort_u16(iids, k);
            for (size_t i = 0; i < k; i++)
                want[n++] =
                    (unboot_op_t){.kind = UNBOOT_OP_DELETE, .path = lwm2m_path(2, obj, iids[i], 0, 0)};
            if (obj == 0) break;
        }
    }
    PCHECK(res.nops >= n, "%zu ops, fewer than the %zu account Deletes", res.nops, n);
    size_t start = res.nops - n;
    for (size_t i = 0; i < n; i++) {
        const unboot_op_t *op = &res.ops[start + i];
        PCHECK(op->kind == UNBOOT_OP_DELETE && path_eq(&op->path, want[i].path.obj, want[i].path.inst),
               "op %zu: want delete /%u/%u (Server then Security, by SSID then iid)", start + i,
               want[i].path.obj, want[i].path.inst);
    }
    for (size_t i = 0; i < start; i++)
        PCHECK(res.ops[i].path.obj != 0 && res.ops[i].path.obj != 1,
               "op %zu touches /%u/%u before the last ACL operation", i, res.ops[i].path.obj,
               res.ops[i].path.inst);
    return start;
}

/* ACL phase: per affected ACL instance in ascending iid, either Delete /2/x +
 * Write /2/x, or [Delete target] + Delete /2/x; one change record each. */
static void check_acl_phase(size_t end, const model_set_t *removed, const model_set_t *remaining)
{
    size_t i = 0, ch = 0;
    int32_t last = -1;
    static const model_acl_t *by_iid[MODEL_MAX_ACL];
    size_t nby = sorted_acls(&pre, by_iid);
    for (size_t k = 0; k < nby; k++) {
        const model_acl_t *p = by_iid[k];
        verdict_t v = judge(p, removed, remaining);
        if (!v.kind) continue;
        PCHECK(ch < res.nchanges, "no change record for /2/%u", p->iid);
        const unboot_change_t *c = &res.changes[ch++];
        PCHECK(c->iid == p->iid && c->obj == p->obj && c->inst == p->inst,
               "change %zu is /2/%u -> /%u/%u, model says /2/%u -> /%u/%u", ch - 1, c->iid, c->obj, c->inst,
               p->iid, p->obj, p->inst);
        PCHECK(c->kind == v.kind, "/2/%u: change kind %u, model says %d", p->iid, c->kind, v.kind);
        int listed = model_find_inst(&pre, p->obj, p->inst) != NULL;
        int want_td = v.kind == UNBOOT_CH_DELETED && (!cur.have_insts || listed);
        PCHECK(!!c->target_deleted == want_td, "/2/%u: target_deleted %u, model says %d", p->iid,
               c->target_deleted, want_td);
        if (v.kind == UNBOOT_CH_REWRITTEN) {
            PCHECK(c->dropped == v.dropped, "/2/%u: dropped %u, model says %d", p->iid, c->dropped,
                   v.dropped);
            PCHECK(!!c->owner_changed == v.owner_changed, "/2/%u: owner_changed %u", p->iid,
                   c->owner_changed);
            if (v.owner_changed)
                PCHECK(c->owner_from == p->owner && c->owner_to == v.owner_to && c->score == v.score,
                       "/2/%u: owner %u->%u score %u, model says %u->%d score %d", p->iid, c->owner_from,
                       c->owner_to, c->score, p->owner, (int)v.owner_to, v.score);
        }
        /* Its operations. */
        PCHECK(i < end, "/2/%u changes but has no operation", p->iid);
        if (v.kind == UNBOOT_CH_REWRITTEN) {
            PCHECK(i + 1 < end && res.ops[i].kind == UNBOOT_OP_DELETE &&
                       path_eq(&res.ops[i].path, 2, p->iid) && res.ops[i + 1].kind == UNBOOT_OP_WRITE_ACL &&
                       path_eq(&res.ops[i + 1].path, 2, p->iid),
                   "op %zu: /2/%u must be rewritten as Delete + Write", i, p->iid);
            PCHECK(res.ops[i + 1].acl < res.nafter && res.after[res.ops[i + 1].acl].iid == p->iid,
                   "op %zu: Write /2/%u names after[%u]", i + 1, p->iid, res.ops[i + 1].acl);
            i += 2;
        } else {
            /* (a target in object 2 is never deleted as a target: the Delete
             * of /2/x that may follow is that instance's own) */
            if (p->obj != 2 && res.ops[i].kind == UNBOOT_OP_DELETE &&
                path_eq(&res.ops[i].path, p->obj, p->inst)) {
                PCHECK(c->target_deleted, "op %zu deletes the target of /2/%u, change says no", i, p->iid);
                i++;
            } else if (c->target_deleted) {
                /* Only when an earlier ACL instance's plan deleted it already. */
                int earlier = 0;
                for (size_t j = 0; j < i; j++)
                    earlier |=
                        res.ops[j].kind == UNBOOT_OP_DELETE && path_eq(&res.ops[j].path, p->obj, p->inst);
                PCHECK(earlier, "/2/%u: target /%u/%u is to be deleted but is not", p->iid, p->obj, p->inst);
            }
            PCHECK(i < end && res.ops[i].kind == UNBOOT_OP_DELETE && path_eq(&res.ops[i].path, 2, p->iid),
                   "op %zu: want delete /2/%u", i, p->iid);
            i++;
        }
        PCHECK((int32_t)p->iid > last, "ACL instances out of order");
        last = p->iid;
    }
    PCHECK(ch == res.nchanges, "%zu change records, model says %zu", res.nchanges, ch);
    PCHECK(i == end, "op %zu: an operation no rule asks for", i);
    /* Nothing is deleted twice. */
    for (size_t a = 0; a < res.nops; a++)
        for (size_t b = a + 1; b < res.nops; b++)
            PCHECK(!(res.ops[a].kind == UNBOOT_OP_DELETE && res.ops[b].kind == UNBOOT_OP_DELETE &&
                     path_eq(&res.ops[b].path, res.ops[a].path.obj, res.ops[a].path.inst) &&
                     res.ops[a].path.obj != 2),
                   "ops %zu and %zu delete the same instance", a, b);
}

static void check_post_state(const model_set_t *removed, const model_set_t *remaining)
{
    /* Accounts. */
    for (size_t i = 0; i < post.ninst; i++) {
        const model_inst_t *x = &post.inst[i];
        if (x->obj == 0 || x->obj == 1)
            PCHECK(x->ssid == 0 || !model_set_has(removed, (uint16_t)x->ssid),
                   "/%u/%u of removed SSID %d remains", x->obj, x->inst, (int)x->ssid);
    }
    for (size_t i = 0; i < pre.ninst; i++) {
        const model_inst_t *x = &pre.inst[i];
        int kept = model_find_inst(&post, x->obj, x->inst) != NULL;
        if ((x->obj == 0 || x->obj == 1) && (x->ssid == 0 || !model_set_has(removed, (uint16_t)x->ssid)))
            PCHECK(kept, "/%u/%u (ssid %d, not removed) was deleted", x->obj, x->inst, (int)x->ssid);
        if (x->obj == 3 && x->inst == 0) PCHECK(kept, "/3/0 was deleted");
        /* Objects without ACL instances are untouched. */
        int has_acl = 0;
        for (size_t k = 0; k < pre.nacl; k++)
            has_acl |= pre.acl[k].obj == x->obj && pre.acl[k].inst == x->inst;
        if (x->obj != 0 && x->obj != 1 && !has_acl)
            PCHECK(kept, "/%u/%u has no ACL, yet was deleted", x->obj, x->inst);
    }
    /* A remaining server that had both a Security and a Server instance still has both. */
    for (size_t s = 0; s < remaining->n; s++) {
        int had_sec = 0, has_sec = 0;
        for (size_t i = 0; i < pre.ninst; i++)
            had_sec |= pre.inst[i].obj == 0 && pre.inst[i].ssid == remaining->v[s];
        for (size_t i = 0; i < post.ninst; i++)
            has_sec |= post.inst[i].obj == 0 && post.inst[i].ssid == remaining->v[s];
        PCHECK(!had_sec || has_sec, "server %u lost its Security instance", remaining->v[s]);
    }
    model_set_t still = model_servers(&post);
    PCHECK(still.n == remaining->n, "%zu servers remain, model says %zu", still.n, remaining->n);

    for (size_t k = 0; k < post.nacl; k++) {
        const model_acl_t *a = &post.acl[k];
        const model_acl_t *p = model_find_acl(&pre, a->iid);
        PCHECK(p != NULL, "/2/%u appeared", a->iid);
        PCHECK(a->obj == p->obj && a->inst == p->inst, "/2/%u changed its target", a->iid);
        /* No entry or owner names a removed SSID. */
        for (size_t e = 0; e < a->nmap; e++)
            PCHECK(a->map[e].who == 0 || !model_set_has(removed, a->map[e].who), "/2/%u keeps an entry of %u",
                   a->iid, a->map[e].who);
        PCHECK(!model_set_has(removed, a->owner), "/2/%u is still owned by removed %u", a->iid, a->owner);
        /* Someone can still use it. */
        if (a->inst != UNBOOT_INST_OBJECT)
            PCHECK(model_anyone_can_access(a, remaining), "/2/%u: no remaining server can access /%u/%u",
                   a->iid, a->obj, a->inst);
        else
            PCHECK(model_elect(a, remaining, NULL) >= 0, "/2/%u: object-level ACL nobody can own", a->iid);
        /* Owners: re-elected when removed, else kept. */
        int dropped;
        model_acl_t q = without(p, removed, &dropped);
        if (model_set_has(removed, p->owner)) {
            int sc;
            int32_t e = model_elect(&q, remaining, &sc);
            PCHECK(a->owner == e, "/2/%u: owner %u, but the highest score (%d) with the lowest SSID is %d",
                   a->iid, a->owner, sc, (int)e);
        } else {
            PCHECK(a->owner == p->owner, "/2/%u: owner %u changed to %u", a->iid, p->owner, a->owner);
        }
        /* Unaffected instances keep exactly their content. */
        if (!dropped && !model_set_has(removed, p->owner)) {
            PCHECK(a->nmap == p->nmap, "/2/%u: unaffected, yet changed", a->iid);
            for (size_t e = 0; e < p->nmap; e++) {
                int own;
                uint16_t r = model_rights(a, p->map[e].who, &own);
                PCHECK(own && r == p->map[e].rights, "/2/%u: entry %u changed", a->iid, p->map[e].who);
            }
        }
    }
    /* No unprotected instance with an ACL instance is left that nobody can access. */
    for (size_t k = 0; k < pre.nacl; k++) {
        const model_acl_t *p = &pre.acl[k];
        int dropped;
        model_acl_t q = without(p, removed, &dropped);
        if (p->inst == UNBOOT_INST_OBJECT || model_protected(p->obj, p->inst)) continue;
        if (!model_anyone_can_access(&q, remaining))
            PCHECK(model_find_inst(&post, p->obj, p->inst) == NULL && model_find_acl(&post, p->iid) == NULL,
                   "/%u/%u (ACL /2/%u) is left though no remaining server can access it", p->obj, p->inst,
                   p->iid);
    }
    /* The planner's after table is the client's ACL object. */
    PCHECK(res.nafter == post.nacl, "after has %zu ACL instances, the client %zu", res.nafter, post.nacl);
    for (size_t k = 0; k < res.nafter; k++) {
        const model_acl_t *a = model_find_acl(&post, res.after[k].iid);
        PCHECK(a && model_acl_equals(a, &res.after[k]), "after[%zu] (/2/%u) differs from the client", k,
               res.after[k].iid);
        if (k) PCHECK(res.after[k - 1].iid < res.after[k].iid, "after is not ascending at %zu", k);
    }
}

static void run_case(void)
{
    model_set_t present;
    size_t at = 0;

    post_valid = 0;
    model_to_state(&pre, cur.acl_known, cur.have_insts, &st);
    st_copy = st;
    memset(&res, 0xa5, sizeof(res));
    int rc = unboot_plan(&st, cur.req, cur.nreq, &res);
    PCHECK(rc == 0, "unboot_plan returned %d", rc);
    PCHECK(memcmp(&st, &st_copy, sizeof(st)) == 0, "unboot_plan changed its input");
    PCHECK(res.nops <= UNBOOT_MAX_OPS && res.nchanges <= UNBOOT_MAX_ACL && res.nafter <= UNBOOT_MAX_ACL,
           "counts out of bounds");
    PCHECK(!!res.acl_unknown == !cur.acl_known, "acl_unknown %d", res.acl_unknown);

    /* What the planner sees decides what is present. */
    tmp = pre;
    if (!cur.acl_known) tmp.nacl = 0;
    present = model_present(&tmp, cur.req, cur.nreq);
    check_request_split(&present);
    model_set_t remaining = model_remaining(&pre, &present);

    /* Apply the plan to a client that does not run §5.2.5 itself. */
    post = pre;
    rc = apply_plan(&post, &res, &at);
    PCHECK(rc == MODEL_OK, "op %zu fails on the client: %d", at, rc);
    post_valid = 1;

    size_t start = check_account_tail(&present);
    if (!cur.acl_known)
        PCHECK(start == 0 && res.nchanges == 0, "ACLs unknown, yet %zu ACL operations", start);
    if (cur.acl_known && present.n > 0) { /* with nothing present the plan is empty (checked above) */
        check_acl_phase(start, &present, &remaining);
        check_post_state(&present, &remaining);
    }

    /* Then the whole state: the spec's outcome, computed by the client model. */
    expect = pre;
    if (cur.acl_known) {
        model_unbootstrap(&expect, &present);
    } else {
        tmp = pre;
        tmp.nacl = 0;
        model_unbootstrap(&tmp, &present);
        tmp.nacl = pre.nacl; /* the client keeps its ACL instances as they are */
        expect = tmp;
    }
    if (!model_equal(&post, &expect)) model_dump(&expect, "client as the spec has it");
    PCHECK(model_equal(&post, &expect), "the client after the plan differs from the spec's outcome");

    if (cur.acl_known && present.n > 0) {
        /* A client that runs §5.2.5 itself on the final Deletes ends the same. */
        selfc = pre;
        selfc.self_unboot = 1;
        rc = apply_plan(&selfc, &res, &at);
        PCHECK(rc == MODEL_OK, "op %zu fails on a self-unbootstrapping client: %d", at, rc);
        selfc.self_unboot = 0;
        if (!model_equal(&selfc, &post)) model_dump(&selfc, "self-unbootstrapping client");
        PCHECK(model_equal(&selfc, &post), "a client running §5.2.5 itself ends in another state");
    }

    /* Determinism: the same input twice, then ACLs in another order and the
     * request shuffled with a duplicate. */
    memset(&res2, 0x5a, sizeof(res2));
    PCHECK(unboot_plan(&st, cur.req, cur.nreq, &res2) == 0 && results_equal(&res, &res2),
           "second plan differs");
    st2 = st;
    SHUFFLE(st2.acl, st2.nacl, unboot_acl_t);
    SHUFFLE(st2.sec, st2.nsec, unboot_account_t);
    SHUFFLE(st2.srv, st2.nsrv, unboot_account_t);
    SHUFFLE(st2.insts, st2.ninsts, lwm2m_path_t);
    uint16_t req2[MAXREQ + 1];
    size_t n2 = 0;
    for (size_t i = cur.nreq; i > 0; i--)
        req2[n2++] = cur.req[i - 1];
    req2[n2++] = cur.req[0];
    PCHECK(unboot_plan(&st2, req2, n2, &res2) == 0 && results_equal(&res, &res2),
           "the plan depends on the order of the ACL instances or of the request");

    /* Idempotence: the same request on the client after the plan is empty. */
    model_to_state(&post, cur.acl_known, cur.have_insts, &st2);
    PCHECK(unboot_plan(&st2, cur.req, cur.nreq, &res2) == 0, "replan failed");
    if (cur.acl_known)
        PCHECK(res2.nremoved == 0 && res2.nops == 0 && res2.nchanges == 0,
               "planning again after the plan: %zu removed, %zu ops", res2.nremoved, res2.nops);
    else
        PCHECK(res2.nremoved == 0 && res2.nops == 0, "planning again (ACLs unknown): %zu ops", res2.nops);
}

static void run_profile(uint64_t seed, const profile_t *pf)
{
    model_set_t servers;
    cur.seed = seed;
    rng = seed;
    for (cur.n = 0; cur.n < CASES; cur.n++) {
        gen_client(pf, &servers);
        run_case();
    }
}

START_TEST(test_prop_typical)
{
    profile_t pf = {
        .max_servers = 3, .max_acl = 8, .max_entries = 4, .pct_acl_unknown = 0, .pct_have_insts = 70};
    run_profile(0x5eed0001u, &pf);
}
END_TEST

START_TEST(test_prop_crowded)
{
    profile_t pf = {
        .max_servers = 6, .max_acl = 40, .max_entries = 8, .pct_acl_unknown = 0, .pct_have_insts = 50};
    run_profile(0x5eed0002u, &pf);
}
END_TEST

START_TEST(test_prop_acl_unknown)
{
    profile_t pf = {
        .max_servers = 6, .max_acl = 6, .max_entries = 4, .pct_acl_unknown = 100, .pct_have_insts = 50};
    run_profile(0x5eed0003u, &pf);
}
END_TEST

/* ---- hand-written cases from the spec text ---- */

/* Builds a client: servers 1..n as given, each /0/k and /1/k with k = its index + 1;
 * the Bootstrap-Server account is /0/0; /3/0 and /3303/0../3303/3 exist. */
static void hw_client(const uint16_t *ssids, size_t n)
{
    memset(&pre, 0, sizeof(pre));
    model_add_inst(&pre, 0, 0, 0);
    for (size_t i = 0; i < n; i++) {
        model_add_inst(&pre, 0, (uint16_t)(i + 1), ssids[i]);
        model_add_inst(&pre, 1, (uint16_t)(i + 1), ssids[i]);
    }
    model_add_inst(&pre, 3, 0, MODEL_NO_SSID);
    for (uint16_t i = 0; i < 4; i++)
        model_add_inst(&pre, 3303, i, MODEL_NO_SSID);
    cur.seed = 0;
    cur.n = -1;
    cur.acl_known = 1;
    cur.have_insts = 1;
}

/* Adds ACL instance /2/iid -> /obj/inst owned by |owner|; |ent| is a list of
 * (ssid, rights) pairs ending with a pair whose rights are 0xffff. */
static void hw_acl(uint16_t iid, uint16_t obj, uint16_t inst, uint16_t owner, const uint16_t (*ent)[2])
{
    model_acl_t a = {.iid = iid, .obj = obj, .inst = inst, .owner = owner};
    for (; ent[0][1] != 0xffff; ent++) {
        a.map[a.nmap].who = ent[0][0];
        a.map[a.nmap].rights = ent[0][1];
        a.nmap++;
    }
    model_add_acl(&pre, &a);
}

/* Plans removing |rm|, runs every property check, and compares the
 * operations with |want| ("delete /2/1; write /2/1; ..."). */
/* Plans removing |req| and runs every property check. */
static void hw_run(const uint16_t *req, size_t n)
{
    memcpy(cur.req, req, n * sizeof(req[0]));
    cur.nreq = n;
    rng = 1;
    run_case();
}

static void hw_expect(uint16_t rm, const char *want)
{
    char got[1024] = "", b[96];
    hw_run(&rm, 1);
    for (size_t i = 0; i < res.nops; i++) {
        if (i) strncat(got, "; ", sizeof(got) - strlen(got) - 1);
        strncat(got, op_text(&res.ops[i], b, sizeof(b)), sizeof(got) - strlen(got) - 1);
    }
    ck_assert_str_eq(got, want);
}

static const unboot_acl_t *after_of(uint16_t iid)
{
    for (size_t i = 0; i < res.nafter; i++)
        if (res.after[i].iid == iid) return &res.after[i];
    return NULL;
}

#define R UNBOOT_R
#define W UNBOOT_W
#define E UNBOOT_E
#define D UNBOOT_D
#define C UNBOOT_C
#define END                                                                                                  \
    {                                                                                                        \
        0, 0xffff                                                                                            \
    }

START_TEST(test_elect_write_delete_one_point_each)
{
    /* §5.2.5 as LWM2M-BOOTSTRAP.md states it: Write 1 and Delete 1, not the
     * raw bits (W=2, D=8): R+D (1 point) and W (1 point) tie, lowest SSID
     * wins; R+E+C (raw 21, the largest) scores 0. */
    const uint16_t s[] = {2, 3, 5, 7};
    hw_client(s, 4);
    hw_acl(1, 3303, 0, 7, (const uint16_t[][2]){{2, R | D}, {3, R | E | C}, {5, W}, {7, R | W | D}, END});
    hw_expect(7, "delete /2/1; write /2/1; delete /1/4; delete /0/4");
    ck_assert_uint_eq(after_of(1)->owner, 2);
    ck_assert_uint_eq(res.changes[0].score, 1);
    ck_assert_uint_eq(res.changes[0].owner_from, 7);

    /* W+D (2 points) beats D alone whatever the SSIDs. */
    hw_client(s, 4);
    hw_acl(1, 3303, 0, 7, (const uint16_t[][2]){{2, D}, {5, W | D}, {7, R | W | D}, END});
    hw_expect(7, "delete /2/1; write /2/1; delete /1/4; delete /0/4");
    ck_assert_uint_eq(after_of(1)->owner, 5);
    ck_assert_uint_eq(res.changes[0].score, 2);
}
END_TEST

START_TEST(test_elect_never_ssid0_or_nonserver)
{
    /* The default entry (0) grants everything but 0 is never a server; SSID 9
     * has an entry but no Server instance: 4, with R only (score 0), wins. */
    const uint16_t s[] = {4, 6};
    hw_client(s, 2);
    hw_acl(3, 3303, 1, 6, (const uint16_t[][2]){{0, R | W | E | D}, {4, R}, {6, W | D}, {9, W | D}, END});
    hw_expect(6, "delete /2/3; write /2/3; delete /1/2; delete /0/2");
    ck_assert_uint_eq(after_of(3)->owner, 4);
    ck_assert_uint_eq(after_of(3)->nent, 3); /* 0, 4, 9 stay */
}
END_TEST

START_TEST(test_elect_default_entry)
{
    /* No remaining server has its own entry: those that access through the
     * default entry are the candidates, all with its score; lowest SSID. */
    const uint16_t s[] = {1, 2, 3};
    hw_client(s, 3);
    hw_acl(0, 3303, 2, 1, (const uint16_t[][2]){{0, W}, {1, R | W | D}, END});
    hw_expect(1, "delete /2/0; write /2/0; delete /1/1; delete /0/1");
    ck_assert_uint_eq(after_of(0)->owner, 2);

    /* An own entry with no rights still makes the candidate (header step 2),
     * while the target stays reachable through the default entry. */
    hw_client(s, 3);
    hw_acl(0, 3303, 2, 1, (const uint16_t[][2]){{0, R | W | D}, {1, R | W | D}, {3, 0}, END});
    hw_expect(1, "delete /2/0; write /2/0; delete /1/1; delete /0/1");
    ck_assert_uint_eq(after_of(0)->owner, 3);
}
END_TEST

START_TEST(test_only_server_instance_deleted)
{
    /* Only server 1 could access /3303/0: instance and ACL go, then the
     * account, Server instance first. */
    const uint16_t s[] = {1, 2};
    hw_client(s, 2);
    hw_acl(4, 3303, 0, 1, (const uint16_t[][2]){{1, R | W}, {2, 0}, END});
    hw_acl(5, 3303, 1, 2, (const uint16_t[][2]){{1, R}, {2, R}, END});
    hw_expect(1, "delete /3303/0; delete /2/4; delete /2/5; write /2/5; delete /1/1; delete /0/1");
    ck_assert_uint_eq(res.changes[0].kind, UNBOOT_CH_DELETED);
    ck_assert_uint_eq(after_of(5)->owner, 2); /* owner 2 is kept */
    ck_assert_ptr_null(after_of(4));

    /* The client did not list /3303/0 (have_insts): only the ACL instance goes. */
    hw_client(s, 2);
    pre.ninst--; /* /3303/3 */
    hw_acl(4, 3303, 3, 1, (const uint16_t[][2]){{1, R | W}, END});
    hw_expect(1, "delete /2/4; delete /1/1; delete /0/1");
}
END_TEST

START_TEST(test_protected_and_object_level)
{
    /* /3/0 and /1/x are never deleted, only their ACL instances; an
     * object-level ACL instance keeps its object, and goes only when nobody
     * is left to own it. */
    const uint16_t s[] = {1, 2};
    hw_client(s, 2);
    hw_acl(1, 3, 0, 1, (const uint16_t[][2]){{1, R | W | E}, END});
    hw_acl(2, 1, 1, 1, (const uint16_t[][2]){{1, R | W}, END});
    hw_acl(3, 3303, UNBOOT_INST_OBJECT, 1, (const uint16_t[][2]){{1, C}, END});
    hw_acl(4, 3304, UNBOOT_INST_OBJECT, 1, (const uint16_t[][2]){{1, C}, {2, C}, END});
    hw_expect(1, "delete /2/1; delete /2/2; delete /2/3; delete /2/4; write /2/4; delete /1/1; delete /0/1");
    ck_assert_uint_eq(res.changes[0].kind, UNBOOT_CH_DELETED_ACL);
    ck_assert_uint_eq(res.changes[2].kind, UNBOOT_CH_DELETED_ACL);
    ck_assert_uint_eq(after_of(4)->owner, 2);
    ck_assert_uint_eq(after_of(4)->nent, 1);
}
END_TEST

START_TEST(test_owner_bs_kept_and_unaffected_untouched)
{
    /* An owner 65535 ("bootstrap only") is kept; an instance the removed
     * server has nothing to do with gets no operation. */
    const uint16_t s[] = {1, 2};
    hw_client(s, 2);
    hw_acl(1, 3303, 0, UNBOOT_OWNER_BS, (const uint16_t[][2]){{1, R}, {2, R}, END});
    hw_acl(2, 3303, 1, 2, (const uint16_t[][2]){{2, R | W}, END});
    hw_expect(1, "delete /2/1; write /2/1; delete /1/1; delete /0/1");
    ck_assert_uint_eq(after_of(1)->owner, UNBOOT_OWNER_BS);
    ck_assert_uint_eq(res.nchanges, 1);
    ck_assert_uint_eq(res.nafter, 2);
}
END_TEST

START_TEST(test_request_split)
{
    /* 0 and 65535 are ignored, the BS account stays, 42 is absent. */
    const uint16_t s[] = {1, 2};
    hw_client(s, 2);
    const uint16_t req[] = {65535, 42, 0, 2, 2};
    hw_run(req, 5);
    ck_assert_uint_eq(res.nremoved, 1);
    ck_assert_uint_eq(res.removed[0], 2);
    ck_assert_uint_eq(res.nabsent, 1);
    ck_assert_uint_eq(res.absent[0], 42);
    ck_assert_uint_eq(res.nops, 2);

    /* Nothing present: an empty plan. */
    hw_expect(42, "");
    ck_assert_uint_eq(res.nremoved, 0);
}
END_TEST

START_TEST(test_acl_unknown_fallback)
{
    /* LwM2M 1.0 client (no Bootstrap-Read): the accounts only. */
    const uint16_t s[] = {1, 2};
    hw_client(s, 2);
    hw_acl(1, 3303, 0, 1, (const uint16_t[][2]){{1, R | W}, END});
    model_add_inst(&pre, 1, 9, 1); /* a second Server instance of 1 */
    cur.acl_known = 0;
    hw_expect(1, "delete /1/1; delete /1/9; delete /0/1");
    ck_assert_int_eq(res.acl_unknown, 1);
    ck_assert_uint_eq(res.nchanges, 0);
}
END_TEST

START_TEST(test_bounds)
{
    const uint16_t s[] = {1, 2};
    uint16_t req[UNBOOT_MAX_REMOVE + 1];
    for (size_t i = 0; i < UNBOOT_MAX_REMOVE + 1; i++)
        req[i] = (uint16_t)(i + 1);
    hw_client(s, 2);
    hw_acl(1, 3303, 0, 1, (const uint16_t[][2]){{1, R}, {2, R}, END});
    model_to_state(&pre, 1, 1, &st);

    memset(&res, 0xa5, sizeof(res));
    ck_assert_int_eq(unboot_plan(&st, req, UNBOOT_MAX_REMOVE + 1, &res), LWM2M_ERR_RANGE);
    ck_assert(res.nops == 0 && res.nremoved == 0 && res.nchanges == 0 && res.nafter == 0);
    ck_assert_int_eq(unboot_plan(&st, req, UNBOOT_MAX_REMOVE, &res), 0);

    st2 = st;
    st2.acl[0].nent = UNBOOT_MAX_ENTRIES + 1;
    for (uint16_t i = 0; i < UNBOOT_MAX_ENTRIES; i++)
        st2.acl[0].ent[i].ssid = i; /* sorted: the count alone is over */
    ck_assert_int_eq(unboot_plan(&st2, req, 1, &res), LWM2M_ERR_RANGE);

    st2 = st;
    st2.acl[0].ent[0].ssid = 2;
    st2.acl[0].ent[1].ssid = 1; /* unsorted */
    memset(&res, 0xa5, sizeof(res));
    ck_assert_int_eq(unboot_plan(&st2, req, 1, &res), LWM2M_ERR_RANGE);
    ck_assert(res.nops == 0 && res.nchanges == 0 && res.nafter == 0);
    st2.acl[0].ent[0].ssid = 1; /* duplicate */
    ck_assert_int_eq(unboot_plan(&st2, req, 1, &res), LWM2M_ERR_RANGE);

    st2 = st;
    st2.acl[1] = st2.acl[0]; /* two instances with one iid */
    st2.acl[1].obj = 5;
    st2.nacl = 2;
    ck_assert_int_eq(unboot_plan(&st2, req, 1, &res), LWM2M_ERR_RANGE);
}
END_TEST

START_TEST(test_model_refuses_forbidden)
{
    /* The model itself: what the spec forbids fails on the client. */
    const uint16_t s[] = {1};
    hw_client(s, 1);
    lwm2m_path_t bs = lwm2m_path(2, 0, 0, 0, 0), dev = lwm2m_path(2, 3, 0, 0, 0),
                 obj = lwm2m_path(1, 3303, 0, 0, 0);
    ck_assert_int_eq(model_apply_delete(&pre, &bs), MODEL_ERR_FORBIDDEN);
    ck_assert_int_eq(model_apply_delete(&pre, &dev), MODEL_ERR_FORBIDDEN);
    ck_assert_int_eq(model_apply_delete(&pre, &obj), MODEL_ERR_FORBIDDEN);
    unboot_acl_t a = {.iid = 1, .obj = 3303, .inst = 0, .owner = 1};
    lwm2m_path_t srv = lwm2m_path(2, 1, 1, 0, 0), wrong = lwm2m_path(2, 2, 2, 0, 0);
    ck_assert_int_eq(model_apply_write_acl(&pre, &srv, &a), MODEL_ERR_FORBIDDEN);
    ck_assert_int_eq(model_apply_write_acl(&pre, &wrong, &a), MODEL_ERR_FORBIDDEN);
    ck_assert_int_eq(model_apply_delete(&pre, &srv), MODEL_OK);
    ck_assert_int_eq(model_apply_delete(&pre, &srv), MODEL_ERR_MISSING);
}
END_TEST

static Suite *unboot_prop_suite(void)
{
    Suite *s = suite_create("unboot_prop");
    TCase *tc = tcase_create("properties");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_prop_typical);
    tcase_add_test(tc, test_prop_crowded);
    tcase_add_test(tc, test_prop_acl_unknown);
    suite_add_tcase(s, tc);
    tc = tcase_create("spec");
    tcase_add_test(tc, test_elect_write_delete_one_point_each);
    tcase_add_test(tc, test_elect_never_ssid0_or_nonserver);
    tcase_add_test(tc, test_elect_default_entry);
    tcase_add_test(tc, test_only_server_instance_deleted);
    tcase_add_test(tc, test_protected_and_object_level);
    tcase_add_test(tc, test_owner_bs_kept_and_unaffected_untouched);
    tcase_add_test(tc, test_request_split);
    tcase_add_test(tc, test_acl_unknown_fallback);
    tcase_add_test(tc, test_bounds);
    tcase_add_test(tc, test_model_refuses_forbidden);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(unboot_prop_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
