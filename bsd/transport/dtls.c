/*
 * dtls.c — wolfSSL contexts, the PSK/RPK/X.509 callbacks that bind a peer to
 * a device, and stateless pre-parsing of epoch-0 records.
 *
 * The callbacks answer from the in-memory credential store only (no I/O):
 * they run on worker threads in the middle of a handshake. Socket I/O and
 * session lifetimes live in worker.c.
 */
#include "bsd/transport/dtls.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wolfssl/wolfcrypt/asn.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/error-crypt.h>
#include <wolfssl/wolfcrypt/sha256.h>

#define PSK_SUITES   "PSK-AES128-CCM-8:PSK-AES128-GCM-SHA256:PSK-AES128-CBC-SHA256"
#define ECDSA_SUITES "ECDHE-ECDSA-AES128-CCM-8:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-SHA256"

/* DTLS record and handshake header sizes (RFC 6347 §4.1, §4.2.2). */
#define REC_HDR 13
#define HS_HDR  12

int dtls_global_init(void)
{
    return wolfSSL_Init() == WOLFSSL_SUCCESS ? 0 : DTLS_ERR_CONFIG;
}

static void copy_str(char *dst, size_t cap, const char *src, size_t n)
{
    if (n >= cap) n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = 0;
}

static unsigned int psk_cb(WOLFSSL *ssl, const char *identity, unsigned char *key, unsigned int max_key)
{
    dtls_hs_t *hs = wolfSSL_get_ex_data(ssl, 0);
    if (!hs || !identity) return 0;
    if (hs->psk_identity_bad) {
        hs->auth->fail_reason = "psk_identity_contains_nul";
        return 0; /* wolfSSL answers unknown_psk_identity */
    }
    size_t n = strnlen(identity, CREDS_MAX_PSK_IDENTITY + 1);
    const creds_device_t *d = n <= CREDS_MAX_PSK_IDENTITY ? creds_find_psk(hs->creds, identity, n) : NULL;
    if (!d || d->key_len > max_key) {
        hs->auth->fail_reason = "unknown_psk_identity";
        return 0;
    }
    memcpy(key, d->key, d->key_len);
    hs->auth->kind = CREDS_PSK;
    copy_str(hs->auth->endpoint, sizeof(hs->auth->endpoint), d->endpoint, strlen(d->endpoint));
    copy_str(hs->auth->identity, sizeof(hs->auth->identity), identity, n);
    return d->key_len;
}

static int verify_rpk(dtls_hs_t *hs, const uint8_t *spki, size_t len)
{
    const creds_device_t *d = creds_find_spki(hs->creds, spki, len);
    if (!d) {
        hs->auth->fail_reason = "unknown_raw_public_key";
        return 0;
    }
    hs->auth->kind = CREDS_RPK;
    copy_str(hs->auth->endpoint, sizeof(hs->auth->endpoint), d->endpoint, strlen(d->endpoint));
    hs->auth->identity[0] = 0;
    wc_Sha256Hash(spki, (word32)len, hs->auth->spki_sha256);
    return 1;
}

/*
 * Looks the leaf's names up: the subject CN and every dNSName, URI and
 * rfc822Name subjectAltName, each in the key space of its type, so a device
 * bound by san_uri is never found through a CN that happens to be equal.
 * Exactly one device may match; two different devices are refused as
 * ambiguous (a certificate must name one device).
 */
static const creds_device_t *find_by_names(dtls_hs_t *hs, DecodedCert *dc, int *type_out)
{
    const creds_device_t *found = NULL;
    int ambiguous = 0;
#define CONSIDER(type, p, n)                                                                                 \
    do {                                                                                                     \
        const creds_device_t *d_ =                                                                           \
            (p) && (n) > 0 ? creds_find_x509_name(hs->creds, (type), (p), (size_t)(n)) : NULL;               \
        if (d_ && found && d_ != found) ambiguous = 1;                                                       \
        if (d_ && !found) {                                                                                  \
            found = d_;                                                                                      \
            *type_out = (type);                                                                              \
        }                                                                                                    \
    } while (0)
    CONSIDER(CREDS_NAME_CN, dc->subjectCN, dc->subjectCNLen);
    for (const DNS_entry *e = dc->altNames; e; e = e->next) {
        if (e->type == ASN_DNS_TYPE)
            CONSIDER(CREDS_NAME_SAN_DNS, e->name, e->len);
        else if (e->type == ASN_URI_TYPE)
            CONSIDER(CREDS_NAME_SAN_URI, e->name, e->len);
    }
    for (const DNS_entry *e = dc->altEmailNames; e; e = e->next)
        if (e->type == ASN_RFC822_TYPE) CONSIDER(CREDS_NAME_SAN_EMAIL, e->name, e->len);
#undef CONSIDER
    if (ambiguous) {
        hs->auth->fail_reason = "certificate_names_several_devices";
        return NULL;
    }
    return found;
}

