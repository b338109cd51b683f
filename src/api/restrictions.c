/* /v1/restrictions: the host's own airspace, always decided exactly. A new
 * restriction preempts the live operations it conflicts with (the
 * airspace's one preemption path), except its exempt operators'.
 * POST /v1/restrictions:import brings in the host's published airspace
 * (src/aip/) all or nothing, replacing by source id. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "deconflict/aip.h"

/* The operator numbers of the "exempt" ids (under mu). Replies 400 naming
 * exempt[i] and returns -1 when one is unknown. */
static int exempt_numbers(dc__req *r, json_t *jx, uint32_t *exempt, size_t *n_exempt)
{
    for (size_t i = 0; i < json_array_size(jx); i++) {
        const char *oid = json_string_value(json_array_get(jx, i));
        dc__operator *o = oid ? dc__operator_by_id(r->s, oid) : NULL;
        if (!o) {
            char field[40];
            snprintf(field, sizeof field, "exempt[%zu]", i);
            dc__reply_error(r, 400, "invalid", field, "unknown operator id");
            return -1;
        }
        exempt[(*n_exempt)++] = o->number;
    }
    return 0;
}

void dc__api_rs_create(dc__req *r, const char *unused)
{
    (void)unused;
    dc_server *s = r->s;
    dc__candidate c = {0};
    uint32_t *exempt = NULL;
    size_t n_exempt = 0;
    json_t *body = dc__req_json(r);
    if (!body)
        return;
    static const char *const keys[] = {"volumes", "name", "exempt", NULL};
    if (!dc__api_known(r, body, keys))
        goto out;
    json_t *jn = json_object_get(body, "name"), *jx = json_object_get(body, "exempt");
    if (jn && (!json_is_string(jn) || json_string_length(jn) > 200)) {
        dc__reply_error(r, 400, "invalid", "name", "must be a string of at most 200 characters");
        goto out;
    }
    if (jx && !json_is_array(jx)) {
        dc__reply_error(r, 400, "invalid", "exempt", "must be an array of operator ids");
        goto out;
    }
    if (!dc__api_candidate(r, body, 1, &c))
        goto out;
    exempt = dc_calloc(json_array_size(jx) + 1, sizeof *exempt);
    if (!exempt) {
        dc__reply_error(r, 500, "internal", "", "out of memory");
        goto out;
    }
    if (dc__api_write_lock(r))
        goto unlock;
    if (exempt_numbers(r, jx, exempt, &n_exempt))
        goto unlock;
    char id[32];
    dc__entry *e = NULL;
    if (dc__api_new_id("rs_", 10, id, sizeof id) || !(e = dc__entry_new(id))) {
        dc__reply_error(r, 500, "internal", "", "cannot allocate an id");
        goto unlock;
    }
    json_t *preempted = json_array();
    int64_t seq0 = s->audit_seq;
    dc_status rc = dc__restriction_create(s, e, jn ? json_string_value(jn) : "", exempt, n_exempt,
                                          &c, r->who_id, preempted);
    exempt = NULL; /* taken */
    if (rc != DC_OK) {
        dc__entry_free(e);
        json_decref(preempted);
        dc__reply_status(r, rc, NULL);
        dc__await(r); /* the preemptions above are journaled */
        goto unlock;
    }
    json_t *resp = dc__api_entry_json(s, e, 1);
    json_object_set_new(resp, "preempted", preempted);
    dc__api_set_etag(r, e);
    dc__reply_json(r, 201, dc__api_receipt(r, resp, seq0));
    dc__await(r);
unlock:
    pthread_mutex_unlock(&s->mu);
out:
    dc_free(exempt);
    dc__candidate_free(&c);
    json_decref(body);
}

