/* A simulated aircraft that flies its plan and, when told, the resolution
 * advisories of its operator's alerts (docs/alerts.md): it turns, climbs or
 * descends at realistic rates, holds the manoeuvre for the advisory's hold
 * time and until every alert on it has cleared, then rejoins its plan (turns
 * back towards where the plan has it, a little faster than planned until it
 * has caught up). Used by `deconflict simulate --follow-advisories` and
 * bench/bench_advise.c. Positions WGS84 degrees, altitudes metres AMSL,
 * speeds m/s, tracks degrees true, times seconds UTC. No allocation. */
#ifndef DECONFLICT_PILOT_H
#define DECONFLICT_PILOT_H

/* Where an aircraft is and how it moves. */
typedef struct dc_pilot_state {
    double lat_deg, lon_deg, alt_m;
    double ground_speed_mps, track_deg, vertical_rate_mps;
} dc_pilot_state;

/* Rates of the manoeuvres (standard-rate turn, a brisk airliner climb). */
#define DC_PILOT_TURN_DEG_S 3.0
#define DC_PILOT_CLIMB_MPS 12.5
/* Rejoining: at most this factor of the plan's speed while behind; back on
 * the plan within these distances. */
#define DC_PILOT_CATCH_UP 1.15
#define DC_PILOT_REJOIN_H_M 300.0
#define DC_PILOT_REJOIN_V_M 30.0

typedef enum dc_pilot_mode {
    DC_PILOT_PLAN = 0,     /* exactly on the plan */
    DC_PILOT_ADVISORY = 1, /* flying an advisory */
    DC_PILOT_REJOIN = 2    /* clear again, going back to the plan */
} dc_pilot_mode;

typedef enum dc_pilot_manoeuvre {
    DC_PILOT_TURN = 1, /* to heading_deg at the same speed */
    DC_PILOT_LEVEL = 2 /* climb or descend to altitude_m */
} dc_pilot_manoeuvre;

/* One advisory as the operator received it. */
typedef struct dc_pilot_advisory {
    dc_pilot_manoeuvre kind;
    double heading_deg; /* DC_PILOT_TURN: the new true track */
    double altitude_m;  /* DC_PILOT_LEVEL: the level to take */
    double hold_s;      /* keep it at least this long (0: until clear) */
} dc_pilot_advisory;

typedef struct dc_pilot {
    dc_pilot_state s; /* as flown */
    dc_pilot_mode mode;
    dc_pilot_advisory cmd; /* the advisory flown (mode ADVISORY) */
    double hold_until_s;
    unsigned open; /* the aircraft's alerts raised and not yet cleared */
    unsigned long advisories;
} dc_pilot;

/* Starts p on its plan. */
void dc_pilot_init(dc_pilot *p, const dc_pilot_state *plan);
/* An alert on this aircraft was raised with advisory a at now_s: the newest
 * advisory is the one flown. */
void dc_pilot_advise(dc_pilot *p, const dc_pilot_advisory *a, double now_s);
/* An open alert's advisory was revised to a at now_s (docs/alerts.md): the
 * newest advisory is flown, its hold counted from now; the alert counts
 * once, as raised. */
void dc_pilot_revise(dc_pilot *p, const dc_pilot_advisory *a, double now_s);
/* An alert on this aircraft was raised with no advisory (it counts until
 * cleared) or cleared. */
void dc_pilot_raised(dc_pilot *p);
void dc_pilot_cleared(dc_pilot *p);
/* Advances p by dt_s (> 0), ending at now_s; plan is where the plan has the
 * aircraft at now_s. On the plan, p->s becomes plan exactly. */
void dc_pilot_step(dc_pilot *p, const dc_pilot_state *plan, double now_s, double dt_s);

#endif
