/*
 * sim_est.c — the EST-coaps client of bsd-sim (RFC 9148; see sim_est.h).
 * It runs blocking on one device's connection after the event loop is
 * done with it (sim_conn_close() calls the hook), or on a session of its
 * own for --est-only: CON requests with RFC 7252 retransmission, Block1
 * for the CSR, Block2 for answers, 5.03 + Max-Age waits (RFC 9148 §4.7).
 * Keys and CSRs come from wolfCrypt. The DER walks are sim_est_der.c.
 */
#include "tools/sim/sim_est.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <wolfssl/wolfcrypt/asn.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/random.h>

#include "bsd/coap/coap_block.h"
#include "bsd/coap/coap_xmit.h"

#define US_PER_MS   1000u
#define PEM_MAX     (SIM_EST_CERT_MAX * 2)
#define KEY_DER_MAX 256
#define DIAG_MAX    80
#define EST_SUITES  "ECDHE-ECDSA-AES128-CCM-8:ECDHE-ECDSA-AES128-GCM-SHA256"
#define SZX_DEFAULT 6 /* 1024-byte blocks unless --est-block */

/* One certificate we hold. */
typedef struct est_cert {
    uint8_t der[SIM_EST_CERT_MAX];
    size_t len;
} est_cert_t;

/* The state of one EST run on one connection. */
typedef struct est {
    sim_conn_t *c;
    sim_est_cfg_t *e;
    const char *ep;
    WC_RNG rng;
    int rng_ok;
    uint8_t rx[SIM_DGRAM_MAX];    /* raw datagram */
    uint8_t plain[SIM_DGRAM_MAX]; /* decrypted datagram */
    uint8_t req[SIM_EST_CSR_MAX + 256];
    uint8_t body[SIM_EST_BODY_MAX]; /* the answer's payload, reassembled */
    size_t body_len;
    uint8_t code;                     /* the answer's code */
    uint32_t cf;                      /* its Content-Format, UINT32_MAX when absent */
    est_cert_t ca[SIM_EST_MAX_CERTS]; /* the crts chain */
    size_t nca;
    est_cert_t cert; /* the latest certificate issued to us */
    ecc_key key;     /* the key it certifies */
    int have_key;
} est_t;

/* ---- output ------------------------------------------------------------ */

static void step_failed(est_t *t, const char *step, const char *why)
{
    printf("est %s failed %s\n", step, why);
    fflush(stdout);
    t->e->failures++;
}

static void hex(const uint8_t *b, size_t n, char *out, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k + 3 <= cap; i++)
        k += (size_t)snprintf(out + k, cap - k, "%02x", b[i]);
    if (cap) out[k < cap ? k : cap - 1] = 0;
}

/* Writes |len| bytes to DIR/|name| with |mode| (also when the file exists). */
static int write_file(est_t *t, const char *name, const uint8_t *b, size_t len, mode_t mode)
{
    char path[4096];
    int n = snprintf(path, sizeof(path), "%s/%s", t->e->out_dir, name);
    if (n < 0 || (size_t)n >= sizeof(path)) return -1;
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0) {
        fprintf(stderr, "bsd-sim: %s: %s\n", path, strerror(errno));
        return -1;
    }
    int ok = fchmod(fd, mode) == 0;
    for (size_t off = 0; ok && off < len;) {
        ssize_t w = write(fd, b + off, len - off);
        if (w <= 0)
            ok = 0;
        else
            off += (size_t)w;
    }
    if (close(fd) != 0) ok = 0;
    if (!ok) fprintf(stderr, "bsd-sim: %s: write failed\n", path);
    return ok ? 0 : -1;
}

/* Writes a certificate as DIR/<ep><suffix>.crt.pem (and .crt.der). */
static int write_cert(est_t *t, const char *suffix, const est_cert_t *c)
{
    if (!t->e->out_dir) return 0;
    uint8_t pem[PEM_MAX];
    char name[SIM_EP_MAX + 32];
    int pl = wc_DerToPem(c->der, (word32)c->len, pem, sizeof(pem), CERT_TYPE);
    if (pl <= 0) return -1;
    snprintf(name, sizeof(name), "%s%s.crt.pem", t->ep, suffix);
    if (write_file(t, name, pem, (size_t)pl, 0644) != 0) return -1;
    snprintf(name, sizeof(name), "%s%s.crt.der", t->ep, suffix);
    return write_file(t, name, c->der, c->len, 0644);
}

/* Writes the private key (SEC1 PEM) as DIR/<ep><suffix>.key.pem, mode 0600. */
static int write_key(est_t *t, const char *suffix)
{
    if (!t->e->out_dir) return 0;
    uint8_t der[KEY_DER_MAX], pem[KEY_DER_MAX * 2];
    char name[SIM_EP_MAX + 32];
    int dl = wc_EccKeyToDer(&t->key, der, sizeof(der));
    int pl = dl > 0 ? wc_DerToPem(der, (word32)dl, pem, sizeof(pem), ECC_PRIVATEKEY_TYPE) : -1;
    int r = -1;
    snprintf(name, sizeof(name), "%s%s.key.pem", t->ep, suffix);
    if (pl > 0) r = write_file(t, name, pem, (size_t)pl, 0600);
    explicit_bzero(der, sizeof(der));
    explicit_bzero(pem, sizeof(pem));
    return r;
}