void dc__api_rs_list(dc__req *r, const char *unused)
{
    (void)unused;
    dc_server *s = r->s;
    json_t *a = json_array();
    int all = dc__req_arg(r, "all") != NULL;
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < s->n_entries; i++) {
        dc__entry *e = s->entries[i];
        if (e->is_restriction && (all || e->state == DC__IN_FORCE))
            json_array_append_new(a, dc__api_entry_json(s, e, 1));
    }
    pthread_mutex_unlock(&s->mu);
    dc__reply_json(r, 200, json_pack("{s:o}", "restrictions", a));
}

void dc__api_rs_get(dc__req *r, const char *id)
{
    dc__api_get_entry(r, id, 1);
}

void dc__api_rs_delete(dc__req *r, const char *id)
{
    dc_server *s = r->s;
    dc__entry *e = dc__api_write_lock(r) ? NULL : dc__api_visible(r, id, 1);
    if (e && e->state != DC__IN_FORCE) {
        dc__reply_error(r, 409, "invalid_state", "state", "the restriction is already deleted");
    } else if (e) {
        dc__change c = {DC__DELETED, NULL, r->who_id, "restriction_delete", NULL};
        int64_t seq0 = s->audit_seq;
        dc__entry_change(s, e, &c);
        dc__reply_json(r, 200, dc__api_receipt(r, dc__api_entry_json(s, e, 1), seq0));
        dc__await(r);
    }
    pthread_mutex_unlock(&s->mu);
}

/* ---- POST /v1/restrictions:import ---- */

/* Reads the import's options from the body; 0 after replying 400. */
static int import_options(dc__req *r, const json_t *body, dc_aip_options *o, int *dry_run)
{
    json_t *v;
    dc_aip_options_default(o, dc__unix_s());
    if ((v = json_object_get(body, "terrain_m")) &&
        (!json_is_number(v) || !(json_number_value(v) >= 0 && json_number_value(v) <= 9000))) {
        dc__reply_error(r, 400, "invalid", "terrain_m", "must be a number of metres in [0, 9000]");
        return 0;
    }
    o->terrain_m = v ? json_number_value(v) : 0;
    if ((v = json_object_get(body, "horizon_days")) &&
        (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 366)) {
        dc__reply_error(r, 400, "invalid", "horizon_days", "must be an integer in [0, 366]");
        return 0;
    }
    if (v)
        o->horizon_s = (int64_t)json_integer_value(v) * 86400;
    static const char *times[] = {"from", "until"};
    for (int i = 0; i < 2; i++) {
        if (!(v = json_object_get(body, times[i])))
            continue;
        int64_t t;
        if (!json_is_string(v) || dc_time_parse(json_string_value(v), i, &t) != DC_OK) {
            dc__reply_error(r, 400, "invalid", times[i], "must be an RFC 3339 time");
            return 0;
        }
        *(i ? &o->t_end_s : &o->t_start_s) = t;
    }
    if (o->t_start_s >= o->t_end_s) {
        dc__reply_error(r, 400, "invalid", "until", "must be later than from");
        return 0;
    }
    v = json_object_get(body, "all_types");
    o->all_types = json_is_true(v);
    if (v && !json_is_boolean(v)) {
        dc__reply_error(r, 400, "invalid", "all_types", "must be a boolean");
        return 0;
    }
    v = json_object_get(body, "dry_run");
    *dry_run = json_is_true(v);
    if (v && !json_is_boolean(v)) {
        dc__reply_error(r, 400, "invalid", "dry_run", "must be a boolean");
        return 0;
    }
    return 1;
}

/* Answers 400 naming the first refused item and listing all of them. */
static void reply_refused(dc__req *r, const dc_error *err, json_t *refused)
{
    dc__reply_json(r, 400,
                   json_pack("{s:s, s:s, s:s, s:O}", "error", "invalid", "field", err->field,
                             "reason", err->reason, "refused", refused));
}

/* Imports the host's published airspace (ED-318, OpenAir, AIXM; src/aip/)
 * as restrictions, all or nothing: every item is parsed and decided before
 * the lock is taken, and under one hold of the lock each is created and the
 * restrictions of the same source ids (dc_aip_source_of) are deleted. A
 * storage failure midway deletes what this request created. */
