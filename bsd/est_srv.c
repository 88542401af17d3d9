/*
 * est_srv.c — the EST-coaps server (see est_srv.h).
 *
 * Jobs travel from workers to the EST thread on a lock-free stack (a push
 * is one compare-and-swap; the thread takes the whole stack at once) and an
 * eventfd wakes the thread. A job's state moves QUEUED -> DONE (EST thread)
 * or QUEUED -> ABANDONED (the worker gave up on it: session closed, or the
 * client was told 5.03); whoever makes the second move frees it.
 */
#include "bsd/est_srv.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/sha256.h>

#include "bsd/coap/coap_block.h"
#include "bsd/coap/coap_dedup.h"
#include "bsd/db/db.h"
#include "bsd/db/db_certs.h"
#include "bsd/est/est_ca.h"
#include "bsd/est/est_csr.h"
#include "bsd/metrics.h"
#include "bsd/planner.h"
#include "bsd/server.h"
#include "bsd/server_sess.h"
#include "bsd/transport/udp.h"
#include "bsd/util/log.h"

#define EST_POLL_MS      2    /* how often a worker looks at a running job */
#define EST_ANSWER_MS    3000 /* longer than this: 5.03 + Max-Age (RFC 9148 §4.7) */
#define EST_RESP_MAX     (EST_CERT_MAX + 128)
#define EST_SUBJECT_MAX  512
#define EST_SPKI_MAX     256
#define EST_SAN_VAL_MAX  256
#define EST_REASON_MAX   160

static const struct {
    const char *path, *rt, *ct;
} est_links[] = {
    {"/.well-known/est/crts", "ace.est.crts", "\"281 287\""},
    {"/.well-known/est/sen", "ace.est.sen", "\"281 287\""},
    {"/.well-known/est/sren", "ace.est.sren", "\"281 287\""},
    {"/.well-known/est/att", "ace.est.att", "285"},
    {"/est/crts", "ace.est.crts", "\"281 287\""},
    {"/est/sen", "ace.est.sen", "\"281 287\""},
    {"/est/sren", "ace.est.sren", "\"281 287\""},
    {"/est/att", "ace.est.att", "285"},
};

size_t est_srv_links(const uint8_t *rt, size_t rtl, char *out, size_t cap)
{
    size_t len = 0;
    int prefix = rt && rtl > 0 && rt[rtl - 1] == '*';
    size_t cmp = prefix ? rtl - 1 : rtl;
    for (size_t i = 0; i < sizeof(est_links) / sizeof(est_links[0]); i++) {
        size_t l = strlen(est_links[i].rt);
        if (rt && !(prefix ? l >= cmp && memcmp(est_links[i].rt, rt, cmp) == 0
                           : l == cmp && memcmp(est_links[i].rt, rt, cmp) == 0))
            continue;
        int n = snprintf(out + len, cap - len, "%s<%s>;rt=\"%s\";ct=%s", len ? "," : "", est_links[i].path,
                         est_links[i].rt, est_links[i].ct);
        if (n < 0 || (size_t)n >= cap - len) {
            if (cap) out[0] = 0;
            return 0;
        }
        len += (size_t)n;
    }
    return len;
}

enum { JOB_QUEUED = 0, JOB_DONE = 1, JOB_ABANDONED = 2 };

typedef struct est_job {
    struct est_job *next;
    _Atomic int state;
    /* request */
    int res; /* EST_RES_SEN or EST_RES_SREN */
    char endpoint[CREDS_MAX_ENDPOINT + 1];
    int auth_kind;
    uint8_t auth_fp[32]; /* the client certificate, when X.509 */
    uint32_t validity_days;
    uint32_t per_hour;
    int renew_new_key;
    uint8_t csr_sha256[32];
    uint8_t spki_sha256[32];
    char subject_str[EST_SUBJECT_MAX];
    uint8_t subject[EST_SUBJECT_MAX];
    size_t subject_len;
    uint8_t spki[EST_SPKI_MAX];
    size_t spki_len;
    struct {
        int type;
        uint8_t val[EST_SAN_VAL_MAX];
        size_t len;
    } san[EST_CSR_MAX_SAN];
    size_t nsan;
    /* result */
    uint8_t code;     /* CoAP response code */
    uint32_t max_age; /* with 5.03 */
    char reason[EST_REASON_MAX];
    uint8_t cert[EST_CERT_MAX];
    size_t cert_len;
    char serial_hex[2 * EST_SERIAL_LEN + 1];
} est_job_t;

/* A session's EST state (allocated at its first EST request). */
typedef struct est_sess {
    coap_block1_rx_t rx;
    int rx_res;
    uint8_t body[EST_CSR_MAX];
    /* the enrollment waiting for the EST thread */
    est_job_t *job;
    uint64_t job_deadline;
    uint8_t type; /* request type: CON or NON */
    uint16_t mid;
    uint8_t token[8];
    uint8_t tkl;
    uint16_t accept;
    coap_block_t b1; /* Block1 to echo, when the request came in blocks */
    uint8_t has_b1;
    uint8_t b2[3]; /* the Block2 the request asked for (early negotiation, RFC 7959 §2.4) */
    uint8_t b2len;
    uint8_t has_b2;
    /* the last enrollment answer, for Block2 follow-ups */
    int resp_res;
    uint16_t resp_cf;
    size_t resp_len;
    uint8_t resp[EST_RESP_MAX];
} est_sess_t;

