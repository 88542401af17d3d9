/*
 * db_devices.c — the devices table (contract in db_devices.h, schema in
 * db/migrations/0001_initial.sql, record rules in db_device.c).
 *
 * All statements send values as text parameters: bytea as "\x<hex>", the
 * NoSec list as a cidr[] literal, labels as a JSON object. Only sealed key
 * bytes ever reach a parameter.
 *
 * Bulk import: rows are queued as parameter strings in an arena and written
 * DB_DEVICES_BATCH at a time with one multi-row INSERT ... ON CONFLICT DO
 * NOTHING RETURNING endpoint, in its own transaction. A row missing from
 * RETURNING conflicted with an existing device; one small query then says
 * with which key and which device. If the batch fails as a whole (a check
 * constraint), it is redone row by row under savepoints so only the bad row
 * is lost.
 */
#include "bsd/db/db_devices.h"

#include "bsd/db/db_audit.h"
#include "bsd/db/db_device_oscore.h"
#include "bsd/db/db_settings.h"

#include <errno.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/hmac.h>

#define DEV_NCOLS 17
/* Bytes of one row's "($1::text,...)" in a multi-row INSERT, at most. */
#define DEV_ROW_SQL_MAX (DEV_NCOLS * 16 + 8)

static const char *const dev_name_types[] = {"cn", "san_dns", "san_uri", "san_email"};

/* Column list and per-column casts of an INSERT. */
static const char dev_insert_cols[] =
    "INSERT INTO devices (endpoint, kind, labels, serial, psk_identity, psk_key,"
    " spki, x509_name_type, x509_name, fingerprint, nosec_allow, psk_key_mac, oscore_sender_id,"
    " oscore_recipient_id, oscore_secret, oscore_salt, oscore_id_context) VALUES ";
static const char *const dev_casts[DEV_NCOLS] = {"text",  "text",  "jsonb", "text",  "text",   "bytea",
                                                 "bytea", "text",  "text",  "bytea", "cidr[]", "bytea",
                                                 "bytea", "bytea", "bytea", "bytea", "bytea"};

static const char dev_select[] =
    "SELECT endpoint, kind, labels::text, serial, psk_identity, psk_key, spki,"
    " x509_name_type, x509_name, fingerprint, nosec_allow::text, credential_version,"
    " created_at::text, updated_at::text, bs_next::text, oscore_sender_id, oscore_recipient_id,"
    " oscore_secret, oscore_salt, oscore_id_context FROM devices";

/* ---- parameter strings ---------------------------------------------------------- */

/* Growing byte arena; rows refer to it by offset. Holds no plaintext secret. */
struct dev_arena {
    char *buf;
    size_t len, cap;
};

/* One queued row: offsets of its parameters in the arena (-1 = NULL). */
struct dev_row {
    long off[DEV_NCOLS];
    unsigned line, col; /* position in the import file */
};

static long dev_put(struct dev_arena *a, const char *s, size_t n)
{
    if (a->len + n + 1 > a->cap) {
        size_t ncap = a->cap ? a->cap * 2 : 64 * 1024;
        while (ncap < a->len + n + 1)
            ncap *= 2;
        char *nb = realloc(a->buf, ncap);
        if (nb == NULL) return -ENOMEM;
        a->buf = nb;
        a->cap = ncap;
    }
    long off = (long)a->len;
    memcpy(a->buf + a->len, s, n);
    a->buf[a->len + n] = 0;
    a->len += n + 1;
    return off;
}

static long dev_put_bytea(struct dev_arena *a, const uint8_t *p, size_t n)
{
    char hex[2 + 2 * (DB_DEVICE_SPKI_MAX + DB_SECRETBOX_OVERHEAD) + 1];
    hex[0] = '\\';
    hex[1] = 'x';
    db_hex_encode(p, n, hex + 2);
    return dev_put(a, hex, 2 + 2 * n);
}

/* The labels as a JSON object text (malloc'd), or NULL on OOM. */
static char *dev_labels_json(const db_device_t *d)
{
    json_t *o = json_object();
    if (o == NULL) return NULL;
    for (size_t i = 0; i < d->nlabels; i++)
        json_object_set_new(o, d->labels[i].key, json_string(d->labels[i].value));
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return s;
}

/*
 * HMAC-SHA-256 of a PSK key under the credential derivation key: equal keys,
 * equal MACs (migration 0003), so the unique index finds a shared key that
 * the randomly sealed column cannot show.
 */
static int dev_key_mac(const uint8_t mkey[DB_CREDENTIAL_KEY_LEN], const uint8_t *key, size_t len,
                       uint8_t out[32])
{
    static const char label[] = "lwm2m-bsd devices.psk_key_mac";
    Hmac h;
    int ok = wc_HmacInit(&h, NULL, INVALID_DEVID) == 0 &&
             wc_HmacSetKey(&h, WC_SHA256, mkey, DB_CREDENTIAL_KEY_LEN) == 0 &&
             wc_HmacUpdate(&h, (const byte *)label, sizeof label) == 0 &&
             wc_HmacUpdate(&h, key, (word32)len) == 0 && wc_HmacFinal(&h, out) == 0;
    wc_HmacFree(&h);
    return ok ? 0 : -EIO;
}

int db_devices_seal_psk(db_secretbox_t *sb, const uint8_t mkey[DB_CREDENTIAL_KEY_LEN], const char *endpoint,
                        const uint8_t *key, size_t len, char sealed_hex[DB_DEVICES_SEALED_HEX_MAX],
                        char mac_hex[65])
{
    uint8_t ad[DB_SECRETBOX_AD_MAX], sealed[DB_DEVICE_PSK_KEY_MAX + DB_SECRETBOX_OVERHEAD], mac[32];
    if (len == 0 || len > DB_DEVICE_PSK_KEY_MAX) return -EINVAL;
    int adlen = db_secretbox_ad(ad, sizeof ad, "devices.psk_key", endpoint);
    if (adlen < 0) return adlen;
    size_t slen;
    int r = db_secretbox_seal(sb, ad, (size_t)adlen, key, len, sealed, sizeof sealed, &slen);
    if (r < 0) return r;
    if (dev_key_mac(mkey, key, len, mac) < 0) return -EIO;
    db_hex_encode(sealed, slen, sealed_hex);
    db_hex_encode(mac, sizeof mac, mac_hex);
    return 0;
}

/* Builds the INSERT parameters of |d| (sealing its key, with |mkey| for its
 * MAC) into |a| and |row|. */
