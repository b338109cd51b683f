/* POST /v1/tracks: position reports into the ingest buffer. An operator's
 * reports are rate-limited per operator (429), a batch is parsed and checked
 * in full (errors name reports[i].field), its operation ids checked against
 * the caller's own live operations (another's answers "unknown operation",
 * the words of a nonexistent one), then copied into the
 * ingest buffer (monitor/ingest.c) in one step or not at all. An approved
 * operation's first report activates it (the airspace's state change).
 * Detection happens on the tick thread (monitor/tick.c); this path never
 * waits for it. GET /v1/tracks renders the track view
 * (monitor/trackview.c). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"

/* Reports more than this ahead of the server's clock are refused: they
 * would never go stale. */
#define MAX_FUTURE_S 60.0

/* Under mu: 1 when every linked report names one of the caller's own
 * operations, else replies 400 and returns 0. Approved operations that get
 * their first report are collected into act (deduplicated). */
static int check_operations(dc__req *r, const dc_track_report *rep, size_t n, dc__entry ***act,
                            size_t *n_act)
{
    const char *last_ok = NULL;
    for (size_t i = 0; i < n; i++) {
        const char *oid = rep[i].operation_id;
        if (!oid || (last_ok && !strcmp(oid, last_ok)))
            continue;
        dc__entry *e = dc__entry_get(r->s, oid);
        char field[64];
        snprintf(field, sizeof field, "reports[%zu].operation_id", i);
        if (!e || e->is_restriction || e->owner != r->who) {
            dc__reply_error(r, 400, "invalid", field, "unknown operation");
            return 0;
        }
        /* Only a live operation's aircraft fly: an ended, withdrawn or
         * preempted one's reports would be someone's made-up tracks. */
        if (e->state != DC__APPROVED && e->state != DC__ACTIVE && e->state != DC__NONCONFORMING) {
            dc__reply_error(r, 400, "invalid", field, "operation is not live");
            return 0;
        }
        last_ok = oid;
        /* A first report activates an approved operation, within its
         * window only (airspace/window.c); outside it, it stays approved. */
        if (e->state != DC__APPROVED || dc__activation_check(e, dc__unix_s(), NULL) != DC_OK)
            continue;
        size_t k = 0;
        while (k < *n_act && (*act)[k] != e)
            k++;
        if (k < *n_act)
            continue;
        dc__entry **grown = dc_realloc(*act, (*n_act + 1) * sizeof **act);
        if (!grown) {
            dc__reply_error(r, 500, "internal", "", "out of memory");
            return 0;
        }
        *act = grown;
        (*act)[(*n_act)++] = e;
    }
    return 1;
}

