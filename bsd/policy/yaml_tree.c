/*
 * yaml_tree.c — the strict, bounded YAML reader of yaml_tree.h, built on
 * libyaml's event parser (what is accepted and the limits: see the header).
 *
 * libyaml does the syntax and the UTF-8 decoding. This file refuses what
 * the strict subset leaves out (anchors, aliases, tags, merge keys, a second
 * document, complex and duplicate keys, NUL in scalars), enforces the
 * limits as the events arrive, and turns libyaml's marks (0-based line,
 * column in characters) into the 1-based line and byte column that the
 * messages and nodes promise.
 *
 * While building, nodes, child lists and scalar text live in growable
 * arrays that refer to each other by index, so they may move as they grow.
 * At the end of the document they are copied into one block with the
 * indexes turned into pointers: a tree is one malloc(), and every error
 * path frees the same few arrays.
 */
#include "bsd/policy/yaml_tree.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define QUOTE_MAX 40                  /* operator bytes shown in a message */
#define QBUF      (4 * QUOTE_MAX + 8) /* their escaped, quoted form */

_Static_assert(YT_MAX_NODES < UINT32_MAX, "node indexes fit in uint32_t");
_Static_assert(_Alignof(yt_node_t) >= _Alignof(yt_node_t *), "child pointers can follow the nodes");

struct yt_doc {
    const yt_node_t *root; /* the first node after this header */
    size_t nnodes;         /* nodes in the block */
};

/* A node while building: offsets and indexes instead of pointers. */
typedef struct yt_bnode {
    uint32_t line, col; /* 1-based; col in bytes */
    size_t off;         /* scalar: text offset in b->text; map/seq: first child in b->kids */
    size_t n;           /* scalar: length; map/seq: entries */
    yt_kind_t kind;
    bool quoted;
} yt_bnode_t;

/* An open mapping or sequence. */
typedef struct yt_open {
    uint32_t node; /* its index in b->nodes */
    size_t base;   /* its first child in b->items */
} yt_open_t;

/* An entry of the duplicate-key set. */
typedef struct yt_dkey {
    uint32_t hash; /* of the key text and map */
    uint32_t map;  /* index of the mapping */
    uint32_t key;  /* index of the key node + 1; 0 = free slot */
} yt_dkey_t;

/* Where the walk over the input stands, in libyaml's terms and in bytes. */
typedef struct yt_cursor {
    size_t line; /* libyaml line (0-based) */
    size_t col;  /* libyaml column: characters since the line start */
    size_t off;  /* byte offset */
    size_t bol;  /* byte offset of the line start */
} yt_cursor_t;

/* Builder state for one yt_parse() call. */
typedef struct yt_build {
    const char *name; /* for messages */
    const unsigned char *buf;
    size_t len;
    char *err;
    size_t errcap;
    yt_cursor_t cur;

    yt_bnode_t *nodes; /* in document order; [0] is the root */
    size_t nnodes, capnodes;
    uint32_t *kids; /* finished child lists: a map's keys, then its values */
    size_t nkids, capkids;
    uint32_t *items; /* children of the open collections, innermost last */
    size_t nitems, capitems;
    char *text; /* scalar texts, each NUL-terminated */
    size_t ntext, captext;
    yt_dkey_t *dkeys; /* open-addressing set of every map key so far */
    size_t ndkeys, capdkeys;
    yt_open_t open[YT_MAX_DEPTH]; /* open collections, outermost first */
    size_t depth;
    unsigned docs; /* documents started */
} yt_build_t;

/* ---- messages ------------------------------------------------------------------ */

/* Writes |n| bytes of |s| with control and non-ASCII bytes as \\xNN, at
 * most QUOTE_MAX bytes (then "..."): messages go to logs. |quoted|: in
 * double quotes, with '"' and '\\' escaped. |out| has QBUF bytes. */
static const char *yt_quote(char *out, const char *s, size_t n, bool quoted)
{
    static const char hx[] = "0123456789abcdef";
    size_t o = 0;
    if (quoted) out[o++] = '"';
    for (size_t i = 0; i < n && i < QUOTE_MAX; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (quoted && (ch == '"' || ch == '\\')) {
            out[o++] = '\\';
            out[o++] = (char)ch;
        } else if (ch < 0x20 || ch >= 0x7f) {
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hx[ch >> 4];
            out[o++] = hx[ch & 15];
        } else {
            out[o++] = (char)ch;
        }
    }
    if (n > QUOTE_MAX) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    if (quoted) out[o++] = '"';
    out[o] = '\0';
    return out;
}

