/* `deconflict notices`: the airspace the caller cannot use (blind notices),
 * as the API's JSON, GeoJSON, KML or ED-318 (include/deconflict/aip.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/api.h"
#include "cli/cli.h"
#include "deconflict/aip.h"

static void help(FILE *f)
{
    fprintf(f,
            "usage: deconflict notices [--bbox MINLON,MINLAT,MAXLON,MAXLAT] [--from TIME]\n"
            "                          [--to TIME] [--format json|geojson|kml|ed318] [--out FILE]\n"
            "                          [--url URL] [--key-file FILE]\n\n"
            "Default bbox: the whole world (-180,-85,180,85); default window: the API's\n"
            "(now to 24 h on). KML opens in Google Earth and QGIS; ED-318 validates\n"
            "against the EUROCAE schema.\n\n"
            "examples:\n"
            "  DECONFLICT_KEY=$(cat coalition.key) deconflict notices --bbox 43,32,47,35\n"
            "  deconflict notices --key-file iran.key --format kml --out notices.kml\n"
            "  deconflict notices --format ed318 --from 2026-12-03T00:00:00Z --to "
            "2026-12-04T00:00:00Z\n\n" DC_EXIT_HELP);
}

static int safe(const char *s)
{
    return strspn(s, "0123456789.,-+:TZ") == strlen(s);
}

int dc_cli_notices(int argc, char **argv)
{
    dc__api a;
    dc__api_init(&a, "notices");
    const char *bbox = "-180,-85,180,85", *from = NULL, *to = NULL, *fmt = "json", *out = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            help(stdout);
            return 0;
        } else if (dc__api_opt(&a, argc, argv, &i)) {
        } else if (i + 1 < argc && !strcmp(argv[i], "--bbox") && safe(argv[i + 1])) {
            bbox = argv[++i];
        } else if (i + 1 < argc && !strcmp(argv[i], "--from") && safe(argv[i + 1])) {
            from = argv[++i];
        } else if (i + 1 < argc && !strcmp(argv[i], "--to") && safe(argv[i + 1])) {
            to = argv[++i];
        } else if (i + 1 < argc && !strcmp(argv[i], "--format")) {
            fmt = argv[++i];
        } else if (i + 1 < argc && !strcmp(argv[i], "--out")) {
            out = argv[++i];
        } else {
            return dc__cli_bad_arg("notices",
                                   "--bbox --from --to --format --out --url --key-file --json",
                                   argc, argv, i);
        }
    }
    dc_aip_format f = DC_AIP_GEOJSON;
    int raw_json = !strcmp(fmt, "json");
    if (!raw_json &&
        (dc_aip_format_parse(fmt, &f) != DC_OK || (f != DC_AIP_ED318 && f < DC_AIP_GEOJSON))) {
        help(stderr);
        return DC_EXIT_USAGE;
    }
    int code = dc__api_open(&a, 1);
    if (code)
        return code;
    char path[512];
    /* The server draws GeoJSON, KML and ED-318 itself (?format=); an older
     * server answers its JSON, which is converted here. */
    snprintf(path, sizeof path, "/v1/notices?bbox=%s%s%s%s%s%s%s", bbox, from ? "&from=" : "",
             from ? from : "", to ? "&to=" : "", to ? to : "",
             raw_json ? "" : "&format=", raw_json ? "" : fmt);
    json_t *ans = NULL;
    char *raw = NULL;
    long st = dc__api_call(&a, "GET", path, NULL,
                           f == DC_AIP_GEOJSON && !raw_json ? "Accept: application/geo+json" : NULL,
                           &ans, &raw);
    int converted = !raw_json && json_is_array(json_object_get(ans, "notices"));
    if (st != 200) {
        code = dc__api_fail(&a, st, ans);
    } else if (!converted) {
        /* the server's own answer, as it came */
        code = dc__write_out("notices", out, raw) ? DC_EXIT_INVALID : DC_EXIT_OK;
    } else {
        char *text = NULL;
        dc_error err = {{0}, {0}};
        if (dc_aip_export(f, ans, &text, &err) != DC_OK) {
            fprintf(stderr, "deconflict notices: %s: %s\n", err.field, err.reason);
            code = DC_EXIT_INVALID;
        } else if (dc__write_out("notices", out, text)) {
            code = DC_EXIT_INVALID;
        }
        free(text);
    }
    free(raw);
    json_decref(ans);
    dc__api_close(&a);
    return code;
}