/* ---- transport ------------------------------------------------------------ */

static int send_msg(est_t *t, const uint8_t *m, size_t len)
{
    return t->c->dev->tx(t->c->dev, m, len);
}

/*
 * Waits until |deadline_us| for one plaintext datagram in t->plain.
 * Returns its length, 0 at the deadline, -1 when the session ended, -2
 * when nobody listens (ICMP port unreachable).
 */
static int recv_plain(est_t *t, uint64_t deadline_us)
{
    sim_conn_t *c = t->c;
    for (;;) {
        if (c->ssl) {
            int n = wolfSSL_read(c->ssl, t->plain, (int)sizeof(t->plain));
            c->in = NULL;
            if (n > 0) return n;
            int err = wolfSSL_get_error(c->ssl, n);
            if (err != WOLFSSL_ERROR_WANT_READ && err != WOLFSSL_ERROR_WANT_WRITE) return -1;
        }
        uint64_t now = sim_now_us();
        if (now >= deadline_us) return 0;
        uint64_t ms = (deadline_us - now + US_PER_MS - 1) / US_PER_MS;
        struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
        int pr = poll(&pfd, 1, ms > 1000 ? 1000 : (int)ms);
        if (pr < 0 && errno != EINTR) return -1;
        if (pr <= 0) continue;
        ssize_t n = recv(c->fd, t->rx, sizeof(t->rx), 0);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) continue;
            return errno == ECONNREFUSED ? -2 : -1; /* -2: ICMP port unreachable */
        }
        if (!c->ssl) {
            memcpy(t->plain, t->rx, (size_t)n);
            return (int)n;
        }
        c->in = t->rx;
        c->inlen = (size_t)n;
    }
}

/* Drives a DTLS handshake on |c| to completion (blocking). Returns 0, or
 * -1 with a reason in |why|. */
static int handshake(sim_conn_t *c, uint8_t *rx, size_t cap, char *why, size_t whycap)
{
    uint64_t limit = sim_now_us() + SIM_EST_HS_MAX_US;
    for (;;) {
        int r = wolfSSL_connect(c->ssl);
        c->in = NULL;
        if (r == WOLFSSL_SUCCESS) {
            c->hs_done = 1;
            return 0;
        }
        int err = wolfSSL_get_error(c->ssl, r);
        if (err != WOLFSSL_ERROR_WANT_READ && err != WOLFSSL_ERROR_WANT_WRITE) {
            char eb[80];
            WOLFSSL_ALERT_HISTORY h;
            memset(&h, 0, sizeof(h));
            wolfSSL_get_alert_history(c->ssl, &h);
            wolfSSL_ERR_error_string_n((unsigned long)err, eb, sizeof(eb));
            snprintf(why, whycap, "alert=%d error=%d %s", h.last_rx.code, err, eb);
            return -1;
        }
        for (;;) {
            if (sim_now_us() >= limit) return snprintf(why, whycap, "handshake timeout"), -1;
            int to = wolfSSL_dtls_get_current_timeout(c->ssl);
            struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
            int pr = poll(&pfd, 1, (to > 0 ? to : 1) * 1000);
            if (pr < 0 && errno == EINTR) continue;
            if (pr > 0) {
                ssize_t n = recv(c->fd, rx, cap, 0);
                if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
                if (n < 0) return snprintf(why, whycap, "recv: %s", strerror(errno)), -1;
                c->in = rx;
                c->inlen = (size_t)n;
                break;
            }
            /* RFC 6347 §4.2.4: resend the last flight. */
            if (wolfSSL_dtls_got_timeout(c->ssl) != WOLFSSL_SUCCESS) {
                int e = wolfSSL_get_error(c->ssl, 0);
                if (e != WOLFSSL_ERROR_WANT_READ && e != WOLFSSL_ERROR_WANT_WRITE)
                    return snprintf(why, whycap, "handshake retransmissions exhausted"), -1;
            }
        }
    }
}

/*
 * One CON exchange (NSTART 1): sends t->req[0..len), retransmits, and
 * leaves the parsed answer in |*m| (pointing into t->plain). Requests the
 * server sends meanwhile (a retransmitted Finish) go to the device, which
 * answers duplicates from its cache. Returns 0, or -1 with |why| set.
 */
