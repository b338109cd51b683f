/* Broad phase of tactical detection: each track's path over [now, now + T]
 * is boxed in lon/lat/alt (grown by half the separation plus a slack that
 * covers the frame approximations), boxes are bucketed in a uniform lon/lat
 * grid, and each overlapping pair is tested exactly once, in the cell holding
 * the lower corner of the two boxes' intersection. Boxes crossing the
 * antimeridian get a copy shifted by -360 (copy-copy pairs are skipped, they
 * repeat the originals). Buffers persist across passes (high-water mark). */
#include <math.h>
#include <string.h>

#include "tactical/tactical_int.h"

#define DEG (M_PI / 180.0)
#define MEAN_RADIUS_M 6371008.8
#define M_PER_DEG_MIN 110000.0 /* below the shortest degree of latitude */
#define COPY_BIT 0x80000000u
/* Cell side as a multiple of the mean box side: bigger cells repeat fewer
 * boxes and the lat0-ordered sweep keeps their scan short (1.5-2 measured
 * best on bench_tactical). */
#define CELL_FACTOR 1.5

dc_status dc__tac_reserve(void **buf, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return DC_OK;
    size_t c = *cap ? *cap : 64;
    while (c < need)
        c *= 2;
    if (c > (size_t)-1 / elem)
        return DC_ENOMEM;
    void *p = dc_realloc(*buf, c * elem);
    if (!p)
        return DC_ENOMEM;
    *buf = p;
    *cap = c;
    return DC_OK;
}

dc_status dc__tac_pairs_push(dc__tac_pairs *pairs, uint32_t i, uint32_t j, const dc__tac_hit *h)
{
    if (dc__tac_reserve((void **)&pairs->v, &pairs->cap, pairs->n + 1, sizeof *pairs->v))
        return DC_ENOMEM;
    pairs->v[pairs->n++] = (dc__tac_pair){i, j, *h};
    return DC_OK;
}

void dc__tac_grid_free(dc__tac_grid *g)
{
    dc_free(g->boxes);
    dc_free(g->cell_start);
    dc_free(g->entries);
    dc_free(g->orig_lon0);
    memset(g, 0, sizeof *g);
}

/* Point at distance s_m along azimuth az from (lat, lon) on the sphere;
 * lon is returned unwrapped relative to lon_deg. */
static void sphere_direct(double lat_deg, double lon_deg, double az_deg, double s_m,
                          double *lat_out, double *lon_out)
{
    if (s_m == 0) {
        *lat_out = lat_deg;
        *lon_out = lon_deg;
        return;
    }
    double phi = lat_deg * DEG, az = az_deg * DEG, d = s_m / MEAN_RADIUS_M;
    double sp = sin(phi), cp = cos(phi), sd = sin(d), cd = cos(d);
    double sp2 = sp * cd + cp * sd * cos(az);
    if (sp2 > 1)
        sp2 = 1;
    if (sp2 < -1)
        sp2 = -1;
    *lat_out = asin(sp2) / DEG;
    *lon_out = lon_deg + atan2(sin(az) * sd * cp, cd - sp * sp2) / DEG;
}

/* Box of kin k's path over [0, T], with its antimeridian copy when needed.
 * Returns the number of boxes written (1 or 2). */
