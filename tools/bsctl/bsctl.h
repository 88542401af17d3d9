/*
 * bsctl.h — shared state and helpers of bsctl, the operator CLI.
 *
 * bsctl_main.c parses the global options and dispatches to a command group
 * (bsctl_device.c, bsctl_policy.c when built); bsctl_util.c holds the
 * connection, keyring, option-parsing and output helpers they share. The
 * store itself is bsd/db.
 *
 * Exit status of every command: 0 success, 1 failure, 2 usage error.
 */
#ifndef BSD_TOOLS_BSCTL_H
#define BSD_TOOLS_BSCTL_H

#include "bsd/db/db.h"
#include "bsd/db/secretbox.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define BSCTL_OK    0
#define BSCTL_FAIL  1
#define BSCTL_USAGE 2

/* State shared by all commands. */
typedef struct bsctl {
    const char *db_url;   /* --db, else $BSD_DB_URL */
    const char *key_file; /* --key-file, else $BSD_SECRET_KEYS / $BSD_SECRET_KEY_FILE */
    bool json;            /* --json: JSON output instead of tables */
    db_t *db;             /* open connection, or NULL */
    db_secretbox_t sb;    /* keyring (loaded on demand) */
    bool sb_loaded;       /* sb holds keys */
    char actor[128];      /* audit actor, "bsctl:<user>" */
} bsctl_t;

/* A command group: `bsctl NAME ...`. |main| gets argv after NAME. */
typedef struct bsctl_group {
    const char *name;                                 /* "device" */
    int (*main)(bsctl_t *ctl, int argc, char **argv); /* NULL when not built in */
    const char *summary;                              /* one line for the usage text */
} bsctl_group_t;

/* The command groups. */
int bsctl_migrate_main(bsctl_t *ctl, int argc, char **argv);
int bsctl_device_main(bsctl_t *ctl, int argc, char **argv);
int bsctl_policy_main(bsctl_t *ctl, int argc, char **argv); /* bsctl_policy.c, when built */
int bsctl_deny_main(bsctl_t *ctl, int argc, char **argv);   /* bsctl_deny.c */
int bsctl_token_main(bsctl_t *ctl, int argc, char **argv);  /* bsctl_token.c */
int bsctl_cert_main(bsctl_t *ctl, int argc, char **argv);   /* bsctl_cert.c */
int bsctl_unboot_main(bsctl_t *ctl, int argc, char **argv); /* bsctl_unboot.c */

/* One option a command accepts. */
typedef struct bsctl_opt {
    const char *name; /* without the leading "--" */
    bool has_arg;     /* takes a value (--name V or --name=V) */
    int id;           /* passed to the handler */
} bsctl_opt_t;

/* Called per option; returns 0, or BSCTL_USAGE / BSCTL_FAIL to stop. */
typedef int (*bsctl_opt_fn)(void *arg, int id, const char *val);

/*
 * bsctl_parse walks |argv| (|argc| items): options from |opts| (NULL-name
 * terminated) go to |fn|; the global options --db, --key-file and --json
 * are accepted everywhere and stored in |ctl|; everything else is a
 * positional argument, stored in |pos| (up to |maxpos|), count in *npos.
 * "--" ends the options. Prints "bsctl: ..." for an unknown option, a
 * missing value or too many arguments.
 *
 * Returns 0, BSCTL_USAGE, or what |fn| returned.
 */
int bsctl_parse(bsctl_t *ctl, int argc, char **argv, const bsctl_opt_t *opts, bsctl_opt_fn fn, void *arg,
                char **pos, int maxpos, int *npos);

/* bsctl_err prints "bsctl: <message>\n" to stderr. */
void bsctl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * bsctl_connect opens ctl->db (once) and, when |need_schema|, checks the
 * schema is current. Prints one line naming the URL (password redacted) on
 * failure. Returns 0 or BSCTL_FAIL.
 */
int bsctl_connect(bsctl_t *ctl, bool need_schema);

/*
 * bsctl_keys loads the keyring (once) from --key-file, else $BSD_SECRET_KEYS
 * (the keyring text itself), else $BSD_SECRET_KEY_FILE. Prints the reason
 * on failure. Returns 0 or BSCTL_FAIL.
 */
int bsctl_keys(bsctl_t *ctl);

/* bsctl_close closes the connection and wipes the keyring. */
void bsctl_close(bsctl_t *ctl);

/* bsctl_json_out prints |json| (a json_t *, stolen) with indentation and a
 * newline to stdout. */
void bsctl_json_out(void *json);

#endif /* BSD_TOOLS_BSCTL_H */
