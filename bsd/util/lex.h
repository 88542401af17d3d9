/*
 * lex.h — the text layer shared by the daemon configuration (config.c) and the
 * devices file (devfile.c).
 *
 * Both files are line-oriented text with the same lexical rules:
 *   - lines end in LF (a CR at the end of a line is dropped); at most
 *     LEX_LINE_MAX bytes per line; control bytes other than TAB are rejected;
 *   - '#' starts a comment at the start of a line or after a space/TAB;
 *   - a value is either bare or double-quoted with the escapes
 *     \" \\ \n \t \xHH;
 *   - errors are reported as "name:line:column: message", 1-based, the column
 *     counting bytes.
 * This file also holds the small decoders both need (hex, strict base64,
 * unsigned decimal) and a bounded whole-file reader.  The grammars — which keys,
 * which device kinds — live in config.c and devfile.c.
 */
#ifndef BSD_UTIL_LEX_H
#define BSD_UTIL_LEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

/* Longest line, in bytes, excluding the line end. */
#define LEX_LINE_MAX 4096

/* Size of the message buffer in lex_error_t. */
#define LEX_MSG_MAX 256

/* Where and why parsing stopped. */
typedef struct lex_error {
    unsigned line;         /* 1-based line number; 0 = no position */
    unsigned col;          /* 1-based byte column; 0 = no column */
    char msg[LEX_MSG_MAX]; /* message without position */
} lex_error_t;

/* Cursor over a whole buffer, handing out one line at a time. */
typedef struct lex_reader {
    const char *buf; /* input, not NUL-terminated */
    size_t len;      /* input length */
    size_t pos;      /* offset of the next line */
    unsigned lineno; /* number of the last line returned */
} lex_reader_t;

/* One line and a cursor inside it. */
typedef struct lex_line {
    const char *p;   /* line bytes, without the line end */
    size_t len;      /* line length (<= LEX_LINE_MAX) */
    size_t pos;      /* cursor (0-based) */
    unsigned lineno; /* 1-based line number */
} lex_line_t;

/* How far a bare (unquoted) value reaches. */
#define LEX_VALUE_REST 0 /* to the end of the line or a comment, trailing blanks cut */
#define LEX_VALUE_WORD 1 /* to the next space/TAB or the end of the line */

/* A decoded value and where each of its bytes came from. */
typedef struct lex_value {
    char s[LEX_LINE_MAX + 1];       /* decoded bytes + NUL (may also hold NULs from \x00) */
    size_t len;                     /* decoded length */
    uint16_t col[LEX_LINE_MAX + 1]; /* col[i]: source column of byte i; col[len]: just past it */
    unsigned start_col;             /* column of the value's first character (the quote) */
    bool quoted;                    /* value was written in double quotes */
} lex_value_t;

/*
 * lex_fail fills |e| with |line|, |col| and the printf-style message (cut
 * with a trailing "..." if longer than LEX_MSG_MAX - 1).
 *
 * Returns -EINVAL, so parsers can `return lex_fail(...)`.
 */
