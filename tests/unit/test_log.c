/*
 * test_log.c — unit tests for bsd/util/log.c: line format, levels, one line
 * per call (also under concurrent writers), the LOG_LINE_MAX cut, and the
 * log_quote() / log_hex() helpers (escaping, truncation, no overflow).
 */
#include "bsd/util/log.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <regex.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int pfd[2];

static void pipe_setup(void)
{
    ck_assert_int_eq(pipe(pfd), 0);
    ck_assert_int_eq(fcntl(pfd[0], F_SETFL, O_NONBLOCK), 0);
    log_set_fd(pfd[1]);
    log_set_level(BSD_LOG_DEBUG);
}

static void pipe_teardown(void)
{
    log_set_fd(2);
    log_set_level(BSD_LOG_INFO);
    close(pfd[0]);
    close(pfd[1]);
}

/* Reads whatever is in the pipe (NUL-terminated); returns its length. */
static size_t drain(char *buf, size_t cap)
{
    ssize_t n = read(pfd[0], buf, cap - 1);
    if (n < 0) {
        ck_assert_int_eq(errno, EAGAIN);
        n = 0;
    }
    buf[n] = '\0';
    return (size_t)n;
}

static void assert_matches(const char *s, const char *pattern)
{
    regex_t re;
    ck_assert_int_eq(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
    int r = regexec(&re, s, 0, NULL, 0);
    regfree(&re);
    ck_assert_msg(r == 0, "'%s' does not match '%s'", s, pattern);
}

static size_t count_char(const char *s, size_t n, char c)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += s[i] == c;
    return k;
}

/* Calls log_vmsg() with a format the compiler cannot check (e.g. ""). */
static void msg_v(int level, const char *event, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vmsg(level, event, fmt, ap);
    va_end(ap);
}

#define TS_RE "ts=[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z"

START_TEST(test_levels)
{
    ck_assert_int_eq(log_level_parse("debug"), BSD_LOG_DEBUG);
    ck_assert_int_eq(log_level_parse("info"), BSD_LOG_INFO);
    ck_assert_int_eq(log_level_parse("WARN"), BSD_LOG_WARN);
    ck_assert_int_eq(log_level_parse("Error"), BSD_LOG_ERROR);
    ck_assert_int_eq(log_level_parse("warning"), -EINVAL);
    ck_assert_int_eq(log_level_parse("inf"), -EINVAL);
    ck_assert_int_eq(log_level_parse(""), -EINVAL);
    ck_assert_int_eq(log_level_parse(NULL), -EINVAL);
    ck_assert_str_eq(log_level_name(BSD_LOG_WARN), "warn");
    ck_assert_str_eq(log_level_name(42), "error");
    ck_assert_str_eq(log_level_name(-3), "debug");

    log_set_level(BSD_LOG_WARN);
    ck_assert_int_eq(log_get_level(), BSD_LOG_WARN);
    ck_assert(!log_enabled(BSD_LOG_DEBUG));
    ck_assert(!log_enabled(BSD_LOG_INFO));
    ck_assert(log_enabled(BSD_LOG_WARN));
    ck_assert(log_enabled(BSD_LOG_ERROR));
    log_set_level(99);
    ck_assert_int_eq(log_get_level(), BSD_LOG_ERROR);
    log_set_level(-1);
    ck_assert_int_eq(log_get_level(), BSD_LOG_DEBUG);
    log_set_level(BSD_LOG_INFO);
}
END_TEST

