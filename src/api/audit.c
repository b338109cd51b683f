/* GET /v1/audit: the audit chain's records after a sequence number, read
 * from the store. */
#include <stdlib.h>

#include "api/api.h"

typedef struct audit_ctx {
    json_t *a;
    int64_t last;
} audit_ctx;

static int audit_visit(void *ctx, const dc_audit_record *rec)
{
    audit_ctx *ac = ctx;
    char hex[65];
    dc__hex(rec->hash, 32, hex);
    json_t *entry = json_loadb(rec->entry, rec->entry_len, 0, NULL);
    json_array_append_new(ac->a, json_pack("{s:I, s:o, s:s}", "seq", (json_int_t)rec->seq, "entry",
                                           entry ? entry : json_null(), "hash", hex));
    ac->last = rec->seq;
    return 0;
}

void dc__api_audit(dc__req *r, const char *unused)
{
    (void)unused;
    const char *after = dc__req_arg(r, "after"), *limit = dc__req_arg(r, "limit");
    char *end;
    long long a = 0, l = 100;
    if (after && ((a = strtoll(after, &end, 10)) < 0 || *end || end == after)) {
        dc__reply_error(r, 400, "invalid", "after", "must be a sequence number >= 0");
        return;
    }
    if (limit && ((l = strtoll(limit, &end, 10)) < 1 || l > 1000 || *end || end == limit)) {
        dc__reply_error(r, 400, "invalid", "limit", "must be 1..1000");
        return;
    }
    audit_ctx ac = {json_array(), 0};
    dc_status rc = dc_store_audit_each(r->s->store, a, (size_t)l, audit_visit, &ac);
    if (rc != DC_OK) {
        json_decref(ac.a);
        dc__reply_status(r, rc, NULL);
        return;
    }
    json_t *next = (json_int_t)json_array_size(ac.a) == l ? json_integer(ac.last) : json_null();
    dc__reply_json(r, 200, json_pack("{s:o, s:o}", "entries", ac.a, "next_after", next));
}
