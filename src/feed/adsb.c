/* Mode S extended squitter (DF17/18 ADS-B, DO-260B) and the Beast binary
 * framing dump1090 serves on TCP port 30005. Decoded: identification (TC
 * 1-4), airborne position (TC 9-18 with barometric altitude, 20-22 GNSS)
 * with CPR global decoding from an even/odd pair no more than 10 s apart and
 * local decoding against the aircraft's last position or the receiver, and
 * airborne velocity over ground (TC 19 subtypes 1-2) with vertical rate.
 * Written by hand because no Debian or npm C library decodes Mode S/Beast
 * (dump1090 is a program, not a library). The aircraft table is a fixed
 * open-addressing hash allocated once: decoding never allocates. */
#include <math.h>
#include <string.h>

#include "feed/feed_int.h"

#define CPR_MAX 131072.0 /* 2^17 */
#define PAIR_MAX_S 10.0
#define LOCAL_MAX_AGE_S 60.0
#define PROBE 16

typedef struct aircraft {
    uint32_t icao;
    int used;
    double t_last_s;
    uint32_t cpr_lat[2], cpr_lon[2];
    double cpr_t_s[2];
    int cpr_have[2];
    int have_pos;
    double pos_t_s, lat_deg, lon_deg;
} aircraft;

struct dc_adsb {
    aircraft *tab;
    size_t cap; /* power of two */
    int has_ref;
    double ref_lat_deg, ref_lon_deg;
};

dc_adsb *dc_adsb_new(size_t max_aircraft, int has_ref, double ref_lat_deg, double ref_lon_deg)
{
    if (!max_aircraft)
        max_aircraft = 4096;
    if (max_aircraft > (1u << 24))
        max_aircraft = 1u << 24;
    size_t cap = 16;
    while (cap < 2 * max_aircraft)
        cap <<= 1;
    dc_adsb *a = dc_calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->tab = dc_calloc(cap, sizeof *a->tab);
    if (!a->tab) {
        dc_free(a);
        return NULL;
    }
    a->cap = cap;
    a->has_ref = has_ref && fabs(ref_lat_deg) <= 90 && fabs(ref_lon_deg) <= 180;
    a->ref_lat_deg = ref_lat_deg;
    a->ref_lon_deg = ref_lon_deg;
    return a;
}

void dc_adsb_free(dc_adsb *a)
{
    if (!a)
        return;
    dc_free(a->tab);
    dc_free(a);
}

/* The aircraft's slot: found, a free one, or the stalest of the probe run
 * (reset). */
static aircraft *lookup(dc_adsb *a, uint32_t icao, double t_s)
{
    size_t h = (size_t)((icao * 2654435761u) >> 8) & (a->cap - 1), victim = h;
    for (size_t i = 0; i < PROBE; i++) {
        size_t k = (h + i) & (a->cap - 1);
        aircraft *e = &a->tab[k];
        if (e->used && e->icao == icao)
            return e;
        if (!e->used) {
            victim = k;
            break;
        }
        if (e->t_last_s < a->tab[victim].t_last_s)
            victim = k;
    }
    aircraft *e = &a->tab[victim];
    memset(e, 0, sizeof *e);
    e->used = 1;
    e->icao = icao;
    e->t_last_s = t_s;
    return e;
}

/* Mode S CRC-24 (generator 0x1FFF409) of n bytes. */
static uint32_t modes_crc(const uint8_t *m, size_t n)
{
    uint32_t crc = 0;
    for (size_t i = 0; i < n; i++) {
        crc ^= (uint32_t)m[i] << 16;
        for (int b = 0; b < 8; b++)
            crc = (crc & 0x800000) ? (crc << 1) ^ 0xfff409 : crc << 1;
    }
    return crc & 0xffffff;
}

