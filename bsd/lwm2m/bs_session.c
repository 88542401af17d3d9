/*
 * bs_session.c — the bootstrap session engine (see bs_session.h).
 *
 * Steps are played strictly in plan order. Each step is prepared (placement
 * resolved, payload encoded, first request built) when the previous one
 * ends, sent by bs_session_poll(), and completed by the final response from
 * bs_session_on_message(), possibly after several block exchanges.
 */
#include "bsd/lwm2m/bs_session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bsd/lwm2m/linkfmt.h"
#include "bsd/lwm2m/lwm2m_objects.h"
#include "bsd/lwm2m/senml_cbor.h"
#include "bsd/lwm2m/senml_json.h"
#include "bsd/lwm2m/tlv.h"
#include "bsd/lwm2m/unboot.h"

/* Room kept for header, token and options ahead of a payload. */
#define REQ_HEADROOM 64
#define UNASSIGNED   0xffffu
#define NO_CF        0xffffu

#define UB_RECS      (3 + UNBOOT_MAX_ENTRIES) /* records of one ACL instance write */
#define UB_READ_RECS (BS_BUF_MAX / 2)         /* records a Read /2 answer can hold (>= 2 bytes each) */

/*
 * An unbootstrap in progress (bs_plan_t.unboot): the client's state as
 * Discover and Read /2 showed it, the planner's result, and the step being
 * played. Allocated only when the client has an account to remove.
 */
typedef struct bs_unboot {
    unboot_state_t st;
    unboot_result_t res;
    uint16_t req[BS_PLAN_MAX_REMOVE]; /* SSIDs asked for (present on the client or not) */
    size_t nreq;
    uint8_t reading;   /* the current step is Read /2 */
    uint8_t read_code; /* its answer; 0 none */
    uint8_t planned;   /* unboot_plan ran */
    uint8_t bounds;    /* the state was over the planner's bounds: nothing done */
    size_t next;       /* next of res.ops */
    unsigned ok;       /* ops that succeeded */
    bs_op_t op;        /* the current step */
    lwm2m_record_t recs[UB_RECS];
    bs_step_t steps[UNBOOT_MAX_OPS + 1];
    size_t nsteps;
} bs_unboot_t;

static uint32_t rnd_next(bs_session_t *s)
{
    /* xorshift32: jitter only, not security relevant */
    uint32_t x = s->rnd;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    s->rnd = x;
    return x;
}

const char *bs_outcome_name(bs_outcome_t o)
{
    switch (o) {
    case BS_OUTCOME_RUNNING: return "running";
    case BS_OUTCOME_FINISHED: return "finished";
    case BS_OUTCOME_FINISHED_WITH_ERRORS: return "finished-with-errors";
    case BS_OUTCOME_FINISH_REJECTED: return "finish-rejected";
    case BS_OUTCOME_TIMED_OUT: return "timed-out";
    case BS_OUTCOME_REPLACED: return "replaced";
    }
    return "unknown";
}

static const char *op_name(int k)
{
    switch (k) {
    case BS_OP_DISCOVER: return "discover";
    case BS_OP_READ: return "read";
    case BS_OP_DELETE: return "delete";
    case BS_OP_WRITE: return "write";
    case BS_OP_FINISH: return "finish";
    }
    return "unknown";
}

static void finish(bs_session_t *s, bs_outcome_t o, const char *reason)
{
    s->outcome = o;
    s->reason = reason;
    s->in_flight = 0;
    s->send_now = 0;
    coap_xmit_cancel(&s->xmit);
}

/* The operation being played: the plan's, or one the unbootstrap planned. */
static const bs_op_t *cur_op(const bs_session_t *s)
{
    return s->ub_active ? &s->ub->op : &s->plan->ops[s->op];
}

/* The records |op|'s first_rec/nrecs index into, and how many there are. */
static const lwm2m_record_t *op_recs(const bs_session_t *s, const bs_op_t *op, size_t *total)
{
    if (s->ub && op == &s->ub->op) {
        *total = UB_RECS;
        return s->ub->recs;
    }
    *total = s->plan->nrecs;
    return s->plan->recs;
}

/* ---- placement ------------------------------------------------------------ */

static int seen_has(const bs_session_t *s, int o, uint16_t id)
{
    for (unsigned i = 0; i < s->nseen[o]; i++)
        if (s->seen[o][i] == id) return 1;
    return 0;
}

/* A Security instance the client listed without ssid: a Bootstrap-Server
 * account, which Delete / keeps and placement must never overwrite. */
static int is_bs_account(const bs_session_t *s, uint16_t id)
{
    for (unsigned i = 0; i < s->nseen[0]; i++)
        if (s->seen[0][i] == id && s->seen_ssid[0][i] == 0) return 1;
    return 0;
}

static int slot_taken(const bs_session_t *s, int o, uint16_t id)
{
    for (unsigned n = 0; n < BS_PLAN_MAX_SLOTS; n++)
        if (s->slot_inst[o][n] == id) return 1;
    return 0;
}

/*
 * The instance ID for placement slot |n| of object |obj| (0 or 1): the
 * lowest ID that is not the client's Bootstrap-Server account, not taken by
 * another slot and, unless the plan already deleted that object, not an
 * instance the client listed. Without a Discover answer the Security
 * object starts at 2, clear of both conventions in the field (Wakaama keeps
 * its BS account at /0/0, Anjay at /0/1).
 */
static uint16_t resolve_slot(bs_session_t *s, uint16_t obj, unsigned n, int deleted, uint16_t ssid)
{
    int o = obj == 0 ? 0 : 1;
    if (s->slot_inst[o][n] != UNASSIGNED) return s->slot_inst[o][n];
    /* An account of the same server the client still has is rewritten in
     * place rather than duplicated (two Server instances with one SSID). */
    if (!deleted && ssid)
        for (unsigned i = 0; i < s->nseen[o]; i++)
            if (s->seen_ssid[o][i] == ssid && !slot_taken(s, o, s->seen[o][i]) &&
                !(o == 0 && s->bs_account_inst >= 0 && s->seen[o][i] == (uint16_t)s->bs_account_inst)) {
                s->slot_inst[o][n] = s->seen[o][i];
                return s->seen[o][i];
            }
    uint16_t id = (o == 0 && !s->placement) ? 2 : 0;
    for (;; id++) {
        if (o == 0 && s->bs_account_inst >= 0 && id == (uint16_t)s->bs_account_inst) continue;
        if (o == 0 && is_bs_account(s, id)) continue; /* every one of them, if a client has two */
        if (slot_taken(s, o, id)) continue;
        if (!deleted && seen_has(s, o, id)) continue;
        break;
    }
    s->slot_inst[o][n] = id;
    return id;
}

