/*
 * test_sim_state.c — unit tests for bsd-sim's --state files and presets
 * (tools/sim/sim_state.c): lossless format → parse → format round trips
 * (every type, resource instances, opaque bytes, empty instances, the
 * corners the --dump text cannot carry), malformed input and its one-line
 * messages, atomic saving with mode 0600, the presets, a device that
 * starts from a saved state, and the Bootstrap-Read of /2 and Discover
 * answers of a device built from presets.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bsd/coap/coap_msg.h"
#include "tools/sim/sim.h"
#include "tools/sim/sim_discover.h"
#include "tools/sim/sim_dump.h"
#include "tools/sim/sim_formats.h"
#include "tools/sim/sim_state.h"

static char *format(const sim_store_t *s, const char *ep)
{
    sim_text_t t = {0};
    sim_state_format(&t, s, ep);
    ck_assert(!t.err);
    return t.p; /* the caller frees */
}

static void set_typed(sim_store_t *s, const char *path, lwm2m_value_t v)
{
    lwm2m_path_t p;
    ck_assert_int_eq(lwm2m_path_parse(path, strlen(path), &p), 0);
    ck_assert_int_eq(sim_store_set(s, &p, &v), 0);
}

/* A store with every type and the awkward values. */
static void rich_store(sim_store_t *s)
{
    static const uint8_t opq[] = {0x00, 0xff, 0x10, 0x80};
    static const uint8_t bad_utf8[] = {'a', 0xc3, 0x28, 'b'};
    static const uint8_t ctl[] = {'x', 0x00, '\n', '"', '\\', 0x7f};
    sim_store_set_str(s, 0, 0, 0, "coaps://bs.example:5684");
    sim_store_set_bool(s, 0, 0, 1, true);
    sim_store_set_int(s, 0, 0, 2, 0);
    sim_store_set_opaque(s, 0, 0, 5, opq, sizeof(opq));
    sim_store_set_opaque(s, 0, 0, 4, NULL, 0); /* empty opaque */
    set_typed(s, "/0/0/17", (lwm2m_value_t){.type = LWM2M_T_OBJLNK, .lnk = {21, 0}});
    set_typed(s, "/1/0/1", (lwm2m_value_t){.type = LWM2M_T_UNSIGNED, .u = UINT64_MAX});
    set_typed(s, "/1/0/2", (lwm2m_value_t){.type = LWM2M_T_UNSIGNED, .u = 7});
    set_typed(s, "/1/0/3", (lwm2m_value_t){.type = LWM2M_T_TIME, .i = -5});
    set_typed(s, "/1/0/4", (lwm2m_value_t){.type = LWM2M_T_INTEGER, .i = INT64_MIN});
    set_typed(s, "/3303/0/5700", (lwm2m_value_t){.type = LWM2M_T_FLOAT, .f = 0.1});
    set_typed(s, "/3303/0/5701", (lwm2m_value_t){.type = LWM2M_T_FLOAT, .f = -0.0});
    set_typed(s, "/3303/0/5702", (lwm2m_value_t){.type = LWM2M_T_FLOAT, .f = NAN});
    set_typed(s, "/3303/0/5703", (lwm2m_value_t){.type = LWM2M_T_FLOAT, .f = -INFINITY});
    set_typed(s, "/3303/0/5704", (lwm2m_value_t){.type = LWM2M_T_FLOAT, .f = 5.0});
    set_typed(s, "/3303/0/5705", (lwm2m_value_t){.type = LWM2M_T_FLOAT, .f = 1e300});
    set_typed(s, "/3303/0/5706",
              (lwm2m_value_t){.type = LWM2M_T_STRING, .bytes = {bad_utf8, sizeof(bad_utf8)}});
    set_typed(s, "/3303/0/5707", (lwm2m_value_t){.type = LWM2M_T_STRING, .bytes = {ctl, sizeof(ctl)}});
    set_typed(s, "/3303/0/5708",
              (lwm2m_value_t){.type = LWM2M_T_CORELNK, .bytes = {(const uint8_t *)"</3/0>", 6}});
    set_typed(s, "/3303/0/5709",
              (lwm2m_value_t){.type = LWM2M_T_STRING, .bytes = {(const uint8_t *)"é€", 5}});
    sim_store_set_int(s, 2, 1, 0, 3303);
    sim_store_set_int(s, 2, 1, 1, 0);
    sim_store_set_rint(s, 2, 1, 2, 0, 1);
    sim_store_set_rint(s, 2, 1, 2, 101, 15);
    sim_store_set_rint(s, 2, 1, 2, 102, 3);
    sim_store_set_int(s, 2, 1, 3, 101);
    set_typed(s, "/5/0/3/7", (lwm2m_value_t){.type = LWM2M_T_BOOLEAN, .b = false});
    ck_assert_int_eq(sim_store_add_inst(s, 3304, 9), 0); /* empty instance */
    ck_assert_int_eq(sim_store_add_inst(s, 10, 65534), 0);
}

