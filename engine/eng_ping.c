/*
 * eng_ping.c - checks that are reported to rather than run: a dead man's
 * switch.  A job pings (HTTP, email or `ackbeat report`) when it starts
 * and when it finishes; the engine turns silence into Offline, priority 1
 * (seed 001: "the target machine has failed to report in").
 *
 * Like Zabbix's nodata(), silence only counts after a full period plus
 * grace of being able to hear: from the last report (or, never heard
 * from, when the check was added to the config) or the daemon's start,
 * whichever is later, and when the report fell due during a maintenance
 * window covering the check, from the window's end; so that a restart, a
 * new check or the end of a maintenance window does not page anyone for
 * a gap nobody was listening to or the job was told to be quiet in.
 * During the window silence is not judged at all.  An explicit failure
 * (a /fail ping, an exit code) is news, not silence, and counts at once.
 */
#include "engine/eng_int.h"

#include <stdio.h>
#include <string.h>

#include "common/ab_log.h"

/*
 * Since when silence counts, given the last time heard (or first seen)
 * and span, the silence allowed: from the later of that and the daemon's
 * start; and when the report fell due while a maintenance window covered
 * the check (the deadline inside the window, or at its very end), from
 * the window's end, again for as long as the new deadline falls inside a
 * window.  Only windows the deadline falls into count: a window that
 * ended well before the deadline took nothing from the job's time, and
 * counting every window would let a nightly window hide a daily job's
 * silence for ever.
 */
static ab_time listening_since(eng *e, const struct cfg_check *k, ab_time heard,
                               ab_time now, int64_t span)
{
    ab_time since = heard;
    if (e->started != AB_TIME_NONE && e->started > since)
        since = e->started;
    /* Each round moves since past a window's end: bounded, but a guard
     * all the same against a calendar of back-to-back one-second events. */
    for (int guard = 0; guard < 1000; guard++) {
        ab_time due = since + span;
        if (due >= now)
            break; /* not overdue (yet): nothing to forgive */
        ab_time end = cfg_maintenance_end(e->c, k, due);
        ab_time end1 = cfg_maintenance_end(e->c, k, due - 1);
        if (end1 != AB_TIME_NONE && (end == AB_TIME_NONE || end1 > end))
            end = end1;
        if (end == AB_TIME_NONE || end <= since)
            break;
        since = end;
    }
    return since;
}

/* ", counted from T" when silence counts from later than heard. */
static const char *counted_from(ab_time since, ab_time heard, char *buf, size_t len)
{
    char t[AB_ISO_LEN];
    if (since == heard)
        return "";
    snprintf(buf, len, ", counted from %s", ab_time_format(since, t, sizeof t));
    return buf;
}

enum { SAYS_NOTHING = 0, SAYS_REPORTED, SAYS_SILENT };

/* A ping check with schedule= and no period= expects its report at the
 * schedule's first fire time after heard (counted from the daemon's start
 * when that is later, so a restart pages nobody for a gap it did not
 * hear).  Returns 1 with *expect set for such a check, else 0. */
static int cron_expect(eng *e, const struct cfg_check *k, ab_time heard, ab_time *expect)
{
    if (!k->schedule || k->ping_period > 0)
        return 0;
    ab_time from = heard;
    if (e->started != AB_TIME_NONE && e->started > from)
        from = e->started;
    return sched_next(k->schedule, from, expect) == AB_OK;
}

/* The last report, in the job's own words when it sent some (`report
 * --message`, a ping's body): recorded, so shown. */
static void last_report(const struct store_ping_summary *ps, char *msg, size_t len)
{
    char t[AB_ISO_LEN];
    snprintf(msg, len, "last report %s via %s%s%s",
             ab_time_format(ps->last_finish, t, sizeof t), ps->via[0] ? ps->via : "?",
             ps->detail[0] ? ": " : "", ps->detail);
}

/* Started and not finished within grace: Failing (returns 1).  Running
 * within its grace is judged by the previous finish (returns 0). */
