/* Store initialisation: schema, the notice-id HMAC secret, the authority
 * operator and its first API key, all in one transaction with their audit
 * records (the first links of the chain). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "server/server.h"

dc_status dc_server_init_store(const char *uri, const char *authority_name, char *key_out,
                               size_t key_len, dc_error *err)
{
    dc_store *st = NULL;
    char *existing = NULL, secret[65], id[24], hex[17];
    uint8_t prev[32] = {0};
    dc__key k;
    dc_status rc = dc_store_open(uri, 1, &st, err);
    if (rc != DC_OK)
        return rc;
    if (dc_store_meta_get(st, "secret", &existing) == DC_OK) {
        dc_free(existing);
        rc = DC_EEXIST;
        dc_error_set(err, "store", "%s is already initialised", uri);
        goto done;
    }
    int64_t now = dc__unix_s();
    if (dc__random_hex(secret, 32) || dc__random_hex(hex, 8) ||
        (rc = dc__key_make(1, now, &k, key_out, key_len)) != DC_OK) {
        rc = rc != DC_OK ? rc : DC_EIO;
        dc_error_set(err, "store", "no randomness available");
        goto done;
    }
    snprintf(id, sizeof id, "opr_%s", hex);
    dc_store_operator o = {1, id, authority_name, 1, now};
    dc_store_key sk = {k.prefix, 1, {0}, {0}, 0, now};
    memcpy(sk.salt, k.salt, 16);
    memcpy(sk.hash, k.hash, 32);
    json_t *d1 =
        json_pack("{s:s, s:s, s:s}", "id", id, "name", authority_name, "role", "authority");
    json_t *d2 = json_pack("{s:s, s:s}", "operator", id, "key_prefix", k.prefix);
    size_t l1, l2;
    char *e1 = dc_audit_canonical(1, now, "system", "operator_create", id, d1, &l1);
    char *e2 = dc_audit_canonical(2, now, "system", "key_issue", id, d2, &l2);
    json_decref(d1);
    json_decref(d2);
    dc_audit_record a1 = {1, e1, l1, {0}}, a2 = {2, e2, l2, {0}};
    if (!e1 || !e2) {
        rc = DC_ENOMEM;
    } else {
        dc_audit_chain(prev, e1, l1, a1.hash);
        dc_audit_chain(a1.hash, e2, l2, a2.hash);
        if ((rc = dc_store_begin(st)) == DC_OK) {
            if ((rc = dc_store_meta_put(st, "schema", "1")) == DC_OK &&
                (rc = dc_store_meta_put(st, "secret", secret)) == DC_OK &&
                (rc = dc_store_operator_put(st, &o)) == DC_OK &&
                (rc = dc_store_key_put(st, &sk)) == DC_OK &&
                (rc = dc_store_audit_append(st, &a1)) == DC_OK &&
                (rc = dc_store_audit_append(st, &a2)) == DC_OK &&
                (rc = dc__tlog_key_init(st, err)) == DC_OK &&
                (rc = dc__tlog_init_leaf(st, 0, &a1)) == DC_OK &&
                (rc = dc__tlog_init_leaf(st, 1, &a2)) == DC_OK)
                rc = dc_store_commit(st);
            if (rc != DC_OK)
                dc_store_rollback(st);
        }
        if (rc != DC_OK)
            dc_error_set(err, "store", "cannot initialise %s: %s", uri, dc_status_str(rc));
    }
    dc_free(e1);
    dc_free(e2);
done:
    dc_store_close(st);
    return rc;
}
