/*
 * sched_time.c - local wall-clock arithmetic and the small text parsers of
 * seed 002's EventSchedule (DayOfWeek, StartTime, EndTime) and of dates
 * given to EXDATE and DTSTART.
 *
 * Local times are plain integers (see sched_int.h); the civil-date
 * conversions come from common/ab_time.h, so there is no mktime() and no
 * process time zone anywhere in this module.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "schedules/sched_int.h"

const char *const sched_day_names[7] = {"Monday",   "Tuesday", "Wednesday",
                                        "Thursday", "Friday",  "Saturday",
                                        "Sunday"};

void sched_lt_split(sched_lt l, struct sched_tm *tm)
{
    int64_t days = sched_fdiv(l, SCHED_DAY);
    int64_t sod = l - days * SCHED_DAY;
    ab_civil_from_days(days, &tm->year, &tm->mon, &tm->mday);
    tm->hour = (int)(sod / 3600);
    tm->min = (int)(sod / 60 % 60);
    tm->sec = (int)(sod % 60);
}

sched_lt sched_lt_make(int64_t y, unsigned mon, unsigned mday, int h, int mi,
                       int s)
{
    return ab_days_from_civil(y, mon, mday) * SCHED_DAY + h * 3600 + mi * 60 +
           s;
}

int sched_days_in_month(int64_t y, unsigned m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12)
        return 0;
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dm[m - 1];
}

/* Copy s without leading/trailing blanks into buf; 0 if it does not fit. */
static int trimmed(const char *s, char *buf, size_t len)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        n--;
    if (n >= len)
        return 0;
    memcpy(buf, s, n);
    buf[n] = '\0';
    return 1;
}

enum ab_err sched_parse_day(const char *s, int *day, ab_errmsg *em)
{
    char b[16];
    if (!s)
        return ab_fail(em, AB_EINVAL, "DayOfWeek: missing");
    if (trimmed(s, b, sizeof b) && b[0]) {
        for (int i = 0; i < 7; i++) {
            /* Full English names, or their first three letters. */
            if (strcasecmp(b, sched_day_names[i]) == 0 ||
                (strlen(b) == 3 &&
                 strncasecmp(b, sched_day_names[i], 3) == 0)) {
                *day = i;
                return AB_OK;
            }
        }
    }
    return ab_fail(em, AB_EINVAL,
                   "DayOfWeek \"%.40s\": not a day name (Monday..Sunday)", s);
}

/* Two digits exactly; -1 otherwise. */
static int two(const char *p)
{
    if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]))
        return -1;
    return (p[0] - '0') * 10 + (p[1] - '0');
}

enum ab_err sched_parse_clock(const char *field, const char *s, int end,
                              int32_t *secs, ab_errmsg *em)
{
    char b[16];
    if (!field)
        field = "time";
    if (!s)
        return ab_fail(em, AB_EPARSE, "%s: missing", field);
    if (!trimmed(s, b, sizeof b))
        goto syntax;
    size_t n = strlen(b);
    /* "H:MM" is common in hand-written XML; accept one hour digit too. */
    char t[16];
    /* Only "H:MM" and "H:MM:SS" get the leading zero (found by fuzzing:
     * a longer text would not fit). */
    if ((n == 4 || n == 7) && b[1] == ':') {
        t[0] = '0';
        memcpy(t + 1, b, n + 1);
        n++;
    } else {
        memcpy(t, b, n + 1);
    }
    if (!(n == 5 || n == 8) || t[2] != ':' || (n == 8 && t[5] != ':'))
        goto syntax;
    int h = two(t), m = two(t + 3), sec = n == 8 ? two(t + 6) : 0;
    if (h < 0 || m < 0 || sec < 0)
        goto syntax;
    if (end && h == 24 && m == 0 && sec == 0) {
        *secs = SCHED_DAY - 1; /* end of day, inclusive */
        return AB_OK;
    }
    if (h > 23)
        return ab_fail(em, AB_ERANGE, "%s \"%s\": hour must be 0-23", field, b);
    if (m > 59)
        return ab_fail(em, AB_ERANGE, "%s \"%s\": minute must be 0-59", field,
                       b);
    if (sec > 59)
        return ab_fail(em, AB_ERANGE, "%s \"%s\": second must be 0-59", field,
                       b);
    *secs = h * 3600 + m * 60 + sec;
    return AB_OK;
syntax:
    return ab_fail(em, AB_EPARSE, "%s \"%.40s\": expected HH:MM:SS or HH:MM",
                   field, s);
}

enum ab_err sched_parse_when(const char *s, int64_t *v, int *is_instant,
                             int *is_date)
{
    char b[48];
    if (!s || !trimmed(s, b, sizeof b))
        return AB_EPARSE;
    ab_time t;
    /* ab_time_parse reads a time without offset as UTC, which is exactly
     * the wall-clock reading we want for a local time. */
    if (ab_time_parse(b, &t) != AB_OK)
        return AB_EPARSE;
    size_t n = strlen(b);
    *is_date = n == 10;
    *is_instant = 0;
    if (n > 10) {
        const char *tz = b + 11; /* after the 'T' */
        if (strpbrk(tz, "Zz+-"))
            *is_instant = 1;
    }
    *v = t;
    return AB_OK;
}

sched_lt sched_lt_from_ical(struct icaltimetype t)
{
    if (t.is_date)
        return sched_lt_make(t.year, (unsigned)t.month, (unsigned)t.day, 0, 0,
                             0);
    return sched_lt_make(t.year, (unsigned)t.month, (unsigned)t.day, t.hour,
                         t.minute, t.second);
}

struct icaltimetype sched_lt_to_ical(sched_lt l)
{
    struct sched_tm tm;
    struct icaltimetype t = icaltime_null_time();
    sched_lt_split(l, &tm);
    t.year = (int)tm.year;
    t.month = (int)tm.mon;
    t.day = (int)tm.mday;
    t.hour = tm.hour;
    t.minute = tm.min;
    t.second = tm.sec;
    return t; /* floating: no zone, not a date */
}
