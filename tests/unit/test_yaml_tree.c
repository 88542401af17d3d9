/*
 * test_yaml_tree.c — unit tests for bsd/policy/yaml_tree.c: trees with
 * exact positions (block, flow, block scalars, quoting, comments, document
 * markers, UTF-8 byte columns), broken inputs with their exact messages,
 * the four limits at and just past their bound, message truncation, and
 * the typed scalar helpers.
 */
#include "bsd/policy/yaml_tree.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char err[YT_ERR_MAX];

static yt_doc_t *parse_len(const char *text, size_t len)
{
    err[0] = '\0';
    yt_doc_t *d = yt_parse("t.yaml", text, len, err, sizeof err);
    ck_assert_msg(d != NULL, "refused: %s", err);
    ck_assert_str_eq(err, "");
    return d;
}

static yt_doc_t *parse(const char *text)
{
    return parse_len(text, strlen(text));
}

/* Checks the kind, position and (for scalars) text and quoting of |n|. */
#define CHECK_NODE(nd, k, l, c)                                                                              \
    do {                                                                                                     \
        ck_assert_ptr_nonnull(nd);                                                                           \
        ck_assert_int_eq((nd)->kind, (k));                                                                   \
        ck_assert_uint_eq((nd)->line, (l));                                                                  \
        ck_assert_uint_eq((nd)->col, (c));                                                                   \
    } while (0)
#define CHECK_SCALAR(nd, l, c, text, q)                                                                      \
    do {                                                                                                     \
        CHECK_NODE(nd, YT_SCALAR, l, c);                                                                     \
        ck_assert_uint_eq((nd)->len, strlen(text));                                                          \
        ck_assert_mem_eq((nd)->str, (text), strlen(text) + 1);                                               \
        ck_assert_int_eq((nd)->quoted, (q));                                                                 \
        ck_assert_ptr_null((nd)->keys);                                                                      \
        ck_assert_ptr_null((nd)->vals);                                                                      \
        ck_assert_uint_eq((nd)->n, 0);                                                                       \
    } while (0)

/* ---- trees ---------------------------------------------------------------------- */

START_TEST(test_nested)
{
    yt_doc_t *d = parse("# a policy\n"              /* 1 */
                        "name: demo\n"              /* 2 */
                        "wifi:\n"                   /* 3 */
                        "  ssid: home\n"            /* 4 */
                        "  channels:\n"             /* 5 */
                        "    - 1\n"                 /* 6 */
                        "    -   6\n"               /* 7 */
                        "servers:\n"                /* 8 */
                        "- id: 1\n"                 /* 9 */
                        "  uri: coaps://a:5684\n"   /* 10 */
                        "-\n"                       /* 11 */
                        "    - deep\n"              /* 12 */
                        "empty:\n"                  /* 13 */
                        "last: [ ]   # comment\n"); /* 14 */
    const yt_node_t *r = yt_root(d);
    CHECK_NODE(r, YT_MAP, 2, 1);
    ck_assert_ptr_null(r->str);
    ck_assert_uint_eq(r->n, 5);
    CHECK_SCALAR(r->keys[0], 2, 1, "name", false);
    CHECK_SCALAR(r->vals[0], 2, 7, "demo", false);
    CHECK_SCALAR(r->keys[1], 3, 1, "wifi", false);
    CHECK_SCALAR(r->keys[2], 8, 1, "servers", false);
    CHECK_SCALAR(r->keys[3], 13, 1, "empty", false);
    CHECK_SCALAR(r->keys[4], 14, 1, "last", false);

    const yt_node_t *wifi = yt_get(r, "wifi");
    ck_assert_ptr_eq(wifi, r->vals[1]);
    CHECK_NODE(wifi, YT_MAP, 4, 3);
    ck_assert_uint_eq(wifi->n, 2);
    CHECK_SCALAR(wifi->keys[0], 4, 3, "ssid", false);
    CHECK_SCALAR(yt_get(wifi, "ssid"), 4, 9, "home", false);
    const yt_node_t *ch = yt_get(wifi, "channels");
    CHECK_NODE(ch, YT_SEQ, 6, 5);
    ck_assert_ptr_null(ch->keys);
    ck_assert_uint_eq(ch->n, 2);
    CHECK_SCALAR(ch->vals[0], 6, 7, "1", false);
    CHECK_SCALAR(ch->vals[1], 7, 9, "6", false);

    const yt_node_t *sv = yt_get(r, "servers");
    CHECK_NODE(sv, YT_SEQ, 9, 1); /* an indentless sequence starts at its first '-' */
    ck_assert_uint_eq(sv->n, 2);
    CHECK_NODE(sv->vals[0], YT_MAP, 9, 3);
    ck_assert_uint_eq(sv->vals[0]->n, 2);
    CHECK_SCALAR(sv->vals[0]->keys[1], 10, 3, "uri", false);
    CHECK_SCALAR(yt_get(sv->vals[0], "uri"), 10, 8, "coaps://a:5684", false);
    CHECK_NODE(sv->vals[1], YT_SEQ, 12, 5);
    CHECK_SCALAR(sv->vals[1]->vals[0], 12, 7, "deep", false);

    const yt_node_t *e = yt_get(r, "empty");
    CHECK_NODE(e, YT_SCALAR, 13, 7);
    ck_assert_uint_eq(e->len, 0);
    ck_assert(yt_is_null(e));
    const yt_node_t *last = yt_get(r, "last");
    CHECK_NODE(last, YT_SEQ, 14, 7);
    ck_assert_uint_eq(last->n, 0);
    ck_assert_ptr_null(yt_get(r, "nope"));
    yt_free(d);
}
END_TEST

