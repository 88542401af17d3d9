/*
 * est_ca.c — the certificate authority of est_ca.h: the file signer, loading
 * and checking the CA, issuing certificates (RFC 5280 §4), CRLs (§5), the
 * PKCS#7 certs-only and CsrAttrs bodies EST answers with, and PEM armour.
 *
 * All encoding goes through der.h. The CA key is touched only by the
 * signer (est_signer_t); the rest of the CA sees digests and signatures.
 * Reading certificates (the CA's own and stored ones) is in est_cert.c.
 */
#include "bsd/est/est_ca.h"
#include "bsd/est/der.h"
#include "bsd/est/est_csr.h"

#include <wolfssl/options.h>

#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/hash.h>
#include <wolfssl/wolfcrypt/random.h>
#include <wolfssl/wolfcrypt/sha.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#define EST_SIG_MAX        160 /* ECDSA-Sig-Value for P-384: at most 2 * (49 + 2) + 3 bytes */
#define EST_TAG_ENUMERATED 0x0a

static const uint8_t oid_ecdsa_sha256[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};
static const uint8_t oid_ecdsa_sha384[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03};
static const uint8_t oid_ec_pub[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01};
static const uint8_t oid_p256[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
static const uint8_t oid_basic_constraints[] = {0x55, 0x1d, 0x13};
static const uint8_t oid_key_usage[] = {0x55, 0x1d, 0x0f};
static const uint8_t oid_ext_key_usage[] = {0x55, 0x1d, 0x25};
static const uint8_t oid_san[] = {0x55, 0x1d, 0x11};
static const uint8_t oid_ski[] = {0x55, 0x1d, 0x0e};
static const uint8_t oid_aki[] = {0x55, 0x1d, 0x23};
static const uint8_t oid_crl_number[] = {0x55, 0x1d, 0x14};
static const uint8_t oid_reason_code[] = {0x55, 0x1d, 0x15};
static const uint8_t oid_client_auth[] = {0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02};
static const uint8_t oid_signed_data[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02};
static const uint8_t oid_data[] = {0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01};

#define SET_ERR(...) snprintf(err, errcap, __VA_ARGS__)

/* ---- The file signer ---------------------------------------------------- */

typedef struct file_signer {
    pthread_mutex_t mu; /* one signature at a time: ecc_key and WC_RNG are not thread safe */
    ecc_key key;
    WC_RNG rng;
} file_signer_t;

static long file_sign(void *ctx, const uint8_t *digest, size_t dlen, uint8_t *sig, size_t cap)
{
    file_signer_t *fs = ctx;
    word32 n = cap > 0xffff ? 0xffff : (word32)cap;
    pthread_mutex_lock(&fs->mu);
    int rc = wc_ecc_sign_hash(digest, (word32)dlen, sig, &n, &fs->rng, &fs->key);
    pthread_mutex_unlock(&fs->mu);
    return rc == 0 ? (long)n : -1;
}

static void file_free(void *ctx)
{
    file_signer_t *fs = ctx;
    if (!fs) return;
    wc_ecc_free(&fs->key);
    wc_FreeRng(&fs->rng);
    pthread_mutex_destroy(&fs->mu);
    explicit_bzero(fs, sizeof(*fs));
    free(fs);
}

/* The key's DER from the file's content: PEM "EC PRIVATE KEY" (SEC1) or
 * "PRIVATE KEY" (PKCS#8), else the content itself. */
static long key_der(const uint8_t *buf, size_t len, uint8_t *out, const char *path, char *err, size_t errcap)
{
    const char *text = (const char *)buf, *end = text + len;
    if (!memmem(buf, len, "-----BEGIN ", 11)) {
        memcpy(out, buf, len);
        return (long)len;
    }
    if (memmem(buf, len, "ENCRYPTED", 9) || memmem(buf, len, "Proc-Type:", 10)) {
        SET_ERR("%s: encrypted private keys are not supported", path);
        return -1;
    }
    static const char *const labels[] = {"EC PRIVATE KEY", "PRIVATE KEY"};
    for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++) {
        const char *pos = text;
        long n = est_pem_block(&pos, end, labels[i], out, len);
        if (n > 0) return n;
        if (n < 0) break;
    }
    SET_ERR("%s: no readable \"EC PRIVATE KEY\" or \"PRIVATE KEY\" PEM block", path);
    return -1;
}

