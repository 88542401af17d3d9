/*
 * db_certs.c — the certificates table of the EST CA (contract in
 * db_certs.h; schema in db/migrations/0007_est_certificates.sql).
 *
 * Byte columns travel as binary parameters and every query asks for
 * binary results, so serials, hashes and DER never pass through bytea's
 * hex text form; times are read as whole seconds since the epoch (and
 * issued_at also in microseconds, exact in PostgreSQL's numeric epoch, for
 * the keyset cursor of listings). Certificate building and the CRL are
 * bsd/est's job; revocation's audit row is written here, in the same
 * transaction.
 */
#include "bsd/db/db_certs.h"

#include <errno.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bsd/db/db_audit.h"

/* The columns every read selects, in the order dbc_row() takes them;
 * |der| is "der" or "NULL::bytea" (listings leave the DER out). */
#define DBC_COLS(der)                                                                                        \
    "serial, endpoint, kind, coalesce(subject, ''), floor(extract(epoch FROM not_before))::int8, "           \
    "floor(extract(epoch FROM not_after))::int8, " der ", fingerprint, spki_sha256, csr_sha256, "            \
    "floor(extract(epoch FROM issued_at))::int8, coalesce(floor(extract(epoch FROM revoked_at))::int8, 0), " \
    "coalesce(revocation_reason, -1)::int8, coalesce(revoked_by, ''), "                                      \
    "(extract(epoch FROM issued_at) * 1000000)::int8"

/* RFC 5280 §5.3.1 CRLReason names by value; 7 is not assigned. */
static const char *const dbc_reasons[DB_CERT_REASON_MAX + 1] = {
    "unspecified",   "keyCompromise",        "cACompromise",    "affiliationChanged",
    "superseded",    "cessationOfOperation", "certificateHold", NULL,
    "removeFromCRL", "privilegeWithdrawn",   "aACompromise",
};

const char *db_cert_reason_name(int reason)
{
    return reason >= 0 && reason <= DB_CERT_REASON_MAX ? dbc_reasons[reason] : NULL;
}

int db_cert_reason_parse(const char *name)
{
    for (int i = 0; name && i <= DB_CERT_REASON_MAX; i++)
        if (dbc_reasons[i] && strcmp(name, dbc_reasons[i]) == 0) return i;
    return -1;
}

static bool dbc_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i]) return false;
    return true;
}

static int dbc_hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

size_t db_cert_serial_parse(const char *s, uint8_t out[20])
{
    char digits[40];
    size_t n = 0;
    for (const char *p = s; *p; p++) {
        if (*p == ':' && p != s && p[1] && p[1] != ':') continue;
        if (dbc_hexval(*p) < 0 || n == sizeof digits) return 0;
        digits[n++] = *p;
    }
    if (n == 0) return 0;
    size_t len = (n + 1) / 2, odd = n % 2;
    for (size_t i = 0; i < len; i++) {
        int hi = (i == 0 && odd) ? 0 : dbc_hexval(digits[2 * i - odd]);
        int lo = dbc_hexval(digits[2 * i + 1 - odd]);
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return len;
}

char *db_certs_cursor(int64_t us, const uint8_t *serial, size_t len, char out[DB_CERTS_CURSOR_MAX])
{
    char hex[41];
    snprintf(out, DB_CERTS_CURSOR_MAX, "%lld-%s", (long long)us,
             db_hex_encode(serial, len > 20 ? 20 : len, hex));
    return out;
}

int db_certs_cursor_parse(const char *s, db_certs_filter_t *f)
{
    /* 1..18 digits without a leading zero (below INT64_MAX), '-', 1..20 octets of hex. */
    size_t n = strspn(s, "0123456789"), h = strspn(s + n + 1, "0123456789abcdef");
    if (n < 1 || n > 18 || s[0] == '0' || s[n] != '-' || h < 2 || h % 2 || s[n + 1 + h] != 0) return -EINVAL;
    int64_t us = 0;
    for (size_t i = 0; i < n; i++)
        us = us * 10 + (s[i] - '0');
    size_t len = db_cert_serial_parse(s + n + 1, f->before_serial);
    if (len == 0) return -EINVAL;
    f->before_us = us;
    f->before_serial_len = len;
    return 0;
}

/* RFC 3339 UTC text of |t| (seconds since the epoch) into |out|. */
static const char *dbc_time(int64_t t, char out[32])
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (gmtime_r(&tt, &tm) == NULL || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) out[0] = 0;
    return out;
}

