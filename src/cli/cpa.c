/* `deconflict cpa`: offline tactical detection, a stable contract for later
 * checks. Reads position reports (one JSON object a line, with "operator"),
 * runs one detection pass at the latest report time and prints the predicted
 * losses of separation. Exit 0 clear, 1 conflicts, 2 invalid input (reason on
 * stderr naming the line and field, nothing on stdout). */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "deconflict/tactical.h"

static int usage(FILE *f)
{
    fprintf(f, "usage: deconflict cpa --tracks FILE.jsonl [--lookahead S] [--h M] [--v M]\n"
               "                      [--stale S]\n\n"
               "Predicts losses of separation between tracks of different operators\n"
               "(docs/design.md section 6). Each line of FILE (\"-\": stdin) is a report:\n"
               "  {\"operator\":\"op1\",\"track_id\":\"V11\",\"time\":\"2024-05-01T12:00:00Z\",\n"
               "   \"lat\":33.1,\"lon\":44.2,\"alt_m\":9000,\"ground_speed_mps\":200,\n"
               "   \"track_deg\":90,\"vertical_rate_mps\":0}\n"
               "(time may also be seconds UTC). Every track is extrapolated to the latest\n"
               "report time; tracks older than --stale (default 30 s) are dropped; a\n"
               "track's latest report wins. Defaults: --lookahead 300 --h 9260 --v 305.\n"
               "Prints {\"conflicts\":[{\"a\":\"op/track\",\"b\":..,\"t_in_s\":..,\"t_cpa_s\":..,\n"
               "\"d_cpa_m\":..,\"d_cpa_nm\":..,\"los_now\":..}]} with a < b, sorted; times from "
               "the latest\n"
               "report time. Exit status: 0 clear, 1 conflicts, 2 invalid input.\n");
    return f == stdout ? 0 : 2;
}

/* Parsed input: reports borrow their strings from lines[i]; operator
 * numbers index the keys of ops (name -> number). */
typedef struct input {
    json_t **lines;
    dc_track_report *reports;
    size_t n, cap;
    json_t *ops;
    const char **op_names;
    size_t n_ops;
} input;

static void input_free(input *in)
{
    for (size_t i = 0; i < in->n; i++)
        json_decref(in->lines[i]);
    free(in->lines);
    free(in->reports);
    free(in->op_names);
    json_decref(in->ops);
}

static int blank(const char *s)
{
    for (; *s; s++)
        if (!strchr(" \t\r\n", *s))
            return 0;
    return 1;
}

/* Operator name to number, by first appearance. -1 on allocation failure. */
static int op_number(input *in, const char *name, uint32_t *out)
{
    json_t *num = json_object_get(in->ops, name);
    if (num) {
        *out = (uint32_t)json_integer_value(num);
        return 0;
    }
    const char **names = realloc(in->op_names, (in->n_ops + 1) * sizeof *names);
    if (!names)
        return -1;
    in->op_names = names;
    if (json_object_set_new(in->ops, name, json_integer((json_int_t)in->n_ops)))
        return -1;
    /* The key stays alive in ops; keep a pointer to it by number. */
    void *it = json_object_iter_at(in->ops, name);
    names[in->n_ops] = json_object_iter_key(it);
    *out = (uint32_t)in->n_ops++;
    return 0;
}

/* Parses one line into in; returns 0, or prints why and returns 2. */
static int add_line(input *in, const char *text, size_t lineno)
{
    json_error_t je;
    json_t *j = json_loads(text, JSON_REJECT_DUPLICATES, &je);
    if (!j) {
        fprintf(stderr, "deconflict cpa: line %zu: invalid JSON: %s\n", lineno, je.text);
        return 2;
    }
    dc_error err;
    const char *op = json_string_value(json_object_get(j, "operator"));
    uint32_t opn = 0;
    if (!json_is_object(j)) {
        snprintf(err.field, sizeof err.field, "report");
        snprintf(err.reason, sizeof err.reason, "must be an object");
        goto fail;
    }
    if (!op || !*op || strlen(op) > 63) {
        snprintf(err.field, sizeof err.field, "operator");
        snprintf(err.reason, sizeof err.reason, "must be a string of 1 to 63 bytes");
        goto fail;
    }
    if (in->n == in->cap) {
        size_t nc = in->cap ? in->cap * 2 : 256;
        json_t **nl = realloc(in->lines, nc * sizeof *nl);
        if (nl)
            in->lines = nl;
        dc_track_report *nr = nl ? realloc(in->reports, nc * sizeof *nr) : NULL;
        if (!nr)
            goto fail_nomem;
        in->reports = nr;
        in->cap = nc;
    }
    if (op_number(in, op, &opn))
        goto fail_nomem;
    if (dc_json_track_report(j, NULL, opn, &in->reports[in->n], &err) != DC_OK)
        goto fail;
    in->lines[in->n++] = j;
    return 0;
fail:
    fprintf(stderr, "deconflict cpa: line %zu: %s: %s\n", lineno, err.field, err.reason);
    json_decref(j);
    return 2;
fail_nomem:
    fprintf(stderr, "deconflict cpa: out of memory\n");
    json_decref(j);
    return 2;
}

