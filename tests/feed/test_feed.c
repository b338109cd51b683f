/* Feed decoders (src/feed/): each category's items from hand-built records
 * and from a real CAT062 record, unknown items skipped by their rules,
 * malformed blocks refused with the byte offset and no report, SBS lines,
 * Mode S / ADS-B messages with the published test vectors (CPR global and
 * local, identification, velocity, CRC), Beast framing, pcap walking and
 * the JSON line's shape. */
#include <geodesic.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "deconflict/feed.h"

#define MAXR 16
typedef struct sink {
    dc_feed_report r[MAXR];
    size_t n;
} sink;

static void collect(void *ctx, const dc_feed_report *r)
{
    sink *s = ctx;
    if (s->n < MAXR)
        s->r[s->n] = *r;
    s->n++;
}

static size_t unhex(const char *h, uint8_t *out)
{
    size_t n = 0;
    for (; h[0] && h[1]; h += 2) {
        unsigned v;
        assert_int_equal(sscanf(h, "%2x", &v), 1);
        out[n++] = (uint8_t)v;
    }
    return n;
}

/* A block: category, then the records' bytes; the length is filled in. */
static size_t block(uint8_t cat, const uint8_t *rec, size_t n, uint8_t *out)
{
    out[0] = cat;
    out[1] = (uint8_t)((n + 3) >> 8);
    out[2] = (uint8_t)(n + 3);
    memcpy(out + 3, rec, n);
    return n + 3;
}

static dc_status decode(const uint8_t *b, size_t n, const dc_asterix_options *o, sink *s,
                        dc_feed_error *err)
{
    memset(s, 0, sizeof *s);
    return dc_asterix_decode(b, n, o, collect, s, NULL, err);
}

/* The first CAT062 record of cat_062_065.pcap (edition 1.18), with the
 * values its decoder's golden JSON gives. */
static void test_cat062_real_record(void **state)
{
    (void)state;
    uint8_t rec[128], b[140];
    size_t n = unhex("BFDFFD021964015981B3007518FC002CAED9FF196BF086600393FF43000002BDC1204CA7A8"
                     "4994B1DF40E020F612691903010870170D0D00900D0D061816CD06180000DC190C93BA88E8"
                     "061802BDA0",
                     rec);
    size_t bn = block(62, rec, n, b);
    sink s;
    dc_feed_error err;
    dc_asterix_options o = DC_ASTERIX_OPTIONS_DEFAULT;
    o.ref_time_s = 1393332227.4; /* the pcap's capture time */
    assert_int_equal(decode(b, bn, &o, &s, &err), DC_OK);
    assert_int_equal(s.n, 1);
    dc_feed_report *r = &s.r[0];
    assert_int_equal(r->category, 62);
    assert_int_equal(r->sac, 25);
    assert_int_equal(r->sic, 100);
    assert_true(fabs(r->lat_deg - 41.1671233) < 1e-7 && fabs(r->lon_deg - 15.7088667) < 1e-7);
    assert_true(fabs(r->tod_s - 45827.3984375) < 1e-9);
    assert_true(fabs(r->time_s - (1393286400.0 + 45827.3984375)) < 1e-6);
    assert_int_equal(r->track_number, 4713);
    assert_int_equal(r->mode_s, 0x4CA7A8);
    assert_string_equal(r->callsign, "RYR174C");
    assert_int_equal(r->mode_3a, 01275);
    assert_true(fabs(r->fl - 390) < 1e-9 && fabs(r->calc_fl - 390) < 1e-9);
    assert_true(fabs(r->geo_alt_m - 36481.25 * 0.3048) < 1e-6);
    assert_true(fabs(r->ground_speed_mps - hypot(228.75, -47.25)) < 1e-9);
    assert_true(fabs(r->track_deg - atan2(228.75, -47.25) * 180 / M_PI) < 1e-9);
    assert_true(r->has & DC_FEED_HAS_VRATE);
    assert_true(r->vertical_rate_mps == 0);
    assert_int_equal(r->track_status, 0);
}

