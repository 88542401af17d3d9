/*
 * api_certs.c — the EST CA over the REST API: the certificates it issued
 * (bsd/db/db_certs.h) listed, filtered and paged by key, one certificate as
 * JSON, DER or PEM, revocation (operator, audited in the same transaction;
 * the daemon follows through LISTEN/NOTIFY), and the CA's own certificate
 * chain and a CRL (bsd/est/est_ca.h) built on each request: the revoked
 * rows signed by the CA with the next cRLNumber of the crl_number sequence.
 * Reading: viewer; revoking: operator.
 */
#include <errno.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bsd/api/api_int.h"
#include "bsd/db/db_certs.h"
#include "bsd/est/est_ca.h"

#define CERTS_LIMIT_DEFAULT 100
#define CERTS_TEXT_MAX      255     /* longest endpoint filter */
#define CERTS_CRL_VALIDITY  86400   /* nextUpdate - thisUpdate, seconds */
#define CERTS_CRL_MAX       1000000 /* revoked entries one CRL may carry */

#define CT_PKIX_CERT "application/pkix-cert"
#define CT_PKIX_CRL  "application/pkix-crl"
#define CT_PEM       "application/x-pem-file"

/* After a statement on |*db| failed with -EIO: a new connection to retry
 * on when the old one broke (PostgreSQL restarted), else NULL. *db becomes
 * NULL only when it broke and none can be had (503 database_unavailable);
 * otherwise it stays, so the answer carries its error (database_error). */
static db_t *certs_retry(api_req_t *req, db_t **db)
{
    bool broken = PQstatus(db_pg(*db)) == CONNECTION_BAD;
    db_t *again = api_db_retry(req);
    if (again != NULL || broken) *db = again;
    return again;
}

/* 400 invalid_parameter naming |name|. */
static int certs_bad_param(api_resp_t *resp, const char *name, const char *what)
{
    return api_error(resp, 400, "invalid_parameter", json_pack("{s:s}", "parameter", name),
                     "Query parameter '%s' %s.", name, what);
}

/* ---- GET /api/v1/certificates ----------------------------------------------------------- */

typedef struct certs_page {
    json_t *items;
    unsigned want; /* rows asked for; one more tells there is a next page */
    unsigned seen;
    int64_t last_us; /* the last row's issued_at (microseconds) and serial: the cursor */
    uint8_t last_serial[20];
    size_t last_serial_len;
} certs_page_t;

static int certs_collect(void *arg, const db_cert_t *c)
{
    certs_page_t *p = arg;
    if (++p->seen > p->want) return 0; /* the look-ahead row */
    p->last_us = c->issued_at_us;
    memcpy(p->last_serial, c->serial, c->serial_len);
    p->last_serial_len = c->serial_len;
    json_t *o = db_cert_json(c, (int64_t)time(NULL));
    return o && json_array_append_new(p->items, o) == 0 ? 0 : -ENOMEM;
}

