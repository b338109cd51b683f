/* The /v1 API: operators and keys, operations and their lifecycle,
 * restrictions, notices and the audit log (docs/openapi.yaml). Each handler
 * validates its input outside the lock, then decides, changes memory and
 * journals the store writes with their audit records in one critical
 * section, and answers after the commit (dc__await). What an operator reads
 * is filtered here: another operator's operation is "not found", conflicts
 * and notices come only in blind form (notice envelopes, HMAC ids). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "server/server_int.h"


#define NAME_MAX_LEN 64


static json_t *time_json(int64_t t)
{
    char buf[32];
    dc_time_format(t, buf, sizeof buf);
    return json_string(buf);
}

/* tag + 2 * n_bytes random hex digits. */
static int new_id(const char *tag, size_t n_bytes, char *out, size_t len)
{
    char hex[33];
    if (n_bytes > 16 || dc__random_hex(hex, n_bytes))
        return -1;
    snprintf(out, len, "%s%s", tag, hex);
    return 0;
}

/* Takes mu for a state change: on a shared store, inside a decision window
 * (sync.c). Nonzero, with mu held, after answering 503. */
static int write_lock(dc__req *r)
{
    if (!dc__write_lock(r->s))
        return 0;
    dc__reply_error(r, 503, "store_unavailable", "", "the shared store is unreachable; retry");
    return 1;
}

/* ---- views ---- */

static json_t *operator_ref(dc_server *s, uint32_t number)
{
    dc__operator *o = dc__operator_get(s, number);
    if (!o)
        return json_null();
    return json_pack("{s:s, s:s}", "id", o->id, "name", o->name);
}

static json_t *exempt_ids(dc_server *s, const dc__entry *e)
{
    json_t *a = json_array();
    for (size_t i = 0; i < e->n_exempt; i++) {
        dc__operator *o = dc__operator_get(s, e->exempt[i]);
        if (o)
            json_array_append_new(a, json_string(o->id));
    }
    return a;
}

static json_t *entry_json(dc_server *s, const dc__entry *e, int for_authority)
{
    json_t *o = json_object();
    json_t *vols = json_loads(e->volumes_json, 0, NULL);
    json_object_set_new(o, "id", json_string(e->id));
    json_object_set_new(o, "version", json_integer(e->version));
    json_object_set_new(o, "state", json_string(dc__state_name(e->state)));
    if (e->is_restriction) {
        json_object_set_new(o, "name", json_string(e->note ? e->note : ""));
        json_object_set_new(o, "exempt", exempt_ids(s, e));
    } else {
        json_object_set_new(o, "priority", json_integer(e->priority));
        if (e->note && e->note[0])
            json_object_set_new(o, "reason", json_string(e->note));
        if (for_authority)
            json_object_set_new(o, "owner", operator_ref(s, e->owner));
    }
    json_object_set_new(o, "volumes", vols ? vols : json_array());
    json_object_set_new(o, "created", time_json(e->created_s));
    json_object_set_new(o, "updated", time_json(e->updated_s));
    return o;
}

static void set_etag(dc__req *r, const dc__entry *e)
{
    snprintf(r->etag, sizeof r->etag, "\"%lld\"", (long long)e->version);
}

/* One notice in blind form: what the requester may know of entry e's
 * volume v. */
static void notice_add(dc__req *r, dc__buf *b, const dc__entry *e, size_t v, int geojson)
{
    char id[40];
    const dc__notice *n = &e->notices[v];
    dc__notice_id(r->s, e->id, v, r->who_id, id);
    const char *kind = e->is_restriction ? "restriction" : "operation";
    if (geojson)
        dc__buf_fmt(b,
                    "{\"type\":\"Feature\",\"id\":\"%s\",\"geometry\":%s,\"properties\":"
                    "{\"kind\":\"%s\",%s}}",
                    id, n->geom, kind, n->props);
    else
        dc__buf_fmt(b, "{\"id\":\"%s\",\"kind\":\"%s\",\"footprint\":%s,%s}", id, kind, n->geom,
                    n->props);
}

static json_t *notice_json(dc__req *r, const dc__entry *e, size_t v)
{
    dc__buf b = {0};
    notice_add(r, &b, e, v, 0);
    json_t *j = b.oom ? NULL : json_loads(b.p, 0, NULL);
    dc__buf_free(&b);
    return j ? j : json_null();
}

/* ---- rejection: blind conflicts and a suggestion ---- */

static json_t *shifted_volumes(const dc__candidate *c, int64_t dt, double dalt)
{
    json_t *a = json_array();
    for (size_t i = 0; i < c->n; i++) {
        dc_volume v = c->vols[i];
        v.t_start_s += dt;
        v.t_end_s += dt;
        v.alt_lower_m += dalt;
        v.alt_upper_m += dalt;
        json_array_append_new(a, dc_json_from_volume(&v));
    }
    return a;
}

/* The smallest time shift (steps of time_step_s, later first on a tie) or
 * else the nearest altitude band that would be approved now; NULL if none. */
