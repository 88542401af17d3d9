/*
 * test_config.c — unit tests for bsd/util/config.c (bsd.conf parser,
 * environment overrides, value syntax, address parsing, defaults, dump) and the
 * lexical layer it shares with the devices file (bsd/util/lex.c).
 */
#include "bsd/util/config.h"
#include "bsd/util/lex.h"
#include "bsd/util/log.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char err[CONFIG_ERR_MAX];

/* Loads |text| over defaults as "t.conf". */
static int load(bsd_config_t *cfg, const char *text)
{
    ck_assert_int_eq(config_init_defaults(cfg), 0);
    err[0] = '\0';
    return config_load_buffer(cfg, "t.conf", text, strlen(text), err, sizeof err);
}

/* ---- broken inputs: exact "name:line:col: message" ----------------------- */

struct bad_case {
    const char *text;
    const char *want;
};

static char long_line[LEX_LINE_MAX + 32];
static char long_value[CONFIG_VALUE_MAX + 64];
static char many_addrs[512];

static const struct bad_case bad_cases[] = {
    {"bogus = 1\n", "t.conf:1:1: unknown key 'bogus'"},
    {"listen\n", "t.conf:1:7: expected '=' after key"},
    {"workers 1\n", "t.conf:1:9: expected '=' after key"},
    {"workers = 1\nworkers = 2\n", "t.conf:2:1: duplicate key 'workers' (first set on line 1)"},
    {"= 1\n", "t.conf:1:1: missing key before '='"},
    {"Listen = 1.2.3.4:1\n",
     "t.conf:1:1: invalid key (keys are lower-case dotted names like dtls.cert_file)"},
    {"dtls..psk = 1\n", "t.conf:1:1: invalid key (keys are lower-case dotted names like dtls.cert_file)"},
    {"workers = 65\n", "t.conf:1:11: workers must be an integer in 0..64"},
    {"workers = -1\n", "t.conf:1:11: workers must be an integer in 0..64"},
    {"max_datagram = 255\n", "t.conf:1:16: max_datagram must be an integer in 256..65507"},
    {"dtls.max_sessions = 0\n", "t.conf:1:21: dtls.max_sessions must be an integer in 1..10000000"},
    {"log_level = verbose\n", "t.conf:1:13: log_level must be debug, info, warn or error"},
    {"dtls.psk = maybe\n", "t.conf:1:12: dtls.psk must be true/false, on/off, yes/no or 1/0"},
    {"dtls.handshake_timeout = 0\n",
     "t.conf:1:26: dtls.handshake_timeout must be a duration of 1..300 seconds "
     "(e.g. 30, 30s, 5m, 1h)"},
    {"dtls.idle_timeout = 2h\n", "t.conf:1:21: dtls.idle_timeout must be a duration of 5..3600 seconds "
                                 "(e.g. 30, 30s, 5m, 1h)"},
    {"dtls.cookie_rotate = 5x\n", "t.conf:1:22: dtls.cookie_rotate must be a duration of 10..86400 seconds "
                                  "(e.g. 30, 30s, 5m, 1h)"},
    {"listen = 1.2.3.4\n",
     "t.conf:1:10: invalid address in listen (expected a.b.c.d:port or [ipv6]:port, numeric)"},
    {"listen = 1.2.3.4:5684, ::1:5684\n",
     "t.conf:1:24: invalid address in listen (expected a.b.c.d:port or [ipv6]:port, numeric)"},
    {"listen = localhost:5684\n",
     "t.conf:1:10: invalid address in listen (expected a.b.c.d:port or [ipv6]:port, numeric)"},
    {"listen_coap = [::1]:70000\n",
     "t.conf:1:15: invalid address in listen_coap (expected a.b.c.d:port or [ipv6]:port, "
     "numeric)"},
    {"listen = \"1.2.3.4:1, \\x5b::1]:x\"\n",
     "t.conf:1:22: invalid address in listen (expected a.b.c.d:port or [ipv6]:port, numeric)"},
    {"listen = 1.2.3.4:5684,,[::1]:5684\n", "t.conf:1:23: empty entry in listen"},
    {"listen = 1.2.3.4:5684,\n", "t.conf:1:23: empty entry in listen"},
    {"listen = \"\"\n", "t.conf:1:10: listen needs at least one address"},
    {"listen = 1.2.3.4:5684,1.2.3.4:5684\n", "t.conf:1:23: duplicate address in listen"},
    {many_addrs, "t.conf:1:90: too many addresses in listen (max 8)"},
    {"user = \"bsd\n", "t.conf:1:8: unterminated quoted value"},
    {"user = \"\\\n", "t.conf:1:8: unterminated quoted value"},
    {"user = \"a\\qb\"\n", "t.conf:1:10: unknown escape sequence (use \\\" \\\\ \\n \\t or \\xHH)"},
    {"user = \"a\\x4\"\n", "t.conf:1:10: invalid \\x escape (expected two hex digits)"},
    {"user = \"a\" b\n", "t.conf:1:12: unexpected text after closing quote"},
    {"pid_file = \"x\"#c\n", "t.conf:1:15: unexpected text after closing quote"},
    {"user = a\"b\n", "t.conf:1:9: unexpected '\"' in unquoted value (quote the whole value)"},
    {"user = \"a\\x00b\"\n", "t.conf:1:10: NUL byte not allowed in value"},
    {"workers = 1\x01\n", "t.conf:1:12: control character 0x01 not allowed"},
    {"# comment\n\n   workers = x # trailing\n", "t.conf:3:14: workers must be an integer in 0..64"},
    {"dtls.psk = # nothing\n", "t.conf:1:12: dtls.psk must be true/false, on/off, yes/no or 1/0"},
    {"workers = 1\r\nuser = a\rb\r\n", "t.conf:2:9: control character 0x0d not allowed"},
    {long_line, "t.conf:1:4097: line too long (max 4096 bytes)"},
    /* The plain-HTTP API listener: loopback only, the column at the bad address. */
    {"api.http_listen = 127.0.0.1:8080, 0.0.0.0:8080\n",
     "t.conf:1:35: api.http_listen takes loopback addresses only (127.0.0.0/8 or [::1]): plain HTTP carries "
     "bearer tokens in clear; use api.listen (HTTPS) for other addresses"},
    {"api.http_listen = [::ffff:127.0.0.1]:8080\n",
     "t.conf:1:19: api.http_listen takes loopback addresses only (127.0.0.0/8 or [::1]): plain HTTP carries "
     "bearer tokens in clear; use api.listen (HTTPS) for other addresses"},
    {"api.http_listen = 128.0.0.1:80\n",
     "t.conf:1:19: api.http_listen takes loopback addresses only (127.0.0.0/8 or [::1]): plain HTTP carries "
     "bearer tokens in clear; use api.listen (HTTPS) for other addresses"},
    {"api.threads = 0\n", "t.conf:1:15: api.threads must be an integer in 1..16"},
    {"api.threads = 17\n", "t.conf:1:15: api.threads must be an integer in 1..16"},
    {"api.max_body_kib = 0\n", "t.conf:1:20: api.max_body_kib must be an integer in 1..65536"},
    {"api.max_import_mib = 4097\n", "t.conf:1:22: api.max_import_mib must be an integer in 1..4096"},
    {long_value, "t.conf:1:1032: value too long (max 1024 bytes)"},
};

