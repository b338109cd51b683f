/* Surveillance feed decoding (issue 16, docs/feeds.md): EUROCONTROL ASTERIX
 * data blocks (CAT062 edition 1.18 or 0.17, CAT021 edition 2.6, CAT048
 * edition 1.21; CAT065 and CAT034 recognised and skipped), dump1090's SBS-1 /
 * BaseStation CSV and Beast binary (Mode S DF17/18 ADS-B with CPR), and the
 * classic libpcap file that carries recorded UDP datagrams. Every decoder
 * reads only caller-owned bytes within the length it is given, never
 * allocates on the decoding path, and refuses malformed input with a status
 * and a dc_feed_error naming the reason and the byte offset. */
#ifndef DECONFLICT_FEED_H
#define DECONFLICT_FEED_H

#include <stddef.h>
#include <stdint.h>

#include "deconflict/status.h"

/* Which fields of a dc_feed_report are set (bits of dc_feed_report.has). */
#define DC_FEED_HAS_SAC_SIC (1u << 0)
#define DC_FEED_HAS_TRACK_NUMBER (1u << 1)
#define DC_FEED_HAS_MODE_S (1u << 2)
#define DC_FEED_HAS_CALLSIGN (1u << 3)
#define DC_FEED_HAS_TOD (1u << 4)       /* tod_s */
#define DC_FEED_HAS_TIME (1u << 5)      /* time_s (the date is known) */
#define DC_FEED_HAS_POSITION (1u << 6)  /* lat_deg, lon_deg */
#define DC_FEED_HAS_FL (1u << 7)        /* measured flight level */
#define DC_FEED_HAS_CALC_FL (1u << 8)   /* calculated (tracker) flight level */
#define DC_FEED_HAS_GEO_ALT (1u << 9)   /* geo_alt_m */
#define DC_FEED_HAS_VELOCITY (1u << 10) /* ground_speed_mps, track_deg */
#define DC_FEED_HAS_VRATE (1u << 11)    /* vertical_rate_mps */
#define DC_FEED_HAS_MODE_3A (1u << 12)
#define DC_FEED_HAS_POLAR (1u << 13) /* rho_m, theta_deg (CAT048) */

typedef enum dc_feed_source {
    DC_FEED_SRC_ASTERIX = 1,
    DC_FEED_SRC_SBS = 2,
    DC_FEED_SRC_BEAST = 3
} dc_feed_source;

/* One surveillance report, as decoded: only the fields named in `has` are
 * meaningful, the others are 0. Every double is finite. */
typedef struct dc_feed_report {
    uint32_t has;
    dc_feed_source source;
    uint8_t category;         /* ASTERIX category (62, 21, 48); 0 otherwise */
    uint8_t sac, sic;         /* ASTERIX data source */
    uint16_t track_number;    /* CAT062 I040, CAT021 I161, CAT048 I161 */
    uint16_t mode_3a;         /* 12 bits, the four octal digits as an integer */
    uint32_t mode_s;          /* 24-bit ICAO aircraft address */
    char callsign[9];         /* up to 8 characters, trailing spaces removed */
    double tod_s;             /* time of day, seconds since midnight UTC */
    double time_s;            /* seconds UTC since 1970 */
    double lat_deg, lon_deg;  /* WGS84 */
    double fl;                /* measured flight level (100 ft, 1013.25 hPa) */
    double calc_fl;           /* tracker's barometric altitude, FL */
    double geo_alt_m;         /* geometric altitude, metres above WGS84 */
    double ground_speed_mps;  /* over ground */
    double track_deg;         /* true, [0, 360) */
    double vertical_rate_mps; /* positive up */
    double rho_m, theta_deg;  /* CAT048 slant range and azimuth (true) */
    uint8_t track_status;     /* DC_FEED_TRACK_* bits (CAT062 I080) */
} dc_feed_report;

/* Track status bits (CAT062 I062/080), meaningful when category is 62. */
#define DC_FEED_TRACK_TENTATIVE (1u << 0) /* CNF */
#define DC_FEED_TRACK_SIMULATED (1u << 1) /* SIM */
#define DC_FEED_TRACK_ENDED (1u << 2)     /* TSE: last report of the track */
#define DC_FEED_TRACK_COASTED (1u << 3)   /* CST: extrapolated, no fresh plot */

/* Where and why a decoder refused its input: offset is the byte offset of
 * the fault from the start of the buffer the caller passed. */
typedef struct dc_feed_error {
    size_t offset;
    char reason[128];
} dc_feed_error;

/* Called once per decoded report; r is borrowed for the call only. */
typedef void (*dc_feed_report_fn)(void *ctx, const dc_feed_report *r);

/* ---- ASTERIX --------------------------------------------------------- */

typedef enum dc_cat062_edition {
    DC_CAT062_ED_1_18 = 0, /* default: CAT062 Part 9 edition 1.18 */
    DC_CAT062_ED_0_17 = 1  /* the 2005 draft edition 0.17 (older SDPS) */
} dc_cat062_edition;

/* Decoding options. A CAT048 target report gets a WGS84 position only when
 * has_radar is set (polar position from the radar site, slant range reduced
 * with the report's Mode C flight level when it has one). */
typedef struct dc_asterix_options {
    dc_cat062_edition cat062_edition;
    int has_radar;
    double radar_lat_deg, radar_lon_deg, radar_alt_m; /* WGS84, metres AMSL */
    double ref_time_s; /* when the data was received (seconds UTC since 1970):
                          a report's time of day becomes the instant nearest
                          to it (time_s). < 0: unknown, no time_s */
} dc_asterix_options;
#define DC_ASTERIX_OPTIONS_DEFAULT ((dc_asterix_options){DC_CAT062_ED_1_18, 0, 0, 0, 0, -1})