static int verify_leaf(dtls_hs_t *hs, const uint8_t *der, size_t len)
{
    DecodedCert dc;
    uint8_t fp[32];
    int ok = 0;
    wc_Sha256Hash(der, (word32)len, fp);
    wc_InitDecodedCert(&dc, der, (word32)len, NULL);
    if (wc_ParseCert(&dc, CERT_TYPE, NO_VERIFY, NULL) != 0) {
        hs->auth->fail_reason = "certificate_unparsable";
        goto out;
    }
    if (creds_revoked(hs->creds, fp)) {
        hs->auth->fail_reason = "certificate_revoked";
        goto out;
    }
    int type = CREDS_NAME_CN;
    const creds_device_t *d = creds_find_fingerprint(hs->creds, fp);
    if (!d) {
        d = find_by_names(hs, &dc, &type);
        if (!d) {
            if (!hs->auth->fail_reason) hs->auth->fail_reason = "certificate_not_bound_to_device";
            goto out;
        }
        /* A device pinned to one certificate accepts no other, even one with its name. */
        if (d->has_fingerprint) {
            hs->auth->fail_reason = "certificate_fingerprint_mismatch";
            goto out;
        }
    } else if (d->x509_name) {
        type = d->x509_name_type;
    }
    hs->auth->kind = CREDS_X509;
    copy_str(hs->auth->endpoint, sizeof(hs->auth->endpoint), d->endpoint, strlen(d->endpoint));
    /* The identity logged is the name the device is bound by. */
    hs->auth->name_type = (uint8_t)type;
    if (type == CREDS_NAME_CN) {
        if (dc.subjectCN && dc.subjectCNLen > 0)
            copy_str(hs->auth->identity, sizeof(hs->auth->identity), dc.subjectCN, (size_t)dc.subjectCNLen);
    } else {
        copy_str(hs->auth->identity, sizeof(hs->auth->identity), d->x509_name, strlen(d->x509_name));
    }
    memcpy(hs->auth->cert_sha256, fp, 32);
    ok = 1;
out:
    wc_FreeDecodedCert(&dc);
    return ok;
}

/*
 * Called for every certificate (WOLFSSL_ALWAYS_VERIFY_CB), also for raw
 * public keys, which wolfSSL would otherwise accept without any check.
 * Returning 0 makes wolfSSL fail the handshake with the alert that matches
 * store->error (certificate_expired, unknown_ca, bad_certificate).
 */
static int verify_cb(int preverify, WOLFSSL_X509_STORE_CTX *store)
{
    dtls_hs_t *hs = store ? store->userCtx : NULL;
    if (!hs || !hs->auth || !store->certs || store->totalCerts < 1) return 0;
    int ctype = WOLFSSL_CERT_TYPE_UNKNOWN;
    if (hs->ssl) wolfSSL_get_negotiated_client_cert_type(hs->ssl, &ctype);
    if (ctype == WOLFSSL_CERT_TYPE_RPK) return verify_rpk(hs, store->certs[0].buffer, store->certs[0].length);
    if (!preverify) {
        switch (store->error) {
        case ASN_AFTER_DATE_E:
        case ASN_BEFORE_DATE_E: hs->auth->fail_reason = "certificate_expired"; break;
        case ASN_NO_SIGNER_E: hs->auth->fail_reason = "unknown_ca"; break;
        default: hs->auth->fail_reason = "bad_certificate"; break;
        }
        return 0;
    }
    if (store->error_depth != 0) return 1; /* an intermediate that chains */
    return verify_leaf(hs, store->certs[0].buffer, store->certs[0].length);
}

