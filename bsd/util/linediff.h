/*
 * linediff.h — a unified diff ("diff -u" format) of two texts, line by line,
 * for showing what changed between two versions of a policy. Bounded in
 * memory and time: the texts, their line counts and the number of changed
 * lines all have named limits, and a larger diff is refused, not cut.
 *
 * The edit script is the shortest one (Myers' O(ND) algorithm, "An O(ND)
 * Difference Algorithm and Its Variations", 1986) after the common first
 * and last lines are set aside, so its cost grows with the size of the
 * change, not of the texts.
 */
#ifndef BSD_UTIL_LINEDIFF_H
#define BSD_UTIL_LINEDIFF_H

#include <stddef.h>

#define LINEDIFF_TEXT_MAX    (4u << 20) /* bytes of each text */
#define LINEDIFF_LINES_MAX   100000     /* lines of each text */
#define LINEDIFF_EDITS_MAX   4000       /* lines added plus lines removed */
#define LINEDIFF_CONTEXT_MAX 100        /* context lines around a change */
#define LINEDIFF_LABEL_MAX   256        /* bytes of a file label */

/*
 * linediff_unified compares |alen| bytes of |a| with |blen| bytes of |b|
 * (any bytes; a line ends at '\n', a last line without one is marked
 * "\ No newline at end of file") and writes a unified diff with |context|
 * lines of context (at most LINEDIFF_CONTEXT_MAX) into a malloc'ed,
 * NUL-terminated *out of *outlen bytes. The header lines are
 * "--- |label_a|" and "+++ |label_b|" (labels without '\n', at most
 * LINEDIFF_LABEL_MAX bytes). Equal texts give an empty diff (*out = "").
 *
 * Returns 0; -EINVAL (NULL argument, label too long or with a newline,
 * context too large); -EFBIG (a text over LINEDIFF_TEXT_MAX bytes or
 * LINEDIFF_LINES_MAX lines); -E2BIG (more than LINEDIFF_EDITS_MAX lines
 * differ); -ENOMEM.
 */
int linediff_unified(const char *a, size_t alen, const char *b, size_t blen, const char *label_a,
                     const char *label_b, unsigned context, char **out, size_t *outlen);

#endif /* BSD_UTIL_LINEDIFF_H */
