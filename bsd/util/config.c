/*
 * config.c — parsing and checking of bsd.conf and its BSD_* environment
 * overrides (contract in config.h, operator documentation in
 * docs/CONFIGURATION.md).
 *
 * All keys are described once, in config_keys[]: name, type, field, range.
 * The file parser, the environment overrides and config_dump() all walk that
 * table, so a new key is one table line plus its field and documentation.
 */
#include "bsd/util/config.h"

#include "bsd/util/lex.h"
#include "bsd/util/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum config_type {
    CT_ADDRS,    /* config_addr_list_t, comma-separated */
    CT_UINT,     /* unsigned, decimal, [min, max] */
    CT_DURATION, /* unsigned seconds, [min, max], s/m/h suffix */
    CT_BOOL,     /* bool */
    CT_STRING,   /* char *, may be "" */
    CT_PATH,     /* char *, "" = NULL, relative -> config_dir */
    CT_LEVEL,    /* int BSD_LOG_* */
};

#define CK_REQUIRED 1u /* CT_PATH: must not be empty; CT_ADDRS: at least one */
#define CK_URL      2u /* CT_STRING holding a database URL: its password is never dumped */
#define CK_LOOPBACK 4u /* CT_ADDRS: loopback addresses only (127.0.0.0/8, ::1) */

struct config_key {
    const char *name;
    enum config_type type;
    size_t off;   /* offset of the field in bsd_config_t */
    uint32_t min; /* CT_UINT / CT_DURATION */
    uint32_t max;
    unsigned flags;
};

#define CK_OFF(f) offsetof(bsd_config_t, f)

static const struct config_key config_keys[] = {
    {"listen", CT_ADDRS, CK_OFF(listen), 0, 0, CK_REQUIRED},
    {"listen_coap", CT_ADDRS, CK_OFF(listen_coap), 0, 0, 0},
    {"workers", CT_UINT, CK_OFF(workers), 0, 64, 0},
    {"user", CT_STRING, CK_OFF(user), 0, 0, 0},
    {"max_datagram", CT_UINT, CK_OFF(max_datagram), 256, 65507, 0},
    {"log_level", CT_LEVEL, CK_OFF(log_level), 0, 0, 0},
    {"devices_file", CT_PATH, CK_OFF(devices_file), 0, 0, 0},
    {"db_url", CT_STRING, CK_OFF(db_url), 0, 0, CK_URL},
    {"secret_keys_file", CT_PATH, CK_OFF(secret_keys_file), 0, 0, 0},
    {"records_spool", CT_PATH, CK_OFF(records_spool), 0, 0, 0},
    {"records_spool_max_mib", CT_UINT, CK_OFF(records_spool_max_mib), 1, 1048576, 0},
    {"bootstrap.max_per_device", CT_UINT, CK_OFF(bootstrap_max_per_device), 0, 65000, 0},
    {"bootstrap.device_window", CT_DURATION, CK_OFF(bootstrap_device_window), 60, 86400, 0},
    {"dtls.cert_file", CT_PATH, CK_OFF(dtls.cert_file), 0, 0, 0},
    {"dtls.key_file", CT_PATH, CK_OFF(dtls.key_file), 0, 0, 0},
    {"dtls.ca_file", CT_PATH, CK_OFF(dtls.ca_file), 0, 0, 0},
    {"dtls.psk", CT_BOOL, CK_OFF(dtls.psk), 0, 0, 0},
    {"dtls.rpk", CT_BOOL, CK_OFF(dtls.rpk), 0, 0, 0},
    {"dtls.x509", CT_BOOL, CK_OFF(dtls.x509), 0, 0, 0},
    {"dtls.handshake_timeout", CT_DURATION, CK_OFF(dtls.handshake_timeout), 1, 300, 0},
    {"dtls.idle_timeout", CT_DURATION, CK_OFF(dtls.idle_timeout), 5, 3600, 0},
    {"dtls.max_sessions", CT_UINT, CK_OFF(dtls.max_sessions), 1, 10000000, 0},
    {"dtls.handshake_rate", CT_UINT, CK_OFF(dtls.handshake_rate), 0, 1000000, 0},
    {"dtls.cookie_rotate", CT_DURATION, CK_OFF(dtls.cookie_rotate), 10, 86400, 0},
    {"api.listen", CT_ADDRS, CK_OFF(api.listen), 0, 0, 0},
    {"api.http_listen", CT_ADDRS, CK_OFF(api.http_listen), 0, 0, CK_LOOPBACK},
    {"api.tls_cert", CT_PATH, CK_OFF(api.tls_cert), 0, 0, 0},
    {"api.tls_key", CT_PATH, CK_OFF(api.tls_key), 0, 0, 0},
    {"api.threads", CT_UINT, CK_OFF(api.threads), 1, 16, 0},
    {"api.max_body_kib", CT_UINT, CK_OFF(api.max_body_kib), 1, 65536, 0},
    {"api.max_import_mib", CT_UINT, CK_OFF(api.max_import_mib), 1, 4096, 0},
    {"est.ca_cert", CT_PATH, CK_OFF(est.ca_cert), 0, 0, 0},
    {"est.ca_key", CT_PATH, CK_OFF(est.ca_key), 0, 0, 0},
    {"est.retry_after", CT_DURATION, CK_OFF(est.retry_after), 1, 3600, 0},
    {"diag_resources", CT_BOOL, CK_OFF(diag_resources), 0, 0, 0},
    {"pid_file", CT_PATH, CK_OFF(pid_file), 0, 0, 0},
    {"plans_file", CT_PATH, CK_OFF(plans_file), 0, 0, 0},
    {"records_file", CT_PATH, CK_OFF(records_file), 0, 0, 0},
};

