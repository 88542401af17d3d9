/*
 * est_tool.c — est-tool, a small command-line front end to the EST CA
 * (bsd/est/est_ca.h) for tests and operators: issue a certificate for a
 * public key, sign a CRL, wrap certificates into PKCS#7 certs-only, show
 * what the store would record about a certificate. DER goes to stdout.
 * Not installed; tests/unit/est_openssl.sh checks its output with openssl.
 */
#include "bsd/est/est_ca.h"
#include "bsd/est/est_csr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TOOL_P7_MAX  (EST_CA_CHAIN_MAX * 8) /* certificates one p7 call takes */
#define TOOL_DAY     86400
#define TOOL_CRL_MAX 1024 /* revoked entries one crl call takes */

static void usage(void)
{
    fprintf(stderr,
            "usage: est-tool issue CA_CERT CA_KEY SPKI_DER_FILE SUBJECT DAYS [dns:N|uri:U|email:E|ip:A ...]\n"
            "       est-tool crl CA_CERT CA_KEY [SERIAL_HEX[:REASON] ...]\n"
            "       est-tool p7 CERT.der...\n"
            "       est-tool info CERT.der\n");
}

static int write_out(const uint8_t *p, size_t n)
{
    return fwrite(p, 1, n, stdout) == n && fflush(stdout) == 0 ? 0 : 1;
}

static est_ca_t *open_ca(const char *cert, const char *key)
{
    char err[EST_ERR_MAX];
    est_signer_t s;
    if (est_signer_file(&s, key, err, sizeof(err)) != 0) {
        fprintf(stderr, "est-tool: %s\n", err);
        return NULL;
    }
    est_ca_t *ca = est_ca_load(cert, &s, err, sizeof(err));
    if (!ca) fprintf(stderr, "est-tool: %s\n", err);
    return ca;
}

/* "dns:x", "uri:x", "email:x", "ip:x" into one SAN entry; |ipbuf| holds an
 * address's octets. */
static int parse_san(const char *arg, est_issue_t *req, uint8_t ipbuf[16])
{
    static const struct {
        const char *prefix;
        int type;
    } kinds[] = {{"dns:", EST_SAN_DNS}, {"uri:", EST_SAN_URI}, {"email:", EST_SAN_EMAIL}};
    if (req->nsan == EST_SAN_MAX) return -1;
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        size_t n = strlen(kinds[i].prefix);
        if (strncmp(arg, kinds[i].prefix, n) == 0) {
            req->san[req->nsan].type = kinds[i].type;
            req->san[req->nsan].val = (const uint8_t *)arg + n;
            req->san[req->nsan++].len = strlen(arg + n);
            return 0;
        }
    }
    if (strncmp(arg, "ip:", 3) != 0) return -1;
    size_t len = 4;
    if (inet_pton(AF_INET, arg + 3, ipbuf) != 1) {
        if (inet_pton(AF_INET6, arg + 3, ipbuf) != 1) return -1;
        len = 16;
    }
    req->san[req->nsan].type = EST_SAN_IP;
    req->san[req->nsan].val = ipbuf;
    req->san[req->nsan++].len = len;
    return 0;
}

static int cmd_issue(int argc, char **argv)
{
    char err[EST_ERR_MAX];
    uint8_t subject[1024], cert[EST_CERT_MAX], ips[EST_SAN_MAX][16];
    est_issue_t req;
    size_t spki_len = 0;
    int rc = 1;
    if (argc < 7) {
        usage();
        return 2;
    }
    memset(&req, 0, sizeof(req));
    int sn = est_name_der(argv[5], subject, sizeof(subject));
    long days = strtol(argv[6], NULL, 10);
    if (sn < 0 || days <= 0 || days > 36500) {
        fprintf(stderr, "est-tool: bad SUBJECT or DAYS\n");
        return 2;
    }
    for (int i = 7; i < argc; i++) {
        if (parse_san(argv[i], &req, ips[req.nsan]) != 0) {
            fprintf(stderr, "est-tool: bad subjectAltName argument %d\n", i - 6);
            return 2;
        }
    }
    uint8_t *spki = est_read_file(argv[4], 4096, &spki_len, err, sizeof(err));
    if (!spki) {
        fprintf(stderr, "est-tool: %s\n", err);
        return 1;
    }
    est_ca_t *ca = open_ca(argv[2], argv[3]);
    if (!ca) goto out;
    if (est_serial_random(req.serial) != 0) goto out;
    req.subject = subject;
    req.subject_len = (size_t)sn;
    req.spki = spki;
    req.spki_len = spki_len;
    req.not_before = (int64_t)time(NULL) - 300; /* some clock skew */
    req.not_after = req.not_before + days * TOOL_DAY;
    long n = est_ca_issue(ca, &req, cert, sizeof(cert), err, sizeof(err));
    if (n < 0)
        fprintf(stderr, "est-tool: %s\n", err);
    else
        rc = write_out(cert, (size_t)n);
out:
    est_ca_free(ca);
    free(spki);
    return rc;
}

