/*
 * fuzz_coap.c — libFuzzer target for bsd/coap.
 *
 * Parses the input as one CoAP datagram and checks the parser's promises:
 * options ascending and inside the datagram, every accepted message can be
 * re-serialised by the builder, the re-serialisation parses to the same
 * fields (and is byte-identical unless elective options were dropped).
 * The parsed fields then drive the option helpers, the Block decoders and
 * both block-wise state machines, duplicate detection and response
 * matching, all with fresh state per input so every crash reproduces from
 * its file. Any broken invariant aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bsd/coap/coap_block.h"
#include "bsd/coap/coap_dedup.h"
#include "bsd/coap/coap_msg.h"
#include "bsd/coap/coap_xmit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(c)                                                                                             \
    do {                                                                                                     \
        if (!(c)) abort();                                                                                   \
    } while (0)

static void check_msg_equal(const coap_msg_t *a, const coap_msg_t *b)
{
    CHECK(a->type == b->type && a->code == b->code && a->mid == b->mid);
    CHECK(a->tkl == b->tkl && memcmp(a->token, b->token, a->tkl) == 0);
    CHECK(a->nopts == b->nopts);
    for (uint16_t i = 0; i < a->nopts; i++) {
        CHECK(a->opts[i].num == b->opts[i].num);
        CHECK(a->opts[i].len == b->opts[i].len);
        CHECK(a->opts[i].len == 0 || memcmp(a->opts[i].val, b->opts[i].val, a->opts[i].len) == 0);
    }
    CHECK(a->payload_len == b->payload_len);
    CHECK(a->payload_len == 0 || memcmp(a->payload, b->payload, a->payload_len) == 0);
}

/* Walks every option and runs the accessors on it. */
static unsigned walk_options(const coap_msg_t *m, const uint8_t *data, size_t size)
{
    unsigned acc = 0;

    CHECK(m->nopts <= COAP_MAX_OPTIONS);
    for (uint16_t i = 0; i < m->nopts; i++) {
        const coap_option_t *o = &m->opts[i];
        uint32_t v;
        if (i) CHECK(m->opts[i - 1].num <= o->num);
        if (o->len) {
            CHECK(o->val >= data && o->val + o->len <= data + size);
            for (uint16_t k = 0; k < o->len; k++)
                acc += o->val[k];
        } else {
            CHECK(o->val == NULL);
        }
        if (coap_opt_uint(o, &v) == 0) acc += v;
        const coap_option_t *first = coap_opt_get(m, o->num);
        CHECK(first != NULL && first <= o && first->num == o->num);
        unsigned cnt = coap_opt_count(m, o->num);
        CHECK(cnt >= 1 && cnt <= m->nopts);
    }
    if (m->payload_len) {
        CHECK(m->payload >= data && m->payload + m->payload_len == data + size);
    } else {
        CHECK(m->payload == NULL);
    }

    char path[512];
    int pl = coap_uri_path_join(m, path, sizeof(path));
    if (pl >= 0) {
        CHECK((size_t)pl == strlen(path));
        /* The joined path names the same segments, except that a
         * single empty segment "/" reads back as no Uri-Path. */
        CHECK(pl == 0 || path[0] == '/');
        if (strcmp(path, "/") != 0) CHECK(coap_uri_path_equals(m, path));
    }
    (void)coap_uri_path_equals(m, "bs");
    const uint8_t *qv;
    size_t ql;
    if (coap_query_get(m, "ep", &qv, &ql) == 0 && ql) acc += qv[0];
    (void)coap_msg_unknown_critical(m);
    return acc;
}

/* Counts the options on the wire independently of coap_parse() (the input
 * is known to be well formed here). */
static unsigned count_wire_options(const uint8_t *data, size_t size)
{
    size_t pos = 4 + (data[0] & 0x0f);
    unsigned n = 0;

    while (pos < size && data[pos] != 0xff) {
        unsigned d = data[pos] >> 4, l = data[pos] & 0x0f;
        pos++;
        pos += d == 13 ? 1 : d == 14 ? 2 : 0;
        if (l == 13)
            l = 13u + data[pos++];
        else if (l == 14) {
            l = 269u + ((unsigned)data[pos] << 8 | data[pos + 1]);
            pos += 2;
        }
        pos += l;
        n++;
    }
    return n;
}

static void rebuild_and_compare(const coap_msg_t *m, const uint8_t *data, size_t size)
{
    static uint8_t out[70000];
    coap_builder_t b;
    coap_msg_t m2;

    coap_build_init(&b, out, sizeof(out), m->type, m->code, m->mid, m->token, m->tkl);
    for (uint16_t i = 0; i < m->nopts; i++)
        coap_build_opt(&b, m->opts[i].num, m->opts[i].val, m->opts[i].len);
    coap_build_payload(&b, m->payload, m->payload_len);
    int n = coap_build_finish(&b);
    CHECK(n > 0); /* whatever parsed must be buildable */
    /* Dropping an ignored option never makes the message longer (the next
     * delta grows by at most what the dropped header took); with nothing
     * dropped, the canonical encoding must be reproduced exactly. */
    CHECK((size_t)n <= size);
    if (count_wire_options(data, size) == m->nopts) CHECK((size_t)n == size && memcmp(out, data, size) == 0);
    CHECK(coap_parse(&m2, out, (size_t)n) == 0);
    check_msg_equal(m, &m2);
}

