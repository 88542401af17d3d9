/*
 * bsctl_api.c — bsctl's HTTP side (contract in bsctl_api.h): settings from
 * flags, environment and config file; requests over libcurl; the API's
 * error shape for people; table or JSON output. The commands themselves
 * are in bsctl_remote_*.c.
 */
#include "tools/bsctl/bsctl_api.h"

#include "bsd/util/lex.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define BSCTL_TOKEN_FILE_MAX 4096 /* bytes of a token file */

/* ---- settings ------------------------------------------------------------------------ */

static bool bsctl_file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* Reads and checks config file |path| into |c|. */
static int bsctl_conf_load(const char *path, bsctl_conf_t *c)
{
    char *buf = NULL, err[BSCTL_ERR_MAX];
    size_t len;
    struct stat st;
    if (lex_load_file(path, BSCTL_CONF_MAX, &buf, &len, &st, err, sizeof err) < 0) {
        bsctl_err("config file %s", err);
        return BSCTL_FAIL;
    }
    int r = bsctl_conf_parse(path, buf, len, getenv("HOME"), c, err, sizeof err);
    explicit_bzero(buf, len);
    free(buf);
    if (r == 0 && bsctl_conf_mode_check(path, st.st_mode, c->token[0] != 0, err, sizeof err) < 0) r = -EPERM;
    if (r < 0) {
        explicit_bzero(c->token, sizeof c->token);
        bsctl_err("%s", err);
        return BSCTL_FAIL;
    }
    return 0;
}

/* Reads the token from |path| into api->token. */
static int bsctl_token_load(bsctl_api_t *api, const char *path)
{
    char *buf = NULL, err[BSCTL_ERR_MAX];
    size_t len;
    if (lex_load_file(path, BSCTL_TOKEN_FILE_MAX, &buf, &len, NULL, err, sizeof err) < 0) {
        bsctl_err("token file %s", err);
        return BSCTL_FAIL;
    }
    bsctl_token_trim(buf, &len);
    int r = bsctl_token_check(buf, err, sizeof err);
    if (r == 0) snprintf(api->token, sizeof api->token, "%s", buf);
    explicit_bzero(buf, len);
    free(buf);
    if (r < 0) {
        bsctl_err("token file %s: %s", path, err);
        return BSCTL_USAGE;
    }
    return 0;
}

int bsctl_api_setup(bsctl_api_t *api, const bsctl_api_flags_t *f)
{
    memset(api, 0, sizeof *api);
    if (f->local) return 0;
    bsctl_conf_t *conf = calloc(1, sizeof *conf);
    if (conf == NULL) return BSCTL_FAIL;
    char path[BSCTL_PATH_MAX], err[BSCTL_ERR_MAX];
    bool required;
    int r = bsctl_conf_pick(f->config, getenv("BSCTL_CONFIG"), getenv("HOME"), bsctl_file_exists, path,
                            sizeof path, &required);
    bool have_conf = r == 1;
    if (r < 0) {
        bsctl_err("config file name too long");
        r = BSCTL_USAGE;
        goto out;
    }
    if (have_conf && (r = bsctl_conf_load(path, conf)) != 0) goto out;
    bsctl_settings_in_t in = {
        .server = f->server,
        .token = f->token,
        .token_file = f->token_file,
        .cacert = f->cacert,
        .env_url = getenv("BSD_API_URL"),
        .env_token = getenv("BSD_API_TOKEN"),
        .env_cacert = getenv("BSD_API_CACERT"),
        .conf = have_conf ? conf : NULL,
    };
    bsctl_settings_t s;
    bsctl_settings_resolve(&in, &s);
    r = 0;
    if (s.server == NULL) goto out; /* local mode */
    if (bsctl_server_check(s.server, api->server, sizeof api->server, err, sizeof err) < 0) {
        bsctl_err("%s: %s", bsctl_src_name(s.server_src, "--server", "BSD_API_URL"), err);
        r = BSCTL_USAGE;
        goto out;
    }
    if (s.token != NULL) {
        if (bsctl_token_check(s.token, err, sizeof err) < 0) {
            bsctl_err("%s: %s", bsctl_src_name(s.token_src, "--token", "BSD_API_TOKEN"), err);
            r = BSCTL_USAGE;
            goto out;
        }
        snprintf(api->token, sizeof api->token, "%s", s.token);
    } else if (s.token_file != NULL && (r = bsctl_token_load(api, s.token_file)) != 0) {
        goto out;
    }
    if (s.cacert != NULL) {
        if (access(s.cacert, R_OK) != 0) {
            bsctl_err("%s %s: %s", bsctl_src_name(s.cacert_src, "--cacert", "BSD_API_CACERT"), s.cacert,
                      strerror(errno));
            r = BSCTL_USAGE;
            goto out;
        }
        if ((size_t)snprintf(api->cacert, sizeof api->cacert, "%s", s.cacert) >= sizeof api->cacert) {
            bsctl_err("--cacert: path too long");
            r = BSCTL_USAGE;
        }
    }
out:
    explicit_bzero(conf, sizeof *conf);
    free(conf);
    if (r != 0) bsctl_api_close(api);
    return r;
}