#define CONFIG_NKEYS (sizeof config_keys / sizeof config_keys[0])

/* Longest address element accepted: "[" + INET6_ADDRSTRLEN + "]:65535". */
#define CONFIG_ADDR_TEXT_MAX 64
/* Longest environment variable name derived from a key. */
#define CONFIG_ENV_NAME_MAX 64
/* Marks "the whole value" as the offending part. */
#define CONFIG_WHOLE ((size_t)-1)

#define CONFIG_DEFAULT_LISTEN "0.0.0.0:5684,[::]:5684"

static void *config_field(bsd_config_t *cfg, const struct config_key *k)
{
    return (char *)cfg + k->off;
}

static const void *config_cfield(const bsd_config_t *cfg, const struct config_key *k)
{
    return (const char *)cfg + k->off;
}

static int config_lower(int c)
{
    return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

static bool config_eq_nocase(const char *s, size_t len, const char *word)
{
    size_t n = strlen(word);
    if (n != len) return false;
    for (size_t i = 0; i < n; i++)
        if (config_lower((unsigned char)s[i]) != word[i]) return false;
    return true;
}

int config_parse_bool(const char *s, size_t len, bool *out)
{
    static const char *const yes[] = {"true", "on", "yes", "1"};
    static const char *const no[] = {"false", "off", "no", "0"};
    if (s == NULL) return -EINVAL;
    for (size_t i = 0; i < 4; i++) {
        if (config_eq_nocase(s, len, yes[i])) {
            *out = true;
            return 0;
        }
        if (config_eq_nocase(s, len, no[i])) {
            *out = false;
            return 0;
        }
    }
    return -EINVAL;
}

int config_parse_duration(const char *s, size_t len, uint32_t *seconds)
{
    if (s == NULL || len == 0) return -EINVAL;
    uint64_t mul = 1;
    switch (s[len - 1]) {
    case 's': len--; break;
    case 'm':
        mul = 60;
        len--;
        break;
    case 'h':
        mul = 3600;
        len--;
        break;
    default: break;
    }
    uint64_t v;
    int r = lex_parse_uint(s, len, UINT32_MAX, &v);
    if (r < 0) return r;
    if (v > UINT32_MAX / mul) return -ERANGE;
    *seconds = (uint32_t)(v * mul);
    return 0;
}

int config_parse_addr(const char *text, struct sockaddr_storage *out, socklen_t *outlen)
{
    if (text == NULL || out == NULL || outlen == NULL) return -EINVAL;
    memset(out, 0, sizeof *out);

    const char *host, *hend, *port;
    int family;
    if (text[0] == '[') {
        host = text + 1;
        hend = strchr(host, ']');
        if (hend == NULL || hend[1] != ':') return -EINVAL;
        port = hend + 2;
        family = AF_INET6;
    } else {
        hend = strrchr(text, ':');
        if (hend == NULL) return -EINVAL;
        /* An unbracketed IPv6 address has more than one ':'. */
        if (memchr(text, ':', (size_t)(hend - text)) != NULL) return -EINVAL;
        host = text;
        port = hend + 1;
        family = AF_INET;
    }

    char hbuf[INET6_ADDRSTRLEN];
    size_t hlen = (size_t)(hend - host);
    if (hlen == 0 || hlen >= sizeof hbuf) return -EINVAL;
    memcpy(hbuf, host, hlen);
    hbuf[hlen] = '\0';

    uint64_t pnum;
    if (lex_parse_uint(port, strlen(port), 65535, &pnum) != 0) return -EINVAL;

    if (family == AF_INET) {
        struct sockaddr_in *sin = (struct sockaddr_in *)out;
        if (inet_pton(AF_INET, hbuf, &sin->sin_addr) != 1) return -EINVAL;
        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)pnum);
        *outlen = sizeof *sin;
    } else {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)out;
        if (inet_pton(AF_INET6, hbuf, &sin6->sin6_addr) != 1) return -EINVAL;
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t)pnum);
        *outlen = sizeof *sin6;
    }
    return 0;
}

