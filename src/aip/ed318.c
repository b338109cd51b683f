/* EUROCAE ED-318 UAS geographical zones (GeoJSON profile) to restrictions.
 * Geometry: Polygon (no holes), MultiPolygon, Point with extent Circle, and
 * GeometryCollections of them, each with its "layer" (or the parent's);
 * LineString and MultiPoint zones have no area and are refused. Layers: m or
 * ft above AMSL, WGS84 (taken as AMSL: the geoid is not modelled) or AGL
 * (aip.h). limitedApplicability periods bound the volumes; their weekly
 * schedules are expanded (dc__aip_timed_volumes); sunrise/sunset events widen
 * to the whole day. NO_RESTRICTION zones are skipped. Items: "ed318:<id>". */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "aip/aip_int.h"

static const char *str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* Optional date-time member: 1 absent, 0 read, -1 invalid. */
static int date_member(const json_t *o, const char *k, int up, int64_t *out)
{
    json_t *v = json_object_get(o, k);
    if (!v)
        return 1;
    if (!json_is_string(v) || dc_time_parse(json_string_value(v), up, out) != DC_OK)
        return -1;
    return 0;
}

typedef struct layer {
    double lo, hi;
} layer;

static int read_layer(dc__aip *a, const char *item, const json_t *l, const char *f, layer *out)
{
    char field[160];
    const char *uom = str(l, "uom");
    double unit = 1;
    if (!json_is_object(l)) {
        dc__aip_refuse(a, item, f, "needs a layer with the vertical limits");
        return -1;
    }
    if (uom && !strcmp(uom, "ft"))
        unit = DC__FT_M;
    else if (uom && strcmp(uom, "m")) {
        snprintf(field, sizeof field, "%s.uom", f);
        dc__aip_refuse(a, item, field, "must be m or ft");
        return -1;
    }
    for (int up = 0; up < 2; up++) {
        const char *k = up ? "upper" : "lower", *rk = up ? "upperReference" : "lowerReference";
        json_t *v = json_object_get(l, k);
        const char *ref = str(l, rk);
        dc__vref r = DC__AMSL;
        if (ref && !strcmp(ref, "AGL"))
            r = DC__AGL;
        else if (ref && strcmp(ref, "AMSL") && strcmp(ref, "WGS84")) {
            snprintf(field, sizeof field, "%s.%s", f, rk);
            dc__aip_refuse(a, item, field, "must be AGL, AMSL or WGS84");
            return -1;
        }
        double m;
        if (!v) {
            m = up ? DC_AIP_UNLIMITED_M : 0; /* absent: the whole column */
        } else if (!json_is_number(v) || !isfinite(json_number_value(v))) {
            snprintf(field, sizeof field, "%s.%s", f, k);
            dc__aip_refuse(a, item, field, "must be a finite number");
            return -1;
        } else {
            m = dc__aip_alt_m(a, json_number_value(v), unit, r, up);
        }
        if (up)
            out->hi = m;
        else
            out->lo = m;
    }
    return 0;
}

typedef struct period {
    int64_t t0, t1;
    dc__weekly w[16];
    size_t nw;
} period;

static int day_bits(const char *d)
{
    static const char *days[] = {"MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"};
    if (!strcmp(d, "ANY"))
        return 0x7f;
    for (int i = 0; i < 7; i++)
        if (!strcmp(d, days[i]))
            return 1 << i;
    return -1;
}

/* "16:00:00Z", "16:00Z", "16:00:00" -> minutes. */
static int minutes(const char *s)
{
    int h, m;
    if (!s || sscanf(s, "%2d:%2d", &h, &m) != 2 || h < 0 || h > 24 || m < 0 || m > 59)
        return -1;
    return h * 60 + m;
}

