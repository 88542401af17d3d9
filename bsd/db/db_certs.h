/*
 * db_certs.h — certificates issued by the EST CA (bsd/est) in the
 * certificates table (migration 0007): recorded before the certificate
 * leaves, looked up for idempotent retries and re-enrollment, listed,
 * revoked, and read back for the CRL and the daemon's revoked set.
 *
 * The serial is the primary key: a serial can never be recorded twice, and
 * a certificate is never sent before its row is committed.
 *
 * Error codes are negative errno values; db_errmsg() has the text.
 */
#ifndef BSD_DB_DB_CERTS_H
#define BSD_DB_DB_CERTS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "bsd/db/db.h"

#define DB_CERTS_PAGE_MAX 1000

/* How a certificate came to be. */
#define DB_CERT_KIND_ENROLL    "enroll"    /* EST /sen */
#define DB_CERT_KIND_REENROLL  "reenroll"  /* EST /sren */
#define DB_CERT_KIND_BOOTSTRAP "bootstrap" /* key pair and certificate written at bootstrap */

/* One issued certificate. On insert every field but revoked_at/reason is
 * given; on read strings are valid during the callback only. */
typedef struct db_cert {
    uint8_t serial[20];
    size_t serial_len;
    const char *endpoint;
    const char *kind;    /* DB_CERT_KIND_* */
    const char *subject; /* est_name_str() text */
    int64_t not_before;  /* seconds since the epoch */
    int64_t not_after;
    const uint8_t *der; /* the certificate */
    size_t der_len;
    uint8_t fingerprint[32]; /* SHA-256 of der */
    uint8_t spki_sha256[32]; /* SHA-256 of its SubjectPublicKeyInfo */
    uint8_t csr_sha256[32];  /* SHA-256 of the request it answered (zero for bootstrap) */
    int64_t issued_at;       /* read only */
    int64_t revoked_at;      /* read only; 0 when not revoked */
    int revocation_reason;   /* read only; RFC 5280 CRLReason, -1 none */
    const char *revoked_by;  /* read only; audit actor of the revocation, "" when none */
    int64_t issued_at_us;    /* read only; issued_at in microseconds (list cursors) */
} db_cert_t;

typedef int (*db_cert_fn)(void *arg, const db_cert_t *c);

/*
 * Records |c| (one transaction). Returns 0; -EEXIST when the serial (or the
 * fingerprint) is already recorded — draw a new serial and issue again;
 * -EIO.
 */
int db_certs_insert(db_t *db, const db_cert_t *c);

/*
 * The newest certificate of |endpoint| that answered the request with hash
 * |csr_sha256|, is not revoked and has not expired at |now|: an identical
 * request retried (a lost response, a 5.03 the client waited out) gets the
 * same certificate instead of a second one. Calls |fn| once when found.
 * Returns 1 (found), 0 (none), -EIO, or what |fn| returned if non-zero...
 */
int db_certs_find_by_csr(db_t *db, const char *endpoint, const uint8_t csr_sha256[32], int64_t now,
                         db_cert_fn fn, void *arg);

/*
 * The device's current certificate: the newest one of |endpoint| (any kind
 * but bootstrap) not revoked and not expired at |now|. Calls |fn| once when
 * there is one. Returns 1, 0 (none), or -EIO.
 */
int db_certs_current(db_t *db, const char *endpoint, int64_t now, db_cert_fn fn, void *arg);

/* How many certificates |endpoint| was issued at or after |since| (seconds
 * since the epoch), for the per-device rate limit. Returns the count or
 * -EIO. */
long db_certs_count_since(db_t *db, const char *endpoint, int64_t since);

/* Calls |fn| for every revoked certificate (serial, fingerprint,
 * revoked_at, reason; der NULL), oldest revocation first. Returns 0, -EIO,
 * or what |fn| returned. */
int db_certs_revoked(db_t *db, db_cert_fn fn, void *arg);

/* ---- the API and bsctl: search, one certificate, revocation, CRL ------- */

#define DB_CERT_REASON_MAX 10 /* highest RFC 5280 CRLReason (7 is not assigned) */

