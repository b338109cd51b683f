/* ASTERIX decoding benchmark (issue 16, item 5): the real records of the
 * recordings in tests/feed/data/asterix/ (CAT062 1.18 with CAT065, CAT021,
 * CAT048 with a radar site), one UDP datagram each as a feed receives them,
 * decoded over and over on one core for about two seconds: records per
 * second next to the bar (1,000,000/s). For scale, the same datagrams
 * written to a pcap and dissected by tshark -V (when installed), its
 * start-up subtracted. Fails when the bar is missed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "deconflict/feed.h"

#define BAR_PER_S 1000000.0
#define DATA "tests/feed/data/asterix/"
#define MAX_DGRAMS 64
#define TSHARK_COPIES 2000

typedef struct dgram {
    uint8_t buf[2048];
    size_t n;
} dgram;

static dgram dg[MAX_DGRAMS];
static size_t ndg;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint8_t *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    static uint8_t buf[1 << 16];
    *n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    return buf;
}

static void add(const uint8_t *p, size_t n)
{
    if (ndg < MAX_DGRAMS && n <= sizeof dg[0].buf) {
        memcpy(dg[ndg].buf, p, n);
        dg[ndg++].n = n;
    }
}

/* One datagram per data block of a raw recording. */
static int add_blocks(const char *path)
{
    size_t n, off = 0;
    const uint8_t *b = slurp(path, &n);
    if (!b)
        return 0;
    while (off + 3 <= n) {
        size_t bl = (size_t)b[off + 1] << 8 | b[off + 2];
        if (bl < 3 || bl > n - off)
            return 0;
        add(b + off, bl);
        off += bl;
    }
    return 1;
}

static void pcap_add(void *ctx, const uint8_t *p, size_t n, double t, uint16_t port)
{
    (void)ctx, (void)t, (void)port;
    add(p, n);
}

static volatile double sink_sum;
static void sink(void *ctx, const dc_feed_report *r)
{
    (void)ctx;
    sink_sum += r->lat_deg + r->fl;
}

static void put_le32(FILE *f, uint32_t v)
{
    uint8_t b[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
    fwrite(b, 1, 4, f);
}

/* The datagrams, `copies` times, as Ethernet/IPv4/UDP to port 8600. */
static int write_pcap(const char *path, int copies)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    put_le32(f, 0xa1b2c3d4);
    put_le32(f, 0x00040002);
    put_le32(f, 0);
    put_le32(f, 0);
    put_le32(f, 65535);
    put_le32(f, 1);
    for (int c = 0; c < copies; c++)
        for (size_t i = 0; i < ndg; i++) {
            size_t n = dg[i].n, ip = 20 + 8 + n, fl = 14 + ip;
            put_le32(f, 1393332227u + (uint32_t)c);
            put_le32(f, 0);
            put_le32(f, (uint32_t)fl);
            put_le32(f, (uint32_t)fl);
            uint8_t h[42] = {2,
                             0,
                             0,
                             0,
                             0,
                             2,
                             2,
                             0,
                             0,
                             0,
                             0,
                             1,
                             8,
                             0,
                             0x45,
                             0,
                             (uint8_t)(ip >> 8),
                             (uint8_t)ip,
                             0,
                             0,
                             0,
                             0,
                             64,
                             17,
                             0,
                             0,
                             10,
                             0,
                             0,
                             1,
                             10,
                             0,
                             0,
                             2,
                             0x9c,
                             0x40,
                             0x21,
                             0x98,
                             (uint8_t)((8 + n) >> 8),
                             (uint8_t)(8 + n),
                             0,
                             0};
            fwrite(h, 1, sizeof h, f);
            fwrite(dg[i].buf, 1, n, f);
        }
    return fclose(f) == 0;
}

int main(void)
{
    size_t n;
    const uint8_t *p = slurp(DATA "cat_062_065.pcap", &n);
    dc_feed_error err;
    if (!p || dc_pcap_udp_each(p, n, pcap_add, NULL, &err) != DC_OK ||
        !add_blocks(DATA "cat062cat065.raw") || !add_blocks(DATA "cat21_re.ast") ||
        !add_blocks(DATA "cat048.raw")) {
        fprintf(stderr, "bench_feed: cannot read the recordings under " DATA "\n");
        return 1;
    }
    dc_asterix_options o = DC_ASTERIX_OPTIONS_DEFAULT;
    o.has_radar = 1, o.radar_lat_deg = 45.5, o.radar_lon_deg = 16, o.radar_alt_m = 120;
    dc_feed_stats per = {0};
    for (size_t i = 0; i < ndg; i++)
        if (dc_asterix_decode(dg[i].buf, dg[i].n, &o, sink, NULL, &per, &err) != DC_OK) {
            fprintf(stderr, "bench_feed: datagram %zu refused: %s\n", i, err.reason);
            return 1;
        }
    fprintf(stderr, "bench_feed: %zu datagrams, %llu records, %llu service blocks skipped\n", ndg,
            (unsigned long long)per.records, (unsigned long long)per.skipped_blocks);
    dc_feed_stats st = {0};
    double t0 = now_s(), t = t0;
    unsigned long rounds = 0;
    while (t - t0 < 2.0) {
        for (int k = 0; k < 1000; k++, rounds++)
            for (size_t i = 0; i < ndg; i++)
                dc_asterix_decode(dg[i].buf, dg[i].n, &o, sink, NULL, &st, &err);
        t = now_s();
    }
    double rate = st.records / (t - t0);
    int pass = rate >= BAR_PER_S;
    printf("feed decode: %.0f ASTERIX records/s on one core (%lu rounds of %llu records), bar "
           ">= %.0f/s: %s\n",
           rate, rounds, (unsigned long long)per.records, BAR_PER_S, pass ? "PASS" : "FAIL");

    char path[] = "/tmp/bench_feed_XXXXXX";
    int fd = mkstemp(path);
    if (fd >= 0 && system("command -v tshark >/dev/null 2>&1") == 0) {
        close(fd);
        /* two runs, 1 and TSHARK_COPIES copies: the difference leaves out
         * tshark's start-up (about a second of loading dissectors) */
        double secs[2] = {0, 0};
        int rc = 0;
        for (int k = 0; k < 2 && rc == 0; k++) {
            if (!write_pcap(path, k ? TSHARK_COPIES : 1)) {
                rc = -1;
                break;
            }
            char cmd[256];
            snprintf(cmd, sizeof cmd,
                     "tshark -n -r %s -d udp.port==8600,asterix -V >/dev/null 2>&1", path);
            double s0 = now_s();
            rc = system(cmd);
            secs[k] = now_s() - s0;
        }
        double recs = (double)per.records * (TSHARK_COPIES - 1), dt = secs[1] - secs[0];
        double trate = dt > 0 ? recs / dt : NAN;
        if (rc == 0 && isfinite(trate))
            printf("feed decode: tshark -V on the same records: %.0f records/s (%.0f records in "
                   "%.2f s beyond its start-up): deconflict %.0fx faster\n",
                   trate, recs, dt, rate / trate);
        else
            printf("feed decode: tshark failed (exit %d)\n", rc);
        unlink(path);
    } else {
        if (fd >= 0) {
            close(fd);
            unlink(path);
        }
        printf("feed decode: tshark not installed: no comparison\n");
    }
    return pass ? 0 : 1;
}
