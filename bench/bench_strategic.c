/* Strategic check benchmark (issue 2, item 6): seeded workloads country-week
 * (100,000 volumes over Iraq, 7 days) and continent-month (1,000,000 volumes
 * over 30-60 N, 10 W-40 E, 30 days); 10,000 candidates from the same
 * distribution are checked one at a time by the engine, then by PostGIS
 * (geography + GiST on (g, t), one prepared query per candidate over loopback),
 * and the answers are compared outside max(2 m, 0.2 %) of H.
 * PostGIS: $DC_PG_CONNINFO, else a throwaway cluster via
 * tests/support/pgcluster.sh (run from the repository root). Knobs:
 * BENCH_SCALE (volume counts, default 1), BENCH_CANDIDATES, BENCH_NO_PG=1,
 * BENCH_PG_INDEX (GiST columns). Progress goes to stderr. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../tests/oracle/pgutil.h"
#include "../tests/oracle/volgen.h"
#include "deconflict/deconflict.h"

#define EPOCH_S 1417478400 /* 2014-12-02T00:00:00Z */
#define N_OWNERS 20
#define MAX_REPORTED_DIFFS 5

typedef struct workload {
    const char *name;
    size_t n_volumes;
    double lat0, lat1, lon0, lon1;
    int days;
} workload;

typedef struct cand {
    dc_volume v;
    uint32_t owner;
    char *ewkt;
    uint32_t *found; /* engine's conflicting volume ids, sorted */
    size_t n_found;
} cand;

typedef struct result {
    double load_s, bytes_per_vol, vertices_per_vol, med_us, p99_us;
    size_t conflicts;
    int pg_ran;
    double pg_load_s, pg_med_us, pg_p99_us;
    size_t pg_queried, pg_conflicts, differ, near;
} result;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static double percentile(double *v, size_t n, double q)
{
    qsort(v, n, sizeof *v, cmp_double);
    size_t i = (size_t)ceil(q * (double)n);
    return v[i ? i - 1 : 0];
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "bench_strategic: out of memory\n");
        exit(2);
    }
    return p;
}

/* One volume of the workload's distribution: 2-50 km across, a third each
 * kind, window 30 min to 4 h, band 300-3000 m thick within 0-15000 m. */
static void gen_volume(vg_rng *r, const workload *w, size_t i, dc_volume *v, uint32_t *owner,
                       size_t *vertices)
{
    vg_shape s;
    dc_footprint *fp = NULL;
    dc_error err;
    for (;;) {
        vg_shape_random(r, (dc_footprint_kind)(i % 3 + 1), vg_uniform(r, 2000, 50000), 24, 6, &s);
        if (vg_footprint(&s, vg_uniform(r, w->lat0, w->lat1), vg_uniform(r, w->lon0, w->lon1), &fp,
                         &err) == DC_OK)
            break;
    }
    int64_t dur = vg_int(r, 1800, 14400);
    int64_t start = EPOCH_S + vg_int(r, 0, (int64_t)w->days * 86400 - dur);
    double thick = floor(vg_uniform(r, 300, 3000)), lo = floor(vg_uniform(r, 0, 15000 - thick));
    if (dc_volume_init(v, fp, lo, lo + thick, start, start + dur, DC_MAX_WINDOW_S, "volume",
                       &err) != DC_OK) {
        fprintf(stderr, "bench_strategic: %s: %s\n", err.field, err.reason);
        exit(2);
    }
    *owner = (uint32_t)vg_int(r, 0, N_OWNERS - 1);
    *vertices += s.n;
}

static double fp_radius(const dc_footprint *fp)
{
    return dc_footprint_kind_of(fp) == DC_FP_POLYGON ? 0.0 : dc_footprint_radius_m(fp);
}

/* COPY row: id, owner, core, radius, time range, altitude range. */
static void copy_row(pg_buf *b, size_t id, uint32_t owner, const dc_volume *v)
{
    pg_buf_printf(b, "%zu\t%u\t", id, owner);
    pg_buf_ewkt(b, v->fp);
    pg_buf_printf(b, "\t%.17g\t[%" PRId64 ",%" PRId64 ")\t[%.17g,%.17g]\n", fp_radius(v->fp),
                  v->t_start_s, v->t_end_s, v->alt_lower_m, v->alt_upper_m);
}

static void progress(const char *what, size_t done, size_t total, double t0)
{
    fprintf(stderr, "\r  %s: %zu/%zu (%.0f s)   ", what, done, total, now_s() - t0);
    if (done == total)
        fputc('\n', stderr);
}

