/*
 * test_linediff.c — unit tests for bsd/util/linediff.c: exact output for
 * known cases (one change, hunks merged and apart, texts without a final
 * newline, empty texts), and for random texts that the diff applied to the
 * first text gives the second and is as short as the longest common
 * subsequence allows; the limits (-E2BIG, -EFBIG, -EINVAL).
 */
#include "bsd/util/linediff.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *diff(const char *a, const char *b, unsigned ctx)
{
    char *out = NULL;
    size_t len = 0;
    ck_assert_int_eq(linediff_unified(a, strlen(a), b, strlen(b), "a", "b", ctx, &out, &len), 0);
    ck_assert_uint_eq(strlen(out), len);
    return out;
}

#define ASSERT_DIFF(a, b, ctx, want)                                                                         \
    do {                                                                                                     \
        char *got_ = diff(a, b, ctx);                                                                        \
        ck_assert_str_eq(got_, want);                                                                        \
        free(got_);                                                                                          \
    } while (0)

START_TEST(test_equal)
{
    ASSERT_DIFF("", "", 3, "");
    ASSERT_DIFF("x\ny\n", "x\ny\n", 3, "");
}
END_TEST

START_TEST(test_one_change)
{
    ASSERT_DIFF("1\n2\n3\n4\n5\n6\n7\n8\n9\n", "1\n2\n3\n4\nfive\n6\n7\n8\n9\n", 3,
                "--- a\n+++ b\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n");
    ASSERT_DIFF("a\nb\n", "a\nb\nc\n", 3, "--- a\n+++ b\n@@ -1,2 +1,3 @@\n a\n b\n+c\n");
    ASSERT_DIFF("a\nb\nc\n", "b\nc\n", 0, "--- a\n+++ b\n@@ -1 +0,0 @@\n-a\n");
    ASSERT_DIFF("", "x\ny\n", 3, "--- a\n+++ b\n@@ -0,0 +1,2 @@\n+x\n+y\n");
}
END_TEST

START_TEST(test_hunks)
{
    const char *a = "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n";
    /* Lines 2 and 11 change: 8 equal lines between them, more than 2 * 3. */
    ASSERT_DIFF(a, "1\nB\n3\n4\n5\n6\n7\n8\n9\n10\nK\n12\n", 3,
                "--- a\n+++ b\n@@ -1,5 +1,5 @@\n 1\n-2\n+B\n 3\n 4\n 5\n@@ -8,5 +8,5 @@\n 8\n 9\n "
                "10\n-11\n+K\n 12\n");
    /* Lines 2 and 8: 5 equal lines between them, one hunk. */
    ASSERT_DIFF(a, "1\nB\n3\n4\n5\n6\n7\nH\n9\n10\n11\n12\n", 3,
                "--- a\n+++ b\n@@ -1,11 +1,11 @@\n 1\n-2\n+B\n 3\n 4\n 5\n 6\n 7\n-8\n+H\n 9\n 10\n 11\n");
}
END_TEST

START_TEST(test_no_newline)
{
    ASSERT_DIFF("a\nb", "a\nb\n", 3,
                "--- a\n+++ b\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n");
    ASSERT_DIFF("a\n", "a\nc", 3, "--- a\n+++ b\n@@ -1 +1,2 @@\n a\n+c\n\\ No newline at end of file\n");
}
END_TEST

START_TEST(test_limits)
{
    char *out = (char *)"x";
    size_t len = 7;
    ck_assert_int_eq(linediff_unified("a", 1, "b", 1, "bad\nlabel", "b", 3, &out, &len), -EINVAL);
    ck_assert_int_eq(linediff_unified("a", 1, "b", 1, "a", "b", LINEDIFF_CONTEXT_MAX + 1, &out, &len),
                     -EINVAL);
    ck_assert_int_eq(linediff_unified("a", 1, "b", 1, NULL, "b", 3, &out, &len), -EINVAL);
    /* Two texts with no line in common, more lines than the edit limit. */
    size_t n = LINEDIFF_EDITS_MAX / 2 + 10;
    char *a = malloc(n * 8 + 1), *b = malloc(n * 8 + 1);
    size_t la = 0, lb = 0;
    for (size_t i = 0; i < n; i++) {
        la += (size_t)sprintf(a + la, "a%zu\n", i);
        lb += (size_t)sprintf(b + lb, "b%zu\n", i);
    }
    ck_assert_int_eq(linediff_unified(a, la, b, lb, "a", "b", 3, &out, &len), -E2BIG);
    ck_assert_ptr_null(out);
    /* One changed line in the middle of the same large text is cheap. */
    char *c = strdup(a);
    c[la / 2] = c[la / 2] == '\n' ? '\n' : 'Z';
    ck_assert_int_eq(linediff_unified(a, la, c, la, "a", "b", 3, &out, &len), 0);
    ck_assert(strstr(out, "@@ ") != NULL);
    free(out);
    /* Lines over the limit. */
    size_t big = LINEDIFF_LINES_MAX + 1;
    char *nl = malloc(big);
    memset(nl, '\n', big);
    ck_assert_int_eq(linediff_unified(nl, big, "", 0, "a", "b", 3, &out, &len), -EFBIG);
    free(nl);
    free(a);
    free(b);
    free(c);
}
END_TEST

