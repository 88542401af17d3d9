/*
 * test_api_parse.c — unit tests for the REST admin API's pure request
 * handling: percent-decoding (RFC 3986 §2.1), request targets, route
 * patterns and routing (404/405 and the Allow list), roles, bearer
 * credentials (RFC 6750 §2.1), media types, RFC 3339 times (§5.6),
 * integers, and JSON bodies with line/column errors.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bsd/api/api_int.h"
#include "bsd/api/api_parse.h"

static char msg[API_MSG_MAX];

START_TEST(test_url_decode)
{
    char out[64];
    ck_assert_int_eq(api_url_decode("a%2Fb%20c", 9, false, out, sizeof out), 5);
    ck_assert_str_eq(out, "a/b c");
    ck_assert_int_eq(api_url_decode("a+b", 3, true, out, sizeof out), 3);
    ck_assert_str_eq(out, "a b");
    ck_assert_int_eq(api_url_decode("a+b", 3, false, out, sizeof out), 3);
    ck_assert_str_eq(out, "a+b");
    ck_assert_int_eq(api_url_decode("%e2%82%ac", 9, false, out, sizeof out), 3); /* UTF-8 euro sign */
    ck_assert_int_eq(api_url_decode("%4a%4A", 6, false, out, sizeof out), 2);
    ck_assert_str_eq(out, "JJ");
    ck_assert_int_eq(api_url_decode("%", 1, false, out, sizeof out), -EINVAL);
    ck_assert_int_eq(api_url_decode("%4", 2, false, out, sizeof out), -EINVAL);
    ck_assert_int_eq(api_url_decode("%zz", 3, false, out, sizeof out), -EINVAL);
    ck_assert_int_eq(api_url_decode("a%00b", 5, false, out, sizeof out), -EINVAL); /* no NUL smuggling */
    ck_assert_int_eq(api_url_decode("abcd", 4, false, out, 4), -ENOSPC);
    ck_assert_int_eq(api_url_decode("", 0, false, out, 1), 0);
}
END_TEST

START_TEST(test_target)
{
    api_target_t t;
    ck_assert_int_eq(
        api_target_parse("/api/v1/devices/urn%3Aimei%2F1?limit=5&label=a%3Db+c&flag", &t, msg, sizeof msg),
        0);
    ck_assert_uint_eq(t.nseg, 4);
    ck_assert_str_eq(t.seg[3], "urn:imei/1"); /* an encoded '/' stays in its segment */
    ck_assert_uint_eq(t.nquery, 3);
    ck_assert_str_eq(api_target_query(&t, "limit"), "5");
    ck_assert_str_eq(api_target_query(&t, "label"), "a=b c");
    ck_assert_str_eq(api_target_query(&t, "flag"), "");
    ck_assert_ptr_null(api_target_query(&t, "cursor"));
    api_target_free(&t);

    ck_assert_int_eq(api_target_parse("/", &t, msg, sizeof msg), 0);
    ck_assert_uint_eq(t.nseg, 0);
    api_target_free(&t);
    ck_assert_int_eq(api_target_parse("/a/", &t, msg, sizeof msg), 0);
    ck_assert_uint_eq(t.nseg, 2);
    ck_assert_str_eq(t.seg[1], "");
    api_target_free(&t);
    ck_assert_int_eq(api_target_parse("/a?&&x=1&", &t, msg, sizeof msg), 0);
    ck_assert_uint_eq(t.nquery, 1);
    api_target_free(&t);

    static const struct {
        const char *uri, *want;
    } bad[] = {
        {"", "The request target must be a path starting with '/'."},
        {"http://x/", "The request target must be a path starting with '/'."},
        {"/a#b", "The request target must not contain a fragment ('#')."},
        {"/a%zz", "The path has a malformed percent-escape or an encoded NUL."},
        {"/a?x=%00", "The query has a malformed percent-escape or an encoded NUL."},
        {"/a?=1", "The query has a parameter without a name."},
        {"/a?x=1&x=2", "Query parameter 'x' is given more than once."},
        {"/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16/17", "The path has more than 16 segments."},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_int_eq(api_target_parse(bad[i].uri, &t, msg, sizeof msg), -EINVAL);
        ck_assert_str_eq(msg, bad[i].want);
        ck_assert_ptr_null(t.arena);
    }
    char many[512] = "/a?";
    for (int i = 0; i < API_QUERY_MAX + 1; i++)
        snprintf(many + strlen(many), sizeof many - strlen(many), "p%d=1&", i);
    ck_assert_int_eq(api_target_parse(many, &t, msg, sizeof msg), -EINVAL);
    ck_assert_str_eq(msg, "The query has more than 32 parameters.");
    char *huge = malloc(API_TARGET_MAX + 2);
    memset(huge, 'a', API_TARGET_MAX + 1);
    huge[0] = '/';
    huge[API_TARGET_MAX + 1] = 0;
    ck_assert_int_eq(api_target_parse(huge, &t, msg, sizeof msg), -EINVAL);
    free(huge);
}
END_TEST