static int certs_list(api_req_t *req, api_resp_t *resp)
{
    db_certs_filter_t f = {
        .endpoint = api_query(req, "endpoint"),
        .status = api_query(req, "status"),
        .since = api_query(req, "since"),
        .until = api_query(req, "until"),
        .limit = CERTS_LIMIT_DEFAULT,
    };
    if (f.endpoint && (f.endpoint[0] == 0 || strlen(f.endpoint) > CERTS_TEXT_MAX))
        return certs_bad_param(resp, "endpoint", "must be 1..255 bytes");
    if (f.status && strcmp(f.status, "valid") != 0 && strcmp(f.status, "revoked") != 0 &&
        strcmp(f.status, "expired") != 0)
        return certs_bad_param(resp, "status", "must be valid, revoked or expired");
    const char *sp = api_query(req, "serial");
    char prefix[41];
    if (sp) {
        size_t n = strlen(sp);
        if (n == 0 || n > 40 || strspn(sp, "0123456789abcdefABCDEF") != n)
            return certs_bad_param(resp, "serial", "must be 1..40 hex digits (a prefix of serials)");
        for (size_t i = 0; i <= n; i++)
            prefix[i] = (char)(sp[i] >= 'A' && sp[i] <= 'F' ? sp[i] - 'A' + 'a' : sp[i]);
        f.serial_prefix = prefix;
    }
    if (f.since && !api_rfc3339_ok(f.since))
        return certs_bad_param(resp, "since", "must be an RFC 3339 time, e.g. 2026-01-31T08:00:00Z");
    if (f.until && !api_rfc3339_ok(f.until))
        return certs_bad_param(resp, "until", "must be an RFC 3339 time, e.g. 2026-01-31T08:00:00Z");
    uint64_t v;
    const char *lim = api_query(req, "limit"), *cur = api_query(req, "cursor");
    if (lim) {
        if (api_parse_u64(lim, 1, DB_CERTS_PAGE_MAX, &v) != 0)
            return certs_bad_param(resp, "limit", "must be an integer in 1..1000");
        f.limit = (unsigned)v;
    }
    if (cur && db_certs_cursor_parse(cur, &f) != 0)
        return certs_bad_param(resp, "cursor", "must be a value of 'next' from an earlier page");
    certs_page_t page = {.items = json_array(), .want = f.limit};
    if (page.items == NULL) return -ENOMEM;
    f.limit++; /* one row more than asked: whether a next page exists */
    db_t *db = api_db(req);
    int r = db ? db_certs_list(db, &f, certs_collect, &page) : -ECONNREFUSED;
    if (r == -EIO && certs_retry(req, &db)) {
        json_array_clear(page.items);
        page.seen = 0;
        r = db_certs_list(db, &f, certs_collect, &page);
    }
    if (r != 0) {
        json_decref(page.items);
        if (r == -ENOMEM) return r;
        if (db == NULL) return api_error_nodb(resp);
        return r == -EINVAL ? api_error(resp, 400, "invalid_parameter", NULL, "%s", db_errmsg(db))
                            : api_error_db(resp, db, r);
    }
    json_t *next = json_null();
    if (page.seen > page.want) {
        char c[DB_CERTS_CURSOR_MAX];
        next = json_string(db_certs_cursor(page.last_us, page.last_serial, page.last_serial_len, c));
    }
    return api_json(resp, 200, json_pack("{s:o, s:o}", "items", page.items, "next", next));
}

/* ---- GET /api/v1/certificates/{serial} -------------------------------------------------- */

/* What a single-certificate read keeps: the JSON, the DER copied. */
typedef struct certs_one {
    json_t *json;
    uint8_t *der;
    size_t der_len;
} certs_one_t;

static int certs_keep(void *arg, const db_cert_t *c)
{
    certs_one_t *o = arg;
    o->json = db_cert_json(c, (int64_t)time(NULL));
    o->der = c->der_len ? malloc(c->der_len) : NULL;
    if (o->json == NULL || o->der == NULL) return -ENOMEM;
    memcpy(o->der, c->der, c->der_len);
    o->der_len = c->der_len;
    return 0;
}

static void certs_one_free(certs_one_t *o)
{
    json_decref(o->json);
    free(o->der);
    memset(o, 0, sizeof *o);
}

/* Reads certificate |serial| into |o|; answers a failure in |resp| and
 * returns -1, or 0 when read. */
static int certs_read(api_req_t *req, api_resp_t *resp, const uint8_t *serial, size_t len, certs_one_t *o)
{
    db_t *db = api_db(req);
    int r = db ? db_certs_get(db, serial, len, certs_keep, o) : -ECONNREFUSED;
    if (r == -EIO && certs_retry(req, &db)) {
        certs_one_free(o);
        r = db_certs_get(db, serial, len, certs_keep, o);
    }
    if (r == 0) return 0;
    certs_one_free(o);
    if (r == -ENOMEM)
        api_error(resp, 503, "out_of_memory", NULL, "The server is out of memory; try again later.");
    else if (r == -ENOENT)
        api_error(resp, 404, "not_found", NULL, "No certificate was issued with serial %s.",
                  api_param(req, "serial"));
    else if (db == NULL)
        api_error_nodb(resp);
    else
        api_error_db(resp, db, r);
    return -1;
}

