/*
 * policy_est.c — the `est:` section of a policy (see policy.h and
 * docs/POLICY.md "Devices enrolling over EST"): the syntax of the subject
 * and subjectAltName templates, and their expansion for a device.
 *
 * The subject is text in the form bsd/est/est_csr.h reads and writes
 * (est_name_der / est_name_str): RDNs in encoding order joined by ",", one
 * "TYPE=value" each; ",+\"\\<>;=" in values escaped with a backslash,
 * control and non-ASCII bytes as \XX. One walker serves the parse-time
 * check and the expansion: a template is decoded into raw attribute
 * values, variables substituted, and written back in the canonical escaping,
 * so an operator's "\2C" and "\," both give the "\," that est_name_str()
 * prints for a request's subject. The YAML walk lives in policy.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "bsd/policy/policy_int.h"

#define EST_VALUE_MAX 512 /* raw bytes of one attribute value while walking */
#define NAME_SPECIALS ",+\"\\<>;="

/* The attributes est_name_der() encodes, with their RFC 5280 upper bounds
 * (Appendix A.1, in characters) and whether they are PrintableString. */
static const struct est_attr {
    const char *name;
    size_t ub;
    bool printable;
} attrs[] = {
    {"CN", 64, false}, {"O", 64, false},   {"OU", 64, false},          {"C", 2, true},
    {"L", 128, false}, {"ST", 128, false}, {"SERIALNUMBER", 64, true},
};

void pol_est_defaults(pol_est_t *e)
{
    memset(e, 0, sizeof *e);
    e->subject = "CN=${endpoint}";
    e->subject_len = strlen(e->subject);
    e->validity_days = 365;
    e->curves = POLICY_EST_CURVE_P256 | POLICY_EST_CURVE_P384;
    e->auth = POLICY_EST_AUTH_X509; /* RFC 9148 §3: a client certificate */
    e->per_hour = 10;
}

