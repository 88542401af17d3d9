/*
 * oscore.h — sans-IO OSCORE (RFC 8613) on wolfCrypt: security context
 * derivation, the OSCORE option codec, protect/unprotect of requests and
 * responses, the replay window, Appendix B.2 helpers and RFC 9175 Echo
 * values.
 *
 * Design
 * ------
 * Nothing here allocates, locks, reads a clock or touches I/O. The caller
 * (the transport worker that owns the session) passes datagrams, buffers,
 * the time and random bytes, and serialises all calls on one context; a
 * context belongs to one worker at a time (the daemon leases it).
 *
 * Algorithms are fixed to the RFC 8613 defaults the LwM2M profile uses:
 * AES-CCM-16-64-128 (COSE alg 10: 16-byte key, 13-byte nonce, 8-byte tag)
 * and HKDF-SHA-256. Other algorithms are refused at derivation time.
 *
 * Sequence numbers (Appendix B.1.1). The context never reuses a (key,
 * nonce) pair, but it does not own persistence: the caller reserves SSN
 * blocks durably (PostgreSQL) and tells the context how far it may go with
 * oscore_ctx_seq_reserved(). A freshly derived context has nothing
 * reserved, so every protect that needs a Partial IV fails with
 * OSCORE_ERR_SEQ_EXHAUSTED until the caller has reserved a block. The
 * caller refills ahead of time when oscore_ctx_seq_low() says so. After a
 * restart the caller resumes with oscore_ctx_seq_restore(ctx, end of the
 * last reserved block): SSNs handed out before the crash are all below it.
 *
 * Replay window (§7.4, §3.2.2). 32 entries, DTLS style (RFC 6347
 * §4.1.2.6): the highest accepted Partial IV plus a bitmap of the 31
 * below it. It is checked before decryption and updated only after the
 * request verified. Its state is exported (oscore_ctx_replay_get()) so
 * the caller can persist it, and restored with oscore_ctx_replay_set().
 * When the last state is not known after a restart, the caller restores a
 * "floor" instead (oscore_ctx_replay_set_floor()): every request with a
 * Partial IV at or below it is rejected as a replay. Requests above the
 * floor may still be replays of ones accepted after the floor was written;
 * Appendix B.1.2 handles that: the server answers the first request with a
 * protected 4.01 + inner Echo (its own Partial IV), and once the repeated
 * request with a valid Echo verified it calls oscore_ctx_replay_set_floor()
 * with that request's Partial IV.
 *
 * Messages. Protect takes the unprotected message as a coap_msg_t (what
 * coap_parse() gives for a datagram built with coap_builder_t) and writes
 * the protected datagram into caller memory. Unprotect takes the parsed
 * protected datagram and decrypts into a caller buffer; the result is a
 * coap_msg_t view whose options point into that buffer (inner options and
 * payload) and into the protected datagram (outer Class U options), so
 * both must outlive the view. Options are classified per §4.1 (Fig. 5):
 *   - outer only (U): Uri-Host, Uri-Port, Proxy-Scheme, Proxy-Uri, OSCORE;
 *   - inner and outer: Observe (the request carries the same value inner
 *     and outer; a response carries the value outer and an empty inner
 *     one, §4.1.3.5);
 *   - inner (E): everything else, including Max-Age, Block1/Block2,
 *     Size1/Size2, No-Response (we do block-wise inside OSCORE), Echo and
 *     Request-Tag (RFC 9175 §2.2.1, §3.2.1: OSCORE servers use inner Echo)
 *     and every unknown option (§4.1).
 * No Class I options exist, so the AAD's options field is always h''.
 *
 * Partial IVs and nonces (§5.2). A request carries the sender's SSN as its
 * Partial IV and kid = Sender ID. A response either reuses the request's
 * nonce (no Partial IV; C.7) or carries the server's own SSN (C.8),
 * chosen by the caller per response. The association a response needs
 * (request kid, Partial IV and nonce, §8) is an oscore_req_t the caller
 * keeps with the exchange.
 *
 * Appendix B.2. The kid context on the wire during B.2 is the CBOR bstr
 * wrapping of the ID Context (libcoap and Californium agree, PROTOCOLS.md
 * §1.10); oscore_b2_wrap()/oscore_b2_unwrap() convert. The server's
 * response #1 should carry the server's own Partial IV
 * (oscore_send_t.own_piv): libcoap and Californium compute the nonce of a
 * PIV-less response #1 differently, but agree when a PIV is present.
 * A re-derived context (oscore_ctx_rederive()) starts with SSN 0, an empty
 * replay window and nothing reserved: its keys are new, so SSN 0 does not
 * repeat a nonce under any earlier key, as long as the ID Context is never
 * reused (R2 is random or S2 || MAC, B.2.1).
 *
 * Echo (RFC 9175 App. A, method 2: integrity-protected timestamp). An
 * Echo value is 12 bytes: a 32-bit big-endian time in seconds (the
 * caller's clock, wrapping) followed by HMAC-SHA-256(key, "echo" || time ||
 * binding) truncated to 8 bytes. Verification is stateless. |binding| ties
 * a value to what the caller chooses (e.g. Recipient ID and ID Context, or
 * the client address). The key is 32 random bytes the caller draws at
 * start; a restart therefore invalidates every outstanding Echo value,
 * which is what Appendix B.1.2 needs.
 *
 * Error responses (§8): oscore_err_response() maps an OSCORE_ERR_* from
 * unprotect to the CoAP code and diagnostic payload RFC 8613 suggests; the
 * caller builds the (unprotected) answer. Errors found after successful
 * verification (OSCORE_ERR_INNER_*) are answered protected.
 */
