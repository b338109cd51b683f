/* Aviation units for the CLI's words (units.h): NM beside km, ft or FL
 * beside m. Flight levels from 10,000 ft up: a level is hundreds of feet
 * on the standard pressure datum, and below that pilots read feet. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli/units.h"
#include "deconflict/deconflict.h"

#define M_PER_NM 1852.0
#define M_PER_FT 0.3048

const char *dc__fmt_dist(double m, char *buf, size_t len)
{
    snprintf(buf, len, "%.1f NM (%.1f km)", m / M_PER_NM, m / 1000);
    return buf;
}

const char *dc__fmt_distance_band(const char *band, char *buf, size_t len)
{
    double a, b;
    char c;
    if (!band)
        snprintf(buf, len, "?");
    else if (sscanf(band, "%lf-%lf km%c", &a, &b, &c) == 2)
        snprintf(buf, len, "%.1f-%.1f NM (%s)", a * 1000 / M_PER_NM, b * 1000 / M_PER_NM, band);
    else if ((band[0] == '<' || band[0] == '>') && sscanf(band + 1, "%lf km%c", &a, &c) == 1)
        snprintf(buf, len, "%c%.1f NM (%s)", band[0], a * 1000 / M_PER_NM, band);
    else
        snprintf(buf, len, "%s", band);
    return buf;
}

/* The feet or flight-level part alone. */
static void ft_or_fl(double m, char *buf, size_t len)
{
    double ft = m / M_PER_FT;
    if (fabs(m) < 0.5)
        snprintf(buf, len, "SFC");
    else if (ft >= 10000)
        snprintf(buf, len, "FL%03.0f", floor(ft / 100 + 0.5));
    else
        snprintf(buf, len, "%.0f ft", ft);
}

const char *dc__fmt_alt(double m, char *buf, size_t len)
{
    char a[24];
    ft_or_fl(m, a, sizeof a);
    snprintf(buf, len, "%s (%.0f m)", a, m);
    return buf;
}

const char *dc__fmt_band(double lo_m, double hi_m, char *buf, size_t len)
{
    char a[24], b[24];
    ft_or_fl(lo_m, a, sizeof a);
    ft_or_fl(hi_m, b, sizeof b);
    snprintf(buf, len, "%s-%s (%.0f-%.0f m)", a, b, lo_m, hi_m);
    return buf;
}

void dc__fmt_hhmm(const char *rfc, char *out, size_t len)
{
    int64_t t;
    char buf[40];
    if (!rfc || dc_time_parse(rfc, 0, &t) != DC_OK) {
        snprintf(out, len, "?");
        return;
    }
    dc_time_format(t, buf, sizeof buf);
    snprintf(out, len, "%.5sZ", buf + 11);
}

void dc__notice_text(const json_t *n, char *out, size_t len)
{
    double la0 = 90, la1 = -90, lo0 = 180, lo1 = -180;
    size_t i, k;
    json_t *ring, *pt;
    json_array_foreach(json_object_get(json_object_get(n, "footprint"), "coordinates"), i, ring)
    {
        json_array_foreach(ring, k, pt)
        {
            double lo = json_number_value(json_array_get(pt, 0)),
                   la = json_number_value(json_array_get(pt, 1));
            lo0 = fmin(lo0, lo), lo1 = fmax(lo1, lo), la0 = fmin(la0, la), la1 = fmax(la1, la);
        }
    }
    char a[16], b[16], band[64];
    dc__fmt_hhmm(json_string_value(json_object_get(n, "time_start")), a, sizeof a);
    dc__fmt_hhmm(json_string_value(json_object_get(n, "time_end")), b, sizeof b);
    dc__fmt_band(json_number_value(json_object_get(n, "altitude_lower_m")),
                 json_number_value(json_object_get(n, "altitude_upper_m")), band, sizeof band);
    snprintf(out, len, "%.2f-%.2fN %.2f-%.2fE %s %s-%s", la0, la1, lo0, lo1, band, a, b);
}

