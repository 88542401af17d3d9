/*
 * unboot.h — unbootstrapping planned by the bootstrap server: which
 * Bootstrap operations remove LwM2M Server accounts from a client and leave
 * its Access Control object consistent (LwM2M Transport 1.1.1 §5.2.5, done
 * on the server's side because most clients do not do it, or do it wrong).
 *
 * Pure, allocation-free and deterministic: the same state and removal set
 * always give the same operations in the same order.
 *
 * Definitions (docs/UNBOOTSTRAP.md says the same in prose):
 *
 *  - Servers. The remaining servers are the SSIDs 1..65534 that have at
 *    least one Server (/1) instance in the state and are not being removed.
 *    SSID 0 and 65535 are never servers. The Bootstrap-Server account (a
 *    Security instance without SSID, ssid 0 here) is never touched.
 *
 *  - Removal set. A requested SSID is *present* when the state has a
 *    Security or Server instance with it, or an ACL entry (resource
 *    instance) or owner naming it (ACL instances count only when
 *    |acl_known|: an unread Access Control object is not state). Requested SSIDs that are not present are
 *    reported in |absent| and change nothing. All present SSIDs are removed
 *    together (not one after another): "remaining" always excludes every
 *    one of them. With nothing present the plan is empty.
 *
 *  - Can access. Server R can access the target of an ACL instance when
 *    R's own entry (resource instance ID = R) has non-zero rights, or, when
 *    R has no own entry, the default entry (resource instance 0) exists
 *    with non-zero rights.
 *
 *  - Per ACL instance (only when the removal set is not empty; every ACL
 *    instance is examined, in ascending ACL instance ID):
 *      1. Entries whose resource instance ID is a removed SSID are dropped.
 *         No other entry is changed (entry 0 and entries of SSIDs that are
 *         not servers stay).
 *      2. Candidates: the remaining servers with their own entry (after
 *         step 1; whatever its rights); when there is none, the remaining
 *         servers that can access through the default entry. Score of a
 *         candidate: [W] + [D] of the entry it is judged by (own entry, or
 *         the default entry), so 0, 1 or 2. The elected owner is the
 *         highest score, ties to the lowest SSID.
 *      3. Target instance (obj, inst) with inst != 65535, when no remaining
 *         server can access it: the ACL instance is deleted, and the target
 *         instance too unless it is *protected*: any instance of objects 0
 *         (Security), 1 (Server), 2 (Access Control: an ACL instance naming
 *         another is an anomaly, never a target) and 21 (OSCORE), and /3/0.
 *         (The Server instances of removed servers are deleted at the end
 *         anyway; the OSCORE instances are left alone.) When |have_insts| is set and the
 *         target is not listed in |insts| the target Delete is left out.
 *      4. Otherwise (some remaining server can access it, or inst is 65535
 *         — object-level ACL instances, the Create right, whose object is
 *         never deleted): when there is no candidate, the ACL instance is
 *         deleted (nobody left to own it); else when the owner (resource 3)
 *         is a removed SSID, the owner becomes the elected candidate; an
 *         owner that is not removed (65535 "bootstrap only" included) is
 *         kept. When entries were dropped or the owner changed, the ACL
 *         instance is rewritten: Delete /2/x followed by a Write of the
 *         whole instance (0, 1, 2 with every remaining entry, 3).
 *         Unchanged instances get no operation.
 *
 *  - Order of operations: for each affected ACL instance in ascending ACL
 *    instance ID, its operations (rewrite: Delete /2/x, Write /2/x;
 *    deletion: Delete of the target when planned, then Delete /2/x); then
 *    for each removed SSID in ascending order, Delete of every Server
 *    instance with that SSID (ascending instance ID), then Delete of every
 *    Security instance with that SSID (ascending). So a client that runs
 *    §5.2.5 itself on those final Deletes finds nothing left to change.
 *    A target or Server instance that two rules would delete is deleted
 *    once, at its first place in this order.
 *
 *  - ACLs unknown (LwM2M 1.0 clients have no Bootstrap-Read, or the Read
 *    failed: |acl_known| 0): only the Server and Security instances of the
 *    removed SSIDs are deleted; the result says acl_unknown.
 */
