/*
 * test_devimport.c — unit tests for bsd/db/devimport.c and db_device.c:
 * CSV (RFC 4180 quoting, header, every field) and JSON (array and JSON
 * Lines), a table of broken rows with their exact messages, duplicates
 * within the file, byte-by-byte feeding, and the fatal errors.
 */
#include "bsd/db/devimport.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* A P-256 SubjectPublicKeyInfo (the one tests/unit/test_devfile.c uses). */
#define SPKI_HEX                                                                                             \
    "3059301306072a8648ce3d020106082a8648ce3d03010703420004b2b21f8fb1941225925c4650dd3b474e0f"               \
    "fa0774879f6ef4108069126ec3c63a91d54f31e1d1e25b6883d9aaa8d91cef5e2687949627bb72cf547e764b"               \
    "73f386"
#define KEY16 "000102030405060708090a0b0c0d0e0f"
#define HDR                                                                                                  \
    "endpoint,kind,psk_identity,psk_key,spki,x509_name_type,x509_name,fingerprint,nosec_allow,labels,"       \
    "serial\n"

/* What a run produced. */
struct run {
    char errors[4096]; /* error messages, one per line */
    size_t nerr;
    db_device_t last; /* last good row */
    size_t rows;
    char eps[1024]; /* endpoints of good rows, space-separated */
};

static int on_row(void *arg, const db_device_t *d)
{
    struct run *r = arg;
    r->last = *d;
    r->rows++;
    size_t n = strlen(r->eps);
    snprintf(r->eps + n, sizeof r->eps - n, "%s%s", n ? " " : "", d->endpoint);
    return 0;
}

static void on_err(void *arg, unsigned line, unsigned col, const char *msg)
{
    struct run *r = arg;
    size_t n = strlen(r->errors);
    snprintf(r->errors + n, sizeof r->errors - n, "%s\n", msg);
    r->nerr++;
}

/* Parses |text|, fed |chunk| bytes at a time (0 = all at once). */
static int parse(struct run *r, int fmt, const char *name, const char *text, size_t chunk)
{
    memset(r, 0, sizeof *r);
    db_import_t *im = db_import_new(fmt, name, on_row, on_err, r);
    ck_assert_ptr_nonnull(im);
    size_t len = strlen(text);
    int rc = 0;
    if (chunk == 0) chunk = len ? len : 1;
    for (size_t i = 0; i < len && rc == 0; i += chunk)
        rc = db_import_feed(im, text + i, len - i < chunk ? len - i : chunk);
    if (rc == 0) rc = db_import_finish(im);
    ck_assert_uint_eq(db_import_rows_ok(im), r->rows);
    db_import_free(im);
    return rc;
}

START_TEST(test_csv_every_kind)
{
    struct run r;
    const char *text = HDR "d-psk,psk,id 1," KEY16 ",,,,,,site=a;line=3,SN-1\r\n"
                           "d-psk2,psk,,\"" KEY16 "\",,,,,,,\n"
                           "d-rpk,rpk,,," SPKI_HEX ",,,,,,\n"
                           "d-x509,x509,,,,san_uri,urn:dev:1,"
                           "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF,,,\n"
                           "d-x509b,x509,,,,,,,,,\n"
                           "d-nosec,nosec,,,,,,,\"192.0.2.0/24;2001:db8::1 ::ffff:10.1.2.3\",,\n";
    ck_assert_int_eq(parse(&r, DB_IMPORT_CSV, "d.csv", text, 0), 0);
    ck_assert_str_eq(r.errors, "");
    ck_assert_str_eq(r.eps, "d-psk d-psk2 d-rpk d-x509 d-x509b d-nosec");
    ck_assert_int_eq(r.last.kind, DEVFILE_NOSEC);
    ck_assert_uint_eq(r.last.allow_count, 3);
    ck_assert_int_eq(r.last.allow[2].family, AF_INET); /* IPv4-mapped becomes IPv4 */
    ck_assert_uint_eq(r.last.allow[2].prefix, 32);
    ck_assert_uint_eq(r.last.line, 7);

    /* Fields of the first row, with columns in another order and fewer of them. */
    ck_assert_int_eq(parse(&r, DB_IMPORT_CSV, "d.csv",
                           "serial,labels,psk_key,kind,endpoint\nSN-1,site=a;line=3," KEY16 ",psk,d-psk\n",
                           0),
                     0);
    ck_assert_str_eq(r.errors, "");
    ck_assert_str_eq(r.last.endpoint, "d-psk");
    ck_assert_str_eq(r.last.psk_identity, "d-psk"); /* defaults to the endpoint */
    ck_assert_uint_eq(r.last.psk_key_len, 16);
    ck_assert_uint_eq(r.last.nlabels, 2);
    ck_assert_str_eq(r.last.labels[1].key, "line");
    ck_assert_str_eq(r.last.labels[1].value, "3");
    ck_assert_str_eq(r.last.serial, "SN-1");

    /* RFC 4180: quotes, doubled quotes, comma and line break inside quotes. */
    ck_assert_int_eq(parse(&r, DB_IMPORT_CSV, "d.csv",
                           "endpoint,kind,psk_identity,psk_key\n"
                           "q1,psk,\"a \"\"quoted\"\", id\nwith a line break\"," KEY16 "\n",
                           0),
                     0);
    ck_assert_str_eq(r.errors, "");
    ck_assert_str_eq(r.last.psk_identity, "a \"quoted\", id\nwith a line break");
}
END_TEST

