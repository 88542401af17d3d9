/*
 * devfile.c — parser for the devices file (contract and syntax in devfile.h,
 * operator documentation in docs/CONFIGURATION.md).
 *
 * Lines are split and values unquoted by lex.c; SPKI bytes and spki_file
 * content are checked and decoded by spki.c.  Uniqueness (endpoint, PSK
 * identity, SPKI, certificate name, fingerprint) is checked while loading with temporary
 * hash sets, so a million devices load in linear time; the sets are dropped
 * afterwards — the transport layer builds its own lookup tables.
 *
 * Key material: the device array is never realloc()ed (realloc may free a
 * copy without wiping it); it is copied and the old block wiped.  The decoded
 * value buffer is wiped after a key has been read from it.
 */
#include "bsd/util/devfile.h"

#include "bsd/util/lex.h"
#include "bsd/util/log.h"
#include "bsd/util/spki.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

_Static_assert(DEVFILE_SPKI_MAX == SPKI_MAX, "devfile.h and spki.h agree on the SPKI size");

/* Uniqueness sets. */
enum {
    DD_ENDPOINT,
    DD_IDENTITY,
    DD_SPKI,
    DD_CN,
    DD_SAN_DNS,
    DD_SAN_URI,
    DD_SAN_EMAIL,
    DD_FINGERPRINT,
    DD_NSETS
};
_Static_assert(DD_SAN_DNS - DD_CN == DEVFILE_NAME_SAN_DNS && DD_SAN_URI - DD_CN == DEVFILE_NAME_SAN_URI &&
                   DD_SAN_EMAIL - DD_CN == DEVFILE_NAME_SAN_EMAIL,
               "one uniqueness set per certificate name type, in DEVFILE_NAME_* order");

/* Open-addressing set of device indexes (+1; 0 = empty slot). */
typedef struct devfile_set {
    uint32_t *slot; /* cap entries */
    size_t cap;     /* power of two, or 0 */
    size_t used;    /* occupied slots */
} devfile_set_t;

/* Attributes, as bits so duplicates are easy to spot. */
enum {
    DA_IDENTITY = 1u << 0,
    DA_KEY = 1u << 1,
    DA_SPKI = 1u << 2,
    DA_SPKI_FILE = 1u << 3,
    DA_CN = 1u << 4,
    DA_FINGERPRINT = 1u << 5,
    DA_ALLOW = 1u << 6,
    DA_SAN_DNS = 1u << 7,
    DA_SAN_URI = 1u << 8,
    DA_SAN_EMAIL = 1u << 9,
};

struct devfile_attr {
    const char *name;
    unsigned bit;
    int kind;
};

static const struct devfile_attr devfile_attrs[] = {
    {"identity", DA_IDENTITY, DEVFILE_PSK},
    {"key", DA_KEY, DEVFILE_PSK},
    {"spki", DA_SPKI, DEVFILE_RPK},
    {"spki_file", DA_SPKI_FILE, DEVFILE_RPK},
    {"cn", DA_CN, DEVFILE_X509},
    {"san_dns", DA_SAN_DNS, DEVFILE_X509},
    {"san_uri", DA_SAN_URI, DEVFILE_X509},
    {"san_email", DA_SAN_EMAIL, DEVFILE_X509},
    {"fingerprint", DA_FINGERPRINT, DEVFILE_X509},
    {"allow", DA_ALLOW, DEVFILE_NOSEC},
};

/* Loader state for one file. */
struct devfile_ctx {
    devfile_device_t *dev;       /* devices so far */
    size_t count;                /* devices in dev */
    size_t cap;                  /* capacity of dev */
    const char *base_dir;        /* spki_file base; NULL = no file access */
    lex_value_t *v;              /* current value (heap: ~12 KiB) */
    devfile_set_t set[DD_NSETS]; /* uniqueness sets */
    unsigned cols[DD_NSETS];     /* column of each unique field on the current line */
    lex_error_t e;               /* error being reported */
};

const char *devfile_kind_name(int kind)
{
    switch (kind) {
    case DEVFILE_PSK: return "psk";
    case DEVFILE_RPK: return "rpk";
    case DEVFILE_X509: return "x509";
    case DEVFILE_NOSEC: return "nosec";
    default: return "?";
    }
}

