/*
 * db_policy_ops.c — policy operations shared by bsctl and the REST API
 * (contract in db_policy_ops.h). Storage is db_policies.c and
 * db_devices.c; parsing, compiling, the dry run and credential derivation
 * are bsd/policy's. Nothing here prints: messages go to the caller.
 */
#include "bsd/db/db_policy_ops.h"

#include <errno.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bsd/coap/coap_msg.h"
#include "bsd/db/db_certs_boot.h"
#include "bsd/db/db_devices.h"
#include "bsd/db/db_settings.h"
#include "bsd/db/db_unboot.h"
#include "bsd/lwm2m/lwm2m_objects.h"
#include "bsd/lwm2m/senml_json.h"

/* ---- the active policies ------------------------------------------------------ */

typedef struct active_names {
    char names[DB_POLICY_ACTIVE_MAX][DB_POLICY_NAME_MAX + 1];
    int vers[DB_POLICY_ACTIVE_MAX];
    size_t n;
} active_names_t;

static int collect_active(void *arg, const db_policy_t *p)
{
    active_names_t *a = arg;
    if (!p->active) return 0;
    if (a->n == DB_POLICY_ACTIVE_MAX) return -E2BIG;
    snprintf(a->names[a->n], sizeof(a->names[0]), "%s", p->name);
    a->vers[a->n++] = p->version;
    return 0;
}

void db_policy_active_free(db_policy_active_t *a)
{
    for (size_t i = 0; i < a->n; i++)
        policy_free(a->ps[i]);
    a->n = 0;
}

int db_policy_active_load(db_t *db, const char *skip, db_policy_active_t *a, char *err, size_t errcap)
{
    memset(a, 0, sizeof(*a));
    active_names_t *an = calloc(1, sizeof(*an));
    if (!an) {
        snprintf(err, errcap, "policies: out of memory");
        return -ENOMEM;
    }
    int r = db_policies_list(db, NULL, collect_active, an);
    if (r != 0) {
        if (r == -E2BIG)
            snprintf(err, errcap, "policies: more than %d active", DB_POLICY_ACTIVE_MAX);
        else
            snprintf(err, errcap, "policies: %s", db_errmsg(db));
        free(an);
        return r;
    }
    for (size_t i = 0; i < an->n && r == 0; i++) {
        if (skip && strcmp(skip, an->names[i]) == 0) continue;
        db_policy_t p;
        memset(&p, 0, sizeof(p));
        if ((r = db_policies_get(db, an->names[i], an->vers[i], &p)) != 0) {
            snprintf(err, errcap, "policy %s: %s", an->names[i], db_errmsg(db));
            break;
        }
        char name[128], perr[POLICY_ERR_MAX];
        snprintf(name, sizeof(name), "%s v%d", p.name, p.version);
        a->ps[a->n] = policy_parse(name, p.source, strlen(p.source), perr, sizeof(perr));
        a->versions[a->n] = (uint32_t)p.version;
        db_policy_free(&p);
        if (!a->ps[a->n]) {
            snprintf(err, errcap, "stored policy %s", perr);
            r = -EBADMSG;
            break;
        }
        a->n++;
    }
    free(an);
    if (r != 0) db_policy_active_free(a);
    return r;
}

/* ---- apply and activate ------------------------------------------------------------ */

policy_t *db_policy_check(const char *src_name, const char *src, size_t len, bool *bad_name, char *err,
                          size_t errcap)
{
    if (bad_name) *bad_name = false;
    policy_t *p = policy_parse(src_name, src, len, err, errcap);
    if (!p) return NULL;
    if (!db_policy_name_ok(policy_name(p))) {
        snprintf(err, errcap,
                 "%s: policy name '%s' cannot be stored (letters, digits, '.', '_', '-'; at most %d)",
                 src_name, policy_name(p), DB_POLICY_NAME_MAX);
        if (bad_name) *bad_name = true;
        policy_free(p);
        return NULL;
    }
    return p;
}

