/*
 * bsctl_policy.c — `bsctl policy ...`: validate YAML policies, store them as
 * new versions, activate or roll back a version, list and show them, preview
 * the exact plan a device would get (dry run through the real engine), and
 * export the credentials a policy generates for a device.
 *
 * Parsing and compiling are bsd/policy's; storage is bsd/db/db_policies.h;
 * what the REST API does the same way (apply, activate, the device's view
 * and policy for a dry run, credential export) is bsd/db/db_policy_ops.h.
 * The daemon picks up every change through LISTEN/NOTIFY.
 */
#include "tools/bsctl/bsctl.h"

#include <errno.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

#include "bsd/db/db_policies.h"
#include "bsd/db/db_policy_ops.h"
#include "bsd/policy/policy.h"

#define POL_FILE_MAX (1u << 20)

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

enum { OPT_NO_ACTIVATE = 1, OPT_VERSION, OPT_DEVICE, OPT_DISCOVER, OPT_PCT, OPT_REVEAL, OPT_FILE, OPT_ACL };

typedef struct pol_opts {
    int no_activate;
    int version;
    const char *device;
    const char *discover;
    int pct;
    int reveal;
    const char *file;
    const char *acl;
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
    case OPT_ACL: o->acl = val; return 0;
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
    {"acl", true, OPT_ACL},
    {NULL, false, 0},
};

