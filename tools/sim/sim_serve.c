/*
 * sim_serve.c — the simulated client's answers to Bootstrap-Server requests
 * (Transport 1.1.1 Table 6.4.2-1): Discover, Read, Write (with Block1
 * reassembly), Delete and Finish, in the dialect chosen on the command
 * line. Deduplication and message routing are in sim_coap.c.
 */
#include "tools/sim/sim.h"

#include <stdio.h>
#include <string.h>

#include "bsd/util/log.h"
#include "tools/sim/sim_formats.h"

typedef struct reply {
    coap_builder_t b;
    uint8_t type, code;
    uint16_t mid;
    const coap_msg_t *req;
    uint8_t *out;
    size_t cap;
} reply_t;

/* Restarts the reply as a bare |code| (options written so far dropped). */
static void reply_code(reply_t *r, uint8_t code)
{
    r->code = code;
    coap_build_init(&r->b, r->out, r->cap, r->type, code, r->mid, r->req->token, r->req->tkl);
}

/* Writes |body| as the payload, or the Block2 slice the request asks for
 * (RFC 7959 §2.4); large bodies are cut into blocks unless --no-block. */
static void put_body(sim_dev_t *d, reply_t *r, const uint8_t *body, size_t len, uint16_t cf)
{
    coap_block_t want, got;
    size_t off, n;
    int have_want = 0;
    if (!d->cfg->no_block) {
        int br = coap_block_get(r->req, COAP_OPT_BLOCK2, &want);
        if (br == 0)
            have_want = 1;
        else if (br != COAP_ERR_NOTFOUND) {
            reply_code(r, COAP_BAD_REQUEST);
            return;
        }
    }
    int s = d->cfg->no_block
                ? 0
                : coap_block2_slice(len, have_want ? &want : NULL, d->cfg->block, &got, &off, &n);
    if (s < 0) {
        reply_code(r, COAP_BAD_REQUEST);
        return;
    }
    coap_build_opt_uint(&r->b, COAP_OPT_CONTENT_FORMAT, cf);
    if (s == 0) {
        coap_build_payload(&r->b, body, len);
        return;
    }
    coap_build_opt_uint(&r->b, COAP_OPT_BLOCK2, coap_block_encode(&got));
    if (got.num == 0) coap_build_opt_uint(&r->b, COAP_OPT_SIZE2, (uint32_t)len);
    coap_build_payload(&r->b, body + off, n);
}

static void do_discover(sim_dev_t *d, reply_t *r, const lwm2m_path_t *p)
{
    d->n_discover++;
    int n = sim_discover(&d->store, d->cfg->dialect, d->cfg->minor, p, (char *)d->work->body, SIM_BODY_MAX);
    if (n == SIM_DISC_ERR_PATH) {
        reply_code(r, COAP_BAD_REQUEST);
        return;
    }
    if (n == SIM_DISC_ERR_NOTFOUND) {
        reply_code(r, COAP_NOT_FOUND);
        return;
    }
    if (n < 0) {
        reply_code(r, COAP_INTERNAL_SERVER_ERROR);
        return;
    }
    r->code = COAP_CONTENT;
    put_body(d, r, d->work->body, (size_t)n, COAP_CF_LINK_FORMAT);
}

static int cf_accepted(const sim_dev_t *d, uint32_t cf)
{
    for (size_t i = 0; i < d->cfg->naccept; i++)
        if (d->cfg->accept_cf[i] == cf) return sim_fmt_available((uint16_t)cf);
    return 0;
}

/* Bootstrap-Read: /1 and /2 (and their instances) only, as Wakaama and
 * Anjay allow; other objects get 4.00 (Wakaama) or 4.05 (Anjay). */
