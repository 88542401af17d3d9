/*
 * db_devices.h — the devices table: add, put (create or replace), patch
 * (labels, serial), get, remove, list and query (labels, prefix, keyset
 * pages), bulk import, and the streaming load the daemon builds its
 * credential store from.
 *
 * PSK keys are sealed with the secretbox (secretbox.h) under the associated
 * data "devices.psk_key" NUL <endpoint>: a sealed key copied into another
 * device's row does not open. OSCORE Master Secrets and Salts likewise
 * ("devices.oscore_secret", "devices.oscore_salt"; db_device_oscore.h).
 * Reads that do not need the key (list, get without a keyring) never open
 * it.
 *
 * Every change writes an audit row (db_audit.h) in the same transaction;
 * triggers in the schema notify channel bsd_changes ("devices:<endpoint>").
 * Records and their rules: db_device.h. Schema: db/migrations/.
 *
 * Error codes are negative errno values; db_errmsg() has the text, which
 * never contains a key.
 */
#ifndef BSD_DB_DB_DEVICES_H
#define BSD_DB_DB_DEVICES_H

#include "bsd/db/db.h"
#include "bsd/db/db_device.h"
#include "bsd/db/db_settings.h"
#include "bsd/db/devimport.h"
#include "bsd/db/secretbox.h"
#include "bsd/transport/creds.h"

#include <stddef.h>

#define DB_DEVICES_BATCH 500 /* rows per INSERT (and per transaction) in an import */

/* Called per device by list and load; a non-zero return stops the walk and
 * is returned. The record is valid during the call only. */
typedef int (*db_devices_fn)(void *arg, const db_device_t *d);

/* Called per device by db_devices_load(): |c| is what creds_add() takes
 * (pointers into |d|), |d| adds labels, serial and versions. */
typedef int (*db_devices_creds_fn)(void *arg, const creds_device_t *c, const db_device_t *d);

/*
 * db_devices_add stores |d| (checked with db_device_finish() first), its
 * PSK key sealed with |sb|'s active key, and an audit row by |actor|.
 *
 * Returns 0; -EEXIST when the endpoint or a unique credential (PSK
 * identity, SPKI, certificate name of that type, fingerprint, OSCORE
 * Sender ID with the same ID Context) is taken —
 * db_errmsg() names which and by which device; -EINVAL for a record that
 * fails the checks; -ENOKEY when |sb| has no key; -EIO.
 */
int db_devices_add(db_t *db, db_secretbox_t *sb, const db_device_t *d, const char *actor);

/*
 * db_devices_put stores |d| like db_devices_add() when its endpoint is new
 * (*created true), else replaces the stored record with it (*created
 * false): every field, in one transaction with an audit row
 * ("device.replace", saying whether the credential changed). A PSK key
 * equal to the stored one keeps its sealed bytes, so replacing a device
 * with the same credential leaves credential_version, a waiting rotated
 * credential (bs_next) and the device's live sessions alone; so do an
 * OSCORE Master Secret and Salt equal to the stored ones. Generated
 * credentials of the device are kept.
 *
 * Returns 0; -EEXIST when a unique credential is another device's
 * (db_errmsg() names which and whose); -EINVAL; -ENOKEY; -EIO.
 */
int db_devices_put(db_t *db, db_secretbox_t *sb, const db_device_t *d, const char *actor, bool *created);

/* What db_devices_patch() changes: labels and the serial number only. */
typedef struct db_devices_patch {
    const db_label_t *set; /* labels added or changed (checked by db_device_set_field) */
    size_t nset;
    const char *const *unset; /* label keys removed (absent ones are ignored) */
    size_t nunset;
    bool clear_labels;  /* remove every label first */
    bool serial_given;  /* change the serial number: */
    const char *serial; /* to this (checked); NULL or "" removes it */
} db_devices_patch_t;

/*
 * db_devices_patch changes the labels and serial number of device
 * |endpoint| as |p| says, in one statement (concurrent patches do not lose
 * each other's labels), with an audit row "device.update". The credential
 * is not touched.
 *
 * Returns 0; -ENOENT; -EINVAL when the device would have more than
 * DB_DEVICE_LABELS_MAX labels; -EIO.
 */
int db_devices_patch(db_t *db, const char *endpoint, const db_devices_patch_t *p, const char *actor);

/*
 * db_devices_get reads device |endpoint| into |out|. With a keyring |sb| the
 * PSK key is opened into out->psk_key; with |sb| NULL it is not read
 * (psk_key_len 0; psk_key_id tells which key sealed it).
 *
 * Returns 0; -ENOENT; -EBADMSG when the sealed key does not open (wrong
 * key, or the value belongs to another row); -ENOKEY when its key id is not
 * in |sb|; -EIO.
 */
int db_devices_get(db_t *db, const db_secretbox_t *sb, const char *endpoint, db_device_t *out);

/*
 * db_devices_remove deletes device |endpoint| (and its generated
 * credentials) and writes an audit row.
 *
 * Returns 0; -ENOENT; -EIO.
 */
