/*
 * bs_plan.h — a device's bootstrap plan: the exact, ordered list of
 * Bootstrap operations the session engine (bs_session.h) plays.
 *
 * A plan is immutable once built and may be shared by many sessions. Its
 * payload records and value bytes live inside the plan. Instance IDs of
 * Security (/0) and Server (/1) accounts may be left to the engine
 * ("placement slots"): the engine picks them from the client's Discover
 * answer so that new accounts never land on the client's own
 * Bootstrap-Server account (Anjay keeps it at /0/1, Wakaama at /0/0).
 *
 * Plans come from the plans file today (bs_planfile.h) and from compiled
 * YAML policies later; the engine only sees this structure.
 */
#ifndef BSD_LWM2M_BS_PLAN_H
#define BSD_LWM2M_BS_PLAN_H

#include <stddef.h>
#include <stdint.h>

#include "bsd/lwm2m/lwm2m_data.h"

#define BS_PLAN_MAX_OPS   64    /* operations per plan */
#define BS_PLAN_MAX_RECS  128   /* payload records per plan */
#define BS_PLAN_MAX_BYTES 16384 /* string/opaque value bytes per plan (certificates, keys) */
#define BS_PLAN_MAX_SLOTS 16    /* placement slots */
#define BS_PLAN_NAME_MAX  64
#define BS_PLAN_MAX_REMOVE 16   /* SSIDs an unbootstrap step may remove (= UNBOOT_MAX_REMOVE) */

/* An instance ID that the engine chooses: BS_INST_SLOT(n) for slot n. */
#define BS_INST_SLOT_BASE  0xff00u
#define BS_INST_SLOT(n)    ((uint16_t)(BS_INST_SLOT_BASE + (n)))
#define BS_INST_IS_SLOT(i) ((i) >= BS_INST_SLOT_BASE && (i) < BS_INST_SLOT_BASE + BS_PLAN_MAX_SLOTS)

/*
 * An instance ID of object 0 meaning "the client's own Bootstrap-Server
 * Security instance", as its Discover answer lists it (the one /0/x entry
 * without ssid). Policies write Client Hold Off Time (/0/x/11), Account
 * Timeout (/0/x/12) or a rotated credential there, resource by resource so
 * that nothing else of the account is replaced. When the client listed no
 * such instance, or more than one, the engine skips the step and records it
 * as skipped ("no bootstrap account").
 */
#define BS_INST_BS_ACCOUNT 0xfff0u

typedef enum bs_op_kind {
    BS_OP_DISCOVER = 1, /* GET path, Accept link-format */
    BS_OP_READ,         /* GET path (LwM2M 1.1: /1, /2) */
    BS_OP_DELETE,       /* DELETE path; 4.04/4.05 answers are harmless */
    BS_OP_WRITE,        /* PUT path with the records */
    BS_OP_FINISH,       /* POST /bs */
} bs_op_kind_t;

typedef struct bs_op {
    bs_op_kind_t kind;
    lwm2m_path_t path;  /* target; path.inst may be BS_INST_SLOT(n) */
    uint32_t first_rec; /* WRITE: records plan->recs[first_rec .. +nrecs) */
    uint32_t nrecs;     /* their paths lie under |path| (same slot marker) */
} bs_op_t;

typedef enum bs_on_error {
    BS_ON_ERROR_CONTINUE = 0, /* a failed step: go on with the remaining writes */
    BS_ON_ERROR_STOP,         /* a failed step: skip to Bootstrap-Finish */
} bs_on_error_t;

typedef struct bs_plan {
    char name[BS_PLAN_NAME_MAX]; /* e.g. the policy name */
    uint32_t version;            /* policy/plan version, recorded per session */
    uint16_t format;             /* forced Content-Format (110, 112, 11542); 0 = from pct, else TLV */
    bs_on_error_t on_error;
    uint32_t timeout_ms; /* whole-session timeout; 0 = default (60 s) */
    bs_op_t ops[BS_PLAN_MAX_OPS];
    size_t nops;
    lwm2m_record_t recs[BS_PLAN_MAX_RECS];
    size_t nrecs;
    uint8_t bytes[BS_PLAN_MAX_BYTES]; /* backing store of string/opaque values */
    size_t nbytes;
    /* 1 for a record whose value is a secret (PSK key, private key, OSCORE
     * Master Secret): dry runs and records print it redacted. */
    uint8_t rec_secret[BS_PLAN_MAX_RECS];
    /* Unbootstrapping (unboot.h), with |unboot| set: right after the
     * Discover step the engine removes the accounts of |unboot_remove| the
     * client still has (accounts this server wrote earlier that the plan no
     * longer writes, and queued removals) and, with |unboot_exclusive|,
     * every other account the plan does not write: Read /2 when needed,
     * then the planned Deletes and Access Control Writes. Nothing is sent
     * when there is nothing to remove; the plan's own SSIDs never are. */
    uint8_t unboot;
    uint8_t unboot_exclusive;
    uint8_t nunboot_remove;
    uint16_t unboot_remove[BS_PLAN_MAX_REMOVE];
} bs_plan_t;

#endif
