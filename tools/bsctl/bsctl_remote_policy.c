/*
 * bsctl_remote_policy.c — `bsctl policy ...` over the REST API: list,
 * versions, show, apply, activate (also a roll-back), diff, plan (dry run)
 * and credentials (/api/v1/policies, /api/v1/devices/{ep}/plan,
 * /api/v1/credentials; docs/API.md). The server parses and checks every
 * policy; its errors name the line and column. `policy validate` stays in
 * bsctl_policy.c (no server needed).
 */
#include "tools/bsctl/bsctl_api.h"

#include "bsd/policy/yaml_tree.h"
#include "bsd/util/lex.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define RPOL_FILE_MAX (1u << 20) /* bytes of a policy file, as in the database mode */
#define RPOL_PATH_MAX 512        /* a policy path in the API */

static int rpol_usage(FILE *f, int status)
{
    fputs("usage: bsctl policy COMMAND\n\n"
          "  validate FILE...              check policies (local, no server needed)\n"
          "  apply FILE [--no-activate] [--name NAME]\n"
          "                                store as a new version and activate it\n"
          "  activate NAME VERSION         make a stored version active (also a roll-back)\n"
          "  list [NAME]                   the policies; with NAME its versions\n"
          "  versions NAME                 the versions of NAME, which one is active\n"
          "  show NAME [--version N]       the YAML source (default: the active version)\n"
          "  diff NAME FROM TO             unified diff between two versions\n"
          "  plan --device EP [--file F] [--discover LINKFORMAT|@FILE] [--pct N] [--reveal]\n"
          "                                the exact requests the device would get (dry run)\n"
          "  credentials [--device EP[,EP...]] [--label K=V] [--format bsd|leshan] [--ssid N]\n"
          "                                generated server credentials (admin)\n"
          "\nOver the REST API (docs/BSCTL.md). Secrets are shown only with --reveal (admin).\n",
          f);
    return status;
}

/* The path /api/v1/policies/NAME[suffix]. */
static int rpol_path(char *out, size_t cap, const char *name, const char *suffix)
{
    if (bsctl_path(out, cap, "/api/v1/policies/", name, suffix) != 0) {
        bsctl_err("policy name too long");
        return BSCTL_USAGE;
    }
    return 0;
}

/* Reads |path| ("-": stdin) whole, at most RPOL_FILE_MAX bytes; NUL-terminated. */
static char *rpol_read(const char *path, size_t *len)
{
    if (strcmp(path, "-") != 0) {
        char *buf, err[BSCTL_ERR_MAX];
        if (lex_load_file(path, RPOL_FILE_MAX, &buf, len, NULL, err, sizeof err) < 0) {
            bsctl_err("%s", err);
            return NULL;
        }
        return buf;
    }
    char *buf = malloc(RPOL_FILE_MAX + 2);
    size_t n = buf ? fread(buf, 1, RPOL_FILE_MAX + 1, stdin) : 0;
    if (buf == NULL || ferror(stdin) || n > RPOL_FILE_MAX) {
        bsctl_err("-: %s", buf == NULL         ? "out of memory"
                           : n > RPOL_FILE_MAX ? "larger than 1 MiB"
                                               : "cannot read");
        free(buf);
        return NULL;
    }
    buf[n] = 0;
    *len = n;
    return buf;
}

/* ---- reading ------------------------------------------------------------------------------ */

static const bsctl_col_t rpol_list_cols[] = {
    {"name", NULL, NULL},     {"active_version", "ACTIVE", NULL}, {"latest_version", "LATEST", NULL},
    {"versions", NULL, NULL}, {"priority", NULL, NULL},           {"author", NULL, NULL},
    {"created", NULL, NULL},
};
static const bsctl_col_t rpol_version_cols[] = {
    {"version", NULL, NULL}, {"active", NULL, NULL}, {"author", NULL, NULL}, {"created", NULL, NULL}};

static int rpol_versions(bsctl_t *ctl, bsctl_api_t *api, const char *name)
{
    char path[RPOL_PATH_MAX];
    int r = rpol_path(path, sizeof path, name, "/versions");
    json_t *doc = r == 0 ? bsctl_api_json(api, "GET", path, NULL, NULL, &r) : NULL;
    if (doc == NULL) return r;
    return bsctl_print(ctl, doc, "versions", rpol_version_cols,
                       sizeof rpol_version_cols / sizeof rpol_version_cols[0], NULL);
}