static int hung_start(eng *e, const struct cfg_check *k, ab_time now,
                      const struct store_ping_summary *ps, struct ab_result *r,
                      char *msg, size_t len)
{
    char t[AB_ISO_LEN], d[32], c[64];
    if (ps->last_start == AB_TIME_NONE ||
        (ps->last_finish != AB_TIME_NONE && ps->last_start <= ps->last_finish))
        return 0;
    ab_time since = listening_since(e, k, ps->last_start, now, k->ping_grace);
    if (now - since <= k->ping_grace)
        return 0;
    r->status = AB_FAILING;
    snprintf(msg, len, "started at %s but did not finish within %s%s",
             ab_time_format(ps->last_start, t, sizeof t),
             ab_duration_format(k->ping_grace, d, sizeof d),
             counted_from(since, ps->last_start, c, sizeof c));
    return 1;
}

/* The verdict of the last finish: a failure it reported, or Healthy
 * until the next report is late. */
static int finished_status(eng *e, const struct cfg_check *k, ab_time now,
                           const struct store_ping_summary *ps, struct ab_result *r,
                           char *msg, size_t len)
{
    char t[AB_ISO_LEN], d[32], c[64];
    int64_t period = k->ping_period > 0 ? k->ping_period : cfg_global(e->c)->tick;
    if (!ps->finish_ok) {
        r->status = AB_FAILING;
        if (ps->exit_code > 0)
            snprintf(msg, len, "reported exit code %d at %s%s%s", ps->exit_code,
                     ab_time_format(ps->last_finish, t, sizeof t), ps->detail[0] ? ": " : "",
                     ps->detail);
        else
            snprintf(msg, len, "reported failure at %s%s%s",
                     ab_time_format(ps->last_finish, t, sizeof t), ps->detail[0] ? ": " : "",
                     ps->detail);
        return SAYS_REPORTED;
    }
    /* On a cron schedule (issue 18), as Healthchecks' cron checks: the
     * report is expected at the first fire time after the last one, and
     * late once that plus grace has passed. */
    ab_time expect;
    if (cron_expect(e, k, ps->last_finish, &expect)) {
        if (now <= expect + k->ping_grace) {
            r->status = AB_HEALTHY;
            last_report(ps, msg, len);
            return SAYS_REPORTED;
        }
        char due[AB_HUMAN_LEN];
        r->status = AB_OFFLINE;
        snprintf(msg, len, "no report since %s (expected at %s by its schedule, grace %s)",
                 ab_time_format(ps->last_finish, t, sizeof t),
                 ab_time_human(expect, k->timezone ? k->timezone : "UTC", due, sizeof due),
                 ab_duration_format(k->ping_grace, d, sizeof d));
        return SAYS_SILENT;
    }
    ab_time since = listening_since(e, k, ps->last_finish, now, period + k->ping_grace);
    if (now > since + period + k->ping_grace) {
        r->status = AB_OFFLINE;
        snprintf(msg, len, "no report since %s (expected every %s%s)",
                 ab_time_format(ps->last_finish, t, sizeof t),
                 ab_duration_format(period, d, sizeof d),
                 counted_from(since, ps->last_finish, c, sizeof c));
        return SAYS_SILENT;
    }
    r->status = AB_HEALTHY;
    last_report(ps, msg, len);
    return SAYS_REPORTED;
}

/* Never heard from: only after a full period of listening. */
static int never_status(eng *e, const struct cfg_check *k, ab_time now,
                        const struct store_ping_summary *ps, struct ab_result *r, char *msg,
                        size_t len)
{
    char d[32], c[64];
    int64_t period = k->ping_period > 0 ? k->ping_period : cfg_global(e->c)->tick;
    ab_time seen = ps->first_seen != AB_TIME_NONE ? ps->first_seen : now;
    ab_time expect;
    if (cron_expect(e, k, seen, &expect)) {
        if (now <= expect + k->ping_grace)
            return SAYS_NOTHING;
        char due[AB_HUMAN_LEN];
        r->status = AB_OFFLINE;
        snprintf(msg, len, "never reported (expected at %s by its schedule, grace %s)",
                 ab_time_human(expect, k->timezone ? k->timezone : "UTC", due, sizeof due),
                 ab_duration_format(k->ping_grace, d, sizeof d));
        return SAYS_SILENT;
    }
    ab_time since = listening_since(e, k, seen, now, period + k->ping_grace);
    if (now > since + period + k->ping_grace) {
        r->status = AB_OFFLINE;
        snprintf(msg, len, "never reported (expected every %s%s)",
                 ab_duration_format(period, d, sizeof d), counted_from(since, seen, c, sizeof c));
        return SAYS_SILENT;
    }
    return SAYS_NOTHING;
}