int db_policy_overlaps(db_t *db, const policy_t *p, db_policy_warn_fn warn, void *arg, char *err,
                       size_t errcap)
{
    db_policy_active_t *a = malloc(sizeof(*a));
    if (!a) {
        snprintf(err, errcap, "policies: out of memory");
        return -ENOMEM;
    }
    int r = db_policy_active_load(db, policy_name(p), a, err, errcap);
    for (size_t i = 0; r == 0 && i < a->n; i++) {
        if (!policy_may_overlap(p, a->ps[i]) || !warn) continue;
        char msg[3 * POLICY_NAME_MAX + 160];
        snprintf(msg, sizeof(msg),
                 "%s may match the same devices as active policy %s at the same priority (%d); the name that "
                 "sorts first wins",
                 policy_name(p), policy_name(a->ps[i]), (int)policy_priority(p));
        warn(arg, msg);
    }
    if (r == 0) db_policy_active_free(a);
    free(a);
    return r;
}

typedef struct latest {
    int version;
} latest_t;

static int find_latest(void *arg, const db_policy_t *p)
{
    latest_t *l = arg;
    if (p->version > l->version) l->version = p->version;
    return 0;
}

/* The highest stored version of |name| when its source equals |src|, else 0
 * (also when there is none); negative on a store error. */
static int same_as_latest(db_t *db, const char *name, const char *src, size_t len)
{
    latest_t l = {0};
    int r = db_policies_list(db, name, find_latest, &l);
    if (r != 0 || l.version == 0) return r;
    db_policy_t p;
    memset(&p, 0, sizeof(p));
    if ((r = db_policies_get(db, name, l.version, &p)) != 0) return r;
    int same = strlen(p.source) == len && memcmp(p.source, src, len) == 0;
    db_policy_free(&p);
    return same ? l.version : 0;
}

int db_policy_apply(db_t *db, const char *name, const char *src, size_t len, unsigned flags,
                    const char *actor, db_policy_applied_t *out, char *err, size_t errcap)
{
    memset(out, 0, sizeof(*out));
    int r = 0, version = 0;
    if (flags & DB_POLICY_APPLY_SAME_OK) {
        version = same_as_latest(db, name, src, len);
        if (version < 0) {
            snprintf(err, errcap, "%s", db_errmsg(db));
            return version;
        }
    }
    if (version == 0) {
        if ((r = db_policies_store(db, name, src, len, NULL, actor, &version)) != 0) {
            snprintf(err, errcap, "%s", db_errmsg(db));
            return r;
        }
        out->stored = true;
    }
    out->version = version;
    if (flags & DB_POLICY_APPLY_ACTIVATE) {
        if ((r = db_policies_activate(db, name, version, actor)) != 0) {
            snprintf(err, errcap, "%s", db_errmsg(db));
            return r;
        }
        out->activated = true;
    }
    return 0;
}

int db_policy_activate_checked(db_t *db, const char *name, int version, const char *actor, char *err,
                               size_t errcap)
{
    db_policy_t p;
    memset(&p, 0, sizeof(p));
    int r = db_policies_get(db, name, version, &p);
    if (r != 0) {
        snprintf(err, errcap, "%s", db_errmsg(db));
        return r;
    }
    /* The stored source must still parse with this build (the daemon's). */
    policy_t *pp = policy_parse(name, p.source, strlen(p.source), err, errcap);
    db_policy_free(&p);
    if (!pp) return -EBADMSG;
    policy_free(pp);
    if ((r = db_policies_activate(db, name, version, actor)) != 0) snprintf(err, errcap, "%s", db_errmsg(db));
    return r;
}

/* ---- one device --------------------------------------------------------------------- */