static int dev_params(db_secretbox_t *sb, const uint8_t *mkey, const db_device_t *d, struct dev_arena *a,
                      struct dev_row *row)
{
    for (int i = 0; i < DEV_NCOLS; i++)
        row->off[i] = -1;
    row->line = d->line;
    row->col = d->col;
    long o;
#define PUT(i, expr)                                                                                         \
    do {                                                                                                     \
        if ((o = (expr)) < 0) return (int)o;                                                                 \
        row->off[i] = o;                                                                                     \
    } while (0)
    PUT(0, dev_put(a, d->endpoint, strlen(d->endpoint)));
    const char *kind = db_device_kind_name(d->kind);
    PUT(1, dev_put(a, kind, strlen(kind)));
    char *lj = dev_labels_json(d);
    if (lj == NULL) return -ENOMEM;
    o = dev_put(a, lj, strlen(lj));
    free(lj);
    if (o < 0) return (int)o;
    row->off[2] = o;
    if (d->serial[0]) PUT(3, dev_put(a, d->serial, strlen(d->serial)));
    switch (d->kind) {
    case DEVFILE_PSK: {
        PUT(4, dev_put(a, d->psk_identity, strlen(d->psk_identity)));
        uint8_t ad[DB_SECRETBOX_AD_MAX], sealed[DB_DEVICE_PSK_KEY_MAX + DB_SECRETBOX_OVERHEAD];
        int adlen = db_secretbox_ad(ad, sizeof ad, "devices.psk_key", d->endpoint);
        if (adlen < 0) return adlen;
        size_t slen;
        int r = db_secretbox_seal(sb, ad, (size_t)adlen, d->psk_key, d->psk_key_len, sealed, sizeof sealed,
                                  &slen);
        if (r < 0) return r;
        PUT(5, dev_put_bytea(a, sealed, slen));
        uint8_t mac[32];
        if (dev_key_mac(mkey, d->psk_key, d->psk_key_len, mac) < 0) return -EIO;
        PUT(11, dev_put_bytea(a, mac, sizeof mac));
        break;
    }
    case DEVFILE_RPK: PUT(6, dev_put_bytea(a, d->spki, d->spki_len)); break;
    case DEVFILE_X509: {
        const char *t = dev_name_types[d->x509_name_type & 3];
        PUT(7, dev_put(a, t, strlen(t)));
        PUT(8, dev_put(a, d->x509_name, strlen(d->x509_name)));
        if (d->has_fingerprint) PUT(9, dev_put_bytea(a, d->fingerprint, sizeof d->fingerprint));
        break;
    }
    case DEVFILE_NOSEC: {
        char lit[DB_DEVICE_ALLOW_MAX * 52 + 4];
        size_t n = 0;
        lit[n++] = '{';
        for (size_t i = 0; i < d->allow_count; i++) {
            char one[64];
            db_device_allow_format(&d->allow[i], one, sizeof one);
            n += (size_t)snprintf(lit + n, sizeof lit - n, "%s%s", i ? "," : "", one);
        }
        lit[n++] = '}';
        PUT(10, dev_put(a, lit, n));
        break;
    }
    case DB_DEVICE_OSCORE: break;
    default: return -EINVAL;
    }
    if (db_device_has_oscore(d)) { /* oscore, or OSCORE inside DTLS */
        uint8_t sealed[DB_DEVICE_OSCORE_SEALED_MAX];
        size_t slen;
        PUT(12, dev_put_bytea(a, d->oscore_sender_id, d->oscore_sender_id_len));
        PUT(13, dev_put_bytea(a, d->oscore_recipient_id, d->oscore_recipient_id_len));
        int r = db_device_oscore_seal(sb, d, DB_F_OSCORE_SECRET, sealed, sizeof sealed, &slen);
        if (r < 0) return r;
        PUT(14, dev_put_bytea(a, sealed, slen));
        if (d->oscore_salt_len > 0) {
            if ((r = db_device_oscore_seal(sb, d, DB_F_OSCORE_SALT, sealed, sizeof sealed, &slen)) < 0)
                return r;
            PUT(15, dev_put_bytea(a, sealed, slen));
        }
        if (d->oscore_id_context_len > 0)
            PUT(16, dev_put_bytea(a, d->oscore_id_context, d->oscore_id_context_len));
    }
#undef PUT
    return 0;
}

static void dev_param_ptrs(const struct dev_arena *a, const struct dev_row *row, const char **p)
{
    for (int i = 0; i < DEV_NCOLS; i++)
        p[i] = row->off[i] < 0 ? NULL : a->buf + row->off[i];
}

/* Appends "($k::t, ...)" for row |r| of a batch to |sql|. */
static size_t dev_values_sql(char *sql, size_t at, size_t cap, size_t r)
{
    at += (size_t)snprintf(sql + at, cap - at, "%s(", r ? "," : "");
    for (int i = 0; i < DEV_NCOLS; i++)
        at += (size_t)snprintf(sql + at, cap - at, "%s$%zu::%s", i ? "," : "", r * DEV_NCOLS + (size_t)i + 1,
                               dev_casts[i]);
    at += (size_t)snprintf(sql + at, cap - at, ")");
    return at;
}

/*
 * Says which unique key of a refused row is taken, and by whom: writes
 * "endpoint already exists" / "psk_identity already used by device 'x'".
 * With |replacing| the row's own endpoint is not a conflict (a replace
 * keeps it) and only other devices count. Returns 0, or -EIO.
 */
static int dev_explain_conflict(db_t *db, const char **p, bool replacing, char *msg, size_t cap)
{
    const char *q[10] = {p[0], p[4], p[6], p[7], p[8], p[9], p[11], replacing ? "t" : "f", p[12], p[16]};
    PGresult *res = PQexecParams(
        db_pg(db),
        "SELECT 'endpoint', endpoint FROM devices WHERE endpoint = $1 AND NOT $8::boolean"
        " UNION ALL SELECT 'psk_identity', endpoint FROM devices WHERE psk_identity = $2 AND endpoint <> $1"
        " UNION ALL SELECT 'spki', endpoint FROM devices WHERE spki = $3::bytea AND endpoint <> $1"
        " UNION ALL SELECT 'x509_name', endpoint FROM devices WHERE kind = 'x509' AND x509_name_type = $4"
        " AND x509_name = $5 AND endpoint <> $1"
        " UNION ALL SELECT 'fingerprint', endpoint FROM devices WHERE fingerprint = $6::bytea AND endpoint "
        "<> $1"
        " UNION ALL SELECT 'psk_key', endpoint FROM devices WHERE psk_key_mac = $7::bytea AND endpoint <> $1"
        " UNION ALL SELECT CASE WHEN $10::bytea IS NULL THEN 'oscore_sender_id'"
        " ELSE 'oscore_sender_id with this oscore_id_context' END, endpoint FROM devices"
        " WHERE oscore_sender_id = $9::bytea"
        " AND coalesce(oscore_id_context, ''::bytea) = coalesce($10::bytea, ''::bytea) AND endpoint <> $1"
        " LIMIT 1",
        10, NULL, q, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        db_set_pg_error(db, "devices", res);
        PQclear(res);
        return -EIO;
    }
    if (PQntuples(res) == 0)
        snprintf(msg, cap, "refused by the database (a unique key was taken concurrently)");
    else if (strcmp(PQgetvalue(res, 0, 0), "endpoint") == 0)
        snprintf(msg, cap, "endpoint already exists in the database");
    else
        snprintf(msg, cap, "%s already used by device '%.255s' in the database", PQgetvalue(res, 0, 0),
                 PQgetvalue(res, 0, 1));
    PQclear(res);
    return 0;
}

