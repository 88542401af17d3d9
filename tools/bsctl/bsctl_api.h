/*
 * bsctl_api.h — bsctl as a client of the REST admin API (docs/API.md): the
 * connection settings, one request function over libcurl, the API's one
 * error shape printed for people, and the output of answers (tables, or
 * the JSON as the server sent it with --json).
 *
 * With a server configured (bsctl_settings.h says where from) the operator
 * commands go through the API: bsctl_remote_device.c, bsctl_remote_policy.c,
 * bsctl_remote_session.c, bsctl_remote_misc.c. Without one, bsctl works on
 * the database directly ("local maintenance mode": bsctl_device.c, ...).
 *
 * Exit status, as everywhere in bsctl: BSCTL_OK, BSCTL_FAIL (the server
 * refused, could not be reached, or a row of an import was refused),
 * BSCTL_USAGE (a bad command line or setting).
 */
#ifndef BSD_TOOLS_BSCTL_API_H
#define BSD_TOOLS_BSCTL_API_H

#include "tools/bsctl/bsctl.h"
#include "tools/bsctl/bsctl_settings.h"
#include "tools/bsctl/bsctl_table.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#define BSCTL_REPLY_MAX (64u << 20) /* bytes of an answer kept; more is an error */
#define BSCTL_QUERY_MAX 4096        /* bytes of a query string */

/* The connection options given on the command line (NULL = not given). */
typedef struct bsctl_api_flags {
    const char *server;     /* --server URL */
    const char *token;      /* --token TOKEN */
    const char *token_file; /* --token-file FILE */
    const char *cacert;     /* --cacert FILE */
    const char *config;     /* --config FILE */
    bool local;             /* --local: the database, whatever is configured */
} bsctl_api_flags_t;

/* The API connection. */
typedef struct bsctl_api {
    char server[BSCTL_URL_MAX];  /* base URL without a trailing '/'; "" = local mode */
    char token[BSCTL_TOKEN_MAX]; /* SECRET; "" = none */
    char cacert[BSCTL_PATH_MAX]; /* "" = the system's CAs */
    void *curl;                  /* CURL *, made on first use, reused */
} bsctl_api_t;

/*
 * bsctl_api_setup fills |api| from |f|, the environment and the config file
 * (bsctl_settings.h), reading a token file and checking the config file's
 * mode. api->server stays "" when no server is configured or --local.
 *
 * Returns 0, or BSCTL_USAGE / BSCTL_FAIL after printing why.
 */
int bsctl_api_setup(bsctl_api_t *api, const bsctl_api_flags_t *f);

/* bsctl_api_close frees the connection and wipes the token. */
void bsctl_api_close(bsctl_api_t *api);

/* A request body: |len| bytes of |data|, or the whole of |file| streamed. */
typedef struct bsctl_body {
    const char *ctype; /* Content-Type */
    const char *data;  /* in memory, or NULL */
    size_t len;
    FILE *file; /* streamed (chunked when its size is unknown), or NULL */
} bsctl_body_t;

/* An answer. */
typedef struct bsctl_reply {
    long status;    /* HTTP status */
    char *body;     /* malloc'd, NUL-terminated; never NULL after a request */
    size_t len;     /* bytes of body */
    char ctype[96]; /* its Content-Type, "" if none */
} bsctl_reply_t;

/*
 * bsctl_api_request sends |method| |path| (absolute, already escaped) with
 * |query| (escaped "a=b&c=d", NULL for none) and |body| (NULL for none),
 * with the token, and stores the answer in |rep| (free it with
 * bsctl_reply_free). Redirects are not followed (the token would go along).
 *
 * Returns 0 when an answer arrived, whatever its status; BSCTL_FAIL after
 * printing why none did (connection, TLS verification, a reply over
 * BSCTL_REPLY_MAX).
 */
int bsctl_api_request(bsctl_api_t *api, const char *method, const char *path, const char *query,
                      const bsctl_body_t *body, bsctl_reply_t *rep);

void bsctl_reply_free(bsctl_reply_t *rep);

/*
 * bsctl_api_error prints a non-2xx answer: "bsctl: <message> (<code>, HTTP
 * <status>)", then its details (per-row errors, line and column — prefixed
 * with |file| when not NULL —, other members), and a hint after 401.
 * Returns BSCTL_FAIL.
 */
int bsctl_api_error(const bsctl_api_t *api, const bsctl_reply_t *rep, const char *file);

