/*
 * api_credentials.c — GET /api/v1/credentials: the server-side credentials
 * the active policies generate for devices (PSK keys, raw public keys,
 * OSCORE contexts), for loading into the LwM2M Servers' security stores.
 * Role: admin. Every export writes an audit row first (who, the selection,
 * the format, how many devices and credentials, which endpoints — never a
 * secret); an export that cannot be audited is not made.
 *
 * Selection: endpoint=EP[,EP...] (up to CRED_ENDPOINTS_MAX) or label=k=v
 * (up to CRED_DEVICES_MAX devices). Formats (bsd/db/db_policy_ops.h):
 *   format=bsd     {"format": "bsd", "devices": [{"endpoint", "policy",
 *                  "policy_version", "credentials": [...]}], "skipped":
 *                  [{"endpoint", "reason"}]}, each device as `bsctl policy
 *                  credentials --reveal` prints it (plus its endpoint);
 *   format=leshan  an array of SecurityInfo objects as the security API of
 *                  Eclipse Leshan's server demo (2.0.0) takes them, one per
 *                  generated LwM2M Server credential; ssid=N keeps those of
 *                  account N (Leshan's store holds one per endpoint).
 * A selected device that no active policy matches is skipped (listed under
 * "skipped" in the bsd format); an endpoint named that does not exist is
 * 404.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bsd/api/api_policies.h"
#include "bsd/db/db_audit.h"
#include "bsd/db/db_devices.h"

#define CRED_ENDPOINTS_MAX 1000  /* endpoints named in one request */
#define CRED_DEVICES_MAX   10000 /* devices selected by a label */
#define CRED_AUDIT_EPS_MAX 100   /* endpoints named in the audit row (all are counted) */

/* The selected endpoints. */
typedef struct cred_sel {
    char (*eps)[DB_DEVICE_ENDPOINT_MAX + 1];
    size_t n, cap;
} cred_sel_t;

static int cred_sel_add(cred_sel_t *s, const char *ep, size_t len)
{
    if (s->n == s->cap) return -E2BIG;
    if (len == 0 || len > DB_DEVICE_ENDPOINT_MAX) return -EINVAL;
    memcpy(s->eps[s->n], ep, len);
    s->eps[s->n++][len] = 0;
    return 0;
}

static int cred_by_label(void *arg, const db_device_t *d)
{
    return cred_sel_add(arg, d->endpoint, strlen(d->endpoint));
}

