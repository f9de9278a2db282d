/* report_start.c: starts the run report recorder (shim/report.c) when the program
 * loads cushim's libcudart with CUSHIM_REPORT set. A separate object of the shim
 * library only, so that the CLI and the unit tests, which link the same core, never
 * write run reports of their own. */
#include <stddef.h>

#include "shim/log.h"
#include "shim/report.h"

/* glibc passes argc/argv/envp to the constructors of shared objects. */
__attribute__((constructor)) static void report_start_from_environment(int argc, char **argv,
                                                                       char **envp)
{
    (void)envp;
    const char *path = cushim_getenv("CUSHIM_REPORT");
    if (!path || !*path)
        return;
    cushim__report_start(path, argc > 0 && argv ? argv[0] : NULL);
}
