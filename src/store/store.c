/* Store dispatcher: picks the backend from the URI and forwards to its
 * struct dc_store_ops. See include/deconflict/store.h. */
#include <string.h>

#include "store/store_int.h"

dc_status dc_store_open(const char *uri, int create, dc_store **out, dc_error *err)
{
    *out = NULL;
    if (!uri || !*uri)
        return dc_error_set(err, "store", "empty store location");
    /* A URI, or a libpq key=value conninfo such as contrib/ha/cluster.sh's
     * multi-host one ("host=a,b,c port=... target_session_attrs=..."). */
    if (!strncmp(uri, "postgresql://", 13) || !strncmp(uri, "postgres://", 11) ||
        !strncmp(uri, "host=", 5))
        return dc__pg_open(uri, create, out, err);
    if (!strncmp(uri, "sqlite:", 7))
        uri += 7;
    return dc__sqlite_open(uri, create, out, err);
}

void dc_store_close(dc_store *s)
{
    if (s)
        s->ops->close(s);
}

const struct dc_store_ops *dc_store_ops_of(const dc_store *s)
{
    return s->ops;
}

dc_status dc_store_backup(dc_store *s, const char *dest_path, dc_error *err)
{
    if (!dest_path || !*dest_path)
        return dc_error_set(err, "backup", "empty destination path");
    if (!s->ops->backup) {
        dc_error_set(err, "backup",
                     "the %s store has no online backup here: back it up with pg_dump "
                     "(docs/operations.md)",
                     s->ops->name);
        return DC_EUNSUPPORTED;
    }
    return s->ops->backup(s, dest_path, err);
}

dc_status dc_store_begin(dc_store *s)
{
    return s->ops->begin(s);
}

dc_status dc_store_commit(dc_store *s)
{
    return s->ops->commit(s);
}

dc_status dc_store_rollback(dc_store *s)
{
    return s->ops->rollback(s);
}

dc_status dc_store_meta_get(dc_store *s, const char *key, char **value)
{
    return s->ops->meta_get(s, key, value);
}

dc_status dc_store_meta_put(dc_store *s, const char *key, const char *value)
{
    return s->ops->meta_put(s, key, value);
}

dc_status dc_store_operator_put(dc_store *s, const dc_store_operator *o)
{
    return s->ops->operator_put(s, o);
}

dc_status dc_store_operator_each(dc_store *s, dc_store_operator_fn fn, void *ctx)
{
    return s->ops->operator_each(s, fn, ctx);
}

dc_status dc_store_key_put(dc_store *s, const dc_store_key *k)
{
    return s->ops->key_put(s, k);
}

dc_status dc_store_key_each(dc_store *s, dc_store_key_fn fn, void *ctx)
{
    return s->ops->key_each(s, fn, ctx);
}

dc_status dc_store_entry_put(dc_store *s, const dc_store_entry *e)
{
    return s->ops->entry_put(s, e);
}

dc_status dc_store_entry_each(dc_store *s, dc_store_entry_fn fn, void *ctx)
{
    return s->ops->entry_each(s, fn, ctx);
}

dc_status dc_store_audit_append(dc_store *s, const dc_audit_record *r)
{
    return s->ops->audit_append(s, r);
}

dc_status dc_store_leaf_append(dc_store *s, const dc_store_leaf *l)
{
    return s->ops->leaf_append(s, l);
}

dc_status dc_store_leaf_each(dc_store *s, int64_t after_idx, dc_store_leaf_fn fn, void *ctx)
{
    return s->ops->leaf_each(s, after_idx, fn, ctx);
}

dc_status dc_store_checkpoint_put(dc_store *s, const dc_store_checkpoint *c)
{
    return s->ops->checkpoint_put(s, c);
}

dc_status dc_store_checkpoint_each(dc_store *s, int64_t after_size, dc_store_checkpoint_fn fn,
                                   void *ctx)
{
    return s->ops->checkpoint_each(s, after_size, fn, ctx);
}