static int exchange(est_t *t, size_t len, coap_msg_t *m, char *why, size_t whycap)
{
    coap_xmit_t x;
    uint32_t rnd;
    if (wc_RNG_GenerateBlock(&t->rng, (byte *)&rnd, sizeof(rnd)) != 0) rnd = 0;
    if (coap_xmit_init(&x, t->req, len) != 0) return snprintf(why, whycap, "request-build"), -1;
    coap_xmit_start(&x, sim_now_us() / US_PER_MS, rnd);
    if (send_msg(t, t->req, len) != 0) return snprintf(why, whycap, "send"), -1;
    for (;;) {
        uint64_t dl = coap_xmit_next_deadline(&x);
        int n = recv_plain(t, dl == COAP_XMIT_NO_DEADLINE ? sim_now_us() : dl * US_PER_MS);
        if (n < 0) return snprintf(why, whycap, n == -2 ? "port unreachable" : "session closed"), -1;
        if (n == 0) {
            int r = coap_xmit_timer(&x, sim_now_us() / US_PER_MS);
            if (r == COAP_XMIT_RETRANSMIT) send_msg(t, t->req, len);
            if (r == COAP_XMIT_TIMEOUT) return snprintf(why, whycap, "timeout"), -1;
            continue;
        }
        int pr = coap_parse(m, t->plain, (size_t)n);
        if (pr == COAP_ERR_FORMAT) continue;
        if (coap_msg_is_request(m)) {
            sim_dev_input(t->c->dev, t->plain, (size_t)n, sim_now_us());
            continue;
        }
        uint8_t e[4];
        switch (coap_xmit_on_message(&x, m)) {
        case COAP_XMIT_RESPONSE:
            if (m->type == COAP_TYPE_CON && coap_build_empty(e, sizeof(e), COAP_TYPE_ACK, m->mid) == 4)
                send_msg(t, e, 4);
            return pr == 0 ? 0 : (snprintf(why, whycap, "bad options in answer"), -1);
        case COAP_XMIT_RESET: return snprintf(why, whycap, "reset"), -1;
        case COAP_XMIT_NOMATCH:
            /* A stale separate response: ACK it again (RFC 7252 §4.2). */
            if (m->type == COAP_TYPE_CON && coap_build_empty(e, sizeof(e), COAP_TYPE_ACK, m->mid) == 4)
                send_msg(t, e, 4);
            break;
        default: break;
        }
    }
}

/* What to ask. */
typedef struct est_req {
    const char *step; /* "crts", "sen", "sren" */
    uint8_t method;
    const uint8_t *body; /* CSR or NULL */
    size_t len;
} est_req_t;

/* Builds one request into t->req: the path, Content-Format with a body,
 * Accept, the Block options and a payload slice. Returns the length or -1. */
static int build(est_t *t, const est_req_t *q, const coap_block_t *b2, const coap_block_t *b1,
                 const uint8_t *pl, size_t plen, size_t size1)
{
    coap_builder_t b;
    uint8_t tok[COAP_MAX_TKL];
    uint8_t tkl = coap_token_next(&t->c->dev->tokgen, tok);
    coap_build_init(&b, t->req, sizeof(t->req), COAP_TYPE_CON, q->method, coap_mid_next(&t->c->dev->midgen),
                    tok, tkl);
    coap_build_uri_path(&b, t->e->root);
    coap_build_opt_str(&b, COAP_OPT_URI_PATH, q->step);
    if (pl) coap_build_opt_uint(&b, COAP_OPT_CONTENT_FORMAT, COAP_CF_PKCS10); /* not on Block2 follow-ups */
    coap_build_opt_uint(&b, COAP_OPT_ACCEPT, t->e->accept);
    if (b2) coap_build_opt_uint(&b, COAP_OPT_BLOCK2, coap_block_encode(b2));
    if (b1) coap_build_opt_uint(&b, COAP_OPT_BLOCK1, coap_block_encode(b1));
    if (size1) coap_build_opt_uint(&b, COAP_OPT_SIZE1, (uint32_t)size1);
    if (pl) coap_build_payload(&b, pl, plen);
    return coap_build_finish(&b);
}

/*
 * Runs request |q| to its final answer: the body in Block1 blocks when it
 * does not fit one block, the answer's Block2 blocks fetched, and on 5.03
 * the identical request sent again after Max-Age (RFC 9148 §4.7), at most
 * SIM_EST_RETRIES times. Fills t->code, t->cf and t->body. Returns 0 (any
 * code) or -1 with |why| set (no usable answer).
 */
