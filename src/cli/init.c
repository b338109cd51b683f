/* `deconflict init`: creates a store and prints the authority's first API
 * key on stdout (that line only: it is shown once and stored only hashed). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "deconflict/server.h"

static void help(FILE *f)
{
    fprintf(f, "usage: deconflict init --store FILE [--authority NAME]\n\n"
               "Creates the store (SQLite file) with the authority operator NAME\n"
               "(default \"authority\") and prints its API key, once.\n");
}

int dc_cli_init(int argc, char **argv)
{
    const char *store = NULL, *name = "authority";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            help(stdout);
            return 0;
        } else if (i + 1 < argc && !strcmp(argv[i], "--store")) {
            store = argv[++i];
        } else if (i + 1 < argc && !strcmp(argv[i], "--authority")) {
            name = argv[++i];
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
    char key[96];
    dc_error err = {{0}, {0}};
    dc_status rc = dc_server_init_store(store, name, key, sizeof key, &err);
    if (rc != DC_OK) {
        fprintf(stderr, "deconflict init: %s\n", err.reason[0] ? err.reason : dc_status_str(rc));
        return 1;
    }
    printf("%s\n", key);
    return 0;
}