void dc__api_tracks_post(dc__req *r, const char *unused)
{
    (void)unused;
    dc_server *s = r->s;
    dc__monitor *m = s->mon;
    dc_track_report *rep = NULL;
    char *fresh = NULL;
    dc__entry **act = NULL;
    size_t n = 0, n_act = 0, n_fresh = 0, bytes = 0;
    int have_ops = 0;
    dc_error err = {{0}, {0}};
    json_t *body = dc__req_json(r);
    if (!body)
        return;
    static const char *const keys[] = {"reports", "unknown", NULL};
    if (!dc__api_known(r, body, keys))
        goto out;
    json_t *unk = json_object_get(body, "unknown");
    if (unk && !json_is_boolean(unk)) {
        dc__reply_error(r, 400, "invalid", "unknown", "must be true or false");
        goto out;
    }
    int unknown = unk && json_is_true(unk);
    if (unknown && !r->is_authority) {
        dc__reply_error(r, 403, "forbidden", "unknown",
                        "only the authority may report unknown traffic");
        goto out;
    }
    size_t cap = s->cfg.max_track_reports;
    size_t want = json_array_size(json_object_get(body, "reports"));
    /* Each operator's reports per second: by operator, so a new key starts
     * with no fresh bucket; checked before parsing, so a flood costs little. */
    unsigned retry = 0;
    if (!r->is_authority && want <= cap && !dc__ingest_admit(m, r->who, want ? want : 1, &retry)) {
        r->retry_after_s = retry;
        dc__reply_error(r, 429, "rate_limited", "reports",
                        "too many position reports per second for this operator; retry after "
                        "the Retry-After seconds");
        goto out;
    }
    rep = dc_calloc(want && want <= cap ? want : 1, sizeof *rep);
    if (!rep) {
        dc__reply_error(r, 500, "internal", "", "out of memory");
        goto out;
    }
    dc_status rc = dc_json_track_reports(body, unknown ? DC_TRACK_OPERATOR_UNKNOWN : r->who, rep,
                                         cap, &n, &err);
    if (rc != DC_OK) {
        dc__reply_status(r, rc, &err);
        goto out;
    }
    if (!(fresh = dc_calloc(n, 1))) {
        dc__reply_error(r, 500, "internal", "", "out of memory");
        goto out;
    }
    double now = dc__wall_s();
    for (size_t i = 0; i < n; i++) {
        char field[64];
        if (rep[i].time_s > now + MAX_FUTURE_S) {
            snprintf(field, sizeof field, "reports[%zu].time", i);
            dc__reply_error(r, 400, "invalid", field, "more than 60 s ahead of the server's clock");
            goto out;
        }
        if (unknown && rep[i].operation_id) {
            snprintf(field, sizeof field, "reports[%zu].operation_id", i);
            dc__reply_error(r, 400, "invalid", field, "unknown traffic has no operation");
            goto out;
        }
        have_ops |= rep[i].operation_id != NULL;
        if (now - rep[i].time_s > s->cfg.tactical.stale_s)
            continue;
        fresh[i] = 1;
        n_fresh++;
        bytes += strlen(rep[i].track_id) + 1 +
                 (rep[i].operation_id ? strlen(rep[i].operation_id) + 1 : 0);
    }
    if (have_ops) {
        /* Activations are state changes: on a shared store, in a window. */
        if (dc__write_lock(s)) {
            pthread_mutex_unlock(&s->mu);
            dc__reply_error(r, 503, "store_unavailable", "",
                            "the shared store is unreachable; retry");
            goto out;
        }
        if (!check_operations(r, rep, n, &act, &n_act)) {
            pthread_mutex_unlock(&s->mu);
            goto out;
        }
        /* Holding mu: nothing may end these operations before they activate. */
        if (!dc__ingest_enqueue(m, rep, n, fresh, n_fresh, bytes, s->cfg.track_buffer_reports)) {
            pthread_mutex_unlock(&s->mu);
            goto full;
        }
        for (size_t k = 0; k < n_act && n_fresh; k++) {
            dc__change c = {
                DC__ACTIVE, NULL, r->who_id, "activate",
                json_pack("{s:s, s:s}", "operator", r->who_id, "by", "first track report")};
            dc__entry_change(s, act[k], &c);
        }
        pthread_mutex_unlock(&s->mu);
    } else if (!dc__ingest_enqueue(m, rep, n, fresh, n_fresh, bytes, s->cfg.track_buffer_reports)) {
        goto full;
    }
    atomic_fetch_add(&m->m.batches, 1);
    atomic_fetch_add(&m->m.reports_accepted, n_fresh);
    atomic_fetch_add(&m->m.reports_stale, n - n_fresh);
    dc__reply_json(r, 202,
                   json_pack("{s:I, s:I}", "accepted", (json_int_t)n_fresh, "stale",
                             (json_int_t)(n - n_fresh)));
    goto out;
full:
    atomic_fetch_add(&m->m.buffer_full, 1);
    dc__reply_error(r, 503, "busy", "reports",
                    "the track buffer is full until the next detection tick; retry");
out:
    dc_free(act);
    dc_free(fresh);
    dc_free(rep);
    json_decref(body);
}

void dc__api_tracks_list(dc__req *r, const char *unused)
{
    (void)unused;
    dc_server *s = r->s;
    dc__buf b = {0};
    dc__track_row *copy = NULL;
    size_t n = 0;
    dc__monitor_tracks_read(s);
    if (dc__trackview_snapshot(s, r->who, r->is_authority, &copy, &n) != DC_OK) {
        dc__reply_error(r, 500, "internal", "", "out of memory");
        return;
    }
    dc__buf_str(&b, "{\"tracks\":[");
    if (r->is_authority)
        pthread_mutex_lock(&s->mu); /* operator names */
    for (size_t i = 0; i < n; i++) {
        const dc_track_report *p = &copy[i].r;
        char ts[40];
        int ms = (int)((p->time_s - floor(p->time_s)) * 1000.0);
        dc_time_format((int64_t)floor(p->time_s), ts, sizeof ts);
        ts[19] = 0; /* "YYYY-MM-DDTHH:MM:SS" + ".mmm" + "Z" */
        dc__buf_fmt(&b, "%s{\"track_id\":", i ? "," : "");
        dc__buf_json_str(&b, copy[i].track);
        dc__buf_fmt(&b,
                    ",\"time\":\"%s.%03dZ\",\"lat\":%.6f,\"lon\":%.6f,\"alt_m\":%.1f,"
                    "\"ground_speed_mps\":%.1f,\"track_deg\":%.1f,\"vertical_rate_mps\":%.1f",
                    ts, ms > 999 ? 999 : ms, p->lat_deg, p->lon_deg, p->alt_m, p->ground_speed_mps,
                    p->track_deg, p->vertical_rate_mps);
        if (p->operation_id) {
            dc__buf_str(&b, ",\"operation_id\":");
            dc__buf_json_str(&b, p->operation_id);
        }
        if (r->is_authority) {
            dc__operator *o = p->operator_number == DC_TRACK_OPERATOR_UNKNOWN
                                  ? NULL
                                  : dc__operator_get(s, p->operator_number);
            if (o) {
                dc__buf_fmt(&b, ",\"operator\":{\"id\":\"%s\",\"name\":", o->id);
                dc__buf_json_str(&b, o->name);
                dc__buf_str(&b, "}");
            } else {
                dc__buf_str(&b, ",\"operator\":null");
            }
        }
        dc__buf_str(&b, "}");
    }
    if (r->is_authority)
        pthread_mutex_unlock(&s->mu);
    dc_free(copy);
    dc__buf_str(&b, "]}");
    dc__reply_buf(r, 200, "application/json", &b);
}
