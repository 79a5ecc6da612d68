/*
 * sched.c - a schedule: zone + weekly window + one fire rule + EXDATEs +
 * maintenance calendars, and the two questions the engine asks of it:
 * "is T allowed, and why" and "what is the next fire time after T".
 *
 * Fire rules produce wall-clock "slots" (sched_lt).  Turning slots into
 * instants is done here, walking the zone's segments of constant UTC
 * offset, because that is where DST policy lives (README.md):
 *   - a slot in a DST gap fires at the first instant after the gap;
 *   - a slot in a DST fold fires once, at its first occurrence, except for
 *     interval-like rules (every < 1 day, cron with hour field '*'), which
 *     fire at both occurrences so that their cadence has no hole;
 *   - blocked fire times are skipped, or deferred to the next instant the
 *     window allows; fire times inside maintenance are always dropped.
 */
#include <stdio.h>
#include <string.h>

#include "common/ab_mem.h"
#include "schedules/sched_int.h"

enum exkind { EX_DATE, EX_LOCAL, EX_INSTANT };

struct exdate {
    enum exkind kind;
    int64_t v; /* local day number, sched_lt or ab_time */
};

struct sched {
    const sched_zone *zone;
    sched_window *win;
    enum sched_rule kind;
    /* RRULE: kept as parsed, rebuilt when the zone changes (DTSTART and
     * UNTIL given as instants read differently in another zone). */
    struct icalrecurrencetype rule;
    char *rule_text;
    int64_t dtstart;
    int dtstart_instant;
    struct sched_rr *rr;
    struct sched_cron cron;
    int64_t every;
    struct exdate *ex;
    size_t nex;
    enum sched_on_blocked on_blocked;
    sched_calendar **cals;
    size_t ncals;
};

/* Intervals are aligned to this local time, a Monday midnight. */
#define EVERY_ANCHOR ((sched_lt)946857600) /* 2000-01-03T00:00:00 */

sched *sched_new(void)
{
    return ab_calloc(1, sizeof(sched));
}

void sched_free(sched *s)
{
    if (!s)
        return;
    sched_window_free(s->win);
    sched_rr_free(s->rr);
    ab_free(s->rule_text);
    ab_free(s->ex);
    for (size_t i = 0; i < s->ncals; i++)
        sched_calendar_free(s->cals[i]);
    ab_free(s->cals);
    ab_free(s);
}

static enum ab_err build_rr(const sched *s, const sched_zone *zone,
                            struct sched_rr **out, ab_errmsg *em)
{
    char what[300];
    snprintf(what, sizeof what, "rrule \"%.250s\"", s->rule_text);
    sched_lt ds = s->dtstart_instant ? sched_zone_local(zone, s->dtstart)
                                     : s->dtstart;
    return sched_rr_new(&s->rule, ds, zone, what, out, em);
}

enum ab_err sched_set_zone(sched *s, const char *zone, ab_errmsg *em)
{
    const sched_zone *z;
    enum ab_err rc = sched_zone_get(zone, &z, em);
    if (rc != AB_OK)
        return rc;
    if (s->kind == SCHED_RULE_RRULE) {
        struct sched_rr *rr;
        if ((rc = build_rr(s, z, &rr, em)) != AB_OK)
            return rc;
        sched_rr_free(s->rr);
        s->rr = rr;
    }
    s->zone = z;
    return AB_OK;
}

const char *sched_zone_name(const sched *s)
{
    return sched_zone_label(s->zone);
}

void sched_set_window(sched *s, sched_window *w)
{
    if (w)
        sched_win_ref(w);
    sched_window_free(s->win);
    s->win = w;
}

static enum ab_err one_rule(const sched *s, ab_errmsg *em)
{
    static const char *const names[] = {"", "rrule", "cron", "every"};
    if (s->kind != SCHED_RULE_NONE)
        return ab_fail(em, AB_EEXIST,
                       "schedule already has a %s rule (only one of rrule, "
                       "cron, every)",
                       names[s->kind]);
    return AB_OK;
}