/* Eight characters in the ICAO 6-bit set, big-endian in out[0..5]. */
static void enc6(const char *s, uint8_t *out)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) {
        char c = s[i];
        unsigned code = c >= 'A' && c <= 'Z'   ? (unsigned)(c - 'A' + 1)
                        : c >= '0' && c <= '9' ? (unsigned)(c - '0' + 48)
                                               : 32;
        v = v << 6 | code;
    }
    for (int i = 0; i < 6; i++)
        out[i] = (uint8_t)(v >> (40 - 8 * i));
}

static void put32(uint8_t **p, int32_t v)
{
    for (int i = 3; i >= 0; i--)
        *(*p)++ = (uint8_t)((uint32_t)v >> (8 * i));
}

/* Hand-built CAT062 1.18 record: I010, I245 (wins over I380/ID), I380 with
 * ADR, ID and a skipped TID repetition, I040, I080 (ended, coasted), I136,
 * I130 negative, I135, I220 negative, I390 CSN (ignored: I245 present), SP. */
static void test_cat062_items(void **state)
{
    (void)state;
    uint8_t b[160], *p = b + 3;
    *p++ = 0x81;        /* FRN 1 (010) */
    *p++ = 0x3D;        /* FRN 10 (245), 11 (380), 12 (040), 13 (080) */
    *p++ = 0x3F;        /* FRN 17 (136), 18 (130), 19 (135), 20 (220), 21 (390) */
    *p++ = 0x01;        /* FRN 22-28: none */
    *p++ = 0x02;        /* FRN 35: SP */
    *p++ = 1, *p++ = 2; /* I010 */
    *p++ = 0;           /* I245: STI */
    enc6("BAL123  ", p), p += 6;
    *p++ = 0xC1, *p++ = 0x40; /* I380: ADR, ID | TID (subfield 9) */
    *p++ = 0xAB, *p++ = 0xCD, *p++ = 0xEF;
    enc6("IGNORED ", p), p += 6;
    *p++ = 1; /* TID: one 15-byte repetition, skipped */
    memset(p, 0x5A, 15), p += 15;
    *p++ = 0x12, *p++ = 0x34;                           /* I040 */
    *p++ = 0x01, *p++ = 0x41, *p++ = 0x01, *p++ = 0x80; /* I080: TSE, CST */
    *p++ = 0x01, *p++ = 0x90;                           /* I136: FL 100 */
    *p++ = 0xFF, *p++ = 0xF0;                           /* I130: -16 x 6.25 ft */
    *p++ = 0x80, *p++ = 0x10;                           /* I135: QNH bit, 16 x 25 ft */
    *p++ = 0xFF, *p++ = 0xC0;                           /* I220: -64 x 6.25 ft/min */
    *p++ = 0x40;                                        /* I390: CSN */
    memcpy(p, "XYZ99  ", 7), p += 7;
    *p++ = 3, *p++ = 0xAA, *p++ = 0xBB; /* SP, explicit */
    size_t n = (size_t)(p - b);
    b[0] = 62, b[1] = 0, b[2] = (uint8_t)n;
    sink s;
    dc_feed_error err = {0, {0}};
    assert_int_equal(decode(b, n, NULL, &s, &err), DC_OK);
    assert_int_equal(s.n, 1);
    dc_feed_report *r = &s.r[0];
    assert_int_equal(r->sac, 1);
    assert_int_equal(r->sic, 2);
    assert_string_equal(r->callsign, "BAL123");
    assert_int_equal(r->mode_s, 0xABCDEF);
    assert_int_equal(r->track_number, 0x1234);
    assert_int_equal(r->track_status, DC_FEED_TRACK_ENDED | DC_FEED_TRACK_COASTED);
    assert_true(fabs(r->fl - 100) < 1e-9);
    assert_true(fabs(r->geo_alt_m - (-100 * 0.3048)) < 1e-9);
    assert_true(fabs(r->calc_fl - 4) < 1e-9);
    assert_true(fabs(r->vertical_rate_mps - (-400 * 0.3048 / 60)) < 1e-9);
    assert_false(r->has & DC_FEED_HAS_POSITION);
    /* without I245 the I380 identification is the callsign */
    uint8_t c[64], *q = c + 3;
    *q++ = 0x81, *q++ = 0x10; /* FRN 1, FRN 11 */
    *q++ = 1, *q++ = 2, *q++ = 0x40;
    enc6("EZY42   ", q), q += 6;
    n = (size_t)(q - c);
    c[0] = 62, c[1] = 0, c[2] = (uint8_t)n;
    assert_int_equal(decode(c, n, NULL, &s, &err), DC_OK);
    assert_string_equal(s.r[0].callsign, "EZY42");
}