/* The path's serial into |out|; answers 400 and returns 0 when malformed. */
static size_t certs_path_serial(api_req_t *req, api_resp_t *resp, uint8_t out[20])
{
    size_t len = db_cert_serial_parse(api_param(req, "serial"), out);
    if (len == 0)
        api_error(resp, 400, "invalid_parameter", json_pack("{s:s}", "parameter", "serial"),
                  "A serial is 1..20 octets in hex (e.g. 3f9a0c..., colons allowed).");
    return len;
}

/* Answers |der| as DER (|ctype|), or with |pem| as PEM with |label|. */
static int certs_send(api_resp_t *resp, const char *label, const char *ctype, const uint8_t *der, size_t len,
                      bool pem)
{
    if (!pem) return api_text(resp, 200, ctype, (const char *)der, len);
    char *p = est_pem(label, der, len);
    if (p == NULL) return -ENOMEM;
    int r = api_text(resp, 200, CT_PEM, p, strlen(p));
    free(p);
    return r;
}

/* ?format= one of |allowed| ("json", "der", "pem"); |dflt| when absent.
 * Returns the value, or NULL after answering 400. */
static const char *certs_format(api_req_t *req, api_resp_t *resp, const char *allowed, const char *dflt)
{
    const char *f = api_query(req, "format");
    if (f == NULL) return dflt;
    if (api_name_in_list(f, strlen(f), allowed)) return f;
    api_error(resp, 400, "invalid_parameter",
              json_pack("{s:s, s:s}", "parameter", "format", "accepted", allowed),
              "Query parameter 'format' must be one of %s.", allowed);
    return NULL;
}

static int certs_get(api_req_t *req, api_resp_t *resp)
{
    uint8_t serial[20];
    size_t len = certs_path_serial(req, resp, serial);
    const char *fmt = len ? certs_format(req, resp, "json,der,pem", "json") : NULL;
    if (fmt == NULL) return 0;
    certs_one_t o = {0};
    if (certs_read(req, resp, serial, len, &o) != 0) return 0;
    int r;
    if (strcmp(fmt, "json") == 0) {
        char *pem = est_pem("CERTIFICATE", o.der, o.der_len);
        json_object_set_new(o.json, "pem", pem ? json_string(pem) : json_null());
        free(pem);
        r = api_json(resp, 200, json_incref(o.json));
    } else {
        r = certs_send(resp, "CERTIFICATE", CT_PKIX_CERT, o.der, o.der_len, strcmp(fmt, "pem") == 0);
    }
    certs_one_free(&o);
    return r;
}

/* ---- POST /api/v1/certificates/{serial}/revoke ------------------------------------------ */

