/* `deconflict tracks FILE.json`: posts position reports (POST /v1/tracks,
 * all or nothing): a file with {"reports": [...]} or a bare array of them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/api.h"
#include "cli/cli.h"

static void help(FILE *f)
{
    fprintf(
        f,
        "usage: deconflict tracks FILE.json|- [--unknown] [--url URL] [--key-file FILE] "
        "[--json]\n\n"
        "FILE: {\"reports\": [{track_id, time, lat, lon, alt_m, ground_speed_mps,\n"
        "track_deg, vertical_rate_mps, operation_id?}, ...]} or a bare array.\n"
        "--unknown (the authority): traffic with no operator. Prints how many\n"
        "reports were queued and how many were dropped as stale.\n\n"
        "examples:\n"
        "  DECONFLICT_KEY=$(cat coalition.key) deconflict tracks reports.json\n"
        "  radar-feed | deconflict tracks - --unknown --key-file authority.key\n\n" DC_EXIT_HELP);
}

int dc_cli_tracks(int argc, char **argv)
{
    dc__api a;
    dc__api_init(&a, "tracks");
    const char *file = NULL;
    int unknown = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            help(stdout);
            return 0;
        } else if (dc__api_opt(&a, argc, argv, &i)) {
        } else if (!strcmp(argv[i], "--unknown")) {
            unknown = 1;
        } else if ((argv[i][0] != '-' || !strcmp(argv[i], "-")) && !file) {
            file = argv[i];
        } else {
            return dc__cli_bad_arg("tracks", "--unknown --url --key-file --json", argc, argv, i);
        }
    }
    if (!file) {
        help(stderr);
        return DC_EXIT_USAGE;
    }
    size_t len;
    char *buf = dc__read_file("tracks", file, &len);
    if (!buf)
        return DC_EXIT_INVALID;
    json_error_t je;
    json_t *j = json_loadb(buf, len, 0, &je), *body;
    free(buf);
    if (json_is_array(j)) {
        body = json_pack("{s:o}", "reports", j);
    } else if (json_is_array(json_object_get(j, "reports"))) {
        body = j;
    } else {
        fprintf(stderr, "deconflict tracks: %s: needs {\"reports\": [...]} or an array%s%s\n", file,
                j ? "" : ": ", j ? "" : je.text);
        json_decref(j);
        return DC_EXIT_INVALID;
    }
    if (unknown)
        json_object_set_new(body, "unknown", json_true());
    int code = dc__api_open(&a, 1);
    if (code) {
        json_decref(body);
        return code;
    }
    json_t *ans = NULL;
    long st = dc__api_call(&a, "POST", "/v1/tracks", body, NULL, &ans, NULL);
    if (st != 202)
        code = dc__api_fail(&a, st, ans);
    else if (a.json)
        dc__api_print_json(ans);
    else
        printf("queued %lld report(s), %lld stale\n",
               (long long)json_integer_value(json_object_get(ans, "accepted")),
               (long long)json_integer_value(json_object_get(ans, "stale")));
    json_decref(ans);
    json_decref(body);
    dc__api_close(&a);
    return code;
}
