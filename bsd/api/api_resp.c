/*
 * api_resp.c — the response helpers and request accessors of
 * api_handler.h that need no HTTP library: JSON and text bodies, the one
 * error shape, extra headers, path and query parameters.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bsd/api/api_int.h"

const char *api_param(const api_req_t *req, const char *name)
{
    const struct api_call *c = req->call;
    size_t n = strlen(name);
    for (size_t i = 0; i < c->nparams; i++)
        if (c->params[i].nlen == n && memcmp(c->params[i].name, name, n) == 0) return c->params[i].value;
    return NULL;
}

const char *api_query(const api_req_t *req, const char *name)
{
    return api_target_query(&req->call->target, name);
}

const char *api_actor(const api_req_t *req)
{
    return req->call->actor;
}

/* Replaces the body of |resp| by |body| (owned) of |len| bytes. */
static void api_set_body(api_resp_t *resp, int status, const char *ctype, char *body, size_t len)
{
    free(resp->body);
    resp->status = status;
    resp->ctype = ctype;
    resp->body = body;
    resp->len = len;
}

int api_json(api_resp_t *resp, int status, json_t *body)
{
    char *s = body ? json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(body);
    size_t n = s ? strlen(s) : 0;
    char *t = s ? realloc(s, n + 2) : NULL; /* a newline, for people reading curl output */
    if (t == NULL) {
        free(s);
        static const char oom[] =
            "{\"code\":\"internal_error\",\"message\":\"Out of memory.\",\"details\":null}\n";
        char *c = strdup(oom);
        api_set_body(resp, 500, "application/json", c, c ? strlen(c) : 0);
        return -ENOMEM;
    }
    t[n] = '\n';
    t[n + 1] = 0;
    api_set_body(resp, status, "application/json", t, n + 1);
    return 0;
}

int api_text(api_resp_t *resp, int status, const char *ctype, const char *text, size_t len)
{
    char *b = malloc(len + 1);
    if (b == NULL) return api_json(resp, 500, NULL);
    memcpy(b, text, len);
    b[len] = 0;
    api_set_body(resp, status, ctype, b, len);
    return 0;
}

int api_error(api_resp_t *resp, int status, const char *code, json_t *details, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_t *o = json_object();
    if (o == NULL || json_object_set_new(o, "code", json_string(code)) != 0 ||
        json_object_set_new(o, "message", json_string(msg)) != 0 ||
        json_object_set_new(o, "details", details ? details : json_null()) != 0) {
        json_decref(o);
        return api_json(resp, 500, NULL);
    }
    return api_json(resp, status, o);
}

int api_error_db(api_resp_t *resp, db_t *db, int rc)
{
    const char *m = db ? db_errmsg(db) : "";
    switch (rc) {
    case -ENOENT: return api_error(resp, 404, "not_found", NULL, "%s", m[0] ? m : "Not found.");
    case -EEXIST: return api_error(resp, 409, "conflict", NULL, "%s", m[0] ? m : "It exists already.");
    case -EINVAL: return api_error(resp, 400, "invalid_request", NULL, "%s", m[0] ? m : "Invalid request.");
    default:
        return api_error(resp, 503, "database_error", NULL, "The database failed: %s",
                         m[0] ? m : "unknown error");
    }
}

int api_error_nodb(api_resp_t *resp)
{
    return api_error(resp, 503, "database_unavailable", NULL,
                     "The database cannot be reached; try again later.");
}

int api_header_set(api_resp_t *resp, const char *name, const char *value)
{
    if (resp->nhdr == API_RESP_HEADERS_MAX || strlen(name) >= sizeof resp->hdr[0].name ||
        strlen(value) >= sizeof resp->hdr[0].value)
        return -ENOSPC;
    snprintf(resp->hdr[resp->nhdr].name, sizeof resp->hdr[0].name, "%s", name);
    snprintf(resp->hdr[resp->nhdr].value, sizeof resp->hdr[0].value, "%s", value);
    resp->nhdr++;
    return 0;
}
