/*
 * der.c — the bounded DER reader and writer of der.h.
 *
 * The reader never trusts a length: every element must fit inside what is
 * left of its parent, so a walk over nested readers cannot leave the input.
 * The writer reserves one length octet when an element is opened and moves
 * the contents up on close when the final length needs the long form, so
 * the output is always DER (minimal lengths) without a second pass.
 * The PKCS#10 parsing lives in est_csr.c, certificate building in
 * est_cert.c; this file knows only X.690.
 */
#include "bsd/est/der.h"

#include <string.h>

#define DER_MAX_LEN_OCTETS 4 /* lengths up to 2^32-1; more is never needed here */

der_rd_t der_rd(const uint8_t *p, size_t len)
{
    der_rd_t r = {p, p ? len : 0};
    return r;
}

der_rd_t der_inside(const der_tlv_t *t)
{
    return der_rd(t->val, t->len);
}

int der_next(der_rd_t *r, der_tlv_t *t)
{
    if (r->len == 0) return 1;
    const uint8_t *p = r->p;
    size_t left = r->len;
    uint8_t tag = p[0];
    if ((tag & 0x1f) == 0x1f) return -1; /* high tag number form */
    if (left < 2) return -1;
    size_t hdr = 2;
    size_t len = p[1];
    if (len & 0x80) {
        size_t n = len & 0x7f;
        /* 0x80 is the indefinite form, which DER forbids (X.690 §10.1). */
        if (n == 0 || n > DER_MAX_LEN_OCTETS) return -1;
        if (left - 2 < n) return -1;
        if (p[2] == 0) return -1; /* leading zero octet: not minimal */
        len = 0;
        for (size_t i = 0; i < n; i++)
            len = (len << 8) | p[2 + i];
        if (len < 0x80) return -1; /* would have fit the short form */
        hdr += n;
    }
    if (left - hdr < len) return -1;
    t->tag = tag;
    t->val = p + hdr;
    t->len = len;
    t->raw = p;
    t->rawlen = hdr + len;
    r->p += hdr + len;
    r->len -= hdr + len;
    return 0;
}

int der_expect(der_rd_t *r, uint8_t tag, der_tlv_t *t)
{
    der_rd_t save = *r;
    if (der_next(r, t) != 0 || t->tag != tag) {
        *r = save;
        return -1;
    }
    return 0;
}

int der_peek(const der_rd_t *r, uint8_t tag)
{
    return r->len > 0 && r->p[0] == tag;
}

int der_oid_is(const der_tlv_t *t, const uint8_t *oid, size_t n)
{
    return t->tag == DER_OID && t->len == n && n > 0 && memcmp(t->val, oid, n) == 0;
}

