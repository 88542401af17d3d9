/*
 * bsctl_settings.c — parsing bsctl's config file and choosing the API
 * settings (contract in bsctl_settings.h). No I/O here besides what the
 * caller's |exists| callback does; bsctl_api.c reads the files.
 */
#include "tools/bsctl/bsctl_settings.h"

#include "bsd/util/lex.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- checks on single values ------------------------------------------------------- */

static bool bsctl_is_loopback(const char *host, size_t n, bool bracketed)
{
    char h[64];
    if (n == 0 || n >= sizeof h) return false;
    memcpy(h, host, n);
    h[n] = 0;
    if (bracketed) {
        struct in6_addr a6;
        return inet_pton(AF_INET6, h, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
    }
    if (strcasecmp(h, "localhost") == 0) return true;
    struct in_addr a4;
    return inet_pton(AF_INET, h, &a4) == 1 && (ntohl(a4.s_addr) >> 24) == 127;
}

int bsctl_server_check(const char *url, char *out, size_t cap, char *err, size_t errcap)
{
    size_t len = strlen(url);
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)url[i] <= 0x20 || (unsigned char)url[i] >= 0x7f) {
            lex_errorf(err, errcap, "server URL: no blanks, control or non-ASCII bytes allowed");
            return -EINVAL;
        }
    bool tls = strncasecmp(url, "https://", 8) == 0;
    if (!tls && strncasecmp(url, "http://", 7) != 0) {
        lex_errorf(err, errcap, "server URL must start with https:// (or http:// to a loopback address)");
        return -EINVAL;
    }
    const char *auth = url + (tls ? 8 : 7);
    size_t alen = strcspn(auth, "/?#");
    if (strpbrk(auth, "?#") != NULL) {
        lex_errorf(err, errcap, "server URL: no query or fragment allowed");
        return -EINVAL;
    }
    if (memchr(auth, '@', alen) != NULL) {
        lex_errorf(err, errcap,
                   "server URL: no user info allowed (the token goes in --token or a token file)");
        return -EINVAL;
    }
    const char *host = auth;
    size_t hlen;
    bool bracketed = auth[0] == '[';
    if (bracketed) {
        const char *close = memchr(auth, ']', alen);
        if (close == NULL) {
            lex_errorf(err, errcap, "server URL: unterminated '[' in the host");
            return -EINVAL;
        }
        host = auth + 1;
        hlen = (size_t)(close - host);
        if (close + 1 != auth + alen && close[1] != ':') {
            lex_errorf(err, errcap, "server URL: expected ':' or '/' after ']'");
            return -EINVAL;
        }
    } else {
        const char *colon = memchr(auth, ':', alen);
        hlen = colon ? (size_t)(colon - auth) : alen;
    }
    if (hlen == 0) {
        lex_errorf(err, errcap, "server URL: no host");
        return -EINVAL;
    }
    const char *port = host + hlen + (bracketed ? 1 : 0);
    if (port < auth + alen) { /* ":digits" */
        uint64_t p;
        if (lex_parse_uint(port + 1, (size_t)(auth + alen - port - 1), 65535, &p) != 0 || p == 0) {
            lex_errorf(err, errcap, "server URL: the port must be a number in 1..65535");
            return -EINVAL;
        }
    }
    if (!tls && !bsctl_is_loopback(host, hlen, bracketed)) {
        lex_errorf(err, errcap,
                   "server URL: plain http:// only to a loopback address (localhost, 127.0.0.1, [::1]); "
                   "a token must not cross a network in clear: use https://");
        return -EINVAL;
    }
    while (len > 0 && url[len - 1] == '/' && len > (size_t)(auth - url) + alen)
        len--;
    if (len >= cap) {
        lex_errorf(err, errcap, "server URL longer than %zu bytes", cap - 1);
        return -EINVAL;
    }
    memcpy(out, url, len);
    out[len] = 0;
    return 0;
}

int bsctl_token_check(const char *token, char *err, size_t errcap)
{
    size_t n = strlen(token);
    if (n == 0 || n >= BSCTL_TOKEN_MAX) {
        lex_errorf(err, errcap, "the token must be 1..%d bytes", BSCTL_TOKEN_MAX - 1);
        return -EINVAL;
    }
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)token[i] <= 0x20 || (unsigned char)token[i] >= 0x7f) {
            lex_errorf(err, errcap, "the token holds a blank, control or non-ASCII byte at offset %zu", i);
            return -EINVAL;
        }
    return 0;
}

void bsctl_token_trim(char *s, size_t *len)
{
    while (*len > 0 && strchr(" \t\r\n", s[*len - 1]) != NULL)
        s[--*len] = 0;
}

/* ---- the config file --------------------------------------------------------------- */