int db_devices_remove(db_t *db, const char *endpoint, const char *actor);

/*
 * db_devices_list calls |fn| for every device, by endpoint, without opening
 * keys; with |label_key| set only for devices whose label |label_key| equals
 * |label_value|. Rows stream one at a time (libpq single-row mode).
 *
 * Returns 0; -EIO; or what |fn| returned.
 */
int db_devices_list(db_t *db, const char *label_key, const char *label_value, db_devices_fn fn, void *arg);

/* Which devices db_devices_query() walks. */
typedef struct db_devices_query {
    const db_label_t *labels; /* every one must match (key and value); uses the GIN index */
    size_t nlabels;
    const char *prefix; /* endpoint starts with it; NULL or "" = any */
    const char *after;  /* keyset: only endpoints sorting after this one; NULL = from the start */
    unsigned limit;     /* at most this many; 0 = all */
} db_devices_query_t;

/*
 * db_devices_query calls |fn| for the devices |q| selects, by endpoint (the
 * database's collation, the order `after` continues in), without opening
 * keys. Rows stream one at a time.
 *
 * Returns 0; -ENOMEM; -EIO; or what |fn| returned.
 */
int db_devices_query(db_t *db, const db_devices_query_t *q, db_devices_fn fn, void *arg);

/*
 * db_devices_load streams every device with its key opened, one at a time
 * (memory stays flat for any number of devices), for the daemon's
 * credential store.
 *
 * Returns 0; -EBADMSG / -ENOKEY when a key does not open (db_errmsg() names
 * the device; the load stops: a store with a damaged row is not used);
 * -EIO; or what |fn| returned.
 */
int db_devices_load(db_t *db, const db_secretbox_t *sb, db_devices_creds_fn fn, void *arg);

/* db_devices_count stores the number of devices in *n. Returns 0 or -EIO. */
int db_devices_count(db_t *db, long long *n);

/*
 * Seals PSK |key| (|len| bytes) of |endpoint| exactly as devices.psk_key
 * holds it and computes its devices.psk_key_mac under |mkey|, both as
 * lowercase hex: the form in which a new bootstrap credential travels in a
 * session record to the record writer (migration 0005). Returns 0 or a
 * negative errno.
 */
#define DB_DEVICES_SEALED_HEX_MAX (2 * (64 + 30) + 1)
int db_devices_seal_psk(db_secretbox_t *sb, const uint8_t mkey[DB_CREDENTIAL_KEY_LEN], const char *endpoint,
                        const uint8_t *key, size_t len, char sealed_hex[DB_DEVICES_SEALED_HEX_MAX],
                        char mac_hex[65]);

/* ---- bulk import ----------------------------------------------------------- */

typedef struct db_devices_import db_devices_import_t;

/*
 * db_devices_import_begin starts a bulk import named |source| (the file name,
 * for messages and the audit row). Rows already in the database (endpoint or
 * unique credential taken) are refused one by one through |err| with
 * "source:line:col: message"; the other rows are kept.
 *
 * Returns the importer, or NULL on OOM.
 */
db_devices_import_t *db_devices_import_begin(db_t *db, db_secretbox_t *sb, const char *actor,
                                             const char *source, db_import_err_fn err, void *arg);

/*
 * db_devices_import_add queues a checked record (from devimport); every
 * DB_DEVICES_BATCH rows are written in one transaction.
 *
 * Returns 0; -ENOKEY; -EIO when the database fails as a whole (not for a
 * refused row).
 */
int db_devices_import_add(db_devices_import_t *im, const db_device_t *d);

/*
 * db_devices_import_end writes what is queued, the audit row (counts only),
 * and frees |im|. |imported| and |refused| (may be NULL) receive the rows
 * stored and the rows the database refused.
 *
 * Returns 0, -ENOKEY or -EIO.
 */
int db_devices_import_end(db_devices_import_t *im, size_t *imported, size_t *refused);

/* db_devices_import_abort drops what is queued and frees |im|; batches
 * already committed stay and, when there were any, a device.import audit
 * row with "complete": false says so. With no connection set
 * (db_devices_import_set_db(im, NULL)) it touches no database. NULL is
 * allowed. */
void db_devices_import_abort(db_devices_import_t *im);

/*
 * db_devices_import_set_db hands |im| the connection to write with from now
 * on (NULL: none until the next call). For an importer fed over several
 * calls that do not keep one connection, e.g. one HTTP upload whose pieces
 * are handled with whichever pooled connection is free: between
 * db_devices_import_add() calls no transaction is open.
 */
void db_devices_import_set_db(db_devices_import_t *im, db_t *db);

/* db_devices_import_row_endpoint is for the |err| callback of a refusal by
 * the database: the endpoint of the refused row ("" otherwise). */
const char *db_devices_import_row_endpoint(const db_devices_import_t *im);

#endif /* BSD_DB_DB_DEVICES_H */