/* ---- add / remove ----------------------------------------------------------------- */

/* Audit details of a device: kind and public identifiers only. */
static char *dev_audit_details(const db_device_t *d, const char *extra_key, const char *extra)
{
    json_t *o = json_object();
    if (o == NULL) return NULL;
    json_object_set_new(o, "kind", json_string(db_device_kind_name(d->kind)));
    if (d->kind == DEVFILE_PSK) json_object_set_new(o, "psk_identity", json_string(d->psk_identity));
    if (db_device_has_oscore(d)) { /* the public identifier; never the secret */
        char h[2 * DB_DEVICE_OSCORE_ID_MAX + 1];
        json_object_set_new(o, "oscore_sender_id",
                            json_string(db_hex_encode(d->oscore_sender_id, d->oscore_sender_id_len, h)));
    }
    if (d->kind == DEVFILE_X509) json_object_set_new(o, "x509_name", json_string(d->x509_name));
    if (extra_key) json_object_set_new(o, extra_key, json_string(extra));
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return s;
}

/* The UPDATE of a replace: every column an INSERT sets. A PSK key equal to
 * the stored one (same MAC) keeps its sealed bytes, so an unchanged
 * credential stays unchanged for the trigger (credential_version, bs_next)
 * and for the daemon (live sessions are not closed). */
static const char dev_update_sql[] =
    "UPDATE devices SET kind = $2::text, labels = $3::jsonb, serial = $4::text, psk_identity = $5::text,"
    " psk_key = CASE WHEN $12::bytea IS NOT NULL AND psk_key_mac = $12::bytea THEN psk_key ELSE $6::bytea "
    "END,"
    " spki = $7::bytea, x509_name_type = $8::text, x509_name = $9::text, fingerprint = $10::bytea,"
    " nosec_allow = $11::cidr[], psk_key_mac = $12::bytea, oscore_sender_id = $13::bytea,"
    " oscore_recipient_id = $14::bytea, oscore_secret = $15::bytea, oscore_salt = $16::bytea,"
    " oscore_id_context = $17::bytea WHERE endpoint = $1::text"
    " RETURNING credential_version";

static long dev_bytea(const char *s, uint8_t *out, size_t cap);

/* Whether sealed column value |text| (bytea text, NULL: none) of field |f|
 * opens to |d|'s value of that field; |t| is scratch with the endpoint set. */
static bool dev_oscore_same(const db_secretbox_t *sb, const db_device_t *d, db_device_t *t, int f,
                            const char *text)
{
    bool secret = f == DB_F_OSCORE_SECRET;
    size_t want = secret ? d->oscore_secret_len : d->oscore_salt_len;
    if (text == NULL) return want == 0;
    uint8_t sealed[DB_DEVICE_OSCORE_SEALED_MAX];
    long n = dev_bytea(text, sealed, sizeof sealed);
    if (n <= 0 || db_device_oscore_open(sb, t, f, sealed, (size_t)n) < 0) return false;
    return secret ? t->oscore_secret_len == want && memcmp(t->oscore_secret, d->oscore_secret, want) == 0
                  : t->oscore_salt_len == want && memcmp(t->oscore_salt, d->oscore_salt, want) == 0;
}

/*
 * A replace of a device with an OSCORE context, with the Master Secret and
 * Salt it has:
 * the stored sealed values (columns 1 and 2 of |res|) are kept, like an
 * equal PSK key, so the credential stays unchanged for the trigger and the
 * daemon. Points p[14] and p[15] at copies in |keep| (freed by the caller).
 */
static void dev_keep_oscore(const db_secretbox_t *sb, const db_device_t *d, const PGresult *res,
                            const char **p, char *keep[2])
{
    if (!db_device_has_oscore(d) || PQntuples(res) != 1) return;
    const char *sec = PQgetisnull(res, 0, 1) ? NULL : PQgetvalue(res, 0, 1);
    const char *salt = PQgetisnull(res, 0, 2) ? NULL : PQgetvalue(res, 0, 2);
    db_device_t *t = calloc(1, sizeof *t);
    if (t == NULL || sec == NULL) goto out;
    memcpy(t->endpoint, d->endpoint, sizeof t->endpoint);
    if (!dev_oscore_same(sb, d, t, DB_F_OSCORE_SECRET, sec) ||
        !dev_oscore_same(sb, d, t, DB_F_OSCORE_SALT, salt))
        goto out;
    keep[0] = strdup(sec);
    keep[1] = salt ? strdup(salt) : NULL;
    if (keep[0] != NULL && (salt == NULL || keep[1] != NULL)) {
        p[14] = keep[0];
        p[15] = keep[1];
    }
out:
    if (t) db_device_clear(t);
    free(t);
}

/*
 * Stores |d|: an INSERT, or with |replace| an UPDATE when the endpoint
 * exists (*created tells which). One transaction with its audit row.
 */
