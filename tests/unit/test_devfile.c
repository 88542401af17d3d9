/*
 * test_devfile.c — unit tests for bsd/util/devfile.c: every device kind,
 * broken inputs with exact positions, duplicates, NoSec address matching,
 * spki_file loading (PEM and DER) and the device limit.
 */
#include "bsd/util/devfile.h"
#include "bsd/util/log.h"
#include "bsd/util/spki.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * A P-256 public key made for this test with
 *   openssl ecparam -genkey -name prime256v1 -noout | openssl ec -pubout
 * and its DER (openssl pkey -pubin -outform DER | xxd -p).
 */
static const char spki_pem[] = "-----BEGIN PUBLIC KEY-----\n"
                               "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEsrIfj7GUEiWSXEZQ3TtHTg/6B3SH\n"
                               "n270EIBpEm7DxjqR1U8x4dHiW2iD2aqo2RzvXiaHlJYnu3LPVH52S3Pzhg==\n"
                               "-----END PUBLIC KEY-----\n";
#define SPKI_HEX                                                                                             \
    "3059301306072a8648ce3d020106082a8648ce3d03010703420004b2b21f8fb1941225925c4650dd3b474e0f"               \
    "fa0774879f6ef4108069126ec3c63a91d54f31e1d1e25b6883d9aaa8d91cef5e2687949627bb72cf547e764b"               \
    "73f386"
#define SPKI_LEN 91
#define FP_HEX   "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF"

static char err[DEVFILE_ERR_MAX];
static uint8_t spki_der[SPKI_LEN];

static void hex_to_bytes(const char *hex, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1) abort(); /* runs before the SRunner: no ck_assert here */
        out[i] = (uint8_t)v;
    }
}

static int load(devfile_t *df, const char *text)
{
    err[0] = '\0';
    return devfile_load_buffer(df, "t.dev", NULL, text, strlen(text), err, sizeof err);
}

/* ---- each kind --------------------------------------------------------------- */

START_TEST(test_kinds)
{
    devfile_t df;
    const char *t = "# demo devices\n"
                    "\n"
                    "ep-psk1 psk key=00112233\n"
                    "ep-psk2\tpsk  identity=\"id 2\\x7f\" key=AABB   # comment\n"
                    "ep-rpk rpk spki=" SPKI_HEX "\n"
                    "ep-x509a x509\n"
                    "ep-x509b x509 cn=\"Device B\" fingerprint=" FP_HEX "\n"
                    "ep-x509c x509 fingerprint="
                    "00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:"
                    "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FE\n"
                    "ep-nosec nosec allow=192.0.2.0/24,2001:db8::/32,::1,::ffff:10.0.0.0/104\n"
                    "\"#odd\\\"ep\" nosec allow=0.0.0.0/0\n"
                    "urn:imei:123456789012345 psk identity=\"\\x01\\xff\" key=01\r\n";
    ck_assert_int_eq(load(&df, t), 0);
    ck_assert_uint_eq(df.count, 9);

    devfile_device_t *d = &df.devices[0];
    ck_assert_str_eq(d->endpoint, "ep-psk1");
    ck_assert_int_eq(d->kind, DEVFILE_PSK);
    ck_assert_uint_eq(d->line, 3);
    ck_assert_str_eq(d->psk.identity, "ep-psk1");
    ck_assert_uint_eq(d->psk.identity_len, 7);
    ck_assert_uint_eq(d->psk.key_len, 4);
    ck_assert(memcmp(d->psk.key, "\x00\x11\x22\x33", 4) == 0);

    d = &df.devices[1];
    ck_assert_str_eq(d->psk.identity, "id 2\x7f");
    ck_assert_uint_eq(d->psk.identity_len, 5);
    ck_assert_uint_eq(d->psk.key_len, 2);
    ck_assert(d->psk.key[0] == 0xaa && d->psk.key[1] == 0xbb);

    d = &df.devices[2];
    ck_assert_int_eq(d->kind, DEVFILE_RPK);
    ck_assert_uint_eq(d->rpk.spki_len, SPKI_LEN);
    ck_assert(memcmp(d->rpk.spki, spki_der, SPKI_LEN) == 0);

    d = &df.devices[3];
    ck_assert_int_eq(d->kind, DEVFILE_X509);
    ck_assert_str_eq(d->x509.name, "ep-x509a");
    ck_assert(!d->x509.has_fingerprint);

    d = &df.devices[4];
    ck_assert_str_eq(d->x509.name, "Device B");
    ck_assert(d->x509.has_fingerprint);
    ck_assert(d->x509.fingerprint[0] == 0x00 && d->x509.fingerprint[31] == 0xff);

    d = &df.devices[5];
    ck_assert_str_eq(d->x509.name, "ep-x509c");
    ck_assert(d->x509.has_fingerprint);
    ck_assert(d->x509.fingerprint[10] == 0xaa && d->x509.fingerprint[31] == 0xfe);

    d = &df.devices[6];
    ck_assert_int_eq(d->kind, DEVFILE_NOSEC);
    ck_assert_uint_eq(d->nosec.allow_count, 4);
    ck_assert_int_eq(d->nosec.allow[0].family, AF_INET);
    ck_assert_uint_eq(d->nosec.allow[0].prefix, 24);
    ck_assert_int_eq(d->nosec.allow[1].family, AF_INET6);
    ck_assert_uint_eq(d->nosec.allow[1].prefix, 32);
    ck_assert_uint_eq(d->nosec.allow[2].prefix, 128);
    /* ::ffff:10.0.0.0/104 is stored as 10.0.0.0/8. */
    ck_assert_int_eq(d->nosec.allow[3].family, AF_INET);
    ck_assert_uint_eq(d->nosec.allow[3].prefix, 8);
    ck_assert_uint_eq(d->nosec.allow[3].addr[0], 10);

    ck_assert_str_eq(df.devices[7].endpoint, "#odd\"ep");
    ck_assert_str_eq(df.devices[8].endpoint, "urn:imei:123456789012345");
    ck_assert_uint_eq(df.devices[8].psk.identity_len, 2);
    ck_assert_uint_eq(df.devices[8].line, 11);

    ck_assert_str_eq(devfile_kind_name(DEVFILE_PSK), "psk");
    ck_assert_str_eq(devfile_kind_name(DEVFILE_NOSEC), "nosec");
    ck_assert_str_eq(devfile_kind_name(99), "?");
    devfile_free(&df);
    ck_assert_ptr_null(df.devices);
    ck_assert_uint_eq(df.count, 0);
    devfile_free(&df);
}
END_TEST