START_TEST(test_flow)
{
    yt_doc_t *d = parse("{a: 1, b: [x, y], 'c d': {}, e: [{f: g}]}\n");
    const yt_node_t *r = yt_root(d);
    CHECK_NODE(r, YT_MAP, 1, 1);
    ck_assert_uint_eq(r->n, 4);
    CHECK_SCALAR(r->keys[0], 1, 2, "a", false);
    CHECK_SCALAR(r->vals[0], 1, 5, "1", false);
    CHECK_SCALAR(r->keys[1], 1, 8, "b", false);
    const yt_node_t *b = r->vals[1];
    CHECK_NODE(b, YT_SEQ, 1, 11);
    ck_assert_uint_eq(b->n, 2);
    CHECK_SCALAR(b->vals[0], 1, 12, "x", false);
    CHECK_SCALAR(b->vals[1], 1, 15, "y", false);
    CHECK_SCALAR(r->keys[2], 1, 19, "c d", true);
    CHECK_NODE(r->vals[2], YT_MAP, 1, 26);
    ck_assert_uint_eq(r->vals[2]->n, 0);
    const yt_node_t *e = yt_get(r, "e");
    CHECK_NODE(e, YT_SEQ, 1, 33);
    CHECK_NODE(e->vals[0], YT_MAP, 1, 34);
    CHECK_SCALAR(yt_get(e->vals[0], "f"), 1, 38, "g", false);
    yt_free(d);

    /* A collection as root, flow and block mixed, a single-pair map in a flow sequence. */
    d = parse("- [a, {b: c}]\n- [k: v]\n");
    r = yt_root(d);
    CHECK_NODE(r, YT_SEQ, 1, 1);
    CHECK_NODE(r->vals[0], YT_SEQ, 1, 3);
    CHECK_NODE(r->vals[0]->vals[1], YT_MAP, 1, 7);
    CHECK_NODE(r->vals[1]->vals[0], YT_MAP, 2, 4);
    CHECK_SCALAR(yt_get(r->vals[1]->vals[0], "k"), 2, 7, "v", false);
    yt_free(d);
}
END_TEST

START_TEST(test_block_scalars)
{
    yt_doc_t *d = parse("lit: |\n"
                        "  line one\n"
                        "    indented\n"
                        "  line two\n"
                        "fold: >\n"
                        "  folded\n"
                        "  text\n"
                        "\n"
                        "  para\n"
                        "strip: |-\n"
                        "  x\n"
                        "keep: |+\n"
                        "  y\n"
                        "\n"
                        "pem: |\n"
                        "  -----BEGIN CERTIFICATE-----\n"
                        "  MIIB\n"
                        "  -----END CERTIFICATE-----\n");
    const yt_node_t *r = yt_root(d);
    CHECK_SCALAR(yt_get(r, "lit"), 1, 6, "line one\n  indented\nline two\n", true);
    CHECK_SCALAR(yt_get(r, "fold"), 5, 7, "folded text\npara\n", true);
    CHECK_SCALAR(yt_get(r, "strip"), 10, 8, "x", true);
    CHECK_SCALAR(yt_get(r, "keep"), 12, 7, "y\n\n", true);
    CHECK_SCALAR(yt_get(r, "pem"), 15, 6, "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
                 true);
    yt_free(d);
}
END_TEST

