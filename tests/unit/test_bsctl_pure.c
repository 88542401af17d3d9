/*
 * test_bsctl_pure.c — unit tests for bsctl's pure parts: the API settings
 * (config file, precedence, URL and token checks, config file modes;
 * tools/bsctl/bsctl_settings.c) and the table output
 * (tools/bsctl/bsctl_table.c).
 */
#include "tools/bsctl/bsctl_settings.h"
#include "tools/bsctl/bsctl_table.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static bsctl_conf_t conf;
static char err[BSCTL_ERR_MAX];

static int parse(const char *text)
{
    return bsctl_conf_parse("/etc/bsd/bsctl.conf", text, strlen(text), "/home/op", &conf, err, sizeof err);
}

/* ---- config file ------------------------------------------------------------------- */

START_TEST(conf_all_keys)
{
    ck_assert_int_eq(parse("# comment\n"
                           "server = https://bsd.example:8443/\n"
                           "token_file = ~/.config/bsctl/token   # the token\n"
                           "cacert = \"ca dir/ca.crt\"\n"),
                     0);
    ck_assert_str_eq(conf.server, "https://bsd.example:8443");
    ck_assert_str_eq(conf.token_file, "/home/op/.config/bsctl/token");
    ck_assert_str_eq(conf.cacert, "/etc/bsd/ca dir/ca.crt"); /* relative to the file's directory */
    ck_assert_str_eq(conf.token, "");
}
END_TEST

START_TEST(conf_inline_token)
{
    ck_assert_int_eq(parse("token = bsd_abc\r\nserver=http://127.0.0.1:8080\n"), 0);
    ck_assert_str_eq(conf.token, "bsd_abc");
    ck_assert_str_eq(conf.server, "http://127.0.0.1:8080");
}
END_TEST

START_TEST(conf_errors_name_line_and_column)
{
    ck_assert_int_eq(parse("server = https://a\n  colour = red\n"), -EINVAL);
    ck_assert_str_eq(err,
                     "/etc/bsd/bsctl.conf:2:3: unknown key 'colour' (server, token, token_file, cacert)");
    ck_assert_int_eq(parse("server = https://a\nserver = https://b\n"), -EINVAL);
    ck_assert_str_eq(err, "/etc/bsd/bsctl.conf:2:1: server set twice (first on line 1)");
    ck_assert_int_eq(parse("token = x\ntoken_file = /t\n"), -EINVAL);
    ck_assert_str_eq(err,
                     "/etc/bsd/bsctl.conf:2:1: token and token_file exclude each other (token on line 1)");
    ck_assert_int_eq(parse("server https://a\n"), -EINVAL);
    ck_assert_str_eq(err, "/etc/bsd/bsctl.conf:1:8: expected '=' after the key");
    ck_assert_int_eq(parse("server = ftp://a\n"), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "bsctl.conf:1:10: server URL must start with https://"));
    ck_assert_int_eq(parse("token = \"a b\"\n"), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "bsctl.conf:1:9: the token holds a blank"));
    ck_assert_str_eq(conf.token, ""); /* wiped */
    ck_assert_int_eq(parse("server = \"https://a\n"), -EINVAL);
    ck_assert_int_eq(parse("cacert =\n"), -EINVAL);
}
END_TEST

START_TEST(conf_never_echoes_the_token)
{
    ck_assert_int_eq(parse("token = bsd_secret\x01zz\n"), -EINVAL);
    ck_assert_ptr_null(strstr(err, "bsd_secret"));
}
END_TEST

START_TEST(conf_mode)
{
    ck_assert_int_eq(bsctl_conf_mode_check("c", 0100600, true, err, sizeof err), 0);
    ck_assert_int_eq(bsctl_conf_mode_check("c", 0100644, false, err, sizeof err), 0);
    ck_assert_int_eq(bsctl_conf_mode_check("c", 0100640, true, err, sizeof err), -EPERM);
    ck_assert_ptr_nonnull(strstr(err, "c: holds a token but group or others may read it (mode 0640)"));
    ck_assert_int_eq(bsctl_conf_mode_check("c", 0100604, true, err, sizeof err), -EPERM);
    ck_assert_int_eq(bsctl_conf_mode_check("c", 0100620, false, err, sizeof err), -EPERM);
    ck_assert_ptr_nonnull(strstr(err, "group or others may write it"));
    ck_assert_int_eq(bsctl_conf_mode_check("c", 0100602, false, err, sizeof err), -EPERM);
}
END_TEST

