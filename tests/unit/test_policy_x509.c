/*
 * test_policy_x509.c — x509 accounts whose key pair this server generates
 * and whose certificate its EST CA issues at bootstrap (`client_key:
 * generate` + `client_certificate: issue`, bsd/policy/policy_x509.c):
 * every refusal with its exact "file:line:column: message", what
 * policy_x509_issue_keys() asks the CA to certify (key stable per device,
 * separate per purpose, SSID and rotation; subject, names and validity from
 * `est:` or its defaults), the written form with a supplied certificate
 * (the private key checked against the certified key with wolfCrypt), a
 * missing or mismatching certificate refused, the dry-run placeholder, and
 * the planner's per-device certificate table.
 *
 * The compiler does not parse certificates: it writes the one the loader
 * supplies after checking that it carries the generated key. The tests
 * therefore supply a stand-in DER (a SEQUENCE around the key); real
 * certificates issued by the CA are checked with openssl in
 * tests/integration/test_est_boot.sh.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/ecc.h>

#include "bsd/planner.h"
#include "bsd/policy/policy.h"
#ifdef POLICY_TEST_EST_CSR
#include "bsd/est/est_csr.h"
#endif

/* A policy whose security section goes on at line 9 with |x|. */
#define X509_DOC(x)                                                                                          \
    "policy: p\n"                                                                                            \
    "match: {endpoint: \"*\"}\n"                                                                             \
    "servers:\n"                                                                                             \
    "  - ssid: 101\n"                                                                                        \
    "    uri: \"coaps://h.example\"\n"                                                                       \
    "    security:\n"                                                                                        \
    "      mode: x509\n"                                                                                     \
    "      server_certificate: {hex: 3000}\n" x

#define ISSUE_LINES                                                                                          \
    "      client_certificate: issue\n"                                                                      \
    "      client_key: generate\n"

typedef struct {
    const char *doc, *msg;
} bad_t;

static const bad_t bad[] = {
    {X509_DOC("      client_certificate: issue\n"
              "      client_key: {from: device}\n"),
     "t.yaml:10:19: client_key must be generate with client_certificate: issue (the CA certifies the key "
     "this "
     "server generates)"},
    {X509_DOC("      client_certificate: {from: device}\n"
              "      client_key: generate\n"),
     "t.yaml:10:19: client_key: generate needs client_certificate: issue (a certificate from the device "
     "cannot "
     "carry a key generated here)"},
    {X509_DOC("      client_certificate: issued\n"
              "      client_key: generate\n"),
     "t.yaml:9:27: client_certificate must be issue (with client_key: generate) or {from: device}"},
    {X509_DOC("      client_certificate: \"issue\"\n"
              "      client_key: generate\n"),
     "t.yaml:9:27: client_certificate must be issue (with client_key: generate) or {from: device}"},
    {X509_DOC("      client_certificate: {hex: 3082}\n"
              "      client_key: generate\n"),
     "t.yaml:9:27: client_certificate must be issue (with client_key: generate) or {from: device}"},
    {X509_DOC("      client_certificate: issue\n"
              "      client_key: {generate: 32}\n"),
     "t.yaml:10:30: client_key: write `generate` (the key size is fixed)"},
    {X509_DOC("      client_certificate: {from: device}\n"
              "      client_key: {from: device}\n"
              "      rotation: 2\n"),
     "t.yaml:11:17: rotation applies to x509 only with client_certificate: issue"},
    {X509_DOC(ISSUE_LINES "      rotation: -1\n"), "t.yaml:11:17: rotation must be in 0..4294967295"},
    {X509_DOC("      client_certificate: issue\n"),
     "t.yaml:7:7: security with mode x509 needs \"client_key\""},
};

START_TEST(refused)
{
    char err[POLICY_ERR_MAX];
    const bad_t *b = &bad[_i];
    policy_t *p = policy_parse("t.yaml", b->doc, strlen(b->doc), err, sizeof err);
    ck_assert_msg(p == NULL, "case %d parsed", _i);
    ck_assert_str_eq(err, b->msg);
}
END_TEST

