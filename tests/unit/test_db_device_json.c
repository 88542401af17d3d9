/*
 * test_db_device_json.c — unit tests for bsd/db/db_device_json.c (a device
 * record as JSON and back, a deny-list entry as JSON) and for what the REST
 * import adds to the import parser: db_import_row_endpoint(), the endpoint
 * a refused row names.
 */
#include "bsd/db/db_device_json.h"
#include "bsd/db/devimport.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY16 "000102030405060708090a0b0c0d0e0f"
/* A P-256 SubjectPublicKeyInfo (the one tests/unit/test_devfile.c uses). */
#define SPKI_HEX                                                                                             \
    "3059301306072a8648ce3d020106082a8648ce3d03010703420004b2b21f8fb1941225925c4650dd3b474e0f"               \
    "fa0774879f6ef4108069126ec3c63a91d54f31e1d1e25b6883d9aaa8d91cef5e2687949627bb72cf547e764b"               \
    "73f386"

/* |text| as a device through db_device_from_json (and db_device_finish). */
static int from_text(db_device_t *d, const char *text, char *msg, size_t cap, const char **field)
{
    memset(d, 0, sizeof *d);
    json_t *o = json_loads(text, 0, NULL);
    ck_assert_ptr_nonnull(o);
    int r = db_device_from_json(d, o, msg, cap, field);
    if (r == 0) r = db_device_finish(d, msg, cap);
    json_decref(o);
    return r;
}

/* The compact JSON text of |o| with sorted keys (freed by the caller). */
static char *dump(json_t *o)
{
    ck_assert_ptr_nonnull(o);
    char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    ck_assert_ptr_nonnull(s);
    return s;
}

START_TEST(test_psk_out)
{
    static db_device_t d;
    char msg[DB_DEVICE_MSG_MAX];
    ck_assert_int_eq(from_text(&d,
                               "{\"serial\": \"SN-1\", \"endpoint\": \"ep-1\", \"psk_key\": \"" KEY16 "\","
                               " \"labels\": {\"site\": \"north\"}, \"kind\": \"psk\"}",
                               msg, sizeof msg, NULL),
                     0);
    d.psk_key_id = 3;
    d.credential_version = 2;
    snprintf(d.created, sizeof d.created, "2026-01-01 00:00:00+00");
    snprintf(d.updated, sizeof d.updated, "2026-01-02 00:00:00+00");
    char *s = dump(db_device_json(&d, 0));
    ck_assert_str_eq(s,
                     "{\"created\":\"2026-01-01 00:00:00+00\",\"credential_version\":2,\"endpoint\":\"ep-1\","
                     "\"kind\":\"psk\",\"labels\":{\"site\":\"north\"},\"psk_identity\":\"ep-1\","
                     "\"serial\":\"SN-1\",\"updated\":\"2026-01-02 00:00:00+00\"}");
    free(s);
    /* The key id on request; the key itself only with DB_DEVICE_JSON_KEY. */
    json_t *o = db_device_json(&d, DB_DEVICE_JSON_KEY_ID);
    ck_assert_int_eq(json_integer_value(json_object_get(o, "psk_key_id")), 3);
    ck_assert_ptr_null(json_object_get(o, "psk_key"));
    json_decref(o);
    o = db_device_json(&d, DB_DEVICE_JSON_KEY);
    ck_assert_str_eq(json_string_value(json_object_get(o, "psk_key")), KEY16);
    json_decref(o);
    /* A rotated credential waiting to be used is shown, without its key. */
    d.bs_next.has = true;
    d.bs_next.kind = DEVFILE_PSK;
    d.bs_next.rotation = 4;
    snprintf(d.bs_next.psk_identity, sizeof d.bs_next.psk_identity, "ep-1#4");
    snprintf(d.bs_next.written_at, sizeof d.bs_next.written_at, "2026-01-03T00:00:00Z");
    d.bs_next.psk_key[0] = 0x55;
    d.bs_next.psk_key_len = 16;
    o = db_device_json(&d, DB_DEVICE_JSON_KEY_ID);
    s = dump(json_incref(json_object_get(o, "bootstrap_credential_written")));
    ck_assert_str_eq(s, "{\"kind\":\"psk\",\"psk_identity\":\"ep-1#4\",\"rotation\":4,"
                        "\"written_at\":\"2026-01-03T00:00:00Z\"}");
    free(s);
    json_decref(o);
    db_device_clear(&d);
}
END_TEST

