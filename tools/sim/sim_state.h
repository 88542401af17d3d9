/*
 * sim_state.h — what a simulated device keeps between runs (--state FILE),
 * as a real device keeps its configuration between bootstraps, and the
 * command-line presets that build an initial state without a file
 * (--preset-server beyond the first, --preset-inst, --preset-acl).
 *
 * The state file is one JSON line:
 *   {"bsd_sim_state":1,"endpoint":"dev-1",
 *    "instances":{"/0/0":{"0":"coap://…","1":true,"2":3},"/2/1":{"2":{"101":15}}},
 *    "types":{"/0/0":{"0":"string","1":"boolean","2":"integer"},"/2/1":{"2":{"101":"integer"}}}}
 * "instances" is the --dump object of sim_dump.h, so jq compares the two
 * directly; "types" has the same shape and names each value's type
 * (string integer unsigned float boolean opaque time objlnk corelnk). The
 * --dump text is lossy in a few corners, where the state differs from it:
 * a string or core link that is not valid UTF-8 is hex (type "string-hex",
 * "corelnk-hex"), an unsigned above 2^63-1 a decimal string, a float that
 * is not finite or is -0 one of the strings "nan" "inf" "-inf" "-0".
 * Format → parse → format is byte-identical.
 */
#ifndef BSD_TOOLS_SIM_STATE_H
#define BSD_TOOLS_SIM_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "tools/sim/sim_dump.h"
#include "tools/sim/sim_store.h"

#define SIM_STATE_VERSION      1
#define SIM_STATE_FILE_MAX     (4u << 20) /* largest state file read or written */
#define SIM_PRESET_MAX         32         /* each of --preset-server / -inst / -acl */
#define SIM_PRESET_ACL_ENTRIES 16         /* SSID=RIGHTS entries of one --preset-acl */

struct sim_cfg; /* sim.h */

/* --state: the device's persistent store (one device per run). */
typedef struct sim_state_file {
    const char *path;    /* FILE */
    const char *ep;      /* the device's endpoint name */
    sim_store_t initial; /* what the device starts with */
    int have_initial;    /* |initial| is set (loaded, or built once) */
    int loaded;          /* it came from FILE */
    sim_store_t final;   /* the store when the device ended */
    int have_final;      /* sim_state_capture() ran */
} sim_state_t;

/* One --preset-acl IID:OBJ/INST:SSID=RIGHTS,...:OWNER (Access Control
 * object 2: /2/IID/0 = OBJ, /1 = INST, /2/SSID = RIGHTS, /3 = OWNER). */
typedef struct sim_preset_acl {
    uint16_t iid, obj, inst, owner;
    uint16_t ssid[SIM_PRESET_ACL_ENTRIES];
    uint8_t rights[SIM_PRESET_ACL_ENTRIES]; /* bits R 1, W 2, E 4, D 8, C 16 */
    size_t n;
} sim_preset_acl_t;

/* The presets applied after the built-in initial state, in this order. */
typedef struct sim_presets {
    uint16_t servers[SIM_PRESET_MAX]; /* --preset-server after the first (sim_cfg_t.preset_ssid) */
    size_t nservers;
    sim_inst_t insts[SIM_PRESET_MAX]; /* --preset-inst: empty object instances */
    size_t ninsts;
    sim_preset_acl_t acls[SIM_PRESET_MAX];
    size_t nacls;
} sim_presets_t;

/* Appends the state line of |s| for endpoint |ep| (no newline); sets
 * t->err on allocation failure or beyond SIM_TEXT_MAX. */
void sim_state_format(sim_text_t *t, const sim_store_t *s, const char *ep);

/*
 * Parses the state text |buf| (|len| bytes, at most SIM_STATE_FILE_MAX)
 * into |s|, which is emptied first (its flags kept). |ep| non-NULL: the
 * state must be that endpoint's. Strict: the layout above and nothing
 * else, IDs 0..65534 written without leading zeros, values matching their
 * type, the SIM_STORE_MAX_* bounds. Returns 0, or -1 with a one-line
 * reason in |err| (|cap| bytes) that names the path and never quotes a
 * value (the file holds keys).
 */
int sim_state_parse(const char *buf, size_t len, const char *ep, sim_store_t *s, char *err, size_t cap);

/* Reads and parses FILE |path| (see sim_state_parse). Returns 0 when
 * loaded, 1 when FILE does not exist (|s| untouched), -1 with
 * "FILE: reason" in |err|. */
int sim_state_load(const char *path, const char *ep, sim_store_t *s, char *err, size_t cap);

/* Writes the state of |s| to |path| atomically: PATH.tmp (mode 0600),
 * fsync, rename, fsync of the directory. Returns 0, or -1 with
 * "FILE: reason" in |err|. */
int sim_state_save(const char *path, const sim_store_t *s, const char *ep, char *err, size_t cap);

/* Replaces the content of |dst| with a copy of |src| (|dst|'s flags
 * kept). Returns 0 or SIM_ST_ERR_FULL. */
int sim_state_copy(sim_store_t *dst, const sim_store_t *src);

/* Records the store of a device that ended (first call only). */
void sim_state_capture(sim_state_t *st, const sim_store_t *s);

/* Builds |c|'s initial state for endpoint |ep| once — the built-in state
 * and the presets, as sim_dev_reset() makes it — into st->initial, unless
 * it was loaded. Returns 0 or -1 (out of memory). */
int sim_state_build_initial(const struct sim_cfg *c, sim_state_t *st, const char *ep);

/* Frees the stores. */
void sim_state_free(sim_state_t *st);

/* Parses a --preset-acl SPEC: IDs decimal, IID/OBJ/SSID 0..65534, INST
 * and OWNER 0..65535, RIGHTS 0..31 or letters of RWEDC, entries may be
 * empty ("1:3/0::101"), no SSID twice. Returns 0 or -1. */
int sim_preset_acl_parse(const char *spec, sim_preset_acl_t *out);

/* Parses a --preset-inst /OBJ/INST (0..65534 each). Returns 0 or -1. */
int sim_preset_inst_parse(const char *s, sim_inst_t *out);

/* Checks the presets against each other and the first --preset-server
 * |first_ssid| (0 = none, which owns ACL /2/0): no SSID or ACL instance
 * given twice. Returns 0, or -1 with a reason in |err|. */
int sim_presets_check(const sim_presets_t *p, int first_ssid, char *err, size_t cap);

/* Applies |p| to |s|: each extra server account at the lowest free /0 and
 * /1 instances (NoSec, coap://127.0.0.1:5684, :5685, …), the empty
 * instances, then the ACL instances. Returns 0 or SIM_ST_ERR_FULL. */
int sim_presets_apply(sim_store_t *s, const sim_presets_t *p);

#endif