int est_signer_file(est_signer_t *s, const char *key_path, char *err, size_t errcap)
{
    size_t len = 0;
    uint8_t *buf = NULL, *der = NULL;
    file_signer_t *fs = NULL;
    int have_key = 0, have_rng = 0, rc = -1;
    memset(s, 0, sizeof(*s));
    buf = est_read_file(key_path, EST_KEY_FILE_MAX, &len, err, errcap);
    if (!buf) return -1;
    der = malloc(len);
    fs = calloc(1, sizeof(*fs));
    if (!der || !fs) {
        SET_ERR("%s: out of memory", key_path);
        goto out;
    }
    long n = key_der(buf, len, der, key_path, err, errcap);
    if (n < 0) goto out;
    if (wc_ecc_init(&fs->key) != 0) {
        SET_ERR("%s: cannot initialise an EC key", key_path);
        goto out;
    }
    have_key = 1;
    word32 idx = 0;
    /* wc_EccPrivateKeyDecode skips a PKCS#8 wrapper itself. */
    if (wc_EccPrivateKeyDecode(der, &idx, &fs->key, (word32)n) != 0) {
        SET_ERR("%s: not an EC private key (SEC1 or PKCS#8)", key_path);
        goto out;
    }
    int id = fs->key.dp ? fs->key.dp->id : -1;
    if (id != ECC_SECP256R1 && id != ECC_SECP384R1) {
        SET_ERR("%s: the CA key must be on P-256 or P-384", key_path);
        goto out;
    }
    if (wc_InitRng(&fs->rng) != 0) {
        SET_ERR("%s: cannot initialise the random generator", key_path);
        goto out;
    }
    have_rng = 1;
    if (pthread_mutex_init(&fs->mu, NULL) != 0) {
        SET_ERR("%s: cannot create a mutex", key_path);
        goto out;
    }
    s->ctx = fs;
    s->sign = file_sign;
    s->free = file_free;
    fs = NULL;
    rc = 0;
out:
    if (fs) {
        if (have_key) wc_ecc_free(&fs->key);
        if (have_rng) wc_FreeRng(&fs->rng);
        explicit_bzero(fs, sizeof(*fs));
        free(fs);
    }
    if (der) {
        explicit_bzero(der, len);
        free(der);
    }
    explicit_bzero(buf, len);
    free(buf);
    return rc;
}

/* ---- The CA ------------------------------------------------------------- */

struct est_ca {
    est_signer_t signer;
    uint8_t *chain[EST_CA_CHAIN_MAX]; /* DER: the CA, then its issuers */
    size_t chain_len[EST_CA_CHAIN_MAX];
    size_t nchain;
    est_cert_t cert; /* chain[0] parsed; pointers into it */
    int curve;       /* EST_CURVE_P256 or EST_CURVE_P384 */
    uint8_t ski[64]; /* the CA's key identifier: its SKI, or SHA-1 of its key */
    size_t ski_len;
    char subject[EST_NAME_STR_MAX];
};

/* The digest the CA signs with and its signatureAlgorithm OID. */
static int ca_hash(const est_ca_t *ca, const uint8_t *data, size_t len, uint8_t *out, size_t *olen)
{
    enum wc_HashType t = ca->curve == EST_CURVE_P384 ? WC_HASH_TYPE_SHA384 : WC_HASH_TYPE_SHA256;
    int n = wc_HashGetDigestSize(t);
    if (n <= 0 || wc_Hash(t, data, (word32)len, out, (word32)n) != 0) return -1;
    *olen = (size_t)n;
    return 0;
}

