/* Volume JSON parsing and serialisation (json.h). Three accepted forms:
 * the API/check form {"footprint": GEOMETRY, altitude_*_m, time_*}, a GeoJSON
 * Feature whose properties carry the same members, and ASTM F3548-21
 * Volume4D. Every error names the JSON path of the offending member. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "deconflict/json.h"

#define FT_M 0.3048

/* The members each form knows; anything else is refused (dc_json_known). */
#define ALTITUDE_KEYS                                                                              \
    "altitude_lower_m", "altitude_lower_ft", "altitude_lower_fl", "altitude_upper_m",              \
        "altitude_upper_ft", "altitude_upper_fl"
static const char *const api_keys[] = {"footprint", ALTITUDE_KEYS, "time_start", "time_end", NULL};
static const char *const feature_keys[] = {"type", "geometry", "properties", "id", "bbox", NULL};
static const char *const astm_keys[] = {"volume", "time_start", "time_end", NULL};
static const char *const astm_volume_keys[] = {"outline_polygon", "outline_circle",
                                               "altitude_lower", "altitude_upper", NULL};

static dc_status number_at(const json_t *obj, const char *key, const char *field, double *out,
                           dc_error *err)
{
    char f[300];
    snprintf(f, sizeof f, "%s.%s", field, key);
    json_t *v = json_object_get(obj, key);
    if (!v)
        return dc_error_set(err, f, "is required");
    if (!json_is_number(v))
        return dc_error_set(err, f, "must be a number");
    *out = json_number_value(v);
    if (!isfinite(*out))
        return dc_error_set(err, f, "must be a finite number");
    return DC_OK;
}

static dc_status time_at(const json_t *obj, const char *key, const char *field, int round_up,
                         int64_t *out, dc_error *err)
{
    char f[300];
    snprintf(f, sizeof f, "%s.%s", field, key);
    json_t *v = json_object_get(obj, key);
    if (!v)
        return dc_error_set(err, f, "is required");
    if (json_is_object(v)) { /* ASTM Time: {"value": "...", "format": "RFC3339"} */
        static const char *const keys[] = {"value", "format", NULL};
        if (dc_json_known(v, f, keys, err) != DC_OK)
            return DC_EINVAL;
        snprintf(f, sizeof f, "%s.%s.value", field, key);
        v = json_object_get(v, "value");
    }
    if (!json_is_string(v))
        return dc_error_set(err, f, "must be an RFC 3339 time string");
    if (dc_time_parse(json_string_value(v), round_up, out) != DC_OK)
        return dc_error_set(err, f, "is not an RFC 3339 time (like 2014-12-02T06:00:00Z)");
    return DC_OK;
}

/* Reads [lon, lat] (GeoJSON order). */
static dc_status position(const json_t *p, const char *f, dc_latlon *out, dc_error *err)
{
    if (!json_is_array(p) || json_array_size(p) < 2 || json_array_size(p) > 3)
        return dc_error_set(err, f, "must be a [longitude, latitude] array");
    json_t *lo = json_array_get(p, 0), *la = json_array_get(p, 1);
    if (!json_is_number(lo) || !json_is_number(la))
        return dc_error_set(err, f, "coordinates must be numbers");
    out->lon_deg = json_number_value(lo);
    out->lat_deg = json_number_value(la);
    return DC_OK;
}

static dc_status positions(const json_t *arr, const char *f, size_t limit, dc_latlon **out,
                           uint32_t *n, dc_error *err)
{
    char pf[320];
    if (!json_is_array(arr))
        return dc_error_set(err, f, "must be an array of positions");
    size_t k = json_array_size(arr);
    if (k > limit)
        return dc_error_set(err, f, "too many points: %zu (limit %zu)", k, limit);
    dc_latlon *pts = dc_malloc((k ? k : 1) * sizeof *pts);
    if (!pts)
        return DC_ENOMEM;
    for (size_t i = 0; i < k; i++) {
        snprintf(pf, sizeof pf, "%s[%zu]", f, i);
        dc_status s = position(json_array_get(arr, i), pf, &pts[i], err);
        if (s != DC_OK) {
            dc_free(pts);
            return s;
        }
    }
    *out = pts;
    *n = (uint32_t)k;
    return DC_OK;
}

