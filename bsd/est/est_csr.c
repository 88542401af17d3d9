/*
 * est_csr.c — PKCS#10 (RFC 2986) requests for EST-coaps: the parser, the
 * self-signature check on wolfCrypt, and Names as text (est_csr.h).
 *
 * The parser reads with der.c and keeps pointers into the input; every
 * constructed element must be consumed exactly, so trailing bytes at any
 * level are refused. What the policy decides (which subject, which SAN,
 * which curves are strong enough) lives in the EST resource handlers and in
 * est_ca.c, not here.
 */
#include "bsd/est/est_csr.h"

#include "bsd/est/der.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/error-crypt.h>
#include <wolfssl/wolfcrypt/hash.h>
#include <wolfssl/wolfcrypt/sha256.h>
#include <wolfssl/wolfcrypt/sha512.h>

/* OID content octets. */
static const uint8_t OID_EC_PUBKEY[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01};  /* 1.2.840.10045.2.1 */
static const uint8_t OID_P256[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07}; /* 1.2.840.10045.3.1.7 */
static const uint8_t OID_P384[] = {0x2b, 0x81, 0x04, 0x00, 0x22};                   /* 1.3.132.0.34 */
static const uint8_t OID_P521[] = {0x2b, 0x81, 0x04, 0x00, 0x23};                   /* 1.3.132.0.35 */
static const uint8_t OID_ECDSA_SHA256[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};
static const uint8_t OID_ECDSA_SHA384[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03};
static const uint8_t OID_ECDSA_SHA512[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04};
static const uint8_t OID_EXT_REQ[] = {0x2a, 0x86, 0x48, 0x86, 0xf7,
                                      0x0d, 0x01, 0x09, 0x0e}; /* 1.2.840.113549.1.9.14 */
static const uint8_t OID_CHALLENGE[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x07}; /* ...1.9.7 */
static const uint8_t OID_SAN[] = {0x55, 0x1d, 0x11};                                           /* 2.5.29.17 */

#define OID_DN(n)                                                                                            \
    {                                                                                                        \
        0x55, 0x04, (n)                                                                                      \
    } /* 2.5.4.n, X.520 attribute types */

/* The attribute types est_name_str() names; the first seven are also the
 * ones est_name_der() writes. */
static const struct name_type {
    const char *name;
    uint8_t oid[10];
    uint8_t oid_len;
    uint8_t printable; /* est_name_der() writes a PrintableString */
} NAME_TYPES[] = {
    {"CN", OID_DN(3), 3, 0},
    {"O", OID_DN(10), 3, 0},
    {"OU", OID_DN(11), 3, 0},
    {"C", OID_DN(6), 3, 1},
    {"L", OID_DN(7), 3, 0},
    {"ST", OID_DN(8), 3, 0},
    {"SERIALNUMBER", OID_DN(5), 3, 1},
    {"DC", {0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19}, 10, 0}, /* RFC 4519 */
    {"UID", {0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x01}, 10, 0},
    {"emailAddress", {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01}, 9, 0}, /* PKCS #9 */
};
#define NAME_TYPES_DER 7 /* the first entries est_name_der() accepts */
#define NTYPES         (sizeof(NAME_TYPES) / sizeof(NAME_TYPES[0]))

/* ---- Names as text ---- */

/* An output that may be absent (then only the walk's checks run). */
typedef struct strout {
    char *p;
    size_t cap;
    size_t len;
    int full;
} strout_t;

static void out_ch(strout_t *o, char c)
{
    if (o->p && o->len + 1 < o->cap)
        o->p[o->len] = c;
    else if (o->p)
        o->full = 1;
    o->len++;
}

static void out_str(strout_t *o, const char *s)
{
    while (*s)
        out_ch(o, *s++);
}

static int needs_backslash(uint8_t c)
{
    return c && strchr(",+\"\\<>;=", c) != NULL;
}

static void out_value(strout_t *o, const uint8_t *v, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        uint8_t c = v[i];
        if (c < 0x20 || c >= 0x7f) {
            out_ch(o, '\\');
            out_ch(o, hex[c >> 4]);
            out_ch(o, hex[c & 15]);
        } else {
            if (needs_backslash(c)) out_ch(o, '\\');
            out_ch(o, (char)c);
        }
    }
}