/* Number of longitude zones at a latitude (DO-260B A.1.7.2.d). */
static int cpr_nl(double lat)
{
    lat = fabs(lat);
    if (lat < 1e-9)
        return 59;
    if (lat > 87)
        return 1;
    if (lat == 87)
        return 2;
    const double nz = 15;
    double a = 1 - cos(M_PI / (2 * nz));
    double b = cos(M_PI / 180 * lat);
    double x = 1 - a / (b * b);
    if (x < -1)
        return 1;
    int nl = (int)floor(2 * M_PI / acos(x));
    return nl < 1 ? 1 : nl > 59 ? 59 : nl;
}

static double pmod(double a, double b)
{
    double r = fmod(a, b);
    return r < 0 ? r + b : r;
}

dc_status dc_cpr_global(uint32_t lat_even, uint32_t lon_even, uint32_t lat_odd, uint32_t lon_odd,
                        int odd_latest, double *lat_deg, double *lon_deg)
{
    double le = (lat_even & 0x1ffff) / CPR_MAX, lo = (lat_odd & 0x1ffff) / CPR_MAX;
    double ge = (lon_even & 0x1ffff) / CPR_MAX, go = (lon_odd & 0x1ffff) / CPR_MAX;
    double j = floor(59 * le - 60 * lo + 0.5);
    double rle = 360.0 / 60 * (pmod(j, 60) + le), rlo = 360.0 / 59 * (pmod(j, 59) + lo);
    if (rle >= 270)
        rle -= 360;
    if (rlo >= 270)
        rlo -= 360;
    if (fabs(rle) > 90 || fabs(rlo) > 90)
        return DC_EINVAL;
    int nl = cpr_nl(rle);
    if (nl != cpr_nl(rlo))
        return DC_EINVAL;
    double lat = odd_latest ? rlo : rle;
    int ni = odd_latest ? nl - 1 : nl;
    if (ni < 1)
        ni = 1;
    double m = floor(ge * (nl - 1) - go * nl + 0.5);
    double lon = 360.0 / ni * (pmod(m, ni) + (odd_latest ? go : ge));
    if (lon >= 180)
        lon -= 360;
    *lat_deg = lat;
    *lon_deg = lon;
    return DC_OK;
}

dc_status dc_cpr_local(uint32_t lat_cpr, uint32_t lon_cpr, int odd, double ref_lat_deg,
                       double ref_lon_deg, double *lat_deg, double *lon_deg)
{
    if (!(fabs(ref_lat_deg) <= 90) || !(fabs(ref_lon_deg) <= 180))
        return DC_EINVAL;
    double y = (lat_cpr & 0x1ffff) / CPR_MAX, x = (lon_cpr & 0x1ffff) / CPR_MAX;
    double dlat = odd ? 360.0 / 59 : 360.0 / 60;
    double j = floor(ref_lat_deg / dlat) + floor(0.5 + pmod(ref_lat_deg, dlat) / dlat - y);
    double lat = dlat * (j + y);
    if (fabs(lat) > 90)
        return DC_EINVAL;
    int ni = cpr_nl(lat) - (odd ? 1 : 0);
    if (ni < 1)
        ni = 1;
    double dlon = 360.0 / ni;
    double m = floor(ref_lon_deg / dlon) + floor(0.5 + pmod(ref_lon_deg, dlon) / dlon - x);
    double lon = dlon * (m + x);
    if (lon >= 180)
        lon -= 360;
    if (lon < -180)
        lon += 360;
    *lat_deg = lat;
    *lon_deg = lon;
    return DC_OK;
}

/* Barometric altitude of an airborne position (12-bit AC field with Q=1,
 * 25 ft steps); 0 when absent or Gillham-coded (Q=0, not decoded). */
static int ac12_ft(const uint8_t *me, double *ft)
{
    uint32_t ac = (uint32_t)me[1] << 4 | me[2] >> 4;
    if (!ac || !(ac & 0x10))
        return 0;
    uint32_t n = ((ac & 0xfe0) >> 1) | (ac & 0x0f);
    *ft = n * 25.0 - 1000.0;
    return 1;
}

