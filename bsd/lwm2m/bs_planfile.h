/*
 * bs_planfile.h — the plans file: operator-written JSON that says, per
 * endpoint-name glob, which Bootstrap operations a device gets.
 *
 * The file is parsed and checked once (at start-up and on reload); any
 * error refuses the whole file, and the message names the file, the JSON
 * line:column for syntax errors, and a location such as
 * `plans[0].operations[3].path` for semantic ones. For a device, the daemon
 * picks the first plan whose `match` list matches its endpoint name
 * (bs_planfile_match) and compiles it into the engine's input, a bs_plan_t
 * (bs_planfile_compile), substituting `${endpoint}`.
 *
 * The format is documented in docs/PLANS.md; examples/plans.json is the
 * plan of the file-based mode. With a database, YAML policies (bsd/policy)
 * take its place; the engine (bs_session.h) only sees bs_plan_t.
 *
 * Parsing allocates (jansson, and one block per plan); matching and
 * compiling do not. A loaded bs_planfile_t is immutable and may be shared
 * by threads.
 */
#ifndef BSD_LWM2M_BS_PLANFILE_H
#define BSD_LWM2M_BS_PLANFILE_H

#include <stddef.h>
#include <stdint.h>

#include "bsd/lwm2m/bs_plan.h"

#define BS_PLANFILE_FILE_MAX    (1u << 20) /* bytes per plans file */
#define BS_PLANFILE_MAX_PLANS   256        /* plans per file */
#define BS_PLANFILE_MAX_GLOBS   32         /* entries in one plan's `match` list */
#define BS_PLANFILE_GLOB_MAX    255        /* bytes per `match` glob */
#define BS_PLANFILE_TIMEOUT_MAX 240        /* seconds; below the client's 247 s EXCHANGE_LIFETIME */
#define BS_PLANFILE_ERR_MAX     512        /* fits any message for a file name of up to 100 bytes */

/* The variable substituted in text values (strings, `{"text": …}`). */
#define BS_PLANFILE_VAR_ENDPOINT "${endpoint}"

typedef struct bs_planfile bs_planfile_t;           /* a loaded file: its plans in file order */
typedef struct bs_planfile_plan bs_planfile_plan_t; /* one plan, owned by its bs_planfile_t */

/*
 * Reads and parses the plans file at |path| (at most BS_PLANFILE_FILE_MAX
 * bytes, a regular file). Returns the loaded file, or NULL with a message
 * in |err| (|errcap| bytes; a longer message is cut, never overflowed) that
 * starts with |path|: "plans.json: cannot open: …", "plans.json: larger
 * than 1048576 bytes", or any message of bs_planfile_parse().
 */
bs_planfile_t *bs_planfile_load(const char *path, char *err, size_t errcap);

/*
 * Parses |len| bytes at |buf| (not NUL-terminated) as a plans file called
 * |name| in messages. Returns the loaded file (free with bs_planfile_free),
 * or NULL with a message in |err| naming |name|:
 *   "NAME:LINE:COLUMN: <jansson's text>"   malformed JSON, duplicate keys
 *   "NAME: LOCATION: <what is wrong>"      semantic errors, e.g.
 *       plans.json: plans[0].operations[3].path: "/0/x" is not a path
 *   "NAME: larger than 1048576 bytes", "NAME: out of memory".
 * Every check is listed in docs/PLANS.md. Never returns a partial result.
 */
bs_planfile_t *bs_planfile_parse(const char *name, const char *buf, size_t len, char *err, size_t errcap);

/* Frees |pf| and its plans (NULL is fine). */
void bs_planfile_free(bs_planfile_t *pf);

/* The number of plans in |pf| (1..BS_PLANFILE_MAX_PLANS). */
size_t bs_planfile_count(const bs_planfile_t *pf);

/* Plan |i| (file order), or NULL when |i| >= bs_planfile_count(). */
const bs_planfile_plan_t *bs_planfile_plan_at(const bs_planfile_t *pf, size_t i);

/*
 * The first plan (file order) with a `match` glob that matches |endpoint|
 * (fnmatch(3), no flags: `*` also matches `/`, `\` escapes), or NULL when
 * none does or |endpoint| is NULL.
 */
const bs_planfile_plan_t *bs_planfile_match(const bs_planfile_t *pf, const char *endpoint);

/* The plan's `name` (1..BS_PLAN_NAME_MAX-1 printable ASCII bytes) and `version`. */
const char *bs_planfile_plan_name(const bs_planfile_plan_t *p);
uint32_t bs_planfile_plan_version(const bs_planfile_plan_t *p);

/*
 * Fills |out| (caller memory; fully overwritten, unused parts zeroed) with
 * plan |p| for the device |endpoint|: every occurrence of `${endpoint}` in
 * text-derived string/opaque values becomes |endpoint|. The records' value
 * bytes point into out->bytes, so |out| must not be copied by value.
 * Pure and deterministic: no I/O, no allocation.
 * Returns 0, or with a message in |err| (|errcap| bytes, may be 0):
 *   LWM2M_ERR_LIMIT   the substituted values exceed BS_PLAN_MAX_BYTES;
 *   LWM2M_ERR_FORMAT  |endpoint| is NULL, or is not valid UTF-8 and would be
 *                     substituted into a value.
 */
int bs_planfile_compile(const bs_planfile_plan_t *p, const char *endpoint, bs_plan_t *out, char *err,
                        size_t errcap);

#endif