/* ---- helpers ---- */

static policy_t *parse_ok(const char *doc)
{
    char err[POLICY_ERR_MAX];
    policy_t *p = policy_parse("t.yaml", doc, strlen(doc), err, sizeof err);
    ck_assert_msg(p != NULL, "%s", err);
    return p;
}

static policy_device_t dev(const char *ep)
{
    policy_device_t d = {.endpoint = ep, .serial = "SN-0042"};
    return d;
}

static policy_ctx_t ctx_of(uint8_t fill, uint32_t flags)
{
    policy_ctx_t c = {.version = 3, .flags = flags};
    memset(c.key, fill, sizeof c.key);
    return c;
}

/* The one issue account of |p| for |d|. */
static policy_x509_issue_t issue_of(const policy_t *p, const policy_device_t *d, const policy_ctx_t *c)
{
    policy_x509_issue_t is[POLICY_MAX_SERVERS];
    char err[POLICY_ERR_MAX];
    int n = policy_x509_issue_keys(p, d, c, is, POLICY_MAX_SERVERS, err, sizeof err);
    ck_assert_msg(n == 1, "%d %s", n, err);
    return is[0];
}

/* A stand-in certificate: SEQUENCE { the SubjectPublicKeyInfo }. */
static size_t fake_cert(const uint8_t spki[POLICY_X509_SPKI_LEN], uint8_t out[2 + POLICY_X509_SPKI_LEN])
{
    out[0] = 0x30;
    out[1] = POLICY_X509_SPKI_LEN;
    memcpy(out + 2, spki, POLICY_X509_SPKI_LEN);
    return 2 + POLICY_X509_SPKI_LEN;
}

static bs_plan_t plan;

static const lwm2m_record_t *sec_rec(uint16_t res)
{
    const bs_op_t *op = &plan.ops[1]; /* Discover, then the Security instance */
    for (uint32_t k = 0; k < op->nrecs; k++)
        if (plan.recs[op->first_rec + k].path.res == res) return &plan.recs[op->first_rec + k];
    ck_abort_msg("no /0/x/%u", res);
    return NULL;
}

static int sec_secret(uint16_t res)
{
    const lwm2m_record_t *r = sec_rec(res);
    return plan.rec_secret[r - plan.recs];
}

/* ---- what the CA certifies ---- */

START_TEST(issue_keys_stable_and_separate)
{
    policy_t *p = parse_ok(X509_DOC(ISSUE_LINES));
    ck_assert_uint_eq(policy_x509_issue_count(p), 1);
    policy_device_t d = dev("dev-1");
    policy_ctx_t c = ctx_of(7, 0);
    policy_x509_issue_t a = issue_of(p, &d, &c), b = issue_of(p, &d, &c);
    ck_assert_uint_eq(a.ssid, 101);
    ck_assert(memcmp(a.spki, b.spki, sizeof a.spki) == 0);
    /* A P-256 SubjectPublicKeyInfo (RFC 5480): id-ecPublicKey, prime256v1. */
    ck_assert_uint_eq(a.spki[0], 0x30);
    ck_assert_uint_eq(a.spki[1], 0x59);
    ck_assert_uint_eq(a.spki[26], 0x04);
    /* Defaults without an est: section. */
    ck_assert_str_eq(a.est.subject, "CN=dev-1");
    ck_assert_uint_eq(a.est.nsan, 0);
    ck_assert_uint_eq(a.est.validity_days, 365);
    /* Another device, another derivation key: another key pair. */
    d = dev("dev-2");
    b = issue_of(p, &d, &c);
    ck_assert(memcmp(a.spki, b.spki, sizeof a.spki) != 0);
    d = dev("dev-1");
    c = ctx_of(8, 0);
    b = issue_of(p, &d, &c);
    ck_assert(memcmp(a.spki, b.spki, sizeof a.spki) != 0);
    policy_free(p);
    /* rotation: a new key, so a new certificate. */
    c = ctx_of(7, 0);
    p = parse_ok(X509_DOC(ISSUE_LINES "      rotation: 1\n"));
    b = issue_of(p, &d, &c);
    ck_assert(memcmp(a.spki, b.spki, sizeof a.spki) != 0);
    policy_free(p);
    /* The same device and SSID with a generated raw public key: the
     * purposes are separate, so the keys differ. */
    p = parse_ok(
        "policy: r\nmatch: {endpoint: \"*\"}\nservers:\n  - ssid: 101\n    uri: \"coaps://h.example\"\n"
        "    security: {mode: rpk, client_key: generate, server_public_key: "
        "{hex: 3059301306072a8648ce3d020106082a8648ce3d030107034200041111111111111111111111111111111111"
        "111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111111"
        "1}}\n");
    ck_assert_uint_eq(policy_x509_issue_count(p), 0);
    ck_assert_int_eq(policy_x509_issue_keys(p, &d, &c, NULL, 0, NULL, 0), 0);
    ck_assert_int_eq(policy_compile(p, &d, &c, &plan, NULL, 0), 0);
    ck_assert_uint_eq(sec_rec(3)->v.bytes.len, POLICY_X509_SPKI_LEN);
    ck_assert(memcmp(sec_rec(3)->v.bytes.p, a.spki, sizeof a.spki) != 0);
    policy_free(p);
}
END_TEST