int config_format_addr(const struct sockaddr_storage *ss, char *out, size_t cap)
{
    char host[INET6_ADDRSTRLEN];
    int r;
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
        if (inet_ntop(AF_INET, &sin->sin_addr, host, sizeof host) == NULL) return -EAFNOSUPPORT;
        r = snprintf(out, cap, "%s:%u", host, (unsigned)ntohs(sin->sin_port));
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;
        if (inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof host) == NULL) return -EAFNOSUPPORT;
        r = snprintf(out, cap, "[%s]:%u", host, (unsigned)ntohs(sin6->sin6_port));
    } else {
        return -EAFNOSUPPORT;
    }
    if (r < 0 || (size_t)r >= cap) return -ENOSPC;
    return 0;
}

static bool config_addr_equal(const config_addr_t *a, const config_addr_t *b)
{
    return a->len == b->len && memcmp(&a->ss, &b->ss, a->len) == 0;
}

/* 127.0.0.0/8 or ::1: reachable from this host only. */
static bool config_addr_loopback(const config_addr_t *a)
{
    if (a->ss.ss_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)&a->ss)->sin_addr.s_addr) >> 24) == 127;
    return a->ss.ss_family == AF_INET6 &&
           IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)&a->ss)->sin6_addr);
}

static bool config_is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Parses a comma-separated address list; |*bad| = offset of the bad element. */
static int config_set_addrs(config_addr_list_t *dst, const struct config_key *k, const char *v, size_t len,
                            size_t *bad, char *msg, size_t msgcap)
{
    config_addr_list_t list;
    memset(&list, 0, sizeof list);
    size_t pos = 0;
    while (len > 0) {
        size_t comma = pos;
        while (comma < len && v[comma] != ',')
            comma++;
        size_t s = pos, e = comma;
        while (s < e && config_is_blank(v[s]))
            s++;
        while (e > s && config_is_blank(v[e - 1]))
            e--;
        *bad = s;
        if (s == e) {
            lex_errorf(msg, msgcap, "empty entry in %s", k->name);
            return -EINVAL;
        }
        if (list.count == CONFIG_LISTEN_MAX) {
            lex_errorf(msg, msgcap, "too many addresses in %s (max %d)", k->name, CONFIG_LISTEN_MAX);
            return -EINVAL;
        }
        char text[CONFIG_ADDR_TEXT_MAX];
        config_addr_t *a = &list.addr[list.count];
        if (e - s >= sizeof text ||
            (memcpy(text, v + s, e - s), text[e - s] = '\0', config_parse_addr(text, &a->ss, &a->len) != 0)) {
            lex_errorf(msg, msgcap, "invalid address in %s (expected a.b.c.d:port or [ipv6]:port, numeric)",
                       k->name);
            return -EINVAL;
        }
        if ((k->flags & CK_LOOPBACK) && !config_addr_loopback(a)) {
            lex_errorf(msg, msgcap,
                       "%s takes loopback addresses only (127.0.0.0/8 or [::1]): plain HTTP carries "
                       "bearer tokens in clear; use api.listen (HTTPS) for other addresses",
                       k->name);
            return -EINVAL;
        }
        for (size_t i = 0; i < list.count; i++) {
            if (config_addr_equal(&list.addr[i], a)) {
                lex_errorf(msg, msgcap, "duplicate address in %s", k->name);
                return -EINVAL;
            }
        }
        list.count++;
        if (comma == len) break;
        pos = comma + 1;
    }
    if (list.count == 0 && (k->flags & CK_REQUIRED)) {
        *bad = CONFIG_WHOLE;
        lex_errorf(msg, msgcap, "%s needs at least one address", k->name);
        return -EINVAL;
    }
    *dst = list;
    return 0;
}

