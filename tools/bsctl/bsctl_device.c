/*
 * bsctl_device.c — `bsctl device ...`: import, add, show, list, remove.
 *
 * Records are checked by bsd/db/db_device.c (the same rules for a device
 * added by hand and an imported one) and stored by bsd/db/db_devices.c.
 * PSK keys are printed only by `show --reveal`; every other output, error
 * and audit row leaves them out.
 */
#include "tools/bsctl/bsctl.h"
#include "tools/bsctl/bsctl_api.h" /* bsctl_unboot_accounts */

#include "bsd/db/db_device_json.h"
#include "bsd/db/db_devices.h"
#include "bsd/db/devimport.h"
#include "bsd/util/lex.h"
#include "bsd/util/spki.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define BSCTL_READ_CHUNK (64 * 1024)

static const char *const dev_name_types[] = {"cn", "san_dns", "san_uri", "san_email"};

static int dev_usage(FILE *f, int status)
{
    fputs("usage: bsctl device import FILE [--format csv|json]\n"
          "       bsctl device add ENDPOINT KIND [--psk-identity X] [--psk-key HEX|-] [--spki-file F]\n"
          "                        [--x509-name TYPE=VALUE] [--fingerprint H] [--allow PREFIX]...\n"
          "                        [--oscore-sender-id HEX] [--oscore-recipient-id HEX]\n"
          "                        [--oscore-secret HEX|-] [--oscore-salt HEX] [--oscore-id-context HEX]\n"
          "                        [--label K=V]... [--serial S]\n"
          "       bsctl device show ENDPOINT [--reveal]\n"
          "       bsctl device list [--label K=V]\n"
          "       bsctl device remove ENDPOINT\n"
          "       bsctl device accounts ENDPOINT   server accounts written to it, pending removals\n"
          "All take --db URL, --key-file FILE and --json. KIND is psk, rpk, x509, nosec or oscore;\n"
          "psk, rpk and x509 devices may have --oscore-* too (OSCORE inside DTLS).\n"
          "File formats and field rules: docs/DEVICES.md.\n",
          f);
    return status;
}

/* ---- import ----------------------------------------------------------------------- */

struct dev_import {
    bsctl_t *ctl;
    db_devices_import_t *dim;
    int fail; /* stop reason: 0, or a BSCTL_FAIL already reported */
};

static void dev_import_err(void *arg, unsigned line, unsigned col, const char *msg)
{
    fprintf(stderr, "%s\n", msg);
}

static int dev_import_row(void *arg, const db_device_t *d)
{
    struct dev_import *x = arg;
    if (db_device_has_secret(d) && bsctl_keys(x->ctl) != 0) {
        x->fail = BSCTL_FAIL;
        return -ENOKEY;
    }
    int r = db_devices_import_add(x->dim, d);
    if (r < 0) {
        bsctl_err("import: %s", db_errmsg(x->ctl->db));
        x->fail = BSCTL_FAIL;
    }
    return r;
}

static int dev_format_opt(void *arg, int id, const char *val)
{
    int *fmt = arg;
    if (strcmp(val, "csv") == 0)
        *fmt = DB_IMPORT_CSV;
    else if (strcmp(val, "json") == 0)
        *fmt = DB_IMPORT_JSON;
    else {
        bsctl_err("--format must be csv or json");
        return BSCTL_USAGE;
    }
    return 0;
}

static bool dev_ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

