/*
 * est_cert.c — reading X.509 certificates (RFC 5280 §4.1) for the EST CA:
 * the CA certificate and its issuers from the configured file, and the
 * certificates the store hands back (est_cert_info).
 *
 * Everything here reads untrusted bytes (files, database rows), so every
 * element is checked against its parent with der.h and nothing is copied.
 * Building certificates and CRLs lives in est_ca.c; Names as text in
 * est_csr.c (est_name_str).
 */
#include "bsd/est/der.h"
#include "bsd/est/est_ca.h"
#include "bsd/est/est_csr.h"

#include <wolfssl/options.h>

#include <wolfssl/wolfcrypt/coding.h>
#include <wolfssl/wolfcrypt/hash.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const uint8_t oid_ec_pub[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01};
static const uint8_t oid_p256[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
static const uint8_t oid_p384[] = {0x2b, 0x81, 0x04, 0x00, 0x22};
static const uint8_t oid_p521[] = {0x2b, 0x81, 0x04, 0x00, 0x23};
static const uint8_t oid_ecdsa_sha256[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};
static const uint8_t oid_ecdsa_sha384[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03};
static const uint8_t oid_ecdsa_sha512[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04};
static const uint8_t oid_basic_constraints[] = {0x55, 0x1d, 0x13};
static const uint8_t oid_key_usage[] = {0x55, 0x1d, 0x0f};
static const uint8_t oid_ski[] = {0x55, 0x1d, 0x0e};

#define CERT_SERIAL_MAX 20 /* RFC 5280 §4.1.2.2: at most 20 octets */
#define CERT_EXT_MAX    64 /* extensions read before the certificate is refused */

/* A BIT STRING's contents without the unused-bits octet; |whole| demands
 * that no bits are unused (keys, signatures). */
static int bits(const der_tlv_t *t, int whole, const uint8_t **p, size_t *n, unsigned *unused)
{
    if (t->tag != DER_BIT_STRING || t->len == 0) return -1;
    uint8_t u = t->val[0];
    if (u > 7 || (t->len == 1 && u != 0) || (whole && u != 0)) return -1;
    *p = t->val + 1;
    *n = t->len - 1;
    if (unused) *unused = u;
    return 0;
}

/* AlgorithmIdentifier of a signature: ECDSA with SHA-2, no parameters
 * (RFC 5758 §3.2). Anything else parses as EST_SIG_NONE. */
static int sig_alg(const der_tlv_t *alg, int *out)
{
    der_rd_t r = der_inside(alg);
    der_tlv_t oid;
    if (der_expect(&r, DER_OID, &oid) != 0) return -1;
    *out = EST_SIG_NONE;
    if (der_oid_is(&oid, oid_ecdsa_sha256, sizeof(oid_ecdsa_sha256)))
        *out = EST_SIG_ECDSA_SHA256;
    else if (der_oid_is(&oid, oid_ecdsa_sha384, sizeof(oid_ecdsa_sha384)))
        *out = EST_SIG_ECDSA_SHA384;
    else if (der_oid_is(&oid, oid_ecdsa_sha512, sizeof(oid_ecdsa_sha512)))
        *out = EST_SIG_ECDSA_SHA512;
    if (*out != EST_SIG_NONE && r.len != 0) return -1;
    return 0;
}

int est_spki_parse(const uint8_t *spki, size_t len, int *curve, const uint8_t **pub, size_t *pub_len)
{
    der_rd_t top = der_rd(spki, len), r, ar;
    der_tlv_t seq, alg, oid, param, key;
    if (der_expect(&top, DER_SEQUENCE, &seq) != 0 || top.len != 0) return -1;
    r = der_inside(&seq);
    if (der_expect(&r, DER_SEQUENCE, &alg) != 0 || der_expect(&r, DER_BIT_STRING, &key) != 0 || r.len != 0)
        return -1;
    ar = der_inside(&alg);
    if (der_expect(&ar, DER_OID, &oid) != 0) return -1;
    *curve = EST_CURVE_NONE;
    if (der_oid_is(&oid, oid_ec_pub, sizeof(oid_ec_pub))) {
        /* namedCurve only; implicitCurve and specifiedCurve are refused by
         * RFC 5480 §2.1.1. */
        if (der_expect(&ar, DER_OID, &param) != 0 || ar.len != 0) return -1;
        if (der_oid_is(&param, oid_p256, sizeof(oid_p256)))
            *curve = EST_CURVE_P256;
        else if (der_oid_is(&param, oid_p384, sizeof(oid_p384)))
            *curve = EST_CURVE_P384;
        else if (der_oid_is(&param, oid_p521, sizeof(oid_p521)))
            *curve = EST_CURVE_P521;
    }
    return bits(&key, 1, pub, pub_len, NULL);
}

static int ext_basic_constraints(est_cert_t *c, const der_tlv_t *v)
{
    der_rd_t r = der_inside(v), s;
    der_tlv_t seq, t;
    if (der_expect(&r, DER_SEQUENCE, &seq) != 0 || r.len != 0) return -1;
    s = der_inside(&seq);
    if (der_expect(&s, DER_BOOLEAN, &t) == 0) {
        if (t.len != 1 || (t.val[0] != 0 && t.val[0] != 0xff)) return -1;
        c->is_ca = t.val[0] == 0xff;
    }
    if (der_expect(&s, DER_INTEGER, &t) == 0) {
        uint64_t depth;
        if (der_small_uint(&t, &depth) != 0) return -1;
    }
    if (s.len != 0) return -1;
    c->has_bc = 1;
    return 0;
}

static int ext_key_usage(est_cert_t *c, const der_tlv_t *v)
{
    der_rd_t r = der_inside(v);
    der_tlv_t t;
    const uint8_t *p;
    size_t n;
    if (der_expect(&r, DER_BIT_STRING, &t) != 0 || r.len != 0) return -1;
    if (bits(&t, 0, &p, &n, NULL) != 0 || n > 2) return -1;
    c->ku = n > 0 ? p[0] : 0;
    c->has_ku = 1;
    return 0;
}

static int ext_ski(est_cert_t *c, const der_tlv_t *v)
{
    der_rd_t r = der_inside(v);
    der_tlv_t t;
    if (der_expect(&r, DER_OCTET_STR, &t) != 0 || r.len != 0 || t.len == 0 || t.len > 64) return -1;
    c->ski = t.val;
    c->ski_len = t.len;
    return 0;
}

/* Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension (RFC 5280 §4.1). The
 * three the CA needs are decoded; others are walked over. A certificate
 * must not carry one extension twice (§4.2). */
static int extensions(est_cert_t *c, const der_tlv_t *ctx3)
{
    der_rd_t r = der_inside(ctx3), s;
    der_tlv_t seq, ext, oid, t, val;
    der_tlv_t seen[CERT_EXT_MAX]; /* the extension OIDs so far */
    size_t nseen = 0;
    if (der_expect(&r, DER_SEQUENCE, &seq) != 0 || r.len != 0 || seq.len == 0) return -1;
    s = der_inside(&seq);
    while (s.len > 0) {
        if (nseen == CERT_EXT_MAX) return -1;
        if (der_expect(&s, DER_SEQUENCE, &ext) != 0) return -1;
        der_rd_t e = der_inside(&ext);
        if (der_expect(&e, DER_OID, &oid) != 0) return -1;
        if (der_expect(&e, DER_BOOLEAN, &t) == 0) {
            /* DER: the DEFAULT FALSE is never encoded, so only TRUE appears. */
            if (t.len != 1 || t.val[0] != 0xff) return -1;
        }
        if (der_expect(&e, DER_OCTET_STR, &val) != 0 || e.len != 0) return -1;
        for (size_t i = 0; i < nseen; i++)
            if (seen[i].len == oid.len && memcmp(seen[i].val, oid.val, oid.len) == 0) return -1;
        seen[nseen++] = oid;
        int rc = 0;
        if (der_oid_is(&oid, oid_basic_constraints, sizeof(oid_basic_constraints)))
            rc = ext_basic_constraints(c, &val);
        else if (der_oid_is(&oid, oid_key_usage, sizeof(oid_key_usage)))
            rc = ext_key_usage(c, &val);
        else if (der_oid_is(&oid, oid_ski, sizeof(oid_ski)))
            rc = ext_ski(c, &val);
        if (rc != 0) return -1;
    }
    return 0;
}

static int validity(est_cert_t *c, const der_tlv_t *v)
{
    der_rd_t r = der_inside(v);
    der_tlv_t a, b;
    if (der_next(&r, &a) != 0 || der_next(&r, &b) != 0 || r.len != 0) return -1;
    if (der_time(&a, &c->not_before) != 0 || der_time(&b, &c->not_after) != 0) return -1;
    return 0;
}

/* TBSCertificate (RFC 5280 §4.1.2). */
static int tbs(est_cert_t *c, const der_tlv_t *t, int *inner_alg)
{
    der_rd_t r = der_inside(t);
    der_tlv_t e, alg, val, issuer, subject, spki;
    uint64_t version = 0;
    if (der_expect(&r, DER_CTX_CONS(0), &e) == 0) {
        der_rd_t v = der_inside(&e);
        if (der_expect(&v, DER_INTEGER, &val) != 0 || v.len != 0) return -1;
        /* DER omits the DEFAULT v1, so an explicit version is v2 or v3. */
        if (der_small_uint(&val, &version) != 0 || version < 1 || version > 2) return -1;
    }
    if (der_expect(&r, DER_INTEGER, &val) != 0 || val.len == 0 || val.len > CERT_SERIAL_MAX + 1) return -1;
    if (val.len > 1 && val.val[0] == 0 && !(val.val[1] & 0x80)) return -1; /* not minimal */
    if (val.len > 1 && val.val[0] == 0xff && (val.val[1] & 0x80)) return -1;
    /* A 20-octet positive serial may need a 21st, zero, octet. */
    if (val.len == CERT_SERIAL_MAX + 1 && val.val[0] != 0) return -1;
    c->serial = val.val;
    c->serial_len = val.len;
    if (der_expect(&r, DER_SEQUENCE, &alg) != 0 || sig_alg(&alg, inner_alg) != 0) return -1;
    if (der_expect(&r, DER_SEQUENCE, &issuer) != 0) return -1;
    c->issuer = issuer.raw;
    c->issuer_len = issuer.rawlen;
    if (der_expect(&r, DER_SEQUENCE, &val) != 0 || validity(c, &val) != 0) return -1;
    if (der_expect(&r, DER_SEQUENCE, &subject) != 0) return -1;
    c->subject = subject.raw;
    c->subject_len = subject.rawlen;
    if (der_expect(&r, DER_SEQUENCE, &spki) != 0) return -1;
    c->spki = spki.raw;
    c->spki_len = spki.rawlen;
    if (est_spki_parse(spki.raw, spki.rawlen, &c->curve, &c->pub, &c->pub_len) != 0) return -1;
    /* issuerUniqueID [1], subjectUniqueID [2]: v2 and v3 only, skipped. */
    for (uint8_t n = 1; n <= 2; n++) {
        if (der_peek(&r, DER_CTX(n)) || der_peek(&r, DER_CTX_CONS(n))) {
            if (version < 1 || der_next(&r, &e) != 0) return -1;
        }
    }
    if (der_expect(&r, DER_CTX_CONS(3), &e) == 0) {
        if (version != 2 || extensions(c, &e) != 0) return -1;
    }
    return r.len == 0 ? 0 : -1;
}

int est_cert_parse(est_cert_t *c, const uint8_t *der, size_t len)
{
    der_rd_t top = der_rd(der, len), r;
    der_tlv_t cert, t, alg, sig;
    int inner = EST_SIG_NONE;
    memset(c, 0, sizeof(*c));
    if (der_expect(&top, DER_SEQUENCE, &cert) != 0 || top.len != 0) return -1;
    r = der_inside(&cert);
    if (der_expect(&r, DER_SEQUENCE, &t) != 0) return -1;
    c->tbs = t.raw;
    c->tbs_len = t.rawlen;
    if (tbs(c, &t, &inner) != 0) goto bad;
    if (der_expect(&r, DER_SEQUENCE, &alg) != 0 || sig_alg(&alg, &c->sig_alg) != 0) goto bad;
    /* The two signature fields must agree (RFC 5280 §4.1.1.2). */
    if (inner != c->sig_alg) goto bad;
    if (der_expect(&r, DER_BIT_STRING, &sig) != 0 || r.len != 0) goto bad;
    if (bits(&sig, 1, &c->sig, &c->sig_len, NULL) != 0) goto bad;
    return 0;
bad:
    memset(c, 0, sizeof(*c));
    return -1;
}

int est_cert_info(const uint8_t *der, size_t len, est_cert_info_t *out)
{
    est_cert_t c;
    memset(out, 0, sizeof(*out));
    if (est_cert_parse(&c, der, len) != 0) return -1;
    if (c.serial_len > sizeof(out->serial)) {
        /* Only the 21-octet form of a 20-octet positive serial gets here. */
        c.serial++;
        c.serial_len--;
    }
    if (est_name_str(c.subject, c.subject_len, out->subject, sizeof(out->subject)) < 0) goto bad;
    out->not_before = c.not_before;
    out->not_after = c.not_after;
    memcpy(out->serial, c.serial, c.serial_len);
    out->serial_len = c.serial_len;
    if (wc_Sha256Hash(c.spki, (word32)c.spki_len, out->spki_sha256) != 0) goto bad;
    if (wc_Sha256Hash(der, (word32)len, out->fingerprint) != 0) goto bad;
    return 0;
bad:
    memset(out, 0, sizeof(*out));
    return -1;
}

/* Finds |needle| in [p, end). */
static const char *find(const char *p, const char *end, const char *needle)
{
    size_t n = strlen(needle);
    if (p >= end || (size_t)(end - p) < n) return NULL;
    return memmem(p, (size_t)(end - p), needle, n);
}

static int b64char(char ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '+' ||
           ch == '/' || ch == '=';
}

/* Decodes the base64 body [p, end) of a PEM block: only base64 characters
 * and line breaks or blanks (RFC 7468 §3; no headers). */
static long pem_body(const char *p, const char *end, uint8_t *out, size_t cap)
{
    size_t n = (size_t)(end - p), k = 0;
    uint8_t *tmp = malloc(n + 1);
    long rc = -1;
    if (!tmp) return -1;
    for (size_t i = 0; i < n; i++) {
        char ch = p[i];
        if (ch == '\n' || ch == '\r' || ch == ' ' || ch == '\t') continue;
        if (!b64char(ch)) goto out;
        tmp[k++] = (uint8_t)ch;
    }
    if (k == 0 || k % 4 != 0 || k > 0xffffffffu || cap > 0xffffffffu) goto out;
    word32 olen = (word32)cap;
    if (Base64_Decode(tmp, (word32)k, out, &olen) == 0 && olen > 0) rc = (long)olen;
out:
    explicit_bzero(tmp, n + 1); /* the body may be a private key */
    free(tmp);
    return rc;
}

long est_pem_block(const char **pos, const char *end, const char *label, uint8_t *out, size_t cap)
{
    const char *p = *pos;
    char endline[96];
    for (;;) {
        const char *b = find(p, end, "-----BEGIN ");
        if (!b) {
            *pos = end;
            return 0;
        }
        const char *lab = b + 11;
        const char *le = find(lab, end, "-----");
        if (!le || le - lab > 64) return -1;
        for (const char *q = lab; q < le; q++)
            if (*q == '\n' || *q == '\r') return -1;
        int m = snprintf(endline, sizeof(endline), "-----END %.*s-----", (int)(le - lab), lab);
        if (m < 0 || (size_t)m >= sizeof(endline)) return -1;
        const char *body = le + 5;
        const char *e = find(body, end, endline);
        if (!e) return -1;
        p = e + (size_t)m;
        if ((size_t)(le - lab) != strlen(label) || memcmp(lab, label, (size_t)(le - lab)) != 0) continue;
        long n = pem_body(body, e, out, cap);
        if (n < 0) return -1;
        *pos = p;
        return n;
    }
}

uint8_t *est_read_file(const char *path, size_t max, size_t *len, char *err, size_t errcap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    uint8_t *buf = NULL;
    size_t n = 0, got = 0;
    if (fd < 0) {
        snprintf(err, errcap, "%s: %s", path, strerror(errno));
        return NULL;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errcap, "%s: not a regular file", path);
        goto fail;
    }
    if (st.st_size <= 0 || (uint64_t)st.st_size > max) {
        snprintf(err, errcap, "%s: empty or larger than %zu bytes", path, max);
        goto fail;
    }
    n = (size_t)st.st_size;
    buf = malloc(n + 1);
    if (!buf) {
        snprintf(err, errcap, "%s: out of memory", path);
        goto fail;
    }
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            snprintf(err, errcap, "%s: read failed", path);
            goto fail;
        }
        got += (size_t)r;
    }
    buf[n] = 0;
    close(fd);
    *len = n;
    return buf;
fail:
    if (buf) {
        explicit_bzero(buf, n);
        free(buf);
    }
    close(fd);
    return NULL;
}
