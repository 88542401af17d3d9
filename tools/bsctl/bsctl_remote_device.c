/*
 * bsctl_remote_device.c — `bsctl device ...` over the REST API: list, show,
 * add, remove, import (/api/v1/devices, docs/API.md). The command lines are
 * those of the database mode (bsctl_device.c); the server checks records
 * with the same rules (bsd/db/db_device.c) and seals PSK keys itself, so
 * bsctl needs no keyring here, and the API never shows a PSK key.
 */
#include "tools/bsctl/bsctl_api.h"

#include "bsd/db/db.h"
#include "bsd/util/lex.h"
#include "bsd/util/spki.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define DEV_PATH_MAX (3 * 255 + 64) /* an escaped endpoint in a path */

static int rdev_usage(FILE *f, int status)
{
    fputs("usage: bsctl device import FILE [--format csv|json] [--dry-run]\n"
          "       bsctl device add ENDPOINT KIND [--psk-identity X] [--psk-key HEX|-] [--spki-file F]\n"
          "                        [--x509-name TYPE=VALUE] [--fingerprint H] [--allow PREFIX]...\n"
          "                        [--label K=V]... [--serial S] [--replace]\n"
          "       bsctl device show ENDPOINT\n"
          "       bsctl device list [--label K=V] [--prefix P] [--limit N]\n"
          "       bsctl device remove ENDPOINT\n"
          "       bsctl device accounts ENDPOINT   server accounts written to it, pending removals\n"
          "Over the REST API (docs/BSCTL.md); --json prints the API's JSON. KIND is psk, rpk, x509 or\n"
          "nosec. File formats and field rules: docs/DEVICES.md.\n",
          f);
    return status;
}

/* ---- list and show ------------------------------------------------------------------ */

/* The credential of a listed device, in one cell. */
static void rdev_cred(const json_t *d, char *out, size_t cap)
{
    const char *kind = json_string_value(json_object_get(d, "kind"));
    char v[BSCTL_CELL_MAX];
    out[0] = 0;
    if (kind == NULL) return;
    if (strcmp(kind, "psk") == 0) {
        bsctl_cell(json_object_get(d, "psk_identity"), v, sizeof v);
        snprintf(out, cap, "identity=%s", v);
    } else if (strcmp(kind, "rpk") == 0) {
        snprintf(out, cap, "spki (%zu bytes)", json_string_length(json_object_get(d, "spki")) / 2);
    } else if (strcmp(kind, "x509") == 0) {
        char t[64];
        bsctl_cell(json_object_get(d, "x509_name_type"), t, sizeof t);
        bsctl_cell(json_object_get(d, "x509_name"), v, sizeof v);
        snprintf(out, cap, "%s=%s%s", t, v,
                 json_is_string(json_object_get(d, "fingerprint")) ? " +fingerprint" : "");
    } else if (strcmp(kind, "nosec") == 0) {
        bsctl_cell(json_object_get(d, "nosec_allow"), v, sizeof v);
        snprintf(out, cap, "allow=%s", v);
    }
}

static const bsctl_col_t rdev_cols[] = {
    {"endpoint", NULL, NULL}, {"kind", NULL, NULL},   {"credential", NULL, rdev_cred},
    {"serial", NULL, NULL},   {"labels", NULL, NULL},
};

enum { O_LABEL = 1, O_PREFIX, O_LIMIT };

typedef struct rdev_list_opts {
    const char *label, *prefix, *limit;
} rdev_list_opts_t;

static int rdev_list_opt(void *arg, int id, const char *val)
{
    rdev_list_opts_t *o = arg;
    if (id == O_LABEL) o->label = val;
    if (id == O_PREFIX) o->prefix = val;
    if (id == O_LIMIT) o->limit = val;
    return 0;
}

