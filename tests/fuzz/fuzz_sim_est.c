/*
 * fuzz_sim_est.c — libFuzzer target for bsd-sim's EST DER walks
 * (tools/sim/sim_est_der.c): the PKCS#7 certs-only parser, the
 * certificate field walk on what it finds, and the SAN rewrite of a
 * CertificationRequestInfo. Input: any bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tools/sim/sim_est.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    sim_est_span_t certs[SIM_EST_MAX_CERTS], serial, spki;
    size_t n = 0;
    if (sim_est_p7_certs(data, size, certs, SIM_EST_MAX_CERTS, &n) == 0)
        for (size_t i = 0; i < n; i++)
            sim_est_cert_fields(certs[i].p, certs[i].len, &serial, &spki);
    sim_est_cert_fields(data, size, &serial, &spki);
    static uint8_t info[SIM_EST_CSR_MAX];
    if (size <= sizeof(info)) {
        size_t len = size;
        memcpy(info, data, size);
        sim_est_csr_add_san(info, &len, sizeof(info), "dev.example");
    }
    return 0;
}