/* ---- choosing the file ---------------------------------------------------------------- */

static const char *existing;
static bool fake_exists(const char *path)
{
    return existing && strcmp(path, existing) == 0;
}

START_TEST(pick_order)
{
    char out[BSCTL_PATH_MAX];
    bool req;
    existing = NULL;
    ck_assert_int_eq(bsctl_conf_pick("/a", "/b", "/home/op", fake_exists, out, sizeof out, &req), 1);
    ck_assert_str_eq(out, "/a");
    ck_assert(req);
    ck_assert_int_eq(bsctl_conf_pick(NULL, "/b", "/home/op", fake_exists, out, sizeof out, &req), 1);
    ck_assert_str_eq(out, "/b");
    ck_assert(req);
    ck_assert_int_eq(bsctl_conf_pick(NULL, "", "/home/op", fake_exists, out, sizeof out, &req), 0);
    ck_assert(!req);
    existing = "/etc/bsd/bsctl.conf";
    ck_assert_int_eq(bsctl_conf_pick(NULL, NULL, "/home/op", fake_exists, out, sizeof out, &req), 1);
    ck_assert_str_eq(out, "/etc/bsd/bsctl.conf");
    existing = "/home/op/.config/bsctl/config";
    ck_assert_int_eq(bsctl_conf_pick(NULL, NULL, "/home/op", fake_exists, out, sizeof out, &req), 1);
    ck_assert_str_eq(out, "/home/op/.config/bsctl/config");
    ck_assert(!req);
    ck_assert_int_eq(bsctl_conf_pick(NULL, NULL, NULL, fake_exists, out, sizeof out, &req), 0);
}
END_TEST

/* ---- precedence ------------------------------------------------------------------------- */

START_TEST(resolve_precedence)
{
    ck_assert_int_eq(parse("server = https://conf\ntoken = tconf\ncacert = /c\n"), 0);
    bsctl_settings_in_t in = {.conf = &conf};
    bsctl_settings_t s;
    bsctl_settings_resolve(&in, &s);
    ck_assert_str_eq(s.server, "https://conf");
    ck_assert_int_eq(s.server_src, BSCTL_SRC_CONF);
    ck_assert_str_eq(s.token, "tconf");
    ck_assert_ptr_null(s.token_file);
    ck_assert_str_eq(s.cacert, "/c");

    in.env_url = "https://env";
    in.env_token = "tenv";
    bsctl_settings_resolve(&in, &s);
    ck_assert_str_eq(s.server, "https://env");
    ck_assert_int_eq(s.server_src, BSCTL_SRC_ENV);
    ck_assert_str_eq(s.token, "tenv");
    ck_assert_int_eq(s.token_src, BSCTL_SRC_ENV);
    ck_assert_str_eq(s.cacert, "/c"); /* each setting on its own */

    in.server = "https://flag";
    in.token_file = "/tok";
    in.env_cacert = "";
    bsctl_settings_resolve(&in, &s);
    ck_assert_str_eq(s.server, "https://flag");
    ck_assert_int_eq(s.server_src, BSCTL_SRC_FLAG);
    ck_assert_ptr_null(s.token);
    ck_assert_str_eq(s.token_file, "/tok"); /* --token-file beats BSD_API_TOKEN */
    ck_assert_int_eq(s.token_src, BSCTL_SRC_FLAG);

    bsctl_settings_in_t none = {0};
    bsctl_settings_resolve(&none, &s);
    ck_assert_ptr_null(s.server);
    ck_assert_ptr_null(s.token);
    ck_assert_ptr_null(s.token_file);
    ck_assert_ptr_null(s.cacert);
}
END_TEST

START_TEST(resolve_token_file_from_conf)
{
    ck_assert_int_eq(parse("token_file = tok\n"), 0);
    bsctl_settings_in_t in = {.conf = &conf};
    bsctl_settings_t s;
    bsctl_settings_resolve(&in, &s);
    ck_assert_ptr_null(s.token);
    ck_assert_str_eq(s.token_file, "/etc/bsd/tok");
    ck_assert_int_eq(s.token_src, BSCTL_SRC_CONF);
}
END_TEST

