/*
 * sim_net.c — UDP sockets and the wolfSSL DTLS client of bsd-sim (see
 * sim_net.h). Datagrams are read here in a loop until EAGAIN; handshake
 * and record processing run on the caller's buffer through custom I/O
 * callbacks, so nothing is allocated per datagram.
 */
#include "tools/sim/sim_net.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/hmac.h>

#include "bsd/util/log.h"

/* ---- context ------------------------------------------------------------ */

static int read_all(const char *path, uint8_t **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    size_t cap = 1 << 16, n = 0;
    uint8_t *b = malloc(cap);
    while (b) {
        size_t r = fread(b + n, 1, cap - n, f);
        n += r;
        if (r == 0 || n == cap) break;
    }
    int bad = !b || n == cap || ferror(f);
    fclose(f);
    if (bad) {
        free(b);
        return -1;
    }
    *out = b;
    *len = n;
    return 0;
}

/* SubjectPublicKeyInfo DER of the P-256 private key in PEM file |path|. */
static int spki_from_key(const char *path, uint8_t *out, size_t cap, size_t *len)
{
    uint8_t *pem, der[2048];
    size_t pemlen;
    if (read_all(path, &pem, &pemlen) != 0) return -1;
    int dl = wc_KeyPemToDer(pem, (int)pemlen, der, sizeof(der), NULL);
    free(pem);
    if (dl <= 0) return -1;
    ecc_key k;
    word32 idx = 0;
    int r = wc_ecc_init(&k);
    if (r == 0) r = wc_EccPrivateKeyDecode(der, &idx, &k, (word32)dl);
    if (r == 0) r = wc_EccPublicKeyToDer(&k, out, (word32)cap, 1);
    wc_ecc_free(&k);
    memset(der, 0, sizeof(der));
    if (r <= 0) return -1;
    *len = (size_t)r;
    return 0;
}

/* DER of the first certificate in PEM (or DER) file |path|. */
static int leaf_der(const char *path, uint8_t *out, size_t cap, size_t *len)
{
    uint8_t *b;
    size_t n;
    if (read_all(path, &b, &n) != 0) return -1;
    int r;
    if (n > 0 && b[0] == 0x30) {
        r = n <= cap ? (int)n : -1;
        if (r > 0) memcpy(out, b, n);
    } else {
        r = wc_CertPemToDer(b, (int)n, out, (int)cap, CERT_TYPE);
    }
    free(b);
    if (r <= 0) return -1;
    *len = (size_t)r;
    return 0;
}

/* A pinned server RPK: DER SubjectPublicKeyInfo, or a PEM public key. */
static int load_pin(const char *path, uint8_t *out, size_t cap, size_t *len)
{
    uint8_t *b;
    size_t n;
    if (read_all(path, &b, &n) != 0) return -1;
    int r = -1;
    if (n > 0 && b[0] == 0x30 && n <= cap) {
        memcpy(out, b, n);
        r = (int)n;
    } else if (n > 0) {
        r = wc_PubKeyPemToDer(b, (int)n, out, (word32)cap);
    }
    free(b);
    if (r <= 0) return -1;
    *len = (size_t)r;
    return 0;
}

static unsigned int psk_cb(WOLFSSL *ssl, const char *hint, char *identity, unsigned int id_max,
                           unsigned char *key, unsigned int key_max)
{
    (void)hint;
    sim_conn_t *c = wolfSSL_get_ex_data(ssl, 0);
    if (!c) return 0;
    const sim_cfg_t *cfg = c->dev->cfg;
    const char *id = cfg->psk_identity_ep ? c->dev->ep : cfg->psk_identity;
    size_t n = strlen(id);
    if (n > id_max || n > SIM_PSK_ID_MAX || cfg->psk_key_len > key_max) return 0;
    memcpy(identity, id, n);
    identity[n] = 0; /* wolfSSL's buffer holds id_max + 1 bytes */
    return (unsigned int)sim_device_psk(cfg, c->dev->ep, key);
}

size_t sim_device_psk(const sim_cfg_t *c, const char *ep, uint8_t *out)
{
    if (!c->psk_key_per_device) {
        memcpy(out, c->psk_key, c->psk_key_len);
        return c->psk_key_len;
    }
    /* Distinct keys for a load run against a store that refuses shared ones. */
    Hmac h;
    uint8_t mac[WC_SHA256_DIGEST_SIZE];
    if (wc_HmacInit(&h, NULL, INVALID_DEVID) != 0 ||
        wc_HmacSetKey(&h, WC_SHA256, c->psk_key, (word32)c->psk_key_len) ||
        wc_HmacUpdate(&h, (const byte *)ep, (word32)strlen(ep)) || wc_HmacFinal(&h, mac))
        memset(mac, 0, sizeof(mac));
    wc_HmacFree(&h);
    size_t n = c->psk_key_len < sizeof(mac) ? c->psk_key_len : sizeof(mac);
    memcpy(out, mac, n);
    return n;
}

