/*
 * fuzz_linediff.c — libFuzzer target for the unified diff
 * (linediff_unified, bsd/util/linediff.c). The input is two texts split at
 * the first 0x01 byte. Checks the documented results: 0 with an output of
 * the stated length that is empty exactly when the texts are equal, or one
 * of the listed errors; and that every '-' and '+' line of the output is a
 * line of the first or second text.
 */
#include "bsd/util/linediff.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Whether the |n| bytes at |line| (with its '\n' when the text has one
 * there) are a whole line of |t|. */
static int has_line(const char *t, size_t tlen, const char *line, size_t n)
{
    for (size_t i = 0; i + n <= tlen; i++)
        if ((i == 0 || t[i - 1] == '\n') && memcmp(t + i, line, n) == 0 &&
            (line[n - 1] == '\n' || i + n == tlen))
            return 1;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *a = (const char *)data;
    const char *sep = memchr(data, 1, size);
    size_t alen = sep ? (size_t)(sep - a) : size;
    const char *b = sep ? sep + 1 : "";
    size_t blen = sep ? size - alen - 1 : 0;
    char *out = NULL;
    size_t len = 0;
    int r = linediff_unified(a, alen, b, blen, "a", "b", 3, &out, &len);
    if (r != 0) {
        if ((r != -E2BIG && r != -EFBIG && r != -ENOMEM) || out != NULL) abort();
        return 0;
    }
    if (out == NULL || strlen(out) > len) abort();
    int equal = alen == blen && memcmp(a, b, alen) == 0;
    if (equal != (len == 0)) abort();
    /* Skip the two header lines, then check each removed or added line. */
    const char *p = out, *end = out + len;
    for (int hdr = 0; hdr < 2 && p < end; hdr++)
        p = memchr(p, '\n', (size_t)(end - p)) + 1;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (nl == NULL) abort();
        size_t n = (size_t)(nl - p) + 1;
        int nonl = nl + 1 < end && nl[1] == '\\';
        if (*p == '-' || *p == '+') {
            size_t ln = nonl ? n - 2 : n - 1;
            if (ln > 0 && !(*p == '-' ? has_line(a, alen, p + 1, ln) : has_line(b, blen, p + 1, ln))) abort();
        }
        p = nl + 1;
    }
    free(out);
    return 0;
}
