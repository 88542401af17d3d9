/*
 * fuzz_dtls_peek.c — libFuzzer target for the stateless record pre-parsers
 * that see every datagram from peers without a session
 * (dtls_peek_client_hello, dtls_psk_identity_has_nul, dtls_peek_alert).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "bsd/transport/dtls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    dtls_hello_info_t hi;
    int r = dtls_peek_client_hello(data, size, &hi);
    /* Consistency: a recognised hello is a handshake record of epoch 0. */
    if (r == 0 && (size < 25 || data[0] != 22 || data[3] != 0 || data[4] != 0 || !hi.is_client_hello))
        abort();
    if (r != 0 && hi.is_client_hello) abort();
    (void)dtls_psk_identity_has_nul(data, size);
    int a = dtls_peek_alert(data, size);
    if (a >= 0) (void)dtls_alert_name(a);
    return 0;
}
