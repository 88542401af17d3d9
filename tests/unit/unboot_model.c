/*
 * unboot_model.c — the reference client of unboot_model.h: tables, the
 * spec's predicates, and Bootstrap operations applied one at a time. Kept
 * deliberately plain (linear scans, no sorting tricks) so that it is easy
 * to check against the text of §5.2.5; the planner it judges lives in
 * bsd/lwm2m/unboot.c and shares no code with it.
 */
#include "tests/unit/unboot_model.h"

#include <stdio.h>
#include <string.h>

int model_set_has(const model_set_t *s, uint16_t v)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i] == v) return 1;
    return 0;
}

void model_set_add(model_set_t *s, uint16_t v)
{
    if (!model_set_has(s, v) && s->n < MODEL_MAX_SERVERS) s->v[s->n++] = v;
}

int model_add_inst(model_t *m, uint16_t obj, uint16_t inst, int32_t ssid)
{
    if (m->ninst >= MODEL_MAX_INSTS) return MODEL_ERR_FULL;
    m->inst[m->ninst].obj = obj;
    m->inst[m->ninst].inst = inst;
    m->inst[m->ninst].ssid = ssid;
    m->ninst++;
    return MODEL_OK;
}

int model_add_acl(model_t *m, const model_acl_t *a)
{
    if (m->nacl >= MODEL_MAX_ACL) return MODEL_ERR_FULL;
    m->acl[m->nacl++] = *a;
    return MODEL_OK;
}

const model_inst_t *model_find_inst(const model_t *m, uint16_t obj, uint16_t inst)
{
    for (size_t i = 0; i < m->ninst; i++)
        if (m->inst[i].obj == obj && m->inst[i].inst == inst) return &m->inst[i];
    return NULL;
}

const model_acl_t *model_find_acl(const model_t *m, uint16_t iid)
{
    for (size_t i = 0; i < m->nacl; i++)
        if (m->acl[i].iid == iid) return &m->acl[i];
    return NULL;
}

static void remove_inst_at(model_t *m, size_t i)
{
    memmove(&m->inst[i], &m->inst[i + 1], (m->ninst - i - 1) * sizeof(m->inst[0]));
    m->ninst--;
}

static void remove_acl_at(model_t *m, size_t i)
{
    memmove(&m->acl[i], &m->acl[i + 1], (m->nacl - i - 1) * sizeof(m->acl[0]));
    m->nacl--;
}

uint16_t model_rights(const model_acl_t *a, uint16_t who, int *found)
{
    for (size_t i = 0; i < a->nmap; i++) {
        if (a->map[i].who == who) {
            *found = 1;
            return a->map[i].rights;
        }
    }
    *found = 0;
    return 0;
}

model_set_t model_servers(const model_t *m)
{
    model_set_t s = {.n = 0};
    for (size_t i = 0; i < m->ninst; i++) {
        const model_inst_t *x = &m->inst[i];
        if (x->obj == 1 && x->ssid >= 1 && x->ssid <= 65534) model_set_add(&s, (uint16_t)x->ssid);
    }
    return s;
}

model_set_t model_remaining(const model_t *m, const model_set_t *removed)
{
    model_set_t all = model_servers(m), s = {.n = 0};
    for (size_t i = 0; i < all.n; i++)
        if (!model_set_has(removed, all.v[i])) model_set_add(&s, all.v[i]);
    return s;
}

int model_can_access(const model_acl_t *a, uint16_t ssid, const model_set_t *servers)
{
    int own, dflt;
    if (!model_set_has(servers, ssid)) return 0;
    uint16_t r = model_rights(a, ssid, &own);
    if (own) return r != 0;
    uint16_t d = model_rights(a, 0, &dflt);
    return dflt && d != 0;
}

int model_anyone_can_access(const model_acl_t *a, const model_set_t *servers)
{
    for (size_t i = 0; i < servers->n; i++)
        if (model_can_access(a, servers->v[i], servers)) return 1;
    return 0;
}

