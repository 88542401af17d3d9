/*
 * api_devices.c — /api/v1/devices: the devices of the PostgreSQL store
 * (bsd/db/db_devices.h) listed, read, created or replaced, patched
 * (labels and serial), removed, and imported in bulk. Reads: viewer;
 * writes: operator. Described in docs/openapi.json; fields and formats in
 * docs/DEVICES.md.
 *
 * A device is shown and accepted in the one JSON form of
 * bsd/db/db_device_json.h, the JSON import format's member names; no
 * response ever holds a PSK key or an OSCORE Master Secret or Salt (the key
 * id that sealed it is shown).
 * Records are checked by db_device.c exactly as `bsctl device add` and
 * `bsctl device import` check them.
 *
 * Bulk import streams: each piece of the upload goes through the import
 * parser (devimport.h) as it arrives, and good rows are written 500 per
 * transaction with whichever pooled connection is free for that piece, so
 * memory stays flat for any number of rows. Refused rows are listed (the
 * first DEV_IMPORT_ERRORS_MAX) and counted; the others are kept.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bsd/api/api_handler.h"
#include "bsd/db/db_device_json.h"
#include "bsd/db/db_devices.h"
#include "bsd/db/devimport.h"
#include "bsd/util/lex.h"

#define DEV_LIMIT_DEFAULT     100
#define DEV_LIMIT_MAX         1000
#define DEV_IMPORT_ERRORS_MAX 1000     /* refusals listed in an import response (all are counted) */
#define DEV_IMPORT_SOURCE     "upload" /* the import's name in messages and its audit row */

/* ---- shared ---------------------------------------------------------------------- */

/* The stored device |ep| as its JSON object (no key), into *out. Returns 0
 * or the db_devices_get() error. */
static int dev_read_json(db_t *db, const char *ep, json_t **out)
{
    db_device_t *d = calloc(1, sizeof *d);
    if (d == NULL) return -ENOMEM;
    int r = db_devices_get(db, NULL, ep, d);
    if (r == 0) {
        *out = db_device_json(d, DB_DEVICE_JSON_KEY_ID);
        if (*out == NULL) r = -ENOMEM;
    }
    db_device_clear(d);
    free(d);
    return r;
}

/* Answers with device |ep| as stored now, with |status|. */
static int dev_answer(api_resp_t *resp, db_t *db, const char *ep, int status)
{
    json_t *o = NULL;
    int r = dev_read_json(db, ep, &o);
    if (r != 0) return api_error_db(resp, db, r);
    return api_json(resp, status, o);
}

static int dev_bad_param(api_resp_t *resp, const char *name, const char *why)
{
    return api_error(resp, 400, "invalid_parameter", json_pack("{s:s}", "parameter", name),
                     "Query parameter '%s' %s.", name, why);
}

/* ---- list --------------------------------------------------------------------------- */

typedef struct dev_page {
    json_t *items;
    unsigned want; /* rows asked for; one more tells there is a next page */
    unsigned seen;
    char last[DB_DEVICE_ENDPOINT_MAX + 1]; /* endpoint of the last row shown */
} dev_page_t;

static int dev_collect(void *arg, const db_device_t *d)
{
    dev_page_t *p = arg;
    if (++p->seen > p->want) return 0; /* the look-ahead row */
    snprintf(p->last, sizeof p->last, "%s", d->endpoint);
    json_t *o = db_device_json(d, DB_DEVICE_JSON_KEY_ID);
    return o && json_array_append_new(p->items, o) == 0 ? 0 : -ENOMEM;
}

/* The cursor is the hex of the last endpoint of a page: opaque to clients,
 * safe in a URL without encoding. */
static int dev_cursor_parse(const char *s, char *ep, size_t cap)
{
    size_t len = strlen(s), n = 0, bad;
    if (len == 0 || len % 2 || len / 2 >= cap) return -EINVAL;
    if (lex_hex_decode(s, len, (uint8_t *)ep, cap - 1, &n, &bad) != 0 || n == 0) return -EINVAL;
    ep[n] = 0;
    return strlen(ep) == n ? 0 : -EINVAL;
}