int db_policy_prep_device(db_t *db, db_secretbox_t *sb, const char *endpoint, db_policy_prep_t *x, char *err,
                          size_t errcap)
{
    memset(x, 0, sizeof(*x));
    x->d = calloc(1, sizeof(*x->d));
    if (!x->d) {
        snprintf(err, errcap, "device %s: out of memory", endpoint);
        return -ENOMEM;
    }
    int r = db_devices_get(db, sb, endpoint, x->d);
    if (r != 0) {
        snprintf(err, errcap, "device %s: %s", endpoint, db_errmsg(db));
        return r;
    }
    for (size_t i = 0; i < x->d->nlabels; i++) {
        x->labels[i].key = x->d->labels[i].key;
        x->labels[i].value = x->d->labels[i].value;
    }
    x->pd = (policy_device_t){.endpoint = x->d->endpoint,
                              .serial = x->d->serial[0] ? x->d->serial : NULL,
                              .labels = x->labels,
                              .nlabels = x->d->nlabels};
    uint8_t key[DB_CREDENTIAL_KEY_LEN];
    if ((r = db_credential_key(db, sb, key)) != 0) {
        snprintf(err, errcap, "%s", db_errmsg(db));
        return r;
    }
    memcpy(x->ctx.key, key, sizeof(key));
    explicit_bzero(key, sizeof(key));
    return 0;
}

int db_policy_prep_select(db_t *db, db_policy_prep_t *x, const policy_t *given, char *err, size_t errcap)
{
    if (given) {
        if (!policy_matches(given, &x->pd)) {
            snprintf(err, errcap, "policy %s does not match device %s", policy_name(given), x->d->endpoint);
            return -ESRCH;
        }
        x->p = given;
        x->ctx.version = 0; /* not stored */
        return 0;
    }
    x->a = malloc(sizeof(*x->a));
    if (!x->a) {
        snprintf(err, errcap, "policies: out of memory");
        return -ENOMEM;
    }
    int r = db_policy_active_load(db, NULL, x->a, err, errcap);
    if (r != 0) {
        free(x->a);
        x->a = NULL;
        return r;
    }
    int i = policy_select((const policy_t *const *)x->a->ps, x->a->n, &x->pd, NULL);
    if (i < 0) {
        snprintf(err, errcap, "no active policy matches device %s", x->d->endpoint);
        return -ESRCH;
    }
    x->p = x->a->ps[i];
    x->ctx.version = x->a->versions[i];
    return 0;
}

void db_policy_prep_free(db_policy_prep_t *x)
{
    if (x->a) db_policy_active_free(x->a);
    free(x->a);
    if (x->d) db_device_clear(x->d);
    free(x->d);
    explicit_bzero(&x->ctx, sizeof(x->ctx));
    memset(x, 0, sizeof(*x));
}

bool db_policy_rotation_due(const db_policy_prep_t *x)
{
    policy_cred_t pc;
    char err[POLICY_ERR_MAX];
    if (policy_bs_rotation(x->p, &x->pd, &x->ctx, &pc, err, sizeof(err)) != 1) return false;
    const db_device_t *d = x->d;
    bool same = pc.kind == POLICY_CRED_PSK
                    ? d->kind == DEVFILE_PSK && strlen(d->psk_identity) == pc.identity_len &&
                          memcmp(d->psk_identity, pc.identity, pc.identity_len) == 0 &&
                          d->psk_key_len == pc.secret_len && memcmp(d->psk_key, pc.secret, pc.secret_len) == 0
                    : d->kind == DEVFILE_RPK && d->spki_len == pc.identity_len &&
                          memcmp(d->spki, pc.identity, pc.identity_len) == 0;
    explicit_bzero(&pc, sizeof(pc));
    return !same;
}

char *db_policy_last_discover(db_t *db, const char *endpoint, int *pct)
{
    const char *p[1] = {endpoint};
    PGresult *res = PQexecParams(db_pg(db),
                                 "SELECT record->>'discover', record->>'format' FROM sessions"
                                 " WHERE endpoint = $1 AND record ? 'discover' ORDER BY id DESC LIMIT 1",
                                 1, NULL, p, NULL, NULL, 0);
    char *d = NULL;
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
        d = strdup(PQgetvalue(res, 0, 0));
        if (!*pct) *pct = atoi(PQgetvalue(res, 0, 1));
    }
    PQclear(res);
    return d;
}

