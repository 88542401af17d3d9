/*
 * test_bs_planfile.c — unit tests for bsd/lwm2m/bs_planfile.c: the shipped
 * examples/plans.json and its compiled plan, value typing, broken files
 * with their exact messages, the bounds, glob order, substitution and
 * compile overflow.
 */
#include "bsd/lwm2m/bs_planfile.h"

#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* JSON text from C tokens: J({"a": [1, 2]}) is "{\"a\": [1, 2]}". The
 * arguments of the wrappers below are macro-expanded before J sees them, so
 * <stdbool.h>'s true/false would turn into 1/0: this file does not use them. */
#undef true
#undef false
#define J(...) #__VA_ARGS__
/* One plan called "p" matching everything, with these operations. */
#define PLAN(...) "{\"plans\": [{\"name\": \"p\", \"match\": [\"*\"], \"operations\": [" J(__VA_ARGS__) "]}]}"
#define FIN                                                                                                  \
    {                                                                                                        \
        "op" : "finish"                                                                                      \
    }

static char err[BS_PLANFILE_ERR_MAX];
static bs_plan_t plan; /* 21 KiB: static, not on Check's stack */

static bs_planfile_t *parse(const char *text)
{
    err[0] = '\0';
    return bs_planfile_parse("t.json", text, strlen(text), err, sizeof err);
}

/* Parses |text|, which must be refused with exactly |want|. */
static void refused(const char *text, const char *want)
{
    bs_planfile_t *pf = parse(text);
    if (pf != NULL) bs_planfile_free(pf);
    ck_assert_msg(pf == NULL, "accepted: %s", text);
    ck_assert_str_eq(err, want);
}

static bs_planfile_t *parsed(const char *text)
{
    bs_planfile_t *pf = parse(text);
    ck_assert_msg(pf != NULL, "%s", err);
    return pf;
}

/* Compiles the only plan of |text| for endpoint "dev-1". */
static void compile1(const char *text)
{
    bs_planfile_t *pf = parsed(text);
    int rc = bs_planfile_compile(bs_planfile_plan_at(pf, 0), "dev-1", &plan, err, sizeof err);
    bs_planfile_free(pf);
    ck_assert_msg(rc == 0, "%s", err);
}

static void ck_path(const lwm2m_path_t *p, int depth, unsigned obj, unsigned inst, unsigned res,
                    unsigned rinst)
{
    lwm2m_path_t want = lwm2m_path(depth, (uint16_t)obj, (uint16_t)inst, (uint16_t)res, (uint16_t)rinst);
    ck_assert_int_eq(lwm2m_path_cmp(p, &want), 0);
    ck_assert_uint_eq(p->obj, want.obj);
    ck_assert_uint_eq(p->inst, want.inst);
    ck_assert_uint_eq(p->res, want.res);
    ck_assert_uint_eq(p->rinst, want.rinst);
}

static void ck_bytes(const lwm2m_record_t *r, lwm2m_type_t type, const void *want, size_t n)
{
    ck_assert_int_eq(r->v.type, type);
    ck_assert_uint_eq(r->v.bytes.len, n);
    ck_assert_mem_eq(r->v.bytes.p, want, n);
    ck_assert(r->v.bytes.p >= plan.bytes && r->v.bytes.p + n <= plan.bytes + plan.nbytes);
}

/* ---- the shipped example ---------------------------------------------------------- */

/* examples/plans.json: $BSD_SRCDIR, else relative to this source file as the
 * compiler saw it (relative to the build root, meson's test directory), else
 * to the build root found from the executable (build/bsd/lwm2m/…). */
static void example_path(char *out, size_t cap)
{
    const char *src = getenv("BSD_SRCDIR");
    if (src != NULL) {
        snprintf(out, cap, "%s/examples/plans.json", src);
        return;
    }
    const char *me = __FILE__, *tail = strstr(me, "tests/unit/test_bs_planfile.c");
    int pre = tail != NULL ? (int)(tail - me) : 0;
    snprintf(out, cap, "%.*sexamples/plans.json", pre, me);
    if (access(out, R_OK) == 0 || me[0] == '/') return;
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return;
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash != NULL) *slash = '\0';
    snprintf(out, cap, "%s/../../%.*sexamples/plans.json", exe, pre, me);
}

