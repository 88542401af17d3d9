/*
 * metrics.h — the daemon's numbers for /metrics (Prometheus text format
 * 0.0.4): bootstrap sessions by outcome and their duration, which the
 * worker threads feed without locks, plus a renderer that also reads the
 * transport's per-worker counters, the record spool and the record writer.
 *
 * Writers (worker threads) touch only their own stripe of relaxed atomics,
 * so a session end costs a few uncontended atomic adds; a reader (an API
 * thread) sums the stripes. Totals are exact; a reader may see a session
 * counted in its outcome a moment before its duration (no torn values).
 *
 * Process-wide state: the stripes and the generation gauges are globals,
 * as the counters of a process are.
 */
#ifndef BSD_METRICS_H
#define BSD_METRICS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct worker;
struct spool;
struct recwriter;

/* Session outcomes counted by name; any other name counts as "other". */
#define METRICS_OUTCOMES                                                                                     \
    {                                                                                                        \
        "finished", "finished-with-errors", "finish-rejected", "timed-out", "replaced", "rejected",          \
            "unauthorized", "other"                                                                          \
    }
#define METRICS_NOUTCOMES 8

/* Upper bounds (ms) of the session-duration histogram buckets; +Inf follows. */
#define METRICS_BUCKETS_MS                                                                                   \
    {                                                                                                        \
        50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 120000                                     \
    }
#define METRICS_NBUCKETS 11

/* Stripes of counters: threads are spread over them round-robin. */
#define METRICS_STRIPES 16

/* What the renderer reads besides the session counters. Every pointer may
 * be NULL/0 (that part is left out); each object must outlive the call. */
typedef struct metrics_src {
    struct worker *const *workers; /* the transport's workers */
    int nworkers;
    struct spool *spool;  /* the record spool (database mode) */
    struct recwriter *rw; /* the record writer (database mode) */
} metrics_src_t;

/*
 * metrics_session_done counts one bootstrap session that ended with
 * |outcome| (a record's outcome name, e.g. "finished"; NULL = "other")
 * after |duration_ms|. Lock-free; for any thread.
 */
void metrics_session_done(const char *outcome, uint64_t duration_ms);

/*
 * metrics_set_generation publishes the configuration generation now in
 * force, |id| (1 for the first), and how many devices its credential store
 * holds. Called by the main thread after each switch; read by any thread.
 */
void metrics_set_generation(uint64_t id, size_t devices);

/* EST enrollments (sen, sren) by result: METRICS_EST_ISSUED (a certificate
 * sent), _REFUSED (4.xx/5.00), _UNAVAILABLE (5.03: store down, rate limit,
 * too slow). */
enum { METRICS_EST_ISSUED, METRICS_EST_REFUSED, METRICS_EST_UNAVAILABLE, METRICS_EST_N };
void metrics_est(int result);

/* Unbootstrapping (bs_session.h): server accounts removed from devices by
 * result — METRICS_UNBOOT_DONE (every planned operation succeeded),
 * _FAILED (some did not: planned again at the next bootstrap), and
 * _ACL_UNKNOWN (done without the Access Control object: LwM2M 1.0). */
enum { METRICS_UNBOOT_DONE, METRICS_UNBOOT_FAILED, METRICS_UNBOOT_ACL_UNKNOWN, METRICS_UNBOOT_N };
void metrics_unboot(int result, unsigned accounts);

/* metrics_generation returns the id last published, 0 before the first. */
uint64_t metrics_generation(void);

/*
 * metrics_write writes every daemon metric in the Prometheus text format
 * 0.0.4 (HELP and TYPE lines, then samples) to |f|.
 *
 * Returns 0, or -EIO when writing to |f| failed.
 */
int metrics_write(const metrics_src_t *src, FILE *f);

#endif /* BSD_METRICS_H */
