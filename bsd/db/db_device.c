/*
 * db_device.c — checks and defaults for one device record (contract in
 * db_device.h). The rules mirror bsd/util/devfile.c; the SPKI shape check is
 * bsd/util/spki.c's and the hex and number decoders are bsd/util/lex.c's.
 * Parsing of whole files lives in devimport.c.
 */
#include "bsd/db/db_device.h"

#include "bsd/util/utf8.h"

#include "bsd/util/lex.h"
#include "bsd/util/spki.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const db_field_names[DB_F_COUNT] = {
    "endpoint",
    "kind",
    "psk_identity",
    "psk_key",
    "spki",
    "x509_name_type",
    "x509_name",
    "fingerprint",
    "nosec_allow",
    "oscore_sender_id",
    "oscore_recipient_id",
    "oscore_secret",
    "oscore_salt",
    "oscore_id_context",
    "labels",
    "serial",
};

/* Kind that uses a field (0: every kind). */
static const int db_field_kind[DB_F_COUNT] = {
    0,
    0,
    DEVFILE_PSK,
    DEVFILE_PSK,
    DEVFILE_RPK,
    DEVFILE_X509,
    DEVFILE_X509,
    DEVFILE_X509,
    DEVFILE_NOSEC,
    DB_DEVICE_OSCORE,
    DB_DEVICE_OSCORE,
    DB_DEVICE_OSCORE,
    DB_DEVICE_OSCORE,
    DB_DEVICE_OSCORE,
    0,
    0,
};

static const char *const db_name_types[] = {"cn", "san_dns", "san_uri", "san_email"};

const char *db_field_name(int f)
{
    return f >= 0 && f < DB_F_COUNT ? db_field_names[f] : NULL;
}

const char *db_device_kind_name(int kind)
{
    return kind == DB_DEVICE_OSCORE ? "oscore" : devfile_kind_name(kind);
}

bool db_device_has_secret(const db_device_t *d)
{
    return d->kind == DEVFILE_PSK || db_device_has_oscore(d);
}

/* The kinds that may carry an OSCORE context besides oscore: DTLS ones. */
static bool db_kind_dtls(int kind)
{
    return kind == DEVFILE_PSK || kind == DEVFILE_RPK || kind == DEVFILE_X509;
}

/* Bits of the OSCORE fields in db_device_t.given. */
#define DB_OSCORE_FIELDS                                                                                     \
    (1u << DB_F_OSCORE_SENDER_ID | 1u << DB_F_OSCORE_RECIPIENT_ID | 1u << DB_F_OSCORE_SECRET |               \
     1u << DB_F_OSCORE_SALT | 1u << DB_F_OSCORE_ID_CONTEXT)

bool db_device_has_oscore(const db_device_t *d)
{
    return d->kind == DB_DEVICE_OSCORE || (db_kind_dtls(d->kind) && (d->given & DB_OSCORE_FIELDS) != 0);
}

/* Whether a device of |kind| may have field |f|. */
static bool db_field_ok(int f, int kind)
{
    int k = db_field_kind[f];
    return k == 0 || kind == 0 || kind == k || (k == DB_DEVICE_OSCORE && db_kind_dtls(kind));
}

void db_device_clear(db_device_t *d)
{
    explicit_bzero(d, sizeof *d);
}

static int db_fail(char *msg, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int db_fail(char *msg, size_t cap, const char *fmt, ...)
{
    if (msg != NULL && cap > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, cap, fmt, ap);
        va_end(ap);
    }
    return -EINVAL;
}

/* Strict UTF-8 (utf8.h), and no NUL byte: PostgreSQL text cannot hold one. */
static bool db_utf8_ok(const char *s, size_t len)
{
    return memchr(s, 0, len) == NULL && utf8_valid(s, len);
}

static bool db_printable_ascii(const char *s, size_t len, bool space_ok)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c >= 0x7f || (c == 0x20 && !space_ok)) return false;
    }
    return true;
}

static int db_hex(const char *what, const char *val, size_t len, uint8_t *out, size_t max, size_t *outlen,
                  char *msg, size_t cap)
{
    size_t bad;
    int r = lex_hex_decode(val, len, out, max, outlen, &bad);
    if (r == -E2BIG) return db_fail(msg, cap, "%s too long (max %zu bytes)", what, max);
    if (r < 0 && bad == len) return db_fail(msg, cap, "%s has an odd number of hex digits", what);
    if (r < 0) return db_fail(msg, cap, "%s must be hex digits", what);
    return 0;
}

