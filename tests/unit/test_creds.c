/*
 * test_creds.c — the in-memory credential store (bsd/transport/creds.c):
 * lookups by every key, duplicate and invalid records, NoSec prefixes,
 * OSCORE devices by (Sender ID, ID Context).
 */
#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bsd/transport/creds.h"

static creds_device_t psk_dev(const char *ep, const char *id, uint8_t fill)
{
    creds_device_t d;
    memset(&d, 0, sizeof(d));
    d.endpoint = (char *)ep;
    d.kind = CREDS_PSK;
    d.psk_identity = (char *)id;
    d.key_len = 16;
    memset(d.key, fill, 16);
    return d;
}

START_TEST(psk_lookup)
{
    creds_t *c = creds_new(2);
    creds_device_t a = psk_dev("ep-a", "id-a", 1), b = psk_dev("ep-b", "id-b", 2);
    ck_assert_int_eq(creds_add(c, &a), 0);
    ck_assert_int_eq(creds_add(c, &b), 0);
    const creds_device_t *f = creds_find_psk(c, "id-b", 4);
    ck_assert_ptr_nonnull(f);
    ck_assert_str_eq(f->endpoint, "ep-b");
    ck_assert_int_eq(f->key[0], 2);
    ck_assert_ptr_null(creds_find_psk(c, "id-", 3));
    ck_assert_ptr_null(creds_find_psk(c, "ep-a", 4)); /* identity, not endpoint */
    ck_assert_ptr_nonnull(creds_find_endpoint(c, "ep-a", 4));
    ck_assert_uint_eq(creds_count(c), 2);
    creds_free(c);
}
END_TEST

START_TEST(many_devices_grow)
{
    /* Forces the device array and the index to grow several times. */
    creds_t *c = creds_new(1);
    char ep[32], id[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(ep, sizeof(ep), "dev-%d", i);
        snprintf(id, sizeof(id), "identity-%d", i);
        creds_device_t d = psk_dev(ep, id, (uint8_t)i);
        ck_assert_int_eq(creds_add(c, &d), 0);
    }
    for (int i = 0; i < 5000; i += 7) {
        snprintf(id, sizeof(id), "identity-%d", i);
        const creds_device_t *f = creds_find_psk(c, id, strlen(id));
        ck_assert_ptr_nonnull(f);
        snprintf(ep, sizeof(ep), "dev-%d", i);
        ck_assert_str_eq(f->endpoint, ep);
    }
    creds_free(c);
}
END_TEST

START_TEST(duplicates_rejected_and_rolled_back)
{
    creds_t *c = creds_new(4);
    creds_device_t a = psk_dev("ep-a", "shared", 1);
    creds_device_t b = psk_dev("ep-b", "shared", 2); /* same identity */
    creds_device_t a2 = psk_dev("ep-a", "other", 3); /* same endpoint */
    ck_assert_int_eq(creds_add(c, &a), 0);
    ck_assert_int_eq(creds_add(c, &b), CREDS_ERR_DUPLICATE);
    ck_assert_int_eq(creds_add(c, &a2), CREDS_ERR_DUPLICATE);
    /* ep-b's endpoint key must not survive the failed add */
    ck_assert_ptr_null(creds_find_endpoint(c, "ep-b", 4));
    ck_assert_ptr_null(creds_find_psk(c, "other", 5));
    ck_assert_uint_eq(creds_count(c), 1);
    creds_device_t b2 = psk_dev("ep-b", "id-b", 4);
    ck_assert_int_eq(creds_add(c, &b2), 0);
    ck_assert_ptr_nonnull(creds_find_endpoint(c, "ep-b", 4));
    creds_free(c);
}
END_TEST

