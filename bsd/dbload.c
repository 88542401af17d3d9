/*
 * dbload.c — builds a generation from PostgreSQL (dbload.h): policies
 * first (parsed exactly as `bsctl policy apply` checked them), then the
 * devices, streamed one row at a time into the credential store and the
 * planner's attribute table; then the certificates of `client_certificate:
 * issue` accounts the stored ones do not cover are issued and recorded.
 */
#include "bsd/dbload.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/hash.h>

#include "bsd/db/db.h"
#include "bsd/db/db_certs.h"
#include "bsd/db/db_certs_boot.h"
#include "bsd/db/db_devices.h"
#include "bsd/db/db_migrate.h"
#include "bsd/db/db_policy_ops.h"
#include "bsd/db/db_settings.h"
#include "bsd/db/db_unboot.h"
#include "bsd/db/secretbox.h"
#include "bsd/est/est_ca.h"
#include "bsd/est/est_csr.h"
#include "bsd/util/log.h"

/* The CA of dbload_set_est_ca(): set once on the main thread, which also
 * builds every generation. */
static const est_ca_t *dbload_ca;

void dbload_set_est_ca(const struct est_ca *ca)
{
    dbload_ca = ca;
}

#define BOOT_LOG_MAX 5 /* per-device failures logged one by one per load */

/* A certificate to issue: device and account. */
typedef struct boot_need {
    char *endpoint;
    uint16_t ssid;
} boot_need_t;

/* Bootstrap certificates of one load. */
typedef struct boot_ctx {
    db_certs_boot_t *have; /* the stored, reusable ones */
    boot_need_t *need;     /* the missing ones, issued after the device pass */
    size_t nneed, capneed;
    size_t issued, reused, failed, logged;
    policy_x509_issue_t is[POLICY_MAX_SERVERS]; /* scratch */
} boot_ctx_t;

typedef struct dev_ctx {
    creds_t *creds;
    bsd_planner_t *planner;
    char *err;
    size_t errcap;
    char **denied; /* deny-listed endpoints, sorted */
    size_t ndenied;
    size_t skipped;
    db_secretbox_t *sb;  /* seals derived keys for the record writer */
    const uint8_t *key;  /* the credential key (psk_key_mac) */
    size_t due, pending; /* rotations to write, written but unused */
    size_t conflicts;    /* new credentials refused (taken by another device) */
    struct queued *q;    /* new credentials, added once every device is in */
    size_t nq, capq;
    boot_ctx_t *boot; /* NULL: no policy has certificates issued at bootstrap */
} dev_ctx_t;

/* A new credential waiting for the second pass (owned copies). */
struct queued {
    creds_device_t a;
    int due;     /* the policy's: write it */
    int written; /* from devices.bs_next */
};

static void queued_clear(struct queued *q)
{
    free(q->a.endpoint);
    free(q->a.psk_identity);
    free(q->a.spki);
    free(q->a.rot_json);
    explicit_bzero(q, sizeof(*q));
}

/* Keeps a deep copy of |a| for add_queued(). */
static int queue_alias(dev_ctx_t *x, const creds_device_t *a, int due, int written)
{
    if (x->nq == x->capq) {
        size_t n = x->capq ? x->capq * 2 : 64;
        struct queued *nq = realloc(x->q, n * sizeof(*nq));
        if (!nq) return -ENOMEM;
        x->q = nq;
        x->capq = n;
    }
    struct queued *q = &x->q[x->nq];
    memset(q, 0, sizeof(*q));
    q->a = *a;
    q->due = due;
    q->written = written;
    q->a.endpoint = strdup(a->endpoint);
    q->a.psk_identity = a->psk_identity ? strdup(a->psk_identity) : NULL;
    q->a.rot_json = a->rot_json ? strdup(a->rot_json) : NULL;
    q->a.spki = NULL;
    if (a->spki && (q->a.spki = malloc(a->spki_len)) != NULL) memcpy(q->a.spki, a->spki, a->spki_len);
    x->nq++;
    if (!q->a.endpoint || (a->psk_identity && !q->a.psk_identity) || (a->rot_json && !q->a.rot_json) ||
        (a->spki && !q->a.spki))
        return -ENOMEM;
    return 0;
}