static json_t *suggest(dc__req *r, const dc__candidate *c, int exact, const char *skip)
{
    dc_server *s = r->s;
    dc__hits h;
    int64_t step = s->cfg.time_step_s, now = dc__unix_s();
    int64_t start = c->vols[0].t_start_s;
    for (size_t i = 1; i < c->n; i++)
        if (c->vols[i].t_start_s < start)
            start = c->vols[i].t_start_s;
    for (int64_t dt = step; dt <= s->cfg.suggest_max_shift_s; dt += step) {
        for (int sign = 1; sign >= -1; sign -= 2) {
            if (sign < 0 && start - dt < now)
                continue; /* never suggest flying in the past */
            dc__decide(s, r->who, exact, c->vols, c->n, skip, sign * dt, 0, 1, &h);
            if (!h.total)
                return json_pack("{s:s, s:I, s:o}", "kind", "time_shift", "time_shift_s",
                                 (json_int_t)(sign * dt), "volumes",
                                 shifted_volumes(c, sign * dt, 0));
        }
    }
    double lowest = c->vols[0].alt_lower_m;
    for (size_t i = 1; i < c->n; i++)
        if (c->vols[i].alt_lower_m < lowest)
            lowest = c->vols[i].alt_lower_m;
    for (int k = 1; k <= s->cfg.suggest_alt_steps; k++) {
        for (int sign = 1; sign >= -1; sign -= 2) {
            double dalt = sign * k * s->cfg.alt_step_m;
            if (lowest + dalt < 0 && dalt < 0)
                continue; /* not below the surface */
            dc__decide(s, r->who, exact, c->vols, c->n, skip, 0, dalt, 1, &h);
            if (!h.total)
                return json_pack("{s:s, s:f, s:o}", "kind", "altitude_shift", "altitude_shift_m",
                                 dalt, "volumes", shifted_volumes(c, 0, dalt));
        }
    }
    return NULL;
}

/* Under mu: rate limit of rejected submissions per operator (probing). */
static int probing_limited(dc__req *r)
{
    dc_server *s = r->s;
    dc__operator *o = dc__operator_get(s, r->who);
    if (!o || r->is_authority || !s->cfg.probe_limit)
        return 0;
    int64_t minute = dc__unix_s() / 60;
    if (o->probe_window_s != minute) {
        o->probe_window_s = minute;
        o->probe_rejections = 0;
    }
    return o->probe_rejections >= s->cfg.probe_limit;
}

/* Answers 429 and returns 1 when the caller is over its rejection budget. */
static int refuse_probing(dc__req *r)
{
    if (!probing_limited(r))
        return 0;
    dc__reply_error(r, 429, "too_many_rejections", "volumes",
                    "too many rejected submissions this minute; retry later");
    return 1;
}

/* Decides a candidate (exactly for the authority or in exact mode, against
 * notices otherwise) and records the check latency; returns the mode used. */
static int decide_timed(dc__req *r, uint32_t owner, const dc__candidate *c, const char *skip_id,
                        dc__hits *h)
{
    dc_server *s = r->s;
    int exact = s->cfg.disclosure == DC_DISCLOSURE_EXACT || r->is_authority;
    double t0 = dc__mono_s();
    dc__decide(s, owner, exact, c->vols, c->n, skip_id, 0, 0, 0, h);
    dc__metrics_check(s, dc__mono_s() - t0);
    return exact;
}

static void count_rejection(dc__req *r)
{
    dc_server *s = r->s;
    dc__operator *o = dc__operator_get(s, r->who);
    if (!o || r->is_authority)
        return;
    if (++o->probe_rejections == s->cfg.probe_limit) {
        atomic_fetch_add(&s->m.probing_limited, 1);
        dc__journal_audit(s, "system", "probing_suspected", o->id,
                          json_pack("{s:s, s:i}", "operator", o->id, "rejections_per_minute",
                                    (int)o->probe_rejections));
    }
}

static void reject(dc__req *r, const dc__candidate *c, const dc__hits *h, int exact,
                   const char *skip, const char *action)
{
    dc_server *s = r->s;
    json_t *conflicts = json_array(), *with = json_array();
    for (size_t i = 0; i < h->n; i++) {
        json_array_append_new(conflicts, notice_json(r, h->h[i].e, h->h[i].vol));
        json_array_append_new(with, json_string(h->h[i].e->id));
    }
    json_t *sugg = suggest(r, c, exact, skip);
    atomic_fetch_add(&s->m.rejected, 1);
    if (!exact) {
        dc__hits ex;
        dc__decide(s, r->who, 1, c->vols, c->n, skip, 0, 0, 1, &ex);
        if (!ex.total)
            atomic_fetch_add(&s->m.blind_only_rejections, 1);
    }
    dc__journal_audit(s, r->who_id, action, skip ? skip : "",
                      json_pack("{s:s, s:I, s:o}", "operator", r->who_id, "conflicts",
                                (json_int_t)h->total, "with", with));
    count_rejection(r);
    dc__limits_rejection(s, r, c->vols, c->n);
    char reason[128];
    snprintf(reason, sizeof reason, "conflicts with %zu notice%s", h->n, h->n == 1 ? "" : "s");
    dc__reply_json(r, 409,
                   json_pack("{s:s, s:s, s:s, s:o, s:o}", "error", "conflict", "field", "volumes",
                             "reason", reason, "conflicts", conflicts, "suggestion",
                             sugg ? sugg : json_null()));
    dc__await(r);
}

static void preempt(dc_server *s, dc__entry *e, const char *actor, const char *reason)
{
    dc__entry_uninstall(s, e);
    e->state = DC__PREEMPTED;
    e->version++;
    e->updated_s = dc__unix_s();
    dc_free(e->note);
    e->note = dc_strdup(reason);
    atomic_fetch_add(&s->m.preempted, 1);
    dc__journal_entry(s, e, actor, "preempt", json_pack("{s:s}", "reason", reason));
}

