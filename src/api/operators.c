/* /v1/operators: create (with its first key), list, and key rotation (the
 * old keys are revoked at once); /v1/whoami: the caller's own name and
 * role. The state changes are the airspace's (airspace/operators.c); keys
 * are shown once. */
#include <string.h>

#include "api/api.h"

#define NAME_MAX_LEN 64

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

void dc__api_operator_create(dc__req *r, const char *unused)
{
    (void)unused;
    dc_server *s = r->s;
    json_t *body = dc__req_json(r);
    if (!body)
        return;
    static const char *const keys[] = {"name", NULL};
    if (!dc__api_known(r, body, keys)) {
        json_decref(body);
        return;
    }
    const char *name = json_string_value(json_object_get(body, "name"));
    if (!name || !valid_name(name)) {
        dc__reply_error(r, 400, "invalid", "name",
                        json_object_get(body, "name")
                            ? "must be 1..64 characters of letters, digits, '_', '-' or '.'"
                            : "is required (1..64 letters, digits, '_', '-' or '.')");
        json_decref(body);
        return;
    }
    char key[80];
    dc__operator *o = NULL;
    if (dc__api_write_lock(r))
        goto unlock;
    if (dc__operator_by_name(s, name)) {
        dc__reply_error(r, 409, "exists", "name", "an operator with this name exists");
        goto unlock;
    }
    if (dc__operator_create(s, name, r->who_id, &o) != DC_OK) {
        dc__reply_error(r, 500, "internal", "", "out of memory");
        goto unlock;
    }
    if (dc__key_issue(s, o, r->who_id, key, sizeof key) != DC_OK) {
        dc__reply_error(r, 500, "internal", "", "cannot issue a key");
        dc__await(r);
        goto unlock;
    }
    dc__reply_json(r, 201,
                   json_pack("{s:s, s:s, s:s}", "id", o->id, "name", o->name, "api_key", key));
    dc__await(r);
unlock:
    pthread_mutex_unlock(&s->mu);
    json_decref(body);
}

void dc__api_operator_list(dc__req *r, const char *unused)
{
    (void)unused;
    dc_server *s = r->s;
    json_t *a = json_array();
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < s->n_operators; i++) {
        dc__operator *o = s->operators[i];
        if (o)
            json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:o}", "id", o->id, "name", o->name,
                                               "role", o->is_authority ? "authority" : "operator",
                                               "created", dc__api_time_json(o->created_s)));
    }
    pthread_mutex_unlock(&s->mu);
    dc__reply_json(r, 200, json_pack("{s:o}", "operators", a));
}

void dc__api_key_rotate(dc__req *r, const char *id)
{
    dc_server *s = r->s;
    char key[80];
    dc__operator *o = NULL;
    if (dc__api_write_lock(r))
        goto unlock;
    o = dc__operator_by_id(s, id);
    if (!o || (!r->is_authority && o->number != r->who)) {
        dc__reply_error(r, 404, "not_found", "id", "no such operator");
        goto unlock;
    }
    /* Revoke first: the old keys stop working at once, in memory, and
     * admission forgets them. */
    dc__keys_revoke(s, o, r->who_id);
    dc__admit_forget_revoked(s);
    if (dc__key_issue(s, o, r->who_id, key, sizeof key) != DC_OK) {
        dc__reply_error(r, 500, "internal", "", "cannot issue a key");
        dc__await(r);
        goto unlock;
    }
    dc__reply_json(r, 201, json_pack("{s:s, s:s}", "id", o->id, "api_key", key));
    dc__await(r);
unlock:
    pthread_mutex_unlock(&s->mu);
}

void dc__api_whoami(dc__req *r, const char *unused)
{
    (void)unused;
    dc_server *s = r->s;
    pthread_mutex_lock(&s->mu);
    dc__operator *o = dc__operator_get(s, r->who);
    json_t *j = o ? json_pack("{s:s, s:s, s:s}", "name", o->name, "role",
                              r->is_authority ? "authority" : "operator", "id", o->id)
                  : NULL;
    pthread_mutex_unlock(&s->mu);
    if (!j) {
        dc__reply_error(r, 404, "not_found", "", "the key's operator is unknown");
        return;
    }
    dc__reply_json(r, 200, j);
}
