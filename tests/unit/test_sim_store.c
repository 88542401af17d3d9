/*
 * test_sim_store.c — unit tests for bsd-sim's sans-IO core (tools/sim):
 * the object store (typing, Write/Delete semantics, §5.2.5 unbootstrap,
 * Finish validation), Bootstrap-Discover link-format per client dialect,
 * the JSON dump, and the Bootstrap interface driven by a scripted server
 * through encoded CoAP messages (dedup, Block1/Block2, Echo, /bspack,
 * retransmission, vanish). Payload vectors T4, T6 and S7 are from
 * docs PROTOCOLS.md §5.1/§5.2.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bsd/coap/coap_msg.h"
#include "tools/sim/sim.h"
#include "tools/sim/sim_discover.h"
#include "tools/sim/sim_dump.h"
#include "tools/sim/sim_formats.h"
#include "tools/sim/sim_store.h"

/* PROTOCOLS.md §5.1 T6: resources array of a Write to /0/1. */
static const char T6[] =
    "c8001b636f6170733a2f2f62732e6578616d706c652e636f6d3a35363834c10100c10200c303657031c80510"
    "0102030405060708090a0b0c0d0e0f10c10a65";
/* §5.1 T4: Read /1, one Server instance (SSID 1, lifetime 86400, storing, "U"). */
static const char T4[] = "08000fc10001c40100015180c10601c10755";
/* §5.2 S7: SenML CBOR Write of /0/1, same data as T6. */
static const char S7[] =
    "86a321652f302f312f00613003781b636f6170733a2f2f62732e6578616d706c652e636f6d3a35363834a2006131"
    "04f4a20061320200a20061330843657031a200613508500102030405060708090a0b0c0d0e0f10a2006231300218"
    "65";

static size_t unhex(const char *h, uint8_t *out)
{
    size_t n = strlen(h) / 2;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        sscanf(h + 2 * i, "%2x", &v);
        out[i] = (uint8_t)v;
    }
    return n;
}

static lwm2m_path_t P(const char *s)
{
    lwm2m_path_t p;
    ck_assert_int_eq(lwm2m_path_parse(s, strlen(s), &p), 0);
    return p;
}

static lwm2m_record_t recs[SIM_MAX_RECS];

/* Decodes |hex| in |cf| for |path| and writes it; returns the store result. */
static int write_hex(sim_store_t *s, uint16_t cf, const char *path, const char *hex)
{
    static uint8_t buf[4096], scratch[4096];
    size_t len = unhex(hex, buf), n;
    lwm2m_path_t p = P(path);
    ck_assert_int_eq(sim_fmt_decode(cf, &p, buf, len, recs, SIM_MAX_RECS, &n, scratch, sizeof(scratch)), 0);
    return sim_store_write(s, &p, recs, n);
}

/* Decodes the SenML JSON |json| for |path| and writes it. */
static int write_json(sim_store_t *s, const char *path, const char *json)
{
    static uint8_t scratch[4096];
    size_t n;
    lwm2m_path_t p = P(path);
    ck_assert_int_eq(sim_fmt_decode(COAP_CF_SENML_JSON, &p, (const uint8_t *)json, strlen(json), recs,
                                    SIM_MAX_RECS, &n, scratch, sizeof(scratch)),
                     0);
    return sim_store_write(s, &p, recs, n);
}

static void bs_account(sim_store_t *s, uint16_t inst, const char *uri)
{
    ck_assert_int_eq(sim_store_set_str(s, 0, inst, 0, uri), 0);
    ck_assert_int_eq(sim_store_set_bool(s, 0, inst, 1, true), 0);
    ck_assert_int_eq(sim_store_set_int(s, 0, inst, 2, 0), 0);
    ck_assert_int_eq(sim_store_set_str(s, 3, 0, 0, "lwm2m-bsd"), 0);
}

static void server_account(sim_store_t *s, uint16_t sec, uint16_t srv, int ssid)
{
    ck_assert_int_eq(sim_store_set_str(s, 0, sec, 0, "coap://127.0.0.1:5683"), 0);
    ck_assert_int_eq(sim_store_set_bool(s, 0, sec, 1, false), 0);
    ck_assert_int_eq(sim_store_set_int(s, 0, sec, 10, ssid), 0);
    ck_assert_int_eq(sim_store_set_int(s, 1, srv, 0, ssid), 0);
}

/* ---- store ------------------------------------------------------------ */

START_TEST(write_tlv_typed)
{
    sim_store_t s;
    sim_store_init(&s, 0);
    ck_assert_int_eq(write_hex(&s, COAP_CF_LWM2M_TLV, "/0/1", T6), 0);
    const sim_val_t *v = sim_store_get(&s, 0, 1, 0, LWM2M_ID_NONE);
    ck_assert_ptr_nonnull(v);
    ck_assert_int_eq(v->type, LWM2M_T_STRING);
    ck_assert_int_eq(v->bytes.len, 27);
    ck_assert_mem_eq(sim_store_bytes(&s, v), "coaps://bs.example.com:5684", 27);
    bool b = true;
    int64_t i;
    ck_assert_int_eq(sim_store_get_bool(&s, 0, 1, 1, &b), 0);
    ck_assert(!b);
    ck_assert_int_eq(sim_store_get_int(&s, 0, 1, 10, &i), 0);
    ck_assert_int_eq(i, 101);
    v = sim_store_get(&s, 0, 1, 3, LWM2M_ID_NONE);
    ck_assert_int_eq(v->type, LWM2M_T_OPAQUE);
    ck_assert_mem_eq(sim_store_bytes(&s, v), "ep1", 3);
    /* T4 at depth 1: the Object Instance form. */
    ck_assert_int_eq(write_hex(&s, COAP_CF_LWM2M_TLV, "/1", T4), 0);
    ck_assert_int_eq(sim_store_get_int(&s, 1, 0, 1, &i), 0);
    ck_assert_int_eq(i, 86400);
    ck_assert_int_eq(sim_store_get_bool(&s, 1, 0, 6, &b), 0);
    ck_assert(b);
    /* Unknown object: kept as opaque. */
    ck_assert_int_eq(write_hex(&s, COAP_CF_LWM2M_TLV, "/4242/0", "c1070a"), 0);
    ck_assert_int_eq(sim_store_get(&s, 4242, 0, 7, LWM2M_ID_NONE)->type, LWM2M_T_OPAQUE);
    sim_store_free(&s);
}
END_TEST