static int rdev_list(bsctl_t *ctl, bsctl_api_t *api, int argc, char **argv)
{
    static const bsctl_opt_t opts[] = {
        {"label", true, O_LABEL}, {"prefix", true, O_PREFIX}, {"limit", true, O_LIMIT}, {NULL, false, 0}};
    rdev_list_opts_t o = {0};
    char *pos[1];
    int npos, r = bsctl_remote_parse(ctl, argc, argv, opts, rdev_list_opt, &o, pos, 0, &npos);
    if (r != 0) return r;
    bsctl_query_t q = {0};
    bsctl_query_add(&q, "label", o.label);
    bsctl_query_add(&q, "prefix", o.prefix);
    bsctl_query_add(&q, "limit", o.limit);
    /* Like the database mode, the whole list unless --limit asks for a page. */
    json_t *doc = bsctl_api_pages(api, "/api/v1/devices", &q, "items", o.limit == NULL, &r);
    if (doc == NULL) return r;
    return bsctl_print(ctl, doc, "items", rdev_cols, sizeof rdev_cols / sizeof rdev_cols[0], "no devices");
}

/* The path of device |ep| plus |suffix|. */
static int rdev_path(char *out, size_t cap, const char *ep, const char *suffix)
{
    if (bsctl_path(out, cap, "/api/v1/devices/", ep, suffix) != 0) {
        bsctl_err("endpoint too long");
        return BSCTL_USAGE;
    }
    return 0;
}

static int rdev_show(bsctl_t *ctl, bsctl_api_t *api, int argc, char **argv)
{
    static const bsctl_opt_t opts[] = {{"reveal", false, 1}, {NULL, false, 0}};
    bool reveal = false;
    char *pos[1], path[DEV_PATH_MAX];
    int npos, r = bsctl_remote_parse(ctl, argc, argv, opts, bsctl_flag_opt, &reveal, pos, 1, &npos);
    if (r != 0) return r;
    if (npos != 1) return rdev_usage(stderr, BSCTL_USAGE);
    if (reveal) {
        bsctl_err("the API never shows a PSK key; `bsctl --local device show %s --reveal` reads it from the "
                  "database with the keyring",
                  pos[0]);
        return BSCTL_USAGE;
    }
    if ((r = rdev_path(path, sizeof path, pos[0], NULL)) != 0) return r;
    json_t *doc = bsctl_api_json(api, "GET", path, NULL, NULL, &r);
    return doc ? bsctl_print(ctl, doc, NULL, NULL, 0, NULL) : r;
}

static int rdev_remove(bsctl_t *ctl, bsctl_api_t *api, int argc, char **argv)
{
    char *pos[1], path[DEV_PATH_MAX];
    int npos, r = bsctl_remote_parse(ctl, argc, argv, NULL, NULL, NULL, pos, 1, &npos);
    if (r != 0) return r;
    if (npos != 1) return rdev_usage(stderr, BSCTL_USAGE);
    if ((r = rdev_path(path, sizeof path, pos[0], NULL)) != 0) return r;
    json_t *doc = bsctl_api_json(api, "DELETE", path, NULL, NULL, &r);
    if (doc == NULL) return r;
    json_decref(doc);
    if (ctl->json)
        bsctl_json_out(json_pack("{s:s}", "removed", pos[0]));
    else
        printf("removed device %s\n", pos[0]);
    return BSCTL_OK;
}

/* ---- add ------------------------------------------------------------------------------- */

enum {
    A_IDENTITY = 1,
    A_KEY,
    A_SPKI_FILE,
    A_X509_NAME,
    A_FINGERPRINT,
    A_ALLOW,
    A_LABEL,
    A_SERIAL,
    A_REPLACE
};

typedef struct rdev_add {
    json_t *body;   /* the device in the JSON import format */
    json_t *allow;  /* nosec_allow */
    json_t *labels; /* labels */
    bool replace;
} rdev_add_t;

