/* Worker threads that run until told to stop: the one start and the one
 * stop (set a flag under the worker's mutex, signal its condition, join)
 * that the committer, the follower, the tick thread and the track writer
 * share. A dc__thread is owned by whoever starts and stops it. */
#ifndef DC_UTIL_THREAD_H
#define DC_UTIL_THREAD_H

#include <pthread.h>

#include "deconflict/status.h"

typedef struct dc__thread {
    pthread_t t;
    int started;
} dc__thread;

/* DC_ENOMEM when the thread cannot be created. */
dc_status dc__thread_start(dc__thread *th, void *(*fn)(void *), void *arg);
/* Sets *flag to 1 under mu and signals cond (when mu is not NULL), then
 * joins; nothing when the thread never started. */
void dc__thread_stop(dc__thread *th, pthread_mutex_t *mu, pthread_cond_t *cond, int *flag);

#endif
