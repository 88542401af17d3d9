/*
 * sim_oscore.h — the client side of LwM2M bootstrap over OSCORE (RFC 8613,
 * Transport 1.1.1 §5.5.3, §6.4.2) for one simulated device, sans-IO on top
 * of bsd/oscore: protecting our Bootstrap-Request, verifying the server's
 * answers (Echo, Appendix B.2 re-derivation), verifying the server's
 * requests (replay window) and protecting our answers to them. Sockets,
 * retransmission and the LwM2M client model stay in sim_coap.c; files
 * (the nonce log, the saved datagrams) are opened by sim_main.c.
 *
 * Appendix B.2, client side, exactly as RFC 8613 Fig. 14 and PROTOCOLS.md
 * §1.10 give it (ID Contexts concatenated server part first):
 *   1. (b2_init only) request #1 is protected with ctx1, ID Context
 *      ID1 = R1 (8 random bytes), and carries bstr(ID1) as kid context.
 *      Without b2_init request #1 uses the configured context, whose ID
 *      Context (possibly absent = empty) is ID1 if the server starts B.2.
 *   3. A response carrying a kid context bstr(R2) is verified with ctx2,
 *      ID Context R2 || ID1. If it verifies, the client derives ctx3 with
 *      ID Context R2 || R3 (R3: 8 random bytes) and sends the next request
 *      (the repeated Bootstrap-Request, with the Echo value when the
 *      response carried one) protected with ctx3, kid context
 *      bstr(R2 || R3), SSN starting at 0 in the new context.
 *   5. The first response verified with ctx3 confirms it; later requests
 *      no longer carry the kid context.
 * A response without kid context is verified with the context that
 * protected the request (a plain 4.01 + Echo: the request is just repeated
 * with Echo, inner). Response #1 may carry the server's own Partial IV
 * (what the daemon does, PROTOCOLS.md §1.10 variant c) or none; without
 * one the request nonce is tried (libcoap, variant a), then the nonce
 * recomputed with ctx2's Common IV (Californium, variant b).
 *
 * Requests from the server are verified with the current context (ctx3
 * after B.2): kid = our Recipient ID, replay window per RFC 8613 §7.4.
 * Our answers reuse the request's nonce (no Partial IV of our own).
 */
#ifndef BSD_TOOLS_SIM_OSCORE_H
#define BSD_TOOLS_SIM_OSCORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "bsd/coap/coap_msg.h"
#include "bsd/oscore/oscore.h"

/* R1 and R3 bytes (B.2: "typically at least 8 bytes long"). */
#define SIM_OSC_NONCE_LEN 8
/* Largest datagram protected or unprotected (>= SIM_DGRAM_MAX + 64). */
#define SIM_OSC_MSG_MAX (66u * 1024u)
/* Largest datagram saved and replayed (--oscore-replay, --oscore-send-raw). */
#define SIM_OSC_RAW_MAX 2048
/* A kid context: bstr(ID Context). */
#define SIM_OSC_WIRE_MAX (OSCORE_MAX_ID_CTX_LEN + 2)

/* Random bytes for R1 and R3; returns 0 or -1. */
typedef int (*sim_osc_rng_fn)(void *arg, uint8_t *out, size_t len);

/* Configuration from the command line (--oscore-*). */
typedef struct sim_osc_cfg {
    uint8_t secret[OSCORE_MAX_MASTER_LEN]; /* --oscore-secret */
    size_t secret_len;
    uint8_t salt[OSCORE_MAX_MASTER_LEN]; /* --oscore-salt (may be empty) */
    size_t salt_len;
    uint8_t sender_id[OSCORE_MAX_ID_LEN]; /* --oscore-sender-id: ours (the request kid) */
    size_t sender_id_len;
    uint8_t recipient_id[OSCORE_MAX_ID_LEN]; /* --oscore-recipient-id: the server's Sender ID */
    size_t recipient_id_len;
    bool has_id_ctx; /* --oscore-id-context given */
    uint8_t id_ctx[OSCORE_MAX_ID_CTX_LEN];
    size_t id_ctx_len;
    bool b2_init;       /* --oscore-b2-init: request #1 with a fresh R1 (B.2 step 1) */
    uint64_t first_ssn; /* --oscore-ssn: first SSN of the configured context */
} sim_osc_cfg_t;

enum sim_osc_b2 {
    SIM_OSC_B2_NONE = 0, /* no B.2 run seen (yet) */
    SIM_OSC_B2_CTX3,     /* ctx3 derived, request #2 not yet answered */
    SIM_OSC_B2_DONE,     /* a response verified with ctx3 */
};

/* Results of sim_osc_response(). */
enum {
    SIM_OSC_PROTECTED = 0,   /* |inner| is the verified response */
    SIM_OSC_UNPROTECTED = 1, /* no OSCORE option: use the outer message as is */
    SIM_OSC_B2 = 2,          /* verified response #1 of B.2: ctx3 is in place; |inner| valid */
};