/* Resolves |v| against cfg->config_dir into a new string. */
static int config_resolve_path(const bsd_config_t *cfg, const char *v, size_t len, char **out)
{
    const char *dir = cfg->config_dir;
    if (v[0] == '/' || dir == NULL || dir[0] == '\0') {
        if (len >= PATH_MAX) return -ENAMETOOLONG;
        *out = strndup(v, len);
        return *out ? 0 : -ENOMEM;
    }
    size_t dlen = strlen(dir);
    const char *sep = (dlen > 0 && dir[dlen - 1] == '/') ? "" : "/";
    char buf[PATH_MAX];
    int r = snprintf(buf, sizeof buf, "%s%s%.*s", dir, sep, (int)len, v);
    if (r < 0 || (size_t)r >= sizeof buf) return -ENAMETOOLONG;
    *out = strdup(buf);
    return *out ? 0 : -ENOMEM;
}

/*
 * Applies value |v| (|len| bytes, NUL-free) to key |k|.  On error |msg| holds
 * the message and |*bad| the offset of the offending part (CONFIG_WHOLE for
 * the whole value).
 */
static int config_set(bsd_config_t *cfg, const struct config_key *k, const char *v, size_t len, size_t *bad,
                      char *msg, size_t msgcap)
{
    void *field = config_field(cfg, k);
    *bad = CONFIG_WHOLE;
    switch (k->type) {
    case CT_ADDRS: return config_set_addrs(field, k, v, len, bad, msg, msgcap);
    case CT_UINT: {
        uint64_t n;
        if (lex_parse_uint(v, len, k->max, &n) != 0 || n < k->min) {
            lex_errorf(msg, msgcap, "%s must be an integer in %u..%u", k->name, (unsigned)k->min,
                       (unsigned)k->max);
            return -EINVAL;
        }
        *(unsigned *)field = (unsigned)n;
        return 0;
    }
    case CT_DURATION: {
        uint32_t secs;
        if (config_parse_duration(v, len, &secs) != 0 || secs < k->min || secs > k->max) {
            lex_errorf(msg, msgcap, "%s must be a duration of %u..%u seconds (e.g. 30, 30s, 5m, 1h)", k->name,
                       (unsigned)k->min, (unsigned)k->max);
            return -EINVAL;
        }
        *(unsigned *)field = secs;
        return 0;
    }
    case CT_BOOL:
        if (config_parse_bool(v, len, field) != 0) {
            lex_errorf(msg, msgcap, "%s must be true/false, on/off, yes/no or 1/0", k->name);
            return -EINVAL;
        }
        return 0;
    case CT_LEVEL: {
        char word[8];
        int lvl = -EINVAL;
        if (len < sizeof word) {
            memcpy(word, v, len);
            word[len] = '\0';
            lvl = log_level_parse(word);
        }
        if (lvl < 0) {
            lex_errorf(msg, msgcap, "%s must be debug, info, warn or error", k->name);
            return -EINVAL;
        }
        *(int *)field = lvl;
        return 0;
    }
    case CT_STRING: {
        char *s = strndup(v, len);
        if (s == NULL) {
            lex_errorf(msg, msgcap, "out of memory");
            return -ENOMEM;
        }
        free(*(char **)field);
        *(char **)field = s;
        return 0;
    }
    case CT_PATH: {
        char *s = NULL;
        if (len == 0) {
            if (k->flags & CK_REQUIRED) {
                lex_errorf(msg, msgcap, "%s must not be empty", k->name);
                return -EINVAL;
            }
        } else {
            int r = config_resolve_path(cfg, v, len, &s);
            if (r == -ENAMETOOLONG) {
                lex_errorf(msg, msgcap, "%s: path too long once resolved (max %d bytes)", k->name,
                           PATH_MAX - 1);
                return r;
            }
            if (r < 0) {
                lex_errorf(msg, msgcap, "out of memory");
                return r;
            }
        }
        free(*(char **)field);
        *(char **)field = s;
        return 0;
    }
    }
    lex_errorf(msg, msgcap, "internal error: bad key type");
    return -EINVAL;
}

/* Keys are lower-case dotted names: [a-z][a-z0-9_]* separated by single dots. */
static bool config_key_syntax_ok(const char *s, size_t len)
{
    bool seg_start = true;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (seg_start) {
            if (c < 'a' || c > 'z') return false;
            seg_start = false;
        } else if (c == '.') {
            seg_start = true;
        } else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
            return false;
        }
    }
    return len > 0 && !seg_start;
}

