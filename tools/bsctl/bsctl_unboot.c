/*
 * bsctl_unboot.c — `bsctl unbootstrap queue|list|show|cancel` and `bsctl
 * device accounts EP`: on-demand removal of an LwM2M Server account from
 * devices, applied at each device's next bootstrap. Both modes build the
 * same JSON documents — over the API (/api/v1/unbootstrap, /api/v1/devices/
 * {endpoint}/accounts) as the server answers them, on the database
 * (maintenance mode) through bsd/db/db_unboot.h — and print them alike.
 */
#include "tools/bsctl/bsctl_api.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bsd/db/db_policy_ops.h"
#include "bsd/db/db_unboot.h"

static int ub_usage(FILE *f, int status)
{
    fputs(
        "usage: bsctl unbootstrap queue --ssid N --device EP [--device EP2 ...] [--reason TEXT] [--dry-run]\n"
        "       bsctl unbootstrap list [--state pending|applied|absent|cancelled] [--device EP] [--ssid N]\n"
        "                              [--limit N] [--all]\n"
        "       bsctl unbootstrap show ID\n"
        "       bsctl unbootstrap cancel ID\n"
        "       bsctl device accounts EP\n"
        "A queued removal of server account N (its Short Server ID) is applied at the device's next\n"
        "bootstrap; --dry-run shows the operations it would take (at most 20 devices) and stores nothing.\n",
        f);
    return status;
}

static const bsctl_col_t ub_cols[] = {
    {"id", NULL, NULL},        {"endpoint", NULL, NULL},        {"ssid", NULL, NULL},
    {"state", NULL, NULL},     {"created_at", "CREATED", NULL}, {"created_by", "BY", NULL},
    {"done_at", "DONE", NULL}, {"session", NULL, NULL},         {"reason", NULL, NULL},
};
#define UB_NCOLS (sizeof ub_cols / sizeof ub_cols[0])

enum { U_SSID = 1, U_DEVICE, U_REASON, U_DRY, U_STATE, U_LIMIT, U_ALL };

typedef struct ub_opts {
    const char *v[U_ALL + 1]; /* by option id (the last --device for list) */
    const char *devs[DB_UNBOOT_QUEUE_MAX];
    size_t ndevs;
    bool dry, all, too_many;
} ub_opts_t;

static int ub_opt(void *arg, int id, const char *val)
{
    ub_opts_t *o = arg;
    if (id == U_DRY)
        o->dry = true;
    else if (id == U_ALL)
        o->all = true;
    else
        o->v[id] = val;
    if (id == U_DEVICE) {
        if (o->ndevs == DB_UNBOOT_QUEUE_MAX)
            o->too_many = true;
        else
            o->devs[o->ndevs++] = val;
    }
    return 0;
}

static const bsctl_opt_t ub_optlist[] = {
    {"ssid", true, U_SSID},    {"device", true, U_DEVICE}, {"reason", true, U_REASON},
    {"dry-run", false, U_DRY}, {"state", true, U_STATE},   {"limit", true, U_LIMIT},
    {"all", false, U_ALL},     {NULL, false, 0},
};

/* Parses the options of either mode; positional arguments into |pos|. */
static int ub_parse(bsctl_t *ctl, bsctl_api_t *api, int argc, char **argv, ub_opts_t *o, char **pos,
                    int maxpos, int *npos)
{
    memset(o, 0, sizeof *o);
    return api ? bsctl_remote_parse(ctl, argc, argv, ub_optlist, ub_opt, o, pos, maxpos, npos)
               : bsctl_parse(ctl, argc, argv, ub_optlist, ub_opt, o, pos, maxpos, npos);
}

/* A decimal in [1, max] or -1. */
static long long ub_num(const char *s, long long max)
{
    char *end;
    long long v = s && *s ? strtoll(s, &end, 10) : -1;
    return s && *s && *end == 0 && v >= 1 && v <= max ? v : -1;
}

static int ub_db_fail(bsctl_t *ctl, const char *what)
{
    bsctl_err("%s: %s", what, db_errmsg(ctl->db));
    return BSCTL_FAIL;
}

