/*
 * test_bs_session.c — the bootstrap session engine (bsd/lwm2m/bs_session.c)
 * driven message by message, as a client would answer: Discover-based
 * placement around the client's Bootstrap-Server account (Wakaama /0/0,
 * Anjay /0/1), on_error continue/stop, Finish always sent (Transport 1.1.1
 * §6.4.2), Finish 4.06, retransmission and give-up (RFC 7252 §4.2),
 * block-wise writes with a Request-Tag (RFC 7959, RFC 9175), the LwM2M 1.0
 * fallback, and the session record.
 */
#include <check.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bsd/coap/coap_msg.h"
#include "bsd/lwm2m/bs_session.h"
#include "bsd/lwm2m/tlv.h"

static bs_plan_t plan;
static bs_session_t sess;
static uint8_t out[2048];

static void add_op(bs_op_kind_t k, lwm2m_path_t p)
{
    bs_op_t *op = &plan.ops[plan.nops++];
    memset(op, 0, sizeof(*op));
    op->kind = k;
    op->path = p;
}

static void add_str(uint16_t obj, uint16_t inst, uint16_t res, const char *v)
{
    lwm2m_record_t *r = &plan.recs[plan.nrecs++];
    r->path = lwm2m_path(3, obj, inst, res, 0);
    r->v.type = LWM2M_T_STRING;
    size_t n = strlen(v);
    memcpy(plan.bytes + plan.nbytes, v, n);
    r->v.bytes.p = plan.bytes + plan.nbytes;
    r->v.bytes.len = n;
    plan.nbytes += n;
    plan.ops[plan.nops - 1].nrecs++;
}

static void add_int(uint16_t obj, uint16_t inst, uint16_t res, int64_t v)
{
    lwm2m_record_t *r = &plan.recs[plan.nrecs++];
    r->path = lwm2m_path(3, obj, inst, res, 0);
    r->v.type = LWM2M_T_INTEGER;
    r->v.i = v;
    plan.ops[plan.nops - 1].nrecs++;
}

static void add_write(lwm2m_path_t p)
{
    add_op(BS_OP_WRITE, p);
    plan.ops[plan.nops - 1].first_rec = (uint32_t)plan.nrecs;
}

/* discover; delete /0; write /0/slot0; write /1/slot0; finish */
static void std_plan(bs_on_error_t on_error)
{
    memset(&plan, 0, sizeof(plan));
    snprintf(plan.name, sizeof(plan.name), "test");
    plan.version = 3;
    plan.on_error = on_error;
    add_op(BS_OP_DISCOVER, lwm2m_path(0, 0, 0, 0, 0));
    add_op(BS_OP_DELETE, lwm2m_path(1, 0, 0, 0, 0));
    add_write(lwm2m_path(2, 0, BS_INST_SLOT(0), 0, 0));
    add_str(0, BS_INST_SLOT(0), 0, "coaps://lwm2m.example:5684");
    add_int(0, BS_INST_SLOT(0), 10, 101);
    add_write(lwm2m_path(2, 1, BS_INST_SLOT(0), 0, 0));
    add_int(1, BS_INST_SLOT(0), 0, 101);
    add_int(1, BS_INST_SLOT(0), 1, 300);
    add_op(BS_OP_FINISH, lwm2m_path(0, 0, 0, 0, 0));
}

/* Polls and parses the next request; fails the test when none is due. */
static coap_msg_t next_req(uint64_t now)
{
    int n = bs_session_poll(&sess, now, out, sizeof(out));
    ck_assert_int_gt(n, 0);
    coap_msg_t m;
    ck_assert_int_eq(coap_parse(&m, out, (size_t)n), 0);
    ck_assert_int_eq(m.type, COAP_TYPE_CON);
    return m;
}

static void path_is(const coap_msg_t *m, const char *p)
{
    char buf[64];
    ck_assert_int_ge(coap_uri_path_join(m, buf, sizeof(buf)), 0);
    ck_assert_str_eq(buf, p);
}

