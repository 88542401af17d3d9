/*
 * db_device_oscore.c — sealing of OSCORE secrets and the record-to-store
 * mapping of an oscore device (contract in db_device_oscore.h). The columns
 * are written and read by db_devices.c; the field rules are db_device.c's.
 */
#include "bsd/db/db_device_oscore.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* The associated data of field |f| of |d|: "devices.<column>" NUL endpoint. */
static int dvo_ad(const db_device_t *d, int f, uint8_t ad[DB_SECRETBOX_AD_MAX])
{
    char column[40];
    if (f != DB_F_OSCORE_SECRET && f != DB_F_OSCORE_SALT) return -EINVAL;
    snprintf(column, sizeof column, "devices.%s", db_field_name(f));
    return db_secretbox_ad(ad, DB_SECRETBOX_AD_MAX, column, d->endpoint);
}

int db_device_oscore_seal(db_secretbox_t *sb, const db_device_t *d, int f, uint8_t *out, size_t cap,
                          size_t *outlen)
{
    uint8_t ad[DB_SECRETBOX_AD_MAX];
    int adlen = dvo_ad(d, f, ad);
    if (adlen < 0) return adlen;
    const uint8_t *p = f == DB_F_OSCORE_SECRET ? d->oscore_secret : d->oscore_salt;
    size_t n = f == DB_F_OSCORE_SECRET ? d->oscore_secret_len : d->oscore_salt_len;
    if (n == 0) return -EINVAL;
    return db_secretbox_seal(sb, ad, (size_t)adlen, p, n, out, cap, outlen);
}

int db_device_oscore_open(const db_secretbox_t *sb, db_device_t *d, int f, const uint8_t *sealed, size_t len)
{
    uint8_t ad[DB_SECRETBOX_AD_MAX];
    int adlen = dvo_ad(d, f, ad);
    if (adlen < 0) return adlen;
    bool secret = f == DB_F_OSCORE_SECRET;
    uint8_t *out = secret ? d->oscore_secret : d->oscore_salt;
    size_t cap = secret ? sizeof d->oscore_secret : sizeof d->oscore_salt, n = 0;
    int r = db_secretbox_open(sb, ad, (size_t)adlen, sealed, len, out, cap, &n);
    if (r == 0 && (n == 0 || (secret && n < DB_DEVICE_OSCORE_SECRET_MIN))) r = -EINVAL;
    if (r < 0) {
        explicit_bzero(out, cap);
        return r == -ENOKEY || r == -EINVAL ? r : -EBADMSG;
    }
    *(secret ? &d->oscore_secret_len : &d->oscore_salt_len) = n;
    return 0;
}

void db_device_oscore_creds(const db_device_t *d, creds_device_t *out)
{
    memcpy(out->oscore_sender_id, d->oscore_sender_id, d->oscore_sender_id_len);
    out->oscore_sender_id_len = (uint8_t)d->oscore_sender_id_len;
    memcpy(out->oscore_recipient_id, d->oscore_recipient_id, d->oscore_recipient_id_len);
    out->oscore_recipient_id_len = (uint8_t)d->oscore_recipient_id_len;
    memcpy(out->oscore_secret, d->oscore_secret, d->oscore_secret_len);
    out->oscore_secret_len = (uint8_t)d->oscore_secret_len;
    memcpy(out->oscore_salt, d->oscore_salt, d->oscore_salt_len);
    out->oscore_salt_len = (uint8_t)d->oscore_salt_len;
    out->oscore_has_id_context = d->oscore_id_context_len > 0;
    memcpy(out->oscore_id_context, d->oscore_id_context, d->oscore_id_context_len);
    out->oscore_id_context_len = (uint8_t)d->oscore_id_context_len;
}
