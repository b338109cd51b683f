/* ASTERIX CAT062 (SDPS system tracks): the item decoders and UAP tables of
 * EUROCONTROL Part 9 edition 1.18 (the default) and of the 2005 draft
 * edition 0.17 used by older SDPS (--cat062-edition 0.17). The record and
 * block walk that uses them is asterix.c; docs/feeds.md lists the items. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "feed/asterix_int.h"

static void set_callsign_ascii(ctx *c, const uint8_t *p, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n && i < 8; i++)
        c->r->callsign[k++] =
            (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '"' && p[i] != '\\') ? (char)p[i] : '?';
    while (k && c->r->callsign[k - 1] == ' ')
        k--;
    c->r->callsign[k] = '\0';
    if (k)
        c->r->has |= DC_FEED_HAS_CALLSIGN;
}

/* ---- CAT062 edition 1.18 ------------------------------------------------- */

static void d062_105(ctx *c, const uint8_t *p, size_t n)
{
    (void)n;
    const double lsb = 180.0 / 33554432.0; /* 180/2^25 deg */
    dc__asterix_set_pos(c, (int32_t)dc__u32(p) * lsb, (int32_t)dc__u32(p + 4) * lsb);
}

static void d062_185(ctx *c, const uint8_t *p, size_t n)
{
    (void)n;
    double vx = dc__sext(dc__u16(p), 16) * 0.25, vy = dc__sext(dc__u16(p + 2), 16) * 0.25;
    c->r->ground_speed_mps = hypot(vx, vy);
    c->r->track_deg = dc__deg360(atan2(vx, vy) * 180.0 / M_PI);
    c->r->has |= DC_FEED_HAS_VELOCITY;
}

static void d062_245(ctx *c, const uint8_t *p, size_t n)
{
    (void)n;
    dc__asterix_set_callsign6(c, p + 1);
    c->have_245 = (c->r->has & DC_FEED_HAS_CALLSIGN) != 0;
}

static void d062_040(ctx *c, const uint8_t *p, size_t n)
{
    (void)n;
    c->r->track_number = (uint16_t)dc__u16(p);
    c->r->has |= DC_FEED_HAS_TRACK_NUMBER;
}

static void d062_080(ctx *c, const uint8_t *p, size_t n)
{
    uint8_t s = 0;
    if (p[0] & 0x02)
        s |= DC_FEED_TRACK_TENTATIVE;
    if (n >= 2 && (p[1] & 0x80))
        s |= DC_FEED_TRACK_SIMULATED;
    if (n >= 2 && (p[1] & 0x40))
        s |= DC_FEED_TRACK_ENDED;
    if (n >= 4 && (p[3] & 0x80))
        s |= DC_FEED_TRACK_COASTED;
    c->r->track_status = s;
}

static void d062_135(ctx *c, const uint8_t *p, size_t n)
{
    (void)n;
    c->r->calc_fl = dc__sext(dc__u16(p), 15) * 0.25; /* 25 ft; bit 16 is QNH */
    c->r->has |= DC_FEED_HAS_CALC_FL;
}

static void d062_220(ctx *c, const uint8_t *p, size_t n)
{
    (void)n;
    c->r->vertical_rate_mps = dc__sext(dc__u16(p), 16) * 6.25 * DC__FPM_MPS;
    c->r->has |= DC_FEED_HAS_VRATE;
}

/* I062/380 Aircraft Derived Data, 28 subfields (edition 1.18). */
/* clang-format off */
static const fmt s062_380[] = {FX(3), FX(6), FX(2), FX(2), FX(2), FX(2), FX(2), VR(1), RP(15), FX(2),
                               FX(2), FX(7), FX(2), FX(2), FX(2), FX(2), FX(2), FX(2), FX(1), FX(8),
                               FX(1), FX(6), FX(2), FX(1), RP(8), FX(2), FX(2), FX(2)};
/* clang-format on */
static const fmt f062_380 = CP(s062_380);