#ifndef BSD_OSCORE_OSCORE_H
#define BSD_OSCORE_OSCORE_H

#include "bsd/coap/coap_msg.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- Limits ----------------------------------------------------------- */

#define OSCORE_ALG_AES_CCM_16_64_128 10 /* COSE algorithm number */
#define OSCORE_KEY_LEN               16
#define OSCORE_NONCE_LEN             13 /* = Common IV length */
#define OSCORE_TAG_LEN               8
#define OSCORE_MAX_ID_LEN            7   /* nonce length - 6 (§3.3) */
#define OSCORE_MAX_PIV_LEN           5   /* §6.1 */
#define OSCORE_MAX_ID_CTX_LEN        32  /* ID Context we derive from (R2||R3 of Californium: 24) */
#define OSCORE_MAX_MASTER_LEN        64  /* Master Secret / Master Salt bytes kept */
#define OSCORE_MAX_OPT_LEN           255 /* OSCORE option value (§2) */
#define OSCORE_SSN_LIMIT             ((uint64_t)1 << 40) /* SSN < 2^40 (§7.2.1) */
#define OSCORE_REPLAY_WINDOW         32                  /* §3.2.2 default */
/* Bytes unprotect needs in its buffer on top of the ciphertext length. */
#define OSCORE_UNPROTECT_OVERHEAD 3
#define OSCORE_ECHO_LEN           12 /* time(4) || truncated HMAC(8) */
#define OSCORE_HMAC_KEY_LEN       32 /* Echo and B.2.1 R2 keys */
#define OSCORE_B2_R2_LEN          16 /* S2(8) || HMAC(8) (B.2.1) */
#define OSCORE_AAD_MAX            32 /* Enc_structure with a 7-byte kid, 5-byte PIV: 31 */

/* ---- Errors ----------------------------------------------------------- */

