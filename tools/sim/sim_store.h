/*
 * sim_store.h — the simulated client's object store: object instances and
 * typed resource values, and the Bootstrap-interface semantics applied to
 * them (Write, Delete, Finish validation, §5.2.5 unbootstrapping).
 *
 * Sans-IO and without CoAP: the CoAP side is sim_coap.c, content formats
 * sim_formats.c, link-format answers sim_discover.c, JSON dumps sim_dump.c.
 *
 * Values are kept sorted by path; string and opaque bytes live in one
 * arena per store. Memory grows on demand up to the SIM_STORE_MAX_* bounds
 * and is kept across sim_store_reset(), so a load-generator slot that is
 * reused for the next device allocates nothing.
 */
#ifndef BSD_TOOLS_SIM_STORE_H
#define BSD_TOOLS_SIM_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bsd/lwm2m/lwm2m_data.h"

#define SIM_STORE_MAX_INSTS 1024           /* object instances per device */
#define SIM_STORE_MAX_VALS  4096           /* resource (instance) values per device */
#define SIM_STORE_MAX_BYTES (512u * 1024u) /* string/opaque bytes per device */

/* Well-known objects (registry 0.xml, 1.xml, 2.xml, 3.xml, 21.xml). */
#define SIM_OBJ_SECURITY 0
#define SIM_OBJ_SERVER   1
#define SIM_OBJ_ACL      2
#define SIM_OBJ_DEVICE   3
#define SIM_OBJ_OSCORE   21

/* Behaviour flags (sim_store_t.flags). */
#define SIM_ST_UNBOOTSTRAP 0x01u /* §5.2.5 on Security-instance deletion */
#define SIM_ST_DEL_404     0x02u /* Delete of a missing instance → 4.04 (Wakaama) */
#define SIM_ST_LENIENT     0x04u /* Finish accepts "no LwM2M Server account" */
#define SIM_ST_OSCORE_V1   0x08u /* object 21 v1.x: secrets/IDs are Strings */
#define SIM_ST_LWM2M10     0x10u /* LwM2M 1.0 client: objects 0 and 1 in v1.0 */

/* Store result codes (negative); the CoAP layer maps them to codes. */
#define SIM_ST_ERR_TYPE  (-1) /* value type or shape does not fit the model → 4.00 */
#define SIM_ST_ERR_FULL  (-2) /* a SIM_STORE_MAX_* bound → 5.00 */
#define SIM_ST_ERR_EXEC  (-3) /* write to an executable resource → 4.05 */
#define SIM_ST_ERR_PATH  (-4) /* path not valid for the operation → 4.00 */
#define SIM_ST_ERR_PROT  (-5) /* protected instance (BS account) → 4.00 */
#define SIM_ST_ERR_STAT  (-6) /* static instance (/3/0) → 4.05 */
#define SIM_ST_ERR_NOENT (-7) /* no such instance → 4.04 */

typedef struct sim_inst {
    uint16_t obj, inst;
} sim_inst_t;

/* One stored value; strings and opaque bytes are arena[off .. off+len). */
typedef struct sim_val {
    lwm2m_path_t path; /* depth 3 (single) or 4 (resource instance) */
    lwm2m_type_t type; /* never LWM2M_T_RAW: TLV values are typed on entry */
    union {
        int64_t i;
        uint64_t u;
        double f;
        bool b;
        lwm2m_objlnk_t lnk;
        struct {
            uint32_t off, len;
        } bytes;
    };
} sim_val_t;

typedef struct sim_store {
    sim_inst_t *insts; /* sorted by (obj, inst) */
    size_t ninst, inst_cap;
    sim_val_t *vals; /* sorted by lwm2m_path_cmp() */
    size_t nval, val_cap;
    uint8_t *arena; /* bytes of string/opaque values (may hold garbage) */
    size_t arena_len, arena_cap;
    unsigned flags; /* SIM_ST_* */
} sim_store_t;

