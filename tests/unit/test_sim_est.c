/*
 * test_sim_est.c — bsd-sim's EST DER walks (tools/sim/sim_est_der.c): the
 * PKCS#7 certs-only parser (RFC 5652 §5.1 layout) on hand-made and
 * wolfCrypt-made input, every truncation of it, wrong tags, BER lengths
 * and bounds; the certificate field walk against a wolfCrypt
 * certificate; and a CSR with the SAN extension request that wolfSSL's
 * own parser verifies and reads back.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/asn.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/random.h>

#include "tools/sim/sim_est.h"

/* signedData OID TLV. */
static const uint8_t oid_sd[] = {0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02};

/* Appends tag + short/long length + value. */
static size_t put(uint8_t *o, uint8_t tag, const uint8_t *v, size_t l)
{
    size_t k = 0;
    o[k++] = tag;
    if (l < 0x80) {
        o[k++] = (uint8_t)l;
    } else if (l < 0x100) {
        o[k++] = 0x81, o[k++] = (uint8_t)l;
    } else {
        o[k++] = 0x82, o[k++] = (uint8_t)(l >> 8), o[k++] = (uint8_t)l;
    }
    if (l) memmove(o + k, v, l); /* v may be NULL for an empty value */
    return k + l;
}

/* A certs-only ContentInfo around the |n| certificates |certs|
 * (concatenated DER, |clen| bytes), the way `openssl crl2pkcs7 -nocrl`
 * lays it out: version 1, empty digestAlgorithms, data content type,
 * [0] certificates, empty signerInfos. */
static size_t make_p7(const uint8_t *certs, size_t clen, uint8_t *out)
{
    static uint8_t sd[8192], tmp[8192];
    static const uint8_t head[] = {0x02, 0x01, 0x01, 0x31, 0x00, 0x30, 0x0b, 0x06, 0x09,
                                   0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01};
    size_t k = 0;
    memcpy(sd, head, sizeof(head)), k = sizeof(head);
    k += put(sd + k, 0xa0, certs, clen);
    sd[k++] = 0x31, sd[k++] = 0x00;
    size_t s = put(tmp, 0x30, sd, k);    /* SignedData */
    size_t e = put(sd, 0xa0, tmp, s);    /* [0] EXPLICIT */
    memcpy(tmp, oid_sd, sizeof(oid_sd)); /* contentType */
    memcpy(tmp + sizeof(oid_sd), sd, e);
    return put(out, 0x30, tmp, sizeof(oid_sd) + e);
}

START_TEST(p7_two_certs)
{
    static const uint8_t certs[] = {0x30, 0x03, 0x02, 0x01, 0x05, 0x30, 0x02, 0x05, 0x00};
    uint8_t p7[256];
    size_t len = make_p7(certs, sizeof(certs), p7), n = 0;
    sim_est_span_t sp[4];
    ck_assert_int_eq(sim_est_p7_certs(p7, len, sp, 4, &n), 0);
    ck_assert_uint_eq(n, 2);
    ck_assert_uint_eq(sp[0].len, 5);
    ck_assert_mem_eq(sp[0].p, certs, 5);
    ck_assert_uint_eq(sp[1].len, 4);
    ck_assert_mem_eq(sp[1].p, certs + 5, 4);
    /* Room for one only. */
    ck_assert_int_eq(sim_est_p7_certs(p7, len, sp, 1, &n), SIM_EST_E_MANY);
    /* Every truncation fails cleanly; so does a trailing byte. */
    for (size_t l = 0; l < len; l++)
        ck_assert_int_ne(sim_est_p7_certs(p7, l, sp, 4, &n), 0);
    p7[len] = 0;
    ck_assert_int_eq(sim_est_p7_certs(p7, len + 1, sp, 4, &n), SIM_EST_E_TAG);
}
END_TEST

START_TEST(p7_rejects)
{
    static const uint8_t certs[] = {0x30, 0x00};
    uint8_t p7[256], bad[256];
    size_t len = make_p7(certs, sizeof(certs), p7), n;
    sim_est_span_t sp[4];
    /* Another content type (data, ...07.01). */
    memcpy(bad, p7, len);
    bad[4 + 8] = 0x01;
    ck_assert_int_eq(sim_est_p7_certs(bad, len, sp, 4, &n), SIM_EST_E_TAG);
    /* Indefinite length (BER) on the outer SEQUENCE. */
    memcpy(bad, p7, len);
    bad[1] = 0x80;
    ck_assert_int_eq(sim_est_p7_certs(bad, len, sp, 4, &n), SIM_EST_E_TAG);
    /* A length that claims more than there is. */
    memcpy(bad, p7, len);
    bad[1] = (uint8_t)(bad[1] + 1);
    ck_assert_int_eq(sim_est_p7_certs(bad, len, sp, 4, &n), SIM_EST_E_TRUNC);
    /* An empty certificate set. */
    len = make_p7(NULL, 0, p7);
    ck_assert_int_eq(sim_est_p7_certs(p7, len, sp, 4, &n), SIM_EST_E_EMPTY);
    ck_assert_int_ne(sim_est_p7_certs(NULL, 0, sp, 4, &n), 0);
}
END_TEST

/* A self-signed P-256 certificate with serial 01 02 03 made by wolfCrypt. */
static int make_cert(WC_RNG *rng, ecc_key *key, uint8_t *out, size_t cap)
{
    Cert c;
    ck_assert_int_eq(wc_InitCert(&c), 0);
    strcpy(c.subject.commonName, "test-ca");
    c.sigType = CTC_SHA256wECDSA;
    c.isCA = 1;
    c.serial[0] = 1, c.serial[1] = 2, c.serial[2] = 3, c.serialSz = 3;
    int r = wc_MakeCert_ex(&c, out, (word32)cap, ECC_TYPE, key, rng);
    ck_assert_int_gt(r, 0);
    r = wc_SignCert_ex(c.bodySz, c.sigType, out, (word32)cap, ECC_TYPE, key, rng);
    ck_assert_int_gt(r, 0);
    return r;
}

