/*
 * lex.c — lines, quoted values, hex/base64/decimal decoding and bounded file
 * reads shared by config.c and devfile.c (see lex.h for the rules).
 *
 * Every decoded byte keeps the column it came from, so a grammar can point at
 * the exact offending byte even inside a quoted, escaped value.
 */
#include "bsd/util/lex.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool lex_is_blank(char c)
{
    return c == ' ' || c == '\t';
}

int lex_hexval(unsigned char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* vsnprintf into |out|, marking a cut with "..." (see lex_format_error). */
static void lex_vput(char *out, size_t cap, const char *fmt, va_list ap)
{
    if (out == NULL || cap == 0) return;
    int r = vsnprintf(out, cap, fmt, ap);
    if (r < 0) {
        out[0] = '\0';
        return;
    }
    if ((size_t)r >= cap && cap > 4) memcpy(out + cap - 4, "...", 4);
}

int lex_fail(lex_error_t *e, unsigned line, unsigned col, const char *fmt, ...)
{
    e->line = line;
    e->col = col;
    va_list ap;
    va_start(ap, fmt);
    lex_vput(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

void lex_errorf(char *err, size_t errcap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    lex_vput(err, errcap, fmt, ap);
    va_end(ap);
}

void lex_format_error(char *err, size_t errcap, const char *name, const lex_error_t *e)
{
    if (name == NULL) name = "-";
    if (e->line == 0)
        lex_errorf(err, errcap, "%s: %s", name, e->msg);
    else
        lex_errorf(err, errcap, "%s:%u:%u: %s", name, e->line, e->col, e->msg);
}

void lex_reader_init(lex_reader_t *r, const char *buf, size_t len)
{
    r->buf = buf;
    r->len = buf ? len : 0;
    r->pos = 0;
    r->lineno = 0;
}

int lex_next_line(lex_reader_t *r, lex_line_t *line, lex_error_t *e)
{
    if (r->pos >= r->len) return 0;
    const char *start = r->buf + r->pos;
    size_t avail = r->len - r->pos;
    const char *nl = memchr(start, '\n', avail);
    size_t len = nl ? (size_t)(nl - start) : avail;
    r->pos += nl ? len + 1 : len;
    r->lineno++;
    if (len > 0 && start[len - 1] == '\r') len--;

    size_t scan = len < LEX_LINE_MAX ? len : LEX_LINE_MAX;
    for (size_t i = 0; i < scan; i++) {
        unsigned char c = (unsigned char)start[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return lex_fail(e, r->lineno, (unsigned)i + 1, "control character 0x%02x not allowed", c);
    }
    if (len > LEX_LINE_MAX)
        return lex_fail(e, r->lineno, LEX_LINE_MAX + 1, "line too long (max %d bytes)", LEX_LINE_MAX);

    line->p = start;
    line->len = len;
    line->pos = 0;
    line->lineno = r->lineno;
    return 1;
}

unsigned lex_col(const lex_line_t *l)
{
    return (unsigned)l->pos + 1;
}

/* A '#' starts a comment at the start of a line or after a blank. */
static bool lex_at_comment(const lex_line_t *l, size_t i)
{
    return l->p[i] == '#' && (i == 0 || lex_is_blank(l->p[i - 1]));
}

bool lex_skip_blank(lex_line_t *l)
{
    while (l->pos < l->len && lex_is_blank(l->p[l->pos]))
        l->pos++;
    return l->pos >= l->len || lex_at_comment(l, l->pos);
}

static int lex_read_quoted(lex_line_t *l, lex_value_t *v, int mode, lex_error_t *e)
{
    unsigned open_col = lex_col(l);
    l->pos++; /* opening quote */
    for (;;) {
        if (l->pos >= l->len) return lex_fail(e, l->lineno, open_col, "unterminated quoted value");
        char c = l->p[l->pos];
        unsigned col = lex_col(l);
        if (c == '"') {
            l->pos++;
            break;
        }
        if (c == '\\') {
            if (l->pos + 1 >= l->len) return lex_fail(e, l->lineno, open_col, "unterminated quoted value");
            char d = l->p[l->pos + 1];
            switch (d) {
            case '"':
            case '\\':
                c = d;
                l->pos += 2;
                break;
            case 'n':
                c = '\n';
                l->pos += 2;
                break;
            case 't':
                c = '\t';
                l->pos += 2;
                break;
            case 'x': {
                int hi = l->pos + 2 < l->len ? lex_hexval((unsigned char)l->p[l->pos + 2]) : -1;
                int lo = l->pos + 3 < l->len ? lex_hexval((unsigned char)l->p[l->pos + 3]) : -1;
                if (hi < 0 || lo < 0)
                    return lex_fail(e, l->lineno, col, "invalid \\x escape (expected two hex digits)");
                c = (char)(hi << 4 | lo);
                l->pos += 4;
                break;
            }
            default:
                return lex_fail(e, l->lineno, col,
                                "unknown escape sequence (use \\\" \\\\ \\n \\t or \\xHH)");
            }
        } else {
            l->pos++;
        }
        v->s[v->len] = c;
        v->col[v->len] = (uint16_t)col;
        v->len++;
    }
    v->col[v->len] = (uint16_t)(l->pos); /* column of the closing quote */
    v->s[v->len] = '\0';

    if (mode == LEX_VALUE_REST) {
        if (!lex_skip_blank(l))
            return lex_fail(e, l->lineno, lex_col(l), "unexpected text after closing quote");
    } else if (l->pos < l->len && !lex_is_blank(l->p[l->pos])) {
        return lex_fail(e, l->lineno, lex_col(l), "unexpected text after closing quote");
    }
    return 0;
}

int lex_read_value(lex_line_t *l, lex_value_t *v, int mode, lex_error_t *e)
{
    v->len = 0;
    v->s[0] = '\0';
    v->quoted = false;
    v->start_col = lex_col(l);
    v->col[0] = (uint16_t)lex_col(l);

    if (l->pos < l->len && l->p[l->pos] == '"') {
        v->quoted = true;
        return lex_read_quoted(l, v, mode, e);
    }

    size_t start = l->pos, end = l->pos;
    while (end < l->len) {
        char c = l->p[end];
        if (mode == LEX_VALUE_WORD ? lex_is_blank(c) : lex_at_comment(l, end)) break;
        if (c == '"')
            return lex_fail(e, l->lineno, (unsigned)end + 1,
                            "unexpected '\"' in unquoted value (quote the whole value)");
        end++;
    }
    l->pos = end;
    if (mode == LEX_VALUE_REST)
        while (end > start && lex_is_blank(l->p[end - 1]))
            end--;
    for (size_t i = start; i < end; i++) {
        v->s[v->len] = l->p[i];
        v->col[v->len] = (uint16_t)(i + 1);
        v->len++;
    }
    v->s[v->len] = '\0';
    v->col[v->len] = (uint16_t)(end + 1);
    return 0;
}

int lex_hex_decode(const char *s, size_t len, uint8_t *out, size_t cap, size_t *outlen, size_t *bad)
{
    size_t dummy;
    if (bad == NULL) bad = &dummy;
    for (size_t i = 0; i < len; i++) {
        if (lex_hexval((unsigned char)s[i]) < 0) {
            *bad = i;
            return -EINVAL;
        }
    }
    if (len % 2 != 0) {
        *bad = len;
        return -EINVAL;
    }
    if (len / 2 > cap) {
        *bad = cap * 2;
        return -E2BIG;
    }
    for (size_t i = 0; i < len / 2; i++)
        out[i] =
            (uint8_t)(lex_hexval((unsigned char)s[2 * i]) << 4 | lex_hexval((unsigned char)s[2 * i + 1]));
    *outlen = len / 2;
    return 0;
}

static int lex_b64val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

int lex_base64_decode(const char *s, size_t len, uint8_t *out, size_t cap, size_t *outlen)
{
    if (len % 4 != 0) return -EINVAL;
    size_t n = 0;
    for (size_t i = 0; i < len; i += 4) {
        bool last = i + 4 == len;
        int v[4];
        int pad = 0;
        for (int k = 0; k < 4; k++) {
            unsigned char c = (unsigned char)s[i + (size_t)k];
            if (c == '=' && last && k >= 2) {
                v[k] = 0;
                pad++;
                continue;
            }
            if (pad > 0) /* data after padding */
                return -EINVAL;
            v[k] = lex_b64val(c);
            if (v[k] < 0) return -EINVAL;
        }
        /* Canonical form: the bits dropped by the padding must be zero. */
        if (pad == 2 && (v[1] & 0x0f) != 0) return -EINVAL;
        if (pad == 1 && (v[2] & 0x03) != 0) return -EINVAL;
        size_t bytes = 3 - (size_t)pad;
        if (n + bytes > cap) return -E2BIG;
        uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
        out[n++] = (uint8_t)(w >> 16);
        if (bytes > 1) out[n++] = (uint8_t)(w >> 8);
        if (bytes > 2) out[n++] = (uint8_t)w;
    }
    *outlen = n;
    return 0;
}

int lex_parse_uint(const char *s, size_t len, uint64_t max, uint64_t *out)
{
    if (len == 0 || len > 20) return -EINVAL;
    for (size_t i = 0; i < len; i++)
        if (s[i] < '0' || s[i] > '9') return -EINVAL;
    uint64_t v = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (d > max || v > (max - d) / 10) return -ERANGE;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

int lex_read_file(const char *path, size_t max, char **buf, size_t *len, struct stat *st)
{
    *buf = NULL;
    *len = 0;
    /* O_NONBLOCK: a FIFO must not hang start-up; it is refused below. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) return -errno;
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int r = -errno;
        close(fd);
        return r;
    }
    if (!S_ISREG(sb.st_mode)) {
        close(fd);
        return -EINVAL;
    }
    if (sb.st_size < 0 || (uint64_t)sb.st_size > max) {
        close(fd);
        return -EFBIG;
    }
    /* The file may grow while we read: read up to max + 1 bytes to notice. */
    size_t cap = (size_t)sb.st_size + 1;
    char *b = malloc(cap + 1);
    if (b == NULL) {
        close(fd);
        return -ENOMEM;
    }
    size_t n = 0;
    for (;;) {
        if (n == cap) {
            if (cap > max) {
                explicit_bzero(b, n);
                free(b);
                close(fd);
                return -EFBIG;
            }
            size_t ncap = cap * 2 > max + 1 ? max + 1 : cap * 2;
            /* Not realloc: the old block may hold key material and is wiped. */
            char *nb = malloc(ncap + 1);
            if (nb == NULL) {
                explicit_bzero(b, n);
                free(b);
                close(fd);
                return -ENOMEM;
            }
            memcpy(nb, b, n);
            explicit_bzero(b, n);
            free(b);
            b = nb;
            cap = ncap;
        }
        ssize_t r = read(fd, b + n, cap - n);
        if (r < 0) {
            if (errno == EINTR) continue;
            int err = -errno;
            explicit_bzero(b, n);
            free(b);
            close(fd);
            return err;
        }
        if (r == 0) break;
        n += (size_t)r;
    }
    close(fd);
    if (n > max) {
        explicit_bzero(b, n);
        free(b);
        return -EFBIG;
    }
    b[n] = '\0';
    *buf = b;
    *len = n;
    if (st != NULL) *st = sb;
    return 0;
}

int lex_load_file(const char *path, size_t max, char **buf, size_t *len, struct stat *st, char *err,
                  size_t errcap)
{
    int r = lex_read_file(path, max, buf, len, st);
    if (r == -EFBIG)
        lex_errorf(err, errcap, "%s: file too large (max %zu bytes)", path, max);
    else if (r == -EINVAL)
        lex_errorf(err, errcap, "%s: not a regular file", path);
    else if (r < 0)
        lex_errorf(err, errcap, "%s: cannot read: %s", path, strerror(-r));
    return r;
}
