/*
 * sim_oscore.c — bsd-sim's OSCORE client (see sim_oscore.h): context set-up
 * with an optional B.2 R1, request protection, response verification with
 * the Appendix B.2 step 3 re-derivation, verification of server requests
 * and protection of our answers, the nonce log. Message handling around it
 * (retransmission, Echo retries, serving) is sim_coap.c.
 */
#include "tools/sim/sim_oscore.h"

#include <stdio.h>
#include <string.h>

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/random.h>

#define SIM_OSC_B2_MAX 3 /* B.2 responses accepted per run: a server cannot loop us */

int sim_osc_rng_default(void *arg, uint8_t *out, size_t len)
{
    (void)arg;
    WC_RNG rng;
    if (wc_InitRng(&rng) != 0) return -1;
    int r = wc_RNG_GenerateBlock(&rng, out, (word32)len);
    wc_FreeRng(&rng);
    return r == 0 ? 0 : -1;
}

/* Sets the current context: the whole SSN space reserved (the simulator
 * keeps nothing across runs; --oscore-ssn moves the start). */
static int arm(oscore_ctx_t *c, uint64_t first_ssn)
{
    if (oscore_ctx_seq_reserved(c, OSCORE_SSN_LIMIT) != 0) return -1;
    return first_ssn ? oscore_ctx_seq_restore(c, first_ssn) : 0;
}

int sim_osc_init(sim_osc_t *o, const sim_osc_cfg_t *cfg, char *err, size_t cap)
{
    o->cfg = *cfg;
    oscore_params_t p = {
        .master_secret = cfg->secret,
        .master_secret_len = cfg->secret_len,
        .master_salt = cfg->salt_len ? cfg->salt : NULL,
        .master_salt_len = cfg->salt_len,
        .sender_id = cfg->sender_id,
        .sender_id_len = cfg->sender_id_len,
        .recipient_id = cfg->recipient_id,
        .recipient_id_len = cfg->recipient_id_len,
        .id_ctx = cfg->has_id_ctx ? cfg->id_ctx : NULL,
        .id_ctx_len = cfg->id_ctx_len,
    };
    int r = oscore_ctx_derive(&o->base, &p);
    if (r != 0) {
        snprintf(err, cap, "OSCORE context: %s", oscore_strerror(r));
        return -1;
    }
    if (!o->rng) o->rng = sim_osc_rng_default;
    o->ctx = o->base;
    o->wire_len = 0;
    if (cfg->b2_init) {
        /* B.2 step 1: ID1 = R1, sent wrapped in a bstr as kid context. */
        uint8_t r1[SIM_OSC_NONCE_LEN];
        if (o->rng(o->rng_arg, r1, sizeof(r1)) != 0) {
            snprintf(err, cap, "OSCORE: no random bytes for R1");
            return -1;
        }
        r = oscore_ctx_rederive(&o->ctx, &o->base, r1, sizeof(r1));
        int wl = r == 0 ? oscore_b2_wrap(r1, sizeof(r1), o->wire, sizeof(o->wire)) : r;
        if (wl < 0) {
            snprintf(err, cap, "OSCORE ctx1: %s", oscore_strerror(wl));
            return -1;
        }
        o->wire_len = (size_t)wl;
    }
    if (arm(&o->ctx, cfg->first_ssn) != 0) {
        snprintf(err, cap, "OSCORE: bad first SSN");
        return -1;
    }
    o->b2 = SIM_OSC_B2_NONE;
    return 0;
}

static void save_raw(const char *path, const uint8_t *b, size_t n)
{
    FILE *f = path ? fopen(path, "wb") : NULL;
    if (!f) return;
    if (fwrite(b, 1, n, f) != n) fprintf(stderr, "bsd-sim: %s: short write\n", path);
    fclose(f);
}

int sim_osc_protect_request(sim_osc_t *o, const uint8_t *plain, size_t len, uint8_t *out, size_t cap)
{
    coap_msg_t m;
    if (coap_parse(&m, plain, len) != 0) return -1;
    oscore_send_t snd = {.kid_ctx = o->wire_len ? o->wire : NULL, .kid_ctx_len = o->wire_len};
    int n = oscore_protect_request(&o->ctx, &m, &snd, out, cap, &o->req);
    if (n < 0) return n;
    o->req_valid = true;
    o->req_ctx_len = o->ctx.has_id_ctx ? o->ctx.id_ctx_len : 0;
    memcpy(o->req_ctx, o->ctx.id_ctx, o->req_ctx_len);
    if (o->n_sent++ == 0) save_raw(o->replay_path, out, (size_t)n);
    save_raw(o->replay_last_path, out, (size_t)n);
    return n;
}

static void hex(FILE *f, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%02x", b[i]);
}