static int make_boxes(const dc__tac_kin *k, uint32_t idx, const dc_tactical_params *p,
                      dc__tac_box *out)
{
    double s0 = k->gs_mps * k->dt_s, s1 = k->gs_mps * (k->dt_s + p->lookahead_s);
    double la0, lo0, la1, lo1;
    sphere_direct(k->lat_deg, k->lon_deg, k->track_deg, s0, &la0, &lo0);
    sphere_direct(k->lat_deg, k->lon_deg, k->track_deg, s1, &la1, &lo1);
    double reach = fabs(s0) > fabs(s1) ? fabs(s0) : fabs(s1);
    double lat_lo = la0 < la1 ? la0 : la1, lat_hi = la0 < la1 ? la1 : la0;
    double abs_lat = fabs(lat_lo) > fabs(lat_hi) ? fabs(lat_lo) : fabs(lat_hi);
    double tan_lat = abs_lat < 89 ? tan(abs_lat * DEG) : 60;
    /* Slack for the sphere endpoints (0.5 % of reach), great-circle bulge and
     * the pair frames' curvature (second order in reach), float rounding. */
    double slack = 200 + 0.005 * reach + reach * reach * (1 + tan_lat) / (2 * MEAN_RADIUS_M);
    double margin = p->h_m / 2 + slack;
    double dlat = margin / M_PER_DEG_MIN;
    lat_lo -= dlat;
    lat_hi += dlat;
    double lon_lo, lon_hi;
    double top = fabs(lat_lo) > fabs(lat_hi) ? fabs(lat_lo) : fabs(lat_hi);
    double cosmax = top < 90 ? cos(top * DEG) : 0;
    double dlon = cosmax > 0 ? margin / (M_PER_DEG_MIN * cosmax) : 360;
    if (top >= 89.5 || dlon >= 90) {
        lon_lo = -180;
        lon_hi = 180;
    } else {
        lon_lo = (lo0 < lo1 ? lo0 : lo1) - dlon;
        lon_hi = (lo0 < lo1 ? lo1 : lo0) + dlon;
        while (lon_lo < -180) {
            lon_lo += 360;
            lon_hi += 360;
        }
        while (lon_lo >= 180) {
            lon_lo -= 360;
            lon_hi -= 360;
        }
    }
    double z0 = k->alt_now_m, z1 = k->alt_now_m + k->vz_mps * p->lookahead_s;
    double zm = p->v_m / 2 + 1;
    dc__tac_box b = {
        .lon0 = (float)lon_lo,
        .lon1 = (float)lon_hi,
        .lat0 = (float)(lat_lo > -90 ? lat_lo : -90),
        .lat1 = (float)(lat_hi < 90 ? lat_hi : 90),
        .alt0 = (float)((z0 < z1 ? z0 : z1) - zm),
        .alt1 = (float)((z0 < z1 ? z1 : z0) + zm),
        .k = idx,
        .op = k->op,
    };
    out[0] = b;
    if (lon_hi <= 180)
        return 1;
    b.lon0 = (float)(lon_lo - 360);
    b.lon1 = (float)(lon_hi - 360);
    b.k = idx | COPY_BIT;
    out[1] = b;
    return 2;
}

typedef struct grid_geom {
    double x0, y0, inv_w, inv_h;
    int ncols, nrows;
} grid_geom;

static inline int col_of(const grid_geom *gg, float x)
{
    int c = (int)floor(((double)x - gg->x0) * gg->inv_w);
    return c < 0 ? 0 : c >= gg->ncols ? gg->ncols - 1 : c;
}

static inline int row_of(const grid_geom *gg, float y)
{
    int r = (int)floor(((double)y - gg->y0) * gg->inv_h);
    return r < 0 ? 0 : r >= gg->nrows ? gg->nrows - 1 : r;
}

static inline int boxes_overlap(const dc__tac_box *a, const dc__tac_box *b)
{
    return a->lon0 <= b->lon1 && b->lon0 <= a->lon1 && a->lat0 <= b->lat1 && b->lat0 <= a->lat1 &&
           a->alt0 <= b->alt1 && b->alt0 <= a->alt1;
}

static int lat0_cmp(const void *x, const void *y)
{
    const dc__tac_box *a = x, *b = y;
    return (a->lat0 > b->lat0) - (a->lat0 < b->lat0);
}

