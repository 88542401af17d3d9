/*
 * sim_state.c — the device state kept across bsd-sim runs (--state FILE)
 * and the command-line presets (see sim_state.h). The state text reuses
 * the dump's instance walk (sim_dump.c) with a lossless value writer and a
 * type writer; the loader is jansson plus a strict schema walk.
 */
#include "tools/sim/sim_state.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tools/sim/sim.h"

/* ---- writing ------------------------------------------------------------ */

static const char *const type_tags[] = {
    [LWM2M_T_STRING] = "string", [LWM2M_T_INTEGER] = "integer", [LWM2M_T_UNSIGNED] = "unsigned",
    [LWM2M_T_FLOAT] = "float",   [LWM2M_T_BOOLEAN] = "boolean", [LWM2M_T_OPAQUE] = "opaque",
    [LWM2M_T_TIME] = "time",     [LWM2M_T_OBJLNK] = "objlnk",   [LWM2M_T_CORELNK] = "corelnk",
};
#define NTAGS (sizeof(type_tags) / sizeof(type_tags[0]))

static int is_text(lwm2m_type_t t)
{
    return t == LWM2M_T_STRING || t == LWM2M_T_CORELNK;
}

/* Text values that the dump would alter (invalid UTF-8) are kept as hex. */
static int text_as_hex(const sim_store_t *s, const sim_val_t *v)
{
    return is_text(v->type) && !sim_text_utf8_valid(sim_store_bytes(s, v), v->bytes.len);
}

static void put_state_value(sim_text_t *t, const sim_store_t *s, const sim_val_t *v)
{
    switch (v->type) {
    case LWM2M_T_STRING:
    case LWM2M_T_CORELNK:
        if (text_as_hex(s, v))
            sim_text_json_hex(t, sim_store_bytes(s, v), v->bytes.len);
        else
            sim_text_json_str(t, sim_store_bytes(s, v), v->bytes.len);
        break;
    case LWM2M_T_OPAQUE: sim_text_json_hex(t, sim_store_bytes(s, v), v->bytes.len); break;
    case LWM2M_T_UNSIGNED:
        /* jansson's integers are signed 64-bit: larger ones go as text. */
        sim_text_printf(t, v->u > INT64_MAX ? "\"%llu\"" : "%llu", (unsigned long long)v->u);
        break;
    case LWM2M_T_FLOAT:
        if (isnan(v->f))
            sim_text_printf(t, "\"nan\"");
        else if (isinf(v->f))
            sim_text_printf(t, v->f < 0 ? "\"-inf\"" : "\"inf\"");
        else if (v->f == 0 && signbit(v->f))
            sim_text_printf(t, "\"-0\""); /* "-0" would read back as the integer 0 */
        else
            sim_text_printf(t, "%.17g", v->f);
        break;
    case LWM2M_T_BOOLEAN: sim_text_printf(t, "%s", v->b ? "true" : "false"); break;
    case LWM2M_T_OBJLNK: sim_text_printf(t, "\"%u:%u\"", v->lnk.obj, v->lnk.inst); break;
    default: sim_text_printf(t, "%lld", (long long)v->i); break;
    }
}

static void put_type(sim_text_t *t, const sim_store_t *s, const sim_val_t *v)
{
    const char *tag = (unsigned)v->type < NTAGS ? type_tags[v->type] : NULL;
    sim_text_printf(t, "\"%s%s\"", tag ? tag : "?", text_as_hex(s, v) ? "-hex" : "");
}

void sim_state_format(sim_text_t *t, const sim_store_t *s, const char *ep)
{
    sim_text_printf(t, "{\"bsd_sim_state\":%d,\"endpoint\":", SIM_STATE_VERSION);
    sim_text_json_str(t, (const uint8_t *)ep, strlen(ep));
    sim_text_printf(t, ",\"instances\":");
    sim_dump_instances(t, s, put_state_value);
    sim_text_printf(t, ",\"types\":");
    sim_dump_instances(t, s, put_type);
    sim_text_printf(t, "}");
}

/* ---- parsing --------------------------------------------------------------- */

typedef struct pctx {
    sim_store_t *s;
    char *err;
    size_t cap;
    char where[40]; /* the path being read, for messages */
} pctx_t;

