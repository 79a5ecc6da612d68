/*
 * eng_due.c - deciding whether a check runs at this tick.
 *
 * Three cases, after seed 002:
 *  - no schedule: runs on every tick (the seed's reverse compatibility),
 *    i.e. once per tick interval, aligned to the tick grid;
 *  - a window only (an EventSchedule): every tick while the window allows;
 *  - a fire rule (RRULE, cron, interval): at its fire times.  A fire time
 *    missed while ackbeat was down fires once when it comes back, not
 *    once per missed occurrence.
 * Maintenance windows from calendars hold a due check: it does not run,
 * and its alerts are not notified.
 *
 * The bookkeeping (check_schedule) of a due check is written only after
 * its run is stored, so a crash in between repeats the run rather than
 * losing it.
 *
 * First sight is normally not here: eng_known.c writes every check with a
 * fire rule down as known when a daemon starts.
 */
#include "engine/eng_int.h"

#include "common/ab_log.h"

ab_time eng_next_fire(eng *e, const struct cfg_check *k, ab_time now)
{
    if (!k->schedule)
        return AB_TIME_NONE;
    ab_time next;
    if (sched_next(k->schedule, now, &next) != AB_OK)
        return AB_TIME_NONE;
    (void)e;
    return next;
}

static ab_time tick_slot(const eng *e, ab_time t)
{
    int64_t tick = cfg_global(e->c)->tick;
    ab_time slot = t - (t % tick + tick) % tick;
    return slot;
}

enum ab_err eng_due(eng *e, const struct cfg_check *k, ab_time now, int *due,
                    int *held, struct store_sched_state *later, ab_errmsg *em)
{
    struct store_sched_state ss;
    enum ab_err err = store_sched_get(e->st, k->name, &ss, em);
    if (err && err != AB_ENOTFOUND)
        return err;
    return eng_due_known(e, k, now, err == AB_ENOTFOUND ? NULL : &ss, due, held, later,
                         NULL, em);
}

enum ab_err eng_due_known(eng *e, const struct cfg_check *k, ab_time now,
                          const struct store_sched_state *known, int *due, int *held,
                          struct store_sched_state *later, ab_time *due_at,
                          ab_errmsg *em)
{
    struct store_sched_state ss;
    ab_time served = AB_TIME_NONE;
    *due = 0;
    *held = 0;
    int first = known == NULL;
    if (known)
        ss = *known;
    if (first) {
        ss.first_seen = now;
        ss.last_fire = AB_TIME_NONE;
        ss.next_due = AB_TIME_NONE;
    }
    const struct store_sched_state was = ss;

    int has_rule = k->schedule && sched_rule_kind(k->schedule) != SCHED_RULE_NONE;
    if (has_rule) {
        if (ss.next_due == AB_TIME_NONE) {
            /* First sight: an occurrence exactly at now counts. */
            ab_time n;
            ss.next_due = sched_next(k->schedule, now - 1, &n) == AB_OK ? n : AB_TIME_NONE;
        }
        if (ss.next_due != AB_TIME_NONE && now >= ss.next_due) {
            *due = 1;
            served = ss.next_due;
            ab_time n;
            ss.next_due = sched_next(k->schedule, now, &n) == AB_OK ? n : AB_TIME_NONE;
        }
    } else {
        /* Every tick (while the window, if any, allows). */
        ab_time slot = tick_slot(e, now);
        int allowed = !k->schedule || sched_allowed(k->schedule, now, NULL);
        if (allowed && (ss.last_fire == AB_TIME_NONE || tick_slot(e, ss.last_fire) < slot))
            *due = 1;
        served = slot;
        /* Only when it fires: rewriting it on every blocked tick would
         * cost a commit per check per tick. */
        if (*due || first)
            ss.next_due = slot + cfg_global(e->c)->tick;
    }
    if (*due) {
        ss.last_fire = now;
        char why[256] = "";
        if (cfg_in_maintenance(e->c, k, now, why, sizeof why)) {
            *held = 1;
            *due = 0;
            ab_log(AB_LOG_INFO, "check %s: held by maintenance: %s", k->name, why);
        }
    }
    /* A due fire time is written by the caller once its run is stored:
     * killed during a slow check, the run happens again on restart
     * instead of being skipped until the next fire time. */
    if (due_at)
        *due_at = *due ? served : AB_TIME_NONE;
    if (*due && later) {
        *later = ss;
        /* A rule's first fire seen at its own instant (a node started at
         * 08:00 of a check due at 08:00) is kept as due before it runs:
         * if this node dies running it, the next one to tick sees it due
         * still, and takes its claim when the lease runs out, rather
         * than meeting the check anew and skipping to its next time. */
        if (first && has_rule && due_at) {
            struct store_sched_state pending = was;
            pending.next_due = served;
            return store_sched_put(e->st, k->name, &pending, em);
        }
        return AB_OK;
    }
    /* Most checks are not due at most ticks: writing their unchanged
     * state would cost a synced commit per check per tick. */
    if (!first && ss.first_seen == was.first_seen && ss.last_fire == was.last_fire &&
        ss.next_due == was.next_due)
        return AB_OK;
    return store_sched_put(e->st, k->name, &ss, em);
}
