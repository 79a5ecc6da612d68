/*
 * eng_node.c - this engine as one node of several on one state (issue 16):
 * its name, the leader's lease, the daily claims and its row in the
 * nodes table.
 *
 * Work that every node may do is split by claims (a check's run for one
 * due time, eng.c) or by row leases (the outbox and the deliveries, in
 * mailer/ and channels/).  The rest of a tick - the inbox, heartbeats,
 * pings, follow-ups, notices, the reports, the mail fallback, retention
 * and the self-watch - is done by one node at a time: the one holding the
 * lease "leader".  It is taken or renewed at the start of each tick for
 * one tick, so a leader that dies is replaced at the first tick after its
 * lease ran out (at once by a node of its own host that sees its PID
 * gone: the daemon restarted), and given up on a clean exit (eng_leave)
 * so that the next `ackbeat tick` from cron need not wait for it.  On one node (the
 * SQLite default) that node always holds it and nothing changes.
 *
 * The lease is counted from the tick's now, not from the clock (the
 * engine reads none): a singleton step still running a whole tick after
 * its tick began may overlap with a new leader's.  What those steps write
 * is guarded inside their transactions as well (a notice is claimed once,
 * a cycle is opened once per due time, the self-watch's Message-ID is
 * unique), so the overlap can delay, not double, what people get.
 */
#include "engine/eng_int.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/ab_log.h"
#include "common/ab_mem.h"
#include "common/ab_node.h"
#include "store/store_claims.h"

#define LEADER "leader"

enum ab_err eng_node_init(eng *e, const char *name)
{
    char buf[320];
    if (!name || !*name)
        name = ab_node_default(buf, sizeof buf);
    char *copy = ab_strdup(name);
    if (!copy)
        return AB_ENOMEM;
    ab_free(e->node);
    e->node = copy;
    e->lead_at = AB_TIME_NONE;
    e->leader = 0;
    return AB_OK;
}

enum ab_err eng_set_node(eng *e, const char *name, ab_errmsg *em)
{
    if (eng_node_init(e, name) != AB_OK)
        return ab_fail(em, AB_ENOMEM, "out of memory");
    return AB_OK;
}

const char *eng_node_name(eng *e)
{
    return e->node;
}

/* The leader is a process of this host that is gone (killed, and this is
 * the daemon restarted): its lease is void now, as its outbox rows are
 * (mail_outbox.c), rather than when it runs out - a tick and
 * ENG_RENEW_SLACK seconds with no inbox, heartbeats or notices.  The
 * release names the dead holder, so of two nodes doing this at once the
 * second deletes nothing the first has taken. */
static enum ab_err take_from_gone(eng *e, ab_time until, ab_time now, int *held,
                                  ab_errmsg *em)
{
    char *holder = NULL;
    enum ab_err err = store_lease_holder(e->st, LEADER, now, &holder, em);
    if (err || !holder || !ab_node_gone(holder, NULL)) {
        ab_free(holder);
        return err;
    }
    err = store_lease_release(e->st, LEADER, holder, em);
    if (!err)
        err = store_lease_take(e->st, LEADER, e->node, until, now, held, em);
    if (!err && *held)
        ab_log(AB_LOG_INFO, "node %s: took the leader's role from %s, a process of this "
                            "host that is gone", e->node, holder);
    ab_free(holder);
    return err;
}

enum ab_err eng_lead(eng *e, ab_time now, ab_errmsg *em)
{
    /* Asked again at the same now (the self-watch after the tick): the
     * answer stands. */
    if (e->lead_at == now)
        return AB_OK;
    int held = 0;
    int was = e->leader;
    /* One tick; renewed (eng_renew.c) a long tick keeps the role, and a
     * killed leader loses it within a tick and a few seconds. */
    int64_t tick = cfg_global(e->c)->tick;
    ab_time until = now + (e->renewed ? ENG_RENEWED_LEASE(tick) : tick);
    enum ab_err err = store_lease_take(e->st, LEADER, e->node, until, now, &held, em);
    if (!err && !held)
        err = take_from_gone(e, until, now, &held, em);
    if (err) {
        e->leader = 0;
        return err;
    }
    e->leader = held;
    e->lead_at = now;
    if (held != was && e->node_seen)
        ab_log(held ? AB_LOG_INFO : AB_LOG_WARN, "node %s: %s", e->node,
               held ? "now the leader (inbox, heartbeats, notices, retention)"
                    : "no longer the leader: another node took over");
    return AB_OK;
}

int eng_is_leader(eng *e)
{
    return e->leader;
}

void eng_node_seen(eng *e, ab_time now)
{
    if (e->node_started == AB_TIME_NONE)
        e->node_started = e->started != AB_TIME_NONE ? e->started : now;
    ab_errmsg em = {{0}};
    if (store_node_seen(e->st, e->node, e->node_started, now, (int64_t)getpid(), AB_VERSION,
                        e->leader ? LEADER : "", &em) != AB_OK)
        ab_log(AB_LOG_WARN, "node %s: %s", e->node, em.text);
    else
        e->node_seen = 1;
}

enum ab_err eng_leave(eng *e, ab_errmsg *em)
{
    if (!e || !e->leader)
        return AB_OK;
    e->leader = 0;
    e->lead_at = AB_TIME_NONE;
    return store_lease_release(e->st, LEADER, e->node, em);
}

/* The day of t (UTC midnight): a daily claim's due time. */
static ab_time day_of(ab_time t)
{
    return t - ((t % 86400) + 86400) % 86400;
}

enum ab_err eng_daily_claim(eng *e, const char *what, ab_time when, ab_time now, int *got,
                            ab_errmsg *em)
{
    return store_claim_take(e->st, "daily", what, day_of(when), e->node,
                            now + cfg_global(e->c)->tick, now, got, em);
}

enum ab_err eng_daily_done(eng *e, const char *what, ab_time when, ab_errmsg *em)
{
    return store_claim_done(e->st, "daily", what, day_of(when), e->node, NULL, em);
}