/* ---- body helpers ---- */

static int get_priority(dc__req *r, const json_t *body, int *out)
{
    json_t *p = json_object_get(body, "priority");
    if (!p)
        return 1;
    if (!json_is_integer(p) || json_integer_value(p) < 0 || json_integer_value(p) > 100) {
        dc__reply_error(r, 400, "invalid", "priority", "must be an integer from 0 to 100");
        return 0;
    }
    *out = (int)json_integer_value(p);
    return 1;
}

static int parse_candidate(dc__req *r, const json_t *body, int is_restriction, dc__candidate *c)
{
    dc_error err = {{0}, {0}};
    dc_status rc = dc__candidate_parse(r->s, json_object_get(body, "volumes"), is_restriction,
                                       r->s->cfg.max_volumes, c, &err);
    if (rc != DC_OK) {
        dc__reply_status(r, rc, &err);
        return 0;
    }
    return 1;
}

/* ---- operations ---- */

static void h_op_submit(dc__req *r, const char *unused)
{
    (void)unused;
    dc_server *s = r->s;
    int priority = 0, override = 0;
    dc__candidate c = {0};
    json_t *body = dc__req_json(r);
    if (!body)
        return;
    json_t *ov = json_object_get(body, "override");
    if (!get_priority(r, body, &priority))
        goto out;
    if (ov && !json_is_boolean(ov)) {
        dc__reply_error(r, 400, "invalid", "override", "must be true or false");
        goto out;
    }
    override = ov && json_is_true(ov);
    if (override && !r->is_authority) {
        dc__reply_error(r, 403, "forbidden", "override", "only the authority may override");
        goto out;
    }
    if (!parse_candidate(r, body, 0, &c))
        goto out;

    if (write_lock(r))
        goto unlock;
    if (refuse_probing(r))
        goto unlock;
    dc__hits h;
    int exact = decide_timed(r, r->who, &c, NULL, &h);
    if (h.total && !override) {
        reject(r, &c, &h, exact, NULL, "reject");
        goto unlock;
    }
    char id[32];
    dc__entry *e = NULL;
    if (new_id("op_", 10, id, sizeof id) || !(e = dc__entry_new(id))) {
        dc__reply_error(r, 500, "internal", "", "cannot allocate an id");
        goto unlock;
    }
    json_t *preempted = json_array();
    if (override && h.total) {
        dc__hits ex;
        dc__decide(s, r->who, 1, c.vols, c.n, NULL, 0, 0, 0, &ex);
        for (size_t i = 0; i < ex.n; i++) {
            dc__entry *o = ex.h[i].e;
            if (!o->is_restriction && dc__state_live(o->state) && o->priority < priority) {
                json_array_append_new(preempted, json_string(o->id));
                preempt(s, o, r->who_id, "preempted by a higher-priority authority operation");
            }
        }
        atomic_fetch_add(&s->m.overridden, 1);
    }
    e->owner = r->who;
    e->priority = priority;
    e->state = DC__APPROVED;
    e->version = 1;
    e->created_s = e->updated_s = dc__unix_s();
    e->volumes_json = c.volumes_json;
    c.volumes_json = NULL;
    e->note = dc_strdup("");
    dc_status rc = dc__entry_install(s, e, &c);
    if (rc == DC_OK && (rc = dc__entry_add(s, e)) != DC_OK)
        dc__entry_uninstall(s, e);
    if (rc != DC_OK) {
        dc__entry_free(e);
        json_decref(preempted);
        dc__reply_status(r, rc, NULL);
        goto unlock;
    }
    atomic_fetch_add(&s->m.approved, 1);
    dc__journal_entry(s, e, r->who_id, override ? "override" : "approve",
                      json_pack("{s:s, s:i, s:O}", "operator", r->who_id, "priority", priority,
                                "preempted", preempted));
    json_t *resp = entry_json(s, e, r->is_authority);
    if (r->is_authority)
        json_object_set(resp, "preempted", preempted);
    json_decref(preempted);
    set_etag(r, e);
    dc__reply_json(r, 201, resp);
    dc__await(r);
unlock:
    pthread_mutex_unlock(&s->mu);
out:
    dc__candidate_free(&c);
    json_decref(body);
}

/* Under mu: the operation or restriction id as the caller may see it, or
 * NULL after a 404 (never 403: existence is not disclosed). */
static dc__entry *visible(dc__req *r, const char *id, int restriction)
{
    dc__entry *e = dc__entry_get(r->s, id);
    if (!e && r->s->shared && !r->s->window_open) {
        /* Created on another instance a moment ago? (In a window memory is
         * already caught up.) */
        pthread_mutex_unlock(&r->s->mu);
        dc__sync_catch_up(r->s);
        pthread_mutex_lock(&r->s->mu);
        e = dc__entry_get(r->s, id);
    }
    if (!e || e->is_restriction != restriction ||
        (!restriction && !r->is_authority && e->owner != r->who)) {
        dc__reply_error(r, 404, "not_found", "id",
                        restriction ? "no such restriction" : "no such operation");
        return NULL;
    }
    return e;
}

static dc__entry *visible_op(dc__req *r, const char *id)
{
    return visible(r, id, 0);
}

