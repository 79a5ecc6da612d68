/*
 * chk_params.c - the named parameters a check's query may use (:now,
 * :period_start, :period_end, :since): their values for a check at a
 * time, and the rewriting to '?' markers for drivers without names.
 *
 * The source backends call these while binding, and the SQL kinds while
 * building; a file of its own under both, so neither calls back into
 * chk_sql.c.
 */
#include "checks/chk_int.h"

#include <ctype.h>
#include <string.h>

static const char *const param_names[CHK_P_COUNT] = {"now", "period_start",
                                                     "period_end", "since"};

int chk_param_lookup(const char *name, size_t len)
{
    for (int i = 0; i < CHK_P_COUNT; i++)
        if (strlen(param_names[i]) == len && memcmp(param_names[i], name, len) == 0)
            return i;
    return -1;
}

const char *chk_param_name(int id)
{
    return id >= 0 && id < CHK_P_COUNT ? param_names[id] : "?";
}

enum ab_err chk_param_get(const struct chk_params *p, int id, ab_time *t,
                          ab_errmsg *em)
{
    if (id < 0 || id >= CHK_P_COUNT)
        return ab_fail(em, AB_EINVAL, "unknown parameter");
    if (p->v[id] == AB_TIME_NONE)
        return ab_fail(em, AB_EINVAL, "the query uses :%s but %s", param_names[id],
                       p->undefined_why[id] ? p->undefined_why[id]
                                            : "it has no value for this check");
    *t = p->v[id];
    return AB_OK;
}

static int ident_start(char ch)
{
    return isalpha((unsigned char)ch) || ch == '_';
}

static int ident_char(char ch)
{
    return isalnum((unsigned char)ch) || ch == '_';
}

enum ab_err chk_sql_positional(const char *sql, ab_buf *out, int *ids,
                               int *nids, ab_errmsg *em)
{
    const char *p = sql;
    enum ab_err e = AB_OK;
    *nids = 0;
    while (*p && !e) {
        const char *start = p;
        if (*p == '\'' || *p == '"' || *p == '`') {
            /* A literal or quoted identifier; a doubled quote stays inside. */
            char q = *p++;
            while (*p) {
                if (*p == q && p[1] == q)
                    p += 2;
                else if (*p++ == q)
                    break;
            }
        } else if (p[0] == '-' && p[1] == '-') {
            while (*p && *p != '\n')
                p++;
        } else if (p[0] == '/' && p[1] == '*') {
            const char *end = strstr(p + 2, "*/");
            p = end ? end + 2 : p + strlen(p);
        } else if (*p == '$' && (p[1] == '$' || ident_start(p[1]))) {
            /* PostgreSQL dollar quote: $tag$ ... $tag$ */
            const char *q = p + 1;
            while (ident_char(*q))
                q++;
            if (*q == '$') {
                size_t taglen = (size_t)(q - p) + 1;
                const char *body = q + 1, *end = body;
                while ((end = strchr(end, '$')) && strncmp(end, p, taglen) != 0)
                    end++;
                p = end ? end + taglen : body + strlen(body);
            } else {
                p = q;
            }
        } else if (*p == ':' && p[1] == ':') {
            p += 2; /* a cast, not a parameter */
        } else if (*p == ':' && ident_start(p[1])) {
            const char *n = p + 1;
            while (ident_char(*n))
                n++;
            int id = chk_param_lookup(p + 1, (size_t)(n - p - 1));
            if (id < 0)
                return ab_fail(em, AB_EINVAL,
                               "unknown parameter :%.*s (known: :now, "
                               ":period_start, :period_end, :since)",
                               (int)(n - p - 1), p + 1);
            if (*nids >= CHK_MAX_PARAMS)
                return ab_fail(em, AB_EINVAL, "more than %d parameters",
                               CHK_MAX_PARAMS);
            ids[(*nids)++] = id;
            e = ab_buf_putc(out, '?');
            p = n;
            continue;
        } else if (*p == '?') {
            return ab_fail(em, AB_EINVAL,
                           "positional parameters ('?') are not supported; use "
                           ":now, :period_start, :period_end or :since");
        } else {
            p++;
        }
        e = ab_buf_append(out, start, (size_t)(p - start));
    }
    return e;
}

enum ab_err chk_params_init(const struct cfg_check *c, ab_time now,
                            struct chk_params *p, ab_errmsg *em)
{
    memset(p, 0, sizeof *p);
    for (int i = 0; i < CHK_P_COUNT; i++)
        p->v[i] = AB_TIME_NONE;
    p->v[CHK_P_NOW] = now;
    if (c->window > 0) {
        p->v[CHK_P_PERIOD_START] = now - c->window;
        p->v[CHK_P_PERIOD_END] = now + 1;
    } else if (c->period != CFG_PERIOD_NONE) {
        enum ab_err e = chk_period_bounds(c->period, c->timezone, now,
                                          &p->v[CHK_P_PERIOD_START],
                                          &p->v[CHK_P_PERIOD_END], em);
        if (e)
            return e;
        /* grace=: "by the 5th, this month must have data".  Before that,
         * judging this month would fail every 1st at 06:00; the month
         * just ended is what can be judged, so judge it. */
        ab_time start = p->v[CHK_P_PERIOD_START];
        if (c->period_grace > 0 && now < start + c->period_grace) {
            if ((e = chk_period_bounds(c->period, c->timezone, start - 1,
                                       &p->v[CHK_P_PERIOD_START],
                                       &p->v[CHK_P_PERIOD_END], em)))
                return e;
            p->previous = 1;
            p->current_start = start;
        }
    } else {
        p->undefined_why[CHK_P_PERIOD_START] = p->undefined_why[CHK_P_PERIOD_END] =
            "the check has no period or window";
    }
    if (p->v[CHK_P_PERIOD_START] != AB_TIME_NONE)
        p->v[CHK_P_SINCE] = p->v[CHK_P_PERIOD_START];
    else if (c->max_age > 0)
        p->v[CHK_P_SINCE] = now - c->max_age;
    else
        p->undefined_why[CHK_P_SINCE] = "the check has no period, window or max-age";
    switch (c->ts_format) {
    case CFG_TS_UNIX: p->bind = CHK_BIND_UNIX; break;
    case CFG_TS_ISO: p->bind = CHK_BIND_ISO; break;
    case CFG_TS_NATIVE: p->bind = CHK_BIND_NATIVE; break;
    default:
        p->bind = c->source && c->source->kind == CFG_SRC_ODBC ? CHK_BIND_NATIVE
                                                               : CHK_BIND_ISO;
    }
    chk_tshape_default(&p->shape);
    p->zone = c->naive_zone;
    return chk_zone_check(p->zone, em);
}