static int dev_list(api_req_t *req, api_resp_t *resp)
{
    db_devices_query_t q = {.prefix = api_query(req, "prefix"), .limit = DEV_LIMIT_DEFAULT};
    const char *label = api_query(req, "label"), *lim = api_query(req, "limit"),
               *cur = api_query(req, "cursor");
    char after[DB_DEVICE_ENDPOINT_MAX + 1];
    uint64_t v;
    if (q.prefix && strlen(q.prefix) > DB_DEVICE_ENDPOINT_MAX)
        return dev_bad_param(resp, "prefix", "is longer than an endpoint can be (255 bytes)");
    if (lim) {
        if (api_parse_u64(lim, 1, DEV_LIMIT_MAX, &v) != 0)
            return dev_bad_param(resp, "limit", "must be an integer in 1..1000");
        q.limit = (unsigned)v;
    }
    if (cur) {
        if (dev_cursor_parse(cur, after, sizeof after) != 0)
            return dev_bad_param(resp, "cursor", "must be a value of 'next' from an earlier page");
        q.after = after;
    }
    /* label=k=v;k2=v2: the labels syntax of the import formats, all must match */
    db_device_t *filt = NULL;
    if (label) {
        char msg[DB_DEVICE_MSG_MAX];
        filt = calloc(1, sizeof *filt);
        if (filt == NULL) return -ENOMEM;
        if (!label[0] || db_device_set_field(filt, DB_F_LABELS, label, strlen(label), msg, sizeof msg) < 0) {
            free(filt);
            return api_error(resp, 400, "invalid_parameter", json_pack("{s:s}", "parameter", "label"),
                             "Query parameter 'label' must be key=value pairs separated by ';'%s%s.",
                             label[0] ? ": " : "", label[0] ? msg : "");
        }
        q.labels = filt->labels;
        q.nlabels = filt->nlabels;
    }
    dev_page_t page = {.items = json_array(), .want = q.limit};
    q.limit++; /* one row more than asked: whether a next page exists */
    db_t *db = api_db(req);
    int r = page.items == NULL ? -ENOMEM : db ? db_devices_query(db, &q, dev_collect, &page) : -ECONNREFUSED;
    if (r == -EIO && (db = api_db_retry(req)) != NULL) {
        json_array_clear(page.items);
        page.seen = 0;
        r = db_devices_query(db, &q, dev_collect, &page);
    }
    free(filt);
    if (r != 0) {
        json_decref(page.items);
        if (r == -ENOMEM) return r;
        return db ? api_error_db(resp, db, r) : api_error_nodb(resp);
    }
    json_t *next = json_null();
    if (page.seen > page.want) {
        char hex[2 * DB_DEVICE_ENDPOINT_MAX + 1];
        next = json_string(db_hex_encode((const unsigned char *)page.last, strlen(page.last), hex));
    }
    return api_json(resp, 200, json_pack("{s:o, s:o}", "items", page.items, "next", next));
}

/* ---- one device ---------------------------------------------------------------------- */

static int dev_get(api_req_t *req, api_resp_t *resp)
{
    const char *ep = api_param(req, "endpoint");
    db_t *db = api_db(req);
    if (db == NULL) return api_error_nodb(resp);
    json_t *o = NULL;
    int r = dev_read_json(db, ep, &o);
    if (r == -EIO && (db = api_db_retry(req)) != NULL) r = dev_read_json(db, ep, &o);
    if (r != 0) return db ? api_error_db(resp, db, r) : api_error_nodb(resp);
    return api_json(resp, 200, o);
}

/* A record refused by the field rules: 400 naming the member. */
static int dev_invalid(api_resp_t *resp, const char *field, const char *msg)
{
    return api_error(resp, 400, "invalid_device",
                     field && field[0] ? json_pack("{s:s}", "field", field) : NULL, "%s", msg);
}