/* Certificate names: one per device, each type its own name space. */
START_TEST(test_x509_names)
{
    devfile_t df;
    ck_assert_int_eq(load(&df, "a x509 san_dns=m.example\n"
                               "b x509 san_uri=urn:dev:ops:m fingerprint=" FP_HEX "\n"
                               "c x509 san_email=m@example.com\n"
                               "d x509 cn=m.example\n" /* same text as a's dNSName: another type */
                               "m.example x509\n"),    /* default: cn = endpoint, clashes with d */
                     -EINVAL);
    ck_assert_str_eq(err, "t.dev:5:1: duplicate cn (also on line 4)");
    ck_assert_int_eq(load(&df, "a x509 san_dns=m.example\n"
                               "b x509 san_uri=urn:dev:ops:m fingerprint=" FP_HEX "\n"
                               "c x509 san_email=m@example.com\n"
                               "d x509 cn=m.example\n"),
                     0);
    ck_assert_uint_eq(df.count, 4);
    ck_assert_int_eq(df.devices[0].x509.name_type, DEVFILE_NAME_SAN_DNS);
    ck_assert_str_eq(df.devices[0].x509.name, "m.example");
    ck_assert_int_eq(df.devices[1].x509.name_type, DEVFILE_NAME_SAN_URI);
    ck_assert_str_eq(df.devices[1].x509.name, "urn:dev:ops:m");
    ck_assert(df.devices[1].x509.has_fingerprint);
    ck_assert_int_eq(df.devices[2].x509.name_type, DEVFILE_NAME_SAN_EMAIL);
    ck_assert_str_eq(df.devices[2].x509.name, "m@example.com");
    ck_assert_int_eq(df.devices[3].x509.name_type, DEVFILE_NAME_CN);
    ck_assert_str_eq(df.devices[3].x509.name, "m.example");
    devfile_free(&df);
}
END_TEST

START_TEST(test_empty)
{
    devfile_t df;
    ck_assert_int_eq(load(&df, ""), 0);
    ck_assert_uint_eq(df.count, 0);
    ck_assert_ptr_null(df.devices);
    ck_assert_int_eq(load(&df, "# only comments\n\n   \t\n"), 0);
    ck_assert_uint_eq(df.count, 0);
    devfile_free(&df);
}
END_TEST

static void set_v4(struct sockaddr_in *sin, const char *a)
{
    memset(sin, 0, sizeof *sin);
    sin->sin_family = AF_INET;
    ck_assert_int_eq(inet_pton(AF_INET, a, &sin->sin_addr), 1);
}

static void set_v6(struct sockaddr_in6 *sin6, const char *a)
{
    memset(sin6, 0, sizeof *sin6);
    sin6->sin6_family = AF_INET6;
    ck_assert_int_eq(inet_pton(AF_INET6, a, &sin6->sin6_addr), 1);
}

