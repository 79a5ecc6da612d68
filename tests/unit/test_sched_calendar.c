/*
 * test_sched_calendar.c - maintenance calendars (.ics): seed 002 use
 * case 4 (one-off FTP downtime on December 4, 5 and 9 at 9 p.m.
 * Pacific), recurring events with their own VTIMEZONE, EXDATE and RDATE,
 * all-day events, fire times skipped during maintenance, and errors that
 * name the file and line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ab_time.h"
#include "schedules/sched.h"
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

static sched *with_calendar(const char *zone, const char *file)
{
    ab_errmsg em = {0};
    sched_calendar *c = sched_calendar_load(t_data(file), &em);
    sched *s = sched_new();
    if (!c || sched_set_zone(s, zone, &em) != AB_OK ||
        sched_add_maintenance(s, c) != AB_OK) {
        fprintf(stderr, "%s: %s\n", file, em.text);
        abort();
    }
    sched_calendar_free(c); /* the schedule keeps its own reference */
    return s;
}

TEST(use_case_4_ftp_downtime)
{
    static const struct {
        const char *at;
        int in;
    } rows[] = {
        {"2026-12-04T20:59:59-08:00", 0}, {"2026-12-04T21:00:00-08:00", 1},
        {"2026-12-05T00:59:59-08:00", 1}, {"2026-12-05T01:00:00-08:00", 0},
        {"2026-12-05T21:00:00-08:00", 1}, {"2026-12-06T00:59:59-08:00", 1},
        {"2026-12-06T01:00:00-08:00", 0},
        {"2026-12-06T22:00:00-08:00", 0}, /* the cancelled one */
        {"2026-12-08T21:30:00-08:00", 0}, {"2026-12-09T21:30:00-08:00", 1},
        {"2026-12-04T21:00:00Z", 0},
    };
    sched *s = with_calendar("America/Los_Angeles", "sched/ftp_downtime.ics");
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct sched_maint m;
        int in = sched_in_maintenance(s, T(rows[i].at), &m);
        if (in != rows[i].in)
            t_fail(__FILE__, __LINE__, "%s: in maintenance %d", rows[i].at, in);
        CHECK_INT(sched_allowed(s, T(rows[i].at), NULL), !rows[i].in);
    }
    struct sched_why why;
    CHECK(!sched_allowed(s, T("2026-12-04T22:00:00-08:00"), &why));
    CHECK_INT(why.kind, SCHED_WHY_MAINTENANCE);
    CHECK_STR(why.text, "blocked: maintenance 'FTP store maintenance' "
                        "2026-12-04T21:00:00-08:00 to 2026-12-05T01:00:00-08:00");
    struct sched_maint m;
    CHECK(sched_in_maintenance(s, T("2026-12-09T23:00:00-08:00"), &m));
    CHECK_STR(m.summary, "FTP store maintenance (unanticipated)");
    CHECK_INT(m.start, T("2026-12-09T21:00:00-08:00"));
    CHECK_INT(m.end, T("2026-12-10T01:00:00-08:00"));

    /* An hourly check does not fire during the downtime. */
    ab_errmsg em;
    CHECK_OK(sched_set_cron(s, "0 * * * *", &em));
    ab_time nx;
    CHECK_OK(sched_next(s, T("2026-12-04T20:30:00-08:00"), &nx));
    CHECK_INT(nx, T("2026-12-04T20:00:00-08:00") + 3600 * 0 + 3600 * 5);
    CHECK_OK(sched_next(s, T("2026-12-04T19:30:00-08:00"), &nx));
    CHECK_INT(nx, T("2026-12-04T20:00:00-08:00"));
    CHECK_OK(sched_next_allowed(s, T("2026-12-05T21:00:00-08:00"), &nx));
    CHECK_INT(nx, T("2026-12-06T01:00:00-08:00"));
    sched_free(s);
}