/* GeoJSON geometry; radius/half-width looked up in geom, then in props. */
static dc_status geojson_footprint(const json_t *geom, const json_t *props, const char *f,
                                   dc_footprint **out, dc_error *err)
{
    char cf[320];
    if (!json_is_object(geom))
        return dc_error_set(err, f, "must be a GeoJSON geometry object");
    const char *type = json_string_value(json_object_get(geom, "type"));
    snprintf(cf, sizeof cf, "%s.type", f);
    if (!type)
        return dc_error_set(err, cf, "is required (Polygon, Point or LineString)");
    json_t *coords = json_object_get(geom, "coordinates");
    snprintf(cf, sizeof cf, "%s.coordinates", f);
    if (!coords)
        return dc_error_set(err, cf, "is required");
    dc_footprint_kind kind;
    const char *rkey = NULL;
    if (!strcmp(type, "Polygon")) {
        kind = DC_FP_POLYGON;
        if (!json_is_array(coords) || json_array_size(coords) < 1)
            return dc_error_set(err, cf, "must be an array of one linear ring");
        if (json_array_size(coords) > 1) {
            snprintf(cf, sizeof cf, "%s.coordinates[1]", f);
            return dc_error_set(err, cf, "polygons with holes are not supported");
        }
        coords = json_array_get(coords, 0);
        snprintf(cf, sizeof cf, "%s.coordinates[0]", f);
    } else if (!strcmp(type, "Point")) {
        kind = DC_FP_CIRCLE;
        rkey = "radius_m";
    } else if (!strcmp(type, "LineString")) {
        kind = DC_FP_CORRIDOR;
        rkey = "half_width_m";
    } else {
        snprintf(cf, sizeof cf, "%s.type", f);
        return dc_error_set(
            err, cf, "must be Polygon, Point (with radius_m) or LineString (with half_width_m)");
    }
    const char *const geom_keys[] = {"type", "coordinates", "bbox", rkey, NULL};
    if (dc_json_known(geom, f, geom_keys, err) != DC_OK)
        return DC_EINVAL;
    double radius = 0;
    if (rkey) {
        const json_t *holder = json_object_get(geom, rkey) ? geom : props;
        if (!holder || !json_object_get(holder, rkey)) {
            snprintf(cf, sizeof cf, "%s.%s", f, rkey);
            return dc_error_set(err, cf, "is required for a %s footprint", type);
        }
        dc_status s = number_at(holder, rkey, f, &radius, err);
        if (s != DC_OK)
            return s;
    }
    dc_latlon *pts = NULL;
    uint32_t n = 0;
    dc_status s;
    if (kind == DC_FP_CIRCLE) {
        pts = dc_malloc(sizeof *pts);
        if (!pts)
            return DC_ENOMEM;
        n = 1;
        s = position(coords, cf, pts, err);
    } else {
        s = positions(coords, cf,
                      kind == DC_FP_POLYGON ? DC_MAX_POLYGON_VERTICES + 1 : DC_MAX_CORRIDOR_POINTS,
                      &pts, &n, err);
    }
    if (s == DC_OK)
        s = dc_footprint_new(kind, pts, n, radius, f, out, err);
    dc_free(pts);
    return s;
}

