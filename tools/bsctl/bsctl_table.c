/*
 * bsctl_table.c — JSON answers as text tables and "key: value" lines
 * (contract in bsctl_table.h).
 */
#include "tools/bsctl/bsctl_table.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* A bounded writer that marks a cut with "..." at a character boundary. */
typedef struct cellbuf {
    char *out;
    size_t cap; /* >= 4 */
    size_t n;
    bool cut;
} cellbuf_t;

static void cb_putc(cellbuf_t *b, char c)
{
    if (b->cut) return;
    if (b->n + 1 >= b->cap) {
        size_t n = b->cap - 4; /* room for "..." and the NUL */
        while (n > 0 && ((unsigned char)b->out[n] & 0xC0) == 0x80)
            n--;
        memcpy(b->out + n, "...", 4);
        b->n = n + 3;
        b->cut = true;
        return;
    }
    b->out[b->n++] = c;
    b->out[b->n] = 0;
}

static void cb_puts(cellbuf_t *b, const char *s, size_t len)
{
    for (size_t i = 0; i < len && !b->cut; i++) {
        unsigned char c = (unsigned char)s[i];
        cb_putc(b, c < 0x20 || c == 0x7f ? '?' : (char)c);
    }
}

static void cb_value(cellbuf_t *b, const json_t *v, int depth)
{
    char num[64];
    const char *key;
    json_t *m;
    size_t i;
    switch (v ? json_typeof(v) : JSON_NULL) {
    case JSON_STRING: cb_puts(b, json_string_value(v), json_string_length(v)); break;
    case JSON_INTEGER:
        snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        cb_puts(b, num, strlen(num));
        break;
    case JSON_REAL:
        snprintf(num, sizeof num, "%g", json_real_value(v));
        cb_puts(b, num, strlen(num));
        break;
    case JSON_TRUE: cb_puts(b, "yes", 3); break;
    case JSON_FALSE: cb_puts(b, "no", 2); break;
    case JSON_NULL: cb_puts(b, "-", 1); break;
    case JSON_OBJECT:
        if (depth > 0) { /* deeper structure: not for a cell */
            cb_puts(b, "{...}", 5);
            break;
        }
        i = 0;
        json_object_foreach((json_t *)v, key, m)
        {
            if (i++) cb_putc(b, ';');
            cb_puts(b, key, strlen(key));
            cb_putc(b, '=');
            cb_value(b, m, depth + 1);
        }
        break;
    case JSON_ARRAY:
        if (depth > 0) {
            cb_puts(b, "[...]", 5);
            break;
        }
        json_array_foreach(v, i, m)
        {
            if (i) cb_putc(b, ',');
            cb_value(b, m, depth + 1);
        }
        break;
    }
}

void bsctl_cell(const json_t *v, char *out, size_t cap)
{
    cellbuf_t b = {out, cap, 0, false};
    out[0] = 0;
    cb_value(&b, v, 0);
}

/* Characters (not bytes) of UTF-8 text |s|. */
static size_t bsctl_width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80) w++;
    return w;
}

static void bsctl_title(const bsctl_col_t *c, char *out, size_t cap)
{
    if (c->title) {
        snprintf(out, cap, "%s", c->title);
        return;
    }
    size_t i = 0;
    for (; c->key[i] && i + 1 < cap; i++)
        out[i] = (char)toupper((unsigned char)c->key[i]);
    out[i] = 0;
}

static void bsctl_pad(FILE *f, const char *s, size_t width, bool last)
{
    fputs(s, f);
    if (last) return;
    for (size_t w = bsctl_width(s); w < width + 2; w++)
        fputc(' ', f);
}