static const struct config_key *config_find_key(const char *s, size_t len)
{
    for (size_t i = 0; i < CONFIG_NKEYS; i++)
        if (strlen(config_keys[i].name) == len && memcmp(config_keys[i].name, s, len) == 0)
            return &config_keys[i];
    return NULL;
}

/* Parses one non-blank line; |seen| holds the line each key was set on. */
static int config_parse_line(bsd_config_t *cfg, lex_line_t *l, lex_value_t *v, unsigned seen[CONFIG_NKEYS],
                             lex_error_t *e)
{
    size_t ks = l->pos;
    while (l->pos < l->len && l->p[l->pos] != '=' && !config_is_blank(l->p[l->pos]))
        l->pos++;
    size_t klen = l->pos - ks;
    const char *key = l->p + ks;
    unsigned kcol = (unsigned)ks + 1;
    if (klen == 0) return lex_fail(e, l->lineno, kcol, "missing key before '='");
    if (!config_key_syntax_ok(key, klen))
        return lex_fail(e, l->lineno, kcol,
                        "invalid key (keys are lower-case dotted names like dtls.cert_file)");
    if (lex_skip_blank(l) || l->p[l->pos] != '=')
        return lex_fail(e, l->lineno, lex_col(l), "expected '=' after key");
    const struct config_key *k = config_find_key(key, klen);
    if (k == NULL) return lex_fail(e, l->lineno, kcol, "unknown key '%.*s'", klen > 64 ? 64 : (int)klen, key);
    size_t ki = (size_t)(k - config_keys);
    if (seen[ki] != 0)
        return lex_fail(e, l->lineno, kcol, "duplicate key '%s' (first set on line %u)", k->name, seen[ki]);
    seen[ki] = l->lineno;

    l->pos++; /* '=' */
    (void)lex_skip_blank(l);
    int r = lex_read_value(l, v, LEX_VALUE_REST, e);
    if (r < 0) return r;
    if (v->len > CONFIG_VALUE_MAX)
        return lex_fail(e, l->lineno, v->col[CONFIG_VALUE_MAX], "value too long (max %d bytes)",
                        CONFIG_VALUE_MAX);
    const char *nul = memchr(v->s, '\0', v->len);
    if (nul != NULL) return lex_fail(e, l->lineno, v->col[nul - v->s], "NUL byte not allowed in value");

    char msg[LEX_MSG_MAX];
    size_t bad;
    r = config_set(cfg, k, v->s, v->len, &bad, msg, sizeof msg);
    if (r < 0) {
        unsigned col = bad == CONFIG_WHOLE ? v->start_col : v->col[bad];
        lex_fail(e, l->lineno, col, "%s", msg);
        return r;
    }
    return 0;
}

static int config_set_source(bsd_config_t *cfg, const char *name)
{
    char *s = strdup(name ? name : "-");
    if (s == NULL) return -ENOMEM;
    free(cfg->source);
    cfg->source = s;
    return 0;
}

int config_load_buffer(bsd_config_t *cfg, const char *name, const char *buf, size_t len, char *err,
                       size_t errcap)
{
    lex_error_t e = {0};
    if (name == NULL) name = "-";
    if (len > CONFIG_FILE_MAX) {
        lex_errorf(err, errcap, "%s: file too large (max %d bytes)", name, CONFIG_FILE_MAX);
        return -EFBIG;
    }
    if (config_set_source(cfg, name) < 0) {
        lex_errorf(err, errcap, "%s: out of memory", name);
        return -ENOMEM;
    }
    lex_value_t *v = malloc(sizeof *v);
    if (v == NULL) {
        lex_errorf(err, errcap, "%s: out of memory", name);
        return -ENOMEM;
    }
    unsigned seen[CONFIG_NKEYS] = {0};
    lex_reader_t rd;
    lex_line_t line;
    lex_reader_init(&rd, buf, len);
    int r;
    while ((r = lex_next_line(&rd, &line, &e)) > 0) {
        if (lex_skip_blank(&line)) continue;
        r = config_parse_line(cfg, &line, v, seen, &e);
        if (r < 0) break;
    }
    free(v);
    if (r < 0) {
        if (r == -ENOMEM)
            lex_errorf(err, errcap, "%s: out of memory", name);
        else
            lex_format_error(err, errcap, name, &e);
        return r;
    }
    return 0;
}

