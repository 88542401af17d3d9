/*
 * fuzz_unboot.c — libFuzzer target for the unbootstrap planner
 * (bsd/lwm2m/unboot.h), two ways in, chosen by bit 0 of the first byte:
 *
 *  even: bytes 1-2 pick two SSIDs to remove, the rest is the answer to a
 *        Bootstrap-Read of /2 as a client may send it. It is decoded by
 *        each of the three decoders (TLV, SenML JSON, SenML CBOR), read by
 *        unboot_acl_from_records and planned against servers 1..7 and 101.
 *  odd:  the rest is a compact client state (accounts, ACL instances,
 *        listed instances) and removal set, planned as it is — sometimes
 *        over its bounds, to reach the validation.
 *
 * Checks besides memory safety: a failed read leaves acl_known 0 and no
 * instances; a failed plan leaves an empty result; after a plan no ACL
 * entry or owner in "after" names a removed SSID, an elected owner is a
 * remaining server, every Write refers to its "after" instance, the
 * accounts' Deletes come last, "removed" and "absent" are ascending and
 * disjoint, planning is deterministic byte for byte, and the JSON of the
 * result fits a large buffer and reports NOSPACE for a small one that is
 * too short.
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
static char big[1 << 18], small[96];

/* A small SSID alphabet with the edges: 0..7, or 0, 65534, 65535, 101. */
static uint16_t ssid_of(uint8_t b)
{
    static const uint16_t edge[] = {0, 65534, 65535, 101};
    return (b & 8) ? edge[b & 3] : (uint16_t)(b & 7);
}

static int is_removed(uint16_t s)
{
    for (size_t k = 0; k < r1.nremoved; k++)
        if (r1.removed[k] == s) return 1;
    return 0;
}

static int has_server(uint16_t s)
{
    for (size_t i = 0; i < st.nsrv; i++)
        if (st.srv[i].ssid == s) return 1;
    return 0;
}

static void check_result(void)
{
    if (r1.nops > UNBOOT_MAX_OPS || r1.nafter > st.nacl || r1.nchanges > st.nacl) abort();
    if (!st.acl_known && (r1.nafter || r1.nchanges || !r1.acl_unknown)) abort();
    for (size_t k = 0; k < r1.nremoved; k++) {
        uint16_t s = r1.removed[k];
        if (s == 0 || s == UNBOOT_OWNER_BS || (k && r1.removed[k - 1] >= s)) abort();
    }
    for (size_t k = 0; k < r1.nabsent; k++)
        if (is_removed(r1.absent[k]) || (k && r1.absent[k - 1] >= r1.absent[k])) abort();
    for (size_t i = 0; i < r1.nafter; i++) {
        const unboot_acl_t *a = &r1.after[i];
        if (is_removed(a->owner) || (i && r1.after[i - 1].iid >= a->iid)) abort();
        for (unsigned e = 0; e < a->nent; e++)
            if (is_removed(a->ent[e].ssid)) abort();
    }
    for (size_t i = 0; i < r1.nchanges; i++) {
        const unboot_change_t *c = &r1.changes[i];
        if (c->owner_changed &&
            (c->owner_to == 0 || c->owner_to == UNBOOT_OWNER_BS || is_removed(c->owner_to) ||
             !has_server(c->owner_to) || !is_removed(c->owner_from) || c->score > 2))
            abort();
    }
    int accounts = 0;
    for (size_t i = 0; i < r1.nops; i++) {
        const unboot_op_t *o = &r1.ops[i];
        if (o->path.depth != 2) abort();
        if (o->kind == UNBOOT_OP_WRITE_ACL && (o->acl >= r1.nafter || r1.after[o->acl].iid != o->path.inst))
            abort();
        int acct = o->kind == UNBOOT_OP_DELETE && (o->path.obj == 0 || o->path.obj == 1);
        if (accounts && !acct) abort();
        accounts |= acct;
    }
    int w = unboot_result_json(&r1, 1, big, sizeof(big));
    if (w < 0 || (size_t)w != strlen(big)) abort();
    if (unboot_result_json(&r1, 1, big, (size_t)w) != LWM2M_ERR_NOSPACE) abort();
    int ws = unboot_result_json(&r1, 1, small, sizeof(small));
    if (ws != ((size_t)w < sizeof(small) ? w : LWM2M_ERR_NOSPACE)) abort();
    if (unboot_result_json(&r1, 0, big, sizeof(big)) < 0) abort();
}

static void plan_and_check(const uint16_t *rm, size_t nrm)
{
    int rc = unboot_plan(&st, rm, nrm, &r1);
    if (rc != 0) {
        if (rc != LWM2M_ERR_RANGE || r1.nops || r1.nafter || r1.nchanges || r1.nremoved || r1.nabsent)
            abort();
        return;
    }
    if (unboot_plan(&st, rm, nrm, &r2) != 0 || memcmp(&r1, &r2, sizeof(r1)) != 0) abort();
    check_result();
}

