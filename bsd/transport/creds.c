/*
 * creds.c — hash-indexed, immutable-after-build credential store.
 *
 * One open-addressing table indexes every lookup key (endpoint, PSK identity,
 * SPKI, fingerprint, certificate name by type, OSCORE Sender ID and ID
 * Context — of oscore devices and of DTLS ones with OSCORE inside) with a kind tag; entries hold device
 * indices, and the key bytes are compared against the device record itself, so the table costs 8 bytes per
 * key. Lookups are O(1) and allocation-free: they run inside wolfSSL callbacks on the worker threads.
 */
#include "bsd/transport/creds.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

/* IDX_NAME + enum creds_name_type: one key space per certificate name type. */
enum idx_kind { IDX_EP = 1, IDX_PSK, IDX_SPKI, IDX_FP, IDX_OSCORE, IDX_OSCORE_KID, IDX_NAME };

/* An OSCORE lookup key: Sender ID and ID Context, each length-prefixed
 * (presence of the context is its own byte: absent and empty differ). */
#define OSCORE_KEY_MAX (2 + CREDS_MAX_OSCORE_ID + 1 + CREDS_MAX_OSCORE_IDCTX)

typedef struct slot {
    uint32_t hash; /* 0 = empty; the kind is mixed in */
    uint32_t dev;  /* device index */
} slot_t;

struct creds {
    creds_device_t *devs;
    size_t ndevs, capdevs;
    size_t naliases; /* entries that are new credentials (bs_new) */
    slot_t *slots;
    size_t nslots, used;  /* nslots is a power of two */
    creds_prefix_t *deny; /* deny-listed source prefixes */
    size_t ndeny, capdeny;
    uint8_t (*revoked)[32]; /* sorted fingerprints of revoked certificates */
    size_t nrevoked;
};

static uint32_t hash_bytes(int kind, const void *p, size_t n)
{
    /* FNV-1a, 32 bit, seeded with the kind; never returns 0. */
    const uint8_t *b = p;
    uint32_t h = 2166136261u ^ (uint32_t)kind * 16777619u;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 16777619u;
    }
    return h ? h : 1;
}

static size_t oscore_key(uint8_t out[OSCORE_KEY_MAX], const uint8_t *kid, size_t kid_len, const uint8_t *ctx,
                         size_t ctx_len)
{
    size_t n = 0;
    out[n++] = (uint8_t)kid_len;
    if (kid_len) memcpy(out + n, kid, kid_len);
    n += kid_len;
    out[n++] = ctx != NULL;
    if (ctx) {
        out[n++] = (uint8_t)ctx_len;
        if (ctx_len) memcpy(out + n, ctx, ctx_len);
        n += ctx_len;
    }
    return n;
}

int creds_has_oscore(const creds_device_t *d)
{
    if (d->kind == CREDS_OSCORE) return 1;
    return (d->kind == CREDS_PSK || d->kind == CREDS_RPK || d->kind == CREDS_X509) && !d->bs_new &&
           d->oscore_secret_len > 0;
}

/* The key of |d| in index |kind|; composite keys are built in |tmp|. */
static int key_of(const creds_device_t *d, int kind, const void **p, size_t *n, uint8_t tmp[OSCORE_KEY_MAX])
{
    switch (kind) {
    case IDX_OSCORE:
        if (!creds_has_oscore(d)) return 0;
        *n = oscore_key(tmp, d->oscore_sender_id, d->oscore_sender_id_len,
                        d->oscore_has_id_context ? d->oscore_id_context : NULL, d->oscore_id_context_len);
        *p = tmp;
        return 1;
    case IDX_OSCORE_KID: /* devices with an ID Context, by Sender ID alone */
        if (!creds_has_oscore(d) || !d->oscore_has_id_context) return 0;
        *p = d->oscore_sender_id;
        *n = d->oscore_sender_id_len;
        return 1;
    case IDX_EP:
        if (d->bs_new) return 0; /* a new credential is found by its key, never by endpoint */
        *p = d->endpoint;
        *n = strlen(d->endpoint);
        return 1;
    case IDX_PSK:
        if (d->kind != CREDS_PSK || !d->psk_identity) return 0;
        *p = d->psk_identity;
        *n = strlen(d->psk_identity);
        return 1;
    case IDX_SPKI:
        if (d->kind != CREDS_RPK || !d->spki) return 0;
        *p = d->spki;
        *n = d->spki_len;
        return 1;
    case IDX_FP:
        if (d->kind != CREDS_X509 || !d->has_fingerprint) return 0;
        *p = d->fingerprint;
        *n = 32;
        return 1;
    }
    if (kind >= IDX_NAME && kind < IDX_NAME + CREDS_NAME_TYPES && d->kind == CREDS_X509 && d->x509_name &&
        d->x509_name_type == kind - IDX_NAME) {
        *p = d->x509_name;
        *n = strlen(d->x509_name);
        return 1;
    }
    return 0;
}