static void wr_sig_alg(der_wr_t *w, const est_ca_t *ca)
{
    der_wr_open(w, DER_SEQUENCE);
    if (ca->curve == EST_CURVE_P384)
        der_wr_oid(w, oid_ecdsa_sha384, sizeof(oid_ecdsa_sha384));
    else
        der_wr_oid(w, oid_ecdsa_sha256, sizeof(oid_ecdsa_sha256));
    der_wr_close(w);
}

/* Signs |tbs| and writes SEQUENCE { tbs, signatureAlgorithm, signature }:
 * Certificate and CertificateList share this shape (RFC 5280 §4.1, §5.1). */
static long sign_wrap(est_ca_t *ca, const uint8_t *tbs, size_t tbs_len, uint8_t *out, size_t cap)
{
    uint8_t digest[WC_MAX_DIGEST_SIZE], sig[EST_SIG_MAX];
    size_t dlen;
    if (ca_hash(ca, tbs, tbs_len, digest, &dlen) != 0) return -1;
    long slen = ca->signer.sign(ca->signer.ctx, digest, dlen, sig, sizeof(sig));
    if (slen <= 0 || (size_t)slen > sizeof(sig)) return -1;
    der_wr_t w;
    der_wr_init(&w, out, cap);
    der_wr_open(&w, DER_SEQUENCE);
    der_wr_raw(&w, tbs, tbs_len);
    wr_sig_alg(&w, ca);
    der_wr_bits(&w, sig, (size_t)slen);
    der_wr_close(&w);
    return der_wr_finish(&w);
}

/* Whether the signer holds the private half of the certificate's key: sign
 * a digest and verify it with the certificate's public key. */
static int key_matches(est_ca_t *ca)
{
    static const char probe[] = "est_ca_load: does the signer hold this certificate's key?";
    uint8_t digest[WC_MAX_DIGEST_SIZE], sig[EST_SIG_MAX];
    size_t dlen;
    ecc_key pub;
    int ok = 0, res = 0;
    if (ca_hash(ca, (const uint8_t *)probe, sizeof(probe) - 1, digest, &dlen) != 0) return 0;
    long slen = ca->signer.sign(ca->signer.ctx, digest, dlen, sig, sizeof(sig));
    if (slen <= 0 || (size_t)slen > sizeof(sig)) return 0;
    if (wc_ecc_init(&pub) != 0) return 0;
    int id = ca->curve == EST_CURVE_P384 ? ECC_SECP384R1 : ECC_SECP256R1;
    if (wc_ecc_import_x963_ex(ca->cert.pub, (word32)ca->cert.pub_len, &pub, id) == 0 &&
        wc_ecc_verify_hash(sig, (word32)slen, digest, (word32)dlen, &res, &pub) == 0 && res == 1)
        ok = 1;
    wc_ecc_free(&pub);
    return ok;
}

/* Reads the certificates of |path| into the chain: PEM (several) or DER
 * (one). */
static int load_chain(est_ca_t *ca, const char *path, char *err, size_t errcap)
{
    size_t len = 0;
    uint8_t *buf = est_read_file(path, EST_CERT_FILE_MAX, &len, err, errcap);
    int rc = -1;
    if (!buf) return -1;
    if (!memmem(buf, len, "-----BEGIN ", 11)) {
        ca->chain[0] = buf;
        ca->chain_len[0] = len;
        ca->nchain = 1;
        return 0;
    }
    const char *pos = (const char *)buf, *end = pos + len;
    for (;;) {
        uint8_t *der = malloc(len);
        if (!der) {
            SET_ERR("%s: out of memory", path);
            goto out;
        }
        long n = est_pem_block(&pos, end, "CERTIFICATE", der, len);
        if (n <= 0) {
            free(der);
            if (n < 0) {
                SET_ERR("%s: certificate %zu: malformed PEM", path, ca->nchain + 1);
                goto out;
            }
            break;
        }
        if (ca->nchain == EST_CA_CHAIN_MAX) {
            free(der);
            SET_ERR("%s: more than %d certificates", path, EST_CA_CHAIN_MAX);
            goto out;
        }
        ca->chain[ca->nchain] = der;
        ca->chain_len[ca->nchain++] = (size_t)n;
    }
    if (ca->nchain == 0) {
        SET_ERR("%s: no \"CERTIFICATE\" PEM block", path);
        goto out;
    }
    rc = 0;
out:
    free(buf);
    return rc;
}

