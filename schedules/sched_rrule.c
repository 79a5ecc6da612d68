/*
 * sched_rrule.c - RFC 5545 recurrence rules (3.3.10 RRULE), parsed and
 * iterated by libical, made fast and bounded for "next occurrence after T".
 *
 * Rules run on floating local time (the schedule's wall clock); the zone
 * turns occurrences into instants elsewhere.  libical iterates from
 * DTSTART, which is slow when DTSTART is years back and, for rules that
 * match rarely or never, can spin until libical's year limit (~2582).  So:
 *   - each query starts a fresh iterator at an "aligned" start: DTSTART
 *     moved forward by whole multiples of INTERVAL periods (the rule's
 *     occurrence set after that point is unchanged, because every field
 *     the rule inherits from DTSTART - time of day, day of month, weekday,
 *     month - is kept);
 *   - the search runs in chunks bounded with UNTIL, doubling in length;
 *   - HOURLY/MINUTELY rules with day filters first find candidate days
 *     with a DAILY "probe" rule made of those filters (a superset), so a
 *     once-a-year minutely rule does not step through every minute;
 *   - a budget of periods stepped bounds the worst case (AB_ERANGE);
 *   - COUNT rules cannot start late (COUNT counts from DTSTART), so their
 *     occurrences are expanded once, up to SCHED_RR_MAX_COUNT;
 *   - libical 3.0 ignores BYSETPOS when FREQ is finer than MONTHLY
 *     ("FREQ=WEEKLY;BYDAY=MO,FR;BYSETPOS=-1" gave Mondays and Fridays), so
 *     for those rules the positions are kept here and sched_setpos.c picks
 *     them from the set of each period (a week, a day, an hour, a minute).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/ab_mem.h"
#include "schedules/sched_int.h"

#define SCHED_RR_MAX_COUNT 100000
#define SCHED_RR_BUDGET 400000L      /* periods stepped per query */
#define SCHED_RR_EXPAND_BUDGET 4000000L
#define YEAR_SECS (366 * (int64_t)SCHED_DAY)

struct sched_rr {
    struct icalrecurrencetype rule; /* COUNT and UNTIL cleared: ours */
    int count;                      /* COUNT, 0 if none */
    sched_lt dtstart;
    sched_lt until; /* inclusive; SCHED_LT_MAX if none */
    sched_lt *occ;  /* COUNT rules: every occurrence */
    size_t nocc;
    struct sched_rr *probe; /* sub-daily rules with day filters */
    short setpos[ICAL_BY_SETPOS_SIZE]; /* BYSETPOS we apply (see top) */
    int nsetpos;
};

/* ---- parsing with messages that name the part at fault ------------------ */

static const char *const known_parts[] = {
    "FREQ",       "UNTIL",     "COUNT",    "INTERVAL", "BYSECOND",
    "BYMINUTE",   "BYHOUR",    "BYDAY",    "BYMONTHDAY", "BYYEARDAY",
    "BYWEEKNO",   "BYMONTH",   "BYSETPOS", "WKST",
};

static const char *const freqs[] = {"SECONDLY", "MINUTELY", "HOURLY", "DAILY",
                                    "WEEKLY",   "MONTHLY",  "YEARLY"};

static int has_by(const short *a)
{
    return a[0] != ICAL_RECURRENCE_ARRAY_MAX;
}

static struct icalrecurrencetype ical_parse(const char *s, int *ok)
{
    icalerror_clear_errno();
    struct icalrecurrencetype r = icalrecurrencetype_from_string(s);
    *ok = r.freq != ICAL_NO_RECURRENCE && icalerrno == ICAL_NO_ERROR;
    icalerror_clear_errno();
    return r;
}

/* Our own pass over the parts of buf, before libical's, so that the
 * message can name the part at fault: each is a known NAME=VALUE.  OUT
 * *freq (NULL when there is no FREQ) and *freq_len, its value. */