START_TEST(issue_subject_from_est)
{
    policy_t *p = parse_ok(
        X509_DOC(ISSUE_LINES) "est:\n"
                              "  subject: \"CN=${endpoint},O=Acme\\\\, Inc.,SERIALNUMBER=${serial}\"\n"
                              "  subject_alt_names: {dns: [\"${endpoint}.devices.example\"]}\n"
                              "  validity_days: 30\n");
    policy_device_t d = dev("dev-1");
    policy_ctx_t c = ctx_of(7, 0);
    policy_x509_issue_t a = issue_of(p, &d, &c);
    ck_assert_str_eq(a.est.subject, "CN=dev-1,O=Acme\\, Inc.,SERIALNUMBER=SN-0042");
    ck_assert_uint_eq(a.est.nsan, 1);
    ck_assert_int_eq(a.est.san[0].type, POLICY_EST_SAN_DNS);
    ck_assert_str_eq(a.est.san[0].value, "dev-1.devices.example");
    ck_assert_uint_eq(a.est.validity_days, 30);
#ifdef POLICY_TEST_EST_CSR
    /* What the loader hands est_name_der(), and the text it records. */
    uint8_t der[512];
    char back[EST_NAME_STR_MAX];
    int n = est_name_der(a.est.subject, der, sizeof der);
    ck_assert_int_gt(n, 0);
    ck_assert_int_eq(est_name_str(der, (size_t)n, back, sizeof back), (int)strlen(a.est.subject));
    ck_assert_str_eq(back, a.est.subject);
#endif
    /* A device the subject cannot be filled for: an error, no key. */
    d.serial = NULL;
    policy_x509_issue_t is[1];
    char err[POLICY_ERR_MAX];
    ck_assert_int_eq(policy_x509_issue_keys(p, &d, &c, is, 1, err, sizeof err), POLICY_ERR_DEVICE);
    ck_assert_str_eq(err, "p: est.subject: the device has no serial for ${serial}");
    d = dev("dev-1");
    ck_assert_int_eq(policy_x509_issue_keys(p, &d, &c, is, 0, err, sizeof err), POLICY_ERR_NOSPACE);
    ck_assert_int_eq(policy_x509_issue_keys(p, NULL, &c, is, 1, err, sizeof err), POLICY_ERR_ARG);
    policy_free(p);
}
END_TEST

/* ---- the written form ---- */

