/*
 * sched_window.c - seed 002's weekly EventSchedule: ScheduleProvisions and
 * ScheduleExclusions, each a DayOfWeek with StartTime and EndTime.
 *
 * A time is allowed when it is inside some provision and inside no
 * exclusion, read on the wall clock of the schedule's zone.  EndTime is
 * inclusive to the second (the seed writes 00:00:00-23:59:59 for a whole
 * day); a window whose EndTime is before its StartTime runs past midnight
 * into the next day.
 *
 * The rules compile into sorted, disjoint, half-open intervals of "second
 * of the week" (0 = Monday 00:00:00), so that "is l allowed" and "next
 * allowed time" are a short scan, whatever the number of rules.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "common/ab_mem.h"
#include "schedules/sched_int.h"

struct iv {
    int32_t a, b; /* [a, b) seconds of the week */
};

struct sched_window {
    atomic_int refs;
    atomic_int frozen;
    char *name;
    struct sched_wrule *rules;
    size_t nrules;
    int nprov;
    struct iv *allowed;
    size_t nallowed;
};

sched_window *sched_window_new(const char *name)
{
    sched_window *w = ab_calloc(1, sizeof *w);
    if (!w)
        return NULL;
    atomic_init(&w->refs, 1);
    atomic_init(&w->frozen, 0);
    w->name = ab_strdup(name ? name : "");
    /* No rules yet: the whole week is provisioned. */
    w->allowed = ab_malloc(sizeof *w->allowed);
    if (!w->name || !w->allowed) {
        ab_free(w->name);
        ab_free(w->allowed);
        ab_free(w);
        return NULL;
    }
    w->allowed[0] = (struct iv){0, SCHED_WEEK};
    w->nallowed = 1;
    return w;
}

const char *sched_window_name(const sched_window *w)
{
    return w && w->name ? w->name : "";
}

void sched_win_ref(sched_window *w)
{
    atomic_fetch_add(&w->refs, 1);
    atomic_store(&w->frozen, 1);
}

void sched_window_free(sched_window *w)
{
    if (!w || atomic_fetch_sub(&w->refs, 1) != 1)
        return;
    ab_free(w->name);
    ab_free(w->rules);
    ab_free(w->allowed);
    ab_free(w);
}

int sched_win_has_provisions(const sched_window *w)
{
    return w->nprov > 0;
}

static int iv_cmp(const void *x, const void *y)
{
    const struct iv *a = x, *b = y;
    return (a->a > b->a) - (a->a < b->a);
}

/* The rules of one kind as sorted, merged intervals; returns the count. */
static size_t collect(const sched_window *w, int kind, struct iv *out)
{
    size_t n = 0;
    for (size_t i = 0; i < w->nrules; i++) {
        const struct sched_wrule *r = &w->rules[i];
        if (r->kind != kind)
            continue;
        int32_t d0 = r->day * SCHED_DAY;
        if (r->start <= r->end) {
            out[n++] = (struct iv){d0 + r->start, d0 + r->end + 1};
        } else {
            int32_t d1 = ((r->day + 1) % 7) * SCHED_DAY;
            out[n++] = (struct iv){d0 + r->start, d0 + SCHED_DAY};
            out[n++] = (struct iv){d1, d1 + r->end + 1};
        }
    }
    if (n) /* qsort(NULL, 0) is undefined */
        qsort(out, n, sizeof *out, iv_cmp);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (m > 0 && out[i].a <= out[m - 1].b) {
            if (out[i].b > out[m - 1].b)
                out[m - 1].b = out[i].b;
        } else {
            out[m++] = out[i];
        }
    }
    return m;
}

/* allowed = provisions (or the whole week) minus exclusions. */
static enum ab_err compile(sched_window *w)
{
    enum ab_err rc = AB_ENOMEM;
    size_t cap = 2 * w->nrules + 1;
    struct iv *prov = ab_malloc(cap * sizeof *prov);
    struct iv *excl = ab_malloc(cap * sizeof *excl);
    struct iv *res = ab_malloc(2 * cap * sizeof *res);
    if (!prov || !excl || !res)
        goto out;
    size_t np = collect(w, SCHED_PROVISION, prov);
    size_t ne = collect(w, SCHED_EXCLUSION, excl);
    if (w->nprov == 0) {
        prov[0] = (struct iv){0, SCHED_WEEK};
        np = 1;
    }
    size_t nr = 0, j = 0;
    for (size_t i = 0; i < np; i++) {
        int32_t a = prov[i].a, b = prov[i].b;
        while (j < ne && excl[j].b <= a)
            j++;
        for (size_t k = j; k < ne && excl[k].a < b; k++) {
            if (excl[k].a > a)
                res[nr++] = (struct iv){a, excl[k].a};
            if (excl[k].b > a)
                a = excl[k].b;
        }
        if (a < b)
            res[nr++] = (struct iv){a, b};
    }
    ab_free(w->allowed);
    w->allowed = res;
    w->nallowed = nr;
    res = NULL;
    rc = AB_OK;
out:
    ab_free(prov);
    ab_free(excl);
    ab_free(res);
    return rc;
}

