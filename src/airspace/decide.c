/* The rules of docs/design.md sections 3-5 over the in-memory airspace:
 * decide (exact or by notices; restrictions always exact), the suggestion
 * search, the one state change and the one preemption path. Everything here
 * runs under the server's mu and never touches HTTP; api/ renders what it
 * returns. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "airspace/airspace.h"

const double dc__check_hist_le[DC__HIST_BUCKETS] = {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025,
                                                    0.005,   0.01,   0.025,   0.05,   0.1,   0.25};

void dc__metrics_check(dc_server *s, double seconds)
{
    int b = 0;
    while (b < DC__HIST_BUCKETS && seconds > dc__check_hist_le[b])
        b++;
    atomic_fetch_add(&s->m.check_hist[b], 1);
    atomic_fetch_add(&s->m.check_count, 1);
    atomic_fetch_add(&s->m.check_sum_us, (unsigned long)(seconds * 1e6));
}

/* ---- decide ---- */

static void add_hits(dc_server *s, const dc_conflict *c, size_t n, dc__hits *out)
{
    for (size_t i = 0; i < n; i++) {
        dc__entry *e = dc__entry_get(s, c[i].with_id);
        if (!e)
            continue;
        size_t k;
        for (k = 0; k < out->n; k++)
            if (out->h[k].e == e && out->h[k].vol == c[i].volume)
                break;
        uint64_t bit = c[i].cand_volume < 64 ? (uint64_t)1 << c[i].cand_volume : 0;
        if (k < out->n) {
            if (c[i].cand_volume < out->h[k].cand)
                out->h[k].cand = (uint32_t)c[i].cand_volume;
            out->h[k].cand_bits |= bit;
        } else if (out->n < DC__MAX_HITS) {
            out->h[out->n++] = (dc__hit){e, c[i].volume, (uint32_t)c[i].cand_volume, bit};
        }
    }
}

void dc__decide(dc_server *s, const dc__decide_opts *o, const dc_volume *vols, size_t n,
                dc__hits *out)
{
    dc_conflict buf[DC__MAX_HITS];
    dc_check_opts opts = {o->dt_s, o->dalt_m, o->skip_id, o->first_only};
    size_t found = 0;
    /* Overlap with an envelope: the smallest positive H, no V or T. */
    const dc_params touch = {0.001, 0.0, 0};
    out->n = out->total = 0;
    dc_engine_check(s->restr, o->owner, vols, n, &s->cfg.params, &opts, buf, DC__MAX_HITS, &found);
    out->total += found;
    add_hits(s, buf, found < DC__MAX_HITS ? found : DC__MAX_HITS, out);
    if (o->first_only && out->total)
        return;
    if (o->exact)
        dc_engine_check(s->ops_exact, o->owner, vols, n, &s->cfg.params, &opts, buf, DC__MAX_HITS,
                        &found);
    else
        dc_engine_check(s->ops_blind, o->owner, vols, n, &touch, &opts, buf, DC__MAX_HITS, &found);
    out->total += found;
    add_hits(s, buf, found < DC__MAX_HITS ? found : DC__MAX_HITS, out);
}

int dc__decide_submission(dc_server *s, uint32_t who, int is_authority, const dc_volume *vols,
                          size_t n, const char *skip_id, dc__hits *out)
{
    dc__decide_opts o = {
        who, s->cfg.disclosure == DC_DISCLOSURE_EXACT || is_authority, skip_id, 0, 0, 0};
    double t0 = dc__mono_s();
    dc__decide(s, &o, vols, n, out);
    dc__metrics_check(s, dc__mono_s() - t0);
    return o.exact;
}

/* ---- suggest ---- */

static int approved_with(dc_server *s, const dc__decide_opts *base, const dc_volume *vols, size_t n,
                         int64_t dt_s, double dalt_m)
{
    dc__hits h;
    dc__decide_opts o = *base;
    o.dt_s = dt_s;
    o.dalt_m = dalt_m;
    o.first_only = 1;
    dc__decide(s, &o, vols, n, &h);
    return !h.total;
}

void dc__suggest(dc_server *s, const dc__decide_opts *o, const dc_volume *vols, size_t n,
                 int64_t now_s, dc__suggestion *out)
{
    int64_t step = s->cfg.time_step_s;
    memset(out, 0, sizeof *out);
    if (!n)
        return;
    int64_t start = vols[0].t_start_s;
    for (size_t i = 1; i < n; i++)
        if (vols[i].t_start_s < start)
            start = vols[i].t_start_s;
    for (int64_t dt = step; step > 0 && dt <= s->cfg.suggest_max_shift_s; dt += step) {
        for (int sign = 1; sign >= -1; sign -= 2) {
            if (sign < 0 && start - dt < now_s)
                continue; /* never suggest flying in the past */
            if (approved_with(s, o, vols, n, sign * dt, 0)) {
                out->kind = DC__SUGGEST_TIME;
                out->dt_s = sign * dt;
                return;
            }
        }
    }
    double lowest = vols[0].alt_lower_m;
    for (size_t i = 1; i < n; i++)
        if (vols[i].alt_lower_m < lowest)
            lowest = vols[i].alt_lower_m;
    for (int k = 1; k <= s->cfg.suggest_alt_steps; k++) {
        for (int sign = 1; sign >= -1; sign -= 2) {
            double dalt = sign * k * s->cfg.alt_step_m;
            if (lowest + dalt < 0 && dalt < 0)
                continue; /* not below the surface */
            if (approved_with(s, o, vols, n, 0, dalt)) {
                out->kind = DC__SUGGEST_ALTITUDE;
                out->dalt_m = dalt;
                return;
            }
        }
    }
}

