/*
 * api_int.h — what the files of bsd/api share and no resource needs: the
 * server's state, one HTTP request in flight, routing over the resource
 * tables, authentication, and the API's own counters. Resources include
 * api_handler.h only.
 */
#ifndef BSD_API_API_INT_H
#define BSD_API_API_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bsd/api/api.h"
#include "bsd/api/api_handler.h"

#define API_LISTENERS_MAX  (2 * CONFIG_LISTEN_MAX) /* HTTPS + plain */
#define API_TOKEN_CACHE    256                     /* token lookups remembered */
#define API_TOKEN_CACHE_MS 2000                    /* how long; bounds the delay of a revocation */
#define API_DISCARD_MAX                                                                                      \
    (1u << 20)            /* body bytes read and dropped after an error, then the connection closes */
#define API_ALLOW_MAX  64 /* bytes of an Allow header value */
#define API_TABLES_MAX 32 /* resource route tables */

struct MHD_Daemon;
struct MHD_Connection;

/* One listening socket and the libmicrohttpd daemon serving it. */
typedef struct api_listener {
    struct api *api;
    struct MHD_Daemon *mhd;
    int fd;        /* ours; libmicrohttpd gets a duplicate */
    bool tls;      /* HTTPS */
    char name[64]; /* "127.0.0.1:8443" */
} api_listener_t;

/* One PostgreSQL connection of the pool; an API thread holds at most one
 * at a time, so threads-many suffice. */
typedef struct api_dbslot {
    struct db *db; /* NULL until first used, and after it broke */
    bool busy;
} api_dbslot_t;

/* A remembered token lookup (a hit, a miss, or a revoked token). */
typedef struct api_token_entry {
    uint8_t hash[DB_TOKEN_HASH_LEN];
    uint64_t expires_ms; /* 0 = empty */
    int found;           /* 0 unknown, 1 found */
    db_token_info_t info;
} api_token_entry_t;

/* The API's own counters for /metrics. */
typedef struct api_counters {
    atomic_ulong status[6];     /* responses by status class: [2] = 2xx ... [5] = 5xx; [0] other */
    atomic_ulong denied_401;    /* authentication failures */
    atomic_ulong denied_403;    /* authorisation failures */
    atomic_ulong audit_dropped; /* denied requests not audited (token bucket) */
    atomic_ulong lookup_cache;  /* token lookups answered from the cache */
    atomic_ulong lookup_db;     /* token lookups that asked PostgreSQL */
} api_counters_t;

struct api {
    char *db_url;             /* owned */
    char *keys_file;          /* owned: secret_keys_file; NULL = the keyring is in BSD_SECRET_KEYS */
    unsigned threads;         /* per listener */
    uint64_t max_body;        /* bytes */
    uint64_t max_import;      /* bytes */
    bool diag;                /* test-only routes */
    char *tls_cert, *tls_key; /* PEM text, NUL-terminated; the key is wiped on close */
    size_t tls_key_len;
    api_listener_t lst[API_LISTENERS_MAX];
    size_t nlst;
    api_hooks_t hooks;

    pthread_mutex_t db_lock; /* guards slots[].busy */
    api_dbslot_t *slots;
    size_t nslots;
    _Atomic uint64_t db_warned_ms; /* last "cannot connect" log line */

    pthread_mutex_t auth_lock; /* guards cache and the audit bucket */
    api_token_entry_t cache[API_TOKEN_CACHE];
    double audit_tokens;      /* denied requests that may still be audited */
    uint64_t audit_at_ms;     /* last refill */
    uint64_t audit_dropped;   /* not audited since the last report */
    uint64_t audit_report_ms; /* last report of that count */

    api_counters_t n;
};

/* One request in flight (libmicrohttpd's per-request pointer). */
struct api_call {
    struct api *api;
    api_listener_t *lst;
    struct MHD_Connection *conn;
    char *uri;    /* the raw request target */
    int phase;    /* 0 new, 1 receiving the body */
    bool handled; /* the handler was called (it owns req.stream then) */
    bool head;    /* HEAD: answered as GET without a body */
    api_target_t target;
    api_kv_t params[API_PARAMS_MAX];
    size_t nparams;
    api_req_t req;
    api_resp_t resp;
    uint64_t limit;     /* body bytes accepted */
    uint64_t discarded; /* body bytes dropped after an error */
    char *buf;          /* JSON/RAW body */
    size_t len, cap;
    api_dbslot_t *slot; /* the connection held during a phase */
    char token_name[DB_TOKEN_NAME_MAX + 1];
    char actor[DB_TOKEN_NAME_MAX + 8];
    char remote[64];
    uint64_t t0_ms;
};

/* The resource tables, NULL-terminated (api_resources.c). */
extern const api_route_t *const api_route_tables[];
/* Test-only routes, served with diag_resources (api_diag.c). */
extern const api_route_t api_diag_routes[];

/*
 * api_route_find looks up |method| ("HEAD" as "GET") on the path of |t| in
 * |tables| (NULL-terminated). Returns the route with its parameters in
 * |params| (*np of them), or NULL: then *path_known tells whether another
 * method is served there (405), and |allow| lists those methods
 * ("GET, HEAD, POST").
 */
const api_route_t *api_route_find(const api_route_t *const *tables, const char *method, const api_target_t *t,
                                  api_kv_t *params, size_t *np, bool *path_known, char *allow,
                                  size_t allowcap);

/* api_route_bad_query returns the first query parameter of |t| that route
 * |r| does not take, or NULL. */
const char *api_route_bad_query(const api_route_t *r, const api_target_t *t);

/* api_role_allows tells whether a token of role |have| may call |r|. */
bool api_role_allows(const api_route_t *r, db_token_role_t have);

/*
 * api_authenticate checks the call's bearer token for a route that needs
 * one (|r| NULL: the path is unknown, a token is still required) and fills
 * call->token_name and req.role. On failure it answers in call->resp (401
 * with WWW-Authenticate, or 503 when PostgreSQL is unreachable), audits a
 * 401, and returns -1; 0 when authenticated.
 */
int api_authenticate(struct api_call *c);

/*
 * api_deny records a denied request (|status| 401 or 403, |reason| a
 * snake_case word): a log line and an audit row, both limited by a token
 * bucket; what the bucket drops is counted and reported.
 */
void api_deny(struct api_call *c, int status, const char *reason);

/* api_now_ms returns CLOCK_MONOTONIC in milliseconds. */
uint64_t api_now_ms(void);

/* api_write_own_metrics appends the API's counters to |f|. */
void api_write_own_metrics(struct api *a, FILE *f);

/* api_release_db hands the call's connection back to the pool. */
void api_release_db(struct api_call *c);

#endif /* BSD_API_API_INT_H */