/* Answers |req| with a piggybacked response. */
static void reply(const coap_msg_t *req, uint8_t code, uint16_t cf, const char *payload, uint64_t now)
{
    uint8_t buf[1024], ack[16];
    size_t alen;
    coap_builder_t b;
    coap_build_init(&b, buf, sizeof(buf), COAP_TYPE_ACK, code, req->mid, req->token, req->tkl);
    if (cf) coap_build_opt_uint(&b, COAP_OPT_CONTENT_FORMAT, cf);
    if (payload) coap_build_payload(&b, (const uint8_t *)payload, strlen(payload));
    int n = coap_build_finish(&b);
    ck_assert_int_gt(n, 0);
    coap_msg_t m;
    ck_assert_int_eq(coap_parse(&m, buf, (size_t)n), 0);
    ck_assert_int_eq(bs_session_on_message(&sess, &m, now, ack, sizeof(ack), &alen), 1);
}

static void run_std(const char *discover, const char *want_sec, const char *want_srv)
{
    std_plan(BS_ON_ERROR_CONTINUE);
    ck_assert_int_eq(bs_session_start(&sess, &plan, 11542, 1100, 1000, 7), 0);
    coap_msg_t m = next_req(1000);
    ck_assert_int_eq(m.code, COAP_GET);
    path_is(&m, "");
    reply(&m, COAP_CONTENT, 40, discover, 1001);
    m = next_req(1002);
    ck_assert_int_eq(m.code, COAP_DELETE);
    path_is(&m, "/0");
    reply(&m, COAP_DELETED, 0, NULL, 1003);
    m = next_req(1004);
    ck_assert_int_eq(m.code, COAP_PUT);
    path_is(&m, want_sec);
    uint32_t cf;
    ck_assert_int_eq(coap_opt_uint(coap_opt_get(&m, COAP_OPT_CONTENT_FORMAT), &cf), 0);
    ck_assert_uint_eq(cf, 11542);
    reply(&m, COAP_CHANGED, 0, NULL, 1005);
    m = next_req(1006);
    path_is(&m, want_srv);
    reply(&m, COAP_CHANGED, 0, NULL, 1007);
    m = next_req(1008);
    ck_assert_int_eq(m.code, COAP_POST);
    path_is(&m, "/bs");
    reply(&m, COAP_CHANGED, 0, NULL, 1009);
    ck_assert_int_eq(bs_session_done(&sess), 1);
    ck_assert_int_eq(sess.outcome, BS_OUTCOME_FINISHED);
    ck_assert_int_eq(bs_session_poll(&sess, 1010, out, sizeof(out)), 0);
}

START_TEST(wakaama_bs_at_0)
{
    /* Wakaama: the BS account /0/0 has neither ssid nor uri. The old
     * account /0/1 was deleted by the plan, so the new one may reuse 1; the
     * Server instance /1/0 of the same SSID 101 is rewritten in place. */
    run_std("</>;lwm2m=1.1,</0/0>,</0/1>;ssid=101;uri=\"coaps://old:5684\",</1/0>;ssid=101", "/0/1", "/1/0");
    ck_assert_int_eq(sess.bs_account_inst, 0);
}
END_TEST

START_TEST(anjay_bs_at_1)
{
    /* Anjay keeps its BS account at /0/1 and lists uri on every instance. */
    run_std("</>;lwm2m=1.1,</0>,</0/1>;uri=\"coaps://bs:5684\",</1>,</2>,</3>,</3/0>", "/0/0", "/1/0");
    ck_assert_int_eq(sess.bs_account_inst, 1);
}
END_TEST

START_TEST(two_bs_accounts_both_avoided)
{
    /* A client already holding two BS accounts (Leshan #986): neither is
     * overwritten, the new account goes to the first other free ID. */
    run_std("</>;lwm2m=1.1,</0/0>,</0/1>,</0/2>;ssid=101", "/0/2", "/1/0");
    ck_assert_int_eq(sess.bs_accounts, 2);
}
END_TEST

/* discover; write /21/0 {0: "secret" as |t|, 1: "c1" as |t|, 3: 10}; finish.
 * Returns the Write's SenML JSON payload (plan.format 110). */