START_TEST(invalid_records)
{
    creds_t *c = creds_new(4);
    creds_device_t d = psk_dev("ep", "id", 1);
    d.key_len = 0;
    ck_assert_int_eq(creds_add(c, &d), CREDS_ERR_INVALID);
    d = psk_dev("ep", NULL, 1);
    ck_assert_int_eq(creds_add(c, &d), CREDS_ERR_INVALID);
    char longid[200];
    memset(longid, 'x', sizeof(longid) - 1);
    longid[sizeof(longid) - 1] = 0;
    d = psk_dev("ep", longid, 1); /* over 128 bytes */
    ck_assert_int_eq(creds_add(c, &d), CREDS_ERR_INVALID);
    creds_device_t r;
    memset(&r, 0, sizeof(r));
    r.endpoint = "rpk";
    r.kind = CREDS_RPK;
    ck_assert_int_eq(creds_add(c, &r), CREDS_ERR_INVALID); /* no SPKI */
    ck_assert_uint_eq(creds_count(c), 0);
    creds_free(c);
}
END_TEST

START_TEST(rpk_and_x509)
{
    creds_t *c = creds_new(4);
    uint8_t spki[91];
    for (size_t i = 0; i < sizeof(spki); i++)
        spki[i] = (uint8_t)i;
    creds_device_t r;
    memset(&r, 0, sizeof(r));
    r.endpoint = "dev-rpk";
    r.kind = CREDS_RPK;
    r.spki = spki;
    r.spki_len = sizeof(spki);
    ck_assert_int_eq(creds_add(c, &r), 0);
    creds_device_t x;
    memset(&x, 0, sizeof(x));
    x.endpoint = "dev-x509";
    x.kind = CREDS_X509;
    x.x509_name = "dev-x509";
    x.has_fingerprint = 1;
    memset(x.fingerprint, 0xab, 32);
    ck_assert_int_eq(creds_add(c, &x), 0);
    ck_assert_str_eq(creds_find_spki(c, spki, sizeof(spki))->endpoint, "dev-rpk");
    spki[90] ^= 1; /* one bit off: no match (exact SPKI equality) */
    ck_assert_ptr_null(creds_find_spki(c, spki, sizeof(spki)));
    ck_assert_ptr_null(creds_find_spki(c, spki, sizeof(spki) - 1));
    ck_assert_str_eq(creds_find_x509_name(c, CREDS_NAME_CN, "dev-x509", 8)->endpoint, "dev-x509");
    /* Each name type is its own key space: the same text as a SAN is another device. */
    ck_assert_ptr_null(creds_find_x509_name(c, CREDS_NAME_SAN_DNS, "dev-x509", 8));
    creds_device_t s = x;
    s.endpoint = "dev-san";
    s.x509_name = "dev-x509";
    s.x509_name_type = CREDS_NAME_SAN_DNS;
    s.has_fingerprint = 0;
    ck_assert_int_eq(creds_add(c, &s), 0);
    ck_assert_str_eq(creds_find_x509_name(c, CREDS_NAME_SAN_DNS, "dev-x509", 8)->endpoint, "dev-san");
    ck_assert_str_eq(creds_find_x509_name(c, CREDS_NAME_CN, "dev-x509", 8)->endpoint, "dev-x509");
    ck_assert_ptr_null(creds_find_x509_name(c, CREDS_NAME_SAN_URI, "dev-x509", 8));
    ck_assert_ptr_null(creds_find_x509_name(c, (enum creds_name_type)7, "dev-x509", 8));
    s.endpoint = "dev-san-2"; /* same (type, name): refused */
    ck_assert_int_eq(creds_add(c, &s), CREDS_ERR_DUPLICATE);
    s.x509_name_type = 9; /* no such type */
    ck_assert_int_eq(creds_add(c, &s), CREDS_ERR_INVALID);
    ck_assert_str_eq(creds_name_type_name(CREDS_NAME_SAN_EMAIL), "san_email");
    uint8_t fp[32];
    memset(fp, 0xab, 32);
    ck_assert_ptr_nonnull(creds_find_fingerprint(c, fp));
    fp[0] = 0;
    ck_assert_ptr_null(creds_find_fingerprint(c, fp));
    creds_free(c);
}
END_TEST

static struct sockaddr_storage v4(const char *a)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    struct sockaddr_in *s = (struct sockaddr_in *)&ss;
    s->sin_family = AF_INET;
    inet_pton(AF_INET, a, &s->sin_addr);
    return ss;
}

