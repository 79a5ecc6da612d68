/*
 * test_sched_rules.c - fire rules: RFC 5545 RRULEs (the examples,
 * leap days, months of 28-31 days, COUNT/UNTIL/DTSTART, and our fast
 * "start near T" search checked against plain libical iteration from
 * DTSTART), and 5-field cron expressions (Vixie's day-of-month OR
 * day-of-week rule, steps, ranges, names, 7 = Sunday, Feb 30).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ab_time.h"
#include "schedules/sched.h"
#include "schedules/sched_int.h"
#include "tests/unit/harness.h"

static ab_time T(const char *s)
{
    ab_time t;
    if (ab_time_parse(s, &t) != AB_OK) {
        fprintf(stderr, "bad time in test: %s\n", s);
        abort();
    }
    return t;
}

static sched *rrule_sched(const char *zone, const char *rule,
                          const char *dtstart)
{
    sched *s = sched_new();
    ab_errmsg em;
    if (sched_set_zone(s, zone, &em) != AB_OK ||
        sched_set_rrule(s, rule, dtstart, &em) != AB_OK) {
        fprintf(stderr, "%s: %s\n", rule, em.text);
        abort();
    }
    return s;
}

struct fires_row {
    const char *zone, *rule, *dtstart, *after;
    const char *expect[4]; /* local with offset; "none" = AB_ENOTFOUND */
};

static void check_fires(const struct fires_row *rows, size_t n, int cron)
{
    for (size_t i = 0; i < n; i++) {
        sched *s;
        if (cron) {
            ab_errmsg em;
            s = sched_new();
            if (sched_set_zone(s, rows[i].zone, &em) != AB_OK ||
                sched_set_cron(s, rows[i].rule, &em) != AB_OK) {
                t_fail(__FILE__, __LINE__, "%s: %s", rows[i].rule, em.text);
                sched_free(s);
                continue;
            }
        } else {
            s = rrule_sched(rows[i].zone, rows[i].rule, rows[i].dtstart);
        }
        ab_time t = T(rows[i].after), nx;
        for (int k = 0; k < 4 && rows[i].expect[k]; k++) {
            char b[40] = "none";
            enum ab_err rc = sched_next(s, t, &nx);
            if (rc == AB_OK) {
                sched_format_local(s, nx, b, sizeof b);
                t = nx;
            } else if (rc != AB_ENOTFOUND) {
                snprintf(b, sizeof b, "error %d", rc);
            }
            if (strcmp(b, rows[i].expect[k]) != 0) {
                t_fail(__FILE__, __LINE__, "%s after %s, fire %d: %s, expected %s",
                       rows[i].rule, rows[i].after, k, b, rows[i].expect[k]);
                break;
            }
        }
        sched_free(s);
    }
}

