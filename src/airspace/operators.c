/* Operators and their API keys as state changes: creating an operator,
 * issuing a key (shown once), revoking an operator's keys. Each writes its
 * rows and audit records to the journal in the caller's critical section;
 * a revoked key stops working at once, in memory. Keys themselves are made
 * and checked by keys.c. */
#include <stdio.h>
#include <string.h>

#include "airspace/airspace.h"

/* Journals k's row as it is now. */
static dc_status journal_key(dc_server *s, const dc__key *k)
{
    dc__write *w = dc__write_new(DC__W_KEY);
    if (!w || !(w->strs[0] = dc_strdup(k->prefix))) {
        dc__write_free(w);
        return DC_ENOMEM;
    }
    w->u.k = (dc_store_key){.prefix = w->strs[0],
                            .operator_number = k->operator_number,
                            .revoked = k->revoked,
                            .created_s = k->created_s};
    memcpy(w->u.k.salt, k->salt, sizeof k->salt);
    memcpy(w->u.k.hash, k->hash, sizeof k->hash);
    return dc__journal_push(s, w);
}

dc_status dc__key_issue(dc_server *s, const dc__operator *o, const char *actor, char *key,
                        size_t key_len)
{
    dc__key *k = dc_calloc(1, sizeof *k);
    dc_status rc = DC_ENOMEM;
    if (!k || (rc = dc__key_make(o->number, dc__unix_s(), k, key, key_len)) != DC_OK ||
        (rc = dc__key_insert(s, k)) != DC_OK) {
        dc_free(k);
        return rc;
    }
    if ((rc = journal_key(s, k)) != DC_OK)
        return rc;
    return dc__journal_audit(s, actor, "key_issue", o->id,
                             json_pack("{s:s, s:s}", "operator", o->id, "key_prefix", k->prefix));
}

void dc__keys_revoke(dc_server *s, const dc__operator *o, const char *actor)
{
    for (size_t i = 0; i < s->n_keys; i++) {
        dc__key *k = s->key_list[i];
        if (k->operator_number != o->number || k->revoked)
            continue;
        k->revoked = 1;
        if (journal_key(s, k) != DC_OK)
            continue;
        dc__journal_audit(s, actor, "key_revoke", o->id,
                          json_pack("{s:s, s:s}", "operator", o->id, "key_prefix", k->prefix));
    }
}

dc_status dc__operator_create(dc_server *s, const char *name, const char *actor, dc__operator **out)
{
    dc__operator *o = NULL, **ops = NULL;
    dc__write *w = NULL;
    char hex[17];
    *out = NULL;
    /* The list is indexed by number - 1, so it grows by exactly one. */
    if (!(o = dc_calloc(1, sizeof *o)) || !(o->name = dc_strdup(name)) ||
        !(ops = dc_realloc(s->operators, (s->n_operators + 1) * sizeof *ops)) ||
        !(w = dc__write_new(DC__W_OPERATOR)) || dc__random_hex(hex, 8)) {
        if (ops)
            s->operators = ops;
        if (o)
            dc_free(o->name);
        dc_free(o);
        dc__write_free(w);
        return DC_ENOMEM;
    }
    s->operators = ops;
    snprintf(o->id, sizeof o->id, "opr_%s", hex);
    o->number = (uint32_t)s->n_operators + 1;
    o->created_s = dc__unix_s();
    s->operators[s->n_operators++] = o;
    w->strs[0] = dc_strdup(o->id);
    w->strs[1] = dc_strdup(o->name);
    w->u.o = (dc_store_operator){o->number, w->strs[0], w->strs[1], 0, o->created_s};
    dc__journal_push(s, w);
    dc__journal_audit(s, actor, "operator_create", o->id,
                      json_pack("{s:s, s:s}", "id", o->id, "name", o->name));
    *out = o;
    return DC_OK;
}
