/*
 * bsctl_token.c — `bsctl token ...`: bearer tokens of the REST admin API,
 * on the database directly (the first admin token has to come from
 * somewhere). A token is printed once, at creation; the database keeps its
 * SHA-256 only. Changes are audited with bsctl's actor; the token itself
 * never reaches the audit table.
 */
#include "tools/bsctl/bsctl.h"

#include <errno.h>
#include <jansson.h>
#include <string.h>

#include "bsd/db/db_tokens.h"

enum { OPT_NAME = 1, OPT_ROLE };

typedef struct tok_opts {
    const char *name;
    const char *role;
} tok_opts_t;

static int on_opt(void *arg, int id, const char *val)
{
    tok_opts_t *o = arg;
    if (id == OPT_NAME) o->name = val;
    if (id == OPT_ROLE) o->role = val;
    return 0;
}

static const bsctl_opt_t tok_optlist[] = {
    {"name", true, OPT_NAME}, {"role", true, OPT_ROLE}, {NULL, false, 0}};

static int print_token(void *arg, const db_token_info_t *t)
{
    json_t *arr = arg;
    if (arr) {
        json_t *o =
            json_pack("{s:s, s:s, s:b, s:s, s:s}", "name", t->name, "role", db_token_role_name(t->role),
                      "revoked", t->revoked, "created_at", t->created, "created_by", t->created_by);
        json_object_set_new(o, "last_used_at", t->last_used[0] ? json_string(t->last_used) : json_null());
        json_object_set_new(o, "revoked_at", t->revoked_at[0] ? json_string(t->revoked_at) : json_null());
        json_array_append_new(arr, o);
    } else {
        printf("%-24s %-9s %-20s %-24s %-20s %s\n", t->name, db_token_role_name(t->role), t->created,
               t->created_by, t->last_used[0] ? t->last_used : "-", t->revoked ? t->revoked_at : "-");
    }
    return 0;
}

static int tok_usage(FILE *f, int rc)
{
    fputs("usage: bsctl token create --name NAME --role viewer|operator|admin|metrics\n"
          "       bsctl token list\n"
          "       bsctl token revoke NAME\n\n"
          "Tokens of the REST admin API (Authorization: Bearer <token>). `create` prints the\n"
          "token once; only its SHA-256 is stored. Roles: viewer reads, operator also changes\n"
          "devices and policies, admin also manages tokens and exports credentials; metrics may\n"
          "only read /metrics. A revoked token stops working within 2 seconds.\n",
          f);
    return rc;
}

int bsctl_token_main(bsctl_t *ctl, int argc, char **argv)
{
    if (argc < 1) return tok_usage(stderr, BSCTL_USAGE);
    if (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) return tok_usage(stdout, BSCTL_OK);
    tok_opts_t o = {0};
    char *pos[2];
    int npos;
    int r = bsctl_parse(ctl, argc, argv, tok_optlist, on_opt, &o, pos, 2, &npos);
    if (r != 0) return r;
    if (strcmp(pos[0], "create") == 0 && npos == 1) {
        if (!o.name || !o.role) {
            bsctl_err("token create needs --name NAME and --role ROLE");
            return BSCTL_USAGE;
        }
        db_token_role_t role = db_token_role_parse(o.role);
        if (role == DB_ROLE_NONE) {
            bsctl_err("--role: must be viewer, operator, admin or metrics");
            return BSCTL_USAGE;
        }
        if (!db_token_name_ok(o.name)) {
            bsctl_err("--name: 1..63 of A-Z a-z 0-9 . _ - starting with a letter or digit");
            return BSCTL_USAGE;
        }
        if ((r = bsctl_connect(ctl, true)) != 0) return r;
        char token[DB_TOKEN_TEXT_MAX];
        r = db_token_create(ctl->db, o.name, role, ctl->actor, token);
        if (r != 0) {
            bsctl_err("%s", db_errmsg(ctl->db));
            return BSCTL_FAIL;
        }
        if (ctl->json)
            bsctl_json_out(json_pack("{s:s, s:s, s:s}", "name", o.name, "role", o.role, "token", token));
        else
            printf("%s\n", token);
        explicit_bzero(token, sizeof token);
        fprintf(stderr, "bsctl: token '%s' (%s) created; it is shown only now: store it safely\n", o.name,
                o.role);
        return BSCTL_OK;
    }
    if (o.name || o.role) {
        bsctl_err("--name and --role go with `token create`");
        return BSCTL_USAGE;
    }
    if (strcmp(pos[0], "list") == 0 && npos == 1) {
        if ((r = bsctl_connect(ctl, true)) != 0) return r;
        json_t *arr = ctl->json ? json_array() : NULL;
        if (!arr)
            printf("%-24s %-9s %-20s %-24s %-20s %s\n", "NAME", "ROLE", "CREATED", "BY", "LAST USED",
                   "REVOKED");
        if (db_token_list(ctl->db, print_token, arr) != 0) {
            bsctl_err("token list: %s", db_errmsg(ctl->db));
            json_decref(arr);
            return BSCTL_FAIL;
        }
        if (arr) bsctl_json_out(arr);
        return BSCTL_OK;
    }
    if (strcmp(pos[0], "revoke") == 0 && npos == 2) {
        if ((r = bsctl_connect(ctl, true)) != 0) return r;
        r = db_token_revoke(ctl->db, pos[1], ctl->actor);
        if (r != 0) {
            bsctl_err("%s", db_errmsg(ctl->db));
            return BSCTL_FAIL;
        }
        printf("token %s revoked\n", pos[1]);
        return BSCTL_OK;
    }
    return tok_usage(stderr, BSCTL_USAGE);
}