/* Counters a decoder adds to (caller-owned, zero it first). */
typedef struct dc_feed_stats {
    uint64_t blocks;         /* ASTERIX data blocks / Beast frames / lines */
    uint64_t records;        /* records decoded into reports */
    uint64_t skipped_blocks; /* CAT065, CAT034 and unknown categories */
    uint64_t errors;         /* refused blocks, frames or lines */
} dc_feed_stats;

/* Decodes buf[0..len) as a sequence of ASTERIX data blocks (one UDP
 * datagram, or a whole raw recording). Each block is checked whole (every
 * record's FSPEC and item lengths within the block length) before any of
 * its reports is passed to fn, so a malformed block yields no report; on the
 * first malformed block the call returns DC_EINVAL with err filled (offset
 * from buf) and leaves the rest of buf alone. stats may be NULL. */
dc_status dc_asterix_decode(const uint8_t *buf, size_t len, const dc_asterix_options *opt,
                            dc_feed_report_fn fn, void *ctx, dc_feed_stats *stats,
                            dc_feed_error *err);

/* ---- SBS-1 / BaseStation CSV (dump1090 port 30003) --------------------- */

/* Decodes one line (without or with its "\r\n"), "MSG,1".."MSG,8". Other
 * message kinds (SEL, ID, AIR, STA, CLK) give DC_OK and no report; a
 * malformed MSG line gives DC_EINVAL with err->offset the byte of the bad
 * field. The report is passed to fn only when the line carries a field. */
dc_status dc_sbs_decode_line(const char *line, size_t len, dc_feed_report_fn fn, void *ctx,
                             dc_feed_error *err);

/* ---- Mode S / ADS-B and Beast (dump1090 port 30005) -------------------- */

/* Per-receiver ADS-B state: the last even and odd CPR position of each
 * aircraft, for global decoding. Caller frees with dc_adsb_free(). */
typedef struct dc_adsb dc_adsb;

/* New state for up to max_aircraft aircraft (0: 4096), allocated once.
 * has_ref: a receiver position for local CPR decoding of the first message
 * of an aircraft (within 180 NM of it). NULL when out of memory. */
dc_adsb *dc_adsb_new(size_t max_aircraft, int has_ref, double ref_lat_deg, double ref_lon_deg);
void dc_adsb_free(dc_adsb *a); /* accepts NULL */

/* Decodes one Mode S frame (7 or 14 bytes). DF17/18 extended squitter
 * messages with a correct CRC give a report (identification, airborne
 * position once it can be decoded, velocity); other formats give DC_OK and
 * no report. t_s orders messages of one aircraft (seconds, any origin): an
 * even/odd pair more than 10 s apart is not decoded globally. DC_EINVAL on
 * a bad length or CRC. */
dc_status dc_adsb_decode(dc_adsb *a, const uint8_t *msg, size_t len, double t_s,
                         dc_feed_report_fn fn, void *ctx, dc_feed_error *err);

/* Decodes a Beast binary stream buf[0..len): 0x1a, type '1' (Mode A/C, 2
 * bytes), '2' (Mode S short, 7), '3' (Mode S long, 14), each after a 6-byte
 * 12 MHz timestamp and a signal byte, with every 0x1a in them doubled.
 * *used is set to the bytes consumed (a frame cut at the end of buf is left
 * for the next call). Garbage before a frame is skipped and counted as an
 * error in stats; a frame that fails its CRC is counted and skipped. */
dc_status dc_beast_decode(dc_adsb *a, const uint8_t *buf, size_t len, size_t *used,
                          dc_feed_report_fn fn, void *ctx, dc_feed_stats *stats);

/* CPR (compact position reporting, DO-260B A.1.7) for airborne positions.
 * Global: from an even and an odd encoding (17-bit lat/lon each), the most
 * recent one named by odd_latest; DC_EINVAL when the two lie in different
 * longitude zones. Local: one encoding against a reference within 180 NM. */
dc_status dc_cpr_global(uint32_t lat_even, uint32_t lon_even, uint32_t lat_odd, uint32_t lon_odd,
                        int odd_latest, double *lat_deg, double *lon_deg);
dc_status dc_cpr_local(uint32_t lat_cpr, uint32_t lon_cpr, int odd, double ref_lat_deg,
                       double ref_lon_deg, double *lat_deg, double *lon_deg);

/* ---- pcap ----------------------------------------------------------------- */

/* Walks a classic libpcap file (either byte order, micro- or nanosecond
 * timestamps; Ethernet, raw IPv4 or Linux cooked link types) and passes each
 * unfragmented IPv4 UDP payload to fn with its capture time (seconds UTC)
 * and UDP destination port. Packets that are not IPv4/UDP are skipped. A
 * truncated record or bad header gives DC_EINVAL with err->offset; payloads
 * passed before it stand. */
typedef void (*dc_pcap_udp_fn)(void *ctx, const uint8_t *payload, size_t len, double time_s,
                               uint16_t dst_port);
dc_status dc_pcap_udp_each(const uint8_t *buf, size_t len, dc_pcap_udp_fn fn, void *ctx,
                           dc_feed_error *err);

/* ---- output -------------------------------------------------------------- */

/* Formats r as one JSON object (no newline) in the shape of a track report
 * (track_id, time, lat, lon, alt_m, ground_speed_mps, track_deg,
 * vertical_rate_mps; absent fields omitted) plus the source fields
 * (category, sac, sic, track_number, mode_s as 6 hex digits, callsign, ...).
 * Returns the length written, or 0 when cap is too small (buf then holds
 * an empty string). 1024 bytes are always enough. */
size_t dc_feed_report_json(const dc_feed_report *r, char *buf, size_t cap);

#endif
