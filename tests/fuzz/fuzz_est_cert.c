/*
 * fuzz_est_cert.c — libFuzzer target for the certificate reader of the EST
 * CA (bsd/est/est_cert.c): est_cert_parse, est_cert_info and est_spki_parse
 * on the input as DER, and est_pem_block on the input as a PEM file (the CA
 * certificate file), each decoded block parsed again.
 *
 * Whatever parses is checked against the documented invariants: every
 * pointer lies inside the input, the whole-TLV fields start with a
 * SEQUENCE, a 16-octet serial fits, and a parsed certificate survives PEM
 * armour (est_pem) and back unchanged. Any violation aborts.
 */
#include "bsd/est/est_ca.h"
#include "bsd/est/est_csr.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inside(const uint8_t *p, size_t n, const uint8_t *in, size_t len)
{
    if (!p) {
        if (n != 0) abort();
        return;
    }
    if (p < in || n > len || (size_t)(p - in) > len - n) abort();
}

static void check_cert(const uint8_t *der, size_t len)
{
    est_cert_t c;
    est_cert_info_t info;
    if (est_cert_parse(&c, der, len) != 0) {
        if (est_cert_info(der, len, &info) != -1) abort();
        return;
    }
    inside(c.tbs, c.tbs_len, der, len);
    inside(c.serial, c.serial_len, der, len);
    inside(c.issuer, c.issuer_len, der, len);
    inside(c.subject, c.subject_len, der, len);
    inside(c.spki, c.spki_len, der, len);
    inside(c.pub, c.pub_len, der, len);
    inside(c.sig, c.sig_len, der, len);
    inside(c.ski, c.ski_len, der, len);
    if (c.tbs[0] != 0x30 || c.issuer[0] != 0x30 || c.subject[0] != 0x30 || c.spki[0] != 0x30) abort();
    if (c.serial_len == 0 || c.serial_len > 21) abort();
    if (c.is_ca && !c.has_bc) abort();
    int curve;
    const uint8_t *pub;
    size_t pub_len;
    if (est_spki_parse(c.spki, c.spki_len, &curve, &pub, &pub_len) != 0 || curve != c.curve || pub != c.pub)
        abort();
    if (est_cert_info(der, len, &info) == 0) {
        if (info.serial_len == 0 || info.serial_len > sizeof(info.serial)) abort();
        if (memchr(info.subject, 0, sizeof(info.subject)) == NULL) abort();
    }
    /* Armour and back. */
    char *pem = est_pem("CERTIFICATE", der, len);
    if (!pem) return;
    uint8_t *back = malloc(len + 1);
    const char *pos = pem;
    if (!back || est_pem_block(&pos, pem + strlen(pem), "CERTIFICATE", back, len + 1) != (long)len ||
        memcmp(back, der, len) != 0)
        abort();
    free(back);
    free(pem);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > EST_CERT_FILE_MAX) return 0;
    check_cert(data, size);

    int curve;
    const uint8_t *pub;
    size_t pub_len;
    if (est_spki_parse(data, size, &curve, &pub, &pub_len) == 0) inside(pub, pub_len, data, size);

    /* The input as a PEM file: up to a chain's worth of blocks. */
    const char *pos = (const char *)data, *end = pos + size;
    uint8_t *der = malloc(size + 1);
    if (!der) return 0;
    for (int i = 0; i < EST_CA_CHAIN_MAX + 1; i++) {
        long n = est_pem_block(&pos, end, "CERTIFICATE", der, size + 1);
        if (n <= 0) break;
        if ((size_t)n > size || pos < (const char *)data || pos > end) abort();
        check_cert(der, (size_t)n);
    }
    free(der);
    return 0;
}