enum {
    OSCORE_OK = 0,
    OSCORE_ERR_INVAL = -1,             /* invalid argument or unsupported input */
    OSCORE_ERR_NOSPACE = -2,           /* output buffer too small */
    OSCORE_ERR_CRYPTO = -3,            /* wolfCrypt failed (not a verification failure) */
    OSCORE_ERR_RESERVED = -4,          /* option: a reserved flag bit (0x20/0x40/0x80) is set */
    OSCORE_ERR_PIV_LEN = -5,           /* option: Partial IV length n is 6 or 7 */
    OSCORE_ERR_TRUNCATED = -6,         /* option: shorter than its flags announce */
    OSCORE_ERR_ZERO_FLAGS = -7,        /* option: flags byte 0 but value not empty */
    OSCORE_ERR_TRAILING = -8,          /* option: bytes left and no kid flag */
    OSCORE_ERR_PIV_NONMINIMAL = -9,    /* option: Partial IV with a leading zero byte */
    OSCORE_ERR_OPT_TOO_LONG = -10,     /* option: value longer than 255 bytes */
    OSCORE_ERR_NO_OPTION = -11,        /* message has no OSCORE option */
    OSCORE_ERR_NO_PAYLOAD = -12,       /* no payload or shorter than the tag (§2) */
    OSCORE_ERR_NO_PIV = -13,           /* request without Partial IV */
    OSCORE_ERR_NO_KID = -14,           /* request without kid */
    OSCORE_ERR_UNKNOWN_KID = -15,      /* kid is not this context's Recipient ID */
    OSCORE_ERR_REPLAY = -16,           /* Partial IV seen or left of the window */
    OSCORE_ERR_DECRYPT = -17,          /* authentication failed */
    OSCORE_ERR_INNER_FORMAT = -18,     /* verified plaintext is not a valid inner message */
    OSCORE_ERR_INNER_BAD_OPTION = -19, /* inner critical option malformed; the view is valid */
    OSCORE_ERR_SEQ_EXHAUSTED = -20,    /* next SSN reached the reserved limit */
    OSCORE_ERR_SEQ_WRAPPED = -21,      /* SSN space (2^40) used up: replace the context */
    OSCORE_ERR_ECHO_INVALID = -22,     /* Echo value malformed or MAC mismatch */
    OSCORE_ERR_ECHO_EXPIRED = -23,     /* Echo value older than allowed (or from the future) */
    OSCORE_ERR_B2_KID_CTX = -24,       /* kid context is not one CBOR bstr (B.2) */
};

/* Returns a static, stable, lower-case description of |err| (OSCORE_OK or
 * an OSCORE_ERR_* value) for logs; "unknown error" otherwise. */
const char *oscore_strerror(int err);

/* Maps an unprotect error to the answer RFC 8613 §8.2/§8.4 suggests:
 * returns the CoAP code and sets |*diag| (if not NULL) to the diagnostic
 * payload text, or NULL when the text should be empty:
 *   - option decode failures, missing payload/kid/Partial IV:
 *     4.02 "Failed to decode COSE";
 *   - OSCORE_ERR_UNKNOWN_KID: 4.01 "Security context not found";
 *   - OSCORE_ERR_REPLAY: 4.01 "Replay detected";
 *   - OSCORE_ERR_DECRYPT: 4.00 "Decryption failed";
 *   - OSCORE_ERR_INNER_FORMAT: 4.00, OSCORE_ERR_INNER_BAD_OPTION: 4.02
 *     (no text; these go back protected, the rest unprotected).
 * Returns 0 for errors that do not come from the peer (INVAL, NOSPACE,
 * CRYPTO, SEQ_*): the caller answers 5.00 or drops. */
uint8_t oscore_err_response(int err, const char **diag);

/* ---- OSCORE option value (§6.1) --------------------------------------- */

typedef struct {
    const uint8_t *piv;     /* Partial IV, into the value; NULL if absent */
    uint8_t piv_len;        /* 0..5 */
    bool has_kid_ctx;       /* h flag */
    const uint8_t *kid_ctx; /* kid context bytes (NULL if length 0) */
    uint8_t kid_ctx_len;    /* s */
    bool has_kid;           /* k flag */
    const uint8_t *kid;     /* kid bytes (NULL if length 0) */
    uint8_t kid_len;
} oscore_option_t;

/* Decodes the OSCORE option value |val| (|len| bytes; may be NULL when len
 * is 0) into |o|; pointers refer into |val|. An empty value is valid (no
 * field present). Returns 0 or, for a malformed value:
 * OSCORE_ERR_OPT_TOO_LONG, OSCORE_ERR_RESERVED, OSCORE_ERR_ZERO_FLAGS,
 * OSCORE_ERR_PIV_LEN, OSCORE_ERR_TRUNCATED, OSCORE_ERR_PIV_NONMINIMAL,
 * OSCORE_ERR_TRAILING; OSCORE_ERR_INVAL for NULL arguments. */