/* Every value of |a| is in |b| with the same type and content, and vice versa. */
static void same_store(const sim_store_t *a, const sim_store_t *b)
{
    ck_assert_uint_eq(a->ninst, b->ninst);
    ck_assert_uint_eq(a->nval, b->nval);
    for (size_t i = 0; i < a->ninst; i++)
        ck_assert(sim_store_has_inst(b, a->insts[i].obj, a->insts[i].inst));
    for (size_t i = 0; i < a->nval; i++) {
        const sim_val_t *x = &a->vals[i], *y = &b->vals[i];
        ck_assert_int_eq(lwm2m_path_cmp(&x->path, &y->path), 0);
        ck_assert_int_eq(x->type, y->type);
        if (x->type == LWM2M_T_STRING || x->type == LWM2M_T_OPAQUE || x->type == LWM2M_T_CORELNK) {
            ck_assert_uint_eq(x->bytes.len, y->bytes.len);
            if (x->bytes.len) ck_assert_mem_eq(sim_store_bytes(a, x), sim_store_bytes(b, y), x->bytes.len);
        } else if (x->type == LWM2M_T_FLOAT) {
            ck_assert(memcmp(&x->f, &y->f, sizeof(double)) == 0 || (isnan(x->f) && isnan(y->f)));
        } else if (x->type == LWM2M_T_BOOLEAN) {
            ck_assert_int_eq(x->b, y->b);
        } else if (x->type == LWM2M_T_OBJLNK) {
            ck_assert(x->lnk.obj == y->lnk.obj && x->lnk.inst == y->lnk.inst);
        } else {
            ck_assert(x->u == y->u);
        }
    }
}

START_TEST(round_trip_every_type)
{
    sim_store_t a, b;
    char err[200];
    sim_store_init(&a, 0);
    sim_store_init(&b, 0);
    rich_store(&a);
    char *t1 = format(&a, "dev-1");
    ck_assert_int_eq(sim_state_parse(t1, strlen(t1), "dev-1", &b, err, sizeof(err)), 0);
    same_store(&a, &b);
    char *t2 = format(&b, "dev-1");
    ck_assert_str_eq(t1, t2);
    /* The corners the dump cannot carry, spelled out. */
    ck_assert_ptr_nonnull(strstr(t1, "\"5706\":\"61c32862\""));
    ck_assert_ptr_nonnull(strstr(t1, "\"5706\":\"string-hex\""));
    ck_assert_ptr_nonnull(strstr(t1, "\"5707\":\"x\\u0000\\u000a\\\"\\\\\\u007f\""));
    ck_assert_ptr_nonnull(strstr(t1, "\"1\":\"18446744073709551615\""));
    ck_assert_ptr_nonnull(strstr(t1, "\"5701\":\"-0\",\"5702\":\"nan\",\"5703\":\"-inf\",\"5704\":5"));
    ck_assert_ptr_nonnull(
        strstr(t1, "\"/2/1\":{\"0\":3303,\"1\":0,\"2\":{\"0\":1,\"101\":15,\"102\":3},\"3\":101}"));
    ck_assert_ptr_nonnull(strstr(t1, "\"/3304/9\":{}"));
    ck_assert_ptr_nonnull(strstr(t1, "\"17\":\"21:0\""));
    free(t1);
    free(t2);
    sim_store_free(&a);
    sim_store_free(&b);
}
END_TEST

