/*
 * policy.h — YAML provisioning policies: what a factory wants every device
 * it bootstraps to get, compiled per device into the exact plan
 * (bs_plan.h) the session engine plays.
 *
 * A policy is parsed and checked once (policy_parse); any error refuses the
 * whole document with "NAME:LINE:COLUMN: message" (1-based). For a device,
 * the caller picks the policy (policy_matches / policy_select) and
 * compiles it (policy_compile) with a context: the policy version to record,
 * the 32-byte key from which per-device credentials are derived, and flags.
 * Compilation is pure and deterministic: no I/O, no allocation, no globals.
 * Generated credentials (PSK keys, P-256 key pairs, OSCORE master secrets)
 * are derived with HKDF-SHA-256 from that key and (purpose, endpoint, SSID,
 * rotation counter), so a device bootstrapped again under the same policy
 * gets the same credentials without any storage; policy_export_creds()
 * lists them for the LwM2M Server's security store.
 *
 * policy_est() expands a policy's `est:` section for a device: what it may
 * enroll for at this server's EST CA (subject, subjectAltNames, curves, the
 * credential kinds it may enroll with, validity, rate).
 *
 * policy_dry_run() plays a compiled plan through the real engine
 * (bs_session) against an in-memory client and prints the requests as JSON.
 *
 * The language is documented in docs/POLICY.md, its JSON Schema in
 * docs/policy.schema.json; examples live in examples/policies/.
 *
 * Thread safety: a parsed policy_t is immutable; every function may be
 * called concurrently on it. Nothing here logs, and secrets only leave
 * through the caller's buffers (bs_plan_t, policy_cred_t, the dry run with
 * reveal set).
 */
#ifndef BSD_POLICY_POLICY_H
#define BSD_POLICY_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bsd/lwm2m/bs_plan.h"

#define POLICY_ERR_MAX        512 /* an error buffer that fits any message */
#define POLICY_NAME_MAX       (BS_PLAN_NAME_MAX - 1)
#define POLICY_MAX_SERVERS    8   /* LwM2M Server accounts per policy */
#define POLICY_MAX_OSCORE     8   /* OSCORE contexts per policy */
#define POLICY_MAX_ACLS       24  /* Access Control instances per policy */
#define POLICY_MAX_OBJECTS    16  /* extra object instances per policy */
#define POLICY_MAX_DELETES    8   /* paths deleted first */
#define POLICY_MAX_LABELS     16  /* label conditions in `match`, labels of a device */
#define POLICY_MAX_SUITES     16  /* ciphersuites per account */
#define POLICY_MAX_RES        48  /* resources given in one `values`/`resources` map */
#define POLICY_KEY_LEN        32  /* derivation key bytes */
#define POLICY_PSK_MIN        16  /* generated PSK / OSCORE secret bytes, at least (Transport §5.2.1) */
#define POLICY_PSK_MAX        64  /* key bytes, at most (Transport §5.2.8) */
#define POLICY_IDENTITY_MAX   128 /* PSK identity bytes (Transport §5.2.8) */
#define POLICY_CRED_MAX       (2 * POLICY_MAX_SERVERS + POLICY_MAX_OSCORE + 1)
#define POLICY_CRED_BYTES_MAX 1024 /* identity/public bytes of one exported credential */
#define POLICY_TIMEOUT_MAX    240  /* seconds; below the client's 247 s EXCHANGE_LIFETIME */

/* Errors (negative); the lwm2m_ codes are reused where they fit. */
#define POLICY_ERR_NOMATCH (-20) /* no policy matches the device */
#define POLICY_ERR_DEVICE  (-21) /* the device record lacks what the policy needs */
#define POLICY_ERR_CRYPTO  (-22) /* wolfCrypt failed */
#define POLICY_ERR_ARG     (-23) /* a NULL or malformed argument */
#define POLICY_ERR_NOSPACE (-24) /* caller buffer too small */

typedef struct policy policy_t;

/* A label of a device ("line" = "A"). */
typedef struct policy_label {
    const char *key, *value; /* NUL-terminated UTF-8 */
} policy_label_t;

/*
 * Credentials the device record supplies for one account (`from: device`).
 * For psk: |identity| is the PSK identity, |secret| the key. For rpk:
 * |identity| the SubjectPublicKeyInfo DER, |secret| the private key
 * (RFC 5958 DER). For x509: |identity| the certificate DER, |secret| the
 * private key. |oscore_secret| is the Master Secret of the OSCORE context
 * linked to that account.
 */