/* Writes an OID as dotted decimal; -1 when its encoding is malformed
 * (empty, truncated, a non-minimal or over-long sub-identifier). */
static int out_oid(strout_t *o, const der_tlv_t *t)
{
    if (t->len == 0 || (t->val[t->len - 1] & 0x80)) return -1;
    uint64_t v = 0;
    int first = 1;
    for (size_t i = 0; i < t->len; i++) {
        uint8_t b = t->val[i];
        if (v == 0 && b == 0x80) return -1; /* leading 0x80: not minimal */
        if (v >> 56) return -1;             /* past 63 bits */
        v = (v << 7) | (b & 0x7f);
        if (b & 0x80) continue;
        char num[24];
        if (first) {
            uint64_t arc1 = v < 40 ? 0 : v < 80 ? 1 : 2;
            snprintf(num, sizeof(num), "%llu.%llu", (unsigned long long)arc1,
                     (unsigned long long)(v - arc1 * 40));
            first = 0;
        } else {
            snprintf(num, sizeof(num), ".%llu", (unsigned long long)v);
        }
        out_str(o, num);
        v = 0;
    }
    return 0;
}

/* Walks the Name |name| (whole TLV), writing the text form to |o|.
 * Returns 0, or -1 when it is not a well-formed Name. */
static int name_walk(const uint8_t *name, size_t len, strout_t *o)
{
    der_rd_t r = der_rd(name, len);
    der_tlv_t seq, set, atv, type, val;
    if (der_expect(&r, DER_SEQUENCE, &seq) || r.len) return -1;
    der_rd_t rdns = der_inside(&seq);
    int nrdn = 0;
    while (der_expect(&rdns, DER_SET, &set) == 0) {
        if (nrdn++) out_ch(o, ',');
        der_rd_t atvs = der_inside(&set);
        int natv = 0;
        while (der_expect(&atvs, DER_SEQUENCE, &atv) == 0) {
            if (natv++) out_ch(o, '+');
            der_rd_t in = der_inside(&atv);
            if (der_expect(&in, DER_OID, &type) || der_next(&in, &val) || in.len) return -1;
            if (val.tag & 0x20) return -1; /* a string type is primitive in DER */
            size_t k;
            for (k = 0; k < NTYPES; k++)
                if (der_oid_is(&type, NAME_TYPES[k].oid, NAME_TYPES[k].oid_len)) break;
            if (k < NTYPES)
                out_str(o, NAME_TYPES[k].name);
            else if (out_oid(o, &type))
                return -1;
            out_ch(o, '=');
            out_value(o, val.val, val.len);
        }
        /* An RDN holds at least one attribute (X.501), and nothing else. */
        if (natv == 0 || atvs.len) return -1;
    }
    return rdns.len ? -1 : 0;
}

