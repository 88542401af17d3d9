/*
 * db_device.h — the device record of the PostgreSQL store and the rules a
 * record must satisfy. Shared by the import parser (devimport.h), the store
 * (db_devices.h) and bsctl, so a device added by hand is checked exactly like
 * an imported one.
 *
 * The rules are those of the devices file (devfile.h, docs/CONFIGURATION.md):
 * endpoint 1..255 printable ASCII without spaces, PSK identity 1..128 bytes,
 * SPKI a DER SubjectPublicKeyInfo of at most 512 bytes, certificate names
 * 1..255 bytes, fingerprint a SHA-256, NoSec allow lists of 1..16 prefixes
 * without host bits. The store is stricter in two places: a PSK key must have
 * at least DB_DEVICE_PSK_KEY_MIN bytes, and a PSK identity must be UTF-8
 * (PostgreSQL text). Labels and a serial number are new. Operator
 * documentation: docs/DEVICES.md.
 *
 * Error codes are negative errno values.
 */
#ifndef BSD_DB_DB_DEVICE_H
#define BSD_DB_DB_DEVICE_H

#include "bsd/util/devfile.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DB_DEVICE_ENDPOINT_MAX  DEVFILE_ENDPOINT_MAX     /* 255 */
#define DB_DEVICE_IDENTITY_MAX  DEVFILE_PSK_IDENTITY_MAX /* 128 */
#define DB_DEVICE_PSK_KEY_MIN   16                       /* imports: shorter keys are refused */
#define DB_DEVICE_PSK_KEY_MAX   DEVFILE_PSK_KEY_MAX      /* 64 */
#define DB_DEVICE_SPKI_MAX      DEVFILE_SPKI_MAX         /* 512 */
#define DB_DEVICE_NAME_MAX      DEVFILE_CN_MAX           /* 255 */
#define DB_DEVICE_ALLOW_MAX     DEVFILE_ALLOW_MAX        /* 16 */
#define DB_DEVICE_LABELS_MAX    32                       /* labels per device */
#define DB_DEVICE_LABEL_KEY_MAX 63                       /* label key bytes */
#define DB_DEVICE_LABEL_VAL_MAX 255                      /* label value bytes */
#define DB_DEVICE_SERIAL_MAX    64                       /* serial number bytes */

/* OSCORE (RFC 8613) devices: a kind of the store only (the devices file has
 * none). The IDs are at most nonce length - 6 = 7 bytes (§3.3). A psk, rpk
 * or x509 device may carry an OSCORE context too ("OSCORE inside DTLS",
 * db_device_has_oscore): it keeps its kind, and the same field rules hold. */
#define DB_DEVICE_OSCORE            5  /* kind: OSCORE with a pre-shared context */
#define DB_DEVICE_OSCORE_ID_MAX     7  /* Sender / Recipient ID bytes */
#define DB_DEVICE_OSCORE_SECRET_MIN 16 /* Master Secret bytes */
#define DB_DEVICE_OSCORE_SECRET_MAX 64
#define DB_DEVICE_OSCORE_SALT_MAX   32 /* Master Salt bytes */
#define DB_DEVICE_OSCORE_IDCTX_MAX  32 /* ID Context bytes */

#define DB_DEVICE_MSG_MAX 512 /* error buffer that fits any message */

/* One label. */
typedef struct db_label {
    char key[DB_DEVICE_LABEL_KEY_MAX + 1];   /* [A-Za-z0-9._/-], 1..63 bytes */
    char value[DB_DEVICE_LABEL_VAL_MAX + 1]; /* 0..255 bytes, no control byte, no ';' */
} db_label_t;

