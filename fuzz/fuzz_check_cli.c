/* Fuzz target: the check CLI's airspace and candidate loading, by running
 * the real `deconflict check` (src/cli/check.c, linked unchanged) on two
 * temp files. The input is the airspace file, a line "=====", then the
 * candidate file; a missing separator means an empty candidate.
 * Properties: exit status 0, 1 or 2 only (stdout goes to /dev/null; reasons
 * on stderr, silenced with -close_fd_mask=2 when fuzzing). */
#include <fcntl.h>

#include "cli/cli.h"
#include "fuzz_common.h"

#define SEP "\n=====\n"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    int fd = open("/dev/null", O_WRONLY);
    if (fd < 0 || dup2(fd, 1) < 0)
        abort();
    close(fd);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t cut = size, rest = size;
    for (size_t i = 0; i + sizeof SEP - 1 <= size; i++)
        if (!memcmp(data + i, SEP, sizeof SEP - 1)) {
            cut = i;
            rest = i + sizeof SEP - 1;
            break;
        }
    const char *air = fz_tmpfile(data, cut, "airspace.json");
    const char *cand = fz_tmpfile(data + rest, size - rest, "candidate.json");
    char *argv[] = {"check", "--airspace", (char *)air, "--candidate", (char *)cand, NULL};
    int rc = dc_cli_check(5, argv);
    FZ_CHECK(rc == 0 || rc == 1 || rc == 2, "exit status %d", rc);
    fflush(stdout);
    return 0;
}
