/*
 * sched_zone.c - IANA time zones as tables of UTC-offset transitions, and
 * the conversions between local wall-clock time and instants (DST).
 *
 * libical gives us the zone as a VTIMEZONE (RFC 5545 3.6.5): STANDARD and
 * DAYLIGHT observances, each with DTSTART, TZOFFSETFROM/TO, RRULE and
 * RDATE.  On Debian it builds them from the system's /usr/share/zoneinfo,
 * so no network is involved.  We expand the observances ourselves into one
 * sorted array of (instant, offset) up to SCHED_ZONE_END_YEAR, because
 *   - libical's own expansion stops at a compile-time year (2035-ish) and
 *     its per-call conversions are slower than a binary search;
 *   - DST gap and fold policy must be ours (see README.md), not implicit.
 *
 * Tables for named zones are built once per process and shared read-only
 * (a mutex guards the cache and libical, whose builtin-zone loading is not
 * reentrant).  Tables built from a calendar's own VTIMEZONE belong to the
 * calendar.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ab_mem.h"
#include "schedules/sched_int.h"

/*
 * libical's process-wide set-up.  It lives here, in the lowest file that
 * uses libical, so that sched_rrule.c and sched_calendar.c call down into
 * it (sched_rrule.c already needs zones: a loop otherwise).
 */
static pthread_once_t ical_once = PTHREAD_ONCE_INIT;

static void ical_setup(void)
{
    /* A library must never abort the daemon on bad input. */
    icalerror_set_errors_are_fatal(0);
}

void sched_ical_init(void)
{
    pthread_once(&ical_once, ical_setup);
}

/* Observances are expanded up to here; the last offset holds after. */
#define SCHED_ZONE_END_YEAR 2200

struct sched_zone {
    char *name;
    int32_t first_off; /* offset before at[0] */
    size_t n;
    ab_time *at; /* ascending instants of change */
    int32_t *off; /* offset from at[i] on */
};

struct trans {
    ab_time at;
    int32_t from, to;
};

struct tvec {
    struct trans *v;
    size_t n, cap;
};

static int tvec_push(struct tvec *tv, ab_time at, int32_t from, int32_t to)
{
    if (tv->n == tv->cap) {
        size_t nc = tv->cap ? tv->cap * 2 : 64;
        struct trans *nv = ab_realloc(tv->v, nc * sizeof *nv);
        if (!nv)
            return 0;
        tv->v = nv;
        tv->cap = nc;
    }
    tv->v[tv->n++] = (struct trans){at, from, to};
    return 1;
}

static int trans_cmp(const void *a, const void *b)
{
    const struct trans *x = a, *y = b;
    return (x->at > y->at) - (x->at < y->at);
}

/* An icaltime as an instant, given the offset a floating one is read in. */
static ab_time ical_instant(struct icaltimetype t, int32_t off)
{
    sched_lt l = sched_lt_from_ical(t);
    return icaltime_is_utc(t) ? l : l - off;
}

/* Expand one STANDARD/DAYLIGHT observance into transitions. */
static int expand_observance(icalcomponent *sub, struct tvec *tv)
{
    icalproperty *p;
    p = icalcomponent_get_first_property(sub, ICAL_TZOFFSETFROM_PROPERTY);
    if (!p)
        return 1; /* malformed: ignore this observance */
    int32_t from = icalproperty_get_tzoffsetfrom(p);
    p = icalcomponent_get_first_property(sub, ICAL_TZOFFSETTO_PROPERTY);
    if (!p)
        return 1;
    int32_t to = icalproperty_get_tzoffsetto(p);
    p = icalcomponent_get_first_property(sub, ICAL_DTSTART_PROPERTY);
    if (!p)
        return 1;
    struct icaltimetype dt = icalproperty_get_dtstart(p);
    if (icaltime_is_null_time(dt))
        return 1;
    if (!tvec_push(tv, ical_instant(dt, from), from, to))
        return 0;

    for (p = icalcomponent_get_first_property(sub, ICAL_RRULE_PROPERTY); p;
         p = icalcomponent_get_next_property(sub, ICAL_RRULE_PROPERTY)) {
        struct icalrecurrencetype r = icalproperty_get_rrule(p);
        /* UNTIL is compared here, as an instant: libical would compare a
         * floating occurrence with a UTC UNTIL field by field and drop
         * the last change of zones east of Greenwich. */
        int has_until = !icaltime_is_null_time(r.until);
        ab_time until = has_until ? ical_instant(r.until, from) : 0;
        r.until = icaltime_null_time();
        dt.zone = NULL;
        icalrecur_iterator *it = icalrecur_iterator_new(r, dt);
        if (!it)
            continue;
        for (int guard = 0; guard < 4000; guard++) {
            struct icaltimetype o = icalrecur_iterator_next(it);
            if (icaltime_is_null_time(o) || o.year > SCHED_ZONE_END_YEAR)
                break;
            ab_time at = sched_lt_from_ical(o) - from;
            if (has_until && at > until)
                break;
            if (!tvec_push(tv, at, from, to)) {
                icalrecur_iterator_free(it);
                return 0;
            }
        }
        icalrecur_iterator_free(it);
    }
    for (p = icalcomponent_get_first_property(sub, ICAL_RDATE_PROPERTY); p;
         p = icalcomponent_get_next_property(sub, ICAL_RDATE_PROPERTY)) {
        struct icaldatetimeperiodtype rd = icalproperty_get_rdate(p);
        if (icaltime_is_null_time(rd.time))
            continue;
        if (!tvec_push(tv, ical_instant(rd.time, from), from, to))
            return 0;
    }
    return 1;
}

