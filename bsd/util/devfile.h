/*
 * devfile.h — the devices file: the in-file device store used until the
 * PostgreSQL device store replaces it.
 *
 * One device per line, `#` comments and quoted values as in bsd.conf (lex.h):
 *
 *   <endpoint> psk   [identity=<text>] key=<hex>
 *   <endpoint> rpk   spki=<hex DER> | spki_file=<path to PEM or DER>
 *   <endpoint> x509  [cn=<text> | san_dns=<text> | san_uri=<text> | san_email=<text>]
 *                    [fingerprint=<sha-256 hex>]
 *   <endpoint> nosec allow=<addr or prefix>[,<addr or prefix>...]
 *
 * This file only parses and checks; the lookup tables used during handshakes
 * (identity -> device, SPKI -> device, CN -> device) are built by the
 * transport layer from devfile_t.devices.
 *
 * SECURITY: PSK keys are secrets.  Never log them, never print them, never
 * copy them outside the credential store; devfile_free() wipes them.  Key
 * material read from the file is wiped from temporary buffers, too.
 *
 * Error codes are negative errno values; messages read "file:line:column:
 * message" (1-based, the column counting bytes) or "file: message".
 */
#ifndef BSD_UTIL_DEVFILE_H
#define BSD_UTIL_DEVFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define DEVFILE_MAX_DEVICES      1000000      /* devices per file */
#define DEVFILE_FILE_MAX         (512u << 20) /* bytes per devices file */
#define DEVFILE_ENDPOINT_MAX     255          /* endpoint name bytes */
#define DEVFILE_PSK_IDENTITY_MAX 128          /* PSK identity bytes */
#define DEVFILE_PSK_KEY_MAX      64           /* PSK key bytes */
#define DEVFILE_SPKI_MAX         512          /* SubjectPublicKeyInfo DER bytes */
#define DEVFILE_SPKI_FILE_MAX    (64 * 1024)  /* bytes of an spki_file */
#define DEVFILE_CN_MAX           255          /* certificate CN bytes */
#define DEVFILE_FINGERPRINT_LEN  32           /* SHA-256 */
#define DEVFILE_ALLOW_MAX        16           /* allow= entries per nosec device */
#define DEVFILE_ERR_MAX          512          /* error buffer that fits any message */

/* Device kinds: how a device authenticates. */
#define DEVFILE_PSK   1 /* DTLS with a pre-shared key */
#define DEVFILE_RPK   2 /* DTLS with a raw public key */
#define DEVFILE_X509  3 /* DTLS with a client certificate */
#define DEVFILE_NOSEC 4 /* plain CoAP from allowed source addresses */

/* Which certificate name binds an X.509 device (values equal creds.h's). */
#define DEVFILE_NAME_CN        0 /* subject commonName (default) */
#define DEVFILE_NAME_SAN_DNS   1 /* subjectAltName dNSName */
#define DEVFILE_NAME_SAN_URI   2 /* subjectAltName uniformResourceIdentifier */
#define DEVFILE_NAME_SAN_EMAIL 3 /* subjectAltName rfc822Name */

/* An address prefix a NoSec device may send from. */
typedef struct devfile_cidr {
    int family;       /* AF_INET or AF_INET6 */
    uint8_t addr[16]; /* network address, host bits zero; IPv4 in the first 4 bytes */
    uint8_t prefix;   /* prefix length, 0..32 or 0..128 */
} devfile_cidr_t;

/*
 * One device.  All strings are NUL-terminated and owned by the devfile_t; a
 * defaulted psk.identity or x509.name points at the endpoint string.
 */