char *db_device_allow_format(const devfile_cidr_t *c, char *out, size_t cap)
{
    char a[INET6_ADDRSTRLEN];
    if (inet_ntop(c->family, c->addr, a, sizeof a) == NULL) snprintf(a, sizeof a, "?");
    snprintf(out, cap, "%s/%u", a, (unsigned)c->prefix);
    return out;
}

static bool db_allow_sep(char c)
{
    return c == ' ' || c == ';' || c == ',' || c == '\t';
}

static int db_set_allow(db_device_t *d, const char *val, size_t len, char *msg, size_t cap)
{
    size_t i = 0;
    while (i < len) {
        if (db_allow_sep(val[i])) {
            i++;
            continue;
        }
        size_t e = i;
        while (e < len && !db_allow_sep(val[e]))
            e++;
        int n = (int)(e - i > 64 ? 64 : e - i);
        if (d->allow_count == DB_DEVICE_ALLOW_MAX)
            return db_fail(msg, cap, "too many entries in nosec_allow (max %d)", DB_DEVICE_ALLOW_MAX);
        devfile_cidr_t *c = &d->allow[d->allow_count];
        int r = devfile_cidr_parse(val + i, e - i, c);
        if (r == -EDOM)
            return db_fail(msg, cap, "nosec_allow: '%.*s' has bits set beyond the prefix length", n, val + i);
        if (r < 0 || !db_printable_ascii(val + i, e - i, false))
            return db_fail(msg, cap,
                           "nosec_allow: invalid address or prefix '%.*s' (e.g. 192.0.2.0/24, 2001:db8::1)",
                           db_printable_ascii(val + i, (size_t)n, false) ? n : 0, val + i);
        for (size_t k = 0; k < d->allow_count; k++)
            if (memcmp(&d->allow[k], c, sizeof *c) == 0)
                return db_fail(msg, cap, "duplicate entry '%.*s' in nosec_allow", n, val + i);
        d->allow_count++;
        i = e;
    }
    return 0;
}

static bool db_label_key_ok(const char *s, size_t n)
{
    if (n == 0 || n > DB_DEVICE_LABEL_KEY_MAX) return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
              c == '_' || c == '/' || c == '-'))
            return false;
    }
    return true;
}

static int db_set_labels(db_device_t *d, const char *val, size_t len, char *msg, size_t cap)
{
    size_t i = 0;
    while (i < len) {
        size_t e = i;
        while (e < len && val[e] != ';')
            e++;
        if (e == i) {
            i++;
            continue;
        }
        const char *eq = memchr(val + i, '=', e - i);
        int show = (int)(e - i > 40 ? 40 : e - i);
        if (!db_printable_ascii(val + i, (size_t)show, true)) show = 0;
        if (eq == NULL) return db_fail(msg, cap, "labels: expected key=value, got '%.*s'", show, val + i);
        size_t kl = (size_t)(eq - (val + i)), vl = e - i - kl - 1;
        const char *v = eq + 1;
        if (!db_label_key_ok(val + i, kl))
            return db_fail(msg, cap, "label key '%.*s' must be 1..%d of A-Z a-z 0-9 . _ / -",
                           kl <= 40 && db_printable_ascii(val + i, kl, false) ? (int)kl : 0, val + i,
                           DB_DEVICE_LABEL_KEY_MAX);
        if (vl > DB_DEVICE_LABEL_VAL_MAX)
            return db_fail(msg, cap, "label '%.*s': value too long (max %d bytes)", (int)kl, val + i,
                           DB_DEVICE_LABEL_VAL_MAX);
        bool ok = db_utf8_ok(v, vl);
        for (size_t k = 0; ok && k < vl; k++)
            ok = (unsigned char)v[k] >= 0x20 && v[k] != 0x7f;
        if (!ok)
            return db_fail(msg, cap, "label '%.*s': value must be UTF-8 without control bytes", (int)kl,
                           val + i);
        for (size_t k = 0; k < d->nlabels; k++)
            if (strlen(d->labels[k].key) == kl && memcmp(d->labels[k].key, val + i, kl) == 0)
                return db_fail(msg, cap, "duplicate label '%.*s'", (int)kl, val + i);
        if (d->nlabels == DB_DEVICE_LABELS_MAX)
            return db_fail(msg, cap, "too many labels (max %d)", DB_DEVICE_LABELS_MAX);
        db_label_t *l = &d->labels[d->nlabels++];
        memcpy(l->key, val + i, kl);
        l->key[kl] = 0;
        memcpy(l->value, v, vl);
        l->value[vl] = 0;
        i = e;
    }
    return 0;
}