START_TEST(test_quoting)
{
    yt_doc_t *d = parse("p: plain text\n"
                        "s: 'single ''q'' #x'\n"
                        "d: \"dq\\t\\u00e9\\x41 \\\"\"\n"
                        "e: ''\n"
                        "n: \"10\"\n"
                        "\"<<\": quoted merge key is a string\n"
                        "multi: a\n"
                        "  b\n");
    const yt_node_t *r = yt_root(d);
    CHECK_SCALAR(yt_get(r, "p"), 1, 4, "plain text", false);
    CHECK_SCALAR(yt_get(r, "s"), 2, 4, "single 'q' #x", true);
    CHECK_SCALAR(yt_get(r, "d"), 3, 4,
                 "dq\t\xc3\xa9"
                 "A \"",
                 true);
    CHECK_SCALAR(yt_get(r, "e"), 4, 4, "", true);
    ck_assert(!yt_is_null(yt_get(r, "e")));
    int64_t v;
    ck_assert_int_eq(yt_scalar_int(yt_get(r, "n"), 0, 100, &v), -1);
    CHECK_SCALAR(r->keys[5], 6, 1, "<<", true);
    CHECK_SCALAR(yt_get(r, "multi"), 7, 8, "a b", false);
    yt_free(d);
}
END_TEST

START_TEST(test_markers_comments)
{
    yt_doc_t *d = parse("# leading comment\n"
                        "%YAML 1.1\n"
                        "--- # start\n"
                        "a: 1 # trailing\n"
                        "  # indented comment\n"
                        "b: \"#not a comment\"\n"
                        "c: x#y\n"
                        "...\n"
                        "# after the end\n");
    const yt_node_t *r = yt_root(d);
    CHECK_NODE(r, YT_MAP, 4, 1);
    ck_assert_uint_eq(r->n, 3);
    CHECK_SCALAR(yt_get(r, "a"), 4, 4, "1", false);
    CHECK_SCALAR(yt_get(r, "b"), 6, 4, "#not a comment", true);
    CHECK_SCALAR(yt_get(r, "c"), 7, 4, "x#y", false);
    yt_free(d);

    /* A scalar as the whole document, after an explicit start. */
    d = parse("--- hello\n");
    CHECK_SCALAR(yt_root(d), 1, 5, "hello", false);
    yt_free(d);
    /* Quoted empty and ~ are values, not an empty document. */
    d = parse("\"\"");
    CHECK_SCALAR(yt_root(d), 1, 1, "", true);
    yt_free(d);
    d = parse("~\n");
    ck_assert(yt_is_null(yt_root(d)));
    yt_free(d);
}
END_TEST

START_TEST(test_utf8)
{
    /* Columns count bytes: 名前 is 6 bytes, é and ü 2. */
    yt_doc_t *d = parse("\xe5\x90\x8d\xe5\x89\x8d: \"Gr\xc3\xbc\xc3\x9f"
                        "e\"\n"
                        "\xc3\xa9: [\xc3\xbc, \xf0\x9f\x98\x80] # \xc3\xbc\n"
                        "x: \xe2\x82\xac\n");
    const yt_node_t *r = yt_root(d);
    CHECK_SCALAR(r->keys[0], 1, 1, "\xe5\x90\x8d\xe5\x89\x8d", false);
    CHECK_SCALAR(r->vals[0], 1, 9,
                 "Gr\xc3\xbc\xc3\x9f"
                 "e",
                 true);
    CHECK_SCALAR(r->keys[1], 2, 1, "\xc3\xa9", false);
    CHECK_NODE(r->vals[1], YT_SEQ, 2, 5);
    CHECK_SCALAR(r->vals[1]->vals[0], 2, 6, "\xc3\xbc", false);
    CHECK_SCALAR(r->vals[1]->vals[1], 2, 10, "\xf0\x9f\x98\x80", false);
    CHECK_SCALAR(yt_get(r, "x"), 3, 4, "\xe2\x82\xac", false);
    yt_free(d);

    /* A byte-order mark is skipped and not counted; CR LF, CR, NEL and LS end lines as in libyaml. */
    d = parse("\xef\xbb\xbf"
              "a: 1\r\nb: 2\rc: 3\xc2\x85"
              "d: 4\xe2\x80\xa8"
              "e: \xc3\xa9\n");
    r = yt_root(d);
    CHECK_SCALAR(r->keys[0], 1, 1, "a", false);
    CHECK_SCALAR(r->keys[1], 2, 1, "b", false);
    CHECK_SCALAR(r->keys[2], 3, 1, "c", false);
    CHECK_SCALAR(r->keys[3], 4, 1, "d", false);
    CHECK_SCALAR(r->keys[4], 5, 1, "e", false);
    CHECK_SCALAR(r->vals[4], 5, 4, "\xc3\xa9", false);
    yt_free(d);

    /* Not NUL-terminated: only |len| bytes are read. */
    d = parse_len("a: 12345", 6);
    CHECK_SCALAR(yt_get(yt_root(d), "a"), 1, 4, "123", false);
    yt_free(d);
}
END_TEST