dc_status dc_store_cosignature_put(dc_store *s, const dc_store_cosignature *c)
{
    return s->ops->cosignature_put(s, c);
}

dc_status dc_store_cosignature_each(dc_store *s, int64_t min_size, dc_store_cosignature_fn fn,
                                    void *ctx)
{
    return s->ops->cosignature_each(s, min_size, fn, ctx);
}

dc_status dc_store_mode_s_put(dc_store *s, const dc_store_mode_s *m)
{
    return s->ops->mode_s_put(s, m);
}

dc_status dc_store_mode_s_each(dc_store *s, dc_store_mode_s_fn fn, void *ctx)
{
    return s->ops->mode_s_each(s, fn, ctx);
}

dc_status dc_store_audit_each(dc_store *s, int64_t after_seq, size_t limit, dc_store_audit_fn fn,
                              void *ctx)
{
    return s->ops->audit_each(s, after_seq, limit, fn, ctx);
}

int dc_store_is_shared(const dc_store *s)
{
    return s->ops->begin_locked != NULL;
}

int dc_store_has_tactical_feed(const dc_store *s)
{
    const struct dc_store_ops *o = s->ops;
    return o->lease && o->alert_publish && o->alert_each && o->tracks_put && o->tracks_each &&
           o->tracks_prune;
}

dc_status dc_store_get_conn_stats(dc_store *s, dc_store_conn_stats *out)
{
    memset(out, 0, sizeof *out);
    return s->ops->conn_stats ? s->ops->conn_stats(s, out) : DC_EUNSUPPORTED;
}

dc_status dc_store_begin_locked(dc_store *s, dc_store_head *head)
{
    return s->ops->begin_locked ? s->ops->begin_locked(s, head) : DC_EUNSUPPORTED;
}

dc_status dc_store_changes_since(dc_store *s, int64_t after_seq, int in_txn,
                                 dc_store_operator_fn op_fn, dc_store_key_fn key_fn,
                                 dc_store_entry_fn entry_fn, void *ctx, dc_store_head *head)
{
    if (!s->ops->changes_since)
        return DC_EUNSUPPORTED;
    return s->ops->changes_since(s, after_seq, in_txn, op_fn, key_fn, entry_fn, ctx, head);
}

dc_status dc_store_wait_change(dc_store *s, int timeout_ms)
{
    return s->ops->wait_change ? s->ops->wait_change(s, timeout_ms) : DC_EUNSUPPORTED;
}

dc_status dc_store_lease(dc_store *s, const char *name, const char *holder, int ttl_ms, int *held)
{
    return s->ops->lease ? s->ops->lease(s, name, holder, ttl_ms, held) : DC_EUNSUPPORTED;
}

dc_status dc_store_alert_publish(dc_store *s, const char *body)
{
    return s->ops->alert_publish ? s->ops->alert_publish(s, body) : DC_EUNSUPPORTED;
}

dc_status dc_store_alert_each(dc_store *s, int64_t after_seq, dc_store_alert_fn fn, void *ctx)
{
    return s->ops->alert_each ? s->ops->alert_each(s, after_seq, fn, ctx) : DC_EUNSUPPORTED;
}

dc_status dc_store_tracks_put(dc_store *s, const dc_store_tracks *t, size_t n)
{
    return s->ops->tracks_put ? s->ops->tracks_put(s, t, n) : DC_EUNSUPPORTED;
}

dc_status dc_store_tracks_each(dc_store *s, int64_t after_seq, int max_age_ms,
                               dc_store_tracks_fn fn, void *ctx)
{
    if (!s->ops->tracks_each)
        return DC_EUNSUPPORTED;
    return s->ops->tracks_each(s, after_seq, max_age_ms, fn, ctx);
}

dc_status dc_store_tracks_prune(dc_store *s, int max_age_ms)
{
    return s->ops->tracks_prune ? s->ops->tracks_prune(s, max_age_ms) : DC_EUNSUPPORTED;
}