/* ---- URL and token checks ----------------------------------------------------------------- */

START_TEST(server_urls)
{
    char out[BSCTL_URL_MAX];
    static const char *const good[][2] = {
        {"https://bsd.example", "https://bsd.example"},
        {"https://bsd.example:8443//", "https://bsd.example:8443"},
        {"HTTPS://[2001:db8::1]:8443/base/", "HTTPS://[2001:db8::1]:8443/base"},
        {"http://127.0.0.1:8080", "http://127.0.0.1:8080"},
        {"http://127.5.6.7", "http://127.5.6.7"},
        {"http://localhost:1", "http://localhost:1"},
        {"http://[::1]:8080/", "http://[::1]:8080"},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        ck_assert_msg(bsctl_server_check(good[i][0], out, sizeof out, err, sizeof err) == 0, "%s: %s",
                      good[i][0], err);
        ck_assert_str_eq(out, good[i][1]);
    }
    static const char *const bad[] = {
        "bsd.example",      "ftp://x",          "https://",
        "https://:8443",    "https://u:p@host", "https://h:0",
        "https://h:65536",  "https://h:x",      "https://h/?a=b",
        "https://h#f",      "https://h /",      "http://192.0.2.1:8080",
        "http://128.0.0.1", "http://[::2]:80",  "http://127.0.0.1.example",
        "https://[::1",     "https://[::1]x",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(bsctl_server_check(bad[i], out, sizeof out, err, sizeof err) == -EINVAL, "%s accepted",
                      bad[i]);
    ck_assert_int_eq(bsctl_server_check("http://192.0.2.1", out, sizeof out, err, sizeof err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "a token must not cross a network in clear"));
}
END_TEST

START_TEST(tokens)
{
    ck_assert_int_eq(bsctl_token_check("bsd_AAAA-_x", err, sizeof err), 0);
    ck_assert_int_eq(bsctl_token_check("", err, sizeof err), -EINVAL);
    ck_assert_int_eq(bsctl_token_check("a\r\nX-Evil: 1", err, sizeof err), -EINVAL); /* header injection */
    ck_assert_int_eq(bsctl_token_check("a b", err, sizeof err), -EINVAL);
    ck_assert_int_eq(bsctl_token_check("caf\xc3\xa9", err, sizeof err), -EINVAL);
    char t[] = "bsd_x \t\r\n\n";
    size_t n = strlen(t);
    bsctl_token_trim(t, &n);
    ck_assert_str_eq(t, "bsd_x");
    ck_assert_uint_eq(n, 5);
}
END_TEST

/* ---- tables ------------------------------------------------------------------------------- */

/* Renders with |fn| into a string (malloc'd). */
static char *render_table(const char *json, const bsctl_col_t *cols, size_t ncols, const char *empty)
{
    json_t *j = json_loads(json, 0, NULL);
    ck_assert_ptr_nonnull(j);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_int_eq(bsctl_table_print(f, j, cols, ncols, empty), 0);
    fclose(f);
    json_decref(j);
    return buf;
}

START_TEST(table_auto_columns_aligned)
{
    char *s = render_table("[{\"name\": \"adm\", \"role\": \"admin\", \"revoked\": false},"
                           " {\"name\": \"a-much-longer-name\", \"role\": \"viewer\", \"revoked\": true}]",
                           NULL, 0, NULL);
    ck_assert_str_eq(s, "NAME                ROLE    REVOKED\n"
                        "adm                 admin   no\n"
                        "a-much-longer-name  viewer  yes\n");
    free(s);
}
END_TEST

static void fmt_double(const json_t *row, char *out, size_t cap)
{
    snprintf(out, cap, "%lld", 2 * (long long)json_integer_value(json_object_get(row, "n")));
}

START_TEST(table_given_columns)
{
    static const bsctl_col_t cols[] = {
        {"n", "NUM", NULL}, {"n", "TWICE", fmt_double}, {"labels", NULL, NULL}, {"missing", NULL, NULL}};
    char *s = render_table("[{\"n\": 1, \"labels\": {\"site\": \"north\", \"line\": \"3\"}},"
                           " {\"n\": 20, \"labels\": {}}, 7]",
                           cols, 4, NULL);
    ck_assert_str_eq(s, "NUM  TWICE  LABELS             MISSING\n"
                        "1    2      site=north;line=3  -\n"
                        "20   40                        -\n"
                        "-    -      -                  -\n");
    free(s);
}
END_TEST

START_TEST(table_empty_and_not_array)
{
    char *s = render_table("[]", NULL, 0, "no devices");
    ck_assert_str_eq(s, "no devices\n");
    free(s);
    json_t *o = json_object();
    ck_assert_int_eq(bsctl_table_print(stdout, o, NULL, 0, NULL), -EINVAL);
    ck_assert_int_eq(bsctl_object_print(stdout, json_null(), NULL, 0), -EINVAL);
    json_decref(o);
}
END_TEST

START_TEST(table_utf8_width_and_control_bytes)
{
    static const bsctl_col_t cols[] = {{"a", NULL, NULL}, {"b", NULL, NULL}};
    char *s = render_table(
        "[{\"a\": \"caf\\u00e9\", \"b\": \"x\"}, {\"a\": \"\\u001b[31mred\", \"b\": \"y\"}]", cols, 2, NULL);
    /* "café" is 4 characters wide (5 bytes); ESC is shown as '?'. */
    ck_assert_str_eq(s, "A         B\n"
                        "caf\xc3\xa9      x\n"
                        "?[31mred  y\n");
    free(s);
}
END_TEST

START_TEST(cells)
{
    char out[BSCTL_CELL_MAX];
    json_t *v = json_loads("[1, 2.5, null, \"s\", [3, [4]], {\"k\": {\"deep\": 1}}]", 0, NULL);
    bsctl_cell(v, out, sizeof out);
    ck_assert_str_eq(out, "1,2.5,-,s,[...],{...}");
    bsctl_cell(NULL, out, sizeof out);
    ck_assert_str_eq(out, "-");
    json_decref(v);
    /* A cut ends in "..." at a character boundary. */
    char small[8];
    v = json_string("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"); /* 4 x é = 8 bytes */
    bsctl_cell(v, small, sizeof small);
    ck_assert_str_eq(small, "\xc3\xa9\xc3\xa9...");
    json_decref(v);
    v = json_string("abcdefgh");
    bsctl_cell(v, small, sizeof small);
    ck_assert_str_eq(small, "abcd...");
    json_decref(v);
    v = json_string("abcdefg");
    bsctl_cell(v, small, sizeof small);
    ck_assert_str_eq(small, "abcdefg");
    json_decref(v);
}
END_TEST

START_TEST(object_lines)
{
    json_t *o =
        json_loads("{\"name\": \"adm\", \"role\": \"admin\", \"server\": \"http://127.0.0.1:1\"}", 0, NULL);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_int_eq(bsctl_object_print(f, o, NULL, 0), 0);
    static const bsctl_col_t cols[] = {{"role", NULL, NULL}, {"absent", NULL, NULL}, {"name", NULL, NULL}};
    ck_assert_int_eq(bsctl_object_print(f, o, cols, 3), 0);
    fclose(f);
    ck_assert_str_eq(buf, "name:   adm\n"
                          "role:   admin\n"
                          "server: http://127.0.0.1:1\n"
                          "role: admin\n"
                          "name: adm\n");
    free(buf);
    json_decref(o);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("bsctl_pure");
    TCase *tc = tcase_create("settings");
    tcase_add_test(tc, conf_all_keys);
    tcase_add_test(tc, conf_inline_token);
    tcase_add_test(tc, conf_errors_name_line_and_column);
    tcase_add_test(tc, conf_never_echoes_the_token);
    tcase_add_test(tc, conf_mode);
    tcase_add_test(tc, pick_order);
    tcase_add_test(tc, resolve_precedence);
    tcase_add_test(tc, resolve_token_file_from_conf);
    tcase_add_test(tc, server_urls);
    tcase_add_test(tc, tokens);
    suite_add_tcase(s, tc);
    tc = tcase_create("table");
    tcase_add_test(tc, table_auto_columns_aligned);
    tcase_add_test(tc, table_given_columns);
    tcase_add_test(tc, table_empty_and_not_array);
    tcase_add_test(tc, table_utf8_width_and_control_bytes);
    tcase_add_test(tc, cells);
    tcase_add_test(tc, object_lines);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
