/*
 * linediff.c — unified diff of two texts (contract in linediff.h).
 *
 * Lines are compared by a 64-bit hash first and by their bytes when the
 * hashes agree. The common first and last lines are set aside; Myers'
 * greedy forward search runs on the rest and keeps, per number of edits d,
 * the furthest x reached on each diagonal k in [-d, d] (row d of the trace
 * starts at d*d), from which the edit script is read backwards. The trace
 * grows with the edits actually needed, so a small change to a large text
 * costs little; LINEDIFF_EDITS_MAX and a work budget bound the rest.
 */
#include "bsd/util/linediff.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINEDIFF_WORK_MAX 50000000u /* diagonal steps and line comparisons of one diff */

typedef struct ld_line {
    const char *p;
    size_t len; /* with the '\n', when there is one */
    uint64_t h;
} ld_line_t;

typedef struct ld_text {
    ld_line_t *l;
    size_t n;
} ld_text_t;

/* An edit script entry: ' ' keep, '-' remove from a, '+' add from b. */
typedef struct ld_op {
    char kind;
    size_t line; /* index in a (' ', '-') or b ('+') */
} ld_op_t;

typedef struct ld_buf {
    char *p;
    size_t len, cap;
    bool oom;
} ld_buf_t;

static uint64_t ld_hash(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= 1099511628211ull;
    }
    return h;
}

static int ld_split(const char *s, size_t len, ld_text_t *t)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        if (s[i] == '\n') n++;
    if (len > 0 && s[len - 1] != '\n') n++;
    if (n > LINEDIFF_LINES_MAX) return -EFBIG;
    t->n = n;
    t->l = calloc(n ? n : 1, sizeof *t->l);
    if (t->l == NULL) return -ENOMEM;
    size_t start = 0, k = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '\n' && i + 1 < len) continue;
        t->l[k].p = s + start;
        t->l[k].len = i + 1 - start;
        t->l[k].h = ld_hash(t->l[k].p, t->l[k].len);
        k++;
        start = i + 1;
    }
    return 0;
}

static bool ld_eq(const ld_line_t *x, const ld_line_t *y)
{
    return x->h == y->h && x->len == y->len && memcmp(x->p, y->p, x->len) == 0;
}