int est_name_str(const uint8_t *name, size_t len, char *out, size_t cap)
{
    if (!out || cap == 0) return -1;
    strout_t o = {out, cap, 0, 0};
    if (name_walk(name, len, &o) || o.full || o.len > (size_t)INT32_MAX) {
        out[0] = 0;
        return -1;
    }
    out[o.len] = 0;
    return (int)o.len;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* X.680 §41.4 PrintableString characters. */
static int printable_char(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           (c && strchr(" '()+,-./:=?", c) != NULL);
}

/* 1 when |s| (|n| bytes) is well-formed UTF-8 (RFC 3629: no overlong forms,
 * no surrogates, nothing past U+10FFFF). */
static int utf8_ok(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        size_t k;
        uint32_t cp, min;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            k = 1, cp = c & 0x1f, min = 0x80;
        } else if ((c & 0xf0) == 0xe0) {
            k = 2, cp = c & 0x0f, min = 0x800;
        } else if ((c & 0xf8) == 0xf0) {
            k = 3, cp = c & 0x07, min = 0x10000;
        } else {
            return 0;
        }
        if (n - i - 1 < k) return 0;
        for (size_t j = 1; j <= k; j++) {
            if ((s[i + j] & 0xc0) != 0x80) return 0;
            cp = (cp << 6) | (s[i + j] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
        i += k + 1;
    }
    return 1;
}

/* Unescapes one attribute value from |*sp| up to the next unescaped ','
 * or the end into |v| (at most |cap| bytes). Only the escapes
 * est_name_str() itself writes are taken, so the text is canonical.
 * Returns the length, or -1. */
static long unescape_value(const char **sp, uint8_t *v, size_t cap)
{
    const char *s = *sp;
    size_t n = 0;
    while (*s && *s != ',') {
        uint8_t c = (uint8_t)*s;
        if (c == '\\') {
            if (needs_backslash((uint8_t)s[1])) {
                c = (uint8_t)s[1];
                s += 2;
            } else {
                int hi = hexval(s[1]), lo = hi < 0 ? -1 : hexval(s[2]);
                if (lo < 0) return -1;
                c = (uint8_t)(hi << 4 | lo);
                if (c >= 0x20 && c < 0x7f) return -1; /* printed plain by est_name_str */
                s += 3;
            }
        } else {
            if (c < 0x20 || c >= 0x7f || needs_backslash(c)) return -1;
            s++;
        }
        if (n >= cap) return -1;
        v[n++] = c;
    }
    *sp = s;
    return (long)n;
}

int est_name_der(const char *str, uint8_t *out, size_t cap)
{
    uint8_t val[EST_NAME_STR_MAX];
    der_wr_t w;
    if (!str || !out) return -1;
    der_wr_init(&w, out, cap);
    der_wr_open(&w, DER_SEQUENCE);
    const char *s = str;
    while (*s) {
        size_t k;
        for (k = 0; k < NAME_TYPES_DER; k++) {
            size_t tl = strlen(NAME_TYPES[k].name);
            if (strncmp(s, NAME_TYPES[k].name, tl) == 0 && s[tl] == '=') break;
        }
        if (k == NAME_TYPES_DER) return -1;
        s += strlen(NAME_TYPES[k].name) + 1;
        long n = unescape_value(&s, val, sizeof(val));
        if (n <= 0) return -1;
        if (NAME_TYPES[k].printable) {
            for (long i = 0; i < n; i++)
                if (!printable_char(val[i])) return -1;
            if (strcmp(NAME_TYPES[k].name, "C") == 0 && n != 2)
                return -1; /* C: ISO 3166 two-letter code (RFC 5280 App. A) */
        } else if (!utf8_ok(val, (size_t)n)) {
            return -1;
        }
        der_wr_open(&w, DER_SET);
        der_wr_open(&w, DER_SEQUENCE);
        der_wr_oid(&w, NAME_TYPES[k].oid, NAME_TYPES[k].oid_len);
        der_wr_prim(&w, NAME_TYPES[k].printable ? DER_PRINTABLE : DER_UTF8STRING, val, (size_t)n);
        der_wr_close(&w);
        der_wr_close(&w);
        if (*s == ',') {
            s++;
            if (!*s) return -1; /* trailing separator */
        }
    }
    der_wr_close(&w);
    long len = der_wr_finish(&w);
    return len < 0 || len > INT32_MAX ? -1 : (int)len;
}

/* ---- PKCS#10 ---- */

static int fail(char *err, size_t errcap, const char *fmt, ...)
{
    if (err && errcap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errcap, fmt, ap);
        va_end(ap);
    }
    return EST_CSR_ERR_MALFORMED;
}

/* Coordinate size of |curve| in bytes. */
static size_t coord_len(enum est_curve curve)
{
    switch (curve) {
    case EST_CURVE_P256: return 32;
    case EST_CURVE_P384: return 48;
    case EST_CURVE_P521: return 66;
    default: return 0;
    }
}