static void position(dc_adsb *a, aircraft *ac, const uint8_t *me, int tc, double t_s,
                     dc_feed_report *r)
{
    double ft;
    if (tc <= 18 && ac12_ft(me, &ft)) {
        r->fl = ft / 100.0;
        r->has |= DC_FEED_HAS_FL;
    }
    int odd = (me[2] >> 2) & 1;
    uint32_t lat = ((uint32_t)(me[2] & 3) << 15) | (uint32_t)me[3] << 7 | me[4] >> 1;
    uint32_t lon = ((uint32_t)(me[4] & 1) << 16) | (uint32_t)me[5] << 8 | me[6];
    ac->cpr_lat[odd] = lat;
    ac->cpr_lon[odd] = lon;
    ac->cpr_t_s[odd] = t_s;
    ac->cpr_have[odd] = 1;
    double la, lo;
    dc_status s = DC_EINVAL;
    if (ac->cpr_have[!odd] && fabs(t_s - ac->cpr_t_s[!odd]) <= PAIR_MAX_S)
        s = dc_cpr_global(ac->cpr_lat[0], ac->cpr_lon[0], ac->cpr_lat[1], ac->cpr_lon[1], odd, &la,
                          &lo);
    if (s != DC_OK && ac->have_pos && fabs(t_s - ac->pos_t_s) <= LOCAL_MAX_AGE_S)
        s = dc_cpr_local(lat, lon, odd, ac->lat_deg, ac->lon_deg, &la, &lo);
    if (s != DC_OK && a->has_ref)
        s = dc_cpr_local(lat, lon, odd, a->ref_lat_deg, a->ref_lon_deg, &la, &lo);
    if (s != DC_OK || !isfinite(la) || !isfinite(lo))
        return;
    ac->have_pos = 1;
    ac->pos_t_s = t_s;
    ac->lat_deg = la;
    ac->lon_deg = lo;
    r->lat_deg = la;
    r->lon_deg = lo;
    r->has |= DC_FEED_HAS_POSITION;
}

static void velocity(const uint8_t *me, dc_feed_report *r)
{
    int st = me[0] & 7;
    if (st == 1 || st == 2) {
        uint32_t vew = ((uint32_t)(me[1] & 3) << 8) | me[2];
        uint32_t vns = ((uint32_t)(me[3] & 0x7f) << 3) | me[4] >> 5;
        if (vew && vns) {
            double k = st == 2 ? 4 : 1;
            double vx = (vew - 1.0) * k * ((me[1] & 4) ? -1 : 1);
            double vy = (vns - 1.0) * k * ((me[3] & 0x80) ? -1 : 1);
            r->ground_speed_mps = hypot(vx, vy) * DC__KT_MPS;
            r->track_deg = dc__deg360(atan2(vx, vy) * 180 / M_PI);
            r->has |= DC_FEED_HAS_VELOCITY;
        }
    }
    if (st >= 1 && st <= 4) {
        uint32_t vr = ((uint32_t)(me[4] & 7) << 6) | me[5] >> 2;
        if (vr) {
            r->vertical_rate_mps = (vr - 1.0) * 64 * ((me[4] & 8) ? -1 : 1) * DC__FPM_MPS;
            r->has |= DC_FEED_HAS_VRATE;
        }
    }
}

