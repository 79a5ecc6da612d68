/*
 * chk_kind_sql.c - a query returns one number, judged against warn and crit.
 *
 * direction="above": bad when the value is above the threshold (value >
 * crit is Failing, value > warn Degraded); "below" the other way round.
 * Thresholds are strict: a value equal to crit is not past it.
 *
 * The query must return exactly one row with one column holding a number
 * (an integer, a real, or text that is entirely a decimal number: drivers
 * hand DECIMAL over as text).  No rows, NULL, other text, more columns or
 * rows are Offline with a message saying which: a check that cannot read
 * its number does not know the state of things.
 */
#include "checks/chk_int.h"

#include <stdio.h>

static enum ab_err ks_need(const struct cfg_check *c, ab_errmsg *em)
{
    if (!c->source)
        return ab_fail(em, AB_EINVAL, "no source");
    if (!c->query || !*c->query)
        return ab_fail(em, AB_EINVAL, "an sql check needs a query");
    return AB_OK;
}

static int past(const struct cfg_check *c, double v, double limit)
{
    return c->direction == CFG_BELOW ? v < limit : v > limit;
}

static enum ab_err ks_run(chk_ctx *ctx, const struct cfg_check *c, ab_time now,
                          struct chk_res *out, ab_errmsg *em)
{
    ab_errmsg qem = {{0}};
    struct chk_params p;
    struct chk_row row;
    char why[256];
    double v;
    enum ab_err e = ks_need(c, em);
    if (e)
        return e;
    if ((e = chk_params_init(c, now, &p, &qem)) ||
        (e = chk_sql_query(ctx, c, c->query, &p, &row, &qem)))
        return e == AB_ENOMEM ? e : chk_res_offline(out, qem.text);
    const char *shape = chk_row_shape_error(&row, why, sizeof why);
    if (shape)
        return chk_res_offline(out, shape);
    if (!chk_value_number(&row.v, &v)) {
        if (row.v.type == CHK_V_TEXT)
            return chk_res_add(out, "", AB_OFFLINE, 0, 0, NULL,
                               "the query returned text '%.80s%s' where a number "
                               "was expected",
                               row.v.text, row.text_truncated ? "..." : "");
        return chk_res_add(out, "", AB_OFFLINE, 0, 0, NULL,
                           "the query returned %s where a number was expected",
                           chk_vtype_name(row.v.type));
    }
    enum ab_status st = AB_HEALTHY;
    if (c->has_crit && past(c, v, c->crit))
        st = AB_FAILING;
    else if (c->has_warn && past(c, v, c->warn))
        st = AB_DEGRADED;
    const char *dir = c->direction == CFG_BELOW ? "below" : "above";
    char lim[128] = "";
    if (c->has_warn && c->has_crit)
        snprintf(lim, sizeof lim, " (warn %s %.15g, crit %s %.15g)", dir, c->warn, dir,
                 c->crit);
    else if (c->has_crit)
        snprintf(lim, sizeof lim, " (crit %s %.15g)", dir, c->crit);
    else if (c->has_warn)
        snprintf(lim, sizeof lim, " (warn %s %.15g)", dir, c->warn);
    return chk_res_add(out, "", st, 1, v, NULL, "value %.15g%s", v, lim);
}

static enum ab_err ks_validate(chk_ctx *ctx, const struct cfg_check *c, ab_errmsg *em)
{
    struct chk_params p;
    enum ab_err e = ks_need(c, em);
    if (!e)
        e = chk_params_init(c, 0, &p, em);
    if (!e)
        e = chk_sql_prepare(ctx, c, c->query, &p, em);
    return e;
}

const struct chk_kind chk_kind_sql = {
    .kind = CFG_SQL,
    .run = ks_run,
    .validate = ks_validate,
};
