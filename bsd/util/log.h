/*
 * log.h — the daemon's one logging convention.
 *
 * Every message is a single line of key=value pairs:
 *
 *   ts=2026-11-27T21:10:00.123Z level=info event=dtls.handshake.failed peer=127.0.0.1:5000
 * reason=unknown_psk_identity
 *
 * `ts`, `level` and `event` are written by log_msg(); the rest is the caller's
 * printf-style tail.  A line is emitted with exactly one write(2) call and is at
 * most LOG_LINE_MAX bytes including its newline, so lines from many threads
 * never interleave on a pipe (POSIX makes writes of up to PIPE_BUF bytes atomic)
 * or an O_APPEND file.  No locks are taken.
 *
 * SECURITY: callers must never pass secrets (PSK keys, private keys, OSCORE
 * master secrets, passwords) to any function in this file, not even in debug
 * builds or at BSD_LOG_DEBUG.  Untrusted text (endpoint names, PSK identities,
 * URIs from the network) must go through log_quote() before it reaches a line;
 * as a last line of defence log_msg() replaces any control byte in the tail by
 * '?' so one call can never produce two lines.
 *
 * Process-wide state: the current level and the output descriptor are the only
 * hidden globals of bsd/util; both are C11 atomics set at start-up (and by a
 * reload) with log_set_level() / log_set_fd().
 */
#ifndef BSD_UTIL_LOG_H
#define BSD_UTIL_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Levels, lowest to highest.  Named BSD_LOG_* so they do not clash with syslog.h. */
#define BSD_LOG_DEBUG 0
#define BSD_LOG_INFO  1
#define BSD_LOG_WARN  2
#define BSD_LOG_ERROR 3

/* Longest line written, in bytes, including the trailing newline. */
#define LOG_LINE_MAX 1024

/* Marker that ends a line cut at LOG_LINE_MAX ("…" is U+2026 in UTF-8). */
#define LOG_TRUNCATED_MARK "\xe2\x80\xa6truncated"

/* Longest event name kept; longer names are cut (events are constants). */
#define LOG_EVENT_MAX 64

/* Buffer size that always holds log_quote() of |n| bytes without truncation. */
#define LOG_QUOTE_SIZE(n) ((n)*4 + 3)

/* Buffer size that always holds log_hex() of |n| bytes without truncation. */
#define LOG_HEX_SIZE(n) ((n)*2 + 1)

/*
 * log_set_level sets the lowest level that is written.  Values below
 * BSD_LOG_DEBUG or above BSD_LOG_ERROR are clamped.  Default: BSD_LOG_INFO.
 */
void log_set_level(int level);

/* log_get_level returns the current level (BSD_LOG_*). */
int log_get_level(void);

/*
 * log_set_fd makes log_msg() write to |fd| (default 2, stderr).  The caller
 * keeps ownership of |fd|; it must stay open while it is the log output.
 * A negative |fd| discards all output.
 */
void log_set_fd(int fd);

/*
 * log_level_parse maps "debug", "info", "warn" or "error" (ASCII
 * case-insensitive) to BSD_LOG_*.
 *
 * Returns the level, or -EINVAL if |s| is NULL or not one of the four names.
 */
int log_level_parse(const char *s);

/*
 * log_level_name returns the lower-case name of |level| ("debug", "info",
 * "warn", "error"), or "error" for out-of-range values.  Never NULL.
 */
const char *log_level_name(int level);

/*
 * log_enabled tells whether a message at |level| would be written.  It is one
 * relaxed atomic load; call it before doing work (quoting, hex) that only
 * serves a log line.
 */
bool log_enabled(int level);

/*
 * log_msg writes one line "ts=… level=… event=|event| <tail>\n" where <tail>
 * is |fmt| formatted printf-style (omitted when |fmt| is NULL or "").  |event|
 * is a stable dotted name such as "dtls.handshake.failed"; bytes outside
 * [A-Za-z0-9._-] are replaced by '_' and it is cut at LOG_EVENT_MAX bytes
 * (NULL is written as "-").  Control bytes in the tail become '?'.  A line
 * longer than LOG_LINE_MAX bytes is cut and ends with LOG_TRUNCATED_MARK.
 * Nothing is written when !log_enabled(level).  errno is preserved.  Write
 * errors are ignored (there is nowhere to report them).
 */
void log_msg(int level, const char *event, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* log_vmsg is log_msg with a va_list. */
void log_vmsg(int level, const char *event, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/*
 * log_quote writes |s| (|len| bytes, may contain any byte; |s| may be NULL
 * when |len| is 0) to |out| as a double-quoted value that is safe to put on a
 * log line: '"' and '\' are escaped with a backslash, every byte below 0x20,
 * 0x7f and every byte >= 0x80 is written as \xHH (lower-case hex).
 *
 * If the quoted form does not fit in |cap| bytes (including the NUL), as many
 * whole escaped bytes as fit are written, the quote is closed and "..." is
 * appended outside it (e.g. "abc"...), so a cut is always visible and
 * unambiguous.  If |cap| is below 6 only as much of "..." as fits is written.
 * Never writes more than |cap| bytes; |out| is always NUL-terminated when
 * |cap| > 0.  LOG_QUOTE_SIZE(len) is always enough.
 *
 * Returns the length of the string written (excluding the NUL).
 */
size_t log_quote(char *out, size_t cap, const uint8_t *s, size_t len);

/* log_quote_str is log_quote() of the C string |s| (NULL is written as ""). */
size_t log_quote_str(char *out, size_t cap, const char *s);

/*
 * log_hex writes |len| bytes of |b| as lower-case hex to |out| (for short
 * fingerprints and identifiers — never for keys).  If the result does not fit
 * in |cap| bytes (including the NUL), whole bytes that fit are written followed
 * by "...".  Never writes more than |cap| bytes; NUL-terminated when |cap| > 0.
 * LOG_HEX_SIZE(len) is always enough.
 *
 * Returns the length of the string written (excluding the NUL).
 */
size_t log_hex(char *out, size_t cap, const uint8_t *b, size_t len);

#endif /* BSD_UTIL_LOG_H */
