/*
 * bootstrap.c — Bootstrap-Request validation and session driving (see
 * bootstrap.h). Runs on worker threads; the per-worker endpoint index lets a
 * new Bootstrap-Request replace a session of the same device on the same
 * worker.
 */
#include "bsd/bootstrap.h"
#include "bsd/oscore_srv.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/sha256.h>

#include "bsd/lwm2m/bs_session.h"
#include "bsd/metrics.h"
#include "bsd/planner.h"
#include "bsd/recwriter.h"
#include "bsd/spool.h"
#include "bsd/transport/udp.h"
#include "bsd/util/log.h"

#define EP_INDEX_SIZE    4096  /* buckets of the per-worker endpoint index */
#define EP_EPOCH_BUCKETS 65536 /* buckets of the shared bootstrap epoch table */

static _Thread_local server_sess_t *tl_ep_index[EP_INDEX_SIZE];

/*
 * Replacement across workers without locks: each Bootstrap-Request bumps an
 * atomic (endpoint hash << 32 | counter) in a shared table; a running
 * session that finds its bucket holding its own endpoint hash with another
 * counter has been replaced by a newer request (on any worker) and ends at
 * its next event (message or retransmission timer). A bucket taken over by
 * another endpoint's hash only hides a replacement, it never invents one.
 */
static _Atomic uint64_t ep_epoch[EP_EPOCH_BUCKETS];

static uint32_t ep_hash32(const char *ep)
{
    uint32_t h = 2166136261u;
    for (; *ep; ep++)
        h = (h ^ (uint8_t)*ep) * 16777619u;
    return h;
}

static uint64_t epoch_bump(const char *ep)
{
    uint32_t h = ep_hash32(ep);
    _Atomic uint64_t *b = &ep_epoch[h % EP_EPOCH_BUCKETS];
    uint64_t old = atomic_load_explicit(b, memory_order_relaxed), nw;
    do {
        uint32_t ctr = (uint32_t)(old >> 32) == h ? (uint32_t)old : 0;
        nw = (uint64_t)h << 32 | (uint32_t)(ctr + 1);
    } while (!atomic_compare_exchange_weak_explicit(b, &old, nw, memory_order_acq_rel, memory_order_relaxed));
    return nw;
}

/*
 * Bootstraps per device and window, shared by all workers without locks:
 * each bucket holds (endpoint hash << 32 | window number << 16 | count).
 * A device that bootstraps more than srv->max_per_device times in one
 * window is in a loop (a client that never keeps its configuration, or a
 * stolen credential replayed): further requests get 5.03 until the window
 * ends. Another endpoint landing in the bucket restarts the count, so a
 * collision can only let a loop through longer, never refuse a device.
 */
#define EP_RATE_BUCKETS 65536
static _Atomic uint64_t ep_rate[EP_RATE_BUCKETS];

/* Counts one Bootstrap-Request of |ep| in window |win|; returns the count so far. */
static unsigned rate_count(const char *ep, uint16_t win)
{
    uint32_t h = ep_hash32(ep);
    _Atomic uint64_t *b = &ep_rate[(h >> 7) % EP_RATE_BUCKETS];
    uint64_t old = atomic_load_explicit(b, memory_order_relaxed), nw;
    unsigned n;
    do {
        int same = (uint32_t)(old >> 32) == h && (uint16_t)(old >> 16) == win;
        n = same ? (unsigned)(uint16_t)old + 1 : 1;
        if (n > 0xffff) n = 0xffff;
        nw = (uint64_t)h << 32 | (uint64_t)win << 16 | n;
    } while (!atomic_compare_exchange_weak_explicit(b, &old, nw, memory_order_acq_rel, memory_order_relaxed));
    return n;
}

static int epoch_replaced(const server_sess_t *ss)
{
    uint32_t h = (uint32_t)(ss->epoch >> 32);
    uint64_t cur = atomic_load_explicit(&ep_epoch[h % EP_EPOCH_BUCKETS], memory_order_acquire);
    return (uint32_t)(cur >> 32) == h && cur != ss->epoch;
}

static uint32_t ep_hash(const char *ep)
{
    uint32_t h = 2166136261u;
    for (; *ep; ep++)
        h = (h ^ (uint8_t)*ep) * 16777619u;
    return h % EP_INDEX_SIZE;
}

