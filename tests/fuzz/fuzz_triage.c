/* fuzz_triage.c: fuzz target for `cushim triage` on a whole file image: ELF headers,
 * dynamic symbols, version records, fatbin sections, PTX inventory and verdicts, as
 * triage_scan_image and triage_judge see any file a user points them at. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/triage.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static triage_run run;
    static int ready;
    if (!ready) {
        triage_run_init(&run);
        ready = 1;
    }
    triage_file f;
    memset(&f, 0, sizeof f);
    f.path = strdup("fuzz-input");
    if (!f.path)
        return 0;
    if (triage_scan_image(&run, &f, data, size))
        triage_judge(&run, &f);
    /* A file it could not read must say why. */
    if (f.state != TRIAGE_FILE_SCANNED && (f.error == NULL || f.error[0] == '\0'))
        abort();
    triage_file_free(&f);
    return 0;
}
