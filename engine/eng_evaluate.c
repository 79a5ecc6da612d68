/*
 * eng_evaluate.c - turning results into alert transitions.
 *
 * Per check item the engine keeps a debounced status: a bad result must
 * repeat `confirm` times before the status leaves Healthy, and a good
 * one `recover` times before it returns, which damps flapping data.  An
 * alert is open exactly while the debounced status is not Healthy.
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

int eng_priority(const struct cfg_check *k, enum store_status s)
{
    if (k->priority)
        return k->priority;
    switch (s) {
    case STORE_OFFLINE: return 1;
    case STORE_FAILING: return 2;
    default: return 3;
    }
}

/* Is the parent of k (transitively) not Healthy?  Names it in *parent. */
static int parent_bad(eng *e, const struct cfg_check *k, const char **parent)
{
    size_t guard = 0;
    const struct cfg_check *p = k->depends_on ? cfg_check_find(e->c, k->depends_on) : NULL;
    while (p && guard++ < cfg_check_count(e->c)) {
        if (store_check_worst(e->st, p->name) > STORE_HEALTHY) {
            *parent = p->name;
            return 1;
        }
        p = p->depends_on ? cfg_check_find(e->c, p->depends_on) : NULL;
    }
    return 0;
}

static int is_dismissed(const struct store_alert *a, ab_time now)
{
    if (a->dismissed_at == AB_TIME_NONE)
        return 0;
    return a->dismissed_until == AB_TIME_NONE || now < a->dismissed_until;
}

/* The first notice of an alert: a heartbeat nobody confirmed says so with
 * its own detailed message (queued as such, so it is never folded into
 * a digest without its detail). */
static const char *opened_message(const struct cfg_check *k, const struct store_alert *a)
{
    return k->kind == CFG_HEARTBEAT && a->status == STORE_FAILING ? "nobody-confirmed"
                                                                  : "alert-opened";
}

static int flapping(eng *e, const struct store_check_state *cs, ab_time now);

/* Why notices for this alert must wait, or NULL when they may go out. */
static const char *held_reason(eng *e, const struct cfg_check *k,
                               const struct store_alert *a, ab_time now,
                               const char **parent)
{
    if (cfg_in_maintenance(e->c, k, now, NULL, 0))
        return "maintenance";
    if (a && strcmp(a->kind, "check") == 0 && cfg_global(e->c)->alerting.flap_limit > 0) {
        struct store_check_state *cs = NULL;
        int f = store_check_state_get(e->st, k->name, a->item, &cs, NULL) == AB_OK &&
                flapping(e, cs, now);
        store_check_state_free(cs);
        if (f)
            return "flapping";
    }
    if (parent_bad(e, k, parent))
        return "dependency";
    if (a && is_dismissed(a, now))
        return "dismissed";
    return NULL;
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

/* How many status changes the space-separated list holds in 24h. */
static int recent_flips(const char *flips, ab_time now)
{
    int n = 0;
    for (const char *p = flips ? flips : ""; *p;) {
        while (*p == ' ')
            p++;
        size_t len = strcspn(p, " ");
        if (!len)
            break;
        char one[AB_ISO_LEN];
        snprintf(one, sizeof one, "%.*s", (int)(len < AB_ISO_LEN - 1 ? len : AB_ISO_LEN - 1), p);
        ab_time t;
        if (ab_time_parse(one, &t) == AB_OK && now - t < 86400)
            n++;
        p += len;
    }
    return n;
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
    return limit > 0 && recent_flips(cs->flips, now) > limit;
}

static enum ab_err send_notice(eng *e, const struct cfg_check *k,
                               struct store_alert *a, const char *message,
                               int level, ab_time now, struct eng_tick_stats *stats,
                               ab_errmsg *em);

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
                 recent_flips(cs->flips, now), cfg_global(e->c)->alerting.flap_limit);
        err = store_alert_open(e->st, k->name, item, "flapping", eng_priority(k, STORE_DEGRADED),
                               STORE_DEGRADED, msg, now, &id, em);
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

