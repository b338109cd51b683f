/* SBS-1 / BaseStation CSV, the text dump1090 serves on TCP port 30003:
 * "MSG,<type 1-8>,session,aircraft,HEXIDENT,flight,date gen,time gen,date
 * logged,time logged,callsign,altitude ft,ground speed kt,track deg,lat,lon,
 * vertical rate ft/min,squawk,alert,emergency,spi,on ground". Empty fields
 * are absent. Dates and times are taken as UTC (dump1090 writes its clock's).
 * Written by hand: no Debian or npm C library parses it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "feed/feed_int.h"

#define NFIELDS 22

/* Copies field [s, s+n) NUL-terminated into out (cap bytes); 0 if too long. */
static int field_str(const char *s, size_t n, char *out, size_t cap)
{
    if (n >= cap)
        return 0;
    memcpy(out, s, n);
    out[n] = '\0';
    return 1;
}

static int field_num(const char *s, size_t n, double *v)
{
    char tmp[40];
    if (!field_str(s, n, tmp, sizeof tmp) || !n)
        return 0;
    char *end;
    double d = strtod(tmp, &end);
    if (*end || !isfinite(d))
        return 0;
    *v = d;
    return 1;
}

/* "YYYY/MM/DD" and "HH:MM:SS[.fff]" to seconds UTC since 1970. */
static int sbs_time(const char *d, size_t dn, const char *t, size_t tn, double *out)
{
    char ds[16], ts[24];
    if (!field_str(d, dn, ds, sizeof ds) || !field_str(t, tn, ts, sizeof ts))
        return 0;
    int y, mo, da, h, mi;
    double sec;
    char c1, c2, c3, c4;
    if (sscanf(ds, "%4d%c%2d%c%2d", &y, &c1, &mo, &c2, &da) != 5 || c1 != c2 ||
        (c1 != '/' && c1 != '-'))
        return 0;
    if (sscanf(ts, "%2d%c%2d%c%lf", &h, &c3, &mi, &c4, &sec) != 5 || c3 != ':' || c4 != ':')
        return 0;
    if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || da < 1 || da > 31 || h < 0 || h > 23 ||
        mi < 0 || mi > 59 || !(sec >= 0 && sec < 61))
        return 0;
    /* days from civil (Howard Hinnant's algorithm): no timegm, no TZ */
    int yy = y - (mo <= 2);
    int era = yy / 400;
    unsigned yoe = (unsigned)(yy - era * 400);
    unsigned doy = (unsigned)((153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + da - 1);
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    double days = (double)era * 146097 + (double)doe - 719468;
    *out = days * 86400 + h * 3600 + mi * 60 + sec;
    return 1;
}

