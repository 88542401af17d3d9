/*
 * db_policy_ops.h — the policy operations bsctl and the REST API share, on
 * top of the store (db_policies.h, db_devices.h) and the policy engine
 * (bsd/policy/policy.h):
 *
 *   - apply: check a YAML policy, warn about overlaps with the active
 *     ones, store it as a new version (or find it equal to the latest)
 *     and activate it;
 *   - activate a stored version (also a roll-back) after checking it still
 *     parses;
 *   - prepare a dry run or an export for one device: the device as
 *     policies see it, the derivation key, the policy that applies (the
 *     active one selected for it, or a given one), and whether a bootstrap
 *     credential rotation is due;
 *   - the dry run itself, from the client state of the device's last
 *     recorded session by default;
 *   - the credentials a policy generates for a device, as the documented
 *     JSON of bsctl and the API, and as Eclipse Leshan's security store
 *     takes them.
 *
 * Messages go to the caller's |err| buffer (never with a secret); what to
 * print or answer is the caller's. Error codes are negative errno values.
 */
#ifndef BSD_DB_DB_POLICY_OPS_H
#define BSD_DB_DB_POLICY_OPS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bsd/db/db.h"
#include "bsd/db/db_device.h"
#include "bsd/db/db_policies.h"
#include "bsd/db/secretbox.h"
#include "bsd/lwm2m/unboot.h"
#include "bsd/policy/policy.h"

#define DB_POLICY_ACTIVE_MAX 256 /* active policies considered at once */
#define DB_POLICY_ERR_MAX    (POLICY_ERR_MAX + 256)
#define DB_POLICY_PCT_FRESH  112 /* payload format of a fresh client: SenML CBOR */

/* The active policies, parsed (db_policy_active_load). */
typedef struct db_policy_active {
    policy_t *ps[DB_POLICY_ACTIVE_MAX];
    uint32_t versions[DB_POLICY_ACTIVE_MAX];
    size_t n;
} db_policy_active_t;

/*
 * db_policy_active_load reads and parses every active policy except the one
 * named |skip| (NULL: none) into |a| (overwritten; free with
 * db_policy_active_free).
 *
 * Returns 0; -E2BIG (more than DB_POLICY_ACTIVE_MAX); -EBADMSG (a stored
 * policy no longer parses: |err| says which and where); -EIO, -ENOMEM (|err|
 * names the policy).
 */
int db_policy_active_load(db_t *db, const char *skip, db_policy_active_t *a, char *err, size_t errcap);

/* db_policy_active_free frees the policies of |a|. */
void db_policy_active_free(db_policy_active_t *a);

/* Called once per warning of db_policy_overlaps (a sentence without a newline). */
typedef void (*db_policy_warn_fn)(void *arg, const char *msg);

#define DB_POLICY_APPLY_ACTIVATE 0x1u /* activate the stored version */
#define DB_POLICY_APPLY_SAME_OK  0x2u /* source equal to the latest version: store nothing */

/* What db_policy_apply did. */
typedef struct db_policy_applied {
    int version;    /* the version stored (or found equal); 0 = none */
    bool stored;    /* a new version was written */
    bool activated; /* |version| is active now */
} db_policy_applied_t;

/*
 * db_policy_check parses |len| bytes of YAML at |src| as a policy called
 * |src_name| in messages and checks its `policy:` name can be stored.
 * Returns the policy (free with policy_free) or NULL with "NAME:LINE:COLUMN:
 * message" (a parse error) or "|src_name|: policy name '...' cannot be
 * stored (...)" in |err|; *bad_name (may be NULL) tells which.
 */
policy_t *db_policy_check(const char *src_name, const char *src, size_t len, bool *bad_name, char *err,
                          size_t errcap);

/*
 * db_policy_overlaps calls |warn| once for every active policy of another
 * name than |p| that may match the same devices at the same priority: the
 * choice between them would then depend on their names only.
 *
 * Returns 0, or what db_policy_active_load returns.
 */
int db_policy_overlaps(db_t *db, const policy_t *p, db_policy_warn_fn warn, void *arg, char *err,
                       size_t errcap);

