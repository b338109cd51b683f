/* For the HTTP benchmarks: starts the real binary (build/deconflict serve,
 * run from the repository root) on a free loopback port with a fresh store
 * and a config file in dir. Header-only: each benchmark is one file. */
#ifndef BENCH_SERVE_H
#define BENCH_SERVE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

/* Writes config_json to dir/config.json, initialises dir/bench.db, starts
 * the server; fills the authority's key and the port. Exits on failure.
 * Stop it with kill(pid, SIGTERM) and waitpid. */
static pid_t bench_serve(const char *dir, const char *config_json, char *authority,
                         size_t authority_len, int *port)
{
    char cmd[600], store[256], cfg[256], line[256];
    snprintf(store, sizeof store, "%s/bench.db", dir);
    snprintf(cfg, sizeof cfg, "%s/config.json", dir);
    FILE *f = fopen(cfg, "w");
    if (!f) {
        perror(cfg);
        exit(1);
    }
    fprintf(f, "%s\n", config_json);
    fclose(f);
    snprintf(cmd, sizeof cmd, "build/deconflict init --store %s", store);
    FILE *p = popen(cmd, "r");
    if (!p || !fgets(line, sizeof line, p)) {
        fprintf(stderr, "bench: init failed\n");
        exit(1);
    }
    pclose(p);
    line[strcspn(line, "\n")] = 0;
    snprintf(authority, authority_len, "%s", line);
    int fds[2];
    if (pipe(fds))
        exit(1);
    pid_t pid = fork();
    if (pid == 0) {
        char log[300];
        snprintf(log, sizeof log, "%s/serve.log", dir);
        FILE *lf = fopen(log, "a"); /* one line per request: not the terminal */
        if (lf)
            dup2(fileno(lf), 2);
        dup2(fds[1], 1);
        close(fds[0]);
        execl("build/deconflict", "deconflict", "serve", "--store", store, "--listen",
              "127.0.0.1:0", "--config", cfg, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    FILE *out = fdopen(fds[0], "r");
    if (!out || !fgets(line, sizeof line, out) || !strrchr(line, ':')) {
        fprintf(stderr, "bench: server did not start\n");
        exit(1);
    }
    *port = atoi(strrchr(line, ':') + 1);
    return pid;
}

#endif