static void get_entry(dc__req *r, const char *id, int restriction)
{
    pthread_mutex_lock(&r->s->mu);
    dc__entry *e = visible(r, id, restriction);
    if (e) {
        set_etag(r, e);
        dc__reply_json(r, 200, entry_json(r->s, e, r->is_authority));
    }
    pthread_mutex_unlock(&r->s->mu);
}

static void h_op_get(dc__req *r, const char *id)
{
    get_entry(r, id, 0);
}

static void h_op_list(dc__req *r, const char *unused)
{
    (void)unused;
    dc_server *s = r->s;
    const char *st = dc__req_arg(r, "state");
    dc__state want = DC__APPROVED;
    if (st && (dc__state_parse(st, &want) || want >= DC__IN_FORCE)) {
        dc__reply_error(r, 400, "invalid", "state", "unknown operation state");
        return;
    }
    json_t *a = json_array();
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < s->n_entries; i++) {
        dc__entry *e = s->entries[i];
        if (e->is_restriction || (!r->is_authority && e->owner != r->who) ||
            (st && e->state != want))
            continue;
        json_array_append_new(a, entry_json(s, e, r->is_authority));
    }
    pthread_mutex_unlock(&s->mu);
    dc__reply_json(r, 200, json_pack("{s:o}", "operations", a));
}

/* If-Match: "<version>", <version> or W/"<version>"; -1 when absent. */
static int64_t if_match(dc__req *r, int *bad)
{
    const char *h = dc__req_header(r, MHD_HTTP_HEADER_IF_MATCH);
    *bad = 0;
    if (!h)
        return -1;
    if (!strncmp(h, "W/", 2))
        h += 2;
    if (*h == '"')
        h++;
    char *end;
    long long v = strtoll(h, &end, 10);
    if (end == h || (*end && strcmp(end, "\"")) || v < 0) {
        *bad = 1;
        return -1;
    }
    return v;
}

static void h_op_modify(dc__req *r, const char *id)
{
    dc_server *s = r->s;
    dc__candidate c = {0};
    int bad;
    int64_t want = if_match(r, &bad);
    json_t *body = NULL;
    if (bad) {
        dc__reply_error(r, 400, "invalid", "If-Match", "must be the operation's version");
        return;
    }
    if (want < 0) {
        dc__reply_error(r, 428, "precondition_required", "If-Match",
                        "send the version you last saw in If-Match");
        return;
    }
    if (!(body = dc__req_json(r)))
        return;
    pthread_mutex_lock(&s->mu);
    dc__entry *e = visible_op(r, id);
    int priority = e ? e->priority : 0;
    pthread_mutex_unlock(&s->mu);
    if (!e || !get_priority(r, body, &priority) || !parse_candidate(r, body, 0, &c))
        goto out;

    if (write_lock(r) || !(e = visible_op(r, id)))
        goto unlock;
    if (e->version != want) {
        dc__reply_error(r, 412, "stale_version", "If-Match",
                        "the operation has changed; fetch it and retry");
        set_etag(r, e);
        goto unlock;
    }
    if (e->state != DC__APPROVED && e->state != DC__ACTIVE && e->state != DC__NONCONFORMING) {
        dc__reply_error(r, 409, "invalid_state", "state", "only a live operation can be modified");
        goto unlock;
    }
    if (refuse_probing(r))
        goto unlock;
    dc__hits h;
    int exact = decide_timed(r, e->owner, &c, e->id, &h);
    if (h.total) {
        reject(r, &c, &h, exact, e->id, "reject_modification");
        goto unlock;
    }
    dc__entry_uninstall(s, e);
    int old_priority = e->priority;
    e->priority = priority;
    char *json = c.volumes_json;
    c.volumes_json = NULL;
    dc_status rc = dc__entry_install(s, e, &c);
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
        dc__reply_status(r, rc, NULL);
        goto unlock;
    }
    dc_free(e->volumes_json);
    e->volumes_json = json;
    e->version++;
    e->updated_s = dc__unix_s();
    atomic_fetch_add(&s->m.approved, 1);
    dc__journal_entry(s, e, r->who_id, "modify",
                      json_pack("{s:s, s:i}", "operator", r->who_id, "priority", priority));
    set_etag(r, e);
    dc__reply_json(r, 200, entry_json(s, e, r->is_authority));
    dc__await(r);
unlock:
    pthread_mutex_unlock(&s->mu);
out:
    dc__candidate_free(&c);
    json_decref(body);
}

/* A lifecycle step: allowed is a bit mask of source states. */
static void transition(dc__req *r, const char *id, unsigned allowed, dc__state to,
                       const char *action)
{
    dc_server *s = r->s;
    int bad;
    int64_t want = if_match(r, &bad);
    if (bad) {
        dc__reply_error(r, 400, "invalid", "If-Match", "must be the operation's version");
        return;
    }
    dc__entry *e = NULL;
    if (write_lock(r) || !(e = visible_op(r, id)))
        goto unlock;
    if (want >= 0 && e->version != want) {
        dc__reply_error(r, 412, "stale_version", "If-Match",
                        "the operation has changed; fetch it and retry");
        set_etag(r, e);
        goto unlock;
    }
    if (!(allowed & (1u << e->state))) {
        char reason[96];
        snprintf(reason, sizeof reason, "not allowed from state %s", dc__state_name(e->state));
        dc__reply_error(r, 409, "invalid_state", "state", reason);
        goto unlock;
    }
    if (!dc__state_live(to))
        dc__entry_uninstall(s, e);
    e->state = to;
    e->version++;
    e->updated_s = dc__unix_s();
    dc__journal_entry(s, e, r->who_id, action, json_pack("{s:s}", "operator", r->who_id));
    set_etag(r, e);
    dc__reply_json(r, 200, entry_json(s, e, r->is_authority));
    dc__await(r);
unlock:
    pthread_mutex_unlock(&s->mu);
}

