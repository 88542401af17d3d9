/*
 * sim_stats.c — load-generator statistics: merging the loops' results,
 * latency percentiles, and the server's CPU time from /proc/PID/stat.
 */
#include "tools/sim/sim_loop.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void sim_stats_free(sim_stats_t *st)
{
    free(st->lat_us);
    free(st->hs_us);
    st->lat_us = st->hs_us = NULL;
    st->nlat = st->nhs = 0;
}

static int append(uint32_t **dst, size_t *n, const uint32_t *src, size_t m)
{
    if (m == 0) return 0;
    uint32_t *p = realloc(*dst, (*n + m) * sizeof(*p));
    if (!p) return -1;
    memcpy(p + *n, src, m * sizeof(*p));
    *dst = p;
    *n += m;
    return 0;
}

int sim_stats_merge(sim_stats_t *into, const sim_stats_t *from)
{
    for (int i = 0; i < SIM_OUT_COUNT; i++)
        into->outcomes[i] += from->outcomes[i];
    if (from->t_first_us && (!into->t_first_us || from->t_first_us < into->t_first_us))
        into->t_first_us = from->t_first_us;
    if (from->t_last_us > into->t_last_us) into->t_last_us = from->t_last_us;
    if (append(&into->lat_us, &into->nlat, from->lat_us, from->nlat) != 0) return -1;
    return append(&into->hs_us, &into->nhs, from->hs_us, from->nhs);
}

int sim_proc_cpu_ticks(pid_t pid, uint64_t *ticks)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = 0;
    /* Field 2 (comm) may contain spaces and parentheses: start after the
     * last ')'. Then field 3 is the state; utime and stime are 14 and 15. */
    char *p = strrchr(buf, ')');
    if (!p) return -1;
    unsigned long long ut, stt;
    if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &stt) != 2) return -1;
    *ticks = ut + stt;
    return 0;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted |v| in milliseconds. */
static double pct(const uint32_t *v, size_t n, double p)
{
    if (n == 0) return 0;
    size_t rank = (size_t)(p / 100.0 * (double)n + 0.999999);
    if (rank < 1) rank = 1;
    if (rank > n) rank = n;
    return v[rank - 1] / 1000.0;
}

void sim_stats_print(FILE *f, sim_stats_t *st, unsigned devices, uint32_t expect_mask, uint64_t cpu_ticks)
{
    uint64_t ok = 0, ended = 0;
    for (int i = 1; i < SIM_OUT_COUNT; i++) {
        ended += st->outcomes[i];
        if (expect_mask & (1u << i)) ok += st->outcomes[i];
    }
    double elapsed = st->t_last_us > st->t_first_us ? (double)(st->t_last_us - st->t_first_us) / 1e6 : 0;
    if (st->nlat) qsort(st->lat_us, st->nlat, sizeof(*st->lat_us), cmp_u32); /* NULL when none */
    if (st->nhs) qsort(st->hs_us, st->nhs, sizeof(*st->hs_us), cmp_u32);
    fprintf(
        f,
        "summary devices=%u completed=%llu failed=%llu elapsed_s=%.3f sessions_per_s=%.1f ended_per_s=%.1f\n",
        devices, (unsigned long long)ok, (unsigned long long)(devices - ok), elapsed,
        elapsed > 0 ? (double)ok / elapsed : 0, elapsed > 0 ? (double)ended / elapsed : 0);
    fprintf(f, "latency_ms n=%zu p50=%.3f p95=%.3f p99=%.3f max=%.3f\n", st->nlat,
            pct(st->lat_us, st->nlat, 50), pct(st->lat_us, st->nlat, 95), pct(st->lat_us, st->nlat, 99),
            pct(st->lat_us, st->nlat, 100));
    if (st->nhs)
        fprintf(f, "handshake_ms n=%zu p50=%.3f p95=%.3f p99=%.3f max=%.3f\n", st->nhs,
                pct(st->hs_us, st->nhs, 50), pct(st->hs_us, st->nhs, 95), pct(st->hs_us, st->nhs, 99),
                pct(st->hs_us, st->nhs, 100));
    fprintf(f, "outcomes");
    for (int i = 1; i < SIM_OUT_COUNT; i++)
        if (st->outcomes[i])
            fprintf(f, " %s=%llu", sim_outcome_name((sim_outcome_t)i), (unsigned long long)st->outcomes[i]);
    fprintf(f, "\n");
    if (cpu_ticks != UINT64_MAX) {
        long hz = sysconf(_SC_CLK_TCK);
        double cpu_ms = hz > 0 ? (double)cpu_ticks * 1000.0 / (double)hz : 0;
        fprintf(f, "server_cpu cpu_ms=%.0f per_session_ms=%.3f clk_tck=%ld\n", cpu_ms,
                ok ? cpu_ms / (double)ok : 0, hz);
    }
}