static int dev_write(db_t *db, db_secretbox_t *sb, const db_device_t *d, const char *actor, bool replace,
                     bool *created)
{
    db_device_t *tmp = malloc(sizeof *tmp);
    if (tmp == NULL) return -ENOMEM;
    *tmp = *d;
    char msg[DB_DEVICE_MSG_MAX];
    if (db_device_finish(tmp, msg, sizeof msg) < 0) {
        db_device_clear(tmp);
        free(tmp);
        db_set_error(db, "device %s: %s", d->endpoint, msg);
        return -EINVAL;
    }
    struct dev_arena a = {0};
    struct dev_row row;
    char *det = NULL, *keep[2] = {NULL, NULL};
    uint8_t mkey[DB_CREDENTIAL_KEY_LEN];
    int r = tmp->kind == DEVFILE_PSK ? db_credential_key(db, sb, mkey) : 0;
    if (r < 0) goto out; /* db_errmsg() says why */
    r = dev_params(sb, mkey, tmp, &a, &row);
    explicit_bzero(mkey, sizeof mkey);
    if (r < 0) {
        db_set_error(db, "device %s: %s", d->endpoint,
                     r == -ENOKEY ? "no secret key to seal with" : strerror(-r));
        goto out;
    }
    const char *p[DEV_NCOLS];
    dev_param_ptrs(&a, &row, p);
    char sql[1024];
    size_t n = (size_t)snprintf(sql, sizeof sql, "%s", dev_insert_cols);
    dev_values_sql(sql, n, sizeof sql, 0);
    bool exists = false;
    long long ver = 0;
    r = db_begin(db);
    if (r < 0) goto out;
    PGresult *res;
    if (replace) {
        res = PQexecParams(db_pg(db),
                           "SELECT credential_version, oscore_secret, oscore_salt FROM devices"
                           " WHERE endpoint = $1 FOR UPDATE",
                           1, NULL, p, NULL, NULL, 0);
        if (PQresultStatus(res) != PGRES_TUPLES_OK) {
            db_set_pg_error(db, "device replace", res);
            PQclear(res);
            db_rollback(db);
            r = -EIO;
            goto out;
        }
        exists = PQntuples(res) == 1;
        if (exists) ver = atoll(PQgetvalue(res, 0, 0));
        dev_keep_oscore(sb, tmp, res, p, keep);
        PQclear(res);
    }
    res = PQexecParams(db_pg(db), exists ? dev_update_sql : sql, DEV_NCOLS, NULL, p, NULL, NULL, 0);
    if (PQresultStatus(res) != (exists ? PGRES_TUPLES_OK : PGRES_COMMAND_OK)) {
        bool dup = strcmp(db_sqlstate(res), "23505") == 0;
        db_set_pg_error(db, exists ? "device replace" : "device add", res);
        PQclear(res);
        db_rollback(db);
        r = -EIO;
        if (dup && dev_explain_conflict(db, p, exists, msg, sizeof msg) == 0) {
            db_set_error(db, "device %s: %s", d->endpoint, msg);
            r = -EEXIST;
        }
        goto out;
    }
    bool changed = exists && PQntuples(res) == 1 && atoll(PQgetvalue(res, 0, 0)) != ver;
    PQclear(res);
    char obj[300];
    snprintf(obj, sizeof obj, "device:%s", d->endpoint);
    /* A replace says whether the credential changed (the daemon then closes live sessions). */
    det = dev_audit_details(tmp, exists ? "credential" : NULL, changed ? "changed" : "unchanged");
    r = db_audit_write(db, actor, exists ? "device.replace" : "device.add", obj, det ? det : "{}");
    if (r == 0) r = db_commit(db);
    if (r < 0) db_rollback(db);
    if (r == 0 && created) *created = !exists;
out:
    explicit_bzero(mkey, sizeof mkey);
    db_device_clear(tmp);
    free(tmp);
    free(det);
    free(a.buf);
    free(keep[0]);
    free(keep[1]);
    return r;
}

int db_devices_add(db_t *db, db_secretbox_t *sb, const db_device_t *d, const char *actor)
{
    return dev_write(db, sb, d, actor, false, NULL);
}

int db_devices_put(db_t *db, db_secretbox_t *sb, const db_device_t *d, const char *actor, bool *created)
{
    return dev_write(db, sb, d, actor, true, created);
}

int db_devices_remove(db_t *db, const char *endpoint, const char *actor)
{
    int r = db_begin(db);
    if (r < 0) return r;
    const char *p[1] = {endpoint};
    PGresult *res = PQexecParams(db_pg(db), "DELETE FROM devices WHERE endpoint = $1 RETURNING kind", 1, NULL,
                                 p, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        db_set_pg_error(db, "device remove", res);
        r = -EIO;
    } else if (PQntuples(res) == 0) {
        db_set_error(db, "device %s: no such device", endpoint);
        r = -ENOENT;
    } else {
        char obj[300], det[64];
        snprintf(obj, sizeof obj, "device:%s", endpoint);
        snprintf(det, sizeof det, "{\"kind\":\"%s\"}", PQgetvalue(res, 0, 0));
        r = db_audit_write(db, actor, "device.remove", obj, det);
    }
    PQclear(res);
    if (r == 0) r = db_commit(db);
    if (r < 0) db_rollback(db);
    return r;
}

/* ---- reads ---------------------------------------------------------------------------- */

/* Decodes a bytea text value ("\x..."). Returns the length, or -1. */
static long dev_bytea(const char *s, uint8_t *out, size_t cap)
{
    if (s[0] != '\\' || s[1] != 'x') return -1;
    size_t n = strlen(s + 2);
    if (n % 2 || n / 2 > cap) return -1;
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v;
        if (sscanf(s + 2 + 2 * i, "%2x", &v) != 1) return -1;
        out[i] = (uint8_t)v;
    }
    return (long)(n / 2);
}

/* Hex (no "\\x") into |out|; the byte count or -1. */
static long dev_hex(const char *s, uint8_t *out, size_t cap)
{
    size_t n = s ? strlen(s) : 0;
    if (!s || n % 2 || n / 2 > cap) return -1;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return -1;
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v;
        sscanf(s + 2 * i, "%2x", &v);
        out[i] = (uint8_t)v;
    }
    return (long)(n / 2);
}

/* Reads devices.bs_next (|text|, jsonb as text) into d->bs_next, opening
 * the sealed key when |sb| is given. */
static int dev_bs_next(const db_secretbox_t *sb, const char *ep, const char *text, db_device_t *d)
{
    json_t *o = json_loads(text, 0, NULL);
    const char *kind = json_string_value(json_object_get(o, "kind"));
    json_int_t rot = json_integer_value(json_object_get(o, "rotation"));
    int r = 0;
    if (!o || !kind || rot < 0 || rot > 0xffffffffLL || strlen(text) >= sizeof d->bs_next.json) r = -EIO;
    if (r == 0 && strcmp(kind, "psk") == 0) {
        const char *id = json_string_value(json_object_get(o, "psk_identity"));
        uint8_t sealed[DB_DEVICE_PSK_KEY_MAX + DB_SECRETBOX_OVERHEAD];
        long n = dev_hex(json_string_value(json_object_get(o, "psk_key")), sealed, sizeof sealed);
        if (!id || !id[0] || strlen(id) > DB_DEVICE_IDENTITY_MAX || n < 0) {
            r = -EIO;
        } else {
            d->bs_next.kind = DEVFILE_PSK;
            snprintf(d->bs_next.psk_identity, sizeof d->bs_next.psk_identity, "%s", id);
            if (sb != NULL) {
                uint8_t ad[DB_SECRETBOX_AD_MAX];
                int adlen = db_secretbox_ad(ad, sizeof ad, "devices.psk_key", ep);
                r = adlen < 0
                        ? adlen
                        : db_secretbox_open(sb, ad, (size_t)adlen, sealed, (size_t)n, d->bs_next.psk_key,
                                            sizeof d->bs_next.psk_key, &d->bs_next.psk_key_len);
                if (r < 0) {
                    json_decref(o);
                    return r;
                }
            }
        }
    } else if (r == 0 && strcmp(kind, "rpk") == 0) {
        long n =
            dev_hex(json_string_value(json_object_get(o, "spki")), d->bs_next.spki, sizeof d->bs_next.spki);
        if (n <= 0) r = -EIO;
        d->bs_next.kind = DEVFILE_RPK;
        d->bs_next.spki_len = n > 0 ? (size_t)n : 0;
    } else {
        r = -EIO;
    }
    if (r == 0) {
        d->bs_next.has = true;
        d->bs_next.rotation = (unsigned)rot;
        const char *w = json_string_value(json_object_get(o, "written_at"));
        snprintf(d->bs_next.written_at, sizeof d->bs_next.written_at, "%s", w ? w : "");
        snprintf(d->bs_next.json, sizeof d->bs_next.json, "%s", text);
    }
    json_decref(o);
    return r;
}

