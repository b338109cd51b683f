/* Child processes of the CLI (proc.c). */
#ifndef DC_CLI_PROC_H
#define DC_CLI_PROC_H

#include <stddef.h>
#include <sys/types.h>

/* Starts exe with argv: stdout to out_fd (when >= 0), stderr appended to
 * log_path (when set). The child's pid, or -1. */
pid_t dc__cli_spawn(const char *exe, char *const argv[], int out_fd, const char *log_path);
/* Runs exe to completion with its stdout in out (NUL-terminated, trailing
 * newlines cut); its exit status, or -1. */
int dc__cli_run_capture(const char *exe, char *const argv[], char *out, size_t len);
/* Starts exe with argv (stderr appended to log_path) and reads the first
 * line it prints into line (newline cut; "" when none). The child's pid,
 * or -1. */
pid_t dc__cli_start(const char *exe, char *const argv[], const char *log_path, char *line,
                    size_t len);
/* Ends a child started above: SIGTERM, then waits for it. */
void dc__cli_stop(pid_t pid);

#endif