TEST(rrule_examples)
{
    static const struct fires_row rows[] = {
        {"America/Los_Angeles", "FREQ=MONTHLY;BYMONTHDAY=1;BYHOUR=8;BYMINUTE=0;BYSECOND=0", NULL,
         "2026-11-15T00:00:00Z",
         {"2026-12-01T08:00:00-08:00", "2027-01-01T08:00:00-08:00", "2027-02-01T08:00:00-08:00"}},
        {"America/Los_Angeles", "RRULE:FREQ=MONTHLY;BYMONTHDAY=1;BYHOUR=8", NULL,
         "2026-12-01T16:00:00Z", {"2027-01-01T08:00:00-08:00"}},
        {"Europe/Berlin", "FREQ=DAILY;BYHOUR=9,21", NULL, "2026-12-01T09:00:00+01:00",
         {"2026-12-01T21:00:00+01:00", "2026-12-02T09:00:00+01:00", "2026-12-02T21:00:00+01:00"}},
        {"UTC", "FREQ=MONTHLY;BYDAY=1MO", NULL, "2026-12-01T00:00:00Z",
         {"2026-12-07T00:00:00+00:00", "2027-01-04T00:00:00+00:00", "2027-02-01T00:00:00+00:00"}},
        {"UTC", "FREQ=MONTHLY;BYDAY=1MO;BYHOUR=8", "2026-01-01T00:00:00", "2026-12-07T08:00:00Z",
         {"2027-01-04T08:00:00+00:00"}},
        /* last day of the month, across a leap February */
        {"UTC", "FREQ=MONTHLY;BYMONTHDAY=-1", NULL, "2027-12-31T00:00:00Z",
         {"2028-01-31T00:00:00+00:00", "2028-02-29T00:00:00+00:00", "2028-03-31T00:00:00+00:00",
          "2028-04-30T00:00:00+00:00"}},
        {"UTC", "FREQ=MONTHLY;BYMONTHDAY=-1", NULL, "2027-01-31T00:00:00Z",
         {"2027-02-28T00:00:00+00:00"}},
        /* the 31st skips months without one (RFC 5545 3.3.10) */
        {"UTC", "FREQ=MONTHLY;BYMONTHDAY=31", NULL, "2026-01-01T00:00:00Z",
         {"2026-01-31T00:00:00+00:00", "2026-03-31T00:00:00+00:00", "2026-05-31T00:00:00+00:00",
          "2026-07-31T00:00:00+00:00"}},
        {"UTC", "FREQ=MONTHLY", "2026-01-31T06:00:00", "2026-07-31T06:00:00Z",
         {"2026-08-31T06:00:00+00:00", "2026-10-31T06:00:00+00:00", "2026-12-31T06:00:00+00:00"}},
        /* leap day */
        {"UTC", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", NULL, "2026-01-01T00:00:00Z",
         {"2028-02-29T00:00:00+00:00", "2032-02-29T00:00:00+00:00", "2036-02-29T00:00:00+00:00"}},
        {"UTC", "FREQ=YEARLY", "2024-02-29T12:00:00", "2024-02-29T12:00:00Z",
         {"2028-02-29T12:00:00+00:00"}},
        {"UTC", "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=-1", NULL, "2027-03-01T00:00:00Z",
         {"2028-02-29T00:00:00+00:00", "2029-02-28T00:00:00+00:00"}},
        /* COUNT and UNTIL */
        {"UTC", "FREQ=DAILY;COUNT=3", "2026-01-01T10:00:00", "2025-12-31T00:00:00Z",
         {"2026-01-01T10:00:00+00:00", "2026-01-02T10:00:00+00:00", "2026-01-03T10:00:00+00:00",
          "none"}},
        {"America/Los_Angeles", "FREQ=DAILY;UNTIL=20260105T170000Z", "2026-01-03T09:00:00",
         "2026-01-04T00:00:00Z",
         {"2026-01-04T09:00:00-08:00", "2026-01-05T09:00:00-08:00", "none"}},
        /* DTSTART given as an instant is read in the zone */
        {"America/Los_Angeles", "FREQ=WEEKLY", "2026-01-01T17:00:00Z", "2026-12-01T00:00:00Z",
         {"2026-12-03T09:00:00-08:00"}},
        {"UTC", "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO", "2026-01-05T09:00:00", "2026-06-02T00:00:00Z",
         {"2026-06-08T09:00:00+00:00", "2026-06-22T09:00:00+00:00"}},
        {"UTC", "FREQ=MINUTELY;BYMONTH=2;BYMONTHDAY=29;BYHOUR=3;BYMINUTE=7", NULL,
         "2026-01-01T00:00:00Z", {"2028-02-29T03:07:00+00:00", "2032-02-29T03:07:00+00:00"}},
        {"UTC", "FREQ=HOURLY;INTERVAL=6;BYDAY=SA", NULL, "2026-12-04T00:00:00Z",
         {"2026-12-05T00:00:00+00:00", "2026-12-05T06:00:00+00:00"}},
    };
    check_fires(rows, sizeof rows / sizeof rows[0], 0);
}

/* Plain libical: iterate from DTSTART until past `after`. */
static int naive_next(const char *rule, sched_lt dtstart, sched_lt after,
                      sched_lt *out)
{
    struct icalrecurrencetype r = icalrecurrencetype_from_string(rule);
    icalrecur_iterator *it = icalrecur_iterator_new(r, sched_lt_to_ical(dtstart));
    int found = 0;
    if (!it)
        return 0;
    for (long guard = 0; guard < 5000000; guard++) {
        struct icaltimetype o = icalrecur_iterator_next(it);
        if (icaltime_is_null_time(o))
            break;
        sched_lt l = sched_lt_from_ical(o);
        if (l > after) {
            *out = l;
            found = 1;
            break;
        }
    }
    icalrecur_iterator_free(it);
    return found;
}