#ifndef BSD_LWM2M_UNBOOT_H
#define BSD_LWM2M_UNBOOT_H

#include <stddef.h>
#include <stdint.h>

#include "bsd/lwm2m/lwm2m_data.h"

#define UNBOOT_MAX_ACCOUNTS 64  /* Security instances, and Server instances */
#define UNBOOT_MAX_ACL      256 /* Access Control instances */
#define UNBOOT_MAX_ENTRIES  16  /* ACL entries (resource instances of /2/x/2) per instance */
#define UNBOOT_MAX_INSTS    512 /* object instances listed (|insts|) */
#define UNBOOT_MAX_REMOVE   16  /* SSIDs per removal request */
#define UNBOOT_MAX_OPS      (3 * UNBOOT_MAX_ACL + 2 * UNBOOT_MAX_ACCOUNTS)

#define UNBOOT_INST_OBJECT 65535u /* ACL target instance: object level (Create right) */
#define UNBOOT_OWNER_BS    65535u /* owner "set by bootstrap only" */

/* Rights bits of an ACL entry (Core §E.3, object 2 resource 2). */
#define UNBOOT_R 1u
#define UNBOOT_W 2u
#define UNBOOT_E 4u
#define UNBOOT_D 8u
#define UNBOOT_C 16u

/* An instance of object 0 or 1 and its Short Server ID (0 = none: the
 * Bootstrap-Server account for object 0). */
typedef struct unboot_account {
    uint16_t iid;
    uint16_t ssid;
} unboot_account_t;

/* One ACL entry: resource instance /2/x/2/|ssid| (0 = default entry). */
typedef struct unboot_entry {
    uint16_t ssid;
    uint16_t rights; /* UNBOOT_R|W|E|D|C; other bits kept as they are */
} unboot_entry_t;

/* One Access Control instance /2/|iid|. */
typedef struct unboot_acl {
    uint16_t iid;
    uint16_t obj, inst; /* resources 0 and 1; inst UNBOOT_INST_OBJECT = object level */
    uint16_t owner;     /* resource 3 */
    uint8_t nent;       /* entries sorted by ssid, no duplicates */
    unboot_entry_t ent[UNBOOT_MAX_ENTRIES];
} unboot_acl_t;

typedef struct unboot_state {
    unboot_account_t sec[UNBOOT_MAX_ACCOUNTS]; /* Security instances (from Discover) */
    size_t nsec;
    unboot_account_t srv[UNBOOT_MAX_ACCOUNTS]; /* Server instances (from Discover) */
    size_t nsrv;
    unboot_acl_t acl[UNBOOT_MAX_ACL]; /* from Bootstrap-Read of /2; any order */
    size_t nacl;
    int acl_known; /* 0: Access Control object not read (LwM2M 1.0 or failed) */
    /* Object instances the client listed (Discover), to leave out Deletes
     * of targets that do not exist; used only when |have_insts|. */
    lwm2m_path_t insts[UNBOOT_MAX_INSTS]; /* depth 2 */
    size_t ninsts;
    int have_insts;
} unboot_state_t;

typedef enum unboot_op_kind {
    UNBOOT_OP_DELETE = 1, /* Bootstrap-Delete of |path| (depth 2) */
    UNBOOT_OP_WRITE_ACL,  /* Bootstrap-Write of /2/x with result.after[acl] as a whole */
} unboot_op_kind_t;

typedef struct unboot_op {
    uint8_t kind;      /* unboot_op_kind_t */
    lwm2m_path_t path; /* depth 2 */
    uint16_t acl;      /* UNBOOT_OP_WRITE_ACL: index into result.after */
} unboot_op_t;

/* Why an ACL instance changed (one per affected instance). */
typedef enum unboot_change_kind {
    UNBOOT_CH_REWRITTEN = 1, /* entries dropped and/or owner re-elected */
    UNBOOT_CH_DELETED,       /* no remaining server can access the target: target + ACL deleted */
    UNBOOT_CH_DELETED_ACL,   /* ACL instance deleted, target protected or object level */
} unboot_change_kind_t;