START_TEST(write_senml_cbor_matches_tlv)
{
    sim_store_t a, b;
    sim_store_init(&a, 0);
    sim_store_init(&b, 0);
    ck_assert_int_eq(write_hex(&a, COAP_CF_LWM2M_TLV, "/0/1", T6), 0);
    ck_assert_int_eq(write_hex(&b, COAP_CF_SENML_CBOR, "/0/1", S7), 0);
    sim_text_t ta = {0}, tb = {0};
    sim_dump_device(&ta, &a, "e", "finished", 0, NULL);
    sim_dump_device(&tb, &b, "e", "finished", 0, NULL);
    ck_assert_str_eq(ta.p, tb.p);
    sim_text_free(&ta);
    sim_text_free(&tb);
    sim_store_free(&a);
    sim_store_free(&b);
}
END_TEST

START_TEST(write_type_errors_change_nothing)
{
    sim_store_t s;
    sim_store_init(&s, 0);
    /* Bootstrap-Server (bool) with two bytes. */
    ck_assert_int_eq(write_hex(&s, COAP_CF_LWM2M_TLV, "/0/1", "c10a65c2010001"), SIM_ST_ERR_TYPE);
    ck_assert_int_eq((int)s.nval, 0);
    ck_assert_int_eq((int)s.ninst, 0);
    /* Disable (/1/x/4) is executable. */
    ck_assert_int_eq(write_hex(&s, COAP_CF_LWM2M_TLV, "/1/0", "c10401"), SIM_ST_ERR_EXEC);
    /* ACL (/2/x/2) is multiple: a single value does not fit. */
    ck_assert_int_eq(write_hex(&s, COAP_CF_LWM2M_TLV, "/2/0", "c10201"), SIM_ST_ERR_TYPE);
    ck_assert_int_eq(write_hex(&s, COAP_CF_LWM2M_TLV, "/2/0", "8602416507416608"), 0);
    int64_t acl = -1;
    ck_assert_int_eq(sim_store_get(&s, 2, 0, 2, 0x65)->type, LWM2M_T_INTEGER);
    acl = sim_store_get(&s, 2, 0, 2, 0x66)->i;
    ck_assert_int_eq(acl, 8);
    sim_store_free(&s);
}
END_TEST

/* Object 21: String resources in v1.x, Opaque in v2.0 (registry
 * 21-1_1.xml / 21.xml); SenML numbers are typed by the model. */
START_TEST(write_typed_by_version)
{
    sim_store_t s;
    sim_store_init(&s, 0);
    ck_assert_int_eq(write_json(&s, "/21/0", "[{\"bn\":\"/21/0/\",\"n\":\"0\",\"vd\":\"YWJj\"}]"), 0);
    ck_assert_int_eq(sim_store_get(&s, 21, 0, 0, LWM2M_ID_NONE)->type, LWM2M_T_OPAQUE);
    ck_assert_int_eq(write_json(&s, "/21/0", "[{\"bn\":\"/21/0/\",\"n\":\"1\",\"vs\":\"abc\"}]"),
                     SIM_ST_ERR_TYPE);
    s.flags = SIM_ST_OSCORE_V1;
    ck_assert_int_eq(write_json(&s, "/21/0", "[{\"bn\":\"/21/0/\",\"n\":\"1\",\"vs\":\"abc\"}]"), 0);
    ck_assert_int_eq(sim_store_get(&s, 21, 0, 1, LWM2M_ID_NONE)->type, LWM2M_T_STRING);
    ck_assert_int_eq(write_json(&s, "/21/0", "[{\"bn\":\"/21/0/\",\"n\":\"2\",\"vd\":\"YWJj\"}]"),
                     SIM_ST_ERR_TYPE);
    /* An integral float for an Integer resource; a boolean is refused. */
    ck_assert_int_eq(write_json(&s, "/1/0", "[{\"bn\":\"/1/0/\",\"n\":\"1\",\"v\":300.0}]"), 0);
    int64_t lt;
    ck_assert_int_eq(sim_store_get_int(&s, 1, 0, 1, &lt), 0);
    ck_assert_int_eq(lt, 300);
    ck_assert_int_eq(write_json(&s, "/1/0", "[{\"bn\":\"/1/0/\",\"n\":\"1\",\"vb\":true}]"), SIM_ST_ERR_TYPE);
    /* An object link (/0/x/17 → /21/0). */
    ck_assert_int_eq(write_json(&s, "/0/1", "[{\"bn\":\"/0/1/\",\"n\":\"17\",\"vlo\":\"21:0\"}]"), 0);
    ck_assert_int_eq(sim_store_get(&s, 0, 1, 17, LWM2M_ID_NONE)->lnk.obj, 21);
    sim_store_free(&s);
}
END_TEST

START_TEST(write_replaces_multiple_resource)
{
    sim_store_t s;
    sim_store_init(&s, 0);
    ck_assert_int_eq(write_hex(&s, COAP_CF_LWM2M_TLV, "/2/0", "c10003860241650f416601"), 0);
    ck_assert_ptr_nonnull(sim_store_get(&s, 2, 0, 2, 0x66));
    /* A Write of /2/0/2 replaces all its instances, keeps resource 0. */
    ck_assert_int_eq(write_hex(&s, COAP_CF_LWM2M_TLV, "/2/0/2", "8302416707"), 0);
    ck_assert_ptr_null(sim_store_get(&s, 2, 0, 2, 0x65));
    ck_assert_ptr_null(sim_store_get(&s, 2, 0, 2, 0x66));
    ck_assert_ptr_nonnull(sim_store_get(&s, 2, 0, 2, 0x67));
    ck_assert_ptr_nonnull(sim_store_get(&s, 2, 0, 0, LWM2M_ID_NONE));
    /* Many replacements: the arena is compacted, values stay right. */
    for (int k = 0; k < 2000; k++) {
        char v[64];
        snprintf(v, sizeof(v), "coap://host-%d.example:5683", k);
        ck_assert_int_eq(sim_store_set_str(&s, 0, 1, 0, v), 0);
    }
    const sim_val_t *v = sim_store_get(&s, 0, 1, 0, LWM2M_ID_NONE);
    ck_assert_mem_eq(sim_store_bytes(&s, v), "coap://host-1999.example:5683", v->bytes.len);
    ck_assert_uint_lt(s.arena_cap, 8192);
    sim_store_free(&s);
}
END_TEST

