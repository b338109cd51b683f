/* The host nation's published airspace formats, in and out.
 *
 * Import turns EUROCAE ED-318 geozones (GeoJSON profile), OpenAir text and
 * AIXM 5.1 Airspace features into restriction create bodies of the /v1 API
 * ({"source", "name", "exempt", "volumes"} as POST /v1/restrictions takes),
 * each carrying a source identifier ("ed318:<identifier>", "openair:<AN>",
 * "aixm:<gml:identifier>") so a re-import replaces instead of duplicating.
 * An import is all or nothing: every refused item is named with its reason
 * and then no restriction is returned. Export writes restrictions or notices
 * as GeoJSON, KML 2.2 or ED-318. docs/airspace-formats.md explains every
 * mapping (AGL without terrain, arcs to chords, schedules to volumes). */
#ifndef DECONFLICT_AIP_H
#define DECONFLICT_AIP_H

#include <jansson.h>
#include <stdint.h>

#include "deconflict/status.h"

typedef enum dc_aip_format {
    DC_AIP_ED318 = 1,
    DC_AIP_OPENAIR = 2,
    DC_AIP_AIXM = 3,
    DC_AIP_GEOJSON = 4, /* export only */
    DC_AIP_KML = 5      /* export only */
} dc_aip_format;

/* "ed318", "openair", "aixm", "geojson", "kml" -> *out; DC_EINVAL otherwise. */
dc_status dc_aip_format_parse(const char *name, dc_aip_format *out);

/* Arcs and circles drawn as polygons keep every vertex on the true curve and
 * at most this far (metres) between a chord and the arc it replaces. */
#define DC_AIP_CHORD_ERROR_M 5.0
/* UNLIM / UNL and absent upper limits: 30 km (FL 984), above every
 * aircraft, and low enough that the server's notice envelope (the volume
 * grown by its vertical buffer) stays under the model's 100 km ceiling. */
#define DC_AIP_UNLIMITED_M 30000.0
/* At most this many volumes per restriction (the server's max_volumes). */
#define DC_AIP_MAX_VOLUMES 64

typedef struct dc_aip_options {
    /* Items that publish no validity get [t_start_s, t_end_s) (seconds UTC);
     * weekly schedules are expanded into single volumes from t_start_s for
     * horizon_s, the rest of their validity stays one conservative volume. */
    int64_t t_start_s, t_end_s, horizon_s;
    /* The highest ground in the host's airspace, metres AMSL: an upper limit
     * given above ground becomes value + terrain_m; a lower limit above
     * ground always becomes 0 m AMSL (sea level), so the restriction covers
     * its airspace wherever the ground lies between 0 and terrain_m. */
    double terrain_m;
    /* AIXM: import every Airspace type, not only P, R, D, TRA, TSA, D_OTHER
     * and PROTECT (the types that restrict flight). */
    int all_types;
    /* Operator ids exempt from every imported restriction (borrowed; may be
     * NULL). ED-318 names no operator, so exemptions come from here. */
    const json_t *exempt;
} dc_aip_options;

/* Defaults: t_start_s = now, t_end_s = now + 10 years, horizon 7 days,
 * terrain 0 m, restrictive types only, no exemptions. */
void dc_aip_options_default(dc_aip_options *opt, int64_t now_s);

typedef struct dc_aip_result {
    json_t *restrictions; /* array of restriction create bodies (empty when refused) */
    json_t *refused;      /* array of {"item", "field", "reason"} */
    json_t *skipped;      /* array of {"item", "reason"}: items that restrict nothing */
} dc_aip_result;

/* Parses buf (len bytes, any NUL is refused) in format fmt (ED-318, OpenAir or
 * AIXM). Returns DC_OK with every restriction, DC_EINVAL when any item was
 * refused (err names the first; out->refused names all; no restrictions),
 * DC_ENOMEM. On return *out is filled either way: clear it with
 * dc_aip_result_clear(). */
dc_status dc_aip_import(dc_aip_format fmt, const char *buf, size_t len, const dc_aip_options *opt,
                        dc_aip_result *out, dc_error *err);
void dc_aip_result_clear(dc_aip_result *r); /* accepts NULL and empty */

/* The source id that an imported restriction's name starts with (its first
 * word, "format:identifier"), copied into buf; NULL when name carries none
 * or it does not fit. A re-import replaces the restrictions whose source
 * equals one of its own. */
const char *dc_aip_source_of(const char *name, char *buf, size_t len);

/* Exports items as fmt (GeoJSON, KML or ED-318). items: a JSON array of
 * restrictions as the API answers them ({id, name, volumes: [...]}) or of
 * notices ({id, kind, footprint, altitude_*_m, time_*}), or a GeoJSON
 * FeatureCollection of notices (GET /v1/notices as geo+json). Circles and
 * corridors are drawn as polygons enclosing them (vertices outside the curve
 * by at most DC_AIP_CHORD_ERROR_M). On DC_OK *out is a NUL-terminated text the
 * caller frees with free(). */
dc_status dc_aip_export(dc_aip_format fmt, const json_t *items, char **out, dc_error *err);

#endif