static const creds_device_t *lookup(const creds_t *c, int kind, const void *key, size_t n)
{
    if (!c || c->nslots == 0) return NULL;
    uint32_t h = hash_bytes(kind, key, n);
    size_t mask = c->nslots - 1;
    for (size_t i = h & mask, probes = 0; probes < c->nslots; i = (i + 1) & mask, probes++) {
        const slot_t *s = &c->slots[i];
        if (s->hash == 0) return NULL;
        if (s->hash != h) continue;
        const creds_device_t *d = &c->devs[s->dev];
        const void *k;
        size_t kn;
        uint8_t tmp[OSCORE_KEY_MAX];
        if (key_of(d, kind, &k, &kn, tmp) && kn == n && memcmp(k, key, n) == 0) return d;
    }
    return NULL;
}

static int grow_slots(creds_t *c)
{
    size_t n = c->nslots ? c->nslots * 2 : 64;
    slot_t *ns = calloc(n, sizeof(*ns));
    if (!ns) return CREDS_ERR_NOMEM;
    for (size_t i = 0; i < c->nslots; i++) {
        if (!c->slots[i].hash) continue;
        size_t j = c->slots[i].hash & (n - 1);
        while (ns[j].hash)
            j = (j + 1) & (n - 1);
        ns[j] = c->slots[i];
    }
    free(c->slots);
    c->slots = ns;
    c->nslots = n;
    return 0;
}

static int place(creds_t *c, int kind, uint32_t dev, const void *k, size_t n);

static int insert(creds_t *c, int kind, uint32_t dev)
{
    const void *k;
    size_t n;
    uint8_t tmp[OSCORE_KEY_MAX];
    if (!key_of(&c->devs[dev], kind, &k, &n, tmp)) return 0;
    if (lookup(c, kind, k, n)) return CREDS_ERR_DUPLICATE;
    return place(c, kind, dev, k, n);
}

/*
 * The Sender-ID-only index of devices with an ID Context: a second device
 * with the Sender ID marks the first one shared (no longer found by the
 * Sender ID alone) instead of failing. Inserted last, so that a failure
 * rolls back like the other keys.
 */
static int insert_oscore_kid(creds_t *c, uint32_t dev)
{
    const creds_device_t *d = &c->devs[dev];
    if (!creds_has_oscore(d) || !d->oscore_has_id_context) return 0;
    const creds_device_t *other = lookup(c, IDX_OSCORE_KID, d->oscore_sender_id, d->oscore_sender_id_len);
    if (other) {
        c->devs[other - c->devs].oscore_kid_shared = 1;
        return 0;
    }
    return place(c, IDX_OSCORE_KID, dev, d->oscore_sender_id, d->oscore_sender_id_len);
}

/* Inserts key |k| (|n| bytes) of device |dev| into index |kind|. */
static int place(creds_t *c, int kind, uint32_t dev, const void *k, size_t n)
{
    if ((c->used + 1) * 4 > c->nslots * 3) {
        int r = grow_slots(c);
        if (r) return r;
    }
    uint32_t h = hash_bytes(kind, k, n);
    size_t j = h & (c->nslots - 1);
    while (c->slots[j].hash)
        j = (j + 1) & (c->nslots - 1);
    c->slots[j].hash = h;
    c->slots[j].dev = dev;
    c->used++;
    return 0;
}

const char *creds_kind_name(enum creds_kind k)
{
    switch (k) {
    case CREDS_PSK: return "psk";
    case CREDS_RPK: return "rpk";
    case CREDS_X509: return "x509";
    case CREDS_NOSEC: return "nosec";
    case CREDS_OSCORE: return "oscore";
    default: return "none";
    }
}

creds_t *creds_new(size_t expected)
{
    creds_t *c = calloc(1, sizeof(*c));
    if (!c) return NULL;
    size_t cap = expected ? expected : 16;
    c->devs = calloc(cap, sizeof(*c->devs));
    if (!c->devs) {
        free(c);
        return NULL;
    }
    c->capdevs = cap;
    return c;
}