/* The SPKI of a PEM or DER key file, as hex. */
static int rdev_spki(rdev_add_t *a, const char *path)
{
    char *buf, err[BSCTL_ERR_MAX], why[160], hex[2 * SPKI_MAX + 1];
    uint8_t der[SPKI_MAX];
    size_t len, n;
    if (lex_load_file(path, 64 * 1024, &buf, &len, NULL, err, sizeof err) < 0) {
        bsctl_err("--spki-file %s", err);
        return BSCTL_FAIL;
    }
    int r = spki_decode(buf, len, der, &n, why, sizeof why);
    free(buf);
    if (r < 0) {
        bsctl_err("--spki-file %s: %s", path, why);
        return BSCTL_USAGE;
    }
    json_object_set_new(a->body, "spki", json_string(db_hex_encode(der, n, hex)));
    return 0;
}

/* --psk-key -: one line of standard input. */
static int rdev_key_stdin(rdev_add_t *a)
{
    char line[256];
    if (fgets(line, sizeof line, stdin) == NULL) {
        bsctl_err("--psk-key -: no key on standard input");
        return BSCTL_USAGE;
    }
    line[strcspn(line, "\r\n")] = 0;
    json_object_set_new(a->body, "psk_key", json_string(line));
    explicit_bzero(line, sizeof line);
    return 0;
}

static int rdev_add_opt(void *arg, int id, const char *val)
{
    rdev_add_t *a = arg;
    const char *eq;
    switch (id) {
    case A_IDENTITY: json_object_set_new(a->body, "psk_identity", json_string(val)); return 0;
    case A_KEY:
        if (strcmp(val, "-") == 0) return rdev_key_stdin(a);
        json_object_set_new(a->body, "psk_key", json_string(val));
        return 0;
    case A_SPKI_FILE: return rdev_spki(a, val);
    case A_X509_NAME:
        if ((eq = strchr(val, '=')) == NULL) {
            bsctl_err("--x509-name: expected TYPE=VALUE (TYPE cn, san_dns, san_uri or san_email)");
            return BSCTL_USAGE;
        }
        json_object_set_new(a->body, "x509_name_type", json_stringn(val, (size_t)(eq - val)));
        json_object_set_new(a->body, "x509_name", json_string(eq + 1));
        return 0;
    case A_FINGERPRINT: json_object_set_new(a->body, "fingerprint", json_string(val)); return 0;
    case A_ALLOW: json_array_append_new(a->allow, json_string(val)); return 0;
    case A_LABEL:
        if ((eq = strchr(val, '=')) == NULL) {
            bsctl_err("--label: expected KEY=VALUE");
            return BSCTL_USAGE;
        }
        json_object_setn_new(a->labels, val, (size_t)(eq - val), json_string(eq + 1));
        return 0;
    case A_SERIAL: json_object_set_new(a->body, "serial", json_string(val)); return 0;
    case A_REPLACE: a->replace = true; return 0;
    default: return BSCTL_USAGE;
    }
}

/* Whether device |path| exists: 1, 0, or a BSCTL_* status after printing why not known. */
static int rdev_exists(bsctl_api_t *api, const char *path)
{
    bsctl_reply_t rep;
    int r = bsctl_api_request(api, "GET", path, NULL, NULL, &rep);
    if (r == 0) r = rep.status == 200 ? 1 : rep.status == 404 ? 0 : -bsctl_api_error(api, &rep, NULL);
    bsctl_reply_free(&rep);
    return r;
}

