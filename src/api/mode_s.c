/* Mode S addresses (docs/feeds.md): the authority registers which aircraft
 * addresses belong to an operator (PUT /v1/operators/{id}/mode_s; an
 * operator may read its own), and an operation may declare some of its
 * owner's at submission ("mode_s"), so a live feed's track of that address
 * is tied to it. A declaration of an address not registered to the
 * submitter is refused with the same words whether it is someone else's or
 * no one's: nobody learns another's aircraft here. */
#include <stdio.h>
#include <string.h>

#include "api/api.h"

#define REGISTER_MAX 4096 /* addresses per operator */

int dc__api_mode_s_parse(dc__req *r, const json_t *body, const char *field, size_t max,
                         uint32_t **out, size_t *n)
{
    const json_t *arr = json_object_get(body, field);
    char name[48], why[64];
    *out = NULL;
    *n = 0;
    if (!arr)
        return 1;
    if (!json_is_array(arr) || json_array_size(arr) > max) {
        snprintf(why, sizeof why, "must be an array of at most %zu addresses", max);
        dc__reply_error(r, 400, "invalid", field, why);
        return 0;
    }
    size_t k = json_array_size(arr);
    uint32_t *v = k ? dc_malloc(k * sizeof *v) : NULL;
    if (k && !v) {
        dc__reply_error(r, 500, "internal", "", "out of memory");
        return 0;
    }
    for (size_t i = 0; i < k; i++) {
        snprintf(name, sizeof name, "%s[%zu]", field, i);
        if (dc__mode_s_parse(json_string_value(json_array_get(arr, i)), &v[i])) {
            dc__reply_error(r, 400, "invalid", name,
                            "must be a Mode S address of 6 hex digits (\"4CA7A8\")");
            dc_free(v);
            return 0;
        }
        for (size_t j = 0; j < i; j++)
            if (v[j] == v[i]) {
                dc__reply_error(r, 400, "invalid", name, "is listed twice");
                dc_free(v);
                return 0;
            }
    }
    *out = v;
    *n = k;
    return 1;
}

int dc__api_mode_s_owned(dc__req *r, const uint32_t *addrs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (dc__mode_s_owner(r->s, addrs[i]) == r->who)
            continue;
        char name[32];
        snprintf(name, sizeof name, "mode_s[%zu]", i);
        dc__reply_error(r, 400, "invalid", name, "not registered to you");
        return 0;
    }
    return 1;
}

void dc__api_mode_s_get(dc__req *r, const char *id)
{
    dc_server *s = r->s;
    pthread_mutex_lock(&s->mu);
    dc__operator *o = dc__operator_by_id(s, id);
    if (!o || (!r->is_authority && o->number != r->who))
        dc__reply_error(r, 404, "not_found", "id", "no such operator");
    else
        dc__reply_json(r, 200,
                       json_pack("{s:s, s:o}", "operator", o->id, "addresses",
                                 dc__mode_s_registered(s, o->number)));
    pthread_mutex_unlock(&s->mu);
}

void dc__api_mode_s_put(dc__req *r, const char *id)
{
    dc_server *s = r->s;
    uint32_t *addrs = NULL;
    size_t n = 0, bad = 0;
    json_t *body = dc__req_json(r);
    if (!body)
        return;
    static const char *const keys[] = {"addresses", NULL};
    if (!dc__api_known(r, body, keys))
        goto out;
    if (!json_object_get(body, "addresses")) {
        dc__reply_error(r, 400, "invalid", "addresses", "is required (an array, [] for none)");
        goto out;
    }
    if (!dc__api_mode_s_parse(r, body, "addresses", REGISTER_MAX, &addrs, &n))
        goto out;
    if (dc__api_write_lock(r))
        goto unlock;
    dc__operator *o = dc__operator_by_id(s, id);
    if (!o || o->is_authority) {
        dc__reply_error(r, 404, "not_found", "id", "no such operator");
        goto unlock;
    }
    char holder[24] = "", name[40], why[96];
    dc_status rc = dc__mode_s_register(s, o, addrs, n, r->who_id, &bad, holder);
    if (rc == DC_EEXIST) {
        /* The authority's own route: it may know who holds the address. */
        snprintf(name, sizeof name, "addresses[%zu]", bad);
        snprintf(why, sizeof why, "registered to operator %s", holder);
        dc__reply_error(r, 409, "exists", name, why);
        goto unlock;
    }
    if (rc != DC_OK) {
        dc__reply_status(r, rc, NULL);
        goto unlock;
    }
    dc__reply_json(r, 200,
                   json_pack("{s:s, s:o}", "operator", o->id, "addresses",
                             dc__mode_s_registered(s, o->number)));
    dc__await(r);
unlock:
    pthread_mutex_unlock(&s->mu);
out:
    dc_free(addrs);
    json_decref(body);
}
