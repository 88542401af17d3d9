/*
 * bsctl_policy.c — `bsctl policy ...`: validate YAML policies, store them as
 * new versions, activate or roll back a version, list and show them, preview
 * the exact plan a device would get (dry run through the real engine), and
 * export the credentials a policy generates for a device.
 *
 * Parsing and compiling are bsd/policy's; storage is bsd/db/db_policies.h.
 * The daemon picks up every change through LISTEN/NOTIFY.
 */
#include "tools/bsctl/bsctl.h"

#include <errno.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

#include "bsd/db/db_devices.h"
#include "bsd/db/db_policies.h"
#include "bsd/db/db_settings.h"
#include "bsd/policy/policy.h"

#define POL_FILE_MAX   (1u << 20)
#define POL_ACTIVE_MAX 256

/* Reads |path| ("-" = stdin) into a malloc'ed NUL-terminated buffer. */
static char *read_all(const char *path, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) {
        bsctl_err("%s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = malloc(POL_FILE_MAX + 2);
    size_t n = buf ? fread(buf, 1, POL_FILE_MAX + 1, f) : 0;
    int bad = !buf || ferror(f);
    if (f != stdin) fclose(f);
    if (bad || n > POL_FILE_MAX) {
        bsctl_err("%s: %s", path, bad ? "cannot read" : "larger than 1 MiB");
        free(buf);
        return NULL;
    }
    buf[n] = 0;
    *len = n;
    return buf;
}

static policy_t *parse_file(const char *path, char **src, size_t *len)
{
    *src = read_all(path, len);
    if (!*src) return NULL;
    char err[POLICY_ERR_MAX];
    policy_t *p = policy_parse(path, *src, *len, err, sizeof(err));
    if (!p) {
        fprintf(stderr, "%s\n", err);
        free(*src);
        *src = NULL;
    }
    return p;
}

static int cmd_validate(bsctl_t *ctl, int argc, char **argv)
{
    char *pos[64];
    int npos;
    int r = bsctl_parse(ctl, argc, argv, NULL, NULL, NULL, pos, 64, &npos);
    if (r != 0) return r;
    if (npos == 0) {
        bsctl_err("usage: bsctl policy validate FILE...");
        return BSCTL_USAGE;
    }
    int bad = 0;
    for (int i = 0; i < npos; i++) {
        char *src;
        size_t len;
        policy_t *p = parse_file(pos[i], &src, &len);
        if (!p) {
            bad = 1;
            continue;
        }
        printf("%s: OK (policy %s, priority %d)\n", pos[i], policy_name(p), (int)policy_priority(p));
        policy_free(p);
        free(src);
    }
    return bad ? BSCTL_FAIL : BSCTL_OK;
}

/* ---- the active policies, parsed -------------------------------------------- */

typedef struct active_set {
    policy_t *ps[POL_ACTIVE_MAX];
    uint32_t versions[POL_ACTIVE_MAX];
    size_t n;
    char names[POL_ACTIVE_MAX][DB_POLICY_NAME_MAX + 1];
    int vers[POL_ACTIVE_MAX];
    size_t nnames;
} active_set_t;

static int collect_active(void *arg, const db_policy_t *p)
{
    active_set_t *a = arg;
    if (!p->active) return 0;
    if (a->nnames == POL_ACTIVE_MAX) return -E2BIG;
    snprintf(a->names[a->nnames], sizeof(a->names[0]), "%s", p->name);
    a->vers[a->nnames++] = p->version;
    return 0;
}

static void active_free(active_set_t *a)
{
    for (size_t i = 0; i < a->n; i++)
        policy_free(a->ps[i]);
    a->n = 0;
}

/* Loads and parses every active policy except |skip| (NULL: none). */
static int load_active(bsctl_t *ctl, active_set_t *a, const char *skip)
{
    memset(a, 0, sizeof(*a));
    if (db_policies_list(ctl->db, NULL, collect_active, a) != 0) {
        bsctl_err("policies: %s", db_errmsg(ctl->db));
        return BSCTL_FAIL;
    }
    for (size_t i = 0; i < a->nnames; i++) {
        if (skip && strcmp(skip, a->names[i]) == 0) continue;
        db_policy_t p;
        memset(&p, 0, sizeof(p));
        if (db_policies_get(ctl->db, a->names[i], a->vers[i], &p) != 0) {
            bsctl_err("policy %s: %s", a->names[i], db_errmsg(ctl->db));
            active_free(a);
            return BSCTL_FAIL;
        }
        char name[128], err[POLICY_ERR_MAX];
        snprintf(name, sizeof(name), "%s v%d", p.name, p.version);
        a->ps[a->n] = policy_parse(name, p.source, strlen(p.source), err, sizeof(err));
        a->versions[a->n] = (uint32_t)p.version;
        db_policy_free(&p);
        if (!a->ps[a->n]) {
            bsctl_err("stored policy %s", err);
            active_free(a);
            return BSCTL_FAIL;
        }
        a->n++;
    }
    return 0;
}

enum { OPT_NO_ACTIVATE = 1, OPT_VERSION, OPT_DEVICE, OPT_DISCOVER, OPT_PCT, OPT_REVEAL, OPT_FILE };

typedef struct pol_opts {
    int no_activate;
    int version;
    const char *device;
    const char *discover;
    int pct;
    int reveal;
    const char *file;
} pol_opts_t;

static int on_opt(void *arg, int id, const char *val)
{
    pol_opts_t *o = arg;
    char *end;
    switch (id) {
    case OPT_NO_ACTIVATE: o->no_activate = 1; return 0;
    case OPT_REVEAL: o->reveal = 1; return 0;
    case OPT_DEVICE: o->device = val; return 0;
    case OPT_DISCOVER: o->discover = val; return 0;
    case OPT_FILE: o->file = val; return 0;
    case OPT_VERSION:
    case OPT_PCT: {
        long v = strtol(val, &end, 10);
        if (*end || v < 0 || v > 65535) {
            bsctl_err("--%s: expected a number, got '%s'", id == OPT_PCT ? "pct" : "version", val);
            return BSCTL_USAGE;
        }
        if (id == OPT_PCT)
            o->pct = (int)v;
        else
            o->version = (int)v;
        return 0;
    }
    }
    return BSCTL_USAGE;
}

static const bsctl_opt_t pol_opts[] = {
    {"no-activate", false, OPT_NO_ACTIVATE},
    {"version", true, OPT_VERSION},
    {"device", true, OPT_DEVICE},
    {"discover", true, OPT_DISCOVER},
    {"pct", true, OPT_PCT},
    {"reveal", false, OPT_REVEAL},
    {"file", true, OPT_FILE},
    {NULL, false, 0},
};

static int cmd_apply(bsctl_t *ctl, int argc, char **argv)
{
    pol_opts_t o = {0};
    char *pos[1];
    int npos;
    int r = bsctl_parse(ctl, argc, argv, pol_opts, on_opt, &o, pos, 1, &npos);
    if (r != 0) return r;
    if (npos != 1) {
        bsctl_err("usage: bsctl policy apply FILE [--no-activate]");
        return BSCTL_USAGE;
    }
    char *src;
    size_t len;
    policy_t *p = parse_file(pos[0], &src, &len);
    if (!p) return BSCTL_FAIL;
    char name[DB_POLICY_NAME_MAX + 1];
    snprintf(name, sizeof(name), "%s", policy_name(p));
    if (!db_policy_name_ok(name)) {
        bsctl_err("%s: policy name '%s' cannot be stored (letters, digits, '.', '_', '-'; at most 63)",
                  pos[0], name);
        policy_free(p);
        free(src);
        return BSCTL_FAIL;
    }
    if ((r = bsctl_connect(ctl, true)) != 0) goto out;
    /* Two active policies that may match one device at the same priority
     * make the choice depend on names only: say so before storing. */
    active_set_t *a = malloc(sizeof(*a));
    if (!a || load_active(ctl, a, name) != 0) {
        free(a);
        r = BSCTL_FAIL;
        goto out;
    }
    for (size_t i = 0; i < a->n; i++)
        if (policy_may_overlap(p, a->ps[i]))
            fprintf(stderr,
                    "bsctl: warning: %s may match the same devices as active policy %s at the same priority "
                    "(%d); the name that sorts first wins\n",
                    name, policy_name(a->ps[i]), (int)policy_priority(p));
    active_free(a);
    free(a);
    int version = 0;
    if (db_policies_store(ctl->db, name, src, len, NULL, ctl->actor, &version) != 0) {
        bsctl_err("%s: %s", pos[0], db_errmsg(ctl->db));
        r = BSCTL_FAIL;
        goto out;
    }
    if (!o.no_activate && db_policies_activate(ctl->db, name, version, ctl->actor) != 0) {
        bsctl_err("%s: stored as version %d but not activated: %s", pos[0], version, db_errmsg(ctl->db));
        r = BSCTL_FAIL;
        goto out;
    }
    if (ctl->json)
        bsctl_json_out(
            json_pack("{s:s, s:i, s:b}", "policy", name, "version", version, "active", !o.no_activate));
    else
        printf("policy %s: stored version %d%s\n", name, version, o.no_activate ? "" : " (active)");
    r = BSCTL_OK;
out:
    policy_free(p);
    free(src);
    return r;
}

static int cmd_activate(bsctl_t *ctl, int argc, char **argv)
{
    char *pos[2];
    int npos;
    int r = bsctl_parse(ctl, argc, argv, NULL, NULL, NULL, pos, 2, &npos);
    if (r != 0) return r;
    char *end = NULL;
    long v = npos == 2 ? strtol(pos[1], &end, 10) : -1;
    if (npos != 2 || *end || v < 1) {
        bsctl_err("usage: bsctl policy activate NAME VERSION   (also to roll back)");
        return BSCTL_USAGE;
    }
    if ((r = bsctl_connect(ctl, true)) != 0) return r;
    /* The stored source must still parse with this bsctl (and daemon). */
    db_policy_t p;
    memset(&p, 0, sizeof(p));
    if (db_policies_get(ctl->db, pos[0], (int)v, &p) != 0) {
        bsctl_err("policy %s version %ld: %s", pos[0], v, db_errmsg(ctl->db));
        return BSCTL_FAIL;
    }
    char err[POLICY_ERR_MAX];
    policy_t *pp = policy_parse(pos[0], p.source, strlen(p.source), err, sizeof(err));
    db_policy_free(&p);
    if (!pp) {
        bsctl_err("policy %s version %ld no longer parses: %s", pos[0], v, err);
        return BSCTL_FAIL;
    }
    policy_free(pp);
    if (db_policies_activate(ctl->db, pos[0], (int)v, ctl->actor) != 0) {
        bsctl_err("policy %s version %ld: %s", pos[0], v, db_errmsg(ctl->db));
        return BSCTL_FAIL;
    }
    printf("policy %s: version %ld is active\n", pos[0], v);
    return BSCTL_OK;
}

static int print_version(void *arg, const db_policy_t *p)
{
    json_t *arr = arg;
    if (arr)
        json_array_append_new(arr,
                              json_pack("{s:s, s:i, s:b, s:s, s:s}", "name", p->name, "version", p->version,
                                        "active", p->active, "author", p->author, "created", p->created));
    else
        printf("%-24s %7d  %-6s  %-24s %s\n", p->name, p->version, p->active ? "yes" : "", p->author,
               p->created);
    return 0;
}

static int cmd_list(bsctl_t *ctl, int argc, char **argv)
{
    char *pos[1];
    int npos;
    int r = bsctl_parse(ctl, argc, argv, NULL, NULL, NULL, pos, 1, &npos);
    if (r != 0) return r;
    if ((r = bsctl_connect(ctl, true)) != 0) return r;
    json_t *arr = ctl->json ? json_array() : NULL;
    if (!arr) printf("%-24s %7s  %-6s  %-24s %s\n", "NAME", "VERSION", "ACTIVE", "AUTHOR", "CREATED");
    if (db_policies_list(ctl->db, npos ? pos[0] : NULL, print_version, arr) != 0) {
        bsctl_err("policies: %s", db_errmsg(ctl->db));
        json_decref(arr);
        return BSCTL_FAIL;
    }
    if (arr) bsctl_json_out(arr);
    return BSCTL_OK;
}

static int cmd_show(bsctl_t *ctl, int argc, char **argv)
{
    pol_opts_t o = {0};
    char *pos[1];
    int npos;
    int r = bsctl_parse(ctl, argc, argv, pol_opts, on_opt, &o, pos, 1, &npos);
    if (r != 0) return r;
    if (npos != 1) {
        bsctl_err("usage: bsctl policy show NAME [--version N]   (default: the active version)");
        return BSCTL_USAGE;
    }
    if ((r = bsctl_connect(ctl, true)) != 0) return r;
    db_policy_t p;
    memset(&p, 0, sizeof(p));
    if (db_policies_get(ctl->db, pos[0], o.version, &p) != 0) {
        bsctl_err("policy %s: %s", pos[0], db_errmsg(ctl->db));
        return BSCTL_FAIL;
    }
    if (ctl->json)
        bsctl_json_out(json_pack("{s:s, s:i, s:b, s:s, s:s, s:s}", "name", p.name, "version", p.version,
                                 "active", p.active, "author", p.author, "created", p.created, "source",
                                 p.source));
    else
        fputs(p.source, stdout);
    db_policy_free(&p);
    return BSCTL_OK;
}

/* ---- dry run and credentials ------------------------------------------------ */

/* The device as policies see it, from its record. */
typedef struct devview {
    db_device_t *d;
    policy_label_t labels[DB_DEVICE_LABELS_MAX];
    policy_device_t pd;
} devview_t;

static int load_device(bsctl_t *ctl, const char *ep, devview_t *v)
{
    v->d = calloc(1, sizeof(*v->d));
    if (!v->d) return BSCTL_FAIL;
    if (db_devices_get(ctl->db, &ctl->sb, ep, v->d) != 0) {
        bsctl_err("device %s: %s", ep, db_errmsg(ctl->db));
        return BSCTL_FAIL;
    }
    for (size_t i = 0; i < v->d->nlabels; i++) {
        v->labels[i].key = v->d->labels[i].key;
        v->labels[i].value = v->d->labels[i].value;
    }
    v->pd = (policy_device_t){.endpoint = v->d->endpoint,
                              .serial = v->d->serial[0] ? v->d->serial : NULL,
                              .labels = v->labels,
                              .nlabels = v->d->nlabels};
    return 0;
}

static void devview_free(devview_t *v)
{
    if (v->d) db_device_clear(v->d);
    free(v->d);
}

/*
 * Everything a compilation needs for device o->device: the active policies
 * (or the one in --file, not yet stored), the device's view, the selected
 * policy and the context with the stored derivation key.
 */
typedef struct prep {
    active_set_t *a;
    devview_t v;
    policy_t *filep;
    char *filesrc;
    const policy_t *p;
    policy_ctx_t ctx;
} prep_t;

static void prep_free(prep_t *x)
{
    if (x->a) active_free(x->a);
    free(x->a);
    devview_free(&x->v);
    policy_free(x->filep);
    free(x->filesrc);
    explicit_bzero(&x->ctx, sizeof(x->ctx));
}

static int prepare(bsctl_t *ctl, const pol_opts_t *o, prep_t *x)
{
    memset(x, 0, sizeof(*x));
    int r;
    if ((r = bsctl_connect(ctl, true)) != 0 || (r = bsctl_keys(ctl)) != 0) return r;
    if ((r = load_device(ctl, o->device, &x->v)) != 0) return r;
    uint8_t key[DB_CREDENTIAL_KEY_LEN];
    if (db_credential_key(ctl->db, &ctl->sb, key) != 0) {
        bsctl_err("%s", db_errmsg(ctl->db));
        return BSCTL_FAIL;
    }
    memcpy(x->ctx.key, key, sizeof(key));
    explicit_bzero(key, sizeof(key));
    if (o->file) {
        size_t len;
        x->filep = parse_file(o->file, &x->filesrc, &len);
        if (!x->filep) return BSCTL_FAIL;
        if (!policy_matches(x->filep, &x->v.pd)) {
            bsctl_err("%s: policy %s does not match device %s", o->file, policy_name(x->filep), o->device);
            return BSCTL_FAIL;
        }
        x->p = x->filep;
        x->ctx.version = 0; /* not stored yet */
        return 0;
    }
    x->a = malloc(sizeof(*x->a));
    if (!x->a || (r = load_active(ctl, x->a, NULL)) != 0) return BSCTL_FAIL;
    int i = policy_select((const policy_t *const *)x->a->ps, x->a->n, &x->v.pd, NULL);
    if (i < 0) {
        bsctl_err("no active policy matches device %s", o->device);
        return BSCTL_FAIL;
    }
    x->p = x->a->ps[i];
    x->ctx.version = x->a->versions[i];
    return 0;
}

/* Whether the selected policy rotates the device to a credential it does not hold. */
static int rotation_due(prep_t *x)
{
    policy_cred_t pc;
    char err[POLICY_ERR_MAX];
    if (policy_bs_rotation(x->p, &x->v.pd, &x->ctx, &pc, err, sizeof(err)) != 1) return 0;
    const db_device_t *d = x->v.d;
    int same = pc.kind == POLICY_CRED_PSK
                   ? d->kind == DEVFILE_PSK && strlen(d->psk_identity) == pc.identity_len &&
                         memcmp(d->psk_identity, pc.identity, pc.identity_len) == 0 &&
                         d->psk_key_len == pc.secret_len && memcmp(d->psk_key, pc.secret, pc.secret_len) == 0
                   : d->kind == DEVFILE_RPK && d->spki_len == pc.identity_len &&
                         memcmp(d->spki, pc.identity, pc.identity_len) == 0;
    explicit_bzero(&pc, sizeof(pc));
    return !same;
}

/*
 * The Discover answer recorded with the device's last session that had one
 * (malloc'ed), and that session's payload format into |*pct| unless set; NULL
 * when there is none.
 */
static char *last_discover(bsctl_t *ctl, const char *ep, int *pct)
{
    const char *p[1] = {ep};
    PGresult *res = PQexecParams(db_pg(ctl->db),
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

static int cmd_plan(bsctl_t *ctl, int argc, char **argv)
{
    pol_opts_t o = {0};
    char *pos[1];
    int npos;
    int r = bsctl_parse(ctl, argc, argv, pol_opts, on_opt, &o, pos, 0, &npos);
    if (r != 0) return r;
    if (!o.device) {
        bsctl_err("usage: bsctl policy plan --device EP [--file POLICY.yaml] [--discover LINKFORMAT|@FILE] "
                  "[--pct N] [--reveal]");
        return BSCTL_USAGE;
    }
    prep_t x;
    r = prepare(ctl, &o, &x);
    char *disc = NULL;
    const char *state = "given";
    if (r == 0 && o.discover && o.discover[0] == '@') {
        size_t len;
        disc = read_all(o.discover + 1, &len);
        if (!disc) r = BSCTL_FAIL;
    } else if (r == 0 && !o.discover) {
        /* Default: the client as its last recorded session found it. */
        disc = last_discover(ctl, o.device, &o.pct);
        state = disc ? "last_session" : "fresh";
    }
    /* A rotation is written while the device still uses another credential
     * (what the daemon does for a session with its current credential). */
    if (r == 0 && rotation_due(&x)) {
        x.ctx.flags |= POLICY_CTX_ROTATE_BS;
        fprintf(stderr, "bsctl: bootstrap credential rotation due: the plan writes the new credential\n");
    }
    bs_plan_t *plan = r == 0 ? malloc(sizeof(*plan)) : NULL;
    if (r == 0 && plan) {
        char err[POLICY_ERR_MAX];
        if (policy_compile(x.p, &x.v.pd, &x.ctx, plan, err, sizeof(err)) != 0) {
            bsctl_err("policy %s for %s: %s", policy_name(x.p), o.device, err);
            r = BSCTL_FAIL;
        } else {
            policy_client_t cl = {.discover = disc ? disc : o.discover,
                                  .pct = (uint16_t)(o.pct ? o.pct : 112)};
            char *json = policy_dry_run_alloc(plan, &cl, o.reveal != 0);
            if (!json) {
                bsctl_err("dry run failed");
                r = BSCTL_FAIL;
            } else {
                fprintf(stderr, "bsctl: client state: %s\n",
                        strcmp(state, "last_session") == 0
                            ? "the Discover answer of the device's last session"
                        : strcmp(state, "fresh") == 0 ? "a fresh LwM2M 1.1 client (no session recorded)"
                                                      : "as given (--discover)");
                puts(json);
                explicit_bzero(json, strlen(json));
                free(json);
            }
        }
        explicit_bzero(plan, sizeof(*plan));
    } else if (r == 0) {
        r = BSCTL_FAIL;
    }
    free(plan);
    free(disc);
    prep_free(&x);
    return r;
}

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

static int cmd_credentials(bsctl_t *ctl, int argc, char **argv)
{
    pol_opts_t o = {0};
    char *pos[1];
    int npos;
    int r = bsctl_parse(ctl, argc, argv, pol_opts, on_opt, &o, pos, 0, &npos);
    if (r != 0) return r;
    if (!o.device) {
        bsctl_err("usage: bsctl policy credentials --device EP [--reveal]");
        return BSCTL_USAGE;
    }
    prep_t x;
    if ((r = prepare(ctl, &o, &x)) != 0) {
        prep_free(&x);
        return r;
    }
    policy_cred_t *cr = calloc(POLICY_CRED_MAX, sizeof(*cr));
    char err[POLICY_ERR_MAX];
    int n = cr ? policy_export_creds(x.p, &x.v.pd, &x.ctx, cr, POLICY_CRED_MAX, err, sizeof(err)) : -1;
    if (n < 0) {
        bsctl_err("policy %s for %s: %s", policy_name(x.p), o.device, cr ? err : "out of memory");
        r = BSCTL_FAIL;
    } else {
        json_t *arr = json_array();
        static const char *const kinds[] = {"?", "psk", "rpk", "oscore"};
        for (int i = 0; i < n; i++) {
            const policy_cred_t *c = &cr[i];
            json_t *e = json_pack("{s:s, s:s, s:i, s:i, s:b}", "endpoint", o.device, "kind",
                                  kinds[c->kind <= 3 ? c->kind : 0], "ssid", c->ssid, "rotation",
                                  (int)c->rotation, "bootstrap", c->bootstrap != 0);
            if (c->kind == POLICY_CRED_PSK)
                json_object_set_new(e, "identity", json_stringn((const char *)c->identity, c->identity_len));
            else
                json_object_set_new(e, c->kind == POLICY_CRED_RPK ? "public_key_hex" : "sender_id_hex",
                                    hex(c->identity, c->identity_len));
            if (c->recipient_len)
                json_object_set_new(e, "recipient_id_hex", hex(c->recipient, c->recipient_len));
            json_object_set_new(e, "secret_hex",
                                o.reveal ? hex(c->secret, c->secret_len) : json_string("<redacted>"));
            json_array_append_new(arr, e);
        }
        json_t *doc = json_pack("{s:s, s:i, s:o}", "policy", policy_name(x.p), "policy_version",
                                (int)x.ctx.version, "credentials", arr);
        bsctl_json_out(doc);
        r = BSCTL_OK;
    }
    if (cr) explicit_bzero(cr, POLICY_CRED_MAX * sizeof(*cr));
    free(cr);
    prep_free(&x);
    return r;
}

static const struct {
    const char *name;
    int (*fn)(bsctl_t *, int, char **);
    const char *usage;
} pol_cmds[] = {
    {"validate", cmd_validate, "validate FILE...            check policies (no database needed)"},
    {"apply", cmd_apply, "apply FILE [--no-activate]  store as a new version and activate it"},
    {"activate", cmd_activate, "activate NAME VERSION       make a stored version active (also a roll-back)"},
    {"list", cmd_list, "list [NAME]                 versions, which one is active"},
    {"show", cmd_show, "show NAME [--version N]     the YAML source (default: the active version)"},
    {"plan", cmd_plan,
     "plan --device EP [--file F] [--discover LINKFORMAT|@FILE] [--pct N] [--reveal]\n"
     "                                the exact requests the device would get (dry run)"},
    {"credentials", cmd_credentials,
     "credentials --device EP [--reveal]   credentials generated for the device"},
};

int bsctl_policy_main(bsctl_t *ctl, int argc, char **argv)
{
    if (argc < 1 || strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) {
        FILE *f = argc < 1 ? stderr : stdout;
        fputs("usage: bsctl policy COMMAND\n\n", f);
        for (size_t i = 0; i < sizeof(pol_cmds) / sizeof(pol_cmds[0]); i++)
            fprintf(f, "  %s\n", pol_cmds[i].usage);
        fputs("\nThe client state of a dry run defaults to the Discover answer recorded with the device's\n"
              "last session (and its format), else a fresh LwM2M 1.1 client holding only its\n"
              "Bootstrap-Server account at /0/0; --discover gives a Discover answer instead.\n"
              "Secrets are shown only with --reveal. Format: docs/POLICY.md.\n",
              f);
        return argc < 1 ? BSCTL_USAGE : BSCTL_OK;
    }
    for (size_t i = 0; i < sizeof(pol_cmds) / sizeof(pol_cmds[0]); i++)
        if (strcmp(argv[0], pol_cmds[i].name) == 0) return pol_cmds[i].fn(ctl, argc - 1, argv + 1);
    bsctl_err("unknown policy command '%s' (bsctl policy --help)", argv[0]);
    return BSCTL_USAGE;
}