enum ab_err sched_set_rrule(sched *s, const char *rrule, const char *dtstart,
                            ab_errmsg *em)
{
    enum ab_err rc;
    if ((rc = one_rule(s, em)) != AB_OK)
        return rc;
    if ((rc = sched_rr_parse(rrule, &s->rule, em)) != AB_OK)
        return rc;
    s->dtstart = sched_lt_make(2000, 1, 1, 0, 0, 0);
    s->dtstart_instant = 0;
    if (dtstart) {
        int is_date;
        if (sched_parse_when(dtstart, &s->dtstart, &s->dtstart_instant,
                             &is_date) != AB_OK ||
            s->dtstart < SCHED_TMIN || s->dtstart > SCHED_TMAX)
            return ab_fail(em, AB_EPARSE,
                           "dtstart \"%.60s\": expected YYYY-MM-DD or "
                           "YYYY-MM-DDTHH:MM:SS[Z|+HH:MM]",
                           dtstart);
    }
    if (!(s->rule_text = ab_strdup(rrule)))
        return ab_fail(em, AB_ENOMEM, "rrule: out of memory");
    if ((rc = build_rr(s, s->zone, &s->rr, em)) != AB_OK) {
        ab_free(s->rule_text);
        s->rule_text = NULL;
        return rc;
    }
    s->kind = SCHED_RULE_RRULE;
    return AB_OK;
}

enum ab_err sched_set_cron(sched *s, const char *expr, ab_errmsg *em)
{
    enum ab_err rc;
    if ((rc = one_rule(s, em)) != AB_OK)
        return rc;
    if ((rc = sched_cron_parse(expr, &s->cron, em)) != AB_OK)
        return rc;
    s->kind = SCHED_RULE_CRON;
    return AB_OK;
}

enum ab_err sched_set_every(sched *s, int64_t seconds, ab_errmsg *em)
{
    enum ab_err rc;
    if ((rc = one_rule(s, em)) != AB_OK)
        return rc;
    if (seconds < 1 || seconds > 366 * (int64_t)SCHED_DAY)
        return ab_fail(em, AB_ERANGE,
                       "every %lld s: must be between 1 s and 366 days",
                       (long long)seconds);
    s->every = seconds;
    s->kind = SCHED_RULE_EVERY;
    return AB_OK;
}

enum ab_err sched_add_exdate(sched *s, const char *when, ab_errmsg *em)
{
    int64_t v;
    int inst, is_date;
    if (sched_parse_when(when, &v, &inst, &is_date) != AB_OK)
        return ab_fail(em, AB_EPARSE,
                       "exdate \"%.60s\": expected YYYY-MM-DD or "
                       "YYYY-MM-DDTHH:MM:SS[Z|+HH:MM]",
                       when ? when : "");
    struct exdate *nv = ab_realloc(s->ex, (s->nex + 1) * sizeof *nv);
    if (!nv)
        return ab_fail(em, AB_ENOMEM, "exdate: out of memory");
    s->ex = nv;
    s->ex[s->nex].kind = is_date ? EX_DATE : inst ? EX_INSTANT : EX_LOCAL;
    s->ex[s->nex].v = is_date ? sched_fdiv(v, SCHED_DAY) : v;
    s->nex++;
    return AB_OK;
}

void sched_set_on_blocked(sched *s, enum sched_on_blocked how)
{
    s->on_blocked = how == SCHED_DEFER ? SCHED_DEFER : SCHED_SKIP;
}

enum ab_err sched_add_maintenance(sched *s, sched_calendar *cal)
{
    if (!cal)
        return AB_OK;
    sched_calendar **nv = ab_realloc(s->cals, (s->ncals + 1) * sizeof *nv);
    if (!nv)
        return AB_ENOMEM;
    sched_cal_ref(cal);
    s->cals = nv;
    s->cals[s->ncals++] = cal;
    return AB_OK;
}

enum sched_rule sched_rule_kind(const sched *s)
{
    return s->kind;
}

/* ---- slots: the rule on the wall clock --------------------------------- */