/* The status the pings say at now: SAYS_NOTHING when there is nothing to
 * say yet, SAYS_SILENT when the verdict is drawn from missing pings. */
static int ping_status(eng *e, const struct cfg_check *k, ab_time now,
                       const struct store_ping_summary *ps, struct ab_result *r,
                       char *msg, size_t len)
{
    r->item = "";
    r->message = msg;
    /* A run that hung while others went on (run ids, eng_pinghung.c). */
    if (ps->has_rid_start && eng_pingrun_hung(e, k, now, ps->last_finish, r, msg, len))
        return SAYS_SILENT;
    if (hung_start(e, k, now, ps, r, msg, len))
        return SAYS_SILENT;
    if (ps->last_finish != AB_TIME_NONE)
        return finished_status(e, k, now, ps, r, msg, len);
    return never_status(e, k, now, ps, r, msg, len);
}

/* Is the check's debounced state, as ps read it, settled on status
 * said: one more such verdict would only lengthen a streak already past
 * confirm= or recover=, and so change nothing an alert depends on? */
static int settled_on(const struct cfg_check *k, const struct store_ping_summary *ps, int said)
{
    return said >= 0 && ps->state_status == said &&
           (said == AB_HEALTHY ? ps->good_streak >= k->recover : ps->bad_streak >= k->confirm);
}

/* Record a run when the pings' verdict changed or a new report came in;
 * *calm (when not NULL): 1 when the check is settled on what the pings
 * say and this verdict left its state alone (eng_pingbatch.c); 0 when it
 * changed it or there was nothing to say.  The statements here are few
 * on purpose (one read of everything in store_ping_summary): each is a
 * round trip to PostgreSQL for every ping judged. */
static enum ab_err evaluate_ping(eng *e, const struct cfg_check *k, ab_time now,
                                 struct eng_tick_stats *stats, int *calm, int *recorded,
                                 ab_errmsg *em)
{
    if (calm)
        *calm = 0;
    if (recorded)
        *recorded = 0;
    struct store_ping_summary ps;
    enum ab_err err = store_ping_summary(e->st, k->name, &ps, em);
    if (err)
        return err;
    if (ps.first_seen == AB_TIME_NONE) {
        /* First sight (when no node wrote it at its start, eng_known.c):
         * silence counts from here. */
        struct store_sched_state ss = {.first_seen = now,
                                       .last_fire = AB_TIME_NONE,
                                       .next_due = AB_TIME_NONE};
        if ((err = store_sched_add(e->st, k->name, &ss, em)))
            return err;
        ps.first_seen = now;
    }
    struct ab_result r = {0};
    char msg[512];
    int says = ping_status(e, k, now, &ps, &r, msg, sizeof msg);
    if (says == SAYS_NOTHING)
        return AB_OK;
    /* Until a run is recorded below, the state ps read is the state. */
    if (calm)
        *calm = settled_on(k, &ps, (int)r.status);
    if (says == SAYS_SILENT && cfg_in_maintenance(e->c, k, now, NULL, 0))
        return AB_OK; /* silence during maintenance is expected */

    int changed = ps.run_started == AB_TIME_NONE || ps.run_status < 0 ||
                  ps.run_status != (int)r.status ||
                  (ps.last_finish != AB_TIME_NONE && ps.run_started < ps.last_finish);
    if (!changed)
        return AB_OK;
    int64_t rid;
    if ((err = store_run_begin(e->st, k->name, k->type, "report", now, &rid, em)) ||
        (err = store_run_complete(e->st, rid, 0, 0, &r, 1, NULL, em)))
        return err;
    if (recorded)
        *recorded = 1;
    if ((err = eng_evaluate(e, k, &r, 1, rid, now, stats, em)) || !calm)
        return err;
    /* The verdict moved the state: read what it is now (a statement more
     * only when a run was recorded, at most once a second for a check
     * pinged in a burst). */
    struct store_check_state *cs = NULL;
    *calm = 0;
    if (store_check_state_get(e->st, k->name, "", &cs, NULL) == AB_OK) {
        ps.state_status = (int)cs->status;
        ps.bad_streak = cs->bad_streak;
        ps.good_streak = cs->good_streak;
        *calm = settled_on(k, &ps, (int)r.status);
    }
    store_check_state_free(cs);
    return AB_OK;
}