int oscore_option_decode(const uint8_t *val, size_t len, oscore_option_t *o);

/* Encodes |o| into |out| (|cap| bytes). Fields: Partial IV when piv_len >
 * 0, kid context when has_kid_ctx, kid when has_kid. Nothing present gives
 * the empty value. Returns the value length, OSCORE_ERR_INVAL (piv_len >
 * 5, a non-minimal Partial IV, NULL pointer with non-zero length, value
 * longer than 255) or OSCORE_ERR_NOSPACE. */
int oscore_option_encode(const oscore_option_t *o, uint8_t *out, size_t cap);

/* Option classes (§4.1, RFC 9175). */
enum { OSCORE_CLASS_E = 1, OSCORE_CLASS_U = 2, OSCORE_CLASS_EU = 3 };

/* Returns how option |num| is carried: OSCORE_CLASS_U (outer only),
 * OSCORE_CLASS_EU (Observe: inner and outer) or OSCORE_CLASS_E. */
int oscore_option_class(uint16_t num);

/* ---- Security context ------------------------------------------------- */

/* Replay window state, for persisting (§7.4). */
typedef struct {
    bool valid;       /* false: nothing accepted yet, every PIV is new */
    uint64_t highest; /* highest Partial IV accepted */
    uint32_t bitmap;  /* bit i: highest - i accepted */
} oscore_replay_t;

typedef struct {
    uint8_t master_secret[OSCORE_MAX_MASTER_LEN]; /* kept for B.2 re-derivation */
    uint8_t master_secret_len;
    uint8_t master_salt[OSCORE_MAX_MASTER_LEN];
    uint8_t master_salt_len;
    uint8_t sender_id[OSCORE_MAX_ID_LEN];
    uint8_t sender_id_len;
    uint8_t recipient_id[OSCORE_MAX_ID_LEN];
    uint8_t recipient_id_len;
    bool has_id_ctx; /* ID Context present (CBOR nil in info otherwise) */
    uint8_t id_ctx[OSCORE_MAX_ID_CTX_LEN];
    uint8_t id_ctx_len;
    uint8_t sender_key[OSCORE_KEY_LEN];
    uint8_t recipient_key[OSCORE_KEY_LEN];
    uint8_t common_iv[OSCORE_NONCE_LEN];
    uint64_t ssn;           /* next Sender Sequence Number */
    uint64_t ssn_limit;     /* reserved up to, exclusive: SSNs < limit may be used */
    oscore_replay_t replay; /* Recipient side (§3.2.2) */
} oscore_ctx_t;

/* Inputs of a derivation (§3.2). id_ctx NULL means "absent" (CBOR nil);
 * a non-NULL id_ctx with length 0 is the empty ID Context. */
typedef struct {
    const uint8_t *master_secret; /* required, 1..64 bytes */
    size_t master_secret_len;
    const uint8_t *master_salt; /* may be NULL/0: empty salt */
    size_t master_salt_len;
    const uint8_t *sender_id; /* 0..7 bytes */
    size_t sender_id_len;
    const uint8_t *recipient_id; /* 0..7 bytes */
    size_t recipient_id_len;
    const uint8_t *id_ctx; /* 0..32 bytes, NULL: absent */
    size_t id_ctx_len;
} oscore_params_t;

/* Derives Sender Key, Recipient Key and Common IV (§3.2.1) into |ctx|.
 * The SSN starts at 0 with nothing reserved; the replay window is empty.
 * Returns 0, OSCORE_ERR_INVAL (a length out of range, Sender ID equal to
 * Recipient ID, NULL pointers) or OSCORE_ERR_CRYPTO. On error |ctx| is
 * wiped. */
int oscore_ctx_derive(oscore_ctx_t *ctx, const oscore_params_t *p);