static int fail(pctx_t *c, const char *what)
{
    if (c->cap) snprintf(c->err, c->cap, "%s%s%s", c->where, c->where[0] ? ": " : "", what);
    return -1;
}

/* A decimal ID 0..|max| without sign, spaces or leading zeros; advances
 * |*p|. Returns 0 or -1. */
static int parse_id(const char **p, unsigned long max, unsigned long *out)
{
    const char *s = *p;
    unsigned long v = 0;
    size_t n = 0;
    while (s[n] >= '0' && s[n] <= '9') {
        if (n == 5) return -1;
        v = v * 10 + (unsigned long)(s[n] - '0');
        n++;
    }
    if (n == 0 || (n > 1 && s[0] == '0') || v > max) return -1;
    *p = s + n;
    *out = v;
    return 0;
}

/* A whole key that is one ID. */
static int key_id(const char *k, unsigned long *out)
{
    return parse_id(&k, LWM2M_MAX_ID, out) == 0 && *k == 0 ? 0 : -1;
}

int sim_preset_inst_parse(const char *s, sim_inst_t *out)
{
    unsigned long o, i;
    if (*s++ != '/' || parse_id(&s, LWM2M_MAX_ID, &o) || *s++ != '/' || parse_id(&s, LWM2M_MAX_ID, &i) || *s)
        return -1;
    out->obj = (uint16_t)o, out->inst = (uint16_t)i;
    return 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Decodes hex |h| (|n| chars) into a new buffer; NULL when malformed or
 * out of memory (*bad says which). */
static uint8_t *unhex(const char *h, size_t n, int *bad)
{
    *bad = n % 2 != 0;
    if (*bad) return NULL;
    uint8_t *b = malloc(n / 2 + 1);
    if (!b) return NULL;
    for (size_t i = 0; i < n / 2; i++) {
        int hi = hexval(h[2 * i]), lo = hexval(h[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            free(b);
            *bad = 1;
            return NULL;
        }
        b[i] = (uint8_t)(hi << 4 | lo);
    }
    return b;
}

/* "123" → unsigned (the form written for values above INT64_MAX). */
static int parse_u64(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    if (!*s || (s[0] == '0' && s[1])) return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10) return -1;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *out = v;
    return 0;
}

static int parse_float(const json_t *j, double *out)
{
    static const struct {
        const char *name;
        double v;
    } special[] = {{"nan", NAN}, {"inf", INFINITY}, {"-inf", -INFINITY}, {"-0", -0.0}};
    if (json_is_real(j)) return *out = json_real_value(j), 0;
    if (json_is_integer(j)) return *out = (double)json_integer_value(j), 0;
    if (!json_is_string(j)) return -1;
    for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++)
        if (strcmp(json_string_value(j), special[i].name) == 0) return *out = special[i].v, 0;
    return -1;
}

