/* `deconflict feed decode FILE`: decodes a recording of surveillance data
 * (a classic pcap of UDP datagrams carrying ASTERIX, raw ASTERIX blocks,
 * SBS-1 text or Beast binary) and prints one JSON line per report
 * (dc_feed_report_json), so any recording can be checked by hand against
 * another decoder. A refused block, datagram, line or frame is reported on
 * stderr with its byte offset and decoding goes on. Exit 0 when everything
 * decoded, 1 when some input was refused, 2 on usage or unreadable input. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "deconflict/feed.h"

static int usage(FILE *f)
{
    fprintf(f, "usage: deconflict feed decode FILE [--format auto|pcap|asterix|sbs|beast]\n"
               "                 [--radar LAT,LON,ALT_M] [--cat062-edition 1.18|0.17]\n"
               "                 [--ref LAT,LON]\n\n"
               "Decodes FILE (\"-\": stdin) and prints one JSON object a line per report:\n"
               "track_id, time (RFC 3339, when the date is known), lat, lon, alt_m,\n"
               "ground_speed_mps, track_deg, vertical_rate_mps (absent when the record\n"
               "does not carry them), then source fields: source, category, sac, sic,\n"
               "track_number, mode_s (6 hex digits), callsign, mode_3a, time_of_day_s,\n"
               "flight_level, calc_flight_level, geo_alt_m, rho_m, theta_deg.\n"
               "  --format          auto (default: by the file's first bytes), pcap (UDP\n"
               "                    datagrams of ASTERIX), asterix (raw blocks), sbs\n"
               "                    (dump1090 port 30003 text), beast (port 30005 binary)\n"
               "  --radar           CAT048 radar site, WGS84 degrees and metres AMSL:\n"
               "                    without it CAT048 reports carry rho_m/theta_deg only\n"
               "  --cat062-edition  CAT062 edition of the data (default 1.18)\n"
               "  --ref             receiver position for ADS-B local CPR decoding\n"
               "Editions and limits: docs/feeds.md. Exit 0 all decoded, 1 some input\n"
               "refused (reasons on stderr), 2 usage or unreadable file.\n\n"
               "usage: deconflict feed status [--url URL] [--key-file FILE] [--json]\n"
               "  a running server's feeds (the authority; see feed status --help)\n");
    return f == stdout ? 0 : 2;
}

static int parse_list(const char *s, double *v, int n)
{
    for (int i = 0; i < n; i++) {
        char *end;
        errno = 0;
        v[i] = strtod(s, &end);
        if (end == s || errno || !isfinite(v[i]))
            return 0;
        if (i < n - 1) {
            if (*end != ',')
                return 0;
            s = end + 1;
        } else if (*end) {
            return 0;
        }
    }
    return 1;
}

static int read_all(const char *path, uint8_t **data, size_t *len)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
    if (!f)
        return 0;
    size_t cap = 1 << 16, n = 0;
    uint8_t *b = malloc(cap);
    while (b) {
        if (n == cap) {
            uint8_t *nb = cap > ((size_t)1 << 31) ? NULL : realloc(b, cap * 2);
            if (!nb) {
                free(b);
                b = NULL;
                break;
            }
            b = nb;
            cap *= 2;
        }
        size_t k = fread(b + n, 1, cap - n, f);
        n += k;
        if (k == 0)
            break;
    }
    int ok = b && !ferror(f);
    if (f != stdin)
        fclose(f);
    if (!ok) {
        free(b);
        return 0;
    }
    *data = b;
    *len = n;
    return 1;
}

typedef struct run {
    dc_asterix_options opt;
    unsigned long refused;
    unsigned long reports;
    unsigned long datagram;
} run;

static void print_report(void *ctx, const dc_feed_report *r)
{
    run *ru = ctx;
    char line[1024];
    size_t n = dc_feed_report_json(r, line, sizeof line);
    if (n) {
        line[n++] = '\n';
        fwrite(line, 1, n, stdout);
        ru->reports++;
    }
}

/* Raw ASTERIX blocks: one block at a time, so a refused block is skipped by
 * its length and the next one decoded; a block length that cannot be
 * trusted ends the file. base: offset of buf in the file, for messages. */
static void asterix_blocks(run *ru, const uint8_t *buf, size_t len, size_t base, const char *what)
{
    size_t off = 0;
    while (off < len) {
        size_t blen = len - off >= 3 ? (size_t)buf[off + 1] << 8 | buf[off + 2] : 0;
        int sane = blen >= 3 && blen <= len - off;
        dc_feed_error err;
        dc_status s = dc_asterix_decode(buf + off, sane ? blen : len - off, &ru->opt, print_report,
                                        ru, NULL, &err);
        if (s != DC_OK) {
            ru->refused++;
            fprintf(stderr, "deconflict feed: %s: byte %zu: %s\n", what, base + off + err.offset,
                    err.reason);
        }
        if (!sane)
            break;
        off += blen;
    }
}

static void pcap_udp(void *ctx, const uint8_t *payload, size_t len, double time_s, uint16_t port)
{
    (void)port;
    run *ru = ctx;
    ru->datagram++;
    char what[64];
    snprintf(what, sizeof what, "UDP datagram %lu", ru->datagram);
    ru->opt.ref_time_s = time_s;
    asterix_blocks(ru, payload, len, 0, what);
}

static int decode_sbs(run *ru, const uint8_t *buf, size_t len)
{
    size_t start = 0, lineno = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && buf[i] != '\n')
            continue;
        lineno++;
        dc_feed_error err;
        if (dc_sbs_decode_line((const char *)buf + start, i - start, print_report, ru, &err) !=
            DC_OK) {
            ru->refused++;
            fprintf(stderr, "deconflict feed: line %zu: byte %zu: %s\n", lineno, err.offset + 1,
                    err.reason);
        }
        start = i + 1;
    }
    return 0;
}

