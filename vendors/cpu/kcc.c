/* kcc.c: cushim-kcc, the kernel compiler of last resort: libtcc (linked in statically)
 * behind the command line the CPU fallback gives a C compiler, for machines without
 * one. libcudart runs it like cc ("-O2 -shared -fPIC ... -o OUT.so IN.c -lm"); it
 * writes the shared object with TCC_OUTPUT_DLL. A program rather than code inside
 * libcudart.so because Debian's libtcc.a is not position-independent. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <libtcc.h>

static void report(void *opaque, const char *msg)
{
    (void)opaque;
    fprintf(stderr, "%s\n", msg);
}

int main(int argc, char **argv)
{
    const char *out = NULL, *in = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
            out = argv[++i];
        else if (strcmp(argv[i], "--version") == 0) {
            printf("cushim-kcc (libtcc) %s\n", PACKAGE_VERSION);
            return 0;
        } else if (argv[i][0] != '-')
            in = argv[i];
        /* other options (-O2, -shared, -fPIC, -l...) are what tcc does anyway */
    }
    if (!out || !in) {
        fprintf(stderr, "usage: %s [cc options] -o OUT.so IN.c\n", argv[0]);
        return 2;
    }
    TCCState *s = tcc_new();
    if (!s) {
        fprintf(stderr, "cushim-kcc: out of memory\n");
        return 1;
    }
    tcc_set_error_func(s, NULL, report);
    int rc = tcc_set_output_type(s, TCC_OUTPUT_DLL) == 0 && tcc_add_file(s, in) == 0 &&
             tcc_add_library(s, "m") == 0 && tcc_output_file(s, out) == 0 ? 0 : 1;
    tcc_delete(s);
    return rc;
}