/* The CA's own checks: a CA certificate with an EC key we sign with, and
 * each further certificate the issuer of the one before. */
static int check_ca(est_ca_t *ca, const char *path, char *err, size_t errcap)
{
    est_cert_t *c = &ca->cert, prev, cur;
    for (size_t i = 0; i < ca->nchain; i++) {
        if (est_cert_parse(&cur, ca->chain[i], ca->chain_len[i]) != 0) {
            SET_ERR("%s: certificate %zu is not a valid X.509 certificate", path, i + 1);
            return -1;
        }
        if (i > 0 &&
            (cur.subject_len != prev.issuer_len || memcmp(cur.subject, prev.issuer, cur.subject_len) != 0)) {
            SET_ERR("%s: certificate %zu is not the issuer of certificate %zu", path, i + 1, i);
            return -1;
        }
        if (i == 0) *c = cur;
        prev = cur;
    }
    if (!c->has_bc || !c->is_ca) {
        SET_ERR("%s: not a CA certificate (basicConstraints cA is not TRUE)", path);
        return -1;
    }
    if (c->has_ku &&
        (c->ku & (EST_KU_KEY_CERT_SIGN | EST_KU_CRL_SIGN)) != (EST_KU_KEY_CERT_SIGN | EST_KU_CRL_SIGN)) {
        SET_ERR("%s: keyUsage lacks keyCertSign or cRLSign", path);
        return -1;
    }
    if (c->curve != EST_CURVE_P256 && c->curve != EST_CURVE_P384) {
        SET_ERR("%s: the CA key must be EC on P-256 or P-384", path);
        return -1;
    }
    ca->curve = c->curve;
    if (est_name_str(c->subject, c->subject_len, ca->subject, sizeof(ca->subject)) < 0) {
        SET_ERR("%s: the CA subject cannot be shown as text", path);
        return -1;
    }
    if (c->ski) {
        memcpy(ca->ski, c->ski, c->ski_len);
        ca->ski_len = c->ski_len;
    } else {
        if (wc_ShaHash(c->pub, (word32)c->pub_len, ca->ski) != 0) return -1;
        ca->ski_len = WC_SHA_DIGEST_SIZE;
    }
    if (!key_matches(ca)) {
        SET_ERR("%s: the CA private key does not belong to this certificate", path);
        return -1;
    }
    return 0;
}

est_ca_t *est_ca_load(const char *cert_path, est_signer_t *signer, char *err, size_t errcap)
{
    est_ca_t *ca = calloc(1, sizeof(*ca));
    if (!ca) {
        if (signer->free) signer->free(signer->ctx);
        memset(signer, 0, sizeof(*signer));
        SET_ERR("out of memory");
        return NULL;
    }
    ca->signer = *signer;
    memset(signer, 0, sizeof(*signer));
    if (!ca->signer.sign) {
        SET_ERR("no signer");
        goto fail;
    }
    if (load_chain(ca, cert_path, err, errcap) != 0 || check_ca(ca, cert_path, err, errcap) != 0) goto fail;
    return ca;
fail:
    est_ca_free(ca);
    return NULL;
}

