/*
 * metrics.c — session counters and the Prometheus renderer (contract in
 * metrics.h). The transport keeps its own counters (worker_stats_t); this
 * file only reads them.
 */
#include "bsd/metrics.h"

#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>

#include "bsd/recwriter.h"
#include "bsd/spool.h"
#include "bsd/transport/worker.h"

/* One cache line's worth (or a few) per stripe, so stripes never share one. */
typedef struct metrics_stripe {
    _Alignas(64) _Atomic uint64_t outcome[METRICS_NOUTCOMES];
    _Atomic uint64_t bucket[METRICS_NBUCKETS + 1]; /* not cumulative; the last is +Inf */
    _Atomic uint64_t sum_ms;
} metrics_stripe_t;

static metrics_stripe_t metrics_stripes[METRICS_STRIPES];
static _Atomic unsigned metrics_next_stripe;
static _Thread_local int metrics_tl_stripe = -1;

static _Atomic uint64_t metrics_gen_id;
static _Atomic uint64_t metrics_gen_devices;

static const char *const metrics_outcome_names[METRICS_NOUTCOMES] = METRICS_OUTCOMES;
static const uint64_t metrics_bucket_ms[METRICS_NBUCKETS] = METRICS_BUCKETS_MS;

void metrics_session_done(const char *outcome, uint64_t duration_ms)
{
    if (metrics_tl_stripe < 0)
        metrics_tl_stripe =
            (int)(atomic_fetch_add_explicit(&metrics_next_stripe, 1, memory_order_relaxed) % METRICS_STRIPES);
    metrics_stripe_t *s = &metrics_stripes[metrics_tl_stripe];
    size_t o = METRICS_NOUTCOMES - 1;
    for (size_t i = 0; outcome && i < METRICS_NOUTCOMES - 1; i++)
        if (strcmp(outcome, metrics_outcome_names[i]) == 0) o = i;
    size_t b = 0;
    while (b < METRICS_NBUCKETS && duration_ms > metrics_bucket_ms[b])
        b++;
    atomic_fetch_add_explicit(&s->outcome[o], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->bucket[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->sum_ms, duration_ms, memory_order_relaxed);
}

void metrics_set_generation(uint64_t id, size_t devices)
{
    atomic_store_explicit(&metrics_gen_devices, (uint64_t)devices, memory_order_relaxed);
    atomic_store_explicit(&metrics_gen_id, id, memory_order_release);
}

uint64_t metrics_generation(void)
{
    return atomic_load_explicit(&metrics_gen_id, memory_order_acquire);
}

/* Sum over the stripes of the counter at byte offset |off| in a stripe. */
static uint64_t metrics_sum(size_t off)
{
    uint64_t t = 0;
    for (size_t i = 0; i < METRICS_STRIPES; i++)
        t += atomic_load_explicit((_Atomic uint64_t *)((char *)&metrics_stripes[i] + off),
                                  memory_order_relaxed);
    return t;
}

static atomic_ullong metrics_est_count[METRICS_EST_N];

void metrics_est(int result)
{
    if (result >= 0 && result < METRICS_EST_N)
        atomic_fetch_add_explicit(&metrics_est_count[result], 1, memory_order_relaxed);
}

static atomic_ullong metrics_unboot_count[METRICS_UNBOOT_N];

void metrics_unboot(int result, unsigned accounts)
{
    if (result >= 0 && result < METRICS_UNBOOT_N)
        atomic_fetch_add_explicit(&metrics_unboot_count[result], accounts, memory_order_relaxed);
}

/* The HELP and TYPE lines of one metric family. */
static void metrics_head(FILE *f, const char *name, const char *type, const char *help)
{
    fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Sum over all workers of the worker_stats_t counter at byte offset |off|. */
static unsigned long long metrics_wsum(const metrics_src_t *src, size_t off)
{
    unsigned long long t = 0;
    for (int w = 0; w < src->nworkers; w++)
        t += atomic_load_explicit((atomic_ulong *)((char *)worker_stats(src->workers[w]) + off),
                                  memory_order_relaxed);
    return t;
}
#define METRICS_WSUM(src, field) metrics_wsum((src), offsetof(worker_stats_t, field))

static void metrics_write_transport(const metrics_src_t *src, FILE *f)
{
    metrics_head(f, "bsd_handshakes_total", "counter", "DTLS handshakes by result.");
    fprintf(f, "bsd_handshakes_total{result=\"ok\"} %llu\n", METRICS_WSUM(src, handshakes_ok));
    fprintf(f, "bsd_handshakes_total{result=\"failed\"} %llu\n", METRICS_WSUM(src, handshakes_failed));
    metrics_head(f, "bsd_handshakes_failed_total", "counter",
                 "Failed DTLS handshakes by reason (the reason= of event=dtls.handshake.failed).");
    for (int i = 0; i < WORKER_HS_FAIL_N; i++)
        fprintf(f, "bsd_handshakes_failed_total{reason=\"%s\"} %llu\n", worker_hs_fail_name(i),
                metrics_wsum(src, offsetof(worker_stats_t, handshakes_failed_by) +
                                      (size_t)i * sizeof(atomic_ulong)));
    metrics_head(f, "bsd_hello_verify_sent_total", "counter",
                 "DTLS HelloVerifyRequests sent (stateless cookie exchanges).");
    fprintf(f, "bsd_hello_verify_sent_total %llu\n", METRICS_WSUM(src, hello_verify_sent));
    metrics_head(f, "bsd_datagrams_dropped_total", "counter",
                 "Datagrams dropped: unusable (invalid), new handshakes over the rate or session limit "
                 "(rate_limited), from deny-listed sources (denied).");
    fprintf(f, "bsd_datagrams_dropped_total{reason=\"invalid\"} %llu\n", METRICS_WSUM(src, dropped));
    fprintf(f, "bsd_datagrams_dropped_total{reason=\"rate_limited\"} %llu\n",
            METRICS_WSUM(src, rate_limited));
    fprintf(f, "bsd_datagrams_dropped_total{reason=\"denied\"} %llu\n", METRICS_WSUM(src, denied));
    metrics_head(f, "bsd_coap_messages_received_total", "counter", "CoAP messages received from peers.");
    fprintf(f, "bsd_coap_messages_received_total %llu\n", METRICS_WSUM(src, coap_in));
    metrics_head(f, "bsd_dtls_sessions_revoked_total", "counter",
                 "DTLS sessions closed because their credential was removed, changed or denied.");
    fprintf(f, "bsd_dtls_sessions_revoked_total %llu\n", METRICS_WSUM(src, revoked));
    metrics_head(f, "bsd_dtls_sessions", "gauge", "DTLS sessions held now, handshakes in progress included.");
    fprintf(f, "bsd_dtls_sessions %llu\n", METRICS_WSUM(src, sessions));
}

static void metrics_write_sessions(FILE *f)
{
    metrics_head(f, "bsd_bootstrap_sessions_total", "counter",
                 "Bootstrap sessions ended (and Bootstrap-Requests refused) by outcome.");
    for (size_t i = 0; i < METRICS_NOUTCOMES; i++)
        fprintf(f, "bsd_bootstrap_sessions_total{outcome=\"%s\"} %llu\n", metrics_outcome_names[i],
                (unsigned long long)metrics_sum(offsetof(metrics_stripe_t, outcome) + i * sizeof(uint64_t)));
    metrics_head(f, "bsd_bootstrap_session_duration_seconds", "histogram",
                 "Time from Bootstrap-Request to the session's end.");
    uint64_t cum = 0;
    for (size_t b = 0; b <= METRICS_NBUCKETS; b++) {
        cum += metrics_sum(offsetof(metrics_stripe_t, bucket) + b * sizeof(uint64_t));
        if (b < METRICS_NBUCKETS)
            fprintf(f, "bsd_bootstrap_session_duration_seconds_bucket{le=\"%g\"} %llu\n",
                    (double)metrics_bucket_ms[b] / 1000.0, (unsigned long long)cum);
        else
            fprintf(f, "bsd_bootstrap_session_duration_seconds_bucket{le=\"+Inf\"} %llu\n",
                    (unsigned long long)cum);
    }
    uint64_t sum = metrics_sum(offsetof(metrics_stripe_t, sum_ms));
    fprintf(f, "bsd_bootstrap_session_duration_seconds_sum %llu.%03u\n", (unsigned long long)(sum / 1000),
            (unsigned)(sum % 1000));
    fprintf(f, "bsd_bootstrap_session_duration_seconds_count %llu\n", (unsigned long long)cum);
    static const char *const est_names[METRICS_EST_N] = {"issued", "refused", "unavailable"};
    metrics_head(f, "bsd_est_enrollments_total", "counter",
                 "EST enrollments (sen, sren) by result: certificate issued, refused (4.xx), or told to "
                 "retry (5.03).");
    for (int i = 0; i < METRICS_EST_N; i++)
        fprintf(f, "bsd_est_enrollments_total{result=\"%s\"} %llu\n", est_names[i],
                (unsigned long long)atomic_load_explicit(&metrics_est_count[i], memory_order_relaxed));
    static const char *const ub_names[METRICS_UNBOOT_N] = {"done", "failed", "acl_unknown"};
    metrics_head(
        f, "bsd_unbootstrap_accounts_total", "counter",
        "LwM2M Server accounts removed from devices at bootstrap (docs/UNBOOTSTRAP.md): done, failed "
        "(planned again next time), acl_unknown (removed without the Access Control object).");
    for (int i = 0; i < METRICS_UNBOOT_N; i++)
        fprintf(f, "bsd_unbootstrap_accounts_total{result=\"%s\"} %llu\n", ub_names[i],
                (unsigned long long)atomic_load_explicit(&metrics_unboot_count[i], memory_order_relaxed));
}

static void metrics_write_store(const metrics_src_t *src, FILE *f)
{
    metrics_head(f, "bsd_generation", "gauge", "Configuration generation in force (1 = as started).");
    fprintf(f, "bsd_generation %llu\n",
            (unsigned long long)atomic_load_explicit(&metrics_gen_id, memory_order_relaxed));
    metrics_head(f, "bsd_devices", "gauge", "Devices in the credential cache of the generation in force.");
    fprintf(f, "bsd_devices %llu\n",
            (unsigned long long)atomic_load_explicit(&metrics_gen_devices, memory_order_relaxed));
    if (src->spool) {
        metrics_head(f, "bsd_records_spool_pending_bytes", "gauge",
                     "Session records waiting in the spool for PostgreSQL (the database write queue).");
        fprintf(f, "bsd_records_spool_pending_bytes %llu\n",
                (unsigned long long)spool_pending_bytes(src->spool));
    }
    if (src->rw) {
        recwriter_stats_t st;
        recwriter_stats(src->rw, &st);
        metrics_head(f, "bsd_records_stored_total", "counter", "Session records stored in PostgreSQL.");
        fprintf(f, "bsd_records_stored_total %llu\n", (unsigned long long)st.stored);
        metrics_head(f, "bsd_records_batches_total", "counter", "Record batches (transactions) committed.");
        fprintf(f, "bsd_records_batches_total %llu\n", (unsigned long long)st.batches);
        metrics_head(f, "bsd_records_store_failures_total", "counter",
                     "Failed record transactions or connection attempts.");
        fprintf(f, "bsd_records_store_failures_total %llu\n", (unsigned long long)st.failures);
        metrics_head(f, "bsd_records_writer_connected", "gauge",
                     "1 while the record writer holds a database connection.");
        fprintf(f, "bsd_records_writer_connected %d\n", st.connected ? 1 : 0);
    }
}

int metrics_write(const metrics_src_t *src, FILE *f)
{
    static const metrics_src_t none = {0};
    if (src == NULL) src = &none;
    metrics_write_transport(src, f);
    metrics_write_sessions(f);
    metrics_write_store(src, f);
    return ferror(f) ? -EIO : 0;
}
