/*
 * fuzz_coap_seq.c — libFuzzer target driving the bsd/coap state machines
 * with a sequence of datagrams. The input is a list of records
 * [dt:1][len:1][len bytes]: dt advances the clock (in seconds, so that
 * EXCHANGE_LIFETIME and retransmission deadlines are crossed), the bytes
 * are one datagram. Every datagram that parses is fed to one Block1
 * reassembler, one Block2 reassembler, one Block1 sender, one dedup table
 * and one outstanding request, whose invariants are checked after each
 * step. fuzz_coap.c covers the single-message codec properties.
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

#define SEQ_MAX_MSGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t b1buf[700], b2buf[700], body[3000];
    static const uint8_t req_tmpl[] = {0x42, 0x01, 0x12, 0x34, 0x00, 0x01, 0xb1, 0x30};
    coap_block1_rx_t b1;
    coap_block2_rx_t b2;
    coap_block1_tx_t tx;
    coap_dedup_t dd;
    coap_xmit_t x;
    uint64_t now = 0;
    size_t pos = 0;
    int tx_live = 1;

    for (size_t i = 0; i < sizeof(body); i++)
        body[i] = (uint8_t)i;
    CHECK(coap_block1_rx_init(&b1, b1buf, sizeof(b1buf), 128) == 0);
    CHECK(coap_block2_rx_init(&b2, b2buf, sizeof(b2buf), 3) == 0);
    CHECK(coap_block1_tx_init(&tx, body, size % sizeof(body), 512, (const uint8_t *)"\x01", 1) == 0);
    coap_dedup_init(&dd);
    /* GET /0 with MID 0x1234 and token 00 01 */
    CHECK(coap_xmit_init(&x, req_tmpl, sizeof(req_tmpl)) == 0);
    CHECK(coap_xmit_start(&x, 0, (uint32_t)size) == 0);

    for (int k = 0; k < SEQ_MAX_MSGS && size - pos >= 2; k++) {
        coap_msg_t m;
        coap_block_t nb;
        size_t len = data[pos + 1];
        now += (uint64_t)data[pos] * 1000u;
        pos += 2;
        if (len > size - pos) len = size - pos;
        const uint8_t *msg = data + pos;
        pos += len;

        int t = coap_xmit_timer(&x, now);
        CHECK(t == COAP_XMIT_IDLE || t == COAP_XMIT_RETRANSMIT || t == COAP_XMIT_TIMEOUT);
        if (coap_parse(&m, msg, len) != 0) continue;

        int d = coap_dedup_check(&dd, m.mid, now, NULL, NULL);
        if (d == COAP_DEDUP_NEW) (void)coap_dedup_store(&dd, m.mid, msg, len, now);

        int r = coap_xmit_on_message(&x, &m);
        CHECK(r >= COAP_XMIT_NOMATCH && r <= COAP_XMIT_RESET);

        if (coap_msg_is_request(&m)) {
            int rc = coap_block1_rx_feed(&b1, &m, now);
            CHECK(b1.len <= b1.cap);
            if (rc == COAP_B1_CONTINUE || rc == COAP_B1_COMPLETE) {
                coap_block1_rx_response(&b1, &nb);
                CHECK(nb.szx <= b1.pref_szx && nb.more == (rc == COAP_B1_CONTINUE));
            }
        }
        if (coap_msg_is_response(&m)) {
            int rc = coap_block2_rx_feed(&b2, &m, &nb);
            CHECK(b2.len <= b2.cap);
            if (rc == COAP_B2_NEXT) CHECK(nb.szx <= b2.pref_szx && coap_block_offset(&nb) == b2.len);
            if (rc == COAP_ERR_STATE) coap_block2_rx_reset(&b2);

            if (tx_live) {
                const uint8_t *p;
                size_t pl;
                rc = coap_block1_tx_on_response(&tx, &m);
                if (rc == COAP_B1TX_DONE) tx_live = 0;
                if (tx_live && coap_block1_tx_next(&tx, &nb, &p, &pl) == 0) {
                    CHECK(pl <= coap_block_size(nb.szx));
                    CHECK(coap_block_offset(&nb) + pl <= tx.len);
                    CHECK(pl == 0 || p == body + coap_block_offset(&nb));
                    CHECK(nb.more == (coap_block_offset(&nb) + pl < tx.len));
                }
            }
        }
    }
    return 0;
}
