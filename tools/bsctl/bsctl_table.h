/*
 * bsctl_table.h — bsctl's text output of API answers: a JSON array of
 * objects as an aligned table, one object as "key: value" lines. Pure (no
 * HTTP); bsctl_api.c decides between these and --json.
 *
 * Text from the server is untrusted: control bytes (an ESC could drive the
 * terminal) are shown as '?', and a cell is cut at BSCTL_CELL_MAX bytes
 * with "...". Columns are as wide as their widest cell, counted in UTF-8
 * characters; the last column is not padded.
 */
#ifndef BSD_TOOLS_BSCTL_TABLE_H
#define BSD_TOOLS_BSCTL_TABLE_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#define BSCTL_CELL_MAX 1024 /* bytes of one cell, the cut included */

/* One column, or one line of an object. */
typedef struct bsctl_col {
    const char *key;   /* the member shown (also the default title, upper-cased) */
    const char *title; /* header; NULL: |key| upper-cased */
    /* Optional: writes the cell of |row| into |out| (|cap| bytes) instead of
     * the member's value. */
    void (*fmt)(const json_t *row, char *out, size_t cap);
} bsctl_col_t;

/*
 * bsctl_cell writes value |v| as text into |out| (|cap| >= 4 bytes): a
 * string as is, numbers in decimal, true/false as yes/no, null or NULL as
 * "-", an object as "k=v;k=v", an array as "a,b". Control bytes become '?';
 * text that does not fit ends in "...".
 */
void bsctl_cell(const json_t *v, char *out, size_t cap);

/*
 * bsctl_table_print prints |rows| (an array of objects) to |f| as a table
 * with |ncols| columns |cols|; with |cols| NULL, one column per member of
 * the first row (in order). A row that is not an object shows "-" cells.
 * An empty array prints |empty| (a line, NULL: the header alone).
 *
 * Returns 0, -EINVAL when |rows| is not an array, -ENOMEM.
 */
int bsctl_table_print(FILE *f, const json_t *rows, const bsctl_col_t *cols, size_t ncols, const char *empty);

/*
 * bsctl_object_print prints |obj| as "key:  value" lines, keys aligned:
 * the |ncols| members |cols| in order (a missing one is left out), or
 * with |cols| NULL every member in order.
 *
 * Returns 0, -EINVAL when |obj| is not an object.
 */
int bsctl_object_print(FILE *f, const json_t *obj, const bsctl_col_t *cols, size_t ncols);

#endif /* BSD_TOOLS_BSCTL_TABLE_H */
