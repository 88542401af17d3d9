/*
 * dbnotify.h — the main thread's LISTEN connection on channel bsd_changes:
 * the schema's triggers notify it when a device or policy changes, and the
 * daemon then builds a new generation (as on SIGHUP), so the workers' caches
 * follow the database without ever querying it.
 *
 * The connection is made lazily and remade after a loss (every 5 s at
 * most); a (re)connection counts as a change, since notifications sent
 * while it was down are lost.
 */
#ifndef BSD_DBNOTIFY_H
#define BSD_DBNOTIFY_H

#include <stdint.h>

typedef struct dbnotify dbnotify_t;

/* Prepares a listener for |url| (copied). NULL on out-of-memory. */
dbnotify_t *dbnotify_new(const char *url);

/* The socket to poll for input, or -1 while not connected. */
int dbnotify_fd(const dbnotify_t *n);

/*
 * Reads what arrived (call when the socket is readable, and regularly: it
 * also reconnects). Returns 1 when a change was notified or the connection
 * was (re)established since the last call, else 0.
 */
int dbnotify_poll(dbnotify_t *n, uint64_t now_ms);

/* Closes the connection and frees |n|. NULL is fine. */
void dbnotify_free(dbnotify_t *n);

#endif
