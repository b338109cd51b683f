/* The simulated pilot (pilot.h): on its plan it is the plan; it turns and
 * climbs at the stated rates, holds an advisory while it is held and while
 * an alert is open, then rejoins its plan and is exactly on it again. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "deconflict/pilot.h"

#define T0 1714564800.0

/* Due east at 34 N, 200 m/s, 9,000 m, from T0. */
static dc_pilot_state plan_at(double t_s)
{
    double d = 200.0 * (t_s - T0);
    return (dc_pilot_state){
        34.0, 44.0 + d / (111195.0 * cos(34.0 * M_PI / 180.0)), 9000.0, 200.0, 90.0, 0.0};
}

static double angle_diff(double a, double b)
{
    return fabs(fmod(a - b + 540.0, 360.0) - 180.0);
}

/* p on its plan at T0, told advisory a. */
static void start(dc_pilot *p, dc_pilot_advisory a)
{
    dc_pilot_state s0 = plan_at(T0);
    dc_pilot_init(p, &s0);
    dc_pilot_advise(p, &a, T0);
}

/* One second on. */
static void step(dc_pilot *p, double t)
{
    dc_pilot_state pl = plan_at(t);
    dc_pilot_step(p, &pl, t, 1.0);
}

static void test_on_plan_is_the_plan(void **state)
{
    (void)state;
    dc_pilot p;
    dc_pilot_state s0 = plan_at(T0);
    dc_pilot_init(&p, &s0);
    for (double t = T0 + 1; t <= T0 + 60; t += 1) {
        dc_pilot_state pl = plan_at(t);
        dc_pilot_step(&p, &pl, t, 1.0);
        assert_memory_equal(&p.s, &pl, sizeof pl);
    }
    assert_int_equal(p.mode, DC_PILOT_PLAN);
}

static void test_turn_hold_rejoin(void **state)
{
    (void)state;
    dc_pilot p;
    start(&p, (dc_pilot_advisory){DC_PILOT_TURN, 150.0, 0.0, 120.0});
    double last = 90.0, t = T0;
    for (int i = 1; i <= 300; i++) {
        t = T0 + i;
        step(&p, t);
        /* standard rate: at most 3 degrees a second */
        assert_true(angle_diff(p.s.track_deg, last) <= DC_PILOT_TURN_DEG_S + 1e-9);
        last = p.s.track_deg;
        if (i == 20)
            assert_true(angle_diff(p.s.track_deg, 150.0) < 1e-9); /* 60 degrees in 20 s */
        if (i == 200)
            dc_pilot_cleared(&p); /* held past hold_s while the alert was open */
        if (i < 200) {
            assert_int_equal(p.mode, DC_PILOT_ADVISORY);
            assert_true(angle_diff(p.s.track_deg, 150.0) < 1e-9 || i < 20);
        }
    }
    /* Back to the plan within some minutes, then exactly on it. */
    for (int i = 0; i < 1200 && p.mode != DC_PILOT_PLAN; i++) {
        step(&p, t += 1);
        assert_true(p.s.ground_speed_mps <= 200.0 * DC_PILOT_CATCH_UP + 1e-9);
    }
    assert_int_equal(p.mode, DC_PILOT_PLAN);
    t += 1;
    dc_pilot_state pl = plan_at(t);
    dc_pilot_step(&p, &pl, t, 1.0);
    assert_memory_equal(&p.s, &pl, sizeof pl);
}

static void test_level_change(void **state)
{
    (void)state;
    dc_pilot p;
    start(&p, (dc_pilot_advisory){DC_PILOT_LEVEL, 0.0, 9600.0, 60.0});
    double t = T0;
    for (int i = 1; i <= 100; i++) {
        t = T0 + i;
        step(&p, t);
        assert_true(p.s.vertical_rate_mps <= DC_PILOT_CLIMB_MPS + 1e-9);
        if (i == 20)
            assert_true(fabs(p.s.alt_m - (9000.0 + 20 * DC_PILOT_CLIMB_MPS)) < 1e-6);
    }
    assert_true(fabs(p.s.alt_m - 9600.0) < 1e-6); /* 600 m in 48 s, then level */
    dc_pilot_cleared(&p);
    for (int i = 0; i < 300 && p.mode != DC_PILOT_PLAN; i++)
        step(&p, t += 1);
    assert_int_equal(p.mode, DC_PILOT_PLAN);
    assert_true(fabs(p.s.alt_m - 9000.0) < 1e-6);
}

/* A revised advisory is flown at once (the newest), its hold counted from
 * the revision; the alert still counts once: one clear ends it. */
static void test_revised(void **state)
{
    (void)state;
    dc_pilot p;
    start(&p, (dc_pilot_advisory){DC_PILOT_TURN, 150.0, 0.0, 60.0});
    double t = T0;
    for (int i = 1; i <= 30; i++)
        step(&p, t = T0 + i);
    assert_true(angle_diff(p.s.track_deg, 150.0) < 1e-9);
    dc_pilot_revise(&p, &(dc_pilot_advisory){DC_PILOT_TURN, 180.0, 0.0, 90.0}, t);
    assert_int_equal(p.open, 1);
    for (int i = 1; i <= 10; i++)
        step(&p, t += 1);
    assert_true(angle_diff(p.s.track_deg, 180.0) < 1e-9); /* 30 degrees in 10 s */
    dc_pilot_cleared(&p);
    for (int i = 11; i < 90; i++) { /* held for the revision's hold_s */
        step(&p, t += 1);
        assert_int_equal(p.mode, DC_PILOT_ADVISORY);
    }
    for (int i = 0; i < 1200 && p.mode != DC_PILOT_PLAN; i++)
        step(&p, t += 1);
    assert_int_equal(p.mode, DC_PILOT_PLAN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_on_plan_is_the_plan),
        cmocka_unit_test(test_turn_hold_rejoin),
        cmocka_unit_test(test_level_change),
        cmocka_unit_test(test_revised),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