static void ep_index_remove(server_sess_t *ss)
{
    if (!ss->endpoint[0]) return;
    server_sess_t **pp = &tl_ep_index[ep_hash(ss->endpoint)];
    while (*pp && *pp != ss)
        pp = &(*pp)->ep_next;
    if (*pp) *pp = ss->ep_next;
    ss->ep_next = NULL;
}

static server_sess_t *ep_index_find(const char *ep)
{
    for (server_sess_t *s = tl_ep_index[ep_hash(ep)]; s; s = s->ep_next)
        if (strcmp(s->endpoint, ep) == 0) return s;
    return NULL;
}

/* Wall-clock time |ago_ms| before now as RFC 3339 UTC with milliseconds. */
static void wall_time(char *out, size_t cap, uint64_t ago_ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u - ago_ms;
    time_t t = (time_t)(ms / 1000u);
    struct tm tm;
    char day[32];
    gmtime_r(&t, &tm);
    strftime(day, sizeof(day), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, cap, "%s.%03uZ", day, (unsigned)(ms % 1000u));
}

/* This worker thread's writer index in the spool (assigned on first use). */
static _Atomic unsigned spool_writers;
static _Thread_local int tl_spool_writer = -1;

/*
 * Keeps one record line (|len| bytes, ending in '\n'): appended to the
 * spool in PostgreSQL mode, else to the records file. A record that cannot
 * be kept is logged whole, so it still reaches the operator.
 */
static void emit_record(server_t *srv, const char *line, size_t len)
{
    int ok = 1;
    if (srv->spool) {
        if (tl_spool_writer < 0) tl_spool_writer = (int)atomic_fetch_add(&spool_writers, 1);
        ok = spool_append(srv->spool, (unsigned)tl_spool_writer, line, len - 1) == 0;
        if (ok) recwriter_kick(srv->rw);
    } else if (srv->records_fd >= 0) {
        ok = write(srv->records_fd, line, len) == (ssize_t)len;
    }
    if (!ok) log_msg(BSD_LOG_ERROR, "bootstrap.record.write_failed", "record=%.*s", (int)(len - 1), line);
}

static int rotation_member(const server_sess_t *ss, char *out, size_t cap);

/* OSCORE inside DTLS: the DTLS kind beneath cred=oscore, as a log field
 * (" dtls=psk") and as a record member (",\"dtls\":\"psk\""); "" without. */
static const char *dtls_field(enum creds_kind k, int json, char *out, size_t cap)
{
    if (k == CREDS_NONE) return "";
    snprintf(out, cap, json ? ",\"dtls\":\"%s\"" : " dtls=%s", creds_kind_name(k));
    return out;
}

/* The record line's fields before the engine's record: endpoint (escaped,
 * under 600 bytes), cred, dtls, peer, started, duration_ms and their names. */
#define RECORD_HEADER_ROOM 1024