/* Whether an earlier successful step deleted object |obj| (or everything). */
static int was_deleted(const bs_session_t *s, uint16_t obj)
{
    for (size_t i = 0; i < s->nsteps; i++) {
        const bs_step_t *st = &s->steps[i];
        if (st->kind != BS_OP_DELETE || st->skipped) continue;
        if (st->code != COAP_DELETED && st->code != COAP_NOT_FOUND) continue;
        if (st->path.depth == 0 || (st->path.depth == 1 && st->path.obj == obj)) return 1;
    }
    return 0;
}

/* The SSID a write op gives its account (/0/x/10 or /1/x/0), 0 if none. */
static uint16_t op_ssid(const bs_session_t *s, const lwm2m_path_t *p)
{
    const bs_plan_t *pl = s->plan;
    if (s->op >= pl->nops) return 0;
    const bs_op_t *op = &pl->ops[s->op];
    if (op->kind != BS_OP_WRITE || op->path.obj != p->obj || op->path.inst != p->inst) return 0;
    uint16_t rid = p->obj == 0 ? 10 : 0;
    for (uint32_t i = 0; i < op->nrecs && op->first_rec + i < pl->nrecs; i++) {
        const lwm2m_record_t *r = &pl->recs[op->first_rec + i];
        if (r->path.depth == 3 && r->path.res == rid && r->v.type == LWM2M_T_INTEGER && r->v.i > 0 &&
            r->v.i < 65535)
            return (uint16_t)r->v.i;
    }
    return 0;
}

/* The client's Bootstrap-Server Security instance, when Discover named
 * exactly one; else the marker stays and the step is skipped. */
static int bs_account_known(const bs_session_t *s)
{
    return s->bs_accounts == 1 && s->bs_account_inst >= 0;
}

static int is_bs_account_marker(const lwm2m_path_t *p)
{
    return p->depth >= 2 && p->obj == LWM2M_OBJ_SECURITY && p->inst == BS_INST_BS_ACCOUNT;
}

static lwm2m_path_t resolve_path(bs_session_t *s, lwm2m_path_t p)
{
    /* An unbootstrap step names the client's own instance IDs (from its
     * Discover answer): never plan placeholders, whatever their values. */
    if (s->ub_active) return p;
    if (is_bs_account_marker(&p)) {
        if (bs_account_known(s)) p.inst = (uint16_t)s->bs_account_inst;
        return p;
    }
    if (p.depth >= 2 && BS_INST_IS_SLOT(p.inst) && (p.obj == 0 || p.obj == 1))
        p.inst = resolve_slot(s, p.obj, (unsigned)(p.inst - BS_INST_SLOT_BASE), was_deleted(s, p.obj),
                              op_ssid(s, &p));
    return p;
}

/* ---- Discover ----------------------------------------------------------- */

static void on_discover(bs_session_t *s, const uint8_t *body, size_t len)
{
    linkfmt_entry_t ents[LINKFMT_MAX_ENTRIES];
    linkfmt_doc_t doc;
    if (linkfmt_parse((const char *)body, len, &doc, ents, LINKFMT_MAX_ENTRIES) < 0) return;
    s->placement = 1;
    s->discover_len = (uint16_t)(len < sizeof(s->discover) ? len : 0); /* whole or not at all */
    memcpy(s->discover, body, s->discover_len);
    /* LwM2M 1.0 clients say lwm2m="1.0" or nothing at all. */
    uint8_t maj = 1, min = 0;
    linkfmt_lwm2m_version(&doc, &maj, &min);
    s->lwm2m_10 = maj == 1 && min == 0;
    for (int o = 0; o < 2; o++) {
        linkfmt_account_t acc[BS_MAX_SEEN];
        size_t n = linkfmt_accounts(&doc, (uint16_t)o, acc, BS_MAX_SEEN);
        s->nseen[o] = (uint8_t)(n < BS_MAX_SEEN ? n : BS_MAX_SEEN);
        if (n > BS_MAX_SEEN) s->seen_over = 1;
        for (unsigned i = 0; i < s->nseen[o]; i++) {
            s->seen[o][i] = acc[i].iid;
            s->seen_ssid[o][i] = acc[i].has_ssid ? acc[i].ssid : 0;
        }
    }
    /* Object 21's version decides the types of its secrets and IDs. */
    s->oscore_listed =
        linkfmt_object_version(&doc, LWM2M_OBJ_OSCORE, &s->oscore_ver[0], &s->oscore_ver[1]) >= 0;
    /* The Bootstrap-Server account: the Security instance without ssid. */
    uint16_t bs[4];
    size_t nbs = linkfmt_find_bs_account(&doc, bs, 4);
    s->bs_accounts = (uint8_t)(nbs > 255 ? 255 : nbs);
    if (nbs >= 1) s->bs_account_inst = bs[0];
}

/* ---- requests ------------------------------------------------------------ */

static size_t payload_room(const bs_session_t *s)
{
    size_t cap = s->max_coap < sizeof(s->msg) ? s->max_coap : sizeof(s->msg);
    return cap > REQ_HEADROOM ? cap - REQ_HEADROOM : 0;
}

static void add_path(coap_builder_t *b, const lwm2m_path_t *p)
{
    char seg[8];
    uint16_t parts[4] = {p->obj, p->inst, p->res, p->rinst};
    for (int i = 0; i < p->depth; i++) {
        int n = snprintf(seg, sizeof(seg), "%u", (unsigned)parts[i]);
        coap_build_opt(b, COAP_OPT_URI_PATH, (const uint8_t *)seg, (size_t)n);
    }
}

