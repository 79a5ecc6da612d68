/*
 * eng_evaluate.c - turning results into alert transitions.
 *
 * Per check item the engine keeps a debounced status: a bad result must
 * repeat `confirm` times before the status leaves Healthy, and a good
 * one `recover` times before it returns, which damps flapping data.  An
 * alert is open exactly while the debounced status is not Healthy.  What
 * a result means is decided from plain facts in eng_debounce.c; this file
 * reads those facts and carries the decision out.
 *
 * Notices (opened, repeated, escalated, resolved) are claimed with a
 * compare-and-set in the same transaction that queues the email, so a
 * notice is queued once even with two ackbeat processes on one database.
 * Notices are held (the alert still opens and resolves) while:
 *  - a maintenance window covers the check;
 *  - the check's parent (depends-on) is itself not Healthy: the parent's
 *    alert speaks for both;
 *  - the alert is dismissed or snoozed.
 *
 * A dismissal silences the news it was given on, not the check: an alert
 * is one episode (open until the check recovers), and a heartbeat's each
 * cycle is news of its own, so a plain dismissal ends when the next
 * cycle's verdict comes in (or a held verdict is decided).  A snooze
 * (dismissed until T) keeps its end time.  Worse news (Degraded to
 * Failing, a priority rising) ends either, and is announced as worse
 * ("alert-worse"), not as a routine repeat.
 */
#include "engine/eng_int.h"

#include <stdio.h>
#include <string.h>

#include "common/ab_log.h"
#include "common/ab_mem.h"
#include "engine/eng_debounce.h"

int eng_priority(const struct cfg_check *k, enum ab_status s)
{
    return eng_db_priority(k->priority, s);
}

/* Is the parent of k (transitively) not Healthy?  Names it in *parent. */
static int parent_bad(eng *e, const struct cfg_check *k, const char **parent)
{
    size_t guard = 0;
    const struct cfg_check *p = k->depends_on ? cfg_check_find(e->c, k->depends_on) : NULL;
    while (p && guard++ < cfg_check_count(e->c)) {
        if (store_check_worst(e->st, p->name) > AB_HEALTHY) {
            *parent = p->name;
            return 1;
        }
        p = p->depends_on ? cfg_check_find(e->c, p->depends_on) : NULL;
    }
    return 0;
}

/*
 * Flapping: more status changes in a day than alerting/@flap-limit.
 * While an item flaps, its own alert opens and resolves without notices,
 * and one "flapping" alert (item "ITEM~flapping") speaks for it instead
 * of a storm of opened/resolved emails.
 */
static int flapping(eng *e, const struct store_check_state *cs, ab_time now)
{
    int limit = cfg_global(e->c)->alerting.flap_limit;
    return limit > 0 && eng_db_recent_flips(cs->flips, now) > limit;
}

/* What may hold the notices of a (NULL: one not open yet) at now, read
 * from the config and the store.  *parent: the parent that is not
 * Healthy, if any. */
static void hold_facts(eng *e, const struct cfg_check *k, const struct store_alert *a,
                       ab_time now, struct eng_db_hold *h, const char **parent)
{
    memset(h, 0, sizeof *h);
    h->maintenance = cfg_in_maintenance(e->c, k, now, NULL, 0);
    if (a && strcmp(a->kind, "check") == 0 && cfg_global(e->c)->alerting.flap_limit > 0) {
        struct store_check_state *cs = NULL;
        h->flapping = store_check_state_get(e->st, k->name, a->item, &cs, NULL) == AB_OK &&
                      flapping(e, cs, now);
        store_check_state_free(cs);
    }
    h->parent_bad = parent_bad(e, k, parent);
    h->dismissed = a && eng_db_dismissed(a->dismissed_at, a->dismissed_until, now);
}

/* Why notices for this alert must wait, or NULL when they may go out.
 * *parent is set only when the parent is the reason. */
static const char *held_reason(eng *e, const struct cfg_check *k,
                               const struct store_alert *a, ab_time now,
                               const char **parent)
{
    struct eng_db_hold h;
    const char *p = NULL;
    hold_facts(e, k, a, now, &h, &p);
    const char *why = eng_db_held(&h);
    if (why && !strcmp(why, "dependency"))
        *parent = p;
    return why;
}