static void test_cat021_items(void **state)
{
    (void)state;
    uint8_t b[128], *p = b + 3;
    *p++ = 0xA3;                                           /* FRN 1 (010), 3 (161), 7 (131) */
    *p++ = 0x19;                                           /* FRN 11 (080), 12 (073) */
    *p++ = 0x43;                                           /* FRN 16 (140), 21 (145) */
    *p++ = 0x39;                                           /* FRN 24 (155), 25 (157), 26 (160) */
    *p++ = 0x80;                                           /* FRN 29 (170) */
    *p++ = 7, *p++ = 9;                                    /* I010 */
    *p++ = 0x0F, *p++ = 0xFF;                              /* I161: 4095 */
    put32(&p, (int32_t)lround(45.0 / 180 * 1073741824.0)); /* I131 */
    put32(&p, (int32_t)lround(-3.0 / 180 * 1073741824.0));
    *p++ = 0x40, *p++ = 0x1F, *p++ = 0xAA;              /* I080 */
    *p++ = 0x00, *p++ = 0x01, *p++ = 0x00;              /* I073: 2 s */
    *p++ = 0x06, *p++ = 0x40;                           /* I140: 1600 x 6.25 ft */
    *p++ = 0x00, *p++ = 0xC8;                           /* I145: FL 50 */
    *p++ = 0x00, *p++ = 0x10;                           /* I155: +100 ft/min (I157 wins) */
    *p++ = 0x7F, *p++ = 0xF0;                           /* I157: -16 x 6.25 ft/min */
    *p++ = 0x08, *p++ = 0x00, *p++ = 0x40, *p++ = 0x00; /* I160: 0.125 NM/s, 90 deg */
    enc6("ABC12345", p), p += 6;                        /* I170 */
    size_t n = (size_t)(p - b);
    b[0] = 21, b[1] = 0, b[2] = (uint8_t)n;
    sink s;
    dc_feed_error err;
    assert_int_equal(decode(b, n, NULL, &s, &err), DC_OK);
    assert_int_equal(s.n, 1);
    dc_feed_report *r = &s.r[0];
    assert_int_equal(r->sac, 7);
    assert_int_equal(r->track_number, 4095);
    assert_true(fabs(r->lat_deg - 45) < 1e-7 && fabs(r->lon_deg + 3) < 1e-7);
    assert_int_equal(r->mode_s, 0x401FAA);
    assert_true(fabs(r->tod_s - 2) < 1e-9);
    assert_true(fabs(r->geo_alt_m - 10000 * 0.3048) < 1e-9);
    assert_true(fabs(r->fl - 50) < 1e-9);
    assert_true(fabs(r->vertical_rate_mps - (-100 * 0.3048 / 60)) < 1e-9);
    assert_true(fabs(r->ground_speed_mps - 0.125 * 1852) < 1e-9);
    assert_true(fabs(r->track_deg - 90) < 1e-9);
    assert_string_equal(r->callsign, "ABC12345");
}

