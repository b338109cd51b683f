/* `deconflict check`: the offline conflict check, a stable contract used by
 * later tooling. Reads an airspace file and a candidate operation, prints the
 * conflicting (candidate volume, stored volume) pairs as JSON.
 * Exit 0 clear, 1 conflicts, 2 invalid input (reason on stderr only). */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "deconflict/deconflict.h"

#define MAX_OPERATORS 65536
#define MAX_VOLUMES_PER_ENTRY 10000

typedef struct names {
    char **v;
    uint32_t n, cap;
} names;

/* Operator name -> number, assigned in order of first appearance. */
static int name_num(names *ns, const char *name, uint32_t *out)
{
    for (uint32_t i = 0; i < ns->n; i++)
        if (!strcmp(ns->v[i], name)) {
            *out = i;
            return 0;
        }
    if (ns->n == MAX_OPERATORS)
        return -1;
    if (ns->n == ns->cap) {
        uint32_t nc = ns->cap ? ns->cap * 2 : 16;
        char **nv = realloc(ns->v, nc * sizeof *nv);
        if (!nv)
            return -1;
        ns->v = nv;
        ns->cap = nc;
    }
    ns->v[ns->n] = dc_strdup(name);
    if (!ns->v[ns->n])
        return -1;
    *out = ns->n++;
    return 0;
}

static void names_free(names *ns)
{
    for (uint32_t i = 0; i < ns->n; i++)
        dc_free(ns->v[i]);
    free(ns->v);
}

static int usage(FILE *f)
{
    fprintf(f, "usage: deconflict check --airspace AIRSPACE.json --candidate CANDIDATE.json\n"
               "                        [--h METRES] [--v METRES] [--t SECONDS]\n\n"
               "Checks one candidate operation against an airspace of approved operations\n"
               "and restrictions (docs/design.md section 3). Defaults: --h 1852 --v 305\n"
               "--t 300. Prints {\"conflicts\":[{candidate_volume, with, volume, distance_m}]}.\n"
               "Exit status: 0 clear, 1 conflicts, 2 invalid input.\n");
    return f == stdout ? 0 : 2;
}

static int parse_num(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

static int fail(const char *file, const dc_error *err)
{
    fprintf(stderr, "deconflict check: %s: %s: %s\n", file, err->field, err->reason);
    return 2;
}

/* Parses one entry object (operation or restriction) into the engine. */
static int load_entry(dc_engine *e, names *ns, const json_t *o, const char *field, int restriction,
                      const char *file)
{
    dc_error err = {{0}, {0}};
    char f[300];
    if (!json_is_object(o)) {
        dc_error_set(&err, field, "must be an object");
        return fail(file, &err);
    }
    const char *id = json_string_value(json_object_get(o, "id"));
    if (!id || !*id) {
        snprintf(f, sizeof f, "%s.id", field);
        dc_error_set(&err, f, "is required (a non-empty string)");
        return fail(file, &err);
    }
    dc_entry_spec spec = {.id = id, .is_restriction = restriction, .owner = DC_OWNER_NONE};
    uint32_t exempt[256];
    if (restriction) {
        json_t *ex = json_object_get(o, "exempt");
        snprintf(f, sizeof f, "%s.exempt", field);
        if (ex && (!json_is_array(ex) || json_array_size(ex) > 256)) {
            dc_error_set(&err, f, "must be an array of at most 256 operator names");
            return fail(file, &err);
        }
        for (size_t i = 0; ex && i < json_array_size(ex); i++) {
            const char *nm = json_string_value(json_array_get(ex, i));
            snprintf(f, sizeof f, "%s.exempt[%zu]", field, i);
            if (!nm || name_num(ns, nm, &exempt[i]) != 0) {
                dc_error_set(&err, f, "must be an operator name");
                return fail(file, &err);
            }
        }
        spec.exempt = exempt;
        spec.n_exempt = ex ? json_array_size(ex) : 0;
    } else {
        const char *op = json_string_value(json_object_get(o, "operator"));
        snprintf(f, sizeof f, "%s.operator", field);
        if (!op || !*op || name_num(ns, op, &spec.owner) != 0) {
            dc_error_set(&err, f, "is required (a non-empty string)");
            return fail(file, &err);
        }
        json_t *pr = json_object_get(o, "priority");
        snprintf(f, sizeof f, "%s.priority", field);
        if (pr &&
            (!json_is_integer(pr) || json_integer_value(pr) < 0 || json_integer_value(pr) > 100)) {
            dc_error_set(&err, f, "must be an integer in [0, 100]");
            return fail(file, &err);
        }
        spec.priority = pr ? (int)json_integer_value(pr) : 0;
    }
    dc_volume *vols;
    size_t n;
    snprintf(f, sizeof f, "%s.volumes", field);
    dc_status s = dc_json_volumes(json_object_get(o, "volumes"), f, MAX_VOLUMES_PER_ENTRY,
                                  restriction ? 0 : DC_MAX_WINDOW_S, &vols, &n, &err);
    if (s != DC_OK)
        return s == DC_EINVAL ? fail(file, &err)
                              : (fprintf(stderr, "deconflict check: %s\n", dc_status_str(s)), 2);
    s = dc_engine_add(e, &spec, vols, n);
    if (s != DC_OK) {
        dc_volumes_free(vols, n);
        snprintf(f, sizeof f, "%s.id", field);
        dc_error_set(&err, f, "%s", s == DC_EEXIST ? "duplicate id" : dc_status_str(s));
        return fail(file, &err);
    }
    dc_free(vols); /* the engine owns the footprints now */
    return 0;
}

static json_t *load_json(const char *path)
{
    json_error_t je;
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "deconflict check: cannot read %s: %s\n", path, strerror(errno));
        return NULL;
    }
    json_t *j = json_loadf(f, JSON_REJECT_DUPLICATES, &je);
    fclose(f);
    if (!j)
        fprintf(stderr, "deconflict check: %s is not valid JSON: %s (line %d, column %d)\n", path,
                je.text, je.line, je.column);
    return j;
}