void est_ca_free(est_ca_t *ca)
{
    if (!ca) return;
    if (ca->signer.free) ca->signer.free(ca->signer.ctx);
    for (size_t i = 0; i < ca->nchain; i++)
        free(ca->chain[i]);
    free(ca);
}

const uint8_t *est_ca_chain(const est_ca_t *ca, size_t i, size_t *len)
{
    if (!ca || i >= ca->nchain) return NULL;
    *len = ca->chain_len[i];
    return ca->chain[i];
}

const char *est_ca_subject(const est_ca_t *ca)
{
    return ca->subject;
}

/* ---- Certificates ------------------------------------------------------- */

/* Opens Extension { extnID, critical, extnValue OCTET STRING { ... } };
 * ext_close() closes both. */
static void ext_open(der_wr_t *w, const uint8_t *oid, size_t n, int critical)
{
    der_wr_open(w, DER_SEQUENCE);
    der_wr_oid(w, oid, n);
    if (critical) der_wr_true(w);
    der_wr_open(w, DER_OCTET_STR);
}

static void ext_close(der_wr_t *w)
{
    der_wr_close(w);
    der_wr_close(w);
}

/* authorityKeyIdentifier { keyIdentifier [0] } (RFC 5280 §4.2.1.1). */
static void wr_aki(der_wr_t *w, const est_ca_t *ca)
{
    ext_open(w, oid_aki, sizeof(oid_aki), 0);
    der_wr_open(w, DER_SEQUENCE);
    der_wr_prim(w, DER_CTX(0), ca->ski, ca->ski_len);
    der_wr_close(w);
    ext_close(w);
}

/* Whether |p| (|n| bytes) is exactly one element with tag |tag|. */
static int one_tlv(const uint8_t *p, size_t n, uint8_t tag)
{
    der_rd_t r = der_rd(p, n);
    der_tlv_t t;
    return p && der_expect(&r, tag, &t) == 0 && r.len == 0;
}

static int san_ok(const est_issue_t *req)
{
    if (req->nsan > EST_SAN_MAX) return 0;
    for (size_t i = 0; i < req->nsan; i++) {
        int type = req->san[i].type;
        size_t len = req->san[i].len;
        if (!req->san[i].val || len == 0 || len > 255) return 0;
        if (type == EST_SAN_IP) {
            if (len != 4 && len != 16) return 0;
            continue;
        }
        if (type != EST_SAN_DNS && type != EST_SAN_URI && type != EST_SAN_EMAIL) return 0;
        for (size_t k = 0; k < len; k++) /* IA5String, printable */
            if (req->san[i].val[k] < 0x21 || req->san[i].val[k] > 0x7e) return 0;
    }
    return 1;
}

static void wr_extensions(der_wr_t *w, const est_ca_t *ca, const est_issue_t *req, const uint8_t *skid,
                          int empty_subject)
{
    static const uint8_t ku_digital_signature[] = {0x03, 0x02, 0x07, 0x80}; /* bit 0, 7 unused */
    der_wr_open(w, DER_CTX_CONS(3));
    der_wr_open(w, DER_SEQUENCE);
    ext_open(w, oid_basic_constraints, sizeof(oid_basic_constraints), 1);
    der_wr_open(w, DER_SEQUENCE); /* cA FALSE is the DEFAULT: empty */
    der_wr_close(w);
    ext_close(w);
    ext_open(w, oid_key_usage, sizeof(oid_key_usage), 1);
    der_wr_raw(w, ku_digital_signature, sizeof(ku_digital_signature));
    ext_close(w);
    ext_open(w, oid_ext_key_usage, sizeof(oid_ext_key_usage), 0);
    der_wr_open(w, DER_SEQUENCE);
    der_wr_oid(w, oid_client_auth, sizeof(oid_client_auth));
    der_wr_close(w);
    ext_close(w);
    if (req->nsan > 0) {
        /* Critical when the subject is empty (RFC 5280 §4.2.1.6). */
        ext_open(w, oid_san, sizeof(oid_san), empty_subject);
        der_wr_open(w, DER_SEQUENCE);
        for (size_t i = 0; i < req->nsan; i++)
            der_wr_prim(w, DER_CTX((uint8_t)req->san[i].type), req->san[i].val, req->san[i].len);
        der_wr_close(w);
        ext_close(w);
    }
    ext_open(w, oid_ski, sizeof(oid_ski), 0);
    der_wr_prim(w, DER_OCTET_STR, skid, WC_SHA_DIGEST_SIZE);
    ext_close(w);
    wr_aki(w, ca);
    der_wr_close(w);
    der_wr_close(w);
}