static struct sockaddr_storage v6(const char *a)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;
    s->sin6_family = AF_INET6;
    inet_pton(AF_INET6, a, &s->sin6_addr);
    return ss;
}

/* The deny-list of source prefixes: v4, v6, IPv4-mapped, bounds. */
/* A new bootstrap credential: found by its identity, never by endpoint. */
START_TEST(rotation_aliases)
{
    creds_t *c = creds_new(2);
    creds_device_t a = psk_dev("ep-a", "id-a", 1), b = psk_dev("ep-b", "id-b", 2);
    ck_assert_int_eq(creds_add(c, &a), 0);
    ck_assert_int_eq(creds_add(c, &b), 0);
    creds_device_t n = psk_dev("ep-a", "id-a-r1", 9);
    n.bs_new = 1;
    n.rotation = 1;
    n.rot_json = "\"rotation\":1";
    ck_assert_int_eq(creds_add_alias(c, &n, 1), 0);
    ck_assert_uint_eq(creds_count(c), 2); /* devices, not credentials */
    const creds_device_t *dev = creds_find_endpoint(c, "ep-a", 4);
    ck_assert_ptr_nonnull(dev);
    ck_assert(!dev->bs_new && dev->rotate_due && dev->naliases == 1);
    const creds_device_t *al = creds_find_psk(c, "id-a-r1", 7);
    ck_assert_ptr_eq(al, creds_alias(c, dev, dev->due));
    ck_assert(al->bs_new && strcmp(al->endpoint, "ep-a") == 0 && al->key[0] == 9);
    ck_assert_str_eq(al->rot_json, "\"rotation\":1");
    ck_assert_ptr_eq(creds_find_psk(c, "id-a", 4), dev); /* the old one still works */
    ck_assert_ptr_null(creds_alias(c, dev, 1));
    /* taken identities, unknown devices and other kinds are refused */
    creds_device_t t = psk_dev("ep-a", "id-b", 3);
    t.bs_new = 1;
    ck_assert_int_eq(creds_add_alias(c, &t, 0), CREDS_ERR_DUPLICATE);
    t = psk_dev("ep-zz", "id-zz", 3);
    t.bs_new = 1;
    ck_assert_int_eq(creds_add_alias(c, &t, 0), CREDS_ERR_INVALID);
    t = psk_dev("ep-b", "id-b2", 3);
    ck_assert_int_eq(creds_add_alias(c, &t, 0), CREDS_ERR_INVALID); /* bs_new not set */
    t.bs_new = 1;
    ck_assert_int_eq(creds_add_alias(c, &t, 0), 0);
    dev = creds_find_endpoint(c, "ep-b", 4);
    ck_assert(!dev->rotate_due && dev->naliases == 1);
    /* the store grew past its first capacity: indices still resolve */
    ck_assert_str_eq(creds_alias(c, dev, 0)->psk_identity, "id-b2");
    creds_free(c);
}
END_TEST

