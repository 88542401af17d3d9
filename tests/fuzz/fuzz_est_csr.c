/*
 * fuzz_est_csr.c — libFuzzer target for PKCS#10 parsing and the Name text
 * form (bsd/est/est_csr.c, with the DER reader of bsd/est/der.c).
 *
 * The input is parsed as a request; on success every pointer must lie
 * inside the input (and the parts inside the signed info), the counts must
 * be within bounds, the subject must print, and verification must end in
 * one of its documented results. The input is also taken as a Name and as
 * Name text: whatever est_name_der() accepts must print back identically.
 */
#include "bsd/est/est_csr.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int within(const uint8_t *p, size_t n, const uint8_t *base, size_t len)
{
    return p >= base && n <= len && (size_t)(p - base) <= len - n;
}

/* Text form of a Name: at most 3 characters (\XX) per input byte. */
#define TEXT_MAX (3 * EST_CSR_MAX + 1)

/* est_name_der() of |s|, printed back, must give |s|. */
static void name_round_trip(const char *s)
{
    static uint8_t der[EST_CSR_MAX];
    static char back[TEXT_MAX];
    int n = est_name_der(s, der, sizeof(der));
    if (n < 0) return;
    int m = est_name_str(der, (size_t)n, back, sizeof(back));
    if (m < 0 || strcmp(back, s) != 0 || (size_t)m != strlen(s)) abort();
}

static void check_csr(const est_csr_t *c, const uint8_t *in, size_t len)
{
    static char text[TEXT_MAX];
    if (!within(c->info, c->info_len, in, len)) abort();
    if (!within(c->subject, c->subject_len, c->info, c->info_len)) abort();
    if (!within(c->spki, c->spki_len, c->info, c->info_len)) abort();
    if (!within(c->pub, c->pub_len, c->spki, c->spki_len)) abort();
    if (!within(c->sig, c->sig_len, in, len) || within(c->sig, c->sig_len, c->info, c->info_len)) abort();
    if (c->nsan > EST_CSR_MAX_SAN || (c->san_overflow && c->nsan != EST_CSR_MAX_SAN)) abort();
    for (size_t i = 0; i < c->nsan; i++) {
        if (!within(c->san[i].val, c->san[i].len, c->info, c->info_len)) abort();
        if (c->san[i].type == EST_SAN_IP && c->san[i].len != 4 && c->san[i].len != 16) abort();
    }
    if (c->challenge && !within(c->challenge, c->challenge_len, c->info, c->info_len)) abort();
    if (c->curve != EST_CURVE_NONE &&
        (c->pub_len == 0 || (c->pub[0] != 2 && c->pub[0] != 3 && c->pub[0] != 4)))
        abort();

    /* The parser validated the subject, so it prints, and a NUL ends it. */
    int n = est_name_str(c->subject, c->subject_len, text, sizeof(text));
    if (n < 0 || strlen(text) != (size_t)n) abort();
    name_round_trip(text);

    int rc = est_csr_verify(c);
    if (rc != 0 && rc != EST_CSR_ERR_SIGNATURE && rc != EST_CSR_ERR_UNSUPPORTED) abort();
    if (rc == 0 && (c->curve == EST_CURVE_NONE || c->sig_alg == EST_SIG_NONE)) abort();
    uint8_t h[32];
    if (est_csr_spki_sha256(c, h) != 0) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    est_csr_t c;
    char err[96];
    int rc = est_csr_parse(&c, data, size, err, sizeof(err));
    if (rc == 0)
        check_csr(&c, data, size);
    else if (rc != EST_CSR_ERR_MALFORMED || strlen(err) == 0)
        abort();

    /* The input as a Name. */
    static char text[TEXT_MAX];
    int n = est_name_str(data, size, text, sizeof(text));
    if (n >= 0) {
        if (strlen(text) != (size_t)n) abort();
        name_round_trip(text);
    }

    /* The input as Name text. */
    if (size < 1024) {
        char s[1024];
        memcpy(s, data, size);
        s[size] = 0;
        name_round_trip(s);
    }
    return 0;
}