/* libical 3.0 ignores BYSETPOS below MONTHLY; sched_setpos.c applies it. */
TEST(rrule_bysetpos_below_monthly)
{
    static const struct fires_row rows[] = {
        /* the last of Monday and Friday: Fridays only */
        {"UTC", "FREQ=WEEKLY;BYDAY=MO,FR;BYSETPOS=-1;BYHOUR=9", NULL, "2026-11-22T00:00:00Z",
         {"2026-11-27T09:00:00+00:00", "2026-12-04T09:00:00+00:00", "2026-12-11T09:00:00+00:00"}},
        /* every other week, the second of Mon/Wed/Fri, in phase with DTSTART */
        {"UTC", "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE,FR;BYSETPOS=2;BYHOUR=9",
         "2026-11-02T00:00:00", "2026-11-01T00:00:00Z",
         {"2026-11-04T09:00:00+00:00", "2026-11-18T09:00:00+00:00", "2026-12-02T09:00:00+00:00"}},
        /* WKST decides which comes first in a week: Sunday ... */
        {"UTC", "FREQ=WEEKLY;BYDAY=SA,SU;BYSETPOS=1;WKST=SU;BYHOUR=10", NULL,
         "2026-11-22T12:00:00Z", {"2026-11-29T10:00:00+00:00", "2026-12-06T10:00:00+00:00"}},
        /* ... or Saturday (weeks from Monday, the default) */
        {"UTC", "FREQ=WEEKLY;BYDAY=SA,SU;BYSETPOS=1;BYHOUR=10", NULL,
         "2026-11-22T12:00:00Z", {"2026-11-28T10:00:00+00:00", "2026-12-05T10:00:00+00:00"}},
        /* the time of day and the weekday come from DTSTART */
        {"UTC", "FREQ=WEEKLY;BYDAY=TU,TH;BYSETPOS=1", "2026-11-03T14:15:00",
         "2026-11-22T00:00:00Z", {"2026-11-24T14:15:00+00:00", "2026-12-01T14:15:00+00:00"}},
        {"UTC", "FREQ=DAILY;BYHOUR=9,17;BYSETPOS=2", "2026-11-22T12:00:00", "2026-11-22T00:00:00Z",
         {"2026-11-22T17:00:00+00:00", "2026-11-23T17:00:00+00:00"}},
        /* the first of DTSTART's day is before DTSTART: not an occurrence */
        {"UTC", "FREQ=DAILY;BYHOUR=9,17;BYSETPOS=1", "2026-11-22T12:00:00", "2026-11-22T00:00:00Z",
         {"2026-11-23T09:00:00+00:00", "2026-11-24T09:00:00+00:00"}},
        {"UTC", "FREQ=HOURLY;BYMINUTE=0,30;BYSETPOS=-1", NULL, "2026-11-22T10:31:00Z",
         {"2026-11-22T11:30:00+00:00", "2026-11-22T12:30:00+00:00"}},
        /* COUNT counts what BYSETPOS kept */
        {"UTC", "FREQ=WEEKLY;BYDAY=MO,FR;BYSETPOS=-1;COUNT=2;BYHOUR=9", "2026-11-23T09:00:00",
         "2026-11-01T00:00:00Z", {"2026-11-27T09:00:00+00:00", "2026-12-04T09:00:00+00:00", "none"}},
        /* in a zone, across the end of daylight saving time */
        {"America/Los_Angeles", "FREQ=WEEKLY;BYDAY=MO,FR;BYSETPOS=-1;BYHOUR=8", NULL,
         "2026-10-28T00:00:00Z", {"2026-10-30T08:00:00-07:00", "2026-11-06T08:00:00-08:00"}},
    };
    check_fires(rows, sizeof rows / sizeof rows[0], 0);
}