static void oscore_write(const char *discover, lwm2m_type_t t, char *payload, size_t cap)
{
    memset(&plan, 0, sizeof(plan));
    snprintf(plan.name, sizeof(plan.name), "oscore");
    plan.format = 110;
    add_op(BS_OP_DISCOVER, lwm2m_path(0, 0, 0, 0, 0));
    add_write(lwm2m_path(2, 21, 0, 0, 0));
    add_str(21, 0, 0, "secret");
    add_str(21, 0, 1, "c1");
    add_int(21, 0, 3, 10);
    plan.recs[0].v.type = t;
    plan.recs[1].v.type = t;
    add_op(BS_OP_FINISH, lwm2m_path(0, 0, 0, 0, 0));
    ck_assert_int_eq(bs_session_start(&sess, &plan, 110, 1100, 1000, 7), 0);
    coap_msg_t m = next_req(1000);
    reply(&m, COAP_CONTENT, 40, discover, 1001);
    m = next_req(1002);
    path_is(&m, "/21/0");
    ck_assert_uint_lt(m.payload_len, cap);
    memcpy(payload, m.payload, m.payload_len);
    payload[m.payload_len] = 0;
    reply(&m, COAP_CHANGED, 0, NULL, 1003);
    m = next_req(1004);
    reply(&m, COAP_CHANGED, 0, NULL, 1005);
    ck_assert_int_eq(sess.outcome, BS_OUTCOME_FINISHED);
}

/* Object 21's secrets and IDs: String in v1.x, Opaque in v2.0; the write
 * follows the version the client's Discover reports, whatever the plan says. */
START_TEST(oscore_object_version_retypes)
{
    char p[512], rec[2048];
    /* v2.0 client, plan typed for 1.1 (String): written as Opaque ("vd", base64url). */
    oscore_write("</>;lwm2m=1.2,</0/0>,</21>;ver=2.0", LWM2M_T_STRING, p, sizeof(p));
    ck_assert_ptr_nonnull(strstr(p, "\"n\":\"0\",\"vd\":\"c2VjcmV0\""));
    ck_assert_ptr_nonnull(strstr(p, "\"n\":\"1\",\"vd\":\"YzE\""));
    ck_assert_ptr_nonnull(strstr(p, "\"n\":\"3\",\"v\":10"));
    ck_assert_int_gt(bs_session_record_json(&sess, rec, sizeof(rec)), 0);
    ck_assert_ptr_nonnull(strstr(rec, "\"oscore_object\":\"2.0\",\"retyped\":true"));
    /* v1.1 client, plan typed for 2.0 (Opaque): written as String. */
    oscore_write("</>;lwm2m=1.1,</0/0>,</21>;ver=1.1,</21/0>", LWM2M_T_OPAQUE, p, sizeof(p));
    ck_assert_ptr_nonnull(strstr(p, "\"n\":\"0\",\"vs\":\"secret\""));
    ck_assert_ptr_nonnull(strstr(p, "\"n\":\"1\",\"vs\":\"c1\""));
    /* /21 listed without ver=: v1.0, String. */
    oscore_write("</>;lwm2m=1.1,</0/0>,</21>", LWM2M_T_OPAQUE, p, sizeof(p));
    ck_assert_ptr_nonnull(strstr(p, "\"vs\":\"secret\""));
    /* The types already match: nothing retyped. */
    oscore_write("</>;lwm2m=1.1,</0/0>,</21>;ver=1.1", LWM2M_T_STRING, p, sizeof(p));
    ck_assert_ptr_nonnull(strstr(p, "\"vs\":\"secret\""));
    ck_assert_int_gt(bs_session_record_json(&sess, rec, sizeof(rec)), 0);
    ck_assert_ptr_nonnull(strstr(rec, "\"oscore_object\":\"1.1\",\"retyped\":false"));
    /* /21 not listed: the plan's types go out unchanged, and the record says nothing. */
    oscore_write("</>;lwm2m=1.1,</0/0>", LWM2M_T_OPAQUE, p, sizeof(p));
    ck_assert_ptr_nonnull(strstr(p, "\"vd\":\"c2VjcmV0\""));
    ck_assert_int_gt(bs_session_record_json(&sess, rec, sizeof(rec)), 0);
    ck_assert_ptr_null(strstr(rec, "oscore_object"));
}
END_TEST

