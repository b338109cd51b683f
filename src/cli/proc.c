/* Child processes for `deconflict demo`: the server child it starts and
 * stops, and the subcommands whose output it reads (init, audit verify). */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/proc.h"

pid_t dc__cli_spawn(const char *exe, char *const argv[], int out_fd, const char *log_path)
{
    pid_t pid = fork();
    if (pid == 0) {
        if (out_fd >= 0)
            dup2(out_fd, 1);
        FILE *f = log_path ? freopen(log_path, "a", stderr) : NULL;
        (void)f;
        execv(exe, argv);
        _exit(127);
    }
    return pid;
}

int dc__cli_run_capture(const char *exe, char *const argv[], char *out, size_t len)
{
    int fds[2];
    if (pipe(fds))
        return -1;
    pid_t pid = dc__cli_spawn(exe, argv, fds[1], NULL);
    close(fds[1]);
    size_t n = 0;
    ssize_t got;
    while (n + 1 < len && (got = read(fds[0], out + n, len - 1 - n)) > 0)
        n += (size_t)got;
    out[n] = 0;
    close(fds[0]);
    int st = 0;
    waitpid(pid, &st, 0);
    while (n && (out[n - 1] == '\n' || out[n - 1] == '\r'))
        out[--n] = 0;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

pid_t dc__cli_start(const char *exe, char *const argv[], const char *log_path, char *line,
                    size_t len)
{
    int fds[2];
    line[0] = 0;
    if (pipe(fds))
        return -1;
    pid_t pid = dc__cli_spawn(exe, argv, fds[1], log_path);
    close(fds[1]);
    FILE *f = fdopen(fds[0], "r");
    if (!f || !fgets(line, (int)len, f))
        line[0] = 0;
    if (f)
        fclose(f);
    else
        close(fds[0]);
    line[strcspn(line, "\r\n")] = 0;
    return pid;
}

void dc__cli_stop(pid_t pid)
{
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
}