START_TEST(test_nosec_allowed)
{
    devfile_t df;
    ck_assert_int_eq(load(&df, "n nosec allow=192.0.2.0/25,2001:db8::/33,::1,10.1.2.3,"
                               "::ffff:172.16.0.0/108\n"
                               "p psk key=00\n"),
                     0);
    const devfile_device_t *d = &df.devices[0];
    struct sockaddr_in sin;
    struct sockaddr_in6 sin6;
    static const struct {
        const char *a;
        bool ok;
    } v4[] = {{"192.0.2.0", true},  {"192.0.2.127", true},    {"192.0.2.128", false},
              {"192.0.3.1", false}, {"10.1.2.3", true},       {"10.1.2.4", false},
              {"172.16.0.1", true}, {"172.31.255.255", true}, {"172.32.0.0", false}};
    for (size_t i = 0; i < sizeof v4 / sizeof v4[0]; i++) {
        set_v4(&sin, v4[i].a);
        ck_assert_msg(devfile_nosec_allowed(d, (struct sockaddr *)&sin) == v4[i].ok, "%s", v4[i].a);
        /* The same address seen on a dual-stack socket. */
        char m[64];
        snprintf(m, sizeof m, "::ffff:%s", v4[i].a);
        set_v6(&sin6, m);
        ck_assert_msg(devfile_nosec_allowed(d, (struct sockaddr *)&sin6) == v4[i].ok, "%s", m);
    }
    static const struct {
        const char *a;
        bool ok;
    } v6[] = {{"::1", true},
              {"::2", false},
              {"2001:db8::5", true},
              {"2001:db8:7fff:ffff::1", true},
              {"2001:db8:8000::1", false},
              {"2001:db9::", false}};
    for (size_t i = 0; i < sizeof v6 / sizeof v6[0]; i++) {
        set_v6(&sin6, v6[i].a);
        ck_assert_msg(devfile_nosec_allowed(d, (struct sockaddr *)&sin6) == v6[i].ok, "%s", v6[i].a);
    }
    /* Not a NoSec device; bad arguments. */
    set_v6(&sin6, "::1");
    ck_assert(!devfile_nosec_allowed(&df.devices[1], (struct sockaddr *)&sin6));
    ck_assert(!devfile_nosec_allowed(NULL, (struct sockaddr *)&sin6));
    ck_assert(!devfile_nosec_allowed(d, NULL));
    devfile_free(&df);

    ck_assert_int_eq(load(&df, "any nosec allow=0.0.0.0/0,::/0\n"), 0);
    set_v4(&sin, "203.0.113.9");
    ck_assert(devfile_nosec_allowed(&df.devices[0], (struct sockaddr *)&sin));
    set_v6(&sin6, "2001:db8::9");
    ck_assert(devfile_nosec_allowed(&df.devices[0], (struct sockaddr *)&sin6));
    devfile_free(&df);
}
END_TEST

/* ---- broken inputs ------------------------------------------------------------ */

struct bad_case {
    const char *text;
    const char *want;
};

static char long_ep[300], long_ep_psk[300], long_id[300], long_key[300], bad_fp[128], bad_fp_colon[128],
    both_spki[512];