json_t *db_cert_json(const db_cert_t *c, int64_t now)
{
    char serial[41], fp[65], spki[65], csr[65], nb[32], na[32], is[32], ra[32];
    bool has_csr = !dbc_zero(c->csr_sha256, sizeof c->csr_sha256), rev = c->revoked_at != 0;
    const char *status = rev ? "revoked" : c->not_after <= now ? "expired" : "valid";
    json_t *o = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:s}", "serial",
        db_hex_encode(c->serial, c->serial_len, serial), "endpoint", c->endpoint, "kind", c->kind, "subject",
        c->subject ? c->subject : "", "not_before", dbc_time(c->not_before, nb), "not_after",
        dbc_time(c->not_after, na), "issued_at", dbc_time(c->issued_at, is), "fingerprint",
        db_hex_encode(c->fingerprint, sizeof c->fingerprint, fp), "spki_sha256",
        db_hex_encode(c->spki_sha256, sizeof c->spki_sha256, spki), "csr_sha256",
        has_csr ? json_string(db_hex_encode(c->csr_sha256, sizeof c->csr_sha256, csr)) : json_null(),
        "status", status);
    if (o == NULL) return NULL;
    const char *reason = db_cert_reason_name(c->revocation_reason);
    json_object_set_new(o, "revoked_at", rev ? json_string(dbc_time(c->revoked_at, ra)) : json_null());
    json_object_set_new(o, "reason", rev && reason ? json_string(reason) : json_null());
    json_object_set_new(o, "revoked_by",
                        rev && c->revoked_by && c->revoked_by[0] ? json_string(c->revoked_by) : json_null());
    return o;
}

/* An int8 column of a binary result (network byte order). */
static int64_t dbc_i64(const PGresult *res, int row, int col)
{
    const unsigned char *p = (const unsigned char *)PQgetvalue(res, row, col);
    if (PQgetlength(res, row, col) != 8) return 0;
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return (int64_t)v;
}

/* Copies a bytea column of at most |cap| bytes into |out|; a NULL or
 * longer value leaves zeros. Returns the length copied. */
static size_t dbc_bytes(const PGresult *res, int row, int col, uint8_t *out, size_t cap)
{
    memset(out, 0, cap);
    size_t n = (size_t)PQgetlength(res, row, col);
    if (PQgetisnull(res, row, col) || n > cap) return 0;
    memcpy(out, PQgetvalue(res, row, col), n);
    return n;
}

/* Fills |c| from row |i| of a binary result with the DBC_COLS columns. */
static void dbc_row(const PGresult *res, int i, db_cert_t *c)
{
    memset(c, 0, sizeof *c);
    c->serial_len = dbc_bytes(res, i, 0, c->serial, sizeof c->serial);
    c->endpoint = PQgetvalue(res, i, 1);
    c->kind = PQgetvalue(res, i, 2);
    c->subject = PQgetvalue(res, i, 3);
    c->not_before = dbc_i64(res, i, 4);
    c->not_after = dbc_i64(res, i, 5);
    if (!PQgetisnull(res, i, 6)) {
        c->der = (const uint8_t *)PQgetvalue(res, i, 6);
        c->der_len = (size_t)PQgetlength(res, i, 6);
    }
    dbc_bytes(res, i, 7, c->fingerprint, sizeof c->fingerprint);
    dbc_bytes(res, i, 8, c->spki_sha256, sizeof c->spki_sha256);
    dbc_bytes(res, i, 9, c->csr_sha256, sizeof c->csr_sha256);
    c->issued_at = dbc_i64(res, i, 10);
    c->revoked_at = dbc_i64(res, i, 11);
    c->revocation_reason = (int)dbc_i64(res, i, 12);
    c->revoked_by = PQgetvalue(res, i, 13);
    c->issued_at_us = dbc_i64(res, i, 14);
}

/* Runs a query with binary results and calls |fn| per row, at most |max|
 * rows (0 = all). Returns the number of rows seen (>= 0), -EIO (or -EINVAL
 * for a data exception, e.g. a time out of range), or what |fn| returned. */