struct est_srv {
    est_ca_t *ca;
    char *db_url;
    uint32_t retry_after;
    int64_t ca_not_after;
    uint8_t *crts281; /* the chain as PKCS#7 certs-only */
    size_t crts281_len;
    uint8_t att[128];
    size_t att_len;
    est_job_t *_Atomic queue;
    int efd;
    pthread_t thread;
    int started;
    _Atomic int stop;
    db_t *db;
    int fault_after_insert;
};

/* ---- set-up ------------------------------------------------------------- */

est_srv_t *est_srv_open(const bsd_config_t *cfg, char *err, size_t errcap)
{
    if (errcap) err[0] = 0;
    if (!cfg->est.ca_cert) return NULL;
    est_srv_t *e = calloc(1, sizeof(*e));
    if (!e) {
        snprintf(err, errcap, "out of memory");
        return NULL;
    }
    e->efd = -1;
    e->retry_after = cfg->est.retry_after ? cfg->est.retry_after : 30;
    est_signer_t signer;
    char m[EST_ERR_MAX];
    if (est_signer_file(&signer, cfg->est.ca_key, m, sizeof(m)) != 0) {
        snprintf(err, errcap, "est.ca_key: %s", m);
        goto fail;
    }
    e->ca = est_ca_load(cfg->est.ca_cert, &signer, m, sizeof(m));
    if (!e->ca) {
        snprintf(err, errcap, "est.ca_cert: %s", m);
        goto fail;
    }
    const uint8_t *certs[EST_CA_CHAIN_MAX];
    size_t lens[EST_CA_CHAIN_MAX], n = 0, total = 0;
    while (n < EST_CA_CHAIN_MAX && (certs[n] = est_ca_chain(e->ca, n, &lens[n])) != NULL)
        total += lens[n++];
    est_cert_info_t info;
    if (n == 0 || est_cert_info(certs[0], lens[0], &info) != 0) {
        snprintf(err, errcap, "est.ca_cert: cannot read the CA certificate back");
        goto fail;
    }
    e->ca_not_after = info.not_after;
    e->crts281 = malloc(total + 64);
    long l = e->crts281 ? est_pkcs7_certs(certs, lens, n, e->crts281, total + 64) : -1;
    long a = est_csrattrs(e->att, sizeof(e->att));
    if (l < 0 || a < 0) {
        snprintf(err, errcap, "est: cannot encode the CA chain");
        goto fail;
    }
    e->crts281_len = (size_t)l;
    e->att_len = (size_t)a;
    e->db_url = strdup(cfg->db_url ? cfg->db_url : "");
    e->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (!e->db_url || e->efd < 0) {
        snprintf(err, errcap, "est: %s", e->db_url ? strerror(errno) : "out of memory");
        goto fail;
    }
    const char *f = getenv("BSD_FAULT");
    e->fault_after_insert = f && strcmp(f, "est_after_insert") == 0;
    return e;
fail:
    est_srv_close(e);
    return NULL;
}

const struct est_ca *est_srv_ca(const est_srv_t *e)
{
    return e ? e->ca : NULL;
}

/* ---- the EST thread ---------------------------------------------------- */

static void hex(char *out, const uint8_t *b, size_t n)
{
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hx[b[i] >> 4];
        out[2 * i + 1] = hx[b[i] & 15];
    }
    out[2 * n] = 0;
}

static void job_fail(est_job_t *j, uint8_t code, const char *reason)
{
    j->code = code;
    snprintf(j->reason, sizeof(j->reason), "%s", reason);
}

/* A certificate read from the store into the job (a retry's answer). */
static int take_cert(void *arg, const db_cert_t *c)
{
    est_job_t *j = arg;
    if (!c->der || c->der_len > sizeof(j->cert)) return -EIO;
    memcpy(j->cert, c->der, c->der_len);
    j->cert_len = c->der_len;
    hex(j->serial_hex, c->serial, c->serial_len < EST_SERIAL_LEN ? c->serial_len : EST_SERIAL_LEN);
    return 0;
}

typedef struct current {
    int found;
    char subject[EST_SUBJECT_MAX];
    uint8_t fingerprint[32];
    uint8_t spki_sha256[32];
} current_t;

static int take_current(void *arg, const db_cert_t *c)
{
    current_t *cur = arg;
    cur->found = 1;
    snprintf(cur->subject, sizeof(cur->subject), "%s", c->subject ? c->subject : "");
    memcpy(cur->fingerprint, c->fingerprint, 32);
    memcpy(cur->spki_sha256, c->spki_sha256, 32);
    return 0;
}

static int db_ready(est_srv_t *e)
{
    if (e->db) return 0;
    char m[256];
    if (db_connect(e->db_url, &e->db, m, sizeof(m)) != 0) {
        e->db = NULL;
        log_msg(BSD_LOG_WARN, "est.db.unavailable", "reason=connect");
        return -1;
    }
    return 0;
}