/* Sets cfg->config_dir to the absolute directory that holds |path|. */
static int config_set_dir(bsd_config_t *cfg, const char *path)
{
    const char *slash = strrchr(path, '/');
    char dir[PATH_MAX];
    int r;
    if (slash == path) {
        r = snprintf(dir, sizeof dir, "/");
    } else if (slash != NULL && path[0] == '/') {
        r = snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    } else {
        char cwd[PATH_MAX];
        if (getcwd(cwd, sizeof cwd) == NULL) return -errno;
        const char *sep = strcmp(cwd, "/") == 0 ? "" : "/";
        if (slash == NULL)
            r = snprintf(dir, sizeof dir, "%s", cwd);
        else
            r = snprintf(dir, sizeof dir, "%s%s%.*s", cwd, sep, (int)(slash - path), path);
    }
    if (r < 0 || (size_t)r >= sizeof dir) return -ENAMETOOLONG;
    char *d = strdup(dir);
    if (d == NULL) return -ENOMEM;
    free(cfg->config_dir);
    cfg->config_dir = d;
    return 0;
}

int config_load_file(bsd_config_t *cfg, const char *path, char *err, size_t errcap)
{
    if (path == NULL) {
        lex_errorf(err, errcap, "configuration file path missing");
        return -EINVAL;
    }
    char *buf;
    size_t len;
    int r = lex_load_file(path, CONFIG_FILE_MAX, &buf, &len, NULL, err, errcap);
    if (r < 0) return r;
    r = config_set_dir(cfg, path);
    if (r < 0) {
        lex_errorf(err, errcap, "%s: cannot determine the file's directory: %s", path, strerror(-r));
        free(buf);
        return r;
    }
    r = config_load_buffer(cfg, path, buf, len, err, errcap);
    free(buf);
    return r;
}

/* "dtls.cert_file" -> "BSD_DTLS_CERT_FILE". */
static int config_env_name(const char *key, char *out, size_t cap)
{
    int r = snprintf(out, cap, "BSD_%s", key);
    if (r < 0 || (size_t)r >= cap) return -ENAMETOOLONG;
    for (char *p = out; *p; p++) {
        if (*p == '.')
            *p = '_';
        else if (*p >= 'a' && *p <= 'z')
            *p = (char)(*p - 'a' + 'A');
    }
    return 0;
}

int config_apply_env(bsd_config_t *cfg, char *const *envp, char *err, size_t errcap)
{
    for (size_t i = 0; envp != NULL && i < CONFIG_NKEYS; i++) {
        const struct config_key *k = &config_keys[i];
        char name[CONFIG_ENV_NAME_MAX];
        if (config_env_name(k->name, name, sizeof name) < 0) {
            lex_errorf(err, errcap, "internal error: key name too long");
            return -ENAMETOOLONG;
        }
        size_t nlen = strlen(name);
        const char *val = NULL;
        for (char *const *ep = envp; *ep != NULL; ep++) {
            if (strncmp(*ep, name, nlen) == 0 && (*ep)[nlen] == '=') {
                val = *ep + nlen + 1;
                break;
            }
        }
        if (val == NULL) continue;
        size_t vlen = strlen(val);
        if (vlen > CONFIG_VALUE_MAX) {
            lex_errorf(err, errcap, "environment %s: value too long (max %d bytes)", name, CONFIG_VALUE_MAX);
            return -EINVAL;
        }
        char msg[LEX_MSG_MAX];
        size_t bad;
        int r = config_set(cfg, k, val, vlen, &bad, msg, sizeof msg);
        if (r < 0) {
            lex_errorf(err, errcap, "environment %s: %s", name, msg);
            return r;
        }
    }
    return config_validate(cfg, err, errcap);
}

/* True (with a message) when an address is in both |a| and |b|. */
static bool config_lists_overlap(const config_addr_list_t *a, const config_addr_list_t *b, const char *an,
                                 const char *bn, const char *src, char *err, size_t errcap)
{
    for (size_t i = 0; i < a->count; i++) {
        for (size_t j = 0; j < b->count; j++) {
            if (config_addr_equal(&a->addr[i], &b->addr[j])) {
                char t[64];
                if (config_format_addr(&a->addr[i].ss, t, sizeof t) != 0) snprintf(t, sizeof t, "?");
                lex_errorf(err, errcap, "%s: address %s is in both %s and %s", src, t, an, bn);
                return true;
            }
        }
    }
    return false;
}