/* Builds the current step's next request into s->msg. Returns 0 or < 0. */
static int build_request(bs_session_t *s, const bs_op_t *op, const lwm2m_path_t *path,
                         const coap_block_t *b2next)
{
    static const uint8_t code_of[] = {0, COAP_GET, COAP_GET, COAP_DELETE, COAP_PUT, COAP_POST};
    uint8_t tok[COAP_MAX_TKL];
    uint8_t tkl = coap_token_next(&s->tokgen, tok);
    uint16_t mid = coap_mid_next(&s->midgen);
    size_t cap = s->max_coap < sizeof(s->msg) ? s->max_coap : sizeof(s->msg);
    coap_builder_t b;
    coap_build_init(&b, s->msg, cap, COAP_TYPE_CON, code_of[op->kind], mid, tok, tkl);
    if (op->kind == BS_OP_FINISH)
        coap_build_opt(&b, COAP_OPT_URI_PATH, (const uint8_t *)"bs", 2);
    else
        add_path(&b, path);
    const uint8_t *payload = NULL;
    size_t plen = 0;
    coap_block_t blk;
    switch (op->kind) {
    case BS_OP_WRITE:
        coap_build_opt_uint(&b, COAP_OPT_CONTENT_FORMAT, s->format);
        if (s->b1_active) {
            if (coap_block1_tx_next(&s->b1, &blk, &payload, &plen) != 0) return LWM2M_ERR_LIMIT;
            coap_build_opt_uint(&b, COAP_OPT_BLOCK1, coap_block_encode(&blk));
            if (blk.num == 0) coap_build_opt_uint(&b, COAP_OPT_SIZE1, (uint32_t)s->buflen);
            /* RFC 9175 §3.4: the same Request-Tag in every block. */
            coap_build_opt(&b, COAP_OPT_REQUEST_TAG, s->reqtag, sizeof(s->reqtag));
        } else {
            payload = s->buf;
            plen = s->buflen;
        }
        break;
    case BS_OP_DISCOVER:
        coap_build_opt_uint(&b, COAP_OPT_ACCEPT, COAP_CF_LINK_FORMAT);
        if (b2next) coap_build_opt_uint(&b, COAP_OPT_BLOCK2, coap_block_encode(b2next));
        break;
    case BS_OP_READ:
        coap_build_opt_uint(&b, COAP_OPT_ACCEPT, s->format);
        if (b2next) coap_build_opt_uint(&b, COAP_OPT_BLOCK2, coap_block_encode(b2next));
        break;
    default: break;
    }
    if (plen) coap_build_payload(&b, payload, plen);
    int n = coap_build_finish(&b);
    if (n < 0) return LWM2M_ERR_NOSPACE;
    s->msglen = (size_t)n;
    s->send_now = 1;
    s->in_flight = 1;
    s->blocks++;
    return 0;
}

/*
 * Writes an OSCORE (object 21) String or Opaque value with the type of the
 * object version the client listed: a plan typed for one version then
 * serves clients of the other (Master Secret, Sender/Recipient ID, Master
 * Salt, ID Context are Strings in v1.x, Opaque in v2.0). The bytes are
 * unchanged; a String that is not valid UTF-8 makes the SenML encoders
 * refuse the write, which the record shows as a failed step.
 */
static void retype(bs_session_t *s, lwm2m_record_t *r)
{
    if (!s->oscore_listed || r->path.obj != LWM2M_OBJ_OSCORE || r->path.depth < 3) return;
    if (r->v.type != LWM2M_T_STRING && r->v.type != LWM2M_T_OPAQUE) return;
    const lwm2m_obj_res_t *def =
        lwm2m_obj_res(LWM2M_OBJ_OSCORE, s->oscore_ver[0], s->oscore_ver[1], r->path.res);
    if (!def || (def->type != LWM2M_T_STRING && def->type != LWM2M_T_OPAQUE) || def->type == r->v.type)
        return;
    r->v.type = def->type;
    s->retyped = 1;
}

/* Encodes records [first, first + count) of |op| for a write to |path|. */
static int encode_records(bs_session_t *s, const bs_op_t *op, const lwm2m_path_t *path, uint32_t first,
                          uint32_t count)
{
    lwm2m_record_t recs[BS_PLAN_MAX_RECS];
    size_t total;
    const lwm2m_record_t *base = op_recs(s, op, &total);
    if (first + count > op->nrecs || op->first_rec + op->nrecs > total || count > BS_PLAN_MAX_RECS)
        return LWM2M_ERR_LIMIT;
    for (uint32_t i = 0; i < count; i++) {
        recs[i] = base[op->first_rec + first + i];
        if (recs[i].path.depth >= 2 && path->depth >= 2) recs[i].path.inst = path->inst;
        retype(s, &recs[i]);
    }
    int n;
    switch (s->format) {
    case COAP_CF_SENML_JSON: n = senml_json_encode(path, recs, count, (char *)s->buf, sizeof(s->buf)); break;
    case COAP_CF_SENML_CBOR: n = senml_cbor_encode(path, recs, count, s->buf, sizeof(s->buf)); break;
    default: n = tlv_encode(path, recs, count, s->buf, sizeof(s->buf)); break;
    }
    if (n < 0) return n;
    s->buflen = (size_t)n;
    return 0;
}

static int encode_payload(bs_session_t *s, const bs_op_t *op, const lwm2m_path_t *path)
{
    return encode_records(s, op, path, 0, op->nrecs);
}

static void record_step(bs_session_t *s, const bs_op_t *op, const lwm2m_path_t *path, uint8_t code,
                        int skipped, uint64_t now)
{
    bs_step_t *st;
    if (s->ub_active) {
        if (s->ub->nsteps >= sizeof(s->ub->steps) / sizeof(s->ub->steps[0])) return;
        st = &s->ub->steps[s->ub->nsteps++];
    } else {
        if (s->nsteps >= BS_PLAN_MAX_OPS) return;
        st = &s->steps[s->nsteps++];
    }
    st->kind = (uint8_t)op->kind;
    st->path = *path;
    st->format = op->kind == BS_OP_WRITE || op->kind == BS_OP_READ ? s->format
                 : op->kind == BS_OP_DISCOVER                      ? COAP_CF_LINK_FORMAT
                                                                   : 0;
    st->code = code;
    st->skipped = (uint8_t)skipped;
    st->blocks = s->blocks;
    st->ms = skipped ? 0 : (uint32_t)(now - s->step_started);
}

/* ---- unbootstrapping (bs_plan_t.unboot) ---------------------------------- */

static int ssid_in(const uint16_t *set, size_t n, uint16_t v)
{
    for (size_t i = 0; i < n; i++)
        if (set[i] == v) return 1;
    return 0;
}

static void ssid_add(uint16_t *set, uint8_t *n, size_t cap, uint16_t v)
{
    if (*n < cap && !ssid_in(set, *n, v)) set[(*n)++] = v;
}

/* The SSIDs the plan writes accounts for (/0/x/10, /1/x/0), into |out|. */
static uint8_t plan_ssids(const bs_plan_t *pl, uint16_t *out, size_t cap)
{
    uint8_t n = 0;
    for (size_t i = 0; i < pl->nops; i++) {
        const bs_op_t *op = &pl->ops[i];
        if (op->kind != BS_OP_WRITE || (op->path.obj != 0 && op->path.obj != 1)) continue;
        for (uint32_t k = 0; k < op->nrecs && op->first_rec + k < pl->nrecs; k++) {
            const lwm2m_record_t *r = &pl->recs[op->first_rec + k];
            if (r->path.depth == 3 && r->path.res == (r->path.obj == 0 ? 10 : 0) &&
                r->v.type == LWM2M_T_INTEGER && r->v.i >= 1 && r->v.i <= LWM2M_MAX_ID)
                ssid_add(out, &n, cap, (uint16_t)r->v.i);
        }
    }
    return n;
}