/*
 * bsctl_api_json sends a request with a JSON body |in| (NULL: no body; not
 * stolen) and returns the answer parsed; on a non-2xx status or an answer
 * that is not JSON it prints why (bsctl_api_error) and returns NULL with
 * *rc set to BSCTL_FAIL.
 */
json_t *bsctl_api_json(bsctl_api_t *api, const char *method, const char *path, const char *query, json_t *in,
                       int *rc);

/* A query string being built. */
typedef struct bsctl_query {
    char s[BSCTL_QUERY_MAX];
    size_t n;
    bool overflow; /* it did not fit: bsctl_query_str returns NULL */
} bsctl_query_t;

/*
 * bsctl_api_pages GETs |path| with query |q| and, when |all|, the pages
 * after it (cursor = the answer's "next") until "next" is null. Returns the
 * first answer with the rows of all pages in its array |items| and the last
 * page's "next", or NULL with *rc set after printing why.
 */
json_t *bsctl_api_pages(bsctl_api_t *api, const char *path, const bsctl_query_t *q, const char *items,
                        bool all, int *rc);

/* bsctl_import_row_error prints one refused row {line, column, endpoint,
 * message} of an import as "[file:]line:column: [endpoint: ]message". */
void bsctl_import_row_error(const json_t *e, const char *file);

/* bsctl_flag_opt is an option handler that sets *(bool *)arg. */
int bsctl_flag_opt(void *arg, int id, const char *val);

/*
 * bsctl_print prints answer |doc| (stolen): with --json (ctl->json) the
 * JSON indented; else |rows| (a member of |doc| holding an array; NULL:
 * |doc| itself) as a table of |cols| (NULL: automatic), or, when that is an
 * object, as "key: value" lines. Returns BSCTL_OK.
 */
int bsctl_print(const bsctl_t *ctl, json_t *doc, const char *rows, const bsctl_col_t *cols, size_t ncols,
                const char *empty);

/* bsctl_query_add appends name=value, percent-encoded (|value| NULL: nothing). */
void bsctl_query_add(bsctl_query_t *q, const char *name, const char *value);

/* bsctl_query_str returns the query ("" when empty) or NULL on overflow. */
const char *bsctl_query_str(const bsctl_query_t *q);

/*
 * bsctl_path writes |prefix|, |segment| percent-encoded as one path
 * segment, then |suffix| (may be NULL) into |out|. Returns 0 or -1 (too long).
 */
int bsctl_path(char *out, size_t cap, const char *prefix, const char *segment, const char *suffix);

/*
 * bsctl_remote_parse is bsctl_parse for the remote commands: besides the
 * command's |opts| it takes --json anywhere, and refuses --db and
 * --key-file, which mean the database (bsctl --local ...).
 */
int bsctl_remote_parse(bsctl_t *ctl, int argc, char **argv, const bsctl_opt_t *opts, bsctl_opt_fn fn,
                       void *arg, char **pos, int maxpos, int *npos);

/* The remote command groups: argv after the group's name. */
int bsctl_remote_device_main(bsctl_t *ctl, bsctl_api_t *api, int argc, char **argv);
int bsctl_remote_policy_main(bsctl_t *ctl, bsctl_api_t *api, int argc, char **argv);
int bsctl_remote_deny_main(bsctl_t *ctl, bsctl_api_t *api, int argc, char **argv);
int bsctl_remote_session_main(bsctl_t *ctl, bsctl_api_t *api, int argc, char **argv);
int bsctl_remote_whoami_main(bsctl_t *ctl, bsctl_api_t *api, int argc, char **argv);
int bsctl_remote_metrics_main(bsctl_t *ctl, bsctl_api_t *api, int argc, char **argv);
int bsctl_remote_cert_main(bsctl_t *ctl, bsctl_api_t *api, int argc, char **argv);   /* bsctl_cert.c */
int bsctl_remote_ca_main(bsctl_t *ctl, bsctl_api_t *api, int argc, char **argv);     /* bsctl_cert.c */
int bsctl_remote_unboot_main(bsctl_t *ctl, bsctl_api_t *api, int argc, char **argv); /* bsctl_unboot.c */
/* `bsctl device accounts EP` in both modes (|api| NULL: the database); bsctl_unboot.c. */
int bsctl_unboot_accounts(bsctl_t *ctl, bsctl_api_t *api, int argc, char **argv);

#endif /* BSD_TOOLS_BSCTL_API_H */