#define LIVE_MASK ((1u << DC__APPROVED) | (1u << DC__ACTIVE) | (1u << DC__NONCONFORMING))

static void h_op_withdraw(dc__req *r, const char *id)
{
    transition(r, id, LIVE_MASK, DC__WITHDRAWN, "withdraw");
}

static void h_op_activate(dc__req *r, const char *id)
{
    transition(r, id, 1u << DC__APPROVED, DC__ACTIVE, "activate");
}

static void h_op_end(dc__req *r, const char *id)
{
    transition(r, id, LIVE_MASK, DC__ENDED, "end");
}

/* ---- operators and keys ---- */

static int valid_name(const char *n)
{
    size_t len = strlen(n);
    if (len == 0 || len > NAME_MAX_LEN)
        return 0;
    for (; *n; n++)
        if (!((*n >= 'a' && *n <= 'z') || (*n >= 'A' && *n <= 'Z') || (*n >= '0' && *n <= '9') ||
              *n == '_' || *n == '-' || *n == '.'))
            return 0;
    return 1;
}

/* Under mu: issues a key for o, journaling it. */
static dc_status issue_key(dc__req *r, dc__operator *o, char *key, size_t key_len)
{
    dc_server *s = r->s;
    dc__key *k = dc_calloc(1, sizeof *k);
    dc__write *w = dc__write_new(DC__W_KEY);
    dc_status rc = DC_ENOMEM;
    if (!k || !w || (rc = dc__key_make(o->number, dc__unix_s(), k, key, key_len)) != DC_OK ||
        (rc = dc__key_insert(s, k)) != DC_OK) {
        dc_free(k);
        dc__write_free(w);
        return rc;
    }
    w->u.k = (dc_store_key){.prefix = k->prefix, .operator_number = k->operator_number,
                            .created_s = k->created_s};
    memcpy(w->u.k.salt, k->salt, 16);
    memcpy(w->u.k.hash, k->hash, 32);
    if (!(w->strs[0] = dc_strdup(k->prefix))) {
        dc__write_free(w);
        return DC_ENOMEM;
    }
    w->u.k.prefix = w->strs[0];
    dc__journal_push(s, w);
    return dc__journal_audit(s, r->who_id, "key_issue", o->id,
                             json_pack("{s:s, s:s}", "operator", o->id, "key_prefix", k->prefix));
}

static void h_operator_create(dc__req *r, const char *unused)
{
    (void)unused;
    dc_server *s = r->s;
    json_t *body = dc__req_json(r);
    if (!body)
        return;
    const char *name = json_string_value(json_object_get(body, "name"));
    if (!name || !valid_name(name)) {
        dc__reply_error(r, 400, "invalid", "name",
                        "must be 1..64 characters of letters, digits, '_', '-' or '.'");
        json_decref(body);
        return;
    }
    char key[80];
    dc__operator *o = NULL, **ops = NULL;
    dc__write *w = NULL;
    if (write_lock(r))
        goto unlock;
    if (dc__operator_by_name(s, name)) {
        dc__reply_error(r, 409, "exists", "name", "an operator with this name exists");
        goto unlock;
    }
    if (!(o = dc_calloc(1, sizeof *o)) || !(o->name = dc_strdup(name)) ||
        !(ops = dc_realloc(s->operators, (s->n_operators + 1) * sizeof *ops)) ||
        !(w = dc__write_new(DC__W_OPERATOR)) || new_id("opr_", 8, o->id, sizeof o->id)) {
        if (ops)
            s->operators = ops;
        if (o)
            dc_free(o->name);
        dc_free(o);
        dc__write_free(w);
        dc__reply_error(r, 500, "internal", "", "out of memory");
        goto unlock;
    }
    s->operators = ops;
    o->number = (uint32_t)s->n_operators + 1;
    o->created_s = dc__unix_s();
    s->operators[s->n_operators++] = o;
    w->strs[0] = dc_strdup(o->id);
    w->strs[1] = dc_strdup(o->name);
    w->u.o = (dc_store_operator){o->number, w->strs[0], w->strs[1], 0, o->created_s};
    dc__journal_push(s, w);
    dc__journal_audit(s, r->who_id, "operator_create", o->id,
                      json_pack("{s:s, s:s}", "id", o->id, "name", o->name));
    if (issue_key(r, o, key, sizeof key) != DC_OK) {
        dc__reply_error(r, 500, "internal", "", "cannot issue a key");
        dc__await(r);
        goto unlock;
    }
    dc__reply_json(r, 201, json_pack("{s:s, s:s, s:s}", "id", o->id, "name", o->name, "api_key", key));
    dc__await(r);
unlock:
    pthread_mutex_unlock(&s->mu);
    json_decref(body);
}

static void h_operator_list(dc__req *r, const char *unused)
{
    (void)unused;
    dc_server *s = r->s;
    json_t *a = json_array();
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < s->n_operators; i++) {
        dc__operator *o = s->operators[i];
        if (o)
            json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:o}", "id", o->id, "name",
                                               o->name, "role",
                                               o->is_authority ? "authority" : "operator",
                                               "created", time_json(o->created_s)));
    }
    pthread_mutex_unlock(&s->mu);
    dc__reply_json(r, 200, json_pack("{s:o}", "operators", a));
}

