/* A scenario played onto a server through the API (play.h). Every call is
 * made with the key of the party that would make it, so what the server
 * answers each party is exactly what that party would see. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/play.h"
#include "deconflict/geo.h"
#include <unistd.h>

static const char *str_or(const char *s, const char *dflt)
{
    return s ? s : dflt;
}

double dc__now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

void dc__time_ms(double t_s, char *buf, size_t len)
{
    time_t whole = (time_t)floor(t_s);
    int ms = (int)((t_s - floor(t_s)) * 1000.0);
    if (ms > 999)
        ms = 999;
    struct tm tm;
    gmtime_r(&whole, &tm);
    snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

const dc__party *dc__play_party(const dc__play *p, const char *name)
{
    for (size_t i = 0; name && i < p->n_parties; i++)
        if (!strcmp(p->parties[i].name, name))
            return &p->parties[i];
    return NULL;
}

int dc__play_parties(dc__play *p, const char *authority_key, char *err, size_t err_len)
{
    const json_t *plans = dc_scenario_plans(p->sc);
    const json_t *names = json_object_get(plans, "operators");
    size_t n = json_array_size(names) + 1;
    json_t *resp = NULL;
    p->parties = calloc(n, sizeof *p->parties);
    p->op_ids = json_object();
    p->op_vols = json_object();
    p->activated = json_object();
    if (!p->parties || !p->op_ids || !p->op_vols || !p->activated) {
        snprintf(err, err_len, "out of memory");
        return -1;
    }
    dc__party *a = &p->parties[0];
    a->is_authority = 1;
    snprintf(a->key, sizeof a->key, "%s", authority_key);
    long st = dc__client_call(p->http, "GET", "/v1/operators", a->key, NULL, NULL, &resp, NULL);
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(resp, "operators"), i, o)
    {
        if (!strcmp(str_or(json_string_value(json_object_get(o, "role")), ""), "authority")) {
            snprintf(a->name, sizeof a->name, "%s", json_string_value(json_object_get(o, "name")));
            snprintf(a->id, sizeof a->id, "%s", json_string_value(json_object_get(o, "id")));
        }
    }
    json_decref(resp);
    if (st != 200 || !a->id[0]) {
        if (!st)
            snprintf(err, err_len, "GET /v1/operators: %s", dc__client_error(p->http));
        else
            snprintf(err, err_len, "GET /v1/operators as the authority answered HTTP %ld%s", st,
                     st == 401 ? " (the key is not the authority's)" : "");
        return -1;
    }
    p->n_parties = 1;
    for (i = 0; i + 1 < n; i++) {
        const char *name = json_string_value(json_array_get(names, i));
        json_t *body = json_pack("{s:s}", "name", name);
        st = dc__client_call(p->http, "POST", "/v1/operators", a->key, body, NULL, &resp, NULL);
        json_decref(body);
        dc__party *q = &p->parties[p->n_parties];
        const char *id = json_string_value(json_object_get(resp, "id"));
        const char *key = json_string_value(json_object_get(resp, "api_key"));
        if (st != 201 || !id || !key) {
            snprintf(err, err_len, "creating operator %s: HTTP %ld%s", name, st,
                     st == 409 ? " (it exists: use a fresh store)" : "");
            json_decref(resp);
            return -1;
        }
        snprintf(q->name, sizeof q->name, "%s", name);
        snprintf(q->id, sizeof q->id, "%s", id);
        snprintf(q->key, sizeof q->key, "%s", key);
        p->n_parties++;
        json_decref(resp);
    }
    return 0;
}

static void notify(dc__play *p, const json_t *plan, const dc__party *by, int retry, long st,
                   const json_t *resp)
{
    dc__submit_event ev = {plan, by, retry, st, resp};
    if (p->on_submit)
        p->on_submit(p->ctx, &ev);
}

/* The window of a volumes array: earliest start, latest end; -1 when a
 * time is missing. */
