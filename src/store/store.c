/* Store dispatcher: picks the backend from the URI and forwards to its
 * struct dc_store_ops. See include/deconflict/store.h. */
#include <string.h>

#include "store/store_int.h"

dc_status dc_store_open(const char *uri, int create, dc_store **out, dc_error *err)
{
    *out = NULL;
    if (!uri || !*uri)
        return dc_error_set(err, "store", "empty store location");
    if (!strncmp(uri, "postgresql://", 13) || !strncmp(uri, "postgres://", 11))
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
