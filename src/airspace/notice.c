/* Blind notice envelopes (docs/design.md section 5): for one volume, a
 * region that contains the volume grown by H, V and T, coarsened outward to
 * the deployment's grid. The footprint part is the footprint's bounding box
 * grown by H plus a safety margin and snapped outward to whole grid cells.
 * Invariant: every point within H of the footprint lies inside the envelope
 * polygon as the engine reads it (great-circle edges), so a volume outside
 * every notice can never conflict in blind mode. The east-west edges are
 * densified on grid points (every ~0.09 degree, where a great-circle step
 * bulges at most 1 m poleward off its parallel); the margin grows by twice
 * that bulge. A notice's id is an HMAC of the entry, the volume and the
 * requester under the server secret: stable for that requester only. */
#include <math.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "airspace/airspace.h"
#include "deconflict/aip.h"

#define ENV_MARGIN_M 50.0
#define M_PER_DEG_LAT_MIN 110574.0 /* meridian degree at the equator, the shortest */
#define M_PER_DEG_LON_EQ 111319.49 /* parallel degree at the equator (N >= a) */
#define EARTH_A_M 6378137.0
#define MAX_EDGE_VERTICES 4000
#define EDGE_SAG_MAX_M 1.0 /* bulge of one densified east-west step */

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

static int64_t ceil_div(int64_t a, int64_t b)
{
    return -floor_div(-a, b);
}

void dc__notice_clear(dc__notice *n)
{
    if (!n)
        return;
    dc_free(n->geom);
    dc_free(n->props);
    memset(n, 0, sizeof *n);
}

static void fmt_deg(dc__buf *b, double v)
{
    dc__buf_fmt(b, "%.10g", v);
}

