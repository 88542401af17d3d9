/*
 * bsctl_remote_session.c — `bsctl session list|show`: the bootstrap session
 * records through GET /api/v1/sessions (filters, keyset pages) and
 * /api/v1/sessions/{id}. API only: the database mode has no such command.
 */
#include "tools/bsctl/bsctl_api.h"

#include <stdlib.h>
#include <string.h>

static int rses_usage(FILE *f, int status)
{
    fputs(
        "usage: bsctl session list [--device EP] [--outcome O] [--since T] [--until T] [--limit N] [--all]\n"
        "       bsctl session show ID\n"
        "Newest first. T is RFC 3339 (2026-11-27T00:00:00Z); --since is inclusive, --until exclusive.\n"
        "--limit is the page size (1..1000, default 100); --all follows the pages to the end.\n",
        f);
    return status;
}

static const bsctl_col_t rses_cols[] = {
    {"id", NULL, NULL},          {"started_at", "STARTED", NULL},
    {"endpoint", NULL, NULL},    {"outcome", NULL, NULL},
    {"duration_ms", "MS", NULL}, {"cred", NULL, NULL},
    {"peer", NULL, NULL},        {"plan", NULL, NULL},
    {"reason", NULL, NULL},
};

enum { S_DEVICE = 1, S_OUTCOME, S_SINCE, S_UNTIL, S_LIMIT, S_ALL };

typedef struct rses_opts {
    const char *v[S_ALL]; /* by option id */
    bool all;
} rses_opts_t;

static int rses_opt(void *arg, int id, const char *val)
{
    rses_opts_t *o = arg;
    if (id == S_ALL)
        o->all = true;
    else
        o->v[id] = val;
    return 0;
}

static int rses_list(bsctl_t *ctl, bsctl_api_t *api, int argc, char **argv)
{
    static const bsctl_opt_t opts[] = {
        {"device", true, S_DEVICE}, {"outcome", true, S_OUTCOME}, {"since", true, S_SINCE},
        {"until", true, S_UNTIL},   {"limit", true, S_LIMIT},     {"all", false, S_ALL},
        {NULL, false, 0},
    };
    rses_opts_t o = {0};
    char *pos[1];
    int npos, r = bsctl_remote_parse(ctl, argc, argv, opts, rses_opt, &o, pos, 0, &npos);
    if (r != 0) return r;
    bsctl_query_t q = {0};
    bsctl_query_add(&q, "endpoint", o.v[S_DEVICE]);
    bsctl_query_add(&q, "outcome", o.v[S_OUTCOME]);
    bsctl_query_add(&q, "since", o.v[S_SINCE]);
    bsctl_query_add(&q, "until", o.v[S_UNTIL]);
    bsctl_query_add(&q, "limit", o.v[S_LIMIT]);
    json_t *doc = bsctl_api_pages(api, "/api/v1/sessions", &q, "sessions", o.all, &r);
    if (doc == NULL) return r;
    const char *next = json_string_value(json_object_get(doc, "next"));
    if (!ctl->json && next != NULL)
        fprintf(stderr, "bsctl: more sessions follow (--all lists them, --limit sets the page size)\n");
    return bsctl_print(ctl, doc, "sessions", rses_cols, sizeof rses_cols / sizeof rses_cols[0],
                       "no sessions");
}

static int rses_show(bsctl_t *ctl, bsctl_api_t *api, int argc, char **argv)
{
    char *pos[1], path[96];
    int npos, r = bsctl_remote_parse(ctl, argc, argv, NULL, NULL, NULL, pos, 1, &npos);
    if (r != 0) return r;
    if (npos != 1) return rses_usage(stderr, BSCTL_USAGE);
    if (bsctl_path(path, sizeof path, "/api/v1/sessions/", pos[0], NULL) != 0) {
        bsctl_err("session id too long");
        return BSCTL_USAGE;
    }
    json_t *doc = bsctl_api_json(api, "GET", path, NULL, NULL, &r);
    if (doc == NULL) return r;
    if (ctl->json) return bsctl_print(ctl, doc, NULL, NULL, 0, NULL);
    /* The summary as lines, then the whole record as JSON. */
    json_t *record = json_incref(json_object_get(doc, "record"));
    json_object_del(doc, "record");
    bsctl_object_print(stdout, doc, NULL, 0);
    if (record != NULL) {
        fputs("record:\n", stdout);
        bsctl_json_out(record);
    }
    json_decref(doc);
    return BSCTL_OK;
}

int bsctl_remote_session_main(bsctl_t *ctl, bsctl_api_t *api, int argc, char **argv)
{
    if (argc < 1) return rses_usage(stderr, BSCTL_USAGE);
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) return rses_usage(stdout, BSCTL_OK);
    if (strcmp(argv[0], "list") == 0) return rses_list(ctl, api, argc - 1, argv + 1);
    if (strcmp(argv[0], "show") == 0) return rses_show(ctl, api, argc - 1, argv + 1);
    bsctl_err("unknown session command '%s'", argv[0]);
    return rses_usage(stderr, BSCTL_USAGE);
}
