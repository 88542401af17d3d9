/*
 * db_certs_boot.c — bootstrap certificates in the certificates table
 * (contract in db_certs_boot.h). The set the generation loader looks
 * certificates up in is an open-addressing table keyed by endpoint and key
 * hash, filled from one streamed query; inserts reuse db_certs_insert()
 * inside one transaction per batch. Other certificate queries live in
 * db_certs.c.
 */
#include "bsd/db/db_certs_boot.h"

#include <errno.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/hash.h>

/* Reusable: issued at bootstrap, not revoked, more than a third of its
 * validity left. Columns in the order boot_row() takes them. */
#define BOOT_SELECT                                                                                          \
    "SELECT endpoint, spki_sha256, coalesce(subject, ''), der, serial FROM certificates"                     \
    " WHERE kind = 'bootstrap' AND revoked_at IS NULL"                                                       \
    " AND not_after - now() > (not_after - not_before) / 3"
#define BOOT_ORDER " ORDER BY issued_at DESC, serial DESC"

typedef struct boot_ent {
    char *endpoint; /* NULL: empty slot */
    char *subject;
    uint8_t spki_sha256[32];
    db_boot_cert_t cert; /* der malloc'ed */
} boot_ent_t;

struct db_certs_boot {
    boot_ent_t *e;
    size_t cap, used; /* cap a power of two */
};

static uint32_t boot_hash(const char *ep, const uint8_t spki_sha256[32])
{
    uint32_t h = 2166136261u;
    for (; *ep; ep++)
        h = (h ^ (uint8_t)*ep) * 16777619u;
    for (int i = 0; i < 32; i++)
        h = (h ^ spki_sha256[i]) * 16777619u;
    return h;
}

static boot_ent_t *boot_slot(boot_ent_t *e, size_t cap, const char *ep, const uint8_t spki[32],
                             const char *subject)
{
    size_t mask = cap - 1;
    for (size_t i = boot_hash(ep, spki) & mask;; i = (i + 1) & mask)
        if (!e[i].endpoint || (strcmp(e[i].endpoint, ep) == 0 && memcmp(e[i].spki_sha256, spki, 32) == 0 &&
                               strcmp(e[i].subject, subject) == 0))
            return &e[i];
}

static int boot_grow(db_certs_boot_t *s)
{
    size_t ncap = s->cap ? s->cap * 2 : 256;
    boot_ent_t *ne = calloc(ncap, sizeof(*ne));
    if (!ne) return -ENOMEM;
    for (size_t i = 0; i < s->cap; i++)
        if (s->e[i].endpoint)
            *boot_slot(ne, ncap, s->e[i].endpoint, s->e[i].spki_sha256, s->e[i].subject) = s->e[i];
    free(s->e);
    s->e = ne;
    s->cap = ncap;
    return 0;
}

/* Adds row |i| of |res| unless a newer one of the same key is in. */
static int boot_add(db_certs_boot_t *s, const PGresult *res, int i)
{
    const char *ep = PQgetvalue(res, i, 0), *subject = PQgetvalue(res, i, 2);
    size_t der_len = (size_t)PQgetlength(res, i, 3), serial_len = (size_t)PQgetlength(res, i, 4);
    if (PQgetlength(res, i, 1) != 32 || der_len == 0 || serial_len == 0 || serial_len > 20) return 0;
    const uint8_t *spki = (const uint8_t *)PQgetvalue(res, i, 1);
    if ((s->used + 1) * 4 > s->cap * 3 && boot_grow(s) != 0) return -ENOMEM;
    boot_ent_t *e = boot_slot(s->e, s->cap, ep, spki, subject);
    if (e->endpoint) return 0; /* rows come newest first */
    boot_ent_t n = {0};
    n.endpoint = strdup(ep);
    n.subject = strdup(subject);
    uint8_t *der = malloc(der_len);
    if (!n.endpoint || !n.subject || !der) {
        free(n.endpoint);
        free(n.subject);
        free(der);
        return -ENOMEM;
    }
    memcpy(n.spki_sha256, spki, 32);
    memcpy(der, PQgetvalue(res, i, 3), der_len);
    n.cert.der = der;
    n.cert.der_len = der_len;
    memcpy(n.cert.serial, PQgetvalue(res, i, 4), serial_len);
    n.cert.serial_len = serial_len;
    *e = n;
    s->used++;
    return 0;
}