enum ab_err sched_zone_from_vtimezone(icalcomponent *vtz, const char *name,
                                      sched_zone **out, ab_errmsg *em)
{
    enum ab_err rc = AB_ENOMEM;
    struct tvec tv = {0};
    sched_zone *z = ab_calloc(1, sizeof *z);
    if (!z)
        goto out;
    z->name = ab_strdup(name ? name : "");
    if (!z->name)
        goto out;
    for (icalcomponent *c = icalcomponent_get_first_component(vtz, ICAL_ANY_COMPONENT);
         c; c = icalcomponent_get_next_component(vtz, ICAL_ANY_COMPONENT)) {
        icalcomponent_kind k = icalcomponent_isa(c);
        if (k != ICAL_XSTANDARD_COMPONENT && k != ICAL_XDAYLIGHT_COMPONENT)
            continue;
        if (!expand_observance(c, &tv))
            goto out;
    }
    if (tv.n == 0) {
        rc = ab_fail(em, AB_EPARSE,
                     "timezone \"%s\": VTIMEZONE has no usable observance",
                     z->name);
        goto out;
    }
    qsort(tv.v, tv.n, sizeof *tv.v, trans_cmp);
    z->at = ab_malloc(tv.n * sizeof *z->at);
    z->off = ab_malloc(tv.n * sizeof *z->off);
    if (!z->at || !z->off)
        goto out;
    /* Keep only real changes, so that every segment has one offset and
     * segments are as long as the zone allows. */
    z->first_off = tv.v[0].from;
    int32_t cur = z->first_off;
    for (size_t i = 0; i < tv.n; i++) {
        if (z->n > 0 && z->at[z->n - 1] == tv.v[i].at) {
            z->off[z->n - 1] = tv.v[i].to;
            cur = tv.v[i].to;
            continue;
        }
        if (tv.v[i].to == cur)
            continue;
        z->at[z->n] = tv.v[i].at;
        z->off[z->n] = tv.v[i].to;
        z->n++;
        cur = tv.v[i].to;
    }
    *out = z;
    z = NULL;
    rc = AB_OK;
out:
    if (rc == AB_ENOMEM)
        ab_fail(em, AB_ENOMEM, "timezone \"%s\": out of memory",
                name ? name : "");
    ab_free(tv.v);
    sched_zone_free(z);
    return rc;
}

void sched_zone_free(sched_zone *z)
{
    if (!z)
        return;
    ab_free(z->name);
    ab_free(z->at);
    ab_free(z->off);
    ab_free(z);
}

const char *sched_zone_label(const sched_zone *z)
{
    return z ? z->name : "UTC";
}

/* ---- the process-wide cache of named zones ------------------------------- */

struct zcache {
    sched_zone *z;
    struct zcache *next;
};

static pthread_mutex_t zmu = PTHREAD_MUTEX_INITIALIZER;
static struct zcache *zhead;

/* Area/Location names only: keeps paths such as "../x" away from libical,
 * which opens zoneinfo files by name. */
static int plausible_zone_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64 || s[0] == '/' || s[n - 1] == '/' || strstr(s, ".."))
        return 0;
    for (const char *p = s; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("/_-+", *p))
            return 0;
    return 1;
}

static int is_utc_name(const char *name)
{
    return !name || !name[0] || strcmp(name, "UTC") == 0;
}

enum ab_err sched_zone_get(const char *name, const sched_zone **out,
                           ab_errmsg *em)
{
    enum ab_err rc = AB_OK;
    if (is_utc_name(name)) {
        *out = NULL;
        return AB_OK;
    }
    if (!plausible_zone_name(name))
        return ab_fail(em, AB_EINVAL,
                       "timezone \"%.80s\": not an IANA zone name", name);
    sched_ical_init();
    pthread_mutex_lock(&zmu);
    for (struct zcache *c = zhead; c; c = c->next) {
        if (strcmp(c->z->name, name) == 0) {
            *out = c->z;
            goto out;
        }
    }
    icaltimezone *itz = icaltimezone_get_builtin_timezone(name);
    if (!itz) {
        rc = ab_fail(em, AB_ENOTFOUND, "timezone \"%s\": unknown IANA zone",
                     name);
        goto out;
    }
    icalcomponent *comp = icaltimezone_get_component(itz);
    if (itz == icaltimezone_get_utc_timezone() || !comp) {
        *out = NULL;
        goto out;
    }
    sched_zone *z = NULL;
    struct zcache *c = ab_malloc(sizeof *c);
    if (!c) {
        rc = ab_fail(em, AB_ENOMEM, "timezone \"%s\": out of memory", name);
        goto out;
    }
    rc = sched_zone_from_vtimezone(comp, name, &z, em);
    if (rc != AB_OK) {
        ab_free(c);
        goto out;
    }
    c->z = z;
    c->next = zhead;
    zhead = c;
    *out = z;
out:
    pthread_mutex_unlock(&zmu);
    return rc;
}