static int why_set(char *why, size_t whycap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int why_set(char *why, size_t whycap, const char *fmt, ...)
{
    if (why && whycap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, whycap, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* PrintableString (X.680 §41.4). */
static int printable_ch(unsigned char ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
           (ch && strchr(" '()+,-./:=?", ch));
}

/* Length of the `${...}` at s[i], 0 when none starts there. */
static size_t var_len(const char *s, size_t len, size_t i)
{
    size_t off, nl;
    return pol_var_at(s, len, i, &off, &nl);
}

/* Output of the walk: the canonical text, or nothing when only checking. */
typedef struct sout {
    char *p;
    size_t cap, n;
    int overflow;
} sout_t;

static void sput(sout_t *o, const char *s, size_t len)
{
    if (!o->p) return;
    if (len >= o->cap - o->n) {
        o->overflow = 1;
        return;
    }
    memcpy(o->p + o->n, s, len);
    o->n += len;
    o->p[o->n] = 0;
}

static void sput_escaped(sout_t *o, const uint8_t *v, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        char buf[4];
        if (v[i] && strchr(NAME_SPECIALS, v[i])) {
            buf[0] = '\\';
            buf[1] = (char)v[i];
            sput(o, buf, 2);
        } else if (v[i] < 0x20 || v[i] >= 0x7f) {
            snprintf(buf, sizeof buf, "\\%02X", v[i]);
            sput(o, buf, 3);
        } else {
            sput(o, (const char *)&v[i], 1);
        }
    }
}

/* Characters of |len| UTF-8 bytes (continuation bytes not counted). */
static size_t utf8_chars(const uint8_t *v, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += (v[i] & 0xc0) != 0x80;
    return n;
}

/* Checks one decoded value of attribute |a|. |templ|: the value held
 * variables (each stood for by an "x"), so only bounds that cannot grow
 * are checked. |by_operator|: the text is the operator's, not a device's. */
static int value_check(const struct est_attr *a, const uint8_t *v, size_t len, bool templ, bool by_operator,
                       char *why, size_t whycap)
{
    if (len == 0) return why_set(why, whycap, "%s has an empty value", a->name);
    if (by_operator && (v[0] == ' ' || v[len - 1] == ' '))
        return why_set(why, whycap, "%s: no spaces around \",\" and \"=\"", a->name);
    size_t chars = utf8_chars(v, len);
    if (chars > a->ub || (!templ && a->ub == 2 && chars != 2))
        return why_set(why, whycap, "%s values are %s%zu characters", a->name, a->ub == 2 ? "" : "1..",
                       a->ub);
    if (!pol_utf8_ok((const char *)v, len))
        return why_set(why, whycap, "%s: the value is not UTF-8", a->name);
    for (size_t i = 0; i < len; i++) {
        if (a->printable && !printable_ch(v[i]))
            return why_set(why, whycap, "%s values are PrintableString: A-Z a-z 0-9 space '()+,-./:=?",
                           a->name);
        if (v[i] < 0x20 || v[i] == 0x7f)
            return why_set(why, whycap, "%s: control characters are not allowed", a->name);
    }
    if (a->ub == 2 && !templ && !((v[0] >= 'A' && v[0] <= 'Z') && (v[1] >= 'A' && v[1] <= 'Z')))
        return why_set(why, whycap, "C is an ISO 3166 code of two capital letters");
    return 0;
}

/*
 * The walker: with |dev| NULL it checks the template (variables stand for
 * one character); with |dev| it substitutes them and writes the canonical
 * text into |o|. Returns 0, -1 (template error, reason in |why|),
 * POLICY_ERR_DEVICE or POLICY_ERR_NOSPACE.
 */
static int subject_walk(const char *s, size_t len, const policy_device_t *dev, sout_t *o, char *why,
                        size_t whycap)
{
    int bad = dev ? POLICY_ERR_DEVICE : -1; /* a value that does not fit */
    if (len == 0) return why_set(why, whycap, "the subject is empty");
    size_t i = 0, nrdn = 0;
    for (;;) {
        if (++nrdn > POL_EST_MAX_RDN) return why_set(why, whycap, "more than %d attributes", POL_EST_MAX_RDN);
        size_t t0 = i;
        while (i < len && s[i] != '=' && s[i] != ',')
            i++;
        if (i >= len || s[i] != '=') return why_set(why, whycap, "attribute %zu is not TYPE=value", nrdn);
        if (i > t0 && (s[t0] == ' ' || s[i - 1] == ' '))
            return why_set(why, whycap, "no spaces around \",\" and \"=\"");
        const struct est_attr *a = NULL;
        for (size_t k = 0; k < sizeof attrs / sizeof attrs[0] && !a; k++)
            if (strlen(attrs[k].name) == i - t0 && memcmp(attrs[k].name, s + t0, i - t0) == 0) a = &attrs[k];
        if (!a)
            return why_set(why, whycap,
                           "attribute %zu: unknown type \"%.*s\"; valid: CN, O, OU, C, L, ST, SERIALNUMBER",
                           nrdn, (int)(i - t0 > 40 ? 40 : i - t0), s + t0);
        i++;
        uint8_t v[EST_VALUE_MAX];
        size_t vn = 0;
        bool templ = false;
        while (i < len && s[i] != ',') {
            unsigned char ch = (unsigned char)s[i];
            size_t vl = var_len(s, len, i);
            char sub[EST_VALUE_MAX];
            size_t add = 1;
            const uint8_t *from = &ch;
            if (vl) {
                if (dev) {
                    char what[160];
                    int n = pol_subst(s + i, vl, dev, sub, sizeof sub, what, sizeof what);
                    if (n < 0) {
                        if (n == POLICY_ERR_DEVICE)
                            why_set(why, whycap, "%s", what);
                        else
                            why_set(why, whycap, "%s: a substituted value is too long", a->name);
                        return POLICY_ERR_DEVICE;
                    }
                    from = (const uint8_t *)sub;
                    add = (size_t)n;
                } else {
                    templ = true;
                    ch = 'x'; /* stands for the variable */
                }
                i += vl;
            } else if (ch == '\\') {
                int h1 = i + 2 < len ? pol_hexval(s[i + 1]) : -1,
                    h2 = i + 2 < len ? pol_hexval(s[i + 2]) : -1;
                if (i + 1 < len && s[i + 1] && strchr(NAME_SPECIALS, s[i + 1])) {
                    ch = (unsigned char)s[i + 1];
                    i += 2;
                } else if (h1 >= 0 && h2 >= 0) {
                    ch = (unsigned char)(h1 << 4 | h2);
                    i += 3;
                } else {
                    return why_set(why, whycap, "a backslash must be followed by one of %s or two hex digits",
                                   NAME_SPECIALS);
                }
            } else if (ch == '+') {
                return why_set(why, whycap, "one attribute per RDN: write \"+\" in a value as \"\\+\"");
            } else if (strchr("\"<>;=", ch)) {
                return why_set(why, whycap, "\"%c\" in a value must be escaped as \"\\%c\"", ch, ch);
            } else {
                i++;
            }
            if (add > sizeof v - vn) {
                why_set(why, whycap, "%s: the value is too long", a->name);
                return bad;
            }
            memcpy(v + vn, from, add);
            vn += add;
        }
        if (value_check(a, v, vn, templ, dev == NULL, why, whycap) < 0) return bad;
        if (nrdn > 1) sput(o, ",", 1);
        sput(o, a->name, strlen(a->name));
        sput(o, "=", 1);
        sput_escaped(o, v, vn);
        if (i >= len) break;
        if (++i >= len) return why_set(why, whycap, "the subject ends with \",\"");
    }
    if (o->overflow) {
        why_set(why, whycap, "the subject exceeds %d bytes", POLICY_EST_SUBJECT_MAX - 1);
        return POLICY_ERR_NOSPACE;
    }
    return 0;
}

int pol_est_subject_check(const char *s, size_t len, char *why, size_t whycap)
{
    sout_t o = {0};
    return subject_walk(s, len, NULL, &o, why, whycap) < 0 ? -1 : 0;
}

static int dns_ch(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
           ch == '.';
}

/* A host name: labels of letters, digits and "-", 1..63 bytes, joined by
 * "."; |templ|: `${...}` may stand in it. */
static int dns_ok(const char *s, size_t len, bool templ)
{
    if (len == 0 || len > 253) return 0;
    size_t lab = 0;
    for (size_t i = 0; i < len; i++) {
        size_t vl = templ ? var_len(s, len, i) : 0;
        if (vl) {
            i += vl - 1;
            lab = 1;
            continue;
        }
        if (!dns_ch(s[i])) return 0;
        if (s[i] == '.') {
            if (lab == 0) return 0;
            lab = 0;
        } else if (++lab > 63) {
            return 0;
        }
    }
    return lab > 0;
}

int pol_est_san_check(int type, const char *s, size_t len, bool templ, char *why, size_t whycap)
{
    if (len == 0 || (!templ && len > POLICY_EST_SAN_MAX))
        return why_set(why, whycap, "names are 1..%d bytes", POLICY_EST_SAN_MAX);
    /* IA5String, and no spaces: what a certificate can carry unchanged. */
    for (size_t i = 0; i < len; i++)
        if (s[i] < 0x21 || s[i] > 0x7e)
            return why_set(why, whycap, "names are printable ASCII without spaces");
    switch (type) {
    case POLICY_EST_SAN_DNS:
        if (!dns_ok(s, len, templ))
            return why_set(why, whycap, "not a DNS name (labels of A-Z a-z 0-9 -, joined by .)");
        return 0;
    case POLICY_EST_SAN_URI: {
        /* RFC 3986 §3.1: scheme ":" then something. */
        size_t i = 0;
        while (i < len &&
               ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
                (i > 0 && ((s[i] >= '0' && s[i] <= '9') || s[i] == '+' || s[i] == '-' || s[i] == '.'))))
            i++;
        if (templ && i < len && s[i] == '$') return 0; /* the scheme comes with a variable */
        if (i == 0 || i >= len || s[i] != ':' || i + 1 == len)
            return why_set(why, whycap, "not a URI (scheme \":\" rest)");
        return 0;
    }
    case POLICY_EST_SAN_EMAIL: {
        const char *at = memchr(s, '@', len);
        if (templ && !at) return 0; /* a variable brings the "@" */
        if (!at || at == s || memchr(at + 1, '@', len - (size_t)(at - s) - 1) ||
            !dns_ok(at + 1, len - (size_t)(at - s) - 1, templ))
            return why_set(why, whycap, "not an e-mail address (local@domain)");
        return 0;
    }
    default: return why_set(why, whycap, "unknown name type");
    }
}

static const char *san_kind(int type)
{
    return type == POLICY_EST_SAN_DNS ? "dns" : type == POLICY_EST_SAN_URI ? "uri" : "email";
}

int pol_efail(const policy_t *p, char *err, size_t errcap, int code, const char *fmt, ...)
{
    if (err && errcap) {
        char msg[400];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        snprintf(err, errcap, "%s: %s", p ? p->name : "policy", msg);
    }
    return code;
}

int policy_est(const policy_t *p, const policy_device_t *dev, policy_est_t *out, char *err, size_t errcap)
{
    if (err && errcap) err[0] = 0;
    if (!p || !dev || !out || !dev->endpoint || strlen(dev->endpoint) > 1024 ||
        !pol_utf8_ok(dev->endpoint, strlen(dev->endpoint)))
        return pol_efail(p, err, errcap, POLICY_ERR_ARG,
                         "missing argument, or an endpoint that is not UTF-8");
    memset(out, 0, sizeof *out);
    bool est_server = false;
    for (size_t i = 0; i < p->nservers; i++)
        est_server |= p->servers[i].mode == POL_MODE_EST;
    if (!p->est.present && !est_server) return 0;
    int r = pol_est_expand(p, dev, out, err, errcap);
    return r < 0 ? r : 1;
}

int pol_est_expand(const policy_t *p, const policy_device_t *dev, policy_est_t *out, char *err, size_t errcap)
{
    memset(out, 0, sizeof *out);
    const pol_est_t *e = &p->est;
    char why[200];
    sout_t o = {out->subject, sizeof out->subject, 0, 0};
    int r = subject_walk(e->subject, e->subject_len, dev, &o, why, sizeof why);
    if (r < 0) {
        memset(out, 0, sizeof *out);
        return pol_efail(p, err, errcap, r == -1 ? POLICY_ERR_DEVICE : r, "est.subject: %s", why);
    }
    for (size_t i = 0; i < e->nsan; i++) {
        policy_est_san_t *s = &out->san[i];
        int n = pol_subst(e->san[i].s, e->san[i].len, dev, s->value, POLICY_EST_SAN_MAX, why, sizeof why);
        if (n >= 0) {
            s->value[n] = 0;
            if (pol_est_san_check(e->san[i].type, s->value, (size_t)n, false, why, sizeof why) < 0) n = -1;
        } else if (n != POLICY_ERR_DEVICE) {
            snprintf(why, sizeof why, "longer than %d bytes after substitution", POLICY_EST_SAN_MAX);
        }
        for (size_t k = 0; n >= 0 && k < i; k++)
            if (out->san[k].type == e->san[i].type && strcmp(out->san[k].value, s->value) == 0) {
                snprintf(why, sizeof why, "the same name as entry %zu after substitution", k);
                n = -1;
            }
        if (n < 0) {
            memset(out, 0, sizeof *out);
            return pol_efail(p, err, errcap, POLICY_ERR_DEVICE, "est.subject_alt_names.%s \"%.*s\": %s",
                             san_kind(e->san[i].type), (int)(e->san[i].len > 60 ? 60 : e->san[i].len),
                             e->san[i].s, why);
        }
        s->type = e->san[i].type;
        out->nsan++;
    }
    out->validity_days = e->validity_days;
    out->curves = e->curves;
    out->auth = e->auth;
    out->renew_new_key = e->renew_new_key;
    out->per_hour = e->per_hour;
    return 0;
}
