/* Restrictions and notices out as GeoJSON, KML 2.2 and ED-318. Every item
 * is first flattened to volumes {id, name, kind, exempt?, footprint, altitude,
 * time}; circles and corridors are drawn as polygons that enclose them
 * (dc__ring_arc with outside vertices), so an exported area is never smaller
 * than the one deconflict decides on. ED-318 keeps circles as circles. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aip/aip_int.h"

typedef struct vol {
    const char *id, *name, *kind;
    int exempt;
    const json_t *fp;
    double lo, hi;
    const char *t0, *t1;
    size_t index;
} vol;

static const char *str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* Flattens items into an array of volumes (new reference) or NULL. */
static int flatten(const json_t *items, vol **out, size_t *n, dc_error *err)
{
    const json_t *arr = items;
    int features = 0;
    if (json_is_object(items)) {
        if (json_is_array(json_object_get(items, "features"))) {
            arr = json_object_get(items, "features");
            features = 1;
        } else if (json_is_array(json_object_get(items, "restrictions")))
            arr = json_object_get(items, "restrictions");
        else if (json_is_array(json_object_get(items, "notices")))
            arr = json_object_get(items, "notices");
    }
    if (!json_is_array(arr)) {
        dc_error_set(err, "items", "must be restrictions, notices or a FeatureCollection");
        return -1;
    }
    size_t cap = 0, k = 0;
    vol *v = NULL;
    for (size_t i = 0; i < json_array_size(arr); i++) {
        const json_t *it = json_array_get(arr, i),
                     *p = features ? json_object_get(it, "properties") : it;
        const json_t *vols = json_object_get(it, "volumes");
        size_t nv = json_is_array(vols) ? json_array_size(vols) : 1;
        for (size_t j = 0; j < nv; j++) {
            const json_t *x = json_is_array(vols) ? json_array_get(vols, j) : p;
            if (k == cap) {
                cap = cap ? 2 * cap : 16;
                vol *nvv = dc_realloc(v, cap * sizeof *v);
                if (!nvv) {
                    dc_free(v);
                    return -1;
                }
                v = nvv;
            }
            vol *o = &v[k];
            o->id = str(it, "id") ? str(it, "id") : "";
            /* A restriction's notice carries its name in its properties. */
            o->name = str(it, "name") ? str(it, "name") : str(p, "name") ? str(p, "name") : o->id;
            o->kind = str(p, "kind") ? str(p, "kind") : "restriction";
            o->exempt = json_array_size(json_object_get(it, "exempt")) > 0;
            o->fp = features ? json_object_get(it, "geometry") : json_object_get(x, "footprint");
            json_t *lo = json_object_get(x, "altitude_lower_m"),
                   *hi = json_object_get(x, "altitude_upper_m");
            o->lo = json_number_value(lo);
            o->hi = json_number_value(hi);
            o->t0 = str(x, "time_start");
            o->t1 = str(x, "time_end");
            o->index = j;
            if (!json_is_object(o->fp) || !json_is_number(lo) || !json_is_number(hi) || !o->t0 ||
                !o->t1 || !isfinite(o->lo) || !isfinite(o->hi)) {
                dc_free(v);
                dc_error_set(err, "items",
                             "item %zu volume %zu lacks footprint, altitudes or times", i, j);
                return -1;
            }
            k++;
        }
    }
    *out = v;
    *n = k;
    return 0;
}

static int read_pos(const json_t *p, dc_latlon *o)
{
    if (!json_is_number(json_array_get(p, 0)) || !json_is_number(json_array_get(p, 1)))
        return -1;
    o->lon_deg = json_number_value(json_array_get(p, 0));
    o->lat_deg = json_number_value(json_array_get(p, 1));
    return isfinite(o->lon_deg) && isfinite(o->lat_deg) ? 0 : -1;
}

/* The footprint as an array of rings (each [[lon,lat],...] closed). */
static json_t *rings_of(const json_t *fp)
{
    const char *t = str(fp, "type");
    json_t *c = json_object_get(fp, "coordinates"), *out = json_array();
    if (!t || !out)
        goto bad;
    if (!strcmp(t, "Polygon")) {
        json_array_append(out, json_array_get(c, 0));
    } else if (!strcmp(t, "MultiPolygon")) {
        for (size_t i = 0; i < json_array_size(c); i++)
            json_array_append(out, json_array_get(json_array_get(c, i), 0));
    } else if (!strcmp(t, "Point")) {
        dc_latlon ctr;
        double r = json_number_value(json_object_get(fp, "radius_m"));
        if (read_pos(c, &ctr) || !(r > 0) || !isfinite(r))
            goto bad;
        dc__ring ring = {0};
        dc__ring_arc(&ring, ctr, r, 0, 360, 1, 1);
        json_t *poly = dc__ring_polygon(&ring);
        dc__ring_free(&ring);
        if (!poly)
            goto bad;
        json_array_append(out, json_array_get(json_object_get(poly, "coordinates"), 0));
        json_decref(poly);
    } else if (!strcmp(t, "LineString")) {
        double w = json_number_value(json_object_get(fp, "half_width_m"));
        if (!(w > 0) || !isfinite(w) || json_array_size(c) < 2)
            goto bad;
        for (size_t i = 0; i + 1 < json_array_size(c); i++) {
            dc_latlon a, b;
            double azab, azba;
            if (read_pos(json_array_get(c, i), &a) || read_pos(json_array_get(c, i + 1), &b))
                goto bad;
            dc__geo_inverse(a, b, NULL, &azab);
            dc__geo_inverse(b, a, NULL, &azba);
            dc__ring ring = {0};
            dc__ring_arc(&ring, a, w, azab + 90, azab + 270, 1, 1);
            dc__ring_arc(&ring, b, w, azba + 90, azba + 270, 1, 1);
            json_t *poly = dc__ring_polygon(&ring);
            dc__ring_free(&ring);
            if (!poly)
                goto bad;
            json_array_append(out, json_array_get(json_object_get(poly, "coordinates"), 0));
            json_decref(poly);
        }
    } else {
        goto bad;
    }
    return out;
bad:
    json_decref(out);
    return NULL;
}

