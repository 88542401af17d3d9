/*
 * test_est_ca.c — the EST CA (bsd/est/est_ca.h, est_cert.c): loading and
 * refusing CAs, issuing certificates checked by wolfSSL's own certificate
 * parser and verifier (independent of our encoder), CRLs decoded and their
 * signatures verified with wolfCrypt (this wolfSSL build has no HAVE_CRL),
 * serials, PKCS#7 certs-only, CsrAttrs and PEM.
 *
 * Fixtures: test CAs and keys made once with openssl (ecparam/genpkey, req
 * -x509 with basicConstraints critical CA:TRUE, keyUsage keyCertSign and
 * cRLSign, SKI "hash"), written to a temporary directory per test. The
 * P-256 CA key is SEC1 ("EC PRIVATE KEY"), the P-384 one PKCS#8. "leaf" is
 * a non-CA certificate issued by the P-256 CA for "other.key"; dev_spki is
 * that key's public half. Test keys only, never used elsewhere.
 */
#include "bsd/est/der.h"
#include "bsd/est/est_ca.h"
#include "bsd/est/est_csr.h"

#include <wolfssl/options.h>

#include <wolfssl/ssl.h>
#include <wolfssl/wolfcrypt/asn.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/hash.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char ca256_key[] = "-----BEGIN EC PRIVATE KEY-----\n"
                                "MHcCAQEEIPF0yosoMrG3j4HxObYjFC09Daexf51W9u7xKoHAWHSloAoGCCqGSM49\n"
                                "AwEHoUQDQgAEMaKICxFEuQJxnj6AqhPAicC6piTHmVvOWl4Mf92HXHOyKGMO5URB\n"
                                "8/ICIrcz0KDYq/873lmRCt1Xr2DvH5CczQ==\n"
                                "-----END EC PRIVATE KEY-----\n";
static const char ca256_pem[] = "-----BEGIN CERTIFICATE-----\n"
                                "MIIBpzCCAUygAwIBAgIUNAf6aQbYwOeaqbDhLQV2rnxnGQ8wCgYIKoZIzj0EAwIw\n"
                                "MDEUMBIGA1UEAwwLVGVzdCBFU1QgQ0ExGDAWBgNVBAoMD2x3bTJtLWJzZCB0ZXN0\n"
                                "czAgFw0yNjExMjgxMDEyNTFaGA8yMTI2MTEwNDEwMTI1MVowMDEUMBIGA1UEAwwL\n"
                                "VGVzdCBFU1QgQ0ExGDAWBgNVBAoMD2x3bTJtLWJzZCB0ZXN0czBZMBMGByqGSM49\n"
                                "AgEGCCqGSM49AwEHA0IABDGiiAsRRLkCcZ4+gKoTwInAuqYkx5lbzlpeDH/dh1xz\n"
                                "sihjDuVEQfPyAiK3M9Cg2Kv/O95ZkQrdV69g7x+QnM2jQjBAMA8GA1UdEwEB/wQF\n"
                                "MAMBAf8wDgYDVR0PAQH/BAQDAgEGMB0GA1UdDgQWBBSjkoDU/wu8R2XbVgKZ6GAP\n"
                                "CAvhmjAKBggqhkjOPQQDAgNJADBGAiEAhZFCUii11kpJCpun1EvMSKnhMqCNCXr/\n"
                                "bBtdXQ5Y/yMCIQCSIeAbKiCDV1dIJib8BLQVRYy3K8aPPNi2q3RrwnnzXA==\n"
                                "-----END CERTIFICATE-----\n";
static const char ca384_key[] = "-----BEGIN PRIVATE KEY-----\n"
                                "MIG2AgEAMBAGByqGSM49AgEGBSuBBAAiBIGeMIGbAgEBBDCxA1Q3+pGxGGuszSzy\n"
                                "1gPJ3ZffbNShgM0HuTUTqBRH36kjA1TouQlzjflgtFWCZHShZANiAARqJbWjFyb1\n"
                                "pyq7mj5yyfxVxW0cpCyTxR8xy01VpLNuZydcLemHOzP3dl93IpJyjakIFku6vgSo\n"
                                "WjqGiUH2CK6AUMbbv23CWLqGQuIVeJkXjzy2ztB3hfIldbzappX19vw=\n"
                                "-----END PRIVATE KEY-----\n";