void bsctl_api_close(bsctl_api_t *api)
{
    if (api->curl != NULL) {
        curl_easy_cleanup(api->curl);
        curl_global_cleanup();
    }
    explicit_bzero(api, sizeof *api);
}

/* ---- one request ----------------------------------------------------------------------- */

static size_t bsctl_on_body(char *data, size_t size, size_t n, void *arg)
{
    bsctl_reply_t *rep = arg;
    size_t len = size * n;
    if (len > BSCTL_REPLY_MAX - rep->len) return 0; /* curl fails with CURLE_WRITE_ERROR */
    char *b = realloc(rep->body, rep->len + len + 1);
    if (b == NULL) return 0;
    memcpy(b + rep->len, data, len);
    rep->len += len;
    b[rep->len] = 0;
    rep->body = b;
    return len;
}

static size_t bsctl_on_header(char *data, size_t size, size_t n, void *arg)
{
    bsctl_reply_t *rep = arg;
    size_t len = size * n;
    if (len > 13 && strncasecmp(data, "content-type:", 13) == 0) {
        size_t a = 13;
        while (a < len && (data[a] == ' ' || data[a] == '\t'))
            a++;
        size_t b = len;
        while (b > a && (data[b - 1] == '\r' || data[b - 1] == '\n' || data[b - 1] == ' '))
            b--;
        snprintf(rep->ctype, sizeof rep->ctype, "%.*s", (int)(b - a), data + a);
    }
    return len;
}

static size_t bsctl_on_read(char *buf, size_t size, size_t n, void *arg)
{
    FILE *f = arg;
    size_t got = fread(buf, 1, size * n, f);
    return got == 0 && ferror(f) ? CURL_READFUNC_ABORT : got;
}

static void bsctl_transport_error(const bsctl_api_t *api, CURLcode rc, const char *errbuf)
{
    bsctl_err("%s: %s", api->server, errbuf[0] ? errbuf : curl_easy_strerror(rc));
    if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE ||
        rc == CURLE_SSL_CONNECT_ERROR)
        bsctl_err("the server's certificate is not trusted: give the CA that signed it with --cacert FILE "
                  "(or BSD_API_CACERT, or cacert = in the config file)");
    else if (rc == CURLE_COULDNT_CONNECT)
        bsctl_err("is the daemon running with the API on? (without a server, `bsctl --local ...` works on "
                  "the database)");
}

/* Sets the method and body options of one request. */
static int bsctl_set_body(CURL *c, const char *method, const bsctl_body_t *body, struct curl_slist **hdrs)
{
    bool post = strcmp(method, "POST") == 0;
    if (body == NULL) {
        if (post) curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, 0L);
        if (post) curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
    } else if (body->file == NULL) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body->len);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body->data ? body->data : "");
    } else {
        struct stat st;
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_READFUNCTION, bsctl_on_read);
        curl_easy_setopt(c, CURLOPT_READDATA, body->file);
        if (fstat(fileno(body->file), &st) == 0 && S_ISREG(st.st_mode) && ftello(body->file) == 0)
            curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)st.st_size);
        else
            *hdrs = curl_slist_append(*hdrs, "Transfer-Encoding: chunked");
    }
    if (body != NULL) {
        char ct[160];
        snprintf(ct, sizeof ct, "Content-Type: %s", body->ctype);
        *hdrs = curl_slist_append(*hdrs, ct);
    }
    if (!post && strcmp(method, "GET") != 0) curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    return 0;
}