static dc_status astm_altitude(const json_t *vol, const char *key, const char *f, double *out,
                               dc_error *err)
{
    char af[320];
    snprintf(af, sizeof af, "%s.%s", f, key);
    json_t *a = json_object_get(vol, key);
    if (!json_is_object(a))
        return dc_error_set(err, af,
                            "is required ({\"value\", \"reference\": \"W84\", \"units\": \"M\"})");
    static const char *const keys[] = {"value", "reference", "units", NULL};
    if (dc_json_known(a, af, keys, err) != DC_OK)
        return DC_EINVAL;
    dc_status s = number_at(a, "value", af, out, err);
    if (s != DC_OK)
        return s;
    const char *units = json_string_value(json_object_get(a, "units"));
    const char *ref = json_string_value(json_object_get(a, "reference"));
    char uf[340];
    snprintf(uf, sizeof uf, "%s.reference", af);
    if (ref && strcmp(ref, "W84"))
        return dc_error_set(err, uf,
                            "only W84 (metres above the WGS84 ellipsoid/MSL) is supported");
    snprintf(uf, sizeof uf, "%s.units", af);
    if (!units || !strcmp(units, "M"))
        return DC_OK;
    if (!strcmp(units, "FT")) {
        *out *= FT_M;
        return DC_OK;
    }
    return dc_error_set(err, uf, "must be M or FT");
}

static dc_status astm_latlng(const json_t *p, const char *f, dc_latlon *out, dc_error *err)
{
    static const char *const keys[] = {"lat", "lng", NULL};
    if (!json_is_object(p))
        return dc_error_set(err, f, "must be an object {\"lat\", \"lng\"}");
    if (dc_json_known(p, f, keys, err) != DC_OK)
        return DC_EINVAL;
    dc_status s = number_at(p, "lat", f, &out->lat_deg, err);
    if (s == DC_OK)
        s = number_at(p, "lng", f, &out->lon_deg, err);
    return s;
}

static dc_status astm_footprint(const json_t *vol, const char *f, dc_footprint **out, dc_error *err)
{
    char cf[320];
    json_t *poly = json_object_get(vol, "outline_polygon");
    json_t *circ = json_object_get(vol, "outline_circle");
    if (poly && circ)
        return dc_error_set(err, f, "give outline_polygon or outline_circle, not both");
    if (poly) {
        static const char *const keys[] = {"vertices", NULL};
        snprintf(cf, sizeof cf, "%s.outline_polygon", f);
        if (dc_json_known(poly, cf, keys, err) != DC_OK)
            return DC_EINVAL;
        snprintf(cf, sizeof cf, "%s.outline_polygon.vertices", f);
        json_t *vs = json_object_get(poly, "vertices");
        if (!json_is_array(vs))
            return dc_error_set(err, cf, "must be an array of {\"lat\", \"lng\"}");
        size_t k = json_array_size(vs);
        if (k > DC_MAX_POLYGON_VERTICES + 1)
            return dc_error_set(err, cf, "too many vertices: %zu (limit %d)", k,
                                DC_MAX_POLYGON_VERTICES);
        dc_latlon *pts = dc_malloc((k ? k : 1) * sizeof *pts);
        if (!pts)
            return DC_ENOMEM;
        dc_status s = DC_OK;
        for (size_t i = 0; i < k && s == DC_OK; i++) {
            char pf[340];
            snprintf(pf, sizeof pf, "%s[%zu]", cf, i);
            s = astm_latlng(json_array_get(vs, i), pf, &pts[i], err);
        }
        if (s == DC_OK) {
            snprintf(cf, sizeof cf, "%s.outline_polygon", f);
            s = dc_footprint_new(DC_FP_POLYGON, pts, (uint32_t)k, 0, cf, out, err);
            if (s == DC_EINVAL && err) { /* map ".coordinates[0][i]" to ".vertices[i]" */
                char *c = strstr(err->field, ".coordinates[0]");
                if (c) {
                    char tail[256];
                    snprintf(tail, sizeof tail, "%s", c + strlen(".coordinates[0]"));
                    snprintf(c, sizeof err->field - (size_t)(c - err->field), ".vertices%s", tail);
                }
            }
        }
        dc_free(pts);
        return s;
    }
    if (circ) {
        static const char *const keys[] = {"center", "radius", NULL}, *const rkeys[] = {
                                                                          "value", "units", NULL};
        snprintf(cf, sizeof cf, "%s.outline_circle", f);
        if (dc_json_known(circ, cf, keys, err) != DC_OK)
            return DC_EINVAL;
        dc_latlon c;
        char pf[340];
        snprintf(pf, sizeof pf, "%s.center", cf);
        dc_status s = astm_latlng(json_object_get(circ, "center"), pf, &c, err);
        if (s != DC_OK)
            return s;
        snprintf(pf, sizeof pf, "%s.radius", cf);
        json_t *r = json_object_get(circ, "radius");
        if (!json_is_object(r))
            return dc_error_set(err, pf, "is required ({\"value\", \"units\": \"M\"})");
        double radius;
        if (dc_json_known(r, pf, rkeys, err) != DC_OK)
            return DC_EINVAL;
        s = number_at(r, "value", pf, &radius, err);
        if (s != DC_OK)
            return s;
        const char *units = json_string_value(json_object_get(r, "units"));
        if (units && !strcmp(units, "FT"))
            radius *= FT_M;
        else if (units && strcmp(units, "M")) {
            snprintf(pf, sizeof pf, "%s.radius.units", cf);
            return dc_error_set(err, pf, "must be M or FT");
        }
        return dc_footprint_new(DC_FP_CIRCLE, &c, 1, radius, cf, out, err);
    }
    return dc_error_set(err, f, "needs outline_polygon or outline_circle");
}

