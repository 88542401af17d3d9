/*
 * coap_block.h — RFC 7959 block-wise transfers, both roles:
 *   - Block option values (decode/encode, sizes, offsets);
 *   - server Block2: which slice of a response body to send;
 *   - server Block1: atomic reassembly of a request body (2.31 / 4.08 /
 *     4.13), keyed by Request-Tag list and Content-Format (RFC 9175 §3);
 *   - client Block1: cutting our request body into blocks, following the
 *     server's block-size wishes;
 *   - client Block2: reassembling a response body.
 * Bodies live in caller-owned buffers; nothing allocates. The objects here
 * do not route: the caller keeps one per (peer, resource) operation and
 * feeds only messages for that resource and method.
 */
#ifndef BSD_COAP_COAP_BLOCK_H
#define BSD_COAP_COAP_BLOCK_H

#include <stddef.h>
#include <stdint.h>

#include "bsd/coap/coap_msg.h"

#define COAP_BLOCK_SZX_MAX     6        /* 1024 bytes; SZX 7 is reserved (§2.2) */
#define COAP_BLOCK_NUM_MAX     0xFFFFFu /* NUM is at most 20 bits (3-byte option) */
#define COAP_BLOCK_MAX_REQTAGS 4        /* Request-Tag options kept per transfer */
#define COAP_REQTAG_MAX_LEN    8        /* RFC 9175 §3.2.1 */

/* A Block1/Block2 option value (§2.2). */
typedef struct {
    uint32_t num; /* block number, 0..COAP_BLOCK_NUM_MAX */
    uint8_t more; /* M bit: 1 if more blocks follow */
    uint8_t szx;  /* size exponent 0..6: size = 16 << szx */
} coap_block_t;

/* Decodes the Block option |opt| (0–3 byte uint) into |*out|. Returns 0,
 * COAP_ERR_NOTFOUND (opt NULL), COAP_ERR_BAD_OPTION (value longer than 3
 * bytes) or COAP_ERR_BLOCK_SZX (SZX 7: the caller answers a request 4.00,
 * §2.2). */
int coap_block_decode(const coap_option_t *opt, coap_block_t *out);

/* Finds option |num| (COAP_OPT_BLOCK1 or COAP_OPT_BLOCK2) in |m| and
 * decodes it. Same returns as coap_block_decode(). */
int coap_block_get(const coap_msg_t *m, uint16_t num, coap_block_t *out);

/* Returns the uint option value NUM << 4 | M << 3 | SZX of |b| (NUM is
 * truncated to 20 bits, SZX to 3), for coap_build_opt_uint(). */
uint32_t coap_block_encode(const coap_block_t *b);

/* Returns the block size 16 << |szx| (szx must be 0..7). */
size_t coap_block_size(uint8_t szx);

/* Returns the byte offset NUM << (SZX + 4) of |b|. */
size_t coap_block_offset(const coap_block_t *b);

/* Returns the largest SZX (0..6) whose block fits in |max_payload| bytes,
 * or COAP_ERR_INVAL if max_payload < 16. */
int coap_block_szx_for(size_t max_payload);

/*
 * Server Block2 (§2.4): chooses the slice of a |total_len|-byte response
 * body to send, given the Block2 option of the request (|requested|, NULL
 * if the request had none) and the room for payload in our response
 * (|max_payload|). The SZX used is the smaller of the requested one and
 * the largest that fits; if it is smaller than the requested one, NUM is
 * rescaled so that the same byte offset is served. On success |*out| is
 * the Block2 option value for the response (NUM, M, SZX), and the payload
 * is body[*off .. *off + *len).
 * Returns 0 if the whole body goes out without a Block2 option (no
 * |requested| and total_len <= max_payload), 1 if the response must carry
 * Block2 = *out, or a negative error:
 *   COAP_ERR_INVAL       max_payload < 16;
 *   COAP_ERR_BLOCK_SZX   requested SZX 7;
 *   COAP_ERR_BLOCK_RANGE the requested block starts at or beyond the end
 *                        of the body (block 0 of an empty body is fine) or
 *                        its rescaled NUM exceeds 20 bits. We answer 4.00
 *                        Bad Request: RFC 7959 §2.2 leaves the code open
 *                        and 4.02 would wrongly suggest the option is not
 *                        understood.
 */
int coap_block2_slice(size_t total_len, const coap_block_t *requested, size_t max_payload, coap_block_t *out,
                      size_t *off, size_t *len);

/* ---- Server Block1 reassembly (§2.3, §2.5, §2.9; RFC 9175 §3) -------- */

enum {
    COAP_B1_CONTINUE = 1,   /* answer 2.31 with Block1 from coap_block1_rx_response() */
    COAP_B1_COMPLETE = 2,   /* body in buf[0..len): act on it; answer with
                             * Block1 from coap_block1_rx_response() */
    COAP_B1_INCOMPLETE = 3, /* answer 4.08 Request Entity Incomplete */
    COAP_B1_TOO_LARGE = 4,  /* answer 4.13 with Size1 = cap */
};