static void bad_cases_init(void)
{
    memset(long_line, 0, sizeof long_line);
    memcpy(long_line, "user = ", 7);
    memset(long_line + 7, 'a', LEX_LINE_MAX + 1 - 7);

    memset(long_value, 0, sizeof long_value);
    memcpy(long_value, "user = ", 7);
    memset(long_value + 7, 'b', CONFIG_VALUE_MAX + 1);

    /* 9 addresses; the 9th starts at column 90. */
    strcpy(many_addrs, "listen = ");
    for (int i = 1; i <= 9; i++) {
        char a[16];
        snprintf(a, sizeof a, "%s1.1.1.1:%d", i > 1 ? "," : "", i);
        strcat(many_addrs, a);
    }
}

START_TEST(test_bad_input)
{
    const struct bad_case *c = &bad_cases[_i];
    bsd_config_t cfg;
    int r = load(&cfg, c->text);
    ck_assert_msg(r == -EINVAL, "case %d: r=%d", _i, r);
    ck_assert_msg(strcmp(err, c->want) == 0, "case %d:\n got: %s\nwant: %s", _i, err, c->want);
    config_free(&cfg);
}
END_TEST

START_TEST(test_file_too_large)
{
    bsd_config_t cfg;
    size_t n = CONFIG_FILE_MAX + 1;
    char *big = malloc(n);
    ck_assert_ptr_nonnull(big);
    memset(big, '\n', n);
    ck_assert_int_eq(config_init_defaults(&cfg), 0);
    ck_assert_int_eq(config_load_buffer(&cfg, "t.conf", big, n, err, sizeof err), -EFBIG);
    ck_assert_str_eq(err, "t.conf: file too large (max 1048576 bytes)");
    /* Exactly the limit is fine. */
    ck_assert_int_eq(config_load_buffer(&cfg, "t.conf", big, n - 1, err, sizeof err), 0);
    free(big);
    config_free(&cfg);
}
END_TEST

START_TEST(test_small_err_buffer)
{
    bsd_config_t cfg;
    char small[16];
    memset(small, 'X', sizeof small);
    ck_assert_int_eq(config_init_defaults(&cfg), 0);
    const char *t = "bogus_key_with_a_long_name = 1\n";
    ck_assert_int_eq(config_load_buffer(&cfg, "t.conf", t, strlen(t), small, sizeof small), -EINVAL);
    ck_assert_str_eq(small, "t.conf:1:1: ...");
    config_free(&cfg);
}
END_TEST

/* ---- good inputs ---------------------------------------------------------- */

START_TEST(test_defaults)
{
    bsd_config_t cfg;
    ck_assert_int_eq(config_init_defaults(&cfg), 0);
    ck_assert_uint_eq(cfg.listen.count, 2);
    char a[64];
    ck_assert_int_eq(config_format_addr(&cfg.listen.addr[0].ss, a, sizeof a), 0);
    ck_assert_str_eq(a, "0.0.0.0:5684");
    ck_assert_int_eq(config_format_addr(&cfg.listen.addr[1].ss, a, sizeof a), 0);
    ck_assert_str_eq(a, "[::]:5684");
    ck_assert_uint_eq(cfg.listen_coap.count, 0);
    ck_assert_uint_eq(cfg.workers, 0);
    ck_assert_str_eq(cfg.user, "bsd");
    ck_assert_uint_eq(cfg.max_datagram, 1152);
    ck_assert_int_eq(cfg.log_level, BSD_LOG_INFO);
    ck_assert_ptr_null(cfg.devices_file);
    ck_assert_ptr_null(cfg.dtls.cert_file);
    ck_assert_ptr_null(cfg.dtls.key_file);
    ck_assert_ptr_null(cfg.dtls.ca_file);
    ck_assert(cfg.dtls.psk && cfg.dtls.rpk && cfg.dtls.x509);
    ck_assert_uint_eq(cfg.dtls.handshake_timeout, 30);
    ck_assert_uint_eq(cfg.dtls.idle_timeout, 120);
    ck_assert_uint_eq(cfg.dtls.max_sessions, 100000);
    ck_assert_uint_eq(cfg.dtls.handshake_rate, 20);
    ck_assert_uint_eq(cfg.dtls.cookie_rotate, 300);
    ck_assert(!cfg.diag_resources);
    ck_assert_ptr_null(cfg.pid_file);
    ck_assert_uint_eq(cfg.api.listen.count, 0);
    ck_assert_uint_eq(cfg.api.http_listen.count, 0);
    ck_assert_ptr_null(cfg.api.tls_cert);
    ck_assert_ptr_null(cfg.api.tls_key);
    ck_assert_uint_eq(cfg.api.threads, 2);
    ck_assert_uint_eq(cfg.api.max_body_kib, 1024);
    ck_assert_uint_eq(cfg.api.max_import_mib, 256);
    /* A device source is required. */
    ck_assert_int_eq(config_validate(&cfg, err, sizeof err), -EINVAL);
    ck_assert_str_eq(
        err, "configuration: set db_url (PostgreSQL) or devices_file (or BSD_DB_URL / BSD_DEVICES_FILE)");
    config_free(&cfg);
    config_free(&cfg); /* idempotent */
}
END_TEST

