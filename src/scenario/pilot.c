/* A simulated aircraft following its plan and its advisories (pilot.h).
 * Motion is integrated on the local plane (east/north metres per step, as
 * the monitor extrapolates), turns at DC_PILOT_TURN_DEG_S, climbs and
 * descents at DC_PILOT_CLIMB_MPS. Rejoining steers at a point of the plan a
 * minute ahead, so the aircraft meets its planned path at an angle rather
 * than chasing its planned position from behind. */
#include <math.h>
#include <string.h>

#include "deconflict/pilot.h"

#define M_PER_DEG 111195.0
#define DEG_RAD (M_PI / 180.0)
#define LEAD_S 60.0

static double wrap180(double deg)
{
    return fmod(fmod(deg + 180.0, 360.0) + 360.0, 360.0) - 180.0;
}

static void move(dc_pilot_state *s, double dt_s, int horizontal)
{
    s->alt_m += s->vertical_rate_mps * dt_s;
    if (!horizontal)
        return;
    double d = s->ground_speed_mps * dt_s / M_PER_DEG;
    double lat = s->lat_deg;
    s->lat_deg += d * cos(s->track_deg * DEG_RAD);
    s->lon_deg += d * sin(s->track_deg * DEG_RAD) / cos(lat * DEG_RAD);
    s->lon_deg = wrap180(s->lon_deg);
}

static void turn_to(dc_pilot_state *s, double track_deg, double dt_s)
{
    double diff = wrap180(track_deg - s->track_deg), max = DC_PILOT_TURN_DEG_S * dt_s;
    if (diff > max)
        diff = max;
    if (diff < -max)
        diff = -max;
    s->track_deg = fmod(s->track_deg + diff + 360.0, 360.0);
}

static void climb_to(dc_pilot_state *s, double alt_m, double dt_s)
{
    double rate = (alt_m - s->alt_m) / dt_s;
    if (rate > DC_PILOT_CLIMB_MPS)
        rate = DC_PILOT_CLIMB_MPS;
    if (rate < -DC_PILOT_CLIMB_MPS)
        rate = -DC_PILOT_CLIMB_MPS;
    s->vertical_rate_mps = rate;
}

/* East/north metres from s to the plan's position LEAD_S ahead. */
static double to_plan(const dc_pilot_state *s, const dc_pilot_state *plan, double *e, double *n)
{
    double k = plan->ground_speed_mps * LEAD_S;
    double tn = plan->lat_deg * M_PER_DEG + k * cos(plan->track_deg * DEG_RAD);
    double coslat = cos(s->lat_deg * DEG_RAD);
    double dlon = wrap180(plan->lon_deg - s->lon_deg);
    *e = dlon * M_PER_DEG * coslat + k * sin(plan->track_deg * DEG_RAD);
    *n = tn - s->lat_deg * M_PER_DEG;
    double pe = dlon * M_PER_DEG * coslat, pn = (plan->lat_deg - s->lat_deg) * M_PER_DEG;
    return hypot(pe, pn); /* distance to the plan's position now */
}

/* Horizontal: back to the plan (s one step behind it). Returns the
 * distance to the plan; *on set when s was put on it (no move left). */
static double steer_to_plan(dc_pilot_state *s, const dc_pilot_state *plan, double dt_s, int *on)
{
    double e, n, now_m = to_plan(s, plan, &e, &n);
    *on = now_m < DC_PILOT_REJOIN_H_M;
    if (*on) {
        s->lat_deg = plan->lat_deg;
        s->lon_deg = plan->lon_deg;
        s->ground_speed_mps = plan->ground_speed_mps;
        s->track_deg = plan->track_deg;
        return now_m;
    }
    turn_to(s, atan2(e, n) / DEG_RAD, dt_s);
    double vp = plan->ground_speed_mps > 30.0 ? plan->ground_speed_mps : 30.0;
    double want = hypot(e, n) / LEAD_S;
    if (want > DC_PILOT_CATCH_UP * vp)
        want = DC_PILOT_CATCH_UP * vp;
    if (want < 0.8 * vp)
        want = 0.8 * vp;
    s->ground_speed_mps = want;
    return now_m;
}

void dc_pilot_init(dc_pilot *p, const dc_pilot_state *plan)
{
    memset(p, 0, sizeof *p);
    p->s = *plan;
}

void dc_pilot_advise(dc_pilot *p, const dc_pilot_advisory *a, double now_s)
{
    p->open++;
    dc_pilot_revise(p, a, now_s);
}

void dc_pilot_revise(dc_pilot *p, const dc_pilot_advisory *a, double now_s)
{
    p->advisories++;
    p->cmd = *a;
    if (p->mode != DC_PILOT_ADVISORY || now_s + a->hold_s > p->hold_until_s)
        p->hold_until_s = now_s + a->hold_s;
    p->mode = DC_PILOT_ADVISORY;
}

void dc_pilot_raised(dc_pilot *p)
{
    p->open++;
}

void dc_pilot_cleared(dc_pilot *p)
{
    if (p->open)
        p->open--;
}

void dc_pilot_step(dc_pilot *p, const dc_pilot_state *plan, double now_s, double dt_s)
{
    dc_pilot_state *s = &p->s;
    int on = 0;
    if (p->mode == DC_PILOT_ADVISORY && !p->open && now_s >= p->hold_until_s)
        p->mode = DC_PILOT_REJOIN;
    switch (p->mode) {
    case DC_PILOT_PLAN:
        *s = *plan;
        return;
    case DC_PILOT_ADVISORY:
        if (p->cmd.kind == DC_PILOT_TURN) {
            turn_to(s, p->cmd.heading_deg, dt_s);
            climb_to(s, plan->alt_m, dt_s);
        } else {
            steer_to_plan(s, plan, dt_s, &on);
            climb_to(s, p->cmd.altitude_m, dt_s);
        }
        break;
    case DC_PILOT_REJOIN: {
        double off_m = steer_to_plan(s, plan, dt_s, &on);
        climb_to(s, plan->alt_m, dt_s);
        if (on && off_m < DC_PILOT_REJOIN_H_M &&
            fabs(s->alt_m - plan->alt_m) < DC_PILOT_REJOIN_V_M) {
            p->mode = DC_PILOT_PLAN;
            *s = *plan;
            return;
        }
        break;
    }
    }
    move(s, dt_s, !on);
}