static void devfile_device_clear(devfile_device_t *d)
{
    free(d->endpoint);
    switch (d->kind) {
    case DEVFILE_PSK:
        if (d->psk.identity != NULL && d->psk.identity != d->endpoint) free(d->psk.identity);
        break;
    case DEVFILE_RPK: free(d->rpk.spki); break;
    case DEVFILE_X509:
        if (d->x509.name != NULL && d->x509.name != d->endpoint) free(d->x509.name);
        break;
    case DEVFILE_NOSEC: free(d->nosec.allow); break;
    default: break;
    }
    explicit_bzero(d, sizeof *d);
}

void devfile_free(devfile_t *df)
{
    if (df == NULL) return;
    for (size_t i = 0; i < df->count; i++)
        devfile_device_clear(&df->devices[i]);
    free(df->devices);
    df->devices = NULL;
    df->count = 0;
}

/* ---- uniqueness sets ---------------------------------------------------- */

static void devfile_unique_key(const devfile_device_t *d, int set, const void **p, size_t *n)
{
    switch (set) {
    case DD_ENDPOINT:
        *p = d->endpoint;
        *n = strlen(d->endpoint);
        return;
    case DD_IDENTITY:
        *p = d->psk.identity;
        *n = d->psk.identity_len;
        return;
    case DD_SPKI:
        *p = d->rpk.spki;
        *n = d->rpk.spki_len;
        return;
    case DD_CN:
    case DD_SAN_DNS:
    case DD_SAN_URI:
    case DD_SAN_EMAIL:
        *p = d->x509.name;
        *n = strlen(d->x509.name);
        return;
    default:
        *p = d->x509.fingerprint;
        *n = DEVFILE_FINGERPRINT_LEN;
        return;
    }
}

/* FNV-1a: the file is operator input, not attacker-controlled traffic. */
static uint64_t devfile_hash(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3ull;
    }
    return h ^ (h >> 32);
}

static size_t devfile_set_find(const struct devfile_ctx *c, const devfile_set_t *s, int set, const void *p,
                               size_t n, uint32_t *found)
{
    size_t mask = s->cap - 1;
    size_t i = (size_t)devfile_hash(p, n) & mask;
    while (s->slot[i] != 0) {
        const void *q;
        size_t m;
        devfile_unique_key(&c->dev[s->slot[i] - 1], set, &q, &m);
        if (m == n && memcmp(p, q, n) == 0) {
            *found = s->slot[i] - 1;
            return i;
        }
        i = (i + 1) & mask;
    }
    *found = UINT32_MAX;
    return i;
}

static int devfile_set_grow(struct devfile_ctx *c, int set)
{
    devfile_set_t *s = &c->set[set];
    size_t ncap = s->cap ? s->cap * 2 : 1024;
    uint32_t *slot = calloc(ncap, sizeof *slot);
    if (slot == NULL) return -ENOMEM;
    devfile_set_t ns = {slot, ncap, 0};
    for (size_t i = 0; i < s->cap; i++) {
        if (s->slot[i] == 0) continue;
        const void *p;
        size_t n;
        uint32_t dummy;
        devfile_unique_key(&c->dev[s->slot[i] - 1], set, &p, &n);
        size_t at = devfile_set_find(c, &ns, set, p, n, &dummy);
        ns.slot[at] = s->slot[i];
        ns.used++;
    }
    free(s->slot);
    *s = ns;
    return 0;
}

/* Adds device |idx| to |set|.  Returns 0, 1 if a duplicate (*dup = its index), -ENOMEM. */
static int devfile_set_add(struct devfile_ctx *c, int set, uint32_t idx, uint32_t *dup)
{
    devfile_set_t *s = &c->set[set];
    if ((s->used + 1) * 2 > s->cap && devfile_set_grow(c, set) < 0) return -ENOMEM;
    const void *p;
    size_t n;
    devfile_unique_key(&c->dev[idx], set, &p, &n);
    size_t at = devfile_set_find(c, s, set, p, n, dup);
    if (*dup != UINT32_MAX) return 1;
    s->slot[at] = idx + 1;
    s->used++;
    return 0;
}