/* CAT048: polar position to WGS84 with PROJ; without a radar no position. */
static void test_cat048_polar(void **state)
{
    (void)state;
    uint8_t b[64], *p = b + 3;
    *p++ = 0xDD;                    /* FRN 1 (010), 2 (140), 4 (040), 5 (070), 6 (090) */
    *p++ = 0xA1;                    /* FRN 8 (220), 10 (250, repetitive, skipped) */
    *p++ = 0x80;                    /* FRN 15 (210, skipped) */
    *p++ = 1, *p++ = 2;             /* I010 */
    *p++ = 0, *p++ = 0, *p++ = 128; /* I140: 1 s */
    *p++ = 0x64, *p++ = 0x00, *p++ = 0x40, *p++ = 0x00; /* I040: 100 NM, 90 deg */
    *p++ = 0x0A, *p++ = 0xBC;                           /* I070 */
    *p++ = 0x00, *p++ = 0x00;                           /* I090: FL 0 */
    *p++ = 0x12, *p++ = 0x34, *p++ = 0x56;              /* I220 */
    *p++ = 0x01;                                        /* I250: 1 x 8 bytes */
    memset(p, 0xEE, 8), p += 8;
    memset(p, 0x11, 4), p += 4; /* I210 */
    size_t n = (size_t)(p - b);
    b[0] = 48, b[1] = 0, b[2] = (uint8_t)n;
    sink s;
    dc_feed_error err;
    assert_int_equal(decode(b, n, NULL, &s, &err), DC_OK);
    assert_int_equal(s.n, 1);
    assert_false(s.r[0].has & DC_FEED_HAS_POSITION);
    assert_true(fabs(s.r[0].rho_m - 100 * 1852) < 1e-6);
    assert_int_equal(s.r[0].mode_s, 0x123456);
    assert_int_equal(s.r[0].mode_3a, 0x0ABC);
    dc_asterix_options o = DC_ASTERIX_OPTIONS_DEFAULT;
    o.has_radar = 1;
    o.radar_lat_deg = 45;
    o.radar_lon_deg = 16;
    o.radar_alt_m = 0;
    assert_int_equal(decode(b, n, &o, &s, &err), DC_OK);
    assert_true(s.r[0].has & DC_FEED_HAS_POSITION);
    struct geod_geodesic g;
    geod_init(&g, 6378137.0, 1 / 298.257223563);
    double d, a1, a2;
    geod_inverse(&g, 45, 16, s.r[0].lat_deg, s.r[0].lon_deg, &d, &a1, &a2);
    /* FL 0 seen from a radar at 0 m: the slant range is the chord of the
     * ground arc on the 6371 km sphere */
    double arc = 2 * 6371000.0 * asin(185200 / (2 * 6371000.0));
    assert_true(fabs(d - arc) < 0.01);
    assert_true(fabs(a1 - 90) < 1e-6);
}

static void test_service_categories_skipped(void **state)
{
    (void)state;
    uint8_t b[] = {65, 0, 9, 0xF8, 0x19, 0x64, 0x02, 0x01, 0x59, /* CAT065 */
                   34, 0, 4, 0x00,                               /* CAT034 (not even parsed) */
                   99, 0, 3};                                    /* unknown category */
    sink s;
    dc_feed_stats st = {0};
    dc_feed_error err;
    memset(&s, 0, sizeof s);
    assert_int_equal(dc_asterix_decode(b, sizeof b, NULL, collect, &s, &st, &err), DC_OK);
    assert_int_equal(s.n, 0);
    assert_int_equal(st.blocks, 3);
    assert_int_equal(st.skipped_blocks, 3);
}

/* Malformed blocks: refused with the reason and byte offset, no report
 * (not even the good record before the bad one), nothing read past the
 * length (ASan would see it: the buffers are exactly as long). */
