/*
 * coap_dedup.c — per-peer Message ID table for RFC 7252 §4.5.
 *
 * A linear scan over COAP_DEDUP_SLOTS entries: with 8 slots this is a
 * handful of compares, cheaper than any hashing, and bounded.
 */
#include "bsd/coap/coap_dedup.h"

#include <string.h>

_Static_assert(COAP_DEDUP_INLINE <= 255, "coap_dedup_slot_t.len is 8 bits");

void coap_dedup_init(coap_dedup_t *d)
{
    memset(d, 0, sizeof(*d));
}

/* Drops expired entries; returns the live slot holding |mid| or NULL, and
 * in |*victim| the slot a new entry should take (free, else the one that
 * expires first, i.e. the oldest). */
static coap_dedup_slot_t *lookup(coap_dedup_t *d, uint16_t mid, uint64_t now_ms, coap_dedup_slot_t **victim)
{
    coap_dedup_slot_t *found = NULL, *v = NULL;

    for (unsigned i = 0; i < COAP_DEDUP_SLOTS; i++) {
        coap_dedup_slot_t *s = &d->slot[i];
        if (s->state && now_ms >= s->expires_ms) s->state = 0;
        if (s->state == 0) {
            if (v == NULL || v->state != 0) v = s;
            continue;
        }
        if (s->mid == mid) found = s;
        if (v == NULL || (v->state != 0 && s->expires_ms < v->expires_ms)) v = s;
    }
    *victim = v;
    return found;
}

static void claim(coap_dedup_slot_t *s, uint16_t mid, uint64_t now_ms)
{
    s->mid = mid;
    s->state = COAP_DEDUP_PENDING;
    s->len = 0;
    s->expires_ms = now_ms + COAP_EXCHANGE_LIFETIME_MS;
}

int coap_dedup_check(coap_dedup_t *d, uint16_t mid, uint64_t now_ms, const uint8_t **cached,
                     size_t *cached_len)
{
    coap_dedup_slot_t *victim;
    coap_dedup_slot_t *s = lookup(d, mid, now_ms, &victim);

    if (cached) *cached = NULL;
    if (cached_len) *cached_len = 0;
    if (s == NULL) {
        claim(victim, mid, now_ms);
        return COAP_DEDUP_NEW;
    }
    if (s->state == COAP_DEDUP_CACHED) {
        if (cached) *cached = s->resp;
        if (cached_len) *cached_len = s->len;
    }
    return s->state;
}

int coap_dedup_store(coap_dedup_t *d, uint16_t mid, const uint8_t *bytes, size_t len, uint64_t now_ms)
{
    coap_dedup_slot_t *victim;
    coap_dedup_slot_t *s;

    if (len && bytes == NULL) return COAP_ERR_INVAL;
    s = lookup(d, mid, now_ms, &victim);
    if (s == NULL) {
        s = victim;
        claim(s, mid, now_ms);
    }
    if (len > COAP_DEDUP_INLINE) {
        s->state = COAP_DEDUP_REPROCESS;
        s->len = 0;
        return COAP_DEDUP_REPROCESS;
    }
    if (len) memcpy(s->resp, bytes, len);
    s->len = (uint8_t)len;
    s->state = COAP_DEDUP_CACHED;
    return COAP_DEDUP_CACHED;
}

void coap_dedup_forget(coap_dedup_t *d, uint16_t mid)
{
    for (unsigned i = 0; i < COAP_DEDUP_SLOTS; i++)
        if (d->slot[i].state && d->slot[i].mid == mid) d->slot[i].state = 0;
}