/* "NAME:LINE:COLUMN: text", or "NAME: text" when |line| is 0. Cut to errcap. */
static int yt_vfail(yt_build_t *b, uint32_t line, uint32_t col, const char *fmt, va_list ap)
{
    if (b->errcap == 0) return -1;
    int n = line ? snprintf(b->err, b->errcap, "%s:%u:%u: ", b->name, (unsigned)line, (unsigned)col)
                 : snprintf(b->err, b->errcap, "%s: ", b->name);
    if (n < 0 || (size_t)n >= b->errcap) return -1; /* a cut name: the message is cut, not wrong */
    vsnprintf(b->err + n, b->errcap - (size_t)n, fmt, ap);
    return -1;
}

__attribute__((format(printf, 4, 5))) static int yt_fail_at(yt_build_t *b, uint32_t line, uint32_t col,
                                                            const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    yt_vfail(b, line, col, fmt, ap);
    va_end(ap);
    return -1;
}

__attribute__((format(printf, 2, 3))) static int yt_fail(yt_build_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    yt_vfail(b, 0, 0, fmt, ap);
    va_end(ap);
    return -1;
}

/* ---- positions ----------------------------------------------------------------- */

/* Bytes of the line break at |off|, or 0. libyaml (YAML 1.1) also counts
 * NEL, LS and PS as line breaks, and CR LF as one. */
static size_t yt_break_len(const unsigned char *s, size_t len, size_t off)
{
    if (s[off] == '\n') return 1;
    if (s[off] == '\r') return off + 1 < len && s[off + 1] == '\n' ? 2 : 1;
    if (s[off] == 0xc2 && off + 1 < len && s[off + 1] == 0x85) return 2;
    if (s[off] == 0xe2 && off + 2 < len && s[off + 1] == 0x80 && (s[off + 2] == 0xa8 || s[off + 2] == 0xa9))
        return 3;
    return 0;
}

/* Bytes of the UTF-8 character at |off| (libyaml has checked the encoding
 * of everything its marks point into; a stray byte counts as one). */
static size_t yt_char_len(const unsigned char *s, size_t len, size_t off)
{
    unsigned char c = s[off];
    size_t w = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 1;
    return w <= len - off ? w : len - off;
}

/* Moves the cursor over one character or line break; false at the end. */
static bool yt_step(yt_build_t *b)
{
    yt_cursor_t *c = &b->cur;
    if (c->off >= b->len) return false;
    size_t br = yt_break_len(b->buf, b->len, c->off);
    if (br) {
        c->off += br;
        c->line++;
        c->col = 0;
        c->bol = c->off;
    } else {
        c->off += yt_char_len(b->buf, b->len, c->off);
        c->col++;
    }
    return true;
}

/* The 1-based line and byte column of libyaml's mark |m|, and its byte
 * offset. Node marks come in document order, so the cursor only moves on;
 * a mark behind it (an error's context) restarts at its line or the input. */
static size_t yt_locate(yt_build_t *b, yaml_mark_t m, uint32_t *line, uint32_t *col)
{
    yt_cursor_t *c = &b->cur;
    if (m.line < c->line) {
        memset(c, 0, sizeof *c);
    } else if (m.line == c->line && m.column < c->col) {
        c->col = 0;
        c->off = c->bol;
    }
    while (c->line < m.line && yt_step(b)) {
    }
    while (c->line == m.line && c->col < m.column && c->off < b->len &&
           yt_break_len(b->buf, b->len, c->off) == 0)
        yt_step(b);
    *line = (uint32_t)(c->line + 1);
    *col = (uint32_t)(c->off - c->bol + 1);
    return c->off;
}

/* The 1-based line and column of byte |target| (reader errors and the size
 * limit come as byte offsets; the bytes there need not be valid UTF-8). */