static int certs_revoke(api_req_t *req, api_resp_t *resp)
{
    uint8_t serial[20];
    size_t len = certs_path_serial(req, resp, serial);
    if (len == 0) return 0;
    const char *name = NULL;
    json_error_t je;
    if (json_unpack_ex(req->json, &je, JSON_STRICT, "{s?s}", "reason", &name) != 0)
        return api_error(resp, 400, "invalid_request", NULL,
                         "The body must be {} or {\"reason\": \"<RFC 5280 CRLReason name>\"}: %s.", je.text);
    int reason = name ? db_cert_reason_parse(name) : 0;
    if (reason < 0 || reason == 6 || reason == 8)
        return api_error(resp, 400, "invalid_request",
                         json_pack("{s:[s,s,s,s,s,s,s,s]}", "accepted", "unspecified", "keyCompromise",
                                   "cACompromise", "affiliationChanged", "superseded", "cessationOfOperation",
                                   "privilegeWithdrawn", "aACompromise"),
                         "'reason' must be an RFC 5280 CRLReason name (certificateHold and removeFromCRL "
                         "are not offered: a revocation is final).");
    db_t *db = api_db(req);
    if (db == NULL) return api_error_nodb(resp);
    int r = db_certs_revoke(db, serial, len, reason, api_actor(req));
    if (r == -EIO && certs_retry(req, &db)) r = db_certs_revoke(db, serial, len, reason, api_actor(req));
    if (r == -EALREADY) {
        certs_one_t o = {0};
        if (certs_read(req, resp, serial, len, &o) != 0) return 0;
        json_t *d = json_pack("{s:O, s:O}", "revoked_at", json_object_get(o.json, "revoked_at"), "reason",
                              json_object_get(o.json, "reason"));
        certs_one_free(&o);
        return api_error(resp, 409, "conflict", d, "The certificate with serial %s is already revoked.",
                         api_param(req, "serial"));
    }
    if (r == -ENOENT)
        return api_error(resp, 404, "not_found", NULL, "No certificate was issued with serial %s.",
                         api_param(req, "serial"));
    if (r != 0) return db ? api_error_db(resp, db, r) : api_error_nodb(resp);
    certs_one_t o = {0};
    if (certs_read(req, resp, serial, len, &o) != 0) return 0;
    r = api_json(resp, 200, json_incref(o.json));
    certs_one_free(&o);
    return r;
}

/* ---- GET /api/v1/ca/certificate, /api/v1/ca/crl ------------------------------------------ */

/* The daemon's CA, or NULL after answering 404. */
static const est_ca_t *certs_ca(api_req_t *req, api_resp_t *resp)
{
    const est_ca_t *ca = req->call->api->hooks.est_ca;
    if (ca == NULL)
        api_error(resp, 404, "not_found", NULL,
                  "This daemon runs no EST CA (est.ca_cert and est.ca_key are not configured).");
    return ca;
}

static int certs_ca_cert(api_req_t *req, api_resp_t *resp)
{
    const est_ca_t *ca = certs_ca(req, resp);
    const char *fmt = ca ? certs_format(req, resp, "pem,der", "pem") : NULL;
    if (fmt == NULL) return 0;
    size_t len;
    const uint8_t *der = est_ca_chain(ca, 0, &len);
    if (der == NULL) return -EIO;
    if (strcmp(fmt, "der") == 0) return api_text(resp, 200, CT_PKIX_CERT, (const char *)der, len);
    /* PEM: the CA, then its issuers up to the root. */
    char *all = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&all, &n);
    if (f == NULL) return -ENOMEM;
    int r = 0;
    for (size_t i = 0; r == 0 && i < EST_CA_CHAIN_MAX && (der = est_ca_chain(ca, i, &len)) != NULL; i++) {
        char *p = est_pem("CERTIFICATE", der, len);
        r = p && fputs(p, f) >= 0 ? 0 : -ENOMEM;
        free(p);
    }
    if (fclose(f) != 0) r = -ENOMEM;
    if (r == 0) r = api_text(resp, 200, CT_PEM, all, n);
    free(all);
    return r;
}

/* The revoked entries collected for a CRL; serials copied. */
typedef struct certs_crl {
    est_revoked_t *e;
    uint8_t (*serials)[20];
    size_t n, cap;
} certs_crl_t;

