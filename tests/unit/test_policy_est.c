/*
 * test_policy_est.c — the `est:` section of a policy (bsd/policy/
 * policy_est.c) and `security.written_mode`: every refusal with its exact
 * "file:line:column: message", the defaults (an `est` server alone allows
 * enrollment), policy_est() expanding the subject and subjectAltName
 * templates for a device in est_name_str()'s canonical escaping, the
 * errors a device can cause, and bsd_planner_est() selecting the policy
 * like bsd_planner_plan(). The compiled forms of mode est are asserted in
 * test_policy.c.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bsd/planner.h"
#include "bsd/policy/policy.h"
#ifdef POLICY_TEST_EST_CSR
#include "bsd/est/est_csr.h"
#endif

/* Lines 1..7; the case's text starts at line 8. */
#define EST_DOC(x)                                                                                           \
    "policy: p\n"                                                                                            \
    "match: {endpoint: \"*\"}\n"                                                                             \
    "servers:\n"                                                                                             \
    "  - ssid: 101\n"                                                                                        \
    "    uri: \"coaps://h.example\"\n"                                                                       \
    "    security: {mode: est, server_certificate: {hex: 3000}}\n"                                           \
    "est:\n" x

/* A policy whose line 6 is |x|. */
#define SEC_DOC(x)                                                                                           \
    "policy: p\n"                                                                                            \
    "match: {endpoint: \"*\"}\n"                                                                             \
    "servers:\n"                                                                                             \
    "  - ssid: 101\n"                                                                                        \
    "    uri: \"coaps://h.example\"\n" x

typedef struct {
    const char *doc, *msg;
} bad_t;

#define SUBJ_BAD(s, why)                                                                                     \
    {                                                                                                        \
        EST_DOC("  subject: \"" s "\"\n"), "t.yaml:8:12: est.subject \"" s "\": " why                        \
    }