/* ---- values ------------------------------------------------------------- */

static bool devfile_is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Checks that a text value is 1..|max| bytes without NUL. */
static int devfile_check_text(struct devfile_ctx *c, unsigned line, const char *what, size_t max)
{
    const lex_value_t *v = c->v;
    if (v->len == 0) return lex_fail(&c->e, line, v->start_col, "%s must not be empty", what);
    if (v->len > max) return lex_fail(&c->e, line, v->col[max], "%s too long (max %zu bytes)", what, max);
    const char *nul = memchr(v->s, '\0', v->len);
    if (nul != NULL) return lex_fail(&c->e, line, v->col[nul - v->s], "NUL byte not allowed in %s", what);
    return 0;
}

/* Decodes the hex value into |out|; |what| names it in messages. */
static int devfile_hex_value(struct devfile_ctx *c, unsigned line, const char *what, uint8_t *out, size_t max,
                             size_t *outlen)
{
    const lex_value_t *v = c->v;
    size_t bad;
    if (v->len == 0) return lex_fail(&c->e, line, v->start_col, "%s must not be empty", what);
    int r = lex_hex_decode(v->s, v->len, out, max, outlen, &bad);
    if (r == -E2BIG) return lex_fail(&c->e, line, v->col[bad], "%s too long (max %zu bytes)", what, max);
    if (r < 0 && bad == v->len)
        return lex_fail(&c->e, line, v->start_col, "%s has an odd number of hex digits", what);
    if (r < 0) return lex_fail(&c->e, line, v->col[bad], "%s must be hex digits", what);
    return 0;
}

static int devfile_load_spki_file(struct devfile_ctx *c, unsigned line, uint8_t *out, size_t *outlen)
{
    const lex_value_t *v = c->v;
    int r = devfile_check_text(c, line, "spki_file", PATH_MAX - 1);
    if (r < 0) return r;
    char path[PATH_MAX];
    if (v->s[0] == '/')
        r = snprintf(path, sizeof path, "%s", v->s);
    else
        r = snprintf(path, sizeof path, "%s/%s", c->base_dir, v->s);
    if (r < 0 || (size_t)r >= sizeof path)
        return lex_fail(&c->e, line, v->start_col, "spki_file path too long");

    char *buf;
    size_t len;
    r = lex_read_file(path, DEVFILE_SPKI_FILE_MAX, &buf, &len, NULL);
    if (r == -EFBIG)
        return lex_fail(&c->e, line, v->start_col, "spki_file is too large (max %d bytes)",
                        DEVFILE_SPKI_FILE_MAX);
    if (r == -EINVAL) return lex_fail(&c->e, line, v->start_col, "spki_file is not a regular file");
    if (r == -ENOMEM) return r;
    if (r < 0) return lex_fail(&c->e, line, v->start_col, "cannot read spki_file: %s", strerror(-r));
    char why[160];
    r = spki_decode(buf, len, out, outlen, why, sizeof why);
    free(buf);
    if (r < 0) return lex_fail(&c->e, line, v->start_col, "spki_file: %s", why);
    return 0;
}

int devfile_cidr_parse(const char *s, size_t len, devfile_cidr_t *out)
{
    memset(out, 0, sizeof *out);
    const char *slash = memchr(s, '/', len);
    size_t alen = slash ? (size_t)(slash - s) : len;
    char abuf[INET6_ADDRSTRLEN];
    if (alen == 0 || alen >= sizeof abuf) return -EINVAL;
    memcpy(abuf, s, alen);
    abuf[alen] = '\0';
    unsigned bits;
    if (memchr(abuf, ':', alen) != NULL) {
        if (inet_pton(AF_INET6, abuf, out->addr) != 1) return -EINVAL;
        out->family = AF_INET6;
        bits = 128;
    } else {
        if (inet_pton(AF_INET, abuf, out->addr) != 1) return -EINVAL;
        out->family = AF_INET;
        bits = 32;
    }
    uint64_t prefix = bits;
    if (slash != NULL && lex_parse_uint(slash + 1, len - alen - 1, bits, &prefix) != 0) return -EINVAL;
    out->prefix = (uint8_t)prefix;
    for (unsigned b = out->prefix; b < bits; b++)
        if (out->addr[b / 8] & (0x80u >> (b % 8))) return -EDOM;
    /* ::ffff:a.b.c.d/96+n is the IPv4 prefix a.b.c.d/n: store it as IPv4. */
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (out->family == AF_INET6 && out->prefix >= 96 && memcmp(out->addr, mapped, 12) == 0) {
        memmove(out->addr, out->addr + 12, 4);
        memset(out->addr + 4, 0, 12);
        out->family = AF_INET;
        out->prefix = (uint8_t)(out->prefix - 96);
    }
    return 0;
}

