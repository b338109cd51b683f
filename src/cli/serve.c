/* `deconflict serve`: runs the HTTP/JSON service on a store until SIGTERM or
 * SIGINT, then stops cleanly (in-flight decisions are committed and
 * answered). Prints the base URL on stdout once listening. */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "deconflict/server.h"

static void help(FILE *f)
{
    fprintf(f, "usage: deconflict serve --store FILE --listen HOST:PORT [--config FILE]\n"
               "                        [--web-dir DIR] [--tls-cert PEM --tls-key PEM] [--quiet]\n"
               "       deconflict serve --list-routes\n\n"
               "Serves the deconfliction API (docs/openapi.yaml) on a store made by\n"
               "`deconflict init`. PORT 0 picks a free port; the URL is printed on stdout.\n"
               "--config FILE  JSON: h_m, v_m, t_s, disclosure (\"blind\"|\"exact\"),\n"
               "               grid_cells_per_deg, alt_step_m, time_step_s, max_body_bytes,\n"
               "               max_volumes, threads, probe_limit, suggest_max_shift_s,\n"
               "               suggest_alt_steps; tactical: tick_s, lookahead_s, ht_m, vt_m,\n"
               "               stale_s, conf_h_tol_m, conf_v_tol_m, conf_t_tol_s, conf_dwell_s,\n"
               "               max_track_reports, track_buffer_reports, alert_ring,\n"
               "               sse_heartbeat_s (docs/openapi.yaml, /v1/tracks); limits:\n"
               "               rate_submit_per_min, rate_submit_burst, rate_notices_per_min,\n"
               "               rate_notices_burst, probe_alert_rejections, probe_window_s,\n"
               "               probe_area_deg, max_connections, max_connections_per_ip,\n"
               "               connection_timeout_s, max_inflight, authority_inflight,\n"
               "               max_buffered_body_bytes, overload_decisions (docs/limits.md)\n"
               "--quiet        no log lines on stderr (default: one logfmt line per request,\n"
               "               with req= matching its X-Request-Id header, and one per\n"
               "               decision; never a key or a body)\n"
               "--web-dir DIR  the web display's files, served at / (default: web/ of the\n"
               "               source tree for build/deconflict; PREFIX/share/deconflict/web\n"
               "               for an installed PREFIX/bin/deconflict)\n"
               "--tls-cert PEM --tls-key PEM  serve HTTPS only (GnuTLS); the key is read\n"
               "               into memory, never logged, and wiped on exit\n");
}

/* Reads a PEM file (at most 1 MiB) into a NUL-terminated buffer; NULL and
 * a message on error. The caller wipes and frees it. */
static char *read_pem(const char *what, const char *path)
{
    FILE *f = fopen(path, "rb");
    char *buf = f ? malloc(1u << 20) : NULL;
    size_t n = buf ? fread(buf, 1, (1u << 20) - 1, f) : 0;
    int bad = !buf || ferror(f) || !feof(f) || n == 0;
    if (f)
        fclose(f);
    if (bad) {
        fprintf(stderr, "deconflict serve: %s %s: cannot read it (or it is empty or over 1 MiB)\n",
                what, path);
        free(buf);
        return NULL;
    }
    buf[n] = 0;
    return buf;
}

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* The web directory of an installed binary, PREFIX/bin/deconflict: first
 * PREFIX/share/deconflict/web found from the binary itself (so a tree
 * installed under DESTDIR or moved elsewhere works), then the DATADIR
 * compiled in. NULL for a binary outside a bin/ directory (build/deconflict
 * in the source tree), which keeps the server's default: web/ beside it. */
static const char *installed_web_dir(char *buf, size_t len)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return NULL;
    exe[n] = 0;
    char *slash = strrchr(exe, '/');
    if (!slash)
        return NULL;
    *slash = 0;
    const char *dir_name = strrchr(exe, '/');
    if (strcmp(dir_name ? dir_name + 1 : exe, "bin"))
        return NULL;
    if (snprintf(buf, len, "%s/../share/deconflict/web", exe) < (int)len && is_dir(buf))
        return buf;
    if (snprintf(buf, len, "%s/web", dc_cli_datadir()) < (int)len && is_dir(buf))
        return buf;
    return NULL;
}