static int window_of(const json_t *vols, int64_t *t0, int64_t *t1)
{
    size_t k;
    json_t *v;
    *t0 = INT64_MAX;
    *t1 = INT64_MIN;
    json_array_foreach(vols, k, v)
    {
        int64_t a, b;
        if (dc_time_parse(json_string_value(json_object_get(v, "time_start")), 0, &a) != DC_OK ||
            dc_time_parse(json_string_value(json_object_get(v, "time_end")), 1, &b) != DC_OK)
            return -1;
        *t0 = a < *t0 ? a : *t0;
        *t1 = b > *t1 ? b : *t1;
    }
    return json_array_size(vols) ? 0 : -1;
}

int dc__play_plans(dc__play *p)
{
    const json_t *plans = dc_scenario_plans(p->sc);
    const dc__party *a = &p->parties[0];
    int failed = 0;
    size_t i, k;
    json_t *r, *x, *resp;
    json_array_foreach(json_object_get(plans, "restrictions"), i, r)
    {
        json_t *exempt = json_array();
        json_array_foreach(json_object_get(r, "exempt"), k, x)
        {
            const dc__party *q = dc__play_party(p, json_string_value(x));
            if (q)
                json_array_append_new(exempt, json_string(q->id));
        }
        json_t *body = json_pack("{s:O, s:o, s:O}", "name", json_object_get(r, "name"), "exempt",
                                 exempt, "volumes", json_object_get(r, "volumes"));
        long st =
            dc__client_call(p->http, "POST", "/v1/restrictions", a->key, body, NULL, &resp, NULL);
        notify(p, r, a, 0, st, resp);
        failed += st != 201;
        json_decref(body);
        json_decref(resp);
    }
    json_array_foreach(json_object_get(plans, "operations"), i, r)
    {
        const char *ref = json_string_value(json_object_get(r, "ref"));
        const char *expect = json_string_value(json_object_get(r, "expect"));
        const dc__party *by = dc__play_party(p, json_string_value(json_object_get(r, "operator")));
        if (!by) {
            failed++;
            continue;
        }
        int64_t t0, t1;
        if (!window_of(json_object_get(r, "volumes"), &t0, &t1) && (double)t1 <= dc__now()) {
            p->n_past++;
            continue;
        }
        json_t *body = json_pack("{s:O, s:O}", "priority", json_object_get(r, "priority"),
                                 "volumes", json_object_get(r, "volumes"));
        long st =
            dc__client_call(p->http, "POST", "/v1/operations", by->key, body, NULL, &resp, NULL);
        notify(p, r, by, 0, st, resp);
        const json_t *sugg = json_object_get(resp, "suggestion");
        if (st == 409 && expect && !strcmp(expect, "reject_then_retry") && json_is_object(sugg)) {
            json_object_set(body, "volumes", json_object_get(sugg, "volumes"));
            json_decref(resp);
            st = dc__client_call(p->http, "POST", "/v1/operations", by->key, body, NULL, &resp,
                                 NULL);
            notify(p, r, by, 1, st, resp);
        }
        if (st == 201 && ref) {
            json_object_set(p->op_ids, ref, json_object_get(resp, "id"));
            json_object_set(p->op_vols, ref, json_object_get(resp, "volumes"));
        } else if (!expect || strcmp(expect, "any"))
            failed++;
        json_decref(body);
        json_decref(resp);
    }
    return failed;
}

int dc__play_activate(dc__play *p, double now_s)
{
    const json_t *plans = dc_scenario_plans(p->sc);
    int n = 0;
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(plans, "operations"), i, r)
    {
        const char *ref = str_or(json_string_value(json_object_get(r, "ref")), "");
        const char *id = json_string_value(json_object_get(p->op_ids, ref));
        const dc__party *by = dc__play_party(p, json_string_value(json_object_get(r, "operator")));
        int64_t t0, t1;
        /* The approved window, which the suggestion may have moved. */
        if (!id || !by || json_object_get(p->activated, ref) ||
            window_of(json_object_get(p->op_vols, ref), &t0, &t1) || now_s < (double)t0 ||
            now_s >= (double)t1)
            continue;
        char path[160];
        snprintf(path, sizeof path, "/v1/operations/%s/activate", id);
        if (dc__client_call(p->http, "POST", path, by->key, NULL, NULL, NULL, NULL) == 200) {
            json_object_set_new(p->activated, ref, json_true());
            n++;
        }
    }
    return n;
}