static int read_periods(dc__aip *a, const char *item, const json_t *la, int64_t v0, int64_t v1,
                        period *p, size_t max, size_t *n)
{
    char f[160];
    *n = 0;
    if (!la) {
        p[0].t0 = v0;
        p[0].t1 = v1;
        p[0].nw = 0;
        *n = 1;
        return 0;
    }
    if (!json_is_array(la) || json_array_size(la) > max) {
        dc__aip_refuse(a, item, "properties.limitedApplicability",
                       "must be an array of at most %zu time periods", max);
        return -1;
    }
    for (size_t i = 0; i < json_array_size(la); i++) {
        json_t *tp = json_array_get(la, i);
        period *q = &p[(*n)++];
        memset(q, 0, sizeof *q);
        q->t0 = v0;
        q->t1 = v1;
        snprintf(f, sizeof f, "properties.limitedApplicability[%zu]", i);
        if (!json_is_object(tp) || date_member(tp, "startDateTime", 0, &q->t0) < 0 ||
            date_member(tp, "endDateTime", 1, &q->t1) < 0 || q->t0 >= q->t1) {
            dc__aip_refuse(a, item, f, "needs startDateTime before endDateTime (RFC 3339)");
            return -1;
        }
        json_t *sch = json_object_get(tp, "schedule");
        for (size_t k = 0; k < json_array_size(sch); k++) {
            json_t *d = json_array_get(sch, k), *days = json_object_get(d, "day");
            char g[200];
            snprintf(g, sizeof g, "%s.schedule[%zu]", f, k);
            if (q->nw == sizeof q->w / sizeof q->w[0]) {
                dc__aip_refuse(a, item, g, "too many daily periods");
                return -1;
            }
            dc__weekly *w = &q->w[q->nw++];
            w->days = 0;
            for (size_t j = 0; j < json_array_size(days); j++) {
                const char *ds = json_string_value(json_array_get(days, j));
                int b = ds ? day_bits(ds) : -1;
                if (b < 0) {
                    dc__aip_refuse(a, item, g, "day must be MON..SUN or ANY");
                    return -1;
                }
                w->days |= (unsigned)b;
            }
            /* daylight events (sunrise, sunset) are not computed: the whole
             * day stands for them */
            w->start_min = str(d, "startTime") ? minutes(str(d, "startTime")) : 0;
            w->end_min = str(d, "endTime") ? minutes(str(d, "endTime")) : 1440;
            if (!w->days || w->start_min < 0 || w->end_min < 0) {
                dc__aip_refuse(a, item, g, "needs days and startTime/endTime as HH:MM:SSZ");
                return -1;
            }
            if (w->end_min == 1439) /* "23:59:59Z": the end of the day */
                w->end_min = 1440;
            if (w->end_min <= w->start_min) /* runs past midnight */
                w->end_min += 1440;
        }
    }
    return 0;
}

/* Appends the footprints and layers of geometry g. */
static int geometry(dc__aip *a, const char *item, const json_t *g, const char *f,
                    const json_t *parent_layer, json_t *fps, json_t *layers)
{
    char field[160];
    const char *type = str(g, "type");
    json_t *l = json_object_get(g, "layer");
    if (!l)
        l = (json_t *)parent_layer;
    if (!json_is_object(g) || !type) {
        dc__aip_refuse(a, item, f, "must be a GeoJSON geometry");
        return -1;
    }
    if (!strcmp(type, "GeometryCollection")) {
        json_t *gs = json_object_get(g, "geometries");
        if (!json_is_array(gs) || !json_array_size(gs)) {
            dc__aip_refuse(a, item, f, "needs geometries");
            return -1;
        }
        for (size_t i = 0; i < json_array_size(gs); i++) {
            snprintf(field, sizeof field, "%s.geometries[%zu]", f, i);
            if (geometry(a, item, json_array_get(gs, i), field, l, fps, layers))
                return -1;
        }
        return 0;
    }
    layer ly = {0, 0};
    if (read_layer(a, item, l, f, &ly))
        return -1;
    json_t *c = json_object_get(g, "coordinates");
    if (!strcmp(type, "Polygon") || !strcmp(type, "MultiPolygon")) {
        int multi = type[0] == 'M';
        size_t np = multi ? json_array_size(c) : 1;
        if (!json_is_array(c) || !np) {
            dc__aip_refuse(a, item, f, "needs coordinates");
            return -1;
        }
        for (size_t i = 0; i < np; i++) {
            json_t *rings = multi ? json_array_get(c, i) : c;
            if (json_array_size(rings) != 1) {
                dc__aip_refuse(a, item, f,
                               "polygons need exactly one ring (holes are not "
                               "supported)");
                return -1;
            }
            json_array_append_new(fps, json_pack("{s:s, s:[O]}", "type", "Polygon", "coordinates",
                                                 json_array_get(rings, 0)));
            json_array_append_new(layers, json_pack("[f, f]", ly.lo, ly.hi));
        }
        return 0;
    }
    if (!strcmp(type, "Point")) {
        json_t *ext = json_object_get(g, "extent");
        const char *sub = str(ext, "subType");
        json_t *r = json_object_get(ext, "radius");
        if (!sub || strcmp(sub, "Circle") || !json_is_number(r)) {
            snprintf(field, sizeof field, "%s.extent", f);
            dc__aip_refuse(a, item, field, "a Point zone needs an extent Circle with a radius");
            return -1;
        }
        json_array_append_new(
            fps, json_pack("{s:s, s:O, s:O}", "type", "Point", "coordinates", c, "radius_m", r));
        json_array_append_new(layers, json_pack("[f, f]", ly.lo, ly.hi));
        return 0;
    }
    dc__aip_refuse(a, item, f,
                   "%s zones have no area: only Polygon, MultiPolygon, Point with a "
                   "Circle extent and their collections are imported",
                   type);
    return -1;
}