/*
 * Second pass: the new credentials join the store after every device's own
 * credential, so a policy's new identity can never keep a device that holds
 * it today out of the store; such a new credential is refused instead.
 */
static int add_queued(dev_ctx_t *x)
{
    int r = 0;
    for (size_t i = 0; i < x->nq; i++) {
        const creds_device_t *a = &x->q[i].a;
        int rr = r ? 0 : creds_add_alias(x->creds, a, x->q[i].due);
        if (rr == 0 && !r) {
            x->due += x->q[i].due != 0;
            x->pending += x->q[i].written != 0;
        } else if (rr == CREDS_ERR_DUPLICATE) {
            x->conflicts++;
            log_msg(BSD_LOG_WARN, "db.rotation.refused",
                    "endpoint=\"%s\" reason=\"the new bootstrap credential is another device's\"",
                    a->endpoint);
        } else if (rr != 0) {
            snprintf(x->err, x->errcap, "device %s: bootstrap credential rotation: out of memory",
                     a->endpoint);
            r = -ENOMEM;
        }
    }
    return r;
}

static void free_queued(dev_ctx_t *x)
{
    for (size_t i = 0; i < x->nq; i++)
        queued_clear(&x->q[i]);
    free(x->q);
    x->q = NULL;
    x->nq = x->capq = 0;
}

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

/* Whether two credentials of a device are the same bootstrap credential. */
static int same_cred(const creds_device_t *a, const creds_device_t *b)
{
    if (a->kind != b->kind) return 0;
    if (a->kind == CREDS_PSK)
        return strcmp(a->psk_identity, b->psk_identity) == 0 && a->key_len == b->key_len &&
               memcmp(a->key, b->key, a->key_len) == 0;
    if (a->kind == CREDS_RPK) return a->spki_len == b->spki_len && memcmp(a->spki, b->spki, a->spki_len) == 0;
    return 0;
}

/* "{…}" → the members between the braces, in place. */
static char *members(char *obj)
{
    size_t n = strlen(obj);
    if (n < 2) return obj;
    obj[n - 1] = 0;
    return obj + 1;
}

/*
 * The device's new bootstrap credentials: the one a session already wrote
 * (devices.bs_next) and the one its policy rotates to now. Each becomes an
 * extra entry of the device in the store, so old and new are both accepted
 * until the device has used a new one (then the record writer makes it the
 * device's credential). The policy's is marked due: the next bootstrap with
 * another credential writes it.
 */
