/* Fusion: what every feed says of one aircraft becomes one track. The key
 * is the Mode S address (6 hex digits) when a report carries one, else
 * CAT-SAC-SIC-TRACKNUMBER; a track number once seen with an address goes on
 * under that address (a CAT062 track whose address comes and goes stays one
 * aircraft). Partial reports (SBS's MSG,3 position and MSG,4 velocity, a
 * Beast position and its velocity message) are merged: a position is handed
 * on with the newest altitude and velocity of the last window_s. Of two
 * feeds, the newest position wins: one no newer than the last handed on
 * (from any feed) is dropped and counted as superseded. An aircraft not
 * heard for window_s (the tracks' stale_s) starts afresh. The table is
 * allocated once; a full probe run evicts its stalest entry. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "livefeed/livefeed_int.h"

#define PROBE 32

dc_status dc__fusion_init(dc__fusion *fu, size_t cap, double window_s)
{
    size_t c = 1024;
    while (c < cap)
        c *= 2;
    fu->slots = dc_calloc(c, sizeof *fu->slots);
    if (!fu->slots)
        return DC_ENOMEM;
    fu->cap = c;
    fu->window_s = window_s;
    pthread_mutex_init(&fu->mu, NULL);
    return DC_OK;
}

void dc__fusion_free(dc__fusion *fu)
{
    if (!fu->slots)
        return;
    pthread_mutex_destroy(&fu->mu);
    dc_free(fu->slots);
    fu->slots = NULL;
}

static uint32_t hash(const char *s)
{
    uint32_t h = 2166136261u;
    while (*s)
        h = (h ^ (uint8_t)*s++) * 16777619u;
    return h;
}

/* Under mu: the slot of key, fresh (cleared) when new or expired. */
static dc__fusion_slot *slot_of(dc__fusion *fu, const char *key, double now_s)
{
    size_t mask = fu->cap - 1, h = hash(key) & mask;
    dc__fusion_slot *sl = NULL, *free_slot = NULL, *stalest = NULL;
    for (size_t i = 0; i < PROBE && !sl; i++) {
        dc__fusion_slot *x = &fu->slots[(h + i) & mask];
        int expired = !x->used || now_s - x->seen_s > fu->window_s;
        if (x->used && !strcmp(x->key, key)) {
            if (!expired)
                return x;
            sl = x;
        }
        if (expired && !free_slot)
            free_slot = x;
        if (!stalest || x->seen_s < stalest->seen_s)
            stalest = x;
    }
    if (!sl && free_slot)
        sl = free_slot;
    if (!sl) {
        sl = stalest;
        atomic_fetch_add(&fu->evicted, 1);
    }
    memset(sl, 0, sizeof *sl);
    snprintf(sl->key, sizeof sl->key, "%s", key);
    sl->used = 1;
    sl->seen_s = now_s;
    return sl;
}

/* The report's altitude in metres: geometric, else measured, else the
 * tracker's flight level as pressure altitude (as `feed decode`'s alt_m). */
static int altitude(const dc_feed_report *r, double *alt_m)
{
    if (r->has & DC_FEED_HAS_GEO_ALT)
        *alt_m = r->geo_alt_m;
    else if (r->has & DC_FEED_HAS_FL)
        *alt_m = r->fl * 30.48;
    else if (r->has & DC_FEED_HAS_CALC_FL)
        *alt_m = r->calc_fl * 30.48;
    else
        return 0;
    return 1;
}