static int rpol_list(bsctl_t *ctl, bsctl_api_t *api, int argc, char **argv)
{
    char *pos[1];
    int npos, r = bsctl_remote_parse(ctl, argc, argv, NULL, NULL, NULL, pos, 1, &npos);
    if (r != 0) return r;
    if (npos == 1) return rpol_versions(ctl, api, pos[0]);
    json_t *doc = bsctl_api_json(api, "GET", "/api/v1/policies", NULL, NULL, &r);
    if (doc == NULL) return r;
    return bsctl_print(ctl, doc, "policies", rpol_list_cols, sizeof rpol_list_cols / sizeof rpol_list_cols[0],
                       "no policies");
}

static int rpol_versions_cmd(bsctl_t *ctl, bsctl_api_t *api, int argc, char **argv)
{
    char *pos[1];
    int npos, r = bsctl_remote_parse(ctl, argc, argv, NULL, NULL, NULL, pos, 1, &npos);
    if (r != 0) return r;
    if (npos != 1) return rpol_usage(stderr, BSCTL_USAGE);
    return rpol_versions(ctl, api, pos[0]);
}

/* A version number argument. */
static int rpol_version_num(const char *s, const char *what)
{
    uint64_t v;
    if (lex_parse_uint(s, strlen(s), INT32_MAX, &v) != 0 || v == 0) {
        bsctl_err("%s: expected a version number (1, 2, ...), got '%s'", what, s);
        return -1;
    }
    return (int)v;
}

static int rpol_set_str(void *arg, int id, const char *val)
{
    (void)id;
    *(const char **)arg = val;
    return 0;
}

static int rpol_show(bsctl_t *ctl, bsctl_api_t *api, int argc, char **argv)
{
    static const bsctl_opt_t opts[] = {{"version", true, 1}, {NULL, false, 0}};
    const char *vs = NULL;
    char *pos[1], path[RPOL_PATH_MAX];
    int npos, r = bsctl_remote_parse(ctl, argc, argv, opts, rpol_set_str, &vs, pos, 1, &npos);
    if (r != 0) return r;
    if (npos != 1) {
        bsctl_err("usage: bsctl policy show NAME [--version N]   (default: the active version)");
        return BSCTL_USAGE;
    }
    int v = vs ? rpol_version_num(vs, "--version") : 0;
    if (v < 0) return BSCTL_USAGE;
    if (v == 0) { /* the active version, else the latest */
        if ((r = rpol_path(path, sizeof path, pos[0], NULL)) != 0) return r;
        json_t *sum = bsctl_api_json(api, "GET", path, NULL, NULL, &r);
        if (sum == NULL) return r;
        json_t *a = json_object_get(sum, "active_version");
        v = (int)json_integer_value(json_is_integer(a) ? a : json_object_get(sum, "latest_version"));
        json_decref(sum);
    }
    char suffix[48];
    snprintf(suffix, sizeof suffix, "/versions/%d", v);
    if ((r = rpol_path(path, sizeof path, pos[0], suffix)) != 0) return r;
    json_t *doc = bsctl_api_json(api, "GET", path, NULL, NULL, &r);
    if (doc == NULL) return r;
    if (ctl->json) return bsctl_print(ctl, doc, NULL, NULL, 0, NULL);
    const char *src = json_string_value(json_object_get(doc, "source"));
    fputs(src ? src : "", stdout);
    json_decref(doc);
    return BSCTL_OK;
}

static int rpol_diff(bsctl_t *ctl, bsctl_api_t *api, int argc, char **argv)
{
    char *pos[3], path[RPOL_PATH_MAX];
    int npos, r = bsctl_remote_parse(ctl, argc, argv, NULL, NULL, NULL, pos, 3, &npos);
    if (r != 0) return r;
    if (npos != 3 || rpol_version_num(pos[1], "FROM") < 0 || rpol_version_num(pos[2], "TO") < 0) {
        bsctl_err("usage: bsctl policy diff NAME FROM TO");
        return BSCTL_USAGE;
    }
    if ((r = rpol_path(path, sizeof path, pos[0], "/diff")) != 0) return r;
    bsctl_query_t q = {0};
    bsctl_query_add(&q, "from", pos[1]);
    bsctl_query_add(&q, "to", pos[2]);
    bsctl_reply_t rep;
    if ((r = bsctl_api_request(api, "GET", path, bsctl_query_str(&q), NULL, &rep)) == 0) {
        if (rep.status != 200)
            r = bsctl_api_error(api, &rep, NULL);
        else if (ctl->json)
            bsctl_json_out(json_pack("{s:s, s:s, s:s, s:s%}", "name", pos[0], "from", pos[1], "to", pos[2],
                                     "diff", rep.body, rep.len));
        else
            fwrite(rep.body, 1, rep.len, stdout);
    }
    bsctl_reply_free(&rep);
    return r;
}