START_TEST(test_example)
{
    char path[PATH_MAX + 64];
    example_path(path, sizeof path);
    err[0] = '\0';
    bs_planfile_t *pf = bs_planfile_load(path, err, sizeof err);
    ck_assert_msg(pf != NULL, "%s: %s", path, err);
    ck_assert_uint_eq(bs_planfile_count(pf), 1);
    const bs_planfile_plan_t *p = bs_planfile_match(pf, "dev-1");
    ck_assert_ptr_eq(p, bs_planfile_plan_at(pf, 0));
    ck_assert_str_eq(bs_planfile_plan_name(p), "default");
    ck_assert_uint_eq(bs_planfile_plan_version(p), 1);
    ck_assert_int_eq(bs_planfile_compile(p, "dev-1", &plan, err, sizeof err), 0);
    bs_planfile_free(pf);

    ck_assert_str_eq(plan.name, "default");
    ck_assert_uint_eq(plan.version, 1);
    ck_assert_uint_eq(plan.format, 0);
    ck_assert_int_eq(plan.on_error, BS_ON_ERROR_CONTINUE);
    ck_assert_uint_eq(plan.timeout_ms, 60000);

    ck_assert_uint_eq(plan.nops, 7);
    static const bs_op_kind_t kinds[] = {BS_OP_DISCOVER, BS_OP_READ,  BS_OP_DELETE, BS_OP_DELETE,
                                         BS_OP_WRITE,    BS_OP_WRITE, BS_OP_FINISH};
    for (size_t i = 0; i < 7; i++)
        ck_assert_int_eq(plan.ops[i].kind, kinds[i]);
    ck_path(&plan.ops[0].path, 0, 0, 0, 0, 0);
    ck_path(&plan.ops[1].path, 1, 2, 0, 0, 0);
    ck_path(&plan.ops[2].path, 1, 0, 0, 0, 0);
    ck_path(&plan.ops[3].path, 1, 1, 0, 0, 0);
    ck_path(&plan.ops[4].path, 2, 0, BS_INST_SLOT(0), 0, 0);
    ck_path(&plan.ops[5].path, 2, 1, BS_INST_SLOT(0), 0, 0);
    ck_path(&plan.ops[6].path, 0, 0, 0, 0, 0);
    ck_assert_uint_eq(plan.ops[4].first_rec, 0);
    ck_assert_uint_eq(plan.ops[4].nrecs, 6);
    ck_assert_uint_eq(plan.ops[5].first_rec, 6);
    ck_assert_uint_eq(plan.ops[5].nrecs, 4);
    for (size_t i = 0; i < 7; i++)
        if (i != 4 && i != 5) ck_assert_uint_eq(plan.ops[i].nrecs, 0);

    ck_assert_uint_eq(plan.nrecs, 10);
    const lwm2m_record_t *r = plan.recs;
    const uint16_t s1 = BS_INST_SLOT(0);
    static const uint8_t key[16] = {0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
                                    0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff};
    ck_path(&r[0].path, 3, 0, s1, 0, 0);
    ck_bytes(&r[0], LWM2M_T_STRING, "coaps://127.0.0.1:5784", 22);
    ck_path(&r[1].path, 3, 0, s1, 1, 0);
    ck_assert_int_eq(r[1].v.type, LWM2M_T_BOOLEAN);
    ck_assert(!r[1].v.b);
    ck_path(&r[2].path, 3, 0, s1, 2, 0);
    ck_assert_int_eq(r[2].v.type, LWM2M_T_INTEGER);
    ck_assert_int_eq(r[2].v.i, 0);
    ck_path(&r[3].path, 3, 0, s1, 3, 0);
    ck_bytes(&r[3], LWM2M_T_OPAQUE, "dev-1", 5); /* Opaque identity from {"text": "${endpoint}"} */
    ck_path(&r[4].path, 3, 0, s1, 5, 0);
    ck_bytes(&r[4], LWM2M_T_OPAQUE, key, 16);
    ck_path(&r[5].path, 3, 0, s1, 10, 0);
    ck_assert_int_eq(r[5].v.type, LWM2M_T_INTEGER);
    ck_assert_int_eq(r[5].v.i, 101);
    ck_path(&r[6].path, 3, 1, s1, 0, 0);
    ck_assert_int_eq(r[6].v.type, LWM2M_T_INTEGER);
    ck_assert_int_eq(r[6].v.i, 101);
    ck_path(&r[7].path, 3, 1, s1, 1, 0);
    ck_assert_int_eq(r[7].v.type, LWM2M_T_INTEGER);
    ck_assert_int_eq(r[7].v.i, 300);
    ck_path(&r[8].path, 3, 1, s1, 6, 0);
    ck_assert_int_eq(r[8].v.type, LWM2M_T_BOOLEAN);
    ck_assert(r[8].v.b);
    ck_path(&r[9].path, 3, 1, s1, 7, 0);
    ck_bytes(&r[9], LWM2M_T_STRING, "U", 1);
    ck_assert_uint_eq(plan.nbytes, 22 + 5 + 16 + 1);
}
END_TEST

/* ---- good files ---------------------------------------------------------------- */

START_TEST(test_plan_options)
{
    bs_planfile_t *pf = parsed(J({
        "comment" : "top",
        "plans" : [
            {"name" : "a", "match" : ["x"], "operations" : [ {"op" : "finish"} ]}, {
                "name" : "b two",
                "version" : 4294967295,
                "match" : ["y"],
                "on_error" : "stop",
                "format" : "senml-cbor",
                "timeout" : 240,
                "comment" : "plan",
                "operations" : [ {"op" : "finish", "comment" : "op"} ]
            },
            {
                "name" : "c",
                "match" : ["z"],
                "format" : "tlv",
                "timeout" : 1,
                "operations" : [ {"op" : "finish"} ]
            },
            {"name" : "d", "match" : ["w"], "format" : "senml-json", "operations" : [ {"op" :
                                                                                           "finish"} ]}
        ]
    }));
    static const uint16_t fmts[] = {0, 112, 11542, 110};
    static const uint32_t tmo[] = {0, 240000, 1000, 0};
    for (size_t i = 0; i < 4; i++) {
        ck_assert_int_eq(bs_planfile_compile(bs_planfile_plan_at(pf, i), "e", &plan, err, sizeof err), 0);
        ck_assert_uint_eq(plan.format, fmts[i]);
        ck_assert_uint_eq(plan.timeout_ms, tmo[i]);
        ck_assert_int_eq(plan.on_error, i == 1 ? BS_ON_ERROR_STOP : BS_ON_ERROR_CONTINUE);
        ck_assert_uint_eq(plan.nops, 1);
        ck_assert_int_eq(plan.ops[0].kind, BS_OP_FINISH);
        ck_assert_uint_eq(plan.nrecs, 0);
    }
    ck_assert_str_eq(bs_planfile_plan_name(bs_planfile_plan_at(pf, 1)), "b two");
    ck_assert_uint_eq(bs_planfile_plan_version(bs_planfile_plan_at(pf, 1)), 4294967295u);
    ck_assert_uint_eq(bs_planfile_plan_version(bs_planfile_plan_at(pf, 0)), 0);
    ck_assert_ptr_null(bs_planfile_plan_at(pf, 4));
    bs_planfile_free(pf);
}
END_TEST

START_TEST(test_paths_and_slots)
{
    compile1(PLAN({"op" : "discover", "path" : "/0"}, {"op" : "read", "path" : "/1/0"},
                  {"op" : "delete", "path" : "/"}, {"op" : "delete", "path" : "/1/slot:16"},
                  {"op" : "read", "path" : "/2/65279"}, {"op" : "delete", "path" : "/65534/65534"}, FIN));
    ck_assert_uint_eq(plan.nops, 7);
    ck_path(&plan.ops[0].path, 1, 0, 0, 0, 0);
    ck_path(&plan.ops[1].path, 2, 1, 0, 0, 0);
    ck_path(&plan.ops[2].path, 0, 0, 0, 0, 0);
    ck_path(&plan.ops[3].path, 2, 1, BS_INST_SLOT(15), 0, 0);
    ck_assert(BS_INST_IS_SLOT(plan.ops[3].path.inst));
    ck_path(&plan.ops[4].path, 2, 2, 65279, 0, 0);
    ck_path(&plan.ops[5].path, 2, 65534, 65534, 0, 0);
}
END_TEST