static void fuzz_blocks(const coap_msg_t *m)
{
    static uint8_t buf[4096];
    coap_block_t b, out;
    size_t off, len;

    for (int k = 0; k < 2; k++) {
        uint16_t num = k ? COAP_OPT_BLOCK2 : COAP_OPT_BLOCK1;
        const coap_option_t *o = coap_opt_get(m, num);
        uint32_t v;
        if (coap_block_decode(o, &b) != 0) continue;
        CHECK(coap_opt_uint(o, &v) == 0 && coap_block_encode(&b) == v);
        CHECK(coap_block_offset(&b) == ((size_t)(v & ~0xfu) << (v & 7u)));
        /* Serve a body the size of the payload times the token byte. */
        size_t total = m->payload_len * (m->tkl ? m->token[0] : 1u);
        int rc = coap_block2_slice(total, &b, 16 + m->mid % 1100, &out, &off, &len);
        if (rc >= 0) {
            CHECK(off <= total && len <= total - off);
            CHECK(len <= 16 + m->mid % 1100u);
            CHECK(out.szx <= b.szx && out.szx <= COAP_BLOCK_SZX_MAX);
            CHECK(out.more == (off + len < total));
        }
    }

    /* Server Block1: feed the message twice (second time it is a
     * duplicate block with a new exchange). */
    if (coap_msg_is_request(m)) {
        coap_block1_rx_t rx;
        CHECK(coap_block1_rx_init(&rx, buf, 1 + m->mid % sizeof(buf), 64) == 0);
        for (int i = 0; i < 2; i++) {
            int rc = coap_block1_rx_feed(&rx, m, (uint64_t)i * 1000);
            CHECK(rx.len <= rx.cap);
            if (rc == COAP_B1_CONTINUE || rc == COAP_B1_COMPLETE) {
                coap_block1_rx_response(&rx, &out);
                CHECK(out.szx <= COAP_BLOCK_SZX_MAX);
            }
        }
    }

    /* Client roles: treat the message as the answer to our block. */
    if (coap_msg_is_response(m)) {
        coap_block2_rx_t b2;
        coap_block1_tx_t tx;
        const uint8_t *p;
        size_t pl;
        CHECK(coap_block2_rx_init(&b2, buf, 1 + m->mid % sizeof(buf), m->mid % 7) == 0);
        for (int i = 0; i < 2; i++) {
            int rc = coap_block2_rx_feed(&b2, m, &out);
            CHECK(b2.len <= b2.cap);
            if (rc == COAP_B2_NEXT) CHECK(out.more == 0 && out.szx <= COAP_BLOCK_SZX_MAX);
        }
        size_t blen = m->payload_len * 3 < sizeof(buf) ? m->payload_len * 3 : sizeof(buf);
        CHECK(coap_block1_tx_init(&tx, buf, blen, 16u << (m->mid % 7), m->token, m->tkl) == 0);
        for (int i = 0; i < 10; i++) {
            if (coap_block1_tx_next(&tx, &b, &p, &pl) != 0) break;
            CHECK(pl <= coap_block_size(b.szx));
            CHECK(p == NULL || (p >= buf && p + pl <= buf + tx.len));
            int rc = coap_block1_tx_on_response(&tx, m);
            if (rc < 0 || rc == COAP_B1TX_DONE) break;
        }
    }
}

static void fuzz_dedup_xmit(const coap_msg_t *m, const uint8_t *data, size_t size)
{
    coap_dedup_t d;
    const uint8_t *c;
    size_t cl;
    uint64_t now = 0;

    coap_dedup_init(&d);
    for (unsigned i = 0; i < COAP_DEDUP_SLOTS + 3; i++) {
        uint16_t mid = (uint16_t)(m->mid + (i % 5) * (m->tkl ? m->token[0] : 1));
        now += (uint64_t)(m->code) * 1000u;
        int rc = coap_dedup_check(&d, mid, now, &c, &cl);
        CHECK(rc >= COAP_DEDUP_NEW && rc <= COAP_DEDUP_REPROCESS);
        if (rc == COAP_DEDUP_CACHED) CHECK(cl <= COAP_DEDUP_INLINE && (cl == 0 || c != NULL));
        if (rc == COAP_DEDUP_NEW)
            CHECK(coap_dedup_store(&d, mid, data, size > 200 ? 200 - i : size, now) > 0);
    }

    /* Our request with MID/token taken from the message, then the message
     * itself as what came back. */
    uint8_t req[32];
    coap_builder_t b;
    coap_xmit_t x;
    coap_build_init(&b, req, sizeof(req), COAP_TYPE_CON, COAP_GET, m->mid, m->token, m->tkl);
    int n = coap_build_finish(&b);
    CHECK(n > 0);
    CHECK(coap_xmit_init(&x, req, (size_t)n) == 0);
    CHECK(coap_xmit_start(&x, 0, m->mid) == 0);
    CHECK(x.timeout_ms >= COAP_ACK_TIMEOUT_MS && x.timeout_ms <= COAP_ACK_RANDOM_MAX_MS);
    int r1 = coap_xmit_on_message(&x, m);
    int r2 = coap_xmit_on_message(&x, m);
    if (r1 == COAP_XMIT_RESPONSE || r1 == COAP_XMIT_RESET) CHECK(r2 == COAP_XMIT_NOMATCH);
    for (int i = 0; i < 8; i++)
        (void)coap_xmit_timer(&x, coap_xmit_next_deadline(&x));
    CHECK(coap_xmit_next_deadline(&x) == COAP_XMIT_NO_DEADLINE);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    coap_msg_t m;
    int rc = coap_parse(&m, data, size);

    if (rc == COAP_ERR_FORMAT) return 0;
    CHECK(rc == 0 || rc == COAP_ERR_TOO_MANY_OPTIONS || rc == COAP_ERR_BAD_OPTION);
    (void)walk_options(&m, data, size);
    if (rc != 0) return 0;
    rebuild_and_compare(&m, data, size);
    fuzz_blocks(&m);
    fuzz_dedup_xmit(&m, data, size);
    return 0;
}