static int add_rotations(dev_ctx_t *x, const creds_device_t *cur, const db_device_t *d)
{
    creds_device_t pend = {0}, der = {0};
    char ident[DB_DEVICE_IDENTITY_MAX + 1];
    char *pjson = NULL, *djson = NULL;
    int has_pend = 0, has_der = 0, r = 0;
    if (d->bs_next.invalid)
        log_msg(BSD_LOG_WARN, "db.rotation.unreadable",
                "endpoint=\"%s\" reason=\"devices.bs_next is damaged or sealed with a key the keyring lacks; "
                "ignored\"",
                cur->endpoint);
    if (d->bs_next.has) {
        pend.endpoint = cur->endpoint;
        pend.bs_new = 1;
        pend.rotation = d->bs_next.rotation;
        pend.credential_version = d->credential_version;
        if (d->bs_next.kind == DEVFILE_PSK) {
            pend.kind = CREDS_PSK;
            pend.psk_identity = (char *)d->bs_next.psk_identity;
            memcpy(pend.key, d->bs_next.psk_key, d->bs_next.psk_key_len);
            pend.key_len = (uint8_t)d->bs_next.psk_key_len;
        } else {
            pend.kind = CREDS_RPK;
            pend.spki = (uint8_t *)d->bs_next.spki;
            pend.spki_len = (uint16_t)d->bs_next.spki_len;
        }
        pjson = strdup(d->bs_next.json);
        if (!pjson) return -ENOMEM;
        pend.rot_json = members(pjson);
        has_pend = !same_cred(&pend, cur);
    }
    policy_cred_t pc;
    char perr[300];
    int pr = bsd_planner_bs_rotation(x->planner, cur->endpoint, &pc, perr, sizeof(perr));
    if (pr < 0)
        log_msg(BSD_LOG_WARN, "db.rotation.failed", "endpoint=\"%s\" error=\"%s\"", cur->endpoint, perr);
    if (pr == 1) {
        json_t *o = json_object();
        der.endpoint = cur->endpoint;
        der.bs_new = 1;
        der.rotation = pc.rotation;
        der.credential_version = d->credential_version;
        char hex[2 * POLICY_CRED_BYTES_MAX + 1];
        json_object_set_new(o, "rotation", json_integer(pc.rotation));
        if (pc.kind == POLICY_CRED_PSK && pc.identity_len < sizeof(ident) &&
            pc.secret_len <= CREDS_MAX_PSK_KEY) {
            memcpy(ident, pc.identity, pc.identity_len);
            ident[pc.identity_len] = 0;
            der.kind = CREDS_PSK;
            der.psk_identity = ident;
            memcpy(der.key, pc.secret, pc.secret_len);
            der.key_len = (uint8_t)pc.secret_len;
            char sealed[DB_DEVICES_SEALED_HEX_MAX], mac[65];
            if (!same_cred(&der, cur) &&
                db_devices_seal_psk(x->sb, x->key, cur->endpoint, der.key, der.key_len, sealed, mac) != 0)
                r = -EIO;
            json_object_set_new(o, "kind", json_string("psk"));
            json_object_set_new(o, "psk_identity", json_string(ident));
            json_object_set_new(o, "psk_key", json_string(sealed));
            json_object_set_new(o, "psk_key_mac", json_string(mac));
        } else if (pc.kind == POLICY_CRED_RPK) {
            der.kind = CREDS_RPK;
            der.spki = pc.identity;
            der.spki_len = (uint16_t)pc.identity_len;
            db_hex_encode(pc.identity, pc.identity_len, hex);
            json_object_set_new(o, "kind", json_string("rpk"));
            json_object_set_new(o, "spki", json_string(hex));
        }
        djson = der.kind ? json_dumps(o, JSON_COMPACT) : NULL;
        json_decref(o);
        if (r == 0 && der.kind && !djson) r = -ENOMEM;
        der.rot_json = djson ? members(djson) : NULL;
        has_der = der.kind && !same_cred(&der, cur);
        if (has_der && der.kind == CREDS_PSK && cur->kind == CREDS_PSK &&
            strcmp(der.psk_identity, cur->psk_identity) == 0) {
            /* DTLS picks the key by identity: two keys under one identity
             * cannot both be accepted, so such a rotation is not started. */
            has_der = 0;
            x->conflicts++;
            log_msg(BSD_LOG_WARN, "db.rotation.refused",
                    "endpoint=\"%s\" reason=\"the new PSK identity equals the current one; a rotation must "
                    "change the identity\"",
                    cur->endpoint);
        }
    }
    if (r == 0 && has_pend) {
        int due = has_der && same_cred(&der, &pend);
        r = queue_alias(x, &pend, due, 1);
        has_der = has_der && !due;
    }
    if (r == 0 && has_der) r = queue_alias(x, &der, 1, 0);
    free(pjson);
    free(djson);
    explicit_bzero(&pc, sizeof(pc));
    explicit_bzero(&pend, sizeof(pend));
    explicit_bzero(&der, sizeof(der));
    if (r != 0)
        snprintf(x->err, x->errcap, "device %s: bootstrap credential rotation: out of memory", cur->endpoint);
    return r;
}

/* ---- certificates issued at bootstrap ---------------------------------------- */

