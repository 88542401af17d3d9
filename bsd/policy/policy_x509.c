/*
 * policy_x509.c — x509 accounts whose key pair this server generates and
 * whose certificate this server's EST CA issues (`client_key: generate` +
 * `client_certificate: issue`, docs/POLICY.md), for devices that cannot
 * enroll over EST themselves.
 *
 * Compilation is pure, so it cannot issue: the daemon's generation loader
 * (bsd/dbload.c) asks policy_x509_issue_keys() what to certify, issues and
 * records the certificates, and hands them back in policy_device_t.certs;
 * policy_compile() (policy_compile.c) derives the same key pair again and
 * writes it with that certificate. The derivation is the one of generated
 * raw public keys (policy_creds.c) under its own purpose, so the key, and
 * with it the certificate, only changes with the endpoint, the SSID or the
 * account's `rotation`.
 */
#include <stdio.h>
#include <string.h>

#include "bsd/policy/policy_int.h"

_Static_assert(POLICY_X509_SPKI_LEN == POL_SPKI_P256_LEN, "the public half is a P-256 SubjectPublicKeyInfo");

const policy_device_cert_t *pol_dev_cert(const policy_device_t *dev, uint16_t ssid)
{
    for (size_t i = 0; dev->certs && i < dev->ncerts; i++)
        if (dev->certs[i].ssid == ssid) return &dev->certs[i];
    return NULL;
}

size_t policy_x509_issue_count(const policy_t *p)
{
    size_t n = 0;
    for (size_t i = 0; p && i < p->nservers; i++)
        n += p->servers[i].cert_issue;
    return n;
}

int policy_x509_issue_keys(const policy_t *p, const policy_device_t *dev, const policy_ctx_t *ctx,
                           policy_x509_issue_t *out, size_t cap, char *err, size_t errcap)
{
    if (err && errcap) err[0] = 0;
    if (!p || !dev || !ctx || !dev->endpoint || (!out && cap) || strlen(dev->endpoint) > 1024 ||
        !pol_utf8_ok(dev->endpoint, strlen(dev->endpoint)))
        return pol_efail(p, err, errcap, POLICY_ERR_ARG,
                         "missing argument, or an endpoint that is not UTF-8");
    size_t n = 0;
    for (size_t i = 0; i < p->nservers; i++) {
        const pol_server_t *sv = &p->servers[i];
        if (!sv->cert_issue) continue;
        if (n >= cap)
            return pol_efail(p, err, errcap, POLICY_ERR_NOSPACE, "more than %zu issued certificates", cap);
        policy_x509_issue_t *o = &out[n];
        memset(o, 0, sizeof *o);
        o->ssid = sv->ssid;
        /* The subject and names are the same for every account: the
         * device's, as its EST enrollment would carry them. */
        int r = pol_est_expand(p, dev, &o->est, err, errcap);
        if (r < 0) return r;
        uint8_t pkcs8[POL_PKCS8_P256_LEN];
        r = pol_derive_p256(ctx->key, POL_PURPOSE_X509, dev->endpoint, sv->ssid, sv->rotation, o->spki,
                            pkcs8);
        pol_wipe(pkcs8, sizeof pkcs8);
        if (r != 0) return pol_efail(p, err, errcap, r, "ssid %u: key derivation failed", sv->ssid);
        n++;
    }
    return (int)n;
}
