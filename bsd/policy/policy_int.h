/*
 * policy_int.h — the parsed policy model shared by policy.c (parse and
 * checks), policy_compile.c (plans, selection), policy_creds.c (derived
 * credentials) and policy_json.c (dry run). Not a public interface.
 *
 * Text values keep pointing into the YAML tree, which the policy owns for
 * its lifetime; decoded bytes (hex, base64, PEM) live in the policy's arena.
 */
#ifndef BSD_POLICY_POLICY_INT_H
#define BSD_POLICY_POLICY_INT_H

#include <regex.h>

#include "bsd/lwm2m/lwm2m_data.h"
#include "bsd/policy/policy.h"
#include "bsd/policy/yaml_tree.h"

#define POL_ARENA_MAX     BS_PLAN_MAX_BYTES
#define POL_MAX_RIGHTS    16 /* SSID entries of one ACL */
#define POL_PSK_DEFAULT   16 /* bytes of `generate` for a PSK */
#define POL_MS_DEFAULT    32 /* bytes of `generate` for an OSCORE Master Secret */
#define POL_OSCORE_ID_MAX 7  /* Sender/Recipient ID bytes (RFC 8613 §3.3, AES-CCM-16-64-128) */

/* `unbootstrap:` — which accounts a device loses that the policy does not write. */
#define POLICY_UNBOOT_WRITTEN   0 /* those this server wrote (default) */
#define POLICY_UNBOOT_EXCLUSIVE 1 /* every LwM2M Server account the client has */
#define POLICY_UNBOOT_OFF       2 /* none: the policy's delete list is all there is */

/* Security modes (Security /0/x/2). */
enum { POL_MODE_PSK = 0, POL_MODE_RPK = 1, POL_MODE_X509 = 2, POL_MODE_NOSEC = 3, POL_MODE_EST = 4 };

typedef enum pv_kind {
    PV_TEXT = 1, /* template text, `${...}` substituted at compile time */
    PV_BYTES,    /* decoded bytes in the arena */
    PV_INT,
    PV_FLOAT,
    PV_BOOL,
    PV_OBJLNK,
} pv_kind_t;

typedef struct pol_val {
    pv_kind_t kind;
    lwm2m_type_t type; /* the record type it compiles to */
    const char *s;     /* PV_TEXT: template; PV_BYTES: bytes */
    size_t len;
    int64_t i;
    double f;
    bool b;
    lwm2m_objlnk_t lnk;
} pol_val_t;

/* One resource value (or resource instance value when |multi|). */
typedef struct pol_res {
    uint16_t res, rinst;
    bool multi;
    pol_val_t v;
} pol_res_t;

typedef enum pol_src_kind { SRC_NONE = 0, SRC_GENERATE, SRC_DEVICE } pol_src_kind_t;

typedef struct pol_src {
    pol_src_kind_t kind;
    uint16_t size; /* SRC_GENERATE: bytes (PSK, Master Secret) */
} pol_src_t;

typedef struct pol_server {
    uint16_t ssid;
    pol_val_t uri;
    uint8_t mode;
    pol_val_t identity;        /* psk: PV_TEXT (default "${endpoint}") */
    bool identity_from_device; /* psk identity `{from: device}` */
    pol_src_t key;             /* psk key; rpk/x509 client private key */
    bool cert_from_device;     /* x509 client certificate */
    bool cert_issue;           /* x509: key generated here, certificate issued by this CA */
    const uint8_t *server_key; /* /0/x/4 DER, NULL when none */
    size_t server_key_len;
    int cert_usage; /* /0/x/15, -1 = not written */
    bool has_sni;
    pol_val_t sni;
    uint16_t suites[POLICY_MAX_SUITES];
    size_t nsuites;
    int oscore; /* index into oscore[], -1 none */
    uint32_t rotation;
    int64_t lifetime;
    bool has_min, has_max, has_disable;
    int64_t min_period, max_period, disable_timeout;
    uint8_t written_mode; /* est: the /0/x/2 written, 4 (default) or 2 */
    bool nstore;
    pol_val_t binding;
    pol_res_t extra[POLICY_MAX_RES]; /* `resources:` of object 1 */
    size_t nextra;
} pol_server_t;