static int devfile_parse_allow(struct devfile_ctx *c, unsigned line, devfile_device_t *d)
{
    const lex_value_t *v = c->v;
    devfile_cidr_t tmp[DEVFILE_ALLOW_MAX];
    size_t count = 0, pos = 0;
    if (v->len == 0) return lex_fail(&c->e, line, v->start_col, "allow must list at least one address");
    for (;;) {
        size_t end = pos;
        while (end < v->len && v->s[end] != ',')
            end++;
        if (end == pos) return lex_fail(&c->e, line, v->col[pos], "empty entry in allow");
        if (count == DEVFILE_ALLOW_MAX)
            return lex_fail(&c->e, line, v->col[pos], "too many entries in allow (max %d)",
                            DEVFILE_ALLOW_MAX);
        int r = devfile_cidr_parse(v->s + pos, end - pos, &tmp[count]);
        if (r == -EDOM)
            return lex_fail(&c->e, line, v->col[pos], "address has bits set beyond the prefix length");
        if (r < 0)
            return lex_fail(&c->e, line, v->col[pos],
                            "invalid address or prefix in allow (e.g. 192.0.2.0/24, 2001:db8::1)");
        for (size_t i = 0; i < count; i++)
            if (memcmp(&tmp[i], &tmp[count], sizeof tmp[i]) == 0)
                return lex_fail(&c->e, line, v->col[pos], "duplicate entry in allow");
        count++;
        if (end == v->len) break;
        pos = end + 1;
    }
    d->nosec.allow = malloc(count * sizeof *d->nosec.allow);
    if (d->nosec.allow == NULL) return -ENOMEM;
    memcpy(d->nosec.allow, tmp, count * sizeof *tmp);
    d->nosec.allow_count = count;
    return 0;
}

/* Fingerprint: 64 hex digits, or 32 hex pairs separated by ':' (openssl's form). */
static int devfile_parse_fingerprint(struct devfile_ctx *c, unsigned line, devfile_device_t *d)
{
    const lex_value_t *v = c->v;
    char hex[2 * DEVFILE_FINGERPRINT_LEN];
    size_t n = 0;
    bool colons = v->len == 3 * DEVFILE_FINGERPRINT_LEN - 1;
    for (size_t i = 0; i < v->len; i++) {
        if (colons && i % 3 == 2) {
            if (v->s[i] != ':') return lex_fail(&c->e, line, v->col[i], "fingerprint: expected ':'");
            continue;
        }
        if (n == sizeof hex) break;
        hex[n++] = v->s[i];
    }
    if (n != sizeof hex || (!colons && v->len != sizeof hex))
        return lex_fail(&c->e, line, v->start_col,
                        "fingerprint must be the SHA-256 of the certificate: 64 hex digits");
    size_t outlen, bad;
    if (lex_hex_decode(hex, n, d->x509.fingerprint, DEVFILE_FINGERPRINT_LEN, &outlen, &bad) < 0) {
        size_t at = colons ? bad / 2 * 3 + bad % 2 : bad;
        return lex_fail(&c->e, line, v->col[at], "fingerprint must be hex digits");
    }
    d->x509.has_fingerprint = true;
    return 0;
}

