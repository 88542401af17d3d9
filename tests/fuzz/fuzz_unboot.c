/*
 * fuzz_unboot.c — libFuzzer target for the unbootstrap planner's input
 * (bsd/lwm2m/unboot.h): the answer to a Bootstrap-Read of /2 as a client
 * may send it, decoded by each of the three content-format decoders and
 * read by unboot_acl_from_records, then planned against a few servers.
 *
 * Input: byte 0 picks the format (TLV, SenML JSON, SenML CBOR), bytes 1-2
 * the removal set (two SSIDs from 0..7 and 65534/65535 edge values), the
 * rest is the payload. Checks besides memory safety: after a plan no ACL
 * entry or owner in "after" names a removed SSID, every Write refers to an
 * "after" instance, Deletes of Server/Security instances come last, the
 * JSON of the result fits or reports NOSPACE, and planning is
 * deterministic.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bsd/lwm2m/senml_cbor.h"
#include "bsd/lwm2m/senml_json.h"
#include "bsd/lwm2m/tlv.h"
#include "bsd/lwm2m/unboot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unboot_state_t st;
static unboot_result_t r1, r2;
static lwm2m_record_t recs[4096];
static uint8_t scratch[65536];
static char js[1 << 17];

static uint16_t ssid_of(uint8_t b)
{
    static const uint16_t edge[] = {0, 65534, 65535, 101};
    return (b & 8) ? edge[b & 3] : (uint16_t)(b & 7);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3 || size > 16384) return 0;
    const uint8_t *in = data + 3;
    size_t len = size - 3, n = 0;
    lwm2m_path_t base = lwm2m_path(1, 2, 0, 0, 0);
    int r;
    switch (data[0] % 3) {
    case 0: r = tlv_decode(&base, in, len, recs, sizeof(recs) / sizeof(recs[0]), &n); break;
    case 1:
        r = senml_json_decode(&base, in, len, recs, sizeof(recs) / sizeof(recs[0]), scratch, sizeof(scratch));
        if (r >= 0) n = (size_t)r;
        break;
    default: r = senml_cbor_decode(&base, in, len, recs, sizeof(recs) / sizeof(recs[0]), &n); break;
    }
    if (r < 0) return 0;
    memset(&st, 0, sizeof(st));
    int na = unboot_acl_from_records(&st, recs, n);
    if (na < 0) {
        if (st.acl_known) abort();
        return 0;
    }
    if (!st.acl_known || (size_t)na != st.nacl || st.nacl > UNBOOT_MAX_ACL) abort();
    /* Servers 1..7 and 101, each with Security and Server instances. */
    static const uint16_t servers[] = {1, 2, 3, 4, 5, 6, 7, 101};
    st.sec[st.nsec++] = (unboot_account_t){0, 0};
    for (size_t i = 0; i < sizeof(servers) / sizeof(servers[0]); i++) {
        st.sec[st.nsec++] = (unboot_account_t){(uint16_t)(i + 1), servers[i]};
        st.srv[st.nsrv++] = (unboot_account_t){(uint16_t)i, servers[i]};
    }
    uint16_t rm[2] = {ssid_of(data[1]), ssid_of(data[2])};
    if (unboot_plan(&st, rm, 2, &r1) != 0) return 0;
    if (unboot_plan(&st, rm, 2, &r2) != 0 || memcmp(&r1, &r2, sizeof(r1)) != 0) abort();
    for (size_t i = 0; i < r1.nafter; i++) {
        const unboot_acl_t *a = &r1.after[i];
        for (size_t k = 0; k < r1.nremoved; k++) {
            if (a->owner == r1.removed[k]) abort();
            for (unsigned e = 0; e < a->nent; e++)
                if (a->ent[e].ssid == r1.removed[k]) abort();
        }
    }
    int accounts = 0;
    for (size_t i = 0; i < r1.nops; i++) {
        const unboot_op_t *o = &r1.ops[i];
        if (o->kind == UNBOOT_OP_WRITE_ACL && (o->acl >= r1.nafter || r1.after[o->acl].iid != o->path.inst))
            abort();
        int acct = o->kind == UNBOOT_OP_DELETE && (o->path.obj == 0 || o->path.obj == 1);
        if (accounts && !acct) abort();
        accounts |= acct;
    }
    int w = unboot_result_json(&r1, 1, js, sizeof(js));
    if (w < 0 || (size_t)w != strlen(js)) abort();
    if (unboot_result_json(&r1, 1, js, (size_t)w) != LWM2M_ERR_NOSPACE) abort();
    return 0;
}