START_TEST(test_full_file)
{
    bsd_config_t cfg;
    const char *t = "# bsd.conf\r\n"
                    "\n"
                    "   # indented comment\n"
                    "listen = 127.0.0.1:5684, [::1]:5684   # two listeners\n"
                    "listen_coap=127.0.0.1:5683\n"
                    "workers\t=\t4\n"
                    "user = \"\"\n"
                    "max_datagram = 1280\r\n"
                    "log_level = DEBUG\n"
                    "devices_file = /etc/bsd/devices.conf\n"
                    "dtls.cert_file = \"/etc/bsd/server.crt\"\n"
                    "dtls.key_file = /etc/bsd/server.key\n"
                    "dtls.ca_file = /etc/bsd/ca#1.crt\n"
                    "dtls.psk = off\n"
                    "dtls.rpk = No\n"
                    "dtls.x509 = 1\n"
                    "dtls.handshake_timeout = 1m\n"
                    "dtls.idle_timeout = 1h\n"
                    "dtls.max_sessions = 10000000\n"
                    "dtls.handshake_rate = 0\n"
                    "dtls.cookie_rotate = 600s\n"
                    "diag_resources = yes\n"
                    "pid_file = /run/bsd.pid";
    ck_assert_int_eq(load(&cfg, t), 0);
    ck_assert_uint_eq(cfg.listen.count, 2);
    char a[64];
    ck_assert_int_eq(config_format_addr(&cfg.listen.addr[1].ss, a, sizeof a), 0);
    ck_assert_str_eq(a, "[::1]:5684");
    ck_assert_uint_eq(cfg.listen_coap.count, 1);
    ck_assert_int_eq(config_format_addr(&cfg.listen_coap.addr[0].ss, a, sizeof a), 0);
    ck_assert_str_eq(a, "127.0.0.1:5683");
    ck_assert_uint_eq(cfg.workers, 4);
    ck_assert_str_eq(cfg.user, "");
    ck_assert_uint_eq(cfg.max_datagram, 1280);
    ck_assert_int_eq(cfg.log_level, BSD_LOG_DEBUG);
    ck_assert_str_eq(cfg.devices_file, "/etc/bsd/devices.conf");
    ck_assert_str_eq(cfg.dtls.cert_file, "/etc/bsd/server.crt");
    ck_assert_str_eq(cfg.dtls.key_file, "/etc/bsd/server.key");
    ck_assert_str_eq(cfg.dtls.ca_file, "/etc/bsd/ca#1.crt"); /* '#' not after a blank */
    ck_assert(!cfg.dtls.psk && !cfg.dtls.rpk && cfg.dtls.x509);
    ck_assert_uint_eq(cfg.dtls.handshake_timeout, 60);
    ck_assert_uint_eq(cfg.dtls.idle_timeout, 3600);
    ck_assert_uint_eq(cfg.dtls.max_sessions, 10000000);
    ck_assert_uint_eq(cfg.dtls.handshake_rate, 0);
    ck_assert_uint_eq(cfg.dtls.cookie_rotate, 600);
    ck_assert(cfg.diag_resources);
    ck_assert_str_eq(cfg.pid_file, "/run/bsd.pid");
    ck_assert_str_eq(cfg.source, "t.conf");
    ck_assert_int_eq(config_validate(&cfg, err, sizeof err), 0);
    config_free(&cfg);
}
END_TEST

START_TEST(test_quoted_escapes)
{
    bsd_config_t cfg;
    ck_assert_int_eq(load(&cfg, "user = \"q\\\"\\\\\\n\\t\\x41\\x7e # not a comment\"  # c\n"), 0);
    ck_assert_str_eq(cfg.user, "q\"\\\n\tA~ # not a comment");
    config_free(&cfg);
    ck_assert_int_eq(load(&cfg, "user = two words  \n"), 0);
    ck_assert_str_eq(cfg.user, "two words");
    config_free(&cfg);
    ck_assert_int_eq(load(&cfg, "user=x#y\n"), 0);
    ck_assert_str_eq(cfg.user, "x#y");
    config_free(&cfg);
    ck_assert_int_eq(load(&cfg, "user = #all comment\n"), 0);
    ck_assert_str_eq(cfg.user, "");
    config_free(&cfg);
    /* Empty optional path = unset; empty listen_coap = off. */
    ck_assert_int_eq(load(&cfg, "pid_file = \"\"\nlisten_coap =\n"), 0);
    ck_assert_ptr_null(cfg.pid_file);
    ck_assert_uint_eq(cfg.listen_coap.count, 0);
    config_free(&cfg);
    /* Empty buffer and NULL buffer with length 0. */
    ck_assert_int_eq(load(&cfg, ""), 0);
    config_free(&cfg);
    ck_assert_int_eq(config_init_defaults(&cfg), 0);
    ck_assert_int_eq(config_load_buffer(&cfg, "t.conf", NULL, 0, err, sizeof err), 0);
    config_free(&cfg);
}
END_TEST

START_TEST(test_value_limit)
{
    bsd_config_t cfg;
    static char t[CONFIG_VALUE_MAX + 16];
    memcpy(t, "user = ", 7);
    memset(t + 7, 'u', CONFIG_VALUE_MAX);
    t[7 + CONFIG_VALUE_MAX] = '\0';
    ck_assert_int_eq(load(&cfg, t), 0);
    ck_assert_uint_eq(strlen(cfg.user), CONFIG_VALUE_MAX);
    config_free(&cfg);
}
END_TEST

