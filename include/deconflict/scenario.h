/* The reference scenario (docs/design.md section 9) and its load-scaled
 * variants: plans for every party, and a deterministic simulator that gives
 * each aircraft's position report at any time. Scenario files keep times as
 * offsets ("HH:MM") from the day's start; loading maps them onto a chosen
 * UTC day so the same story can run today, in real or accelerated time. */
#ifndef DECONFLICT_SCENARIO_H
#define DECONFLICT_SCENARIO_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "deconflict/status.h"

typedef struct dc_scenario dc_scenario;

/* Loads path. day_start_s: the UTC second that offset 00:00 maps to.
 * scale: number of extra generated operators (each with a few operations
 * and aircraft), 0 for the file alone; seed makes them deterministic.
 * On DC_OK *out is the caller's: dc_scenario_free(). */
dc_status dc_scenario_load(const char *path, int64_t day_start_s, uint32_t scale, uint32_t seed,
                           dc_scenario **out, dc_error *err);
void dc_scenario_free(dc_scenario *s); /* accepts NULL */

/* The plans with absolute RFC 3339 times, borrowed until dc_scenario_free:
 * {"authority": NAME, "operators": [NAME...],
 *  "restrictions": [{"ref", "name", "exempt": [NAME...], "volumes": [...]}],
 *  "operations": [{"ref", "operator": NAME, "priority", "expect"?, "volumes": [...]}]}
 * Volumes are in the API's form. */
const json_t *dc_scenario_plans(const dc_scenario *s);

/* One simulated position report. Strings are borrowed from the scenario. */
typedef struct dc_scenario_report {
    const char *callsign;
    const char *operator_name;
    const char *operation_ref; /* the plan the aircraft flies, may be NULL */
    double lat_deg, lon_deg, alt_m;
    double ground_speed_mps, track_deg, vertical_rate_mps;
} dc_scenario_report;

size_t dc_scenario_aircraft_count(const dc_scenario *s);
/* Report of aircraft i at t_s (UTC seconds). Returns 1 when airborne at t_s,
 * 0 when not (before its first or after its last point). */
int dc_scenario_position(const dc_scenario *s, size_t i, double t_s, dc_scenario_report *out);
/* Earliest and latest airborne time over all aircraft. */
void dc_scenario_span(const dc_scenario *s, double *t_first_s, double *t_last_s);

#endif