int bsctl_api_request(bsctl_api_t *api, const char *method, const char *path, const char *query,
                      const bsctl_body_t *body, bsctl_reply_t *rep)
{
    memset(rep, 0, sizeof *rep);
    rep->body = calloc(1, 1);
    if (rep->body == NULL) return BSCTL_FAIL;
    if (api->curl == NULL) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || (api->curl = curl_easy_init()) == NULL) {
            bsctl_err("cannot initialise libcurl");
            return BSCTL_FAIL;
        }
    }
    CURL *c = api->curl;
    curl_easy_reset(c);
    char url[BSCTL_URL_MAX + BSCTL_QUERY_MAX + 1024], errbuf[CURL_ERROR_SIZE] = "";
    int n = snprintf(url, sizeof url, "%s%s%s%s", api->server, path, query && query[0] ? "?" : "",
                     query ? query : "");
    if (n < 0 || (size_t)n >= sizeof url) {
        bsctl_err("request URL too long");
        return BSCTL_FAIL;
    }
    struct curl_slist *hdrs = curl_slist_append(NULL, "Accept: application/json");
    char auth[BSCTL_TOKEN_MAX + 32];
    if (api->token[0]) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", api->token);
        hdrs = curl_slist_append(hdrs, auth);
        explicit_bzero(auth, sizeof auth);
    }
    bsctl_set_body(c, method, body, &hdrs);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 15L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "bsctl");
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, bsctl_on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, rep);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, bsctl_on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, rep);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    if (api->cacert[0]) curl_easy_setopt(c, CURLOPT_CAINFO, api->cacert);
    CURLcode rc = curl_easy_perform(c);
    /* The header list held the token: wipe its copy before freeing. */
    for (struct curl_slist *h = hdrs; h; h = h->next)
        explicit_bzero(h->data, strlen(h->data));
    curl_slist_free_all(hdrs);
    if (rc == CURLE_WRITE_ERROR && rep->len > 0) {
        bsctl_err("%s: the answer is larger than %u MiB", api->server, BSCTL_REPLY_MAX >> 20);
        return BSCTL_FAIL;
    }
    if (rc != CURLE_OK) {
        bsctl_transport_error(api, rc, errbuf);
        return BSCTL_FAIL;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &rep->status);
    return 0;
}

void bsctl_reply_free(bsctl_reply_t *rep)
{
    free(rep->body);
    memset(rep, 0, sizeof *rep);
}

/* ---- errors ------------------------------------------------------------------------------ */

/* One per-row error of an import: "[file:]line:column: [endpoint: ]message". */
void bsctl_import_row_error(const json_t *e, const char *file)
{
    char msg[BSCTL_CELL_MAX], ep[BSCTL_CELL_MAX];
    bsctl_cell(json_object_get(e, "message"), msg, sizeof msg);
    json_t *endpoint = json_object_get(e, "endpoint");
    bsctl_cell(endpoint, ep, sizeof ep);
    json_int_t line = json_integer_value(json_object_get(e, "line"));
    json_int_t col = json_integer_value(json_object_get(e, "column"));
    fprintf(stderr, "%s%s%" JSON_INTEGER_FORMAT ":%" JSON_INTEGER_FORMAT ": %s%s%s\n", file ? file : "",
            file ? ":" : "", line, col, json_is_string(endpoint) ? ep : "",
            json_is_string(endpoint) ? ": " : "", msg);
}

