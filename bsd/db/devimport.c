/*
 * devimport.c — streaming CSV (RFC 4180) and JSON device import parser
 * (contract in devimport.h, formats in docs/DEVICES.md). Field rules are
 * db_device.c's; this file only splits input into records, keeps positions
 * and checks uniqueness within the file.
 *
 * CSV is parsed byte by byte with a small state machine, so a record may
 * arrive split over any number of db_import_feed() calls. JSON values are
 * delimited by a scanner that tracks strings and nesting depth; each
 * complete object (bounded by DB_IMPORT_RECORD_MAX) is then decoded by
 * jansson. Neither keeps more than one record.
 *
 * Uniqueness within the file uses 64-bit truncated SHA-256 digests of the
 * keys (12 bytes per slot with the line number) instead of the keys
 * themselves: memory stays a few MB for 100,000 rows. A false "duplicate"
 * needs a 64-bit collision among the file's own keys (about 2^-29 for a
 * million keys); the database's unique indexes are the final word anyway.
 */
#include "bsd/db/devimport.h"

#include "bsd/db/db_device_json.h"

#include <wolfssl/options.h>

#include <wolfssl/wolfcrypt/hash.h>
#include <wolfssl/wolfcrypt/sha256.h>

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DI_FIELDS_MAX 64 /* CSV fields kept per record (more are counted, not kept) */

enum di_csv_state { CSV_FIELD_START, CSV_BARE, CSV_QUOTED, CSV_QUOTE_SEEN, CSV_SKIP };
enum di_json_state { JS_TOP, JS_ARRAY, JS_ARRAY_NEXT, JS_LINES, JS_DONE, JS_OBJECT };

/* Kinds of unique key (a tag byte in the digest input). */
enum {
    DK_ENDPOINT = 'E',
    DK_IDENTITY = 'I',
    DK_SPKI = 'S',
    DK_NAME = 'N',
    DK_FINGERPRINT = 'F',
    DK_OSCORE = 'O'
};

/* One CSV field of the current record. */
struct di_field {
    size_t off, len;    /* bytes in rec */
    unsigned line, col; /* where the field starts */
};

struct db_import {
    int format;                              /* DB_IMPORT_CSV / _JSON */
    char name[256];                          /* file name for messages */
    db_import_row_fn row_fn;                 /* good rows */
    db_import_err_fn err_fn;                 /* refused rows, fatal errors */
    void *arg;                               /* for the callbacks */
    int status;                              /* sticky error, 0 = fine */
    size_t rows_ok, rows_bad;                /* counts */
    unsigned line, col;                      /* position of the next input byte */
    unsigned bom;                            /* bytes of a UTF-8 BOM matched at the start; 4 = done */
    uint64_t *hash;                          /* uniqueness set: digests (0 = empty) */
    uint32_t *hline;                         /* line of each digest */
    size_t cap, used;                        /* slots, occupied slots */
    db_device_t dev;                         /* record being checked (holds a key) */
    char *rec;                               /* record bytes (CSV fields / JSON object) */
    size_t reclen;                           /* bytes in rec */
    unsigned rec_line, rec_col;              /* where the record starts */
    char row_ep[DB_DEVICE_ENDPOINT_MAX + 1]; /* endpoint the current row names ("" if none usable) */
    /* CSV */
    enum di_csv_state cs;               /* state */
    bool skip_inq;                      /* CSV_SKIP: inside quotes */
    bool rec_any;                       /* the record has at least one byte */
    struct di_field fld[DI_FIELDS_MAX]; /* fields of the record */
    size_t nfields;                     /* fields seen (may exceed DI_FIELDS_MAX) */
    int colmap[DB_F_COUNT];             /* column i holds field colmap[i] */
    size_t ncols;                       /* columns in the header; 0 = header not read */
    /* JSON */
    enum di_json_state js;       /* scanner state */
    enum di_json_state js_after; /* state after the current object */
    unsigned depth;              /* nesting inside the object */
    bool in_str, esc;            /* inside a string, after a backslash */
    bool obj_skip;               /* object too large: scanned, not kept */
};