/* Stores value |j| of type |tag| at |p|. */
static int put_value(pctx_t *c, const lwm2m_path_t *p, const json_t *j, const json_t *tag)
{
    if (!json_is_string(tag)) return fail(c, "type is not a string");
    const char *ts = json_string_value(tag);
    lwm2m_value_t v = {.type = LWM2M_T_NONE};
    int hex = 0;
    for (size_t i = 0; i < NTAGS; i++) {
        size_t n = type_tags[i] ? strlen(type_tags[i]) : 0;
        if (!n || strncmp(ts, type_tags[i], n) != 0) continue;
        if (ts[n] == 0 || (is_text((lwm2m_type_t)i) && strcmp(ts + n, "-hex") == 0)) {
            v.type = (lwm2m_type_t)i;
            hex = ts[n] != 0;
        }
    }
    if (v.type == LWM2M_T_NONE) return fail(c, "unknown type");
    uint8_t *bytes = NULL;
    switch (v.type) {
    case LWM2M_T_STRING:
    case LWM2M_T_CORELNK:
    case LWM2M_T_OPAQUE:
        if (!json_is_string(j)) return fail(c, "value is not a JSON string");
        if (v.type == LWM2M_T_OPAQUE || hex) {
            int bad;
            bytes = unhex(json_string_value(j), json_string_length(j), &bad);
            if (!bytes) return fail(c, bad ? "value is not a hex string" : "out of memory");
            v.bytes.p = bytes, v.bytes.len = json_string_length(j) / 2;
        } else {
            v.bytes.p = (const uint8_t *)json_string_value(j), v.bytes.len = json_string_length(j);
        }
        break;
    case LWM2M_T_INTEGER:
    case LWM2M_T_TIME:
        if (!json_is_integer(j)) return fail(c, "value is not an integer");
        v.i = (int64_t)json_integer_value(j);
        break;
    case LWM2M_T_UNSIGNED:
        if (json_is_integer(j) && json_integer_value(j) >= 0)
            v.u = (uint64_t)json_integer_value(j);
        else if (!json_is_string(j) || parse_u64(json_string_value(j), &v.u) != 0)
            return fail(c, "value is not an unsigned integer");
        break;
    case LWM2M_T_FLOAT:
        if (parse_float(j, &v.f) != 0) return fail(c, "value is not a float");
        break;
    case LWM2M_T_BOOLEAN:
        if (!json_is_boolean(j)) return fail(c, "value is not true or false");
        v.b = json_is_true(j);
        break;
    default: { /* LWM2M_T_OBJLNK */
        const char *s = json_is_string(j) ? json_string_value(j) : "";
        unsigned long o, i;
        if (parse_id(&s, LWM2M_ID_NONE, &o) || *s++ != ':' || parse_id(&s, LWM2M_ID_NONE, &i) || *s)
            return fail(c, "value is not an object link OBJ:INST");
        v.lnk.obj = (uint16_t)o, v.lnk.inst = (uint16_t)i;
        break;
    }
    }
    int r = sim_store_set(c->s, p, &v);
    free(bytes);
    if (r == SIM_ST_ERR_FULL) return fail(c, "more than the store holds (SIM_STORE_MAX_*)");
    return r ? fail(c, "value not storable") : 0;
}

/* A multiple resource: {"RI": value, ...} with types of the same shape. */
static int put_multi(pctx_t *c, lwm2m_path_t p, const json_t *vals, const json_t *types)
{
    const char *k;
    const json_t *j;
    size_t base = strlen(c->where);
    if (!json_is_object(types) || json_object_size(types) != json_object_size(vals))
        return fail(c, "types do not match the resource instances");
    if (json_object_size(vals) == 0) return fail(c, "empty multiple resource");
    json_object_foreach((json_t *)vals, k, j)
    {
        unsigned long ri;
        c->where[base] = 0;
        if (key_id(k, &ri) != 0) return fail(c, "resource instance key is not an ID");
        snprintf(c->where + base, sizeof(c->where) - base, "/%lu", ri);
        if (json_is_object(j) || json_is_array(j)) return fail(c, "nested deeper than resource instances");
        p.rinst = (uint16_t)ri;
        p.depth = 4;
        if (put_value(c, &p, j, json_object_get(types, k)) != 0) return -1;
    }
    return 0;
}

static int put_instance(pctx_t *c, const char *key, const json_t *res, const json_t *types)
{
    sim_inst_t in;
    const char *k;
    const json_t *j;
    c->where[0] = 0;
    if (sim_preset_inst_parse(key, &in) != 0) return fail(c, "instance key is not /OBJ/INST");
    snprintf(c->where, sizeof(c->where), "/%u/%u", in.obj, in.inst);
    if (!json_is_object(res)) return fail(c, "instance is not an object");
    if (!json_is_object(types) || json_object_size(types) != json_object_size(res))
        return fail(c, "types do not match the resources");
    if (sim_store_add_inst(c->s, in.obj, in.inst) != 0)
        return fail(c, "more instances than the store holds (SIM_STORE_MAX_INSTS)");
    size_t base = strlen(c->where);
    json_object_foreach((json_t *)res, k, j)
    {
        unsigned long r;
        c->where[base] = 0;
        if (key_id(k, &r) != 0) return fail(c, "resource key is not an ID");
        snprintf(c->where + base, sizeof(c->where) - base, "/%lu", r);
        const json_t *t = json_object_get(types, k);
        if (!t) return fail(c, "no type");
        lwm2m_path_t p = lwm2m_path(3, in.obj, in.inst, (uint16_t)r, 0);
        int rc = json_is_object(j) ? put_multi(c, p, j, t) : put_value(c, &p, j, t);
        if (rc != 0) return -1;
    }
    return 0;
}