static enum ab_err check_parts(const char *buf, const char **freq, size_t *freq_len,
                               ab_errmsg *em)
{
    for (const char *p = buf; *p;) {
        size_t len = strcspn(p, ";");
        const char *eq = memchr(p, '=', len);
        if (len > 0) {
            size_t kl = eq ? (size_t)(eq - p) : len;
            int known = 0;
            for (size_t i = 0; i < sizeof known_parts / sizeof *known_parts;
                 i++)
                if (strlen(known_parts[i]) == kl &&
                    strncasecmp(p, known_parts[i], kl) == 0)
                    known = 1;
            if (!eq || !known)
                return ab_fail(em, AB_EPARSE,
                               "rrule \"%s\": \"%.*s\" is not a rule part "
                               "(NAME=VALUE)",
                               buf, (int)len, p);
            if (kl == 4 && strncasecmp(p, "FREQ", 4) == 0) {
                *freq = eq + 1;
                *freq_len = len - kl - 1;
            }
        }
        p += len;
        if (*p == ';')
            p++;
    }
    return AB_OK;
}

/* libical refused buf as a whole: find the part it refuses on its own
 * (each tried after FREQ, whose index in freqs is fi). */
static enum ab_err refused_part(const char *buf, int fi, ab_errmsg *em)
{
    char part[1024];
    int ok;
    for (const char *p = buf; *p;) {
        size_t len = strcspn(p, ";");
        snprintf(part, sizeof part, "FREQ=%s;%.*s", freqs[fi], (int)len, p);
        (void)ical_parse(part, &ok);
        if (len > 0 && !ok && strncasecmp(p, "FREQ=", 5) != 0)
            return ab_fail(em, AB_EPARSE, "rrule \"%s\": %.*s is invalid",
                           buf, (int)len, p);
        p += len;
        if (*p == ';')
            p++;
    }
    return ab_fail(em, AB_EPARSE,
                   "rrule \"%s\": invalid combination of parts", buf);
}

/* What libical reads but we refuse: an INTERVAL out of range or one it
 * would get wrong, a COUNT too large to expand. */
static enum ab_err check_limits(const char *buf, int fi,
                                const struct icalrecurrencetype *r, ab_errmsg *em)
{
    if (r->interval < 1 || r->interval > 1000)
        return ab_fail(em, AB_ERANGE, "rrule \"%s\": INTERVAL must be 1-1000",
                       buf);
    /* libical 3.0 loses the INTERVAL's phase when it skips hours that
     * BYHOUR rules out, unless the interval divides the hour (MINUTELY) or
     * the day (HOURLY); such rules would fire at the wrong times. */
    if (r->interval > 1 && has_by(r->by_hour) &&
        ((r->freq == ICAL_MINUTELY_RECURRENCE && 60 % r->interval != 0) ||
         (r->freq == ICAL_HOURLY_RECURRENCE && 24 % r->interval != 0)))
        return ab_fail(em, AB_EINVAL,
                       "rrule \"%s\": INTERVAL=%d with FREQ=%s and BYHOUR is "
                       "not supported (the interval must divide %s)",
                       buf, r->interval, freqs[fi],
                       fi == 1 ? "60 minutes" : "24 hours");
    if (r->count > SCHED_RR_MAX_COUNT)
        return ab_fail(em, AB_ERANGE, "rrule \"%s\": COUNT above %d", buf,
                       SCHED_RR_MAX_COUNT);
    return AB_OK;
}

