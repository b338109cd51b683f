/* `deconflict airspace import|export`: the host's published airspace (ED-318,
 * OpenAir, AIXM 5.1) into restrictions through the API, and restrictions or
 * notices files out as GeoJSON, KML or ED-318 (include/deconflict/aip.h).
 * Every item is parsed and validated here first (refusals print without a
 * server); the file then goes to POST /v1/restrictions:import, atomic on
 * the server. Against a server without that route, all-or-nothing is kept
 * here: items are created, and only when all exist are the ones they
 * replace (same source id) deleted; a failure midway deletes what this run
 * created (a crash midway can leave both versions in force, never neither:
 * the next import removes the duplicates). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/api.h"
#include "cli/cli.h"
#include "deconflict/aip.h"
#include "deconflict/geo.h"

static void help(FILE *f)
{
    fprintf(
        f,
        "usage: deconflict airspace import --format ed318|openair|aixm FILE\n"
        "                    [--url URL | --dry-run] [--key-file FILE] [--json]\n"
        "                    [--terrain-m M] [--from TIME] [--until TIME] [--horizon-days N]\n"
        "                    [--all-types] [--exempt OPERATOR_ID]...\n"
        "       deconflict airspace export --format geojson|kml|ed318 [--in FILE] [--out FILE]\n\n"
        "import turns every airspace of FILE into a restriction (the authority's key);\n"
        "a re-import replaces the restrictions of the same source id (ed318:<identifier>,\n"
        "openair:<name>, aixm:<uuid>). Nothing is posted when any item is refused: each\n"
        "refused item is printed with its reason. --dry-run only parses and validates.\n"
        "Limits above ground become: floor 0 m AMSL, ceiling value + --terrain-m (the\n"
        "highest ground, default 0). Items without validity last from --from (default\n"
        "now) to --until (default 10 years on); weekly schedules are expanded over\n"
        "--horizon-days (default 7), the validity beyond stays one volume.\n"
        "export converts a restrictions or notices JSON (GET /v1/restrictions,\n"
        "/v1/notices; default stdin) to the format.\n\n"
        "examples:\n"
        "  deconflict airspace import --format openair --dry-run "
        "tests/aip/data/openair/polygon.txt\n"
        "  DECONFLICT_KEY=$(cat authority.key) deconflict airspace import --format aixm \\\n"
        "      --url http://127.0.0.1:8080 Donlon.xml\n"
        "  deconflict restriction list --json | deconflict airspace export --format kml > "
        "r.kml\n\n" DC_EXIT_HELP);
}

static int print_refusals(const dc_aip_result *r, int json)
{
    if (json) {
        json_t *j = json_pack("{s:s, s:O, s:O}", "result", "refused", "refused", r->refused,
                              "skipped", r->skipped);
        dc__api_print_json(j);
        json_decref(j);
        return DC_EXIT_REFUSED;
    }
    for (size_t i = 0; i < json_array_size(r->refused); i++) {
        json_t *x = json_array_get(r->refused, i);
        const char *f = json_string_value(json_object_get(x, "field"));
        fprintf(stderr, "refused %s%s%s: %s\n", json_string_value(json_object_get(x, "item")),
                f && f[0] ? " " : "", f ? f : "", json_string_value(json_object_get(x, "reason")));
    }
    fprintf(stderr, "deconflict airspace import: %zu item(s) refused, nothing imported\n",
            json_array_size(r->refused));
    return DC_EXIT_REFUSED;
}

/* Which import options the command line set (the server's defaults
 * otherwise, its clock for "now"). */
struct given {
    int terrain, horizon, from, until, all_types;
};

/* Imports through POST /v1/restrictions:import, which is atomic on the
 * server. Returns the exit code, or -1 when the server has no such route. */