START_TEST(delete_semantics)
{
    sim_store_t s;
    sim_store_init(&s, SIM_ST_DEL_404);
    bs_account(&s, 1, "coaps://bs:5684");
    ck_assert_int_eq(sim_store_set(&s, &(lwm2m_path_t){0, 1, 17, LWM2M_ID_NONE, 3},
                                   &(lwm2m_value_t){.type = LWM2M_T_OBJLNK, .lnk = {21, 4}}),
                     0);
    ck_assert_int_eq(sim_store_add_inst(&s, 21, 4), 0);
    ck_assert_int_eq(sim_store_add_inst(&s, 21, 5), 0);
    server_account(&s, 0, 0, 101);
    ck_assert_int_eq(sim_store_add_inst(&s, 2, 0), 0);
    lwm2m_path_t p = P("/0/1");
    ck_assert_int_eq(sim_store_delete(&s, &p), SIM_ST_ERR_PROT);
    p = P("/3/0");
    ck_assert_int_eq(sim_store_delete(&s, &p), SIM_ST_ERR_STAT);
    p = P("/0/9");
    ck_assert_int_eq(sim_store_delete(&s, &p), SIM_ST_ERR_NOENT);
    s.flags = 0;
    ck_assert_int_eq(sim_store_delete(&s, &p), 0);
    p = P("/0/1/0");
    ck_assert_int_eq(sim_store_delete(&s, &p), SIM_ST_ERR_PATH);
    p = P("/");
    ck_assert_int_eq(sim_store_delete(&s, &p), 0);
    /* Kept: the BS account, the OSCORE instance it links to, /3/0. */
    ck_assert_int_eq((int)s.ninst, 3);
    ck_assert(sim_store_has_inst(&s, 0, 1));
    ck_assert(sim_store_has_inst(&s, 21, 4));
    ck_assert(sim_store_has_inst(&s, 3, 0));
    ck_assert_int_eq(sim_store_bs_inst(&s), 1);
    sim_store_free(&s);
}
END_TEST

START_TEST(unbootstrap_acl)
{
    sim_store_t s;
    sim_store_init(&s, SIM_ST_UNBOOTSTRAP);
    bs_account(&s, 0, "coaps://bs:5684");
    server_account(&s, 1, 0, 101);
    server_account(&s, 2, 1, 102);
    /* /2/0: only 101; /2/1: 101 (owner, R) and 102 (W+D); /2/2: 102 only;
     * /2/3: object-level, only 101. */
    sim_store_set_int(&s, 2, 0, 0, 3), sim_store_set_int(&s, 2, 0, 1, 0);
    sim_store_set_rint(&s, 2, 0, 2, 101, 7), sim_store_set_int(&s, 2, 0, 3, 101);
    sim_store_set_int(&s, 2, 1, 0, 4), sim_store_set_int(&s, 2, 1, 1, 0);
    sim_store_set_rint(&s, 2, 1, 2, 101, 1), sim_store_set_rint(&s, 2, 1, 2, 102, 10);
    sim_store_set_int(&s, 2, 1, 3, 101);
    sim_store_set_int(&s, 2, 2, 0, 5), sim_store_set_rint(&s, 2, 2, 2, 102, 1),
        sim_store_set_int(&s, 2, 2, 3, 102);
    sim_store_set_int(&s, 2, 3, 0, 6), sim_store_set_int(&s, 2, 3, 1, 65535);
    sim_store_set_rint(&s, 2, 3, 2, 101, 16), sim_store_set_int(&s, 2, 3, 3, 101);
    lwm2m_path_t p = P("/0/1");
    ck_assert_int_eq(sim_store_delete(&s, &p), 0);
    ck_assert(!sim_store_has_inst(&s, 1, 0));
    ck_assert(sim_store_has_inst(&s, 1, 1));
    ck_assert(!sim_store_has_inst(&s, 2, 0));
    int64_t owner;
    ck_assert_int_eq(sim_store_get_int(&s, 2, 1, 3, &owner), 0);
    ck_assert_int_eq(owner, 102);
    ck_assert_ptr_null(sim_store_get(&s, 2, 1, 2, 101));
    ck_assert(sim_store_has_inst(&s, 2, 2));
    ck_assert(sim_store_has_inst(&s, 2, 3)); /* object-level: never deleted */
    ck_assert_ptr_null(sim_store_get(&s, 2, 3, 2, 101));
    sim_store_free(&s);
}
END_TEST

START_TEST(finish_validation)
{
    sim_store_t s;
    char why[96];
    sim_store_init(&s, 0);
    ck_assert_int_eq(sim_store_validate(&s, why, sizeof(why)), -1);
    ck_assert_str_eq(why, "bootstrap-accounts=0");
    bs_account(&s, 0, "coaps://bs:5684");
    ck_assert_int_eq(sim_store_validate(&s, why, sizeof(why)), -1);
    ck_assert_str_eq(why, "no-server-account");
    s.flags = SIM_ST_LENIENT;
    ck_assert_int_eq(sim_store_validate(&s, why, sizeof(why)), 0);
    s.flags = 0;
    ck_assert_int_eq(write_hex(&s, COAP_CF_LWM2M_TLV, "/1", T4), 0);   /* Server SSID 1 */
    ck_assert_int_eq(write_hex(&s, COAP_CF_LWM2M_TLV, "/0/1", T6), 0); /* Security SSID 101 */
    ck_assert_int_eq(sim_store_validate(&s, why, sizeof(why)), -1);
    ck_assert_str_eq(why, "server-without-security ssid=1");
    ck_assert_int_eq(write_hex(&s, COAP_CF_LWM2M_TLV, "/0/1/10", "c10a01"), 0);
    ck_assert_int_eq(sim_store_validate(&s, why, sizeof(why)), 0);
    ck_assert_int_eq(sim_store_set_bool(&s, 0, 5, 1, false), 0);
    ck_assert_int_eq(sim_store_validate(&s, why, sizeof(why)), -1);
    ck_assert_str_eq(why, "security-without-ssid inst=5");
    /* A second bootstrap account (Leshan #986). */
    ck_assert_int_eq(sim_store_set_bool(&s, 0, 5, 1, true), 0);
    ck_assert_int_eq(sim_store_validate(&s, why, sizeof(why)), -1);
    ck_assert_str_eq(why, "bootstrap-accounts=2");
    sim_store_free(&s);
}
END_TEST

