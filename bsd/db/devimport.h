/*
 * devimport.h — the streaming parser for device imports (CSV per RFC 4180,
 * JSON). Pure: bytes in, checked records (db_device.h) out through a
 * callback; no I/O, no database. The formats are documented for operators in
 * docs/DEVICES.md; the store that writes records is db_devices.h.
 *
 * Streaming: the parser holds one record (at most DB_IMPORT_RECORD_MAX
 * bytes) and, for the duplicate checks within the file, a 12-byte slot per
 * unique key seen (endpoint, PSK identity, SPKI, certificate name,
 * fingerprint, OSCORE Sender ID with ID Context): a few MB for 100,000 devices. The callback gets one record
 * at a time; the record's secret bytes are wiped after it returns.
 *
 * A broken row is reported through the error callback as
 * "name:line:col: message" (line and byte column where the row, or for CSV
 * the offending field, starts) and the parse goes on with the next row. Only
 * damage that makes the rest of the file meaningless (bad header, broken
 * JSON structure, too many rows) stops it.
 *
 * Error codes are negative errno values.
 */
#ifndef BSD_DB_DEVIMPORT_H
#define BSD_DB_DEVIMPORT_H

#include "bsd/db/db_device.h"

#include <stddef.h>

#define DB_IMPORT_RECORD_MAX (16 * 1024) /* bytes of one CSV record / JSON object */
#define DB_IMPORT_ROWS_MAX   1000000     /* rows per import */

/* ---- the import parser ----------------------------------------------------- */

#define DB_IMPORT_CSV  1
#define DB_IMPORT_JSON 2 /* a JSON array of objects, or one object per line (JSON Lines) */

/*
 * Called once per good row. The record is valid only during the call.
 * Return 0 to go on, or a negative value to stop the import (it is returned
 * by db_import_feed()/db_import_finish()).
 */
typedef int (*db_import_row_fn)(void *arg, const db_device_t *d);

/*
 * Called once per refused row (and for the error that stops an import),
 * with the full message "name:line:col: message" and the row's position.
 */
typedef void (*db_import_err_fn)(void *arg, unsigned line, unsigned col, const char *msg);

typedef struct db_import db_import_t;

/*
 * db_import_new starts an import of format |format| (DB_IMPORT_CSV or
 * DB_IMPORT_JSON) named |name| in messages.
 *
 * Returns the parser, or NULL on OOM or a bad |format|.
 */
db_import_t *db_import_new(int format, const char *name, db_import_row_fn row, db_import_err_fn error,
                           void *arg);

/*
 * db_import_feed parses the next |len| bytes of the input. Rows are handed
 * out as soon as they are complete.
 *
 * Returns 0; -EINVAL when the import had to stop (reported through the
 * error callback); -E2BIG after DB_IMPORT_ROWS_MAX rows; -ENOMEM; or the
 * negative value a row callback returned. After an error, further calls
 * return the same error.
 */
int db_import_feed(db_import_t *im, const char *buf, size_t len);

/* db_import_finish ends the input (a last row without a line end counts).
 * Returns what db_import_feed() returns. */
int db_import_finish(db_import_t *im);

/* Counts so far: rows handed to the row callback, rows refused. */
size_t db_import_rows_ok(const db_import_t *im);
size_t db_import_rows_failed(const db_import_t *im);

/*
 * db_import_row_endpoint is for an error callback: the endpoint the refused
 * row names, as written, when it has the shape of one (1..255 printable
 * ASCII bytes without blanks); "" when it does not, when the row's endpoint
 * is not known (the JSON object is malformed), and for an error that stops
 * the import.
 */
const char *db_import_row_endpoint(const db_import_t *im);

/* db_import_free wipes and frees the parser. NULL is allowed. */
void db_import_free(db_import_t *im);

#endif /* BSD_DB_DEVIMPORT_H */