/* Records come out sorted by path whatever the key order; multi-instance forms. */
START_TEST(test_sorting_and_instances)
{
    compile1(PLAN(
        {"op" : "write", "path" : "/0/slot:2", "values" : {"16" : [ 49320, 49198 ], "10" : 7, "0" : "u"}},
        {"op" : "write", "path" : "/0/slot:2/16", "values" : {"5" : 1, "2" : 3}},
        {"op" : "write", "path" : "/2/7", "values" : {"2" : {"101" : 15, "0" : 1}, "0" : 1, "1" : 0}},
        {"op" : "write", "path" : "/0/slot:2/10", "value" : 9}, FIN));
    const uint16_t s2 = BS_INST_SLOT(1);
    ck_assert_uint_eq(plan.nrecs, 11);
    const lwm2m_record_t *r = plan.recs;
    ck_assert_uint_eq(plan.ops[0].nrecs, 4);
    ck_path(&r[0].path, 3, 0, s2, 0, 0);
    ck_path(&r[1].path, 3, 0, s2, 10, 0);
    ck_path(&r[2].path, 4, 0, s2, 16, 0);
    ck_assert_int_eq(r[2].v.type, LWM2M_T_UNSIGNED);
    ck_assert_uint_eq(r[2].v.u, 49320);
    ck_path(&r[3].path, 4, 0, s2, 16, 1);
    ck_assert_uint_eq(r[3].v.u, 49198);
    ck_assert_uint_eq(plan.ops[1].first_rec, 4);
    ck_assert_uint_eq(plan.ops[1].nrecs, 2);
    ck_path(&r[4].path, 4, 0, s2, 16, 2);
    ck_assert_uint_eq(r[4].v.u, 3);
    ck_path(&r[5].path, 4, 0, s2, 16, 5);
    ck_assert_uint_eq(plan.ops[2].first_rec, 6);
    ck_assert_uint_eq(plan.ops[2].nrecs, 4);
    ck_path(&r[6].path, 3, 2, 7, 0, 0);
    ck_path(&r[7].path, 3, 2, 7, 1, 0);
    ck_path(&r[8].path, 4, 2, 7, 2, 0);
    ck_assert_int_eq(r[8].v.i, 1);
    ck_path(&r[9].path, 4, 2, 7, 2, 101);
    ck_assert_int_eq(r[9].v.i, 15);
    ck_assert_uint_eq(plan.ops[3].first_rec, 10);
    ck_assert_uint_eq(plan.ops[3].nrecs, 1);
    ck_path(&r[10].path, 3, 0, s2, 10, 0);
    ck_assert_int_eq(r[10].v.i, 9);
}
END_TEST

/* Value forms against the model, and inferred from JSON where the model is silent. */
START_TEST(test_value_types)
{
    compile1(PLAN({
        "op" : "write",
        "path" : "/0/3",
        "values" : {
            "0" : {"text" : "coap://${endpoint}.example/${endpoint}"},
            "3" : "id-${endpoint}",
            "4" : {"base64" : "AQID"},
            "5" : {"hex" : "A0b1"},
            "7" : {"base64" : "AQ=="},
            "8" : {"base64" : "AQ"},
            "11" : 1e2,
            "17" : {"objlnk" : "21:0"}
        }
    },
                  {"op" : "write", "path" : "/1/4", "values" : {"10" : "65535:65535", "12" : 1700000000}}, {
                      "op" : "write",
                      "path" : "/3442/0",
                      "values" : {
                          "1" : 2.5,
                          "2" : 3.0,
                          "3" : -7,
                          "4" : true,
                          "5" : "${endpoint}",
                          "6" : {"text" : "t"},
                          "7" : {"hex" : "ff"},
                          "8" : {"objlnk" : "1:2"},
                          "9" : {"hex" : ""}
                      }
                  },
                  {"op" : "write", "path" : "/21/0", "values" : {"0" : "s3cr3t", "3" : 10, "4" : -10}}, FIN));
    const lwm2m_record_t *r = plan.recs;
    ck_assert_uint_eq(plan.nrecs, 8 + 2 + 9 + 3);
    ck_bytes(&r[0], LWM2M_T_STRING, "coap://dev-1.example/dev-1", 26);
    ck_bytes(&r[1], LWM2M_T_OPAQUE, "id-dev-1", 8); /* a string for an Opaque resource: its UTF-8 */
    ck_bytes(&r[2], LWM2M_T_OPAQUE, "\x01\x02\x03", 3);
    ck_bytes(&r[3], LWM2M_T_OPAQUE, "\xa0\xb1", 2);
    ck_bytes(&r[4], LWM2M_T_OPAQUE, "\x01", 1);
    ck_bytes(&r[5], LWM2M_T_OPAQUE, "\x01", 1);
    ck_path(&r[6].path, 3, 0, 3, 11, 0);
    ck_assert_int_eq(r[6].v.type, LWM2M_T_INTEGER);
    ck_assert_int_eq(r[6].v.i, 100);
    ck_assert_int_eq(r[7].v.type, LWM2M_T_OBJLNK);
    ck_assert_uint_eq(r[7].v.lnk.obj, 21);
    ck_assert_uint_eq(r[7].v.lnk.inst, 0);
    ck_assert_int_eq(r[8].v.type, LWM2M_T_OBJLNK); /* a plain string for an Objlnk resource */
    ck_assert_uint_eq(r[8].v.lnk.obj, 65535);
    ck_assert_uint_eq(r[8].v.lnk.inst, 65535);
    ck_assert_int_eq(r[9].v.type, LWM2M_T_TIME);
    ck_assert_int_eq(r[9].v.i, 1700000000);
    /* object 3442: not in the model, typed from the JSON */
    ck_assert_int_eq(r[10].v.type, LWM2M_T_FLOAT);
    ck_assert(r[10].v.f == 2.5);
    ck_assert_int_eq(r[11].v.type, LWM2M_T_INTEGER); /* integral: 3.0 is 3 */
    ck_assert_int_eq(r[11].v.i, 3);
    ck_assert_int_eq(r[12].v.type, LWM2M_T_INTEGER);
    ck_assert_int_eq(r[12].v.i, -7);
    ck_assert_int_eq(r[13].v.type, LWM2M_T_BOOLEAN);
    ck_assert(r[13].v.b);
    ck_bytes(&r[14], LWM2M_T_STRING, "dev-1", 5);
    ck_bytes(&r[15], LWM2M_T_STRING, "t", 1);
    ck_bytes(&r[16], LWM2M_T_OPAQUE, "\xff", 1);
    ck_assert_int_eq(r[17].v.type, LWM2M_T_OBJLNK);
    ck_assert_uint_eq(r[17].v.lnk.obj, 1);
    ck_assert_uint_eq(r[17].v.lnk.inst, 2);
    ck_bytes(&r[18], LWM2M_T_OPAQUE, "", 0);
    /* object 21 v1.1: String secrets, Integer algorithms */
    ck_bytes(&r[19], LWM2M_T_STRING, "s3cr3t", 6);
    ck_assert_int_eq(r[20].v.type, LWM2M_T_INTEGER);
    ck_assert_int_eq(r[20].v.i, 10);
    ck_assert_int_eq(r[21].v.i, -10);
}
END_TEST

