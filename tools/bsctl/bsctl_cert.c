/*
 * bsctl_cert.c — `bsctl cert list|show|revoke` (the certificates the EST
 * CA issued) and `bsctl ca cert|crl` (the CA's certificate chain and a
 * fresh CRL). Over the REST API: /api/v1/certificates... and
 * /api/v1/ca/...; in the local maintenance mode `cert list`, `cert show`
 * (without --pem) and `cert revoke` work on the database (bsd/db/db_certs.h)
 * — the CA's certificate and a signed CRL need the daemon, which holds the
 * CA key.
 */
#include "tools/bsctl/bsctl.h"
#include "tools/bsctl/bsctl_api.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bsd/db/db_certs.h"

static int cert_usage(FILE *f, int status)
{
    fputs("usage: bsctl cert list [--endpoint EP] [--status valid|revoked|expired] [--serial HEXPREFIX]\n"
          "                       [--since T] [--until T] [--limit N]\n"
          "       bsctl cert show SERIAL [--pem | --der]\n"
          "       bsctl cert revoke SERIAL [--reason R]\n"
          "Newest first; all of them unless --limit. T is RFC 3339 (2026-11-27T00:00:00Z), on the time of\n"
          "issue. SERIAL is hex (colons allowed, as openssl prints it). R is an RFC 5280 CRLReason name:\n"
          "unspecified (default), keyCompromise, cACompromise, affiliationChanged, superseded,\n"
          "cessationOfOperation, privilegeWithdrawn, aACompromise. A revocation is final; the daemon\n"
          "refuses the certificate from then on and lists it in the CRL (bsctl ca crl).\n",
          f);
    return status;
}

static const bsctl_col_t cert_cols[] = {
    {"serial", NULL, NULL}, {"endpoint", NULL, NULL},      {"kind", NULL, NULL},
    {"status", NULL, NULL}, {"issued_at", "ISSUED", NULL}, {"not_after", "EXPIRES", NULL},
    {"reason", NULL, NULL}, {"subject", NULL, NULL},
};
#define CERT_NCOLS (sizeof cert_cols / sizeof cert_cols[0])

enum { C_ENDPOINT = 1, C_STATUS, C_SERIAL, C_SINCE, C_UNTIL, C_LIMIT, C_REASON, C_PEM, C_DER, C_N };

static const bsctl_opt_t cert_list_opts[] = {
    {"endpoint", true, C_ENDPOINT},
    {"status", true, C_STATUS},
    {"serial", true, C_SERIAL},
    {"since", true, C_SINCE},
    {"until", true, C_UNTIL},
    {"limit", true, C_LIMIT},
    {NULL, false, 0},
};
static const bsctl_opt_t cert_show_opts[] = {{"pem", false, C_PEM}, {"der", false, C_DER}, {NULL, false, 0}};
static const bsctl_opt_t cert_revoke_opts[] = {{"reason", true, C_REASON}, {NULL, false, 0}};

/* The options given, by id; a flag given is "". */
typedef struct cert_opts {
    const char *v[C_N];
} cert_opts_t;

static int cert_opt(void *arg, int id, const char *val)
{
    ((cert_opts_t *)arg)->v[id] = val ? val : "";
    return 0;
}

/* A --limit value into |out|; prints why and returns BSCTL_USAGE when bad. */
static int cert_limit(const char *s, unsigned *out)
{
    char *end;
    unsigned long v = s ? strtoul(s, &end, 10) : 0;
    if (s && (*s < '0' || *s > '9' || *end || v < 1 || v > 1000000)) {
        bsctl_err("--limit must be 1..1000000");
        return BSCTL_USAGE;
    }
    *out = (unsigned)v;
    return 0;
}

/* Writes |len| bytes of |body| to stdout; DER is refused on a terminal. */
static int cert_write(const char *body, size_t len, bool binary)
{
    if (binary && isatty(STDOUT_FILENO)) {
        bsctl_err("refusing to write DER to a terminal: redirect it to a file (> FILE) or ask for --pem");
        return BSCTL_USAGE;
    }
    return fwrite(body, 1, len, stdout) == len && fflush(stdout) == 0 ? BSCTL_OK : BSCTL_FAIL;
}

/* ---- over the API ------------------------------------------------------------------------ */

