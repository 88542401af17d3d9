/*
 * bsctl_remote_misc.c — the small API commands: `bsctl whoami` (the token's
 * name and role), `bsctl metrics` (the Prometheus text of /metrics) and
 * `bsctl deny ...` (the deny-list, /api/v1/deny; the command line of the
 * database mode, bsctl_deny.c).
 */
#include "tools/bsctl/bsctl_api.h"

#include <string.h>

int bsctl_remote_whoami_main(bsctl_t *ctl, bsctl_api_t *api, int argc, char **argv)
{
    char *pos[1];
    int npos, r = bsctl_remote_parse(ctl, argc, argv, NULL, NULL, NULL, pos, 0, &npos);
    if (r != 0) return r;
    json_t *doc = bsctl_api_json(api, "GET", "/api/v1/whoami", NULL, NULL, &r);
    if (doc == NULL) return r;
    if (!ctl->json) json_object_set_new(doc, "server", json_string(api->server));
    return bsctl_print(ctl, doc, NULL, NULL, 0, NULL);
}

int bsctl_remote_metrics_main(bsctl_t *ctl, bsctl_api_t *api, int argc, char **argv)
{
    char *pos[1];
    int npos, r = bsctl_remote_parse(ctl, argc, argv, NULL, NULL, NULL, pos, 0, &npos);
    if (r != 0) return r;
    bsctl_reply_t rep;
    if ((r = bsctl_api_request(api, "GET", "/metrics", NULL, NULL, &rep)) == 0) {
        if (rep.status == 200)
            fwrite(rep.body, 1, rep.len, stdout); /* Prometheus text, also with --json */
        else
            r = bsctl_api_error(api, &rep, NULL);
    }
    bsctl_reply_free(&rep);
    return r;
}

/* ---- deny ---------------------------------------------------------------------------------- */

static int rdeny_usage(FILE *f, int status)
{
    fputs("usage: bsctl deny device EP [--reason TEXT]     EP may no longer bootstrap\n"
          "       bsctl deny source PREFIX [--reason TEXT] drop datagrams from PREFIX (192.0.2.0/24, "
          "2001:db8::1)\n"
          "       bsctl deny remove device EP | source PREFIX\n"
          "       bsctl deny list\n",
          f);
    return status;
}

static const bsctl_col_t rdeny_cols[] = {
    {"type", NULL, NULL},       {"what", "DENIED", NULL}, {"actor", "BY", NULL},
    {"created", "SINCE", NULL}, {"reason", NULL, NULL},
};

static int rdeny_reason(void *arg, int id, const char *val)
{
    (void)id;
    *(const char **)arg = val;
    return 0;
}

int bsctl_remote_deny_main(bsctl_t *ctl, bsctl_api_t *api, int argc, char **argv)
{
    static const bsctl_opt_t opts[] = {{"reason", true, 1}, {NULL, false, 0}};
    if (argc < 1) return rdeny_usage(stderr, BSCTL_USAGE);
    if (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0) return rdeny_usage(stdout, BSCTL_OK);
    const char *reason = NULL;
    char *pos[3], path[1024];
    int npos, r = bsctl_remote_parse(ctl, argc, argv, opts, rdeny_reason, &reason, pos, 3, &npos);
    if (r != 0) return r;
    json_t *doc;
    if (strcmp(pos[0], "list") == 0 && npos == 1) {
        doc = bsctl_api_json(api, "GET", "/api/v1/deny", NULL, NULL, &r);
        return doc ? bsctl_print(ctl, doc, "items", rdeny_cols, sizeof rdeny_cols / sizeof rdeny_cols[0],
                                 "nothing is denied")
                   : r;
    }
    bool removing = strcmp(pos[0], "remove") == 0;
    char **a = removing ? pos + 1 : pos;
    int na = removing ? npos - 1 : npos;
    if (na != 2 || (strcmp(a[0], "device") != 0 && strcmp(a[0], "source") != 0)) {
        bsctl_err("usage: bsctl deny [remove] device EP | source PREFIX (bsctl deny --help)");
        return BSCTL_USAGE;
    }
    bool src = strcmp(a[0], "source") == 0;
    const char *coll = src ? "/api/v1/deny/sources" : "/api/v1/deny/devices";
    if (removing) {
        char prefix[64];
        snprintf(prefix, sizeof prefix, "%s/", coll);
        if (bsctl_path(path, sizeof path, prefix, a[1], NULL) != 0) {
            bsctl_err("'%s' is too long", a[1]);
            return BSCTL_USAGE;
        }
        doc = bsctl_api_json(api, "DELETE", path, NULL, NULL, &r);
    } else {
        json_t *in = json_pack("{s:s}", src ? "prefix" : "endpoint", a[1]);
        if (reason) json_object_set_new(in, "reason", json_string(reason));
        doc = bsctl_api_json(api, "POST", coll, NULL, in, &r);
        json_decref(in);
    }
    if (doc == NULL) return r;
    if (ctl->json && !removing) return bsctl_print(ctl, doc, NULL, NULL, 0, NULL);
    json_decref(doc);
    if (ctl->json)
        bsctl_json_out(json_pack("{s:s, s:s}", "type", src ? "source" : "device", "removed", a[1]));
    else
        printf("%s %s %s\n", src ? "source" : "device", a[1], removing ? "no longer denied" : "denied");
    return BSCTL_OK;
}
