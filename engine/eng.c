/*
 * eng.c - the tick: what is due, run it, evaluate, follow up on open
 * alerts, drain the outbox.  And the one-off actions that go through the
 * same path (run-check, report, dismiss).
 *
 * The tick is a table of steps (tick_steps), each with the policy its
 * failure follows, applied in one place: a failing step is logged and
 * counted and the tick goes on, unless the database itself failed.  A new
 * step is a line in the table, not another copy of the error handling.
 */
#include "engine/eng_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ab_log.h"
#include "common/ab_mem.h"
#include "mailer/mail.h"

/* The daily digest at <alerting digest-at> (none without it). */
static enum ab_err make_digest(const cfg *c, sched **out, ab_errmsg *em)
{
    *out = NULL;
    const char *at = cfg_global(c)->alerting.digest_at;
    return at ? eng_sched_at(c, at, "*", out, em) : AB_OK;
}

static enum ab_err open_templates(eng *e, const cfg *c, tpl_set **out, ab_errmsg *em)
{
    const char *dirs[2];
    size_t n = 0;
    const char *user = cfg_global(c)->templates_dir;
    if (user)
        dirs[n++] = user;
    if (e->template_dir)
        dirs[n++] = e->template_dir;
    if (n == 0)
        return ab_fail(em, AB_ECONFIG, "no templates folder: set <templates dir=...>");
    return tpl_set_new(dirs, n, out, em);
}

enum ab_err eng_new(const cfg *c, store *st, const char *template_dir, eng **out,
                    ab_errmsg *em)
{
    *out = NULL;
    eng *e = ab_calloc(1, sizeof *e);
    if (!e)
        return ab_fail(em, AB_ENOMEM, "out of memory");
    e->c = c;
    e->st = st;
    e->send = 1;
    e->started = AB_TIME_NONE;
    e->known_from = AB_TIME_NONE;
    e->template_dir = template_dir ? ab_strdup(template_dir) : NULL;
    e->chk = chk_ctx_new();
    e->node_started = AB_TIME_NONE;
    enum ab_err err = AB_OK;
    if ((template_dir && !e->template_dir) || !e->chk || eng_node_init(e, cfg_global(c)->state_node))
        err = ab_fail(em, AB_ENOMEM, "out of memory");
    else
        err = open_templates(e, c, &e->tpl, em);
    if (!err)
        err = make_digest(c, &e->digest, em);
    if (err) {
        eng_free(e);
        return err;
    }
    *out = e;
    return AB_OK;
}

void eng_free(eng *e)
{
    if (!e)
        return;
    chk_ctx_free(e->chk);
    tpl_set_free(e->tpl);
    sched_free(e->digest);
    ab_free(e->template_dir);
    ab_free(e->node);
    if (e->own_st)
        store_close(e->st);
    ab_free(e);
}

enum ab_err eng_set_config(eng *e, const cfg *c, ab_errmsg *em)
{
    tpl_set *t = NULL;
    sched *d = NULL;
    enum ab_err err = open_templates(e, c, &t, em);
    if (!err && (err = make_digest(c, &d, em)))
        tpl_set_free(t);
    if (err)
        return err;
    tpl_set_free(e->tpl);
    e->tpl = t;
    sched_free(e->digest);
    e->digest = d;
    e->c = c;
    /* Sources may have changed: drop pooled connections. */
    chk_ctx_close_all(e->chk);
    /* Checks the reload added are known from its first tick, not from the
     * daemon's start: a fire time before they existed is not one missed. */
    e->known = 0;
    e->known_from = AB_TIME_NONE;
    return AB_OK;
}

void eng_set_send(eng *e, int send)
{
    e->send = send;
}

void eng_set_started(eng *e, ab_time t)
{
    e->started = t;
    if (!e->known)
        e->known_from = t;
}

void eng_set_stamp_now(eng *e, int on)
{
    e->stamp_now = on;
}

