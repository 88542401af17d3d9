/*
 * fuzz_bsctl_conf.c — libFuzzer target for bsctl's config file parser
 * (bsctl_conf_parse, tools/bsctl/bsctl_settings.c over bsd/util/lex.c) and
 * the URL check it applies. Parsed settings are checked against what the
 * parser promises: a server that passes bsctl_server_check again, a token
 * of visible ASCII, NUL-terminated paths, and no token left after an error.
 */
#include "tools/bsctl/bsctl_settings.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bsctl_conf_t c;
    char err[BSCTL_ERR_MAX], url[BSCTL_URL_MAX];
    int r = bsctl_conf_parse("dir/bsctl.conf", (const char *)data, size, "/home/fuzz", &c, err, sizeof err);
    if (r != 0) {
        if (c.token[0] != 0 || strlen(err) == 0) abort();
        return 0;
    }
    if (c.server[0] &&
        (bsctl_server_check(c.server, url, sizeof url, err, sizeof err) != 0 || strcmp(url, c.server)))
        abort();
    if (c.token[0] && bsctl_token_check(c.token, err, sizeof err) != 0) abort();
    if (c.token[0] && c.token_file[0]) abort();
    if (memchr(c.cacert, 0, sizeof c.cacert) == NULL || memchr(c.token_file, 0, sizeof c.token_file) == NULL)
        abort();
    /* The URL check on its own, with the raw input as a URL. */
    char *s = malloc(size + 1);
    if (s == NULL) return 0;
    memcpy(s, data, size);
    s[size] = 0;
    (void)bsctl_server_check(s, url, sizeof url, err, sizeof err);
    free(s);
    return 0;
}
