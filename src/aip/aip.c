/* Import entry point and the helpers the parsers share: refusals, the
 * restriction body (validated exactly as POST /v1/restrictions would),
 * altitude references, rings with arcs, and weekly schedules to volumes.
 * Invariant: a result holds restrictions only when nothing was refused. */
#include <geodesic.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "aip/aip_int.h"
#include "deconflict/json.h"

#define RESTRICTION_MAX_WINDOW_S ((int64_t)200 * 366 * 24 * 3600)

static struct geod_geodesic wgs84;
static int wgs84_ready;

static const struct geod_geodesic *geod(void)
{
    if (!wgs84_ready) { /* idempotent: a race writes the same values */
        geod_init(&wgs84, 6378137.0, 1 / 298.257223563);
        wgs84_ready = 1;
    }
    return &wgs84;
}

void dc__geo_direct(dc_latlon from, double az_deg, double s_m, dc_latlon *to)
{
    double lat, lon;
    geod_direct(geod(), from.lat_deg, from.lon_deg, az_deg, s_m, &lat, &lon, NULL);
    if (lon > 180)
        lon -= 360;
    if (lon < -180)
        lon += 360;
    to->lat_deg = lat;
    to->lon_deg = lon;
}

void dc__geo_inverse(dc_latlon a, dc_latlon b, double *s_m, double *az_deg)
{
    double s = 0, az1 = 0, az2 = 0;
    geod_inverse(geod(), a.lat_deg, a.lon_deg, b.lat_deg, b.lon_deg, &s, &az1, &az2);
    if (s_m)
        *s_m = s;
    if (az_deg)
        *az_deg = az1 < 0 ? az1 + 360 : az1;
}

dc_status dc_aip_format_parse(const char *name, dc_aip_format *out)
{
    static const struct {
        const char *name;
        dc_aip_format f;
    } t[] = {{"ed318", DC_AIP_ED318},
             {"openair", DC_AIP_OPENAIR},
             {"aixm", DC_AIP_AIXM},
             {"geojson", DC_AIP_GEOJSON},
             {"kml", DC_AIP_KML}};
    for (size_t i = 0; name && i < sizeof t / sizeof t[0]; i++)
        if (!strcmp(name, t[i].name)) {
            *out = t[i].f;
            return DC_OK;
        }
    return DC_EINVAL;
}

void dc_aip_options_default(dc_aip_options *opt, int64_t now_s)
{
    memset(opt, 0, sizeof *opt);
    opt->t_start_s = now_s;
    opt->t_end_s = now_s + (int64_t)10 * 366 * 24 * 3600;
    opt->horizon_s = 7 * 24 * 3600;
}

void dc_aip_result_clear(dc_aip_result *r)
{
    if (!r)
        return;
    json_decref(r->restrictions);
    json_decref(r->refused);
    json_decref(r->skipped);
    memset(r, 0, sizeof *r);
}