static const struct bad_case bad_cases[] = {
    {"ep\n", "t.dev:1:3: missing device kind (psk, rpk, x509 or nosec)"},
    {"ep   # kind in a comment\n", "t.dev:1:6: missing device kind (psk, rpk, x509 or nosec)"},
    {"ep foo\n", "t.dev:1:4: unknown device kind (expected psk, rpk, x509 or nosec)"},
    {"ep PSK key=00\n", "t.dev:1:4: unknown device kind (expected psk, rpk, x509 or nosec)"},
    {"ep psk\n", "t.dev:1:4: psk device needs key=<hex>"},
    {"ep psk identity=x\n", "t.dev:1:4: psk device needs key=<hex>"},
    {"ep psk key=0g\n", "t.dev:1:13: key must be hex digits"},
    {"ep psk key=abc\n", "t.dev:1:12: key has an odd number of hex digits"},
    {"ep psk key=\n", "t.dev:1:12: key must not be empty"},
    {long_key, "t.dev:1:140: key too long (max 64 bytes)"},
    {"ep psk identity=\"a\\x00b\" key=00\n", "t.dev:1:19: NUL byte not allowed in PSK identity"},
    {"ep psk identity=\"\" key=00\n", "t.dev:1:17: PSK identity must not be empty"},
    {long_id, "t.dev:1:145: PSK identity too long (max 128 bytes)"},
    {long_ep_psk, "t.dev:1:1: endpoint name too long to be the PSK identity (max 128 bytes); give identity="},
    {"ep psk key=00 key=11\n", "t.dev:1:15: duplicate attribute 'key'"},
    {"ep psk cn=x key=00\n", "t.dev:1:8: unknown attribute 'cn' for a psk device"},
    {"ep psk Key=00\n", "t.dev:1:8: unknown attribute for a psk device"},
    {"ep psk key\n", "t.dev:1:8: expected attribute=value"},
    {"ep psk key =00\n", "t.dev:1:8: expected attribute=value"},
    {"ep psk =00\n", "t.dev:1:8: missing attribute name before '='"},
    {"ep psk key=00\"x\"\n", "t.dev:1:14: unexpected '\"' in unquoted value (quote the whole value)"},
    {"ep psk identity=\"x\"y key=00\n", "t.dev:1:20: unexpected text after closing quote"},
    {"ep psk identity=\"x key=00\n", "t.dev:1:17: unterminated quoted value"},
    {"ep psk key=00\x01\n", "t.dev:1:14: control character 0x01 not allowed"},
    {"ep rpk\n", "t.dev:1:4: rpk device needs spki=<hex> or spki_file=<path>"},
    {"ep rpk spki=3000\n", "t.dev:1:13: spki is not a DER SubjectPublicKeyInfo"},
    {"ep rpk spki=" SPKI_HEX "00\n", "t.dev:1:13: spki is not a DER SubjectPublicKeyInfo"},
    {"ep rpk spki_file=x.pem\n", "t.dev:1:8: spki_file cannot be used here (no devices file directory)"},
    {both_spki, "t.dev:1:196: give spki or spki_file, not both"},
    {"ep x509 fingerprint=abcd\n",
     "t.dev:1:21: fingerprint must be the SHA-256 of the certificate: 64 hex digits"},
    {bad_fp, "t.dev:1:84: fingerprint must be hex digits"},
    {bad_fp_colon, "t.dev:1:26: fingerprint: expected ':'"},
    {"ep x509 cn=\n", "t.dev:1:12: cn must not be empty"},
    {"# c\n\n  # c2\nep x509 cn=\"\\x00\"\n", "t.dev:4:13: NUL byte not allowed in cn"},
    {"ep x509 allow=::1\n", "t.dev:1:9: unknown attribute 'allow' for a x509 device"},
    {"ep nosec\n", "t.dev:1:4: nosec device needs allow=<address or prefix>"},
    {"ep nosec allow=\n", "t.dev:1:16: allow must list at least one address"},
    {"ep nosec allow=10.0.0.1/8\n", "t.dev:1:16: address has bits set beyond the prefix length"},
    {"ep nosec allow=::1,bogus\n",
     "t.dev:1:20: invalid address or prefix in allow (e.g. 192.0.2.0/24, 2001:db8::1)"},
    {"ep nosec allow=1.2.3.4/33\n",
     "t.dev:1:16: invalid address or prefix in allow (e.g. 192.0.2.0/24, 2001:db8::1)"},
    {"ep nosec allow=[::1]\n",
     "t.dev:1:16: invalid address or prefix in allow (e.g. 192.0.2.0/24, 2001:db8::1)"},
    {"ep nosec allow=::1,,::2\n", "t.dev:1:20: empty entry in allow"},
    {"ep nosec allow=::1,::1\n", "t.dev:1:20: duplicate entry in allow"},
    {"ep nosec allow=1.1.1.1,2.2.2.2,3.3.3.3,4.4.4.4,5.5.5.5,6.6.6.6,7.7.7.7,8.8.8.8,"
     "9.9.9.9,1.1.1.2,1.1.1.3,1.1.1.4,1.1.1.5,1.1.1.6,1.1.1.7,1.1.1.8,1.1.1.9\n",
     "t.dev:1:144: too many entries in allow (max 16)"},
    {"\"a\\x80\" nosec allow=::1\n", "t.dev:1:3: endpoint name must be printable ASCII without spaces"},
    {"\"a b\" nosec allow=::1\n", "t.dev:1:3: endpoint name must be printable ASCII without spaces"},
    {"\"\" nosec allow=::1\n", "t.dev:1:1: endpoint name must not be empty"},
    {long_ep, "t.dev:1:256: endpoint name too long (max 255 bytes)"},
    /* duplicates */
    {"a nosec allow=::1\nb psk key=00\n  a psk key=11\n", "t.dev:3:3: duplicate endpoint (also on line 1)"},
    {"a psk key=00\nb psk identity=a key=11\n", "t.dev:2:7: duplicate PSK identity (also on line 1)"},
    {"a psk identity=x key=00\nx psk key=11\n", "t.dev:2:1: duplicate PSK identity (also on line 1)"},
    {"a rpk spki=" SPKI_HEX "\nb rpk spki=" SPKI_HEX "\n", "t.dev:2:7: duplicate SPKI (also on line 1)"},
    {"a x509 cn=X\nb x509 cn=X\n", "t.dev:2:8: duplicate cn (also on line 1)"},
    {"a x509\nb x509 cn=a\n", "t.dev:2:8: duplicate cn (also on line 1)"},
    {"a x509 cn=b\nb x509\n", "t.dev:2:1: duplicate cn (also on line 1)"},
    {"a x509 fingerprint=" FP_HEX "\nb x509 fingerprint=" FP_HEX "\n",
     "t.dev:2:8: duplicate fingerprint (also on line 1)"},
    /* certificate names by subjectAltName */
    {"a x509 cn=a san_dns=a.example\n",
     "t.dev:1:13: give one certificate name: cn, san_dns, san_uri or san_email"},
    {"a x509 san_uri=urn:x san_email=a@b\n",
     "t.dev:1:22: give one certificate name: cn, san_dns, san_uri or san_email"},
    {"a x509 san_uri=no-scheme\n", "t.dev:1:16: san_uri must be an absolute URI (scheme:...)"},
    {"a x509 san_uri=:x\n", "t.dev:1:16: san_uri must be an absolute URI (scheme:...)"},
    {"a x509 san_email=nobody\n", "t.dev:1:18: san_email must be an e-mail address (local@domain)"},
    {"a x509 san_dns=\n", "t.dev:1:16: san_dns must not be empty"},
    {"a x509 san_dns=m.example\nb x509 san_dns=m.example\n", "t.dev:2:8: duplicate san_dns (also on line 1)"},
    {"a x509 san_uri=urn:m\nb x509 san_uri=urn:m\n", "t.dev:2:8: duplicate san_uri (also on line 1)"},
    {"a x509 san_email=m@x\nb x509 san_email=m@x\n", "t.dev:2:8: duplicate san_email (also on line 1)"},
    {"a psk san_dns=x key=00\n", "t.dev:1:7: unknown attribute 'san_dns' for a psk device"},
};