START_TEST(test_line_format)
{
    char buf[4096];
    pipe_setup();
    log_msg(BSD_LOG_INFO, "dtls.handshake.failed", "peer=%s reason=%s", "127.0.0.1:5000",
            "unknown_psk_identity");
    size_t n = drain(buf, sizeof buf);
    ck_assert_uint_eq(count_char(buf, n, '\n'), 1);
    assert_matches(buf, "^" TS_RE " level=info event=dtls\\.handshake\\.failed "
                        "peer=127\\.0\\.0\\.1:5000 reason=unknown_psk_identity\n$");

    log_msg(BSD_LOG_ERROR, "x", NULL);
    drain(buf, sizeof buf);
    assert_matches(buf, "^" TS_RE " level=error event=x\n$");
    log_msg(BSD_LOG_WARN, NULL, "%s", "");
    drain(buf, sizeof buf);
    assert_matches(buf, "^" TS_RE " level=warn event=- \n$");
    msg_v(BSD_LOG_DEBUG, "", "");
    drain(buf, sizeof buf);
    assert_matches(buf, "^" TS_RE " level=debug event=-\n$");

    /* Event names are sanitized and bounded. */
    log_msg(BSD_LOG_INFO, "bad event!\n=x", "a=1");
    drain(buf, sizeof buf);
    assert_matches(buf, "^" TS_RE " level=info event=bad_event___x a=1\n$");
    char longev[200];
    memset(longev, 'e', sizeof longev - 1);
    longev[sizeof longev - 1] = '\0';
    log_msg(BSD_LOG_INFO, longev, "a=1");
    drain(buf, sizeof buf);
    assert_matches(buf, "^" TS_RE " level=info event=e{64} a=1\n$");

    /* Control bytes in the tail can never start a second line. */
    log_msg(BSD_LOG_INFO, "inject", "ep=%s", "evil\nts=fake level=error\r\x1b[0m\x7f");
    n = drain(buf, sizeof buf);
    ck_assert_uint_eq(count_char(buf, n, '\n'), 1);
    assert_matches(buf, " ep=evil\\?ts=fake level=error\\?\\?\\[0m\\?\n$");

    /* Below the level: nothing at all. */
    log_set_level(BSD_LOG_WARN);
    log_msg(BSD_LOG_INFO, "quiet", "a=1");
    ck_assert_uint_eq(drain(buf, sizeof buf), 0);
    log_set_fd(-1);
    log_msg(BSD_LOG_ERROR, "discarded", "a=1");
    log_set_fd(pfd[1]);
    ck_assert_uint_eq(drain(buf, sizeof buf), 0);

    /* errno is preserved. */
    errno = ENOTSUP;
    log_msg(BSD_LOG_ERROR, "e", "a=%d", 1);
    ck_assert_int_eq(errno, ENOTSUP);
    drain(buf, sizeof buf);
    pipe_teardown();
}
END_TEST

START_TEST(test_truncation)
{
    char buf[8192];
    pipe_setup();
    /* Prefix "ts=<24> level=info event=x" is 46 bytes; a 976-byte tail after
     * the separating space makes a line of exactly LOG_LINE_MAX with '\n'. */
    char tail[5000];
    memset(tail, 'a', sizeof tail - 1);
    tail[sizeof tail - 1] = '\0';

    tail[976] = '\0';
    log_msg(BSD_LOG_INFO, "x", "%s", tail);
    size_t n = drain(buf, sizeof buf);
    ck_assert_uint_eq(n, LOG_LINE_MAX);
    ck_assert(strstr(buf, "truncated") == NULL);
    ck_assert_int_eq(buf[n - 1], '\n');
    ck_assert_int_eq(buf[n - 2], 'a');

    tail[976] = 'a';
    tail[977] = '\0';
    log_msg(BSD_LOG_INFO, "x", "%s", tail);
    n = drain(buf, sizeof buf);
    ck_assert_uint_eq(n, LOG_LINE_MAX);
    ck_assert_uint_eq(count_char(buf, n, '\n'), 1);
    const char mark[] = LOG_TRUNCATED_MARK "\n";
    ck_assert(memcmp(buf + n - (sizeof mark - 1), mark, sizeof mark - 1) == 0);

    tail[977] = 'a';
    log_msg(BSD_LOG_INFO, "x", "k=%s k2=%s", tail, tail);
    n = drain(buf, sizeof buf);
    ck_assert_uint_eq(n, LOG_LINE_MAX);
    ck_assert_uint_eq(count_char(buf, n, '\n'), 1);
    ck_assert(memcmp(buf + n - (sizeof mark - 1), mark, sizeof mark - 1) == 0);
    pipe_teardown();
}
END_TEST

#define THREADS          4
#define LINES_PER_THREAD 2000

static void *writer(void *arg)
{
    int id = (int)(intptr_t)arg;
    char pad[600];
    memset(pad, 'p', sizeof pad - 1);
    pad[sizeof pad - 1] = '\0';
    for (int i = 0; i < LINES_PER_THREAD; i++)
        log_msg(BSD_LOG_INFO, "t.concurrent", "thread=%d seq=%d pad=%s end=1", id, i, pad);
    return NULL;
}