START_TEST(deny_sources)
{
    creds_t *c = creds_new(4);
    struct sockaddr_in a4 = {.sin_family = AF_INET};
    struct sockaddr_in6 a6 = {.sin6_family = AF_INET6};
    inet_pton(AF_INET, "192.0.2.77", &a4.sin_addr);
    ck_assert_int_eq(creds_source_denied(c, (struct sockaddr *)&a4), 0); /* empty list */
    ck_assert_int_eq(creds_source_denied(NULL, (struct sockaddr *)&a4), 0);
    creds_prefix_t p4 = {.family = AF_INET, .bits = 24};
    inet_pton(AF_INET, "192.0.2.0", p4.addr);
    creds_prefix_t p6 = {.family = AF_INET6, .bits = 32};
    inet_pton(AF_INET6, "2001:db8::", p6.addr);
    ck_assert_int_eq(creds_deny_source(c, &p4), 0);
    ck_assert_int_eq(creds_deny_source(c, &p6), 0);
    creds_prefix_t bad = {.family = AF_INET, .bits = 33};
    ck_assert_int_eq(creds_deny_source(c, &bad), CREDS_ERR_INVALID);
    ck_assert_int_eq(creds_source_denied(c, (struct sockaddr *)&a4), 1);
    inet_pton(AF_INET, "192.0.3.1", &a4.sin_addr);
    ck_assert_int_eq(creds_source_denied(c, (struct sockaddr *)&a4), 0);
    inet_pton(AF_INET6, "2001:db8:7::1", &a6.sin6_addr);
    ck_assert_int_eq(creds_source_denied(c, (struct sockaddr *)&a6), 1);
    inet_pton(AF_INET6, "2001:db9::1", &a6.sin6_addr);
    ck_assert_int_eq(creds_source_denied(c, (struct sockaddr *)&a6), 0);
    inet_pton(AF_INET6, "::ffff:192.0.2.9", &a6.sin6_addr); /* a v4 peer on a v6 socket */
    ck_assert_int_eq(creds_source_denied(c, (struct sockaddr *)&a6), 1);
    creds_free(c);
}
END_TEST

START_TEST(nosec_prefixes)
{
    creds_t *c = creds_new(4);
    creds_device_t n;
    memset(&n, 0, sizeof(n));
    n.endpoint = "dev-nosec";
    n.kind = CREDS_NOSEC;
    n.nprefixes = 2;
    n.prefixes[0].family = AF_INET;
    inet_pton(AF_INET, "127.0.0.0", n.prefixes[0].addr);
    n.prefixes[0].bits = 29;
    n.prefixes[1].family = AF_INET6;
    inet_pton(AF_INET6, "fd00::", n.prefixes[1].addr);
    n.prefixes[1].bits = 8;
    ck_assert_int_eq(creds_add(c, &n), 0);
    int amb = -1;
    struct sockaddr_storage a = v4("127.0.0.7");
    ck_assert_ptr_nonnull(creds_find_nosec(c, (struct sockaddr *)&a, &amb));
    ck_assert_int_eq(amb, 0);
    a = v4("127.0.0.8"); /* outside /29 */
    ck_assert_ptr_null(creds_find_nosec(c, (struct sockaddr *)&a, &amb));
    a = v6("::ffff:127.0.0.1"); /* v4-mapped matches the IPv4 prefix */
    ck_assert_ptr_nonnull(creds_find_nosec(c, (struct sockaddr *)&a, &amb));
    a = v6("fd12::1");
    ck_assert_ptr_nonnull(creds_find_nosec(c, (struct sockaddr *)&a, &amb));
    a = v6("fe80::1");
    ck_assert_ptr_null(creds_find_nosec(c, (struct sockaddr *)&a, &amb));
    /* a second device on an overlapping prefix makes the address ambiguous */
    creds_device_t m = n;
    m.endpoint = "dev-nosec-2";
    ck_assert_int_eq(creds_add(c, &m), 0);
    a = v4("127.0.0.1");
    ck_assert_ptr_nonnull(creds_find_nosec(c, (struct sockaddr *)&a, &amb));
    ck_assert_int_eq(amb, 1);
    creds_free(c);
}
END_TEST

/* An OSCORE device whose Sender ID is |sid| (|sn| bytes), Recipient ID 0x00
 * (or 0x01 when the Sender ID is that), with ID Context |ctx| (NULL: none). */
static creds_device_t oscore_dev(const char *ep, const uint8_t *sid, size_t sn, const uint8_t *ctx, size_t cn)
{
    creds_device_t d;
    memset(&d, 0, sizeof(d));
    d.endpoint = (char *)ep;
    d.kind = CREDS_OSCORE;
    memcpy(d.oscore_sender_id, sid, sn);
    d.oscore_sender_id_len = (uint8_t)sn;
    d.oscore_recipient_id[0] = sn == 1 && sid[0] == 0 ? 1 : 0;
    d.oscore_recipient_id_len = 1;
    memset(d.oscore_secret, 0x5a, 16);
    d.oscore_secret_len = 16;
    d.oscore_salt[0] = 0x9e;
    d.oscore_salt_len = 1;
    if (ctx) {
        d.oscore_has_id_context = 1;
        memcpy(d.oscore_id_context, ctx, cn);
        d.oscore_id_context_len = (uint8_t)cn;
    }
    return d;
}