static int read_file(const char *path, uint8_t **out, size_t *len, char *err, size_t errcap)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errcap, "%s: cannot open: %m", path);
        return DTLS_ERR_CONFIG;
    }
    uint8_t *buf = malloc(1 << 20);
    size_t n = buf ? fread(buf, 1, 1 << 20, f) : 0;
    int toolarge = buf && n == (1 << 20);
    fclose(f);
    if (!buf || toolarge || n == 0) {
        free(buf);
        snprintf(err, errcap, "%s: %s", path,
                 !buf       ? "out of memory"
                 : toolarge ? "larger than 1 MiB"
                            : "empty");
        return DTLS_ERR_CONFIG;
    }
    *out = buf;
    *len = n;
    return 0;
}

/* Derives the server's SubjectPublicKeyInfo (its raw public key) from the
 * private key file. Only P-256 keys are used for RPK. */
static int load_server_spki(dtls_profile_t *p, const char *key_file, char *err, size_t errcap)
{
    uint8_t *pem = NULL, der[4096];
    size_t pemlen;
    int r = read_file(key_file, &pem, &pemlen, err, errcap);
    if (r) return r;
    int derlen = wc_KeyPemToDer(pem, (int)pemlen, der, sizeof(der), NULL);
    explicit_bzero(pem, pemlen);
    free(pem);
    if (derlen <= 0) {
        snprintf(err, errcap, "%s: not a PEM private key", key_file);
        return DTLS_ERR_CONFIG;
    }
    ecc_key key;
    word32 idx = 0;
    int ret = wc_ecc_init(&key);
    if (ret == 0) ret = wc_EccPrivateKeyDecode(der, &idx, &key, (word32)derlen);
    explicit_bzero(der, sizeof(der));
    if (ret == 0 && wc_ecc_get_curve_id(key.idx) != ECC_SECP256R1) ret = -1;
    if (ret == 0) {
        ret = wc_EccPublicKeyToDer(&key, p->server_spki, sizeof(p->server_spki), 1);
        if (ret > 0) {
            p->server_spki_len = (uint16_t)ret;
            ret = 0;
        }
    }
    wc_ecc_free(&key);
    if (ret != 0) {
        snprintf(err, errcap, "%s: not a P-256 EC private key", key_file);
        return DTLS_ERR_CONFIG;
    }
    return 0;
}

static WOLFSSL_CTX *new_ctx(const dtls_settings_t *s, int have_key, char *err, size_t errcap)
{
    WOLFSSL_CTX *ctx = wolfSSL_CTX_new(wolfDTLSv1_2_server_method());
    if (!ctx) {
        snprintf(err, errcap, "wolfSSL_CTX_new failed");
        return NULL;
    }
    char suites[256] = "";
    if (s->allow_psk) strcat(suites, PSK_SUITES);
    if (have_key && (s->allow_rpk || s->allow_x509)) {
        if (suites[0]) strcat(suites, ":");
        strcat(suites, ECDSA_SUITES);
    }
    if (!suites[0] || wolfSSL_CTX_set_cipher_list(ctx, suites) != WOLFSSL_SUCCESS) {
        snprintf(err, errcap, "no usable cipher suite (PSK disabled and no server key?)");
        wolfSSL_CTX_free(ctx);
        return NULL;
    }
    wolfSSL_CTX_set_psk_server_callback(ctx, psk_cb);
    wolfSSL_CTX_SetMinEccKey_Sz(ctx, 256);
    wolfSSL_CTX_SetMinRsaKey_Sz(ctx, 2048);
    wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_PEER | WOLFSSL_VERIFY_FAIL_EXCEPT_PSK, verify_cb);
    wolfSSL_CTX_set_group_messages(ctx);
    wolfSSL_CTX_UseSupportedCurve(ctx, WOLFSSL_ECC_SECP256R1);
    if (s->ca_file && s->ca_file[0] && s->allow_x509 &&
        wolfSSL_CTX_load_verify_locations(ctx, s->ca_file, NULL) != WOLFSSL_SUCCESS) {
        snprintf(err, errcap, "%s: cannot load trust anchors", s->ca_file);
        wolfSSL_CTX_free(ctx);
        return NULL;
    }
    if (s->ca_file2 && s->ca_file2[0] && s->allow_x509 &&
        wolfSSL_CTX_load_verify_locations(ctx, s->ca_file2, NULL) != WOLFSSL_SUCCESS) {
        snprintf(err, errcap, "%s: cannot load the EST CA as a trust anchor", s->ca_file2);
        wolfSSL_CTX_free(ctx);
        return NULL;
    }
    (void)errcap;
    return ctx;
}

