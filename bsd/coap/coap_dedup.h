/*
 * coap_dedup.h — RFC 7252 §4.5 duplicate detection for one peer.
 *
 * The daemon keeps one coap_dedup_t per DTLS session (or NoSec peer), so
 * the key is the Message ID alone; the endpoint part of the (MID, source)
 * key is the owner of the instance. Entries live EXCHANGE_LIFETIME from
 * the first reception (§4.8.2), after which the peer may reuse the MID.
 *
 * Memory: the table is COAP_DEDUP_SLOTS entries with at most
 * COAP_DEDUP_INLINE bytes of cached response each, about 0.9 KiB per
 * session. Caching whole responses instead (up to ~1152 bytes for a
 * 1024-byte block plus header and options, rounded to 2 KiB buffers) would
 * cost 8 x 2 KiB = 16 KiB per session, i.e. 160 MB for 10 000 concurrent
 * bootstraps, for no gain: what the Bootstrap-Server answers to devices
 * (2.04, 2.31, 4.xx with an Echo) is well under 96 bytes. The rare large
 * response (a Block2 slice of an EST certificate) is a GET/FETCH or an
 * idempotent POST re-run, so COAP_DEDUP_REPROCESS tells the caller to
 * recompute it instead of storing it.
 *
 * Retransmission of our own requests is coap_xmit.h.
 */
#ifndef BSD_COAP_COAP_DEDUP_H
#define BSD_COAP_COAP_DEDUP_H

#include <stddef.h>
#include <stdint.h>

#include "bsd/coap/coap_msg.h"

#define COAP_EXCHANGE_LIFETIME_MS 247000u /* RFC 7252 §4.8.2 */
#define COAP_DEDUP_SLOTS          8       /* MIDs remembered per peer */
#define COAP_DEDUP_INLINE         96      /* largest cached response */

/* Verdicts of coap_dedup_check(); coap_dedup_store() returns the last two
 * kinds for what it did. */
enum {
    COAP_DEDUP_NEW = 0,       /* first time: process, then coap_dedup_store() */
    COAP_DEDUP_CACHED = 1,    /* duplicate: resend the cached bytes */
    COAP_DEDUP_PENDING = 2,   /* duplicate, no response stored yet: drop */
    COAP_DEDUP_REPROCESS = 3, /* duplicate, response was too large to keep:
                               * re-run if idempotent (GET/FETCH), else drop */
};

typedef struct {
    uint64_t expires_ms;             /* the MID may be reused from here on */
    uint16_t mid;                    /* Message ID of the request */
    uint8_t state;                   /* 0 = free, else a COAP_DEDUP_* verdict */
    uint8_t len;                     /* bytes in resp when state is CACHED */
    uint8_t resp[COAP_DEDUP_INLINE]; /* encoded response */
} coap_dedup_slot_t;

typedef struct {
    coap_dedup_slot_t slot[COAP_DEDUP_SLOTS];
} coap_dedup_t;

/* Empties |d|. */
void coap_dedup_init(coap_dedup_t *d);

/*
 * Looks up |mid| at time |now_ms| (any monotonic millisecond clock, the
 * same for every call on |d|). Expired entries are dropped first. An
 * unknown MID is recorded as pending (taking a free slot or evicting the
 * entry that expires first) and COAP_DEDUP_NEW is returned. For
 * COAP_DEDUP_CACHED, |*cached| and |*cached_len| give the stored bytes
 * (valid until the next call on |d|); otherwise they are set to NULL and 0.
 * Either pointer may be NULL if the caller does not want it.
 * Returns COAP_DEDUP_NEW, COAP_DEDUP_CACHED, COAP_DEDUP_PENDING or
 * COAP_DEDUP_REPROCESS; never fails.
 */
int coap_dedup_check(coap_dedup_t *d, uint16_t mid, uint64_t now_ms, const uint8_t **cached,
                     size_t *cached_len);

/*
 * Records the response |bytes| (|len| bytes) sent for |mid|. Up to
 * COAP_DEDUP_INLINE bytes are copied; a longer response is only marked so
 * that duplicates get COAP_DEDUP_REPROCESS. If |mid| is no longer in the
 * table (evicted meanwhile), it is re-inserted with a fresh lifetime.
 * Returns COAP_DEDUP_CACHED (copied), COAP_DEDUP_REPROCESS (marked) or
 * COAP_ERR_INVAL (|bytes| NULL with len > 0).
 */
int coap_dedup_store(coap_dedup_t *d, uint16_t mid, const uint8_t *bytes, size_t len, uint64_t now_ms);

/* Forgets |mid| (e.g. the request was dropped without an answer and a
 * retransmission should be processed again). No-op if it is not known. */
void coap_dedup_forget(coap_dedup_t *d, uint16_t mid);

#endif /* BSD_COAP_COAP_DEDUP_H */