static int dev_put(api_req_t *req, api_resp_t *resp)
{
    const char *ep = api_param(req, "endpoint");
    if (!json_is_object(req->json))
        return api_error(resp, 400, "invalid_device", NULL,
                         "The body must be a JSON object with the members of the JSON import format "
                         "(docs/DEVICES.md).");
    json_t *bep = json_object_get(req->json, "endpoint");
    if (bep && !json_is_null(bep) && !(json_is_string(bep) && strcmp(json_string_value(bep), ep) == 0))
        return dev_invalid(resp, "endpoint", "The body's endpoint differs from the one in the path.");
    char msg[DB_DEVICE_MSG_MAX];
    const char *field = "";
    db_device_t *d = calloc(1, sizeof *d);
    json_t *body = json_copy(req->json); /* shallow: the endpoint comes from the path */
    int r = -ENOMEM;
    db_secretbox_t sb;
    db_secretbox_init(&sb);
    if (d == NULL || body == NULL) goto out;
    json_object_del(body, "endpoint");
    if (db_device_set_field(d, DB_F_ENDPOINT, ep, strlen(ep), msg, sizeof msg) < 0) {
        r = dev_invalid(resp, "endpoint", msg);
        goto out;
    }
    if (db_device_from_json(d, body, msg, sizeof msg, &field) < 0 ||
        db_device_finish(d, msg, sizeof msg) < 0) {
        r = dev_invalid(resp, field, msg);
        goto out;
    }
    if (db_device_has_secret(d) && api_keyring(req, &sb, msg, sizeof msg) != 0) {
        r = api_error(resp, 503, "keyring_unavailable", NULL,
                      "The keys that seal PSK keys cannot be read; see the daemon's secret_keys_file.");
        goto out;
    }
    db_t *db = api_db(req);
    if (db == NULL) {
        r = api_error_nodb(resp);
        goto out;
    }
    bool created = false;
    r = db_devices_put(db, &sb, d, api_actor(req), &created);
    if (r == -EIO && (db = api_db_retry(req)) != NULL)
        r = db_devices_put(db, &sb, d, api_actor(req), &created);
    if (r == -ENOKEY) {
        r = api_error(resp, 503, "keyring_unavailable", NULL, "%s", db_errmsg(db));
    } else if (r != 0) {
        r = db ? api_error_db(resp, db, r) : api_error_nodb(resp);
    } else {
        r = dev_answer(resp, db, ep, created ? 201 : 200);
    }
out:
    db_secretbox_free(&sb);
    json_decref(body);
    if (d) db_device_clear(d);
    free(d);
    return r;
}

/*
 * PATCH: {"labels": {...}, "serial": ...}, the rest of the record stays.
 * Labels merge as in RFC 7396: a string sets a label, null removes it,
 * "labels": null removes them all (labels may also be the "k=v;k2=v2"
 * text, which sets them); serial: a string sets it, null or "" removes it.
 */
static int dev_patch(api_req_t *req, api_resp_t *resp)
{
    const char *ep = api_param(req, "endpoint");
    const char *k;
    json_t *v, *labels = NULL, *serial = NULL;
    if (!json_is_object(req->json) || json_object_size(req->json) == 0)
        return api_error(resp, 400, "invalid_request", NULL,
                         "The body must be a JSON object with labels and/or serial.");
    json_object_foreach(req->json, k, v)
    {
        if (strcmp(k, "labels") == 0)
            labels = v;
        else if (strcmp(k, "serial") == 0)
            serial = v;
        else
            return api_error(resp, 400, "invalid_request", json_pack("{s:s}", "field", k),
                             "Only labels and serial can be patched ('%.40s' given); PUT replaces a device.",
                             k);
    }
    /* The values to set go through the device rules on a scratch record. */
    json_t *set = json_object(), *setlabels = json_is_object(labels) ? json_object() : NULL;
    const char **unset = calloc(DB_DEVICE_LABELS_MAX + 1, sizeof *unset);
    db_device_t *d = calloc(1, sizeof *d);
    size_t nunset = 0;
    int r = -ENOMEM;
    if (set == NULL || unset == NULL || d == NULL || (json_is_object(labels) && setlabels == NULL)) goto out;
    if (json_is_object(labels)) {
        json_object_foreach(labels, k, v)
        {
            if (!json_is_null(v)) {
                json_object_set(setlabels, k, v);
            } else if (nunset == DB_DEVICE_LABELS_MAX + 1) {
                r = dev_invalid(resp, "labels", "Too many labels to remove (a device has at most 32).");
                goto out;
            } else {
                unset[nunset++] = k;
            }
        }
        json_object_set(set, "labels", setlabels);
    } else if (labels && !json_is_null(labels)) {
        json_object_set(set, "labels", labels);
    }
    if (json_is_string(serial)) json_object_set(set, "serial", serial);
    if (serial && !json_is_string(serial) && !json_is_null(serial)) {
        r = dev_invalid(resp, "serial", "serial must be a string or null");
        goto out;
    }
    char msg[DB_DEVICE_MSG_MAX];
    const char *field = "";
    if (db_device_from_json(d, set, msg, sizeof msg, &field) < 0) {
        r = dev_invalid(resp, field, msg);
        goto out;
    }
    db_devices_patch_t p = {.set = d->labels,
                            .nset = d->nlabels,
                            .unset = unset,
                            .nunset = nunset,
                            .clear_labels = labels != NULL && json_is_null(labels),
                            .serial_given = serial != NULL,
                            .serial = d->serial};
    db_t *db = api_db(req);
    if (db == NULL) {
        r = api_error_nodb(resp);
        goto out;
    }
    r = db_devices_patch(db, ep, &p, api_actor(req));
    if (r == -EIO && (db = api_db_retry(req)) != NULL) r = db_devices_patch(db, ep, &p, api_actor(req));
    r = r != 0 ? (db ? api_error_db(resp, db, r) : api_error_nodb(resp)) : dev_answer(resp, db, ep, 200);
out:
    json_decref(set);
    json_decref(setlabels);
    free(unset);
    free(d);
    return r;
}

