/*
 * senml_cbor.h — LwM2M SenML CBOR (Content-Format 112; RFC 8428 §6, LwM2M
 * Core 1.1 §7.4.5), sans-IO, on the record list of lwm2m_data.h. The CBOR
 * primitives are in cbor.h; SenML JSON lives in senml_json.h.
 *
 * Labels used (RFC 8428 §6 Table 6, plus the LwM2M "vlo" extension):
 *   -2 bn (text), 0 n (text), 2 v (int, uint or float), 3 vs (text),
 *   4 vb (bool), 8 vd (bytes), "vlo" (text "obj:inst").
 * A record's name is bn + n; a bn stays in force for the following records
 * until another bn replaces it (RFC 8428 §4.5.1).
 */
#ifndef BSD_LWM2M_SENML_CBOR_H
#define BSD_LWM2M_SENML_CBOR_H

#include "bsd/lwm2m/lwm2m_data.h"

#include <stddef.h>
#include <stdint.h>

#define SENML_CBOR_NAME_MAX 64 /* bytes of a resolved name (bn + n); a path needs 24 at most */

/*
 * Encodes |n| records |recs| (sorted, at depth 3 or 4, under |target|, as
 * for tlv_encode()) as a SenML CBOR pack for request path |target| (depth
 * 0–4) into |out| (|cap| bytes), in the layout of PROTOCOLS.md §5.2 S7: the
 * first record carries bn = |target| + "/" and n = the rest of its path
 * ("16/0" for a resource instance under an instance target); later records
 * carry only n. A record whose path equals |target| is written with bn =
 * the full path and no n (S4). Values: STRING and CORELNK as vs, OPAQUE as
 * vd, INTEGER and TIME as v (CBOR int), UNSIGNED as v (CBOR uint), FLOAT as
 * v (shortest exact CBOR float), BOOLEAN as vb (f4/f5), OBJLNK as
 * "vlo": "obj:inst". All CBOR is in preferred serialization; the array and
 * maps have definite lengths.
 *
 * Returns the number of bytes written (n = 0 gives the empty array 80), or:
 *   LWM2M_ERR_PATH     |target| deeper than 4; a record not at depth 3/4,
 *                      not under |target|, out of order, repeated, or a
 *                      resource next to its own instances;
 *   LWM2M_ERR_RANGE    an ID (of |target| or a record) above LWM2M_MAX_ID;
 *   LWM2M_ERR_TYPE     a value of type LWM2M_T_RAW, LWM2M_T_NONE or unknown;
 *   LWM2M_ERR_NOSPACE  |cap| is too small (or the pack exceeds INT_MAX).
 */
int senml_cbor_encode(const lwm2m_path_t *target, const lwm2m_record_t *recs, size_t n, uint8_t *out,
                      size_t cap);

/*
 * Decodes a SenML CBOR pack |in| (|len| bytes) that answers a Read or
 * Bootstrap-Read of |base| (depth 0–4) into at most |max| records |recs|;
 * |*n| gets the count. Records come out sorted by path; string and opaque
 * values point into |in|. An empty array is a valid, empty answer.
 *
 * Accepted: a definite or indefinite array of maps; labels -2, 0, 2, 3, 4,
 * 8 and "vlo" as above. v gives LWM2M_T_INTEGER (CBOR ints that fit
 * int64_t), LWM2M_T_UNSIGNED (larger CBOR uints) or LWM2M_T_FLOAT.
 * Ignored: bver -1 (must be an unsigned number ≤ 10), bt -3, t 6 and ut 7
 * (numbers; times do not change a Read's values), bu -4 and u 1 (text),
 * and unknown text labels not ending in "_" (RFC 8428 §4.4 lets a
 * recipient skip those; their values are skipped whatever they are).
 * Refused: every other integer label (CBOR labels are a closed set), text
 * labels ending in "_" (must-understand, RFC 8428 §4.4), and bv -5, bs -6,
 * s 5 (they would alter or replace the value).
 *
 * Returns 0, or (with |*n| set to 0 and |recs| contents unspecified):
 *   LWM2M_ERR_FORMAT   not well-formed CBOR (see cbor_next()), not an
 *                      array of maps, trailing bytes, a label refused
 *                      above, a field of the wrong CBOR type, a label twice
 *                      in one record, no value or two values in a record,
 *                      a resolved name longer than SENML_CBOR_NAME_MAX or
 *                      not a path, a bad "obj:inst" link, the same path
 *                      twice, or a resource both single and multiple;
 *   LWM2M_ERR_PATH     |base| deeper than 4, or a name not at depth 3/4 or
 *                      not under |base|;
 *   LWM2M_ERR_RANGE    a negative v below INT64_MIN, or an ID of |base|
 *                      above LWM2M_MAX_ID;
 *   LWM2M_ERR_TYPE     a CBOR tag (e.g. a tag-4 decimal fraction, which no
 *                      LwM2M client is known to send) or an indefinite-length
 *                      string;
 *   LWM2M_ERR_LIMIT    CBOR nested deeper than CBOR_MAX_DEPTH (only inside
 *                      skipped unknown fields);
 *   LWM2M_ERR_NOSPACE  more than |max| records.
 */
int senml_cbor_decode(const lwm2m_path_t *base, const uint8_t *in, size_t len, lwm2m_record_t *recs,
                      size_t max, size_t *n);

#endif