enum ab_err sched_rr_parse(const char *text, struct icalrecurrencetype *rule,
                           ab_errmsg *em)
{
    char buf[1024];
    const char *freq = NULL;
    size_t freq_len = 0;
    if (!text)
        return ab_fail(em, AB_EINVAL, "rrule: missing");
    sched_ical_init();
    while (isspace((unsigned char)*text))
        text++;
    if (strncasecmp(text, "RRULE:", 6) == 0)
        text += 6;
    size_t n = strlen(text);
    while (n > 0 && isspace((unsigned char)text[n - 1]))
        n--;
    if (n == 0)
        return ab_fail(em, AB_EPARSE, "rrule \"\": empty");
    if (n >= sizeof buf)
        return ab_fail(em, AB_EPARSE, "rrule \"%.40s...\": too long", text);
    memcpy(buf, text, n);
    buf[n] = '\0';
    enum ab_err e = check_parts(buf, &freq, &freq_len, em);
    if (e != AB_OK)
        return e;
    if (!freq)
        return ab_fail(em, AB_EPARSE, "rrule \"%s\": FREQ is required", buf);
    int fi = -1;
    for (int i = 0; i < 7; i++)
        if (strlen(freqs[i]) == freq_len &&
            strncasecmp(freq, freqs[i], freq_len) == 0)
            fi = i;
    if (fi < 0)
        return ab_fail(em, AB_EPARSE, "rrule \"%s\": unknown FREQ", buf);
    if (fi == 0)
        return ab_fail(em, AB_EINVAL,
                       "rrule \"%s\": FREQ=SECONDLY is not supported (use "
                       "an interval)",
                       buf);
    int ok;
    struct icalrecurrencetype r = ical_parse(buf, &ok);
    if (!ok)
        return refused_part(buf, fi, em);
    if ((e = check_limits(buf, fi, &r, em)) != AB_OK)
        return e;
    *rule = r;
    return AB_OK;
}

/* ---- aligned starts -------------------------------------------------------- */

static int64_t period_secs(const struct icalrecurrencetype *r)
{
    int64_t i = r->interval > 0 ? r->interval : 1;
    switch (r->freq) {
    case ICAL_MINUTELY_RECURRENCE: return 60 * i;
    case ICAL_HOURLY_RECURRENCE: return 3600 * i;
    case ICAL_DAILY_RECURRENCE: return SCHED_DAY * i;
    case ICAL_WEEKLY_RECURRENCE: return SCHED_WEEK * i;
    case ICAL_MONTHLY_RECURRENCE: return 31 * SCHED_DAY * i;
    default: return YEAR_SECS * i;
    }
}

/*
 * The latest start <= x that is DTSTART plus whole multiples of INTERVAL
 * periods and a real date (Jan 31 + 1 month is no date: step back).
 */
static sched_lt aligned_start(const struct sched_rr *rr, sched_lt x)
{
    const struct icalrecurrencetype *r = &rr->rule;
    int64_t iv = r->interval > 0 ? r->interval : 1;
    if (x <= rr->dtstart)
        return rr->dtstart;
    if (r->freq != ICAL_MONTHLY_RECURRENCE && r->freq != ICAL_YEARLY_RECURRENCE) {
        int64_t p = period_secs(r);
        return rr->dtstart + sched_fdiv(x - rr->dtstart, p) * p;
    }
    struct sched_tm d, t;
    sched_lt_split(rr->dtstart, &d);
    sched_lt_split(x, &t);
    int64_t months = r->freq == ICAL_MONTHLY_RECURRENCE ? iv : 12 * iv;
    int64_t m0 = d.year * 12 + (d.mon - 1);
    int64_t k = sched_fdiv(t.year * 12 + (t.mon - 1) - m0, months);
    int64_t tod = d.hour * 3600 + d.min * 60 + d.sec;
    for (int guard = 0; k > 0 && guard < 500; k--, guard++) {
        int64_t m = m0 + k * months;
        int64_t y = sched_fdiv(m, 12);
        unsigned mon = (unsigned)(m - y * 12) + 1;
        if ((int)d.mday > sched_days_in_month(y, mon))
            continue;
        sched_lt c = ab_days_from_civil(y, mon, d.mday) * SCHED_DAY + tod;
        if (c <= x)
            return c;
    }
    return rr->dtstart;
}

/* ---- the bounded search ----------------------------------------------------- */

/* Called for each occurrence in order; returns 0 to stop. */

static enum ab_err scan(const struct sched_rr *rr, sched_lt after,
                        sched_lt bound, sched_emit_fn emit, void *ctx, long *budget);

struct first_ctx {
    sched_lt found;
};