typedef struct policy_device_cred {
    uint16_t ssid;
    const uint8_t *identity;
    size_t identity_len;
    const uint8_t *secret;
    size_t secret_len;
    const uint8_t *oscore_secret;
    size_t oscore_secret_len;
} policy_device_cred_t;

/*
 * A certificate this server's EST CA issued for the key pair an x509
 * account generates (`client_key: generate` + `client_certificate: issue`),
 * written to /0/x/3. The daemon's generation loader issues and records it
 * (policy compilation is pure and cannot); policy_x509_issue_keys() says
 * what it must certify.
 */
typedef struct policy_device_cert {
    uint16_t ssid;
    const uint8_t *der; /* the certificate, DER */
    size_t der_len;
} policy_device_cert_t;

/* The device as the compiler sees it. */
typedef struct policy_device {
    const char *endpoint; /* required, UTF-8 */
    const char *serial;   /* or NULL */
    const policy_label_t *labels;
    size_t nlabels;
    const policy_device_cred_t *creds; /* per SSID, for `from: device` */
    size_t ncreds;
    const policy_device_cert_t *certs; /* per SSID, for `client_certificate: issue` */
    size_t ncerts;
    /* Server accounts to remove from the device when it still has them,
     * compiled into the plan's unbootstrap step: those this server wrote
     * earlier (unless the policy still writes them) and queued removals
     * (passed on even when the policy writes them: the record says "kept"). */
    const uint16_t *unboot_written;
    size_t nunboot_written;
    const uint16_t *unboot_pending;
    size_t nunboot_pending;
} policy_device_t;

#define POLICY_CTX_ROTATE_BS 0x1u /* compile `bootstrap.rotate` writes */
/* Dry runs: an issued certificate the device lacks is written as the
 * string POLICY_CERT_PLACEHOLDER instead of failing the compilation. A plan
 * compiled with this flag is for showing only, never for a device. */
#define POLICY_CTX_CERT_PLACEHOLDER 0x2u
#define POLICY_CERT_PLACEHOLDER     "(certificate issued by the EST CA at the next load)"

/* What the caller (the store) adds to every compilation. */
typedef struct policy_ctx {
    uint32_t version;            /* recorded in the plan */
    uint8_t key[POLICY_KEY_LEN]; /* HKDF input keying material */
    uint32_t flags;              /* POLICY_CTX_* */
} policy_ctx_t;

/*
 * Parses and checks |len| bytes of YAML at |yaml| as a policy called |name|
 * in messages. Returns the policy (free with policy_free) or NULL with
 * "NAME:LINE:COLUMN: message" in |err| (|errcap| bytes, cut, never
 * overflowed); every check is listed in docs/POLICY.md.
 */
policy_t *policy_parse(const char *name, const char *yaml, size_t len, char *err, size_t errcap);

/* Frees |p| (NULL is fine). */
void policy_free(policy_t *p);

/* The `policy:` name and the `priority:` (default 0). */
const char *policy_name(const policy_t *p);
int32_t policy_priority(const policy_t *p);

/* 1 when |dev| satisfies the policy's `match` (every condition), else 0. */
int policy_matches(const policy_t *p, const policy_device_t *dev);

/*
 * Picks the policy for |dev| among |n|: the matching one with the highest
 * priority; among equal priorities the one whose name sorts first (strcmp),
 * so the choice never depends on load order. |*ambiguous| (may be NULL) is
 * set to 1 when another matching policy had the same priority. Returns the
 * index, or POLICY_ERR_NOMATCH.
 */
int policy_select(const policy_t *const *ps, size_t n, const policy_device_t *dev, int *ambiguous);

/*
 * Whether |a| and |b| may both match one device at the same priority (for
 * the store to refuse or warn at apply time). Conservative: returns 0 only
 * when they provably cannot (different priorities, conflicting label
 * conditions, or different literal endpoint names), else 1.
 */
int policy_may_overlap(const policy_t *a, const policy_t *b);

/*
 * Compiles |p| for |dev| into |out| (caller memory, fully overwritten;
 * record bytes point into out->bytes, so do not copy it by value).
 * Deterministic: the same inputs give the same plan. Returns 0, or with a
 * message in |err| (may be NULL):
 *   POLICY_ERR_ARG     NULL argument, endpoint NULL or not UTF-8;
 *   POLICY_ERR_DEVICE  `${serial}` / `${label.X}` / `from: device` not in |dev|,
 *                      or an issued certificate missing from dev->certs
 *                      (without POLICY_CTX_CERT_PLACEHOLDER) or not
 *                      carrying the generated key;
 *   LWM2M_ERR_LIMIT    the plan exceeds BS_PLAN_MAX_RECS / _BYTES / _OPS;
 *   LWM2M_ERR_RANGE    a substituted value breaks a limit (identity length, URI);
 *   POLICY_ERR_CRYPTO  key derivation failed.
 */