/* ---- paths ------------------------------------------------------------------ */

static char tmpdir[PATH_MAX];

static void make_tmpdir(void)
{
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/test_config.XXXXXX", base && *base ? base : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fputs(text, f) >= 0, 1);
    ck_assert_int_eq(fclose(f), 0);
}

START_TEST(test_relative_paths)
{
    make_tmpdir();
    char sub[PATH_MAX + 16], conf[PATH_MAX + 48], want[2 * PATH_MAX + 128];
    snprintf(sub, sizeof sub, "%s/etc", tmpdir);
    ck_assert_int_eq(mkdir(sub, 0700), 0);
    snprintf(conf, sizeof conf, "%s/bsd.conf", sub);
    write_file(conf, "devices_file = devices.conf\n"
                     "dtls.cert_file = ../.run/pki/server.crt\n"
                     "dtls.key_file = /abs/server.key\n");
    bsd_config_t cfg;
    ck_assert_int_eq(config_init_defaults(&cfg), 0);
    ck_assert_int_eq(config_load_file(&cfg, conf, err, sizeof err), 0);
    ck_assert_str_eq(cfg.config_dir, sub);
    snprintf(want, sizeof want, "%s/devices.conf", sub);
    ck_assert_str_eq(cfg.devices_file, want);
    snprintf(want, sizeof want, "%s/../.run/pki/server.crt", sub);
    ck_assert_str_eq(cfg.dtls.cert_file, want);
    ck_assert_str_eq(cfg.dtls.key_file, "/abs/server.key");
    /* Environment paths resolve against the same directory. */
    char *env[] = {"BSD_PID_FILE=run/bsd.pid", NULL};
    ck_assert_int_eq(config_apply_env(&cfg, env, err, sizeof err), 0);
    snprintf(want, sizeof want, "%s/run/bsd.pid", sub);
    ck_assert_str_eq(cfg.pid_file, want);
    config_free(&cfg);

    /* A relative config path is made absolute with the current directory. */
    char cwd[PATH_MAX];
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
    ck_assert_int_eq(chdir(tmpdir), 0);
    ck_assert_int_eq(config_init_defaults(&cfg), 0);
    ck_assert_int_eq(config_load_file(&cfg, "etc/bsd.conf", err, sizeof err), 0);
    char real[PATH_MAX];
    ck_assert_ptr_nonnull(getcwd(real, sizeof real));
    snprintf(want, sizeof want, "%s/etc/devices.conf", real);
    ck_assert_str_eq(cfg.devices_file, want);
    config_free(&cfg);
    ck_assert_int_eq(chdir("etc"), 0);
    ck_assert_int_eq(config_init_defaults(&cfg), 0);
    ck_assert_int_eq(config_load_file(&cfg, "bsd.conf", err, sizeof err), 0);
    snprintf(want, sizeof want, "%s/etc/devices.conf", real);
    ck_assert_str_eq(cfg.devices_file, want);
    config_free(&cfg);
    ck_assert_int_eq(chdir(cwd), 0);

    /* File-level errors. */
    ck_assert_int_eq(config_init_defaults(&cfg), 0);
    ck_assert_int_eq(config_load_file(&cfg, sub, err, sizeof err), -EINVAL);
    snprintf(want, sizeof want, "%s: not a regular file", sub);
    ck_assert_str_eq(err, want);
    snprintf(conf, sizeof conf, "%s/missing.conf", sub);
    ck_assert_int_eq(config_load_file(&cfg, conf, err, sizeof err), -ENOENT);
    snprintf(want, sizeof want, "%s: cannot read: %s", conf, strerror(ENOENT));
    ck_assert_str_eq(err, want);
    /* Syntax errors name the path as given. */
    snprintf(conf, sizeof conf, "%s/bad.conf", sub);
    write_file(conf, "workers = 1\nworkers = 2\n");
    ck_assert_int_eq(config_load_file(&cfg, conf, err, sizeof err), -EINVAL);
    snprintf(want, sizeof want, "%s:2:1: duplicate key 'workers' (first set on line 1)", conf);
    ck_assert_str_eq(err, want);
    config_free(&cfg);

    unlink(conf);
    snprintf(conf, sizeof conf, "%s/bsd.conf", sub);
    unlink(conf);
    rmdir(sub);
    rmdir(tmpdir);
}
END_TEST

START_TEST(test_buffer_keeps_relative)
{
    bsd_config_t cfg;
    ck_assert_int_eq(load(&cfg, "devices_file = devices.conf\n"), 0);
    ck_assert_str_eq(cfg.devices_file, "devices.conf");
    config_free(&cfg);
}
END_TEST

/* ---- environment ------------------------------------------------------------ */