typedef struct {
    uint8_t *buf;        /* caller-owned body buffer */
    size_t cap;          /* its size = largest body accepted */
    size_t len;          /* bytes assembled so far */
    uint64_t expires_ms; /* partial body dropped from here on */
    coap_block_t last;   /* Block1 of the last block accepted */
    uint8_t active;      /* a transfer is in progress */
    uint8_t pref_szx;    /* our preferred block size exponent */
    uint8_t code;        /* request method of block 0 */
    uint8_t has_cf;      /* block 0 carried Content-Format */
    uint32_t cf;         /* its value */
    uint8_t ntags;       /* Request-Tag options in block 0 */
    uint8_t tag_len[COAP_BLOCK_MAX_REQTAGS];
    uint8_t tag[COAP_BLOCK_MAX_REQTAGS][COAP_REQTAG_MAX_LEN];
} coap_block1_rx_t;

/* Prepares |rx| to assemble bodies of up to |cap| bytes into |buf|; our
 * preferred block size is the largest that fits in |max_payload|. Returns
 * 0 or COAP_ERR_INVAL (NULL buf with cap > 0, max_payload < 16). */
int coap_block1_rx_init(coap_block1_rx_t *rx, uint8_t *buf, size_t cap, size_t max_payload);

/* Drops any partial body. */
void coap_block1_rx_reset(coap_block1_rx_t *rx);

/*
 * Feeds the parsed request |req| (carrying Block1) at |now_ms|.
 * NUM 0 starts a new body (replacing any partial one, §2.5) and remembers
 * the method, Content-Format and Request-Tag list. A later block must have
 * the same method, Content-Format and Request-Tag list, and start exactly
 * at the end of what was assembled (a smaller SZX than before is fine,
 * §2.3), within EXCHANGE_LIFETIME of the previous block (§2.5).
 * Returns:
 *   COAP_B1_CONTINUE   block stored, M=1;
 *   COAP_B1_COMPLETE   last block stored; body is buf[0..len), valid until
 *                      the next feed or reset;
 *   COAP_B1_INCOMPLETE no transfer in progress for NUM > 0, gap or out of
 *                      order, expired, or Content-Format changed (partial
 *                      body dropped); different Request-Tag list or method
 *                      (another operation, RFC 9175 §3.3: the partial body
 *                      is kept);
 *   COAP_B1_TOO_LARGE  the body (or its Size1) exceeds cap (dropped);
 *   COAP_ERR_NOTFOUND  no Block1 option (not block-wise: use req->payload);
 *   COAP_ERR_BLOCK_SZX SZX 7;
 *   COAP_ERR_BAD_OPTION Block1 longer than 3 bytes, Content-Format longer
 *                      than 4 or Request-Tag longer than 8 (only possible in
 *                      a coap_msg_t not made by coap_parse());
 *   COAP_ERR_BLOCK_SIZE M=1 and payload size != block size, or payload
 *                      larger than the block size (§2.3);
 *   COAP_ERR_TOO_MANY_OPTIONS more than COAP_BLOCK_MAX_REQTAGS Request-Tags.
 * Every negative return is answered 4.00 Bad Request; the state is left
 * unchanged by them.
 */
int coap_block1_rx_feed(coap_block1_rx_t *rx, const coap_msg_t *req, uint64_t now_ms);

/* Fills |*out| with the control Block1 for the answer to the block last
 * accepted: its NUM echoed, M=1 after CONTINUE (atomic, §2.3) and 0 after
 * COMPLETE, SZX = min(its SZX, our preferred SZX) — the server's wish for
 * the next blocks. */
void coap_block1_rx_response(const coap_block1_rx_t *rx, coap_block_t *out);

/* ---- Client Block1 sender (§2.3, §2.5, §2.9.3) ----------------------- */

enum {
    COAP_B1TX_NEXT = 1,    /* send the block given by coap_block1_tx_next() */
    COAP_B1TX_RESTART = 2, /* 4.13 asked for smaller blocks: start over at
                            * block 0 with coap_block1_tx_next() (use a new
                            * Request-Tag if the old one may still be live) */
    COAP_B1TX_DONE = 3,    /* |resp| is the final response of the operation */
};

typedef struct {
    const uint8_t *body;              /* caller-owned request body */
    size_t len;                       /* its length */
    size_t off;                       /* offset of the current block */
    uint8_t szx;                      /* current block size exponent */
    uint8_t done;                     /* final response seen */
    uint8_t tag_len;                  /* Request-Tag length (when has_tag) */
    uint8_t has_tag;                  /* send a Request-Tag option */
    uint8_t tag[COAP_REQTAG_MAX_LEN]; /* Request-Tag value */
} coap_block1_tx_t;

/* Prepares to send |body| (|len| bytes, caller-owned) with blocks that fit
 * in |max_payload|. |reqtag| (NULL: no Request-Tag option) of |reqtag_len|
 * <= 8 bytes goes into every block (RFC 9175 §3.4). Returns 0 or
 * COAP_ERR_INVAL. */
