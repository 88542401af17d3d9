/*
 * creds.h — the in-memory credential store the DTLS callbacks answer from.
 *
 * Workers never block on storage: PSK identities, raw public keys and
 * certificate bindings are looked up here, in memory, during the handshake.
 * A store is immutable once built; a reload builds a new one and publishes it
 * (see worker.h). The device records come from the devices file
 * (bsd/devload.c) or from PostgreSQL (bsd/dbload.c); only the loader differs.
 *
 * Keys held here are secrets: nothing in this module logs, and callers must
 * never log a creds_psk_t key.
 */
#ifndef BSD_TRANSPORT_CREDS_H
#define BSD_TRANSPORT_CREDS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define CREDS_MAX_ENDPOINT     255
#define CREDS_MAX_PSK_IDENTITY 128
#define CREDS_MAX_PSK_KEY      64
#define CREDS_MAX_SPKI         512
#define CREDS_MAX_CN           255
#define CREDS_MAX_PREFIXES     16
#define CREDS_MAX_OSCORE_ID    7  /* OSCORE Sender / Recipient ID bytes (RFC 8613 §3.3) */
#define CREDS_MAX_OSCORE_KEY   64 /* OSCORE Master Secret bytes */
#define CREDS_MAX_OSCORE_SALT  32 /* OSCORE Master Salt bytes */
#define CREDS_MAX_OSCORE_IDCTX 32 /* OSCORE ID Context bytes */

#define CREDS_ERR_NOMEM     (-1)
#define CREDS_ERR_DUPLICATE (-2)
#define CREDS_ERR_INVALID   (-3)

/* Which certificate name binds an X.509 device. */
enum creds_name_type { CREDS_NAME_CN = 0, CREDS_NAME_SAN_DNS, CREDS_NAME_SAN_URI, CREDS_NAME_SAN_EMAIL };
#define CREDS_NAME_TYPES 4

/* Kinds of credential; also the authentication kind of a session. */
enum creds_kind { CREDS_NONE = 0, CREDS_PSK, CREDS_RPK, CREDS_X509, CREDS_NOSEC, CREDS_OSCORE };

typedef struct creds_prefix {
    int family;       /* AF_INET or AF_INET6 */
    uint8_t addr[16]; /* network-order address bytes */
    uint8_t bits;     /* prefix length */
} creds_prefix_t;

/* One device as the transport sees it. */
typedef struct creds_device {
    char *endpoint; /* LwM2M endpoint name (NUL-terminated) */
    enum creds_kind kind;
    uint8_t key[CREDS_MAX_PSK_KEY]; /* PSK key (secret) */
    uint8_t key_len;
    char *psk_identity; /* PSK identity; never contains NUL */
    uint8_t *spki;      /* RPK SubjectPublicKeyInfo DER */
    uint16_t spki_len;
    char *x509_name;         /* X.509 name bound to this device (CN or a SAN) */
    uint8_t x509_name_type;  /* enum creds_name_type: where x509_name is found */
    uint8_t fingerprint[32]; /* X.509 SHA-256 of certificate DER */
    uint8_t has_fingerprint;
    creds_prefix_t prefixes[CREDS_MAX_PREFIXES]; /* NoSec allowed sources */
    uint8_t nprefixes;
    /* OSCORE (CREDS_OSCORE, or a PSK, RPK or X509 device with
     * oscore_secret_len > 0: OSCORE inside DTLS, creds_has_oscore): the
     * device's pre-shared context (RFC 8613 §3.2) from the device's side. Its Sender ID is the kid of its
     * requests, so the server's Recipient ID; its Recipient ID is the
     * server's Sender ID. Secret and salt are secrets, like key. */
    uint8_t oscore_sender_id[CREDS_MAX_OSCORE_ID]; /* 0..7 bytes */
    uint8_t oscore_sender_id_len;
    uint8_t oscore_recipient_id[CREDS_MAX_OSCORE_ID]; /* 0..7 bytes */
    uint8_t oscore_recipient_id_len;
    uint8_t oscore_secret[CREDS_MAX_OSCORE_KEY]; /* Master Secret (secret) */
    uint8_t oscore_secret_len;
    uint8_t oscore_salt[CREDS_MAX_OSCORE_SALT]; /* Master Salt (0 bytes: the empty salt) */
    uint8_t oscore_salt_len;
    uint8_t oscore_has_id_context; /* an ID Context is configured */
    uint8_t oscore_id_context[CREDS_MAX_OSCORE_IDCTX];
    uint8_t oscore_id_context_len;
    uint8_t oscore_kid_shared; /* set by the store: another device has this Sender ID too */
    /* Rotation of the bootstrap credential (policy `bootstrap.rotate`). A new
     * credential is an extra entry of the same device (bs_new), found by its
     * PSK identity or key but never by endpoint; the device's own entry lists
     * it. Both are accepted until the new one has been used. */
    uint8_t bs_new;               /* this entry is a new credential of its device */
    uint8_t rotate_due;           /* device entry: write aliases[due] in the next bootstrap */
    uint8_t naliases;             /* device entry: its new credentials */
    uint8_t due;                  /* index into aliases */
    uint32_t aliases[2];          /* entries (bs_new) */
    uint32_t rotation;            /* bs_new: the policy's rotation counter */
    long long credential_version; /* the device record's, when loaded from PostgreSQL */
    char *rot_json; /* bs_new: JSON members describing it for the record (no plaintext secret) */
} creds_device_t;

typedef struct creds creds_t;

/* "cn", "san_dns", "san_uri", "san_email": as the devices file spells them. */
const char *creds_name_type_name(enum creds_name_type t);

