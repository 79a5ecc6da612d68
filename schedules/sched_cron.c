/*
 * sched_cron.c - 5-field cron expressions (minute hour day-of-month month
 * day-of-week) with Vixie cron's semantics, read on the wall clock of the
 * schedule's zone.
 *
 * Syntax: lists (1,15), ranges (1-5), steps (asterisk-slash-15, 0-30/10),
 * names JAN-DEC and SUN-SAT in any case, 0 or 7 for Sunday, and the
 * @hourly .. @yearly shorthands.  As in Vixie cron, when both the
 * day-of-month and the day-of-week fields are restricted (neither starts
 * with '*') a day matches if EITHER matches; otherwise both must.
 *
 * The fields compile to bit masks, so matching is a few AND operations and
 * finding the next fire time walks days, not minutes.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "schedules/sched_int.h"

struct field {
    const char *name;
    int lo, hi;
    const char *const *names; /* 3-letter names for lo.., or NULL */
};

static const char *const month_names[] = {"JAN", "FEB", "MAR", "APR",
                                          "MAY", "JUN", "JUL", "AUG",
                                          "SEP", "OCT", "NOV", "DEC"};
static const char *const wday_names[] = {"SUN", "MON", "TUE", "WED",
                                         "THU", "FRI", "SAT"};

static const struct field fields[5] = {
    {"minute", 0, 59, NULL},
    {"hour", 0, 23, NULL},
    {"day-of-month", 1, 31, NULL},
    {"month", 1, 12, month_names},
    {"day-of-week", 0, 7, wday_names},
};

/* A number or a name at *p; advances *p.  -1 if neither. */
static int value(const struct field *f, const char **p)
{
    const char *s = *p;
    if (isdigit((unsigned char)*s)) {
        int v = 0;
        while (isdigit((unsigned char)*s)) {
            v = v * 10 + (*s - '0');
            if (v > 1000)
                v = 1000; /* reported as out of range below */
            s++;
        }
        *p = s;
        return v;
    }
    if (f->names && isalpha((unsigned char)s[0]) &&
        isalpha((unsigned char)s[1]) && isalpha((unsigned char)s[2]) &&
        !isalpha((unsigned char)s[3])) {
        int count = f->names == month_names ? 12 : 7;
        for (int i = 0; i < count; i++) {
            if (strncasecmp(s, f->names[i], 3) == 0) {
                *p = s + 3;
                return f->names == month_names ? i + 1 : i;
            }
        }
    }
    return -1;
}

static enum ab_err parse_field(const char *expr, const struct field *f,
                               const char *text, uint64_t *bits, int *star,
                               ab_errmsg *em)
{
    const char *p = text;
    *bits = 0;
    *star = text[0] == '*';
    for (;;) {
        const char *item = p;
        int a, b, step = 1, ranged = 1;
        if (*p == '*') {
            a = f->lo;
            b = f->hi;
            p++;
        } else {
            if ((a = value(f, &p)) < 0)
                goto bad;
            b = a;
            ranged = *p == '-';
            if (ranged) {
                p++;
                if ((b = value(f, &p)) < 0)
                    goto bad;
            }
        }
        if (*p == '/') {
            if (!ranged)
                return ab_fail(em, AB_EPARSE,
                               "cron \"%s\": %s \"%.*s\": a step needs a "
                               "range or *",
                               expr, f->name, (int)strcspn(item, ","), item);
            p++;
            if (!isdigit((unsigned char)*p))
                goto bad;
            step = value(f, &p);
            if (step < 1 || step > f->hi)
                return ab_fail(em, AB_ERANGE,
                               "cron \"%s\": %s step %d out of range 1-%d",
                               expr, f->name, step, f->hi);
        }
        if (a < f->lo || a > f->hi || b < f->lo || b > f->hi)
            return ab_fail(em, AB_ERANGE,
                           "cron \"%s\": %s %d out of range %d-%d", expr,
                           f->name, (a < f->lo || a > f->hi) ? a : b, f->lo,
                           f->hi);
        if (b < a)
            return ab_fail(em, AB_ERANGE,
                           "cron \"%s\": %s range %d-%d is reversed", expr,
                           f->name, a, b);
        for (int v = a; v <= b; v += step)
            *bits |= (uint64_t)1 << v;
        if (*p == ',') {
            p++;
            continue;
        }
        if (*p == '\0')
            return AB_OK;
    bad:
        return ab_fail(em, AB_EPARSE, "cron \"%s\": %s \"%s\" is not valid",
                       expr, f->name, text);
    }
}