/* The same key in different maps is fine. */
START_TEST(test_same_key_other_maps)
{
    yt_doc_t *d = parse("a: {id: 1}\nb: {id: 1}\nc:\n- id: 1\n- id: 2\nid: 3\n");
    const yt_node_t *r = yt_root(d);
    ck_assert_uint_eq(r->n, 4);
    CHECK_SCALAR(yt_get(yt_get(r, "b"), "id"), 2, 9, "1", false);
    CHECK_SCALAR(yt_get(r, "id"), 6, 5, "3", false);
    yt_free(d);
}
END_TEST

/* ---- broken inputs ------------------------------------------------------------ */

struct bad_case {
    const char *text;
    size_t len; /* 0: strlen(text) */
    const char *want;
};

static char deep_flow[2 * 33 + 2], deep_block[33 * 72], long_scalar[YT_MAX_SCALAR + 16], long_key[128];
static char many_nodes[2 * YT_MAX_NODES + 8];
static char too_big[YT_MAX_INPUT + 2];

static const struct bad_case bad_cases[] = {
    /* anchors, aliases, merge keys */
    {"a: &x 1\n", 0, "t.yaml:1:4: anchors are not supported (&x)"},
    {"a: &m {b: 1}\n", 0, "t.yaml:1:4: anchors are not supported (&m)"},
    {"&top\na: 1\n", 0, "t.yaml:1:1: anchors are not supported (&top)"},
    {"a: *x\n", 0, "t.yaml:1:4: aliases are not supported (*x)"},
    {"- a\n- *ref\n", 0, "t.yaml:2:3: aliases are not supported (*ref)"},
    {"base: 1\n<<: {a: 1}\n", 0, "t.yaml:2:1: merge keys (<<) are not supported"},
    {"x:\n  - {<<: [a], b: 1}\n", 0, "t.yaml:2:6: merge keys (<<) are not supported"},
    /* tags */
    {"cert: !!binary aGk=\n", 0, "t.yaml:1:7: tags are not supported (!!binary)"},
    {"a: !local x\n", 0, "t.yaml:1:4: tags are not supported (!local)"},
    {"a: !!str 1\n", 0, "t.yaml:1:4: tags are not supported (!!str)"},
    {"a: ! x\n", 0, "t.yaml:1:4: tags are not supported (!)"},
    {"a: !!seq [1]\n", 0, "t.yaml:1:4: tags are not supported (!!seq)"},
    {"!!map {a: 1}\n", 0, "t.yaml:1:1: tags are not supported (!!map)"},
    {"!<tag:example.com,2024:x> a\n", 0, "t.yaml:1:1: tags are not supported (!<tag:example.com,2024:x>)"},
    {"a: !t &x 1\n", 0, "t.yaml:1:4: tags are not supported (!t)"},
    {"a: &x !t 1\n", 0, "t.yaml:1:4: anchors are not supported (&x)"},
    {"%TAG !e! tag:example.com,2024:\n--- a\n", 0, "t.yaml:1:1: tag directives (%TAG) are not supported"},
    /* documents */
    {"a: 1\n---\nb: 2\n", 0, "t.yaml:2:1: only one document is allowed"},
    {"--- a\n--- b\n", 0, "t.yaml:2:1: only one document is allowed"},
    {"a: 1\n...\n---\n", 0, "t.yaml:3:1: only one document is allowed"},
    {"a: 1\n...\nb: 2\n", 0, "t.yaml:3:1: did not find expected <document start>"},
    {"", 0, "t.yaml: empty document"},
    {"# only\n  # comments\n\n", 0, "t.yaml: empty document"},
    {"---\n...\n", 0, "t.yaml: empty document"},
    {"--- # nothing\n", 0, "t.yaml: empty document"},
    {"\xef\xbb\xbf", 0, "t.yaml: empty document"},
    {"%YAML 2.0\n--- a\n", 0, "t.yaml:1:1: found incompatible YAML document"},
    /* keys */
    {"? [a]\n: 1\n", 0, "t.yaml:1:3: a mapping key must be a scalar (complex keys are not supported)"},
    {"{{a: 1}: 2}\n", 0, "t.yaml:1:2: a mapping key must be a scalar (complex keys are not supported)"},
    {"# c\nname: x\nmode: y\nssid: a\nssid: b\n", 0, "t.yaml:5:1: duplicate key \"ssid\" (first on line 4)"},
    {"a:\n  b: 1\n  c: 2\n  b: 3\n", 0, "t.yaml:4:3: duplicate key \"b\" (first on line 2)"},
    {"- x: {a: 1, b: 2, a: 3}\n", 0, "t.yaml:1:19: duplicate key \"a\" (first on line 1)"},
    {"\"a\": 1\na: 2\n", 0, "t.yaml:2:1: duplicate key \"a\" (first on line 1)"},
    {"? a\n? a\n", 0, "t.yaml:2:3: duplicate key \"a\" (first on line 1)"},
    {"a: 1\r\nb: 2\r\nb: 3\r\n", 0, "t.yaml:3:1: duplicate key \"b\" (first on line 2)"},
    {"\"q\\\"\\u00e9\": 1\n\"q\\\"\\u00e9\": 2\n", 0,
     "t.yaml:2:1: duplicate key \"q\\\"\\xc3\\xa9\" (first on line 1)"},
    {long_key, 0,
     "t.yaml:2:1: duplicate key \"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk...\" (first on line 1)"},
    /* syntax */
    {"a:\n\tb: 1\n", 0, "t.yaml:2:1: tab character not allowed here (YAML indents with spaces)"},
    {"a: \"abc\n", 0,
     "t.yaml:2:1: found unexpected end of stream (while scanning a quoted scalar at line 1, column 4)"},
    {"a: 'abc\nb: 1\n", 0,
     "t.yaml:3:1: found unexpected end of stream (while scanning a quoted scalar at line 1, column 4)"},
    {"a:\n  b: 1\n c: 2\n", 0,
     "t.yaml:3:2: did not find expected key (while parsing a block mapping at line 1, column 1)"},
    {"a:\n  - b\n  c: 1\n", 0,
     "t.yaml:3:3: did not find expected '-' indicator (while parsing a block collection at line 2, column "
     "3)"},
    {"a: b: c\n", 0, "t.yaml:1:5: mapping values are not allowed in this context"},
    {"a: [1, 2\n", 0,
     "t.yaml:2:1: did not find expected ',' or ']' (while parsing a flow sequence at line 1, column 4)"},
    {"a: \"\\q\"\n", 0,
     "t.yaml:1:5: found unknown escape character (while parsing a quoted scalar at line 1, column 4)"},
    /* NUL, control characters, encoding */
    {"a: \"x\\0y\"\n", 0, "t.yaml:1:4: NUL character not allowed in a scalar"},
    {"a: \"\\x00\"\n", 0, "t.yaml:1:4: NUL character not allowed in a scalar"},
    {"\"k\\u0000\": 1\n", 0, "t.yaml:1:1: NUL character not allowed in a scalar"},
    {"a: x\0y\n", 7, "t.yaml:1:5: control character U+0000 is not allowed"},
    {"a: 1\nb: \x01\n", 0, "t.yaml:2:4: control character U+0001 is not allowed"},
    {"a: \xff\n", 0, "t.yaml:1:4: invalid UTF-8: invalid leading UTF-8 octet (byte 0xff)"},
    {"a: 1\n\xc3\xa9: \xc3\x28\n", 0, "t.yaml:2:6: invalid UTF-8: invalid trailing UTF-8 octet (byte 0x28)"},
    {"a: \xc0\x80\n", 0, "t.yaml:1:4: invalid UTF-8: invalid length of a UTF-8 sequence (byte 0xc0)"},
    {"a: \xed\xa0\x80\n", 0, "t.yaml:1:4: invalid UTF-8: invalid Unicode character (byte 0xed)"},
    {"a: \xe2\x82", 0, "t.yaml:1:4: invalid UTF-8: incomplete UTF-8 octet sequence (byte 0xe2)"},
    {"\xff\xfe"
     "a\0:\0 \0"
     "1\0",
     10, "t.yaml:1:1: input is UTF-16 (byte-order mark found); it must be UTF-8"},
    {"\xef\xbb\xbf\xc3\xa9: !x 1\n", 0, "t.yaml:1:5: tags are not supported (!x)"},
    /* limits */
    {deep_flow, 0, "t.yaml:1:33: nesting too deep (max 32 levels)"},
    {deep_block, 0, "t.yaml:33:65: nesting too deep (max 32 levels)"},
    {long_scalar, 0, "t.yaml:2:7: scalar too long (max 65536 bytes)"},
    {many_nodes, 0, "t.yaml:1:200000: too many nodes (max 100000)"},
    {too_big, YT_MAX_INPUT + 1, "t.yaml:1025:1: input too large (max 1048576 bytes)"},
};

