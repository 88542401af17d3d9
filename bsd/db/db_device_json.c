/*
 * db_device_json.c — device records and deny-list entries as JSON
 * (contract in db_device_json.h). Field rules stay in db_device.c: the
 * JSON side only maps members to fields, so a record arriving as JSON is
 * checked exactly like one from a CSV row or the command line.
 */
#include "bsd/db/db_device_json.h"

#include "bsd/db/db.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const dj_name_types[] = {"cn", "san_dns", "san_uri", "san_email"};

/* Sets member |name| of |o| to the hex text of |n| bytes at |p|. */
static void dj_set_hex(json_t *o, const char *name, const uint8_t *p, size_t n)
{
    char *h = malloc(2 * n + 1);
    if (h == NULL) return;
    db_hex_encode(p, n, h);
    json_object_set_new(o, name, json_string(h));
    explicit_bzero(h, 2 * n);
    free(h);
}

json_t *db_device_json(const db_device_t *d, unsigned flags)
{
    json_t *o = json_object();
    if (o == NULL) return NULL;
    json_object_set_new(o, "endpoint", json_string(d->endpoint));
    json_object_set_new(o, "kind", json_string(db_device_kind_name(d->kind)));
    switch (d->kind) {
    case DEVFILE_PSK:
        json_object_set_new(o, "psk_identity", json_string(d->psk_identity));
        if (flags & DB_DEVICE_JSON_KEY_ID) json_object_set_new(o, "psk_key_id", json_integer(d->psk_key_id));
        if ((flags & DB_DEVICE_JSON_KEY) && d->psk_key_len > 0)
            dj_set_hex(o, "psk_key", d->psk_key, d->psk_key_len);
        break;
    case DEVFILE_RPK: dj_set_hex(o, "spki", d->spki, d->spki_len); break;
    case DEVFILE_X509:
        json_object_set_new(o, "x509_name_type", json_string(dj_name_types[d->x509_name_type & 3]));
        json_object_set_new(o, "x509_name", json_string(d->x509_name));
        if (d->has_fingerprint) dj_set_hex(o, "fingerprint", d->fingerprint, sizeof d->fingerprint);
        break;
    case DEVFILE_NOSEC: {
        json_t *a = json_array();
        for (size_t i = 0; a && i < d->allow_count; i++) {
            char one[64];
            json_array_append_new(a, json_string(db_device_allow_format(&d->allow[i], one, sizeof one)));
        }
        json_object_set_new(o, "nosec_allow", a);
        break;
    }
    default: break;
    }
    if (db_device_has_oscore(d)) { /* oscore, or OSCORE inside DTLS */
        /* The IDs are public (they travel in the OSCORE option); the
         * Master Secret and Salt only with DB_DEVICE_JSON_KEY. */
        dj_set_hex(o, "oscore_sender_id", d->oscore_sender_id, d->oscore_sender_id_len);
        dj_set_hex(o, "oscore_recipient_id", d->oscore_recipient_id, d->oscore_recipient_id_len);
        if (d->oscore_id_context_len > 0)
            dj_set_hex(o, "oscore_id_context", d->oscore_id_context, d->oscore_id_context_len);
        if (flags & DB_DEVICE_JSON_KEY_ID)
            json_object_set_new(o, "oscore_secret_key_id", json_integer(d->oscore_secret_key_id));
        if ((flags & DB_DEVICE_JSON_KEY) && d->oscore_secret_len > 0) {
            dj_set_hex(o, "oscore_secret", d->oscore_secret, d->oscore_secret_len);
            if (d->oscore_salt_len > 0) dj_set_hex(o, "oscore_salt", d->oscore_salt, d->oscore_salt_len);
        }
    }
    json_t *l = json_object();
    for (size_t i = 0; l && i < d->nlabels; i++)
        json_object_set_new(l, d->labels[i].key, json_string(d->labels[i].value));
    json_object_set_new(o, "labels", l);
    json_object_set_new(o, "serial", d->serial[0] ? json_string(d->serial) : json_null());
    json_object_set_new(o, "credential_version", json_integer(d->credential_version));
    json_object_set_new(o, "created", json_string(d->created));
    json_object_set_new(o, "updated", json_string(d->updated));
    if (d->bs_next.has) { /* a new bootstrap credential written, not used yet */
        json_t *n = json_object();
        json_object_set_new(n, "rotation", json_integer(d->bs_next.rotation));
        json_object_set_new(n, "kind", json_string(db_device_kind_name(d->bs_next.kind)));
        if (d->bs_next.kind == DEVFILE_PSK)
            json_object_set_new(n, "psk_identity", json_string(d->bs_next.psk_identity));
        json_object_set_new(n, "written_at", json_string(d->bs_next.written_at));
        json_object_set_new(o, "bootstrap_credential_written", n);
    }
    return o;
}