static int dev_import(bsctl_t *ctl, int argc, char **argv)
{
    static const bsctl_opt_t opts[] = {{"format", true, 1}, {NULL, false, 0}};
    int fmt = 0, npos;
    char *pos[1];
    int r = bsctl_parse(ctl, argc, argv, opts, dev_format_opt, &fmt, pos, 1, &npos);
    if (r != 0) return r;
    if (npos != 1) return dev_usage(stderr, BSCTL_USAGE);
    const char *path = pos[0];
    if (fmt == 0)
        fmt = dev_ends_with(path, ".json") || dev_ends_with(path, ".jsonl") || dev_ends_with(path, ".ndjson")
                  ? DB_IMPORT_JSON
                  : DB_IMPORT_CSV;
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (f == NULL) {
        bsctl_err("%s: cannot open: %s", path, strerror(errno));
        return BSCTL_FAIL;
    }
    if ((r = bsctl_connect(ctl, true)) != 0) goto close;
    struct dev_import x = {ctl, NULL, 0};
    x.dim = db_devices_import_begin(ctl->db, &ctl->sb, ctl->actor, path, dev_import_err, NULL);
    db_import_t *im = db_import_new(fmt, path, dev_import_row, dev_import_err, &x);
    char *buf = malloc(BSCTL_READ_CHUNK);
    if (x.dim == NULL || im == NULL || buf == NULL) {
        bsctl_err("out of memory");
        db_devices_import_abort(x.dim);
        db_import_free(im);
        free(buf);
        r = BSCTL_FAIL;
        goto close;
    }
    int pr = 0;
    size_t n;
    while (pr == 0 && (n = fread(buf, 1, BSCTL_READ_CHUNK, f)) > 0)
        pr = db_import_feed(im, buf, n);
    if (pr == 0 && ferror(f)) {
        bsctl_err("%s: read error", path);
        x.fail = BSCTL_FAIL;
    }
    if (pr == 0 && !x.fail) pr = db_import_finish(im);
    explicit_bzero(buf, BSCTL_READ_CHUNK);
    free(buf);
    size_t bad_file = db_import_rows_failed(im), imported = 0, bad_db = 0;
    db_import_free(im);
    if (x.fail) {
        db_devices_import_abort(x.dim);
        r = BSCTL_FAIL;
        goto close;
    }
    /* A fatal parse error still keeps the rows before it. */
    if (db_devices_import_end(x.dim, &imported, &bad_db) < 0) {
        bsctl_err("import: %s", db_errmsg(ctl->db));
        r = BSCTL_FAIL;
        goto close;
    }
    if (ctl->json) {
        bsctl_json_out(json_pack("{s:s, s:I, s:I, s:I, s:b}", "file", path, "imported", (json_int_t)imported,
                                 "refused_in_file", (json_int_t)bad_file, "refused_by_database",
                                 (json_int_t)bad_db, "complete", pr == 0));
    } else {
        printf("%s: %zu imported, %zu refused (%zu in the file, %zu by the database)%s\n", path, imported,
               bad_file + bad_db, bad_file, bad_db, pr == 0 ? "" : "; import stopped early");
    }
    r = (pr == 0 && bad_file == 0 && bad_db == 0) ? BSCTL_OK : BSCTL_FAIL;
close:
    if (f != stdin) fclose(f);
    return r;
}

/* ---- add -------------------------------------------------------------------------------- */

enum {
    O_IDENTITY = 1,
    O_KEY,
    O_SPKI_FILE,
    O_X509_NAME,
    O_FINGERPRINT,
    O_ALLOW,
    O_LABEL,
    O_SERIAL,
    O_OSCORE_SID,
    O_OSCORE_RID,
    O_OSCORE_SECRET,
    O_OSCORE_SALT,
    O_OSCORE_IDCTX
};

struct dev_add {
    db_device_t d;
    char msg[DB_DEVICE_MSG_MAX];
    int fail;
};

static int dev_set(struct dev_add *a, int f, const char *val, const char *opt)
{
    if (db_device_set_field(&a->d, f, val, strlen(val), a->msg, sizeof a->msg) < 0) {
        bsctl_err("%s: %s", opt, a->msg);
        return BSCTL_USAGE;
    }
    return 0;
}

/* A secret given as "-": one line of standard input, for field |f|. */
static int dev_read_key_stdin(struct dev_add *a, int f, const char *opt)
{
    char line[256];
    if (fgets(line, sizeof line, stdin) == NULL) {
        bsctl_err("%s -: no key on standard input", opt);
        return BSCTL_USAGE;
    }
    size_t n = strcspn(line, "\r\n");
    line[n] = 0;
    int r = dev_set(a, f, line, opt);
    explicit_bzero(line, sizeof line);
    return r;
}

static int dev_spki_file(struct dev_add *a, const char *path)
{
    char *buf, err[512], why[160];
    size_t len, n;
    if (lex_load_file(path, 64 * 1024, &buf, &len, NULL, err, sizeof err) < 0) {
        bsctl_err("--spki-file %s", err);
        return BSCTL_FAIL;
    }
    int r = spki_decode(buf, len, a->d.spki, &n, why, sizeof why);
    free(buf);
    if (r < 0) {
        bsctl_err("--spki-file %s: %s", path, why);
        return BSCTL_USAGE;
    }
    if (a->d.kind != DEVFILE_RPK) {
        bsctl_err("--spki-file is only for rpk devices");
        return BSCTL_USAGE;
    }
    a->d.spki_len = n;
    a->d.given |= 1u << DB_F_SPKI;
    return 0;
}

