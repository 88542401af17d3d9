/*
 * db_certs_boot.h — certificates of kind "bootstrap" in the certificates
 * table (migration 0007): the ones this server's EST CA issued for x509
 * accounts whose key pair a policy generates (`client_certificate: issue`,
 * docs/POLICY.md), found again by device, key and subject so a device keeps
 * its certificate across bootstraps and reloads, and recorded in batches
 * before any of them is written to a device.
 *
 * A stored certificate is reused while it is not revoked and more than a
 * third of its validity is left; then the loader issues a new one. Issuing
 * is the caller's (bsd/dbload.c with bsd/est/est_ca.h); rows are written
 * with db_certs_insert()'s columns (bsd/db/db_certs.h).
 *
 * Error codes are negative errno values; db_errmsg() has the text.
 */
#ifndef BSD_DB_DB_CERTS_BOOT_H
#define BSD_DB_DB_CERTS_BOOT_H

#include <stddef.h>
#include <stdint.h>

#include "bsd/db/db.h"
#include "bsd/db/db_certs.h"
#include "bsd/policy/policy.h"

#define DB_CERTS_BOOT_BATCH 200 /* rows per recording transaction */

/* One reusable bootstrap certificate (owned by its set). */
typedef struct db_boot_cert {
    uint8_t serial[20];
    size_t serial_len;
    const uint8_t *der;
    size_t der_len;
} db_boot_cert_t;

typedef struct db_certs_boot db_certs_boot_t;

/*
 * Reads, in one query, every bootstrap certificate that is not revoked and
 * has more than a third of its validity left (by the database's clock),
 * into a set looked up by (endpoint, key, subject); of several, the newest
 * issued. Rows stream in (libpq single-row mode), so the result is held
 * once. Returns 0 with |*out| set (free with db_certs_boot_free); -EIO;
 * -ENOMEM.
 */
int db_certs_boot_load(db_t *db, db_certs_boot_t **out);

/* The certificate of |endpoint| whose SubjectPublicKeyInfo has SHA-256
 * |spki_sha256| and whose recorded subject is |subject|, or NULL. */
const db_boot_cert_t *db_certs_boot_find(const db_certs_boot_t *s, const char *endpoint,
                                         const uint8_t spki_sha256[32], const char *subject);

/* Certificates in the set. */
size_t db_certs_boot_count(const db_certs_boot_t *s);

void db_certs_boot_free(db_certs_boot_t *s);

/*
 * Records the |n| certificates |c| (kind DB_CERT_KIND_BOOTSTRAP, no request
 * hash) in one transaction: all or none. Returns 0; -EEXIST (a serial or
 * fingerprint is taken: nothing is recorded, the caller draws new serials);
 * -EINVAL (a row lacks its serial or DER); -EIO.
 */
int db_certs_boot_insert(db_t *db, const db_cert_t *c, size_t n);

/* ---- one device, for dry runs ------------------------------------------- */

/* The stored certificates of one device, by SSID, for policy_device_t. */
typedef struct db_certs_boot_dev {
    policy_device_cert_t certs[POLICY_MAX_SERVERS];
    size_t n;       /* certificates found */
    size_t missing; /* accounts without one yet (the next load issues it) */
} db_certs_boot_dev_t;

/*
 * For every account of |p| with `client_certificate: issue`, the stored
 * certificate of the device |pd| under the same rule as
 * db_certs_boot_load() (policy_x509_issue_keys with |ctx| gives key and
 * subject), into |out| (free with db_certs_boot_dev_free). Returns 0;
 * -EINVAL (the policy cannot fill the subject for the device: |err| says
 * why); -EIO; -ENOMEM.
 */
int db_certs_boot_device(db_t *db, const policy_t *p, const policy_device_t *pd, const policy_ctx_t *ctx,
                         db_certs_boot_dev_t *out, char *err, size_t errcap);

void db_certs_boot_dev_free(db_certs_boot_dev_t *d);

#endif /* BSD_DB_DB_CERTS_BOOT_H */
