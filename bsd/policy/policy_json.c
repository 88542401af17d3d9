/*
 * policy_json.c — the dry run: a compiled plan played by the real engine
 * (bs_session) against an in-memory client, printed as JSON.
 *
 * The responder answers like a compliant client (Discover: the given
 * link-format text, block-wise if long; Read: 2.05 with the given content
 * or an empty body; Delete 2.02; Write 2.04, 2.31 for a non-final Block1;
 * Finish 2.04), so placement, retyping, skipped steps and block-wise
 * transfers are exactly what a client in that state would receive. The
 * records printed for a Write are the plan's, at the instance the engine
 * resolved and with the type it sends; secrets print as "<redacted>"
 * unless the caller asks to reveal them.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bsd/coap/coap_block.h"
#include "bsd/coap/coap_msg.h"
#include "bsd/lwm2m/bs_session.h"
#include "bsd/lwm2m/lwm2m_objects.h"
#include "bsd/policy/policy_int.h"

#define DRY_MAX_COAP  1152 /* a typical DTLS datagram budget */
#define DRY_MAX_MSGS  4096 /* requests per dry run (block-wise included) */
#define DRY_RESP_ROOM 1024 /* payload per Block2 answer */

typedef struct jout {
    char *p;
    size_t cap, n;
    int err;
} jout_t;