static void h_key_rotate(dc__req *r, const char *id)
{
    dc_server *s = r->s;
    char key[80];
    dc__operator *o = NULL;
    if (write_lock(r))
        goto unlock;
    o = dc__operator_by_id(s, id);
    if (!o || (!r->is_authority && o->number != r->who)) {
        dc__reply_error(r, 404, "not_found", "id", "no such operator");
        goto unlock;
    }
    /* Revoke first: the old keys stop working at once, in memory. */
    for (size_t i = 0; i < s->n_keys; i++) {
        dc__key *k = s->key_list[i];
        if (k->operator_number != o->number || k->revoked)
            continue;
        k->revoked = 1;
        dc__write *w = dc__write_new(DC__W_KEY);
        if (!w || !(w->strs[0] = dc_strdup(k->prefix))) {
            dc__write_free(w);
            continue;
        }
        w->u.k = (dc_store_key){.prefix = w->strs[0], .operator_number = k->operator_number,
                                .revoked = 1, .created_s = k->created_s};
        memcpy(w->u.k.salt, k->salt, 16);
        memcpy(w->u.k.hash, k->hash, 32);
        dc__journal_push(s, w);
        dc__journal_audit(s, r->who_id, "key_revoke", o->id,
                          json_pack("{s:s, s:s}", "operator", o->id, "key_prefix", k->prefix));
    }
    if (issue_key(r, o, key, sizeof key) != DC_OK) {
        dc__reply_error(r, 500, "internal", "", "cannot issue a key");
        dc__await(r);
        goto unlock;
    }
    dc__reply_json(r, 201, json_pack("{s:s, s:s}", "id", o->id, "api_key", key));
    dc__await(r);
unlock:
    pthread_mutex_unlock(&s->mu);
}

/* ---- restrictions ---- */

static void h_rs_create(dc__req *r, const char *unused)
{
    (void)unused;
    dc_server *s = r->s;
    dc__candidate c = {0};
    uint32_t *exempt = NULL;
    size_t n_exempt = 0;
    json_t *body = dc__req_json(r);
    if (!body)
        return;
    json_t *jn = json_object_get(body, "name"), *jx = json_object_get(body, "exempt");
    if (jn && (!json_is_string(jn) || json_string_length(jn) > 200)) {
        dc__reply_error(r, 400, "invalid", "name", "must be a string of at most 200 characters");
        goto out;
    }
    if (jx && !json_is_array(jx)) {
        dc__reply_error(r, 400, "invalid", "exempt", "must be an array of operator ids");
        goto out;
    }
    if (!parse_candidate(r, body, 1, &c))
        goto out;
    exempt = dc_calloc(json_array_size(jx) + 1, sizeof *exempt);
    if (!exempt) {
        dc__reply_error(r, 500, "internal", "", "out of memory");
        goto out;
    }
    if (write_lock(r))
        goto unlock;
    for (size_t i = 0; i < json_array_size(jx); i++) {
        const char *oid = json_string_value(json_array_get(jx, i));
        dc__operator *o = oid ? dc__operator_by_id(s, oid) : NULL;
        if (!o) {
            char field[40];
            snprintf(field, sizeof field, "exempt[%zu]", i);
            dc__reply_error(r, 400, "invalid", field, "unknown operator id");
            goto unlock;
        }
        exempt[n_exempt++] = o->number;
    }
    char id[32];
    dc__entry *e = NULL;
    if (new_id("rs_", 10, id, sizeof id) || !(e = dc__entry_new(id))) {
        dc__reply_error(r, 500, "internal", "", "cannot allocate an id");
        goto unlock;
    }
    e->is_restriction = 1;
    e->owner = DC_OWNER_NONE;
    e->priority = 100;
    e->state = DC__IN_FORCE;
    e->version = 1;
    e->exempt = exempt;
    e->n_exempt = n_exempt;
    exempt = NULL;
    e->note = dc_strdup(jn ? json_string_value(jn) : "");
    e->created_s = e->updated_s = dc__unix_s();
    e->volumes_json = c.volumes_json;
    c.volumes_json = NULL;
    /* Operations that the new restriction conflicts with are preempted; their
     * owners see the state and a reason that names no one. */
    json_t *preempted = json_array();
    dc_conflict buf[DC__MAX_HITS];
    size_t found = 0;
    dc_engine_check(s->ops_exact, DC_OWNER_NONE, c.vols, c.n, &s->cfg.params, NULL, buf,
                    DC__MAX_HITS, &found);
    /* Resolve every hit before preempting any: preempting removes the
     * operation from the engine, which frees the with_id strings that later
     * hits of the same operation still point to (found by fuzz_http). */
    dc__entry *hit[DC__MAX_HITS];
    for (size_t i = 0; i < found && i < DC__MAX_HITS; i++)
        hit[i] = dc__entry_get(s, buf[i].with_id);
    for (size_t i = 0; i < found && i < DC__MAX_HITS; i++) {
        dc__entry *o = hit[i];
        int is_exempt = 0;
        for (size_t k = 0; o && k < e->n_exempt; k++)
            is_exempt |= e->exempt[k] == o->owner;
        if (!o || is_exempt || !dc__state_live(o->state))
            continue;
        json_array_append_new(preempted, json_string(o->id));
        preempt(s, o, r->who_id, "preempted: the airspace was restricted by the authority");
    }
    dc_status rc = dc__entry_install(s, e, &c);
    if (rc == DC_OK && (rc = dc__entry_add(s, e)) != DC_OK)
        dc__entry_uninstall(s, e);
    if (rc != DC_OK) {
        dc__entry_free(e);
        json_decref(preempted);
        dc__reply_status(r, rc, NULL);
        dc__await(r); /* the preemptions above are journaled */
        goto unlock;
    }
    dc__journal_entry(s, e, r->who_id, "restriction_create",
                      json_pack("{s:O}", "preempted", preempted));
    json_t *resp = entry_json(s, e, 1);
    json_object_set_new(resp, "preempted", preempted);
    set_etag(r, e);
    dc__reply_json(r, 201, resp);
    dc__await(r);
unlock:
    pthread_mutex_unlock(&s->mu);
out:
    dc_free(exempt);
    dc__candidate_free(&c);
    json_decref(body);
}