static int request(est_t *t, const est_req_t *q, char *why, size_t whycap)
{
    int forced = t->e->szx >= 0;
    uint8_t szx = (uint8_t)(forced ? t->e->szx : SZX_DEFAULT);
    coap_msg_t m;
    for (unsigned attempt = 0;; attempt++) {
        coap_block2_rx_t b2;
        coap_block_t first, next, blk;
        coap_block2_rx_init(&b2, t->body, sizeof(t->body), szx);
        coap_block2_rx_first(&b2, &first);
        /* Early Block2 negotiation (RFC 7959 §2.4) only when asked for. */
        const coap_block_t *want = forced ? &first : NULL;
        int n;
        if (q->body && q->len > coap_block_size(szx)) {
            coap_block1_tx_t tx;
            coap_block1_tx_init(&tx, q->body, q->len, coap_block_size(szx), NULL, 0);
            for (;;) {
                const uint8_t *pl;
                size_t plen;
                if (coap_block1_tx_next(&tx, &blk, &pl, &plen) != 0)
                    return snprintf(why, whycap, "block1-range"), -1;
                n = build(t, q, blk.more ? NULL : want, &blk, pl, plen, blk.num == 0 ? q->len : 0);
                if (n < 0 || exchange(t, (size_t)n, &m, why, whycap) != 0)
                    return n < 0 ? (snprintf(why, whycap, "request-build"), -1) : -1;
                int r = coap_block1_tx_on_response(&tx, &m);
                if (r == COAP_B1TX_DONE) break;
                if (r < 0)
                    return snprintf(why, whycap, "block1 answer code=%u.%02u", m.code >> 5, m.code & 31u), -1;
            }
        } else {
            n = build(t, q, want, NULL, q->body, q->len, 0);
            if (n < 0) return snprintf(why, whycap, "request-build"), -1;
            if (exchange(t, (size_t)n, &m, why, whycap) != 0) return -1;
        }
        if (m.code == COAP_SERVICE_UNAVAILABLE && attempt < SIM_EST_RETRIES) {
            uint32_t age = 60; /* RFC 7252 §5.10.5 default */
            coap_opt_uint(coap_opt_get(&m, COAP_OPT_MAX_AGE), &age);
            if (age > SIM_EST_WAIT_MAX_S) age = SIM_EST_WAIT_MAX_S;
            printf("est %s wait code=5.03 max_age=%u attempt=%u\n", q->step, (unsigned)age, attempt + 1);
            fflush(stdout);
            uint64_t until = sim_now_us() + (uint64_t)age * 1000000u;
            while (sim_now_us() < until) {
                int r = recv_plain(t, until);
                if (r < 0) return snprintf(why, whycap, "session closed"), -1;
                if (r > 0 && coap_parse(&m, t->plain, (size_t)r) == 0 && coap_msg_is_request(&m))
                    sim_dev_input(t->c->dev, t->plain, (size_t)r, sim_now_us());
            }
            continue;
        }
        t->code = m.code;
        t->cf = UINT32_MAX;
        coap_opt_uint(coap_opt_get(&m, COAP_OPT_CONTENT_FORMAT), &t->cf);
        for (;;) {
            int r = coap_block2_rx_feed(&b2, &m, &next);
            if (r == COAP_B2_COMPLETE) break;
            if (r < 0) return snprintf(why, whycap, "block2 %s", coap_strerror(r)), -1;
            n = build(t, q, &next, NULL, NULL, 0, 0);
            if (n < 0) return snprintf(why, whycap, "request-build"), -1;
            if (exchange(t, (size_t)n, &m, why, whycap) != 0) return -1;
            if (m.code != t->code) return snprintf(why, whycap, "block2 code changed"), -1;
        }
        t->body_len = b2.len;
        return 0;
    }
}

/* "code=4.03" plus a printable diagnostic payload, for a failed step. */
static void answer_failed(est_t *t, const char *step)
{
    char why[DIAG_MAX + 48], diag[DIAG_MAX + 1];
    size_t k = 0;
    for (size_t i = 0; i < t->body_len && k < DIAG_MAX; i++)
        diag[k++] = t->body[i] >= 0x20 && t->body[i] < 0x7f && t->body[i] != '"' ? (char)t->body[i] : '.';
    diag[k] = 0;
    if (k)
        snprintf(why, sizeof(why), "code=%u.%02u diag=\"%s\"", t->code >> 5, t->code & 31u, diag);
    else
        snprintf(why, sizeof(why), "code=%u.%02u", t->code >> 5, t->code & 31u);
    step_failed(t, step, why);
}

/*
 * The certificates of the answer in t->body by its Content-Format (281:
 * PKCS#7 certs-only, 287: one certificate). Returns how many went into
 * |out|, or -1 with |why| set.
 */
static int answer_certs(est_t *t, est_cert_t *out, size_t max, char *why, size_t whycap)
{
    sim_est_span_t sp[SIM_EST_MAX_CERTS];
    size_t n = 0;
    if (t->cf != t->e->accept) {
        if (t->cf == UINT32_MAX) return snprintf(why, whycap, "no content-format"), -1;
        return snprintf(why, whycap, "cf=%u (asked %u)", (unsigned)t->cf, t->e->accept), -1;
    }
    if (t->cf == COAP_CF_PKCS7_CERTS) {
        int r =
            sim_est_p7_certs(t->body, t->body_len, sp, max < SIM_EST_MAX_CERTS ? max : SIM_EST_MAX_CERTS, &n);
        if (r != 0) return snprintf(why, whycap, "bad pkcs7 err=%d len=%zu", r, t->body_len), -1;
    } else {
        sp[0].p = t->body, sp[0].len = t->body_len, n = 1;
    }
    for (size_t i = 0; i < n; i++) {
        if (sim_est_cert_fields(sp[i].p, sp[i].len, NULL, NULL) != 0)
            return snprintf(why, whycap, "bad certificate %zu len=%zu", i, sp[i].len), -1;
        if (sp[i].len > sizeof(out[i].der)) return snprintf(why, whycap, "certificate %zu too large", i), -1;
        memcpy(out[i].der, sp[i].p, sp[i].len);
        out[i].len = sp[i].len;
    }
    return (int)n;
}