static enum ab_err run_and_evaluate(eng *e, const struct cfg_check *k, ab_time now,
                                    const char *trigger, struct eng_tick_stats *stats,
                                    struct chk_outcome **keep, int64_t *run_id,
                                    ab_errmsg *em)
{
    struct chk_outcome *o = NULL;
    int64_t rid = 0;
    int cached = 0;
    enum ab_err err = eng_execute(e, k, now, trigger, &o, &rid, &cached, em);
    if (err)
        return err;
    if (stats) {
        if (cached)
            stats->checks_cached++;
        else
            stats->checks_run++;
    }
    err = eng_evaluate(e, k, o->results, o->nresults, rid, now, stats, em);
    if (run_id)
        *run_id = rid;
    if (keep && !err)
        *keep = o;
    else
        chk_outcome_free(o);
    return err;
}

static void drain(eng *e, ab_time now, struct eng_tick_stats *stats)
{
    const struct cfg_mail *m = &cfg_global(e->c)->mail;
    if (!e->send || !m->transport)
        return;
    struct mail_drain_stats ds = {0};
    ab_errmsg em = {{0}};
    if (mail_outbox_drain_as(e->st, m, e->node, now, 0, &ds, &em) != AB_OK) {
        ab_log(AB_LOG_ERROR, "outbox: %s", em.text);
        stats->errors++;
        return;
    }
    stats->mail_sent += ds.sent;
    stats->mail_failed += ds.failed;
    stats->mail_deferred += ds.deferred;
    if (ds.deferred && ds.last_error.text[0])
        ab_log(AB_LOG_WARN, "outbox: %zu message(s) deferred: %s", ds.deferred,
               ds.last_error.text);
    if (ds.sent)
        ab_log(AB_LOG_INFO, "outbox: %zu message(s) sent via %s", ds.sent,
               m->transport);
}

/* The database itself failing: going on would do work whose results
 * cannot be kept, so this stops a tick wherever it is met. */
static int db_failed(enum ab_err err)
{
    return err == AB_ESTORE || err == AB_EBUSY;
}

/* A mailbox that cannot be read is logged and counted here (the verdicts
 * wait for it); only the database failing is returned. */
static enum ab_err step_inbox(eng *e, ab_time now, struct eng_tick_stats *stats,
                              ab_errmsg *em)
{
    if (!cfg_global(e->c)->inbox.enabled)
        return AB_OK;
    struct eng_inbox_result ir;
    enum ab_err err = eng_inbox_poll(e, now, 0, &ir, em);
    if (db_failed(err))
        return err;
    if (ir.error[0]) {
        ab_log(AB_LOG_WARN, "inbox: %s", ir.error);
        stats->errors++;
    } else if (ir.polled && ir.fetched) {
        ab_log(AB_LOG_INFO, "inbox: %zu message(s) read", ir.fetched);
    }
    return AB_OK;
}

static enum ab_err step_reply_commands(eng *e, ab_time now, struct eng_tick_stats *stats,
                                       ab_errmsg *em)
{
    (void)stats;
    return cfg_global(e->c)->inbox.enabled ? eng_reply_commands(e, now, em) : AB_OK;
}

/* One step, so that a digest is not built while notices fail. */
static enum ab_err step_notices(eng *e, ab_time now, struct eng_tick_stats *stats,
                                ab_errmsg *em)
{
    enum ab_err err = eng_flush_notices(e, now, stats, em);
    return err ? err : eng_daily_digest(e, now, stats, em);
}

static enum ab_err step_outbox(eng *e, ab_time now, struct eng_tick_stats *stats,
                               ab_errmsg *em)
{
    (void)em;
    drain(e, now, stats);
    return AB_OK;
}

static enum ab_err step_fallback(eng *e, ab_time now, struct eng_tick_stats *stats,
                                 ab_errmsg *em)
{
    (void)stats;
    return eng_mail_fallback(e, now, em);
}