/*
 * db_policy_apply stores |src| (|len| bytes) as the next version of policy
 * |name| by |actor|. With DB_POLICY_APPLY_SAME_OK a source byte-equal to
 * the highest stored version stores nothing and reports that version. With
 * DB_POLICY_APPLY_ACTIVATE the version is then activated. |out| says what
 * happened, also on failure (out->stored: the activation failed).
 *
 * Returns 0; -EINVAL, -EIO, -ENOMEM from the store, with its message in
 * |err|.
 */
int db_policy_apply(db_t *db, const char *name, const char *src, size_t len, unsigned flags,
                    const char *actor, db_policy_applied_t *out, char *err, size_t errcap);

/*
 * db_policy_activate_checked activates |version| (>= 1) of |name| by |actor|
 * once its stored source still parses.
 *
 * Returns 0; -ENOENT (no such version; |err| from the store); -EBADMSG
 * (the source no longer parses; |err| is the parser's message); -EIO.
 */
int db_policy_activate_checked(db_t *db, const char *name, int version, const char *actor, char *err,
                               size_t errcap);

/* ---- one device: dry run and credentials ---------------------------------- */

/* Everything a compilation for one device needs. */
typedef struct db_policy_prep {
    db_device_t *d;                              /* the device record (PSK key opened) */
    policy_label_t labels[DB_DEVICE_LABELS_MAX]; /* pointing into |d| */
    policy_device_t pd;                          /* the device as policies see it */
    db_policy_active_t *a;                       /* the active policies, when selected from */
    const policy_t *p;                           /* the policy that applies */
    policy_ctx_t ctx;                            /* version and derivation key (SECRET) */
    uint16_t unboot_extra[16]; /* SSIDs to treat as pending removals besides the stored ones */
    size_t nunboot_extra;
    /* The client's Access Control object for a dry run, in the records'
     * "acl_state" shape (db_policy_acl_parse); NULL: the last recorded. */
    const char *acl_json;
} db_policy_prep_t;

/*
 * db_policy_prep_device reads device |endpoint| (its PSK key opened with
 * |sb|) and the derivation key into |x| (overwritten; free with
 * db_policy_prep_free, also after a failure).
 *
 * Returns 0; -ENOENT (no such device); -EBADMSG, -ENOKEY (a sealed value
 * does not open); -EIO; -ENOMEM. |err| says "device EP: ..." or the
 * store's message.
 */
int db_policy_prep_device(db_t *db, db_secretbox_t *sb, const char *endpoint, db_policy_prep_t *x, char *err,
                          size_t errcap);

/*
 * db_policy_prep_select picks the policy for the device of |x|: |given|
 * (borrowed; not stored, compiled as version 0) when not NULL, else the
 * active policy policy_select() picks.
 *
 * Returns 0; -ESRCH ("policy P does not match device EP" or "no active
 * policy matches device EP" in |err|); or what db_policy_active_load
 * returns.
 */
int db_policy_prep_select(db_t *db, db_policy_prep_t *x, const policy_t *given, char *err, size_t errcap);

/* db_policy_prep_free frees |x| and wipes its secrets. */
void db_policy_prep_free(db_policy_prep_t *x);

/*
 * db_policy_rotation_due tells whether the selected policy rotates the
 * device's bootstrap credential to one the device does not hold yet.
 */
bool db_policy_rotation_due(const db_policy_prep_t *x);

/*
 * db_policy_last_discover returns the Discover answer recorded with the
 * newest session of |endpoint| that has one (malloc'ed), and stores that
 * session's payload format in *pct unless *pct is already set; NULL when
 * there is none (or on error).
 */
char *db_policy_last_discover(db_t *db, const char *endpoint, int *pct);

/* Where the client state of a dry run came from. */
typedef enum db_policy_state {
    DB_POLICY_STATE_GIVEN = 0,    /* a Discover answer given by the caller */
    DB_POLICY_STATE_LAST_SESSION, /* the device's last recorded session */
    DB_POLICY_STATE_FRESH,        /* POLICY_CLIENT_FRESH: no session recorded */
} db_policy_state_t;

