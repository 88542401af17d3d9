/*
 * sim_formats.c — dispatch to the bsd/lwm2m codecs (see sim_formats.h).
 * tools/meson.build defines SIM_HAVE_<CODEC> for each codec source present
 * in bsd/lwm2m at configure time.
 */
#include "tools/sim/sim_formats.h"

#include "bsd/coap/coap_msg.h"

#if SIM_HAVE_TLV
#include "bsd/lwm2m/tlv.h"
#endif
#if SIM_HAVE_SENML_CBOR
#include "bsd/lwm2m/senml_cbor.h"
#endif
#if SIM_HAVE_SENML_JSON
#include "bsd/lwm2m/senml_json.h"
#endif

int sim_fmt_available(uint16_t cf)
{
    switch (cf) {
    case COAP_CF_LWM2M_TLV: return SIM_HAVE_TLV;
    case COAP_CF_SENML_CBOR: return SIM_HAVE_SENML_CBOR;
    case COAP_CF_SENML_JSON: return SIM_HAVE_SENML_JSON;
    default: return 0;
    }
}

const char *sim_fmt_name(uint16_t cf)
{
    switch (cf) {
    case COAP_CF_LWM2M_TLV: return "tlv";
    case COAP_CF_SENML_CBOR: return "senml-cbor";
    case COAP_CF_SENML_JSON: return "senml-json";
    case COAP_CF_LINK_FORMAT: return "link";
    default: return "other";
    }
}

int sim_fmt_decode(uint16_t cf, const lwm2m_path_t *base, const uint8_t *in, size_t len, lwm2m_record_t *recs,
                   size_t max, size_t *n, uint8_t *scratch, size_t scratch_cap)
{
    (void)base, (void)in, (void)len, (void)recs, (void)max, (void)scratch, (void)scratch_cap;
    *n = 0;
    switch (cf) {
#if SIM_HAVE_TLV
    case COAP_CF_LWM2M_TLV:
        /* An empty Write of /obj or /obj/inst is a valid (empty) TLV; the
         * decoder refuses empty input only at depth 3/4. */
        return tlv_decode(base, in, len, recs, max, n);
#endif
#if SIM_HAVE_SENML_CBOR
    case COAP_CF_SENML_CBOR: return senml_cbor_decode(base, in, len, recs, max, n);
#endif
#if SIM_HAVE_SENML_JSON
    case COAP_CF_SENML_JSON: {
        int r = senml_json_decode(base, in, len, recs, max, scratch, scratch_cap);
        if (r < 0) return r;
        *n = (size_t)r;
        return 0;
    }
#endif
    default: return SIM_FMT_UNSUPPORTED;
    }
}

int sim_fmt_encode(uint16_t cf, const lwm2m_path_t *target, const lwm2m_record_t *recs, size_t n,
                   uint8_t *out, size_t cap)
{
    (void)target, (void)recs, (void)n, (void)out, (void)cap;
    switch (cf) {
#if SIM_HAVE_TLV
    case COAP_CF_LWM2M_TLV:
        if (n == 0) return 0; /* an object or instance with no values: empty payload */
        return tlv_encode(target, recs, n, out, cap);
#endif
#if SIM_HAVE_SENML_CBOR
    case COAP_CF_SENML_CBOR: return senml_cbor_encode(target, recs, n, out, cap);
#endif
#if SIM_HAVE_SENML_JSON
    case COAP_CF_SENML_JSON: return senml_json_encode(target, recs, n, (char *)out, cap);
#endif
    default: return SIM_FMT_UNSUPPORTED;
    }
}
