/* The route table handed to http/: method, path, who may call it and the
 * admission bucket it draws from (a decision, a notice query, a stream, or
 * neither), then its handler. */
#include "api/api.h"

#define ANY DC__ROLE_ANY
#define AUTH DC__ROLE_AUTHORITY
#define OTHER DC__RATE_OTHER

const dc__route dc__api_routes[] = {
    {"GET", "/healthz", DC__ROLE_NONE, OTHER, dc__api_healthz},
    {"GET", "/metrics", AUTH, OTHER, dc__api_metrics},
    {"POST", "/v1/operators", AUTH, OTHER, dc__api_operator_create},
    {"GET", "/v1/operators", AUTH, OTHER, dc__api_operator_list},
    {"POST", "/v1/operators/{id}/keys", ANY, DC__RATE_KEYS, dc__api_key_rotate},
    {"GET", "/v1/whoami", ANY, OTHER, dc__api_whoami},
    {"GET", "/v1/operators/{id}/mode_s", ANY, OTHER, dc__api_mode_s_get},
    {"PUT", "/v1/operators/{id}/mode_s", AUTH, OTHER, dc__api_mode_s_put},
    {"POST", "/v1/operations", ANY, DC__RATE_SUBMIT, dc__api_op_submit},
    {"GET", "/v1/operations", ANY, OTHER, dc__api_op_list},
    {"GET", "/v1/operations/{id}", ANY, OTHER, dc__api_op_get},
    {"PUT", "/v1/operations/{id}", ANY, DC__RATE_SUBMIT, dc__api_op_modify},
    {"DELETE", "/v1/operations/{id}", ANY, OTHER, dc__api_op_withdraw},
    {"POST", "/v1/operations/{id}/activate", ANY, OTHER, dc__api_op_activate},
    {"POST", "/v1/operations/{id}/end", ANY, OTHER, dc__api_op_end},
    {"POST", "/v1/restrictions", AUTH, OTHER, dc__api_rs_create},
    {"POST", "/v1/restrictions:import", AUTH, OTHER, dc__api_rs_import},
    {"GET", "/v1/restrictions", AUTH, OTHER, dc__api_rs_list},
    {"GET", "/v1/restrictions/{id}", AUTH, OTHER, dc__api_rs_get},
    {"DELETE", "/v1/restrictions/{id}", AUTH, OTHER, dc__api_rs_delete},
    {"GET", "/v1/notices", ANY, DC__RATE_NOTICES, dc__api_notices},
    {"GET", "/v1/audit", AUTH, OTHER, dc__api_audit},
    {"GET", "/v1/log/key", DC__ROLE_NONE, OTHER, dc__api_log_key},
    {"GET", "/v1/log/checkpoint", DC__ROLE_NONE, OTHER, dc__api_log_checkpoint},
    {"POST", "/v1/log/cosignature", DC__ROLE_NONE, OTHER, dc__api_log_cosignature},
    {"GET", "/v1/log/proof/inclusion", ANY, OTHER, dc__api_log_inclusion},
    {"GET", "/v1/log/proof/consistency", DC__ROLE_NONE, OTHER, dc__api_log_consistency},
    {"GET", "/v1/log/receipts", ANY, OTHER, dc__api_log_receipts},
    {"GET", "/v1/log/leaves/{id}", ANY, OTHER, dc__api_log_leaf},
    {"POST", "/v1/tracks", ANY, OTHER, dc__api_tracks_post},
    {"GET", "/v1/tracks", ANY, OTHER, dc__api_tracks_list},
    {"GET", "/v1/alerts", ANY, OTHER, dc__api_alerts_list},
    {"GET", "/v1/alerts/stream", ANY, DC__RATE_STREAM, dc__api_alerts_stream},
    {"GET", "/v1/feeds", AUTH, OTHER, dc__api_feeds_list},
};
const size_t dc__api_n_routes = sizeof dc__api_routes / sizeof dc__api_routes[0];