/* ---- PostgreSQL ------------------------------------------------------------ */

static char g_pg_dir[256];

static void pg_cluster_stop(void)
{
    if (!g_pg_dir[0])
        return;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "tests/support/pgcluster.sh stop '%s'", g_pg_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_strategic: could not remove %s\n", g_pg_dir);
    g_pg_dir[0] = 0;
}

/* Returns a conninfo (static), starting a throwaway cluster if needed. */
static const char *pg_cluster_start(void)
{
    static char conninfo[256];
    const char *env = getenv("DC_PG_CONNINFO");
    if (env && *env)
        return env;
    snprintf(g_pg_dir, sizeof g_pg_dir, "/tmp/deconflict-bench.XXXXXX");
    if (!mkdtemp(g_pg_dir)) {
        perror("bench_strategic: mkdtemp");
        exit(2);
    }
    /* A benchmark cluster: nothing here needs to survive a crash. */
    setenv("PGCLUSTER_OPTS",
           "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=2GB"
           " -c maintenance_work_mem=2GB -c max_wal_size=16GB -c work_mem=64MB",
           1);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "tests/support/pgcluster.sh start '%s'", g_pg_dir);
    FILE *p = popen(cmd, "r");
    if (!p || !fgets(conninfo, sizeof conninfo, p) || pclose(p) != 0) {
        fprintf(stderr, "bench_strategic: cannot start PostgreSQL (%s)\n", cmd);
        rmdir(g_pg_dir);
        g_pg_dir[0] = 0;
        exit(2);
    }
    atexit(pg_cluster_stop);
    conninfo[strcspn(conninfo, "\n")] = 0;
    return conninfo;
}

/* Loads the volumes (COPY text in rows) and builds the indexes. */
static void pg_load(PGconn *c, const pg_buf *rows, size_t n, result *res)
{
    double t0 = now_s();
    pg_exec(c, "SET client_min_messages = warning");
    pg_exec(c, "CREATE EXTENSION IF NOT EXISTS postgis");
    pg_exec(c, "CREATE EXTENSION IF NOT EXISTS btree_gist");
    pg_exec(c, "DROP TABLE IF EXISTS vols");
    pg_exec(
        c,
        "CREATE UNLOGGED TABLE vols (id int PRIMARY KEY, owner int NOT NULL, g geography NOT NULL,"
        " r float8 NOT NULL, t int8range NOT NULL, alt numrange NOT NULL)");
    fprintf(stderr, "  PostGIS: COPY %zu volumes...\n", n);
    pg_copy(c, "COPY vols FROM STDIN", rows);
    /* (g, t) gave PostGIS its best median of (g), (g, t) and (g, t, alt):
     * 0.31 ms against 0.47 and 2.0 ms at continent-month. BENCH_PG_INDEX
     * ("g", "g, t, alt", ...) tries others. */
    const char *cols = getenv("BENCH_PG_INDEX") ? getenv("BENCH_PG_INDEX") : "g, t";
    char sql[256];
    snprintf(sql, sizeof sql, "CREATE INDEX vols_gist ON vols USING gist (%s)", cols);
    fprintf(stderr, "  PostGIS: GiST index (%s) and ANALYZE (%.0f s so far)...\n", cols,
            now_s() - t0);
    pg_exec(c, sql);
    pg_exec(c, "ANALYZE vols");
    res->pg_load_s = now_s() - t0;
}

/* Same rule as the engine: horizontal distance within H (prefiltered by the
 * index with the largest stored radius), altitude gap < V, time gap < T,
 * other owners only. */
static const char *const pg_query =
    "SELECT id FROM vols WHERE ST_DWithin(g, $1::geography, $2::float8)"
    " AND ST_DWithin(g, $1::geography, $3::float8 + r)"
    " AND t && int8range($4::int8, $5::int8, '[)')"
    " AND alt && numrange($6::numeric, $7::numeric, '()')"
    " AND owner <> $8::int";