/* ---- the one state change ---- */

dc_status dc__entry_change(dc_server *s, dc__entry *e, const dc__change *c)
{
    if (!dc__state_live(c->to))
        dc__entry_uninstall(s, e);
    e->state = c->to;
    e->version++;
    e->updated_s = dc__unix_s();
    if (c->note) {
        char *note = dc_strdup(c->note);
        if (note) {
            dc_free(e->note);
            e->note = note;
        }
    }
    return dc__journal_entry(s, e, c->actor, c->action, c->detail);
}

dc_status dc__entry_modify(dc_server *s, dc__entry *e, dc__candidate *c, int priority,
                           const char *name, const char *actor)
{
    char *new_name = name ? dc_strdup(name) : NULL;
    if (name && !new_name)
        return DC_ENOMEM;
    dc__entry_uninstall(s, e);
    int old_priority = e->priority;
    e->priority = priority;
    char *json = c->volumes_json;
    c->volumes_json = NULL;
    dc_status rc = dc__entry_install(s, e, c);
    if (rc != DC_OK) {
        /* Put the previous volumes back: they were installed a moment ago. */
        dc__candidate old = {0};
        json_t *arr = json_loads(e->volumes_json, 0, NULL);
        e->priority = old_priority;
        if (dc__candidate_parse(s, arr, 0, (size_t)-1, &old, NULL) == DC_OK)
            dc__entry_install(s, e, &old);
        dc__candidate_free(&old);
        json_decref(arr);
        dc_free(json);
        dc_free(new_name);
        return rc;
    }
    dc_free(e->volumes_json);
    e->volumes_json = json;
    if (new_name) {
        dc_free(e->name);
        e->name = new_name;
    }
    atomic_fetch_add(&s->m.approved, 1);
    dc__change ch = {e->state, NULL, actor, "modify",
                     json_pack("{s:s, s:i}", "operator", actor, "priority", priority)};
    dc__entry_change(s, e, &ch); /* a journal error shows at the commit */
    return DC_OK;
}

/* ---- new entries ---- */

dc_status dc__operation_approve(dc_server *s, dc__entry *e, uint32_t owner, int priority,
                                int preempt_lower, const char *action, dc__candidate *c,
                                const char *actor, json_t *preempted)
{
    if (preempt_lower) {
        dc__preempt(s, owner, c->vols, c->n, priority, NULL, 0, actor,
                    "preempted by a higher-priority authority operation", preempted);
        atomic_fetch_add(&s->m.overridden, 1);
    }
    e->owner = owner;
    e->priority = priority;
    e->state = DC__APPROVED;
    e->version = 1;
    e->created_s = e->updated_s = dc__unix_s();
    e->volumes_json = c->volumes_json;
    c->volumes_json = NULL;
    e->note = dc_strdup("");
    dc_status rc = dc__entry_insert(s, e, c);
    if (rc != DC_OK)
        return rc;
    atomic_fetch_add(&s->m.approved, 1);
    dc__journal_entry(s, e, actor, action,
                      json_pack("{s:s, s:i, s:O}", "operator", actor, "priority", priority,
                                "preempted", preempted));
    return DC_OK;
}

dc_status dc__restriction_create(dc_server *s, dc__entry *e, const char *name, uint32_t *exempt,
                                 size_t n_exempt, dc__candidate *c, const char *actor,
                                 json_t *preempted)
{
    e->is_restriction = 1;
    e->owner = DC_OWNER_NONE;
    e->priority = 100;
    e->state = DC__IN_FORCE;
    e->version = 1;
    e->exempt = exempt;
    e->n_exempt = n_exempt;
    e->note = dc_strdup(name);
    e->created_s = e->updated_s = dc__unix_s();
    e->volumes_json = c->volumes_json;
    c->volumes_json = NULL;
    /* Operations that the new restriction conflicts with are preempted; their
     * owners see the state and a reason that names no one. */
    dc__preempt(s, DC_OWNER_NONE, c->vols, c->n, INT_MAX, e->exempt, e->n_exempt, actor,
                "preempted: the airspace was restricted by the authority", preempted);
    dc_status rc = dc__entry_insert(s, e, c);
    if (rc != DC_OK)
        return rc;
    dc__journal_entry(s, e, actor, "restriction_create",
                      json_pack("{s:O}", "preempted", preempted));
    return DC_OK;
}

/* ---- the one preemption path ---- */

size_t dc__preempt(dc_server *s, uint32_t owner, const dc_volume *vols, size_t n,
                   int below_priority, const uint32_t *exempt, size_t n_exempt, const char *actor,
                   const char *reason, json_t *ids)
{
    dc__decide_opts o = {owner, 1, NULL, 0, 0, 0};
    dc__hits h;
    size_t count = 0;
    /* The hits hold entry pointers resolved before any preemption: preempting
     * removes an operation from the engine, which frees the id strings its
     * conflicts pointed to (the use-after-free found by fuzz_http). */
    dc__decide(s, &o, vols, n, &h);
    for (size_t i = 0; i < h.n; i++) {
        dc__entry *e = h.h[i].e;
        int is_exempt = 0;
        for (size_t k = 0; k < n_exempt; k++)
            is_exempt |= exempt[k] == e->owner;
        if (e->is_restriction || is_exempt || !dc__state_live(e->state) ||
            e->priority >= below_priority)
            continue;
        if (ids)
            json_array_append_new(ids, json_string(e->id));
        atomic_fetch_add(&s->m.preempted, 1);
        dc__change c = {DC__PREEMPTED, reason, actor, "preempt",
                        json_pack("{s:s}", "reason", reason)};
        dc__entry_change(s, e, &c);
        count++;
    }
    return count;
}