/* Aircraft i at scen_s as its pilot flies it (following advisories):
 * the plan r in, the flown state out; step: move the pilot on (once per
 * scenario time). */
static void fly(dc__play *p, size_t i, dc_scenario_report *r, double scen_s, int step)
{
    dc_pilot_state plan = {r->lat_deg,
                           r->lon_deg,
                           r->alt_m,
                           r->ground_speed_mps,
                           fmod(r->track_deg + 360.0, 360.0),
                           r->vertical_rate_mps};
    double dt = scen_s - p->last_scen_s;
    if (!step) {
    } else if (!p->airborne[i] || !(dt > 0 && dt < 60)) {
        if (!p->airborne[i])
            dc_pilot_init(&p->pilots[i], &plan);
        p->airborne[i] = 1;
        if (p->pilots[i].mode == DC_PILOT_PLAN)
            p->pilots[i].s = plan;
    } else {
        dc_pilot_step(&p->pilots[i], &plan, scen_s, dt);
    }
    const dc_pilot_state *s = &p->pilots[i].s;
    r->lat_deg = s->lat_deg;
    r->lon_deg = s->lon_deg;
    r->alt_m = s->alt_m;
    r->ground_speed_mps = s->ground_speed_mps;
    r->track_deg = s->track_deg;
    r->vertical_rate_mps = s->vertical_rate_mps;
}

int dc__play_follow_start(dc__play *p)
{
    size_t n = dc_scenario_aircraft_count(p->sc);
    p->pilots = calloc(n ? n : 1, sizeof *p->pilots);
    p->airborne = calloc(n ? n : 1, 1);
    return p->pilots && p->airborne ? 0 : -1;
}

/* Aircraft of operator `by` with callsign track, or (size_t)-1. */
static size_t aircraft_of(const dc__play *p, const dc__party *by, const char *track)
{
    size_t n = dc_scenario_aircraft_count(p->sc);
    for (size_t i = 0; track && i < n; i++) {
        dc_scenario_report r;
        if (dc_scenario_position(p->sc, i, p->last_scen_s, &r) && !strcmp(r.callsign, track) &&
            !strcmp(r.operator_name, by->name))
            return i;
    }
    return (size_t)-1;
}

/* One alert record of operator `by` for its pilots. */
static int take_record(dc__play *p, const dc__party *by, const json_t *rec, double scen_s,
                       double speed)
{
    const char *kind = json_string_value(json_object_get(rec, "kind"));
    size_t i = aircraft_of(p, by, json_string_value(json_object_get(rec, "track_id")));
    if (!kind || i == (size_t)-1 || !p->airborne[i])
        return 0;
    if (!strcmp(kind, "cleared")) {
        dc_pilot_cleared(&p->pilots[i]);
        return 0;
    }
    const json_t *adv = json_object_get(rec, "advisory");
    const char *m = json_string_value(json_object_get(adv, "maneuver"));
    int revised = !strcmp(kind, "revised");
    if (strcmp(kind, "raised") && !revised)
        return 0;
    if (!m) {
        if (!revised)
            dc_pilot_raised(&p->pilots[i]);
        return 0;
    }
    dc_pilot_advisory a = {DC_PILOT_TURN, json_number_value(json_object_get(adv, "heading_deg")),
                           json_number_value(json_object_get(adv, "altitude_m")),
                           json_number_value(json_object_get(adv, "hold_s")) * speed};
    if (strcmp(m, "turn"))
        a.kind = DC_PILOT_LEVEL;
    if (revised)
        dc_pilot_revise(&p->pilots[i], &a, scen_s);
    else
        dc_pilot_advise(&p->pilots[i], &a, scen_s);
    p->advisories_followed++;
    return 1;
}

long dc__play_follow(dc__play *p, double scen_s, double speed, char *err, size_t err_len)
{
    long taken = 0;
    for (size_t q = 1; q < p->n_parties && p->pilots; q++) {
        dc__party *by = &p->parties[q];
        char path[96];
        snprintf(path, sizeof path, "/v1/alerts?since=%llu&limit=1000", by->alerts_next);
        json_t *resp = NULL;
        long st = dc__client_call(p->http, "GET", path, by->key, NULL, NULL, &resp, NULL);
        if (st != 200) {
            snprintf(err, err_len, "GET /v1/alerts as %s: HTTP %ld", by->name, st);
            json_decref(resp);
            return -1;
        }
        size_t k;
        json_t *rec;
        json_array_foreach(json_object_get(resp, "alerts"), k, rec)
        {
            taken += take_record(p, by, rec, scen_s, speed);
        }
        by->alerts_next = (unsigned long long)json_integer_value(json_object_get(resp, "next"));
        json_decref(resp);
    }
    return taken;
}

