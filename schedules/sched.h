/*
 * sched.h - when a check may run and when it fires: the public surface of
 * the schedules/ module.
 *
 * A schedule combines, all in one IANA time zone:
 *   - a weekly window (seed 002's EventSchedule: provisions and exclusions,
 *     each a DayOfWeek with StartTime and EndTime, EndTime inclusive);
 *   - at most one fire rule: an RFC 5545 RRULE (evaluated with libical),
 *     a 5-field cron expression (Vixie semantics), or an interval ("every");
 *     with none, the check runs on every tick of the engine while allowed;
 *   - EXDATEs that remove single fire times or whole local days;
 *   - maintenance calendars (.ics files, RFC 5545 VEVENTs) during which
 *     nothing fires and alerts are held.
 *
 * Everything here is a pure function of its arguments: no clock is read
 * ("now" is always a parameter) and the only I/O is sched_calendar_load().
 * The semantics (inclusive EndTime, DST gaps and folds, skip vs defer,
 * cron's day-of-month/day-of-week rule) are written down in
 * schedules/README.md.
 *
 * Thread safety: a fully built sched, sched_window or sched_calendar is
 * immutable and may be queried from several threads at once.  Building
 * (the _new/_set/_add functions) must not race with queries of the same
 * object.  Time zone tables are built once per process and shared
 * (guarded by a mutex).
 */
#ifndef SCHED_H
#define SCHED_H

#include <stddef.h>
#include <stdint.h>

#include "common/ab_err.h"
#include "common/ab_time.h"

/* How far ahead sched_next() and friends search before they give up. */
#define SCHED_HORIZON ((int64_t)5 * 366 * 86400)

/* ---- weekly windows (seed 002 EventSchedule) ---------------------------- */

typedef struct sched_window sched_window;

enum sched_window_kind { SCHED_PROVISION = 1, SCHED_EXCLUSION = 2 };

/*
 * A new, empty window named name (copied; may be NULL).  A window with no
 * provisions provisions the whole week, so that exclusions alone can block
 * time.  Caller releases with sched_window_free().  NULL on out of memory.
 */
sched_window *sched_window_new(const char *name);

/*
 * Add one ScheduleProvision or ScheduleExclusion, with the XML text
 * verbatim: day is an English day name, any case ("Monday", "mon"); start
 * and end are "HH:MM:SS" or "HH:MM" (surrounding blanks ignored).  end is
 * inclusive to the second; "24:00[:00]" is accepted as an end meaning
 * 23:59:59; end < start crosses midnight into the next day.  Errors name
 * the field: AB_EINVAL for an unknown day, AB_EPARSE/AB_ERANGE for a bad
 * time, AB_EBUSY once the window is attached to a schedule (windows are
 * frozen when shared).
 */
enum ab_err sched_window_add(sched_window *w, enum sched_window_kind kind,
                             const char *day, const char *start,
                             const char *end, ab_errmsg *em) AB_MUST_CHECK;

/* The window's name ("" if none).  Borrowed, valid while w lives. */
const char *sched_window_name(const sched_window *w);

/*
 * Windows are reference counted: sched_set_window() takes its own
 * reference, so the creator may free its handle at any time.  Frees the
 * window when the last reference goes.  sched_window_free(NULL) does
 * nothing.
 */
void sched_window_free(sched_window *w);

/* ---- maintenance calendars (RFC 5545 .ics) ------------------------------ */

typedef struct sched_calendar sched_calendar;

/*
 * Load an iCalendar file: its VEVENTs (DTSTART with DTEND or DURATION,
 * TZID, RRULE, RDATE, EXDATE, SUMMARY; STATUS:CANCELLED events are
 * ignored) become maintenance periods, DTEND exclusive as RFC 5545 says.
 * TZIDs resolve to the file's own VTIMEZONE, else to an IANA zone of that
 * name; floating times are read in the zone of the schedule that asks.
 * A missing file is AB_EIO naming the path; a broken one AB_EPARSE as
 * "path:line: detail".  Caller frees with sched_calendar_free().
 */