static void bad_cases_init(void)
{
    memset(long_ep, 'e', 256);
    strcpy(long_ep + 256, " nosec allow=::1\n");
    memset(long_ep_psk, 'e', 129);
    strcpy(long_ep_psk + 129, " psk key=00\n");
    strcpy(long_id, "ep psk identity=");
    memset(long_id + 16, 'i', 129);
    strcpy(long_id + 16 + 129, " key=00\n");
    strcpy(long_key, "ep psk key=");
    memset(long_key + 11, 'a', 130);
    strcpy(long_key + 11 + 130, "\n");
    /* 63 good digits, then 'g' at column 21 + 63. */
    snprintf(bad_fp, sizeof bad_fp, "ep x509 fingerprint=%.63sg\n", FP_HEX);
    /* 95-character colon form with a '-' instead of the second ':' (column 21 + 5). */
    snprintf(bad_fp_colon, sizeof bad_fp_colon,
             "ep x509 fingerprint=00:11-22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:"
             "00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff\n");
    /* "ep rpk spki=<182 hex> spki_file=x": spki_file at column 8 + 5 + 182 + 1. */
    snprintf(both_spki, sizeof both_spki, "ep rpk spki=%s spki_file=x\n", SPKI_HEX);
}

START_TEST(test_bad_input)
{
    const struct bad_case *c = &bad_cases[_i];
    devfile_t df = {(devfile_device_t *)&df, 42}; /* overwritten even on error */
    int r = load(&df, c->text);
    ck_assert_msg(r == -EINVAL, "case %d: r=%d", _i, r);
    ck_assert_msg(strcmp(err, c->want) == 0, "case %d:\n got: %s\nwant: %s", _i, err, c->want);
    ck_assert_ptr_null(df.devices);
    ck_assert_uint_eq(df.count, 0);
    devfile_free(&df);
}
END_TEST

START_TEST(test_too_many_devices)
{
    const size_t n = DEVFILE_MAX_DEVICES + 1;
    char *buf = malloc(n * 32);
    ck_assert_ptr_nonnull(buf);
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += (size_t)sprintf(buf + len, "e%zu psk key=%04zx\n", i, i & 0xffff);
    devfile_t df;
    /* Exactly the limit loads (also checks the uniqueness sets scale). */
    size_t last = len;
    while (buf[last - 2] != '\n')
        last--;
    ck_assert_int_eq(devfile_load_buffer(&df, "t.dev", NULL, buf, last - 1, err, sizeof err), 0);
    ck_assert_uint_eq(df.count, DEVFILE_MAX_DEVICES);
    ck_assert_str_eq(df.devices[DEVFILE_MAX_DEVICES - 1].endpoint, "e999999");
    devfile_free(&df);
    /* One more is refused. */
    ck_assert_int_eq(devfile_load_buffer(&df, "t.dev", NULL, buf, len, err, sizeof err), -EINVAL);
    ck_assert_str_eq(err, "t.dev:1000001:1: too many devices (max 1000000)");
    free(buf);
}
END_TEST

/* ---- spki_file ----------------------------------------------------------------- */

static char tmpdir[PATH_MAX];

static void write_file(const char *name, const void *data, size_t len, mode_t mode)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
    ck_assert_int_eq(fchmod(fd, mode), 0);
    ck_assert_int_eq(close(fd), 0);
}