static int dev_delete(api_req_t *req, api_resp_t *resp)
{
    const char *ep = api_param(req, "endpoint");
    db_t *db = api_db(req);
    if (db == NULL) return api_error_nodb(resp);
    int r = db_devices_remove(db, ep, api_actor(req));
    if (r == -EIO && (db = api_db_retry(req)) != NULL) r = db_devices_remove(db, ep, api_actor(req));
    if (r != 0) return db ? api_error_db(resp, db, r) : api_error_nodb(resp);
    return api_text(resp, 204, "application/json", "", 0);
}

/* ---- bulk import ---------------------------------------------------------------------- */

/* One upload in progress (req->stream). */
typedef struct dev_import {
    api_req_t *req;           /* the request of the piece being handled */
    db_import_t *parser;      /* CSV or JSON, fed piece by piece */
    db_devices_import_t *dim; /* the writer; NULL in a dry run */
    db_secretbox_t sb;        /* the keyring, read at the first PSK row */
    bool have_keys;
    bool dry_run;
    json_t *errors; /* the first DEV_IMPORT_ERRORS_MAX refusals */
    size_t nerrors; /* every refusal and a stopping error */
    size_t valid;   /* dry run: rows that pass the file's checks */
    int fail;       /* 503 when the store failed mid-way (fail_msg says why) */
    char fail_code[32];
    char fail_msg[DB_ERR_MAX]; /* may quote PostgreSQL; never a key */
} dev_import_t;

static void dev_import_free(void *p)
{
    dev_import_t *x = p;
    if (x == NULL) return;
    /* An upload cut short (413, the client went away): the batches already
     * committed stay, and the audit says so. */
    if (x->dim) db_devices_import_set_db(x->dim, x->req ? api_db(x->req) : NULL);
    db_devices_import_abort(x->dim);
    db_import_free(x->parser);
    db_secretbox_free(&x->sb);
    json_decref(x->errors);
    free(x);
}

/* Lists one refusal: "upload:L:C: message" becomes its parts. */
static void dev_import_note(dev_import_t *x, unsigned line, unsigned col, const char *ep, const char *msg)
{
    if (x->nerrors++ >= DEV_IMPORT_ERRORS_MAX) return;
    char pre[64];
    int n = snprintf(pre, sizeof pre, "%s:%u:%u: ", DEV_IMPORT_SOURCE, line, col);
    if (n > 0 && strncmp(msg, pre, (size_t)n) == 0) msg += n;
    json_t *o = json_pack("{s:I, s:I, s:s, s:s}", "line", (json_int_t)line, "column", (json_int_t)col,
                          "message", msg, "endpoint", ep);
    if (o && !ep[0]) json_object_set_new(o, "endpoint", json_null());
    if (o) json_array_append_new(x->errors, o);
}