static void jput(jout_t *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void jput(jout_t *j, const char *fmt, ...)
{
    if (j->err) return;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(j->p + j->n, j->cap - j->n, fmt, ap);
    va_end(ap);
    if (w < 0 || (size_t)w >= j->cap - j->n) {
        j->err = 1;
        return;
    }
    j->n += (size_t)w;
}

static void jstr(jout_t *j, const char *s, size_t len)
{
    jput(j, "\"");
    for (size_t i = 0; i < len && !j->err; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\\')
            jput(j, "\\%c", ch);
        else if (ch < 0x20 || ch == 0x7f)
            jput(j, "\\u%04x", ch);
        else
            jput(j, "%c", ch);
    }
    jput(j, "\"");
}

static const char *tname(lwm2m_type_t t)
{
    switch (t) {
    case LWM2M_T_STRING: return "string";
    case LWM2M_T_INTEGER: return "integer";
    case LWM2M_T_UNSIGNED: return "unsigned";
    case LWM2M_T_FLOAT: return "float";
    case LWM2M_T_BOOLEAN: return "boolean";
    case LWM2M_T_OPAQUE: return "opaque";
    case LWM2M_T_TIME: return "time";
    case LWM2M_T_OBJLNK: return "objlnk";
    case LWM2M_T_CORELNK: return "corelnk";
    default: return "none";
    }
}

static void jrecord(jout_t *j, const bs_session_t *s, const lwm2m_record_t *r0, bool secret, uint16_t inst,
                    bool reveal)
{
    lwm2m_record_t r = *r0;
    r.path.inst = inst;
    /* The engine writes object 21 values with the client's type. */
    if (s->oscore_listed && r.path.obj == LWM2M_OBJ_OSCORE &&
        (r.v.type == LWM2M_T_STRING || r.v.type == LWM2M_T_OPAQUE)) {
        const lwm2m_obj_res_t *d =
            lwm2m_obj_res(LWM2M_OBJ_OSCORE, s->oscore_ver[0], s->oscore_ver[1], r.path.res);
        if (d && (d->type == LWM2M_T_STRING || d->type == LWM2M_T_OPAQUE)) r.v.type = d->type;
    }
    char p[40];
    if (lwm2m_path_format(&r.path, p, sizeof p) < 0) snprintf(p, sizeof p, "?");
    jput(j, "{\"path\":\"%s\",\"type\":\"%s\",\"value\":", p, tname(r.v.type));
    if (secret && !reveal) {
        jput(j, "\"<redacted>\"}");
        return;
    }
    switch (r.v.type) {
    case LWM2M_T_STRING:
    case LWM2M_T_CORELNK: jstr(j, (const char *)r.v.bytes.p, r.v.bytes.len); break;
    case LWM2M_T_OPAQUE:
        jput(j, "\"");
        for (size_t i = 0; i < r.v.bytes.len; i++)
            jput(j, "%02x", r.v.bytes.p[i]);
        jput(j, "\"");
        break;
    case LWM2M_T_INTEGER:
    case LWM2M_T_TIME: jput(j, "%lld", (long long)r.v.i); break;
    case LWM2M_T_UNSIGNED: jput(j, "%llu", (unsigned long long)r.v.u); break;
    case LWM2M_T_FLOAT: jput(j, "%.17g", r.v.f); break;
    case LWM2M_T_BOOLEAN: jput(j, "%s", r.v.b ? "true" : "false"); break;
    case LWM2M_T_OBJLNK: jput(j, "\"%u:%u\"", (unsigned)r.v.lnk.obj, (unsigned)r.v.lnk.inst); break;
    default: jput(j, "null"); break;
    }
    jput(j, "}");
}

static const char *method(uint8_t code)
{
    switch (code) {
    case COAP_GET: return "GET";
    case COAP_POST: return "POST";
    case COAP_PUT: return "PUT";
    case COAP_DELETE: return "DELETE";
    default: return "?";
    }
}

/* Builds the in-memory client's answer to |req| into |buf|. */
static int respond(const policy_client_t *cl, const coap_msg_t *req, uint8_t *buf, size_t cap,
                   uint8_t *code_out)
{
    coap_builder_t b;
    uint8_t code = COAP_CHANGED;
    const char *body = NULL;
    size_t blen = 0;
    uint32_t cf = 0;
    int has_cf = 0;
    coap_block_t b1, b2, out;
    int has_b1 = coap_block_get(req, COAP_OPT_BLOCK1, &b1) == 0;
    switch (req->code) {
    case COAP_GET: {
        uint32_t acc = 0;
        coap_opt_uint(coap_opt_get(req, COAP_OPT_ACCEPT), &acc);
        code = COAP_CONTENT;
        has_cf = 1;
        if (acc == COAP_CF_LINK_FORMAT) {
            body = cl->discover ? cl->discover : POLICY_CLIENT_FRESH;
            cf = COAP_CF_LINK_FORMAT;
        } else if (!cl->read) {
            /* Nothing known to answer with (the engine then plans
             * without the Access Control object, and says so). */
            code = COAP_NOT_FOUND;
            has_cf = 0;
        } else {
            body = cl->read;
            cf = cl->read ? cl->read_format : acc;
        }
        blen = body ? strlen(body) : 0;
        break;
    }
    case COAP_DELETE: code = COAP_DELETED; break;
    case COAP_PUT: code = has_b1 && b1.more ? COAP_CONTINUE : COAP_CHANGED; break;
    default: code = COAP_CHANGED; break;
    }
    coap_build_init(&b, buf, cap, COAP_TYPE_ACK, code, req->mid, req->token, req->tkl);
    if (has_cf) coap_build_opt_uint(&b, COAP_OPT_CONTENT_FORMAT, cf);
    if (has_b1) coap_build_opt_uint(&b, COAP_OPT_BLOCK1, coap_block_encode(&b1));
    if (body) {
        int has_b2 = coap_block_get(req, COAP_OPT_BLOCK2, &b2) == 0;
        size_t off = 0, len = blen;
        int r = coap_block2_slice(blen, has_b2 ? &b2 : NULL, DRY_RESP_ROOM, &out, &off, &len);
        if (r < 0) return -1;
        if (r == 1) coap_build_opt_uint(&b, COAP_OPT_BLOCK2, coap_block_encode(&out));
        if (len) coap_build_payload(&b, (const uint8_t *)body + off, len);
    }
    *code_out = code;
    return coap_build_finish(&b);
}

int policy_dry_run(const bs_plan_t *plan, const policy_client_t *client, bool reveal, char *out, size_t cap)
{
    static const policy_client_t fresh = {NULL, COAP_CF_SENML_CBOR, NULL, 0};
    if (!plan || !out || cap == 0) return POLICY_ERR_ARG;
    const policy_client_t *cl = client ? client : &fresh;
    bs_session_t *s = calloc(1, sizeof *s);
    if (!s) return POLICY_ERR_ARG;
    jout_t j = {out, cap, 0, 0};
    uint8_t msg[BS_MSG_MAX], resp[DRY_RESP_ROOM + 128];
    uint64_t now = 0;
    int rc = bs_session_start(s, plan, cl->pct, DRY_MAX_COAP, now, 1);
    jput(&j, "{\"plan\":");
    jstr(&j, plan->name, strnlen(plan->name, sizeof plan->name));
    jput(&j, ",\"plan_version\":%u,\"pct\":%u,\"discover\":", (unsigned)plan->version, (unsigned)cl->pct);
    const char *disc = cl->discover ? cl->discover : POLICY_CLIENT_FRESH;
    jstr(&j, disc, strlen(disc));
    jput(&j, ",\"requests\":[");
    for (int i = 0; rc == 0 && i < DRY_MAX_MSGS && !bs_session_done(s); i++) {
        int n = bs_session_poll(s, now, msg, sizeof msg);
        if (n <= 0) break;
        coap_msg_t m;
        if (coap_parse(&m, msg, (size_t)n) != 0) break;
        /* What the step this request belongs to writes (plan or unbootstrap). */
        size_t nrecs;
        const uint8_t *secret;
        const lwm2m_record_t *recs = bs_session_step_records(s, &nrecs, &secret);
        char path[64];
        if (coap_uri_path_join(&m, path, sizeof path) < 0) snprintf(path, sizeof path, "?");
        jput(&j, "%s{\"method\":\"%s\",\"path\":\"%s\"", i ? "," : "", method(m.code), path[0] ? path : "/");
        uint32_t v;
        if (coap_opt_uint(coap_opt_get(&m, COAP_OPT_ACCEPT), &v) == 0)
            jput(&j, ",\"accept\":%u", (unsigned)v);
        if (coap_opt_uint(coap_opt_get(&m, COAP_OPT_CONTENT_FORMAT), &v) == 0)
            jput(&j, ",\"format\":%u", (unsigned)v);
        coap_block_t blk;
        int first_block = 1;
        if (coap_block_get(&m, COAP_OPT_BLOCK1, &blk) == 0) {
            jput(&j, ",\"block1\":\"%u/%u/%u\"", (unsigned)blk.num, (unsigned)blk.more,
                 (unsigned)coap_block_size(blk.szx));
            first_block = blk.num == 0;
        }
        if (coap_block_get(&m, COAP_OPT_BLOCK2, &blk) == 0)
            jput(&j, ",\"block2\":\"%u/%u/%u\"", (unsigned)blk.num, (unsigned)blk.more,
                 (unsigned)coap_block_size(blk.szx));
        if (m.code == COAP_PUT) jput(&j, ",\"payload_bytes\":%zu", m.payload_len);
        if (m.code == COAP_PUT && recs && first_block) {
            /* The instance the engine resolved is in the request path. */
            lwm2m_path_t rp;
            uint16_t inst = nrecs ? recs[0].path.inst : 0;
            if (lwm2m_path_parse(path, strlen(path), &rp) == 0 && rp.depth >= 2) inst = rp.inst;
            jput(&j, ",\"records\":[");
            for (size_t k = 0; k < nrecs; k++) {
                if (k) jput(&j, ",");
                jrecord(&j, s, &recs[k], secret && secret[k] != 0, inst, reveal);
            }
            jput(&j, "]");
        }
        uint8_t code = 0;
        int rl = respond(cl, &m, resp, sizeof resp, &code);
        if (rl <= 0) break;
        jput(&j, ",\"response\":\"%u.%02u\"}", (unsigned)COAP_CODE_CLASS(code),
             (unsigned)COAP_CODE_DETAIL(code));
        coap_msg_t r;
        uint8_t ack[16];
        size_t alen;
        now += 10;
        if (coap_parse(&r, resp, (size_t)rl) != 0) break;
        bs_session_on_message(s, &r, now, ack, sizeof ack, &alen);
    }
    jput(&j, "],\"session\":");
    if (!j.err) {
        int w = bs_session_record_json(s, j.p + j.n, j.cap - j.n);
        if (w < 0)
            j.err = 1;
        else
            j.n += (size_t)w;
    }
    jput(&j, "}");
    /* The session buffers held encoded secrets. */
    bs_session_release(s);
    pol_wipe(s, sizeof *s);
    pol_wipe(msg, sizeof msg);
    free(s);
    if (j.err) {
        out[0] = 0;
        return POLICY_ERR_NOSPACE;
    }
    return (int)j.n;
}

char *policy_dry_run_alloc(const bs_plan_t *plan, const policy_client_t *client, bool reveal)
{
    for (size_t cap = 16384; cap <= (8u << 20); cap *= 2) {
        char *buf = malloc(cap);
        if (!buf) return NULL;
        int r = policy_dry_run(plan, client, reveal, buf, cap);
        if (r >= 0) return buf;
        free(buf);
        if (r != POLICY_ERR_NOSPACE) return NULL;
    }
    return NULL;
}