/*
 * The OSCORE columns of row |i| (15..19 of dev_select) into |d|; opens the
 * Master Secret and Salt when |sb| is given. Returns 0, -EBADMSG, -ENOKEY
 * or -EIO (db_errmsg set; never with a secret in it).
 */
static int dev_oscore_from_row(db_t *db, const db_secretbox_t *sb, const PGresult *res, int i, db_device_t *d)
{
    /* oscore devices, and psk/rpk/x509 ones with an OSCORE context (0010) */
    if (d->kind != DB_DEVICE_OSCORE && PQgetisnull(res, i, 17)) return 0;
    const char *ep = d->endpoint;
    long a = PQgetisnull(res, i, 15)
                 ? -1
                 : dev_bytea(PQgetvalue(res, i, 15), d->oscore_sender_id, sizeof d->oscore_sender_id);
    long b = PQgetisnull(res, i, 16)
                 ? -1
                 : dev_bytea(PQgetvalue(res, i, 16), d->oscore_recipient_id, sizeof d->oscore_recipient_id);
    long c = PQgetisnull(res, i, 19)
                 ? 0
                 : dev_bytea(PQgetvalue(res, i, 19), d->oscore_id_context, sizeof d->oscore_id_context);
    uint8_t sec[DB_DEVICE_OSCORE_SEALED_MAX], salt[DB_DEVICE_OSCORE_SEALED_MAX];
    long ns = PQgetisnull(res, i, 17) ? -1 : dev_bytea(PQgetvalue(res, i, 17), sec, sizeof sec);
    long nt = PQgetisnull(res, i, 18) ? 0 : dev_bytea(PQgetvalue(res, i, 18), salt, sizeof salt);
    if (a < 0 || b < 0 || c < 0 || ns <= 0 || nt < 0) {
        db_set_error(db, "device %s: stored OSCORE context is invalid", ep);
        return -EIO;
    }
    d->oscore_sender_id_len = (size_t)a;
    d->oscore_recipient_id_len = (size_t)b;
    d->oscore_id_context_len = (size_t)c;
    d->oscore_has_salt = nt > 0;
    d->given |= 1u << DB_F_OSCORE_SENDER_ID | 1u << DB_F_OSCORE_RECIPIENT_ID;
    d->oscore_secret_key_id = db_secretbox_key_id(sec, (size_t)ns);
    if (sb == NULL) return 0;
    int r = db_device_oscore_open(sb, d, DB_F_OSCORE_SECRET, sec, (size_t)ns);
    bool at_salt = r == 0 && nt > 0;
    if (at_salt) r = db_device_oscore_open(sb, d, DB_F_OSCORE_SALT, salt, (size_t)nt);
    const char *what = at_salt ? "oscore_salt" : "oscore_secret";
    if (r == -ENOKEY) {
        db_set_error(db, "device %s: %s is sealed with key id %u, which the keyring lacks", ep, what,
                     db_secretbox_key_id(at_salt ? salt : sec, (size_t)(at_salt ? nt : ns)));
        return r;
    }
    if (r < 0) {
        db_set_error(db, "device %s: %s does not decrypt (wrong key, tampered, or copied from another row)",
                     ep, what);
        return -EBADMSG;
    }
    return 0;
}

/*
 * Fills |d| from row |i| of |res| (columns of dev_select). Opens the PSK key
 * when |sb| is given. Returns 0, -EBADMSG, -ENOKEY or -EIO (db_errmsg set).
 */
static int dev_from_row(db_t *db, const db_secretbox_t *sb, const PGresult *res, int i, db_device_t *d)
{
    char msg[DB_DEVICE_MSG_MAX];
    db_device_clear(d);
    const char *ep = PQgetvalue(res, i, 0);
    int r = 0;
#define FIELD(f, col)                                                                                        \
    do {                                                                                                     \
        if (r == 0 && !PQgetisnull(res, i, col)) {                                                           \
            const char *v_ = PQgetvalue(res, i, col);                                                        \
            r = db_device_set_field(d, f, v_, strlen(v_), msg, sizeof msg);                                  \
        }                                                                                                    \
    } while (0)
    FIELD(DB_F_KIND, 1);
    FIELD(DB_F_ENDPOINT, 0);
    FIELD(DB_F_SERIAL, 3);
    FIELD(DB_F_PSK_IDENTITY, 4);
    FIELD(DB_F_X509_NAME_TYPE, 7);
    FIELD(DB_F_X509_NAME, 8);
#undef FIELD
    if (r == 0 && !PQgetisnull(res, i, 10)) { /* {a,b} */
        const char *v = PQgetvalue(res, i, 10);
        size_t n = strlen(v);
        if (n >= 2) r = db_device_set_field(d, DB_F_NOSEC_ALLOW, v + 1, n - 2, msg, sizeof msg);
    }
    if (r == 0) {
        json_t *o = json_loads(PQgetvalue(res, i, 2), 0, NULL);
        const char *k;
        json_t *v;
        json_object_foreach(o, k, v)
        {
            if (d->nlabels < DB_DEVICE_LABELS_MAX && json_is_string(v)) {
                db_label_t *l = &d->labels[d->nlabels++];
                snprintf(l->key, sizeof l->key, "%s", k);
                snprintf(l->value, sizeof l->value, "%s", json_string_value(v));
            }
        }
        json_decref(o);
    }
    if (r == 0 && !PQgetisnull(res, i, 6)) {
        long n = dev_bytea(PQgetvalue(res, i, 6), d->spki, sizeof d->spki);
        r = n < 0 ? -EINVAL : 0;
        d->spki_len = n < 0 ? 0 : (size_t)n;
    }
    if (r == 0 && !PQgetisnull(res, i, 9)) {
        r = dev_bytea(PQgetvalue(res, i, 9), d->fingerprint, sizeof d->fingerprint) == 32 ? 0 : -EINVAL;
        d->has_fingerprint = r == 0;
    }
    if (r < 0) {
        db_set_error(db, "device %s: stored record is invalid", ep);
        return -EIO;
    }
    d->credential_version = atoll(PQgetvalue(res, i, 11));
    snprintf(d->created, sizeof d->created, "%s", PQgetvalue(res, i, 12));
    snprintf(d->updated, sizeof d->updated, "%s", PQgetvalue(res, i, 13));
    /* A damaged bs_next costs the device its rotation, never the load. */
    if (!PQgetisnull(res, i, 14) && dev_bs_next(sb, ep, PQgetvalue(res, i, 14), d) < 0) {
        memset(&d->bs_next, 0, sizeof d->bs_next);
        d->bs_next.invalid = true;
    }
    if (!PQgetisnull(res, i, 5)) {
        uint8_t sealed[DB_DEVICE_PSK_KEY_MAX + DB_SECRETBOX_OVERHEAD];
        long n = dev_bytea(PQgetvalue(res, i, 5), sealed, sizeof sealed);
        if (n < 0) {
            db_set_error(db, "device %s: stored psk_key is invalid", ep);
            return -EIO;
        }
        d->psk_key_id = db_secretbox_key_id(sealed, (size_t)n);
        if (sb != NULL) {
            uint8_t ad[DB_SECRETBOX_AD_MAX];
            int adlen = db_secretbox_ad(ad, sizeof ad, "devices.psk_key", ep);
            size_t klen = 0;
            r = adlen < 0 ? adlen
                          : db_secretbox_open(sb, ad, (size_t)adlen, sealed, (size_t)n, d->psk_key,
                                              sizeof d->psk_key, &klen);
            if (r == -ENOKEY) {
                db_set_error(db, "device %s: psk_key is sealed with key id %u, which the keyring lacks", ep,
                             d->psk_key_id);
                return r;
            }
            if (r < 0) {
                db_set_error(db,
                             "device %s: psk_key does not decrypt (wrong key, tampered, or copied from "
                             "another row)",
                             ep);
                return -EBADMSG;
            }
            d->psk_key_len = klen;
        }
    }
    return dev_oscore_from_row(db, sb, res, i, d);
}

