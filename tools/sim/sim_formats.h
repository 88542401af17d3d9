/*
 * sim_formats.h — the simulator's content-format layer: the one place that
 * calls the LwM2M codecs of bsd/lwm2m (TLV 11542, SenML JSON 110, SenML
 * CBOR 112). A codec that is not built into bsd/lwm2m yet is reported as
 * unsupported (the device answers 4.15 / 4.06), so the simulator builds
 * while colleagues are still adding codecs.
 */
#ifndef BSD_TOOLS_SIM_FORMATS_H
#define BSD_TOOLS_SIM_FORMATS_H

#include <stddef.h>
#include <stdint.h>

#include "bsd/lwm2m/lwm2m_data.h"

#define SIM_FMT_UNSUPPORTED (-100) /* no codec for this Content-Format */

/* 1 if this build can decode and encode Content-Format |cf|. */
int sim_fmt_available(uint16_t cf);

/* Short name of |cf| for logs ("tlv", "senml-json", "senml-cbor", "link",
 * or "other"). */
const char *sim_fmt_name(uint16_t cf);

/*
 * Decodes a Write payload |in| (|len| bytes) in format |cf| for request
 * path |base| into at most |max| records |recs| (|*n| gets the count).
 * Values point into |in| or, for SenML JSON's base64 data, into |scratch|
 * (|scratch_cap| bytes); both must outlive the records. TLV values come
 * out as LWM2M_T_RAW (typed later by the store). Returns 0,
 * SIM_FMT_UNSUPPORTED, or a negative LWM2M_ERR_* from the codec.
 */
int sim_fmt_decode(uint16_t cf, const lwm2m_path_t *base, const uint8_t *in, size_t len, lwm2m_record_t *recs,
                   size_t max, size_t *n, uint8_t *scratch, size_t scratch_cap);

/*
 * Encodes the Read answer for |target| (records sorted, typed) in format
 * |cf| into |out| (|cap| bytes). Returns the length, SIM_FMT_UNSUPPORTED,
 * or a negative LWM2M_ERR_* from the codec.
 */
int sim_fmt_encode(uint16_t cf, const lwm2m_path_t *target, const lwm2m_record_t *recs, size_t n,
                   uint8_t *out, size_t cap);

#endif
