/* `deconflict operations`: the caller's operations (the authority's: all,
 * with owners). */
#include <stdio.h>
#include <string.h>

#include "cli/api.h"
#include "cli/cli.h"

static void help(FILE *f)
{
    fprintf(
        f, "usage: deconflict operations [--state STATE] [--url URL] [--key-file FILE] [--json]\n\n"
           "STATE: approved, active, ended, withdrawn, nonconforming or preempted.\n\n"
           "examples:\n"
           "  DECONFLICT_KEY=$(cat iran.key) deconflict operations\n"
           "  deconflict operations --key-file authority.key --state preempted "
           "--json\n\n" DC_EXIT_HELP);
}

int dc_cli_operations(int argc, char **argv)
{
    dc__api a;
    dc__api_init(&a, "operations");
    const char *state = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            help(stdout);
            return 0;
        } else if (dc__api_opt(&a, argc, argv, &i)) {
        } else if (i + 1 < argc && !strcmp(argv[i], "--state") &&
                   strspn(argv[i + 1], "abcdefghijklmnopqrstuvwxyz") == strlen(argv[i + 1])) {
            state = argv[++i];
        } else {
            return dc__cli_bad_arg("operations", "--state --url --key-file --json", argc, argv, i);
        }
    }
    int code = dc__api_open(&a, 1);
    if (code)
        return code;
    char path[96];
    snprintf(path, sizeof path, "/v1/operations%s%s", state ? "?state=" : "", state ? state : "");
    json_t *ans = NULL;
    long st = dc__api_call(&a, "GET", path, NULL, NULL, &ans, NULL);
    if (st != 200) {
        code = dc__api_fail(&a, st, ans);
    } else if (a.json) {
        dc__api_print_json(ans);
    } else {
        json_t *ops = json_object_get(ans, "operations");
        for (size_t i = 0; i < json_array_size(ops); i++) {
            json_t *o = json_array_get(ops, i),
                   *v0 = json_array_get(json_object_get(o, "volumes"), 0);
            const char *owner =
                json_string_value(json_object_get(json_object_get(o, "owner"), "name"));
            const char *name = json_string_value(json_object_get(o, "name"));
            printf("%-14s %-13s p%-3lld %2zu volume(s) from %s%s%s%s%s%s\n",
                   json_string_value(json_object_get(o, "id")),
                   json_string_value(json_object_get(o, "state")),
                   (long long)json_integer_value(json_object_get(o, "priority")),
                   json_array_size(json_object_get(o, "volumes")),
                   json_string_value(json_object_get(v0, "time_start")), owner ? "  " : "",
                   owner ? owner : "", name && *name ? "  \"" : "", name && *name ? name : "",
                   name && *name ? "\"" : "");
        }
        if (!json_array_size(ops))
            printf("no operations\n");
    }
    json_decref(ans);
    dc__api_close(&a);
    return code;
}