/* SubjectPublicKeyInfo (RFC 5280 §4.1.2.7; EC keys per RFC 5480 §2). */
static int parse_spki(est_csr_t *c, const der_tlv_t *spki, char *err, size_t errcap)
{
    der_rd_t r = der_inside(spki);
    der_tlv_t alg, oid, params, bits;
    if (der_expect(&r, DER_SEQUENCE, &alg) || der_expect(&r, DER_BIT_STRING, &bits) || r.len)
        return fail(err, errcap, "malformed SubjectPublicKeyInfo");
    der_rd_t a = der_inside(&alg);
    int has_params = 0;
    if (der_expect(&a, DER_OID, &oid)) return fail(err, errcap, "malformed key algorithm");
    if (a.len) {
        if (der_next(&a, &params) || a.len) return fail(err, errcap, "malformed key algorithm parameters");
        has_params = 1;
    }
    if (bits.len < 1 || bits.val[0] != 0) return fail(err, errcap, "public key is not whole octets");
    c->pub = bits.val + 1;
    c->pub_len = bits.len - 1;
    c->curve = EST_CURVE_NONE;
    /* Explicit curve parameters (a SEQUENCE) or an unknown curve leave
     * EST_CURVE_NONE: RFC 5480 §2.1.1 allows only namedCurve here. */
    if (der_oid_is(&oid, OID_EC_PUBKEY, sizeof(OID_EC_PUBKEY)) && has_params && params.tag == DER_OID) {
        if (der_oid_is(&params, OID_P256, sizeof(OID_P256)))
            c->curve = EST_CURVE_P256;
        else if (der_oid_is(&params, OID_P384, sizeof(OID_P384)))
            c->curve = EST_CURVE_P384;
        else if (der_oid_is(&params, OID_P521, sizeof(OID_P521)))
            c->curve = EST_CURVE_P521;
    }
    if (c->curve != EST_CURVE_NONE) {
        /* SEC 1 §2.3.3: uncompressed 04||X||Y, or compressed 02/03||X. */
        size_t n = coord_len(c->curve);
        int ok = c->pub_len > 0 && ((c->pub[0] == 0x04 && c->pub_len == 1 + 2 * n) ||
                                    ((c->pub[0] == 0x02 || c->pub[0] == 0x03) && c->pub_len == 1 + n));
        if (!ok) return fail(err, errcap, "malformed EC public key");
    }
    return 0;
}

/* One GeneralName of a subjectAltName (RFC 5280 §4.2.1.6). */
static int parse_general_name(est_csr_t *c, const der_tlv_t *g, char *err, size_t errcap)
{
    enum est_san_type type;
    switch (g->tag) {
    case DER_CTX(1): type = EST_SAN_EMAIL; break;
    case DER_CTX(2): type = EST_SAN_DNS; break;
    case DER_CTX(6): type = EST_SAN_URI; break;
    case DER_CTX(7): type = EST_SAN_IP; break;
    default:
        if ((g->tag & 0xc0) != 0x80 || (g->tag & 0x1f) > 8)
            return fail(err, errcap, "malformed subjectAltName");
        type = EST_SAN_OTHER;
        break;
    }
    if (type == EST_SAN_IP && g->len != 4 && g->len != 16)
        return fail(err, errcap, "subjectAltName IP address of length %zu", g->len);
    if (type == EST_SAN_EMAIL || type == EST_SAN_DNS || type == EST_SAN_URI) {
        /* IA5String; none of these names has spaces or controls, and a NUL
         * would cut the name short for a C-string consumer. */
        if (g->len == 0) return fail(err, errcap, "empty subjectAltName");
        for (size_t i = 0; i < g->len; i++)
            if (g->val[i] <= 0x20 || g->val[i] >= 0x7f)
                return fail(err, errcap, "subjectAltName with a byte outside printable ASCII");
    }
    if (c->nsan == EST_CSR_MAX_SAN) {
        c->san_overflow = 1;
        return 0;
    }
    c->san[c->nsan].type = type;
    c->san[c->nsan].val = g->val;
    c->san[c->nsan].len = g->len;
    c->nsan++;
    return 0;
}

