/*
 * bsctl_main.c — entry point of bsctl, the operator CLI: global options,
 * the table of command groups, the choice between the REST API and the
 * database, and `bsctl migrate`.
 *
 * With an API server configured (--server, BSD_API_URL or the config file;
 * bsctl_settings.h) the operator commands go through the API
 * (bsctl_remote_*.c). Without one, or with --local or --db, they work on the
 * database directly: the local maintenance mode (first setup, recovery
 * while the daemon is down). `migrate`, `token` and `policy validate` are
 * always local: the first admin token has to come from somewhere.
 *
 * A command group is one table entry (name, handlers, summary). The policy
 * group lives in bsctl_policy.c, which is built when it exists: its handler
 * is declared weak, so without that file the entry is present but reports
 * that policy commands are not built in.
 */
#include "tools/bsctl/bsctl.h"
#include "tools/bsctl/bsctl_api.h"

#include "bsd/db/db_audit.h"
#include "bsd/db/db_migrate.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* Resolved at link time: NULL unless bsctl_policy.c is built in. */
int bsctl_policy_main(bsctl_t *ctl, int argc, char **argv) __attribute__((weak));

/* Over the API when a server is configured; NULL: the database only. */
typedef int (*bsctl_remote_fn)(bsctl_t *ctl, bsctl_api_t *api, int argc, char **argv);

static const struct {
    bsctl_group_t g;
    bsctl_remote_fn remote;
} bsctl_groups[] = {
    {{"migrate", bsctl_migrate_main, "apply database migrations (safe to repeat; always on the database)"},
     NULL},
    {{"device", bsctl_device_main, "devices: import, add, show, list, remove"}, bsctl_remote_device_main},
    {{"policy", bsctl_policy_main, "provisioning policies"}, bsctl_remote_policy_main},
    {{"deny", bsctl_deny_main, "the deny-list: devices that may not bootstrap, sources to drop"},
     bsctl_remote_deny_main},
    {{"session", NULL, "bootstrap session records: list, show (API only)"}, bsctl_remote_session_main},
    {{"whoami", NULL, "the API token's name and role (API only)"}, bsctl_remote_whoami_main},
    {{"metrics", NULL, "the daemon's Prometheus metrics (API only)"}, bsctl_remote_metrics_main},
    {{"token", bsctl_token_main, "bearer tokens of the REST admin API: create, list, revoke (database)"},
     NULL},
    {{"cert", bsctl_cert_main, "certificates the EST CA issued: list, show, revoke"}, bsctl_remote_cert_main},
    {{"ca", NULL, "the EST CA's certificate chain and CRL (API only)"}, bsctl_remote_ca_main},
    {{"unbootstrap", bsctl_unboot_main, "remove a server account from devices at their next bootstrap"},
     bsctl_remote_unboot_main},
};
#define BSCTL_NGROUPS (sizeof bsctl_groups / sizeof bsctl_groups[0])

static void bsctl_usage(FILE *f)
{
    fputs("usage: bsctl [--server URL] [--token TOKEN | --token-file FILE] [--cacert FILE] [--config FILE]\n"
          "             [--local] [--db URL] [--key-file FILE] [--json] COMMAND [ARGS...]\n\ncommands:\n",
          f);
    for (size_t i = 0; i < BSCTL_NGROUPS; i++)
        fprintf(f, "  %-10s %s\n", bsctl_groups[i].g.name, bsctl_groups[i].g.summary);
    fputs("\nWith an API server configured, the commands go through the REST admin API: the server from\n"
          "--server, else BSD_API_URL, else `server =` in the config file (--config, else $BSCTL_CONFIG,\n"
          "else ~/.config/bsctl/config, else /etc/bsd/bsctl.conf); the token from --token / --token-file,\n"
          "else BSD_API_TOKEN, else `token =` / `token_file =` there; the CA from --cacert, else\n"
          "BSD_API_CACERT, else `cacert =`.\n"
          "Without one, or with --local or --db, bsctl works on the database (local maintenance mode):\n"
          "the URL from --db, else BSD_DB_URL; secret keys (sealing PSK keys at rest) from --key-file,\n"
          "else BSD_SECRET_KEYS (the keyring text), else BSD_SECRET_KEY_FILE.\n"
          "`migrate`, `token` and `policy validate` always work locally. docs/BSCTL.md has the details;\n"
          "`bsctl COMMAND --help` describes a command.\n",
          f);
}

int bsctl_migrate_main(bsctl_t *ctl, int argc, char **argv)
{
    char *pos[1];
    int npos;
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            puts("usage: bsctl migrate\n\nApplies the database migrations this bsctl carries that the "
                 "database lacks,\n"
                 "each in its own transaction; concurrent runs wait for each other.");
            return BSCTL_OK;
        }
    int r = bsctl_parse(ctl, argc, argv, NULL, NULL, NULL, pos, 0, &npos);
    if (r != 0) return r;
    if ((r = bsctl_connect(ctl, false)) != 0) return r;
    int applied = 0, version = 0;
    if (db_migrate(ctl->db, &applied) < 0 || db_schema_version(ctl->db, &version) < 0) {
        bsctl_err("migrate: %s", db_errmsg(ctl->db));
        return BSCTL_FAIL;
    }
    if (ctl->json) {
        bsctl_json_out(json_pack("{s:i, s:i}", "applied", applied, "schema_version", version));
    } else if (applied > 0) {
        printf("applied %d migration%s; schema version %d\n", applied, applied == 1 ? "" : "s", version);
    } else {
        printf("schema is up to date; schema version %d\n", version);
    }
    return BSCTL_OK;
}