/* ---- messages --------------------------------------------------------------- */

static void di_report(db_import_t *im, unsigned line, unsigned col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void di_report(db_import_t *im, unsigned line, unsigned col, const char *fmt, ...)
{
    char m[DB_DEVICE_MSG_MAX], full[DB_DEVICE_MSG_MAX + 300];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    snprintf(full, sizeof full, "%s:%u:%u: %s", im->name, line, col, m);
    if (im->err_fn != NULL) im->err_fn(im->arg, line, col, full);
}

static void di_row_error(db_import_t *im, unsigned line, unsigned col, const char *msg)
{
    im->rows_bad++;
    di_report(im, line, col, "%s", msg);
}

static int di_fatal(db_import_t *im, unsigned line, unsigned col, const char *msg)
{
    di_report(im, line, col, "%s", msg);
    im->status = -EINVAL;
    return -EINVAL;
}

/* ---- uniqueness within the file ---------------------------------------------- */

static uint64_t di_digest(int tag, const void *p, size_t n)
{
    uint8_t buf[1 + DB_DEVICE_SPKI_MAX + 1], out[WC_SHA256_DIGEST_SIZE];
    buf[0] = (uint8_t)tag;
    memcpy(buf + 1, p, n);
    uint64_t h = 0;
    if (wc_Sha256Hash(buf, (word32)(n + 1), out) == 0) memcpy(&h, out, sizeof h);
    return h ? h : 1;
}

static size_t di_slot(const db_import_t *im, uint64_t h)
{
    size_t i = (size_t)h & (im->cap - 1);
    while (im->hash[i] != 0 && im->hash[i] != h)
        i = (i + 1) & (im->cap - 1);
    return i;
}

static int di_grow(db_import_t *im)
{
    size_t ncap = im->cap ? im->cap * 2 : 4096;
    uint64_t *nh = calloc(ncap, sizeof *nh);
    uint32_t *nl = calloc(ncap, sizeof *nl);
    if (nh == NULL || nl == NULL) {
        free(nh);
        free(nl);
        return -ENOMEM;
    }
    db_import_t old = {.hash = im->hash, .hline = im->hline, .cap = im->cap};
    im->hash = nh;
    im->hline = nl;
    im->cap = ncap;
    for (size_t i = 0; i < old.cap; i++) {
        if (old.hash[i] == 0) continue;
        size_t s = di_slot(im, old.hash[i]);
        im->hash[s] = old.hash[i];
        im->hline[s] = old.hline[i];
    }
    free(old.hash);
    free(old.hline);
    return 0;
}

/* The unique keys of |d|: digests, and the field each belongs to. */
#define DI_KEYS_MAX 4 /* endpoint, x509 name, fingerprint, OSCORE (Sender ID, ID Context) */
static size_t di_keys(const db_device_t *d, uint64_t h[DI_KEYS_MAX], int field[DI_KEYS_MAX],
                      const char *what[DI_KEYS_MAX])
{
    size_t n = 0;
    h[n] = di_digest(DK_ENDPOINT, d->endpoint, strlen(d->endpoint));
    field[n] = DB_F_ENDPOINT;
    what[n++] = "endpoint";
    switch (d->kind) {
    case DEVFILE_PSK:
        h[n] = di_digest(DK_IDENTITY, d->psk_identity, strlen(d->psk_identity));
        field[n] = (d->given & (1u << DB_F_PSK_IDENTITY)) ? DB_F_PSK_IDENTITY : DB_F_ENDPOINT;
        what[n++] = "psk_identity";
        break;
    case DEVFILE_RPK:
        h[n] = di_digest(DK_SPKI, d->spki, d->spki_len);
        field[n] = DB_F_SPKI;
        what[n++] = "spki";
        break;
    case DEVFILE_X509:
        h[n] = di_digest(DK_NAME + d->x509_name_type, d->x509_name, strlen(d->x509_name));
        field[n] = (d->given & (1u << DB_F_X509_NAME)) ? DB_F_X509_NAME : DB_F_ENDPOINT;
        what[n++] = "x509_name";
        if (d->has_fingerprint) {
            h[n] = di_digest(DK_FINGERPRINT, d->fingerprint, sizeof d->fingerprint);
            field[n] = DB_F_FINGERPRINT;
            what[n++] = "fingerprint";
        }
        break;
    default: break;
    }
    if (db_device_has_oscore(d)) { /* oscore, or OSCORE inside DTLS: one key space */
        /* The server finds an OSCORE device by the kid and kid context of
         * its requests: (Sender ID, ID Context), each length-prefixed. */
        uint8_t k[2 + DB_DEVICE_OSCORE_ID_MAX + DB_DEVICE_OSCORE_IDCTX_MAX];
        size_t kl = 0;
        k[kl++] = (uint8_t)d->oscore_sender_id_len;
        memcpy(k + kl, d->oscore_sender_id, d->oscore_sender_id_len);
        kl += d->oscore_sender_id_len;
        k[kl++] = (uint8_t)d->oscore_id_context_len;
        memcpy(k + kl, d->oscore_id_context, d->oscore_id_context_len);
        kl += d->oscore_id_context_len;
        h[n] = di_digest(DK_OSCORE, k, kl);
        field[n] = DB_F_OSCORE_SENDER_ID;
        what[n++] = d->oscore_id_context_len ? "oscore_sender_id and oscore_id_context" : "oscore_sender_id";
    }
    return n;
}

/* Checks and records |d|'s keys. Returns 0, 1 (duplicate reported) or -ENOMEM. */
static int di_unique(db_import_t *im, const db_device_t *d, const unsigned fline[DB_F_COUNT],
                     const unsigned fcol[DB_F_COUNT])
{
    uint64_t h[DI_KEYS_MAX];
    int field[DI_KEYS_MAX];
    const char *what[DI_KEYS_MAX];
    size_t n = di_keys(d, h, field, what);
    if ((im->used + n) * 2 > im->cap && di_grow(im) < 0) return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        size_t s = di_slot(im, h[i]);
        if (im->hash[s] != 0) {
            char m[128];
            snprintf(m, sizeof m, "duplicate %s (also on line %u)", what[i], (unsigned)im->hline[s]);
            di_row_error(im, fline[field[i]], fcol[field[i]], m);
            return 1;
        }
    }
    for (size_t i = 0; i < n; i++) {
        size_t s = di_slot(im, h[i]);
        im->hash[s] = h[i];
        im->hline[s] = d->line;
        im->used++;
    }
    return 0;
}