int model_score(const model_acl_t *a, uint16_t ssid)
{
    int own, dflt;
    uint16_t r = model_rights(a, ssid, &own);
    if (!own) r = model_rights(a, 0, &dflt);
    return ((r & UNBOOT_W) ? 1 : 0) + ((r & UNBOOT_D) ? 1 : 0);
}

int32_t model_elect(const model_acl_t *a, const model_set_t *servers, int *score)
{
    model_set_t cand = {.n = 0};
    int own;
    for (size_t i = 0; i < servers->n; i++) {
        (void)model_rights(a, servers->v[i], &own);
        if (own) model_set_add(&cand, servers->v[i]);
    }
    if (cand.n == 0) {
        for (size_t i = 0; i < servers->n; i++)
            if (model_can_access(a, servers->v[i], servers)) model_set_add(&cand, servers->v[i]);
    }
    int32_t best = -1;
    int best_score = -1;
    for (size_t i = 0; i < cand.n; i++) {
        int sc = model_score(a, cand.v[i]);
        if (sc > best_score || (sc == best_score && cand.v[i] < best)) {
            best = cand.v[i];
            best_score = sc;
        }
    }
    if (score) *score = best_score;
    return best;
}

int model_protected(uint16_t obj, uint16_t inst)
{
    return obj == 0 || obj == 1 || obj == 2 || obj == 21 || (obj == 3 && inst == 0);
}

/* Drops instances of object |obj| (0 or 1) whose SSID is |ssid|, with no
 * further effect: used by the procedure itself. */
static void drop_accounts(model_t *m, uint16_t obj, uint16_t ssid)
{
    for (size_t i = 0; i < m->ninst;) {
        if (m->inst[i].obj == obj && m->inst[i].ssid == ssid)
            remove_inst_at(m, i);
        else
            i++;
    }
}

/* §5.2.5 for |removed|; the Security instances go too when |with_security|
 * (a client deleting one Security instance leaves the others to their own
 * Deletes). */
static int unbootstrap(model_t *m, const model_set_t *removed, int with_security)
{
    if (removed->n == 0) return MODEL_OK; /* nothing to remove: nothing is examined */
    model_set_t remaining = model_remaining(m, removed);
    for (size_t i = 0; i < m->nacl;) {
        model_acl_t *a = &m->acl[i];
        /* Drop the removed SSIDs' entries (the default entry 0 is nobody's). */
        for (size_t k = 0; k < a->nmap;) {
            if (a->map[k].who != 0 && model_set_has(removed, a->map[k].who)) {
                a->map[k] = a->map[a->nmap - 1];
                a->nmap--;
            } else {
                k++;
            }
        }
        if (a->inst != UNBOOT_INST_OBJECT && !model_anyone_can_access(a, &remaining)) {
            if (!model_protected(a->obj, a->inst)) {
                for (size_t j = 0; j < m->ninst; j++) {
                    if (m->inst[j].obj == a->obj && m->inst[j].inst == a->inst) {
                        remove_inst_at(m, j);
                        break;
                    }
                }
            }
            remove_acl_at(m, i);
            continue;
        }
        int32_t elected = model_elect(a, &remaining, NULL);
        if (elected < 0) {
            remove_acl_at(m, i);
            continue;
        }
        if (model_set_has(removed, a->owner)) a->owner = (uint16_t)elected;
        i++;
    }
    for (size_t r = 0; r < removed->n; r++) {
        drop_accounts(m, 1, removed->v[r]);
        if (with_security) drop_accounts(m, 0, removed->v[r]);
    }
    return MODEL_OK;
}

int model_unbootstrap(model_t *m, const model_set_t *removed)
{
    return unbootstrap(m, removed, 1);
}