int db_devices_get(db_t *db, const db_secretbox_t *sb, const char *endpoint, db_device_t *out)
{
    char sql[sizeof dev_select + 64];
    snprintf(sql, sizeof sql, "%s WHERE endpoint = $1", dev_select);
    const char *p[1] = {endpoint};
    PGresult *res = PQexecParams(db_pg(db), sql, 1, NULL, p, NULL, NULL, 0);
    int r = 0;
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        db_set_pg_error(db, "device get", res);
        r = -EIO;
    } else if (PQntuples(res) == 0) {
        db_set_error(db, "device %s: no such device", endpoint);
        r = -ENOENT;
    } else {
        r = dev_from_row(db, sb, res, 0, out);
    }
    PQclear(res);
    if (r < 0) db_device_clear(out);
    return r;
}

/* Runs a query in single-row mode; |row| is called per row until it returns non-zero. */
static int dev_stream(db_t *db, const char *sql, int nparams, const char *const *params,
                      int (*row)(void *ctx, const PGresult *res), void *ctx)
{
    PGconn *pg = db_pg(db);
    if (!PQsendQueryParams(pg, sql, nparams, NULL, params, NULL, NULL, 0) || !PQsetSingleRowMode(pg)) {
        db_set_pg_error(db, "devices", NULL);
        while (PQgetResult(pg) != NULL) {
        }
        return -EIO;
    }
    int r = 0;
    bool cancelled = false;
    PGresult *res;
    while ((res = PQgetResult(pg)) != NULL) {
        ExecStatusType st = PQresultStatus(res);
        if (st == PGRES_SINGLE_TUPLE && r == 0) {
            r = row(ctx, res);
        } else if (st != PGRES_SINGLE_TUPLE && st != PGRES_TUPLES_OK && r == 0) {
            db_set_pg_error(db, "devices", res);
            r = -EIO;
        }
        PQclear(res);
        if (r != 0 && !cancelled) { /* stop the server sending the rest */
            PGcancel *c = PQgetCancel(pg);
            char e[256];
            if (c != NULL) PQcancel(c, e, sizeof e);
            PQfreeCancel(c);
            cancelled = true;
        }
    }
    return r;
}

struct dev_walk {
    db_t *db;
    const db_secretbox_t *sb;
    db_devices_fn fn;
    db_devices_creds_fn cfn;
    void *arg;
    db_device_t d;
};

static int dev_list_row(void *ctx, const PGresult *res)
{
    struct dev_walk *w = ctx;
    int r = dev_from_row(w->db, NULL, res, 0, &w->d);
    if (r == 0) r = w->fn(w->arg, &w->d);
    db_device_clear(&w->d);
    return r;
}

int db_devices_query(db_t *db, const db_devices_query_t *q, db_devices_fn fn, void *arg)
{
    /* Labels as one JSON object: "contains all of them" is one @> that the
     * GIN index on labels answers. */
    char *labels = NULL;
    if (q->nlabels > 0) {
        json_t *o = json_object();
        for (size_t i = 0; o && i < q->nlabels; i++)
            json_object_set_new(o, q->labels[i].key, json_string(q->labels[i].value));
        labels = o ? json_dumps(o, JSON_COMPACT) : NULL;
        json_decref(o);
        if (labels == NULL) return -ENOMEM;
    }
    const char *p[3];
    int np = 0;
    char sql[sizeof dev_select + 256], num[16];
    size_t n = (size_t)snprintf(sql, sizeof sql, "%s WHERE true", dev_select);
    if (labels) {
        p[np++] = labels;
        n += (size_t)snprintf(sql + n, sizeof sql - n, " AND labels @> $%d::jsonb", np);
    }
    if (q->prefix && q->prefix[0]) { /* no LIKE: '%' and '_' are endpoint characters */
        p[np++] = q->prefix;
        n += (size_t)snprintf(sql + n, sizeof sql - n,
                              " AND left(endpoint, char_length($%d::text)) = $%d::text", np, np);
    }
    if (q->after) {
        p[np++] = q->after;
        n += (size_t)snprintf(sql + n, sizeof sql - n, " AND endpoint > $%d::text", np);
    }
    n += (size_t)snprintf(sql + n, sizeof sql - n, " ORDER BY endpoint");
    if (q->limit > 0) {
        snprintf(num, sizeof num, "%u", q->limit);
        p[np++] = num;
        snprintf(sql + n, sizeof sql - n, " LIMIT $%d::integer", np);
    }
    struct dev_walk *w = calloc(1, sizeof *w);
    int r = -ENOMEM;
    if (w != NULL) {
        w->db = db;
        w->fn = fn;
        w->arg = arg;
        r = dev_stream(db, sql, np, np ? p : NULL, dev_list_row, w);
        free(w);
    }
    free(labels);
    return r;
}

int db_devices_list(db_t *db, const char *label_key, const char *label_value, db_devices_fn fn, void *arg)
{
    db_label_t l;
    db_devices_query_t q = {0};
    if (label_key) {
        if (snprintf(l.key, sizeof l.key, "%s", label_key) >= (int)sizeof l.key ||
            snprintf(l.value, sizeof l.value, "%s", label_value ? label_value : "") >= (int)sizeof l.value)
            return 0; /* no stored label is that long: nothing matches */
        q.labels = &l;
        q.nlabels = 1;
    }
    return db_devices_query(db, &q, fn, arg);
}