static int take_first(void *ctx, sched_lt l)
{
    ((struct first_ctx *)ctx)->found = l;
    return 0;
}

/*
 * run_chunk for a rule with our BYSETPOS: whole periods around (lo, hi].
 * The iterator starts a full INTERVAL before the period that holds lo
 * (so every period it reports on is complete, and INTERVAL keeps its
 * phase), at the period's first instant; sched_rr_new() filled in the
 * parts a rule takes from DTSTART, so that start changes nothing else.
 */
static enum ab_err run_chunk_setpos(const struct sched_rr *rr, sched_lt lo,
                                    sched_lt hi, sched_emit_fn emit, void *ctx,
                                    long *budget)
{
    const struct icalrecurrencetype *rule = &rr->rule;
    sched_lt ds = aligned_start(rr, lo + 1);
    sched_lt start = sched_period_floor(rule, ds) - period_secs(rule);
    sched_lt end = sched_period_floor(rule, hi) + sched_period_unit(rule) - 1;
    *budget -= (long)((end - start) / period_secs(rule) + 1);
    if (*budget < 0)
        return AB_ERANGE;
    struct icalrecurrencetype r = *rule;
    r.until = sched_lt_to_ical(end);
    icalrecur_iterator *it = icalrecur_iterator_new(r, sched_lt_to_ical(start));
    if (!it)
        return AB_EINVAL;
    struct sched_setpos c = {.pos = rr->setpos, .npos = rr->nsetpos,
                             .dtstart = rr->dtstart, .lo = lo, .hi = hi, .last = lo,
                             .emit = emit, .ctx = ctx};
    sched_lt cur = 0, prev = start - 1;
    for (;;) {
        struct icaltimetype o = icalrecur_iterator_next(it);
        if (icaltime_is_null_time(o))
            break;
        sched_lt l = sched_lt_from_ical(o);
        if (l > end)
            break;
        if (l <= prev)
            continue;
        prev = l;
        sched_lt p = sched_period_floor(rule, l);
        if (c.n && p != cur) {
            sched_setpos_flush(&c);
            if (c.stop)
                break;
        }
        cur = p;
        sched_setpos_add(&c, l);
        if (c.oom)
            break;
    }
    if (!c.stop && !c.oom)
        sched_setpos_flush(&c);
    icalrecur_iterator_free(it);
    ab_free(c.set);
    if (c.oom)
        return AB_ENOMEM;
    return c.stop ? AB_OK : AB_ENOTFOUND;
}

/* Occurrences in (lo, hi] from one iterator.  AB_OK if emit said stop. */
static enum ab_err run_chunk(const struct sched_rr *rr, sched_lt lo,
                             sched_lt hi, sched_emit_fn emit, void *ctx,
                             long *budget)
{
    /* libical 3.0 drops the rest of the first hour or day of a sub-daily
     * rule when the start does not match BYHOUR/BYMINUTE; start a day
     * early so that whatever it drops lies before lo. */
    if (rr->nsetpos)
        return run_chunk_setpos(rr, lo, hi, emit, ctx, budget);
    int64_t margin = period_secs(&rr->rule) < SCHED_DAY ? SCHED_DAY + 3600 : 0;
    sched_lt ds = aligned_start(rr, lo + 1 - margin);
    *budget -= (long)((hi - ds) / period_secs(&rr->rule) + 1);
    if (*budget < 0)
        return AB_ERANGE;
    struct icalrecurrencetype r = rr->rule;
    r.until = sched_lt_to_ical(hi);
    icalrecur_iterator *it = icalrecur_iterator_new(r, sched_lt_to_ical(ds));
    if (!it)
        return AB_EINVAL; /* libical finds the rule impossible */
    enum ab_err rc = AB_ENOTFOUND;
    sched_lt last = lo;
    for (;;) {
        struct icaltimetype o = icalrecur_iterator_next(it);
        if (icaltime_is_null_time(o))
            break;
        sched_lt l = sched_lt_from_ical(o);
        if (l > hi)
            break;
        if (l <= last)
            continue;
        last = l;
        if (!emit(ctx, l)) {
            rc = AB_OK;
            break;
        }
    }
    icalrecur_iterator_free(it);
    return rc;
}