static void write_record(server_t *srv, server_sess_t *ss, const worker_peer_t *peer, uint64_t now)
{
    char rec[14000], addr[64], epq[LOG_QUOTE_SIZE(64)], dk[32], ub[160];
    const char *a = peer ? udp_addr_str(peer->addr, addr, sizeof(addr)) : "-";
    log_quote(epq, sizeof(epq), (const uint8_t *)ss->endpoint, strnlen(ss->endpoint, 64));
    log_msg(BSD_LOG_INFO, "bootstrap.session",
            "endpoint=%s cred=%s%s peer=%s outcome=%s steps=%zu duration_ms=%llu%s", epq,
            creds_kind_name(ss->kind), dtls_field(ss->dtls_kind, 0, dk, sizeof(dk)), a,
            bs_outcome_name(ss->bs->outcome), ss->bs->nsteps, (unsigned long long)(now - ss->bs_started),
            bs_session_unboot_brief(ss->bs, ub, sizeof(ub)));
    metrics_session_done(bs_outcome_name(ss->bs->outcome), now - ss->bs_started);
    int ub_failed, ub_unknown;
    unsigned ub_n = bs_session_unboot_removed(ss->bs, &ub_failed, &ub_unknown);
    if (ub_n)
        metrics_unboot(ub_failed    ? METRICS_UNBOOT_FAILED
                       : ub_unknown ? METRICS_UNBOOT_ACL_UNKNOWN
                                    : METRICS_UNBOOT_DONE,
                       ub_n);
    if (srv->records_fd < 0 && !srv->spool) return;
    /* {"endpoint":…,"cred":…,"peer":…,"duration_ms":…, + the engine's record
     * + the rotation member}: one spool line. The engine's record gets what
     * the header (at most RECORD_HEADER_ROOM) and the rotation member leave,
     * and shrinks its unbootstrap member to fit rather than be lost. */
    char rot[2048];
    rotation_member(ss, rot, sizeof(rot));
    size_t rec_cap = SPOOL_LINE_MAX - RECORD_HEADER_ROOM - strlen(rot);
    if (rec_cap > sizeof(rec)) rec_cap = sizeof(rec);
    if (bs_session_record_json(ss->bs, rec, rec_cap) < 0)
        snprintf(rec, sizeof(rec), "{\"outcome\":\"%s\"}", bs_outcome_name(ss->bs->outcome));
    char line[SPOOL_LINE_MAX + 1], epj[600];
    size_t j = 0;
    for (const char *c = ss->endpoint; *c && j + 7 < sizeof(epj); c++) {
        if (*c == '"' || *c == '\\') epj[j++] = '\\';
        epj[j++] = *c;
    }
    epj[j] = 0;
    char started[48];
    wall_time(started, sizeof(started), now - ss->bs_started);
    size_t rl = strlen(rec);
    if (rot[0] && rl > 2 && rec[rl - 1] == '}') rec[rl - 1] = 0; /* the member goes before the brace */
    int m = snprintf(line, sizeof(line),
                     "{\"endpoint\":\"%s\",\"cred\":\"%s\"%s,\"peer\":\"%s\",\"started\":\"%s\",\"duration_"
                     "ms\":%llu,%s%s%s\n",
                     epj, creds_kind_name(ss->kind), dtls_field(ss->dtls_kind, 1, dk, sizeof(dk)), a, started,
                     (unsigned long long)(now - ss->bs_started), rec + 1, rot, rot[0] && rl > 2 ? "}" : "");
    if (m > 0 && (size_t)m < sizeof(line))
        emit_record(srv, line, (size_t)m);
    else
        log_msg(BSD_LOG_ERROR, "bootstrap.record.too_long", "endpoint=%s", epq);
}

static void bs_free(server_sess_t *ss)
{
    bs_session_release(ss->bs);
    free(ss->bs);
    free(ss->plan);
    free(ss->rot_json);
    ss->bs = NULL;
    ss->plan = NULL;
    ss->rot_json = NULL;
    ss->rot_state = 0;
}

/* The new bootstrap credential of |dev| that |auth| authenticated with, or NULL. */
static const creds_device_t *auth_alias(const creds_t *c, const creds_device_t *dev, const dtls_auth_t *auth)
{
    for (unsigned k = 0; auth && k < dev->naliases; k++) {
        const creds_device_t *a = creds_alias(c, dev, k);
        /* OSCORE inside DTLS: the DTLS credential is the one that rotates. */
        if (!a || a->kind != (auth->kind == CREDS_OSCORE && auth->dtls_kind ? auth->dtls_kind : auth->kind))
            continue;
        if (a->kind == CREDS_PSK && strcmp(a->psk_identity, auth->identity) == 0) return a;
        if (a->kind == CREDS_RPK) {
            uint8_t h[32];
            if (wc_Sha256Hash(a->spki, a->spki_len, h) == 0 && memcmp(h, auth->spki_sha256, 32) == 0)
                return a;
        }
    }
    return NULL;
}

/*
 * The record's "bs_rotation" member: "used" when the device authenticated
 * with its new credential, "written" when this session wrote it and the
 * key write was answered 2.04 (the record writer then stores it as the
 * device's next credential), nothing otherwise.
 */
