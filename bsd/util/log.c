/*
 * log.c — structured one-line logging (see log.h for the contract).
 *
 * A line is assembled in a stack buffer and handed to the kernel with a single
 * write(2); that is what keeps concurrent lines whole without a lock.  The level
 * and output descriptor are relaxed atomics: a thread that logs while another
 * changes them sees either the old or the new value, both of which are fine.
 */
#include "bsd/util/log.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The two documented process-wide settings of the logger. */
static _Atomic int log_cur_level = BSD_LOG_INFO;
static _Atomic int log_cur_fd = 2;

static const char *const log_names[] = {"debug", "info", "warn", "error"};
static const char log_hexdig[] = "0123456789abcdef";

static int log_clamp(int level)
{
    if (level < BSD_LOG_DEBUG) return BSD_LOG_DEBUG;
    if (level > BSD_LOG_ERROR) return BSD_LOG_ERROR;
    return level;
}

void log_set_level(int level)
{
    atomic_store_explicit(&log_cur_level, log_clamp(level), memory_order_relaxed);
}

int log_get_level(void)
{
    return atomic_load_explicit(&log_cur_level, memory_order_relaxed);
}

void log_set_fd(int fd)
{
    atomic_store_explicit(&log_cur_fd, fd, memory_order_relaxed);
}

static int log_ascii_lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

int log_level_parse(const char *s)
{
    if (s == NULL) return -EINVAL;
    for (int i = 0; i < 4; i++) {
        const char *n = log_names[i];
        size_t k = 0;
        while (n[k] != '\0' && log_ascii_lower((unsigned char)s[k]) == n[k])
            k++;
        if (n[k] == '\0' && s[k] == '\0') return i;
    }
    return -EINVAL;
}

const char *log_level_name(int level)
{
    return log_names[log_clamp(level)];
}

bool log_enabled(int level)
{
    return level >= atomic_load_explicit(&log_cur_level, memory_order_relaxed);
}

static bool log_event_char_ok(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
}

void log_vmsg(int level, const char *event, const char *fmt, va_list ap)
{
    if (!log_enabled(level)) return;
    int fd = atomic_load_explicit(&log_cur_fd, memory_order_relaxed);
    if (fd < 0) return;

    int saved_errno = errno;
    /* One spare byte for the NUL that vsnprintf always writes. */
    char line[LOG_LINE_MAX + 1];
    const size_t body_max = LOG_LINE_MAX - 1; /* room left for '\n' */
    size_t n = 0;
    bool cut = false;

    struct timespec ts;
    struct tm tm;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0) {
        ts.tv_sec = 0;
        ts.tv_nsec = 0;
    }
    if (gmtime_r(&ts.tv_sec, &tm) == NULL) memset(&tm, 0, sizeof tm);
    /* The prefix is at most ~70 bytes, far below LOG_LINE_MAX. */
    int r = snprintf(line, sizeof line,
                     "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03dZ level=%s event=", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ts.tv_nsec / 1000000),
                     log_level_name(level));
    if (r < 0 || (size_t)r >= sizeof line) return;
    n = (size_t)r;

    if (event == NULL || event[0] == '\0') {
        line[n++] = '-';
    } else {
        for (size_t i = 0; event[i] != '\0' && i < LOG_EVENT_MAX; i++) {
            unsigned char c = (unsigned char)event[i];
            line[n++] = log_event_char_ok(c) ? (char)c : '_';
        }
    }

    if (fmt != NULL && fmt[0] != '\0') {
        size_t tail = n;
        line[n++] = ' ';
        r = vsnprintf(line + n, sizeof line - n, fmt, ap);
        if (r < 0) {
            static const char bad[] = "log_error=format";
            memcpy(line + n, bad, sizeof bad - 1);
            n += sizeof bad - 1;
        } else if (n + (size_t)r > body_max) {
            cut = true;
            n = body_max;
        } else {
            n += (size_t)r;
        }
        /* Last line of defence: one call, one line. */
        for (size_t i = tail; i < n; i++) {
            unsigned char c = (unsigned char)line[i];
            if (c < 0x20 || c == 0x7f) line[i] = '?';
        }
    }

    if (cut) {
        const size_t mlen = sizeof LOG_TRUNCATED_MARK - 1;
        n = body_max - mlen;
        memcpy(line + n, LOG_TRUNCATED_MARK, mlen);
        n += mlen;
    }
    line[n++] = '\n';

    /* A single write: retrying after EINTR is still one write of the line. */
    ssize_t w;
    do {
        w = write(fd, line, n);
    } while (w < 0 && errno == EINTR);
    errno = saved_errno;
}

