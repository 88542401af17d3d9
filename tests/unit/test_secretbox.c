/*
 * test_secretbox.c — unit tests for bsd/db/secretbox.c: the AES-256-GCM
 * primitive against a published known answer, the sealed format, associated
 * data binding, key ids, tampering, rotation, and keyring parsing (text,
 * file permissions, environment).
 */
#include "bsd/db/secretbox.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void unhex(const char *hex, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1) abort();
        out[i] = (uint8_t)v;
    }
}

/*
 * Test Case 16 of "The Galois/Counter Mode of Operation (GCM)", D. McGrew and
 * J. Viega, revised 2005, Appendix B (the test vectors NIST SP 800-38D
 * refers to): AES-256, 96-bit IV, 60-byte plaintext, 20-byte AAD.
 */
#define TC16_K "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308"
#define TC16_P                                                                                               \
    "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aed" \
    "f5"                                                                                                     \
    "aa0de657ba637b39"
#define TC16_A  "feedfacedeadbeeffeedfacedeadbeefabaddad2"
#define TC16_IV "cafebabefacedbaddecaf888"
#define TC16_C                                                                                               \
    "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e" \
    "63"                                                                                                     \
    "93ba7a0abcc9f662"
#define TC16_T "76fc6ece0f4e1768cddf8853bb2d551b"

START_TEST(test_gcm_known_answer)
{
    uint8_t k[32], p[60], a[20], iv[12], c[60], t[16], out[60], tag[16];
    unhex(TC16_K, k, 32);
    unhex(TC16_P, p, 60);
    unhex(TC16_A, a, 20);
    unhex(TC16_IV, iv, 12);
    unhex(TC16_C, c, 60);
    unhex(TC16_T, t, 16);
    ck_assert_int_eq(db_secretbox_gcm_encrypt(k, iv, a, 20, p, 60, out, tag), 0);
    ck_assert_mem_eq(out, c, 60);
    ck_assert_mem_eq(tag, t, 16);
    ck_assert_int_eq(db_secretbox_gcm_decrypt(k, iv, a, 20, c, 60, out, t), 0);
    ck_assert_mem_eq(out, p, 60);
    t[0] ^= 1;
    ck_assert_int_eq(db_secretbox_gcm_decrypt(k, iv, a, 20, c, 60, out, t), -EBADMSG);
}
END_TEST

