/*
 * metrics.c - /metrics in the Prometheus text exposition format (0.0.4):
 * status per check, age of the last run, execution time and value, open
 * alerts by priority, outbox depth and age, and the age of the last
 * inbox read.  Ages are computed at the request's "now" so that a stuck
 * daemon shows up as a growing number, not a stale timestamp.
 */
#include "web/web_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/ab_mem.h"

#define CT_PROM "text/plain; version=0.0.4; charset=utf-8"

/* A label value: backslash, double quote and newline escaped. */
static enum ab_err put_label(ab_buf *b, const char *s)
{
    enum ab_err e = AB_OK;
    for (; *s && !e; s++) {
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

static enum ab_err head(ab_buf *b, const char *name, const char *help)
{
    return ab_buf_printf(b, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

/* name{check="..."} value */
static enum ab_err sample(ab_buf *b, const char *name, const char *check, double v)
{
    enum ab_err e = ab_buf_printf(b, "%s{check=\"", name);
    if (!e)
        e = put_label(b, check);
    if (!e)
        e = isnan(v) ? ab_buf_puts(b, "\"} NaN\n") : ab_buf_printf(b, "\"} %.17g\n", v);
    return e;
}

struct row {
    int status;
    int has_run;
    ab_time last;
    int64_t exec_ms;
    int has_value;
    double value;
};

static enum ab_err checks(web *w, ab_buf *b, ab_time now)
{
    size_t n = cfg_check_count(w->c);
    struct row *r = ab_calloc(n ? n : 1, sizeof *r);
    if (!r)
        return AB_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const struct cfg_check *k = cfg_check_at(w->c, i);
        r[i].status = store_check_worst(w->st, k->name);
        struct store_run *run = NULL;
        if (store_run_last(w->st, k->name, &run, NULL) == AB_OK) {
            r[i].has_run = 1;
            r[i].last = run->started;
            r[i].exec_ms = run->execution_ms;
            if (run->nresults && run->results[0].has_value) {
                r[i].has_value = 1;
                r[i].value = run->results[0].value;
            }
            store_run_free(run);
        }
    }
    /* Samples of one metric must be together: one pass per metric. */
    enum ab_err e = head(b, "ackbeat_check_status",
                         "Status of each check: 0 Healthy, 1 Degraded, 2 Failing, "
                         "3 Offline, -1 no result yet.");
    for (size_t i = 0; i < n && !e; i++) {
        const struct cfg_check *k = cfg_check_at(w->c, i);
        e = ab_buf_puts(b, "ackbeat_check_status{check=\"");
        if (!e)
            e = put_label(b, k->name);
        if (!e)
            e = ab_buf_printf(b, "\",kind=\"%s\"} %d\n", cfg_check_kind_name(k->kind),
                              r[i].status);
    }
    if (!e)
        e = head(b, "ackbeat_check_last_run_age_seconds",
                 "Seconds since the check's last complete run (NaN: never ran).");
    for (size_t i = 0; i < n && !e; i++)
        e = sample(b, "ackbeat_check_last_run_age_seconds", cfg_check_at(w->c, i)->name,
                   r[i].has_run ? (double)(now - r[i].last) : NAN);
    if (!e)
        e = head(b, "ackbeat_check_execution_seconds",
                 "Execution time of the check's last run.");
    for (size_t i = 0; i < n && !e; i++)
        if (r[i].has_run)
            e = sample(b, "ackbeat_check_execution_seconds", cfg_check_at(w->c, i)->name,
                       (double)r[i].exec_ms / 1000.0);
    if (!e)
        e = head(b, "ackbeat_check_value", "The value of the check's last run.");
    for (size_t i = 0; i < n && !e; i++)
        if (r[i].has_value)
            e = sample(b, "ackbeat_check_value", cfg_check_at(w->c, i)->name, r[i].value);
    ab_free(r);
    return e;
}

static enum ab_err others(web *w, ab_buf *b, ab_time now)
{
    enum ab_err e = AB_OK;
    struct store_webq_alert_counts ac;
    if (store_webq_alert_counts(w->st, now, &ac, NULL) == AB_OK) {
        e = head(b, "ackbeat_alerts_open",
                 "Open alerts that are not dismissed, by priority (1 highest; 4 is 4 and lower).");
        for (int p = 1; p <= 4 && !e; p++)
            e = ab_buf_printf(b, "ackbeat_alerts_open{priority=\"%d\"} %lld\n", p,
                              (long long)ac.by_priority[p]);
        if (!e)
            e = head(b, "ackbeat_alerts_dismissed", "Open alerts that are dismissed or snoozed.");
        if (!e)
            e = ab_buf_printf(b, "ackbeat_alerts_dismissed %lld\n",
                              (long long)(ac.open - ac.active));
    }
    struct store_outbox_counts oc;
    if (!e && store_outbox_counts(w->st, &oc, NULL) == AB_OK) {
        e = head(b, "ackbeat_outbox_messages", "Messages in the outbox by state.");
        if (!e)
            e = ab_buf_printf(b,
                              "ackbeat_outbox_messages{status=\"queued\"} %lld\n"
                              "ackbeat_outbox_messages{status=\"sent\"} %lld\n"
                              "ackbeat_outbox_messages{status=\"failed\"} %lld\n",
                              (long long)oc.queued, (long long)oc.sent, (long long)oc.failed);
        if (!e)
            e = head(b, "ackbeat_outbox_oldest_queued_age_seconds",
                     "Age of the oldest queued message (0: none queued).");
        if (!e)
            e = ab_buf_printf(b, "ackbeat_outbox_oldest_queued_age_seconds %lld\n",
                              (long long)(oc.queued && oc.oldest_queued != AB_TIME_NONE
                                              ? now - oc.oldest_queued
                                              : 0));
    }
    struct store_webq_inbox ib;
    if (!e && cfg_global(w->c)->inbox.enabled && store_webq_inbox(w->st, &ib, NULL) == AB_OK) {
        e = head(b, "ackbeat_inbox_last_read_age_seconds",
                 "Seconds since the inbox was last read successfully (NaN: never).");
        if (!e && ib.last_ok == AB_TIME_NONE)
            e = ab_buf_puts(b, "ackbeat_inbox_last_read_age_seconds NaN\n");
        else if (!e)
            e = ab_buf_printf(b, "ackbeat_inbox_last_read_age_seconds %lld\n",
                              (long long)(now - ib.last_ok));
        if (!e)
            e = head(b, "ackbeat_inbox_error", "1 when the last inbox read failed.");
        if (!e)
            e = ab_buf_printf(b, "ackbeat_inbox_error %d\n", ib.last_error ? 1 : 0);
        ab_free(ib.last_error);
    }
    return e;
}

enum ab_err web_metrics(web *w, struct web_response *rs, ab_time now)
{
    ab_buf b;
    ab_buf_init(&b, 16u << 20);
    enum ab_err e = checks(w, &b, now);
    if (!e)
        e = others(w, &b, now);
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
    return body ? AB_OK : AB_ENOMEM;
}
