/* /v1/restrictions: the host's own airspace, always decided exactly. A new
 * restriction preempts the live operations it conflicts with (the
 * airspace's one preemption path), except its exempt operators'. */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"

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
    if (dc__api_new_id("rs_", 10, id, sizeof id) || !(e = dc__entry_new(id))) {
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
    dc__preempt(s, DC_OWNER_NONE, c.vols, c.n, INT_MAX, e->exempt, e->n_exempt, r->who_id,
                "preempted: the airspace was restricted by the authority", preempted);
    dc_status rc = dc__entry_insert(s, e, &c);
    if (rc != DC_OK) {
        dc__entry_free(e);
        json_decref(preempted);
        dc__reply_status(r, rc, NULL);
        dc__await(r); /* the preemptions above are journaled */
        goto unlock;
    }
    dc__journal_entry(s, e, r->who_id, "restriction_create",
                      json_pack("{s:O}", "preempted", preempted));
    json_t *resp = dc__api_entry_json(s, e, 1);
    json_object_set_new(resp, "preempted", preempted);
    dc__api_set_etag(r, e);
    dc__reply_json(r, 201, resp);
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
        dc__entry_change(s, e, &c);
        dc__reply_json(r, 200, dc__api_entry_json(s, e, 1));
        dc__await(r);
    }
    pthread_mutex_unlock(&s->mu);
}