static int parse_san(est_csr_t *c, const der_tlv_t *octets, char *err, size_t errcap)
{
    der_rd_t r = der_inside(octets);
    der_tlv_t names, g;
    if (der_expect(&r, DER_SEQUENCE, &names) || r.len || names.len == 0)
        return fail(err, errcap, "malformed subjectAltName");
    der_rd_t in = der_inside(&names);
    int rc;
    while ((rc = der_next(&in, &g)) == 0)
        if ((rc = parse_general_name(c, &g, err, errcap)) != 0) return rc;
    return rc < 0 ? fail(err, errcap, "malformed subjectAltName") : 0;
}

/* Extensions ::= SEQUENCE OF Extension, the one value of extensionRequest
 * (RFC 2985 §5.4.2). */
static int parse_extensions(est_csr_t *c, const der_tlv_t *exts, char *err, size_t errcap)
{
    der_rd_t r = der_inside(exts);
    der_tlv_t ext, id, crit, val;
    int seen_san = 0;
    while (der_expect(&r, DER_SEQUENCE, &ext) == 0) {
        der_rd_t e = der_inside(&ext);
        if (der_expect(&e, DER_OID, &id)) return fail(err, errcap, "malformed extension");
        if (der_peek(&e, DER_BOOLEAN)) {
            if (der_expect(&e, DER_BOOLEAN, &crit) || crit.len != 1 ||
                (crit.val[0] != 0 && crit.val[0] != 0xff))
                return fail(err, errcap, "malformed extension criticality");
        }
        if (der_expect(&e, DER_OCTET_STR, &val) || e.len) return fail(err, errcap, "malformed extension");
        if (der_oid_is(&id, OID_SAN, sizeof(OID_SAN))) {
            /* RFC 5280 §4.2: an extension appears at most once. */
            if (seen_san++) return fail(err, errcap, "subjectAltName requested twice");
            int rc = parse_san(c, &val, err, errcap);
            if (rc) return rc;
        } else {
            c->other_extensions = 1;
        }
    }
    return r.len ? fail(err, errcap, "malformed extensionRequest") : 0;
}

/* attributes [0] IMPLICIT SET OF Attribute (RFC 2986 §4.1). */
static int parse_attributes(est_csr_t *c, const der_tlv_t *attrs, char *err, size_t errcap)
{
    der_rd_t r = der_inside(attrs);
    der_tlv_t attr, type, values, v;
    int seen_ext = 0;
    while (der_expect(&r, DER_SEQUENCE, &attr) == 0) {
        der_rd_t a = der_inside(&attr);
        if (der_expect(&a, DER_OID, &type) || der_expect(&a, DER_SET, &values) || a.len || values.len == 0)
            return fail(err, errcap, "malformed attribute");
        der_rd_t vals = der_inside(&values);
        if (der_oid_is(&type, OID_EXT_REQ, sizeof(OID_EXT_REQ))) {
            if (seen_ext++) return fail(err, errcap, "extensionRequest given twice");
            if (der_expect(&vals, DER_SEQUENCE, &v) || vals.len)
                return fail(err, errcap, "malformed extensionRequest");
            int rc = parse_extensions(c, &v, err, errcap);
            if (rc) return rc;
        } else if (der_oid_is(&type, OID_CHALLENGE, sizeof(OID_CHALLENGE))) {
            if (c->challenge) return fail(err, errcap, "challengePassword given twice");
            if (der_next(&vals, &v) || vals.len) return fail(err, errcap, "malformed challengePassword");
            /* DirectoryString (RFC 2985 §5.4.1); IA5String as some clients send. */
            if (v.tag != DER_UTF8STRING && v.tag != DER_PRINTABLE && v.tag != 0x14 &&
                v.tag != DER_IA5STRING && v.tag != 0x1c && v.tag != 0x1e)
                return fail(err, errcap, "challengePassword is not a string");
            c->challenge = v.val;
            c->challenge_len = v.len;
        } else {
            int rc;
            while ((rc = der_next(&vals, &v)) == 0)
                ;
            if (rc < 0) return fail(err, errcap, "malformed attribute value");
        }
    }
    return r.len ? fail(err, errcap, "malformed attributes") : 0;
}

