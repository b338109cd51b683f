/* The track view behind GET /v1/tracks (api/tracks.c): the latest report
 * of every live track, for the web display. The tick thread hands each swapped ingest batch here
 * before the detection pass (dc__trackview_update), so this view never touches the tactical table
 * and never delays detection by more than one map update per report. An operator reads only its own
 * tracks; the authority reads all, with their operators, and the tracks with no operator. Reports
 * older than stale_s are not listed and are pruned. Its lock is a leaf: taken alone. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "monitor/monitor.h"

typedef dc__track_row tv_entry;

struct dc__trackview {
    pthread_mutex_t mu; /* guards everything below; a leaf lock */
    dc__map by_key;
    tv_entry **e;
    size_t n, cap;
    double last_prune_s;
};

static dc__trackview *tv_get(dc_server *s)
{
    if (!s->tv) {
        dc__trackview *tv = dc_calloc(1, sizeof *tv);
        if (!tv)
            return NULL;
        pthread_mutex_init(&tv->mu, NULL);
        s->tv = tv;
    }
    return s->tv;
}

/* Under mu: drops entries older than the stale limit, rebuilding the map. */
static void prune(dc__trackview *tv, double now_s, double stale_s)
{
    size_t k = 0;
    for (size_t i = 0; i < tv->n; i++) {
        if (now_s - tv->e[i]->r.time_s > stale_s)
            dc_free(tv->e[i]);
        else
            tv->e[k++] = tv->e[i];
    }
    tv->n = k;
    dc__map_free(&tv->by_key);
    for (size_t i = 0; i < tv->n; i++)
        if (dc__map_put(&tv->by_key, tv->e[i]->key, tv->e[i]) != DC_OK)
            break; /* a missing index entry only duplicates one track later */
    tv->last_prune_s = now_s;
}

void dc__trackview_update(dc_server *s, const dc_track_report *reps, size_t n)
{
    dc__trackview *tv = tv_get(s);
    if (!tv)
        return;
    double now = dc__wall_s();
    pthread_mutex_lock(&tv->mu);
    if (now - tv->last_prune_s > 5)
        prune(tv, now, s->cfg.tactical.stale_s);
    for (size_t i = 0; i < n; i++) {
        const dc_track_report *r = &reps[i];
        char key[DC_TRACK_ID_MAX + 16];
        snprintf(key, sizeof key, "%lu/%s", (unsigned long)r->operator_number, r->track_id);
        tv_entry *e = dc__map_get(&tv->by_key, key);
        if (e && e->r.time_s > r->time_s)
            continue; /* an older report arriving late */
        if (!e) {
            if (tv->n == tv->cap) {
                size_t cap = tv->cap ? tv->cap * 2 : 1024;
                tv_entry **a = dc_realloc(tv->e, cap * sizeof *a);
                if (!a)
                    break;
                tv->e = a;
                tv->cap = cap;
            }
            if (!(e = dc_calloc(1, sizeof *e)))
                break;
            memcpy(e->key, key, sizeof key);
            if (dc__map_put(&tv->by_key, e->key, e) != DC_OK) {
                dc_free(e);
                break;
            }
            tv->e[tv->n++] = e;
        }
        e->r = *r;
        snprintf(e->track, sizeof e->track, "%s", r->track_id);
        snprintf(e->operation, sizeof e->operation, "%s", r->operation_id ? r->operation_id : "");
        e->r.track_id = e->track;
        e->r.operation_id = r->operation_id ? e->operation : NULL;
    }
    pthread_mutex_unlock(&tv->mu);
}

void dc__trackview_free(dc_server *s)
{
    dc__trackview *tv = s->tv;
    if (!tv)
        return;
    for (size_t i = 0; i < tv->n; i++)
        dc_free(tv->e[i]);
    dc_free(tv->e);
    dc__map_free(&tv->by_key);
    pthread_mutex_destroy(&tv->mu);
    dc_free(tv);
    s->tv = NULL;
}

dc_status dc__trackview_snapshot(dc_server *s, uint32_t who, int all, dc__track_row **out,
                                 size_t *n)
{
    dc__trackview *tv = s->tv;
    double now = dc__wall_s(), stale = s->cfg.tactical.stale_s;
    *out = NULL;
    *n = 0;
    if (!tv)
        return DC_OK;
    pthread_mutex_lock(&tv->mu);
    dc__track_row *copy = dc_malloc((tv->n ? tv->n : 1) * sizeof *copy);
    for (size_t i = 0; copy && i < tv->n; i++) {
        const dc__track_row *e = tv->e[i];
        if (now - e->r.time_s > stale || (!all && e->r.operator_number != who))
            continue;
        copy[*n] = *e;
        copy[*n].r.operation_id = e->r.operation_id ? copy[*n].operation : NULL;
        (*n)++;
    }
    pthread_mutex_unlock(&tv->mu);
    if (!copy)
        return DC_ENOMEM;
    *out = copy;
    return DC_OK;
}
