/*
 * sim_loop.c — the epoll loop that drives many simulated devices at once
 * (see sim_loop.h). Slots (device state, buffers, socket) are
 * allocated once and reused; per datagram nothing is allocated.
 */
#include "tools/sim/sim_loop.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "bsd/util/log.h"
#include "tools/sim/sim_dump.h"

typedef struct slot {
    sim_dev_t dev;
    sim_conn_t conn;
    int active;
} slot_t;

typedef struct run {
    sim_loop_t *l;
    int epfd;
    slot_t *slots;
    unsigned *free_idx; /* stack of free slot indices */
    unsigned nfree;
    sim_work_t *work;
    sim_text_t text;
    unsigned started, completed, active;
} run_t;

uint64_t sim_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void ep_name(const sim_cfg_t *c, unsigned idx, char *out, size_t cap)
{
    if (c->ep_prefix)
        snprintf(out, cap, "%s%u", c->ep_prefix, c->start_index + idx);
    else
        snprintf(out, cap, "%s", c->ep);
}

static uint32_t ms3(uint64_t a, uint64_t b)
{
    return b > a ? (uint32_t)((b - a) > UINT32_MAX ? UINT32_MAX : (b - a)) : 0;
}

/* One summary line and one dump line for a device that ended. */
static void report(run_t *r, const sim_dev_t *d)
{
    sim_report_t *rep = r->l->rep;
    const char *oname = sim_outcome_name((sim_outcome_t)d->outcome);
    char fc[8] = "-", rc[8] = "-";
    if (d->finish_code) snprintf(fc, sizeof(fc), "%u.%02u", d->finish_code >> 5, d->finish_code & 31u);
    if (d->req_code) snprintf(rc, sizeof(rc), "%u.%02u", d->req_code >> 5, d->req_code & 31u);
    if (rep->out) {
        sim_text_reset(&r->text);
        sim_text_printf(&r->text,
                        "device ep=%s outcome=%s request=%s finish=%s served=%u discover=%u read=%u write=%u "
                        "delete=%u blocks=%u dups=%u",
                        d->ep, oname, rc, fc, d->served, d->n_discover, d->n_read, d->n_write, d->n_delete,
                        d->n_blocks, d->n_dups);
        if (d->t_secure && d->t_secure > d->t_start && r->l->cfg->sec != SIM_SEC_NOSEC)
            sim_text_printf(&r->text, " handshake_ms=%.3f", (double)(d->t_secure - d->t_start) / 1000.0);
        if (d->t_request && d->t_end > d->t_request)
            sim_text_printf(&r->text, " session_ms=%.3f", (double)(d->t_end - d->t_request) / 1000.0);
        if (d->detail[0]) {
            sim_text_printf(&r->text, " detail=");
            sim_text_json_str(&r->text, (const uint8_t *)d->detail, strlen(d->detail));
        }
        sim_text_printf(&r->text, "\n");
        if (!r->text.err) {
            pthread_mutex_lock(&rep->mu);
            fwrite(r->text.p, 1, r->text.len, rep->out);
            pthread_mutex_unlock(&rep->mu);
        }
    }
    if (rep->dump) {
        sim_text_reset(&r->text);
        sim_dump_device(&r->text, &d->store, d->ep, oname, d->finish_code, d->detail);
        sim_text_printf(&r->text, "\n");
        if (!r->text.err) {
            pthread_mutex_lock(&rep->mu);
            fwrite(r->text.p, 1, r->text.len, rep->dump);
            pthread_mutex_unlock(&rep->mu);
        }
    }
}

static void finish_slot(run_t *r, slot_t *s, uint64_t now)
{
    sim_dev_t *d = &s->dev;
    sim_stats_t *st = &r->l->st;
    if (d->outcome == SIM_OUT_RUNNING) sim_dev_end(d, SIM_OUT_ERROR, "released while running", now);
    if (s->conn.icmp_errors && d->outcome != SIM_OUT_FINISHED) {
        size_t l = strlen(d->detail);
        snprintf(d->detail + l, sizeof(d->detail) - l, "%sicmp port unreachable x%u", l ? "; " : "",
                 s->conn.icmp_errors);
    }
    st->outcomes[d->outcome]++;
    if ((r->l->cfg->expect_mask & (1u << d->outcome)) && d->t_request && d->t_end >= d->t_request)
        st->lat_us[st->nlat++] = ms3(d->t_request, d->t_end);
    if (d->t_secure && s->conn.ssl) st->hs_us[st->nhs++] = ms3(d->t_start, d->t_secure);
    if (d->t_end > st->t_last_us) st->t_last_us = d->t_end;
    report(r, d);
    /* An orderly end says goodbye; a device that vanished or gave up just
     * goes quiet, as a real one would. */
    sim_outcome_t o = (sim_outcome_t)d->outcome;
    sim_conn_close(&s->conn, !(o == SIM_OUT_VANISHED || o == SIM_OUT_TIMEOUT ||
                               o == SIM_OUT_REQUEST_TIMEOUT || o == SIM_OUT_CLOSED));
    s->active = 0;
    r->free_idx[r->nfree++] = (unsigned)(s - r->slots);
    r->active--;
    r->completed++;
}

