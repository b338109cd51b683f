/* 4D volumes (footprint x altitude band x time window) and RFC 3339 time
 * handling. Times are whole seconds UTC; fractional input seconds are
 * rounded outward by the caller's choice so a window never shrinks. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "deconflict/geo.h"

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

dc_status dc_time_parse(const char *s, int round_up, int64_t *out_s)
{
    int Y, M, D, h, m, sec;
    if (!s || strlen(s) < 20)
        return DC_EINVAL;
    if (digits(s, 4, &Y) || s[4] != '-' || digits(s + 5, 2, &M) || s[7] != '-' ||
        digits(s + 8, 2, &D) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
        digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &m) || s[16] != ':' ||
        digits(s + 17, 2, &sec))
        return DC_EINVAL;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (Y < 1900 || M < 1 || M > 12 || D < 1 || D > mdays[M - 1] || h > 23 || m > 59 || sec > 60)
        return DC_EINVAL;
    int leap = (Y % 4 == 0 && Y % 100 != 0) || Y % 400 == 0;
    if (M == 2 && D == 29 && !leap)
        return DC_EINVAL;
    const char *p = s + 19;
    int frac = 0;
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p))
            return DC_EINVAL;
        while (isdigit((unsigned char)*p)) {
            if (*p != '0')
                frac = 1;
            p++;
        }
    }
    int64_t off = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om;
        if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om) || oh > 23 || om > 59)
            return DC_EINVAL;
        off = (int64_t)(oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);
        p += 6;
    } else {
        return DC_EINVAL;
    }
    if (*p)
        return DC_EINVAL;
    int64_t t = days_from_civil(Y, (unsigned)M, (unsigned)D) * 86400 + h * 3600 + m * 60 +
                (sec == 60 ? 59 : sec) - off;
    int64_t up = t + (frac ? 1 : 0) + (sec == 60 ? 1 : 0);
    /* Only instants that dc_time_format writes back in a form this parser
     * reads: an offset or a rounding must not carry 9999-12-31T23:00-05:00
     * into year 10000 (or 1900-01-01T00:00+01:00 into 1899), which would be
     * stored and then refused when the store is loaded again. Both roundings
     * are checked, so whether a string is valid never depends on which one
     * the caller asked for (fuzz_time: "1900-01-01T00:00:60+00:01"). */
    if (t < -2208988800 || up > 253402300799) /* 1900-01-01 .. 9999-12-31T23:59:59Z */
        return DC_EINVAL;
    *out_s = round_up ? up : t;
    return DC_OK;
}

void dc_time_format(int64_t t_s, char *buf, size_t len)
{
    int64_t days = t_s >= 0 ? t_s / 86400 : -((-t_s + 86399) / 86400);
    int64_t rem = t_s - days * 86400;
    /* civil_from_days */
    int64_t z = days + 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = (int64_t)yoe + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
    snprintf(buf, len, "%04lld-%02u-%02uT%02d:%02d:%02dZ", (long long)y, m, d, (int)(rem / 3600),
             (int)(rem % 3600 / 60), (int)(rem % 60));
}

dc_status dc_volume_init(dc_volume *v, dc_footprint *fp, double alt_lower_m, double alt_upper_m,
                         int64_t t_start_s, int64_t t_end_s, int64_t max_window_s,
                         const char *field, dc_error *err)
{
    char f[300];
    if (!isfinite(alt_lower_m) || alt_lower_m < -1000 || alt_lower_m > 100000) {
        snprintf(f, sizeof f, "%s.altitude_lower_m", field ? field : "");
        return dc_error_set(err, f, "must be a number in [-1000, 100000] m");
    }
    if (!isfinite(alt_upper_m) || alt_upper_m < -1000 || alt_upper_m > 100000) {
        snprintf(f, sizeof f, "%s.altitude_upper_m", field ? field : "");
        return dc_error_set(err, f, "must be a number in [-1000, 100000] m");
    }
    if (alt_lower_m > alt_upper_m) {
        snprintf(f, sizeof f, "%s.altitude_lower_m", field ? field : "");
        return dc_error_set(err, f, "lower altitude %.1f m is above upper altitude %.1f m",
                            alt_lower_m, alt_upper_m);
    }
    if (t_end_s <= t_start_s) {
        snprintf(f, sizeof f, "%s.time_end", field ? field : "");
        return dc_error_set(err, f, "must be after time_start");
    }
    if (max_window_s > 0 && t_end_s - t_start_s > max_window_s) {
        snprintf(f, sizeof f, "%s.time_end", field ? field : "");
        return dc_error_set(err, f, "window is longer than %lld s", (long long)max_window_s);
    }
    v->fp = fp;
    v->alt_lower_m = alt_lower_m;
    v->alt_upper_m = alt_upper_m;
    v->t_start_s = t_start_s;
    v->t_end_s = t_end_s;
    return DC_OK;
}

void dc_volume_clear(dc_volume *v)
{
    if (!v)
        return;
    dc_footprint_free(v->fp);
    v->fp = NULL;
}
