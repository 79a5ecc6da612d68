/*
 * eng_report.c - the monthly report (alerting/@report-to, @report-at): on
 * the 1st of each month at report-at in the site's zone, one mail to each
 * person of report-to about the month before (eng_report_data.c has the
 * figures; templates monthly-report.*).
 *
 * Due like a check under the name "~report": the next fire time is kept in
 * the store and moved on in the same transaction that queues the mail, so
 * a month's report is queued exactly once, whatever restarts in between;
 * a daemon that was down on the 1st sends it at its first tick after, for
 * the month before the latest fire time (never one report per missed
 * month).  It goes through the outbox like every other mail.
 */
#include "engine/eng_int.h"

#include <stdio.h>
#include <string.h>

#include "common/ab_log.h"

/* "M H 1 * *" (report-at) or, with at NULL, midnight on the 1st. */
static enum ab_err monthly(const cfg *c, const char *at, sched **out, ab_errmsg *em)
{
    return eng_sched_at(c, at ? at : "00:00", "1", out, em);
}

enum ab_err eng_report_sched(const cfg *c, sched **out, ab_errmsg *em)
{
    *out = NULL;
    const struct cfg_alerting *a = &cfg_global(c)->alerting;
    return a->report_to.n ? monthly(c, a->report_at, out, em) : AB_OK;
}

enum ab_err eng_report_month(const cfg *c, ab_time fire, ab_time *from, ab_time *to,
                             ab_errmsg *em)
{
    sched *m = NULL;
    enum ab_err err = monthly(c, NULL, &m, em);
    if (err)
        return err;
    /* 33 days before a fire time on the 1st is in the month before last,
     * after its 1st (months have 28 to 31 days): the next midnight on a
     * 1st from there starts the month reported on, the one after ends it. */
    if (sched_next(m, fire - 33 * 86400, from) != AB_OK ||
        sched_next(m, *from, to) != AB_OK)
        err = ab_fail(em, AB_EINVAL, "monthly report: no month before %lld",
                      (long long)fire);
    sched_free(m);
    return err;
}

/* One report mail to rcpt, in the caller's transaction. */
static enum ab_err send_one(eng *e, const char *rcpt, json_t *data, const char *month_ref,
                            ab_time now, ab_errmsg *em)
{
    json_t *ctx = eng_ctx_base(e, rcpt, now);
    json_object_update(ctx, data);
    ab_buf subject, text, html;
    ab_buf_init(&subject, 4096);
    ab_buf_init(&text, 4 << 20);
    ab_buf_init(&html, 4 << 20);
    enum ab_err err;
    if (!(err = tpl_set_render(e->tpl, "monthly-report", "subject", NULL, NULL, ctx, &subject,
                               em)) &&
        !(err = tpl_set_render(e->tpl, "monthly-report", "txt", NULL, NULL, ctx, &text, em)) &&
        !(err = tpl_set_render(e->tpl, "monthly-report", "html", NULL, NULL, ctx, &html, em))) {
        struct mail_header hdrs[] = {{"X-Ackbeat-Notice", "monthly-report"},
                                     {"X-Ackbeat-Report", month_ref}};
        struct eng_email mail = {
            .rcpt = rcpt,
            .subject = ab_buf_str(&subject),
            .text = ab_buf_str(&text),
            .html = ab_buf_str(&html),
            .headers = hdrs,
            .nheaders = sizeof hdrs / sizeof hdrs[0],
            .kind = "monthly-report",
            .ref = month_ref,
        };
        err = eng_queue_email(e, &mail, now, em);
    }
    ab_buf_free(&subject);
    ab_buf_free(&text);
    ab_buf_free(&html);
    json_decref(ctx);
    return err;
}

/* Render and queue the report on [from, to) for everyone, and move the
 * bookkeeping on, all in one transaction. */
static enum ab_err send_all(eng *e, ab_time from, ab_time to, const struct store_sched_state *ss,
                            ab_time now, struct eng_tick_stats *stats, ab_errmsg *em)
{
    const struct cfg_addrs *to_list = &cfg_global(e->c)->alerting.report_to;
    json_t *data = json_object();
    enum ab_err err = eng_report_data(e, from, to, now, data, em);
    char ref[32];
    int64_t y;
    unsigned m, d;
    /* The month's name for the outbox, from its first day in the site's zone. */
    ab_civil_from_days((from + ab_zone_offset(cfg_global(e->c)->timezone, from, NULL, 0)) /
                           86400,
                       &y, &m, &d);
    snprintf(ref, sizeof ref, "%04lld-%02u", (long long)y, m);
    if (!err)
        err = store_begin(e->st, em);
    if (err) {
        json_decref(data);
        return err;
    }
    for (size_t i = 0; i < to_list->n && !err; i++) {
        if (cfg_channel_of(e->c, to_list->v[i]))
            continue; /* the report is an email (config refuses channels) */
        err = send_one(e, to_list->v[i], data, ref, now, em);
        if (!err && stats)
            stats->notices_queued++;
    }
    if (!err)
        err = store_sched_put(e->st, ENG_REPORT_BOOK, ss, em);
    if (err)
        store_rollback(e->st);
    else
        err = store_commit(e->st, em);
    json_decref(data);
    if (!err)
        ab_log(AB_LOG_INFO, "monthly report for %s queued for %zu recipient(s)", ref,
               to_list->n);
    return err;
}

enum ab_err eng_monthly_report(eng *e, ab_time now, struct eng_tick_stats *stats,
                               ab_errmsg *em)
{
    const struct cfg_alerting *a = &cfg_global(e->c)->alerting;
    if (!a->report_to.n)
        return AB_OK;
    sched *s = NULL;
    enum ab_err err = monthly(e->c, a->report_at, &s, em);
    if (err)
        return err;
    struct store_sched_state ss;
    ab_time next;
    err = store_sched_get(e->st, ENG_REPORT_BOOK, &ss, em);
    if (err == AB_ENOTFOUND) {
        /* First sight: the first report is for the month the 1st after
         * now ends, not one for a month ackbeat never watched. */
        ss.first_seen = now;
        ss.last_fire = AB_TIME_NONE;
        ss.next_due = sched_next(s, now - 1, &next) == AB_OK ? next : AB_TIME_NONE;
        err = store_sched_put(e->st, ENG_REPORT_BOOK, &ss, em);
        goto out;
    }
    if (err || ss.next_due == AB_TIME_NONE || now < ss.next_due)
        goto out;
    /* The latest fire time at or before now: a daemon down for months
     * reports the month before it, once. */
    ab_time fire = ss.next_due;
    while (sched_next(s, fire, &next) == AB_OK && next <= now)
        fire = next;
    ab_time from, to;
    if ((err = eng_report_month(e->c, fire, &from, &to, em)))
        goto out;
    ss.last_fire = now;
    ss.next_due = sched_next(s, fire, &next) == AB_OK ? next : AB_TIME_NONE;
    err = send_all(e, from, to, &ss, now, stats, em);
out:
    sched_free(s);
    return err;
}