int dtls_profile_load(dtls_profile_t *p, const dtls_settings_t *s, char *err, size_t errcap)
{
    memset(p, 0, sizeof(*p));
    int have_key = s->key_file && s->key_file[0];
    if (have_key) {
        int r = load_server_spki(p, s->key_file, err, errcap);
        if (r) return r;
    }
    p->ctx_x509 = new_ctx(s, have_key, err, errcap);
    if (!p->ctx_x509) return DTLS_ERR_CONFIG;
    /* Clients may present certificates or raw keys on either context. */
    char ctypes[2] = {WOLFSSL_CERT_TYPE_X509, WOLFSSL_CERT_TYPE_RPK};
    int nct = s->allow_rpk ? 2 : 1;
    if (have_key) {
        if (s->cert_file && s->cert_file[0]) {
            if (wolfSSL_CTX_use_certificate_chain_file(p->ctx_x509, s->cert_file) != WOLFSSL_SUCCESS) {
                snprintf(err, errcap, "%s: cannot load certificate chain", s->cert_file);
                goto fail;
            }
        }
        if (wolfSSL_CTX_use_PrivateKey_file(p->ctx_x509, s->key_file, WOLFSSL_FILETYPE_PEM) !=
            WOLFSSL_SUCCESS) {
            snprintf(err, errcap, "%s: cannot load private key", s->key_file);
            goto fail;
        }
        char st[1] = {WOLFSSL_CERT_TYPE_X509};
        wolfSSL_CTX_set_server_cert_type(p->ctx_x509, st, 1);
        wolfSSL_CTX_set_client_cert_type(p->ctx_x509, ctypes, nct);
        if (s->allow_rpk) {
            p->ctx_rpk = new_ctx(s, have_key, err, errcap);
            if (!p->ctx_rpk) goto fail;
            char rt[1] = {WOLFSSL_CERT_TYPE_RPK};
            char rct[2] = {WOLFSSL_CERT_TYPE_RPK, WOLFSSL_CERT_TYPE_X509};
            if (wolfSSL_CTX_use_certificate_buffer(p->ctx_rpk, p->server_spki, p->server_spki_len,
                                                   WOLFSSL_FILETYPE_ASN1) != WOLFSSL_SUCCESS ||
                wolfSSL_CTX_use_PrivateKey_file(p->ctx_rpk, s->key_file, WOLFSSL_FILETYPE_PEM) !=
                    WOLFSSL_SUCCESS ||
                wolfSSL_CTX_set_server_cert_type(p->ctx_rpk, rt, 1) != WOLFSSL_SUCCESS ||
                wolfSSL_CTX_set_client_cert_type(p->ctx_rpk, rct, s->allow_x509 ? 2 : 1) != WOLFSSL_SUCCESS) {
                snprintf(err, errcap, "%s: cannot set up the raw public key context", s->key_file);
                goto fail;
            }
        }
        if (!s->cert_file || !s->cert_file[0]) {
            /* Without a certificate the X.509 context can still serve PSK;
             * RPK clients are routed to ctx_rpk. */
        }
    }
    return 0;
fail:
    dtls_profile_free(p);
    return DTLS_ERR_CONFIG;
}

void dtls_profile_free(dtls_profile_t *p)
{
    if (p->ctx_x509) wolfSSL_CTX_free(p->ctx_x509);
    if (p->ctx_rpk) wolfSSL_CTX_free(p->ctx_rpk);
    p->ctx_x509 = p->ctx_rpk = NULL;
}