int lex_fail(lex_error_t *e, unsigned line, unsigned col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/*
 * lex_format_error writes "name:line:col: msg" (or "name: msg" when e->line
 * is 0) into |err| (|errcap| bytes).  A message that does not fit is cut and
 * ends in "..." — this is the one place where a cut is preferred over failing,
 * because it already reports a failure.  Does nothing if |err| is NULL or
 * |errcap| is 0.
 */
void lex_format_error(char *err, size_t errcap, const char *name, const lex_error_t *e);

/*
 * lex_errorf writes a printf-style message into |err| with the same cut rule
 * as lex_format_error.  Does nothing if |err| is NULL or |errcap| is 0.
 */
void lex_errorf(char *err, size_t errcap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* lex_reader_init starts reading |buf| (|len| bytes) at line 1. */
void lex_reader_init(lex_reader_t *r, const char *buf, size_t len);

/*
 * lex_next_line hands out the next line in |line| (cursor at 0).
 *
 * Returns 1 when a line was returned, 0 at the end of input, or -EINVAL with
 * |e| set when the line is longer than LEX_LINE_MAX bytes or holds a control
 * byte (anything below 0x20 except TAB, or 0x7f).
 */
int lex_next_line(lex_reader_t *r, lex_line_t *line, lex_error_t *e);

/* lex_col returns the 1-based column of the cursor. */
unsigned lex_col(const lex_line_t *l);

/*
 * lex_skip_blank moves the cursor past spaces and TABs.
 *
 * Returns true when nothing but an optional comment remains on the line.
 */
bool lex_skip_blank(lex_line_t *l);

/*
 * lex_read_value reads the value at the cursor into |v| and moves the cursor
 * past it.  A value starting with '"' is quoted and decoded; otherwise it is
 * bare and reaches as |mode| says (LEX_VALUE_REST or LEX_VALUE_WORD).  A bare
 * value must not contain '"'.  After a quoted value only blanks and, for
 * LEX_VALUE_REST, a comment may follow on the line; for LEX_VALUE_WORD a blank
 * or the end of the line must follow.
 *
 * Returns 0, or -EINVAL with |e| set for: an unterminated quote, an unknown
 * escape, a bad \x escape, a stray '"' in a bare value, or text after the
 * closing quote.
 */
int lex_read_value(lex_line_t *l, lex_value_t *v, int mode, lex_error_t *e);

/*
 * lex_hex_decode decodes |len| hex digits (either case) of |s| into |out|
 * (|cap| bytes) and stores the byte count in |*outlen|.
 *
 * Returns 0; -EINVAL if a character is not a hex digit (|*bad| = its offset)
 * or the number of digits is odd (|*bad| = |len|); -E2BIG if the result
 * would exceed |cap| bytes (|*bad| = offset of the first digit that does not
 * fit).
 */
int lex_hex_decode(const char *s, size_t len, uint8_t *out, size_t cap, size_t *outlen, size_t *bad);

/*
 * lex_base64_decode decodes strict RFC 4648 base64 (standard alphabet, length
 * a multiple of 4, '=' padding only at the end, unused bits zero, no
 * whitespace) of |len| bytes of |s| into |out| (|cap| bytes).
 *
 * Returns 0 with |*outlen| set; -EINVAL for anything that is not strict
 * base64; -E2BIG if the result exceeds |cap| bytes.
 */
int lex_base64_decode(const char *s, size_t len, uint8_t *out, size_t cap, size_t *outlen);

/* lex_hexval returns the value of hex digit |c| (0-9, a-f, A-F), or -1. */
int lex_hexval(unsigned char c);

/*
 * lex_parse_uint parses |len| bytes of |s| as an unsigned decimal number of
 * 1..20 digits (no sign, no blanks) that is at most |max|.
 *
 * Returns 0 with |*out| set; -EINVAL if the text is not such a number;
 * -ERANGE if it exceeds |max|.
 */
int lex_parse_uint(const char *s, size_t len, uint64_t max, uint64_t *out);

/*
 * lex_read_file reads the regular file |path| into a new buffer |*buf|
 * (NUL-terminated, length in |*len|; free it with free()), refusing files
 * larger than |max| bytes.  If |st| is not NULL it receives the file's status.
 *
 * The file is opened with O_NONBLOCK so that a FIFO cannot block the caller.
 * Buffers holding file content are wiped (explicit_bzero) before they are
 * freed on error or when grown, since the content may be key material; on
 * success wiping |*buf| is the caller's job.
 *
 * Returns 0; -errno from open/fstat/read; -EINVAL if |path| is not a regular
 * file; -EFBIG if it is larger than |max|; -ENOMEM.
 */
int lex_read_file(const char *path, size_t max, char **buf, size_t *len, struct stat *st);

/*
 * lex_load_file is lex_read_file that also writes the operator-facing
 * message for each failure into |err| ("PATH: file too large (max N
 * bytes)", "PATH: not a regular file", "PATH: cannot read: REASON").
 * Returns what lex_read_file returns.
 */
int lex_load_file(const char *path, size_t max, char **buf, size_t *len, struct stat *st, char *err,
                  size_t errcap);

#endif /* BSD_UTIL_LEX_H */