int model_apply_delete(model_t *m, const lwm2m_path_t *p)
{
    if (p->depth != 2) return MODEL_ERR_FORBIDDEN;
    if (p->obj == 2) {
        for (size_t i = 0; i < m->nacl; i++) {
            if (m->acl[i].iid == p->inst) {
                remove_acl_at(m, i);
                return MODEL_OK;
            }
        }
        return MODEL_ERR_MISSING;
    }
    if (p->obj == 3 && p->inst == 0) return MODEL_ERR_FORBIDDEN; /* the Device instance */
    for (size_t i = 0; i < m->ninst; i++) {
        if (m->inst[i].obj != p->obj || m->inst[i].inst != p->inst) continue;
        int32_t ssid = m->inst[i].ssid;
        if (p->obj == 0 && ssid == 0) return MODEL_ERR_FORBIDDEN; /* the Bootstrap-Server account */
        remove_inst_at(m, i);
        if (p->obj == 0 && m->self_unboot) {
            model_set_t s = {.n = 0};
            model_set_add(&s, (uint16_t)ssid);
            return unbootstrap(m, &s, 0);
        }
        return MODEL_OK;
    }
    if (p->obj == 0 || p->obj == 1) return MODEL_ERR_MISSING;
    m->not_found++;
    return MODEL_NOT_FOUND;
}

int model_apply_write_acl(model_t *m, const lwm2m_path_t *p, const unboot_acl_t *whole)
{
    if (p->depth != 2 || p->obj != 2 || p->inst != whole->iid) return MODEL_ERR_FORBIDDEN;
    if (whole->nent > MODEL_MAX_RIGHTS) return MODEL_ERR_FULL;
    model_acl_t a = {.iid = whole->iid, .obj = whole->obj, .inst = whole->inst, .owner = whole->owner};
    for (size_t i = 0; i < whole->nent; i++) {
        a.map[a.nmap].who = whole->ent[i].ssid;
        a.map[a.nmap].rights = whole->ent[i].rights;
        a.nmap++;
    }
    /* A Write of the whole instance replaces it (it was deleted just before). */
    for (size_t i = 0; i < m->nacl; i++) {
        if (m->acl[i].iid == whole->iid) {
            m->acl[i] = a;
            return MODEL_OK;
        }
    }
    return model_add_acl(m, &a);
}

model_set_t model_present(const model_t *m, const uint16_t *req, size_t nreq)
{
    model_set_t s = {.n = 0};
    for (size_t r = 0; r < nreq; r++) {
        uint16_t v = req[r];
        int found = 0;
        if (v == 0 || v == 65535) continue;
        for (size_t i = 0; i < m->ninst; i++)
            if ((m->inst[i].obj == 0 || m->inst[i].obj == 1) && m->inst[i].ssid == v) found = 1;
        for (size_t i = 0; i < m->nacl; i++) {
            int own;
            (void)model_rights(&m->acl[i], v, &own);
            if (own || m->acl[i].owner == v) found = 1;
        }
        if (found) model_set_add(&s, v);
    }
    return s;
}

static void to_unboot_acl(const model_acl_t *a, unboot_acl_t *u)
{
    memset(u, 0, sizeof(*u));
    u->iid = a->iid;
    u->obj = a->obj;
    u->inst = a->inst;
    u->owner = a->owner;
    /* The planner wants the entries by ascending SSID: pick the smallest
     * not yet taken, again and again. */
    int32_t last = -1;
    for (size_t n = 0; n < a->nmap; n++) {
        int32_t next = 65536;
        uint16_t rights = 0;
        for (size_t i = 0; i < a->nmap; i++) {
            if (a->map[i].who > last && a->map[i].who < next) {
                next = a->map[i].who;
                rights = a->map[i].rights;
            }
        }
        u->ent[u->nent].ssid = (uint16_t)next;
        u->ent[u->nent].rights = rights;
        u->nent++;
        last = next;
    }
}

