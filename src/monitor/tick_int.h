/* Private to the tick thread's files: tick.c (the thread, conformance),
 * records.c (alert records) and takeover.c (alerts inherited from a
 * previous lease holder). Everything here is touched by the tick thread
 * alone, so it needs no lock. */
#ifndef DC_MONITOR_TICK_INT_H
#define DC_MONITOR_TICK_INT_H

#include "monitor/monitor.h"

typedef struct side {
    uint32_t op; /* operator number or DC_TRACK_OPERATOR_UNKNOWN */
    char track[DC_TRACK_ID_MAX];
    char operation[DC_TRACK_OPERATION_ID_MAX]; /* "" when not linked */
    int implausible; /* a report of the track failed the kinematic check */
    /* filled after the pass / under mu */
    int has_pos;
    dc_track_report pos; /* strings NULL */
    int known, is_authority;
    char op_id[24];
    char op_name[72];
    const char *state; /* conformance: the operation's state after the event */
} side;

typedef struct event {
    dc_tactical_event_kind kind;
    uint64_t alert_id;
    double time_s;
    side a, b;
    dc_tactical_conflict c; /* refs cleared; raised only */
    char ref[40];           /* inherited alert reference, "" for our own */
    int quiet;              /* already known to every recipient: no records */
    int a_up;               /* a level change in one layer: a climbs (1) or b does (0), keyed */
} event;

typedef struct vcache {
    char id[DC_TRACK_OPERATION_ID_MAX];
    int64_t version; /* -1: not found */
    uint64_t pass;
    dc_volume *vols;
    size_t n;
} vcache;

typedef struct nc_track { /* a track currently nonconforming */
    uint32_t op;
    char track[DC_TRACK_ID_MAX];
    char operation[DC_TRACK_OPERATION_ID_MAX];
} nc_track;

/* A pair alert a previous holder raised and did not clear. */
typedef struct inherited {
    char ref[40];
    side a, b;         /* as it was raised (op, track, operation) */
    uint64_t alert_id; /* ours once raised again; 0 until then */
} inherited;

/* Passes after the takeover pass (which has the recent reports) in which an
 * inherited pair may be raised again before it is cleared. */
#define INHERIT_GRACE_PASSES 2

/* records.c: what an operator's advisory gives (docs/alerts.md). */
#define DC__ALERT_CELL_DEG 0.1   /* the intruder's position: this grid's cell */
#define DC__ALERT_LAYER_M 300.0  /* its altitude: this layer */
#define DC__ALERT_T_STEP_S 30.0  /* time to loss of separation, floored */
#define DC__ALERT_PER_INTRUDER 2 /* own tracks with an open advisory on one intruder */
enum { DC__ADVISE_HEADING = 1, DC__ADVISE_ALTITUDE = 2 };
typedef struct dc__advisory {
    int sector;   /* 0..7 from north clockwise (45 degrees each); -1 same cell */
    int band;     /* 0: < 10 km, 1: 10-20 km, 2: 20-50 km, 3: > 50 km */
    int vertical; /* 1 above, 0 level (same layer), -1 below */
    double t_los_s;
    int kind;
    double turn_deg, heading_deg; /* heading: signed turn (right +), new track */
    int climb;                    /* altitude: 1 climb, 0 descend */
    double altitude_m;            /* altitude: the level to take */
    double hold_s; /* keep it this long at least (past closest approach), then rejoin */
} dc__advisory;
/* advise.c: the traffic an advisory's turn steers clear of (every live
 * track's latest report, sorted by latitude; strings borrowed from the
 * reports given). */
typedef struct dc__traffic {
    dc_track_report *v;
    size_t n, cap;
    double max_speed_mps;
} dc__traffic;
/* Replaces t's reports with a copy of reps; -1 when out of memory (t empty). */
int dc__traffic_set(dc__traffic *t, const dc_track_report *reps, size_t n);
void dc__traffic_free(dc__traffic *t); /* its buffer; t is empty after */
/* What an advisory is computed from. Reports carry operator_number and
 * track_id; all borrowed for the call. */
typedef struct dc__advise_in {
    const dc_track_report *own, *intr;
    const dc_track_report *partners; /* own's other conflicts now (may be NULL) */
    size_t n_partners;
    const dc__traffic *traffic; /* steered clear of as own sees it coarsely; may be NULL */
    double now_s, t_in_s;
    /* When both are in one layer and a level change is advised: 1 climbs,
     * 0 descends (the two sides of a pair get opposite values). */
    int level_up;
    int cooperative; /* the intruder gets the mirrored advisory */
} dc__advise_in;
void dc__advise(const dc_tactical_params *p, const dc__advise_in *a, dc__advisory *out);
void dc__advisory_json(dc__buf *b, const dc__advisory *a);
/* r moved linearly to t_s, as advisories extrapolate. */
dc_track_report dc__report_at(const dc_track_report *r, double t_s);

