/*
 * coap_msg.h — RFC 7252 message codec: constants, a strict parser that
 * leaves option values pointing into the caller's datagram, option
 * accessors, and a builder that writes into a caller-owned buffer.
 *
 * Nothing here allocates, keeps global state, or touches I/O.
 * Duplicate detection lives in coap_dedup.h, retransmission of our own
 * requests in coap_xmit.h, block-wise transfers (RFC 7959) in coap_block.h.
 * OSCORE (option 9) is recognised here but processed by bsd/oscore/.
 */
#ifndef BSD_COAP_COAP_MSG_H
#define BSD_COAP_COAP_MSG_H

#include <stddef.h>
#include <stdint.h>

/* ---- Limits ----------------------------------------------------------- */

#define COAP_VERSION        1  /* RFC 7252 §3: Ver = 01 */
#define COAP_HEADER_LEN     4  /* fixed header */
#define COAP_MAX_TKL        8  /* TKL 9..15 are a format error (§3) */
#define COAP_MAX_OPTIONS    40 /* options kept per parsed message */
#define COAP_MAX_OPT_NUM    65535u
#define COAP_MAX_OPT_LEN    65535u /* coap_option_t.len is 16 bits */
#define COAP_PAYLOAD_MARKER 0xFF
/* Largest value a uint option can carry through coap_opt_uint() */
#define COAP_MAX_UINT_LEN 4

/* ---- Message types (§3) ----------------------------------------------- */

#define COAP_TYPE_CON 0
#define COAP_TYPE_NON 1
#define COAP_TYPE_ACK 2
#define COAP_TYPE_RST 3

/* ---- Codes (§3, §12.1) ------------------------------------------------ */

#define COAP_CODE(c, d)     ((uint8_t)((((c)&0x7) << 5) | ((d)&0x1f)))
#define COAP_CODE_CLASS(x)  ((uint8_t)(x) >> 5)
#define COAP_CODE_DETAIL(x) ((uint8_t)(x)&0x1f)

#define COAP_EMPTY  COAP_CODE(0, 0)
#define COAP_GET    COAP_CODE(0, 1)
#define COAP_POST   COAP_CODE(0, 2)
#define COAP_PUT    COAP_CODE(0, 3)
#define COAP_DELETE COAP_CODE(0, 4)
#define COAP_FETCH  COAP_CODE(0, 5) /* RFC 8132 */

#define COAP_CREATED  COAP_CODE(2, 1)
#define COAP_DELETED  COAP_CODE(2, 2)
#define COAP_VALID    COAP_CODE(2, 3)
#define COAP_CHANGED  COAP_CODE(2, 4)
#define COAP_CONTENT  COAP_CODE(2, 5)
#define COAP_CONTINUE COAP_CODE(2, 31) /* RFC 7959 §2.9.1 */

#define COAP_BAD_REQUEST                COAP_CODE(4, 0)
#define COAP_UNAUTHORIZED               COAP_CODE(4, 1)
#define COAP_BAD_OPTION                 COAP_CODE(4, 2)
#define COAP_FORBIDDEN                  COAP_CODE(4, 3)
#define COAP_NOT_FOUND                  COAP_CODE(4, 4)
#define COAP_METHOD_NOT_ALLOWED         COAP_CODE(4, 5)
#define COAP_NOT_ACCEPTABLE             COAP_CODE(4, 6)
#define COAP_REQUEST_ENTITY_INCOMPLETE  COAP_CODE(4, 8) /* RFC 7959 §2.9.2 */
#define COAP_PRECONDITION_FAILED        COAP_CODE(4, 12)
#define COAP_REQUEST_ENTITY_TOO_LARGE   COAP_CODE(4, 13)
#define COAP_UNSUPPORTED_CONTENT_FORMAT COAP_CODE(4, 15)
#define COAP_INTERNAL_SERVER_ERROR      COAP_CODE(5, 0)
#define COAP_SERVICE_UNAVAILABLE        COAP_CODE(5, 3)
#define COAP_PROXYING_NOT_SUPPORTED     COAP_CODE(5, 5)