/* Smallest slot >= lmin and <= bound. */
static enum ab_err slot_next(const sched *s, sched_lt lmin, sched_lt bound,
                             sched_lt *out)
{
    switch (s->kind) {
    case SCHED_RULE_EVERY: {
        sched_lt k = sched_fdiv(lmin - EVERY_ANCHOR + s->every - 1, s->every);
        *out = EVERY_ANCHOR + k * s->every;
        return *out <= bound ? AB_OK : AB_ENOTFOUND;
    }
    case SCHED_RULE_CRON:
        return sched_cron_next(&s->cron, lmin, bound, out) ? AB_OK
                                                           : AB_ENOTFOUND;
    case SCHED_RULE_RRULE:
        return sched_rr_next(s->rr, lmin - 1, bound, out);
    default:
        return AB_ENOTFOUND;
    }
}

/* Interval-like rules fire at both occurrences of a repeated hour. */
static int fold_both(const sched *s)
{
    return (s->kind == SCHED_RULE_EVERY && s->every < SCHED_DAY) ||
           (s->kind == SCHED_RULE_CRON && s->cron.hour_star);
}

/* First raw fire instant > t and <= limit, before EXDATEs and windows. */
static enum ab_err raw_next_any(const sched *s, ab_time t, ab_time limit,
                                ab_time *out)
{
    int both = fold_both(s);
    struct sched_seg g;
    sched_zone_seg_at(s->zone, t + 1, &g);
    sched_lt lmin = t + 1 + g.off;
    if (g.start == t + 1 && g.prev_off < g.off) {
        /* t is the last second before a spring-forward gap: a slot whose
         * wall time the gap skips fires at the gap's end, which is t + 1.
         * Starting from t + 1's own wall time would step over the gap's
         * wall times and lose the day (found by an independent oracle:
         * "30 2 * * *" in Berlin from 2026-03-29T00:59:59Z gave 03-30). */
        sched_lt S;
        if (slot_next(s, g.start + g.prev_off, lmin - 1, &S) == AB_OK) {
            if (g.start > limit)
                return AB_ENOTFOUND;
            *out = g.start;
            return AB_OK;
        }
    }
    if (!both && g.start != INT64_MIN && g.prev_off > g.off) {
        /* In a fold's second pass: those wall times have been seen. */
        sched_lt seen = g.start + g.prev_off;
        if (lmin < seen)
            lmin = seen;
    }
    for (;;) {
        sched_lt S;
        enum ab_err rc = slot_next(s, lmin, limit + g.off + SCHED_DAY, &S);
        if (rc == AB_ERANGE)
            return rc;
        if (rc == AB_OK) {
            ab_time f = S - g.off;
            if (f < g.end) {
                if (f > limit)
                    return AB_ENOTFOUND;
                *out = f;
                return AB_OK;
            }
            if (g.next_off > g.off && S < g.end + g.next_off) {
                /* The slot's wall time is skipped by a DST gap. */
                if (g.end > limit)
                    return AB_ENOTFOUND;
                *out = g.end;
                return AB_OK;
            }
        } else if (g.end == INT64_MAX || g.end > limit) {
            return AB_ENOTFOUND;
        }
        if (g.end > limit)
            return AB_ENOTFOUND;
        sched_lt end_local = g.end + g.off;
        if (!sched_zone_seg_next(s->zone, &g))
            return AB_ENOTFOUND;
        lmin = g.start + g.off;
        if (!both && g.off < g.prev_off)
            lmin = end_local; /* skip the repeated wall times */
    }
}

static int excluded(const sched *s, ab_time f)
{
    if (s->nex == 0)
        return 0;
    sched_lt l = sched_zone_local(s->zone, f);
    for (size_t i = 0; i < s->nex; i++) {
        const struct exdate *e = &s->ex[i];
        if ((e->kind == EX_DATE && sched_fdiv(l, SCHED_DAY) == e->v) ||
            (e->kind == EX_LOCAL && l == e->v) ||
            (e->kind == EX_INSTANT && f == e->v))
            return 1;
    }
    return 0;
}

