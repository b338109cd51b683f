/* `deconflict feed status`: the authority's surveillance feeds as the
 * server sees them (GET /v1/feeds), one line per feed, or the JSON. */
#include <stdio.h>
#include <string.h>

#include "cli/api.h"
#include "cli/cli.h"

static int help(FILE *f)
{
    fprintf(
        f,
        "usage: deconflict feed status [--url URL] [--key-file FILE] [--json]\n\n"
        "The authority's surveillance feeds of a running server (GET /v1/feeds,\n"
        "authority only): one line per feed with its state, the age of its last\n"
        "message, reports handed to monitoring, decode errors, reconnects and its\n"
        "last error; a silent feed says so. Feeds are configured in the server's\n"
        "config file (\"feeds\": docs/feeds.md).\n\n"
        "examples:\n"
        "  deconflict feed status --key-file authority.key\n"
        "  deconflict feed status --json --url https://deconflict.example:8443\n\n" DC_EXIT_HELP);
    return f == stdout ? DC_EXIT_OK : DC_EXIT_USAGE;
}

static void print_feed(const json_t *f)
{
    const json_t *age = json_object_get(f, "last_message_age_s");
    const char *err = json_string_value(json_object_get(f, "last_error"));
    printf("%-16s %-7s %-32s %-10s ", json_string_value(json_object_get(f, "name")),
           json_string_value(json_object_get(f, "type")),
           json_string_value(json_object_get(f, "endpoint")),
           json_is_true(json_object_get(f, "silent"))
               ? "SILENT"
               : json_string_value(json_object_get(f, "state")));
    if (json_is_number(age))
        printf("last %.1f s ago", json_number_value(age));
    else
        printf("no message yet");
    printf(", %lld reports, %lld decode errors, %lld reconnects",
           (long long)json_integer_value(json_object_get(f, "reports")),
           (long long)json_integer_value(json_object_get(f, "decode_errors")),
           (long long)json_integer_value(json_object_get(f, "reconnects")));
    if (err)
        printf("; last error: %s", err);
    printf("\n");
}

int dc__cli_feed_status(int argc, char **argv)
{
    dc__api a;
    dc__api_init(&a, "feed status");
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            return help(stdout);
        if (!dc__api_opt(&a, argc, argv, &i))
            return help(stderr);
    }
    int code = dc__api_open(&a, 1);
    if (code)
        return code;
    json_t *ans = NULL;
    long st = dc__api_call(&a, "GET", "/v1/feeds", NULL, NULL, &ans, NULL);
    if (st != 200) {
        code = dc__api_fail(&a, st, ans);
    } else if (a.json) {
        dc__api_print_json(ans);
    } else {
        const json_t *feeds = json_object_get(ans, "feeds");
        size_t i;
        const json_t *f;
        json_array_foreach(feeds, i, f) print_feed(f);
        printf("%zu feed(s), %lld aircraft with a position\n", json_array_size(feeds),
               (long long)json_integer_value(json_object_get(ans, "aircraft")));
    }
    json_decref(ans);
    dc__api_close(&a);
    return code;
}