/* A record shown as JSON reads back to the same record (its own members
 * only: the store's read-only ones are not input). */
START_TEST(test_round_trip)
{
    static const char *const in[] = {
        "{\"endpoint\": \"r-1\", \"kind\": \"rpk\", \"spki\": \"" SPKI_HEX "\"}",
        "{\"endpoint\": \"x-1\", \"kind\": \"x509\", \"x509_name_type\": \"san_uri\", \"x509_name\": "
        "\"urn:dev:x-1\","
        " \"fingerprint\": \"" KEY16 KEY16 "\", \"labels\": {\"a\": \"\", \"b/c\": \"d e\"}}",
        "{\"endpoint\": \"n-1\", \"kind\": \"nosec\", \"nosec_allow\": [\"192.0.2.0/24\", \"2001:db8::1\"],"
        " \"serial\": \"S\"}",
    };
    static db_device_t a, b;
    char msg[DB_DEVICE_MSG_MAX];
    for (size_t i = 0; i < sizeof in / sizeof in[0]; i++) {
        ck_assert_msg(from_text(&a, in[i], msg, sizeof msg, NULL) == 0, "%s: %s", in[i], msg);
        json_t *o = db_device_json(&a, DB_DEVICE_JSON_KEY_ID);
        for (const char *ro = "credential_version\0created\0updated\0"; *ro; ro += strlen(ro) + 1)
            ck_assert_int_eq(json_object_del(o, ro), 0);
        char *s1 = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
        memset(&b, 0, sizeof b);
        ck_assert_msg(db_device_from_json(&b, o, msg, sizeof msg, NULL) == 0, "%s: %s", s1, msg);
        ck_assert_int_eq(db_device_finish(&b, msg, sizeof msg), 0);
        char *s2 = dump(db_device_json(&b, DB_DEVICE_JSON_KEY_ID));
        char *s0 = dump(db_device_json(&a, DB_DEVICE_JSON_KEY_ID));
        ck_assert_str_eq(s0, s2);
        free(s0);
        free(s1);
        free(s2);
        json_decref(o);
    }
}
END_TEST

START_TEST(test_from_json_errors)
{
    static const struct {
        const char *in, *field, *msg;
    } bad[] = {
        {"{\"endpoint\": \"e\", \"kind\": \"psk\", \"psk_key\": \"0011\"}", "psk_key",
         "psk_key must be at least 16 bytes (got 2)"},
        {"{\"endpoint\": \"e\", \"kind\": \"nosec\", \"colour\": \"red\"}", "", "unknown member 'colour'"},
        {"{\"endpoint\": \"e\", \"kind\": \"nosec\", \"nosec_allow\": [1]}", "nosec_allow",
         "nosec_allow entries must be strings"},
        {"{\"endpoint\": \"e\", \"kind\": \"nosec\", \"nosec_allow\": {}}", "nosec_allow",
         "nosec_allow must be a string or an array of strings"},
        {"{\"endpoint\": \"e\", \"kind\": \"nosec\", \"labels\": {\"a\": 1}}", "labels",
         "label values must be strings"},
        {"{\"endpoint\": \"e\", \"kind\": \"nosec\", \"labels\": {\"a\": \"b;c\"}}", "labels",
         "label keys must not contain '=' or ';', values not ';'"},
        {"{\"endpoint\": \"e\", \"kind\": \"nosec\", \"labels\": [\"a=b\"]}", "labels",
         "labels must be a string or an object of strings"},
        {"{\"endpoint\": \"e\", \"kind\": \"nosec\", \"serial\": 7}", "serial", "serial must be a string"},
        /* kind applies first, whatever the member order */
        {"{\"spki\": \"" SPKI_HEX "\", \"endpoint\": \"e\", \"kind\": \"psk\"}", "spki",
         "spki is not used by psk devices"},
        {"{\"endpoint\": \"e\", \"kind\": \"toaster\"}", "kind",
         "unknown device kind 'toaster' (expected psk, rpk, x509, nosec or oscore)"},
        {"[]", "", "a device must be a JSON object"},
        /* OSCORE inside DTLS is for psk, rpk and x509 devices only */
        {"{\"endpoint\": \"e\", \"kind\": \"nosec\", \"oscore_secret\": \"" KEY16 "\"}", "oscore_secret",
         "oscore_secret is not used by nosec devices"},
    };
    static db_device_t d;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char msg[DB_DEVICE_MSG_MAX] = "";
        const char *field = "?";
        json_t *o = json_loads(bad[i].in, 0, NULL);
        ck_assert_ptr_nonnull(o);
        memset(&d, 0, sizeof d);
        ck_assert_msg(db_device_from_json(&d, o, msg, sizeof msg, &field) == -EINVAL, "%s", bad[i].in);
        ck_assert_str_eq(msg, bad[i].msg);
        ck_assert_str_eq(field, bad[i].field);
        json_decref(o);
        db_device_clear(&d);
    }
    /* null is "not given"; the kind's rules then say what is missing. */
    char msg[DB_DEVICE_MSG_MAX];
    ck_assert_int_eq(
        from_text(&d, "{\"endpoint\": \"e\", \"kind\": \"psk\", \"psk_key\": null}", msg, sizeof msg, NULL),
        -EINVAL);
    ck_assert_str_eq(msg, "psk device needs psk_key");
}
END_TEST

