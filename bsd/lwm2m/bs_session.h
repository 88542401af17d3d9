/*
 * bs_session.h — the bootstrap session engine: plays one device's plan
 * (bs_plan.h) towards the device as CoAP requests, sans-IO.
 *
 * The transport owns sockets, DTLS and clocks; the engine takes messages
 * and timestamps and returns messages and a deadline:
 *
 *   bs_session_start()      after the 2.04 to the Bootstrap-Request went out
 *   bs_session_poll()       "anything to send now?" (also after timers)
 *   bs_session_on_message() a CoAP message from the device
 *   bs_session_deadline()   when to call poll() next
 *   bs_session_done()       the outcome is final; the record is complete
 *
 * One request is in flight at a time (RFC 7252 NSTART 1), Confirmable,
 * retransmitted per RFC 7252 §4.2; writes larger than a datagram go
 * block-wise (Block1 with a Request-Tag, RFC 9175) and answers larger than a
 * datagram are reassembled (Block2). A per-session timeout (default 60 s,
 * far below the client's 247 s EXCHANGE_LIFETIME wait for Finish) bounds the
 * whole exchange. Transport 1.1.1 §6.4.2: unless the device is unreachable,
 * every session ends with Bootstrap-Finish, also after failed steps.
 */
#ifndef BSD_LWM2M_BS_SESSION_H
#define BSD_LWM2M_BS_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include "bsd/coap/coap_block.h"
#include "bsd/coap/coap_msg.h"
#include "bsd/coap/coap_xmit.h"
#include "bsd/lwm2m/bs_plan.h"

#define BS_SESSION_TIMEOUT_MS 60000u /* default whole-session timeout */
#define BS_BUF_MAX            8192   /* largest Write payload / Discover or Read answer */
#define BS_MSG_MAX            1400   /* largest single request datagram */
#define BS_MAX_SEEN           64     /* Security instances remembered from Discover */
#define BS_DISCOVER_KEEP      1024   /* bytes of the Discover answer kept for the record */

typedef enum bs_outcome {
    BS_OUTCOME_RUNNING = 0,
    BS_OUTCOME_FINISHED,             /* every step succeeded, Finish 2.04 */
    BS_OUTCOME_FINISHED_WITH_ERRORS, /* some step failed, Finish 2.04 */
    BS_OUTCOME_FINISH_REJECTED,      /* Finish answered 4.06 (or another error) */
    BS_OUTCOME_TIMED_OUT,            /* device unreachable or session timeout */
    BS_OUTCOME_REPLACED,             /* a new Bootstrap-Request replaced it */
} bs_outcome_t;

/* One step as recorded: what was sent and what came back. */
typedef struct bs_step {
    uint8_t kind;       /* bs_op_kind_t */
    lwm2m_path_t path;  /* resolved path (placement applied) */
    uint16_t format;    /* Content-Format of the payload or Accept; 0 none */
    uint8_t code;       /* response code (COAP_CODE), 0 = none (timeout) */
    uint8_t skipped;    /* not sent (on_error: stop, or LwM2M 1.0 client) */
    uint8_t no_account; /* skipped: BS_INST_BS_ACCOUNT but Discover named no single BS account */
    uint16_t blocks;    /* request blocks sent */
    uint32_t ms;        /* duration */
} bs_step_t;

struct bs_unboot; /* bs_session.c: an unbootstrap in progress (heap, rare) */