/* Keep the flip times of the last 24 hours, space separated. */
static char *record_flip(const char *flips, ab_time now, int *count)
{
    ab_buf b;
    ab_buf_init(&b, 1 << 16);
    char iso[AB_ISO_LEN];
    *count = 0;
    const char *p = flips ? flips : "";
    while (*p) {
        while (*p == ' ')
            p++;
        size_t len = strcspn(p, " ");
        if (!len)
            break;
        char one[AB_ISO_LEN] = "";
        snprintf(one, sizeof one, "%.*s", (int)(len < AB_ISO_LEN - 1 ? len : AB_ISO_LEN - 1), p);
        ab_time t;
        if (ab_time_parse(one, &t) == AB_OK && now - t < 86400) {
            if (ab_buf_printf(&b, "%s%s", b.len ? " " : "", one)) {
                ab_buf_free(&b);
                return NULL;
            }
            (*count)++;
        }
        p += len;
    }
    if (ab_buf_printf(&b, "%s%s", b.len ? " " : "", ab_time_format(now, iso, sizeof iso))) {
        ab_buf_free(&b);
        return NULL;
    }
    (*count)++;
    return ab_buf_steal(&b);
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
    if (a->dismissed_at != AB_TIME_NONE && (worse || a->dismissed_until == AB_TIME_NONE)) {
        char why[300];
        if (worse)
            snprintf(why, sizeof why, "worse: now %s, was %s", store_status_name(a->status),
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
    if (held_reason(e, k, a, now, &parent))
        return AB_OK;
    const char *message = a->notify_count == 0 ? opened_message(k, a)
                          : worse               ? "alert-worse"
                          : k->kind == CFG_HEARTBEAT && a->status == STORE_FAILING
                              ? "nobody-confirmed"
                              : "alert-repeated";
    return send_notice(e, k, a, message, a->level, now, stats, em);
}

/* cycle_id: the heartbeat cycle a verdict is about (news of its own), or 0. */
static enum ab_err evaluate_item(eng *e, const struct cfg_check *k,
                                 const struct store_result *r, int64_t run_id,
                                 int64_t cycle_id, ab_time now,
                                 struct eng_tick_stats *stats, ab_errmsg *em)
{
    struct store_check_state *cs = NULL;
    struct store_alert *a = NULL;
    char *flips = NULL;
    const char *item = r->item ? r->item : "";
    enum ab_err err = store_check_state_get(e->st, k->name, item, &cs, em);
    if (err == AB_ENOTFOUND) {
        cs = ab_calloc(1, sizeof *cs);
        if (!cs)
            return ab_fail(em, AB_ENOMEM, "out of memory");
        cs->check = ab_strdup(k->name);
        cs->item = ab_strdup(item);
        cs->flips = ab_strdup("");
        cs->status = STORE_HEALTHY;
        cs->since = now;
        if (!cs->check || !cs->item || !cs->flips) {
            err = ab_fail(em, AB_ENOMEM, "out of memory");
            goto out;
        }
    } else if (err) {
        return err;
    }

    enum store_status before = cs->status;
    if (r->status == STORE_HEALTHY) {
        cs->good_streak++;
        cs->bad_streak = 0;
        if (cs->good_streak >= k->recover)
            cs->status = STORE_HEALTHY;
    } else {
        cs->bad_streak++;
        cs->good_streak = 0;
        if (cs->bad_streak >= k->confirm)
            cs->status = r->status;
    }
    cs->last_run_id = run_id;
    int flip_count = 0;
    if ((before == STORE_HEALTHY) != (cs->status == STORE_HEALTHY)) {
        cs->since = now;
        flips = record_flip(cs->flips, now, &flip_count);
        if (!flips) {
            err = ab_fail(em, AB_ENOMEM, "out of memory");
            goto out;
        }
        ab_free(cs->flips);
        cs->flips = flips;
        flips = NULL;
    } else if (before != cs->status) {
        cs->since = now;
    }
    if ((err = store_check_state_put(e->st, cs, em)))
        goto out;
    int is_flapping = flapping(e, cs, now);
    if (cfg_global(e->c)->alerting.flap_limit > 0 &&
        (err = flap_alert(e, k, cs, is_flapping, now, stats, em)))
        goto out;

    err = store_alert_find_open(e->st, k->name, item, &a, em);
    if (err && err != AB_ENOTFOUND)
        goto out;
    err = AB_OK;
    const char *parent = NULL;
    const char *msg = r->message ? r->message : store_status_name(cs->status);

    if (cs->status != STORE_HEALTHY) {
        int prio = eng_priority(k, cs->status);
        if (!a) {
            int64_t id;
            err = store_alert_open(e->st, k->name, item, "check", prio, cs->status,
                                   msg, now, &id, em);
            if (err == AB_EEXIST) { /* another process opened it */
                err = AB_OK;
                goto out;
            }
            /* "was Healthy" only if it ever was: a first run says new. */
            int seen = 1;
            if (err || (err = store_alert_seen_healthy(e->st, k->name, item, &seen, em)) ||
                (!seen && (err = store_alert_set_previous(e->st, id, NULL, em))) ||
                (cycle_id && (err = store_alert_set_cycle(e->st, id, cycle_id, em))) ||
                (err = store_alert_get(e->st, id, &a, em)))
                goto out;
            if (stats)
                stats->alerts_opened++;
            ab_log(AB_LOG_WARN, "alert %lld opened: %s%s%s is %s: %s", (long long)id,
                   k->name, *item ? "/" : "", item, store_status_name(cs->status), msg);
            const char *why = held_reason(e, k, a, now, &parent);
            if (parent)
                err = store_alert_set_held(e->st, a->id, parent, em);
            if (!err && !why)
                err = send_notice(e, k, a, opened_message(k, a), 0, now, stats, em);
        } else {
            /* Worse: a more urgent priority, or a worse status at the same
             * priority (priority= fixed): Degraded to Failing is news. */
            int worse = prio < a->priority || (prio == a->priority && cs->status > a->status);
            if (a->status != cs->status || (msg && (!a->message || strcmp(a->message, msg)))) {
                if ((err = store_alert_set_status(e->st, a->id, prio, cs->status, msg, em)))
                    goto out;
                if (a->status != cs->status) {
                    ab_free(a->previous_status);
                    a->previous_status = ab_strdup(store_status_name(a->status));
                }
            }
            if (cycle_id && cycle_id != a->cycle_id &&
                (err = store_alert_set_cycle(e->st, a->id, cycle_id, em)))
                goto out;
            a->status = cs->status;
            a->priority = prio;
            a->cycle_id = cycle_id ? cycle_id : a->cycle_id;
            if (worse || cycle_id)
                err = announce(e, k, a, worse, cycle_id, now, stats, em);
        }
    } else if (a) {
        if ((err = store_alert_resolve(e->st, a->id, now, em))) {
            if (err == AB_EEXIST)
                err = AB_OK;
            goto out;
        }
        if (stats)
            stats->alerts_resolved++;
        ab_log(AB_LOG_INFO, "alert %lld resolved: %s%s%s is Healthy again",
               (long long)a->id, k->name, *item ? "/" : "", item);
        a->resolved = now;
        /* Tell the people who were told it was broken (unless it flaps:
         * the flapping alert speaks for it). */
        if (a->notify_count > 0 && !is_flapping)
            err = send_notice(e, k, a, "alert-resolved", a->level, now, stats, em);
    }
out:
    store_alert_free(a);
    store_check_state_free(cs);
    ab_free(flips);
    return err;
}

enum ab_err eng_evaluate(eng *e, const struct cfg_check *k,
                         const struct store_result *res, size_t n,
                         int64_t run_id, ab_time now,
                         struct eng_tick_stats *stats, ab_errmsg *em)
{
    enum ab_err err = AB_OK;
    for (size_t i = 0; i < n && !err; i++)
        err = evaluate_item(e, k, &res[i], run_id, 0, now, stats, em);
    return err;
}

enum ab_err eng_evaluate_verdict(eng *e, const struct cfg_check *k,
                                 const struct store_result *r, int64_t run_id,
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