/* Chooses cells about the mean box size, at most ~4 per box. */
static void plan_grid(const dc__tac_box *boxes, size_t n, grid_geom *gg)
{
    double x0 = HUGE_VAL, x1 = -HUGE_VAL, y0 = HUGE_VAL, y1 = -HUGE_VAL, sw = 0, sh = 0;
    for (size_t i = 0; i < n; i++) {
        const dc__tac_box *b = &boxes[i];
        x0 = b->lon0 < x0 ? b->lon0 : x0;
        x1 = b->lon1 > x1 ? b->lon1 : x1;
        y0 = b->lat0 < y0 ? b->lat0 : y0;
        y1 = b->lat1 > y1 ? b->lat1 : y1;
        sw += (double)b->lon1 - b->lon0;
        sh += (double)b->lat1 - b->lat0;
    }
    double w = sw / (double)n * CELL_FACTOR, h = sh / (double)n * CELL_FACTOR;
    if (!(w > 1e-6))
        w = 1e-6;
    if (!(h > 1e-6))
        h = 1e-6;
    double cols = (x1 - x0) / w + 1, rows = (y1 - y0) / h + 1;
    double limit = 4.0 * (double)n + 1024;
    if (cols * rows > limit) {
        double f = sqrt(cols * rows / limit);
        w *= f;
        h *= f;
        cols = (x1 - x0) / w + 1;
        rows = (y1 - y0) / h + 1;
    }
    gg->x0 = x0;
    gg->y0 = y0;
    gg->inv_w = 1 / w;
    gg->inv_h = 1 / h;
    gg->ncols = (int)cols < 1 ? 1 : (int)cols;
    gg->nrows = (int)rows < 1 ? 1 : (int)rows;
}

/* Visits the cells box b covers: without entries, counts it in cursor[cell];
 * with entries, stores it at entries[cursor[cell]++]. Returns the cells. */
static size_t place(const grid_geom *gg, const dc__tac_box *b, uint32_t *cursor,
                    dc__tac_box *entries)
{
    int c0 = col_of(gg, b->lon0), c1 = col_of(gg, b->lon1);
    int r0 = row_of(gg, b->lat0), r1 = row_of(gg, b->lat1);
    for (int r = r0; r <= r1; r++)
        for (int c = c0; c <= c1; c++) {
            uint32_t *cur = &cursor[(size_t)r * (size_t)gg->ncols + (size_t)c];
            if (entries)
                entries[(*cur)++] = *b;
            else
                (*cur)++;
        }
    return (size_t)(r1 - r0 + 1) * (size_t)(c1 - c0 + 1);
}

typedef struct scan {
    grid_geom gg;
    const float *orig_lon0; /* by kin index: lon0 of the track's original box */
    const dc__tac_kin *kin;
    const dc_tactical_params *p;
    dc__tac_pairs *pairs;
    uint64_t *examined;
} scan;

/* A pair involving an antimeridian copy is a repeat when the two originals
 * overlap too (lat/alt are the same, and an original always reaches past
 * the other's copy in lon: only the lower lon bound can fail). */
static int repeats_original(const scan *sc, const dc__tac_box *a, const dc__tac_box *b)
{
    if (a->k & b->k & COPY_BIT)
        return 1;
    if (b->k & COPY_BIT)
        return sc->orig_lon0[b->k & ~COPY_BIT] <= a->lon1;
    if (a->k & COPY_BIT)
        return sc->orig_lon0[a->k & ~COPY_BIT] <= b->lon1;
    return 0;
}

/* Tests every overlapping pair of one cell whose intersection's lower corner
 * lies in this cell. */
static dc_status scan_cell(const scan *sc, int cx, int cy, const dc__tac_box *e, size_t m)
{
    for (size_t a = 0; a < m; a++) {
        const dc__tac_box *ba = &e[a];
        for (size_t b = a + 1; b < m; b++) {
            const dc__tac_box *bb = &e[b];
            if (bb->lat0 > ba->lat1)
                break;
            if (!dc__tac_ops_differ(ba->op, bb->op) || !boxes_overlap(ba, bb))
                continue;
            if (col_of(&sc->gg, ba->lon0 > bb->lon0 ? ba->lon0 : bb->lon0) != cx ||
                row_of(&sc->gg, ba->lat0 > bb->lat0 ? ba->lat0 : bb->lat0) != cy ||
                repeats_original(sc, ba, bb))
                continue;
            uint32_t i = ba->k & ~COPY_BIT, j = bb->k & ~COPY_BIT;
            if (i > j) {
                uint32_t t = i;
                i = j;
                j = t;
            }
            (*sc->examined)++;
            dc__tac_hit h;
            if (dc__tac_cpa(&sc->kin[i], &sc->kin[j], sc->p, &h) &&
                dc__tac_pairs_push(sc->pairs, i, j, &h))
                return DC_ENOMEM;
        }
    }
    return DC_OK;
}

