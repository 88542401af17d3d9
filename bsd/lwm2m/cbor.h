/*
 * cbor.h — a minimal, bounded CBOR (RFC 8949) reader and writer on caller
 * buffers: the subset SenML CBOR (RFC 8428 §6) and OSCORE (RFC 8613) need.
 *
 * Reader: pull style. cbor_next() returns one data item at a time; strings
 * point into the input; entering an array or map pushes a level (at most
 * CBOR_MAX_DEPTH) and the end of every container is reported as a
 * CBOR_T_END item, for definite and indefinite lengths alike. Supported:
 * unsigned and negative integers of every width, definite byte and text
 * strings, definite and indefinite arrays and maps, tags (reported as
 * CBOR_T_TAG items for the caller to accept or refuse), simple values
 * false/true/null/undefined and others, and float16/32/64. Not supported:
 * indefinite-length (chunked) strings, refused with LWM2M_ERR_TYPE since a
 * chunked string cannot be returned as one pointer into the input. Text is
 * not checked for valid UTF-8; non-preferred (longer than needed) integer
 * and length encodings are accepted, as RFC 8949 §5.2 lets a generic
 * decoder do.
 *
 * Writer: each cbor_put_* appends one item head (and payload) in preferred
 * serialization (RFC 8949 §4.1: the shortest argument; floats in the
 * shortest of half/single/double that keeps the value; NaN as f97e00).
 * Errors are sticky: after the first overflow nothing more is written, and
 * cbor_writer_result() reports it.
 *
 * Error codes are the LWM2M_ERR_* values of lwm2m_data.h.
 */
#ifndef BSD_LWM2M_CBOR_H
#define BSD_LWM2M_CBOR_H

#include "bsd/lwm2m/lwm2m_data.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CBOR_MAX_DEPTH 16 /* arrays/maps open at once in a cbor_reader_t */

typedef enum cbor_type {
    CBOR_T_END = 0,   /* the enclosing container (or the input, at depth 0) has no more items */
    CBOR_T_UINT,      /* |u| */
    CBOR_T_NEGINT,    /* the value -1 - |u| */
    CBOR_T_BYTES,     /* |str| */
    CBOR_T_TEXT,      /* |str| (UTF-8 not validated) */
    CBOR_T_ARRAY,     /* |u| items (|indefinite|: unknown); the reader is now inside */
    CBOR_T_MAP,       /* |u| pairs (|indefinite|: unknown); the reader is now inside */
    CBOR_T_TAG,       /* tag number |u|; the next item is its content */
    CBOR_T_FALSE,     /* simple value 20 */
    CBOR_T_TRUE,      /* simple value 21 */
    CBOR_T_NULL,      /* simple value 22 */
    CBOR_T_UNDEFINED, /* simple value 23 */
    CBOR_T_SIMPLE,    /* another simple value |u| (0..19 or 32..255) */
    CBOR_T_FLOAT,     /* |f|, widened from half, single or double */
} cbor_type_t;

typedef struct cbor_item {
    cbor_type_t type;
    bool indefinite; /* ARRAY/MAP only: indefinite length */
    union {
        uint64_t u;
        double f;
        struct {
            const uint8_t *p; /* into the reader's input */
            size_t len;
        } str;
    };
} cbor_item_t;

typedef struct cbor_level {
    uint64_t left;   /* items (keys and values counted apart) still to come; definite only */
    bool indefinite; /* ends at a break (0xff) instead */
    bool map;        /* a map: items alternate key, value */
    bool in_value;   /* map: a key has been read, its value is due */
} cbor_level_t;

typedef struct cbor_reader {
    const uint8_t *p, *end; /* unread input */
    unsigned depth;         /* open containers */
    bool tag_pending;       /* a tag was read; its content is due */
    cbor_level_t lvl[CBOR_MAX_DEPTH];
} cbor_reader_t;

typedef struct cbor_writer {
    uint8_t *buf;
    size_t cap; /* bytes at |buf| */
    size_t len; /* bytes written so far */
    int err;    /* 0, or the first error (sticky) */
} cbor_writer_t;

/* Starts reading |len| bytes at |in| (not copied; must outlive the reader). */
void cbor_reader_init(cbor_reader_t *r, const uint8_t *in, size_t len);

/*
 * Reads the next item into |*it|. Arrays and maps are entered (their
 * elements follow); CBOR_T_END closes the innermost container and leaves
 * it, or, at depth 0, says the input is exhausted (repeatedly). A tag is
 * returned on its own; the item after it is its content.
 * Returns 0, or:
 *   LWM2M_ERR_FORMAT  not well-formed: a truncated head, string or
 *                     container, reserved additional information 28–30,
 *                     an indefinite-length integer, tag or simple value,
 *                     a break outside an indefinite container or between
 *                     a map key and its value, a two-byte simple value
 *                     below 32, a definite container announcing more
 *                     items than the remaining input could hold, or a tag
 *                     whose content is missing;
 *   LWM2M_ERR_TYPE    an indefinite-length byte or text string;
 *   LWM2M_ERR_LIMIT   a container nested deeper than CBOR_MAX_DEPTH.
 * After an error the reader must not be used again.
 */
int cbor_next(cbor_reader_t *r, cbor_item_t *it);

/*
 * Skips the next complete data item: a tag with its content, a container
 * with everything inside it.
 * Returns 0, or the errors of cbor_next(), or LWM2M_ERR_FORMAT when there is
 * no next item (the container or input has ended).
 */
int cbor_skip(cbor_reader_t *r);

/* Containers open at the current position. */
unsigned cbor_depth(const cbor_reader_t *r);

/* 1 when the whole input has been read: depth 0, no tag pending, no bytes
 * left; else 0. */
int cbor_reader_done(const cbor_reader_t *r);

/*
 * Gets an integer item's value as int64_t.
 * Returns 0, or LWM2M_ERR_TYPE (not UINT or NEGINT) or LWM2M_ERR_RANGE
 * (outside INT64_MIN..INT64_MAX).
 */
int cbor_item_int64(const cbor_item_t *it, int64_t *out);

/* Starts writing into |buf| (|cap| bytes; |buf| may be NULL when |cap| is 0). */
void cbor_writer_init(cbor_writer_t *w, uint8_t *buf, size_t cap);

/*
 * The item writers. Each returns 0, or LWM2M_ERR_NOSPACE when the item does
 * not fit (or an earlier call failed): nothing of it is written, |w->err|
 * keeps the first error.
 */
int cbor_put_uint(cbor_writer_t *w, uint64_t v);
int cbor_put_int(cbor_writer_t *w, int64_t v);
int cbor_put_negint(cbor_writer_t *w, uint64_t n); /* the value -1 - |n| (down to -2^64) */
int cbor_put_bytes(cbor_writer_t *w, const void *p, size_t len);
int cbor_put_text(cbor_writer_t *w, const char *p, size_t len);
int cbor_put_array(cbor_writer_t *w, uint64_t count); /* head only; |count| items follow */
int cbor_put_map(cbor_writer_t *w, uint64_t pairs);   /* head only; |pairs| key/value pairs follow */
int cbor_put_tag(cbor_writer_t *w, uint64_t tag);     /* head only; the content follows */
int cbor_put_bool(cbor_writer_t *w, bool b);
int cbor_put_null(cbor_writer_t *w);
int cbor_put_float(cbor_writer_t *w, double f); /* shortest of half/single/double keeping the value */

/* Returns the length written, or the sticky error (LWM2M_ERR_NOSPACE; also
 * when the length exceeds INT_MAX). */
int cbor_writer_result(const cbor_writer_t *w);

#endif
