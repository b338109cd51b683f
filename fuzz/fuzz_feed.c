/* Fuzz target: the surveillance feed decoders (src/feed/, issue 16). The
 * first byte picks the decoder: ASTERIX as CAT062 1.18, ASTERIX as 0.17 with
 * a CAT048 radar site, SBS-1 lines, Beast stream (fed in two chunks so a
 * frame cut between calls is resumed), Mode S frame, or a pcap whose UDP
 * payloads go to the ASTERIX decoder. Properties: refusals carry a reason
 * and an offset inside the input; every report has finite numbers in range,
 * a printable callsign, and formats to JSON that jansson parses; a block
 * refused by the ASTERIX decoder never yields a report when decoded alone;
 * decoding is deterministic (same count twice). */
#include <jansson.h>
#include <math.h>

#include "deconflict/feed.h"
#include "fuzz_common.h"

static size_t nreports;

static void check_report(void *ctx, const dc_feed_report *r)
{
    (void)ctx;
    nreports++;
    const double v[] = {
        r->tod_s,   r->time_s,    r->lat_deg,          r->lon_deg,   r->fl,
        r->calc_fl, r->geo_alt_m, r->ground_speed_mps, r->track_deg, r->vertical_rate_mps,
        r->rho_m,   r->theta_deg};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        FZ_CHECK(isfinite(v[i]), "field %zu not finite", i);
    if (r->has & DC_FEED_HAS_POSITION)
        FZ_CHECK(fabs(r->lat_deg) <= 90 && fabs(r->lon_deg) <= 180, "position %g %g", r->lat_deg,
                 r->lon_deg);
    if (r->has & DC_FEED_HAS_VELOCITY)
        FZ_CHECK(r->track_deg >= 0 && r->track_deg < 360 && r->ground_speed_mps >= 0, "velocity");
    if (r->has & DC_FEED_HAS_TOD)
        FZ_CHECK(r->tod_s >= 0 && r->tod_s < 86400, "tod %g", r->tod_s);
    FZ_CHECK(r->mode_s <= 0xffffff, "mode_s %x", r->mode_s);
    size_t cl = strnlen(r->callsign, sizeof r->callsign);
    FZ_CHECK(cl < sizeof r->callsign, "callsign not terminated");
    for (size_t i = 0; i < cl; i++)
        FZ_CHECK(r->callsign[i] >= 0x20 && r->callsign[i] < 0x7f && r->callsign[i] != '"' &&
                     r->callsign[i] != '\\',
                 "callsign byte %02x", (unsigned char)r->callsign[i]);
    char buf[1024];
    size_t n = dc_feed_report_json(r, buf, sizeof buf);
    FZ_CHECK(n > 0, "report does not fit 1024 bytes");
    json_error_t je;
    json_t *j = json_loadb(buf, n, 0, &je);
    FZ_CHECK(j != NULL, "bad JSON: %s (%s)", buf, je.text);
    json_decref(j);
}

static void asterix(const uint8_t *d, size_t n, const dc_asterix_options *o)
{
    dc_feed_error err = {0, {0}};
    dc_feed_stats st = {0};
    nreports = 0;
    dc_status s = dc_asterix_decode(d, n, o, check_report, NULL, &st, &err);
    size_t first = nreports;
    if (s != DC_OK) {
        FZ_CHECK(s == DC_EINVAL && err.reason[0] && err.offset <= n, "refusal %d at %zu of %zu",
                 (int)s, err.offset, n);
        /* each block alone: a refused one gives no report at all */
        size_t off = 0;
        while (off < n) {
            size_t bl = n - off >= 3 ? (size_t)d[off + 1] << 8 | d[off + 2] : 0;
            if (bl < 3 || bl > n - off)
                bl = n - off;
            nreports = 0;
            if (dc_asterix_decode(d + off, bl, o, check_report, NULL, NULL, &err) != DC_OK)
                FZ_CHECK(nreports == 0, "a refused block gave %zu reports", nreports);
            off += bl;
        }
    }
    nreports = 0;
    dc_asterix_decode(d, n, o, check_report, NULL, NULL, &err);
    FZ_CHECK(nreports == first, "not deterministic: %zu then %zu", first, nreports);
}