static enum ab_err scan(const struct sched_rr *rr, sched_lt after,
                        sched_lt bound, sched_emit_fn emit, void *ctx, long *budget)
{
    if (bound > rr->until)
        bound = rr->until;
    if (after < rr->dtstart - 1)
        after = rr->dtstart - 1;
    int64_t p = period_secs(&rr->rule);
    int64_t span = 2 * p, cap = 2 * (p > YEAR_SECS ? p : YEAR_SECS);
    sched_lt lo = after;
    while (lo < bound) {
        sched_lt hi;
        if (rr->probe) {
            /* Next candidate day from the probe; search that day only. */
            sched_lt day = sched_fdiv(lo + 1, SCHED_DAY) * SCHED_DAY;
            struct first_ctx fc;
            enum ab_err rc = scan(rr->probe, day - 1, bound, take_first, &fc,
                                  budget);
            if (rc != AB_OK)
                return rc;
            if (fc.found > day)
                lo = fc.found - 1;
            hi = fc.found + SCHED_DAY - 1;
        } else {
            hi = bound - lo > span ? lo + span : bound;
            span = span * 2 > cap ? cap : span * 2;
        }
        if (hi > bound)
            hi = bound;
        enum ab_err rc = run_chunk(rr, lo, hi, emit, ctx, budget);
        if (rc != AB_ENOTFOUND)
            return rc;
        lo = hi;
    }
    return AB_ENOTFOUND;
}

/* ---- construction ------------------------------------------------------------ */

/* A DAILY rule holding only the day filters of a sub-daily rule. */
static int make_probe(const struct sched_rr *rr, struct sched_rr **out)
{
    const struct icalrecurrencetype *r = &rr->rule;
    *out = NULL;
    if (r->freq != ICAL_HOURLY_RECURRENCE && r->freq != ICAL_MINUTELY_RECURRENCE)
        return 1;
    if (!has_by(r->by_month) && !has_by(r->by_month_day) && !has_by(r->by_day))
        return 1;
    for (int i = 0; has_by(r->by_day + i) && i < ICAL_BY_DAY_SIZE; i++)
        if (icalrecurrencetype_day_position(r->by_day[i]) != 0)
            return 1; /* not a plain weekday: no probe, just slower */
    struct sched_rr *pr = ab_calloc(1, sizeof *pr);
    if (!pr)
        return 0;
    icalrecurrencetype_clear(&pr->rule);
    pr->rule.freq = ICAL_DAILY_RECURRENCE;
    pr->rule.interval = 1;
    pr->rule.week_start = r->week_start;
    memcpy(pr->rule.by_month, r->by_month, sizeof r->by_month);
    memcpy(pr->rule.by_month_day, r->by_month_day, sizeof r->by_month_day);
    memcpy(pr->rule.by_day, r->by_day, sizeof r->by_day);
    pr->dtstart = sched_fdiv(rr->dtstart, SCHED_DAY) * SCHED_DAY;
    pr->until = rr->until;
    *out = pr;
    return 1;
}

struct collect_ctx {
    struct sched_rr *rr;
    size_t cap;
    int oom;
};

static int collect(void *ctx, sched_lt l)
{
    struct collect_ctx *c = ctx;
    struct sched_rr *rr = c->rr;
    if (rr->nocc == c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 64;
        sched_lt *nv = ab_realloc(rr->occ, nc * sizeof *nv);
        if (!nv) {
            c->oom = 1;
            return 0;
        }
        rr->occ = nv;
        c->cap = nc;
    }
    rr->occ[rr->nocc++] = l;
    return rr->nocc < (size_t)rr->count;
}

