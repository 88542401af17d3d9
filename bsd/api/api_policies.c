/*
 * api_policies.c — /api/v1/policies: the YAML provisioning policies
 * (bsd/db/db_policies.h) listed by name, stored as new versions from a
 * YAML body (checked first; operator), their versions listed, shown (JSON,
 * or the YAML itself) and compared (unified diff), and a version
 * activated, which is also how a roll-back is done (operator). Reads:
 * viewer. The running daemon follows every change through LISTEN/NOTIFY.
 *
 * Applying works as `bsctl policy apply` does (bsd/db/db_policy_ops.h):
 * parse and check, warn about active policies that may match the same
 * devices at the same priority, store, activate unless ?activate=false.
 * Unlike bsctl, a PUT of the source already stored as the latest version
 * stores nothing (200 with that version), so a client may repeat a PUT.
 * Operator documentation: docs/API.md, docs/POLICY.md.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bsd/api/api_policies.h"
#include "bsd/util/linediff.h"

#define POL_YAML_TYPES   "application/yaml,text/yaml,text/x-yaml"
#define POL_DIFF_CONTEXT 3

/* ---- shared with api_plan.c and api_credentials.c ------------------------------ */

int api_policy_invalid(api_resp_t *resp, const char *src_name, const char *err)
{
    /* The parser says "NAME:LINE:COLUMN: message". */
    size_t n = strlen(src_name);
    json_t *e = NULL;
    if (strncmp(err, src_name, n) == 0 && err[n] == ':') {
        char *end;
        unsigned long line = strtoul(err + n + 1, &end, 10), col = 0;
        if (end != err + n + 1 && *end == ':') {
            char *c = end + 1;
            col = strtoul(c, &end, 10);
            if (end != c && strncmp(end, ": ", 2) == 0)
                e = json_pack("{s:i, s:i, s:s}", "line", (int)line, "column", (int)col, "message", end + 2);
        }
    }
    if (e == NULL) e = json_pack("{s:n, s:n, s:s}", "line", "column", "message", err);
    return api_error(resp, 422, "invalid_policy", json_pack("{s:[o]}", "errors", e),
                     "The policy is invalid: %s", err);
}

int api_policy_prep_error(api_resp_t *resp, db_t *db, int r, const char *err)
{
    switch (r) {
    case -ENOENT: return api_error(resp, 404, "not_found", NULL, "%s", err);
    case -ESRCH: return api_error(resp, 422, "no_matching_policy", NULL, "%s", err);
    case -EBADMSG:
    case -ENOKEY: return api_error(resp, 503, "keyring_unavailable", NULL, "%s", err);
    default: return api_error_db(resp, db, r);
    }
}

int api_policy_keyring(api_req_t *req, api_resp_t *resp, db_secretbox_t *sb)
{
    char msg[DB_SECRETBOX_ERR_MAX];
    if (api_keyring(req, sb, msg, sizeof msg) == 0) return 0;
    api_error(resp, 503, "keyring_unavailable", NULL,
              "The keys that seal secrets at rest cannot be read; see the daemon's secret_keys_file.");
    return -1;
}

/* ---- listing --------------------------------------------------------------------- */

/* The summaries being built: by name, and in the listing's order. */
typedef struct pol_sum {
    json_t *names; /* name -> summary */
    json_t *order; /* the summaries by name (db_policies_list's order) */
} pol_sum_t;

/* Per name: the active and latest versions; the author and time of the latest. */
static int pol_summarise(void *arg, const db_policy_t *p)
{
    pol_sum_t *s = arg;
    json_t *o = json_object_get(s->names, p->name);
    if (o == NULL) {
        o = json_pack("{s:s, s:n, s:i, s:n, s:i}", "name", p->name, "active_version", "latest_version", 0,
                      "priority", "versions", 0);
        if (o == NULL || json_object_set_new(s->names, p->name, o) != 0 ||
            json_array_append(s->order, o) != 0)
            return -ENOMEM;
    }
    if (p->active) json_object_set_new(o, "active_version", json_integer(p->version));
    if (p->version > json_integer_value(json_object_get(o, "latest_version"))) {
        json_object_set_new(o, "latest_version", json_integer(p->version));
        json_object_set_new(o, "author", json_string(p->author));
        json_object_set_new(o, "created", json_string(p->created));
    }
    json_object_set_new(o, "versions", json_integer(json_integer_value(json_object_get(o, "versions")) + 1));
    return 0;
}

/* The priority of the active version (else the latest) of summary |o|;
 * null when the stored source no longer parses. */