/* ---- random texts: the diff applies and is minimal ------------------------ */

static unsigned rnd_state = 12345;
static unsigned rnd(void)
{
    rnd_state = rnd_state * 1103515245u + 12345u;
    return (rnd_state >> 16) & 0x7fff;
}

/* A text of n lines from a small alphabet, so lines repeat. */
static char *rnd_text(size_t n, size_t *len)
{
    char *s = malloc(n * 4 + 2);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        s[k++] = (char)('a' + rnd() % 4);
        s[k++] = '\n';
    }
    if (n && rnd() % 4 == 0) k--; /* sometimes no final newline */
    s[k] = 0;
    *len = k;
    return s;
}

typedef struct lines {
    char **l;
    size_t n;
} lines_t;

static lines_t split(const char *s)
{
    lines_t t = {calloc(strlen(s) + 1, sizeof(char *)), 0};
    const char *p = s;
    while (*p) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p + 1) : strlen(p);
        t.l[t.n++] = strndup(p, n);
        p += n;
    }
    return t;
}

static void lines_free(lines_t *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->l[i]);
    free(t->l);
}

/* Applies unified diff |d| to |a|; returns the result. Counts changed lines. */
static char *apply(const char *a, const char *d, size_t *changes)
{
    lines_t la = split(a), ld = split(d);
    size_t cap = strlen(a) + strlen(d) + 1, k = 0, ai = 0;
    char *out = calloc(cap, 1);
    *changes = 0;
    size_t i = 2; /* after the two header lines */
    while (i < ld.n) {
        unsigned long s1 = 0, c1 = 1, s2 = 0, c2 = 1;
        const char *h = ld.l[i];
        ck_assert(strncmp(h, "@@ -", 4) == 0);
        char *e;
        s1 = strtoul(h + 4, &e, 10);
        if (*e == ',') c1 = strtoul(e + 1, &e, 10);
        ck_assert(strncmp(e, " +", 2) == 0);
        s2 = strtoul(e + 2, &e, 10);
        if (*e == ',') c2 = strtoul(e + 1, &e, 10);
        (void)s2;
        (void)c2;
        size_t first = c1 ? s1 - 1 : s1;
        while (ai < first) {
            strcpy(out + k, la.l[ai]);
            k += strlen(la.l[ai++]);
        }
        i++;
        while (i < ld.n && ld.l[i][0] != '@') {
            char kind = ld.l[i][0];
            char *line = strdup(ld.l[i] + 1);
            int nonl = i + 1 < ld.n && ld.l[i + 1][0] == '\\';
            if (nonl) {
                line[strlen(line) - 1] = 0; /* the marker says: no '\n' */
                i++;
            }
            if (kind == ' ' || kind == '-') {
                ck_assert_str_eq(la.l[ai], line);
                ai++;
            }
            if (kind == ' ' || kind == '+') {
                strcpy(out + k, line);
                k += strlen(line);
            }
            if (kind != ' ') (*changes)++;
            free(line);
            i++;
        }
    }
    while (ai < la.n) {
        strcpy(out + k, la.l[ai]);
        k += strlen(la.l[ai++]);
    }
    lines_free(&la);
    lines_free(&ld);
    return out;
}

static size_t lcs(const char *a, const char *b)
{
    lines_t la = split(a), lb = split(b);
    size_t *t = calloc((la.n + 1) * (lb.n + 1), sizeof *t);
    for (size_t i = 1; i <= la.n; i++)
        for (size_t j = 1; j <= lb.n; j++) {
            size_t *c = &t[i * (lb.n + 1) + j];
            if (strcmp(la.l[i - 1], lb.l[j - 1]) == 0)
                *c = t[(i - 1) * (lb.n + 1) + j - 1] + 1;
            else {
                size_t u = t[(i - 1) * (lb.n + 1) + j], v = t[i * (lb.n + 1) + j - 1];
                *c = u > v ? u : v;
            }
        }
    size_t r = t[la.n * (lb.n + 1) + lb.n];
    free(t);
    size_t na = la.n, nb = lb.n;
    lines_free(&la);
    lines_free(&lb);
    return na + nb - 2 * r; /* lines removed plus added */
}

START_TEST(test_random)
{
    for (int round = 0; round < 400; round++) {
        size_t la, lb;
        char *a = rnd_text(rnd() % 30, &la), *b = rnd_text(rnd() % 30, &lb);
        unsigned ctx = rnd() % 4;
        char *d = diff(a, b, ctx);
        size_t changes = 0;
        char *got = apply(a, d, &changes);
        ck_assert_msg(strcmp(got, b) == 0, "round %d: applying\n%s\nto\n%s\ngave\n%s\nnot\n%s", round, d, a,
                      got, b);
        ck_assert_uint_eq(changes, lcs(a, b));
        free(got);
        free(d);
        free(a);
        free(b);
    }
}
END_TEST

static Suite *linediff_suite(void)
{
    Suite *s = suite_create("linediff");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_equal);
    tcase_add_test(tc, test_one_change);
    tcase_add_test(tc, test_hunks);
    tcase_add_test(tc, test_no_newline);
    tcase_add_test(tc, test_limits);
    tcase_add_test(tc, test_random);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(linediff_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
