/*
 * sim_loop.h — one event loop of bsd-sim: an epoll set over the sockets of
 * at most |conc| devices in flight, started as slots free up (and at most
 * |rate| per second), coarse timer scanning, per-device reporting, and the
 * statistics of the load generator. Each thread runs one loop; loops share
 * only the read-only configuration, the DTLS context and the report sink.
 */
#ifndef BSD_TOOLS_SIM_LOOP_H
#define BSD_TOOLS_SIM_LOOP_H

#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "tools/sim/sim.h"
#include "tools/sim/sim_net.h"

#define SIM_SCAN_US    5000u /* timer scan period */
#define SIM_MAX_EVENTS 256   /* epoll events per wake-up */

/* Where device results go; shared by the loops. */
typedef struct sim_report {
    pthread_mutex_t mu; /* serialises whole lines */
    FILE *dump;         /* --dump, NULL = none */
    FILE *out;          /* per-device summary lines, NULL = quiet */
} sim_report_t;

/* What one loop measured. */
typedef struct sim_stats {
    uint64_t outcomes[SIM_OUT_COUNT]; /* devices per outcome */
    uint32_t *lat_us;                 /* first request → end, devices with an --expect outcome */
    size_t nlat;
    uint32_t *hs_us; /* start → DTLS handshake complete */
    size_t nhs;
    uint64_t t_first_us, t_last_us; /* first device started, last one ended */
} sim_stats_t;

typedef struct sim_loop {
    const sim_cfg_t *cfg;
    const sim_tls_t *tls;
    sim_report_t *rep;
    volatile sig_atomic_t *stop;   /* set by SIGINT/SIGTERM: end devices as "error" */
    unsigned first, stride, total; /* device indices first + k*stride, k < total */
    unsigned conc;                 /* devices in flight */
    double rate;                   /* starts per second, 0 = unlimited */
    uint32_t seed;
    sim_stats_t st; /* filled by sim_loop_run() */
    char err[160];  /* set when sim_loop_run() fails */
} sim_loop_t;

/* Runs the loop to completion. Returns 0, or -1 with |l->err| set when it
 * could not be set up (devices that fail individually are counted as
 * outcomes, not as a loop failure). */
int sim_loop_run(sim_loop_t *l);

/* Frees the statistics arrays. */
void sim_stats_free(sim_stats_t *st);

/* Adds |from| into |into| (arrays appended, times widened). Returns 0 or
 * -1 on allocation failure. */
int sim_stats_merge(sim_stats_t *into, const sim_stats_t *from);

/* utime + stime of process |pid| in clock ticks from /proc/PID/stat.
 * Returns 0 or -1. */
int sim_proc_cpu_ticks(pid_t pid, uint64_t *ticks);

/* Prints the load report (key=value lines) of |st| to |f|: devices ended
 * with an outcome in |expect_mask| count as completed sessions. |cpu_ticks|
 * is the server's CPU time delta, or UINT64_MAX when not measured. */
void sim_stats_print(FILE *f, sim_stats_t *st, unsigned devices, uint32_t expect_mask, uint64_t cpu_ticks);

#endif