static void db_lost(est_srv_t *e)
{
    log_msg(BSD_LOG_WARN, "est.db.unavailable", "reason=query");
    db_close(e->db);
    e->db = NULL;
}

static void process(est_srv_t *e, est_job_t *j)
{
    int64_t now = (int64_t)time(NULL);
    if (db_ready(e) != 0) {
        job_fail(j, COAP_SERVICE_UNAVAILABLE, "the certificate store is unavailable");
        j->max_age = e->retry_after;
        return;
    }
    /* The same request again (its answer was lost, or it waited out a
     * 5.03): the same certificate. */
    int r = db_certs_find_by_csr(e->db, j->endpoint, j->csr_sha256, now, take_cert, j);
    if (r == 1) {
        j->code = COAP_CHANGED;
        log_msg(BSD_LOG_INFO, "est.enroll.repeated", "endpoint=%s serial=%s", j->endpoint, j->serial_hex);
        return;
    }
    if (r < 0) goto unavailable;
    long cnt = db_certs_count_since(e->db, j->endpoint, now - 3600);
    if (cnt < 0) goto unavailable;
    if ((uint32_t)cnt >= j->per_hour) {
        job_fail(j, COAP_SERVICE_UNAVAILABLE, "too many enrollments in the last hour");
        j->max_age = 3600 / (j->per_hour ? j->per_hour : 1);
        if (j->max_age < 60) j->max_age = 60;
        return;
    }
    if (j->res == EST_RES_SREN) {
        current_t cur = {0};
        r = db_certs_current(e->db, j->endpoint, now, take_current, &cur);
        if (r < 0) goto unavailable;
        if (!cur.found) {
            job_fail(j, COAP_FORBIDDEN, "no current certificate to renew (enroll with sen)");
            return;
        }
        if (strcmp(cur.subject, j->subject_str) != 0) {
            job_fail(j, COAP_FORBIDDEN, "the subject differs from the current certificate's");
            return;
        }
        if (!j->renew_new_key && memcmp(cur.spki_sha256, j->spki_sha256, 32) != 0) {
            job_fail(j, COAP_FORBIDDEN, "the key differs from the current certificate's");
            return;
        }
        if (j->auth_kind == CREDS_X509 && memcmp(cur.fingerprint, j->auth_fp, 32) != 0) {
            job_fail(j, COAP_FORBIDDEN, "authenticate with the current certificate to renew it");
            return;
        }
    }
    est_issue_t req;
    memset(&req, 0, sizeof(req));
    req.subject = j->subject;
    req.subject_len = j->subject_len;
    req.spki = j->spki;
    req.spki_len = j->spki_len;
    req.not_before = now - 60; /* a device clock a little behind still accepts it */
    req.not_after = now + (int64_t)j->validity_days * 86400;
    if (e->ca_not_after && req.not_after > e->ca_not_after) req.not_after = e->ca_not_after;
    for (size_t i = 0; i < j->nsan && i < EST_SAN_MAX; i++) {
        req.san[i].type = j->san[i].type;
        req.san[i].val = j->san[i].val;
        req.san[i].len = j->san[i].len;
        req.nsan++;
    }
    for (int attempt = 0; attempt < 4; attempt++) {
        char m[EST_ERR_MAX];
        if (est_serial_random(req.serial) != 0) break;
        long len = est_ca_issue(e->ca, &req, j->cert, sizeof(j->cert), m, sizeof(m));
        if (len < 0) {
            log_msg(BSD_LOG_ERROR, "est.issue.failed", "endpoint=%s", j->endpoint);
            break;
        }
        j->cert_len = (size_t)len;
        db_cert_t c;
        memset(&c, 0, sizeof(c));
        memcpy(c.serial, req.serial, EST_SERIAL_LEN);
        c.serial_len = EST_SERIAL_LEN;
        c.endpoint = j->endpoint;
        c.kind = j->res == EST_RES_SREN ? DB_CERT_KIND_REENROLL : DB_CERT_KIND_ENROLL;
        c.subject = j->subject_str;
        c.not_before = req.not_before;
        c.not_after = req.not_after;
        c.der = j->cert;
        c.der_len = j->cert_len;
        wc_Sha256Hash(j->cert, (word32)j->cert_len, c.fingerprint);
        memcpy(c.spki_sha256, j->spki_sha256, 32);
        memcpy(c.csr_sha256, j->csr_sha256, 32);
        r = db_certs_insert(e->db, &c);
        if (r == -EEXIST) continue; /* that serial is taken: draw again */
        if (r != 0) goto unavailable;
        hex(j->serial_hex, req.serial, EST_SERIAL_LEN);
        if (e->fault_after_insert) {
            log_msg(BSD_LOG_WARN, "est.fault.injected", "point=after_insert serial=%s", j->serial_hex);
            abort();
        }
        j->code = COAP_CHANGED;
        log_msg(BSD_LOG_INFO, "est.enroll.issued", "endpoint=%s op=%s serial=%s subject_len=%zu",
                j->endpoint, j->res == EST_RES_SREN ? "sren" : "sen", j->serial_hex, j->subject_len);
        return;
    }
    job_fail(j, COAP_INTERNAL_SERVER_ERROR, "the CA could not issue the certificate");
    return;
unavailable:
    db_lost(e);
    job_fail(j, COAP_SERVICE_UNAVAILABLE, "the certificate store is unavailable");
    j->max_age = e->retry_after;
}