/* The subject of |der| in wolfSSL's "/C=../CN=.." form. */
static void cert_subject(const uint8_t *der, size_t len, char *out, size_t cap)
{
    DecodedCert dc;
    snprintf(out, cap, "?");
    wc_InitDecodedCert(&dc, der, (word32)len, NULL);
    if (wc_ParseCert(&dc, CERT_TYPE, NO_VERIFY, NULL) == 0) snprintf(out, cap, "%s", dc.subject);
    wc_FreeDecodedCert(&dc);
}

/* ---- steps ---------------------------------------------------------------- */

static int step_crts(est_t *t)
{
    char why[160];
    est_req_t q = {.step = "crts", .method = COAP_GET};
    if (request(t, &q, why, sizeof(why)) != 0) return step_failed(t, "crts", why), -1;
    if (t->code != COAP_CONTENT) return answer_failed(t, "crts"), -1;
    int n = answer_certs(t, t->ca, SIM_EST_MAX_CERTS, why, sizeof(why));
    if (n < 0) return step_failed(t, "crts", why), -1;
    t->nca = (size_t)n;
    if (t->e->out_dir) {
        static uint8_t pem[SIM_EST_MAX_CERTS * PEM_MAX];
        size_t k = 0;
        for (size_t i = 0; i < t->nca; i++) {
            int pl = wc_DerToPem(t->ca[i].der, (word32)t->ca[i].len, pem + k, (word32)(sizeof(pem) - k),
                                 CERT_TYPE);
            if (pl <= 0) return step_failed(t, "crts", "pem"), -1;
            k += (size_t)pl;
        }
        if (write_file(t, "ca.pem", pem, k, 0644) != 0)
            return step_failed(t, "crts", "cannot write ca.pem"), -1;
    }
    char subj[WC_ASN_NAME_MAX + 1];
    cert_subject(t->ca[0].der, t->ca[0].len, subj, sizeof(subj));
    printf("est crts ok code=2.05 cf=%u certs=%zu subject=%s\n", (unsigned)t->cf, t->nca, subj);
    fflush(stdout);
    return 0;
}

/* Loads a PEM EC private key into t->key. */
static int load_key(est_t *t, const char *path)
{
    uint8_t pem[4096], der[KEY_DER_MAX * 2];
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    size_t n = fread(pem, 1, sizeof(pem), f);
    fclose(f);
    int dl = n > 0 && n < sizeof(pem) ? wc_KeyPemToDer(pem, (int)n, der, sizeof(der), NULL) : -1;
    word32 idx = 0;
    int r = dl > 0 && wc_ecc_init(&t->key) == 0 ? 0 : -1;
    if (r == 0) {
        t->have_key = 1;
        r = wc_EccPrivateKeyDecode(der, &idx, &t->key, (word32)dl) == 0 ? 0 : -1;
    }
    explicit_bzero(der, sizeof(der));
    return r;
}

static int new_key(est_t *t)
{
    if (t->have_key) wc_ecc_free(&t->key);
    t->have_key = 0;
    if (wc_ecc_init(&t->key) != 0) return -1;
    t->have_key = 1;
    int sz = t->e->p384 ? 48 : 32;
    return wc_ecc_make_key_ex(&t->rng, sz, &t->key, t->e->p384 ? ECC_SECP384R1 : ECC_SECP256R1) == 0 ? 0 : -1;
}

/* Copies "V" of "K=V" (up to ',' or the end) into |dst|. */
static int put_rdn(char *dst, size_t cap, const char *v, size_t n)
{
    if (n == 0 || n >= cap) return -1;
    memcpy(dst, v, n);
    dst[n] = 0;
    return 0;
}

/* The --est-subject keys and the CertName field each fills (all of them
 * CTC_NAME_SIZE bytes). */
static const struct {
    const char *key;
    size_t off;
} rdn_keys[] = {
    {"CN", offsetof(CertName, commonName)},
    {"O", offsetof(CertName, org)},
    {"OU", offsetof(CertName, unit)},
    {"C", offsetof(CertName, country)},
    {"ST", offsetof(CertName, state)},
    {"L", offsetof(CertName, locality)},
    {"serialNumber", offsetof(CertName, serialDev)},
};

