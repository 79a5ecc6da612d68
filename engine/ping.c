/*
 * ping.c - checks that are reported to rather than run: a dead man's
 * switch.  A job pings (HTTP, email or `ackbeat report`) when it starts
 * and when it finishes; the engine turns silence into Offline, priority 1
 * (seed 001: "the target machine has failed to report in").
 *
 * Like Zabbix's nodata(), silence only counts after a full period plus
 * grace of being able to hear: from when the check was added to the
 * config or the daemon started, whichever is later, so that a restart or
 * a new check does not page anyone.
 */
#include "engine/eng_int.h"

#include <stdio.h>
#include <string.h>

#include "common/ab_log.h"

const struct cfg_check *eng_ping_find(eng *e, const char *token)
{
    for (size_t i = 0; i < cfg_check_count(e->c); i++) {
        const struct cfg_check *k = cfg_check_at(e->c, i);
        if (k->kind == CFG_PING && k->ping_token && strcmp(k->ping_token, token) == 0)
            return k;
    }
    return NULL;
}

/* The status the pings say at now; 0 when there is nothing to say yet. */
static int ping_status(eng *e, const struct cfg_check *k, ab_time now,
                       const struct store_ping_summary *ps, struct store_result *r,
                       char *msg, size_t len)
{
    char t[AB_ISO_LEN], d[32];
    int64_t period = k->ping_period > 0 ? k->ping_period : cfg_global(e->c)->tick;
    r->item = "";
    r->message = msg;
    if (ps->last_start != AB_TIME_NONE &&
        (ps->last_finish == AB_TIME_NONE || ps->last_start > ps->last_finish)) {
        if (now - ps->last_start > k->ping_grace) {
            r->status = STORE_FAILING;
            snprintf(msg, len, "started at %s but did not finish within %s",
                     ab_time_format(ps->last_start, t, sizeof t),
                     ab_duration_format(k->ping_grace, d, sizeof d));
            return 1;
        }
        /* Running, within its grace: judge by the previous finish. */
    }
    if (ps->last_finish != AB_TIME_NONE) {
        if (!ps->finish_ok) {
            r->status = STORE_FAILING;
            if (ps->exit_code > 0)
                snprintf(msg, len, "reported exit code %d at %s", ps->exit_code,
                         ab_time_format(ps->last_finish, t, sizeof t));
            else
                snprintf(msg, len, "reported failure at %s",
                         ab_time_format(ps->last_finish, t, sizeof t));
            return 1;
        }
        if (now > ps->last_finish + period + k->ping_grace) {
            r->status = STORE_OFFLINE;
            snprintf(msg, len, "no report since %s (expected every %s)",
                     ab_time_format(ps->last_finish, t, sizeof t),
                     ab_duration_format(period, d, sizeof d));
            return 1;
        }
        r->status = STORE_HEALTHY;
        snprintf(msg, len, "last report %s via %s",
                 ab_time_format(ps->last_finish, t, sizeof t),
                 ps->via[0] ? ps->via : "?");
        return 1;
    }
    /* Never heard from: only after a full period of listening. */
    struct store_sched_state ss;
    ab_time since = now;
    if (store_sched_get(e->st, k->name, &ss, NULL) == AB_OK)
        since = ss.first_seen;
    if (e->started != AB_TIME_NONE && e->started > since)
        since = e->started;
    if (now > since + period + k->ping_grace) {
        r->status = STORE_OFFLINE;
        snprintf(msg, len, "never reported (expected every %s)",
                 ab_duration_format(period, d, sizeof d));
        return 1;
    }
    return 0;
}

/* Record a run when the pings' verdict changed or a new report came in. */
static enum ab_err evaluate_ping(eng *e, const struct cfg_check *k, ab_time now,
                                 struct eng_tick_stats *stats, ab_errmsg *em)
{
    struct store_sched_state ss;
    enum ab_err err = store_sched_get(e->st, k->name, &ss, em);
    if (err == AB_ENOTFOUND) {
        ss.first_seen = now;
        ss.last_fire = AB_TIME_NONE;
        ss.next_due = AB_TIME_NONE;
        if ((err = store_sched_put(e->st, k->name, &ss, em)))
            return err;
    } else if (err) {
        return err;
    }
    struct store_ping_summary ps;
    if ((err = store_ping_summary(e->st, k->name, &ps, em)))
        return err;
    struct store_result r = {0};
    char msg[256];
    if (!ping_status(e, k, now, &ps, &r, msg, sizeof msg))
        return AB_OK;
    if (cfg_in_maintenance(e->c, k, now, NULL, 0) && r.status == STORE_OFFLINE)
        return AB_OK; /* silence during maintenance is expected */

    struct store_run *last = NULL;
    err = store_run_last(e->st, k->name, &last, em);
    if (err && err != AB_ENOTFOUND)
        return err;
    int changed = !last || last->nresults == 0 || last->results[0].status != r.status ||
                  (ps.last_finish != AB_TIME_NONE && last->started < ps.last_finish);
    store_run_free(last);
    if (!changed)
        return AB_OK;
    int64_t rid;
    if ((err = store_run_begin(e->st, k->name, k->type, "report", now, &rid, em)) ||
        (err = store_run_complete(e->st, rid, 0, 0, &r, 1, NULL, em)))
        return err;
    return eng_evaluate(e, k, &r, 1, rid, now, stats, em);
}

enum ab_err eng_pings_tick(eng *e, ab_time now, struct eng_tick_stats *stats,
                           ab_errmsg *em)
{
    enum ab_err err = AB_OK;
    for (size_t i = 0; i < cfg_check_count(e->c) && !err; i++) {
        const struct cfg_check *k = cfg_check_at(e->c, i);
        if (k->kind == CFG_PING)
            err = evaluate_ping(e, k, now, stats, em);
    }
    return err;
}

enum ab_err eng_ping(eng *e, const char *check, enum store_ping_kind kind,
                     int exit_code, const char *via, const char *detail,
                     ab_time now, ab_errmsg *em)
{
    const struct cfg_check *k = cfg_check_find(e->c, check);
    if (!k)
        return ab_fail(em, AB_ENOTFOUND, "no check named \"%s\"", check);
    if (k->kind != CFG_PING)
        return ab_fail(em, AB_EINVAL, "check %s is a %s check, not a ping check",
                       check, cfg_check_kind_name(k->kind));
    if (kind == STORE_PING_EXIT && (exit_code < 0 || exit_code > 255))
        return ab_fail(em, AB_ERANGE, "exit code %d is not 0-255", exit_code);
    enum ab_err err = store_ping_add(e->st, k->name, now, kind, exit_code, via,
                                     detail, em);
    if (err)
        return err;
    ab_log(AB_LOG_INFO, "ping %s: %s%s via %s", k->name, store_ping_kind_name(kind),
           kind == STORE_PING_EXIT ? "" : "", via ? via : "http");
    struct eng_tick_stats stats = {0};
    if ((err = evaluate_ping(e, k, now, &stats, em)))
        return err;
    return eng_flush_notices(e, now, &stats, em);
}
