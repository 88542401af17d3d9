/*
 * sim_dump.c — growable text and the JSON dump of a device's store (see
 * sim_dump.h). Only used when a device completes, never per datagram.
 */
#include "tools/sim/sim_dump.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sim_text_reset(sim_text_t *t)
{
    t->len = 0;
    t->err = 0;
    if (t->p) t->p[0] = 0;
}

void sim_text_free(sim_text_t *t)
{
    free(t->p);
    memset(t, 0, sizeof(*t));
}

static int reserve(sim_text_t *t, size_t more)
{
    if (t->err) return -1;
    if (t->len + more + 1 <= t->cap) return 0;
    size_t need = t->len + more + 1;
    if (need > SIM_TEXT_MAX) {
        t->err = 1;
        return -1;
    }
    size_t cap = t->cap ? t->cap : 256;
    while (cap < need)
        cap *= 2;
    char *np = realloc(t->p, cap);
    if (!np) {
        t->err = 1;
        return -1;
    }
    t->p = np;
    t->cap = cap;
    return 0;
}

void sim_text_printf(sim_text_t *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || reserve(t, (size_t)n) != 0) {
        t->err = 1;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
    va_end(ap);
    t->len += (size_t)n;
}

/* Length of the valid UTF-8 sequence at |s| (|n| bytes left), 0 if invalid
 * (overlong forms, surrogates and values above U+10FFFF included). */
static size_t utf8_len(const uint8_t *s, size_t n)
{
    uint8_t c = s[0];
    size_t len;
    uint32_t cp;
    if (c < 0x80) return 1;
    if (c >= 0xc2 && c <= 0xdf)
        len = 2, cp = c & 0x1f;
    else if (c >= 0xe0 && c <= 0xef)
        len = 3, cp = c & 0x0f;
    else if (c >= 0xf0 && c <= 0xf4)
        len = 4, cp = c & 0x07;
    else
        return 0;
    if (n < len) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;
    return len;
}

int sim_text_utf8_valid(const uint8_t *s, size_t len)
{
    for (size_t i = 0, l; i < len; i += l)
        if ((l = utf8_len(s + i, len - i)) == 0) return 0;
    return 1;
}

void sim_text_json_str(sim_text_t *t, const uint8_t *s, size_t len)
{
    if (reserve(t, len * 6 + 2) != 0) return; /* worst case: \u00XX per byte */
    char *o = t->p + t->len;
    *o++ = '"';
    for (size_t i = 0; i < len;) {
        uint8_t c = s[i];
        if (c == '"' || c == '\\') {
            *o++ = '\\';
            *o++ = (char)c;
            i++;
        } else if (c < 0x20 || c == 0x7f) {
            o += sprintf(o, "\\u%04x", c);
            i++;
        } else {
            size_t l = utf8_len(s + i, len - i);
            if (l == 0) {
                o += sprintf(o, "\\ufffd");
                i++;
            } else {
                memcpy(o, s + i, l);
                o += l;
                i += l;
            }
        }
    }
    *o++ = '"';
    *o = 0;
    t->len = (size_t)(o - t->p);
}

void sim_text_json_hex(sim_text_t *t, const uint8_t *s, size_t len)
{
    static const char hx[] = "0123456789abcdef";
    if (reserve(t, len * 2 + 2) != 0) return;
    char *o = t->p + t->len;
    *o++ = '"';
    for (size_t i = 0; i < len; i++) {
        *o++ = hx[s[i] >> 4];
        *o++ = hx[s[i] & 15];
    }
    *o++ = '"';
    *o = 0;
    t->len = (size_t)(o - t->p);
}

static void put_value(sim_text_t *t, const sim_store_t *s, const sim_val_t *v)
{
    switch (v->type) {
    case LWM2M_T_STRING:
    case LWM2M_T_CORELNK: sim_text_json_str(t, sim_store_bytes(s, v), v->bytes.len); break;
    case LWM2M_T_OPAQUE: sim_text_json_hex(t, sim_store_bytes(s, v), v->bytes.len); break;
    case LWM2M_T_UNSIGNED: sim_text_printf(t, "%llu", (unsigned long long)v->u); break;
    case LWM2M_T_FLOAT:
        if (isfinite(v->f))
            sim_text_printf(t, "%.17g", v->f);
        else
            sim_text_printf(t, "null");
        break;
    case LWM2M_T_BOOLEAN: sim_text_printf(t, "%s", v->b ? "true" : "false"); break;
    case LWM2M_T_OBJLNK: sim_text_printf(t, "\"%u:%u\"", v->lnk.obj, v->lnk.inst); break;
    default: sim_text_printf(t, "%lld", (long long)v->i); break;
    }
}

void sim_dump_device(sim_text_t *t, const sim_store_t *s, const char *ep, const char *outcome,
                     uint8_t finish_code, const char *detail)
{
    sim_text_printf(t, "{\"endpoint\":");
    sim_text_json_str(t, (const uint8_t *)ep, strlen(ep));
    sim_text_printf(t, ",\"outcome\":\"%s\",\"finish_code\":", outcome);
    if (finish_code)
        sim_text_printf(t, "\"%u.%02u\"", finish_code >> 5, finish_code & 31u);
    else
        sim_text_printf(t, "null");
    sim_text_printf(t, ",\"detail\":");
    detail = detail ? detail : "";
    sim_text_json_str(t, (const uint8_t *)detail, strlen(detail));
    sim_text_printf(t, ",\"instances\":");
    sim_dump_instances(t, s, put_value);
    sim_text_printf(t, "}");
}

void sim_dump_instances(sim_text_t *t, const sim_store_t *s, sim_dump_val_fn put)
{
    sim_text_printf(t, "{");
    size_t v = 0;
    for (size_t i = 0; i < s->ninst; i++) {
        uint16_t obj = s->insts[i].obj, inst = s->insts[i].inst;
        sim_text_printf(t, "%s\"/%u/%u\":{", i ? "," : "", obj, inst);
        /* Values are sorted like instances: skip to this instance's. */
        while (v < s->nval &&
               (s->vals[v].path.obj < obj || (s->vals[v].path.obj == obj && s->vals[v].path.inst < inst)))
            v++;
        int first = 1, open_multi = -1;
        for (; v < s->nval && s->vals[v].path.obj == obj && s->vals[v].path.inst == inst; v++) {
            const sim_val_t *x = &s->vals[v];
            if (open_multi >= 0 && (x->path.depth != 4 || x->path.res != open_multi)) {
                sim_text_printf(t, "}");
                open_multi = -1;
            }
            if (x->path.depth == 4) {
                if (open_multi < 0) {
                    sim_text_printf(t, "%s\"%u\":{", first ? "" : ",", x->path.res);
                    open_multi = x->path.res;
                    first = 0;
                } else {
                    sim_text_printf(t, ",");
                }
                sim_text_printf(t, "\"%u\":", x->path.rinst);
            } else {
                sim_text_printf(t, "%s\"%u\":", first ? "" : ",", x->path.res);
                first = 0;
            }
            put(t, s, x);
        }
        if (open_multi >= 0) sim_text_printf(t, "}");
        sim_text_printf(t, "}");
    }
    sim_text_printf(t, "}");
}