static int rdev_add(bsctl_t *ctl, bsctl_api_t *api, int argc, char **argv)
{
    static const bsctl_opt_t opts[] = {
        {"psk-identity", true, A_IDENTITY},
        {"psk-key", true, A_KEY},
        {"spki-file", true, A_SPKI_FILE},
        {"x509-name", true, A_X509_NAME},
        {"fingerprint", true, A_FINGERPRINT},
        {"allow", true, A_ALLOW},
        {"label", true, A_LABEL},
        {"serial", true, A_SERIAL},
        {"replace", false, A_REPLACE},
        {NULL, false, 0},
    };
    if (argc < 2 || argv[0][0] == '-' || argv[1][0] == '-') return rdev_usage(stderr, BSCTL_USAGE);
    char path[DEV_PATH_MAX], *pos[1];
    int npos, r;
    if ((r = rdev_path(path, sizeof path, argv[0], NULL)) != 0) return r;
    rdev_add_t a = {json_pack("{s:s}", "kind", argv[1]), json_array(), json_object(), false};
    if (a.body == NULL || a.allow == NULL || a.labels == NULL) {
        r = BSCTL_FAIL;
        goto out;
    }
    if ((r = bsctl_remote_parse(ctl, argc - 2, argv + 2, opts, rdev_add_opt, &a, pos, 0, &npos)) != 0)
        goto out;
    if (json_array_size(a.allow)) json_object_set(a.body, "nosec_allow", a.allow);
    if (json_object_size(a.labels)) json_object_set(a.body, "labels", a.labels);
    /* PUT replaces: `add` refuses an existing device as in the database
     * mode, unless --replace. (Another client may add it in between; the
     * PUT then replaces that one.) */
    if (!a.replace && (r = rdev_exists(api, path)) != 0) {
        if (r == 1) bsctl_err("device %s exists already (--replace replaces it)", argv[0]);
        r = r == 1 ? BSCTL_FAIL : -r;
        goto out;
    }
    json_t *doc = bsctl_api_json(api, "PUT", path, NULL, a.body, &r);
    if (doc == NULL) goto out;
    if (ctl->json) {
        bsctl_json_out(doc);
    } else {
        printf("%s device %s (%s)\n", a.replace ? "stored" : "added", argv[0],
               json_string_value(json_object_get(doc, "kind"))
                   ? json_string_value(json_object_get(doc, "kind"))
                   : argv[1]);
        json_decref(doc);
    }
    r = BSCTL_OK;
out:
    if (a.body && json_is_string(json_object_get(a.body, "psk_key"))) { /* wipe the key's copy */
        json_t *k = json_object_get(a.body, "psk_key");
        explicit_bzero((char *)json_string_value(k), json_string_length(k));
    }
    json_decref(a.body);
    json_decref(a.allow);
    json_decref(a.labels);
    return r;
}

/* ---- import ------------------------------------------------------------------------------ */

typedef struct rdev_import_opts {
    const char *format;
    bool dry_run;
} rdev_import_opts_t;

static int rdev_import_opt(void *arg, int id, const char *val)
{
    rdev_import_opts_t *o = arg;
    if (id == 2) {
        o->dry_run = true;
        return 0;
    }
    if (strcmp(val, "csv") != 0 && strcmp(val, "json") != 0) {
        bsctl_err("--format must be csv or json");
        return BSCTL_USAGE;
    }
    o->format = val;
    return 0;
}

/* The media type of import file |path| (|f| open): --format, else the name,
 * else the first byte that is not blank ('[' or '{': JSON). */
static const char *rdev_import_type(const char *format, const char *path, FILE *f)
{
    if (format) return strcmp(format, "csv") == 0 ? "text/csv" : "application/json";
    size_t n = strlen(path);
    if (n >= 5 && strcmp(path + n - 5, ".json") == 0) return "application/json";
    if ((n >= 6 && strcmp(path + n - 6, ".jsonl") == 0) || (n >= 7 && strcmp(path + n - 7, ".ndjson") == 0))
        return "application/x-ndjson";
    if (n >= 4 && strcmp(path + n - 4, ".csv") == 0) return "text/csv";
    int c;
    while ((c = getc(f)) == ' ' || c == '\t' || c == '\r' || c == '\n')
        ;
    if (c != EOF) ungetc(c, f);
    return c == '[' || c == '{' ? "application/json" : "text/csv";
}