static void test_malformed_blocks(void **state)
{
    (void)state;
    struct {
        const char *hex;
        size_t offset;
        const char *reason;
    } cases[] = {
        {"3E", 0, "a block header needs 3"},
        {"3E0002", 1, "is below the 3-byte header"},
        {"3E00FF80", 1, "runs past the end of the data"},
        /* good record (010 only), then an FSPEC that never ends */
        {"3E000780010281", 6, "FSPEC runs past the block end"},
        /* good record, then I105 (8 bytes) with 2 left */
        {"3E0009800102080001", 7, "I062/105: it runs past the block end"},
        /* spare FRN 2 set */
        {"3E000640"
         "0102",
         3, "FRN 2, which has no item"},
        /* empty FSPEC after a good record */
        {"3E0007800102"
         "00",
         6, "empty FSPEC"},
        /* FX bits naming no item */
        {"3E0005"
         "0100",
         3, "empty FSPEC"},
        /* I380 compound: primary says ADR, data cut */
        {"3E0008"
         "0110"
         "80"
         "ABCD",
         5, "I062/380"},
        /* I080 variable: FX set in its last byte */
        {"3E0007"
         "0104"
         "0301",
         5, "FX extension"},
        /* SP explicit length 0 */
        {"3E0009"
         "0101010102"
         "00",
         8, "explicit length is 0"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t b[64];
        size_t n = unhex(cases[i].hex, b);
        sink s;
        dc_feed_error err = {999, {0}};
        dc_status st = decode(b, n, NULL, &s, &err);
        if (st != DC_EINVAL || s.n != 0 || err.offset != cases[i].offset ||
            !strstr(err.reason, cases[i].reason))
            fail_msg("case %zu (%s): status %d, %zu reports, offset %zu, reason '%s'", i,
                     cases[i].hex, (int)st, s.n, err.offset, err.reason);
    }
}

/* A second block after a good one: the good one's reports stand. */
static void test_good_block_then_bad(void **state)
{
    (void)state;
    uint8_t b[] = {62, 0, 6, 0x80, 1, 2, 62, 0, 9, 0x80};
    sink s;
    dc_feed_error err;
    assert_int_equal(decode(b, sizeof b, NULL, &s, &err), DC_EINVAL);
    assert_int_equal(s.n, 1);
    assert_int_equal(err.offset, 7);
}

/* Past the 32 reports held on the stack: 40 records decode; a bad 40th
 * record refuses the block with no report. */
static void test_long_block(void **state)
{
    (void)state;
    uint8_t b[3 + 40 * 3];
    b[0] = 62, b[1] = 0, b[2] = sizeof b;
    for (int i = 0; i < 40; i++)
        b[3 + 3 * i] = 0x80, b[4 + 3 * i] = 1, b[5 + 3 * i] = (uint8_t)i;
    sink s;
    dc_feed_error err;
    dc_feed_stats st = {0};
    memset(&s, 0, sizeof s);
    assert_int_equal(dc_asterix_decode(b, sizeof b, NULL, collect, &s, &st, &err), DC_OK);
    assert_int_equal(s.n, 40);
    assert_int_equal(st.records, 40);
    assert_int_equal(s.r[15].sic, 15);
    b[3 + 3 * 39] = 0x40; /* spare FRN 2 */
    assert_int_equal(decode(b, sizeof b, NULL, &s, &err), DC_EINVAL);
    assert_int_equal(s.n, 0);
    assert_int_equal(err.offset, 3 + 3 * 39);
    b[3 + 3 * 39] = 0x80;
    b[3 + 3 * 35] = 0x40; /* in the part checked after the buffer is full */
    assert_int_equal(decode(b, sizeof b, NULL, &s, &err), DC_EINVAL);
    assert_int_equal(s.n, 0);
}

static void test_cat062_edition_017(void **state)
{
    (void)state;
    /* First record of asterix.pcap: 0.17 layout */
    uint8_t rec[64];
    size_t n = unhex("BB3D42196459F8E1037E1F7AE90CF6A70C3A05500756CAD600000001105388424157383931"
                     "20404C42534645474C4C0108000000",
                     rec);
    uint8_t b[80];
    size_t bn = block(62, rec, n, b);
    dc_asterix_options o = DC_ASTERIX_OPTIONS_DEFAULT;
    o.cat062_edition = DC_CAT062_ED_0_17;
    sink s;
    dc_feed_error err;
    assert_int_equal(decode(b, bn, &o, &s, &err), DC_OK);
    assert_int_equal(s.n, 1);
    dc_feed_report *r = &s.r[0];
    assert_int_equal(r->track_number, 894);
    assert_true(fabs(r->lat_deg - 0x1f7ae9 * 180.0 / 8388608) < 1e-9);
    assert_true(fabs(r->fl - 340) < 1e-9);
    assert_string_equal(r->callsign, "BAW891");
    assert_true(fabs(r->tod_s - 0x59f8e1 / 128.0) < 1e-9);
    /* the same bytes as 1.18 are refused (I390 runs past the end) */
    assert_int_equal(decode(b, bn, NULL, &s, &err), DC_EINVAL);
    assert_int_equal(s.n, 0);
}

/* ---- SBS ---------------------------------------------------------------- */

static void test_sbs(void **state)
{
    (void)state;
    sink s;
    memset(&s, 0, sizeof s);
    dc_feed_error err;
    const char *l = "MSG,3,1,1,4B1908,1,2016/03/05,12:34:56.500,2016/03/05,12:34:56.600,,2525,,,"
                    "33.96693,-118.25598,,,0,0,0,0\r\n";
    assert_int_equal(dc_sbs_decode_line(l, strlen(l), collect, &s, &err), DC_OK);
    assert_int_equal(s.n, 1);
    assert_int_equal(s.r[0].mode_s, 0x4B1908);
    assert_true(fabs(s.r[0].lat_deg - 33.96693) < 1e-12);
    assert_true(fabs(s.r[0].fl - 25.25) < 1e-12);
    assert_true(fabs(s.r[0].time_s - 1457181296.5) < 1e-6);
    l = "MSG,1,,,A8430D,,,,,,SWA1234 ,,,,,,,,,,,";
    assert_int_equal(dc_sbs_decode_line(l, strlen(l), collect, &s, &err), DC_OK);
    assert_string_equal(s.r[1].callsign, "SWA1234");
    l = "MSG,4,,,A8430D,,,,,,,,420,271.5,,,-1024,,,,,";
    assert_int_equal(dc_sbs_decode_line(l, strlen(l), collect, &s, &err), DC_OK);
    assert_true(fabs(s.r[2].ground_speed_mps - 420 * 1852.0 / 3600) < 1e-9);
    assert_true(fabs(s.r[2].vertical_rate_mps - (-1024 * 0.3048 / 60)) < 1e-9);
    l = "MSG,8,,,A8430D,,,,,,,,,,,,,,,,,"; /* carries nothing: no report */
    assert_int_equal(dc_sbs_decode_line(l, strlen(l), collect, &s, &err), DC_OK);
    assert_int_equal(s.n, 3);
    l = "STA,,5,179,400AE7,10103,2008/11/28,14:58:51.153,2008/11/28,14:58:51.153,RM";
    assert_int_equal(dc_sbs_decode_line(l, strlen(l), collect, &s, &err), DC_OK);
    const char *bad[] = {"MSG,9,,,A8430D,,,,,,,,,,,,,,,,,",
                         "MSG,3,,,A843,,,,,,,1000",
                         "MSG,3,,,A8430D,,,,,,,1e999,,,,,,,,,,",
                         "MSG,3,,,A8430D,,,,,,,,,,12,,,,,,,",
                         "MSG,3,,,A8430D,,2016/13/05,12:00:00,,,,100,,,,,,,,,,",
                         "FOO,1",
                         "MSG,6,,,A8430D,,,,,,,,,,,,,12345,,,,"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err.reason[0] = '\0';
        if (dc_sbs_decode_line(bad[i], strlen(bad[i]), collect, &s, &err) != DC_EINVAL ||
            !err.reason[0])
            fail_msg("accepted: %s", bad[i]);
    }
    assert_int_equal(s.n, 3);
}

/* ---- Mode S / ADS-B ----------------------------------------------------- */

/* Test vectors from "The 1090 MHz Riddle" (J. Sun): KLM1023; the even/odd
 * pair at 52.2572 N 3.91937 E, 38000 ft; velocity 159.20 kt 182.88 deg
 * -832 ft/min. */
static void test_adsb_vectors(void **state)
{
    (void)state;
    dc_adsb *a = dc_adsb_new(16, 0, 0, 0);
    assert_non_null(a);
    sink s;
    memset(&s, 0, sizeof s);
    dc_feed_error err;
    uint8_t m[14];
    unhex("8D4840D6202CC371C32CE0576098", m);
    assert_int_equal(dc_adsb_decode(a, m, 14, 0, collect, &s, &err), DC_OK);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.r[0].callsign, "KLM1023");
    assert_int_equal(s.r[0].mode_s, 0x4840D6);

    unhex("8D40621D58C386435CC412692AD6", m); /* odd */
    assert_int_equal(dc_adsb_decode(a, m, 14, 1.0, collect, &s, &err), DC_OK);
    assert_int_equal(s.n, 2);
    assert_false(s.r[1].has & DC_FEED_HAS_POSITION); /* one message, no reference */
    assert_true(fabs(s.r[1].fl - 380) < 1e-9);
    unhex("8D40621D58C382D690C8AC2863A7", m); /* even, latest */
    assert_int_equal(dc_adsb_decode(a, m, 14, 2.0, collect, &s, &err), DC_OK);
    assert_int_equal(s.n, 3);
    assert_true(s.r[2].has & DC_FEED_HAS_POSITION);
    assert_true(fabs(s.r[2].lat_deg - 52.2572) < 1e-4);
    assert_true(fabs(s.r[2].lon_deg - 3.91937) < 1e-4);

    unhex("8D485020994409940838175B284F", m);
    assert_int_equal(dc_adsb_decode(a, m, 14, 3.0, collect, &s, &err), DC_OK);
    assert_true(fabs(s.r[3].ground_speed_mps - 159.20 * 1852 / 3600) < 0.01);
    assert_true(fabs(s.r[3].track_deg - 182.88) < 0.01);
    assert_true(fabs(s.r[3].vertical_rate_mps - (-832 * 0.3048 / 60)) < 1e-9);

    m[13] ^= 1; /* one bit flipped: CRC */
    assert_int_equal(dc_adsb_decode(a, m, 14, 4.0, collect, &s, &err), DC_EINVAL);
    assert_non_null(strstr(err.reason, "CRC"));
    assert_int_equal(dc_adsb_decode(a, m, 9, 4.0, collect, &s, &err), DC_EINVAL);
    assert_int_equal(s.n, 4);
    dc_adsb_free(a);
    dc_adsb_free(NULL);
}