static const struct {
    const char *name, *expr;
} macros[] = {
    {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"},
    {"@monthly", "0 0 1 * *"}, {"@weekly", "0 0 * * 0"},
    {"@daily", "0 0 * * *"},   {"@midnight", "0 0 * * *"},
    {"@hourly", "0 * * * *"},
};

enum ab_err sched_cron_parse(const char *expr, struct sched_cron *c,
                             ab_errmsg *em)
{
    char buf[256];
    char *f[6];
    int nf = 0;
    if (!expr)
        return ab_fail(em, AB_EINVAL, "cron: missing expression");
    while (isspace((unsigned char)*expr))
        expr++;
    const char *src = expr;
    if (expr[0] == '@') {
        size_t n = strcspn(expr, " \t\r\n");
        src = NULL;
        for (size_t i = 0; i < sizeof macros / sizeof macros[0]; i++)
            if (strlen(macros[i].name) == n &&
                strncasecmp(expr, macros[i].name, n) == 0 &&
                expr[n + strspn(expr + n, " \t\r\n")] == '\0')
                src = macros[i].expr;
        if (!src)
            return ab_fail(em, AB_EPARSE,
                           "cron \"%.60s\": unknown shorthand (@hourly, "
                           "@daily, @weekly, @monthly, @yearly)",
                           expr);
    }
    if (strlen(src) >= sizeof buf)
        return ab_fail(em, AB_EPARSE, "cron \"%.60s...\": too long", expr);
    memcpy(buf, src, strlen(src) + 1);
    for (char *p = buf; *p;) {
        while (isspace((unsigned char)*p))
            *p++ = '\0';
        if (!*p)
            break;
        if (nf == 6)
            break;
        f[nf++] = p;
        while (*p && !isspace((unsigned char)*p))
            p++;
    }
    if (nf != 5)
        return ab_fail(em, AB_EPARSE,
                       "cron \"%.100s\": expected 5 fields (minute hour "
                       "day-of-month month day-of-week), got %s%d",
                       expr, nf == 6 ? "more than " : "", nf == 6 ? 5 : nf);
    uint64_t bits[5];
    int star[5];
    for (int i = 0; i < 5; i++) {
        enum ab_err rc = parse_field(expr, &fields[i], f[i], &bits[i],
                                     &star[i], em);
        if (rc != AB_OK)
            return rc;
    }
    c->minute = bits[0];
    c->hour = (uint32_t)bits[1];
    c->mday = (uint32_t)bits[2];
    c->month = (uint16_t)bits[3];
    /* 7 is Sunday too. */
    c->wday = (uint8_t)((bits[4] & 0x7f) | ((bits[4] >> 7) & 1));
    c->mday_star = star[2] != 0;
    c->wday_star = star[4] != 0;
    c->hour_star = star[1] != 0;
    return AB_OK;
}

enum ab_err sched_cron_check(const char *expr, ab_errmsg *em)
{
    struct sched_cron c;
    return sched_cron_parse(expr, &c, em);
}

/* Does the day `days` (since 1970-01-01) match month and day rules? */
static int day_matches(const struct sched_cron *c, int64_t days,
                       unsigned mon, unsigned mday)
{
    if (!(c->month >> mon & 1))
        return 0;
    int dom = (int)(c->mday >> mday & 1);
    int dow = (int)(c->wday >> sched_fmod(days + 4, 7) & 1); /* 0 = Sunday */
    if (c->mday_star || c->wday_star)
        return dom && dow;
    return dom || dow;
}

int sched_cron_match(const struct sched_cron *c, sched_lt l)
{
    if (sched_fmod(l, 60) != 0)
        return 0;
    struct sched_tm tm;
    sched_lt_split(l, &tm);
    return day_matches(c, sched_fdiv(l, SCHED_DAY), tm.mon, tm.mday) &&
           (c->hour >> tm.hour & 1) && (c->minute >> tm.min & 1);
}

int sched_cron_next(const struct sched_cron *c, sched_lt l, sched_lt bound,
                    sched_lt *out)
{
    if (sched_fmod(l, 60) != 0)
        l += 60 - sched_fmod(l, 60);
    int64_t day = sched_fdiv(l, SCHED_DAY);
    int first_h = (int)(sched_fmod(l, SCHED_DAY) / 3600);
    int first_m = (int)(sched_fmod(l, SCHED_DAY) / 60 % 60);
    for (; day * SCHED_DAY <= bound; day++, first_h = 0, first_m = 0) {
        int64_t y;
        unsigned mon, mday;
        ab_civil_from_days(day, &y, &mon, &mday);
        if (!(c->month >> mon & 1)) {
            /* Jump to the last day of this month; the loop steps on. */
            day += sched_days_in_month(y, mon) - (int)mday;
            continue;
        }
        if (!day_matches(c, day, mon, mday))
            continue;
        for (int h = first_h; h < 24; h++) {
            if (!(c->hour >> h & 1))
                continue;
            int m0 = h == first_h ? first_m : 0;
            uint64_t mins = c->minute >> m0 << m0;
            if (!mins)
                continue;
            sched_lt t = day * SCHED_DAY + h * 3600 + __builtin_ctzll(mins) * 60;
            if (t > bound)
                return 0;
            *out = t;
            return 1;
        }
    }
    return 0;
}