static void d062_380(ctx *c, const uint8_t *p, size_t n)
{
    const uint8_t *adr = dc__asterix_comp_sub(&f062_380, p, n, 0),
                  *id = dc__asterix_comp_sub(&f062_380, p, n, 1);
    if (adr)
        dc__asterix_addr(c, adr, 3);
    if (id && !c->have_245)
        dc__asterix_set_callsign6(c, id);
}

/* clang-format off */
static const fmt s062_290[] = {FX(1), FX(1), FX(1), FX(1), FX(2), FX(1), FX(1), FX(1), FX(1), FX(1)};
/* clang-format on */
/* clang-format off */
static const fmt s062_295[] = {FX(1), FX(1), FX(1), FX(1), FX(1), FX(1), FX(1), FX(1),
                               FX(1), FX(1), FX(1), FX(1), FX(1), FX(1), FX(1), FX(1),
                               FX(1), FX(1), FX(1), FX(1), FX(1), FX(1), FX(1), FX(1),
                               FX(1), FX(1), FX(1), FX(1), FX(1), FX(1), FX(1)};
/* clang-format on */
/* clang-format off */
static const fmt s062_390[] = {FX(2), FX(7), FX(4), FX(1), FX(4), FX(1), FX(4), FX(4), FX(3),
                               FX(2), FX(2), RP(4), FX(6), FX(1), FX(7), FX(7), FX(2), FX(7)};
/* clang-format on */
static const fmt f062_390 = CP(s062_390);
/* clang-format off */
static const fmt s062_110[] = {FX(1), FX(4), FX(6), FX(2), FX(2), FX(1), FX(1)};
/* clang-format on */
/* clang-format off */
static const fmt s062_500[] = {FX(4), FX(2), FX(4), FX(1), FX(1), FX(2), FX(2), FX(1)};
/* clang-format on */
/* clang-format off */
static const fmt s062_340[] = {FX(2), FX(4), FX(2), FX(2), FX(2), FX(1)};
/* clang-format on */

/* I062/390 CSN (callsign from the flight plan): the last choice. */
static void d062_390(ctx *c, const uint8_t *p, size_t n)
{
    const uint8_t *csn = dc__asterix_comp_sub(&f062_390, p, n, 1);
    if (csn && !(c->r->has & DC_FEED_HAS_CALLSIGN))
        set_callsign_ascii(c, csn, 7);
}

/* clang-format off */
static const uap_item cat062_1_18[] = {
    {10, FX(2), dc__asterix_sacsic},   {0, SP, NULL},
    {15, FX(1), NULL},                 {70, FX(3), dc__asterix_tod},
    {105, FX(8), d062_105},            {100, FX(6), NULL},
    {185, FX(4), d062_185},            {210, FX(2), NULL},
    {60, FX(2), dc__asterix_mode3a},   {245, FX(7), d062_245},
    {380, CP(s062_380), d062_380},     {40, FX(2), d062_040},
    {80, VR(1), d062_080},             {290, CP(s062_290), NULL},
    {200, FX(1), NULL},                {295, CP(s062_295), NULL},
    {136, FX(2), dc__asterix_fl},      {130, FX(2), dc__asterix_geo_alt},
    {135, FX(2), d062_135},            {220, FX(2), d062_220},
    {390, CP(s062_390), d062_390},     {270, VR(1), NULL},
    {300, FX(1), NULL},                {110, CP(s062_110), NULL},
    {120, FX(2), NULL},                {510, VR(3), NULL},
    {500, CP(s062_500), NULL},         {340, CP(s062_340), NULL},
    {0, SP, NULL},                     {0, SP, NULL},
    {0, SP, NULL},                     {0, SP, NULL},
    {0, SP, NULL},                     {ID_RE, EX, NULL},
    {ID_SP, EX, NULL},
};
/* clang-format on */

/* ---- CAT062 edition 0.17 ------------------------------------------------- */