static void pg_check_all(PGconn *c, cand *cs, size_t n, const dc_params *p, double r_max,
                         result *res, uint32_t **pg_found, size_t *pg_n)
{
    PGresult *pr = PQprepare(c, "check", pg_query, 8, NULL);
    if (PQresultStatus(pr) != PGRES_COMMAND_OK) {
        fprintf(stderr, "bench_strategic: prepare: %s", PQerrorMessage(c));
        exit(2);
    }
    PQclear(pr);
    double *lat = xmalloc(n * sizeof *lat), t0 = now_s();
    for (size_t i = 0; i < n; i++) {
        const dc_volume *v = &cs[i].v;
        char a2[32], a3[32], a4[32], a5[32], a6[32], a7[32], a8[16];
        double rc = fp_radius(v->fp);
        snprintf(a2, sizeof a2, "%.17g", p->h_m + rc + r_max);
        snprintf(a3, sizeof a3, "%.17g", p->h_m + rc);
        snprintf(a4, sizeof a4, "%" PRId64, v->t_start_s - p->t_s);
        snprintf(a5, sizeof a5, "%" PRId64, v->t_end_s + p->t_s);
        snprintf(a6, sizeof a6, "%.17g", v->alt_lower_m - p->v_m);
        snprintf(a7, sizeof a7, "%.17g", v->alt_upper_m + p->v_m);
        snprintf(a8, sizeof a8, "%u", cs[i].owner);
        const char *params[8] = {cs[i].ewkt, a2, a3, a4, a5, a6, a7, a8};
        double q0 = now_s();
        PGresult *r = PQexecPrepared(c, "check", 8, params, NULL, NULL, 0);
        lat[i] = (now_s() - q0) * 1e6;
        if (PQresultStatus(r) != PGRES_TUPLES_OK) {
            fprintf(stderr, "bench_strategic: query: %s", PQerrorMessage(c));
            exit(2);
        }
        size_t k = (size_t)PQntuples(r);
        pg_found[i] = xmalloc(k * sizeof **pg_found);
        for (size_t j = 0; j < k; j++)
            pg_found[i][j] = (uint32_t)strtoul(PQgetvalue(r, (int)j, 0), NULL, 10);
        qsort(pg_found[i], k, sizeof **pg_found, cmp_u32);
        pg_n[i] = k;
        res->pg_conflicts += k;
        PQclear(r);
        if ((i + 1) % 500 == 0 || i + 1 == n)
            progress("PostGIS checks", i + 1, n, t0);
    }
    res->pg_queried = n;
    res->pg_med_us = percentile(lat, n, 0.5);
    res->pg_p99_us = percentile(lat, n, 0.99);
    free(lat);
}

/* PostGIS footprint distance between a candidate and a stored volume. */
static double pg_distance(PGconn *c, const cand *cd, uint32_t id)
{
    char ids[16],
        sql[] =
            "SELECT ST_Distance(g, $1::geography) - r - $3::float8 FROM vols WHERE id = $2::int";
    char rc[32];
    snprintf(ids, sizeof ids, "%u", id);
    snprintf(rc, sizeof rc, "%.17g", fp_radius(cd->v.fp));
    const char *params[3] = {cd->ewkt, ids, rc};
    PGresult *r = PQexecParams(c, sql, 3, NULL, params, NULL, NULL, 0);
    double d = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1
                   ? strtod(PQgetvalue(r, 0, 0), NULL)
                   : NAN;
    PQclear(r);
    return fmax(0, d);
}

/* Counts pairs found by one side only; near-threshold ones are set apart. */
static void compare_answers(PGconn *c, cand *cs, size_t n, uint32_t **pg_found, size_t *pg_n,
                            const dc_params *p, uint64_t seed, const workload *w, result *res)
{
    double band = fmax(2, 0.002 * p->h_m);
    for (size_t i = 0; i < n; i++) {
        size_t a = 0, b = 0;
        while (a < cs[i].n_found || b < pg_n[i]) {
            uint32_t id;
            const char *side;
            if (b == pg_n[i] || (a < cs[i].n_found && cs[i].found[a] < pg_found[i][b]))
                id = cs[i].found[a++], side = "engine only";
            else if (a == cs[i].n_found || pg_found[i][b] < cs[i].found[a])
                id = pg_found[i][b++], side = "PostGIS only";
            else {
                a++, b++;
                continue;
            }
            double d = pg_distance(c, &cs[i], id);
            if (fabs(d - p->h_m) <= band) {
                res->near++;
                continue;
            }
            if (res->differ++ < MAX_REPORTED_DIFFS)
                printf("  DIFFER %s: %s seed %" PRIu64
                       " candidate %zu vs volume %u (PostGIS distance %.3f m)\n",
                       side, w->name, seed, i, id, d);
        }
    }
}

/* ---- one workload ---------------------------------------------------------- */

