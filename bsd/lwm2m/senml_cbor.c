/*
 * senml_cbor.c — LwM2M SenML CBOR encoder and decoder (contract in
 * senml_cbor.h) on top of the CBOR reader/writer of cbor.c.
 *
 * Names are built from the paths with a small decimal formatter rather than
 * snprintf, and parsed back with lwm2m_path_parse(); nothing allocates.
 */
#include "bsd/lwm2m/senml_cbor.h"

#include "bsd/lwm2m/cbor.h"

#include <stdbool.h>
#include <string.h>

/* SenML labels, RFC 8428 §6 Table 6. */
enum {
    L_BS = -6,
    L_BV = -5,
    L_BU = -4,
    L_BT = -3,
    L_BN = -2,
    L_BVER = -1,
    L_N = 0,
    L_U = 1,
    L_V = 2,
    L_VS = 3,
    L_VB = 4,
    L_S = 5,
    L_T = 6,
    L_UT = 7,
    L_VD = 8,
    L_VLO = 9, /* the text label "vlo" (LwM2M Core 1.1 §7.4.5), numbered here only */
};
#define SENML_MAX_BVER 10 /* RFC 8428 §4.4: the version this code understands */

static const char VLO[3] = {'v', 'l', 'o'};

/* ---- encoding ---- */