START_TEST(test_env_precedence)
{
    bsd_config_t cfg;
    ck_assert_int_eq(load(&cfg, "log_level = debug\n"
                                "devices_file = /d/devices.conf\n"
                                "workers = 2\n"
                                "dtls.cert_file = /file.crt\n"
                                "dtls.key_file = /file.key\n"),
                     0);
    char *env[] = {
        "PATH=/usr/bin",
        "BSD_LOG_LEVEL=warn",
        "BSD_LOG_LEVEL=error", /* first wins */
        "BSD_DTLS_CERT_FILE=/env.crt",
        "BSD_DTLS_HANDSHAKE_TIMEOUT=2m",
        "BSD_LISTEN=[::1]:15684",
        "BSD_USER=",
        "BSD_UNKNOWN_THING=1", /* ignored */
        "BSD_DTLS_PSK=false",
        "bsd_workers=9", /* names are case-sensitive */
        "BSD_WORKERS",   /* no '=': not a match */
        NULL,
    };
    ck_assert_int_eq(config_apply_env(&cfg, env, err, sizeof err), 0);
    ck_assert_int_eq(cfg.log_level, BSD_LOG_WARN);
    ck_assert_str_eq(cfg.dtls.cert_file, "/env.crt");
    ck_assert_str_eq(cfg.dtls.key_file, "/file.key");
    ck_assert_uint_eq(cfg.dtls.handshake_timeout, 120);
    ck_assert_uint_eq(cfg.listen.count, 1);
    ck_assert_str_eq(cfg.user, "");
    ck_assert(!cfg.dtls.psk);
    ck_assert_uint_eq(cfg.workers, 2);
    ck_assert_str_eq(cfg.devices_file, "/d/devices.conf");
    config_free(&cfg);

    /* Environment alone can supply the required key. */
    ck_assert_int_eq(config_init_defaults(&cfg), 0);
    char *env2[] = {"BSD_DEVICES_FILE=/x/devices.conf", NULL};
    ck_assert_int_eq(config_apply_env(&cfg, env2, err, sizeof err), 0);
    ck_assert_str_eq(cfg.devices_file, "/x/devices.conf");
    config_free(&cfg);
}
END_TEST

struct env_case {
    const char *var;
    const char *want;
};

static const struct env_case env_cases[] = {
    {"BSD_WORKERS=abc", "environment BSD_WORKERS: workers must be an integer in 0..64"},
    {"BSD_WORKERS= 1", "environment BSD_WORKERS: workers must be an integer in 0..64"},
    {"BSD_LISTEN=foo", "environment BSD_LISTEN: invalid address in listen (expected a.b.c.d:port or "
                       "[ipv6]:port, numeric)"},
    {"BSD_LISTEN=", "environment BSD_LISTEN: listen needs at least one address"},
    {"BSD_DTLS_X509=2", "environment BSD_DTLS_X509: dtls.x509 must be true/false, on/off, yes/no or 1/0"},
    {"BSD_DTLS_IDLE_TIMEOUT=1",
     "environment BSD_DTLS_IDLE_TIMEOUT: dtls.idle_timeout must be a duration of 5..3600 "
     "seconds (e.g. 30, 30s, 5m, 1h)"},
    {"BSD_LOG_LEVEL=trace", "environment BSD_LOG_LEVEL: log_level must be debug, info, warn or error"},
    {"BSD_DEVICES_FILE=",
     "t.conf: set db_url (PostgreSQL) or devices_file (or BSD_DB_URL / BSD_DEVICES_FILE)"},
    {"BSD_MAX_DATAGRAM=65508", "environment BSD_MAX_DATAGRAM: max_datagram must be an integer in 256..65507"},
    {"BSD_DTLS_KEY_FILE=", "t.conf: dtls.cert_file is set but dtls.key_file is not"},
    {"BSD_LISTEN_COAP=0.0.0.0:5684", "t.conf: address 0.0.0.0:5684 is in both listen and listen_coap"},
};

START_TEST(test_env_errors)
{
    const struct env_case *c = &env_cases[_i];
    bsd_config_t cfg;
    ck_assert_int_eq(load(&cfg, "devices_file = /d\n"
                                "dtls.cert_file = /c\n"
                                "dtls.key_file = /k\n"),
                     0);
    char *env[] = {(char *)c->var, NULL};
    ck_assert_int_eq(config_apply_env(&cfg, env, err, sizeof err), -EINVAL);
    ck_assert_msg(strcmp(err, c->want) == 0, "case %d:\n got: %s\nwant: %s", _i, err, c->want);
    config_free(&cfg);
}
END_TEST

START_TEST(test_env_too_long)
{
    bsd_config_t cfg;
    ck_assert_int_eq(load(&cfg, "devices_file = /d\n"), 0);
    static char var[CONFIG_VALUE_MAX + 32];
    strcpy(var, "BSD_USER=");
    memset(var + 9, 'x', CONFIG_VALUE_MAX + 1);
    char *env[] = {var, NULL};
    ck_assert_int_eq(config_apply_env(&cfg, env, err, sizeof err), -EINVAL);
    ck_assert_str_eq(err, "environment BSD_USER: value too long (max 1024 bytes)");
    /* NULL envp = no overrides, but still validated. */
    ck_assert_int_eq(config_apply_env(&cfg, NULL, err, sizeof err), 0);
    config_free(&cfg);
}
END_TEST

/* ---- value syntax ------------------------------------------------------------ */

START_TEST(test_durations)
{
    static const struct {
        const char *s;
        int r;
        uint32_t v;
    } t[] = {
        {"30", 0, 30},
        {"30s", 0, 30},
        {"5m", 0, 300},
        {"1h", 0, 3600},
        {"0", 0, 0},
        {"007", 0, 7},
        {"4294967295", 0, UINT32_MAX},
        {"", -EINVAL, 0},
        {"s", -EINVAL, 0},
        {"1d", -EINVAL, 0},
        {"-1", -EINVAL, 0},
        {"+1", -EINVAL, 0},
        {" 5", -EINVAL, 0},
        {"5 m", -EINVAL, 0},
        {"5M", -EINVAL, 0},
        {"1.5h", -EINVAL, 0},
        {"1h30m", -EINVAL, 0},
        {"4294967296", -ERANGE, 0},
        {"1193047h", -ERANGE, 0},
        {"71582789m", -ERANGE, 0},
        {"99999999999999999999999", -EINVAL, 0},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        uint32_t v = 12345;
        int r = config_parse_duration(t[i].s, strlen(t[i].s), &v);
        ck_assert_msg(r == t[i].r, "'%s': r=%d", t[i].s, r);
        if (r == 0) ck_assert_msg(v == t[i].v, "'%s': v=%u", t[i].s, v);
    }
    ck_assert_int_eq(config_parse_duration(NULL, 0, NULL), -EINVAL);
}
END_TEST

