/*
 * dbload.c — builds a generation from PostgreSQL (dbload.h): policies
 * first (parsed exactly as `bsctl policy apply` checked them), then the
 * devices, streamed one row at a time into the credential store and the
 * planner's attribute table.
 */
#include "bsd/dbload.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bsd/db/db.h"
#include "bsd/db/db_devices.h"
#include "bsd/db/db_migrate.h"
#include "bsd/db/db_policies.h"
#include "bsd/db/db_settings.h"
#include "bsd/db/secretbox.h"
#include "bsd/util/log.h"

#define DBLOAD_MAX_POLICIES 256

typedef struct active {
    char name[DB_POLICY_NAME_MAX + 1];
    int version;
} active_t;

typedef struct list_ctx {
    active_t *a;
    size_t n;
} list_ctx_t;

static int on_policy(void *arg, const db_policy_t *p)
{
    list_ctx_t *l = arg;
    if (!p->active) return 0;
    if (l->n == DBLOAD_MAX_POLICIES) return -E2BIG;
    snprintf(l->a[l->n].name, sizeof(l->a[l->n].name), "%s", p->name);
    l->a[l->n].version = p->version;
    l->n++;
    return 0;
}

/* Parses every active policy; on success |*ps| and |*vers| hold |*n| entries. */
static int load_policies(db_t *db, policy_t ***ps, uint32_t **vers, size_t *n, char *err, size_t errcap)
{
    list_ctx_t l = {calloc(DBLOAD_MAX_POLICIES, sizeof(active_t)), 0};
    if (!l.a) {
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    int r = db_policies_list(db, NULL, on_policy, &l);
    if (r != 0) {
        snprintf(err, errcap, "%s", r == -E2BIG ? "more than 256 active policies" : db_errmsg(db));
        free(l.a);
        return -1;
    }
    *ps = calloc(l.n ? l.n : 1, sizeof(**ps));
    *vers = calloc(l.n ? l.n : 1, sizeof(**vers));
    if (!*ps || !*vers) {
        snprintf(err, errcap, "out of memory");
        goto fail;
    }
    for (*n = 0; *n < l.n; (*n)++) {
        db_policy_t p;
        memset(&p, 0, sizeof(p));
        if (db_policies_get(db, l.a[*n].name, l.a[*n].version, &p) != 0) {
            snprintf(err, errcap, "policy %s v%d: %s", l.a[*n].name, l.a[*n].version, db_errmsg(db));
            goto fail;
        }
        char name[128], perr[POLICY_ERR_MAX];
        snprintf(name, sizeof(name), "%s v%d", p.name, p.version);
        (*ps)[*n] = policy_parse(name, p.source, strlen(p.source), perr, sizeof(perr));
        (*vers)[*n] = (uint32_t)p.version;
        db_policy_free(&p);
        if (!(*ps)[*n]) {
            snprintf(err, errcap, "stored policy %s", perr);
            goto fail;
        }
    }
    free(l.a);
    return 0;
fail:
    for (size_t i = 0; *ps && i < *n; i++)
        policy_free((*ps)[i]);
    free(*ps);
    free(*vers);
    *ps = NULL;
    *vers = NULL;
    free(l.a);
    return -1;
}

typedef struct dev_ctx {
    creds_t *creds;
    bsd_planner_t *planner;
    char *err;
    size_t errcap;
    char **denied; /* deny-listed endpoints, sorted */
    size_t ndenied;
    size_t skipped;
} dev_ctx_t;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The deny-list: endpoints into |x| (sorted), source prefixes into |c|. */
static int load_deny(db_t *db, dev_ctx_t *x, creds_t *c, char *err, size_t errcap)
{
    PGresult *res = PQexec(db_pg(db), "SELECT endpoint FROM denied_devices ORDER BY endpoint");
    if (PQresultStatus(res) != PGRES_TUPLES_OK) goto fail;
    x->ndenied = (size_t)PQntuples(res);
    x->denied = calloc(x->ndenied ? x->ndenied : 1, sizeof(char *));
    for (size_t i = 0; x->denied && i < x->ndenied; i++)
        x->denied[i] = strdup(PQgetvalue(res, (int)i, 0));
    PQclear(res);
    if (!x->denied) {
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < x->ndenied; i++)
        if (!x->denied[i]) {
            snprintf(err, errcap, "out of memory");
            return -1;
        }
    qsort(x->denied, x->ndenied, sizeof(char *), cmp_str); /* C collation, as bsearch needs */
    res = PQexec(db_pg(db), "SELECT family(prefix), host(prefix), masklen(prefix) FROM denied_sources");
    if (PQresultStatus(res) != PGRES_TUPLES_OK) goto fail;
    for (int i = 0; i < PQntuples(res); i++) {
        creds_prefix_t p = {0};
        p.family = atoi(PQgetvalue(res, i, 0)) == 6 ? AF_INET6 : AF_INET;
        p.bits = (uint8_t)atoi(PQgetvalue(res, i, 2));
        if (inet_pton(p.family, PQgetvalue(res, i, 1), p.addr) != 1 || creds_deny_source(c, &p) != 0) {
            snprintf(err, errcap, "denied source %s/%s: cannot be used", PQgetvalue(res, i, 1),
                     PQgetvalue(res, i, 2));
            PQclear(res);
            return -1;
        }
    }
    PQclear(res);
    return 0;
fail:
    snprintf(err, errcap, "%s: deny-list: %s", db_url(db), PQresultErrorMessage(res));
    err[strcspn(err, "\n")] = 0;
    PQclear(res);
    return -1;
}

static void free_deny(dev_ctx_t *x)
{
    for (size_t i = 0; x->denied && i < x->ndenied; i++)
        free(x->denied[i]);
    free(x->denied);
}

static int on_device(void *arg, const creds_device_t *c, const db_device_t *d)
{
    dev_ctx_t *x = arg;
    const char *ep = d->endpoint;
    if (x->ndenied && bsearch(&ep, x->denied, x->ndenied, sizeof(char *), cmp_str)) {
        x->skipped++; /* deny-listed: it cannot authenticate */
        return 0;
    }
    int r = creds_add(x->creds, c);
    if (r != 0) {
        snprintf(x->err, x->errcap, "device %s: %s", d->endpoint,
                 r == CREDS_ERR_DUPLICATE ? "credential already used by another device"
                                          : "refused by the store");
        return -EINVAL;
    }
    policy_label_t labels[DB_DEVICE_LABELS_MAX];
    for (size_t i = 0; i < d->nlabels; i++) {
        labels[i].key = d->labels[i].key;
        labels[i].value = d->labels[i].value;
    }
    if (bsd_planner_add_device(x->planner, d->endpoint, d->serial, labels, d->nlabels) != 0) {
        snprintf(x->err, x->errcap, "out of memory");
        return -ENOMEM;
    }
    return 0;
}

int dbload_gen(const bsd_config_t *cfg, creds_t **creds, bsd_planner_t **planner, char *err, size_t errcap)
{
    *creds = NULL;
    *planner = NULL;
    db_secretbox_t sb;
    db_secretbox_init(&sb);
    db_t *db = NULL;
    policy_t **ps = NULL;
    uint32_t *vers = NULL;
    size_t nps = 0;
    uint8_t key[DB_CREDENTIAL_KEY_LEN];
    int ok = 0, applied = 0;
    char m[DB_SECRETBOX_ERR_MAX];
    if ((cfg->secret_keys_file ? db_secretbox_load_file(&sb, cfg->secret_keys_file, m, sizeof(m))
                               : db_secretbox_load_env(&sb, "BSD_SECRET_KEYS", m, sizeof(m))) != 0) {
        snprintf(err, errcap, "%s", m);
        goto out;
    }
    if (db_connect(cfg->db_url, &db, err, errcap) != 0) goto out;
    if (db_migrate(db, &applied) != 0) {
        snprintf(err, errcap, "%s: migrations: %s", db_url(db), db_errmsg(db));
        goto out;
    }
    if (applied) log_msg(BSD_LOG_INFO, "db.migrated", "db=\"%s\" applied=%d", db_url(db), applied);
    if (db_credential_key(db, &sb, key) != 0) {
        snprintf(err, errcap, "%s: %s", db_url(db), db_errmsg(db));
        goto out;
    }
    if (load_policies(db, &ps, &vers, &nps, err, errcap) != 0) goto out;
    *planner = bsd_planner_from_policies(ps, vers, nps, key);
    free(ps);
    free(vers);
    ps = NULL;
    if (!*planner) {
        snprintf(err, errcap, "out of memory");
        goto out;
    }
    long long ndev = 0;
    if (db_devices_count(db, &ndev) != 0) {
        snprintf(err, errcap, "%s: %s", db_url(db), db_errmsg(db));
        goto out;
    }
    *creds = creds_new((size_t)(ndev > 0 ? ndev : 16));
    if (!*creds) {
        snprintf(err, errcap, "out of memory");
        goto out;
    }
    err[0] = 0;
    dev_ctx_t x = {*creds, *planner, err, errcap, NULL, 0, 0};
    if (load_deny(db, &x, *creds, err, errcap) != 0) {
        free_deny(&x);
        goto out;
    }
    int r = db_devices_load(db, &sb, on_device, &x);
    free_deny(&x);
    if (r != 0) {
        if (!err[0]) snprintf(err, errcap, "%s: devices: %s", db_url(db), db_errmsg(db));
        goto out;
    }
    if (x.skipped) log_msg(BSD_LOG_INFO, "db.devices.denied", "count=%zu", x.skipped);
    ok = 1;
out:
    explicit_bzero(key, sizeof(key));
    db_close(db);
    db_secretbox_free(&sb);
    if (!ok) {
        creds_free(*creds);
        bsd_planner_free(*planner);
        *creds = NULL;
        *planner = NULL;
        return -1;
    }
    return 0;
}