static const char ca384_pem[] = "-----BEGIN CERTIFICATE-----\n"
                                "MIIBuzCCAUGgAwIBAgIUIBF3/Qt2NW2rYSyWwwCv1zXXHd8wCgYIKoZIzj0EAwIw\n"
                                "HDEaMBgGA1UEAwwRVGVzdCBFU1QgQ0EgUC0zODQwIBcNMjYxMTI4MTAxMjUxWhgP\n"
                                "MjEyNjExMDQxMDEyNTFaMBwxGjAYBgNVBAMMEVRlc3QgRVNUIENBIFAtMzg0MHYw\n"
                                "EAYHKoZIzj0CAQYFK4EEACIDYgAEaiW1oxcm9acqu5o+csn8VcVtHKQsk8UfMctN\n"
                                "VaSzbmcnXC3phzsz93ZfdyKSco2pCBZLur4EqFo6holB9giugFDG279twli6hkLi\n"
                                "FXiZF488ts7Qd4XyJXW82qaV9fb8o0IwQDAPBgNVHRMBAf8EBTADAQH/MA4GA1Ud\n"
                                "DwEB/wQEAwIBBjAdBgNVHQ4EFgQUP+pfGbldR8YKkYRBgJzKm7BJrIAwCgYIKoZI\n"
                                "zj0EAwIDaAAwZQIwEAvB+gmUvRIde3SAyy1IA3Po5eX96CwsoLR2gqHKDP4gPeIr\n"
                                "Rr6pW3TZ9llr4ep+AjEAx7njffjKywz0KlWNleh2uPpoiT+i2KgO1v4Gn9kOTQMY\n"
                                "pCzwzsJnbHKr/7USkIDV\n"
                                "-----END CERTIFICATE-----\n";
static const char other_key[] = "-----BEGIN EC PRIVATE KEY-----\n"
                                "MHcCAQEEIOWmUFL+NS08+1i1Jo+KHqlG3kQutCB76632G7xlG3qboAoGCCqGSM49\n"
                                "AwEHoUQDQgAElxe7fTCQwXw60K/GHpNyhTqVdpKTAemmCEjrLvC2i2B+DTTW3W+m\n"
                                "Uo69NCGV3k3fNx61g4n2MpM4g4zS+CN2TA==\n"
                                "-----END EC PRIVATE KEY-----\n";
static const char leaf_pem[] = "-----BEGIN CERTIFICATE-----\n"
                               "MIIBpzCCAU2gAwIBAgIUfhC09W6O+cm9i6qEqoq0JUS0Jw0wCgYIKoZIzj0EAwIw\n"
                               "MDEUMBIGA1UEAwwLVGVzdCBFU1QgQ0ExGDAWBgNVBAoMD2x3bTJtLWJzZCB0ZXN0\n"
                               "czAgFw0yNjExMjgxMDEyNTFaGA8yMTI2MTEwNDEwMTI1MVowEzERMA8GA1UEAwwI\n"
                               "bm90IGEgY2EwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAASXF7t9MJDBfDrQr8Ye\n"
                               "k3KFOpV2kpMB6aYISOsu8LaLYH4NNNbdb6ZSjr00IZXeTd83HrWDifYykziDjNL4\n"
                               "I3ZMo2AwXjAMBgNVHRMBAf8EAjAAMA4GA1UdDwEB/wQEAwIHgDAdBgNVHQ4EFgQU\n"
                               "vQVliJLq+0vpY16gCqMMS/UxE3owHwYDVR0jBBgwFoAUo5KA1P8LvEdl21YCmehg\n"
                               "DwgL4ZowCgYIKoZIzj0EAwIDSAAwRQIhAIo16Xep0yia77U0Gdcz+gYy6s7iqKBp\n"
                               "hshTgN+T8vNvAiBVtXsQJdPbOED3L21W84SboErqwcLnl3milZdXn4FHoA==\n"
                               "-----END CERTIFICATE-----\n";
static const unsigned char dev_spki[] = {
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04, 0x97, 0x17, 0xbb, 0x7d, 0x30,
    0x90, 0xc1, 0x7c, 0x3a, 0xd0, 0xaf, 0xc6, 0x1e, 0x93, 0x72, 0x85, 0x3a, 0x95, 0x76, 0x92, 0x93,
    0x01, 0xe9, 0xa6, 0x08, 0x48, 0xeb, 0x2e, 0xf0, 0xb6, 0x8b, 0x60, 0x7e, 0x0d, 0x34, 0xd6, 0xdd,
    0x6f, 0xa6, 0x52, 0x8e, 0xbd, 0x34, 0x21, 0x95, 0xde, 0x4d, 0xdf, 0x37, 0x1e, 0xb5, 0x83, 0x89,
    0xf6, 0x32, 0x93, 0x38, 0x83, 0x8c, 0xd2, 0xf8, 0x23, 0x76, 0x4c};

/* ---- helpers ------------------------------------------------------------ */

static char tmpdir[64];
static const char *const tmpfiles[] = {"ca256.key", "ca256.pem", "ca384.key", "ca384.pem",   "other.key",
                                       "leaf.pem",  "ca256.der", "chain.pem", "garbage.pem", "ca384.der-key"};

static const char *path(const char *name)
{
    static char buf[8][128];
    static int next;
    char *p = buf[next++ % 8];
    snprintf(p, 128, "%s/%s", tmpdir, name);
    return p;
}

