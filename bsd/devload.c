/*
 * devload.c — devices file → credential store (see devload.h).
 */
#include "bsd/devload.h"

#include <stdio.h>
#include <string.h>

#include "bsd/util/devfile.h"

_Static_assert(DEVFILE_NAME_CN == CREDS_NAME_CN && DEVFILE_NAME_SAN_DNS == CREDS_NAME_SAN_DNS &&
                   DEVFILE_NAME_SAN_URI == CREDS_NAME_SAN_URI &&
                   DEVFILE_NAME_SAN_EMAIL == CREDS_NAME_SAN_EMAIL,
               "devices file and credential store number certificate name types alike");

creds_t *devload_creds(const char *path, char *err, size_t errcap)
{
    devfile_t df;
    memset(&df, 0, sizeof(df));
    if (!path) {
        snprintf(err, errcap, "devices_file is not set");
        return NULL;
    }
    if (devfile_load_file(&df, path, err, errcap) != 0) return NULL;
    creds_t *c = creds_new(df.count);
    if (!c) {
        snprintf(err, errcap, "out of memory");
        devfile_free(&df);
        return NULL;
    }
    for (size_t i = 0; i < df.count; i++) {
        const devfile_device_t *in = &df.devices[i];
        creds_device_t d;
        memset(&d, 0, sizeof(d));
        d.endpoint = in->endpoint;
        switch (in->kind) {
        case DEVFILE_PSK:
            d.kind = CREDS_PSK;
            d.psk_identity = in->psk.identity;
            d.key_len = (uint8_t)in->psk.key_len;
            memcpy(d.key, in->psk.key, in->psk.key_len);
            break;
        case DEVFILE_RPK:
            d.kind = CREDS_RPK;
            d.spki = in->rpk.spki;
            d.spki_len = (uint16_t)in->rpk.spki_len;
            break;
        case DEVFILE_X509:
            d.kind = CREDS_X509;
            d.x509_name = in->x509.name;
            d.x509_name_type = (uint8_t)in->x509.name_type;
            d.has_fingerprint = in->x509.has_fingerprint;
            memcpy(d.fingerprint, in->x509.fingerprint, 32);
            break;
        case DEVFILE_NOSEC:
            d.kind = CREDS_NOSEC;
            for (size_t k = 0; k < in->nosec.allow_count && k < CREDS_MAX_PREFIXES; k++) {
                d.prefixes[k].family = in->nosec.allow[k].family;
                memcpy(d.prefixes[k].addr, in->nosec.allow[k].addr, 16);
                d.prefixes[k].bits = in->nosec.allow[k].prefix;
            }
            d.nprefixes = (uint8_t)(in->nosec.allow_count < CREDS_MAX_PREFIXES ? in->nosec.allow_count
                                                                               : CREDS_MAX_PREFIXES);
            break;
        }
        int r = creds_add(c, &d);
        explicit_bzero(d.key, sizeof(d.key));
        if (r != 0) {
            /* The devices file parser already rejects duplicates; this only
             * triggers on limits the store has and the file format does not. */
            snprintf(err, errcap, "%s:%u: device \"%s\" rejected by the credential store (%s)", path,
                     in->line, in->endpoint,
                     r == CREDS_ERR_DUPLICATE ? "duplicate credential" : "invalid or out of memory");
            creds_free(c);
            devfile_free(&df);
            return NULL;
        }
    }
    devfile_free(&df);
    return c;
}