enum ab_err sched_zone_check(const char *zone, ab_errmsg *em)
{
    const sched_zone *z;
    return sched_zone_get(zone, &z, em);
}

void sched_cleanup(void)
{
    pthread_mutex_lock(&zmu);
    while (zhead) {
        struct zcache *c = zhead;
        zhead = c->next;
        sched_zone_free(c->z);
        ab_free(c);
    }
    icaltimezone_free_builtin_timezones();
    pthread_mutex_unlock(&zmu);
}

/* ---- lookups -------------------------------------------------------------- */

/* Index of the last change at or before t; -1 before the first. */
static long seg_index(const sched_zone *z, ab_time t)
{
    size_t lo = 0, hi = z->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (z->at[mid] <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (long)lo - 1;
}

static void seg_fill(const sched_zone *z, long i, struct sched_seg *s)
{
    s->idx = i;
    s->start = i < 0 ? INT64_MIN : z->at[i];
    s->end = (size_t)(i + 1) < z->n ? z->at[i + 1] : INT64_MAX;
    s->off = i < 0 ? z->first_off : z->off[i];
    s->prev_off = i < 0 ? s->off : (i == 0 ? z->first_off : z->off[i - 1]);
    s->next_off = (size_t)(i + 1) < z->n ? z->off[i + 1] : s->off;
}

void sched_zone_seg_at(const sched_zone *z, ab_time t, struct sched_seg *s)
{
    if (!z) {
        *s = (struct sched_seg){INT64_MIN, INT64_MAX, 0, 0, 0, -1};
        return;
    }
    seg_fill(z, seg_index(z, t), s);
}

int sched_zone_seg_next(const sched_zone *z, struct sched_seg *s)
{
    if (!z || (size_t)(s->idx + 1) >= z->n)
        return 0;
    seg_fill(z, s->idx + 1, s);
    return 1;
}

int sched_zone_seg_prev(const sched_zone *z, struct sched_seg *s)
{
    if (!z || s->idx < 0)
        return 0;
    seg_fill(z, s->idx - 1, s);
    return 1;
}

int32_t sched_zone_offset(const sched_zone *z, ab_time t)
{
    if (!z)
        return 0;
    long i = seg_index(z, t);
    return i < 0 ? z->first_off : z->off[i];
}

sched_lt sched_zone_local(const sched_zone *z, ab_time t)
{
    return t + sched_zone_offset(z, t);
}

/*
 * A local time names 0, 1 or 2 instants.  Real zones change offset at
 * most a day's worth at a time and months apart, so the answer lies in
 * the segment of the first guess or one of its neighbours.
 */
ab_time sched_zone_utc(const sched_zone *z, sched_lt l, enum sched_gap gap)
{
    if (!z)
        return l;
    struct sched_seg c[3];
    sched_zone_seg_at(z, l - sched_zone_offset(z, l), &c[1]);
    c[0] = c[1];
    int has0 = sched_zone_seg_prev(z, &c[0]);
    c[2] = c[1];
    int has2 = sched_zone_seg_next(z, &c[2]);
    int have[3] = {has0, 1, has2};
    for (int i = 0; i < 3; i++) { /* earliest first: a fold's first instant */
        ab_time t = l - c[i].off;
        if (have[i] && t >= c[i].start && t < c[i].end)
            return t;
    }
    for (int i = 0; i < 3; i++) { /* a gap: which transition skipped l? */
        const struct sched_seg *s = &c[i];
        if (have[i] && s->start != INT64_MIN && s->off > s->prev_off &&
            l >= s->start + s->prev_off && l < s->start + s->off)
            return gap == SCHED_GAP_AFTER ? s->start : l - s->prev_off;
    }
    return l - c[1].off;
}

char *sched_zone_format(const sched_zone *z, ab_time t, char *buf, size_t len)
{
    int32_t off = sched_zone_offset(z, t);
    struct sched_tm tm;
    sched_lt_split(t + off, &tm);
    char sign = off < 0 ? '-' : '+';
    int32_t a = off < 0 ? -off : off;
    if (a % 60)
        snprintf(buf, len, "%04lld-%02u-%02uT%02d:%02d:%02d%c%02d:%02d:%02d",
                 (long long)tm.year, tm.mon, tm.mday, tm.hour, tm.min, tm.sec,
                 sign, a / 3600, a / 60 % 60, a % 60);
    else
        snprintf(buf, len, "%04lld-%02u-%02uT%02d:%02d:%02d%c%02d:%02d",
                 (long long)tm.year, tm.mon, tm.mday, tm.hour, tm.min, tm.sec,
                 sign, a / 3600, a / 60 % 60);
    return buf;
}