/* ---- changes ------------------------------------------------------------------------------ */

/*
 * The policy's name for the URL: --name, else the document's top-level
 * `policy:` scalar, else the file name without .yaml/.yml. A document
 * that does not parse is still sent: the server's answer names the line
 * and column of the error.
 */
static void rpol_name(const char *given, const char *file, const char *src, size_t len, char *out, size_t cap)
{
    if (given) {
        snprintf(out, cap, "%s", given);
        return;
    }
    yt_doc_t *d = yt_parse(file, src, len, NULL, 0);
    const yt_node_t *root = d ? yt_root(d) : NULL;
    const yt_node_t *n = root && root->kind == YT_MAP ? yt_get(root, "policy") : NULL;
    if (n && n->kind == YT_SCALAR && n->len > 0) {
        snprintf(out, cap, "%s", n->str);
    } else {
        const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
        size_t bl = strcspn(base, ".");
        snprintf(out, cap, "%.*s", (int)bl, base);
    }
    yt_free(d);
}

typedef struct rpol_apply_opts {
    bool no_activate;
    const char *name;
} rpol_apply_opts_t;

static int rpol_apply_opt(void *arg, int id, const char *val)
{
    rpol_apply_opts_t *o = arg;
    if (id == 1) o->no_activate = true;
    if (id == 2) o->name = val;
    return 0;
}

static int rpol_apply(bsctl_t *ctl, bsctl_api_t *api, int argc, char **argv)
{
    static const bsctl_opt_t opts[] = {{"no-activate", false, 1}, {"name", true, 2}, {NULL, false, 0}};
    rpol_apply_opts_t o = {0};
    char *pos[1], path[RPOL_PATH_MAX], name[256];
    int npos, r = bsctl_remote_parse(ctl, argc, argv, opts, rpol_apply_opt, &o, pos, 1, &npos);
    if (r != 0) return r;
    if (npos != 1) {
        bsctl_err("usage: bsctl policy apply FILE [--no-activate] [--name NAME]");
        return BSCTL_USAGE;
    }
    size_t len;
    char *src = rpol_read(pos[0], &len);
    if (src == NULL) return BSCTL_FAIL;
    rpol_name(o.name, pos[0], src, len, name, sizeof name);
    bsctl_body_t body = {"application/yaml", src, len, NULL};
    bsctl_reply_t rep;
    if ((r = rpol_path(path, sizeof path, name, NULL)) == 0)
        r = bsctl_api_request(api, "PUT", path, o.no_activate ? "activate=false" : "activate=true", &body,
                              &rep);
    free(src);
    if (r != 0) return r;
    json_t *doc = rep.status == 200 || rep.status == 201 ? json_loadb(rep.body, rep.len, 0, NULL) : NULL;
    if (doc == NULL) {
        r = rep.status == 200 || rep.status == 201 ? BSCTL_FAIL : bsctl_api_error(api, &rep, pos[0]);
        if (rep.status == 200 || rep.status == 201) bsctl_err("%s: the answer is not JSON", api->server);
        bsctl_reply_free(&rep);
        return r;
    }
    bsctl_reply_free(&rep);
    json_t *w;
    size_t i;
    json_array_foreach(json_object_get(doc, "warnings"), i, w)
    {
        char cell[BSCTL_CELL_MAX];
        bsctl_cell(w, cell, sizeof cell);
        fprintf(stderr, "bsctl: warning: %s\n", cell);
    }
    if (ctl->json) return bsctl_print(ctl, doc, NULL, NULL, 0, NULL);
    json_int_t v = json_integer_value(json_object_get(doc, "version"));
    bool stored = json_is_true(json_object_get(doc, "stored")),
         active = json_is_true(json_object_get(doc, "active"));
    printf("policy %s: %s version %" JSON_INTEGER_FORMAT "%s\n", name, stored ? "stored" : "unchanged, still",
           v, active ? " (active)" : "");
    json_decref(doc);
    return BSCTL_OK;
}

static int rpol_activate(bsctl_t *ctl, bsctl_api_t *api, int argc, char **argv)
{
    char *pos[2], path[RPOL_PATH_MAX];
    int npos, r = bsctl_remote_parse(ctl, argc, argv, NULL, NULL, NULL, pos, 2, &npos);
    if (r != 0) return r;
    int v = npos == 2 ? rpol_version_num(pos[1], "VERSION") : -1;
    if (v < 0) {
        bsctl_err("usage: bsctl policy activate NAME VERSION   (also to roll back)");
        return BSCTL_USAGE;
    }
    if ((r = rpol_path(path, sizeof path, pos[0], "/activate")) != 0) return r;
    json_t *in = json_pack("{s:i}", "version", v);
    json_t *doc = bsctl_api_json(api, "POST", path, NULL, in, &r);
    json_decref(in);
    if (doc == NULL) return r;
    if (ctl->json) return bsctl_print(ctl, doc, NULL, NULL, 0, NULL);
    json_decref(doc);
    printf("policy %s: version %d is active\n", pos[0], v);
    return BSCTL_OK;
}