int dc_cli_check(int argc, char **argv)
{
    const char *air_path = NULL, *cand_path = NULL;
    dc_params p = DC_PARAMS_DEFAULT;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h"))
            return usage(stdout);
        if (i + 1 >= argc) {
            fprintf(stderr, "deconflict check: %s needs a value\n", a);
            return usage(stderr);
        }
        const char *v = argv[++i];
        double d;
        if (!strcmp(a, "--airspace"))
            air_path = v;
        else if (!strcmp(a, "--candidate"))
            cand_path = v;
        else if (!strcmp(a, "--h") && !parse_num(v, &d) && d > 0)
            p.h_m = d;
        else if (!strcmp(a, "--v") && !parse_num(v, &d) && d >= 0)
            p.v_m = d;
        else if (!strcmp(a, "--t") && !parse_num(v, &d) && d >= 0 && d < 1e12 && d == floor(d))
            p.t_s = (int64_t)d;
        else /* --h > 0, --v >= 0, --t >= 0 whole seconds */
            return dc__cli_bad_arg("check", "--airspace --candidate --h --v --t", argc, argv,
                                   i - 1);
    }
    if (!air_path || !cand_path) {
        fprintf(stderr, "deconflict check: --airspace and --candidate are required\n");
        return usage(stderr);
    }
    int rc = 2;
    names ns = {0};
    dc_engine *e = dc_engine_new();
    dc_volume *cvols = NULL;
    size_t cn = 0;
    dc_conflict *out = NULL;
    json_t *air = load_json(air_path), *cand = air ? load_json(cand_path) : NULL;
    if (!e || !air || !cand)
        goto done;
    dc_error err = {{0}, {0}};
    if (!json_is_object(air)) {
        dc_error_set(&err, "(root)", "must be an object with operations and restrictions");
        rc = fail(air_path, &err);
        goto done;
    }
    static const char *const lists[2] = {"operations", "restrictions"};
    for (int r = 0; r < 2; r++) {
        json_t *arr = json_object_get(air, lists[r]);
        if (arr && !json_is_array(arr)) {
            dc_error_set(&err, lists[r], "must be an array");
            rc = fail(air_path, &err);
            goto done;
        }
        for (size_t i = 0; arr && i < json_array_size(arr); i++) {
            char f[64];
            snprintf(f, sizeof f, "%s[%zu]", lists[r], i);
            if (load_entry(e, &ns, json_array_get(arr, i), f, r, air_path) != 0)
                goto done;
        }
    }
    if (!json_is_object(cand)) {
        dc_error_set(&err, "(root)", "must be an operation object");
        rc = fail(cand_path, &err);
        goto done;
    }
    const char *op = json_string_value(json_object_get(cand, "operator"));
    uint32_t owner;
    if (!op || !*op || name_num(&ns, op, &owner) != 0) {
        dc_error_set(&err, "operator", "is required (a non-empty string)");
        rc = fail(cand_path, &err);
        goto done;
    }
    dc_status s = dc_json_volumes(json_object_get(cand, "volumes"), "volumes",
                                  MAX_VOLUMES_PER_ENTRY, DC_MAX_WINDOW_S, &cvols, &cn, &err);
    if (s != DC_OK) {
        rc = s == DC_EINVAL ? fail(cand_path, &err) : 2;
        goto done;
    }
    size_t found = 0, cap = 1024;
    for (;;) {
        dc_free(out);
        out = dc_calloc(cap, sizeof *out);
        if (!out || dc_engine_check(e, owner, cvols, cn, &p, NULL, out, cap, &found) != DC_OK)
            goto done;
        if (found <= cap)
            break;
        cap = found;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < found; i++)
        json_array_append_new(arr, json_pack("{s:i, s:s, s:i, s:f, s:f}", "candidate_volume",
                                             (json_int_t)out[i].cand_volume, "with", out[i].with_id,
                                             "volume", (json_int_t)out[i].volume, "distance_m",
                                             round(out[i].distance_m * 10) / 10, "distance_nm",
                                             round(out[i].distance_m / 1852 * 100) / 100));
    json_t *res = json_pack("{s:o}", "conflicts", arr);
    char *txt = json_dumps(res, JSON_COMPACT | JSON_REAL_PRECISION(12));
    json_decref(res);
    if (!txt)
        goto done;
    puts(txt);
    free(txt);
    rc = found ? 1 : 0;
done:
    dc_free(out);
    dc_volumes_free(cvols, cn);
    json_decref(air);
    json_decref(cand);
    dc_engine_free(e);
    names_free(&ns);
    return rc;
}
