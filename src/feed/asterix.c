/* ASTERIX decoding, table-driven: each category edition is a User
 * Application Profile (UAP) table, one row per Field Reference Number, that
 * gives the item's length rule (fixed, extended by FX, repetitive, explicit,
 * compound with its subfields) and, for the items we use, a decoder. Any
 * item can then be skipped by its rule whether we decode it or not; an FRN
 * without a rule (spare) set in an FSPEC makes the record undecodable.
 * Editions, from the EUROCONTROL category specifications (docs/feeds.md):
 *   CAT062 Part 9 edition 1.18 (default) and the draft edition 0.17;
 *   CAT021 Part 12 edition 2.6 (UAP unchanged since 2.1);
 *   CAT048 Part 4 edition 1.21; CAT065 and CAT034 recognised and skipped.
 * A block's reports are held (up to 32, on the stack) until every record of
 * the block has been checked against its length, so a bad block gives no
 * report; longer blocks are checked to the end, then decoded again. */
#include <geodesic.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "feed/feed_int.h"

/* ---- length rules ------------------------------------------------------ */

enum { K_SPARE = 0, K_FIXED, K_VAR, K_REP, K_EXPL, K_COMP };

typedef struct fmt {
    uint8_t kind;
    uint8_t len;           /* FIXED: bytes; VAR: bytes per part; REP: bytes per repetition */
    uint8_t nsub;          /* COMP: number of subfields */
    const struct fmt *sub; /* COMP: subfield rules, in FSPEC order */
} fmt;

/* The length rules and UAPs below are tables, one row per FRN. */
/* clang-format off */
#define FX(n) {K_FIXED, n, 0, NULL}
#define VR(n) {K_VAR, n, 0, NULL}
#define RP(n) {K_REP, n, 0, NULL}
#define EX {K_EXPL, 0, 0, NULL}
#define SP {K_SPARE, 0, 0, NULL}
#define CP(tab) {K_COMP, 0, (uint8_t)(sizeof tab / sizeof tab[0]), tab}
/* clang-format on */

typedef struct ctx {
    const dc_asterix_options *opt;
    dc_feed_report *r;
    int have_245; /* CAT062: callsign from I245 (preferred over I380, I390) */
} ctx;

typedef void (*item_fn)(ctx *c, const uint8_t *p, size_t n);

typedef struct uap_item {
    uint16_t id; /* data item number, 0 for spare FRNs; 0xfff RE, 0xffe SP */
    fmt f;
    item_fn dec;
} uap_item;

#define ID_RE 0xfff
#define ID_SP 0xffe

typedef struct uap {
    uint8_t cat;
    const char *edition;
    const uap_item *items; /* index = FRN - 1 */
    size_t n;
    void (*finish)(ctx *c); /* after all items of a record, or NULL */
} uap;

/* Length of an item with rule f at p (avail bytes left in the block).
 * Returns 0 when it does not fit, else the length in *len. */
static int fmt_len(const fmt *f, const uint8_t *p, size_t avail, size_t *len, const char **why)
{
    switch (f->kind) {
    case K_FIXED:
        *len = f->len;
        break;
    case K_VAR: {
        size_t n = 0;
        for (;;) {
            if (n + f->len > avail) {
                *why = "its FX extension runs past the block end";
                return 0;
            }
            n += f->len;
            if (!(p[n - 1] & 1))
                break;
        }
        *len = n;
        return 1;
    }
    case K_REP:
        if (avail < 1) {
            *why = "its repetition count is past the block end";
            return 0;
        }
        *len = 1 + (size_t)p[0] * f->len;
        break;
    case K_EXPL:
        if (avail < 1) {
            *why = "its length byte is past the block end";
            return 0;
        }
        if (p[0] < 1) {
            *why = "its explicit length is 0";
            return 0;
        }
        *len = p[0];
        break;
    case K_COMP: {
        size_t prim = 0;
        do {
            if (prim >= avail) {
                *why = "its subfield FSPEC runs past the block end";
                return 0;
            }
            prim++;
        } while (p[prim - 1] & 1);
        size_t n = prim;
        for (size_t b = 0; b < prim * 7; b++) {
            if (!(p[b / 7] & (0x80 >> (b % 7))))
                continue;
            if (b >= f->nsub || f->sub[b].kind == K_SPARE) {
                *why = "it names a subfield with no length rule";
                return 0;
            }
            size_t sl;
            if (!fmt_len(&f->sub[b], p + n, avail - n, &sl, why))
                return 0;
            n += sl;
        }
        *len = n;
        break;
    }
    default:
        *why = "it has no length rule in this edition";
        return 0;
    }
    if (*len > avail) {
        *why = "it runs past the block end";
        return 0;
    }
    return 1;
}