enum ab_err sched_window_add(sched_window *w, enum sched_window_kind kind,
                             const char *day, const char *start,
                             const char *end, ab_errmsg *em)
{
    struct sched_wrule r = {0};
    enum ab_err rc;
    if (!w)
        return ab_fail(em, AB_EINVAL, "window: NULL");
    if (atomic_load(&w->frozen))
        return ab_fail(em, AB_EBUSY,
                       "window \"%s\": in use by a schedule, cannot change",
                       w->name);
    if (kind != SCHED_PROVISION && kind != SCHED_EXCLUSION)
        return ab_fail(em, AB_EINVAL, "window: kind must be provision or "
                                      "exclusion");
    r.kind = kind;
    if ((rc = sched_parse_day(day, &r.day, em)) != AB_OK)
        return rc;
    if ((rc = sched_parse_clock("StartTime", start, 0, &r.start, em)) != AB_OK)
        return rc;
    if ((rc = sched_parse_clock("EndTime", end, 1, &r.end, em)) != AB_OK)
        return rc;
    struct sched_wrule *nr =
        ab_realloc(w->rules, (w->nrules + 1) * sizeof *nr);
    if (!nr)
        return ab_fail(em, AB_ENOMEM, "window: out of memory");
    w->rules = nr;
    w->rules[w->nrules++] = r;
    if (kind == SCHED_PROVISION)
        w->nprov++;
    if ((rc = compile(w)) != AB_OK) {
        w->nrules--;
        if (kind == SCHED_PROVISION)
            w->nprov--;
        return ab_fail(em, rc, "window: out of memory");
    }
    return AB_OK;
}

/* ---- queries on local time ------------------------------------------------ */

static int32_t week_second(sched_lt l, sched_lt *base)
{
    /* 1970-01-01 was a Thursday: shift so that 0 is a Monday. */
    int64_t sow = sched_fmod(l + 3 * SCHED_DAY, SCHED_WEEK);
    *base = l - sow;
    return (int32_t)sow;
}

int sched_win_allows(const sched_window *w, sched_lt l)
{
    sched_lt base;
    int32_t s = week_second(l, &base);
    size_t lo = 0, hi = w->nallowed;
    while (lo < hi) { /* first interval ending after s */
        size_t mid = lo + (hi - lo) / 2;
        if (w->allowed[mid].b <= s)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < w->nallowed && w->allowed[lo].a <= s;
}

int sched_win_next(const sched_window *w, sched_lt l, sched_lt *out)
{
    if (w->nallowed == 0)
        return 0;
    sched_lt base;
    int32_t s = week_second(l, &base);
    for (size_t i = 0; i < w->nallowed; i++) {
        if (w->allowed[i].b > s) {
            *out = w->allowed[i].a <= s ? l : base + w->allowed[i].a;
            return 1;
        }
    }
    *out = base + SCHED_WEEK + w->allowed[0].a;
    return 1;
}

int sched_win_prev(const sched_window *w, sched_lt l, sched_lt *out)
{
    if (w->nallowed == 0)
        return 0;
    sched_lt base;
    int32_t s = week_second(l, &base);
    for (size_t i = w->nallowed; i-- > 0;) {
        if (w->allowed[i].a <= s) {
            *out = s < w->allowed[i].b ? l : base + w->allowed[i].b - 1;
            return 1;
        }
    }
    *out = base - SCHED_WEEK + w->allowed[w->nallowed - 1].b - 1;
    return 1;
}

static int rule_covers(const struct sched_wrule *r, sched_lt l)
{
    int dow = sched_lt_wday(l);
    int32_t sod = (int32_t)sched_fmod(l, SCHED_DAY);
    if (r->start <= r->end)
        return r->day == dow && sod >= r->start && sod <= r->end;
    return (r->day == dow && sod >= r->start) ||
           ((r->day + 1) % 7 == dow && sod <= r->end);
}

void sched_win_explain(const sched_window *w, sched_lt l,
                       const struct sched_wrule **prov,
                       const struct sched_wrule **excl)
{
    *prov = *excl = NULL;
    for (size_t i = 0; i < w->nrules; i++) {
        const struct sched_wrule *r = &w->rules[i];
        if (!rule_covers(r, l))
            continue;
        if (r->kind == SCHED_EXCLUSION && !*excl)
            *excl = r;
        if (r->kind == SCHED_PROVISION && !*prov)
            *prov = r;
    }
}