/* One broken row after a good header; message must match exactly. */
static const struct {
    const char *row;
    const char *msg;
} broken[] = {
    {"s,psk,,0001020304050607,,,,,,,\n", "b.csv:2:8: psk_key must be at least 16 bytes (got 8)"},
    {"s,psk,,0g,,,,,,,\n", "b.csv:2:8: psk_key must be hex digits"},
    {"s,psk,,012,,,,,,,\n", "b.csv:2:8: psk_key has an odd number of hex digits"},
    {"s,psk,," KEY16 KEY16 KEY16 KEY16 "00,,,,,,,\n", "b.csv:2:8: psk_key too long (max 64 bytes)"},
    {"s,psk,,,,,,,,,\n", "b.csv:2:1: psk device needs psk_key"},
    {"s,rpk,,,,,,,,,\n", "b.csv:2:1: rpk device needs spki"},
    {"s,nosec,,,,,,,,,\n", "b.csv:2:1: nosec device needs nosec_allow"},
    {",psk,,,,,,,,,\n", "b.csv:2:1: endpoint is required"},
    {"s,,,,,,,,,,\n", "b.csv:2:1: kind is required (psk, rpk, x509, nosec or oscore)"},
    {"s,psx,,,,,,,,,\n", "b.csv:2:3: unknown device kind 'psx' (expected psk, rpk, x509, nosec or oscore)"},
    {"a b,psk,," KEY16 ",,,,,,,\n", "b.csv:2:1: endpoint name must be printable ASCII without spaces"},
    {"s,rpk,," KEY16 ",,,,,,,\n", "b.csv:2:8: psk_key is not used by rpk devices"},
    {"s,rpk,,,3059,,,,,,\n", "b.csv:2:9: spki is not a DER SubjectPublicKeyInfo"},
    {"s,x509,,,,dns,,,,,\n", "b.csv:2:11: x509_name_type must be cn, san_dns, san_uri or san_email"},
    {"s,x509,,,,san_uri,nocolon,,,,\n",
     "b.csv:2:1: x509_name must be an absolute URI (scheme:...) for san_uri"},
    {"s,x509,,,,san_email,x.example,,,,\n",
     "b.csv:2:1: x509_name must be an e-mail address (local@domain) for san_email"},
    {"s,x509,,,,,,0011,,,\n",
     "b.csv:2:13: fingerprint must be the SHA-256 of the certificate: 64 hex digits"},
    {"s,nosec,,,,,,,10.0.0.1/8,,\n",
     "b.csv:2:15: nosec_allow: '10.0.0.1/8' has bits set beyond the prefix length"},
    {"s,nosec,,,,,,,host.example,,\n",
     "b.csv:2:15: nosec_allow: invalid address or prefix 'host.example' (e.g. 192.0.2.0/24, 2001:db8::1)"},
    {"s,nosec,,,,,,,10.0.0.1 10.0.0.1,,\n", "b.csv:2:15: duplicate entry '10.0.0.1' in nosec_allow"},
    {"s,psk,," KEY16 ",,,,,,novalue,\n", "b.csv:2:46: labels: expected key=value, got 'novalue'"},
    {"s,psk,," KEY16 ",,,,,,a=1;a=2,\n", "b.csv:2:46: duplicate label 'a'"},
    {"s,psk,," KEY16 ",,,,,,k!=1,\n", "b.csv:2:46: label key 'k!' must be 1..63 of A-Z a-z 0-9 . _ / -"},
    {"s,psk,," KEY16 ",,,,,,,\"S\x01\"\n", "b.csv:2:47: serial must be printable ASCII"},
    {"s,psk,\"\xff\"," KEY16 ",,,,,,,\n", "b.csv:2:7: psk_identity must be UTF-8 without NUL bytes"},
    {"s,psk,," KEY16 "\n", "b.csv:2:1: expected 11 fields, got 4"},
    {"s\"x,psk,,,,,,,,,\n", "b.csv:2:2: '\"' inside an unquoted field (quote the whole field)"},
    {"\"s\"x,psk,,,,,,,,,\n", "b.csv:2:4: text after the closing quote of a field"},
    {"\"s,psk,,,,,,,,,\n", "b.csv:2:1: quoted field not closed before the end of the file"},
};