static int rcert_list(bsctl_t *ctl, bsctl_api_t *api, int argc, char **argv)
{
    cert_opts_t o = {0};
    char *pos[1];
    int npos, r = bsctl_remote_parse(ctl, argc, argv, cert_list_opts, cert_opt, &o, pos, 0, &npos);
    unsigned limit = 0;
    if (r != 0 || (r = cert_limit(o.v[C_LIMIT], &limit)) != 0) return r;
    bsctl_query_t q = {0};
    static const char *const names[] = {[C_ENDPOINT] = "endpoint",
                                        [C_STATUS] = "status",
                                        [C_SERIAL] = "serial",
                                        [C_SINCE] = "since",
                                        [C_UNTIL] = "until"};
    for (int id = C_ENDPOINT; id <= C_UNTIL; id++)
        bsctl_query_add(&q, names[id], o.v[id]);
    char lim[16];
    snprintf(lim, sizeof lim, "%u", limit > 1000 ? 1000 : limit);
    bsctl_query_add(&q, "limit", limit ? lim : NULL);
    json_t *doc = bsctl_api_pages(api, "/api/v1/certificates", &q, "items", limit == 0, &r);
    if (doc == NULL) return r;
    json_t *items = json_object_get(doc, "items");
    if (limit && json_array_size(items) > limit) {
        while (json_array_size(items) > limit)
            json_array_remove(items, json_array_size(items) - 1);
    }
    return bsctl_print(ctl, doc, "items", cert_cols, CERT_NCOLS, "no certificates");
}

/* "/api/v1/certificates/<serial>[suffix]" into |out|. */
static int cert_path(char *out, size_t cap, const char *serial, const char *suffix)
{
    if (bsctl_path(out, cap, "/api/v1/certificates/", serial, suffix) == 0) return 0;
    bsctl_err("serial '%.40s...' is too long", serial);
    return BSCTL_USAGE;
}

static int rcert_show(bsctl_t *ctl, bsctl_api_t *api, int argc, char **argv)
{
    cert_opts_t o = {0};
    char *pos[1], path[256];
    int npos, r = bsctl_remote_parse(ctl, argc, argv, cert_show_opts, cert_opt, &o, pos, 1, &npos);
    if (r != 0) return r;
    if (npos != 1 || (o.v[C_PEM] && o.v[C_DER])) return cert_usage(stderr, BSCTL_USAGE);
    if ((r = cert_path(path, sizeof path, pos[0], NULL)) != 0) return r;
    if (o.v[C_PEM] || o.v[C_DER]) {
        bsctl_reply_t rep;
        if ((r = bsctl_api_request(api, "GET", path, o.v[C_PEM] ? "format=pem" : "format=der", NULL, &rep)) ==
            0)
            r = rep.status == 200 ? cert_write(rep.body, rep.len, o.v[C_DER] != NULL)
                                  : bsctl_api_error(api, &rep, NULL);
        bsctl_reply_free(&rep);
        return r;
    }
    json_t *doc = bsctl_api_json(api, "GET", path, NULL, NULL, &r);
    if (doc == NULL) return r;
    if (!ctl->json) json_object_del(doc, "pem"); /* --pem prints it */
    return bsctl_print(ctl, doc, NULL, NULL, 0, NULL);
}

static int rcert_revoke(bsctl_t *ctl, bsctl_api_t *api, int argc, char **argv)
{
    cert_opts_t o = {0};
    char *pos[1], path[256];
    int npos, r = bsctl_remote_parse(ctl, argc, argv, cert_revoke_opts, cert_opt, &o, pos, 1, &npos);
    if (r != 0) return r;
    if (npos != 1) return cert_usage(stderr, BSCTL_USAGE);
    if ((r = cert_path(path, sizeof path, pos[0], "/revoke")) != 0) return r;
    json_t *in = o.v[C_REASON] ? json_pack("{s:s}", "reason", o.v[C_REASON]) : json_object();
    json_t *doc = bsctl_api_json(api, "POST", path, NULL, in, &r);
    json_decref(in);
    if (doc == NULL) return r;
    if (ctl->json) return bsctl_print(ctl, doc, NULL, NULL, 0, NULL);
    printf("certificate %s of %s revoked (%s)\n", json_string_value(json_object_get(doc, "serial")),
           json_string_value(json_object_get(doc, "endpoint")),
           json_string_value(json_object_get(doc, "reason")));
    json_decref(doc);
    return BSCTL_OK;
}

int bsctl_remote_cert_main(bsctl_t *ctl, bsctl_api_t *api, int argc, char **argv)
{
    if (argc < 1) return cert_usage(stderr, BSCTL_USAGE);
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) return cert_usage(stdout, BSCTL_OK);
    if (strcmp(argv[0], "list") == 0) return rcert_list(ctl, api, argc - 1, argv + 1);
    if (strcmp(argv[0], "show") == 0) return rcert_show(ctl, api, argc - 1, argv + 1);
    if (strcmp(argv[0], "revoke") == 0) return rcert_revoke(ctl, api, argc - 1, argv + 1);
    bsctl_err("unknown cert command '%s'", argv[0]);
    return cert_usage(stderr, BSCTL_USAGE);
}