START_TEST(cert_fields_real)
{
    WC_RNG rng;
    ecc_key key;
    static uint8_t der[2048], p7[4096], spki[256];
    ck_assert_int_eq(wc_InitRng(&rng), 0);
    ck_assert_int_eq(wc_ecc_init(&key), 0);
    ck_assert_int_eq(wc_ecc_make_key_ex(&rng, 32, &key, ECC_SECP256R1), 0);
    int dl = make_cert(&rng, &key, der, sizeof(der));
    int sl = wc_EccPublicKeyToDer(&key, spki, sizeof(spki), 1);
    ck_assert_int_gt(sl, 0);
    sim_est_span_t serial, pk, sp[2];
    ck_assert_int_eq(sim_est_cert_fields(der, (size_t)dl, &serial, &pk), 0);
    ck_assert_uint_eq(serial.len, 3);
    ck_assert_int_eq(serial.p[0], 1);
    ck_assert_int_eq(serial.p[2], 3);
    ck_assert_uint_eq(pk.len, (size_t)sl);
    ck_assert_mem_eq(pk.p, spki, (size_t)sl);
    for (int l = 0; l < dl; l++)
        ck_assert_int_ne(sim_est_cert_fields(der, (size_t)l, &serial, &pk), 0);
    /* Wrapped in PKCS#7, it comes back byte for byte. */
    size_t n, len = make_p7(der, (size_t)dl, p7);
    ck_assert_int_eq(sim_est_p7_certs(p7, len, sp, 2, &n), 0);
    ck_assert_uint_eq(n, 1);
    ck_assert_uint_eq(sp[0].len, (size_t)dl);
    ck_assert_mem_eq(sp[0].p, der, (size_t)dl);
    wc_ecc_free(&key);
    wc_FreeRng(&rng);
}
END_TEST

START_TEST(csr_with_san)
{
    WC_RNG rng;
    ecc_key key;
    Cert req;
    static uint8_t csr[SIM_EST_CSR_MAX];
    ck_assert_int_eq(wc_InitRng(&rng), 0);
    ck_assert_int_eq(wc_ecc_init(&key), 0);
    ck_assert_int_eq(wc_ecc_make_key_ex(&rng, 32, &key, ECC_SECP256R1), 0);
    ck_assert_int_eq(wc_InitCert(&req), 0);
    req.version = 0;
    req.sigType = CTC_SHA256wECDSA;
    strcpy(req.subject.commonName, "dev-1");
    int body = wc_MakeCertReq_ex(&req, csr, sizeof(csr), ECC_TYPE, &key);
    ck_assert_int_gt(body, 0);
    size_t bl = (size_t)body;
    ck_assert_int_eq(sim_est_csr_add_san(csr, &bl, sizeof(csr), "dev-1.example"), 0);
    ck_assert_uint_gt(bl, (size_t)body);
    /* Twice is refused: the info already requests extensions. */
    size_t again = bl;
    ck_assert_int_eq(sim_est_csr_add_san(csr, &again, sizeof(csr), "x"), SIM_EST_E_TAG);
    ck_assert_uint_eq(again, bl);
    int n = wc_SignCert_ex((int)bl, req.sigType, csr, sizeof(csr), ECC_TYPE, &key, &rng);
    ck_assert_int_gt(n, 0);
    /* wolfSSL parses it, checks its signature and finds the name. */
    DecodedCert dc;
    wc_InitDecodedCert(&dc, csr, (word32)n, NULL);
    ck_assert_int_eq(wc_ParseCert(&dc, CERTREQ_TYPE, VERIFY, NULL), 0);
    ck_assert_ptr_nonnull(dc.altNames);
    ck_assert_int_eq(dc.altNames->type, ASN_DNS_TYPE);
    ck_assert_str_eq(dc.altNames->name, "dev-1.example");
    wc_FreeDecodedCert(&dc);
    /* Bounds: empty or overlong names, no room. */
    bl = (size_t)body;
    char longname[SIM_EST_SAN_MAX + 2];
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = 0;
    ck_assert_int_eq(sim_est_csr_add_san(csr, &bl, sizeof(csr), ""), SIM_EST_E_NOSPACE);
    ck_assert_int_eq(sim_est_csr_add_san(csr, &bl, sizeof(csr), longname), SIM_EST_E_NOSPACE);
    wc_ecc_free(&key);
    wc_FreeRng(&rng);
}
END_TEST

START_TEST(csr_add_san_rejects_garbage)
{
    uint8_t junk[64];
    memset(junk, 0x30, sizeof(junk));
    size_t l = sizeof(junk);
    ck_assert_int_ne(sim_est_csr_add_san(junk, &l, sizeof(junk), "a"), 0);
    ck_assert_uint_eq(l, sizeof(junk));
    l = 0;
    ck_assert_int_ne(sim_est_csr_add_san(junk, &l, sizeof(junk), "a"), 0);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("sim_est");
    TCase *tc = tcase_create("der");
    tcase_add_test(tc, p7_two_certs);
    tcase_add_test(tc, p7_rejects);
    tcase_add_test(tc, cert_fields_real);
    tcase_add_test(tc, csr_with_san);
    tcase_add_test(tc, csr_add_san_rejects_garbage);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