typedef struct pol_oscore {
    const char *name;
    pol_src_t secret;
    pol_val_t sender, recipient;
    bool has_aead, has_salt, has_ctx;
    int64_t aead;
    pol_val_t salt, idctx;
    uint16_t inst;
    uint32_t rotation;
    int server; /* index of the one server linking it */
} pol_oscore_t;

typedef struct pol_acl {
    uint16_t inst;
    uint16_t obj, oinst; /* oinst 65535: object-level (Create right) */
    uint16_t owner;
    uint16_t ssid[POL_MAX_RIGHTS];
    uint8_t rights[POL_MAX_RIGHTS];
    size_t n;
    bool has_default;
    uint8_t def;
} pol_acl_t;

typedef struct pol_object {
    lwm2m_path_t path; /* /O/I */
    pol_res_t res[POLICY_MAX_RES];
    size_t nres;
} pol_object_t;

typedef struct pol_bs {
    bool has_hold, has_timeout;
    int64_t hold, timeout;
    bool rotate;
    uint8_t mode; /* psk or rpk */
    pol_val_t identity;
    pol_src_t key;
    uint32_t rotation;
} pol_bs_t;

#define POL_EST_MAX_RDN 16 /* RDNs in an `est.subject` */

/* A subjectAltName template of `est.subject_alt_names`. */
typedef struct pol_est_san {
    int type;      /* POLICY_EST_SAN_* */
    const char *s; /* template, `${...}` substituted per device */
    size_t len;
} pol_est_san_t;

/* The `est:` section; its defaults are set whether it is given or not. */
typedef struct pol_est {
    bool present;        /* the section was given */
    const char *subject; /* template in est_name_der()'s text form, checked at parse */
    size_t subject_len;
    pol_est_san_t san[POLICY_EST_MAX_SAN];
    size_t nsan;
    uint32_t validity_days, curves, auth, per_hour;
    bool renew_new_key;
} pol_est_t;

struct policy {
    yt_doc_t *doc;
    char name[POLICY_NAME_MAX + 1];
    int32_t priority;
    /* match */
    const char *glob; /* endpoint glob or NULL */
    bool has_regex;
    regex_t re;
    policy_label_t labels[POLICY_MAX_LABELS];
    size_t nlabels;
    /* plan settings */
    uint16_t format;
    bs_on_error_t on_error;
    uint32_t timeout_ms;
    uint8_t unboot; /* POLICY_UNBOOT_* */
    lwm2m_path_t del[POLICY_MAX_DELETES];
    size_t ndel;
    pol_server_t servers[POLICY_MAX_SERVERS];
    size_t nservers;
    pol_oscore_t oscore[POLICY_MAX_OSCORE];
    size_t noscore;
    pol_acl_t acls[POLICY_MAX_ACLS];
    size_t nacls;
    pol_object_t objects[POLICY_MAX_OBJECTS];
    size_t nobjects;
    pol_bs_t bs;
    pol_est_t est;
    uint8_t arena[POL_ARENA_MAX];
    size_t narena;
};

/* ---- policy_creds.c ---- */

/* Derivation purposes, bound into the HKDF info. */
#define POL_PURPOSE_PSK    "dtls-psk"
#define POL_PURPOSE_RPK    "dtls-rpk-p256"
#define POL_PURPOSE_OSCORE "oscore-master-secret"
#define POL_PURPOSE_BS_PSK "bs-psk"
#define POL_PURPOSE_BS_RPK "bs-rpk-p256"
#define POL_PURPOSE_X509   "dtls-x509-p256" /* the key of `client_certificate: issue` */

#define POL_SPKI_P256_LEN  91  /* SubjectPublicKeyInfo DER of a P-256 key */
#define POL_PKCS8_P256_LEN 138 /* RFC 5958 OneAsymmetricKey v1 DER with the public key */

