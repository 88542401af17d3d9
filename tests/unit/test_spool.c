/*
 * test_spool.c — the record spool (bsd/spool.c): per-worker segments,
 * reading complete lines from a position, rotation, deletion of consumed
 * segments, the pending count and the full flag, a restart that keeps
 * unconsumed records, and a torn tail.
 */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bsd/spool.h"

static char dir[64];
static char err[256];
static char buf[SPOOL_LINE_MAX + 1 + 4096];

static void setup(void)
{
    strcpy(dir, "/tmp/bsd-spool-test.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char p[512];
    while (d && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
        unlink(p);
    }
    if (d) closedir(d);
    rmdir(dir);
}

static int nfiles(void)
{
    int n = 0;
    DIR *d = opendir(dir);
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static void append(spool_t *s, unsigned w, const char *line)
{
    ck_assert_int_eq(spool_append(s, w, line, strlen(line)), 0);
}

/* Reads everything of worker |w| from |*pos| on; returns the lines joined. */
static const char *read_all(spool_t *s, unsigned w, spool_pos_t *pos)
{
    static char all[8192];
    all[0] = 0;
    for (;;) {
        spool_pos_t end;
        long n = spool_read(s, w, pos, buf, sizeof(buf), 1000, &end);
        ck_assert_int_ge(n, 0);
        if (n == 0 && end.seq == pos->seq && end.off == pos->off) break;
        strncat(all, buf, (size_t)n);
        *pos = end;
    }
    return all;
}

START_TEST(append_read_commit)
{
    spool_t *s = spool_open(dir, 2, 1 << 20, 1 << 20, err, sizeof(err));
    ck_assert_ptr_nonnull(s);
    append(s, 0, "{\"a\":1}");
    append(s, 1, "{\"b\":1}");
    append(s, 0, "{\"a\":2}");
    ck_assert_uint_eq(spool_pending_bytes(s), 24);
    spool_pos_t p0 = {0, 0}, p1 = {0, 0};
    ck_assert_str_eq(read_all(s, 0, &p0), "{\"a\":1}\n{\"a\":2}\n");
    ck_assert_str_eq(read_all(s, 1, &p1), "{\"b\":1}\n");
    /* Nothing new: the position stays. */
    spool_pos_t end;
    ck_assert_int_eq(spool_read(s, 0, &p0, buf, sizeof(buf), 10, &end), 0);
    ck_assert(end.seq == p0.seq && end.off == p0.off);
    /* A line the writer adds later is found from the same position. */
    append(s, 0, "{\"a\":3}");
    ck_assert_str_eq(read_all(s, 0, &p0), "{\"a\":3}\n");
    ck_assert_int_eq(spool_commit(s, 0, &p0), 0);
    ck_assert_int_eq(spool_commit(s, 1, &p1), 0);
    ck_assert_uint_eq(spool_pending_bytes(s), 0);
    ck_assert_int_eq(nfiles(), 2); /* still being written: kept */
    /* Bad arguments. */
    ck_assert_int_eq(spool_append(s, 2, "x", 1), SPOOL_ERR_ARG);
    ck_assert_int_eq(spool_append(s, 0, "a\nb", 3), SPOOL_ERR_ARG);
    ck_assert_int_eq(spool_append(s, 0, "", 0), SPOOL_ERR_ARG);
    spool_close(s);
}
END_TEST

START_TEST(rotation_and_deletion)
{
    /* 18-byte segments: two 9-byte records fill one. */
    spool_t *s = spool_open(dir, 1, 1 << 20, 18, err, sizeof(err));
    ck_assert_ptr_nonnull(s);
    char line[32];
    for (int i = 0; i < 6; i++) {
        snprintf(line, sizeof(line), "rec-%04d", i); /* 9 bytes with the newline */
        append(s, 0, line);
    }
    ck_assert_int_eq(nfiles(), 3);
    /* Two lines at a time, across segments. */
    spool_pos_t p = {0, 0}, end;
    long n = spool_read(s, 0, &p, buf, sizeof(buf), 2, &end);
    ck_assert_int_eq(n, 18);
    ck_assert(strncmp(buf, "rec-0000\nrec-0001\n", 18) == 0);
    p = end;
    n = spool_read(s, 0, &p, buf, sizeof(buf), 3, &end);
    ck_assert_int_eq(n, 27);
    ck_assert(strncmp(buf, "rec-0002\nrec-0003\nrec-0004\n", 27) == 0);
    ck_assert_int_eq(spool_commit(s, 0, &end), 0);
    ck_assert_uint_eq(spool_pending_bytes(s), 9);
    ck_assert_int_eq(nfiles(), 1); /* the two complete, consumed segments are gone */
    p = end;
    ck_assert_str_eq(read_all(s, 0, &p), "rec-0005\n");
    ck_assert_int_eq(spool_commit(s, 0, &p), 0);
    ck_assert_int_eq(nfiles(), 1); /* the active one stays */
    spool_close(s);
}
END_TEST

START_TEST(full_and_restart)
{
    spool_t *s = spool_open(dir, 1, 30, 1 << 20, err, sizeof(err));
    ck_assert_ptr_nonnull(s);
    append(s, 0, "0123456789");
    append(s, 0, "0123456789");
    ck_assert(!spool_full(s));
    append(s, 0, "0123456789"); /* 33 bytes pending >= 30 */
    ck_assert(spool_full(s));
    spool_pos_t p = {0, 0}, end;
    ck_assert_int_eq(spool_read(s, 0, &p, buf, sizeof(buf), 1, &end), 11);
    ck_assert_int_eq(spool_commit(s, 0, &end), 0);
    ck_assert(!spool_full(s));
    spool_close(s);
    /* A restart (with more workers): unconsumed records stay pending and
     * readable from the stored position; the writer starts a new segment. */
    s = spool_open(dir, 2, 30, 1 << 20, err, sizeof(err));
    ck_assert_ptr_nonnull(s);
    ck_assert_uint_eq(spool_pending_bytes(s), 33);
    ck_assert_uint_eq(spool_workers(s), 2);
    append(s, 0, "after");
    p = end;
    ck_assert_str_eq(read_all(s, 0, &p), "0123456789\n0123456789\nafter\n");
    ck_assert_int_eq(spool_commit(s, 0, &p), 0);
    ck_assert_uint_eq(spool_pending_bytes(s), 0);
    ck_assert_int_eq(nfiles(), 1); /* the old segment is gone, the new one is written */
    spool_close(s);
}
END_TEST

START_TEST(torn_tail_skipped)
{
    spool_t *s = spool_open(dir, 1, 1 << 20, 1 << 20, err, sizeof(err));
    append(s, 0, "whole");
    spool_close(s);
    /* A crash in the middle of a write would leave a line without '\n'. */
    char path[128];
    snprintf(path, sizeof(path), "%s/w000-0000000000000001.jsonl", dir);
    int fd = open(path, O_WRONLY | O_APPEND);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "{\"torn", 6), 6);
    close(fd);
    s = spool_open(dir, 1, 1 << 20, 1 << 20, err, sizeof(err));
    append(s, 0, "next");
    spool_pos_t p = {0, 0};
    ck_assert_str_eq(read_all(s, 0, &p), "whole\nnext\n");
    ck_assert_int_eq(spool_commit(s, 0, &p), 0);
    ck_assert_uint_eq(spool_pending_bytes(s), 0);
    spool_close(s);
}
END_TEST

START_TEST(open_errors)
{
    ck_assert_ptr_null(spool_open("/proc/nonexistent/spool", 1, 0, 1, err, sizeof(err)));
    ck_assert_ptr_nonnull(strstr(err, "cannot create the spool directory"));
    ck_assert_ptr_null(spool_open(dir, 0, 0, 1, err, sizeof(err)));
    ck_assert_ptr_null(spool_open(dir, SPOOL_MAX_WRITERS + 1, 0, 1, err, sizeof(err)));
}
END_TEST

int main(void)
{
    Suite *su = suite_create("spool");
    TCase *tc = tcase_create("spool");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, append_read_commit);
    tcase_add_test(tc, rotation_and_deletion);
    tcase_add_test(tc, full_and_restart);
    tcase_add_test(tc, torn_tail_skipped);
    tcase_add_test(tc, open_errors);
    suite_add_tcase(su, tc);
    SRunner *sr = srunner_create(su);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
