/*
 * fuzz_sim_state.c — bsd-sim's --state loader (tools/sim/sim_state.c) on
 * arbitrary bytes: it must never crash, and whatever it loads must format
 * → parse → format to the identical text. The same bytes, as a string,
 * also go through the --preset-acl and --preset-inst parsers.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tools/sim/sim_state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[200];
    sim_store_t s, s2;
    sim_store_init(&s, 0);
    sim_store_init(&s2, 0);
    if (sim_state_parse((const char *)data, size, NULL, &s, err, sizeof(err)) == 0) {
        sim_text_t a = {0}, b = {0};
        sim_state_format(&a, &s, "fuzz");
        if (a.err) abort();
        if (sim_state_parse(a.p, a.len, "fuzz", &s2, err, sizeof(err)) != 0) abort();
        sim_state_format(&b, &s2, "fuzz");
        if (b.err || a.len != b.len || memcmp(a.p, b.p, a.len) != 0) abort();
        sim_text_free(&a);
        sim_text_free(&b);
    } else if (!err[0] || strchr(err, '\n')) {
        abort(); /* an error is one non-empty line */
    }
    sim_store_free(&s);
    sim_store_free(&s2);

    char spec[256];
    if (size < sizeof(spec)) {
        memcpy(spec, data, size);
        spec[size] = 0;
        sim_preset_acl_t acl;
        sim_inst_t in;
        (void)sim_preset_acl_parse(spec, &acl);
        (void)sim_preset_inst_parse(spec, &in);
    }
    return 0;
}
