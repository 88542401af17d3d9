/*
 * policy_compile.c — (policy, device, context) -> bs_plan_t, and the list
 * of generated credentials (see policy.h).
 *
 * The plan always has the same shape, so that operators can predict it
 * from the policy (docs/POLICY.md "What a device receives"):
 *
 *   Discover /                       placement and the client's versions
 *   Delete <each `delete:` path>     in policy order
 *   per server, in policy order:
 *     Write /21/<inst>               its OSCORE context, if any
 *     Write /0/<slot>                Security instance (placed by the engine)
 *     Write /1/<slot>                Server instance
 *   Write /2/<inst>                  each ACL
 *   Write /O/I                       each extra object instance
 *   Write /0/<bs-account>/11, /12    Bootstrap-Server account settings,
 *   Write /0/<bs-account>/2, /3, /5  and the rotated credential (if enabled),
 *                                    one resource per request
 *   Bootstrap-Finish
 *
 * Pure: the only inputs are the arguments; no allocation.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bsd/lwm2m/lwm2m_objects.h"
#include "bsd/policy/policy_int.h"

typedef struct cctx {
    const policy_t *p;
    const policy_device_t *dev;
    const policy_ctx_t *ctx;
    bs_plan_t *pl; /* NULL when only exporting */
    char *err;
    size_t errcap;
} cctx_t;

