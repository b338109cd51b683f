/* Probing control (docs/design.md section 5), both mechanisms in one
 * place: a per-operator budget of rejected submissions per minute (over it,
 * submissions are refused with 429 and one audit record "probing_suspected"
 * is written; the minute slides), and per-area counters that raise a probing alert (audit
 * record "probing_alert", a metric and an authority alert) when one
 * operator's rejections pile up in one cell within probe_window_s. The
 * per-minute budget is under the server's mu (it lives in dc__operator);
 * pr->mu guards the area counters and the pending alerts and is a leaf lock
 * (taken under mu, never the other way). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "airspace/airspace.h"

enum { AREA_SLOTS = 4096 }; /* probing counters kept; the oldest is reused */

typedef struct area {
    uint32_t op; /* operator number, 0: free */
    int32_t cell_lat, cell_lon;
    int64_t window_start_s;
    unsigned rejections;
    int alerted;
} area;

typedef struct pending_alert {
    struct pending_alert *next;
    char *body;
} pending_alert;

struct dc__probing {
    pthread_mutex_t mu; /* guards everything below */
    area areas[AREA_SLOTS];
    pending_alert *alerts; /* newest first */
    size_t n_alerts;
};

dc_status dc__probing_start(dc_server *s)
{
    struct dc__probing *p = dc_calloc(1, sizeof *p);
    if (!p)
        return DC_ENOMEM;
    pthread_mutex_init(&p->mu, NULL);
    s->probing = p;
    return DC_OK;
}

void dc__probing_free(dc_server *s)
{
    struct dc__probing *p = s->probing;
    if (!p)
        return;
    while (p->alerts) {
        pending_alert *a = p->alerts;
        p->alerts = a->next;
        dc_free(a->body);
        dc_free(a);
    }
    pthread_mutex_destroy(&p->mu);
    dc_free(p);
    s->probing = NULL;
}

/* ---- per operator, per minute ---- */

/* A sliding minute: the current minute's count plus the previous minute's
 * weighted by how much of it is still within the last 60 s, so a burst of
 * twice the limit across a minute boundary is refused (a fixed minute let
 * it through). Under mu. */
static void roll(dc__operator *o, int64_t now_s)
{
    int64_t minute = now_s / 60;
    if (o->probe_window_s == minute)
        return;
    o->probe_prev = o->probe_window_s == minute - 1 ? o->probe_rejections : 0;
    o->probe_window_s = minute;
    o->probe_rejections = 0;
}

static double in_last_minute(const dc__operator *o, int64_t now_s)
{
    double frac = (double)(now_s % 60) / 60.0;
    return o->probe_rejections + o->probe_prev * (1.0 - frac);
}

int dc__probing_refused(dc_server *s, uint32_t who, int is_authority)
{
    dc__operator *o = dc__operator_get(s, who);
    if (!o || is_authority || !s->cfg.probe_limit)
        return 0;
    int64_t now = dc__unix_s();
    roll(o, now);
    return in_last_minute(o, now) >= s->cfg.probe_limit;
}

static void count_operator(dc_server *s, dc__operator *o)
{
    int64_t now = dc__unix_s();
    roll(o, now);
    double before = in_last_minute(o, now);
    o->probe_rejections++;
    if (before < s->cfg.probe_limit && before + 1 >= s->cfg.probe_limit) {
        atomic_fetch_add(&s->m.probing_limited, 1);
        dc__journal_audit(s, "system", "probing_suspected", o->id,
                          json_pack("{s:s, s:i}", "operator", o->id, "rejections_per_minute",
                                    (int)ceil(before + 1)));
    }
}

/* ---- per area ---- */