/* "CN=a,O=b,OU=c,C=DE,ST=..,L=..,serialNumber=.." into |n|; no escapes. */
static int parse_subject(CertName *n, const char *s)
{
    while (*s) {
        const char *eq = strchr(s, '='), *end = s + strcspn(s, ",");
        if (!eq || eq > end) return -1;
        size_t kl = (size_t)(eq - s), k = 0;
        while (k < sizeof(rdn_keys) / sizeof(rdn_keys[0]) &&
               (strlen(rdn_keys[k].key) != kl || strncmp(s, rdn_keys[k].key, kl) != 0))
            k++;
        if (k == sizeof(rdn_keys) / sizeof(rdn_keys[0]) ||
            put_rdn((char *)n + rdn_keys[k].off, CTC_NAME_SIZE, eq + 1, (size_t)(end - eq - 1)) != 0)
            return -1;
        s = *end ? end + 1 : end;
    }
    return 0;
}

/* Makes a PKCS#10 CSR for t->key into |out|. Returns its length or -1. */
static int make_csr(est_t *t, uint8_t *out, size_t cap, char *why, size_t whycap)
{
    Cert req;
    if (wc_InitCert(&req) != 0) return snprintf(why, whycap, "wc_InitCert"), -1;
    req.version = 0;
    req.sigType = t->e->p384 ? CTC_SHA384wECDSA : CTC_SHA256wECDSA;
    if (t->e->subject) {
        if (parse_subject(&req.subject, t->e->subject) != 0)
            return snprintf(why, whycap, "bad --est-subject"), -1;
    } else if (put_rdn(req.subject.commonName, sizeof(req.subject.commonName), t->ep, strlen(t->ep)) != 0) {
        return snprintf(why, whycap, "endpoint name too long for a CN"), -1;
    }
    int body = wc_MakeCertReq_ex(&req, out, (word32)cap, ECC_TYPE, &t->key);
    if (body <= 0) return snprintf(why, whycap, "wc_MakeCertReq_ex=%d", body), -1;
    size_t bl = (size_t)body;
    if (t->e->san_dns) {
        int r = sim_est_csr_add_san(out, &bl, cap, t->e->san_dns);
        if (r != 0) return snprintf(why, whycap, "cannot add subjectAltName (%d)", r), -1;
    }
    int n = wc_SignCert_ex((int)bl, req.sigType, out, (word32)cap, ECC_TYPE, &t->key, &t->rng);
    if (n <= 0) return snprintf(why, whycap, "wc_SignCert_ex=%d", n), -1;
    return n;
}

/* Checks the issued certificate against the crts chain (when we have
 * it). Returns 1 verified, 0 not, -1 no chain to check against. */
static int verify_issued(est_t *t, const est_cert_t *c)
{
    if (t->nca == 0) return -1;
    WOLFSSL_CERT_MANAGER *cm = wolfSSL_CertManagerNew();
    if (!cm) return 0;
    for (size_t i = 0; i < t->nca; i++)
        wolfSSL_CertManagerLoadCABuffer(cm, t->ca[i].der, (long)t->ca[i].len, WOLFSSL_FILETYPE_ASN1);
    int ok =
        wolfSSL_CertManagerVerifyBuffer(cm, c->der, (long)c->len, WOLFSSL_FILETYPE_ASN1) == WOLFSSL_SUCCESS;
    wolfSSL_CertManagerFree(cm);
    return ok;
}

/* sen or sren with the key in t->key: writes the certificate under
 * |suffix| ("" or ".renewed"). */
static int step_enroll(est_t *t, const char *step, const char *suffix, int write_new_key)
{
    char why[160];
    uint8_t csr[SIM_EST_CSR_MAX];
    int n = make_csr(t, csr, sizeof(csr), why, sizeof(why));
    if (n < 0) return step_failed(t, step, why), -1;
    if (t->e->csr_out && strcmp(step, "sen") == 0) {
        FILE *f = fopen(t->e->csr_out, "wb");
        int ok = f && fwrite(csr, 1, (size_t)n, f) == (size_t)n;
        if (f && fclose(f) != 0) ok = 0;
        if (!ok) return step_failed(t, step, "cannot write --est-csr-out"), -1;
    }
    est_req_t q = {.step = step, .method = COAP_POST, .body = csr, .len = (size_t)n};
    if (request(t, &q, why, sizeof(why)) != 0) return step_failed(t, step, why), -1;
    if (t->code != COAP_CHANGED) return answer_failed(t, step), -1;
    est_cert_t got[SIM_EST_MAX_CERTS];
    int nc = answer_certs(t, got, SIM_EST_MAX_CERTS, why, sizeof(why));
    if (nc < 0) return step_failed(t, step, why), -1;
    /* The certificate is the one that carries our key (a 281 answer may
     * hold the chain as well). */
    uint8_t spki[KEY_DER_MAX];
    int sl = wc_EccPublicKeyToDer(&t->key, spki, sizeof(spki), 1);
    const est_cert_t *mine = NULL;
    sim_est_span_t serial = {0}, pk;
    for (int i = 0; i < nc && !mine; i++)
        if (sim_est_cert_fields(got[i].der, got[i].len, &serial, &pk) == 0 && sl > 0 &&
            pk.len == (size_t)sl && memcmp(pk.p, spki, pk.len) == 0)
            mine = &got[i];
    if (!mine) return step_failed(t, step, "no certificate for our key"), -1;
    t->cert = *mine;
    sim_est_cert_fields(t->cert.der, t->cert.len, &serial, NULL);
    int v = verify_issued(t, &t->cert);
    if (v == 0) return step_failed(t, step, "certificate does not verify against the crts chain"), -1;
    if ((write_new_key && write_key(t, suffix) != 0) || write_cert(t, suffix, &t->cert) != 0)
        return step_failed(t, step, "cannot write the output files"), -1;
    char sh[2 * 20 + 1], subj[WC_ASN_NAME_MAX + 1];
    hex(serial.p, serial.len, sh, sizeof(sh));
    cert_subject(t->cert.der, t->cert.len, subj, sizeof(subj));
    printf("est %s ok code=2.04 cf=%u serial=%s subject=%s chain=%s csr_bytes=%d\n", step, (unsigned)t->cf,
           sh, subj, v > 0 ? "verified" : "unchecked", n);
    fflush(stdout);
    return 0;
}