/* A Float resource takes integers as floats: none in objects 0/1/2/21, so
 * check the JSON forms on an unmodelled object instead. */
START_TEST(test_numbers)
{
    compile1(PLAN({
        "op" : "write",
        "path" : "/9000/1",
        "values" : {"0" : 9223372036854775807, "1" : -9223372036854775808, "2" : 1e300, "3" : -0.5, "4" : 0}
    },
                  FIN));
    ck_assert_int_eq(plan.recs[0].v.type, LWM2M_T_INTEGER);
    ck_assert_int_eq(plan.recs[0].v.i, INT64_MAX);
    ck_assert_int_eq(plan.recs[1].v.i, INT64_MIN);
    ck_assert_int_eq(plan.recs[2].v.type, LWM2M_T_FLOAT); /* integral but beyond int64 */
    ck_assert(plan.recs[2].v.f == 1e300);
    ck_assert_int_eq(plan.recs[3].v.type, LWM2M_T_FLOAT);
    ck_assert_int_eq(plan.recs[4].v.type, LWM2M_T_INTEGER);
}
END_TEST

/* ---- broken files: one message each --------------------------------------------- */

#define W0(...) PLAN({"op" : "write", "path" : "/0/slot:1", "values" : __VA_ARGS__}, FIN)
#define LOC0    "t.json: plans[0].operations[0]"