/* Derives into |dst| a context with the Master Secret, Master Salt and IDs
 * of |src| and the ID Context |id_ctx| (|len| bytes; Appendix B.2). |dst|
 * starts like a fresh oscore_ctx_derive() result; |dst| may equal |src|.
 * Returns the same errors as oscore_ctx_derive(). */
int oscore_ctx_rederive(oscore_ctx_t *dst, const oscore_ctx_t *src, const uint8_t *id_ctx, size_t len);

/* Overwrites every byte of |ctx| with zeros (keys included). */
void oscore_ctx_wipe(oscore_ctx_t *ctx);

/* Sets the reserved limit: SSNs below |limit| may be used. The limit only
 * grows; |limit| may be at most OSCORE_SSN_LIMIT. Returns 0 or
 * OSCORE_ERR_INVAL (lower than the current limit, or too large). */
int oscore_ctx_seq_reserved(oscore_ctx_t *ctx, uint64_t limit);

/* Sets the next SSN after a restart (normally: the end of the last block
 * reserved before it). The SSN only moves forward. Returns 0 or
 * OSCORE_ERR_INVAL (|next| below the current SSN or above 2^40). */
int oscore_ctx_seq_restore(oscore_ctx_t *ctx, uint64_t next);

/* Returns the next SSN protect would use (how far the context got). */
uint64_t oscore_ctx_seq_next(const oscore_ctx_t *ctx);

/* Returns how many SSNs are reserved and unused. */
uint64_t oscore_ctx_seq_remaining(const oscore_ctx_t *ctx);

/* Returns true when at most |low_water| reserved SSNs are left, i.e. the
 * caller should reserve the next block now, and the SSN space is not used
 * up. */
bool oscore_ctx_seq_low(const oscore_ctx_t *ctx, uint64_t low_water);

/* Copies the replay window state of |ctx| into |st|. */
void oscore_ctx_replay_get(const oscore_ctx_t *ctx, oscore_replay_t *st);

/* Restores a replay window state saved with oscore_ctx_replay_get().
 * Returns 0 or OSCORE_ERR_INVAL (highest >= 2^40, or a valid state whose
 * bitmap lacks bit 0). */
int oscore_ctx_replay_set(oscore_ctx_t *ctx, const oscore_replay_t *st);

/* Makes every Partial IV at or below |floor| a replay and every one above
 * it new (Appendix B.1.2). Returns 0 or OSCORE_ERR_INVAL (floor >= 2^40). */
int oscore_ctx_replay_set_floor(oscore_ctx_t *ctx, uint64_t floor);

/* Checks |piv| against the window without changing it. Returns 0 or
 * OSCORE_ERR_REPLAY. */
int oscore_replay_check(const oscore_replay_t *w, uint64_t piv);

/* Records |piv| as accepted (call only after oscore_replay_check()). */
void oscore_replay_update(oscore_replay_t *w, uint64_t piv);

/* ---- Building blocks (§5.2, §5.4) -------------------------------------- */

/* Writes the AEAD nonce for a Partial IV |piv| (|piv_len| <= 5 bytes)
 * generated by the endpoint with ID |id| (|id_len| <= 7): Common IV |iv|
 * XOR (id_len || ID padded to 7 || PIV padded to 5). Lengths beyond the
 * limits are the caller's bug; protect/unprotect never pass them. */
void oscore_nonce(const uint8_t iv[OSCORE_NONCE_LEN], const uint8_t *id, size_t id_len, const uint8_t *piv,
                  size_t piv_len, uint8_t nonce[OSCORE_NONCE_LEN]);

/* Writes the AAD (Enc_structure "Encrypt0" with the external_aad
 * [1, [10], request_kid, request_piv, h'']) for a request kid (<= 7 bytes)
 * and Partial IV (<= 5 bytes); returns its length (at most
 * OSCORE_AAD_MAX). */
size_t oscore_aad(const uint8_t *kid, size_t kid_len, const uint8_t *piv, size_t piv_len,
                  uint8_t aad[OSCORE_AAD_MAX]);

/* ---- Protect / unprotect ---------------------------------------------- */