static void h_rs_list(dc__req *r, const char *unused)
{
    (void)unused;
    dc_server *s = r->s;
    json_t *a = json_array();
    int all = dc__req_arg(r, "all") != NULL;
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < s->n_entries; i++) {
        dc__entry *e = s->entries[i];
        if (e->is_restriction && (all || e->state == DC__IN_FORCE))
            json_array_append_new(a, entry_json(s, e, 1));
    }
    pthread_mutex_unlock(&s->mu);
    dc__reply_json(r, 200, json_pack("{s:o}", "restrictions", a));
}

static void h_rs_get(dc__req *r, const char *id)
{
    get_entry(r, id, 1);
}

static void h_rs_delete(dc__req *r, const char *id)
{
    dc_server *s = r->s;
    dc__entry *e = write_lock(r) ? NULL : visible(r, id, 1);
    if (e && e->state != DC__IN_FORCE) {
        dc__reply_error(r, 409, "invalid_state", "state", "the restriction is already deleted");
    } else if (e) {
        dc__entry_uninstall(s, e);
        e->state = DC__DELETED;
        e->version++;
        e->updated_s = dc__unix_s();
        dc__journal_entry(s, e, r->who_id, "restriction_delete", NULL);
        dc__reply_json(r, 200, entry_json(s, e, 1));
        dc__await(r);
    }
    pthread_mutex_unlock(&s->mu);
}

/* ---- notices ---- */

typedef struct notice_ctx {
    dc__req *r;
    dc__buf *b;
    const dc_query_box *box;
    int geojson;
    size_t n;
} notice_ctx;

static int overlaps(const dc__notice *n, const dc_query_box *q)
{
    return n->lat_min <= q->lat_max && n->lat_max >= q->lat_min && n->lon_min <= q->lon_max &&
           n->lon_max >= q->lon_min && n->t_start_s < q->t_to_s && n->t_end_s > q->t_from_s;
}

static int notice_visit(void *ctx, const dc_entry_spec *spec, const dc_volume *vols, size_t n)
{
    (void)vols;
    notice_ctx *nc = ctx;
    dc__entry *e = dc__entry_get(nc->r->s, spec->id);
    if (!e || !e->notices || (!e->is_restriction && e->owner == nc->r->who))
        return 0;
    for (size_t k = 0; k < e->n_exempt; k++)
        if (e->exempt[k] == nc->r->who)
            return 0;
    for (size_t v = 0; v < n && v < e->n_vols; v++) {
        if (!overlaps(&e->notices[v], nc->box))
            continue;
        if (nc->n++)
            dc__buf_str(nc->b, ",");
        notice_add(nc->r, nc->b, e, v, nc->geojson);
    }
    return 0;
}

static int parse_bbox(const char *txt, dc_query_box *q)
{
    double v[4];
    const char *p = txt;
    for (int i = 0; i < 4; i++) {
        char *end;
        v[i] = strtod(p, &end);
        if (end == p || (i < 3 && *end != ',') || (i == 3 && *end))
            return -1;
        p = end + 1;
    }
    if (!(v[0] >= -180 && v[2] <= 180 && v[1] >= -90 && v[3] <= 90 && v[0] <= v[2] && v[1] <= v[3]))
        return -1;
    q->lon_min = v[0];
    q->lat_min = v[1];
    q->lon_max = v[2];
    q->lat_max = v[3];
    return 0;
}

static void h_notices(dc__req *r, const char *unused)
{
    (void)unused;
    dc_server *s = r->s;
    dc_query_box q;
    const char *bbox = dc__req_arg(r, "bbox"), *from = dc__req_arg(r, "from"),
               *to = dc__req_arg(r, "to"), *accept = dc__req_header(r, "Accept");
    if (!bbox || parse_bbox(bbox, &q)) {
        dc__reply_error(r, 400, "invalid", "bbox",
                        "must be minlon,minlat,maxlon,maxlat in degrees with min <= max");
        return;
    }
    q.t_from_s = dc__unix_s();
    if (from && dc_time_parse(from, 0, &q.t_from_s) != DC_OK) {
        dc__reply_error(r, 400, "invalid", "from", "must be an RFC 3339 time");
        return;
    }
    q.t_to_s = q.t_from_s + 24 * 3600;
    if (to && dc_time_parse(to, 1, &q.t_to_s) != DC_OK) {
        dc__reply_error(r, 400, "invalid", "to", "must be an RFC 3339 time");
        return;
    }
    if (q.t_to_s <= q.t_from_s) {
        dc__reply_error(r, 400, "invalid", "to", "must be later than from");
        return;
    }
    int geojson = accept && strstr(accept, "application/geo+json");
    dc__buf b = {0};
    notice_ctx nc = {r, &b, &q, geojson, 0};
    dc__buf_str(&b, geojson ? "{\"type\":\"FeatureCollection\",\"features\":[" : "{\"notices\":[");
    pthread_mutex_lock(&s->mu);
    dc_engine_visit(s->ops_blind, &q, notice_visit, &nc);
    dc_engine_visit(s->restr, &q, notice_visit, &nc);
    pthread_mutex_unlock(&s->mu);
    dc__buf_str(&b, "]}");
    dc__reply_buf(r, 200, geojson ? "application/geo+json" : "application/json", &b);
}