dc_status dc__envelope(const dc_volume *v, const dc_server_config *cfg, const char *field,
                       dc_volume *env, dc__notice *out, dc_error *err)
{
    const double cells = cfg->grid_cells_per_deg;
    double la0, lo0, la1, lo1;
    dc_latlon *pts = NULL;
    dc_footprint *fp = NULL;
    dc__buf g = {0}, p = {0};
    dc_status rc;
    memset(out, 0, sizeof *out);
    memset(env, 0, sizeof *env);

    dc_footprint_bbox(v->fp, &la0, &lo0, &la1, &lo1);
    /* Longitude step of the densified edges: at most MAX_EDGE_VERTICES per
     * edge; the bulge of one step (<= dlon^2/16 rad) joins the margin. */
    double grow_m = cfg->params.h_m + ENV_MARGIN_M;
    double dlat = grow_m / M_PER_DEG_LAT_MIN;
    double lat_hi_abs = fmax(fabs(la0 - dlat), fabs(la1 + dlat));
    if (lat_hi_abs >= DC_MAX_ABS_LAT_DEG)
        return dc_error_set(err, field, "too close to the pole for a notice envelope (|lat| < %g)",
                            DC_MAX_ABS_LAT_DEG);
    double dlon = grow_m / (M_PER_DEG_LON_EQ * cos(lat_hi_abs * M_PI / 180.0));
    int64_t j0 = (int64_t)floor((lo0 - dlon) * cells), j1 = (int64_t)ceil((lo1 + dlon) * cells);
    int64_t step = (j1 - j0 + MAX_EDGE_VERTICES - 1) / MAX_EDGE_VERTICES;
    /* Steps as long as a bulge of EDGE_SAG_MAX_M allows: a country-wide
     * restriction is then a few hundred vertices, not thousands (the
     * margin grows by twice the bulge, absorbed by the snap in ~all cases). */
    int64_t sag_step =
        (int64_t)floor(sqrt(16.0 * EDGE_SAG_MAX_M / EARTH_A_M) * 180.0 / M_PI * cells);
    if (step < sag_step)
        step = sag_step;
    if (step < 1)
        step = 1;
    double step_rad = (double)step / cells * M_PI / 180.0;
    double sag_deg = step_rad * step_rad / 16.0 * 180.0 / M_PI;
    dlat += 2 * sag_deg;
    int64_t i0 = (int64_t)floor((la0 - dlat) * cells), i1 = (int64_t)ceil((la1 + dlat) * cells);
    if (j0 < (int64_t)(-180 * cells) || j1 > (int64_t)(180 * cells))
        return dc_error_set(err, field,
                            "too close to the antimeridian for a notice envelope (H = %g m)",
                            cfg->params.h_m);

    /* Ring: south edge west to east, north edge east to west (counter-
     * clockwise, RFC 7946); the meridian edges are geodesics already. */
    size_t n_edge = (size_t)((j1 - j0 + step - 1) / step) + 1;
    size_t n = 2 * n_edge;
    if (!(pts = dc_malloc((n + 1) * sizeof *pts)))
        return DC_ENOMEM;
    size_t k = 0;
    for (int64_t j = j0;; j += step) {
        if (j > j1)
            j = j1;
        pts[k++] = (dc_latlon){(double)i0 / cells, (double)j / cells};
        if (j == j1)
            break;
    }
    for (int64_t j = j1;; j -= step) {
        if (j < j0)
            j = j0;
        pts[k++] = (dc_latlon){(double)i1 / cells, (double)j / cells};
        if (j == j0)
            break;
    }
    n = k;
    rc = dc_footprint_new(DC_FP_POLYGON, pts, (uint32_t)n, 0, field, &fp, err);
    if (rc != DC_OK) {
        if (rc == DC_EINVAL && err) {
            char why[sizeof err->reason];
            snprintf(why, sizeof why, "%s", err->reason);
            dc_error_set(err, field, "too large for a notice envelope: %s", why);
        }
        goto fail;
    }
    double step_m = cfg->alt_step_m;
    double alt_lo = floor((v->alt_lower_m - cfg->params.v_m) / step_m) * step_m;
    double alt_hi = ceil((v->alt_upper_m + cfg->params.v_m) / step_m) * step_m;
    int64_t ts = cfg->time_step_s;
    int64_t t_lo = floor_div(v->t_start_s - cfg->params.t_s, ts) * ts;
    int64_t t_hi = ceil_div(v->t_end_s + cfg->params.t_s, ts) * ts;
    rc = dc_volume_init(env, fp, alt_lo, alt_hi, t_lo, t_hi, INT64_MAX / 4, field, err);
    if (rc != DC_OK)
        goto fail;
    fp = NULL; /* owned by env */

    dc__buf_str(&g, "{\"type\":\"Polygon\",\"coordinates\":[[");
    for (size_t i = 0; i <= n; i++) {
        const dc_latlon *q = &pts[i % n];
        dc__buf_str(&g, i ? ",[" : "[");
        fmt_deg(&g, q->lon_deg);
        dc__buf_str(&g, ",");
        fmt_deg(&g, q->lat_deg);
        dc__buf_str(&g, "]");
    }
    dc__buf_str(&g, "]]}");
    char t0[32], t1[32];
    dc_time_format(t_lo, t0, sizeof t0);
    dc_time_format(t_hi, t1, sizeof t1);
    dc__buf_fmt(&p,
                "\"altitude_lower_m\":%.10g,\"altitude_upper_m\":%.10g,\"time_start\":\"%s\","
                "\"time_end\":\"%s\"",
                alt_lo, alt_hi, t0, t1);
    if (g.oom || p.oom) {
        rc = DC_ENOMEM;
        goto fail;
    }
    out->lat_min = (double)i0 / cells;
    out->lat_max = (double)i1 / cells;
    out->lon_min = (double)j0 / cells;
    out->lon_max = (double)j1 / cells;
    out->alt_lower_m = alt_lo;
    out->alt_upper_m = alt_hi;
    out->t_start_s = t_lo;
    out->t_end_s = t_hi;
    /* Area on the authalic sphere, for the capacity-given-up metric. */
    const double r_km = 6371.0072;
    out->area_km2 = r_km * r_km * ((double)(j1 - j0) / cells * M_PI / 180.0) *
                    (sin(out->lat_max * M_PI / 180.0) - sin(out->lat_min * M_PI / 180.0));
    out->geom = g.p;
    out->props = p.p;
    dc_free(pts);
    return DC_OK;
fail:
    dc_footprint_free(fp);
    dc_volume_clear(env);
    dc__buf_free(&g);
    dc__buf_free(&p);
    dc_free(pts);
    memset(out, 0, sizeof *out);
    return rc;
}

