/*
 * web_pingq.c - group commit for pings (issue 17): pings that arrive
 * together are written in one transaction and answered after the one
 * commit that holds them, so a burst costs one fsync instead of one
 * each, and no ping is answered 200 and then lost.
 *
 * How: the server thread (libmicrohttpd's internal polling thread) only
 * reads a ping (its token, kind and body, web_ingest.c), queues it and
 * suspends the connection; it never touches the database for a ping, so
 * it goes straight on to the next request.  The committer thread here
 * takes everything queued, writes it in one transaction (eng_ping_batch:
 * each ping stored, each check judged), commits, and resumes every
 * connection with its answer, or with a 503 when its part failed.  While
 * it commits, the next pings queue up: the batch grows with the load by
 * itself, and a lone ping waits for nothing but its own commit.
 *
 * Two locks.  mu is the engine's: the engine and its store are not
 * thread-safe, so every use of them by the server thread (any request
 * that is not a ping) and by the committer is under it; since a batch is
 * written and committed inside one hold of mu, no other request ever
 * sees a ping that is not yet durable.  qmu guards the queue alone and is
 * held for a few pointer moves, so queueing a ping never waits for a
 * commit.  The queue is a list; past WEB_PINGQ_MAX waiting pings a new
 * one is refused with 503 and Retry-After: 1 rather than kept waiting
 * without bound.
 */
#include "web/web_int.h"

#include <pthread.h>

#include "common/ab_dl_mhd.h"
#include "common/ab_log.h"
#include "common/ab_mem.h"

#define WEB_PINGQ_MAX 20000

struct web_pingq_item {
    struct web_pingq_item *next;
    struct MHD_Connection *conn;
    struct web_pingq_wait *wait; /* the request's own, in web_server.c */
};

struct web_pingq {
    pthread_mutex_t mu;  /* the engine's */
    pthread_mutex_t qmu; /* the queue's; never held while waiting for mu */
    pthread_cond_t cv;   /* on qmu: something queued, or stop */
    pthread_t th;
    int started, stop;
    struct web_pingq_item *head, **tail;
    size_t n;
    web *w;
};

/*
 * Write the pings of items (n of them) in one transaction and set each
 * one's failed.  Under mu.  The read model is told first which checks
 * they touch, so that the next page shows them.
 */
static void write_batch(struct web_pingq *q, struct web_pingq_item *items, size_t n)
{
    web *w = q->w;
    struct eng_ping_in one = {0}, *v = n > 1 ? ab_calloc(n, sizeof *v) : &one;
    if (!v) {
        for (struct web_pingq_item *it = items; it; it = it->next)
            it->wait->failed = 1;
        ab_log(AB_LOG_ERROR, "web: %zu ping(s) not recorded: out of memory", n);
        return;
    }
    size_t i = 0;
    for (struct web_pingq_item *it = items; it; it = it->next, i++) {
        v[i] = it->wait->in;
        eng_live_touch(w->live, v[i].check);
    }
    ab_errmsg em = {{0}};
    uint64_t mail = eng_mail_queued(w->e);
    enum ab_err e = eng_ping_batch(w->e, v, n, &em);
    if (e)
        ab_log(AB_LOG_ERROR, "web: %zu ping(s) not recorded: %s", n, em.text);
    int any = 0;
    i = 0;
    for (struct web_pingq_item *it = items; it; it = it->next, i++) {
        it->wait->failed = e != AB_OK || v[i].err != AB_OK;
        any |= !it->wait->failed;
    }
    /* Mail the pings made due is worth waking the daemon for, now that
     * it is committed: asked once a batch, not once a ping, and only when
     * the batch's verdicts queued some (most batches are of pings that
     * change nothing). */
    if (any && eng_mail_queued(w->e) != mail)
        web_after_action(w, v[n - 1].at);
    if (v != &one)
        ab_free(v);
}

/* Answer every connection of items (written or not) and free them. */
static void resume_all(struct web_pingq_item *it)
{
    while (it) {
        struct web_pingq_item *next = it->next;
        it->wait->done = 1;
        MHD_resume_connection(it->conn);
        ab_free(it);
        it = next;
    }
}

static void *committer(void *arg)
{
    struct web_pingq *q = arg;
    pthread_mutex_lock(&q->qmu);
    for (;;) {
        while (!q->head && !q->stop)
            pthread_cond_wait(&q->cv, &q->qmu);
        if (!q->head)
            break; /* stopping, and nothing is left */
        struct web_pingq_item *items = q->head;
        size_t n = q->n;
        q->head = NULL;
        q->tail = &q->head;
        q->n = 0;
        pthread_mutex_unlock(&q->qmu);
        pthread_mutex_lock(&q->mu);
        write_batch(q, items, n);
        pthread_mutex_unlock(&q->mu);
        resume_all(items);
        pthread_mutex_lock(&q->qmu);
    }
    pthread_mutex_unlock(&q->qmu);
    return NULL;
}

struct web_pingq *web_pingq_new(web *w)
{
    struct web_pingq *q = ab_calloc(1, sizeof *q);
    if (!q)
        return NULL;
    pthread_mutex_init(&q->mu, NULL);
    pthread_mutex_init(&q->qmu, NULL);
    pthread_cond_init(&q->cv, NULL);
    q->tail = &q->head;
    q->w = w;
    if (pthread_create(&q->th, NULL, committer, q) != 0) {
        web_pingq_free(q);
        return NULL;
    }
    q->started = 1;
    return q;
}

void web_pingq_stop(struct web_pingq *q)
{
    if (!q || !q->started)
        return;
    pthread_mutex_lock(&q->qmu);
    q->stop = 1;
    pthread_cond_signal(&q->cv);
    pthread_mutex_unlock(&q->qmu);
    pthread_join(q->th, NULL); /* it writes and answers what is queued first */
    q->started = 0;
}

void web_pingq_free(struct web_pingq *q)
{
    if (!q)
        return;
    web_pingq_stop(q);
    pthread_cond_destroy(&q->cv);
    pthread_mutex_destroy(&q->qmu);
    pthread_mutex_destroy(&q->mu);
    ab_free(q);
}

void web_pingq_lock(struct web_pingq *q)
{
    if (q)
        pthread_mutex_lock(&q->mu);
}

void web_pingq_unlock(struct web_pingq *q)
{
    if (q)
        pthread_mutex_unlock(&q->mu);
}

enum ab_err web_pingq_add(struct web_pingq *q, struct MHD_Connection *conn,
                          struct web_pingq_wait *wait)
{
    struct web_pingq_item *it = ab_calloc(1, sizeof *it);
    if (!it)
        return AB_ENOMEM;
    it->conn = conn;
    it->wait = wait;
    pthread_mutex_lock(&q->qmu);
    enum ab_err e = q->stop || !q->started ? AB_ETEMPFAIL
                    : q->n >= WEB_PINGQ_MAX ? AB_EBUSY
                                            : AB_OK;
    if (!e) {
        /* Suspended before the committer can see it: it may resume it
         * the moment qmu is let go. */
        MHD_suspend_connection(conn);
        *q->tail = it;
        q->tail = &it->next;
        q->n++;
        pthread_cond_signal(&q->cv);
    }
    pthread_mutex_unlock(&q->qmu);
    if (e)
        ab_free(it);
    return e;
}

void web_pingq_write_now(struct web_pingq *q, struct web_pingq_wait *wait)
{
    struct web_pingq_item it = {.wait = wait};
    pthread_mutex_lock(&q->mu);
    write_batch(q, &it, 1);
    pthread_mutex_unlock(&q->mu);
}