static enum ab_err step_channels(eng *e, ab_time now, struct eng_tick_stats *stats,
                                 ab_errmsg *em)
{
    (void)em;
    eng_channels_drain(e, now, stats);
    return AB_OK;
}

static enum ab_err step_retention(eng *e, ab_time now, struct eng_tick_stats *stats,
                                  ab_errmsg *em)
{
    (void)stats;
    return eng_retention(e, now, em);
}

/* What a step's failure means for the tick. */
enum step_policy {
    STEP_OWN,   /* the step logs and counts its own failures; what it returns
                 * (the database failing) stops the tick, unlogged */
    STEP_STOPS, /* logged as "NAME: why" and counted; the database failing
                 * stops the tick, anything else does not */
    STEP_GOES,  /* logged and counted; the tick goes on whatever it was */
};

struct tick_step {
    const char *name; /* in the log line of a failure */
    enum ab_err (*run)(eng *e, ab_time now, struct eng_tick_stats *stats, ab_errmsg *em);
    enum step_policy policy;
    int leader_only;  /* one node at a time: the leader (eng_node.c) */
};

/*
 * The tick, in order.  The inbox first: replies that arrived count before
 * any verdict.  Notices are flushed after everything that claims them,
 * and the outbox drained after the notices became mail; the fallback
 * alert looks at that drain, and its channel is drained after it.
 * With several nodes on one state, every node runs the checks (each run
 * claimed) and drains the outbox and the channels (each row leased);
 * the rest is the leader's.
 */
static const struct tick_step tick_steps[] = {
    {"inbox", step_inbox, STEP_OWN, 1},
    {"reply commands", step_reply_commands, STEP_GOES, 1},
    {"checks", eng_step_checks, STEP_OWN, 0},
    {"heartbeats", eng_heartbeats_tick, STEP_STOPS, 1},
    {"pings", eng_pings_tick, STEP_STOPS, 1},
    {"alerts", eng_follow_up, STEP_STOPS, 1},
    {"notices", step_notices, STEP_STOPS, 1},
    {"monthly report", eng_monthly_report, STEP_STOPS, 1},
    {"outbox", step_outbox, STEP_OWN, 0},
    {"mail fallback", step_fallback, STEP_GOES, 1},
    {"channels", step_channels, STEP_OWN, 0},
    {"retention", step_retention, STEP_GOES, 1},
};

enum ab_err eng_tick(eng *e, ab_time now, struct eng_tick_stats *stats, ab_errmsg *em)
{
    struct eng_tick_stats local;
    if (!stats)
        stats = &local;
    memset(stats, 0, sizeof *stats);
    /* Whether this node leads is settled before any step: a database that
     * cannot say is one whose results cannot be kept either. */
    enum ab_err lerr = eng_lead(e, now, em);
    if (lerr)
        return lerr;
    /* Before any step, by every node: the leader that opens a heartbeat's
     * cycle may tick for the first time long after this node loaded the
     * check (a standby, a leader killed and its lease waited out), and must
     * not take a fire time in between for one before the check was known. */
    if (!e->known) {
        ab_time from = e->known_from != AB_TIME_NONE && e->known_from <= now ? e->known_from
                                                                             : now;
        if ((lerr = eng_sched_register(e, from, em)))
            return lerr;
        e->known = 1;
    }
    eng_node_seen(e, now);
    for (size_t i = 0; i < sizeof tick_steps / sizeof tick_steps[0]; i++) {
        const struct tick_step *s = &tick_steps[i];
        if (s->leader_only && !e->leader)
            continue;
        ab_errmsg sem = {{0}};
        enum ab_err err = s->run(e, now, stats, &sem);
        if (!err)
            continue;
        if (s->policy != STEP_OWN) {
            ab_log(AB_LOG_ERROR, "%s: %s", s->name, sem.text);
            stats->errors++;
        }
        if (s->policy == STEP_OWN || (s->policy == STEP_STOPS && db_failed(err)))
            return ab_fail(em, err, "%s", sem.text);
    }
    return AB_OK;
}