/* ---- from JSON --------------------------------------------------------------------- */

static int dj_fail(char *msg, size_t cap, const char **field, const char *name, const char *text)
{
    snprintf(msg, cap, "%s", text);
    if (field) *field = name;
    return -EINVAL;
}

static int dj_set(db_device_t *d, int f, const char *s, size_t len, char *msg, size_t cap, const char **field)
{
    if (db_device_set_field(d, f, s, len, msg, cap) < 0) {
        if (field) *field = db_field_name(f);
        return -EINVAL;
    }
    return 0;
}

/* Labels given as an object of strings, each applied as "key=value". */
static int dj_labels(db_device_t *d, const json_t *v, char *msg, size_t cap, const char **field)
{
    const char *name = db_field_name(DB_F_LABELS);
    const char *k;
    json_t *e;
    json_object_foreach((json_t *)v, k, e)
    {
        if (!json_is_string(e)) return dj_fail(msg, cap, field, name, "label values must be strings");
        size_t kl = strlen(k), vl = json_string_length(e);
        if (strchr(k, '=') != NULL || strchr(k, ';') != NULL || memchr(json_string_value(e), ';', vl))
            return dj_fail(msg, cap, field, name, "label keys must not contain '=' or ';', values not ';'");
        char kv[DB_DEVICE_LABEL_KEY_MAX + DB_DEVICE_LABEL_VAL_MAX + 8];
        if (kl + 1 + vl >= sizeof kv) return dj_fail(msg, cap, field, name, "label too long");
        memcpy(kv, k, kl);
        kv[kl] = '=';
        memcpy(kv + kl + 1, json_string_value(e), vl);
        if (dj_set(d, DB_F_LABELS, kv, kl + 1 + vl, msg, cap, field) < 0) return -EINVAL;
    }
    return 0;
}

/* One member's value: a string, or null (unset); arrays and objects where documented. */
static int dj_member(db_device_t *d, int f, const json_t *v, char *msg, size_t cap, const char **field)
{
    if (json_is_null(v)) return 0;
    if (json_is_string(v)) return dj_set(d, f, json_string_value(v), json_string_length(v), msg, cap, field);
    if (f == DB_F_NOSEC_ALLOW && json_is_array(v)) {
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e)
        {
            if (!json_is_string(e))
                return dj_fail(msg, cap, field, db_field_name(f), "nosec_allow entries must be strings");
            if (json_string_length(e) == 0) continue;
            if (dj_set(d, f, json_string_value(e), json_string_length(e), msg, cap, field) < 0)
                return -EINVAL;
        }
        return 0;
    }
    if (f == DB_F_LABELS && json_is_object(v)) return dj_labels(d, v, msg, cap, field);
    snprintf(msg, cap, "%s must be a string%s", db_field_name(f),
             f == DB_F_NOSEC_ALLOW ? " or an array of strings"
             : f == DB_F_LABELS    ? " or an object of strings"
                                   : "");
    if (field) *field = db_field_name(f);
    return -EINVAL;
}

int db_device_from_json(db_device_t *d, const json_t *o, char *msg, size_t cap, const char **field)
{
    if (field) *field = "";
    if (!json_is_object(o)) return dj_fail(msg, cap, field, "", "a device must be a JSON object");
    /* kind first: the other fields depend on it */
    json_t *v = json_object_get(o, "kind");
    if (v != NULL && dj_member(d, DB_F_KIND, v, msg, cap, field) < 0) return -EINVAL;
    const char *k;
    json_object_foreach((json_t *)o, k, v)
    {
        int f = -1;
        for (int i = 0; i < DB_F_COUNT && f < 0; i++)
            if (strcmp(k, db_field_name(i)) == 0) f = i;
        if (f < 0) {
            snprintf(msg, cap, "unknown member '%.40s'", k);
            if (field) *field = "";
            return -EINVAL;
        }
        if (f != DB_F_KIND && dj_member(d, f, v, msg, cap, field) < 0) return -EINVAL;
    }
    return 0;
}

/* ---- the deny-list ------------------------------------------------------------------ */

json_t *db_deny_entry_json(const db_deny_entry_t *e)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", e->is_source ? "source" : "device", "what", e->what,
                     "reason", e->reason, "actor", e->actor, "created", e->created);
}