/* A device record: what the store keeps about one device. */
typedef struct db_device {
    char endpoint[DB_DEVICE_ENDPOINT_MAX + 1]; /* printable ASCII, no space */
    int kind;                                  /* DEVFILE_PSK / _RPK / _X509 / _NOSEC, DB_DEVICE_OSCORE */
    /* psk */
    char psk_identity[DB_DEVICE_IDENTITY_MAX + 1]; /* UTF-8, no NUL; default: endpoint */
    uint8_t psk_key[DB_DEVICE_PSK_KEY_MAX];        /* SECRET */
    size_t psk_key_len;                            /* 16..64 (0: not known, e.g. not revealed) */
    /* rpk */
    uint8_t spki[DB_DEVICE_SPKI_MAX]; /* DER SubjectPublicKeyInfo */
    size_t spki_len;
    /* x509 */
    int x509_name_type;                           /* DEVFILE_NAME_* */
    char x509_name[DB_DEVICE_NAME_MAX + 1];       /* default: endpoint (as cn) */
    bool has_fingerprint;                         /* fingerprint given */
    uint8_t fingerprint[DEVFILE_FINGERPRINT_LEN]; /* SHA-256 of the certificate DER */
    /* nosec */
    devfile_cidr_t allow[DB_DEVICE_ALLOW_MAX]; /* allowed source prefixes */
    size_t allow_count;
    /* oscore: the device's side of the context. Its Sender ID is the kid of
     * its requests and so the server's Recipient ID; its Recipient ID is the
     * server's Sender ID. Empty IDs are valid (RFC 8613 §3.3). */
    uint8_t oscore_sender_id[DB_DEVICE_OSCORE_ID_MAX];
    size_t oscore_sender_id_len;
    uint8_t oscore_recipient_id[DB_DEVICE_OSCORE_ID_MAX];
    size_t oscore_recipient_id_len;
    uint8_t oscore_secret[DB_DEVICE_OSCORE_SECRET_MAX];    /* SECRET: Master Secret */
    size_t oscore_secret_len;                              /* 16..64 (0: not known, e.g. not revealed) */
    uint8_t oscore_salt[DB_DEVICE_OSCORE_SALT_MAX];        /* SECRET (sealed like it): Master Salt */
    size_t oscore_salt_len;                                /* 0: none (the empty salt, §3.2) */
    bool oscore_has_salt;                                  /* a salt is stored (also when not opened) */
    uint8_t oscore_id_context[DB_DEVICE_OSCORE_IDCTX_MAX]; /* ID Context */
    size_t oscore_id_context_len;                          /* 0: absent */
    unsigned oscore_secret_key_id;                         /* keyring id that sealed the secret (0: none) */
    /* all kinds */
    db_label_t labels[DB_DEVICE_LABELS_MAX]; /* in the order given; keys unique */
    size_t nlabels;
    char serial[DB_DEVICE_SERIAL_MAX + 1]; /* printable ASCII; "" = none */
    /* filled by the store on reads */
    long long credential_version; /* bumped by every credential change */
    char created[40];             /* timestamps as PostgreSQL prints them */
    char updated[40];
    unsigned psk_key_id; /* keyring id that sealed the PSK key (0: none) */
    /* The new bootstrap credential a session wrote and the device has not
     * used yet (devices.bs_next, migration 0005); read-only here. */
    struct {
        bool has;
        bool invalid;      /* stored but unreadable: ignored (logged by the loader) */
        int kind;          /* DEVFILE_PSK or DEVFILE_RPK */
        unsigned rotation; /* the policy's rotation counter */
        char psk_identity[DB_DEVICE_IDENTITY_MAX + 1];
        uint8_t psk_key[DB_DEVICE_PSK_KEY_MAX]; /* SECRET; opened only on loads */
        size_t psk_key_len;
        uint8_t spki[DB_DEVICE_SPKI_MAX];
        size_t spki_len;
        char written_at[40];
        char json[1400]; /* the stored object (sealed key, no plaintext secret) */
    } bs_next;
    /* bookkeeping */
    unsigned given;       /* bit (1u << DB_F_*) for each field given */
    unsigned given_empty; /* psk/rpk/x509: OSCORE IDs given as "" (the empty ID when the
                           * record has an OSCORE context, db_device_finish) */
    unsigned line, col;   /* where the row starts in an import file */
} db_device_t;

/* Fields of a record, in the documented CSV column order. */
enum db_field {
    DB_F_ENDPOINT = 0,
    DB_F_KIND,
    DB_F_PSK_IDENTITY,
    DB_F_PSK_KEY,
    DB_F_SPKI,
    DB_F_X509_NAME_TYPE,
    DB_F_X509_NAME,
    DB_F_FINGERPRINT,
    DB_F_NOSEC_ALLOW,
    DB_F_OSCORE_SENDER_ID,
    DB_F_OSCORE_RECIPIENT_ID,
    DB_F_OSCORE_SECRET,
    DB_F_OSCORE_SALT,
    DB_F_OSCORE_ID_CONTEXT,
    DB_F_LABELS,
    DB_F_SERIAL,
    DB_F_COUNT
};

/* "endpoint", "kind", ...: the column / member name of |f|; NULL if out of range. */
const char *db_field_name(int f);

/* "psk", "rpk", "x509", "nosec", "oscore"; "?" for an unknown kind. */
const char *db_device_kind_name(int kind);

/* true when a record of |d|'s kind holds a sealed secret (psk, oscore): its
 * writes and --reveal reads need the keyring. */
bool db_device_has_secret(const db_device_t *d);

/* true when |d| carries an OSCORE context: an oscore device, or a psk, rpk
 * or x509 device whose OSCORE fields are given (after db_device_finish, or
 * as loaded from the store). */
bool db_device_has_oscore(const db_device_t *d);

/* db_device_clear wipes |d| (it may hold a PSK key) and resets it for reuse. */
void db_device_clear(db_device_t *d);

/*
 * db_device_set_field checks text |val| (|len| bytes, need not be
 * NUL-terminated) for field |f| and stores it in |d|. An empty value leaves
 * the field unset. Set DB_F_KIND first: a field another kind does not use
 * is refused ("psk_key is not used by rpk devices"). DB_F_LABELS and
 * DB_F_NOSEC_ALLOW append to what earlier calls gave; every other field may
 * be given once. The OSCORE Sender and Recipient IDs of an oscore device
 * are the exception to "empty = unset": an empty value is the empty ID; on
 * a psk, rpk or x509 device it is the empty ID when the record has an
 * OSCORE context (other OSCORE fields), else nothing.
 * On error |msg| (|cap| bytes) gets a message without
 * position, e.g. "psk_key must be at least 16 bytes (got 8)".
 *
 * Returns 0 or -EINVAL.
 */
int db_device_set_field(db_device_t *d, int f, const char *val, size_t len, char *msg, size_t cap);

/*
 * db_device_finish applies defaults (PSK identity and certificate name =
 * endpoint) and checks that the fields the kind needs are present and no
 * field of another kind is ("psk device needs psk_key"); an oscore device
 * needs both IDs (different from each other) and the secret, and so does a
 * psk, rpk or x509 device given any OSCORE field (OSCORE inside DTLS).
 *
 * Returns 0 or -EINVAL with |msg| set.
 */
int db_device_finish(db_device_t *d, char *msg, size_t cap);

/* db_device_allow_format writes prefix |c| as "a.b.c.d/n" or "x::/n" into
 * |out| (at least 64 bytes). Returns |out|. */
char *db_device_allow_format(const devfile_cidr_t *c, char *out, size_t cap);

#endif /* BSD_DB_DB_DEVICE_H */