/* ---- Option numbers (PROTOCOLS.md §6.3) ------------------------------- */

#define COAP_OPT_IF_MATCH       1
#define COAP_OPT_URI_HOST       3
#define COAP_OPT_ETAG           4
#define COAP_OPT_IF_NONE_MATCH  5
#define COAP_OPT_OBSERVE        6 /* RFC 7641 */
#define COAP_OPT_URI_PORT       7
#define COAP_OPT_LOCATION_PATH  8
#define COAP_OPT_OSCORE         9 /* RFC 8613 */
#define COAP_OPT_URI_PATH       11
#define COAP_OPT_CONTENT_FORMAT 12
#define COAP_OPT_MAX_AGE        14
#define COAP_OPT_URI_QUERY      15
#define COAP_OPT_ACCEPT         17
#define COAP_OPT_LOCATION_QUERY 20
#define COAP_OPT_BLOCK2         23 /* RFC 7959 */
#define COAP_OPT_BLOCK1         27 /* RFC 7959 */
#define COAP_OPT_SIZE2          28 /* RFC 7959 */
#define COAP_OPT_PROXY_URI      35
#define COAP_OPT_PROXY_SCHEME   39
#define COAP_OPT_SIZE1          60
#define COAP_OPT_ECHO           252 /* RFC 9175 */
#define COAP_OPT_NO_RESPONSE    258 /* RFC 7967 */
#define COAP_OPT_REQUEST_TAG    292 /* RFC 9175 */

/* Option properties are encoded in the number (RFC 7252 §5.4.6). */
#define COAP_OPT_IS_CRITICAL(n)   (((n)&1u) != 0)
#define COAP_OPT_IS_UNSAFE(n)     (((n)&2u) != 0)
#define COAP_OPT_IS_NOCACHEKEY(n) (((n)&0x1eu) == 0x1cu)

/* ---- Content-Formats (RFC 7252 §12.3, RFC 9148 §8.1, LwM2M) ----------- */

#define COAP_CF_TEXT_PLAIN   0
#define COAP_CF_LINK_FORMAT  40
#define COAP_CF_OCTET_STREAM 42
#define COAP_CF_CBOR         60
#define COAP_CF_SENML_JSON   110
#define COAP_CF_SENML_CBOR   112
#define COAP_CF_LWM2M_TLV    11542
#define COAP_CF_LWM2M_JSON   11543
#define COAP_CF_PKCS7_CERTS  281 /* application/pkcs7-mime;smime-type=certs-only */
#define COAP_CF_CSRATTRS     285 /* application/csrattrs (RFC 9148 §8.1) */
#define COAP_CF_PKCS10       286 /* application/pkcs10 */
#define COAP_CF_PKIX_CERT    287 /* application/pkix-cert (RFC 9148 §8.1) */

/* ---- Errors shared by every coap_ module ------------------------------ */

enum {
    COAP_OK = 0,
    COAP_ERR_FORMAT = -1,           /* message format error (RFC 7252 §3, §4.2) */
    COAP_ERR_TOO_MANY_OPTIONS = -2, /* more than COAP_MAX_OPTIONS options */
    COAP_ERR_BAD_OPTION = -3,       /* known option with an invalid length or repeat */
    COAP_ERR_NOSPACE = -4,          /* output buffer too small / truncation */
    COAP_ERR_ORDER = -5,            /* builder: option or payload out of order */
    COAP_ERR_INVAL = -6,            /* invalid argument */
    COAP_ERR_NOTFOUND = -7,         /* option or query key not present */
    COAP_ERR_DUPLICATE = -8,        /* query key present more than once */
    COAP_ERR_BLOCK_SZX = -9,        /* Block option with reserved SZX 7 */
    COAP_ERR_BLOCK_RANGE = -10,     /* block beyond the body / NUM overflow */
    COAP_ERR_BLOCK_SIZE = -11,      /* payload size does not match the block size */
    COAP_ERR_BLOCK_SEQ = -12,       /* block out of sequence (client role) */
    COAP_ERR_BLOCK_ETAG = -13,      /* ETag changed during a Block2 transfer */
    COAP_ERR_STATE = -14,           /* call not valid in the object's state */
    COAP_ERR_PROTOCOL = -15,        /* peer violated the protocol (client role) */
};

