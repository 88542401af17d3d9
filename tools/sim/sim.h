/*
 * sim.h — bsd-sim, the simulated LwM2M client: run configuration, the
 * per-device protocol state, and the device-level API that the event loop
 * (sim_loop.c) drives.
 *
 * Layers: sim_main.c (CLI) → sim_loop.c (epoll, slots, timers, per-device
 * report) and sim_stats.c (load report) → sim_net.c (UDP socket, wolfSSL
 * DTLS client) and sim_coap.c (the Bootstrap interface, client side:
 * sans-IO, sends through sim_dev_t.tx; server requests answered in
 * sim_serve.c) → sim_store.c + sim_model.c (object store and types),
 * sim_formats.c (codecs), sim_discover.c (link-format), sim_dump.c (JSON).
 * --est: sim_est.c runs EST-coaps (RFC 9148) blocking on a device's session
 * once the loop releases it (sim_est.h). --oscore-*: sim_oscore.c protects
 * and verifies what sim_coap.c sends and receives (sim_oscore.h).
 */
#ifndef BSD_TOOLS_SIM_H
#define BSD_TOOLS_SIM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "bsd/coap/coap_block.h"
#include "bsd/coap/coap_dedup.h"
#include "bsd/coap/coap_msg.h"
#include "bsd/coap/coap_xmit.h"
#include "tools/sim/sim_discover.h"
#include "tools/sim/sim_store.h"

#define SIM_EP_MAX        128                  /* endpoint name bytes */
#define SIM_PSK_ID_MAX    128                  /* PSK identity bytes (§5.2.8) */
#define SIM_PSK_KEY_MAX   64                   /* PSK key bytes (§5.2.8) */
#define SIM_CRED_MAX      4096                 /* DER public key / certificate mirrored into /0/x/3 */
#define SIM_MAX_RECS      1024                 /* records per Write / Read */
#define SIM_BODY_MAX      (64u * 1024u)        /* Block1/Block2 bodies and Read/Discover answers */
#define SIM_REQ_MAX       1024                 /* our own requests (Bootstrap-Request, /bspack) */
#define SIM_DGRAM_MAX     (SIM_BODY_MAX + 512) /* largest datagram we build or accept */
#define SIM_FAIL_MAX      8                    /* --fail-write rules */
#define SIM_ECHO_TRIES    3                    /* 4.01+Echo retries of one request (RFC 9175) */
#define SIM_DEFAULT_BLOCK 1024                 /* Block2 size / largest unblocked Write */

enum sim_sec { SIM_SEC_NOSEC = 3, SIM_SEC_PSK = 0, SIM_SEC_RPK = 1, SIM_SEC_X509 = 2 }; /* = /0/x/2 */

/* Outcome of one device's bootstrap. */
typedef enum sim_outcome {
    SIM_OUT_RUNNING = 0,
    SIM_OUT_FINISHED,          /* Bootstrap-Finish validated, 2.04 sent */
    SIM_OUT_FINISH_REJECTED,   /* Finish answered 4.06 */
    SIM_OUT_BSPACK_FINISHED,   /* /bspack applied and valid */
    SIM_OUT_BSPACK_REJECTED,   /* /bspack applied, configuration invalid */
    SIM_OUT_REQUEST_REJECTED,  /* Bootstrap-Request answered with an error */
    SIM_OUT_REQUEST_TIMEOUT,   /* no answer to Bootstrap-Request (or /bspack) */
    SIM_OUT_REQUEST_RESET,     /* RST to Bootstrap-Request */
    SIM_OUT_HANDSHAKE_FAILED,  /* DTLS handshake failed (alert, verify) */
    SIM_OUT_HANDSHAKE_TIMEOUT, /* DTLS handshake did not complete in time */
    SIM_OUT_TIMEOUT,           /* no Finish within --timeout */
    SIM_OUT_VANISHED,          /* --vanish-after hit; ended at --timeout */
    SIM_OUT_CLOSED,            /* the server closed the DTLS session */
    SIM_OUT_ERROR,             /* local error (socket, memory) */
    SIM_OUT_COUNT
} sim_outcome_t;

/* Lower-case outcome name ("finished", "finish-rejected", …). */
const char *sim_outcome_name(sim_outcome_t o);

/* Parses an outcome name; -1 if unknown. */
int sim_outcome_parse(const char *s);

