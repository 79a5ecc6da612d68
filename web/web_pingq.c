/*
 * web_pingq.c - group commit for pings (issue 17): pings that arrive
 * together are written in one transaction and answered after the one
 * commit that holds them, so a burst costs one fsync instead of one
 * each, and no ping is answered 200 and then lost.
 *
 * How: the server thread (libmicrohttpd's internal polling thread)
 * writes each ping inside an open batch transaction (eng_batch_begin;
 * the ping itself is a savepoint in it), keeps its answer, and suspends
 * the connection.  The committer thread here waits for a batch, commits
 * it, and resumes every connection of it with its answer, or with a 500
 * when the commit failed (everything in it was rolled back).  While it
 * commits, the server thread waits on the lock and the kernel queues the
 * next requests: they make the next batch, so the batch grows with the
 * load by itself and a lone ping waits for nothing but its own commit.
 *
 * The engine and its store are not thread-safe: every use of them by
 * the server thread (web_handle) and by the committer is under q->mu.
 * A request that is not a ping commits the open batch first (inside
 * the lock), so nothing else ever shares a ping's transaction or reads
 * a ping not yet durable.  The queue is a list, not an array; past
 * WEB_PINGQ_MAX waiting pings a new one is refused with 503 and
 * Retry-After: 1 rather than kept waiting without bound.
 */
#include "web/web_int.h"

#include <microhttpd.h>
#include <pthread.h>
#include <unistd.h>

#include "common/ab_log.h"
#include "common/ab_mem.h"

#define WEB_PINGQ_MAX 20000
#define WEB_PINGQ_STEP_US 200
#define WEB_PINGQ_SETTLE_US 2000

struct web_pingq_item {
    struct web_pingq_item *next;
    struct MHD_Connection *conn;
    struct web_pingq_wait *wait; /* the request's own, in web_server.c */
};

struct web_pingq {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t th;
    int started, stop;
    int open;                        /* a batch transaction is open */
    struct web_pingq_item *head, **tail;
    size_t n;
    eng *e;
};

static void resolve(struct web_pingq *q, enum ab_err e, const char *why)
{
    struct web_pingq_item *it = q->head;
    q->head = NULL;
    q->tail = &q->head;
    q->n = 0;
    while (it) {
        struct web_pingq_item *next = it->next;
        it->wait->failed = e != AB_OK;
        it->wait->done = 1;
        if (e)
            ab_log(AB_LOG_ERROR, "web: ping %s not recorded: %s", it->wait->check, why);
        MHD_resume_connection(it->conn);
        ab_free(it);
        it = next;
    }
}

/* Commit the open batch and answer every ping in it.  Under q->mu. */
static void flush_locked(struct web_pingq *q)
{
    if (!q->open)
        return;
    ab_errmsg em = {{0}};
    enum ab_err e = eng_batch_commit(q->e, &em);
    q->open = 0;
    resolve(q, e, em.text);
}

/*
 * Let the batch fill before committing it: woken by its first ping, the
 * committer would otherwise win the lock back at once and commit every
 * ping alone.  It steps aside while the batch still grows, in steps of
 * WEB_PINGQ_STEP_US, for at most WEB_PINGQ_SETTLE_US in all: a lone ping
 * waits one step, a burst makes one commit.  Under q->mu.
 */
static void settle(struct web_pingq *q)
{
    size_t before = (size_t)-1;
    for (int waited = 0; waited < WEB_PINGQ_SETTLE_US && q->n != before && !q->stop;
         waited += WEB_PINGQ_STEP_US) {
        before = q->n;
        pthread_mutex_unlock(&q->mu);
        usleep(WEB_PINGQ_STEP_US);
        pthread_mutex_lock(&q->mu);
    }
}

static void *committer(void *arg)
{
    struct web_pingq *q = arg;
    pthread_mutex_lock(&q->mu);
    for (;;) {
        while (!q->open && !q->stop)
            pthread_cond_wait(&q->cv, &q->mu);
        settle(q);
        flush_locked(q);
        if (q->stop)
            break;
    }
    pthread_mutex_unlock(&q->mu);
    return NULL;
}

struct web_pingq *web_pingq_new(eng *e)
{
    struct web_pingq *q = ab_calloc(1, sizeof *q);
    if (!q)
        return NULL;
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->cv, NULL);
    q->tail = &q->head;
    q->e = e;
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
    pthread_mutex_lock(&q->mu);
    q->stop = 1;
    pthread_cond_signal(&q->cv);
    pthread_mutex_unlock(&q->mu);
    pthread_join(q->th, NULL); /* it commits what is left first */
    q->started = 0;
}

void web_pingq_free(struct web_pingq *q)
{
    if (!q)
        return;
    web_pingq_stop(q);
    pthread_cond_destroy(&q->cv);
    pthread_mutex_destroy(&q->mu);
    ab_free(q);
}

void web_pingq_lock(struct web_pingq *q, int is_ping)
{
    if (!q)
        return;
    pthread_mutex_lock(&q->mu);
    if (!is_ping)
        flush_locked(q);
}

void web_pingq_unlock(struct web_pingq *q)
{
    if (q)
        pthread_mutex_unlock(&q->mu);
}

int web_pingq_running(const struct web_pingq *q)
{
    return q && q->started && !q->stop;
}

enum ab_err web_pingq_enter(struct web_pingq *q, ab_errmsg *em)
{
    if (q->n >= WEB_PINGQ_MAX)
        return ab_fail(em, AB_EBUSY, "%d pings are waiting for their commit",
                       WEB_PINGQ_MAX);
    if (q->open)
        return AB_OK;
    enum ab_err e = eng_batch_begin(q->e, em);
    if (!e) {
        q->open = 1;
        pthread_cond_signal(&q->cv);
    }
    return e;
}

enum ab_err web_pingq_add(struct web_pingq *q, struct MHD_Connection *conn,
                          struct web_pingq_wait *wait)
{
    struct web_pingq_item *it = ab_calloc(1, sizeof *it);
    if (!it)
        return AB_ENOMEM;
    it->conn = conn;
    it->wait = wait;
    *q->tail = it;
    q->tail = &it->next;
    q->n++;
    MHD_suspend_connection(conn);
    pthread_cond_signal(&q->cv);
    return AB_OK;
}