START_TEST(oscore_lookup)
{
    static const uint8_t k1[] = {0x01}, k2[] = {0x01, 0x02}, ctx[] = {0xaa, 0xbb}, other[] = {0xcc};
    creds_t *c = creds_new(2);
    creds_device_t a = oscore_dev("os-a", k1, 1, NULL, 0);
    creds_device_t b = oscore_dev("os-b", k1, 1, ctx, 2);                   /* same kid, with an ID Context */
    creds_device_t e = oscore_dev("os-e", (const uint8_t *)"", 0, NULL, 0); /* the empty Sender ID */
    creds_device_t f = oscore_dev("os-f", k2, 2, NULL, 0);
    ck_assert_int_eq(creds_add(c, &a), 0);
    ck_assert_int_eq(creds_add(c, &b), 0);
    ck_assert_int_eq(creds_add(c, &e), 0);
    ck_assert_int_eq(creds_add(c, &f), 0);
    memset(a.oscore_secret, 0, sizeof(a.oscore_secret)); /* the store holds its own copy */
    const creds_device_t *x = creds_find_oscore(c, k1, 1, NULL, 0);
    ck_assert_ptr_nonnull(x);
    ck_assert_str_eq(x->endpoint, "os-a");
    ck_assert_int_eq(x->kind, CREDS_OSCORE);
    ck_assert_uint_eq(x->oscore_secret_len, 16);
    ck_assert_uint_eq(x->oscore_secret[15], 0x5a);
    ck_assert_uint_eq(x->oscore_salt_len, 1);
    ck_assert_uint_eq(x->oscore_recipient_id[0], 0);
    x = creds_find_oscore(c, k1, 1, ctx, 2);
    ck_assert_ptr_nonnull(x);
    ck_assert_str_eq(x->endpoint, "os-b");
    ck_assert_uint_eq(x->oscore_id_context_len, 2);
    /* An unknown kid context, an empty one (not the same as none), a prefix
     * part of a kid, and an unknown kid find nothing. */
    ck_assert_ptr_null(creds_find_oscore(c, k1, 1, other, 1));
    ck_assert_ptr_null(creds_find_oscore(c, k1, 1, other, 0));
    ck_assert_ptr_null(creds_find_oscore(c, k2 + 1, 1, ctx, 2)); /* kid 02: a tail of os-f's */
    ck_assert_ptr_null(creds_find_oscore(c, other, 1, NULL, 0));
    ck_assert_ptr_null(creds_find_oscore(c, k2, 8, NULL, 0)); /* longer than any Sender ID */
    x = creds_find_oscore(c, NULL, 0, NULL, 0);
    ck_assert_ptr_nonnull(x);
    ck_assert_str_eq(x->endpoint, "os-e");
    ck_assert_str_eq(creds_find_oscore(c, k2, 2, NULL, 0)->endpoint, "os-f");
    ck_assert_ptr_nonnull(creds_find_endpoint(c, "os-b", 4));
    ck_assert_str_eq(creds_kind_name(CREDS_OSCORE), "oscore");
    ck_assert_uint_eq(creds_count_kind(c, CREDS_OSCORE), 4);
    ck_assert_uint_eq(creds_count_kind(c, CREDS_PSK), 0);
    /* A PSK device's identity is no OSCORE kid. */
    creds_device_t p = psk_dev("ep-p", "\x01", 3);
    ck_assert_int_eq(creds_add(c, &p), 0);
    ck_assert_ptr_null(creds_find_oscore(c, k2, 2, ctx, 2));
    ck_assert_str_eq(creds_find_oscore(c, k1, 1, NULL, 0)->endpoint, "os-a");
    ck_assert_uint_eq(creds_count(c), 5);
    creds_free(c);
}
END_TEST

