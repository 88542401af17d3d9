/*
 * config.h — the daemon configuration (bsd.conf): typed settings, their
 * defaults, the file parser, BSD_* environment overrides and a dump of the
 * effective configuration.
 *
 * Start-up sequence (the daemon refuses to start on any error):
 *
 *   bsd_config_t cfg;
 *   config_init_defaults(&cfg);
 *   config_load_file(&cfg, path, err, sizeof err);   // "file:line:col: message"
 *   config_apply_env(&cfg, environ, err, sizeof err); // "environment BSD_X: message"
 *                                                     // (also runs config_validate)
 *   ...
 *   config_free(&cfg);
 *
 * The syntax and every key are described for operators in docs/CONFIGURATION.md.
 * The lexical rules (comments, quoting, escapes, positions) are shared with the
 * devices file and live in lex.h.  Loading the devices file is devfile.h's job;
 * this file only holds its path.
 *
 * Error codes are negative errno values.  On any error the struct may be
 * partly updated: discard it with config_free() (a reload loads into a fresh
 * struct and swaps on success).
 */
#ifndef BSD_UTIL_CONFIG_H
#define BSD_UTIL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

/* Largest configuration file accepted. */
#define CONFIG_FILE_MAX (1024 * 1024)
/* Longest value (after unquoting), in bytes. */
#define CONFIG_VALUE_MAX 1024
/* Most addresses in one listener list. */
#define CONFIG_LISTEN_MAX 8
/* Error message buffer size that holds any message from this module
 * unless the file name itself is very long. */
#define CONFIG_ERR_MAX 512

/* One numeric socket address. */
typedef struct config_addr {
    struct sockaddr_storage ss; /* AF_INET or AF_INET6, port set */
    socklen_t len;              /* sizeof(struct sockaddr_in) or (struct sockaddr_in6) */
} config_addr_t;

/* A listener list: `listen` or `listen_coap`. */
typedef struct config_addr_list {
    config_addr_t addr[CONFIG_LISTEN_MAX]; /* in the order written */
    size_t count;                          /* 0..CONFIG_LISTEN_MAX */
} config_addr_list_t;

/* DTLS settings (keys `dtls.*`). */
typedef struct config_dtls {
    char *cert_file;            /* server certificate chain, PEM; NULL = none */
    char *key_file;             /* server private key, PEM, P-256; NULL = none */
    char *ca_file;              /* trust anchors for client certificates; NULL = none */
    bool psk;                   /* accept PSK clients (default true) */
    bool rpk;                   /* accept raw-public-key clients (default true) */
    bool x509;                  /* accept certificate clients (default true) */
    unsigned handshake_timeout; /* seconds, 1..300 (default 30) */
    unsigned idle_timeout;      /* seconds, 5..3600 (default 120) */
    unsigned max_sessions;      /* per daemon, 1..10000000 (default 100000) */
    unsigned handshake_rate;    /* new handshakes/s per source address; 0 = unlimited (default 20) */
    unsigned cookie_rotate;     /* seconds between cookie-secret rotations, 10..86400 (default 300) */
} config_dtls_t;

/* REST admin API settings (keys `api.*`; bsd/api/api.h). */
typedef struct config_api {
    config_addr_list_t listen;      /* HTTPS listeners (TCP); count 0 = off (default) */
    config_addr_list_t http_listen; /* plain-HTTP listeners, loopback addresses only; count 0 = off */
    char *tls_cert;                 /* HTTPS certificate chain, PEM (required with listen) */
    char *tls_key;                  /* HTTPS private key, PEM (required with listen) */
    unsigned threads;               /* threads per listener, 1..16 (default 2) */
    unsigned max_body_kib;          /* largest request body, KiB, 1..65536 (default 1024) */
    unsigned max_import_mib;        /* largest bulk-import body, MiB, 1..4096 (default 256) */
} config_api_t;