int policy_compile(const policy_t *p, const policy_device_t *dev, const policy_ctx_t *ctx, bs_plan_t *out,
                   char *err, size_t errcap);

typedef enum policy_cred_kind {
    POLICY_CRED_PSK = 1, /* identity + key */
    POLICY_CRED_RPK,     /* public = SubjectPublicKeyInfo DER, secret = RFC 5958 DER */
    POLICY_CRED_OSCORE,  /* identity = client's Sender ID, secret = Master Secret */
} policy_cred_kind_t;

/* One generated credential of a device. */
typedef struct policy_cred {
    policy_cred_kind_t kind;
    uint16_t ssid;                           /* the account; 0 for the Bootstrap-Server account */
    uint8_t bootstrap;                       /* the rotated Bootstrap-Server credential */
    uint32_t rotation;                       /* the policy's rotation counter */
    uint8_t identity[POLICY_CRED_BYTES_MAX]; /* PSK identity, SPKI DER, OSCORE Sender ID */
    size_t identity_len;
    uint8_t recipient[8]; /* OSCORE Recipient ID */
    size_t recipient_len;
    uint8_t secret[160]; /* PSK key, private key DER, Master Secret */
    size_t secret_len;
} policy_cred_t;

/*
 * Lists every credential the policy generates for |dev| (not `from: device`
 * ones) into |out| (|cap| entries). The bootstrap rotation is listed only
 * when |ctx| enables it. Returns the count, or an error of policy_compile()
 * or POLICY_ERR_NOSPACE. Wipe |out| after use.
 */
int policy_export_creds(const policy_t *p, const policy_device_t *dev, const policy_ctx_t *ctx,
                        policy_cred_t *out, size_t cap, char *err, size_t errcap);

/*
 * The new Bootstrap-Server credential `bootstrap.rotate` gives |dev| (the
 * one policy_compile writes with POLICY_CTX_ROTATE_BS), into |out| (wipe it
 * after use). Returns 1 when the policy rotates, 0 when it does not, or an
 * error of policy_compile().
 */
int policy_bs_rotation(const policy_t *p, const policy_device_t *dev, const policy_ctx_t *ctx,
                       policy_cred_t *out, char *err, size_t errcap);

/* ---- devices enrolling over EST (the `est:` section) ---------------------- */

#define POLICY_EST_SUBJECT_MAX 512 /* bytes of an expanded subject with its NUL (EST_NAME_STR_MAX) */
#define POLICY_EST_MAX_SAN     8   /* subjectAltNames per policy (EST_CSR_MAX_SAN) */
#define POLICY_EST_SAN_MAX     255 /* bytes of one expanded subjectAltName */

/* How the device may be authenticated on the DTLS session it enrolls over. */
#define POLICY_EST_AUTH_X509 0x1u /* a client certificate (RFC 9148 §3) */
#define POLICY_EST_AUTH_PSK  0x2u /* a PSK: a deviation from RFC 9148 */
#define POLICY_EST_AUTH_RPK  0x4u /* a raw public key: a deviation from RFC 9148 */

/* Curves the device's key may be on. */
#define POLICY_EST_CURVE_P256 0x1u
#define POLICY_EST_CURVE_P384 0x2u
#define POLICY_EST_CURVE_P521 0x4u

/* subjectAltName kinds: the GeneralName tag numbers (RFC 5280 §4.2.1.6),
 * the same as est_csr.h's enum est_san_type. */
#define POLICY_EST_SAN_EMAIL 1 /* rfc822Name */
#define POLICY_EST_SAN_DNS   2 /* dNSName */
#define POLICY_EST_SAN_URI   6 /* uniformResourceIdentifier */

/* One subjectAltName the request must carry. */
typedef struct policy_est_san {
    int type;                           /* POLICY_EST_SAN_* */
    char value[POLICY_EST_SAN_MAX + 1]; /* printable ASCII, NUL-terminated */
} policy_est_san_t;

/* What the device's policy allows it to enroll for, expanded for the device. */
typedef struct policy_est {
    char subject[POLICY_EST_SUBJECT_MAX];     /* the exact subject, in est_name_str()'s text form */
    policy_est_san_t san[POLICY_EST_MAX_SAN]; /* exactly these names: dns, uri, email, each in policy order */
    size_t nsan;
    uint32_t validity_days; /* of the issued certificate, 1..3650 */
    uint32_t curves;        /* POLICY_EST_CURVE_* bits */
    uint32_t auth;          /* POLICY_EST_AUTH_* bits */
    bool renew_new_key;     /* sren may bring a new key */
    uint32_t per_hour;      /* enrollments per device and hour, 1..1000 */
} policy_est_t;