static int read_input(const char *path, input *in)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
    if (!f) {
        fprintf(stderr, "deconflict cpa: %s: %s\n", path, strerror(errno));
        return 2;
    }
    char *line = NULL;
    size_t len = 0, lineno = 0;
    int rc = 0;
    while (!rc && getline(&line, &len, f) != -1) {
        lineno++;
        if (!blank(line))
            rc = add_line(in, line, lineno);
    }
    if (!rc && ferror(f)) {
        fprintf(stderr, "deconflict cpa: %s: read error\n", path);
        rc = 2;
    }
    free(line);
    if (f != stdin)
        fclose(f);
    return rc;
}

typedef struct row {
    char a[128], b[128]; /* operator and track ids are at most 63 bytes */
    const dc_tactical_conflict *c;
} row;

static int row_cmp(const void *x, const void *y)
{
    const row *p = x, *q = y;
    int d = strcmp(p->a, q->a);
    return d ? d : strcmp(p->b, q->b);
}

static double rounded(double x)
{
    return round(x * 1000) / 1000;
}

/* Prints the conflicts sorted by (a, b); returns the exit code. */
static int print_conflicts(const input *in, const dc_tactical_conflict *c, size_t n)
{
    row *rows = calloc(n ? n : 1, sizeof *rows);
    json_t *arr = json_array(), *out = json_object();
    int rc = 2;
    if (!rows || !arr || !out)
        goto done;
    for (size_t i = 0; i < n; i++) {
        snprintf(rows[i].a, sizeof rows[i].a, "%s/%s", in->op_names[c[i].a.operator_number],
                 c[i].a.track_id);
        snprintf(rows[i].b, sizeof rows[i].b, "%s/%s", in->op_names[c[i].b.operator_number],
                 c[i].b.track_id);
        if (strcmp(rows[i].a, rows[i].b) > 0) {
            row t = rows[i];
            snprintf(rows[i].a, sizeof rows[i].a, "%s", t.b);
            snprintf(rows[i].b, sizeof rows[i].b, "%s", t.a);
        }
        rows[i].c = &c[i];
    }
    qsort(rows, n, sizeof *rows, row_cmp);
    for (size_t i = 0; i < n; i++) {
        const dc_tactical_conflict *k = rows[i].c;
        /* d_cpa_nm: aviation reads horizontal distance in NM. */
        json_t *o = json_pack("{s:s, s:s, s:f, s:f, s:f, s:f, s:b}", "a", rows[i].a, "b", rows[i].b,
                              "t_in_s", rounded(k->t_in_s), "t_cpa_s", rounded(k->t_cpa_s),
                              "d_cpa_m", rounded(k->d_cpa_m), "d_cpa_nm",
                              round(k->d_cpa_m / 1852 * 100) / 100, "los_now", k->los_now);
        if (!o || json_array_append_new(arr, o))
            goto done;
    }
    if (json_object_set(out, "conflicts", arr))
        goto done;
    char *text = json_dumps(out, JSON_COMPACT | JSON_REAL_PRECISION(12));
    if (!text)
        goto done;
    puts(text);
    free(text);
    rc = n ? 1 : 0;
done:
    if (rc == 2)
        fprintf(stderr, "deconflict cpa: out of memory\n");
    json_decref(arr);
    json_decref(out);
    free(rows);
    return rc;
}

int dc_cli_cpa(int argc, char **argv)
{
    const char *path = NULL;
    dc_tactical_params p = DC_TACTICAL_PARAMS_DEFAULT;
    dc_error err;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h"))
            return usage(stdout);
        if (i + 1 >= argc) {
            fprintf(stderr, "deconflict cpa: %s: missing value or unknown option\n", a);
            return usage(stderr);
        }
        const char *v = argv[++i];
        const char *name = !strcmp(a, "--lookahead") ? "lookahead_s"
                           : !strcmp(a, "--h")       ? "h_m"
                           : !strcmp(a, "--v")       ? "v_m"
                           : !strcmp(a, "--stale")   ? "stale_s"
                                                     : NULL;
        if (!strcmp(a, "--tracks")) {
            path = v;
        } else if (!name) {
            fprintf(stderr, "deconflict cpa: unknown option %s\n", a);
            return usage(stderr);
        } else if (dc_tactical_params_set(&p, name, v, &err) != DC_OK) {
            fprintf(stderr, "deconflict cpa: %s: %s\n", a, err.reason);
            return 2;
        }
    }
    if (!path) {
        fprintf(stderr, "deconflict cpa: --tracks is required\n");
        return usage(stderr);
    }
    input in = {.ops = json_object()};
    dc_tactical *t = dc_tactical_new(&p);
    int rc = 2;
    if (!in.ops || !t) {
        fprintf(stderr, "deconflict cpa: out of memory\n");
        goto done;
    }
    rc = read_input(path, &in);
    if (rc)
        goto done;
    double now = -HUGE_VAL;
    for (size_t i = 0; i < in.n; i++)
        now = in.reports[i].time_s > now ? in.reports[i].time_s : now;
    rc = 2;
    if (in.n && (dc_tactical_ingest(t, in.reports, in.n, NULL, &err) != DC_OK ||
                 dc_tactical_pass(t, now, DC_TAC_BROAD_PHASE, NULL) != DC_OK)) {
        fprintf(stderr, "deconflict cpa: detection failed: %s: %s\n", err.field, err.reason);
        goto done;
    }
    size_t n = 0;
    const dc_tactical_conflict *c = in.n ? dc_tactical_conflicts(t, &n) : NULL;
    rc = print_conflicts(&in, c, n);
done:
    dc_tactical_free(t);
    input_free(&in);
    return rc;
}