static void wipe_free(char *p)
{
    if (p) {
        volatile char *v = p;
        while (*v)
            *v++ = 0;
        free(p);
    }
}

int dc_cli_serve(int argc, char **argv)
{
    const char *store = NULL, *listen = "127.0.0.1:8080", *config = NULL, *web_dir = NULL;
    const char *tls_cert = NULL, *tls_key = NULL;
    int quiet = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            help(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--list-routes")) {
            for (size_t k = 0; k < dc_server_route_count(); k++) {
                const char *m, *p;
                dc_server_route(k, &m, &p);
                printf("%s %s\n", m, p);
            }
            return 0;
        } else if (!strcmp(argv[i], "--quiet")) {
            quiet = 1;
        } else if (i + 1 < argc && !strcmp(argv[i], "--store")) {
            store = argv[++i];
        } else if (i + 1 < argc && !strcmp(argv[i], "--listen")) {
            listen = argv[++i];
        } else if (i + 1 < argc && !strcmp(argv[i], "--config")) {
            config = argv[++i];
        } else if (i + 1 < argc && !strcmp(argv[i], "--web-dir")) {
            web_dir = argv[++i];
        } else if (i + 1 < argc && !strcmp(argv[i], "--tls-cert")) {
            tls_cert = argv[++i];
        } else if (i + 1 < argc && !strcmp(argv[i], "--tls-key")) {
            tls_key = argv[++i];
        } else {
            fprintf(stderr, "deconflict serve: unexpected argument '%s'\n", argv[i]);
            help(stderr);
            return 2;
        }
    }
    if (!store || !tls_cert != !tls_key) {
        if (store)
            fprintf(stderr, "deconflict serve: give both --tls-cert and --tls-key\n");
        help(stderr);
        return 2;
    }
    dc_server_config cfg;
    dc_error err = {{0}, {0}};
    dc_server_config_default(&cfg);
    if (config && dc_server_config_load(config, &cfg, &err) != DC_OK) {
        if (!strcmp(err.field, "config")) /* the file itself */
            fprintf(stderr, "deconflict serve: --config: %s\n", err.reason);
        else
            fprintf(stderr, "deconflict serve: --config %s: key \"%s\": %s\n", config, err.field,
                    err.reason);
        return 2;
    }
    char installed_web[PATH_MAX];
    if (web_dir)
        cfg.web_dir = web_dir;
    else if (!cfg.web_dir)
        cfg.web_dir = installed_web_dir(installed_web, sizeof installed_web);
    char *cert_pem = NULL, *key_pem = NULL;
    if (tls_cert && (!(cert_pem = read_pem("--tls-cert", tls_cert)) ||
                     !(key_pem = read_pem("--tls-key", tls_key)))) {
        wipe_free(cert_pem);
        return 2;
    }
    cfg.tls_cert_pem = cert_pem;
    cfg.tls_key_pem = key_pem;
    /* Block the stop signals in every thread; this one waits for them. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    dc_server *s;
    dc_status rc = dc_server_start(store, listen, &cfg, &s, &err);
    if (rc != DC_OK) {
        fprintf(stderr, "deconflict serve: %s: %s\n", err.field[0] ? err.field : "error",
                err.reason[0] ? err.reason : dc_status_str(rc));
        wipe_free(cert_pem);
        wipe_free(key_pem);
        return 1;
    }
    char host[64];
    const char *colon = strrchr(listen, ':');
    snprintf(host, sizeof host, "%.*s", (int)(colon - listen), listen);
    const char *scheme = key_pem ? "https" : "http";
    printf("%s://%s:%u\n", scheme, host, (unsigned)dc_server_port(s));
    fflush(stdout);
    fprintf(stderr, "deconflict: serving on %s://%s:%u (%s disclosure, H=%g m V=%g m T=%lld s)\n",
            scheme, host, (unsigned)dc_server_port(s),
            cfg.disclosure == DC_DISCLOSURE_BLIND ? "blind" : "exact", cfg.params.h_m,
            cfg.params.v_m, (long long)cfg.params.t_s);
    dc_server_log_enable(!quiet);
    int sig;
    sigwait(&set, &sig);
    fprintf(stderr, "deconflict: stopping (signal %d)\n", sig);
    dc_server_stop(s);
    wipe_free(cert_pem);
    wipe_free(key_pem);
    return 0;
}