/* Parses |uri| and matches it against |pattern|. */
static bool match(const char *pattern, const char *uri, api_kv_t *p, size_t *np)
{
    api_target_t t;
    ck_assert_int_eq(api_target_parse(uri, &t, msg, sizeof msg), 0);
    static api_target_t keep; /* the values point into the arena: keep the last one alive */
    api_target_free(&keep);
    bool r = api_pattern_match(pattern, &t, p, np);
    keep = t;
    return r;
}

START_TEST(test_pattern)
{
    api_kv_t p[API_PARAMS_MAX];
    size_t n;
    ck_assert(match("/api/v1/sessions", "/api/v1/sessions", p, &n));
    ck_assert_uint_eq(n, 0);
    ck_assert(match("/api/v1/sessions/{id}", "/api/v1/sessions/42", p, &n));
    ck_assert_uint_eq(n, 1);
    ck_assert_uint_eq(p[0].nlen, 2);
    ck_assert(memcmp(p[0].name, "id", 2) == 0);
    ck_assert_str_eq(p[0].value, "42");
    ck_assert(match("/api/v1/devices/{endpoint}", "/api/v1/devices/a%2Fb", p, &n));
    ck_assert_str_eq(p[0].value, "a/b");
    ck_assert(match("/api/v1/%73essions", "/api/v1/sessions", p, &n) == false); /* patterns are literal */
    ck_assert(match("/api/v1/sessions", "/api/v1/%73essions", p, &n));          /* targets are decoded */
    ck_assert(!match("/api/v1/sessions/{id}", "/api/v1/sessions/", p, &n));     /* empty parameter */
    ck_assert(!match("/api/v1/sessions/{id}", "/api/v1/sessions", p, &n));
    ck_assert(!match("/api/v1/sessions", "/api/v1/sessions/", p, &n));
    ck_assert(!match("/api/v1/sessions", "/api/v1/sessions/1", p, &n));
    ck_assert(!match("/healthz", "/", p, &n));
    ck_assert(match("/a/{x}/b/{y}", "/a/1/b/2", p, &n));
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(p[1].value, "2");
    api_target_t t = {0};
    ck_assert(!api_pattern_match("relative", &t, p, &n));
    ck_assert(api_name_in_list("limit", 5, "endpoint,limit,cursor"));
    ck_assert(!api_name_in_list("lim", 3, "endpoint,limit,cursor"));
    ck_assert(!api_name_in_list("limit", 5, NULL));
}
END_TEST

static int h_ok(api_req_t *req, api_resp_t *resp)
{
    return 0;
}

static const api_route_t t_routes[] = {
    {.method = "GET",
     .pattern = "/api/v1/things",
     .role = API_ROLE_VIEWER,
     .handler = h_ok,
     .query = "limit"},
    {.method = "POST", .pattern = "/api/v1/things", .role = API_ROLE_OPERATOR, .handler = h_ok},
    {.method = "GET", .pattern = "/api/v1/things/{id}", .role = API_ROLE_VIEWER, .handler = h_ok},
    {.method = "DELETE", .pattern = "/api/v1/things/{id}", .role = API_ROLE_ADMIN, .handler = h_ok},
    {.method = "GET",
     .pattern = "/metrics",
     .role = API_ROLE_VIEWER,
     .handler = h_ok,
     .flags = API_F_METRICS},
    {.method = "GET", .pattern = "/healthz", .role = API_ROLE_PUBLIC, .handler = h_ok},
    API_ROUTES_END,
};
static const api_route_t *const t_tables[] = {t_routes, NULL};