int sim_state_parse(const char *buf, size_t len, const char *ep, sim_store_t *s, char *err, size_t cap)
{
    pctx_t c = {.s = s, .err = err, .cap = cap};
    json_error_t je;
    sim_store_reset(s, s->flags);
    if (len > SIM_STATE_FILE_MAX) return fail(&c, "larger than 4 MiB");
    json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
    if (!root) {
        /* jansson's text may quote the offending token ("near '...'"),
         * which could be part of a key: cut it. */
        char *near = strstr(je.text, " near ");
        if (near) *near = 0;
        snprintf(c.where, sizeof(c.where), "line %d column %d", je.line, je.column);
        return fail(&c, je.text);
    }
    int rc = -1;
    const json_t *ver = json_object_get(root, "bsd_sim_state"), *e = json_object_get(root, "endpoint");
    const json_t *insts = json_object_get(root, "instances"), *types = json_object_get(root, "types");
    const char *k;
    json_t *j;
    if (!json_is_object(root))
        fail(&c, "not a JSON object");
    else if (!json_is_integer(ver) || json_integer_value(ver) != SIM_STATE_VERSION)
        fail(&c, "\"bsd_sim_state\" is not 1 (not a bsd-sim state file, or another version)");
    else if (!json_is_string(e) || json_string_length(e) == 0)
        fail(&c, "\"endpoint\" is missing or not a string");
    else if (ep && (json_string_length(e) != strlen(ep) || strcmp(json_string_value(e), ep) != 0))
        fail(&c, "the state belongs to another endpoint");
    else if (!json_is_object(insts) || !json_is_object(types))
        fail(&c, "\"instances\" or \"types\" is missing or not an object");
    else if (json_object_size(root) != 4)
        fail(&c, "unknown top-level member");
    else if (json_object_size(insts) > SIM_STORE_MAX_INSTS)
        fail(&c, "more instances than the store holds (SIM_STORE_MAX_INSTS)");
    else if (json_object_size(types) != json_object_size(insts))
        fail(&c, "\"types\" does not match \"instances\"");
    else {
        rc = 0;
        json_object_foreach((json_t *)insts, k,
                            j) if ((rc = put_instance(&c, k, j, json_object_get(types, k))) != 0) break;
    }
    json_decref(root);
    if (rc != 0) sim_store_reset(s, s->flags);
    return rc;
}

/* ---- files --------------------------------------------------------------- */

int sim_state_load(const char *path, const char *ep, sim_store_t *s, char *err, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) return 1;
    struct stat st;
    char why[200];
    char *buf = NULL;
    ssize_t n = 0;
    int rc = -1;
    if (fd < 0 || fstat(fd, &st) != 0)
        snprintf(why, sizeof(why), "%s", strerror(errno));
    else if (!S_ISREG(st.st_mode))
        snprintf(why, sizeof(why), "not a regular file");
    else if ((uint64_t)st.st_size > SIM_STATE_FILE_MAX)
        snprintf(why, sizeof(why), "larger than 4 MiB");
    else if (!(buf = malloc((size_t)st.st_size + 1)))
        snprintf(why, sizeof(why), "out of memory");
    else if ((n = read(fd, buf, (size_t)st.st_size + 1)) < 0 || n > st.st_size)
        snprintf(why, sizeof(why), "%s", n < 0 ? strerror(errno) : "changed while read");
    else
        rc = sim_state_parse(buf, (size_t)n, ep, s, why, sizeof(why));
    if (fd >= 0) close(fd);
    free(buf);
    if (rc != 0) snprintf(err, cap, "%s: %s", path, why);
    return rc;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w, n -= (size_t)w;
    }
    return 0;
}

