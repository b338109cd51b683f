/* Internals shared by the ASTERIX decoder's files: the length rules (fmt),
 * the UAP row and table types, the per-record decoding context, the item
 * decoders more than one category uses, and each edition's UAP. asterix.c
 * walks records with them; asterix_cat062.c and asterix_cat021_048.c hold
 * the editions' tables. Not part of the public surface. */
#ifndef DC_FEED_ASTERIX_INT_H
#define DC_FEED_ASTERIX_INT_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "feed/feed_int.h"

/* ---- length rules ------------------------------------------------------ */

enum { K_SPARE = 0, K_FIXED, K_VAR, K_REP, K_EXPL, K_COMP };

typedef struct fmt {
    uint8_t kind;
    uint8_t len;           /* FIXED: bytes; VAR: bytes per part; REP: bytes per repetition */
    uint8_t nsub;          /* COMP: number of subfields */
    const struct fmt *sub; /* COMP: subfield rules, in FSPEC order */
} fmt;

/* The length rules and UAPs are tables, one row per FRN. */
/* clang-format off */
#define FX(n) {K_FIXED, n, 0, NULL}
#define VR(n) {K_VAR, n, 0, NULL}
#define RP(n) {K_REP, n, 0, NULL}
#define EX {K_EXPL, 0, 0, NULL}
#define SP {K_SPARE, 0, 0, NULL}
#define CP(tab) {K_COMP, 0, (uint8_t)(sizeof tab / sizeof tab[0]), tab}
/* clang-format on */

#define NELEM(a) (sizeof a / sizeof a[0])

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

/* The editions' UAPs (asterix_cat062.c, asterix_cat021_048.c). */
extern const uap dc__asterix_uap062_1_18;
extern const uap dc__asterix_uap062_0_17;
extern const uap dc__asterix_uap021_2_6;
extern const uap dc__asterix_uap048_1_21;

/* Finds subfield idx (0-based) of a compound item with rule f, already
 * length-checked (n bytes at p): returns its bytes, or NULL when absent. */
const uint8_t *dc__asterix_comp_sub(const fmt *f, const uint8_t *p, size_t n, size_t idx);

/* ---- item decoders used by more than one category (asterix.c) ----------- */

void dc__asterix_sacsic(ctx *c, const uint8_t *p, size_t n);  /* SAC/SIC */
void dc__asterix_tod(ctx *c, const uint8_t *p, size_t n);     /* time of day, 1/128 s */
void dc__asterix_mode3a(ctx *c, const uint8_t *p, size_t n);  /* Mode 3/A code */
void dc__asterix_tn12(ctx *c, const uint8_t *p, size_t n);    /* 12-bit track number */
void dc__asterix_addr(ctx *c, const uint8_t *p, size_t n);    /* 24-bit Mode S address */
void dc__asterix_geo_alt(ctx *c, const uint8_t *p, size_t n); /* 6.25 ft, two's complement */
void dc__asterix_fl(ctx *c, const uint8_t *p, size_t n);      /* 16 bits of 1/4 FL */

/* Small setters the decoders call directly: inline, as in one file. */

static inline void dc__asterix_set_pos(ctx *c, double lat, double lon)
{
    if (fabs(lat) <= 90 && fabs(lon) <= 180) {
        c->r->lat_deg = lat;
        c->r->lon_deg = lon;
        c->r->has |= DC_FEED_HAS_POSITION;
    }
}

static inline void dc__asterix_set_polar_velocity(ctx *c, const uint8_t *p, int gs_bits)
{
    /* ground speed in 2^-14 NM/s, heading in 360/2^16 degrees */
    uint32_t gs = dc__u16(p) & ((1u << gs_bits) - 1);
    c->r->ground_speed_mps = gs * (DC__NM_M / 16384.0);
    c->r->track_deg = dc__deg360(dc__u16(p + 2) * (360.0 / 65536.0));
    c->r->has |= DC_FEED_HAS_VELOCITY;
}

static inline void dc__asterix_set_callsign6(ctx *c, const uint8_t *p)
{
    if (dc__callsign6(p, c->r->callsign))
        c->r->has |= DC_FEED_HAS_CALLSIGN;
}

#endif