static void write_text(const char *name, const char *text)
{
    write_file(name, text, strlen(text), 0600);
}

static void setup_tmp(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/test_devfile.XXXXXX", base && *base ? base : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    char sub[PATH_MAX + 16];
    snprintf(sub, sizeof sub, "%s/keys", tmpdir);
    ck_assert_int_eq(mkdir(sub, 0700), 0);
}

static void rm_tmp(void)
{
    char cmd[PATH_MAX + 32];
    /* The directory name came from mkdtemp under our own TMPDIR. */
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
}

static int load_in_tmp(devfile_t *df, const char *text)
{
    err[0] = '\0';
    return devfile_load_buffer(df, "t.dev", tmpdir, text, strlen(text), err, sizeof err);
}

START_TEST(test_spki_file_ok)
{
    setup_tmp();
    write_text("keys/dev.pem", spki_pem);
    write_file("keys/dev.der", spki_der, sizeof spki_der, 0600);
    /* CRLF, blank lines around the block and trailing blanks are fine. */
    write_text("keys/crlf.pem", "\r\n\n-----BEGIN PUBLIC KEY-----  \r\n"
                                "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEsrIfj7GUEiWSXEZQ3TtHTg/6B3SH\r\n"
                                "n270EIBpEm7DxjqR1U8x4dHiW2iD2aqo2RzvXiaHlJYnu3LPVH52S3Pzhg==\r\n"
                                "-----END PUBLIC KEY-----\r\n\r\n");
    devfile_t df;
    ck_assert_int_eq(load_in_tmp(&df, "a rpk spki_file=keys/dev.pem\n"), 0);
    ck_assert_uint_eq(df.devices[0].rpk.spki_len, SPKI_LEN);
    ck_assert(memcmp(df.devices[0].rpk.spki, spki_der, SPKI_LEN) == 0);
    devfile_free(&df);
    ck_assert_int_eq(load_in_tmp(&df, "a rpk spki_file=\"keys/dev.der\"\n"), 0);
    ck_assert(memcmp(df.devices[0].rpk.spki, spki_der, SPKI_LEN) == 0);
    devfile_free(&df);
    ck_assert_int_eq(load_in_tmp(&df, "a rpk spki_file=keys/crlf.pem\n"), 0);
    ck_assert(memcmp(df.devices[0].rpk.spki, spki_der, SPKI_LEN) == 0);
    devfile_free(&df);
    /* Absolute path; and the same key from hex is a duplicate SPKI. */
    char text[PATH_MAX + 512];
    snprintf(text, sizeof text, "a rpk spki_file=%s/keys/dev.pem\nb rpk spki=%s\n", tmpdir, SPKI_HEX);
    ck_assert_int_eq(load_in_tmp(&df, text), -EINVAL);
    ck_assert_str_eq(err, "t.dev:2:7: duplicate SPKI (also on line 1)");

    /* devfile_load_file: spki_file relative to the devices file's directory. */
    write_text("devices.conf", "a rpk spki_file=keys/dev.pem\nb x509\n");
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/devices.conf", tmpdir);
    ck_assert_int_eq(devfile_load_file(&df, path, err, sizeof err), 0);
    ck_assert_uint_eq(df.count, 2);
    ck_assert(memcmp(df.devices[0].rpk.spki, spki_der, SPKI_LEN) == 0);
    devfile_free(&df);
    rm_tmp();
}
END_TEST

static const struct bad_case pem_cases[] = {
    {"-----BEGIN RSA PUBLIC KEY-----\nAAAA\n-----END RSA PUBLIC KEY-----\n",
     "t.dev:1:17: spki_file: line 1: expected \"-----BEGIN PUBLIC KEY-----\""},
    {"\n-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
     "t.dev:1:17: spki_file: line 2: expected \"-----BEGIN PUBLIC KEY-----\""},
    {"-----BEGIN PUBLIC KEY-----\nMFkw!!!!\n-----END PUBLIC KEY-----\n",
     "t.dev:1:17: spki_file: invalid base64 in the PEM block"},
    {"-----BEGIN PUBLIC KEY-----\nMFk w\n-----END PUBLIC KEY-----\n",
     "t.dev:1:17: spki_file: invalid base64 in the PEM block"},
    {"-----BEGIN PUBLIC KEY-----\nMFkwEwYH\n", "t.dev:1:17: spki_file: missing \"-----END PUBLIC KEY-----\""},
    {"-----BEGIN PUBLIC KEY-----\n\nMFkwEwYH\n-----END PUBLIC KEY-----\n",
     "t.dev:1:17: spki_file: line 2: blank line inside the PEM block"},
    {"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
     "t.dev:1:17: spki_file: PEM block is not a DER SubjectPublicKeyInfo"},
    {"-----BEGIN PUBLIC KEY-----\n"
     "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEsrIfj7GUEiWSXEZQ3TtHTg/6B3SH\n"
     "n270EIBpEm7DxjqR1U8x4dHiW2iD2aqo2RzvXiaHlJYnu3LPVH52S3Pzhg==\n"
     "-----END PUBLIC KEY-----\n"
     "\n"
     "-----BEGIN PUBLIC KEY-----\n",
     "t.dev:1:17: spki_file: line 6: unexpected text after the PEM block"},
    {"Proc-Type: 4,ENCRYPTED\n-----BEGIN PUBLIC KEY-----\n",
     "t.dev:1:17: spki_file: neither PEM nor a DER SubjectPublicKeyInfo"},
    {"hello", "t.dev:1:17: spki_file: neither PEM nor a DER SubjectPublicKeyInfo"},
    {"", "t.dev:1:17: spki_file: neither PEM nor a DER SubjectPublicKeyInfo"},
};