/* Without the lossy corners, "instances" is exactly the --dump object. */
START_TEST(instances_equal_the_dump)
{
    sim_store_t a;
    sim_store_init(&a, 0);
    sim_store_set_str(&a, 0, 0, 0, "coap://127.0.0.1:5683");
    sim_store_set_opaque(&a, 0, 0, 5, (const uint8_t *)"\x01\x02", 2);
    sim_store_set_rint(&a, 2, 0, 2, 101, 7);
    sim_store_add_inst(&a, 3303, 0);
    sim_text_t d = {0};
    sim_dump_device(&d, &a, "e", "finished", 0x44, NULL);
    char *st = format(&a, "e");
    const char *di = strstr(d.p, "\"instances\":"), *si = strstr(st, "\"instances\":");
    const char *se = strstr(st, ",\"types\":");
    ck_assert_ptr_nonnull(di);
    ck_assert_ptr_nonnull(si);
    ck_assert_ptr_nonnull(se);
    size_t n = (size_t)(se - si);
    ck_assert_uint_eq(strlen(di), n + 1); /* the dump closes with one more } */
    ck_assert_mem_eq(di, si, n);
    ck_assert_str_eq(
        st,
        "{\"bsd_sim_state\":1,\"endpoint\":\"e\",\"instances\":{\"/0/0\":{\"0\":\"coap://127.0.0.1:5683\","
        "\"5\":\"0102\"},\"/2/0\":{\"2\":{\"101\":7}},\"/3303/0\":{}},\"types\":{\"/0/0\":{\"0\":"
        "\"string\",\"5\":\"opaque\"},\"/2/0\":{\"2\":{\"101\":\"integer\"}},\"/3303/0\":{}}}");
    free(st);
    sim_text_free(&d);
    sim_store_free(&a);
}
END_TEST

static const struct {
    const char *in, *msg;
} bad[] = {
    {"", "line 1 column 0: '[' or '{' expected"},
    {"{\"bsd_sim_state\":1,", "line 1 column 19: string or '}' expected"},
    {"[]", "not a JSON object"},
    {"{\"bsd_sim_state\":2,\"endpoint\":\"e\",\"instances\":{},\"types\":{}}", "\"bsd_sim_state\" is not 1"},
    {"{\"bsd_sim_state\":1,\"instances\":{},\"types\":{}}", "\"endpoint\" is missing"},
    {"{\"bsd_sim_state\":1,\"endpoint\":\"other\",\"instances\":{},\"types\":{}}", "another endpoint"},
    {"{\"bsd_sim_state\":1,\"endpoint\":\"e\",\"instances\":{},\"types\":{},\"x\":1}",
     "unknown top-level member"},
    {"{\"bsd_sim_state\":1,\"endpoint\":\"e\",\"instances\":{},\"types\":{},\"types\":{}}",
     "duplicate object key"},
    {"{\"bsd_sim_state\":1,\"endpoint\":\"e\",\"instances\":{\"/3/00\":{}},\"types\":{\"/3/00\":{}}}",
     "instance key is not /OBJ/INST"},
    {"{\"bsd_sim_state\":1,\"endpoint\":\"e\",\"instances\":{\"/3/65535\":{}},\"types\":{\"/3/65535\":{}}}",
     "instance key is not /OBJ/INST"},
    {"{\"bsd_sim_state\":1,\"endpoint\":\"e\",\"instances\":{\"/3/0\":{}},\"types\":{}}",
     "\"types\" does not match \"instances\""},
    {"{\"bsd_sim_state\":1,\"endpoint\":\"e\",\"instances\":{\"/3/0\":{}},\"types\":{\"/3/1\":{}}}",
     "/3/0: types do not match the resources"},
    {"{\"bsd_sim_state\":1,\"endpoint\":\"e\",\"instances\":{\"/0/0\":{\"5\":\"0g\"}},\"types\":{\"/0/"
     "0\":{\"5\":"
     "\"opaque\"}}}",
     "/0/0/5: value is not a hex string"},
    {"{\"bsd_sim_state\":1,\"endpoint\":\"e\",\"instances\":{\"/0/0\":{\"5\":\"abc\"}},\"types\":{\"/0/"
     "0\":{\"5\":"
     "\"opaque\"}}}",
     "/0/0/5: value is not a hex string"},
    {"{\"bsd_sim_state\":1,\"endpoint\":\"e\",\"instances\":{\"/0/0\":{\"2\":1.5}},\"types\":{\"/0/"
     "0\":{\"2\":"
     "\"integer\"}}}",
     "/0/0/2: value is not an integer"},
    {"{\"bsd_sim_state\":1,\"endpoint\":\"e\",\"instances\":{\"/0/0\":{\"2\":1}},\"types\":{\"/0/0\":{\"2\":"
     "\"int\"}}}",
     "/0/0/2: unknown type"},
    {"{\"bsd_sim_state\":1,\"endpoint\":\"e\",\"instances\":{\"/0/0\":{\"2\":1}},\"types\":{\"/0/0\":{\"2\":"
     "\"opaque-hex\"}}}",
     "/0/0/2: unknown type"},
    {"{\"bsd_sim_state\":1,\"endpoint\":\"e\",\"instances\":{\"/1/0\":{\"1\":-1}},\"types\":{\"/1/0\":{\"1\":"
     "\"unsigned\"}}}",
     "/1/0/1: value is not an unsigned integer"},
    {"{\"bsd_sim_state\":1,\"endpoint\":\"e\",\"instances\":{\"/1/0\":{\"1\":\"18446744073709551616\"}},"
     "\"types\":{\"/1/0\":{\"1\":\"unsigned\"}}}",
     "/1/0/1: value is not an unsigned integer"},
    {"{\"bsd_sim_state\":1,\"endpoint\":\"e\",\"instances\":{\"/1/0\":{\"6\":1}},\"types\":{\"/1/0\":{\"6\":"
     "\"boolean\"}}}",
     "/1/0/6: value is not true or false"},
    {"{\"bsd_sim_state\":1,\"endpoint\":\"e\",\"instances\":{\"/0/0\":{\"17\":\"21:65536\"}},\"types\":{\"/0/"
     "0\":"
     "{\"17\":\"objlnk\"}}}",
     "/0/0/17: value is not an object link OBJ:INST"},
    {"{\"bsd_sim_state\":1,\"endpoint\":\"e\",\"instances\":{\"/9/0\":{\"1\":\"x\"}},\"types\":{\"/9/"
     "0\":{\"1\":"
     "\"float\"}}}",
     "/9/0/1: value is not a float"},
    {"{\"bsd_sim_state\":1,\"endpoint\":\"e\",\"instances\":{\"/2/0\":{\"2\":{}}},\"types\":{\"/2/"
     "0\":{\"2\":{}}}}",
     "/2/0/2: empty multiple resource"},
    {"{\"bsd_sim_state\":1,\"endpoint\":\"e\",\"instances\":{\"/2/0\":{\"2\":{\"1\":{\"1\":1}}}},\"types\":"
     "{\"/2/0\":{\"2\":{\"1\":{\"1\":\"integer\"}}}}}",
     "/2/0/2/1: nested deeper than resource instances"},
    {"{\"bsd_sim_state\":1,\"endpoint\":\"e\",\"instances\":{\"/2/0\":{\"2\":{\"1\":1}}},\"types\":{\"/2/0\":"
     "{\"2\":\"integer\"}}}",
     "/2/0/2: types do not match the resource instances"},
    {"{\"bsd_sim_state\":1,\"endpoint\":\"e\",\"instances\":{\"/2/0\":{\"2\":{\"x\":1}}},\"types\":{\"/2/0\":"
     "{\"2\":{\"x\":\"integer\"}}}}",
     "/2/0/2: resource instance key is not an ID"},
    {"{\"bsd_sim_state\":1,\"endpoint\":\"e\",\"instances\":{\"/2/0\":{\"+1\":1}},\"types\":{\"/2/"
     "0\":{\"+1\":"
     "\"integer\"}}}",
     "/2/0: resource key is not an ID"},
    {"{\"bsd_sim_state\":1,\"endpoint\":\"e\",\"instances\":{\"/2/0\":[]},\"types\":{\"/2/0\":{}}}",
     "/2/0: instance is not an object"},
};