/* Returns a static, stable, lower-case description of |err| (one of the
 * COAP_ERR_* values or COAP_OK) for logs; "unknown error" otherwise. */
const char *coap_strerror(int err);

/* ---- Parsed message --------------------------------------------------- */

/* One option; |val| points into the datagram given to coap_parse(). */
typedef struct {
    uint16_t num;       /* option number */
    uint16_t len;       /* value length in bytes */
    const uint8_t *val; /* value bytes (not NUL-terminated); NULL if len 0 */
} coap_option_t;

typedef struct {
    uint8_t type; /* COAP_TYPE_* */
    uint8_t code; /* COAP_CODE(c,d) */
    uint16_t mid; /* Message ID, host order */
    uint8_t tkl;  /* token length 0..8 */
    uint8_t token[COAP_MAX_TKL];
    uint16_t nopts;                       /* entries used in opts[] */
    coap_option_t opts[COAP_MAX_OPTIONS]; /* wire order (non-decreasing num) */
    const uint8_t *payload;               /* into the datagram; NULL if none */
    size_t payload_len;
} coap_msg_t;

/*
 * Parses the datagram |buf| of |len| bytes into |m| (which must not be
 * NULL). Option values and the payload point into |buf|, which must
 * outlive |m|. Strict RFC 7252 rules are applied; each of these is
 * COAP_ERR_FORMAT:
 *   - fewer than 4 bytes or fewer than TKL token bytes; a version other
 *     than 1; TKL 9..15; a code of reserved class 1, 3, 6 or 7
 *     (§3, §4.2, §12.1); an Empty message (0.00) with TKL != 0 or any byte
 *     after the Message ID (§4.1); an Empty NON (§4.3); an RST that is not
 *     Empty (§4.2); an ACK carrying a request code (§4.2);
 *   - option nibble 15 anywhere except in the 0xFF payload marker, an
 *     extended delta/length running past the end, an option number above
 *     65535, a value longer than COAP_MAX_OPT_LEN or running past the end,
 *     and a payload marker followed by nothing (§3.1).
 *   The caller rejects the message: RST for a CON,
 *   silent drop otherwise (§4.2, §4.3). After this error m->nopts is 0 and
 *   m->payload NULL; the header fields are unspecified.
 *
 * Option value lengths are checked against the PROTOCOLS.md §6.3 table
 * (e.g. Uri-Path 0..255, Block1/2 0..3, Echo 1..40, Request-Tag 0..8,
 * If-None-Match 0, Content-Format 0..2). An occurrence with a length
 * outside the range, or a second occurrence of a non-repeatable option,
 * "MUST be treated like an unrecognized option" (§5.4.3, §5.4.5):
 *   - elective (even number): silently ignored (§5.4.1) — it is left out of
 *     opts[] and does not count towards COAP_MAX_OPTIONS; parsing succeeds;
 *   - critical (odd number): the option is kept in opts[], parsing of the
 *     rest continues, and COAP_ERR_BAD_OPTION is returned. The caller
 *     answers a CON request with 4.02 Bad Option, rejects a CON response
 *     with RST and ignores it in a NON or ACK (§5.4.1).
 * Unknown options are kept in opts[] whatever their length; use
 * coap_msg_unknown_critical() to find unknown critical ones.
 *
 * With COAP_ERR_TOO_MANY_OPTIONS (more than COAP_MAX_OPTIONS options that
 * would have been kept) or COAP_ERR_BAD_OPTION the header, token, the first
 * COAP_MAX_OPTIONS options and the payload are valid, so the caller can
 * answer (suggested: 4.02 for BAD_OPTION, 4.00 for TOO_MANY_OPTIONS, RST
 * for a CON response). A message with a format error reports FORMAT even
 * if it also has too many options or a bad option.
 *
 * Returns 0, COAP_ERR_FORMAT, COAP_ERR_TOO_MANY_OPTIONS or
 * COAP_ERR_BAD_OPTION.
 */
