/* The in-memory airspace: operators, keys, operations and restrictions and
 * the three engines (operations exact, their notice envelopes,
 * restrictions); the decisions over them are in decide.c. Memory is authoritative while the server
 * runs; every change is journaled with its audit record in the same critical section, and the whole
 * state is rebuilt from the store at start. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "airspace/airspace.h"

#define RESTRICTION_MAX_WINDOW_S ((int64_t)200 * 366 * 24 * 3600)

static const char *const state_names[DC__STATE_COUNT] = {
    "approved", "active", "ended", "withdrawn", "nonconforming", "preempted", "in_force", "deleted",
};

const char *dc__state_name(dc__state st)
{
    return (unsigned)st < DC__STATE_COUNT ? state_names[st] : "unknown";
}

int dc__state_parse(const char *name, dc__state *out)
{
    for (int i = 0; i < DC__STATE_COUNT; i++)
        if (!strcmp(name, state_names[i])) {
            *out = (dc__state)i;
            return 0;
        }
    return -1;
}

int dc__state_live(dc__state st)
{
    return st == DC__APPROVED || st == DC__ACTIVE || st == DC__NONCONFORMING || st == DC__IN_FORCE;
}

/* ---- entries ---- */

dc__entry *dc__entry_new(const char *id)
{
    dc__entry *e = dc_calloc(1, sizeof *e);
    if (e)
        snprintf(e->id, sizeof e->id, "%s", id);
    return e;
}

/* Frees e's notices (and takes their area off the live total when
 * counted). */
static void notices_drop(dc_server *s, dc__entry *e)
{
    for (size_t i = 0; e->notices && i < e->n_vols; i++) {
        if (s && !e->is_restriction)
            s->envelope_area_km2 -= e->notices[i].area_km2;
        dc__notice_clear(&e->notices[i]);
    }
    dc_free(e->notices);
    e->notices = NULL;
}

void dc__entry_free(dc__entry *e)
{
    if (!e)
        return;
    notices_drop(NULL, e);
    dc_free(e->volumes_json);
    dc_free(e->note);
    dc_free(e->name);
    dc_free(e->exempt);
    dc_free(e->mode_s);
    dc_free(e);
}

/* Appends val to a list of pointers (*list, *n, *cap) and to its index m
 * under key; on DC_ENOMEM the list is unchanged (the map may have grown). */
static dc_status indexed_add(void *list, size_t *n, size_t *cap, dc__map *m, const char *key,
                             void *val)
{
    void ***v = list;
    if (dc__grow((void **)v, cap, *n + 1, sizeof **v) || dc__map_put(m, key, val) != DC_OK)
        return DC_ENOMEM;
    (*v)[(*n)++] = val;
    return DC_OK;
}

dc_status dc__entry_add(dc_server *s, dc__entry *e)
{
    return indexed_add(&s->entries, &s->n_entries, &s->cap_entries, &s->entries_by_id, e->id, e);
}

dc_status dc__entry_insert(dc_server *s, dc__entry *e, dc__candidate *c)
{
    dc_status rc = dc__entry_install(s, e, c);
    if (rc == DC_OK && (rc = dc__entry_add(s, e)) != DC_OK)
        dc__entry_uninstall(s, e);
    return rc;
}

dc__entry *dc__entry_get(dc_server *s, const char *id)
{
    return dc__map_get(&s->entries_by_id, id);
}

dc__operator *dc__operator_get(dc_server *s, uint32_t number)
{
    if (number == 0 || number > s->n_operators)
        return NULL;
    return s->operators[number - 1];
}

dc__operator *dc__operator_by_id(dc_server *s, const char *id)
{
    for (size_t i = 0; i < s->n_operators; i++)
        if (s->operators[i] && !strcmp(s->operators[i]->id, id))
            return s->operators[i];
    return NULL;
}

dc__operator *dc__operator_by_name(dc_server *s, const char *name)
{
    for (size_t i = 0; i < s->n_operators; i++)
        if (s->operators[i] && !strcmp(s->operators[i]->name, name))
            return s->operators[i];
    return NULL;
}

/* ---- candidates: parsed volumes plus their envelopes ---- */

void dc__candidate_free(dc__candidate *c)
{
    dc_volumes_free(c->vols, c->n);
    dc_volumes_free(c->env, c->n);
    if (c->notices)
        for (size_t i = 0; i < c->n; i++)
            dc__notice_clear(&c->notices[i]);
    dc_free(c->notices);
    dc_free(c->volumes_json);
    memset(c, 0, sizeof *c);
}