/* 64 hex digits, or 32 hex pairs separated by ':' (openssl's form). */
static int db_set_fingerprint(db_device_t *d, const char *val, size_t len, char *msg, size_t cap)
{
    char hex[2 * DEVFILE_FINGERPRINT_LEN];
    size_t n = 0;
    bool colons = len == 3 * DEVFILE_FINGERPRINT_LEN - 1;
    for (size_t i = 0; i < len; i++) {
        if (colons && i % 3 == 2) {
            if (val[i] != ':') goto bad;
            continue;
        }
        if (n == sizeof hex) goto bad;
        hex[n++] = val[i];
    }
    size_t outlen, badpos;
    if (n != sizeof hex ||
        lex_hex_decode(hex, n, d->fingerprint, sizeof d->fingerprint, &outlen, &badpos) < 0)
        goto bad;
    d->has_fingerprint = true;
    return 0;
bad:
    return db_fail(msg, cap, "fingerprint must be the SHA-256 of the certificate: 64 hex digits");
}

static const char *db_kind_plural(int kind)
{
    return db_device_kind_name(kind);
}

/* An OSCORE value: hex of |min|..|max| bytes into |out|; a secret is wiped
 * from |out| when refused. */
static int db_set_oscore(const char *name, const char *val, size_t len, uint8_t *out, size_t min, size_t max,
                         size_t *outlen, char *msg, size_t cap)
{
    size_t n = 0;
    int r = len == 0 ? 0 : db_hex(name, val, len, out, max, &n, msg, cap);
    if (r == 0 && n < min) r = db_fail(msg, cap, "%s must be at least %zu bytes (got %zu)", name, min, n);
    if (r < 0) {
        explicit_bzero(out, max);
        return r;
    }
    *outlen = n;
    return 0;
}

/* The field of an oscore device for which an empty value is the empty ID. */
static bool db_empty_is_value(const db_device_t *d, int f)
{
    return d->kind == DB_DEVICE_OSCORE && (f == DB_F_OSCORE_SENDER_ID || f == DB_F_OSCORE_RECIPIENT_ID);
}