/* What a response needs from its request (§8): kept by both ends. */
typedef struct {
    uint8_t kid[OSCORE_MAX_ID_LEN]; /* request kid (the client's Sender ID) */
    uint8_t kid_len;
    uint8_t piv[OSCORE_MAX_PIV_LEN]; /* request Partial IV */
    uint8_t piv_len;
    uint8_t nonce[OSCORE_NONCE_LEN]; /* request nonce (for responses without PIV) */
    bool observe;                    /* request carried Observe */
} oscore_req_t;

/* Per-message sending choices; a NULL pointer means all defaults. */
typedef struct {
    bool own_piv;           /* responses: carry our own Partial IV (C.8) */
    const uint8_t *kid_ctx; /* kid context to put on the wire as is; NULL: none */
    size_t kid_ctx_len;
} oscore_send_t;

/* Protects the request |plain| (a request code; no OSCORE or Proxy-Uri
 * option: a Proxy-Uri must be decomposed first, §4.1.3.3) with |ctx| as
 * the client, consuming one SSN, and writes the protected datagram into
 * |out| (|cap| bytes). Header, token and Message ID are copied; the outer
 * code is POST (FETCH with Observe). |*req| receives what the response's
 * verification needs. Returns the datagram length, OSCORE_ERR_INVAL,
 * OSCORE_ERR_NOSPACE, OSCORE_ERR_SEQ_EXHAUSTED (ctx untouched; reserve
 * more), OSCORE_ERR_SEQ_WRAPPED or OSCORE_ERR_CRYPTO. */
int oscore_protect_request(oscore_ctx_t *ctx, const coap_msg_t *plain, const oscore_send_t *snd, uint8_t *out,
                           size_t cap, oscore_req_t *req);

/* Protects the response |plain| (a response code) to the request
 * described by |req| with |ctx| as the server. With snd->own_piv the
 * response carries our next SSN (consumed; SEQ errors as above), else it
 * reuses the request nonce. The outer code is 2.04 Changed (2.05 when the
 * request and the response carry Observe). Returns the datagram length,
 * OSCORE_ERR_INVAL, OSCORE_ERR_NOSPACE, OSCORE_ERR_SEQ_EXHAUSTED,
 * OSCORE_ERR_SEQ_WRAPPED or OSCORE_ERR_CRYPTO. */
int oscore_protect_response(oscore_ctx_t *ctx, const oscore_req_t *req, const coap_msg_t *plain,
                            const oscore_send_t *snd, uint8_t *out, size_t cap);

/* Verifies the protected request |outer| (from coap_parse()) as the server
 * with |ctx| (looked up by the caller from the option's kid and kid
 * context; the kid context itself is not checked here) and decrypts it
 * into |buf| (at least payload length - 8 + OSCORE_UNPROTECT_OVERHEAD
 * bytes). On success (0) |*inner| is the unprotected request: header,
 * token and Message ID of |outer|, inner code, inner options merged with
 * the outer Class U ones, inner payload; |*req| is the association for the
 * response, and the replay window records the Partial IV.
 * Returns 0 or, in processing order: OSCORE_ERR_INVAL, OSCORE_ERR_NO_OPTION,
 * an option decode error, OSCORE_ERR_NO_PIV, OSCORE_ERR_NO_KID,
 * OSCORE_ERR_NO_PAYLOAD, OSCORE_ERR_UNKNOWN_KID, OSCORE_ERR_REPLAY,
 * OSCORE_ERR_NOSPACE, OSCORE_ERR_DECRYPT, OSCORE_ERR_CRYPTO; after
 * verification (window updated, |*req| set): OSCORE_ERR_INNER_FORMAT
 * (inner code not a request, invalid inner options, inner OSCORE or Class U
 * option, too many options) or OSCORE_ERR_INNER_BAD_OPTION (|*inner| valid;
 * answer 4.02 protected). */
int oscore_unprotect_request(oscore_ctx_t *ctx, const coap_msg_t *outer, uint8_t *buf, size_t cap,
                             coap_msg_t *inner, oscore_req_t *req);

