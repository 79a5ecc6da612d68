/*
 * sched_int.h - private to schedules/: the pieces sched.c assembles.
 *
 * Local wall-clock time is a sched_lt: seconds since 1970-01-01T00:00:00
 * *as read on the wall clock* of a zone, i.e. what the time would be if
 * that zone were UTC.  Rules (RRULE, cron, every) and windows produce and
 * test sched_lt values; sched_zone turns them into instants (ab_time) and
 * back, which is the only place DST is handled.
 */
#ifndef SCHED_INT_H
#define SCHED_INT_H

#include <stdint.h>

#include "common/ab_dl_ical.h"
#include "common/ab_err.h"
#include "common/ab_time.h"
#include "schedules/sched.h"

typedef int64_t sched_lt;

#define SCHED_LT_MIN (INT64_MIN / 4)
#define SCHED_LT_MAX (INT64_MAX / 4)
/* Instants sched_next() and friends accept: years 1800 to 9000. */
#define SCHED_TMIN ((ab_time)-5364662400LL)
#define SCHED_TMAX ((ab_time)221845392000LL)
#define SCHED_DAY 86400
#define SCHED_WEEK (7 * 86400)

static inline int64_t sched_fdiv(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        q--;
    return q;
}

static inline int64_t sched_fmod(int64_t a, int64_t b)
{
    return a - sched_fdiv(a, b) * b;
}

/* 0 = Monday .. 6 = Sunday for a local time (1970-01-01 was a Thursday). */
static inline int sched_lt_wday(sched_lt l)
{
    return (int)sched_fmod(sched_fdiv(l, SCHED_DAY) + 3, 7);
}

/* Broken-down local time. */
struct sched_tm {
    int64_t year;
    unsigned mon, mday; /* 1-based */
    int hour, min, sec;
};
void sched_lt_split(sched_lt l, struct sched_tm *tm);
sched_lt sched_lt_make(int64_t y, unsigned mon, unsigned mday, int h, int mi,
                       int s);
int sched_days_in_month(int64_t y, unsigned m);
/* Floating icaltimetype <-> local time (a DATE reads as its midnight). */
sched_lt sched_lt_from_ical(struct icaltimetype t);
struct icaltimetype sched_lt_to_ical(sched_lt l);

/*
 * Parse "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS]" (local) or with Z/offset
 * (an instant).  OUT: *v is a sched_lt for local forms, an ab_time for
 * instants; *is_instant says which; *is_date for the date-only form.
 */
enum ab_err sched_parse_when(const char *s, int64_t *v, int *is_instant,
                             int *is_date);

/* ---- zones (sched_zone.c) ------------------------------------------------ */

/* A zone's UTC offsets as a sorted table of transitions.  NULL = UTC. */
typedef struct sched_zone sched_zone;

/* How a local time that does not exist (DST gap) becomes an instant. */
enum sched_gap {
    SCHED_GAP_AFTER, /* the first valid instant after: the transition */
    SCHED_GAP_RFC,   /* RFC 5545 3.3.5: read with the offset before the gap */
};

/* A stretch of time with one UTC offset: [start, end). */
struct sched_seg {
    ab_time start, end; /* INT64_MIN / INT64_MAX at the ends of the table */
    int32_t off;
    int32_t prev_off; /* offset before start (== off for the first) */
    int32_t next_off; /* offset from end on (== off for the last) */
    long idx;         /* -1 .. n-1 */
};

/* libical's set-up (errors not fatal), once per process: call before any
 * libical use.  In sched_zone.c, the lowest file that uses libical. */
void sched_ical_init(void);
/* The shared table for an IANA name (cached for the process). */
enum ab_err sched_zone_get(const char *name, const sched_zone **out,
                           ab_errmsg *em);
/* A private table built from a VTIMEZONE (calendars); free with
 * sched_zone_free(). */
enum ab_err sched_zone_from_vtimezone(icalcomponent *vtz, const char *name,
                                      sched_zone **out, ab_errmsg *em);
void sched_zone_free(sched_zone *z);
const char *sched_zone_label(const sched_zone *z);

int32_t sched_zone_offset(const sched_zone *z, ab_time t);
sched_lt sched_zone_local(const sched_zone *z, ab_time t);
/* Local to instant; a repeated local time (fold) gives its first instant. */
ab_time sched_zone_utc(const sched_zone *z, sched_lt l, enum sched_gap gap);
void sched_zone_seg_at(const sched_zone *z, ab_time t, struct sched_seg *s);
/* The segment after / before s; 0 if there is none. */
int sched_zone_seg_next(const sched_zone *z, struct sched_seg *s);
int sched_zone_seg_prev(const sched_zone *z, struct sched_seg *s);
char *sched_zone_format(const sched_zone *z, ab_time t, char *buf, size_t len);