/* Altitude in metres from "<key>_m", or "<key>_ft", or "<key>_fl". */
static dc_status altitude_any(const json_t *o, const char *key, const char *f, double *out,
                              dc_error *err)
{
    char k[64];
    snprintf(k, sizeof k, "%s_m", key);
    if (json_object_get(o, k))
        return number_at(o, k, f, out, err);
    snprintf(k, sizeof k, "%s_ft", key);
    if (json_object_get(o, k)) {
        dc_status s = number_at(o, k, f, out, err);
        *out *= FT_M;
        return s;
    }
    snprintf(k, sizeof k, "%s_fl", key);
    if (json_object_get(o, k)) {
        dc_status s = number_at(o, k, f, out, err);
        *out *= 100 * FT_M;
        return s;
    }
    snprintf(k, sizeof k, "%s_m", key);
    return number_at(o, k, f, out, err);
}

dc_status dc_json_volume(const json_t *j, const char *field, int64_t max_window_s, dc_volume *out,
                         dc_error *err)
{
    char f[300];
    memset(out, 0, sizeof *out);
    if (!json_is_object(j))
        return dc_error_set(err, field, "must be an object");
    dc_footprint *fp = NULL;
    double lo, hi;
    int64_t t0, t1;
    dc_status s;
    const json_t *props = j; /* where altitude/time members live */
    json_t *astm = json_object_get(j, "volume");
    if (json_is_object(astm)) { /* ASTM F3548-21 Volume4D */
        snprintf(f, sizeof f, "%s.volume", field);
        if (dc_json_known(j, field, astm_keys, err) != DC_OK ||
            dc_json_known(astm, f, astm_volume_keys, err) != DC_OK)
            return DC_EINVAL;
        s = astm_footprint(astm, f, &fp, err);
        if (s == DC_OK)
            s = astm_altitude(astm, "altitude_lower", f, &lo, err);
        if (s == DC_OK)
            s = astm_altitude(astm, "altitude_upper", f, &hi, err);
    } else {
        const char *type = json_string_value(json_object_get(j, "type"));
        json_t *geom;
        if (type && !strcmp(type, "Feature")) {
            props = json_object_get(j, "properties");
            snprintf(f, sizeof f, "%s.properties", field);
            if (!json_is_object(props))
                return dc_error_set(err, f, "must be an object with altitude and time members");
            /* A Feature's properties are free-form (RFC 7946 section 3.2):
             * exported features carry names and kinds. The members that
             * matter there are all required, so a typo is still refused. */
            if (dc_json_known(j, field, feature_keys, err) != DC_OK)
                return DC_EINVAL;
            geom = json_object_get(j, "geometry");
            snprintf(f, sizeof f, "%s.geometry", field);
        } else {
            if (dc_json_known(j, field, api_keys, err) != DC_OK)
                return DC_EINVAL;
            geom = json_object_get(j, "footprint");
            snprintf(f, sizeof f, "%s.footprint", field);
            if (!geom)
                return dc_error_set(err, f, "is required");
        }
        char pf[300];
        snprintf(pf, sizeof pf, "%s%s", field, props == j ? "" : ".properties");
        s = geojson_footprint(geom, props, f, &fp, err);
        if (s == DC_OK)
            s = altitude_any(props, "altitude_lower", pf, &lo, err);
        if (s == DC_OK)
            s = altitude_any(props, "altitude_upper", pf, &hi, err);
        snprintf(f, sizeof f, "%s", pf);
    }
    if (s == DC_OK)
        s = time_at(props, "time_start", props == j ? field : f, 0, &t0, err);
    if (s == DC_OK)
        s = time_at(props, "time_end", props == j ? field : f, 1, &t1, err);
    if (s == DC_OK)
        s = dc_volume_init(out, fp, lo, hi, t0, t1, max_window_s, props == j ? field : f, err);
    if (s != DC_OK) {
        dc_footprint_free(fp);
        memset(out, 0, sizeof *out);
    }
    return s;
}