static int certs_crl_add(void *arg, const db_cert_t *c)
{
    certs_crl_t *l = arg;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        if (cap > CERTS_CRL_MAX) return -E2BIG;
        est_revoked_t *e = realloc(l->e, cap * sizeof *e);
        if (e) l->e = e;
        uint8_t(*s)[20] = realloc(l->serials, cap * sizeof *s);
        if (s) l->serials = s;
        if (e == NULL || s == NULL) return -ENOMEM;
        l->cap = cap;
    }
    memcpy(l->serials[l->n], c->serial, c->serial_len);
    /* RFC 5280 §5.3.1: reasonCode unspecified SHOULD be absent. */
    l->e[l->n] = (est_revoked_t){.serial_len = c->serial_len,
                                 .revoked_at = c->revoked_at,
                                 .reason = c->revocation_reason > 0 ? c->revocation_reason : -1};
    l->n++;
    return 0;
}

static void certs_crl_free(certs_crl_t *l)
{
    free(l->e);
    free(l->serials);
}

/* Reads the revoked set and the next cRLNumber. Returns 0, or an errno
 * with |resp| not yet answered. */
static int certs_crl_read(db_t *db, certs_crl_t *l, uint64_t *number)
{
    l->n = 0;
    int r = db_certs_revoked(db, certs_crl_add, l);
    if (r == 0) r = db_certs_crl_number(db, number);
    return r;
}

static int certs_ca_crl(api_req_t *req, api_resp_t *resp)
{
    const est_ca_t *ca = certs_ca(req, resp);
    const char *fmt = ca ? certs_format(req, resp, "der,pem", "der") : NULL;
    if (fmt == NULL) return 0;
    db_t *db = api_db(req);
    if (db == NULL) return api_error_nodb(resp);
    certs_crl_t l = {0};
    uint64_t number = 0;
    int r = certs_crl_read(db, &l, &number);
    if (r == -EIO && certs_retry(req, &db)) r = certs_crl_read(db, &l, &number);
    if (r != 0) {
        certs_crl_free(&l);
        if (r == -E2BIG)
            return api_error(resp, 500, "internal_error", NULL,
                             "More than %d revoked certificates for one CRL.", CERTS_CRL_MAX);
        if (r == -ENOMEM) return r;
        return db ? api_error_db(resp, db, r) : api_error_nodb(resp);
    }
    for (size_t i = 0; i < l.n; i++)
        l.e[i].serial = l.serials[i];
    int64_t now = (int64_t)time(NULL);
    uint8_t *crl = NULL;
    size_t len = 0;
    char err[EST_ERR_MAX];
    /* est_ca_crl takes the CA non-const for its signer, which serialises
     * its own calls (est_ca.h): the API threads may share the CA. */
    if (est_ca_crl((est_ca_t *)ca, l.e, l.n, number, now, now + CERTS_CRL_VALIDITY, &crl, &len, err,
                   sizeof err) != 0) {
        certs_crl_free(&l);
        return api_error(resp, 500, "internal_error", NULL, "The CRL could not be signed: %s.", err);
    }
    certs_crl_free(&l);
    r = certs_send(resp, "X509 CRL", CT_PKIX_CRL, crl, len, strcmp(fmt, "pem") == 0);
    free(crl);
    return r;
}

const api_route_t api_certs_routes[] = {
    {.method = "GET",
     .pattern = "/api/v1/certificates",
     .role = API_ROLE_VIEWER,
     .handler = certs_list,
     .query = "endpoint,status,serial,since,until,limit,cursor"},
    {.method = "GET",
     .pattern = "/api/v1/certificates/{serial}",
     .role = API_ROLE_VIEWER,
     .handler = certs_get,
     .query = "format"},
    {.method = "POST",
     .pattern = "/api/v1/certificates/{serial}/revoke",
     .role = API_ROLE_OPERATOR,
     .handler = certs_revoke,
     .body = API_BODY_JSON},
    {.method = "GET",
     .pattern = "/api/v1/ca/certificate",
     .role = API_ROLE_VIEWER,
     .handler = certs_ca_cert,
     .query = "format"},
    {.method = "GET",
     .pattern = "/api/v1/ca/crl",
     .role = API_ROLE_VIEWER,
     .handler = certs_ca_crl,
     .query = "format"},
    API_ROUTES_END,
};
