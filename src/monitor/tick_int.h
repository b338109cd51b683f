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
/* The records of a (non)conformance event: the owner and the authority. */
void dc__conformance_records(dc__monitor *m, const event *ev);

/* takeover.c: a new lease holder takes over what the feed shows open. */
void dc__inherit(dc__monitor *m);
void dc__inherit_match(dc__monitor_tick *t, event *ev);
void dc__inherit_step(dc__monitor *m, double now_s);

#endif
