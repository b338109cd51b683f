/* Putting a scenario (scenario.h) onto a running server through its API, as
 * its parties would: the authority creates the operators and restrictions,
 * each operator submits its own plans with its own key (a plan expected to
 * be rejected is retried with the server's suggestion), and each operator
 * posts its own aircraft's position reports. Shared by `demo` and
 * `simulate`. */
#ifndef DC_CLI_PLAY_H
#define DC_CLI_PLAY_H

#include <jansson.h>
#include <stddef.h>

#include "cli/client.h"
#include "deconflict/pilot.h"
#include "deconflict/scenario.h"

typedef struct dc__party {
    char name[72], id[72], key[160];
    int is_authority;
    unsigned long long alerts_next; /* GET /v1/alerts cursor (following advisories) */
} dc__party;

/* What happened to one submission; borrowed for the callback's duration.
 * retry: 1 for the resubmission of a rejected plan with its suggestion. */
typedef struct dc__submit_event {
    const json_t *plan; /* the scenario's plan (ref, operator, expect...) */
    const dc__party *by;
    int retry;
    long status;        /* HTTP status, 0 when no answer */
    const json_t *resp; /* parsed body, may be NULL */
} dc__submit_event;

typedef struct dc__play {
    dc__client *http;
    const dc_scenario *sc;
    dc__party *parties; /* [0] is the authority */
    size_t n_parties;
    json_t *op_ids; /* plan ref -> operation id (approved plans only) */
    /* plan ref -> the approved operation's volumes (a retried plan's are
     * the suggestion's) */
    json_t *op_vols;
    json_t *activated; /* plan ref -> true once activated */
    size_t n_past;     /* plans not submitted: they ended before play began */
    void (*on_submit)(void *ctx, const dc__submit_event *ev);
    void *ctx;
    /* Following advisories (dc__play_follow_start): each aircraft's pilot,
     * whether it is in the air, and the scenario time of the last reports. */
    dc_pilot *pilots;
    unsigned char *airborne;
    double last_scen_s;
    unsigned long advisories_followed;
} dc__play;

/* Fills p->parties: the authority (whose key is given) and one operator per
 * scenario operator, created with POST /v1/operators. Returns 0, or -1 with
 * a message in err. */
int dc__play_parties(dc__play *p, const char *authority_key, char *err, size_t err_len);
/* Creates the restrictions (exemptions by name), then submits every plan
 * with its owner's key, in the file's order; a 409 on a plan that expects
 * "reject_then_retry" is retried once with the suggestion's volumes. A
 * plan that has already ended by the wall clock is not submitted (the
 * server refuses plans in the past) and counted in n_past. Returns the
 * number of restrictions and plans that failed unexpectedly. */
int dc__play_plans(dc__play *p);
/* Activates, with its owner's key, every approved operation not yet
 * activated whose approved window holds now_s: wall seconds UTC, the
 * server's clock (never the scenario's accelerated time; the server
 * refuses an activation outside the window). Returns how many. */
int dc__play_activate(dc__play *p, double now_s);
/* Posts the position of every aircraft airborne at scenario time scen_s,
 * stamped with report time report_s, one batch per operator; a report
 * names its operation only until that operation's approved window ends
 * (then the server ends it, and a report naming it would be refused).
 * Returns the
 * number of reports accepted, -1 if a batch failed (message in err). */
long dc__play_tracks(dc__play *p, double scen_s, double report_s, char *err, size_t err_len);
const dc__party *dc__play_party(const dc__play *p, const char *name);
void dc__play_free(dc__play *p); /* frees parties, op_ids and pilots, not http/sc */

/* From now on the aircraft fly their operators' advisories (pilot.h):
 * dc__play_tracks reports where each pilot has flown instead of the plan.
 * -1 when out of memory. */
int dc__play_follow_start(dc__play *p);
/* Reads each operator's new alert records (GET /v1/alerts with its own
 * key) and hands every advisory on its aircraft, and every clear, to the
 * aircraft's pilot. scen_s: the scenario time that is now (hold times are
 * real seconds; speed: scenario seconds per real second). Returns the
 * number of advisories taken, -1 when a call failed (message in err). */
long dc__play_follow(dc__play *p, double scen_s, double speed, char *err, size_t err_len);

/* "HH:MM" (HH up to 48) as seconds of the scenario day; -1 when malformed. */
int dc__parse_hhmm(const char *s, int *out_s);
/* The reference scenario's file: examples/scenario/iraq.json beside the
 * binary's tree when it is there (buf, len), else relative to the cwd. */
const char *dc__default_scenario(char *buf, size_t len);

/* RFC 3339 UTC with milliseconds. */
void dc__time_ms(double t_s, char *buf, size_t len);
double dc__now(void);

#endif