struct sim_osc; /* sim_oscore.h */

typedef struct sim_fail {
    lwm2m_path_t path; /* Writes whose path equals this… */
    uint8_t code;      /* …are answered with this code, not applied */
} sim_fail_t;

/* The run configuration, shared read-only by every device and thread. */
typedef struct sim_cfg {
    /* server */
    struct sockaddr_storage addr; /* the Bootstrap-Server */
    socklen_t addrlen;
    char uri[256];    /* --server, mirrored into the BS account /0/x/0 */
    enum sim_sec sec; /* from the scheme and the credential options */
    char psk_identity[SIM_PSK_ID_MAX + 1];
    int psk_identity_ep; /* identity = endpoint name (no --psk-identity) */
    uint8_t psk_key[SIM_PSK_KEY_MAX];
    size_t psk_key_len;
    int psk_key_per_device;      /* each device's key = HMAC-SHA-256(psk_key, endpoint), cut to psk_key_len */
    const char *rpk_key;         /* PEM P-256 private key (RPK mode) */
    const char *server_spki;     /* optional pinned server RPK (DER or PEM file) */
    const char *cert, *key, *ca; /* X.509 mode */
    const char *ciphers;         /* wolfSSL cipher list, NULL = profile default */
    uint8_t cred[SIM_CRED_MAX];  /* RPK SPKI / X.509 leaf DER for /0/x/3 */
    size_t cred_len;
    /* LwM2M behaviour */
    int minor;   /* LwM2M 1.minor: 0 or 1 */
    int pct;     /* preferred Content-Format, -1 = omit */
    int omit_ep; /* no ep= in the Bootstrap-Request */
    int bspack;  /* GET /bspack first (Anjay 1.2) */
    sim_dialect_t dialect;
    int bs_inst;           /* instance of the BS account (0 Wakaama, 1 Anjay) */
    int no_block;          /* refuse block-wise: 4.13 */
    unsigned block;        /* Block2 size and largest unblocked payload */
    unsigned store_flags;  /* SIM_ST_* */
    uint16_t accept_cf[3]; /* Write formats accepted (4.15 otherwise) */
    size_t naccept;
    sim_fail_t fail[SIM_FAIL_MAX];
    size_t nfail;
    unsigned vanish_after; /* stop answering after N requests; 0 = never */
    int preset_ssid;       /* pre-provisioned LwM2M server account, 0 = none */
    /* --preset-server (2nd and later), --preset-inst, --preset-acl: applied
     * after the built-in initial state; NULL = none (sim_state.h) */
    const struct sim_presets *presets;
    /* run */
    unsigned timeout_ms; /* per device, from start to Finish */
    unsigned linger_ms;  /* keep answering duplicates after Finish */
    const char *ep;      /* single-device endpoint */
    const char *ep_prefix;
    unsigned count, concurrency, start_index, threads;
    double rate; /* new devices per second, 0 = unlimited */
    pid_t server_pid;
    int quiet, verbose;
    uint32_t expect_mask; /* outcomes that count as success (bit per sim_outcome_t) */
    /* --oscore-*: the one device's OSCORE state (mutable, single device
     * only: sim_main.c refuses --count > 1), NULL = no OSCORE */
    struct sim_osc *oscore;
    /* --state FILE: the one device's store kept across runs (mutable,
     * single device only), NULL = none. When it holds an initial store,
     * the device starts with exactly that; its store is captured when
     * it ends (sim_state.h). */
    struct sim_state_file *state;
} sim_cfg_t;

/* Per-thread scratch shared by the devices of one loop (work is done one
 * datagram at a time, so they never need it concurrently). */
typedef struct sim_work {
    lwm2m_record_t recs[SIM_MAX_RECS];
    uint8_t scratch[SIM_BODY_MAX]; /* SenML JSON base64 output */
    uint8_t body[SIM_BODY_MAX];    /* encoded Read/Discover answer */
    uint8_t msg[SIM_DGRAM_MAX];    /* outgoing response */
    uint8_t plain[SIM_DGRAM_MAX];  /* decrypted incoming datagram */
    uint8_t rx[SIM_DGRAM_MAX];     /* raw incoming datagram */
} sim_work_t;

typedef struct sim_dev sim_dev_t;

/* Sends one CoAP message for |d| (plain UDP or DTLS). Returns 0 or -1. */
typedef int (*sim_tx_fn)(sim_dev_t *d, const uint8_t *msg, size_t len);

