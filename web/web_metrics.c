/*
 * web_metrics.c - /metrics in the Prometheus text exposition format (0.0.4),
 * by Prometheus' naming conventions: counters end in _total (check runs,
 * pings, inbox messages per class, notifications sent and failed per
 * channel), instants are _timestamp_seconds gauges (a check's last run,
 * the last successful inbox read), every family has HELP and TYPE, and
 * ackbeat_build_info{version=...} is 1.  Ages computed at the request's
 * "now" are kept beside the timestamps, so that a stuck daemon shows up as
 * a growing number even on a dashboard that does no arithmetic.
 *
 * Everything comes from the engine's live read model (web_live.c), its
 * totals read again only after a change, and the text is kept for the
 * second and the model's generation (web_cache.c): a scrape is a copy.
 */
#include "web/web_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ab_mem.h"

#define CT_PROM "text/plain; version=0.0.4; charset=utf-8"

/* A label value: backslash, double quote and newline escaped (NULL: ""). */
static enum ab_err put_label(ab_buf *b, const char *s)
{
    enum ab_err e = AB_OK;
    for (; s && *s && !e; s++) {
        if (*s == '\\')
            e = ab_buf_puts(b, "\\\\");
        else if (*s == '"')
            e = ab_buf_puts(b, "\\\"");
        else if (*s == '\n')
            e = ab_buf_puts(b, "\\n");
        else
            e = ab_buf_putc(b, *s);
    }
    return e;
}