static uint32_t be16(const uint8_t *p)
{
    return (uint32_t)p[0] << 8 | p[1];
}
static uint32_t be24(const uint8_t *p)
{
    return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

int dtls_peek_client_hello(const uint8_t *dg, size_t len, dtls_hello_info_t *out)
{
    memset(out, 0, sizeof(*out));
    /* Record: type 22, version 254.x, epoch 0. */
    if (len < REC_HDR + HS_HDR + 2 + 32 + 1 + 1) return -1;
    if (dg[0] != 22 || dg[1] != 254 || dg[3] != 0 || dg[4] != 0) return -1;
    size_t rlen = be16(dg + 11);
    if (rlen + REC_HDR > len) return -1;
    const uint8_t *h = dg + REC_HDR;
    if (h[0] != 1) return -1; /* ClientHello */
    size_t mlen = be24(h + 1), foff = be24(h + 6), flen = be24(h + 9);
    if (foff != 0 || flen != mlen || mlen + HS_HDR > rlen) return -1;
    const uint8_t *b = h + HS_HDR, *end = b + mlen;
    b += 2 + 32; /* client_version, random */
    if (b >= end || b + 1 + b[0] > end) return -1;
    b += 1 + b[0]; /* session_id */
    if (b >= end || b + 1 + b[0] > end) return -1;
    out->has_cookie = b[0] != 0;
    b += 1 + b[0]; /* cookie */
    if (b + 2 > end || b + 2 + be16(b) > end) return -1;
    b += 2 + be16(b); /* cipher_suites */
    if (b >= end || b + 1 + b[0] > end) return -1;
    b += 1 + b[0]; /* compression_methods */
    if (b + 2 <= end) {
        size_t elen = be16(b);
        b += 2;
        if (b + elen > end) return -1;
        const uint8_t *e = b, *eend = b + elen;
        while (e + 4 <= eend) {
            uint32_t type = be16(e), l = be16(e + 2);
            if (e + 4 + l > eend) return -1;
            if (type == 20 && l >= 1) { /* server_certificate_type, RFC 7250 §3 */
                /* Any client able to take the raw key gets it: RFC 7250 §4.2
                 * lets the server choose, and the RPK context also prefers a
                 * raw key from the client, which clients that list both
                 * types but hold only a key pair (gnutls) rely on. */
                const uint8_t *v = e + 4;
                size_t n = v[0];
                if (1 + n <= l)
                    for (size_t i = 0; i < n; i++)
                        if (v[1 + i] == 2) out->wants_rpk_server = 1;
            }
            e += 4 + l;
        }
    }
    out->is_client_hello = 1;
    return 0;
}

int dtls_psk_identity_has_nul(const uint8_t *dg, size_t len)
{
    const uint8_t *p = dg, *end = dg + len;
    while (p + REC_HDR <= end) {
        size_t rlen = be16(p + 11);
        const uint8_t *r = p + REC_HDR;
        if (r + rlen > end) return 0;
        int epoch0 = p[3] == 0 && p[4] == 0;
        if (p[0] == 22 && epoch0 && rlen >= HS_HDR + 2) {
            /* ClientKeyExchange (16), first fragment: psk_identity<0..2^16-1>. */
            if (r[0] == 16 && be24(r + 6) == 0) {
                size_t flen = be24(r + 9);
                const uint8_t *b = r + HS_HDR, *bend = b + (flen < rlen - HS_HDR ? flen : rlen - HS_HDR);
                if (b + 2 <= bend) {
                    size_t idlen = be16(b);
                    const uint8_t *id = b + 2;
                    size_t avail = (size_t)(bend - id);
                    if (memchr(id, 0, idlen < avail ? idlen : avail)) return 1;
                }
            }
        }
        p = r + rlen;
    }
    return 0;
}

int dtls_peek_alert(const uint8_t *dg, size_t len)
{
    if (len >= REC_HDR + 2 && dg[0] == 21 && dg[3] == 0 && dg[4] == 0 && be16(dg + 11) == 2 &&
        dg[REC_HDR] == 2)
        return dg[REC_HDR + 1];
    return -1;
}

const char *dtls_alert_name(int code)
{
    switch (code) {
    case 0: return "close_notify";
    case 10: return "unexpected_message";
    case 20: return "bad_record_mac";
    case 40: return "handshake_failure";
    case 42: return "bad_certificate";
    case 43: return "unsupported_certificate";
    case 44: return "certificate_revoked";
    case 45: return "certificate_expired";
    case 46: return "certificate_unknown";
    case 47: return "illegal_parameter";
    case 48: return "unknown_ca";
    case 50: return "decode_error";
    case 51: return "decrypt_error";
    case 70: return "protocol_version";
    case 71: return "insufficient_security";
    case 80: return "internal_error";
    case 115: return "unknown_psk_identity";
    default: return "other";
    }
}