enum sim_state {
    SIM_S_IDLE = 0,
    SIM_S_HANDSHAKE, /* DTLS handshake running (transport) */
    SIM_S_BSPACK,    /* GET /bspack outstanding */
    SIM_S_REQUEST,   /* POST /bs outstanding; server requests are served */
    SIM_S_SERVING,   /* 2.04 received; serving until Finish */
    SIM_S_VANISHED,  /* silent until the timeout */
    SIM_S_DONE,      /* outcome final; duplicates answered until linger ends */
};

struct sim_dev {
    const sim_cfg_t *cfg;
    sim_work_t *work;
    sim_tx_fn tx;
    void *tx_ctx; /* the transport's slot */
    char ep[SIM_EP_MAX + 1];
    uint8_t state;       /* enum sim_state */
    uint8_t outcome;     /* sim_outcome_t */
    uint8_t req_code;    /* answer to Bootstrap-Request, 0 = none yet */
    uint8_t finish_code; /* our answer to Finish, 0 = none */
    char detail[160];    /* short reason for the summary/dump */
    sim_store_t store;
    coap_dedup_t dedup;
    uint8_t *body; /* SIM_BODY_MAX bytes for Block1 / /bspack bodies: allocated on first
                    * use by sim_dev_body(), kept across resets, freed by the owner */
    coap_block1_rx_t b1;
    coap_block2_rx_t b2;
    /* our outstanding request */
    coap_xmit_t xmit;
    uint8_t req[SIM_REQ_MAX];
    size_t reqlen;
    uint8_t req_kind; /* SIM_S_BSPACK or SIM_S_REQUEST */
    uint32_t b2_next; /* encoded Block2 for the next /bspack GET, or 0 */
    uint8_t echo[40], echo_len, echo_tries;
    coap_token_gen_t tokgen;
    coap_mid_gen_t midgen;
    uint32_t rnd; /* xorshift32 state */
    /* timing (µs, monotonic) */
    uint64_t t_start, t_secure, t_request, t_end, deadline_us, linger_until;
    /* counters */
    unsigned served, n_discover, n_read, n_write, n_delete, n_blocks, n_dups;
};

/* Monotonic clock in µs (the loop and the transport share it). */
uint64_t sim_now_us(void);

/* Prepares |d| for endpoint |ep| at |now_us|: state, initial store (BS
 * account at /0/cfg->bs_inst, /3/0, optional preset server and the other
 * presets; or a copy of cfg->state's initial store), a fresh dedup table.
 * Allocates nothing except what the store needs. */
void sim_dev_reset(sim_dev_t *d, const char *ep, uint32_t seed, uint64_t now_us);

/* The transport is ready (plain UDP, or DTLS handshake done): sends
 * GET /bspack or the Bootstrap-Request. */
void sim_dev_begin(sim_dev_t *d, uint64_t now_us);

/* Feeds one plaintext CoAP datagram from the server. */
void sim_dev_input(sim_dev_t *d, const uint8_t *msg, size_t len, uint64_t now_us);

/* Runs timers (retransmission, session timeout, linger). */
void sim_dev_timer(sim_dev_t *d, uint64_t now_us);

/* When sim_dev_timer() has something to do next (µs). */
uint64_t sim_dev_deadline(const sim_dev_t *d);

/* 1 once the device can be released (outcome final and linger over). */
int sim_dev_released(const sim_dev_t *d, uint64_t now_us);

/* The reassembly buffer for Block1 writes and /bspack answers, allocated
 * on first use (most sessions never need it). NULL when out of memory. */
uint8_t *sim_dev_body(sim_dev_t *d);

/* Ends the device with |o| unless already final; |why| may be NULL. */
void sim_dev_end(sim_dev_t *d, sim_outcome_t o, const char *why, uint64_t now_us);

/* Answers one server request |m| (already parsed, not a duplicate) into
 * |out|; returns the response length or 0 for none. Exposed for tests. */
size_t sim_dev_serve(sim_dev_t *d, const coap_msg_t *m, uint64_t now_us, uint8_t *out, size_t cap);

/* The PSK key of device |ep| (|out| holds SIM_PSK_KEY_MAX bytes); returns its length. */
size_t sim_device_psk(const sim_cfg_t *c, const char *ep, uint8_t *out);

#endif