static size_t fmt_u16(char *o, unsigned v)
{
    char t[5];
    size_t n = 0, i;
    do {
        t[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    for (i = 0; i < n; i++)
        o[i] = t[n - 1 - i];
    return n;
}

static unsigned path_id(const lwm2m_path_t *p, int i)
{
    switch (i) {
    case 0: return p->obj;
    case 1: return p->inst;
    case 2: return p->res;
    default: return p->rinst;
    }
}

/* Writes the IDs from position |from| to the end of |p|, "/"-separated. */
static size_t fmt_ids(char *o, const lwm2m_path_t *p, int from)
{
    size_t n = 0;
    for (int i = from; i < p->depth; i++) {
        if (i > from) o[n++] = '/';
        n += fmt_u16(o + n, path_id(p, i));
    }
    return n;
}

static bool ids_ok(const lwm2m_path_t *p)
{
    for (int i = 0; i < p->depth; i++)
        if (path_id(p, i) > LWM2M_MAX_ID) return false;
    return true;
}

static int put_value(cbor_writer_t *w, const lwm2m_value_t *v)
{
    char lnk[12];
    size_t k;
    switch (v->type) {
    case LWM2M_T_STRING:
    case LWM2M_T_CORELNK:
        cbor_put_uint(w, L_VS);
        return cbor_put_text(w, (const char *)v->bytes.p, v->bytes.len);
    case LWM2M_T_OPAQUE: cbor_put_uint(w, L_VD); return cbor_put_bytes(w, v->bytes.p, v->bytes.len);
    case LWM2M_T_INTEGER:
    case LWM2M_T_TIME: cbor_put_uint(w, L_V); return cbor_put_int(w, v->i);
    case LWM2M_T_UNSIGNED: cbor_put_uint(w, L_V); return cbor_put_uint(w, v->u);
    case LWM2M_T_FLOAT: cbor_put_uint(w, L_V); return cbor_put_float(w, v->f);
    case LWM2M_T_BOOLEAN: cbor_put_uint(w, L_VB); return cbor_put_bool(w, v->b);
    case LWM2M_T_OBJLNK:
        k = fmt_u16(lnk, v->lnk.obj);
        lnk[k++] = ':';
        k += fmt_u16(lnk + k, v->lnk.inst);
        cbor_put_text(w, VLO, sizeof VLO);
        return cbor_put_text(w, lnk, k);
    default: return LWM2M_ERR_TYPE;
    }
}

int senml_cbor_encode(const lwm2m_path_t *target, const lwm2m_record_t *recs, size_t n, uint8_t *out,
                      size_t cap)
{
    cbor_writer_t w;
    char name[SENML_CBOR_NAME_MAX];
    size_t len;

    if (target->depth > 4) return LWM2M_ERR_PATH;
    if (!ids_ok(target)) return LWM2M_ERR_RANGE;
    for (size_t i = 0; i < n; i++) {
        const lwm2m_path_t *p = &recs[i].path;
        if (p->depth < 3 || p->depth > 4 || !lwm2m_path_under(p, target)) return LWM2M_ERR_PATH;
        if (!ids_ok(p)) return LWM2M_ERR_RANGE;
        if (recs[i].v.type <= LWM2M_T_NONE || recs[i].v.type >= LWM2M_T_RAW) return LWM2M_ERR_TYPE;
        if (i > 0 && (lwm2m_path_cmp(&recs[i - 1].path, p) >= 0 || lwm2m_path_under(p, &recs[i - 1].path)))
            return LWM2M_ERR_PATH;
    }

    cbor_writer_init(&w, out, cap);
    cbor_put_array(&w, n);
    for (size_t i = 0; i < n; i++) {
        const lwm2m_path_t *p = &recs[i].path;
        bool whole = p->depth == target->depth; /* the record is the target itself */
        cbor_put_map(&w, 1u + (i == 0) + !whole);
        if (i == 0) {
            name[0] = '/';
            len = 1 + fmt_ids(name + 1, target, 0);
            if (!whole && target->depth > 0) name[len++] = '/';
            cbor_put_int(&w, L_BN);
            cbor_put_text(&w, name, len);
        }
        if (!whole) {
            len = fmt_ids(name, p, target->depth);
            cbor_put_uint(&w, L_N);
            cbor_put_text(&w, name, len);
        }
        put_value(&w, &recs[i].v);
    }
    return cbor_writer_result(&w);
}

/* ---- decoding ---- */

/* "obj:inst", each 0..65535 (65535:65535 is the null link). */
static int parse_objlnk(const uint8_t *s, size_t len, lwm2m_objlnk_t *out)
{
    uint32_t v[2] = {0, 0};
    size_t i = 0;
    for (int k = 0; k < 2; k++) {
        size_t start = i;
        while (i < len && s[i] >= '0' && s[i] <= '9' && i - start < 5)
            v[k] = v[k] * 10 + (uint32_t)(s[i++] - '0');
        if (i == start || v[k] > 0xffff) return LWM2M_ERR_FORMAT;
        if (k == 0) {
            if (i == len || s[i] != ':') return LWM2M_ERR_FORMAT;
            i++;
        }
    }
    if (i != len) return LWM2M_ERR_FORMAT;
    out->obj = (uint16_t)v[0];
    out->inst = (uint16_t)v[1];
    return 0;
}

static bool is_number(const cbor_item_t *it)
{
    return it->type == CBOR_T_UINT || it->type == CBOR_T_NEGINT || it->type == CBOR_T_FLOAT;
}

/* Label of a map key: -6..8 for the integer labels, L_VLO, or 0 with
 * |*skip| set for an ignorable text label. */
static int read_label(const cbor_item_t *k, int *label, bool *skip)
{
    *skip = false;
    switch (k->type) {
    case CBOR_T_UINT:
        if (k->u > L_VD) return LWM2M_ERR_FORMAT;
        *label = (int)k->u;
        return 0;
    case CBOR_T_NEGINT:
        if (k->u > (uint64_t)(-L_BS - 1)) return LWM2M_ERR_FORMAT;
        *label = -1 - (int)k->u;
        return 0;
    case CBOR_T_TEXT:
        if (k->str.len == sizeof VLO && memcmp(k->str.p, VLO, sizeof VLO) == 0) {
            *label = L_VLO;
            return 0;
        }
        if (k->str.len > 0 && k->str.p[k->str.len - 1] == '_') return LWM2M_ERR_FORMAT;
        *skip = true;
        return 0;
    case CBOR_T_TAG: return LWM2M_ERR_TYPE;
    default: return LWM2M_ERR_FORMAT;
    }
}

/* Decoder state that outlives one record. */
typedef struct senml_dec {
    const uint8_t *bn; /* current base name (into the input) */
    size_t bn_len;
} senml_dec_t;

/* Reads one record map (the reader is just inside it) into |rec|. */
static int dec_record(cbor_reader_t *r, senml_dec_t *d, const lwm2m_path_t *base, lwm2m_record_t *rec)
{
    cbor_item_t k, v;
    const uint8_t *nm = NULL;
    size_t nm_len = 0;
    unsigned seen = 0;
    bool have_value = false;
    int rc, label;
    bool skip;

    for (;;) {
        if ((rc = cbor_next(r, &k)) < 0) return rc;
        if (k.type == CBOR_T_END) break;
        if ((rc = read_label(&k, &label, &skip)) < 0) return rc;
        if (skip) {
            if ((rc = cbor_skip(r)) < 0) return rc;
            continue;
        }
        unsigned bit = 1u << (label - L_BS);
        if (seen & bit) return LWM2M_ERR_FORMAT; /* a map key twice (RFC 8949 §5.6) */
        seen |= bit;
        if ((rc = cbor_next(r, &v)) < 0) return rc;
        if (v.type == CBOR_T_TAG) return LWM2M_ERR_TYPE;

        lwm2m_value_t *val = &rec->v;
        switch (label) {
        case L_BN:
            if (v.type != CBOR_T_TEXT) return LWM2M_ERR_FORMAT;
            d->bn = v.str.p;
            d->bn_len = v.str.len;
            continue;
        case L_N:
            if (v.type != CBOR_T_TEXT) return LWM2M_ERR_FORMAT;
            nm = v.str.p;
            nm_len = v.str.len;
            continue;
        case L_BVER:
            if (v.type != CBOR_T_UINT || v.u > SENML_MAX_BVER) return LWM2M_ERR_FORMAT;
            continue;
        case L_BT:
        case L_T:
        case L_UT:
            if (!is_number(&v)) return LWM2M_ERR_FORMAT;
            continue;
        case L_BU:
        case L_U:
            if (v.type != CBOR_T_TEXT) return LWM2M_ERR_FORMAT;
            continue;
        case L_V:
            if (v.type == CBOR_T_UINT) {
                if (v.u > (uint64_t)INT64_MAX) {
                    val->type = LWM2M_T_UNSIGNED;
                    val->u = v.u;
                } else {
                    val->type = LWM2M_T_INTEGER;
                    val->i = (int64_t)v.u;
                }
            } else if (v.type == CBOR_T_NEGINT) {
                if (v.u > (uint64_t)INT64_MAX) return LWM2M_ERR_RANGE;
                val->type = LWM2M_T_INTEGER;
                val->i = -1 - (int64_t)v.u;
            } else if (v.type == CBOR_T_FLOAT) {
                val->type = LWM2M_T_FLOAT;
                val->f = v.f;
            } else {
                return LWM2M_ERR_FORMAT;
            }
            break;
        case L_VS:
        case L_VD:
            if (v.type != (label == L_VS ? CBOR_T_TEXT : CBOR_T_BYTES)) return LWM2M_ERR_FORMAT;
            val->type = label == L_VS ? LWM2M_T_STRING : LWM2M_T_OPAQUE;
            val->bytes.p = v.str.p;
            val->bytes.len = v.str.len;
            break;
        case L_VB:
            if (v.type != CBOR_T_TRUE && v.type != CBOR_T_FALSE) return LWM2M_ERR_FORMAT;
            val->type = LWM2M_T_BOOLEAN;
            val->b = v.type == CBOR_T_TRUE;
            break;
        case L_VLO:
            if (v.type != CBOR_T_TEXT) return LWM2M_ERR_FORMAT;
            if ((rc = parse_objlnk(v.str.p, v.str.len, &val->lnk)) < 0) return rc;
            val->type = LWM2M_T_OBJLNK;
            break;
        default: /* bv, bs, s: they would change or replace the value */ return LWM2M_ERR_FORMAT;
        }
        if (have_value) return LWM2M_ERR_FORMAT;
        have_value = true;
    }
    if (!have_value) return LWM2M_ERR_FORMAT;

    char name[SENML_CBOR_NAME_MAX];
    if (d->bn_len > sizeof name || nm_len > sizeof name - d->bn_len) return LWM2M_ERR_FORMAT;
    if (d->bn_len > 0) memcpy(name, d->bn, d->bn_len);
    if (nm_len > 0) memcpy(name + d->bn_len, nm, nm_len);
    if (lwm2m_path_parse(name, d->bn_len + nm_len, &rec->path) < 0) return LWM2M_ERR_FORMAT;
    if (rec->path.depth < 3 || !lwm2m_path_under(&rec->path, base)) return LWM2M_ERR_PATH;
    return 0;
}

static int dec_pack(const lwm2m_path_t *base, const uint8_t *in, size_t len, lwm2m_record_t *recs, size_t max,
                    size_t *n)
{
    cbor_reader_t r;
    cbor_item_t it;
    senml_dec_t d = {NULL, 0};
    int rc;

    if (base->depth > 4) return LWM2M_ERR_PATH;
    if (!ids_ok(base)) return LWM2M_ERR_RANGE;
    cbor_reader_init(&r, in, len);
    if ((rc = cbor_next(&r, &it)) < 0) return rc;
    if (it.type == CBOR_T_TAG) return LWM2M_ERR_TYPE;
    if (it.type != CBOR_T_ARRAY) return LWM2M_ERR_FORMAT;
    for (;;) {
        if ((rc = cbor_next(&r, &it)) < 0) return rc;
        if (it.type == CBOR_T_END) break;
        if (it.type == CBOR_T_TAG) return LWM2M_ERR_TYPE;
        if (it.type != CBOR_T_MAP) return LWM2M_ERR_FORMAT;
        if (*n == max) return LWM2M_ERR_NOSPACE;
        if ((rc = dec_record(&r, &d, base, &recs[*n])) < 0) return rc;
        (*n)++;
    }
    if (!cbor_reader_done(&r)) return LWM2M_ERR_FORMAT; /* bytes after the pack */
    return lwm2m_records_sort(recs, *n);
}

int senml_cbor_decode(const lwm2m_path_t *base, const uint8_t *in, size_t len, lwm2m_record_t *recs,
                      size_t max, size_t *n)
{
    *n = 0;
    int rc = dec_pack(base, in, len, recs, max, n);
    if (rc < 0) *n = 0;
    return rc;
}