static int devfile_attr_value(struct devfile_ctx *c, unsigned line, unsigned acol,
                              const struct devfile_attr *a, devfile_device_t *d)
{
    lex_value_t *v = c->v;
    int r;
    switch (a->bit) {
    case DA_IDENTITY:
        r = devfile_check_text(c, line, "PSK identity", DEVFILE_PSK_IDENTITY_MAX);
        if (r < 0) return r;
        d->psk.identity = strndup(v->s, v->len);
        if (d->psk.identity == NULL) return -ENOMEM;
        d->psk.identity_len = v->len;
        c->cols[DD_IDENTITY] = acol;
        return 0;
    case DA_KEY:
        r = devfile_hex_value(c, line, "key", d->psk.key, DEVFILE_PSK_KEY_MAX, &d->psk.key_len);
        explicit_bzero(v->s, v->len);
        return r;
    case DA_SPKI:
    case DA_SPKI_FILE: {
        uint8_t spki[DEVFILE_SPKI_MAX];
        size_t n;
        if (d->rpk.spki != NULL) return lex_fail(&c->e, line, acol, "give spki or spki_file, not both");
        if (a->bit == DA_SPKI) {
            r = devfile_hex_value(c, line, "spki", spki, sizeof spki, &n);
            if (r < 0) return r;
            if (!spki_der_ok(spki, n))
                return lex_fail(&c->e, line, v->start_col, "spki is not a DER SubjectPublicKeyInfo");
        } else {
            if (c->base_dir == NULL)
                return lex_fail(&c->e, line, acol,
                                "spki_file cannot be used here (no devices file directory)");
            r = devfile_load_spki_file(c, line, spki, &n);
            if (r < 0) return r;
        }
        d->rpk.spki = malloc(n);
        if (d->rpk.spki == NULL) return -ENOMEM;
        memcpy(d->rpk.spki, spki, n);
        d->rpk.spki_len = n;
        c->cols[DD_SPKI] = acol;
        return 0;
    }
    case DA_CN:
    case DA_SAN_DNS:
    case DA_SAN_URI:
    case DA_SAN_EMAIL: {
        int type = a->bit == DA_CN        ? DEVFILE_NAME_CN
                   : a->bit == DA_SAN_DNS ? DEVFILE_NAME_SAN_DNS
                   : a->bit == DA_SAN_URI ? DEVFILE_NAME_SAN_URI
                                          : DEVFILE_NAME_SAN_EMAIL;
        if (d->x509.name != NULL)
            return lex_fail(&c->e, line, acol,
                            "give one certificate name: cn, san_dns, san_uri or san_email");
        r = devfile_check_text(c, line, a->name, DEVFILE_CN_MAX);
        if (r < 0) return r;
        if (type == DEVFILE_NAME_SAN_URI && (memchr(v->s, ':', v->len) == NULL || v->s[0] == ':'))
            return lex_fail(&c->e, line, v->start_col, "san_uri must be an absolute URI (scheme:...)");
        if (type == DEVFILE_NAME_SAN_EMAIL && memchr(v->s, '@', v->len) == NULL)
            return lex_fail(&c->e, line, v->start_col, "san_email must be an e-mail address (local@domain)");
        d->x509.name = strndup(v->s, v->len);
        if (d->x509.name == NULL) return -ENOMEM;
        d->x509.name_type = type;
        c->cols[DD_CN + type] = acol;
        return 0;
    }
    case DA_FINGERPRINT: c->cols[DD_FINGERPRINT] = acol; return devfile_parse_fingerprint(c, line, d);
    case DA_ALLOW: return devfile_parse_allow(c, line, d);
    default: return lex_fail(&c->e, line, acol, "internal error: unhandled attribute");
    }
}

static int devfile_check_endpoint(struct devfile_ctx *c, unsigned line)
{
    const lex_value_t *v = c->v;
    if (v->len == 0) return lex_fail(&c->e, line, v->start_col, "endpoint name must not be empty");
    if (v->len > DEVFILE_ENDPOINT_MAX)
        return lex_fail(&c->e, line, v->col[DEVFILE_ENDPOINT_MAX], "endpoint name too long (max %d bytes)",
                        DEVFILE_ENDPOINT_MAX);
    for (size_t i = 0; i < v->len; i++) {
        unsigned char ch = (unsigned char)v->s[i];
        if (ch <= 0x20 || ch >= 0x7f)
            return lex_fail(&c->e, line, v->col[i], "endpoint name must be printable ASCII without spaces");
    }
    return 0;
}