dc_status dc__candidate_parse(dc_server *s, const json_t *arr, int is_restriction,
                              size_t max_volumes, dc__candidate *c, dc_error *err)
{
    dc_status rc;
    memset(c, 0, sizeof *c);
    rc = dc_json_volumes(arr, "volumes", max_volumes,
                         is_restriction ? RESTRICTION_MAX_WINDOW_S : DC_MAX_WINDOW_S, &c->vols,
                         &c->n, err);
    if (rc != DC_OK)
        return rc;
    c->env = dc_calloc(c->n, sizeof *c->env);
    c->notices = dc_calloc(c->n, sizeof *c->notices);
    json_t *norm = json_array();
    if (!c->env || !c->notices || !norm) {
        rc = DC_ENOMEM;
        goto fail;
    }
    for (size_t i = 0; i < c->n; i++) {
        char field[64];
        snprintf(field, sizeof field, "volumes[%zu]", i);
        rc = dc__envelope(&c->vols[i], &s->cfg, field, &c->env[i], &c->notices[i], err);
        if (rc == DC_OK && is_restriction)
            rc = dc__notice_exact(&c->vols[i], &c->notices[i]);
        if (rc != DC_OK)
            goto fail;
        if (json_array_append_new(norm, dc_json_from_volume(&c->vols[i]))) {
            rc = DC_ENOMEM;
            goto fail;
        }
    }
    char *txt = json_dumps(norm, JSON_COMPACT);
    if (!txt || !(c->volumes_json = dc_strdup(txt))) {
        free(txt);
        rc = DC_ENOMEM;
        goto fail;
    }
    free(txt);
    json_decref(norm);
    return DC_OK;
fail:
    json_decref(norm);
    dc__candidate_free(c);
    return rc;
}

dc_status dc__entry_install(dc_server *s, dc__entry *e, dc__candidate *c)
{
    dc_entry_spec spec = {e->id, e->owner, e->is_restriction, e->exempt, e->n_exempt, e->priority};
    dc_status rc;
    for (size_t i = 0; i < c->n; i++) {
        if (!i || c->vols[i].t_start_s < e->t_first_s)
            e->t_first_s = c->vols[i].t_start_s;
        if (!i || c->vols[i].t_end_s > e->t_last_s)
            e->t_last_s = c->vols[i].t_end_s;
    }
    if (!e->is_restriction && c->n && e->t_last_s < s->next_end_s)
        s->next_end_s = e->t_last_s; /* the sweep (window.c) looks from then on */
    if (e->is_restriction) {
        if ((rc = dc_engine_add(s->restr, &spec, c->vols, c->n)) != DC_OK)
            return rc;
        /* The envelopes only serve notices for restrictions. */
        dc_volumes_free(c->env, c->n);
        c->env = NULL;
    } else {
        if ((rc = dc_engine_add(s->ops_exact, &spec, c->vols, c->n)) != DC_OK)
            return rc;
        if ((rc = dc_engine_add(s->ops_blind, &spec, c->env, c->n)) != DC_OK) {
            /* The exact engine owns the footprints now: removing frees them. */
            dc_engine_remove(s->ops_exact, e->id);
            dc_free(c->vols);
            c->vols = NULL;
            dc__candidate_free(c);
            return rc;
        }
        dc_free(c->env);
        c->env = NULL;
    }
    dc_free(c->vols);
    c->vols = NULL;
    notices_drop(NULL, e); /* not counted: an installed entry was uninstalled first */
    e->notices = c->notices;
    e->n_vols = c->n;
    c->notices = NULL;
    for (size_t i = 0; i < e->n_vols; i++)
        s->envelope_area_km2 += e->is_restriction ? 0 : e->notices[i].area_km2;
    return DC_OK;
}

void dc__entry_uninstall(dc_server *s, dc__entry *e)
{
    if (e->is_restriction) {
        dc_engine_remove(s->restr, e->id);
    } else {
        dc_engine_remove(s->ops_exact, e->id);
        dc_engine_remove(s->ops_blind, e->id);
    }
    notices_drop(s, e);
}

/* ---- loading, and folding in other instances' changes ---- */

typedef dc__load_ctx load_ctx;

/* The loaders below are idempotent upserts: a shared store's change feed
 * (decision_window.c) replays rows that memory may already hold. */