/* Revised advisories (docs/alerts.md): while its alert stays open, when
 * the manoeuvre flown (the newest advisory own track got) no longer clears
 * the intruder on the coarse picture, a fresh advisory from the same inputs
 * replaces it if it clears own's conflicts better. Bounded: no revision
 * within DC__REVISE_EVERY_S of the last advisory (raise or revision) own
 * track got, at most DC__REVISE_MAX per alert, and a look that found none
 * waits DC__REVISE_RECHECK_S. */
#define DC__REVISE_EVERY_S 15.0
#define DC__REVISE_MAX 3
#define DC__REVISE_RECHECK_S 5.0
#define DC__REVISE_GAIN 0.25 /* the fresh one costs this many intruders' worth less */
typedef struct dc__advised {
    dc__advisory adv;    /* the newest advisory sent to own track (the one flown) */
    double track_sent_s; /* the newest advisory sent to own track, any alert */
    double next_check_s; /* no revision looked for before */
    unsigned revisions;
} dc__advised;
/* 1 when o's bounds let a revision be looked for at now_s. */
int dc__revise_due(const dc__advised *o, double now_s);
/* Looks for a revision of o->adv from a (as dc__advise): 1 with *out the
 * revised advisory (o->adv and o->revisions updated; the caller sets
 * track_sent_s on own track's advisories), else 0 (o->next_check_s may
 * move on). */
int dc__advise_revise(const dc_tactical_params *p, const dc__advise_in *a, dc__advised *o,
                      dc__advisory *out);

/* An operator's open advisory: recipient and its track, the intruder, the
 * alert. */
typedef struct open_adv {
    uint32_t to, iop;
    char otrack[DC_TRACK_ID_MAX];
    char itrack[DC_TRACK_ID_MAX];
    char ref[40];
    struct dc__advised rev; /* what was sent, and the revision bounds */
    int side_up;            /* level_up for own side, as at the raise */
    int cooperative;        /* the intruder got the mirrored advisory */
} open_adv;

typedef struct dc__monitor_tick {
    event *ev;
    size_t n_ev, cap_ev;
    unsigned long ev_lost;
    dc__map vmap;
    vcache **vlist;
    size_t n_v, cap_v;
    uint64_t pass;
    nc_track *nc;
    size_t n_nc, cap_nc;
    dc_track_report *seed;
    size_t n_seed, cap_seed;
    dc__alert_rec *out; /* records of this tick, for dc__alerts_append */
    size_t n_out, cap_out;
    /* inherited at the last takeover (shared store) */
    inherited *inh;
    size_t n_inh, cap_inh;
    uint64_t inh_until; /* last pass in which a pending one may be raised again */
    nc_track *quiet;    /* tracks already reported nonconforming */
    size_t n_quiet, cap_quiet;
    dc__open_list open_pairs, open_nc; /* from lease_share.c */
    open_adv *adv;                     /* operators' open advisories (records.c) */
    size_t n_adv, cap_adv;
    struct dc__traffic *traffic; /* advise.c: this tick's picture, NULL until needed */
    uint64_t traffic_pass;       /* the pass traffic was taken at */
} dc__monitor_tick;

/* Grows *buf (elem bytes each) to hold need; 0 on success, contents kept. */
void dc__side_from(side *sd, const dc_track_ref *ref);
int dc__nc_in(const nc_track *v, size_t n, const side *sd);
/* Under mu: fills the operator and operation of sd from the airspace. */
void dc__side_resolve(dc_server *s, side *sd);

/* records.c: "YYYY-MM-DDTHH:MM:SS.mmmZ" of a time in seconds UTC. */
void dc__time_str(double t_s, char out[32]);
/* The records of a raised/cleared pair: each operator side its blind view
 * (its own track, the intruder only relatively), the authority the full
 * one; queued on the tick's out list for dc__alerts_append. */
void dc__pair_records(dc__monitor *m, const event *ev);
/* Revised advisories for the open alerts whose advisory no longer clears,
 * within their bounds (docs/alerts.md); queued like the others. */
void dc__revise_records(dc__monitor *m, double now_s);
/* tick.c: t->traffic becomes every live track of the table now. */
void dc__tick_traffic(dc__monitor *m);
/* The records of a (non)conformance event: the owner and the authority. */
void dc__conformance_records(dc__monitor *m, const event *ev);

/* takeover.c: a new lease holder takes over what the feed shows open. */
void dc__inherit(dc__monitor *m);
void dc__inherit_match(dc__monitor_tick *t, event *ev);
void dc__inherit_step(dc__monitor *m, double now_s);

#endif
