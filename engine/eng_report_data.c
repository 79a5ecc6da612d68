/*
 * eng_report_data.c - the figures of the monthly report for one month, as
 * the template data its mail is rendered from: each check's uptime and
 * outages, each heartbeat's confirmation rate per person asked, and who
 * bounced and why.
 *
 * An outage is an alert open at some time in the month (Degraded, Failing
 * or Offline); a check's downtime is the union of its alerts' open time
 * within the month (two items down at once are one hour down, not two),
 * and its uptime is the rest of the month.  Times and lengths are words
 * in the site's zone ("Tuesday 3 November 2026, 04:00 CET", "3 hours"):
 * the month is the site's month.  eng_report.c decides when and to whom.
 */
#include "engine/eng_int.h"

#include <stdio.h>
#include <string.h>

#include "store/store_report.h"

static void set_str(json_t *o, const char *k, const char *v)
{
    if (v)
        json_object_set_new(o, k, json_string(v));
}

static void set_human(json_t *o, const char *k, ab_time t, const char *zone)
{
    char buf[AB_HUMAN_LEN];
    set_str(o, k, ab_time_human(t, zone, buf, sizeof buf));
}

static void set_length(json_t *o, const char *k, int64_t secs)
{
    char buf[AB_HUMAN_LEN];
    set_str(o, k, ab_duration_human(secs < 0 ? 0 : secs, buf, sizeof buf));
}

/* "99.86%": never "100%" when there was downtime, never "0%" when some
 * of the month was up, so that rounding cannot hide an outage. */
static void uptime_words(int64_t down, int64_t month, char *buf, size_t len)
{
    if (down <= 0 || month <= 0) {
        snprintf(buf, len, "100%%");
        return;
    }
    double pct = 100.0 * (double)(month - down) / (double)month;
    if (pct > 99.99)
        pct = 99.99;
    if (down < month && pct < 0.01)
        pct = 0.01;
    if (down >= month)
        snprintf(buf, len, "0%%");
    else
        snprintf(buf, len, "%.2f%%", pct);
}

/* "3 of 4 (75%)", or "none asked". */
static void rate_words(int64_t yes, int64_t of, char *buf, size_t len)
{
    if (of <= 0)
        snprintf(buf, len, "none asked");
    else
        snprintf(buf, len, "%lld of %lld (%lld%%)", (long long)yes, (long long)of,
                 (long long)((yes * 100 + of / 2) / of));
}

static const char *display_of(eng *e, const char *email)
{
    const struct cfg_person *p = cfg_person_by_email(e->c, email);
    return p ? (p->display ? p->display : p->name) : NULL;
}

/* One check's outages v[0..n) (all its own, by opening) as a "checks"
 * entry: uptime, downtime, count, longest and the list. */
static json_t *check_entry(const struct cfg_check *k, const struct store_outage *v, size_t n,
                           ab_time from, ab_time to, ab_time now, const char *zone)
{
    json_t *o = json_object(), *list = json_array();
    set_str(o, "check", k->name);
    set_str(o, "label", k->label ? k->label : k->name);
    set_str(o, "kind", cfg_check_kind_name(k->kind));
    int64_t down = 0, longest = 0;
    ab_time cur_start = AB_TIME_NONE, cur_end = AB_TIME_NONE;
    for (size_t i = 0; i < n; i++) {
        ab_time end = v[i].resolved != AB_TIME_NONE ? v[i].resolved : now;
        ab_time s = v[i].opened < from ? from : v[i].opened;
        ab_time t = end > to ? to : end;
        /* The union within the month: overlapping items count once. */
        if (cur_start != AB_TIME_NONE && s <= cur_end) {
            if (t > cur_end)
                cur_end = t;
        } else {
            if (cur_start != AB_TIME_NONE)
                down += cur_end - cur_start;
            cur_start = s;
            cur_end = t;
        }
        if (end - v[i].opened > longest)
            longest = end - v[i].opened;
        json_t *one = json_object();
        set_str(one, "status", v[i].status);
        if (v[i].item[0])
            set_str(one, "item", v[i].item);
        set_human(one, "opened", v[i].opened, zone);
        set_length(one, "length", end - v[i].opened);
        if (v[i].resolved == AB_TIME_NONE || v[i].resolved > to)
            json_object_set_new(one, "ongoing", json_true());
        json_array_append_new(list, one);
    }
    if (cur_start != AB_TIME_NONE && cur_end > cur_start)
        down += cur_end - cur_start;
    char buf[64];
    uptime_words(down, to - from, buf, sizeof buf);
    set_str(o, "uptime", buf);
    set_length(o, "downtime", down);
    json_object_set_new(o, "outages", json_integer((json_int_t)n));
    set_str(o, "outages_word", n == 1 ? "outage" : "outages");
    if (n) {
        set_length(o, "longest", longest);
        json_object_set_new(o, "had_outages", json_true());
    }
    json_object_set_new(o, "list", list);
    return o;
}

