/* Multi-instance benchmark (issue 6): durable approvals per second and
 * submission latency (p50/p99) with 1, 2 and 4 `deconflict serve` instances
 * on one PostgreSQL 15 (started here by tests/support/pgcluster.sh, fsync
 * and synchronous_commit on: the durability promise), for a uniform
 * workload (small volumes spread over Iraq and a week) and a single hot
 * cell (every submission within one 10 km cell), beside the same client
 * against one server on SQLite. Closed loop: CLIENTS threads, each with a
 * keep-alive connection to one instance (round robin), four operators. */
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CLIENTS 64
#define MAX_INST 4
#define MEASURE_S 4.0
#define MAX_SAMPLES 400000

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

typedef struct inst {
    pid_t pid;
    int port;
} inst;

static int connect_port(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa)) {
        close(fd);
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

/* One request on a keep-alive connection; returns the status (0 on error),
 * the body in out (NUL-terminated, truncated to cap). */
static int http(int fd, const char *method, const char *path, const char *key, const char *body,
                char *out, size_t cap)
{
    char req[8192];
    int n = snprintf(req, sizeof req,
                     "%s %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                     "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                     method, path, key, body ? strlen(body) : 0, body ? body : "");
    if (n <= 0 || (size_t)n >= sizeof req || write(fd, req, (size_t)n) != n)
        return 0;
    static __thread char buf[1 << 16];
    size_t len = 0;
    long need = -1;
    char *hdr_end = NULL;
    for (;;) {
        ssize_t r = read(fd, buf + len, sizeof buf - 1 - len);
        if (r <= 0)
            return 0;
        len += (size_t)r;
        buf[len] = 0;
        if (!hdr_end && (hdr_end = strstr(buf, "\r\n\r\n"))) {
            char *cl = strstr(buf, "Content-Length:");
            need = (long)(hdr_end + 4 - buf) + (cl && cl < hdr_end ? strtol(cl + 15, NULL, 10) : 0);
        }
        if (hdr_end && (long)len >= need)
            break;
        if (len >= sizeof buf - 1)
            return 0;
    }
    int status = (int)strtol(buf + 9, NULL, 10);
    if (out) {
        snprintf(out, cap, "%s", hdr_end + 4);
    }
    return status;
}

/* Starts `deconflict serve` on store; fills port. */
static int serve(const char *bin, const char *store, const char *config, inst *in)
{
    int p[2];
    if (pipe(p))
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(p[1], 1);
        close(p[0]);
        freopen("/dev/null", "w", stderr);
        execl(bin, bin, "serve", "--store", store, "--listen", "127.0.0.1:0", "--config", config,
              (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    char line[128] = {0};
    size_t len = 0;
    while (len < sizeof line - 1 && read(p[0], line + len, 1) == 1 && line[len] != '\n')
        len++;
    close(p[0]);
    char *colon = strrchr(line, ':');
    if (strncmp(line, "http://", 7) || !colon) {
        fprintf(stderr, "bench_pg: server did not start: %s\n", line);
        return -1;
    }
    in->pid = pid;
    in->port = (int)strtol(colon + 1, NULL, 10);
    return 0;
}

static void stop(inst *in)
{
    kill(in->pid, SIGTERM);
    waitpid(in->pid, NULL, 0);
}

/* Runs a shell command, returns its first output line in out. */
static int sh(const char *cmd, char *out, size_t cap)
{
    FILE *f = popen(cmd, "r");
    if (!f)
        return -1;
    char tmp[512];
    if (out && cap)
        out[0] = 0;
    if (fgets(tmp, sizeof tmp, f) && out) {
        tmp[strcspn(tmp, "\r\n")] = 0;
        snprintf(out, cap, "%s", tmp);
    }
    while (fgets(tmp, sizeof tmp, f))
        ;
    return pclose(f);
}

/* ---- the load ---- */

typedef struct run {
    inst *in;
    int n_inst;
    char keys[4][128];
    int hot;
    double t_end;
    _Atomic long approved, rejected, failed;
    double *lat; /* per submission, seconds */
    _Atomic long n_lat;
} run;

typedef struct worker {
    run *r;
    int id;
} worker;

static unsigned long xs(unsigned long *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static double unif(unsigned long *s, double a, double b)
{
    return a + (b - a) * (double)(xs(s) % 1000000) / 1e6;
}

static void volume(run *r, unsigned long *seed, char *body, size_t cap)
{
    double lat, lon, radius;
    long t0, dur;
    int alt;
    if (r->hot) { /* one 10 km cell around Jalawla */
        lat = 34.27 + unif(seed, -0.04, 0.04);
        lon = 45.17 + unif(seed, -0.04, 0.04);
        radius = unif(seed, 100, 300);
        t0 = 1893456000L + (long)(xs(seed) % (30 * 144)) * 600;
        dur = 600;
        alt = (int)(xs(seed) % 50) * 300;
    } else {
        lat = unif(seed, 30.0, 37.0);
        lon = unif(seed, 39.0, 48.0);
        radius = unif(seed, 200, 1000);
        t0 = 1893456000L + (long)(xs(seed) % (7 * 24)) * 3600;
        dur = 3600;
        alt = (int)(xs(seed) % 20) * 300;
    }
    char ts[32], te[32];
    time_t a = (time_t)t0, b = (time_t)(t0 + dur);
    struct tm ta, tb;
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&a, &ta));
    strftime(te, sizeof te, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&b, &tb));
    snprintf(body, cap,
             "{\"volumes\":[{\"footprint\":{\"type\":\"Point\",\"coordinates\":[%.6f,%.6f],"
             "\"radius_m\":%.1f},\"altitude_lower_m\":%d,\"altitude_upper_m\":%d,"
             "\"time_start\":\"%s\",\"time_end\":\"%s\"}]}",
             lon, lat, radius, alt, alt + 250, ts, te);
}

static void *work(void *arg)
{
    worker *w = arg;
    run *r = w->r;
    unsigned long seed = 0x9e3779b97f4a7c15UL ^ (unsigned long)(w->id + 1) * 7919;
    int port = r->in[w->id % r->n_inst].port;
    const char *key = r->keys[w->id % 4];
    int fd = connect_port(port);
    char body[1024];
    while (fd >= 0 && now() < r->t_end) {
        volume(r, &seed, body, sizeof body);
        double t0 = now();
        int st = http(fd, "POST", "/v1/operations", key, body, NULL, 0);
        double dt = now() - t0;
        if (st == 201)
            atomic_fetch_add(&r->approved, 1);
        else if (st == 409)
            atomic_fetch_add(&r->rejected, 1);
        else if (atomic_fetch_add(&r->failed, 1) == 0)
            fprintf(stderr, "bench_pg: first failed submission answered %d\n", st);
        long i = atomic_fetch_add(&r->n_lat, 1);
        if (i < MAX_SAMPLES)
            r->lat[i] = dt;
        if (!st) {
            close(fd);
            fd = connect_port(port);
        }
    }
    if (fd >= 0)
        close(fd);
    return NULL;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Creates four operators through instance 0 with the authority key. */
static int operators(run *r, const char *auth, const char *tag)
{
    int fd = connect_port(r->in[0].port);
    char body[128], out[512];
    for (int i = 0; i < 4; i++) {
        snprintf(body, sizeof body, "{\"name\":\"%s_op%d\"}", tag, i);
        if (http(fd, "POST", "/v1/operators", auth, body, out, sizeof out) != 201) {
            close(fd);
            return -1;
        }
        char *k = strstr(out, "\"api_key\":\"");
        if (!k)
            return -1;
        snprintf(r->keys[i], sizeof r->keys[i], "%.*s", (int)strcspn(k + 11, "\""), k + 11);
    }
    close(fd);
    return 0;
}

/* One measurement: n_inst servers on store (initialised here), workload. */
static int measure(const char *bin, const char *store, const char *config, int n_inst, int hot,
                   const char *label)
{
    char cmd[1024], auth[128];
    inst in[MAX_INST];
    run r;
    memset(&r, 0, sizeof r);
    snprintf(cmd, sizeof cmd, "%s init --store '%s' --authority bench 2>&1", bin, store);
    if (sh(cmd, auth, sizeof auth) != 0) {
        fprintf(stderr, "bench_pg: init failed: %s\n", auth);
        return -1;
    }
    for (int i = 0; i < n_inst; i++)
        if (serve(bin, store, config, &in[i]))
            return -1;
    r.in = in;
    r.n_inst = n_inst;
    r.hot = hot;
    r.lat = malloc(MAX_SAMPLES * sizeof *r.lat);
    if (!r.lat || operators(&r, auth, hot ? "hot" : "uni"))
        return -1;
    pthread_t th[CLIENTS];
    worker w[CLIENTS];
    double t0 = now();
    r.t_end = t0 + MEASURE_S;
    for (int i = 0; i < CLIENTS; i++) {
        w[i] = (worker){&r, i};
        pthread_create(&th[i], NULL, work, &w[i]);
    }
    for (int i = 0; i < CLIENTS; i++)
        pthread_join(th[i], NULL);
    double dt = now() - t0;
    long n = atomic_load(&r.n_lat) < MAX_SAMPLES ? atomic_load(&r.n_lat) : MAX_SAMPLES;
    qsort(r.lat, (size_t)n, sizeof *r.lat, cmp);
    double p50 = n ? r.lat[n / 2] : 0, p99 = n ? r.lat[(long)(n * 0.99)] : 0;
    printf("%-34s %9.0f %10.0f %8.1f %8.1f %8ld\n", label, atomic_load(&r.approved) / dt,
           (atomic_load(&r.approved) + atomic_load(&r.rejected)) / dt, p50 * 1e3, p99 * 1e3,
           atomic_load(&r.failed));
    fflush(stdout);
    for (int i = 0; i < n_inst; i++)
        stop(&in[i]);
    free(r.lat);
    return 0;
}

int main(void)
{
    const char *bin = "build/deconflict";
    char dir[] = "/tmp/dc-benchpg-XXXXXX", cmd[1024], store[512], config[600], port[32];
    if (!mkdtemp(dir) || chmod(dir, 0755)) /* the cluster runs as postgres */
        return 1;
    snprintf(config, sizeof config, "%s/config.json", dir);
    FILE *f = fopen(config, "w");
    if (!f)
        return 1;
    fprintf(f, "{\"probe_limit\": 0, \"threads\": 4}\n");
    fclose(f);
    int rc = 0;
    printf("multi-instance approvals (%d closed-loop clients, %.0f s each; durable commits)\n",
           CLIENTS, MEASURE_S);
    printf("%-34s %9s %10s %8s %8s %8s\n", "store / instances / workload", "approved/s",
           "decided/s", "p50 ms", "p99 ms", "errors");
    for (int hot = 0; hot <= 1 && !rc; hot++) {
        snprintf(store, sizeof store, "%s/sqlite-%d.db", dir, hot);
        char label[64];
        snprintf(label, sizeof label, "sqlite   1 instance   %s", hot ? "hot cell" : "uniform");
        rc = measure(bin, store, config, 1, hot, label);
    }
    snprintf(cmd, sizeof cmd, "tests/support/pgcluster.sh start %s/pg >/dev/null && cat %s/pg/port",
             dir, dir);
    if (rc || sh(cmd, port, sizeof port) != 0) {
        fprintf(stderr, "bench_pg: cannot start PostgreSQL\n");
        return 1;
    }
    const int counts[3] = {1, 2, 4};
    for (int hot = 0; hot <= 1 && !rc; hot++) {
        for (int k = 0; k < 3 && !rc; k++) {
            char db[32], label[64];
            snprintf(db, sizeof db, "b%d_%d", hot, counts[k]);
            snprintf(
                cmd, sizeof cmd,
                "psql -X -q -h 127.0.0.1 -p %s -U postgres -d postgres -c 'CREATE DATABASE %s'",
                port, db);
            sh(cmd, NULL, 0);
            snprintf(store, sizeof store, "postgresql://postgres@127.0.0.1:%s/%s", port, db);
            snprintf(label, sizeof label, "postgres %d instance%s %s", counts[k],
                     counts[k] > 1 ? "s" : " ", hot ? "hot cell" : "uniform");
            rc = measure(bin, store, config, counts[k], hot, label);
        }
    }
    snprintf(cmd, sizeof cmd, "tests/support/pgcluster.sh stop %s/pg; rm -rf %s", dir, dir);
    sh(cmd, NULL, 0);
    printf("bars: >= 1000 approved/s with 2 instances (uniform), >= 200/s in one 10 km cell\n");
    return rc ? 1 : 0;
}
