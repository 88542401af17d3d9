/*
 * oscore_int.h — helpers shared by the bsd/oscore sources; not part of the
 * module's interface (see oscore.h).
 */
#ifndef BSD_OSCORE_OSCORE_INT_H
#define BSD_OSCORE_OSCORE_INT_H

#include "bsd/oscore/oscore.h"

#include <stddef.h>
#include <stdint.h>

/* Writes the CBOR head of a byte string of |len| (<= 255) bytes at |p|;
 * returns 1 or 2 (the bytes written). */
size_t oscore_cbor_bstr_head(uint8_t *p, size_t len);

/* Takes the next SSN into |*ssn|. Returns 0, OSCORE_ERR_SEQ_WRAPPED or
 * OSCORE_ERR_SEQ_EXHAUSTED (nothing consumed). */
int oscore_ctx_seq_take(oscore_ctx_t *ctx, uint64_t *ssn);

/* Writes the first |out_len| (<= 32) bytes of HMAC-SHA-256(|key|,
 * |label| || |a| || |b|) to |out|. Returns 0 or OSCORE_ERR_CRYPTO. */
int oscore_hmac_trunc(const uint8_t key[OSCORE_HMAC_KEY_LEN], const char *label, const uint8_t *a,
                      size_t a_len, const uint8_t *b, size_t b_len, uint8_t *out, size_t out_len);

/* Constant-time comparison of |n| bytes; 1 when equal. */
int oscore_ct_equal(const uint8_t *a, const uint8_t *b, size_t n);

#endif /* BSD_OSCORE_OSCORE_INT_H */