int config_validate(const bsd_config_t *cfg, char *err, size_t errcap)
{
    const char *src = cfg->source ? cfg->source : "configuration";
    bool db = cfg->db_url != NULL && cfg->db_url[0] != 0;
    if (cfg->devices_file == NULL && !db) {
        lex_errorf(err, errcap,
                   "%s: set db_url (PostgreSQL) or devices_file (or BSD_DB_URL / BSD_DEVICES_FILE)", src);
        return -EINVAL;
    }
    if (db && (cfg->devices_file != NULL || cfg->plans_file != NULL)) {
        lex_errorf(err, errcap,
                   "%s: with db_url, devices and policies come from PostgreSQL: "
                   "remove devices_file and plans_file",
                   src);
        return -EINVAL;
    }
    if (db && cfg->records_spool == NULL) {
        lex_errorf(err, errcap,
                   "%s: db_url needs records_spool (a directory where session records wait for "
                   "PostgreSQL)",
                   src);
        return -EINVAL;
    }
    /* The keyring may also come as text in BSD_SECRET_KEYS (a Kubernetes
     * Secret in the environment: mounted files there are group-readable). */
    if (db && cfg->secret_keys_file == NULL &&
        (!getenv("BSD_SECRET_KEYS") || !getenv("BSD_SECRET_KEYS")[0])) {
        lex_errorf(err, errcap, "%s: db_url needs secret_keys_file (the keys that seal secrets at rest)",
                   src);
        return -EINVAL;
    }
    if (cfg->listen.count == 0) {
        lex_errorf(err, errcap, "%s: listen needs at least one address", src);
        return -EINVAL;
    }
    if (cfg->dtls.cert_file != NULL && cfg->dtls.key_file == NULL) {
        lex_errorf(err, errcap, "%s: dtls.cert_file is set but dtls.key_file is not", src);
        return -EINVAL;
    }
    if (config_lists_overlap(&cfg->listen, &cfg->listen_coap, "listen", "listen_coap", src, err, errcap) ||
        config_lists_overlap(&cfg->api.listen, &cfg->api.http_listen, "api.listen", "api.http_listen", src,
                             err, errcap))
        return -EINVAL;
    bool api = cfg->api.listen.count > 0 || cfg->api.http_listen.count > 0;
    if (api && !db) {
        lex_errorf(err, errcap,
                   "%s: the API (api.listen, api.http_listen) needs db_url: its tokens and data live in "
                   "PostgreSQL",
                   src);
        return -EINVAL;
    }
    if (cfg->api.listen.count > 0 && (cfg->api.tls_cert == NULL || cfg->api.tls_key == NULL)) {
        lex_errorf(err, errcap, "%s: api.listen (HTTPS) needs api.tls_cert and api.tls_key", src);
        return -EINVAL;
    }
    if ((cfg->est.ca_cert == NULL) != (cfg->est.ca_key == NULL)) {
        lex_errorf(err, errcap, "%s: the EST CA needs both est.ca_cert and est.ca_key", src);
        return -EINVAL;
    }
    if (cfg->est.ca_cert && !db) {
        lex_errorf(err, errcap,
                   "%s: the EST CA (est.ca_cert) needs db_url: every certificate it issues is recorded in "
                   "PostgreSQL before it is sent",
                   src);
        return -EINVAL;
    }
    return 0;
}

int config_init_defaults(bsd_config_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    const struct config_key *k = config_find_key("listen", 6);
    size_t bad;
    char msg[LEX_MSG_MAX];
    if (k == NULL ||
        config_set(cfg, k, CONFIG_DEFAULT_LISTEN, strlen(CONFIG_DEFAULT_LISTEN), &bad, msg, sizeof msg) != 0)
        return -EINVAL; /* cannot happen: the default is a constant */
    cfg->listen_coap.count = 0;
    cfg->workers = 0;
    cfg->user = strdup("bsd");
    if (cfg->user == NULL) return -ENOMEM;
    cfg->max_datagram = 1152;
    cfg->log_level = BSD_LOG_INFO;
    cfg->dtls.psk = true;
    cfg->dtls.rpk = true;
    cfg->dtls.x509 = true;
    cfg->dtls.handshake_timeout = 30;
    cfg->dtls.idle_timeout = 120;
    cfg->dtls.max_sessions = 100000;
    cfg->dtls.handshake_rate = 20;
    cfg->dtls.cookie_rotate = 300;
    cfg->diag_resources = false;
    cfg->records_spool_max_mib = 1024;
    cfg->bootstrap_max_per_device = 20;
    cfg->bootstrap_device_window = 3600;
    cfg->api.threads = 2;
    cfg->api.max_body_kib = 1024;
    cfg->api.max_import_mib = 256;
    cfg->est.retry_after = 30;
    return 0;
}