TEST(rrule_fast_search_matches_libical_from_dtstart)
{
    static const struct {
        const char *rule, *dtstart;
    } rows[] = {
        {"FREQ=MONTHLY;BYMONTHDAY=1;BYHOUR=8;BYMINUTE=0;BYSECOND=0", "2000-01-01T00:00:00"},
        {"FREQ=DAILY;BYHOUR=9,21", "2000-01-01T00:00:00"},
        {"FREQ=MONTHLY;BYMONTHDAY=-1;BYHOUR=23;BYMINUTE=59", "2000-01-01T00:00:00"},
        {"FREQ=MONTHLY;BYDAY=1MO", "2000-01-01T00:00:00"},
        {"FREQ=MONTHLY;BYMONTHDAY=31", "2000-01-31T06:00:00"},
        {"FREQ=MONTHLY", "2000-01-31T06:00:00"},
        {"FREQ=MONTHLY;INTERVAL=2", "2000-01-31T06:00:00"},
        {"FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", "2000-01-01T00:00:00"},
        {"FREQ=YEARLY", "2000-02-29T12:00:00"},
        {"FREQ=YEARLY;INTERVAL=3", "2000-02-29T12:00:00"},
        {"FREQ=WEEKLY;INTERVAL=3;BYDAY=MO,TH", "2000-01-05T10:00:00"},
        {"FREQ=WEEKLY", "2001-03-07T07:15:00"},
        {"FREQ=DAILY;INTERVAL=7", "2000-01-02T03:00:00"},
        {"FREQ=DAILY;INTERVAL=13;BYMONTH=3,9", "2000-01-02T03:00:00"},
        {"FREQ=MONTHLY;INTERVAL=5;BYDAY=-1FR", "2000-01-01T00:00:00"},
        {"FREQ=YEARLY;INTERVAL=4;BYMONTH=11;BYDAY=TU;BYMONTHDAY=2,3,4,5,6,7,8", "1996-01-01T00:00:00"},
        {"FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1", "2000-01-01T18:00:00"},
        {"FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO", "2000-01-01T00:00:00"},
        {"FREQ=YEARLY;BYYEARDAY=100,200,366", "2000-01-01T00:00:00"},
        {"FREQ=DAILY;BYMONTH=1;BYDAY=SA,SU", "2000-01-01T00:00:00"},
        {"FREQ=MONTHLY;BYMONTHDAY=13;BYDAY=FR", "2000-01-01T00:00:00"},
        {"FREQ=HOURLY;INTERVAL=5", "2020-01-01T01:00:00"},
        {"FREQ=HOURLY;BYDAY=MO;BYHOUR=9,17", "2020-01-01T00:00:00"},
        {"FREQ=HOURLY;INTERVAL=7;BYMINUTE=0,30", "2020-01-01T00:10:00"},
        {"FREQ=MINUTELY;INTERVAL=90;BYDAY=TU", "2024-01-01T00:00:00"},
        {"FREQ=MINUTELY;INTERVAL=45;BYMONTHDAY=1,15", "2024-01-01T00:00:00"},
        {"FREQ=MINUTELY;INTERVAL=20;BYHOUR=3,4;BYMONTHDAY=1,15", "2024-01-01T00:05:00"},
        {"FREQ=HOURLY;INTERVAL=6;BYHOUR=3,9;BYDAY=WE", "2024-01-01T03:00:00"},
    };
    unsigned seed = 12345;
    int bad = 0;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct icalrecurrencetype r;
        struct sched_rr *rr = NULL;
        ab_errmsg em;
        sched_lt ds = T(rows[i].dtstart);
        CHECK_OK(sched_rr_parse(rows[i].rule, &r, &em));
        CHECK_OK(sched_rr_new(&r, ds, NULL, "rrule", &rr, &em));
        /* Plain iteration of sub-daily rules is slow: fewer samples. */
        int samples = strstr(rows[i].rule, "LY;") && (strstr(rows[i].rule, "MINUTELY") ||
                                                     strstr(rows[i].rule, "HOURLY"))
                          ? 3
                          : 10;
        for (int k = 0; k < samples; k++) {
            seed = seed * 1103515245u + 12345u;
            /* 2025 to 2031, at any second */
            sched_lt after = T("2025-01-01T00:00:00Z") +
                             (sched_lt)(seed % (6u * 365u * 86400u));
            if (k == 0)
                after = ds - 1; /* and right at the start */
            sched_lt fast = 0, slow = 0;
            int hf = sched_rr_next(rr, after, after + SCHED_HORIZON, &fast) == AB_OK;
            int hs = naive_next(rows[i].rule, ds, after, &slow);
            if (hs && slow > after + SCHED_HORIZON)
                hs = 0;
            if (hf != hs || (hf && fast != slow)) {
                char a[40], b[40], c[40];
                if (bad++ < 10)
                    t_fail(__FILE__, __LINE__, "%s after %s: fast %s, libical %s",
                           rows[i].rule, ab_time_format(after, a, 40),
                           hf ? ab_time_format(fast, b, 40) : "none",
                           hs ? ab_time_format(slow, c, 40) : "none");
            }
        }
        sched_rr_free(rr);
    }
    CHECK_INT(bad, 0);
}