START_TEST(test_bools)
{
    static const char *const yes[] = {"true", "on", "yes", "1", "TRUE", "On", "YeS"};
    static const char *const no[] = {"false", "off", "no", "0", "FALSE", "Off", "NO"};
    static const char *const bad[] = {"", "2", "truee", "y", "n", "enable", " true", "t"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        bool b = false;
        ck_assert_int_eq(config_parse_bool(yes[i], strlen(yes[i]), &b), 0);
        ck_assert(b);
        b = true;
        ck_assert_int_eq(config_parse_bool(no[i], strlen(no[i]), &b), 0);
        ck_assert(!b);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        bool b;
        ck_assert_msg(config_parse_bool(bad[i], strlen(bad[i]), &b) == -EINVAL, "'%s'", bad[i]);
    }
    /* Length, not NUL, ends the text. */
    bool b = false;
    ck_assert_int_eq(config_parse_bool("yesterday", 3, &b), 0);
    ck_assert(b);
}
END_TEST

START_TEST(test_addresses)
{
    struct sockaddr_storage ss;
    socklen_t len;
    ck_assert_int_eq(config_parse_addr("127.0.0.1:5684", &ss, &len), 0);
    ck_assert_int_eq(ss.ss_family, AF_INET);
    ck_assert_uint_eq(len, sizeof(struct sockaddr_in));
    const struct sockaddr_in *sin = (const struct sockaddr_in *)&ss;
    ck_assert_uint_eq(ntohs(sin->sin_port), 5684);
    ck_assert_uint_eq(ntohl(sin->sin_addr.s_addr), 0x7f000001);

    ck_assert_int_eq(config_parse_addr("[::1]:5683", &ss, &len), 0);
    ck_assert_int_eq(ss.ss_family, AF_INET6);
    ck_assert_uint_eq(len, sizeof(struct sockaddr_in6));
    const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&ss;
    ck_assert_uint_eq(ntohs(sin6->sin6_port), 5683);
    ck_assert(IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr));

    ck_assert_int_eq(config_parse_addr("[2001:db8::1]:65535", &ss, &len), 0);
    ck_assert_int_eq(config_parse_addr("[::ffff:192.0.2.1]:1", &ss, &len), 0);
    ck_assert_int_eq(config_parse_addr("0.0.0.0:0", &ss, &len), 0);
    ck_assert_int_eq(config_parse_addr("[::]:5684", &ss, &len), 0);

    static const char *const bad[] = {
        "",
        "1.2.3.4",
        "1.2.3.4:",
        "1.2.3.4:65536",
        "1.2.3.4:-1",
        "1.2.3.4:+1",
        "1.2.3.4:5 ",
        " 1.2.3.4:5",
        "1.2.3:5",
        "1.2.3.4.5:5",
        "256.1.1.1:5",
        "::1:5684",
        "[::1]5684",
        "[::1]:",
        "[::1]",
        "[::1:5",
        "[1.2.3.4]:5",
        "[fe80::1%eth0]:5",
        "[]:5",
        ":5",
        "localhost:5684",
        "[::1]:5684x",
        "[::1]:99999999999999999999999",
        "1.2.3.4:5684,",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(config_parse_addr(bad[i], &ss, &len) == -EINVAL, "'%s' accepted", bad[i]);
    ck_assert_int_eq(config_parse_addr(NULL, &ss, &len), -EINVAL);

    /* Format round trip and a too-small buffer. */
    char a[64];
    ck_assert_int_eq(config_parse_addr("[2001:db8::1]:65535", &ss, &len), 0);
    ck_assert_int_eq(config_format_addr(&ss, a, sizeof a), 0);
    ck_assert_str_eq(a, "[2001:db8::1]:65535");
    ck_assert_int_eq(config_format_addr(&ss, a, 10), -ENOSPC);
    ss.ss_family = AF_UNIX;
    ck_assert_int_eq(config_format_addr(&ss, a, sizeof a), -EAFNOSUPPORT);
}
END_TEST

START_TEST(test_lex_decoders)
{
    uint8_t out[8];
    size_t n, bad;
    ck_assert_int_eq(lex_hex_decode("00aAfF", 6, out, sizeof out, &n, &bad), 0);
    ck_assert_uint_eq(n, 3);
    ck_assert(out[0] == 0x00 && out[1] == 0xaa && out[2] == 0xff);
    ck_assert_int_eq(lex_hex_decode("0g", 2, out, sizeof out, &n, &bad), -EINVAL);
    ck_assert_uint_eq(bad, 1);
    ck_assert_int_eq(lex_hex_decode("abc", 3, out, sizeof out, &n, &bad), -EINVAL);
    ck_assert_uint_eq(bad, 3);
    ck_assert_int_eq(lex_hex_decode("000000000000000000", 18, out, sizeof out, &n, &bad), -E2BIG);
    ck_assert_uint_eq(bad, 16);

    /* RFC 4648, section 10 test vectors. */
    static const char *const b64[][2] = {
        {"", ""},
        {"Zg==", "f"},
        {"Zm8=", "fo"},
        {"Zm9v", "foo"},
        {"Zm9vYg==", "foob"},
        {"Zm9vYmE=", "fooba"},
        {"Zm9vYmFy", "foobar"},
    };
    for (size_t i = 0; i < sizeof b64 / sizeof b64[0]; i++) {
        ck_assert_int_eq(lex_base64_decode(b64[i][0], strlen(b64[i][0]), out, sizeof out, &n), 0);
        ck_assert_uint_eq(n, strlen(b64[i][1]));
        ck_assert(memcmp(out, b64[i][1], n) == 0);
    }
    static const char *const b64bad[] = {
        "Zg=", "Zh==", "Zm9=", "Z===", "=Zg=", "Zg==Zg==", "Zm 9", "Zm9v\n", "Zm-v", "Zg=a"};
    for (size_t i = 0; i < sizeof b64bad / sizeof b64bad[0]; i++)
        ck_assert_msg(lex_base64_decode(b64bad[i], strlen(b64bad[i]), out, sizeof out, &n) == -EINVAL,
                      "'%s' accepted", b64bad[i]);
    ck_assert_int_eq(lex_base64_decode("Zm9vYmFyYmF6", 12, out, 8, &n), -E2BIG);

    uint64_t v;
    ck_assert_int_eq(lex_parse_uint("18446744073709551615", 20, UINT64_MAX, &v), 0);
    ck_assert(v == UINT64_MAX);
    ck_assert_int_eq(lex_parse_uint("18446744073709551616", 20, UINT64_MAX, &v), -ERANGE);
    ck_assert_int_eq(lex_parse_uint("9", 1, 5, &v), -ERANGE);
    ck_assert_int_eq(lex_parse_uint("5", 1, 5, &v), 0);
    ck_assert_int_eq(lex_parse_uint("", 0, 5, &v), -EINVAL);
}
END_TEST