/* The details of an error, one line each. */
static void bsctl_details(const json_t *d, const char *file)
{
    const char *key;
    json_t *v;
    char cell[BSCTL_CELL_MAX];
    size_t i;
    json_t *line = json_object_get(d, "line"), *col = json_object_get(d, "column");
    if (json_is_integer(line))
        fprintf(stderr, "bsctl:   at %s%sline %" JSON_INTEGER_FORMAT ", column %" JSON_INTEGER_FORMAT "\n",
                file ? file : "", file ? ": " : "", json_integer_value(line), json_integer_value(col));
    json_object_foreach((json_t *)d, key, v)
    {
        if (strcmp(key, "line") == 0 || strcmp(key, "column") == 0 || strcmp(key, "position") == 0) continue;
        if (json_is_array(v) && json_is_object(json_array_get(v, 0))) {
            json_t *e;
            json_array_foreach(v, i, e) bsctl_import_row_error(e, file);
            continue;
        }
        bsctl_cell(v, cell, sizeof cell);
        fprintf(stderr, "bsctl:   %s: %s\n", key, cell);
    }
}

int bsctl_api_error(const bsctl_api_t *api, const bsctl_reply_t *rep, const char *file)
{
    json_t *j = json_loadb(rep->body, rep->len, 0, NULL);
    json_t *code = json_object_get(j, "code"), *msg = json_object_get(j, "message");
    char m[BSCTL_CELL_MAX], k[128];
    if (json_is_string(code) && json_is_string(msg)) {
        bsctl_cell(msg, m, sizeof m);
        bsctl_cell(code, k, sizeof k);
        bsctl_err("%s (%s, HTTP %ld)", m, k, rep->status);
        json_t *d = json_object_get(j, "details");
        if (json_is_object(d)) bsctl_details(d, file);
    } else {
        /* Not the API's shape: a proxy, or libmicrohttpd itself. */
        json_t *s = json_stringn(rep->body, rep->len < 200 ? rep->len : 200);
        bsctl_cell(s, m, sizeof m);
        json_decref(s);
        bsctl_err("%s answered HTTP %ld%s%s", api->server, rep->status, m[0] ? ": " : "", m);
    }
    if (rep->status == 401)
        bsctl_err(
            "the token comes from --token / --token-file, else BSD_API_TOKEN, else token / token_file in "
            "the config file%s",
            api->token[0] ? "" : ", and none was given");
    json_decref(j);
    return BSCTL_FAIL;
}