int dc__load_operator(void *ctx, const dc_store_operator *o)
{
    load_ctx *l = ctx;
    dc_server *s = l->s;
    if (o->number >= 1 && o->number <= s->n_operators && s->operators[o->number - 1])
        return 0; /* operators never change once created */
    dc__operator *op = dc_calloc(1, sizeof *op);
    if (!op || !(op->name = dc_strdup(o->name)) || o->number == 0 || o->number > 1000000) {
        if (op)
            dc_free(op->name);
        dc_free(op);
        l->rc = op ? DC_ECORRUPT : DC_ENOMEM;
        return 1;
    }
    op->number = o->number;
    snprintf(op->id, sizeof op->id, "%s", o->id);
    op->is_authority = o->is_authority;
    op->created_s = o->created_s;
    if (o->number > s->n_operators) {
        dc__operator **n = dc_realloc(s->operators, o->number * sizeof *n);
        if (!n) {
            dc_free(op->name);
            dc_free(op);
            l->rc = DC_ENOMEM;
            return 1;
        }
        for (size_t i = s->n_operators; i < o->number; i++)
            n[i] = NULL;
        s->operators = n;
        s->n_operators = o->number;
    }
    s->operators[o->number - 1] = op;
    return 0;
}

dc_status dc__key_insert(dc_server *s, dc__key *k)
{
    return indexed_add(&s->key_list, &s->n_keys, &s->cap_keys, &s->keys, k->prefix, k);
}

int dc__load_key(void *ctx, const dc_store_key *sk)
{
    load_ctx *l = ctx;
    dc__key *old = dc__map_get(&l->s->keys, sk->prefix);
    if (old) {
        old->revoked |= sk->revoked; /* a key is never un-revoked */
        return 0;
    }
    dc__key *k = dc_calloc(1, sizeof *k);
    if (!k) {
        l->rc = DC_ENOMEM;
        return 1;
    }
    snprintf(k->prefix, sizeof k->prefix, "%s", sk->prefix);
    k->operator_number = sk->operator_number;
    memcpy(k->salt, sk->salt, sizeof k->salt);
    memcpy(k->hash, sk->hash, sizeof k->hash);
    k->revoked = sk->revoked;
    k->created_s = sk->created_s;
    if ((l->rc = dc__key_insert(l->s, k)) != DC_OK) {
        dc_free(k);
        return 1;
    }
    return 0;
}