static void bad_cases_init(void)
{
    /* 33 nested flow sequences: the 33rd '[' is at column 33. */
    memset(deep_flow, '[', 33);
    memset(deep_flow + 33, ']', 33);
    /* 33 nested block mappings: key k32 on line 33 at column 2 * 32 + 1. */
    size_t o = 0;
    for (int i = 0; i < 33; i++)
        o += (size_t)sprintf(deep_block + o, "%*sk%d:\n", 2 * i, "", i);
    /* A scalar one byte over the limit, on line 2 after "long: ". */
    o = (size_t)sprintf(long_scalar, "ok: 1\nlong: ");
    memset(long_scalar + o, 'x', YT_MAX_SCALAR + 1);
    strcpy(long_scalar + o + YT_MAX_SCALAR + 1, "\n");
    /* Two keys of 50 bytes: the message shows 40. */
    memset(long_key, 'k', 50);
    strcpy(long_key + 50, ": 1\n");
    memcpy(long_key + 54, long_key, 54);
    /* One sequence and YT_MAX_NODES scalars: the last scalar is one too many. */
    many_nodes[0] = '[';
    for (size_t i = 0; i < YT_MAX_NODES; i++) {
        many_nodes[1 + 2 * i] = 'a';
        many_nodes[2 + 2 * i] = ',';
    }
    many_nodes[2 * YT_MAX_NODES] = ']';
    /* 1024 comment lines of 1024 bytes, then one byte too many at 1025:1. */
    for (size_t i = 0; i < 1024; i++) {
        memset(too_big + 1024 * i, 'c', 1023);
        too_big[1024 * i] = '#';
        too_big[1024 * i + 1023] = '\n';
    }
    too_big[YT_MAX_INPUT] = 'x';
}

