/*
 * bsctl_main.c — entry point of bsctl, the operator CLI: global options,
 * the table of command groups, and `bsctl migrate`.
 *
 * A command group is one table entry (name, handler, summary). The policy
 * group lives in bsctl_policy.c, which is built when it exists: its handler
 * is declared weak, so without that file the entry is present but reports
 * that policy commands are not built in.
 */
#include "tools/bsctl/bsctl.h"

#include "bsd/db/db_audit.h"
#include "bsd/db/db_migrate.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/* Resolved at link time: NULL unless bsctl_policy.c is built in. */
int bsctl_policy_main(bsctl_t *ctl, int argc, char **argv) __attribute__((weak));

static const bsctl_group_t bsctl_groups[] = {
    {"migrate", bsctl_migrate_main, "apply database migrations (safe to repeat)"},
    {"device", bsctl_device_main, "devices: import, add, show, list, remove"},
    {"policy", bsctl_policy_main, "provisioning policies"},
    {"deny", bsctl_deny_main, "the deny-list: devices that may not bootstrap, sources to drop"},
    {"token", bsctl_token_main, "bearer tokens of the REST admin API: create, list, revoke"},
};

static void bsctl_usage(FILE *f)
{
    fputs("usage: bsctl [--db URL] [--key-file FILE] [--json] COMMAND [ARGS...]\n\ncommands:\n", f);
    for (size_t i = 0; i < sizeof bsctl_groups / sizeof bsctl_groups[0]; i++)
        if (bsctl_groups[i].main != NULL)
            fprintf(f, "  %-10s %s\n", bsctl_groups[i].name, bsctl_groups[i].summary);
    fputs("\nThe database URL comes from --db, else BSD_DB_URL. Secret keys (sealing PSK keys at rest)\n"
          "come from --key-file, else BSD_SECRET_KEYS (the keyring text), else BSD_SECRET_KEY_FILE.\n"
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

int main(int argc, char **argv)
{
    bsctl_t ctl;
    memset(&ctl, 0, sizeof ctl);
    db_secretbox_init(&ctl.sb);
    db_audit_actor("bsctl", ctl.actor, sizeof ctl.actor);

    /* Global options before the command. */
    int i = 1;
    while (i < argc && strncmp(argv[i], "-", 1) == 0) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            bsctl_usage(stdout);
            return BSCTL_OK;
        }
        if (strcmp(a, "--json") == 0) {
            ctl.json = true;
            i++;
            continue;
        }
        const char **dst = strncmp(a, "--db", 4) == 0          ? &ctl.db_url
                           : strncmp(a, "--key-file", 10) == 0 ? &ctl.key_file
                                                               : NULL;
        size_t n = dst == &ctl.db_url ? 4 : 10;
        if (dst == NULL || (a[n] != 0 && a[n] != '=')) {
            bsctl_err("unknown option '%s'", a);
            bsctl_usage(stderr);
            return BSCTL_USAGE;
        }
        if (a[n] == '=') {
            *dst = a + n + 1;
        } else if (i + 1 < argc) {
            *dst = argv[++i];
        } else {
            bsctl_err("option '%s' needs a value", a);
            return BSCTL_USAGE;
        }
        i++;
    }
    if (i == argc) {
        bsctl_usage(stderr);
        return BSCTL_USAGE;
    }
    const bsctl_group_t *g = NULL;
    for (size_t k = 0; k < sizeof bsctl_groups / sizeof bsctl_groups[0]; k++)
        if (strcmp(argv[i], bsctl_groups[k].name) == 0) g = &bsctl_groups[k];
    if (g == NULL) {
        bsctl_err("unknown command '%s'", argv[i]);
        bsctl_usage(stderr);
        return BSCTL_USAGE;
    }
    if (g->main == NULL) {
        bsctl_err("'%s' commands are not built into this bsctl", g->name);
        return BSCTL_FAIL;
    }
    int r = g->main(&ctl, argc - i - 1, argv + i + 1);
    bsctl_close(&ctl);
    return r;
}