long est_ca_issue(est_ca_t *ca, const est_issue_t *req, uint8_t *out, size_t cap, char *err, size_t errcap)
{
    uint8_t tbs[EST_CERT_MAX], skid[WC_SHA_DIGEST_SIZE];
    const uint8_t *pub;
    size_t pub_len;
    int curve;
    if (req->serial[0] == 0 || (req->serial[0] & 0x80)) {
        SET_ERR("serial is not a positive 16-octet number");
        return -1;
    }
    if (!one_tlv(req->subject, req->subject_len, DER_SEQUENCE)) {
        SET_ERR("subject is not a DER Name");
        return -1;
    }
    if (!req->spki || est_spki_parse(req->spki, req->spki_len, &curve, &pub, &pub_len) != 0) {
        SET_ERR("subjectPublicKeyInfo is malformed");
        return -1;
    }
    int empty_subject = req->subject_len == 2;
    if (!san_ok(req) || (empty_subject && req->nsan == 0)) {
        SET_ERR("subjectAltName entries are invalid or missing");
        return -1;
    }
    if (req->not_after <= req->not_before) {
        SET_ERR("notAfter is not after notBefore");
        return -1;
    }
    /* Key identifier method 1 (RFC 5280 §4.2.1.2): SHA-1 of the key bits. */
    if (wc_ShaHash(pub, (word32)pub_len, skid) != 0) {
        SET_ERR("cannot hash the public key");
        return -1;
    }
    der_wr_t w;
    der_wr_init(&w, tbs, sizeof(tbs));
    der_wr_open(&w, DER_SEQUENCE);
    der_wr_open(&w, DER_CTX_CONS(0));
    der_wr_uint(&w, 2); /* v3 */
    der_wr_close(&w);
    der_wr_uint_be(&w, req->serial, EST_SERIAL_LEN);
    wr_sig_alg(&w, ca);
    der_wr_raw(&w, ca->cert.subject, ca->cert.subject_len);
    der_wr_open(&w, DER_SEQUENCE);
    der_wr_time(&w, req->not_before);
    der_wr_time(&w, req->not_after);
    der_wr_close(&w);
    der_wr_raw(&w, req->subject, req->subject_len);
    der_wr_raw(&w, req->spki, req->spki_len);
    wr_extensions(&w, ca, req, skid, empty_subject);
    der_wr_close(&w);
    long n = der_wr_finish(&w);
    if (n < 0) {
        SET_ERR("the certificate would exceed %d bytes or a time is out of range", EST_CERT_MAX);
        return -1;
    }
    long len = sign_wrap(ca, tbs, (size_t)n, out, cap);
    if (len < 0) SET_ERR("signing failed or the output buffer is too small");
    return len;
}