ab_time eng_next_wakeup(eng *e, ab_time now)
{
    int64_t tick = cfg_global(e->c)->tick;
    ab_time next = now + tick - ((now % tick) + tick) % tick;
    for (size_t i = 0; i < cfg_check_count(e->c); i++) {
        const struct cfg_check *k = cfg_check_at(e->c, i);
        if (k->kind == CFG_PING || !k->schedule)
            continue;
        ab_time f = eng_next_fire(e, k, now);
        if (f != AB_TIME_NONE && f < next)
            next = f;
    }
    /* A notice waiting for someone's quiet hours to end. */
    ab_time q = store_notices_next(e->st);
    if (q != AB_TIME_NONE && q > now && q < next)
        next = q;
    return next;
}

enum ab_err eng_run_check(eng *e, const char *name, ab_time now,
                          struct chk_outcome **out, int64_t *run_id, ab_errmsg *em)
{
    const struct cfg_check *k = cfg_check_find(e->c, name);
    if (!k)
        return ab_fail(em, AB_ENOTFOUND, "no check named \"%s\"", name);
    if (!eng_runs_as_check(k))
        return ab_fail(em, AB_EINVAL, "check %s is a %s: it is not run but "
                                      "reported to", name, cfg_check_kind_name(k->kind));
    struct eng_tick_stats stats = {0};
    enum ab_err err = run_and_evaluate(e, k, now, "manual", &stats, out, run_id, em);
    if (!err)
        err = eng_flush_notices(e, now, &stats, em);
    if (!err)
        drain(e, now, &stats);
    return err;
}

enum ab_err eng_report(eng *e, const char *check, const char *item,
                       enum ab_status status, int has_value, double value,
                       const char *message, ab_time now, ab_errmsg *em)
{
    const struct cfg_check *k = cfg_check_find(e->c, check);
    if (!k)
        return ab_fail(em, AB_ENOTFOUND, "no check named \"%s\"", check);
    /* A ping check is one item with no value: say so rather than drop
     * what was given. */
    if (k->kind == CFG_PING && ((item && *item) || has_value))
        return ab_fail(em, AB_EINVAL, "check %s is a ping check: it has no items or "
                                      "values (--item and --value are for the other "
                                      "kinds; --message is recorded)", check);
    if (k->kind == CFG_PING)
        /* For a ping check a report is a finish ping: Healthy is success. */
        return eng_ping(e, check, status == AB_HEALTHY ? STORE_PING_SUCCESS
                                                          : STORE_PING_FAIL,
                        0, "cli", message, now, em);
    int64_t rid;
    struct ab_result r = {.item = item ? item : "", .status = status,
                             .has_value = has_value, .value = value,
                             .message = message};
    enum ab_err err = store_run_begin(e->st, k->name, k->type, "report", now, &rid, em);
    if (!err)
        err = store_run_complete(e->st, rid, 0, 0, &r, 1, NULL, em);
    struct eng_tick_stats stats = {0};
    if (!err)
        err = eng_evaluate(e, k, &r, 1, rid, now, &stats, em);
    if (!err)
        err = eng_flush_notices(e, now, &stats, em);
    if (!err)
        drain(e, now, &stats);
    return err;
}

enum ab_err eng_dismiss(eng *e, int64_t alert_id, const char *by, const char *note,
                        ab_time until, ab_time now, ab_errmsg *em)
{
    struct store_alert *a = NULL;
    enum ab_err err = store_alert_get(e->st, alert_id, &a, em);
    if (err)
        return err;
    if (a->resolved != AB_TIME_NONE) {
        store_alert_free(a);
        return ab_fail(em, AB_EINVAL, "alert %lld is already resolved",
                       (long long)alert_id);
    }
    store_alert_free(a);
    return store_alert_dismiss(e->st, alert_id, by, note, until, now, em);
}