int coap_block1_tx_init(coap_block1_tx_t *tx, const uint8_t *body, size_t len, size_t max_payload,
                        const uint8_t *reqtag, size_t reqtag_len);

/* Gives the current block: |*blk| is the Block1 option value, the payload
 * is |*payload| (into the body) of |*plen| bytes. The caller builds the
 * request with Block1 = coap_block_encode(blk), the Request-Tag
 * (tx->tag/tag_len if tx->has_tag) and, on block 0, Size1 = tx->len.
 * Returns 0, COAP_ERR_STATE (final response already seen) or
 * COAP_ERR_BLOCK_RANGE (NUM would exceed 20 bits). */
int coap_block1_tx_next(coap_block1_tx_t *tx, coap_block_t *blk, const uint8_t **payload, size_t *plen);

/*
 * Processes the response |resp| to the block last given by
 * coap_block1_tx_next():
 *   2.31 with Block1 echoing our NUM: COAP_B1TX_NEXT; a smaller SZX in it
 *        is adopted and the next NUM rescaled (§2.3, §2.5);
 *   another 2.xx to a non-final block (server not atomic, §2.3):
 *        COAP_B1TX_NEXT;
 *   4.13 (§2.9.3): if Size1 is present and below the body length, or no
 *        smaller SZX is left, COAP_B1TX_DONE; otherwise the SZX drops to
 *        the one in the response's Block1 if smaller, else by one, and
 *        COAP_B1TX_RESTART (at most 6 times per body);
 *   any other response to a non-final block, or any response to the final
 *        block: COAP_B1TX_DONE.
 * Negative: COAP_ERR_STATE (already done), COAP_ERR_INVAL (not a
 * response), COAP_ERR_PROTOCOL (2.31 without Block1, with another NUM, or
 * to the final block), COAP_ERR_BLOCK_SZX / COAP_ERR_BAD_OPTION (bad
 * Block1 in the response). After a negative return other than STATE and
 * INVAL the operation should be abandoned.
 */
int coap_block1_tx_on_response(coap_block1_tx_t *tx, const coap_msg_t *resp);

/* ---- Client Block2 reassembly (§2.4, §2.7) --------------------------- */

enum {
    COAP_B2_NEXT = 1,     /* request the block in |*next| */
    COAP_B2_COMPLETE = 2, /* body is buf[0..len) */
};

typedef struct {
    uint8_t *buf;     /* caller-owned body buffer */
    size_t cap;       /* its size */
    size_t len;       /* bytes assembled so far */
    uint8_t pref_szx; /* largest block size we ask for */
    uint8_t started;  /* first block received */
    uint8_t complete; /* last block received */
    uint8_t has_etag; /* first block carried an ETag */
    uint8_t etag_len;
    uint8_t etag[8];
} coap_block2_rx_t;

/* Prepares |rx| to assemble a response body of up to |cap| bytes into
 * |buf|, asking for blocks of at most 16 << |pref_szx| bytes. Returns 0 or
 * COAP_ERR_INVAL (pref_szx > 6, NULL buf with cap > 0). */
int coap_block2_rx_init(coap_block2_rx_t *rx, uint8_t *buf, size_t cap, uint8_t pref_szx);

/* Gives the Block2 option for the first request (NUM 0, M 0, pref_szx);
 * sending it is optional (early negotiation, §2.4). */
void coap_block2_rx_first(const coap_block2_rx_t *rx, coap_block_t *first);

/*
 * Feeds the response |resp|. A response without Block2 as the first one is
 * the whole body. Returns COAP_B2_NEXT (|*next| is the Block2 option for
 * the next request: NUM after the bytes held, M 0, SZX = min(server's,
 * ours)) or COAP_B2_COMPLETE, or a negative error after which the transfer
 * is abandoned and |rx| reset:
 *   COAP_ERR_BLOCK_SEQ  block not starting at the end of the data held
 *                       (or Block2 missing after the first response);
 *   COAP_ERR_BLOCK_ETAG ETag differs from the first block's (§2.4);
 *   COAP_ERR_NOSPACE    body (or Size2) larger than cap;
 *   COAP_ERR_BLOCK_SIZE M=1 with payload != block size, or payload larger
 *                       than the block size;
 *   COAP_ERR_BLOCK_SZX, COAP_ERR_BAD_OPTION  bad Block2 option (or an
 *                       ETag longer than 8 bytes in a hand-made message);
 *   COAP_ERR_BLOCK_RANGE next NUM would exceed 20 bits;
 *   COAP_ERR_STATE      transfer already complete (not reset).
 */
int coap_block2_rx_feed(coap_block2_rx_t *rx, const coap_msg_t *resp, coap_block_t *next);

/* Forgets the data held, keeping buffer and preferences. */
void coap_block2_rx_reset(coap_block2_rx_t *rx);

#endif /* BSD_COAP_COAP_BLOCK_H */