static void put(const char *name, const void *data, size_t len)
{
    FILE *f = fopen(path(name), "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    fclose(f);
}

/* The first certificate of a PEM text as DER. */
static size_t pem_der(const char *pem, uint8_t *out, size_t cap)
{
    const char *pos = pem;
    long n = est_pem_block(&pos, pem + strlen(pem), "CERTIFICATE", out, cap);
    ck_assert_int_gt(n, 0);
    return (size_t)n;
}

static void setup(void)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_est_ca.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    put("ca256.key", ca256_key, strlen(ca256_key));
    put("ca256.pem", ca256_pem, strlen(ca256_pem));
    put("ca384.key", ca384_key, strlen(ca384_key));
    put("ca384.pem", ca384_pem, strlen(ca384_pem));
    put("other.key", other_key, strlen(other_key));
    put("leaf.pem", leaf_pem, strlen(leaf_pem));
    uint8_t der[2048];
    put("ca256.der", der, pem_der(ca256_pem, der, sizeof(der)));
    char chain[4096];
    snprintf(chain, sizeof(chain), "%s%s", ca256_pem, ca384_pem);
    put("chain.pem", chain, strlen(chain));
    put("garbage.pem", "-----BEGIN CERTIFICATE-----\nAAA*\n-----END CERTIFICATE-----\n", 57);
}

static void teardown(void)
{
    for (size_t i = 0; i < sizeof(tmpfiles) / sizeof(tmpfiles[0]); i++)
        unlink(path(tmpfiles[i]));
    rmdir(tmpdir);
}

static est_ca_t *load(const char *cert, const char *key, char *err)
{
    est_signer_t s;
    if (est_signer_file(&s, path(key), err, EST_ERR_MAX) != 0) return NULL;
    return est_ca_load(path(cert), &s, err, EST_ERR_MAX);
}

static est_ca_t *load_ok(const char *cert, const char *key)
{
    char err[EST_ERR_MAX] = "";
    est_ca_t *ca = load(cert, key, err);
    ck_assert_msg(ca != NULL, "%s: %s", cert, err);
    return ca;
}

static const uint8_t ep_name[] = "ep-1.example";
static const uint8_t ep_uri[] = "urn:dev:ep-1";

static long issue(est_ca_t *ca, est_issue_t *req, uint8_t *subject, uint8_t *out, size_t cap)
{
    char err[EST_ERR_MAX];
    memset(req, 0, sizeof(*req));
    ck_assert_int_eq(est_serial_random(req->serial), 0);
    int sn = est_name_der("CN=ep-1,O=lwm2m-bsd tests", subject, 256);
    ck_assert_int_gt(sn, 0);
    req->subject = subject;
    req->subject_len = (size_t)sn;
    req->spki = dev_spki;
    req->spki_len = sizeof(dev_spki);
    /* wolfSSL checks the validity period against the clock. */
    req->not_before = (int64_t)time(NULL) - 3600;
    req->not_after = req->not_before + 30 * 86400;
    req->san[0].type = EST_SAN_DNS;
    req->san[0].val = ep_name;
    req->san[0].len = sizeof(ep_name) - 1;
    req->san[1].type = EST_SAN_URI;
    req->san[1].val = ep_uri;
    req->san[1].len = sizeof(ep_uri) - 1;
    req->nsan = 2;
    long n = est_ca_issue(ca, req, out, cap, err, sizeof(err));
    ck_assert_msg(n > 0, "issue: %s", err);
    return n;
}

/* wolfSSL's own certificate verifier, independent of our encoder. */
static int wolf_verify(const char *ca_pem, const uint8_t *der, size_t len)
{
    WOLFSSL_CERT_MANAGER *cm = wolfSSL_CertManagerNew();
    ck_assert_ptr_nonnull(cm);
    ck_assert_int_eq(wolfSSL_CertManagerLoadCABuffer(cm, (const unsigned char *)ca_pem, (long)strlen(ca_pem),
                                                     WOLFSSL_FILETYPE_PEM),
                     WOLFSSL_SUCCESS);
    int rc = wolfSSL_CertManagerVerifyBuffer(cm, der, (long)len, WOLFSSL_FILETYPE_ASN1);
    wolfSSL_CertManagerFree(cm);
    return rc == WOLFSSL_SUCCESS;
}

/* ---- loading ------------------------------------------------------------ */

START_TEST(load_p256_pem_and_der)
{
    est_ca_t *ca = load_ok("ca256.pem", "ca256.key");
    ck_assert_str_eq(est_ca_subject(ca), "CN=Test EST CA,O=lwm2m-bsd tests");
    size_t len, dlen;
    uint8_t der[2048];
    dlen = pem_der(ca256_pem, der, sizeof(der));
    const uint8_t *c = est_ca_chain(ca, 0, &len);
    ck_assert_ptr_nonnull(c);
    ck_assert_uint_eq(len, dlen);
    ck_assert_mem_eq(c, der, len);
    ck_assert_ptr_null(est_ca_chain(ca, 1, &len));
    est_ca_free(ca);

    ca = load_ok("ca256.der", "ca256.key");
    ck_assert_str_eq(est_ca_subject(ca), "CN=Test EST CA,O=lwm2m-bsd tests");
    est_ca_free(ca);
}
END_TEST