static void *est_thread(void *arg)
{
    est_srv_t *e = arg;
    while (!atomic_load(&e->stop)) {
        struct pollfd p = {.fd = e->efd, .events = POLLIN};
        poll(&p, 1, 500);
        uint64_t v;
        if (read(e->efd, &v, sizeof(v)) < 0 && errno != EAGAIN) break;
        est_job_t *list = atomic_exchange(&e->queue, NULL);
        /* The stack is newest first: serve in arrival order. */
        est_job_t *fifo = NULL;
        while (list) {
            est_job_t *n = list->next;
            list->next = fifo;
            fifo = list;
            list = n;
        }
        while (fifo) {
            est_job_t *j = fifo;
            fifo = j->next;
            process(e, j);
            int expect = JOB_QUEUED;
            if (!atomic_compare_exchange_strong(&j->state, &expect, JOB_DONE)) free(j); /* abandoned */
        }
    }
    return NULL;
}

int est_srv_start(est_srv_t *e, char *err, size_t errcap)
{
    if (pthread_create(&e->thread, NULL, est_thread, e) != 0) {
        snprintf(err, errcap, "est: cannot start its thread");
        return -1;
    }
    pthread_setname_np(e->thread, "bsd-est");
    e->started = 1;
    return 0;
}

void est_srv_close(est_srv_t *e)
{
    if (!e) return;
    if (e->started) {
        atomic_store(&e->stop, 1);
        uint64_t one = 1;
        if (write(e->efd, &one, sizeof(one)) < 0) { /* the thread wakes within 500 ms anyway */
        }
        pthread_join(e->thread, NULL);
    }
    /* Jobs nobody took: their sessions are gone with the workers. */
    est_job_t *l = atomic_exchange(&e->queue, NULL);
    while (l) {
        est_job_t *n = l->next;
        free(l);
        l = n;
    }
    if (e->efd >= 0) close(e->efd);
    db_close(e->db);
    est_ca_free(e->ca);
    free(e->crts281);
    free(e->db_url);
    free(e);
}

/* ---- the worker side ---------------------------------------------------- */

int est_srv_resource(const coap_msg_t *m)
{
    static const struct {
        const char *path;
        int res;
    } paths[] = {
        {".well-known/est/crts", EST_RES_CRTS}, {".well-known/est/sen", EST_RES_SEN},
        {".well-known/est/sren", EST_RES_SREN}, {".well-known/est/att", EST_RES_ATT},
        {"est/crts", EST_RES_CRTS},             {"est/sen", EST_RES_SEN},
        {"est/sren", EST_RES_SREN},             {"est/att", EST_RES_ATT},
    };
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
        if (coap_uri_path_equals(m, paths[i].path)) return paths[i].res;
    return 0;
}

static const char *res_name(int res)
{
    switch (res) {
    case EST_RES_CRTS: return "crts";
    case EST_RES_SEN: return "sen";
    case EST_RES_SREN: return "sren";
    default: return "att";
    }
}

/* An answer without body, or with a diagnostic payload (RFC 7252 §5.5.2). */
static size_t answer(const coap_msg_t *m, uint8_t code, uint32_t max_age, const char *diag, uint8_t *out,
                     size_t cap)
{
    coap_builder_t b;
    coap_build_init(&b, out, cap, m->type == COAP_TYPE_CON ? COAP_TYPE_ACK : COAP_TYPE_NON, code,
                    m->type == COAP_TYPE_CON ? m->mid : server_next_mid(), m->token, m->tkl);
    if (max_age) coap_build_opt_uint(&b, COAP_OPT_MAX_AGE, max_age);
    if (diag) coap_build_payload(&b, (const uint8_t *)diag, strlen(diag));
    int n = coap_build_finish(&b);
    return n > 0 ? (size_t)n : 0;
}

static void log_refused(const worker_peer_t *peer, const char *ep, int res, uint8_t code, const char *why)
{
    char a[64], q[LOG_QUOTE_SIZE(64)];
    log_quote_str(q, sizeof(q), ep ? ep : "");
    log_msg(BSD_LOG_INFO, "est.refused", "peer=%s endpoint=%s op=%s code=%u.%02u reason=\"%s\"",
            udp_addr_str(peer->addr, a, sizeof(a)), q, res_name(res), (unsigned)(code >> 5),
            (unsigned)(code & 31), why);
    metrics_est(METRICS_EST_REFUSED);
}

static size_t refuse(const worker_peer_t *peer, const char *ep, int res, const coap_msg_t *m, uint8_t code,
                     const char *why, uint8_t *out, size_t cap)
{
    log_refused(peer, ep, res, code, why);
    return answer(m, code, 0, why, out, cap);
}