/* Finds subfield idx (0-based) of a compound item already length-checked:
 * returns its bytes, or NULL when absent. */
static const uint8_t *comp_sub(const fmt *f, const uint8_t *p, size_t n, size_t idx)
{
    size_t prim = 0;
    do
        prim++;
    while (prim < n && (p[prim - 1] & 1));
    size_t off = prim;
    for (size_t b = 0; b < prim * 7 && b < f->nsub; b++) {
        if (!(p[b / 7] & (0x80 >> (b % 7))))
            continue;
        size_t sl;
        const char *why;
        if (!fmt_len(&f->sub[b], p + off, n - off, &sl, &why))
            return NULL;
        if (b == idx)
            return p + off;
        off += sl;
    }
    return NULL;
}

/* ---- shared item decoders ------------------------------------------------ */

static void d_sacsic(ctx *c, const uint8_t *p, size_t n)
{
    (void)n;
    c->r->sac = p[0];
    c->r->sic = p[1];
    c->r->has |= DC_FEED_HAS_SAC_SIC;
}

static void d_tod(ctx *c, const uint8_t *p, size_t n)
{
    (void)n;
    double tod = dc__u24(p) / 128.0;
    if (tod < 86400.0) { /* 24 bits reach 131072 s: beyond a day is no time */
        c->r->tod_s = tod;
        c->r->has |= DC_FEED_HAS_TOD;
    }
}

static void d_mode3a(ctx *c, const uint8_t *p, size_t n)
{
    (void)n;
    c->r->mode_3a = (uint16_t)(dc__u16(p) & 0x0fff);
    c->r->has |= DC_FEED_HAS_MODE_3A;
}

static void d_tn12(ctx *c, const uint8_t *p, size_t n)
{
    (void)n;
    c->r->track_number = (uint16_t)(dc__u16(p) & 0x0fff);
    c->r->has |= DC_FEED_HAS_TRACK_NUMBER;
}

static void d_addr(ctx *c, const uint8_t *p, size_t n)
{
    (void)n;
    c->r->mode_s = dc__u24(p);
    c->r->has |= DC_FEED_HAS_MODE_S;
}

static void set_pos(ctx *c, double lat, double lon)
{
    if (fabs(lat) <= 90 && fabs(lon) <= 180) {
        c->r->lat_deg = lat;
        c->r->lon_deg = lon;
        c->r->has |= DC_FEED_HAS_POSITION;
    }
}

static void set_polar_velocity(ctx *c, const uint8_t *p, int gs_bits)
{
    /* ground speed in 2^-14 NM/s, heading in 360/2^16 degrees */
    uint32_t gs = dc__u16(p) & ((1u << gs_bits) - 1);
    c->r->ground_speed_mps = gs * (DC__NM_M / 16384.0);
    c->r->track_deg = dc__deg360(dc__u16(p + 2) * (360.0 / 65536.0));
    c->r->has |= DC_FEED_HAS_VELOCITY;
}

static void set_callsign6(ctx *c, const uint8_t *p)
{
    if (dc__callsign6(p, c->r->callsign))
        c->r->has |= DC_FEED_HAS_CALLSIGN;
}

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
    set_pos(c, (int32_t)dc__u32(p) * lsb, (int32_t)dc__u32(p + 4) * lsb);
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
    set_callsign6(c, p + 1);
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

static void d062_136(ctx *c, const uint8_t *p, size_t n)
{
    (void)n;
    c->r->fl = dc__sext(dc__u16(p), 16) * 0.25;
    c->r->has |= DC_FEED_HAS_FL;
}

static void d062_130(ctx *c, const uint8_t *p, size_t n)
{
    (void)n;
    c->r->geo_alt_m = dc__sext(dc__u16(p), 16) * 6.25 * DC__FT_M;
    c->r->has |= DC_FEED_HAS_GEO_ALT;
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
    const uint8_t *adr = comp_sub(&f062_380, p, n, 0), *id = comp_sub(&f062_380, p, n, 1);
    if (adr)
        d_addr(c, adr, 3);
    if (id && !c->have_245)
        set_callsign6(c, id);
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
    const uint8_t *csn = comp_sub(&f062_390, p, n, 1);
    if (csn && !(c->r->has & DC_FEED_HAS_CALLSIGN))
        set_callsign_ascii(c, csn, 7);
}

