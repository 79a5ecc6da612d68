/*
 * eng.c - the tick: what is due, run it, evaluate, follow up on open
 * alerts, drain the outbox.  And the one-off actions that go through the
 * same path (run-check, report, dismiss).
 */
#include "engine/eng_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ab_log.h"
#include "common/ab_mem.h"
#include "mailer/mail.h"

/* The daily digest as a cron rule at HH:MM in the site's zone. */
static enum ab_err make_digest(const cfg *c, sched **out, ab_errmsg *em)
{
    *out = NULL;
    const char *at = cfg_global(c)->alerting.digest_at;
    if (!at)
        return AB_OK;
    char cron[32];
    snprintf(cron, sizeof cron, "%d %d * * *", (at[3] - '0') * 10 + (at[4] - '0'),
             (at[0] - '0') * 10 + (at[1] - '0'));
    sched *s = sched_new();
    if (!s)
        return ab_fail(em, AB_ENOMEM, "out of memory");
    enum ab_err err;
    if ((err = sched_set_zone(s, cfg_global(c)->timezone, em)) ||
        (err = sched_set_cron(s, cron, em))) {
        sched_free(s);
        return err;
    }
    *out = s;
    return AB_OK;
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
    e->template_dir = template_dir ? ab_strdup(template_dir) : NULL;
    e->chk = chk_ctx_new();
    enum ab_err err = AB_OK;
    if ((template_dir && !e->template_dir) || !e->chk)
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
    return AB_OK;
}

void eng_set_send(eng *e, int send)
{
    e->send = send;
}

void eng_set_started(eng *e, ab_time t)
{
    e->started = t;
}

void eng_set_stamp_now(eng *e, int on)
{
    e->stamp_now = on;
}

static int sched_row_cmp(const void *key, const void *elem)
{
    return strcmp(key, ((const struct store_sched_row *)elem)->check);
}

static int runs_as_check(const struct cfg_check *k)
{
    /* Heartbeats and pings are driven by mail and reports, not runs. */
    return k->kind != CFG_HEARTBEAT && k->kind != CFG_PING;
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

static int paused_now(const struct store_pause *v, size_t n, const char *check)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(v[i].check, check))
            return 1;
    return 0;
}