static void do_read(sim_dev_t *d, reply_t *r, const lwm2m_path_t *p)
{
    const sim_cfg_t *c = d->cfg;
    d->n_read++;
    if (c->minor == 0) {
        reply_code(r, COAP_METHOD_NOT_ALLOWED);
        return;
    } /* no Bootstrap-Read in 1.0 */
    if (p->depth == 0 || p->depth > 2 || (p->obj != SIM_OBJ_SERVER && p->obj != SIM_OBJ_ACL)) {
        reply_code(r, c->dialect == SIM_DIALECT_ANJAY && p->depth <= 2 ? COAP_METHOD_NOT_ALLOWED
                                                                       : COAP_BAD_REQUEST);
        return;
    }
    if (p->depth == 2 && !sim_store_has_inst(&d->store, p->obj, p->inst)) {
        reply_code(r, COAP_NOT_FOUND);
        return;
    }
    uint32_t cf;
    if (coap_opt_uint(coap_opt_get(r->req, COAP_OPT_ACCEPT), &cf) == 0) {
        if (!cf_accepted(d, cf)) {
            reply_code(r, COAP_NOT_ACCEPTABLE);
            return;
        }
    } else {
        cf = c->pct >= 0 && cf_accepted(d, (uint32_t)c->pct) ? (uint32_t)c->pct : COAP_CF_LWM2M_TLV;
    }
    size_t n;
    if (sim_store_collect(&d->store, p, d->work->recs, SIM_MAX_RECS, &n) != 0) {
        reply_code(r, COAP_INTERNAL_SERVER_ERROR);
        return;
    }
    int len = sim_fmt_encode((uint16_t)cf, p, d->work->recs, n, d->work->body, SIM_BODY_MAX);
    if (len == SIM_FMT_UNSUPPORTED) {
        reply_code(r, COAP_NOT_ACCEPTABLE);
        return;
    }
    if (len < 0) {
        reply_code(r, COAP_INTERNAL_SERVER_ERROR);
        return;
    }
    r->code = COAP_CONTENT;
    put_body(d, r, d->work->body, (size_t)len, (uint16_t)cf);
}

static uint8_t store_code(int rc, uint8_t ok)
{
    switch (rc) {
    case 0: return ok;
    case SIM_ST_ERR_EXEC:
    case SIM_ST_ERR_STAT: return COAP_METHOD_NOT_ALLOWED;
    case SIM_ST_ERR_NOENT: return COAP_NOT_FOUND;
    case SIM_ST_ERR_FULL: return COAP_INTERNAL_SERVER_ERROR;
    default: return COAP_BAD_REQUEST;
    }
}

/* Bootstrap-Write, after Block1 reassembly: |body| is the whole payload. */
static uint8_t apply_write(sim_dev_t *d, const coap_msg_t *m, const lwm2m_path_t *p, const uint8_t *body,
                           size_t len)
{
    const sim_cfg_t *c = d->cfg;
    uint32_t cf;
    if (p->depth == 0) return COAP_BAD_REQUEST;
    for (size_t i = 0; i < c->nfail; i++)
        if (lwm2m_path_cmp(&c->fail[i].path, p) == 0) return c->fail[i].code;
    if (coap_opt_uint(coap_opt_get(m, COAP_OPT_CONTENT_FORMAT), &cf) != 0) return COAP_BAD_REQUEST;
    if (!cf_accepted(d, cf)) return COAP_UNSUPPORTED_CONTENT_FORMAT;
    size_t n;
    sim_work_t *w = d->work;
    int rc =
        sim_fmt_decode((uint16_t)cf, p, body, len, w->recs, SIM_MAX_RECS, &n, w->scratch, sizeof(w->scratch));
    if (rc == LWM2M_ERR_NOSPACE) return COAP_REQUEST_ENTITY_TOO_LARGE;
    if (rc != 0) return COAP_BAD_REQUEST;
    return store_code(sim_store_write(&d->store, p, w->recs, n), COAP_CHANGED);
}

static void do_write(sim_dev_t *d, reply_t *r, const lwm2m_path_t *p, uint64_t now_us)
{
    const sim_cfg_t *c = d->cfg;
    const coap_msg_t *m = r->req;
    coap_block_t ctl;
    if (coap_opt_get(m, COAP_OPT_BLOCK1)) {
        d->n_blocks++;
        if (c->no_block) {
            /* RFC 7959 §2.9.3: too large for us, and no block-wise. */
            reply_code(r, COAP_REQUEST_ENTITY_TOO_LARGE);
            coap_build_opt_uint(&r->b, COAP_OPT_SIZE1, c->block);
            return;
        }
        if (!sim_dev_body(d)) {
            reply_code(r, COAP_INTERNAL_SERVER_ERROR);
            return;
        }
        switch (coap_block1_rx_feed(&d->b1, m, now_us / 1000u)) {
        case COAP_B1_CONTINUE:
            reply_code(r, COAP_CONTINUE);
            coap_block1_rx_response(&d->b1, &ctl);
            coap_build_opt_uint(&r->b, COAP_OPT_BLOCK1, coap_block_encode(&ctl));
            return;
        case COAP_B1_COMPLETE:
            d->n_write++;
            reply_code(r, apply_write(d, m, p, d->b1.buf, d->b1.len));
            coap_block1_rx_response(&d->b1, &ctl);
            coap_build_opt_uint(&r->b, COAP_OPT_BLOCK1, coap_block_encode(&ctl));
            coap_block1_rx_reset(&d->b1);
            return;
        case COAP_B1_INCOMPLETE: {
            reply_code(r, COAP_REQUEST_ENTITY_INCOMPLETE);
            return;
        }
        case COAP_B1_TOO_LARGE:
            reply_code(r, COAP_REQUEST_ENTITY_TOO_LARGE);
            coap_build_opt_uint(&r->b, COAP_OPT_SIZE1, SIM_BODY_MAX);
            return;
        default: {
            reply_code(r, COAP_BAD_REQUEST);
            return;
        }
        }
    }
    d->n_write++;
    if (c->no_block && m->payload_len > c->block) {
        reply_code(r, COAP_REQUEST_ENTITY_TOO_LARGE);
        coap_build_opt_uint(&r->b, COAP_OPT_SIZE1, c->block);
        return;
    }
    reply_code(r, apply_write(d, m, p, m->payload, m->payload_len));
}