/* The summary of an import answer (200, or 400 import_stopped). */
static int rdev_import_report(const bsctl_t *ctl, const char *path, json_t *sum, bool stopped)
{
    json_int_t imported = json_integer_value(json_object_get(sum, "imported"));
    json_int_t refused = json_integer_value(json_object_get(sum, "refused"));
    json_t *errs = json_object_get(sum, "errors"), *e;
    size_t i;
    json_array_foreach(errs, i, e) bsctl_import_row_error(e, path);
    if (json_is_true(json_object_get(sum, "errors_truncated")))
        fprintf(stderr, "%s: only the first %zu refusals are listed\n", path, json_array_size(errs));
    if (ctl->json) {
        bsctl_json_out(json_incref(sum));
    } else {
        bool dry = json_is_true(json_object_get(sum, "dry_run"));
        printf("%s: %" JSON_INTEGER_FORMAT " %s, %" JSON_INTEGER_FORMAT " refused%s%s\n", path,
               dry ? json_integer_value(json_object_get(sum, "valid")) : imported, dry ? "valid" : "imported",
               refused, stopped ? "; import stopped early" : "", dry ? " (dry run: nothing stored)" : "");
    }
    return refused == 0 && !stopped ? BSCTL_OK : BSCTL_FAIL;
}

static int rdev_import(bsctl_t *ctl, bsctl_api_t *api, int argc, char **argv)
{
    static const bsctl_opt_t opts[] = {{"format", true, 1}, {"dry-run", false, 2}, {NULL, false, 0}};
    rdev_import_opts_t o = {0};
    char *pos[1];
    int npos, r = bsctl_remote_parse(ctl, argc, argv, opts, rdev_import_opt, &o, pos, 1, &npos);
    if (r != 0) return r;
    if (npos != 1) return rdev_usage(stderr, BSCTL_USAGE);
    const char *path = pos[0];
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (f == NULL) {
        bsctl_err("%s: cannot open: %s", path, strerror(errno));
        return BSCTL_FAIL;
    }
    bsctl_body_t body = {rdev_import_type(o.format, path, f), NULL, 0, f};
    bsctl_reply_t rep;
    r = bsctl_api_request(api, "POST", "/api/v1/devices/import", o.dry_run ? "dry_run=true" : NULL, &body,
                          &rep);
    if (f != stdin) fclose(f);
    if (r != 0) {
        bsctl_reply_free(&rep);
        return r;
    }
    json_t *j = json_loadb(rep.body, rep.len, 0, NULL);
    json_t *code = json_object_get(j, "code");
    if (rep.status == 200 && json_is_object(j)) {
        r = rdev_import_report(ctl, path, j, !json_is_true(json_object_get(j, "complete")));
    } else if (rep.status == 400 && json_is_string(code) &&
               strcmp(json_string_value(code), "import_stopped") == 0) {
        char m[BSCTL_CELL_MAX];
        bsctl_cell(json_object_get(j, "message"), m, sizeof m);
        bsctl_err("%s: %s", path, m);
        r = rdev_import_report(ctl, path, json_object_get(j, "details"), true);
    } else {
        r = bsctl_api_error(api, &rep, path);
    }
    json_decref(j);
    bsctl_reply_free(&rep);
    return r;
}

int bsctl_remote_device_main(bsctl_t *ctl, bsctl_api_t *api, int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*fn)(bsctl_t *, bsctl_api_t *, int, char **);
    } cmds[] = {
        {"import", rdev_import}, {"add", rdev_add},       {"show", rdev_show},
        {"list", rdev_list},     {"remove", rdev_remove},
    };
    if (argc < 1) return rdev_usage(stderr, BSCTL_USAGE);
    if (strcmp(argv[0], "accounts") == 0) return bsctl_unboot_accounts(ctl, api, argc - 1, argv + 1);
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0 ||
            (i == 0 && strcmp(argv[i], "help") == 0))
            return rdev_usage(stdout, BSCTL_OK);
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (strcmp(argv[0], cmds[i].name) == 0) return cmds[i].fn(ctl, api, argc - 1, argv + 1);
    bsctl_err("unknown device command '%s'", argv[0]);
    return rdev_usage(stderr, BSCTL_USAGE);
}
