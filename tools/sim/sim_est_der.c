/*
 * sim_est_der.c — the small DER walks bsd-sim's EST client needs (see
 * sim_est.h): the certificates of a PKCS#7 certs-only message, the serial
 * and key of a certificate, and a subjectAltName extension request for a
 * CSR. Bounded reads only; nothing allocates. The network side is
 * sim_est.c.
 */
#include "tools/sim/sim_est.h"

#include <string.h>

/* 1.2.840.113549.1.7.2 signedData (RFC 5652 §5.1). */
static const uint8_t oid_signed_data[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02};
/* 1.2.840.113549.1.9.14 extensionRequest (RFC 2985 §5.4.2). */
static const uint8_t oid_ext_req[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x0e};
/* 2.5.29.17 subjectAltName (RFC 5280 §4.2.1.6). */
static const uint8_t oid_san[] = {0x55, 0x1d, 0x11};

/* A TLV read from a buffer. */
typedef struct tlv {
    uint8_t tag;
    const uint8_t *v; /* value */
    size_t len;       /* value length */
    size_t total;     /* header + value */
} tlv_t;

/* Reads the TLV at |p| (|n| bytes left): single-byte tags, definite
 * lengths of at most 3 length bytes (16 MB, far above any bound here). */
static int tlv_read(const uint8_t *p, size_t n, tlv_t *t)
{
    if (n < 2) return SIM_EST_E_TRUNC;
    t->tag = p[0];
    if ((p[0] & 0x1f) == 0x1f) return SIM_EST_E_TAG; /* multi-byte tag: not in these structures */
    size_t hl = 2, l = p[1];
    if (l & 0x80) {
        size_t k = l & 0x7f;
        if (k == 0 || k > 3) return SIM_EST_E_TAG; /* indefinite (BER) or absurd */
        if (n < 2 + k) return SIM_EST_E_TRUNC;
        l = 0;
        for (size_t i = 0; i < k; i++)
            l = l << 8 | p[2 + i];
        hl += k;
    }
    if (l > n - hl) return SIM_EST_E_TRUNC;
    t->v = p + hl;
    t->len = l;
    t->total = hl + l;
    return 0;
}

/* Reads the next TLV from the cursor (*p, *n) and advances it; the tag
 * must be |tag|. */
static int tlv_take(const uint8_t **p, size_t *n, uint8_t tag, tlv_t *t)
{
    int r = tlv_read(*p, *n, t);
    if (r != 0) return r;
    if (t->tag != tag) return SIM_EST_E_TAG;
    *p += t->total;
    *n -= t->total;
    return 0;
}

int sim_est_p7_certs(const uint8_t *der, size_t len, sim_est_span_t *out, size_t max, size_t *n)
{
    tlv_t ci, oid, expl, sd, t;
    *n = 0;
    const uint8_t *p = der;
    size_t left = len;
    int r = tlv_take(&p, &left, 0x30, &ci);
    if (r != 0) return r;
    if (left != 0) return SIM_EST_E_TAG; /* trailing bytes */
    p = ci.v, left = ci.len;
    if ((r = tlv_take(&p, &left, 0x06, &oid)) != 0) return r;
    if (oid.len != sizeof(oid_signed_data) || memcmp(oid.v, oid_signed_data, oid.len) != 0)
        return SIM_EST_E_TAG;
    if ((r = tlv_take(&p, &left, 0xa0, &expl)) != 0) return r;
    p = expl.v, left = expl.len;
    if ((r = tlv_take(&p, &left, 0x30, &sd)) != 0) return r;
    p = sd.v, left = sd.len;
    if ((r = tlv_take(&p, &left, 0x02, &t)) != 0) return r; /* version */
    if ((r = tlv_take(&p, &left, 0x31, &t)) != 0) return r; /* digestAlgorithms */
    if ((r = tlv_take(&p, &left, 0x30, &t)) != 0) return r; /* encapContentInfo */
    /* certificates [0] IMPLICIT CertificateSet: optional in SignedData,
     * but a certs-only message without it carries nothing. */
    tlv_t set;
    r = tlv_take(&p, &left, 0xa0, &set);
    if (r == SIM_EST_E_TAG) return SIM_EST_E_EMPTY;
    if (r != 0) return r;
    const uint8_t *q = set.v;
    size_t ql = set.len;
    while (ql > 0) {
        tlv_t c;
        if ((r = tlv_read(q, ql, &c)) != 0) return r;
        /* Other CertificateChoices (attribute certificates, [1]..[3]) are
         * no use to a client: skipped. */
        if (c.tag == 0x30) {
            if (*n == max) return SIM_EST_E_MANY;
            out[*n].p = q;
            out[*n].len = c.total;
            (*n)++;
        }
        q += c.total;
        ql -= c.total;
    }
    /* crls [1] and signerInfos SET must still be well formed. */
    if (left > 0 && (r = tlv_read(p, left, &t)) == 0 && t.tag == 0xa1) {
        p += t.total;
        left -= t.total;
    } else if (r != 0) {
        return r;
    }
    if ((r = tlv_take(&p, &left, 0x31, &t)) != 0) return r;
    if (left != 0) return SIM_EST_E_TAG;
    return *n ? 0 : SIM_EST_E_EMPTY;
}