static void boot_fail(boot_ctx_t *b, const char *endpoint, const char *why)
{
    b->failed++;
    if (b->logged++ < BOOT_LOG_MAX)
        log_msg(BSD_LOG_WARN, "db.certs.bootstrap.failed", "endpoint=\"%s\" error=\"%s\"", endpoint, why);
}

/* Device pass: the stored certificate of each of the device's accounts
 * with `client_certificate: issue`, or a note to issue one. */
static int boot_device(dev_ctx_t *x, const char *endpoint)
{
    boot_ctx_t *b = x->boot;
    char msg[300];
    int n = bsd_planner_x509_issue(x->planner, endpoint, b->is, POLICY_MAX_SERVERS, msg, sizeof(msg));
    if (n < 0) boot_fail(b, endpoint, msg);
    for (int i = 0; i < n; i++) {
        uint8_t h[32];
        wc_Sha256Hash(b->is[i].spki, sizeof(b->is[i].spki), h);
        const db_boot_cert_t *c = db_certs_boot_find(b->have, endpoint, h, b->is[i].est.subject);
        if (c) {
            if (bsd_planner_add_cert(x->planner, endpoint, b->is[i].ssid, c->der, c->der_len) != 0)
                goto nomem;
            b->reused++;
            continue;
        }
        if (b->nneed == b->capneed) {
            size_t ncap = b->capneed ? b->capneed * 2 : 64;
            boot_need_t *nn = realloc(b->need, ncap * sizeof(*nn));
            if (!nn) goto nomem;
            b->need = nn;
            b->capneed = ncap;
        }
        boot_need_t *nd = &b->need[b->nneed];
        nd->ssid = b->is[i].ssid;
        if (!(nd->endpoint = strdup(endpoint))) goto nomem;
        b->nneed++;
    }
    return 0;
nomem:
    snprintf(x->err, x->errcap, "device %s: out of memory", endpoint);
    return -ENOMEM;
}

/* One certificate being issued, and its row. */
typedef struct boot_slot {
    const boot_need_t *need;
    policy_x509_issue_t is;
    uint8_t name[EST_NAME_STR_MAX];
    uint8_t der[EST_CERT_MAX];
    db_cert_t row;
} boot_slot_t;

/* Issues the certificate of |s->need| with a fresh serial into |s|.
 * Returns 0, or -1 with the reason in |why|. */
static int boot_issue_one(dev_ctx_t *x, boot_slot_t *s, int64_t now, int64_t ca_not_after, char *why,
                          size_t whycap)
{
    boot_ctx_t *b = x->boot;
    const boot_need_t *nd = s->need;
    int n = bsd_planner_x509_issue(x->planner, nd->endpoint, b->is, POLICY_MAX_SERVERS, why, whycap), k = 0;
    if (n < 0) return -1;
    while (k < n && b->is[k].ssid != nd->ssid)
        k++;
    if (k == n) {
        snprintf(why, whycap, "ssid %u: no longer issued by the policy", nd->ssid);
        return -1;
    }
    s->is = b->is[k];
    int nl = est_name_der(s->is.est.subject, s->name, sizeof(s->name));
    if (nl < 0) {
        snprintf(why, whycap, "ssid %u: the subject cannot be encoded", nd->ssid);
        return -1;
    }
    est_issue_t req;
    memset(&req, 0, sizeof(req));
    req.subject = s->name;
    req.subject_len = (size_t)nl;
    req.spki = s->is.spki;
    req.spki_len = sizeof(s->is.spki);
    req.not_before = now - 60; /* a device clock a little behind still accepts it */
    req.not_after = now + (int64_t)s->is.est.validity_days * 86400;
    if (ca_not_after && req.not_after > ca_not_after) req.not_after = ca_not_after;
    for (size_t i = 0; i < s->is.est.nsan && i < EST_SAN_MAX; i++) {
        req.san[i].type = s->is.est.san[i].type; /* POLICY_EST_SAN_* are the GeneralName tags */
        req.san[i].val = (const uint8_t *)s->is.est.san[i].value;
        req.san[i].len = strlen(s->is.est.san[i].value);
        req.nsan++;
    }
    char m[EST_ERR_MAX];
    long len = -1;
    /* est_ca_issue() only reads the CA; its signer serialises itself. */
    if (est_serial_random(req.serial) == 0)
        len = est_ca_issue((est_ca_t *)dbload_ca, &req, s->der, sizeof(s->der), m, sizeof(m));
    if (len < 0) {
        snprintf(why, whycap, "ssid %u: the CA could not issue the certificate", nd->ssid);
        return -1;
    }
    db_cert_t *c = &s->row;
    memset(c, 0, sizeof(*c));
    memcpy(c->serial, req.serial, EST_SERIAL_LEN);
    c->serial_len = EST_SERIAL_LEN;
    c->endpoint = nd->endpoint;
    c->kind = DB_CERT_KIND_BOOTSTRAP;
    c->subject = s->is.est.subject;
    c->not_before = req.not_before;
    c->not_after = req.not_after;
    c->der = s->der;
    c->der_len = (size_t)len;
    wc_Sha256Hash(s->der, (word32)len, c->fingerprint);
    wc_Sha256Hash(s->is.spki, sizeof(s->is.spki), c->spki_sha256);
    return 0; /* csr_sha256 stays zero: recorded as NULL */
}