START_TEST(test_route_find)
{
    api_target_t t;
    api_kv_t p[API_PARAMS_MAX];
    size_t n;
    bool known;
    char allow[API_ALLOW_MAX];
    ck_assert_int_eq(api_target_parse("/api/v1/things/7?x=1", &t, msg, sizeof msg), 0);
    const api_route_t *r = api_route_find(t_tables, "GET", &t, p, &n, &known, allow, sizeof allow);
    ck_assert_ptr_eq(r, &t_routes[2]);
    ck_assert_str_eq(p[0].value, "7");
    ck_assert_str_eq(api_route_bad_query(r, &t), "x");
    ck_assert_ptr_eq(api_route_find(t_tables, "HEAD", &t, p, &n, &known, allow, sizeof allow), &t_routes[2]);
    ck_assert_ptr_null(api_route_find(t_tables, "PUT", &t, p, &n, &known, allow, sizeof allow));
    ck_assert(known);
    ck_assert_str_eq(allow, "GET, HEAD, DELETE");
    api_target_free(&t);

    ck_assert_int_eq(api_target_parse("/api/v1/things?limit=2", &t, msg, sizeof msg), 0);
    r = api_route_find(t_tables, "POST", &t, p, &n, &known, allow, sizeof allow);
    ck_assert_ptr_eq(r, &t_routes[1]);
    ck_assert_str_eq(api_route_bad_query(r, &t), "limit"); /* POST takes no query */
    ck_assert_ptr_null(api_route_bad_query(&t_routes[0], &t));
    api_target_free(&t);

    ck_assert_int_eq(api_target_parse("/api/v1/nothing", &t, msg, sizeof msg), 0);
    ck_assert_ptr_null(api_route_find(t_tables, "GET", &t, p, &n, &known, allow, sizeof allow));
    ck_assert(!known);
    ck_assert_str_eq(allow, "");
    api_target_free(&t);
}
END_TEST

START_TEST(test_roles)
{
    const api_route_t *get = &t_routes[0], *post = &t_routes[1], *del = &t_routes[3], *met = &t_routes[4],
                      *pub = &t_routes[5];
    ck_assert(api_role_allows(pub, DB_ROLE_NONE));
    ck_assert(!api_role_allows(get, DB_ROLE_NONE));
    ck_assert(api_role_allows(get, DB_ROLE_VIEWER));
    ck_assert(api_role_allows(get, DB_ROLE_ADMIN));
    ck_assert(!api_role_allows(post, DB_ROLE_VIEWER));
    ck_assert(api_role_allows(post, DB_ROLE_OPERATOR));
    ck_assert(!api_role_allows(del, DB_ROLE_OPERATOR));
    ck_assert(api_role_allows(del, DB_ROLE_ADMIN));
    ck_assert(!api_role_allows(get, DB_ROLE_METRICS)); /* metrics reads /metrics only */
    ck_assert(api_role_allows(met, DB_ROLE_METRICS));
    ck_assert(api_role_allows(met, DB_ROLE_VIEWER));
    ck_assert(api_role_allows(pub, DB_ROLE_METRICS));
}
END_TEST

START_TEST(test_bearer)
{
    const char *tok;
    size_t len;
    ck_assert_int_eq(api_bearer_parse("Bearer abc.DEF-_~+/==", &tok, &len), 0);
    ck_assert_uint_eq(len, 14);
    ck_assert(strncmp(tok, "abc.DEF-_~+/==", len) == 0);
    ck_assert_int_eq(api_bearer_parse("bEaReR \t tok  ", &tok, &len), 0);
    ck_assert_uint_eq(len, 3);
    ck_assert_int_eq(api_bearer_parse(NULL, &tok, &len), -ENOENT);
    ck_assert_int_eq(api_bearer_parse("", &tok, &len), -ENOENT);
    ck_assert_int_eq(api_bearer_parse("Basic dXNlcjpwdw==", &tok, &len), -EINVAL);
    ck_assert_int_eq(api_bearer_parse("Bearer", &tok, &len), -EINVAL);
    ck_assert_int_eq(api_bearer_parse("Bearer ", &tok, &len), -EINVAL);
    ck_assert_int_eq(api_bearer_parse("Bearertok", &tok, &len), -EINVAL);
    ck_assert_int_eq(api_bearer_parse("Bearer a b", &tok, &len), -EINVAL);
    ck_assert_int_eq(api_bearer_parse("Bearer a=b", &tok, &len), -EINVAL);
    ck_assert_int_eq(api_bearer_parse("Bearer a\"", &tok, &len), -EINVAL);
}
END_TEST

START_TEST(test_media_type)
{
    ck_assert(api_media_type_in("application/json", "application/json"));
    ck_assert(api_media_type_in("Application/JSON; charset=utf-8", "application/json"));
    ck_assert(api_media_type_in(" text/csv ;header=present", "application/json,text/csv"));
    ck_assert(!api_media_type_in("application/jsonx", "application/json"));
    ck_assert(!api_media_type_in("application/json x", "application/json"));
    ck_assert(!api_media_type_in("text/plain", "application/json"));
    ck_assert(!api_media_type_in(NULL, "application/json"));
    ck_assert(!api_media_type_in("", "application/json"));
}
END_TEST