/* ---- audit, health, metrics ---- */

typedef struct audit_ctx {
    json_t *a;
    int64_t last;
} audit_ctx;

static int audit_visit(void *ctx, const dc_audit_record *rec)
{
    audit_ctx *ac = ctx;
    char hex[65];
    dc__hex(rec->hash, 32, hex);
    json_t *entry = json_loadb(rec->entry, rec->entry_len, 0, NULL);
    json_array_append_new(ac->a, json_pack("{s:I, s:o, s:s}", "seq", (json_int_t)rec->seq,
                                           "entry", entry ? entry : json_null(), "hash", hex));
    ac->last = rec->seq;
    return 0;
}

static void h_audit(dc__req *r, const char *unused)
{
    (void)unused;
    const char *after = dc__req_arg(r, "after"), *limit = dc__req_arg(r, "limit");
    char *end;
    long long a = 0, l = 100;
    if (after && ((a = strtoll(after, &end, 10)) < 0 || *end || end == after)) {
        dc__reply_error(r, 400, "invalid", "after", "must be a sequence number >= 0");
        return;
    }
    if (limit && ((l = strtoll(limit, &end, 10)) < 1 || l > 1000 || *end || end == limit)) {
        dc__reply_error(r, 400, "invalid", "limit", "must be 1..1000");
        return;
    }
    audit_ctx ac = {json_array(), 0};
    dc_status rc = dc_store_audit_each(r->s->store, a, (size_t)l,
                                                             audit_visit, &ac);
    if (rc != DC_OK) {
        json_decref(ac.a);
        dc__reply_status(r, rc, NULL);
        return;
    }
    json_t *next = (json_int_t)json_array_size(ac.a) == l ? json_integer(ac.last) : json_null();
    dc__reply_json(r, 200, json_pack("{s:o, s:o}", "entries", ac.a, "next_after", next));
}

static void h_healthz(dc__req *r, const char *unused)
{
    (void)unused;
    if (r->s->failed)
        dc__reply_error(r, 503, "store_unavailable", "", "the store is unavailable");
    else
        dc__reply_json(r, 200, json_pack("{s:s}", "status", "ok"));
}

static void h_metrics(dc__req *r, const char *unused)
{
    (void)unused;
    dc__buf b = {0};
    dc__metrics_render(r->s, &b);
    dc__reply_buf(r, 200, "text/plain; version=0.0.4", &b);
}

const dc__route dc__routes[] = {
    {"GET", "/healthz", DC__ROLE_NONE, h_healthz},
    {"GET", "/metrics", DC__ROLE_AUTHORITY, h_metrics},
    {"POST", "/v1/operators", DC__ROLE_AUTHORITY, h_operator_create},
    {"GET", "/v1/operators", DC__ROLE_AUTHORITY, h_operator_list},
    {"POST", "/v1/operators/{id}/keys", DC__ROLE_ANY, h_key_rotate},
    {"POST", "/v1/operations", DC__ROLE_ANY, h_op_submit},
    {"GET", "/v1/operations", DC__ROLE_ANY, h_op_list},
    {"GET", "/v1/operations/{id}", DC__ROLE_ANY, h_op_get},
    {"PUT", "/v1/operations/{id}", DC__ROLE_ANY, h_op_modify},
    {"DELETE", "/v1/operations/{id}", DC__ROLE_ANY, h_op_withdraw},
    {"POST", "/v1/operations/{id}/activate", DC__ROLE_ANY, h_op_activate},
    {"POST", "/v1/operations/{id}/end", DC__ROLE_ANY, h_op_end},
    {"POST", "/v1/restrictions", DC__ROLE_AUTHORITY, h_rs_create},
    {"GET", "/v1/restrictions", DC__ROLE_AUTHORITY, h_rs_list},
    {"GET", "/v1/restrictions/{id}", DC__ROLE_AUTHORITY, h_rs_get},
    {"DELETE", "/v1/restrictions/{id}", DC__ROLE_AUTHORITY, h_rs_delete},
    {"GET", "/v1/notices", DC__ROLE_ANY, h_notices},
    {"GET", "/v1/audit", DC__ROLE_AUTHORITY, h_audit},
    {"POST", "/v1/tracks", DC__ROLE_ANY, dc__h_tracks_post},
    {"GET", "/v1/tracks", DC__ROLE_ANY, dc__h_tracks_list},
    {"GET", "/v1/alerts", DC__ROLE_ANY, dc__h_alerts_list},
    {"GET", "/v1/alerts/stream", DC__ROLE_ANY, dc__h_alerts_stream},
};
const size_t dc__n_routes = sizeof dc__routes / sizeof dc__routes[0];