enum ab_err eng_pings_tick(eng *e, ab_time now, struct eng_tick_stats *stats,
                           ab_errmsg *em)
{
    enum ab_err err = AB_OK;
    for (size_t i = 0; i < cfg_check_count(e->c) && !err; i++) {
        const struct cfg_check *k = cfg_check_at(e->c, i);
        if (k->kind == CFG_PING && !eng_paused(e->st, k->name, now, NULL))
            err = evaluate_ping(e, k, now, stats, NULL, NULL, em);
    }
    return err;
}

enum ab_err eng_ping_target(eng *e, const char *check, enum store_ping_kind kind,
                            int exit_code, const struct cfg_check **kout, ab_errmsg *em)
{
    const struct cfg_check *k = cfg_check_find(e->c, check);
    if (!k)
        return ab_fail(em, AB_ENOTFOUND, "no check named \"%s\"", check);
    if (k->kind != CFG_PING)
        return ab_fail(em, AB_EINVAL, "check %s is a %s check, not a ping check",
                       check, cfg_check_kind_name(k->kind));
    if (kind == STORE_PING_EXIT && (exit_code < 0 || exit_code > 255))
        return ab_fail(em, AB_ERANGE, "exit code %d is not 0-255", exit_code);
    *kout = k;
    return AB_OK;
}

enum ab_err eng_ping_store(eng *e, const char *check, enum store_ping_kind kind,
                           int exit_code, const char *via, const char *detail,
                           ab_time now, const struct cfg_check **kout, ab_errmsg *em)
{
    const struct cfg_check *k;
    enum ab_err err = eng_ping_target(e, check, kind, exit_code, &k, em);
    if (!err)
        err = store_ping_add(e->st, k->name, now, kind, exit_code, via, detail, em);
    if (err)
        return err;
    ab_log(AB_LOG_INFO, "ping %s: %s via %s", k->name, store_ping_kind_name(kind),
           via ? via : "http");
    *kout = k;
    return AB_OK;
}

enum ab_err eng_ping(eng *e, const char *check, enum store_ping_kind kind,
                     int exit_code, const char *via, const char *detail,
                     ab_time now, ab_errmsg *em)
{
    const struct cfg_check *k;
    enum ab_err err = eng_ping_store(e, check, kind, exit_code, via, detail, now, &k, em);
    return err ? err : eng_ping_judge(e, k, now, NULL, NULL, em);
}

enum ab_err eng_ping_judge(eng *e, const struct cfg_check *k, ab_time now, int *calm,
                           int *recorded_out, ab_errmsg *em)
{
    struct eng_tick_stats stats = {0};
    int recorded;
    uint64_t made = e->notices_made;
    enum ab_err err = evaluate_ping(e, k, now, &stats, calm, &recorded, em);
    if (recorded_out)
        *recorded_out = recorded;
    /* Only the notices this verdict made are news to send now; those
     * that were waiting (quiet hours, a retry) are the tick's.  Most
     * verdicts make none, and asking costs a statement. */
    if (err || e->notices_made == made)
        return err;
    return eng_flush_notices(e, now, &stats, em);
}