/* # HELP and # TYPE of a family (type "gauge" or "counter"). */
static enum ab_err family(ab_buf *b, const char *name, const char *type, const char *help)
{
    return ab_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* The shortest of %.15g and %.17g that reads back as v: 0.009, not
 * 0.0089999999999999993. */
static enum ab_err value(ab_buf *b, double v)
{
    if (isnan(v))
        return ab_buf_puts(b, " NaN\n");
    char s[40];
    snprintf(s, sizeof s, "%.15g", v);
    if (strtod(s, NULL) != v)
        snprintf(s, sizeof s, "%.17g", v);
    return ab_buf_printf(b, " %s\n", s);
}

/* name{label="v"} value, or name value when label is NULL. */
static enum ab_err sample1(ab_buf *b, const char *name, const char *label,
                           const char *lv, double v)
{
    enum ab_err e = ab_buf_puts(b, name);
    if (!e && label) {
        e = ab_buf_printf(b, "{%s=\"", label);
        if (!e)
            e = put_label(b, lv);
        if (!e)
            e = ab_buf_puts(b, "\"}");
    }
    return e ? e : value(b, v);
}

/* name{l1="v1",l2="v2"} value */
static enum ab_err sample2(ab_buf *b, const char *name, const char *l1, const char *v1,
                           const char *l2, const char *v2, double v)
{
    enum ab_err e = ab_buf_printf(b, "%s{%s=\"", name, l1);
    if (!e)
        e = put_label(b, v1);
    if (!e)
        e = ab_buf_printf(b, "\",%s=\"", l2);
    if (!e)
        e = put_label(b, v2);
    if (!e)
        e = ab_buf_puts(b, "\"}");
    return e ? e : value(b, v);
}

static enum ab_err checks(const struct eng_metrics *m, ab_buf *b, ab_time now)
{
    /* Samples of one family must be together: one pass per family. */
    enum ab_err e = family(b, "ackbeat_check_status", "gauge",
                           "Status of each check: 0 Healthy, 1 Degraded, 2 Failing, "
                           "3 Offline, -1 no result yet.");
    for (size_t i = 0; i < m->nchecks && !e; i++)
        e = sample2(b, "ackbeat_check_status", "check", m->checks[i].k->name, "kind",
                    cfg_check_kind_name(m->checks[i].k->kind), m->checks[i].status);
    if (!e)
        e = family(b, "ackbeat_check_runs_total", "counter",
                   "Completed runs of each check.");
    for (size_t i = 0; i < m->nchecks && !e; i++)
        e = sample1(b, "ackbeat_check_runs_total", "check", m->checks[i].k->name,
                    (double)m->checks[i].runs_total);
    if (!e)
        e = family(b, "ackbeat_check_last_run_timestamp_seconds", "gauge",
                   "Start of the check's last complete run, in Unix time.");
    for (size_t i = 0; i < m->nchecks && !e; i++)
        if (m->checks[i].has_run)
            e = sample1(b, "ackbeat_check_last_run_timestamp_seconds", "check",
                        m->checks[i].k->name, (double)m->checks[i].last_run);
    if (!e)
        e = family(b, "ackbeat_check_last_run_age_seconds", "gauge",
                   "Seconds since the check's last complete run (NaN: never ran).");
    for (size_t i = 0; i < m->nchecks && !e; i++)
        e = sample1(b, "ackbeat_check_last_run_age_seconds", "check", m->checks[i].k->name,
                    m->checks[i].has_run ? (double)(now - m->checks[i].last_run) : NAN);
    if (!e)
        e = family(b, "ackbeat_check_execution_seconds", "gauge",
                   "Execution time of the check's last run.");
    for (size_t i = 0; i < m->nchecks && !e; i++)
        if (m->checks[i].has_run)
            e = sample1(b, "ackbeat_check_execution_seconds", "check", m->checks[i].k->name,
                        (double)m->checks[i].exec_ms / 1000.0);
    if (!e)
        e = family(b, "ackbeat_check_value", "gauge", "The value of the check's last run.");
    for (size_t i = 0; i < m->nchecks && !e; i++)
        if (m->checks[i].has_value)
            e = sample1(b, "ackbeat_check_value", "check", m->checks[i].k->name,
                        m->checks[i].value);
    return e;
}

static enum ab_err heartbeats(const struct eng_metrics *m, ab_buf *b)
{
    static const struct {
        const char *name, *help;
    } fam[] = {
        {"ackbeat_heartbeat_asked", "People asked in the heartbeat's open cycle."},
        {"ackbeat_heartbeat_confirmed", "People who confirmed the heartbeat's open cycle."},
        {"ackbeat_heartbeat_bounced", "People whose request in the open cycle bounced."},
        {"ackbeat_heartbeat_quorum", "Confirmations the open cycle needs."},
    };
    enum ab_err e = AB_OK;
    for (size_t f = 0; f < sizeof fam / sizeof fam[0] && !e; f++) {
        e = family(b, fam[f].name, "gauge", fam[f].help);
        for (size_t i = 0; i < m->ncycles && !e; i++) {
            const struct eng_cycle_metrics *c = &m->cycles[i];
            double v = f == 0 ? (double)c->asked
                       : f == 1 ? (double)c->confirmed
                       : f == 2 ? (double)c->bounced
                                : (double)c->quorum;
            e = sample1(b, fam[f].name, "check", c->k->name, v);
        }
    }
    return e;
}

static enum ab_err counters(const struct eng_metrics *m, ab_buf *b)
{
    const struct store_metric_counts *c = &m->counts;
    enum ab_err e = family(b, "ackbeat_pings_total", "counter",
                           "Pings received per ping check and kind (start, success, fail, "
                           "exit).");
    for (size_t i = 0; i < c->npings && !e; i++)
        e = sample2(b, "ackbeat_pings_total", "check", c->pings[i].name, "kind",
                    c->pings[i].sub ? c->pings[i].sub : "", (double)c->pings[i].n);
    if (!e)
        e = family(b, "ackbeat_inbox_messages_total", "counter",
                   "Messages read from the inbox, by how they were classified.");
    for (size_t i = 0; i < c->ninbox && !e; i++)
        e = sample1(b, "ackbeat_inbox_messages_total", "class", c->inbox[i].name,
                    (double)c->inbox[i].n);
    /* Every notification is an email today; the channel label keeps the
     * names right when another channel comes. */
    if (!e)
        e = family(b, "ackbeat_notifications_sent_total", "counter",
                   "Messages accepted by the mail server, per recipient and channel.");
    if (!e)
        e = sample1(b, "ackbeat_notifications_sent_total", "channel", "email",
                    (double)c->mail_sent);
    if (!e)
        e = family(b, "ackbeat_notifications_failed_total", "counter",
                   "Messages given up on for good, per recipient and channel.");
    if (!e)
        e = sample1(b, "ackbeat_notifications_failed_total", "channel", "email",
                    (double)c->mail_failed);
    return e;
}

static enum ab_err others(const struct eng_metrics *m, ab_buf *b, ab_time now)
{
    enum ab_err e = AB_OK;
    if (m->have_alerts) {
        e = family(b, "ackbeat_alerts_open", "gauge",
                   "Open alerts that are not dismissed, by priority (1 highest; 4 is 4 "
                   "and lower).");
        for (int p = 1; p <= 4 && !e; p++)
            e = ab_buf_printf(b, "ackbeat_alerts_open{priority=\"%d\"} %lld\n", p,
                              (long long)m->alerts.by_priority[p]);
        if (!e)
            e = family(b, "ackbeat_alerts_dismissed", "gauge",
                       "Open alerts that are dismissed or snoozed.");
        if (!e)
            e = ab_buf_printf(b, "ackbeat_alerts_dismissed %lld\n",
                              (long long)(m->alerts.open - m->alerts.active));
    }
    if (!e && m->have_outbox) {
        const struct store_outbox_counts *oc = &m->outbox;
        e = family(b, "ackbeat_outbox_messages", "gauge", "Messages in the outbox by state.");
        if (!e)
            e = ab_buf_printf(b,
                              "ackbeat_outbox_messages{status=\"queued\"} %lld\n"
                              "ackbeat_outbox_messages{status=\"sent\"} %lld\n"
                              "ackbeat_outbox_messages{status=\"failed\"} %lld\n",
                              (long long)oc->queued, (long long)oc->sent, (long long)oc->failed);
        if (!e)
            e = family(b, "ackbeat_outbox_oldest_queued_age_seconds", "gauge",
                       "Age of the oldest queued message (0: none queued).");
        if (!e)
            e = ab_buf_printf(b, "ackbeat_outbox_oldest_queued_age_seconds %lld\n",
                              (long long)(oc->queued && oc->oldest_queued != AB_TIME_NONE
                                              ? now - oc->oldest_queued
                                              : 0));
    }
    if (!e && m->have_inbox) {
        const struct store_webq_inbox *ib = &m->inbox;
        int never = ib->last_ok == AB_TIME_NONE;
        e = family(b, "ackbeat_inbox_last_read_timestamp_seconds", "gauge",
                   "When the inbox was last read successfully, in Unix time (NaN: never).");
        if (!e)
            e = sample1(b, "ackbeat_inbox_last_read_timestamp_seconds", NULL, NULL,
                        never ? NAN : (double)ib->last_ok);
        if (!e)
            e = family(b, "ackbeat_inbox_last_read_age_seconds", "gauge",
                       "Seconds since the inbox was last read successfully (NaN: never).");
        if (!e)
            e = sample1(b, "ackbeat_inbox_last_read_age_seconds", NULL, NULL,
                        never ? NAN : (double)(now - ib->last_ok));
        if (!e)
            e = family(b, "ackbeat_inbox_error", "gauge", "1 when the last inbox read failed.");
        if (!e)
            e = ab_buf_printf(b, "ackbeat_inbox_error %d\n", ib->last_error ? 1 : 0);
    }
    return e;
}

/* Completed runs of check in counts (sorted by name, as the store's ORDER
 * BY gives them in byte order): a binary search, since a linear one per
 * check is quadratic in the number of checks. */
static int64_t runs_of(const struct store_metric_counts *mc, const char *check)
{
    size_t lo = 0, hi = mc ? mc->nruns : 0;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(mc->runs[mid].name, check);
        if (c == 0)
            return mc->runs[mid].n;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

/* The live model as eng_metrics_read would give it (m's arrays are ours,
 * its counts borrowed from the model: free only the arrays). */
static enum ab_err from_live(web *w, ab_time now, struct eng_metrics *m)
{
    memset(m, 0, sizeof *m);
    const struct eng_live_view *v = web_live(w, now);
    const struct store_metric_counts *mc = eng_live_counts(w->live);
    if (!mc)
        return AB_ESTORE;
    m->counts = *mc;
    m->checks = ab_calloc(v->nchecks ? v->nchecks : 1, sizeof *m->checks);
    m->cycles = ab_calloc(v->nchecks ? v->nchecks : 1, sizeof *m->cycles);
    if (!m->checks || !m->cycles)
        return AB_ENOMEM;
    m->nchecks = v->nchecks;
    for (size_t i = 0; i < v->nchecks; i++) {
        const struct eng_live_check *x = &v->checks[i];
        struct eng_check_metrics *c = &m->checks[i];
        c->k = x->k;
        c->status = x->status;
        if (x->last) {
            c->has_run = 1;
            c->last_run = x->last->started;
            c->exec_ms = x->last->execution_ms;
            if (x->last->nresults && x->last->results[0].has_value) {
                c->has_value = 1;
                c->value = x->last->results[0].value;
            }
        }
        c->runs_total = runs_of(mc, x->k->name);
        if (x->open) {
            struct eng_cycle_metrics *cy = &m->cycles[m->ncycles++];
            cy->k = x->k;
            cy->asked = x->open->nrcpts;
            cy->confirmed = x->open->confirmed;
            cy->quorum = x->open->quorum;
            for (size_t r = 0; r < x->open->nrcpts; r++)
                if (x->open->rcpts[r].bounced != AB_TIME_NONE &&
                    x->open->rcpts[r].confirmed == AB_TIME_NONE)
                    cy->bounced++;
        }
    }
    m->have_alerts = 1;
    eng_live_alert_counts(v, now, &m->alerts);
    m->have_outbox = v->have_outbox;
    m->outbox = v->outbox;
    m->have_inbox = v->have_inbox;
    m->inbox = v->inbox; /* last_error borrowed from the model */
    return AB_OK;
}

static enum ab_err render(web *w, ab_buf *b, ab_time now)
{
    struct eng_metrics m;
    enum ab_err e = from_live(w, now, &m);
    if (!e)
        e = family(b, "ackbeat_build_info", "gauge", "The running ackbeat's version; always 1.");
    if (!e)
        e = sample1(b, "ackbeat_build_info", "version", AB_VERSION, 1);
    if (!e)
        e = checks(&m, b, now);
    if (!e)
        e = heartbeats(&m, b);
    if (!e)
        e = counters(&m, b);
    if (!e)
        e = others(&m, b, now);
    ab_free(m.checks);
    ab_free(m.cycles);
    return e;
}

enum ab_err web_metrics(web *w, struct web_response *rs, ab_time now)
{
    uint64_t gen = web_live(w, now)->gen;
    if (web_cache_answer(w, "metrics", gen, now, rs))
        return AB_OK;
    ab_buf b;
    ab_buf_init(&b, 16u << 20);
    enum ab_err e = render(w, &b, now);
    if (e) {
        ab_buf_free(&b);
        return e == AB_ENOMEM ? e : web_reply_text(rs, 500, "metrics failed\n");
    }
    size_t len = b.len;
    char *body = ab_buf_steal(&b);
    if (!body)
        body = ab_strdup("");
    enum ab_err r = web_reply_text(rs, 200, "");
    if (r) {
        ab_free(body);
        return r;
    }
    ab_free(rs->body);
    rs->body = body;
    rs->len = body ? len : 0;
    rs->content_type = CT_PROM;
    rs->no_store = 1;
    if (body)
        web_cache_keep(w, "metrics", gen, now, rs);
    return body ? AB_OK : AB_ENOMEM;
}