START_TEST(test_spki_file_bad)
{
    setup_tmp();
    const struct bad_case *c = &pem_cases[_i];
    write_text("k.pem", c->text);
    devfile_t df;
    ck_assert_int_eq(load_in_tmp(&df, "a rpk spki_file=k.pem\n"), -EINVAL);
    ck_assert_msg(strcmp(err, c->want) == 0, "case %d:\n got: %s\nwant: %s", _i, err, c->want);
    rm_tmp();
}
END_TEST

START_TEST(test_spki_file_io_errors)
{
    setup_tmp();
    devfile_t df;
    ck_assert_int_eq(load_in_tmp(&df, "a rpk spki_file=missing.pem\n"), -EINVAL);
    char want[256];
    snprintf(want, sizeof want, "t.dev:1:17: cannot read spki_file: %s", strerror(ENOENT));
    ck_assert_str_eq(err, want);
    ck_assert_int_eq(load_in_tmp(&df, "a rpk spki_file=keys\n"), -EINVAL);
    ck_assert_str_eq(err, "t.dev:1:17: spki_file is not a regular file");
    static char big[DEVFILE_SPKI_FILE_MAX + 1];
    memset(big, '\n', sizeof big);
    write_file("big.pem", big, sizeof big, 0600);
    ck_assert_int_eq(load_in_tmp(&df, "a rpk spki_file=big.pem\n"), -EINVAL);
    ck_assert_str_eq(err, "t.dev:1:17: spki_file is too large (max 65536 bytes)");
    rm_tmp();
}
END_TEST

