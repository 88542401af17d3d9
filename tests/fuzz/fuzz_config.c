/*
 * fuzz_config.c — libFuzzer target for the bsd.conf parser
 * (config_load_buffer, bsd/util/config.c and bsd/util/lex.c).
 *
 * Beyond "no crash, no leak, no UB" it checks one property: a configuration
 * that loads, dumped with config_dump() and loaded again, dumps identically.
 * config_load_buffer() never touches the file system; the dump goes to memory.
 */
#include "bsd/util/config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *dump(const bsd_config_t *cfg, size_t *len)
{
    char *out = NULL;
    FILE *f = open_memstream(&out, len);
    if (f == NULL) abort();
    if (config_dump(cfg, f) != 0) abort();
    fclose(f);
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bsd_config_t cfg;
    char err[CONFIG_ERR_MAX];
    if (config_init_defaults(&cfg) != 0) {
        config_free(&cfg);
        return 0;
    }
    err[0] = '\0';
    int r = config_load_buffer(&cfg, "fuzz.conf", (const char *)data, size, err, sizeof err);
    if (r != 0) {
        /* Every failure explains itself, prefixed with the name. */
        if (strncmp(err, "fuzz.conf", 9) != 0 || memchr(err, '\0', sizeof err) == NULL) abort();
        config_free(&cfg);
        return 0;
    }

    size_t len1, len2;
    char *d1 = dump(&cfg, &len1);
    bsd_config_t again;
    if (config_init_defaults(&again) != 0) abort();
    if (config_load_buffer(&again, "dump", d1, len1, err, sizeof err) != 0)
        abort(); /* the dump must load back */
    char *d2 = dump(&again, &len2);
    if (len1 != len2 || memcmp(d1, d2, len1) != 0) abort(); /* and describe the same configuration */
    free(d1);
    free(d2);
    config_free(&again);
    config_free(&cfg);
    return 0;
}
