/*
 * fuzz_policy.c — libFuzzer target for the policy parser (bsd/policy):
 * any input is parsed; a policy that parses is compiled for a fixed device
 * and its generated credentials exported, its `est:` section expanded, the
 * keys of `client_certificate: issue` accounts derived (and compiled with
 * and without their certificates), and the plan is dry-run through the engine, so the checks, the compiler
 * and the dry run see every accepted shape.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bsd/policy/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[POLICY_ERR_MAX];
    policy_t *p = policy_parse("fuzz.yaml", (const char *)data, size, err, sizeof err);
    if (!p) return 0;
    static const policy_label_t labels[] = {{"line", "A"}, {"site", "berlin"}};
    static const policy_device_cred_t creds[] = {{.ssid = 101,
                                                  .identity = (const uint8_t *)"id",
                                                  .identity_len = 2,
                                                  .secret = (const uint8_t *)"0123456789abcdef",
                                                  .secret_len = 16,
                                                  .oscore_secret = (const uint8_t *)"0123456789abcdef",
                                                  .oscore_secret_len = 16}};
    policy_device_t d = {
        .endpoint = "dev-1", .serial = "SN1", .labels = labels, .nlabels = 2, .creds = creds, .ncreds = 1};
    policy_ctx_t c = {.version = 1, .flags = POLICY_CTX_ROTATE_BS};
    memset(c.key, 0x5a, sizeof c.key);
    static bs_plan_t plan;
    (void)policy_matches(p, &d);
    static policy_est_t est;
    (void)policy_est(p, &d, &est, err, sizeof err);
    /* Accounts whose certificate the CA issues: the dry run's placeholder,
     * then stand-in certificates carrying the keys (the loader's part). */
    static policy_x509_issue_t is[POLICY_MAX_SERVERS];
    static uint8_t certs[POLICY_MAX_SERVERS][2 + POLICY_X509_SPKI_LEN];
    static policy_device_cert_t dc[POLICY_MAX_SERVERS];
    int nis = policy_x509_issue_keys(p, &d, &c, is, POLICY_MAX_SERVERS, err, sizeof err);
    if (nis > 0) {
        c.flags |= POLICY_CTX_CERT_PLACEHOLDER;
        (void)policy_compile(p, &d, &c, &plan, err, sizeof err);
        c.flags &= ~POLICY_CTX_CERT_PLACEHOLDER;
        for (int i = 0; i < nis; i++) {
            certs[i][0] = 0x30;
            certs[i][1] = POLICY_X509_SPKI_LEN;
            memcpy(certs[i] + 2, is[i].spki, POLICY_X509_SPKI_LEN);
            dc[i] = (policy_device_cert_t){.ssid = is[i].ssid, .der = certs[i], .der_len = sizeof certs[i]};
        }
        d.certs = dc;
        d.ncerts = (size_t)nis;
    }
    if (policy_compile(p, &d, &c, &plan, err, sizeof err) == 0) {
        static policy_cred_t out[POLICY_CRED_MAX];
        (void)policy_export_creds(p, &d, &c, out, POLICY_CRED_MAX, err, sizeof err);
        char *js = policy_dry_run_alloc(&plan, NULL, false);
        free(js);
    }
    policy_free(p);
    return 0;
}