static void do_delete(sim_dev_t *d, reply_t *r, const lwm2m_path_t *p)
{
    d->n_delete++;
    reply_code(r, store_code(sim_store_delete(&d->store, p), COAP_DELETED));
}

static void do_finish(sim_dev_t *d, reply_t *r, uint64_t now_us)
{
    char why[96];
    if (sim_store_validate(&d->store, why, sizeof(why)) == 0) {
        reply_code(r, COAP_CHANGED);
        d->finish_code = COAP_CHANGED;
        sim_dev_end(d, SIM_OUT_FINISHED, NULL, now_us);
    } else {
        reply_code(r, COAP_NOT_ACCEPTABLE);
        d->finish_code = COAP_NOT_ACCEPTABLE;
        sim_dev_end(d, SIM_OUT_FINISH_REJECTED, why, now_us);
    }
}

size_t sim_dev_serve(sim_dev_t *d, const coap_msg_t *m, uint64_t now_us, uint8_t *out, size_t cap)
{
    reply_t r = {.type = m->type == COAP_TYPE_CON ? COAP_TYPE_ACK : COAP_TYPE_NON,
                 .mid = m->type == COAP_TYPE_CON ? m->mid : coap_mid_next(&d->midgen),
                 .req = m,
                 .out = out,
                 .cap = cap};
    char path[64];
    lwm2m_path_t p;
    reply_code(&r, COAP_CONTENT);
    if (coap_msg_unknown_critical(m)) {
        reply_code(&r, COAP_BAD_OPTION);
    } else if (coap_uri_path_equals(m, "bs")) {
        if (m->code == COAP_POST)
            do_finish(d, &r, now_us);
        else
            reply_code(&r, COAP_METHOD_NOT_ALLOWED);
    } else if (coap_uri_path_join(m, path, sizeof(path)) < 0 ||
               lwm2m_path_parse(path, strlen(path), &p) != 0) {
        reply_code(&r, COAP_NOT_FOUND);
    } else if (m->code == COAP_GET) {
        uint32_t accept;
        if (coap_opt_uint(coap_opt_get(m, COAP_OPT_ACCEPT), &accept) == 0 && accept == COAP_CF_LINK_FORMAT)
            do_discover(d, &r, &p);
        else
            do_read(d, &r, &p);
    } else if (m->code == COAP_PUT) {
        do_write(d, &r, &p, now_us);
    } else if (m->code == COAP_DELETE) {
        do_delete(d, &r, &p);
    } else {
        reply_code(&r, COAP_METHOD_NOT_ALLOWED); /* Execute, Create, … are not Bootstrap operations */
    }
    int n = coap_build_finish(&r.b);
    if (n < 0) {
        reply_code(&r, COAP_INTERNAL_SERVER_ERROR);
        n = coap_build_finish(&r.b);
    }
    if (log_enabled(BSD_LOG_DEBUG)) {
        static const char *const meth[] = {"?", "GET", "POST", "PUT", "DELETE", "FETCH"};
        char pq[64] = "";
        coap_uri_path_join(m, pq, sizeof(pq));
        log_msg(BSD_LOG_DEBUG, "sim.request", "ep=%s method=%s path=%s code=%u.%02u", d->ep,
                meth[m->code <= 5 ? m->code : 0], pq[0] ? pq : "/", r.code >> 5, r.code & 31u);
    }
    return n > 0 ? (size_t)n : 0;
}
