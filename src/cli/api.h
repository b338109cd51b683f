/* What the API subcommands (airspace import, operator, restriction, submit,
 * notices, operations, alerts) share: --url, --key-file, --json, the key from
 * DECONFLICT_KEY or a file (never the command line), and exit codes that
 * scripts can rely on (DC_EXIT_*, printed by every --help). */
#ifndef DC_CLI_API_H
#define DC_CLI_API_H

#include <jansson.h>
#include <stdio.h>

#include "cli/client.h"

enum {
    DC_EXIT_OK = 0,
    DC_EXIT_REFUSED = 1,  /* understood and refused: conflict, invalid state, items refused */
    DC_EXIT_USAGE = 2,    /* bad command line */
    DC_EXIT_AUTH = 3,     /* no key, or the key may not do this (401, 403) */
    DC_EXIT_NOTFOUND = 4, /* no such id (404) */
    DC_EXIT_INVALID = 5, /* the input is invalid (400, 412, 413, 428; a file that does not parse) */
    DC_EXIT_UNAVAILABLE = 6 /* no answer, rate limited or a server error (429, 5xx) */
};

#define DC_EXIT_HELP                                                                               \
    "exit codes: 0 done; 1 refused (conflict, invalid state, items refused); 2 usage;\n"           \
    "  3 not authenticated or not permitted; 4 not found; 5 invalid input;\n"                      \
    "  6 server unreachable, rate limited or failing.\n"                                           \
    "common options: --url URL (default $DECONFLICT_URL, else http://127.0.0.1:8080),\n"           \
    "  --key-file FILE (else the key in $DECONFLICT_KEY), --json (machine output).\n"

typedef struct dc__api {
    const char *cmd; /* "operator add", for messages */
    const char *url, *key_file;
    int json;
    char keybuf[512];
    const char *key;
    dc__client *c;
} dc__api;

void dc__api_init(dc__api *a, const char *cmd);
/* Consumes a common option at argv[*i] (advancing *i past its value):
 * 1 consumed, 0 not a common option. */
int dc__api_opt(dc__api *a, int argc, char **argv, int *i);
/* Finds the key and connects: DC_EXIT_OK or the exit code (message printed). */
int dc__api_open(dc__api *a, int need_key);
void dc__api_close(dc__api *a);
/* One call; *out (may be NULL) the parsed answer. Returns the HTTP status. */
long dc__api_call(dc__api *a, const char *method, const char *path, const json_t *body,
                  const char *extra_header, json_t **out, char **raw);
/* The exit code of an HTTP status. */
int dc__api_exit(long status);
/* Prints an error answer ("deconflict CMD: 409 conflict: field: reason")
 * and returns its exit code. */
int dc__api_fail(dc__api *a, long status, const json_t *body);
/* Prints j (pretty) on stdout. */
void dc__api_print_json(const json_t *j);
/* Reads a whole file (NUL-terminated, *len bytes); NULL with a message. */
char *dc__read_file(const char *cmd, const char *path, size_t *len);
/* Writes text to path (or stdout when NULL or "-"); 0 or -1 with a message. */
int dc__write_out(const char *cmd, const char *path, const char *text);

/* {volumes: [...]} from a file holding a request body with "volumes", a
 * GeoJSON Feature (one volume) or FeatureCollection (one volume per
 * feature); new reference, NULL with a message. */
json_t *dc__cli_volumes_body(const char *cmd, const char *path);

#endif