/* ---- dry run and credentials ------------------------------------------------------------------ */

enum { P_DEVICE = 1, P_FILE, P_DISCOVER, P_PCT, P_REVEAL, P_LABEL, P_FORMAT, P_SSID, P_ACL, P_N };

typedef struct rpol_plan_opts {
    const char *v[P_N];
    bool reveal;
} rpol_plan_opts_t;

static int rpol_plan_opt(void *arg, int id, const char *val)
{
    rpol_plan_opts_t *o = arg;
    if (id == P_REVEAL)
        o->reveal = true;
    else
        o->v[id] = val;
    return 0;
}

static const bsctl_opt_t rpol_plan_opts[] = {
    {"device", true, P_DEVICE}, {"file", true, P_FILE},      {"discover", true, P_DISCOVER},
    {"pct", true, P_PCT},       {"reveal", false, P_REVEAL}, {"label", true, P_LABEL},
    {"format", true, P_FORMAT}, {"ssid", true, P_SSID},      {"acl", true, P_ACL},
    {NULL, false, 0},
};

static int rpol_plan(bsctl_t *ctl, bsctl_api_t *api, int argc, char **argv)
{
    rpol_plan_opts_t o = {0};
    char *pos[1], path[3 * 255 + 64];
    int npos, r = bsctl_remote_parse(ctl, argc, argv, rpol_plan_opts, rpol_plan_opt, &o, pos, 0, &npos);
    if (r != 0) return r;
    if (o.v[P_DEVICE] == NULL || o.v[P_LABEL] || o.v[P_FORMAT] || o.v[P_SSID]) {
        bsctl_err("usage: bsctl policy plan --device EP [--file POLICY.yaml] [--discover LINKFORMAT|@FILE] "
                  "[--acl JSON|@FILE] [--pct N] [--reveal]");
        return BSCTL_USAGE;
    }
    if (bsctl_path(path, sizeof path, "/api/v1/devices/", o.v[P_DEVICE], "/plan") != 0) {
        bsctl_err("endpoint too long");
        return BSCTL_USAGE;
    }
    json_t *in = json_object();
    char *text = NULL;
    size_t len;
    if (o.v[P_PCT]) {
        uint64_t pct;
        if (lex_parse_uint(o.v[P_PCT], strlen(o.v[P_PCT]), 65535, &pct) != 0) {
            bsctl_err("--pct: expected a number, got '%s'", o.v[P_PCT]);
            json_decref(in);
            return BSCTL_USAGE;
        }
        json_object_set_new(in, "pct", json_integer((json_int_t)pct));
    }
    const char *disc = o.v[P_DISCOVER];
    if (disc && disc[0] == '@') {
        if ((text = rpol_read(disc + 1, &len)) == NULL) {
            json_decref(in);
            return BSCTL_FAIL;
        }
        json_object_set_new(in, "discover", json_stringn(text, len));
        free(text);
    } else if (disc) {
        json_object_set_new(in, "discover", json_string(disc));
    }
    if (o.v[P_FILE]) {
        if ((text = rpol_read(o.v[P_FILE], &len)) == NULL) {
            json_decref(in);
            return BSCTL_FAIL;
        }
        json_object_set_new(in, "policy_yaml", json_stringn(text, len));
        free(text);
    }
    const char *acl = o.v[P_ACL];
    if (acl) { /* sent as JSON: the server checks its shape and names what is wrong */
        text = NULL;
        if (acl[0] == '@' && (text = rpol_read(acl + 1, &len)) == NULL) {
            json_decref(in);
            return BSCTL_FAIL;
        }
        json_error_t je;
        json_t *a = text ? json_loadb(text, len, 0, &je) : json_loads(acl, 0, &je);
        free(text);
        if (a == NULL) {
            bsctl_err("--acl: not JSON: line %d column %d: %s", je.line, je.column, je.text);
            json_decref(in);
            return BSCTL_USAGE;
        }
        json_object_set_new(in, "acl", a);
    }
    if (o.reveal) json_object_set_new(in, "reveal", json_true());
    bsctl_reply_t rep;
    char *body = json_dumps(in, JSON_COMPACT);
    json_decref(in);
    bsctl_body_t b = {"application/json", body, body ? strlen(body) : 0, NULL};
    r = body ? bsctl_api_request(api, "POST", path, NULL, &b, &rep) : BSCTL_FAIL;
    free(body);
    if (r != 0) return r;
    json_t *doc = rep.status == 200 ? json_loadb(rep.body, rep.len, 0, NULL) : NULL;
    /* policy_yaml errors are named "policy_yaml": show the file instead. */
    if (doc == NULL) r = rep.status == 200 ? BSCTL_FAIL : bsctl_api_error(api, &rep, o.v[P_FILE]);
    explicit_bzero(rep.body, rep.len);
    bsctl_reply_free(&rep);
    if (doc == NULL) return r;
    const char *state = json_string_value(json_object_get(doc, "client_state"));
    if (!ctl->json && state)
        fprintf(stderr, "bsctl: client state: %s\n",
                strcmp(state, "last_session") == 0 ? "the Discover answer of the device's last session"
                : strcmp(state, "fresh") == 0      ? "a fresh LwM2M 1.1 client (no session recorded)"
                                                   : "as given (--discover)");
    const char *acl_source = json_string_value(json_object_get(doc, "acl_source"));
    if (!ctl->json && acl_source && json_object_get(json_object_get(doc, "session"), "unboot"))
        fprintf(stderr, "bsctl: access control object for unbootstrapping: %s\n",
                strcmp(acl_source, "given") == 0          ? "as given (--acl)"
                : strcmp(acl_source, "last_session") == 0 ? "as the device's last session recorded it"
                                                          : "unknown (Read /2 answered 4.04: accounts only)");
    if (!ctl->json && json_is_true(json_object_get(doc, "rotation_due")))
        fprintf(stderr, "bsctl: bootstrap credential rotation due: the plan writes the new credential\n");
    bsctl_json_out(doc); /* the plan is JSON in both output modes */
    return BSCTL_OK;
}