/* The SSID a plan write of an account gives it (/0/x/10 or /1/x/0), 0 if none. */
static uint16_t write_ssid(const bs_session_t *s, const bs_op_t *op, const lwm2m_path_t *path)
{
    const bs_plan_t *pl = s->plan;
    if (path->depth != 2 || (path->obj != 0 && path->obj != 1)) return 0;
    for (uint32_t k = 0; k < op->nrecs && op->first_rec + k < pl->nrecs; k++) {
        const lwm2m_record_t *r = &pl->recs[op->first_rec + k];
        if (r->path.depth == 3 && r->path.res == (path->obj == 0 ? 10 : 0) && r->v.type == LWM2M_T_INTEGER &&
            r->v.i >= 1 && r->v.i <= LWM2M_MAX_ID)
            return (uint16_t)r->v.i;
    }
    return 0;
}

static int discover_has_ssid(const bs_session_t *s, uint16_t ssid)
{
    for (int o = 0; o < 2; o++)
        if (ssid_in(s->seen_ssid[o], s->nseen[o], ssid)) return 1;
    return 0;
}

/* The object instances the Discover answer listed, into the state. */
static void unboot_insts(const bs_session_t *s, unboot_state_t *st)
{
    if (!s->discover_len) return;
    linkfmt_entry_t ents[LINKFMT_MAX_ENTRIES];
    linkfmt_doc_t doc;
    if (linkfmt_parse(s->discover, s->discover_len, &doc, ents, LINKFMT_MAX_ENTRIES) < 0) return;
    if (doc.count >= LINKFMT_MAX_ENTRIES) return; /* maybe cut: do not trust it for "missing" */
    for (size_t i = 0; i < doc.count && st->ninsts < UNBOOT_MAX_INSTS; i++)
        if (doc.entries[i].path.depth == 2) st->insts[st->ninsts++] = doc.entries[i].path;
    st->have_insts = 1;
}

static int unboot_lists_acl(const unboot_state_t *st)
{
    for (size_t i = 0; i < st->ninsts; i++)
        if (st->insts[i].obj == LWM2M_OBJ_ACL) return 1;
    return 0;
}

/* Loads the next planned operation as the current step; 0 when none is left. */
static int unboot_load(bs_session_t *s)
{
    bs_unboot_t *ub = s->ub;
    while (ub->next < ub->res.nops) {
        const unboot_op_t *o = &ub->res.ops[ub->next++];
        memset(&ub->op, 0, sizeof(ub->op));
        ub->op.path = o->path;
        if (o->kind == UNBOOT_OP_WRITE_ACL) {
            int n = o->acl < ub->res.nafter ? unboot_acl_records(&ub->res.after[o->acl], ub->recs, UB_RECS)
                                            : LWM2M_ERR_NOSPACE;
            if (n < 0) continue; /* cannot happen: counted as not done */
            ub->op.kind = BS_OP_WRITE;
            ub->op.nrecs = (uint32_t)n;
        } else {
            ub->op.kind = BS_OP_DELETE;
        }
        s->ub_active = 1;
        return 1;
    }
    s->ub_active = 0;
    return 0;
}

static int unboot_run(bs_session_t *s)
{
    bs_unboot_t *ub = s->ub;
    ub->planned = 1;
    if (ub->bounds) {
        memset(&ub->res, 0, sizeof(ub->res)); /* nothing is done */
    } else if (unboot_plan(&ub->st, ub->req, ub->nreq, &ub->res) != 0) {
        ub->bounds = 1;
        s->ub_note = "client state beyond the planner's bounds";
    }
    ub->next = 0;
    return unboot_load(s);
}

/*
 * Discover has ended: works out what to remove from its answer
 * and starts (Read /2, or the planned operations). Returns 1 when a step
 * of the unbootstrap is current, 0 when there is nothing to do.
 */
static int unboot_begin(bs_session_t *s)
{
    const bs_plan_t *pl = s->plan;
    uint16_t mine[2 * BS_PLAN_MAX_REMOVE], cand[BS_PLAN_MAX_REMOVE];
    uint8_t nmine = plan_ssids(pl, mine, 2 * BS_PLAN_MAX_REMOVE), nc = 0, npresent = 0;
    s->ub_ran = 1;
    if (s->stopping) {
        s->ub_note = "skipped (on_error: stop)";
        return 0;
    }
    for (size_t i = 0; i < pl->nunboot_remove && i < BS_PLAN_MAX_REMOVE; i++) {
        uint16_t v = pl->unboot_remove[i];
        if (v < 1 || v > LWM2M_MAX_ID) continue;
        if (ssid_in(mine, nmine, v))
            ssid_add(s->ub_kept, &s->nub_kept, BS_PLAN_MAX_REMOVE, v);
        else
            ssid_add(cand, &nc, BS_PLAN_MAX_REMOVE, v);
    }
    if (!s->placement) {
        if (nc || pl->unboot_exclusive) s->ub_note = "no discover answer";
        return 0;
    }
    if (s->seen_over) {
        /* Accounts not seen could be removed ones, or the only ones that
         * still reach an object: no plan is safe, nothing is reported absent. */
        if (nc || pl->unboot_exclusive) s->ub_note = "client state beyond the planner's bounds";
        return 0;
    }
    if (pl->unboot_exclusive)
        for (int o = 0; o < 2; o++)
            for (unsigned i = 0; i < s->nseen[o]; i++) {
                uint16_t v = s->seen_ssid[o][i];
                if (v >= 1 && v <= LWM2M_MAX_ID && !ssid_in(mine, nmine, v))
                    ssid_add(cand, &nc, BS_PLAN_MAX_REMOVE, v);
            }
    for (uint8_t i = 0; i < nc; i++)
        if (discover_has_ssid(s, cand[i]))
            npresent++;
        else
            ssid_add(s->ub_absent, &s->nub_absent, BS_PLAN_MAX_REMOVE, cand[i]);
    if (!npresent) return 0;
    s->nub_absent = 0; /* the planner reports them */
    bs_unboot_t *ub = calloc(1, sizeof(*ub));
    if (!ub) {
        s->ub_note = "out of memory";
        return 0;
    }
    s->ub = ub;
    memcpy(ub->req, cand, nc * sizeof(cand[0]));
    ub->nreq = nc;
    unboot_state_t *st = &ub->st;
    for (unsigned i = 0; i < s->nseen[0] && st->nsec < UNBOOT_MAX_ACCOUNTS; i++)
        st->sec[st->nsec++] = (unboot_account_t){s->seen[0][i], s->seen_ssid[0][i]};
    for (unsigned i = 0; i < s->nseen[1] && st->nsrv < UNBOOT_MAX_ACCOUNTS; i++)
        st->srv[st->nsrv++] = (unboot_account_t){s->seen[1][i], s->seen_ssid[1][i]};
    unboot_insts(s, st);
    if (s->lwm2m_10) return unboot_run(s); /* no Bootstrap-Read: accounts only */
    if (st->have_insts && !unboot_lists_acl(st)) {
        st->acl_known = 1; /* no Access Control instance at all */
        return unboot_run(s);
    }
    memset(&ub->op, 0, sizeof(ub->op));
    ub->op.kind = BS_OP_READ;
    ub->op.path = lwm2m_path(1, LWM2M_OBJ_ACL, 0, 0, 0);
    ub->reading = 1;
    s->ub_active = 1;
    return 1;
}