int coap_parse(coap_msg_t *m, const uint8_t *buf, size_t len);

/* Returns the number of the first critical option in |m| that the codec
 * does not know (not in the §6.3 table), or 0 if there is none (option 0 is
 * reserved and elective, so 0 is never a real answer). A CON request with
 * one gets 4.02 Bad Option (RFC 7252 §5.4.1). Known-but-unsupported
 * critical options are the application's business (e.g. Proxy-Uri → 5.05,
 * OSCORE without a context → 4.02). */
int coap_msg_unknown_critical(const coap_msg_t *m);

/* 1 if |m| carries a request code (class 0, not Empty), else 0. */
int coap_msg_is_request(const coap_msg_t *m);

/* 1 if |m| carries a response code (class 2, 4 or 5), else 0. */
int coap_msg_is_response(const coap_msg_t *m);

/* ---- Option accessors ------------------------------------------------- */

/* Returns the first option numbered |num| in |m|, or NULL. */
const coap_option_t *coap_opt_get(const coap_msg_t *m, uint16_t num);

/* Returns the occurrence following |prev| (a pointer returned by
 * coap_opt_get() or coap_opt_next() for |m|) if it has the same number, or
 * NULL. Iterates over repeatable options:
 *   for (o = coap_opt_get(m, N); o; o = coap_opt_next(m, o)) ... */
const coap_option_t *coap_opt_next(const coap_msg_t *m, const coap_option_t *prev);

/* Returns how many times option |num| occurs in |m|. */
unsigned coap_opt_count(const coap_msg_t *m, uint16_t num);

/* Decodes the uint value (RFC 7252 §3.2; leading zero bytes accepted) of
 * |opt| into |*out|. Returns 0, COAP_ERR_NOTFOUND if |opt| is NULL, or
 * COAP_ERR_BAD_OPTION if the value is longer than 4 bytes. */
int coap_opt_uint(const coap_option_t *opt, uint32_t *out);

/* Compares the Uri-Path options of |m| with |path|, a NUL-terminated string
 * of '/'-separated segments ("a/b" = two options "a","b"; one leading '/'
 * is ignored; "" and "/" match a message without Uri-Path). Segments are
 * compared as bytes, so a Uri-Path option containing '/' never matches two
 * segments. Returns 1 if equal, 0 otherwise. */
int coap_uri_path_equals(const coap_msg_t *m, const char *path);

/* Writes the Uri-Path of |m| into |out| (|cap| bytes, NUL-terminated) the
 * way RFC 7252 §6.5 step 7 composes a URI path: '/' + value for each
 * Uri-Path option, so "/bs", "/0/1", "" when there is none, "/" for one
 * empty segment, "//a" for ["", "a"] — every option list has its own
 * string, and coap_uri_path_equals(m, out) holds except for the single
 * empty segment "/". Returns the string length, COAP_ERR_NOSPACE if it
 * would not fit (|out| is then set to "" if cap > 0: never a silent cut),
 * or COAP_ERR_BAD_OPTION if a segment contains '/' or NUL (the string would
 * be ambiguous or cut). */
int coap_uri_path_join(const coap_msg_t *m, char *out, size_t cap);

