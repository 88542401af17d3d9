/*
 * test_dtls_peek.c — stateless pre-parsing of epoch-0 DTLS records
 * (bsd/transport/dtls.c): ClientHello recognition (RFC 6347 §4.2.1), the
 * RFC 7250 server_certificate_type extension, cookie presence, truncation,
 * and the NUL-in-PSK-identity scan of ClientKeyExchange (RFC 4279 §2).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "bsd/transport/dtls.h"

/* Builds a DTLS 1.2 ClientHello; |ext| may be NULL. Returns the length. */
static size_t hello(uint8_t *out, const uint8_t *cookie, size_t cookie_len, const uint8_t *ext,
                    size_t ext_len)
{
    uint8_t body[512];
    size_t n = 0;
    body[n++] = 0xfe;
    body[n++] = 0xfd;
    memset(body + n, 0x11, 32);
    n += 32;
    body[n++] = 0; /* session id */
    body[n++] = (uint8_t)cookie_len;
    if (cookie_len) memcpy(body + n, cookie, cookie_len);
    n += cookie_len;
    body[n++] = 0;
    body[n++] = 2;
    body[n++] = 0xc0;
    body[n++] = 0xa8;
    body[n++] = 1;
    body[n++] = 0;
    if (ext) {
        body[n++] = (uint8_t)(ext_len >> 8);
        body[n++] = (uint8_t)ext_len;
        memcpy(body + n, ext, ext_len);
        n += ext_len;
    }
    uint8_t *p = out;
    *p++ = 22;
    *p++ = 0xfe;
    *p++ = 0xfd;
    memset(p, 0, 8);
    p += 8;
    *p++ = (uint8_t)((n + 12) >> 8);
    *p++ = (uint8_t)(n + 12);
    *p++ = 1;
    *p++ = 0;
    *p++ = (uint8_t)(n >> 8);
    *p++ = (uint8_t)n;
    *p++ = 0;
    *p++ = 0;
    *p++ = 0;
    *p++ = 0;
    *p++ = 0;
    *p++ = 0;
    *p++ = (uint8_t)(n >> 8);
    *p++ = (uint8_t)n;
    memcpy(p, body, n);
    return 25 + n;
}

START_TEST(plain_hello)
{
    uint8_t b[600];
    size_t n = hello(b, NULL, 0, NULL, 0);
    dtls_hello_info_t hi;
    ck_assert_int_eq(dtls_peek_client_hello(b, n, &hi), 0);
    ck_assert_int_eq(hi.is_client_hello, 1);
    ck_assert_int_eq(hi.has_cookie, 0);
    ck_assert_int_eq(hi.wants_rpk_server, 0);
}
END_TEST

START_TEST(cookie_and_rpk)
{
    uint8_t b[600], cookie[32];
    memset(cookie, 7, sizeof(cookie));
    /* server_certificate_type (20), RFC 7250 §3: {RawPublicKey (2), X.509 (0)} */
    static const uint8_t ext[] = {0x00, 0x14, 0x00, 0x03, 0x02, 0x02, 0x00};
    size_t n = hello(b, cookie, sizeof(cookie), ext, sizeof(ext));
    dtls_hello_info_t hi;
    ck_assert_int_eq(dtls_peek_client_hello(b, n, &hi), 0);
    ck_assert_int_eq(hi.has_cookie, 1);
    ck_assert_int_eq(hi.wants_rpk_server, 1);
    /* {X.509, RawPublicKey}: the server may choose (RFC 7250 §4.2): raw key */
    static const uint8_t ext_x[] = {0x00, 0x14, 0x00, 0x03, 0x02, 0x00, 0x02};
    n = hello(b, NULL, 0, ext_x, sizeof(ext_x));
    ck_assert_int_eq(dtls_peek_client_hello(b, n, &hi), 0);
    ck_assert_int_eq(hi.wants_rpk_server, 1);
    /* {X.509} only */
    static const uint8_t ext_o[] = {0x00, 0x14, 0x00, 0x02, 0x01, 0x00};
    n = hello(b, NULL, 0, ext_o, sizeof(ext_o));
    ck_assert_int_eq(dtls_peek_client_hello(b, n, &hi), 0);
    ck_assert_int_eq(hi.wants_rpk_server, 0);
    /* {RawPublicKey} alone */
    static const uint8_t ext_r[] = {0x00, 0x14, 0x00, 0x02, 0x01, 0x02};
    n = hello(b, NULL, 0, ext_r, sizeof(ext_r));
    ck_assert_int_eq(dtls_peek_client_hello(b, n, &hi), 0);
    ck_assert_int_eq(hi.wants_rpk_server, 1);
    /* client_certificate_type (19) listing RPK does not pick the RPK server key */
    static const uint8_t ext2[] = {0x00, 0x13, 0x00, 0x02, 0x01, 0x02};
    n = hello(b, NULL, 0, ext2, sizeof(ext2));
    ck_assert_int_eq(dtls_peek_client_hello(b, n, &hi), 0);
    ck_assert_int_eq(hi.wants_rpk_server, 0);
}
END_TEST