/* Hands a complete, checked record to the caller. */
static int di_emit(db_import_t *im, const unsigned fline[DB_F_COUNT], const unsigned fcol[DB_F_COUNT])
{
    char msg[DB_DEVICE_MSG_MAX];
    if (db_device_finish(&im->dev, msg, sizeof msg) < 0) {
        di_row_error(im, im->rec_line, im->rec_col, msg);
        return 0;
    }
    int r = di_unique(im, &im->dev, fline, fcol);
    if (r != 0) return r < 0 ? r : 0;
    im->rows_ok++;
    r = im->row_fn != NULL ? im->row_fn(im->arg, &im->dev) : 0;
    return r;
}

/* Remembers the endpoint a row names, for db_import_row_endpoint(): kept
 * only when it has the shape of an endpoint (it is not checked further). */
static void di_row_endpoint(db_import_t *im, const char *s, size_t len)
{
    im->row_ep[0] = 0;
    if (len == 0 || len > DB_DEVICE_ENDPOINT_MAX) return;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f) return;
    memcpy(im->row_ep, s, len);
    im->row_ep[len] = 0;
}

static int di_new_row(db_import_t *im)
{
    if (im->rows_ok + im->rows_bad >= DB_IMPORT_ROWS_MAX) {
        char m[96];
        snprintf(m, sizeof m, "too many rows (max %d per import)", DB_IMPORT_ROWS_MAX);
        di_fatal(im, im->rec_line, im->rec_col, m);
        im->status = -E2BIG;
        return -E2BIG;
    }
    db_device_clear(&im->dev);
    im->row_ep[0] = 0;
    im->dev.line = im->rec_line;
    im->dev.col = im->rec_col;
    return 0;
}