static int ub_append(void *arg, const db_unboot_req_t *r)
{
    json_t *o = db_unboot_req_json(r);
    return o && json_array_append_new(arg, o) == 0 ? 0 : -ENOMEM;
}

static int ub_error_entry(void *arg, const char *endpoint, const char *msg)
{
    json_t *o = json_pack("{s:s, s:s}", "endpoint", endpoint, "message", msg);
    return o && json_array_append_new(arg, o) == 0 ? 0 : -ENOMEM;
}

/* The dry runs on the database, as the API answers them. */
static json_t *ub_local_dry_runs(bsctl_t *ctl, const ub_opts_t *o, int ssid, int *rc)
{
    *rc = BSCTL_FAIL;
    if (bsctl_keys(ctl) != 0) return NULL;
    json_t *runs = json_array(), *errs = json_array();
    for (size_t i = 0; runs && errs && i < o->ndevs; i++) {
        char err[DB_POLICY_ERR_MAX];
        json_t *plan = NULL;
        if (db_unboot_dry_run(ctl->db, &ctl->sb, o->devs[i], ssid, &plan, err, sizeof err) != 0)
            ub_error_entry(errs, o->devs[i], err);
        else
            json_array_append_new(runs, json_pack("{s:s, s:o}", "endpoint", o->devs[i], "plan", plan));
    }
    return json_pack("{s:o, s:o}", "dry_runs", runs, "errors", errs);
}

static int ub_queue(bsctl_t *ctl, bsctl_api_t *api, int argc, char **argv)
{
    ub_opts_t o;
    char *pos[1];
    int npos, r = ub_parse(ctl, api, argc, argv, &o, pos, 0, &npos);
    if (r != 0) return r;
    long long ssid = ub_num(o.v[U_SSID], 65534);
    if (ssid < 0 || o.ndevs == 0 || o.too_many) {
        bsctl_err("unbootstrap queue: --ssid 1..65534 and 1..%d --device are needed", DB_UNBOOT_QUEUE_MAX);
        return ub_usage(stderr, BSCTL_USAGE);
    }
    if (o.dry && o.ndevs > 20) {
        bsctl_err("unbootstrap queue --dry-run: at most 20 devices at once");
        return BSCTL_USAGE;
    }
    json_t *doc = NULL;
    if (api) {
        json_t *eps = json_array();
        for (size_t i = 0; i < o.ndevs; i++)
            json_array_append_new(eps, json_string(o.devs[i]));
        json_t *in = json_pack("{s:I, s:o, s:s, s:b}", "ssid", (json_int_t)ssid, "endpoints", eps, "reason",
                               o.v[U_REASON] ? o.v[U_REASON] : "", "dry_run", o.dry);
        doc = in ? bsctl_api_json(api, "POST", "/api/v1/unbootstrap", NULL, in, &r) : NULL;
        json_decref(in);
        if (doc == NULL) return in ? r : BSCTL_FAIL;
    } else {
        if ((r = bsctl_connect(ctl, true)) != 0) return r;
        if (o.dry) {
            if ((doc = ub_local_dry_runs(ctl, &o, (int)ssid, &r)) == NULL) return r;
        } else {
            json_t *reqs = json_array(), *errs = json_array();
            if (db_unboot_queue(ctl->db, o.devs, o.ndevs, (int)ssid, o.v[U_REASON], ctl->actor, ub_append,
                                reqs, ub_error_entry, errs) != 0) {
                json_decref(reqs);
                json_decref(errs);
                return ub_db_fail(ctl, "unbootstrap queue");
            }
            doc = json_pack("{s:o, s:o}", "requests", reqs, "errors", errs);
        }
    }
    json_t *errs = json_object_get(doc, "errors");
    int failed = json_array_size(errs) > 0;
    if (!ctl->json) {
        for (size_t i = 0; i < json_array_size(errs); i++) {
            json_t *e = json_array_get(errs, i);
            char ep[BSCTL_CELL_MAX], m[BSCTL_CELL_MAX];
            bsctl_cell(json_object_get(e, "endpoint"), ep, sizeof ep);
            bsctl_cell(json_object_get(e, "message"), m, sizeof m);
            bsctl_err("%s: %s", ep, m);
        }
        json_object_del(doc, "errors");
    }
    if (o.dry) {
        bsctl_json_out(doc); /* the operations are nested: JSON is the readable form */
    } else {
        bsctl_print(ctl, doc, "requests", ub_cols, UB_NCOLS, "nothing queued");
    }
    return failed ? BSCTL_FAIL : BSCTL_OK;
}