START_TEST(record_json)
{
    run_std("</>;lwm2m=1.1,</0/0>", "/0/1", "/1/0");
    char rec[4096];
    int n = bs_session_record_json(&sess, rec, sizeof(rec));
    ck_assert_int_gt(n, 0);
    ck_assert_ptr_nonnull(strstr(rec, "\"plan\":\"test\",\"plan_version\":3"));
    ck_assert_ptr_nonnull(strstr(rec, "\"outcome\":\"finished\""));
    ck_assert_ptr_nonnull(
        strstr(rec, "{\"op\":\"write\",\"path\":\"/0/1\",\"format\":11542,\"code\":\"2.04\""));
    ck_assert_ptr_nonnull(strstr(rec, "{\"op\":\"finish\",\"path\":\"/bs\",\"code\":\"2.04\""));
    ck_assert_int_eq(bs_session_record_json(&sess, rec, 40), LWM2M_ERR_NOSPACE);
    /* The Discover answer is kept as a JSON string that reads back byte for byte
     * (Anjay quotes attribute values; a backslash and a tab for good measure). */
    const char *disc = "</>;lwm2m=\"1.1\",</0/1>;uri=\"coaps://a\\b\",\t</1>;ver=1.1";
    run_std(disc, "/0/0", "/1/0");
    n = bs_session_record_json(&sess, rec, sizeof(rec));
    ck_assert_int_gt(n, 0);
    json_error_t je;
    json_t *j = json_loadb(rec, (size_t)n, 0, &je);
    ck_assert_ptr_nonnull(j);
    ck_assert_str_eq(json_string_value(json_object_get(j, "discover")), disc);
    json_decref(j);
    ck_assert_int_eq(bs_session_record_json(&sess, rec, 200), LWM2M_ERR_NOSPACE); /* cut inside the text */
}
END_TEST

START_TEST(write_error_stop_still_finishes)
{
    std_plan(BS_ON_ERROR_STOP);
    bs_session_start(&sess, &plan, 112, 1100, 0, 1);
    coap_msg_t m = next_req(0);
    reply(&m, COAP_NOT_FOUND, 0, NULL, 1); /* Discover refused: blind placement */
    m = next_req(2);
    reply(&m, COAP_DELETED, 0, NULL, 3);
    m = next_req(4);
    path_is(&m, "/0/2"); /* blind: clear of /0/0 and /0/1 */
    reply(&m, COAP_BAD_REQUEST, 0, NULL, 5);
    m = next_req(6);
    path_is(&m, "/bs"); /* the Server write was skipped, Finish still sent */
    reply(&m, COAP_CHANGED, 0, NULL, 7);
    ck_assert_int_eq(sess.outcome, BS_OUTCOME_FINISHED_WITH_ERRORS);
    ck_assert_int_eq(sess.steps[3].skipped, 1);
}
END_TEST

START_TEST(write_error_continue)
{
    std_plan(BS_ON_ERROR_CONTINUE);
    bs_session_start(&sess, &plan, 110, 1100, 0, 1);
    coap_msg_t m = next_req(0);
    reply(&m, COAP_CONTENT, 40, "</>;lwm2m=1.1,</0/0>", 1);
    m = next_req(2);
    reply(&m, COAP_METHOD_NOT_ALLOWED, 0, NULL, 3); /* harmless on Delete */
    m = next_req(4);
    reply(&m, COAP_INTERNAL_SERVER_ERROR, 0, NULL, 5);
    m = next_req(6);
    path_is(&m, "/1/0");
    reply(&m, COAP_CHANGED, 0, NULL, 7);
    m = next_req(8);
    reply(&m, COAP_NOT_ACCEPTABLE, 0, NULL, 9);
    ck_assert_int_eq(sess.outcome, BS_OUTCOME_FINISH_REJECTED);
    ck_assert_int_eq(sess.errors, 1);
}
END_TEST