/* The answer to Read /2: the Access Control instances, in any format. */
static void on_acl_read(bs_session_t *s, uint8_t code, const uint8_t *body, size_t blen)
{
    bs_unboot_t *ub = s->ub;
    ub->reading = 0;
    ub->read_code = code;
    if (code == COAP_CONTENT && s->b2_failed) {
        /* Larger than the reassembly buffer (or broken block-wise): beyond
         * the bounds, nothing is done, rather than accounts only. */
        ub->bounds = 1;
        s->ub_note = "access control answer over the reassembly buffer";
        return;
    }
    if (code != COAP_CONTENT) return; /* acl_known stays 0: accounts only */
    lwm2m_record_t *recs = malloc(UB_READ_RECS * sizeof(*recs));
    uint8_t *scratch = NULL;
    if (!recs) return;
    lwm2m_path_t base = lwm2m_path(1, LWM2M_OBJ_ACL, 0, 0, 0);
    size_t n = 0;
    int r = LWM2M_ERR_FORMAT;
    uint16_t cf = s->last_cf != NO_CF ? s->last_cf : s->format;
    switch (cf) {
    case COAP_CF_LWM2M_TLV: r = tlv_decode(&base, body, blen, recs, UB_READ_RECS, &n); break;
    case COAP_CF_SENML_CBOR: r = senml_cbor_decode(&base, body, blen, recs, UB_READ_RECS, &n); break;
    case COAP_CF_SENML_JSON:
        if ((scratch = malloc(blen + 1)) != NULL) {
            r = senml_json_decode(&base, body, blen, recs, UB_READ_RECS, scratch, blen + 1);
            if (r >= 0) n = (size_t)r;
        }
        break;
    default: break;
    }
    int a = r >= 0 ? unboot_acl_from_records(&ub->st, recs, n) : r;
    if (a == LWM2M_ERR_NOSPACE || a == LWM2M_ERR_LIMIT) {
        ub->bounds = 1; /* more instances or entries than the planner takes */
        s->ub_note = "client state beyond the planner's bounds";
    } else if (a < 0) {
        ub->st.acl_known = 0; /* malformed: as a Read that failed, accounts only */
        s->ub_note = "access control answer unreadable";
    }
    free(scratch);
    free(recs);
}

/* Moves past the current step: the next planned unbootstrap operation, or
 * the plan's next op (the unbootstrap runs between two ops of the plan). */
static void advance(bs_session_t *s)
{
    if (s->ub_active) {
        (void)(!s->ub->planned ? unboot_run(s) : unboot_load(s));
        return;
    }
    s->op++;
}

const lwm2m_record_t *bs_session_step_records(const bs_session_t *s, size_t *n, const uint8_t **secret)
{
    *n = 0;
    *secret = NULL;
    if (!s->plan || (!s->ub_active && s->op >= s->plan->nops)) return NULL;
    const bs_op_t *op = cur_op(s);
    size_t total;
    const lwm2m_record_t *base = op_recs(s, op, &total);
    if (op->kind != BS_OP_WRITE || op->first_rec > total || op->nrecs > total - op->first_rec) return NULL;
    if (!s->ub_active) *secret = s->plan->rec_secret + op->first_rec;
    *n = op->nrecs;
    return base + op->first_rec;
}

void bs_session_release(bs_session_t *s)
{
    if (!s) return;
    free(s->ub);
    s->ub = NULL;
    s->ub_active = 0;
}

/* Prepares the step at s->op (skipping what must be skipped). */
static void prepare_step(bs_session_t *s, uint64_t now)
{
    const bs_plan_t *pl = s->plan;
    while (s->op < pl->nops) {
        if (s->ub_due) {
            /* Right after Discover: unbootstrapping, when there is anything to remove. */
            s->ub_due = 0;
            if (!unboot_begin(s)) continue;
        }
        const bs_op_t *op = cur_op(s);
        lwm2m_path_t path = op->path;
        s->b1_active = s->b2_active = s->b2_failed = 0;
        s->per_res = 0;
        s->blocks = 0;
        s->step_started = now;
        if ((s->stopping && op->kind != BS_OP_FINISH) || (op->kind == BS_OP_READ && s->lwm2m_10)) {
            record_step(s, op, &path, 0, 1, now);
            advance(s);
            continue;
        }
        path = resolve_path(s, path);
        if (!s->ub_active && is_bs_account_marker(&path)) {
            /* Never guess where the client keeps its bootstrap account. */
            record_step(s, op, &path, 0, 1, now);
            s->steps[s->nsteps - 1].no_account = 1;
            advance(s);
            continue;
        }
        if (op->kind == BS_OP_WRITE) {
            if (encode_payload(s, op, &path) != 0) {
                record_step(s, op, &path, 0, 0, now);
                s->errors++;
                s->reason = "payload encoding failed";
                if (pl->on_error == BS_ON_ERROR_STOP) s->stopping = 1;
                advance(s);
                continue;
            }
            if (s->buflen > payload_room(s)) {
                int szx = coap_block_szx_for(payload_room(s));
                if (szx < 0) {
                    finish(s, BS_OUTCOME_FINISH_REJECTED, "datagram too small for block-wise");
                    return;
                }
                s->reqtag[0] = (uint8_t)rnd_next(s);
                s->reqtag[1] = (uint8_t)s->op;
                coap_block1_tx_init(&s->b1, s->buf, s->buflen, payload_room(s), s->reqtag, sizeof(s->reqtag));
                s->b1_active = 1;
            }
        } else if (op->kind == BS_OP_DISCOVER || op->kind == BS_OP_READ) {
            int szx = coap_block_szx_for(payload_room(s));
            coap_block2_rx_init(&s->b2, s->buf, sizeof(s->buf), (uint8_t)(szx < 0 ? 0 : szx));
            s->b2_active = 1;
        }
        if (build_request(s, op, &path, NULL) != 0) {
            record_step(s, op, &path, 0, 0, now);
            s->errors++;
            advance(s);
            continue;
        }
        return;
    }
    /* Past the last operation without a Finish (plans always end with one). */
    if (s->outcome == BS_OUTCOME_RUNNING) finish(s, BS_OUTCOME_FINISH_REJECTED, "plan ended without finish");
}