dc_status dc__notice_exact(const dc_volume *v, dc__notice *n)
{
    json_t *fp = dc_json_from_footprint(v->fp);
    char *geom = fp ? json_dumps(fp, JSON_COMPACT) : NULL;
    char t0[32], t1[32];
    dc__buf p = {0};
    json_decref(fp);
    dc_time_format(v->t_start_s, t0, sizeof t0);
    dc_time_format(v->t_end_s, t1, sizeof t1);
    dc__buf_fmt(&p,
                "\"altitude_lower_m\":%.10g,\"altitude_upper_m\":%.10g,\"time_start\":\"%s\","
                "\"time_end\":\"%s\"",
                v->alt_lower_m, v->alt_upper_m, t0, t1);
    char *g = geom ? dc_strdup(geom) : NULL;
    free(geom);
    if (!g || p.oom) {
        dc_free(g);
        dc__buf_free(&p);
        return DC_ENOMEM;
    }
    dc_free(n->geom);
    dc_free(n->props);
    n->geom = g;
    n->props = p.p;
    dc_footprint_bbox(v->fp, &n->lat_min, &n->lon_min, &n->lat_max, &n->lon_max);
    n->alt_lower_m = v->alt_lower_m;
    n->alt_upper_m = v->alt_upper_m;
    n->t_start_s = v->t_start_s;
    n->t_end_s = v->t_end_s;
    return DC_OK;
}

void dc__notice_id(const dc_server *s, const char *entry_id, size_t vol, const char *requester,
                   char out[40])
{
    char msg[128];
    uint8_t mac[32];
    unsigned int len = sizeof mac;
    int n = snprintf(msg, sizeof msg, "%s\n%zu\n%s", entry_id, vol, requester);
    HMAC(EVP_sha256(), s->secret, sizeof s->secret, (const uint8_t *)msg, (size_t)n, mac, &len);
    memcpy(out, "ntc_", 4);
    dc__hex(mac, 16, out + 4);
}

void dc__notice_render(const dc_server *s, const dc__entry *e, size_t v, const char *requester,
                       int geojson, dc__buf *b)
{
    char id[40];
    const dc__notice *n = &e->notices[v];
    dc__notice_id(s, e->id, v, requester, id);
    const char *kind = e->is_restriction ? "restriction" : "operation";
    /* A restriction is the host's published airspace: exact, and named. */
    char *name = NULL;
    if (e->is_restriction) {
        /* An imported restriction's name starts with its source id
         * ("openair:R_12 R 12 Range"): the published name is the rest. */
        const char *nm = e->note ? e->note : "";
        char src[256];
        if (dc_aip_source_of(nm, src, sizeof src) && nm[strlen(src)] == ' ')
            nm += strlen(src) + 1;
        json_t *js = json_string(nm);
        name = js ? json_dumps(js, JSON_ENCODE_ANY) : NULL;
        json_decref(js);
    }
    if (geojson)
        dc__buf_fmt(b,
                    "{\"type\":\"Feature\",\"id\":\"%s\",\"geometry\":%s,\"properties\":"
                    "{\"kind\":\"%s\",%s%s%s%s}}",
                    id, n->geom, kind, name ? "\"name\":" : "", name ? name : "", name ? "," : "",
                    n->props);
    else
        dc__buf_fmt(b, "{\"id\":\"%s\",\"kind\":\"%s\",%s%s%s\"footprint\":%s,%s}", id, kind,
                    name ? "\"name\":" : "", name ? name : "", name ? "," : "", n->geom, n->props);
    free(name);
}