static int decode_beast(run *ru, const uint8_t *buf, size_t len, const double *ref)
{
    dc_adsb *a = dc_adsb_new(0, ref != NULL, ref ? ref[0] : 0, ref ? ref[1] : 0);
    if (!a) {
        fprintf(stderr, "deconflict feed: out of memory\n");
        return 2;
    }
    dc_feed_stats st = {0};
    size_t used = 0;
    dc_beast_decode(a, buf, len, &used, print_report, ru, &st);
    if (used < len)
        st.errors++,
            fprintf(stderr, "deconflict feed: byte %zu: Beast frame cut at the end\n", used);
    if (st.errors) {
        ru->refused += st.errors;
        fprintf(stderr,
                "deconflict feed: %llu Beast frames or stretches refused (bad CRC, "
                "garbage)\n",
                (unsigned long long)st.errors);
    }
    dc_adsb_free(a);
    return 0;
}

int dc_cli_feed(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")))
        return usage(stdout);
    if (argc >= 2 && !strcmp(argv[1], "status"))
        return dc__cli_feed_status(argc, argv);
    if (argc < 3 || strcmp(argv[1], "decode"))
        return usage(stderr);
    const char *path = NULL, *format = "auto";
    run ru = {DC_ASTERIX_OPTIONS_DEFAULT, 0, 0, 0};
    double ref[2];
    int has_ref = 0;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h"))
            return usage(stdout);
        if (!strcmp(a, "--format") && i + 1 < argc) {
            format = argv[++i];
        } else if (!strcmp(a, "--radar") && i + 1 < argc) {
            double v[3];
            if (!parse_list(argv[++i], v, 3) || fabs(v[0]) > 90 || fabs(v[1]) > 180 ||
                fabs(v[2]) > 10000) {
                fprintf(stderr, "deconflict feed: --radar: expected LAT,LON,ALT_M (degrees, "
                                "metres)\n");
                return 2;
            }
            ru.opt.has_radar = 1;
            ru.opt.radar_lat_deg = v[0];
            ru.opt.radar_lon_deg = v[1];
            ru.opt.radar_alt_m = v[2];
        } else if (!strcmp(a, "--ref") && i + 1 < argc) {
            if (!parse_list(argv[++i], ref, 2) || fabs(ref[0]) > 90 || fabs(ref[1]) > 180) {
                fprintf(stderr, "deconflict feed: --ref: expected LAT,LON (degrees)\n");
                return 2;
            }
            has_ref = 1;
        } else if (!strcmp(a, "--cat062-edition") && i + 1 < argc) {
            const char *e = argv[++i];
            if (!strcmp(e, "1.18"))
                ru.opt.cat062_edition = DC_CAT062_ED_1_18;
            else if (!strcmp(e, "0.17"))
                ru.opt.cat062_edition = DC_CAT062_ED_0_17;
            else {
                fprintf(stderr, "deconflict feed: --cat062-edition: 1.18 or 0.17\n");
                return 2;
            }
        } else if (a[0] == '-' && a[1] == '-') {
            fprintf(stderr, "deconflict feed: unknown or incomplete option %s\n", a);
            return usage(stderr);
        } else if (!path) {
            path = a;
        } else {
            return usage(stderr);
        }
    }
    if (!path)
        return usage(stderr);
    uint8_t *buf;
    size_t len;
    if (!read_all(path, &buf, &len)) {
        fprintf(stderr, "deconflict feed: cannot read %s: %s\n", path, strerror(errno));
        return 2;
    }
    if (!strcmp(format, "auto")) {
        uint32_t m = len >= 4 ? (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 |
                                    (uint32_t)buf[2] << 8 | buf[3]
                              : 0;
        if (m == 0xa1b2c3d4 || m == 0xd4c3b2a1 || m == 0xa1b23c4d || m == 0x4d3cb2a1)
            format = "pcap";
        else if (len >= 2 && buf[0] == 0x1a && buf[1] >= '1' && buf[1] <= '4')
            format = "beast";
        else if (len >= 4 &&
                 (!memcmp(buf, "MSG,", 4) || !memcmp(buf, "SEL,", 4) || !memcmp(buf, "AIR,", 4) ||
                  !memcmp(buf, "STA,", 4) || !memcmp(buf, "ID,", 3) || !memcmp(buf, "CLK,", 4)))
            format = "sbs";
        else
            format = "asterix";
    }
    int rc = 0;
    if (!strcmp(format, "pcap")) {
        dc_feed_error err;
        if (dc_pcap_udp_each(buf, len, pcap_udp, &ru, &err) != DC_OK) {
            fprintf(stderr, "deconflict feed: %s: byte %zu: %s\n", path, err.offset, err.reason);
            ru.refused++;
        }
    } else if (!strcmp(format, "asterix")) {
        asterix_blocks(&ru, buf, len, 0, path);
    } else if (!strcmp(format, "sbs")) {
        rc = decode_sbs(&ru, buf, len);
    } else if (!strcmp(format, "beast")) {
        rc = decode_beast(&ru, buf, len, has_ref ? ref : NULL);
    } else {
        fprintf(stderr, "deconflict feed: --format: auto, pcap, asterix, sbs or beast\n");
        rc = 2;
    }
    free(buf);
    if (fflush(stdout) != 0)
        return 2;
    return rc ? rc : ru.refused ? 1 : 0;
}