int der_small_uint(const der_tlv_t *t, uint64_t *v)
{
    if (t->tag != DER_INTEGER || t->len == 0 || t->len > 8) return -1;
    if (t->val[0] & 0x80) return -1;                                    /* negative */
    if (t->len > 1 && t->val[0] == 0 && !(t->val[1] & 0x80)) return -1; /* not minimal */
    uint64_t x = 0;
    for (size_t i = 0; i < t->len; i++)
        x = (x << 8) | t->val[i];
    *v = x;
    return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date. Counting years from
 * March puts the leap day at the end of the year, so the month table is
 * the same for every year. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    if (m <= 2) y--;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;                         /* 0..399 */
    int64_t mp = m > 2 ? m - 3 : m + 9;                  /* March = 0 */
    int64_t doy = (153 * mp + 2) / 5 + d - 1;            /* 0..365 */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; /* 0..146096 */
    return era * 146097 + doe - 719468;                  /* 719468: 0000-03-01 to 1970-01-01 */
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int month_days(int64_t y, int m)
{
    static const uint8_t days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* |n| decimal digits at |p| into |*v|; -1 when any is not a digit. */
static int digits(const uint8_t *p, int n, int *v)
{
    int x = 0;
    for (int i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') return -1;
        x = x * 10 + (p[i] - '0');
    }
    *v = x;
    return 0;
}

int der_time(const der_tlv_t *t, int64_t *secs)
{
    const uint8_t *p = t->val;
    int year, mon, day, hh, mm, ss;
    if (t->tag == DER_UTCTIME) {
        /* RFC 5280 §4.1.2.5.1: YYMMDDHHMMSSZ, YY >= 50 is 19YY. */
        if (t->len != 13) return -1;
        if (digits(p, 2, &year)) return -1;
        year += year >= 50 ? 1900 : 2000;
        p += 2;
    } else if (t->tag == DER_GENTIME) {
        /* RFC 5280 §4.1.2.5.2: YYYYMMDDHHMMSSZ, no fractional seconds. */
        if (t->len != 15) return -1;
        if (digits(p, 4, &year)) return -1;
        p += 4;
    } else {
        return -1;
    }
    if (digits(p, 2, &mon) || digits(p + 2, 2, &day) || digits(p + 4, 2, &hh) || digits(p + 6, 2, &mm) ||
        digits(p + 8, 2, &ss) || p[10] != 'Z')
        return -1;
    if (mon < 1 || mon > 12 || day < 1 || day > month_days(year, mon) || hh > 23 || mm > 59 || ss > 59)
        return -1;
    *secs = days_from_civil(year, mon, day) * 86400 + hh * 3600 + mm * 60 + ss;
    return 0;
}

/* ---- writer ---- */

void der_wr_init(der_wr_t *w, uint8_t *buf, size_t cap)
{
    memset(w, 0, sizeof(*w));
    w->buf = buf;
    w->cap = buf ? cap : 0;
}

/* Octets the length |n| takes in DER. */
static size_t len_octets(size_t n)
{
    if (n < 0x80) return 1;
    size_t k = 1;
    while (n) {
        k++;
        n >>= 8;
    }
    return k;
}

static void put_len(uint8_t *p, size_t n, size_t octets)
{
    if (octets == 1) {
        p[0] = (uint8_t)n;
        return;
    }
    p[0] = (uint8_t)(0x80 | (octets - 1));
    for (size_t i = octets - 1; i >= 1; i--) {
        p[i] = (uint8_t)n;
        n >>= 8;
    }
}

static int room(der_wr_t *w, size_t n)
{
    if (w->err) return 0;
    if (w->cap - w->len < n) {
        w->err = 1;
        return 0;
    }
    return 1;
}

/* Tag and length of a primitive element of |n| content octets. */
static int put_hdr(der_wr_t *w, uint8_t tag, size_t n)
{
    size_t lo = len_octets(n);
    if (lo - 1 > DER_MAX_LEN_OCTETS) {
        w->err = 1;
        return 0;
    }
    if (!room(w, 1 + lo)) return 0;
    if (w->cap - w->len - 1 - lo < n) {
        w->err = 1;
        return 0;
    }
    w->buf[w->len] = tag;
    put_len(w->buf + w->len + 1, n, lo);
    w->len += 1 + lo;
    return 1;
}

void der_wr_open(der_wr_t *w, uint8_t tag)
{
    if (w->err) return;
    if (w->depth >= DER_WR_DEPTH) {
        w->err = 1;
        return;
    }
    if (!room(w, 2)) return;
    w->buf[w->len++] = tag;
    w->open[w->depth++] = w->len;
    w->buf[w->len++] = 0; /* one length octet reserved; close widens it */
}

void der_wr_close(der_wr_t *w)
{
    if (w->err) return;
    if (w->depth == 0) {
        w->err = 1;
        return;
    }
    size_t at = w->open[--w->depth];
    size_t body = w->len - at - 1;
    size_t lo = len_octets(body);
    if (lo - 1 > DER_MAX_LEN_OCTETS || !room(w, lo - 1)) {
        w->err = 1;
        return;
    }
    if (lo > 1) memmove(w->buf + at + lo, w->buf + at + 1, body);
    put_len(w->buf + at, body, lo);
    w->len += lo - 1;
}

void der_wr_prim(der_wr_t *w, uint8_t tag, const void *v, size_t n)
{
    if (!put_hdr(w, tag, n)) return;
    if (n) memcpy(w->buf + w->len, v, n);
    w->len += n;
}

void der_wr_raw(der_wr_t *w, const void *v, size_t n)
{
    if (!room(w, n)) return;
    if (n) memcpy(w->buf + w->len, v, n);
    w->len += n;
}

void der_wr_uint_be(der_wr_t *w, const uint8_t *v, size_t n)
{
    while (n > 0 && v[0] == 0) {
        v++;
        n--;
    }
    int pad = n == 0 || (v[0] & 0x80);
    if (!put_hdr(w, DER_INTEGER, n + (size_t)pad)) return;
    if (pad) w->buf[w->len++] = 0;
    if (n) memcpy(w->buf + w->len, v, n);
    w->len += n;
}

void der_wr_uint(der_wr_t *w, uint64_t v)
{
    uint8_t be[8];
    for (int i = 7; i >= 0; i--) {
        be[i] = (uint8_t)v;
        v >>= 8;
    }
    der_wr_uint_be(w, be, sizeof(be));
}

void der_wr_oid(der_wr_t *w, const uint8_t *oid, size_t n)
{
    der_wr_prim(w, DER_OID, oid, n);
}

void der_wr_bits(der_wr_t *w, const void *v, size_t n)
{
    if (!put_hdr(w, DER_BIT_STRING, n + 1)) return;
    w->buf[w->len++] = 0; /* no unused bits */
    if (n) memcpy(w->buf + w->len, v, n);
    w->len += n;
}

static void put_digits(char *p, int64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
}

void der_wr_time(der_wr_t *w, int64_t secs)
{
    if (w->err) return;
    /* Keep the day arithmetic far from overflow; years 0000-9999 only. */
    if (secs < -62167219200LL || secs > 253402300799LL) {
        w->err = 1;
        return;
    }
    int64_t days = secs / 86400, rem = secs % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    int64_t y;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    char s[15];
    size_t n = 0;
    uint8_t tag;
    if (y >= 1950 && y <= 2049) {
        tag = DER_UTCTIME;
        put_digits(s, y % 100, 2);
        n = 2;
    } else {
        tag = DER_GENTIME;
        put_digits(s, y, 4);
        n = 4;
    }
    put_digits(s + n, m, 2);
    put_digits(s + n + 2, d, 2);
    put_digits(s + n + 4, rem / 3600, 2);
    put_digits(s + n + 6, rem / 60 % 60, 2);
    put_digits(s + n + 8, rem % 60, 2);
    s[n + 10] = 'Z';
    der_wr_prim(w, tag, s, n + 11);
}

void der_wr_true(der_wr_t *w)
{
    static const uint8_t t = 0xff;
    der_wr_prim(w, DER_BOOLEAN, &t, 1);
}

long der_wr_finish(const der_wr_t *w)
{
    if (w->err || w->depth != 0) return -1;
    return (long)w->len;
}
