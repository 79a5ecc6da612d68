/*
 * sched_setpos.c - RFC 5545 BYSETPOS for rules finer than MONTHLY.
 *
 * libical 3.0 ignores BYSETPOS when FREQ is WEEKLY, DAILY, HOURLY or
 * MINUTELY ("FREQ=WEEKLY;BYDAY=MO,FR;BYSETPOS=-1" gave Mondays and
 * Fridays).  sched_rrule.c runs such a rule without its positions and
 * feeds every occurrence here, period by period; this file knows what a
 * period is (a week from WKST, a day, an hour, a minute) and picks the
 * positions from each period's set, as 3.3.10 says: counted over the
 * whole set, then anything before DTSTART dropped.
 */
#include <stdlib.h>

#include "common/ab_mem.h"
#include "schedules/sched_int.h"

int sched_ical_weekday(int64_t day)
{
    /* Day 0, 1970-01-01, was a Thursday: 5 in libical's SUNDAY=1 count. */
    return (int)(((day + 4) % 7 + 7) % 7) + 1;
}

sched_lt sched_period_floor(const struct icalrecurrencetype *r, sched_lt l)
{
    switch (r->freq) {
    case ICAL_WEEKLY_RECURRENCE: {
        int64_t d = sched_fdiv(l, SCHED_DAY);
        int wkst = r->week_start == ICAL_NO_WEEKDAY ? ICAL_MONDAY_WEEKDAY
                                                    : (int)r->week_start;
        return (d - (sched_ical_weekday(d) - wkst + 7) % 7) * SCHED_DAY;
    }
    case ICAL_DAILY_RECURRENCE: return sched_fdiv(l, SCHED_DAY) * SCHED_DAY;
    case ICAL_HOURLY_RECURRENCE: return sched_fdiv(l, 3600) * 3600;
    case ICAL_MINUTELY_RECURRENCE: return sched_fdiv(l, 60) * 60;
    default: return l;
    }
}

int64_t sched_period_unit(const struct icalrecurrencetype *r)
{
    switch (r->freq) {
    case ICAL_WEEKLY_RECURRENCE: return SCHED_WEEK;
    case ICAL_DAILY_RECURRENCE: return SCHED_DAY;
    case ICAL_HOURLY_RECURRENCE: return 3600;
    case ICAL_MINUTELY_RECURRENCE: return 60;
    default: return 1;
    }
}

static int cmp_lt(const void *a, const void *b)
{
    sched_lt x = *(const sched_lt *)a, y = *(const sched_lt *)b;
    return (x > y) - (x < y);
}

void sched_setpos_flush(struct sched_setpos *c)
{
    sched_lt pick[ICAL_BY_SETPOS_SIZE];
    size_t k = 0;
    for (int i = 0; i < c->npos && k < ICAL_BY_SETPOS_SIZE; i++) {
        long pos = c->pos[i];
        long idx = pos > 0 ? pos - 1 : (long)c->n + pos;
        if (idx >= 0 && (size_t)idx < c->n)
            pick[k++] = c->set[idx];
    }
    c->n = 0;
    /* Positions may be listed in any order; occurrences go out in time. */
    if (k > 1)
        qsort(pick, k, sizeof *pick, cmp_lt);
    for (size_t i = 0; i < k && !c->stop; i++) {
        sched_lt l = pick[i];
        if (l <= c->last || l <= c->lo || l > c->hi || l < c->dtstart)
            continue;
        c->last = l;
        if (!c->emit(c->ctx, l))
            c->stop = 1;
    }
}

void sched_setpos_add(struct sched_setpos *c, sched_lt l)
{
    if (c->n == c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 64;
        sched_lt *nv = ab_realloc(c->set, nc * sizeof *nv);
        if (!nv) {
            c->oom = 1;
            return;
        }
        c->set = nv;
        c->cap = nc;
    }
    c->set[c->n++] = l;
}