/* The first notice of an alert (or of one held when it opened). */
static const char *opened_message(const struct cfg_check *k, const struct store_alert *a)
{
    return eng_db_opened_message(k->kind == CFG_HEARTBEAT, a->status);
}

/* Claim and queue one notice in one transaction. */
static enum ab_err send_notice(eng *e, const struct cfg_check *k,
                               struct store_alert *a, const char *message,
                               int level, ab_time now, struct eng_tick_stats *stats,
                               ab_errmsg *em)
{
    char msgid[256] = "";
    enum ab_err err = store_begin(e->st, em);
    if (err)
        return err;
    err = eng_notify_alert(e, k, a, message, level, now, a->thread_msgid, msgid, em);
    if (err)
        goto fail;
    if (!strcmp(message, "alert-resolved"))
        err = store_alert_claim_resolved_notice(e->st, a->id, em);
    else
        err = store_alert_claim_notify(e->st, a->id, a->notify_count, now, level,
                                       msgid, em);
    if (err)
        goto fail;
    char detail[300];
    snprintf(detail, sizeof detail, "%s, level %d", message, level);
    if ((err = store_alert_event(e->st, a->id, now, "notified", NULL, detail, em)))
        goto fail;
    /* Counted as an email when eng_flush_notices() queues it. */
    (void)stats;
    return store_commit(e->st, em);
fail:
    store_rollback(e->st);
    /* Someone else claimed it first: not an error, just not ours to send. */
    return err == AB_EEXIST ? AB_OK : err;
}

static enum ab_err flap_alert(eng *e, const struct cfg_check *k,
                              const struct store_check_state *cs, int is_flapping,
                              ab_time now, struct eng_tick_stats *stats, ab_errmsg *em)
{
    char item[300];
    snprintf(item, sizeof item, "%s~flapping", cs->item);
    struct store_alert *a = NULL;
    enum ab_err err = store_alert_find_open(e->st, k->name, item, &a, em);
    if (err && err != AB_ENOTFOUND)
        return err;
    err = AB_OK;
    if (is_flapping && !a) {
        char msg[256];
        int64_t id;
        snprintf(msg, sizeof msg, "changed status %d times in the last 24 hours (limit %d); "
                 "opened/resolved notices are held while it flaps",
                 eng_db_recent_flips(cs->flips, now), cfg_global(e->c)->alerting.flap_limit);
        err = store_alert_open(e->st, k->name, item, "flapping", eng_priority(k, AB_DEGRADED),
                               AB_DEGRADED, msg, now, &id, em);
        if (err == AB_EEXIST)
            return AB_OK;
        if (!err && !(err = store_alert_get(e->st, id, &a, em))) {
            ab_log(AB_LOG_WARN, "check %s%s%s is flapping", k->name, *cs->item ? "/" : "",
                   cs->item);
            if (stats)
                stats->alerts_opened++;
            err = send_notice(e, k, a, "alert-opened", 0, now, stats, em);
        }
    } else if (!is_flapping && a) {
        err = store_alert_resolve(e->st, a->id, now, em);
        if (!err) {
            a->resolved = now;
            if (stats)
                stats->alerts_resolved++;
            if (a->notify_count > 0)
                err = send_notice(e, k, a, "alert-resolved", a->level, now, stats, em);
        } else if (err == AB_EEXIST) {
            err = AB_OK;
        }
    }
    store_alert_free(a);
    return err;
}

/* Which notice news about a (just opened, or worse, or a verdict) is,
 * and whether it ends a dismissal: eng_db_notice() on what holds it. */
static void news_notice(eng *e, const struct cfg_check *k, const struct store_alert *a,
                        int worse, ab_time now, struct eng_db_notice *out,
                        const char **parent)
{
    struct eng_db_news n = {.heartbeat = k->kind == CFG_HEARTBEAT,
                            .status = a->status,
                            .told = a->notify_count,
                            .worse = worse,
                            .dismissed_at = a->dismissed_at,
                            .dismissed_until = a->dismissed_until,
                            .now = now};
    const char *p = NULL;
    hold_facts(e, k, a, now, &n.hold, &p);
    eng_db_notice(&n, out);
    if (out->held && !strcmp(out->held, "dependency"))
        *parent = p;
}