START_TEST(test_csv_broken_rows)
{
    int mismatches = 0;
    for (size_t i = 0; i < sizeof broken / sizeof broken[0]; i++) {
        char text[1024];
        snprintf(text, sizeof text, HDR "%sgood-%zu,psk,," KEY16 ",,,,,,,\n", broken[i].row, i);
        struct run r;
        int rc = parse(&r, DB_IMPORT_CSV, "b.csv", text, 0);
        ck_assert_int_eq(rc, 0);
        char want[512];
        snprintf(want, sizeof want, "%s\n", broken[i].msg);
        if (strcmp(r.errors, want) != 0) { /* all mismatches listed, then fail */
            fprintf(stderr, "case %zu: want %s       got %s", i, want, r.errors);
            mismatches++;
        }
        /* The import goes on: the next good row is there (unless the broken
         * row swallowed the rest of the file in an open quote). */
        if (strstr(broken[i].msg, "not closed") == NULL) ck_assert_uint_eq(r.rows, 1);
    }
    ck_assert_int_eq(mismatches, 0);
}
END_TEST

START_TEST(test_csv_duplicates)
{
    struct run r;
    const char *text = "endpoint,kind,psk_identity,psk_key,spki,x509_name,fingerprint\n"
                       "a,psk,ida," KEY16 ",,,\n"
                       "b,psk,ida," KEY16 ",,,\n" /* identity of a */
                       "a,psk,idz," KEY16 ",,,\n" /* endpoint of a */
                       "ida,psk,," KEY16 ",,,\n"  /* defaulted identity = a's identity */
                       "r1,rpk,,," SPKI_HEX ",,\n"
                       "r2,rpk,,," SPKI_HEX ",,\n" /* spki of r1 */
                       "x1,x509,,,,name,\n"
                       "x2,x509,,,,name,\n" /* cn of x1 */
                       "x3,x509,,,,,0011223344556677889900112233445566778899001122334455667788990011\n"
                       "x4,x509,,,,,0011223344556677889900112233445566778899001122334455667788990011\n"
                       "b,psk,idb," KEY16 ",,,\n"; /* b was refused above: not a duplicate */
    ck_assert_int_eq(parse(&r, DB_IMPORT_CSV, "d.csv", text, 0), 0);
    ck_assert_str_eq(r.errors, "d.csv:3:7: duplicate psk_identity (also on line 2)\n"
                               "d.csv:4:1: duplicate endpoint (also on line 2)\n"
                               "d.csv:5:1: duplicate psk_identity (also on line 2)\n"
                               "d.csv:7:10: duplicate spki (also on line 6)\n"
                               "d.csv:9:12: duplicate x509_name (also on line 8)\n"
                               "d.csv:11:13: duplicate fingerprint (also on line 10)\n");
    ck_assert_str_eq(r.eps, "a r1 x1 x3 b");
}
END_TEST