static void yt_locate_offset(const unsigned char *s, size_t len, size_t target, uint32_t *line, uint32_t *col)
{
    size_t ln = 0, bol = 0, off = 0;
    while (off < target && off < len) {
        size_t br = yt_break_len(s, len, off);
        if (br == 0) {
            off++;
            continue;
        }
        if (off + br > target) break; /* inside a CR LF: still on this line */
        off += br;
        ln++;
        bol = off;
    }
    *line = (uint32_t)(ln + 1);
    *col = (uint32_t)(target - bol + 1);
}

__attribute__((format(printf, 3, 4))) static int yt_fail_mark(yt_build_t *b, yaml_mark_t m, const char *fmt,
                                                              ...)
{
    uint32_t line, col;
    yt_locate(b, m, &line, &col);
    va_list ap;
    va_start(ap, fmt);
    yt_vfail(b, line, col, fmt, ap);
    va_end(ap);
    return -1;
}

/* Turns libyaml's error into a message an operator can act on. */
static int yt_syntax_error(yt_build_t *b, const yaml_parser_t *p)
{
    uint32_t line, col, cline, ccol;
    const char *problem = p->problem ? p->problem : "syntax error";
    switch (p->error) {
    case YAML_MEMORY_ERROR: return yt_fail(b, "out of memory");
    case YAML_READER_ERROR: {
        /* The reader reports a byte offset, not a mark. */
        size_t at = p->problem_offset < b->len ? p->problem_offset : b->len;
        yt_locate_offset(b->buf, b->len, at, &line, &col);
        if (strcmp(problem, "control characters are not allowed") == 0 && p->problem_value >= 0)
            return yt_fail_at(b, line, col, "control character U+%04X is not allowed",
                              (unsigned)p->problem_value);
        if (at < b->len)
            return yt_fail_at(b, line, col, "invalid UTF-8: %s (byte 0x%02x)", problem, b->buf[at]);
        return yt_fail_at(b, line, col, "invalid UTF-8: %s", problem);
    }
    case YAML_SCANNER_ERROR:
    case YAML_PARSER_ERROR: {
        size_t at = yt_locate(b, p->problem_mark, &line, &col);
        /* A tab where a token should start: libyaml's words do not say
         * that YAML indents with spaces only. */
        if (at < b->len && b->buf[at] == '\t' &&
            strcmp(problem, "found character that cannot start any token") == 0)
            return yt_fail_at(b, line, col, "tab character not allowed here (YAML indents with spaces)");
        if (p->context == NULL) return yt_fail_at(b, line, col, "%s", problem);
        yt_locate(b, p->context_mark, &cline, &ccol);
        return yt_fail_at(b, line, col, "%s (%s at line %u, column %u)", problem, p->context, (unsigned)cline,
                          (unsigned)ccol);
    }
    default: return yt_fail(b, "cannot parse YAML (libyaml error %d)", (int)p->error);
    }
}

/* ---- building ------------------------------------------------------------------ */

/* |p| grown to hold at least |need| elements of |size| bytes (capacity in
 * *|cap|), or NULL with |p| untouched. Every count is bounded by the limits,
 * so doubling cannot overflow. */
static void *yt_grow(void *p, size_t *cap, size_t need, size_t size)
{
    size_t ncap = *cap ? *cap : 64;
    while (ncap < need)
        ncap *= 2;
    void *np = realloc(p, ncap * size);
    if (np != NULL) *cap = ncap;
    return np;
}

static int yt_nomem(yt_build_t *b)
{
    return yt_fail(b, "out of memory");
}

/* FNV-1a over the key text, mixed with the map: the input is an operator's
 * file, not a stream an attacker shapes to collide. */
static uint32_t yt_key_hash(uint32_t map, const char *s, size_t n)
{
    uint32_t h = 2166136261u ^ map;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h;
}

/* Adds key node |key| of map |map| to the set. Returns 0, 1 when the map
 * already has that key (*first = its node), or -1 (no memory). */