static int post_import(dc__api *a, dc_aip_format f, const char *buf, size_t len,
                       const dc_aip_options *opt, const struct given *g, int *created,
                       int *replaced)
{
    static const char *names[] = {"", "ed318", "openair", "aixm"};
    char t[32];
    json_t *body = json_pack("{s:s, s:s%}", "format", names[f], "content", buf, len), *ans = NULL;
    if (!body) {
        fprintf(stderr, "deconflict airspace import: the file is not UTF-8 text\n");
        return DC_EXIT_INVALID;
    }
    if (g->terrain)
        json_object_set_new(body, "terrain_m", json_real(opt->terrain_m));
    if (g->horizon)
        json_object_set_new(body, "horizon_days", json_integer(opt->horizon_s / 86400));
    if (g->from) {
        dc_time_format(opt->t_start_s, t, sizeof t);
        json_object_set_new(body, "from", json_string(t));
    }
    if (g->until) {
        dc_time_format(opt->t_end_s, t, sizeof t);
        json_object_set_new(body, "until", json_string(t));
    }
    if (g->all_types)
        json_object_set_new(body, "all_types", json_true());
    if (opt->exempt)
        json_object_set(body, "exempt", (json_t *)opt->exempt);
    long st = dc__api_call(a, "POST", "/v1/restrictions:import", body, NULL, &ans, NULL);
    json_decref(body);
    int code;
    const char *field = json_string_value(json_object_get(ans, "field"));
    if (st == 404 && field && !strcmp(field, "path")) { /* "no such route" */
        code = -1;
    } else if (st == 201) {
        *created = (int)json_array_size(json_object_get(ans, "created"));
        *replaced = (int)json_array_size(json_object_get(ans, "replaced"));
        code = DC_EXIT_OK;
    } else if (st == 400 && json_is_array(json_object_get(ans, "refused"))) {
        dc_aip_result r = {NULL, json_object_get(ans, "refused"), json_object_get(ans, "skipped")};
        code = print_refusals(&r, a->json);
    } else {
        code = dc__api_fail(a, st, ans);
    }
    json_decref(ans);
    return code;
}

/* Without the server's import: posts every restriction, then deletes what
 * they replace. */
static int post_all(dc__api *a, const dc_aip_result *r, int *created, int *replaced)
{
    json_t *old = NULL, *ids = json_array(), *gone = json_array();
    int code = DC_EXIT_OK;
    long st = dc__api_call(a, "GET", "/v1/restrictions", NULL, NULL, &old, NULL);
    if (st != 200) {
        code = dc__api_fail(a, st, old);
        goto out;
    }
    for (size_t i = 0; i < json_array_size(r->restrictions); i++) {
        json_t *body = json_deep_copy(json_array_get(r->restrictions, i)), *ans = NULL;
        json_object_del(body, "source"); /* the API keeps it in the name */
        st = dc__api_call(a, "POST", "/v1/restrictions", body, NULL, &ans, NULL);
        json_decref(body);
        if (st != 201) {
            fprintf(
                stderr, "deconflict airspace import: %s was not accepted; undoing this run\n",
                json_string_value(json_object_get(json_array_get(r->restrictions, i), "source")));
            code = dc__api_fail(a, st, ans);
            json_decref(ans);
            for (size_t k = 0; k < json_array_size(ids); k++) {
                char path[128];
                snprintf(path, sizeof path, "/v1/restrictions/%s",
                         json_string_value(json_array_get(ids, k)));
                dc__api_call(a, "DELETE", path, NULL, NULL, NULL, NULL);
            }
            goto out;
        }
        json_array_append(ids, json_object_get(ans, "id"));
        json_decref(ans);
    }
    *created = (int)json_array_size(ids);
    json_t *list = json_object_get(old, "restrictions");
    for (size_t i = 0; i < json_array_size(list); i++) {
        char src[256];
        json_t *x = json_array_get(list, i);
        if (!dc_aip_source_of(json_string_value(json_object_get(x, "name")), src, sizeof src))
            continue;
        for (size_t k = 0; k < json_array_size(r->restrictions); k++) {
            const char *s =
                json_string_value(json_object_get(json_array_get(r->restrictions, k), "source"));
            if (s && !strcmp(s, src)) {
                char path[128];
                snprintf(path, sizeof path, "/v1/restrictions/%s",
                         json_string_value(json_object_get(x, "id")));
                st = dc__api_call(a, "DELETE", path, NULL, NULL, NULL, NULL);
                if (st == 200)
                    json_array_append(gone, json_object_get(x, "id"));
                else if (st != 404 && st != 409)
                    code = dc__api_exit(st);
                break;
            }
        }
    }
    *replaced = (int)json_array_size(gone);
out:
    json_decref(old);
    json_decref(ids);
    json_decref(gone);
    return code;
}