dc_status dc__tac_detect_grid(dc__tac_grid *g, const dc__tac_kin *kin, size_t n,
                              const dc_tactical_params *p, dc__tac_pairs *pairs, uint64_t *examined)
{
    if (n < 2)
        return DC_OK;
    if (dc__tac_reserve((void **)&g->boxes, &g->cap_boxes, 2 * n, sizeof *g->boxes) ||
        dc__tac_reserve((void **)&g->orig_lon0, &g->cap_orig, n, sizeof *g->orig_lon0))
        return DC_ENOMEM;
    g->n_boxes = 0;
    for (size_t i = 0; i < n; i++) {
        dc__tac_box *b = &g->boxes[g->n_boxes];
        g->n_boxes += (size_t)make_boxes(&kin[i], (uint32_t)i, p, b);
        g->orig_lon0[i] = b->lon0;
    }
    /* Boxes in lat0 order stay so in every cell (the fill is stable), so a
     * cell's scan can stop at the first box starting above the current one. */
    qsort(g->boxes, g->n_boxes, sizeof *g->boxes, lat0_cmp);
    scan sc = {.orig_lon0 = g->orig_lon0, .kin = kin, .p = p, .pairs = pairs, .examined = examined};
    grid_geom gg;
    plan_grid(g->boxes, g->n_boxes, &gg);
    sc.gg = gg;
    size_t ncells = (size_t)gg.ncols * (size_t)gg.nrows;
    if (dc__tac_reserve((void **)&g->cell_start, &g->cap_cells, ncells + 1, sizeof *g->cell_start))
        return DC_ENOMEM;
    uint32_t *start = g->cell_start;
    memset(start, 0, (ncells + 1) * sizeof *start);
    size_t total = 0;
    for (size_t i = 0; i < g->n_boxes; i++)
        total += place(&gg, &g->boxes[i], start + 1, NULL);
    if (total > UINT32_MAX)
        return DC_ELIMIT;
    if (dc__tac_reserve((void **)&g->entries, &g->cap_entries, total, sizeof *g->entries))
        return DC_ENOMEM;
    for (size_t c = 0; c < ncells; c++)
        start[c + 1] += start[c];
    /* Fill by advancing start[cell]; afterwards start[c] is cell c's end,
     * and cell c begins at start[c - 1] (0 for the first). */
    for (size_t i = 0; i < g->n_boxes; i++)
        place(&gg, &g->boxes[i], start, g->entries);
    for (int r = 0; r < gg.nrows; r++)
        for (int c = 0; c < gg.ncols; c++) {
            size_t cell = (size_t)r * (size_t)gg.ncols + (size_t)c;
            size_t s = cell ? start[cell - 1] : 0;
            dc_status st = scan_cell(&sc, c, r, &g->entries[s], start[cell] - s);
            if (st != DC_OK)
                return st;
        }
    return DC_OK;
}

dc_status dc__tac_detect_brute(const dc__tac_kin *kin, size_t n, const dc_tactical_params *p,
                               dc__tac_pairs *pairs, uint64_t *examined)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++) {
            if (!dc__tac_ops_differ(kin[i].op, kin[j].op))
                continue;
            (*examined)++;
            dc__tac_hit h;
            if (dc__tac_cpa(&kin[i], &kin[j], p, &h) &&
                dc__tac_pairs_push(pairs, (uint32_t)i, (uint32_t)j, &h))
                return DC_ENOMEM;
        }
    return DC_OK;
}