/* The Accept option: 0 when absent, else its value; -1 when malformed. */
static long accept_of(const coap_msg_t *m)
{
    const coap_option_t *o = coap_opt_get(m, COAP_OPT_ACCEPT);
    uint32_t v;
    if (!o) return 0;
    return coap_opt_uint(o, &v) == 0 ? (long)v : -1;
}

static est_sess_t *sess_est(server_sess_t *ss, const worker_peer_t *peer)
{
    if (!ss->est) {
        est_sess_t *s = calloc(1, sizeof(*s));
        if (!s) return NULL;
        size_t room = peer->max_coap > 64 ? peer->max_coap - 64 : 16;
        coap_block1_rx_init(&s->rx, s->body, sizeof(s->body), room);
        ss->est = s;
    }
    return ss->est;
}

static int san_equal(const est_csr_t *c, const policy_est_t *pe)
{
    if (c->san_overflow || c->nsan != pe->nsan) return 0;
    /* Same multiset: every wanted name is present, sizes equal, no
     * duplicates in what the policy lists (checked at parse). */
    for (size_t i = 0; i < pe->nsan; i++) {
        size_t want = strlen(pe->san[i].value);
        int found = 0;
        for (size_t k = 0; k < c->nsan && !found; k++)
            found = (int)c->san[k].type == pe->san[i].type && c->san[k].len == want &&
                    memcmp(c->san[k].val, pe->san[i].value, want) == 0;
        if (!found) return 0;
    }
    return 1;
}

static int auth_allowed(const policy_est_t *pe, int kind)
{
    switch (kind) {
    case CREDS_X509: return (pe->auth & POLICY_EST_AUTH_X509) != 0;
    case CREDS_PSK: return (pe->auth & POLICY_EST_AUTH_PSK) != 0;
    case CREDS_RPK: return (pe->auth & POLICY_EST_AUTH_RPK) != 0;
    default: return 0;
    }
}

static int curve_allowed(const policy_est_t *pe, enum est_curve c)
{
    switch (c) {
    case EST_CURVE_P256: return (pe->curves & POLICY_EST_CURVE_P256) != 0;
    case EST_CURVE_P384: return (pe->curves & POLICY_EST_CURVE_P384) != 0;
    case EST_CURVE_P521: return (pe->curves & POLICY_EST_CURVE_P521) != 0;
    default: return 0;
    }
}

/* Checks an enrollment request on the worker and queues it. Returns the
 * answer length when it is refused at once, 0 when queued. */
