/* JSON <-> domain objects (jansson). Accepts the check-CLI / API volume form
 * (GeoJSON Polygon, Point + radius_m, LineString + half_width_m, with
 * altitude_lower_m/altitude_upper_m/time_start/time_end) and ASTM F3548-21
 * Volume4D (outline_polygon/outline_circle, altitude_lower/upper, time_start/end).
 * Errors name the JSON path of the field. */
#ifndef DECONFLICT_JSON_H
#define DECONFLICT_JSON_H

#include <jansson.h>

#include "deconflict/engine.h"

/* Parses one volume at path `field` (e.g. "volumes[2]"). On DC_OK, *out is
 * filled and owns its footprint (dc_volume_clear()). */
dc_status dc_json_volume(const json_t *j, const char *field, int64_t max_window_s, dc_volume *out,
                         dc_error *err);

/* Parses a "volumes" array (1..max_volumes). On DC_OK *out is a dc_malloc'd
 * array of *n volumes; free with dc_volumes_free(). */
dc_status dc_json_volumes(const json_t *arr, const char *field, size_t max_volumes,
                          int64_t max_window_s, dc_volume **out, size_t *n, dc_error *err);
void dc_volumes_free(dc_volume *vols, size_t n); /* accepts NULL */

/* DC_EINVAL naming "<field>.<key>" (or "<key>" when field is "" or NULL)
 * with "unknown field" for the first member of object j that is not in
 * allowed (NULL-terminated); DC_OK when all are known or j is no object. */
dc_status dc_json_known(const json_t *j, const char *field, const char *const *allowed,
                        dc_error *err);

/* Serialises a volume in the check-CLI form; new reference. */
json_t *dc_json_from_volume(const dc_volume *v);
/* GeoJSON geometry of a footprint's core (Polygon / Point / LineString) with
 * radius_m or half_width_m members as in the input form; new reference. */
json_t *dc_json_from_footprint(const dc_footprint *fp);

#endif