static const struct bad {
    const char *text, *err;
} bad_cases[] = {
    /* syntax (jansson), with line:column */
    {"", "t.json:1: '[' or '{' expected near end of file"},
    {"{\"plans\": [}", "t.json:1:12: unexpected token near '}'"},
    {"{\n  \"plans\": 1,\n  \"plans\": 2}", "t.json:3:9: duplicate object key near '\"plans\"'"},
    {"{\"plans\": [1,]}", "t.json:1:14: unexpected token near ']'"},
    {"{\"a\":\x01}", "t.json:1:6: invalid token near '\\x01'"},
    {"{\"plans\": []}\n\n  x", "t.json:3:3: end of file expected near 'x'"},
    {"{\"a\": 99999999999999999999}", "t.json:1:26: too big integer near '99999999999999999999'"},
    {"\xff", "t.json:1: unable to decode byte 0xff"},
    /* top level */
    {"[]", "t.json: the top level must be an object"},
    {"{}", "t.json: missing key \"plans\""},
    {J({"plans" : [], "plan" : 1}), "t.json: unknown key \"plan\""},
    {J({"plans" : []}), "t.json: plans: must be a non-empty array of plans"},
    {J({"plans" : {}}), "t.json: plans: must be a non-empty array of plans"},
    {J({"comment" : 1, "plans" : []}), "t.json: comment: must be a string"},
    {J({"plans" : [1]}), "t.json: plans[0]: must be an object"},
    /* plan keys */
    {J({
         "plans" :
             [ {"name" : "p", "match" : ["*"], "on_eror" : "stop", "operations" : [ {"op" : "finish"} ]} ]
     }),
     "t.json: plans[0]: unknown key \"on_eror\""},
    {J({"plans" : [ {"match" : ["*"], "operations" : [ {"op" : "finish"} ]} ]}),
     "t.json: plans[0]: missing key \"name\""},
    {J({"plans" : [ {"name" : 1, "match" : ["*"], "operations" : [ {"op" : "finish"} ]} ]}),
     "t.json: plans[0].name: must be a string"},
    {J({
         "plans" : [ {
             "name" : "0123456789012345678901234567890123456789012345678901234567890123",
             "match" : ["*"],
             "operations" : [ {"op" : "finish"} ]
         } ]
     }),
     "t.json: plans[0].name: must be 1..63 printable ASCII characters"},
    {J({"plans" : [ {"name" : "a\tb", "match" : ["*"], "operations" : [ {"op" : "finish"} ]} ]}),
     "t.json: plans[0].name: must be 1..63 printable ASCII characters"},
    {J({
         "plans" : [
             {"name" : "p", "match" : ["a*"], "operations" : [ {"op" : "finish"} ]},
             {"name" : "p", "match" : ["b*"], "operations" : [ {"op" : "finish"} ]}
         ]
     }),
     "t.json: plans[1].name: duplicate plan name \"p\" (also plans[0])"},
    {J({"plans" : [ {"name" : "p", "operations" : [ {"op" : "finish"} ]} ]}),
     "t.json: plans[0]: missing key \"match\""},
    {J({"plans" : [ {"name" : "p", "match" : [], "operations" : [ {"op" : "finish"} ]} ]}),
     "t.json: plans[0].match: must be a non-empty array of endpoint name globs"},
    {J({"plans" : [ {"name" : "p", "match" : "*", "operations" : [ {"op" : "finish"} ]} ]}),
     "t.json: plans[0].match: must be a non-empty array of endpoint name globs"},
    {J({"plans" : [ {"name" : "p", "match" : [ "a", "" ], "operations" : [ {"op" : "finish"} ]} ]}),
     "t.json: plans[0].match[1]: must be a glob of 1..255 bytes"},
    {J({
         "plans" : [
             {"name" : "p", "match" : ["*"], "on_error" : "abort", "operations" : [ {"op" : "finish"} ]}
         ]
     }),
     "t.json: plans[0].on_error: \"abort\" is not one of \"continue\", \"stop\""},
    {J({
         "plans" :
             [ {"name" : "p", "match" : ["*"], "format" : "json", "operations" : [ {"op" : "finish"} ]} ]
     }),
     "t.json: plans[0].format: \"json\" is not one of \"auto\", \"tlv\", \"senml-json\", \"senml-cbor\""},
    {J({"plans" : [ {"name" : "p", "match" : ["*"], "format" : 110, "operations" : [ {"op" : "finish"} ]} ]}),
     "t.json: plans[0].format: must be a string"},
    {J({
         "plans" :
             [ {"name" : "p", "match" : ["*"], "timeout" : 241, "operations" : [ {"op" : "finish"} ]} ]
     }),
     "t.json: plans[0].timeout: must be an integer 1..240"},
    {J({"plans" : [ {"name" : "p", "match" : ["*"], "timeout" : 0, "operations" : [ {"op" : "finish"} ]} ]}),
     "t.json: plans[0].timeout: must be an integer 1..240"},
    {J({
         "plans" :
             [ {"name" : "p", "match" : ["*"], "timeout" : "60", "operations" : [ {"op" : "finish"} ]} ]
     }),
     "t.json: plans[0].timeout: must be an integer 1..240"},
    {J({
         "plans" :
             [ {"name" : "p", "match" : ["*"], "timeout" : 1.5, "operations" : [ {"op" : "finish"} ]} ]
     }),
     "t.json: plans[0].timeout: must be an integer 1..240"},
    {J({"plans" : [ {"name" : "p", "match" : ["*"], "version" : -1, "operations" : [ {"op" : "finish"} ]} ]}),
     "t.json: plans[0].version: must be an integer 0..4294967295"},
    {J({"plans" : [ {"name" : "p", "match" : ["*"]} ]}), "t.json: plans[0]: missing key \"operations\""},
    {J({"plans" : [ {"name" : "p", "match" : ["*"], "operations" : []} ]}),
     "t.json: plans[0].operations: must be a non-empty array of operations"},
    /* operations */
    {PLAN({"op" : "discover"}), "t.json: plans[0].operations: the last operation must be \"finish\""},
    {PLAN({"op" : "finish"}, {"op" : "finish"}), LOC0 ": \"finish\" must be the last operation"},
    {PLAN(1, {"op" : "finish"}), LOC0 ": must be an object"},
    {PLAN({"path" : "/"}, FIN), LOC0 ": missing key \"op\""},
    {PLAN({"op" : "reboot"}, FIN),
     LOC0 ".op: unknown operation \"reboot\" (discover, read, delete, write, finish)"},
    {PLAN({"op" : "discover", "pth" : "/"}, FIN), LOC0 ": unknown key \"pth\""},
    {PLAN({"op" : "discover", "values" : {}}, FIN), LOC0 ": unknown key \"values\""},
    {PLAN({"op" : "finish", "path" : "/"}), LOC0 ": unknown key \"path\""},
    {PLAN({"op" : "delete"}, FIN), LOC0 ": missing key \"path\""},
    {PLAN({"op" : "delete", "path" : 0}, FIN), LOC0 ".path: must be a string"},
    {PLAN({"op" : "delete", "path" : "/0/x"}, FIN), LOC0 ".path: \"/0/x\" is not a path"},
    {PLAN({"op" : "delete", "path" : "/0/"}, FIN), LOC0 ".path: \"/0/\" is not a path"},
    {PLAN({"op" : "delete", "path" : "0/1"}, FIN), LOC0 ".path: \"0/1\" is not a path"},
    {PLAN({"op" : "delete", "path" : "/01"}, FIN), LOC0 ".path: \"/01\" is not a path"},
    {PLAN({"op" : "delete", "path" : "/65535"}, FIN), LOC0 ".path: \"/65535\" is not a path"},
    {PLAN({"op" : "delete", "path" : "/0\n"}, FIN), LOC0 ".path: \"/0\\x0a\" is not a path"},
    {PLAN({"op" : "delete", "path" : "/0/slot:"}, FIN), LOC0 ".path: \"/0/slot:\" is not a path"},
    {PLAN({"op" : "delete", "path" : "/slot:1"}, FIN), LOC0 ".path: \"/slot:1\" is not a path"},
    {PLAN({"op" : "delete", "path" : "/0/1/2/3/4"}, FIN), LOC0 ".path: \"/0/1/2/3/4\" is not a path"},
    {PLAN({"op" : "write", "path" : "/2/slot:1", "values" : {"0" : 1}}, FIN),
     LOC0 ".path: \"/2/slot:1\": slots are only for objects 0 and 1"},
    {PLAN({"op" : "delete", "path" : "/0/slot:0"}, FIN), LOC0 ".path: \"/0/slot:0\": slot numbers are 1..16"},
    {PLAN({"op" : "delete", "path" : "/0/slot:17"}, FIN),
     LOC0 ".path: \"/0/slot:17\": slot numbers are 1..16"},
    {PLAN({"op" : "delete", "path" : "/0/65280"}, FIN),
     LOC0 ".path: \"/0/65280\": instance IDs 65280..65295 are reserved for slots"},
    {PLAN({"op" : "discover", "path" : "/0/1"}, FIN),
     LOC0 ".path: discover takes \"/\" or \"/O\", not \"/0/1\""},
    {PLAN({"op" : "read", "path" : "/0"}, FIN),
     LOC0 ".path: read takes an object or instance of /1 or /2, not \"/0\""},
    {PLAN({"op" : "read", "path" : "/"}, FIN),
     LOC0 ".path: read takes an object or instance of /1 or /2, not \"/\""},
    {PLAN({"op" : "delete", "path" : "/0/slot:1/2"}, FIN),
     LOC0 ".path: delete takes \"/\", \"/O\" or \"/O/I\", not \"/0/slot:1/2\""},
    {PLAN({"op" : "write", "path" : "/0", "values" : {"0" : 1}}, FIN),
     LOC0 ".path: write takes \"/O/I\" or \"/O/I/R\", not \"/0\""},
    /* writes */
    {PLAN({"op" : "write", "path" : "/0/1"}, FIN), LOC0 ": missing key \"values\""},
    {W0({}), LOC0 ".values: must be an object of resource IDs and values"},
    {W0([1]), LOC0 ".values: must be an object of resource IDs and values"},
    {PLAN({"op" : "write", "path" : "/0/1", "value" : 1}, FIN),
     LOC0 ": \"value\" needs a resource path; use \"values\""},
    {PLAN({"op" : "write", "path" : "/0/1/16", "value" : 1}, FIN),
     LOC0 ": /0/1/16 is multiple-instance: use \"values\""},
    {PLAN({"op" : "write", "path" : "/0/1/3", "values" : [1]}, FIN),
     LOC0 ": /0/1/3 is single-instance: use \"value\""},
    {PLAN({"op" : "write", "path" : "/0/1/16", "values" : 1}, FIN),
     LOC0 ".values: must be an array or an object of resource instance IDs and values"},
    {PLAN({"op" : "write", "path" : "/0/1/16", "values" : [1], "value" : 1}, FIN),
     LOC0 ": a resource write takes \"value\" or \"values\""},
    {PLAN({"op" : "write", "path" : "/1/1/4", "value" : 1}, FIN),
     LOC0 ": /1/1/4 is executable, not writable"},
    {W0({"x" : 1}), LOC0 ".values: \"x\" is not a resource ID"},
    {W0({"010" : 1}), LOC0 ".values: \"010\" is not a resource ID"},
    {W0({"16" : {"0" : 1, "x" : 2}}), LOC0 ".values.16: \"x\" is not a resource instance ID"},
    {W0({"16" : []}), LOC0 ".values.16: no resource instances"},
    {W0({"16" : [[1]]}), LOC0 ".values.16[0]: an array is not a value here"},
    {W0({"16" : 49320}),
     LOC0 ".values.16: the resource is multiple-instance: give an array or {\"ID\": value}"},
    {W0({"0" : [ "a", "b" ]}), LOC0 ".values.0: the resource is single-instance, not a list"},
    {PLAN({"op" : "write", "path" : "/1/slot:1", "values" : {"4" : true}}, FIN),
     LOC0 ".values.4: the resource is executable, not writable"},
    /* Short Server IDs */
    {W0({"10" : 0}), LOC0 ".values.10: a Short Server ID is an integer 1..65534"},
    {PLAN({"op" : "write", "path" : "/1/slot:1", "values" : {"0" : 65535}}, FIN),
     LOC0 ".values.0: a Short Server ID is an integer 1..65534"},
    {PLAN({"op" : "write", "path" : "/1/0/0", "value" : -1}, FIN),
     LOC0 ".value: a Short Server ID is an integer 1..65534"},
    /* types against the model */
    {W0({"10" : "101"}), LOC0 ".values.10: the resource is Integer, not a string"},
    {W0({"0" : 5}), LOC0 ".values.0: the resource is String, not a number"},
    {W0({"1" : 1}), LOC0 ".values.1: the resource is Boolean, not a number"},
    {W0({"2" : true}), LOC0 ".values.2: the resource is Integer, not a boolean"},
    {W0({"2" : 1.5}), LOC0 ".values.2: the resource is Integer, not a fractional number"},
    {W0({"0" : {"hex" : "00"}}), LOC0 ".values.0.hex: the resource is String, not Opaque"},
    {W0({"2" : {"text" : "0"}}), LOC0 ".values.2.text: the resource is Integer, not text"},
    {W0({"3" : {"objlnk" : "1:1"}}), LOC0 ".values.3.objlnk: the resource is Opaque, not Objlnk"},
    {W0({"16" : [-1]}), LOC0 ".values.16[0]: the resource is Unsigned Integer, not negative"},
    {W0({"17" : "21"}), LOC0 ".values.17: \"21\" is not an object link (\"O:I\")"},
    {W0({"0" : null}), LOC0 ".values.0: null is not a value"},
    /* typed values */
    {W0({"5" : {"hex" : "abc"}}), LOC0 ".values.5.hex: odd number of hex digits"},
    {W0({"5" : {"hex" : "zz"}}), LOC0 ".values.5.hex: \"zz\" is not hex"},
    {W0({"5" : {"hex" : 12}}), LOC0 ".values.5.hex: must be a string"},
    {W0({"5" : {"base64" : "a==="}}), LOC0 ".values.5.base64: \"a===\" is not base64"},
    {W0({"5" : {"base64" : "AR=="}}), LOC0 ".values.5.base64: \"AR==\" is not base64"},
    {W0({"5" : {"base64" : "AQ-_"}}), LOC0 ".values.5.base64: \"AQ-_\" is not base64"},
    {W0({"17" : {"objlnk" : "21:65536"}}),
     LOC0 ".values.17.objlnk: \"21:65536\" is not an object link (\"O:I\", each 0..65535)"},
    {W0({"5" : {"hx" : "00"}}), LOC0 ".values.5: unknown key \"hx\" (hex, base64, text, objlnk)"},
    {W0({"5" : {"hex" : "00", "text" : "a"}}),
     LOC0 ".values.5: a typed value has exactly one key: \"hex\", \"base64\", \"text\" or \"objlnk\""},
    {W0({"3" : "${endpont}"}), LOC0 ".values.3: unknown variable in \"${endpont}\" (only ${endpoint})"},
    {W0({"0" : {"text" : "x${"}}), LOC0 ".values.0.text: unknown variable in \"x${\" (only ${endpoint})"},
};