void sim_osc_log_nonce(const sim_osc_t *o, const uint8_t *kid, size_t kid_len, const uint8_t *piv,
                       size_t piv_len, const oscore_ctx_t *ctx, bool request, bool replay)
{
    FILE *f = o->nonce_log;
    if (!f) return;
    fputs("kid=", f);
    hex(f, kid, kid_len);
    fputs(" piv=", f);
    hex(f, piv, piv_len);
    fputs(" kid_context=", f);
    hex(f, ctx->id_ctx, ctx->has_id_ctx ? ctx->id_ctx_len : 0);
    fprintf(f, " msg=%s status=%s\n", request ? "req" : "rsp", replay ? "replay" : "ok");
    fflush(f);
}

/* Logs a verified response: a Partial IV in it was made by the server
 * (our Recipient ID); without one the nonce is the request's (our kid and
 * Partial IV), under the server's key. */
static void log_response(const sim_osc_t *o, const oscore_option_t *opt, const oscore_ctx_t *ctx)
{
    if (opt->piv_len)
        sim_osc_log_nonce(o, ctx->recipient_id, ctx->recipient_id_len, opt->piv, opt->piv_len, ctx, false,
                          false);
    else
        sim_osc_log_nonce(o, o->req.kid, o->req.kid_len, o->req.piv, o->req.piv_len, ctx, false, false);
}

/* B.2 step 3: ctx2 = R2 || ID1 verifies response #1, then ctx3 = R2 || R3
 * becomes the current context. */
static int b2_step3(sim_osc_t *o, const coap_msg_t *outer, const oscore_option_t *opt, coap_msg_t *inner)
{
    const uint8_t *r2;
    size_t r2_len;
    if (oscore_b2_unwrap(opt->kid_ctx, opt->kid_ctx_len, &r2, &r2_len) != 0 || r2_len == 0)
        return OSCORE_ERR_B2_KID_CTX;
    if (o->b2_runs >= SIM_OSC_B2_MAX) return OSCORE_ERR_INVAL;
    uint8_t idc[OSCORE_MAX_ID_CTX_LEN];
    int cl = oscore_b2_id_ctx(r2, r2_len, o->req_ctx, o->req_ctx_len, idc, sizeof(idc));
    if (cl < 0) return cl;
    oscore_ctx_t ctx2;
    int r = oscore_ctx_rederive(&ctx2, &o->base, idc, (size_t)cl);
    if (r == 0) r = oscore_unprotect_response(&ctx2, &o->req, outer, o->buf, sizeof(o->buf), inner);
    if (r == OSCORE_ERR_DECRYPT && opt->piv_len == 0) {
        /* No Partial IV: libcoap reuses the request nonce (tried above),
         * Californium recomputes it with ctx2's Common IV (§1.10). */
        oscore_req_t alt = o->req;
        oscore_nonce(ctx2.common_iv, alt.kid, alt.kid_len, alt.piv, alt.piv_len, alt.nonce);
        r = oscore_unprotect_response(&ctx2, &alt, outer, o->buf, sizeof(o->buf), inner);
    }
    if (r != 0) {
        oscore_ctx_wipe(&ctx2);
        return r;
    }
    log_response(o, opt, &ctx2);
    oscore_ctx_wipe(&ctx2);
    /* R2 is copied before r2's datagram can change; R3 is ours. */
    uint8_t r2c[OSCORE_MAX_ID_CTX_LEN], r3[SIM_OSC_NONCE_LEN];
    if (r2_len > sizeof(r2c) || o->rng(o->rng_arg, r3, sizeof(r3)) != 0) return OSCORE_ERR_CRYPTO;
    memcpy(r2c, r2, r2_len);
    cl = oscore_b2_id_ctx(r2c, r2_len, r3, sizeof(r3), idc, sizeof(idc));
    if (cl < 0) return cl;
    oscore_ctx_t ctx3;
    r = oscore_ctx_rederive(&ctx3, &o->base, idc, (size_t)cl);
    int wl = r == 0 ? oscore_b2_wrap(idc, (size_t)cl, o->wire, sizeof(o->wire)) : r;
    if (wl < 0 || arm(&ctx3, 0) != 0) {
        oscore_ctx_wipe(&ctx3);
        return wl < 0 ? wl : OSCORE_ERR_INVAL;
    }
    o->wire_len = (size_t)wl;
    o->ctx = ctx3; /* SSN 0 in the new context (Californium; the keys are new) */
    oscore_ctx_wipe(&ctx3);
    o->b2 = SIM_OSC_B2_CTX3;
    o->b2_runs++;
    return SIM_OSC_B2;
}