/* Decodes one frame; returns 1 when a report was passed to fn. */
static int decode(dc_adsb *a, const uint8_t *m, size_t len, double t_s, dc_feed_report_fn fn,
                  void *ctx, dc_status *st, dc_feed_error *err)
{
    *st = DC_OK;
    if (len != 7 && len != 14) {
        *st = dc__feed_fail(err, 0, "Mode S: %zu bytes, a frame has 7 or 14", len);
        return 0;
    }
    unsigned df = m[0] >> 3;
    if (len != 14 || (df != 17 && df != 18))
        return 0; /* other downlink formats carry no ADS-B */
    if (df == 18 && (m[0] & 7) != 0 && (m[0] & 7) != 1 && (m[0] & 7) != 6)
        return 0; /* TIS-B fine/coarse formats and reserved: not decoded */
    if (modes_crc(m, 11) != dc__u24(m + 11)) {
        *st = dc__feed_fail(err, 11, "Mode S: DF%u CRC mismatch", df);
        return 0;
    }
    if (!isfinite(t_s))
        t_s = 0;
    uint32_t icao = dc__u24(m + 1);
    const uint8_t *me = m + 4;
    int tc = me[0] >> 3;
    dc_feed_report r;
    memset(&r, 0, sizeof r);
    r.source = DC_FEED_SRC_BEAST;
    r.mode_s = icao;
    r.has = DC_FEED_HAS_MODE_S;
    aircraft *ac = lookup(a, icao, t_s);
    ac->t_last_s = t_s;
    if (tc >= 1 && tc <= 4) {
        if (dc__callsign6(me + 1, r.callsign))
            r.has |= DC_FEED_HAS_CALLSIGN;
    } else if ((tc >= 9 && tc <= 18) || (tc >= 20 && tc <= 22)) {
        position(a, ac, me, tc, t_s, &r);
    } else if (tc == 19) {
        velocity(me, &r);
    } else {
        return 0;
    }
    if (fn)
        fn(ctx, &r);
    return 1;
}

dc_status dc_adsb_decode(dc_adsb *a, const uint8_t *msg, size_t len, double t_s,
                         dc_feed_report_fn fn, void *ctx, dc_feed_error *err)
{
    dc_status s;
    decode(a, msg, len, t_s, fn, ctx, &s, err);
    return s;
}

dc_status dc_beast_decode(dc_adsb *a, const uint8_t *buf, size_t len, size_t *used,
                          dc_feed_report_fn fn, void *ctx, dc_feed_stats *stats)
{
    size_t i = 0;
    int garbage = 0;
    while (i < len) {
        if (buf[i] != 0x1a) {
            garbage = 1;
            i++;
            continue;
        }
        if (i + 1 >= len)
            break; /* a frame may start here: keep it */
        uint8_t type = buf[i + 1];
        size_t n = type == '1' ? 2 : type == '2' ? 7 : type == '3' ? 14 : type == '4' ? 14 : 0;
        if (!n) {
            garbage = 1;
            i += type == 0x1a ? 2 : 1;
            continue;
        }
        uint8_t frame[6 + 1 + 14];
        size_t want = 7 + n, got = 0, j = i + 2;
        int broken = 0;
        while (got < want && j < len) {
            if (buf[j] == 0x1a) {
                if (j + 1 >= len)
                    break;
                if (buf[j + 1] != 0x1a) {
                    broken = 1; /* a new frame starts inside this one */
                    break;
                }
                j++;
            }
            frame[got++] = buf[j++];
        }
        if (broken) {
            garbage = 1;
            i = j;
            continue;
        }
        if (got < want)
            break; /* cut at the end of buf: leave it for the next call */
        if (garbage && stats)
            stats->errors++;
        garbage = 0;
        i = j;
        if (stats)
            stats->blocks++;
        if (type != '2' && type != '3')
            continue; /* Mode A/C and status frames carry no ADS-B */
        uint64_t ts = 0;
        for (int k = 0; k < 6; k++)
            ts = ts << 8 | frame[k];
        dc_status s;
        dc_feed_error err;
        int got_report = decode(a, frame + 7, n, (double)ts / 12e6, fn, ctx, &s, &err);
        if (stats) {
            if (s != DC_OK)
                stats->errors++;
            if (got_report)
                stats->records++;
        }
    }
    if (garbage && stats)
        stats->errors++;
    *used = i;
    return DC_OK;
}