START_TEST(test_bad_input)
{
    const struct bad_case *c = &bad_cases[_i];
    memset(err, 'z', sizeof err);
    yt_doc_t *d = yt_parse("t.yaml", c->text, c->len ? c->len : strlen(c->text), err, sizeof err);
    ck_assert_msg(d == NULL, "case %d: accepted", _i);
    ck_assert_msg(strcmp(err, c->want) == 0, "case %d:\n got: %s\nwant: %s", _i, err, c->want);
}
END_TEST

/* ---- limits --------------------------------------------------------------------- */

START_TEST(test_limits_at_bound)
{
    /* 32 levels. */
    char deep[2 * 32 + 1];
    memset(deep, '[', 32);
    memset(deep + 32, ']', 32);
    deep[64] = '\0';
    yt_doc_t *d = parse(deep);
    const yt_node_t *n = yt_root(d);
    for (int i = 1; i < 32; i++) {
        ck_assert_uint_eq(n->n, 1);
        n = n->vals[0];
    }
    CHECK_NODE(n, YT_SEQ, 1, 32);
    ck_assert_uint_eq(n->n, 0);
    yt_free(d);

    /* A scalar of exactly YT_MAX_SCALAR bytes. */
    static char sc[YT_MAX_SCALAR + 8];
    memcpy(sc, "a: ", 3);
    memset(sc + 3, 'x', YT_MAX_SCALAR);
    sc[3 + YT_MAX_SCALAR] = '\0';
    d = parse(sc);
    ck_assert_uint_eq(yt_get(yt_root(d), "a")->len, YT_MAX_SCALAR);
    yt_free(d);

    /* Exactly YT_MAX_NODES nodes: the sequence and all but one scalar. */
    static char nodes[2 * YT_MAX_NODES + 8];
    memcpy(nodes, many_nodes, 2 * YT_MAX_NODES - 2);
    nodes[2 * YT_MAX_NODES - 2] = ']';
    nodes[2 * YT_MAX_NODES - 1] = '\0';
    d = parse(nodes);
    ck_assert_uint_eq(yt_root(d)->n, YT_MAX_NODES - 1);
    CHECK_SCALAR(yt_root(d)->vals[YT_MAX_NODES - 2], 1, 2 * YT_MAX_NODES - 2, "a", false);
    yt_free(d);

    /* Exactly YT_MAX_INPUT bytes, with a value on the first line. */
    static char big[YT_MAX_INPUT];
    memcpy(big, too_big, YT_MAX_INPUT);
    memcpy(big, "a: 1 #", 6);
    d = parse_len(big, YT_MAX_INPUT);
    CHECK_SCALAR(yt_get(yt_root(d), "a"), 1, 4, "1", false);
    yt_free(d);
}
END_TEST

/* ---- messages ------------------------------------------------------------------- */