/* Model of a known resource: its type and whether it is multiple-instance. */
typedef struct sim_model_res {
    lwm2m_type_t type; /* LWM2M_T_NONE for executable resources */
    bool multi;
} sim_model_res_t;

/* Looks up resource |res| of object |obj| in the object model: objects 0,
 * 1, 2 and 21 from bsd/lwm2m/lwm2m_objects.h when that module is built
 * (in the versions this client claims: 0 and 1 v1.1, or v1.0 with
 * SIM_ST_LWM2M10; 2 v1.0; 21 v2.0, or v1.1 with SIM_ST_OSCORE_V1), object
 * 3 and the others from a built-in table. Returns 1 and fills |*out| when
 * known, 0 for unknown objects or resources (stored as they arrive, TLV
 * values as opaque). */
int sim_model_lookup(uint16_t obj, uint16_t res, unsigned flags, sim_model_res_t *out);

/* Types the decoded Write value |v| for resource path |p| (depth 3 or 4)
 * in place: RAW TLV bytes are read as the resource's type (LwM2M Core
 * Appendix C), SenML numbers converted where nothing is lost; unknown
 * resources keep their type (RAW becomes OPAQUE). Returns 0,
 * SIM_ST_ERR_EXEC (executable resource) or SIM_ST_ERR_TYPE (wrong type,
 * wrong length, or single/multiple mismatch). */
int sim_model_type(const lwm2m_path_t *p, unsigned flags, lwm2m_value_t *v);

/* Empties |s| (no allocation happens until the first insertion). */
void sim_store_init(sim_store_t *s, unsigned flags);

/* Forgets every instance and value, keeping the buffers. */
void sim_store_reset(sim_store_t *s, unsigned flags);

/* Frees the buffers. */
void sim_store_free(sim_store_t *s);

/* 1 if instance /obj/inst exists. */
int sim_store_has_inst(const sim_store_t *s, uint16_t obj, uint16_t inst);

/* Creates instance /obj/inst if missing. Returns 0 or SIM_ST_ERR_FULL. */
int sim_store_add_inst(sim_store_t *s, uint16_t obj, uint16_t inst);

/* Sets one value (|v| typed, not RAW) at |path| (depth 3 or 4), creating
 * the instance; an existing value at the same path is replaced. String
 * and opaque bytes are copied. Returns 0, SIM_ST_ERR_PATH or
 * SIM_ST_ERR_FULL. */
int sim_store_set(sim_store_t *s, const lwm2m_path_t *path, const lwm2m_value_t *v);

/* Convenience setters for building initial state and tests. */
int sim_store_set_int(sim_store_t *s, uint16_t obj, uint16_t inst, uint16_t res, int64_t v);
int sim_store_set_bool(sim_store_t *s, uint16_t obj, uint16_t inst, uint16_t res, bool v);
int sim_store_set_str(sim_store_t *s, uint16_t obj, uint16_t inst, uint16_t res, const char *v);
int sim_store_set_opaque(sim_store_t *s, uint16_t obj, uint16_t inst, uint16_t res, const uint8_t *p,
                         size_t len);
/* Sets resource instance /obj/inst/res/rinst to the integer |v|. */
int sim_store_set_rint(sim_store_t *s, uint16_t obj, uint16_t inst, uint16_t res, uint16_t rinst, int64_t v);

/* Returns the value at /obj/inst/res (rinst LWM2M_ID_NONE) or
 * /obj/inst/res/rinst, or NULL. Valid until the next modification. */
const sim_val_t *sim_store_get(const sim_store_t *s, uint16_t obj, uint16_t inst, uint16_t res,
                               uint16_t rinst);

/* Reads an integer / boolean single resource. Return 0, or -1 when absent
 * or of another type. */
int sim_store_get_int(const sim_store_t *s, uint16_t obj, uint16_t inst, uint16_t res, int64_t *out);
int sim_store_get_bool(const sim_store_t *s, uint16_t obj, uint16_t inst, uint16_t res, bool *out);