/* clang-format off */
static const uap_item cat062_1_18[] = {
    {10, FX(2), d_sacsic},   {0, SP, NULL},          {15, FX(1), NULL},
    {70, FX(3), d_tod},      {105, FX(8), d062_105}, {100, FX(6), NULL},
    {185, FX(4), d062_185},  {210, FX(2), NULL},     {60, FX(2), d_mode3a},
    {245, FX(7), d062_245},  {380, CP(s062_380), d062_380},
    {40, FX(2), d062_040},   {80, VR(1), d062_080},  {290, CP(s062_290), NULL},
    {200, FX(1), NULL},      {295, CP(s062_295), NULL},
    {136, FX(2), d062_136},  {130, FX(2), d062_130}, {135, FX(2), d062_135},
    {220, FX(2), d062_220},  {390, CP(s062_390), d062_390},
    {270, VR(1), NULL},      {300, FX(1), NULL},     {110, CP(s062_110), NULL},
    {120, FX(2), NULL},      {510, VR(3), NULL},     {500, CP(s062_500), NULL},
    {340, CP(s062_340), NULL}, {0, SP, NULL},        {0, SP, NULL},
    {0, SP, NULL},           {0, SP, NULL},          {0, SP, NULL},
    {ID_RE, EX, NULL},       {ID_SP, EX, NULL},
};
/* clang-format on */

/* ---- CAT062 edition 0.17 ------------------------------------------------- */

static void d062o_105(ctx *c, const uint8_t *p, size_t n)
{
    (void)n;
    const double lsb = 180.0 / 8388608.0; /* 180/2^23 deg */
    set_pos(c, dc__sext(dc__u24(p), 24) * lsb, dc__sext(dc__u24(p + 3), 24) * lsb);
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
    set_polar_velocity(c, p, 16);
}

/* I062/380 in 0.17: MB data, address, identification, capability, ACAS. */
/* clang-format off */
static const fmt s062o_380[] = {FX(9), FX(3), FX(6), FX(2), FX(7)};
/* clang-format on */
static const fmt f062o_380 = CP(s062o_380);

static void d062o_380(ctx *c, const uint8_t *p, size_t n)
{
    const uint8_t *adr = comp_sub(&f062o_380, p, n, 1), *id = comp_sub(&f062o_380, p, n, 2);
    if (adr)
        d_addr(c, adr, 3);
    if (id)
        set_callsign6(c, id);
}

/* clang-format off */
static const fmt s062o_390[] = {FX(2), FX(7), FX(4), FX(1), FX(4), FX(1), FX(4),
                                FX(4), FX(3), FX(2), FX(2), RP(4), FX(6), FX(1)};
/* clang-format on */
static const fmt f062o_390 = CP(s062o_390);

static void d062o_390(ctx *c, const uint8_t *p, size_t n)
{
    const uint8_t *csn = comp_sub(&f062o_390, p, n, 1);
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
    {10, FX(2), d_sacsic},   {15, FX(1), NULL},      {70, FX(3), d_tod},
    {40, FX(2), d062o_040},  {105, FX(6), d062o_105}, {100, FX(4), NULL},
    {60, FX(2), d_mode3a},   {130, FX(2), d062_130}, {135, FX(2), d062_135},
    {136, FX(2), d062_136},  {180, FX(4), d062o_180}, {200, FX(1), NULL},
    {220, FX(2), d062_220},  {240, FX(1), NULL},     {210, FX(2), NULL},
    {80, VR(1), NULL},       {290, CP(s062o_290), NULL},
    {340, CP(s062_340), NULL}, {380, CP(s062o_380), d062o_380},
    {0, SP, NULL} /* I062/050 */, {390, CP(s062o_390), d062o_390},
    {110, FX(1), NULL},      {120, FX(2), NULL},     {510, VR(3), NULL},
    {0, SP, NULL},           {0, SP, NULL},          {ID_RE, EX, NULL},
    {ID_SP, EX, NULL},
};
/* clang-format on */