START_TEST(malformed_inputs)
{
    sim_store_t s;
    char err[200];
    sim_store_init(&s, 0);
    sim_store_set_int(&s, 3, 0, 1, 1);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = 0;
        int r = sim_state_parse(bad[i].in, strlen(bad[i].in), "e", &s, err, sizeof(err));
        ck_assert_msg(r == -1, "case %zu loaded", i);
        ck_assert_msg(strstr(err, bad[i].msg) != NULL, "case %zu: \"%s\" lacks \"%s\"", i, err, bad[i].msg);
        ck_assert_msg(strchr(err, '\n') == NULL, "case %zu: one line", i);
        ck_assert_uint_eq(s.ninst, 0); /* nothing half-loaded */
        ck_assert_uint_eq(s.nval, 0);
    }
    /* jansson's "near '<token>'" would quote the file: it is cut. */
    const char *leak = "{\"bsd_sim_state\":1,\"x\":secretkey}";
    ck_assert_int_eq(sim_state_parse(leak, strlen(leak), NULL, &s, err, sizeof(err)), -1);
    ck_assert_ptr_null(strstr(err, "secret"));
    /* An endpoint with a NUL is not a prefix match. */
    const char *nul = "{\"bsd_sim_state\":1,\"endpoint\":\"e\\u0000x\",\"instances\":{},\"types\":{}}";
    ck_assert_int_eq(sim_state_parse(nul, strlen(nul), "e", &s, err, sizeof(err)), -1);
    ck_assert_int_eq(sim_state_parse(nul, strlen(nul), NULL, &s, err, sizeof(err)), 0);
    sim_store_free(&s);
}
END_TEST

