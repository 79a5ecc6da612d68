/*
 * web_deadline.c - a whole request must arrive within request-timeout.
 *
 * libmicrohttpd's connection timeout counts silence only: a client that
 * sends one header line every few seconds holds its connection for ever,
 * and a few hundred of them held every slot (seen: 260 connections, one
 * line each every 12 s, kept /healthz and the pings from answering).  A
 * small thread of its own watches when each connection's current request
 * began (its start, or the previous answer on a kept-alive connection)
 * and shuts down the socket of one that is late; libmicrohttpd then sees
 * it closed and cleans up.  Entries are removed under the same lock when
 * libmicrohttpd reports the connection closed, before it closes the
 * descriptor, so a descriptor number reused later is never shut by
 * mistake.
 */
#include "web/web_int.h"

#include <errno.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>

#include "common/ab_mem.h"

struct entry {
    int fd;
    int64_t since; /* monotonic seconds; INT64_MAX once shut */
};

struct web_deadline {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    int stop;
    int64_t limit;
    struct entry *v;
    size_t n, cap;
};

static int64_t mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec;
}

static void *watch(void *arg)
{
    struct web_deadline *d = arg;
    pthread_mutex_lock(&d->mu);
    while (!d->stop) {
        int64_t now = mono();
        for (size_t i = 0; i < d->n; i++)
            if (d->v[i].since != INT64_MAX && now - d->v[i].since >= d->limit) {
                shutdown(d->v[i].fd, SHUT_RDWR);
                d->v[i].since = INT64_MAX;
            }
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += 1;
        pthread_cond_timedwait(&d->cv, &d->mu, &until);
    }
    pthread_mutex_unlock(&d->mu);
    return NULL;
}

struct web_deadline *web_deadline_new(int64_t limit)
{
    struct web_deadline *d = ab_calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->limit = limit > 0 ? limit : 10;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&d->mu, NULL);
    pthread_cond_init(&d->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&d->thread, NULL, watch, d) != 0) {
        pthread_cond_destroy(&d->cv);
        pthread_mutex_destroy(&d->mu);
        ab_free(d);
        return NULL;
    }
    return d;
}

void web_deadline_free(struct web_deadline *d)
{
    if (!d)
        return;
    pthread_mutex_lock(&d->mu);
    d->stop = 1;
    pthread_cond_signal(&d->cv);
    pthread_mutex_unlock(&d->mu);
    pthread_join(d->thread, NULL);
    pthread_cond_destroy(&d->cv);
    pthread_mutex_destroy(&d->mu);
    ab_free(d->v);
    ab_free(d);
}

void web_deadline_start(struct web_deadline *d, int fd)
{
    if (!d)
        return;
    pthread_mutex_lock(&d->mu);
    for (size_t i = 0; i < d->n; i++)
        if (d->v[i].fd == fd) {
            d->v[i].since = mono();
            pthread_mutex_unlock(&d->mu);
            return;
        }
    if (d->n == d->cap) {
        size_t nc = d->cap ? d->cap * 2 : 64;
        struct entry *nv = ab_realloc(d->v, nc * sizeof *nv);
        if (!nv) { /* unwatched: the idle timeout still applies */
            pthread_mutex_unlock(&d->mu);
            return;
        }
        d->v = nv;
        d->cap = nc;
    }
    d->v[d->n].fd = fd;
    d->v[d->n].since = mono();
    d->n++;
    pthread_mutex_unlock(&d->mu);
}

void web_deadline_end(struct web_deadline *d, int fd)
{
    if (!d)
        return;
    pthread_mutex_lock(&d->mu);
    for (size_t i = 0; i < d->n; i++)
        if (d->v[i].fd == fd) {
            d->v[i] = d->v[--d->n];
            break;
        }
    pthread_mutex_unlock(&d->mu);
}