/* "checks": every configured check, in config order. */
static enum ab_err add_checks(eng *e, json_t *ctx, ab_time from, ab_time to, ab_time now,
                              ab_errmsg *em)
{
    struct store_outage *v = NULL;
    size_t n = 0;
    enum ab_err err = store_report_outages(e->st, from, to, &v, &n, em);
    if (err)
        return err;
    const char *zone = cfg_global(e->c)->timezone;
    json_t *checks = json_array();
    size_t total = 0;
    for (size_t i = 0; i < cfg_check_count(e->c); i++) {
        const struct cfg_check *k = cfg_check_at(e->c, i);
        size_t first = 0;
        while (first < n && strcmp(v[first].check, k->name))
            first++;
        size_t cnt = 0;
        while (first + cnt < n && !strcmp(v[first + cnt].check, k->name))
            cnt++;
        total += cnt;
        json_array_append_new(checks, check_entry(k, v + first, cnt, from, to, now, zone));
    }
    json_object_set_new(ctx, "checks", checks);
    json_object_set_new(ctx, "outages", json_integer((json_int_t)total));
    set_str(ctx, "outages_word", total == 1 ? "outage" : "outages");
    if (!total)
        json_object_set_new(ctx, "all_up", json_true());
    store_outages_free(v, n);
    return AB_OK;
}

/* "heartbeats": each heartbeat check asked in the month, with its people. */
static enum ab_err add_rates(eng *e, json_t *ctx, ab_time from, ab_time to, ab_errmsg *em)
{
    struct store_answer_rate *v = NULL;
    size_t n = 0;
    enum ab_err err = store_report_answer_rates(e->st, from, to, &v, &n, em);
    if (err)
        return err;
    json_t *hbs = json_array(), *cur = NULL, *people = NULL;
    const char *cur_check = NULL;
    char buf[64];
    for (size_t i = 0; i < n; i++) {
        const struct cfg_check *k = cfg_check_find(e->c, v[i].check);
        if (!k)
            continue; /* a heartbeat no longer configured */
        if (!cur_check || strcmp(cur_check, v[i].check)) {
            cur = json_object();
            people = json_array();
            set_str(cur, "check", k->name);
            set_str(cur, "label", k->label ? k->label : k->name);
            json_object_set_new(cur, "people", people);
            json_array_append_new(hbs, cur);
            cur_check = v[i].check;
        }
        json_t *p = json_object();
        set_str(p, "email", v[i].recipient);
        set_str(p, "name", display_of(e, v[i].recipient));
        json_object_set_new(p, "asked", json_integer((json_int_t)v[i].asked));
        json_object_set_new(p, "confirmed", json_integer((json_int_t)v[i].confirmed));
        if (v[i].bounced)
            json_object_set_new(p, "bounced", json_integer((json_int_t)v[i].bounced));
        rate_words(v[i].confirmed, v[i].asked, buf, sizeof buf);
        set_str(p, "rate", buf);
        json_array_append_new(people, p);
    }
    if (json_array_size(hbs))
        json_object_set_new(ctx, "has_heartbeats", json_true());
    json_object_set_new(ctx, "heartbeats", hbs);
    store_answer_rates_free(v, n);
    return AB_OK;
}

/* "bounces": who bounced in the month, how often, and why in words. */
static enum ab_err add_bounces(eng *e, json_t *ctx, ab_time from, ab_time to,
                               ab_errmsg *em)
{
    struct store_report_bounce *v = NULL;
    size_t n = 0;
    enum ab_err err = store_report_bounces(e->st, from, to, &v, &n, em);
    if (err)
        return err;
    const char *zone = cfg_global(e->c)->timezone;
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *b = json_object();
        char why[512];
        set_str(b, "email", v[i].recipient);
        set_str(b, "name", display_of(e, v[i].recipient));
        json_object_set_new(b, "count", json_integer((json_int_t)v[i].count));
        char times[32];
        if (v[i].count == 1)
            snprintf(times, sizeof times, "once");
        else
            snprintf(times, sizeof times, "%lld times", (long long)v[i].count);
        set_str(b, "times", times);
        set_human(b, "last", v[i].last, zone);
        eng_bounce_reason(v[i].detail, v[i].recipient, NULL, why, sizeof why);
        set_str(b, "reason", why[0] ? why : "no reason given");
        json_array_append_new(list, b);
    }
    if (n)
        json_object_set_new(ctx, "has_bounces", json_true());
    json_object_set_new(ctx, "bounces", list);
    store_report_bounces_free(v, n);
    return AB_OK;
}

/* "November 2026" and the first and last day as words, from the month's
 * first instant in the site's zone. */
static void add_month(json_t *ctx, ab_time from, ab_time to, const char *zone)
{
    char buf[AB_HUMAN_LEN];
    ab_time_human(from, zone, buf, sizeof buf);
    char *comma = strchr(buf, ',');
    if (comma)
        *comma = '\0';
    set_str(ctx, "first_day", buf);
    /* "Sunday 1 November 2026" -> "November 2026": past the day's number. */
    const char *m = strchr(buf, ' ');
    m = m ? strchr(m + 1, ' ') : NULL;
    set_str(ctx, "month", m ? m + 1 : buf);
    ab_time_human(to - 1, zone, buf, sizeof buf);
    comma = strchr(buf, ',');
    if (comma)
        *comma = '\0';
    set_str(ctx, "last_day", buf);
    set_length(ctx, "length", to - from);
}

enum ab_err eng_report_data(eng *e, ab_time from, ab_time to, ab_time now, json_t *ctx,
                            ab_errmsg *em)
{
    add_month(ctx, from, to, cfg_global(e->c)->timezone);
    enum ab_err err = add_checks(e, ctx, from, to, now, em);
    if (!err)
        err = add_rates(e, ctx, from, to, em);
    if (!err)
        err = add_bounces(e, ctx, from, to, em);
    return err;
}