/*
 * For a rule finer than MONTHLY with BYSETPOS: move the positions out of
 * the rule (libical would ignore them) and spell out the parts the rule
 * takes from DTSTART (RFC 5545 3.3.10: time of day, and for WEEKLY the
 * weekday), because run_chunk_setpos() starts its iterator elsewhere.
 */
static void take_setpos(struct sched_rr *rr)
{
    struct icalrecurrencetype *r = &rr->rule;
    if (r->freq == ICAL_MONTHLY_RECURRENCE || r->freq == ICAL_YEARLY_RECURRENCE ||
        r->freq == ICAL_SECONDLY_RECURRENCE || !has_by(r->by_set_pos))
        return;
    int n = 0;
    while (n < ICAL_BY_SETPOS_SIZE && r->by_set_pos[n] != ICAL_RECURRENCE_ARRAY_MAX)
        n++;
    memcpy(rr->setpos, r->by_set_pos, (size_t)n * sizeof *r->by_set_pos);
    rr->nsetpos = n;
    r->by_set_pos[0] = ICAL_RECURRENCE_ARRAY_MAX;
    struct sched_tm t;
    sched_lt_split(rr->dtstart, &t);
    if (!has_by(r->by_second)) {
        r->by_second[0] = (short)t.sec;
        r->by_second[1] = ICAL_RECURRENCE_ARRAY_MAX;
    }
    if (r->freq != ICAL_MINUTELY_RECURRENCE && !has_by(r->by_minute)) {
        r->by_minute[0] = (short)t.min;
        r->by_minute[1] = ICAL_RECURRENCE_ARRAY_MAX;
    }
    if ((r->freq == ICAL_DAILY_RECURRENCE || r->freq == ICAL_WEEKLY_RECURRENCE) &&
        !has_by(r->by_hour)) {
        r->by_hour[0] = (short)t.hour;
        r->by_hour[1] = ICAL_RECURRENCE_ARRAY_MAX;
    }
    if (r->freq == ICAL_WEEKLY_RECURRENCE && !has_by(r->by_day)) {
        int64_t d = sched_fdiv(rr->dtstart, SCHED_DAY);
        r->by_day[0] = (short)sched_ical_weekday(d);
        r->by_day[1] = ICAL_RECURRENCE_ARRAY_MAX;
    }
}

/*
 * AB_OK if the rule ever occurs.  libical ignores UNTIL while it skips
 * months and years that cannot match, so for MONTHLY/YEARLY one unbounded
 * iterator is the cheapest way to learn the answer (it stops at libical's
 * year limit); finer rules are searched in bounded chunks.
 */
static enum ab_err satisfiable(const struct sched_rr *rr)
{
    const struct icalrecurrencetype *r = &rr->rule;
    if (r->freq == ICAL_MONTHLY_RECURRENCE || r->freq == ICAL_YEARLY_RECURRENCE) {
        icalrecur_iterator *it =
            icalrecur_iterator_new(*r, sched_lt_to_ical(rr->dtstart));
        if (!it)
            return AB_EINVAL;
        struct icaltimetype o = icalrecur_iterator_next(it);
        icalrecur_iterator_free(it);
        return icaltime_is_null_time(o) ? AB_ENOTFOUND : AB_OK;
    }
    struct first_ctx fc;
    long budget = SCHED_RR_BUDGET;
    return scan(rr, rr->dtstart - 1, rr->dtstart + 30 * YEAR_SECS, take_first,
                &fc, &budget);
}