int db_devices_patch(db_t *db, const char *endpoint, const db_devices_patch_t *pt, const char *actor)
{
    json_t *set = json_object(), *unset = json_array(), *det = json_object();
    char *set_s = NULL, *unset_s = NULL, *det_s = NULL;
    int r = -ENOMEM;
    if (set == NULL || unset == NULL || det == NULL) goto out;
    for (size_t i = 0; i < pt->nset; i++)
        json_object_set_new(set, pt->set[i].key, json_string(pt->set[i].value));
    for (size_t i = 0; i < pt->nunset; i++)
        json_array_append_new(unset, json_string(pt->unset[i]));
    /* Audit details: which labels changed, never their values' secrets (labels hold none). */
    json_object_set(det, "labels_set", set);
    json_object_set(det, "labels_removed", unset);
    if (pt->clear_labels) json_object_set_new(det, "labels_cleared", json_true());
    if (pt->serial_given)
        json_object_set_new(det, "serial",
                            pt->serial && pt->serial[0] ? json_string(pt->serial) : json_null());
    set_s = json_dumps(set, JSON_COMPACT);
    unset_s = json_dumps(unset, JSON_COMPACT);
    det_s = json_dumps(det, JSON_COMPACT);
    if (set_s == NULL || unset_s == NULL || det_s == NULL) goto out;
    /* Labels: the removed keys first, then the set ones, in one statement
     * (no lost update between two PATCHes). The count is checked after. */
    const char *p[6] = {endpoint,
                        unset_s,
                        set_s,
                        pt->serial_given ? "t" : "f",
                        pt->serial && pt->serial[0] ? pt->serial : NULL,
                        pt->clear_labels ? "t" : "f"};
    if ((r = db_begin(db)) < 0) goto out;
    static const char sql[] =
        "UPDATE devices SET labels = (CASE WHEN $6::boolean THEN '{}'::jsonb"
        " ELSE labels - ARRAY(SELECT jsonb_array_elements_text($2::jsonb)) END) || $3::jsonb,"
        " serial = CASE WHEN $4::boolean THEN $5::text ELSE serial END WHERE endpoint = $1"
        " RETURNING (SELECT count(*) FROM jsonb_object_keys(labels))";
    PGresult *res = PQexecParams(db_pg(db), sql, 6, NULL, p, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        db_set_pg_error(db, "device update", res);
        r = strcmp(db_sqlstate(res), "23514") == 0 ? -EINVAL : -EIO;
    } else if (PQntuples(res) == 0) {
        db_set_error(db, "device %s: no such device", endpoint);
        r = -ENOENT;
    } else if (atoll(PQgetvalue(res, 0, 0)) > DB_DEVICE_LABELS_MAX) {
        db_set_error(db, "device %s: more than %d labels", endpoint, DB_DEVICE_LABELS_MAX);
        r = -EINVAL;
    } else {
        char obj[300];
        snprintf(obj, sizeof obj, "device:%s", endpoint);
        r = db_audit_write(db, actor, "device.update", obj, det_s);
    }
    PQclear(res);
    if (r == 0) r = db_commit(db);
    if (r < 0) db_rollback(db);
out:
    json_decref(set);
    json_decref(unset);
    json_decref(det);
    free(set_s);
    free(unset_s);
    free(det_s);
    return r;
}

static int dev_load_row(void *ctx, const PGresult *res)
{
    struct dev_walk *w = ctx;
    int r = dev_from_row(w->db, w->sb, res, 0, &w->d);
    if (r == 0) {
        const db_device_t *d = &w->d;
        creds_device_t c;
        memset(&c, 0, sizeof c);
        c.endpoint = w->d.endpoint;
        switch (d->kind) {
        case DEVFILE_PSK:
            c.kind = CREDS_PSK;
            c.psk_identity = w->d.psk_identity;
            memcpy(c.key, d->psk_key, d->psk_key_len);
            c.key_len = (uint8_t)d->psk_key_len;
            break;
        case DEVFILE_RPK:
            c.kind = CREDS_RPK;
            c.spki = w->d.spki;
            c.spki_len = (uint16_t)d->spki_len;
            break;
        case DEVFILE_X509:
            c.kind = CREDS_X509;
            c.x509_name = w->d.x509_name;
            c.x509_name_type = (uint8_t)d->x509_name_type;
            c.has_fingerprint = d->has_fingerprint;
            memcpy(c.fingerprint, d->fingerprint, sizeof c.fingerprint);
            break;
        case DEVFILE_NOSEC:
            c.kind = CREDS_NOSEC;
            for (size_t i = 0; i < d->allow_count && i < CREDS_MAX_PREFIXES; i++) {
                c.prefixes[i].family = d->allow[i].family;
                memcpy(c.prefixes[i].addr, d->allow[i].addr, 16);
                c.prefixes[i].bits = d->allow[i].prefix;
            }
            c.nprefixes = (uint8_t)d->allow_count;
            break;
        case DB_DEVICE_OSCORE: c.kind = CREDS_OSCORE; break;
        default: break;
        }
        /* OSCORE inside DTLS keeps the kind (creds.h). */
        if (db_device_has_oscore(d)) db_device_oscore_creds(d, &c);
        r = w->cfn(w->arg, &c, d);
        explicit_bzero(&c, sizeof c);
    }
    db_device_clear(&w->d);
    return r;
}

int db_devices_load(db_t *db, const db_secretbox_t *sb, db_devices_creds_fn fn, void *arg)
{
    struct dev_walk *w = calloc(1, sizeof *w);
    if (w == NULL) return -ENOMEM;
    w->db = db;
    w->sb = sb;
    w->cfn = fn;
    w->arg = arg;
    int r = dev_stream(db, dev_select, 0, NULL, dev_load_row, w);
    explicit_bzero(w, sizeof *w);
    free(w);
    return r;
}

int db_devices_count(db_t *db, long long *n)
{
    PGresult *res = PQexec(db_pg(db), "SELECT count(*) FROM devices");
    int r = 0;
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        db_set_pg_error(db, "devices", res);
        r = -EIO;
    } else {
        *n = atoll(PQgetvalue(res, 0, 0));
    }
    PQclear(res);
    return r;
}

/* ---- bulk import -------------------------------------------------------------------------- */

struct db_devices_import {
    db_t *db;
    db_secretbox_t *sb;
    char actor[128];
    char source[256];
    db_import_err_fn err;
    void *arg;
    struct dev_arena a;                    /* parameter strings of the queued rows */
    struct dev_row rows[DB_DEVICES_BATCH]; /* queued rows */
    size_t nrows;
    size_t imported, refused;
    char *sql;                           /* INSERT text for a full batch */
    const char **p;                      /* parameter pointers, DB_DEVICES_BATCH * DEV_NCOLS */
    uint8_t mkey[DB_CREDENTIAL_KEY_LEN]; /* PSK key MACs (fetched with the first PSK row) */
    bool have_mkey;
    const char *refused_ep; /* the endpoint of the row being refused, during |err| */
};

db_devices_import_t *db_devices_import_begin(db_t *db, db_secretbox_t *sb, const char *actor,
                                             const char *source, db_import_err_fn err, void *arg)
{
    db_devices_import_t *im = calloc(1, sizeof *im);
    if (im == NULL) return NULL;
    im->p = calloc(DB_DEVICES_BATCH * DEV_NCOLS, sizeof *im->p);
    im->sql = malloc(DB_DEVICES_BATCH * DEV_ROW_SQL_MAX + 512);
    if (im->p == NULL || im->sql == NULL) {
        free(im->p);
        free(im->sql);
        free(im);
        return NULL;
    }
    im->db = db;
    im->sb = sb;
    snprintf(im->actor, sizeof im->actor, "%s", actor);
    snprintf(im->source, sizeof im->source, "%s", source);
    im->err = err;
    im->arg = arg;
    return im;
}