/* ---- the Access Control object of a dry run ---------------------------------------------- */

#define ACL_JSON_MAX (1u << 20)

static int id_of(json_t *v, unsigned max, unsigned *out)
{
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > (json_int_t)max)
        return -1;
    *out = (unsigned)json_integer_value(v);
    return 0;
}

static int acl_one(json_t *o, unboot_acl_t *a, char *err, size_t errcap, size_t i)
{
    static const char *const keys[] = {"iid", "obj", "inst", "owner", "acl"};
    unsigned v[4];
    const char *k;
    json_t *val;
    memset(a, 0, sizeof(*a));
    if (!json_is_object(o)) goto bad;
    json_object_foreach(o, k, val)
    {
        int known = 0;
        for (size_t n = 0; n < 5; n++)
            known |= strcmp(k, keys[n]) == 0;
        if (!known) goto bad;
    }
    for (size_t n = 0; n < 4; n++)
        if (id_of(json_object_get(o, keys[n]), n == 0 ? LWM2M_MAX_ID : 65535, &v[n]) != 0) goto bad;
    a->iid = (uint16_t)v[0];
    a->obj = (uint16_t)v[1];
    a->inst = (uint16_t)v[2];
    a->owner = (uint16_t)v[3];
    json_t *acl = json_object_get(o, "acl");
    if (!json_is_object(acl) || json_object_size(acl) > UNBOOT_MAX_ENTRIES) goto bad;
    json_object_foreach(acl, k, val)
    {
        char *end;
        unsigned long ssid = strtoul(k, &end, 10);
        unsigned rights;
        if (k[0] < '0' || k[0] > '9' || strlen(k) > 5 || *end || ssid > LWM2M_MAX_ID ||
            id_of(val, 255, &rights) != 0)
            goto bad;
        unsigned at = a->nent;
        while (at > 0 && a->ent[at - 1].ssid > ssid) {
            a->ent[at] = a->ent[at - 1];
            at--;
        }
        if (at > 0 && a->ent[at - 1].ssid == ssid) goto bad;
        a->ent[at] = (unboot_entry_t){(uint16_t)ssid, (uint16_t)rights};
        a->nent++;
    }
    return 0;
bad:
    snprintf(
        err, errcap,
        "access control instance %zu: expected {\"iid\": 0..65534, \"obj\", \"inst\", \"owner\": 0..65535, "
        "\"acl\": {\"SSID\" (0..65534): 0..255, ...} with at most %d entries}",
        i, UNBOOT_MAX_ENTRIES);
    return -1;
}

int db_policy_acl_parse(const char *json, unboot_acl_t *out, size_t cap, char *err, size_t errcap)
{
    size_t len = strnlen(json, ACL_JSON_MAX + 1);
    if (len > ACL_JSON_MAX) {
        snprintf(err, errcap, "access control table over %u bytes", ACL_JSON_MAX);
        return -1;
    }
    json_error_t je;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        snprintf(err, errcap, "access control table: line %d column %d: %s", je.line, je.column, je.text);
        return -1;
    }
    int n = -1;
    if (!json_is_array(root) || json_array_size(root) > cap) {
        snprintf(err, errcap, "access control table: expected an array of at most %zu instances", cap);
    } else {
        n = 0;
        for (size_t i = 0; i < json_array_size(root) && n >= 0; i++) {
            if (acl_one(json_array_get(root, i), &out[i], err, errcap, i) != 0) n = -1;
            for (size_t k = 0; n >= 0 && k < i; k++)
                if (out[k].iid == out[i].iid) {
                    snprintf(err, errcap, "access control table: instance %u twice", (unsigned)out[i].iid);
                    n = -1;
                }
            if (n >= 0) n++;
        }
    }
    json_decref(root);
    return n;
}