/* A dry run (db_policy_dry_run). */
typedef struct db_policy_run {
    char *json;              /* policy_dry_run's JSON (malloc'ed; may hold secrets with reveal) */
    db_policy_state_t state; /* the client state used */
    bool rotation_due;       /* the plan writes a new bootstrap credential */
    /* Where the client's Access Control object came from, for a plan that
     * unbootstraps: "given", "last-session" (the table a session read, or
     * its unbootstrap's result), or "unknown" (Read /2 is answered 4.04 and
     * the plan shows the accounts' Deletes only). */
    const char *acl_source;
} db_policy_run_t;

/*
 * db_policy_acl_parse reads an Access Control table in the shape session
 * records carry ("acl_state", and an unbootstrap's "after"):
 *   [{"iid":5,"obj":3303,"inst":0,"owner":2,"acl":{"0":1,"2":3}}, ...]
 * into |out| (|cap| instances; entries sorted by SSID). IDs are 0..65535,
 * rights 0..255, at most UNBOOT_MAX_ENTRIES entries; input over 1 MiB,
 * other keys or types are refused with a message in |err|.
 * Returns the count, or -1.
 */
int db_policy_acl_parse(const char *json, unboot_acl_t *out, size_t cap, char *err, size_t errcap);

/*
 * db_policy_acl_senml writes |n| Access Control instances as the SenML
 * JSON answer to a Read of /2 (malloc'ed, NUL-terminated), or NULL.
 */
char *db_policy_acl_senml(const unboot_acl_t *acl, size_t n);

/*
 * db_policy_dry_run compiles the policy of |x| for its device and plays it
 * against a client in state |discover| (NULL: the Discover answer of the
 * device's last recorded session, else a fresh client) with payload format
 * |pct| (0: the last session's, else DB_POLICY_PCT_FRESH); a rotation due is
 * compiled in, as the daemon does for a session with the current
 * credential. Certificates the CA issued at bootstrap (`client_certificate:
 * issue`) are the stored ones (db_certs_boot.h); an account without one yet
 * shows POLICY_CERT_PLACEHOLDER. Secrets appear only with |reveal|. |out|
 * is set on success and its state/rotation fields also on failure; free
 * out->json with db_policy_run_free.
 *
 * Returns 0; -EINVAL (the compilation failed: |err| "policy P for EP:
 * ..."); -ENOMEM.
 */
int db_policy_dry_run(db_t *db, db_policy_prep_t *x, const char *discover, int pct, bool reveal,
                      db_policy_run_t *out, char *err, size_t errcap);

/* db_policy_run_free wipes and frees out->json. */
void db_policy_run_free(db_policy_run_t *run);

/*
 * db_policy_creds_json lists the credentials the policy of |x| generates
 * for its device as the documented JSON of `bsctl policy credentials`:
 *   {"policy": NAME, "policy_version": N, "credentials": [{"endpoint",
 *    "kind": "psk"|"rpk"|"oscore", "ssid", "rotation", "bootstrap",
 *    "identity" (psk) | "public_key_hex" (rpk) | "sender_id_hex" (oscore),
 *    "recipient_id_hex" (oscore), "secret_hex"}]}
 * with "secret_hex" "<redacted>" unless |reveal|. Returns the object (the
 * caller owns it) or NULL with |err| set (the compilation failed, or out of
 * memory).
 */
json_t *db_policy_creds_json(const db_policy_prep_t *x, bool reveal, char *err, size_t errcap);

/*
 * db_policy_creds_leshan appends to |arr| one SecurityInfo object per
 * generated LwM2M Server credential of the device of |x| (bootstrap ones
 * left out; only account |ssid| unless it is negative), in the JSON the
 * security API of Eclipse Leshan's server demo (2.0.0 milestones, checked
 * against 2.0.0-M16) takes on PUT
 * /api/security/clients:
 *   {"endpoint": EP, "tls": {"mode": "psk", "details": {"identity", "key"}}}
 *   {"endpoint": EP, "tls": {"mode": "rpk", "details": {"key": SPKI DER hex}}}
 *   {"endpoint": EP, "oscore": {"sid", "rid", "msec"}}  (the server's side:
 *    sid is the client's Recipient ID, rid its Sender ID)
 * Returns the number appended, or -1 with |err| set.
 */
int db_policy_creds_leshan(const db_policy_prep_t *x, int ssid, json_t *arr, char *err, size_t errcap);

#endif /* BSD_DB_DB_POLICY_OPS_H */
