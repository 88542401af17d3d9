/*
 * sim_est.h — bsd-sim's EST-coaps client (RFC 9148): after the bootstrap
 * Finish (or on a fresh DTLS session with --est-only) GET crts, POST a
 * PKCS#10 CSR to sen (and sren), write key, certificate and CA chain, and
 * optionally prove the certificate in a DTLS 1.2 X.509 handshake with an
 * independent server. Crypto is wolfCrypt/wolfSSL only; the DER handling
 * here is the sim's own and shares nothing with the daemon's bsd/est.
 *
 * Two parts: the pure DER helpers (sim_est_der.c: PKCS#7 certs-only walk,
 * certificate fields, the subjectAltName extension request) that the unit
 * test and the fuzz target drive without a network, and the blocking
 * client (sim_est.c) that runs on a device's sim_conn_t once its event
 * loop is done with it.
 */
#ifndef BSD_TOOLS_SIM_EST_H
#define BSD_TOOLS_SIM_EST_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "tools/sim/sim.h"
#include "tools/sim/sim_net.h"

#define SIM_EST_MAX_CERTS  8                  /* certificates kept from one PKCS#7 */
#define SIM_EST_CERT_MAX   4096               /* one certificate's DER */
#define SIM_EST_CSR_MAX    2048               /* our PKCS#10 DER */
#define SIM_EST_BODY_MAX   (32u * 1024u)      /* largest crts/sen/sren answer */
#define SIM_EST_SAN_MAX    253                /* --est-san-dns bytes (a DNS name) */
#define SIM_EST_RETRIES    5                  /* resends of one request after 5.03 + Max-Age */
#define SIM_EST_WAIT_MAX_S 60u                /* longest Max-Age we wait (RFC 7252 default) */
#define SIM_EST_HS_MAX_US  (30u * 1000000u)   /* DTLS handshake limit (--est-only, x509) */
#define SIM_EST_ROOT_WK    "/.well-known/est" /* RFC 9148 §4.1 default root */

/* Errors of the DER helpers. */
enum {
    SIM_EST_E_TRUNC = -1,   /* a length runs past its container */
    SIM_EST_E_TAG = -2,     /* unexpected tag or OID */
    SIM_EST_E_MANY = -3,    /* more than the caller's room for certificates */
    SIM_EST_E_NOSPACE = -4, /* output buffer too small */
    SIM_EST_E_EMPTY = -5,   /* no certificate */
};

/* A slice of a DER buffer. */
typedef struct sim_est_span {
    const uint8_t *p;
    size_t len;
} sim_est_span_t;

/*
 * Walks a DER PKCS#7 ContentInfo (RFC 5652 §3) of type signedData and
 * gives the Certificate TLVs of its `certificates` field (the certs-only
 * form RFC 9148 §4.3 uses for 281) in |out| (room for |max|), |*n| of
 * them. Every length is checked against its container; indefinite
 * lengths (BER) are refused. Returns 0, SIM_EST_E_TRUNC, SIM_EST_E_TAG
 * (not signedData, or a field out of place), SIM_EST_E_MANY or
 * SIM_EST_E_EMPTY (no certificate).
 */
int sim_est_p7_certs(const uint8_t *der, size_t len, sim_est_span_t *out, size_t max, size_t *n);

/* Checks that |der| is exactly one Certificate (SEQUENCE { tbs, alg,
 * sig }) and gives its serial number's value bytes and its
 * SubjectPublicKeyInfo TLV. Either output may be NULL. Returns 0,
 * SIM_EST_E_TRUNC or SIM_EST_E_TAG. */
int sim_est_cert_fields(const uint8_t *der, size_t len, sim_est_span_t *serial, sim_est_span_t *spki);

/*
 * Adds an extensionRequest attribute (PKCS#9, RFC 2986 §4.1) with a
 * subjectAltName of one dNSName |dns| to the CertificationRequestInfo
 * |info| of |*len| bytes (wolfSSL builds CSRs without SAN unless built
 * with WOLFSSL_ALT_NAMES). |info| has room for |cap| bytes; on success
 * *len is the new length. Returns 0, SIM_EST_E_TRUNC / SIM_EST_E_TAG
 * (|info| not a CertificationRequestInfo, or it already requests
 * extensions) or SIM_EST_E_NOSPACE (also: |dns| empty or longer than
 * SIM_EST_SAN_MAX).
 */
int sim_est_csr_add_san(uint8_t *info, size_t *len, size_t cap, const char *dns);

/* ---- the client --------------------------------------------------------- */

/* The EST options of a run (read-only while it runs, except |failures|). */
typedef struct sim_est_cfg {
    const char *root;           /* "/.well-known/est" (default) or "/est" */
    uint16_t accept;            /* 281 (default) or 287 */
    int p384;                   /* key curve P-384 instead of P-256 */
    const char *subject;        /* "CN=..,O=..", NULL = CN=<endpoint> */
    const char *san_dns;        /* one dNSName in the CSR, or NULL */
    int szx;                    /* forced block size exponent 0..6, -1 = none */
    const char *out_dir;        /* where key, certificates and chain go, NULL = nowhere */
    const char *csr_out;        /* debug: the sen CSR's DER goes here */
    const char *key_file;       /* PEM EC key to enroll with instead of a fresh one */
    int renew;                  /* sren after sen */
    int renew_new_key;          /* sren with a fresh key */
    int renew_only;             /* crts then sren only (re-enrollment) */
    int only;                   /* no bootstrap: a fresh DTLS session for EST */
    struct sockaddr_storage hs; /* --x509-handshake target (loopback) */
    socklen_t hs_len;           /* 0 = no handshake */
    const char *hs_ca;          /* trust anchors for that server, NULL = the crts chain */
    unsigned failures;          /* steps that failed (set by the runs) */
} sim_est_cfg_t;

/* The hook sim_conn_close() calls (sim_tls_t.after_finish) for a device
 * whose bootstrap finished: runs the EST steps of |arg| (a sim_est_cfg_t)
 * on the same session, printing one line per step to stdout. */
void sim_est_after_finish(sim_conn_t *c, void *arg);

/* --est-only: opens a fresh session with |tls| for endpoint |ep| and runs
 * the EST steps there. Returns 0 when every step succeeded, else 1. */
int sim_est_only(const sim_cfg_t *cfg, const sim_tls_t *tls, const char *ep, sim_est_cfg_t *e);

/* Parses "HOST:PORT" (HOST 127.0.0.1, ::1, [::1] or localhost) into
 * e->hs. Returns 0 or -1. */
int sim_est_parse_hostport(sim_est_cfg_t *e, const char *s);

#endif