dc_status dc_sbs_decode_line(const char *line, size_t len, dc_feed_report_fn fn, void *ctx,
                             dc_feed_error *err)
{
    while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        len--;
    const char *f[NFIELDS];
    size_t fl[NFIELDS], nf = 0, start = 0;
    for (size_t i = 0; i <= len && nf < NFIELDS; i++)
        if (i == len || line[i] == ',') {
            f[nf] = line + start;
            fl[nf++] = i - start;
            start = i + 1;
        }
    if (nf < 2 || fl[0] != 3 || memcmp(f[0], "MSG", 3)) {
        if (len >= 3 &&
            (!memcmp(line, "SEL", 3) || !memcmp(line, "ID,", 3) || !memcmp(line, "AIR", 3) ||
             !memcmp(line, "STA", 3) || !memcmp(line, "CLK", 3)))
            return DC_OK;
        if (!len)
            return DC_OK;
        return dc__feed_fail(err, 0,
                             "SBS: line does not start with MSG (or SEL, ID, AIR, STA, CLK)");
    }
    if (fl[1] != 1 || f[1][0] < '1' || f[1][0] > '8')
        return dc__feed_fail(err, (size_t)(f[1] - line), "SBS: transmission type is not 1..8");
    if (nf < 11)
        return dc__feed_fail(err, len, "SBS: MSG line has %zu fields, at least 11 expected", nf);
    for (size_t i = nf; i < NFIELDS; i++)
        f[i] = line + len, fl[i] = 0;
    dc_feed_report r;
    memset(&r, 0, sizeof r);
    r.source = DC_FEED_SRC_SBS;
#define AT(i) ((size_t)(f[i] - line))
    if (fl[4] != 6)
        return dc__feed_fail(err, AT(4), "SBS: hex ident is not 6 hex digits");
    for (size_t i = 0; i < 6; i++) {
        char ch = f[4][i];
        int v = ch >= '0' && ch <= '9'   ? ch - '0'
                : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
                : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
                                         : -1;
        if (v < 0)
            return dc__feed_fail(err, AT(4) + i, "SBS: hex ident is not 6 hex digits");
        r.mode_s = r.mode_s << 4 | (uint32_t)v;
    }
    r.has |= DC_FEED_HAS_MODE_S;
    int fields = 0;
    if (fl[6] && fl[7]) {
        if (!sbs_time(f[6], fl[6], f[7], fl[7], &r.time_s))
            return dc__feed_fail(err, AT(6), "SBS: date/time generated is not YYYY/MM/DD,HH:MM:SS");
        r.tod_s = fmod(r.time_s, 86400.0);
        r.has |= DC_FEED_HAS_TIME | DC_FEED_HAS_TOD;
    }
    if (fl[10]) {
        size_t k = 0;
        for (size_t i = 0; i < fl[10] && k < 8; i++) {
            char ch = f[10][i];
            r.callsign[k++] =
                (ch > 0x20 && ch < 0x7f && ch != '"' && ch != '\\') ? ch : (ch == ' ' ? ' ' : '?');
        }
        while (k && r.callsign[k - 1] == ' ')
            k--;
        r.callsign[k] = '\0';
        if (k) {
            r.has |= DC_FEED_HAS_CALLSIGN;
            fields++;
        }
    }
    double v, v2;
    if (fl[11]) {
        if (!field_num(f[11], fl[11], &v) || fabs(v) > 200000)
            return dc__feed_fail(err, AT(11), "SBS: altitude is not a number of feet");
        r.fl = v / 100.0;
        r.has |= DC_FEED_HAS_FL;
        fields++;
    }
    if (fl[12] || fl[13]) {
        if (!field_num(f[12], fl[12], &v) || v < 0 || v > 10000)
            return dc__feed_fail(err, AT(12), "SBS: ground speed is not a number of knots");
        if (!field_num(f[13], fl[13], &v2) || fabs(v2) > 720)
            return dc__feed_fail(err, AT(13), "SBS: track is not a number of degrees");
        r.ground_speed_mps = v * DC__KT_MPS;
        r.track_deg = dc__deg360(v2);
        r.has |= DC_FEED_HAS_VELOCITY;
        fields++;
    }
    if (fl[14] || fl[15]) {
        if (!field_num(f[14], fl[14], &v) || fabs(v) > 90)
            return dc__feed_fail(err, AT(14), "SBS: latitude is not a number in [-90, 90]");
        if (!field_num(f[15], fl[15], &v2) || fabs(v2) > 180)
            return dc__feed_fail(err, AT(15), "SBS: longitude is not a number in [-180, 180]");
        r.lat_deg = v;
        r.lon_deg = v2;
        r.has |= DC_FEED_HAS_POSITION;
        fields++;
    }
    if (fl[16]) {
        if (!field_num(f[16], fl[16], &v) || fabs(v) > 100000)
            return dc__feed_fail(err, AT(16), "SBS: vertical rate is not a number of ft/min");
        r.vertical_rate_mps = v * DC__FPM_MPS;
        r.has |= DC_FEED_HAS_VRATE;
        fields++;
    }
    if (fl[17]) {
        unsigned sq = 0;
        size_t i = 0;
        for (; i < fl[17] && i < 4 && f[17][i] >= '0' && f[17][i] <= '7'; i++)
            sq = sq << 3 | (unsigned)(f[17][i] - '0');
        if (i != fl[17] || i != 4)
            return dc__feed_fail(err, AT(17), "SBS: squawk is not four octal digits");
        r.mode_3a = (uint16_t)sq;
        r.has |= DC_FEED_HAS_MODE_3A;
        fields++;
    }
#undef AT
    if (fields && fn)
        fn(ctx, &r);
    return DC_OK;
}