TEST(recurring_event_with_own_vtimezone)
{
    static const struct {
        const char *at;
        int in;
    } rows[] = {
        /* every Sunday 02:00-04:00 Berlin time */
        {"2026-12-06T01:59:59+01:00", 0}, {"2026-12-06T02:00:00+01:00", 1},
        {"2026-12-06T03:59:59+01:00", 1}, {"2026-12-06T04:00:00+01:00", 0},
        {"2026-07-05T02:30:00+02:00", 1}, {"2026-01-04T02:30:00+01:00", 1},
        {"2025-12-28T02:30:00+01:00", 0}, /* before DTSTART */
        {"2026-12-27T02:30:00+01:00", 0}, /* EXDATE */
        {"2026-12-24T23:00:00+01:00", 1}, /* RDATE */
        {"2026-12-24T21:59:59+01:00", 0},
        {"2026-12-07T02:30:00+01:00", 0},
        /* all-day event, floating: read in the schedule's zone (UTC here) */
        {"2027-01-01T00:00:00Z", 1}, {"2027-01-01T23:59:59Z", 1},
        {"2027-01-02T00:00:00Z", 0},
        {"2031-03-02T02:30:00+01:00", 1},
    };
    sched *s = with_calendar("UTC", "sched/recurring.ics");
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct sched_maint m;
        int in = sched_in_maintenance(s, T(rows[i].at), &m);
        if (in != rows[i].in)
            t_fail(__FILE__, __LINE__, "%s: in maintenance %d", rows[i].at, in);
    }
    struct sched_maint m;
    CHECK(sched_in_maintenance(s, T("2027-01-01T12:00:00Z"), &m));
    CHECK_STR(m.summary, "New Year freeze");
    sched_free(s);
}

TEST(calendar_errors_name_file_and_line)
{
    static const struct {
        const char *file;
        enum ab_err rc;
        const char *msg;
    } rows[] = {
        {"sched/no_such_file.ics", AB_EIO, "no_such_file.ics: cannot open"},
        {"sched/bad_dtstart.ics", AB_EPARSE, "bad_dtstart.ics:7: DTSTART: invalid value \"tomorrow night\""},
        {"sched/unclosed.ics", AB_EPARSE, "unclosed.ics:7: END:VCALENDAR does not close BEGIN:VEVENT (line 3)"},
        {"sched/bad_rrule.ics", AB_EPARSE, "bad_rrule.ics:7: RRULE: rrule \"FREQ=SOMETIMES\": unknown FREQ"},
        {"sched/bad_tzid.ics", AB_ENOTFOUND, "bad_tzid.ics:3: DTSTART: TZID \"Mars/Olympus\": unknown time zone"},
        {"sched/not_ical.ics", AB_EPARSE, "not_ical.ics:1: not a content line"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ab_errmsg em = {0};
        sched_calendar *c = sched_calendar_load(t_data(rows[i].file), &em);
        CHECK(c == NULL);
        CHECK_CONTAINS(em.text, rows[i].msg);
    }
    ab_errmsg em = {0};
    CHECK(!sched_calendar_parse("mem", "", 0, &em));
    CHECK_CONTAINS(em.text, "mem:1: expected BEGIN:VCALENDAR");
    CHECK(!sched_calendar_parse("mem", "BEGIN:VCALENDAR\n\0", 17, &em));
    CHECK_CONTAINS(em.text, "NUL byte");
}

TEST(calendar_from_memory_and_sharing)
{
    static const char ics[] =
        "BEGIN:VCALENDAR\n"
        "VERSION:2.0\n"
        "BEGIN:VEVENT\n"
        "SUMMARY:Nightly ETL\n"
        "DTSTART;TZID=/freeassociation.sourceforge.net/Europe/Berlin:20260101T230000\n"
        "DURATION:PT2H\n"
        "RRULE:FREQ=DAILY;COUNT=3\n"
        "END:VEVENT\n"
        "BEGIN:VEVENT\n"
        "SUMMARY:no length\n"
        "DTSTART:20260101T120000Z\n"
        "END:VEVENT\n"
        "END:VCALENDAR\n";
    ab_errmsg em = {0};
    sched_calendar *c = sched_calendar_parse("etl.ics", ics, sizeof ics - 1, &em);
    CHECK(c != NULL);
    CHECK_INT(sched_calendar_count(c), 2);
    sched *a = sched_new(), *b = sched_new();
    CHECK_OK(sched_add_maintenance(a, c));
    CHECK_OK(sched_add_maintenance(b, c));
    sched_calendar_free(c);
    CHECK(sched_in_maintenance(a, T("2026-01-03T00:30:00+01:00"), NULL));
    CHECK(sched_in_maintenance(b, T("2026-01-03T23:30:00+01:00"), NULL));
    CHECK(!sched_in_maintenance(b, T("2026-01-04T23:30:00+01:00"), NULL)); /* COUNT */
    CHECK(!sched_in_maintenance(a, T("2026-01-01T12:00:00Z"), NULL));    /* zero length */
    sched_free(a);
    sched_free(b);
}

TEST(zz_cleanup)
{
    sched_cleanup();
}