START_TEST(bounds)
{
    /* SIM_STORE_MAX_INSTS + 1 instances are refused before anything is stored. */
    sim_text_t t = {0}, ty = {0};
    sim_text_printf(&t, "{\"bsd_sim_state\":1,\"endpoint\":\"e\",\"instances\":{");
    for (unsigned i = 0; i <= SIM_STORE_MAX_INSTS; i++)
        sim_text_printf(&t, "%s\"/9/%u\":{}", i ? "," : "", i);
    sim_text_printf(&t, "},\"types\":{");
    for (unsigned i = 0; i <= SIM_STORE_MAX_INSTS; i++)
        sim_text_printf(&t, "%s\"/9/%u\":{}", i ? "," : "", i);
    sim_text_printf(&t, "}}");
    sim_store_t s;
    char err[200];
    sim_store_init(&s, 0);
    ck_assert_int_eq(sim_state_parse(t.p, t.len, "e", &s, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "SIM_STORE_MAX_INSTS"));
    /* More values than SIM_STORE_MAX_VALS in one multiple resource. */
    sim_text_reset(&t);
    sim_text_printf(&t, "{\"bsd_sim_state\":1,\"endpoint\":\"e\",\"instances\":{\"/9/0\":{\"1\":{");
    sim_text_printf(&ty, "\"types\":{\"/9/0\":{\"1\":{");
    for (unsigned i = 0; i <= SIM_STORE_MAX_VALS; i++) {
        sim_text_printf(&t, "%s\"%u\":%u", i ? "," : "", i, i);
        sim_text_printf(&ty, "%s\"%u\":\"integer\"", i ? "," : "", i);
    }
    sim_text_printf(&t, "}}},%s}}}}", ty.p);
    ck_assert_int_eq(sim_state_parse(t.p, t.len, "e", &s, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "/9/0/1/4096: more than the store holds"));
    /* Deep nesting: jansson's depth limit, a clean error. */
    sim_text_reset(&t);
    for (int i = 0; i < 5000; i++)
        sim_text_printf(&t, "[");
    ck_assert_int_eq(sim_state_parse(t.p, t.len, "e", &s, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "line 1"));
    /* Over the size cap: refused before parsing. */
    ck_assert_int_eq(sim_state_parse(t.p, SIM_STATE_FILE_MAX + 1, "e", &s, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "larger than 4 MiB"));
    sim_text_free(&t);
    sim_text_free(&ty);
    sim_store_free(&s);
}
END_TEST

START_TEST(files)
{
    char dir[] = "/tmp/test_sim_state.XXXXXX", path[128], tmp[140], err[300];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/dev.state", dir);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    sim_store_t a, b;
    sim_store_init(&a, 0);
    sim_store_init(&b, 0);
    ck_assert_int_eq(sim_state_load(path, "dev", &b, err, sizeof(err)), 1); /* missing */
    rich_store(&a);
    mode_t old = umask(0);
    ck_assert_int_eq(sim_state_save(path, &a, "dev", err, sizeof(err)), 0);
    umask(old);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_uint_eq(st.st_mode & 0777, 0600);
    ck_assert_int_eq(access(tmp, F_OK), -1);
    ck_assert_int_eq(sim_state_load(path, "dev", &b, err, sizeof(err)), 0);
    same_store(&a, &b);
    /* The file is the format plus a newline. */
    char *t = format(&a, "dev");
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;
    ck_assert(getline(&line, &cap, f) > 0);
    fclose(f);
    ck_assert_uint_eq(strlen(line), strlen(t) + 1);
    ck_assert_mem_eq(line, t, strlen(t));
    free(line);
    free(t);
    /* Another endpoint's state and a corrupt file: errors name the file. */
    ck_assert_int_eq(sim_state_load(path, "other", &b, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, path));
    ck_assert_ptr_nonnull(strstr(err, "another endpoint"));
    f = fopen(path, "w");
    fputs("{\"bsd_sim_state\":1,", f);
    fclose(f);
    ck_assert_int_eq(sim_state_load(path, "dev", &b, err, sizeof(err)), -1);
    ck_assert_int_eq(strncmp(err, path, strlen(path)), 0);
    ck_assert_ptr_nonnull(strstr(err, ": line 1 column"));
    ck_assert_int_eq(sim_state_load(dir, "dev", &b, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "not a regular file"));
    /* Saving into a missing directory fails cleanly. */
    char nodir[160];
    snprintf(nodir, sizeof(nodir), "%s/none/dev.state", dir);
    ck_assert_int_eq(sim_state_save(nodir, &a, "dev", err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "No such file"));
    unlink(path);
    rmdir(dir);
    sim_store_free(&a);
    sim_store_free(&b);
}
END_TEST