enum ab_err sched_rr_new(const struct icalrecurrencetype *rule,
                         sched_lt dtstart, const sched_zone *zone,
                         const char *what, struct sched_rr **out,
                         ab_errmsg *em)
{
    enum ab_err rc = AB_ENOMEM;
    struct sched_rr *rr = ab_calloc(1, sizeof *rr);
    if (!rr)
        goto out;
    rr->rule = *rule;
    rr->count = rule->count;
    rr->dtstart = dtstart;
    rr->until = SCHED_LT_MAX;
    sched_lt until = SCHED_LT_MAX;
    if (!icaltime_is_null_time(rule->until)) {
        struct icaltimetype u = rule->until;
        if (u.is_date)
            until = sched_lt_from_ical(u) + SCHED_DAY - 1;
        else if (icaltime_is_utc(u))
            until = sched_zone_local(zone, sched_lt_from_ical(u));
        else
            until = sched_lt_from_ical(u);
    }
    rr->rule.count = 0;
    rr->rule.until = icaltime_null_time();
    take_setpos(rr);
    if (!make_probe(rr, &rr->probe))
        goto out;

    /* Is the pattern satisfiable at all?  Ask once, here, with UNTIL
     * still lifted, so that queries never chase a rule that cannot match. */
    rc = satisfiable(rr);
    if (rc == AB_ENOTFOUND || rc == AB_EINVAL) {
        rc = ab_fail(em, AB_EINVAL,
                     "%s: never occurs (no occurrence within 30 years of "
                     "DTSTART)",
                     what);
        goto out;
    }
    if (rc == AB_ERANGE) {
        rc = ab_fail(em, AB_ERANGE,
                     "%s: occurrences are too rare for its FREQ; use a "
                     "coarser FREQ with BYHOUR/BYMINUTE",
                     what);
        goto out;
    }
    rr->until = until;
    if (rr->probe)
        rr->probe->until = until;
    if (rr->count > 0) {
        struct collect_ctx cc = {rr, 0, 0};
        long budget = SCHED_RR_EXPAND_BUDGET;
        rc = scan(rr, dtstart - 1, dtstart + 200 * YEAR_SECS, collect, &cc,
                  &budget);
        if (cc.oom) {
            rc = AB_ENOMEM;
            goto out;
        }
        if (rc == AB_ERANGE) {
            rc = ab_fail(em, AB_ERANGE, "%s: COUNT too costly to expand", what);
            goto out;
        }
    }
    *out = rr;
    rr = NULL;
    rc = AB_OK;
out:
    if (rc == AB_ENOMEM)
        ab_fail(em, AB_ENOMEM, "%s: out of memory", what);
    sched_rr_free(rr);
    return rc;
}

void sched_rr_free(struct sched_rr *rr)
{
    if (!rr)
        return;
    sched_rr_free(rr->probe);
    ab_free(rr->occ);
    ab_free(rr);
}

sched_lt sched_rr_dtstart(const struct sched_rr *rr)
{
    return rr->dtstart;
}

enum ab_err sched_rr_next(const struct sched_rr *rr, sched_lt after,
                          sched_lt bound, sched_lt *out)
{
    if (rr->count > 0) {
        size_t lo = 0, hi = rr->nocc;
        while (lo < hi) {
            size_t mid = lo + (hi - lo) / 2;
            if (rr->occ[mid] <= after)
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo == rr->nocc || rr->occ[lo] > bound)
            return AB_ENOTFOUND;
        *out = rr->occ[lo];
        return AB_OK;
    }
    struct first_ctx fc;
    long budget = SCHED_RR_BUDGET;
    enum ab_err rc = scan(rr, after, bound, take_first, &fc, &budget);
    if (rc == AB_OK)
        *out = fc.found;
    return rc;
}

enum ab_err sched_rrule_check(const char *rrule, ab_errmsg *em)
{
    struct icalrecurrencetype r;
    enum ab_err rc = sched_rr_parse(rrule, &r, em);
    if (rc != AB_OK)
        return rc;
    struct sched_rr *rr = NULL;
    rc = sched_rr_new(&r, sched_lt_make(2000, 1, 1, 0, 0, 0), NULL, "rrule",
                      &rr, em);
    if (rc != AB_OK) {
        /* Put the rule text in the message, as the parser does. */
        char detail[sizeof em->text];
        if (em) {
            memcpy(detail, em->text, sizeof detail);
            const char *d = strncmp(detail, "rrule: ", 7) == 0 ? detail + 7
                                                                : detail;
            ab_fail(em, rc, "rrule \"%.200s\": %s", rrule, d);
        }
    }
    sched_rr_free(rr);
    return rc;
}