/* Appends |d| (moved; cleared on error by the caller) and checks uniqueness. */
static int devfile_commit(struct devfile_ctx *c, unsigned line, devfile_device_t *d)
{
    if (c->count == c->cap) {
        size_t ncap = c->cap ? c->cap * 2 : 64;
        if (ncap > DEVFILE_MAX_DEVICES) ncap = DEVFILE_MAX_DEVICES;
        devfile_device_t *nd = malloc(ncap * sizeof *nd);
        if (nd == NULL) return -ENOMEM;
        if (c->count > 0) memcpy(nd, c->dev, c->count * sizeof *nd);
        if (c->dev != NULL) explicit_bzero(c->dev, c->count * sizeof *nd);
        free(c->dev);
        c->dev = nd;
        c->cap = ncap;
    }
    uint32_t idx = (uint32_t)c->count;
    c->dev[idx] = *d;

    static const char *const what[DD_NSETS] = {"endpoint", "PSK identity", "SPKI",      "cn",
                                               "san_dns",  "san_uri",      "san_email", "fingerprint"};
    bool x509 = d->kind == DEVFILE_X509;
    bool in_set[DD_NSETS] = {
        true,
        d->kind == DEVFILE_PSK,
        d->kind == DEVFILE_RPK,
        x509 && d->x509.name_type == DEVFILE_NAME_CN,
        x509 && d->x509.name_type == DEVFILE_NAME_SAN_DNS,
        x509 && d->x509.name_type == DEVFILE_NAME_SAN_URI,
        x509 && d->x509.name_type == DEVFILE_NAME_SAN_EMAIL,
        x509 && d->x509.has_fingerprint,
    };
    for (int s = 0; s < DD_NSETS; s++) {
        if (!in_set[s]) continue;
        uint32_t dup;
        int r = devfile_set_add(c, s, idx, &dup);
        if (r < 0) return r;
        if (r > 0)
            return lex_fail(&c->e, line, c->cols[s], "duplicate %s (also on line %u)", what[s],
                            c->dev[dup].line);
    }
    explicit_bzero(d, sizeof *d); /* now owned by c->dev[idx] */
    c->count++;
    return 0;
}

