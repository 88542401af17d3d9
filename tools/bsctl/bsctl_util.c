/*
 * bsctl_util.c — what bsctl's commands share: option parsing, the database
 * connection, the keyring, error and JSON output (contract in bsctl.h).
 */
#include "tools/bsctl/bsctl.h"

#include "bsd/db/db_migrate.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void bsctl_err(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("bsctl: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

enum { BSCTL_G_DB = -100, BSCTL_G_KEYS, BSCTL_G_JSON };

static const bsctl_opt_t bsctl_global_opts[] = {
    {"db", true, BSCTL_G_DB},
    {"key-file", true, BSCTL_G_KEYS},
    {"json", false, BSCTL_G_JSON},
    {NULL, false, 0},
};

static const bsctl_opt_t *bsctl_find_opt(const bsctl_opt_t *opts, const char *name, size_t n)
{
    for (const bsctl_opt_t *o = opts; o && o->name; o++)
        if (strlen(o->name) == n && memcmp(o->name, name, n) == 0) return o;
    return NULL;
}

int bsctl_parse(bsctl_t *ctl, int argc, char **argv, const bsctl_opt_t *opts, bsctl_opt_fn fn, void *arg,
                char **pos, int maxpos, int *npos)
{
    *npos = 0;
    bool opts_done = false;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!opts_done && strcmp(a, "--") == 0) {
            opts_done = true;
            continue;
        }
        if (opts_done || strncmp(a, "--", 2) != 0 || a[2] == 0) {
            if (*npos == maxpos) {
                bsctl_err("unexpected argument '%s'", a);
                return BSCTL_USAGE;
            }
            pos[(*npos)++] = argv[i];
            continue;
        }
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t n = eq ? (size_t)(eq - name) : strlen(name);
        const bsctl_opt_t *o = bsctl_find_opt(opts, name, n);
        if (o == NULL) o = bsctl_find_opt(bsctl_global_opts, name, n);
        if (o == NULL) {
            bsctl_err("unknown option '--%.*s'", (int)n, name);
            return BSCTL_USAGE;
        }
        const char *val = NULL;
        if (o->has_arg) {
            if (eq)
                val = eq + 1;
            else if (i + 1 < argc)
                val = argv[++i];
            else {
                bsctl_err("option '--%s' needs a value", o->name);
                return BSCTL_USAGE;
            }
        } else if (eq) {
            bsctl_err("option '--%s' takes no value", o->name);
            return BSCTL_USAGE;
        }
        switch (o->id) {
        case BSCTL_G_DB: ctl->db_url = val; break;
        case BSCTL_G_KEYS: ctl->key_file = val; break;
        case BSCTL_G_JSON: ctl->json = true; break;
        default: {
            int r = fn ? fn(arg, o->id, val) : 0;
            if (r != 0) return r;
        }
        }
    }
    return 0;
}

int bsctl_connect(bsctl_t *ctl, bool need_schema)
{
    if (ctl->db == NULL) {
        const char *url = ctl->db_url ? ctl->db_url : getenv("BSD_DB_URL");
        char err[DB_ERR_MAX + 1100];
        if (db_connect(url, &ctl->db, err, sizeof err) < 0) {
            bsctl_err("%s", err);
            return BSCTL_FAIL;
        }
    }
    if (need_schema && db_schema_check(ctl->db) < 0) {
        bsctl_err("%s", db_errmsg(ctl->db));
        return BSCTL_FAIL;
    }
    return 0;
}

int bsctl_keys(bsctl_t *ctl)
{
    if (ctl->sb_loaded) return 0;
    char err[DB_SECRETBOX_ERR_MAX + 300];
    int r;
    const char *file = ctl->key_file ? ctl->key_file : NULL;
    if (file == NULL && getenv("BSD_SECRET_KEYS") != NULL) {
        r = db_secretbox_load_env(&ctl->sb, "BSD_SECRET_KEYS", err, sizeof err);
    } else {
        if (file == NULL) file = getenv("BSD_SECRET_KEY_FILE");
        if (file == NULL || file[0] == 0) {
            bsctl_err("no secret keys: give --key-file FILE or set BSD_SECRET_KEYS / BSD_SECRET_KEY_FILE");
            return BSCTL_FAIL;
        }
        r = db_secretbox_load_file(&ctl->sb, file, err, sizeof err);
    }
    if (r < 0) {
        bsctl_err("%s", err);
        return BSCTL_FAIL;
    }
    ctl->sb_loaded = true;
    return 0;
}

void bsctl_close(bsctl_t *ctl)
{
    db_close(ctl->db);
    ctl->db = NULL;
    db_secretbox_free(&ctl->sb);
    ctl->sb_loaded = false;
}

void bsctl_json_out(void *json)
{
    json_t *j = json;
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (s != NULL) {
        fputs(s, stdout);
        fputc('\n', stdout);
        free(s);
    }
    json_decref(j);
}
