/* Tactical monitoring (docs/design.md section 6): a table of live tracks,
 * predicted loss of separation by linear extrapolation (BlueSky state-based
 * detection: horizontal < Ht and vertical < Vt at one instant in [0, T]),
 * pair alerts raised once and cleared once, and conformance of tracks to
 * their operation's volumes. Not thread-safe: the caller serialises ingest,
 * passes and queries. Buffers grow to a high-water mark, so steady-state
 * passes allocate nothing except one tiny point footprint per report judged
 * against a polygon or corridor volume (geo.h has no point query). */
#ifndef DECONFLICT_TACTICAL_H
#define DECONFLICT_TACTICAL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "deconflict/geo.h"
#include "deconflict/status.h"

/* Operator number of traffic with no operator (radar, unknown; the same
 * value as engine.h's DC_OWNER_NONE): checked against every other track,
 * unknown ones included. */
#define DC_TRACK_OPERATOR_UNKNOWN UINT32_MAX

/* Track ids of the host's surveillance tied to an operation (a live feed's
 * track of a Mode S address declared on it, docs/feeds.md) start with this;
 * a posted report may not use it (dc_json_track_report refuses it). */
#define DC_TRACK_SURVEILLANCE_PREFIX "modes:"

/* Buffer sizes, NUL included: ids may be up to 63 bytes. */
#define DC_TRACK_ID_MAX 64
#define DC_TRACK_OPERATION_ID_MAX 64

/* One position report. Times are seconds UTC since 1970 (fractional allowed),
 * positions WGS84 degrees, altitude metres AMSL, ground speed m/s, track
 * degrees true [0, 360], vertical rate m/s (positive up). Strings are
 * borrowed for the duration of the call that takes the report. */
typedef struct dc_track_report {
    uint32_t operator_number; /* the engine's owner number (not the public "opr_..." id), or
                                 DC_TRACK_OPERATOR_UNKNOWN */
    const char *track_id;     /* non-empty, operator's own label */
    double time_s;
    double lat_deg, lon_deg, alt_m;
    double ground_speed_mps, track_deg, vertical_rate_mps;
    const char *operation_id; /* NULL when not linked to an operation */
} dc_track_report;

/* Checks one report's ranges: lat [-90, 90], lon [-180, 180], alt
 * [-1000, 50000] m, speed [0, 1500] m/s, track [0, 360] deg, vertical rate
 * [-300, 300] m/s, finite time, id lengths. On DC_EINVAL err->field is
 * "<prefix>.<field>" ("<field>" when prefix is NULL or empty). */
dc_status dc_track_report_check(const dc_track_report *r, const char *prefix, dc_error *err);

/* Parses one report object ({"track_id", "time", "lat", "lon", "alt_m",
 * "ground_speed_mps", "track_deg", "vertical_rate_mps", optional
 * "operation_id"}; time is RFC 3339 with optional fractional seconds, or
 * a number of seconds UTC) and checks it. Strings in *out are borrowed from
 * j. Unknown members are ignored. Field names as in dc_track_report_check;
 * a track_id starting with DC_TRACK_SURVEILLANCE_PREFIX is refused. */
dc_status dc_json_track_report(const json_t *j, const char *prefix, uint32_t operator_number,
                               dc_track_report *out, dc_error *err);

/* Parses a request body {"reports":[...]} (1..cap reports) into out. On
 * DC_OK *n reports are filled, their strings borrowed from body. Errors
 * name "reports[i].field"; DC_ELIMIT (with err filled) above cap. */
dc_status dc_json_track_reports(const json_t *body, uint32_t operator_number, dc_track_report *out,
                                size_t cap, size_t *n, dc_error *err);