START_TEST(written_with_certificate)
{
    policy_t *p = parse_ok(X509_DOC(ISSUE_LINES "      certificate_usage: 3\n"));
    policy_device_t d = dev("dev-1");
    policy_ctx_t c = ctx_of(7, 0);
    policy_x509_issue_t is = issue_of(p, &d, &c);
    uint8_t cert[2 + POLICY_X509_SPKI_LEN];
    size_t cl = fake_cert(is.spki, cert);
    policy_device_cert_t dc[2] = {{.ssid = 7, .der = (const uint8_t *)"\x30\x00", .der_len = 2},
                                  {.ssid = 101, .der = cert, .der_len = cl}};
    d.certs = dc;
    d.ncerts = 2;
    char err[POLICY_ERR_MAX];
    ck_assert_msg(policy_compile(p, &d, &c, &plan, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(sec_rec(2)->v.i, 2);
    const lwm2m_record_t *r3 = sec_rec(3), *r4 = sec_rec(4), *r5 = sec_rec(5);
    ck_assert_int_eq(r3->v.type, LWM2M_T_OPAQUE);
    ck_assert_uint_eq(r3->v.bytes.len, cl);
    ck_assert(memcmp(r3->v.bytes.p, cert, cl) == 0);
    ck_assert_int_eq(sec_secret(3), 0);
    ck_assert_uint_eq(r4->v.bytes.len, 2); /* server_certificate */
    ck_assert_uint_eq(sec_rec(15)->v.u, 3);
    ck_assert_int_eq(r5->v.type, LWM2M_T_OPAQUE);
    ck_assert_uint_eq(r5->v.bytes.len, 138);
    ck_assert_int_eq(sec_secret(5), 1);
    /* /0/x/5 is the PKCS#8 private key of exactly the certified key. */
    uint8_t der[200], pub[65];
    memcpy(der, r5->v.bytes.p, r5->v.bytes.len);
    word32 off = 0, idx, publen = sizeof pub;
    ck_assert_int_gt(wc_GetPkcs8TraditionalOffset(der, &off, (word32)r5->v.bytes.len), 0);
    ecc_key k;
    ck_assert_int_eq(wc_ecc_init(&k), 0);
    idx = off;
    ck_assert_int_eq(wc_EccPrivateKeyDecode(der, &idx, &k, (word32)r5->v.bytes.len), 0);
    ck_assert_int_eq(wc_ecc_check_key(&k), 0);
    ck_assert_int_eq(wc_ecc_export_x963(&k, pub, &publen), 0);
    ck_assert_uint_eq(publen, 65);
    ck_assert(memcmp(pub, is.spki + 26, 65) == 0);
    wc_ecc_free(&k);
    /* Not a credential for the LwM2M Server's store: it trusts the CA. */
    policy_cred_t cr[4];
    ck_assert_int_eq(policy_export_creds(p, &d, &c, cr, 4, err, sizeof err), 0);
    policy_free(p);
}
END_TEST

START_TEST(missing_or_foreign_certificate)
{
    policy_t *p = parse_ok(X509_DOC(ISSUE_LINES));
    policy_device_t d = dev("dev-1");
    policy_ctx_t c = ctx_of(7, 0);
    char err[POLICY_ERR_MAX];
    memset(&plan, 0x5a, sizeof plan);
    ck_assert_int_eq(policy_compile(p, &d, &c, &plan, err, sizeof err), POLICY_ERR_DEVICE);
    ck_assert_str_eq(err, "p: ssid 101: no certificate issued (is est.ca_cert configured?)");
    ck_assert_uint_eq(plan.nops, 0); /* nothing half-compiled left behind */
    ck_assert_uint_eq(plan.nbytes, 0);
    /* A certificate for another account does not count. */
    policy_x509_issue_t is = issue_of(p, &d, &c);
    uint8_t cert[2 + POLICY_X509_SPKI_LEN];
    size_t cl = fake_cert(is.spki, cert);
    policy_device_cert_t dc = {.ssid = 102, .der = cert, .der_len = cl};
    d.certs = &dc;
    d.ncerts = 1;
    ck_assert_int_eq(policy_compile(p, &d, &c, &plan, err, sizeof err), POLICY_ERR_DEVICE);
    ck_assert_str_eq(err, "p: ssid 101: no certificate issued (is est.ca_cert configured?)");
    /* The certificate of another key (another device's, or before a
     * rotation) is refused, never written with this key. */
    dc.ssid = 101;
    policy_device_t other = dev("dev-2");
    policy_x509_issue_t is2 = issue_of(p, &other, &c);
    fake_cert(is2.spki, cert);
    ck_assert_int_eq(policy_compile(p, &d, &c, &plan, err, sizeof err), POLICY_ERR_DEVICE);
    ck_assert_str_eq(err, "p: ssid 101: the issued certificate does not carry the generated key");
    dc.der_len = 10;
    ck_assert_int_eq(policy_compile(p, &d, &c, &plan, err, sizeof err), POLICY_ERR_DEVICE);
    ck_assert_str_eq(err, "p: ssid 101: the issued certificate does not carry the generated key");
    /* With the right one it compiles. */
    fake_cert(is.spki, cert);
    dc.der_len = cl;
    ck_assert_int_eq(policy_compile(p, &d, &c, &plan, err, sizeof err), 0);
    policy_free(p);
}
END_TEST

START_TEST(dry_run_placeholder)
{
    policy_t *p = parse_ok(X509_DOC(ISSUE_LINES));
    policy_device_t d = dev("dev-1");
    policy_ctx_t c = ctx_of(7, POLICY_CTX_CERT_PLACEHOLDER);
    char err[POLICY_ERR_MAX];
    ck_assert_msg(policy_compile(p, &d, &c, &plan, err, sizeof err) == 0, "%s", err);
    const lwm2m_record_t *r3 = sec_rec(3);
    ck_assert_int_eq(r3->v.type, LWM2M_T_STRING);
    ck_assert_uint_eq(r3->v.bytes.len, strlen(POLICY_CERT_PLACEHOLDER));
    ck_assert(memcmp(r3->v.bytes.p, POLICY_CERT_PLACEHOLDER, r3->v.bytes.len) == 0);
    ck_assert_uint_eq(sec_rec(5)->v.bytes.len, 138);
    char *json = policy_dry_run_alloc(&plan, NULL, false);
    ck_assert_ptr_nonnull(json);
    ck_assert_msg(strstr(json, "{\"path\":\"/0/1/3\",\"type\":\"string\",\"value\":\"" POLICY_CERT_PLACEHOLDER
                               "\"}") != NULL,
                  "%s", json);
    ck_assert_msg(strstr(json, "{\"path\":\"/0/1/5\",\"type\":\"opaque\",\"value\":\"<redacted>\"}") != NULL,
                  "%s", json);
    free(json);
    /* A stored certificate wins over the placeholder. */
    policy_x509_issue_t is = issue_of(p, &d, &c);
    uint8_t cert[2 + POLICY_X509_SPKI_LEN];
    policy_device_cert_t dc = {.ssid = 101, .der = cert, .der_len = fake_cert(is.spki, cert)};
    d.certs = &dc;
    d.ncerts = 1;
    ck_assert_int_eq(policy_compile(p, &d, &c, &plan, err, sizeof err), 0);
    ck_assert_int_eq(sec_rec(3)->v.type, LWM2M_T_OPAQUE);
    ck_assert_uint_eq(sec_rec(3)->v.bytes.len, dc.der_len);
    policy_free(p);
}
END_TEST

/* ---- the planner's table ---- */

START_TEST(planner_certificates)
{
    policy_t *ps[2] = {
        parse_ok(X509_DOC(ISSUE_LINES)),
        parse_ok("policy: other\npriority: 1\nmatch: {endpoint: \"psk-*\"}\nservers:\n  - ssid: 1\n"
                 "    uri: \"coaps://h.example\"\n    security: {mode: psk, psk_key: generate}\n")};
    uint32_t versions[2] = {3, 1};
    uint8_t key[POLICY_KEY_LEN];
    memset(key, 7, sizeof key);
    bsd_planner_t *pl = bsd_planner_from_policies(ps, versions, 2, key);
    ck_assert_ptr_nonnull(pl);
    ck_assert_int_eq(bsd_planner_issues_certs(pl), 1);
    ck_assert_int_eq(bsd_planner_add_device(pl, "dev-1", NULL, NULL, 0), 0);
    ck_assert_int_eq(bsd_planner_add_device(pl, "psk-1", NULL, NULL, 0), 0);
    policy_x509_issue_t is[POLICY_MAX_SERVERS];
    char err[300];
    ck_assert_int_eq(bsd_planner_x509_issue(pl, "dev-1", is, POLICY_MAX_SERVERS, err, sizeof err), 1);
    ck_assert_uint_eq(is[0].ssid, 101);
    ck_assert_int_eq(bsd_planner_x509_issue(pl, "psk-1", is, POLICY_MAX_SERVERS, err, sizeof err), 0);
    /* The key the planner asks to certify is the policy's for that device. */
    policy_device_t d = dev("dev-1");
    d.serial = NULL;
    policy_ctx_t c = ctx_of(7, 0);
    policy_x509_issue_t direct = issue_of(ps[0], &d, &c);
    ck_assert(memcmp(direct.spki, is[0].spki, sizeof direct.spki) == 0);
    creds_device_t cd = {.endpoint = (char *)"dev-1"};
    ck_assert_int_eq(bsd_planner_plan(pl, &cd, 0, &plan, err, sizeof err), BSD_PLANNER_FAIL);
    ck_assert_str_eq(err, "policy p v3: p: ssid 101: no certificate issued (is est.ca_cert configured?)");
    uint8_t cert[2 + POLICY_X509_SPKI_LEN], wrong[4] = {0x30, 0x02, 0x05, 0x00};
    size_t cl = fake_cert(is[0].spki, cert);
    ck_assert_int_eq(bsd_planner_add_cert(pl, "dev-1", 101, wrong, sizeof wrong), 0);
    ck_assert_int_eq(bsd_planner_plan(pl, &cd, 0, &plan, err, sizeof err), BSD_PLANNER_FAIL);
    /* A second certificate for the account replaces the first. */
    ck_assert_int_eq(bsd_planner_add_cert(pl, "dev-1", 101, cert, cl), 0);
    ck_assert_msg(bsd_planner_plan(pl, &cd, 0, &plan, err, sizeof err) == 0, "%s", err);
    ck_assert_uint_eq(sec_rec(3)->v.bytes.len, cl);
    ck_assert(memcmp(sec_rec(3)->v.bytes.p, cert, cl) == 0);
    ck_assert_int_eq(bsd_planner_add_cert(pl, "nobody", 101, cert, cl), -1);
    ck_assert_int_eq(bsd_planner_add_cert(pl, "dev-1", 101, NULL, 0), -1);
    /* Registering the device again drops what it had. */
    ck_assert_int_eq(bsd_planner_add_device(pl, "dev-1", NULL, NULL, 0), 0);
    ck_assert_int_eq(bsd_planner_plan(pl, &cd, 0, &plan, err, sizeof err), BSD_PLANNER_FAIL);
    bsd_planner_free(pl);
    /* A plans file issues nothing. */
    pl = bsd_planner_from_planfile(NULL);
    ck_assert_int_eq(bsd_planner_issues_certs(pl), 0);
    ck_assert_int_eq(bsd_planner_x509_issue(pl, "dev-1", is, POLICY_MAX_SERVERS, err, sizeof err), 0);
    ck_assert_int_eq(bsd_planner_add_cert(pl, "dev-1", 101, cert, cl), -1);
    bsd_planner_free(pl);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("policy_x509");
    TCase *t = tcase_create("parse");
    tcase_add_loop_test(t, refused, 0, (int)(sizeof bad / sizeof bad[0]));
    suite_add_tcase(s, t);
    t = tcase_create("issue");
    tcase_add_test(t, issue_keys_stable_and_separate);
    tcase_add_test(t, issue_subject_from_est);
    tcase_add_test(t, written_with_certificate);
    tcase_add_test(t, missing_or_foreign_certificate);
    tcase_add_test(t, dry_run_placeholder);
    tcase_add_test(t, planner_certificates);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