static void pcap_udp(void *ctx, const uint8_t *p, size_t n, double t, uint16_t port)
{
    (void)port;
    dc_asterix_options o = DC_ASTERIX_OPTIONS_DEFAULT;
    o.ref_time_s = t;
    (void)ctx;
    asterix(p, n, &o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t mode = data[0] % 6;
    const uint8_t *d = data + 1;
    size_t n = size - 1;
    switch (mode) {
    case 0:
        asterix(d, n, NULL);
        break;
    case 1: {
        dc_asterix_options o = DC_ASTERIX_OPTIONS_DEFAULT;
        o.cat062_edition = DC_CAT062_ED_0_17;
        o.has_radar = 1;
        o.radar_lat_deg = 45.5;
        o.radar_lon_deg = 179.9;
        o.radar_alt_m = 300;
        o.ref_time_s = 1393332227.4;
        asterix(d, n, &o);
        break;
    }
    case 2: {
        size_t start = 0;
        for (size_t i = 0; i <= n; i++)
            if (i == n || d[i] == '\n') {
                dc_feed_error err = {0, {0}};
                dc_status s = dc_sbs_decode_line((const char *)d + start, i - start, check_report,
                                                 NULL, &err);
                FZ_CHECK(s == DC_OK || (s == DC_EINVAL && err.reason[0] && err.offset <= i - start),
                         "SBS refusal %d at %zu", (int)s, err.offset);
                start = i + 1;
            }
        break;
    }
    case 3: {
        dc_adsb *a = dc_adsb_new(8, 1, 52.0, 4.0); /* a small table: evictions */
        FZ_CHECK(a != NULL, "dc_adsb_new");
        size_t half = n / 2, used = 0;
        dc_feed_stats st = {0};
        dc_beast_decode(a, d, half, &used, check_report, NULL, &st);
        FZ_CHECK(used <= half, "used %zu of %zu", used, half);
        /* the rest after what the first call left */
        static uint8_t buf[1 << 16];
        size_t rest = half - used + (n - half);
        if (rest <= sizeof buf) {
            memcpy(buf, d + used, rest);
            size_t used2 = 0;
            dc_beast_decode(a, buf, rest, &used2, check_report, NULL, &st);
            FZ_CHECK(used2 <= rest, "used %zu of %zu", used2, rest);
        }
        dc_adsb_free(a);
        break;
    }
    case 4: {
        dc_adsb *a = dc_adsb_new(4, 0, 0, 0);
        FZ_CHECK(a != NULL, "dc_adsb_new");
        for (size_t off = 0; off + 14 <= n; off += 14) {
            dc_feed_error err;
            dc_adsb_decode(a, d + off, 14, (double)off, check_report, NULL, &err);
        }
        double lat, lon;
        if (n >= 8) {
            uint32_t v[4];
            for (int i = 0; i < 4; i++)
                v[i] = (uint32_t)d[2 * i] << 9 | (uint32_t)d[2 * i + 1] << 1;
            if (dc_cpr_global(v[0], v[1], v[2], v[3], d[0] & 1, &lat, &lon) == DC_OK)
                FZ_CHECK(fabs(lat) <= 90 && fabs(lon) <= 180, "CPR global %g %g", lat, lon);
            if (dc_cpr_local(v[0], v[1], d[1] & 1, (d[2] - 128) * 0.7, (d[3] - 128) * 1.4, &lat,
                             &lon) == DC_OK)
                FZ_CHECK(fabs(lat) <= 90 && fabs(lon) <= 180, "CPR local %g %g", lat, lon);
        }
        dc_adsb_free(a);
        break;
    }
    default: {
        dc_feed_error err = {0, {0}};
        dc_status s = dc_pcap_udp_each(d, n, pcap_udp, NULL, &err);
        FZ_CHECK(s == DC_OK || (err.reason[0] && err.offset <= n), "pcap refusal at %zu",
                 err.offset);
        break;
    }
    }
    return 0;
}