static int dbc_query(db_t *db, const char *sql, int n, const char *const *vals, const int *lens,
                     const int *fmts, int max, db_cert_fn fn, void *arg)
{
    PGresult *res = PQexecParams(db_pg(db), sql, n, NULL, vals, lens, fmts, 1);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        int bad = strncmp(db_sqlstate(res), "22", 2) == 0;
        db_set_pg_error(db, "certificates", res);
        PQclear(res);
        return bad ? -EINVAL : -EIO;
    }
    int rows = PQntuples(res), r = 0, i = 0;
    for (; r == 0 && i < rows && (max == 0 || i < max); i++) {
        db_cert_t c;
        dbc_row(res, i, &c);
        r = fn ? fn(arg, &c) : 0;
    }
    PQclear(res);
    return r != 0 ? r : i;
}

int db_certs_insert(db_t *db, const db_cert_t *c)
{
    if (c->serial_len < 1 || c->serial_len > sizeof c->serial || c->der == NULL || c->der_len == 0) {
        db_set_error(db, "certificates: serial or DER missing");
        return -EINVAL;
    }
    char nb[24], na[24];
    snprintf(nb, sizeof nb, "%lld", (long long)c->not_before);
    snprintf(na, sizeof na, "%lld", (long long)c->not_after);
    bool no_csr = dbc_zero(c->csr_sha256, sizeof c->csr_sha256);
    const char *v[10] = {(const char *)c->serial,
                         c->endpoint,
                         c->kind,
                         c->subject ? c->subject : "",
                         nb,
                         na,
                         (const char *)c->der,
                         (const char *)c->fingerprint,
                         (const char *)c->spki_sha256,
                         no_csr ? NULL : (const char *)c->csr_sha256};
    int lens[10] = {(int)c->serial_len, 0, 0, 0, 0, 0, (int)c->der_len, 32, 32, 32};
    int fmts[10] = {1, 0, 0, 0, 0, 0, 1, 1, 1, 1};
    PGresult *res =
        PQexecParams(db_pg(db),
                     "INSERT INTO certificates (serial, endpoint, kind, subject, not_before, "
                     "not_after, der, fingerprint, spki_sha256, csr_sha256) VALUES ($1, $2, $3, $4, "
                     "to_timestamp($5::float8), to_timestamp($6::float8), $7, $8, $9, $10)",
                     10, NULL, v, lens, fmts, 0);
    int r = 0;
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        r = strcmp(db_sqlstate(res), "23505") == 0 ? -EEXIST : -EIO;
        db_set_pg_error(db, "certificates", res);
    }
    PQclear(res);
    return r;
}

/* The newest certificate of |endpoint| neither revoked nor expired at
 * |now|: the one that answered request |csr| (32 octets), or with |csr|
 * NULL the newest of any kind but bootstrap. Returns 1, 0, -EIO, or what
 * |fn| returned. */
static int dbc_newest(db_t *db, const char *endpoint, const uint8_t *csr, int64_t now, db_cert_fn fn,
                      void *arg)
{
    char t[24];
    snprintf(t, sizeof t, "%lld", (long long)now);
    const char *v[3] = {endpoint, (const char *)csr, t};
    int lens[3] = {0, 32, 0}, fmts[3] = {0, 1, 0};
    int r =
        dbc_query(db,
                  "SELECT " DBC_COLS("der") " FROM certificates WHERE endpoint = $1"
                                            " AND CASE WHEN $2::bytea IS NULL THEN kind <> 'bootstrap'"
                                            " ELSE csr_sha256 = $2 END"
                                            " AND revoked_at IS NULL AND not_after > to_timestamp($3::float8)"
                                            " ORDER BY issued_at DESC LIMIT 1",
                  3, v, lens, fmts, 1, fn, arg);
    return r == -EINVAL ? -EIO : r;
}

int db_certs_find_by_csr(db_t *db, const char *endpoint, const uint8_t csr_sha256[32], int64_t now,
                         db_cert_fn fn, void *arg)
{
    return dbc_newest(db, endpoint, csr_sha256, now, fn, arg);
}

int db_certs_current(db_t *db, const char *endpoint, int64_t now, db_cert_fn fn, void *arg)
{
    return dbc_newest(db, endpoint, NULL, now, fn, arg);
}

