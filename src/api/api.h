/* The /v1 API (docs/openapi.yaml), one file per resource: operations.c,
 * restrictions.c, operators.c, notices.c, audit.c, tracks.c, alerts.c,
 * feeds.c, metrics.c (and /healthz); common.c holds what they share and
 * routes.c the table handed to http/. Handlers are thin: parse, call the airspace
 * (decide, change state) or the monitor, render. What an operator reads is
 * filtered here: another operator's operation is "not found", conflicts
 * and notices come only in blind form (notice envelopes, HMAC ids). */
#ifndef DC_API_H
#define DC_API_H

#include <jansson.h>

#include "airspace/airspace.h"
#include "http/http.h"
#include "livefeed/livefeed.h"
#include "monitor/monitor.h"

extern const dc__route dc__api_routes[];
extern const size_t dc__api_n_routes;

/* ---- shared by the resource files (common.c) ---- */
json_t *dc__api_time_json(int64_t t);                                       /* RFC 3339 */
int dc__api_new_id(const char *tag, size_t n_bytes, char *out, size_t len); /* tag + hex */
/* Takes mu for a state change (on a shared store, inside a decision
 * window). Nonzero, with mu held, after answering 503. */
int dc__api_write_lock(dc__req *r);
/* Under mu: an entry as the caller may see it. */
json_t *dc__api_entry_json(dc_server *s, const dc__entry *e, int for_authority);
void dc__api_set_etag(dc__req *r, const dc__entry *e);
/* Under mu: the operation or restriction id as the caller may see it, or
 * NULL after a 404 (never 403: existence is not disclosed). */
dc__entry *dc__api_visible(dc__req *r, const char *id, int restriction);
void dc__api_get_entry(dc__req *r, const char *id, int restriction); /* takes mu */
/* Body helpers: 0 after replying 400. dc__api_known refuses a member of
 * body that is not in allowed (NULL-terminated), naming it. */
int dc__api_known(dc__req *r, const json_t *body, const char *const *allowed);
int dc__api_priority(dc__req *r, const json_t *body, int *out);
int dc__api_candidate(dc__req *r, const json_t *body, int is_restriction, dc__candidate *c);
/* Under mu: answers 429 and returns 1 when the caller is over its budget of
 * rejected submissions (airspace/probing.c). */
int dc__api_refuse_probing(dc__req *r);
/* Under mu: answers 409 with the blind conflicts and a suggestion, audits
 * the rejection and counts it for probing; answers after the commit. */
/* Under mu, right after a decision: resp (taken) with "receipt", the
 * caller's receipt of the decision's record when one newer than audit seq
 * after was journaled (docs/transparency.md). */
json_t *dc__api_receipt(dc__req *r, json_t *resp, int64_t after);
void dc__api_reject(dc__req *r, const dc__candidate *c, const dc__hits *h, int exact,
                    const char *skip, const char *action);
/* Without mu, after a submission: hands the probing alerts raised to the
 * authority's alert stream. */
void dc__api_flush_alerts(dc_server *s);

/* mode_s.c: an array of Mode S addresses body[field] (absent: none) into
 * *out (caller frees with dc_free), at most max, no repeats; 0 after
 * replying 400 naming field[i]. */
int dc__api_mode_s_parse(dc__req *r, const json_t *body, const char *field, size_t max,
                         uint32_t **out, size_t *n);
/* Under mu: 1 when every address is registered to the caller, else 0 after
 * replying 400 "mode_s[i]" "not registered to you" (whoever holds it). */
int dc__api_mode_s_owned(dc__req *r, const uint32_t *addrs, size_t n);

/* ---- handlers (routes.c lists them) ---- */
void dc__api_healthz(dc__req *r, const char *unused);
void dc__api_metrics(dc__req *r, const char *unused);
void dc__api_operator_create(dc__req *r, const char *unused);
void dc__api_operator_list(dc__req *r, const char *unused);
void dc__api_key_rotate(dc__req *r, const char *id);
void dc__api_whoami(dc__req *r, const char *unused);
void dc__api_mode_s_get(dc__req *r, const char *id);
void dc__api_mode_s_put(dc__req *r, const char *id);
void dc__api_op_submit(dc__req *r, const char *unused);
void dc__api_op_list(dc__req *r, const char *unused);
void dc__api_op_get(dc__req *r, const char *id);
void dc__api_op_modify(dc__req *r, const char *id);
void dc__api_op_withdraw(dc__req *r, const char *id);
void dc__api_op_activate(dc__req *r, const char *id);
void dc__api_op_end(dc__req *r, const char *id);
void dc__api_rs_create(dc__req *r, const char *unused);
void dc__api_rs_list(dc__req *r, const char *unused);
void dc__api_rs_get(dc__req *r, const char *id);
void dc__api_rs_delete(dc__req *r, const char *id);
void dc__api_rs_import(dc__req *r, const char *unused);
void dc__api_notices(dc__req *r, const char *unused);
void dc__api_audit(dc__req *r, const char *unused);
void dc__api_log_key(dc__req *r, const char *unused);
void dc__api_log_checkpoint(dc__req *r, const char *unused);
void dc__api_log_cosignature(dc__req *r, const char *unused);
void dc__api_log_inclusion(dc__req *r, const char *unused);
void dc__api_log_consistency(dc__req *r, const char *unused);
void dc__api_log_receipts(dc__req *r, const char *unused);
void dc__api_log_leaf(dc__req *r, const char *id);
void dc__api_tracks_post(dc__req *r, const char *unused);
void dc__api_tracks_list(dc__req *r, const char *unused);
void dc__api_alerts_list(dc__req *r, const char *unused);
void dc__api_alerts_stream(dc__req *r, const char *unused);
void dc__api_feeds_list(dc__req *r, const char *unused);

#endif