static enum ab_err raw_next(const sched *s, ab_time t, ab_time limit,
                            ab_time *out)
{
    for (;;) {
        enum ab_err rc = raw_next_any(s, t, limit, out);
        if (rc != AB_OK || !excluded(s, *out))
            return rc;
        t = *out;
    }
}

/* ---- windows and maintenance on instants ------------------------------- */

static int win_ok(const sched *s, ab_time t)
{
    return !s->win || sched_win_allows(s->win, sched_zone_local(s->zone, t));
}

/* First instant >= x the window allows, no later than limit. */
static enum ab_err win_next(const sched *s, ab_time x, ab_time limit,
                            ab_time *out)
{
    if (!s->win) {
        *out = x;
        return x <= limit ? AB_OK : AB_ENOTFOUND;
    }
    struct sched_seg g;
    sched_zone_seg_at(s->zone, x, &g);
    for (;;) {
        sched_lt A;
        if (!sched_win_next(s->win, x + g.off, &A))
            return AB_ENOTFOUND;
        ab_time a = A - g.off;
        if (a < g.end) {
            if (a > limit)
                return AB_ENOTFOUND;
            *out = a;
            return AB_OK;
        }
        if (g.end > limit || !sched_zone_seg_next(s->zone, &g))
            return AB_ENOTFOUND;
        x = g.start;
    }
}

/* Last instant <= x the window allows, no earlier than low. */
static enum ab_err win_prev(const sched *s, ab_time x, ab_time low,
                            ab_time *out)
{
    struct sched_seg g;
    sched_zone_seg_at(s->zone, x, &g);
    for (;;) {
        sched_lt A;
        if (!sched_win_prev(s->win, x + g.off, &A))
            return AB_ENOTFOUND;
        ab_time a = A - g.off;
        if (a >= g.start) {
            if (a < low)
                return AB_ENOTFOUND;
            *out = a;
            return AB_OK;
        }
        if (g.start < low || !sched_zone_seg_prev(s->zone, &g))
            return AB_ENOTFOUND;
        x = g.end - 1;
    }
}

static int maint(const sched *s, ab_time t, struct sched_occ *occ)
{
    for (size_t i = 0; i < s->ncals; i++)
        if (sched_cal_covering(s->cals[i], t, s->zone, occ))
            return 1;
    return 0;
}

int sched_in_maintenance(const sched *s, ab_time t, struct sched_maint *m)
{
    struct sched_occ occ;
    if (t < SCHED_TMIN || t > SCHED_TMAX || !maint(s, t, &occ))
        return 0;
    if (m) {
        snprintf(m->summary, sizeof m->summary, "%s",
                 occ.summary ? occ.summary : "");
        m->start = occ.start;
        m->end = occ.end;
    }
    return 1;
}

/* ---- the questions --------------------------------------------------------- */

enum ab_err sched_next(const sched *s, ab_time after, ab_time *next)
{
    enum ab_err rc;
    struct sched_occ occ;
    ab_time f, a;
    if (s->kind == SCHED_RULE_NONE)
        return AB_ENOTFOUND;
    if (after < SCHED_TMIN || after > SCHED_TMAX)
        return AB_ERANGE;
    ab_time limit = after + SCHED_HORIZON, t = after;

    if (s->on_blocked == SCHED_DEFER && s->win && !win_ok(s, after)) {
        /* A fire time blocked earlier in this closed stretch is still
         * owed: it runs when the window opens. */
        ab_time b;
        ab_time start = win_prev(s, after, after - SCHED_HORIZON, &b) == AB_OK
                            ? b + 1
                            : after - SCHED_HORIZON;
        rc = raw_next(s, start - 1, after, &f);
        if (rc == AB_ERANGE)
            return rc;
        if (rc == AB_OK) {
            if ((rc = win_next(s, after, limit, &a)) != AB_OK)
                return rc;
            if (!maint(s, a, &occ)) {
                *next = a;
                return AB_OK;
            }
            t = a;
        }
    }
    for (;;) {
        if ((rc = raw_next(s, t, limit, &f)) != AB_OK)
            return rc;
        if (win_ok(s, f)) {
            if (!maint(s, f, &occ)) {
                *next = f;
                return AB_OK;
            }
            /* With skip, every fire time up to the event's end is lost;
             * with defer a blocked one inside it may still run later. */
            t = s->on_blocked == SCHED_SKIP ? occ.end - 1 : f;
            continue;
        }
        if ((rc = win_next(s, f, limit, &a)) != AB_OK)
            return rc;
        if (s->on_blocked == SCHED_SKIP) {
            t = a - 1;
            continue;
        }
        if (!maint(s, a, &occ)) {
            *next = a;
            return AB_OK;
        }
        t = a;
    }
}

