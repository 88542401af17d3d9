/*
 * fuzz_db_certs.c — libFuzzer target for the text the certificate
 * resources take from clients (bsd/db/db_certs.c): serials in hex (either
 * case, openssl's colons), list cursors and CRLReason names.
 *
 * Checks besides memory safety: a parsed serial is 1..20 octets and reads
 * back from its hex; a parsed cursor writes back to the same text and parses
 * to the same keyset; a reason name parses to a value whose name it is.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bsd/db/db_certs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 256) return 0;
    char s[257];
    memcpy(s, data, size);
    s[size] = 0;

    uint8_t serial[20], again[20];
    size_t len = db_cert_serial_parse(s, serial);
    if (len > 20) abort();
    if (len > 0) {
        char hex[41];
        if (db_cert_serial_parse(db_hex_encode(serial, len, hex), again) != len || memcmp(serial, again, len))
            abort();
    }

    db_certs_filter_t f = {0}, g = {0};
    if (db_certs_cursor_parse(s, &f) == 0) {
        char c[DB_CERTS_CURSOR_MAX];
        db_certs_cursor(f.before_us, f.before_serial, f.before_serial_len, c);
        if (strcmp(c, s) != 0 || db_certs_cursor_parse(c, &g) != 0 || g.before_us != f.before_us ||
            g.before_serial_len != f.before_serial_len ||
            memcmp(g.before_serial, f.before_serial, f.before_serial_len) != 0 || f.before_us <= 0)
            abort();
    }

    int reason = db_cert_reason_parse(s);
    if (reason >= 0 && strcmp(db_cert_reason_name(reason), s) != 0) abort();
    return 0;
}
