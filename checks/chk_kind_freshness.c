/*
 * chk_kind_freshness.c - "no new records in N days": how old is the newest row?
 *
 * With table and column the SQL is SELECT max("column") FROM "table"
 * (an index on the column makes it one seek); with query, the user's SQL
 * must return one value, the newest timestamp.  The value may be ISO 8601
 * text (with an offset, or naive: wall clock in naive_zone), Unix seconds
 * (integer, real, or numeric text), or a native DATE/TIMESTAMP (wall
 * clock in naive_zone).  ts_format narrows that: "unix" refuses text
 * that is not a number, "iso" refuses numbers.
 *
 * Older than max_age is Failing, older than warn_age Degraded ("older"
 * is strict: exactly max_age old is still fine).  No rows, or only NULLs,
 * is Failing: a table that was emptied is not fresh.  The result's value
 * is the age in seconds.
 */
#include "checks/chk_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* The instant of v, or 0 with why filled. */
static int value_time(const struct cfg_check *c, const struct chk_value *v,
                      ab_time *t, char *why, size_t len)
{
    ab_errmsg em = {{0}};
    double d;
    switch (v->type) {
    case CHK_V_INT:
    case CHK_V_REAL:
        d = v->type == CHK_V_INT ? (double)v->i : v->r;
        if (c->ts_format == CFG_TS_ISO) {
            snprintf(why, len, "expected an ISO 8601 timestamp, got the number %.15g", d);
            return 0;
        }
        /* Past the year 5138 is not seconds: most likely milliseconds. */
        if (!isfinite(d) || fabs(d) > 1e11) {
            snprintf(why, len, "the number %.15g is not a Unix time in seconds (milliseconds?)", d);
            return 0;
        }
        *t = (ab_time)floor(d);
        return 1;
    case CHK_V_TEXT:
        if (c->ts_format != CFG_TS_UNIX && chk_ts_parse(v->text, c->naive_zone, t, &em) == AB_OK)
            return 1;
        if (c->ts_format != CFG_TS_ISO && chk_value_number(v, &d) && fabs(d) < 1e11) {
            *t = (ab_time)floor(d);
            return 1;
        }
        snprintf(why, len, "'%.80s' is not %s", v->text,
                 c->ts_format == CFG_TS_UNIX  ? "Unix seconds"
                 : c->ts_format == CFG_TS_ISO ? "an ISO 8601 timestamp"
                                              : "a timestamp (ISO 8601 or Unix seconds)");
        return 0;
    case CHK_V_CIVIL:
        if (chk_from_civil(c->naive_zone, &v->civil, t, &em) != AB_OK) {
            snprintf(why, len, "%s", em.text);
            return 0;
        }
        return 1;
    default:
        snprintf(why, len, "unexpected NULL");
        return 0;
    }
}

static enum ab_err fr_sql(chk_ctx *ctx, const struct cfg_check *c, ab_buf *sql,
                          ab_errmsg *em)
{
    if (c->query && *c->query)
        return ab_buf_puts(sql, c->query);
    return chk_sql_table_query(ctx, c, "max(%s)", 0, sql, em);
}

static enum ab_err fr_run(chk_ctx *ctx, const struct cfg_check *c, ab_time now,
                          struct chk_res *out, ab_errmsg *em)
{
    ab_errmsg qem = {{0}};
    ab_buf sql;
    struct chk_params p;
    struct chk_row row;
    char why[512];
    enum ab_err e = chk_sql_need(c, em);
    if (e)
        return e;
    ab_buf_init(&sql, 1 << 20);
    if ((e = chk_params_init(c, now, &p, &qem)) || (e = fr_sql(ctx, c, &sql, &qem)) ||
        (e = chk_sql_query(ctx, c, ab_buf_str(&sql), &p, &row, &qem))) {
        if (e != AB_ENOMEM)
            e = chk_res_offline(out, qem.text);
        goto out;
    }
    const char *shape = chk_row_shape_error(&row, why, sizeof why);
    if (row.nrows == 0 || (!shape && row.v.type == CHK_V_NULL)) {
        if (c->query && *c->query)
            e = chk_res_add(out, "", AB_FAILING, 0, 0, NULL,
                            "no rows: the query returned no timestamp%s",
                            row.nrows ? " (NULL)" : "");
        else
            e = chk_res_add(out, "", AB_FAILING, 0, 0, NULL,
                            "table %s is empty (no %s values)", c->table, c->column);
        goto out;
    }
    if (shape) {
        e = chk_res_offline(out, shape);
        goto out;
    }
    ab_time t;
    if (!value_time(c, &row.v, &t, why, sizeof why)) {
        e = chk_res_add(out, "", AB_OFFLINE, 0, 0, NULL, "newest value: %s", why);
        goto out;
    }
    int64_t age = now - t;
    enum ab_status st = AB_HEALTHY;
    if (c->max_age > 0 && age > c->max_age)
        st = AB_FAILING;
    else if (c->warn_age > 0 && age > c->warn_age)
        st = AB_DEGRADED;
    /* For people: "newest row is 3 days 4 hours old (limit 2 days)". */
    char a[AB_HUMAN_LEN], lim[2 * AB_HUMAN_LEN + 32] = "", w[AB_HUMAN_LEN], m[AB_HUMAN_LEN];
    chk_age_format(age, a, sizeof a);
    if (c->warn_age > 0 && c->max_age > 0)
        snprintf(lim, sizeof lim, " (warning after %s, limit %s)",
                 chk_age_format(c->warn_age, w, sizeof w),
                 chk_age_format(c->max_age, m, sizeof m));
    else if (c->max_age > 0)
        snprintf(lim, sizeof lim, " (limit %s)", chk_age_format(c->max_age, m, sizeof m));
    else if (c->warn_age > 0)
        snprintf(lim, sizeof lim, " (warning after %s)",
                 chk_age_format(c->warn_age, w, sizeof w));
    e = chk_res_add(out, "", st, 1, (double)age, NULL, "newest row is %s %s%s", a,
                    age < 0 ? "in the future" : "old", lim);
out:
    ab_buf_free(&sql);
    return e;
}

static enum ab_err fr_validate(chk_ctx *ctx, const struct cfg_check *c, ab_errmsg *em)
{
    ab_buf sql;
    struct chk_params p;
    enum ab_err e = chk_sql_need(c, em);
    if (e)
        return e;
    ab_buf_init(&sql, 1 << 20);
    if (!(e = chk_params_init(c, 0, &p, em)) && !(e = fr_sql(ctx, c, &sql, em)))
        e = chk_sql_prepare(ctx, c, ab_buf_str(&sql), &p, em);
    ab_buf_free(&sql);
    return e;
}

const struct chk_kind chk_kind_freshness = {
    .kind = CFG_FRESHNESS,
    .run = fr_run,
    .validate = fr_validate,
};