/* ---- Discover and dump ------------------------------------------------ */

static void disc(const sim_store_t *s, sim_dialect_t d, int minor, const char *path, const char *want)
{
    char out[1024];
    lwm2m_path_t p = P(path);
    int n = sim_discover(s, d, minor, &p, out, sizeof(out));
    ck_assert_int_ge(n, 0);
    out[n] = 0;
    ck_assert_str_eq(out, want);
}

START_TEST(discover_dialects)
{
    sim_store_t s;
    sim_store_init(&s, 0);
    bs_account(&s, 0, "coaps://bs.test:5684");
    ck_assert_int_eq(write_hex(&s, COAP_CF_LWM2M_TLV, "/0/1", T6), 0);
    ck_assert_int_eq(write_hex(&s, COAP_CF_LWM2M_TLV, "/1/0", "c10065"), 0);
    disc(&s, SIM_DIALECT_WAKAAMA, 1, "/",
         "</>;lwm2m=1.1,</0/0>,</0/1>;ssid=101;uri=\"coaps://bs.example.com:5684\",</1>;ver=1.1,</1/"
         "0>;ssid=101,"
         "</2>,</3/0>,</21>;ver=2.0");
    disc(&s, SIM_DIALECT_WAKAAMA, 1, "/1", "</1>;ver=1.1,</1/0>;ssid=101");
    disc(&s, SIM_DIALECT_ANJAY, 1, "/",
         "</>;lwm2m=1.1,</0>,</0/0>;uri=\"coaps://bs.test:5684\",</0/1>;ssid=101;uri=\"coaps://"
         "bs.example.com:5684\","
         "</1>;ver=1.1,</1/0>;ssid=101,</2>,</3>,</3/0>,</21>;ver=2.0");
    disc(&s, SIM_DIALECT_ANJAY, 0, "/0",
         "</0>,</0/0>;uri=\"coaps://bs.test:5684\",</0/1>;ssid=101;uri=\"coaps://bs.example.com:5684\"");
    disc(&s, SIM_DIALECT_ZEPHYR, 0, "/", "lwm2m=\"1.0\",</0/0>,</0/1>;ssid=101,</1/0>;ssid=101,</2>,</3/0>");
    disc(&s, SIM_DIALECT_LESHAN, 1, "/",
         "</>;lwm2m=1.1,</0/0>;uri=\"coaps://bs.test:5684\",</0/1>;ssid=101;uri=\"coaps://"
         "bs.example.com:5684\","
         "</1>;ver=1.1,</1/0>;ssid=101,</2>,</3/0>,</21>;ver=2.0");
    s.flags |= SIM_ST_OSCORE_V1;
    disc(&s, SIM_DIALECT_WAKAAMA, 1, "/21", "</21>;ver=1.1");
    char out[16];
    lwm2m_path_t p = P("/0/0");
    ck_assert_int_eq(sim_discover(&s, SIM_DIALECT_WAKAAMA, 1, &p, out, sizeof(out)), SIM_DISC_ERR_PATH);
    p = P("/5");
    ck_assert_int_eq(sim_discover(&s, SIM_DIALECT_WAKAAMA, 1, &p, out, sizeof(out)), SIM_DISC_ERR_NOTFOUND);
    p = P("/");
    ck_assert_int_eq(sim_discover(&s, SIM_DIALECT_WAKAAMA, 1, &p, out, sizeof(out)), SIM_DISC_ERR_NOSPACE);
    sim_store_free(&s);
}
END_TEST

START_TEST(dump_json)
{
    sim_store_t s;
    sim_store_init(&s, 0);
    sim_store_set_str(&s, 0, 0, 0, "a\"b\n\xff");
    sim_store_set_bool(&s, 0, 0, 1, true);
    sim_store_set_opaque(&s, 0, 0, 3, (const uint8_t *)"\x01\xab", 2);
    sim_store_set_rint(&s, 2, 0, 2, 101, 15);
    sim_store_set_rint(&s, 2, 0, 2, 102, 1);
    sim_store_set_int(&s, 2, 0, 3, 101);
    sim_store_set(&s, &(lwm2m_path_t){0, 0, 17, LWM2M_ID_NONE, 3},
                  &(lwm2m_value_t){.type = LWM2M_T_OBJLNK, .lnk = {21, 0}});
    sim_store_add_inst(&s, 5, 0);
    sim_text_t t = {0};
    sim_dump_device(&t, &s, "ep1", "finished", COAP_CHANGED, NULL);
    ck_assert_str_eq(
        t.p, "{\"endpoint\":\"ep1\",\"outcome\":\"finished\",\"finish_code\":\"2.04\",\"detail\":\"\","
             "\"instances\":{\"/0/0\":{\"0\":\"a\\\"b\\u000a\\ufffd\",\"1\":true,\"3\":\"01ab\","
             "\"17\":\"21:0\"},\"/2/0\":{\"2\":{\"101\":15,\"102\":1},\"3\":101},\"/5/0\":{}}}");
    sim_text_free(&t);
    sim_store_free(&s);
}
END_TEST

/* ---- the Bootstrap interface through CoAP messages ------------------- */

#define T0 1000000000ull /* µs */

typedef struct cap {
    uint8_t msg[16][SIM_DGRAM_MAX]; /* ring of the last 16 messages sent */
    size_t len[16];
    int n; /* messages sent */
} cap_t;

#define CAP_MSG(i) cap.msg[(i) % 16]
#define CAP_LEN(i) cap.len[(i) % 16]

static cap_t cap;
static sim_cfg_t cfg;
static sim_dev_t dev;
static sim_work_t *work;

