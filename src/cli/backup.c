/* `deconflict backup`: an online copy of a SQLite store, taken while
 * servers keep running on it (SQLite's backup API, through
 * dc_store_backup()). The copy is a store like any other: serve it or
 * `audit verify` it. Exit 0 on success, 1 on failure, 2 on usage errors. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "deconflict/store.h"

static void help(FILE *f)
{
    fprintf(f, "usage: deconflict backup --store STORE FILE\n\n"
               "Copies STORE, as of one committed transaction, to FILE (a new SQLite\n"
               "file; an existing FILE is never overwritten) while servers keep running\n"
               "on STORE. FILE appears only once it is complete, synced and checked.\n"
               "To restore, stop the server and serve FILE (or copy it over the store,\n"
               "removing the store's -wal and -shm files). PostgreSQL stores: pg_dump.\n");
}

int dc_cli_backup(int argc, char **argv)
{
    const char *store = NULL, *dest = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            help(stdout);
            return 0;
        } else if (i + 1 < argc && !strcmp(argv[i], "--store")) {
            store = argv[++i];
        } else if (argv[i][0] != '-' && !dest) {
            dest = argv[i];
        } else {
            fprintf(stderr, "deconflict backup: unexpected argument '%s'\n", argv[i]);
            help(stderr);
            return 2;
        }
    }
    if (!store || !dest) {
        help(stderr);
        return 2;
    }
    /* Said before connecting: the answer does not depend on the database. */
    if (!strncmp(store, "postgresql://", 13) || !strncmp(store, "postgres://", 11)) {
        fprintf(stderr, "deconflict backup: PostgreSQL stores have no online backup here: "
                        "use pg_dump (docs/operations.md)\n");
        return 1;
    }
    dc_store *st;
    dc_error err = {{0}, {0}};
    dc_status rc = dc_store_open(store, 0, &st, &err);
    if (rc == DC_OK) {
        rc = dc_store_backup(st, dest, &err);
        dc_store_close(st);
    }
    if (rc != DC_OK) {
        fprintf(stderr, "deconflict backup: %s\n", err.reason[0] ? err.reason : dc_status_str(rc));
        return 1;
    }
    fprintf(stderr, "deconflict backup: %s written\n", dest);
    return 0;
}