/* Verifies the protected response |outer| to the request |req| as the
 * client with |ctx|. A Partial IV in the response selects a nonce built
 * from the peer's (Recipient) ID; otherwise the request nonce is used. A
 * kid or kid context in the response is ignored (B.2 handling is the
 * caller's). Responses are not replay-checked (§7.4: they are bound to the
 * request). Same buffer rules, view and errors as
 * oscore_unprotect_request() minus NO_PIV/NO_KID/UNKNOWN_KID/REPLAY;
 * OSCORE_ERR_INNER_FORMAT also when the inner code is not a response. */
int oscore_unprotect_response(const oscore_ctx_t *ctx, const oscore_req_t *req, const coap_msg_t *outer,
                              uint8_t *buf, size_t cap, coap_msg_t *inner);

/* ---- Appendix B.2 ----------------------------------------------------- */

/* Writes |a| || |b| (the new ID Context: R2 || ID1 for ctx2, R2 || R3 for
 * ctx3) into |out|; the inputs may overlap |out|. Returns the length, OSCORE_ERR_INVAL (NULL pointers
 * with lengths, total above OSCORE_MAX_ID_CTX_LEN) or OSCORE_ERR_NOSPACE. */
int oscore_b2_id_ctx(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len, uint8_t *out,
                     size_t cap);

/* Wraps |id| (|len| <= 255 bytes) as a CBOR byte string for the kid
 * context field. Returns the wrapped length, OSCORE_ERR_INVAL or
 * OSCORE_ERR_NOSPACE. */
int oscore_b2_wrap(const uint8_t *id, size_t len, uint8_t *out, size_t cap);

/* Unwraps a kid context that must be exactly one definite CBOR byte string
 * (head 0x40..0x57 or 0x58 nn, preferred serialization) and nothing else.
 * |*id| points into |wire|. Returns 0 or OSCORE_ERR_B2_KID_CTX. */
int oscore_b2_unwrap(const uint8_t *wire, size_t len, const uint8_t **id, size_t *id_len);

/* Stateless R2 (B.2.1): writes S2 || HMAC-SHA-256(|key|, "r2" || S2)[0..8)
 * into |r2|, with |s2| 8 fresh random bytes from the caller. Returns 0 or
 * OSCORE_ERR_CRYPTO. */
int oscore_b2_r2_make(const uint8_t key[OSCORE_HMAC_KEY_LEN], const uint8_t s2[8],
                      uint8_t r2[OSCORE_B2_R2_LEN]);

/* Checks that |r2| (|len| bytes) was made by oscore_b2_r2_make() with
 * |key|. Returns 0, OSCORE_ERR_B2_KID_CTX (wrong length or MAC) or
 * OSCORE_ERR_CRYPTO. */
int oscore_b2_r2_check(const uint8_t key[OSCORE_HMAC_KEY_LEN], const uint8_t *r2, size_t len);

/* ---- Echo (RFC 9175) -------------------------------------------------- */

/* Writes an OSCORE_ECHO_LEN-byte Echo value for time |now| (seconds,
 * caller's clock) bound to |bind| (|bind_len| bytes, may be NULL/0).
 * Returns OSCORE_ECHO_LEN, OSCORE_ERR_INVAL or OSCORE_ERR_CRYPTO. */
int oscore_echo_make(const uint8_t key[OSCORE_HMAC_KEY_LEN], uint32_t now, const uint8_t *bind,
                     size_t bind_len, uint8_t out[OSCORE_ECHO_LEN]);

/* Verifies the Echo value |val| (|len| bytes) against |key| and |bind| at
 * time |now|: valid when made by oscore_echo_make() with the same key and
 * binding at most |max_age| seconds before |now| (modulo 2^32) and not
 * after it. Returns 0, OSCORE_ERR_ECHO_INVALID (length or MAC),
 * OSCORE_ERR_ECHO_EXPIRED, OSCORE_ERR_INVAL or OSCORE_ERR_CRYPTO. */
int oscore_echo_verify(const uint8_t key[OSCORE_HMAC_KEY_LEN], uint32_t now, uint32_t max_age,
                       const uint8_t *bind, size_t bind_len, const uint8_t *val, size_t len);

#endif /* BSD_OSCORE_OSCORE_H */
