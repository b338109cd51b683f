/* Seeded random numbers and a monotonic clock for the benchmarks that
 * generate traffic (bench_tactical.c, bench_advise.c). Header-only: each
 * benchmark is one file, with its own generator state. */
#ifndef BENCH_RAND_H
#define BENCH_RAND_H

#include <stdint.h>
#include <time.h>

static uint64_t rng = 0x2545f4914f6cdd1dull; /* reseed by assigning; never 0 */

static double rnd(void) /* [0, 1), xorshift64 */
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

#endif