START_TEST(preset_parsers)
{
    sim_preset_acl_t a;
    sim_inst_t in;
    ck_assert_int_eq(sim_preset_acl_parse("1:3303/0:101=RW,102=RWD,0=1:102", &a), 0);
    ck_assert_uint_eq(a.iid, 1);
    ck_assert_uint_eq(a.obj, 3303);
    ck_assert_uint_eq(a.inst, 0);
    ck_assert_uint_eq(a.n, 3);
    ck_assert_uint_eq(a.ssid[0], 101);
    ck_assert_uint_eq(a.rights[0], 3);
    ck_assert_uint_eq(a.rights[1], 11);
    ck_assert_uint_eq(a.ssid[2], 0);
    ck_assert_uint_eq(a.rights[2], 1);
    ck_assert_uint_eq(a.owner, 102);
    ck_assert_int_eq(sim_preset_acl_parse("7:1/65535::65535", &a), 0); /* object-level, no entries */
    ck_assert_uint_eq(a.n, 0);
    ck_assert_uint_eq(a.inst, 65535);
    ck_assert_int_eq(sim_preset_acl_parse("2:3/0:5=C:5", &a), 0);
    ck_assert_uint_eq(a.rights[0], 16);
    static const char *const no[] = {
        "",
        "1",
        "1:3303/0",
        "1:3303/0:101=RW",
        "1:3303/0:101=RW:",
        "1:3303:101=RW:1",
        "01:3/0::1",
        "1:3/0:101=:1",
        "1:3/0:101=RR:1",
        "1:3/0:101=X:1",
        "1:3/0:101=32:1",
        "1:3/0:101=R,:1",
        "1:3/0:1=R,1=W:1",
        "65535:3/0::1",
        "1:3/0::65536",
        "1:3/0::1 ",
        "1:3/0:65535=R:1",
        "-1:3/0::1",
    };
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
        ck_assert_msg(sim_preset_acl_parse(no[i], &a) == -1, "accepted \"%s\"", no[i]);
    ck_assert_int_eq(sim_preset_inst_parse("/3303/0", &in), 0);
    ck_assert(in.obj == 3303 && in.inst == 0);
    ck_assert_int_eq(sim_preset_inst_parse("/3303", &in), -1);
    ck_assert_int_eq(sim_preset_inst_parse("3303/0", &in), -1);
    ck_assert_int_eq(sim_preset_inst_parse("/3303/0/1", &in), -1);
    ck_assert_int_eq(sim_preset_inst_parse("/3303/65535", &in), -1);

    sim_presets_t p = {.nservers = 1, .servers = {102}, .nacls = 1, .acls = {{.iid = 5}}};
    char err[160];
    ck_assert_int_eq(sim_presets_check(&p, 101, err, sizeof(err)), 0);
    ck_assert_int_eq(sim_presets_check(&p, 102, err, sizeof(err)), -1);
    ck_assert_str_eq(err, "--preset-server 102 given twice");
    p.acls[0].iid = 0;
    ck_assert_int_eq(sim_presets_check(&p, 101, err, sizeof(err)), -1);
    ck_assert_ptr_nonnull(strstr(err, "/2/0"));
    ck_assert_int_eq(sim_presets_check(&p, 0, err, sizeof(err)), 0);
}
END_TEST

/* ---- a device built from presets, and one from a saved state ------------- */

static sim_cfg_t cfg;
static sim_presets_t presets;
static sim_work_t *work;

static void two_server_cfg(void)
{
    memset(&cfg, 0, sizeof(cfg));
    memset(&presets, 0, sizeof(presets));
    cfg.sec = SIM_SEC_NOSEC;
    snprintf(cfg.uri, sizeof(cfg.uri), "coap://127.0.0.1:5683");
    cfg.minor = 1;
    cfg.pct = COAP_CF_SENML_CBOR;
    cfg.block = 1024;
    cfg.timeout_ms = 30000;
    cfg.accept_cf[0] = COAP_CF_LWM2M_TLV, cfg.accept_cf[1] = COAP_CF_SENML_JSON,
    cfg.accept_cf[2] = COAP_CF_SENML_CBOR;
    cfg.naccept = 3;
    cfg.preset_ssid = 101;
    presets.servers[presets.nservers++] = 102;
    presets.insts[presets.ninsts++] = (sim_inst_t){3303, 0};
    ck_assert_int_eq(sim_preset_acl_parse("1:3303/0:101=RW,102=RWD:102", &presets.acls[presets.nacls++]), 0);
    ck_assert_int_eq(sim_preset_acl_parse("2:3303/65535:101=C:101", &presets.acls[presets.nacls++]), 0);
    cfg.presets = &presets;
    if (!work) work = malloc(sizeof(*work));
}