START_TEST(retransmit_then_give_up)
{
    std_plan(BS_ON_ERROR_CONTINUE);
    bs_session_start(&sess, &plan, 11542, 1100, 0, 99);
    coap_msg_t m = next_req(0);
    uint16_t mid = m.mid;
    int sent = 1;
    uint64_t t;
    /* RFC 7252 §4.2: 4 retransmissions, timeouts doubling from 2-3 s. */
    for (t = 1; t < 100000 && !bs_session_done(&sess); t += 100) {
        int n = bs_session_poll(&sess, t, out, sizeof(out));
        if (n > 0) {
            coap_msg_t r;
            ck_assert_int_eq(coap_parse(&r, out, (size_t)n), 0);
            ck_assert_uint_eq(r.mid, mid); /* the same message again */
            sent++;
        }
    }
    ck_assert_int_eq(sent, 5);
    ck_assert_int_eq(sess.outcome, BS_OUTCOME_TIMED_OUT);
    ck_assert(t > 45000 && t < 94000); /* MAX_TRANSMIT_SPAN 45 s .. MAX_TRANSMIT_WAIT 93 s */
}
END_TEST

START_TEST(session_timeout)
{
    std_plan(BS_ON_ERROR_CONTINUE);
    plan.timeout_ms = 5000;
    bs_session_start(&sess, &plan, 11542, 1100, 0, 3);
    next_req(0);
    for (uint64_t t = 1; t <= 5100; t += 50)
        bs_session_poll(&sess, t, out, sizeof(out));
    ck_assert_int_eq(sess.outcome, BS_OUTCOME_TIMED_OUT);
    ck_assert_str_eq(sess.reason, "session timeout");
}
END_TEST

START_TEST(blockwise_write)
{
    /* A write larger than fits one datagram goes out with Block1, the same
     * Request-Tag in every block and Size1 on block 0 (RFC 7959 §2.5, §4). */
    memset(&plan, 0, sizeof(plan));
    add_write(lwm2m_path(2, 0, 5, 0, 0));
    char big[700];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    add_str(0, 5, 4, big);
    add_op(BS_OP_FINISH, lwm2m_path(0, 0, 0, 0, 0));
    ck_assert_int_eq(bs_session_start(&sess, &plan, 11542, 300, 0, 5), 0);
    size_t total = 0;
    int blocks = 0;
    uint8_t tag[8];
    size_t taglen = 0;
    for (;;) {
        coap_msg_t m = next_req((uint64_t)blocks);
        if (m.code == COAP_POST) break;
        const coap_option_t *b1 = coap_opt_get(&m, COAP_OPT_BLOCK1);
        ck_assert_ptr_nonnull(b1);
        coap_block_t blk;
        ck_assert_int_eq(coap_block_decode(b1, &blk), 0);
        ck_assert_uint_eq(blk.num, (unsigned)blocks);
        const coap_option_t *rt = coap_opt_get(&m, COAP_OPT_REQUEST_TAG);
        ck_assert_ptr_nonnull(rt);
        if (blocks == 0) {
            memcpy(tag, rt->val, rt->len);
            taglen = rt->len;
            ck_assert_ptr_nonnull(coap_opt_get(&m, COAP_OPT_SIZE1));
        } else {
            ck_assert_uint_eq(rt->len, taglen);
            ck_assert_int_eq(memcmp(rt->val, tag, taglen), 0);
        }
        ck_assert_uint_le(m.payload_len, 256);
        total += m.payload_len;
        blocks++;
        if (blk.more) {
            /* 2.31 Continue echoing the block */
            uint8_t buf[64], ack[16];
            size_t alen;
            coap_builder_t b;
            coap_build_init(&b, buf, sizeof(buf), COAP_TYPE_ACK, COAP_CONTINUE, m.mid, m.token, m.tkl);
            coap_build_opt_uint(&b, COAP_OPT_BLOCK1, coap_block_encode(&blk));
            int n = coap_build_finish(&b);
            coap_msg_t r;
            coap_parse(&r, buf, (size_t)n);
            ck_assert_int_eq(bs_session_on_message(&sess, &r, (uint64_t)blocks, ack, sizeof(ack), &alen), 1);
        } else {
            reply(&m, COAP_CHANGED, 0, NULL, (uint64_t)blocks);
        }
    }
    ck_assert_int_ge(blocks, 3);
    ck_assert_uint_eq(total, sess.steps[0].blocks ? total : 0);
    ck_assert_uint_gt(total, 699);
}
END_TEST