long db_certs_count_since(db_t *db, const char *endpoint, int64_t since)
{
    char t[24];
    snprintf(t, sizeof t, "%lld", (long long)since);
    const char *v[2] = {endpoint, t};
    PGresult *res = PQexecParams(db_pg(db),
                                 "SELECT count(*) FROM certificates WHERE endpoint = $1"
                                 " AND issued_at >= to_timestamp($2::float8)",
                                 2, NULL, v, NULL, NULL, 0);
    long n = -EIO;
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
        n = strtol(PQgetvalue(res, 0, 0), NULL, 10);
    else
        db_set_pg_error(db, "certificates", res);
    PQclear(res);
    return n;
}

int db_certs_revoked(db_t *db, db_cert_fn fn, void *arg)
{
    int r = dbc_query(db,
                      "SELECT " DBC_COLS("NULL::bytea") " FROM certificates WHERE revoked_at IS NOT NULL"
                                                        " ORDER BY revoked_at, serial",
                      0, NULL, NULL, NULL, 0, fn, arg);
    return r >= 0 ? 0 : r == -EINVAL ? -EIO : r;
}

/* A serial prefix: 1..40 lower-case hex digits (no LIKE wildcard can pass). */
static bool dbc_hex_prefix_ok(const char *s)
{
    size_t n = strspn(s, "0123456789abcdef");
    return n >= 1 && n <= 40 && s[n] == 0;
}

int db_certs_list(db_t *db, const db_certs_filter_t *f, db_cert_fn fn, void *arg)
{
    if (f->limit < 1 || f->limit > DB_CERTS_PAGE_MAX + 1) {
        db_set_error(db, "certificates: limit must be 1..%d", DB_CERTS_PAGE_MAX + 1);
        return -EINVAL;
    }
    if (f->status && strcmp(f->status, "valid") != 0 && strcmp(f->status, "revoked") != 0 &&
        strcmp(f->status, "expired") != 0) {
        db_set_error(db, "certificates: status must be valid, revoked or expired");
        return -EINVAL;
    }
    if (f->serial_prefix && !dbc_hex_prefix_ok(f->serial_prefix)) {
        db_set_error(db, "certificates: a serial prefix is 1..40 hex digits");
        return -EINVAL;
    }
    if (f->before_us != 0 && (f->before_serial_len < 1 || f->before_serial_len > sizeof f->before_serial)) {
        db_set_error(db, "certificates: a cursor needs a serial");
        return -EINVAL;
    }
    char before[24], limit[16];
    snprintf(before, sizeof before, "%lld", (long long)f->before_us);
    snprintf(limit, sizeof limit, "%u", f->limit);
    bool after = f->before_us != 0;
    const char *v[8] = {f->endpoint,
                        f->status,
                        f->serial_prefix,
                        f->since,
                        f->until,
                        after ? before : NULL,
                        after ? (const char *)f->before_serial : NULL,
                        limit};
    int lens[8] = {0, 0, 0, 0, 0, 0, (int)f->before_serial_len, 0};
    int fmts[8] = {0, 0, 0, 0, 0, 0, 1, 0};
    /* The cursor's microseconds become a timestamptz exactly: whole
     * seconds and the microsecond rest are two exact interval products. */
    int r = dbc_query(
        db,
        "SELECT " DBC_COLS("NULL::bytea") " FROM certificates"
                                          " WHERE ($1::text IS NULL OR endpoint = $1)"
                                          " AND ($2::text IS NULL"
                                          " OR ($2 = 'revoked' AND revoked_at IS NOT NULL)"
                                          " OR ($2 = 'expired' AND revoked_at IS NULL AND not_after <= now())"
                                          " OR ($2 = 'valid' AND revoked_at IS NULL AND not_after > now()))"
                                          " AND ($3::text IS NULL OR encode(serial, 'hex') LIKE $3 || '%')"
                                          " AND ($4::timestamptz IS NULL OR issued_at >= $4)"
                                          " AND ($5::timestamptz IS NULL OR issued_at < $5)"
                                          " AND ($6::int8 IS NULL OR (issued_at, serial) < ("
                                          "'epoch'::timestamptz + ($6::int8 / 1000000) * interval '1 second'"
                                          " + ($6::int8 % 1000000) * interval '1 microsecond', $7::bytea))"
                                          " ORDER BY issued_at DESC, serial DESC LIMIT $8::int",
        8, v, lens, fmts, 0, fn, arg);
    return r >= 0 ? 0 : r;
}