int est_serial_random(uint8_t serial[EST_SERIAL_LEN])
{
    size_t got = 0;
    while (got < EST_SERIAL_LEN) {
        ssize_t n = getrandom(serial + got, EST_SERIAL_LEN - got, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        got += (size_t)n;
    }
    /* Positive and without a leading zero octet: redraw the first octet
     * until it is in 0x01..0x7f, which keeps it uniform over that range. */
    serial[0] &= 0x7f;
    while (serial[0] == 0) {
        uint8_t b;
        if (getrandom(&b, 1, 0) != 1) return -1;
        serial[0] = b & 0x7f;
    }
    return 0;
}

/* ---- CRLs --------------------------------------------------------------- */

#define CRL_FIXED_MAX 1024 /* version, algorithm, times, extensions, signature */
#define CRL_ENTRY_MAX 80   /* one revoked entry with a reasonCode, at most */

static int crl_entries_ok(const est_revoked_t *r, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!r[i].serial || r[i].serial_len == 0 || r[i].serial_len > 20) return 0;
        /* RFC 5280 §5.3.1: 7 is unused; 0..10 otherwise. */
        if (r[i].reason < -1 || r[i].reason > 10 || r[i].reason == 7) return 0;
    }
    return 1;
}

static void wr_crl_entry(der_wr_t *w, const est_revoked_t *r)
{
    der_wr_open(w, DER_SEQUENCE);
    der_wr_uint_be(w, r->serial, r->serial_len);
    der_wr_time(w, r->revoked_at);
    if (r->reason >= 0) {
        uint8_t reason = (uint8_t)r->reason;
        der_wr_open(w, DER_SEQUENCE);
        ext_open(w, oid_reason_code, sizeof(oid_reason_code), 0);
        der_wr_prim(w, EST_TAG_ENUMERATED, &reason, 1);
        ext_close(w);
        der_wr_close(w);
    }
    der_wr_close(w);
}

int est_ca_crl(est_ca_t *ca, const est_revoked_t *r, size_t n, uint64_t number, int64_t this_update,
               int64_t next_update, uint8_t **out, size_t *len, char *err, size_t errcap)
{
    *out = NULL;
    *len = 0;
    if (n > 0 && !r) n = 0;
    if (!crl_entries_ok(r, n)) {
        SET_ERR("a revoked entry has an invalid serial or reason");
        return -1;
    }
    if (next_update <= this_update) {
        SET_ERR("nextUpdate is not after thisUpdate");
        return -1;
    }
    if (n > (SIZE_MAX / 2 - CRL_FIXED_MAX - ca->cert.subject_len) / CRL_ENTRY_MAX) {
        SET_ERR("too many revoked certificates");
        return -1;
    }
    size_t tcap = CRL_FIXED_MAX + ca->cert.subject_len + n * CRL_ENTRY_MAX;
    uint8_t *tbs = malloc(tcap), *crl = malloc(tcap + CRL_FIXED_MAX);
    int rc = -1;
    if (!tbs || !crl) {
        SET_ERR("out of memory");
        goto out;
    }
    der_wr_t w;
    der_wr_init(&w, tbs, tcap);
    der_wr_open(&w, DER_SEQUENCE);
    der_wr_uint(&w, 1); /* v2 */
    wr_sig_alg(&w, ca);
    der_wr_raw(&w, ca->cert.subject, ca->cert.subject_len);
    der_wr_time(&w, this_update);
    der_wr_time(&w, next_update);
    if (n > 0) { /* an empty SEQUENCE OF is not allowed: leave the field out */
        der_wr_open(&w, DER_SEQUENCE);
        for (size_t i = 0; i < n; i++)
            wr_crl_entry(&w, &r[i]);
        der_wr_close(&w);
    }
    der_wr_open(&w, DER_CTX_CONS(0));
    der_wr_open(&w, DER_SEQUENCE);
    wr_aki(&w, ca);
    ext_open(&w, oid_crl_number, sizeof(oid_crl_number), 0);
    der_wr_uint(&w, number);
    ext_close(&w);
    der_wr_close(&w);
    der_wr_close(&w);
    der_wr_close(&w);
    long tlen = der_wr_finish(&w);
    if (tlen < 0) {
        SET_ERR("a time is out of range");
        goto out;
    }
    long clen = sign_wrap(ca, tbs, (size_t)tlen, crl, tcap + CRL_FIXED_MAX);
    if (clen < 0) {
        SET_ERR("signing the CRL failed");
        goto out;
    }
    *out = crl;
    *len = (size_t)clen;
    crl = NULL;
    rc = 0;
out:
    free(tbs);
    free(crl);
    return rc;
}

