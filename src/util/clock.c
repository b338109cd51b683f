/* The one clock module: dc__mono_s for intervals and deadlines (never goes
 * back), dc__wall_s for what is compared with report and window times
 * (seconds UTC, fractional), dc__unix_s for whole-second timestamps that are
 * stored (created_s, updated_s, audit records). */
#include <math.h>
#include <time.h>

#include "util/clock.h"

double dc__mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

double dc__wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int64_t dc__unix_s(void)
{
    return (int64_t)time(NULL);
}

void dc__mono_deadline(struct timespec *ts, double seconds)
{
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += (time_t)seconds;
    ts->tv_nsec += (long)((seconds - floor(seconds)) * 1e9);
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}
