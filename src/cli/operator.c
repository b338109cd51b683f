/* `deconflict operator add|list|revoke` (the authority). An operator's key is
 * shown once, by add (or revoke --key-out): keep it in a file, never on a
 * command line. revoke rotates the operator's key, so every key it held stops
 * working at once (the API has no operator deletion). */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/api.h"
#include "cli/cli.h"

static void help(FILE *f)
{
    fprintf(f, "usage: deconflict operator add NAME [--key-out FILE]\n"
               "       deconflict operator list\n"
               "       deconflict operator revoke ID [--key-out FILE]\n"
               "       (with --url URL, --key-file FILE, --json)\n\n"
               "add creates an operator and prints its id and first API key (or writes the\n"
               "key to --key-out, mode 0600, and prints the id). revoke invalidates every key\n"
               "of the operator; the replacement key goes to --key-out or is discarded.\n\n"
               "examples:\n"
               "  export DECONFLICT_KEY=$(cat authority.key)\n"
               "  deconflict operator add coalition --key-out coalition.key\n"
               "  deconflict operator list --json\n"
               "  deconflict operator revoke op_3k2j9x\n\n" DC_EXIT_HELP);
}

static int write_key(const char *path, const char *key)
{
    mode_t old = umask(077);
    FILE *f = fopen(path, "w");
    umask(old);
    if (!f || fprintf(f, "%s\n", key) < 0 || fclose(f)) {
        fprintf(stderr, "deconflict operator: cannot write %s\n", path);
        return -1;
    }
    return 0;
}

int dc_cli_operator(int argc, char **argv)
{
    dc__api a;
    dc__api_init(&a, "operator");
    const char *verb = argc >= 2 ? argv[1] : NULL, *arg = NULL, *key_out = NULL;
    if (verb && (!strcmp(verb, "--help") || !strcmp(verb, "-h"))) {
        help(stdout);
        return 0;
    }
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            help(stdout);
            return 0;
        } else if (dc__api_opt(&a, argc, argv, &i)) {
        } else if (i + 1 < argc && !strcmp(argv[i], "--key-out")) {
            key_out = argv[++i];
        } else if (argv[i][0] != '-' && !arg) {
            arg = argv[i];
        } else {
            return dc__cli_bad_arg("operator", "--key-out --url --key-file --json", argc, argv, i);
        }
    }
    int list = verb && !strcmp(verb, "list");
    if (!verb || (!list && strcmp(verb, "add") && strcmp(verb, "revoke")) || (list == !!arg)) {
        help(stderr);
        return DC_EXIT_USAGE;
    }
    int code = dc__api_open(&a, 1);
    if (code)
        return code;
    json_t *ans = NULL;
    long st;
    char path[160];
    if (list) {
        st = dc__api_call(&a, "GET", "/v1/operators", NULL, NULL, &ans, NULL);
    } else if (!strcmp(verb, "add")) {
        json_t *body = json_pack("{s:s}", "name", arg);
        st = dc__api_call(&a, "POST", "/v1/operators", body, NULL, &ans, NULL);
        json_decref(body);
    } else {
        snprintf(path, sizeof path, "/v1/operators/%s/keys", arg);
        st = dc__api_call(&a, "POST", path, NULL, NULL, &ans, NULL);
    }
    if (st < 200 || st >= 300) {
        code = dc__api_fail(&a, st, ans);
    } else {
        const char *key = json_string_value(json_object_get(ans, "api_key"));
        if (key_out && key && write_key(key_out, key))
            code = DC_EXIT_INVALID;
        if (!list && (key_out || !strcmp(verb, "revoke")))
            json_object_del(ans, "api_key"); /* not on stdout unless asked for */
        if (a.json) {
            dc__api_print_json(ans);
        } else if (list) {
            json_t *ops = json_object_get(ans, "operators");
            for (size_t i = 0; i < json_array_size(ops); i++) {
                json_t *o = json_array_get(ops, i);
                printf("%-14s %-10s %s\n", json_string_value(json_object_get(o, "id")),
                       json_string_value(json_object_get(o, "role")),
                       json_string_value(json_object_get(o, "name")));
            }
        } else if (!strcmp(verb, "add")) {
            printf("%s", json_string_value(json_object_get(ans, "id")));
            if (json_object_get(ans, "api_key"))
                printf(" %s", json_string_value(json_object_get(ans, "api_key")));
            printf("\n");
        } else {
            printf("revoked every key of %s%s\n", arg,
                   key_out ? "; the new key is in --key-out" : "");
        }
    }
    json_decref(ans);
    dc__api_close(&a);
    return code;
}