/* EST CA settings (keys `est.*`; bsd/est_srv.h). */
typedef struct config_est {
    char *ca_cert;        /* CA certificate (and its issuers), PEM or DER; NULL = EST off */
    char *ca_key;         /* its private key, PEM or DER (required with ca_cert) */
    unsigned retry_after; /* Max-Age of a 5.03 when the CA cannot answer now, seconds 1..3600 (default 30) */
} config_est_t;

/* The effective daemon configuration.  Strings are owned (config_free). */
typedef struct bsd_config {
    config_addr_list_t listen;      /* DTLS listeners, >= 1 (default 0.0.0.0:5684,[::]:5684) */
    config_addr_list_t listen_coap; /* plain-CoAP listeners; count 0 = off (default) */
    unsigned workers;               /* worker threads 0..64; 0 = one per online CPU */
    char *user;                     /* user to become after start-up as root; "" = stay (default "bsd") */
    unsigned max_datagram;          /* largest UDP payload sent, 256..65507 (default 1152) */
    int log_level;                  /* BSD_LOG_* (default BSD_LOG_INFO) */
    char *devices_file;             /* devices file path; NULL = devices come from db_url */
    char *db_url;                   /* PostgreSQL URL or conninfo; NULL = file-based devices and plans */
    char *secret_keys_file;         /* keys sealing secrets at rest (required with db_url) */
    char *records_spool;            /* directory of records waiting for PostgreSQL (required with db_url) */
    unsigned records_spool_max_mib; /* spool size that stops new bootstraps, MiB (default 1024) */
    unsigned
        bootstrap_max_per_device;     /* bootstraps per device and window before 5.03; 0 = off (default 20) */
    unsigned bootstrap_device_window; /* that window, seconds 60..86400 (default 3600) */
    config_dtls_t dtls;               /* `dtls.*` */
    config_api_t api;                 /* `api.*` */
    config_est_t est;                 /* `est.*` */
    bool diag_resources;              /* serve /diag/whoami and /diag/blob (tests only; default false) */
    char *pid_file;                   /* PID file path; NULL = none */
    char *plans_file;                 /* bootstrap plans (JSON); NULL = no bootstrap served */
    char *records_file;               /* session records, JSON lines appended; NULL = log only */
    char *config_dir;                 /* absolute directory relative paths resolve against; NULL = none */
    char *source;                     /* name of the file loaded last, for messages; NULL = none */
} bsd_config_t;

/*
 * config_init_defaults fills |cfg| with the defaults listed in bsd_config_t
 * (any previous content is overwritten, not freed).
 *
 * Returns 0, or -ENOMEM (then |cfg| holds nothing that needs freeing beyond
 * what config_free() handles).
 */
int config_init_defaults(bsd_config_t *cfg);

/*
 * config_load_file reads the configuration file |path| (at most
 * CONFIG_FILE_MAX bytes) and applies its settings over |cfg|.  Relative paths
 * in its values are resolved against the file's directory, made absolute with
 * the current directory when |path| is relative; cfg->config_dir and
 * cfg->source are set accordingly.
 *
 * On error |err| (|errcap| bytes; may be NULL) receives
 * "path:line:column: message" for a syntax or value error, or "path: message"
 * for a file-level one.
 *
 * Returns 0; -EINVAL for a syntax or value error; -errno when the file cannot
 * be opened or read; -EFBIG when it is larger than CONFIG_FILE_MAX;
 * -ENAMETOOLONG when a resolved path does not fit PATH_MAX; -ENOMEM.
 */
int config_load_file(bsd_config_t *cfg, const char *path, char *err, size_t errcap);

/*
 * config_load_buffer parses |len| bytes of |buf| as a configuration file called
 * |name| (used only in messages and cfg->source) and applies it over |cfg|.
 * It never touches the file system.  Relative paths are resolved against
 * cfg->config_dir if it is set, and kept as written otherwise.
 *
 * Errors: "name:line:column: message" in |err|.  Returns 0; -EINVAL for a
 * syntax or value error; -EFBIG if |len| > CONFIG_FILE_MAX; -ENAMETOOLONG;
 * -ENOMEM.
 */
int config_load_buffer(bsd_config_t *cfg, const char *name, const char *buf, size_t len, char *err,
                       size_t errcap);