/* Looks up |key| among the Uri-Query options of |m| written "key=value".
 * On success |*val| points at the value (into the datagram; NULL when the
 * value is empty) and |*len| is its length. An option that is exactly "key"
 * (no '=') counts as the key with an empty value. Returns 0,
 * COAP_ERR_NOTFOUND, or COAP_ERR_DUPLICATE if the key occurs more than once
 * (parameter pollution is refused rather than resolved). */
int coap_query_get(const coap_msg_t *m, const char *key, const uint8_t **val, size_t *len);

/* ---- Builder ---------------------------------------------------------- */

/* Writes a message into caller memory. Errors are sticky: after the first
 * one every later call is a no-op and coap_build_finish() reports it. */
typedef struct {
    uint8_t *buf;      /* output buffer */
    size_t cap;        /* its size */
    size_t len;        /* bytes written so far */
    uint16_t last_num; /* number of the last option written */
    uint8_t nopts_any; /* an option has been written */
    uint8_t payload;   /* payload written: no more options */
    int err;           /* first error, 0 if none */
} coap_builder_t;

/* Starts a message in |buf| (|cap| bytes): header and |tkl| bytes of
 * |token| (may be NULL when tkl is 0). Sticky errors: COAP_ERR_INVAL (type
 * > 3, tkl > 8, NULL buf/token), COAP_ERR_NOSPACE. */
void coap_build_init(coap_builder_t *b, uint8_t *buf, size_t cap, uint8_t type, uint8_t code, uint16_t mid,
                     const uint8_t *token, uint8_t tkl);

/* Appends option |num| with |len| value bytes |val| (NULL allowed when
 * len is 0). Options must come in non-decreasing number order and before
 * the payload. Known options are held to the same length and repeat rules
 * as coap_parse(), so we never emit what a strict peer must reject. Sticky
 * errors: COAP_ERR_ORDER (number below the previous one, or after the
 * payload), COAP_ERR_BAD_OPTION (length out of range for a known option or
 * repeat of a non-repeatable one), COAP_ERR_INVAL (len > 65535, NULL val
 * with len > 0), COAP_ERR_NOSPACE. */
void coap_build_opt(coap_builder_t *b, uint16_t num, const uint8_t *val, size_t len);

/* Appends option |num| holding |v| as a minimal uint (0 → empty value).
 * Same errors as coap_build_opt(). */
void coap_build_opt_uint(coap_builder_t *b, uint16_t num, uint32_t v);

/* Appends option |num| holding the NUL-terminated string |s|.
 * Same errors as coap_build_opt(). */
void coap_build_opt_str(coap_builder_t *b, uint16_t num, const char *s);

/* Appends one Uri-Path option per '/'-separated segment of |path| (one
 * leading '/' ignored; "" and "/" add nothing; "a//b" and "a/" produce
 * empty segments, RFC 7252 §6.4 step 8). Same errors as coap_build_opt(). */
void coap_build_uri_path(coap_builder_t *b, const char *path);

/* Appends the payload marker and |len| bytes of |data|; len 0 writes
 * nothing (an empty payload must not have a marker, §3). At most one call.
 * Sticky errors: COAP_ERR_ORDER (second payload), COAP_ERR_INVAL,
 * COAP_ERR_NOSPACE. */
void coap_build_payload(coap_builder_t *b, const uint8_t *data, size_t len);

/* Returns the total message length, or the first error recorded
 * (COAP_ERR_NOSPACE, COAP_ERR_ORDER, COAP_ERR_BAD_OPTION, COAP_ERR_INVAL). */
int coap_build_finish(const coap_builder_t *b);

/* Writes a 4-byte Empty message (code 0.00, TKL 0) of |type| (normally ACK
 * or RST) with |mid| into |buf|. Returns 4, COAP_ERR_NOSPACE (cap < 4) or
 * COAP_ERR_INVAL (type > 3 or NULL buf). */
int coap_build_empty(uint8_t *buf, size_t cap, uint8_t type, uint16_t mid);

#endif /* BSD_COAP_COAP_MSG_H */
