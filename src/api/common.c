/* What the resource files share: ids, the entry and notice views (what an
 * operator may see of an entry: blind notices with per-requester ids, never
 * another operator's identity), visibility (another operator's operation is
 * "not found"), request body helpers, the rejection answer (blind
 * conflicts, the airspace's suggestion, probing accounting, the rejected
 * party's own record) and the receipts in decision answers. */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"

json_t *dc__api_time_json(int64_t t)
{
    char buf[32];
    dc_time_format(t, buf, sizeof buf);
    return json_string(buf);
}

/* tag + 2 * n_bytes random hex digits. */
int dc__api_new_id(const char *tag, size_t n_bytes, char *out, size_t len)
{
    char hex[33];
    if (n_bytes > 16 || dc__random_hex(hex, n_bytes))
        return -1;
    snprintf(out, len, "%s%s", tag, hex);
    return 0;
}

/* Takes mu for a state change: on a shared store, inside a decision window
 * (airspace/decision_window.c). Nonzero, with mu held, after answering 503. */
int dc__api_write_lock(dc__req *r)
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

json_t *dc__api_entry_json(dc_server *s, const dc__entry *e, int for_authority)
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
        /* Only ever rendered for the owner or the authority (visibility). */
        json_object_set_new(o, "name", json_string(e->name ? e->name : ""));
        json_object_set_new(o, "priority", json_integer(e->priority));
        if (e->note && e->note[0])
            json_object_set_new(o, "reason", json_string(e->note));
        if (for_authority)
            json_object_set_new(o, "owner", operator_ref(s, e->owner));
        if (e->n_mode_s) {
            json_t *ms = json_array();
            for (size_t i = 0; i < e->n_mode_s; i++)
                json_array_append_new(ms, json_sprintf("%06X", e->mode_s[i]));
            json_object_set_new(o, "mode_s", ms);
        }
    }
    json_object_set_new(o, "volumes", vols ? vols : json_array());
    json_object_set_new(o, "created", dc__api_time_json(e->created_s));
    json_object_set_new(o, "updated", dc__api_time_json(e->updated_s));
    return o;
}

void dc__api_set_etag(dc__req *r, const dc__entry *e)
{
    snprintf(r->etag, sizeof r->etag, "\"%lld\"", (long long)e->version);
}

/* One notice in blind form: what the requester may know of entry e's
 * volume v. */