/*
 * Expands the `est:` section of |p| for |dev| into |out| (fully
 * overwritten). A policy without the section but with a server in security
 * mode est gets the defaults (docs/POLICY.md). The subject's substituted
 * values are escaped as est_name_str() writes them, so the result compares
 * with est_name_str() of a request's subject by strcmp. Pure and
 * allocation-free. Returns 1 when the device may enroll, 0 when the policy
 * neither has an `est:` section nor a server in mode est, or, with a
 * message in |err| (may be NULL):
 *   POLICY_ERR_ARG     NULL argument, endpoint NULL or not UTF-8;
 *   POLICY_ERR_DEVICE  a template names a serial or label the device lacks,
 *                      or a substituted value does not fit its attribute or
 *                      subjectAltName (length, character set);
 *   POLICY_ERR_NOSPACE the expanded subject exceeds POLICY_EST_SUBJECT_MAX.
 */
int policy_est(const policy_t *p, const policy_device_t *dev, policy_est_t *out, char *err, size_t errcap);

/* ---- x509 accounts whose certificate this server's CA issues --------------- */

#define POLICY_X509_SPKI_LEN 91 /* SubjectPublicKeyInfo DER of the generated P-256 key */

/* What the CA is to certify for one account with `client_certificate: issue`. */
typedef struct policy_x509_issue {
    uint16_t ssid;
    uint8_t spki[POLICY_X509_SPKI_LEN]; /* the generated key's public half */
    /* The certificate's subject (est_name_str() text), subjectAltNames and
     * validity_days: the `est:` section's, expanded for the device, or its
     * defaults (subject "CN=${endpoint}", no names, 365 days) when the
     * policy has none. Other fields of |est| are not used. */
    policy_est_t est;
} policy_x509_issue_t;

/* Accounts of |p| with `client_certificate: issue` (0..POLICY_MAX_SERVERS). */
size_t policy_x509_issue_count(const policy_t *p);

/*
 * For every account of |p| with `client_certificate: issue`, in policy
 * order, what the CA is to certify for |dev| into |out| (|cap| entries):
 * the public half of the key pair policy_compile() derives for it
 * (purpose "dtls-x509-p256", the endpoint, the SSID, the account's
 * rotation counter: stable until one of them changes), the subject, names
 * and validity. The private key never leaves the policy module. Pure.
 * Returns the count, or an error of policy_est() (the subject or a name
 * cannot be filled for |dev|), POLICY_ERR_CRYPTO, POLICY_ERR_NOSPACE.
 */
int policy_x509_issue_keys(const policy_t *p, const policy_device_t *dev, const policy_ctx_t *ctx,
                           policy_x509_issue_t *out, size_t cap, char *err, size_t errcap);

/* The client state a dry run simulates. */
typedef struct policy_client {
    const char *discover; /* link-format answer to Discover; NULL = POLICY_CLIENT_FRESH */
    uint16_t pct;         /* from the Bootstrap-Request; 0 = none (LwM2M 1.0) */
    const char *read;     /* payload of Read answers (2.05), NULL = 4.04 */
    uint16_t read_format; /* its Content-Format */
} policy_client_t;

/* A fresh LwM2M 1.1 client holding only its Bootstrap-Server account at /0/0. */
#define POLICY_CLIENT_FRESH "</>;lwm2m=1.1,</0>;ver=1.2,</0/0>,</1>;ver=1.1,</2>,</3>,</3/0>"

/*
 * Plays |plan| through bs_session against an in-memory client in state
 * |client| (NULL: fresh, pct 112) and writes the requests it receives as
 * one JSON object into |out| (|cap| bytes, NUL-terminated): each request's
 * method, resolved path, Content-Format and typed records; secret values
 * appear as "<redacted>" unless |reveal|. Returns the length, or
 * POLICY_ERR_NOSPACE, POLICY_ERR_ARG.
 */
int policy_dry_run(const bs_plan_t *plan, const policy_client_t *client, bool reveal, char *out, size_t cap);

/* As policy_dry_run(), into a malloc'ed string (free it); NULL on error. */
char *policy_dry_run_alloc(const bs_plan_t *plan, const policy_client_t *client, bool reveal);

#endif /* BSD_POLICY_POLICY_H */
