/*
 * fuzz_devfile.c — libFuzzer target for the devices-file parser
 * (devfile_load_buffer, bsd/util/devfile.c and bsd/util/lex.c).
 *
 * base_dir is NULL, so spki_file= is refused and the parser never touches
 * the file system.  Loaded devices are checked against the documented
 * invariants of devfile_device_t.
 */
#include "bsd/util/devfile.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_device(const devfile_device_t *d)
{
    size_t n = strlen(d->endpoint);
    if (n == 0 || n > DEVFILE_ENDPOINT_MAX) abort();
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)d->endpoint[i] <= 0x20 || (unsigned char)d->endpoint[i] >= 0x7f) abort();
    switch (d->kind) {
    case DEVFILE_PSK:
        if (d->psk.identity_len == 0 || d->psk.identity_len > DEVFILE_PSK_IDENTITY_MAX ||
            strlen(d->psk.identity) != d->psk.identity_len || d->psk.key_len == 0 ||
            d->psk.key_len > DEVFILE_PSK_KEY_MAX)
            abort();
        break;
    case DEVFILE_RPK:
        if (d->rpk.spki == NULL || d->rpk.spki_len == 0 || d->rpk.spki_len > DEVFILE_SPKI_MAX) abort();
        break;
    case DEVFILE_X509:
        if (d->x509.name == NULL || strlen(d->x509.name) == 0 || strlen(d->x509.name) > DEVFILE_CN_MAX) abort();
        break;
    case DEVFILE_NOSEC:
        if (d->nosec.allow_count == 0 || d->nosec.allow_count > DEVFILE_ALLOW_MAX) abort();
        for (size_t i = 0; i < d->nosec.allow_count; i++) {
            const devfile_cidr_t *c = &d->nosec.allow[i];
            if (!(c->family == AF_INET && c->prefix <= 32) && !(c->family == AF_INET6 && c->prefix <= 128))
                abort();
        }
        break;
    default: abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    devfile_t df;
    char err[DEVFILE_ERR_MAX];
    err[0] = '\0';
    int r = devfile_load_buffer(&df, "fuzz.dev", NULL, (const char *)data, size, err, sizeof err);
    if (r != 0) {
        if (df.devices != NULL || df.count != 0 || strncmp(err, "fuzz.dev", 8) != 0) abort();
        return 0;
    }
    for (size_t i = 0; i < df.count; i++)
        check_device(&df.devices[i]);
    devfile_free(&df);
    return 0;
}