int sim_est_cert_fields(const uint8_t *der, size_t len, sim_est_span_t *serial, sim_est_span_t *spki)
{
    tlv_t cert, tbs, t;
    const uint8_t *p = der;
    size_t left = len;
    int r = tlv_take(&p, &left, 0x30, &cert);
    if (r != 0) return r;
    if (left != 0) return SIM_EST_E_TAG;
    p = cert.v, left = cert.len;
    if ((r = tlv_take(&p, &left, 0x30, &tbs)) != 0) return r;
    if ((r = tlv_take(&p, &left, 0x30, &t)) != 0) return r; /* signatureAlgorithm */
    if ((r = tlv_take(&p, &left, 0x03, &t)) != 0) return r; /* signatureValue */
    if (left != 0) return SIM_EST_E_TAG;
    p = tbs.v, left = tbs.len;
    if (left > 0 && p[0] == 0xa0 && (r = tlv_take(&p, &left, 0xa0, &t)) != 0) return r; /* version */
    tlv_t sn, pk;
    if ((r = tlv_take(&p, &left, 0x02, &sn)) != 0) return r;
    for (int i = 0; i < 4; i++) /* signature, issuer, validity, subject */
        if ((r = tlv_take(&p, &left, 0x30, &t)) != 0) return r;
    const uint8_t *at = p;
    if ((r = tlv_take(&p, &left, 0x30, &pk)) != 0) return r;
    if (serial) serial->p = sn.v, serial->len = sn.len;
    if (spki) spki->p = at, spki->len = pk.total;
    return 0;
}

/* ---- DER writing (the SAN request) ---------------------------------------- */

static size_t len_size(size_t l)
{
    return l < 0x80 ? 1 : l < 0x100 ? 2 : 3;
}

/* Writes tag and length of a |l|-byte value at |o| (room checked by the
 * caller); returns the header size. Values here stay below 64 KB. */
static size_t put_hdr(uint8_t *o, uint8_t tag, size_t l)
{
    o[0] = tag;
    if (l < 0x80) {
        o[1] = (uint8_t)l;
        return 2;
    }
    if (l < 0x100) {
        o[1] = 0x81, o[2] = (uint8_t)l;
        return 3;
    }
    o[1] = 0x82, o[2] = (uint8_t)(l >> 8), o[3] = (uint8_t)l;
    return 4;
}

/* Builds the extensionRequest Attribute for one dNSName into |o| (|cap|
 * bytes); returns its length or SIM_EST_E_NOSPACE. Built from the inside
 * out, each layer's length known before its header is written. */
