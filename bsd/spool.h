/*
 * spool.h — the durable, bounded spool between the workers that finish
 * bootstrap sessions and the thread that stores their records in
 * PostgreSQL.
 *
 * A Bootstrap-Request has no "try later" answer in LwM2M, so a session must
 * never wait for the database, and a record must never be lost when the
 * database is slow or down. Each worker appends its records, one JSON line
 * per write(2), to its own segment file in the spool directory — no lock is
 * shared between workers — and starts a new segment when the current one
 * exceeds the segment size. One reader (the record writer thread) reads
 * complete lines from a position, stores them, and afterwards tells the
 * spool how far it got; segments that are read to the end and no longer
 * written are deleted.
 *
 * Segment names: "w<worker, 3 digits>-<sequence, 16 hex digits>.jsonl". A
 * worker never reopens an old segment: after a restart it starts a new one,
 * so every segment older than its worker's current one is complete.
 *
 * Durability: a line is in the kernel's page cache when spool_append()
 * returns, so a crash of the daemon (kill -9 included) loses nothing; a
 * power loss can take what the kernel had not yet written back (seconds).
 *
 * When the spool holds |max_bytes| (records not yet stored), spool_full()
 * turns true and the daemon refuses new Bootstrap-Requests with 5.03 until
 * the reader catches up: sessions already running still finish and are
 * recorded (the limit is soft by at most one record per running session).
 */
#ifndef BSD_SPOOL_H
#define BSD_SPOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SPOOL_MAX_WRITERS 64
#define SPOOL_LINE_MAX    16384 /* longest record line */

#define SPOOL_ERR_IO   (-1) /* a write or read failed (errno is kept) */
#define SPOOL_ERR_FULL (-2) /* the spool holds max_bytes */
#define SPOOL_ERR_ARG  (-3) /* bad argument (writer index, line length) */

typedef struct spool spool_t;

/* Where the reader stands in one worker's segments. */
typedef struct spool_pos {
    uint64_t seq; /* segment sequence number; 0 = before the oldest segment */
    uint64_t off; /* bytes of that segment already consumed */
} spool_pos_t;

/*
 * Opens (creating it with mode 0750 when missing) the spool directory |dir|
 * for |nwriters| workers (1..SPOOL_MAX_WRITERS). Existing segments are kept
 * and counted against |max_bytes|; each writer starts a new segment on its
 * first append. |seg_bytes| is the size after which a writer starts a new
 * segment. Returns the spool or NULL with a message in |err|.
 */
spool_t *spool_open(const char *dir, unsigned nwriters, uint64_t max_bytes, uint64_t seg_bytes, char *err,
                    size_t errcap);

/* Closes the writers' segments and frees |s| (NULL is fine). Never deletes data. */
void spool_close(spool_t *s);

/*
 * Appends |len| bytes at |line| (one record; a '\n' is added) for writer
 * |w|. Only the thread of writer |w| may call this for that |w|. Returns 0,
 * SPOOL_ERR_ARG (|w| out of range, |len| 0 or > SPOOL_LINE_MAX, or a
 * newline inside), SPOOL_ERR_IO.
 * The size limit is not enforced here (see spool_full): the record of a
 * session that already ran is always kept.
 */
int spool_append(spool_t *s, unsigned w, const char *line, size_t len);

/* True when the spool holds at least max_bytes of records not yet committed. */
bool spool_full(const spool_t *s);

/* Bytes of records not yet committed (approximate while writers append). */
uint64_t spool_pending_bytes(const spool_t *s);

/* Worker IDs the reader must visit: 0 .. spool_workers() - 1 (segments left
 * by an earlier run with more workers included). */
unsigned spool_workers(const spool_t *s);

/*
 * Reader: copies up to |max_lines| complete lines of worker |w| that follow
 * |*pos| into |buf| (|cap| bytes, at least SPOOL_LINE_MAX + 1), each ending
 * in '\n', and sets |*end| to the position after the last line copied.
 * Continues into the worker's next segment when one is exhausted and no
 * longer written. Returns the number of bytes copied (0: nothing new), or
 * SPOOL_ERR_IO / SPOOL_ERR_ARG. A line longer than SPOOL_LINE_MAX (only a
 * damaged file has one) is skipped with a log line.
 */
long spool_read(spool_t *s, unsigned w, const spool_pos_t *pos, char *buf, size_t cap, unsigned max_lines,
                spool_pos_t *end);

/*
 * Reader: everything of worker |w| before |pos| is stored. Deletes the
 * worker's segments that lie completely before |pos| and are no longer
 * written, and lowers the pending count. Returns 0, SPOOL_ERR_ARG or
 * SPOOL_ERR_IO.
 */
int spool_commit(spool_t *s, unsigned w, const spool_pos_t *pos);

#endif
