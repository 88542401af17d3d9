/*
 * bsctl_settings.h — where bsctl finds the REST admin API: the server URL,
 * the bearer token and the CA file, from flags, the environment or a config
 * file. Pure: parsing and choosing only; reading files, checking their modes
 * and talking HTTP are bsctl_api.c's.
 *
 * Order, highest first: flags (--server, --token / --token-file, --cacert);
 * the environment (BSD_API_URL, BSD_API_TOKEN, BSD_API_CACERT); the config
 * file (--config FILE, else $BSCTL_CONFIG, else ~/.config/bsctl/config, else
 * /etc/bsd/bsctl.conf). Each setting is resolved on its own, so a flag can
 * override the server of a config file that still gives the token.
 *
 * The config file has the lexical rules of bsd.conf (bsd/util/lex.h):
 *
 *   # bsctl's API settings
 *   server = https://bsd.example:8443
 *   token_file = ~/.config/bsctl/token     # or: token = bsd_...
 *   cacert = /etc/bsd/api-ca.crt
 *
 * Relative paths are taken from the config file's directory; "~/" from $HOME.
 */
#ifndef BSD_TOOLS_BSCTL_SETTINGS_H
#define BSD_TOOLS_BSCTL_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define BSCTL_URL_MAX   1024                   /* bytes of a server URL */
#define BSCTL_TOKEN_MAX 256                    /* bytes of a bearer token */
#define BSCTL_PATH_MAX  4096                   /* bytes of a file name */
#define BSCTL_CONF_MAX  (64 * 1024)            /* bytes of a config file */
#define BSCTL_ERR_MAX   (BSCTL_PATH_MAX + 512) /* an error message */

/* What a config file says; "" = not set. */
typedef struct bsctl_conf {
    char server[BSCTL_URL_MAX];      /* server = */
    char token[BSCTL_TOKEN_MAX];     /* token = (SECRET) */
    char token_file[BSCTL_PATH_MAX]; /* token_file =, resolved */
    char cacert[BSCTL_PATH_MAX];     /* cacert =, resolved */
} bsctl_conf_t;

/*
 * bsctl_conf_parse parses config file |name| (its text |buf|, |len| bytes)
 * into |c| (cleared first). |home| ($HOME, may be NULL) resolves "~/".
 * Keys: server, token, token_file, cacert; each at most once; token and
 * token_file exclude each other. A server must pass bsctl_server_check, a
 * token bsctl_token_check.
 *
 * Returns 0, or -EINVAL with "name:line:col: message" in |err|.
 */
int bsctl_conf_parse(const char *name, const char *buf, size_t len, const char *home, bsctl_conf_t *c,
                     char *err, size_t errcap);

/*
 * bsctl_conf_mode_check says whether a config file of mode |mode| may be
 * used: never when group or others may write it (they could point bsctl,
 * and its token, at another server); with a token in it (|has_token|), not
 * when group or others may read it either (as ssh does with keys).
 *
 * Returns 0, or -EPERM with the reason (naming |name|) in |err|.
 */
int bsctl_conf_mode_check(const char *name, mode_t mode, bool has_token, char *err, size_t errcap);

/*
 * bsctl_conf_pick chooses the config file: |flag| (--config), else |env|
 * ($BSCTL_CONFIG) — both must exist, *required says so —, else the first
 * of |home|/.config/bsctl/config and /etc/bsd/bsctl.conf for which
 * |exists| is true (|home| may be NULL). The path goes to |out|.
 *
 * Returns 1 when a file was chosen, 0 when none, -ENAMETOOLONG.
 */
int bsctl_conf_pick(const char *flag, const char *env, const char *home, bool (*exists)(const char *path),
                    char *out, size_t cap, bool *required);

/*
 * bsctl_server_check checks API base URL |url|: http:// or https://, a
 * host, an optional port and path, no user info, query or fragment, no
 * blanks or control bytes. Plain http:// only to a loopback host
 * (localhost, 127.0.0.0/8, [::1]): a bearer token must not cross a network
 * in clear. The normalised URL (no trailing '/') goes to |out|.
 *
 * Returns 0, or -EINVAL with the reason in |err|.
 */
int bsctl_server_check(const char *url, char *out, size_t cap, char *err, size_t errcap);

/*
 * bsctl_token_check checks a token's text: 1..BSCTL_TOKEN_MAX-1 bytes of
 * visible ASCII (0x21..0x7e), so that it cannot break the Authorization
 * header. The message in |err| never holds the token.
 *
 * Returns 0 or -EINVAL.
 */
int bsctl_token_check(const char *token, char *err, size_t errcap);

/*
 * bsctl_token_trim cuts blanks and line ends from the end of |s| (the text
 * of a token file, |*len| bytes) and updates |*len|.
 */
void bsctl_token_trim(char *s, size_t *len);

/* Where a resolved setting came from. */
typedef enum bsctl_src {
    BSCTL_SRC_NONE = 0,
    BSCTL_SRC_FLAG, /* a command-line option */
    BSCTL_SRC_ENV,  /* an environment variable */
    BSCTL_SRC_CONF, /* the config file */
} bsctl_src_t;

/* What the settings are chosen from; NULL or "" = not given. */
typedef struct bsctl_settings_in {
    const char *server, *token, *token_file, *cacert; /* flags */
    const char *env_url, *env_token, *env_cacert;     /* BSD_API_URL, BSD_API_TOKEN, BSD_API_CACERT */
    const bsctl_conf_t *conf;                         /* the config file read, or NULL */
} bsctl_settings_in_t;

/* The choice; pointers into the input. At most one of token and token_file. */
typedef struct bsctl_settings {
    const char *server;     /* NULL: no server, local mode */
    const char *token;      /* the token text, or NULL */
    const char *token_file; /* a file holding it, or NULL */
    const char *cacert;     /* NULL: the system's CAs */
    bsctl_src_t server_src, token_src, cacert_src;
} bsctl_settings_t;

/* bsctl_settings_resolve picks each setting from the highest source giving it. */
void bsctl_settings_resolve(const bsctl_settings_in_t *in, bsctl_settings_t *out);

/* bsctl_src_name names a source for messages ("--server", "BSD_API_URL", "config"). */
const char *bsctl_src_name(bsctl_src_t src, const char *flag, const char *env);

#endif /* BSD_TOOLS_BSCTL_SETTINGS_H */
