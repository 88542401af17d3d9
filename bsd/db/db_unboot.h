/*
 * db_unboot.h — the store of unbootstrapping (migration 0011): the LwM2M
 * Server accounts this bootstrap server wrote to each device
 * (device_accounts, kept by the record writer from the session records)
 * and the removals operators queue (unboot_requests), applied by the
 * daemon at a device's next bootstrap.
 *
 * The daemon reads both per device (db_unboot_each, db_unboot_device);
 * the REST API and bsctl queue, list, show and cancel requests and show a
 * device's accounts, all with the same JSON (db_unboot_*_json). Queueing
 * and cancelling are audited in the same transaction ("unboot.queue",
 * "unboot.cancel", object "device:<endpoint>").
 *
 * Error codes are negative errno values; db_errmsg() has the text.
 */
#ifndef BSD_DB_DB_UNBOOT_H
#define BSD_DB_DB_UNBOOT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "bsd/db/db.h"
#include "bsd/db/secretbox.h"

#define DB_UNBOOT_MAX        16   /* SSIDs per device and list (written, pending) */
#define DB_UNBOOT_EP_MAX     255  /* bytes of an endpoint name (devices.endpoint) */
#define DB_UNBOOT_REASON_MAX 200  /* bytes of a request's reason */
#define DB_UNBOOT_QUEUE_MAX  1000 /* endpoints per db_unboot_queue call */
#define DB_UNBOOT_PAGE_MAX   1000 /* rows per listing page */

/* One device as the daemon's generation loader sees it. */
typedef struct db_unboot_dev {
    char endpoint[DB_UNBOOT_EP_MAX + 1];
    uint16_t written[DB_UNBOOT_MAX]; /* SSIDs of device_accounts, ascending */
    size_t nwritten;
    uint16_t pending[DB_UNBOOT_MAX]; /* SSIDs of pending requests, ascending */
    size_t npending;
} db_unboot_dev_t;

/*
 * db_unboot_each calls |fn| once per device that has device_accounts rows
 * or pending requests (one query, one row per device, in endpoint order).
 * A device with more than DB_UNBOOT_MAX SSIDs in a list gets the lowest
 * DB_UNBOOT_MAX (the other pending requests wait for a later bootstrap).
 * |err| gets the message on failure.
 *
 * Returns 0; -EIO; or what |fn| returned (non-zero stops).
 */
int db_unboot_each(db_t *db, int (*fn)(void *arg, const db_unboot_dev_t *d), void *arg, char *err,
                   size_t errcap);

/*
 * db_unboot_device fills |out| for device |endpoint| (both lists empty when
 * it has none, or does not exist).
 *
 * Returns 0; -EIO with |err| set.
 */
int db_unboot_device(db_t *db, const char *endpoint, db_unboot_dev_t *out, char *err, size_t errcap);

/* One request as read. Strings are valid during the callback only. */
typedef struct db_unboot_req {
    long long id;
    const char *endpoint;
    int ssid;
    const char *state; /* pending, applied, absent, cancelled */
    const char *reason;
    const char *created_at; /* RFC 3339 UTC with milliseconds */
    const char *created_by;
    const char *done_at; /* "" while pending */
    long long session;   /* sessions.id that applied it; 0 = none */
} db_unboot_req_t;

/* Called per request; a non-zero return stops and is returned. */
typedef int (*db_unboot_req_fn)(void *arg, const db_unboot_req_t *r);

/* Called per endpoint db_unboot_queue could not queue (|msg| a sentence). */
typedef int (*db_unboot_err_fn)(void *arg, const char *endpoint, const char *msg);

/*
 * db_unboot_queue queues the removal of account |ssid| (1..65534) from
 * each of the |n| (1..DB_UNBOOT_QUEUE_MAX) devices |endpoints| by |actor|
 * for |reason| (NULL = ""; at most DB_UNBOOT_REASON_MAX bytes), in one
 * transaction with one audit row per new request. A device that already
 * has a pending request for |ssid| keeps it (no second one, no audit row).
 * Calls |fn| with the pending request of each known endpoint (new or
 * existing), in the order given (duplicates once), and |efn| for each
 * endpoint that is not a device.
 *
 * Returns 0; -EINVAL (ssid, count or reason out of range); -EIO; or what a
 * callback returned.
 */
int db_unboot_queue(db_t *db, const char *const *endpoints, size_t n, int ssid, const char *reason,
                    const char *actor, db_unboot_req_fn fn, void *arg, db_unboot_err_fn efn, void *earg);

/* What to list; NULL/0 fields do not filter. */
typedef struct db_unboot_filter {
    const char *state;    /* equal to */
    const char *endpoint; /* equal to */
    int ssid;             /* equal to; 0 = any */
    long long before_id;  /* id < before_id; 0 = from the newest */
    unsigned limit;       /* 1..DB_UNBOOT_PAGE_MAX + 1 */
} db_unboot_filter_t;

/*
 * db_unboot_list calls |fn| for the requests matching |f|, newest (highest
 * id) first, at most f->limit (keyset pagination as db_sessions.h).
 *
 * Returns 0; -EINVAL (limit out of range); -EIO; or what |fn| returned.
 */
int db_unboot_list(db_t *db, const db_unboot_filter_t *f, db_unboot_req_fn fn, void *arg);

/* db_unboot_get calls |fn| for request |id|. Returns 0; -ENOENT; -EIO; or
 * what |fn| returned. */
int db_unboot_get(db_t *db, long long id, db_unboot_req_fn fn, void *arg);

/*
 * db_unboot_cancel moves pending request |id| to cancelled by |actor|
 * (audited) and calls |fn| (may be NULL) with it.
 *
 * Returns 0; -ENOENT (no such request); -EALREADY (not pending: applied,
 * absent or cancelled already); -EIO.
 */
int db_unboot_cancel(db_t *db, long long id, const char *actor, db_unboot_req_fn fn, void *arg);

/* One device_accounts row. */
typedef struct db_unboot_account {
    int ssid;
    const char *first_written, *last_written; /* RFC 3339 UTC with milliseconds */
    long long last_session;                   /* 0 = none */
} db_unboot_account_t;

/*
 * db_unboot_accounts_json returns {"endpoint", "accounts": [{"ssid",
 * "first_written", "last_written", "last_session"}], "pending": [request
 * objects]} for device |endpoint|, ascending SSIDs; the caller owns it.
 *
 * Returns 0 with *out set; -ENOENT (no such device); -EIO; -ENOMEM.
 */
int db_unboot_accounts_json(db_t *db, const char *endpoint, json_t **out);

/* db_unboot_req_json returns |r| as the API's request object {"id",
 * "endpoint", "ssid", "state", "reason", "created_at", "created_by",
 * "done_at" (null while pending), "session" (null when none)}, or NULL. */
json_t *db_unboot_req_json(const db_unboot_req_t *r);

/*
 * db_unboot_dry_run plays the dry run of device |endpoint| (the active
 * policy that applies to it, the client state of its last session) with
 * |ssid| pending in addition to its stored requests, with secrets hidden,
 * and returns the dry run's JSON object (the caller owns it). |sb| holds
 * the keyring.
 *
 * Returns 0 with *out set; -ENOENT (no such device), -ESRCH (no policy
 * applies), -EINVAL (the compilation failed), -EIO, -ENOMEM, and what
 * db_policy_prep_device returns; |err| says why.
 */
int db_unboot_dry_run(db_t *db, db_secretbox_t *sb, const char *endpoint, int ssid, json_t **out, char *err,
                      size_t errcap);

#endif /* BSD_DB_DB_UNBOOT_H */