/* ---- CSV ---------------------------------------------------------------------- */

static int csv_header(db_import_t *im)
{
    char m[DB_DEVICE_MSG_MAX];
    if (im->nfields > DB_F_COUNT)
        return di_fatal(im, im->rec_line, im->rec_col, "header has more columns than there are fields");
    unsigned seen = 0;
    for (size_t i = 0; i < im->nfields; i++) {
        const struct di_field *f = &im->fld[i];
        int found = -1;
        for (int k = 0; k < DB_F_COUNT; k++)
            if (strlen(db_field_name(k)) == f->len && memcmp(db_field_name(k), im->rec + f->off, f->len) == 0)
                found = k;
        if (found < 0) {
            bool show = f->len <= 32;
            for (size_t k = 0; show && k < f->len; k++)
                show = im->rec[f->off + k] > 0x20 && im->rec[f->off + k] < 0x7f;
            snprintf(m, sizeof m,
                     "unknown column '%.*s' (columns: endpoint, kind, psk_identity, psk_key, spki, "
                     "x509_name_type, x509_name, fingerprint, nosec_allow, oscore_sender_id, "
                     "oscore_recipient_id, oscore_secret, oscore_salt, oscore_id_context, labels, serial)",
                     show ? (int)f->len : 0, im->rec + f->off);
            return di_fatal(im, f->line, f->col, m);
        }
        if (seen & (1u << found)) {
            snprintf(m, sizeof m, "duplicate column '%s'", db_field_name(found));
            return di_fatal(im, f->line, f->col, m);
        }
        seen |= 1u << found;
        im->colmap[i] = found;
    }
    for (int k = DB_F_ENDPOINT; k <= DB_F_KIND; k++)
        if (!(seen & (1u << k))) {
            snprintf(m, sizeof m, "header lacks the '%s' column", db_field_name(k));
            return di_fatal(im, im->rec_line, im->rec_col, m);
        }
    im->ncols = im->nfields;
    return 0;
}

static int csv_row(db_import_t *im)
{
    int r = di_new_row(im);
    if (r < 0) return r;
    for (size_t i = 0; i < im->ncols && i < im->nfields && i < DI_FIELDS_MAX; i++)
        if (im->colmap[i] == DB_F_ENDPOINT) di_row_endpoint(im, im->rec + im->fld[i].off, im->fld[i].len);
    if (im->nfields != im->ncols) {
        char m[96];
        snprintf(m, sizeof m, "expected %zu fields, got %zu", im->ncols, im->nfields);
        di_row_error(im, im->rec_line, im->rec_col, m);
        return 0;
    }
    unsigned fline[DB_F_COUNT], fcol[DB_F_COUNT];
    for (int k = 0; k < DB_F_COUNT; k++) {
        fline[k] = im->rec_line;
        fcol[k] = im->rec_col;
    }
    size_t order[DB_F_COUNT], n = 0;
    for (size_t i = 0; i < im->ncols; i++) { /* kind first: the other fields depend on it */
        fline[im->colmap[i]] = im->fld[i].line;
        fcol[im->colmap[i]] = im->fld[i].col;
        if (im->colmap[i] == DB_F_KIND) order[n++] = i;
    }
    for (size_t i = 0; i < im->ncols; i++)
        if (im->colmap[i] != DB_F_KIND) order[n++] = i;
    char msg[DB_DEVICE_MSG_MAX];
    for (size_t j = 0; j < n; j++) {
        const struct di_field *f = &im->fld[order[j]];
        if (db_device_set_field(&im->dev, im->colmap[order[j]], im->rec + f->off, f->len, msg, sizeof msg) <
            0) {
            di_row_error(im, f->line, f->col, msg);
            return 0;
        }
    }
    return di_emit(im, fline, fcol);
}

