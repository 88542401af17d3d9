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

#include "bsd/db/db_certs_boot.h"
#include "bsd/db/db_devices.h"
#include "bsd/db/db_settings.h"

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
    bs_plan_t *plan = r == 0 ? malloc(sizeof(*plan)) : NULL;
    if (r != 0) {
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
        policy_client_t cl = {.discover = discover, .pct = (uint16_t)(pct ? pct : DB_POLICY_PCT_FRESH)};
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
    db_certs_boot_dev_free(&bc);
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