/* ---- CAT021 edition 2.6 -------------------------------------------------- */

/* Time of day: I071 (applicability of position) wins over I073 (reception
 * of position), I075 and I077, in that order. */
static void d021_time(ctx *c, const uint8_t *p, size_t n)
{
    if (!(c->r->has & DC_FEED_HAS_TOD))
        d_tod(c, p, n);
}

static void d021_130(ctx *c, const uint8_t *p, size_t n)
{
    (void)n;
    const double lsb = 180.0 / 8388608.0;
    if (!(c->r->has & DC_FEED_HAS_POSITION)) /* I131, when present, is decoded after */
        set_pos(c, dc__sext(dc__u24(p), 24) * lsb, dc__sext(dc__u24(p + 3), 24) * lsb);
}

static void d021_131(ctx *c, const uint8_t *p, size_t n)
{
    (void)n;
    const double lsb = 180.0 / 1073741824.0; /* 180/2^30 deg */
    c->r->has &= ~DC_FEED_HAS_POSITION;
    set_pos(c, (int32_t)dc__u32(p) * lsb, (int32_t)dc__u32(p + 4) * lsb);
}

static void d021_140(ctx *c, const uint8_t *p, size_t n)
{
    d062_130(c, p, n); /* same encoding: 6.25 ft, two's complement */
}

static void d021_145(ctx *c, const uint8_t *p, size_t n)
{
    d062_136(c, p, n); /* 1/4 FL */
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
        set_polar_velocity(c, p, 15);
}

static void d021_170(ctx *c, const uint8_t *p, size_t n)
{
    (void)n;
    set_callsign6(c, p);
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

/* clang-format off */
static const uap_item cat021_2_6[] = {
    {10, FX(2), d_sacsic},   {40, VR(1), NULL},       {161, FX(2), d_tn12},
    {15, FX(1), NULL},       {71, FX(3), d021_time},  {130, FX(6), d021_130},
    {131, FX(8), d021_131},  {72, FX(3), NULL},       {150, FX(2), NULL},
    {151, FX(2), NULL},      {80, FX(3), d_addr},     {73, FX(3), d021_time},
    {74, FX(4), NULL},       {75, FX(3), d021_time},  {76, FX(4), NULL},
    {140, FX(2), d021_140},  {90, VR(1), NULL},       {210, FX(1), NULL},
    {70, FX(2), d_mode3a},   {230, FX(2), NULL},      {145, FX(2), d021_145},
    {152, FX(2), NULL},      {200, FX(1), NULL},      {155, FX(2), d021_155},
    {157, FX(2), d021_157},  {160, FX(4), d021_160},  {165, FX(2), NULL},
    {77, FX(3), d021_time},  {170, FX(6), d021_170},  {20, FX(1), NULL},
    {220, CP(s021_220), NULL}, {146, FX(2), NULL},    {148, FX(2), NULL},
    {110, CP(s021_110), NULL}, {16, FX(1), NULL},     {8, FX(1), NULL},
    {271, VR(1), NULL},      {132, FX(1), NULL},      {250, RP(8), NULL},
    {260, FX(7), NULL},      {400, FX(1), NULL},      {295, CP(s021_295), NULL},
    {0, SP, NULL},           {0, SP, NULL},           {0, SP, NULL},
    {0, SP, NULL},           {0, SP, NULL},           {ID_RE, EX, NULL},
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
    set_polar_velocity(c, p, 16);
}

static void d048_240(ctx *c, const uint8_t *p, size_t n)
{
    (void)n;
    set_callsign6(c, p);
}

/* clang-format off */
static const fmt s048_130[] = {FX(1), FX(1), FX(1), FX(1), FX(1), FX(1), FX(1)};
/* clang-format on */
/* clang-format off */
static const fmt s048_120[] = {FX(2), RP(6)};
/* clang-format on */

/* clang-format off */
static const uap_item cat048_1_21[] = {
    {10, FX(2), d_sacsic},   {140, FX(3), d_tod},     {20, VR(1), NULL},
    {40, FX(4), d048_040},   {70, FX(2), d_mode3a},   {90, FX(2), d048_090},
    {130, CP(s048_130), NULL}, {220, FX(3), d_addr},  {240, FX(6), d048_240},
    {250, RP(8), NULL},      {161, FX(2), d_tn12},    {42, FX(4), NULL},
    {200, FX(4), d048_200},  {170, VR(1), NULL},      {210, FX(4), NULL},
    {30, VR(1), NULL},       {80, FX(2), NULL},       {100, FX(4), NULL},
    {110, FX(2), NULL},      {120, CP(s048_120), NULL}, {230, FX(2), NULL},
    {260, FX(7), NULL},      {55, FX(1), NULL},       {50, FX(2), NULL},
    {65, FX(1), NULL},       {60, FX(2), NULL},       {ID_SP, EX, NULL},
    {ID_RE, EX, NULL},
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
        set_pos(c, lat, lon);
    }
}

