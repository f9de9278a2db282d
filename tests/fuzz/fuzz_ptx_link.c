/* fuzz_ptx_link.c: fuzz target for the PTX linker (separate compilation). The input
 * holds two PTX modules separated by a line "//@@"; each is parsed, and when both
 * parse they are linked, as a -rdc program's per-file PTX is at registration. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "translate/ptx_ir.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char SEPARATOR[] = "\n//@@\n";

static const uint8_t *find(const uint8_t *h, size_t hl, const char *n, size_t nl)
{
    for (size_t i = 0; i + nl <= hl; i++)
        if (memcmp(h + i, n, nl) == 0)
            return h + i;
    return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[512];
    size_t sl = sizeof SEPARATOR - 1;
    const uint8_t *sep = find(data, size, SEPARATOR, sl);
    if (!sep)
        return 0;
    size_t alen = (size_t)(sep - data);
    ptx_module *mods[2];
    mods[0] = ptx_parse((const char *)data, alen, err, sizeof err);
    if (!mods[0])
        return 0;
    mods[1] = ptx_parse((const char *)sep + sl, size - alen - sl, err, sizeof err);
    if (!mods[1]) {
        ptx_module_free(mods[0]);
        return 0;
    }
    err[0] = '\0';
    ptx_module *linked = ptx_link(mods, 2, err, sizeof err);
    if (!linked && err[0] == '\0')
        abort(); /* a link failure always says why */
    /* Linking two copies of one module exercises duplicate-definition handling. */
    ptx_module *twice[2] = { mods[0], mods[0] };
    ptx_module *dup = ptx_link(twice, 2, err, sizeof err);
    ptx_module_free(dup);
    ptx_module_free(linked);
    /* The inputs stay owned by the caller and unmodified: still usable after a link. */
    for (uint32_t i = 0; i < mods[1]->nfuncs; i++)
        if (mods[1]->funcs[i].name && !ptx_find_function(mods[1], mods[1]->funcs[i].name))
            abort();
    ptx_module_free(mods[0]);
    ptx_module_free(mods[1]);
    return 0;
}