int bs_session_start(bs_session_t *s, const bs_plan_t *plan, uint16_t pct, size_t max_coap, uint64_t now,
                     uint32_t seed)
{
    memset(s, 0, sizeof(*s));
    s->plan = plan;
    s->max_coap = max_coap;
    if (payload_room(s) < 16) return LWM2M_ERR_RANGE;
    if (plan->format)
        s->format = plan->format;
    else if (pct == COAP_CF_SENML_JSON || pct == COAP_CF_SENML_CBOR || pct == COAP_CF_LWM2M_TLV)
        s->format = pct;
    else
        s->format = COAP_CF_LWM2M_TLV;
    /* No pct: an LwM2M 1.0 client (pct is 1.1); Discover may refine it. */
    s->lwm2m_10 = pct == 0;
    s->started = now;
    s->deadline_session = now + (plan->timeout_ms ? plan->timeout_ms : BS_SESSION_TIMEOUT_MS);
    s->rnd = seed | 1;
    coap_token_gen_init(&s->tokgen);
    coap_mid_gen_init(&s->midgen, (uint16_t)(seed >> 16));
    s->bs_account_inst = -1;
    s->last_cf = NO_CF;
    memset(s->slot_inst, 0xff, sizeof(s->slot_inst));
    s->outcome = BS_OUTCOME_RUNNING;
    prepare_step(s, now);
    return 0;
}

int bs_session_poll(bs_session_t *s, uint64_t now, uint8_t *out, size_t cap)
{
    if (s->outcome != BS_OUTCOME_RUNNING) return 0;
    if (now >= s->deadline_session) {
        if (s->in_flight && (s->ub_active || s->op < s->plan->nops)) {
            const bs_op_t *op = cur_op(s);
            lwm2m_path_t p = resolve_path(s, op->path);
            record_step(s, op, &p, 0, 0, now);
        }
        finish(s, BS_OUTCOME_TIMED_OUT, "session timeout");
        return 0;
    }
    if (!s->in_flight) return 0;
    if (s->send_now) {
        if (s->msglen > cap) return LWM2M_ERR_NOSPACE;
        coap_xmit_init(&s->xmit, s->msg, s->msglen);
        coap_xmit_start(&s->xmit, now, rnd_next(s));
        s->send_now = 0;
        memcpy(out, s->msg, s->msglen);
        return (int)s->msglen;
    }
    switch (coap_xmit_timer(&s->xmit, now)) {
    case COAP_XMIT_RETRANSMIT:
        if (s->msglen > cap) return LWM2M_ERR_NOSPACE;
        memcpy(out, s->msg, s->msglen);
        return (int)s->msglen;
    case COAP_XMIT_TIMEOUT: {
        const bs_op_t *op = cur_op(s);
        lwm2m_path_t p = resolve_path(s, op->path);
        record_step(s, op, &p, 0, 0, now);
        finish(s, BS_OUTCOME_TIMED_OUT, "device unreachable");
        return 0;
    }
    default: return 0;
    }
}

/* A step's final response arrived: record it, judge it, move on. */
static void complete_step(bs_session_t *s, const bs_op_t *op, uint8_t code, const uint8_t *body, size_t blen,
                          uint64_t now)
{
    lwm2m_path_t path = resolve_path(s, op->path);
    record_step(s, op, &path, code, 0, now);
    int ok = COAP_CODE_CLASS(code) == 2;
    switch (op->kind) {
    case BS_OP_DISCOVER:
        if (code == COAP_CONTENT) on_discover(s, body, blen);
        s->ub_due = s->plan->unboot && !s->ub_ran;
        break; /* a failed Discover leaves placement blind; not an error */
    case BS_OP_READ:
        if (s->ub_active && s->ub->reading) on_acl_read(s, code, body, blen);
        break;
    case BS_OP_DELETE:
        /* Clients answer 4.04/4.05 for what they cannot or need not delete;
         * an unbootstrap Delete answered 4.05 did not happen, though. */
        if (s->ub_active && (ok || code == COAP_NOT_FOUND)) s->ub->ok++;
        if (!ok && code != COAP_NOT_FOUND && code != COAP_METHOD_NOT_ALLOWED) s->errors++;
        break;
    case BS_OP_WRITE:
        if (!ok) {
            s->errors++;
            if (s->plan->on_error == BS_ON_ERROR_STOP) s->stopping = 1;
        } else if (s->ub_active) {
            s->ub->ok++;
        } else {
            uint16_t v = write_ssid(s, op, &path);
            if (v) ssid_add(s->wrote, &s->nwrote, BS_PLAN_MAX_REMOVE, v);
        }
        break;
    case BS_OP_FINISH:
        if (code == COAP_CHANGED)
            finish(s, s->errors ? BS_OUTCOME_FINISHED_WITH_ERRORS : BS_OUTCOME_FINISHED, NULL);
        else
            finish(s, BS_OUTCOME_FINISH_REJECTED,
                   code == COAP_NOT_ACCEPTABLE ? "finish 4.06" : "finish failed");
        return;
    }
    s->in_flight = 0;
    advance(s);
    prepare_step(s, now);
}

/*
 * Writes the next resource of |op| on its own (the client refused
 * block-wise). Returns 1 when a request was built, 0 when the op is done.
 */
static int next_sub(bs_session_t *s, const bs_op_t *op)
{
    size_t total;
    const lwm2m_record_t *base = op_recs(s, op, &total);
    lwm2m_path_t ip = resolve_path(s, op->path);
    while (s->sub < op->nrecs && op->first_rec + op->nrecs <= total) {
        const lwm2m_record_t *r0 = &base[op->first_rec + s->sub];
        uint32_t e = s->sub + 1;
        while (e < op->nrecs && base[op->first_rec + e].path.res == r0->path.res)
            e++;
        lwm2m_path_t rp = lwm2m_path(3, ip.obj, ip.inst, r0->path.res, 0);
        uint32_t first = s->sub;
        s->sub = e;
        if (encode_records(s, op, &rp, first, e - first) == 0 && s->buflen <= payload_room(s) &&
            build_request(s, op, &rp, NULL) == 0)
            return 1;
        /* This resource alone does not fit a datagram: it cannot be written. */
        s->per_res_code = COAP_REQUEST_ENTITY_TOO_LARGE;
    }
    return 0;
}

