/* triage_driver.c: a stand-alone `triage` command for the tests, built only by make
 * check, so the triage tests do not depend on how cli/main.c dispatches commands. */
#include "config.h"

#include "cli/triage.h"

int main(int argc, char **argv)
{
    return cushim_cmd_triage(argc, argv);
}