static int devfile_parse_line(struct devfile_ctx *c, lex_line_t *l)
{
    lex_value_t *v = c->v;
    const unsigned line = l->lineno;
    devfile_device_t d;
    memset(&d, 0, sizeof d);
    d.line = line;

    if (c->count == DEVFILE_MAX_DEVICES)
        return lex_fail(&c->e, line, lex_col(l), "too many devices (max %d)", DEVFILE_MAX_DEVICES);

    /* endpoint */
    unsigned ep_col = lex_col(l);
    int r = lex_read_value(l, v, LEX_VALUE_WORD, &c->e);
    if (r < 0) return r;
    r = devfile_check_endpoint(c, line);
    if (r < 0) return r;
    for (int s = 0; s < DD_NSETS; s++)
        c->cols[s] = ep_col;

    /* kind */
    if (lex_skip_blank(l))
        return lex_fail(&c->e, line, lex_col(l), "missing device kind (psk, rpk, x509 or nosec)");
    unsigned kind_col = lex_col(l);
    d.endpoint = strndup(v->s, v->len);
    if (d.endpoint == NULL) return -ENOMEM;
    r = lex_read_value(l, v, LEX_VALUE_WORD, &c->e);
    if (r < 0) goto fail;
    for (int k = DEVFILE_PSK; k <= DEVFILE_NOSEC; k++)
        if (strlen(devfile_kind_name(k)) == v->len && memcmp(v->s, devfile_kind_name(k), v->len) == 0)
            d.kind = k;
    if (d.kind == 0) {
        r = lex_fail(&c->e, line, kind_col, "unknown device kind (expected psk, rpk, x509 or nosec)");
        goto fail;
    }

    /* attributes */
    unsigned seen = 0;
    while (!lex_skip_blank(l)) {
        unsigned acol = lex_col(l);
        size_t ns = l->pos, ne = l->pos;
        while (ne < l->len && l->p[ne] != '=' && !devfile_is_blank(l->p[ne]))
            ne++;
        if (ne == l->len || l->p[ne] != '=') {
            r = lex_fail(&c->e, line, acol, "expected attribute=value");
            goto fail;
        }
        if (ne == ns) {
            r = lex_fail(&c->e, line, acol, "missing attribute name before '='");
            goto fail;
        }
        const struct devfile_attr *a = NULL;
        for (size_t i = 0; i < sizeof devfile_attrs / sizeof devfile_attrs[0]; i++)
            if (devfile_attrs[i].kind == d.kind && strlen(devfile_attrs[i].name) == ne - ns &&
                memcmp(devfile_attrs[i].name, l->p + ns, ne - ns) == 0)
                a = &devfile_attrs[i];
        if (a == NULL) {
            size_t n = ne - ns;
            bool printable = n <= 32;
            for (size_t i = ns; printable && i < ne; i++)
                printable =
                    !((l->p[i] < 'a' || l->p[i] > 'z') && l->p[i] != '_' && (l->p[i] < '0' || l->p[i] > '9'));
            if (printable)
                r = lex_fail(&c->e, line, acol, "unknown attribute '%.*s' for a %s device", (int)n, l->p + ns,
                             devfile_kind_name(d.kind));
            else
                r = lex_fail(&c->e, line, acol, "unknown attribute for a %s device",
                             devfile_kind_name(d.kind));
            goto fail;
        }
        if (seen & a->bit) {
            r = lex_fail(&c->e, line, acol, "duplicate attribute '%s'", a->name);
            goto fail;
        }
        seen |= a->bit;
        l->pos = ne + 1;
        r = lex_read_value(l, v, LEX_VALUE_WORD, &c->e);
        if (r < 0) goto fail;
        r = devfile_attr_value(c, line, acol, a, &d);
        if (r < 0) goto fail;
    }

    /* required attributes and defaults */
    switch (d.kind) {
    case DEVFILE_PSK:
        if (!(seen & DA_KEY)) {
            r = lex_fail(&c->e, line, kind_col, "psk device needs key=<hex>");
            goto fail;
        }
        if (d.psk.identity == NULL) {
            d.psk.identity = d.endpoint;
            d.psk.identity_len = strlen(d.endpoint);
            if (d.psk.identity_len > DEVFILE_PSK_IDENTITY_MAX) {
                r = lex_fail(&c->e, line, ep_col,
                             "endpoint name too long to be the PSK identity (max %d bytes); "
                             "give identity=",
                             DEVFILE_PSK_IDENTITY_MAX);
                goto fail;
            }
        }
        break;
    case DEVFILE_RPK:
        if (d.rpk.spki == NULL) {
            r = lex_fail(&c->e, line, kind_col, "rpk device needs spki=<hex> or spki_file=<path>");
            goto fail;
        }
        break;
    case DEVFILE_X509:
        if (d.x509.name == NULL) d.x509.name = d.endpoint; /* name_type stays CN */
        break;
    case DEVFILE_NOSEC:
        if (!(seen & DA_ALLOW)) {
            r = lex_fail(&c->e, line, kind_col, "nosec device needs allow=<address or prefix>");
            goto fail;
        }
        break;
    default: break;
    }

    r = devfile_commit(c, line, &d);
    if (r < 0) goto fail;
    return 0;

fail:
    devfile_device_clear(&d);
    return r;
}

static void devfile_ctx_free(struct devfile_ctx *c)
{
    for (size_t i = 0; i < c->count; i++)
        devfile_device_clear(&c->dev[i]);
    if (c->dev != NULL) explicit_bzero(c->dev, c->cap * sizeof *c->dev);
    free(c->dev);
    for (int s = 0; s < DD_NSETS; s++)
        free(c->set[s].slot);
    if (c->v != NULL) explicit_bzero(c->v, sizeof *c->v);
    free(c->v);
}