char *db_policy_acl_senml(const unboot_acl_t *acl, size_t n)
{
    size_t cap = n * (3 + UNBOOT_MAX_ENTRIES) + 1, total = 0;
    lwm2m_record_t *recs = malloc(cap * sizeof(*recs));
    size_t outcap = 64 + cap * 96;
    char *out = malloc(outcap);
    int ok = recs && out;
    for (size_t i = 0; ok && i < n; i++) {
        int r = unboot_acl_records(&acl[i], recs + total, cap - total);
        ok = r >= 0;
        if (ok) total += (size_t)r;
    }
    if (ok) ok = lwm2m_records_sort(recs, total) == 0;
    lwm2m_path_t base = lwm2m_path(1, LWM2M_OBJ_ACL, 0, 0, 0);
    int w = ok ? senml_json_encode(&base, recs, total, out, outcap - 1) : -1;
    free(recs);
    if (w < 0) {
        free(out);
        return NULL;
    }
    out[w] = 0;
    return out;
}

/* The newest Access Control table a session of |endpoint| recorded: the
 * result of its unbootstrap when that fully succeeded, else what it read. */
static char *last_acl(db_t *db, const char *endpoint)
{
    const char *p[1] = {endpoint};
    PGresult *res =
        PQexecParams(db_pg(db),
                     "SELECT CASE WHEN (record->'unboot'->>'failed')::int = 0 AND record->'unboot' ? "
                     "'after' THEN record->'unboot'->'after' ELSE record->'unboot'->'acl_state' END::text"
                     " FROM sessions WHERE endpoint = $1 AND record->'unboot' ? 'acl_state'"
                     " ORDER BY id DESC LIMIT 1",
                     1, NULL, p, NULL, NULL, 0);
    char *d = NULL;
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 && !PQgetisnull(res, 0, 0))
        d = strdup(PQgetvalue(res, 0, 0));
    PQclear(res);
    return d;
}

/* The Read /2 answer of a dry run's client (SenML JSON), or NULL (unknown). */
static char *dry_acl(db_t *db, const db_policy_prep_t *x, db_policy_run_t *out, char *err, size_t errcap,
                     int *bad)
{
    char *json = x->acl_json ? NULL : last_acl(db, x->d->endpoint);
    const char *src = x->acl_json ? x->acl_json : json;
    out->acl_source = x->acl_json ? "given" : json ? "last-session" : "unknown";
    if (!src) return NULL;
    unboot_acl_t *acl = malloc(UNBOOT_MAX_ACL * sizeof(*acl));
    int n = acl ? db_policy_acl_parse(src, acl, UNBOOT_MAX_ACL, err, errcap) : -1;
    char *senml = n >= 0 ? db_policy_acl_senml(acl, (size_t)n) : NULL;
    if (n < 0 && x->acl_json) *bad = 1; /* a recorded one that does not parse is just unknown */
    if (!senml) out->acl_source = "unknown";
    free(acl);
    free(json);
    return senml;
}

