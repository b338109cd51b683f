/* ASTERIX CAT021 and CAT048: the item decoders and UAP tables of CAT021
 * (ADS-B reports) Part 12 edition 2.6, its UAP unchanged since 2.1, and of
 * CAT048 (monoradar target reports) Part 4 edition 1.21, with the polar to
 * WGS84 conversion at the radar site. The record and block walk that uses
 * them is asterix.c; docs/feeds.md lists the items. */
#include <geodesic.h>
#include <math.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "feed/asterix_int.h"

/* ---- CAT021 edition 2.6 -------------------------------------------------- */

/* Time of day: I071 (applicability of position) wins over I073 (reception
 * of position), I075 and I077, in that order. */
static void d021_time(ctx *c, const uint8_t *p, size_t n)
{
    if (!(c->r->has & DC_FEED_HAS_TOD))
        dc__asterix_tod(c, p, n);
}

static void d021_130(ctx *c, const uint8_t *p, size_t n)
{
    (void)n;
    const double lsb = 180.0 / 8388608.0;
    if (!(c->r->has & DC_FEED_HAS_POSITION)) /* I131, when present, is decoded after */
        dc__asterix_set_pos(c, dc__sext(dc__u24(p), 24) * lsb, dc__sext(dc__u24(p + 3), 24) * lsb);
}

static void d021_131(ctx *c, const uint8_t *p, size_t n)
{
    (void)n;
    const double lsb = 180.0 / 1073741824.0; /* 180/2^30 deg */
    c->r->has &= ~DC_FEED_HAS_POSITION;
    dc__asterix_set_pos(c, (int32_t)dc__u32(p) * lsb, (int32_t)dc__u32(p + 4) * lsb);
}

static void d021_vr(ctx *c, const uint8_t *p, size_t n, int geometric)
{
    (void)n;
    if (p[0] & 0x80) /* RE: range exceeded, the value is only a bound */
        return;
    if (!geometric && (c->r->has & DC_FEED_HAS_VRATE))
        return;
    c->r->vertical_rate_mps = dc__sext(dc__u16(p), 15) * 6.25 * DC__FPM_MPS;
    c->r->has |= DC_FEED_HAS_VRATE;
}
static void d021_155(ctx *c, const uint8_t *p, size_t n)
{
    d021_vr(c, p, n, 0);
}
static void d021_157(ctx *c, const uint8_t *p, size_t n)
{
    d021_vr(c, p, n, 1);
}

static void d021_160(ctx *c, const uint8_t *p, size_t n)
{
    (void)n;
    if (!(p[0] & 0x80))
        dc__asterix_set_polar_velocity(c, p, 15);
}

static void d021_170(ctx *c, const uint8_t *p, size_t n)
{
    (void)n;
    dc__asterix_set_callsign6(c, p);
}

/* clang-format off */
static const fmt s021_110[] = {VR(1), RP(15)};
/* clang-format on */
/* clang-format off */
static const fmt s021_220[] = {FX(2), FX(2), FX(2), FX(1)};
/* clang-format on */
/* clang-format off */
static const fmt s021_295[] = {FX(1), FX(1), FX(1), FX(1), FX(1), FX(1), FX(1), FX(1),
                               FX(1), FX(1), FX(1), FX(1), FX(1), FX(1), FX(1), FX(1),
                               FX(1), FX(1), FX(1), FX(1), FX(1), FX(1), FX(1)};
/* clang-format on */

/* I140 geometric height and I145 FL share CAT062's encodings (6.25 ft, 1/4 FL). */
/* clang-format off */
static const uap_item cat021_2_6[] = {
    {10, FX(2), dc__asterix_sacsic},   {40, VR(1), NULL},
    {161, FX(2), dc__asterix_tn12},    {15, FX(1), NULL},
    {71, FX(3), d021_time},            {130, FX(6), d021_130},
    {131, FX(8), d021_131},            {72, FX(3), NULL},
    {150, FX(2), NULL},                {151, FX(2), NULL},
    {80, FX(3), dc__asterix_addr},     {73, FX(3), d021_time},
    {74, FX(4), NULL},                 {75, FX(3), d021_time},
    {76, FX(4), NULL},                 {140, FX(2), dc__asterix_geo_alt},
    {90, VR(1), NULL},                 {210, FX(1), NULL},
    {70, FX(2), dc__asterix_mode3a},   {230, FX(2), NULL},
    {145, FX(2), dc__asterix_fl},      {152, FX(2), NULL},
    {200, FX(1), NULL},                {155, FX(2), d021_155},
    {157, FX(2), d021_157},            {160, FX(4), d021_160},
    {165, FX(2), NULL},                {77, FX(3), d021_time},
    {170, FX(6), d021_170},            {20, FX(1), NULL},
    {220, CP(s021_220), NULL},         {146, FX(2), NULL},
    {148, FX(2), NULL},                {110, CP(s021_110), NULL},
    {16, FX(1), NULL},                 {8, FX(1), NULL},
    {271, VR(1), NULL},                {132, FX(1), NULL},
    {250, RP(8), NULL},                {260, FX(7), NULL},
    {400, FX(1), NULL},                {295, CP(s021_295), NULL},
    {0, SP, NULL},                     {0, SP, NULL},
    {0, SP, NULL},                     {0, SP, NULL},
    {0, SP, NULL},                     {ID_RE, EX, NULL},
    {ID_SP, EX, NULL},
};
/* clang-format on */