/* ---- EST bodies and PEM ------------------------------------------------- */

long est_pkcs7_certs(const uint8_t *const *certs, const size_t *lens, size_t n, uint8_t *out, size_t cap)
{
    der_wr_t w;
    der_wr_init(&w, out, cap);
    der_wr_open(&w, DER_SEQUENCE); /* ContentInfo */
    der_wr_oid(&w, oid_signed_data, sizeof(oid_signed_data));
    der_wr_open(&w, DER_CTX_CONS(0));
    der_wr_open(&w, DER_SEQUENCE); /* SignedData (RFC 5652 §5.1) */
    der_wr_uint(&w, 1);
    der_wr_open(&w, DER_SET); /* digestAlgorithms: none */
    der_wr_close(&w);
    der_wr_open(&w, DER_SEQUENCE); /* encapContentInfo: id-data, no content */
    der_wr_oid(&w, oid_data, sizeof(oid_data));
    der_wr_close(&w);
    if (n > 0) {
        der_wr_open(&w, DER_CTX_CONS(0)); /* certificates [0] IMPLICIT SET OF */
        for (size_t i = 0; i < n; i++)
            der_wr_raw(&w, certs[i], lens[i]);
        der_wr_close(&w);
    }
    der_wr_open(&w, DER_SET); /* signerInfos: none */
    der_wr_close(&w);
    der_wr_close(&w);
    der_wr_close(&w);
    der_wr_close(&w);
    return der_wr_finish(&w);
}

long est_csrattrs(uint8_t *out, size_t cap)
{
    /* CsrAttrs ::= SEQUENCE OF AttrOrOID (RFC 7030 §4.5.2): the signature
     * algorithm as an OID, the key type as an Attribute with the curve. */
    der_wr_t w;
    der_wr_init(&w, out, cap);
    der_wr_open(&w, DER_SEQUENCE);
    der_wr_oid(&w, oid_ecdsa_sha256, sizeof(oid_ecdsa_sha256));
    der_wr_open(&w, DER_SEQUENCE);
    der_wr_oid(&w, oid_ec_pub, sizeof(oid_ec_pub));
    der_wr_open(&w, DER_SET);
    der_wr_oid(&w, oid_p256, sizeof(oid_p256));
    der_wr_close(&w);
    der_wr_close(&w);
    der_wr_close(&w);
    return der_wr_finish(&w);
}

char *est_pem(const char *label, const uint8_t *der, size_t len)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t chars = (len + 2) / 3 * 4;
    size_t lab = strlen(label);
    if (len > SIZE_MAX / 2 || lab > 64) return NULL;
    size_t cap = chars + chars / 64 + 2 + 2 * (lab + 16) + 1;
    char *s = malloc(cap), *p;
    if (!s) return NULL;
    p = s + sprintf(s, "-----BEGIN %s-----\n", label);
    size_t col = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t)der[i] << 16;
        size_t k = len - i;
        if (k > 1) v |= (uint32_t)der[i + 1] << 8;
        if (k > 2) v |= der[i + 2];
        char q[4] = {b64[v >> 18], b64[(v >> 12) & 63], k > 1 ? b64[(v >> 6) & 63] : '=',
                     k > 2 ? b64[v & 63] : '='};
        for (int j = 0; j < 4; j++) {
            *p++ = q[j];
            if (++col == 64) { /* RFC 7468 §2: lines of 64 characters */
                *p++ = '\n';
                col = 0;
            }
        }
    }
    if (col) *p++ = '\n';
    sprintf(p, "-----END %s-----\n", label);
    return s;
}