/* RPK mode with --server-spki: the server's raw key must be the pinned one. */
static int verify_pin(int preverify, WOLFSSL_X509_STORE_CTX *store)
{
    (void)preverify;
    const sim_conn_t *c = store ? store->userCtx : NULL;
    if (!c || !store->certs || store->totalCerts < 1) return 0;
    return store->certs[0].length == c->tls->pin_len &&
           memcmp(store->certs[0].buffer, c->tls->pin, c->tls->pin_len) == 0;
}

int sim_tls_init(sim_tls_t *t, sim_cfg_t *cfg, char *err, size_t cap)
{
    memset(t, 0, sizeof(*t));
    if (cfg->sec == SIM_SEC_NOSEC) return 0;
    t->ctx = wolfSSL_CTX_new(wolfDTLSv1_2_client_method());
    if (!t->ctx) return snprintf(err, cap, "wolfSSL_CTX_new failed"), -1;
    const char *suites = cfg->ciphers              ? cfg->ciphers
                         : cfg->sec == SIM_SEC_PSK ? SIM_PSK_SUITES
                                                   : SIM_ECDSA_SUITES;
    if (wolfSSL_CTX_set_cipher_list(t->ctx, suites) != WOLFSSL_SUCCESS) {
        snprintf(err, cap, "cipher list not usable: %s", suites);
        goto fail;
    }
    wolfSSL_CTX_UseSupportedCurve(t->ctx, WOLFSSL_ECC_SECP256R1);
    wolfSSL_CTX_SetMinEccKey_Sz(t->ctx, 256);
    wolfSSL_CTX_set_verify(t->ctx, WOLFSSL_VERIFY_NONE, NULL);
    if (cfg->sec == SIM_SEC_PSK) {
        wolfSSL_CTX_set_psk_client_callback(t->ctx, psk_cb);
    } else if (cfg->sec == SIM_SEC_RPK) {
        char rpk[1] = {WOLFSSL_CERT_TYPE_RPK};
        if (spki_from_key(cfg->rpk_key, cfg->cred, sizeof(cfg->cred), &cfg->cred_len) != 0) {
            snprintf(err, cap, "%s: not a PEM P-256 private key", cfg->rpk_key);
            goto fail;
        }
        if (wolfSSL_CTX_set_client_cert_type(t->ctx, rpk, 1) != WOLFSSL_SUCCESS ||
            wolfSSL_CTX_set_server_cert_type(t->ctx, rpk, 1) != WOLFSSL_SUCCESS ||
            wolfSSL_CTX_use_certificate_buffer(t->ctx, cfg->cred, (long)cfg->cred_len,
                                               WOLFSSL_FILETYPE_ASN1) != WOLFSSL_SUCCESS ||
            wolfSSL_CTX_use_PrivateKey_file(t->ctx, cfg->rpk_key, WOLFSSL_FILETYPE_PEM) != WOLFSSL_SUCCESS) {
            snprintf(err, cap, "%s: cannot set up the raw public key", cfg->rpk_key);
            goto fail;
        }
        if (cfg->server_spki) {
            if (load_pin(cfg->server_spki, t->pin, sizeof(t->pin), &t->pin_len) != 0) {
                snprintf(err, cap, "%s: not a public key (DER SPKI or PEM)", cfg->server_spki);
                goto fail;
            }
            wolfSSL_CTX_set_verify(t->ctx, WOLFSSL_VERIFY_PEER, verify_pin);
        }
    } else {
        if (leaf_der(cfg->cert, cfg->cred, sizeof(cfg->cred), &cfg->cred_len) != 0 ||
            wolfSSL_CTX_use_certificate_chain_file(t->ctx, cfg->cert) != WOLFSSL_SUCCESS) {
            snprintf(err, cap, "%s: cannot load the certificate", cfg->cert);
            goto fail;
        }
        if (wolfSSL_CTX_use_PrivateKey_file(t->ctx, cfg->key, WOLFSSL_FILETYPE_PEM) != WOLFSSL_SUCCESS) {
            snprintf(err, cap, "%s: cannot load the private key", cfg->key);
            goto fail;
        }
        if (cfg->ca) {
            if (wolfSSL_CTX_load_verify_locations(t->ctx, cfg->ca, NULL) != WOLFSSL_SUCCESS) {
                snprintf(err, cap, "%s: cannot load trust anchors", cfg->ca);
                goto fail;
            }
            wolfSSL_CTX_set_verify(t->ctx, WOLFSSL_VERIFY_PEER, NULL);
        }
    }
    return 0;
fail:
    sim_tls_free(t);
    return -1;
}