static int cfail(cctx_t *c, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int cfail(cctx_t *c, int code, const char *fmt, ...)
{
    if (c->err && c->errcap) {
        char msg[400];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        snprintf(c->err, c->errcap, "%s: %s", c->p->name, msg);
    }
    return code;
}

/* ---- plan building ------------------------------------------------------- */

static int add_op(cctx_t *c, bs_op_kind_t k, lwm2m_path_t path)
{
    bs_plan_t *pl = c->pl;
    if (pl->nops >= BS_PLAN_MAX_OPS)
        return cfail(c, LWM2M_ERR_LIMIT, "more than %d operations", BS_PLAN_MAX_OPS);
    bs_op_t *op = &pl->ops[pl->nops++];
    op->kind = k;
    op->path = path;
    op->first_rec = (uint32_t)pl->nrecs;
    op->nrecs = 0;
    return 0;
}

static lwm2m_record_t *add_rec(cctx_t *c, lwm2m_path_t path, lwm2m_type_t t, bool secret)
{
    bs_plan_t *pl = c->pl;
    if (pl->nrecs >= BS_PLAN_MAX_RECS) {
        cfail(c, LWM2M_ERR_LIMIT, "more than %d values", BS_PLAN_MAX_RECS);
        return NULL;
    }
    pl->rec_secret[pl->nrecs] = secret;
    lwm2m_record_t *r = &pl->recs[pl->nrecs++];
    r->path = path;
    r->v.type = t;
    pl->ops[pl->nops - 1].nrecs++;
    return r;
}

static int rec_bytes(cctx_t *c, lwm2m_path_t path, lwm2m_type_t t, const void *b, size_t len, bool secret)
{
    bs_plan_t *pl = c->pl;
    if (len > sizeof pl->bytes - pl->nbytes)
        return cfail(c, LWM2M_ERR_LIMIT, "values exceed %d bytes", BS_PLAN_MAX_BYTES);
    lwm2m_record_t *r = add_rec(c, path, t, secret);
    if (!r) return LWM2M_ERR_LIMIT;
    if (len) memcpy(pl->bytes + pl->nbytes, b, len);
    r->v.bytes.p = pl->bytes + pl->nbytes;
    r->v.bytes.len = len;
    pl->nbytes += len;
    return 0;
}

static int rec_int(cctx_t *c, lwm2m_path_t path, lwm2m_type_t t, int64_t v)
{
    lwm2m_record_t *r = add_rec(c, path, t, false);
    if (!r) return LWM2M_ERR_LIMIT;
    if (t == LWM2M_T_UNSIGNED)
        r->v.u = (uint64_t)v;
    else
        r->v.i = v;
    return 0;
}

static int rec_bool(cctx_t *c, lwm2m_path_t path, bool b)
{
    lwm2m_record_t *r = add_rec(c, path, LWM2M_T_BOOLEAN, false);
    if (!r) return LWM2M_ERR_LIMIT;
    r->v.b = b;
    return 0;
}

static int rec_lnk(cctx_t *c, lwm2m_path_t path, uint16_t obj, uint16_t inst)
{
    lwm2m_record_t *r = add_rec(c, path, LWM2M_T_OBJLNK, false);
    if (!r) return LWM2M_ERR_LIMIT;
    r->v.lnk.obj = obj;
    r->v.lnk.inst = inst;
    return 0;
}

/* Sorts the last op's records by path (the codecs want them ordered),
 * carrying the secret flags along. Insertion sort: at most a few dozen. */
static void sort_last_op(bs_plan_t *pl)
{
    bs_op_t *op = &pl->ops[pl->nops - 1];
    lwm2m_record_t *r = pl->recs + op->first_rec;
    uint8_t *s = pl->rec_secret + op->first_rec;
    for (uint32_t i = 1; i < op->nrecs; i++) {
        lwm2m_record_t x = r[i];
        uint8_t xs = s[i];
        uint32_t j = i;
        while (j > 0 && lwm2m_path_cmp(&r[j - 1].path, &x.path) > 0) {
            r[j] = r[j - 1];
            s[j] = s[j - 1];
            j--;
        }
        r[j] = x;
        s[j] = xs;
    }
}

/* Substitutes the variables of a text value; checks UTF-8 when |utf8|. */
static int subst(cctx_t *c, const pol_val_t *v, char *out, size_t cap, const char *what)
{
    char why[160];
    int n = pol_subst(v->s, v->len, c->dev, out, cap, why, sizeof why);
    if (n == POLICY_ERR_DEVICE) return cfail(c, POLICY_ERR_DEVICE, "%s: %s", what, why);
    if (n < 0) return cfail(c, LWM2M_ERR_LIMIT, "%s: longer than %zu bytes after substitution", what, cap);
    if (!pol_utf8_ok(out, (size_t)n))
        return cfail(c, POLICY_ERR_ARG, "%s: not UTF-8 after substitution", what);
    return n;
}

static int rec_val(cctx_t *c, lwm2m_path_t path, const pol_val_t *v, const char *what)
{
    char buf[BS_PLAN_MAX_BYTES];
    int n;
    switch (v->kind) {
    case PV_TEXT:
        if ((n = subst(c, v, buf, sizeof buf, what)) < 0) return n;
        return rec_bytes(c, path, v->type, buf, (size_t)n, false);
    case PV_BYTES: return rec_bytes(c, path, v->type, v->s, v->len, false);
    case PV_INT: return rec_int(c, path, v->type, v->i);
    case PV_FLOAT: {
        lwm2m_record_t *r = add_rec(c, path, LWM2M_T_FLOAT, false);
        if (!r) return LWM2M_ERR_LIMIT;
        r->v.f = v->f;
        return 0;
    }
    case PV_BOOL: return rec_bool(c, path, v->b);
    case PV_OBJLNK: return rec_lnk(c, path, v->lnk.obj, v->lnk.inst);
    }
    return POLICY_ERR_ARG;
}

static int rec_res_list(cctx_t *c, uint16_t obj, uint16_t inst, const pol_res_t *rs, size_t n,
                        const char *what)
{
    for (size_t i = 0; i < n; i++) {
        lwm2m_path_t p = rs[i].multi ? lwm2m_path(4, obj, inst, rs[i].res, rs[i].rinst)
                                     : lwm2m_path(3, obj, inst, rs[i].res, 0);
        int r = rec_val(c, p, &rs[i].v, what);
        if (r) return r;
    }
    return 0;
}

/* ---- credentials ----------------------------------------------------------- */

static const policy_device_cred_t *dev_cred(const policy_device_t *dev, uint16_t ssid)
{
    for (size_t i = 0; i < dev->ncreds; i++)
        if (dev->creds[i].ssid == ssid) return &dev->creds[i];
    return NULL;
}

/* The credential material of one account, generated or from the device. */
typedef struct acct_cred {
    uint8_t identity[4096]; /* /0/x/3: PSK identity, SPKI or certificate DER */
    size_t identity_len;
    uint8_t secret[2048]; /* /0/x/5: PSK key or private key DER */
    size_t secret_len;
    bool generated;
    bool placeholder; /* identity is POLICY_CERT_PLACEHOLDER text (dry runs) */
} acct_cred_t;

/*
 * An x509 account with `client_certificate: issue`: the key pair derived
 * for it and the certificate the loader had this server's CA issue for
 * its public half (policy_x509.c). The certificate must carry exactly that
 * key: its SubjectPublicKeyInfo DER appears in the certificate verbatim.
 */
static int issued_cred(cctx_t *c, const pol_server_t *sv, acct_cred_t *ac)
{
    uint8_t spki[POL_SPKI_P256_LEN];
    int n = pol_derive_p256(c->ctx->key, POL_PURPOSE_X509, c->dev->endpoint, sv->ssid, sv->rotation, spki,
                            ac->secret);
    if (n != 0) return cfail(c, n, "ssid %u: key derivation failed", sv->ssid);
    ac->secret_len = POL_PKCS8_P256_LEN;
    ac->generated = true;
    const policy_device_cert_t *dc = pol_dev_cert(c->dev, sv->ssid);
    if (!dc || !dc->der || !dc->der_len) {
        if (!(c->ctx->flags & POLICY_CTX_CERT_PLACEHOLDER))
            return cfail(c, POLICY_ERR_DEVICE, "ssid %u: no certificate issued (is est.ca_cert configured?)",
                         sv->ssid);
        ac->identity_len = sizeof POLICY_CERT_PLACEHOLDER - 1;
        memcpy(ac->identity, POLICY_CERT_PLACEHOLDER, ac->identity_len);
        ac->placeholder = true;
        return 0;
    }
    if (dc->der_len > sizeof ac->identity)
        return cfail(c, LWM2M_ERR_RANGE, "ssid %u: the issued certificate exceeds %zu bytes", sv->ssid,
                     sizeof ac->identity);
    if (dc->der_len < sizeof spki || !memmem(dc->der, dc->der_len, spki, sizeof spki))
        return cfail(c, POLICY_ERR_DEVICE, "ssid %u: the issued certificate does not carry the generated key",
                     sv->ssid);
    memcpy(ac->identity, dc->der, dc->der_len);
    ac->identity_len = dc->der_len;
    return 0;
}

static int server_cred(cctx_t *c, const pol_server_t *sv, acct_cred_t *ac)
{
    const policy_device_cred_t *dc = dev_cred(c->dev, sv->ssid);
    ac->identity_len = ac->secret_len = 0;
    ac->generated = ac->placeholder = false;
    int n;
    switch (sv->mode) {
    case POL_MODE_PSK:
        if (sv->identity_from_device) {
            if (!dc || !dc->identity || !dc->identity_len)
                return cfail(c, POLICY_ERR_DEVICE, "ssid %u: the device record has no psk_identity",
                             sv->ssid);
            if (dc->identity_len > POLICY_IDENTITY_MAX)
                return cfail(c, LWM2M_ERR_RANGE, "ssid %u: the device's psk_identity exceeds %d bytes",
                             sv->ssid, POLICY_IDENTITY_MAX);
            memcpy(ac->identity, dc->identity, dc->identity_len);
            ac->identity_len = dc->identity_len;
        } else {
            char what[48];
            snprintf(what, sizeof what, "ssid %u: psk_identity", sv->ssid);
            if ((n = subst(c, &sv->identity, (char *)ac->identity, sizeof ac->identity, what)) < 0) return n;
            if (n == 0 || n > POLICY_IDENTITY_MAX)
                return cfail(c, LWM2M_ERR_RANGE, "%s is %d bytes after substitution; 1..%d", what, n,
                             POLICY_IDENTITY_MAX);
            ac->identity_len = (size_t)n;
        }
        if (sv->key.kind == SRC_GENERATE) {
            if ((n = pol_derive(c->ctx->key, POL_PURPOSE_PSK, c->dev->endpoint, sv->ssid, sv->rotation, 0,
                                ac->secret, sv->key.size)) != 0)
                return cfail(c, n, "ssid %u: key derivation failed", sv->ssid);
            ac->secret_len = sv->key.size;
            ac->generated = true;
        } else {
            if (!dc || !dc->secret || !dc->secret_len)
                return cfail(c, POLICY_ERR_DEVICE, "ssid %u: the device record has no psk_key", sv->ssid);
            if (dc->secret_len > POLICY_PSK_MAX)
                return cfail(c, LWM2M_ERR_RANGE, "ssid %u: the device's psk_key exceeds %d bytes", sv->ssid,
                             POLICY_PSK_MAX);
            memcpy(ac->secret, dc->secret, dc->secret_len);
            ac->secret_len = dc->secret_len;
        }
        return 0;
    case POL_MODE_RPK:
        if (sv->key.kind == SRC_GENERATE) {
            if ((n = pol_derive_p256(c->ctx->key, POL_PURPOSE_RPK, c->dev->endpoint, sv->ssid, sv->rotation,
                                     ac->identity, ac->secret)) != 0)
                return cfail(c, n, "ssid %u: key derivation failed", sv->ssid);
            ac->identity_len = POL_SPKI_P256_LEN;
            ac->secret_len = POL_PKCS8_P256_LEN;
            ac->generated = true;
            return 0;
        }
        __attribute__((fallthrough)); /* both halves from the device */
    case POL_MODE_X509:
        if (sv->mode == POL_MODE_X509 && sv->cert_issue) return issued_cred(c, sv, ac);
        if (!dc || !dc->identity || !dc->identity_len || !dc->secret || !dc->secret_len)
            return cfail(c, POLICY_ERR_DEVICE, "ssid %u: the device record has no %s and private key",
                         sv->ssid, sv->mode == POL_MODE_RPK ? "public key" : "certificate");
        if (dc->identity_len > sizeof ac->identity || dc->secret_len > sizeof ac->secret)
            return cfail(c, LWM2M_ERR_RANGE, "ssid %u: the device's credential is too large", sv->ssid);
        memcpy(ac->identity, dc->identity, dc->identity_len);
        ac->identity_len = dc->identity_len;
        memcpy(ac->secret, dc->secret, dc->secret_len);
        ac->secret_len = dc->secret_len;
        return 0;
    default: return 0; /* nosec, est: the client holds or enrolls its own */
    }
}

static int oscore_secret(cctx_t *c, const pol_oscore_t *o, uint8_t *out, size_t *len)
{
    uint16_t ssid = c->p->servers[o->server].ssid;
    if (o->secret.kind == SRC_GENERATE) {
        int r = pol_derive(c->ctx->key, POL_PURPOSE_OSCORE, c->dev->endpoint, ssid, o->rotation, 0, out,
                           o->secret.size);
        if (r) return cfail(c, r, "oscore %s: key derivation failed", o->name);
        *len = o->secret.size;
        return 0;
    }
    const policy_device_cred_t *dc = dev_cred(c->dev, ssid);
    if (!dc || !dc->oscore_secret || !dc->oscore_secret_len)
        return cfail(c, POLICY_ERR_DEVICE,
                     "oscore %s: the device record has no OSCORE master secret for ssid %u", o->name, ssid);
    if (dc->oscore_secret_len > POLICY_PSK_MAX)
        return cfail(c, LWM2M_ERR_RANGE, "oscore %s: the device's master secret exceeds %d bytes", o->name,
                     POLICY_PSK_MAX);
    memcpy(out, dc->oscore_secret, dc->oscore_secret_len);
    *len = dc->oscore_secret_len;
    return 0;
}

static int bs_cred(cctx_t *c, acct_cred_t *ac)
{
    const pol_bs_t *b = &c->p->bs;
    int n;
    ac->generated = true;
    if (b->mode == POL_MODE_PSK) {
        if ((n = subst(c, &b->identity, (char *)ac->identity, sizeof ac->identity,
                       "bootstrap psk_identity")) < 0)
            return n;
        if (n == 0 || n > POLICY_IDENTITY_MAX)
            return cfail(c, LWM2M_ERR_RANGE, "bootstrap psk_identity is %d bytes after substitution; 1..%d",
                         n, POLICY_IDENTITY_MAX);
        ac->identity_len = (size_t)n;
        if ((n = pol_derive(c->ctx->key, POL_PURPOSE_BS_PSK, c->dev->endpoint, 0, b->rotation, 0, ac->secret,
                            b->key.size)) != 0)
            return cfail(c, n, "bootstrap: key derivation failed");
        ac->secret_len = b->key.size;
        return 0;
    }
    if ((n = pol_derive_p256(c->ctx->key, POL_PURPOSE_BS_RPK, c->dev->endpoint, 0, b->rotation, ac->identity,
                             ac->secret)) != 0)
        return cfail(c, n, "bootstrap: key derivation failed");
    ac->identity_len = POL_SPKI_P256_LEN;
    ac->secret_len = POL_PKCS8_P256_LEN;
    return 0;
}

/* ---- the plan ------------------------------------------------------------------ */

static int compile_oscore(cctx_t *c, const pol_oscore_t *o)
{
    uint8_t ms[POLICY_PSK_MAX];
    size_t mslen = 0;
    int r;
    if ((r = oscore_secret(c, o, ms, &mslen)) != 0) return r;
    lwm2m_path_t ip = lwm2m_path(2, LWM2M_OBJ_OSCORE, o->inst, 0, 0);
    r = add_op(c, BS_OP_WRITE, ip);
    /* Master Secret as Opaque: random bytes; the engine retypes it for a
     * v1.x client (see docs/POLICY.md on object 21 versions). */
    if (!r) r = rec_bytes(c, lwm2m_path(3, LWM2M_OBJ_OSCORE, o->inst, 0, 0), LWM2M_T_OPAQUE, ms, mslen, true);
    pol_wipe(ms, sizeof ms);
    if (!r) r = rec_val(c, lwm2m_path(3, LWM2M_OBJ_OSCORE, o->inst, 1, 0), &o->sender, "sender_id");
    if (!r) r = rec_val(c, lwm2m_path(3, LWM2M_OBJ_OSCORE, o->inst, 2, 0), &o->recipient, "recipient_id");
    if (!r && o->has_aead)
        r = rec_int(c, lwm2m_path(3, LWM2M_OBJ_OSCORE, o->inst, 3, 0), LWM2M_T_INTEGER, o->aead);
    if (!r && o->has_salt)
        r = rec_val(c, lwm2m_path(3, LWM2M_OBJ_OSCORE, o->inst, 5, 0), &o->salt, "master_salt");
    if (!r && o->has_ctx)
        r = rec_val(c, lwm2m_path(3, LWM2M_OBJ_OSCORE, o->inst, 6, 0), &o->idctx, "id_context");
    return r;
}

static int compile_server(cctx_t *c, size_t idx)
{
    const pol_server_t *sv = &c->p->servers[idx];
    int r;
    if (sv->oscore >= 0 && (r = compile_oscore(c, &c->p->oscore[sv->oscore])) != 0) return r;
    uint16_t slot = BS_INST_SLOT(idx);
    /* Security */
    char uri[512], why[128], what[48];
    snprintf(what, sizeof what, "ssid %u: uri", sv->ssid);
    int n = subst(c, &sv->uri, uri, sizeof uri, what);
    if (n < 0) return n;
    bool secure;
    if (pol_uri_check(uri, (size_t)n, &secure, why, sizeof why) < 0 || secure != (sv->mode != POL_MODE_NOSEC))
        return cfail(c, LWM2M_ERR_RANGE, "%s after substitution: %s", what,
                     secure != (sv->mode != POL_MODE_NOSEC) ? "the scheme does not fit the mode" : why);
    acct_cred_t ac;
    if ((r = server_cred(c, sv, &ac)) != 0) goto out;
    if ((r = add_op(c, BS_OP_WRITE, lwm2m_path(2, 0, slot, 0, 0))) != 0) goto out;
#define SEC(res) lwm2m_path(3, 0, slot, (res), 0)
    if ((r = rec_bytes(c, SEC(0), LWM2M_T_STRING, uri, (size_t)n, false)) != 0) goto out;
    if ((r = rec_bool(c, SEC(1), false)) != 0) goto out;
    /* Mode est is written as Transport 1.1.1 §5.2.4 says, Security Mode 4
     * with the server's certificate and no 3 and 5 ("not used"), or as mode 2
     * with 3 and 5 empty, which some clients expect (written_mode: 2). */
    bool est4 = sv->mode == POL_MODE_EST && sv->written_mode == POL_MODE_EST;
    int64_t mode = sv->mode == POL_MODE_EST ? sv->written_mode : sv->mode;
    if ((r = rec_int(c, SEC(2), LWM2M_T_INTEGER, mode)) != 0) goto out;
    if (!est4 && (r = rec_bytes(c, SEC(3), ac.placeholder ? LWM2M_T_STRING : LWM2M_T_OPAQUE, ac.identity,
                                ac.identity_len, false)) != 0)
        goto out;
    if ((r = rec_bytes(c, SEC(4), LWM2M_T_OPAQUE, sv->server_key, sv->server_key_len, false)) != 0) goto out;
    if (!est4 && (r = rec_bytes(c, SEC(5), LWM2M_T_OPAQUE, ac.secret, ac.secret_len, ac.secret_len > 0)) != 0)
        goto out;
    if ((r = rec_int(c, SEC(10), LWM2M_T_INTEGER, sv->ssid)) != 0) goto out;
    if (sv->has_sni) {
        char sni[300];
        snprintf(what, sizeof what, "ssid %u: sni", sv->ssid);
        if ((n = subst(c, &sv->sni, sni, sizeof sni, what)) < 0) {
            r = n;
            goto out;
        }
        if ((r = rec_bytes(c, SEC(14), LWM2M_T_STRING, sni, (size_t)n, false)) != 0) goto out;
    }
    if (sv->cert_usage >= 0 && (r = rec_int(c, SEC(15), LWM2M_T_UNSIGNED, sv->cert_usage)) != 0) goto out;
    for (size_t i = 0; i < sv->nsuites; i++)
        if ((r = rec_int(c, lwm2m_path(4, 0, slot, 16, (uint16_t)i), LWM2M_T_UNSIGNED, sv->suites[i])) != 0)
            goto out;
    if (sv->oscore >= 0 && (r = rec_lnk(c, SEC(17), LWM2M_OBJ_OSCORE, c->p->oscore[sv->oscore].inst)) != 0)
        goto out;
#undef SEC
        /* Server */
#define SRV(res) lwm2m_path(3, 1, slot, (res), 0)
    if ((r = add_op(c, BS_OP_WRITE, lwm2m_path(2, 1, slot, 0, 0))) != 0) goto out;
    if ((r = rec_int(c, SRV(0), LWM2M_T_INTEGER, sv->ssid)) != 0) goto out;
    if ((r = rec_int(c, SRV(1), LWM2M_T_INTEGER, sv->lifetime)) != 0) goto out;
    if (sv->has_min && (r = rec_int(c, SRV(2), LWM2M_T_INTEGER, sv->min_period)) != 0) goto out;
    if (sv->has_max && (r = rec_int(c, SRV(3), LWM2M_T_INTEGER, sv->max_period)) != 0) goto out;
    if (sv->has_disable && (r = rec_int(c, SRV(5), LWM2M_T_INTEGER, sv->disable_timeout)) != 0) goto out;
    if ((r = rec_bool(c, SRV(6), sv->nstore)) != 0) goto out;
    if ((r = rec_bytes(c, SRV(7), LWM2M_T_STRING, sv->binding.s, sv->binding.len, false)) != 0) goto out;
#undef SRV
    snprintf(what, sizeof what, "ssid %u: resources", sv->ssid);
    if ((r = rec_res_list(c, 1, slot, sv->extra, sv->nextra, what)) != 0) goto out;
    sort_last_op(c->pl);
out:
    pol_wipe(&ac, sizeof ac);
    return r;
}

static int compile_acl(cctx_t *c, const pol_acl_t *a)
{
    int r = add_op(c, BS_OP_WRITE, lwm2m_path(2, LWM2M_OBJ_ACL, a->inst, 0, 0));
    if (!r) r = rec_int(c, lwm2m_path(3, 2, a->inst, 0, 0), LWM2M_T_INTEGER, a->obj);
    if (!r) r = rec_int(c, lwm2m_path(3, 2, a->inst, 1, 0), LWM2M_T_INTEGER, a->oinst);
    /* Resource instance 0 holds the default for servers not listed. */
    if (!r && a->has_default) r = rec_int(c, lwm2m_path(4, 2, a->inst, 2, 0), LWM2M_T_INTEGER, a->def);
    for (size_t i = 0; !r && i < a->n; i++)
        r = rec_int(c, lwm2m_path(4, 2, a->inst, 2, a->ssid[i]), LWM2M_T_INTEGER, a->rights[i]);
    if (!r) r = rec_int(c, lwm2m_path(3, 2, a->inst, 3, 0), LWM2M_T_INTEGER, a->owner);
    if (!r) sort_last_op(c->pl);
    return r;
}

/* One Bootstrap-Server account resource, in its own request. */
static int bs_res_op(cctx_t *c, uint16_t res)
{
    return add_op(c, BS_OP_WRITE, lwm2m_path(3, 0, BS_INST_BS_ACCOUNT, res, 0));
}

static int compile_bs(cctx_t *c)
{
    const pol_bs_t *b = &c->p->bs;
    int r = 0;
#define BSP(res) lwm2m_path(3, 0, BS_INST_BS_ACCOUNT, (res), 0)
    if (b->has_hold && ((r = bs_res_op(c, 11)) || (r = rec_int(c, BSP(11), LWM2M_T_INTEGER, b->hold))))
        return r;
    if (b->has_timeout && ((r = bs_res_op(c, 12)) || (r = rec_int(c, BSP(12), LWM2M_T_INTEGER, b->timeout))))
        return r;
    if (!b->rotate || !(c->ctx->flags & POLICY_CTX_ROTATE_BS)) return 0;
    acct_cred_t ac;
    if ((r = bs_cred(c, &ac)) == 0 && (r = bs_res_op(c, 2)) == 0 &&
        (r = rec_int(c, BSP(2), LWM2M_T_INTEGER, b->mode)) == 0 && (r = bs_res_op(c, 3)) == 0 &&
        (r = rec_bytes(c, BSP(3), LWM2M_T_OPAQUE, ac.identity, ac.identity_len, false)) == 0 &&
        (r = bs_res_op(c, 5)) == 0)
        r = rec_bytes(c, BSP(5), LWM2M_T_OPAQUE, ac.secret, ac.secret_len, true);
#undef BSP
    pol_wipe(&ac, sizeof ac);
    return r;
}

/* Adds SSID |v| to the plan's removal list (once; 1..65534; bounded). */
static void unboot_add(bs_plan_t *pl, uint16_t v)
{
    if (v < 1 || v > LWM2M_MAX_ID || pl->nunboot_remove >= BS_PLAN_MAX_REMOVE) return;
    for (size_t i = 0; i < pl->nunboot_remove; i++)
        if (pl->unboot_remove[i] == v) return;
    pl->unboot_remove[pl->nunboot_remove++] = v;
}

static int check_args(cctx_t *c)
{
    if (!c->p || !c->dev || !c->ctx || !c->dev->endpoint) {
        if (c->err && c->errcap) snprintf(c->err, c->errcap, "policy: missing argument or endpoint");
        return POLICY_ERR_ARG;
    }
    if (!pol_utf8_ok(c->dev->endpoint, strlen(c->dev->endpoint)) || strlen(c->dev->endpoint) > 1024)
        return cfail(c, POLICY_ERR_ARG, "the endpoint name is not UTF-8 or longer than 1024 bytes");
    return 0;
}

int policy_compile(const policy_t *p, const policy_device_t *dev, const policy_ctx_t *ctx, bs_plan_t *out,
                   char *err, size_t errcap)
{
    cctx_t c = {p, dev, ctx, out, err, errcap};
    if (err && errcap) err[0] = 0;
    if (!out) return POLICY_ERR_ARG;
    memset(out, 0, sizeof *out);
    int r = check_args(&c);
    if (r) return r;
    snprintf(out->name, sizeof out->name, "%s", p->name);
    out->version = ctx->version;
    out->format = p->format;
    out->on_error = p->on_error;
    out->timeout_ms = p->timeout_ms;
    if ((r = add_op(&c, BS_OP_DISCOVER, lwm2m_path(0, 0, 0, 0, 0))) != 0) goto fail;
    if (p->unboot != POLICY_UNBOOT_OFF) {
        /* Unbootstrapping comes before the policy's own deletes and writes. */
        out->unboot = 1;
        out->unboot_exclusive = p->unboot == POLICY_UNBOOT_EXCLUSIVE;
        for (size_t i = 0; i < dev->nunboot_pending; i++)
            unboot_add(out, dev->unboot_pending[i]);
        for (size_t i = 0; i < dev->nunboot_written; i++) {
            int mine = 0;
            for (size_t k = 0; k < p->nservers; k++)
                mine |= p->servers[k].ssid == dev->unboot_written[i];
            if (!mine) unboot_add(out, dev->unboot_written[i]);
        }
    }
    for (size_t i = 0; i < p->ndel; i++)
        if ((r = add_op(&c, BS_OP_DELETE, p->del[i])) != 0) goto fail;
    for (size_t i = 0; i < p->nservers; i++)
        if ((r = compile_server(&c, i)) != 0) goto fail;
    for (size_t i = 0; i < p->nacls; i++)
        if ((r = compile_acl(&c, &p->acls[i])) != 0) goto fail;
    for (size_t i = 0; i < p->nobjects; i++) {
        const pol_object_t *o = &p->objects[i];
        char what[48];
        snprintf(what, sizeof what, "objects[%zu]", i);
        if ((r = add_op(&c, BS_OP_WRITE, o->path)) != 0 ||
            (r = rec_res_list(&c, o->path.obj, o->path.inst, o->res, o->nres, what)) != 0)
            goto fail;
        sort_last_op(out);
    }
    if ((r = compile_bs(&c)) != 0) goto fail;
    if ((r = add_op(&c, BS_OP_FINISH, lwm2m_path(0, 0, 0, 0, 0))) != 0) goto fail;
    return 0;
fail:
    /* Never leave half a plan (and its secrets) behind. */
    pol_wipe(out, sizeof *out);
    return r;
}

/* ---- export -------------------------------------------------------------------- */

static int put_cred(cctx_t *c, policy_cred_t *out, size_t cap, size_t *n, policy_cred_kind_t kind,
                    uint16_t ssid, uint32_t rotation, const acct_cred_t *ac)
{
    if (*n >= cap) return cfail(c, POLICY_ERR_NOSPACE, "more than %zu credentials", cap);
    if (ac->identity_len > sizeof out->identity || ac->secret_len > sizeof out->secret)
        return cfail(c, LWM2M_ERR_RANGE, "credential too large");
    policy_cred_t *o = &out[(*n)++];
    memset(o, 0, sizeof *o);
    o->kind = kind;
    o->ssid = ssid;
    o->rotation = rotation;
    memcpy(o->identity, ac->identity, ac->identity_len);
    o->identity_len = ac->identity_len;
    memcpy(o->secret, ac->secret, ac->secret_len);
    o->secret_len = ac->secret_len;
    return 0;
}

int policy_bs_rotation(const policy_t *p, const policy_device_t *dev, const policy_ctx_t *ctx,
                       policy_cred_t *out, char *err, size_t errcap)
{
    cctx_t c = {p, dev, ctx, NULL, err, errcap};
    if (err && errcap) err[0] = 0;
    int r = check_args(&c);
    if (r) return r;
    if (!out) return POLICY_ERR_ARG;
    if (!p->bs.rotate) return 0;
    acct_cred_t ac;
    size_t n = 0;
    if ((r = bs_cred(&c, &ac)) == 0)
        r = put_cred(&c, out, 1, &n, p->bs.mode == POL_MODE_PSK ? POLICY_CRED_PSK : POLICY_CRED_RPK, 0,
                     p->bs.rotation, &ac);
    pol_wipe(&ac, sizeof ac);
    if (r) {
        pol_wipe(out, sizeof *out);
        return r;
    }
    out->bootstrap = 1;
    return 1;
}

int policy_export_creds(const policy_t *p, const policy_device_t *dev, const policy_ctx_t *ctx,
                        policy_cred_t *out, size_t cap, char *err, size_t errcap)
{
    cctx_t c = {p, dev, ctx, NULL, err, errcap};
    if (err && errcap) err[0] = 0;
    int r = check_args(&c);
    if (r) return r;
    if (!out && cap) return POLICY_ERR_ARG;
    size_t n = 0;
    acct_cred_t ac;
    for (size_t i = 0; i < p->nservers && !r; i++) {
        const pol_server_t *sv = &p->servers[i];
        if ((sv->mode == POL_MODE_PSK || sv->mode == POL_MODE_RPK) && sv->key.kind == SRC_GENERATE) {
            if ((r = server_cred(&c, sv, &ac)) == 0)
                r = put_cred(&c, out, cap, &n, sv->mode == POL_MODE_PSK ? POLICY_CRED_PSK : POLICY_CRED_RPK,
                             sv->ssid, sv->rotation, &ac);
        }
        if (!r && sv->oscore >= 0 && p->oscore[sv->oscore].secret.kind == SRC_GENERATE) {
            const pol_oscore_t *o = &p->oscore[sv->oscore];
            memset(&ac, 0, sizeof ac);
            char id[BS_PLAN_MAX_BYTES];
            int l;
            if ((r = oscore_secret(&c, o, ac.secret, &ac.secret_len)) != 0) break;
            if ((l = subst(&c, &o->sender, id, sizeof id, "sender_id")) < 0 ||
                (size_t)l > sizeof ac.identity) {
                r = l < 0 ? l : LWM2M_ERR_RANGE;
                break;
            }
            memcpy(ac.identity, id, (size_t)l);
            ac.identity_len = (size_t)l;
            if ((r = put_cred(&c, out, cap, &n, POLICY_CRED_OSCORE, sv->ssid, o->rotation, &ac)) != 0) break;
            memcpy(out[n - 1].recipient, o->recipient.s, o->recipient.len);
            out[n - 1].recipient_len = o->recipient.len;
        }
    }
    if (!r && p->bs.rotate && (ctx->flags & POLICY_CTX_ROTATE_BS)) {
        if ((r = bs_cred(&c, &ac)) == 0 &&
            (r = put_cred(&c, out, cap, &n, p->bs.mode == POL_MODE_PSK ? POLICY_CRED_PSK : POLICY_CRED_RPK, 0,
                          p->bs.rotation, &ac)) == 0)
            out[n - 1].bootstrap = 1;
    }
    pol_wipe(&ac, sizeof ac);
    if (r) {
        if (out) pol_wipe(out, cap * sizeof *out);
        return r;
    }
    return (int)n;
}
