/* /v1/operations: submit (decide, maybe preempt by override), list, get,
 * modify (If-Match), withdraw, activate, end. Each handler validates its
 * input outside the lock, then decides and changes state through the
 * airspace (decide.c) in one critical section, and answers after the
 * commit (dc__await), with the receipt of the decision's log leaf. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"

#define NAME_MAX_CHARS 80

/* The optional "name": *out NULL when absent; 0 after replying 400. */
static int op_name(dc__req *r, const json_t *body, const char **out)
{
    json_t *n = json_object_get(body, "name");
    *out = NULL;
    if (!n)
        return 1;
    const char *v = json_string_value(n);
    size_t chars = 0;
    for (const unsigned char *p = (const unsigned char *)v; v && *p; p++) {
        if (*p < 0x20 || *p == 0x7f) {
            dc__reply_error(r, 400, "invalid", "name", "must not hold control characters");
            return 0;
        }
        chars += (*p & 0xc0) != 0x80; /* UTF-8: count the lead bytes */
    }
    if (!v || chars > NAME_MAX_CHARS) {
        dc__reply_error(r, 400, "invalid", "name", "must be a string of at most 80 characters");
        return 0;
    }
    *out = v;
    return 1;
}

/* The plan's times against the server's clock (airspace/window.c); 0
 * after replying 400. */
static int plan_times(dc__req *r, const dc__candidate *c)
{
    dc_error err = {{0}, {0}};
    dc_status rc = dc__plan_time_check(c->vols, c->n, dc__unix_s(), &err);
    if (rc == DC_OK)
        return 1;
    dc__reply_status(r, rc, &err);
    return 0;
}

void dc__api_op_submit(dc__req *r, const char *unused)
{
    (void)unused;
    dc_server *s = r->s;
    int priority = 0, override = 0;
    const char *name = NULL;
    dc__candidate c = {0};
    uint32_t *mode_s = NULL;
    size_t n_mode_s = 0;
    json_t *body = dc__req_json(r);
    if (!body)
        return;
    /* "name" is the operation's own label (optional); "mode_s" its aircraft
     * (api/mode_s.c). */
    static const char *const keys[] = {"volumes", "priority", "override", "name", "mode_s", NULL};
    json_t *ov = json_object_get(body, "override");
    if (!dc__api_known(r, body, keys) || !dc__api_priority(r, body, &priority) ||
        !op_name(r, body, &name))
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
    if (!dc__api_candidate(r, body, 0, &c) || !plan_times(r, &c) ||
        !dc__api_mode_s_parse(r, body, "mode_s", 64, &mode_s, &n_mode_s))
        goto out;

    if (dc__api_write_lock(r))
        goto unlock;
    if (dc__api_refuse_probing(r) || !dc__api_mode_s_owned(r, mode_s, n_mode_s))
        goto unlock;
    dc__hits h;
    int64_t seq0 = s->audit_seq;
    int exact = dc__decide_submission(s, r->who, r->is_authority, c.vols, c.n, NULL, &h);
    if (h.total && !override) {
        dc__api_reject(r, &c, &h, exact, NULL, "reject");
        goto unlock;
    }
    char id[32];
    dc__entry *e = NULL;
    if (dc__api_new_id("op_", 10, id, sizeof id) || !(e = dc__entry_new(id)) ||
        !(e->name = dc_strdup(name ? name : ""))) {
        dc__entry_free(e);
        dc__reply_error(r, 500, "internal", "", "cannot allocate an id");
        goto unlock;
    }
    json_t *preempted = json_array();
    dc_status rc =
        dc__operation_approve(s, e, r->who, priority, override && h.total,
                              override ? "override" : "approve", &c, r->who_id, preempted);
    if (rc != DC_OK) {
        dc__entry_free(e);
        json_decref(preempted);
        dc__reply_status(r, rc, NULL);
        goto unlock;
    }
    /* After the approval: e is the airspace's now (out of memory: approved
     * without its aircraft, and the caller told so). */
    if (dc__mode_s_declare(s, e, mode_s, n_mode_s) != DC_OK) {
        json_decref(preempted);
        dc__reply_error(r, 500, "internal", "mode_s", "approved, but its mode_s was not stored");
        dc__await(r);
        goto unlock;
    }
    json_t *resp = dc__api_entry_json(s, e, r->is_authority);
    if (r->is_authority)
        json_object_set(resp, "preempted", preempted);
    json_decref(preempted);
    dc__api_set_etag(r, e);
    dc__reply_json(r, 201, dc__api_receipt(r, resp, seq0));
    dc__await(r);
unlock:
    pthread_mutex_unlock(&s->mu);
    dc__api_flush_alerts(s);
out:
    dc__candidate_free(&c);
    dc_free(mode_s);
    json_decref(body);
}

void dc__api_op_get(dc__req *r, const char *id)
{
    dc__api_get_entry(r, id, 0);
}