int sim_state_save(const char *path, const sim_store_t *s, const char *ep, char *err, size_t cap)
{
    sim_text_t t = {0};
    char tmp[4096];
    sim_state_format(&t, s, ep);
    sim_text_printf(&t, "\n");
    if (t.err || t.len > SIM_STATE_FILE_MAX) {
        sim_text_free(&t);
        return snprintf(err, cap, "%s: the state is too large to save", path), -1;
    }
    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
        sim_text_free(&t);
        return snprintf(err, cap, "%s: path too long", path), -1;
    }
    /* 0600 whatever the umask and whatever a stale PATH.tmp had: the
     * state holds PSK keys. */
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    int ok = fd >= 0 && fchmod(fd, 0600) == 0 && write_all(fd, t.p, t.len) == 0 && fsync(fd) == 0;
    int e = errno;
    if (fd >= 0 && close(fd) != 0 && ok) ok = 0, e = errno;
    sim_text_free(&t);
    if (ok && rename(tmp, path) != 0) ok = 0, e = errno;
    if (!ok) {
        unlink(tmp);
        return snprintf(err, cap, "%s: %s", path, strerror(e)), -1;
    }
    /* Make the rename itself durable. */
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        slash == dir ? (void)(slash[1] = 0) : (void)(*slash = 0);
    else
        snprintf(dir, sizeof(dir), ".");
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
}

/* ---- the store across runs ------------------------------------------------ */

int sim_state_copy(sim_store_t *dst, const sim_store_t *src)
{
    sim_store_reset(dst, dst->flags);
    for (size_t i = 0; i < src->ninst; i++)
        if (sim_store_add_inst(dst, src->insts[i].obj, src->insts[i].inst) != 0) return SIM_ST_ERR_FULL;
    for (size_t i = 0; i < src->nval; i++) {
        const sim_val_t *x = &src->vals[i];
        lwm2m_value_t v = {.type = x->type};
        if (x->type == LWM2M_T_STRING || x->type == LWM2M_T_OPAQUE || x->type == LWM2M_T_CORELNK)
            v.bytes.p = sim_store_bytes(src, x), v.bytes.len = x->bytes.len;
        else
            memcpy(&v.u, &x->u, sizeof(v.u)); /* the whole 8-byte scalar, whichever member */
        if (sim_store_set(dst, &x->path, &v) != 0) return SIM_ST_ERR_FULL;
    }
    return 0;
}

void sim_state_capture(sim_state_t *st, const sim_store_t *s)
{
    if (st->have_final) return;
    st->have_final = sim_state_copy(&st->final, s) == 0;
}

int sim_state_build_initial(const sim_cfg_t *c, sim_state_t *st, const char *ep)
{
    if (st->have_initial) return 0;
    sim_dev_t *d = calloc(1, sizeof(*d));
    if (!d) return -1;
    d->cfg = c;
    sim_store_init(&d->store, c->store_flags);
    sim_dev_reset(d, ep, 1, 0);
    sim_store_init(&st->initial, c->store_flags);
    int rc = sim_state_copy(&st->initial, &d->store);
    sim_store_free(&d->store);
    free(d->body);
    free(d);
    st->have_initial = rc == 0;
    return rc == 0 ? 0 : -1;
}

void sim_state_free(sim_state_t *st)
{
    sim_store_free(&st->initial);
    sim_store_free(&st->final);
    st->have_initial = st->have_final = 0;
}

/* ---- presets ----------------------------------------------------------------- */

/* RIGHTS: 0..31, or letters of RWEDC (Read 1, Write 2, Execute 4,
 * Delete 8, Create 16: the bits of /2/x/2). */
static int parse_rights(const char **p, uint8_t *out)
{
    static const char letters[] = "RWEDC";
    unsigned long v;
    if (**p >= '0' && **p <= '9') {
        if (parse_id(p, 31, &v) != 0) return -1;
        *out = (uint8_t)v;
        return 0;
    }
    unsigned bits = 0;
    const char *l;
    for (; **p && (l = strchr(letters, **p)) != NULL; (*p)++) {
        unsigned b = 1u << (l - letters);
        if (bits & b) return -1;
        bits |= b;
    }
    if (!bits) return -1;
    *out = (uint8_t)bits;
    return 0;
}