/* ---- the X.509 handshake with an independent server ---------------------- */

static int step_x509(est_t *t)
{
    char why[200];
    WOLFSSL_CTX *ctx = wolfSSL_CTX_new(wolfDTLSv1_2_client_method());
    sim_cfg_t *xc = calloc(1, sizeof(*xc));
    sim_dev_t *xd = calloc(1, sizeof(*xd));
    uint8_t kder[KEY_DER_MAX];
    int kl = wc_EccKeyToDer(&t->key, kder, sizeof(kder));
    int ok = 0;
    if (!ctx || !xc || !xd || kl <= 0) {
        snprintf(why, sizeof(why), "out of memory");
        goto out;
    }
    wolfSSL_CTX_set_cipher_list(ctx, EST_SUITES);
    wolfSSL_CTX_UseSupportedCurve(ctx, WOLFSSL_ECC_SECP256R1);
    wolfSSL_CTX_UseSupportedCurve(ctx, WOLFSSL_ECC_SECP384R1);
    if (wolfSSL_CTX_use_certificate_buffer(ctx, t->cert.der, (long)t->cert.len, WOLFSSL_FILETYPE_ASN1) !=
            WOLFSSL_SUCCESS ||
        wolfSSL_CTX_use_PrivateKey_buffer(ctx, kder, kl, WOLFSSL_FILETYPE_ASN1) != WOLFSSL_SUCCESS) {
        snprintf(why, sizeof(why), "cannot use the enrolled certificate and key");
        goto out;
    }
    int anchors = 0;
    if (t->e->hs_ca)
        anchors = wolfSSL_CTX_load_verify_locations(ctx, t->e->hs_ca, NULL) == WOLFSSL_SUCCESS;
    else
        for (size_t i = 0; i < t->nca; i++)
            anchors |= wolfSSL_CTX_load_verify_buffer(ctx, t->ca[i].der, (long)t->ca[i].len,
                                                      WOLFSSL_FILETYPE_ASN1) == WOLFSSL_SUCCESS;
    if (!anchors) {
        snprintf(why, sizeof(why), "no trust anchors for the server (--x509-ca)");
        goto out;
    }
    wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_PEER, NULL);
    /* A connection of its own: same socket code, another address. */
    *xc = *t->c->dev->cfg;
    memcpy(&xc->addr, &t->e->hs, t->e->hs_len);
    xc->addrlen = t->e->hs_len;
    xd->cfg = xc;
    snprintf(xd->ep, sizeof(xd->ep), "%s", t->ep);
    sim_tls_t xt = {.ctx = ctx};
    sim_conn_t conn = {.dev = xd, .fd = -1};
    if (sim_conn_open(&conn, &xt, why, sizeof(why)) < 0) goto out;
    if (handshake(&conn, t->rx, sizeof(t->rx), why, sizeof(why)) == 0) {
        WOLFSSL_X509_CHAIN *ch = wolfSSL_get_peer_chain(conn.ssl);
        char subj[WC_ASN_NAME_MAX + 1] = "?";
        if (ch && wolfSSL_get_chain_count(ch) > 0)
            cert_subject(wolfSSL_get_chain_cert(ch, 0), (size_t)wolfSSL_get_chain_length(ch, 0), subj,
                         sizeof(subj));
        printf("x509 handshake ok peer_subject=%s cipher=%s\n", subj, wolfSSL_get_cipher(conn.ssl));
        fflush(stdout);
        ok = 1;
    }
    sim_conn_close(&conn, 1);
out:
    if (!ok) {
        printf("x509 handshake failed %s\n", why);
        fflush(stdout);
        t->e->failures++;
    }
    explicit_bzero(kder, sizeof(kder));
    if (ctx) wolfSSL_CTX_free(ctx);
    if (xc) explicit_bzero(xc, sizeof(*xc)); /* a copy of the PSK */
    free(xc);
    free(xd);
    return ok ? 0 : -1;
}

/* ---- the run ---------------------------------------------------------------- */