/* OSCORE inside DTLS: a psk device with an OSCORE context shows its kind,
 * its PSK identity and its OSCORE IDs — never the Master Secret or Salt
 * (nor the PSK key) without DB_DEVICE_JSON_KEY — and reads back as itself. */
START_TEST(test_oscore_in_dtls)
{
    static db_device_t d, b;
    char msg[DB_DEVICE_MSG_MAX];
    const char *in = "{\"endpoint\": \"d-1\", \"kind\": \"psk\", \"psk_key\": \"" KEY16 "\","
                     " \"oscore_sender_id\": \"\", \"oscore_recipient_id\": \"0a\","
                     " \"oscore_secret\": \"ffeeddccbbaa99887766554433221100\", \"oscore_salt\": \"9e7c\","
                     " \"oscore_id_context\": \"c0\"}";
    ck_assert_msg(from_text(&d, in, msg, sizeof msg, NULL) == 0, "%s", msg);
    ck_assert(db_device_has_oscore(&d));
    char *s = dump(db_device_json(&d, 0));
    ck_assert_str_eq(s,
                     "{\"created\":\"\",\"credential_version\":0,\"endpoint\":\"d-1\",\"kind\":\"psk\","
                     "\"labels\":{},\"oscore_id_context\":\"c0\",\"oscore_recipient_id\":\"0a\","
                     "\"oscore_sender_id\":\"\",\"psk_identity\":\"d-1\",\"serial\":null,\"updated\":\"\"}");
    free(s);
    json_t *o = db_device_json(&d, DB_DEVICE_JSON_KEY);
    ck_assert_str_eq(json_string_value(json_object_get(o, "oscore_secret")),
                     "ffeeddccbbaa99887766554433221100");
    ck_assert_str_eq(json_string_value(json_object_get(o, "oscore_salt")), "9e7c");
    /* ... and what it shows with the secrets reads back to the same record */
    char *s0 = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    for (const char *ro = "credential_version\0created\0updated\0"; *ro; ro += strlen(ro) + 1)
        ck_assert_int_eq(json_object_del(o, ro), 0);
    memset(&b, 0, sizeof b);
    ck_assert_msg(db_device_from_json(&b, o, msg, sizeof msg, NULL) == 0, "%s", msg);
    ck_assert_int_eq(db_device_finish(&b, msg, sizeof msg), 0);
    char *s2 = dump(db_device_json(&b, DB_DEVICE_JSON_KEY));
    ck_assert_str_eq(s0, s2);
    free(s0);
    free(s2);
    json_decref(o);
    /* A psk device without OSCORE fields has none in its JSON. */
    ck_assert_int_eq(from_text(&d,
                               "{\"endpoint\": \"d-2\", \"kind\": \"psk\", \"psk_key\": \"" KEY16 "\","
                               " \"oscore_sender_id\": \"\"}",
                               msg, sizeof msg, NULL),
                     0);
    ck_assert(!db_device_has_oscore(&d));
    o = db_device_json(&d, DB_DEVICE_JSON_KEY_ID);
    ck_assert_ptr_null(json_object_get(o, "oscore_sender_id"));
    ck_assert_ptr_null(json_object_get(o, "oscore_secret_key_id"));
    json_decref(o);
    /* An rpk device with half a context is refused like an oscore one. */
    ck_assert_int_eq(from_text(&d,
                               "{\"endpoint\": \"d-3\", \"kind\": \"rpk\", \"spki\": \"" SPKI_HEX "\","
                               " \"oscore_sender_id\": \"01\", \"oscore_recipient_id\": \"02\"}",
                               msg, sizeof msg, NULL),
                     -EINVAL);
    ck_assert_str_eq(msg, "device with an OSCORE context needs oscore_secret");
    db_device_clear(&d);
    db_device_clear(&b);
}
END_TEST

