/* Worker threads (see thread.h). */
#include "util/thread.h"

dc_status dc__thread_start(dc__thread *th, void *(*fn)(void *), void *arg)
{
    if (pthread_create(&th->t, NULL, fn, arg))
        return DC_ENOMEM;
    th->started = 1;
    return DC_OK;
}

void dc__thread_stop(dc__thread *th, pthread_mutex_t *mu, pthread_cond_t *cond, int *flag)
{
    if (!th->started)
        return;
    if (mu) {
        pthread_mutex_lock(mu);
        *flag = 1;
        pthread_cond_signal(cond);
        pthread_mutex_unlock(mu);
    }
    pthread_join(th->t, NULL);
    th->started = 0;
}