static int import(int argc, char **argv)
{
    dc__api a;
    dc__api_init(&a, "airspace import");
    dc_aip_options opt;
    dc_aip_options_default(&opt, (int64_t)time(NULL));
    const char *fmt = NULL, *file = NULL;
    int dry = 0, url_given = 0, code;
    struct given given = {0};
    json_t *exempt = json_array();
    for (int i = 1; i < argc; i++) {
        int64_t t;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            help(stdout);
            json_decref(exempt);
            return 0;
        } else if (!strcmp(argv[i], "--url")) {
            url_given = 1;
            if (!dc__api_opt(&a, argc, argv, &i))
                goto usage;
        } else if (dc__api_opt(&a, argc, argv, &i)) {
        } else if (i + 1 < argc && !strcmp(argv[i], "--format")) {
            fmt = argv[++i];
        } else if (!strcmp(argv[i], "--dry-run")) {
            dry = 1;
        } else if (!strcmp(argv[i], "--all-types")) {
            opt.all_types = given.all_types = 1;
        } else if (i + 1 < argc && !strcmp(argv[i], "--exempt")) {
            json_array_append_new(exempt, json_string(argv[++i]));
        } else if (i + 1 < argc && !strcmp(argv[i], "--terrain-m")) {
            char *e;
            opt.terrain_m = strtod(argv[++i], &e);
            if (*e || !(opt.terrain_m >= 0 && opt.terrain_m <= 9000))
                goto usage;
            given.terrain = 1;
        } else if (i + 1 < argc && !strcmp(argv[i], "--horizon-days")) {
            char *e;
            long d = strtol(argv[++i], &e, 10);
            if (*e || d < 0 || d > 366)
                goto usage;
            opt.horizon_s = (int64_t)d * 86400;
            given.horizon = 1;
        } else if (i + 1 < argc && (!strcmp(argv[i], "--from") || !strcmp(argv[i], "--until"))) {
            if (dc_time_parse(argv[i + 1], argv[i][2] == 'u', &t) != DC_OK)
                goto usage;
            if (argv[i][2] == 'u')
                opt.t_end_s = t, given.until = 1;
            else
                opt.t_start_s = t, given.from = 1;
            i++;
        } else if (argv[i][0] != '-' && !file) {
            file = argv[i];
        } else {
            goto usage;
        }
    }
    dc_aip_format f;
    if (!fmt || !file || dc_aip_format_parse(fmt, &f) != DC_OK || f > DC_AIP_AIXM ||
        (dry && url_given) || opt.t_start_s >= opt.t_end_s)
        goto usage;
    if (json_array_size(exempt))
        opt.exempt = exempt;
    size_t len;
    char *buf = dc__read_file("airspace import", file, &len);
    if (!buf) {
        json_decref(exempt);
        return DC_EXIT_INVALID;
    }
    dc_aip_result r;
    dc_error err;
    dc_status rc = dc_aip_import(f, buf, len, &opt, &r, &err);
    if (rc == DC_ENOMEM) {
        fprintf(stderr, "deconflict airspace import: out of memory\n");
        code = DC_EXIT_UNAVAILABLE;
    } else if (rc != DC_OK) {
        code = print_refusals(&r, a.json);
    } else if (dry) {
        if (a.json) {
            json_t *j = json_pack("{s:s, s:O, s:O}", "result", "valid", "restrictions",
                                  r.restrictions, "skipped", r.skipped);
            dc__api_print_json(j);
            json_decref(j);
        } else {
            for (size_t i = 0; i < json_array_size(r.restrictions); i++) {
                json_t *x = json_array_get(r.restrictions, i);
                printf("valid %s (%zu volumes)\n", json_string_value(json_object_get(x, "name")),
                       json_array_size(json_object_get(x, "volumes")));
            }
            for (size_t i = 0; i < json_array_size(r.skipped); i++) {
                json_t *x = json_array_get(r.skipped, i);
                printf("skipped %s: %s\n", json_string_value(json_object_get(x, "item")),
                       json_string_value(json_object_get(x, "reason")));
            }
            printf("%zu restriction(s) valid, %zu skipped, nothing posted (--dry-run)\n",
                   json_array_size(r.restrictions), json_array_size(r.skipped));
        }
        code = DC_EXIT_OK;
    } else if ((code = dc__api_open(&a, 1)) == DC_EXIT_OK) {
        int created = 0, replaced = 0;
        code = post_import(&a, f, buf, len, &opt, &given, &created, &replaced);
        if (code == -1) /* a server without POST /v1/restrictions:import */
            code = post_all(&a, &r, &created, &replaced);
        if (code == DC_EXIT_OK && a.json) {
            json_t *j = json_pack("{s:s, s:i, s:i, s:O}", "result", "imported", "created", created,
                                  "replaced", replaced, "skipped", r.skipped);
            dc__api_print_json(j);
            json_decref(j);
        } else if (code == DC_EXIT_OK) {
            printf("imported %d restriction(s), replacing %d, %zu skipped\n", created, replaced,
                   json_array_size(r.skipped));
        }
        dc__api_close(&a);
    }
    dc_aip_result_clear(&r);
    free(buf);
    json_decref(exempt);
    return code;