void sim_tls_free(sim_tls_t *t)
{
    if (t->ctx) wolfSSL_CTX_free(t->ctx);
    t->ctx = NULL;
}

/* ---- custom I/O ---------------------------------------------------------- */

static int io_recv(WOLFSSL *ssl, char *buf, int sz, void *ctx)
{
    (void)ssl;
    sim_conn_t *c = ctx;
    if (!c->in) return WOLFSSL_CBIO_ERR_WANT_READ;
    size_t n = c->inlen < (size_t)sz ? c->inlen : (size_t)sz;
    memcpy(buf, c->in, n);
    c->in = NULL;
    c->inlen = 0;
    return (int)n;
}

static int io_send(WOLFSSL *ssl, char *buf, int sz, void *ctx)
{
    (void)ssl;
    sim_conn_t *c = ctx;
    if (send(c->fd, buf, (size_t)sz, 0) < 0 && errno != EAGAIN && errno != ECONNREFUSED && errno != ENOBUFS)
        return WOLFSSL_CBIO_ERR_GENERAL;
    return sz; /* a dropped datagram is a loss: retransmission recovers */
}

int sim_conn_tx(sim_dev_t *d, const uint8_t *msg, size_t len)
{
    sim_conn_t *c = d->tx_ctx;
    if (!c || c->fd < 0) return -1;
    if (c->ssl) return c->hs_done && wolfSSL_write(c->ssl, msg, (int)len) == (int)len ? 0 : -1;
    if (send(c->fd, msg, len, 0) < 0 && errno != EAGAIN && errno != ECONNREFUSED) return -1;
    return 0;
}

/* ---- connection ---------------------------------------------------------- */

int sim_conn_open(sim_conn_t *c, const sim_tls_t *tls, char *err, size_t cap)
{
    const sim_cfg_t *cfg = c->dev->cfg;
    c->tls = tls;
    c->ssl = NULL;
    c->in = NULL;
    c->hs_done = 0;
    c->dtls_deadline_us = 0;
    c->icmp_errors = 0;
    c->fd = socket(cfg->addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) return snprintf(err, cap, "socket: %s", strerror(errno)), -1;
    if (connect(c->fd, (const struct sockaddr *)&cfg->addr, cfg->addrlen) != 0) {
        snprintf(err, cap, "connect: %s", strerror(errno));
        goto fail;
    }
    if (tls->ctx) {
        c->ssl = wolfSSL_new(tls->ctx);
        if (!c->ssl) {
            snprintf(err, cap, "wolfSSL_new failed");
            goto fail;
        }
        wolfSSL_dtls_set_using_nonblock(c->ssl, 1);
        wolfSSL_dtls_set_mtu(c->ssl, SIM_DTLS_MTU);
        wolfSSL_SSLSetIORecv(c->ssl, io_recv);
        wolfSSL_SSLSetIOSend(c->ssl, io_send);
        wolfSSL_SetIOReadCtx(c->ssl, c);
        wolfSSL_SetIOWriteCtx(c->ssl, c);
        wolfSSL_set_ex_data(c->ssl, 0, c);
        wolfSSL_SetCertCbCtx(c->ssl, c);
    }
    return c->fd;
fail:
    close(c->fd);
    c->fd = -1;
    return -1;
}

static void hs_failed(sim_conn_t *c, int err, uint64_t now_us)
{
    char eb[80], why[160];
    WOLFSSL_ALERT_HISTORY h;
    memset(&h, 0, sizeof(h));
    wolfSSL_ERR_error_string_n((unsigned long)err, eb, sizeof(eb));
    wolfSSL_get_alert_history(c->ssl, &h);
    if (h.last_rx.code > 0)
        snprintf(why, sizeof(why), "alert=%d error=%d %s", h.last_rx.code, err, eb);
    else
        snprintf(why, sizeof(why), "error=%d %s", err, eb);
    sim_dev_end(c->dev, SIM_OUT_HANDSHAKE_FAILED, why, now_us);
}