static size_t enroll(est_srv_t *e, server_sess_t *ss, est_sess_t *es, int res, const worker_peer_t *peer,
                     const bsd_gen_t *gen, const coap_msg_t *m, const uint8_t *body, size_t len,
                     uint16_t accept, const coap_block_t *b1, uint64_t now, uint8_t *out, size_t cap,
                     uint64_t *wake)
{
    const char *ep = peer->auth->endpoint;
    const creds_device_t *dev = creds_find_endpoint(gen->creds, ep, strlen(ep));
    if (!dev) return refuse(peer, ep, res, m, COAP_UNAUTHORIZED, "unknown device", out, cap);
    policy_est_t pe;
    char perr[256];
    int r = gen->app ? bsd_planner_est(gen->app, dev, &pe, perr, sizeof(perr)) : 0;
    if (r < 0) {
        log_msg(BSD_LOG_WARN, "est.policy.failed", "endpoint=%s", ep);
        return refuse(peer, ep, res, m, COAP_INTERNAL_SERVER_ERROR, "the device's policy cannot be applied",
                      out, cap);
    }
    if (r == 0)
        return refuse(peer, ep, res, m, COAP_FORBIDDEN, "the device's policy does not allow EST enrollment",
                      out, cap);
    if (!auth_allowed(&pe, peer->auth->kind))
        return refuse(peer, ep, res, m, COAP_UNAUTHORIZED,
                      "the device's policy does not allow enrollment with this kind of credential", out,
                      cap);
    est_csr_t c;
    char cerr[128];
    if (est_csr_parse(&c, body, len, cerr, sizeof(cerr)) != 0) {
        char why[192];
        snprintf(why, sizeof(why), "not a PKCS#10 request: %s", cerr);
        return refuse(peer, ep, res, m, COAP_BAD_REQUEST, why, out, cap);
    }
    if (c.curve == EST_CURVE_NONE || !curve_allowed(&pe, c.curve))
        return refuse(peer, ep, res, m, COAP_FORBIDDEN, "key type or curve not allowed", out, cap);
    r = est_csr_verify(&c);
    if (r == EST_CSR_ERR_UNSUPPORTED)
        return refuse(peer, ep, res, m, COAP_FORBIDDEN, "signature algorithm not allowed", out, cap);
    if (r != 0) return refuse(peer, ep, res, m, COAP_BAD_REQUEST, "the CSR signature does not verify", out, cap);
    char subj[EST_NAME_STR_MAX];
    if (est_name_str(c.subject, c.subject_len, subj, sizeof(subj)) < 0 || c.subject_len > EST_SUBJECT_MAX ||
        c.spki_len > EST_SPKI_MAX)
        return refuse(peer, ep, res, m, COAP_BAD_REQUEST, "unreadable subject", out, cap);
    if (strcmp(subj, pe.subject) != 0) {
        char why[EST_NAME_STR_MAX + 32];
        snprintf(why, sizeof(why), "the subject must be %s", pe.subject);
        return refuse(peer, ep, res, m, COAP_FORBIDDEN, why, out, cap);
    }
    if (!san_equal(&c, &pe))
        return refuse(peer, ep, res, m, COAP_FORBIDDEN, "subjectAltName differs from the device's policy", out,
                      cap);
    est_job_t *j = calloc(1, sizeof(*j));
    if (!j) return answer(m, COAP_SERVICE_UNAVAILABLE, e->retry_after, NULL, out, cap);
    j->res = res;
    snprintf(j->endpoint, sizeof(j->endpoint), "%s", ep);
    j->auth_kind = peer->auth->kind;
    memcpy(j->auth_fp, peer->auth->cert_sha256, 32);
    j->validity_days = pe.validity_days;
    j->per_hour = pe.per_hour;
    j->renew_new_key = pe.renew_new_key;
    wc_Sha256Hash(body, (word32)len, j->csr_sha256);
    est_csr_spki_sha256(&c, j->spki_sha256);
    snprintf(j->subject_str, sizeof(j->subject_str), "%s", subj);
    memcpy(j->subject, c.subject, c.subject_len);
    j->subject_len = c.subject_len;
    memcpy(j->spki, c.spki, c.spki_len);
    j->spki_len = c.spki_len;
    for (size_t i = 0; i < c.nsan && i < EST_CSR_MAX_SAN; i++) {
        if (c.san[i].len > EST_SAN_VAL_MAX) {
            free(j);
            return refuse(peer, ep, res, m, COAP_BAD_REQUEST, "subjectAltName too long", out, cap);
        }
        j->san[i].type = (int)c.san[i].type;
        memcpy(j->san[i].val, c.san[i].val, c.san[i].len);
        j->san[i].len = c.san[i].len;
        j->nsan++;
    }
    es->job = j;
    es->job_deadline = now + EST_ANSWER_MS;
    es->type = m->type;
    es->mid = m->mid;
    memcpy(es->token, m->token, m->tkl);
    es->tkl = m->tkl;
    es->accept = accept;
    es->has_b1 = b1 != NULL;
    if (b1) es->b1 = *b1;
    const coap_option_t *b2o = coap_opt_get(m, COAP_OPT_BLOCK2);
    es->has_b2 = b2o && b2o->len <= sizeof(es->b2);
    if (es->has_b2) {
        es->b2len = (uint8_t)b2o->len;
        if (b2o->len) memcpy(es->b2, b2o->val, b2o->len);
    }
    es->resp_res = res;
    es->resp_len = 0;
    est_job_t *head = atomic_load(&e->queue);
    do {
        j->next = head;
    } while (!atomic_compare_exchange_weak(&e->queue, &head, j));
    uint64_t one = 1;
    if (write(e->efd, &one, sizeof(one)) < 0) { /* counter full: the thread is awake anyway */
    }
    (void)ss;
    *wake = now + EST_POLL_MS;
    return 0;
}