static int dev_add_opt(void *arg, int id, const char *val)
{
    struct dev_add *a = arg;
    switch (id) {
    case O_IDENTITY: return dev_set(a, DB_F_PSK_IDENTITY, val, "--psk-identity");
    case O_KEY:
        return strcmp(val, "-") == 0 ? dev_read_key_stdin(a, DB_F_PSK_KEY, "--psk-key")
                                     : dev_set(a, DB_F_PSK_KEY, val, "--psk-key");
    case O_OSCORE_SID: return dev_set(a, DB_F_OSCORE_SENDER_ID, val, "--oscore-sender-id");
    case O_OSCORE_RID: return dev_set(a, DB_F_OSCORE_RECIPIENT_ID, val, "--oscore-recipient-id");
    case O_OSCORE_SECRET:
        return strcmp(val, "-") == 0 ? dev_read_key_stdin(a, DB_F_OSCORE_SECRET, "--oscore-secret")
                                     : dev_set(a, DB_F_OSCORE_SECRET, val, "--oscore-secret");
    case O_OSCORE_SALT: return dev_set(a, DB_F_OSCORE_SALT, val, "--oscore-salt");
    case O_OSCORE_IDCTX: return dev_set(a, DB_F_OSCORE_ID_CONTEXT, val, "--oscore-id-context");
    case O_SPKI_FILE: return dev_spki_file(a, val);
    case O_X509_NAME: {
        const char *eq = strchr(val, '=');
        if (eq == NULL) {
            bsctl_err("--x509-name: expected TYPE=VALUE (TYPE cn, san_dns, san_uri or san_email)");
            return BSCTL_USAGE;
        }
        char type[16];
        snprintf(type, sizeof type, "%.*s", (int)(eq - val < 15 ? eq - val : 15), val);
        int r = dev_set(a, DB_F_X509_NAME_TYPE, type, "--x509-name");
        return r ? r : dev_set(a, DB_F_X509_NAME, eq + 1, "--x509-name");
    }
    case O_FINGERPRINT: return dev_set(a, DB_F_FINGERPRINT, val, "--fingerprint");
    case O_ALLOW: return dev_set(a, DB_F_NOSEC_ALLOW, val, "--allow");
    case O_LABEL: return dev_set(a, DB_F_LABELS, val, "--label");
    case O_SERIAL: return dev_set(a, DB_F_SERIAL, val, "--serial");
    default: return BSCTL_USAGE;
    }
}

static int dev_add(bsctl_t *ctl, int argc, char **argv)
{
    static const bsctl_opt_t opts[] = {
        {"psk-identity", true, O_IDENTITY},
        {"psk-key", true, O_KEY},
        {"spki-file", true, O_SPKI_FILE},
        {"x509-name", true, O_X509_NAME},
        {"fingerprint", true, O_FINGERPRINT},
        {"allow", true, O_ALLOW},
        {"label", true, O_LABEL},
        {"serial", true, O_SERIAL},
        {"oscore-sender-id", true, O_OSCORE_SID},
        {"oscore-recipient-id", true, O_OSCORE_RID},
        {"oscore-secret", true, O_OSCORE_SECRET},
        {"oscore-salt", true, O_OSCORE_SALT},
        {"oscore-id-context", true, O_OSCORE_IDCTX},
        {NULL, false, 0},
    };
    struct dev_add *a = calloc(1, sizeof *a);
    if (a == NULL) return BSCTL_FAIL;
    /* Endpoint and kind come first so that option checks know the kind. */
    int r = BSCTL_USAGE;
    if (argc < 2 || argv[0][0] == '-' || argv[1][0] == '-') {
        dev_usage(stderr, 0);
        goto out;
    }
    if ((r = dev_set(a, DB_F_ENDPOINT, argv[0], "endpoint")) != 0) goto out;
    if ((r = dev_set(a, DB_F_KIND, argv[1], "kind")) != 0) goto out;
    char *pos[1];
    int npos;
    r = bsctl_parse(ctl, argc - 2, argv + 2, opts, dev_add_opt, a, pos, 0, &npos);
    if (r != 0) goto out;
    if (db_device_finish(&a->d, a->msg, sizeof a->msg) < 0) {
        bsctl_err("device %s: %s", a->d.endpoint, a->msg);
        r = BSCTL_USAGE;
        goto out;
    }
    if ((r = bsctl_connect(ctl, true)) != 0) goto out;
    if (db_device_has_secret(&a->d) && (r = bsctl_keys(ctl)) != 0) goto out;
    if (db_devices_add(ctl->db, &ctl->sb, &a->d, ctl->actor) < 0) {
        bsctl_err("%s", db_errmsg(ctl->db));
        r = BSCTL_FAIL;
        goto out;
    }
    if (ctl->json)
        bsctl_json_out(
            json_pack("{s:s, s:s}", "added", a->d.endpoint, "kind", db_device_kind_name(a->d.kind)));
    else
        printf("added device %s (%s)\n", a->d.endpoint, db_device_kind_name(a->d.kind));
    r = BSCTL_OK;
out:
    db_device_clear(&a->d);
    free(a);
    return r;
}