static void start_slot(run_t *r, unsigned k, uint64_t now)
{
    sim_loop_t *l = r->l;
    slot_t *s = &r->slots[r->free_idx[--r->nfree]];
    char ep[SIM_EP_MAX + 1], err[160];
    ep_name(l->cfg, l->first + k * l->stride, ep, sizeof(ep));
    s->active = 1;
    r->active++;
    r->started++;
    if (!l->st.t_first_us) l->st.t_first_us = now;
    sim_dev_reset(&s->dev, ep, l->seed ^ (k * 2654435761u), now);
    int fd = sim_conn_open(&s->conn, l->tls, err, sizeof(err));
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = s};
    if (fd >= 0 && epoll_ctl(r->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
        snprintf(err, sizeof(err), "epoll_ctl: %s", strerror(errno));
        fd = -1;
    }
    if (fd < 0) {
        sim_dev_end(&s->dev, SIM_OUT_ERROR, err, now);
        finish_slot(r, s, now);
        return;
    }
    sim_conn_start(&s->conn, now);
    if (sim_dev_released(&s->dev, now)) finish_slot(r, s, now);
}

static int setup(run_t *r)
{
    sim_loop_t *l = r->l;
    memset(&l->st, 0, sizeof(l->st));
    r->epfd = epoll_create1(EPOLL_CLOEXEC);
    r->slots = calloc(l->conc, sizeof(*r->slots));
    r->free_idx = calloc(l->conc, sizeof(*r->free_idx));
    r->work = malloc(sizeof(*r->work));
    l->st.lat_us = calloc(l->total ? l->total : 1, sizeof(uint32_t));
    l->st.hs_us = calloc(l->total ? l->total : 1, sizeof(uint32_t));
    if (r->epfd < 0 || !r->slots || !r->free_idx || !r->work || !l->st.lat_us || !l->st.hs_us) return -1;
    for (unsigned i = 0; i < l->conc; i++) {
        slot_t *s = &r->slots[i];
        s->dev.cfg = l->cfg;
        s->dev.work = r->work;
        s->dev.tx = sim_conn_tx;
        s->dev.tx_ctx = &s->conn;
        s->conn.dev = &s->dev;
        s->conn.fd = -1;
        sim_store_init(&s->dev.store, l->cfg->store_flags);
        r->free_idx[i] = l->conc - 1 - i;
    }
    r->nfree = l->conc;
    return 0;
}

static void teardown(run_t *r)
{
    for (unsigned i = 0; r->slots && i < r->l->conc; i++) {
        sim_conn_close(&r->slots[i].conn, 1);
        sim_store_free(&r->slots[i].dev.store);
        free(r->slots[i].dev.body);
    }
    free(r->slots);
    free(r->free_idx);
    free(r->work);
    sim_text_free(&r->text);
    if (r->epfd >= 0) close(r->epfd);
}

int sim_loop_run(sim_loop_t *l)
{
    run_t r;
    memset(&r, 0, sizeof(r));
    r.l = l;
    r.epfd = -1;
    if (l->conc == 0) l->conc = 1;
    if (setup(&r) != 0) {
        snprintf(l->err, sizeof(l->err), "out of memory or epoll: %s", strerror(errno));
        teardown(&r);
        return -1;
    }
    struct epoll_event evs[SIM_MAX_EVENTS];
    uint64_t t0 = sim_now_us(), next_scan = t0;
    while (r.completed < l->total) {
        uint64_t now = sim_now_us();
        if (*l->stop) {
            for (unsigned i = 0; i < l->conc; i++)
                if (r.slots[i].active) {
                    sim_dev_end(&r.slots[i].dev, SIM_OUT_ERROR, "interrupted", now);
                    finish_slot(&r, &r.slots[i], now);
                }
            break;
        }
        double allowed = l->rate > 0 ? (double)(now - t0) / 1e6 * l->rate + 1.0 : 1e18;
        while (r.active < l->conc && r.started < l->total && (double)r.started < allowed)
            start_slot(&r, r.started, now);
        int timeout = r.active || r.started < l->total ? (int)(SIM_SCAN_US / 1000u) : 0;
        int n = epoll_wait(r.epfd, evs, SIM_MAX_EVENTS, timeout);
        now = sim_now_us();
        for (int i = 0; i < n; i++) {
            slot_t *s = evs[i].data.ptr;
            if (!s->active) continue;
            sim_conn_readable(&s->conn, r.work->rx, sizeof(r.work->rx));
            now = sim_now_us();
            if (sim_dev_released(&s->dev, now)) finish_slot(&r, s, now);
        }
        if (now < next_scan) continue;
        next_scan = now + SIM_SCAN_US;
        for (unsigned i = 0; i < l->conc; i++) {
            slot_t *s = &r.slots[i];
            if (!s->active) continue;
            sim_conn_timer(&s->conn, now);
            if (now >= sim_dev_deadline(&s->dev)) sim_dev_timer(&s->dev, now);
            if (sim_dev_released(&s->dev, now)) finish_slot(&r, s, now);
        }
    }
    teardown(&r);
    return 0;
}