void dc_volumes_free(dc_volume *vols, size_t n)
{
    if (!vols)
        return;
    for (size_t i = 0; i < n; i++)
        dc_volume_clear(&vols[i]);
    dc_free(vols);
}

dc_status dc_json_volumes(const json_t *arr, const char *field, size_t max_volumes,
                          int64_t max_window_s, dc_volume **out, size_t *n, dc_error *err)
{
    *out = NULL;
    *n = 0;
    if (!json_is_array(arr))
        return dc_error_set(err, field, arr ? "must be an array of volumes" : "is required");
    size_t k = json_array_size(arr);
    if (k == 0)
        return dc_error_set(err, field, "needs at least one volume");
    if (k > max_volumes)
        return dc_error_set(err, field, "too many volumes: %zu (limit %zu)", k, max_volumes);
    dc_volume *vols = dc_calloc(k, sizeof *vols);
    if (!vols)
        return DC_ENOMEM;
    for (size_t i = 0; i < k; i++) {
        char f[300];
        snprintf(f, sizeof f, "%s[%zu]", field, i);
        dc_status s = dc_json_volume(json_array_get(arr, i), f, max_window_s, &vols[i], err);
        if (s != DC_OK) {
            dc_volumes_free(vols, i);
            return s;
        }
    }
    *out = vols;
    *n = k;
    return DC_OK;
}

json_t *dc_json_from_footprint(const dc_footprint *fp)
{
    uint32_t n;
    const dc_latlon *pts = dc_footprint_points(fp, &n);
    dc_footprint_kind kind = dc_footprint_kind_of(fp);
    json_t *coords = json_array();
    for (uint32_t i = 0; i < n; i++)
        json_array_append_new(coords, json_pack("[ff]", pts[i].lon_deg, pts[i].lat_deg));
    if (kind == DC_FP_POLYGON) {
        json_array_append_new(coords, json_pack("[ff]", pts[0].lon_deg, pts[0].lat_deg));
        return json_pack("{s:s, s:[o]}", "type", "Polygon", "coordinates", coords);
    }
    if (kind == DC_FP_CIRCLE) {
        json_t *c = json_incref(json_array_get(coords, 0));
        json_decref(coords);
        return json_pack("{s:s, s:o, s:f}", "type", "Point", "coordinates", c, "radius_m",
                         dc_footprint_radius_m(fp));
    }
    return json_pack("{s:s, s:o, s:f}", "type", "LineString", "coordinates", coords, "half_width_m",
                     dc_footprint_radius_m(fp));
}

json_t *dc_json_from_volume(const dc_volume *v)
{
    char t0[32], t1[32];
    dc_time_format(v->t_start_s, t0, sizeof t0);
    dc_time_format(v->t_end_s, t1, sizeof t1);
    return json_pack("{s:o, s:f, s:f, s:s, s:s}", "footprint", dc_json_from_footprint(v->fp),
                     "altitude_lower_m", v->alt_lower_m, "altitude_upper_m", v->alt_upper_m,
                     "time_start", t0, "time_end", t1);
}
