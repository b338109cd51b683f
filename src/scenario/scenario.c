/* Scenario loading and the deterministic track simulator (scenario.h).
 * Aircraft fly timed waypoints (linear in lat/lon between them), circular
 * orbits (PROJ geod_direct around a centre) or racetracks (a closed
 * polyline at constant speed). Velocities are the path's local derivative,
 * so reports are self-consistent for linear extrapolation. */
#include <geodesic.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "deconflict/geo.h"
#include "deconflict/scenario.h"

#define MAX_POINTS 1000

typedef enum path_kind { PATH_WAYPOINTS, PATH_ORBIT, PATH_RACETRACK } path_kind;

typedef struct waypoint {
    double t_s, lat, lon, alt_m;
} waypoint;

typedef struct aircraft {
    char *callsign, *op, *operation;
    path_kind kind;
    waypoint *pts; /* waypoints, or racetrack corners (t_s = cumulative metres) */
    size_t n;
    double clat, clon, radius_m, alt_m, t0_s, t1_s, speed_mps, length_m;
} aircraft;

struct dc_scenario {
    json_t *plans;
    aircraft *ac;
    size_t n_ac;
    struct geod_geodesic g;
};

/* "HH:MM[:SS]" with optional sign, hours may exceed 24. */
static int parse_offset(const char *s, double *out_s)
{
    if (!s)
        return -1;
    int sign = 1;
    if (*s == '+' || *s == '-')
        sign = *s++ == '-' ? -1 : 1;
    long h = 0, m = 0, sec = 0;
    int nd = 0;
    while (*s >= '0' && *s <= '9' && nd < 6)
        h = h * 10 + (*s++ - '0'), nd++;
    if (!nd || *s++ != ':')
        return -1;
    if (!(s[0] >= '0' && s[0] <= '5' && s[1] >= '0' && s[1] <= '9'))
        return -1;
    m = (s[0] - '0') * 10 + (s[1] - '0');
    s += 2;
    if (*s == ':') {
        if (!(s[1] >= '0' && s[1] <= '5' && s[2] >= '0' && s[2] <= '9'))
            return -1;
        sec = (s[1] - '0') * 10 + (s[2] - '0');
        s += 3;
    }
    if (*s)
        return -1;
    *out_s = sign * (double)(h * 3600 + m * 60 + sec);
    return 0;
}

static dc_status offset_at(const json_t *o, const char *key, const char *field, double *out,
                           dc_error *err)
{
    char f[256];
    snprintf(f, sizeof f, "%s.%s", field, key);
    if (parse_offset(json_string_value(json_object_get(o, key)), out) != 0)
        return dc_error_set(err, f, "must be an offset like \"06:30\" or \"+8760:00\"");
    return DC_OK;
}

static dc_status num_at(const json_t *o, const char *key, const char *field, double *out,
                        dc_error *err)
{
    char f[256];
    snprintf(f, sizeof f, "%s.%s", field, key);
    json_t *v = json_object_get(o, key);
    if (!json_is_number(v))
        return dc_error_set(err, f, "must be a number");
    *out = json_number_value(v);
    return DC_OK;
}

/* Rewrites every volume's offset times into absolute RFC 3339 strings. */
static dc_status absolutise(json_t *entries, const char *field, int64_t day0, dc_error *err)
{
    size_t i, k;
    json_t *e, *v;
    json_array_foreach(entries, i, e)
    {
        json_t *vols = json_object_get(e, "volumes");
        json_array_foreach(vols, k, v)
        {
            char f[128];
            snprintf(f, sizeof f, "%s[%zu].volumes[%zu]", field, i, k);
            static const char *const keys[2] = {"time_start", "time_end"};
            for (int j = 0; j < 2; j++) {
                double off;
                dc_status s = offset_at(v, keys[j], f, &off, err);
                if (s != DC_OK)
                    return s;
                char buf[32];
                dc_time_format(day0 + (int64_t)off, buf, sizeof buf);
                json_object_set_new(v, keys[j], json_string(buf));
            }
        }
    }
    return DC_OK;
}

static char *dup_str(const char *s)
{
    return s ? dc_strdup(s) : NULL;
}

