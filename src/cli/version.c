/* What this build is: its version and where an installed copy keeps its
 * data. Both are compiled in by the Makefile (DC_VERSION from VERSION plus
 * the git commit, DC_DATADIR from PREFIX), in this file only, so a version
 * change rebuilds one object. `deconflict --version` and `version` print it. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

#ifndef DC_VERSION
#define DC_VERSION "unknown"
#endif
#ifndef DC_DATADIR
#define DC_DATADIR "/usr/local/share/deconflict"
#endif

const char *dc_cli_version_str(void)
{
    return DC_VERSION;
}

const char *dc_cli_datadir(void)
{
    return DC_DATADIR;
}

int dc_cli_version(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        printf("usage: deconflict version   (or deconflict --version)\n\n"
               "Prints the version of this build.\n");
        return 0;
    }
    if (argc > 1) {
        fprintf(stderr, "deconflict version: unexpected argument '%s'\n", argv[1]);
        return 2;
    }
    printf("deconflict %s\n", DC_VERSION);
    return 0;
}