/* Pointer to the bytes of a string/opaque value (valid until the next
 * modification). */
const uint8_t *sim_store_bytes(const sim_store_t *s, const sim_val_t *v);

/* Instance ID of the Bootstrap-Server account (the Security instance whose
 * resource 1 is true; the lowest if several), or -1. */
int sim_store_bs_inst(const sim_store_t *s);

/*
 * Bootstrap-Write (Transport §6.4.2: applied whatever exists and whatever
 * the access rights): the |n| records |recs| (sorted, under |base|, as the
 * decoders produce them) are typed with the model — RAW TLV values are
 * interpreted in place, so |recs| is modified — and then applied. Every
 * resource present in the payload is replaced as a whole (all of its
 * instances), other resources of the instance are kept (Wakaama's merge
 * behaviour); a Write of /o/i/r/ri replaces that one resource instance.
 * Instance /o/i of a depth-2 or deeper |base| is created even if the
 * payload is empty. The typing pass runs first, so a type error changes
 * nothing. |base| "/" (depth 0) applies a whole Bootstrap-Pack.
 * Returns 0, SIM_ST_ERR_TYPE, SIM_ST_ERR_EXEC, SIM_ST_ERR_PATH (a record
 * not at depth 3/4 or not under |base|) or SIM_ST_ERR_FULL (the store may
 * then be partly written).
 */
int sim_store_write(sim_store_t *s, const lwm2m_path_t *base, lwm2m_record_t *recs, size_t n);

/*
 * Bootstrap-Delete of |p| (depth 0–2). "/" and "/obj" delete every
 * instance except the Bootstrap-Server account, the OSCORE instance it
 * links to (resource 17, Transport 1.1.1) and /3/0. An explicit delete of
 * the BS account is SIM_ST_ERR_PROT (Wakaama answers 4.00), of /3/0
 * SIM_ST_ERR_STAT (4.05, a static object); of a missing instance 0, or
 * SIM_ST_ERR_NOENT with SIM_ST_DEL_404. Depth 3 and 4 are SIM_ST_ERR_PATH.
 * With SIM_ST_UNBOOTSTRAP, every deleted non-bootstrap Security instance
 * runs sim_store_unbootstrap() for its SSID. Returns 0 or an error above.
 */
int sim_store_delete(sim_store_t *s, const lwm2m_path_t *p);

/*
 * The simple §5.2.5 the simulator offers (SIM_ST_UNBOOTSTRAP), as Anjay-like
 * clients do on their side: deletes the Server instances with SSID |ssid|,
 * removes resource instance /2/x/2/|ssid| from every Access Control
 * instance, re-elects the owner (resource 3) of an instance |ssid| owned —
 * the remaining entry with the most of Write and Delete (1 point each),
 * ties to the lowest SSID — and deletes an Access Control instance (not
 * object-level, instance 65535) left with no entries. Object instances the
 * ACLs protect are not deleted. Returns 0 or SIM_ST_ERR_FULL.
 */
int sim_store_unbootstrap(sim_store_t *s, uint16_t ssid);

/*
 * Bootstrap-Finish validation: exactly one Bootstrap-Server account; every
 * other Security instance has a Short Server ID (resource 10, 1..65534);
 * at least one such instance (unless SIM_ST_LENIENT); every Server
 * instance has an SSID (resource 0) that some non-bootstrap Security
 * instance carries. Returns 0 when consistent; otherwise -1 with a short
 * reason in |why| (|cap| bytes, may be 0).
 */
int sim_store_validate(const sim_store_t *s, char *why, size_t cap);

/*
 * Collects the values under |base| (depth 0–4) as records for an encoder,
 * sorted by path. String/opaque records point into the arena (valid until
 * the next modification). Returns 0, or LWM2M_ERR_NOSPACE when more than
 * |max| records would be needed.
 */
int sim_store_collect(const sim_store_t *s, const lwm2m_path_t *base, lwm2m_record_t *recs, size_t max,
                      size_t *n);

#endif