static void dev_clear(creds_device_t *d)
{
    free(d->endpoint);
    free(d->psk_identity);
    free(d->spki);
    free(d->x509_name);
    free(d->rot_json);
    /* explicit_bzero survives dead-store elimination: keys must not linger. */
    explicit_bzero(d, sizeof(*d));
}

void creds_free(creds_t *c)
{
    if (!c) return;
    for (size_t i = 0; i < c->ndevs; i++)
        dev_clear(&c->devs[i]);
    free(c->devs);
    free(c->slots);
    free(c->deny);
    free(c->revoked);
    free(c);
}

static int fp_cmp(const void *a, const void *b)
{
    return memcmp(a, b, 32);
}

int creds_set_revoked(creds_t *c, const uint8_t (*fps)[32], size_t n)
{
    uint8_t(*r)[32] = n ? malloc(n * 32) : NULL;
    if (n && !r) return CREDS_ERR_NOMEM;
    if (n) memcpy(r, fps, n * 32);
    if (n > 1) qsort(r, n, 32, fp_cmp);
    free(c->revoked);
    c->revoked = r;
    c->nrevoked = n;
    return 0;
}

int creds_revoked(const creds_t *c, const uint8_t fp[32])
{
    return c && c->nrevoked && bsearch(fp, c->revoked, c->nrevoked, 32, fp_cmp) != NULL;
}

size_t creds_revoked_count(const creds_t *c)
{
    return c ? c->nrevoked : 0;
}

static char *dup_str(const char *s, size_t max)
{
    if (!s) return NULL;
    size_t n = strnlen(s, max + 1);
    if (n == 0 || n > max) return NULL;
    char *r = malloc(n + 1);
    if (r) {
        memcpy(r, s, n);
        r[n] = 0;
    }
    return r;
}

int creds_add(creds_t *c, const creds_device_t *in)
{
    if (!c || !in || !in->endpoint) return CREDS_ERR_INVALID;
    if (in->key_len > CREDS_MAX_PSK_KEY || in->spki_len > CREDS_MAX_SPKI ||
        in->nprefixes > CREDS_MAX_PREFIXES)
        return CREDS_ERR_INVALID;
    switch (in->kind) {
    case CREDS_PSK:
        if (!in->psk_identity || in->key_len == 0) return CREDS_ERR_INVALID;
        break;
    case CREDS_RPK:
        if (!in->spki || in->spki_len == 0) return CREDS_ERR_INVALID;
        break;
    case CREDS_X509:
        if ((!in->x509_name && !in->has_fingerprint) || in->x509_name_type >= CREDS_NAME_TYPES)
            return CREDS_ERR_INVALID;
        break;
    case CREDS_NOSEC:
        if (in->nprefixes == 0) return CREDS_ERR_INVALID;
        break;
    case CREDS_OSCORE: break;
    default: return CREDS_ERR_INVALID;
    }
    /* An oscore device, or OSCORE inside DTLS (never NoSec). Equal IDs
     * would derive equal sender and recipient keys (§3.3). */
    if ((in->kind == CREDS_OSCORE || in->oscore_secret_len) &&
        (in->kind == CREDS_NOSEC || in->oscore_sender_id_len > CREDS_MAX_OSCORE_ID ||
         in->oscore_recipient_id_len > CREDS_MAX_OSCORE_ID || in->oscore_secret_len == 0 ||
         in->oscore_secret_len > CREDS_MAX_OSCORE_KEY || in->oscore_salt_len > CREDS_MAX_OSCORE_SALT ||
         in->oscore_id_context_len > CREDS_MAX_OSCORE_IDCTX ||
         (!in->oscore_has_id_context && in->oscore_id_context_len) ||
         (in->oscore_sender_id_len == in->oscore_recipient_id_len &&
          memcmp(in->oscore_sender_id, in->oscore_recipient_id, in->oscore_sender_id_len) == 0)))
        return CREDS_ERR_INVALID;
    if (c->ndevs == c->capdevs) {
        size_t ncap = c->capdevs * 2;
        creds_device_t *nd = realloc(c->devs, ncap * sizeof(*nd));
        if (!nd) return CREDS_ERR_NOMEM;
        c->devs = nd;
        c->capdevs = ncap;
    }
    creds_device_t *d = &c->devs[c->ndevs];
    *d = *in;
    d->endpoint = dup_str(in->endpoint, CREDS_MAX_ENDPOINT);
    d->psk_identity = in->kind == CREDS_PSK ? dup_str(in->psk_identity, CREDS_MAX_PSK_IDENTITY) : NULL;
    d->x509_name = in->kind == CREDS_X509 && in->x509_name ? dup_str(in->x509_name, CREDS_MAX_CN) : NULL;
    d->spki = NULL;
    d->oscore_kid_shared = 0;
    d->rot_json = in->bs_new && in->rot_json ? strdup(in->rot_json) : NULL;
    d->naliases = 0;
    d->rotate_due = 0;
    if (in->kind == CREDS_RPK) {
        d->spki = malloc(in->spki_len);
        if (d->spki) memcpy(d->spki, in->spki, in->spki_len);
    }
    int bad = !d->endpoint || (in->kind == CREDS_PSK && !d->psk_identity) ||
              (in->kind == CREDS_X509 && in->x509_name && !d->x509_name) ||
              (in->kind == CREDS_RPK && !d->spki) || (in->bs_new && in->rot_json && !d->rot_json);
    if (bad) {
        dev_clear(d);
        return CREDS_ERR_INVALID;
    }
    uint32_t idx = (uint32_t)c->ndevs;
    size_t used_before = c->used;
    int r = 0;
    const int kinds[] = {IDX_EP, IDX_PSK, IDX_SPKI, IDX_FP, IDX_OSCORE, IDX_NAME + d->x509_name_type};
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]) && !r; k++)
        r = insert(c, kinds[k], idx);
    if (!r) r = insert_oscore_kid(c, idx);
    if (r) {
        /* Roll back the keys this device inserted; they are the last ones
         * placed, so removing by device index is exact. Rebuild the probe
         * chains by reinserting the surviving slots. */
        if (c->used != used_before) {
            slot_t *old = c->slots;
            size_t n = c->nslots;
            c->slots = calloc(n, sizeof(*c->slots));
            if (!c->slots) {
                c->slots = old; /* keep the table; the entries point at a cleared device */
            } else {
                c->used = 0;
                for (size_t i = 0; i < n; i++) {
                    if (!old[i].hash || old[i].dev == idx) continue;
                    size_t j = old[i].hash & (n - 1);
                    while (c->slots[j].hash)
                        j = (j + 1) & (n - 1);
                    c->slots[j] = old[i];
                    c->used++;
                }
                free(old);
            }
        }
        dev_clear(d);
        return r;
    }
    c->ndevs++;
    return 0;
}

