/* fuzz_ptx.c: fuzz target for the PTX parser (lexer, parser, CFG construction).
 * The input is PTX text, not NUL-terminated: ptx_parse must stay inside len bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "translate/ptx_ir.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    err[0] = '\0';
    ptx_module *m = ptx_parse((const char *)data, size, err, sizeof err);
    if (!m) {
        /* A rejection always says why. */
        if (err[0] == '\0' || memchr(err, '\0', sizeof err) == NULL)
            abort();
        return 0;
    }
    /* Walk what consumers read first: names and lookups. */
    for (uint32_t i = 0; i < m->nfuncs; i++)
        if (m->funcs[i].name && ptx_find_function(m, m->funcs[i].name) == NULL)
            abort();
    for (uint32_t i = 0; i < m->nfuncs; i++) {
        const ptx_function *f = &m->funcs[i];
        for (uint32_t k = 0; k < f->ninstrs; k++) {
            char loc[128];
            ptx_instr_location(m, &f->instrs[k], loc, sizeof loc);
        }
    }
    ptx_module_free(m);
    return 0;
}
