/*
 * server_sess.h — per-peer state of the CoAP server (internal to bsd/):
 * duplicate detection and, while a bootstrap runs, its engine and plan.
 */
#ifndef BSD_SERVER_SESS_H
#define BSD_SERVER_SESS_H

#include <stdint.h>

#include "bsd/coap/coap_dedup.h"
#include "bsd/transport/creds.h"

struct bs_session;
struct bs_plan;
struct est_sess;
struct osc_sess;

typedef struct server_sess {
    coap_dedup_t dedup;
    struct bs_session *bs;                 /* running or just finished bootstrap; NULL */
    struct bs_plan *plan;                  /* the plan it plays (owned) */
    char endpoint[CREDS_MAX_ENDPOINT + 1]; /* device of the bootstrap */
    enum creds_kind kind;                  /* how the device authenticated */
    enum creds_kind dtls_kind;             /* kind CREDS_OSCORE inside DTLS: the DTLS kind; else NONE */
    uint64_t bs_started;                   /* ms */
    struct server_sess *ep_next;           /* per-worker endpoint index chain */
    uint64_t epoch;                        /* this bootstrap's entry in the shared epoch table */
    /* Bootstrap-credential rotation: 1 this session writes the device's new
     * credential, 2 the device authenticated with it; rot_json holds the
     * record's members for it (no plaintext secret), or NULL. */
    uint8_t rot_state;
    char *rot_json;
    struct est_sess *est; /* EST enrollment state (est_srv.h), allocated at the first EST request; NULL */
    struct osc_sess *osc; /* OSCORE state (oscore_srv.h) when the bootstrap runs over OSCORE; NULL */
} server_sess_t;

#endif