/* ---- output of a record ------------------------------------------------------------------- */

static char *dev_hex(const uint8_t *p, size_t n)
{
    char *s = malloc(2 * n + 1);
    if (s) db_hex_encode(p, n, s);
    return s;
}

static void dev_labels_text(const db_device_t *d, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = 0;
    for (size_t i = 0; i < d->nlabels && n < cap; i++)
        n +=
            (size_t)snprintf(out + n, cap - n, "%s%s=%s", i ? ";" : "", d->labels[i].key, d->labels[i].value);
}

/* One-line summary of the credential for tables. */
static void dev_cred_text(const db_device_t *d, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = 0;
    switch (d->kind) {
    case DEVFILE_PSK: snprintf(out, cap, "identity=%s", d->psk_identity); break;
    case DEVFILE_RPK: snprintf(out, cap, "spki (%zu bytes)", d->spki_len); break;
    case DEVFILE_X509:
        snprintf(out, cap, "%s=%s%s", dev_name_types[d->x509_name_type & 3], d->x509_name,
                 d->has_fingerprint ? " +fingerprint" : "");
        break;
    case DB_DEVICE_OSCORE: {
        char sid[2 * DB_DEVICE_OSCORE_ID_MAX + 1], ctx[2 * DB_DEVICE_OSCORE_IDCTX_MAX + 1];
        db_hex_encode(d->oscore_sender_id, d->oscore_sender_id_len, sid);
        db_hex_encode(d->oscore_id_context, d->oscore_id_context_len, ctx);
        snprintf(out, cap, "sender_id=%s%s%s", sid[0] ? sid : "(empty)", ctx[0] ? " id_context=" : "", ctx);
        break;
    }
    case DEVFILE_NOSEC:
        for (size_t i = 0; i < d->allow_count && n < cap; i++) {
            char one[64];
            n += (size_t)snprintf(out + n, cap - n, "%s%s",
                                  i ? "," : "allow=", db_device_allow_format(&d->allow[i], one, sizeof one));
        }
        break;
    default: break;
    }
    if (d->kind != DB_DEVICE_OSCORE && db_device_has_oscore(d)) {
        n = strlen(out);
        snprintf(out + n, cap - n, " +oscore");
    }
}

/* ---- show / list / remove ---------------------------------------------------------------------- */

static int dev_reveal_opt(void *arg, int id, const char *val)
{
    *(bool *)arg = true;
    return 0;
}

/* Prints |h| (|n| bytes) as hex after |label|, or |none| when empty. */
static void dev_print_hex(const char *label, const uint8_t *p, size_t n, const char *none)
{
    char *h = n ? dev_hex(p, n) : NULL;
    printf("%-20s%s\n", label, h ? h : none);
    if (h) {
        explicit_bzero(h, strlen(h));
        free(h);
    }
}