/* Drives the handshake; on completion hands over to the device. */
static void handshake(sim_conn_t *c, uint64_t now_us)
{
    int r = wolfSSL_connect(c->ssl);
    if (r == WOLFSSL_SUCCESS) {
        c->hs_done = 1;
        c->dtls_deadline_us = 0;
        log_msg(BSD_LOG_DEBUG, "sim.dtls.connected", "ep=%s cipher=%s", c->dev->ep,
                wolfSSL_get_cipher(c->ssl));
        sim_dev_begin(c->dev, now_us);
        return;
    }
    int e = wolfSSL_get_error(c->ssl, r);
    if (e != WOLFSSL_ERROR_WANT_READ && e != WOLFSSL_ERROR_WANT_WRITE) {
        hs_failed(c, e, now_us);
        return;
    }
    int t = wolfSSL_dtls_get_current_timeout(c->ssl);
    c->dtls_deadline_us = now_us + (uint64_t)(t > 0 ? t : 1) * 1000000u;
}

void sim_conn_start(sim_conn_t *c, uint64_t now_us)
{
    if (!c->ssl) {
        c->hs_done = 1;
        sim_dev_begin(c->dev, now_us);
        return;
    }
    c->dev->state = SIM_S_HANDSHAKE;
    handshake(c, now_us);
}

static void dtls_input(sim_conn_t *c, const uint8_t *dg, size_t len, uint64_t now_us)
{
    c->in = dg;
    c->inlen = len;
    if (!c->hs_done) {
        handshake(c, now_us);
        if (!c->hs_done || c->dev->outcome != SIM_OUT_RUNNING) {
            c->in = NULL;
            return;
        }
    }
    uint8_t *plain = c->dev->work->plain;
    for (;;) {
        int n = wolfSSL_read(c->ssl, plain, (int)sizeof(c->dev->work->plain));
        if (n > 0) {
            sim_dev_input(c->dev, plain, (size_t)n, now_us);
            continue;
        }
        int e = wolfSSL_get_error(c->ssl, n);
        if (e == WOLFSSL_ERROR_ZERO_RETURN)
            sim_dev_end(c->dev, SIM_OUT_CLOSED, "close_notify", now_us);
        else if (e != WOLFSSL_ERROR_WANT_READ && e != WOLFSSL_ERROR_WANT_WRITE)
            sim_dev_end(c->dev, SIM_OUT_CLOSED, "dtls-error", now_us);
        break;
    }
    c->in = NULL;
}

void sim_conn_readable(sim_conn_t *c, uint8_t *buf, size_t cap)
{
    while (c->fd >= 0) {
        ssize_t n = recv(c->fd, buf, cap, 0);
        uint64_t now_us = sim_now_us(); /* per datagram: latencies of a few µs matter */
        if (n < 0) {
            if (errno == ECONNREFUSED) {
                c->icmp_errors++;
                continue;
            }
            return; /* EAGAIN (or a transient error) */
        }
        if (c->ssl)
            dtls_input(c, buf, (size_t)n, now_us);
        else
            sim_dev_input(c->dev, buf, (size_t)n, now_us);
    }
}

void sim_conn_timer(sim_conn_t *c, uint64_t now_us)
{
    if (!c->ssl || c->hs_done || !c->dtls_deadline_us || now_us < c->dtls_deadline_us) return;
    if (c->dev->outcome != SIM_OUT_RUNNING) return;
    /* RFC 6347 §4.2.4: resend the last flight, with back-off. */
    if (wolfSSL_dtls_got_timeout(c->ssl) != WOLFSSL_SUCCESS) {
        int e = wolfSSL_get_error(c->ssl, 0);
        if (e != WOLFSSL_ERROR_WANT_READ && e != WOLFSSL_ERROR_WANT_WRITE) {
            sim_dev_end(c->dev, SIM_OUT_HANDSHAKE_TIMEOUT, "dtls retransmissions exhausted", now_us);
            return;
        }
    }
    int t = wolfSSL_dtls_get_current_timeout(c->ssl);
    c->dtls_deadline_us = now_us + (uint64_t)(t > 0 ? t : 1) * 1000000u;
}

void sim_conn_close(sim_conn_t *c, int notify)
{
    if (c->fd >= 0 && c->hs_done && c->tls && c->tls->after_finish &&
        (c->dev->outcome == SIM_OUT_FINISHED || c->dev->outcome == SIM_OUT_BSPACK_FINISHED))
        c->tls->after_finish(c, c->tls->after_arg);
    if (c->ssl) {
        if (c->hs_done && notify)
            wolfSSL_shutdown(c->ssl); /* close_notify: the server frees the session at once */
        wolfSSL_free(c->ssl);
        c->ssl = NULL;
    }
    if (c->fd >= 0) close(c->fd);
    c->fd = -1;
}