static const bad_t bad[] = {
    {"policy: p\nmatch: {endpoint: \"*\"}\nservers:\n  - ssid: 101\n    uri: \"coaps://h.example\"\n"
     "    security: {mode: est, server_certificate: {hex: 3000}}\nest: 5\n",
     "t.yaml:7:6: est must be a mapping, not a scalar"},
    {EST_DOC("  enrol_with: [psk]\n"),
     "t.yaml:8:3: unknown key \"enrol_with\" in est; valid keys: enroll_with, subject, subject_alt_names, "
     "validity_days, curves, renew_with_new_key, max_enrollments_per_hour"},
    {EST_DOC("  enroll_with: [tls]\n"), "t.yaml:8:17: est.enroll_with: \"tls\" is not one of x509, psk, rpk"},
    {EST_DOC("  enroll_with: [psk, rpk, psk]\n"), "t.yaml:8:27: est.enroll_with lists psk twice"},
    {EST_DOC("  enroll_with: []\n"), "t.yaml:8:16: est.enroll_with must have 1..3 entries, not 0"},
    {EST_DOC("  enroll_with: psk\n"), "t.yaml:8:16: est.enroll_with must be a list, not a scalar"},
    {EST_DOC("  curves: [p256, p224]\n"), "t.yaml:8:18: est.curves: \"p224\" is not one of p256, p384, p521"},
    {EST_DOC("  curves: [p384, p384]\n"), "t.yaml:8:18: est.curves lists p384 twice"},
    {EST_DOC("  validity_days: 0\n"), "t.yaml:8:18: est.validity_days must be in 1..3650"},
    {EST_DOC("  validity_days: 3651\n"), "t.yaml:8:18: est.validity_days must be in 1..3650"},
    {EST_DOC("  validity_days: \"365\"\n"), "t.yaml:8:18: est.validity_days must be an integer, not \"365\""},
    {EST_DOC("  max_enrollments_per_hour: 0\n"),
     "t.yaml:8:29: est.max_enrollments_per_hour must be in 1..1000"},
    {EST_DOC("  max_enrollments_per_hour: 1001\n"),
     "t.yaml:8:29: est.max_enrollments_per_hour must be in 1..1000"},
    {EST_DOC("  renew_with_new_key: yes\n"),
     "t.yaml:8:23: est.renew_with_new_key must be true or false, not \"yes\""},
    {EST_DOC("  subject: \"CN=${endpiont}\"\n"),
     "t.yaml:8:12: unknown variable \"${endpiont}\"; valid: ${endpoint}, ${serial}, ${label.NAME}"},
    {EST_DOC("  subject: [a]\n"), "t.yaml:8:12: est.subject must be a string, not a list"},
    SUBJ_BAD("", "the subject is empty"),
    SUBJ_BAD("CN", "attribute 1 is not TYPE=value"),
    SUBJ_BAD("CN=a,O", "attribute 2 is not TYPE=value"),
    SUBJ_BAD("XX=a", "attribute 1: unknown type \"XX\"; valid: CN, O, OU, C, L, ST, SERIALNUMBER"),
    SUBJ_BAD("cn=a", "attribute 1: unknown type \"cn\"; valid: CN, O, OU, C, L, ST, SERIALNUMBER"),
    SUBJ_BAD("CN=a+O=b", "one attribute per RDN: write \"+\" in a value as \"\\+\""),
    SUBJ_BAD("CN=a, O=b", "no spaces around \",\" and \"=\""),
    SUBJ_BAD("CN= a", "CN: no spaces around \",\" and \"=\""),
    SUBJ_BAD("CN=", "CN has an empty value"),
    SUBJ_BAD("CN=a,", "the subject ends with \",\""),
    SUBJ_BAD("CN=a;b", "\";\" in a value must be escaped as \"\\;\""),
    SUBJ_BAD("O=a=b", "\"=\" in a value must be escaped as \"\\=\""),
    SUBJ_BAD("C=Germany", "C values are 2 characters"),
    SUBJ_BAD("C=de", "C is an ISO 3166 code of two capital letters"),
    SUBJ_BAD("SERIALNUMBER=a_b", "SERIALNUMBER values are PrintableString: A-Z a-z 0-9 space '()+,-./:=?"),
    SUBJ_BAD("SERIALNUMBER=${serial}_x",
             "SERIALNUMBER values are PrintableString: A-Z a-z 0-9 space '()+,-./:=?"),
    {EST_DOC("  subject: 'CN=a\\q'\n"),
     "t.yaml:8:12: est.subject \"CN=a\\x5cq\": a backslash must be followed by one of ,+\"\\<>;= or two hex "
     "digits"},
    {EST_DOC("  subject: 'CN=a\\4'\n"),
     "t.yaml:8:12: est.subject \"CN=a\\x5c4\": a backslash must be followed by one of ,+\"\\<>;= or two hex "
     "digits"},
    {EST_DOC("  subject: CN=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"),
     "t.yaml:8:12: est.subject \"CN=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\": CN values are 1..64 "
     "characters"},
    {EST_DOC("  subject: \"CN=a\\u0001\"\n"),
     "t.yaml:8:12: est.subject \"CN=a\\x01\": CN: control characters are "
     "not allowed"},
    {EST_DOC("  subject_alt_names: {ip: [\"192.0.2.1\"]}\n"),
     "t.yaml:8:23: unknown key \"ip\" in est.subject_alt_names; valid keys: dns, uri, email"},
    {EST_DOC("  subject_alt_names: [a]\n"),
     "t.yaml:8:22: est.subject_alt_names must be a mapping, not a list"},
    {EST_DOC("  subject_alt_names: {dns: []}\n"),
     "t.yaml:8:28: est.subject_alt_names.dns must have 1..8 entries, not 0"},
    {EST_DOC("  subject_alt_names: {dns: [\"a b\"]}\n"),
     "t.yaml:8:29: est.subject_alt_names.dns \"a b\": names are printable ASCII without spaces"},
    {EST_DOC("  subject_alt_names: {dns: [a..b]}\n"), "t.yaml:8:29: est.subject_alt_names.dns \"a..b\": not "
                                                      "a DNS name (labels of A-Z a-z 0-9 -, joined by .)"},
    {EST_DOC("  subject_alt_names: {dns: [\"a_${endpoint}\"]}\n"),
     "t.yaml:8:29: est.subject_alt_names.dns \"a_${endpoint}\": not a DNS name (labels of A-Z a-z 0-9 -, "
     "joined by .)"},
    {EST_DOC("  subject_alt_names: {uri: [nouri]}\n"),
     "t.yaml:8:29: est.subject_alt_names.uri \"nouri\": not a URI (scheme \":\" rest)"},
    {EST_DOC("  subject_alt_names: {uri: [\"1x:y\"]}\n"),
     "t.yaml:8:29: est.subject_alt_names.uri \"1x:y\": not a URI (scheme \":\" rest)"},
    {EST_DOC("  subject_alt_names: {email: [\"a@@b\"]}\n"),
     "t.yaml:8:31: est.subject_alt_names.email \"a@@b\": not an e-mail address (local@domain)"},
    {EST_DOC("  subject_alt_names: {email: [\"@b\"]}\n"),
     "t.yaml:8:31: est.subject_alt_names.email \"@b\": not an e-mail address (local@domain)"},
    {EST_DOC("  subject_alt_names: {dns: [x.example, x.example]}\n"),
     "t.yaml:8:40: est.subject_alt_names.dns lists \"x.example\" twice"},
    {EST_DOC("  subject_alt_names: {dns: [a, b, c, d, e], uri: [\"u:1\", \"u:2\", \"u:3\", \"u:4\"]}\n"),
     "t.yaml:8:72: est.subject_alt_names holds more than 8 names"},
    {EST_DOC("  subject_alt_names: {dns: [\"${label.}\"]}\n"),
     "t.yaml:8:29: unknown variable \"${label.}\"; valid: ${endpoint}, ${serial}, ${label.NAME}"},
    {SEC_DOC("    security: {mode: est, written_mode: 3, server_certificate: {hex: 3000}}\n"),
     "t.yaml:6:41: written_mode must be 4 (Security Mode 4, Transport §5.2.4) or 2 (mode 2 with empty /0/x/3 "
     "and /0/x/5)"},
    {SEC_DOC("    security: {mode: est, written_mode: four, server_certificate: {hex: 3000}}\n"),
     "t.yaml:6:41: written_mode must be 4 (Security Mode 4, Transport §5.2.4) or 2 (mode 2 with empty /0/x/3 "
     "and /0/x/5)"},
    {SEC_DOC("    security: {mode: psk, psk_key: generate, written_mode: 4}\n"),
     "t.yaml:6:46: written_mode does not apply to mode psk"},
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

/* ---- expansion ---- */

static const policy_label_t labels[] = {{"line", "A"}, {"site", "berlin"}};

static policy_device_t dev(const char *ep)
{
    policy_device_t d = {.endpoint = ep, .serial = "SN-0042", .labels = labels, .nlabels = 2};
    return d;
}

static policy_t *parse_ok(const char *doc)
{
    char err[POLICY_ERR_MAX];
    policy_t *p = policy_parse("t.yaml", doc, strlen(doc), err, sizeof err);
    ck_assert_msg(p != NULL, "%s", err);
    return p;
}

/* policy_est() of |doc| for |d|, which must succeed. The subject must be
 * one est_name_der() encodes and est_name_str() prints back unchanged: the
 * EST server compares it with est_name_str() of a request's subject. */
static policy_est_t est_ok(const char *doc, const policy_device_t *d)
{
    policy_t *p = parse_ok(doc);
    policy_est_t e;
    char err[POLICY_ERR_MAX];
    int r = policy_est(p, d, &e, err, sizeof err);
    ck_assert_msg(r == 1, "%d %s", r, err);
    policy_free(p);
#ifdef POLICY_TEST_EST_CSR
    uint8_t der[1024];
    char back[EST_NAME_STR_MAX];
    int n = est_name_der(e.subject, der, sizeof der);
    ck_assert_msg(n > 0, "est_name_der(%s)", e.subject);
    ck_assert_int_eq(est_name_str(der, (size_t)n, back, sizeof back), (int)strlen(e.subject));
    ck_assert_str_eq(back, e.subject);
#endif
    return e;
}

/* The error policy_est() gives for |doc| and |d|, with its code. */
static void est_fails(const char *doc, const policy_device_t *d, int code, const char *msg)
{
    policy_t *p = parse_ok(doc);
    policy_est_t e;
    memset(&e, 0x55, sizeof e);
    char err[POLICY_ERR_MAX];
    ck_assert_int_eq(policy_est(p, d, &e, err, sizeof err), code);
    ck_assert_str_eq(err, msg);
    ck_assert_uint_eq(e.nsan, 0); /* nothing half-expanded left behind */
    ck_assert_str_eq(e.subject, "");
    policy_free(p);
}

START_TEST(defaults_from_est_server)
{
    /* No est: section, but a server in mode est: the device may enroll
     * with the defaults. */
    policy_device_t d = dev("tracker-7");
    policy_est_t e = est_ok(EST_DOC("  {}\n"), &d);
    ck_assert_str_eq(e.subject, "CN=tracker-7");
    ck_assert_uint_eq(e.nsan, 0);
    ck_assert_uint_eq(e.validity_days, 365);
    ck_assert_uint_eq(e.curves, POLICY_EST_CURVE_P256 | POLICY_EST_CURVE_P384);
    ck_assert_uint_eq(e.auth, POLICY_EST_AUTH_X509);
    ck_assert(!e.renew_new_key);
    ck_assert_uint_eq(e.per_hour, 10);
    const char *server_only = SEC_DOC("    security: {mode: est, server_certificate: {hex: 3000}}\n");
    policy_est_t e2 = est_ok(server_only, &d);
    ck_assert_str_eq(e2.subject, e.subject);
    ck_assert_uint_eq(e2.nsan, e.nsan);
    ck_assert_uint_eq(e2.validity_days, e.validity_days);
    ck_assert_uint_eq(e2.curves, e.curves);
    ck_assert_uint_eq(e2.auth, e.auth);
    ck_assert_int_eq(e2.renew_new_key, e.renew_new_key);
    ck_assert_uint_eq(e2.per_hour, e.per_hour);
}
END_TEST

START_TEST(no_est_no_enrollment)
{
    const char *doc = SEC_DOC("    security: {mode: psk, psk_key: generate}\n");
    policy_t *p = parse_ok(doc);
    policy_device_t d = dev("dev-1");
    policy_est_t e;
    memset(&e, 0x55, sizeof e);
    char err[POLICY_ERR_MAX];
    ck_assert_int_eq(policy_est(p, &d, &e, err, sizeof err), 0);
    ck_assert_str_eq(err, "");
    ck_assert_uint_eq(e.auth, 0);
    ck_assert_uint_eq(e.curves, 0);
    ck_assert_int_eq(policy_est(p, NULL, &e, err, sizeof err), POLICY_ERR_ARG);
    ck_assert_int_eq(policy_est(p, &d, NULL, NULL, 0), POLICY_ERR_ARG);
    d.endpoint = "\xff";
    ck_assert_int_eq(policy_est(p, &d, &e, NULL, 0), POLICY_ERR_ARG);
    policy_free(p);
    /* An est: section alone allows enrollment, here for psk devices. */
    const char *psk_est = "policy: q\nmatch: {endpoint: \"*\"}\n"
                          "servers:\n  - ssid: 1\n    uri: \"coaps://h.example\"\n"
                          "    security: {mode: psk, psk_key: generate}\n"
                          "est: {enroll_with: [psk]}\n";
    d = dev("dev-1");
    policy_est_t e2 = est_ok(psk_est, &d);
    ck_assert_uint_eq(e2.auth, POLICY_EST_AUTH_PSK);
    ck_assert_str_eq(e2.subject, "CN=dev-1");
}
END_TEST

static const char *const FULL_DOC = EST_DOC(
    "  enroll_with: [rpk, x509, psk]\n"
    "  subject: 'CN=${endpoint},O=Acme\\2C Inc.,OU=${label.line},L=Caf\xc3\xa9,SERIALNUMBER=${serial},"
    "C=DE'\n"
    "  subject_alt_names:\n"
    "    email: [\"ops+${label.site}@example.com\"]\n"
    "    dns: [\"${endpoint}.dev.example.com\", \"x.example\"]\n"
    "    uri: [\"urn:dev:${serial}\"]\n"
    "  validity_days: 30\n"
    "  curves: [p521, p256]\n"
    "  renew_with_new_key: true\n"
    "  max_enrollments_per_hour: 1000\n");

START_TEST(every_key_expanded)
{
    policy_device_t d = dev("tracker-7");
    policy_est_t e = est_ok(FULL_DOC, &d);
    /* Literal escapes come out canonical ("\2C" -> "\,", UTF-8 -> \XX), as
     * est_name_str() prints a request's subject. */
    ck_assert_str_eq(e.subject, "CN=tracker-7,O=Acme\\, Inc.,OU=A,L=Caf\\C3\\A9,SERIALNUMBER=SN-0042,C=DE");
    ck_assert_uint_eq(e.nsan, 4); /* dns, uri, email; each in policy order */
    ck_assert_int_eq(e.san[0].type, POLICY_EST_SAN_DNS);
    ck_assert_str_eq(e.san[0].value, "tracker-7.dev.example.com");
    ck_assert_int_eq(e.san[1].type, POLICY_EST_SAN_DNS);
    ck_assert_str_eq(e.san[1].value, "x.example");
    ck_assert_int_eq(e.san[2].type, POLICY_EST_SAN_URI);
    ck_assert_str_eq(e.san[2].value, "urn:dev:SN-0042");
    ck_assert_int_eq(e.san[3].type, POLICY_EST_SAN_EMAIL);
    ck_assert_str_eq(e.san[3].value, "ops+berlin@example.com");
    ck_assert_uint_eq(e.validity_days, 30);
    ck_assert_uint_eq(e.curves, POLICY_EST_CURVE_P256 | POLICY_EST_CURVE_P521);
    ck_assert_uint_eq(e.auth, POLICY_EST_AUTH_X509 | POLICY_EST_AUTH_PSK | POLICY_EST_AUTH_RPK);
    ck_assert(e.renew_new_key);
    ck_assert_uint_eq(e.per_hour, 1000);
    /* The GeneralName tags, as est_csr.h numbers them. */
    ck_assert_int_eq(POLICY_EST_SAN_EMAIL, 1);
    ck_assert_int_eq(POLICY_EST_SAN_DNS, 2);
    ck_assert_int_eq(POLICY_EST_SAN_URI, 6);
}
END_TEST

START_TEST(whole_names_from_variables)
{
    /* A variable may bring a whole name, scheme or "@" included; the
     * result is checked per device. */
    const char *doc = EST_DOC("  subject_alt_names: {uri: [\"${endpoint}\"], email: [\"${label.mail}\"]}\n");
    const policy_label_t mail[] = {{"mail", "ops@example.com"}};
    policy_device_t d = {.endpoint = "urn:imei:350000000000001", .labels = mail, .nlabels = 1};
    policy_est_t e = est_ok(doc, &d);
    ck_assert_uint_eq(e.nsan, 2);
    ck_assert_int_eq(e.san[0].type, POLICY_EST_SAN_URI);
    ck_assert_str_eq(e.san[0].value, "urn:imei:350000000000001");
    ck_assert_int_eq(e.san[1].type, POLICY_EST_SAN_EMAIL);
    ck_assert_str_eq(e.san[1].value, "ops@example.com");
    d.endpoint = "dev-1";
    est_fails(doc, &d, POLICY_ERR_DEVICE,
              "p: est.subject_alt_names.uri \"${endpoint}\": not a URI (scheme \":\" rest)");
    d.endpoint = "urn:x";
    const policy_label_t nomail[] = {{"mail", "ops"}};
    d.labels = nomail;
    est_fails(doc, &d, POLICY_ERR_DEVICE,
              "p: est.subject_alt_names.email \"${label.mail}\": not an e-mail address (local@domain)");
}
END_TEST

START_TEST(device_values_escaped)
{
    /* What the device brings is escaped as est_name_str() would print it. */
    const char *doc = EST_DOC("  subject: \"CN=${endpoint},OU=x\\\\+y\"\n");
    policy_device_t d = dev("a,b+c=\"d\"<e>;f\\g");
    policy_est_t e = est_ok(doc, &d);
    ck_assert_str_eq(e.subject, "CN=a\\,b\\+c\\=\\\"d\\\"\\<e\\>\\;f\\\\g,OU=x\\+y");
    d = dev("caf\xc3\xa9 1");
    e = est_ok(doc, &d);
    ck_assert_str_eq(e.subject, "CN=caf\\C3\\A9 1,OU=x\\+y");
    /* The 64-character bound counts characters, not bytes. */
    char ep[200] = "";
    for (int i = 0; i < 64; i++)
        strcat(ep, "\xc3\xa9");
    d = dev(ep);
    e = est_ok(doc, &d);
    ck_assert_uint_eq(strlen(e.subject), 3 + 64 * 6 + 8);
}
END_TEST

START_TEST(device_errors)
{
    policy_device_t d = dev("tracker-7");
    d.serial = NULL;
    est_fails(FULL_DOC, &d, POLICY_ERR_DEVICE, "p: est.subject: the device has no serial for ${serial}");
    d = dev("tracker-7");
    d.nlabels = 1; /* no site */
    est_fails(
        FULL_DOC, &d, POLICY_ERR_DEVICE,
        "p: est.subject_alt_names.email \"ops+${label.site}@example.com\": the device has no label \"site\"");
    d = dev("tracker 7");
    est_fails(
        FULL_DOC, &d, POLICY_ERR_DEVICE,
        "p: est.subject_alt_names.dns \"${endpoint}.dev.example.com\": names are printable ASCII without "
        "spaces");
    d = dev("x");
    est_fails(EST_DOC("  subject_alt_names: {dns: [\"${endpoint}.example\", \"x.example\"]}\n"), &d,
              POLICY_ERR_DEVICE,
              "p: est.subject_alt_names.dns \"x.example\": the same name as entry 0 after substitution");
    d = dev("tracker-7");
    d.serial = "SN_1"; /* not PrintableString */
    est_fails(EST_DOC("  subject: \"SERIALNUMBER=${serial}\"\n"), &d, POLICY_ERR_DEVICE,
              "p: est.subject: SERIALNUMBER values are PrintableString: A-Z a-z 0-9 space '()+,-./:=?");
    d = dev("ABC");
    est_fails(EST_DOC("  subject: \"C=${endpoint}\"\n"), &d, POLICY_ERR_DEVICE,
              "p: est.subject: C values are 2 characters");
    char ep[80];
    memset(ep, 'e', 65);
    ep[65] = 0;
    d = dev(ep);
    est_fails(EST_DOC("  {}\n"), &d, POLICY_ERR_DEVICE, "p: est.subject: CN values are 1..64 characters");
    d = dev("a\x01");
    est_fails(EST_DOC("  {}\n"), &d, POLICY_ERR_DEVICE,
              "p: est.subject: CN: control characters are not allowed");
    /* 8 attributes of 40 commas: 8 * (3 + 80) bytes escaped, more than fit. */
    memset(ep, ',', 40);
    ep[40] = 0;
    d = dev(ep);
    est_fails(EST_DOC("  subject: \"CN=${endpoint},O=${endpoint},OU=${endpoint},L=${endpoint},ST=${endpoint},"
                      "CN=${endpoint},O=${endpoint},OU=${endpoint}\"\n"),
              &d, POLICY_ERR_NOSPACE, "p: est.subject: the subject exceeds 511 bytes");
    d = dev(ep);
    ep[20] = 0; /* 6 of them fit: "CN=" "O=" "OU=" "L=" "ST=" "CN=", 6 * 40, 5 commas */
    policy_est_t e = est_ok(EST_DOC("  subject: \"CN=${endpoint},O=${endpoint},OU=${endpoint},L=${endpoint},"
                                    "ST=${endpoint},CN=${endpoint}\"\n"),
                            &d);
    ck_assert_uint_eq(strlen(e.subject), 16 + 6 * 40 + 5);
}
END_TEST

/* ---- the planner ---- */

START_TEST(planner_selects_like_plan)
{
    const char *docs[] = {
        "policy: trackers\npriority: 5\nmatch: {endpoint: \"tracker-*\"}\n"
        "servers:\n  - ssid: 1\n    uri: \"coaps://h.example\"\n"
        "    security: {mode: est, server_certificate: {hex: 3000}}\n"
        "est: {subject: \"CN=${endpoint},SERIALNUMBER=${serial}\", enroll_with: [psk]}\n",
        "policy: rest\nmatch: {endpoint: \"*\"}\n"
        "servers:\n  - ssid: 1\n    uri: \"coaps://h.example\"\n    security: {mode: psk, psk_key: "
        "generate}\n",
    };
    policy_t *ps[2] = {parse_ok(docs[0]), parse_ok(docs[1])};
    uint32_t versions[2] = {7, 1};
    uint8_t key[POLICY_KEY_LEN] = {0};
    bsd_planner_t *pl = bsd_planner_from_policies(ps, versions, 2, key);
    ck_assert_ptr_nonnull(pl);
    ck_assert_int_eq(bsd_planner_add_device(pl, "tracker-1", "SN1", NULL, 0), 0);
    policy_est_t e;
    char err[256];
    creds_device_t cd = {.endpoint = (char *)"tracker-1"};
    ck_assert_int_eq(bsd_planner_est(pl, &cd, &e, err, sizeof err), 1);
    ck_assert_str_eq(e.subject, "CN=tracker-1,SERIALNUMBER=SN1");
    ck_assert_uint_eq(e.auth, POLICY_EST_AUTH_PSK);
    /* No serial registered for this one: the policy cannot be applied. */
    cd.endpoint = (char *)"tracker-2";
    ck_assert_int_eq(bsd_planner_est(pl, &cd, &e, err, sizeof err), POLICY_ERR_DEVICE);
    ck_assert_str_eq(err,
                     "policy trackers v7: trackers: est.subject: the device has no serial for ${serial}");
    /* Another policy, without EST: the device may not enroll. */
    cd.endpoint = (char *)"meter-1";
    ck_assert_int_eq(bsd_planner_est(pl, &cd, &e, err, sizeof err), 0);
    ck_assert_str_eq(err, "");
    ck_assert_int_eq(bsd_planner_est(pl, NULL, &e, err, sizeof err), 0);
    ck_assert_int_eq(bsd_planner_est(pl, &cd, NULL, err, sizeof err), POLICY_ERR_ARG);
    bsd_planner_free(pl);
    /* No policy matches at all. */
    policy_t *only[1] = {parse_ok(docs[0])};
    pl = bsd_planner_from_policies(only, versions, 1, key);
    ck_assert_int_eq(bsd_planner_est(pl, &cd, &e, err, sizeof err), 0);
    bsd_planner_free(pl);
    /* A plans file allows no enrollment. */
    pl = bsd_planner_from_planfile(NULL);
    cd.endpoint = (char *)"tracker-1";
    ck_assert_int_eq(bsd_planner_est(pl, &cd, &e, err, sizeof err), 0);
    bsd_planner_free(pl);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("policy_est");
    TCase *t = tcase_create("refused");
    tcase_add_loop_test(t, refused, 0, (int)(sizeof bad / sizeof bad[0]));
    suite_add_tcase(s, t);
    t = tcase_create("expand");
    tcase_add_test(t, defaults_from_est_server);
    tcase_add_test(t, no_est_no_enrollment);
    tcase_add_test(t, every_key_expanded);
    tcase_add_test(t, whole_names_from_variables);
    tcase_add_test(t, device_values_escaped);
    tcase_add_test(t, device_errors);
    tcase_add_test(t, planner_selects_like_plan);
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