void config_redact_url(const char *url, char *out, size_t cap)
{
    if (cap == 0) return;
    size_t o = 0, n = strlen(url);
    const char *scheme = strstr(url, "://");
    const char *at = scheme ? strchr(scheme + 3, '@') : NULL;
    const char *colon = at ? memchr(scheme + 3, ':', (size_t)(at - scheme - 3)) : NULL;
    for (size_t i = 0; i < n && o + 4 < cap; i++) {
        if (colon && url + i == colon + 1) { /* URI form: user:PASSWORD@host (once, also when empty) */
            memcpy(out + o, "***", 3);
            o += 3;
            colon = NULL;
            i = (size_t)(at - url) - 1;
            continue;
        }
        if (!scheme && strncmp(url + i, "password=", 9) == 0 && (i == 0 || url[i - 1] == ' ')) {
            if (o + 13 >= cap) break;
            memcpy(out + o, "password=***", 12);
            o += 12;
            i += 9;
            if (i < n && url[i] == '\'') { /* quoted value */
                for (i++; i < n && url[i] != '\''; i++)
                    if (url[i] == '\\') i++;
                if (i < n) i++; /* the closing quote */
            }
            /* Whatever is glued to the value belongs to it (libpq separates
             * keywords with blanks), so redacting twice changes nothing. */
            while (i < n && url[i] != ' ')
                i++;
            i--;
            continue;
        }
        out[o++] = url[i];
    }
    out[o] = 0;
}

/* Prints |s| as a quoted value that config_load_* reads back unchanged. */
static void config_dump_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", f);
        else if (*p == '\t')
            fputs("\\t", f);
        else if (*p < 0x20 || *p >= 0x7f)
            fprintf(f, "\\x%02x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

/* Prints a database URL with its password replaced: "postgresql://u:***@h/db",
 * and "password=***" in a keyword/value conninfo. */
static void config_dump_url(FILE *f, const char *s)
{
    char buf[1024];
    config_redact_url(s ? s : "", buf, sizeof buf);
    config_dump_str(f, buf);
}

int config_dump(const bsd_config_t *cfg, FILE *f)
{
    for (size_t i = 0; i < CONFIG_NKEYS; i++) {
        const struct config_key *k = &config_keys[i];
        const void *field = config_cfield(cfg, k);
        if (k->type == CT_PATH && *(char *const *)field == NULL) {
            fprintf(f, "# %s is not set\n", k->name);
            continue;
        }
        fprintf(f, "%s = ", k->name);
        switch (k->type) {
        case CT_ADDRS: {
            const config_addr_list_t *list = field;
            fputc('"', f);
            for (size_t j = 0; j < list->count; j++) {
                char a[64];
                if (config_format_addr(&list->addr[j].ss, a, sizeof a) != 0) return -EIO;
                fprintf(f, "%s%s", j ? "," : "", a);
            }
            fputc('"', f);
            break;
        }
        case CT_UINT:
        case CT_DURATION: fprintf(f, "%u", *(const unsigned *)field); break;
        case CT_BOOL: fputs(*(const bool *)field ? "true" : "false", f); break;
        case CT_LEVEL: fputs(log_level_name(*(const int *)field), f); break;
        case CT_STRING:
            if (k->flags & CK_URL) {
                config_dump_url(f, *(char *const *)field);
                break;
            }
            /* fall through */
        case CT_PATH: config_dump_str(f, *(char *const *)field); break;
        }
        fputc('\n', f);
    }
    if (fflush(f) != 0 || ferror(f)) return -EIO;
    return 0;
}

void config_free(bsd_config_t *cfg)
{
    if (cfg == NULL) return;
    free(cfg->user);
    free(cfg->devices_file);
    free(cfg->db_url);
    free(cfg->secret_keys_file);
    free(cfg->records_spool);
    free(cfg->dtls.cert_file);
    free(cfg->dtls.key_file);
    free(cfg->dtls.ca_file);
    free(cfg->api.tls_cert);
    free(cfg->api.tls_key);
    free(cfg->est.ca_cert);
    free(cfg->est.ca_key);
    free(cfg->pid_file);
    free(cfg->plans_file);
    free(cfg->records_file);
    free(cfg->config_dir);
    free(cfg->source);
    memset(cfg, 0, sizeof *cfg);
}