START_TEST(oscore_duplicates_and_invalid)
{
    static const uint8_t k1[] = {0x01}, ctx[] = {0xaa};
    creds_t *c = creds_new(1);
    creds_device_t a = oscore_dev("os-a", k1, 1, ctx, 1);
    ck_assert_int_eq(creds_add(c, &a), 0);
    /* the same (Sender ID, ID Context) on another device: refused, rolled back */
    creds_device_t b = oscore_dev("os-b", k1, 1, ctx, 1);
    ck_assert_int_eq(creds_add(c, &b), CREDS_ERR_DUPLICATE);
    ck_assert_ptr_null(creds_find_endpoint(c, "os-b", 4));
    ck_assert_uint_eq(creds_count(c), 1);
    ck_assert_str_eq(creds_find_oscore(c, k1, 1, ctx, 1)->endpoint, "os-a");
    /* no kid context in the request: the one device with that Sender ID */
    ck_assert_str_eq(creds_find_oscore(c, k1, 1, NULL, 0)->endpoint, "os-a");
    /* two devices share Sender ID 03 (different ID Contexts): without a kid
     * context neither is found, with one each is */
    static const uint8_t k3[] = {0x03}, cx[] = {0x0c}, cy[] = {0x0d};
    creds_device_t x = oscore_dev("os-x", k3, 1, cx, 1), y = oscore_dev("os-y", k3, 1, cy, 1);
    ck_assert_int_eq(creds_add(c, &x), 0);
    ck_assert_str_eq(creds_find_oscore(c, k3, 1, NULL, 0)->endpoint, "os-x");
    ck_assert_int_eq(creds_add(c, &y), 0);
    ck_assert_ptr_null(creds_find_oscore(c, k3, 1, NULL, 0));
    ck_assert_str_eq(creds_find_oscore(c, k3, 1, cx, 1)->endpoint, "os-x");
    ck_assert_str_eq(creds_find_oscore(c, k3, 1, cy, 1)->endpoint, "os-y");
    /* invalid: no secret, equal IDs, lengths out of range */
    creds_device_t d = oscore_dev("os-d", k1, 1, NULL, 0);
    d.oscore_secret_len = 0;
    ck_assert_int_eq(creds_add(c, &d), CREDS_ERR_INVALID);
    d.oscore_secret_len = 16;
    d.oscore_recipient_id[0] = 1; /* = the Sender ID */
    ck_assert_int_eq(creds_add(c, &d), CREDS_ERR_INVALID);
    d.oscore_recipient_id[0] = 2;
    d.oscore_sender_id_len = CREDS_MAX_OSCORE_ID + 1;
    ck_assert_int_eq(creds_add(c, &d), CREDS_ERR_INVALID);
    d.oscore_sender_id_len = 1;
    d.oscore_secret_len = CREDS_MAX_OSCORE_KEY + 1;
    ck_assert_int_eq(creds_add(c, &d), CREDS_ERR_INVALID);
    d.oscore_secret_len = 16;
    d.oscore_salt_len = CREDS_MAX_OSCORE_SALT + 1;
    ck_assert_int_eq(creds_add(c, &d), CREDS_ERR_INVALID);
    d.oscore_salt_len = 0;
    d.oscore_id_context_len = 1; /* a length without an ID Context */
    ck_assert_int_eq(creds_add(c, &d), CREDS_ERR_INVALID);
    d.oscore_id_context_len = 0;
    ck_assert_int_eq(creds_add(c, &d), 0); /* now valid: kid 01 without ID Context is free */
    ck_assert_str_eq(creds_find_oscore(c, k1, 1, NULL, 0)->endpoint, "os-d");
    ck_assert_uint_eq(creds_count_kind(c, CREDS_OSCORE), 4);
    creds_free(c);
}
END_TEST

/* OSCORE inside DTLS: a PSK (RPK, X509) device with an OSCORE secret is
 * found by its kid too, keeps its kind, and shares the (Sender ID, ID
 * Context) key space with oscore devices. */