static json_t *notice_json(dc__req *r, const dc__entry *e, size_t v)
{
    dc__buf b = {0};
    dc__notice_render(r->s, e, v, r->who_id, 0, &b);
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

/* The airspace's suggestion for c, rendered; NULL if none. */
static json_t *suggest(dc__req *r, const dc__candidate *c, int exact, const char *skip)
{
    dc__decide_opts o = {r->who, exact, skip, 0, 0, 0};
    dc__suggestion sg;
    dc__suggest(r->s, &o, c->vols, c->n, dc__unix_s(), &sg);
    if (sg.kind == DC__SUGGEST_TIME)
        return json_pack("{s:s, s:I, s:o}", "kind", "time_shift", "time_shift_s",
                         (json_int_t)sg.dt_s, "volumes", shifted_volumes(c, sg.dt_s, 0));
    if (sg.kind == DC__SUGGEST_ALTITUDE)
        return json_pack("{s:s, s:f, s:o}", "kind", "altitude_shift", "altitude_shift_m", sg.dalt_m,
                         "volumes", shifted_volumes(c, 0, sg.dalt_m));
    return NULL;
}

int dc__api_refuse_probing(dc__req *r)
{
    if (!dc__probing_refused(r->s, r->who, r->is_authority))
        return 0;
    dc__reply_error(r, 429, "too_many_rejections", "volumes",
                    "too many rejected submissions this minute; retry later");
    return 1;
}

static int by_notice_id(const void *x, const void *y)
{
    const char *a = json_string_value(json_object_get(*(json_t *const *)x, "id"));
    const char *b = json_string_value(json_object_get(*(json_t *const *)y, "id"));
    return strcmp(a ? a : "", b ? b : "");
}

/* The rejected party's own record: the digest of the volumes it sent (as
 * the server read them), the decision, and the notice ids its 409 names
 * (ids made for it alone), never the operations behind them. */
static json_t *rejection_detail(dc__req *r, const dc__candidate *c, const json_t *conflicts,
                                const char *request)
{
    uint8_t d[32];
    char hex[65];
    unsigned dl = 0;
    const char *v = c->volumes_json ? c->volumes_json : "";
    json_t *ids = json_array(), *n;
    size_t i;
    EVP_Digest(v, strlen(v), d, &dl, EVP_sha256(), NULL);
    dc__hex(d, 32, hex);
    json_array_foreach(conflicts, i, n)
    {
        json_t *id = json_object_get(n, "id");
        if (json_is_string(id))
            json_array_append(ids, id);
    }
    return json_pack("{s:s, s:s, s:s, s:s, s:o}", "operator", r->who_id, "decision", "rejected",
                     "request", request, "plan_sha256", hex, "notices", ids);
}

/* Whether a blind rejection would have been approved by the exact rule
 * (the metric of capacity given up to coarsening) is checked after the
 * answer has gone: an exact check takes longer near the other operator's
 * volume than far from it, and on the answer path that was a timing
 * channel (issue 13). The airspace may have moved on by a request or two. */
typedef struct blind_check {
    uint32_t who;
    char skip[64]; /* "" for none */
    dc_volume *vols;
    size_t n;
} blind_check;

static void blind_check_run(dc_server *s, void *ctx)
{
    blind_check *b = ctx;
    if (!s) { /* dropped */
        dc_volumes_free(b->vols, b->n);
        dc_free(b);
        return;
    }
    dc__hits ex;
    dc__decide_opts o = {b->who, 1, b->skip[0] ? b->skip : NULL, 0, 0, 1};
    pthread_mutex_lock(&s->mu);
    /* Memory lost with the store (docs/ha.md) is empty: no verdict. */
    int ok = !s->failed && s->ops_exact && s->restr;
    if (ok)
        dc__decide(s, &o, b->vols, b->n, &ex);
    pthread_mutex_unlock(&s->mu);
    if (ok && !ex.total)
        atomic_fetch_add(&s->m.blind_only_rejections, 1);
    dc_volumes_free(b->vols, b->n);
    dc_free(b);
}

static void blind_check_later(dc__req *r, const dc__candidate *c, const char *skip)
{
    blind_check *b = r->after ? NULL : dc_calloc(1, sizeof *b);
    if (!b || !(b->vols = dc_calloc(c->n ? c->n : 1, sizeof *b->vols))) {
        dc_free(b);
        return; /* out of memory: not counted */
    }
    for (size_t i = 0; i < c->n; i++) {
        b->vols[i] = c->vols[i];
        if (!(b->vols[i].fp = dc_footprint_clone(c->vols[i].fp))) {
            dc_volumes_free(b->vols, i);
            dc_free(b);
            return;
        }
    }
    b->n = c->n;
    b->who = r->who;
    snprintf(b->skip, sizeof b->skip, "%s", skip ? skip : "");
    r->after = blind_check_run;
    r->after_ctx = b;
}

void dc__api_reject(dc__req *r, const dc__candidate *c, const dc__hits *h, int exact,
                    const char *skip, const char *action)
{
    dc_server *s = r->s;
    json_t *conflicts = json_array(), *with = json_array();
    /* Conflicts in the order of their notice ids: the order of the hits
     * follows the hidden operation ids. */
    json_t **sorted = h->n ? dc_calloc(h->n, sizeof *sorted) : NULL;
    for (size_t i = 0; i < h->n; i++) {
        json_t *nj = notice_json(r, h->h[i].e, h->h[i].vol);
        /* Which of the caller's own volumes conflicted: its own plan, so
         * naming it discloses nothing of the other side. */
        json_t *cv = json_array();
        for (size_t k = 0; k < c->n && k < 64; k++)
            if (h->h[i].cand_bits >> k & 1)
                json_array_append_new(cv, json_integer((json_int_t)k));
        if (h->h[i].cand >= 64)
            json_array_append_new(cv, json_integer((json_int_t)h->h[i].cand));
        if (json_is_object(nj)) {
            json_object_set_new(nj, "candidate_volume", json_integer((json_int_t)h->h[i].cand));
            json_object_set_new(nj, "candidate_volumes", cv);
        } else {
            json_decref(cv);
        }
        if (sorted)
            sorted[i] = nj;
        else
            json_array_append_new(conflicts, nj);
        json_array_append_new(with, json_string(h->h[i].e->id));
    }
    if (sorted) {
        qsort(sorted, h->n, sizeof *sorted, by_notice_id);
        for (size_t i = 0; i < h->n; i++)
            json_array_append_new(conflicts, sorted[i]);
        dc_free(sorted);
    }
    json_t *sugg = suggest(r, c, exact, skip);
    atomic_fetch_add(&s->m.rejected, 1);
    if (!exact)
        blind_check_later(r, c, skip);
    /* The authority's record names the operations hit; the rejected
     * party's own record holds only what its 409 shows it. Every rejection
     * makes both, so neither the answer's time nor the log's growth tells
     * one rejection from another. */
    dc__journal_audit(s, r->who_id, action, skip ? skip : "",
                      json_pack("{s:s, s:I, s:o}", "operator", r->who_id, "conflicts",
                                (json_int_t)h->total, "with", with));
    int64_t seq0 = s->audit_seq;
    dc__journal_audit_for(s, r->who, r->who_id, "rejected", skip ? skip : "",
                          rejection_detail(r, c, conflicts, action));
    json_t *receipt = dc__tlog_receipt(s, seq0, r->who, r->is_authority);
    dc__probing_rejection(s, r->who, r->is_authority, c->vols, c->n);
    char reason[160];
    if (h->n)
        snprintf(reason, sizeof reason, "volumes[%u] conflicts with %zu notice%s (see conflicts)",
                 (unsigned)h->h[0].cand, h->n, h->n == 1 ? "" : "s");
    else
        snprintf(reason, sizeof reason, "conflicts with %zu notices", h->n);
    json_t *body =
        json_pack("{s:s, s:s, s:s, s:o, s:o}", "error", "conflict", "field", "volumes", "reason",
                  reason, "conflicts", conflicts, "suggestion", sugg ? sugg : json_null());
    if (receipt)
        json_object_set_new(body, "receipt", receipt);
    dc__reply_json(r, 409, body);
    dc__await(r);
}

json_t *dc__api_receipt(dc__req *r, json_t *resp, int64_t after)
{
    json_t *receipt = dc__tlog_receipt(r->s, after, r->who, r->is_authority);
    if (resp && receipt)
        json_object_set_new(resp, "receipt", receipt);
    else
        json_decref(receipt);
    return resp;
}

void dc__api_flush_alerts(dc_server *s)
{
    size_t n;
    char **bodies = dc__probing_take_alerts(s, &n);
    for (size_t i = 0; i < n; i++) {
        if (s->mon) {
            dc__alert_rec rec = {DC__TO_AUTHORITY, 0, bodies[i]};
            dc__alerts_append(s->mon, &rec, 1); /* takes the body */
        } else {
            dc_free(bodies[i]);
        }
    }
    dc_free(bodies);
}

/* ---- body helpers ---- */

int dc__api_known(dc__req *r, const json_t *body, const char *const *allowed)
{
    dc_error err = {{0}, {0}};
    if (dc_json_known(body, "", allowed, &err) == DC_OK)
        return 1;
    dc__reply_status(r, DC_EINVAL, &err);
    return 0;
}

int dc__api_priority(dc__req *r, const json_t *body, int *out)
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

int dc__api_candidate(dc__req *r, const json_t *body, int is_restriction, dc__candidate *c)
{
    dc_error err = {{0}, {0}};
    dc_status rc = dc__candidate_parse(r->s, json_object_get(body, "volumes"), is_restriction,
                                       r->s->cfg.max_volumes, c, &err);
    if (rc != DC_OK) {
        dc__reply_status(r, rc, &err);
        return 0;
    }
    /* Feet typed as metres: an operation above the ceiling is refused. The
     * host's restrictions may reach it (published airspace goes to FL660). */
    double ceiling_m = r->s->cfg.ceiling_m;
    for (size_t i = 0; !is_restriction && i < c->n; i++) {
        if (c->vols[i].alt_upper_m <= ceiling_m)
            continue;
        char field[64];
        snprintf(field, sizeof field, "volumes[%zu].altitude_upper_m", i);
        dc_error_set(&err, field,
                     "upper %.0f m is above the ceiling %.0f m (%.0f ft): altitudes are metres, "
                     "not feet (or give altitude_upper_ft / altitude_upper_fl)",
                     c->vols[i].alt_upper_m, ceiling_m, ceiling_m / 0.3048);
        dc__reply_status(r, DC_EINVAL, &err);
        dc__candidate_free(c);
        return 0;
    }
    return 1;
}

/* ---- visibility ---- */

dc__entry *dc__api_visible(dc__req *r, const char *id, int restriction)
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

void dc__api_get_entry(dc__req *r, const char *id, int restriction)
{
    pthread_mutex_lock(&r->s->mu);
    dc__entry *e = dc__api_visible(r, id, restriction);
    if (e) {
        dc__api_set_etag(r, e);
        dc__reply_json(r, 200, dc__api_entry_json(r->s, e, r->is_authority));
    }
    pthread_mutex_unlock(&r->s->mu);
}