static int parse_info(est_csr_t *c, const der_tlv_t *info, char *err, size_t errcap)
{
    der_rd_t r = der_inside(info);
    der_tlv_t ver, subject, spki, attrs;
    uint64_t v;
    if (der_expect(&r, DER_INTEGER, &ver) || der_small_uint(&ver, &v) || v != 0)
        return fail(err, errcap, "version is not 0 (v1)");
    if (der_expect(&r, DER_SEQUENCE, &subject)) return fail(err, errcap, "malformed subject");
    strout_t none = {0};
    if (name_walk(subject.raw, subject.rawlen, &none)) return fail(err, errcap, "malformed subject");
    c->subject = subject.raw;
    c->subject_len = subject.rawlen;
    if (der_expect(&r, DER_SEQUENCE, &spki)) return fail(err, errcap, "malformed SubjectPublicKeyInfo");
    c->spki = spki.raw;
    c->spki_len = spki.rawlen;
    int rc = parse_spki(c, &spki, err, errcap);
    if (rc) return rc;
    /* RFC 2986 makes the attributes field mandatory, but an empty set is
     * commonly left out altogether; both mean "no attributes". */
    if (der_peek(&r, DER_CTX_CONS(0))) {
        if (der_expect(&r, DER_CTX_CONS(0), &attrs)) return fail(err, errcap, "malformed attributes");
        if ((rc = parse_attributes(c, &attrs, err, errcap)) != 0) return rc;
    }
    return r.len ? fail(err, errcap, "trailing data in certificationRequestInfo") : 0;
}

int est_csr_parse(est_csr_t *c, const uint8_t *der, size_t len, char *err, size_t errcap)
{
    if (err && errcap) err[0] = 0;
    if (!c) return EST_CSR_ERR_MALFORMED;
    memset(c, 0, sizeof(*c));
    if (!der || len == 0) return fail(err, errcap, "empty request");
    if (len > EST_CSR_MAX) return fail(err, errcap, "request larger than %d bytes", EST_CSR_MAX);
    der_rd_t r = der_rd(der, len);
    der_tlv_t req, info, alg, oid, sig;
    if (der_expect(&r, DER_SEQUENCE, &req)) return fail(err, errcap, "not a DER SEQUENCE");
    if (r.len) return fail(err, errcap, "trailing data after the request");
    der_rd_t in = der_inside(&req);
    if (der_expect(&in, DER_SEQUENCE, &info)) return fail(err, errcap, "malformed certificationRequestInfo");
    c->info = info.raw;
    c->info_len = info.rawlen;
    int rc = parse_info(c, &info, err, errcap);
    if (rc) return rc;

    if (der_expect(&in, DER_SEQUENCE, &alg)) return fail(err, errcap, "malformed signatureAlgorithm");
    der_rd_t a = der_inside(&alg);
    if (der_expect(&a, DER_OID, &oid)) return fail(err, errcap, "malformed signatureAlgorithm");
    if (der_oid_is(&oid, OID_ECDSA_SHA256, sizeof(OID_ECDSA_SHA256)))
        c->sig_alg = EST_SIG_ECDSA_SHA256;
    else if (der_oid_is(&oid, OID_ECDSA_SHA384, sizeof(OID_ECDSA_SHA384)))
        c->sig_alg = EST_SIG_ECDSA_SHA384;
    else if (der_oid_is(&oid, OID_ECDSA_SHA512, sizeof(OID_ECDSA_SHA512)))
        c->sig_alg = EST_SIG_ECDSA_SHA512;
    if (a.len) {
        /* RFC 5758 §3.2: ECDSA identifiers carry no parameters. Others (an
         * RSA NULL, say) may have one element. */
        der_tlv_t params;
        if (c->sig_alg != EST_SIG_NONE) return fail(err, errcap, "ECDSA signatureAlgorithm with parameters");
        if (der_next(&a, &params) || a.len) return fail(err, errcap, "malformed signatureAlgorithm");
    }
    if (der_expect(&in, DER_BIT_STRING, &sig) || sig.len < 1 || sig.val[0] != 0)
        return fail(err, errcap, "malformed signature");
    c->sig = sig.val + 1;
    c->sig_len = sig.len - 1;
    if (in.len) return fail(err, errcap, "trailing data in the request");
    return 0;
}

