/*
 * sim_discover.c — link-format Bootstrap-Discover answers per client
 * dialect (see sim_discover.h). The attribute rules follow what Wakaama
 * f91cfe0, Anjay 3.14.0, Zephyr and Leshan clients were seen to send.
 */
#include "tools/sim/sim_discover.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int sim_dialect_parse(const char *s)
{
    static const char *names[] = {"wakaama", "anjay", "zephyr", "leshan"};
    for (int i = 0; i < 4; i++)
        if (strcmp(s, names[i]) == 0) return i;
    return -1;
}

const char *sim_dialect_name(sim_dialect_t d)
{
    switch (d) {
    case SIM_DIALECT_ANJAY: return "anjay";
    case SIM_DIALECT_ZEPHYR: return "zephyr";
    case SIM_DIALECT_LESHAN: return "leshan";
    default: return "wakaama";
    }
}

typedef struct sb {
    char *p;
    size_t cap, len;
    int err;
} sb_t;

static void put(sb_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(sb_t *b, const char *fmt, ...)
{
    if (b->err) return;
    /* vsnprintf needs room for its NUL even though the answer has none. */
    char tmp[96];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(tmp) || b->len + (size_t)n > b->cap) {
        b->err = 1;
        return;
    }
    memcpy(b->p + b->len, tmp, (size_t)n);
    b->len += (size_t)n;
}

/* Appends ;uri="…" with RFC 6690 quoted-string escaping. */
static void put_uri(sb_t *b, const sim_store_t *s, const sim_val_t *v)
{
    const uint8_t *u = sim_store_bytes(s, v);
    put(b, ";uri=\"");
    for (uint32_t i = 0; i < v->bytes.len && !b->err; i++) {
        if (u[i] == '"' || u[i] == '\\') put(b, "\\");
        put(b, "%c", u[i]);
    }
    put(b, "\"");
}

/* The version of object |obj| this client claims, or NULL for 1.0. */
static const char *obj_ver(const sim_store_t *s, int minor, uint16_t obj)
{
    if (minor < 1) return NULL;
    if (obj == SIM_OBJ_SERVER) return "1.1";
    if (obj == SIM_OBJ_OSCORE) return (s->flags & SIM_ST_OSCORE_V1) ? "1.1" : "2.0";
    return NULL;
}

static void put_instance(sb_t *b, const sim_store_t *s, sim_dialect_t d, uint16_t obj, uint16_t inst, int bs)
{
    put(b, ",</%u/%u>", obj, inst);
    int64_t ssid;
    if (obj == SIM_OBJ_SERVER) {
        if (sim_store_get_int(s, obj, inst, 0, &ssid) == 0) put(b, ";ssid=%lld", (long long)ssid);
        return;
    }
    if (obj != SIM_OBJ_SECURITY) return;
    int is_bs = (int)inst == bs;
    if (is_bs && (d == SIM_DIALECT_WAKAAMA || d == SIM_DIALECT_ZEPHYR)) return;
    if (!is_bs && sim_store_get_int(s, obj, inst, 10, &ssid) == 0) put(b, ";ssid=%lld", (long long)ssid);
    if (d == SIM_DIALECT_ZEPHYR) return;
    const sim_val_t *uri = sim_store_get(s, obj, inst, 0, LWM2M_ID_NONE);
    if (uri && uri->type == LWM2M_T_STRING) put_uri(b, s, uri);
}

static void put_object(sb_t *b, const sim_store_t *s, sim_dialect_t d, int minor, uint16_t obj, int bs)
{
    size_t first = s->ninst;
    for (size_t i = 0; i < s->ninst; i++)
        if (s->insts[i].obj == obj) {
            first = i;
            break;
        }
    const char *ver = obj_ver(s, minor, obj);
    if (d == SIM_DIALECT_ANJAY || ver || first == s->ninst) {
        put(b, ",</%u>", obj);
        if (ver) put(b, ";ver=%s", ver);
    }
    for (size_t i = first; i < s->ninst && s->insts[i].obj == obj; i++)
        put_instance(b, s, d, obj, s->insts[i].inst, bs);
}

static int is_builtin(uint16_t obj, int minor)
{
    return obj <= SIM_OBJ_DEVICE || (obj == SIM_OBJ_OSCORE && minor >= 1);
}

int sim_discover(const sim_store_t *s, sim_dialect_t d, int minor, const lwm2m_path_t *p, char *out,
                 size_t cap)
{
    if (p->depth > 1) return SIM_DISC_ERR_PATH;
    sb_t b = {out, cap, 0, 0};
    int bs = sim_store_bs_inst(s);
    if (p->depth == 1) {
        if (!is_builtin(p->obj, minor)) {
            int any = 0;
            for (size_t i = 0; i < s->ninst; i++)
                any |= s->insts[i].obj == p->obj;
            if (!any) return SIM_DISC_ERR_NOTFOUND;
        }
        put_object(&b, s, d, minor, p->obj, bs);
    } else {
        if (d == SIM_DIALECT_ZEPHYR)
            put(&b, ",lwm2m=\"1.%d\"", minor);
        else if (d == SIM_DIALECT_ANJAY && minor == 0)
            put(&b, ",</>;lwm2m=\"1.0\"");
        else
            put(&b, ",</>;lwm2m=1.%d", minor);
        /* Objects in ascending order: the built-in ones merged with those
         * that have instances. */
        int last = -1;
        size_t i = 0;
        for (;;) {
            int next = 65536;
            for (int o = last + 1; o <= SIM_OBJ_OSCORE; o++)
                if (is_builtin((uint16_t)o, minor)) {
                    next = o;
                    break;
                }
            while (i < s->ninst && (int)s->insts[i].obj <= last)
                i++;
            if (i < s->ninst && s->insts[i].obj < next) next = s->insts[i].obj;
            if (next == 65536) break;
            put_object(&b, s, d, minor, (uint16_t)next, bs);
            last = next;
        }
    }
    if (b.err) return SIM_DISC_ERR_NOSPACE;
    /* Every item was written with a leading comma: drop the first one. */
    if (b.len == 0) return 0;
    memmove(out, out + 1, b.len - 1);
    return (int)b.len - 1;
}