void dc__aip_refuse(dc__aip *a, const char *item, const char *field, const char *fmt, ...)
{
    char reason[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    if (a->err && !a->err->field[0] && !a->err->reason[0]) {
        snprintf(a->err->field, sizeof a->err->field, "%s%s%s", item, field[0] ? " " : "", field);
        snprintf(a->err->reason, sizeof a->err->reason, "%s", reason);
    }
    if (json_array_append_new(a->res->refused, json_pack("{s:s, s:s, s:s}", "item", item, "field",
                                                         field, "reason", reason)))
        a->oom = 1;
}

void dc__aip_skip(dc__aip *a, const char *item, const char *reason)
{
    if (json_array_append_new(a->res->skipped,
                              json_pack("{s:s, s:s}", "item", item, "reason", reason)))
        a->oom = 1;
}

void dc__aip_add(dc__aip *a, const char *source, const char *name, json_t *volumes)
{
    dc_error e = {{0}, {0}};
    dc_volume *v = NULL;
    size_t n = 0;
    if (!volumes) {
        a->oom = 1;
        return;
    }
    for (size_t i = 0; i < json_array_size(a->res->restrictions); i++) {
        const char *s =
            json_string_value(json_object_get(json_array_get(a->res->restrictions, i), "source"));
        if (s && !strcmp(s, source)) {
            dc__aip_refuse(a, source, "", "the identifier appears twice in the file");
            json_decref(volumes);
            return;
        }
    }
    dc_status rc = dc_json_volumes(volumes, "volumes", DC_AIP_MAX_VOLUMES, RESTRICTION_MAX_WINDOW_S,
                                   &v, &n, &e);
    dc_volumes_free(v, n);
    if (rc == DC_ENOMEM) {
        a->oom = 1;
    } else if (rc != DC_OK) {
        dc__aip_refuse(a, source, e.field, "%s", e.reason);
    } else {
        /* The name carries the source first: the API keeps names, so a
         * re-import finds what it replaces by the name's first word. */
        char full[201];
        snprintf(full, sizeof full, "%s %s", source, name ? name : "");
        json_t *ex = a->opt->exempt ? json_deep_copy(a->opt->exempt) : json_array();
        json_t *body = json_pack("{s:s, s:s, s:o, s:O}", "source", source, "name", full, "exempt",
                                 ex, "volumes", volumes);
        if (!body || json_array_append_new(a->res->restrictions, body))
            a->oom = 1;
    }
    json_decref(volumes);
}

const char *dc_aip_source_of(const char *name, char *buf, size_t len)
{
    static const char *prefixes[] = {"ed318:", "openair:", "aixm:"};
    if (!name)
        return NULL;
    size_t k = strcspn(name, " ");
    int known = 0;
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
        known |= !strncmp(name, prefixes[i], strlen(prefixes[i])) && k > strlen(prefixes[i]);
    if (!known || k >= len)
        return NULL;
    memcpy(buf, name, k);
    buf[k] = 0;
    return buf;
}

double dc__aip_alt_m(const dc__aip *a, double value, double unit_m, dc__vref ref, int upper)
{
    double m = value * unit_m;
    if (ref == DC__AGL)
        return upper ? m + a->opt->terrain_m : 0.0;
    /* STD (pressure altitude, flight levels) is taken as AMSL: the standard
     * atmosphere's offset is a weather matter, not the publication's. */
    return m;
}

json_t *dc__aip_volume(json_t *footprint, double lo_m, double hi_m, int64_t t0, int64_t t1)
{
    char a[32], b[32];
    dc_time_format(t0, a, sizeof a);
    dc_time_format(t1, b, sizeof b);
    return json_pack("{s:o, s:f, s:f, s:s, s:s}", "footprint", footprint, "altitude_lower_m", lo_m,
                     "altitude_upper_m", hi_m, "time_start", a, "time_end", b);
}

void dc__ring_add(dc__ring *r, double lat, double lon)
{
    if (r->oom)
        return;
    if (r->n && r->p[r->n - 1].lat_deg == lat && r->p[r->n - 1].lon_deg == lon)
        return;
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 64;
        dc_latlon *p = dc_realloc(r->p, cap * sizeof *p);
        if (!p) {
            r->oom = 1;
            return;
        }
        r->p = p;
        r->cap = cap;
    }
    r->p[r->n].lat_deg = lat;
    r->p[r->n].lon_deg = lon;
    r->n++;
}

void dc__ring_free(dc__ring *r)
{
    dc_free(r->p);
    memset(r, 0, sizeof *r);
}

/* Angle step (degrees) keeping the sagitta r (1 - cos(step/2)) within the
 * chord error. */
static double arc_step_deg(double r_m)
{
    if (r_m <= 2 * DC_AIP_CHORD_ERROR_M)
        return 30.0;
    double s = 2 * acos(1 - DC_AIP_CHORD_ERROR_M / r_m) * 180 / M_PI;
    return s > 30 ? 30 : s;
}

void dc__ring_arc(dc__ring *r, dc_latlon c, double r_m, double az0, double az1, int cw, int outside)
{
    if (!isfinite(r_m) || !isfinite(az0) || !isfinite(az1) || r_m <= 0)
        return;
    double sweep = cw ? fmod(az1 - az0, 360.0) : fmod(az0 - az1, 360.0);
    if (sweep < 0)
        sweep += 360;
    if (sweep < 1e-9 && az0 != az1) /* 0 to 360: the whole circle */
        sweep = 360;
    double step = arc_step_deg(r_m);
    int k = (int)ceil(sweep / step);
    if (k < 1)
        k = 1;
    double rr = outside ? r_m / cos(sweep / k / 2 * M_PI / 180) : r_m;
    for (int i = 0; i <= k; i++) {
        double az = az0 + (cw ? 1 : -1) * sweep * i / k;
        dc_latlon p;
        /* With outside, the end points stay on the arc (they join lines);
         * the vertices between move out so every chord encloses its arc. */
        dc__geo_direct(c, az, (i == 0 || i == k) ? r_m : rr, &p);
        dc__ring_add(r, p.lat_deg, p.lon_deg);
    }
}

json_t *dc__ring_polygon(const dc__ring *r)
{
    size_t n = r->n;
    while (n > 1 && r->p[n - 1].lat_deg == r->p[0].lat_deg &&
           r->p[n - 1].lon_deg == r->p[0].lon_deg)
        n--;
    if (n < 3)
        return NULL;
    json_t *ring = json_array();
    for (size_t i = 0; i <= n; i++) {
        const dc_latlon *p = &r->p[i % n];
        json_array_append_new(ring, json_pack("[f, f]", p->lon_deg, p->lat_deg));
    }
    return json_pack("{s:s, s:[o]}", "type", "Polygon", "coordinates", ring);
}