static int csv_end_record(db_import_t *im)
{
    int r = 0;
    bool blank = im->nfields == 1 && im->fld[0].len == 0 && !im->rec_any;
    if (!blank) r = im->ncols == 0 ? csv_header(im) : csv_row(im);
    db_device_clear(&im->dev);
    im->row_ep[0] = 0;
    explicit_bzero(im->rec, im->reclen);
    im->reclen = 0;
    im->nfields = 0;
    im->rec_any = false;
    im->cs = CSV_FIELD_START;
    return r;
}

static void csv_end_field(db_import_t *im)
{
    if (im->nfields < DI_FIELDS_MAX) im->fld[im->nfields].len = im->reclen - im->fld[im->nfields].off;
    im->nfields++;
}

/* A record-level syntax error: report it, then skip to the end of the record. */
static void csv_bad_record(db_import_t *im, unsigned line, unsigned col, const char *msg, bool inq)
{
    if (im->ncols == 0) {
        di_fatal(im, line, col, msg);
        return;
    }
    if (im->rows_ok + im->rows_bad >= DB_IMPORT_ROWS_MAX) {
        di_new_row(im);
        return;
    }
    di_row_error(im, line, col, msg);
    explicit_bzero(im->rec, im->reclen);
    im->reclen = 0;
    im->cs = CSV_SKIP;
    im->skip_inq = inq;
}

static int csv_append(db_import_t *im, char c, bool inq)
{
    if (im->reclen == DB_IMPORT_RECORD_MAX) {
        char m[64];
        snprintf(m, sizeof m, "record too long (max %d bytes)", DB_IMPORT_RECORD_MAX);
        csv_bad_record(im, im->line, im->col, m, inq);
        return 1;
    }
    im->rec[im->reclen++] = c;
    return 0;
}

static void csv_field_start(db_import_t *im)
{
    if (im->nfields == 0 && !im->rec_any) {
        im->rec_line = im->line;
        im->rec_col = im->col;
    }
    if (im->nfields < DI_FIELDS_MAX) {
        im->fld[im->nfields].off = im->reclen;
        im->fld[im->nfields].line = im->line;
        im->fld[im->nfields].col = im->col;
    }
}

static int csv_byte(db_import_t *im, char c)
{
    switch (im->cs) {
    case CSV_SKIP:
        if (c == '"') im->skip_inq = !im->skip_inq;
        if (c == '\n' && !im->skip_inq) {
            im->nfields = 0;
            im->rec_any = false;
            im->cs = CSV_FIELD_START;
        }
        return 0;
    case CSV_FIELD_START:
        csv_field_start(im);
        if (c == '\r') return 0;
        if (c == '"') {
            im->rec_any = true;
            im->cs = CSV_QUOTED;
            return 0;
        }
        if (c == ',') {
            im->rec_any = true;
            csv_end_field(im);
            return 0;
        }
        if (c == '\n') {
            csv_end_field(im);
            return csv_end_record(im);
        }
        im->rec_any = true;
        im->cs = CSV_BARE;
        csv_append(im, c, false);
        return 0;
    case CSV_BARE:
        if (c == ',') {
            csv_end_field(im);
            im->cs = CSV_FIELD_START;
            return 0;
        }
        if (c == '\n') {
            csv_end_field(im);
            return csv_end_record(im);
        }
        if (c == '\r') return 0;
        if (c == '"') {
            csv_bad_record(im, im->line, im->col, "'\"' inside an unquoted field (quote the whole field)",
                           false);
            return 0;
        }
        csv_append(im, c, false);
        return 0;
    case CSV_QUOTED:
        if (c == '"')
            im->cs = CSV_QUOTE_SEEN;
        else
            csv_append(im, c, true);
        return 0;
    case CSV_QUOTE_SEEN:
        if (c == '"') {
            im->cs = CSV_QUOTED;
            csv_append(im, c, true);
            return 0;
        }
        if (c == ',') {
            csv_end_field(im);
            im->cs = CSV_FIELD_START;
            return 0;
        }
        if (c == '\n') {
            csv_end_field(im);
            return csv_end_record(im);
        }
        if (c == '\r') return 0;
        csv_bad_record(im, im->line, im->col, "text after the closing quote of a field", false);
        return 0;
    }
    return 0;
}