static dc_status load_aircraft(dc_scenario *sc, const json_t *a, const char *field, int64_t day0,
                               aircraft *ac, dc_error *err)
{
    char f[256];
    memset(ac, 0, sizeof *ac);
    ac->callsign = dup_str(json_string_value(json_object_get(a, "callsign")));
    ac->op = dup_str(json_string_value(json_object_get(a, "operator")));
    ac->operation = dup_str(json_string_value(json_object_get(a, "operation")));
    if (!ac->callsign || !ac->op) {
        snprintf(f, sizeof f, "%s.callsign", field);
        return dc_error_set(err, f, "callsign and operator are required strings");
    }
    json_t *wps = json_object_get(a, "waypoints"), *orbit = json_object_get(a, "orbit"),
           *race = json_object_get(a, "racetrack");
    dc_status s = DC_OK;
    if (json_is_array(wps)) {
        ac->kind = PATH_WAYPOINTS;
        ac->n = json_array_size(wps);
        snprintf(f, sizeof f, "%s.waypoints", field);
        if (ac->n < 2 || ac->n > MAX_POINTS)
            return dc_error_set(err, f, "needs 2 to %d waypoints", MAX_POINTS);
        ac->pts = dc_calloc(ac->n, sizeof *ac->pts);
        if (!ac->pts)
            return DC_ENOMEM;
        for (size_t i = 0; i < ac->n && s == DC_OK; i++) {
            json_t *w = json_array_get(wps, i);
            snprintf(f, sizeof f, "%s.waypoints[%zu]", field, i);
            s = offset_at(w, "t", f, &ac->pts[i].t_s, err);
            if (s == DC_OK)
                s = num_at(w, "lat", f, &ac->pts[i].lat, err);
            if (s == DC_OK)
                s = num_at(w, "lon", f, &ac->pts[i].lon, err);
            if (s == DC_OK)
                s = num_at(w, "alt_m", f, &ac->pts[i].alt_m, err);
            ac->pts[i].t_s += (double)day0;
            if (s == DC_OK && i && ac->pts[i].t_s <= ac->pts[i - 1].t_s)
                s = dc_error_set(err, f, "waypoint times must increase");
        }
        if (s == DC_OK) {
            ac->t0_s = ac->pts[0].t_s;
            ac->t1_s = ac->pts[ac->n - 1].t_s;
        }
        return s;
    }
    const json_t *o = json_is_object(orbit) ? orbit : race;
    if (!json_is_object(o)) {
        snprintf(f, sizeof f, "%s", field);
        return dc_error_set(err, f, "needs waypoints, orbit or racetrack");
    }
    snprintf(f, sizeof f, "%s.%s", field, o == orbit ? "orbit" : "racetrack");
    char ff[256];
    snprintf(ff, sizeof ff, "%s", f);
    s = offset_at(o, "start", ff, &ac->t0_s, err);
    if (s == DC_OK)
        s = offset_at(o, "end", ff, &ac->t1_s, err);
    if (s == DC_OK)
        s = num_at(o, "alt_m", ff, &ac->alt_m, err);
    if (s == DC_OK)
        s = num_at(o, "speed_mps", ff, &ac->speed_mps, err);
    if (s != DC_OK)
        return s;
    ac->t0_s += (double)day0;
    ac->t1_s += (double)day0;
    if (ac->t1_s <= ac->t0_s || ac->speed_mps <= 0)
        return dc_error_set(err, ff, "needs end after start and speed_mps > 0");
    if (o == orbit) {
        ac->kind = PATH_ORBIT;
        s = num_at(o, "lat", ff, &ac->clat, err);
        if (s == DC_OK)
            s = num_at(o, "lon", ff, &ac->clon, err);
        if (s == DC_OK)
            s = num_at(o, "radius_m", ff, &ac->radius_m, err);
        if (s == DC_OK && ac->radius_m <= 0)
            s = dc_error_set(err, ff, "radius_m must be > 0");
        return s;
    }
    ac->kind = PATH_RACETRACK;
    json_t *cs = json_object_get(o, "coordinates");
    ac->n = json_array_size(cs);
    if (ac->n < 2 || ac->n > MAX_POINTS)
        return dc_error_set(err, ff, "coordinates needs 2 to %d [lon, lat] points", MAX_POINTS);
    ac->pts = dc_calloc(ac->n, sizeof *ac->pts);
    if (!ac->pts)
        return DC_ENOMEM;
    for (size_t i = 0; i < ac->n; i++) {
        json_t *p = json_array_get(cs, i);
        ac->pts[i].lon = json_number_value(json_array_get(p, 0));
        ac->pts[i].lat = json_number_value(json_array_get(p, 1));
        ac->pts[i].alt_m = ac->alt_m;
        if (i) {
            double d;
            geod_inverse(&sc->g, ac->pts[i - 1].lat, ac->pts[i - 1].lon, ac->pts[i].lat,
                         ac->pts[i].lon, &d, NULL, NULL);
            ac->pts[i].t_s = ac->pts[i - 1].t_s + d;
        }
    }
    ac->length_m = ac->pts[ac->n - 1].t_s;
    if (ac->length_m <= 0)
        return dc_error_set(err, ff, "racetrack has zero length");
    return DC_OK;
}

static void aircraft_clear(aircraft *ac)
{
    dc_free(ac->callsign);
    dc_free(ac->op);
    dc_free(ac->operation);
    dc_free(ac->pts);
}