/* |outlen| bytes of HKDF-SHA-256 for (purpose, endpoint, ssid, rotation,
 * counter) under |key|. Returns 0 or POLICY_ERR_CRYPTO. */
int pol_derive(const uint8_t key[POLICY_KEY_LEN], const char *purpose, const char *endpoint, uint16_t ssid,
               uint32_t rotation, uint8_t counter, uint8_t *out, size_t outlen);

/* A P-256 key pair derived as above: |spki| (POL_SPKI_P256_LEN bytes) and
 * |pkcs8| (POL_PKCS8_P256_LEN bytes). Returns 0 or POLICY_ERR_CRYPTO. */
int pol_derive_p256(const uint8_t key[POLICY_KEY_LEN], const char *purpose, const char *endpoint,
                    uint16_t ssid, uint32_t rotation, uint8_t spki[POL_SPKI_P256_LEN],
                    uint8_t pkcs8[POL_PKCS8_P256_LEN]);

/* Wipes |n| bytes at |p| (not optimised away). */
void pol_wipe(void *p, size_t n);

/* ---- policy.c helpers used by the compiler ---- */

/* Substitutes `${...}` in |tmpl| for |dev| into |out| (|cap| bytes).
 * Returns the length, POLICY_ERR_DEVICE (missing serial/label, named in
 * |what|), or LWM2M_ERR_LIMIT. */
int pol_subst(const char *tmpl, size_t len, const policy_device_t *dev, char *out, size_t cap, char *what,
              size_t whatcap);

/* 0 when |s| is an acceptable LwM2M Server URI (scheme, host, port), else
 * -1 with a reason in |why|. |*secure| says coaps / coaps+tcp. */
int pol_uri_check(const char *s, size_t len, bool *secure, char *why, size_t whycap);

/* 1 when |len| bytes at |s| are valid UTF-8. */
int pol_utf8_ok(const char *s, size_t len);

/* Length of the variable starting at s[i] ("${...}"; an unterminated one
 * spans the rest), 0 when none starts there; its name is at
 * s[*name_off], *name_len bytes. */
size_t pol_var_at(const char *s, size_t len, size_t i, size_t *name_off, size_t *name_len);

/* The value of hex digit |ch|, -1 when it is none. */
int pol_hexval(char ch);

/* ---- policy_est.c ---- */

/* Writes "NAME: message" (|p|'s name, or "policy") into |err| (may be
 * NULL) and returns |code|. */
int pol_efail(const policy_t *p, char *err, size_t errcap, int code, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Expands |p|'s `est:` section (or its defaults when absent) for |dev|,
 * like policy_est() but whether or not the policy allows enrollment.
 * Returns 0 or an error of policy_est(). */
int pol_est_expand(const policy_t *p, const policy_device_t *dev, policy_est_t *out, char *err,
                   size_t errcap);

/* ---- policy_x509.c ---- */

/* The certificate |dev| holds for account |ssid|, or NULL. */
const policy_device_cert_t *pol_dev_cert(const policy_device_t *dev, uint16_t ssid);

/* Sets the defaults of the `est:` section (also when it is absent). */
void pol_est_defaults(pol_est_t *e);

/*
 * Checks an `est.subject` template (variables already checked): RDNs
 * "TYPE=value" joined by ",", TYPE one of CN, O, OU, C, L, ST,
 * SERIALNUMBER, escapes as est_name_str() writes them. Returns 0, or -1
 * with the reason in |why|.
 */
int pol_est_subject_check(const char *s, size_t len, char *why, size_t whycap);

/*
 * Checks a subjectAltName of kind |type| (POLICY_EST_SAN_*). With
 * |templ| the text may still hold `${...}` variables, and only what can be
 * known before substitution is checked. Returns 0, or -1 with the reason
 * in |why|.
 */
int pol_est_san_check(int type, const char *s, size_t len, bool templ, char *why, size_t whycap);

#endif /* BSD_POLICY_POLICY_INT_H */