/* The OSCORE context of |d|: IDs always, secret and salt only revealed. */
static void dev_show_oscore(const db_device_t *d, bool reveal)
{
    dev_print_hex("oscore_sender_id:", d->oscore_sender_id, d->oscore_sender_id_len, "(empty)");
    dev_print_hex("oscore_recipient_id:", d->oscore_recipient_id, d->oscore_recipient_id_len, "(empty)");
    dev_print_hex("oscore_id_context:", d->oscore_id_context, d->oscore_id_context_len, "(none)");
    if (reveal) {
        dev_print_hex("oscore_secret:", d->oscore_secret, d->oscore_secret_len, "?");
        dev_print_hex("oscore_salt:", d->oscore_salt, d->oscore_salt_len, "(none)");
    } else {
        printf("oscore_secret:      (hidden; --reveal shows it)\n");
        printf("oscore_salt:        %s\n", d->oscore_has_salt ? "(hidden; --reveal shows it)" : "(none)");
    }
    printf("secret sealed by:   key id %u\n", d->oscore_secret_key_id);
}

static int dev_show(bsctl_t *ctl, int argc, char **argv)
{
    static const bsctl_opt_t opts[] = {{"reveal", false, 1}, {NULL, false, 0}};
    bool reveal = false;
    char *pos[1];
    int npos;
    int r = bsctl_parse(ctl, argc, argv, opts, dev_reveal_opt, &reveal, pos, 1, &npos);
    if (r != 0) return r;
    if (npos != 1) return dev_usage(stderr, BSCTL_USAGE);
    if ((r = bsctl_connect(ctl, true)) != 0) return r;
    if (reveal && (r = bsctl_keys(ctl)) != 0) return r;
    db_device_t *d = calloc(1, sizeof *d);
    if (d == NULL) return BSCTL_FAIL;
    if (db_devices_get(ctl->db, reveal ? &ctl->sb : NULL, pos[0], d) < 0) {
        bsctl_err("%s", db_errmsg(ctl->db));
        free(d);
        return BSCTL_FAIL;
    }
    if (ctl->json) {
        bsctl_json_out(db_device_json(d, DB_DEVICE_JSON_KEY_ID | (reveal ? DB_DEVICE_JSON_KEY : 0)));
    } else {
        printf("endpoint:           %s\n", d->endpoint);
        printf("kind:               %s\n", db_device_kind_name(d->kind));
        char buf[4096];
        switch (d->kind) {
        case DEVFILE_PSK: {
            printf("psk_identity:       %s\n", d->psk_identity);
            char *h = reveal ? dev_hex(d->psk_key, d->psk_key_len) : NULL;
            printf("psk_key:            %s\n", h ? h : "(hidden; --reveal shows it)");
            if (h) {
                explicit_bzero(h, strlen(h));
                free(h);
            }
            printf("psk_key sealed by:  key id %u\n", d->psk_key_id);
            break;
        }
        case DEVFILE_RPK: {
            char *h = dev_hex(d->spki, d->spki_len);
            printf("spki:               %s\n", h ? h : "");
            free(h);
            break;
        }
        case DEVFILE_X509: {
            printf("x509_name:          %s=%s\n", dev_name_types[d->x509_name_type & 3], d->x509_name);
            char *h = d->has_fingerprint ? dev_hex(d->fingerprint, sizeof d->fingerprint) : NULL;
            printf("fingerprint:        %s\n", h ? h : "(none)");
            free(h);
            break;
        }
        case DEVFILE_NOSEC:
            dev_cred_text(d, buf, sizeof buf);
            printf("nosec_allow:        %s\n", buf + 6);
            break;
        default: break;
        }
        if (db_device_has_oscore(d)) dev_show_oscore(d, reveal); /* oscore, or OSCORE inside DTLS */
        dev_labels_text(d, buf, sizeof buf);
        printf("labels:             %s\n", buf);
        printf("serial:             %s\n", d->serial);
        printf("credential_version: %lld\n", d->credential_version);
        printf("created:            %s\n", d->created);
        printf("updated:            %s\n", d->updated);
        if (d->bs_next.has)
            printf("rotation written:   %s %s (rotation %u, %s); accepted with the current one until used\n",
                   db_device_kind_name(d->bs_next.kind),
                   d->bs_next.kind == DEVFILE_PSK ? d->bs_next.psk_identity : "key", d->bs_next.rotation,
                   d->bs_next.written_at);
        else if (d->bs_next.invalid)
            printf("rotation written:   unreadable (ignored)\n");
    }
    db_device_clear(d);
    free(d);
    return BSCTL_OK;
}