START_TEST(test_rfc3339)
{
    static const char *const good[] = {"2026-11-27T21:10:00Z",     "2026-11-27t21:10:00z",
                                       "2026-11-27 21:10:00Z",     "2026-11-27T21:10:00.123456789+01:00",
                                       "1985-04-12T23:20:50.52Z",  "1990-12-31T23:59:60Z",
                                       "1996-12-19T16:39:57-08:00"};
    static const char *const bad[] = {"2026-11-27",
                                      "2026-13-01T00:00:00Z",
                                      "2026-00-01T00:00:00Z",
                                      "2026-11-32T00:00:00Z",
                                      "2026-11-27T24:00:00Z",
                                      "2026-11-27T21:60:00Z",
                                      "2026-11-27T21:10:00",
                                      "2026-11-27T21:10:00.Z",
                                      "2026-11-27T21:10:00+1:00",
                                      "2026-11-27T21:10:00+01:60",
                                      "2026-11-27T21:10:00Zx",
                                      "yesterday",
                                      "",
                                      "26-11-27T21:10:00Z"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        ck_assert_msg(api_rfc3339_ok(good[i]), "%s", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(!api_rfc3339_ok(bad[i]), "%s", bad[i]);
    ck_assert(!api_rfc3339_ok(NULL));
}
END_TEST

START_TEST(test_u64)
{
    uint64_t v;
    ck_assert_int_eq(api_parse_u64("100", 1, 1000, &v), 0);
    ck_assert_uint_eq(v, 100);
    ck_assert_int_eq(api_parse_u64("0", 1, 1000, &v), -EINVAL);
    ck_assert_int_eq(api_parse_u64("1001", 1, 1000, &v), -EINVAL);
    ck_assert_int_eq(api_parse_u64("-1", 0, 1000, &v), -EINVAL);
    ck_assert_int_eq(api_parse_u64("+1", 0, 1000, &v), -EINVAL);
    ck_assert_int_eq(api_parse_u64("1 ", 0, 1000, &v), -EINVAL);
    ck_assert_int_eq(api_parse_u64("", 0, 1000, &v), -EINVAL);
    ck_assert_int_eq(api_parse_u64("99999999999999999999", 0, UINT64_MAX, &v), -EINVAL);
    ck_assert_int_eq(api_parse_u64(NULL, 0, 1, &v), -EINVAL);
}
END_TEST

START_TEST(test_json)
{
    json_t *j;
    api_json_error_t e;
    ck_assert_int_eq(api_json_parse("{\"a\": [1, 2]}", 13, &j, &e), 0);
    ck_assert(json_is_object(j));
    json_decref(j);
    const char *body = "{\n  \"name\": \"x\",\n  \"role\": }";
    ck_assert_int_eq(api_json_parse(body, strlen(body), &j, &e), -EINVAL);
    ck_assert_ptr_null(j);
    ck_assert_int_eq(e.line, 3);
    ck_assert_int_eq(e.column, 11);
    ck_assert_ptr_nonnull(strstr(e.text, "at line 3, column 11"));
    ck_assert_int_eq(api_json_parse("{\"a\":1,\"a\":2}", 13, &j, &e), -EINVAL); /* duplicate key */
    ck_assert_ptr_nonnull(strstr(e.text, "duplicate"));
    ck_assert_int_eq(api_json_parse("{} x", 4, &j, &e), -EINVAL); /* trailing data */
    ck_assert_int_eq(api_json_parse("", 0, &j, &e), -EINVAL);
    ck_assert_str_eq(e.text, "The request body is empty; a JSON value is expected.");
    ck_assert_int_eq(api_json_parse("\"a\\u0000b\"", 10, &j, &e), -EINVAL); /* NUL refused */
}
END_TEST

static Suite *api_parse_suite(void)
{
    Suite *s = suite_create("api_parse");
    TCase *tc = tcase_create("parse");
    tcase_add_test(tc, test_url_decode);
    tcase_add_test(tc, test_target);
    tcase_add_test(tc, test_pattern);
    tcase_add_test(tc, test_route_find);
    tcase_add_test(tc, test_roles);
    tcase_add_test(tc, test_bearer);
    tcase_add_test(tc, test_media_type);
    tcase_add_test(tc, test_rfc3339);
    tcase_add_test(tc, test_u64);
    tcase_add_test(tc, test_json);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(api_parse_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
