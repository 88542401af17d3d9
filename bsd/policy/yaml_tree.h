/*
 * yaml_tree.h — a bounded, position-carrying tree read from one YAML
 * document with libyaml, for operator-written configuration (policies).
 *
 * The reader is strict so that what an operator reads is what the daemon
 * gets: anchors, aliases, merge keys (`<<`), tags (`!foo`, `!!binary`),
 * several documents in one stream, `%TAG` directives, complex (non-scalar)
 * keys, duplicate keys in a mapping and NUL characters in scalars are
 * errors, as are input, depth, node-count and scalar-size limits being
 * exceeded. The input must be UTF-8 (a UTF-8 byte-order mark is allowed
 * and not counted in columns; UTF-16 and UTF-32 are refused). Every error message is
 * "NAME:LINE:COLUMN: text" with LINE and COLUMN 1-based (COLUMN counts
 * bytes), or "NAME: text" when no position applies (empty input, out of
 * memory).
 *
 * Scalars keep their text and whether they were quoted, so that callers
 * decide types themselves (a plain `yes` is not silently a boolean, a
 * quoted "10" is not a number): yt_scalar_bool()/_int() accept only the
 * plain spellings listed below.
 *
 * A tree is immutable after yt_parse() and owns all its memory.
 */
#ifndef BSD_POLICY_YAML_TREE_H
#define BSD_POLICY_YAML_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define YT_MAX_INPUT  (1u << 20)  /* bytes of YAML per document */
#define YT_MAX_DEPTH  32          /* nesting of mappings and sequences */
#define YT_MAX_NODES  100000      /* nodes per document */
#define YT_MAX_SCALAR (64u << 10) /* bytes per scalar (a PEM certificate fits) */
#define YT_ERR_MAX    512         /* an error buffer that fits any message (NAME up to 256 bytes) */

typedef enum yt_kind { YT_SCALAR = 1, YT_MAP, YT_SEQ } yt_kind_t;

typedef struct yt_node yt_node_t;

struct yt_node {
    yt_kind_t kind;
    uint32_t line, col; /* 1-based start of the node (for a map entry: of its key) */
    /* YT_SCALAR: |len| bytes of UTF-8 text at |str| (NUL-terminated too;
     * may contain NUL only if the YAML escaped one, which yt_parse refuses).
     * NULL and 0 for maps and sequences. */
    const char *str;
    size_t len;
    bool quoted; /* single- or double-quoted, or a block scalar (| or >) */
    /* YT_MAP: |n| entries, keys[i] (always scalars) -> vals[i], in document order.
     * YT_SEQ: |n| items in vals[]; keys is NULL.
     * YT_SCALAR: n is 0, keys and vals are NULL. */
    const yt_node_t *const *keys;
    const yt_node_t *const *vals;
    size_t n;
};

typedef struct yt_doc yt_doc_t;

/*
 * Parses |len| bytes at |buf| (need not be NUL-terminated) as exactly one
 * YAML document named |name| in messages. An empty document (nothing, or
 * only comments, `---` and `...`) is an error ("NAME: empty document").
 * Returns the tree, or NULL with the message in |err| (|errcap| bytes; cut,
 * never overflowed; errcap may be 0). Thread-safe: no global state.
 */
yt_doc_t *yt_parse(const char *name, const char *buf, size_t len, char *err, size_t errcap);

/* The root node (never NULL for a parsed document). */
const yt_node_t *yt_root(const yt_doc_t *d);

/* Frees |d| (NULL is fine). */
void yt_free(yt_doc_t *d);

/* The value of |key| in map |m|, or NULL (also when |m| is not a map).
 * Linear in the map's size: meant for the few keys a schema knows. */
const yt_node_t *yt_get(const yt_node_t *m, const char *key);

/* 1 when |n| is a plain (unquoted) scalar spelled null, Null, NULL or ~, or is empty and plain. */
bool yt_is_null(const yt_node_t *n);

/* Plain scalars true/True/TRUE/false/False/FALSE only. Returns 0 and sets
 * |*out|, or -1 (not a scalar, quoted, or another spelling). */
int yt_scalar_bool(const yt_node_t *n, bool *out);

/* Plain decimal integers (optional '-', no leading zeros except "0", no
 * '+', no '_', no hex/octal; "-0" is 0) within [min, max]. Returns 0 and
 * sets |*out|, or -1 when not such an integer (also: not a scalar, quoted),
 * -2 when out of range (also: beyond int64_t). */
int yt_scalar_int(const yt_node_t *n, int64_t min, int64_t max, int64_t *out);

/* 1 when |n| is a scalar equal to the NUL-terminated |s|. */
bool yt_scalar_is(const yt_node_t *n, const char *s);

#endif /* BSD_POLICY_YAML_TREE_H */