START_TEST(no_blockwise_falls_back_per_resource)
{
    /* A client without block-wise answers the critical Block1 with 4.02
     * (RFC 7252 §5.4.1): the write goes resource by resource. */
    memset(&plan, 0, sizeof(plan));
    add_write(lwm2m_path(2, 0, 5, 0, 0));
    char uri[151];
    memset(uri, 'u', sizeof(uri) - 1);
    uri[sizeof(uri) - 1] = 0;
    add_str(0, 5, 0, uri);
    char big[151];
    memset(big, 'k', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    add_str(0, 5, 4, big);
    add_op(BS_OP_FINISH, lwm2m_path(0, 0, 0, 0, 0));
    ck_assert_int_eq(bs_session_start(&sess, &plan, 11542, 300, 0, 5), 0);
    coap_msg_t m = next_req(0);
    ck_assert_ptr_nonnull(coap_opt_get(&m, COAP_OPT_BLOCK1));
    reply(&m, COAP_BAD_OPTION, 0, NULL, 1);
    m = next_req(2);
    path_is(&m, "/0/5/0");
    ck_assert_ptr_null(coap_opt_get(&m, COAP_OPT_BLOCK1));
    reply(&m, COAP_CHANGED, 0, NULL, 3);
    m = next_req(4);
    path_is(&m, "/0/5/4");
    reply(&m, COAP_CHANGED, 0, NULL, 5);
    m = next_req(6);
    path_is(&m, "/bs");
    reply(&m, COAP_CHANGED, 0, NULL, 7);
    ck_assert_int_eq(sess.outcome, BS_OUTCOME_FINISHED);
}
END_TEST

START_TEST(lwm2m10_skips_read)
{
    memset(&plan, 0, sizeof(plan));
    add_op(BS_OP_DISCOVER, lwm2m_path(0, 0, 0, 0, 0));
    add_op(BS_OP_READ, lwm2m_path(1, 2, 0, 0, 0));
    add_op(BS_OP_FINISH, lwm2m_path(0, 0, 0, 0, 0));
    bs_session_start(&sess, &plan, 0, 1100, 0, 5);
    coap_msg_t m = next_req(0);
    /* Zephyr 1.0 style: no </> entry */
    reply(&m, COAP_CONTENT, 40, "lwm2m=\"1.0\",</0/0>,</1/0>;ssid=1", 1);
    m = next_req(2);
    path_is(&m, "/bs");
    reply(&m, COAP_CHANGED, 0, NULL, 3);
    ck_assert_int_eq(sess.outcome, BS_OUTCOME_FINISHED);
    ck_assert_int_eq(sess.steps[1].skipped, 1);
    ck_assert_int_eq(sess.lwm2m_10, 1);
}
END_TEST

START_TEST(unrelated_messages)
{
    std_plan(BS_ON_ERROR_CONTINUE);
    bs_session_start(&sess, &plan, 11542, 1100, 0, 5);
    coap_msg_t m = next_req(0);
    /* a request from the client is not the engine's */
    uint8_t buf[32], ack[16];
    size_t alen;
    coap_builder_t b;
    coap_build_init(&b, buf, sizeof(buf), COAP_TYPE_CON, COAP_POST, 77, NULL, 0);
    coap_build_uri_path(&b, "bs");
    int n = coap_build_finish(&b);
    coap_msg_t r;
    coap_parse(&r, buf, (size_t)n);
    ck_assert_int_eq(bs_session_on_message(&sess, &r, 1, ack, sizeof(ack), &alen), 0);
    /* a response with a wrong token is absorbed and changes nothing */
    coap_build_init(&b, buf, sizeof(buf), COAP_TYPE_ACK, COAP_CONTENT, (uint16_t)(m.mid + 1),
                    (const uint8_t *)"zz", 2);
    n = coap_build_finish(&b);
    coap_parse(&r, buf, (size_t)n);
    bs_session_on_message(&sess, &r, 1, ack, sizeof(ack), &alen);
    ck_assert_int_eq(sess.op, 0);
    ck_assert_int_eq(bs_session_done(&sess), 0);
}
END_TEST

/* discover; write /0/<bs account>/11; finish */
static void bs_account_plan(void)
{
    memset(&plan, 0, sizeof(plan));
    snprintf(plan.name, sizeof(plan.name), "bsacc");
    add_op(BS_OP_DISCOVER, lwm2m_path(0, 0, 0, 0, 0));
    add_write(lwm2m_path(3, 0, BS_INST_BS_ACCOUNT, 11, 0));
    add_int(0, BS_INST_BS_ACCOUNT, 11, 30);
    add_op(BS_OP_FINISH, lwm2m_path(0, 0, 0, 0, 0));
}

/* The marker resolves to the instance Discover lists without ssid (Anjay /0/1). */
START_TEST(bs_account_marker_resolved)
{
    bs_account_plan();
    ck_assert_int_eq(bs_session_start(&sess, &plan, 11542, 1100, 1000, 7), 0);
    coap_msg_t m = next_req(1000);
    reply(&m, COAP_CONTENT, 40, "</>;lwm2m=1.1,</0/0>;ssid=5,</0/1>;uri=\"coaps://bs\",</1/0>;ssid=5", 1001);
    m = next_req(1002);
    ck_assert_int_eq(m.code, COAP_PUT);
    path_is(&m, "/0/1/11");
    ck_assert_uint_eq(m.payload_len, 3); /* TLV c1 0b 1e */
    ck_assert_int_eq(m.payload[0], 0xc1);
    ck_assert_int_eq(m.payload[1], 11);
    ck_assert_int_eq(m.payload[2], 30);
    reply(&m, COAP_CHANGED, 0, NULL, 1003);
    m = next_req(1004);
    path_is(&m, "/bs");
    reply(&m, COAP_CHANGED, 0, NULL, 1005);
    ck_assert_int_eq(sess.outcome, BS_OUTCOME_FINISHED);
}
END_TEST

/* Without exactly one Bootstrap-Server account listed, the step is skipped
 * and recorded, never guessed. */
START_TEST(bs_account_marker_unknown)
{
    static const char *const answers[] = {"</>;lwm2m=1.1,</0/0>;ssid=5,</1/0>;ssid=5",
                                          "</>;lwm2m=1.1,</0/0>,</0/2>,</1/0>;ssid=5"};
    for (int k = 0; k < 2; k++) {
        bs_account_plan();
        ck_assert_int_eq(bs_session_start(&sess, &plan, 11542, 1100, 1000, 7), 0);
        coap_msg_t m = next_req(1000);
        reply(&m, COAP_CONTENT, 40, answers[k], 1001);
        m = next_req(1002);
        ck_assert_int_eq(m.code, COAP_POST);
        path_is(&m, "/bs");
        reply(&m, COAP_CHANGED, 0, NULL, 1003);
        ck_assert_int_eq(sess.outcome, BS_OUTCOME_FINISHED);
        ck_assert_int_eq(sess.steps[1].skipped, 1);
        ck_assert_int_eq(sess.steps[1].no_account, 1);
        char js[1024];
        ck_assert_int_gt(bs_session_record_json(&sess, js, sizeof js), 0);
        ck_assert_ptr_nonnull(strstr(js, "{\"op\":\"write\",\"path\":\"/0/bs-account/11\",\"format\":11542,"
                                         "\"skipped\":true,\"why\":\"no bootstrap account\"}"));
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("bs_session");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, wakaama_bs_at_0);
    tcase_add_test(tc, anjay_bs_at_1);
    tcase_add_test(tc, two_bs_accounts_both_avoided);
    tcase_add_test(tc, record_json);
    tcase_add_test(tc, oscore_object_version_retypes);
    tcase_add_test(tc, write_error_stop_still_finishes);
    tcase_add_test(tc, write_error_continue);
    tcase_add_test(tc, retransmit_then_give_up);
    tcase_add_test(tc, session_timeout);
    tcase_add_test(tc, blockwise_write);
    tcase_add_test(tc, no_blockwise_falls_back_per_resource);
    tcase_add_test(tc, lwm2m10_skips_read);
    tcase_add_test(tc, unrelated_messages);
    tcase_add_test(tc, bs_account_marker_resolved);
    tcase_add_test(tc, bs_account_marker_unknown);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