static void dev_import_parse_err(void *arg, unsigned line, unsigned col, const char *msg)
{
    dev_import_t *x = arg;
    dev_import_note(x, line, col, db_import_row_endpoint(x->parser), msg);
}

static void dev_import_db_err(void *arg, unsigned line, unsigned col, const char *msg)
{
    dev_import_t *x = arg;
    dev_import_note(x, line, col, db_devices_import_row_endpoint(x->dim), msg);
}

static void dev_import_failed(dev_import_t *x, const char *code, const char *msg)
{
    x->fail = 503;
    snprintf(x->fail_code, sizeof x->fail_code, "%s", code);
    snprintf(x->fail_msg, sizeof x->fail_msg, "%s", msg);
}

static int dev_import_row(void *arg, const db_device_t *d)
{
    dev_import_t *x = arg;
    if (x->dry_run) {
        x->valid++;
        return 0;
    }
    if (db_device_has_secret(d) && !x->have_keys) {
        char m[DB_SECRETBOX_ERR_MAX];
        if (api_keyring(x->req, &x->sb, m, sizeof m) != 0) {
            dev_import_failed(
                x, "keyring_unavailable",
                "The keys that seal PSK keys cannot be read; see the daemon's secret_keys_file.");
            return -ENOKEY;
        }
        x->have_keys = true;
    }
    int r = db_devices_import_add(x->dim, d);
    if (r < 0) dev_import_failed(x, r == -ENOKEY ? "keyring_unavailable" : "database_error", "");
    return r;
}

/* Starts an upload: the format from the Content-Type. Answers in |resp| on failure. */
static dev_import_t *dev_import_new(api_req_t *req, api_resp_t *resp)
{
    const char *dry = api_query(req, "dry_run");
    if (dry && strcmp(dry, "true") != 0 && strcmp(dry, "false") != 0) {
        dev_bad_param(resp, "dry_run", "must be true or false");
        return NULL;
    }
    dev_import_t *x = calloc(1, sizeof *x);
    if (x == NULL) return NULL;
    db_secretbox_init(&x->sb);
    x->req = req;
    x->dry_run = dry && strcmp(dry, "true") == 0;
    x->errors = json_array();
    int fmt = api_media_type_in(api_header(req, "Content-Type"), "text/csv") ? DB_IMPORT_CSV : DB_IMPORT_JSON;
    x->parser = db_import_new(fmt, DEV_IMPORT_SOURCE, dev_import_row, dev_import_parse_err, x);
    if (!x->dry_run)
        x->dim =
            db_devices_import_begin(NULL, &x->sb, api_actor(req), DEV_IMPORT_SOURCE, dev_import_db_err, x);
    if (x->errors == NULL || x->parser == NULL || (!x->dry_run && x->dim == NULL)) {
        dev_import_free(x);
        return NULL;
    }
    return x;
}

/* The import's outcome as the response body. */
static json_t *dev_import_summary(dev_import_t *x, size_t imported, size_t refused_db, bool complete)
{
    json_t *o = json_pack("{s:I, s:I, s:O, s:b, s:b, s:b}", "imported", (json_int_t)imported, "refused",
                          (json_int_t)(db_import_rows_failed(x->parser) + refused_db), "errors", x->errors,
                          "errors_truncated", x->nerrors > DEV_IMPORT_ERRORS_MAX, "complete", complete,
                          "dry_run", x->dry_run);
    if (o && x->dry_run) json_object_set_new(o, "valid", json_integer((json_int_t)x->valid));
    return o;
}

/*
 * Ends the upload: the rows still queued are written and the audit row
 * too (also after a stop: rows before it are kept, as with bsctl), and
 * the answer is made. |pr| is the parser's result.
 */