START_TEST(test_concurrent_lines)
{
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    log_set_fd(p[1]);
    log_set_level(BSD_LOG_INFO);
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, writer, (void *)(intptr_t)i), 0);

    /* Read everything while the writers run; check each line is whole. */
    size_t cap = (size_t)THREADS * LINES_PER_THREAD * 800, len = 0;
    char *all = malloc(cap);
    ck_assert_ptr_nonnull(all);
    size_t expect_lines = (size_t)THREADS * LINES_PER_THREAD, lines = 0;
    while (lines < expect_lines) {
        ssize_t n = read(p[0], all + len, cap - len);
        ck_assert_int_gt(n, 0);
        lines += count_char(all + len, (size_t)n, '\n');
        len += (size_t)n;
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    log_set_fd(2);

    int seen[THREADS] = {0};
    char *save = NULL;
    all[len - 1] = '\0';
    for (char *ln = strtok_r(all, "\n", &save); ln; ln = strtok_r(NULL, "\n", &save)) {
        int id = -1, seq = -1;
        const char *t = strstr(ln, " thread=");
        ck_assert_ptr_nonnull(t);
        ck_assert_int_eq(sscanf(t, " thread=%d seq=%d", &id, &seq), 2);
        ck_assert(id >= 0 && id < THREADS);
        ck_assert_int_eq(seq, seen[id]); /* in order per thread, none lost or split */
        seen[id]++;
        ck_assert_ptr_nonnull(strstr(ln, " end=1"));
        ck_assert(strncmp(ln, "ts=", 3) == 0);
        ck_assert(strstr(ln + 3, "ts=") == NULL);
    }
    for (int i = 0; i < THREADS; i++)
        ck_assert_int_eq(seen[i], LINES_PER_THREAD);
    free(all);
    close(p[0]);
    close(p[1]);
}
END_TEST

START_TEST(test_quote)
{
    char out[64];
    ck_assert_uint_eq(log_quote(out, sizeof out, (const uint8_t *)"abc", 3), 5);
    ck_assert_str_eq(out, "\"abc\"");
    log_quote(out, sizeof out, (const uint8_t *)"a\"b\\c", 5);
    ck_assert_str_eq(out, "\"a\\\"b\\\\c\"");
    log_quote(out, sizeof out, (const uint8_t *)"x\n\t\x01\x7f\x80\xff y=1", 11);
    ck_assert_str_eq(out, "\"x\\x0a\\x09\\x01\\x7f\\x80\\xff y=1\"");
    log_quote(out, sizeof out, (const uint8_t *)"a\0b", 3);
    ck_assert_str_eq(out, "\"a\\x00b\"");
    ck_assert_uint_eq(log_quote(out, sizeof out, NULL, 0), 2);
    ck_assert_str_eq(out, "\"\"");
    ck_assert_uint_eq(log_quote(out, sizeof out, NULL, 5), 2);
    ck_assert_str_eq(out, "\"\"");
    log_quote_str(out, sizeof out, "ep \"1\"");
    ck_assert_str_eq(out, "\"ep \\\"1\\\"\"");
    log_quote_str(out, sizeof out, NULL);
    ck_assert_str_eq(out, "\"\"");

    /* Exact fit, one short, escapes never split, tiny buffers. */
    ck_assert_uint_eq(log_quote(out, 6, (const uint8_t *)"abc", 3), 5);
    ck_assert_str_eq(out, "\"abc\"");
    ck_assert_uint_eq(log_quote(out, 10, (const uint8_t *)"abcdefghij", 10), 9);
    ck_assert_str_eq(out, "\"abcd\"...");
    log_quote(out, 9, (const uint8_t *)"\xff\xff", 2);
    ck_assert_str_eq(out, "\"\"...");
    log_quote(out, 10, (const uint8_t *)"\xff\xff", 2);
    ck_assert_str_eq(out, "\"\\xff\"...");
    log_quote(out, 8, (const uint8_t *)"a\"bcd", 5);
    ck_assert_str_eq(out, "\"a\"...");
    log_quote(out, 5, (const uint8_t *)"abcdef", 6);
    ck_assert_str_eq(out, "...");
    log_quote(out, 2, (const uint8_t *)"abcdef", 6);
    ck_assert_str_eq(out, ".");
    log_quote(out, 1, (const uint8_t *)"abcdef", 6);
    ck_assert_str_eq(out, "");
    ck_assert_uint_eq(log_quote(out, 0, (const uint8_t *)"abcdef", 6), 0);

    ck_assert_int_eq(LOG_QUOTE_SIZE(3), 15);
}
END_TEST