size_t est_srv_request(est_srv_t *e, server_sess_t *ss, int res, const worker_peer_t *peer,
                       const bsd_gen_t *gen, const coap_msg_t *m, uint64_t now, uint8_t *out, size_t cap,
                       uint64_t *wake)
{
    *wake = 0;
    if (!peer->auth || !ss)
        return refuse(peer, NULL, res, m, COAP_UNAUTHORIZED,
                      "EST needs a DTLS session authenticated with the bootstrap server", out, cap);
    const char *ep = peer->auth->endpoint;
    long acc = accept_of(m);
    if (coap_msg_unknown_critical(m)) return answer(m, COAP_BAD_OPTION, 0, NULL, out, cap);
    coap_builder_t b;
    uint8_t code = COAP_CONTENT;
    coap_build_init(&b, out, cap, m->type == COAP_TYPE_CON ? COAP_TYPE_ACK : COAP_TYPE_NON, code,
                    m->type == COAP_TYPE_CON ? m->mid : server_next_mid(), m->token, m->tkl);
    if (res == EST_RES_CRTS || res == EST_RES_ATT) {
        if (m->code != COAP_GET) return answer(m, COAP_METHOD_NOT_ALLOWED, 0, NULL, out, cap);
        if (res == EST_RES_CRTS && acc == COAP_CF_PKIX_CERT) {
            size_t l;
            const uint8_t *ca = est_ca_chain(e->ca, 0, &l);
            server_put_body(&b, m, ca, l, COAP_CF_PKIX_CERT, peer->max_coap, &code);
        } else if (res == EST_RES_CRTS && (acc == 0 || acc == COAP_CF_PKCS7_CERTS)) {
            server_put_body(&b, m, e->crts281, e->crts281_len, COAP_CF_PKCS7_CERTS, peer->max_coap, &code);
        } else if (res == EST_RES_ATT && (acc == 0 || acc == COAP_CF_CSRATTRS)) {
            server_put_body(&b, m, e->att, e->att_len, COAP_CF_CSRATTRS, peer->max_coap, &code);
        } else {
            return refuse(peer, ep, res, m, COAP_NOT_ACCEPTABLE, "Accept must be 281 or 287 (crts), 285 (att)",
                          out, cap);
        }
        if (code != COAP_CONTENT) return answer(m, code, 0, NULL, out, cap);
        int n = coap_build_finish(&b);
        return n > 0 ? (size_t)n : 0;
    }
    /* sen, sren */
    if (m->code != COAP_POST) return answer(m, COAP_METHOD_NOT_ALLOWED, 0, NULL, out, cap);
    if (acc != 0 && acc != COAP_CF_PKCS7_CERTS && acc != COAP_CF_PKIX_CERT)
        return refuse(peer, ep, res, m, COAP_NOT_ACCEPTABLE, "Accept must be 281 or 287", out, cap);
    est_sess_t *es = sess_est(ss, peer);
    if (!es) return answer(m, COAP_SERVICE_UNAVAILABLE, e->retry_after, NULL, out, cap);
    coap_block_t b2;
    int have_b2 = coap_block_get(m, COAP_OPT_BLOCK2, &b2) == 0;
    if (have_b2 && b2.num > 0) {
        /* The rest of an answer already given (RFC 7959 §2.7). */
        if (!es->resp_len || es->resp_res != res)
            return answer(m, COAP_REQUEST_ENTITY_INCOMPLETE, 0, NULL, out, cap);
        code = COAP_CHANGED;
        coap_build_init(&b, out, cap, m->type == COAP_TYPE_CON ? COAP_TYPE_ACK : COAP_TYPE_NON, code,
                        m->type == COAP_TYPE_CON ? m->mid : server_next_mid(), m->token, m->tkl);
        server_put_body(&b, m, es->resp, es->resp_len, es->resp_cf, peer->max_coap, &code);
        if (code != COAP_CHANGED) return answer(m, code, 0, NULL, out, cap);
        int n = coap_build_finish(&b);
        return n > 0 ? (size_t)n : 0;
    }
    if (es->job) {
        /* One enrollment at a time per session (NSTART = 1). */
        return answer(m, COAP_SERVICE_UNAVAILABLE, 1, NULL, out, cap);
    }
    const coap_option_t *cfo = coap_opt_get(m, COAP_OPT_CONTENT_FORMAT);
    uint32_t cf;
    if (!cfo || coap_opt_uint(cfo, &cf) != 0 || cf != COAP_CF_PKCS10)
        return refuse(peer, ep, res, m, COAP_UNSUPPORTED_CONTENT_FORMAT, "Content-Format must be 286 (PKCS#10)",
                      out, cap);
    const uint8_t *body = m->payload;
    size_t len = m->payload_len;
    coap_block_t b1r;
    int fr = coap_block1_rx_feed(&es->rx, m, now);
    if (fr == COAP_B1_CONTINUE) {
        es->rx_res = res;
        coap_block1_rx_response(&es->rx, &b1r);
        coap_builder_t cb;
        coap_build_init(&cb, out, cap, m->type == COAP_TYPE_CON ? COAP_TYPE_ACK : COAP_TYPE_NON, COAP_CONTINUE,
                        m->type == COAP_TYPE_CON ? m->mid : server_next_mid(), m->token, m->tkl);
        coap_build_opt_uint(&cb, COAP_OPT_BLOCK1, coap_block_encode(&b1r));
        int n = coap_build_finish(&cb);
        return n > 0 ? (size_t)n : 0;
    }
    if (fr == COAP_B1_COMPLETE) {
        if (es->rx_res != res && es->rx.last.num > 0) {
            coap_block1_rx_reset(&es->rx);
            return answer(m, COAP_REQUEST_ENTITY_INCOMPLETE, 0, NULL, out, cap);
        }
        coap_block1_rx_response(&es->rx, &b1r);
        body = es->body;
        len = es->rx.len;
    } else if (fr == COAP_B1_INCOMPLETE) {
        return answer(m, COAP_REQUEST_ENTITY_INCOMPLETE, 0, NULL, out, cap);
    } else if (fr == COAP_B1_TOO_LARGE) {
        coap_builder_t cb;
        coap_build_init(&cb, out, cap, m->type == COAP_TYPE_CON ? COAP_TYPE_ACK : COAP_TYPE_NON,
                        COAP_REQUEST_ENTITY_TOO_LARGE, m->type == COAP_TYPE_CON ? m->mid : server_next_mid(),
                        m->token, m->tkl);
        coap_build_opt_uint(&cb, COAP_OPT_SIZE1, EST_CSR_MAX);
        log_refused(peer, ep, res, COAP_REQUEST_ENTITY_TOO_LARGE, "request larger than 4096 bytes");
        int n = coap_build_finish(&cb);
        return n > 0 ? (size_t)n : 0;
    } else if (fr != COAP_ERR_NOTFOUND) {
        return refuse(peer, ep, res, m, COAP_BAD_REQUEST, "bad Block1", out, cap);
    } else if (len > EST_CSR_MAX) {
        return refuse(peer, ep, res, m, COAP_REQUEST_ENTITY_TOO_LARGE, "request larger than 4096 bytes", out,
                      cap);
    }
    size_t n = enroll(e, ss, es, res, peer, gen, m, body, len, (uint16_t)acc,
                      fr == COAP_B1_COMPLETE ? &b1r : NULL, now, out, cap, wake);
    if (fr == COAP_B1_COMPLETE) coap_block1_rx_reset(&es->rx);
    return n;
}