static void dev_start(sim_dev_t *d)
{
    memset(d, 0, sizeof(*d));
    d->cfg = &cfg;
    d->work = work;
    sim_store_init(&d->store, cfg.store_flags);
    sim_dev_reset(d, "dev-2s", 7, 1000);
}

/* Serves GET |path| with Accept |accept| (0 = none) and parses the answer into |out|. */
static void get(sim_dev_t *d, const char *path, int accept, coap_msg_t *out)
{
    static uint8_t req[256], rsp[SIM_DGRAM_MAX];
    coap_builder_t b;
    coap_msg_t m;
    uint8_t tok[1] = {9};
    coap_build_init(&b, req, sizeof(req), COAP_TYPE_CON, COAP_GET, 0x1234, tok, 1);
    coap_build_uri_path(&b, path);
    if (accept) coap_build_opt_uint(&b, COAP_OPT_ACCEPT, (uint32_t)accept);
    int n = coap_build_finish(&b);
    ck_assert_int_gt(n, 0);
    ck_assert_int_eq(coap_parse(&m, req, (size_t)n), 0);
    size_t len = sim_dev_serve(d, &m, 2000, rsp, sizeof(rsp));
    ck_assert_uint_gt(len, 0);
    ck_assert_int_eq(coap_parse(out, rsp, len), 0);
}

START_TEST(presets_build_two_servers_with_acls)
{
    sim_dev_t d;
    two_server_cfg();
    dev_start(&d);
    sim_store_t *s = &d.store;
    int64_t v;
    /* The first --preset-server as before: /0/1, /1/0, /2/0 for /3/0. */
    ck_assert_int_eq(sim_store_get_int(s, 0, 1, 10, &v), 0);
    ck_assert_int_eq(v, 101);
    ck_assert_int_eq(sim_store_get_int(s, 2, 0, 3, &v), 0);
    ck_assert_int_eq(v, 101);
    /* The second at the next free /0 and /1 instances, without an ACL. */
    ck_assert_int_eq(sim_store_get_int(s, 0, 2, 10, &v), 0);
    ck_assert_int_eq(v, 102);
    ck_assert_int_eq(sim_store_get_int(s, 1, 1, 0, &v), 0);
    ck_assert_int_eq(v, 102);
    const sim_val_t *uri = sim_store_get(s, 0, 2, 0, LWM2M_ID_NONE);
    ck_assert_uint_eq(uri->bytes.len, strlen("coap://127.0.0.1:5684"));
    ck_assert_mem_eq(sim_store_bytes(s, uri), "coap://127.0.0.1:5684", uri->bytes.len);
    ck_assert(sim_store_has_inst(s, 3303, 0));
    ck_assert_int_eq(sim_store_get_int(s, 2, 1, 0, &v), 0);
    ck_assert_int_eq(v, 3303);
    const sim_val_t *e = sim_store_get(s, 2, 1, 2, 102);
    ck_assert_ptr_nonnull(e);
    ck_assert_int_eq(e->i, 11);
    ck_assert_int_eq(sim_store_get_int(s, 2, 2, 1, &v), 0);
    ck_assert_int_eq(v, 65535);
    char why[96];
    ck_assert_int_eq(sim_store_validate(s, why, sizeof(why)), 0);
    sim_store_free(s);
}
END_TEST

/* An LwM2M 1.1 client answers a Bootstrap-Read of /2 with every ACL
 * instance, in each format; Discover lists /2/x and /3303/0. */