static void run_workload(const workload *w, size_t n_cand, uint64_t seed, int use_pg, result *res)
{
    const dc_params p = DC_PARAMS_DEFAULT;
    memset(res, 0, sizeof *res);
    printf(
        "\n== %s: %zu volumes over %.1f-%.1f N, %.1f-%.1f E, %d days; %zu candidates (seed %" PRIu64
        ")\n",
        w->name, w->n_volumes, w->lat0, w->lat1, w->lon0, w->lon1, w->days, n_cand, seed);
    fflush(stdout);
    vg_rng rng = {seed};
    dc_engine *e = dc_engine_new();
    pg_buf rows = {0};
    size_t vertices = 0;
    double gen_s = 0, t0 = now_s(), r_max = 0;
    for (size_t i = 0; i < w->n_volumes; i++) {
        dc_volume v;
        uint32_t owner;
        double g0 = now_s();
        gen_volume(&rng, w, i, &v, &owner, &vertices);
        r_max = fmax(r_max, fp_radius(v.fp));
        if (use_pg)
            copy_row(&rows, i, owner, &v);
        gen_s += now_s() - g0;
        char id[24];
        snprintf(id, sizeof id, "%zu", i);
        dc_entry_spec spec = {id, owner, 0, NULL, 0, (int)(i % 101)};
        dc_status s = dc_engine_add(e, &spec, &v, 1);
        if (s != DC_OK) {
            fprintf(stderr, "bench_strategic: dc_engine_add: %s\n", dc_status_str(s));
            exit(2);
        }
        if ((i + 1) % 50000 == 0 || i + 1 == w->n_volumes)
            progress("generate + load", i + 1, w->n_volumes, t0);
    }
    /* Load time excludes generating the shapes (footprint construction is
     * in it: dc_footprint_new is part of accepting a volume). */
    res->load_s = now_s() - t0 - gen_s;
    res->bytes_per_vol = (double)dc_engine_memory_bytes(e) / (double)w->n_volumes;
    res->vertices_per_vol = (double)vertices / (double)w->n_volumes;

    cand *cs = xmalloc(n_cand * sizeof *cs);
    size_t dummy = 0;
    for (size_t i = 0; i < n_cand; i++) {
        gen_volume(&rng, w, i, &cs[i].v, &cs[i].owner, &dummy);
        pg_buf b = {0};
        pg_buf_ewkt(&b, cs[i].v.fp);
        cs[i].ewkt = b.p;
    }
    size_t cap = 1 << 16;
    dc_conflict *out = xmalloc(cap * sizeof *out);
    double *lat = xmalloc(n_cand * sizeof *lat);
    t0 = now_s();
    for (size_t i = 0; i < n_cand; i++) {
        size_t nf = 0;
        double q0 = now_s();
        dc_status s = dc_engine_check(e, cs[i].owner, &cs[i].v, 1, &p, NULL, out, cap, &nf);
        lat[i] = (now_s() - q0) * 1e6;
        if (s != DC_OK || nf > cap) {
            fprintf(stderr, "bench_strategic: dc_engine_check: %s (%zu found)\n", dc_status_str(s),
                    nf);
            exit(2);
        }
        cs[i].found = xmalloc(nf * sizeof *cs[i].found);
        for (size_t j = 0; j < nf; j++)
            cs[i].found[j] = (uint32_t)strtoul(out[j].with_id, NULL, 10);
        qsort(cs[i].found, nf, sizeof *cs[i].found, cmp_u32);
        cs[i].n_found = nf;
        res->conflicts += nf;
    }
    res->med_us = percentile(lat, n_cand, 0.5);
    res->p99_us = percentile(lat, n_cand, 0.99);
    printf("  engine: load %.2f s (%.0f volumes/s), %.0f bytes/volume (%.1f vertices/volume),"
           " check median %.2f us, p99 %.2f us, max %.1f us, %zu conflicting pairs\n",
           res->load_s, (double)w->n_volumes / res->load_s, res->bytes_per_vol,
           res->vertices_per_vol, res->med_us, res->p99_us, lat[n_cand - 1], res->conflicts);
    fflush(stdout);
    free(lat);
    free(out);
    dc_engine_free(e);

    if (use_pg) {
        PGconn *c = pg_connect(pg_cluster_start());
        pg_load(c, &rows, w->n_volumes, res);
        uint32_t **pg_found = xmalloc(n_cand * sizeof *pg_found);
        size_t *pg_n = xmalloc(n_cand * sizeof *pg_n);
        pg_check_all(c, cs, n_cand, &p, r_max, res, pg_found, pg_n);
        compare_answers(c, cs, n_cand, pg_found, pg_n, &p, seed, w, res);
        res->pg_ran = 1;
        printf("  PostGIS: load + index %.1f s, query median %.1f us, p99 %.1f us (%zu candidates,"
               " prepared, loopback), %zu conflicting pairs\n",
               res->pg_load_s, res->pg_med_us, res->pg_p99_us, res->pg_queried, res->pg_conflicts);
        printf(
            "  answers: %zu pairs differ, %zu more differ within max(2 m, 0.2%%) of H (excluded);"
            " engine %.0fx faster at the median, %.0fx at p99\n",
            res->differ, res->near, res->pg_med_us / res->med_us, res->pg_p99_us / res->p99_us);
        for (size_t i = 0; i < n_cand; i++)
            free(pg_found[i]);
        free(pg_found);
        free(pg_n);
        pg_exec(c, "DROP TABLE vols");
        PQfinish(c);
    }
    for (size_t i = 0; i < n_cand; i++) {
        dc_volume_clear(&cs[i].v);
        free(cs[i].ewkt);
        free(cs[i].found);
    }
    free(cs);
    free(rows.p);
}