typedef struct unboot_change {
    uint8_t kind;       /* unboot_change_kind_t */
    uint16_t iid;       /* ACL instance */
    uint16_t obj, inst; /* its target */
    uint8_t dropped;    /* entries dropped */
    uint8_t owner_changed;
    uint16_t owner_from, owner_to; /* when owner_changed */
    uint8_t score;                 /* the elected owner's score (0..2) */
    uint8_t target_deleted;        /* a Delete of the target is in the plan */
} unboot_change_t;

typedef struct unboot_result {
    uint16_t removed[UNBOOT_MAX_REMOVE]; /* present SSIDs removed, ascending */
    size_t nremoved;
    uint16_t absent[UNBOOT_MAX_REMOVE]; /* requested but not present, ascending */
    size_t nabsent;
    int acl_unknown; /* ACLs were not known: accounts only */
    unboot_op_t ops[UNBOOT_MAX_OPS];
    size_t nops;
    unboot_change_t changes[UNBOOT_MAX_ACL];
    size_t nchanges;
    /* The Access Control object after the plan: every ACL instance that
     * is not deleted, changed or not, ascending by iid. */
    unboot_acl_t after[UNBOOT_MAX_ACL];
    size_t nafter;
} unboot_result_t;

/*
 * Plans the removal of the |nremove| SSIDs |remove| (duplicates, 0 and
 * 65535 ignored) from a client in |state| into |out|. Returns 0, or
 * LWM2M_ERR_RANGE for more than UNBOOT_MAX_REMOVE SSIDs or a state over
 * its bounds (an ACL instance with more than UNBOOT_MAX_ENTRIES entries or
 * unsorted/duplicate entries, two ACL instances with one iid), with |out|
 * then empty.
 */
int unboot_plan(const unboot_state_t *state, const uint16_t *remove, size_t nremove, unboot_result_t *out);

/*
 * Fills |st|->acl from the decoded records of a Bootstrap-Read of /2
 * (any content format; TLV values LWM2M_T_RAW are read as integers):
 * resources 0, 1, 3 and the resource instances of 2, per instance. An
 * instance without resource 0 or 1 is skipped; a missing owner reads as
 * 0; unknown resources are ignored. Sets acl_known. Returns the number of
 * ACL instances, or LWM2M_ERR_FORMAT (a value of the wrong type or out of
 * range, a resource, entry or instance given twice, a record outside /2),
 * LWM2M_ERR_LIMIT (more than UNBOOT_MAX_ACL instances, or more entries in
 * one than UNBOOT_MAX_ENTRIES), leaving acl_known 0 and no ACL instances.
 */
int unboot_acl_from_records(unboot_state_t *st, const lwm2m_record_t *recs, size_t n);

/*
 * The records of a full Write of ACL instance |a| (paths under /2/a->iid:
 * 0, 1, 2/ssid per entry, 3; integers), sorted, into |out| (|cap|).
 * Returns the count or LWM2M_ERR_NOSPACE.
 */
int unboot_acl_records(const unboot_acl_t *a, lwm2m_record_t *out, size_t cap);

/*
 * |n| Access Control instances as a JSON array, the shape of "after"
 * below, into |out| (|cap| bytes, NUL-terminated). Returns the length, or
 * LWM2M_ERR_NOSPACE.
 */
int unboot_acl_json(const unboot_acl_t *acl, size_t n, char *out, size_t cap);

/*
 * |r| as one JSON object for session records and dry runs, into |out|
 * (|cap| bytes, NUL-terminated):
 *   {"acl":"read"|"unknown","removed":[..],"absent":[..],
 *    "changes":[{"acl":5,"target":"/3303/0","change":"rewritten"|"deleted"|"acl-deleted",
 *                "dropped":1,"owner":{"from":3,"to":2,"score":2}}, ..],
 *    "ops":["delete /2/5","write /2/5", ..],
 *    "after":[{"iid":5,"obj":3303,"inst":0,"owner":2,"acl":{"0":1,"2":3}}, ..]}
 * ("owner" only when it changed; "after" only when |with_after|.)
 * Returns the length, or LWM2M_ERR_NOSPACE.
 */
int unboot_result_json(const unboot_result_t *r, int with_after, char *out, size_t cap);

#endif