void log_msg(int level, const char *event, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vmsg(level, event, fmt, ap);
    va_end(ap);
}

/* Number of output characters the escaped form of byte |c| takes. */
static size_t log_esc_len(unsigned char c)
{
    if (c == '"' || c == '\\') return 2;
    if (c < 0x20 || c >= 0x7f) return 4;
    return 1;
}

static size_t log_esc_put(char *out, unsigned char c)
{
    if (c == '"' || c == '\\') {
        out[0] = '\\';
        out[1] = (char)c;
        return 2;
    }
    if (c < 0x20 || c >= 0x7f) {
        out[0] = '\\';
        out[1] = 'x';
        out[2] = log_hexdig[c >> 4];
        out[3] = log_hexdig[c & 0xf];
        return 4;
    }
    out[0] = (char)c;
    return 1;
}

/* Writes as much of "..." as fits (for buffers too small for anything else). */
static size_t log_dots_only(char *out, size_t cap)
{
    size_t k = cap - 1 < 3 ? cap - 1 : 3;
    memset(out, '.', k);
    out[k] = '\0';
    return k;
}

size_t log_quote(char *out, size_t cap, const uint8_t *s, size_t len)
{
    if (cap == 0) return 0;
    if (s == NULL) len = 0;

    size_t full = 2;
    for (size_t i = 0; i < len && full < cap; i++)
        full += log_esc_len(s[i]);

    size_t n = 0;
    if (full < cap) {
        out[n++] = '"';
        for (size_t i = 0; i < len; i++)
            n += log_esc_put(out + n, s[i]);
        out[n++] = '"';
        out[n] = '\0';
        return n;
    }
    /* Cut: '"' + bytes + '"' + "..." + NUL must fit. */
    if (cap < 6) return log_dots_only(out, cap);
    size_t budget = cap - 6;
    out[n++] = '"';
    for (size_t i = 0; i < len; i++) {
        size_t e = log_esc_len(s[i]);
        if (e > budget) break;
        n += log_esc_put(out + n, s[i]);
        budget -= e;
    }
    memcpy(out + n, "\"...", 5); /* includes the NUL */
    return n + 4;
}

size_t log_quote_str(char *out, size_t cap, const char *s)
{
    return log_quote(out, cap, (const uint8_t *)s, s ? strlen(s) : 0);
}

size_t log_hex(char *out, size_t cap, const uint8_t *b, size_t len)
{
    if (cap == 0) return 0;
    if (b == NULL) len = 0;
    size_t n = 0;
    if (len <= (cap - 1) / 2) {
        for (size_t i = 0; i < len; i++) {
            out[n++] = log_hexdig[b[i] >> 4];
            out[n++] = log_hexdig[b[i] & 0xf];
        }
        out[n] = '\0';
        return n;
    }
    if (cap < 4) return log_dots_only(out, cap);
    size_t whole = (cap - 4) / 2;
    for (size_t i = 0; i < whole; i++) {
        out[n++] = log_hexdig[b[i] >> 4];
        out[n++] = log_hexdig[b[i] & 0xf];
    }
    memcpy(out + n, "...", 4);
    return n + 3;
}