static int yt_key_add(yt_build_t *b, uint32_t map, uint32_t key, uint32_t *first)
{
    if ((b->ndkeys + 1) * 2 > b->capdkeys) {
        size_t ncap = b->capdkeys ? b->capdkeys * 2 : 64;
        yt_dkey_t *t = calloc(ncap, sizeof *t);
        if (t == NULL) return -1;
        for (size_t i = 0; i < b->capdkeys; i++) {
            if (b->dkeys[i].key == 0) continue;
            size_t j = b->dkeys[i].hash & (ncap - 1);
            while (t[j].key != 0)
                j = (j + 1) & (ncap - 1);
            t[j] = b->dkeys[i];
        }
        free(b->dkeys);
        b->dkeys = t;
        b->capdkeys = ncap;
    }
    const yt_bnode_t *k = &b->nodes[key];
    const char *s = b->text + k->off;
    uint32_t h = yt_key_hash(map, s, k->n);
    size_t mask = b->capdkeys - 1, i = h & mask;
    for (; b->dkeys[i].key != 0; i = (i + 1) & mask) {
        const yt_dkey_t *e = &b->dkeys[i];
        const yt_bnode_t *o = &b->nodes[e->key - 1];
        if (e->hash == h && e->map == map && o->n == k->n && memcmp(b->text + o->off, s, k->n) == 0) {
            *first = e->key - 1;
            return 1;
        }
    }
    b->dkeys[i] = (yt_dkey_t){h, map, key + 1};
    b->ndkeys++;
    return 0;
}

/* Refuses anchors and tags on a node. */
static int yt_check_props(yt_build_t *b, const yaml_event_t *e, const yaml_char_t *anchor,
                          const yaml_char_t *tag)
{
    if (anchor == NULL && tag == NULL) return 0;
    uint32_t line, col;
    char q[QBUF];
    size_t at = yt_locate(b, e->start_mark, &line, &col);
    /* The mark is at the first property: name the one the operator sees there. */
    if (tag != NULL && (anchor == NULL || (at < b->len && b->buf[at] == '!'))) {
        size_t end = at;
        while (end < b->len && b->buf[end] != ' ' && b->buf[end] != '\t' && b->buf[end] != '\n' &&
               b->buf[end] != '\r')
            end++;
        if (end == at || b->buf[at] != '!') /* not expected; show libyaml's resolved tag */
            return yt_fail_at(b, line, col, "tags are not supported (%s)",
                              yt_quote(q, (const char *)tag, strlen((const char *)tag), false));
        return yt_fail_at(b, line, col, "tags are not supported (%s)",
                          yt_quote(q, (const char *)b->buf + at, end - at, false));
    }
    char name[QUOTE_MAX + 2];
    snprintf(name, sizeof name, "&%s", (const char *)anchor);
    return yt_fail_at(b, line, col, "anchors are not supported (%s)", yt_quote(q, name, strlen(name), false));
}

/* Appends a node (the caller has checked the node limit). Returns its index or -1. */
static int64_t yt_add_node(yt_build_t *b, yt_kind_t kind, const yaml_event_t *e)
{
    if (b->nnodes == b->capnodes) {
        void *p = yt_grow(b->nodes, &b->capnodes, b->nnodes + 1, sizeof *b->nodes);
        if (p == NULL) return yt_nomem(b);
        b->nodes = p;
    }
    yt_bnode_t *n = &b->nodes[b->nnodes];
    memset(n, 0, sizeof *n);
    n->kind = kind;
    yt_locate(b, e->start_mark, &n->line, &n->col);
    return (int64_t)b->nnodes++;
}

/* Makes node |idx| the next child of the innermost open collection. */
static int yt_attach(yt_build_t *b, uint32_t idx)
{
    if (b->depth == 0) return 0; /* the root */
    if (b->nitems == b->capitems) {
        void *p = yt_grow(b->items, &b->capitems, b->nitems + 1, sizeof *b->items);
        if (p == NULL) return yt_nomem(b);
        b->items = p;
    }
    b->items[b->nitems++] = idx;
    return 0;
}

/* True when the next node is a key of the innermost open mapping. */
static bool yt_at_key(const yt_build_t *b)
{
    if (b->depth == 0) return false;
    const yt_open_t *o = &b->open[b->depth - 1];
    return b->nodes[o->node].kind == YT_MAP && (b->nitems - o->base) % 2 == 0;
}

static int yt_node_limit(yt_build_t *b, const yaml_event_t *e)
{
    if (b->nnodes < YT_MAX_NODES) return 0;
    return yt_fail_mark(b, e->start_mark, "too many nodes (max %d)", YT_MAX_NODES);
}