int bs_session_on_message(bs_session_t *s, const coap_msg_t *m, uint64_t now, uint8_t *ack, size_t ack_cap,
                          size_t *ack_len)
{
    *ack_len = 0;
    if (s->outcome != BS_OUTCOME_RUNNING || !s->in_flight || s->send_now) return 0;
    int r = coap_xmit_on_message(&s->xmit, m);
    if (r == COAP_XMIT_NOMATCH) return coap_msg_is_request(m) ? 0 : 1;
    if (r == COAP_XMIT_ACKED_EMPTY) return 1;
    const bs_op_t *op = cur_op(s);
    uint32_t cfv;
    s->last_cf = coap_opt_uint(coap_opt_get(m, COAP_OPT_CONTENT_FORMAT), &cfv) == 0 && cfv <= 0xfffe
                     ? (uint16_t)cfv
                     : NO_CF;
    if (r == COAP_XMIT_RESET) {
        lwm2m_path_t p = resolve_path(s, op->path);
        record_step(s, op, &p, 0, 0, now);
        finish(s, BS_OUTCOME_TIMED_OUT, "device reset the exchange");
        return 1;
    }
    if (r != COAP_XMIT_RESPONSE) return 1;
    if (m->type == COAP_TYPE_CON) {
        /* A separate response: acknowledge it (RFC 7252 §5.2.2). */
        int n = coap_build_empty(ack, ack_cap, COAP_TYPE_ACK, m->mid);
        if (n > 0) *ack_len = (size_t)n;
    }
    lwm2m_path_t path = resolve_path(s, op->path);
    if (s->b1_active) {
        int br = coap_block1_tx_on_response(&s->b1, m);
        if (br == COAP_B1TX_NEXT || br == COAP_B1TX_RESTART) {
            if (br == COAP_B1TX_RESTART) s->reqtag[0]++;
            if (build_request(s, op, &path, NULL) == 0) return 1;
            complete_step(s, op, 0, NULL, 0, now);
            return 1;
        }
        if (m->code == COAP_REQUEST_ENTITY_TOO_LARGE || m->code == COAP_BAD_OPTION ||
            m->code == COAP_CODE(5, 1)) {
            /* No block-wise on this client (4.13, 4.02 for the critical
             * Block1, 5.01): write the instance resource by resource. */
            s->b1_active = 0;
            s->per_res = 1;
            s->per_res_code = COAP_CHANGED;
            s->sub = 0;
            if (next_sub(s, op)) return 1;
            complete_step(s, op, s->per_res_code, NULL, 0, now);
            return 1;
        }
        complete_step(s, op, m->code, NULL, 0, now);
        return 1;
    }
    if (s->per_res) {
        if (COAP_CODE_CLASS(m->code) != 2) s->per_res_code = m->code;
        if (next_sub(s, op)) return 1;
        complete_step(s, op, s->per_res_code, NULL, 0, now);
        return 1;
    }
    if (s->b2_active && COAP_CODE_CLASS(m->code) == 2) {
        coap_block_t next;
        int br = coap_block2_rx_feed(&s->b2, m, &next);
        if (br == COAP_B2_NEXT) {
            if (build_request(s, op, &path, &next) == 0) return 1;
            complete_step(s, op, 0, NULL, 0, now);
            return 1;
        }
        if (br == COAP_B2_COMPLETE) {
            complete_step(s, op, m->code, s->b2.buf, s->b2.len, now);
            return 1;
        }
        s->b2_failed = 1;
        complete_step(s, op, m->code, NULL, 0, now); /* reassembly failed: no body */
        return 1;
    }
    complete_step(s, op, m->code, m->payload, m->payload_len, now);
    return 1;
}

uint64_t bs_session_deadline(const bs_session_t *s)
{
    if (s->outcome != BS_OUTCOME_RUNNING) return UINT64_MAX;
    if (s->send_now) return s->started; /* due now */
    uint64_t d = s->deadline_session;
    if (s->in_flight) {
        uint64_t x = coap_xmit_next_deadline(&s->xmit);
        if (x < d) d = x;
    }
    return d;
}

int bs_session_done(const bs_session_t *s)
{
    return s->outcome != BS_OUTCOME_RUNNING;
}

void bs_session_replace(bs_session_t *s, uint64_t now)
{
    (void)now;
    if (s->outcome == BS_OUTCOME_RUNNING) finish(s, BS_OUTCOME_REPLACED, "new bootstrap request");
}

/* ---- records -------------------------------------------------------------- */

static int put_steps(const bs_step_t *steps, size_t nsteps, char *out, size_t cap)
{
    lwm2m_jbuf_t j = {out, cap, 0, cap == 0};
    lwm2m_jprintf(&j, "[");
    for (size_t i = 0; i < nsteps; i++) {
        const bs_step_t *st = &steps[i];
        char p[32];
        if (is_bs_account_marker(&st->path)) {
            if (st->path.depth >= 3)
                snprintf(p, sizeof(p), "/0/bs-account/%u", (unsigned)st->path.res);
            else
                snprintf(p, sizeof(p), "/0/bs-account");
        } else if (lwm2m_path_format(&st->path, p, sizeof(p)) < 0)
            snprintf(p, sizeof(p), "?");
        lwm2m_jprintf(&j, "%s{\"op\":\"%s\",\"path\":\"%s\"", i ? "," : "", op_name(st->kind),
                      st->kind == BS_OP_FINISH ? "/bs" : p);
        if (st->format) lwm2m_jprintf(&j, ",\"format\":%u", (unsigned)st->format);
        if (st->skipped && st->no_account)
            lwm2m_jprintf(&j, ",\"skipped\":true,\"why\":\"no bootstrap account\"}");
        else if (st->skipped)
            lwm2m_jprintf(&j, ",\"skipped\":true}");
        else if (st->code)
            lwm2m_jprintf(&j, ",\"code\":\"%u.%02u\",\"ms\":%u,\"blocks\":%u}",
                          (unsigned)COAP_CODE_CLASS(st->code), (unsigned)COAP_CODE_DETAIL(st->code),
                          (unsigned)st->ms, (unsigned)st->blocks);
        else
            lwm2m_jprintf(&j, ",\"code\":null,\"ms\":%u}", (unsigned)st->ms);
    }
    lwm2m_jprintf(&j, "]");
    return j.err ? LWM2M_ERR_NOSPACE : (int)j.n;
}

static void put_ssids(lwm2m_jbuf_t *j, const char *key, const uint16_t *v, size_t n)
{
    lwm2m_jprintf(j, ",\"%s\":[", key);
    for (size_t i = 0; i < n; i++)
        lwm2m_jprintf(j, "%s%u", i ? "," : "", (unsigned)v[i]);
    lwm2m_jprintf(j, "]");
}

/* The Access Control instances as read, in the shape of unboot_result_json's "after". */
static void put_acl_state(lwm2m_jbuf_t *j, const unboot_state_t *st)
{
    lwm2m_jprintf(j, ",\"acl_state\":");
    if (j->err) return;
    int w = unboot_acl_json(st->acl, st->nacl, j->p + j->n, j->cap - j->n);
    if (w < 0)
        j->err = 1;
    else
        j->n += (size_t)w;
}

/*
 * ,"unboot":{…}: the planner's result (unboot_result_json) plus what
 * happened — "failed" (planned operations that did not succeed, skipped
 * ones included), "kept" (asked for, but the plan writes that account),
 * "read" (the answer to Read /2), and with |detail| 2 the steps and the
 * Access Control object as read ("acl_state", for later dry runs).
 */