static int rotation_member(const server_sess_t *ss, char *out, size_t cap)
{
    out[0] = 0;
    if (!ss->rot_state || !ss->rot_json) return 0;
    int written = 0;
    for (size_t i = 0; ss->rot_state == 1 && i < ss->bs->nsteps; i++) {
        const bs_step_t *st = &ss->bs->steps[i];
        written |= st->kind == BS_OP_WRITE && !st->skipped && st->path.depth == 3 && st->path.obj == 0 &&
                   st->path.res == 5 && st->code == COAP_CHANGED;
    }
    if (ss->rot_state == 1 && !written) return 0;
    int n = snprintf(out, cap, ",\"bs_rotation\":{\"state\":\"%s\",%s}",
                     ss->rot_state == 2 ? "used" : "written", ss->rot_json);
    if (n < 0 || (size_t)n >= cap) out[0] = 0;
    return 0;
}

void bootstrap_sess_close(server_t *srv, server_sess_t *ss)
{
    if (ss->bs) {
        if (!bs_session_done(ss->bs)) {
            ss->bs->outcome = BS_OUTCOME_TIMED_OUT;
            ss->bs->reason = "session closed";
        }
        write_record(srv, ss, NULL, ss->bs->started);
        bs_free(ss);
    }
    ep_index_remove(ss);
}

static size_t answer(const coap_msg_t *m, uint8_t code, uint8_t *out, size_t cap)
{
    coap_builder_t b;
    coap_build_init(&b, out, cap, m->type == COAP_TYPE_CON ? COAP_TYPE_ACK : COAP_TYPE_NON, code,
                    m->type == COAP_TYPE_CON ? m->mid : server_next_mid(), m->token, m->tkl);
    int n = coap_build_finish(&b);
    return n > 0 ? (size_t)n : 0;
}

/* 5.03 Service Unavailable with Max-Age |secs|: "try again then". */
static size_t answer_busy(const coap_msg_t *m, uint32_t secs, uint8_t *out, size_t cap)
{
    coap_builder_t b;
    coap_build_init(&b, out, cap, m->type == COAP_TYPE_CON ? COAP_TYPE_ACK : COAP_TYPE_NON,
                    COAP_SERVICE_UNAVAILABLE, m->type == COAP_TYPE_CON ? m->mid : server_next_mid(), m->token,
                    m->tkl);
    coap_build_opt_uint(&b, COAP_OPT_MAX_AGE, secs);
    int n = coap_build_finish(&b);
    return n > 0 ? (size_t)n : 0;
}

/* Writes |n| bytes of |p| as the inside of a JSON string: '"', '\\',
 * control characters and every byte >= 0x80 as \u00XX (the claimed
 * endpoint comes off the network and need not be UTF-8). Truncates to fit. */
static void json_str(char *out, size_t cap, const char *p, size_t n)
{
    size_t j = 0;
    for (size_t i = 0; i < n && j + 7 < cap; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '"' || c == '\\') {
            out[j++] = '\\';
            out[j++] = (char)c;
        } else if (c < 0x20 || c >= 0x7f) {
            j += (size_t)snprintf(out + j, cap - j, "\\u%04x", c);
        } else {
            out[j++] = (char)c;
        }
    }
    out[j] = 0;
}

/*
 * Refusal accounting, per worker thread (no shared state): at most
 * REFUSE_BURST refusals are logged and recorded at once, refilled at
 * REFUSE_RATE per second, so a flood of unauthenticated Bootstrap-Requests
 * on the plain-CoAP port cannot flood the log or the records file. The
 * first refusal left out is logged, and their count when logging resumes.
 */
#define REFUSE_RATE  100 /* per second and worker */
#define REFUSE_BURST 200

static _Thread_local uint64_t tl_refuse_at;       /* ms of the last refill */
static _Thread_local uint32_t tl_refuse_tokens;   /* refusals that may still be written */
static _Thread_local uint64_t tl_refuse_dropped;  /* refusals not written since the last report */
static _Thread_local uint64_t tl_refuse_reported; /* ms of the last count reported */
static _Thread_local uint8_t tl_refuse_init;