START_TEST(test_csv_header_errors)
{
    static const struct {
        const char *text;
        const char *msg;
    } cases[] = {
        {"", "h.csv:1:1: empty file: no header row\n"},
        {"endpoint,kind,colour\n",
         "h.csv:1:15: unknown column 'colour' (columns: endpoint, kind, psk_identity, psk_key, spki, "
         "x509_name_type, x509_name, fingerprint, nosec_allow, oscore_sender_id, oscore_recipient_id, "
         "oscore_secret, oscore_salt, oscore_id_context, labels, serial)\n"},
        {"endpoint,kind,kind\n", "h.csv:1:15: duplicate column 'kind'\n"},
        {"endpoint,kind,", /* found by fuzz_devimport: an empty last field at the end of the file */
         "h.csv:1:15: unknown column '' (columns: endpoint, kind, psk_identity, psk_key, spki, "
         "x509_name_type, x509_name, fingerprint, nosec_allow, oscore_sender_id, oscore_recipient_id, "
         "oscore_secret, oscore_salt, oscore_id_context, labels, serial)\n"},
        {"endpoint,psk_key\n", "h.csv:1:1: header lacks the 'kind' column\n"},
        {"endpoint,\"kind\n", "h.csv:1:10: quoted field not closed before the end of the file\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct run r;
        ck_assert_int_eq(parse(&r, DB_IMPORT_CSV, "h.csv", cases[i].text, 0), -EINVAL);
        ck_assert_msg(strcmp(r.errors, cases[i].msg) == 0, "case %zu: %s", i, r.errors);
    }
    /* A BOM and blank lines are fine; a last line without a line end counts. */
    struct run r;
    ck_assert_int_eq(parse(&r, DB_IMPORT_CSV, "h.csv",
                           "\xef\xbb\xbf"
                           "endpoint,kind,nosec_allow\n\n"
                           "n,nosec,::1",
                           0),
                     0);
    ck_assert_str_eq(r.errors, "");
    ck_assert_uint_eq(r.rows, 1);
}
END_TEST

START_TEST(test_chunked_equals_whole)
{
    char text[8192];
    size_t n = (size_t)snprintf(text, sizeof text, HDR);
    for (size_t i = 0; i < sizeof broken / sizeof broken[0] - 1; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, "%sg%zu,nosec,,,,,,,\"10.%zu.0.0/16\",,\n",
                              broken[i].row, i, i);
    struct run whole, bytewise;
    ck_assert_int_eq(parse(&whole, DB_IMPORT_CSV, "c.csv", text, 0), 0);
    ck_assert_int_eq(parse(&bytewise, DB_IMPORT_CSV, "c.csv", text, 1), 0);
    ck_assert_str_eq(whole.errors, bytewise.errors);
    ck_assert_str_eq(whole.eps, bytewise.eps);
    ck_assert_uint_eq(whole.rows, sizeof broken / sizeof broken[0] - 1);
    ck_assert_uint_eq(whole.nerr, sizeof broken / sizeof broken[0] - 1);
}
END_TEST

START_TEST(test_json)
{
    struct run r;
    const char *arr =
        "[\n"
        "  {\"endpoint\": \"j1\", \"kind\": \"psk\", \"psk_key\": \"" KEY16 "\",\n"
        "   \"labels\": {\"site\": \"b\"}, \"serial\": null},\n"
        "  {\"endpoint\": \"j2\", \"kind\": \"nosec\", \"nosec_allow\": [\"192.0.2.1\", \"::1\"]},\n"
        "  {\"endpoint\": \"j3\", \"kind\": \"psk\", \"psk_key\": \"00\"},\n"
        "  {\"endpoint\": \"j4\", \"kind\": \"rpk\", \"colour\": \"red\"},\n"
        "  {\"endpoint\": 5, \"kind\": \"psk\"},\n"
        "  {\"endpoint\": \"j1\", \"kind\": \"x509\"},\n"
        "  {\"endpoint\": \"j6\", \"kind\": \"x509\", \"kind\": \"psk\"}\n"
        "]\n";
    ck_assert_int_eq(parse(&r, DB_IMPORT_JSON, "d.json", arr, 0), 0);
    ck_assert_str_eq(r.eps, "j1 j2");
    ck_assert_str_eq(r.errors, "d.json:5:3: psk_key must be at least 16 bytes (got 1)\n"
                               "d.json:6:3: unknown member 'colour'\n"
                               "d.json:7:3: endpoint must be a string\n"
                               "d.json:8:3: duplicate endpoint (also on line 2)\n"
                               "d.json:9:44: duplicate object key near '\"kind\"'\n");
    struct run r2;
    ck_assert_int_eq(parse(&r2, DB_IMPORT_JSON, "d.json", arr, 1), 0);
    ck_assert_str_eq(r.errors, r2.errors);

    /* JSON Lines. */
    ck_assert_int_eq(parse(&r, DB_IMPORT_JSON, "d.jsonl",
                           "{\"endpoint\":\"l1\",\"kind\":\"x509\",\"x509_name_type\":\"san_dns\","
                           "\"x509_name\":\"l1.example\"}\n"
                           "{\"endpoint\":\"l2\",\"kind\":\"nosec\",\"nosec_allow\":\"10.0.0.0/8\"}\n",
                           0),
                     0);
    ck_assert_str_eq(r.errors, "");
    ck_assert_str_eq(r.eps, "l1 l2");

    /* Structural errors stop the import. */
    static const struct {
        const char *text;
        const char *msg;
    } fatal[] = {
        {"", "e.json:1:1: empty file: expected a JSON array or objects\n"},
        {"42", "e.json:1:1: expected '[' or '{' (a JSON array of objects, or JSON Lines)\n"},
        {"[{\"endpoint\":\"a\",\"kind\":\"nosec\",\"nosec_allow\":\"::1\"} 7]",
         "e.json:1:54: expected ',' or ']' after an object\n"},
        {"[1]", "e.json:1:2: expected an object\n"},
        {"[]x", "e.json:1:3: text after the end of the array\n"},
        {"[{\"endpoint\":\"a\"", "e.json:1:2: unexpected end of file inside an object\n"},
        {"[", "e.json:1:2: unexpected end of file: the array is not closed\n"},
    };
    for (size_t i = 0; i < sizeof fatal / sizeof fatal[0]; i++) {
        ck_assert_int_eq(parse(&r, DB_IMPORT_JSON, "e.json", fatal[i].text, 0), -EINVAL);
        ck_assert_msg(strcmp(r.errors, fatal[i].msg) == 0, "case %zu: %s", i, r.errors);
    }
}
END_TEST

START_TEST(test_record_limits)
{
    /* A record over DB_IMPORT_RECORD_MAX is refused; the next one is read. */
    size_t big = DB_IMPORT_RECORD_MAX + 100;
    char *text = malloc(big + 256);
    size_t n = (size_t)snprintf(text, 256, "endpoint,kind,serial\nlong,nosec,");
    memset(text + n, 'x', big);
    n += big;
    n += (size_t)snprintf(text + n, 256, "\nok,nosec,\n");
    struct run r;
    memset(&r, 0, sizeof r);
    db_import_t *im = db_import_new(DB_IMPORT_CSV, "l.csv", on_row, on_err, &r);
    ck_assert_int_eq(db_import_feed(im, text, n), 0);
    ck_assert_int_eq(db_import_finish(im), 0);
    ck_assert_uint_eq(db_import_rows_failed(im), 2); /* too long; then "ok" lacks nosec_allow */
    ck_assert(strstr(r.errors, "l.csv:2:16387: record too long (max 16384 bytes)\n") != NULL);
    db_import_free(im);
    free(text);
    ck_assert_ptr_null(db_import_new(99, "x", on_row, on_err, NULL));
}
END_TEST

START_TEST(test_set_field_api)
{
    /* The entry points bsctl uses for `device add`. */
    db_device_t d;
    char msg[DB_DEVICE_MSG_MAX];
    db_device_clear(&d);
    ck_assert_int_eq(db_device_set_field(&d, DB_F_ENDPOINT, "e", 1, msg, sizeof msg), 0);
    ck_assert_int_eq(db_device_set_field(&d, DB_F_KIND, "nosec", 5, msg, sizeof msg), 0);
    ck_assert_int_eq(db_device_set_field(&d, DB_F_NOSEC_ALLOW, "10.0.0.0/8", 10, msg, sizeof msg), 0);
    ck_assert_int_eq(db_device_set_field(&d, DB_F_NOSEC_ALLOW, "::1", 3, msg, sizeof msg), 0);
    ck_assert_int_eq(db_device_set_field(&d, DB_F_LABELS, "a=1", 3, msg, sizeof msg), 0);
    ck_assert_int_eq(db_device_set_field(&d, DB_F_LABELS, "b=", 2, msg, sizeof msg), 0);
    ck_assert_int_eq(db_device_set_field(&d, DB_F_SERIAL, "1", 1, msg, sizeof msg), 0);
    ck_assert_int_eq(db_device_set_field(&d, DB_F_SERIAL, "2", 1, msg, sizeof msg), -EINVAL);
    ck_assert_str_eq(msg, "serial given twice");
    ck_assert_int_eq(db_device_finish(&d, msg, sizeof msg), 0);
    ck_assert_uint_eq(d.allow_count, 2);
    ck_assert_uint_eq(d.nlabels, 2);
    ck_assert_str_eq(d.labels[1].value, "");
    char out[64];
    ck_assert_str_eq(db_device_allow_format(&d.allow[1], out, sizeof out), "::1/128");
    ck_assert_str_eq(db_field_name(DB_F_SERIAL), "serial");
    ck_assert_ptr_null(db_field_name(DB_F_COUNT));
}
END_TEST

/* ---- OSCORE devices (RFC 8613) ------------------------------------------------- */

#define OHDR                                                                                                 \
    "endpoint,kind,oscore_sender_id,oscore_recipient_id,oscore_secret,oscore_salt,oscore_id_context\n"
/* RFC 8613 Appendix C.1.1 inputs: Master Secret and Salt. */
#define OSEC  "0102030405060708090a0b0c0d0e0f10"
#define OSALT "9e7ca92223786340"

START_TEST(test_oscore_csv_every_field)
{
    struct run r;
    const char *text = OHDR "o-1,oscore,01,," OSEC "," OSALT ",37cbf3210017a2d3\n"
                            "o-2,oscore,,02," OSEC ",,\n";
    ck_assert_int_eq(parse(&r, DB_IMPORT_CSV, "o.csv", text, 0), 0);
    ck_assert_uint_eq(r.nerr, 0);
    ck_assert_str_eq(r.eps, "o-1 o-2");
    /* the last row: empty Sender ID (valid), Recipient ID 02, no salt, no ID Context */
    ck_assert_int_eq(r.last.kind, DB_DEVICE_OSCORE);
    ck_assert_uint_eq(r.last.oscore_sender_id_len, 0);
    ck_assert_uint_eq(r.last.oscore_recipient_id_len, 1);
    ck_assert_uint_eq(r.last.oscore_recipient_id[0], 2);
    ck_assert_uint_eq(r.last.oscore_salt_len, 0);
    ck_assert_uint_eq(r.last.oscore_id_context_len, 0);
    /* the first row, fed byte by byte, has every field */
    ck_assert_int_eq(
        parse(&r, DB_IMPORT_CSV, "o.csv", OHDR "o-1,oscore,01,," OSEC "," OSALT ",37cbf3210017a2d3\n", 1), 0);
    ck_assert_uint_eq(r.last.oscore_sender_id_len, 1);
    ck_assert_uint_eq(r.last.oscore_sender_id[0], 1);
    ck_assert_uint_eq(r.last.oscore_recipient_id_len, 0);
    ck_assert_uint_eq(r.last.oscore_secret_len, 16);
    ck_assert_uint_eq(r.last.oscore_secret[15], 0x10);
    ck_assert_uint_eq(r.last.oscore_salt_len, 8);
    ck_assert_uint_eq(r.last.oscore_salt[0], 0x9e);
    ck_assert_uint_eq(r.last.oscore_id_context_len, 8);
    ck_assert_uint_eq(r.last.oscore_id_context[7], 0xd3);
    ck_assert_str_eq(db_device_kind_name(DB_DEVICE_OSCORE), "oscore");
    ck_assert(db_device_has_secret(&r.last));
}
END_TEST

START_TEST(test_oscore_broken_rows)
{
    static const struct {
        const char *row, *msg;
    } cases[] = {
        {"a,oscore,0g,02," OSEC ",,\n", "b.csv:2:10: oscore_sender_id must be hex digits\n"},
        {"a,oscore,012,02," OSEC ",,\n", "b.csv:2:10: oscore_sender_id has an odd number of hex digits\n"},
        {"a,oscore,0102030405060708,02," OSEC ",,\n",
         "b.csv:2:10: oscore_sender_id too long (max 7 bytes)\n"},
        {"a,oscore,01,0102030405060708," OSEC ",,\n",
         "b.csv:2:13: oscore_recipient_id too long (max 7 bytes)\n"},
        {"a,oscore,01,02,0102,,\n", "b.csv:2:16: oscore_secret must be at least 16 bytes (got 2)\n"},
        {"a,oscore,01,02," OSEC OSEC OSEC OSEC "00,,\n",
         "b.csv:2:16: oscore_secret too long (max 64 bytes)\n"},
        {"a,oscore,01,02," OSEC "," OSEC OSEC "00,\n", "b.csv:2:49: oscore_salt too long (max 32 bytes)\n"},
        {"a,oscore,01,02," OSEC ",," OSEC OSEC "00\n",
         "b.csv:2:50: oscore_id_context too long (max 32 bytes)\n"},
        {"a,oscore,01,02,,,\n", "b.csv:2:1: oscore device needs oscore_secret\n"},
        {"a,oscore,01,01," OSEC ",,\n", "b.csv:2:1: oscore_sender_id and oscore_recipient_id must differ\n"},
        {"a,oscore,,," OSEC ",,\n", "b.csv:2:1: oscore_sender_id and oscore_recipient_id must differ\n"},
        {"a,nosec,01,,,,\n", "b.csv:2:9: oscore_sender_id is not used by nosec devices\n"},
        {"a,psk,01,,,,\n", "b.csv:2:1: psk device needs psk_key\n"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct run r;
        char text[512];
        snprintf(text, sizeof text, "%s%s", OHDR, cases[i].row);
        ck_assert_int_eq(parse(&r, DB_IMPORT_CSV, "b.csv", text, 0), 0);
        ck_assert_uint_eq(r.rows, 0);
        ck_assert_str_eq(r.errors, cases[i].msg);
    }
    /* A file without the ID columns: the oscore row lacks them. */
    struct run r;
    ck_assert_int_eq(parse(&r, DB_IMPORT_CSV, "m.csv", "endpoint,kind,oscore_secret\na,oscore," OSEC "\n", 0),
                     0);
    ck_assert_str_eq(r.errors, "m.csv:2:1: oscore device needs oscore_sender_id (\"\" for the empty ID)\n");
}
END_TEST

START_TEST(test_oscore_duplicates)
{
    struct run r;
    /* The same Sender ID is refused without an ID Context and with the same
     * one, and allowed with a different ID Context (the kid context tells
     * the devices apart). */
    const char *text = OHDR "a,oscore,01,," OSEC ",,\n"
                            "b,oscore,01,02," OSEC ",,\n"
                            "c,oscore,01,," OSEC ",,aa\n"
                            "d,oscore,01,," OSEC ",,aa\n"
                            "e,oscore,01,," OSEC ",,bb\n";
    ck_assert_int_eq(parse(&r, DB_IMPORT_CSV, "d.csv", text, 0), 0);
    ck_assert_str_eq(r.eps, "a c e");
    ck_assert_str_eq(r.errors,
                     "d.csv:3:10: duplicate oscore_sender_id (also on line 2)\n"
                     "d.csv:5:10: duplicate oscore_sender_id and oscore_id_context (also on line 4)\n");
}
END_TEST

START_TEST(test_oscore_json)
{
    struct run r;
    const char *text = "[{\"endpoint\": \"j-1\", \"kind\": \"oscore\", \"oscore_sender_id\": \"\", "
                       "\"oscore_recipient_id\": \"01\", \"oscore_secret\": \"" OSEC
                       "\", \"oscore_salt\": \"" OSALT "\", \"oscore_id_context\": null},\n"
                       " {\"endpoint\": \"j-2\", \"kind\": \"oscore\", \"oscore_sender_id\": \"\", "
                       "\"oscore_recipient_id\": \"02\", \"oscore_secret\": \"" OSEC "\"},\n"
                       " {\"endpoint\": \"j-3\", \"kind\": \"oscore\", \"oscore_recipient_id\": \"02\", "
                       "\"oscore_secret\": \"" OSEC "\"},\n"
                       " {\"endpoint\": \"j-4\", \"kind\": \"oscore\", \"oscore_sender_id\": \"05\", "
                       "\"oscore_recipient_id\": \"02\", \"oscore_secret\": 7}]";
    ck_assert_int_eq(parse(&r, DB_IMPORT_JSON, "j.json", text, 0), 0);
    ck_assert_str_eq(r.eps, "j-1");
    ck_assert_str_eq(r.errors, "j.json:2:2: duplicate oscore_sender_id (also on line 1)\n"
                               "j.json:3:2: oscore device needs oscore_sender_id (\"\" for the empty ID)\n"
                               "j.json:4:2: oscore_secret must be a string\n");
}
END_TEST

/* OSCORE inside DTLS: psk, rpk and x509 rows may carry an OSCORE context,
 * with the oscore rules; its (Sender ID, ID Context) shares one key space
 * with oscore devices. */
START_TEST(test_oscore_in_dtls)
{
    struct run r;
    const char *hdr = "endpoint,kind,psk_key,spki,oscore_sender_id,oscore_recipient_id,oscore_secret,"
                      "oscore_id_context\n";
    char text[4096];
    snprintf(text, sizeof text,
             "%s"
             "p-1,psk," KEY16 ",,01,," OSEC ",\n"              /* line 2: empty Recipient ID */
             "p-2,psk,101112131415161718191a1b1c1d1e1f,,,,,\n" /* line 3: no OSCORE */
             "r-1,rpk,," SPKI_HEX ",02,03," OSEC ",aa\n"       /* line 4 */
             "x-1,x509,,,,04," OSEC ",\n"                      /* line 5: empty Sender ID */
             "o-1,oscore,,,01,09," OSEC ",\n"                  /* line 6: p-1's (01, none) */
             "p-3,psk,202122232425262728292a2b2c2d2e2f,,02,,"  /* line 7: r-1's (02, aa) */
             OSEC ",aa\n"
             "p-4,psk,303132333435363738393a3b3c3d3e3f,,,,,aa\n"            /* line 8 */
             "p-5,psk,404142434445464748494a4b4c4d4e4f,,05,06,,\n"          /* line 9 */
             "p-6,psk,505152535455565758595a5b5c5d5e5f,,07,07," OSEC ",\n", /* line 10 */
             hdr);
    ck_assert_int_eq(parse(&r, DB_IMPORT_CSV, "t.csv", text, 0), 0);
    ck_assert_str_eq(r.eps, "p-1 p-2 r-1 x-1");
    ck_assert_str_eq(r.errors,
                     "t.csv:6:14: duplicate oscore_sender_id (also on line 2)\n"
                     "t.csv:7:43: duplicate oscore_sender_id and oscore_id_context (also on line 4)\n"
                     "t.csv:8:1: device with an OSCORE context needs oscore_secret\n"
                     "t.csv:9:1: device with an OSCORE context needs oscore_secret\n"
                     "t.csv:10:1: oscore_sender_id and oscore_recipient_id must differ\n");
    /* x-1: kind x509, the empty Sender ID given (its row has a context). */
    ck_assert_int_eq(r.last.kind, DEVFILE_X509);
    ck_assert(db_device_has_oscore(&r.last));
    ck_assert_uint_eq(r.last.oscore_sender_id_len, 0);
    ck_assert_uint_eq(r.last.oscore_recipient_id_len, 1);
    ck_assert_uint_eq(r.last.oscore_secret_len, 16);
    /* One row at a time for the rest. */
    snprintf(text, sizeof text, "%sp-2,psk,101112131415161718191a1b1c1d1e1f,,,,,\n", hdr);
    ck_assert_int_eq(parse(&r, DB_IMPORT_CSV, "t.csv", text, 0), 0);
    ck_assert(!db_device_has_oscore(&r.last));
    ck_assert_int_eq(r.last.kind, DEVFILE_PSK);
    ck_assert_uint_eq(r.last.given & (1u << DB_F_OSCORE_SENDER_ID), 0);
    snprintf(text, sizeof text, "%sp-1,psk," KEY16 ",,01,," OSEC ",\n", hdr);
    ck_assert_int_eq(parse(&r, DB_IMPORT_CSV, "t.csv", text, 0), 0);
    ck_assert(db_device_has_oscore(&r.last));
    ck_assert(db_device_has_secret(&r.last));
    ck_assert_uint_eq(r.last.oscore_sender_id[0], 1);
    ck_assert_uint_ne(r.last.given & (1u << DB_F_OSCORE_RECIPIENT_ID), 0);
    ck_assert_uint_eq(r.last.oscore_recipient_id_len, 0);
    /* JSON likewise; "" for an ID of a psk device without a context is nothing. */
    const char *js =
        "[{\"endpoint\": \"jp\", \"kind\": \"psk\", \"psk_key\": \"" KEY16
        "\", \"oscore_sender_id\": \"\", \"oscore_recipient_id\": \"0a\", \"oscore_secret\": \"" OSEC
        "\"},\n {\"endpoint\": \"jq\", \"kind\": \"psk\", \"psk_key\": \"" KEY16
        "\", \"oscore_sender_id\": \"\"}]";
    ck_assert_int_eq(parse(&r, DB_IMPORT_JSON, "t.json", js, 0), 0);
    ck_assert_str_eq(r.errors, "");
    ck_assert_str_eq(r.eps, "jp jq");
    ck_assert(!db_device_has_oscore(&r.last));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("devimport");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_csv_every_kind);
    tcase_add_test(tc, test_csv_broken_rows);
    tcase_add_test(tc, test_csv_duplicates);
    tcase_add_test(tc, test_csv_header_errors);
    tcase_add_test(tc, test_chunked_equals_whole);
    tcase_add_test(tc, test_json);
    tcase_add_test(tc, test_record_limits);
    tcase_add_test(tc, test_set_field_api);
    tcase_add_test(tc, test_oscore_csv_every_field);
    tcase_add_test(tc, test_oscore_broken_rows);
    tcase_add_test(tc, test_oscore_duplicates);
    tcase_add_test(tc, test_oscore_json);
    tcase_add_test(tc, test_oscore_in_dtls);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