static dc_status parse_exempt(const char *txt, dc__entry *e)
{
    json_t *a = json_loads(txt, 0, NULL);
    if (!json_is_array(a)) {
        json_decref(a);
        return DC_ECORRUPT;
    }
    size_t n = json_array_size(a);
    e->exempt = dc_calloc(n ? n : 1, sizeof *e->exempt);
    if (!e->exempt) {
        json_decref(a);
        return DC_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        e->exempt[i] = (uint32_t)json_integer_value(json_array_get(a, i));
    e->n_exempt = n;
    json_decref(a);
    return DC_OK;
}

/* Fills e from the row se; a live entry's volumes are parsed into *c. */
static dc_status entry_from_row(dc_server *s, dc__entry *e, const dc_store_entry *se,
                                dc__candidate *c, dc_error *err)
{
    dc_status rc;
    e->is_restriction = se->is_restriction;
    e->owner = se->owner;
    e->priority = se->priority;
    e->version = se->version;
    e->created_s = se->created_s;
    e->updated_s = se->updated_s;
    if (dc__state_parse(se->state, &e->state)) {
        dc_error_set(err, "store", "entry %.40s has an unknown state", se->id);
        return DC_ECORRUPT;
    }
    if (!(e->volumes_json = dc_strdup(se->volumes_json)) || !(e->note = dc_strdup(se->note)) ||
        !(e->name = dc_strdup(se->name ? se->name : "")))
        return DC_ENOMEM;
    if ((rc = parse_exempt(se->exempt_json, e)) != DC_OK)
        return rc;
    json_t *vols = json_loads(se->volumes_json, 0, NULL);
    e->n_vols = json_array_size(vols);
    rc = DC_OK;
    if (dc__state_live(e->state)) {
        rc = dc__candidate_parse(s, vols, e->is_restriction, (size_t)-1, c, err);
        if (rc == DC_EINVAL)
            rc = DC_ECORRUPT;
    }
    json_decref(vols);
    return rc;
}

/* Replaces the stored fields of a known entry with a newer row's. */
static dc_status entry_update(dc_server *s, dc__entry *old, const dc_store_entry *se, dc_error *err)
{
    dc__candidate c = {0};
    dc__entry *e = dc__entry_new(se->id);
    dc_status rc = e ? entry_from_row(s, e, se, &c, err) : DC_ENOMEM;
    if (rc != DC_OK)
        goto out;
    dc__entry_uninstall(s, old);
    /* Swap the records: old (indexed by its id, which is the row's) takes
     * the row's fields, e the previous ones, freed below. */
    dc__entry prev = *old;
    *old = *e;
    *e = prev;
    /* The Mode S declaration is not in the row (mode_s.c keeps it). */
    old->mode_s = e->mode_s;
    old->n_mode_s = e->n_mode_s;
    e->mode_s = NULL;
    e->n_mode_s = 0;
    if (dc__state_live(old->state))
        rc = dc__entry_install(s, old, &c);
out:
    dc__candidate_free(&c);
    dc__entry_free(e);
    return rc;
}

int dc__load_entry(void *ctx, const dc_store_entry *se)
{
    load_ctx *l = ctx;
    dc_server *s = l->s;
    dc__candidate c = {0};
    dc__entry *old = dc__entry_get(s, se->id);
    if (old) {
        if (old->version < se->version)
            l->rc = entry_update(s, old, se, l->err);
        return l->rc != DC_OK;
    }
    dc__entry *e = dc__entry_new(se->id);
    if (!e) {
        l->rc = DC_ENOMEM;
        return 1;
    }
    if ((l->rc = entry_from_row(s, e, se, &c, l->err)) != DC_OK)
        goto fail;
    if (dc__state_live(e->state)) {
        if ((l->rc = dc__entry_install(s, e, &c)) != DC_OK)
            goto fail;
        dc__candidate_free(&c);
    }
    if ((l->rc = dc__entry_add(s, e)) != DC_OK) {
        dc__entry_uninstall(s, e);
        dc__entry_free(e);
        return 1;
    }
    return 0;
fail:
    dc__candidate_free(&c);
    dc__entry_free(e);
    return 1;
}

static int load_audit(void *ctx, const dc_audit_record *r)
{
    dc_server *s = ((load_ctx *)ctx)->s;
    s->audit_seq = r->seq;
    memcpy(s->audit_hash, r->hash, 32);
    return 0;
}

static int unhex(const char *h, uint8_t *out, size_t n)
{
    if (strlen(h) != 2 * n)
        return -1;
    for (size_t i = 0; i < n; i++) {
        unsigned v = 0;
        for (int k = 0; k < 2; k++) {
            char ch = h[2 * i + k];
            unsigned d = ch >= '0' && ch <= '9'   ? (unsigned)(ch - '0')
                         : ch >= 'a' && ch <= 'f' ? (unsigned)(ch - 'a' + 10)
                                                  : 16u;
            if (d == 16)
                return -1;
            v = v * 16 + d;
        }
        out[i] = (uint8_t)v;
    }
    return 0;
}

dc_status dc__airspace_load(dc_server *s, dc_error *err)
{
    load_ctx l = {s, DC_OK, err};
    char *secret = NULL;
    dc_status rc;
    if (dc_store_is_shared(s->store)) {
        /* The feed position first: what commits while we load is replayed. */
        dc_store_head head;
        rc = dc_store_changes_since(s->store, INT64_MAX, 0, NULL, NULL, NULL, NULL, &head);
        if (rc != DC_OK)
            return dc_error_set(err, "store", "cannot read the store head: %s", dc_status_str(rc)),
                   rc;
        s->sync_seq = head.change_seq;
    }
    s->next_end_s = INT64_MAX; /* each installed operation lowers it */
    s->ops_exact = dc_engine_new();
    s->ops_blind = dc_engine_new();
    s->restr = dc_engine_new();
    if (!s->ops_exact || !s->ops_blind || !s->restr)
        return DC_ENOMEM;
    rc = dc_store_meta_get(s->store, "secret", &secret);
    if (rc == DC_ENOTFOUND) {
        dc_error_set(err, "store", "the store is not initialised: run deconflict init");
        return rc;
    }
    if (rc != DC_OK)
        return dc_error_set(err, "store", "cannot read the store: %s", dc_status_str(rc)), rc;
    if (unhex(secret, s->secret, sizeof s->secret)) {
        dc_free(secret);
        dc_error_set(err, "store", "corrupt server secret");
        return DC_ECORRUPT;
    }
    dc_free(secret);
    if ((rc = dc_store_operator_each(s->store, dc__load_operator, &l)) == DC_OK && l.rc == DC_OK)
        rc = dc_store_key_each(s->store, dc__load_key, &l);
    if (rc == DC_OK && l.rc == DC_OK)
        rc = dc_store_entry_each(s->store, dc__load_entry, &l);
    if (rc == DC_OK && l.rc == DC_OK)
        rc = dc_store_mode_s_each(s->store, dc__load_mode_s, &l);
    if (rc == DC_OK && l.rc == DC_OK)
        rc = dc_store_audit_each(s->store, 0, 0, load_audit, &l);
    if (rc == DC_OK)
        rc = l.rc;
    if (rc == DC_OK)
        rc = dc__tlog_load(s, err);
    if (rc != DC_OK && err && !err->reason[0])
        dc_error_set(err, "store", "cannot load the store: %s", dc_status_str(rc));
    return rc;
}

/* Frees each element of a list of pointers with free_one (which accepts
 * NULL), then the list. */
static void list_free(void *list, size_t *n, void (*free_one)(void *))
{
    void ***v = list;
    for (size_t i = 0; i < *n; i++)
        free_one((*v)[i]);
    dc_free(*v);
    *v = NULL;
    *n = 0;
}

static void entry_free_any(void *e)
{
    dc__entry_free(e);
}

static void operator_free_any(void *p)
{
    dc__operator *o = p;
    if (o)
        dc_free(o->name);
    dc_free(o);
}

void dc__airspace_free(dc_server *s)
{
    dc__mode_s_free(s);
    list_free(&s->entries, &s->n_entries, entry_free_any);
    list_free(&s->operators, &s->n_operators, operator_free_any);
    list_free(&s->key_list, &s->n_keys, dc_free);
    s->cap_entries = s->cap_keys = 0;
    dc__map_free(&s->entries_by_id);
    dc__map_free(&s->keys);
    dc_engine_free(s->ops_exact);
    dc_engine_free(s->ops_blind);
    dc_engine_free(s->restr);
    s->ops_exact = s->ops_blind = s->restr = NULL;
    s->audit_seq = 0;
    memset(s->audit_hash, 0, sizeof s->audit_hash);
    s->envelope_area_km2 = 0;
    dc__tlog_free(s);
}

/* ---- the server object, as far as the airspace goes ---- */

/* s's mutex and conditions; timed waits (decision_window.c) count on the
 * monotonic clock. */
static void locks_init(dc_server *s)
{
    pthread_cond_t *conds[3] = {&s->j_cond, &s->win_cond, &s->commit_cond};
    pthread_condattr_t ca;
    pthread_mutex_init(&s->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    for (size_t i = 0; i < 3; i++)
        pthread_cond_init(conds[i], &ca);
    pthread_condattr_destroy(&ca);
}

static void locks_destroy(dc_server *s)
{
    pthread_cond_t *conds[3] = {&s->j_cond, &s->win_cond, &s->commit_cond};
    for (size_t i = 0; i < 3; i++)
        pthread_cond_destroy(conds[i]);
    pthread_mutex_destroy(&s->mu);
}

dc_status dc__airspace_reload(dc_server *s, dc_error *err)
{
    if (s->keys_forget)
        s->keys_forget(s);
    dc__airspace_free(s);
    dc_status rc = dc__airspace_load(s, err);
    if (rc != DC_OK) {
        /* Not half a load, and no NULL engine: until a rebuild succeeds the
         * airspace is empty (requests get 503 from s->failed), and a reader
         * that got past that check (/metrics, notices, the after-answer
         * blind check) sees nothing rather than freed or missing state.
         * The failover test found a request reaching a NULL engine. */
        if (s->keys_forget)
            s->keys_forget(s);
        dc__airspace_free(s);
        s->ops_exact = dc_engine_new();
        s->ops_blind = dc_engine_new();
        s->restr = dc_engine_new();
    }
    return rc;
}

dc_status dc__airspace_open(const char *store_uri, const dc_server_config *cfg, dc_server **out,
                            dc_error *err)
{
    dc_status rc;
    *out = NULL;
    dc_server *s = dc_calloc(1, sizeof *s);
    if (!s)
        return DC_ENOMEM;
    s->cfg = *cfg;
    if (s->cfg.threads < 1)
        s->cfg.threads = 1;
    locks_init(s);
    s->batch_open = 1;
    s->reload = dc__airspace_reload;
    *out = s; /* from here on, dc__airspace_close undoes whatever was done */
    if ((rc = dc_store_open(store_uri, 0, &s->store, err)) != DC_OK)
        return rc;
    s->shared = dc_store_is_shared(s->store);
    if ((rc = dc__probing_start(s)) != DC_OK)
        return rc;
    return dc__airspace_load(s, err);
}

void dc__airspace_close(dc_server *s)
{
    if (!s)
        return;
    if (s->store)
        dc__airspace_free(s);
    dc__writes_free(s->j_head);
    dc__probing_free(s);
    dc_store_close(s->store);
    locks_destroy(s);
    dc_free(s);
}