static int dev_import_end(dev_import_t *x, db_t *db, int pr, api_resp_t *resp)
{
    size_t imported = 0, refused_db = 0;
    if (x->fail && x->dim) db_devices_import_set_db(x->dim, NULL); /* queued rows are dropped */
    if (!x->fail && x->dim) {
        db_devices_import_set_db(x->dim, db);
        int r = db_devices_import_end(x->dim, &imported, &refused_db);
        x->dim = NULL;
        if (r < 0)
            dev_import_failed(x, r == -ENOKEY ? "keyring_unavailable" : "database_error", db_errmsg(db));
    }
    if (x->fail) {
        if (!x->fail_msg[0] && db) snprintf(x->fail_msg, sizeof x->fail_msg, "%s", db_errmsg(db));
        return api_error(resp, x->fail, x->fail_code, dev_import_summary(x, imported, refused_db, false),
                         "The import stopped: %s Rows written before this are kept.",
                         x->fail_msg[0] ? x->fail_msg : "the database failed.");
    }
    if (pr == -ENOMEM) return pr;
    json_t *sum = dev_import_summary(x, imported, refused_db, pr == 0);
    if (pr != 0)
        return api_error(
            resp, 400, "import_stopped", sum,
            "The import stopped at a structural error (see errors); the rows before it are kept.");
    return api_json(resp, 200, sum);
}

static int dev_import_chunk(api_req_t *req, const char *data, size_t len, api_resp_t *resp)
{
    dev_import_t *x = req->stream;
    if (x == NULL && (x = req->stream = dev_import_new(req, resp)) == NULL) return -1;
    x->req = req;
    db_t *db = NULL;
    if (!x->dry_run) {
        if ((db = api_db(req)) == NULL) {
            dev_import_failed(x, "database_unavailable", "The database cannot be reached; try again later.");
            dev_import_end(x, NULL, 0, resp);
            return -1;
        }
        db_devices_import_set_db(x->dim, db);
    }
    int pr = db_import_feed(x->parser, data, len);
    if (x->dim) db_devices_import_set_db(x->dim, NULL); /* the connection goes back to the pool */
    if (pr == 0 && !x->fail) return 0;
    dev_import_end(x, db, pr, resp); /* a stop: answered now, the rest of the body is dropped */
    return -1;
}

static int dev_import(api_req_t *req, api_resp_t *resp)
{
    dev_import_t *x = req->stream; /* NULL for an empty body */
    if (x == NULL && (x = req->stream = dev_import_new(req, resp)) == NULL) return resp->status ? 0 : -ENOMEM;
    x->req = req;
    db_t *db = x->dry_run ? NULL : api_db(req);
    int r;
    if (!x->dry_run && db == NULL) {
        dev_import_failed(x, "database_unavailable", "The database cannot be reached; try again later.");
        r = dev_import_end(x, NULL, 0, resp);
    } else {
        if (x->dim) db_devices_import_set_db(x->dim, db);
        r = dev_import_end(x, db, db_import_finish(x->parser), resp);
    }
    dev_import_free(x);
    req->stream = NULL;
    return r;
}

const api_route_t api_devices_routes[] = {
    {.method = "GET",
     .pattern = "/api/v1/devices",
     .role = API_ROLE_VIEWER,
     .handler = dev_list,
     .query = "label,prefix,limit,cursor"},
    {.method = "POST",
     .pattern = "/api/v1/devices/import",
     .role = API_ROLE_OPERATOR,
     .handler = dev_import,
     .body = API_BODY_STREAM,
     .query = "dry_run",
     .content_types = "text/csv,application/json,application/x-ndjson",
     .flags = API_F_IMPORT,
     .on_chunk = dev_import_chunk,
     .stream_free = dev_import_free},
    {.method = "GET", .pattern = "/api/v1/devices/{endpoint}", .role = API_ROLE_VIEWER, .handler = dev_get},
    {.method = "PUT",
     .pattern = "/api/v1/devices/{endpoint}",
     .role = API_ROLE_OPERATOR,
     .handler = dev_put,
     .body = API_BODY_JSON},
    {.method = "PATCH",
     .pattern = "/api/v1/devices/{endpoint}",
     .role = API_ROLE_OPERATOR,
     .handler = dev_patch,
     .body = API_BODY_JSON},
    {.method = "DELETE",
     .pattern = "/api/v1/devices/{endpoint}",
     .role = API_ROLE_OPERATOR,
     .handler = dev_delete},
    API_ROUTES_END,
};
