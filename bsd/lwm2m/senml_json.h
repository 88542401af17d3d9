/*
 * senml_json.h — SenML JSON (Content-Format 110, RFC 8428 §4–5) for the
 * LwM2M data model of lwm2m_data.h.
 *
 * The encoder writes Bootstrap-Write payloads: compact JSON, the first
 * record carrying "bn" (the target path plus "/") and every record a
 * relative "n". The decoder reads Bootstrap-Read answers. Both are sans-IO
 * and allocation-free: decoded strings point into the input, or, when they
 * had JSON escapes or were base64, into a caller-provided scratch buffer.
 * TLV and SenML CBOR live in tlv.c and senml_cbor.c; object types (to turn
 * a "v" number into the resource's type) in lwm2m_objects.c.
 *
 * Both functions assume LC_NUMERIC is "C" (the daemon never calls
 * setlocale): floats go through snprintf("%g") and strtod. Under another
 * locale floats would fail to decode (LWM2M_ERR_FORMAT), never misdecode.
 */
#ifndef BSD_LWM2M_SENML_JSON_H
#define BSD_LWM2M_SENML_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "bsd/lwm2m/lwm2m_data.h"

#define SENML_JSON_MAX_INPUT (64u * 1024u) /* largest payload the decoder accepts */
#define SENML_JSON_MAX_DEPTH 8             /* JSON nesting, counting the pack array as 1 */
#define SENML_JSON_MAX_KEY   32            /* longest field label (after unescaping) */
#define SENML_JSON_MAX_NAME  64            /* longest bn, n and bn+n (after unescaping) */
#define SENML_JSON_MAX_NUM   64            /* longest JSON number token */
#define SENML_JSON_BVER      10            /* highest SenML version understood (RFC 8428 §4.4) */

/*
 * Encodes |n| records as a SenML JSON pack into |out| (|cap| bytes; not
 * NUL-terminated). |target| is the request path (depth 0–4); every record
 * must have depth 3 or 4 and lie under it. The first record carries
 * "bn" = target + "/" and each record "n" = the rest of its path (e.g.
 * [{"bn":"/0/1/","n":"0","vs":"…"},{"n":"1","vb":false}], PROTOCOLS.md
 * S7). A single record whose path is the target itself is written with
 * "bn" = its full path and no "n" (S1, S4).
 *
 * Values: STRING and CORELNK → "vs" (JSON-escaped; must be valid UTF-8);
 * INTEGER, UNSIGNED, TIME → "v" exact decimal; FLOAT → "v" with the
 * fewest digits that read back to the same double, always with a "." or
 * exponent so it decodes as a float again; BOOLEAN → "vb"; OPAQUE → "vd"
 * base64url without padding (Leshan rejects padding); OBJLNK → "vlo"
 * "obj:inst". An empty list gives "[]".
 *
 * Returns the number of bytes written, or:
 *   LWM2M_ERR_NOSPACE  |cap| too small;
 *   LWM2M_ERR_PATH     |target| deeper than 4, a record not at depth 3–4,
 *                      not under |target|, or equal to it while n > 1;
 *   LWM2M_ERR_RANGE    a NaN or infinite float, or a string that is not
 *                      valid UTF-8;
 *   LWM2M_ERR_TYPE     LWM2M_T_NONE, LWM2M_T_RAW or an unknown type.
 */
int senml_json_encode(const lwm2m_path_t *target, const lwm2m_record_t *recs, size_t n, char *out,
                      size_t cap);

/*
 * Decodes the SenML JSON pack |in| (|len| bytes) into |recs| (room for
 * |cap| records) and returns the record count. Records come out sorted by
 * path (lwm2m_path_cmp), whatever order the pack used.
 *
 * Names: bn persists until the next bn; the resolved name is bn + n (one
 * "/" is dropped when bn ends and n starts with one, so "/2/3"+"/0" and
 * "/2/3/"+"0" both give /2/3/0, S5). It must parse as a path of depth 3
 * or 4 lying under |base| (NULL: any path).
 *
 * Values: "vs" → STRING, pointing into |in| unless it had escapes (then
 * into |scratch|); "v" → INTEGER when integral and within int64, UNSIGNED
 * when integral and above INT64_MAX, otherwise FLOAT (integers beyond
 * uint64 too); "vb" → BOOLEAN; "vd" → OPAQUE in |scratch|; "vlo" →
 * OBJLNK. "vd" accepts base64url and standard base64 characters alike
 * (wakaama's encoder uses the standard alphabet), with no padding or
 * complete "=" padding. "bv" is added to "v" (RFC 8428 §4.6). Records
 * with a sum "s" and no value yield nothing. bt, bu, bs, u, t, ut are
 * type-checked and ignored, as are unknown labels; labels ending in "_"
 * are must-understand and rejected (RFC 8428 §4.4). An empty pack "[]"
 * gives 0 records. |scratch_cap| >= |len| always suffices.
 *
 * Returns the record count or:
 *   LWM2M_ERR_FORMAT   not JSON (RFC 8259, UTF-8, no duplicate label in a
 *                      record), not an array of objects, a field of the
 *                      wrong JSON type, bad base64 or "vlo", a record with
 *                      two values or with neither value nor sum, a
 *                      must-understand label, bver above SENML_JSON_BVER;
 *   LWM2M_ERR_PATH     a name that is not a depth 3–4 path under |base|,
 *                      or two records for the same path, or a resource
 *                      and one of its instances;
 *   LWM2M_ERR_RANGE    a number beyond the range of a double (also after
 *                      adding bv);
 *   LWM2M_ERR_NOSPACE  more than |cap| records, or |scratch| too small;
 *   LWM2M_ERR_LIMIT    |len| > SENML_JSON_MAX_INPUT, nesting deeper than
 *                      SENML_JSON_MAX_DEPTH, a label, name or number longer
 *                      than its SENML_JSON_MAX_* bound.
 */
int senml_json_decode(const lwm2m_path_t *base, const uint8_t *in, size_t len, lwm2m_record_t *recs,
                      size_t cap, uint8_t *scratch, size_t scratch_cap);

#endif
