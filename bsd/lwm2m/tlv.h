/*
 * tlv.h — LwM2M TLV (Content-Format 11542), sans-IO encoder and decoder.
 *
 * The wire format is LwM2M TS Core 1.1 §6.4.3 (see docs PROTOCOLS.md §5.1):
 * Type | ID (1–2 bytes) | Length (0–3 bytes) | Value, nested at most
 * Object Instance → (Multiple) Resource → Resource Instance. Payloads are
 * converted from and to the flat record list of lwm2m_data.h; nothing here
 * allocates, and decoded values point into the input buffer.
 *
 * The record list is the one lwm2m_data.h describes: depth-3 (resource) and
 * depth-4 (resource instance) records, sorted by lwm2m_path_cmp(). A
 * resource is single-instance when it appears as one depth-3 record and
 * multiple-instance when it appears as depth-4 records; it cannot be both.
 * The flat model has no way to say "an object instance with no resources"
 * or "a multiple resource with no instances": the decoder accepts such TLVs
 * and they yield no records.
 */
#ifndef BSD_LWM2M_TLV_H
#define BSD_LWM2M_TLV_H

#include "bsd/lwm2m/lwm2m_data.h"

#include <stddef.h>
#include <stdint.h>

#define TLV_MAX_VALUE_LEN 0xffffffu /* 24-bit length field: the largest TLV value */

/*
 * Encodes the Bootstrap-Write (or Write) payload for request path |target|
 * from |n| records |recs| into |out| (|cap| bytes).
 *
 * The shape follows the depth of |target|:
 *   1 (/obj)            Object Instance TLVs, each wrapping its resources;
 *   2 (/obj/inst)       the resources array (Resource and Multiple Resource
 *                       TLVs), as Leshan sends a Write to /0/1;
 *   3 (/obj/inst/res)   one Resource TLV (a single depth-3 record equal to
 *                       |target|) or one Multiple Resource TLV (depth-4
 *                       records of |target|);
 *   4 (/o/i/r/ri)       one Resource Instance TLV (a single record equal
 *                       to |target|).
 * Depth-4 records of one resource are grouped into a Multiple Resource TLV.
 *
 * Values: STRING, OPAQUE, CORELNK and RAW as their bytes; INTEGER and TIME
 * as the shortest of 1/2/4/8 bytes of big-endian two's complement (128
 * takes 2 bytes); UNSIGNED as an INTEGER (values above INT64_MAX are
 * refused, so a reader of either signedness gets the same number); FLOAT
 * as 4 bytes when the value (or an infinity) converts to IEEE single
 * precision and back unchanged, else 8 bytes (a NaN always takes 8);
 * BOOLEAN as one byte 0/1; OBJLNK as 4 bytes obj||inst. Lengths and IDs
 * use the shortest form (8-bit IDs up to 255, inline lengths up to 7).
 *
 * Returns the number of bytes written (0 for no records at depth 1 or 2),
 * or:
 *   LWM2M_ERR_PATH     |target| depth is not 1–4; a record is not at depth
 *                      3 or 4, is not under |target|, is out of order or
 *                      repeated, or a resource appears both as a depth-3
 *                      record and with instances; no record for a depth-3
 *                      or depth-4 |target|;
 *   LWM2M_ERR_RANGE    an ID (of |target| or a record) above LWM2M_MAX_ID,
 *                      an UNSIGNED above INT64_MAX, or a value, Multiple
 *                      Resource or Object Instance longer than
 *                      TLV_MAX_VALUE_LEN bytes (reported once the output
 *                      before it has fitted: a too-small |cap| may give
 *                      LWM2M_ERR_NOSPACE first);
 *   LWM2M_ERR_TYPE     a record of type LWM2M_T_NONE or unknown;
 *   LWM2M_ERR_NOSPACE  |cap| is too small (also when the payload would
 *                      exceed INT_MAX bytes).
 */
int tlv_encode(const lwm2m_path_t *target, const lwm2m_record_t *recs, size_t n, uint8_t *out, size_t cap);

/*
 * Decodes a TLV payload |in| (|len| bytes) that answers a Read or
 * Bootstrap-Read of |base| into at most |max| records |recs|; |*n| gets the
 * record count. Every value is LWM2M_T_RAW, pointing into |in| (see
 * lwm2m_raw_as_*). The records come out sorted by path.
 *
 * The expected shape follows the depth of |base|:
 *   1  Object Instance TLVs only, each holding Resource / Multiple
 *      Resource TLVs (an empty input is an object with no instances);
 *   2  Resource / Multiple Resource TLVs (possibly none); a single Object
 *      Instance TLV whose ID is |base|'s instance is also accepted and
 *      unwrapped, since some clients answer an instance Read that way;
 *   3  exactly one Resource TLV or one Multiple Resource TLV with |base|'s
 *      resource ID;
 *   4  exactly one Resource Instance TLV with |base|'s instance ID.
 * A Multiple Resource holds Resource Instance TLVs only. IDs of 16-bit
 * width and non-minimal length fields are accepted.
 *
 * Returns 0, or (with |*n| set to 0 and |recs| contents unspecified):
 *   LWM2M_ERR_FORMAT   truncated header, a length past the end of its
 *                      container, a TLV kind not allowed at its level, an
 *                      input that is empty or has trailing TLVs at depth
 *                      3/4, more than one TLV next to a wrapping Object
 *                      Instance at depth 2, the same path twice, or a
 *                      resource both single and multiple;
 *   LWM2M_ERR_PATH     |base| depth is not 1–4, or an ID that must match
 *                      |base| does not;
 *   LWM2M_ERR_RANGE    an ID of 65535 (reserved, LWM2M_ID_NONE) in the
 *                      input, or an ID of |base| above LWM2M_MAX_ID;
 *   LWM2M_ERR_NOSPACE  more than |max| records.
 */
int tlv_decode(const lwm2m_path_t *base, const uint8_t *in, size_t len, lwm2m_record_t *recs, size_t max,
               size_t *n);

#endif