/* 1 when |t| is a positive INTEGER, minimally encoded, below 2^(8*|n|)
 * (X.690 §8.3; the ECDSA-Sig-Value components of RFC 5480 §2.2 / RFC 3279). */
static int sig_int_ok(const der_tlv_t *t, size_t n)
{
    if (t->len == 0 || (t->val[0] & 0x80)) return 0;
    const uint8_t *p = t->val;
    size_t len = t->len;
    if (len > 1 && p[0] == 0) {
        if (!(p[1] & 0x80)) return 0; /* not minimal */
        p++, len--;
    }
    if (len > n) return 0;
    for (size_t i = 0; i < len; i++)
        if (p[i]) return 1;
    return 0; /* zero */
}

static int sig_shape_ok(const est_csr_t *c, size_t n)
{
    der_rd_t r = der_rd(c->sig, c->sig_len);
    der_tlv_t seq, ri, si;
    if (der_expect(&r, DER_SEQUENCE, &seq) || r.len) return 0;
    der_rd_t in = der_inside(&seq);
    return der_expect(&in, DER_INTEGER, &ri) == 0 && der_expect(&in, DER_INTEGER, &si) == 0 && in.len == 0 &&
           sig_int_ok(&ri, n) && sig_int_ok(&si, n);
}

int est_csr_verify(const est_csr_t *c)
{
    if (!c || !c->info || !c->pub || !c->sig) return EST_CSR_ERR_SIGNATURE;
    int curve_id;
    switch (c->curve) {
    case EST_CURVE_P256: curve_id = ECC_SECP256R1; break;
    case EST_CURVE_P384: curve_id = ECC_SECP384R1; break;
    case EST_CURVE_P521: curve_id = ECC_SECP521R1; break;
    default: return EST_CSR_ERR_UNSUPPORTED;
    }
    /* This wolfSSL build has no HAVE_COMP_KEY: compressed points are
     * well-formed but not something we can take. */
    if (c->pub_len == 0 || c->pub[0] != 0x04) return EST_CSR_ERR_UNSUPPORTED;
    uint8_t hash[WC_SHA512_DIGEST_SIZE];
    word32 hlen;
    int rc;
    switch (c->sig_alg) {
    case EST_SIG_ECDSA_SHA256:
        hlen = WC_SHA256_DIGEST_SIZE;
        rc = wc_Sha256Hash(c->info, (word32)c->info_len, hash);
        break;
    case EST_SIG_ECDSA_SHA384:
        hlen = WC_SHA384_DIGEST_SIZE;
        rc = wc_Sha384Hash(c->info, (word32)c->info_len, hash);
        break;
    case EST_SIG_ECDSA_SHA512:
        hlen = WC_SHA512_DIGEST_SIZE;
        rc = wc_Sha512Hash(c->info, (word32)c->info_len, hash);
        break;
    default: return EST_CSR_ERR_UNSUPPORTED;
    }
    if (rc != 0) return EST_CSR_ERR_SIGNATURE;
    if (!sig_shape_ok(c, coord_len(c->curve))) return EST_CSR_ERR_SIGNATURE;

    ecc_key key;
    if (wc_ecc_init(&key) != 0) return EST_CSR_ERR_SIGNATURE;
    int res = 0;
    rc = wc_ecc_import_x963_ex(c->pub, (word32)c->pub_len, &key, curve_id);
    /* A point off the curve must not become a certified key. */
    if (rc == 0) rc = wc_ecc_check_key(&key);
    if (rc == 0) rc = wc_ecc_verify_hash(c->sig, (word32)c->sig_len, hash, hlen, &res, &key);
    wc_ecc_free(&key);
    return rc == 0 && res == 1 ? 0 : EST_CSR_ERR_SIGNATURE;
}

int est_csr_spki_sha256(const est_csr_t *c, uint8_t out[32])
{
    if (!c || !c->spki || !out) return EST_CSR_ERR_MALFORMED;
    return wc_Sha256Hash(c->spki, (word32)c->spki_len, out) == 0 ? 0 : EST_CSR_ERR_MALFORMED;
}