void dc_scenario_free(dc_scenario *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_ac; i++)
        aircraft_clear(&s->ac[i]);
    dc_free(s->ac);
    json_decref(s->plans);
    dc_free(s);
}

/* xorshift64*: deterministic across platforms. */
static double rnd(uint64_t *st, double lo, double hi)
{
    uint64_t x = *st;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *st = x;
    return lo + (hi - lo) * ((x * 0x2545F4914F6CDD1DULL) >> 11) * (1.0 / 9007199254740992.0);
}

/* Adds `scale` generated operators, each with 3 circular operations over
 * Iraq at random times of the day, and one orbiting aircraft per operation. */
static dc_status add_scaled(dc_scenario *sc, json_t *src, uint32_t scale, uint32_t seed)
{
    uint64_t st = 0x9E3779B97F4A7C15ULL ^ ((uint64_t)seed << 1 | 1);
    json_t *ops = json_object_get(src, "operators"), *plans = json_object_get(src, "operations"),
           *acs = json_object_get(src, "aircraft");
    for (uint32_t k = 0; k < scale; k++) {
        char name[32];
        snprintf(name, sizeof name, "operator-%03u", k + 1);
        json_array_append_new(ops, json_string(name));
        for (int j = 0; j < 3; j++) {
            char ref[64], cs[32], t0[16], t1[16], a0[16], a1[16];
            double lat = rnd(&st, 29.8, 36.8), lon = rnd(&st, 39.5, 47.5);
            double r = rnd(&st, 5000, 20000), lo = 300 * floor(rnd(&st, 1, 30));
            int start_min = (int)rnd(&st, 0, 20 * 60), dur = (int)rnd(&st, 60, 240);
            snprintf(ref, sizeof ref, "%s-op%d", name, j + 1);
            snprintf(cs, sizeof cs, "G%03u%d", k + 1, j + 1);
            snprintf(t0, sizeof t0, "%02d:%02d", start_min / 60, start_min % 60);
            snprintf(t1, sizeof t1, "%02d:%02d", (start_min + dur) / 60, (start_min + dur) % 60);
            snprintf(a0, sizeof a0, "%02d:%02d", (start_min + 5) / 60, (start_min + 5) % 60);
            snprintf(a1, sizeof a1, "%02d:%02d", (start_min + dur - 5) / 60,
                     (start_min + dur - 5) % 60);
            json_array_append_new(
                plans,
                json_pack("{s:s, s:s, s:i, s:s, s:[{s:{s:s, s:[f,f], s:f}, s:f, s:f, s:s, s:s}]}",
                          "ref", ref, "operator", name, "priority", (int)rnd(&st, 0, 100), "expect",
                          "any", "volumes", "footprint", "type", "Point", "coordinates", lon, lat,
                          "radius_m", r, "altitude_lower_m", lo, "altitude_upper_m", lo + 1500,
                          "time_start", t0, "time_end", t1));
            json_array_append_new(
                acs, json_pack("{s:s, s:s, s:s, s:{s:f, s:f, s:f, s:f, s:s, s:s, s:f}}", "callsign",
                               cs, "operator", name, "operation", ref, "orbit", "lat", lat, "lon",
                               lon, "radius_m", r * 0.6, "alt_m", lo + 750, "start", a0, "end", a1,
                               "speed_mps", rnd(&st, 60, 250)));
        }
    }
    (void)sc;
    return DC_OK;
}

dc_status dc_scenario_load(const char *path, int64_t day_start_s, uint32_t scale, uint32_t seed,
                           dc_scenario **out, dc_error *err)
{
    *out = NULL;
    json_error_t je;
    json_t *src = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!src && je.line < 0) /* jansson's "unable to open <path>: <errno text>" */
        return dc_error_set(err, "scenario", "cannot read %s",
                            je.text + (strncmp(je.text, "unable to open ", 15) ? 0 : 15));
    if (!src)
        return dc_error_set(err, path, "not valid JSON: %s (line %d, column %d)", je.text, je.line,
                            je.column);
    dc_status s = DC_OK;
    dc_scenario *sc = dc_calloc(1, sizeof *sc);
    if (!sc) {
        json_decref(src);
        return DC_ENOMEM;
    }
    geod_init(&sc->g, 6378137.0, 1 / 298.257223563);
    if (!json_is_object(src) || !json_is_array(json_object_get(src, "operators")) ||
        !json_is_array(json_object_get(src, "operations")) ||
        !json_is_array(json_object_get(src, "aircraft")) ||
        !json_is_string(json_object_get(src, "authority"))) {
        s = dc_error_set(err, "(root)", "needs authority, operators, operations and aircraft");
        goto fail;
    }
    if (!json_object_get(src, "restrictions"))
        json_object_set_new(src, "restrictions", json_array());
    if (scale > 100000) {
        s = dc_error_set(err, "scale", "must be at most 100000");
        goto fail;
    }
    if ((s = add_scaled(sc, src, scale, seed)) != DC_OK)
        goto fail;
    json_t *acs = json_object_get(src, "aircraft");
    sc->n_ac = json_array_size(acs);
    sc->ac = dc_calloc(sc->n_ac ? sc->n_ac : 1, sizeof *sc->ac);
    if (!sc->ac) {
        s = DC_ENOMEM;
        goto fail;
    }
    for (size_t i = 0; i < sc->n_ac; i++) {
        char f[64];
        snprintf(f, sizeof f, "aircraft[%zu]", i);
        s = load_aircraft(sc, json_array_get(acs, i), f, day_start_s, &sc->ac[i], err);
        if (s != DC_OK)
            goto fail;
    }
    if ((s = absolutise(json_object_get(src, "restrictions"), "restrictions", day_start_s, err)) !=
            DC_OK ||
        (s = absolutise(json_object_get(src, "operations"), "operations", day_start_s, err)) !=
            DC_OK)
        goto fail;
    json_object_del(src, "aircraft");
    sc->plans = src;
    *out = sc;
    return DC_OK;
