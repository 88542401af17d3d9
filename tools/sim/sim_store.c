/*
 * sim_store.c — the simulated client's object store (see sim_store.h):
 * sorted instance and value arrays, the byte arena, and Bootstrap
 * Write/Delete/Finish semantics. Value typing is sim_model.c.
 */
#include "tools/sim/sim_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- basic container operations --------------------------------------- */

void sim_store_init(sim_store_t *s, unsigned flags)
{
    memset(s, 0, sizeof(*s));
    s->flags = flags;
}

void sim_store_reset(sim_store_t *s, unsigned flags)
{
    s->ninst = s->nval = s->arena_len = 0;
    s->flags = flags;
}

void sim_store_free(sim_store_t *s)
{
    free(s->insts);
    free(s->vals);
    free(s->arena);
    memset(s, 0, sizeof(*s));
}

static int inst_cmp(const sim_inst_t *a, uint16_t obj, uint16_t inst)
{
    if (a->obj != obj) return a->obj < obj ? -1 : 1;
    if (a->inst != inst) return a->inst < inst ? -1 : 1;
    return 0;
}

/* Index of the first instance >= (obj, inst). */
static size_t inst_lower(const sim_store_t *s, uint16_t obj, uint16_t inst)
{
    size_t lo = 0, hi = s->ninst;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (inst_cmp(&s->insts[mid], obj, inst) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int sim_store_has_inst(const sim_store_t *s, uint16_t obj, uint16_t inst)
{
    size_t i = inst_lower(s, obj, inst);
    return i < s->ninst && inst_cmp(&s->insts[i], obj, inst) == 0;
}

int sim_store_add_inst(sim_store_t *s, uint16_t obj, uint16_t inst)
{
    size_t i = inst_lower(s, obj, inst);
    if (i < s->ninst && inst_cmp(&s->insts[i], obj, inst) == 0) return 0;
    if (s->ninst == s->inst_cap) {
        if (s->inst_cap >= SIM_STORE_MAX_INSTS) return SIM_ST_ERR_FULL;
        size_t nc = s->inst_cap ? s->inst_cap * 2 : 16;
        if (nc > SIM_STORE_MAX_INSTS) nc = SIM_STORE_MAX_INSTS;
        sim_inst_t *ni = realloc(s->insts, nc * sizeof(*ni));
        if (!ni) return SIM_ST_ERR_FULL;
        s->insts = ni;
        s->inst_cap = nc;
    }
    memmove(&s->insts[i + 1], &s->insts[i], (s->ninst - i) * sizeof(*s->insts));
    s->insts[i] = (sim_inst_t){obj, inst};
    s->ninst++;
    return 0;
}

/* Index of the first value whose path is >= |p|. */
static size_t val_lower(const sim_store_t *s, const lwm2m_path_t *p)
{
    size_t lo = 0, hi = s->nval;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (lwm2m_path_cmp(&s->vals[mid].path, p) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int has_bytes(lwm2m_type_t t)
{
    return t == LWM2M_T_STRING || t == LWM2M_T_OPAQUE || t == LWM2M_T_CORELNK;
}

/* Makes room for |len| more arena bytes: compacts away the bytes of
 * replaced or deleted values, growing the arena when it is over half full
 * of live data. */
static int arena_reserve(sim_store_t *s, size_t len)
{
    if (s->arena_len + len <= s->arena_cap) return 0;
    size_t live = 0;
    for (size_t i = 0; i < s->nval; i++)
        if (has_bytes(s->vals[i].type)) live += s->vals[i].bytes.len;
    size_t need = live + len;
    if (need > SIM_STORE_MAX_BYTES) return SIM_ST_ERR_FULL;
    size_t cap = s->arena_cap ? s->arena_cap : 1024;
    while (cap < need * 2 && cap < SIM_STORE_MAX_BYTES)
        cap *= 2;
    if (cap > SIM_STORE_MAX_BYTES) cap = SIM_STORE_MAX_BYTES;
    uint8_t *na = malloc(cap);
    if (!na) return SIM_ST_ERR_FULL;
    size_t off = 0;
    for (size_t i = 0; i < s->nval; i++) {
        sim_val_t *v = &s->vals[i];
        if (!has_bytes(v->type)) continue;
        if (v->bytes.len) memcpy(na + off, s->arena + v->bytes.off, v->bytes.len);
        v->bytes.off = (uint32_t)off;
        off += v->bytes.len;
    }
    free(s->arena);
    s->arena = na;
    s->arena_cap = cap;
    s->arena_len = off;
    return 0;
}

int sim_store_set(sim_store_t *s, const lwm2m_path_t *path, const lwm2m_value_t *v)
{
    if (path->depth < 3 || v->type == LWM2M_T_RAW || v->type == LWM2M_T_NONE) return SIM_ST_ERR_PATH;
    int r = sim_store_add_inst(s, path->obj, path->inst);
    if (r) return r;
    sim_val_t nv;
    memset(&nv, 0, sizeof(nv));
    nv.path = lwm2m_path(path->depth, path->obj, path->inst, path->res, path->rinst);
    nv.type = v->type;
    if (has_bytes(v->type)) {
        if (v->bytes.len > SIM_STORE_MAX_BYTES) return SIM_ST_ERR_FULL;
        if ((r = arena_reserve(s, v->bytes.len)) != 0) return r;
        if (v->bytes.len) memcpy(s->arena + s->arena_len, v->bytes.p, v->bytes.len);
        nv.bytes.off = (uint32_t)s->arena_len;
        nv.bytes.len = (uint32_t)v->bytes.len;
        s->arena_len += v->bytes.len;
    } else {
        switch (v->type) {
        case LWM2M_T_UNSIGNED: nv.u = v->u; break;
        case LWM2M_T_FLOAT: nv.f = v->f; break;
        case LWM2M_T_BOOLEAN: nv.b = v->b; break;
        case LWM2M_T_OBJLNK: nv.lnk = v->lnk; break;
        default: nv.i = v->i; break;
        }
    }
    size_t i = val_lower(s, &nv.path);
    if (i < s->nval && lwm2m_path_cmp(&s->vals[i].path, &nv.path) == 0) {
        s->vals[i] = nv; /* the old bytes become arena garbage */
        return 0;
    }
    if (s->nval == s->val_cap) {
        if (s->val_cap >= SIM_STORE_MAX_VALS) return SIM_ST_ERR_FULL;
        size_t nc = s->val_cap ? s->val_cap * 2 : 64;
        if (nc > SIM_STORE_MAX_VALS) nc = SIM_STORE_MAX_VALS;
        sim_val_t *nvs = realloc(s->vals, nc * sizeof(*nvs));
        if (!nvs) return SIM_ST_ERR_FULL;
        s->vals = nvs;
        s->val_cap = nc;
    }
    memmove(&s->vals[i + 1], &s->vals[i], (s->nval - i) * sizeof(*s->vals));
    s->vals[i] = nv;
    s->nval++;
    return 0;
}

static int set_one(sim_store_t *s, int depth, uint16_t obj, uint16_t inst, uint16_t res, uint16_t rinst,
                   const lwm2m_value_t *v)
{
    lwm2m_path_t p = lwm2m_path(depth, obj, inst, res, rinst);
    return sim_store_set(s, &p, v);
}

int sim_store_set_int(sim_store_t *s, uint16_t obj, uint16_t inst, uint16_t res, int64_t v)
{
    lwm2m_value_t x = {.type = LWM2M_T_INTEGER, .i = v};
    return set_one(s, 3, obj, inst, res, 0, &x);
}

int sim_store_set_rint(sim_store_t *s, uint16_t obj, uint16_t inst, uint16_t res, uint16_t rinst, int64_t v)
{
    lwm2m_value_t x = {.type = LWM2M_T_INTEGER, .i = v};
    return set_one(s, 4, obj, inst, res, rinst, &x);
}

int sim_store_set_bool(sim_store_t *s, uint16_t obj, uint16_t inst, uint16_t res, bool v)
{
    lwm2m_value_t x = {.type = LWM2M_T_BOOLEAN, .b = v};
    return set_one(s, 3, obj, inst, res, 0, &x);
}

int sim_store_set_str(sim_store_t *s, uint16_t obj, uint16_t inst, uint16_t res, const char *v)
{
    lwm2m_value_t x = {.type = LWM2M_T_STRING};
    x.bytes.p = (const uint8_t *)v;
    x.bytes.len = strlen(v);
    return set_one(s, 3, obj, inst, res, 0, &x);
}

int sim_store_set_opaque(sim_store_t *s, uint16_t obj, uint16_t inst, uint16_t res, const uint8_t *p,
                         size_t len)
{
    lwm2m_value_t x = {.type = LWM2M_T_OPAQUE};
    x.bytes.p = p;
    x.bytes.len = len;
    return set_one(s, 3, obj, inst, res, 0, &x);
}

const sim_val_t *sim_store_get(const sim_store_t *s, uint16_t obj, uint16_t inst, uint16_t res,
                               uint16_t rinst)
{
    lwm2m_path_t p =
        rinst == LWM2M_ID_NONE ? lwm2m_path(3, obj, inst, res, 0) : lwm2m_path(4, obj, inst, res, rinst);
    size_t i = val_lower(s, &p);
    if (i < s->nval && lwm2m_path_cmp(&s->vals[i].path, &p) == 0) return &s->vals[i];
    return NULL;
}

int sim_store_get_int(const sim_store_t *s, uint16_t obj, uint16_t inst, uint16_t res, int64_t *out)
{
    const sim_val_t *v = sim_store_get(s, obj, inst, res, LWM2M_ID_NONE);
    if (!v) return -1;
    if (v->type == LWM2M_T_INTEGER || v->type == LWM2M_T_TIME) {
        *out = v->i;
        return 0;
    }
    if (v->type == LWM2M_T_UNSIGNED && v->u <= INT64_MAX) {
        *out = (int64_t)v->u;
        return 0;
    }
    return -1;
}

int sim_store_get_bool(const sim_store_t *s, uint16_t obj, uint16_t inst, uint16_t res, bool *out)
{
    const sim_val_t *v = sim_store_get(s, obj, inst, res, LWM2M_ID_NONE);
    if (!v || v->type != LWM2M_T_BOOLEAN) return -1;
    *out = v->b;
    return 0;
}

const uint8_t *sim_store_bytes(const sim_store_t *s, const sim_val_t *v)
{
    return s->arena ? s->arena + v->bytes.off : (const uint8_t *)"";
}

int sim_store_bs_inst(const sim_store_t *s)
{
    for (size_t i = inst_lower(s, SIM_OBJ_SECURITY, 0); i < s->ninst && s->insts[i].obj == SIM_OBJ_SECURITY;
         i++) {
        bool bs = false;
        if (sim_store_get_bool(s, SIM_OBJ_SECURITY, s->insts[i].inst, 1, &bs) == 0 && bs)
            return s->insts[i].inst;
    }
    return -1;
}

/* Removes the values of /obj/inst/res (depth 3 and its instances). */
static void clear_res(sim_store_t *s, uint16_t obj, uint16_t inst, uint16_t res)
{
    lwm2m_path_t p = lwm2m_path(3, obj, inst, res, 0);
    size_t a = val_lower(s, &p), b = a;
    while (b < s->nval && lwm2m_path_under(&s->vals[b].path, &p))
        b++;
    if (b > a) {
        memmove(&s->vals[a], &s->vals[b], (s->nval - b) * sizeof(*s->vals));
        s->nval -= b - a;
    }
}

static void del_rinst(sim_store_t *s, uint16_t obj, uint16_t inst, uint16_t res, uint16_t rinst)
{
    lwm2m_path_t p = lwm2m_path(4, obj, inst, res, rinst);
    size_t a = val_lower(s, &p);
    if (a < s->nval && lwm2m_path_cmp(&s->vals[a].path, &p) == 0) {
        memmove(&s->vals[a], &s->vals[a + 1], (s->nval - a - 1) * sizeof(*s->vals));
        s->nval--;
    }
}

static void del_inst(sim_store_t *s, uint16_t obj, uint16_t inst)
{
    lwm2m_path_t p = lwm2m_path(2, obj, inst, 0, 0);
    size_t a = val_lower(s, &p), b = a;
    while (b < s->nval && lwm2m_path_under(&s->vals[b].path, &p))
        b++;
    if (b > a) {
        memmove(&s->vals[a], &s->vals[b], (s->nval - b) * sizeof(*s->vals));
        s->nval -= b - a;
    }
    size_t i = inst_lower(s, obj, inst);
    if (i < s->ninst && inst_cmp(&s->insts[i], obj, inst) == 0) {
        memmove(&s->insts[i], &s->insts[i + 1], (s->ninst - i - 1) * sizeof(*s->insts));
        s->ninst--;
    }
}

/* ---- Bootstrap-Write --------------------------------------------------- */

int sim_store_write(sim_store_t *s, const lwm2m_path_t *base, lwm2m_record_t *recs, size_t n)
{
    if (base->depth > 4) return SIM_ST_ERR_PATH;
    for (size_t i = 0; i < n; i++) {
        lwm2m_record_t *r = &recs[i];
        if (r->path.depth < 3 || !lwm2m_path_under(&r->path, base)) return SIM_ST_ERR_PATH;
        int rc = sim_model_type(&r->path, s->flags, &r->v);
        if (rc) return rc;
    }
    int rc;
    if (base->depth >= 2 && (rc = sim_store_add_inst(s, base->obj, base->inst)) != 0) return rc;
    for (size_t i = 0; i < n;) {
        const lwm2m_path_t *p = &recs[i].path;
        if ((rc = sim_store_add_inst(s, p->obj, p->inst)) != 0) return rc;
        if (base->depth <= 3) clear_res(s, p->obj, p->inst, p->res);
        size_t j = i;
        while (j < n && recs[j].path.obj == p->obj && recs[j].path.inst == p->inst &&
               recs[j].path.res == p->res) {
            if ((rc = sim_store_set(s, &recs[j].path, &recs[j].v)) != 0) return rc;
            j++;
        }
        i = j;
    }
    return 0;
}

/* ---- Bootstrap-Delete and §5.2.5 -------------------------------------- */

/* 1 if /obj/inst survives "Delete /": the BS account, the OSCORE instance
 * it links to, and /3/0. */
static int is_protected(const sim_store_t *s, uint16_t obj, uint16_t inst, int bs)
{
    if (obj == SIM_OBJ_DEVICE && inst == 0) return 1;
    if (obj == SIM_OBJ_SECURITY && (int)inst == bs) return 1;
    if (obj == SIM_OBJ_OSCORE && bs >= 0) {
        const sim_val_t *v = sim_store_get(s, SIM_OBJ_SECURITY, (uint16_t)bs, 17, LWM2M_ID_NONE);
        if (v && v->type == LWM2M_T_OBJLNK && v->lnk.obj == SIM_OBJ_OSCORE && v->lnk.inst == inst) return 1;
    }
    return 0;
}

/* Deletes /obj/inst, running §5.2.5 for a non-bootstrap Security instance
 * when asked to. */
static int delete_one(sim_store_t *s, uint16_t obj, uint16_t inst)
{
    int64_t ssid = -1;
    bool bs = false;
    if (obj == SIM_OBJ_SECURITY && (s->flags & SIM_ST_UNBOOTSTRAP)) {
        if (sim_store_get_bool(s, obj, inst, 1, &bs) != 0) bs = false;
        if (bs || sim_store_get_int(s, obj, inst, 10, &ssid) != 0) ssid = -1;
    }
    del_inst(s, obj, inst);
    if (ssid >= 1 && ssid <= LWM2M_MAX_ID) return sim_store_unbootstrap(s, (uint16_t)ssid);
    return 0;
}

int sim_store_delete(sim_store_t *s, const lwm2m_path_t *p)
{
    int bs = sim_store_bs_inst(s);
    if (p->depth == 2) {
        if (!sim_store_has_inst(s, p->obj, p->inst))
            return (s->flags & SIM_ST_DEL_404) ? SIM_ST_ERR_NOENT : 0;
        if (p->obj == SIM_OBJ_DEVICE && p->inst == 0) return SIM_ST_ERR_STAT;
        if (is_protected(s, p->obj, p->inst, bs)) return SIM_ST_ERR_PROT;
        return delete_one(s, p->obj, p->inst);
    }
    if (p->depth > 2) return SIM_ST_ERR_PATH;
    /* "/" or "/obj": rescan after every deletion, since §5.2.5 may remove
     * other instances too. */
    for (;;) {
        size_t i;
        for (i = 0; i < s->ninst; i++) {
            const sim_inst_t *in = &s->insts[i];
            if (p->depth == 1 && in->obj != p->obj) continue;
            if (!is_protected(s, in->obj, in->inst, bs)) break;
        }
        if (i == s->ninst) return 0;
        int rc = delete_one(s, s->insts[i].obj, s->insts[i].inst);
        if (rc) return rc;
    }
}

static int server_exists(const sim_store_t *s, uint16_t ssid)
{
    for (size_t i = inst_lower(s, SIM_OBJ_SERVER, 0); i < s->ninst && s->insts[i].obj == SIM_OBJ_SERVER;
         i++) {
        int64_t v;
        if (sim_store_get_int(s, SIM_OBJ_SERVER, s->insts[i].inst, 0, &v) == 0 && v == ssid) return 1;
    }
    return 0;
}

int sim_store_unbootstrap(sim_store_t *s, uint16_t ssid)
{
    for (size_t i = inst_lower(s, SIM_OBJ_SERVER, 0); i < s->ninst && s->insts[i].obj == SIM_OBJ_SERVER;) {
        int64_t v;
        if (sim_store_get_int(s, SIM_OBJ_SERVER, s->insts[i].inst, 0, &v) == 0 && v == ssid)
            del_inst(s, SIM_OBJ_SERVER, s->insts[i].inst);
        else
            i++;
    }
    for (size_t i = inst_lower(s, SIM_OBJ_ACL, 0); i < s->ninst && s->insts[i].obj == SIM_OBJ_ACL;) {
        uint16_t inst = s->insts[i].inst;
        int64_t owner = -1, target = -1;
        sim_store_get_int(s, SIM_OBJ_ACL, inst, 3, &owner);
        sim_store_get_int(s, SIM_OBJ_ACL, inst, 1, &target);
        int had = sim_store_get(s, SIM_OBJ_ACL, inst, 2, ssid) != NULL;
        if (!had && owner != ssid) {
            i++;
            continue;
        }
        del_rinst(s, SIM_OBJ_ACL, inst, 2, ssid);
        /* Remaining server entries; elect by [W] + [D], ties to the lowest SSID. */
        int best = -1, best_score = -1, entries = 0;
        lwm2m_path_t rp = lwm2m_path(3, SIM_OBJ_ACL, inst, 2, 0);
        for (size_t k = val_lower(s, &rp); k < s->nval && lwm2m_path_under(&s->vals[k].path, &rp); k++) {
            const sim_val_t *v = &s->vals[k];
            uint16_t r = v->path.rinst;
            if (v->path.depth != 4 || r == 0 || r > LWM2M_MAX_ID) continue;
            entries++;
            if (!server_exists(s, r)) continue;
            int64_t acl = v->type == LWM2M_T_INTEGER ? v->i : 0;
            int score = ((acl & 2) != 0) + ((acl & 8) != 0);
            if (score > best_score) best = r, best_score = score;
        }
        if (entries == 0 && target != 65535) {
            del_inst(s, SIM_OBJ_ACL, inst);
            continue; /* index i now holds the next instance */
        }
        if (owner == ssid && best >= 0) {
            int rc = sim_store_set_int(s, SIM_OBJ_ACL, inst, 3, best);
            if (rc) return rc;
        }
        i = inst_lower(s, SIM_OBJ_ACL, inst) + 1;
    }
    return 0;
}

/* ---- Bootstrap-Finish --------------------------------------------------- */

static int fail(char *why, size_t cap, const char *fmt, unsigned a)
{
    if (cap) snprintf(why, cap, fmt, a);
    return -1;
}

int sim_store_validate(const sim_store_t *s, char *why, size_t cap)
{
    unsigned nbs = 0, nsrv_sec = 0;
    size_t first = inst_lower(s, SIM_OBJ_SECURITY, 0);
    for (size_t i = first; i < s->ninst && s->insts[i].obj == SIM_OBJ_SECURITY; i++) {
        uint16_t inst = s->insts[i].inst;
        bool bs = false;
        int64_t ssid;
        if (sim_store_get_bool(s, SIM_OBJ_SECURITY, inst, 1, &bs) == 0 && bs) {
            nbs++;
            continue;
        }
        if (sim_store_get_int(s, SIM_OBJ_SECURITY, inst, 10, &ssid) != 0 || ssid < 1 || ssid > LWM2M_MAX_ID)
            return fail(why, cap, "security-without-ssid inst=%u", inst);
        nsrv_sec++;
    }
    if (nbs != 1) return fail(why, cap, "bootstrap-accounts=%u", nbs);
    if (nsrv_sec == 0 && !(s->flags & SIM_ST_LENIENT)) return fail(why, cap, "no-server-account", 0);
    for (size_t i = inst_lower(s, SIM_OBJ_SERVER, 0); i < s->ninst && s->insts[i].obj == SIM_OBJ_SERVER;
         i++) {
        uint16_t inst = s->insts[i].inst;
        int64_t ssid, sec_ssid;
        int found = 0;
        if (sim_store_get_int(s, SIM_OBJ_SERVER, inst, 0, &ssid) != 0)
            return fail(why, cap, "server-without-ssid inst=%u", inst);
        for (size_t k = first; k < s->ninst && s->insts[k].obj == SIM_OBJ_SECURITY; k++) {
            bool bs = false;
            if (sim_store_get_bool(s, SIM_OBJ_SECURITY, s->insts[k].inst, 1, &bs) == 0 && bs) continue;
            if (sim_store_get_int(s, SIM_OBJ_SECURITY, s->insts[k].inst, 10, &sec_ssid) == 0 &&
                sec_ssid == ssid)
                found = 1;
        }
        if (!found) return fail(why, cap, "server-without-security ssid=%u", (unsigned)ssid);
    }
    if (cap) why[0] = 0;
    return 0;
}

int sim_store_collect(const sim_store_t *s, const lwm2m_path_t *base, lwm2m_record_t *recs, size_t max,
                      size_t *n)
{
    *n = 0;
    size_t i = base->depth ? val_lower(s, base) : 0;
    for (; i < s->nval && lwm2m_path_under(&s->vals[i].path, base); i++) {
        if (*n == max) return LWM2M_ERR_NOSPACE;
        const sim_val_t *v = &s->vals[i];
        lwm2m_record_t *r = &recs[(*n)++];
        r->path = v->path;
        r->v.type = v->type;
        if (has_bytes(v->type)) {
            r->v.bytes.p = sim_store_bytes(s, v);
            r->v.bytes.len = v->bytes.len;
        } else {
            switch (v->type) {
            case LWM2M_T_UNSIGNED: r->v.u = v->u; break;
            case LWM2M_T_FLOAT: r->v.f = v->f; break;
            case LWM2M_T_BOOLEAN: r->v.b = v->b; break;
            case LWM2M_T_OBJLNK: r->v.lnk = v->lnk; break;
            default: r->v.i = v->i; break;
            }
        }
    }
    return 0;
}