START_TEST(test_bad)
{
    refused(bad_cases[_i].text, bad_cases[_i].err);
    /* BS_PLANFILE_ERR_MAX fits the message with a 100-byte file name */
    ck_assert_uint_lt(strlen(err) - strlen("t.json") + 100, BS_PLANFILE_ERR_MAX - 1);
}
END_TEST

/* Operator bytes in messages are escaped and cut. */
START_TEST(test_bad_quoting)
{
    refused(PLAN({"op" : "delete", "path" : "/\u00e9\"\\0123456789012345678901234567890123456789"}, FIN),
            LOC0 ".path: \"/\\xc3\\xa9\\\"\\\\01234567890123456789012345678901234...\" is not a path");
}
END_TEST

/* ---- bounds ---------------------------------------------------------------------- */

/* A growing text buffer for generated files. */
static char *gen;
static size_t genlen, gencap;

static void add(const char *s)
{
    size_t n = strlen(s);
    if (genlen + n + 1 > gencap) {
        gencap = (genlen + n + 1) * 2;
        gen = realloc(gen, gencap);
        ck_assert_ptr_nonnull(gen);
    }
    memcpy(gen + genlen, s, n + 1);
    genlen += n;
}

static void gen_reset(void)
{
    free(gen);
    gen = NULL;
    genlen = gencap = 0;
}

START_TEST(test_too_big)
{
    gen_reset();
    add("{\"plans\": [{\"name\": \"p\", \"match\": [\"*\"], \"operations\": [{\"op\": \"finish\"}]}]}");
    while (genlen <= BS_PLANFILE_FILE_MAX)
        add("                                                                ");
    refused(gen, "t.json: larger than 1048576 bytes");
    gen[BS_PLANFILE_FILE_MAX] = '\0'; /* exactly at the bound: fine */
    bs_planfile_free(parsed(gen));
    gen_reset();
}
END_TEST

static void gen_plans(size_t n)
{
    char b[160];
    gen_reset();
    add("{\"plans\": [");
    for (size_t i = 0; i < n; i++) {
        snprintf(b, sizeof b,
                 "%s{\"name\": \"p%zu\", \"match\": [\"e%zu\"], \"operations\": [{\"op\": \"finish\"}]}",
                 i ? "," : "", i, i);
        add(b);
    }
    add("]}");
}