/* ---- windows (sched_window.c) ------------------------------------------- */

struct sched_wrule {
    int kind;             /* SCHED_PROVISION / SCHED_EXCLUSION */
    int day;              /* 0 = Monday */
    int32_t start, end;   /* seconds of day, end inclusive */
};

int sched_win_allows(const sched_window *w, sched_lt l);
/* First allowed local time >= l (1) or none at all (0). */
int sched_win_next(const sched_window *w, sched_lt l, sched_lt *out);
/* Last allowed local time <= l (1) or none at all (0). */
int sched_win_prev(const sched_window *w, sched_lt l, sched_lt *out);
/* Which rule decides l: the matching exclusion, else the provision. */
void sched_win_explain(const sched_window *w, sched_lt l,
                       const struct sched_wrule **prov,
                       const struct sched_wrule **excl);
void sched_win_ref(sched_window *w);
int sched_win_has_provisions(const sched_window *w);
extern const char *const sched_day_names[7];

/* ---- cron (sched_cron.c) ------------------------------------------------- */

struct sched_cron {
    uint64_t minute;  /* bits 0-59 */
    uint32_t hour;    /* bits 0-23 */
    uint32_t mday;    /* bits 1-31 */
    uint16_t month;   /* bits 1-12 */
    uint8_t wday;     /* bits 0-6, 0 = Sunday */
    unsigned mday_star : 1, wday_star : 1, hour_star : 1;
};

enum ab_err sched_cron_parse(const char *expr, struct sched_cron *c,
                             ab_errmsg *em);
/* First slot >= l, no later than bound. */
int sched_cron_next(const struct sched_cron *c, sched_lt l, sched_lt bound,
                    sched_lt *out);
int sched_cron_match(const struct sched_cron *c, sched_lt l);

/* ---- RRULE (sched_rrule.c) ---------------------------------------------- */

struct sched_rr;

/* Parse and validate, naming the part at fault.  OUT *rule. */
enum ab_err sched_rr_parse(const char *text, struct icalrecurrencetype *rule,
                           ab_errmsg *em);
/*
 * A rule ready to iterate from local dtstart; zone converts a UTC UNTIL
 * (NULL = UTC).  what names the rule in messages.
 */
enum ab_err sched_rr_new(const struct icalrecurrencetype *rule,
                         sched_lt dtstart, const sched_zone *zone,
                         const char *what, struct sched_rr **out,
                         ab_errmsg *em);
void sched_rr_free(struct sched_rr *rr);
/* First occurrence > after and <= bound: AB_OK, AB_ENOTFOUND, AB_ERANGE. */
enum ab_err sched_rr_next(const struct sched_rr *rr, sched_lt after,
                          sched_lt bound, sched_lt *out);
sched_lt sched_rr_dtstart(const struct sched_rr *rr);

/* ---- BYSETPOS below MONTHLY (sched_setpos.c) ---------------------------- */

/* Called with each occurrence in time order; 0 stops the iteration. */
typedef int (*sched_emit_fn)(void *ctx, sched_lt l);

/* libical's weekday (SUNDAY = 1 .. SATURDAY = 7) of a day since 1970. */
int sched_ical_weekday(int64_t day);
/* The first instant of the period of r's FREQ that holds l (weeks begin
 * on WKST), and the length of one such period. */
sched_lt sched_period_floor(const struct icalrecurrencetype *r, sched_lt l);
int64_t sched_period_unit(const struct icalrecurrencetype *r);

/* One period's occurrences, and the picking: fill pos..ctx, zero the rest;
 * ab_free(set) when done. */
struct sched_setpos {
    const short *pos;    /* the BYSETPOS values (1 first, -1 last) */
    int npos;
    sched_lt dtstart;    /* nothing before it is an occurrence */
    sched_lt lo, hi;     /* emit what falls in (lo, hi] */
    sched_lt last;       /* the last emitted (start at lo) */
    sched_emit_fn emit;
    void *ctx;
    sched_lt *set;
    size_t n, cap;
    int stop, oom;       /* emit said stop / out of memory */
};
/* Add an occurrence of the current period (sets oom on failure). */
void sched_setpos_add(struct sched_setpos *c, sched_lt l);
/* The current period is complete: emit its picks, start the next. */
void sched_setpos_flush(struct sched_setpos *c);

/* ---- calendars (sched_calendar.c) --------------------------------------- */

struct sched_occ {
    const char *summary;
    ab_time start, end; /* [start, end) */
};

/* 1 if an event of c covers t (occ describes it); floating times are read
 * in zone. */
int sched_cal_covering(const sched_calendar *c, ab_time t,
                       const sched_zone *zone, struct sched_occ *occ);
void sched_cal_ref(sched_calendar *c);

#endif