static int yt_scalar(yt_build_t *b, const yaml_event_t *e)
{
    const char *s = (const char *)e->data.scalar.value;
    size_t len = e->data.scalar.length;
    bool key = yt_at_key(b);
    if (yt_check_props(b, e, e->data.scalar.anchor, e->data.scalar.tag) < 0 || yt_node_limit(b, e) < 0)
        return -1;
    if (len > YT_MAX_SCALAR)
        return yt_fail_mark(b, e->start_mark, "scalar too long (max %u bytes)", YT_MAX_SCALAR);
    /* Only an escape (\0, \x00, \u0000) can put one there: raw NUL bytes are
     * refused by libyaml's reader. C strings would end at it. */
    if (memchr(s, '\0', len) != NULL)
        return yt_fail_mark(b, e->start_mark, "NUL character not allowed in a scalar");
    bool plain = e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    if (key && plain && len == 2 && memcmp(s, "<<", 2) == 0)
        return yt_fail_mark(b, e->start_mark, "merge keys (<<) are not supported");

    if (b->ntext + len + 1 > b->captext) {
        void *p = yt_grow(b->text, &b->captext, b->ntext + len + 1, 1);
        if (p == NULL) return yt_nomem(b);
        b->text = p;
    }
    int64_t idx = yt_add_node(b, YT_SCALAR, e);
    if (idx < 0) return -1;
    yt_bnode_t *n = &b->nodes[idx];
    n->quoted = !plain;
    n->off = b->ntext;
    n->n = len;
    memcpy(b->text + b->ntext, s, len);
    b->text[b->ntext + len] = '\0';
    b->ntext += len + 1;

    if (key) {
        uint32_t first;
        int r = yt_key_add(b, b->open[b->depth - 1].node, (uint32_t)idx, &first);
        if (r < 0) return yt_nomem(b);
        if (r > 0) {
            char q[QBUF];
            return yt_fail_at(b, n->line, n->col, "duplicate key %s (first on line %u)",
                              yt_quote(q, s, len, true), (unsigned)b->nodes[first].line);
        }
    }
    return yt_attach(b, (uint32_t)idx);
}

static int yt_start(yt_build_t *b, const yaml_event_t *e, yt_kind_t kind)
{
    const yaml_char_t *anchor, *tag;
    if (kind == YT_MAP) {
        anchor = e->data.mapping_start.anchor;
        tag = e->data.mapping_start.tag;
    } else {
        anchor = e->data.sequence_start.anchor;
        tag = e->data.sequence_start.tag;
    }
    if (yt_check_props(b, e, anchor, tag) < 0) return -1;
    if (yt_at_key(b))
        return yt_fail_mark(b, e->start_mark,
                            "a mapping key must be a scalar (complex keys are not supported)");
    if (b->depth == YT_MAX_DEPTH)
        return yt_fail_mark(b, e->start_mark, "nesting too deep (max %d levels)", YT_MAX_DEPTH);
    if (yt_node_limit(b, e) < 0) return -1;
    int64_t idx = yt_add_node(b, kind, e);
    if (idx < 0 || yt_attach(b, (uint32_t)idx) < 0) return -1;
    b->open[b->depth++] = (yt_open_t){(uint32_t)idx, b->nitems};
    return 0;
}

/* Closes the innermost collection: its children move to b->kids. */
static int yt_end(yt_build_t *b)
{
    if (b->depth == 0) return 0; /* libyaml balances its events; do not trust it blindly */
    const yt_open_t *o = &b->open[--b->depth];
    yt_bnode_t *n = &b->nodes[o->node];
    size_t count = b->nitems - o->base;
    n->off = b->nkids;
    if (count == 0) return 0; /* the arrays may not exist yet */
    if (b->nkids + count > b->capkids) {
        void *p = yt_grow(b->kids, &b->capkids, b->nkids + count, sizeof *b->kids);
        if (p == NULL) return yt_nomem(b);
        b->kids = p;
    }
    const uint32_t *it = b->items + o->base;
    uint32_t *out = b->kids + b->nkids;
    if (n->kind == YT_MAP) {
        n->n = count / 2; /* libyaml always pairs a key with a value */
        for (size_t i = 0; i < n->n; i++) {
            out[i] = it[2 * i];
            out[n->n + i] = it[2 * i + 1];
        }
    } else {
        n->n = count;
        memcpy(out, it, count * sizeof *it);
    }
    b->nkids += count;
    b->nitems = o->base;
    return 0;
}