static int put_unboot(const bs_session_t *s, int detail, char *out, size_t cap)
{
    lwm2m_jbuf_t j = {out, cap, 0, cap == 0};
    const bs_unboot_t *ub = s->ub;
    lwm2m_jprintf(&j, ",\"unboot\":");
    if (ub && ub->planned && !ub->bounds && detail > 0) {
        int w = unboot_result_json(&ub->res, detail == 2, j.p + j.n, j.cap - j.n);
        if (w < 2) return LWM2M_ERR_NOSPACE;
        j.n += (size_t)w - 1; /* reopen the object */
    } else {
        lwm2m_jprintf(&j, "{\"acl\":\"%s\"", ub && ub->st.acl_known ? "read" : "unknown");
        put_ssids(&j, "removed", ub && ub->planned ? ub->res.removed : NULL,
                  ub && ub->planned ? ub->res.nremoved : 0);
        put_ssids(&j, "absent", ub && ub->planned ? ub->res.absent : s->ub_absent,
                  ub && ub->planned ? ub->res.nabsent : s->nub_absent);
    }
    unsigned failed =
        ub ? (unsigned)(ub->planned ? ub->res.nops - (ub->ok < ub->res.nops ? ub->ok : ub->res.nops) : 1) : 0;
    lwm2m_jprintf(&j, ",\"failed\":%u", failed);
    put_ssids(&j, "kept", s->ub_kept, s->nub_kept);
    if (s->ub_note) lwm2m_jprintf(&j, ",\"note\":\"%s\"", s->ub_note);
    if (ub && ub->read_code)
        lwm2m_jprintf(&j, ",\"read\":\"%u.%02u\"", (unsigned)COAP_CODE_CLASS(ub->read_code),
                      (unsigned)COAP_CODE_DETAIL(ub->read_code));
    if (ub && detail == 2) {
        lwm2m_jprintf(&j, ",\"steps\":");
        if (!j.err) {
            int w = put_steps(ub->steps, ub->nsteps, j.p + j.n, j.cap - j.n);
            if (w < 0)
                j.err = 1;
            else
                j.n += (size_t)w;
        }
        if (ub->st.acl_known) put_acl_state(&j, &ub->st);
    }
    lwm2m_jprintf(&j, "}");
    return j.err ? LWM2M_ERR_NOSPACE : (int)j.n;
}

int bs_session_record_json(const bs_session_t *s, char *out, size_t cap)
{
    size_t n = 0;
    int w;
#define PUT(...)                                                                                             \
    do {                                                                                                     \
        w = snprintf(out + n, cap - n, __VA_ARGS__);                                                         \
        if (w < 0 || (size_t)w >= cap - n) return LWM2M_ERR_NOSPACE;                                         \
        n += (size_t)w;                                                                                      \
    } while (0)
    PUT("{\"plan\":\"%s\",\"plan_version\":%u,\"format\":%u,\"lwm2m\":\"%s\",\"placement\":\"%s\","
        "\"bs_account\":%d,\"outcome\":\"%s\"",
        s->plan->name, (unsigned)s->plan->version, (unsigned)s->format, s->lwm2m_10 ? "1.0" : "1.1",
        s->placement ? "discover" : "blind", s->bs_account_inst, bs_outcome_name(s->outcome));
    if (s->reason) PUT(",\"reason\":\"%s\"", s->reason);
    if (s->oscore_listed)
        PUT(",\"oscore_object\":\"%u.%u\",\"retyped\":%s", (unsigned)s->oscore_ver[0],
            (unsigned)s->oscore_ver[1], s->retyped ? "true" : "false");
    if (s->discover_len) {
        /* JSON string of the link-format text: quotes, backslashes, control
         * and non-ASCII bytes escaped (a dry run reads it back). */
        PUT(",\"discover\":\"");
        static const char hx[] = "0123456789abcdef";
        for (size_t i = 0; i < s->discover_len; i++) {
            unsigned char c = (unsigned char)s->discover[i];
            if (cap - n < 8) return LWM2M_ERR_NOSPACE;
            if (c == '"' || c == '\\') {
                out[n++] = '\\';
                out[n++] = (char)c;
            } else if (c < 0x20 || c >= 0x7f) {
                memcpy(out + n, "\\u00", 4);
                out[n + 4] = hx[c >> 4];
                out[n + 5] = hx[c & 15];
                n += 6;
            } else {
                out[n++] = (char)c;
            }
        }
        PUT("\"");
    }
    PUT(",\"steps\":");
    w = put_steps(s->steps, s->nsteps, out + n, cap - n);
    if (w < 0) return w;
    n += (size_t)w;
    if ((s->outcome == BS_OUTCOME_FINISHED || s->outcome == BS_OUTCOME_FINISHED_WITH_ERRORS) && s->nwrote) {
        PUT(",\"accounts\":[");
        for (unsigned i = 0; i < s->nwrote; i++)
            PUT("%s%u", i ? "," : "", (unsigned)s->wrote[i]);
        PUT("]");
    }
    if (s->ub_ran && (s->ub || s->nub_absent || s->nub_kept || s->ub_note)) {
        /* The whole member if it fits, else without the ACL tables and
         * steps, else the bare outcome: the record itself must not be lost. */
        int u = -1;
        for (int detail = 2; detail >= 0 && u < 0; detail--)
            u = put_unboot(s, detail, out + n, cap > n + 2 ? cap - n - 2 : 0);
        if (u < 0) return LWM2M_ERR_NOSPACE;
        n += (size_t)u;
    }
    PUT("}");
#undef PUT
    return (int)n;
}

const char *bs_session_unboot_brief(const bs_session_t *s, char *out, size_t cap)
{
    const bs_unboot_t *ub = s->ub;
    if (!cap) return "";
    out[0] = 0;
    if (!ub || !ub->planned || !ub->res.nremoved) return out;
    lwm2m_jbuf_t j = {out, cap, 0, 0};
    lwm2m_jprintf(&j, " unboot_removed=");
    for (size_t i = 0; i < ub->res.nremoved; i++)
        lwm2m_jprintf(&j, "%s%u", i ? "," : "", (unsigned)ub->res.removed[i]);
    lwm2m_jprintf(&j, " unboot_acl=%s unboot_ops=%zu unboot_failed=%zu",
                  ub->st.acl_known ? "read" : "unknown", ub->res.nops,
                  ub->res.nops - (ub->ok < ub->res.nops ? ub->ok : ub->res.nops));
    if (j.err) out[0] = 0;
    return out;
}

unsigned bs_session_unboot_removed(const bs_session_t *s, int *failed, int *acl_unknown)
{
    const bs_unboot_t *ub = s->ub;
    *failed = *acl_unknown = 0;
    if (!ub || !ub->planned || !ub->res.nremoved) return 0;
    *failed = ub->ok < ub->res.nops;
    *acl_unknown = !ub->st.acl_known;
    return (unsigned)ub->res.nremoved;
}