static void test_cpr(void **state)
{
    (void)state;
    double lat, lon;
    assert_int_equal(dc_cpr_global(93000, 51372, 74158, 50194, 0, &lat, &lon), DC_OK);
    assert_true(fabs(lat - 52.25720) < 1e-4 && fabs(lon - 3.91937) < 1e-4);
    assert_int_equal(dc_cpr_global(93000, 51372, 74158, 50194, 1, &lat, &lon), DC_OK);
    assert_true(fabs(lat - 52.26578) < 1e-4 && fabs(lon - 3.93891) < 1e-4);
    /* local: the even message against a reference 50 km away */
    assert_int_equal(dc_cpr_local(93000, 51372, 0, 52.0, 4.2, &lat, &lon), DC_OK);
    assert_true(fabs(lat - 52.25720) < 1e-4 && fabs(lon - 3.91937) < 1e-4);
    /* a pair straddling a longitude-zone boundary is refused */
    /* 10.46 N even, 10.48 N odd: NL changes at 10.4705 N, no global fix */
    assert_int_equal(dc_cpr_global(97430, 0, 94051, 0, 0, &lat, &lon), DC_EINVAL);
    assert_int_equal(dc_cpr_local(0, 0, 0, NAN, 0, &lat, &lon), DC_EINVAL);
}