/* ---- records and blocks -------------------------------------------------- */

#define NELEM(a) (sizeof a / sizeof a[0])
static const uap uap062_1_18 = {62, "1.18", cat062_1_18, NELEM(cat062_1_18), NULL};
static const uap uap062_0_17 = {62, "0.17", cat062_0_17, NELEM(cat062_0_17), NULL};
static const uap uap021 = {21, "2.6", cat021_2_6, NELEM(cat021_2_6), NULL};
static const uap uap048 = {48, "1.21", cat048_1_21, NELEM(cat048_1_21), finish048};

/* Walks one record at buf[off..end): checks its FSPEC and item lengths and,
 * when c is non-NULL, decodes into c->r. Returns the offset after the
 * record, or 0 with err filled. */
static size_t record(const uap *u, const uint8_t *buf, size_t off, size_t end, ctx *c,
                     dc_feed_error *err)
{
    size_t fs = off, nfs = 0;
    do {
        if (fs + nfs >= end)
            return dc__feed_fail(err, fs,
                                 "CAT%03u record at byte %zu: FSPEC runs past the block end",
                                 u->cat, off),
                   0;
        nfs++;
    } while (buf[fs + nfs - 1] & 1);
    unsigned any = 0;
    for (size_t k = 0; k < nfs; k++)
        any |= buf[fs + k] & 0xfe;
    if (!any) /* no item: a stray 0 byte, or FX bits leading nowhere */
        return dc__feed_fail(err, fs, "CAT%03u record at byte %zu: empty FSPEC", u->cat, off), 0;
    size_t p = fs + nfs;
    for (size_t k = 0; k < nfs; k++) {
        unsigned bits = buf[fs + k] & 0xfe;
        while (bits) { /* each set FRN bit, most significant first */
            unsigned hi = 31 - (unsigned)__builtin_clz(bits);
            bits &= ~(1u << hi);
            size_t b = k * 7 + (7 - hi);
            if (b >= u->n || u->items[b].f.kind == K_SPARE)
                return dc__feed_fail(err, fs + k,
                                     "CAT%03u record at byte %zu: FSPEC names FRN %zu, which has "
                                     "no item in edition %s",
                                     u->cat, off, b + 1, u->edition),
                       0;
            const uap_item *it = &u->items[b];
            size_t len = it->f.len;
            const char *why = "it runs past the block end";
            if (it->f.kind == K_FIXED ? len > end - p
                                      : !fmt_len(&it->f, buf + p, end - p, &len, &why)) {
                if (it->id == ID_RE || it->id == ID_SP)
                    return dc__feed_fail(err, p, "CAT%03u record at byte %zu: %s field: %s", u->cat,
                                         off, it->id == ID_RE ? "RE" : "SP", why),
                           0;
                return dc__feed_fail(err, p, "CAT%03u record at byte %zu: item I%03u/%03u: %s",
                                     u->cat, off, u->cat, it->id, why),
                       0;
            }
            if (c && it->dec)
                it->dec(c, buf + p, len);
            p += len;
        }
    }
    if (c && u->finish)
        u->finish(c);
    return p;
}

#define BLOCK_BUF 32

static void init_report(dc_feed_report *r, unsigned cat)
{
    memset(r, 0, sizeof *r);
    r->source = DC_FEED_SRC_ASTERIX;
    r->category = (uint8_t)cat;
}

static void finish_time(const dc_asterix_options *opt, dc_feed_report *r)
{
    if (!(r->has & DC_FEED_HAS_TOD) || !(opt->ref_time_s >= 0) || !isfinite(opt->ref_time_s))
        return;
    double day = floor(opt->ref_time_s / 86400.0) * 86400.0;
    double t = day + r->tod_s;
    if (t - opt->ref_time_s > 43200)
        t -= 86400;
    else if (opt->ref_time_s - t > 43200)
        t += 86400;
    r->time_s = t;
    r->has |= DC_FEED_HAS_TIME;
}