static int cap_tx(sim_dev_t *d, const uint8_t *m, size_t len)
{
    (void)d;
    ck_assert_uint_le(len, SIM_DGRAM_MAX);
    memcpy(cap.msg[cap.n % 16], m, len);
    cap.len[cap.n++ % 16] = len;
    return 0;
}

/* The last message sent, parsed. */
static coap_msg_t *last(void)
{
    static coap_msg_t m;
    ck_assert_int_gt(cap.n, 0);
    ck_assert_int_eq(coap_parse(&m, CAP_MSG(cap.n - 1), CAP_LEN(cap.n - 1)), 0);
    return &m;
}

static void setup_cfg(void)
{
    memset(&cfg, 0, sizeof(cfg));
    cfg.sec = SIM_SEC_NOSEC;
    snprintf(cfg.uri, sizeof(cfg.uri), "coap://127.0.0.1:5683");
    cfg.minor = 1;
    cfg.pct = COAP_CF_SENML_CBOR;
    cfg.block = 1024;
    cfg.timeout_ms = 30000;
    cfg.store_flags = SIM_ST_DEL_404;
    cfg.accept_cf[0] = COAP_CF_LWM2M_TLV, cfg.accept_cf[1] = COAP_CF_SENML_JSON,
    cfg.accept_cf[2] = COAP_CF_SENML_CBOR;
    cfg.naccept = 3;
    memset(&cap, 0, sizeof(cap));
}

static void start_dev(void)
{
    if (!work) work = malloc(sizeof(*work));
    memset(&dev, 0, sizeof(dev));
    dev.cfg = &cfg;
    dev.work = work;
    dev.tx = cap_tx;
    dev.body = NULL; /* allocated on first Block1 or /bspack use */
    sim_store_init(&dev.store, cfg.store_flags);
    sim_dev_reset(&dev, "ep1", 42, T0);
    sim_dev_begin(&dev, T0);
}

static void stop_dev(void)
{
    sim_store_free(&dev.store);
    free(dev.body);
}

typedef struct rq {
    uint8_t type, code;
    uint16_t mid;
    const char *path;
    int cf, accept, block2, block1; /* 0: absent */
    const char *reqtag;
    const uint8_t *payload;
    size_t plen;
} rq_t;

static void send_req(const rq_t *r, uint64_t now)
{
    static uint8_t buf[SIM_DGRAM_MAX];
    coap_builder_t b;
    uint8_t tok[2] = {0xbe, (uint8_t)r->mid};
    coap_build_init(&b, buf, sizeof(buf), r->type, r->code, r->mid, tok, 2);
    coap_build_uri_path(&b, r->path);
    if (r->cf) coap_build_opt_uint(&b, COAP_OPT_CONTENT_FORMAT, (uint32_t)r->cf);
    if (r->accept) coap_build_opt_uint(&b, COAP_OPT_ACCEPT, (uint32_t)r->accept);
    if (r->block2) coap_build_opt_uint(&b, COAP_OPT_BLOCK2, (uint32_t)r->block2);
    if (r->block1) coap_build_opt_uint(&b, COAP_OPT_BLOCK1, (uint32_t)r->block1);
    if (r->reqtag) coap_build_opt_str(&b, COAP_OPT_REQUEST_TAG, r->reqtag);
    coap_build_payload(&b, r->payload, r->plen);
    int n = coap_build_finish(&b);
    ck_assert_int_gt(n, 0);
    sim_dev_input(&dev, buf, (size_t)n, now);
}

/* A CON request (COAP_TYPE_CON is 0); unnamed options are absent. */
#define REQ(...) send_req(&(rq_t){__VA_ARGS__}, T0 + 1000)

/* Answers our outstanding request (the last message sent). */
static void answer(uint8_t code, const char *echo, uint16_t cf, const uint8_t *payload, size_t plen,
                   int block2)
{
    coap_msg_t *q = last();
    uint8_t buf[SIM_DGRAM_MAX];
    coap_builder_t b;
    coap_build_init(&b, buf, sizeof(buf), COAP_TYPE_ACK, code, q->mid, q->token, q->tkl);
    if (cf) coap_build_opt_uint(&b, COAP_OPT_CONTENT_FORMAT, cf);
    if (block2 >= 0) coap_build_opt_uint(&b, COAP_OPT_BLOCK2, (uint32_t)block2);
    if (echo) coap_build_opt_str(&b, COAP_OPT_ECHO, echo);
    coap_build_payload(&b, payload, plen);
    int n = coap_build_finish(&b);
    ck_assert_int_gt(n, 0);
    sim_dev_input(&dev, buf, (size_t)n, T0 + 500);
}

static void expect_code(uint8_t code)
{
    ck_assert_uint_eq(last()->code, code);
}

static void expect_payload(const char *s)
{
    coap_msg_t *m = last();
    ck_assert_uint_eq(m->payload_len, strlen(s));
    ck_assert_mem_eq(m->payload, s, m->payload_len);
}