static int ca_usage(FILE *f, int status)
{
    fputs(
        "usage: bsctl ca cert [--der] > ca.pem    the EST CA's certificate chain (PEM; --der: the CA alone)\n"
        "       bsctl ca crl [--pem] > crl.der    a CRL signed now by the CA (DER; --pem: PEM)\n"
        "Over the REST API only: the daemon holds the CA key.\n",
        f);
    return status;
}

int bsctl_remote_ca_main(bsctl_t *ctl, bsctl_api_t *api, int argc, char **argv)
{
    static const bsctl_opt_t opts[] = {{"pem", false, C_PEM}, {"der", false, C_DER}, {NULL, false, 0}};
    if (argc < 1) return ca_usage(stderr, BSCTL_USAGE);
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) return ca_usage(stdout, BSCTL_OK);
    bool crl = strcmp(argv[0], "crl") == 0;
    if (!crl && strcmp(argv[0], "cert") != 0) {
        bsctl_err("unknown ca command '%s'", argv[0]);
        return ca_usage(stderr, BSCTL_USAGE);
    }
    cert_opts_t o = {0};
    char *pos[1];
    int npos, r = bsctl_remote_parse(ctl, argc - 1, argv + 1, opts, cert_opt, &o, pos, 0, &npos);
    if (r != 0) return r;
    if (o.v[crl ? C_DER : C_PEM]) {
        bsctl_err("'ca %s' takes %s", argv[0], crl ? "--pem" : "--der");
        return BSCTL_USAGE;
    }
    bool binary = crl ? o.v[C_PEM] == NULL : o.v[C_DER] != NULL;
    bsctl_reply_t rep;
    if ((r = bsctl_api_request(api, "GET", crl ? "/api/v1/ca/crl" : "/api/v1/ca/certificate",
                               binary ? "format=der" : "format=pem", NULL, &rep)) == 0)
        r = rep.status == 200 ? cert_write(rep.body, rep.len, binary) : bsctl_api_error(api, &rep, NULL);
    bsctl_reply_free(&rep);
    return r;
}

/* ---- local maintenance mode ---------------------------------------------------------------- */

/* Rows of a local listing, with the keyset of the last one. */
typedef struct cert_rows {
    json_t *items;
    unsigned left; /* rows still wanted; 0 = no bound */
    unsigned seen; /* in this page */
    db_certs_filter_t *f;
} cert_rows_t;

static int cert_row(void *arg, const db_cert_t *c)
{
    cert_rows_t *l = arg;
    l->seen++;
    l->f->before_us = c->issued_at_us;
    memcpy(l->f->before_serial, c->serial, c->serial_len);
    l->f->before_serial_len = c->serial_len;
    json_t *o = db_cert_json(c, (int64_t)time(NULL));
    return o && json_array_append_new(l->items, o) == 0 ? 0 : -ENOMEM;
}

static int cert_local_list(bsctl_t *ctl, int argc, char **argv)
{
    cert_opts_t o = {0};
    char *pos[1];
    int npos, r = bsctl_parse(ctl, argc, argv, cert_list_opts, cert_opt, &o, pos, 0, &npos);
    unsigned limit = 0;
    if (r != 0 || (r = cert_limit(o.v[C_LIMIT], &limit)) != 0) return r;
    char prefix[41] = "";
    const char *sp = o.v[C_SERIAL];
    if (sp && strlen(sp) >= sizeof prefix) {
        bsctl_err("--serial is a prefix of at most 40 hex digits");
        return BSCTL_USAGE;
    }
    for (size_t i = 0; sp && sp[i]; i++) /* the store compares lower-case hex */
        prefix[i] = (char)(sp[i] >= 'A' && sp[i] <= 'F' ? sp[i] - 'A' + 'a' : sp[i]);
    if ((r = bsctl_connect(ctl, true)) != 0) return r;
    db_certs_filter_t f = {.endpoint = o.v[C_ENDPOINT],
                           .status = o.v[C_STATUS],
                           .serial_prefix = sp ? prefix : NULL,
                           .since = o.v[C_SINCE],
                           .until = o.v[C_UNTIL]};
    cert_rows_t l = {.items = json_array(), .left = limit, .f = &f};
    do {
        f.limit = l.left && l.left < DB_CERTS_PAGE_MAX ? l.left : DB_CERTS_PAGE_MAX;
        l.seen = 0;
        r = db_certs_list(ctl->db, &f, cert_row, &l);
        if (l.left) l.left -= l.seen;
    } while (r == 0 && l.seen == f.limit && (limit == 0 || l.left > 0));
    if (r != 0) {
        bsctl_err("cert list: %s", r == -ENOMEM ? "out of memory" : db_errmsg(ctl->db));
        json_decref(l.items);
        return r == -EINVAL ? BSCTL_USAGE : BSCTL_FAIL;
    }
    return bsctl_print(ctl, json_pack("{s:o, s:n}", "items", l.items, "next"), "items", cert_cols, CERT_NCOLS,
                       "no certificates");
}

