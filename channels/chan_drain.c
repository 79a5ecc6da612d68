/*
 * chan_drain.c - sending the channel deliveries that are due, recording each
 * outcome in its own transaction, and retrying with the mail outbox's
 * backoff (mail_backoff: doubling from retry, capped, with jitter) until
 * max_age after the delivery was queued.
 *
 * Each delivery is attempted on its own: one webhook down does not hold
 * up a Matrix room.  Several drains (nodes on one state, issue 16) share
 * the rows by claiming a few at a time with a row lease
 * (store_delivery_claim) that covers their attempts at the slowest
 * channel's timeout; recording an attempt clears the claim, so only a
 * drain that dies between the endpoint's acceptance and the record has
 * a delivery sent again, with the same txn, once its lease ran out.
 */
#include "channels/chan_int.h"

#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "common/ab_log.h"
#include "common/ab_mem.h"
#include "common/ab_node.h"
#include "mailer/mail.h"
#include "store/store_deliveries.h"
#include "store/store_outbox.h"

static uint32_t jitter(void)
{
    uint32_t r = 0;
    if (getrandom(&r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r)
        r = UINT32_MAX / 2;
    return r;
}

static enum ab_err attempt(store *st, const cfg *c, int64_t id, ab_time now, int64_t retry,
                           int64_t max_age, struct chan_drain_stats *s, ab_errmsg *em)
{
    struct store_delivery *d = NULL;
    enum ab_err e = store_delivery_get(st, id, &d, em);
    if (e)
        return e == AB_ENOTFOUND ? AB_OK : e;
    if (d->status != STORE_OUTBOX_QUEUED)
        goto out;
    s->attempted++;
    const struct cfg_channel *ch = cfg_channel_find(c, d->channel);
    const struct chan_kind *k = ch ? chan_kind_find(ch->kind) : NULL;
    ab_errmsg why = {{0}};
    enum ab_err r;
    if (!k)
        r = ab_fail(&why, AB_EPERMFAIL, "channel %s is no longer in the config", d->channel);
    else
        r = k->send(ch, d, &why);
    if (r != AB_OK && r != AB_EPERMFAIL)
        r = AB_ETEMPFAIL;
    enum store_outbox_status to = STORE_OUTBOX_SENT;
    ab_time next = AB_TIME_NONE;
    char err[700];
    snprintf(err, sizeof err, "%s", why.text);
    if (r == AB_EPERMFAIL) {
        to = STORE_OUTBOX_FAILED;
    } else if (r == AB_ETEMPFAIL) {
        ab_time expires = d->created + (max_age > 0 ? max_age : MAIL_DEFAULT_MAX_AGE);
        if (now >= expires) {
            char age[32];
            ab_duration_format(now - d->created, age, sizeof age);
            snprintf(err, sizeof err, "gave up after %d attempts in %s: %s", d->attempts + 1,
                     age, why.text);
            to = STORE_OUTBOX_FAILED;
        } else {
            to = STORE_OUTBOX_QUEUED;
            next = now + mail_backoff(retry, d->attempts + 1, jitter());
            if (next > expires)
                next = expires;
        }
    }
    e = store_delivery_record(st, id, to, now, next, r == AB_OK ? NULL : err, em);
    if (e == AB_ENOTFOUND) {
        e = AB_OK; /* settled by someone else meanwhile */
        goto out;
    }
    if (e)
        goto out;
    switch (to) {
    case STORE_OUTBOX_SENT:
        s->sent++;
        ab_log(AB_LOG_INFO, "channel %s: sent %s (%s)", d->channel, d->txn, d->kind);
        break;
    case STORE_OUTBOX_FAILED:
        s->failed++;
        snprintf(s->last_error.text, sizeof s->last_error.text, "%s", err);
        ab_log(AB_LOG_ERROR, "channel %s: giving up on %s: %s", d->channel, d->txn, err);
        break;
    case STORE_OUTBOX_QUEUED: {
        s->deferred++;
        snprintf(s->last_error.text, sizeof s->last_error.text, "%s", err);
        char when[AB_ISO_LEN];
        ab_log(AB_LOG_WARN, "channel %s: %s deferred until %s: %s", d->channel, d->txn,
               ab_time_format(next, when, sizeof when), err);
        break;
    }
    }
out:
    store_delivery_free(d);
    return e;
}

/* Deliveries claimed at a time: enough that claiming is not a
 * transaction per delivery, few enough that a lease covering each one's
 * whole timeout stays short. */
#define CLAIM_CHUNK 4
/* What a lease allows beyond the attempts themselves. */
#define LEASE_SLACK 60

/* The longest attempt any channel may take (timeout=, default 10 s). */
static int64_t slowest(const cfg *c)
{
    int64_t t = 10;
    for (size_t i = 0; i < cfg_channel_count(c); i++) {
        const struct cfg_channel *ch = cfg_channel_at(c, i);
        if (ch->timeout > t)
            t = ch->timeout;
    }
    return t;
}

enum ab_err chan_drain_as(store *st, const cfg *c, const char *node, ab_time now,
                          int64_t retry, int64_t max_age, struct chan_drain_stats *stats,
                          ab_errmsg *em)
{
    struct chan_drain_stats local;
    if (!stats)
        stats = &local;
    memset(stats, 0, sizeof *stats);
    char dflt[320];
    if (!node || !*node)
        node = ab_node_default(dflt, sizeof dflt);
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int64_t per = slowest(c);
    /* As the mail drain does: a dead process of this host holds nothing. */
    int64_t freed = 0;
    enum ab_err e = store_rowclaims_release(st, now, ab_node_gone, NULL, &freed, em);
    if (!e && freed)
        ab_log(AB_LOG_INFO,
               "channels: took back %lld row(s) leased by a process of this "
               "host that is gone",
               (long long)freed);
    for (; !e;) {
        int64_t *ids = NULL;
        size_t n = 0;
        /* Counted from the drain's now plus what it has spent so far. */
        clock_gettime(CLOCK_MONOTONIC, &t);
        ab_time lease =
            now + (t.tv_sec - t0.tv_sec) + 1 + CLAIM_CHUNK * per + LEASE_SLACK;
        e = store_delivery_claim(st, node, now, lease, CLAIM_CHUNK, &ids, &n, em);
        for (size_t i = 0; !e && i < n; i++)
            e = attempt(st, c, ids[i], now, retry, max_age, stats, em);
        ab_free(ids);
        if (e || n < CLAIM_CHUNK)
            break;
    }
    return e;
}

enum ab_err chan_drain(store *st, const cfg *c, ab_time now, int64_t retry,
                       int64_t max_age, struct chan_drain_stats *stats, ab_errmsg *em)
{
    return chan_drain_as(st, c, NULL, now, retry, max_age, stats, em);
}