static const char *side_text(const json_t *sd, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s",
             json_string_value(json_object_get(json_object_get(sd, "operator"), "name")),
             json_string_value(json_object_get(sd, "track_id")));
    return buf;
}

void dc__alert_text(const json_t *a, const char *at, char *out, size_t len)
{
    const char *kind = json_string_value(json_object_get(a, "kind"));
    const json_t *rel = json_object_get(a, "intruder");
    char sa[100], sb[100], cpa[48];
    if (kind && !strcmp(kind, "probing")) {
        const json_t *area = json_object_get(a, "area");
        snprintf(
            out, len, "%s probing: %s, %lld rejections in %.2f-%.2fN %.2f-%.2fE within %lld s", at,
            json_string_value(json_object_get(json_object_get(a, "operator"), "name")),
            (long long)json_integer_value(json_object_get(a, "rejections")),
            json_number_value(json_array_get(area, 1)), json_number_value(json_array_get(area, 3)),
            json_number_value(json_array_get(area, 0)), json_number_value(json_array_get(area, 2)),
            (long long)json_integer_value(json_object_get(a, "window_s")));
    } else if (json_is_object(rel)) {
        /* An operator's advisory: a coarse picture and a manoeuvre. */
        const json_t *adv = json_object_get(a, "advisory");
        const char *man = json_string_value(json_object_get(adv, "maneuver"));
        const char *sector = json_string_value(json_object_get(rel, "sector"));
        char todo[80], alt[40], bnd[48];
        if (man && !strcmp(man, "turn"))
            snprintf(todo, sizeof todo, "turn %s %.0f deg to %03.0f",
                     json_string_value(json_object_get(adv, "direction")),
                     json_number_value(json_object_get(adv, "turn_deg")),
                     json_number_value(json_object_get(adv, "heading_deg")));
        else
            snprintf(todo, sizeof todo, "%s to %s", man ? man : "?",
                     dc__fmt_alt(json_number_value(json_object_get(adv, "altitude_m")), alt,
                                 sizeof alt));
        snprintf(out, len, "%s %s: own %s; intruder %s, %s, %s; loss in %.0f+ s; advisory: %s", at,
                 kind, json_string_value(json_object_get(a, "track_id")), sector ? sector : "close",
                 dc__fmt_distance_band(json_string_value(json_object_get(rel, "distance_band")),
                                       bnd, sizeof bnd),
                 json_string_value(json_object_get(rel, "vertical")),
                 json_number_value(json_object_get(a, "t_los_s")), todo);
    } else if (json_object_get(a, "a") && !json_object_get(a, "d_cpa_m")) {
        snprintf(out, len, "%s %s: %s and %s", at, kind,
                 side_text(json_object_get(a, "a"), sa, sizeof sa),
                 side_text(json_object_get(a, "b"), sb, sizeof sb));
    } else if (json_object_get(a, "a"))
        snprintf(out, len, "%s %s: %s and %s; loss in %.0f s, CPA %s in %.0f s", at, kind,
                 side_text(json_object_get(a, "a"), sa, sizeof sa),
                 side_text(json_object_get(a, "b"), sb, sizeof sb),
                 json_number_value(json_object_get(a, "t_in_s")),
                 dc__fmt_dist(json_number_value(json_object_get(a, "d_cpa_m")), cpa, sizeof cpa),
                 json_number_value(json_object_get(a, "t_cpa_s")));
    else if (!json_object_get(a, "operation_state"))
        snprintf(out, len, "%s %s: own %s", at, kind,
                 json_string_value(json_object_get(a, "track_id")));
    else
        snprintf(out, len, "%s %s: %s%s%s, operation %s", at, kind,
                 json_object_get(a, "operator")
                     ? json_string_value(json_object_get(json_object_get(a, "operator"), "name"))
                     : "own",
                 json_object_get(a, "operator") ? "/" : " ",
                 json_string_value(json_object_get(a, "track_id")),
                 json_string_value(json_object_get(a, "operation_state")));
}