static int cert_keep(void *arg, const db_cert_t *c)
{
    *(json_t **)arg = db_cert_json(c, (int64_t)time(NULL));
    return *(json_t **)arg ? 0 : -ENOMEM;
}

static int cert_local_show(bsctl_t *ctl, int argc, char **argv)
{
    cert_opts_t o = {0};
    char *pos[1];
    int npos, r = bsctl_parse(ctl, argc, argv, cert_show_opts, cert_opt, &o, pos, 1, &npos);
    if (r != 0) return r;
    if (npos != 1) return cert_usage(stderr, BSCTL_USAGE);
    if (o.v[C_PEM] || o.v[C_DER]) {
        bsctl_err("'cert show --pem/--der' needs the REST API (give --server URL)");
        return BSCTL_USAGE;
    }
    uint8_t serial[20];
    size_t len = db_cert_serial_parse(pos[0], serial);
    if (len == 0) {
        bsctl_err("a serial is 1..20 octets in hex");
        return BSCTL_USAGE;
    }
    if ((r = bsctl_connect(ctl, true)) != 0) return r;
    json_t *doc = NULL;
    if ((r = db_certs_get(ctl->db, serial, len, cert_keep, &doc)) != 0) {
        bsctl_err("%s", r == -ENOMEM ? "out of memory" : db_errmsg(ctl->db));
        return BSCTL_FAIL;
    }
    return bsctl_print(ctl, doc, NULL, NULL, 0, NULL);
}

static int cert_local_revoke(bsctl_t *ctl, int argc, char **argv)
{
    cert_opts_t o = {0};
    char *pos[1];
    int npos, r = bsctl_parse(ctl, argc, argv, cert_revoke_opts, cert_opt, &o, pos, 1, &npos);
    if (r != 0) return r;
    if (npos != 1) return cert_usage(stderr, BSCTL_USAGE);
    uint8_t serial[20];
    size_t len = db_cert_serial_parse(pos[0], serial);
    int reason = o.v[C_REASON] ? db_cert_reason_parse(o.v[C_REASON]) : 0;
    if (len == 0) {
        bsctl_err("a serial is 1..20 octets in hex");
        return BSCTL_USAGE;
    }
    if (reason < 0) {
        bsctl_err("unknown reason '%s' (bsctl cert --help)", o.v[C_REASON]);
        return BSCTL_USAGE;
    }
    if ((r = bsctl_connect(ctl, true)) != 0) return r;
    if ((r = db_certs_revoke(ctl->db, serial, len, reason, ctl->actor)) != 0) {
        bsctl_err("%s", db_errmsg(ctl->db));
        return r == -EINVAL ? BSCTL_USAGE : BSCTL_FAIL;
    }
    char hex[41];
    db_hex_encode(serial, len, hex);
    if (ctl->json)
        bsctl_json_out(json_pack("{s:s, s:s}", "revoked", hex, "reason", db_cert_reason_name(reason)));
    else
        printf("certificate %s revoked (%s)\n", hex, db_cert_reason_name(reason));
    return BSCTL_OK;
}

int bsctl_cert_main(bsctl_t *ctl, int argc, char **argv)
{
    if (argc < 1) return cert_usage(stderr, BSCTL_USAGE);
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) return cert_usage(stdout, BSCTL_OK);
    if (strcmp(argv[0], "list") == 0) return cert_local_list(ctl, argc - 1, argv + 1);
    if (strcmp(argv[0], "show") == 0) return cert_local_show(ctl, argc - 1, argv + 1);
    if (strcmp(argv[0], "revoke") == 0) return cert_local_revoke(ctl, argc - 1, argv + 1);
    bsctl_err("unknown cert command '%s'", argv[0]);
    return cert_usage(stderr, BSCTL_USAGE);
}