START_TEST(load_refusals)
{
    char err[EST_ERR_MAX];
    est_signer_t s;
    static const struct {
        const char *cert, *key, *why;
    } cases[] = {
        /* The signer's key is not the certificate's; the message names the
         * file, never key material. */
        {"ca256.pem", "other.key", "ca256.pem: the CA private key does not belong to this certificate"},
        /* A certificate that is not a CA (its key does match). */
        {"leaf.pem", "other.key", "not a CA certificate"},
        /* A chain whose second certificate did not issue the first. */
        {"chain.pem", "ca256.key", "is not the issuer of certificate 1"},
        {"garbage.pem", "ca256.key", "malformed PEM"},
        {"missing.pem", "ca256.key", "missing.pem"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ck_assert_ptr_null(load(cases[i].cert, cases[i].key, err));
        ck_assert_msg(strstr(err, cases[i].why) != NULL, "%s: %s", cases[i].cert, err);
    }

    /* A certificate is not a key. */
    ck_assert_int_eq(est_signer_file(&s, path("ca256.pem"), err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "PRIVATE KEY"));
    ck_assert_int_eq(est_signer_file(&s, path("missing.key"), err, sizeof(err)), -1);
}
END_TEST

/* ---- issuing ------------------------------------------------------------ */

START_TEST(issue_p256_verified_by_wolfssl)
{
    uint8_t cert[EST_CERT_MAX], subject[256], digest[32];
    est_issue_t req;
    est_ca_t *ca = load_ok("ca256.pem", "ca256.key");
    long n = issue(ca, &req, subject, cert, sizeof(cert));
    ck_assert(wolf_verify(ca256_pem, cert, (size_t)n));
    /* The check can fail: a flipped bit inside the signed part. */
    uint8_t bad[EST_CERT_MAX];
    memcpy(bad, cert, (size_t)n);
    bad[n / 2] ^= 0x01;
    ck_assert(!wolf_verify(ca256_pem, bad, (size_t)n));
    /* Nor does it verify against another CA. */
    ck_assert(!wolf_verify(ca384_pem, cert, (size_t)n));

    /* What the store records. */
    est_cert_info_t info;
    ck_assert_int_eq(est_cert_info(cert, (size_t)n, &info), 0);
    ck_assert_str_eq(info.subject, "CN=ep-1,O=lwm2m-bsd tests");
    ck_assert_int_eq(info.not_before, req.not_before);
    ck_assert_int_eq(info.not_after, req.not_after);
    ck_assert_uint_eq(info.serial_len, EST_SERIAL_LEN);
    ck_assert_mem_eq(info.serial, req.serial, EST_SERIAL_LEN);
    ck_assert_int_eq(wc_Sha256Hash(dev_spki, sizeof(dev_spki), digest), 0);
    ck_assert_mem_eq(info.spki_sha256, digest, 32);
    ck_assert_int_eq(wc_Sha256Hash(cert, (word32)n, digest), 0);
    ck_assert_mem_eq(info.fingerprint, digest, 32);

    /* Our own reader: the profile's extensions. */
    est_cert_t c, cac;
    size_t calen;
    const uint8_t *cader = est_ca_chain(ca, 0, &calen);
    ck_assert_int_eq(est_cert_parse(&cac, cader, calen), 0);
    ck_assert_int_eq(est_cert_parse(&c, cert, (size_t)n), 0);
    ck_assert_int_eq(c.sig_alg, EST_SIG_ECDSA_SHA256);
    ck_assert(c.has_bc && !c.is_ca);
    ck_assert(c.has_ku);
    ck_assert_uint_eq(c.ku, EST_KU_DIGITAL_SIGNATURE);
    ck_assert_uint_eq(c.issuer_len, cac.subject_len);
    ck_assert_mem_eq(c.issuer, cac.subject, c.issuer_len);
    ck_assert_uint_eq(c.spki_len, sizeof(dev_spki));
    ck_assert_mem_eq(c.spki, dev_spki, sizeof(dev_spki));
    uint8_t sha1[WC_SHA_DIGEST_SIZE];
    ck_assert_int_eq(wc_ShaHash(c.pub, (word32)c.pub_len, sha1), 0);
    ck_assert_uint_eq(c.ski_len, sizeof(sha1));
    ck_assert_mem_eq(c.ski, sha1, sizeof(sha1));

    /* wolfSSL's reading of the same extensions. */
    DecodedCert dc;
    wc_InitDecodedCert(&dc, cert, (word32)n, NULL);
    ck_assert_int_eq(wc_ParseCert(&dc, CERT_TYPE, NO_VERIFY, NULL), 0);
    ck_assert(!dc.isCA);
    ck_assert(dc.extBasicConstCrit);
    ck_assert(dc.extKeyUsageCrit);
    ck_assert_uint_eq(dc.extKeyUsage, KEYUSE_DIGITAL_SIG);
    ck_assert_uint_eq(dc.extExtKeyUsage, EXTKEYUSE_CLIENT_AUTH);
    ck_assert(!dc.extSubjAltNameCrit);
    ck_assert(dc.extSubjKeyIdSet && dc.extAuthKeyIdSet);
    ck_assert_mem_eq(dc.extSubjKeyId, sha1, sizeof(sha1));
    ck_assert_uint_eq(cac.ski_len, sizeof(sha1)); /* openssl's "hash" method */
    ck_assert_mem_eq(dc.extAuthKeyId, cac.ski, cac.ski_len);
    int dns = 0, uri = 0;
    for (DNS_entry *e = dc.altNames; e; e = e->next) {
        if (e->type == ASN_DNS_TYPE && e->len == 12 && memcmp(e->name, ep_name, 12) == 0) dns++;
        if (e->type == ASN_URI_TYPE && e->len == 12 && memcmp(e->name, ep_uri, 12) == 0) uri++;
    }
    ck_assert_int_eq(dns, 1);
    ck_assert_int_eq(uri, 1);
    wc_FreeDecodedCert(&dc);
    est_ca_free(ca);
}
END_TEST

START_TEST(issue_p384_ca)
{
    uint8_t cert[EST_CERT_MAX], subject[256];
    est_issue_t req;
    est_ca_t *ca = load_ok("ca384.pem", "ca384.key");
    ck_assert_str_eq(est_ca_subject(ca), "CN=Test EST CA P-384");
    long n = issue(ca, &req, subject, cert, sizeof(cert));
    ck_assert(wolf_verify(ca384_pem, cert, (size_t)n));
    ck_assert(!wolf_verify(ca256_pem, cert, (size_t)n));
    est_cert_t c;
    ck_assert_int_eq(est_cert_parse(&c, cert, (size_t)n), 0);
    ck_assert_int_eq(c.sig_alg, EST_SIG_ECDSA_SHA384);
    est_ca_free(ca);
}
END_TEST

START_TEST(issue_refusals)
{
    char err[EST_ERR_MAX];
    uint8_t cert[EST_CERT_MAX], subject[256];
    est_issue_t req;
    est_ca_t *ca = load_ok("ca256.pem", "ca256.key");
    issue(ca, &req, subject, cert, sizeof(cert));

    est_issue_t r = req;
    r.serial[0] = 0x80; /* negative */
    ck_assert_int_eq(est_ca_issue(ca, &r, cert, sizeof(cert), err, sizeof(err)), -1);
    r = req;
    r.spki_len--; /* truncated key */
    ck_assert_int_eq(est_ca_issue(ca, &r, cert, sizeof(cert), err, sizeof(err)), -1);
    r = req;
    r.not_after = r.not_before;
    ck_assert_int_eq(est_ca_issue(ca, &r, cert, sizeof(cert), err, sizeof(err)), -1);
    r = req;
    r.san[0].type = EST_SAN_OTHER;
    ck_assert_int_eq(est_ca_issue(ca, &r, cert, sizeof(cert), err, sizeof(err)), -1);
    /* An empty subject needs a subjectAltName, and then it is critical. */
    static const uint8_t empty_name[] = {0x30, 0x00};
    r = req;
    r.subject = empty_name;
    r.subject_len = sizeof(empty_name);
    r.nsan = 0;
    ck_assert_int_eq(est_ca_issue(ca, &r, cert, sizeof(cert), err, sizeof(err)), -1);
    r.nsan = 1;
    long n = est_ca_issue(ca, &r, cert, sizeof(cert), err, sizeof(err));
    ck_assert_int_gt(n, 0);
    ck_assert(wolf_verify(ca256_pem, cert, (size_t)n));
    DecodedCert dc;
    wc_InitDecodedCert(&dc, cert, (word32)n, NULL);
    ck_assert_int_eq(wc_ParseCert(&dc, CERT_TYPE, NO_VERIFY, NULL), 0);
    ck_assert(dc.extSubjAltNameCrit);
    wc_FreeDecodedCert(&dc);
    /* Too small an output buffer. */
    ck_assert_int_eq(est_ca_issue(ca, &req, cert, 100, err, sizeof(err)), -1);
    est_ca_free(ca);
}
END_TEST

START_TEST(cert_info_refuses_every_truncation)
{
    uint8_t cert[EST_CERT_MAX], subject[256];
    est_issue_t req;
    est_cert_info_t info;
    est_ca_t *ca = load_ok("ca256.pem", "ca256.key");
    long n = issue(ca, &req, subject, cert, sizeof(cert));
    for (long i = 0; i < n; i++)
        ck_assert_int_eq(est_cert_info(cert, (size_t)i, &info), -1);
    /* Trailing bytes after the certificate. */
    cert[n] = 0;
    ck_assert_int_eq(est_cert_info(cert, (size_t)n + 1, &info), -1);
    /* A foreign certificate (openssl's leaf) reads too. */
    uint8_t der[2048];
    size_t dlen = pem_der(leaf_pem, der, sizeof(der));
    ck_assert_int_eq(est_cert_info(der, dlen, &info), 0);
    ck_assert_str_eq(info.subject, "CN=not a ca");
    est_ca_free(ca);
}
END_TEST

START_TEST(serial_random_properties)
{
    static uint8_t s[1000][EST_SERIAL_LEN];
    for (int i = 0; i < 1000; i++) {
        ck_assert_int_eq(est_serial_random(s[i]), 0);
        ck_assert_uint_ge(s[i][0], 0x01);
        ck_assert_uint_le(s[i][0], 0x7f);
        for (int j = 0; j < i; j++)
            ck_assert(memcmp(s[i], s[j], EST_SERIAL_LEN) != 0);
    }
}
END_TEST

/* ---- CRLs --------------------------------------------------------------- */

/* Decodes a CRL with der.h, checks its fixed fields and its signature with
 * the CA's key, and returns the revoked entries it lists. */
static size_t crl_check(est_ca_t *ca, const uint8_t *crl, size_t len, uint64_t number, est_revoked_t *got,
                        uint8_t serials[][20])
{
    size_t calen = 0;
    est_cert_t cac;
    const uint8_t *cader = est_ca_chain(ca, 0, &calen);
    ck_assert_int_eq(est_cert_parse(&cac, cader, calen), 0);
    der_rd_t r = der_rd(crl, len), l, t;
    der_tlv_t list, tbs, alg, sig, v;
    ck_assert_int_eq(der_expect(&r, DER_SEQUENCE, &list), 0);
    ck_assert_uint_eq(r.len, 0);
    l = der_inside(&list);
    ck_assert_int_eq(der_expect(&l, DER_SEQUENCE, &tbs), 0);
    ck_assert_int_eq(der_expect(&l, DER_SEQUENCE, &alg), 0);
    ck_assert_int_eq(der_expect(&l, DER_BIT_STRING, &sig), 0);
    ck_assert_uint_eq(l.len, 0);

    /* The signature, with wolfCrypt. */
    uint8_t digest[32];
    ecc_key key;
    int ok = 0;
    ck_assert_int_eq(wc_Sha256Hash(tbs.raw, (word32)tbs.rawlen, digest), 0);
    ck_assert_int_eq(wc_ecc_init(&key), 0);
    ck_assert_int_eq(wc_ecc_import_x963_ex(cac.pub, (word32)cac.pub_len, &key, ECC_SECP256R1), 0);
    ck_assert_int_eq(sig.val[0], 0);
    ck_assert_int_eq(wc_ecc_verify_hash(sig.val + 1, (word32)sig.len - 1, digest, 32, &ok, &key), 0);
    ck_assert_int_eq(ok, 1);
    wc_ecc_free(&key);

    t = der_inside(&tbs);
    uint64_t u;
    ck_assert_int_eq(der_expect(&t, DER_INTEGER, &v), 0);
    ck_assert_int_eq(der_small_uint(&v, &u), 0);
    ck_assert_uint_eq(u, 1); /* v2 */
    ck_assert_int_eq(der_expect(&t, DER_SEQUENCE, &v), 0);
    ck_assert_uint_eq(v.rawlen, alg.rawlen);
    ck_assert_mem_eq(v.raw, alg.raw, alg.rawlen);
    ck_assert_int_eq(der_expect(&t, DER_SEQUENCE, &v), 0); /* issuer */
    ck_assert_uint_eq(v.rawlen, cac.subject_len);
    ck_assert_mem_eq(v.raw, cac.subject, cac.subject_len);
    int64_t this_update, next_update;
    ck_assert_int_eq(der_next(&t, &v), 0);
    ck_assert_int_eq(der_time(&v, &this_update), 0);
    ck_assert_int_eq(der_next(&t, &v), 0);
    ck_assert_int_eq(der_time(&v, &next_update), 0);
    ck_assert_int_eq(this_update, 1700000000);
    ck_assert_int_eq(next_update, 1700000000 + 86400);
    size_t n = 0;
    if (der_expect(&t, DER_SEQUENCE, &v) == 0) {
        der_rd_t e = der_inside(&v);
        ck_assert_uint_gt(v.len, 0); /* never an empty SEQUENCE OF */
        der_tlv_t ent;
        while (der_expect(&e, DER_SEQUENCE, &ent) == 0) {
            der_rd_t f = der_inside(&ent), x;
            der_tlv_t s, tm, exts, ext, oid, oct, en;
            ck_assert_int_eq(der_expect(&f, DER_INTEGER, &s), 0);
            ck_assert_uint_le(s.len, 20);
            memcpy(serials[n], s.val, s.len);
            got[n].serial = serials[n];
            got[n].serial_len = s.len;
            ck_assert_int_eq(der_next(&f, &tm), 0);
            ck_assert_int_eq(der_time(&tm, &got[n].revoked_at), 0);
            got[n].reason = -1;
            if (der_expect(&f, DER_SEQUENCE, &exts) == 0) {
                x = der_inside(&exts);
                ck_assert_int_eq(der_expect(&x, DER_SEQUENCE, &ext), 0);
                ck_assert_uint_eq(x.len, 0);
                x = der_inside(&ext);
                ck_assert_int_eq(der_expect(&x, DER_OID, &oid), 0);
                ck_assert(der_oid_is(&oid, (const uint8_t *)"\x55\x1d\x15", 3));
                ck_assert_int_eq(der_expect(&x, DER_OCTET_STR, &oct), 0);
                x = der_inside(&oct);
                ck_assert_int_eq(der_expect(&x, 0x0a, &en), 0); /* ENUMERATED */
                ck_assert_uint_eq(en.len, 1);
                got[n].reason = en.val[0];
            }
            ck_assert_uint_eq(f.len, 0);
            n++;
        }
        ck_assert_uint_eq(e.len, 0);
    }
    /* crlExtensions [0]: authorityKeyIdentifier and cRLNumber. */
    ck_assert_int_eq(der_expect(&t, DER_CTX_CONS(0), &v), 0);
    ck_assert_uint_eq(t.len, 0);
    der_rd_t x = der_inside(&v), y;
    der_tlv_t exts, ext, oid, oct, in;
    ck_assert_int_eq(der_expect(&x, DER_SEQUENCE, &exts), 0);
    x = der_inside(&exts);
    int have_aki = 0, have_number = 0;
    while (der_expect(&x, DER_SEQUENCE, &ext) == 0) {
        y = der_inside(&ext);
        ck_assert_int_eq(der_expect(&y, DER_OID, &oid), 0);
        ck_assert_int_eq(der_expect(&y, DER_OCTET_STR, &oct), 0);
        der_rd_t z = der_inside(&oct);
        if (der_oid_is(&oid, (const uint8_t *)"\x55\x1d\x14", 3)) {
            ck_assert_int_eq(der_expect(&z, DER_INTEGER, &in), 0);
            ck_assert_int_eq(der_small_uint(&in, &u), 0);
            ck_assert_uint_eq(u, number);
            have_number = 1;
        } else if (der_oid_is(&oid, (const uint8_t *)"\x55\x1d\x23", 3)) {
            der_tlv_t kid;
            ck_assert_int_eq(der_expect(&z, DER_SEQUENCE, &in), 0);
            der_rd_t k = der_inside(&in);
            ck_assert_int_eq(der_expect(&k, DER_CTX(0), &kid), 0);
            ck_assert_uint_eq(kid.len, cac.ski_len);
            ck_assert_mem_eq(kid.val, cac.ski, cac.ski_len);
            have_aki = 1;
        }
    }
    ck_assert(have_aki && have_number);
    return n;
}

START_TEST(crl_0_1_3_entries)
{
    char err[EST_ERR_MAX];
    est_ca_t *ca = load_ok("ca256.pem", "ca256.key");
    static const uint8_t s1[16] = {0x11, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    static const uint8_t s2[3] = {0x7f, 0x01, 0x02};
    static const uint8_t s3[1] = {0x0a};
    est_revoked_t in[3] = {
        {s1, sizeof(s1), 1690000000, 1}, {s2, sizeof(s2), 1690000100, -1}, {s3, sizeof(s3), 1690000200, 4}};
    est_revoked_t got[3];
    uint8_t serials[3][20];
    static const size_t counts[] = {0, 1, 3};
    for (size_t k = 0; k < 3; k++) {
        uint8_t *crl;
        size_t len;
        ck_assert_int_eq(est_ca_crl(ca, in, counts[k], 40 + k, 1700000000, 1700000000 + 86400, &crl, &len,
                                    err, sizeof(err)),
                         0);
        size_t n = crl_check(ca, crl, len, 40 + k, got, serials);
        ck_assert_uint_eq(n, counts[k]);
        for (size_t i = 0; i < n; i++) {
            ck_assert_uint_eq(got[i].serial_len, in[i].serial_len);
            ck_assert_mem_eq(got[i].serial, in[i].serial, in[i].serial_len);
            ck_assert_int_eq(got[i].revoked_at, in[i].revoked_at);
            ck_assert_int_eq(got[i].reason, in[i].reason);
        }
        free(crl);
    }
    /* Reason 7 is not a CRLReason; nextUpdate must follow thisUpdate. */
    uint8_t *crl;
    size_t len;
    in[0].reason = 7;
    ck_assert_int_eq(est_ca_crl(ca, in, 1, 1, 1700000000, 1700086400, &crl, &len, err, sizeof(err)), -1);
    in[0].reason = 1;
    ck_assert_int_eq(est_ca_crl(ca, in, 1, 1, 1700000000, 1700000000, &crl, &len, err, sizeof(err)), -1);
    ck_assert_ptr_null(crl);
    est_ca_free(ca);
}
END_TEST

/* ---- EST bodies and PEM ------------------------------------------------- */

START_TEST(pkcs7_certs_structure)
{
    uint8_t a[2048], b[2048], out[8192];
    size_t la = pem_der(ca256_pem, a, sizeof(a)), lb = pem_der(leaf_pem, b, sizeof(b));
    const uint8_t *certs[2] = {a, b};
    size_t lens[2] = {la, lb};
    long n = est_pkcs7_certs(certs, lens, 2, out, sizeof(out));
    ck_assert_int_gt(n, 0);
    uint8_t small[8192];
    ck_assert_int_eq(est_pkcs7_certs(certs, lens, 2, small, (size_t)n - 1), -1);

    static const uint8_t signed_data[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02};
    static const uint8_t data[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01};
    der_rd_t r = der_rd(out, (size_t)n), c, sd, e;
    der_tlv_t ci, oid, ctx, seq, v;
    uint64_t u;
    ck_assert_int_eq(der_expect(&r, DER_SEQUENCE, &ci), 0);
    ck_assert_uint_eq(r.len, 0);
    c = der_inside(&ci);
    ck_assert_int_eq(der_expect(&c, DER_OID, &oid), 0);
    ck_assert(der_oid_is(&oid, signed_data, sizeof(signed_data)));
    ck_assert_int_eq(der_expect(&c, DER_CTX_CONS(0), &ctx), 0);
    ck_assert_uint_eq(c.len, 0);
    c = der_inside(&ctx);
    ck_assert_int_eq(der_expect(&c, DER_SEQUENCE, &seq), 0);
    sd = der_inside(&seq);
    ck_assert_int_eq(der_expect(&sd, DER_INTEGER, &v), 0);
    ck_assert_int_eq(der_small_uint(&v, &u), 0);
    ck_assert_uint_eq(u, 1);
    ck_assert_int_eq(der_expect(&sd, DER_SET, &v), 0);
    ck_assert_uint_eq(v.len, 0);
    ck_assert_int_eq(der_expect(&sd, DER_SEQUENCE, &v), 0);
    e = der_inside(&v);
    ck_assert_int_eq(der_expect(&e, DER_OID, &oid), 0);
    ck_assert(der_oid_is(&oid, data, sizeof(data)));
    ck_assert_uint_eq(e.len, 0); /* no content */
    ck_assert_int_eq(der_expect(&sd, DER_CTX_CONS(0), &v), 0);
    e = der_inside(&v);
    for (int i = 0; i < 2; i++) {
        der_tlv_t cert;
        ck_assert_int_eq(der_next(&e, &cert), 0);
        ck_assert_uint_eq(cert.rawlen, lens[i]);
        ck_assert_mem_eq(cert.raw, certs[i], lens[i]);
    }
    ck_assert_uint_eq(e.len, 0);
    ck_assert_int_eq(der_expect(&sd, DER_SET, &v), 0);
    ck_assert_uint_eq(v.len, 0); /* no signers */
    ck_assert_uint_eq(sd.len, 0);
}
END_TEST

START_TEST(csrattrs_structure)
{
    uint8_t out[64];
    long n = est_csrattrs(out, sizeof(out));
    ck_assert_int_gt(n, 0);
    /* RFC 7030 §4.5.2: SEQUENCE { ecdsa-with-SHA256, { id-ecPublicKey, SET { prime256v1 } } } */
    static const uint8_t want[] = {0x30, 0x21, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02,
                                   0x30, 0x15, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x31,
                                   0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
    ck_assert_uint_eq((size_t)n, sizeof(want));
    ck_assert_mem_eq(out, want, sizeof(want));
    ck_assert_int_eq(est_csrattrs(out, 10), -1);
}
END_TEST

START_TEST(pem_lines_and_round_trip)
{
    uint8_t der[2048], back[2048];
    size_t len = pem_der(ca384_pem, der, sizeof(der));
    char *pem = est_pem("CERTIFICATE", der, len);
    ck_assert_ptr_nonnull(pem);
    /* openssl writes the same armour: 64-character lines. */
    ck_assert_str_eq(pem, ca384_pem);
    size_t lines = 0;
    for (char *p = pem, *nl; (nl = strchr(p, '\n')); p = nl + 1, lines++) {
        size_t w = (size_t)(nl - p);
        if (strncmp(p, "-----", 5) != 0) ck_assert_uint_le(w, 64);
        if (nl[1] && strncmp(nl + 1, "-----END", 8) != 0 && strncmp(p, "-----", 5) != 0)
            ck_assert_uint_eq(w, 64);
    }
    ck_assert_uint_gt(lines, 3);
    const char *pos = pem;
    ck_assert_int_eq(est_pem_block(&pos, pem + strlen(pem), "CERTIFICATE", back, sizeof(back)), (long)len);
    ck_assert_mem_eq(back, der, len);
    ck_assert_int_eq(est_pem_block(&pos, pem + strlen(pem), "CERTIFICATE", back, sizeof(back)), 0);
    free(pem);
    /* Lengths 0..5 pad correctly. */
    static const uint8_t x[5] = {1, 2, 3, 4, 5};
    static const char *const want[] = {"", "AQ==\n", "AQI=\n", "AQID\n", "AQIDBA==\n", "AQIDBAU=\n"};
    for (size_t i = 0; i <= 5; i++) {
        char exp[80];
        snprintf(exp, sizeof(exp), "-----BEGIN X-----\n%s-----END X-----\n", want[i]);
        char *s = est_pem("X", x, i);
        ck_assert_str_eq(s, exp);
        free(s);
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("est_ca");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, load_p256_pem_and_der);
    tcase_add_test(tc, load_refusals);
    tcase_add_test(tc, issue_p256_verified_by_wolfssl);
    tcase_add_test(tc, issue_p384_ca);
    tcase_add_test(tc, issue_refusals);
    tcase_add_test(tc, cert_info_refuses_every_truncation);
    tcase_add_test(tc, serial_random_properties);
    tcase_add_test(tc, crl_0_1_3_entries);
    tcase_add_test(tc, pkcs7_certs_structure);
    tcase_add_test(tc, csrattrs_structure);
    tcase_add_test(tc, pem_lines_and_round_trip);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    wolfSSL_Init();
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    wolfSSL_Cleanup();
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
