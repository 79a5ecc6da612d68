/*
 * eng_renew.c - a thread that keeps a living node's leases alive (issue 16).
 *
 * With several nodes on one state, what a node holds - its claims on due
 * checks, the leader's role, the outbox and delivery rows it sends - is
 * leased, so that a node that dies loses it.  A lease long enough for the
 * slowest work (a check's timeout, a tick of 100,000 checks) would leave
 * a dead node's work waiting that long; a lease of a tick would lapse
 * under a living node in the middle of a long run and let a second node
 * run the same check.  So leases are short (a tick and ENG_RENEW_SLACK
 * seconds) and this thread, on a connection of its own, pushes every
 * lease of its node on twice a tick, or every ENG_RENEW_SLACK seconds if
 * that is sooner (store_node_renew), for as long as the process lives: a
 * node that is killed stops renewing, and what it held is free within a
 * tick and a few seconds.  The engine's loop never waits for it.  Should
 * a lease lapse all the same (a node stalled), the work is fenced: a run
 * is booked only while its claim is still the node's (eng_due_group.c).
 *
 * The thread's clock is the engine's: the now it was started at plus the
 * time since by the monotonic clock, so that a daemon run with --now (the
 * tests' simulated clock) renews in the same time as its ticks.
 */
#include "engine/eng_int.h"

#include <pthread.h>
#include <time.h>

#include "common/ab_log.h"
#include "common/ab_mem.h"
#include "store/store_claims.h"

struct eng_renewer {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int stop;
    store *st;        /* the thread's own connection */
    char *node;
    int64_t tick;     /* seconds */
    ab_time now0;     /* the engine's now when started ... */
    struct timespec mono0; /* ... and the monotonic clock then */
};

static ab_time renew_now(const struct eng_renewer *r)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return r->now0 + (ab_time)(t.tv_sec - r->mono0.tv_sec);
}

static void *renew_loop(void *arg)
{
    struct eng_renewer *r = arg;
    int failing = 0;
    pthread_mutex_lock(&r->mu);
    while (!r->stop) {
        pthread_mutex_unlock(&r->mu);
        ab_time now = renew_now(r);
        ab_errmsg em = {{0}};
        if (store_node_renew(r->st, r->node, now, now + ENG_RENEWED_LEASE(r->tick), &em) !=
            AB_OK) {
            /* The store logs a lost connection itself; say it once here. */
            if (!failing)
                ab_log(AB_LOG_WARN, "node %s: cannot renew its leases: %s", r->node,
                       em.text);
            failing = 1;
        } else {
            failing = 0;
        }
        /* Twice a tick, and at least every ENG_RENEW_SLACK seconds, so
         * that a lease never lapses under a node that lives. */
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        int64_t ms = r->tick * 500 < ENG_RENEW_SLACK * 1000 ? r->tick * 500
                                                             : ENG_RENEW_SLACK * 1000;
        until.tv_sec += ms / 1000;
        until.tv_nsec += (ms % 1000) * 1000000;
        if (until.tv_nsec >= 1000000000) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000;
        }
        pthread_mutex_lock(&r->mu);
        while (!r->stop && pthread_cond_timedwait(&r->cv, &r->mu, &until) == 0)
            ;
    }
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

enum ab_err eng_renewer_start(eng *e, ab_time now, eng_renewer **out, ab_errmsg *em)
{
    *out = NULL;
    struct eng_renewer *r = ab_calloc(1, sizeof *r);
    if (!r || !(r->node = ab_strdup(e->node))) {
        ab_free(r);
        return ab_fail(em, AB_ENOMEM, "out of memory");
    }
    enum ab_err err = eng_state_open(e->c, &r->st, em);
    if (err) {
        ab_free(r->node);
        ab_free(r);
        return err;
    }
    r->tick = cfg_global(e->c)->tick > 0 ? cfg_global(e->c)->tick : 1;
    r->now0 = now;
    clock_gettime(CLOCK_MONOTONIC, &r->mono0);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&r->cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&r->mu, NULL);
    if (pthread_create(&r->thread, NULL, renew_loop, r) != 0) {
        pthread_cond_destroy(&r->cv);
        pthread_mutex_destroy(&r->mu);
        store_close(r->st);
        ab_free(r->node);
        ab_free(r);
        return ab_fail(em, AB_ENOMEM, "cannot start the lease renewer thread");
    }
    /* From now on the engine's leases may be short. */
    e->renewed = 1;
    *out = r;
    return AB_OK;
}

void eng_renewer_stop(eng_renewer *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->mu);
    r->stop = 1;
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);
    pthread_join(r->thread, NULL);
    pthread_cond_destroy(&r->cv);
    pthread_mutex_destroy(&r->mu);
    store_close(r->st);
    ab_free(r->node);
    ab_free(r);
}