long dc__play_tracks(dc__play *p, double scen_s, double report_s, char *err, size_t err_len)
{
    size_t n_ac = dc_scenario_aircraft_count(p->sc);
    char when[40];
    long accepted = 0;
    dc__time_ms(report_s, when, sizeof when);
    for (size_t q = 1; q < p->n_parties; q++) {
        const dc__party *by = &p->parties[q];
        json_t *reports = json_array();
        for (size_t i = 0; i <= n_ac; i++) {
            dc_scenario_report r;
            int up = i < n_ac && dc_scenario_position(p->sc, i, scen_s, &r);
            if (up && p->pilots)
                fly(p, i, &r, scen_s, q == 1);
            else if (p->pilots && q == 1)
                p->airborne[i] = 0;
            if (up && !strcmp(r.operator_name, by->name)) {
                json_t *rep = json_pack(
                    "{s:s, s:s, s:f, s:f, s:f, s:f, s:f, s:f}", "track_id", r.callsign, "time",
                    when, "lat", r.lat_deg, "lon", r.lon_deg, "alt_m", r.alt_m, "ground_speed_mps",
                    r.ground_speed_mps, "track_deg", fmod(r.track_deg + 360.0, 360.0),
                    "vertical_rate_mps", r.vertical_rate_mps);
                json_t *op = r.operation_ref ? json_object_get(p->op_ids, r.operation_ref) : NULL;
                int64_t t0, t1;
                /* A little before the server's sweep ends it. */
                if (op && !window_of(json_object_get(p->op_vols, r.operation_ref), &t0, &t1) &&
                    report_s >= (double)t1 - 2)
                    op = NULL;
                if (op)
                    json_object_set(rep, "operation_id", op);
                json_array_append_new(reports, rep);
            }
            if (json_array_size(reports) && (i == n_ac || json_array_size(reports) == 5000)) {
                json_t *body = json_pack("{s:o}", "reports", reports), *resp = NULL;
                char *raw = NULL;
                long st = dc__client_call(p->http, "POST", "/v1/tracks", by->key, body, NULL, &resp,
                                          &raw);
                json_decref(body);
                reports = json_array();
                if (st != 202) {
                    snprintf(err, err_len, "POST /v1/tracks as %s: HTTP %ld %.200s", by->name, st,
                             raw ? raw : "");
                    free(raw);
                    json_decref(resp);
                    json_decref(reports);
                    return -1;
                }
                accepted += (long)json_integer_value(json_object_get(resp, "accepted"));
                free(raw);
                json_decref(resp);
            }
        }
        json_decref(reports);
    }
    p->last_scen_s = scen_s;
    return accepted;
}

void dc__play_free(dc__play *p)
{
    free(p->parties);
    p->parties = NULL;
    p->n_parties = 0;
    json_decref(p->op_ids);
    p->op_ids = NULL;
    json_decref(p->op_vols);
    json_decref(p->activated);
    p->op_vols = p->activated = NULL;
    free(p->pilots);
    free(p->airborne);
    p->pilots = NULL;
    p->airborne = NULL;
}

int dc__parse_hhmm(const char *s, int *out_s)
{
    int h, m;
    char tail;
    if (sscanf(s, "%d:%d%c", &h, &m, &tail) != 2 || h < 0 || h > 48 || m < 0 || m > 59)
        return -1;
    *out_s = h * 3600 + m * 60;
    return 0;
}

const char *dc__default_scenario(char *buf, size_t len)
{
    char exe[1024];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = 0;
            snprintf(buf, len, "%s/../examples/scenario/iraq.json", exe);
            if (access(buf, R_OK) == 0)
                return buf;
        }
    }
    return "examples/scenario/iraq.json";
}
