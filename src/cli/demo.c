/* `deconflict demo`: the story of docs/design.md section 9 end to end
 * against a real server (a child `serve` on a temporary store, or --url),
 * told party by party from what each party's own key was answered: the
 * authority's set-up, the operators' approvals, the blind rejection with
 * its suggestion and the accepted retry, the notices, the day's tracks at
 * accelerated time (report times are real, so staleness rules hold), the
 * alerts and the nonconformance, and `audit verify`. Every response an
 * operator receives is scanned for the other parties' names, ids and
 * callsigns. Exit 0 only when every expected event happened. */
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/play.h"
#include "cli/proc.h"
#include "cli/units.h"
#include "deconflict/geo.h"

#define MAX_LINES 24
#define MAX_FORBID 256

typedef struct plog {
    char *lines[MAX_LINES];
    int n;
    char approved[600]; /* refs approved at first try */
    int n_approved;
    char *forbid[MAX_FORBID]; /* strings this party must never be sent */
    int n_forbid;
    char leak[200]; /* first leak found */
    long alert_cursor;
    int n_alerts;
    int saw_conflict_alert, saw_nonconf, saw_conf_again, saw_state_nonconf;
} plog;

typedef struct demo {
    dc__play p;
    plog *logs; /* one per party */
    int rejected_then_retried, reject_blind, reject_suggestion, retry_ok, unexpected;
    char scen_tracks[2][16]; /* the converging pair, by callsign */
    double t_play, speed;    /* real time at which play starts, scenario s per real s */
    int64_t day0;
    const char *drifter_ref;
    int verbose;
} demo;

