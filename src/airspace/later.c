/* Work done after an answer, off the connection's thread (see airspace.h).
 * The blind-only exact check (api/common.c) ran in libmicrohttpd's
 * completion callback, on the thread that serves the connection: a
 * pipelined request on the same connection waited for it, so its answer
 * time still showed how near the other operator's volume the rejected plan
 * was (issue 13). Here one worker runs the jobs in order; a request's thread
 * only queues. The queue is bounded: past DC__LATER_MAX a job is dropped
 * (its fn is called with s NULL, to free ctx) and counted. */
#include "airspace/airspace.h"

#define DC__LATER_MAX 256

typedef struct job {
    dc__later_fn fn;
    void *ctx;
    struct job *next;
} job;

struct dc__later {
    pthread_mutex_t mu;
    pthread_cond_t cond;
    job *head, *tail;
    size_t n;
    int stop;
    dc__thread thread;
};

static void *later_main(void *arg)
{
    dc_server *s = arg;
    struct dc__later *l = s->later;
    pthread_mutex_lock(&l->mu);
    for (;;) {
        while (!l->head && !l->stop)
            pthread_cond_wait(&l->cond, &l->mu);
        job *j = l->head;
        if (!j)
            break; /* stopping, and nothing left */
        l->head = j->next;
        if (!l->head)
            l->tail = NULL;
        l->n--;
        pthread_mutex_unlock(&l->mu);
        j->fn(s, j->ctx);
        dc_free(j);
        pthread_mutex_lock(&l->mu);
    }
    pthread_mutex_unlock(&l->mu);
    return NULL;
}

dc_status dc__later_start(dc_server *s)
{
    struct dc__later *l = dc_calloc(1, sizeof *l);
    if (!l)
        return DC_ENOMEM;
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->cond, NULL);
    s->later = l;
    dc_status rc = dc__thread_start(&l->thread, later_main, s);
    if (rc != DC_OK)
        dc__later_stop(s);
    return rc;
}

void dc__later(dc_server *s, dc__later_fn fn, void *ctx)
{
    struct dc__later *l = s->later;
    if (!l || !l->thread.started) { /* in-process, no worker: run it now */
        fn(s, ctx);
        return;
    }
    job *j = dc_calloc(1, sizeof *j);
    pthread_mutex_lock(&l->mu);
    if (!j || l->n >= DC__LATER_MAX || l->stop) {
        pthread_mutex_unlock(&l->mu);
        dc_free(j);
        atomic_fetch_add(&s->m.later_dropped, 1);
        fn(NULL, ctx);
        return;
    }
    *j = (job){fn, ctx, NULL};
    if (l->tail)
        l->tail->next = j;
    else
        l->head = j;
    l->tail = j;
    l->n++;
    pthread_cond_signal(&l->cond);
    pthread_mutex_unlock(&l->mu);
}

/* Runs what is queued, then joins the worker. */
void dc__later_stop(dc_server *s)
{
    struct dc__later *l = s->later;
    if (!l)
        return;
    dc__thread_stop(&l->thread, &l->mu, &l->cond, &l->stop);
    for (job *j = l->head, *next; j; j = next) { /* the worker never started */
        next = j->next;
        j->fn(NULL, j->ctx);
        dc_free(j);
    }
    pthread_cond_destroy(&l->cond);
    pthread_mutex_destroy(&l->mu);
    dc_free(l);
    s->later = NULL;
}