/* Records |n| issued certificates in one transaction; on a serial taken
 * (practically never: 16 random octets), each again alone with fresh
 * serials. Returns how many are recorded (slots [0, ret) then hold them,
 * in order), or -EIO. */
static int boot_record(db_t *db, dev_ctx_t *x, boot_slot_t *sl, size_t n, int64_t now, int64_t ca_na)
{
    db_cert_t rows[DB_CERTS_BOOT_BATCH];
    for (size_t i = 0; i < n; i++)
        rows[i] = sl[i].row;
    int r = db_certs_boot_insert(db, rows, n);
    if (r == 0) return (int)n;
    if (r != -EEXIST) return -EIO;
    size_t ok = 0;
    for (size_t i = 0; i < n; i++) {
        char why[300];
        r = -EEXIST;
        for (int attempt = 0; attempt < 3 && r == -EEXIST; attempt++)
            if ((attempt == 0 || boot_issue_one(x, &sl[i], now, ca_na, why, sizeof(why)) == 0))
                r = db_certs_boot_insert(db, &sl[i].row, 1);
        if (r == -EIO) return -EIO;
        if (r != 0) {
            boot_fail(x->boot, sl[i].need->endpoint, "no free serial");
            continue;
        }
        if (ok != i) {
            sl[ok] = sl[i];
            sl[ok].row.der = sl[ok].der; /* the row points into its own slot */
            sl[ok].row.subject = sl[ok].is.est.subject;
        }
        ok++;
    }
    return (int)ok;
}

/* After the device pass: issues and records the missing certificates, in
 * batches, then hands them to the planner. Returns 0, or -1 (database
 * error, out of memory) with |err| set. */