/* The audit row: written before any secret is answered. */
static int cred_audit(db_t *db, api_req_t *req, const char *format, const cred_sel_t *s, const char *label,
                      const json_t *done, size_t ncreds, size_t nskipped)
{
    json_t *eps = json_array();
    for (size_t i = 0; eps && i < json_array_size(done) && i < CRED_AUDIT_EPS_MAX; i++)
        json_array_append_new(eps, json_string(json_string_value(json_array_get(done, i))));
    json_t *d = json_pack("{s:s, s:o, s:I, s:I, s:I, s:o}", "format", format, "selector",
                          label ? json_pack("{s:s}", "label", label)
                                : json_pack("{s:I}", "endpoints", (json_int_t)s->n),
                          "devices", (json_int_t)json_array_size(done), "credentials", (json_int_t)ncreds,
                          "skipped", (json_int_t)nskipped, "endpoints", eps);
    char *det = d ? json_dumps(d, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(d);
    int r = det ? db_audit_write(db, api_actor(req), "credentials.export", "devices", det) : -ENOMEM;
    free(det);
    return r;
}

static int cred_get(api_req_t *req, api_resp_t *resp)
{
    const char *eps = api_query(req, "endpoint"), *label = api_query(req, "label");
    const char *format = api_query(req, "format"), *ssid_s = api_query(req, "ssid");
    if (!format) format = "bsd";
    bool leshan = strcmp(format, "leshan") == 0;
    if (!leshan && strcmp(format, "bsd") != 0)
        return api_error(resp, 400, "invalid_parameter", json_pack("{s:s}", "parameter", "format"),
                         "Query parameter 'format' must be bsd or leshan.");
    if ((eps == NULL) == (label == NULL))
        return api_error(resp, 400, "invalid_parameter", NULL,
                         "Give the devices either by endpoint=EP[,EP...] or by label=key=value.");
    int ssid = -1;
    uint64_t v;
    if (ssid_s) {
        if (!leshan || api_parse_u64(ssid_s, 0, 65535, &v) != 0)
            return api_error(resp, 400, "invalid_parameter", json_pack("{s:s}", "parameter", "ssid"),
                             "Query parameter 'ssid' (format=leshan only) is a Short Server ID, 0..65535.");
        ssid = (int)v;
    }
    const char *eq = label ? strchr(label, '=') : NULL;
    if (label && (eq == NULL || eq == label))
        return api_error(resp, 400, "invalid_parameter", json_pack("{s:s}", "parameter", "label"),
                         "Query parameter 'label' must be key=value.");
    cred_sel_t s = {0};
    s.cap = label ? CRED_DEVICES_MAX : CRED_ENDPOINTS_MAX;
    s.eps = calloc(s.cap, sizeof *s.eps);
    db_secretbox_t sb;
    db_secretbox_init(&sb);
    json_t *out = json_array(), *skipped = json_array(), *done = json_array();
    db_policy_prep_t x;
    memset(&x, 0, sizeof x);
    int r = s.eps && out && skipped && done ? 0 : -ENOMEM;
    for (const char *p = eps; r == 0 && p;) {
        const char *c = strchr(p, ',');
        size_t n = c ? (size_t)(c - p) : strlen(p);
        if ((r = cred_sel_add(&s, p, n)) != 0) {
            api_error(resp, 400, "invalid_parameter", json_pack("{s:s}", "parameter", "endpoint"),
                      r == -E2BIG ? "At most %d endpoints per request." : "An endpoint is 1..%d bytes.",
                      r == -E2BIG ? CRED_ENDPOINTS_MAX : DB_DEVICE_ENDPOINT_MAX);
            r = 1; /* answered */
        }
        p = c ? c + 1 : NULL;
    }
    if (r != 0) goto out;
    db_t *db = api_db(req);
    if (db == NULL) {
        r = api_error_nodb(resp);
        goto out;
    }
    if (label) {
        char key[DB_DEVICE_LABEL_KEY_MAX + 1];
        snprintf(key, sizeof key, "%.*s", (int)(eq - label), label);
        r = db_devices_list(db, key, eq + 1, cred_by_label, &s);
        if (r == -EIO && (db = api_db_retry(req)) != NULL) {
            s.n = 0;
            r = db_devices_list(db, key, eq + 1, cred_by_label, &s);
        }
        if (r == -E2BIG) {
            r = api_error(resp, 400, "too_many_devices", json_pack("{s:i}", "limit", CRED_DEVICES_MAX),
                          "The label selects more than %d devices; export them in parts.", CRED_DEVICES_MAX);
            goto out;
        }
        if (r != 0) {
            r = db ? api_error_db(resp, db, r) : api_error_nodb(resp);
            goto out;
        }
    }
    if (api_policy_keyring(req, resp, &sb) != 0) goto out;
    char err[DB_POLICY_ERR_MAX];
    size_t ncreds = 0;
    for (size_t i = 0; r == 0 && i < s.n; i++) {
        const char *ep = s.eps[i];
        int pr = db_policy_prep_device(db, &sb, ep, &x, err, sizeof err);
        if (pr == -ENOENT && label) pr = -ESRCH; /* removed since it was listed */
        if (pr == 0) pr = db_policy_prep_select(db, &x, NULL, err, sizeof err);
        if (pr == -ESRCH) {
            json_array_append_new(skipped, json_pack("{s:s, s:s}", "endpoint", ep, "reason", err));
        } else if (pr != 0) {
            api_policy_prep_error(resp, db, pr, err);
            r = 1; /* answered */
        } else if (leshan) {
            int n = db_policy_creds_leshan(&x, ssid, out, err, sizeof err);
            if (n < 0)
                json_array_append_new(skipped, json_pack("{s:s, s:s}", "endpoint", ep, "reason", err));
            else {
                ncreds += (size_t)n;
                json_array_append_new(done, json_string(ep));
            }
        } else {
            json_t *o = db_policy_creds_json(&x, true, err, sizeof err);
            if (o == NULL) {
                json_array_append_new(skipped, json_pack("{s:s, s:s}", "endpoint", ep, "reason", err));
            } else {
                ncreds += json_array_size(json_object_get(o, "credentials"));
                json_object_set_new(o, "endpoint", json_string(ep));
                json_array_append_new(out, o);
                json_array_append_new(done, json_string(ep));
            }
        }
        db_policy_prep_free(&x);
    }
    if (r != 0) goto out;
    if (cred_audit(db, req, format, &s, label, done, ncreds, json_array_size(skipped)) != 0) {
        r = api_error(resp, 503, "database_error", NULL,
                      "The export could not be audited, so it is not made: %s", db_errmsg(db));
        goto out;
    }
    if (leshan) {
        r = api_json(resp, 200, out);
    } else {
        r = api_json(resp, 200,
                     json_pack("{s:s, s:o, s:o}", "format", "bsd", "devices", out, "skipped", skipped));
        skipped = NULL;
    }
    out = NULL;
out:
    json_decref(out);
    json_decref(skipped);
    json_decref(done);
    db_policy_prep_free(&x);
    db_secretbox_free(&sb);
    free(s.eps);
    return r > 0 ? 0 : r;
}

const api_route_t api_credentials_routes[] = {
    {.method = "GET",
     .pattern = "/api/v1/credentials",
     .role = API_ROLE_ADMIN,
     .handler = cred_get,
     .query = "endpoint,label,format,ssid"},
    API_ROUTES_END,
};