/*
 * News about an alert that stays open: worse (ends any dismissal), or a
 * heartbeat verdict about cycle_id (ends a plain dismissal: its episode
 * is over).  Tells people unless something holds the notices.
 */
static enum ab_err announce(eng *e, const struct cfg_check *k, struct store_alert *a,
                            int worse, int64_t cycle_id, ab_time now,
                            struct eng_tick_stats *stats, ab_errmsg *em)
{
    enum ab_err err;
    const char *parent = NULL;
    struct eng_db_notice o;
    news_notice(e, k, a, worse, now, &o, &parent);
    if (o.undismiss) {
        char why[300];
        if (worse)
            snprintf(why, sizeof why, "worse: now %s, was %s", ab_status_name(a->status),
                     a->previous_status ? a->previous_status : "?");
        else
            snprintf(why, sizeof why, "a new verdict (cycle %lld) ends the dismissal",
                     (long long)cycle_id);
        if ((err = store_alert_undismiss(e->st, a->id, em)) ||
            (err = store_alert_event(e->st, a->id, now, "reopened", NULL, why, em)))
            return err;
        a->dismissed_at = AB_TIME_NONE;
        a->dismissed_until = AB_TIME_NONE;
    }
    if (!o.message)
        return AB_OK;
    return send_notice(e, k, a, o.message, a->level, now, stats, em);
}

/* The item's stored state, or a Healthy one for its first result. */
static enum ab_err load_state(eng *e, const struct cfg_check *k, const char *item,
                              ab_time now, struct store_check_state **out, ab_errmsg *em)
{
    enum ab_err err = store_check_state_get(e->st, k->name, item, out, em);
    if (err != AB_ENOTFOUND)
        return err;
    struct store_check_state *cs = ab_calloc(1, sizeof *cs);
    if (!cs)
        return ab_fail(em, AB_ENOMEM, "out of memory");
    cs->check = ab_strdup(k->name);
    cs->item = ab_strdup(item);
    cs->flips = ab_strdup("");
    cs->status = AB_HEALTHY;
    cs->since = now;
    if (!cs->check || !cs->item || !cs->flips) {
        store_check_state_free(cs);
        return ab_fail(em, AB_ENOMEM, "out of memory");
    }
    *out = cs;
    return AB_OK;
}

/* Fold r into cs by eng_debounce() (a: the item's open alert or NULL),
 * record a flip, and store the state.  *d is the decision. */
static enum ab_err fold_result(eng *e, const struct cfg_check *k,
                               struct store_check_state *cs, const struct ab_result *r,
                               const struct store_alert *a, int64_t run_id,
                               int64_t cycle_id, ab_time now, struct eng_db_out *d,
                               ab_errmsg *em)
{
    int limit = cfg_global(e->c)->alerting.flap_limit;
    struct eng_db_in in = {
        .before = {.status = cs->status, .good_streak = cs->good_streak,
                   .bad_streak = cs->bad_streak},
        .result = r->status,
        .message = r->message,
        .confirm = k->confirm,
        .recover = k->recover,
        .priority = k->priority,
        .cycle_id = cycle_id,
        .flips = limit > 0 ? eng_db_recent_flips(cs->flips, now) : 0,
        .flap_limit = limit,
    };
    if (a)
        in.alert = (struct eng_db_alert){.open = 1, .priority = a->priority,
                                         .status = a->status, .message = a->message,
                                         .told = a->notify_count};
    eng_debounce(&in, d);
    cs->status = d->after.status;
    cs->good_streak = d->after.good_streak;
    cs->bad_streak = d->after.bad_streak;
    cs->last_run_id = run_id;
    if (d->changed)
        cs->since = now;
    if (d->flipped) {
        int count = 0;
        char *flips = eng_db_record_flip(cs->flips, now, &count);
        if (!flips)
            return ab_fail(em, AB_ENOMEM, "out of memory");
        ab_free(cs->flips);
        cs->flips = flips;
    }
    return store_check_state_put(e->st, cs, em);
}