static int boot_issue(db_t *db, dev_ctx_t *x, char *err, size_t errcap)
{
    boot_ctx_t *b = x->boot;
    if (!b->nneed) return 0;
    if (!dbload_ca) {
        b->failed += b->nneed;
        log_msg(BSD_LOG_WARN, "db.certs.bootstrap.no_ca",
                "missing=%zu reason=\"no EST CA configured (est.ca_cert); these devices cannot bootstrap\"",
                b->nneed);
        return 0;
    }
    int64_t now = (int64_t)time(NULL), ca_na = 0;
    size_t calen;
    const uint8_t *cader = est_ca_chain(dbload_ca, 0, &calen);
    est_cert_t cac;
    if (cader && est_cert_parse(&cac, cader, calen) == 0) ca_na = cac.not_after;
    boot_slot_t *sl = calloc(DB_CERTS_BOOT_BATCH, sizeof(*sl));
    if (!sl) {
        snprintf(err, errcap, "out of memory");
        return -1;
    }
    int r = 0;
    for (size_t at = 0; r == 0 && at < b->nneed; at += DB_CERTS_BOOT_BATCH) {
        size_t n = 0;
        for (size_t i = at; i < b->nneed && i < at + DB_CERTS_BOOT_BATCH; i++) {
            char why[300];
            sl[n].need = &b->need[i];
            if (boot_issue_one(x, &sl[n], now, ca_na, why, sizeof(why)) == 0)
                n++;
            else
                boot_fail(b, b->need[i].endpoint, why);
        }
        int rec = n ? boot_record(db, x, sl, n, now, ca_na) : 0;
        if (rec < 0) {
            snprintf(err, errcap, "%s: bootstrap certificates: %s", db_url(db), db_errmsg(db));
            size_t rest = b->nneed - at < DB_CERTS_BOOT_BATCH ? 0 : b->nneed - at - DB_CERTS_BOOT_BATCH;
            b->failed += n + rest; /* issued but not recorded: never written to a device */
            r = -1;
            break;
        }
        for (int i = 0; i < rec; i++) {
            if (bsd_planner_add_cert(x->planner, sl[i].need->endpoint, sl[i].need->ssid, sl[i].row.der,
                                     sl[i].row.der_len) != 0) {
                snprintf(err, errcap, "out of memory");
                r = -1;
                break;
            }
            char hex[2 * EST_SERIAL_LEN + 1];
            log_msg(BSD_LOG_DEBUG, "db.certs.bootstrap.issued", "endpoint=\"%s\" ssid=%u serial=%s",
                    sl[i].need->endpoint, sl[i].need->ssid,
                    db_hex_encode(sl[i].row.serial, EST_SERIAL_LEN, hex));
            b->issued++;
        }
    }
    free(sl);
    return r;
}

static void boot_free(boot_ctx_t *b)
{
    if (!b) return;
    db_certs_boot_free(b->have);
    for (size_t i = 0; i < b->nneed; i++)
        free(b->need[i].endpoint);
    free(b->need);
    free(b);
}

static int on_device(void *arg, const creds_device_t *in, const db_device_t *d)
{
    dev_ctx_t *x = arg;
    const char *ep = d->endpoint;
    if (x->ndenied && bsearch(&ep, x->denied, x->ndenied, sizeof(char *), cmp_str)) {
        x->skipped++; /* deny-listed: it cannot authenticate */
        return 0;
    }
    creds_device_t cur = *in;
    cur.credential_version = d->credential_version;
    const creds_device_t *c = &cur;
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
        explicit_bzero(&cur, sizeof(cur));
        snprintf(x->err, x->errcap, "out of memory");
        return -ENOMEM;
    }
    r = add_rotations(x, c, d);
    explicit_bzero(&cur, sizeof(cur));
    if (r == 0 && x->boot) r = boot_device(x, d->endpoint);
    return r;
}

/* ---- unbootstrapping: accounts written earlier and queued removals ---------- */

typedef struct unboot_ctx {
    bsd_planner_t *planner;
    size_t devices, pending;
} unboot_ctx_t;

static int on_unboot(void *arg, const db_unboot_dev_t *d)
{
    unboot_ctx_t *u = arg;
    /* A device that is not loaded (denied, or no credential) is skipped. */
    if (bsd_planner_set_unboot(u->planner, d->endpoint, d->written, d->nwritten, d->pending, d->npending) ==
        0) {
        u->devices++;
        u->pending += d->npending;
    }
    return 0;
}

static int load_unboot(db_t *db, bsd_planner_t *planner, char *err, size_t errcap)
{
    unboot_ctx_t u = {planner, 0, 0};
    char m[256];
    if (db_unboot_each(db, on_unboot, &u, m, sizeof(m)) != 0) {
        snprintf(err, errcap, "%s: unbootstrap state: %s", db_url(db), m);
        return -1;
    }
    if (u.pending)
        log_msg(BSD_LOG_INFO, "db.unboot.pending", "devices=%zu requests=%zu", u.devices, u.pending);
    return 0;
}