typedef struct sim_osc {
    sim_osc_cfg_t cfg;
    oscore_ctx_t base; /* the configured context (Master Secret, Salt, IDs, ID Context) */
    oscore_ctx_t ctx;  /* protects our requests and verifies the server's */
    oscore_req_t req;  /* association of our outstanding request */
    bool req_valid;    /* |req| describes a request we sent */
    uint8_t req_ctx[OSCORE_MAX_ID_CTX_LEN]; /* ID Context that protected it (ID1 for B.2) */
    size_t req_ctx_len;
    uint8_t wire[SIM_OSC_WIRE_MAX]; /* kid context our requests carry */
    size_t wire_len;                /* 0: none */
    uint8_t b2;                     /* enum sim_osc_b2 */
    unsigned b2_runs;               /* B.2 responses accepted (bounded by the caller's retries) */
    oscore_req_t sreq;              /* association of the server request being answered */
    sim_osc_rng_fn rng;
    void *rng_arg;
    FILE *nonce_log;              /* --oscore-nonce-log, NULL = none */
    const char *replay_path;      /* --oscore-replay: first protected request (raw datagram) */
    const char *replay_last_path; /* --oscore-replay-last: latest protected request */
    unsigned n_sent;              /* protected requests sent */
    /* --oscore-send-raw: the saved datagram and the answer to it */
    uint8_t raw[SIM_OSC_RAW_MAX];
    size_t raw_len; /* 0: normal run */
    uint8_t raw_code;
    bool raw_protected;
    char raw_diag[64];
    /* the last protected answer, for retransmitted server requests (the
     * dedup cache keeps only small answers and OSCORE cannot reprocess) */
    uint16_t last_mid;
    size_t last_len; /* 0: none */
    uint8_t last[SIM_OSC_MSG_MAX];
    uint8_t buf[SIM_OSC_MSG_MAX]; /* decrypted inner messages */
} sim_osc_t;

/* Derives the configured context (or, with cfg->b2_init, ctx1 from a fresh
 * R1) into |o| (zeroed by the caller except rng/files) from |cfg|; SSNs are
 * not persisted by the simulator, so the whole space is reserved and the
 * configured context starts at cfg->first_ssn. Returns 0, or -1 with a
 * message in |err| (bad lengths, Sender ID equal to Recipient ID, RNG). */
int sim_osc_init(sim_osc_t *o, const sim_osc_cfg_t *cfg, char *err, size_t cap);

/* Protects our request |plain| (|len| bytes, a request code, no OSCORE
 * option) into |out| (|cap| bytes) with the current context, carrying the
 * pending kid context; keeps the association for its response. The first
 * one is written to o->replay_path, each one to o->replay_last_path (raw
 * datagram, file rewritten; NULL paths: not saved). Returns the datagram length or an OSCORE_ERR_* / -1
 * (plain message unparsable). */
int sim_osc_protect_request(sim_osc_t *o, const uint8_t *plain, size_t len, uint8_t *out, size_t cap);

/* Verifies |outer|, a response matched to our outstanding request, into
 * |inner| (pointing into o->buf and |outer|'s datagram). A kid context in
 * it runs B.2 step 3 (see above). Returns SIM_OSC_PROTECTED, SIM_OSC_B2,
 * SIM_OSC_UNPROTECTED (|inner| untouched), or an OSCORE_ERR_* when it does
 * not verify (the message must be ignored: RFC 8613 §8.4 / B.2 "stops
 * processing"), OSCORE_ERR_B2_KID_CTX for a kid context that is not one
 * bstr, OSCORE_ERR_INVAL without an outstanding request. */
int sim_osc_response(sim_osc_t *o, const coap_msg_t *outer, coap_msg_t *inner);

/* Verifies the server request |outer| with the current context into
 * |inner| and keeps its association for sim_osc_protect_response(). A kid
 * context in it must be our ID Context, raw or bstr-wrapped. Each request
 * whose Partial IV reached the replay check and either verified or was a
 * replay is logged to o->nonce_log. Returns 0, OSCORE_ERR_NO_OPTION
 * (unprotected), or what oscore_unprotect_request() returns
 * (OSCORE_ERR_UNKNOWN_KID also for a foreign kid context); after
 * OSCORE_ERR_INNER_BAD_OPTION |inner| is valid and the answer goes back
 * protected, after OSCORE_ERR_INNER_FORMAT only the association is. */
int sim_osc_request(sim_osc_t *o, const coap_msg_t *outer, coap_msg_t *inner);

/* Protects our answer |plain| (|len| bytes) to the request last accepted
 * by sim_osc_request() with the request's nonce into o->last, which also
 * serves retransmissions of that request (sim_osc_cached()). Returns the
 * length, -1 (plain unparsable) or an OSCORE_ERR_*. */
int sim_osc_protect_response(sim_osc_t *o, const uint8_t *plain, size_t len);

/* The cached protected answer for Message ID |mid|, if it is the last one
 * sent: sets |*bytes|, |*len| and returns 1; else 0. */
int sim_osc_cached(const sim_osc_t *o, uint16_t mid, const uint8_t **bytes, size_t *len);

/* Writes the unprotected RFC 8613 §8 error answer for unprotect error
 * |err| (oscore_err_response(): 4.02/4.01/4.00 with its diagnostic text;
 * 4.01 "OSCORE required" for OSCORE_ERR_NO_OPTION, 5.00 for local errors)
 * to request |req| into |out|: ACK for a CON, else NON with Message ID
 * |non_mid|. Returns the length or a COAP_ERR_*. */
int sim_osc_error_response(const coap_msg_t *req, int err, uint16_t non_mid, uint8_t *out, size_t cap);

/* Appends one nonce-log line "kid=HEX piv=HEX kid_context=HEX msg=req|rsp
 * status=ok|replay" to o->nonce_log (if set): |kid| is the ID that
 * generated the Partial IV |piv|, |ctx| the ID Context of the context. */
void sim_osc_log_nonce(const sim_osc_t *o, const uint8_t *kid, size_t kid_len, const uint8_t *piv,
                       size_t piv_len, const oscore_ctx_t *ctx, bool request, bool replay);

/* Records the answer |m| to the --oscore-send-raw datagram. */
void sim_osc_raw_answer(sim_osc_t *o, const coap_msg_t *m);

/* The default RNG (wolfCrypt WC_RNG); |arg| unused. */
int sim_osc_rng_default(void *arg, uint8_t *out, size_t len);

#endif
