/* Feed ingestion with the tick (issue 16, item 5): the real binary
 * (build/deconflict serve) with one SBS feed connected to this benchmark,
 * which plays dump1090's port 30003: 5,000 aircraft (30-60 N, 10 W-40 E,
 * 1-13 km, 60-250 m/s), each a MSG,3 position and a MSG,4 velocity once a
 * second, spread over the second. The server decodes, fuses and hands them
 * to tactical monitoring while the 1 s detection tick runs; /metrics is
 * read each second. Bars: all 5,000 aircraft live, every line decoded,
 * no report dropped and no tick overrun after a warm-up. */
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_serve.h"

#define N_AIRCRAFT 5000
#define SECONDS 20
#define WARMUP_S 3
#define SLICES 10 /* sends per second */

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* GET path over HTTP/1.0 into buf (NUL-terminated body and headers). */
static int http_get(int port, const char *key, const char *path, char *buf, size_t cap)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa)) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    char req[512];
    int n =
        snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nAuthorization: Bearer %s\r\n\r\n", path, key);
    if (write(fd, req, (size_t)n) != n) {
        close(fd);
        return -1;
    }
    size_t len = 0;
    ssize_t r;
    while (len + 1 < cap && (r = read(fd, buf + len, cap - 1 - len)) > 0)
        len += (size_t)r;
    buf[len] = 0;
    close(fd);
    return 0;
}

/* The value of the sample line starting with name (labels included). */
static double sample(const char *text, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = strstr(text, name); p; p = strstr(p + 1, name))
        if ((p == text || p[-1] == '\n') && p[n] == ' ')
            return strtod(p + n + 1, NULL);
    return NAN;
}

typedef struct aircraft {
    double lat, lon, alt_ft, gs_kt, trk_deg;
} aircraft;

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    char dir[] = "/tmp/dc-bench-feed-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    /* The SBS source: listen first, so the feed finds it. */
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof sa;
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof sa) || listen(lfd, 1) ||
        getsockname(lfd, (struct sockaddr *)&sa, &sl))
        return 1;
    char cfg[256], key[128];
    snprintf(cfg, sizeof cfg,
             "{\"tick_s\": 1, \"feeds\": [{\"name\": \"bench\", \"type\": \"sbs\", "
             "\"connect\": \"127.0.0.1:%u\"}]}",
             (unsigned)ntohs(sa.sin_port));
    int port = 0;
    pid_t pid = bench_serve(dir, cfg, key, sizeof key, &port);
    int fd = accept(lfd, NULL, NULL);
    if (fd < 0)
        return 1;
    aircraft *ac = calloc(N_AIRCRAFT, sizeof *ac);
    srand(16);
    for (int i = 0; i < N_AIRCRAFT; i++) {
        ac[i].lat = 30 + 30.0 * rand() / RAND_MAX;
        ac[i].lon = -10 + 50.0 * rand() / RAND_MAX;
        ac[i].alt_ft = 3000 + 40000.0 * rand() / RAND_MAX;
        ac[i].gs_kt = 120 + 370.0 * rand() / RAND_MAX;
        ac[i].trk_deg = 360.0 * rand() / RAND_MAX;
    }
    fprintf(stderr, "bench_feed_ingest: server on port %d, %d aircraft at 1 Hz for %d s\n", port,
            N_AIRCRAFT, SECONDS);
    size_t cap = (size_t)N_AIRCRAFT * 200, lines = 0;
    char *out = malloc(cap), *page = malloc(1 << 20);
    double t0 = mono(), over0 = NAN, over1 = NAN, tick_max = 0, live_min = INFINITY;
    for (int sec = 0; sec < SECONDS; sec++) {
        for (int k = 0; k < SLICES; k++) {
            size_t len = 0;
            for (int i = k; i < N_AIRCRAFT; i += SLICES) {
                aircraft *a = &ac[i];
                double d_deg = a->gs_kt * 1852.0 / 3600.0 / 111195.0; /* one second */
                a->lat += d_deg * cos(a->trk_deg * M_PI / 180);
                a->lon += d_deg * sin(a->trk_deg * M_PI / 180) / cos(a->lat * M_PI / 180);
                len += (size_t)snprintf(out + len, cap - len,
                                        "MSG,4,1,1,%06X,1,,,,,,,%.0f,%.1f,,,0,,,,,0\r\n"
                                        "MSG,3,1,1,%06X,1,,,,,,%.0f,,,%.5f,%.5f,,,0,0,0,0\r\n",
                                        0x100000 + i, a->gs_kt, a->trk_deg, 0x100000 + i, a->alt_ft,
                                        a->lat, a->lon);
                lines += 2;
            }
            if (write(fd, out, len) != (ssize_t)len) {
                fprintf(stderr, "bench_feed_ingest: the feed connection broke\n");
                return 1;
            }
            double next = t0 + sec + (k + 1.0) / SLICES, now = mono();
            if (next > now)
                usleep((useconds_t)((next - now) * 1e6));
        }
        if (sec < WARMUP_S || http_get(port, key, "/metrics", page, 1 << 20))
            continue;
        double ov = sample(page, "deconflict_tactical_tick_overruns_total");
        if (isnan(over0))
            over0 = ov;
        over1 = ov;
        tick_max = fmax(tick_max, sample(page, "deconflict_tactical_tick_last_seconds"));
        live_min = fmin(live_min, sample(page, "deconflict_live_tracks"));
    }
    usleep(1500000); /* the last second's reports reach a tick */
    http_get(port, key, "/metrics", page, 1 << 20);
    double msgs = sample(page, "deconflict_feed_messages_total{feed=\"bench\",type=\"sbs\"}");
    double errs = sample(page, "deconflict_feed_decode_errors_total{feed=\"bench\",type=\"sbs\"}");
    double drop = sample(page, "deconflict_feed_dropped_total{feed=\"bench\",type=\"sbs\"}");
    double reps = sample(page, "deconflict_feed_reports_total{feed=\"bench\",type=\"sbs\"}");
    double live = sample(page, "deconflict_live_tracks");
    double overruns = over1 - over0;
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
    close(fd);
    close(lfd);
    free(ac);
    free(out);
    free(page);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd)) {
    }
    printf("feed ingest: %d aircraft at 1 Hz over SBS/TCP for %d s: %.0f lines decoded (%zu "
           "sent), %.0f track reports, %.0f decode errors, %.0f dropped\n",
           N_AIRCRAFT, SECONDS, msgs, lines, reps, errs, drop);
    printf("feed ingest: live tracks %.0f at the end (fewest after warm-up %.0f), longest tick "
           "%.1f ms, %.0f tick overruns after a %d s warm-up; bar: %d live, no overrun, nothing "
           "dropped\n",
           live, live_min, tick_max * 1e3, overruns, WARMUP_S, N_AIRCRAFT);
    int ok = live == N_AIRCRAFT && live_min >= N_AIRCRAFT && overruns == 0 && drop == 0 &&
             errs == 0 && msgs == (double)lines;
    if (!ok)
        printf("feed ingest: FAIL\n");
    return ok ? 0 : 1;
}
