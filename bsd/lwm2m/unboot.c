/*
 * unboot.c — the unbootstrap planner (see unboot.h for the rules).
 *
 * Three passes over fixed-size tables: validate the state and work out
 * which requested SSIDs are present; examine every Access Control
 * instance in ascending iid (drop entries, decide deletion or rewrite,
 * elect an owner); then delete the removed accounts. Nothing allocates.
 */
#include "bsd/lwm2m/unboot.h"

#include <stdio.h>
#include <string.h>

#define OBJ_SECURITY 0
#define OBJ_SERVER   1
#define OBJ_ACL      2
#define OBJ_DEVICE   3
#define OBJ_OSCORE   21

static int in_set(const uint16_t *set, size_t n, uint16_t v)
{
    for (size_t i = 0; i < n; i++)
        if (set[i] == v) return 1;
    return 0;
}

static void sort_u16(uint16_t *v, size_t n)
{
    for (size_t i = 1; i < n; i++)
        for (size_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
            uint16_t t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
}

/* ---- validation ------------------------------------------------------------ */

static int state_ok(const unboot_state_t *st)
{
    if (st->nsec > UNBOOT_MAX_ACCOUNTS || st->nsrv > UNBOOT_MAX_ACCOUNTS || st->nacl > UNBOOT_MAX_ACL ||
        st->ninsts > UNBOOT_MAX_INSTS)
        return 0;
    for (size_t i = 0; i < st->nacl; i++) {
        const unboot_acl_t *a = &st->acl[i];
        if (a->nent > UNBOOT_MAX_ENTRIES) return 0;
        for (unsigned k = 1; k < a->nent; k++)
            if (a->ent[k - 1].ssid >= a->ent[k].ssid) return 0;
        for (size_t j = 0; j < i; j++)
            if (st->acl[j].iid == a->iid) return 0;
    }
    return 1;
}

/* ---- the definitions --------------------------------------------------------- */

/* A remaining server: 1..65534, has a Server instance, not being removed. */
static int is_remaining(const unboot_state_t *st, const uint16_t *rm, size_t nrm, uint16_t ssid)
{
    if (ssid < 1 || ssid > LWM2M_MAX_ID || in_set(rm, nrm, ssid)) return 0;
    for (size_t i = 0; i < st->nsrv; i++)
        if (st->srv[i].ssid == ssid) return 1;
    return 0;
}

static const unboot_entry_t *entry_of(const unboot_acl_t *a, uint16_t ssid)
{
    for (unsigned k = 0; k < a->nent; k++)
        if (a->ent[k].ssid == ssid) return &a->ent[k];
    return NULL;
}

static int can_access(const unboot_acl_t *a, uint16_t ssid)
{
    const unboot_entry_t *own = entry_of(a, ssid);
    if (own) return own->rights != 0;
    const unboot_entry_t *def = entry_of(a, 0);
    return def && def->rights != 0;
}

static unsigned score_of(uint16_t rights)
{
    return ((rights & UNBOOT_W) ? 1u : 0u) + ((rights & UNBOOT_D) ? 1u : 0u);
}

/* Any remaining server that can access the target of |a|. */
static int anyone_can_access(const unboot_state_t *st, const uint16_t *rm, size_t nrm, const unboot_acl_t *a)
{
    for (size_t i = 0; i < st->nsrv; i++)
        if (is_remaining(st, rm, nrm, st->srv[i].ssid) && can_access(a, st->srv[i].ssid)) return 1;
    return 0;
}

/*
 * The elected owner of |a| (entries already dropped): the highest score
 * among the remaining servers with their own entry, else among those that
 * access through the default entry; ties to the lowest SSID. 0 = none.
 */
static uint16_t elect(const unboot_state_t *st, const uint16_t *rm, size_t nrm, const unboot_acl_t *a,
                      uint8_t *score)
{
    uint16_t best = 0;
    unsigned best_score = 0;
    for (unsigned k = 0; k < a->nent; k++) {
        uint16_t s = a->ent[k].ssid;
        if (!is_remaining(st, rm, nrm, s)) continue;
        unsigned sc = score_of(a->ent[k].rights);
        /* entries are in ascending SSID order: a tie keeps the lower one */
        if (!best || sc > best_score) {
            best = s;
            best_score = sc;
        }
    }
    if (!best) {
        const unboot_entry_t *def = entry_of(a, 0);
        if (def && def->rights) {
            /* everyone without an own entry accesses through it: same score, lowest SSID */
            for (size_t i = 0; i < st->nsrv; i++) {
                uint16_t s = st->srv[i].ssid;
                if (is_remaining(st, rm, nrm, s) && !entry_of(a, s) && (!best || s < best)) best = s;
            }
            best_score = score_of(def->rights);
        }
    }
    *score = (uint8_t)(best ? best_score : 0);
    return best;
}

static int is_protected(uint16_t obj, uint16_t inst)
{
    /* An Access Control instance that names another one (object 2) is an
     * anomaly of the client: the Access Control object is governed by its
     * owners, not by itself. Deleting the instance it names as a "target"
     * would fight with that instance's own plan, so it is never a target. */
    return obj == OBJ_SECURITY || obj == OBJ_SERVER || obj == OBJ_ACL || obj == OBJ_OSCORE ||
           (obj == OBJ_DEVICE && inst == 0);
}

static int listed(const unboot_state_t *st, uint16_t obj, uint16_t inst)
{
    if (!st->have_insts) return 1;
    for (size_t i = 0; i < st->ninsts; i++)
        if (st->insts[i].depth >= 2 && st->insts[i].obj == obj && st->insts[i].inst == inst) return 1;
    return 0;
}

/* ---- the plan ------------------------------------------------------------------- */

static int add_op(unboot_result_t *r, uint8_t kind, uint16_t obj, uint16_t inst, uint16_t acl)
{
    lwm2m_path_t p = lwm2m_path(2, obj, inst, 0, 0);
    if (kind == UNBOOT_OP_DELETE)
        for (size_t i = 0; i < r->nops; i++)
            if (r->ops[i].kind == UNBOOT_OP_DELETE && lwm2m_path_cmp(&r->ops[i].path, &p) == 0)
                return 0; /* deleted once, at its first place */
    if (r->nops >= UNBOOT_MAX_OPS) return LWM2M_ERR_RANGE;
    /* field by field into the zeroed result: padding stays 0, so equal
     * plans are equal byte for byte */
    unboot_op_t *o = &r->ops[r->nops++];
    o->kind = kind;
    o->path.depth = 2;
    o->path.obj = obj;
    o->path.inst = inst;
    o->acl = acl;
    return 0;
}

/* Whether |ssid| appears in the state at all. */
static int present(const unboot_state_t *st, uint16_t ssid)
{
    for (size_t i = 0; i < st->nsec; i++)
        if (st->sec[i].ssid == ssid) return 1;
    for (size_t i = 0; i < st->nsrv; i++)
        if (st->srv[i].ssid == ssid) return 1;
    if (!st->acl_known) return 0;
    for (size_t i = 0; i < st->nacl; i++)
        if (st->acl[i].owner == ssid || entry_of(&st->acl[i], ssid)) return 1;
    return 0;
}

/* The ACL instances in ascending iid (indexes into st->acl). */
static void acl_order(const unboot_state_t *st, uint16_t *idx)
{
    for (size_t i = 0; i < st->nacl; i++) {
        size_t j = i;
        while (j > 0 && st->acl[idx[j - 1]].iid > st->acl[i].iid) {
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = (uint16_t)i;
    }
}

/* Copies |in| into the zeroed slot |a| without the entries of the removed
 * SSIDs |rm|; returns how many were dropped. */
static unsigned copy_acl(unboot_acl_t *a, const unboot_acl_t *in, const uint16_t *rm, size_t nrm)
{
    unsigned dropped = 0;
    a->iid = in->iid;
    a->obj = in->obj;
    a->inst = in->inst;
    a->owner = in->owner;
    for (unsigned i = 0; i < in->nent; i++) {
        if (in_set(rm, nrm, in->ent[i].ssid))
            dropped++;
        else
            a->ent[a->nent++] = in->ent[i];
    }
    return dropped;
}

/* Plans ACL instance |in|. Its copy and its change are built in place in
 * the next free (zeroed) slots of |r| and kept only when they belong to
 * the result. */
static int plan_acl(const unboot_state_t *st, const uint16_t *rm, size_t nrm, const unboot_acl_t *in,
                    unboot_result_t *r)
{
    unboot_acl_t *a = &r->after[r->nafter];
    unboot_change_t *ch = &r->changes[r->nchanges];
    unsigned dropped = copy_acl(a, in, rm, nrm);
    ch->iid = a->iid;
    ch->obj = a->obj;
    ch->inst = a->inst;
    ch->dropped = (uint8_t)dropped;
    int rc = 0;
    if (a->inst != UNBOOT_INST_OBJECT && !anyone_can_access(st, rm, nrm, a)) {
        if (is_protected(a->obj, a->inst)) {
            ch->kind = UNBOOT_CH_DELETED_ACL;
        } else {
            ch->kind = UNBOOT_CH_DELETED;
            if (listed(st, a->obj, a->inst)) {
                rc = add_op(r, UNBOOT_OP_DELETE, a->obj, a->inst, 0);
                ch->target_deleted = 1;
            }
        }
        if (rc == 0) rc = add_op(r, UNBOOT_OP_DELETE, OBJ_ACL, a->iid, 0);
        memset(a, 0, sizeof(*a));
        r->nchanges++;
        return rc;
    }
    uint8_t score = 0;
    uint16_t elected = elect(st, rm, nrm, a, &score);
    if (!elected) { /* object level with nobody left to own it */
        ch->kind = UNBOOT_CH_DELETED_ACL;
        memset(a, 0, sizeof(*a));
        r->nchanges++;
        return add_op(r, UNBOOT_OP_DELETE, OBJ_ACL, ch->iid, 0);
    }
    if (in_set(rm, nrm, a->owner)) {
        ch->owner_changed = 1;
        ch->owner_from = a->owner;
        ch->owner_to = elected;
        ch->score = score;
        a->owner = elected;
    }
    uint16_t at = (uint16_t)r->nafter++;
    if (!dropped && !ch->owner_changed) { /* unchanged: no operation */
        memset(ch, 0, sizeof(*ch));
        return 0;
    }
    ch->kind = UNBOOT_CH_REWRITTEN;
    r->nchanges++;
    if ((rc = add_op(r, UNBOOT_OP_DELETE, OBJ_ACL, a->iid, 0)) != 0) return rc;
    return add_op(r, UNBOOT_OP_WRITE_ACL, OBJ_ACL, a->iid, at);
}

static int plan_accounts(const unboot_state_t *st, unboot_result_t *r)
{
    for (size_t n = 0; n < r->nremoved; n++) {
        uint16_t s = r->removed[n];
        for (int pass = 0; pass < 2; pass++) {
            const unboot_account_t *acc = pass == 0 ? st->srv : st->sec;
            size_t cnt = pass == 0 ? st->nsrv : st->nsec;
            uint16_t ids[UNBOOT_MAX_ACCOUNTS];
            size_t m = 0;
            for (size_t i = 0; i < cnt; i++)
                if (acc[i].ssid == s) ids[m++] = acc[i].iid;
            sort_u16(ids, m);
            for (size_t i = 0; i < m; i++) {
                int r0 = add_op(r, UNBOOT_OP_DELETE, pass == 0 ? OBJ_SERVER : OBJ_SECURITY, ids[i], 0);
                if (r0 != 0) return r0;
            }
        }
    }
    return 0;
}

int unboot_plan(const unboot_state_t *state, const uint16_t *remove, size_t nremove, unboot_result_t *out)
{
    memset(out, 0, sizeof(*out));
    if (!state || (nremove && !remove) || nremove > UNBOOT_MAX_REMOVE || !state_ok(state))
        return LWM2M_ERR_RANGE;
    uint16_t req[UNBOOT_MAX_REMOVE];
    size_t nreq = 0;
    for (size_t i = 0; i < nremove; i++)
        if (remove[i] >= 1 && remove[i] <= LWM2M_MAX_ID && !in_set(req, nreq, remove[i]))
            req[nreq++] = remove[i];
    sort_u16(req, nreq);
    for (size_t i = 0; i < nreq; i++)
        if (present(state, req[i]))
            out->removed[out->nremoved++] = req[i];
        else
            out->absent[out->nabsent++] = req[i];
    out->acl_unknown = !state->acl_known;
    int r = 0;
    if (state->acl_known) {
        uint16_t idx[UNBOOT_MAX_ACL];
        acl_order(state, idx);
        for (size_t i = 0; i < state->nacl && r == 0; i++) {
            if (out->nremoved)
                r = plan_acl(state, out->removed, out->nremoved, &state->acl[idx[i]], out);
            else /* nothing removed: the table stays as it is */
                copy_acl(&out->after[out->nafter++], &state->acl[idx[i]], NULL, 0);
        }
    }
    if (r == 0 && out->nremoved) r = plan_accounts(state, out);
    if (r != 0) {
        memset(out, 0, sizeof(*out));
        return r;
    }
    return 0;
}

/* ---- records ---------------------------------------------------------------------- */

static int rec_int(const lwm2m_record_t *r, int64_t *v)
{
    switch (r->v.type) {
    case LWM2M_T_INTEGER: *v = r->v.i; return 0;
    case LWM2M_T_UNSIGNED:
        if (r->v.u > INT64_MAX) return -1;
        *v = (int64_t)r->v.u;
        return 0;
    case LWM2M_T_FLOAT:
        if (!(r->v.f >= 0 && r->v.f <= 65535) || r->v.f != (double)(int64_t)r->v.f) return -1;
        *v = (int64_t)r->v.f;
        return 0;
    case LWM2M_T_RAW: return lwm2m_raw_as_int(&r->v, v) == 0 ? 0 : -1;
    default: return -1;
    }
}

/* Reads the records of one ACL instance (those from |*i| on with its
 * iid) into |a|; |*has_target| tells whether resources 0 and 1 were there.
 * Returns 0 or LWM2M_ERR_FORMAT. */
static int read_instance(const lwm2m_record_t *recs, size_t n, size_t *i, unboot_acl_t *a, int *has_target)
{
    unsigned seen = 0; /* bit k: resource k (0, 1, 3) already read */
    for (; *i < n && recs[*i].path.obj == OBJ_ACL && recs[*i].path.inst == a->iid; (*i)++) {
        const lwm2m_record_t *r = &recs[*i];
        int64_t v;
        if (r->path.depth < 3) return LWM2M_ERR_FORMAT;
        if (r->path.res > 3) continue; /* unknown resources are ignored */
        if (rec_int(r, &v) != 0) return LWM2M_ERR_FORMAT;
        if (r->path.res == 2) {
            if (r->path.depth != 4 || v < 0 || v > 255) return LWM2M_ERR_FORMAT;
            if (a->nent >= UNBOOT_MAX_ENTRIES) return LWM2M_ERR_LIMIT; /* beyond the bounds */
            uint16_t s = r->path.rinst;
            unsigned at = a->nent;
            while (at > 0 && a->ent[at - 1].ssid > s) {
                a->ent[at] = a->ent[at - 1];
                at--;
            }
            if (at > 0 && a->ent[at - 1].ssid == s) return LWM2M_ERR_FORMAT; /* one entry twice */
            a->ent[at] = (unboot_entry_t){s, (uint16_t)v};
            a->nent++;
            continue;
        }
        /* a resource twice: which value the client holds is unknown */
        if (r->path.depth != 3 || v < 0 || v > 65535 || (seen & (1u << r->path.res))) return LWM2M_ERR_FORMAT;
        seen |= 1u << r->path.res;
        if (r->path.res == 0)
            a->obj = (uint16_t)v;
        else if (r->path.res == 1)
            a->inst = (uint16_t)v;
        else
            a->owner = (uint16_t)v;
    }
    *has_target = (seen & 3u) == 3u;
    return 0;
}

int unboot_acl_from_records(unboot_state_t *st, const lwm2m_record_t *recs, size_t n)
{
    int rc = 0;
    st->acl_known = 0;
    st->nacl = 0;
    for (size_t i = 0; i < n && rc == 0;) {
        if (recs[i].path.depth < 3 || recs[i].path.obj != OBJ_ACL) {
            rc = LWM2M_ERR_FORMAT;
            break;
        }
        unboot_acl_t a = {0};
        a.iid = recs[i].path.inst;
        int has_target = 0;
        if ((rc = read_instance(recs, n, &i, &a, &has_target)) != 0) break;
        for (size_t k = 0; k < st->nacl; k++)
            if (st->acl[k].iid == a.iid) rc = LWM2M_ERR_FORMAT; /* the same instance twice, apart */
        if (rc != 0 || !has_target) continue;
        if (st->nacl >= UNBOOT_MAX_ACL)
            rc = LWM2M_ERR_LIMIT;
        else
            st->acl[st->nacl++] = a;
    }
    if (rc != 0) {
        st->nacl = 0;
        return rc;
    }
    st->acl_known = 1;
    return (int)st->nacl;
}

int unboot_acl_records(const unboot_acl_t *a, lwm2m_record_t *out, size_t cap)
{
    size_t need = 3 + (size_t)a->nent;
    if (cap < need || a->nent > UNBOOT_MAX_ENTRIES) return LWM2M_ERR_NOSPACE;
    size_t n = 0;
    out[n++] = (lwm2m_record_t){.path = lwm2m_path(3, OBJ_ACL, a->iid, 0, 0),
                                .v = {.type = LWM2M_T_INTEGER, .i = a->obj}};
    out[n++] = (lwm2m_record_t){.path = lwm2m_path(3, OBJ_ACL, a->iid, 1, 0),
                                .v = {.type = LWM2M_T_INTEGER, .i = a->inst}};
    for (unsigned k = 0; k < a->nent; k++)
        out[n++] = (lwm2m_record_t){.path = lwm2m_path(4, OBJ_ACL, a->iid, 2, a->ent[k].ssid),
                                    .v = {.type = LWM2M_T_INTEGER, .i = a->ent[k].rights}};
    out[n++] = (lwm2m_record_t){.path = lwm2m_path(3, OBJ_ACL, a->iid, 3, 0),
                                .v = {.type = LWM2M_T_INTEGER, .i = a->owner}};
    return (int)n;
}

/* ---- JSON ------------------------------------------------------------------------------- */

static void put_list(lwm2m_jbuf_t *j, const char *key, const uint16_t *v, size_t n)
{
    lwm2m_jprintf(j, "\"%s\":[", key);
    for (size_t i = 0; i < n; i++)
        lwm2m_jprintf(j, "%s%u", i ? "," : "", (unsigned)v[i]);
    lwm2m_jprintf(j, "]");
}

static const char *change_name(uint8_t k)
{
    switch (k) {
    case UNBOOT_CH_REWRITTEN: return "rewritten";
    case UNBOOT_CH_DELETED: return "deleted";
    case UNBOOT_CH_DELETED_ACL: return "acl-deleted";
    }
    return "?";
}

static void acl_json(lwm2m_jbuf_t *j, const unboot_acl_t *acl, size_t n)
{
    lwm2m_jprintf(j, "[");
    for (size_t i = 0; i < n; i++) {
        const unboot_acl_t *a = &acl[i];
        lwm2m_jprintf(j, "%s{\"iid\":%u,\"obj\":%u,\"inst\":%u,\"owner\":%u,\"acl\":{", i ? "," : "",
                      (unsigned)a->iid, (unsigned)a->obj, (unsigned)a->inst, (unsigned)a->owner);
        for (unsigned k = 0; k < a->nent; k++)
            lwm2m_jprintf(j, "%s\"%u\":%u", k ? "," : "", (unsigned)a->ent[k].ssid,
                          (unsigned)a->ent[k].rights);
        lwm2m_jprintf(j, "}}");
    }
    lwm2m_jprintf(j, "]");
}

int unboot_acl_json(const unboot_acl_t *acl, size_t n, char *out, size_t cap)
{
    lwm2m_jbuf_t j = {out, cap, 0, cap == 0};
    acl_json(&j, acl, n);
    return j.err ? LWM2M_ERR_NOSPACE : (int)j.n;
}

int unboot_result_json(const unboot_result_t *r, int with_after, char *out, size_t cap)
{
    lwm2m_jbuf_t j = {out, cap, 0, cap == 0};
    lwm2m_jprintf(&j, "{\"acl\":\"%s\",", r->acl_unknown ? "unknown" : "read");
    put_list(&j, "removed", r->removed, r->nremoved);
    lwm2m_jprintf(&j, ",");
    put_list(&j, "absent", r->absent, r->nabsent);
    lwm2m_jprintf(&j, ",\"changes\":[");
    for (size_t i = 0; i < r->nchanges; i++) {
        const unboot_change_t *c = &r->changes[i];
        lwm2m_jprintf(&j, "%s{\"acl\":%u,\"target\":\"/%u/%u\",\"change\":\"%s\",\"dropped\":%u",
                      i ? "," : "", (unsigned)c->iid, (unsigned)c->obj, (unsigned)c->inst,
                      change_name(c->kind), (unsigned)c->dropped);
        if (c->owner_changed)
            lwm2m_jprintf(&j, ",\"owner\":{\"from\":%u,\"to\":%u,\"score\":%u}", (unsigned)c->owner_from,
                          (unsigned)c->owner_to, (unsigned)c->score);
        lwm2m_jprintf(&j, "}");
    }
    lwm2m_jprintf(&j, "],\"ops\":[");
    for (size_t i = 0; i < r->nops; i++)
        lwm2m_jprintf(&j, "%s\"%s /%u/%u\"", i ? "," : "",
                      r->ops[i].kind == UNBOOT_OP_WRITE_ACL ? "write" : "delete",
                      (unsigned)r->ops[i].path.obj, (unsigned)r->ops[i].path.inst);
    lwm2m_jprintf(&j, "]");
    if (with_after) {
        lwm2m_jprintf(&j, ",\"after\":");
        acl_json(&j, r->after, r->nafter);
    }
    lwm2m_jprintf(&j, "}");
    return j.err ? LWM2M_ERR_NOSPACE : (int)j.n;
}