static void imp_refuse(db_devices_import_t *im, const struct dev_row *row, const char *msg)
{
    char full[DB_DEVICE_MSG_MAX + 300];
    snprintf(full, sizeof full, "%s:%u:%u: %s", im->source, row->line, row->col, msg);
    im->refused++;
    im->refused_ep = im->a.buf + row->off[0];
    if (im->err) im->err(im->arg, row->line, row->col, full);
    im->refused_ep = NULL;
}

/* Writes the batch row by row under savepoints (after the batch failed whole). */
static int imp_rows_one_by_one(db_devices_import_t *im)
{
    char sql[1024];
    size_t n = (size_t)snprintf(sql, sizeof sql, "%s", dev_insert_cols);
    n = dev_values_sql(sql, n, sizeof sql, 0);
    snprintf(sql + n, sizeof sql - n, " ON CONFLICT DO NOTHING RETURNING endpoint");
    int r = db_begin(im->db);
    for (size_t i = 0; r == 0 && i < im->nrows; i++) {
        const char *p[DEV_NCOLS];
        dev_param_ptrs(&im->a, &im->rows[i], p);
        if ((r = db_exec(im->db, "SAVEPOINT row")) < 0) break;
        PGresult *res = PQexecParams(db_pg(im->db), sql, DEV_NCOLS, NULL, p, NULL, NULL, 0);
        char msg[DB_DEVICE_MSG_MAX];
        if (PQresultStatus(res) != PGRES_TUPLES_OK) {
            const char *pm = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
            snprintf(msg, sizeof msg, "refused by the database: %s", pm ? pm : "error");
            PQclear(res);
            if ((r = db_exec(im->db, "ROLLBACK TO SAVEPOINT row")) < 0) break;
            imp_refuse(im, &im->rows[i], msg);
            continue;
        }
        bool stored = PQntuples(res) == 1;
        PQclear(res);
        if (stored) {
            im->imported++;
        } else if ((r = dev_explain_conflict(im->db, p, false, msg, sizeof msg)) == 0) {
            imp_refuse(im, &im->rows[i], msg);
        }
        if (r == 0) r = db_exec(im->db, "RELEASE SAVEPOINT row");
    }
    if (r == 0) r = db_commit(im->db);
    if (r < 0) db_rollback(im->db);
    return r;
}

static int imp_flush(db_devices_import_t *im)
{
    if (im->nrows == 0) return 0;
    size_t n = (size_t)snprintf(im->sql, 512, "%s", dev_insert_cols);
    for (size_t i = 0; i < im->nrows; i++) {
        n = dev_values_sql(im->sql, n, DB_DEVICES_BATCH * DEV_ROW_SQL_MAX + 512, i);
        dev_param_ptrs(&im->a, &im->rows[i], im->p + i * DEV_NCOLS);
    }
    snprintf(im->sql + n, 64, " ON CONFLICT DO NOTHING RETURNING endpoint");
    int r = db_begin(im->db);
    if (r < 0) return r;
    PGresult *res =
        PQexecParams(db_pg(im->db), im->sql, (int)(im->nrows * DEV_NCOLS), NULL, im->p, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        PQclear(res);
        db_rollback(im->db);
        r = imp_rows_one_by_one(im);
        goto done;
    }
    /* Rows missing from RETURNING conflicted with existing devices. */
    size_t ret = (size_t)PQntuples(res), k = 0;
    for (size_t i = 0; r == 0 && i < im->nrows; i++) {
        const char *ep = im->p[i * DEV_NCOLS];
        bool stored = false;
        for (size_t j = 0; j < ret && !stored; j++) { /* RETURNING keeps VALUES order in practice */
            size_t at = (k + j) % ret;
            if (strcmp(PQgetvalue(res, (int)at, 0), ep) == 0) {
                stored = true;
                k = at + 1;
            }
        }
        if (stored) {
            im->imported++;
            continue;
        }
        char msg[DB_DEVICE_MSG_MAX];
        r = dev_explain_conflict(im->db, im->p + i * DEV_NCOLS, false, msg, sizeof msg);
        if (r == 0) imp_refuse(im, &im->rows[i], msg);
    }
    PQclear(res);
    if (r == 0) r = db_commit(im->db);
    if (r < 0) db_rollback(im->db);
done:
    im->nrows = 0;
    im->a.len = 0;
    return r;
}

int db_devices_import_add(db_devices_import_t *im, const db_device_t *d)
{
    if (d->kind == DEVFILE_PSK && !im->have_mkey) {
        int k = db_credential_key(im->db, im->sb, im->mkey);
        if (k < 0) return k;
        im->have_mkey = true;
    }
    int r = dev_params(im->sb, im->mkey, d, &im->a, &im->rows[im->nrows]);
    if (r < 0) {
        db_set_error(im->db, "device %s: %s", d->endpoint,
                     r == -ENOKEY ? "no secret key to seal with" : strerror(-r));
        return r;
    }
    if (++im->nrows == DB_DEVICES_BATCH) return imp_flush(im);
    return 0;
}

static void imp_free(db_devices_import_t *im)
{
    explicit_bzero(im->mkey, sizeof im->mkey);
    free(im->a.buf);
    free(im->sql);
    free(im->p);
    free(im);
}

/* The device.import audit row: what this import stored, and whether it ran to its end. */
static int imp_audit(db_devices_import_t *im, bool complete)
{
    char det[512];
    json_t *o = json_pack("{s:s, s:I, s:I, s:b}", "source", im->source, "imported", (json_int_t)im->imported,
                          "refused_by_database", (json_int_t)im->refused, "complete", complete);
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    snprintf(det, sizeof det, "%s", s ? s : "{}");
    free(s);
    json_decref(o);
    return db_audit_write(im->db, im->actor, "device.import", "devices", det);
}

int db_devices_import_end(db_devices_import_t *im, size_t *imported, size_t *refused)
{
    int r = imp_flush(im);
    if (r == 0) r = imp_audit(im, true);
    if (imported) *imported = im->imported;
    if (refused) *refused = im->refused;
    imp_free(im);
    return r;
}

void db_devices_import_abort(db_devices_import_t *im)
{
    if (im == NULL) return;
    if (im->db) {
        db_rollback(im->db);
        /* Batches already committed stay: say so in the audit. */
        if (im->imported > 0) imp_audit(im, false);
    }
    imp_free(im);
}

void db_devices_import_set_db(db_devices_import_t *im, db_t *db)
{
    im->db = db;
}

const char *db_devices_import_row_endpoint(const db_devices_import_t *im)
{
    return im->refused_ep ? im->refused_ep : "";
}
