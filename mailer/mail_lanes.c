/*
 * mail_lanes.c - a group of messages over several SMTP connections at
 * once, for a large backlog.
 *
 * One connection sends one message at a time: MAIL, RCPT and DATA each
 * wait for the server's reply (libcurl does not pipeline SMTP commands),
 * and the reply to the end of DATA waits for the server to have the
 * message safely queued, which for Postfix is an fsync.  A few
 * connections side by side overlap those waits, as Postfix's own client
 * does towards one destination.  The caller's thread sends over its own
 * connection; each extra connection ("lane") sends from a thread of its
 * own, taking the next message nobody has taken yet.
 *
 * A lane does nothing but send: the caller prepared every envelope
 * (DKIM-signed already) and records the results afterwards in its own
 * thread, so no thread but the caller's touches the store.  A lane whose
 * connection fails retires for the rest of the drain and gives the
 * message back when no recipient of it was accepted, so the caller sends
 * it over its own connection: a server that refuses a second connection
 * costs nothing but the attempt.  A message partly accepted keeps its
 * results (the accepted recipients are recorded as sent, the others are
 * retried later), as it would over the caller's connection.  Signals are
 * blocked in the lanes, so they reach the thread that expects them.
 */
#include "mailer/mail_int.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <time.h>

#include "common/ab_mem.h"

struct lane {
    struct mail_lanes *l;
    mail_transport *t; /* opened on the lane's first message */
    int opened, retired, running;
    pthread_t th;
};

struct mail_lanes {
    const struct cfg_mail *mc;
    ab_time now;
    struct lane *lane;
    size_t nlanes;
    /* the group being sent */
    struct mail_lane_job *const *jobs;
    size_t njobs;
    atomic_size_t next; /* the next job to take */
    atomic_int stop;    /* the caller's connection failed: take no more */
};

mail_lanes *mail_lanes_new(const struct cfg_mail *mc, ab_time now, size_t extra)
{
    mail_lanes *l = ab_calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->lane = ab_calloc(extra ? extra : 1, sizeof *l->lane);
    if (!l->lane) {
        ab_free(l);
        return NULL;
    }
    l->mc = mc;
    l->now = now;
    l->nlanes = extra;
    for (size_t i = 0; i < extra; i++)
        l->lane[i].l = l;
    return l;
}

void mail_lanes_free(mail_lanes *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->nlanes; i++)
        mail_transport_free(l->lane[i].t);
    ab_free(l->lane);
    ab_free(l);
}

static struct mail_lane_job *take(mail_lanes *l)
{
    if (atomic_load(&l->stop))
        return NULL;
    size_t i = atomic_fetch_add(&l->next, 1);
    return i < l->njobs ? l->jobs[i] : NULL;
}

static void retire(struct lane *ln)
{
    mail_transport_free(ln->t);
    ln->t = NULL;
    ln->retired = 1;
}

int mail_lane_late(const struct mail_lane_job *job)
{
    if (!job->send_by.tv_sec)
        return 0;
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec > job->send_by.tv_sec ||
           (t.tv_sec == job->send_by.tv_sec && t.tv_nsec > job->send_by.tv_nsec);
}

static void *lane_main(void *arg)
{
    struct lane *ln = arg;
    if (!ln->opened) {
        ln->opened = 1;
        ab_errmsg em;
        if (mail_transport_open(ln->l->mc, ln->l->now, &ln->t, &em) != AB_OK)
            retire(ln);
    }
    struct mail_lane_job *job;
    while (!ln->retired && (job = take(ln->l)) != NULL) {
        if (mail_lane_late(job))
            break; /* not done: the caller marks it late */
        ab_errmsg em;
        if (mail_transport_send(ln->t, &job->env, job->res, &em) == AB_OK) {
            job->done = 1;
            continue;
        }
        /* The connection failed: give the message back unless the server
         * took part of it. */
        for (size_t i = 0; i < job->env.nrcpts; i++)
            if (job->res[i].err == AB_OK)
                job->done = 1;
        retire(ln);
    }
    return NULL;
}

/* Start the lanes that have not retired, with every signal blocked. */
static void start_lanes(mail_lanes *l)
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    for (size_t i = 0; i < l->nlanes; i++) {
        struct lane *ln = &l->lane[i];
        if (!ln->retired)
            ln->running = pthread_create(&ln->th, NULL, lane_main, ln) == 0;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void mail_lanes_run(mail_lanes *l, struct mail_lane_job *const *jobs, size_t n,
                    int (*first)(void *ud, struct mail_lane_job *job), void *ud)
{
    l->jobs = jobs;
    l->njobs = n;
    atomic_store(&l->next, 0);
    atomic_store(&l->stop, 0);
    start_lanes(l);
    struct mail_lane_job *job;
    while ((job = take(l)) != NULL)
        if (first(ud, job)) {
            atomic_store(&l->stop, 1);
            break;
        }
    for (size_t i = 0; i < l->nlanes; i++)
        if (l->lane[i].running) {
            pthread_join(l->lane[i].th, NULL);
            l->lane[i].running = 0;
        }
    l->jobs = NULL;
    l->njobs = 0;
}
