/*
 * utf8.h — strict UTF-8 checking (RFC 3629 §4): no overlong forms, no
 * surrogates, nothing above U+10FFFF. Shared by every parser and encoder
 * that must not pass on invalid text (SenML JSON, plans, policies, the
 * device store).
 */
#ifndef BSD_UTIL_UTF8_H
#define BSD_UTIL_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Length (1..4) of the valid UTF-8 sequence at |p| (|n| bytes left, n >= 1),
 * or 0 when it is not one. */
size_t utf8_seq(const uint8_t *p, size_t n);

/* True when the |n| bytes at |s| are valid UTF-8 (NUL counts as valid). */
bool utf8_valid(const void *s, size_t n);

#endif