static int yt_event(yt_build_t *b, const yaml_event_t *e)
{
    char q[QBUF];
    switch (e->type) {
    case YAML_DOCUMENT_START_EVENT:
        if (b->docs++ > 0) return yt_fail_mark(b, e->start_mark, "only one document is allowed");
        if (e->data.document_start.tag_directives.start != e->data.document_start.tag_directives.end)
            return yt_fail_mark(b, e->start_mark, "tag directives (%%TAG) are not supported");
        return 0;
    case YAML_ALIAS_EVENT: {
        char name[QUOTE_MAX + 2];
        snprintf(name, sizeof name, "*%s", (const char *)e->data.alias.anchor);
        return yt_fail_mark(b, e->start_mark, "aliases are not supported (%s)",
                            yt_quote(q, name, strlen(name), false));
    }
    case YAML_SCALAR_EVENT: return yt_scalar(b, e);
    case YAML_SEQUENCE_START_EVENT: return yt_start(b, e, YT_SEQ);
    case YAML_MAPPING_START_EVENT: return yt_start(b, e, YT_MAP);
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT: return yt_end(b);
    default: return 0; /* stream start/end, document end */
    }
}

/* Copies the finished arrays into one block, indexes turned into pointers. */
static yt_doc_t *yt_finish(yt_build_t *b)
{
    size_t align = _Alignof(yt_node_t);
    size_t hdr = (sizeof(yt_doc_t) + align - 1) / align * align;
    size_t size = hdr + b->nnodes * sizeof(yt_node_t) + b->nkids * sizeof(yt_node_t *) + b->ntext;
    yt_doc_t *d = malloc(size);
    if (d == NULL) {
        yt_nomem(b);
        return NULL;
    }
    yt_node_t *nodes = (yt_node_t *)((char *)d + hdr);
    const yt_node_t **kids = (const yt_node_t **)(nodes + b->nnodes);
    char *text = (char *)(kids + b->nkids);
    if (b->ntext) memcpy(text, b->text, b->ntext);
    for (size_t i = 0; i < b->nkids; i++)
        kids[i] = &nodes[b->kids[i]];
    for (size_t i = 0; i < b->nnodes; i++) {
        const yt_bnode_t *s = &b->nodes[i];
        yt_node_t *n = &nodes[i];
        *n = (yt_node_t){.kind = s->kind, .line = s->line, .col = s->col, .quoted = s->quoted};
        if (s->kind == YT_SCALAR) {
            n->str = text + s->off;
            n->len = s->n;
        } else {
            n->n = s->n;
            n->keys = s->kind == YT_MAP ? kids + s->off : NULL;
            n->vals = kids + s->off + (s->kind == YT_MAP ? s->n : 0);
        }
    }
    d->root = nodes;
    d->nnodes = b->nnodes;
    return d;
}

static void yt_build_free(yt_build_t *b)
{
    free(b->nodes);
    free(b->kids);
    free(b->items);
    free(b->text);
    free(b->dkeys);
}

/* ---- API ------------------------------------------------------------------------ */