typedef struct bs_session {
    const bs_plan_t *plan;
    uint16_t format;   /* chosen payload format */
    uint8_t lwm2m_10;  /* Discover says LwM2M 1.0 (or pct absent): no Read */
    uint8_t placement; /* 0 blind, 1 from Discover */
    uint8_t errors;    /* failed steps */
    uint8_t stopping;  /* on_error: stop triggered */
    bs_outcome_t outcome;
    const char *reason; /* static text for the record, or NULL */

    size_t op;         /* index into plan->ops of the current step */
    uint8_t in_flight; /* a request is outstanding */
    uint8_t send_now;  /* msg must be (re)sent at the next poll */
    uint64_t started, deadline_session, step_started;

    coap_token_gen_t tokgen;
    coap_mid_gen_t midgen;
    coap_xmit_t xmit;
    uint32_t rnd; /* xorshift state for retransmission jitter */
    uint8_t msg[BS_MSG_MAX];
    size_t msglen;
    size_t max_coap; /* largest CoAP message the transport carries */

    /* block-wise state of the current step */
    coap_block1_tx_t b1;
    uint8_t b1_active;
    uint8_t reqtag[2];
    coap_block2_rx_t b2;
    uint8_t b2_active;
    uint16_t blocks;
    /* a client refused block-wise: the write goes resource by resource */
    uint8_t per_res;
    uint8_t per_res_code; /* worst answer so far (2.04 when all succeeded) */
    uint32_t sub;         /* next record of the op to write */

    /* One buffer per step: the encoded Write payload, or the Discover/Read
     * answer being reassembled (a step never needs both). */
    uint8_t buf[BS_BUF_MAX];
    size_t buflen;

    /* Discover results */
    int bs_account_inst;                /* the client's Bootstrap-Server account, -1 unknown */
    uint8_t bs_accounts;                /* how many /0 entries without ssid were listed */
    uint16_t seen[2][BS_MAX_SEEN];      /* /0 and /1 instance IDs listed */
    uint16_t seen_ssid[2][BS_MAX_SEEN]; /* their ssid attribute, 0 when absent */
    uint8_t nseen[2];
    uint8_t seen_over;                        /* Discover listed more /0 or /1 instances than BS_MAX_SEEN */
    uint16_t slot_inst[2][BS_PLAN_MAX_SLOTS]; /* [0]=/0, [1]=/1; 0xffff unassigned */
    /* Object 21 (OSCORE) as the client has it: its secrets and IDs are
     * Strings in v1.x and Opaque in v2.0, so writes are retyped to match. */
    uint8_t oscore_listed; /* Discover listed /21 */
    uint8_t oscore_ver[2]; /* its ver= (1.0 when absent) */
    uint8_t retyped;       /* some value was written with the client's type */
    /* The client's Discover answer as received (cut at BS_DISCOVER_KEEP),
     * kept for the record: the client state a later dry run starts from. */
    char discover[BS_DISCOVER_KEEP];
    uint16_t discover_len;

    bs_step_t steps[BS_PLAN_MAX_OPS];
    size_t nsteps;

    uint16_t last_cf;  /* Content-Format of the latest answer (0xffff none) */
    uint8_t b2_failed; /* the current step's block-wise answer could not be reassembled */
    /* Accounts this session wrote (2.04 on a Security /0/x/10 or Server
     * /1/x/0 write), recorded as "accounts" after a Finish 2.04. */
    uint16_t wrote[BS_PLAN_MAX_REMOVE];
    uint8_t nwrote;
    /* Unbootstrapping (bs_plan_t.unboot): what was examined. |ub| exists only while (and after)
     * something present on the client is removed; SSIDs requested that the
     * client does not have, or that the plan writes itself, are kept here. */
    uint8_t ub_due;    /* Discover ended: examine removals before the next op */
    uint8_t ub_ran;    /* the step ran (a record member follows) */
    uint8_t ub_active; /* the current step is one of the unbootstrap's */
    uint8_t nub_absent, nub_kept;
    uint16_t ub_absent[BS_PLAN_MAX_REMOVE];
    uint16_t ub_kept[BS_PLAN_MAX_REMOVE];
    const char *ub_note; /* why nothing was done, for the record */
    struct bs_unboot *ub;
} bs_session_t;

/*
 * Starts playing |plan| (kept by pointer; it must outlive the session).
 * |pct| is the client's preferred Content-Format from the Bootstrap-Request
 * (0 when absent: an LwM2M 1.0 client), |max_coap| the largest CoAP message
 * the transport carries, |seed| random bits for MIDs and jitter.
 * Returns 0 or LWM2M_ERR_RANGE (max_coap too small for any request).
 */
int bs_session_start(bs_session_t *s, const bs_plan_t *plan, uint16_t pct, size_t max_coap, uint64_t now,
                     uint32_t seed);

/* Writes the next message to send into |out| (|cap| bytes), if any is due.
 * Returns its length, 0 when nothing is due, or LWM2M_ERR_NOSPACE. */
int bs_session_poll(bs_session_t *s, uint64_t now, uint8_t *out, size_t cap);

/*
 * Feeds a message from the device. Returns 1 when it belonged to the
 * session (then |*ack_len| may be set to an Empty ACK written into |ack|,
 * for a separate CON response), 0 when it did not (the caller handles it as
 * a request to the server).
 */
int bs_session_on_message(bs_session_t *s, const coap_msg_t *m, uint64_t now, uint8_t *ack, size_t ack_cap,
                          size_t *ack_len);

/* When bs_session_poll() must run next (ms); UINT64_MAX when done. */
uint64_t bs_session_deadline(const bs_session_t *s);

/* 1 once the outcome is final. */
int bs_session_done(const bs_session_t *s);

/* Log fields of an unbootstrap that removed something, e.g.
 * " unboot_removed=102,103 unboot_ops=6 unboot_failed=0", else "". */
const char *bs_session_unboot_brief(const bs_session_t *s, char *out, size_t cap);

/* How many accounts the session's unbootstrap removed (0: none), and in
 * |*failed| whether a planned operation did not succeed, in |*acl_unknown|
 * whether it ran without the Access Control object. */
unsigned bs_session_unboot_removed(const bs_session_t *s, int *failed, int *acl_unknown);

/* The records the current step writes — the plan op's, or an unbootstrap's
 * Access Control instance — in |*n|, and in |*secret| which of them hold
 * secrets (NULL: none). NULL when the current step writes nothing. */
const lwm2m_record_t *bs_session_step_records(const bs_session_t *s, size_t *n, const uint8_t **secret);

/* Frees what the session allocated (an unbootstrap's state); the record
 * must have been written before. The session may be started again. */
void bs_session_release(bs_session_t *s);

/* Ends a running session as replaced by a newer Bootstrap-Request. */
void bs_session_replace(bs_session_t *s, uint64_t now);

/* Lower-case outcome name for records ("finished", "finish-rejected", …). */
const char *bs_outcome_name(bs_outcome_t o);

/* Writes the session record as one JSON object (steps, codes, timing,
 * outcome) into |out|. Returns its length or LWM2M_ERR_NOSPACE. */
int bs_session_record_json(const bs_session_t *s, char *out, size_t cap);

#endif