static int ub_list(bsctl_t *ctl, bsctl_api_t *api, int argc, char **argv)
{
    ub_opts_t o;
    char *pos[1];
    int npos, r = ub_parse(ctl, api, argc, argv, &o, pos, 0, &npos);
    if (r != 0) return r;
    json_t *doc = NULL;
    if (api) {
        bsctl_query_t q = {0};
        bsctl_query_add(&q, "state", o.v[U_STATE]);
        bsctl_query_add(&q, "endpoint", o.v[U_DEVICE]);
        bsctl_query_add(&q, "ssid", o.v[U_SSID]);
        bsctl_query_add(&q, "limit", o.v[U_LIMIT]);
        if ((doc = bsctl_api_pages(api, "/api/v1/unbootstrap", &q, "requests", o.all, &r)) == NULL) return r;
    } else {
        long long ssid = o.v[U_SSID] ? ub_num(o.v[U_SSID], 65534) : 0;
        long long lim = o.v[U_LIMIT] ? ub_num(o.v[U_LIMIT], DB_UNBOOT_PAGE_MAX) : 100;
        if (ssid < 0 || lim < 0) {
            bsctl_err("unbootstrap list: --ssid is 1..65534, --limit 1..%d", DB_UNBOOT_PAGE_MAX);
            return BSCTL_USAGE;
        }
        if ((r = bsctl_connect(ctl, true)) != 0) return r;
        db_unboot_filter_t f = {
            .state = o.v[U_STATE], .endpoint = o.v[U_DEVICE], .ssid = (int)ssid, .limit = (unsigned)lim + 1};
        json_t *items = json_array();
        size_t got;
        do { /* pages of |lim| rows and one to look ahead; --all follows them */
            size_t before = json_array_size(items);
            if (db_unboot_list(ctl->db, &f, ub_append, items) != 0) {
                json_decref(items);
                return ub_db_fail(ctl, "unbootstrap list");
            }
            got = json_array_size(items) - before;
            if (got > (size_t)lim) json_array_remove(items, json_array_size(items) - 1);
            f.before_id =
                json_integer_value(json_object_get(json_array_get(items, json_array_size(items) - 1), "id"));
        } while (o.all && got > (size_t)lim);
        doc = json_pack("{s:o, s:o}", "requests", items, "next",
                        !o.all && got > (size_t)lim ? json_sprintf("%lld", f.before_id) : json_null());
    }
    if (!ctl->json && json_is_string(json_object_get(doc, "next")))
        fprintf(stderr, "bsctl: more requests follow (--all lists them, --limit sets the page size)\n");
    return bsctl_print(ctl, doc, "requests", ub_cols, UB_NCOLS, "no unbootstrap requests");
}

static int ub_one(void *arg, const db_unboot_req_t *r)
{
    *(json_t **)arg = db_unboot_req_json(r);
    return *(json_t **)arg ? 0 : -ENOMEM;
}