dc_status dc_asterix_decode(const uint8_t *buf, size_t len, const dc_asterix_options *opt,
                            dc_feed_report_fn fn, void *ctx_user, dc_feed_stats *stats,
                            dc_feed_error *err)
{
    static const dc_asterix_options defaults = DC_ASTERIX_OPTIONS_DEFAULT;
    if (!opt)
        opt = &defaults;
    size_t off = 0;
    while (off < len) {
        if (len - off < 3)
            goto bad_header;
        unsigned cat = buf[off];
        size_t blen = dc__u16(buf + off + 1);
        if (blen < 3)
            goto bad_length;
        if (blen > len - off)
            goto bad_length;
        size_t end = off + blen;
        const uap *u = NULL;
        if (cat == 62)
            u = opt->cat062_edition == DC_CAT062_ED_0_17 ? &uap062_0_17 : &uap062_1_18;
        else if (cat == 21)
            u = &uap021;
        else if (cat == 48)
            u = &uap048;
        if (stats)
            stats->blocks++;
        if (!u) { /* CAT065, CAT034 and categories we do not decode */
            if (stats)
                stats->skipped_blocks++;
            off = end;
            continue;
        }
        /* One pass into a small buffer, emitted once the whole block is
         * checked; a block with more records than it holds is checked to
         * its end first and then decoded again, straight to fn. */
        dc_feed_report rep[BLOCK_BUF];
        size_t nrep = 0, p = off + 3;
        while (p < end && nrep < BLOCK_BUF) {
            init_report(&rep[nrep], cat);
            ctx c = {opt, &rep[nrep], 0};
            if (!(p = record(u, buf, p, end, &c, err)))
                goto bad_record;
            finish_time(opt, &rep[nrep++]);
        }
        size_t rest = p;
        while (p < end)
            if (!(p = record(u, buf, p, end, NULL, err)))
                goto bad_record;
        for (size_t i = 0; i < nrep; i++)
            if (fn)
                fn(ctx_user, &rep[i]);
        for (p = rest; p < end;) {
            dc_feed_report r;
            init_report(&r, cat);
            ctx c = {opt, &r, 0};
            if (!(p = record(u, buf, p, end, &c, err))) /* cannot happen: checked above */
                goto bad_record;
            finish_time(opt, &r);
            nrep++;
            if (fn)
                fn(ctx_user, &r);
        }
        if (stats)
            stats->records += nrep;
        off = end;
    }
    return DC_OK;
bad_record:
    if (stats)
        stats->errors++;
    return DC_EINVAL;
bad_header:
    if (stats)
        stats->errors++;
    return dc__feed_fail(err, off, "data block at byte %zu: %zu bytes left, a block header needs 3",
                         off, len - off);
bad_length:
    if (stats)
        stats->errors++;
    return dc__feed_fail(err, off + 1, "data block at byte %zu: length %u %s", off,
                         (unsigned)dc__u16(buf + off + 1),
                         dc__u16(buf + off + 1) < 3 ? "is below the 3-byte header"
                                                    : "runs past the end of the data");
}

/* ---- helpers shared with the other decoders ------------------------------ */

int dc__callsign6(const uint8_t *p, char out[9])
{
    static const char ia5[65] = "#ABCDEFGHIJKLMNOPQRSTUVWXYZ##### ###############0123456789######";
    uint64_t v = 0;
    for (int i = 0; i < 6; i++)
        v = v << 8 | p[i];
    int k = 0;
    for (int i = 0; i < 8; i++)
        out[k++] = ia5[(v >> (42 - 6 * i)) & 0x3f];
    while (k && out[k - 1] == ' ')
        k--;
    out[k] = '\0';
    return k > 0;
}

dc_status dc__feed_fail(dc_feed_error *err, size_t offset, const char *fmt, ...)
{
    if (err) {
        err->offset = offset;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->reason, sizeof err->reason, fmt, ap);
        va_end(ap);
    }
    return DC_EINVAL;
}

double dc__deg360(double d)
{
    d = fmod(d, 360.0);
    if (d < 0)
        d += 360.0;
    if (d >= 360.0)
        d = 0;
    return d;
}