yt_doc_t *yt_parse(const char *name, const char *buf, size_t len, char *err, size_t errcap)
{
    yt_build_t b = {.name = name ? name : "yaml", .err = err, .errcap = errcap};
    if (errcap > 0) err[0] = '\0';
    if (buf == NULL && len > 0) {
        yt_fail(&b, "no input");
        return NULL;
    }
    b.buf = (const unsigned char *)(buf ? buf : "");
    b.len = len;
    if (len > YT_MAX_INPUT) {
        uint32_t line, col;
        yt_locate_offset(b.buf, len, YT_MAX_INPUT, &line, &col);
        yt_fail_at(&b, line, col, "input too large (max %u bytes)", YT_MAX_INPUT);
        return NULL;
    }

    /* A UTF-8 byte-order mark is not text: columns do not count it. libyaml,
     * once told the encoding, would take it for a character of line 1 and
     * misjudge that line's indentation, so it goes here. */
    if (len >= 3 && memcmp(b.buf, "\xef\xbb\xbf", 3) == 0) {
        b.buf += 3;
        b.len -= 3;
    } else if (len >= 2 && (memcmp(b.buf, "\xff\xfe", 2) == 0 || memcmp(b.buf, "\xfe\xff", 2) == 0)) {
        yt_fail_at(&b, 1, 1, "input is UTF-16 (byte-order mark found); it must be UTF-8");
        return NULL;
    }

    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) {
        yt_nomem(&b);
        return NULL;
    }
    /* UTF-8 only: no guessing of UTF-16 from a byte-order mark, so that
     * every column counts the bytes the operator's file holds. */
    yaml_parser_set_encoding(&p, YAML_UTF8_ENCODING);
    yaml_parser_set_input_string(&p, b.buf, b.len);
    int r = 0;
    for (bool done = false; r == 0 && !done;) {
        yaml_event_t e;
        if (!yaml_parser_parse(&p, &e)) {
            r = yt_syntax_error(&b, &p);
            break;
        }
        done = e.type == YAML_STREAM_END_EVENT;
        r = yt_event(&b, &e);
        yaml_event_delete(&e);
    }
    yaml_parser_delete(&p);

    yt_doc_t *d = NULL;
    if (r == 0) {
        /* No document, or one that is only `---` (and comments): libyaml
         * gives the latter an empty plain scalar as root. */
        const yt_bnode_t *root = b.nnodes ? &b.nodes[0] : NULL;
        if (root == NULL || (root->kind == YT_SCALAR && root->n == 0 && !root->quoted))
            yt_fail(&b, "empty document");
        else
            d = yt_finish(&b);
    }
    yt_build_free(&b);
    return d;
}

const yt_node_t *yt_root(const yt_doc_t *d)
{
    return d ? d->root : NULL;
}

void yt_free(yt_doc_t *d)
{
    free(d);
}

bool yt_scalar_is(const yt_node_t *n, const char *s)
{
    return n != NULL && s != NULL && n->kind == YT_SCALAR && n->len == strlen(s) &&
           memcmp(n->str, s, n->len) == 0;
}

const yt_node_t *yt_get(const yt_node_t *m, const char *key)
{
    if (m == NULL || key == NULL || m->kind != YT_MAP) return NULL;
    for (size_t i = 0; i < m->n; i++)
        if (yt_scalar_is(m->keys[i], key)) return m->vals[i];
    return NULL;
}

static bool yt_plain(const yt_node_t *n)
{
    return n != NULL && n->kind == YT_SCALAR && !n->quoted;
}

bool yt_is_null(const yt_node_t *n)
{
    if (!yt_plain(n)) return false;
    return n->len == 0 || yt_scalar_is(n, "~") || yt_scalar_is(n, "null") || yt_scalar_is(n, "Null") ||
           yt_scalar_is(n, "NULL");
}

int yt_scalar_bool(const yt_node_t *n, bool *out)
{
    if (!yt_plain(n)) return -1;
    if (yt_scalar_is(n, "true") || yt_scalar_is(n, "True") || yt_scalar_is(n, "TRUE")) {
        *out = true;
        return 0;
    }
    if (yt_scalar_is(n, "false") || yt_scalar_is(n, "False") || yt_scalar_is(n, "FALSE")) {
        *out = false;
        return 0;
    }
    return -1;
}

int yt_scalar_int(const yt_node_t *n, int64_t min, int64_t max, int64_t *out)
{
    if (!yt_plain(n)) return -1;
    const char *s = n->str;
    size_t len = n->len, i = 0;
    bool neg = len > 0 && s[0] == '-';
    if (neg) i++;
    if (i == len || (s[i] == '0' && len - i > 1)) return -1;
    /* Magnitudes up to 2^63 are exact; beyond, only the spelling is still checked. */
    const uint64_t lim = (uint64_t)INT64_MAX + 1;
    uint64_t v = 0;
    bool big = false;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        if (!big && v > (lim - (uint64_t)(s[i] - '0')) / 10)
            big = true;
        else if (!big)
            v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (big || (!neg && v == lim)) return -2;
    int64_t x = neg ? (v == lim ? INT64_MIN : -(int64_t)v) : (int64_t)v;
    if (x < min || x > max) return -2;
    *out = x;
    return 0;
}
