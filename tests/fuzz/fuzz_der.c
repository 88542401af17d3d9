/*
 * fuzz_der.c — libFuzzer target for the DER reader and writer
 * (bsd/est/der.c).
 *
 * The input is walked as a tree of TLVs (constructed tags are descended
 * into as long as they parse). Every element the reader accepts lies inside
 * its parent, and whatever it accepts is DER, so writing the tree back with
 * der_wr_open/close and der_wr_prim must give exactly the input bytes.
 * INTEGERs and times that parse are written again and read back.
 */
#include "bsd/est/der.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_scalars(const der_tlv_t *t)
{
    uint8_t buf[32];
    der_wr_t w;
    uint64_t v;
    if (der_small_uint(t, &v) == 0) {
        /* Minimal encoding in, so the same bytes out. */
        der_wr_init(&w, buf, sizeof(buf));
        der_wr_uint(&w, v);
        long n = der_wr_finish(&w);
        if (n < 0 || (size_t)n != t->rawlen || memcmp(buf, t->raw, t->rawlen) != 0) abort();
    }
    int64_t secs, back;
    if (der_time(t, &secs) == 0) {
        der_wr_init(&w, buf, sizeof(buf));
        der_wr_time(&w, secs);
        long n = der_wr_finish(&w);
        if (n < 0) abort();
        der_rd_t r = der_rd(buf, (size_t)n);
        der_tlv_t u;
        if (der_next(&r, &u) != 0 || der_time(&u, &back) != 0 || back != secs) abort();
        /* Same text when the input used the form RFC 5280 asks for. */
        if (u.tag == t->tag && ((size_t)n != t->rawlen || memcmp(buf, t->raw, t->rawlen) != 0)) abort();
    }
}

/* Writes the elements of |r| to |w|, descending |depth| more levels into
 * constructed elements whose contents parse. Returns -1 when the input
 * does not parse at this level. */
static int rewrite(der_rd_t r, der_wr_t *w, const uint8_t *lo, const uint8_t *hi, int depth)
{
    der_tlv_t t;
    int rc;
    while ((rc = der_next(&r, &t)) == 0) {
        if (t.raw < lo || t.raw + t.rawlen > hi || t.val + t.len != t.raw + t.rawlen) abort();
        check_scalars(&t);
        if ((t.tag & 0x20) && depth > 0) {
            /* Probe first: only descend where the contents parse. */
            der_rd_t probe = der_inside(&t);
            der_tlv_t x;
            int prc;
            while ((prc = der_next(&probe, &x)) == 0)
                ;
            if (prc == 1) {
                der_wr_open(w, t.tag);
                if (rewrite(der_inside(&t), w, t.val, t.val + t.len, depth - 1) != 0) abort();
                der_wr_close(w);
                continue;
            }
        }
        der_wr_prim(w, t.tag, t.val, t.len);
    }
    return rc == 1 ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t out[1 << 16];
    if (size > sizeof(out)) return 0;
    der_wr_t w;
    der_wr_init(&w, out, sizeof(out));
    if (rewrite(der_rd(data, size), &w, data, data + size, DER_WR_DEPTH) != 0) return 0;
    long n = der_wr_finish(&w);
    if (n < 0 || (size_t)n != size || memcmp(out, data, size) != 0) abort();

    /* The same tree into a buffer one byte short must fail cleanly. */
    if (size > 0) {
        der_wr_init(&w, out, size - 1);
        rewrite(der_rd(data, size), &w, data, data + size, DER_WR_DEPTH);
        if (der_wr_finish(&w) != -1) abort();
    }
    return 0;
}
