/*
 * est_ca.h — the certificate authority behind EST: issues X.509 v3 client
 * certificates, CRLs and the PKCS#7 certs-only bodies EST answers with.
 *
 * The CA's private key is reached only through est_signer_t, a narrow
 * interface (sign one digest): today an in-process key read from a file
 * (est_signer_file), later a separate process or a PKCS#11 token, without
 * any change here. Everything else — TBSCertificate, TBSCertList, the
 * PKCS#7 wrapping — is encoded in-tree (bsd/est/der.h); wolfSSL 5.7.2 has
 * no CRL generator and its certificate generator wants the key itself.
 *
 * Thread safety: an est_ca_t is immutable after est_ca_load() except for
 * the signer, which serialises its own calls; one CA may be used by the
 * EST thread and the API threads at once.
 */
#ifndef BSD_EST_EST_CA_H
#define BSD_EST_EST_CA_H

#include <stddef.h>
#include <stdint.h>

#define EST_SERIAL_LEN   16   /* serial octets we issue: 16 random, positive */
#define EST_CERT_MAX     2048 /* largest certificate we issue, DER bytes */
#define EST_CA_CHAIN_MAX 4    /* certificates /crts returns: the CA and its issuers */
#define EST_SAN_MAX      8
#define EST_ERR_MAX      256

/* Signs a digest with the CA key. */
typedef struct est_signer {
    void *ctx;
    /* Signs |digest| (|dlen| bytes: SHA-256 for P-256 keys, SHA-384 for
     * P-384) and writes an ECDSA-Sig-Value (DER) into |sig|. Returns its
     * length, or -1. Must be safe to call from several threads. */
    long (*sign)(void *ctx, const uint8_t *digest, size_t dlen, uint8_t *sig, size_t cap);
    void (*free)(void *ctx);
} est_signer_t;

/* An in-process signer over the EC private key in |key_path| (PEM "EC
 * PRIVATE KEY" / "PRIVATE KEY" or DER, SEC1 or PKCS#8; P-256 or P-384).
 * Returns 0, or -1 with a message in |err| that never holds key bytes. */
int est_signer_file(est_signer_t *s, const char *key_path, char *err, size_t errcap);

typedef struct est_ca est_ca_t;

/*
 * Loads the CA: its certificate from |cert_path| (PEM or DER; the first
 * certificate is the CA, further PEM certificates its issuers up to a root,
 * all returned by /crts), and takes |signer| (owned from now on, freed with
 * the CA, also on failure). Checks that the certificate is a CA
 * (basicConstraints cA, keyUsage keyCertSign and cRLSign when present),
 * that its key is P-256 or P-384 and that the signer's key belongs to it
 * (by signing a test digest and verifying it with the certificate's key).
 * Returns the CA, or NULL with a message in |err|.
 */
est_ca_t *est_ca_load(const char *cert_path, est_signer_t *signer, char *err, size_t errcap);

void est_ca_free(est_ca_t *ca);

/* The CA certificate (DER) and, with |i| > 0, its issuers. NULL past the end. */
const uint8_t *est_ca_chain(const est_ca_t *ca, size_t i, size_t *len);

/* The CA's subject as est_name_str() text ("CN=…"). */
const char *est_ca_subject(const est_ca_t *ca);

/* What the CA puts into a certificate. */
typedef struct est_issue {
    uint8_t serial[EST_SERIAL_LEN];
    const uint8_t *subject; /* Name DER, whole TLV */
    size_t subject_len;
    const uint8_t *spki; /* SubjectPublicKeyInfo DER, whole TLV */
    size_t spki_len;
    int64_t not_before; /* seconds since the epoch */
    int64_t not_after;
    /* subjectAltName entries (est_csr.h enum est_san_type: DNS, URI, email) */
    struct {
        int type;
        const uint8_t *val;
        size_t len;
    } san[EST_SAN_MAX];
    size_t nsan;
} est_issue_t;

/*
 * Issues a certificate: X.509 v3, signature ecdsa-with-SHA256 (P-256 CA) or
 * -SHA384 (P-384 CA), issuer = the CA's subject, extensions
 * basicConstraints cA=FALSE (critical), keyUsage digitalSignature
 * (critical), extKeyUsage clientAuth, subjectAltName when given (critical
 * when the subject is empty), subjectKeyIdentifier (SHA-1 of the key, RFC
 * 5280 §4.2.1.2 method 1) and authorityKeyIdentifier (the CA's SKI, or
 * computed the same way when it has none). Writes the DER into |out|.
 * Returns its length, or -1 with a message in |err|.
 */
long est_ca_issue(est_ca_t *ca, const est_issue_t *req, uint8_t *out, size_t cap, char *err, size_t errcap);

/* Fills |serial| with 16 random octets forming a positive INTEGER with no
 * leading zero octet (first octet 0x01..0x7f). Returns 0 or -1. */
int est_serial_random(uint8_t serial[EST_SERIAL_LEN]);

/* One revoked certificate for a CRL. */
typedef struct est_revoked {
    const uint8_t *serial; /* big-endian octets as issued */
    size_t serial_len;
    int64_t revoked_at;
    int reason; /* RFC 5280 CRLReason, -1 for none (no reasonCode extension) */
} est_revoked_t;