/* Beast: escaped 0x1a inside a frame, garbage, a frame cut at the end. */
static void test_beast(void **state)
{
    (void)state;
    uint8_t msg[14];
    unhex("8D4840D6202CC371C32CE0576098", msg);
    uint8_t b[128];
    size_t n = 0;
    b[n++] = 0x55; /* garbage */
    b[n++] = 0x1a, b[n++] = '3';
    const uint8_t ts[7] = {0, 0, 0, 0x1a, 0, 1, 0x80}; /* timestamp with a 0x1a, signal */
    for (int i = 0; i < 7; i++) {
        b[n++] = ts[i];
        if (ts[i] == 0x1a)
            b[n++] = 0x1a;
    }
    memcpy(b + n, msg, 14);
    n += 14;
    size_t cut = n;
    b[n++] = 0x1a, b[n++] = '2', b[n++] = 0; /* cut short */
    dc_adsb *a = dc_adsb_new(0, 0, 0, 0);
    sink s;
    memset(&s, 0, sizeof s);
    dc_feed_stats st = {0};
    size_t used = 0;
    assert_int_equal(dc_beast_decode(a, b, n, &used, collect, &s, &st), DC_OK);
    assert_int_equal(s.n, 1);
    assert_string_equal(s.r[0].callsign, "KLM1023");
    assert_int_equal(used, cut);
    assert_int_equal(st.errors, 1);
    assert_int_equal(st.blocks, 1);
    dc_adsb_free(a);
}

