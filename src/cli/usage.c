/* One line that names what is wrong on a command line: an unknown option,
 * an option without its value, or a value the option does not take. Every
 * subcommand's argument loop ends here instead of a bare usage text. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

/* Is opt one of the space-separated names in known? */
static int listed(const char *known, const char *opt)
{
    size_t n = strlen(opt);
    for (const char *p = known; p && *p;) {
        const char *e = strchr(p, ' ');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && !strncmp(p, opt, n))
            return 1;
        p = e ? e + 1 : NULL;
    }
    return 0;
}

int dc__cli_bad_arg(const char *cmd, const char *known, int argc, char **argv, int i)
{
    const char *a = argv[i];
    if (a[0] != '-')
        fprintf(stderr, "deconflict %s: unexpected argument '%s'", cmd, a);
    else if (!listed(known, a))
        fprintf(stderr, "deconflict %s: unknown option '%s' (options: %s)", cmd, a, known);
    else if (i + 1 >= argc)
        fprintf(stderr, "deconflict %s: option %s needs a value", cmd, a);
    else
        fprintf(stderr, "deconflict %s: option %s: invalid value '%s'", cmd, a, argv[i + 1]);
    fprintf(stderr, "; see deconflict %s --help\n", cmd);
    return 2;
}