/* ---- dump ------------------------------------------------------------------------ */

/* config_dump() of |cfg| as a string (the caller frees it). */
static char *dump(const bsd_config_t *cfg)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(config_dump(cfg, f), 0);
    fclose(f);
    return out;
}

/* Each case loads but config_validate() refuses it with exactly its message. */
static void expect_invalid(const struct bad_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        bsd_config_t cfg;
        ck_assert_int_eq(load(&cfg, cases[i].text), 0);
        ck_assert_int_eq(config_validate(&cfg, err, sizeof err), -EINVAL);
        ck_assert_msg(strcmp(err, cases[i].want) == 0, "case %zu: %s", i, err);
        config_free(&cfg);
    }
}

/* Exactly one device source: PostgreSQL (with its secret keys) or the files. */
START_TEST(test_validate_sources)
{
    static const struct bad_case cases[] = {
        {"devices_file = \"\"\n",
         "t.conf: set db_url (PostgreSQL) or devices_file (or BSD_DB_URL / BSD_DEVICES_FILE)"},
        {"db_url = \"postgresql:///bsd\"\n",
         "t.conf: db_url needs records_spool (a directory where session records wait for PostgreSQL)"},
        {"db_url = \"postgresql:///bsd\"\nrecords_spool = /s\n",
         "t.conf: db_url needs secret_keys_file (the keys that seal secrets at rest)"},
        {"db_url = \"postgresql:///bsd\"\nsecret_keys_file = /k\nrecords_spool = /s\ndevices_file = /d\n",
         "t.conf: with db_url, devices and policies come from PostgreSQL: remove devices_file and "
         "plans_file"},
        {"db_url = \"postgresql:///bsd\"\nsecret_keys_file = /k\nrecords_spool = /s\nplans_file = /p\n",
         "t.conf: with db_url, devices and policies come from PostgreSQL: remove devices_file and "
         "plans_file"},
    };
    expect_invalid(cases, sizeof cases / sizeof cases[0]);
    bsd_config_t cfg;
    ck_assert_int_eq(
        load(&cfg, "db_url = \"postgresql:///bsd\"\nsecret_keys_file = /k\nrecords_spool = /s\n"), 0);
    ck_assert_int_eq(config_validate(&cfg, err, sizeof err), 0);
    ck_assert_str_eq(cfg.secret_keys_file, "/k");
    config_free(&cfg);
}
END_TEST

/* The API: it needs the database; HTTPS needs its certificate and key. */
START_TEST(test_validate_api)
{
#define DBOK "db_url = \"postgresql:///bsd\"\nsecret_keys_file = /k\nrecords_spool = /s\n"
    static const struct bad_case cases[] = {
        {"devices_file = /d\napi.http_listen = 127.0.0.1:8080\n",
         "t.conf: the API (api.listen, api.http_listen) needs db_url: its tokens and data live in "
         "PostgreSQL"},
        {DBOK "api.listen = 0.0.0.0:8443\n", "t.conf: api.listen (HTTPS) needs api.tls_cert and api.tls_key"},
        {DBOK "api.listen = 0.0.0.0:8443\napi.tls_cert = /c\n",
         "t.conf: api.listen (HTTPS) needs api.tls_cert and api.tls_key"},
        {DBOK "api.listen = 127.0.0.1:8443\napi.http_listen = 127.0.0.1:8443\napi.tls_cert = /c\napi.tls_key "
              "= /k\n",
         "t.conf: address 127.0.0.1:8443 is in both api.listen and api.http_listen"},
    };
    expect_invalid(cases, sizeof cases / sizeof cases[0]);
    bsd_config_t cfg;
    ck_assert_int_eq(load(&cfg, DBOK
                          "api.listen = [::]:8443, 0.0.0.0:8443\napi.http_listen = [::1]:8080, "
                          "127.1.2.3:8080\napi.tls_cert = c.pem\napi.tls_key = /k.pem\napi.threads = 16\n"),
                     0);
    ck_assert_int_eq(config_validate(&cfg, err, sizeof err), 0);
    ck_assert_uint_eq(cfg.api.listen.count, 2);
    ck_assert_uint_eq(cfg.api.http_listen.count, 2);
    ck_assert_str_eq(cfg.api.tls_cert, "c.pem"); /* relative: kept as written by load_buffer */
    ck_assert_uint_eq(cfg.api.threads, 16);
    /* Environment overrides reach the api.* keys like any other. */
    char *env[] = {"BSD_API_THREADS=3", "BSD_API_HTTP_LISTEN=127.0.0.1:9", NULL};
    ck_assert_int_eq(config_apply_env(&cfg, env, err, sizeof err), 0);
    ck_assert_uint_eq(cfg.api.threads, 3);
    ck_assert_uint_eq(cfg.api.http_listen.count, 1);
    char *env_bad[] = {"BSD_API_HTTP_LISTEN=10.0.0.1:9", NULL};
    ck_assert_int_eq(config_apply_env(&cfg, env_bad, err, sizeof err), -EINVAL);
    ck_assert_ptr_nonnull(
        strstr(err, "environment BSD_API_HTTP_LISTEN: api.http_listen takes loopback addresses only"));
    char *out = dump(&cfg);
    ck_assert_ptr_nonnull(strstr(out, "api.listen = \"[::]:8443,0.0.0.0:8443\"\n"));
    ck_assert_ptr_nonnull(strstr(out, "api.http_listen = \"127.0.0.1:9\"\n"));
    ck_assert_ptr_nonnull(strstr(out, "api.max_import_mib = 256\n"));
    free(out);
    config_free(&cfg);
#undef DBOK
}
END_TEST

