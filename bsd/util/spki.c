/*
 * spki.c — SubjectPublicKeyInfo from PEM or DER (contract in spki.h).
 *
 * The PEM reader is deliberately narrower than OpenSSL's: one block, the
 * "PUBLIC KEY" label only, no headers, nothing around it but blank lines.  A
 * devices file is security configuration; anything unusual in it is more
 * likely a mistake (a certificate, a private key, two keys pasted together)
 * than something to be lenient about.
 */
#include "bsd/util/spki.h"

#include "bsd/util/lex.h"

#include <errno.h>
#include <string.h>

/* Reads one DER TLV header with tag |tag| at |*off|; definite, minimal lengths. */
static bool spki_der_tlv(const uint8_t *p, size_t len, size_t *off, uint8_t tag, size_t *vlen)
{
    size_t o = *off;
    if (len - o < 2 || p[o] != tag) return false;
    size_t l = p[o + 1];
    o += 2;
    if (l == 0x81) {
        if (len - o < 1 || p[o] < 0x80) return false;
        l = p[o];
        o += 1;
    } else if (l == 0x82) {
        if (len - o < 2 || p[o] == 0) return false;
        l = (size_t)p[o] << 8 | p[o + 1];
        o += 2;
    } else if (l >= 0x80) {
        return false;
    }
    if (l > len - o) return false;
    *off = o;
    *vlen = l;
    return true;
}

/*
 * A SubjectPublicKeyInfo is SEQUENCE { AlgorithmIdentifier SEQUENCE { OID, ... },
 * subjectPublicKey BIT STRING } (RFC 5280, 4.1).  Only the shape is checked;
 * the transport compares the bytes the client presents with these.
 */
bool spki_der_ok(const uint8_t *p, size_t len)
{
    size_t off = 0, n, alg_end;
    if (!spki_der_tlv(p, len, &off, 0x30, &n) || off + n != len) return false;
    if (!spki_der_tlv(p, len, &off, 0x30, &n)) return false;
    alg_end = off + n;
    size_t oid_len;
    if (!spki_der_tlv(p, alg_end, &off, 0x06, &oid_len) || oid_len == 0) return false;
    off = alg_end;
    if (!spki_der_tlv(p, len, &off, 0x03, &n) || n < 2 || p[off] != 0) return false;
    return off + n == len;
}

/* Next line of |buf| (without CR/LF and trailing blanks); false at the end. */
static bool spki_pem_line(const char *buf, size_t len, size_t *pos, const char **line, size_t *llen)
{
    if (*pos >= len) return false;
    const char *s = buf + *pos;
    const char *nl = memchr(s, '\n', len - *pos);
    size_t n = nl ? (size_t)(nl - s) : len - *pos;
    *pos += nl ? n + 1 : n;
    while (n > 0 && (s[n - 1] == '\r' || (s[n - 1] == ' ' || s[n - 1] == '\t')))
        n--;
    *line = s;
    *llen = n;
    return true;
}

static bool spki_line_is(const char *line, size_t n, const char *want)
{
    return strlen(want) == n && memcmp(line, want, n) == 0;
}

#define PEM_BEGIN "-----BEGIN PUBLIC KEY-----"
#define PEM_END   "-----END PUBLIC KEY-----"
/* Base64 of SPKI_MAX bytes. */
#define PEM_B64_MAX ((SPKI_MAX + 2) / 3 * 4)

/*
 * Extracts the SPKI from an spki_file: strict PEM "PUBLIC KEY" (RFC 7468;
 * blank lines around the block only, no headers, no second block), or raw DER.
 * On error |why| says what is wrong.
 */
int spki_decode(const char *buf, size_t len, uint8_t out[SPKI_MAX], size_t *outlen, char *why, size_t whycap)
{
    size_t i = 0;
    while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' || buf[i] == '\n'))
        i++;
    if (len - i < 11 || memcmp(buf + i, "-----BEGIN ", 11) != 0) {
        /* DER */
        if (len > SPKI_MAX) {
            lex_errorf(why, whycap, "not PEM, and too long for a DER SPKI (max %d bytes)", SPKI_MAX);
            return -EINVAL;
        }
        if (!spki_der_ok((const uint8_t *)buf, len)) {
            lex_errorf(why, whycap, "neither PEM nor a DER SubjectPublicKeyInfo");
            return -EINVAL;
        }
        memcpy(out, buf, len);
        *outlen = len;
        return 0;
    }

    size_t pos = 0, n, pemline = 0;
    const char *line;
    do {
        if (!spki_pem_line(buf, len, &pos, &line, &n)) {
            lex_errorf(why, whycap, "empty PEM file");
            return -EINVAL;
        }
        pemline++;
    } while (n == 0);
    if (!spki_line_is(line, n, PEM_BEGIN)) {
        lex_errorf(why, whycap, "line %zu: expected \"" PEM_BEGIN "\"", pemline);
        return -EINVAL;
    }
    char b64[PEM_B64_MAX];
    size_t blen = 0;
    bool ended = false;
    while (spki_pem_line(buf, len, &pos, &line, &n)) {
        pemline++;
        if (spki_line_is(line, n, PEM_END)) {
            ended = true;
            break;
        }
        if (n == 0) {
            lex_errorf(why, whycap, "line %zu: blank line inside the PEM block", pemline);
            return -EINVAL;
        }
        if (n > sizeof b64 - blen) {
            lex_errorf(why, whycap, "key too long (max %d bytes of DER)", SPKI_MAX);
            return -EINVAL;
        }
        memcpy(b64 + blen, line, n);
        blen += n;
    }
    if (!ended) {
        lex_errorf(why, whycap, "missing \"" PEM_END "\"");
        return -EINVAL;
    }
    while (spki_pem_line(buf, len, &pos, &line, &n)) {
        pemline++;
        if (n != 0) {
            lex_errorf(why, whycap, "line %zu: unexpected text after the PEM block", pemline);
            return -EINVAL;
        }
    }
    int r = lex_base64_decode(b64, blen, out, SPKI_MAX, outlen);
    if (r == -E2BIG) {
        lex_errorf(why, whycap, "key too long (max %d bytes of DER)", SPKI_MAX);
        return -EINVAL;
    }
    if (r < 0) {
        lex_errorf(why, whycap, "invalid base64 in the PEM block");
        return -EINVAL;
    }
    if (!spki_der_ok(out, *outlen)) {
        lex_errorf(why, whycap, "PEM block is not a DER SubjectPublicKeyInfo");
        return -EINVAL;
    }
    return 0;
}