json_t *dc__circle_footprint(dc_latlon c, double r_m)
{
    return json_pack("{s:s, s:[f, f], s:f}", "type", "Point", "coordinates", c.lon_deg, c.lat_deg,
                     "radius_m", r_m);
}

/* Day of week of t (0 = Monday). 1970-01-01 was a Thursday. */
static int weekday(int64_t t)
{
    int64_t d = t >= 0 ? t / 86400 : (t - 86399) / 86400;
    return (int)(((d + 3) % 7 + 7) % 7);
}

int dc__weekly_expand(const dc__weekly *w, size_t n, int64_t from, int64_t to, int64_t (*out)[2],
                      int max)
{
    int k = 0;
    int64_t day0 = (from >= 0 ? from / 86400 : (from - 86399) / 86400) * 86400 - 86400;
    for (int64_t d = day0; d < to; d += 86400) {
        for (size_t i = 0; i < n; i++) {
            if (!(w[i].days & (1u << weekday(d))))
                continue;
            int64_t a = d + (int64_t)w[i].start_min * 60, b = d + (int64_t)w[i].end_min * 60;
            if (a < from)
                a = from;
            if (b > to)
                b = to;
            if (a >= b)
                continue;
            /* merge with an overlapping or touching window */
            int merged = 0;
            for (int j = 0; j < k && !merged; j++)
                if (a <= out[j][1] && b >= out[j][0]) {
                    out[j][0] = a < out[j][0] ? a : out[j][0];
                    out[j][1] = b > out[j][1] ? b : out[j][1];
                    merged = 1;
                }
            if (merged)
                continue;
            if (k == max)
                return -1;
            out[k][0] = a;
            out[k][1] = b;
            k++;
        }
    }
    return k;
}

int dc__aip_timed_volumes(const dc__aip *a, json_t *vols, const json_t *footprint, double lo,
                          double hi, int64_t v0, int64_t v1, const dc__weekly *w, size_t nw)
{
    int64_t win[DC_AIP_MAX_VOLUMES + 2][2];
    int k = 0;
    if (v0 >= v1)
        return 0;
    /* [v0, s) and [e, v1) stay whole (conservative); [s, e), the horizon
     * from t_start_s, is expanded into the schedule's windows. */
    int64_t s = a->opt->t_start_s, e = a->opt->t_start_s + a->opt->horizon_s;
    s = s < v0 ? v0 : s > v1 ? v1 : s;
    e = e < s ? s : e > v1 ? v1 : e;
    int room = DC_AIP_MAX_VOLUMES - (int)json_array_size(vols) - (v0 < s) - (e < v1);
    int x = -1;
    if (nw && s < e && room > 0)
        x = dc__weekly_expand(w, nw, s, e, win, room);
    if (x < 0) { /* no schedule, or too many windows: the whole validity */
        win[0][0] = v0;
        win[0][1] = v1;
        k = 1;
    } else {
        k = x;
        if (v0 < s) {
            win[k][0] = v0;
            win[k++][1] = s;
        }
        if (e < v1) {
            win[k][0] = e;
            win[k++][1] = v1;
        }
    }
    for (int i = 0; i < k; i++) {
        if (json_array_size(vols) >= DC_AIP_MAX_VOLUMES)
            return -1;
        json_array_append_new(
            vols, dc__aip_volume(json_deep_copy(footprint), lo, hi, win[i][0], win[i][1]));
    }
    return 0;
}

dc_status dc_aip_import(dc_aip_format fmt, const char *buf, size_t len, const dc_aip_options *opt,
                        dc_aip_result *out, dc_error *err)
{
    dc_aip_options def;
    if (!opt) {
        dc_aip_options_default(&def, 0);
        opt = &def;
    }
    memset(out, 0, sizeof *out);
    out->restrictions = json_array();
    out->refused = json_array();
    out->skipped = json_array();
    if (!out->restrictions || !out->refused || !out->skipped)
        return DC_ENOMEM;
    if (err)
        memset(err, 0, sizeof *err);
    dc__aip a = {opt, out, err, 0};
    if (!buf || memchr(buf, 0, len)) {
        dc__aip_refuse(&a, "file", "", "is not text (contains a NUL byte)");
        return DC_EINVAL;
    }
    dc_status rc;
    switch (fmt) {
    case DC_AIP_ED318:
        rc = dc__ed318_import(&a, buf, len);
        break;
    case DC_AIP_OPENAIR:
        rc = dc__openair_import(&a, buf, len);
        break;
    case DC_AIP_AIXM:
        rc = dc__aixm_import(&a, buf, len);
        break;
    default:
        dc__aip_refuse(&a, "file", "format", "is not an import format");
        return DC_EINVAL;
    }
    if (a.oom)
        rc = DC_ENOMEM;
    if (rc == DC_OK && json_array_size(out->refused))
        rc = DC_EINVAL;
    if (rc != DC_OK)
        json_array_clear(out->restrictions);
    return rc;
}