static int pol_priority(db_t *db, json_t *o)
{
    json_t *v = json_object_get(o, "active_version");
    int version = (int)json_integer_value(json_is_integer(v) ? v : json_object_get(o, "latest_version"));
    db_policy_t p;
    memset(&p, 0, sizeof p);
    int r = db_policies_get(db, json_string_value(json_object_get(o, "name")), version, &p);
    if (r != 0) return r;
    char err[POLICY_ERR_MAX];
    policy_t *pp = policy_parse(p.name, p.source, strlen(p.source), err, sizeof err);
    if (pp) json_object_set_new(o, "priority", json_integer(policy_priority(pp)));
    policy_free(pp);
    db_policy_free(&p);
    return 0;
}

/* The summaries of every policy, or of |name| only, by name, into *out (an
 * array; NULL after answering an error). */
static int pol_summaries(api_req_t *req, api_resp_t *resp, const char *name, json_t **out)
{
    *out = NULL;
    pol_sum_t s = {json_object(), json_array()};
    int r = s.names && s.order ? 0 : -ENOMEM;
    db_t *db = api_db(req);
    if (r == 0) r = db ? db_policies_list(db, name, pol_summarise, &s) : -ECONNREFUSED;
    if (r == -EIO && (db = api_db_retry(req)) != NULL) {
        json_object_clear(s.names);
        json_array_clear(s.order);
        r = db_policies_list(db, name, pol_summarise, &s);
    }
    for (size_t i = 0; r == 0 && i < json_array_size(s.order); i++)
        r = pol_priority(db, json_array_get(s.order, i));
    json_decref(s.names);
    if (r != 0) {
        json_decref(s.order);
        if (r == -ENOMEM) return r;
        return db ? api_error_db(resp, db, r) : api_error_nodb(resp);
    }
    *out = s.order;
    return 0;
}

static int pol_list(api_req_t *req, api_resp_t *resp)
{
    json_t *arr;
    int r = pol_summaries(req, resp, NULL, &arr);
    if (arr == NULL) return r;
    return api_json(resp, 200, json_pack("{s:o}", "policies", arr));
}

static int pol_get(api_req_t *req, api_resp_t *resp)
{
    const char *name = api_param(req, "name");
    json_t *arr;
    int r = pol_summaries(req, resp, name, &arr);
    if (arr == NULL) return r;
    if (json_array_size(arr) == 0) {
        json_decref(arr);
        return api_error(resp, 404, "not_found", NULL, "There is no policy %s.", name);
    }
    json_t *o = json_incref(json_array_get(arr, 0));
    json_decref(arr);
    return api_json(resp, 200, o);
}

static int pol_add_version(void *arg, const db_policy_t *p)
{
    json_t *o = json_pack("{s:i, s:b, s:s, s:s}", "version", p->version, "active", p->active, "author",
                          p->author, "created", p->created);
    return o && json_array_append_new(arg, o) == 0 ? 0 : -ENOMEM;
}

static int pol_versions(api_req_t *req, api_resp_t *resp)
{
    const char *name = api_param(req, "name");
    json_t *arr = json_array();
    if (arr == NULL) return -ENOMEM;
    db_t *db = api_db(req);
    int r = db ? db_policies_list(db, name, pol_add_version, arr) : -ECONNREFUSED;
    if (r == -EIO && (db = api_db_retry(req)) != NULL) {
        json_array_clear(arr);
        r = db_policies_list(db, name, pol_add_version, arr);
    }
    if (r == 0 && json_array_size(arr) == 0) {
        json_decref(arr);
        return api_error(resp, 404, "not_found", NULL, "There is no policy %s.", name);
    }
    if (r != 0) {
        json_decref(arr);
        return db ? api_error_db(resp, db, r) : api_error_nodb(resp);
    }
    return api_json(resp, 200, json_pack("{s:s, s:o}", "name", name, "versions", arr));
}

/* ---- one version -------------------------------------------------------------------- */

/* Parses version |s| (named |what| in messages) into *v; answers 400 when it is not one. */
static int pol_version_arg(api_resp_t *resp, const char *what, const char *s, int *v)
{
    uint64_t n;
    if (s != NULL && api_parse_u64(s, 1, INT32_MAX, &n) == 0) {
        *v = (int)n;
        return 0;
    }
    api_error(resp, 400, "invalid_parameter", json_pack("{s:s}", "parameter", what),
              "'%s' must be a version number (1, 2, ...).", what);
    return -1;
}

/* Reads version |v| of |name| into |p|; answers 404 or 503 otherwise. */
static int pol_read(api_req_t *req, api_resp_t *resp, const char *name, int v, db_policy_t *p)
{
    db_t *db = api_db(req);
    if (db == NULL) {
        api_error_nodb(resp);
        return -1;
    }
    int r = db_policies_get(db, name, v, p);
    if (r == -EIO && (db = api_db_retry(req)) != NULL) r = db_policies_get(db, name, v, p);
    if (r == 0) return 0;
    if (r == -ENOENT)
        api_error(resp, 404, "not_found", NULL, "Policy %s has no version %d.", name, v);
    else if (db)
        api_error_db(resp, db, r);
    else
        api_error_nodb(resp);
    return -1;
}