int db_certs_get(db_t *db, const uint8_t *serial, size_t len, db_cert_fn fn, void *arg)
{
    const char *v[1] = {(const char *)serial};
    int lens[1] = {(int)len}, fmts[1] = {1};
    int r = dbc_query(db, "SELECT " DBC_COLS("der") " FROM certificates WHERE serial = $1", 1, v, lens, fmts,
                      1, fn, arg);
    if (r == 0) {
        char hex[41];
        db_set_error(db, "no certificate with serial %s", db_hex_encode(serial, len > 20 ? 20 : len, hex));
        return -ENOENT;
    }
    return r > 0 ? 0 : r == -EINVAL ? -EIO : r;
}

/* Writes the audit row of the revocation of |serial_hex|. */
static int dbc_audit(db_t *db, const char *actor, const char *serial_hex, const char *endpoint, int reason)
{
    char object[64];
    snprintf(object, sizeof object, "certificate:%s", serial_hex);
    json_t *o = json_pack("{s:s, s:s, s:i}", "endpoint", endpoint, "reason", db_cert_reason_name(reason),
                          "reason_code", reason);
    char *det = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    int r = det ? db_audit_write(db, actor, "certificate.revoked", object, det) : -ENOMEM;
    free(det);
    return r;
}

int db_certs_revoke(db_t *db, const uint8_t *serial, size_t len, int reason, const char *actor)
{
    if (db_cert_reason_name(reason) == NULL || reason == 6 || reason == 8) {
        db_set_error(db, "a revocation reason is one of RFC 5280's CRLReason values but certificateHold and "
                         "removeFromCRL: a revocation here is final");
        return -EINVAL;
    }
    if (len < 1 || len > 20) {
        db_set_error(db, "a serial is 1..20 octets");
        return -EINVAL;
    }
    char hex[41], code[8];
    db_hex_encode(serial, len, hex);
    snprintf(code, sizeof code, "%d", reason);
    if (db_begin(db) < 0) return -EIO;
    const char *v[3] = {(const char *)serial, code, actor};
    int lens[3] = {(int)len, 0, 0}, fmts[3] = {1, 0, 0};
    PGresult *res =
        PQexecParams(db_pg(db),
                     "SELECT endpoint, revoked_at IS NOT NULL FROM certificates WHERE serial = $1 "
                     "FOR UPDATE",
                     1, NULL, v, lens, fmts, 0);
    int r = 0;
    char endpoint[256] = "";
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        db_set_pg_error(db, "certificates", res);
        r = -EIO;
    } else if (PQntuples(res) == 0) {
        db_set_error(db, "no certificate with serial %s", hex);
        r = -ENOENT;
    } else if (PQgetvalue(res, 0, 1)[0] == 't') {
        db_set_error(db, "the certificate with serial %s is already revoked", hex);
        r = -EALREADY;
    } else {
        snprintf(endpoint, sizeof endpoint, "%s", PQgetvalue(res, 0, 0));
    }
    PQclear(res);
    if (r == 0) {
        res = PQexecParams(db_pg(db),
                           "UPDATE certificates SET revoked_at = now(), revocation_reason = $2::smallint, "
                           "revoked_by = $3 WHERE serial = $1",
                           3, NULL, v, lens, fmts, 0);
        if (PQresultStatus(res) != PGRES_COMMAND_OK) {
            db_set_pg_error(db, "certificates", res);
            r = -EIO;
        }
        PQclear(res);
    }
    if (r == 0) r = dbc_audit(db, actor, hex, endpoint, reason);
    if (r == 0) r = db_commit(db);
    if (r != 0) db_rollback(db);
    return r;
}

int db_certs_crl_number(db_t *db, uint64_t *out)
{
    PGresult *res = PQexec(db_pg(db), "SELECT nextval('crl_number')");
    int r = -EIO;
    if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1) {
        *out = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
        r = 0;
    } else {
        db_set_pg_error(db, "crl_number", res);
    }
    PQclear(res);
    return r;
}