static int rpol_credentials(bsctl_t *ctl, bsctl_api_t *api, int argc, char **argv)
{
    rpol_plan_opts_t o = {0};
    char *pos[1];
    int npos, r = bsctl_remote_parse(ctl, argc, argv, rpol_plan_opts, rpol_plan_opt, &o, pos, 0, &npos);
    if (r != 0) return r;
    if (o.v[P_FILE] || o.v[P_DISCOVER] || o.v[P_PCT] || o.v[P_ACL]) {
        bsctl_err("usage: bsctl policy credentials [--device EP[,EP...]] [--label K=V] [--format bsd|leshan] "
                  "[--ssid N]");
        return BSCTL_USAGE;
    }
    (void)o.reveal; /* accepted as in the database mode: an export holds the secrets (admin only) */
    bsctl_query_t q = {0};
    bsctl_query_add(&q, "endpoint", o.v[P_DEVICE]);
    bsctl_query_add(&q, "label", o.v[P_LABEL]);
    bsctl_query_add(&q, "format", o.v[P_FORMAT]);
    bsctl_query_add(&q, "ssid", o.v[P_SSID]);
    bsctl_reply_t rep;
    if ((r = bsctl_api_request(api, "GET", "/api/v1/credentials", bsctl_query_str(&q), NULL, &rep)) == 0) {
        if (rep.status != 200) {
            r = bsctl_api_error(api, &rep, NULL);
        } else {
            json_t *doc = json_loadb(rep.body, rep.len, 0, NULL);
            if (doc)
                bsctl_json_out(doc); /* an export: JSON in both output modes */
            else
                fwrite(rep.body, 1, rep.len, stdout);
        }
        explicit_bzero(rep.body, rep.len);
    }
    bsctl_reply_free(&rep);
    return r;
}

int bsctl_remote_policy_main(bsctl_t *ctl, bsctl_api_t *api, int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*fn)(bsctl_t *, bsctl_api_t *, int, char **);
    } cmds[] = {
        {"apply", rpol_apply}, {"activate", rpol_activate},
        {"list", rpol_list},   {"versions", rpol_versions_cmd},
        {"show", rpol_show},   {"diff", rpol_diff},
        {"plan", rpol_plan},   {"credentials", rpol_credentials},
    };
    if (argc < 1) return rpol_usage(stderr, BSCTL_USAGE);
    if (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) return rpol_usage(stdout, BSCTL_OK);
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (strcmp(argv[0], cmds[i].name) == 0) return cmds[i].fn(ctl, api, argc - 1, argv + 1);
    bsctl_err("unknown policy command '%s' (bsctl policy --help)", argv[0]);
    return BSCTL_USAGE;
}