/* ---- CAT048 edition 1.21 ------------------------------------------------- */

static void d048_040(ctx *c, const uint8_t *p, size_t n)
{
    (void)n;
    c->r->rho_m = dc__u16(p) / 256.0 * DC__NM_M;
    c->r->theta_deg = dc__u16(p + 2) * (360.0 / 65536.0);
    c->r->has |= DC_FEED_HAS_POLAR;
}

static void d048_090(ctx *c, const uint8_t *p, size_t n)
{
    (void)n;
    c->r->fl = dc__sext(dc__u16(p), 14) * 0.25;
    c->r->has |= DC_FEED_HAS_FL;
}

static void d048_200(ctx *c, const uint8_t *p, size_t n)
{
    (void)n;
    dc__asterix_set_polar_velocity(c, p, 16);
}

static void d048_240(ctx *c, const uint8_t *p, size_t n)
{
    (void)n;
    dc__asterix_set_callsign6(c, p);
}

/* clang-format off */
static const fmt s048_130[] = {FX(1), FX(1), FX(1), FX(1), FX(1), FX(1), FX(1)};
/* clang-format on */
/* clang-format off */
static const fmt s048_120[] = {FX(2), RP(6)};
/* clang-format on */

/* clang-format off */
static const uap_item cat048_1_21[] = {
    {10, FX(2), dc__asterix_sacsic}, {140, FX(3), dc__asterix_tod},
    {20, VR(1), NULL},               {40, FX(4), d048_040},
    {70, FX(2), dc__asterix_mode3a}, {90, FX(2), d048_090},
    {130, CP(s048_130), NULL},       {220, FX(3), dc__asterix_addr},
    {240, FX(6), d048_240},          {250, RP(8), NULL},
    {161, FX(2), dc__asterix_tn12},  {42, FX(4), NULL},
    {200, FX(4), d048_200},          {170, VR(1), NULL},
    {210, FX(4), NULL},              {30, VR(1), NULL},
    {80, FX(2), NULL},               {100, FX(4), NULL},
    {110, FX(2), NULL},              {120, CP(s048_120), NULL},
    {230, FX(2), NULL},              {260, FX(7), NULL},
    {55, FX(1), NULL},               {50, FX(2), NULL},
    {65, FX(1), NULL},               {60, FX(2), NULL},
    {ID_SP, EX, NULL},               {ID_RE, EX, NULL},
};
/* clang-format on */

/* Polar to WGS84 (PROJ geodesic): the slant range is reduced to a great-
 * circle arc at the radar with the law of cosines on a sphere of the mean
 * earth radius when the report has a flight level (pressure altitude taken
 * as height: good to a few tens of metres), else taken as ground range. */
static struct geod_geodesic wgs84;
static pthread_once_t wgs84_once = PTHREAD_ONCE_INIT;
static void wgs84_init(void)
{
    geod_init(&wgs84, 6378137.0, 1 / 298.257223563);
}

static void finish048(ctx *c)
{
    dc_feed_report *r = c->r;
    if (!(r->has & DC_FEED_HAS_POLAR) || !c->opt->has_radar)
        return;
    double ground_m = r->rho_m;
    if (r->has & DC_FEED_HAS_FL) {
        const double re = 6371000.0;
        double a = re + c->opt->radar_alt_m, b = re + r->fl * 100 * DC__FT_M;
        double cosg = (a * a + b * b - r->rho_m * r->rho_m) / (2 * a * b);
        if (cosg > 1)
            cosg = 1;
        if (cosg < -1)
            cosg = -1;
        ground_m = re * acos(cosg);
    }
    pthread_once(&wgs84_once, wgs84_init);
    double lat, lon, azi;
    geod_direct(&wgs84, c->opt->radar_lat_deg, c->opt->radar_lon_deg, r->theta_deg, ground_m, &lat,
                &lon, &azi);
    if (isfinite(lat) && isfinite(lon)) {
        lon = lon > 180 ? lon - 360 : lon < -180 ? lon + 360 : lon;
        dc__asterix_set_pos(c, lat, lon);
    }
}

const uap dc__asterix_uap021_2_6 = {21, "2.6", cat021_2_6, NELEM(cat021_2_6), NULL};
const uap dc__asterix_uap048_1_21 = {48, "1.21", cat048_1_21, NELEM(cat048_1_21), finish048};