START_TEST(oscore_in_dtls)
{
    static const uint8_t k[] = {0x21}, ctx[] = {0xc0, 0xff};
    creds_t *c = creds_new(1);
    creds_device_t p = psk_dev("ep-p", "id-p", 1);
    p.oscore_sender_id[0] = 0x21;
    p.oscore_sender_id_len = 1;
    p.oscore_recipient_id_len = 0; /* the empty ID */
    memset(p.oscore_secret, 0x6b, 16);
    p.oscore_secret_len = 16;
    p.oscore_has_id_context = 1;
    memcpy(p.oscore_id_context, ctx, 2);
    p.oscore_id_context_len = 2;
    ck_assert(creds_has_oscore(&p));
    ck_assert_int_eq(creds_add(c, &p), 0);
    creds_device_t q = psk_dev("ep-q", "id-q", 2); /* no OSCORE: not found by any kid */
    ck_assert(!creds_has_oscore(&q));
    ck_assert_int_eq(creds_add(c, &q), 0);
    const creds_device_t *x = creds_find_oscore(c, k, 1, ctx, 2);
    ck_assert_ptr_nonnull(x);
    ck_assert_str_eq(x->endpoint, "ep-p");
    ck_assert_int_eq(x->kind, CREDS_PSK);
    ck_assert_uint_eq(x->oscore_secret[15], 0x6b);
    ck_assert_ptr_eq(creds_find_oscore(c, k, 1, NULL, 0), x); /* B.2: by the kid alone */
    ck_assert_ptr_eq(creds_find_psk(c, "id-p", 4), x);
    ck_assert_ptr_null(creds_find_oscore(c, NULL, 0, NULL, 0));
    ck_assert_uint_eq(creds_count_kind(c, CREDS_OSCORE), 0);
    /* an oscore device with the same (Sender ID, ID Context): a duplicate */
    creds_device_t o = oscore_dev("os-o", k, 1, ctx, 2);
    ck_assert_int_eq(creds_add(c, &o), CREDS_ERR_DUPLICATE);
    ck_assert_ptr_null(creds_find_endpoint(c, "os-o", 4));
    /* the oscore rules hold: equal IDs, and never on a NoSec device */
    creds_device_t r = psk_dev("ep-r", "id-r", 3);
    r.oscore_secret_len = 16;
    ck_assert_int_eq(creds_add(c, &r), CREDS_ERR_INVALID); /* both IDs empty */
    creds_device_t n = {.endpoint = "ep-n", .kind = CREDS_NOSEC, .nprefixes = 1};
    n.prefixes[0].family = AF_INET;
    n.prefixes[0].bits = 8;
    n.oscore_sender_id[0] = 0x31;
    n.oscore_sender_id_len = 1;
    n.oscore_secret_len = 16;
    ck_assert_int_eq(creds_add(c, &n), CREDS_ERR_INVALID);
    n.oscore_secret_len = 0;
    n.oscore_sender_id_len = 0;
    ck_assert_int_eq(creds_add(c, &n), 0);
    /* a new credential (rotation) carrying the fields is not an OSCORE entry */
    creds_device_t a = p;
    a.psk_identity = "id-p-r1";
    a.key[0] = 9;
    a.bs_new = 1;
    ck_assert(!creds_has_oscore(&a));
    ck_assert_int_eq(creds_add_alias(c, &a, 0), 0);
    ck_assert_ptr_eq(creds_find_oscore(c, k, 1, ctx, 2), creds_find_endpoint(c, "ep-p", 4));
    creds_free(c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("creds");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, psk_lookup);
    tcase_add_test(tc, many_devices_grow);
    tcase_add_test(tc, duplicates_rejected_and_rolled_back);
    tcase_add_test(tc, invalid_records);
    tcase_add_test(tc, deny_sources);
    tcase_add_test(tc, rotation_aliases);
    tcase_add_test(tc, rpk_and_x509);
    tcase_add_test(tc, nosec_prefixes);
    tcase_add_test(tc, oscore_lookup);
    tcase_add_test(tc, oscore_duplicates_and_invalid);
    tcase_add_test(tc, oscore_in_dtls);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