/* True if every byte of |out| from |from| to |size| is still the canary. */
static bool canary_intact(const char *out, size_t from, size_t size)
{
    for (size_t k = from; k < size; k++)
        if (out[k] != 'Z') return false;
    return true;
}

/*
 * Every capacity: NUL-terminated, never past |cap|, length returned right.
 * (Plain checks in the loops, one ck_assert per case: Check reports every
 * passing assertion to its parent process, which is slow under ASan.)
 */
START_TEST(test_quote_hex_bounds)
{
    uint8_t in[40];
    for (size_t i = 0; i < sizeof in; i++)
        in[i] = (uint8_t)(i * 37 + 3); /* mix of printable, control, high bytes */
    in[5] = '"';
    in[6] = '\\';
    char out[LOG_QUOTE_SIZE(sizeof in) + 8];
    for (size_t len = 0; len <= sizeof in; len++) {
        bool ok = true;
        for (size_t cap = 0; cap <= LOG_QUOTE_SIZE(len); cap++) {
            memset(out, 'Z', sizeof out);
            size_t n = log_quote(out, cap, in, len);
            ok = ok && canary_intact(out, cap, sizeof out);
            if (cap > 0) ok = ok && n < cap && strlen(out) == n;
            if (cap == LOG_QUOTE_SIZE(len) && len > 0) ok = ok && out[n - 1] == '"'; /* never cut */
        }
        ck_assert_msg(ok, "log_quote bounds, len %zu", len);
        for (size_t cap = 0; cap <= LOG_HEX_SIZE(len); cap++) {
            memset(out, 'Z', sizeof out);
            size_t n = log_hex(out, cap, in, len);
            ok = ok && canary_intact(out, cap, sizeof out);
            if (cap > 0) ok = ok && n < cap && strlen(out) == n;
            if (cap == LOG_HEX_SIZE(len)) ok = ok && n == 2 * len;
        }
        ck_assert_msg(ok, "log_hex bounds, len %zu", len);
    }
}
END_TEST

START_TEST(test_hex)
{
    char out[16];
    static const uint8_t b[] = {0xde, 0xad, 0xbe, 0xef, 0x00, 0x01};
    ck_assert_uint_eq(log_hex(out, sizeof out, b, 6), 12);
    ck_assert_str_eq(out, "deadbeef0001");
    ck_assert_uint_eq(log_hex(out, 13, b, 6), 12);
    ck_assert_str_eq(out, "deadbeef0001");
    ck_assert_uint_eq(log_hex(out, 12, b, 6), 11);
    ck_assert_str_eq(out, "deadbeef...");
    ck_assert_uint_eq(log_hex(out, 5, b, 6), 3);
    ck_assert_str_eq(out, "...");
    ck_assert_uint_eq(log_hex(out, 6, b, 6), 5);
    ck_assert_str_eq(out, "de...");
    ck_assert_uint_eq(log_hex(out, 3, b, 6), 2);
    ck_assert_str_eq(out, "..");
    ck_assert_uint_eq(log_hex(out, sizeof out, NULL, 0), 0);
    ck_assert_str_eq(out, "");
}
END_TEST

static Suite *log_suite(void)
{
    Suite *s = suite_create("log");
    TCase *tc = tcase_create("lines");
    tcase_add_test(tc, test_levels);
    tcase_add_test(tc, test_line_format);
    tcase_add_test(tc, test_truncation);
    tcase_add_test(tc, test_concurrent_lines);
    suite_add_tcase(s, tc);
    tc = tcase_create("helpers");
    tcase_add_test(tc, test_quote);
    tcase_add_test(tc, test_quote_hex_bounds);
    tcase_add_test(tc, test_hex);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(log_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
