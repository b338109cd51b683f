/* The after-answer worker (src/airspace/later.c): a request's thread only
 * queues (the job runs on the worker even while the worker is busy, so the
 * caller never waits for it: the blind-only exact check is no timing
 * channel on the connection), jobs run in order, a full queue drops a job
 * (fn with s NULL frees it) and counts it, and stop runs what is queued. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "airspace/airspace.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int gate_open;
static int order[600], n_run, n_dropped;
static pthread_t caller;
static int ran_on_caller;

static void job(dc_server *s, void *ctx)
{
    int id = (int)(intptr_t)ctx;
    pthread_mutex_lock(&mu);
    if (!s) {
        n_dropped++;
    } else {
        if (pthread_equal(pthread_self(), caller))
            ran_on_caller = 1;
        while (id == 0 && !gate_open) /* the first job holds the worker */
            pthread_cond_wait(&cond, &mu);
        order[n_run++] = id;
    }
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&mu);
}

static void test_later_queues_runs_in_order_drops_and_drains(void **state)
{
    (void)state;
    dc_server *s = calloc(1, sizeof *s);
    assert_non_null(s);
    caller = pthread_self();
    assert_int_equal(dc__later_start(s), DC_OK);
    /* Job 0 blocks the worker; 1..300 are queued while it waits: each call
     * returns at once. The queue holds 256: the rest are dropped. */
    for (int i = 0; i <= 300; i++)
        dc__later(s, job, (void *)(intptr_t)i);
    pthread_mutex_lock(&mu);
    assert_int_equal(n_run, 0); /* nothing ran on this thread meanwhile */
    assert_true(n_dropped > 0);
    int dropped = n_dropped;
    gate_open = 1;
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&mu);
    assert_int_equal(atomic_load(&s->m.later_dropped), (unsigned long)dropped);
    dc__later_stop(s); /* drains the queue, then joins */
    assert_null(s->later);
    assert_int_equal(n_run + n_dropped, 301);
    assert_false(ran_on_caller);
    for (int i = 1; i < n_run; i++)
        assert_true(order[i] > order[i - 1]);
    /* Without a worker (an in-process server), a job runs at once. */
    int before = n_run;
    dc__later(s, job, (void *)(intptr_t)1000);
    assert_int_equal(n_run, before + 1);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_later_queues_runs_in_order_drops_and_drains),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
