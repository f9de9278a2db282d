/* fuzz_cgen.c: fuzz target for the C generator: any PTX the parser accepts is fed to
 * cgen_module (the output is not compiled). The generator must either produce text or
 * refuse with a message; unsupported kernels become descriptors, never a crash. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "translate/gen_c.h"
#include "translate/ptx_ir.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    ptx_module *m = ptx_parse((const char *)data, size, err, sizeof err);
    if (!m)
        return 0;
    /* The last byte picks the options, so both code paths get covered. */
    cgen_options opt = { .memcheck = size && (data[size - 1] & 1),
                         .for_tcc = size && (data[size - 1] & 2) };
    err[0] = '\0';
    char *c = cgen_module(m, &opt, err, sizeof err);
    if (!c && err[0] == '\0')
        abort(); /* a refusal always says why */
    free(c);
    /* cgen_supports is what triage asks: it must answer for every instruction. */
    for (uint32_t i = 0; i < m->nfuncs; i++)
        for (uint32_t k = 0; k < m->funcs[i].ninstrs; k++) {
            char why[160];
            cgen_supports(&m->funcs[i].instrs[k], why, sizeof why);
        }
    ptx_module_free(m);
    return 0;
}