usage:
    json_decref(exempt);
    help(stderr);
    return DC_EXIT_USAGE;
}

static int export(int argc, char **argv)
{
    const char *fmt = NULL, *in = "-", *out = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            help(stdout);
            return 0;
        } else if (i + 1 < argc && !strcmp(argv[i], "--format")) {
            fmt = argv[++i];
        } else if (i + 1 < argc && !strcmp(argv[i], "--in")) {
            in = argv[++i];
        } else if (i + 1 < argc && !strcmp(argv[i], "--out")) {
            out = argv[++i];
        } else {
            return dc__cli_bad_arg("airspace export", "--format --in --out", argc, argv, i);
        }
    }
    dc_aip_format f;
    if (!fmt || dc_aip_format_parse(fmt, &f) != DC_OK ||
        (f != DC_AIP_ED318 && f < DC_AIP_GEOJSON)) {
        help(stderr);
        return DC_EXIT_USAGE;
    }
    size_t len;
    char *buf = dc__read_file("airspace export", in, &len);
    if (!buf)
        return DC_EXIT_INVALID;
    json_error_t je;
    json_t *j = json_loadb(buf, len, 0, &je);
    free(buf);
    if (!j) {
        fprintf(stderr, "deconflict airspace export: %s: not JSON: %s\n", in, je.text);
        return DC_EXIT_INVALID;
    }
    char *text = NULL;
    dc_error err = {{0}, {0}};
    dc_status rc = dc_aip_export(f, j, &text, &err);
    json_decref(j);
    if (rc != DC_OK) {
        fprintf(stderr, "deconflict airspace export: %s: %s\n", err.field, err.reason);
        return DC_EXIT_INVALID;
    }
    int w = dc__write_out("airspace export", out, text);
    free(text);
    return w ? DC_EXIT_INVALID : DC_EXIT_OK;
}

int dc_cli_airspace(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "import"))
        return import(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "export"))
        return export(argc - 1, argv + 1);
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        help(stdout);
        return 0;
    }
    help(stderr);
    return DC_EXIT_USAGE;
}
