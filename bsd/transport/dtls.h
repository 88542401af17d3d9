/*
 * dtls.h — the wolfSSL side of the transport: security profile, contexts,
 * credential callbacks, and cheap pre-parsing of records that arrive before
 * any state exists.
 *
 * Security profile (docs/SECURITY.md): DTLS 1.2 only; PSK suites
 * PSK-AES128-CCM8 (LwM2M mandatory), PSK-AES128-GCM-SHA256 (preferred by
 * mbedTLS clients), PSK-AES128-CBC-SHA256; certificate/RPK suites with ECDHE
 * on P-256 and ECDSA: AES128-CCM8, AES128-GCM-SHA256, AES128-CBC-SHA256.
 * Extended master secret. ECC peer keys under 256 bits and RSA under 2048
 * bits are refused.
 *
 * Two contexts share one profile: one presents the server's X.509 chain,
 * the other its raw public key (RFC 7250). wolfSSL sends whatever it was
 * loaded with, so the choice is made per ClientHello, before wolfSSL sees
 * it, from the client's server_certificate_type extension.
 */
#ifndef BSD_TRANSPORT_DTLS_H
#define BSD_TRANSPORT_DTLS_H

#include <stddef.h>
#include <stdint.h>

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

#include "bsd/transport/creds.h"

#define DTLS_ERR_CONFIG (-1) /* a file could not be read or used */
#define DTLS_ERR_NOMEM  (-2)

/* What a peer authenticated as; filled in by the callbacks. */
typedef struct dtls_auth {
    enum creds_kind kind;                      /* CREDS_NONE until authenticated */
    char endpoint[CREDS_MAX_ENDPOINT + 1];     /* device bound to the credential */
    char identity[CREDS_MAX_PSK_IDENTITY + 1]; /* PSK identity, or the certificate name bound */
    uint8_t name_type;                         /* X.509: enum creds_name_type of |identity| */
    uint8_t spki_sha256[32];                   /* RPK: SHA-256 of the SubjectPublicKeyInfo */
    uint8_t cert_sha256[32];                   /* X.509: SHA-256 of the leaf certificate */
    const char *fail_reason;                   /* static string when authentication failed */
    /* CREDS_OSCORE only (set by bsd/oscore_srv.c, never by the callbacks):
     * the DTLS session's own kind when OSCORE runs inside DTLS, else
     * CREDS_NONE. The members above then describe the DTLS credential. */
    enum creds_kind dtls_kind;
} dtls_auth_t;

/*
 * Per-handshake hook for the callbacks: the transport puts a pointer to one
 * of these in the WOLFSSL object's ex_data slot 0.
 */
typedef struct dtls_hs {
    WOLFSSL *ssl;             /* the connection being authenticated */
    const creds_t *creds;     /* store the callbacks look up */
    dtls_auth_t *auth;        /* where the result goes */
    uint8_t psk_identity_bad; /* ClientKeyExchange identity had a NUL */
} dtls_hs_t;

/* The security material of one configuration generation. */
typedef struct dtls_profile {
    WOLFSSL_CTX *ctx_x509; /* presents the X.509 chain (or PSK only) */
    WOLFSSL_CTX *ctx_rpk;  /* presents the raw public key; NULL without a key */
    uint8_t server_spki[CREDS_MAX_SPKI];
    uint16_t server_spki_len;
} dtls_profile_t;

typedef struct dtls_settings {
    const char *cert_file; /* PEM chain, leaf first; NULL for PSK only */
    const char *key_file;  /* PEM private key (P-256) */
    const char *ca_file;   /* PEM trust anchors for client certificates */
    const char *ca_file2;  /* more of them: the EST CA, so enrolled devices can authenticate; NULL = none */
    int allow_psk, allow_rpk, allow_x509;
} dtls_settings_t;

/* Initialises wolfSSL once per process. Returns 0 or DTLS_ERR_CONFIG. */
int dtls_global_init(void);

/*
 * Builds both contexts from |s|. On error writes a message naming the file
 * into |err| and returns DTLS_ERR_CONFIG or DTLS_ERR_NOMEM.
 */
int dtls_profile_load(dtls_profile_t *p, const dtls_settings_t *s, char *err, size_t errcap);

/* Drops this generation's references to the contexts (sessions keep theirs). */
void dtls_profile_free(dtls_profile_t *p);

/* Record-level facts about a datagram that arrived without a session. */
typedef struct dtls_hello_info {
    int is_client_hello;  /* one epoch-0 handshake record, type ClientHello */
    int has_cookie;       /* cookie field non-empty */
    int wants_rpk_server; /* server_certificate_type lists RawPublicKey (2) */
} dtls_hello_info_t;

/*
 * Inspects a datagram from an unknown peer without touching wolfSSL.
 * Returns 0 and fills |out| when the datagram is a well-formed unfragmented
 * DTLS 1.x ClientHello; -1 otherwise (the caller drops it without state).
 */
int dtls_peek_client_hello(const uint8_t *dg, size_t len, dtls_hello_info_t *out);

/*
 * Scans an incoming datagram for an epoch-0 ClientKeyExchange whose PSK
 * identity contains a NUL byte (wolfSSL would truncate it at the NUL and look
 * up a different identity). Returns 1 if found, 0 otherwise.
 */
int dtls_psk_identity_has_nul(const uint8_t *dg, size_t len);

/* Human-readable alert description for logs ("unknown_psk_identity"). */
const char *dtls_alert_name(int code);

/* Outgoing-alert recogniser: returns the alert description code if |dg|
 * starts with a plaintext (epoch 0) fatal alert record, else -1. */
int dtls_peek_alert(const uint8_t *dg, size_t len);

#endif