sched_calendar *sched_calendar_load(const char *path, ab_errmsg *em);

/* The same from text in memory; name is used in messages. */
sched_calendar *sched_calendar_parse(const char *name, const char *text,
                                     size_t len, ab_errmsg *em);

/* Number of (not cancelled) events loaded. */
size_t sched_calendar_count(const sched_calendar *c);

/* Reference counted like windows: sched_add_maintenance() takes its own. */
void sched_calendar_free(sched_calendar *c);

/* ---- schedules ----------------------------------------------------------- */

typedef struct sched sched;

enum sched_on_blocked {
    SCHED_SKIP = 0,  /* a blocked fire time is dropped (default) */
    SCHED_DEFER = 1, /* it moves to the next instant the window allows */
};

enum sched_rule {
    SCHED_RULE_NONE = 0, /* no rule: run on every engine tick while allowed */
    SCHED_RULE_RRULE,
    SCHED_RULE_CRON,
    SCHED_RULE_EVERY,
};

/* A schedule in UTC with no window and no rule.  NULL on out of memory. */
sched *sched_new(void);
void sched_free(sched *s); /* sched_free(NULL) does nothing */

/*
 * The IANA zone windows and rules are read in.  NULL, "" and "UTC" mean
 * UTC.  Unknown names fail with AB_ENOTFOUND:
 * 'timezone "Mars/Olympus": unknown IANA zone'.  May be called before or
 * after the rule is set.
 */
enum ab_err sched_set_zone(sched *s, const char *zone, ab_errmsg *em)
    AB_MUST_CHECK;
/* The zone's name ("UTC" for UTC).  Borrowed, valid while s lives. */
const char *sched_zone_name(const sched *s);

/* Attach a window (takes a reference; replaces any previous one; NULL
 * removes it).  The window is frozen from then on. */
void sched_set_window(sched *s, sched_window *w);

/*
 * Fire rules: at most one per schedule (a second one is AB_EEXIST).
 *
 * rrule is an RFC 5545 recurrence ("FREQ=MONTHLY;BYMONTHDAY=1;BYHOUR=8"),
 * optionally with the "RRULE:" prefix.  dtstart is "2026-01-01T08:00:00"
 * (local wall time), "...Z"/"...+01:00" (an instant) or "2026-01-01"; NULL
 * means 2000-01-01T00:00:00 local, so BYHOUR and friends set the time of
 * day (a missing BYMINUTE/BYSECOND then means :00).  FREQ=SECONDLY is
 * refused (use sched_set_every()).
 */
enum ab_err sched_set_rrule(sched *s, const char *rrule, const char *dtstart,
                            ab_errmsg *em) AB_MUST_CHECK;
/* Five fields (minute hour day-of-month month day-of-week) or @hourly,
 * @daily, @weekly, @monthly, @yearly. */
enum ab_err sched_set_cron(sched *s, const char *expr, ab_errmsg *em)
    AB_MUST_CHECK;
/* Every `seconds` (1 s to 366 days), aligned to the wall clock: multiples
 * of seconds since 2000-01-03T00:00:00 local (a Monday midnight). */
enum ab_err sched_set_every(sched *s, int64_t seconds, ab_errmsg *em)
    AB_MUST_CHECK;

/*
 * Remove fire times: "2026-12-25" removes every fire time on that local
 * date; "2026-12-25T08:00:00" the one at that wall time; with Z or an
 * offset, the one at that instant.  Applies to whichever rule is set.
 */
enum ab_err sched_add_exdate(sched *s, const char *when, ab_errmsg *em)
    AB_MUST_CHECK;

void sched_set_on_blocked(sched *s, enum sched_on_blocked how);

/* Attach a maintenance calendar (takes a reference).  AB_ENOMEM only. */
enum ab_err sched_add_maintenance(sched *s, sched_calendar *cal)
    AB_MUST_CHECK;

