/*
 * chk_kind_count.c - "data received this month": rows in the current period.
 *
 * The period is a calendar one (day, ISO week from Monday, month,
 * quarter, year) in the check's time zone, or a rolling window ending now.
 * With table and column the SQL is generated:
 *
 *     SELECT count(*) FROM "t" WHERE "col" >= :period_start AND "col" < :period_end
 *
 * and the bounds must compare correctly with what the column stores.  So
 * with ts_format="auto" the newest value (max(col), one index seek) is
 * looked at first: a number means Unix seconds (bound as integers), a
 * native TIMESTAMP means TIMESTAMP parameters (wall clock in naive_zone),
 * text means ISO text bound in the very shape of that value (separator,
 * fraction digits, offset or none), so that text comparison is right.
 * ts_format="iso" learns the shape the same way; "unix" and "native" bind
 * without looking.  An empty table counts 0 without a second query.
 * With a query, the user's SQL runs with the parameters bound per
 * ts_format (auto: ISO "YYYY-MM-DDTHH:MM:SSZ" for sqlite, TIMESTAMP for
 * odbc); to compare with SQLite's "YYYY-MM-DD HH:MM:SS" text, write
 * datetime(:period_start).
 *
 * Below min is Failing, below warn_below Degraded.  The value is the count.
 */
#include "checks/chk_int.h"

#include <stdio.h>
#include <string.h>

/* The period judged, in words; previous: the one before (grace=). */
static const char *period_word(enum cfg_period p, int previous)
{
    switch (p) {
    case CFG_PERIOD_DAY: return previous ? "yesterday" : "today";
    case CFG_PERIOD_WEEK: return previous ? "last week" : "this week";
    case CFG_PERIOD_MONTH: return previous ? "last month" : "this month";
    case CFG_PERIOD_QUARTER: return previous ? "last quarter" : "this quarter";
    case CFG_PERIOD_YEAR: return previous ? "last year" : "this year";
    default: return "in the period";
    }
}

/*
 * Decide how to bind the bounds for a table/column count (see above).
 * *empty is set when the table has no values.  AB_ESOURCE/AB_ETIMEOUT
 * and AB_EPARSE carry a message for an Offline result.
 */
static enum ab_err learn_binding(chk_ctx *ctx, const struct cfg_check *c,
                                 struct chk_params *p, int *empty, ab_errmsg *em)
{
    *empty = 0;
    if (c->ts_format == CFG_TS_UNIX || c->ts_format == CFG_TS_NATIVE)
        return AB_OK;
    ab_buf sql;
    struct chk_row row;
    ab_buf_init(&sql, 1 << 20);
    enum ab_err e = chk_sql_table_query(ctx, c, "max(%s)", 0, &sql, em);
    if (!e)
        e = chk_sql_query(ctx, c, ab_buf_str(&sql), p, &row, em);
    ab_buf_free(&sql);
    if (e)
        return e;
    if (row.nrows == 0 || row.v.type == CHK_V_NULL) {
        *empty = 1;
        return AB_OK;
    }
    switch (row.v.type) {
    case CHK_V_INT:
    case CHK_V_REAL:
        if (c->ts_format == CFG_TS_ISO)
            return ab_fail(em, AB_EPARSE, "ts-format is iso but %s.%s holds numbers",
                           c->table, c->column);
        p->bind = CHK_BIND_UNIX;
        return AB_OK;
    case CHK_V_CIVIL:
        p->bind = CHK_BIND_NATIVE;
        return AB_OK;
    case CHK_V_TEXT: {
        double d;
        if (chk_tshape_learn(row.v.text, &p->shape)) {
            p->bind = CHK_BIND_ISO;
            return AB_OK;
        }
        if (c->ts_format != CFG_TS_ISO && chk_value_number(&row.v, &d)) {
            p->bind = CHK_BIND_UNIX;
            return AB_OK;
        }
        return ab_fail(em, AB_EPARSE,
                       "cannot tell the timestamp format of %s.%s from its newest "
                       "value '%.80s'",
                       c->table, c->column, row.v.text);
    }
    default:
        return AB_OK;
    }
}

static enum ab_err ct_check(const struct cfg_check *c, ab_errmsg *em)
{
    enum ab_err e = chk_sql_need(c, em);
    if (!e && c->window <= 0 && c->period == CFG_PERIOD_NONE)
        e = ab_fail(em, AB_EINVAL, "a count check needs a period or a window");
    return e;
}