void model_to_state(const model_t *m, int acl_known, int have_insts, unboot_state_t *st)
{
    memset(st, 0, sizeof(*st));
    for (size_t i = 0; i < m->ninst; i++) {
        const model_inst_t *x = &m->inst[i];
        unboot_account_t acc = {.iid = x->inst, .ssid = (uint16_t)(x->ssid < 0 ? 0 : x->ssid)};
        if (x->obj == 0 && st->nsec < UNBOOT_MAX_ACCOUNTS) st->sec[st->nsec++] = acc;
        if (x->obj == 1 && st->nsrv < UNBOOT_MAX_ACCOUNTS) st->srv[st->nsrv++] = acc;
        if (st->ninsts < UNBOOT_MAX_INSTS) st->insts[st->ninsts++] = lwm2m_path(2, x->obj, x->inst, 0, 0);
    }
    st->acl_known = acl_known;
    if (acl_known) {
        for (size_t i = 0; i < m->nacl && i < UNBOOT_MAX_ACL; i++) {
            to_unboot_acl(&m->acl[i], &st->acl[st->nacl++]);
            if (st->ninsts < UNBOOT_MAX_INSTS)
                st->insts[st->ninsts++] = lwm2m_path(2, 2, m->acl[i].iid, 0, 0);
        }
    }
    st->have_insts = have_insts;
    if (!have_insts) st->ninsts = 0;
}

static int acl_same(const model_acl_t *a, const model_acl_t *b)
{
    if (a->iid != b->iid || a->obj != b->obj || a->inst != b->inst || a->owner != b->owner) return 0;
    if (a->nmap != b->nmap) return 0;
    for (size_t i = 0; i < a->nmap; i++) {
        int own;
        uint16_t r = model_rights(b, a->map[i].who, &own);
        if (!own || r != a->map[i].rights) return 0;
    }
    return 1;
}

int model_acl_equals(const model_acl_t *a, const unboot_acl_t *u)
{
    model_acl_t b = {.iid = u->iid, .obj = u->obj, .inst = u->inst, .owner = u->owner};
    if (u->nent > MODEL_MAX_RIGHTS) return 0;
    for (size_t i = 0; i < u->nent; i++) {
        int dup;
        (void)model_rights(&b, u->ent[i].ssid, &dup);
        if (dup) return 0; /* one entry per SSID */
        b.map[b.nmap].who = u->ent[i].ssid;
        b.map[b.nmap].rights = u->ent[i].rights;
        b.nmap++;
    }
    return acl_same(a, &b);
}

int model_equal(const model_t *a, const model_t *b)
{
    if (a->ninst != b->ninst || a->nacl != b->nacl) return 0;
    for (size_t i = 0; i < a->ninst; i++) {
        size_t same = 0;
        for (size_t j = 0; j < b->ninst; j++)
            if (b->inst[j].obj == a->inst[i].obj && b->inst[j].inst == a->inst[i].inst &&
                b->inst[j].ssid == a->inst[i].ssid)
                same++;
        if (same != 1) return 0;
    }
    for (size_t i = 0; i < a->nacl; i++) {
        const model_acl_t *o = model_find_acl(b, a->acl[i].iid);
        if (!o || !acl_same(&a->acl[i], o)) return 0;
    }
    return 1;
}

void model_dump(const model_t *m, const char *title)
{
    fprintf(stderr, "-- %s: %zu instances, %zu ACL instances\n", title, m->ninst, m->nacl);
    for (size_t i = 0; i < m->ninst; i++) {
        const model_inst_t *x = &m->inst[i];
        if (x->ssid >= 0)
            fprintf(stderr, "   /%u/%u ssid=%d\n", x->obj, x->inst, (int)x->ssid);
        else
            fprintf(stderr, "   /%u/%u\n", x->obj, x->inst);
    }
    for (size_t i = 0; i < m->nacl; i++) {
        const model_acl_t *a = &m->acl[i];
        fprintf(stderr, "   /2/%u -> /%u/%u owner=%u {", a->iid, a->obj, a->inst, a->owner);
        for (size_t k = 0; k < a->nmap; k++)
            fprintf(stderr, "%s%u:%u", k ? ", " : "", a->map[k].who, a->map[k].rights);
        fprintf(stderr, "}\n");
    }
}