int db_policy_dry_run(db_t *db, db_policy_prep_t *x, const char *discover, int pct, bool reveal,
                      db_policy_run_t *out, char *err, size_t errcap)
{
    memset(out, 0, sizeof(*out));
    char *last = NULL;
    out->state = DB_POLICY_STATE_GIVEN;
    if (!discover) {
        /* Default: the client as its last recorded session found it. */
        last = db_policy_last_discover(db, x->d->endpoint, &pct);
        out->state = last ? DB_POLICY_STATE_LAST_SESSION : DB_POLICY_STATE_FRESH;
        discover = last;
    }
    /* A rotation is written while the device still uses another credential
     * (what the daemon does for a session with its current credential). */
    out->rotation_due = db_policy_rotation_due(x);
    if (out->rotation_due) x->ctx.flags |= POLICY_CTX_ROTATE_BS;
    /* Certificates the CA issued at bootstrap: the stored ones, else a
     * placeholder (the daemon's next load issues them). */
    db_certs_boot_dev_t bc;
    int r = db_certs_boot_device(db, x->p, &x->pd, &x->ctx, &bc, err, errcap);
    x->pd.certs = bc.certs;
    x->pd.ncerts = bc.n;
    x->ctx.flags |= POLICY_CTX_CERT_PLACEHOLDER;
    /* Unbootstrapping: the accounts written earlier, the queued removals
     * and the caller's extra ones; the client's Access Control object. */
    db_unboot_dev_t ud;
    uint16_t pending[DB_UNBOOT_MAX + 16];
    size_t npending = 0;
    int bad_acl = 0;
    char *acl = NULL;
    if (r == 0 && (r = db_unboot_device(db, x->d->endpoint, &ud, err, errcap)) == 0) {
        memcpy(pending, ud.pending, ud.npending * sizeof(pending[0]));
        npending = ud.npending;
        for (size_t i = 0; i < x->nunboot_extra && i < 16; i++)
            pending[npending++] = x->unboot_extra[i];
        x->pd.unboot_written = ud.written;
        x->pd.nunboot_written = ud.nwritten;
        x->pd.unboot_pending = pending;
        x->pd.nunboot_pending = npending;
        acl = dry_acl(db, x, out, err, errcap, &bad_acl);
        if (bad_acl) r = -EINVAL;
    }
    bs_plan_t *plan = r == 0 ? malloc(sizeof(*plan)) : NULL;
    if (bad_acl) {
        /* |err| says what is wrong with the given table. */
    } else if (r != 0) {
        char msg[POLICY_ERR_MAX];
        snprintf(msg, sizeof(msg), "%s", err);
        snprintf(err, errcap, "policy %s for %s: %s", policy_name(x->p), x->d->endpoint, msg);
    } else if (!plan) {
        snprintf(err, errcap, "out of memory");
        r = -ENOMEM;
    } else if (policy_compile(x->p, &x->pd, &x->ctx, plan, err, errcap) != 0) {
        char msg[POLICY_ERR_MAX];
        snprintf(msg, sizeof(msg), "%s", err);
        snprintf(err, errcap, "policy %s for %s: %s", policy_name(x->p), x->d->endpoint, msg);
        r = -EINVAL;
    } else {
        policy_client_t cl = {.discover = discover,
                              .pct = (uint16_t)(pct ? pct : DB_POLICY_PCT_FRESH),
                              .read = acl,
                              .read_format = COAP_CF_SENML_JSON};
        out->json = policy_dry_run_alloc(plan, &cl, reveal);
        if (!out->json) {
            snprintf(err, errcap, "dry run failed");
            r = -ENOMEM;
        }
    }
    if (plan) explicit_bzero(plan, sizeof(*plan));
    free(plan);
    x->pd.certs = NULL;
    x->pd.ncerts = 0;
    x->pd.unboot_written = x->pd.unboot_pending = NULL;
    x->pd.nunboot_written = x->pd.nunboot_pending = 0;
    db_certs_boot_dev_free(&bc);
    free(acl);
    free(last);
    return r;
}

void db_policy_run_free(db_policy_run_t *run)
{
    if (run->json) explicit_bzero(run->json, strlen(run->json));
    free(run->json);
    run->json = NULL;
}

/* ---- generated credentials ---------------------------------------------------------- */

static json_t *hex(const uint8_t *b, size_t n)
{
    char *s = malloc(2 * n + 1);
    if (!s) return json_null();
    for (size_t i = 0; i < n; i++)
        snprintf(s + 2 * i, 3, "%02x", b[i]);
    s[2 * n] = 0;
    json_t *j = json_string(s);
    explicit_bzero(s, 2 * n);
    free(s);
    return j;
}

/* The credentials of |x| into a calloc'ed array (wipe and free it); the
 * count, or -1 with |err| set. */
static int export(const db_policy_prep_t *x, policy_cred_t **out, char *err, size_t errcap)
{
    *out = calloc(POLICY_CRED_MAX, sizeof(**out));
    char perr[POLICY_ERR_MAX];
    int n = *out ? policy_export_creds(x->p, &x->pd, &x->ctx, *out, POLICY_CRED_MAX, perr, sizeof(perr)) : -1;
    if (n < 0)
        snprintf(err, errcap, "policy %s for %s: %s", policy_name(x->p), x->d->endpoint,
                 *out ? perr : "out of memory");
    return n;
}