/* (a) a Read /2 answer through each decoder. */
static void read_answer(const uint8_t *data, size_t size)
{
    const uint8_t *in = data + 3;
    size_t len = size - 3;
    lwm2m_path_t base = lwm2m_path(1, 2, 0, 0, 0);
    uint16_t rm[2] = {ssid_of(data[1]), ssid_of(data[2])};
    for (int f = 0; f < 3; f++) {
        size_t n = 0;
        int r;
        if (f == 0) {
            r = tlv_decode(&base, in, len, recs, sizeof(recs) / sizeof(recs[0]), &n);
        } else if (f == 1) {
            r = senml_json_decode(&base, in, len, recs, sizeof(recs) / sizeof(recs[0]), scratch,
                                  sizeof(scratch));
            if (r >= 0) n = (size_t)r;
        } else {
            r = senml_cbor_decode(&base, in, len, recs, sizeof(recs) / sizeof(recs[0]), &n);
        }
        if (r < 0) continue;
        memset(&st, 0, sizeof(st));
        int na = unboot_acl_from_records(&st, recs, n);
        if (na < 0) {
            if (st.acl_known || st.nacl) abort();
            continue;
        }
        if (!st.acl_known || (size_t)na != st.nacl || st.nacl > UNBOOT_MAX_ACL) abort();
        static const uint16_t servers[] = {1, 2, 3, 4, 5, 6, 7, 101};
        st.sec[st.nsec++] = (unboot_account_t){0, 0};
        for (size_t i = 0; i < sizeof(servers) / sizeof(servers[0]); i++) {
            st.sec[st.nsec++] = (unboot_account_t){(uint16_t)(i + 1), servers[i]};
            st.srv[st.nsrv++] = (unboot_account_t){(uint16_t)i, servers[i]};
        }
        plan_and_check(rm, 2);
    }
}

/* A byte cursor that reads 0 past the end. */
typedef struct cur {
    const uint8_t *p;
    size_t n;
} cur_t;

static uint8_t next(cur_t *c)
{
    if (!c->n) return 0;
    c->n--;
    return *c->p++;
}

static void sort_entries(unboot_acl_t *a)
{
    for (unsigned i = 1; i < a->nent; i++)
        for (unsigned j = i; j > 0 && a->ent[j - 1].ssid > a->ent[j].ssid; j--) {
            unboot_entry_t t = a->ent[j];
            a->ent[j] = a->ent[j - 1];
            a->ent[j - 1] = t;
        }
    unsigned k = 0;
    for (unsigned i = 0; i < a->nent; i++)
        if (!k || a->ent[k - 1].ssid != a->ent[i].ssid) a->ent[k++] = a->ent[i];
    a->nent = (uint8_t)k;
}

/*
 * (b) The compact state: a header byte (bits 0-2 Server instances, 3-5
 * Security instances, 6 acl_known, 7 have_insts); per account one byte
 * (high nibble iid, low nibble SSID); a count of ACL instances (mod 33);
 * per instance iid (mod 32: sometimes twice), target (object from a short
 * list, instance 0..3 or object level), owner, entry count (mod 18, bit 7:
 * left unsorted) and per entry SSID and rights; a count of listed
 * instances (mod 8) with one target byte each; a count of SSIDs to remove
 * (mod 5, bit 7: 17, over the bound) with one byte each.
 */
static void compact_state(const uint8_t *data, size_t size)
{
    static const uint16_t objs[] = {0, 1, 2, 3, 21, 3303, 3304, 3305};
    cur_t c = {data, size};
    memset(&st, 0, sizeof(st));
    uint8_t h = next(&c);
    st.acl_known = (h >> 6) & 1;
    st.have_insts = h >> 7;
    for (unsigned i = 0; i < (h & 7u); i++) {
        uint8_t b = next(&c);
        st.srv[st.nsrv++] = (unboot_account_t){(uint16_t)(b >> 4), ssid_of(b & 15)};
    }
    for (unsigned i = 0; i < ((h >> 3) & 7u); i++) {
        uint8_t b = next(&c);
        st.sec[st.nsec++] = (unboot_account_t){(uint16_t)(b >> 4), ssid_of(b & 15)};
    }
    unsigned nacl = next(&c) % 33u;
    for (unsigned i = 0; i < nacl; i++) {
        unboot_acl_t *a = &st.acl[st.nacl++];
        a->iid = next(&c) % 32u;
        uint8_t t = next(&c);
        a->obj = objs[t & 7];
        a->inst = (t & 0x80) ? UNBOOT_INST_OBJECT : (uint16_t)((t >> 3) & 3);
        a->owner = ssid_of(next(&c));
        uint8_t ne = next(&c);
        a->nent = (uint8_t)((ne & 0x7f) % (UNBOOT_MAX_ENTRIES + 2));
        for (unsigned e = 0; e < a->nent && e < UNBOOT_MAX_ENTRIES; e++) {
            a->ent[e].ssid = ssid_of(next(&c));
            a->ent[e].rights = next(&c);
        }
        if (!(ne & 0x80) && a->nent <= UNBOOT_MAX_ENTRIES) sort_entries(a);
    }
    unsigned ni = next(&c) % 8u;
    for (unsigned i = 0; i < ni; i++) {
        uint8_t t = next(&c);
        st.insts[st.ninsts++] = lwm2m_path(2, objs[t & 7], (uint16_t)((t >> 3) & 3), 0, 0);
    }
    uint8_t nr = next(&c);
    size_t nrm = (nr & 0x80) ? UNBOOT_MAX_REMOVE + 1 : nr % 5u;
    uint16_t rm[UNBOOT_MAX_REMOVE + 1];
    for (size_t i = 0; i < nrm; i++)
        rm[i] = ssid_of(next(&c));
    plan_and_check(rm, nrm);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3 || size > 16384) return 0;
    if (data[0] & 1)
        compact_state(data + 1, size - 1);
    else
        read_answer(data, size);
    return 0;
}