/* The RFC 5280 §5.3.1 name of CRLReason |reason| ("keyCompromise"), or
 * NULL for -1 and values that are not assigned. */
const char *db_cert_reason_name(int reason);

/* The CRLReason named |name| (as db_cert_reason_name spells it), or -1. */
int db_cert_reason_parse(const char *name);

/* Parses a serial written in hex (either case; octets may be separated by
 * ':' as openssl prints them; an odd digit count reads as a leading 0)
 * into |out|. Returns its length in octets (1..20), or 0 when malformed. */
size_t db_cert_serial_parse(const char *s, uint8_t out[20]);

/* |c| as the JSON the API answers and bsctl prints (der left out): serial,
 * endpoint, kind, subject, not_before, not_after, issued_at (RFC 3339),
 * fingerprint, spki_sha256, csr_sha256 (hex; csr null when none), status
 * at |now| ("valid", "expired", "revoked"), revoked_at, reason (name),
 * revoked_by (null when not revoked). NULL on out-of-memory. */
json_t *db_cert_json(const db_cert_t *c, int64_t now);

/* What to list; NULL/0 fields do not filter. */
typedef struct db_certs_filter {
    const char *endpoint;      /* equal to */
    const char *status;        /* "valid" (not revoked, not expired), "revoked", "expired" (not revoked) */
    const char *serial_prefix; /* lower-case hex: serials starting with these digits */
    const char *since;         /* issued_at >= since (RFC 3339 the caller has checked) */
    const char *until;         /* issued_at < until */
    /* Keyset: rows after (before_us, before_serial) in the order
     * issued_at DESC, serial DESC; before_us 0 = from the newest. */
    int64_t before_us;
    uint8_t before_serial[20];
    size_t before_serial_len;
    unsigned limit; /* 1..DB_CERTS_PAGE_MAX + 1 (a page and one row to look ahead) */
} db_certs_filter_t;

#define DB_CERTS_CURSOR_MAX 64 /* bytes of a list cursor, NUL included */

/* Writes the cursor of a page ending with a row issued at |us|
 * (issued_at_us) with serial |serial| (|len| octets): the opaque text
 * "<microseconds>-<serial hex>" clients pass back. Returns |out|. */
char *db_certs_cursor(int64_t us, const uint8_t *serial, size_t len, char out[DB_CERTS_CURSOR_MAX]);

/* Reads a cursor written by db_certs_cursor into f->before_us and
 * f->before_serial. Returns 0, or -EINVAL when |s| is not one. */
int db_certs_cursor_parse(const char *s, db_certs_filter_t *f);

/*
 * Calls |fn| for the certificates matching |f|, newest issued first, at
 * most f->limit of them; der is NULL (db_certs_get reads it).
 * Returns 0; -EINVAL (limit, status or serial prefix malformed, or a time
 * PostgreSQL rejects); -EIO; or what |fn| returned.
 */
int db_certs_list(db_t *db, const db_certs_filter_t *f, db_cert_fn fn, void *arg);

/* Calls |fn| once with the certificate of serial |serial| (|len| octets),
 * der included. Returns 0; -ENOENT; -EIO; or what |fn| returned. */
int db_certs_get(db_t *db, const uint8_t *serial, size_t len, db_cert_fn fn, void *arg);

/*
 * Revokes the certificate of serial |serial| now with CRLReason |reason|
 * (0..10 but 7; certificateHold (6) and removeFromCRL (8) are refused: a
 * revocation here is final), writing the audit row "certificate.revoked"
 * (object "certificate:<serial hex>", details endpoint and reason) by
 * |actor| in the same transaction. The row's trigger notifies bsd_changes
 * "certificates:revoked". Returns 0; -ENOENT (no such serial); -EALREADY
 * (revoked before); -EINVAL (reason); -EIO.
 */
int db_certs_revoke(db_t *db, const uint8_t *serial, size_t len, int reason, const char *actor);

/* The next cRLNumber (sequence crl_number, 1, 2, ...) into |out|.
 * Returns 0 or -EIO. */
int db_certs_crl_number(db_t *db, uint64_t *out);

#endif
