/* /v1/operators: create (with its first key), list, and key rotation (the
 * old keys are revoked at once, in memory). Keys are made by
 * airspace/keys.c and shown once. */
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

void dc__api_operator_create(dc__req *r, const char *unused)
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
    if (dc__api_write_lock(r))
        goto unlock;
    if (dc__operator_by_name(s, name)) {
        dc__reply_error(r, 409, "exists", "name", "an operator with this name exists");
        goto unlock;
    }
    if (!(o = dc_calloc(1, sizeof *o)) || !(o->name = dc_strdup(name)) ||
        !(ops = dc_realloc(s->operators, (s->n_operators + 1) * sizeof *ops)) ||
        !(w = dc__write_new(DC__W_OPERATOR)) || dc__api_new_id("opr_", 8, o->id, sizeof o->id)) {
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

void dc__api_operator_list(dc__req *r, const char *unused)
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