/*
 * A CRL (RFC 5280 §5, v2) signed by the CA: |n| revoked entries,
 * thisUpdate/nextUpdate, extensions cRLNumber |number| and
 * authorityKeyIdentifier. Returns a malloc'ed DER in |*out| (|*len|), 0, or
 * -1 with a message in |err|.
 */
int est_ca_crl(est_ca_t *ca, const est_revoked_t *r, size_t n, uint64_t number, int64_t this_update,
               int64_t next_update, uint8_t **out, size_t *len, char *err, size_t errcap);

/*
 * The RFC 9148 §4.3 / RFC 5751 certs-only PKCS#7 body (Content-Format 281):
 * ContentInfo signedData, version 1, no digest algorithms, encapsulated
 * content id-data without content, |n| certificates, no signers. Returns the
 * length written to |out|, or -1 when it does not fit.
 */
long est_pkcs7_certs(const uint8_t *const *certs, const size_t *lens, size_t n, uint8_t *out, size_t cap);

/*
 * The /att body (Content-Format 285, RFC 7030 §4.5.2 CsrAttrs): the
 * signature algorithm the CA wants (ecdsa-with-SHA256) and the key type and
 * curve (id-ecPublicKey, prime256v1). Returns the length, or -1.
 */
long est_csrattrs(uint8_t *out, size_t cap);

/* PEM armour of |der| with |label| ("CERTIFICATE", "X509 CRL") into a
 * malloc'ed NUL-terminated string; NULL on out-of-memory. */
char *est_pem(const char *label, const uint8_t *der, size_t len);

/* Reads the certificate facts the store records, from a DER certificate we
 * issued or any other: subject text (est_name_str), notBefore/notAfter,
 * serial octets, SHA-256 of the SubjectPublicKeyInfo and of the whole DER.
 * Returns 0 or -1 when malformed. */
typedef struct est_cert_info {
    char subject[512];
    int64_t not_before, not_after;
    uint8_t serial[20];
    size_t serial_len;
    uint8_t spki_sha256[32];
    uint8_t fingerprint[32];
} est_cert_info_t;
int est_cert_info(const uint8_t *der, size_t len, est_cert_info_t *out);

/* ---- Certificate parsing (est_cert.c) ----------------------------------
 * A bounded X.509 reader for the certificates the CA is loaded from and the
 * ones the store hands back: every field is checked against its parent,
 * nothing is copied (the pointers point into the input). */

#define EST_CERT_FILE_MAX (64 * 1024) /* largest CA certificate file read */
#define EST_KEY_FILE_MAX  (16 * 1024) /* largest CA key file read */

/* One parsed certificate. */
typedef struct est_cert {
    const uint8_t *tbs; /* TBSCertificate, whole TLV: the signed bytes */
    size_t tbs_len;
    const uint8_t *serial; /* INTEGER contents */
    size_t serial_len;
    const uint8_t *issuer; /* issuer Name, whole TLV */
    size_t issuer_len;
    const uint8_t *subject; /* subject Name, whole TLV */
    size_t subject_len;
    int64_t not_before, not_after;
    const uint8_t *spki; /* SubjectPublicKeyInfo, whole TLV */
    size_t spki_len;
    const uint8_t *pub; /* the key (BIT STRING contents after the unused-bits octet) */
    size_t pub_len;
    int curve;          /* enum est_curve: EST_CURVE_NONE when not EC on a curve we know */
    int sig_alg;        /* enum est_sig of the outer signatureAlgorithm */
    const uint8_t *sig; /* signatureValue (BIT STRING contents after the unused-bits octet) */
    size_t sig_len;
    int has_bc;         /* basicConstraints present */
    int is_ca;          /* basicConstraints cA TRUE */
    int has_ku;         /* keyUsage present */
    unsigned ku;        /* keyUsage bits, EST_KU_* */
    const uint8_t *ski; /* subjectKeyIdentifier contents, or NULL */
    size_t ski_len;
} est_cert_t;

#define EST_KU_DIGITAL_SIGNATURE 0x80u /* bit 0 (RFC 5280 §4.2.1.3) as the first octet holds it */
#define EST_KU_KEY_CERT_SIGN     0x04u /* bit 5 */
#define EST_KU_CRL_SIGN          0x02u /* bit 6 */

/* Parses the DER certificate |der| (exactly |len| bytes, nothing after it).
 * Version 1 to 3; extensions are read once each (a repeated one is
 * malformed). Returns 0 or -1 when malformed. */
int est_cert_parse(est_cert_t *c, const uint8_t *der, size_t len);

/* Reads a SubjectPublicKeyInfo (whole TLV, exactly |len| bytes): its curve
 * (enum est_curve) and key point. Returns 0 or -1 when malformed. */
int est_spki_parse(const uint8_t *spki, size_t len, int *curve, const uint8_t **pub, size_t *pub_len);

/* Finds the next PEM block labelled |label| in the text [*pos, end), decodes
 * its base64 into |out| (|cap| bytes) and moves *pos past it. Blocks with
 * other labels are skipped. Returns the DER length, 0 when there is no
 * further block, or -1 when the block is malformed, unterminated or does
 * not fit. */
long est_pem_block(const char **pos, const char *end, const char *label, uint8_t *out, size_t cap);

/* Reads the whole file |path| (at most |max| bytes) into a malloc'ed buffer
 * with a NUL after the content. Returns it, or NULL with a message in
 * |err|. The caller wipes it when it held a key. */
uint8_t *est_read_file(const char *path, size_t max, size_t *len, char *err, size_t errcap);

#endif