START_TEST(bootstrap_request_and_session)
{
    setup_cfg();
    start_dev();
    coap_msg_t *m = last();
    ck_assert_uint_eq(m->type, COAP_TYPE_CON);
    ck_assert_uint_eq(m->code, COAP_POST);
    ck_assert(coap_uri_path_equals(m, "bs"));
    const uint8_t *v;
    size_t vl;
    ck_assert_int_eq(coap_query_get(m, "ep", &v, &vl), 0);
    ck_assert_mem_eq(v, "ep1", 3);
    ck_assert_int_eq(coap_query_get(m, "pct", &v, &vl), 0);
    ck_assert_mem_eq(v, "112", 3);
    answer(COAP_CHANGED, NULL, 0, NULL, 0, -1);
    ck_assert_uint_eq(dev.state, SIM_S_SERVING);

    REQ(.code = COAP_GET, .mid = 100, .path = "", .accept = COAP_CF_LINK_FORMAT);
    expect_code(COAP_CONTENT);
    ck_assert_uint_eq(last()->type, COAP_TYPE_ACK);
    ck_assert_uint_eq(last()->mid, 100);
    expect_payload("</>;lwm2m=1.1,</0/0>,</1>;ver=1.1,</2>,</3/0>,</21>;ver=2.0");
    int before = cap.n;
    REQ(.code = COAP_GET, .mid = 100, .path = "", .accept = COAP_CF_LINK_FORMAT); /* duplicate */
    ck_assert_int_eq(cap.n, before + 1);
    ck_assert_uint_eq(CAP_LEN(cap.n - 1), CAP_LEN(cap.n - 2));
    ck_assert_mem_eq(CAP_MSG(cap.n - 1), CAP_MSG(cap.n - 2), CAP_LEN(cap.n - 1));
    ck_assert_uint_eq(dev.n_dups, 1);

    uint8_t body[4096];
    size_t n = unhex(T6, body);
    REQ(.code = COAP_PUT, .mid = 101, .path = "0/1", .cf = COAP_CF_LWM2M_TLV, .payload = body, .plen = n);
    expect_code(COAP_CHANGED);
    n = unhex(S7, body);
    REQ(.code = COAP_PUT, .mid = 102, .path = "0/1", .cf = COAP_CF_SENML_CBOR, .payload = body, .plen = n);
    expect_code(COAP_CHANGED);
    n = unhex("c10065", body);
    REQ(.code = COAP_PUT, .mid = 103, .path = "1/0", .cf = COAP_CF_LWM2M_TLV, .payload = body, .plen = n);
    expect_code(COAP_CHANGED);
    REQ(.code = COAP_PUT, .mid = 104, .path = "1/0", .cf = COAP_CF_OCTET_STREAM, .payload = body, .plen = n);
    expect_code(COAP_UNSUPPORTED_CONTENT_FORMAT);
    REQ(.code = COAP_PUT, .mid = 105, .path = "1/0", .cf = COAP_CF_LWM2M_TLV,
        .payload = (const uint8_t *)"\xc1", .plen = 1);
    expect_code(COAP_BAD_REQUEST);

    REQ(.code = COAP_GET, .mid = 110, .path = "1", .accept = COAP_CF_LWM2M_TLV);
    expect_code(COAP_CONTENT);
    m = last();
    ck_assert_uint_eq(m->payload_len, 5); /* Object Instance 0 with an inline length 3 */
    ck_assert_mem_eq(m->payload, "\x03\x00\xc1\x00\x65", 5);
    REQ(.code = COAP_GET, .mid = 111, .path = "2", .accept = COAP_CF_SENML_CBOR);
    expect_code(COAP_CONTENT);
    ck_assert_uint_eq(last()->payload_len, 1); /* empty SenML CBOR array 0x80 */
    REQ(.code = COAP_GET, .mid = 112, .path = "0", .accept = COAP_CF_LWM2M_TLV);
    expect_code(COAP_BAD_REQUEST);
    REQ(.code = COAP_GET, .mid = 113, .path = "1/7", .accept = COAP_CF_LWM2M_TLV);
    expect_code(COAP_NOT_FOUND);
    REQ(.code = COAP_GET, .mid = 114, .path = "0/0", .accept = COAP_CF_LINK_FORMAT);
    expect_code(COAP_BAD_REQUEST);

    REQ(.code = COAP_DELETE, .mid = 120, .path = "0/0");
    expect_code(COAP_BAD_REQUEST);
    REQ(.code = COAP_DELETE, .mid = 121, .path = "3/0");
    expect_code(COAP_METHOD_NOT_ALLOWED);
    REQ(.code = COAP_DELETE, .mid = 122, .path = "0/9");
    expect_code(COAP_NOT_FOUND);
    REQ(.code = COAP_DELETE, .mid = 123, .path = "2");
    expect_code(COAP_DELETED);
    REQ(.code = COAP_POST, .mid = 124, .path = "1/0/8");
    expect_code(COAP_METHOD_NOT_ALLOWED);

    /* A NON request gets a NON answer. */
    REQ(.type = COAP_TYPE_NON, .code = COAP_GET, .mid = 130, .path = "1", .accept = COAP_CF_LINK_FORMAT);
    ck_assert_uint_eq(last()->type, COAP_TYPE_NON);
    expect_payload("</1>;ver=1.1,</1/0>;ssid=101");

    REQ(.code = COAP_POST, .mid = 140, .path = "bs");
    expect_code(COAP_CHANGED);
    ck_assert_uint_eq(dev.outcome, SIM_OUT_FINISHED);
    ck_assert_uint_eq(dev.finish_code, COAP_CHANGED);
    ck_assert(sim_dev_released(&dev, T0 + 2000));
    /* A retransmitted Finish is answered from the dedup cache. */
    before = cap.n;
    REQ(.code = COAP_POST, .mid = 140, .path = "bs");
    ck_assert_int_eq(cap.n, before + 1);
    expect_code(COAP_CHANGED);
    stop_dev();
}
END_TEST