START_TEST(test_too_many_plans)
{
    gen_plans(BS_PLANFILE_MAX_PLANS);
    bs_planfile_t *pf = parsed(gen);
    ck_assert_uint_eq(bs_planfile_count(pf), BS_PLANFILE_MAX_PLANS);
    ck_assert_str_eq(bs_planfile_plan_name(bs_planfile_match(pf, "e255")), "p255");
    bs_planfile_free(pf);
    gen_plans(BS_PLANFILE_MAX_PLANS + 1);
    refused(gen, "t.json: plans: more than 256 plans");
    gen_reset();
}
END_TEST

static void gen_ops(size_t n)
{
    gen_reset();
    add("{\"plans\": [{\"name\": \"p\", \"match\": [\"*\"], \"operations\": [");
    for (size_t i = 0; i + 1 < n; i++)
        add("{\"op\": \"discover\"},");
    add("{\"op\": \"finish\"}]}]}");
}

START_TEST(test_too_many_ops)
{
    gen_ops(BS_PLAN_MAX_OPS);
    bs_planfile_free(parsed(gen));
    gen_ops(BS_PLAN_MAX_OPS + 1);
    refused(gen, "t.json: plans[0].operations: more than 64 operations");
    gen_reset();
}
END_TEST

static void gen_recs(size_t n)
{
    gen_reset();
    add("{\"plans\": [{\"name\": \"p\", \"match\": [\"*\"], \"operations\": ["
        "{\"op\": \"write\", \"path\": \"/0/slot:1\", \"values\": {\"0\": \"u\", \"16\": [");
    for (size_t i = 1; i < n; i++)
        add(i > 1 ? ",1" : "1");
    add("]}}, {\"op\": \"finish\"}]}]}");
}

START_TEST(test_too_many_records)
{
    gen_recs(BS_PLAN_MAX_RECS);
    bs_planfile_t *pf = parsed(gen);
    ck_assert_int_eq(bs_planfile_compile(bs_planfile_plan_at(pf, 0), "x", &plan, err, sizeof err), 0);
    ck_assert_uint_eq(plan.nrecs, BS_PLAN_MAX_RECS);
    ck_assert_uint_eq(plan.recs[BS_PLAN_MAX_RECS - 1].path.rinst, BS_PLAN_MAX_RECS - 2);
    bs_planfile_free(pf);
    gen_recs(BS_PLAN_MAX_RECS + 1);
    refused(gen, "t.json: plans[0].operations[0].values.16[127]: the plan has more than 128 records");
    gen_reset();
}
END_TEST

/* A write with |n| hex bytes in /0/x/5 and |m| text bytes (|var| of them "${endpoint}") in /0/x/0. */
static void gen_bytes(size_t n, size_t m, int var)
{
    gen_reset();
    add("{\"plans\": [{\"name\": \"p\", \"match\": [\"*\"], \"operations\": ["
        "{\"op\": \"write\", \"path\": \"/0/slot:1\", \"values\": {\"5\": {\"hex\": \"");
    for (size_t i = 0; i < n; i++)
        add("ab");
    add("\"}, \"0\": \"");
    for (size_t i = 0; i < m;) {
        if (var) {
            add(BS_PLANFILE_VAR_ENDPOINT);
            i += strlen(BS_PLANFILE_VAR_ENDPOINT);
        } else {
            add("u");
            i++;
        }
    }
    add("\"}}, {\"op\": \"finish\"}]}]}");
}

START_TEST(test_too_many_bytes)
{
    gen_bytes(BS_PLAN_MAX_BYTES - 11, 11, 0);
    bs_planfile_free(parsed(gen));
    gen_bytes(BS_PLAN_MAX_BYTES - 10, 11, 0);
    refused(gen, "t.json: plans[0].operations[0].values.0: the plan's values exceed 16384 bytes");
    gen_bytes(BS_PLAN_MAX_BYTES + 1, 0, 0);
    refused(gen, "t.json: plans[0].operations[0].values.5.hex: the plan's values exceed 16384 bytes");
    gen_reset();
    add(W0({"5" : {"base64" : "AAAA"}, "4" : {"hex" : "00"}}));
    bs_planfile_free(parsed(gen));
    gen_reset();
}
END_TEST

/* Substitution past BS_PLAN_MAX_BYTES: LWM2M_ERR_LIMIT, |out| left zeroed. */
START_TEST(test_compile_overflow)
{
    /* 16384 - 1100 hex bytes + 100 x "${endpoint}" */
    gen_bytes(BS_PLAN_MAX_BYTES - 1100, 1100, 1);
    bs_planfile_t *pf = parsed(gen);
    const bs_planfile_plan_t *p = bs_planfile_plan_at(pf, 0);
    char ep[16];
    memset(ep, 'e', 11);
    ep[11] = '\0'; /* same length as the variable: exactly full */
    ck_assert_int_eq(bs_planfile_compile(p, ep, &plan, err, sizeof err), 0);
    ck_assert_uint_eq(plan.nbytes, BS_PLAN_MAX_BYTES);
    ck_assert_uint_eq(plan.recs[0].v.bytes.len, 1100);
    ep[11] = 'e';
    ep[12] = '\0';
    ck_assert_int_eq(bs_planfile_compile(p, ep, &plan, err, sizeof err), LWM2M_ERR_LIMIT);
    ck_assert_str_eq(err, "plan \"p\": the values for this endpoint exceed 16384 bytes");
    ck_assert_uint_eq(plan.nrecs, 0);
    ck_assert_uint_eq(plan.nops, 0);
    ck_assert_uint_eq(plan.nbytes, 0);
    /* a shorter endpoint shrinks the values */
    ck_assert_int_eq(bs_planfile_compile(p, "", &plan, err, sizeof err), 0);
    ck_assert_uint_eq(plan.recs[0].v.bytes.len, 0);
    ck_assert_uint_eq(plan.nbytes, BS_PLAN_MAX_BYTES - 1100);
    bs_planfile_free(pf);
    gen_reset();
}
END_TEST