/*
 * config_apply_env applies environment overrides from |envp| (a
 * NULL-terminated "NAME=value" array such as environ; NULL means none): for
 * every key, BSD_ + the key upper-cased with '.' turned into '_' (log_level ->
 * BSD_LOG_LEVEL, dtls.cert_file -> BSD_DTLS_CERT_FILE) replaces the value from
 * the file.  The value is taken literally (no quotes, escapes or comments);
 * an empty value means the same as `key = ""`.  If a name occurs twice the
 * first wins.  BSD_* names that match no key are ignored.  Relative paths are
 * resolved as in config_load_buffer().  Finally the whole configuration is
 * checked with config_validate().
 *
 * Errors: "environment BSD_X: message", or a config_validate() message.
 * Returns 0; -EINVAL; -ENAMETOOLONG; -ENOMEM.
 */
int config_apply_env(bsd_config_t *cfg, char *const *envp, char *err, size_t errcap);

/*
 * config_validate checks what no single key can: exactly one device source
 * (db_url, with secret_keys_file; or devices_file, optionally plans_file),
 * dtls.cert_file has a dtls.key_file, no address is in both listen and
 * listen_coap, the API (api.listen or api.http_listen) has db_url, api.listen
 * has api.tls_cert and api.tls_key, and no address is in both api.listen and
 * api.http_listen.  Messages read "<source>: message" (source = cfg->source or
 * "configuration").
 *
 * Returns 0 or -EINVAL.
 */
int config_validate(const bsd_config_t *cfg, char *err, size_t errcap);

/*
 * config_redact_url copies the database URL |url| into |out| (|cap| bytes,
 * always NUL-terminated) with its password replaced by "***": the URI form
 * "postgresql://user:secret@host/db" and the keyword form "password=secret"
 * (quoted or not). For logs, dumps and error messages.
 */
void config_redact_url(const char *url, char *out, size_t cap);

/*
 * config_parse_addr parses a numeric socket address "a.b.c.d:port" or
 * "[ipv6]:port" (port 0..65535; no host names, no DNS, no zone ids) into
 * |out|, zeroing it first, and stores the address length in |outlen|.
 *
 * Returns 0, or -EINVAL if |text| is NULL or not such an address.
 */
int config_parse_addr(const char *text, struct sockaddr_storage *out, socklen_t *outlen);

/*
 * config_format_addr writes |ss| as "a.b.c.d:port" or "[ipv6]:port" into
 * |out| (|cap| bytes; 48 is enough).
 *
 * Returns 0; -EAFNOSUPPORT for another family; -ENOSPC if |cap| is too small.
 */
int config_format_addr(const struct sockaddr_storage *ss, char *out, size_t cap);

/*
 * config_parse_bool parses true/false, on/off, yes/no or 1/0 (ASCII
 * case-insensitive), |len| bytes of |s|.
 *
 * Returns 0 with |*out| set, or -EINVAL.
 */
int config_parse_bool(const char *s, size_t len, bool *out);

/*
 * config_parse_duration parses |len| bytes of |s| as a duration in whole
 * seconds: digits optionally followed by one suffix s (seconds), m (minutes)
 * or h (hours), e.g. "30", "30s", "5m", "1h".
 *
 * Returns 0 with |*seconds| set; -EINVAL if the text is not a duration;
 * -ERANGE if it exceeds UINT32_MAX seconds.
 */
int config_parse_duration(const char *s, size_t len, uint32_t *seconds);

/*
 * config_dump prints the effective configuration to |f| in the file syntax,
 * one `key = value` line per key (for `bsd -n -v`).  The output loads back to
 * the same configuration.  Unset paths are printed as comments
 * ("# dtls.cert_file is not set").
 *
 * Returns 0, or -EIO if writing to |f| failed.
 */
int config_dump(const bsd_config_t *cfg, FILE *f);

/*
 * config_free releases the strings held by |cfg| and zeroes it.  Safe on a
 * zeroed struct and after a failed load.
 */
void config_free(bsd_config_t *cfg);

#endif /* BSD_UTIL_CONFIG_H */
