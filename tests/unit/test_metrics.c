/*
 * test_metrics.c — unit tests for bsd/metrics.c: session outcomes and the
 * duration histogram from several threads, and the Prometheus text format
 * 0.0.4 (cumulative buckets, +Inf equal to _count, _sum in seconds).
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bsd/metrics.h"

/* The value of the sample line starting with |prefix| in |text|, or -1. */
static long long sample(const char *text, const char *prefix)
{
    for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        size_t n = strlen(prefix);
        if (strncmp(p, prefix, n) == 0 && p[n] == ' ') return atoll(p + n + 1);
    }
    return -1;
}

static char *render(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_int_eq(metrics_write(NULL, f), 0);
    fclose(f);
    return buf;
}

static void *feed(void *arg)
{
    for (int i = 0; i < 1000; i++)
        metrics_session_done("finished", 120);
    return arg;
}

START_TEST(test_sessions)
{
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, feed, NULL);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    metrics_session_done("timed-out", 30000);
    metrics_session_done("unauthorized", 0);
    metrics_session_done("something-new", 999999);
    metrics_session_done(NULL, 50);
    char *m = render();
    ck_assert_int_eq(sample(m, "bsd_bootstrap_sessions_total{outcome=\"finished\"}"), 4000);
    ck_assert_int_eq(sample(m, "bsd_bootstrap_sessions_total{outcome=\"timed-out\"}"), 1);
    ck_assert_int_eq(sample(m, "bsd_bootstrap_sessions_total{outcome=\"unauthorized\"}"), 1);
    ck_assert_int_eq(sample(m, "bsd_bootstrap_sessions_total{outcome=\"other\"}"), 2);
    ck_assert_int_eq(sample(m, "bsd_bootstrap_sessions_total{outcome=\"replaced\"}"), 0);
    /* 0 and 50 ms fall in le=0.05; 4000 x 120 ms in le=0.25; 30 s in le=30. */
    ck_assert_int_eq(sample(m, "bsd_bootstrap_session_duration_seconds_bucket{le=\"0.05\"}"), 2);
    ck_assert_int_eq(sample(m, "bsd_bootstrap_session_duration_seconds_bucket{le=\"0.1\"}"), 2);
    ck_assert_int_eq(sample(m, "bsd_bootstrap_session_duration_seconds_bucket{le=\"0.25\"}"), 4002);
    ck_assert_int_eq(sample(m, "bsd_bootstrap_session_duration_seconds_bucket{le=\"30\"}"), 4003);
    ck_assert_int_eq(sample(m, "bsd_bootstrap_session_duration_seconds_bucket{le=\"120\"}"), 4003);
    ck_assert_int_eq(sample(m, "bsd_bootstrap_session_duration_seconds_bucket{le=\"+Inf\"}"), 4004);
    ck_assert_int_eq(sample(m, "bsd_bootstrap_session_duration_seconds_count"), 4004);
    ck_assert_ptr_nonnull(strstr(m, "bsd_bootstrap_session_duration_seconds_sum 1510.049\n"));
    ck_assert_ptr_nonnull(strstr(m, "# TYPE bsd_bootstrap_session_duration_seconds histogram\n"));
    ck_assert_ptr_nonnull(strstr(m, "# TYPE bsd_dtls_sessions gauge\n"));
    ck_assert_int_eq(sample(m, "bsd_handshakes_total{result=\"ok\"}"), 0); /* no workers: zero */
    ck_assert_ptr_null(strstr(m, "bsd_records_stored_total"));             /* no writer: left out */
    free(m);
}
END_TEST

START_TEST(test_generation)
{
    ck_assert_uint_eq(metrics_generation(), 0);
    metrics_set_generation(3, 42);
    ck_assert_uint_eq(metrics_generation(), 3);
    char *m = render();
    ck_assert_int_eq(sample(m, "bsd_generation"), 3);
    ck_assert_int_eq(sample(m, "bsd_devices"), 42);
    free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("metrics");
    TCase *tc = tcase_create("metrics");
    tcase_add_test(tc, test_sessions);
    tcase_add_test(tc, test_generation);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK); /* the counters are process-wide: one process, in order */
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