/* Detection and conformance parameters. */
typedef struct dc_tactical_params {
    double lookahead_s;  /* T, default 300 */
    double h_m;          /* Ht, default 9260 */
    double v_m;          /* Vt, default 305 */
    double stale_s;      /* tracks older than this are dropped, default 30 */
    double conf_h_tol_m; /* footprint grown by this, default 0 */
    double conf_v_tol_m; /* altitude band grown by this, default 0 */
    double conf_t_tol_s; /* time window grown by this, default 0 */
    double conf_dwell_s; /* outside longer than this: nonconforming; inside
                            this long again: conforming. Default 10 */
    /* Kinematic plausibility (docs/alerts.md): a report is implausible when
     * its ground speed or vertical rate is above these, or when it moved
     * from the track's previous report farther than max_speed_mps * dt +
     * plaus_slack_m horizontally (max_climb_mps * dt + plaus_slack_m
     * vertically). A track with one implausible report stays implausible for
     * its life (until stale): it is in the authority's picture only. 0: no
     * check. Defaults 1000 m/s, 200 m/s, 500 m. */
    double max_speed_mps;
    double max_climb_mps;
    double plaus_slack_m;
    /* Live tracks per operator (unknown traffic exempt): reports that would
     * start one more are dropped (counted in the ingest result). 0: no
     * limit. Default 20,000. */
    double max_tracks_per_operator;
} dc_tactical_params;
#define DC_TACTICAL_PARAMS_DEFAULT                                                                 \
    ((dc_tactical_params){300.0, 9260.0, 305.0, 30.0, 0.0, 0.0, 0.0, 10.0, 1000.0, 200.0, 500.0,   \
                          20000.0})

/* Validates params (finite, h > 0, v >= 0, lookahead >= 0, ...); DC_EINVAL
 * naming the field. */
dc_status dc_tactical_params_check(const dc_tactical_params *p, dc_error *err);
/* Sets the parameter named as its field ("lookahead_s", "h_m", ...) from a
 * decimal string (configuration files, command lines). DC_EINVAL naming it
 * when not a valid value (p unchanged), DC_ENOTFOUND for an unknown name. */
dc_status dc_tactical_params_set(dc_tactical_params *p, const char *name, const char *value,
                                 dc_error *err);

/* A track's identity as seen in results and events. Strings are borrowed
 * (see the function or callback that hands them out). */
typedef struct dc_track_ref {
    uint32_t operator_number;
    const char *track_id;
    const char *operation_id; /* NULL when not linked */
    int plausible;            /* every report of the track so far was plausible */
} dc_track_ref;

/* The intruder as one side sees it (blind alerts): no identity. */
typedef struct dc_relative {
    double bearing_deg; /* true, from own aircraft to intruder, [0, 360) */
    double distance_m;  /* horizontal, now */
    double rel_alt_m;   /* intruder minus own, now */
    double t_cpa_s;     /* time to horizontal CPA (>= 0) */
    double d_cpa_m;     /* horizontal distance at CPA */
} dc_relative;

/* One predicted loss of separation between tracks a and b, all times
 * relative to the pass time. t_cpa_s is the time of horizontal closest
 * approach, clamped at 0 (diverging pairs report now); d_cpa_m its distance. */
typedef struct dc_tactical_conflict {
    dc_track_ref a, b;
    double t_in_s;  /* first instant of loss in [0, lookahead] (0 if now) */
    double t_out_s; /* end of the loss interval (may exceed lookahead) */
    double t_cpa_s, d_cpa_m;
    int los_now;           /* separation already lost at the pass time */
    dc_relative seen_by_a; /* b relative to a */
    dc_relative seen_by_b; /* a relative to b */
} dc_tactical_conflict;

typedef enum dc_tactical_event_kind {
    DC_TAC_ALERT_RAISED = 1,  /* pair entered conflict; conflict filled */
    DC_TAC_ALERT_CLEARED = 2, /* pair clear (or a track dropped); a, b filled */
    DC_TAC_NONCONFORMING = 3, /* track a outside its operation's volumes */
    DC_TAC_CONFORMING = 4     /* track a back inside */
} dc_tactical_event_kind;

typedef struct dc_tactical_event {
    dc_tactical_event_kind kind;
    uint64_t alert_id; /* a raise and its clear share one id; 0 for conformance */
    double time_s;     /* pass time (alerts) or report time that decided (conformance) */
    dc_track_ref a, b; /* b unused for conformance */
    const dc_tactical_conflict *conflict; /* raised only, else NULL */
} dc_tactical_event;

/* Receives events during dc_tactical_pass(); everything in ev is borrowed
 * for the duration of the call only. Must not call back into the table. */
typedef void (*dc_tactical_event_fn)(void *ctx, const dc_tactical_event *ev);

/* Looks up the volumes of operation_id (owned by operator_number). On DC_OK
 * *vols / *n are borrowed until the callback is called again or the pass
 * returns. DC_ENOTFOUND: the track is not checked (conformance unknown). */
typedef dc_status (*dc_tactical_volumes_fn)(void *ctx, uint32_t operator_number,
                                            const char *operation_id, const dc_volume **vols,
                                            size_t *n);

