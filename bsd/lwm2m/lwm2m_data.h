/*
 * lwm2m_data.h — the data model every LwM2M content-format codec shares.
 *
 * A payload is a flat, path-ordered list of records, one per resource value
 * (or resource instance value). This is SenML's own shape; TLV's nesting
 * (Object Instance → Multiple Resource → Resource Instance) is derived from
 * the paths when encoding and flattened when decoding. Codecs never
 * allocate: decoded strings and opaque values point into the input buffer,
 * and the caller provides the record array.
 *
 * Types follow LwM2M Core 1.1 Appendix C. TLV carries no types on the wire:
 * its decoder yields LWM2M_T_RAW values that the caller interprets with the
 * object model (lwm2m_raw_as_*).
 */
#ifndef BSD_LWM2M_LWM2M_DATA_H
#define BSD_LWM2M_LWM2M_DATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LWM2M_ID_NONE 0xffffu /* "not present" in a path; also the null objlnk half */
#define LWM2M_MAX_ID  65534u  /* largest usable object/instance/resource ID */

/* A path /obj/inst/res/rinst; |depth| says how many parts are present
 * (0 = "/", 1 = /obj, 2 = /obj/inst, 3 = /obj/inst/res, 4 = /obj/inst/res/rinst). */
typedef struct lwm2m_path {
    uint16_t obj, inst, res, rinst;
    uint8_t depth;
} lwm2m_path_t;

typedef enum lwm2m_type {
    LWM2M_T_NONE = 0,
    LWM2M_T_STRING,   /* UTF-8, |bytes| */
    LWM2M_T_INTEGER,  /* |i| */
    LWM2M_T_UNSIGNED, /* |u| */
    LWM2M_T_FLOAT,    /* |f| */
    LWM2M_T_BOOLEAN,  /* |b| */
    LWM2M_T_OPAQUE,   /* |bytes| */
    LWM2M_T_TIME,     /* |i|, seconds since the epoch */
    LWM2M_T_OBJLNK,   /* |lnk|; 65535:65535 is the null link */
    LWM2M_T_CORELNK,  /* |bytes|, RFC 6690 text */
    LWM2M_T_RAW,      /* |bytes|: an untyped TLV value, see lwm2m_raw_as_* */
} lwm2m_type_t;

typedef struct lwm2m_objlnk {
    uint16_t obj, inst;
} lwm2m_objlnk_t;

typedef struct lwm2m_value {
    lwm2m_type_t type;
    union {
        int64_t i;
        uint64_t u;
        double f;
        bool b;
        lwm2m_objlnk_t lnk;
        struct {
            const uint8_t *p; /* not NUL-terminated; may point into a decoded buffer */
            size_t len;
        } bytes;
    };
} lwm2m_value_t;

/* One value at a depth-3 (resource) or depth-4 (resource instance) path. */
typedef struct lwm2m_record {
    lwm2m_path_t path;
    lwm2m_value_t v;
} lwm2m_record_t;

/* Errors shared by the lwm2m_ codecs (negative). */
#define LWM2M_ERR_FORMAT  (-1) /* malformed input */
#define LWM2M_ERR_NOSPACE (-2) /* output buffer or record array too small */
#define LWM2M_ERR_RANGE   (-3) /* a value or ID out of range for the format */
#define LWM2M_ERR_PATH    (-4) /* records do not fit the request path / nesting */
#define LWM2M_ERR_TYPE    (-5) /* a type the format cannot carry or the caller did not expect */
#define LWM2M_ERR_LIMIT   (-6) /* a bound (depth, count, length) was exceeded */

/* Path helpers. */
lwm2m_path_t lwm2m_path(int depth, uint16_t obj, uint16_t inst, uint16_t res, uint16_t rinst);

/* Parses "/3/0/1" (also "/", "/3", "3/0"; no trailing junk, IDs 0..65534).
 * Returns 0 or LWM2M_ERR_FORMAT. */
int lwm2m_path_parse(const char *s, size_t len, lwm2m_path_t *out);

/* Writes "/3/0/1" ("/" for depth 0). Returns the length or LWM2M_ERR_NOSPACE. */
int lwm2m_path_format(const lwm2m_path_t *p, char *out, size_t cap);

/* The type's name as the object model spells it ("String", "Unsigned
 * Integer", "Objlnk", ...), "untyped" for LWM2M_T_NONE / LWM2M_T_RAW. */
const char *lwm2m_type_name(lwm2m_type_t t);

/* -1, 0, 1 ordering by (depth-aware) path: parents sort before children. */
int lwm2m_path_cmp(const lwm2m_path_t *a, const lwm2m_path_t *b);

/* 1 when |p| equals |prefix| or lies below it. */
int lwm2m_path_under(const lwm2m_path_t *p, const lwm2m_path_t *prefix);

/*
 * Sorts decoded records by path in place, then rejects a path given twice
 * and a resource given both as a value and with resource instances.
 * Returns 0 or LWM2M_ERR_FORMAT.
 */
int lwm2m_records_sort(lwm2m_record_t *recs, size_t n);

/* Interpretation of LWM2M_T_RAW (TLV) values per LwM2M Core Appendix C.
 * Each returns 0 or LWM2M_ERR_FORMAT (wrong length or value). */
int lwm2m_raw_as_int(const lwm2m_value_t *v, int64_t *out);  /* 1, 2, 4 or 8 bytes, big-endian signed */
int lwm2m_raw_as_float(const lwm2m_value_t *v, double *out); /* 4 or 8 bytes IEEE 754 */
int lwm2m_raw_as_bool(const lwm2m_value_t *v, bool *out);    /* exactly 1 byte, 0 or 1 */
int lwm2m_raw_as_objlnk(const lwm2m_value_t *v, lwm2m_objlnk_t *out); /* exactly 4 bytes */

/* A bounded text buffer for records and dry runs: |err| is set (and
 * stays) once anything did not fit; |p| is NUL-terminated while !err. */
typedef struct lwm2m_jbuf {
    char *p;
    size_t cap, n;
    int err;
} lwm2m_jbuf_t;

/* Appends printf-style text to |j|. */
void lwm2m_jprintf(lwm2m_jbuf_t *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
