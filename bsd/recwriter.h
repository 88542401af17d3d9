/*
 * recwriter.h — the thread that moves session records from the spool
 * (spool.h) into PostgreSQL.
 *
 * Each batch is one transaction: the records are inserted into `sessions`
 * and the worker's spool position is stored in `spool_progress` together,
 * so a crash or a lost connection at any point neither loses a record nor
 * stores one twice; the spool's files are deleted only after the commit.
 * While PostgreSQL is unreachable the thread retries with a growing pause
 * (up to 10 s) and the records wait in the spool; workers never block on it.
 */
#ifndef BSD_RECWRITER_H
#define BSD_RECWRITER_H

#include <stdint.h>

#include "bsd/spool.h"

#define RECWRITER_BATCH 500 /* records per transaction at most */

typedef struct recwriter recwriter_t;

/* Statistics for logs and (later) /metrics. */
typedef struct recwriter_stats {
    uint64_t stored;   /* records committed */
    uint64_t batches;  /* transactions committed */
    uint64_t failures; /* failed transactions or connection attempts */
    int connected;     /* 1 while a connection is open */
} recwriter_stats_t;

/*
 * Starts the writer thread for spool |s| and the database at |url|. The
 * thread connects on its own (the daemon starts even when PostgreSQL is
 * down). Returns the writer, or NULL with a message in |err|.
 */
recwriter_t *recwriter_start(spool_t *s, const char *url, char *err, size_t errcap);

/* Asks the thread to store what is pending soon (after a session ended). Async-signal-unsafe, thread-safe. */
void recwriter_kick(recwriter_t *r);

/*
 * Stops the thread after one last attempt to store what is pending (at
 * most |drain_ms| ms), and frees |r|. What is not stored stays in the
 * spool for the next start. NULL is fine.
 */
void recwriter_stop(recwriter_t *r, unsigned drain_ms);

/* A consistent copy of the counters. */
void recwriter_stats(recwriter_t *r, recwriter_stats_t *out);

#endif