json_t *bsctl_api_json(bsctl_api_t *api, const char *method, const char *path, const char *query, json_t *in,
                       int *rc)
{
    bsctl_reply_t rep;
    char *text = in ? json_dumps(in, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    bsctl_body_t body = {"application/json", text, text ? strlen(text) : 0, NULL};
    if (in && text == NULL) {
        *rc = BSCTL_FAIL;
        return NULL;
    }
    *rc = bsctl_api_request(api, method, path, query, in ? &body : NULL, &rep);
    if (text) explicit_bzero(text, strlen(text)); /* it may hold a PSK key */
    free(text);
    if (*rc != 0) {
        bsctl_reply_free(&rep);
        return NULL;
    }
    json_t *out = NULL;
    if (rep.status < 200 || rep.status > 299) {
        *rc = bsctl_api_error(api, &rep, NULL);
    } else {
        json_error_t e;
        out = rep.len == 0 ? json_object() /* 204 */ : json_loadb(rep.body, rep.len, JSON_DECODE_ANY, &e);
        if (out == NULL) {
            bsctl_err("%s: the answer is not JSON: %s", api->server, e.text);
            *rc = BSCTL_FAIL;
        }
    }
    explicit_bzero(rep.body, rep.len); /* answers may hold secrets (--reveal, exports) */
    bsctl_reply_free(&rep);
    return out;
}

json_t *bsctl_api_pages(bsctl_api_t *api, const char *path, const bsctl_query_t *q, const char *items,
                        bool all, int *rc)
{
    json_t *doc = NULL;
    const char *next = NULL;
    do {
        bsctl_query_t page = *q;
        bsctl_query_add(&page, "cursor", next);
        const char *qs = bsctl_query_str(&page);
        if (qs == NULL) {
            bsctl_err("query too long");
            *rc = BSCTL_USAGE;
            json_decref(doc);
            return NULL;
        }
        json_t *j = bsctl_api_json(api, "GET", path, qs, NULL, rc);
        if (j == NULL || !json_is_array(json_object_get(j, items))) {
            if (j != NULL) bsctl_err("%s: the answer has no '%s' list", path, items);
            if (j != NULL) *rc = BSCTL_FAIL;
            json_decref(j);
            json_decref(doc);
            return NULL;
        }
        if (doc == NULL) {
            doc = j;
        } else {
            json_array_extend(json_object_get(doc, items), json_object_get(j, items));
            json_object_set(doc, "next", json_object_get(j, "next"));
            json_decref(j);
        }
        next = json_string_value(json_object_get(doc, "next"));
    } while (all && next != NULL);
    return doc;
}

int bsctl_flag_opt(void *arg, int id, const char *val)
{
    (void)id;
    (void)val;
    *(bool *)arg = true;
    return 0;
}

/* ---- output ---------------------------------------------------------------------------------- */

int bsctl_print(const bsctl_t *ctl, json_t *doc, const char *rows, const bsctl_col_t *cols, size_t ncols,
                const char *empty)
{
    if (ctl->json) {
        bsctl_json_out(doc);
        return BSCTL_OK;
    }
    const json_t *v = rows ? json_object_get(doc, rows) : doc;
    if (json_is_array(v))
        bsctl_table_print(stdout, v, cols, ncols, empty);
    else if (json_is_object(v))
        bsctl_object_print(stdout, v, cols, ncols);
    else if (json_is_string(v))
        fputs(json_string_value(v), stdout);
    json_decref(doc);
    return BSCTL_OK;
}

/* ---- URLs ------------------------------------------------------------------------------------- */

/* Appends |s| percent-encoded (RFC 3986 unreserved characters kept). */
static size_t bsctl_escape(char *out, size_t cap, size_t n, const char *s, bool *overflow)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        bool keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '.' || c == '_' || c == '~';
        if (n + (keep ? 1 : 3) >= cap) {
            *overflow = true;
            return n;
        }
        if (keep) {
            out[n++] = (char)c;
        } else {
            out[n++] = '%';
            out[n++] = hex[c >> 4];
            out[n++] = hex[c & 15];
        }
    }
    out[n] = 0;
    return n;
}

void bsctl_query_add(bsctl_query_t *q, const char *name, const char *value)
{
    if (value == NULL || q->overflow) return;
    if (q->n + 2 >= sizeof q->s) {
        q->overflow = true;
        return;
    }
    if (q->n > 0) q->s[q->n++] = '&';
    q->n = bsctl_escape(q->s, sizeof q->s, q->n, name, &q->overflow);
    if (q->overflow || q->n + 2 >= sizeof q->s) {
        q->overflow = true;
        return;
    }
    q->s[q->n++] = '=';
    q->n = bsctl_escape(q->s, sizeof q->s, q->n, value, &q->overflow);
}

const char *bsctl_query_str(const bsctl_query_t *q)
{
    return q->overflow ? NULL : q->n ? q->s : "";
}

int bsctl_path(char *out, size_t cap, const char *prefix, const char *segment, const char *suffix)
{
    bool overflow = false;
    int n = snprintf(out, cap, "%s", prefix);
    if (n < 0 || (size_t)n >= cap) return -1;
    size_t m = bsctl_escape(out, cap, (size_t)n, segment, &overflow);
    if (overflow) return -1;
    if (suffix && (size_t)snprintf(out + m, cap - m, "%s", suffix) >= cap - m) return -1;
    return 0;
}

/* ---- command lines ------------------------------------------------------------------------------ */

int bsctl_remote_parse(bsctl_t *ctl, int argc, char **argv, const bsctl_opt_t *opts, bsctl_opt_fn fn,
                       void *arg, char **pos, int maxpos, int *npos)
{
    const char *db = ctl->db_url, *keys = ctl->key_file;
    int r = bsctl_parse(ctl, argc, argv, opts, fn, arg, pos, maxpos, npos);
    if (r == 0 && (ctl->db_url != db || ctl->key_file != keys)) {
        bsctl_err(
            "--db and --key-file are for the database; this bsctl talks to the API (`bsctl --local ...` "
            "works on the database instead)");
        return BSCTL_USAGE;
    }
    return r;
}