static void d062o_105(ctx *c, const uint8_t *p, size_t n)
{
    (void)n;
    const double lsb = 180.0 / 8388608.0; /* 180/2^23 deg */
    dc__asterix_set_pos(c, dc__sext(dc__u24(p), 24) * lsb, dc__sext(dc__u24(p + 3), 24) * lsb);
}

static void d062o_040(ctx *c, const uint8_t *p, size_t n)
{
    (void)n;
    c->r->track_number = (uint16_t)(dc__u16(p) & 0x7fff);
    c->r->has |= DC_FEED_HAS_TRACK_NUMBER;
}

static void d062o_180(ctx *c, const uint8_t *p, size_t n)
{
    (void)n;
    dc__asterix_set_polar_velocity(c, p, 16);
}

/* I062/380 in 0.17: MB data, address, identification, capability, ACAS. */
/* clang-format off */
static const fmt s062o_380[] = {FX(9), FX(3), FX(6), FX(2), FX(7)};
/* clang-format on */
static const fmt f062o_380 = CP(s062o_380);

static void d062o_380(ctx *c, const uint8_t *p, size_t n)
{
    const uint8_t *adr = dc__asterix_comp_sub(&f062o_380, p, n, 1),
                  *id = dc__asterix_comp_sub(&f062o_380, p, n, 2);
    if (adr)
        dc__asterix_addr(c, adr, 3);
    if (id)
        dc__asterix_set_callsign6(c, id);
}

/* clang-format off */
static const fmt s062o_390[] = {FX(2), FX(7), FX(4), FX(1), FX(4), FX(1), FX(4),
                                FX(4), FX(3), FX(2), FX(2), RP(4), FX(6), FX(1)};
/* clang-format on */
static const fmt f062o_390 = CP(s062o_390);

static void d062o_390(ctx *c, const uint8_t *p, size_t n)
{
    const uint8_t *csn = dc__asterix_comp_sub(&f062o_390, p, n, 1);
    if (csn && !(c->r->has & DC_FEED_HAS_CALLSIGN))
        set_callsign_ascii(c, csn, 7);
}

/* clang-format off */
static const fmt s062o_290[] = {FX(1), FX(1), FX(1), FX(1), FX(1), FX(2), FX(1), FX(1), FX(1)};
/* clang-format on */

/* 0.17 has no length for FRN 20 (I062/050) in the documents we hold: a
 * record that uses it is refused rather than guessed at. */
/* clang-format off */
static const uap_item cat062_0_17[] = {
    {10, FX(2), dc__asterix_sacsic},   {15, FX(1), NULL},
    {70, FX(3), dc__asterix_tod},      {40, FX(2), d062o_040},
    {105, FX(6), d062o_105},           {100, FX(4), NULL},
    {60, FX(2), dc__asterix_mode3a},   {130, FX(2), dc__asterix_geo_alt},
    {135, FX(2), d062_135},            {136, FX(2), dc__asterix_fl},
    {180, FX(4), d062o_180},           {200, FX(1), NULL},
    {220, FX(2), d062_220},            {240, FX(1), NULL},
    {210, FX(2), NULL},                {80, VR(1), NULL},
    {290, CP(s062o_290), NULL},        {340, CP(s062_340), NULL},
    {380, CP(s062o_380), d062o_380},   {0, SP, NULL} /* I062/050 */,
    {390, CP(s062o_390), d062o_390},   {110, FX(1), NULL},
    {120, FX(2), NULL},                {510, VR(3), NULL},
    {0, SP, NULL},                     {0, SP, NULL},
    {ID_RE, EX, NULL},                 {ID_SP, EX, NULL},
};
/* clang-format on */

const uap dc__asterix_uap062_1_18 = {62, "1.18", cat062_1_18, NELEM(cat062_1_18), NULL};
const uap dc__asterix_uap062_0_17 = {62, "0.17", cat062_0_17, NELEM(cat062_0_17), NULL};