void dc__fusion_report(dc__fusion *fu, dc__feed *f, const dc_feed_report *r)
{
    char key[DC__FEED_KEY_MAX], tn_key[DC__FEED_KEY_MAX] = "";
    int has_tn = (r->has & DC_FEED_HAS_TRACK_NUMBER) && (r->has & DC_FEED_HAS_SAC_SIC);
    if (has_tn)
        snprintf(tn_key, sizeof tn_key, "%03u-%u-%u-%u", r->category, r->sac, r->sic,
                 r->track_number);
    if (r->has & DC_FEED_HAS_MODE_S)
        snprintf(key, sizeof key, "%06X", (unsigned)(r->mode_s & 0xffffff));
    else if (has_tn)
        memcpy(key, tn_key, sizeof key);
    else {
        atomic_fetch_add(&f->incomplete, 1);
        return;
    }
    double now = f->now_s;
    double t = !f->cfg->clock_arrival && (r->has & DC_FEED_HAS_TIME) ? r->time_s : now;
    double win = fu->window_s;
    pthread_mutex_lock(&fu->mu);
    if (has_tn) {
        dc__fusion_slot *tn = slot_of(fu, tn_key, now);
        if (now > tn->seen_s)
            tn->seen_s = now;
        if (r->has & DC_FEED_HAS_MODE_S)
            memcpy(tn->alias, key, sizeof tn->alias);
        else if (tn->alias[0])
            memcpy(key, tn->alias, sizeof tn->alias);
    }
    dc__fusion_slot *sl = slot_of(fu, key, now);
    if (now > sl->seen_s)
        sl->seen_s = now;
    double alt;
    if (altitude(r, &alt) && t >= sl->alt_t) {
        sl->alt_m = alt;
        sl->alt_t = t;
    }
    if ((r->has & DC_FEED_HAS_VELOCITY) && t >= sl->vel_t) {
        sl->gs_mps = r->ground_speed_mps;
        sl->trk_deg = r->track_deg;
        sl->vel_t = t;
    }
    if ((r->has & DC_FEED_HAS_VRATE) && t >= sl->vr_t) {
        sl->vr_mps = r->vertical_rate_mps;
        sl->vr_t = t;
    }
    if (!(r->has & DC_FEED_HAS_POSITION)) {
        pthread_mutex_unlock(&fu->mu);
        return;
    }
    if (sl->pos_t > 0 && t <= sl->pos_t) {
        pthread_mutex_unlock(&fu->mu);
        atomic_fetch_add(&f->superseded, 1);
        return;
    }
    if (!(sl->alt_t > 0 && fabs(t - sl->alt_t) <= win)) {
        pthread_mutex_unlock(&fu->mu);
        atomic_fetch_add(&f->incomplete, 1); /* a position with no altitude yet */
        return;
    }
    sl->pos_t = t;
    dc_track_report *o = &f->batch[f->n_batch];
    memset(o, 0, sizeof *o);
    memcpy(f->ids[f->n_batch], key, sizeof key);
    o->operator_number = DC_TRACK_OPERATOR_UNKNOWN;
    o->track_id = f->ids[f->n_batch];
    o->time_s = t;
    o->lat_deg = r->lat_deg;
    o->lon_deg = r->lon_deg;
    o->alt_m = sl->alt_m;
    if (sl->vel_t > 0 && fabs(t - sl->vel_t) <= win) {
        o->ground_speed_mps = sl->gs_mps;
        o->track_deg = sl->trk_deg >= 360 ? 0 : sl->trk_deg;
    }
    if (sl->vr_t > 0 && fabs(t - sl->vr_t) <= win)
        o->vertical_rate_mps = sl->vr_mps;
    pthread_mutex_unlock(&fu->mu);
    if (dc_track_report_check(o, "feed", NULL) != DC_OK) {
        atomic_fetch_add(&f->errors, 1); /* out of the tracks' ranges */
        return;
    }
    f->n_batch++;
}

size_t dc__fusion_count(dc__fusion *fu, double now_s)
{
    size_t n = 0;
    pthread_mutex_lock(&fu->mu);
    for (size_t i = 0; i < fu->cap; i++) {
        const dc__fusion_slot *sl = &fu->slots[i];
        n += sl->used && sl->pos_t > 0 && now_s - sl->seen_s <= fu->window_s;
    }
    pthread_mutex_unlock(&fu->mu);
    return n;
}
