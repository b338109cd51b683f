/* `deconflict restriction add|list|delete` (the authority). add posts a
 * restriction body file ({name, exempt, volumes}, docs/openapi.yaml) or a
 * GeoJSON Feature/FeatureCollection whose features are volumes; list prints
 * them or exports them (--format geojson|kml|ed318, include/deconflict/aip.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/api.h"
#include "cli/cli.h"
#include "deconflict/aip.h"

static void help(FILE *f)
{
    fprintf(f, "usage: deconflict restriction add FILE.json|FILE.geojson [--name NAME]\n"
               "       deconflict restriction list [--all] [--format json|geojson|kml|ed318]\n"
               "                                  [--out FILE]\n"
               "       deconflict restriction delete ID\n"
               "       (with --url URL, --key-file FILE, --json)\n\n"
               "add prints the new id and the operations it preempted.\n\n"
               "examples:\n"
               "  export DECONFLICT_KEY=$(cat authority.key)\n"
               "  deconflict restriction add baghdad.json --name Baghdad\n"
               "  deconflict restriction list --format kml --out restrictions.kml\n"
               "  deconflict restriction delete rs_8d7f6a5b4c\n\n" DC_EXIT_HELP);
}

json_t *dc__cli_volumes_body(const char *cmd, const char *path)
{
    size_t len;
    char *buf = dc__read_file(cmd, path, &len);
    if (!buf)
        return NULL;
    json_error_t je;
    json_t *j = json_loadb(buf, len, 0, &je);
    free(buf);
    if (!j) {
        fprintf(stderr, "deconflict %s: %s is not valid JSON: %s (line %d, column %d)\n", cmd, path,
                je.text, je.line, je.column);
        return NULL;
    }
    const char *t = json_string_value(json_object_get(j, "type"));
    if (t && !strcmp(t, "FeatureCollection")) {
        json_t *b = json_pack("{s:O}", "volumes", json_object_get(j, "features"));
        json_decref(j);
        return b;
    }
    if (t && !strcmp(t, "Feature")) {
        json_t *b = json_pack("{s:[O]}", "volumes", j);
        json_decref(j);
        return b;
    }
    if (!json_is_object(j) || !json_is_array(json_object_get(j, "volumes"))) {
        fprintf(stderr, "deconflict %s: %s: needs \"volumes\" or a GeoJSON Feature(Collection)\n",
                cmd, path);
        json_decref(j);
        return NULL;
    }
    return j;
}

int dc_cli_restriction(int argc, char **argv)
{
    dc__api a;
    dc__api_init(&a, "restriction");
    const char *verb = argc >= 2 ? argv[1] : NULL, *arg = NULL, *name = NULL, *fmt = "json",
               *out = NULL;
    int all = 0;
    if (verb && (!strcmp(verb, "--help") || !strcmp(verb, "-h"))) {
        help(stdout);
        return 0;
    }
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            help(stdout);
            return 0;
        } else if (dc__api_opt(&a, argc, argv, &i)) {
        } else if (i + 1 < argc && !strcmp(argv[i], "--name")) {
            name = argv[++i];
        } else if (i + 1 < argc && !strcmp(argv[i], "--format")) {
            fmt = argv[++i];
        } else if (i + 1 < argc && !strcmp(argv[i], "--out")) {
            out = argv[++i];
        } else if (!strcmp(argv[i], "--all")) {
            all = 1;
        } else if (argv[i][0] != '-' && !arg) {
            arg = argv[i];
        } else {
            return dc__cli_bad_arg("restriction",
                                   "--name --format --out --all --url --key-file --json", argc,
                                   argv, i);
        }
    }
    int list = verb && !strcmp(verb, "list");
    dc_aip_format f = DC_AIP_GEOJSON;
    int export = strcmp(fmt, "json") != 0;
    if (!verb || (!list && strcmp(verb, "add") && strcmp(verb, "delete")) || list == !!arg ||
        (export &&
         (dc_aip_format_parse(fmt, &f) != DC_OK || (f != DC_AIP_ED318 && f < DC_AIP_GEOJSON)))) {
        help(stderr);
        return DC_EXIT_USAGE;
    }
    json_t *body = NULL;
    if (!strcmp(verb, "add")) {
        if (!(body = dc__cli_volumes_body("restriction add", arg)))
            return DC_EXIT_INVALID;
        if (name)
            json_object_set_new(body, "name", json_string(name));
    }
    int code = dc__api_open(&a, 1);
    if (code) {
        json_decref(body);
        return code;
    }
    json_t *ans = NULL;
    long st;
    char path[160];
    if (list) {
        st = dc__api_call(&a, "GET", all ? "/v1/restrictions?all=1" : "/v1/restrictions", NULL,
                          NULL, &ans, NULL);
    } else if (body) {
        st = dc__api_call(&a, "POST", "/v1/restrictions", body, NULL, &ans, NULL);
    } else {
        snprintf(path, sizeof path, "/v1/restrictions/%s", arg);
        st = dc__api_call(&a, "DELETE", path, NULL, NULL, &ans, NULL);
    }
    json_decref(body);
    if (st < 200 || st >= 300) {
        code = dc__api_fail(&a, st, ans);
    } else if (list && export) {
        char *text = NULL;
        dc_error err = {{0}, {0}};
        if (dc_aip_export(f, ans, &text, &err) != DC_OK) {
            fprintf(stderr, "deconflict restriction list: %s: %s\n", err.field, err.reason);
            code = DC_EXIT_INVALID;
        } else if (dc__write_out("restriction list", out, text)) {
            code = DC_EXIT_INVALID;
        }
        free(text);
    } else if (a.json) {
        dc__api_print_json(ans);
    } else if (list) {
        json_t *rs = json_object_get(ans, "restrictions");
        for (size_t i = 0; i < json_array_size(rs); i++) {
            json_t *r = json_array_get(rs, i);
            printf("%-14s %-9s %2zu volume(s)  %s\n", json_string_value(json_object_get(r, "id")),
                   json_string_value(json_object_get(r, "state")),
                   json_array_size(json_object_get(r, "volumes")),
                   json_string_value(json_object_get(r, "name")));
        }
    } else if (!strcmp(verb, "add")) {
        json_t *pre = json_object_get(ans, "preempted");
        printf("%s", json_string_value(json_object_get(ans, "id")));
        if (json_array_size(pre)) {
            printf(" preempted:");
            for (size_t i = 0; i < json_array_size(pre); i++)
                printf(" %s", json_string_value(json_array_get(pre, i)));
        }
        printf("\n");
    } else {
        printf("deleted %s\n", arg);
    }
    json_decref(ans);
    dc__api_close(&a);
    return code;
}