/* A new alert on check k's item: opened, and told unless held. */
static enum ab_err open_alert(eng *e, const struct cfg_check *k, const char *item,
                              enum ab_status status, int prio, const char *msg,
                              int64_t cycle_id, ab_time now, struct eng_tick_stats *stats,
                              ab_errmsg *em)
{
    int64_t id;
    struct store_alert *a = NULL;
    enum ab_err err = store_alert_open(e->st, k->name, item, "check", prio, status, msg,
                                       now, &id, em);
    if (err == AB_EEXIST) /* another process opened it */
        return AB_OK;
    /* "was Healthy" only if it ever was: a first run says new. */
    int seen = 1;
    if (err || (err = store_alert_seen_healthy(e->st, k->name, item, &seen, em)) ||
        (!seen && (err = store_alert_set_previous(e->st, id, NULL, em))) ||
        (cycle_id && (err = store_alert_set_cycle(e->st, id, cycle_id, em))) ||
        (err = store_alert_get(e->st, id, &a, em)))
        goto out;
    if (stats)
        stats->alerts_opened++;
    ab_log(AB_LOG_WARN, "alert %lld opened: %s%s%s is %s: %s", (long long)id, k->name,
           *item ? "/" : "", item, ab_status_name(status), msg);
    const char *parent = NULL;
    struct eng_db_notice o;
    news_notice(e, k, a, 0, now, &o, &parent);
    if (parent)
        err = store_alert_set_held(e->st, a->id, parent, em);
    if (!err && o.message)
        err = send_notice(e, k, a, o.message, 0, now, stats, em);
out:
    store_alert_free(a);
    return err;
}

/* The item's alert stays open: its new status, priority, message and
 * cycle are stored, and news is announced. */
static enum ab_err keep_alert(eng *e, const struct cfg_check *k, struct store_alert *a,
                              const struct eng_db_out *d, enum ab_status status,
                              const char *msg, int64_t cycle_id, ab_time now,
                              struct eng_tick_stats *stats, ab_errmsg *em)
{
    enum ab_err err;
    if (d->update) {
        if ((err = store_alert_set_status(e->st, a->id, d->priority, status, msg, em)))
            return err;
        if (a->status != status) {
            ab_free(a->previous_status);
            a->previous_status = ab_strdup(ab_status_name(a->status));
        }
    }
    if (cycle_id && cycle_id != a->cycle_id &&
        (err = store_alert_set_cycle(e->st, a->id, cycle_id, em)))
        return err;
    a->status = status;
    a->priority = d->priority;
    a->cycle_id = cycle_id ? cycle_id : a->cycle_id;
    return d->announce ? announce(e, k, a, d->worse, cycle_id, now, stats, em) : AB_OK;
}

/* The item is Healthy again: its alert resolves, and the people who were
 * told it was broken hear so (tell: eng_debounce's tell_resolved). */
static enum ab_err resolve_alert(eng *e, const struct cfg_check *k, struct store_alert *a,
                                 int tell, ab_time now, struct eng_tick_stats *stats,
                                 ab_errmsg *em)
{
    enum ab_err err = store_alert_resolve(e->st, a->id, now, em);
    if (err)
        return err == AB_EEXIST ? AB_OK : err;
    if (stats)
        stats->alerts_resolved++;
    ab_log(AB_LOG_INFO, "alert %lld resolved: %s%s%s is Healthy again", (long long)a->id,
           k->name, *a->item ? "/" : "", a->item);
    a->resolved = now;
    return tell ? send_notice(e, k, a, "alert-resolved", a->level, now, stats, em) : AB_OK;
}

/* cycle_id: the heartbeat cycle a verdict is about (news of its own), or 0. */
static enum ab_err evaluate_item(eng *e, const struct cfg_check *k,
                                 const struct ab_result *r, int64_t run_id,
                                 int64_t cycle_id, ab_time now,
                                 struct eng_tick_stats *stats, ab_errmsg *em)
{
    struct store_check_state *cs = NULL;
    struct store_alert *a = NULL;
    const char *item = r->item ? r->item : "";
    enum ab_err err = load_state(e, k, item, now, &cs, em);
    if (err)
        return err;
    /* The item's own alert; the flapping one below is another item. */
    err = store_alert_find_open(e->st, k->name, item, &a, em);
    if (err && err != AB_ENOTFOUND)
        goto out;
    struct eng_db_out d;
    if ((err = fold_result(e, k, cs, r, a, run_id, cycle_id, now, &d, em)))
        goto out;
    if (cfg_global(e->c)->alerting.flap_limit > 0 &&
        (err = flap_alert(e, k, cs, d.flapping, now, stats, em)))
        goto out;
    const char *msg = r->message ? r->message : ab_status_name(cs->status);
    switch (d.action) {
    case ENG_DB_OPEN:
        err = open_alert(e, k, item, cs->status, d.priority, msg, cycle_id, now, stats, em);
        break;
    case ENG_DB_KEEP:
        err = keep_alert(e, k, a, &d, cs->status, msg, cycle_id, now, stats, em);
        break;
    case ENG_DB_RESOLVE:
        err = resolve_alert(e, k, a, d.tell_resolved, now, stats, em);
        break;
    case ENG_DB_NONE: break;
    }
out:
    store_alert_free(a);
    store_check_state_free(cs);
    return err;
}