/* show and cancel: one request by id. */
static int ub_by_id(bsctl_t *ctl, bsctl_api_t *api, int argc, char **argv, int cancel)
{
    ub_opts_t o;
    char *pos[1], path[64];
    int npos, r = ub_parse(ctl, api, argc, argv, &o, pos, 1, &npos);
    if (r != 0) return r;
    long long id = npos == 1 ? ub_num(pos[0], INT64_MAX) : -1;
    if (id < 0) {
        bsctl_err("unbootstrap %s: one request id (a positive integer) is needed",
                  cancel ? "cancel" : "show");
        return BSCTL_USAGE;
    }
    json_t *doc = NULL;
    if (api) {
        snprintf(path, sizeof path, "/api/v1/unbootstrap/%lld", id);
        if ((doc = bsctl_api_json(api, cancel ? "DELETE" : "GET", path, NULL, NULL, &r)) == NULL) return r;
    } else {
        if ((r = bsctl_connect(ctl, true)) != 0) return r;
        r = cancel ? db_unboot_cancel(ctl->db, id, ctl->actor, ub_one, &doc)
                   : db_unboot_get(ctl->db, id, ub_one, &doc);
        if (r != 0) {
            json_decref(doc);
            return ub_db_fail(ctl, cancel ? "unbootstrap cancel" : "unbootstrap show");
        }
    }
    return bsctl_print(ctl, doc, NULL, ub_cols, UB_NCOLS, NULL);
}

static int ub_run(bsctl_t *ctl, bsctl_api_t *api, int argc, char **argv)
{
    if (argc < 1) return ub_usage(stderr, BSCTL_USAGE);
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0 ||
            (i == 0 && strcmp(argv[i], "help") == 0))
            return ub_usage(stdout, BSCTL_OK);
    if (strcmp(argv[0], "queue") == 0) return ub_queue(ctl, api, argc - 1, argv + 1);
    if (strcmp(argv[0], "list") == 0) return ub_list(ctl, api, argc - 1, argv + 1);
    if (strcmp(argv[0], "show") == 0) return ub_by_id(ctl, api, argc - 1, argv + 1, 0);
    if (strcmp(argv[0], "cancel") == 0) return ub_by_id(ctl, api, argc - 1, argv + 1, 1);
    bsctl_err("unknown unbootstrap command '%s'", argv[0]);
    return ub_usage(stderr, BSCTL_USAGE);
}

int bsctl_unboot_main(bsctl_t *ctl, int argc, char **argv)
{
    return ub_run(ctl, NULL, argc, argv);
}

int bsctl_remote_unboot_main(bsctl_t *ctl, bsctl_api_t *api, int argc, char **argv)
{
    return ub_run(ctl, api, argc, argv);
}

static const bsctl_col_t acct_cols[] = {
    {"ssid", NULL, NULL},
    {"first_written", "FIRST WRITTEN", NULL},
    {"last_written", "LAST WRITTEN", NULL},
    {"last_session", "SESSION", NULL},
};

int bsctl_unboot_accounts(bsctl_t *ctl, bsctl_api_t *api, int argc, char **argv)
{
    ub_opts_t o;
    char *pos[1], path[600];
    int npos, r = ub_parse(ctl, api, argc, argv, &o, pos, 1, &npos);
    if (r != 0) return r;
    if (npos != 1) {
        bsctl_err("usage: bsctl device accounts EP");
        return BSCTL_USAGE;
    }
    json_t *doc = NULL;
    if (api) {
        if (bsctl_path(path, sizeof path, "/api/v1/devices/", pos[0], "/accounts") != 0) {
            bsctl_err("endpoint name too long");
            return BSCTL_USAGE;
        }
        if ((doc = bsctl_api_json(api, "GET", path, NULL, NULL, &r)) == NULL) return r;
    } else {
        if ((r = bsctl_connect(ctl, true)) != 0) return r;
        if (db_unboot_accounts_json(ctl->db, pos[0], &doc) != 0) return ub_db_fail(ctl, "device accounts");
    }
    if (ctl->json) return bsctl_print(ctl, doc, NULL, NULL, 0, NULL);
    printf("accounts this server wrote to %s:\n", pos[0]);
    bsctl_table_print(stdout, json_object_get(doc, "accounts"), acct_cols,
                      sizeof acct_cols / sizeof acct_cols[0], "  none");
    printf("pending removals:\n");
    bsctl_table_print(stdout, json_object_get(doc, "pending"), ub_cols, UB_NCOLS, "  none");
    json_decref(doc);
    return BSCTL_OK;
}
