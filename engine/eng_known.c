/*
 * eng_known.c - since when the state knows a scheduled check.
 *
 * A check with a fire rule is first seen when a node first decides
 * whether it is due (eng_due.c): its fire times from then on are served,
 * none from before (a check added today does not fire for last month).
 * Heartbeats are the leader's work, though, and the leader may tick for
 * the first time long after the check was in every node's config: the
 * leader before it was killed and its lease had to run out, or the
 * daemon took seconds to start.  Meeting the check only then, it would
 * take a fire time in between for one before the check existed, and skip
 * the month's heartbeat.  So every node, leader or not, writes each such
 * check it finds without bookkeeping down as known, at its first tick
 * after a start (from the daemon's start) or a reload (from that tick).
 * An insert that keeps what is there: the first node to write it wins.
 * Ping checks are written down the same way: a check never heard from is
 * silent from its first sight on (eng_ping.c).
 */
#include "engine/eng_int.h"

#include "store/store_checkstate.h"

/* Checks whose first sight matters: those with a fire rule, whose fire
 * times go through eng_due (the heartbeats, the leader's; the checks
 * that are run, every node's), and the ping checks, whose silence counts
 * from it when they were never heard from (eng_ping.c). */
static int has_fire_rule(const struct cfg_check *k)
{
    return (k->kind == CFG_HEARTBEAT || eng_runs_as_check(k)) && k->schedule &&
           sched_rule_kind(k->schedule) != SCHED_RULE_NONE;
}

/* Write name down as known from `from` unless rows (the state's
 * bookkeeping) has it; s (may be NULL) gives its first due time at or
 * after from.  Opens the one transaction of all of them on the first. */
static enum ab_err add_known(eng *e, const struct store_sched_row *rows, size_t nrows,
                             const char *name, const sched *s, ab_time from, int *open,
                             ab_errmsg *em)
{
    if (store_sched_row_find(rows, nrows, name))
        return AB_OK;
    /* As at first sight (eng_due_known): an occurrence at from counts. */
    struct store_sched_state ss = {.first_seen = from, .last_fire = AB_TIME_NONE,
                                   .next_due = AB_TIME_NONE};
    ab_time n;
    if (s && sched_next(s, from - 1, &n) == AB_OK)
        ss.next_due = n;
    enum ab_err err = AB_OK;
    if (!*open && !(err = store_begin(e->st, em)))
        *open = 1;
    return err ? err : store_sched_add(e->st, name, &ss, em);
}

enum ab_err eng_sched_register(eng *e, ab_time from, ab_errmsg *em)
{
    struct store_sched_row *rows = NULL;
    size_t nrows = 0;
    enum ab_err err = store_sched_all(e->st, &rows, &nrows, em);
    int open = 0;
    for (size_t i = 0; i < cfg_check_count(e->c) && !err; i++) {
        const struct cfg_check *k = cfg_check_at(e->c, i);
        int rule = has_fire_rule(k);
        if (rule || k->kind == CFG_PING)
            err = add_known(e, rows, nrows, k->name, rule ? k->schedule : NULL, from, &open,
                            em);
    }
    /* The leader's own fire times, the same way: the daily digest and the
     * monthly report (eng_digest.c, eng_report.c). */
    if (!err && e->digest)
        err = add_known(e, rows, nrows, ENG_DIGEST_BOOK, e->digest, from, &open, em);
    sched *report = NULL;
    if (!err && !(err = eng_report_sched(e->c, &report, em)) && report)
        err = add_known(e, rows, nrows, ENG_REPORT_BOOK, report, from, &open, em);
    sched_free(report);
    /* One transaction for all: a first start with many checks. */
    if (open)
        err = err ? (store_rollback(e->st), err) : store_commit(e->st, em);
    store_sched_rows_free(rows, nrows);
    return err;
}