/* Database passwords never reach a dump or a message. */
START_TEST(test_redact_url)
{
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"postgresql://bsd:s3cret@db.example:5432/bsd", "postgresql://bsd:***@db.example:5432/bsd"},
        {"postgresql://bsd@db.example/bsd", "postgresql://bsd@db.example/bsd"},
        {"postgresql://bsd:@db.example/bsd", "postgresql://bsd:***@db.example/bsd"}, /* empty: once (fuzz) */
        {"postgresql:///bsd?host=/tmp", "postgresql:///bsd?host=/tmp"},
        {"host=db port=5432 password=s3cret user=bsd", "host=db port=5432 password=*** user=bsd"},
        {"password='a b\\' c' dbname=bsd", "password=*** dbname=bsd"},
        {"password='x\ty'm dbname=bsd", "password=*** dbname=bsd"}, /* glued to the quote (fuzz) */
        {"", ""},
    };
    char out[256];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        config_redact_url(cases[i].in, out, sizeof out);
        ck_assert_msg(strcmp(out, cases[i].want) == 0, "case %zu: got %s", i, out);
    }
    config_redact_url("postgresql://u:pw@h/d", out, 8); /* cut, still terminated, no password bytes */
    ck_assert_uint_lt(strlen(out), 8);
    ck_assert_ptr_null(strstr(out, "pw"));
    bsd_config_t cfg;
    ck_assert_int_eq(
        load(&cfg,
             "db_url = \"postgresql://bsd:s3cret@db/bsd\"\nsecret_keys_file = /k\nrecords_spool = /s\n"),
        0);
    char *buf = dump(&cfg);
    ck_assert_ptr_null(strstr(buf, "s3cret"));
    ck_assert_ptr_nonnull(strstr(buf, "db_url = \"postgresql://bsd:***@db/bsd\""));
    free(buf);
    config_free(&cfg);
}
END_TEST

START_TEST(test_dump_round_trip)
{
    bsd_config_t cfg, again;
    ck_assert_int_eq(load(&cfg, "listen = 127.0.0.1:5684,[::1]:5684\n"
                                "listen_coap = 127.0.0.1:5683\n"
                                "user = \"we\\\"ird\\\\ \\x01\\xff\"\n"
                                "devices_file = \"/dev files/devices.conf\"\n"
                                "dtls.handshake_timeout = 2m\n"
                                "log_level = warn\n"),
                     0);
    char *out = NULL, *out2 = NULL;
    size_t outlen = 0, outlen2 = 0;
    FILE *f = open_memstream(&out, &outlen);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(config_dump(&cfg, f), 0);
    fclose(f);
    ck_assert_ptr_nonnull(strstr(out, "listen = \"127.0.0.1:5684,[::1]:5684\"\n"));
    ck_assert_ptr_nonnull(strstr(out, "listen_coap = \"127.0.0.1:5683\"\n"));
    ck_assert_ptr_nonnull(strstr(out, "user = \"we\\\"ird\\\\ \\x01\\xff\"\n"));
    ck_assert_ptr_nonnull(strstr(out, "dtls.handshake_timeout = 120\n"));
    ck_assert_ptr_nonnull(strstr(out, "log_level = warn\n"));
    ck_assert_ptr_nonnull(strstr(out, "# dtls.cert_file is not set\n"));
    ck_assert_ptr_nonnull(strstr(out, "dtls.psk = true\n"));
    ck_assert_ptr_nonnull(strstr(out, "max_datagram = 1152\n"));

    ck_assert_int_eq(config_init_defaults(&again), 0);
    ck_assert_int_eq(config_load_buffer(&again, "dump", out, outlen, err, sizeof err), 0);
    f = open_memstream(&out2, &outlen2);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(config_dump(&again, f), 0);
    fclose(f);
    ck_assert_str_eq(out, out2);
    free(out);
    free(out2);
    config_free(&again);
    config_free(&cfg);
}
END_TEST

static Suite *config_suite(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("bad");
    tcase_add_loop_test(tc, test_bad_input, 0, (int)(sizeof bad_cases / sizeof bad_cases[0]));
    tcase_add_test(tc, test_file_too_large);
    tcase_add_test(tc, test_small_err_buffer);
    suite_add_tcase(s, tc);

    tc = tcase_create("good");
    tcase_add_test(tc, test_defaults);
    tcase_add_test(tc, test_full_file);
    tcase_add_test(tc, test_quoted_escapes);
    tcase_add_test(tc, test_value_limit);
    tcase_add_test(tc, test_relative_paths);
    tcase_add_test(tc, test_buffer_keeps_relative);
    suite_add_tcase(s, tc);

    tc = tcase_create("env");
    tcase_add_test(tc, test_env_precedence);
    tcase_add_loop_test(tc, test_env_errors, 0, (int)(sizeof env_cases / sizeof env_cases[0]));
    tcase_add_test(tc, test_env_too_long);
    suite_add_tcase(s, tc);

    tc = tcase_create("syntax");
    tcase_add_test(tc, test_durations);
    tcase_add_test(tc, test_bools);
    tcase_add_test(tc, test_addresses);
    tcase_add_test(tc, test_lex_decoders);
    tcase_add_test(tc, test_dump_round_trip);
    tcase_add_test(tc, test_redact_url);
    tcase_add_test(tc, test_validate_sources);
    tcase_add_test(tc, test_validate_api);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    bad_cases_init();
    SRunner *sr = srunner_create(config_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