/* 1 when |d| carries an OSCORE context: kind CREDS_OSCORE, or a PSK, RPK
 * or X509 device (not a new credential, bs_new) with an OSCORE secret —
 * OSCORE inside DTLS, which keeps the DTLS kind. Else 0. */
int creds_has_oscore(const creds_device_t *d);

/* Lower-case name of a credential kind ("psk", "rpk", "x509", "nosec",
 * "oscore", "none"), as used in logs and diagnostics. */
const char *creds_kind_name(enum creds_kind k);

/* Creates an empty store sized for about |expected| devices; NULL on OOM. */
creds_t *creds_new(size_t expected);

/* Frees the store and wipes the keys it holds. NULL is allowed. */
void creds_free(creds_t *c);

/*
 * Adds a copy of |d| (strings and buffers are copied). Indexes it by PSK
 * identity, SPKI, (name type, name), fingerprint and OSCORE (Sender ID, ID
 * Context) as the kind requires (OSCORE for every creds_has_oscore device).
 * Returns 0, CREDS_ERR_NOMEM, CREDS_ERR_DUPLICATE (endpoint, identity, SPKI,
 * name of that type, fingerprint or OSCORE Sender ID with the same ID
 * Context already present) or CREDS_ERR_INVALID (bad lengths, NUL in a PSK
 * identity, an OSCORE context — of an oscore device or inside DTLS — with
 * bad lengths or equal IDs, an OSCORE secret on a NoSec device).
 */
int creds_add(creds_t *c, const creds_device_t *d);

/* Number of devices in the store. */
size_t creds_count(const creds_t *c);

/* Number of devices of kind |k| in the store (new credentials not counted). */
size_t creds_count_kind(const creds_t *c, enum creds_kind k);

/*
 * Adds |in| (kind PSK or RPK, bs_new set, rot_json copied) as a new
 * bootstrap credential of the device already added under in->endpoint.
 * With |due| the device's next bootstrap writes it (rotate_due). Returns 0,
 * CREDS_ERR_DUPLICATE (the identity or key is taken, or the device has two
 * already), CREDS_ERR_INVALID (no such device, wrong kind) or
 * CREDS_ERR_NOMEM.
 */
int creds_add_alias(creds_t *c, const creds_device_t *in, int due);

/* The |k|-th new credential of device entry |d|, or NULL. */
const creds_device_t *creds_alias(const creds_t *c, const creds_device_t *d, unsigned k);

/* Lookups; each returns NULL when nothing matches. */
const creds_device_t *creds_find_endpoint(const creds_t *c, const char *ep, size_t len);
const creds_device_t *creds_find_psk(const creds_t *c, const char *identity, size_t len);
const creds_device_t *creds_find_spki(const creds_t *c, const uint8_t *spki, size_t len);
const creds_device_t *creds_find_x509_name(const creds_t *c, enum creds_name_type type, const char *name,
                                           size_t len);
const creds_device_t *creds_find_fingerprint(const creds_t *c, const uint8_t fp[32]);

/*
 * Finds the device with an OSCORE context (creds_has_oscore: its kind may
 * be CREDS_OSCORE or, for OSCORE inside DTLS, PSK, RPK or X509) whose Sender ID is |kid| (|kid_len| bytes,
 * the kid of its request) and whose ID Context is |kid_ctx| (|kid_ctx_len| bytes, the request's kid context;
 * absent and empty differ). With |kid_ctx| NULL (the request has no kid context) it finds the device with
 * that Sender ID and no ID Context, else the one device with that Sender
 * ID and an ID Context — none when several devices share the Sender ID.
 * (A request carrying a kid context the device was not configured with, as
 * in RFC 8613 Appendix B.2, is looked up with NULL.)
 */
const creds_device_t *creds_find_oscore(const creds_t *c, const uint8_t *kid, size_t kid_len,
                                        const uint8_t *kid_ctx, size_t kid_ctx_len);

/*
 * Finds a NoSec device whose allow-list contains |sa|. When several devices
 * allow the address, returns the first one added and sets *ambiguous to 1.
 */
const creds_device_t *creds_find_nosec(const creds_t *c, const struct sockaddr *sa, int *ambiguous);

/* 1 when |sa| lies in one of |d|'s NoSec prefixes, else 0. */
int creds_prefix_match(const creds_device_t *d, const struct sockaddr *sa);

/* 1 when |sa| lies in one of the |n| prefixes at |p| (an IPv4-mapped IPv6
 * address counts as IPv4), else 0. */
int creds_prefixes_match(const creds_prefix_t *p, size_t n, const struct sockaddr *sa);

/*
 * The deny-list of source prefixes (at most CREDS_MAX_DENY): datagrams from
 * them are dropped unread. creds_deny_source() adds one while the store is
 * built (0, CREDS_ERR_NOMEM, CREDS_ERR_INVALID when full or malformed);
 * creds_source_denied() answers for a source address (NULL store: 0).
 */
#define CREDS_MAX_DENY 4096
int creds_deny_source(creds_t *c, const creds_prefix_t *p);
int creds_source_denied(const creds_t *c, const struct sockaddr *sa);

/*
 * Revoked certificates (issued by the EST CA and revoked since): their
 * SHA-256 fingerprints. A device presenting one in a DTLS handshake is
 * refused (certificate_revoked). creds_set_revoked() copies |n| fingerprints
 * while the store is built (0 or CREDS_ERR_NOMEM); creds_revoked() answers
 * for one (NULL store: 0).
 */
int creds_set_revoked(creds_t *c, const uint8_t (*fps)[32], size_t n);
int creds_revoked(const creds_t *c, const uint8_t fp[32]);
size_t creds_revoked_count(const creds_t *c);

#endif