enum ab_err sched_next_allowed(const sched *s, ab_time after, ab_time *next)
{
    if (after < SCHED_TMIN || after > SCHED_TMAX)
        return AB_ERANGE;
    ab_time limit = after + SCHED_HORIZON, x = after + 1;
    struct sched_occ occ;
    for (;;) {
        enum ab_err rc = win_next(s, x, limit, &x);
        if (rc != AB_OK)
            return rc;
        if (!maint(s, x, &occ)) {
            *next = x;
            return AB_OK;
        }
        x = occ.end;
    }
}

static void rule_text(const struct sched_wrule *r, char *buf, size_t len)
{
    snprintf(buf, len, "%s %02d:%02d:%02d-%02d:%02d:%02d",
             sched_day_names[r->day], r->start / 3600, r->start / 60 % 60,
             r->start % 60, r->end / 3600, r->end / 60 % 60, r->end % 60);
}

int sched_allowed(const sched *s, ab_time t, struct sched_why *why)
{
    struct sched_why dummy;
    struct sched_occ occ;
    char a[AB_ISO_LEN + 8], b[AB_ISO_LEN + 8], r[64], wn[160] = "";
    if (!why)
        why = &dummy;
    if (t < SCHED_TMIN || t > SCHED_TMAX) {
        why->kind = SCHED_WHY_OUTSIDE;
        snprintf(why->text, sizeof why->text, "blocked: time out of range");
        return 0;
    }
    if (maint(s, t, &occ)) {
        why->kind = SCHED_WHY_MAINTENANCE;
        snprintf(why->text, sizeof why->text,
                 "blocked: maintenance '%.200s' %s to %s",
                 occ.summary ? occ.summary : "",
                 sched_zone_format(s->zone, occ.start, a, sizeof a),
                 sched_zone_format(s->zone, occ.end, b, sizeof b));
        return 0;
    }
    if (!s->win) {
        why->kind = SCHED_WHY_NO_WINDOW;
        snprintf(why->text, sizeof why->text, "allowed: no window");
        return 1;
    }
    if (sched_window_name(s->win)[0])
        snprintf(wn, sizeof wn, " (window '%.120s')",
                 sched_window_name(s->win));
    const struct sched_wrule *prov, *excl;
    sched_win_explain(s->win, sched_zone_local(s->zone, t), &prov, &excl);
    if (excl) {
        rule_text(excl, r, sizeof r);
        why->kind = SCHED_WHY_EXCLUSION;
        snprintf(why->text, sizeof why->text,
                 "blocked: inside exclusion %s%s", r, wn);
        return 0;
    }
    if (prov) {
        rule_text(prov, r, sizeof r);
        why->kind = SCHED_WHY_PROVISION;
        snprintf(why->text, sizeof why->text,
                 "allowed: inside provision %s%s", r, wn);
        return 1;
    }
    if (!sched_win_has_provisions(s->win)) {
        why->kind = SCHED_WHY_PROVISION;
        snprintf(why->text, sizeof why->text,
                 "allowed: no exclusion applies and the window has no "
                 "provisions%s",
                 wn);
        return 1;
    }
    why->kind = SCHED_WHY_OUTSIDE;
    snprintf(why->text, sizeof why->text, "blocked: outside every provision%s",
             wn);
    return 0;
}

char *sched_format_local(const sched *s, ab_time t, char *buf, size_t len)
{
    return sched_zone_format(s->zone, t, buf, len);
}
