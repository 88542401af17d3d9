/*
 * der.h — a bounded DER (X.690) reader and writer, enough for PKCS#10,
 * X.509 certificates, CRLs and PKCS#7 certs-only.
 *
 * Reader: walks TLVs inside a buffer without copying. Only definite
 * lengths, at most 4 length octets, minimal length encoding, one-octet
 * tags (a high tag number form is refused); every read is checked against
 * the enclosing element, so a malformed input is refused, never overread.
 *
 * Writer: appends into a caller buffer; constructed elements are opened and
 * closed (lengths fixed up on close), nesting at most DER_WR_DEPTH deep. An
 * error (buffer full, nesting too deep, close without open) is sticky: the
 * writer stops, and der_wr_finish() reports it once at the end.
 */
#ifndef BSD_EST_DER_H
#define BSD_EST_DER_H

#include <stddef.h>
#include <stdint.h>

/* Universal tags (class bits included). */
#define DER_BOOLEAN     0x01
#define DER_INTEGER     0x02
#define DER_BIT_STRING  0x03
#define DER_OCTET_STR   0x04
#define DER_NULL        0x05
#define DER_OID         0x06
#define DER_UTF8STRING  0x0c
#define DER_PRINTABLE   0x13
#define DER_IA5STRING   0x16
#define DER_UTCTIME     0x17
#define DER_GENTIME     0x18
#define DER_SEQUENCE    0x30
#define DER_SET         0x31
#define DER_CTX(n)      (0x80 | (n)) /* [n] IMPLICIT, primitive */
#define DER_CTX_CONS(n) (0xa0 | (n)) /* [n], constructed */

#define DER_WR_DEPTH 12

/* The input still to read. */
typedef struct der_rd {
    const uint8_t *p;
    size_t len;
} der_rd_t;

/* One element: its tag, its value, and its whole encoding (tag, length and
 * value) for when the bytes themselves are needed (signed data, names). */
typedef struct der_tlv {
    uint8_t tag;
    const uint8_t *val;
    size_t len;
    const uint8_t *raw;
    size_t rawlen;
} der_tlv_t;

/* A reader over |len| bytes at |p|. */
der_rd_t der_rd(const uint8_t *p, size_t len);

/* A reader over the value of |t| (its contents). */
der_rd_t der_inside(const der_tlv_t *t);

/* Reads the next element into |*t|. Returns 0, 1 at the end of the input,
 * -1 when malformed (truncated, indefinite or non-minimal length, high tag
 * number). */
int der_next(der_rd_t *r, der_tlv_t *t);

/* Reads the next element and checks its tag. Returns 0, or -1 when the input
 * ends, is malformed or the tag differs. */
int der_expect(der_rd_t *r, uint8_t tag, der_tlv_t *t);

/* 1 when the next element has tag |tag| (the reader does not move). */
int der_peek(const der_rd_t *r, uint8_t tag);

/* 1 when |t| is an OID equal to the content octets |oid| (|n| bytes). */
int der_oid_is(const der_tlv_t *t, const uint8_t *oid, size_t n);

/* An INTEGER |t| as a non-negative value of at most 63 bits into |*v|.
 * Returns 0, or -1 when negative, too large or not minimally encoded. */
int der_small_uint(const der_tlv_t *t, uint64_t *v);

/* A UTCTime or GeneralizedTime |t| ("Z" form, seconds present, as RFC 5280
 * §4.1.2.5 requires) as seconds since the epoch. Returns 0 or -1. */
int der_time(const der_tlv_t *t, int64_t *secs);

typedef struct der_wr {
    uint8_t *buf;
    size_t cap;
    size_t len;
    int err;
    int depth;
    size_t open[DER_WR_DEPTH]; /* where each open element's length starts */
} der_wr_t;

void der_wr_init(der_wr_t *w, uint8_t *buf, size_t cap);

/* Opens a constructed element with |tag|; close it with der_wr_close(). */
void der_wr_open(der_wr_t *w, uint8_t tag);
void der_wr_close(der_wr_t *w);

/* A primitive element with |tag| and value |v| (|n| bytes). */
void der_wr_prim(der_wr_t *w, uint8_t tag, const void *v, size_t n);

/* |n| bytes already DER-encoded (a Name, an SPKI, a whole certificate). */
void der_wr_raw(der_wr_t *w, const void *v, size_t n);

/* An INTEGER holding the unsigned big-endian number |v| (|n| bytes; leading
 * zero octets dropped, one added when the top bit is set). */
void der_wr_uint_be(der_wr_t *w, const uint8_t *v, size_t n);

/* An INTEGER holding |v|. */
void der_wr_uint(der_wr_t *w, uint64_t v);

/* An OID from its content octets. */
void der_wr_oid(der_wr_t *w, const uint8_t *oid, size_t n);

/* A BIT STRING with no unused bits holding |n| bytes. */
void der_wr_bits(der_wr_t *w, const void *v, size_t n);

/* A time as RFC 5280 §4.1.2.5 wants it: UTCTime for 1950–2049, else
 * GeneralizedTime; |secs| since the epoch, UTC. */
void der_wr_time(der_wr_t *w, int64_t secs);

/* BOOLEAN TRUE. */
void der_wr_true(der_wr_t *w);

/* The encoded length, or -1 when anything failed or an element is still
 * open. */
long der_wr_finish(const der_wr_t *w);

#endif