typedef struct devfile_device {
    char *endpoint; /* endpoint client name, 1..255 printable ASCII, no space */
    int kind;       /* DEVFILE_PSK / _RPK / _X509 / _NOSEC */
    unsigned line;  /* line in the devices file, for messages */
    union {         /* by kind */
        struct {
            char *identity;                   /* 1..128 bytes, no NUL (default: endpoint) */
            size_t identity_len;              /* bytes in identity */
            uint8_t key[DEVFILE_PSK_KEY_MAX]; /* SECRET: the PSK */
            size_t key_len;                   /* 1..64 */
        } psk;
        struct {
            uint8_t *spki;   /* DER SubjectPublicKeyInfo */
            size_t spki_len; /* 1..512 */
        } rpk;
        struct {
            char *name;                                   /* certificate name to match (default: endpoint) */
            int name_type;                                /* DEVFILE_NAME_*: where |name| is looked for */
            bool has_fingerprint;                         /* fingerprint given */
            uint8_t fingerprint[DEVFILE_FINGERPRINT_LEN]; /* SHA-256 of the certificate DER */
        } x509;
        struct {
            devfile_cidr_t *allow; /* allowed source prefixes */
            size_t allow_count;    /* 1..DEVFILE_ALLOW_MAX */
        } nosec;
    };
} devfile_device_t;

/* A loaded devices file. */
typedef struct devfile {
    devfile_device_t *devices; /* in file order */
    size_t count;              /* number of devices */
} devfile_t;

/*
 * devfile_load_file loads the devices file |path| (at most DEVFILE_FILE_MAX
 * bytes) into |df|.  spki_file paths are relative to the directory of |path|.
 * |df| is overwritten (not freed) and holds the result only on success; on
 * error it is left empty, so a reload can keep the old devfile_t until the new
 * one loaded.  A warning is logged when the file holds PSK keys and is
 * readable by others.
 *
 * On error |err| (|errcap| bytes, may be NULL) receives
 * "path:line:column: message" or "path: message".
 *
 * Returns 0; -EINVAL for a syntax, value or duplicate error (including an
 * unreadable spki_file); -errno when |path| cannot be opened or read; -EFBIG
 * when it is too large; -ENOMEM.
 */
int devfile_load_file(devfile_t *df, const char *path, char *err, size_t errcap);

/*
 * devfile_load_buffer parses |len| bytes of |buf| as a devices file called
 * |name| (for messages).  spki_file paths are resolved against |base_dir|; if
 * |base_dir| is NULL, spki_file is refused with an error and the function
 * never touches the file system (fuzzing, tests).  Same |df| and |err| rules
 * as devfile_load_file().
 *
 * Returns 0; -EINVAL; -EFBIG if |len| > DEVFILE_FILE_MAX; -ENOMEM.
 */
int devfile_load_buffer(devfile_t *df, const char *name, const char *base_dir, const char *buf, size_t len,
                        char *err, size_t errcap);

/*
 * devfile_nosec_allowed tells whether |sa| (AF_INET or AF_INET6; an
 * IPv4-mapped IPv6 address counts as IPv4) falls in one of the allow= prefixes
 * of the NoSec device |dev|.  False for any other kind or family.
 */
bool devfile_nosec_allowed(const devfile_device_t *dev, const struct sockaddr *sa);

/*
 * devfile_cidr_parse parses "addr" or "addr/prefix" (|len| bytes at |s|, IPv4
 * or IPv6, numeric) into |out|; an IPv4-mapped IPv6 prefix (::ffff:a.b.c.d/
 * 96+n) is stored as the IPv4 prefix a.b.c.d/n. Returns 0, -EINVAL (not an
 * address or prefix) or -EDOM (bits set beyond the prefix length).
 */
int devfile_cidr_parse(const char *s, size_t len, devfile_cidr_t *out);

/*
 * devfile_kind_name returns "psk", "rpk", "x509", "nosec", or "?" for an
 * unknown kind.  Never NULL.
 */
const char *devfile_kind_name(int kind);

/*
 * devfile_free wipes the key material in |df|, frees everything and leaves
 * |df| empty.  Safe on an empty or zeroed devfile_t.
 */
void devfile_free(devfile_t *df);

#endif /* BSD_UTIL_DEVFILE_H */
