/*
 * sim_dump.h — text output of the simulator: a growable text buffer, and
 * the JSON-lines dump of a device's final object store (--dump), which
 * integration tests read to assert exactly what the server wrote.
 *
 * One line per device:
 *   {"endpoint":"dev-psk","outcome":"finished","finish_code":"2.04",
 *    "detail":"","instances":{"/0/0":{"0":"coaps://…","1":true,"2":0,
 *    "3":"6465762d70736b"},"/1/0":{"0":101,"1":86400,"7":"U"},
 *    "/2/0":{"0":3,"1":0,"2":{"101":15},"3":101},"/3/0":{…}}}
 * Instances are keyed by path, resources by ID; a multiple resource is an
 * object keyed by resource-instance ID. Strings are JSON strings (invalid
 * UTF-8 bytes become U+FFFD), opaque values lower-case hex strings,
 * integers and floats numbers, booleans true/false, object links
 * "obj:inst" strings.
 */
#ifndef BSD_TOOLS_SIM_DUMP_H
#define BSD_TOOLS_SIM_DUMP_H

#include <stddef.h>
#include <stdint.h>

#include "tools/sim/sim_store.h"

#define SIM_TEXT_MAX (8u << 20) /* largest text built (a dump line) */

typedef struct sim_text {
    char *p;         /* NUL-terminated when len > 0 */
    size_t len, cap; /* bytes used / allocated */
    int err;         /* allocation failed or SIM_TEXT_MAX exceeded */
} sim_text_t;

/* Empties |t|, keeping its buffer. */
void sim_text_reset(sim_text_t *t);

/* Frees the buffer. */
void sim_text_free(sim_text_t *t);

/* Appends printf-style text; on failure sets t->err (sticky). */
void sim_text_printf(sim_text_t *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* 1 if the |len| bytes at |s| are valid UTF-8 (what sim_text_json_str()
 * writes unchanged), else 0. */
int sim_text_utf8_valid(const uint8_t *s, size_t len);

/* Appends |len| bytes of |s| as a quoted JSON string. */
void sim_text_json_str(sim_text_t *t, const uint8_t *s, size_t len);

/* Appends |len| bytes of |s| as a quoted lower-case hex string. */
void sim_text_json_hex(sim_text_t *t, const uint8_t *s, size_t len);

/* Appends the dump object of one device (no newline); |finish_code| 0 is
 * written as null, |detail| NULL as "". */
void sim_dump_device(sim_text_t *t, const sim_store_t *s, const char *ep, const char *outcome,
                     uint8_t finish_code, const char *detail);

/* Writes one value of the store. */
typedef void (*sim_dump_val_fn)(sim_text_t *t, const sim_store_t *s, const sim_val_t *v);

/* Appends the "instances" object of a dump ({"/o/i":{"r":V,"m":{"ri":V}}},
 * empty instances as {}) with every value V written by |put|: the dump
 * passes its own value writer, the state file (sim_state.h) a lossless
 * one and a type writer. */
void sim_dump_instances(sim_text_t *t, const sim_store_t *s, sim_dump_val_fn put);

#endif