void dc__api_op_list(dc__req *r, const char *unused)
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
        json_array_append_new(a, dc__api_entry_json(s, e, r->is_authority));
    }
    pthread_mutex_unlock(&s->mu);
    dc__reply_json(r, 200, json_pack("{s:o}", "operations", a));
}

/* If-Match: "<version>", <version> or W/"<version>"; -1 when absent. */
static int64_t if_match(dc__req *r, int *bad)
{
    const char *h = dc__req_header(r, "If-Match");
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

void dc__api_op_modify(dc__req *r, const char *id)
{
    dc_server *s = r->s;
    dc__candidate c = {0};
    int bad;
    int64_t want = if_match(r, &bad);
    json_t *body = NULL;
    const char *name = NULL;
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
    static const char *const keys[] = {"volumes", "priority", "name", NULL};
    if (!dc__api_known(r, body, keys))
        goto out;
    pthread_mutex_lock(&s->mu);
    dc__entry *e = dc__api_visible(r, id, 0);
    int priority = e ? e->priority : 0;
    pthread_mutex_unlock(&s->mu);
    if (!e || !dc__api_priority(r, body, &priority) || !op_name(r, body, &name) ||
        !dc__api_candidate(r, body, 0, &c) || !plan_times(r, &c))
        goto out;

    if (dc__api_write_lock(r) || !(e = dc__api_visible(r, id, 0)))
        goto unlock;
    if (e->version != want) {
        dc__reply_error(r, 412, "stale_version", "If-Match",
                        "the operation has changed; fetch it and retry");
        dc__api_set_etag(r, e);
        goto unlock;
    }
    if (e->state != DC__APPROVED && e->state != DC__ACTIVE && e->state != DC__NONCONFORMING) {
        dc__reply_error(r, 409, "invalid_state", "state", "only a live operation can be modified");
        goto unlock;
    }
    if (dc__api_refuse_probing(r))
        goto unlock;
    dc__hits h;
    int64_t seq0 = s->audit_seq;
    int exact = dc__decide_submission(s, e->owner, r->is_authority, c.vols, c.n, e->id, &h);
    if (h.total) {
        dc__api_reject(r, &c, &h, exact, e->id, "reject_modification");
        goto unlock;
    }
    dc_status rc = dc__entry_modify(s, e, &c, priority, name, r->who_id);
    if (rc != DC_OK) {
        dc__reply_status(r, rc, NULL);
        goto unlock;
    }
    dc__api_set_etag(r, e);
    dc__reply_json(r, 200, dc__api_receipt(r, dc__api_entry_json(s, e, r->is_authority), seq0));
    dc__await(r);
unlock:
    pthread_mutex_unlock(&s->mu);
    dc__api_flush_alerts(s);
out:
    dc__candidate_free(&c);
    json_decref(body);
}

/* A lifecycle step: allowed is a bit mask of source states; activation
 * only within the operation's window (airspace/window.c). */
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
    if (dc__api_write_lock(r) || !(e = dc__api_visible(r, id, 0)))
        goto unlock;
    if (want >= 0 && e->version != want) {
        dc__reply_error(r, 412, "stale_version", "If-Match",
                        "the operation has changed; fetch it and retry");
        dc__api_set_etag(r, e);
        goto unlock;
    }
    if (!(allowed & (1u << e->state))) {
        char reason[96];
        snprintf(reason, sizeof reason, "not allowed from state %s", dc__state_name(e->state));
        dc__reply_error(r, 409, "invalid_state", "state", reason);
        goto unlock;
    }
    dc_error err = {{0}, {0}};
    if (to == DC__ACTIVE && dc__activation_check(e, dc__unix_s(), &err) != DC_OK) {
        dc__reply_error(r, 409, "outside_window", err.field, err.reason);
        goto unlock;
    }
    dc__change c = {to, NULL, r->who_id, action, json_pack("{s:s}", "operator", r->who_id)};
    int64_t seq0 = s->audit_seq;
    dc__entry_change(s, e, &c);
    dc__api_set_etag(r, e);
    dc__reply_json(r, 200, dc__api_receipt(r, dc__api_entry_json(s, e, r->is_authority), seq0));
    dc__await(r);
unlock:
    pthread_mutex_unlock(&s->mu);
}

#define LIVE_MASK ((1u << DC__APPROVED) | (1u << DC__ACTIVE) | (1u << DC__NONCONFORMING))

void dc__api_op_withdraw(dc__req *r, const char *id)
{
    transition(r, id, LIVE_MASK, DC__WITHDRAWN, "withdraw");
}

void dc__api_op_activate(dc__req *r, const char *id)
{
    transition(r, id, 1u << DC__APPROVED, DC__ACTIVE, "activate");
}

void dc__api_op_end(dc__req *r, const char *id)
{
    transition(r, id, LIVE_MASK, DC__ENDED, "end");
}