/* ---- pcap ---------------------------------------------------------------- */

static void udp_count(void *ctx, const uint8_t *payload, size_t len, double t, uint16_t port)
{
    size_t *n = ctx;
    (void)payload;
    assert_int_equal(len, 3);
    assert_int_equal(port, 8600);
    assert_true(t == 1000.5);
    (*n)++;
}

static void test_pcap(void **state)
{
    (void)state;
    uint8_t b[256];
    size_t n = unhex("d4c3b2a1020004000000000000000000ffff000001000000", b);
    const char *frame = "e803000020a107002d0000002d000000" /* record: t 1000.5, 45 bytes */
                        "020000000002020000000001"
                        "0800"                                     /* Ethernet */
                        "4500001f00000000401100000a0000010a000002" /* IPv4, 31 bytes */
                        "9c40219800"
                        "0b0000" /* UDP, 11 bytes */
                        "3e0003";
    n += unhex(frame, b + n);
    size_t got = 0;
    dc_feed_error err;
    assert_int_equal(dc_pcap_udp_each(b, n, udp_count, &got, &err), DC_OK);
    assert_int_equal(got, 1);
    assert_int_equal(dc_pcap_udp_each(b, n - 1, udp_count, &got, &err), DC_EINVAL);
    assert_int_equal(err.offset, 32);
    assert_int_equal(dc_pcap_udp_each(b, 10, udp_count, &got, &err), DC_EINVAL);
    b[0] = 0;
    assert_int_equal(dc_pcap_udp_each(b, n, udp_count, &got, &err), DC_EINVAL);
    assert_int_equal(got, 1);
}

/* ---- JSON line ----------------------------------------------------------- */

static void test_json_line(void **state)
{
    (void)state;
    dc_feed_report r;
    memset(&r, 0, sizeof r);
    r.source = DC_FEED_SRC_ASTERIX;
    r.category = 62;
    r.has = DC_FEED_HAS_POSITION | DC_FEED_HAS_TRACK_NUMBER | DC_FEED_HAS_SAC_SIC |
            DC_FEED_HAS_VELOCITY | DC_FEED_HAS_TIME;
    r.sac = 25, r.sic = 100, r.track_number = 7;
    r.lat_deg = 45.5, r.lon_deg = NAN; /* never printed */
    r.ground_speed_mps = INFINITY, r.track_deg = 10;
    r.time_s = 1393332227.5;
    char buf[1024];
    size_t n = dc_feed_report_json(&r, buf, sizeof buf);
    assert_true(n > 0 && n == strlen(buf));
    assert_string_equal(buf, "{\"track_id\":\"062-25-100-7\",\"time\":\"2014-02-25T12:43:47.500Z\","
                             "\"track_deg\":10.000,\"source\":\"asterix\","
                             "\"category\":62,\"sac\":25,\"sic\":100,\"track_number\":7}");
    assert_int_equal(dc_feed_report_json(&r, buf, 20), 0);
    assert_string_equal(buf, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cat062_real_record),
        cmocka_unit_test(test_cat062_items),
        cmocka_unit_test(test_cat021_items),
        cmocka_unit_test(test_cat048_polar),
        cmocka_unit_test(test_service_categories_skipped),
        cmocka_unit_test(test_malformed_blocks),
        cmocka_unit_test(test_good_block_then_bad),
        cmocka_unit_test(test_long_block),
        cmocka_unit_test(test_cat062_edition_017),
        cmocka_unit_test(test_sbs),
        cmocka_unit_test(test_adsb_vectors),
        cmocka_unit_test(test_cpr),
        cmocka_unit_test(test_beast),
        cmocka_unit_test(test_pcap),
        cmocka_unit_test(test_json_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
