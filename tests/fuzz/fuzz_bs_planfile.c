/*
 * fuzz_bs_planfile.c — libFuzzer target for the plans file parser and the
 * plan compiler (bsd/lwm2m/bs_planfile.c).
 *
 * Every input is parsed; a refused one must leave a message naming the
 * file. Every plan of an accepted one is matched and compiled for a short
 * and for a long endpoint name, and the compiled bs_plan_t is checked
 * against what the engine relies on (bs_plan.h): records lie under their
 * operation's path with the same slot marker, sorted, inside the record
 * array; value bytes lie inside plan->bytes; one Finish, last.
 */
#include "bsd/lwm2m/bs_planfile.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bs_plan_t out, again;

static int has_bytes(lwm2m_type_t t)
{
    return t == LWM2M_T_STRING || t == LWM2M_T_OPAQUE || t == LWM2M_T_CORELNK;
}

static void check_plan(const bs_plan_t *p)
{
    if (p->nops == 0 || p->nops > BS_PLAN_MAX_OPS || p->nrecs > BS_PLAN_MAX_RECS ||
        p->nbytes > BS_PLAN_MAX_BYTES)
        abort();
    if (p->name[0] == '\0' || memchr(p->name, '\0', sizeof p->name) == NULL) abort();
    if (p->timeout_ms > BS_PLANFILE_TIMEOUT_MAX * 1000u) abort();
    size_t next = 0; /* writes' records are consecutive, in operation order */
    for (size_t i = 0; i < p->nops; i++) {
        const bs_op_t *op = &p->ops[i];
        if ((op->kind == BS_OP_FINISH) != (i + 1 == p->nops)) abort();
        if (BS_INST_IS_SLOT(op->path.inst) && op->path.depth >= 2 && op->path.obj > 1) abort();
        if (op->kind != BS_OP_WRITE) {
            if (op->nrecs != 0) abort();
            continue;
        }
        if (op->path.depth < 2 || op->path.depth > 3 || op->nrecs == 0 || op->first_rec != next ||
            op->nrecs > p->nrecs - op->first_rec)
            abort();
        next += op->nrecs;
        for (size_t k = op->first_rec; k < op->first_rec + op->nrecs; k++) {
            const lwm2m_record_t *r = &p->recs[k];
            if (r->path.depth < 3 || r->path.depth > 4 || !lwm2m_path_under(&r->path, &op->path) ||
                r->path.inst != op->path.inst)
                abort();
            if (k > op->first_rec && lwm2m_path_cmp(&p->recs[k - 1].path, &r->path) >= 0) abort();
            if (r->v.type == LWM2M_T_NONE || r->v.type == LWM2M_T_RAW) abort();
            if (has_bytes(r->v.type) && (r->v.bytes.p < p->bytes || r->v.bytes.len > p->nbytes ||
                                         (size_t)(r->v.bytes.p - p->bytes) > p->nbytes - r->v.bytes.len))
                abort();
            if (((r->path.obj == 0 && r->path.res == 10) || (r->path.obj == 1 && r->path.res == 0)) &&
                r->path.depth == 3 && (r->v.type != LWM2M_T_INTEGER || r->v.i < 1 || r->v.i > 65534))
                abort();
        }
    }
    if (next != p->nrecs) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char long_ep[300];
    char err[BS_PLANFILE_ERR_MAX];
    if (long_ep[0] == '\0') memset(long_ep, 'e', sizeof long_ep - 1);

    bs_planfile_t *pf = bs_planfile_parse("fuzz.json", (const char *)data, size, err, sizeof err);
    if (pf == NULL) {
        /* BS_PLANFILE_ERR_MAX fits any message for a name of up to 100 bytes: never cut here */
        if (strncmp(err, "fuzz.json", 9) != 0 || strlen(err) + (100 - 9) >= BS_PLANFILE_ERR_MAX - 1) abort();
        return 0;
    }
    size_t n = bs_planfile_count(pf);
    if (n == 0 || n > BS_PLANFILE_MAX_PLANS) abort();
    const bs_planfile_plan_t *m = bs_planfile_match(pf, "dev-1");
    for (size_t i = 0; i < n; i++) {
        const bs_planfile_plan_t *p = bs_planfile_plan_at(pf, i);
        if (m == p) m = NULL; /* the match is one of the plans */
        if (bs_planfile_compile(p, "dev-1", &out, err, sizeof err) == 0) {
            check_plan(&out);
            if (strcmp(out.name, bs_planfile_plan_name(p)) != 0 || out.version != bs_planfile_plan_version(p))
                abort();
            /* pure: the same input gives the same plan */
            if (bs_planfile_compile(p, "dev-1", &again, NULL, 0) != 0 ||
                memcmp(out.bytes, again.bytes, sizeof out.bytes) != 0 ||
                memcmp(out.ops, again.ops, sizeof out.ops) != 0)
                abort();
        } else if (strncmp(err, "plan ", 5) != 0) {
            abort();
        }
        int rc = bs_planfile_compile(p, long_ep, &out, NULL, 0);
        if (rc == 0)
            check_plan(&out);
        else if (rc != LWM2M_ERR_LIMIT || out.nrecs != 0)
            abort();
    }
    if (m != NULL) abort();
    bs_planfile_free(pf);
    return 0;
}