uint64_t est_srv_poll(est_srv_t *e, server_sess_t *ss, const worker_peer_t *peer, uint64_t now)
{
    est_sess_t *es = ss ? ss->est : NULL;
    if (!e || !es || !es->job) return 0;
    est_job_t *j = es->job;
    int st = atomic_load(&j->state);
    static _Thread_local uint8_t out[WORKER_TX_BUF];
    size_t cap = peer->max_coap < sizeof(out) ? peer->max_coap : sizeof(out);
    coap_msg_t req; /* what the answer needs of the request */
    memset(&req, 0, sizeof(req));
    req.type = es->type;
    req.mid = es->mid;
    req.tkl = es->tkl;
    memcpy(req.token, es->token, es->tkl);
    req.code = COAP_POST;
    if (es->has_b2) {
        req.nopts = 1;
        req.opts[0].num = COAP_OPT_BLOCK2;
        req.opts[0].len = es->b2len;
        req.opts[0].val = es->b2len ? es->b2 : NULL;
    }
    size_t n = 0;
    if (st != JOB_DONE) {
        if (now < es->job_deadline) return now + EST_POLL_MS;
        /* Too slow: the client retries the identical request after Max-Age
         * and gets the certificate this job records (RFC 9148 §4.7). */
        int expect = JOB_QUEUED;
        if (atomic_compare_exchange_strong(&j->state, &expect, JOB_ABANDONED)) {
            es->job = NULL;
            metrics_est(METRICS_EST_UNAVAILABLE);
            log_msg(BSD_LOG_WARN, "est.enroll.delayed", "endpoint=%s max_age=%u", j->endpoint, e->retry_after);
            n = answer(&req, COAP_SERVICE_UNAVAILABLE, e->retry_after, NULL, out, cap);
            goto send;
        }
        /* It finished meanwhile: fall through. */
    }
    es->job = NULL;
    if (j->code != COAP_CHANGED) {
        if (j->code == COAP_SERVICE_UNAVAILABLE)
            metrics_est(METRICS_EST_UNAVAILABLE);
        if (j->code == COAP_SERVICE_UNAVAILABLE)
            log_msg(BSD_LOG_WARN, "est.unavailable", "endpoint=%s op=%s max_age=%u reason=\"%s\"", j->endpoint,
                    res_name(j->res), j->max_age, j->reason);
        else
            log_refused(peer, j->endpoint, j->res, j->code, j->reason);
        n = answer(&req, j->code, j->code == COAP_SERVICE_UNAVAILABLE ? j->max_age : 0, j->reason, out, cap);
    } else {
        metrics_est(METRICS_EST_ISSUED);
        if (es->accept == COAP_CF_PKIX_CERT) {
            memcpy(es->resp, j->cert, j->cert_len);
            es->resp_len = j->cert_len;
            es->resp_cf = COAP_CF_PKIX_CERT;
        } else {
            const uint8_t *c = j->cert;
            size_t cl = j->cert_len;
            long l = est_pkcs7_certs(&c, &cl, 1, es->resp, sizeof(es->resp));
            es->resp_len = l > 0 ? (size_t)l : 0;
            es->resp_cf = COAP_CF_PKCS7_CERTS;
        }
        coap_builder_t b;
        uint8_t code = COAP_CHANGED;
        coap_build_init(&b, out, cap, req.type == COAP_TYPE_CON ? COAP_TYPE_ACK : COAP_TYPE_NON, code,
                        req.type == COAP_TYPE_CON ? req.mid : server_next_mid(), req.token, req.tkl);
        server_put_body_b1(&b, &req, es->has_b1 ? &es->b1 : NULL, es->resp, es->resp_len, es->resp_cf,
                           peer->max_coap, &code);
        out[1] = code;
        int bn = coap_build_finish(&b);
        n = bn > 0 ? (size_t)bn : 0;
    }
    free(j);
send:
    if (n) {
        worker_io_send(peer->io, out, n);
        if (req.type == COAP_TYPE_CON) coap_dedup_store(&ss->dedup, req.mid, out, n, now);
    }
    return 0;
}

void est_srv_sess_close(server_sess_t *ss)
{
    est_sess_t *es = ss ? ss->est : NULL;
    if (!es) return;
    if (es->job) {
        int expect = JOB_QUEUED;
        if (!atomic_compare_exchange_strong(&es->job->state, &expect, JOB_ABANDONED))
            free(es->job); /* it was done: nobody else holds it */
    }
    free(es);
    ss->est = NULL;
}