START_TEST(read_acl_and_discover)
{
    static const int cfs[] = {COAP_CF_LWM2M_TLV, COAP_CF_SENML_JSON, COAP_CF_SENML_CBOR};
    sim_dev_t d;
    coap_msg_t m;
    two_server_cfg();
    dev_start(&d);
    lwm2m_path_t acl = lwm2m_path(1, SIM_OBJ_ACL, 0, 0, 0);
    for (size_t i = 0; i < 3; i++) {
        if (!sim_fmt_available((uint16_t)cfs[i])) continue;
        get(&d, "/2", cfs[i], &m);
        ck_assert_uint_eq(m.code, COAP_CONTENT);
        size_t n;
        ck_assert_int_eq(sim_fmt_decode((uint16_t)cfs[i], &acl, m.payload, m.payload_len, work->recs,
                                        SIM_MAX_RECS, &n, work->scratch, sizeof(work->scratch)),
                         0);
        /* Written into an empty store, the answer rebuilds /2 exactly. */
        sim_store_t r;
        sim_store_init(&r, 0);
        ck_assert_int_eq(sim_store_write(&r, &acl, work->recs, n), 0);
        sim_store_t want;
        sim_store_init(&want, 0);
        for (size_t k = 0; k < d.store.nval; k++) {
            const sim_val_t *x = &d.store.vals[k];
            if (x->path.obj != SIM_OBJ_ACL) continue;
            lwm2m_value_t v = {.type = x->type, .i = x->i};
            ck_assert_int_eq(sim_store_set(&want, &x->path, &v), 0);
        }
        ck_assert_uint_eq(want.ninst, 3); /* /2/0, /2/1, /2/2 */
        same_store(&want, &r);
        sim_store_free(&r);
        sim_store_free(&want);
    }
    get(&d, "/", COAP_CF_LINK_FORMAT, &m);
    ck_assert_uint_eq(m.code, COAP_CONTENT);
    char body[1024];
    snprintf(body, sizeof(body), "%.*s", (int)m.payload_len, (const char *)m.payload);
    ck_assert_ptr_nonnull(strstr(body, "</2/0>,</2/1>,</2/2>"));
    ck_assert_ptr_nonnull(strstr(body, "</3303/0>"));
    ck_assert_ptr_nonnull(strstr(body, "</0/2>;ssid=102"));
    sim_store_free(&d.store);
    /* LwM2M 1.0: no Bootstrap-Read. */
    cfg.minor = 0;
    dev_start(&d);
    get(&d, "/2", COAP_CF_LWM2M_TLV, &m);
    ck_assert_uint_eq(m.code, COAP_METHOD_NOT_ALLOWED);
    sim_store_free(&d.store);
}
END_TEST

/* --state: the device starts with exactly the saved store (presets and
 * the built-in state ignored) and its final store is captured once. */
START_TEST(device_from_saved_state)
{
    sim_dev_t d;
    sim_state_t st = {0};
    char err[200];
    two_server_cfg();
    sim_store_t saved;
    sim_store_init(&saved, 0);
    rich_store(&saved);
    char *text = format(&saved, "dev-2s");
    sim_store_init(&st.initial, 0);
    ck_assert_int_eq(sim_state_parse(text, strlen(text), "dev-2s", &st.initial, err, sizeof(err)), 0);
    st.have_initial = st.loaded = 1;
    cfg.state = &st;
    dev_start(&d);
    same_store(&saved, &d.store);
    ck_assert(!sim_store_has_inst(&d.store, 1, 1)); /* no preset applied */
    sim_store_set_int(&d.store, 3, 0, 9, 42);
    sim_dev_end(&d, SIM_OUT_FINISHED, NULL, 3000);
    ck_assert(st.have_final);
    sim_store_set_int(&d.store, 3, 0, 9, 43); /* after the end: not captured */
    int64_t v;
    ck_assert_int_eq(sim_store_get_int(&st.final, 3, 0, 9, &v), 0);
    ck_assert_int_eq(v, 42);
    ck_assert_uint_eq(st.final.nval, saved.nval + 1);
    /* A fresh state is built once from the built-in store and the presets. */
    sim_state_t fresh = {0};
    cfg.state = NULL;
    ck_assert_int_eq(sim_state_build_initial(&cfg, &fresh, "dev-2s"), 0);
    ck_assert(fresh.have_initial && !fresh.loaded);
    ck_assert(sim_store_has_inst(&fresh.initial, 1, 1));
    ck_assert(sim_store_has_inst(&fresh.initial, 3303, 0));
    sim_state_free(&fresh);
    free(text);
    sim_state_free(&st);
    sim_store_free(&saved);
    sim_store_free(&d.store);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("sim_state");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, round_trip_every_type);
    tcase_add_test(tc, instances_equal_the_dump);
    tcase_add_test(tc, malformed_inputs);
    tcase_add_test(tc, bounds);
    tcase_add_test(tc, files);
    tcase_add_test(tc, preset_parsers);
    tcase_add_test(tc, presets_build_two_servers_with_acls);
    tcase_add_test(tc, read_acl_and_discover);
    tcase_add_test(tc, device_from_saved_state);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    free(work);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