typedef struct dc_tactical dc_tactical;

/* New empty table. p NULL means defaults; p is copied. NULL on allocation
 * failure or invalid params. Free with dc_tactical_free(). */
dc_tactical *dc_tactical_new(const dc_tactical_params *p);
void dc_tactical_free(dc_tactical *t); /* accepts NULL */
const dc_tactical_params *dc_tactical_params_of(const dc_tactical *t);

/* Callbacks (either may be NULL). ctx pointers are borrowed. */
void dc_tactical_set_event_fn(dc_tactical *t, dc_tactical_event_fn fn, void *ctx);
void dc_tactical_set_volumes_fn(dc_tactical *t, dc_tactical_volumes_fn fn, void *ctx);

/* Ingests a batch, all or nothing: every report is checked first (errors
 * name "reports[i].field"); then each updates or creates its track, keyed
 * by (operator_number, track_id). A report older than the track's latest is
 * ignored; of equal times the later in the batch wins. DC_ENOMEM leaves the
 * table unchanged. *n_applied (may be NULL) counts reports that changed a
 * track. */
dc_status dc_tactical_ingest(dc_tactical *t, const dc_track_report *reports, size_t n,
                             size_t *n_applied, dc_error *err);

typedef enum dc_tactical_method {
    DC_TAC_BROAD_PHASE = 0, /* grid of swept boxes, exact CPA on candidates */
    DC_TAC_BRUTE_FORCE = 1  /* every pair, O(n^2): tests and benchmarks */
} dc_tactical_method;

typedef struct dc_tactical_stats {
    size_t live_tracks;      /* tracks taking part */
    size_t dropped_stale;    /* removed by this pass */
    uint64_t pairs_examined; /* pairs given to the exact CPA test */
    size_t conflicts;
    size_t alerts_raised, alerts_cleared, conformance_events;
} dc_tactical_stats;

/* Runs one detection pass at now_s: drops tracks older than stale_s,
 * extrapolates every track to now_s, finds all conflicting pairs (different
 * operators, or either unknown), emits raise/clear events against the
 * previous pass and conformance events. stats may be NULL. DC_ENOMEM when
 * growing internal buffers fails (state unchanged). */
dc_status dc_tactical_pass(dc_tactical *t, double now_s, dc_tactical_method method,
                           dc_tactical_stats *stats);

/* Conflicts found by the last pass, in a fixed order per pair of tracks
 * (by the tracks' internal slots; a's slot < b's, the pair solved in a's
 * frame). Borrowed until the next ingest, pass or free. */
const dc_tactical_conflict *dc_tactical_conflicts(const dc_tactical *t, size_t *n);

size_t dc_tactical_track_count(const dc_tactical *t);
/* Reports dropped so far because their operator was at
 * max_tracks_per_operator live tracks. */
unsigned long dc_tactical_over_quota(const dc_tactical *t);

/* The latest report of track (operator_number, track_id) as ingested (not
 * extrapolated), into *out; its strings are borrowed until the next ingest,
 * pass or free. DC_ENOTFOUND when no such live track. */
dc_status dc_tactical_track_get(const dc_tactical *t, uint32_t operator_number,
                                const char *track_id, dc_track_report *out);
/* 1 when track (operator_number, track_id) is live and every report of it
 * so far was kinematically plausible, else 0. */
int dc_tactical_track_plausible(const dc_tactical *t, uint32_t operator_number,
                                const char *track_id);
/* Calls fn with the latest report of every track in the table, in slot
 * order; r and its strings are borrowed for the call. fn must not call back
 * into the table. */
void dc_tactical_each(const dc_tactical *t, void (*fn)(void *ctx, const dc_track_report *r),
                      void *ctx);

/* Exact pair test on two reports taken at the same time, in the frame of a
 * (the per-pair geometry of a pass; for tests and tools). Returns 1 and fills
 * *out (a/b refs from the reports) on a conflict, else 0. */
int dc_tactical_pair(const dc_tactical_params *p, const dc_track_report *a,
                     const dc_track_report *b, dc_tactical_conflict *out);

/* Horizontal distance (m) and bearing (deg true) from a to b in the local
 * azimuthal frame at a that detection uses; within 0.1 % of the geodesic up
 * to 500 km. */
void dc_tactical_local_polar(double lat_a_deg, double lon_a_deg, double lat_b_deg, double lon_b_deg,
                             double *distance_m, double *bearing_deg);

#endif