enum sched_rule sched_rule_kind(const sched *s);

/*
 * OUT *next: the first fire time strictly after `after`, honouring the
 * window (skip or defer), EXDATEs and maintenance (a fire time inside a
 * maintenance event is dropped, never deferred).
 *   AB_OK        *next set.
 *   AB_ENOTFOUND nothing fires within SCHED_HORIZON (e.g. cron "0 0 30 2 *"),
 *                or the schedule has no rule (SCHED_RULE_NONE): the engine
 *                then runs it on every tick while sched_allowed(), and
 *                sched_next_allowed() says when that is next.
 *   AB_ERANGE    a sub-daily RRULE matched too rarely to search (see README).
 */
enum ab_err sched_next(const sched *s, ab_time after, ab_time *next)
    AB_MUST_CHECK;

/* OUT *next: the first instant strictly after `after` at which
 * sched_allowed() holds.  AB_ENOTFOUND if none within SCHED_HORIZON. */
enum ab_err sched_next_allowed(const sched *s, ab_time after, ab_time *next)
    AB_MUST_CHECK;

enum sched_why_kind {
    SCHED_WHY_NO_WINDOW = 0, /* allowed: no window attached */
    SCHED_WHY_PROVISION,     /* allowed: inside a provision */
    SCHED_WHY_EXCLUSION,     /* blocked: inside an exclusion */
    SCHED_WHY_OUTSIDE,       /* blocked: outside every provision */
    SCHED_WHY_MAINTENANCE,   /* blocked: inside a maintenance event */
};

/* Why a time is allowed or not, for `ackbeat next --explain`. */
struct sched_why {
    enum sched_why_kind kind;
    /* "allowed: inside provision Monday 00:00:00-23:59:59",
     * "blocked: inside exclusion Monday 00:30:00-03:00:00",
     * "blocked: maintenance 'FTP store maintenance'
     *  2026-12-04T21:00:00-08:00 to 2026-12-05T01:00:00-08:00" */
    char text[512];
};

/* 1 if the schedule allows running at t (inside the window and not in
 * maintenance), else 0.  why may be NULL. */
int sched_allowed(const sched *s, ab_time t, struct sched_why *why);

/* A maintenance period that covers an instant. */
struct sched_maint {
    char summary[256]; /* SUMMARY, "" if none (truncated copy) */
    ab_time start;     /* inclusive */
    ab_time end;       /* exclusive */
};

/* 1 if t is inside a maintenance event of any attached calendar (m, if
 * not NULL, describes it), else 0.  The engine holds alerts meanwhile. */
int sched_in_maintenance(const sched *s, ab_time t, struct sched_maint *m);

/* t as local wall time with its UTC offset, "2026-12-01T08:00:00-08:00"
 * (at least 32 bytes).  Returns buf. */
char *sched_format_local(const sched *s, ab_time t, char *buf, size_t len);

/* ---- standalone parsers (validation, fuzzing) ---------------------------- */

/* A DayOfWeek: 0 = Monday .. 6 = Sunday. */
enum ab_err sched_parse_day(const char *s, int *day, ab_errmsg *em)
    AB_MUST_CHECK;
/* A StartTime/EndTime; field names it in messages ("StartTime").  end
 * non-zero accepts "24:00:00".  OUT *secs: seconds since midnight. */
enum ab_err sched_parse_clock(const char *field, const char *s, int end,
                              int32_t *secs, ab_errmsg *em) AB_MUST_CHECK;
enum ab_err sched_cron_check(const char *expr, ab_errmsg *em) AB_MUST_CHECK;
enum ab_err sched_rrule_check(const char *rrule, ab_errmsg *em)
    AB_MUST_CHECK;
enum ab_err sched_zone_check(const char *zone, ab_errmsg *em) AB_MUST_CHECK;

/*
 * Release the process-wide time zone tables (and libical's).  Only for
 * leak checkers at exit, after every sched and calendar is freed.
 */
void sched_cleanup(void);

#endif