int db_device_set_field(db_device_t *d, int f, const char *val, size_t len, char *msg, size_t cap)
{
    if (f < 0 || f >= DB_F_COUNT) return db_fail(msg, cap, "unknown field");
    if (len == 0 && db_kind_dtls(d->kind) && (f == DB_F_OSCORE_SENDER_ID || f == DB_F_OSCORE_RECIPIENT_ID)) {
        d->given_empty |= 1u << f; /* the empty ID if the record turns out to have OSCORE */
        return 0;
    }
    if (len == 0 && !db_empty_is_value(d, f)) return 0;
    const char *name = db_field_names[f];
    if (!db_field_ok(f, d->kind))
        return db_fail(msg, cap, "%s is not used by %s devices", name, db_kind_plural(d->kind));
    if ((d->given & (1u << f)) && f != DB_F_LABELS && f != DB_F_NOSEC_ALLOW)
        return db_fail(msg, cap, "%s given twice", name);
    int r = 0;
    size_t n;
    switch (f) {
    case DB_F_ENDPOINT:
        if (len > DB_DEVICE_ENDPOINT_MAX)
            return db_fail(msg, cap, "endpoint name too long (max %d bytes)", DB_DEVICE_ENDPOINT_MAX);
        if (!db_printable_ascii(val, len, false))
            return db_fail(msg, cap, "endpoint name must be printable ASCII without spaces");
        memcpy(d->endpoint, val, len);
        d->endpoint[len] = 0;
        break;
    case DB_F_KIND:
        for (int k = DEVFILE_PSK; k <= DB_DEVICE_OSCORE; k++)
            if (strlen(db_device_kind_name(k)) == len && memcmp(val, db_device_kind_name(k), len) == 0)
                d->kind = k;
        if (d->kind == 0)
            return db_fail(msg, cap, "unknown device kind '%.*s' (expected psk, rpk, x509, nosec or oscore)",
                           len <= 16 && db_printable_ascii(val, len, true) ? (int)len : 0, val);
        break;
    case DB_F_PSK_IDENTITY:
        if (len > DB_DEVICE_IDENTITY_MAX)
            return db_fail(msg, cap, "psk_identity too long (max %d bytes)", DB_DEVICE_IDENTITY_MAX);
        if (!db_utf8_ok(val, len)) return db_fail(msg, cap, "psk_identity must be UTF-8 without NUL bytes");
        memcpy(d->psk_identity, val, len);
        d->psk_identity[len] = 0;
        break;
    case DB_F_PSK_KEY:
        r = db_hex("psk_key", val, len, d->psk_key, sizeof d->psk_key, &n, msg, cap);
        if (r == 0 && n < DB_DEVICE_PSK_KEY_MIN)
            r = db_fail(msg, cap, "psk_key must be at least %d bytes (got %zu)", DB_DEVICE_PSK_KEY_MIN, n);
        if (r < 0) {
            explicit_bzero(d->psk_key, sizeof d->psk_key);
            return r;
        }
        d->psk_key_len = n;
        break;
    case DB_F_SPKI:
        r = db_hex("spki", val, len, d->spki, sizeof d->spki, &n, msg, cap);
        if (r < 0) return r;
        if (!spki_der_ok(d->spki, n)) return db_fail(msg, cap, "spki is not a DER SubjectPublicKeyInfo");
        d->spki_len = n;
        break;
    case DB_F_X509_NAME_TYPE:
        r = -1;
        for (int t = 0; t < 4; t++)
            if (strlen(db_name_types[t]) == len && memcmp(val, db_name_types[t], len) == 0) {
                d->x509_name_type = t;
                r = 0;
            }
        if (r < 0) return db_fail(msg, cap, "x509_name_type must be cn, san_dns, san_uri or san_email");
        break;
    case DB_F_X509_NAME:
        if (len > DB_DEVICE_NAME_MAX)
            return db_fail(msg, cap, "x509_name too long (max %d bytes)", DB_DEVICE_NAME_MAX);
        if (!db_utf8_ok(val, len)) return db_fail(msg, cap, "x509_name must be UTF-8 without NUL bytes");
        memcpy(d->x509_name, val, len);
        d->x509_name[len] = 0;
        break;
    case DB_F_FINGERPRINT: r = db_set_fingerprint(d, val, len, msg, cap); break;
    case DB_F_NOSEC_ALLOW: r = db_set_allow(d, val, len, msg, cap); break;
    case DB_F_OSCORE_SENDER_ID:
        r = db_set_oscore(name, val, len, d->oscore_sender_id, 0, DB_DEVICE_OSCORE_ID_MAX,
                          &d->oscore_sender_id_len, msg, cap);
        break;
    case DB_F_OSCORE_RECIPIENT_ID:
        r = db_set_oscore(name, val, len, d->oscore_recipient_id, 0, DB_DEVICE_OSCORE_ID_MAX,
                          &d->oscore_recipient_id_len, msg, cap);
        break;
    case DB_F_OSCORE_SECRET:
        r = db_set_oscore(name, val, len, d->oscore_secret, DB_DEVICE_OSCORE_SECRET_MIN,
                          DB_DEVICE_OSCORE_SECRET_MAX, &d->oscore_secret_len, msg, cap);
        break;
    case DB_F_OSCORE_SALT:
        r = db_set_oscore(name, val, len, d->oscore_salt, 1, DB_DEVICE_OSCORE_SALT_MAX, &d->oscore_salt_len,
                          msg, cap);
        d->oscore_has_salt = r == 0;
        break;
    case DB_F_OSCORE_ID_CONTEXT:
        r = db_set_oscore(name, val, len, d->oscore_id_context, 1, DB_DEVICE_OSCORE_IDCTX_MAX,
                          &d->oscore_id_context_len, msg, cap);
        break;
    case DB_F_LABELS: r = db_set_labels(d, val, len, msg, cap); break;
    case DB_F_SERIAL:
        if (len > DB_DEVICE_SERIAL_MAX)
            return db_fail(msg, cap, "serial too long (max %d bytes)", DB_DEVICE_SERIAL_MAX);
        if (!db_printable_ascii(val, len, true)) return db_fail(msg, cap, "serial must be printable ASCII");
        memcpy(d->serial, val, len);
        d->serial[len] = 0;
        break;
    default: break;
    }
    if (r < 0) return r;
    d->given |= 1u << f;
    return 0;
}

