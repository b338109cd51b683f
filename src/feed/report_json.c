/* One decoded report as a JSON line (feed.h, dc_feed_report_json): the
 * fields of a track report first, then the source fields. alt_m is the
 * geometric altitude when the report has one, else the flight level as
 * pressure altitude (FL x 30.48 m, standard atmosphere). Writes into the
 * caller's buffer; no allocation. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "feed/feed_int.h"

typedef struct out {
    char *buf;
    size_t cap, n;
    int full;
} out;

static void put(out *o, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void put(out *o, const char *fmt, ...)
{
    if (o->full)
        return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(o->buf + o->n, o->cap - o->n, fmt, ap);
    va_end(ap);
    if (k < 0 || (size_t)k >= o->cap - o->n) {
        o->full = 1;
        return;
    }
    o->n += (size_t)k;
}

/* A number member, only when finite (every number printed is). */
static void num(out *o, const char *name, double v, int prec)
{
    if (isfinite(v))
        put(o, ",\"%s\":%.*f", name, prec, v == 0 ? 0.0 : v);
}

size_t dc_feed_report_json(const dc_feed_report *r, char *buf, size_t cap)
{
    if (!buf || !cap)
        return 0;
    out o = {buf, cap, 0, 0};
    put(&o, "{");
    if (r->has & DC_FEED_HAS_MODE_S)
        put(&o, "\"track_id\":\"%06X\"", (unsigned)r->mode_s);
    else if ((r->has & DC_FEED_HAS_TRACK_NUMBER) && (r->has & DC_FEED_HAS_SAC_SIC))
        put(&o, "\"track_id\":\"%03u-%u-%u-%u\"", r->category, r->sac, r->sic, r->track_number);
    else
        put(&o, "\"track_id\":null");
    if ((r->has & DC_FEED_HAS_TIME) && isfinite(r->time_s) && r->time_s >= 0 &&
        r->time_s < 253402300800.0) {
        double whole = floor(r->time_s);
        long ms = lround((r->time_s - whole) * 1000);
        time_t t = (time_t)whole;
        if (ms >= 1000) {
            t++;
            ms -= 1000;
        }
        struct tm tm;
        if (gmtime_r(&t, &tm))
            put(&o, ",\"time\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ\"", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
    }
    if ((r->has & DC_FEED_HAS_POSITION) && isfinite(r->lat_deg) && isfinite(r->lon_deg)) {
        num(&o, "lat", r->lat_deg, 7);
        num(&o, "lon", r->lon_deg, 7);
    }
    if (r->has & DC_FEED_HAS_GEO_ALT)
        num(&o, "alt_m", r->geo_alt_m, 2);
    else if (r->has & DC_FEED_HAS_FL)
        num(&o, "alt_m", r->fl * 100 * DC__FT_M, 2);
    else if (r->has & DC_FEED_HAS_CALC_FL)
        num(&o, "alt_m", r->calc_fl * 100 * DC__FT_M, 2);
    if (r->has & DC_FEED_HAS_VELOCITY) {
        num(&o, "ground_speed_mps", r->ground_speed_mps, 3);
        num(&o, "track_deg", r->track_deg, 3);
    }
    if (r->has & DC_FEED_HAS_VRATE)
        num(&o, "vertical_rate_mps", r->vertical_rate_mps, 3);
    static const char *const src[] = {"?", "asterix", "sbs", "beast"};
    put(&o, ",\"source\":\"%s\"", src[r->source <= 3 ? r->source : 0]);
    if (r->source == DC_FEED_SRC_ASTERIX)
        put(&o, ",\"category\":%u", r->category);
    if (r->has & DC_FEED_HAS_SAC_SIC)
        put(&o, ",\"sac\":%u,\"sic\":%u", r->sac, r->sic);
    if (r->has & DC_FEED_HAS_TRACK_NUMBER)
        put(&o, ",\"track_number\":%u", r->track_number);
    if (r->has & DC_FEED_HAS_MODE_S)
        put(&o, ",\"mode_s\":\"%06X\"", (unsigned)(r->mode_s & 0xffffff));
    if (r->has & DC_FEED_HAS_CALLSIGN) {
        /* decoders keep callsigns printable, without quotes or backslashes */
        put(&o, ",\"callsign\":\"%.8s\"", r->callsign);
    }
    if (r->has & DC_FEED_HAS_MODE_3A)
        put(&o, ",\"mode_3a\":\"%04o\"", r->mode_3a & 07777);
    if (r->has & DC_FEED_HAS_TOD)
        num(&o, "time_of_day_s", r->tod_s, 4);
    if (r->has & DC_FEED_HAS_FL)
        num(&o, "flight_level", r->fl, 2);
    if (r->has & DC_FEED_HAS_CALC_FL)
        num(&o, "calc_flight_level", r->calc_fl, 2);
    if (r->has & DC_FEED_HAS_GEO_ALT)
        num(&o, "geo_alt_m", r->geo_alt_m, 2);
    if (r->has & DC_FEED_HAS_POLAR) {
        num(&o, "rho_m", r->rho_m, 2);
        num(&o, "theta_deg", r->theta_deg, 6);
    }
    if (r->category == 62 && r->source == DC_FEED_SRC_ASTERIX && r->track_status) {
        static const char *const names[] = {"tentative", "simulated", "ended", "coasted"};
        put(&o, ",\"track_status\":[");
        int first = 1;
        for (int i = 0; i < 4; i++)
            if (r->track_status & (1u << i)) {
                put(&o, "%s\"%s\"", first ? "" : ",", names[i]);
                first = 0;
            }
        put(&o, "]");
    }
    put(&o, "}");
    if (o.full) {
        buf[0] = '\0';
        return 0;
    }
    return o.n;
}
