/* Aviation units for what the CLI prints to a person: horizontal distances
 * in nautical miles with kilometres beside, altitudes in feet or flight
 * levels with metres beside. The API and every JSON output stay in metres
 * (docs/design.md section 2); these are only the words around them. */
#ifndef DC_CLI_UNITS_H
#define DC_CLI_UNITS_H

#include <jansson.h>
#include <stddef.h>

/* "0.7 NM (1.3 km)". Returns buf. */
const char *dc__fmt_dist(double m, char *buf, size_t len);
/* "FL197 (6000 m)" from 10,000 ft up, else "3937 ft (1200 m)". Returns buf. */
const char *dc__fmt_alt(double m, char *buf, size_t len);
/* "SFC-FL197 (0-6000 m)" or "3937 ft-FL157 (1200-4800 m)". Returns buf. */
const char *dc__fmt_band(double lo_m, double hi_m, char *buf, size_t len);
/* An alert's distance band ("10-20 km") in NM with the km beside
 * ("5.4-10.8 NM (10-20 km)"); an unknown band is copied. Returns buf. */
const char *dc__fmt_distance_band(const char *band, char *buf, size_t len);
/* "05:55Z" of an RFC 3339 time, "?" when it is none. */
void dc__fmt_hhmm(const char *rfc, char *out, size_t len);
/* A blind notice in one line: "34.05-34.45N 44.95-45.40E 3937 ft-FL157
 * (1200-4800 m) 05:55Z-09:05Z". */
void dc__notice_text(const json_t *n, char *out, size_t len);

/* One alert record (GET /v1/alerts: an operator's advisory, the
 * authority's pair, a conformance change, a probing alert) in a line, with
 * distances in NM and altitudes in ft/FL; `at` labels its time. */
void dc__alert_text(const json_t *a, const char *at, char *out, size_t len);

#endif