int db_device_finish(db_device_t *d, char *msg, size_t cap)
{
    if (d->endpoint[0] == 0) return db_fail(msg, cap, "endpoint is required");
    if (d->kind == 0) return db_fail(msg, cap, "kind is required (psk, rpk, x509, nosec or oscore)");
    for (int f = 0; f < DB_F_COUNT; f++)
        if ((d->given & (1u << f)) && !db_field_ok(f, d->kind))
            return db_fail(msg, cap, "%s is not used by %s devices", db_field_names[f],
                           db_kind_plural(d->kind));
    switch (d->kind) {
    case DEVFILE_PSK:
        if (d->psk_key_len == 0) return db_fail(msg, cap, "psk device needs psk_key");
        if (d->psk_identity[0] == 0) {
            if (strlen(d->endpoint) > DB_DEVICE_IDENTITY_MAX)
                return db_fail(
                    msg, cap,
                    "endpoint name too long to be the PSK identity (max %d bytes); give psk_identity",
                    DB_DEVICE_IDENTITY_MAX);
            memcpy(d->psk_identity, d->endpoint, strlen(d->endpoint) + 1);
        }
        break;
    case DEVFILE_RPK:
        if (d->spki_len == 0) return db_fail(msg, cap, "rpk device needs spki");
        break;
    case DEVFILE_X509: {
        if (d->x509_name[0] == 0) memcpy(d->x509_name, d->endpoint, strlen(d->endpoint) + 1);
        const char *s = d->x509_name;
        if (d->x509_name_type == DEVFILE_NAME_SAN_URI && (strchr(s, ':') == NULL || s[0] == ':'))
            return db_fail(msg, cap, "x509_name must be an absolute URI (scheme:...) for san_uri");
        if (d->x509_name_type == DEVFILE_NAME_SAN_EMAIL && strchr(s, '@') == NULL)
            return db_fail(msg, cap, "x509_name must be an e-mail address (local@domain) for san_email");
        break;
    }
    case DEVFILE_NOSEC:
        if (d->allow_count == 0) return db_fail(msg, cap, "nosec device needs nosec_allow");
        break;
    default: break;
    }
    /* OSCORE inside DTLS: a psk, rpk or x509 record with any OSCORE field
     * has a context, and an ID given as "" is then the empty ID. */
    if (!db_device_has_oscore(d)) return 0;
    if (d->kind != DB_DEVICE_OSCORE) d->given |= d->given_empty;
    const char *k = d->kind == DB_DEVICE_OSCORE ? "oscore device" : "device with an OSCORE context";
    /* Checked by presence, not length: the empty ID is valid. */
    if (!(d->given & (1u << DB_F_OSCORE_SENDER_ID)))
        return db_fail(msg, cap, "%s needs oscore_sender_id (\"\" for the empty ID)", k);
    if (!(d->given & (1u << DB_F_OSCORE_RECIPIENT_ID)))
        return db_fail(msg, cap, "%s needs oscore_recipient_id (\"\" for the empty ID)", k);
    if (d->oscore_secret_len == 0) return db_fail(msg, cap, "%s needs oscore_secret", k);
    /* One context's two IDs must differ (§3.3): equal IDs would give
     * equal sender and recipient keys. */
    if (d->oscore_sender_id_len == d->oscore_recipient_id_len &&
        memcmp(d->oscore_sender_id, d->oscore_recipient_id, d->oscore_sender_id_len) == 0)
        return db_fail(msg, cap, "oscore_sender_id and oscore_recipient_id must differ");
    return 0;
}