fail:
    json_decref(src);
    dc_scenario_free(sc);
    return s;
}

const json_t *dc_scenario_plans(const dc_scenario *s)
{
    return s->plans;
}

size_t dc_scenario_aircraft_count(const dc_scenario *s)
{
    return s->n_ac;
}

void dc_scenario_span(const dc_scenario *s, double *t_first_s, double *t_last_s)
{
    *t_first_s = INFINITY;
    *t_last_s = -INFINITY;
    for (size_t i = 0; i < s->n_ac; i++) {
        *t_first_s = fmin(*t_first_s, s->ac[i].t0_s);
        *t_last_s = fmax(*t_last_s, s->ac[i].t1_s);
    }
}

/* Point at arc length d_m along the racetrack polyline. */
static void race_point(const dc_scenario *sc, const aircraft *ac, double d_m, double *lat,
                       double *lon, double *trk)
{
    d_m = fmod(d_m, ac->length_m);
    size_t i = 1;
    while (i < ac->n - 1 && ac->pts[i].t_s < d_m)
        i++;
    const waypoint *a = &ac->pts[i - 1], *b = &ac->pts[i];
    double azi1, azi2, s12;
    geod_inverse(&sc->g, a->lat, a->lon, b->lat, b->lon, &s12, &azi1, &azi2);
    geod_direct(&sc->g, a->lat, a->lon, azi1, d_m - a->t_s, lat, lon, trk);
}

int dc_scenario_position(const dc_scenario *s, size_t i, double t_s, dc_scenario_report *out)
{
    if (i >= s->n_ac)
        return 0;
    const aircraft *ac = &s->ac[i];
    if (t_s < ac->t0_s || t_s > ac->t1_s)
        return 0;
    memset(out, 0, sizeof *out);
    out->callsign = ac->callsign;
    out->operator_name = ac->op;
    out->operation_ref = ac->operation;
    double lat, lon, trk;
    if (ac->kind == PATH_WAYPOINTS) {
        size_t k = 1;
        while (k < ac->n - 1 && ac->pts[k].t_s < t_s)
            k++;
        const waypoint *a = &ac->pts[k - 1], *b = &ac->pts[k];
        double f = (t_s - a->t_s) / (b->t_s - a->t_s);
        out->lat_deg = a->lat + f * (b->lat - a->lat);
        out->lon_deg = a->lon + f * (b->lon - a->lon);
        out->alt_m = a->alt_m + f * (b->alt_m - a->alt_m);
        double d, azi1;
        geod_inverse(&s->g, a->lat, a->lon, b->lat, b->lon, &d, &azi1, NULL);
        out->ground_speed_mps = d / (b->t_s - a->t_s);
        out->track_deg = fmod(azi1 + 360.0, 360.0);
        out->vertical_rate_mps = (b->alt_m - a->alt_m) / (b->t_s - a->t_s);
        return 1;
    }
    double dist = ac->speed_mps * (t_s - ac->t0_s);
    if (ac->kind == PATH_ORBIT) {
        double brg = fmod(dist / ac->radius_m * 180.0 / M_PI, 360.0);
        geod_direct(&s->g, ac->clat, ac->clon, brg, ac->radius_m, &lat, &lon, &trk);
        trk += 90.0; /* clockwise orbit: heading is the radial bearing + 90 */
    } else {
        race_point(s, ac, dist, &lat, &lon, &trk);
    }
    out->lat_deg = lat;
    out->lon_deg = lon;
    out->alt_m = ac->alt_m;
    out->ground_speed_mps = ac->speed_mps;
    out->track_deg = fmod(trk + 720.0, 360.0);
    return 1;
}
