/* The one clock module. Monotonic seconds for intervals, timeouts and
 * latency; wall-clock seconds UTC for comparing with report and volume
 * times; whole Unix seconds for what is stored. Nothing else in src/ reads
 * a clock (tests/ and the CLI may). */
#ifndef DC_UTIL_CLOCK_H
#define DC_UTIL_CLOCK_H

#include <stdint.h>
#include <time.h>

double dc__mono_s(void);  /* CLOCK_MONOTONIC, seconds */
double dc__wall_s(void);  /* CLOCK_REALTIME, seconds UTC, fractional */
int64_t dc__unix_s(void); /* CLOCK_REALTIME, whole seconds UTC */
/* *ts = now + seconds on CLOCK_MONOTONIC, for pthread_cond_timedwait on a
 * condition variable created with pthread_condattr_setclock(MONOTONIC). */
void dc__mono_deadline(struct timespec *ts, double seconds);

#endif