struct dev_list {
    bool json;
    size_t n;
    const char *label; /* --label K=V */
};

static int dev_list_label_opt(void *arg, int id, const char *val)
{
    struct dev_list *l = arg;
    if (strchr(val, '=') == NULL) {
        bsctl_err("--label: expected KEY=VALUE");
        return BSCTL_USAGE;
    }
    l->label = val;
    return 0;
}

static int dev_list_row(void *arg, const db_device_t *d)
{
    struct dev_list *l = arg;
    if (l->json) {
        json_t *o = db_device_json(d, 0);
        char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
        printf("%s  %s", l->n ? ",\n" : "", s ? s : "{}");
        free(s);
        json_decref(o);
    } else {
        char cred[1024], labels[2048];
        dev_cred_text(d, cred, sizeof cred);
        dev_labels_text(d, labels, sizeof labels);
        if (l->n == 0)
            printf("%-28s %-6s %-36s %-16s %s\n", "ENDPOINT", "KIND", "CREDENTIAL", "SERIAL", "LABELS");
        printf("%-28s %-6s %-36s %-16s %s\n", d->endpoint, db_device_kind_name(d->kind), cred,
               d->serial[0] ? d->serial : "-", labels[0] ? labels : "-");
    }
    l->n++;
    return 0;
}

static int dev_list(bsctl_t *ctl, int argc, char **argv)
{
    static const bsctl_opt_t opts[] = {{"label", true, 1}, {NULL, false, 0}};
    struct dev_list l = {0};
    char *pos[1];
    int npos;
    int r = bsctl_parse(ctl, argc, argv, opts, dev_list_label_opt, &l, pos, 0, &npos);
    if (r != 0) return r;
    l.json = ctl->json;
    if ((r = bsctl_connect(ctl, true)) != 0) return r;
    char key[DB_DEVICE_LABEL_KEY_MAX + 2] = "";
    const char *value = NULL;
    if (l.label) {
        const char *eq = strchr(l.label, '=');
        snprintf(key, sizeof key, "%.*s", (int)(eq - l.label), l.label);
        value = eq + 1;
    }
    if (l.json) fputs("[\n", stdout);
    if (db_devices_list(ctl->db, l.label ? key : NULL, value, dev_list_row, &l) < 0) {
        if (l.json) fputs("\n]\n", stdout);
        bsctl_err("%s", db_errmsg(ctl->db));
        return BSCTL_FAIL;
    }
    if (l.json)
        fputs(l.n ? "\n]\n" : "]\n", stdout);
    else if (l.n == 0)
        puts("no devices");
    return BSCTL_OK;
}

static int dev_remove(bsctl_t *ctl, int argc, char **argv)
{
    char *pos[1];
    int npos;
    int r = bsctl_parse(ctl, argc, argv, NULL, NULL, NULL, pos, 1, &npos);
    if (r != 0) return r;
    if (npos != 1) return dev_usage(stderr, BSCTL_USAGE);
    if ((r = bsctl_connect(ctl, true)) != 0) return r;
    if (db_devices_remove(ctl->db, pos[0], ctl->actor) < 0) {
        bsctl_err("%s", db_errmsg(ctl->db));
        return BSCTL_FAIL;
    }
    if (ctl->json)
        bsctl_json_out(json_pack("{s:s}", "removed", pos[0]));
    else
        printf("removed device %s\n", pos[0]);
    return BSCTL_OK;
}

int bsctl_device_main(bsctl_t *ctl, int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*fn)(bsctl_t *, int, char **);
    } cmds[] = {
        {"import", dev_import}, {"add", dev_add},       {"show", dev_show},
        {"list", dev_list},     {"remove", dev_remove},
    };
    if (argc < 1) return dev_usage(stderr, BSCTL_USAGE);
    if (strcmp(argv[0], "accounts") == 0) return bsctl_unboot_accounts(ctl, NULL, argc - 1, argv + 1);
    if (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0 || strcmp(argv[0], "help") == 0)
        return dev_usage(stdout, BSCTL_OK);
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) return dev_usage(stdout, BSCTL_OK);
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (strcmp(argv[0], cmds[i].name) == 0) return cmds[i].fn(ctl, argc - 1, argv + 1);
    bsctl_err("unknown device command '%s'", argv[0]);
    return dev_usage(stderr, BSCTL_USAGE);
}