/* Whether the Accept header |acc| asks for YAML before JSON (a simple
 * reading: the first YAML or JSON media range listed wins). */
static bool pol_wants_yaml(const char *acc)
{
    while (acc && *acc) {
        const char *comma = strchr(acc, ',');
        size_t n = comma ? (size_t)(comma - acc) : strlen(acc);
        char range[128];
        if (n < sizeof range) {
            memcpy(range, acc, n);
            range[n] = 0;
            char *s = range;
            while (*s == ' ' || *s == '\t')
                s++;
            if (api_media_type_in(s, POL_YAML_TYPES)) return true;
            if (api_media_type_in(s, "application/json")) return false;
        }
        acc = comma ? comma + 1 : NULL;
    }
    return false;
}

static int pol_version_get(api_req_t *req, api_resp_t *resp)
{
    const char *name = api_param(req, "name");
    int v;
    if (pol_version_arg(resp, "version", api_param(req, "version"), &v) != 0) return 0;
    db_policy_t p;
    memset(&p, 0, sizeof p);
    if (pol_read(req, resp, name, v, &p) != 0) return 0;
    int r;
    if (pol_wants_yaml(api_header(req, "Accept")))
        r = api_text(resp, 200, "application/yaml", p.source, strlen(p.source));
    else
        r = api_json(resp, 200,
                     json_pack("{s:s, s:i, s:b, s:s, s:s, s:s}", "name", p.name, "version", p.version,
                               "active", p.active, "author", p.author, "created", p.created, "source",
                               p.source));
    db_policy_free(&p);
    return r;
}

static int pol_diff(api_req_t *req, api_resp_t *resp)
{
    const char *name = api_param(req, "name");
    int from, to;
    if (pol_version_arg(resp, "from", api_query(req, "from"), &from) != 0 ||
        pol_version_arg(resp, "to", api_query(req, "to"), &to) != 0)
        return 0;
    db_policy_t a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    if (pol_read(req, resp, name, from, &a) != 0) return 0;
    if (pol_read(req, resp, name, to, &b) != 0) {
        db_policy_free(&a);
        return 0;
    }
    char la[DB_POLICY_NAME_MAX + 32], lb[sizeof la];
    snprintf(la, sizeof la, "%s v%d", name, from);
    snprintf(lb, sizeof lb, "%s v%d", name, to);
    char *out = NULL;
    size_t len = 0;
    int r = linediff_unified(a.source, strlen(a.source), b.source, strlen(b.source), la, lb, POL_DIFF_CONTEXT,
                             &out, &len);
    db_policy_free(&a);
    db_policy_free(&b);
    if (r == -E2BIG || r == -EFBIG)
        return api_error(resp, 422, "diff_too_large",
                         json_pack("{s:i}", "max_changed_lines", LINEDIFF_EDITS_MAX),
                         "The versions differ in more than %d lines; fetch both and compare them locally.",
                         LINEDIFF_EDITS_MAX);
    if (r != 0) return r;
    r = api_text(resp, 200, "text/x-diff", out, len);
    free(out);
    return r;
}

/* ---- changes ------------------------------------------------------------------------ */

static void pol_collect_warning(void *arg, const char *msg)
{
    json_array_append_new(arg, json_string(msg));
}

