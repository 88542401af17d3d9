/*
 * fuzz_devimport.c — libFuzzer target for the device import parser
 * (bsd/db/devimport.c, db_device.c). The first byte picks the format (even:
 * CSV, odd: JSON) and where the rest is split into two feeds, so records
 * cut across db_import_feed() calls are exercised. Every good row is checked
 * against the invariants db_device.h documents; every message must start
 * with "fuzz:".
 */
#include "bsd/db/devimport.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int check_row(void *arg, const db_device_t *d)
{
    size_t n = strlen(d->endpoint);
    if (n == 0 || n > DB_DEVICE_ENDPOINT_MAX) abort();
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)d->endpoint[i] <= 0x20 || (unsigned char)d->endpoint[i] >= 0x7f) abort();
    switch (d->kind) {
    case DEVFILE_PSK:
        if (d->psk_key_len < DB_DEVICE_PSK_KEY_MIN || d->psk_key_len > DB_DEVICE_PSK_KEY_MAX) abort();
        if (strlen(d->psk_identity) == 0) abort();
        break;
    case DEVFILE_RPK:
        if (d->spki_len == 0 || d->spki_len > DB_DEVICE_SPKI_MAX) abort();
        break;
    case DEVFILE_X509:
        if (strlen(d->x509_name) == 0 || d->x509_name_type < 0 || d->x509_name_type > 3) abort();
        break;
    case DEVFILE_NOSEC:
        if (d->allow_count == 0 || d->allow_count > DB_DEVICE_ALLOW_MAX) abort();
        break;
    default: abort();
    }
    if (d->nlabels > DB_DEVICE_LABELS_MAX) abort();
    (*(size_t *)arg)++;
    return 0;
}

static void check_err(void *arg, unsigned line, unsigned col, const char *msg)
{
    if (strncmp(msg, "fuzz:", 5) != 0 || line == 0 || col == 0) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    int fmt = (data[0] & 1) ? DB_IMPORT_JSON : DB_IMPORT_CSV;
    data++;
    size--;
    size_t cut = size ? (size_t)(data[0] * 131u) % (size + 1) : 0;
    size_t rows = 0;
    db_import_t *im = db_import_new(fmt, "fuzz", check_row, check_err, &rows);
    if (im == NULL) return 0;
    int r = db_import_feed(im, (const char *)data, cut);
    if (r == 0) r = db_import_feed(im, (const char *)data + cut, size - cut);
    if (r == 0) r = db_import_finish(im);
    if (rows != db_import_rows_ok(im)) abort();
    db_import_free(im);
    return 0;
}