/* SERIAL_HEX[:REASON] into |r|, the octets into |buf| (20 bytes). */
static int parse_revoked(const char *arg, est_revoked_t *r, uint8_t *buf, int64_t now)
{
    const char *colon = strchr(arg, ':');
    size_t hex = colon ? (size_t)(colon - arg) : strlen(arg);
    if (hex == 0 || hex % 2 != 0 || hex / 2 > 20) return -1;
    for (size_t i = 0; i < hex / 2; i++) {
        unsigned v;
        if (sscanf(arg + 2 * i, "%2x", &v) != 1) return -1;
        buf[i] = (uint8_t)v;
    }
    r->serial = buf;
    r->serial_len = hex / 2;
    r->revoked_at = now - 3600;
    r->reason = -1;
    if (colon) {
        char *end;
        long v = strtol(colon + 1, &end, 10);
        if (*end || end == colon + 1 || v < 0 || v > 10) return -1;
        r->reason = (int)v;
    }
    return 0;
}

static int cmd_crl(int argc, char **argv)
{
    static est_revoked_t r[TOOL_CRL_MAX];
    static uint8_t serials[TOOL_CRL_MAX][20];
    char err[EST_ERR_MAX];
    int64_t now = (int64_t)time(NULL);
    size_t n = 0;
    uint8_t *crl;
    size_t len;
    if (argc < 4 || argc - 4 > TOOL_CRL_MAX) {
        usage();
        return 2;
    }
    for (int i = 4; i < argc; i++, n++) {
        if (parse_revoked(argv[i], &r[n], serials[n], now) != 0) {
            fprintf(stderr, "est-tool: bad revoked entry %d (SERIAL_HEX[:REASON])\n", i - 3);
            return 2;
        }
    }
    est_ca_t *ca = open_ca(argv[2], argv[3]);
    if (!ca) return 1;
    int rc = 1;
    if (est_ca_crl(ca, r, n, 1, now - 60, now + 7 * TOOL_DAY, &crl, &len, err, sizeof(err)) != 0) {
        fprintf(stderr, "est-tool: %s\n", err);
    } else {
        rc = write_out(crl, len);
        free(crl);
    }
    est_ca_free(ca);
    return rc;
}

static int cmd_p7(int argc, char **argv)
{
    char err[EST_ERR_MAX];
    uint8_t *certs[TOOL_P7_MAX] = {0};
    size_t lens[TOOL_P7_MAX], n = 0, cap = 64;
    int rc = 1;
    if (argc < 3 || argc - 2 > TOOL_P7_MAX) {
        usage();
        return 2;
    }
    for (int i = 2; i < argc; i++, n++) {
        certs[n] = est_read_file(argv[i], EST_CERT_FILE_MAX, &lens[n], err, sizeof(err));
        if (!certs[n]) {
            fprintf(stderr, "est-tool: %s\n", err);
            goto out;
        }
        cap += lens[n];
    }
    uint8_t *out = malloc(cap);
    long len = out ? est_pkcs7_certs((const uint8_t *const *)certs, lens, n, out, cap) : -1;
    if (len < 0)
        fprintf(stderr, "est-tool: cannot encode PKCS#7\n");
    else
        rc = write_out(out, (size_t)len);
    free(out);
out:
    for (size_t i = 0; i < n; i++)
        free(certs[i]);
    return rc;
}

static void hex(const char *name, const uint8_t *p, size_t n)
{
    printf("%s=", name);
    for (size_t i = 0; i < n; i++)
        printf("%02x", p[i]);
    printf("\n");
}

static int cmd_info(int argc, char **argv)
{
    char err[EST_ERR_MAX];
    est_cert_info_t info;
    size_t len;
    if (argc != 3) {
        usage();
        return 2;
    }
    uint8_t *der = est_read_file(argv[2], EST_CERT_FILE_MAX, &len, err, sizeof(err));
    if (!der) {
        fprintf(stderr, "est-tool: %s\n", err);
        return 1;
    }
    int rc = est_cert_info(der, len, &info);
    free(der);
    if (rc != 0) {
        fprintf(stderr, "est-tool: %s: not a certificate we can read\n", argv[2]);
        return 1;
    }
    printf("subject=%s\nnot_before=%lld\nnot_after=%lld\n", info.subject, (long long)info.not_before,
           (long long)info.not_after);
    hex("serial", info.serial, info.serial_len);
    hex("spki_sha256", info.spki_sha256, sizeof(info.spki_sha256));
    hex("fingerprint", info.fingerprint, sizeof(info.fingerprint));
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage();
        return 2;
    }
    if (strcmp(argv[1], "issue") == 0) return cmd_issue(argc, argv);
    if (strcmp(argv[1], "crl") == 0) return cmd_crl(argc, argv);
    if (strcmp(argv[1], "p7") == 0) return cmd_p7(argc, argv);
    if (strcmp(argv[1], "info") == 0) return cmd_info(argc, argv);
    usage();
    return 2;
}