static enum ab_err ct_run(chk_ctx *ctx, const struct cfg_check *c, ab_time now,
                          struct chk_res *out, ab_errmsg *em)
{
    ab_errmsg qem = {{0}};
    ab_buf sql;
    struct chk_params p;
    struct chk_row row;
    char why[256];
    int empty = 0, table = !(c->query && *c->query);
    double n = 0;
    enum ab_err e = ct_check(c, em);
    if (e)
        return e;
    ab_buf_init(&sql, 1 << 20);
    e = chk_params_init(c, now, &p, &qem);
    if (!e && table && !(e = learn_binding(ctx, c, &p, &empty, &qem)) && !empty)
        e = chk_sql_table_query(ctx, c, "count(*)", 1, &sql, &qem);
    else if (!e && !table)
        e = ab_buf_puts(&sql, c->query);
    if (!e && !empty)
        e = chk_sql_query(ctx, c, ab_buf_str(&sql), &p, &row, &qem);
    if (e) {
        if (e != AB_ENOMEM)
            e = chk_res_offline(out, qem.text);
        goto out;
    }
    if (!empty) {
        const char *shape = chk_row_shape_error(&row, why, sizeof why);
        if (shape) {
            e = chk_res_offline(out, shape);
            goto out;
        }
        if (!chk_value_number(&row.v, &n)) {
            if (row.v.type == CHK_V_TEXT)
                e = chk_res_add(out, "", AB_OFFLINE, 0, 0, NULL,
                                "the query returned text '%.80s' where a number "
                                "was expected",
                                row.v.text);
            else
                e = chk_res_add(out, "", AB_OFFLINE, 0, 0, NULL,
                                "the query returned %s where a number was expected",
                                chk_vtype_name(row.v.type));
            goto out;
        }
    }
    enum ab_status st = AB_HEALTHY;
    if (c->has_min && n < c->min)
        st = AB_FAILING;
    else if (c->has_warn_below && n < c->warn_below)
        st = AB_DEGRADED;
    /* For people: "1,009,800 rows this month (at least 1)"; with grace=,
     * before the grace ends, "12 rows last month (at least 1); this month
     * is judged from Thursday 5 November 2026, 00:00 CST". */
    char when[AB_HUMAN_LEN + 16], detail[512] = "", dur[AB_HUMAN_LEN], num[AB_HUMAN_LEN];
    size_t dl = 0;
    if (c->window > 0)
        snprintf(when, sizeof when, "in the last %s", chk_age_format(c->window, dur, sizeof dur));
    else
        snprintf(when, sizeof when, "%s", period_word(c->period, p.previous));
    if (empty)
        dl += (size_t)snprintf(detail + dl, sizeof detail - dl, "the table is empty");
    if (dl < sizeof detail && c->has_min)
        dl += (size_t)snprintf(detail + dl, sizeof detail - dl, "%sat least %s",
                               dl ? "; " : "", ab_number_human(c->min, num, sizeof num));
    if (dl < sizeof detail && c->has_warn_below)
        dl += (size_t)snprintf(detail + dl, sizeof detail - dl, "%swarning below %s",
                               dl ? ", " : "", ab_number_human(c->warn_below, num, sizeof num));
    char grace[AB_HUMAN_LEN + 64] = "";
    if (p.previous) {
        char t[AB_HUMAN_LEN];
        snprintf(grace, sizeof grace, "; %s is judged from %s", period_word(c->period, 0),
                 ab_time_human(p.current_start + c->period_grace, c->timezone, t, sizeof t));
    }
    e = chk_res_add(out, "", st, 1, n, NULL, "%s row%s %s%s%s%s%s",
                    ab_number_human(n, num, sizeof num), n == 1 ? "" : "s", when,
                    detail[0] ? " (" : "", detail, detail[0] ? ")" : "", grace);
out:
    ab_buf_free(&sql);
    return e;
}

static enum ab_err ct_validate(chk_ctx *ctx, const struct cfg_check *c, ab_errmsg *em)
{
    ab_buf sql;
    struct chk_params p;
    enum ab_err e = ct_check(c, em);
    if (e)
        return e;
    ab_buf_init(&sql, 1 << 20);
    if (!(e = chk_params_init(c, 0, &p, em))) {
        if (c->query && *c->query)
            e = ab_buf_puts(&sql, c->query);
        else
            e = chk_sql_table_query(ctx, c, "count(*)", 1, &sql, em);
    }
    if (!e)
        e = chk_sql_prepare(ctx, c, ab_buf_str(&sql), &p, em);
    ab_buf_free(&sql);
    return e;
}

const struct chk_kind chk_kind_count = {
    .kind = CFG_COUNT,
    .run = ct_run,
    .validate = ct_validate,
};