START_TEST(rejects_non_hello_and_truncation)
{
    uint8_t b[600];
    size_t n = hello(b, NULL, 0, NULL, 0);
    dtls_hello_info_t hi;
    for (size_t cut = 0; cut < n; cut++)
        ck_assert_int_eq(dtls_peek_client_hello(b, cut, &hi), -1);
    uint8_t c[600];
    memcpy(c, b, n);
    c[0] = 23; /* application data */
    ck_assert_int_eq(dtls_peek_client_hello(c, n, &hi), -1);
    memcpy(c, b, n);
    c[4] = 1; /* epoch 1 */
    ck_assert_int_eq(dtls_peek_client_hello(c, n, &hi), -1);
    memcpy(c, b, n);
    c[13] = 16; /* ClientKeyExchange */
    ck_assert_int_eq(dtls_peek_client_hello(c, n, &hi), -1);
    memcpy(c, b, n);
    c[19 + 2] = 1; /* fragment_offset != 0: a fragment, not a whole hello */
    ck_assert_int_eq(dtls_peek_client_hello(c, n, &hi), -1);
    /* an extension whose length runs past the message */
    static const uint8_t bad_ext[] = {0x00, 0x14, 0x00, 0x09, 0x02};
    n = hello(b, NULL, 0, bad_ext, sizeof(bad_ext));
    ck_assert_int_eq(dtls_peek_client_hello(b, n, &hi), -1);
}
END_TEST

static size_t cke(uint8_t *out, const char *id, size_t idlen)
{
    size_t body = 2 + idlen;
    uint8_t *p = out;
    *p++ = 22;
    *p++ = 0xfe;
    *p++ = 0xfd;
    memset(p, 0, 8);
    p += 8;
    *p++ = (uint8_t)((body + 12) >> 8);
    *p++ = (uint8_t)(body + 12);
    *p++ = 16;
    *p++ = 0;
    *p++ = (uint8_t)(body >> 8);
    *p++ = (uint8_t)body;
    *p++ = 0;
    *p++ = 2;
    memset(p, 0, 3);
    p += 3;
    *p++ = 0;
    *p++ = (uint8_t)(body >> 8);
    *p++ = (uint8_t)body;
    *p++ = (uint8_t)(idlen >> 8);
    *p++ = (uint8_t)idlen;
    memcpy(p, id, idlen);
    return 25 + body;
}

START_TEST(psk_identity_nul)
{
    uint8_t b[300];
    size_t n = cke(b, "dev-psk", 7);
    ck_assert_int_eq(dtls_psk_identity_has_nul(b, n), 0);
    n = cke(b, "dev\0psk", 7);
    ck_assert_int_eq(dtls_psk_identity_has_nul(b, n), 1);
    /* a record length beyond the datagram is ignored, never read past */
    ck_assert_int_eq(dtls_psk_identity_has_nul(b, n - 3), 0);
}
END_TEST

START_TEST(alert_peek)
{
    uint8_t a[15] = {21, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 5, 0, 2, 2, 115};
    ck_assert_int_eq(dtls_peek_alert(a, sizeof(a)), 115);
    ck_assert_str_eq(dtls_alert_name(115), "unknown_psk_identity");
    a[4] = 1; /* encrypted epoch: not readable */
    ck_assert_int_eq(dtls_peek_alert(a, sizeof(a)), -1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("dtls_peek");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, plain_hello);
    tcase_add_test(tc, cookie_and_rpk);
    tcase_add_test(tc, rejects_non_hello_and_truncation);
    tcase_add_test(tc, psk_identity_nul);
    tcase_add_test(tc, alert_peek);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