/* The global options before the command: stores them, returns the index
 * of the command (argc when none), or -1 after --help, or -2 on an error. */
static int bsctl_global_opts(int argc, char **argv, bsctl_t *ctl, bsctl_api_flags_t *f)
{
    const struct {
        const char *name;
        const char **dst;
    } vals[] = {
        {"--db", &ctl->db_url},   {"--key-file", &ctl->key_file},   {"--server", &f->server},
        {"--token", &f->token},   {"--token-file", &f->token_file}, {"--cacert", &f->cacert},
        {"--config", &f->config},
    };
    int i = 1;
    while (i < argc && strncmp(argv[i], "-", 1) == 0) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            bsctl_usage(stdout);
            return -1;
        }
        if (strcmp(a, "--json") == 0 || strcmp(a, "--local") == 0) {
            *(a[2] == 'j' ? &ctl->json : &f->local) = true;
            i++;
            continue;
        }
        size_t k = 0, n = 0;
        for (; k < sizeof vals / sizeof vals[0]; k++) {
            n = strlen(vals[k].name);
            if (strncmp(a, vals[k].name, n) == 0 && (a[n] == 0 || a[n] == '=')) break;
        }
        if (k == sizeof vals / sizeof vals[0]) {
            bsctl_err("unknown option '%s'", a);
            bsctl_usage(stderr);
            return -2;
        }
        if (a[n] == '=') {
            *vals[k].dst = a + n + 1;
        } else if (i + 1 < argc) {
            *vals[k].dst = argv[++i];
        } else {
            bsctl_err("option '%s' needs a value", a);
            return -2;
        }
        i++;
    }
    return i;
}

int main(int argc, char **argv)
{
    bsctl_t ctl;
    bsctl_api_t api;
    bsctl_api_flags_t flags = {0};
    memset(&ctl, 0, sizeof ctl);
    memset(&api, 0, sizeof api);
    db_secretbox_init(&ctl.sb);
    db_audit_actor("bsctl", ctl.actor, sizeof ctl.actor);

    int i = bsctl_global_opts(argc, argv, &ctl, &flags);
    if (i < 0) return i == -1 ? BSCTL_OK : BSCTL_USAGE;
    if (i == argc) {
        bsctl_usage(stderr);
        return BSCTL_USAGE;
    }
    size_t k = 0;
    while (k < BSCTL_NGROUPS && strcmp(argv[i], bsctl_groups[k].g.name) != 0)
        k++;
    if (k == BSCTL_NGROUPS) {
        bsctl_err("unknown command '%s'", argv[i]);
        bsctl_usage(stderr);
        return BSCTL_USAGE;
    }
    if (flags.server && ctl.db_url) {
        bsctl_err("--server and --db exclude each other: one is the API, the other the database");
        return BSCTL_USAGE;
    }
    /* --db names the database: the local mode, whatever is configured. */
    flags.local = flags.local || ctl.db_url != NULL;
    int r;
    bool validate =
        strcmp(bsctl_groups[k].g.name, "policy") == 0 && i + 1 < argc && strcmp(argv[i + 1], "validate") == 0;
    if (bsctl_groups[k].remote != NULL && !validate && (r = bsctl_api_setup(&api, &flags)) != 0) return r;
    if (api.server[0]) {
        if (ctl.key_file) {
            bsctl_err(
                "--key-file is for the database; over the API the daemon holds the keys (`bsctl --local "
                "...` works on the database)");
            bsctl_api_close(&api);
            return BSCTL_USAGE;
        }
        r = bsctl_groups[k].remote(&ctl, &api, argc - i - 1, argv + i + 1);
        bsctl_api_close(&api);
        return r;
    }
    const bsctl_group_t *g = &bsctl_groups[k].g;
    if (g->main == NULL) {
        if (bsctl_groups[k].remote != NULL)
            bsctl_err(
                "'%s' needs the REST API: give --server URL (or BSD_API_URL, or server = in the config file)",
                g->name);
        else
            bsctl_err("'%s' commands are not built into this bsctl", g->name);
        return bsctl_groups[k].remote != NULL ? BSCTL_USAGE : BSCTL_FAIL;
    }
    if (strcmp(g->name, "policy") == 0 && i + 1 < argc &&
        (strcmp(argv[i + 1], "versions") == 0 || strcmp(argv[i + 1], "diff") == 0)) {
        bsctl_err(
            "'policy %s' needs the REST API: give --server URL (or BSD_API_URL, or server = in the config "
            "file)",
            argv[i + 1]);
        return BSCTL_USAGE;
    }
    r = g->main(&ctl, argc - i - 1, argv + i + 1);
    bsctl_close(&ctl);
    return r;
}