START_TEST(test_err_buffer)
{
    /* errcap 0: nothing is written (err may even be NULL). */
    ck_assert_ptr_null(yt_parse("t.yaml", "a: &x 1", 7, NULL, 0));
    char small[12];
    memset(small, 'z', sizeof small);
    ck_assert_ptr_null(yt_parse("t.yaml", "a: &x 1", 7, small, 1));
    ck_assert_str_eq(small, "");
    ck_assert_int_eq(small[1], 'z');
    ck_assert_ptr_null(yt_parse("t.yaml", "a: &x 1", 7, small, 5));
    ck_assert_str_eq(small, "t.ya");
    ck_assert_ptr_null(yt_parse("t.yaml", "a: &x 1", 7, small, sizeof small));
    ck_assert_str_eq(small, "t.yaml:1:4:");
    ck_assert_ptr_null(yt_parse("t.yaml", "", 0, small, sizeof small));
    ck_assert_str_eq(small, "t.yaml: emp");
    /* A very long name is cut, the buffer never overrun. */
    static char name[2 * YT_ERR_MAX];
    memset(name, 'n', sizeof name - 1);
    memset(err, 'z', sizeof err);
    ck_assert_ptr_null(yt_parse(name, "a: *x", 5, err, sizeof err));
    ck_assert_uint_eq(strlen(err), sizeof err - 1);
    /* The longest messages fit with a 256-byte name. */
    memset(name, 'n', 256);
    name[256] = '\0';
    ck_assert_ptr_null(yt_parse(name, long_key, strlen(long_key), err, sizeof err));
    ck_assert(strstr(err, "...\" (first on line 1)") != NULL);
    /* Success clears the message. */
    err[0] = 'z';
    yt_doc_t *d = yt_parse("t.yaml", "a", 1, err, sizeof err);
    ck_assert_ptr_nonnull(d);
    ck_assert_str_eq(err, "");
    yt_free(d);
    /* NULL buffer: empty when len is 0. */
    ck_assert_ptr_null(yt_parse("t.yaml", NULL, 0, err, sizeof err));
    ck_assert_str_eq(err, "t.yaml: empty document");
    ck_assert_ptr_null(yt_parse("t.yaml", NULL, 3, err, sizeof err));
    ck_assert_str_eq(err, "t.yaml: no input");
    yt_free(NULL);
    ck_assert_ptr_null(yt_root(NULL));
}
END_TEST

/* ---- scalar helpers ------------------------------------------------------------- */