enum ab_err eng_evaluate(eng *e, const struct cfg_check *k,
                         const struct ab_result *res, size_t n,
                         int64_t run_id, ab_time now,
                         struct eng_tick_stats *stats, ab_errmsg *em)
{
    enum ab_err err = AB_OK;
    for (size_t i = 0; i < n && !err; i++)
        err = evaluate_item(e, k, &res[i], run_id, 0, now, stats, em);
    return err;
}

enum ab_err eng_evaluate_verdict(eng *e, const struct cfg_check *k,
                                 const struct ab_result *r, int64_t run_id,
                                 int64_t cycle_id, ab_time now,
                                 struct eng_tick_stats *stats, ab_errmsg *em)
{
    return evaluate_item(e, k, r, run_id, cycle_id, now, stats, em);
}

enum ab_err eng_follow_up(eng *e, ab_time now, struct eng_tick_stats *stats,
                          ab_errmsg *em)
{
    struct store_alert **v = NULL;
    size_t n = 0;
    enum ab_err err = store_alert_list(e->st, 0, 0, &v, &n, em);
    if (err)
        return err;
    for (size_t i = 0; i < n && !err; i++) {
        struct store_alert *a = v[i];
        const struct cfg_check *k = cfg_check_find(e->c, a->check);
        if (!k || strcmp(a->kind, "check") != 0)
            continue; /* removed from the config, or not ours to follow */
        int snooze_ended = 0;
        if (a->dismissed_at != AB_TIME_NONE && a->dismissed_until != AB_TIME_NONE &&
            now >= a->dismissed_until) {
            /* A snooze ran out: notices resume with a repeat right away. */
            if ((err = store_alert_undismiss(e->st, a->id, em)) ||
                (err = store_alert_event(e->st, a->id, now, "snooze ended", NULL,
                                         NULL, em)))
                break;
            a->dismissed_at = AB_TIME_NONE;
            a->last_notified = AB_TIME_NONE;
            snooze_ended = 1;
        }
        const char *parent = NULL;
        const char *why = held_reason(e, k, a, now, &parent);
        /* The parent recovered: the "held by" label goes (it stayed for
         * as long as the alert was open). */
        if (!parent && a->held_by && (err = store_alert_set_held(e->st, a->id, NULL, em)))
            break;
        if (why)
            continue;
        if (a->notify_count == 0) {
            /* Held when it opened (maintenance, dependency): send it now. */
            err = send_notice(e, k, a, opened_message(k, a), 0, now, stats, em);
            continue;
        }
        /* The climb (eng_levels.c): to the highest level now due, unless
         * someone has dismissed or snoozed the alert since it opened. */
        int next = eng_level_due(e, k, a, now), stopped = 0;
        if (next > a->level &&
            (err = store_alert_climb_stopped(e->st, a->id, &stopped, em)))
            break;
        if (next > a->level && !stopped) {
            err = send_notice(e, k, a, "alert-escalated", next, now, stats, em);
            continue;
        }
        /* A snooze is "tell me again later": its end is a notice even
         * for a check that does not repeat. */
        if (snooze_ended || (k->repeat > 0 && (a->last_notified == AB_TIME_NONE ||
                                               now - a->last_notified >= k->repeat)))
            err = send_notice(e, k, a, "alert-repeated", a->level, now, stats, em);
    }
    for (size_t i = 0; i < n; i++)
        store_alert_free(v[i]);
    ab_free(v);
    return err;
}