/* Columns from the members of the first object, for cols == NULL. */
static bsctl_col_t *bsctl_auto_cols(const json_t *rows, size_t *ncols)
{
    const json_t *first = json_array_get(rows, 0);
    size_t n = json_is_object(first) ? json_object_size(first) : 0;
    bsctl_col_t *cols = calloc(n ? n : 1, sizeof *cols);
    if (cols == NULL) return NULL;
    const char *key;
    json_t *m;
    size_t i = 0;
    if (n) json_object_foreach((json_t *)first, key, m) cols[i++].key = key;
    *ncols = n;
    return cols;
}

int bsctl_table_print(FILE *f, const json_t *rows, const bsctl_col_t *cols, size_t ncols, const char *empty)
{
    if (!json_is_array(rows)) return -EINVAL;
    size_t nrows = json_array_size(rows);
    if (nrows == 0 && empty != NULL) {
        fprintf(f, "%s\n", empty);
        return 0;
    }
    bsctl_col_t *own = NULL;
    if (cols == NULL && (cols = own = bsctl_auto_cols(rows, &ncols)) == NULL) return -ENOMEM;
    size_t ncells = (nrows + 1) * ncols;
    char **cell = calloc(ncells ? ncells : 1, sizeof *cell);
    size_t *width = calloc(ncols ? ncols : 1, sizeof *width);
    int r = cell && width ? 0 : -ENOMEM;
    char buf[BSCTL_CELL_MAX];
    for (size_t i = 0; r == 0 && i < ncells; i++) {
        size_t row = i / ncols, c = i % ncols;
        const json_t *o = row ? json_array_get(rows, row - 1) : NULL;
        if (row == 0)
            bsctl_title(&cols[c], buf, sizeof buf);
        else if (!json_is_object(o))
            snprintf(buf, sizeof buf, "-");
        else if (cols[c].fmt)
            cols[c].fmt(o, buf, sizeof buf);
        else
            bsctl_cell(json_object_get(o, cols[c].key), buf, sizeof buf);
        if ((cell[i] = strdup(buf)) == NULL)
            r = -ENOMEM;
        else if (bsctl_width(buf) > width[c])
            width[c] = bsctl_width(buf);
    }
    for (size_t i = 0; r == 0 && i < ncells; i++) {
        bool last = i % ncols == ncols - 1;
        bsctl_pad(f, cell[i], width[i % ncols], last);
        if (last) fputc('\n', f);
    }
    for (size_t i = 0; cell && i < ncells; i++)
        free(cell[i]);
    free(cell);
    free(width);
    free(own);
    return r;
}

int bsctl_object_print(FILE *f, const json_t *obj, const bsctl_col_t *cols, size_t ncols)
{
    if (!json_is_object(obj)) return -EINVAL;
    const char *key;
    json_t *m;
    size_t width = 0;
    if (cols == NULL) {
        json_object_foreach((json_t *)obj, key, m) if (bsctl_width(key) > width) width = bsctl_width(key);
    } else {
        for (size_t i = 0; i < ncols; i++)
            if (json_object_get(obj, cols[i].key) && bsctl_width(cols[i].key) > width)
                width = bsctl_width(cols[i].key);
    }
    char buf[BSCTL_CELL_MAX], k[BSCTL_CELL_MAX];
    size_t n = cols ? ncols : json_object_size(obj);
    void *it = json_object_iter((json_t *)obj);
    for (size_t i = 0; i < n; i++) {
        if (cols == NULL) {
            key = json_object_iter_key(it);
            m = json_object_iter_value(it);
            it = json_object_iter_next((json_t *)obj, it);
        } else if ((m = json_object_get(obj, key = cols[i].key)) == NULL) {
            continue;
        }
        if (cols && cols[i].fmt)
            cols[i].fmt(obj, buf, sizeof buf);
        else
            bsctl_cell(m, buf, sizeof buf);
        cellbuf_t kb = {k, sizeof k, 0, false};
        k[0] = 0;
        cb_puts(&kb, key, strlen(key));
        fputs(k, f);
        fputc(':', f);
        for (size_t w = bsctl_width(k); w < width; w++)
            fputc(' ', f);
        fprintf(f, " %s\n", buf);
    }
    return 0;
}