static void drain(eng *e, ab_time now, struct eng_tick_stats *stats)
{
    const struct cfg_mail *m = &cfg_global(e->c)->mail;
    if (!e->send || !m->transport)
        return;
    struct mail_drain_stats ds = {0};
    ab_errmsg em = {{0}};
    if (mail_outbox_drain(e->st, m, now, 0, &ds, &em) != AB_OK) {
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

enum ab_err eng_tick(eng *e, ab_time now, struct eng_tick_stats *stats,
                     ab_errmsg *em)
{
    struct eng_tick_stats local;
    if (!stats)
        stats = &local;
    memset(stats, 0, sizeof *stats);
    /* The inbox first: replies that arrived count before any verdict. */
    if (cfg_global(e->c)->inbox.enabled) {
        struct eng_inbox_result ir;
        ab_errmsg iem = {{0}};
        enum ab_err ierr = eng_inbox_poll(e, now, 0, &ir, &iem);
        if (ierr == AB_ESTORE || ierr == AB_EBUSY)
            return ab_fail(em, ierr, "%s", iem.text);
        if (ir.error[0]) {
            ab_log(AB_LOG_WARN, "inbox: %s", ir.error);
            stats->errors++;
        } else if (ir.polled && ir.fetched) {
            ab_log(AB_LOG_INFO, "inbox: %zu message(s) read", ir.fetched);
        }
        if (eng_reply_commands(e, now, &iem) != AB_OK) {
            ab_log(AB_LOG_ERROR, "reply commands: %s", iem.text);
            stats->errors++;
        }
    }
    /* Bookkeeping of checks that are not due is written in batches, one
     * transaction for a run of them (a commit each made the first tick
     * with 100,000 checks take two minutes); the batch is committed
     * before any check runs, so no lock is held during a query. */
    int batch = 0;
    /* Every check's bookkeeping in one query, looked up in memory: a
     * query per check per tick was most of a quiet tick's cost. */
    struct store_sched_row *rows = NULL;
    size_t nrows = 0;
    struct store_pause *pauses = NULL;
    size_t npauses = 0;
    if (store_pause_list(e->st, now, &pauses, &npauses, NULL) != AB_OK)
        npauses = 0;
    {
        ab_errmsg lem = {{0}};
        enum ab_err lerr = store_sched_all(e->st, &rows, &nrows, &lem);
        if (lerr)
            return ab_fail(em, lerr, "%s", lem.text);
    }
    for (size_t i = 0; i < cfg_check_count(e->c); i++) {
        const struct cfg_check *k = cfg_check_at(e->c, i);
        if (!runs_as_check(k))
            continue;
        /* A paused check does not run (eng_silence.c). */
        if (npauses && paused_now(pauses, npauses, k->name))
            continue;
        int due = 0, held = 0;
        struct store_sched_state later;
        ab_errmsg cem = {{0}};
        enum ab_err err = AB_OK;
        if (!batch && !(err = store_begin(e->st, &cem)))
            batch = 1;
        if (!err) {
            /* bsearch(NULL, 0) is undefined, as for qsort. */
            const struct store_sched_row *r =
                nrows ? bsearch(k->name, rows, nrows, sizeof *rows, sched_row_cmp) : NULL;
            err = eng_due_known(e, k, now, r ? &r->state : NULL, &due, &held, &later, &cem);
        }
        if (!err && held)
            stats->checks_held++;
        if (!err && due) {
            batch = 0;
            if (!(err = store_commit(e->st, &cem)))
                err = run_and_evaluate(e, k, now, "schedule", stats, NULL, NULL, &cem);
            /* The fire time counts as taken once its run is stored; a
             * check that failed to run is not retried until the next. */
            enum ab_err serr = store_sched_put(e->st, k->name, &later, &cem);
            if (!err)
                err = serr;
        }
        if (err) {
            if (batch) {
                store_rollback(e->st);
                batch = 0;
            }
            /* The database itself failing stops the tick: going on would
             * run checks whose results cannot be kept. */
            if (err == AB_ESTORE || err == AB_EBUSY) {
                store_sched_rows_free(rows, nrows);
                store_pauses_free(pauses, npauses);
                ab_fail(em, err, "%s", cem.text);
                return err;
            }
            ab_log(AB_LOG_ERROR, "check %s: %s", k->name,
                   cem.text[0] ? cem.text : ab_strerror(err));
            stats->errors++;
        }
    }
    store_sched_rows_free(rows, nrows);
    store_pauses_free(pauses, npauses);
    if (batch) {
        ab_errmsg bem = {{0}};
        enum ab_err berr = store_commit(e->st, &bem);
        if (berr)
            return ab_fail(em, berr, "%s", bem.text);
    }
    ab_errmsg fem = {{0}};
    enum ab_err err = eng_heartbeats_tick(e, now, stats, &fem);
    if (err) {
        ab_log(AB_LOG_ERROR, "heartbeats: %s", fem.text);
        stats->errors++;
        if (err == AB_ESTORE || err == AB_EBUSY)
            return ab_fail(em, err, "%s", fem.text);
    }
    err = eng_pings_tick(e, now, stats, &fem);
    if (err) {
        ab_log(AB_LOG_ERROR, "pings: %s", fem.text);
        stats->errors++;
        if (err == AB_ESTORE || err == AB_EBUSY)
            return ab_fail(em, err, "%s", fem.text);
    }
    err = eng_follow_up(e, now, stats, &fem);
    if (err) {
        ab_log(AB_LOG_ERROR, "alerts: %s", fem.text);
        stats->errors++;
        if (err == AB_ESTORE || err == AB_EBUSY)
            return ab_fail(em, err, "%s", fem.text);
    }
    if (!(err = eng_flush_notices(e, now, stats, &fem)))
        err = eng_daily_digest(e, now, stats, &fem);
    if (err) {
        ab_log(AB_LOG_ERROR, "notices: %s", fem.text);
        stats->errors++;
        if (err == AB_ESTORE || err == AB_EBUSY)
            return ab_fail(em, err, "%s", fem.text);
    }
    drain(e, now, stats);
    if (eng_mail_fallback(e, now, &fem) != AB_OK) {
        ab_log(AB_LOG_ERROR, "mail fallback: %s", fem.text);
        stats->errors++;
    }
    eng_channels_drain(e, now, stats);
    if (eng_retention(e, now, &fem) != AB_OK) {
        ab_log(AB_LOG_ERROR, "retention: %s", fem.text);
        stats->errors++;
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
    if (!runs_as_check(k))
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
                       enum store_status status, int has_value, double value,
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
        return eng_ping(e, check, status == STORE_HEALTHY ? STORE_PING_SUCCESS
                                                          : STORE_PING_FAIL,
                        0, "cli", message, now, em);
    int64_t rid;
    struct store_result r = {.item = item ? item : "", .status = status,
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