static void print_warning(void *arg, const char *msg)
{
    (void)arg;
    fprintf(stderr, "bsctl: warning: %s\n", msg);
}

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
    size_t len;
    char *src = read_all(pos[0], &len);
    if (!src) return BSCTL_FAIL;
    char err[DB_POLICY_ERR_MAX];
    bool bad_name;
    policy_t *p = db_policy_check(pos[0], src, len, &bad_name, err, sizeof(err));
    if (!p) {
        if (bad_name)
            bsctl_err("%s", err);
        else
            fprintf(stderr, "%s\n", err);
        free(src);
        return BSCTL_FAIL;
    }
    char name[DB_POLICY_NAME_MAX + 1];
    snprintf(name, sizeof(name), "%s", policy_name(p));
    if ((r = bsctl_connect(ctl, true)) != 0) goto out;
    /* Two active policies that may match one device at the same priority
     * make the choice depend on names only: say so before storing. */
    if (db_policy_overlaps(ctl->db, p, print_warning, NULL, err, sizeof(err)) != 0) {
        bsctl_err("%s", err);
        r = BSCTL_FAIL;
        goto out;
    }
    db_policy_applied_t done;
    if (db_policy_apply(ctl->db, name, src, len, o.no_activate ? 0 : DB_POLICY_APPLY_ACTIVATE, ctl->actor,
                        &done, err, sizeof(err)) != 0) {
        if (done.stored)
            bsctl_err("%s: stored as version %d but not activated: %s", pos[0], done.version, err);
        else
            bsctl_err("%s: %s", pos[0], err);
        r = BSCTL_FAIL;
        goto out;
    }
    if (ctl->json)
        bsctl_json_out(
            json_pack("{s:s, s:i, s:b}", "policy", name, "version", done.version, "active", !o.no_activate));
    else
        printf("policy %s: stored version %d%s\n", name, done.version, o.no_activate ? "" : " (active)");
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
    char err[DB_POLICY_ERR_MAX];
    r = db_policy_activate_checked(ctl->db, pos[0], (int)v, ctl->actor, err, sizeof(err));
    if (r == -EBADMSG) {
        bsctl_err("policy %s version %ld no longer parses: %s", pos[0], v, err);
        return BSCTL_FAIL;
    }
    if (r != 0) {
        bsctl_err("policy %s version %ld: %s", pos[0], v, err);
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

/*
 * Everything a compilation needs for device o->device (db_policy_ops.h),
 * with the policy of --file (not yet stored) in |*filep| when given.
 */
static int prepare(bsctl_t *ctl, const pol_opts_t *o, db_policy_prep_t *x, policy_t **filep, char **filesrc)
{
    memset(x, 0, sizeof(*x));
    *filep = NULL;
    *filesrc = NULL;
    int r;
    if ((r = bsctl_connect(ctl, true)) != 0 || (r = bsctl_keys(ctl)) != 0) return r;
    char err[DB_POLICY_ERR_MAX];
    if (db_policy_prep_device(ctl->db, &ctl->sb, o->device, x, err, sizeof(err)) != 0) {
        bsctl_err("%s", err);
        return BSCTL_FAIL;
    }
    if (o->file) {
        size_t len;
        *filep = parse_file(o->file, filesrc, &len);
        if (!*filep) return BSCTL_FAIL;
    }
    r = db_policy_prep_select(ctl->db, x, *filep, err, sizeof(err));
    if (r == -ESRCH && o->file)
        bsctl_err("%s: %s", o->file, err);
    else if (r != 0)
        bsctl_err("%s", err);
    return r ? BSCTL_FAIL : 0;
}

static void prep_free(db_policy_prep_t *x, policy_t *filep, char *filesrc)
{
    db_policy_prep_free(x);
    policy_free(filep);
    free(filesrc);
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
                  "[--acl JSON|@FILE] [--pct N] [--reveal]");
        return BSCTL_USAGE;
    }
    db_policy_prep_t x;
    policy_t *filep;
    char *filesrc, *disc = NULL, *acl = NULL;
    r = prepare(ctl, &o, &x, &filep, &filesrc);
    if (r == 0 && o.discover && o.discover[0] == '@') {
        size_t len;
        disc = read_all(o.discover + 1, &len);
        if (!disc) r = BSCTL_FAIL;
    }
    if (r == 0 && o.acl && o.acl[0] == '@') {
        size_t len;
        acl = read_all(o.acl + 1, &len);
        if (!acl) r = BSCTL_FAIL;
    }
    x.acl_json = acl ? acl : o.acl;
    if (r == 0) {
        char err[DB_POLICY_ERR_MAX];
        db_policy_run_t run;
        int rr = db_policy_dry_run(ctl->db, &x, disc ? disc : o.discover, o.pct, o.reveal != 0, &run, err,
                                   sizeof(err));
        if (run.rotation_due)
            fprintf(stderr, "bsctl: bootstrap credential rotation due: the plan writes the new credential\n");
        if (rr != 0) {
            bsctl_err("%s", err);
            r = BSCTL_FAIL;
        } else {
            fprintf(stderr, "bsctl: client state: %s\n",
                    run.state == DB_POLICY_STATE_LAST_SESSION
                        ? "the Discover answer of the device's last session"
                    : run.state == DB_POLICY_STATE_FRESH ? "a fresh LwM2M 1.1 client (no session recorded)"
                                                         : "as given (--discover)");
            if (strstr(run.json, "\"unboot\":"))
                fprintf(stderr, "bsctl: access control object for unbootstrapping: %s\n",
                        !strcmp(run.acl_source, "given") ? "as given (--acl)"
                        : !strcmp(run.acl_source, "last-session")
                            ? "as the device's last session recorded it"
                            : "unknown (Read /2 answered 4.04: accounts only)");
            puts(run.json);
        }
        db_policy_run_free(&run);
    }
    free(disc);
    free(acl);
    prep_free(&x, filep, filesrc);
    return r;
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
    db_policy_prep_t x;
    policy_t *filep;
    char *filesrc;
    if ((r = prepare(ctl, &o, &x, &filep, &filesrc)) == 0) {
        char err[DB_POLICY_ERR_MAX];
        json_t *doc = db_policy_creds_json(&x, o.reveal != 0, err, sizeof(err));
        if (doc) {
            bsctl_json_out(doc);
        } else {
            bsctl_err("%s", err);
            r = BSCTL_FAIL;
        }
    }
    prep_free(&x, filep, filesrc);
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
     "plan --device EP [--file F] [--discover LINKFORMAT|@FILE] [--acl JSON|@FILE] [--pct N] [--reveal]\n"
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
              "A plan that removes server accounts (unbootstrapping) reads the client's Access Control\n"
              "object: --acl gives it ([{\"iid\",\"obj\",\"inst\",\"owner\",\"acl\":{\"SSID\":RIGHTS}}]), "
              "else the\n"
              "table the device's last unbootstrapping session recorded is used, else it is unknown.\n"
              "Secrets are shown only with --reveal. Format: docs/POLICY.md.\n",
              f);
        return argc < 1 ? BSCTL_USAGE : BSCTL_OK;
    }
    for (size_t i = 0; i < sizeof(pol_cmds) / sizeof(pol_cmds[0]); i++)
        if (strcmp(argv[0], pol_cmds[i].name) == 0) return pol_cmds[i].fn(ctl, argc - 1, argv + 1);
    bsctl_err("unknown policy command '%s' (bsctl policy --help)", argv[0]);
    return BSCTL_USAGE;
}