START_TEST(block1_write_and_block2_read)
{
    setup_cfg();
    cfg.block = 64;
    start_dev();
    answer(COAP_CHANGED, NULL, 0, NULL, 0, -1);
    /* /0/5: a 2000-byte secret key (16-bit TLV length), SSID 102, bs false. */
    static uint8_t body[2100];
    size_t n = 0;
    body[n++] = 0xd0, body[n++] = 0x05, body[n++] = 0x07, body[n++] = 0xd0;
    for (int i = 0; i < 2000; i++)
        body[n++] = (uint8_t)i;
    n += unhex("c10a66c10100", body + n);
    ck_assert_uint_eq(n, 2010);
    REQ(.code = COAP_PUT, .mid = 200, .path = "0/5", .cf = COAP_CF_LWM2M_TLV, .block1 = 0x0e, .reqtag = "t",
        .payload = body, .plen = 1024);
    expect_code(COAP_CONTINUE);
    coap_block_t b;
    ck_assert_int_eq(coap_block_get(last(), COAP_OPT_BLOCK1, &b), 0);
    ck_assert_uint_eq(b.num, 0);
    ck_assert_uint_eq(b.more, 1);
    ck_assert_uint_eq(b.szx, 2); /* our wish: 64-byte blocks */
    /* Another Request-Tag is another operation (RFC 9175 §3.3). */
    REQ(.code = COAP_PUT, .mid = 201, .path = "0/5", .cf = COAP_CF_LWM2M_TLV, .block1 = 0x16, .reqtag = "u",
        .payload = body + 1024, .plen = n - 1024);
    expect_code(COAP_REQUEST_ENTITY_INCOMPLETE);
    REQ(.code = COAP_PUT, .mid = 202, .path = "0/5", .cf = COAP_CF_LWM2M_TLV, .block1 = 0x16, .reqtag = "t",
        .payload = body + 1024, .plen = n - 1024);
    expect_code(COAP_CHANGED);
    ck_assert_int_eq(coap_block_get(last(), COAP_OPT_BLOCK1, &b), 0);
    ck_assert_uint_eq(b.num, 1);
    ck_assert_uint_eq(b.more, 0);
    const sim_val_t *v = sim_store_get(&dev.store, 0, 5, 5, LWM2M_ID_NONE);
    ck_assert_ptr_nonnull(v);
    ck_assert_uint_eq(v->bytes.len, 2000);
    ck_assert_mem_eq(sim_store_bytes(&dev.store, v), body + 4, 2000);
    ck_assert_uint_eq(dev.n_blocks, 3);

    /* Block2: the Discover answer in 64-byte blocks with Size2. */
    REQ(.code = COAP_GET, .mid = 210, .path = "", .accept = COAP_CF_LINK_FORMAT);
    ck_assert_int_eq(coap_block_get(last(), COAP_OPT_BLOCK2, &b), 0);
    ck_assert_uint_eq(b.num, 0);
    ck_assert_uint_eq(b.more, 1);
    ck_assert_uint_eq(b.szx, 2);
    uint32_t size2;
    ck_assert_int_eq(coap_opt_uint(coap_opt_get(last(), COAP_OPT_SIZE2), &size2), 0);
    ck_assert_uint_gt(size2, 64);
    ck_assert_mem_eq(last()->payload, "</>;lwm2m=1.1,</0/0>,</0/5>;ssid=102,</1>;ver=1.1,</2>,</3/0>,</", 64);
    REQ(.code = COAP_GET, .mid = 211, .path = "", .accept = COAP_CF_LINK_FORMAT, .block2 = 0x12);
    ck_assert_int_eq(coap_block_get(last(), COAP_OPT_BLOCK2, &b), 0);
    ck_assert_uint_eq(b.num, 1);
    ck_assert_uint_eq(b.more, 0);
    expect_payload("21>;ver=2.0");
    stop_dev();
}
END_TEST

START_TEST(no_block_and_fail_write)
{
    setup_cfg();
    cfg.no_block = 1;
    cfg.block = 32;
    cfg.fail[0] = (sim_fail_t){P("/1/0"), COAP_CODE(5, 0)};
    cfg.nfail = 1;
    start_dev();
    answer(COAP_CHANGED, NULL, 0, NULL, 0, -1);
    uint8_t body[256];
    size_t n = unhex(T6, body);
    REQ(.code = COAP_PUT, .mid = 300, .path = "0/1", .cf = COAP_CF_LWM2M_TLV, .payload = body, .plen = n);
    expect_code(COAP_REQUEST_ENTITY_TOO_LARGE);
    uint32_t size1;
    ck_assert_int_eq(coap_opt_uint(coap_opt_get(last(), COAP_OPT_SIZE1), &size1), 0);
    ck_assert_uint_eq(size1, 32);
    REQ(.code = COAP_PUT, .mid = 301, .path = "0/1", .cf = COAP_CF_LWM2M_TLV, .block1 = 0x08, .payload = body,
        .plen = 16);
    expect_code(COAP_REQUEST_ENTITY_TOO_LARGE);
    n = unhex("c10065", body);
    REQ(.code = COAP_PUT, .mid = 302, .path = "1/0", .cf = COAP_CF_LWM2M_TLV, .payload = body, .plen = n);
    expect_code(COAP_CODE(5, 0));
    ck_assert(!sim_store_has_inst(&dev.store, 1, 0));
    REQ(.code = COAP_POST, .mid = 303, .path = "bs");
    expect_code(COAP_NOT_ACCEPTABLE);
    ck_assert_uint_eq(dev.outcome, SIM_OUT_FINISH_REJECTED);
    ck_assert_str_eq(dev.detail, "no-server-account");
    stop_dev();
}
END_TEST

START_TEST(echo_retransmit_reset)
{
    setup_cfg();
    cfg.omit_ep = 1;
    start_dev();
    coap_msg_t first = *last();
    const uint8_t *v;
    size_t vl;
    ck_assert_int_eq(coap_query_get(&first, "ep", &v, &vl), COAP_ERR_NOTFOUND);
    /* RFC 7252 §4.2: the first retransmission after 2–3 s, identical. */
    sim_dev_timer(&dev, T0 + 1999000);
    ck_assert_int_eq(cap.n, 1);
    ck_assert_uint_le(sim_dev_deadline(&dev), T0 + 3000000);
    sim_dev_timer(&dev, T0 + 3000000);
    ck_assert_int_eq(cap.n, 2);
    ck_assert_mem_eq(cap.msg[0], cap.msg[1], cap.len[0]);
    /* 4.01 + Echo: the request is repeated with the Echo value. */
    answer(COAP_UNAUTHORIZED, "echo-value", 0, NULL, 0, -1);
    ck_assert_int_eq(cap.n, 3);
    coap_msg_t *m = last();
    ck_assert_uint_ne(m->mid, first.mid);
    const coap_option_t *e = coap_opt_get(m, COAP_OPT_ECHO);
    ck_assert_ptr_nonnull(e);
    ck_assert_mem_eq(e->val, "echo-value", 10);
    /* RST to the repeated request ends the device. */
    uint8_t rst[4];
    coap_build_empty(rst, 4, COAP_TYPE_RST, m->mid);
    sim_dev_input(&dev, rst, 4, T0 + 4000000);
    ck_assert_uint_eq(dev.outcome, SIM_OUT_REQUEST_RESET);
    stop_dev();

    /* An error answer is final. */
    setup_cfg();
    start_dev();
    answer(COAP_BAD_REQUEST, NULL, 0, NULL, 0, -1);
    ck_assert_uint_eq(dev.outcome, SIM_OUT_REQUEST_REJECTED);
    ck_assert_uint_eq(dev.req_code, COAP_BAD_REQUEST);
    stop_dev();

    /* LwM2M 1.0: no pct; Read is 4.05. */
    setup_cfg();
    cfg.minor = 0;
    cfg.pct = -1;
    start_dev();
    ck_assert_int_eq(coap_query_get(last(), "pct", &v, &vl), COAP_ERR_NOTFOUND);
    answer(COAP_CHANGED, NULL, 0, NULL, 0, -1);
    REQ(.code = COAP_GET, .mid = 400, .path = "1", .accept = COAP_CF_LWM2M_TLV);
    expect_code(COAP_METHOD_NOT_ALLOWED);
    REQ(.code = COAP_GET, .mid = 401, .path = "", .accept = COAP_CF_LINK_FORMAT);
    expect_payload("</>;lwm2m=1.0,</0/0>,</1>,</2>,</3/0>");
    stop_dev();
}
END_TEST