static void say(plog *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(plog *l, const char *fmt, ...)
{
    char buf[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (l->n < MAX_LINES)
        l->lines[l->n++] = strdup(buf);
}

static void forbid(plog *l, const char *s)
{
    if (s && s[0] && l->n_forbid < MAX_FORBID)
        l->forbid[l->n_forbid++] = strdup(s);
}

static plog *log_of(demo *d, const dc__party *q)
{
    return &d->logs[q - d->p.parties];
}

/* Every answer an operator receives: must not name anyone else. */
static void observe(void *ctx, const char *key, const char *path, long status, const char *body)
{
    demo *d = ctx;
    (void)status;
    for (size_t i = 1; key && i < d->p.n_parties; i++) {
        if (strcmp(d->p.parties[i].key, key))
            continue;
        plog *l = &d->logs[i];
        for (int k = 0; k < l->n_forbid && !l->leak[0]; k++)
            if (strstr(body, l->forbid[k]))
                snprintf(l->leak, sizeof l->leak, "%s in the answer to %s", l->forbid[k], path);
    }
}

static void on_submit(void *ctx, const dc__submit_event *ev)
{
    demo *d = ctx;
    plog *l = log_of(d, ev->by);
    const char *ref = json_string_value(json_object_get(ev->plan, "ref"));
    const char *expect = json_string_value(json_object_get(ev->plan, "expect"));
    const char *id = json_string_value(json_object_get(ev->resp, "id"));
    if (ev->by->is_authority) {
        const json_t *v = json_array_get(json_object_get(ev->plan, "volumes"), 0);
        const json_t *fp = json_object_get(v, "footprint");
        char r[48] = "", band[64];
        if (json_object_get(fp, "radius_m"))
            dc__fmt_dist(json_number_value(json_object_get(fp, "radius_m")), r, sizeof r);
        dc__fmt_band(json_number_value(json_object_get(v, "altitude_lower_m")),
                     json_number_value(json_object_get(v, "altitude_upper_m")), band, sizeof band);
        say(l, "restricted %s (%s%s%s%s, exempt: itself): %ld",
            json_string_value(json_object_get(ev->plan, "name")), r[0] ? "circle " : "", r,
            r[0] ? ", " : "", band, ev->status);
        d->unexpected += ev->status != 201;
        return;
    }
    if (ev->status == 201 && id) {
        /* its id must never reach any other operator */
        for (size_t i = 1; i < d->p.n_parties; i++)
            if (&d->p.parties[i] != ev->by)
                forbid(&d->logs[i], id);
    }
    int demo_party = l - d->logs < 3;
    if (ev->retry) {
        const json_t *v = json_array_get(json_object_get(ev->resp, "volumes"), 0);
        char a[16], b[16];
        dc__fmt_hhmm(json_string_value(json_object_get(v, "time_start")), a, sizeof a);
        dc__fmt_hhmm(json_string_value(json_object_get(v, "time_end")), b, sizeof b);
        say(l, "retried %s with the suggestion: %ld %s, %s-%s", ref, ev->status,
            ev->status == 201 ? "approved" : "REJECTED", a, b);
        d->retry_ok = ev->status == 201;
        return;
    }
    if (ev->status == 201) {
        if (expect && !strcmp(expect, "reject_then_retry"))
            d->unexpected++;
        l->n_approved++;
        if (demo_party && strlen(l->approved) + strlen(ref) + 3 < sizeof l->approved)
            snprintf(l->approved + strlen(l->approved), sizeof l->approved - strlen(l->approved),
                     "%s%s", l->approved[0] ? ", " : "", ref);
        return;
    }
    if (ev->status == 409 && expect && !strcmp(expect, "reject_then_retry")) {
        const json_t *conf = json_object_get(ev->resp, "conflicts"),
                     *sugg = json_object_get(ev->resp, "suggestion");
        char n0[160] = "";
        if (json_array_size(conf))
            dc__notice_text(json_array_get(conf, 0), n0, sizeof n0);
        say(l, "submitted %s: 409 conflict, its volume %lld meets %zu blind notice(s): %s", ref,
            (long long)json_integer_value(
                json_object_get(json_array_get(conf, 0), "candidate_volume")),
            json_array_size(conf), n0);
        long shift = (long)json_integer_value(json_object_get(sugg, "time_shift_s"));
        if (json_is_object(sugg))
            say(l, "  suggestion: %s %+ldh%02ldm%s",
                json_string_value(json_object_get(sugg, "kind")), shift / 3600,
                labs(shift) / 60 % 60,
                json_object_get(sugg, "altitude_shift_m") ? " (altitude band)" : "");
        d->rejected_then_retried = 1;
        d->reject_blind = json_array_size(conf) > 0;
        d->reject_suggestion = json_is_object(sugg);
        return;
    }
    if (!expect || strcmp(expect, "any")) {
        say(l, "submitted %s: unexpected HTTP %ld", ref, ev->status);
        d->unexpected++;
    }
}

/* ---- alerts ---- */

/* The scenario clock ("07:04") of a real time, for the printout. */
static void scen_hhmm(const demo *d, const char *rfc, char *out, size_t len)
{
    int64_t t;
    if (!rfc || dc_time_parse(rfc, 0, &t) != DC_OK) {
        snprintf(out, len, "?");
        return;
    }
    double sc = d->t_play + ((double)t - d->t_play) * d->speed - (double)d->day0;
    long m = (long)floor(sc / 60);
    snprintf(out, len, "@%02ld:%02ld", m / 60, m % 60);
}

/* One alert record in a line, as its recipient got it, at the scenario clock. */
static void alert_line(const demo *d, const json_t *a, char *out, size_t len)
{
    char at[16];
    scen_hhmm(d, json_string_value(json_object_get(a, "time")), at, sizeof at);
    dc__alert_text(a, at, out, len);
}

static int has(const char *hay, const char *needle)
{
    return hay && needle && needle[0] && strstr(hay, needle);
}

static void poll_alerts(demo *d)
{
    for (size_t i = 0; i < d->p.n_parties && i < 3; i++) {
        plog *l = &d->logs[i];
        const dc__party *q = &d->p.parties[i];
        char path[96];
        json_t *resp = NULL;
        snprintf(path, sizeof path, "/v1/alerts?since=%ld", l->alert_cursor);
        if (dc__client_call(d->p.http, "GET", path, q->key, NULL, NULL, &resp, NULL) != 200) {
            json_decref(resp);
            continue;
        }
        size_t k;
        json_t *a;
        json_array_foreach(json_object_get(resp, "alerts"), k, a)
        {
            long seq = (long)json_integer_value(json_object_get(a, "seq"));
            if (seq > l->alert_cursor)
                l->alert_cursor = seq;
            char *txt = json_dumps(a, JSON_COMPACT);
            const char *kind = json_string_value(json_object_get(a, "kind"));
            char line[300];
            int conflict = kind && !strcmp(kind, "raised");
            int nonconf = kind && !strcmp(kind, "nonconforming");
            int conf = kind && !strcmp(kind, "conforming");
            int about_pair = has(txt, d->scen_tracks[0]) || has(txt, d->scen_tracks[1]);
            if (conflict && about_pair && !l->saw_conflict_alert) {
                l->saw_conflict_alert =
                    q->is_authority ? has(txt, d->scen_tracks[0]) && has(txt, d->scen_tracks[1])
                                    : 1;
                alert_line(d, a, line, sizeof line);
                say(l, "%s", line);
            } else if (nonconf && !l->saw_nonconf) {
                l->saw_nonconf = 1;
                alert_line(d, a, line, sizeof line);
                say(l, "%s", line);
            } else if (conf && l->saw_nonconf && !l->saw_conf_again) {
                l->saw_conf_again = 1;
                alert_line(d, a, line, sizeof line);
                say(l, "%s", line);
            }
            l->n_alerts++;
            free(txt);
        }
        json_decref(resp);
    }
}

/* The drifting plan's state as its owner reads it. */
static void poll_state(demo *d, const char *ref)
{
    const json_t *plans = dc_scenario_plans(d->p.sc);
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(plans, "operations"), i, r)
    {
        if (strcmp(json_string_value(json_object_get(r, "ref")), ref))
            continue;
        const dc__party *by =
            dc__play_party(&d->p, json_string_value(json_object_get(r, "operator")));
        const char *id = json_string_value(json_object_get(d->p.op_ids, ref));
        if (!by || !id)
            return;
        char path[128];
        json_t *resp = NULL;
        snprintf(path, sizeof path, "/v1/operations/%s", id);
        dc__client_call(d->p.http, "GET", path, by->key, NULL, NULL, &resp, NULL);
        const char *st = json_string_value(json_object_get(resp, "state"));
        plog *l = log_of(d, by);
        if (st && !strcmp(st, "nonconforming") && !l->saw_state_nonconf) {
            l->saw_state_nonconf = 1;
            say(l, "%s (%s) is now nonconforming", ref, id);
        }
        json_decref(resp);
        return;
    }
}

/* ---- main ---- */

static void help(FILE *f)
{
    fprintf(f, "usage: deconflict demo [--scenario FILE] [--url URL [--key-file FILE]]\n"
               "                       [--speed X] [--from HH:MM] [--to HH:MM] [--scale N]\n\n"
               "Plays the reference scenario (examples/scenario/iraq.json) against a real\n"
               "server: a child `deconflict serve` on a temporary SQLite store and a free\n"
               "loopback port, or the server at --url (a fresh store: the operators must not\n"
               "exist yet). The day's tracks from --from to --to (scenario time, default\n"
               "06:50-07:40) play at X times real time (default 30). Prints what each party\n"
               "saw; exits 0 only if every expected event happened. With --url, the\n"
               "authority's key comes from --key-file or DECONFLICT_KEY, never the command\n"
               "line (which `ps` shows).\n");
}

int dc_cli_demo(int argc, char **argv)
{
    const char *scen_path = NULL, *url = NULL, *key = NULL, *key_file = NULL;
    char keyarg[256];
    double speed = 30;
    int from_s = 6 * 3600 + 50 * 60, to_s = 7 * 3600 + 40 * 60;
    unsigned long scale = 0;
    char pathbuf[1200];
    for (int i = 1; i < argc; i++) {
        char *end = NULL;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            help(stdout);
            return 0;
        } else if (i + 1 < argc && !strcmp(argv[i], "--scenario")) {
            scen_path = argv[++i];
        } else if (i + 1 < argc && !strcmp(argv[i], "--url")) {
            url = argv[++i];
        } else if (i + 1 < argc && !strcmp(argv[i], "--key-file")) {
            key_file = argv[++i];
        } else if (i + 1 < argc && !strcmp(argv[i], "--speed")) {
            speed = strtod(argv[++i], &end);
            if (*end || !(speed >= 1 && speed <= 3600))
                return dc__cli_bad_arg(
                    "demo", "--scenario --url --key --key-file --speed --scale --from --to", argc,
                    argv, i - 1);
        } else if (i + 1 < argc && !strcmp(argv[i], "--scale")) {
            scale = strtoul(argv[++i], &end, 10);
            if (*end || scale > 1000)
                return dc__cli_bad_arg(
                    "demo", "--scenario --url --key --key-file --speed --scale --from --to", argc,
                    argv, i - 1);
        } else if (i + 1 < argc && !strcmp(argv[i], "--from")) {
            if (dc__parse_hhmm(argv[++i], &from_s))
                return dc__cli_bad_arg(
                    "demo", "--scenario --url --key --key-file --speed --scale --from --to", argc,
                    argv, i - 1);
        } else if (i + 1 < argc && !strcmp(argv[i], "--to")) {
            if (dc__parse_hhmm(argv[++i], &to_s))
                return dc__cli_bad_arg(
                    "demo", "--scenario --url --key --key-file --speed --scale --from --to", argc,
                    argv, i - 1);
        } else {
            return dc__cli_bad_arg("demo",
                                   "--scenario --url --key --key-file --speed --scale --from --to",
                                   argc, argv, i);
        }
    }
    if (url)
        key = dc__cli_key(key_file, keyarg, sizeof keyarg);
    if (!!url != !!key || to_s <= from_s)
        goto usage;
    if (!scen_path)
        scen_path = dc__default_scenario(pathbuf, sizeof pathbuf);

    signal(SIGPIPE, SIG_IGN);
    /* Line by line as it goes, to a terminal or a file alike. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    int rc = 1;
    char tmp[] = "/tmp/deconflict-demo-XXXXXX", store[128] = "", logp[128] = "", urlbuf[128],
         keybuf[160];
    char exe[1024];
    pid_t server = -1;
    demo d;
    memset(&d, 0, sizeof d);
    dc_scenario *sc = NULL;
    dc_error err = {{0}, {0}};
    ssize_t en = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[en > 0 ? en : 0] = 0;

    if (!url) {
        if (!mkdtemp(tmp)) {
            perror("deconflict demo: mkdtemp");
            return 1;
        }
        snprintf(store, sizeof store, "%s/store.db", tmp);
        snprintf(logp, sizeof logp, "%s/serve.log", tmp);
        char *init_argv[] = {exe, "init", "--store", store, "--authority", "iraq", NULL};
        if (dc__cli_run_capture(exe, init_argv, keybuf, sizeof keybuf) != 0 || !keybuf[0]) {
            fprintf(stderr, "deconflict demo: init failed\n");
            goto out;
        }
        /* The demo plays the scenario --speed times faster than its report
         * times run: its aircraft move that much farther between reports than
         * their clocks say, so the kinematic check's limits scale with it. */
        char confp[600];
        snprintf(confp, sizeof confp, "%s/serve.json", tmp);
        FILE *cf = fopen(confp, "w");
        if (!cf)
            goto out;
        fprintf(cf, "{\"max_speed_mps\": %.0f, \"max_climb_mps\": %.0f}\n", 1000 * speed,
                200 * speed);
        fclose(cf);
        char *serve_argv[] = {exe,           "serve",    "--store", store, "--listen",
                              "127.0.0.1:0", "--config", confp,     NULL};
        server = dc__cli_start(exe, serve_argv, logp, urlbuf, sizeof urlbuf);
        if (server < 0 || strncmp(urlbuf, "http://", 7)) {
            fprintf(stderr, "deconflict demo: the server did not start (see %s)\n", logp);
            goto out;
        }
        url = urlbuf;
        key = keybuf;
    }

    /* Scenario time from_s falls a few seconds from now, when play starts. */
    double t_play = floor(dc__now()) + 5;
    int64_t day0 = (int64_t)t_play - from_s;
    if (dc_scenario_load(scen_path, day0, (uint32_t)scale, 1, &sc, &err) != DC_OK) {
        fprintf(stderr, "deconflict demo: %s: %s: %s\n", scen_path, err.field, err.reason);
        goto out;
    }
    char day[40];
    dc_time_format(day0, day, sizeof day);
    printf("deconflict demo: %s, server %s%s\n", scen_path, url,
           store[0] && !access(store, F_OK) ? " (temporary store)" : "");
    printf("times: HH:MMZ real UTC; @HH:MM the scenario clock (its 00:00 is %s)\n", day);
    d.p.sc = sc;
    d.t_play = t_play;
    d.speed = speed;
    d.day0 = day0;
    d.p.http = dc__client_new(url);
    d.p.on_submit = on_submit;
    d.p.ctx = &d;
    snprintf(d.scen_tracks[0], sizeof d.scen_tracks[0], "IRN12");
    snprintf(d.scen_tracks[1], sizeof d.scen_tracks[1], "VIPER2");
    d.drifter_ref = "iran-diyala";
    char msg[300];
    if (!d.p.http || dc__play_parties(&d.p, key, msg, sizeof msg)) {
        fprintf(stderr, "deconflict demo: %s\n", d.p.http ? msg : "out of memory");
        goto out;
    }
    d.logs = calloc(d.p.n_parties, sizeof *d.logs);
    if (!d.logs)
        goto out;
    /* What each operator must never be sent: the others' names, ids and
     * callsigns (operation ids are added as they are approved). */
    for (size_t i = 1; i < d.p.n_parties; i++)
        for (size_t k = 1; k < d.p.n_parties; k++) {
            if (k == i)
                continue;
            forbid(&d.logs[i], d.p.parties[k].name);
            forbid(&d.logs[i], d.p.parties[k].id);
            for (size_t a = 0; a < dc_scenario_aircraft_count(sc) && d.logs[i].n_forbid < 200;
                 a++) {
                dc_scenario_report r;
                double t0, t1;
                dc_scenario_span(sc, &t0, &t1);
                (void)t1;
                for (double t = t0; t <= t1; t += 600)
                    if (dc_scenario_position(sc, a, t, &r)) {
                        if (!strcmp(r.operator_name, d.p.parties[k].name))
                            forbid(&d.logs[i], r.callsign);
                        break;
                    }
            }
        }
    dc__client_observe(d.p.http, observe, &d);
    for (size_t i = 1; i < d.p.n_parties && i < 3; i++)
        say(&d.logs[i], "-"); /* the approvals' line, filled in below */
    plog *la = &d.logs[0];
    say(la, "created operators %s%s%s%s (one API key each)",
        d.p.n_parties > 1 ? d.p.parties[1].name : "", d.p.n_parties > 2 ? ", " : "",
        d.p.n_parties > 2 ? d.p.parties[2].name : "",
        d.p.n_parties > 3 ? " and the scaled ones" : "");
    (void)dc__play_plans(&d.p); /* on_submit counts what was unexpected */
    printf("-- set-up done: operators, restrictions and plans submitted; tracks next, about "
           "%.0f s\n",
           (to_s - from_s) / speed + 5);

    /* What the authority sees now; what each operator is told. */
    json_t *resp = NULL;
    dc__client_call(d.p.http, "GET", "/v1/operations", d.p.parties[0].key, NULL, NULL, &resp, NULL);
    size_t k;
    json_t *o;
    int per_owner[3] = {0, 0, 0};
    json_array_foreach(json_object_get(resp, "operations"), k, o)
    {
        const char *owner = json_string_value(json_object_get(json_object_get(o, "owner"), "name"));
        for (size_t i = 1; i < 3 && i < d.p.n_parties; i++)
            per_owner[i] += owner && !strcmp(owner, d.p.parties[i].name);
    }
    size_t n_ops = json_array_size(json_object_get(resp, "operations"));
    json_decref(resp);
    int authority_sees_both = d.p.n_parties >= 3 && per_owner[1] > 0 && per_owner[2] > 0;
    say(la, "sees %zu operations with owners: %s %d, %s %d", n_ops,
        d.p.n_parties > 1 ? d.p.parties[1].name : "-", per_owner[1],
        d.p.n_parties > 2 ? d.p.parties[2].name : "-", per_owner[2]);
    int notices_ok = 1;
    for (size_t i = 1; i < d.p.n_parties && i < 3; i++) {
        plog *l = &d.logs[i];
        free(l->lines[0]);
        char line[700];
        snprintf(line, sizeof line, "approved %d: %s", l->n_approved, l->approved);
        l->lines[0] = strdup(line);
        char from[40], to[40], path[200], n0[120] = "";
        dc__time_ms(t_play - 3 * 3600, from, sizeof from);
        dc__time_ms(t_play + 9 * 3600, to, sizeof to);
        from[19] = to[19] = 'Z';
        from[20] = to[20] = 0;
        snprintf(path, sizeof path, "/v1/notices?bbox=38,29,49,38&from=%s&to=%s", from, to);
        dc__client_call(d.p.http, "GET", path, d.p.parties[i].key, NULL, NULL, &resp, NULL);
        json_t *ns = json_object_get(resp, "notices");
        int n_rs = 0;
        json_array_foreach(ns, k, o) n_rs +=
            !strcmp(json_string_value(json_object_get(o, "kind"))
                        ? json_string_value(json_object_get(o, "kind"))
                        : "",
                    "restriction");
        for (size_t j = 0; j < json_array_size(ns) && !n0[0]; j++) {
            const char *kind = json_string_value(json_object_get(json_array_get(ns, j), "kind"));
            if (kind && strcmp(kind, "restriction"))
                dc__notice_text(json_array_get(ns, j), n0, sizeof n0);
        }
        say(l, "notices: %zu (%d restriction), no owner named; e.g. %s", json_array_size(ns), n_rs,
            n0);
        notices_ok &= json_array_size(ns) > 0;
        json_decref(resp);
    }

    /* Tactical: fly the window at accelerated time. */
    while (dc__now() < t_play)
        usleep(50000);
    int activated = dc__play_activate(&d.p, dc__now());
    say(la, "operators activated %d operations; tracks play %02d:%02d-%02d:%02d at %.0fx",
        activated, from_s / 3600, from_s / 60 % 60, to_s / 3600, to_s / 60 % 60, speed);
    long reports = 0;
    int tactical_ok = 1;
    double last_poll = 0, last_progress = dc__now();
    for (;;) {
        double now = dc__now();
        double scen = t_play + (now - t_play) * speed;
        if (scen > (double)day0 + to_s)
            break;
        long n = dc__play_tracks(&d.p, scen, now, msg, sizeof msg);
        if (n < 0) {
            say(la, "tracks: %s", msg);
            tactical_ok = 0;
            break;
        }
        reports += n;
        if (now - last_poll >= 1.0) {
            poll_alerts(&d);
            poll_state(&d, d.drifter_ref);
            last_poll = now;
        }
        char t[40];
        dc__time_ms(scen - (double)day0, t, sizeof t);
        if (now - last_progress >= 20) { /* a sign of life, also in a file */
            printf("-- @%.5s: %ld reports, %d alerts to the authority so far\n", t + 11, reports,
                   la->n_alerts);
            last_progress = now;
        } else if (isatty(2)) {
            fprintf(stderr, "\r  scenario %.8s, %ld reports  ", t + 11, reports);
        }
        usleep(500000);
    }
    if (isatty(2))
        fprintf(stderr, "\r%60s\r", "");
    sleep(2);
    poll_alerts(&d);
    say(la, "tracks: %ld reports accepted from both operators", reports);
    for (size_t i = 0; i < 3 && i < d.p.n_parties; i++)
        say(&d.logs[i], "alerts received: %d", d.logs[i].n_alerts);

    /* Expected events. */
    plog *lc = d.p.n_parties > 1 ? &d.logs[1] : la, *li = d.p.n_parties > 2 ? &d.logs[2] : la;
    struct {
        const char *what;
        int ok;
    } checks[] = {
        {"every other plan approved at first try", !d.unexpected},
        {"coalition-jalawla rejected blind with a suggestion",
         d.rejected_then_retried && d.reject_blind && d.reject_suggestion},
        {"the retry with the suggestion approved", d.retry_ok},
        {"the authority sees both operators' operations", authority_sees_both},
        {"each operator was given notices", notices_ok},
        {"no operator was sent another party's name, id or callsign", !lc->leak[0] && !li->leak[0]},
        {"track reports accepted", tactical_ok && reports > 0},
        {"the authority's alert names both converging aircraft", la->saw_conflict_alert},
        {"coalition's blind alert on its aircraft", lc->saw_conflict_alert},
        {"iran's blind alert on its aircraft", li->saw_conflict_alert},
        {"iran-diyala nonconforming (owner and authority told)",
         li->saw_nonconf && la->saw_nonconf && li->saw_state_nonconf},
        {"audit verify holds", 0},
    };
    size_t n_checks = sizeof checks / sizeof checks[0];
    if (lc->leak[0])
        say(lc, "LEAK: %s", lc->leak);
    if (li->leak[0])
        say(li, "LEAK: %s", li->leak);

    printf("-- tracks done: %ld reports; stopping the server to verify the audit chain\n", reports);
    /* Audit: offline over the store, once the server has stopped. */
    char audit_out[600] = "";
    if (server > 0) {
        dc__cli_stop(server);
        server = -1;
        char *audit_argv[] = {exe, "audit", "verify", "--store", store, NULL};
        checks[n_checks - 1].ok =
            dc__cli_run_capture(exe, audit_argv, audit_out, sizeof audit_out) == 0;
    } else {
        snprintf(audit_out, sizeof audit_out,
                 "remote server: run `deconflict audit verify --store` on its host");
        checks[n_checks - 1].ok = 1;
    }

    /* The story, party by party. */
    for (size_t i = 0; i < d.p.n_parties && i < 3; i++) {
        printf("== %s (%s)\n", d.p.parties[i].name, i ? "operator" : "authority");
        for (int j = 0; j < d.logs[i].n; j++)
            printf("  %s\n", d.logs[i].lines[j]);
    }
    int passed = 0;
    for (size_t i = 0; i < n_checks; i++)
        passed += checks[i].ok;
    printf("== audit verify: %s\n", audit_out[0] ? audit_out : "no output");
    printf("== checks: %d/%zu passed\n", passed, n_checks);
    for (size_t i = 0; i < n_checks; i++)
        if (!checks[i].ok)
            printf("  FAILED: %s\n", checks[i].what);
    rc = passed == (int)n_checks ? 0 : 1;

out:
    if (server > 0)
        dc__cli_stop(server);
    if (tmp[sizeof tmp - 7] != 'X' && rc == 0) {
        char p2[200];
        snprintf(p2, sizeof p2, "%s/store.db-wal", tmp);
        unlink(p2);
        snprintf(p2, sizeof p2, "%s/store.db-shm", tmp);
        unlink(p2);
        snprintf(p2, sizeof p2, "%s/serve.json", tmp);
        unlink(p2);
        unlink(store);
        unlink(logp);
        rmdir(tmp);
    } else if (tmp[sizeof tmp - 7] != 'X') {
        fprintf(stderr, "deconflict demo: kept %s (server log: %s)\n", tmp, logp);
    }
    for (size_t i = 0; d.logs && i < d.p.n_parties; i++) {
        for (int j = 0; j < d.logs[i].n; j++)
            free(d.logs[i].lines[j]);
        for (int j = 0; j < d.logs[i].n_forbid; j++)
            free(d.logs[i].forbid[j]);
    }
    free(d.logs);
    dc__play_free(&d.p);
    dc__client_free(d.p.http);
    dc_scenario_free(sc);
    return rc;
usage:
    help(stderr);
    return 2;
}
