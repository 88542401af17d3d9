/*
 * fuzz_db_policy_ops.c — libFuzzer target for the Access Control table a
 * dry run takes from its caller or from a stored session record
 * (db_policy_acl_parse, bsd/db/db_policy_ops.h).
 *
 * Checks besides memory safety: a parsed table has at most the capacity,
 * entries sorted and unique; turned into the SenML JSON answer to a Read
 * of /2 (db_policy_acl_senml) and decoded back the way the engine does
 * (senml_json_decode + unboot_acl_from_records), it is the same table.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bsd/db/db_policy_ops.h"
#include "bsd/lwm2m/senml_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unboot_acl_t acl[UNBOOT_MAX_ACL];
static unboot_state_t st;
static lwm2m_record_t recs[UNBOOT_MAX_ACL * (3 + UNBOOT_MAX_ENTRIES)];

static int cmp_iid(const void *a, const void *b)
{
    const unboot_acl_t *x = a, *y = b;
    return (int)x->iid - (int)y->iid;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536) return 0;
    char *s = malloc(size + 1);
    if (!s) return 0;
    memcpy(s, data, size);
    s[size] = 0;
    char err[256];
    size_t cap = 1 + (size % UNBOOT_MAX_ACL);
    int n = db_policy_acl_parse(s, acl, cap, err, sizeof(err));
    free(s);
    if (n < 0) return 0;
    if ((size_t)n > cap) abort();
    for (int i = 0; i < n; i++)
        for (unsigned k = 1; k < acl[i].nent; k++)
            if (acl[i].ent[k - 1].ssid >= acl[i].ent[k].ssid) abort();
    char *senml = db_policy_acl_senml(acl, (size_t)n);
    if (!senml) return 0; /* a table too large to answer with */
    size_t len = strlen(senml);
    uint8_t *scratch = malloc(len + 1);
    if (!scratch) abort();
    lwm2m_path_t base = lwm2m_path(1, 2, 0, 0, 0);
    int nr = senml_json_decode(&base, (const uint8_t *)senml, len, recs, sizeof(recs) / sizeof(recs[0]),
                               scratch, len + 1);
    if (nr < 0) abort();
    memset(&st, 0, sizeof(st));
    int na = unboot_acl_from_records(&st, recs, (size_t)nr);
    if (na != n || !st.acl_known) abort();
    qsort(acl, (size_t)n, sizeof(acl[0]), cmp_iid);
    qsort(st.acl, st.nacl, sizeof(st.acl[0]), cmp_iid);
    for (int i = 0; i < n; i++) {
        const unboot_acl_t *a = &acl[i], *b = &st.acl[i];
        if (a->iid != b->iid || a->obj != b->obj || a->inst != b->inst || a->owner != b->owner ||
            a->nent != b->nent)
            abort();
        for (unsigned k = 0; k < a->nent; k++)
            if (a->ent[k].ssid != b->ent[k].ssid || a->ent[k].rights != b->ent[k].rights) abort();
    }
    free(scratch);
    free(senml);
    return 0;
}
