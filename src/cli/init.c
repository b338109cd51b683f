/* `deconflict init`: creates a store and hands over the authority's first
 * API key, once (it is stored only hashed): on stdout, that line only, or
 * into a new file of mode 0600 (--key-file), which is how a service
 * manager's start step (contrib/systemd) keeps it out of the logs. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "deconflict/server.h"

static void help(FILE *f)
{
    fprintf(f, "usage: deconflict init --store FILE [--authority NAME] [--key-file FILE]\n"
               "                       [--exist-ok]\n\n"
               "Creates the store (SQLite file) with the authority operator NAME\n"
               "(default \"authority\") and prints its API key, once.\n"
               "--key-file FILE  write the key to FILE (a new file, mode 600) instead\n"
               "--exist-ok       an already initialised store is success: exit 0 and\n"
               "                 change nothing (for a service's start step)\n");
}

/* Writes key to path through a temporary file linked into place, so path is
 * never overwritten and never half written. tmp_fd/tmp were made before the
 * store was, so a key cannot be created that nowhere can hold. */
static int save_key(int tmp_fd, const char *tmp, const char *path, const char *key)
{
    size_t len = strlen(key);
    int ok = write(tmp_fd, key, len) == (ssize_t)len && write(tmp_fd, "\n", 1) == 1 &&
             fsync(tmp_fd) == 0;
    ok = close(tmp_fd) == 0 && ok;
    if (!ok) {
        /* The key exists nowhere else: say where to find what was written. */
        fprintf(stderr, "deconflict init: writing the key to %s failed: %s\n", tmp,
                strerror(errno));
        return 1;
    }
    if (link(tmp, path)) {
        fprintf(stderr, "deconflict init: cannot create %s (%s); the key is in %s\n", path,
                strerror(errno), tmp);
        return 1;
    }
    unlink(tmp);
    return 0;
}

int dc_cli_init(int argc, char **argv)
{
    const char *store = NULL, *name = "authority", *key_file = NULL;
    int exist_ok = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            help(stdout);
            return 0;
        } else if (i + 1 < argc && !strcmp(argv[i], "--store")) {
            store = argv[++i];
        } else if (i + 1 < argc && !strcmp(argv[i], "--authority")) {
            name = argv[++i];
        } else if (i + 1 < argc && !strcmp(argv[i], "--key-file")) {
            key_file = argv[++i];
        } else if (!strcmp(argv[i], "--exist-ok")) {
            exist_ok = 1;
        } else {
            fprintf(stderr, "deconflict init: unexpected argument '%s'\n", argv[i]);
            help(stderr);
            return 2;
        }
    }
    if (!store) {
        help(stderr);
        return 2;
    }
    char tmp[PATH_MAX];
    int tmp_fd = -1;
    if (key_file) {
        if (access(key_file, F_OK) == 0 && !exist_ok) {
            fprintf(stderr, "deconflict init: %s exists\n", key_file);
            return 1;
        }
        if (snprintf(tmp, sizeof tmp, "%s.XXXXXX", key_file) >= (int)sizeof tmp ||
            (tmp_fd = mkstemp(tmp)) < 0) {
            fprintf(stderr, "deconflict init: cannot create a file beside %s: %s\n", key_file,
                    strerror(errno));
            return 1;
        }
    }
    char key[96];
    dc_error err = {{0}, {0}};
    dc_status rc = dc_server_init_store(store, name, key, sizeof key, &err);
    if (rc != DC_OK) {
        if (tmp_fd >= 0) {
            close(tmp_fd);
            unlink(tmp);
        }
        if (rc == DC_EEXIST && exist_ok) {
            fprintf(stderr, "deconflict init: %s is already initialised; nothing to do\n", store);
            return 0;
        }
        fprintf(stderr, "deconflict init: %s\n", err.reason[0] ? err.reason : dc_status_str(rc));
        return 1;
    }
    int status = 0;
    if (tmp_fd >= 0)
        status = save_key(tmp_fd, tmp, key_file, key);
    else
        printf("%s\n", key);
    memset(key, 0, sizeof key);
    if (!status && key_file)
        fprintf(stderr, "deconflict init: %s created; the authority's key is in %s\n", store,
                key_file);
    return status;
}