static void feature(dc__aip *a, const json_t *ft, size_t idx, int64_t v0, int64_t v1)
{
    char item[64], f[64];
    json_t *pr = json_object_get(ft, "properties");
    const char *id = str(pr, "identifier"), *type = str(pr, "type");
    if (id && strlen(id) <= 7 && strlen(id) > 0 && !strpbrk(id, " \t"))
        snprintf(item, sizeof item, "ed318:%s", id);
    else
        snprintf(item, sizeof item, "ed318:features[%zu]", idx);
    if (!json_is_object(ft) || !json_is_object(pr)) {
        dc__aip_refuse(a, item, "", "a feature needs properties");
        return;
    }
    if (!id || !id[0] || strlen(id) > 7 || strpbrk(id, " \t")) {
        dc__aip_refuse(a, item, "properties.identifier", "must be 1 to 7 characters, no spaces");
        return;
    }
    static const char *types[] = {"USPACE", "PROHIBITED", "REQ_AUTHORIZATION", "CONDITIONAL",
                                  "NO_RESTRICTION"};
    int ok = 0;
    for (size_t i = 0; type && i < 5; i++)
        ok |= !strcmp(type, types[i]);
    if (!ok) {
        dc__aip_refuse(a, item, "properties.type",
                       "must be USPACE, PROHIBITED, REQ_AUTHORIZATION, CONDITIONAL or "
                       "NO_RESTRICTION");
        return;
    }
    if (!str(pr, "country") || strlen(str(pr, "country")) != 3) {
        dc__aip_refuse(a, item, "properties.country", "must be a 3-letter country code");
        return;
    }
    if (!json_is_array(json_object_get(pr, "zoneAuthority"))) {
        dc__aip_refuse(a, item, "properties.zoneAuthority", "is required (an array)");
        return;
    }
    json_t *fps = json_array(), *layers = json_array(), *vols = json_array();
    period per[16];
    size_t np = 0;
    snprintf(f, sizeof f, "geometry");
    if (geometry(a, item, json_object_get(ft, "geometry"), f, NULL, fps, layers) ||
        read_periods(a, item, json_object_get(pr, "limitedApplicability"), v0, v1, per,
                     sizeof per / sizeof per[0], &np))
        goto out;
    if (!strcmp(type, "NO_RESTRICTION")) {
        dc__aip_skip(a, item, "a NO_RESTRICTION zone restricts nothing");
        goto out;
    }
    for (size_t i = 0; i < json_array_size(fps); i++) {
        json_t *ly = json_array_get(layers, i);
        for (size_t k = 0; k < np; k++)
            if (dc__aip_timed_volumes(a, vols, json_array_get(fps, i),
                                      json_number_value(json_array_get(ly, 0)),
                                      json_number_value(json_array_get(ly, 1)), per[k].t0,
                                      per[k].t1, per[k].w, per[k].nw)) {
                dc__aip_refuse(a, item, "geometry", "more than %d volumes (layers x periods)",
                               DC_AIP_MAX_VOLUMES);
                goto out;
            }
    }
    json_t *nm = json_array_get(json_object_get(pr, "name"), 0);
    dc__aip_add(a, item, str(nm, "text") ? str(nm, "text") : id, vols);
    vols = NULL;
out:
    json_decref(fps);
    json_decref(layers);
    json_decref(vols);
}

dc_status dc__ed318_import(dc__aip *a, const char *buf, size_t len)
{
    json_error_t je;
    json_t *root = json_loadb(buf, len, 0, &je);
    if (!root) {
        dc__aip_refuse(a, "ed318", "", "not JSON: %s (line %d)", je.text, je.line);
        return DC_OK;
    }
    int64_t v0 = a->opt->t_start_s, v1 = a->opt->t_end_s;
    json_t *md = json_object_get(root, "metadata");
    const char *t = str(root, "type");
    if (!t || strcmp(t, "FeatureCollection") || !json_is_array(json_object_get(root, "features"))) {
        dc__aip_refuse(a, "ed318", "type", "must be a FeatureCollection with features");
    } else if (md && !json_is_object(md)) {
        dc__aip_refuse(a, "ed318", "metadata", "must be an object");
    } else if (date_member(md, "validFrom", 0, &v0) < 0 || date_member(md, "validTo", 1, &v1) < 0 ||
               date_member(md, "issued", 0, &(int64_t){0}) < 0) {
        dc__aip_refuse(a, "ed318", "metadata",
                       "validFrom, validTo and issued must be RFC 3339 "
                       "date-times");
    } else if (v0 >= v1) {
        dc__aip_refuse(a, "ed318", "metadata.validTo", "must be after validFrom");
    } else {
        json_t *fs = json_object_get(root, "features");
        for (size_t i = 0; i < json_array_size(fs); i++)
            feature(a, json_array_get(fs, i), i, v0, v1);
        if (!json_array_size(fs))
            dc__aip_refuse(a, "ed318", "features", "holds no zone");
    }
    json_decref(root);
    return DC_OK;
}