static int refuse_allowed(uint64_t now)
{
    if (!tl_refuse_init) {
        tl_refuse_init = 1;
        tl_refuse_tokens = REFUSE_BURST;
        tl_refuse_at = now;
        tl_refuse_reported = now;
    }
    if (now > tl_refuse_at) {
        uint64_t add = (now - tl_refuse_at) * REFUSE_RATE / 1000;
        if (add > 0) {
            tl_refuse_tokens = add >= REFUSE_BURST || tl_refuse_tokens + add >= REFUSE_BURST
                                   ? REFUSE_BURST
                                   : tl_refuse_tokens + (uint32_t)add;
            tl_refuse_at += add * 1000 / REFUSE_RATE; /* keep the fraction */
        }
    }
    if (tl_refuse_tokens == 0) {
        /* Once per episode; an episode ends with the count below. */
        if (tl_refuse_dropped++ == 0)
            log_msg(BSD_LOG_WARN, "bootstrap.request.refused.suppressing", "burst=%d rate_per_s=%d",
                    REFUSE_BURST, REFUSE_RATE);
        return 0;
    }
    tl_refuse_tokens--;
    /* The count at most once a second, so a long flood costs two lines a second. */
    if (tl_refuse_dropped && now - tl_refuse_reported >= 1000) {
        log_msg(BSD_LOG_WARN, "bootstrap.request.refused.suppressed", "count=%llu",
                (unsigned long long)tl_refuse_dropped);
        tl_refuse_dropped = 0;
        tl_refuse_reported = now;
    }
    return 1;
}

/*
 * Logs a refused Bootstrap-Request and writes its record: outcome
 * "unauthorized" when the request names no device the credential may
 * bootstrap (unknown device, ep/identity mismatch, NoSec not allowed),
 * "rejected" when the request itself is unusable (bad query or pct) or no
 * plan serves the device. |ep| is what the request claimed as its endpoint
 * (may be empty) or, for a bad query or pct, the offending text; |bound|
 * the device the credential belongs to (may be empty).
 */
static void refuse(server_t *srv, const worker_peer_t *peer, uint64_t now, const char *why, const char *ep,
                   size_t eplen, const char *bound)
{
    static const char *const unauthorized[] = {"ep_missing_rpk",       "ep_missing_nosec",
                                               "ep_identity_mismatch", "unknown_device",
                                               "nosec_not_allowed",    "nosec_source_not_allowed"};
    const char *outcome = "rejected";
    for (size_t i = 0; i < sizeof(unauthorized) / sizeof(unauthorized[0]); i++)
        if (strcmp(why, unauthorized[i]) == 0) outcome = "unauthorized";
    metrics_session_done(outcome, 0); /* counted even when the log and record are suppressed */
    if (!refuse_allowed(now)) return;
    int is_ep = strcmp(why, "bad_query") != 0 && strcmp(why, "bad_pct") != 0 &&
                strcmp(why, "unsupported_pct") != 0 && strcmp(why, "plan_compile_failed") != 0;
    char a[64], q[LOG_QUOTE_SIZE(64)], bq[LOG_QUOTE_SIZE(64)];
    udp_addr_str(peer->addr, a, sizeof(a));
    log_quote(q, sizeof(q), (const uint8_t *)ep, eplen > 64 ? 64 : eplen);
    log_quote(bq, sizeof(bq), (const uint8_t *)bound, strnlen(bound, 64));
    log_msg(BSD_LOG_INFO, "bootstrap.request.refused", "peer=%s reason=%s ep=%s bound=%s", a, why, q, bq);
    if (srv->records_fd < 0 && !srv->spool) return;
    /* The record is about the authenticated device when there is one, else
     * about the endpoint the request claimed. */
    char epj[6 * 64 + 8], reqj[6 * 64 + 8], line[1400], dk[32];
    size_t blen = strnlen(bound, CREDS_MAX_ENDPOINT);
    if (blen)
        json_str(epj, sizeof(epj), bound, blen);
    else
        json_str(epj, sizeof(epj), is_ep ? ep : "", is_ep ? (eplen > 64 ? 64 : eplen) : 0);
    json_str(reqj, sizeof(reqj), ep, eplen > 64 ? 64 : eplen);
    char started[48];
    wall_time(started, sizeof(started), 0);
    int m = snprintf(
        line, sizeof(line),
        "{\"endpoint\":\"%s\",\"cred\":\"%s\"%s,\"peer\":\"%s\",\"started\":\"%s\",\"duration_ms\":0,"
        "\"outcome\":\"%s\",\"reason\":\"%s\",\"%s\":\"%s\",\"steps\":[]}\n",
        epj, creds_kind_name(peer->auth ? peer->auth->kind : CREDS_NOSEC),
        dtls_field(peer->auth ? peer->auth->dtls_kind : CREDS_NONE, 1, dk, sizeof(dk)), a, started, outcome,
        why, is_ep ? "requested_ep" : "detail", reqj);
    if (m > 0 && (size_t)m < sizeof(line)) emit_record(srv, line, (size_t)m);
}