int sim_preset_acl_parse(const char *s, sim_preset_acl_t *a)
{
    unsigned long iid, obj, inst, owner, ssid;
    memset(a, 0, sizeof(*a));
    if (parse_id(&s, LWM2M_MAX_ID, &iid) || *s++ != ':' || parse_id(&s, LWM2M_MAX_ID, &obj) || *s++ != '/' ||
        parse_id(&s, LWM2M_ID_NONE, &inst) || *s++ != ':')
        return -1;
    while (*s != ':') {
        if (a->n == SIM_PRESET_ACL_ENTRIES || parse_id(&s, LWM2M_MAX_ID, &ssid) || *s++ != '=' ||
            parse_rights(&s, &a->rights[a->n]) != 0)
            return -1;
        for (size_t i = 0; i < a->n; i++)
            if (a->ssid[i] == ssid) return -1;
        a->ssid[a->n++] = (uint16_t)ssid;
        if (*s == ',') {
            s++;
            if (*s == ':') return -1; /* "...,:" */
        } else if (*s != ':') {
            return -1;
        }
    }
    s++;
    if (parse_id(&s, LWM2M_ID_NONE, &owner) || *s) return -1;
    a->iid = (uint16_t)iid, a->obj = (uint16_t)obj, a->inst = (uint16_t)inst, a->owner = (uint16_t)owner;
    return 0;
}

int sim_presets_check(const sim_presets_t *p, int first_ssid, char *err, size_t cap)
{
    for (size_t i = 0; i < p->nservers; i++) {
        if (p->servers[i] == first_ssid)
            return snprintf(err, cap, "--preset-server %d given twice", first_ssid), -1;
        for (size_t k = 0; k < i; k++)
            if (p->servers[k] == p->servers[i])
                return snprintf(err, cap, "--preset-server %u given twice", p->servers[i]), -1;
    }
    for (size_t i = 0; i < p->nacls; i++) {
        if (first_ssid > 0 && p->acls[i].iid == 0)
            return snprintf(err, cap, "--preset-acl 0:...: /2/0 is --preset-server's ACL for /3/0"), -1;
        for (size_t k = 0; k < i; k++)
            if (p->acls[k].iid == p->acls[i].iid)
                return snprintf(err, cap, "--preset-acl: /2/%u given twice", p->acls[i].iid), -1;
    }
    return 0;
}

static uint16_t free_inst(const sim_store_t *s, uint16_t obj)
{
    uint16_t i = 0;
    while (sim_store_has_inst(s, obj, i))
        i++;
    return i;
}

int sim_presets_apply(sim_store_t *s, const sim_presets_t *p)
{
    int r = 0;
    char uri[40];
    for (size_t k = 0; k < p->nservers; k++) {
        uint16_t si = free_inst(s, SIM_OBJ_SECURITY), vi = free_inst(s, SIM_OBJ_SERVER), ssid = p->servers[k];
        snprintf(uri, sizeof(uri), "coap://127.0.0.1:%u", 5684u + (unsigned)k);
        r |= sim_store_set_str(s, SIM_OBJ_SECURITY, si, 0, uri);
        r |= sim_store_set_bool(s, SIM_OBJ_SECURITY, si, 1, false);
        r |= sim_store_set_int(s, SIM_OBJ_SECURITY, si, 2, SIM_SEC_NOSEC);
        r |= sim_store_set_int(s, SIM_OBJ_SECURITY, si, 10, ssid);
        r |= sim_store_set_int(s, SIM_OBJ_SERVER, vi, 0, ssid);
        r |= sim_store_set_int(s, SIM_OBJ_SERVER, vi, 1, 86400);
        r |= sim_store_set_bool(s, SIM_OBJ_SERVER, vi, 6, false);
        r |= sim_store_set_str(s, SIM_OBJ_SERVER, vi, 7, "U");
    }
    for (size_t k = 0; k < p->ninsts; k++)
        r |= sim_store_add_inst(s, p->insts[k].obj, p->insts[k].inst);
    for (size_t k = 0; k < p->nacls; k++) {
        const sim_preset_acl_t *a = &p->acls[k];
        r |= sim_store_set_int(s, SIM_OBJ_ACL, a->iid, 0, a->obj);
        r |= sim_store_set_int(s, SIM_OBJ_ACL, a->iid, 1, a->inst);
        for (size_t i = 0; i < a->n; i++)
            r |= sim_store_set_rint(s, SIM_OBJ_ACL, a->iid, 2, a->ssid[i], a->rights[i]);
        r |= sim_store_set_int(s, SIM_OBJ_ACL, a->iid, 3, a->owner);
    }
    return r ? SIM_ST_ERR_FULL : 0;
}