static void export_free(policy_cred_t *cr)
{
    if (cr) explicit_bzero(cr, POLICY_CRED_MAX * sizeof(*cr));
    free(cr);
}

json_t *db_policy_creds_json(const db_policy_prep_t *x, bool reveal, char *err, size_t errcap)
{
    policy_cred_t *cr;
    int n = export(x, &cr, err, errcap);
    if (n < 0) {
        export_free(cr);
        return NULL;
    }
    json_t *arr = json_array();
    static const char *const kinds[] = {"?", "psk", "rpk", "oscore"};
    for (int i = 0; arr && i < n; i++) {
        const policy_cred_t *c = &cr[i];
        json_t *e = json_pack("{s:s, s:s, s:i, s:i, s:b}", "endpoint", x->d->endpoint, "kind",
                              kinds[c->kind <= 3 ? c->kind : 0], "ssid", c->ssid, "rotation",
                              (int)c->rotation, "bootstrap", c->bootstrap != 0);
        if (!e) continue;
        if (c->kind == POLICY_CRED_PSK)
            json_object_set_new(e, "identity", json_stringn((const char *)c->identity, c->identity_len));
        else
            json_object_set_new(e, c->kind == POLICY_CRED_RPK ? "public_key_hex" : "sender_id_hex",
                                hex(c->identity, c->identity_len));
        if (c->recipient_len) json_object_set_new(e, "recipient_id_hex", hex(c->recipient, c->recipient_len));
        json_object_set_new(e, "secret_hex",
                            reveal ? hex(c->secret, c->secret_len) : json_string("<redacted>"));
        json_array_append_new(arr, e);
    }
    export_free(cr);
    json_t *doc = arr ? json_pack("{s:s, s:i, s:o}", "policy", policy_name(x->p), "policy_version",
                                  (int)x->ctx.version, "credentials", arr)
                      : NULL;
    if (!doc) snprintf(err, errcap, "out of memory");
    return doc;
}

int db_policy_creds_leshan(const db_policy_prep_t *x, int ssid, json_t *arr, char *err, size_t errcap)
{
    policy_cred_t *cr;
    int n = export(x, &cr, err, errcap), added = 0;
    for (int i = 0; i < n; i++) {
        const policy_cred_t *c = &cr[i];
        if (c->bootstrap || (ssid >= 0 && c->ssid != ssid)) continue;
        json_t *e = NULL;
        if (c->kind == POLICY_CRED_PSK)
            e = json_pack("{s:s, s:{s:s, s:{s:s%, s:o}}}", "endpoint", x->d->endpoint, "tls", "mode", "psk",
                          "details", "identity", (const char *)c->identity, c->identity_len, "key",
                          hex(c->secret, c->secret_len));
        else if (c->kind == POLICY_CRED_RPK)
            e = json_pack("{s:s, s:{s:s, s:{s:o}}}", "endpoint", x->d->endpoint, "tls", "mode", "rpk",
                          "details", "key", hex(c->identity, c->identity_len));
        else if (c->kind == POLICY_CRED_OSCORE)
            /* Leshan keeps the server's side of the context: its Sender ID
             * is the client's Recipient ID and the other way round. */
            e = json_pack("{s:s, s:{s:o, s:o, s:o}}", "endpoint", x->d->endpoint, "oscore", "sid",
                          hex(c->recipient, c->recipient_len), "rid", hex(c->identity, c->identity_len),
                          "msec", hex(c->secret, c->secret_len));
        if (!e || json_array_append_new(arr, e) != 0) {
            snprintf(err, errcap, "out of memory");
            n = -1;
            break;
        }
        added++;
    }
    export_free(cr);
    return n < 0 ? -1 : added;
}