size_t bootstrap_request(server_t *srv, server_sess_t **ssp, const worker_peer_t *peer, const bsd_gen_t *gen,
                         const coap_msg_t *m, uint64_t now, uint8_t *out, size_t cap)
{
    const uint8_t *ep = NULL, *pct = NULL;
    size_t eplen = 0, pctlen = 0;
    /* Only ep and pct are defined for the Bootstrap-Request (§6.4.2). */
    for (const coap_option_t *o = coap_opt_get(m, COAP_OPT_URI_QUERY); o; o = coap_opt_next(m, o)) {
        const uint8_t *eq = memchr(o->val, '=', o->len);
        size_t klen = eq ? (size_t)(eq - o->val) : o->len;
        const uint8_t *v = eq ? eq + 1 : NULL;
        size_t vlen = eq ? o->len - klen - 1 : 0;
        if (klen == 2 && memcmp(o->val, "ep", 2) == 0 && !ep && v && vlen > 0 && vlen <= CREDS_MAX_ENDPOINT) {
            ep = v;
            eplen = vlen;
        } else if (klen == 3 && memcmp(o->val, "pct", 3) == 0 && !pct && v && vlen > 0 && vlen <= 5) {
            pct = v;
            pctlen = vlen;
        } else {
            refuse(srv, peer, now, "bad_query", (const char *)o->val, o->len, "");
            return answer(m, COAP_BAD_REQUEST, out, cap);
        }
    }
    if (ep && memchr(ep, 0, eplen)) {
        refuse(srv, peer, now, "bad_query", "", 0, "");
        return answer(m, COAP_BAD_REQUEST, out, cap);
    }
    const creds_device_t *dev = NULL;
    enum creds_kind kind;
    if (peer->auth) {
        kind = peer->auth->kind;
        const char *bound = peer->auth->endpoint;
        if (!ep) {
            if (kind == CREDS_RPK) {
                /* A raw key names no endpoint of its own (§5.2.6). */
                refuse(srv, peer, now, "ep_missing_rpk", "", 0, bound);
                return answer(m, COAP_BAD_REQUEST, out, cap);
            }
            ep = (const uint8_t *)bound;
            eplen = strlen(bound);
        } else if (eplen != strlen(bound) || memcmp(ep, bound, eplen) != 0) {
            refuse(srv, peer, now, "ep_identity_mismatch", (const char *)ep, eplen, bound);
            return answer(m, COAP_BAD_REQUEST, out, cap);
        }
        dev = creds_find_endpoint(gen->creds, (const char *)ep, eplen);
    } else {
        kind = CREDS_NOSEC;
        if (!ep) {
            refuse(srv, peer, now, "ep_missing_nosec", "", 0, "");
            return answer(m, COAP_BAD_REQUEST, out, cap);
        }
        dev = creds_find_endpoint(gen->creds, (const char *)ep, eplen);
        /* An unsecured request for a device with security configured, or
         * from outside its allow-list, is refused (Transport §5.3). */
        if (dev && (dev->kind != CREDS_NOSEC || !creds_prefix_match(dev, peer->addr))) {
            refuse(srv, peer, now,
                   dev->kind != CREDS_NOSEC ? "nosec_not_allowed" : "nosec_source_not_allowed",
                   (const char *)ep, eplen, "");
            return answer(m, COAP_BAD_REQUEST, out, cap);
        }
    }
    if (!dev) {
        refuse(srv, peer, now, "unknown_device", (const char *)ep, eplen, "");
        return answer(m, COAP_BAD_REQUEST, out, cap);
    }
    unsigned long pctv = 0;
    if (pct) {
        for (size_t i = 0; i < pctlen; i++) {
            if (pct[i] < '0' || pct[i] > '9') {
                refuse(srv, peer, now, "bad_pct", (const char *)pct, pctlen, dev->endpoint);
                return answer(m, COAP_BAD_REQUEST, out, cap);
            }
            pctv = pctv * 10 + (unsigned long)(pct[i] - '0');
        }
        if (pctv != COAP_CF_SENML_JSON && pctv != COAP_CF_SENML_CBOR && pctv != COAP_CF_LWM2M_TLV) {
            refuse(srv, peer, now, "unsupported_pct", (const char *)pct, pctlen, dev->endpoint);
            return answer(m, COAP_UNSUPPORTED_CONTENT_FORMAT, out, cap);
        }
    }
    /* A device in a bootstrap loop: 5.03 until its window ends. */
    if (srv->max_per_device) {
        uint64_t wms = (uint64_t)srv->device_window_s * 1000u;
        unsigned n = rate_count(dev->endpoint, (uint16_t)(now / wms));
        if (n > srv->max_per_device) {
            if (n == srv->max_per_device + 1) {
                char q[LOG_QUOTE_SIZE(64)];
                log_quote(q, sizeof(q), (const uint8_t *)dev->endpoint, strnlen(dev->endpoint, 64));
                log_msg(BSD_LOG_WARN, "bootstrap.loop", "endpoint=%s count=%u window_s=%u", q, n - 1,
                        srv->device_window_s);
            }
            refuse(srv, peer, now, "device_rate_limited", dev->endpoint, strlen(dev->endpoint),
                   dev->endpoint);
            uint64_t left = (wms - now % wms + 999) / 1000;
            return answer_busy(m, left > 0xffff ? 0xffff : (uint32_t)left, out, cap);
        }
    }
    /* Records wait in the spool while PostgreSQL is away; a full spool
     * stops new sessions (5.03 with Max-Age: the client retries) rather
     * than losing their records. */
    if (srv->spool && spool_full(srv->spool)) {
        if (refuse_allowed(now))
            log_msg(BSD_LOG_ERROR, "bootstrap.request.deferred",
                    "reason=records_spool_full pending_bytes=%llu",
                    (unsigned long long)spool_pending_bytes(srv->spool));
        return answer_busy(m, 60, out, cap);
    }
    bs_plan_t *plan = malloc(sizeof(*plan));
    bs_session_t *bs = malloc(sizeof(*bs));
    if (!plan || !bs) {
        free(plan);
        free(bs);
        return answer(m, COAP_SERVICE_UNAVAILABLE, out, cap);
    }
    /* Rotation: a device that authenticated with its new credential gets no
     * rotation writes; one due for rotation gets them (bs_plan.h). */
    const creds_device_t *used = dev->naliases ? auth_alias(gen->creds, dev, peer->auth) : NULL;
    const creds_device_t *due = !used && dev->rotate_due ? creds_alias(gen->creds, dev, dev->due) : NULL;
    char err[256];
    int pr = bsd_planner_plan(gen->app, dev, due ? POLICY_CTX_ROTATE_BS : 0, plan, err, sizeof(err));
    if (pr != 0) {
        free(plan);
        free(bs);
        if (pr == BSD_PLANNER_NONE) {
            refuse(srv, peer, now, "no_plan", dev->endpoint, strlen(dev->endpoint), dev->endpoint);
            return answer(m, COAP_BAD_REQUEST, out, cap);
        }
        refuse(srv, peer, now, "plan_compile_failed", err, strnlen(err, 200), dev->endpoint);
        return answer(m, COAP_INTERNAL_SERVER_ERROR, out, cap);
    }
    server_sess_t *ss = *ssp;
    if (!ss) {
        if (!peer->adopt) {
            free(plan);
            free(bs);
            return answer(m, COAP_SERVICE_UNAVAILABLE, out, cap);
        }
        ss = calloc(1, sizeof(*ss));
        if (!ss) {
            free(plan);
            free(bs);
            return answer(m, COAP_SERVICE_UNAVAILABLE, out, cap);
        }
        coap_dedup_init(&ss->dedup);
        *peer->adopt = ss;
        *ssp = ss;
    }
    /* A new Bootstrap-Request replaces a running session of this device:
     * on this peer, or on another peer served by this worker. */
    server_sess_t *old = ep_index_find(dev->endpoint);
    if (old && old != ss && old->bs) {
        bs_session_replace(old->bs, now);
        write_record(srv, old, NULL, now);
        bs_free(old);
    }
    if (old && old != ss) ep_index_remove(old);
    if (ss->bs) {
        bs_session_replace(ss->bs, now);
        write_record(srv, ss, peer, now);
        bs_free(ss);
    }
    ep_index_remove(ss);
    snprintf(ss->endpoint, sizeof(ss->endpoint), "%s", dev->endpoint);
    ss->kind = kind;
    ss->dtls_kind = peer->auth ? peer->auth->dtls_kind : CREDS_NONE;
    ss->ep_next = tl_ep_index[ep_hash(ss->endpoint)];
    tl_ep_index[ep_hash(ss->endpoint)] = ss;
    uint32_t seed;
    if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed)) seed = (uint32_t)now;
    if (bs_session_start(bs, plan, (uint16_t)pctv, peer->max_coap, now, seed) != 0) {
        free(plan);
        free(bs);
        return answer(m, COAP_INTERNAL_SERVER_ERROR, out, cap);
    }
    ss->bs = bs;
    ss->plan = plan;
    ss->bs_started = now;
    const creds_device_t *rot = used ? used : due;
    if (rot && rot->rot_json) {
        size_t n = strlen(rot->rot_json) + 48;
        if ((ss->rot_json = malloc(n)) != NULL) {
            snprintf(ss->rot_json, n, "\"credential_version\":%lld,%s", rot->credential_version,
                     rot->rot_json);
            ss->rot_state = used ? 2 : 1;
        }
    }
    ss->epoch = epoch_bump(ss->endpoint);
    char a[64], q[LOG_QUOTE_SIZE(64)];
    log_quote(q, sizeof(q), (const uint8_t *)ss->endpoint, strnlen(ss->endpoint, 64));
    char dk[32];
    log_msg(BSD_LOG_INFO, "bootstrap.request", "peer=%s endpoint=%s cred=%s%s pct=%lu plan=%s format=%u",
            udp_addr_str(peer->addr, a, sizeof(a)), q, creds_kind_name(kind),
            dtls_field(ss->dtls_kind, 0, dk, sizeof(dk)), pctv, plan->name, (unsigned)bs->format);
    return answer(m, COAP_CHANGED, out, cap);
}