int db_certs_boot_load(db_t *db, db_certs_boot_t **out)
{
    *out = calloc(1, sizeof(**out));
    if (!*out) return -ENOMEM;
    struct pg_conn *pg = db_pg(db);
    if (!PQsendQueryParams(pg, BOOT_SELECT BOOT_ORDER, 0, NULL, NULL, NULL, NULL, 1) ||
        !PQsetSingleRowMode(pg)) {
        db_set_pg_error(db, "certificates", NULL);
        db_certs_boot_free(*out);
        *out = NULL;
        return -EIO;
    }
    int r = 0;
    PGresult *res;
    /* Every result is consumed, also after a failure, so that the
     * connection is ready for the next statement. */
    while ((res = PQgetResult(pg)) != NULL) {
        ExecStatusType st = PQresultStatus(res);
        if (st == PGRES_SINGLE_TUPLE && r == 0) {
            r = boot_add(*out, res, 0);
        } else if (st != PGRES_SINGLE_TUPLE && st != PGRES_TUPLES_OK && r == 0) {
            db_set_pg_error(db, "certificates", res);
            r = -EIO;
        }
        PQclear(res);
    }
    if (r != 0) {
        if (r == -ENOMEM) db_set_error(db, "certificates: out of memory");
        db_certs_boot_free(*out);
        *out = NULL;
    }
    return r;
}

const db_boot_cert_t *db_certs_boot_find(const db_certs_boot_t *s, const char *endpoint,
                                         const uint8_t spki_sha256[32], const char *subject)
{
    if (!s || !s->cap) return NULL;
    const boot_ent_t *e = boot_slot(s->e, s->cap, endpoint, spki_sha256, subject);
    return e->endpoint ? &e->cert : NULL;
}

size_t db_certs_boot_count(const db_certs_boot_t *s)
{
    return s ? s->used : 0;
}

void db_certs_boot_free(db_certs_boot_t *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->cap; i++)
        if (s->e[i].endpoint) {
            free(s->e[i].endpoint);
            free(s->e[i].subject);
            free((uint8_t *)s->e[i].cert.der);
        }
    free(s->e);
    free(s);
}

int db_certs_boot_insert(db_t *db, const db_cert_t *c, size_t n)
{
    int r = db_begin(db);
    for (size_t i = 0; r == 0 && i < n; i++)
        r = db_certs_insert(db, &c[i]);
    if (r == 0) return db_commit(db);
    /* Keep the failed statement's message over ROLLBACK's. */
    char msg[DB_ERR_MAX];
    strncpy(msg, db_errmsg(db), sizeof(msg) - 1);
    msg[sizeof(msg) - 1] = 0;
    db_rollback(db);
    db_set_error(db, "%s", msg);
    return r;
}

/* ---- one device ------------------------------------------------------------- */

/* The stored certificate of (endpoint, key, subject) into a malloc'ed
 * copy. Returns 1, 0 (none), -EIO or -ENOMEM. */
static int boot_get(db_t *db, const char *endpoint, const uint8_t spki_sha256[32], const char *subject,
                    uint8_t **der, size_t *len)
{
    const char *v[3] = {endpoint, (const char *)spki_sha256, subject};
    int lens[3] = {0, 32, 0}, fmts[3] = {0, 1, 0};
    PGresult *res = PQexecParams(
        db_pg(db),
        BOOT_SELECT " AND endpoint = $1 AND spki_sha256 = $2 AND subject = $3" BOOT_ORDER " LIMIT 1", 3, NULL,
        v, lens, fmts, 1);
    int r = 0;
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        db_set_pg_error(db, "certificates", res);
        r = -EIO;
    } else if (PQntuples(res) == 1 && PQgetlength(res, 0, 3) > 0) {
        *len = (size_t)PQgetlength(res, 0, 3);
        *der = malloc(*len);
        r = *der ? 1 : -ENOMEM;
        if (*der) memcpy(*der, PQgetvalue(res, 0, 3), *len);
    }
    PQclear(res);
    return r;
}

int db_certs_boot_device(db_t *db, const policy_t *p, const policy_device_t *pd, const policy_ctx_t *ctx,
                         db_certs_boot_dev_t *out, char *err, size_t errcap)
{
    memset(out, 0, sizeof(*out));
    if (policy_x509_issue_count(p) == 0) return 0;
    policy_x509_issue_t *is = calloc(POLICY_MAX_SERVERS, sizeof(*is));
    if (!is) return -ENOMEM;
    int n = policy_x509_issue_keys(p, pd, ctx, is, POLICY_MAX_SERVERS, err, errcap), r = n < 0 ? -EINVAL : 0;
    for (int i = 0; r == 0 && i < n; i++) {
        uint8_t h[32], *der = NULL;
        size_t len = 0;
        wc_Sha256Hash(is[i].spki, sizeof(is[i].spki), h);
        int g = boot_get(db, pd->endpoint, h, is[i].est.subject, &der, &len);
        if (g == 1)
            out->certs[out->n++] = (policy_device_cert_t){.ssid = is[i].ssid, .der = der, .der_len = len};
        else if (g == 0)
            out->missing++;
        else
            r = g;
    }
    if (r == -EIO || r == -ENOMEM) snprintf(err, errcap, "%s", r == -EIO ? db_errmsg(db) : "out of memory");
    free(is);
    if (r != 0) db_certs_boot_dev_free(out);
    return r;
}

void db_certs_boot_dev_free(db_certs_boot_dev_t *d)
{
    for (size_t i = 0; i < d->n; i++)
        free((uint8_t *)d->certs[i].der);
    memset(d, 0, sizeof(*d));
}