static void ld_put(ld_buf_t *b, const char *p, size_t n)
{
    if (b->oom) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *q = realloc(b->p, cap);
        if (q == NULL) {
            b->oom = true;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
    b->p[b->len] = 0;
}

static void ld_puts(ld_buf_t *b, const char *s)
{
    ld_put(b, s, strlen(s));
}

/*
 * Myers' search over a[off..off+n) and b[off..off+m) (the middle left after
 * the common prefix of |off| lines). Appends the middle's edit script to
 * |ops| (*nops entries). Returns 0, -E2BIG or -ENOMEM.
 */
static int ld_myers(const ld_text_t *a, const ld_text_t *b, size_t off, long n, long m, ld_op_t *ops,
                    size_t *nops)
{
    long dmax = n + m < LINEDIFF_EDITS_MAX ? n + m : LINEDIFF_EDITS_MAX;
    long *trace = NULL;
    size_t tcap = 0;
    uint64_t work = 0;
    long dend = -1;
    for (long d = 0; d <= dmax && dend < 0; d++) {
        size_t need = (size_t)(d + 1) * (size_t)(d + 1);
        if (need > tcap) {
            size_t cap = tcap ? tcap * 2 : 64;
            while (cap < need)
                cap *= 2;
            long *t = realloc(trace, cap * sizeof *t);
            if (t == NULL) {
                free(trace);
                return -ENOMEM;
            }
            trace = t;
            tcap = cap;
        }
        long *row = trace + d * d, *prev = d ? trace + (d - 1) * (d - 1) : NULL;
        for (long k = -d; k <= d; k += 2) {
            long x;
            /* prev[k + (d - 1)] is diagonal k of row d - 1. */
            if (d == 0)
                x = 0;
            else if (k == -d || (k != d && prev[k - 1 + d - 1] < prev[k + 1 + d - 1]))
                x = prev[k + 1 + d - 1]; /* down: a line of b added */
            else
                x = prev[k - 1 + d - 1] + 1; /* right: a line of a removed */
            long y = x - k;
            while (x < n && y < m && ld_eq(&a->l[off + (size_t)x], &b->l[off + (size_t)y])) {
                x++;
                y++;
                work++;
            }
            row[k + d] = x;
            if (++work > LINEDIFF_WORK_MAX) {
                free(trace);
                return -E2BIG;
            }
            if (x >= n && y >= m) {
                dend = d;
                break;
            }
        }
    }
    if (dend < 0) {
        free(trace);
        return -E2BIG;
    }
    /* Backwards from (n, m): the script in reverse, then flipped. */
    size_t start = *nops;
    long x = n, y = m;
    for (long d = dend; d >= 0; d--) {
        long k = x - y, px, py;
        if (d == 0) {
            px = 0;
            py = 0;
        } else {
            long *prev = trace + (d - 1) * (d - 1);
            long pk = (k == -d || (k != d && prev[k - 1 + d - 1] < prev[k + 1 + d - 1])) ? k + 1 : k - 1;
            px = prev[pk + d - 1];
            py = px - pk;
        }
        /* The snake of this step runs from the point after the edit to (x, y). */
        long sx = d == 0 ? px : (x - y == px - py + 1 ? px + 1 : px);
        while (x > sx) {
            x--;
            y--;
            ops[(*nops)++] = (ld_op_t){' ', off + (size_t)x};
        }
        if (d > 0) {
            if (x == px + 1 && y == py)
                ops[(*nops)++] = (ld_op_t){'-', off + (size_t)px};
            else
                ops[(*nops)++] = (ld_op_t){'+', off + (size_t)py};
        }
        x = px;
        y = py;
    }
    free(trace);
    for (size_t i = start, j = *nops; i + 1 < j; i++) {
        j--;
        ld_op_t t = ops[i];
        ops[i] = ops[j];
        ops[j] = t;
    }
    return 0;
}

static void ld_range(ld_buf_t *o, char sign, size_t first, size_t count)
{
    char s[64];
    /* An empty range names the line before it (diff's convention). */
    size_t start = count ? first + 1 : first;
    if (count == 1)
        snprintf(s, sizeof s, "%c%zu", sign, start);
    else
        snprintf(s, sizeof s, "%c%zu,%zu", sign, start, count);
    ld_puts(o, s);
}

static void ld_line(ld_buf_t *o, char kind, const ld_line_t *l)
{
    ld_put(o, &kind, 1);
    ld_put(o, l->p, l->len);
    if (l->len == 0 || l->p[l->len - 1] != '\n') ld_puts(o, "\n\\ No newline at end of file\n");
}

/* Writes the hunks of |ops| (|nops| entries) with |ctx| lines of context. */
static void ld_hunks(ld_buf_t *o, const ld_text_t *a, const ld_text_t *b, const ld_op_t *ops, size_t nops,
                     size_t ctx)
{
    size_t i = 0, pa = 0, pb = 0; /* lines of a and b before ops[i] */
    while (i < nops) {
        size_t c = i;
        while (c < nops && ops[c].kind == ' ')
            c++;
        if (c == nops) break;
        /* The hunk starts ctx lines before the change at c. */
        size_t h0 = c - i > ctx ? c - ctx : i;
        for (size_t j = i; j < h0; j++) {
            pa++;
            pb++;
        }
        /* It ends ctx lines after the last change that is no more than 2 * ctx
         * equal lines away from the one before. */
        size_t end = c;
        for (;;) {
            while (end < nops && ops[end].kind != ' ')
                end++;
            size_t e = end;
            while (e < nops && ops[e].kind == ' ')
                e++;
            if (e < nops && e - end <= 2 * ctx) {
                end = e;
                continue;
            }
            end = end + ctx < e ? end + ctx : e;
            break;
        }
        size_t na = 0, nb = 0;
        for (size_t j = h0; j < end; j++) {
            if (ops[j].kind != '+') na++;
            if (ops[j].kind != '-') nb++;
        }
        ld_puts(o, "@@ ");
        ld_range(o, '-', pa, na);
        ld_puts(o, " ");
        ld_range(o, '+', pb, nb);
        ld_puts(o, " @@\n");
        for (size_t j = h0; j < end; j++)
            ld_line(o, ops[j].kind, ops[j].kind == '+' ? &b->l[ops[j].line] : &a->l[ops[j].line]);
        pa += na;
        pb += nb;
        i = end;
    }
}

static bool ld_label_ok(const char *s)
{
    return s != NULL && strlen(s) <= LINEDIFF_LABEL_MAX && strchr(s, '\n') == NULL;
}

int linediff_unified(const char *a, size_t alen, const char *b, size_t blen, const char *label_a,
                     const char *label_b, unsigned context, char **out, size_t *outlen)
{
    if (out == NULL || outlen == NULL || (a == NULL && alen) || (b == NULL && blen) ||
        !ld_label_ok(label_a) || !ld_label_ok(label_b) || context > LINEDIFF_CONTEXT_MAX)
        return -EINVAL;
    *out = NULL;
    *outlen = 0;
    if (alen > LINEDIFF_TEXT_MAX || blen > LINEDIFF_TEXT_MAX) return -EFBIG;
    ld_text_t ta = {0}, tb = {0};
    ld_op_t *ops = NULL;
    ld_buf_t o = {0};
    int r = ld_split(a, alen, &ta);
    if (r == 0) r = ld_split(b, blen, &tb);
    if (r == 0) {
        ops = malloc((ta.n + tb.n + 1) * sizeof *ops);
        if (ops == NULL) r = -ENOMEM;
    }
    size_t nops = 0;
    if (r == 0) {
        size_t pre = 0, suf = 0;
        while (pre < ta.n && pre < tb.n && ld_eq(&ta.l[pre], &tb.l[pre]))
            pre++;
        while (suf < ta.n - pre && suf < tb.n - pre && ld_eq(&ta.l[ta.n - 1 - suf], &tb.l[tb.n - 1 - suf]))
            suf++;
        for (size_t i = 0; i < pre; i++)
            ops[nops++] = (ld_op_t){' ', i};
        r = ld_myers(&ta, &tb, pre, (long)(ta.n - pre - suf), (long)(tb.n - pre - suf), ops, &nops);
        for (size_t i = 0; r == 0 && i < suf; i++)
            ops[nops++] = (ld_op_t){' ', ta.n - suf + i};
    }
    if (r == 0) {
        ld_puts(&o, "");
        bool changed = false;
        for (size_t i = 0; i < nops && !changed; i++)
            changed = ops[i].kind != ' ';
        if (changed) {
            ld_puts(&o, "--- ");
            ld_puts(&o, label_a);
            ld_puts(&o, "\n+++ ");
            ld_puts(&o, label_b);
            ld_puts(&o, "\n");
            ld_hunks(&o, &ta, &tb, ops, nops, context);
        }
        if (o.oom) r = -ENOMEM;
    }
    free(ta.l);
    free(tb.l);
    free(ops);
    if (r != 0) {
        free(o.p);
        return r;
    }
    *out = o.p;
    *outlen = o.len;
    return 0;
}