void dc__api_rs_import(dc__req *r, const char *unused)
{
    (void)unused;
    dc_server *s = r->s;
    dc_aip_result res = {0};
    dc__candidate *c = NULL;
    uint32_t *exempt = NULL;
    size_t n = 0, n_exempt = 0;
    int dry_run = 0;
    json_t *body = dc__req_json(r), *created = NULL, *replaced = NULL, *preempted = NULL;
    if (!body)
        return;
    static const char *const keys[] = {"format",       "content", "exempt", "terrain_m",
                                       "horizon_days", "from",    "until",  "all_types",
                                       "dry_run",      NULL};
    if (!dc__api_known(r, body, keys))
        goto out;
    dc_aip_format fmt;
    const char *f = json_string_value(json_object_get(body, "format"));
    json_t *content = json_object_get(body, "content"), *jx = json_object_get(body, "exempt");
    dc_aip_options opt;
    if (!f || dc_aip_format_parse(f, &fmt) != DC_OK || fmt > DC_AIP_AIXM) {
        dc__reply_error(r, 400, "invalid", "format",
                        json_object_get(body, "format") ? "must be ed318, openair or aixm"
                                                        : "is required (ed318, openair or aixm)");
        goto out;
    }
    if (!json_is_string(content)) {
        dc__reply_error(r, 400, "invalid", "content",
                        content ? "must be the file's text as a string" : "is required");
        goto out;
    }
    if (jx && !json_is_array(jx)) {
        dc__reply_error(r, 400, "invalid", "exempt", "must be an array of operator ids");
        goto out;
    }
    if (!import_options(r, body, &opt, &dry_run))
        goto out;
    dc_error err = {{0}, {0}};
    dc_status rc = dc_aip_import(fmt, json_string_value(content), json_string_length(content), &opt,
                                 &res, &err);
    if (rc == DC_EINVAL) {
        reply_refused(r, &err, res.refused);
        goto out;
    } else if (rc != DC_OK) {
        dc__reply_status(r, rc, NULL);
        goto out;
    }
    /* Decide every item as the server would one by one (its envelope too). */
    n = json_array_size(res.restrictions);
    c = dc_calloc(n + 1, sizeof *c);
    exempt = dc_calloc(json_array_size(jx) + 1, sizeof *exempt);
    if (!c || !exempt) {
        dc__reply_error(r, 500, "internal", "", "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *it = json_array_get(res.restrictions, i);
        const char *src = json_string_value(json_object_get(it, "source"));
        dc_error e = {{0}, {0}};
        rc = dc__candidate_parse(s, json_object_get(it, "volumes"), 1, s->cfg.max_volumes, &c[i],
                                 &e);
        if (rc == DC_EINVAL) {
            char field[300];
            snprintf(field, sizeof field, "%s %s", src, e.field);
            snprintf(err.field, sizeof err.field, "%s", field);
            snprintf(err.reason, sizeof err.reason, "%s", e.reason);
            json_array_append_new(res.refused, json_pack("{s:s, s:s, s:s}", "item", src, "field",
                                                         e.field, "reason", e.reason));
            reply_refused(r, &err, res.refused);
            goto out;
        } else if (rc != DC_OK) {
            dc__reply_status(r, rc, NULL);
            goto out;
        }
    }
    created = json_array();
    replaced = json_array();
    preempted = json_array();
    if (dry_run) {
        for (size_t i = 0; i < n; i++) {
            json_t *it = json_array_get(res.restrictions, i);
            json_array_append_new(
                created, json_pack("{s:O, s:O, s:i}", "source", json_object_get(it, "source"),
                                   "name", json_object_get(it, "name"), "volumes", (int)c[i].n));
        }
        dc__reply_json(r, 200,
                       json_pack("{s:b, s:O, s:O}", "dry_run", 1, "restrictions", created,
                                 "skipped", res.skipped));
        goto out;
    }
    if (dc__api_write_lock(r))
        goto unlock;
    if (exempt_numbers(r, jx, exempt, &n_exempt))
        goto unlock;
    /* What the import replaces: restrictions in force of the same sources,
     * found before any is created. */
    dc__entry **old = dc_calloc(s->n_entries + 1, sizeof *old);
    size_t n_old = 0;
    if (!old) {
        dc__reply_error(r, 500, "internal", "", "out of memory");
        goto unlock;
    }
    for (size_t i = 0; i < s->n_entries; i++) {
        dc__entry *e = s->entries[i];
        char src[256];
        if (!e->is_restriction || e->state != DC__IN_FORCE ||
            !dc_aip_source_of(e->note, src, sizeof src))
            continue;
        for (size_t k = 0; k < n; k++)
            if (!strcmp(src, json_string_value(
                                 json_object_get(json_array_get(res.restrictions, k), "source")))) {
                old[n_old++] = e;
                break;
            }
    }
    dc__entry **made = dc_calloc(n + 1, sizeof *made);
    if (!made) {
        dc_free(old);
        dc__reply_error(r, 500, "internal", "", "out of memory");
        goto unlock;
    }
    size_t n_made = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *it = json_array_get(res.restrictions, i);
        const char *src = json_string_value(json_object_get(it, "source"));
        char id[32];
        dc__entry *e = NULL;
        uint32_t *ex = dc_calloc(n_exempt + 1, sizeof *ex);
        rc = DC_ENOMEM;
        if (ex && !dc__api_new_id("rs_", 10, id, sizeof id) && (e = dc__entry_new(id))) {
            memcpy(ex, exempt, n_exempt * sizeof *ex);
            const char *name = json_string_value(json_object_get(it, "name"));
            json_t *pre = json_array();
            /* The airspace's one restriction path: preempts, inserts, journals. */
            rc =
                dc__restriction_create(s, e, name ? name : "", ex, n_exempt, &c[i], r->who_id, pre);
            ex = NULL; /* taken */
            if (rc == DC_OK) {
                made[n_made++] = e;
                json_array_extend(preempted, pre);
                json_array_append_new(created, json_pack("{s:s, s:s, s:s}", "id", e->id, "source",
                                                         src, "name", e->note ? e->note : ""));
            } else {
                dc__entry_free(e);
            }
            json_decref(pre);
        }
        dc_free(ex);
        if (rc != DC_OK) { /* nothing half-imported: undo this request's restrictions */
            for (size_t k = 0; k < n_made; k++) {
                dc__change ch = {DC__DELETED, NULL, r->who_id, "restriction_delete",
                                 json_pack("{s:s}", "import", "rolled back")};
                dc__entry_change(s, made[k], &ch);
            }
            dc_free(old);
            dc_free(made);
            dc__reply_status(r, rc, NULL);
            dc__await(r);
            goto unlock;
        }
    }
    for (size_t k = 0; k < n_old; k++) {
        char src[256];
        dc_aip_source_of(old[k]->note, src, sizeof src);
        dc__change ch = {DC__DELETED, NULL, r->who_id, "restriction_delete",
                         json_pack("{s:s}", "replaced_by_import", src)};
        if (dc__entry_change(s, old[k], &ch) == DC_OK)
            json_array_append_new(replaced, json_string(old[k]->id));
    }
    dc_free(old);
    dc_free(made);
    dc__reply_json(r, 201,
                   json_pack("{s:O, s:O, s:O, s:O}", "created", created, "replaced", replaced,
                             "preempted", preempted, "skipped", res.skipped));
    dc__await(r);
unlock:
    pthread_mutex_unlock(&s->mu);
out:
    for (size_t i = 0; c && i < n; i++)
        dc__candidate_free(&c[i]);
    dc_free(c);
    dc_free(exempt);
    json_decref(created);
    json_decref(replaced);
    json_decref(preempted);
    dc_aip_result_clear(&res);
    json_decref(body);
}