static double env_double(const char *name, double dflt)
{
    const char *s = getenv(name);
    char *end;
    if (!s || !*s)
        return dflt;
    double v = strtod(s, &end);
    if (*end || !(v > 0)) {
        fprintf(stderr, "bench_strategic: %s must be a positive number\n", name);
        exit(2);
    }
    return v;
}

int main(void)
{
    const double scale = env_double("BENCH_SCALE", 1);
    const size_t n_cand = (size_t)env_double("BENCH_CANDIDATES", 10000);
    const int use_pg = !(getenv("BENCH_NO_PG") && strcmp(getenv("BENCH_NO_PG"), "1") == 0);
    const workload ws[] = {
        {"country-week", (size_t)(100000 * scale), 29, 37.5, 38.8, 48.6, 7},
        {"continent-month", (size_t)(1000000 * scale), 30, 60, -10, 40, 30},
    };
    enum { NW = sizeof ws / sizeof ws[0] };
    result res[NW];
    printf(
        "bench_strategic: one candidate volume per check, single thread, clock_gettime per check;"
        " H %.0f m, V %.0f m, T %d s\n",
        DC_PARAMS_DEFAULT.h_m, DC_PARAMS_DEFAULT.v_m, (int)DC_PARAMS_DEFAULT.t_s);
    for (int i = 0; i < NW; i++)
        run_workload(&ws[i], n_cand, 20141202 + (uint64_t)i, use_pg, &res[i]);

    printf("\n%-16s %9s %7s %9s %8s %9s %9s %9s | %9s %9s %9s %7s %6s %8s %8s\n", "workload",
           "volumes", "load_s", "bytes/vol", "vert/vol", "med_us", "p99_us", "conflicts",
           "pg_load_s", "pg_med_us", "pg_p99_us", "differ", "near", "x_med", "x_p99");
    for (int i = 0; i < NW; i++) {
        const result *r = &res[i];
        printf("%-16s %9zu %7.2f %9.0f %8.1f %9.2f %9.2f %9zu | ", ws[i].name, ws[i].n_volumes,
               r->load_s, r->bytes_per_vol, r->vertices_per_vol, r->med_us, r->p99_us,
               r->conflicts);
        if (r->pg_ran)
            printf("%9.1f %9.1f %9.1f %7zu %6zu %7.0fx %7.0fx\n", r->pg_load_s, r->pg_med_us,
                   r->pg_p99_us, r->differ, r->near, r->pg_med_us / r->med_us,
                   r->pg_p99_us / r->p99_us);
        else
            printf("%9s\n", "skipped");
    }
    const result *cm = &res[NW - 1];
    /* "1 KB per volume plus its vertices": 16 bytes (a lat/lon pair) per vertex. */
    double per_vol_limit = 1024 + 16 * cm->vertices_per_vol;
    printf("\nbars (continent-month): median %.2f us <= 20: %s; p99 %.2f us <= 200: %s;"
           " memory %.0f B/volume <= %.0f (1 KB + 16 B x %.1f vertices): %s",
           cm->med_us, cm->med_us <= 20 ? "met" : "MISSED", cm->p99_us,
           cm->p99_us <= 200 ? "met" : "MISSED", cm->bytes_per_vol, per_vol_limit,
           cm->vertices_per_vol, cm->bytes_per_vol <= per_vol_limit ? "met" : "MISSED");
    if (cm->pg_ran)
        printf("; >= 20x PostGIS: %.0fx %s; same answers: %s", cm->pg_med_us / cm->med_us,
               cm->pg_med_us / cm->med_us >= 20 ? "met" : "MISSED",
               cm->differ == 0 ? "met" : "MISSED");
    printf("\n");
    return 0;
}