static int pol_put(api_req_t *req, api_resp_t *resp)
{
    const char *name = api_param(req, "name"), *act = api_query(req, "activate");
    if (!db_policy_name_ok(name))
        return api_error(resp, 400, "invalid_parameter", json_pack("{s:s}", "parameter", "name"),
                         "A policy name is 1..%d of A-Z a-z 0-9 . _ - starting with a letter or digit.",
                         DB_POLICY_NAME_MAX);
    bool activate = true;
    if (act && strcmp(act, "true") != 0 && strcmp(act, "false") != 0)
        return api_error(resp, 400, "invalid_parameter", json_pack("{s:s}", "parameter", "activate"),
                         "Query parameter 'activate' must be true or false.");
    if (act) activate = strcmp(act, "true") == 0;
    char err[DB_POLICY_ERR_MAX];
    bool bad_name;
    policy_t *p = db_policy_check(name, req->body, req->body_len, &bad_name, err, sizeof err);
    if (p == NULL && !bad_name) return api_policy_invalid(resp, name, err);
    if (p == NULL || strcmp(policy_name(p), name) != 0) {
        json_t *d = json_pack("{s:s, s:s}", "path", name, "policy", p ? policy_name(p) : "");
        int r = api_error(resp, 400, "name_mismatch", d,
                          "The document's `policy:` name must be the name in the path (%s).", name);
        policy_free(p);
        return r;
    }
    json_t *warnings = json_array();
    db_t *db = api_db(req);
    int r = db ? 0 : -ECONNREFUSED;
    if (warnings == NULL) r = -ENOMEM;
    if (r == 0) r = db_policy_overlaps(db, p, pol_collect_warning, warnings, err, sizeof err);
    if (r == -EIO && (db = api_db_retry(req)) != NULL) {
        json_array_clear(warnings);
        r = db_policy_overlaps(db, p, pol_collect_warning, warnings, err, sizeof err);
    }
    policy_free(p);
    db_policy_applied_t done = {0};
    if (r == 0)
        r = db_policy_apply(db, name, req->body, req->body_len,
                            DB_POLICY_APPLY_SAME_OK | (activate ? DB_POLICY_APPLY_ACTIVATE : 0),
                            api_actor(req), &done, err, sizeof err);
    db_policy_t now;
    memset(&now, 0, sizeof now);
    if (r == 0) r = db_policies_get(db, name, done.version, &now);
    if (r != 0) {
        json_decref(warnings);
        if (db == NULL) return api_error_nodb(resp);
        if (done.stored)
            return api_error(resp, 503, "database_error", json_pack("{s:i}", "version", done.version),
                             "Stored as version %d but not activated: %s", done.version, err);
        if (r == -EBADMSG) return api_error(resp, 503, "database_error", NULL, "%s", err);
        return api_error_db(resp, db, r);
    }
    char loc[DB_POLICY_NAME_MAX + 64];
    snprintf(loc, sizeof loc, "/api/v1/policies/%s/versions/%d", name, done.version);
    api_header_set(resp, "Location", loc); /* a valid name needs no escaping */
    r = api_json(resp, done.stored ? 201 : 200,
                 json_pack("{s:s, s:i, s:b, s:b, s:o}", "name", name, "version", done.version, "active",
                           now.active, "stored", done.stored, "warnings", warnings));
    db_policy_free(&now);
    return r;
}

static int pol_activate(api_req_t *req, api_resp_t *resp)
{
    const char *name = api_param(req, "name");
    json_int_t v = 0;
    json_error_t je;
    if (json_unpack_ex(req->json, &je, JSON_STRICT, "{s:I}", "version", &v) != 0 || v < 1 || v > INT32_MAX)
        return api_error(resp, 400, "invalid_request", NULL,
                         "The body must be {\"version\": N} with N a stored version (1, 2, ...).");
    db_t *db = api_db(req);
    if (db == NULL) return api_error_nodb(resp);
    char err[DB_POLICY_ERR_MAX];
    int r = db_policy_activate_checked(db, name, (int)v, api_actor(req), err, sizeof err);
    if (r == -EIO && (db = api_db_retry(req)) != NULL)
        r = db_policy_activate_checked(db, name, (int)v, api_actor(req), err, sizeof err);
    if (r == -ENOENT)
        return api_error(resp, 404, "not_found", NULL, "Policy %s has no version %d.", name, (int)v);
    if (r == -EBADMSG) return api_policy_invalid(resp, name, err);
    if (r != 0) return db ? api_error_db(resp, db, r) : api_error_nodb(resp);
    return api_json(resp, 200, json_pack("{s:s, s:i, s:b}", "name", name, "version", (int)v, "active", 1));
}

const api_route_t api_policies_routes[] = {
    {.method = "GET", .pattern = "/api/v1/policies", .role = API_ROLE_VIEWER, .handler = pol_list},
    {.method = "GET", .pattern = "/api/v1/policies/{name}", .role = API_ROLE_VIEWER, .handler = pol_get},
    {.method = "PUT",
     .pattern = "/api/v1/policies/{name}",
     .role = API_ROLE_OPERATOR,
     .handler = pol_put,
     .body = API_BODY_RAW,
     .query = "activate",
     .content_types = POL_YAML_TYPES},
    {.method = "GET",
     .pattern = "/api/v1/policies/{name}/versions",
     .role = API_ROLE_VIEWER,
     .handler = pol_versions},
    {.method = "GET",
     .pattern = "/api/v1/policies/{name}/versions/{version}",
     .role = API_ROLE_VIEWER,
     .handler = pol_version_get},
    {.method = "GET",
     .pattern = "/api/v1/policies/{name}/diff",
     .role = API_ROLE_VIEWER,
     .handler = pol_diff,
     .query = "from,to"},
    {.method = "POST",
     .pattern = "/api/v1/policies/{name}/activate",
     .role = API_ROLE_OPERATOR,
     .handler = pol_activate,
     .body = API_BODY_JSON},
    API_ROUTES_END,
};
