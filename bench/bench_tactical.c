/* Tactical detection benchmark (issue 4, item 7): seeded sets of 1,000,
 * 10,000 and 100,000 tracks over 30-60 N, 10 W-40 E at 5-13 km and 60-250
 * m/s, and a dense set (10,000 tracks in 300 x 300 km). Per set: time of a
 * full detection pass on one core (300 s look-ahead), pairs given to the
 * exact test, conflicts; brute force beside it up to 20,000 tracks, with the
 * pair sets compared; and in-library ingestion rate. Progress on stderr. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_rand.h"
#include "deconflict/tactical.h"

#define NOW_S 1714564800.0
#define N_OPERATORS 20
#define BRUTE_MAX 20000
#define TARGET_MS 500.0

typedef struct workload {
    const char *name;
    size_t n;
    double lat0, lat1, lon0, lon1;
} workload;

/* Reports up to 5 s old; 30 % climbing or descending at up to 15 m/s; one
 * track in 50 unknown traffic. Ids go to ids (n x 16 bytes). */
static void generate(const workload *w, dc_track_report *r, char (*ids)[16], double t_s)
{
    double s0 = sin(w->lat0 * M_PI / 180), s1 = sin(w->lat1 * M_PI / 180);
    for (size_t i = 0; i < w->n; i++) {
        snprintf(ids[i], sizeof ids[i], "T%zu", i);
        double u = rnd();
        r[i] = (dc_track_report){
            .operator_number =
                u < 0.02 ? DC_TRACK_OPERATOR_UNKNOWN : (uint32_t)(rnd() * N_OPERATORS),
            .track_id = ids[i],
            .time_s = t_s - 5 * rnd(),
            /* uniform over the area, not over degrees */
            .lat_deg = asin(s0 + (s1 - s0) * rnd()) * 180 / M_PI,
            .lon_deg = w->lon0 + (w->lon1 - w->lon0) * rnd(),
            .alt_m = 5000 + 8000 * rnd(),
            .ground_speed_mps = 60 + 190 * rnd(),
            .track_deg = 360 * rnd(),
            .vertical_rate_mps = rnd() < 0.3 ? 30 * rnd() - 15 : 0,
        };
    }
}

/* Copies the (a, b) track ids of the last pass's conflicts. */
static const char **pairs_of(const dc_tactical *t, size_t *n)
{
    const dc_tactical_conflict *c = dc_tactical_conflicts(t, n);
    const char **v = malloc((*n ? *n : 1) * 2 * sizeof *v);
    for (size_t i = 0; v && i < *n; i++) {
        v[2 * i] = c[i].a.track_id;
        v[2 * i + 1] = c[i].b.track_id;
    }
    return v;
}

static int run(const workload *w)
{
    dc_track_report *r = malloc(w->n * sizeof *r);
    char(*ids)[16] = malloc(w->n * sizeof *ids);
    dc_tactical *t = dc_tactical_new(NULL);
    int rc = 1;
    if (!r || !ids || !t)
        goto done;
    generate(w, r, ids, NOW_S);
    double t0 = now_ms();
    if (dc_tactical_ingest(t, r, w->n, NULL, NULL) != DC_OK)
        goto done;
    double ingest_ms = now_ms() - t0;
    /* Warm-up pass grows the buffers; timed passes then tick through 10 s
     * (tracks stay live: at most 15 s old), brute force at the last tick. */
    dc_tactical_stats s;
    if (dc_tactical_pass(t, NOW_S, DC_TAC_BROAD_PHASE, &s) != DC_OK)
        goto done;
    int reps = w->n >= 100000 ? 5 : w->n >= 10000 ? 10 : 50;
    double best = HUGE_VAL, sum = 0;
    for (int k = 1; k <= reps; k++) {
        t0 = now_ms();
        if (dc_tactical_pass(t, NOW_S + 10.0 * k / reps, DC_TAC_BROAD_PHASE, &s) != DC_OK)
            goto done;
        double ms = now_ms() - t0;
        best = ms < best ? ms : best;
        sum += ms;
    }
    printf("%-18s %8zu %10.1f %10.1f %14" PRIu64 " %9zu %9.2f", w->name, w->n, sum / reps, best,
           s.pairs_examined, s.conflicts, w->n / ingest_ms * 1e3 / 1e6);
    if (w->n <= BRUTE_MAX) {
        size_t nb, nf;
        const char **broad = pairs_of(t, &nb);
        dc_tactical_stats sf;
        t0 = now_ms();
        if (!broad || dc_tactical_pass(t, NOW_S + 10, DC_TAC_BRUTE_FORCE, &sf) != DC_OK)
            goto done;
        double brute_ms = now_ms() - t0;
        const char **brute = pairs_of(t, &nf);
        int same = brute && nb == nf && !memcmp(broad, brute, nb * 2 * sizeof *broad);
        printf(" %11.1f %14" PRIu64 " %5s", brute_ms, sf.pairs_examined, same ? "yes" : "NO");
        free(broad);
        free(brute);
        if (!same)
            goto done;
    } else {
        printf(" %11s %14s %5s", "-", "-", "-");
    }
    printf("\n");
    fflush(stdout);
    rc = 0;
done:
    if (rc)
        fprintf(stderr, "bench_tactical: %s failed\n", w->name);
    dc_tactical_free(t);
    free(ids);
    free(r);
    return rc;
}

int main(int argc, char **argv)
{
    /* Dense: 300 x 300 km centred on 34 N 44 E. */
    double dlat = 150000 / 111000.0, dlon = 150000 / (111320.0 * cos(34 * M_PI / 180));
    const workload sets[] = {
        {"europe-1k", 1000, 30, 60, -10, 40},
        {"europe-10k", 10000, 30, 60, -10, 40},
        {"europe-100k", 100000, 30, 60, -10, 40},
        {"dense-10k-300km", 10000, 34 - dlat, 34 + dlat, 44 - dlon, 44 + dlon},
    };
    printf("tactical detection, one core, look-ahead 300 s, Ht 9260 m, Vt 305 m\n");
    printf("%-18s %8s %10s %10s %14s %9s %9s %11s %14s %5s\n", "set", "tracks", "pass_ms",
           "best_ms", "pairs_exact", "conflicts", "ingest_M/s", "brute_ms", "brute_pairs", "same");
    int rc = 0;
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
        if (argc > 1 && strcmp(argv[1], sets[i].name))
            continue; /* bench_tactical [SET]: one set only */
        fprintf(stderr, "bench_tactical: %s...\n", sets[i].name);
        rc |= run(&sets[i]);
    }
    printf("target: 100,000 tracks, full pass <= %.0f ms\n", TARGET_MS);
    return rc;
}
