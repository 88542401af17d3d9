/*
 * planner.c — the plan sources behind planner.h. The plans-file source
 * matches the endpoint against the plans' globs and compiles the first
 * match; the policy source (added with bsd/policy) lives beside it.
 */
#include "bsd/planner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum planner_kind { PLANNER_FILE = 1 };

struct bsd_planner {
    enum planner_kind kind;
    bs_planfile_t *pf; /* PLANNER_FILE */
};

bsd_planner_t *bsd_planner_from_planfile(bs_planfile_t *pf)
{
    bsd_planner_t *p = calloc(1, sizeof(*p));
    if (!p) {
        bs_planfile_free(pf);
        return NULL;
    }
    p->kind = PLANNER_FILE;
    p->pf = pf;
    return p;
}

void bsd_planner_free(bsd_planner_t *p)
{
    if (!p) return;
    bs_planfile_free(p->pf);
    free(p);
}

int bsd_planner_plan(const bsd_planner_t *p, const creds_device_t *dev, bs_plan_t *out, char *err,
                     size_t errcap)
{
    if (errcap) err[0] = 0;
    if (!p || !dev) return BSD_PLANNER_NONE;
    const bs_planfile_plan_t *pp = bs_planfile_match(p->pf, dev->endpoint);
    if (!pp) return BSD_PLANNER_NONE;
    return bs_planfile_compile(pp, dev->endpoint, out, err, errcap) == 0 ? 0 : BSD_PLANNER_FAIL;
}

const char *bsd_planner_describe(const bsd_planner_t *p, char *buf, size_t cap)
{
    if (!p)
        snprintf(buf, cap, "no plans");
    else
        snprintf(buf, cap, "plans file (%zu plans)", bs_planfile_count(p->pf));
    return buf;
}