/* crts, then sen and/or sren, then the handshake; stops at the first
 * failed step. */
static void run(est_t *t)
{
    const sim_est_cfg_t *e = t->e;
    char why[128];
    if (wc_InitRng(&t->rng) != 0) {
        step_failed(t, "setup", "rng");
        return;
    }
    t->rng_ok = 1;
    /* One level is created (private: it receives keys); a missing parent is an error. */
    if (e->out_dir && mkdir(e->out_dir, 0700) != 0 && errno != EEXIST) {
        snprintf(why, sizeof(why), "--est-out: %s", strerror(errno));
        step_failed(t, "setup", why);
        return;
    }
    if (step_crts(t) != 0) return;
    int loaded = 0;
    if (e->key_file || (e->renew_only && t->c->dev->cfg->sec == SIM_SEC_X509)) {
        const char *kf = e->key_file ? e->key_file : t->c->dev->cfg->key;
        if (load_key(t, kf) != 0) {
            snprintf(why, sizeof(why), "%.60s is not a PEM EC private key", kf);
            step_failed(t, e->renew_only ? "sren" : "sen", why);
            return;
        }
        loaded = 1;
    } else if (new_key(t) != 0) {
        step_failed(t, e->renew_only ? "sren" : "sen", "key generation");
        return;
    }
    if (!e->renew_only && step_enroll(t, "sen", "", !loaded) != 0) return;
    if (e->renew || e->renew_only) {
        int fresh = e->renew_new_key;
        if (fresh && new_key(t) != 0) {
            step_failed(t, "sren", "key generation");
            return;
        }
        if (step_enroll(t, "sren", ".renewed", fresh) != 0) return;
    }
    if (e->hs_len) step_x509(t);
}

static void est_free(est_t *t)
{
    if (t->have_key) wc_ecc_free(&t->key);
    if (t->rng_ok) wc_FreeRng(&t->rng);
    free(t);
}

void sim_est_after_finish(sim_conn_t *c, void *arg)
{
    sim_est_cfg_t *e = arg;
    est_t *t = calloc(1, sizeof(*t));
    if (!t) {
        e->failures++;
        return;
    }
    t->c = c, t->e = e, t->ep = c->dev->ep;
    run(t);
    est_free(t);
}

int sim_est_only(const sim_cfg_t *cfg, const sim_tls_t *tls, const char *ep, sim_est_cfg_t *e)
{
    est_t *t = calloc(1, sizeof(*t));
    sim_dev_t *d = calloc(1, sizeof(*d));
    sim_work_t *w = malloc(sizeof(*w));
    sim_conn_t conn = {.dev = d, .fd = -1};
    char why[200];
    uint16_t seed = 0;
    if (!t || !d || !w) {
        fprintf(stderr, "bsd-sim: out of memory\n");
        free(t), free(d), free(w);
        return 1;
    }
    /* A device that only talks EST: no store, no Bootstrap state. */
    d->cfg = cfg, d->work = w, d->tx = sim_conn_tx, d->tx_ctx = &conn;
    d->state = SIM_S_IDLE;
    snprintf(d->ep, sizeof(d->ep), "%s", ep);
    coap_token_gen_init(&d->tokgen);
    if (getentropy(&seed, sizeof(seed)) != 0) seed = (uint16_t)getpid();
    coap_mid_gen_init(&d->midgen, seed);
    t->c = &conn, t->e = e, t->ep = d->ep;
    if (sim_conn_open(&conn, tls, why, sizeof(why)) < 0) {
        step_failed(t, "session", why);
    } else if (conn.ssl && handshake(&conn, w->rx, sizeof(w->rx), why, sizeof(why)) != 0) {
        step_failed(t, "session", why);
    } else {
        conn.hs_done = 1;
        printf("est session ok cipher=%s\n", conn.ssl ? wolfSSL_get_cipher(conn.ssl) : "none");
        run(t);
    }
    sim_conn_close(&conn, 1);
    est_free(t);
    free(d);
    free(w);
    return e->failures ? 1 : 0;
}

int sim_est_parse_hostport(sim_est_cfg_t *e, const char *s)
{
    char host[64];
    const char *colon = strrchr(s, ':');
    if (!colon || colon == s || (size_t)(colon - s) >= sizeof(host)) return -1;
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = 0;
    char *h = host;
    size_t hl = strlen(h);
    if (h[0] == '[' && hl > 2 && h[hl - 1] == ']') h[hl - 1] = 0, h++;
    if (strcmp(h, "localhost") == 0) h = "127.0.0.1";
    /* Traffic stays on this machine. */
    if (strcmp(h, "127.0.0.1") != 0 && strcmp(h, "::1") != 0) return -1;
    struct addrinfo hints = {.ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV}, *ai;
    if (getaddrinfo(h, colon + 1, &hints, &ai) != 0) return -1;
    memcpy(&e->hs, ai->ai_addr, ai->ai_addrlen);
    e->hs_len = ai->ai_addrlen;
    freeaddrinfo(ai);
    return 0;
}
