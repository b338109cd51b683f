/* Internals shared by the feed decoders (src/feed/): big-endian readers,
 * the ICAO 6-bit character set, unit constants and the error helper. Not
 * part of the public surface (include/deconflict/feed.h). */
#ifndef DC_FEED_INT_H
#define DC_FEED_INT_H

#include <stddef.h>
#include <stdint.h>

#include "deconflict/feed.h"

#define DC__FT_M 0.3048
#define DC__NM_M 1852.0
#define DC__KT_MPS (1852.0 / 3600.0)
#define DC__FPM_MPS (0.3048 / 60.0)

static inline uint32_t dc__u16(const uint8_t *p)
{
    return (uint32_t)p[0] << 8 | p[1];
}
static inline uint32_t dc__u24(const uint8_t *p)
{
    return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}
static inline uint32_t dc__u32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
/* Sign-extends the low `bits` bits of v. */
static inline int32_t dc__sext(uint32_t v, int bits)
{
    uint32_t m = 1u << (bits - 1);
    v &= (bits == 32) ? 0xffffffffu : ((1u << bits) - 1);
    return (int32_t)((v ^ m) - m);
}

/* Eight ICAO 6-bit characters (48 bits, big-endian in p[0..5]) into out
 * (9 bytes), trailing spaces removed. Returns 1 when any character is left. */
int dc__callsign6(const uint8_t *p, char out[9]);

/* Fills err (when non-NULL) and returns DC_EINVAL. */
dc_status dc__feed_fail(dc_feed_error *err, size_t offset, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Normalises an angle in degrees to [0, 360). */
double dc__deg360(double d);

#endif