START_TEST(test_compile_endpoint)
{
    bs_planfile_t *pf = parsed(W0({"0" : "${endpoint}", "5" : {"hex" : "247b656e64706f696e747d"}}));
    const bs_planfile_plan_t *p = bs_planfile_plan_at(pf, 0);
    ck_assert_int_eq(bs_planfile_compile(p, NULL, &plan, err, sizeof err), LWM2M_ERR_FORMAT);
    ck_assert_str_eq(err, "plan \"p\": no endpoint name");
    ck_assert_int_eq(bs_planfile_compile(p, "a\xff", &plan, err, sizeof err), LWM2M_ERR_FORMAT);
    ck_assert_str_eq(err, "plan \"p\": endpoint name is not UTF-8");
    ck_assert_int_eq(bs_planfile_compile(p, "urn:imei:490154203237518", &plan, NULL, 0), 0);
    ck_bytes(&plan.recs[0], LWM2M_T_STRING, "urn:imei:490154203237518", 24);
    ck_bytes(&plan.recs[1], LWM2M_T_OPAQUE, "${endpoint}", 11); /* hex bytes are never substituted */
    /* deterministic: the same input gives the same bytes, padding included */
    static bs_plan_t again;
    ck_assert_int_eq(bs_planfile_compile(p, "urn:imei:490154203237518", &again, NULL, 0), 0);
    ck_assert_mem_eq(plan.bytes, again.bytes, sizeof plan.bytes);
    ck_assert_mem_eq(plan.ops, again.ops, sizeof plan.ops);
    bs_planfile_free(pf);
}
END_TEST

/* ---- matching ------------------------------------------------------------------- */

START_TEST(test_match_order)
{
    bs_planfile_t *pf = parsed(J({
        "plans" : [
            {"name" : "exact", "match" : ["sensor-42"], "operations" : [ {"op" : "finish"} ]},
            {"name" : "sensors", "match" : [ "sensor-*", "probe-?" ], "operations" : [ {"op" : "finish"} ]},
            {"name" : "imei", "match" : ["urn:imei:[0-9]*"], "operations" : [ {"op" : "finish"} ]},
            {"name" : "also-sensors", "match" : ["sensor-4*"], "operations" : [ {"op" : "finish"} ]},
            {"name" : "rest", "match" : ["*"], "operations" : [ {"op" : "finish"} ]}
        ]
    }));
    static const struct {
        const char *ep, *plan;
    } cases[] = {
        {"sensor-42", "exact"},    {"sensor-43", "sensors"},
        {"sensor-4", "sensors"},   {"probe-1", "sensors"},
        {"probe-12", "rest"},      {"sensor", "rest"},
        {"urn:imei:1234", "imei"}, {"urn:imei:x", "rest"},
        {"a/b", "rest"},           {"", "rest"},
        {"SENSOR-42", "rest"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const bs_planfile_plan_t *p = bs_planfile_match(pf, cases[i].ep);
        ck_assert_ptr_nonnull(p);
        ck_assert_msg(strcmp(bs_planfile_plan_name(p), cases[i].plan) == 0, "%s -> %s, want %s", cases[i].ep,
                      bs_planfile_plan_name(p), cases[i].plan);
    }
    ck_assert_ptr_null(bs_planfile_match(pf, NULL));
    bs_planfile_free(pf);

    pf = parsed(J({"plans" : [ {"name" : "a", "match" : ["a*"], "operations" : [ {"op" : "finish"} ]} ]}));
    ck_assert_ptr_null(bs_planfile_match(pf, "b"));
    bs_planfile_free(pf);
}
END_TEST

/* ---- files ---------------------------------------------------------------------- */

START_TEST(test_load_errors)
{
    char dir[] = "/tmp/test_bs_planfileXXXXXX", path[64];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/none.json", dir);
    ck_assert_ptr_null(bs_planfile_load(path, err, sizeof err));
    char want[160];
    snprintf(want, sizeof want, "%s: cannot open: No such file or directory", path);
    ck_assert_str_eq(err, want);

    ck_assert_ptr_null(bs_planfile_load(dir, err, sizeof err));
    snprintf(want, sizeof want, "%s: not a regular file", dir);
    ck_assert_str_eq(err, want);

    snprintf(path, sizeof path, "%s/p.json", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("{\"plans\": [{\"name\": \"p\", \"match\": [\"*\"],\n \"operations\": [{\"op\": \"finish\"}]}]}\n",
          f);
    fclose(f);
    bs_planfile_t *pf = bs_planfile_load(path, err, sizeof err);
    ck_assert_msg(pf != NULL, "%s", err);
    bs_planfile_free(pf);

    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    for (size_t i = 0; i <= BS_PLANFILE_FILE_MAX; i += 8)
        fputs("        ", f);
    fclose(f);
    ck_assert_ptr_null(bs_planfile_load(path, err, sizeof err));
    snprintf(want, sizeof want, "%s: larger than 1048576 bytes", path);
    ck_assert_str_eq(err, want);

    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs("{\n  \"plans\": [\n    {\"name\": \"p\" \"match\": []}\n  ]\n}\n", f);
    fclose(f);
    ck_assert_ptr_null(bs_planfile_load(path, err, sizeof err));
    snprintf(want, sizeof want, "%s:3:24: '}' expected near '\"match\"'", path);
    ck_assert_str_eq(err, want);
    unlink(path);
    rmdir(dir);

    /* a short error buffer truncates, never overflows */
    char small[8];
    ck_assert_ptr_null(bs_planfile_parse("t.json", "[]", 2, small, sizeof small));
    ck_assert_str_eq(small, "t.json:");
    ck_assert_ptr_null(bs_planfile_parse("t.json", "[]", 2, NULL, 0));
    bs_planfile_free(NULL);
}
END_TEST

static Suite *planfile_suite(void)
{
    Suite *s = suite_create("bs_planfile");
    TCase *tc = tcase_create("good");
    tcase_add_test(tc, test_example);
    tcase_add_test(tc, test_plan_options);
    tcase_add_test(tc, test_paths_and_slots);
    tcase_add_test(tc, test_sorting_and_instances);
    tcase_add_test(tc, test_value_types);
    tcase_add_test(tc, test_numbers);
    suite_add_tcase(s, tc);

    tc = tcase_create("bad");
    tcase_add_loop_test(tc, test_bad, 0, (int)(sizeof bad_cases / sizeof bad_cases[0]));
    tcase_add_test(tc, test_bad_quoting);
    suite_add_tcase(s, tc);

    tc = tcase_create("limits");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_too_big);
    tcase_add_test(tc, test_too_many_plans);
    tcase_add_test(tc, test_too_many_ops);
    tcase_add_test(tc, test_too_many_records);
    tcase_add_test(tc, test_too_many_bytes);
    tcase_add_test(tc, test_compile_overflow);
    tcase_add_test(tc, test_compile_endpoint);
    suite_add_tcase(s, tc);

    tc = tcase_create("match");
    tcase_add_test(tc, test_match_order);
    tcase_add_test(tc, test_load_errors);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(planfile_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