START_TEST(test_scalar_int)
{
    static const struct {
        const char *text; /* a YAML flow item */
        int64_t min, max;
        int want;
        int64_t value;
    } cases[] = {
        {"0", 0, 10, 0, 0},
        {"-0", -1, 1, 0, 0},
        {"7", 0, 10, 0, 7},
        {"-7", -10, 0, 0, -7},
        {"10", 10, 10, 0, 10},
        {"9223372036854775807", INT64_MIN, INT64_MAX, 0, INT64_MAX},
        {"-9223372036854775808", INT64_MIN, INT64_MAX, 0, INT64_MIN},
        {"9223372036854775808", INT64_MIN, INT64_MAX, -2, 0},
        {"-9223372036854775809", INT64_MIN, INT64_MAX, -2, 0},
        {"18446744073709551616", INT64_MIN, INT64_MAX, -2, 0},
        {"99999999999999999999999999999", INT64_MIN, INT64_MAX, -2, 0},
        {"11", 0, 10, -2, 0},
        {"-1", 0, 10, -2, 0},
        {"65536", 0, 65535, -2, 0},
        {"010", 0, 100, -1, 0},
        {"00", 0, 100, -1, 0},
        {"-01", -100, 100, -1, 0},
        {"+1", 0, 10, -1, 0},
        {"1_000", 0, 10000, -1, 0},
        {"0x10", 0, 100, -1, 0},
        {"0o7", 0, 100, -1, 0},
        {"1e3", 0, 10000, -1, 0},
        {"1.0", 0, 10, -1, 0},
        {"-", 0, 10, -1, 0},
        {"--1", -10, 10, -1, 0},
        {"1-", 0, 10, -1, 0},
        {"99999999999999999999x", INT64_MIN, INT64_MAX, -1, 0},
        {"'1'", 0, 10, -1, 0},
        {"\"1\"", 0, 10, -1, 0},
        {"[1]", 0, 10, -1, 0},
        {"one", 0, 10, -1, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[64];
        snprintf(text, sizeof text, "[%s]", cases[i].text);
        yt_doc_t *d = parse(text);
        const yt_node_t *n = yt_root(d)->n ? yt_root(d)->vals[0] : yt_root(d);
        int64_t v = 42;
        int r = yt_scalar_int(n, cases[i].min, cases[i].max, &v);
        ck_assert_msg(r == cases[i].want, "%s: %d", cases[i].text, r);
        ck_assert_msg(v == (r == 0 ? cases[i].value : 42), "%s: value %lld", cases[i].text, (long long)v);
        yt_free(d);
    }
    int64_t v;
    ck_assert_int_eq(yt_scalar_int(NULL, 0, 1, &v), -1);
    yt_doc_t *d = parse("v:\n"); /* empty and plain */
    ck_assert_int_eq(yt_scalar_int(yt_get(yt_root(d), "v"), 0, 1, &v), -1);
    yt_free(d);
}
END_TEST

START_TEST(test_scalar_bool_null_is)
{
    yt_doc_t *d =
        parse("[true, True, TRUE, false, False, FALSE, yes, on, tRUE, 'true', \"false\", 1, {a: b},\n"
              " null, Null, NULL, ~, nULL, 'null', \"\", '~', none]");
    const yt_node_t *r = yt_root(d);
    ck_assert_uint_eq(r->n, 22);
    bool b = false;
    for (size_t i = 0; i < 6; i++) {
        b = i >= 3;
        ck_assert_int_eq(yt_scalar_bool(r->vals[i], &b), 0);
        ck_assert_int_eq(b, i < 3);
        ck_assert(!yt_is_null(r->vals[i]));
    }
    for (size_t i = 6; i < 13; i++) {
        b = true;
        ck_assert_msg(yt_scalar_bool(r->vals[i], &b) == -1, "item %zu", i);
        ck_assert(b);
    }
    ck_assert_int_eq(yt_scalar_bool(NULL, &b), -1);
    for (size_t i = 13; i < 17; i++)
        ck_assert_msg(yt_is_null(r->vals[i]), "item %zu", i);
    for (size_t i = 17; i < 22; i++)
        ck_assert_msg(!yt_is_null(r->vals[i]), "item %zu", i);
    ck_assert(!yt_is_null(r->vals[12]));
    ck_assert(!yt_is_null(NULL));

    /* yt_scalar_is and yt_get compare whole texts, quoted or not. */
    ck_assert(yt_scalar_is(r->vals[0], "true"));
    ck_assert(yt_scalar_is(r->vals[9], "true"));
    ck_assert(!yt_scalar_is(r->vals[0], "tru"));
    ck_assert(!yt_scalar_is(r->vals[0], "truee"));
    ck_assert(!yt_scalar_is(r->vals[12], "a"));
    ck_assert(!yt_scalar_is(NULL, "a"));
    ck_assert(yt_scalar_is(r->vals[19], ""));
    const yt_node_t *m = r->vals[12];
    ck_assert(yt_scalar_is(yt_get(m, "a"), "b"));
    ck_assert_ptr_null(yt_get(m, "A"));
    ck_assert_ptr_null(yt_get(m, ""));
    ck_assert_ptr_null(yt_get(r, "a"));          /* a sequence */
    ck_assert_ptr_null(yt_get(r->vals[0], "a")); /* a scalar */
    ck_assert_ptr_null(yt_get(NULL, "a"));
    yt_free(d);

    d = parse("v:\nw: ''\n"); /* empty: null when plain */
    ck_assert(yt_is_null(yt_get(yt_root(d), "v")));
    ck_assert(!yt_is_null(yt_get(yt_root(d), "w")));
    ck_assert_int_eq(yt_scalar_bool(yt_get(yt_root(d), "v"), &b), -1);
    yt_free(d);

    d = parse("ab: 1\na: 2\n");
    ck_assert(yt_scalar_is(yt_get(yt_root(d), "a"), "2"));
    ck_assert_ptr_null(yt_get(yt_root(d), "abc"));
    yt_free(d);
}
END_TEST

static Suite *yaml_tree_suite(void)
{
    Suite *s = suite_create("yaml_tree");
    TCase *tc = tcase_create("good");
    tcase_add_test(tc, test_nested);
    tcase_add_test(tc, test_flow);
    tcase_add_test(tc, test_block_scalars);
    tcase_add_test(tc, test_quoting);
    tcase_add_test(tc, test_markers_comments);
    tcase_add_test(tc, test_utf8);
    tcase_add_test(tc, test_same_key_other_maps);
    suite_add_tcase(s, tc);

    tc = tcase_create("bad");
    tcase_add_loop_test(tc, test_bad_input, 0, (int)(sizeof bad_cases / sizeof bad_cases[0]));
    tcase_add_test(tc, test_err_buffer);
    suite_add_tcase(s, tc);

    tc = tcase_create("limits");
    tcase_set_timeout(tc, 60); /* 1 MiB and 100000-node documents under ASan */
    tcase_add_test(tc, test_limits_at_bound);
    suite_add_tcase(s, tc);

    tc = tcase_create("scalars");
    tcase_add_test(tc, test_scalar_int);
    tcase_add_test(tc, test_scalar_bool_null_is);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    bad_cases_init();
    SRunner *sr = srunner_create(yaml_tree_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