START_TEST(test_load_file)
{
    setup_tmp();
    devfile_t df;
    char path[PATH_MAX + 32], want[PATH_MAX + 128];
    snprintf(path, sizeof path, "%s/nope.conf", tmpdir);
    ck_assert_int_eq(devfile_load_file(&df, path, err, sizeof err), -ENOENT);
    snprintf(want, sizeof want, "%s: cannot read: %s", path, strerror(ENOENT));
    ck_assert_str_eq(err, want);

    ck_assert_int_eq(devfile_load_file(&df, tmpdir, err, sizeof err), -EINVAL);
    snprintf(want, sizeof want, "%s: not a regular file", tmpdir);
    ck_assert_str_eq(err, want);

    write_text("bad.conf", "a psk key=00\na psk key=01\n");
    snprintf(path, sizeof path, "%s/bad.conf", tmpdir);
    ck_assert_int_eq(devfile_load_file(&df, path, err, sizeof err), -EINVAL);
    snprintf(want, sizeof want, "%s:2:1: duplicate endpoint (also on line 1)", path);
    ck_assert_str_eq(err, want);

    /* A world-readable file with PSK keys loads, with a warning. */
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    log_set_fd(p[1]);
    log_set_level(BSD_LOG_INFO);
    write_file("open.conf", "a psk key=00\n", 13, 0644);
    snprintf(path, sizeof path, "%s/open.conf", tmpdir);
    ck_assert_int_eq(devfile_load_file(&df, path, err, sizeof err), 0);
    ck_assert_uint_eq(df.count, 1);
    devfile_free(&df);
    char line[2048];
    ssize_t n = read(p[0], line, sizeof line - 1);
    ck_assert_int_gt(n, 0);
    line[n] = '\0';
    ck_assert_ptr_nonnull(strstr(line, " level=warn event=devfile.permissions file=\""));
    ck_assert_ptr_nonnull(strstr(line, " mode=0644 reason=psk_keys_readable_by_others\n"));
    /* No warning when only the owner can read it. */
    write_file("closed.conf", "a psk key=00\n", 13, 0600);
    snprintf(path, sizeof path, "%s/closed.conf", tmpdir);
    ck_assert_int_eq(devfile_load_file(&df, path, err, sizeof err), 0);
    devfile_free(&df);
    ck_assert_int_eq(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
    ck_assert_int_lt(read(p[0], line, sizeof line), 0);
    log_set_fd(2);
    close(p[0]);
    close(p[1]);
    rm_tmp();
}
END_TEST

START_TEST(test_size_limit)
{
    devfile_t df;
    ck_assert_int_eq(
        devfile_load_buffer(&df, "t.dev", NULL, "", (size_t)DEVFILE_FILE_MAX + 1, err, sizeof err), -EFBIG);
    ck_assert_str_eq(err, "t.dev: file too large (max 536870912 bytes)");
}
END_TEST

START_TEST(test_spki_der_shape)
{
    uint8_t b[SPKI_LEN + 8];
    ck_assert(spki_der_ok(spki_der, SPKI_LEN));
    ck_assert(!spki_der_ok(spki_der, SPKI_LEN - 1)); /* truncated */
    ck_assert(!spki_der_ok(spki_der, 0));
    memcpy(b, spki_der, SPKI_LEN);
    b[SPKI_LEN] = 0;
    ck_assert(!spki_der_ok(b, SPKI_LEN + 1)); /* trailing byte */
    /* Outer length in long form although it fits the short form: not DER. */
    b[0] = 0x30;
    b[1] = 0x81;
    b[2] = 0x59;
    memcpy(b + 3, spki_der + 2, SPKI_LEN - 2);
    ck_assert(!spki_der_ok(b, SPKI_LEN + 1));
    /* Indefinite length. */
    memcpy(b, spki_der, SPKI_LEN);
    b[1] = 0x80;
    ck_assert(!spki_der_ok(b, SPKI_LEN));
    /* BIT STRING with unused bits. */
    memcpy(b, spki_der, SPKI_LEN);
    ck_assert_uint_eq(b[23], 0x03); /* BIT STRING tag, then 0x42, then unused-bits byte */
    b[25] = 0x01;
    ck_assert(!spki_der_ok(b, SPKI_LEN));
    /* Wrong tag for the algorithm identifier. */
    memcpy(b, spki_der, SPKI_LEN);
    b[2] = 0x31;
    ck_assert(!spki_der_ok(b, SPKI_LEN));
    /* Smallest shape that passes: SEQ { SEQ { OID 1 byte }, BIT STRING { 0, 1 byte } }. */
    static const uint8_t tiny[] = {0x30, 0x09, 0x30, 0x03, 0x06, 0x01, 0x2a, 0x03, 0x02, 0x00, 0x04};
    ck_assert(spki_der_ok(tiny, sizeof tiny));

    uint8_t out[SPKI_MAX];
    size_t n;
    char why[128];
    ck_assert_int_eq(spki_decode(spki_pem, strlen(spki_pem), out, &n, why, sizeof why), 0);
    ck_assert_uint_eq(n, SPKI_LEN);
    ck_assert(memcmp(out, spki_der, SPKI_LEN) == 0);
    ck_assert_int_eq(spki_decode((const char *)spki_der, SPKI_LEN, out, &n, why, sizeof why), 0);
    ck_assert_uint_eq(n, SPKI_LEN);
    static char big[SPKI_MAX + 1];
    memset(big, 'A', sizeof big);
    ck_assert_int_eq(spki_decode(big, sizeof big, out, &n, why, sizeof why), -EINVAL);
    ck_assert_str_eq(why, "not PEM, and too long for a DER SPKI (max 512 bytes)");
}
END_TEST

static Suite *devfile_suite(void)
{
    Suite *s = suite_create("devfile");
    TCase *tc = tcase_create("good");
    tcase_add_test(tc, test_kinds);
    tcase_add_test(tc, test_empty);
    tcase_add_test(tc, test_x509_names);
    tcase_add_test(tc, test_nosec_allowed);
    suite_add_tcase(s, tc);

    tc = tcase_create("bad");
    tcase_add_loop_test(tc, test_bad_input, 0, (int)(sizeof bad_cases / sizeof bad_cases[0]));
    tcase_add_test(tc, test_size_limit);
    suite_add_tcase(s, tc);

    tc = tcase_create("limits");
    tcase_set_timeout(tc, 150); /* 2 x 1M devices; slow under ASan */
    tcase_add_test(tc, test_too_many_devices);
    suite_add_tcase(s, tc);

    tc = tcase_create("files");
    tcase_add_test(tc, test_spki_der_shape);
    tcase_add_test(tc, test_spki_file_ok);
    tcase_add_loop_test(tc, test_spki_file_bad, 0, (int)(sizeof pem_cases / sizeof pem_cases[0]));
    tcase_add_test(tc, test_spki_file_io_errors);
    tcase_add_test(tc, test_load_file);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    hex_to_bytes(SPKI_HEX, spki_der, SPKI_LEN);
    bad_cases_init();
    SRunner *sr = srunner_create(devfile_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