static const uint8_t key1[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13, 14, 15, 16,
                                 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
static const uint8_t key2[32] = {0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa,
                                 0xab, 0xac, 0xad, 0xae, 0xaf, 0xb0, 0xb1, 0xb2, 0xb3, 0xb4, 0xb5,
                                 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xbb, 0xbc, 0xbd, 0xbe, 0xbf};
static const uint8_t secret[16] = "0123456789abcdef";

static size_t ad_of(uint8_t *ad, const char *ep)
{
    int n = db_secretbox_ad(ad, DB_SECRETBOX_AD_MAX, "devices.psk_key", ep);
    ck_assert_int_gt(n, 0);
    return (size_t)n;
}

START_TEST(test_round_trip_and_format)
{
    db_secretbox_t sb;
    db_secretbox_init(&sb);
    ck_assert_int_eq(db_secretbox_add_key(&sb, 7, key1), 0);
    uint8_t ad[DB_SECRETBOX_AD_MAX], sealed[64], sealed2[64], out[32];
    size_t adlen = ad_of(ad, "dev-1"), n, m;
    ck_assert_int_eq(db_secretbox_seal(&sb, ad, adlen, secret, 16, sealed, sizeof sealed, &n), 0);
    ck_assert_uint_eq(n, 16 + DB_SECRETBOX_OVERHEAD);
    ck_assert_uint_eq(sealed[0], DB_SECRETBOX_VERSION);
    ck_assert_uint_eq(sealed[1], 7);
    ck_assert_uint_eq(db_secretbox_key_id(sealed, n), 7);
    ck_assert(memmem(sealed, n, secret, 16) == NULL); /* no plaintext inside */
    ck_assert_int_eq(db_secretbox_open(&sb, ad, adlen, sealed, n, out, sizeof out, &m), 0);
    ck_assert_uint_eq(m, 16);
    ck_assert_mem_eq(out, secret, 16);
    /* A fresh nonce each time. */
    ck_assert_int_eq(db_secretbox_seal(&sb, ad, adlen, secret, 16, sealed2, sizeof sealed2, &n), 0);
    ck_assert(memcmp(sealed + 2, sealed2 + 2, DB_SECRETBOX_NONCE_LEN) != 0);
    /* Output too small. */
    ck_assert_int_eq(db_secretbox_seal(&sb, ad, adlen, secret, 16, sealed2, 45, &n), -ENOSPC);
    ck_assert_int_eq(db_secretbox_open(&sb, ad, adlen, sealed, 46, out, 15, &m), -ENOSPC);
    db_secretbox_free(&sb);
}
END_TEST

START_TEST(test_wrong_ad)
{
    db_secretbox_t sb;
    db_secretbox_init(&sb);
    db_secretbox_add_key(&sb, 1, key1);
    uint8_t ad[DB_SECRETBOX_AD_MAX], ad2[DB_SECRETBOX_AD_MAX], sealed[64], out[32];
    size_t adlen = ad_of(ad, "dev-1"), ad2len = ad_of(ad2, "dev-2"), n, m;
    ck_assert_int_eq(db_secretbox_seal(&sb, ad, adlen, secret, 16, sealed, sizeof sealed, &n), 0);
    /* Moved to another device's row. */
    ck_assert_int_eq(db_secretbox_open(&sb, ad2, ad2len, sealed, n, out, sizeof out, &m), -EBADMSG);
    /* Moved to another column of the same row. */
    int l = db_secretbox_ad(ad2, sizeof ad2, "devices.oscore_secret", "dev-1");
    ck_assert_int_eq(db_secretbox_open(&sb, ad2, (size_t)l, sealed, n, out, sizeof out, &m), -EBADMSG);
    /* "a" NUL "bc" and "ab" NUL "c" differ. */
    uint8_t x[8], y[8];
    ck_assert_int_eq(db_secretbox_ad(x, 8, "a", "bc"), 4);
    ck_assert_int_eq(db_secretbox_ad(y, 8, "ab", "c"), 4);
    ck_assert(memcmp(x, y, 4) != 0);
    db_secretbox_free(&sb);
}
END_TEST

START_TEST(test_wrong_key_and_id)
{
    db_secretbox_t a, b;
    db_secretbox_init(&a);
    db_secretbox_init(&b);
    db_secretbox_add_key(&a, 1, key1);
    db_secretbox_add_key(&b, 1, key2); /* same id, other key */
    uint8_t ad[DB_SECRETBOX_AD_MAX], sealed[64], out[32];
    size_t adlen = ad_of(ad, "dev-1"), n, m;
    ck_assert_int_eq(db_secretbox_seal(&a, ad, adlen, secret, 16, sealed, sizeof sealed, &n), 0);
    ck_assert_int_eq(db_secretbox_open(&b, ad, adlen, sealed, n, out, sizeof out, &m), -EBADMSG);
    /* Key id not in the ring. */
    db_secretbox_t c;
    db_secretbox_init(&c);
    db_secretbox_add_key(&c, 2, key1);
    ck_assert_int_eq(db_secretbox_open(&c, ad, adlen, sealed, n, out, sizeof out, &m), -ENOKEY);
    /* Rewriting the key id to one that exists fails authentication: the
     * header is part of the additional data. */
    db_secretbox_add_key(&a, 2, key1);
    sealed[1] = 2;
    ck_assert_int_eq(db_secretbox_open(&a, ad, adlen, sealed, n, out, sizeof out, &m), -EBADMSG);
    /* Empty ring cannot seal. */
    db_secretbox_t e;
    db_secretbox_init(&e);
    ck_assert_int_eq(db_secretbox_seal(&e, ad, adlen, secret, 16, sealed, sizeof sealed, &n), -ENOKEY);
    db_secretbox_free(&a);
    db_secretbox_free(&b);
    db_secretbox_free(&c);
    db_secretbox_free(&e);
}
END_TEST

START_TEST(test_tampered)
{
    db_secretbox_t sb;
    db_secretbox_init(&sb);
    db_secretbox_add_key(&sb, 1, key1);
    uint8_t ad[DB_SECRETBOX_AD_MAX], sealed[64], t[64], out[32];
    size_t adlen = ad_of(ad, "dev-1"), n, m;
    ck_assert_int_eq(db_secretbox_seal(&sb, ad, adlen, secret, 16, sealed, sizeof sealed, &n), 0);
    for (size_t i = 0; i < n; i++) { /* every byte: version, id, nonce, ciphertext, tag */
        memcpy(t, sealed, n);
        t[i] ^= 0x80;
        int r = db_secretbox_open(&sb, ad, adlen, t, n, out, sizeof out, &m);
        ck_assert_msg(r == -EBADMSG || (i == 1 && r == -ENOKEY), "byte %zu: %d", i, r);
    }
    ck_assert_int_eq(db_secretbox_open(&sb, ad, adlen, sealed, n - 1, out, sizeof out, &m), -EBADMSG);
    ck_assert_int_eq(db_secretbox_open(&sb, ad, adlen, sealed, 10, out, sizeof out, &m), -EBADMSG);
    db_secretbox_free(&sb);
}
END_TEST

START_TEST(test_rotation)
{
    db_secretbox_t sb;
    db_secretbox_init(&sb);
    db_secretbox_add_key(&sb, 1, key1);
    uint8_t ad[DB_SECRETBOX_AD_MAX], old[64], neu[64], out[32];
    size_t adlen = ad_of(ad, "dev-1"), n, m;
    ck_assert_int_eq(db_secretbox_seal(&sb, ad, adlen, secret, 16, old, sizeof old, &n), 0);
    ck_assert_int_eq(db_secretbox_add_key(&sb, 2, key2), 0);
    ck_assert_int_eq(db_secretbox_seal(&sb, ad, adlen, secret, 16, neu, sizeof neu, &n), 0);
    ck_assert_uint_eq(neu[1], 2); /* the highest id seals */
    ck_assert_int_eq(db_secretbox_open(&sb, ad, adlen, old, n, out, sizeof out, &m), 0);
    ck_assert_mem_eq(out, secret, 16);
    ck_assert_int_eq(db_secretbox_open(&sb, ad, adlen, neu, n, out, sizeof out, &m), 0);
    /* Order of adding does not matter: a lower id added later does not seal. */
    ck_assert_int_eq(db_secretbox_add_key(&sb, 1, key2), -EEXIST);
    ck_assert_int_eq(db_secretbox_add_key(&sb, 0, key2), -EINVAL);
    db_secretbox_free(&sb);
}
END_TEST

#define HEX1 "0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20"
#define HEX2 "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"

START_TEST(test_keyring_text)
{
    static const struct {
        const char *text;
        const char *err; /* NULL: accepted */
    } cases[] = {
        {"# keys\n1 " HEX1 "\n\n  2\t" HEX2 "  # newer\n", NULL},
        {"", "k: no key (expected lines \"ID HEX64\")"},
        {"0 " HEX1 "\n", "k:1:1: key id must be an integer in 1..255"},
        {"256 " HEX1 "\n", "k:1:1: key id must be an integer in 1..255"},
        {"x " HEX1 "\n", "k:1:1: key id must be an integer in 1..255"},
        {"1\n", "k:1:2: missing key: 64 hex digits"},
        {"1 0102\n", "k:1:3: key must be 64 hex digits (32 bytes)"},
        {"1 " HEX1 "00\n", "k:1:3: key must be 64 hex digits (32 bytes)"},
        {"1 zz02030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20\n",
         "k:1:3: key must be hex digits"},
        {"1 " HEX1 " extra\n", "k:1:68: unexpected text after the key"},
        {"1 " HEX1 "\n1 " HEX2 "\n", "k:2:1: duplicate key id 1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        db_secretbox_t sb;
        db_secretbox_init(&sb);
        char err[DB_SECRETBOX_ERR_MAX] = "";
        int r = db_secretbox_load_text(&sb, "k", cases[i].text, strlen(cases[i].text), err, sizeof err);
        if (cases[i].err == NULL) {
            ck_assert_msg(r == 0, "case %zu: %s", i, err);
            ck_assert_uint_eq(sb.count, 2);
            ck_assert_uint_eq(sb.keys[sb.active].id, 2);
        } else {
            ck_assert_int_eq(r, -EINVAL);
            ck_assert_str_eq(err, cases[i].err);
            ck_assert_uint_eq(sb.count, 0);
        }
        db_secretbox_free(&sb);
    }
    /* Too many keys. */
    char big[20 * 80];
    size_t n = 0;
    for (int i = 1; i <= 17; i++)
        n += (size_t)snprintf(big + n, sizeof big - n, "%d %s\n", i, HEX1);
    db_secretbox_t sb;
    db_secretbox_init(&sb);
    char err[DB_SECRETBOX_ERR_MAX];
    ck_assert_int_eq(db_secretbox_load_text(&sb, "k", big, n, err, sizeof err), -EINVAL);
    ck_assert_str_eq(err, "k:17:1: too many keys (max 16)");
    db_secretbox_free(&sb);
}
END_TEST

START_TEST(test_keyring_file_and_env)
{
    char path[] = "/tmp/test_secretbox.XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    const char *text = "3 " HEX1 "\n";
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    db_secretbox_t sb;
    db_secretbox_init(&sb);
    char err[DB_SECRETBOX_ERR_MAX + 300];
    chmod(path, 0640);
    ck_assert_int_eq(db_secretbox_load_file(&sb, path, err, sizeof err), -EPERM);
    ck_assert(strstr(err, "key file is accessible by group or others (mode 0640); chmod 600 it") != NULL);
    chmod(path, 0600);
    ck_assert_int_eq(db_secretbox_load_file(&sb, path, err, sizeof err), 0);
    ck_assert_uint_eq(sb.keys[0].id, 3);
    unlink(path);
    ck_assert_int_lt(db_secretbox_load_file(&sb, path, err, sizeof err), 0);
    db_secretbox_free(&sb);

    db_secretbox_init(&sb);
    setenv("TEST_SB_KEYS", "9 " HEX2, 1);
    ck_assert_int_eq(db_secretbox_load_env(&sb, "TEST_SB_KEYS", err, sizeof err), 0);
    ck_assert_uint_eq(sb.keys[0].id, 9);
    setenv("TEST_SB_KEYS", "9 nothex", 1);
    db_secretbox_free(&sb);
    db_secretbox_init(&sb);
    ck_assert_int_eq(db_secretbox_load_env(&sb, "TEST_SB_KEYS", err, sizeof err), -EINVAL);
    ck_assert_str_eq(err, "environment TEST_SB_KEYS:1:3: key must be hex digits");
    unsetenv("TEST_SB_KEYS");
    ck_assert_int_eq(db_secretbox_load_env(&sb, "TEST_SB_KEYS", err, sizeof err), -ENOENT);
    db_secretbox_free(&sb);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("secretbox");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_gcm_known_answer);
    tcase_add_test(tc, test_round_trip_and_format);
    tcase_add_test(tc, test_wrong_ad);
    tcase_add_test(tc, test_wrong_key_and_id);
    tcase_add_test(tc, test_tampered);
    tcase_add_test(tc, test_rotation);
    tcase_add_test(tc, test_keyring_text);
    tcase_add_test(tc, test_keyring_file_and_env);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