START_TEST(test_deny_entry)
{
    db_deny_entry_t e = {1, "192.0.2.0/24", "lab", "api:ops", "2026-01-01 00:00:00+00"};
    char *s = dump(db_deny_entry_json(&e));
    ck_assert_str_eq(s, "{\"actor\":\"api:ops\",\"created\":\"2026-01-01 00:00:00+00\",\"reason\":\"lab\","
                        "\"type\":\"source\",\"what\":\"192.0.2.0/24\"}");
    free(s);
    e.is_source = 0;
    json_t *o = db_deny_entry_json(&e);
    ck_assert_str_eq(json_string_value(json_object_get(o, "type")), "device");
    json_decref(o);
}
END_TEST

/* ---- db_import_row_endpoint --------------------------------------------------------- */

struct seen {
    db_import_t *im;
    char log[2048];
};

static void on_err(void *arg, unsigned line, unsigned col, const char *msg)
{
    struct seen *s = arg;
    size_t n = strlen(s->log);
    snprintf(s->log + n, sizeof s->log - n, "%u:%u [%s]\n", line, col, db_import_row_endpoint(s->im));
}

static void import(struct seen *s, int fmt, const char *text)
{
    memset(s, 0, sizeof *s);
    s->im = db_import_new(fmt, "t", NULL, on_err, s);
    ck_assert_ptr_nonnull(s->im);
    if (db_import_feed(s->im, text, strlen(text)) == 0) db_import_finish(s->im);
    db_import_free(s->im);
}

START_TEST(test_row_endpoint)
{
    struct seen s;
    /* CSV: the endpoint column as written, wherever the error is; a
     * malformed endpoint, a short row without it: none. */
    import(&s, DB_IMPORT_CSV,
           "kind,psk_key,endpoint\n"
           "psk,0011,ep-a\n"        /* a bad field before the endpoint column */
           "psk," KEY16 ",ep b\n"   /* an endpoint with a space */
           "psk\n"                  /* too few fields */
           "psk," KEY16 ",ep-c\n"   /* good */
           "nosec,,\"ep-d\"\n"      /* the row as a whole (quoted endpoint) */
           "psk," KEY16 ",ep-c\n"); /* duplicate */
    ck_assert_str_eq(s.log, "2:5 [ep-a]\n3:38 []\n4:1 []\n6:1 [ep-d]\n7:38 [ep-c]\n");
    /* JSON: the object's endpoint member; none for a malformed object or
     * for a structural error after a good row. */
    import(&s, DB_IMPORT_JSON,
           "[{\"endpoint\": \"j-1\", \"kind\": \"rpk\"},\n"
           " {\"endpoint\": \"j-2\", \"kind\": nope},\n"
           " {\"kind\": \"nosec\", \"nosec_allow\": \"192.0.2.1\", \"endpoint\": \"j-3\"} x");
    ck_assert_str_eq(s.log, "1:2 [j-1]\n2:34 []\n3:67 []\n");
    /* A bad header stops the import: no row, no endpoint. */
    import(&s, DB_IMPORT_CSV, "endpoint,kind,colour\nx,nosec,red\n");
    ck_assert_str_eq(s.log, "1:15 []\n");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("db_device_json");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_psk_out);
    tcase_add_test(tc, test_round_trip);
    tcase_add_test(tc, test_from_json_errors);
    tcase_add_test(tc, test_deny_entry);
    tcase_add_test(tc, test_oscore_in_dtls);
    tcase_add_test(tc, test_row_endpoint);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
