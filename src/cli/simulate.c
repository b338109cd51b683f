/* `deconflict simulate`: puts the scenario onto a server (operators,
 * restrictions, plans; play.h) and then streams every aircraft's position
 * report each second, in real time or faster, until SIGINT/SIGTERM. The
 * scenario's day is placed so that --at (scenario time) is now: with the
 * default 06:55 the converging pair and the drifting aircraft show up
 * within minutes of `make run`. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "cli/play.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void help(FILE *f)
{
    fprintf(f, "usage: deconflict simulate --url URL [--key-file FILE] [--scenario FILE]\n"
               "                           [--scale N] [--speed X] [--at HH:MM] [--keys-out FILE]\n"
               "                           [--follow-advisories]\n\n"
               "The authority's key comes from the first line of --key-file, or else the\n"
               "DECONFLICT_KEY environment variable (never the command line, which `ps` shows).\n"
               "Creates the scenario's operators, restrictions and plans on the server at URL\n"
               "(a fresh store), then posts each operator's position reports every second\n"
               "until interrupted. Plans already over are not submitted; operations are\n"
               "activated on the wall clock once their approved window opens.\n"
               "--at: the scenario time that is now (default 06:55);\n"
               "--speed: scenario seconds per real second (default 1); --scale N adds N\n"
               "generated operators with 3 aircraft each; --keys-out writes each operator's\n"
               "name and API key, one per line (mode 600).\n"
               "--follow-advisories: each operator reads its alerts (GET /v1/alerts, its own\n"
               "key) and its aircraft fly their advisories: standard-rate turns (3 deg/s),\n"
               "climbs and descents at 12.5 m/s, held for the advisory's hold_s and until\n"
               "clear, then back to the plan (docs/alerts.md).\n");
}

int dc_cli_simulate(int argc, char **argv)
{
    const char *url = NULL, *key = NULL, *key_file = NULL,
               *scen_path = "examples/scenario/iraq.json", *keys_out = NULL;
    char keybuf[256];
    double speed = 1;
    unsigned long scale = 0;
    int at_s = 6 * 3600 + 55 * 60, follow = 0;
    for (int i = 1; i < argc; i++) {
        char *end = NULL;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            help(stdout);
            return 0;
        } else if (i + 1 < argc && !strcmp(argv[i], "--url")) {
            url = argv[++i];
        } else if (!strcmp(argv[i], "--follow-advisories")) {
            follow = 1;
        } else if (i + 1 < argc && !strcmp(argv[i], "--key-file")) {
            key_file = argv[++i];
        } else if (i + 1 < argc && !strcmp(argv[i], "--scenario")) {
            scen_path = argv[++i];
        } else if (i + 1 < argc && !strcmp(argv[i], "--keys-out")) {
            keys_out = argv[++i];
        } else if (i + 1 < argc && !strcmp(argv[i], "--speed")) {
            speed = strtod(argv[++i], &end);
            if (*end || !(speed > 0 && speed <= 3600))
                return dc__cli_bad_arg("simulate",
                                       "--url --key-file --scenario --keys-out --speed --scale "
                                       "--at --follow-advisories",
                                       argc, argv, i - 1);
        } else if (i + 1 < argc && !strcmp(argv[i], "--scale")) {
            scale = strtoul(argv[++i], &end, 10);
            if (*end || scale > 100000)
                return dc__cli_bad_arg("simulate",
                                       "--url --key-file --scenario --keys-out --speed --scale "
                                       "--at --follow-advisories",
                                       argc, argv, i - 1);
        } else if (i + 1 < argc && !strcmp(argv[i], "--at")) {
            if (dc__parse_hhmm(argv[++i], &at_s))
                return dc__cli_bad_arg("simulate",
                                       "--url --key-file --scenario --keys-out --speed --scale "
                                       "--at --follow-advisories",
                                       argc, argv, i - 1);
        } else {
            return dc__cli_bad_arg(
                "simulate",
                "--url --key-file --scenario --keys-out --speed --scale --at --follow-advisories",
                argc, argv, i);
        }
    }
    key = dc__cli_key(key_file, keybuf, sizeof keybuf);
    if (!url || !key)
        goto usage;

    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);
    double t_start = floor(dc__now());
    int64_t day0 = (int64_t)t_start - at_s;
    dc_scenario *sc = NULL;
    dc_error err = {{0}, {0}};
    dc__play p;
    memset(&p, 0, sizeof p);
    int rc = 1;
    char msg[300];
    if (dc_scenario_load(scen_path, day0, (uint32_t)scale, 1, &sc, &err) != DC_OK) {
        fprintf(stderr, "deconflict simulate: %s: %s: %s\n", scen_path, err.field, err.reason);
        return 1;
    }
    p.sc = sc;
    {
        char t0[32], d0[32];
        time_t tt = (time_t)t_start, dd = (time_t)day0;
        struct tm tm;
        strftime(t0, sizeof t0, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&tt, &tm));
        strftime(d0, sizeof d0, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&dd, &tm));
        printf("scenario clock: %02d:%02d of the scenario day is %s UTC (scenario 00:00 is %s)\n",
               at_s / 3600, at_s / 60 % 60, t0, d0);
        fflush(stdout);
    }
    if (!(p.http = dc__client_new(url)) || dc__play_parties(&p, key, msg, sizeof msg)) {
        fprintf(stderr, "deconflict simulate: %s\n", p.http ? msg : "out of memory");
        goto out;
    }
    int failed = dc__play_plans(&p);
    if (follow && dc__play_follow_start(&p)) {
        fprintf(stderr, "deconflict simulate: out of memory\n");
        goto out;
    }
    if (keys_out) {
        mode_t old = umask(077);
        FILE *f = fopen(keys_out, "w");
        umask(old);
        for (size_t i = 1; f && i < p.n_parties; i++)
            fprintf(f, "%s %s\n", p.parties[i].name, p.parties[i].key);
        if (f)
            fclose(f);
    }
    fprintf(stderr,
            "deconflict simulate: %zu operators, %zu plans approved (%d unexpected answers, "
            "%zu already over and not submitted); %zu aircraft from scenario time %02d:%02d at "
            "%gx\n",
            p.n_parties - 1, json_object_size(p.op_ids), failed, p.n_past,
            dc_scenario_aircraft_count(sc), at_s / 3600, at_s / 60 % 60, speed);
    double last_activate = 0, last_note = 0;
    long total = 0;
    while (!stop) {
        double now = dc__now();
        double scen = t_start + (now - t_start) * speed;
        /* Activation on the server's clock (wall time), within a few
         * seconds of each approved window opening; never before. */
        if (now - last_activate >= 5) {
            dc__play_activate(&p, now);
            last_activate = now;
        }
        if (follow && dc__play_follow(&p, scen, speed, msg, sizeof msg) < 0 &&
            now - last_note > 30) {
            fprintf(stderr, "deconflict simulate: %s\n", msg);
            last_note = now;
        }
        long n = dc__play_tracks(&p, scen, now, msg, sizeof msg);
        if (n < 0 && now - last_note > 30) {
            fprintf(stderr, "deconflict simulate: %s\n", msg);
            last_note = now;
        }
        total += n > 0 ? n : 0;
        double next = floor(now) + 1;
        while (!stop && dc__now() < next)
            usleep(20000);
    }
    fprintf(stderr, "deconflict simulate: stopped after %ld reports", total);
    if (follow)
        fprintf(stderr, ", %lu advisories followed", p.advisories_followed);
    fprintf(stderr, "\n");
    rc = 0;
out:
    dc__play_free(&p);
    dc__client_free(p.http);
    dc_scenario_free(sc);
    return rc;
usage:
    help(stderr);
    return 2;
}