enum { K_SERVER, K_TOKEN, K_TOKEN_FILE, K_CACERT, K_N };
static const char *const bsctl_conf_keys[K_N] = {"server", "token", "token_file", "cacert"};

/* Writes |v| as a path: "~/" from |home|, relative from the directory of |name|. */
static int bsctl_conf_path(const char *name, const char *home, const char *v, char *out, size_t cap)
{
    int n;
    if (v[0] == '/') {
        n = snprintf(out, cap, "%s", v);
    } else if (v[0] == '~' && v[1] == '/') {
        if (home == NULL || home[0] == 0) return -ENOENT;
        n = snprintf(out, cap, "%s%s", home, v + 1);
    } else {
        const char *slash = strrchr(name, '/');
        n = slash ? snprintf(out, cap, "%.*s/%s", (int)(slash - name), name, v) : snprintf(out, cap, "%s", v);
    }
    return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

static int bsctl_conf_value(bsctl_conf_t *c, int k, const char *name, const char *home, const lex_value_t *v,
                            unsigned line, lex_error_t *e)
{
    char msg[LEX_MSG_MAX];
    unsigned col = v->start_col;
    if (v->len == 0 || memchr(v->s, 0, v->len) != NULL)
        return lex_fail(e, line, col, "%s needs a value without NUL bytes", bsctl_conf_keys[k]);
    switch (k) {
    case K_SERVER:
        if (bsctl_server_check(v->s, c->server, sizeof c->server, msg, sizeof msg) < 0)
            return lex_fail(e, line, col, "%s", msg);
        return 0;
    case K_TOKEN:
        if (bsctl_token_check(v->s, msg, sizeof msg) < 0) return lex_fail(e, line, col, "%s", msg);
        memcpy(c->token, v->s, v->len + 1); /* bsctl_token_check bounded it */
        return 0;
    default: {
        char *dst = k == K_CACERT ? c->cacert : c->token_file;
        int r = bsctl_conf_path(name, home, v->s, dst, BSCTL_PATH_MAX);
        if (r == -ENOENT) return lex_fail(e, line, col, "%s: '~/' needs $HOME", bsctl_conf_keys[k]);
        if (r < 0) return lex_fail(e, line, col, "%s: path too long", bsctl_conf_keys[k]);
        return 0;
    }
    }
}

static int bsctl_conf_line(bsctl_conf_t *c, lex_line_t *l, lex_value_t *v, unsigned seen[K_N],
                           const char *name, const char *home, lex_error_t *e)
{
    unsigned kcol = lex_col(l);
    size_t start = l->pos;
    while (l->pos < l->len && (l->p[l->pos] == '_' || (l->p[l->pos] >= 'a' && l->p[l->pos] <= 'z')))
        l->pos++;
    size_t klen = l->pos - start;
    if (klen == 0) return lex_fail(e, l->lineno, kcol, "expected a key (server, token, token_file, cacert)");
    int k = 0;
    while (k < K_N &&
           (strlen(bsctl_conf_keys[k]) != klen || memcmp(bsctl_conf_keys[k], l->p + start, klen) != 0))
        k++;
    if (lex_skip_blank(l) || l->p[l->pos] != '=')
        return lex_fail(e, l->lineno, lex_col(l), "expected '=' after the key");
    if (k == K_N)
        return lex_fail(e, l->lineno, kcol, "unknown key '%.*s' (server, token, token_file, cacert)",
                        klen > 32 ? 32 : (int)klen, l->p + start);
    if (seen[k])
        return lex_fail(e, l->lineno, kcol, "%s set twice (first on line %u)", bsctl_conf_keys[k], seen[k]);
    int other = k == K_TOKEN ? K_TOKEN_FILE : k == K_TOKEN_FILE ? K_TOKEN : -1;
    if (other >= 0 && seen[other])
        return lex_fail(e, l->lineno, kcol, "token and token_file exclude each other (%s on line %u)",
                        bsctl_conf_keys[other], seen[other]);
    seen[k] = l->lineno;
    l->pos++;
    (void)lex_skip_blank(l);
    int r = lex_read_value(l, v, LEX_VALUE_REST, e);
    if (r < 0) return r;
    return bsctl_conf_value(c, k, name, home, v, l->lineno, e);
}

int bsctl_conf_parse(const char *name, const char *buf, size_t len, const char *home, bsctl_conf_t *c,
                     char *err, size_t errcap)
{
    memset(c, 0, sizeof *c);
    lex_error_t e = {0};
    if (len > BSCTL_CONF_MAX) {
        lex_fail(&e, 0, 0, "larger than %d bytes", BSCTL_CONF_MAX);
        lex_format_error(err, errcap, name, &e);
        return -EINVAL;
    }
    lex_value_t *v = malloc(sizeof *v);
    if (v == NULL) {
        lex_errorf(err, errcap, "%s: out of memory", name);
        return -ENOMEM;
    }
    unsigned seen[K_N] = {0};
    lex_reader_t rd;
    lex_line_t l;
    lex_reader_init(&rd, buf, len);
    int r;
    while ((r = lex_next_line(&rd, &l, &e)) == 1) {
        if (lex_skip_blank(&l)) continue;
        if ((r = bsctl_conf_line(c, &l, v, seen, name, home, &e)) < 0) break;
    }
    explicit_bzero(v, sizeof *v); /* it may have held the token */
    free(v);
    if (r < 0) {
        explicit_bzero(c->token, sizeof c->token);
        lex_format_error(err, errcap, name, &e);
        return -EINVAL;
    }
    return 0;
}

int bsctl_conf_mode_check(const char *name, mode_t mode, bool has_token, char *err, size_t errcap)
{
    if (mode & (S_IWGRP | S_IWOTH)) {
        lex_errorf(err, errcap,
                   "%s: group or others may write it (mode %04o), so they could send the token elsewhere; "
                   "chmod go-w %s",
                   name, (unsigned)(mode & 07777), name);
        return -EPERM;
    }
    if (has_token && (mode & (S_IRGRP | S_IROTH))) {
        lex_errorf(err, errcap, "%s: holds a token but group or others may read it (mode %04o); chmod 600 %s",
                   name, (unsigned)(mode & 07777), name);
        return -EPERM;
    }
    return 0;
}

int bsctl_conf_pick(const char *flag, const char *env, const char *home, bool (*exists)(const char *path),
                    char *out, size_t cap, bool *required)
{
    *required = true;
    const char *given = flag && flag[0] ? flag : env && env[0] ? env : NULL;
    int n;
    if (given != NULL) {
        n = snprintf(out, cap, "%s", given);
        return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 1;
    }
    *required = false;
    if (home != NULL && home[0] != 0) {
        n = snprintf(out, cap, "%s/.config/bsctl/config", home);
        if (n < 0 || (size_t)n >= cap) return -ENAMETOOLONG;
        if (exists(out)) return 1;
    }
    n = snprintf(out, cap, "%s", "/etc/bsd/bsctl.conf");
    if (n < 0 || (size_t)n >= cap) return -ENAMETOOLONG;
    if (exists(out)) return 1;
    out[0] = 0;
    return 0;
}

/* ---- resolution -------------------------------------------------------------------- */

static const char *bsctl_given(const char *s)
{
    return s != NULL && s[0] != 0 ? s : NULL;
}

/* The first of |flag|, |env|, |conf| that is given, and its source. */
static const char *bsctl_pick(const char *flag, const char *env, const char *conf, bsctl_src_t *src)
{
    *src = bsctl_given(flag)   ? BSCTL_SRC_FLAG
           : bsctl_given(env)  ? BSCTL_SRC_ENV
           : bsctl_given(conf) ? BSCTL_SRC_CONF
                               : BSCTL_SRC_NONE;
    return *src == BSCTL_SRC_FLAG ? flag : *src == BSCTL_SRC_ENV ? env : *src == BSCTL_SRC_CONF ? conf : NULL;
}

void bsctl_settings_resolve(const bsctl_settings_in_t *in, bsctl_settings_t *out)
{
    const bsctl_conf_t *c = in->conf;
    memset(out, 0, sizeof *out);
    out->server = bsctl_pick(in->server, in->env_url, c ? c->server : NULL, &out->server_src);
    out->cacert = bsctl_pick(in->cacert, in->env_cacert, c ? c->cacert : NULL, &out->cacert_src);
    /* --token-file counts as a flag like --token; in the config file token
     * and token_file exclude each other (bsctl_conf_parse). */
    if (bsctl_given(in->token) || bsctl_given(in->token_file)) {
        out->token = bsctl_given(in->token);
        out->token_file = out->token ? NULL : in->token_file;
        out->token_src = BSCTL_SRC_FLAG;
    } else if (bsctl_given(in->env_token)) {
        out->token = in->env_token;
        out->token_src = BSCTL_SRC_ENV;
    } else if (c && (c->token[0] || c->token_file[0])) {
        out->token = bsctl_given(c->token);
        out->token_file = out->token ? NULL : c->token_file;
        out->token_src = BSCTL_SRC_CONF;
    }
}

const char *bsctl_src_name(bsctl_src_t src, const char *flag, const char *env)
{
    switch (src) {
    case BSCTL_SRC_FLAG: return flag;
    case BSCTL_SRC_ENV: return env;
    case BSCTL_SRC_CONF: return "the config file";
    default: return "nowhere";
    }
}