static json_t *geometry_of(json_t *rings)
{
    if (json_array_size(rings) == 1)
        return json_pack("{s:s, s:[O]}", "type", "Polygon", "coordinates",
                         json_array_get(rings, 0));
    json_t *mp = json_array();
    for (size_t i = 0; i < json_array_size(rings); i++)
        json_array_append_new(mp, json_pack("[O]", json_array_get(rings, i)));
    return json_pack("{s:s, s:o}", "type", "MultiPolygon", "coordinates", mp);
}

static json_t *geojson(const vol *v, size_t n)
{
    json_t *fs = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *r = rings_of(v[i].fp);
        if (!r) {
            json_decref(fs);
            return NULL;
        }
        json_array_append_new(
            fs,
            json_pack("{s:s, s:o, s:{s:s, s:s, s:s, s:i, s:f, s:f, s:s, s:s}}", "type", "Feature",
                      "geometry", geometry_of(r), "properties", "id", v[i].id, "name", v[i].name,
                      "kind", v[i].kind, "volume", (int)v[i].index, "altitude_lower_m", v[i].lo,
                      "altitude_upper_m", v[i].hi, "time_start", v[i].t0, "time_end", v[i].t1));
        json_decref(r);
    }
    return json_pack("{s:s, s:o}", "type", "FeatureCollection", "features", fs);
}