int bootstrap_message(server_sess_t *ss, const worker_peer_t *peer, const coap_msg_t *m, uint64_t now)
{
    if (!ss || !ss->bs) return 0;
    uint8_t ack[16];
    size_t alen = 0;
    int r = bs_session_on_message(ss->bs, m, now, ack, sizeof(ack), &alen);
    if (alen) worker_io_send(peer->io, ack, alen);
    return r;
}

uint64_t bootstrap_drive(server_t *srv, server_sess_t *ss, const worker_peer_t *peer, uint64_t now)
{
    if (!ss || !ss->bs) return 0;
    if (!bs_session_done(ss->bs) && epoch_replaced(ss)) bs_session_replace(ss->bs, now);
    static _Thread_local uint8_t out[BS_MSG_MAX];
    static _Thread_local uint8_t prot[BS_MSG_MAX + 64];
    for (int i = 0; i < 4; i++) {
        int n = bs_session_poll(ss->bs, now, out, sizeof(out));
        if (n <= 0) break;
        /* Over OSCORE every request goes out protected (oscore_srv.h). */
        size_t pn = ss->osc ? oscore_srv_protect(ss, out, (size_t)n, prot, sizeof(prot)) : 0;
        if (ss->osc && pn)
            worker_io_send(peer->io, prot, pn);
        else if (!ss->osc)
            worker_io_send(peer->io, out, (size_t)n);
    }
    if (bs_session_done(ss->bs)) {
        write_record(srv, ss, peer, now);
        bs_free(ss);
        ep_index_remove(ss);
        /* A plain peer's state exists only for its bootstrap. The DTLS
         * session stays: the client may enroll (EST) or close it. */
        return peer->auth ? 0 : WORKER_CLOSE;
    }
    return bs_session_deadline(ss->bs);
}