TEST(rrule_errors_name_the_part)
{
    static const struct {
        const char *rule, *dtstart;
        enum ab_err rc;
        const char *msg;
    } rows[] = {
        {"FREQ=SOMETIMES", NULL, AB_EPARSE, "rrule \"FREQ=SOMETIMES\": unknown FREQ"},
        {"BYHOUR=9", NULL, AB_EPARSE, "FREQ is required"},
        {"FREQ=DAILY;BYHOUR=25", NULL, AB_EPARSE, "BYHOUR=25 is invalid"},
        {"FREQ=DAILY;BYDAY=XX", NULL, AB_EPARSE, "BYDAY=XX is invalid"},
        {"FREQ=DAILY;FOO=1", NULL, AB_EPARSE, "\"FOO=1\" is not a rule part"},
        {"FREQ=DAILY;INTERVAL=0", NULL, AB_EPARSE, "INTERVAL=0 is invalid"},
        {"", NULL, AB_EPARSE, "empty"},
        {"FREQ=SECONDLY", NULL, AB_EINVAL, "FREQ=SECONDLY is not supported"},
        {"FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", NULL, AB_EINVAL, "never occurs"},
        {"FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=30", NULL, AB_EINVAL, "never occurs"},
        {"FREQ=DAILY;BYMONTH=4;BYMONTHDAY=31", NULL, AB_EINVAL, "never occurs"},
        {"FREQ=DAILY", "yesterday", AB_EPARSE, "dtstart \"yesterday\""},
        {"FREQ=DAILY;COUNT=1000000", NULL, AB_ERANGE, "COUNT above"},
        {"FREQ=MINUTELY;INTERVAL=45;BYHOUR=3,4", NULL, AB_EINVAL, "must divide 60 minutes"},
        {"FREQ=HOURLY;INTERVAL=5;BYHOUR=3,4", NULL, AB_EINVAL, "must divide 24 hours"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        sched *s = sched_new();
        ab_errmsg em = {0};
        enum ab_err rc = sched_set_rrule(s, rows[i].rule, rows[i].dtstart, &em);
        if (rc != rows[i].rc)
            t_fail(__FILE__, __LINE__, "%s: rc %d (%s)", rows[i].rule, rc, em.text);
        CHECK_CONTAINS(em.text, rows[i].msg);
        CHECK_INT(sched_rule_kind(s), SCHED_RULE_NONE);
        sched_free(s);
        if (!rows[i].dtstart) {
            CHECK_INT(sched_rrule_check(rows[i].rule, &em), rows[i].rc);
            CHECK_CONTAINS(em.text, rows[i].msg);
        }
    }
}

TEST(rrule_zone_set_after_rule)
{
    /* DTSTART as an instant is re-read when the zone comes later. */
    sched *s = sched_new();
    ab_errmsg em;
    CHECK_OK(sched_set_rrule(s, "FREQ=DAILY", "2026-01-01T17:00:00Z", &em));
    CHECK_OK(sched_set_zone(s, "America/Los_Angeles", &em));
    ab_time nx;
    CHECK_OK(sched_next(s, T("2026-06-01T00:00:00Z"), &nx));
    char b[40];
    CHECK_STR(sched_format_local(s, nx, b, sizeof b), "2026-06-01T09:00:00-07:00");
    CHECK_INT(sched_set_zone(s, "Nowhere/Special", &em), AB_ENOTFOUND);
    CHECK_STR(sched_zone_name(s), "America/Los_Angeles");
    sched_free(s);
}

TEST(cron_fire_times)
{
    static const struct fires_row rows[] = {
        /* day-of-month and day-of-week both set: either matches */
        {"UTC", "0 0 13 * 5", NULL, "2026-04-01T00:00:00Z",
         {"2026-04-03T00:00:00+00:00", "2026-04-10T00:00:00+00:00", "2026-04-13T00:00:00+00:00",
          "2026-04-17T00:00:00+00:00"}},
        {"UTC", "0 0 13 * FRI", NULL, "2026-02-12T00:00:00Z", {"2026-02-13T00:00:00+00:00",
                                                                "2026-02-20T00:00:00+00:00"}},
        /* a '*' (even '*' with a step) in either field means both must match */
        {"UTC", "0 0 */2 * 1", NULL, "2026-12-01T00:00:00Z",
         {"2026-12-07T00:00:00+00:00", "2026-12-21T00:00:00+00:00", "2027-01-11T00:00:00+00:00"}},
        {"UTC", "0 0 * * 7", NULL, "2026-12-01T00:00:00Z", {"2026-12-06T00:00:00+00:00"}},
        {"UTC", "0 0 * * sun", NULL, "2026-12-01T00:00:00Z", {"2026-12-06T00:00:00+00:00"}},
        {"UTC", "0 0 * * 5-7", NULL, "2026-12-04T00:00:00Z",
         {"2026-12-05T00:00:00+00:00", "2026-12-06T00:00:00+00:00", "2026-12-11T00:00:00+00:00"}},
        {"UTC", "*/15 * * * *", NULL, "2026-12-01T10:07:00Z",
         {"2026-12-01T10:15:00+00:00", "2026-12-01T10:30:00+00:00", "2026-12-01T10:45:00+00:00",
          "2026-12-01T11:00:00+00:00"}},
        {"UTC", "0 9 * * 1-5", NULL, "2026-12-04T09:00:00Z", {"2026-12-07T09:00:00+00:00"}},
        {"UTC", "30 8 * JAN-MAR MON-FRI", NULL, "2026-03-31T09:00:00Z",
         {"2027-01-01T08:30:00+00:00", "2027-01-04T08:30:00+00:00"}},
        {"UTC", "0 0 30 2 *", NULL, "2026-01-01T00:00:00Z", {"none"}},
        {"UTC", "0 0 31 4,6,9,11 *", NULL, "2026-01-01T00:00:00Z", {"none"}},
        {"UTC", "0 0 29 2 *", NULL, "2026-01-01T00:00:00Z", {"2028-02-29T00:00:00+00:00"}},
        {"UTC", "0-10/5 12 1,15 * *", NULL, "2026-12-01T12:00:00Z",
         {"2026-12-01T12:05:00+00:00", "2026-12-01T12:10:00+00:00", "2026-12-15T12:00:00+00:00"}},
        {"UTC", "@daily", NULL, "2026-12-01T12:00:00Z", {"2026-12-02T00:00:00+00:00"}},
        {"UTC", "@hourly", NULL, "2026-12-01T12:00:00Z", {"2026-12-01T13:00:00+00:00"}},
        {"UTC", "@yearly", NULL, "2026-12-01T12:00:00Z", {"2027-01-01T00:00:00+00:00"}},
        {"America/Los_Angeles", "0 8 1 * *", NULL, "2026-11-15T00:00:00Z",
         {"2026-12-01T08:00:00-08:00"}},
        /* a fire time is on a whole minute, strictly after */
        {"UTC", "* * * * *", NULL, "2026-12-01T12:00:30Z", {"2026-12-01T12:01:00+00:00",
                                                            "2026-12-01T12:02:00+00:00"}},
    };
    check_fires(rows, sizeof rows / sizeof rows[0], 1);
}

TEST(cron_errors_name_the_field)
{
    static const struct {
        const char *expr;
        enum ab_err rc;
        const char *msg;
    } rows[] = {
        {"61 * * * *", AB_ERANGE, "cron \"61 * * * *\": minute 61 out of range 0-59"},
        {"0 24 * * *", AB_ERANGE, "hour 24 out of range 0-23"},
        {"0 0 0 * *", AB_ERANGE, "day-of-month 0 out of range 1-31"},
        {"0 0 * 13 *", AB_ERANGE, "month 13 out of range 1-12"},
        {"0 0 * * 8", AB_ERANGE, "day-of-week 8 out of range 0-7"},
        {"* * * *", AB_EPARSE, "expected 5 fields"},
        {"* * * * * *", AB_EPARSE, "got more than 5"},
        {"0 0 * FOO *", AB_EPARSE, "month \"FOO\" is not valid"},
        {"*/0 * * * *", AB_ERANGE, "minute step 0"},
        {"5-1 * * * *", AB_ERANGE, "minute range 5-1 is reversed"},
        {"5/10 * * * *", AB_EPARSE, "a step needs a range or *"},
        {"0 12 L * *", AB_EPARSE, "day-of-month \"L\" is not valid"},
        {"@reboot", AB_EPARSE, "unknown shorthand"},
        {"1,,2 * * * *", AB_EPARSE, "minute \"1,,2\""},
        {"", AB_EPARSE, "got 0"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ab_errmsg em = {0};
        sched *s = sched_new();
        CHECK_INT(sched_set_cron(s, rows[i].expr, &em), rows[i].rc);
        CHECK_CONTAINS(em.text, rows[i].msg);
        CHECK_INT(sched_cron_check(rows[i].expr, &em), rows[i].rc);
        sched_free(s);
    }
}

TEST(zz_cleanup)
{
    sched_cleanup();
}