static void count_cell(dc_server *s, const dc__operator *o, int32_t clat, int32_t clon)
{
    struct dc__probing *p = s->probing;
    const dc_server_config *cfg = &s->cfg;
    int64_t now = dc__unix_s();
    pthread_mutex_lock(&p->mu);
    area *a = NULL, *victim = NULL; /* a free slot, else the oldest window */
    for (size_t i = 0; i < AREA_SLOTS && !a; i++) {
        area *x = &p->areas[i];
        if (x->op == o->number && x->cell_lat == clat && x->cell_lon == clon)
            a = x;
        else if (!victim || (victim->op && (!x->op || x->window_start_s < victim->window_start_s)))
            victim = x;
    }
    if (!a) {
        a = victim;
        *a = (area){o->number, clat, clon, now, 0, 0};
    }
    if (now - a->window_start_s >= cfg->probe_window_s)
        *a = (area){o->number, clat, clon, now, 0, 0};
    int raise = ++a->rejections == cfg->probe_alert_rejections && !a->alerted;
    if (raise)
        a->alerted = 1;
    unsigned count = a->rejections;
    pthread_mutex_unlock(&p->mu);
    if (!raise)
        return;

    double d = cfg->probe_area_deg;
    double box[4] = {clon * d, clat * d, (clon + 1) * d, (clat + 1) * d};
    atomic_fetch_add(&s->m.probing_alerts, 1);
    dc__journal_audit(s, "system", "probing_alert", o->id,
                      json_pack("{s:s, s:[f,f,f,f], s:i, s:I}", "operator", o->id, "area", box[0],
                                box[1], box[2], box[3], "rejections", (int)count, "window_s",
                                (json_int_t)cfg->probe_window_s));
    /* The authority's alert goes out after the request, outside mu (see
     * dc__probing_take_alerts): the alert ring's lock is taken before mu
     * elsewhere. */
    char ts[32];
    dc_time_format(now, ts, sizeof ts);
    dc__buf b = {0};
    dc__buf_fmt(&b,
                "\"kind\":\"probing\",\"time\":\"%s\",\"operator\":{\"id\":\"%s\",\"name\":", ts,
                o->id);
    dc__buf_json_str(&b, o->name ? o->name : "");
    dc__buf_fmt(&b, "},\"area\":[%.6f,%.6f,%.6f,%.6f],\"rejections\":%u,\"window_s\":%lld", box[0],
                box[1], box[2], box[3], count, (long long)cfg->probe_window_s);
    pending_alert *pa = b.oom ? NULL : dc_calloc(1, sizeof *pa);
    if (!pa) {
        dc__buf_free(&b);
        return;
    }
    pa->body = b.p;
    pthread_mutex_lock(&p->mu);
    pa->next = p->alerts;
    p->alerts = pa;
    p->n_alerts++;
    pthread_mutex_unlock(&p->mu);
}

/* A rejection counts once in the cell of each of its volumes' centres (a
 * decoy first volume elsewhere no longer hides the probe); each cell once,
 * at most MAX_CELLS cells. */
#define MAX_CELLS 64

static void count_area(dc_server *s, const dc__operator *o, const dc_volume *vols, size_t n)
{
    const dc_server_config *cfg = &s->cfg;
    if (!s->probing || !cfg->probe_alert_rejections)
        return;
    int32_t cells[MAX_CELLS][2];
    size_t n_cells = 0;
    double d = cfg->probe_area_deg;
    for (size_t v = 0; v < n && n_cells < MAX_CELLS; v++) {
        double la0, lo0, la1, lo1;
        dc_footprint_bbox(vols[v].fp, &la0, &lo0, &la1, &lo1);
        int32_t a = (int32_t)floor((la0 + la1) / 2 / d), b = (int32_t)floor((lo0 + lo1) / 2 / d);
        size_t k = 0;
        while (k < n_cells && (cells[k][0] != a || cells[k][1] != b))
            k++;
        if (k == n_cells) {
            cells[n_cells][0] = a;
            cells[n_cells][1] = b;
            n_cells++;
        }
    }
    for (size_t k = 0; k < n_cells; k++)
        count_cell(s, o, cells[k][0], cells[k][1]);
}

void dc__probing_rejection(dc_server *s, uint32_t who, int is_authority, const dc_volume *vols,
                           size_t n)
{
    dc__operator *o = dc__operator_get(s, who);
    if (!o || is_authority)
        return;
    count_operator(s, o);
    if (n)
        count_area(s, o, vols, n);
}

char **dc__probing_take_alerts(dc_server *s, size_t *n)
{
    struct dc__probing *p = s->probing;
    *n = 0;
    if (!p || !p->alerts) /* a racy peek: the next request takes the rest */
        return NULL;
    pthread_mutex_lock(&p->mu);
    char **out = dc_calloc(p->n_alerts, sizeof *out);
    if (!out) {
        pthread_mutex_unlock(&p->mu);
        return NULL;
    }
    size_t k = 0;
    for (pending_alert *a = p->alerts; a;) {
        pending_alert *next = a->next;
        out[k++] = a->body;
        dc_free(a);
        a = next;
    }
    *n = p->n_alerts;
    p->alerts = NULL;
    p->n_alerts = 0;
    pthread_mutex_unlock(&p->mu);
    return out;
}