int sim_osc_response(sim_osc_t *o, const coap_msg_t *outer, coap_msg_t *inner)
{
    const coap_option_t *oo = coap_opt_get(outer, COAP_OPT_OSCORE);
    if (!oo) return SIM_OSC_UNPROTECTED;
    if (!o->req_valid) return OSCORE_ERR_INVAL;
    oscore_option_t opt;
    int r = oscore_option_decode(oo->val, oo->len, &opt);
    if (r != 0) return r;
    if (opt.has_kid_ctx) return b2_step3(o, outer, &opt, inner);
    r = oscore_unprotect_response(&o->ctx, &o->req, outer, o->buf, sizeof(o->buf), inner);
    if (r != 0) return r;
    log_response(o, &opt, &o->ctx);
    if (o->b2 == SIM_OSC_B2_CTX3) {
        /* Step 5: ctx3 confirmed; the kid context is no longer needed. */
        o->b2 = SIM_OSC_B2_DONE;
        o->wire_len = 0;
    }
    return SIM_OSC_PROTECTED;
}

/* A kid context in a server request must name our context: the ID
 * Context as is (RFC 8613 §5.1) or bstr-wrapped (B.2 style). */
static bool kid_ctx_ours(const oscore_ctx_t *c, const oscore_option_t *opt)
{
    size_t n = c->has_id_ctx ? c->id_ctx_len : 0;
    if (opt->kid_ctx_len == n && (n == 0 || memcmp(opt->kid_ctx, c->id_ctx, n) == 0)) return true;
    const uint8_t *id;
    size_t id_len;
    return oscore_b2_unwrap(opt->kid_ctx, opt->kid_ctx_len, &id, &id_len) == 0 && id_len == n &&
           (n == 0 || memcmp(id, c->id_ctx, n) == 0);
}

int sim_osc_request(sim_osc_t *o, const coap_msg_t *outer, coap_msg_t *inner)
{
    const coap_option_t *oo = coap_opt_get(outer, COAP_OPT_OSCORE);
    if (!oo) return OSCORE_ERR_NO_OPTION;
    oscore_option_t opt;
    int r = oscore_option_decode(oo->val, oo->len, &opt);
    if (r != 0) return r;
    if (opt.has_kid_ctx && !kid_ctx_ours(&o->ctx, &opt)) return OSCORE_ERR_UNKNOWN_KID;
    r = oscore_unprotect_request(&o->ctx, outer, o->buf, sizeof(o->buf), inner, &o->sreq);
    bool verified = r == 0 || r == OSCORE_ERR_INNER_FORMAT || r == OSCORE_ERR_INNER_BAD_OPTION;
    if (verified || r == OSCORE_ERR_REPLAY)
        sim_osc_log_nonce(o, opt.kid, opt.kid_len, opt.piv, opt.piv_len, &o->ctx, true, !verified);
    return r;
}

int sim_osc_protect_response(sim_osc_t *o, const uint8_t *plain, size_t len)
{
    coap_msg_t m;
    o->last_len = 0;
    if (coap_parse(&m, plain, len) != 0) return -1;
    int n = oscore_protect_response(&o->ctx, &o->sreq, &m, NULL, o->last, sizeof(o->last));
    if (n < 0) return n;
    o->last_mid = m.mid;
    o->last_len = (size_t)n;
    return n;
}

int sim_osc_cached(const sim_osc_t *o, uint16_t mid, const uint8_t **bytes, size_t *len)
{
    if (!o->last_len || o->last_mid != mid) return 0;
    *bytes = o->last;
    *len = o->last_len;
    return 1;
}

int sim_osc_error_response(const coap_msg_t *req, int err, uint16_t non_mid, uint8_t *out, size_t cap)
{
    const char *diag = NULL;
    uint8_t code;
    if (err == OSCORE_ERR_NO_OPTION) {
        code = COAP_UNAUTHORIZED, diag = "OSCORE required";
    } else {
        code = oscore_err_response(err, &diag);
        if (code == 0) code = COAP_INTERNAL_SERVER_ERROR, diag = NULL;
    }
    coap_builder_t b;
    bool con = req->type == COAP_TYPE_CON;
    coap_build_init(&b, out, cap, con ? COAP_TYPE_ACK : COAP_TYPE_NON, code, con ? req->mid : non_mid,
                    req->token, req->tkl);
    if (diag) coap_build_payload(&b, (const uint8_t *)diag, strlen(diag));
    return coap_build_finish(&b);
}

void sim_osc_raw_answer(sim_osc_t *o, const coap_msg_t *m)
{
    o->raw_code = m->code;
    o->raw_protected = coap_opt_get(m, COAP_OPT_OSCORE) != NULL;
    size_t k = 0;
    /* Diagnostic payload of an unprotected answer, printable bytes only. */
    for (size_t i = 0; !o->raw_protected && i < m->payload_len && k + 1 < sizeof(o->raw_diag); i++) {
        uint8_t c = m->payload[i];
        o->raw_diag[k++] = c >= 0x20 && c < 0x7f && c != '"' && c != '\\' ? (char)c : '?';
    }
    o->raw_diag[k] = 0;
}