/* 7-character ED-318 identifier from the id and volume index (FNV-1a). */
static void short_id(const char *id, size_t index, char out[8])
{
    static const char al[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    uint64_t h = 1469598103934665603ull;
    for (const char *p = id; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    h = (h ^ index) * 1099511628211ull;
    out[0] = 'D';
    for (int i = 1; i < 7; i++) {
        out[i] = al[h % 36];
        h /= 36;
    }
    out[7] = 0;
}

static json_t *layer(const vol *v)
{
    return json_pack("{s:f, s:s, s:f, s:s, s:s}", "upper", v->hi, "upperReference", "AMSL", "lower",
                     v->lo, "lowerReference", "AMSL", "uom", "m");
}

static json_t *ed318(const vol *v, size_t n)
{
    char now[32];
    dc_time_format((int64_t)time(NULL), now, sizeof now);
    json_t *fs = json_array();
    for (size_t i = 0; i < n; i++) {
        const char *t = str(v[i].fp, "type");
        json_t *g;
        if (t && !strcmp(t, "Point")) {
            g = json_pack("{s:s, s:O, s:{s:s, s:O}, s:o}", "type", "Point", "coordinates",
                          json_object_get(v[i].fp, "coordinates"), "extent", "subType", "Circle",
                          "radius", json_object_get(v[i].fp, "radius_m"), "layer", layer(&v[i]));
        } else {
            json_t *r = rings_of(v[i].fp), *gs = json_array();
            if (!r) {
                json_decref(fs);
                json_decref(gs);
                return NULL;
            }
            for (size_t k = 0; k < json_array_size(r); k++)
                json_array_append_new(gs, json_pack("{s:s, s:[O], s:o}", "type", "Polygon",
                                                    "coordinates", json_array_get(r, k), "layer",
                                                    layer(&v[i])));
            json_decref(r);
            if (json_array_size(gs) == 1) {
                g = json_incref(json_array_get(gs, 0));
                json_decref(gs);
            } else {
                g = json_pack("{s:s, s:o}", "type", "GeometryCollection", "geometries", gs);
            }
        }
        char sid[8], nm[201];
        short_id(v[i].id, v[i].index, sid);
        snprintf(nm, sizeof nm, "%s", v[i].name[0] ? v[i].name : v[i].id);
        int notice = !strcmp(v[i].kind, "operation");
        json_array_append_new(
            fs, json_pack(
                    "{s:s, s:o, s:{s:s, s:s, s:[{s:s, s:s}], s:s, s:s, s:[s], s:[{s:s, s:s}],"
                    " s:[{s:[{s:s, s:s}], s:s}], s:[{s:s, s:s}]}}",
                    "type", "Feature", "geometry", g, "properties", "identifier", sid, "country",
                    "XXX", "name", "text", nm, "lang", "en-GB", "type",
                    notice || !v[i].exempt ? "PROHIBITED" : "REQ_AUTHORIZATION", "variant",
                    "COMMON", "reason", notice ? "AIR_TRAFFIC" : "OTHER", "otherReasonInfo", "text",
                    notice ? "airspace in use by another operation (blind notice)"
                           : "restriction of the host nation's authority",
                    "lang", "en-GB", "zoneAuthority", "name", "text",
                    "deconflict host-nation authority", "lang", "en-GB", "purpose", "AUTHORIZATION",
                    "limitedApplicability", "startDateTime", v[i].t0, "endDateTime", v[i].t1));
    }
    return json_pack("{s:s, s:s, s:{s:s}, s:o}", "type", "FeatureCollection", "name",
                     "deconflict export", "metadata", "issued", now, "features", fs);
}

typedef struct sbuf {
    char *p;
    size_t n, cap;
    int oom;
} sbuf;

static void put(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int k = vsnprintf(b->p ? b->p + b->n : NULL, b->p ? b->cap - b->n : 0, fmt, ap);
        va_end(ap);
        if (k < 0) {
            b->oom = 1;
            return;
        }
        if (b->p && (size_t)k < b->cap - b->n) {
            b->n += (size_t)k;
            return;
        }
        size_t cap = (b->cap ? b->cap * 2 : 4096) + (size_t)k;
        char *q = realloc(b->p, cap);
        if (!q) {
            b->oom = 1;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
}

static void put_xml(sbuf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<':
            put(b, "&lt;");
            break;
        case '>':
            put(b, "&gt;");
            break;
        case '&':
            put(b, "&amp;");
            break;
        case '"':
            put(b, "&quot;");
            break;
        default:
            if ((unsigned char)*s >= 0x20 || *s == '\n' || *s == '\t')
                put(b, "%c", *s);
        }
    }
}

static char *kml(const vol *v, size_t n)
{
    sbuf b = {0};
    put(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<kml xmlns=\"http://www.opengis.net/kml/2.2\">\n<Document>\n"
            "<name>deconflict</name>\n");
    for (size_t i = 0; i < n; i++) {
        json_t *r = rings_of(v[i].fp);
        if (!r) {
            free(b.p);
            return NULL;
        }
        put(&b, "<Placemark>\n<name>");
        put_xml(&b, v[i].name[0] ? v[i].name : v[i].id);
        put(&b, "</name>\n<description>");
        put_xml(&b, v[i].kind);
        put(&b, " volume %zu: %.0f m to %.0f m AMSL, %s to %s</description>\n", v[i].index, v[i].lo,
            v[i].hi, v[i].t0, v[i].t1);
        put(&b, "<TimeSpan><begin>%s</begin><end>%s</end></TimeSpan>\n", v[i].t0, v[i].t1);
        if (json_array_size(r) > 1)
            put(&b, "<MultiGeometry>\n");
        for (size_t k = 0; k < json_array_size(r); k++) {
            json_t *ring = json_array_get(r, k);
            put(&b,
                "<Polygon><tessellate>1</tessellate><outerBoundaryIs><LinearRing><coordinates>");
            for (size_t j = 0; j < json_array_size(ring); j++) {
                json_t *p = json_array_get(ring, j);
                put(&b, "%s%.7f,%.7f,0", j ? " " : "", json_number_value(json_array_get(p, 0)),
                    json_number_value(json_array_get(p, 1)));
            }
            put(&b, "</coordinates></LinearRing></outerBoundaryIs></Polygon>\n");
        }
        if (json_array_size(r) > 1)
            put(&b, "</MultiGeometry>\n");
        put(&b, "</Placemark>\n");
        json_decref(r);
    }
    put(&b, "</Document>\n</kml>\n");
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

dc_status dc_aip_export(dc_aip_format fmt, const json_t *items, char **out, dc_error *err)
{
    vol *v = NULL;
    size_t n = 0;
    *out = NULL;
    if (flatten(items, &v, &n, err))
        return err && err->field[0] ? DC_EINVAL : DC_ENOMEM;
    json_t *j = NULL;
    dc_status rc = DC_OK;
    switch (fmt) {
    case DC_AIP_GEOJSON:
        j = geojson(v, n);
        break;
    case DC_AIP_ED318:
        j = ed318(v, n);
        break;
    case DC_AIP_KML:
        *out = kml(v, n);
        if (!*out)
            rc = dc_error_set(err, "items",
                              "a footprint is not a valid Polygon, circle or corridor");
        dc_free(v);
        return rc;
    default:
        dc_free(v);
        return dc_error_set(err, "format", "must be geojson, kml or ed318");
    }
    dc_free(v);
    if (!j)
        return dc_error_set(err, "items", "a footprint is not a valid Polygon, circle or corridor");
    *out = json_dumps(j, JSON_INDENT(1) | JSON_REAL_PRECISION(10));
    json_decref(j);
    return *out ? DC_OK : DC_ENOMEM;
}