int devfile_load_buffer(devfile_t *df, const char *name, const char *base_dir, const char *buf, size_t len,
                        char *err, size_t errcap)
{
    df->devices = NULL;
    df->count = 0;
    if (name == NULL) name = "-";
    if (len > DEVFILE_FILE_MAX) {
        lex_errorf(err, errcap, "%s: file too large (max %u bytes)", name, DEVFILE_FILE_MAX);
        return -EFBIG;
    }
    struct devfile_ctx c;
    memset(&c, 0, sizeof c);
    c.base_dir = base_dir;
    c.v = malloc(sizeof *c.v);
    if (c.v == NULL) {
        lex_errorf(err, errcap, "%s: out of memory", name);
        return -ENOMEM;
    }
    lex_reader_t rd;
    lex_line_t line;
    lex_reader_init(&rd, buf, len);
    int r;
    while ((r = lex_next_line(&rd, &line, &c.e)) > 0) {
        if (lex_skip_blank(&line)) continue;
        r = devfile_parse_line(&c, &line);
        if (r < 0) break;
    }
    if (r < 0) {
        if (r == -ENOMEM)
            lex_errorf(err, errcap, "%s: out of memory", name);
        else
            lex_format_error(err, errcap, name, &c.e);
        devfile_ctx_free(&c);
        return r;
    }

    /* Hand over an exactly sized array (copied, not realloc()ed: keys). */
    devfile_device_t *out = NULL;
    if (c.count > 0) {
        out = malloc(c.count * sizeof *out);
        if (out == NULL) {
            lex_errorf(err, errcap, "%s: out of memory", name);
            devfile_ctx_free(&c);
            return -ENOMEM;
        }
        memcpy(out, c.dev, c.count * sizeof *out);
        explicit_bzero(c.dev, c.cap * sizeof *c.dev);
    }
    size_t count = c.count;
    c.count = 0; /* the devices now belong to |out| */
    devfile_ctx_free(&c);
    df->devices = out;
    df->count = count;
    return 0;
}

int devfile_load_file(devfile_t *df, const char *path, char *err, size_t errcap)
{
    df->devices = NULL;
    df->count = 0;
    if (path == NULL) {
        lex_errorf(err, errcap, "devices file path missing");
        return -EINVAL;
    }
    char *buf;
    size_t len;
    struct stat st;
    int r = lex_load_file(path, DEVFILE_FILE_MAX, &buf, &len, &st, err, errcap);
    if (r < 0) return r;

    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    int n;
    if (slash == NULL)
        n = snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        n = snprintf(dir, sizeof dir, "/");
    else
        n = snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    if (n < 0 || (size_t)n >= sizeof dir) {
        explicit_bzero(buf, len);
        free(buf);
        lex_errorf(err, errcap, "%s: path too long", path);
        return -ENAMETOOLONG;
    }

    r = devfile_load_buffer(df, path, dir, buf, len, err, errcap);
    explicit_bzero(buf, len);
    free(buf);
    if (r < 0) return r;

    bool has_psk = false;
    for (size_t i = 0; i < df->count && !has_psk; i++)
        has_psk = df->devices[i].kind == DEVFILE_PSK;
    if (has_psk && (st.st_mode & S_IROTH) && log_enabled(BSD_LOG_WARN)) {
        char q[LOG_QUOTE_SIZE(256)];
        log_quote_str(q, sizeof q, path);
        log_msg(BSD_LOG_WARN, "devfile.permissions", "file=%s mode=%04o reason=psk_keys_readable_by_others",
                q, (unsigned)(st.st_mode & 07777));
    }
    return 0;
}

bool devfile_nosec_allowed(const devfile_device_t *dev, const struct sockaddr *sa)
{
    if (dev == NULL || sa == NULL || dev->kind != DEVFILE_NOSEC) return false;
    uint8_t a[16];
    int family;
    if (sa->sa_family == AF_INET) {
        memcpy(a, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
        family = AF_INET;
    } else if (sa->sa_family == AF_INET6) {
        const struct in6_addr *in6 = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(in6)) {
            memcpy(a, in6->s6_addr + 12, 4);
            family = AF_INET;
        } else {
            memcpy(a, in6->s6_addr, 16);
            family = AF_INET6;
        }
    } else {
        return false;
    }
    for (size_t i = 0; i < dev->nosec.allow_count; i++) {
        const devfile_cidr_t *p = &dev->nosec.allow[i];
        if (p->family != family) continue;
        unsigned full = p->prefix / 8, rest = p->prefix % 8;
        if (memcmp(a, p->addr, full) != 0) continue;
        if (rest != 0 && ((a[full] ^ p->addr[full]) & (0xffu << (8 - rest)) & 0xff) != 0) continue;
        return true;
    }
    return false;
}