START_TEST(vanish_and_timeout)
{
    setup_cfg();
    cfg.vanish_after = 1;
    start_dev();
    answer(COAP_CHANGED, NULL, 0, NULL, 0, -1);
    REQ(.code = COAP_GET, .mid = 500, .path = "", .accept = COAP_CF_LINK_FORMAT);
    expect_code(COAP_CONTENT);
    int before = cap.n;
    REQ(.code = COAP_DELETE, .mid = 501, .path = "");
    ck_assert_int_eq(cap.n, before);
    ck_assert_uint_eq(dev.state, SIM_S_VANISHED);
    sim_dev_timer(&dev, T0 + 29000000);
    ck_assert_uint_eq(dev.outcome, SIM_OUT_RUNNING);
    sim_dev_timer(&dev, T0 + 30000000);
    ck_assert_uint_eq(dev.outcome, SIM_OUT_VANISHED);
    stop_dev();

    setup_cfg();
    start_dev();
    answer(COAP_CHANGED, NULL, 0, NULL, 0, -1);
    sim_dev_timer(&dev, T0 + 30000000);
    ck_assert_uint_eq(dev.outcome, SIM_OUT_TIMEOUT);
    stop_dev();
}
END_TEST

START_TEST(bspack)
{
    setup_cfg();
    cfg.bspack = 1;
    start_dev();
    coap_msg_t *m = last();
    ck_assert_uint_eq(m->code, COAP_GET);
    ck_assert(coap_uri_path_equals(m, "bspack"));
    uint32_t acc;
    ck_assert_int_eq(coap_opt_uint(coap_opt_get(m, COAP_OPT_ACCEPT), &acc), 0);
    ck_assert_uint_eq(acc, COAP_CF_SENML_CBOR);
    /* Any error answer: fall back to POST /bs. */
    answer(COAP_NOT_FOUND, NULL, 0, NULL, 0, -1);
    ck_assert(coap_uri_path_equals(last(), "bs"));
    ck_assert_uint_eq(last()->code, COAP_POST);
    stop_dev();

    /* A pack in two Block2 blocks: applied and validated. */
    setup_cfg();
    cfg.bspack = 1;
    start_dev();
    lwm2m_record_t r[5];
    r[0] = (lwm2m_record_t){{0, 1, 0, LWM2M_ID_NONE, 3},
                            {.type = LWM2M_T_STRING, .bytes = {(const uint8_t *)"coap://x", 8}}};
    r[1] = (lwm2m_record_t){{0, 1, 1, LWM2M_ID_NONE, 3}, {.type = LWM2M_T_BOOLEAN, .b = false}};
    r[2] = (lwm2m_record_t){{0, 1, 10, LWM2M_ID_NONE, 3}, {.type = LWM2M_T_INTEGER, .i = 7}};
    r[3] = (lwm2m_record_t){{1, 0, 0, LWM2M_ID_NONE, 3}, {.type = LWM2M_T_INTEGER, .i = 7}};
    r[4] = (lwm2m_record_t){{1, 0, 1, LWM2M_ID_NONE, 3}, {.type = LWM2M_T_INTEGER, .i = 300}};
    uint8_t pack[256];
    lwm2m_path_t root = P("/");
    int n = sim_fmt_encode(COAP_CF_SENML_CBOR, &root, r, 5, pack, sizeof(pack));
    ck_assert_int_gt(n, 64);
    ck_assert_int_le(n, 128);
    answer(COAP_CONTENT, NULL, COAP_CF_SENML_CBOR, pack, 64, 0x0a); /* NUM 0, M, 64 bytes */
    coap_block_t b;
    ck_assert_int_eq(coap_block_get(last(), COAP_OPT_BLOCK2, &b), 0);
    ck_assert_uint_eq(b.num, 1);
    answer(COAP_CONTENT, NULL, COAP_CF_SENML_CBOR, pack + 64, (size_t)n - 64, 0x12);
    ck_assert_uint_eq(dev.outcome, SIM_OUT_BSPACK_FINISHED);
    int64_t lt;
    ck_assert_int_eq(sim_store_get_int(&dev.store, 1, 0, 1, &lt), 0);
    ck_assert_int_eq(lt, 300);
    stop_dev();
}
END_TEST

static Suite *sim_suite(void)
{
    Suite *s = suite_create("sim_store");
    TCase *tc = tcase_create("store");
    tcase_add_test(tc, write_tlv_typed);
    tcase_add_test(tc, write_senml_cbor_matches_tlv);
    tcase_add_test(tc, write_type_errors_change_nothing);
    tcase_add_test(tc, write_typed_by_version);
    tcase_add_test(tc, write_replaces_multiple_resource);
    tcase_add_test(tc, delete_semantics);
    tcase_add_test(tc, unbootstrap_acl);
    tcase_add_test(tc, finish_validation);
    suite_add_tcase(s, tc);
    tc = tcase_create("text");
    tcase_add_test(tc, discover_dialects);
    tcase_add_test(tc, dump_json);
    suite_add_tcase(s, tc);
    tc = tcase_create("coap");
    tcase_add_test(tc, bootstrap_request_and_session);
    tcase_add_test(tc, block1_write_and_block2_read);
    tcase_add_test(tc, no_block_and_fail_write);
    tcase_add_test(tc, echo_retransmit_reset);
    tcase_add_test(tc, vanish_and_timeout);
    tcase_add_test(tc, bspack);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(sim_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