static int san_attribute(const char *dns, uint8_t *o, size_t cap)
{
    size_t dl = strlen(dns);
    size_t gn = 1 + len_size(dl) + dl;                               /* [2] dNSName */
    size_t names = 1 + len_size(gn) + gn;                            /* GeneralNames SEQ */
    size_t octs = 1 + len_size(names) + names;                       /* extnValue OCTET STRING */
    size_t ext = 2 + sizeof(oid_san) + octs;                         /* Extension SEQ body */
    size_t exts = 1 + len_size(ext) + ext;                           /* Extensions SEQ body */
    size_t set = 1 + len_size(exts) + exts;                          /* SET body */
    size_t attr = 2 + sizeof(oid_ext_req) + 1 + len_size(set) + set; /* Attribute SEQ body */
    size_t total = 1 + len_size(attr) + attr;
    if (total > cap) return SIM_EST_E_NOSPACE;
    size_t k = put_hdr(o, 0x30, attr);
    k += put_hdr(o + k, 0x06, sizeof(oid_ext_req));
    memcpy(o + k, oid_ext_req, sizeof(oid_ext_req)), k += sizeof(oid_ext_req);
    k += put_hdr(o + k, 0x31, set);
    k += put_hdr(o + k, 0x30, exts);
    k += put_hdr(o + k, 0x30, ext);
    k += put_hdr(o + k, 0x06, sizeof(oid_san));
    memcpy(o + k, oid_san, sizeof(oid_san)), k += sizeof(oid_san);
    k += put_hdr(o + k, 0x04, names);
    k += put_hdr(o + k, 0x30, gn);
    k += put_hdr(o + k, 0x82, dl);
    memcpy(o + k, dns, dl), k += dl;
    return (int)k;
}

int sim_est_csr_add_san(uint8_t *info, size_t *len, size_t cap, const char *dns)
{
    size_t dl = dns ? strlen(dns) : 0;
    if (dl == 0 || dl > SIM_EST_SAN_MAX) return SIM_EST_E_NOSPACE;
    tlv_t seq, t, attrs;
    const uint8_t *p = info;
    size_t left = *len;
    int r = tlv_take(&p, &left, 0x30, &seq);
    if (r != 0) return r;
    if (left != 0) return SIM_EST_E_TAG;
    p = seq.v, left = seq.len;
    if ((r = tlv_take(&p, &left, 0x02, &t)) != 0) return r; /* version */
    if ((r = tlv_take(&p, &left, 0x30, &t)) != 0) return r; /* subject */
    if ((r = tlv_take(&p, &left, 0x30, &t)) != 0) return r; /* subjectPKInfo */
    const uint8_t *attrs_at = p;
    if ((r = tlv_take(&p, &left, 0xa0, &attrs)) != 0) return r;
    if (left != 0) return SIM_EST_E_TAG;
    /* Refuse to add a second extensionRequest. */
    const uint8_t *q = attrs.v;
    size_t ql = attrs.len;
    while (ql > 0) {
        tlv_t a, oid;
        if ((r = tlv_take(&q, &ql, 0x30, &a)) != 0) return r;
        const uint8_t *ap = a.v;
        size_t al = a.len;
        if ((r = tlv_take(&ap, &al, 0x06, &oid)) != 0) return r;
        if (oid.len == sizeof(oid_ext_req) && memcmp(oid.v, oid_ext_req, oid.len) == 0) return SIM_EST_E_TAG;
    }
    uint8_t attr[SIM_EST_SAN_MAX + 64];
    int al = san_attribute(dns, attr, sizeof(attr));
    if (al < 0) return al;
    /* New layout: SEQ { version, subject, spki (unchanged), [0] { old
     * attributes, ours } }. Rebuilt in a scratch buffer, then copied back. */
    size_t head = (size_t)(attrs_at - seq.v); /* version..spki */
    size_t nattrs = attrs.len + (size_t)al;
    size_t body = head + 1 + len_size(nattrs) + nattrs;
    size_t total = 1 + len_size(body) + body;
    uint8_t tmp[SIM_EST_CSR_MAX];
    if (total > cap || total > sizeof(tmp)) return SIM_EST_E_NOSPACE;
    size_t k = put_hdr(tmp, 0x30, body);
    memcpy(tmp + k, seq.v, head), k += head;
    k += put_hdr(tmp + k, 0xa0, nattrs);
    memcpy(tmp + k, attrs.v, attrs.len), k += attrs.len;
    memcpy(tmp + k, attr, (size_t)al), k += (size_t)al;
    memcpy(info, tmp, k);
    *len = k;
    return 0;
}