/* ---- JSON --------------------------------------------------------------------- */

static int json_object_row(db_import_t *im)
{
    int r = di_new_row(im);
    if (r < 0) return r;
    json_error_t je;
    json_t *o = json_loadb(im->rec, im->reclen, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
    if (o == NULL) {
        unsigned line = im->rec_line, col = im->rec_col;
        for (int i = 0; i < je.position && (size_t)i < im->reclen; i++) {
            if (im->rec[i] == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
        di_row_error(im, line, col, je.text);
        return 0;
    }
    json_t *ep = json_object_get(o, "endpoint");
    if (json_is_string(ep)) di_row_endpoint(im, json_string_value(ep), json_string_length(ep));
    char msg[DB_DEVICE_MSG_MAX];
    if (db_device_from_json(&im->dev, o, msg, sizeof msg, NULL) < 0) {
        di_row_error(im, im->rec_line, im->rec_col, msg);
        goto done;
    }
    unsigned fline[DB_F_COUNT], fcol[DB_F_COUNT];
    for (int i = 0; i < DB_F_COUNT; i++) {
        fline[i] = im->rec_line;
        fcol[i] = im->rec_col;
    }
    r = di_emit(im, fline, fcol);
done:
    json_decref(o);
    return r;
}

static bool json_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int json_byte(db_import_t *im, char c)
{
    if (im->js != JS_OBJECT) {
        if (json_ws(c)) return 0;
        enum di_json_state next = JS_ARRAY_NEXT;
        switch (im->js) {
        case JS_TOP:
            if (c == '[') {
                im->js = JS_ARRAY;
                return 0;
            }
            next = JS_LINES;
            break;
        case JS_ARRAY: break;
        case JS_ARRAY_NEXT:
            if (c == ',') {
                im->js = JS_ARRAY;
                return 0;
            }
            if (c == ']') {
                im->js = JS_DONE;
                return 0;
            }
            return di_fatal(im, im->line, im->col, "expected ',' or ']' after an object");
        case JS_LINES: next = JS_LINES; break;
        case JS_DONE: return di_fatal(im, im->line, im->col, "text after the end of the array");
        default: break;
        }
        if (c == ']' && im->js == JS_ARRAY) {
            im->js = JS_DONE;
            return 0;
        }
        if (c != '{')
            return di_fatal(im, im->line, im->col,
                            im->js == JS_TOP ? "expected '[' or '{' (a JSON array of objects, or JSON Lines)"
                                             : "expected an object");
        im->js_after = next;
        im->js = JS_OBJECT;
        im->depth = 0;
        im->in_str = im->esc = im->obj_skip = false;
        im->reclen = 0;
        im->rec_line = im->line;
        im->rec_col = im->col;
    }
    /* inside an object */
    if (!im->obj_skip) {
        if (im->reclen == DB_IMPORT_RECORD_MAX) {
            im->obj_skip = true;
            explicit_bzero(im->rec, im->reclen);
            im->reclen = 0;
        } else {
            im->rec[im->reclen++] = c;
        }
    }
    if (im->in_str) {
        if (im->esc)
            im->esc = false;
        else if (c == '\\')
            im->esc = true;
        else if (c == '"')
            im->in_str = false;
        return 0;
    }
    if (c == '"') im->in_str = true;
    if (c == '{' || c == '[') im->depth++;
    if ((c == '}' || c == ']') && --im->depth == 0) {
        int r = 0;
        im->js = im->js_after;
        if (im->obj_skip) {
            r = di_new_row(im);
            if (r == 0) {
                char m[64];
                snprintf(m, sizeof m, "object too large (max %d bytes)", DB_IMPORT_RECORD_MAX);
                di_row_error(im, im->rec_line, im->rec_col, m);
            }
        } else {
            r = json_object_row(im);
        }
        db_device_clear(&im->dev);
        im->row_ep[0] = 0;
        explicit_bzero(im->rec, im->reclen);
        im->reclen = 0;
        return r;
    }
    return 0;
}

/* ---- driver --------------------------------------------------------------------- */

db_import_t *db_import_new(int format, const char *name, db_import_row_fn row, db_import_err_fn error,
                           void *arg)
{
    if (format != DB_IMPORT_CSV && format != DB_IMPORT_JSON) return NULL;
    db_import_t *im = calloc(1, sizeof *im);
    if (im == NULL) return NULL;
    im->rec = malloc(DB_IMPORT_RECORD_MAX);
    if (im->rec == NULL) {
        free(im);
        return NULL;
    }
    im->format = format;
    snprintf(im->name, sizeof im->name, "%s", name ? name : "-");
    im->row_fn = row;
    im->err_fn = error;
    im->arg = arg;
    im->line = im->col = 1;
    im->rec_line = im->rec_col = 1;
    return im;
}

int db_import_feed(db_import_t *im, const char *buf, size_t len)
{
    static const unsigned char bom[3] = {0xef, 0xbb, 0xbf};
    for (size_t i = 0; i < len && im->status == 0; i++) {
        char c = buf[i];
        if (im->bom < 3 && (unsigned char)c == bom[im->bom] && im->line == 1 && im->col == im->bom + 1) {
            im->bom++; /* a UTF-8 byte order mark at the very start is skipped */
            im->col++;
            continue;
        }
        im->bom = 4;
        int r = im->format == DB_IMPORT_CSV ? csv_byte(im, c) : json_byte(im, c);
        if (r < 0 && im->status == 0) im->status = r;
        if (c == '\n') {
            im->line++;
            im->col = 1;
        } else {
            im->col++;
        }
    }
    return im->status;
}

int db_import_finish(db_import_t *im)
{
    if (im->status != 0) return im->status;
    if (im->format == DB_IMPORT_CSV) {
        if (im->cs == CSV_QUOTED) {
            unsigned l = im->nfields < DI_FIELDS_MAX ? im->fld[im->nfields].line : im->line;
            unsigned c = im->nfields < DI_FIELDS_MAX ? im->fld[im->nfields].col : im->col;
            csv_bad_record(im, l, c, "quoted field not closed before the end of the file", true);
        } else if (im->cs != CSV_SKIP && (im->rec_any || im->nfields > 0)) {
            if (im->cs == CSV_FIELD_START) csv_field_start(im); /* "a,b," ends in an empty field */
            csv_end_field(im);
            int r = csv_end_record(im);
            if (r < 0 && im->status == 0) im->status = r;
        }
        if (im->status == 0 && im->ncols == 0) di_fatal(im, 1, 1, "empty file: no header row");
    } else {
        if (im->js == JS_TOP)
            di_fatal(im, im->line, im->col, "empty file: expected a JSON array or objects");
        else if (im->js == JS_ARRAY || im->js == JS_ARRAY_NEXT)
            di_fatal(im, im->line, im->col, "unexpected end of file: the array is not closed");
        else if (im->js == JS_OBJECT)
            di_fatal(im, im->rec_line, im->rec_col, "unexpected end of file inside an object");
    }
    return im->status;
}

size_t db_import_rows_ok(const db_import_t *im)
{
    return im->rows_ok;
}

size_t db_import_rows_failed(const db_import_t *im)
{
    return im->rows_bad;
}

const char *db_import_row_endpoint(const db_import_t *im)
{
    return im->row_ep;
}

void db_import_free(db_import_t *im)
{
    if (im == NULL) return;
    explicit_bzero(im->rec, DB_IMPORT_RECORD_MAX);
    free(im->rec);
    free(im->hash);
    free(im->hline);
    explicit_bzero(im, sizeof *im);
    free(im);
}