int creds_add_alias(creds_t *c, const creds_device_t *in, int due)
{
    if (!c || !in || !in->endpoint || !in->bs_new || (in->kind != CREDS_PSK && in->kind != CREDS_RPK))
        return CREDS_ERR_INVALID;
    const creds_device_t *dev = creds_find_endpoint(c, in->endpoint, strlen(in->endpoint));
    if (!dev) return CREDS_ERR_INVALID;
    size_t di = (size_t)(dev - c->devs);
    if (dev->naliases >= sizeof(dev->aliases) / sizeof(dev->aliases[0])) return CREDS_ERR_DUPLICATE;
    int r = creds_add(c, in);
    if (r) return r;
    creds_device_t *d = &c->devs[di]; /* creds_add may have moved the array */
    if (due) {
        d->rotate_due = 1;
        d->due = d->naliases;
    }
    d->aliases[d->naliases++] = (uint32_t)(c->ndevs - 1);
    c->naliases++;
    return 0;
}

const creds_device_t *creds_alias(const creds_t *c, const creds_device_t *d, unsigned k)
{
    if (!c || !d || k >= d->naliases || d->aliases[k] >= c->ndevs) return NULL;
    return &c->devs[d->aliases[k]];
}

size_t creds_count(const creds_t *c)
{
    return c ? c->ndevs - c->naliases : 0;
}

size_t creds_count_kind(const creds_t *c, enum creds_kind k)
{
    size_t n = 0;
    for (size_t i = 0; c && i < c->ndevs; i++)
        n += c->devs[i].kind == k && !c->devs[i].bs_new;
    return n;
}

const creds_device_t *creds_find_oscore(const creds_t *c, const uint8_t *kid, size_t kid_len,
                                        const uint8_t *kid_ctx, size_t kid_ctx_len)
{
    if ((!kid && kid_len) || kid_len > CREDS_MAX_OSCORE_ID || kid_ctx_len > CREDS_MAX_OSCORE_IDCTX)
        return NULL;
    uint8_t k[OSCORE_KEY_MAX];
    size_t n = oscore_key(k, kid, kid_len, kid_ctx, kid_ctx_len);
    const creds_device_t *d = lookup(c, IDX_OSCORE, k, n);
    if (d || kid_ctx) return d;
    d = lookup(c, IDX_OSCORE_KID, k + 1, kid_len); /* k holds the kid after its length */
    return d && !d->oscore_kid_shared ? d : NULL;
}