/* The fingerprints of revoked EST certificates, refused in handshakes. */
typedef struct revoked_acc {
    uint8_t (*fp)[32];
    size_t n, cap;
} revoked_acc_t;

static int on_revoked(void *arg, const db_cert_t *c)
{
    revoked_acc_t *a = arg;
    if (a->n == a->cap) {
        size_t ncap = a->cap ? a->cap * 2 : 64;
        uint8_t(*nfp)[32] = realloc(a->fp, ncap * 32);
        if (!nfp) return -ENOMEM;
        a->fp = nfp;
        a->cap = ncap;
    }
    memcpy(a->fp[a->n++], c->fingerprint, 32);
    return 0;
}

static int load_revoked(db_t *db, creds_t *creds, char *err, size_t errcap)
{
    revoked_acc_t a = {0};
    int r = db_certs_revoked(db, on_revoked, &a);
    if (r == 0) r = creds_set_revoked(creds, (const uint8_t(*)[32])a.fp, a.n);
    free(a.fp);
    if (r != 0) {
        snprintf(err, errcap, "%s: revoked certificates: %s", db_url(db),
                 r == -ENOMEM || r == CREDS_ERR_NOMEM ? "out of memory" : db_errmsg(db));
        return -1;
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
    db_policy_active_t *act = NULL;
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
    act = calloc(1, sizeof(*act));
    if (!act) {
        snprintf(err, errcap, "out of memory");
        goto out;
    }
    if (db_policy_active_load(db, NULL, act, err, errcap) != 0) goto out;
    /* The planner owns the parsed policies from here on, even on failure. */
    *planner = bsd_planner_from_policies(act->ps, act->versions, act->n, key);
    act->n = 0;
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
    dev_ctx_t x = {*creds, *planner, err, errcap, NULL, 0, 0, &sb, key, 0, 0, 0, NULL, 0, 0, NULL};
    if (bsd_planner_issues_certs(*planner)) {
        /* The stored certificates in one query, before the device pass
         * holds the connection. */
        int br = (x.boot = calloc(1, sizeof(*x.boot))) ? db_certs_boot_load(db, &x.boot->have) : -ENOMEM;
        if (br != 0) {
            snprintf(err, errcap, "%s: bootstrap certificates: %s", db_url(db),
                     br == -ENOMEM ? "out of memory" : db_errmsg(db));
            boot_free(x.boot);
            goto out;
        }
    }
    if (load_deny(db, &x, *creds, err, errcap) != 0) {
        free_deny(&x);
        boot_free(x.boot);
        goto out;
    }
    int r = db_devices_load(db, &sb, on_device, &x);
    if (r == 0) r = add_queued(&x);
    free_queued(&x);
    free_deny(&x);
    if (r != 0) {
        boot_free(x.boot);
        if (!err[0]) snprintf(err, errcap, "%s: devices: %s", db_url(db), db_errmsg(db));
        goto out;
    }
    if (x.boot) {
        r = boot_issue(db, &x, err, errcap);
        log_msg(r == 0 ? BSD_LOG_INFO : BSD_LOG_ERROR, "db.certs.bootstrap",
                "issued=%zu reused=%zu failed=%zu", x.boot->issued, x.boot->reused, x.boot->failed);
        boot_free(x.boot);
        if (r != 0) goto out;
    }
    if (load_revoked(db, *creds, err, errcap) != 0) goto out;
    if (load_unboot(db, *planner, err, errcap) != 0) goto out;
    if (x.skipped) log_msg(BSD_LOG_INFO, "db.devices.denied", "count=%zu", x.skipped);
    size_t noscore = creds_count_kind(*creds, CREDS_OSCORE);
    if (noscore) log_msg(BSD_LOG_INFO, "db.devices.oscore", "count=%zu", noscore);
    if (x.due || x.pending || x.conflicts)
        log_msg(BSD_LOG_INFO, "db.rotations", "due=%zu written=%zu refused=%zu", x.due, x.pending,
                x.conflicts);
    ok = 1;
out:
    if (act) db_policy_active_free(act);
    free(act);
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
