/* `deconflict submit PLAN.json|PLAN.geojson`: submits an operation and
 * prints the decision; on a conflict, the notices in the way and the
 * server's suggestion (which --take-suggestion submits at once). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/api.h"
#include "cli/cli.h"
#include "cli/units.h"

static void help(FILE *f)
{
    fprintf(f, "usage: deconflict submit PLAN.json|PLAN.geojson [--priority N] [--name NAME]\n"
               "                         [--override] [--take-suggestion] [--url URL]\n"
               "                         [--key-file FILE] [--json]\n\n"
               "PLAN.json: {\"volumes\": [...]} (docs/openapi.yaml OperationRequest);\n"
               "PLAN.geojson: a Feature or FeatureCollection whose features are volumes\n"
               "(properties altitude_lower_m, altitude_upper_m, time_start, time_end).\n"
               "Prints \"approved ID\" or \"rejected\", the notices in the way and the\n"
               "suggestion; --take-suggestion submits the suggested volumes when rejected\n"
               "(exit 0 when that one is approved). --name: the operation's name, seen only\n"
               "by you and the authority (at most 80 characters).\n\n"
               "examples:\n"
               "  DECONFLICT_KEY=$(cat coalition.key) deconflict submit plan.json\n"
               "  deconflict submit --key-file iran.key --take-suggestion route.geojson\n"
               "  deconflict submit plan.json --json | jq .decision\n\n" DC_EXIT_HELP);
}

static void print_notice(const json_t *n)
{
    double lo = json_number_value(json_object_get(n, "altitude_lower_m"));
    double hi = json_number_value(json_object_get(n, "altitude_upper_m"));
    json_t *ring =
        json_array_get(json_object_get(json_object_get(n, "footprint"), "coordinates"), 0);
    double x0 = 999, y0 = 999, x1 = -999, y1 = -999;
    for (size_t i = 0; i < json_array_size(ring); i++) {
        double x = json_number_value(json_array_get(json_array_get(ring, i), 0));
        double y = json_number_value(json_array_get(json_array_get(ring, i), 1));
        x0 = x < x0 ? x : x0;
        x1 = x > x1 ? x : x1;
        y0 = y < y0 ? y : y0;
        y1 = y > y1 ? y : y1;
    }
    char band[64];
    json_t *cv = json_object_get(n, "candidate_volume");
    const char *name = json_string_value(json_object_get(n, "name"));
    if (cv)
        printf("  volumes[%lld] meets:", (long long)json_integer_value(cv));
    printf("%s in the way: %s%s%s%s %s, %s, %s to %s", cv ? "" : " ",
           json_string_value(json_object_get(n, "kind")), name ? " \"" : "", name ? name : "",
           name ? "\"" : "", json_string_value(json_object_get(n, "id")),
           dc__fmt_band(lo, hi, band, sizeof band),
           json_string_value(json_object_get(n, "time_start")),
           json_string_value(json_object_get(n, "time_end")));
    if (json_array_size(ring))
        printf(", lon %.2f..%.2f lat %.2f..%.2f", x0, x1, y0, y1);
    printf("\n");
}

int dc_cli_submit(int argc, char **argv)
{
    dc__api a;
    dc__api_init(&a, "submit");
    const char *file = NULL;
    long priority = -1;
    int override = 0, take = 0;
    const char *name = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            help(stdout);
            return 0;
        } else if (dc__api_opt(&a, argc, argv, &i)) {
        } else if (i + 1 < argc && !strcmp(argv[i], "--priority")) {
            char *e;
            priority = strtol(argv[++i], &e, 10);
            if (*e || priority < 0 || priority > 100) {
                help(stderr);
                return DC_EXIT_USAGE;
            }
        } else if (i + 1 < argc && !strcmp(argv[i], "--name")) {
            name = argv[++i];
        } else if (!strcmp(argv[i], "--override")) {
            override = 1;
        } else if (!strcmp(argv[i], "--take-suggestion")) {
            take = 1;
        } else if (argv[i][0] != '-' && !file) {
            file = argv[i];
        } else {
            return dc__cli_bad_arg(
                "submit", "--priority --override --take-suggestion --url --key-file --json", argc,
                argv, i);
        }
    }
    if (!file) {
        help(stderr);
        return DC_EXIT_USAGE;
    }
    json_t *body = dc__cli_volumes_body("submit", file);
    if (!body)
        return DC_EXIT_INVALID;
    if (priority >= 0)
        json_object_set_new(body, "priority", json_integer(priority));
    if (override)
        json_object_set_new(body, "override", json_true());
    if (name)
        json_object_set_new(body, "name", json_string(name));
    int code = dc__api_open(&a, 1);
    if (code) {
        json_decref(body);
        return code;
    }
    json_t *ans = NULL, *report = json_object();
    long st = dc__api_call(&a, "POST", "/v1/operations", body, NULL, &ans, NULL);
    for (int round = 0; round < 2; round++) {
        json_t *sug = json_object_get(ans, "suggestion");
        if (st == 201) {
            json_object_set_new(report, "decision", json_string("approved"));
            json_object_set(report, "operation", ans);
            if (!a.json)
                printf("approved %s%s\n", json_string_value(json_object_get(ans, "id")),
                       round ? " (the suggestion)" : "");
            code = DC_EXIT_OK;
            break;
        }
        if (st != 409 || !json_is_array(json_object_get(ans, "conflicts"))) {
            code = dc__api_fail(&a, st, ans);
            break;
        }
        json_object_set_new(report, "decision", json_string("rejected"));
        json_object_set(report, "conflicts", json_object_get(ans, "conflicts"));
        json_object_set(report, "suggestion", sug ? sug : json_null());
        code = DC_EXIT_REFUSED;
        if (!a.json) {
            json_t *cs = json_object_get(ans, "conflicts");
            printf("rejected: %s\n", json_string_value(json_object_get(ans, "reason")));
            for (size_t i = 0; i < json_array_size(cs); i++)
                print_notice(json_array_get(cs, i));
            const char *k = json_string_value(json_object_get(sug, "kind"));
            if (k && !strcmp(k, "time_shift"))
                printf("suggestion: shift by %+lld s\n",
                       (long long)json_integer_value(json_object_get(sug, "time_shift_s")));
            else if (k)
                printf("suggestion: shift by %+.0f ft (%+.0f m)\n",
                       json_number_value(json_object_get(sug, "altitude_shift_m")) / 0.3048,
                       json_number_value(json_object_get(sug, "altitude_shift_m")));
            else
                printf("suggestion: none\n");
        }
        if (!take || round || !json_is_array(json_object_get(sug, "volumes")))
            break;
        json_object_set(body, "volumes", json_object_get(sug, "volumes"));
        json_decref(ans);
        st = dc__api_call(&a, "POST", "/v1/operations", body, NULL, &ans, NULL);
        json_object_set_new(report, "took_suggestion", json_true());
    }
    if (a.json)
        dc__api_print_json(report);
    json_decref(report);
    json_decref(ans);
    json_decref(body);
    dc__api_close(&a);
    return code;
}