const creds_device_t *creds_find_endpoint(const creds_t *c, const char *ep, size_t len)
{
    return lookup(c, IDX_EP, ep, len);
}

const creds_device_t *creds_find_psk(const creds_t *c, const char *id, size_t len)
{
    return lookup(c, IDX_PSK, id, len);
}

const creds_device_t *creds_find_spki(const creds_t *c, const uint8_t *spki, size_t len)
{
    return lookup(c, IDX_SPKI, spki, len);
}

const creds_device_t *creds_find_x509_name(const creds_t *c, enum creds_name_type type, const char *name,
                                           size_t len)
{
    if ((unsigned)type >= CREDS_NAME_TYPES) return NULL;
    return lookup(c, IDX_NAME + (int)type, name, len);
}

const char *creds_name_type_name(enum creds_name_type t)
{
    switch (t) {
    case CREDS_NAME_CN: return "cn";
    case CREDS_NAME_SAN_DNS: return "san_dns";
    case CREDS_NAME_SAN_URI: return "san_uri";
    case CREDS_NAME_SAN_EMAIL: return "san_email";
    }
    return "?";
}

const creds_device_t *creds_find_fingerprint(const creds_t *c, const uint8_t fp[32])
{
    return lookup(c, IDX_FP, fp, 32);
}

int creds_prefix_match(const creds_device_t *d, const struct sockaddr *sa)
{
    return creds_prefixes_match(d->prefixes, d->nprefixes, sa);
}

int creds_deny_source(creds_t *c, const creds_prefix_t *p)
{
    if (!c || !p || (p->family != AF_INET && p->family != AF_INET6) ||
        p->bits > (p->family == AF_INET ? 32 : 128) || c->ndeny >= CREDS_MAX_DENY)
        return CREDS_ERR_INVALID;
    if (c->ndeny == c->capdeny) {
        size_t ncap = c->capdeny ? c->capdeny * 2 : 16;
        creds_prefix_t *nd = realloc(c->deny, ncap * sizeof(*nd));
        if (!nd) return CREDS_ERR_NOMEM;
        c->deny = nd;
        c->capdeny = ncap;
    }
    c->deny[c->ndeny++] = *p;
    return 0;
}

int creds_source_denied(const creds_t *c, const struct sockaddr *sa)
{
    /* A short list, scanned only for peers without a session. */
    return c && c->ndeny && creds_prefixes_match(c->deny, c->ndeny, sa);
}

int creds_prefixes_match(const creds_prefix_t *prefixes, size_t n, const struct sockaddr *sa)
{
    const uint8_t *a;
    int fam;
    uint8_t mapped[4];
    if (sa->sa_family == AF_INET) {
        a = (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
        fam = AF_INET;
    } else if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a6 = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(a6)) {
            memcpy(mapped, &a6->s6_addr[12], 4);
            a = mapped;
            fam = AF_INET;
        } else {
            a = a6->s6_addr;
            fam = AF_INET6;
        }
    } else {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        const creds_prefix_t *p = &prefixes[i];
        if (p->family != fam) continue;
        unsigned bits = p->bits, full = bits / 8, rem = bits % 8;
        if (full && memcmp(p->addr, a, full) != 0) continue;
        if (rem) {
            uint8_t m = (uint8_t)(0xff << (8 - rem));
            if ((p->addr[full] & m) != (a[full] & m)) continue;
        }
        return 1;
    }
    return 0;
}

const creds_device_t *creds_find_nosec(const creds_t *c, const struct sockaddr *sa, int *ambiguous)
{
    /* NoSec devices are rare (explicit opt-in), so a scan is acceptable. */
    const creds_device_t *found = NULL;
    if (ambiguous) *ambiguous = 0;
    for (size_t i = 0; c && i < c->ndevs; i++) {
        const creds_device_t *d = &c->devs[i];
        if (d->kind != CREDS_NOSEC || !creds_prefix_match(d, sa)) continue;
        if (found) {
            if (ambiguous) *ambiguous = 1;
            break;
        }
        found = d;
    }
    return found;
}
