/*
 * test_sched_dst.c - time zones and daylight saving: our zone tables
 * against the C library's reading of the same zoneinfo, daily jobs and
 * windows on spring-forward and fall-back days in America/Los_Angeles and
 * Europe/Berlin, and intervals that stay on the wall clock without drift.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

static sched *zoned(const char *zone)
{
    sched *s = sched_new();
    ab_errmsg em;
    if (sched_set_zone(s, zone, &em) != AB_OK) {
        fprintf(stderr, "%s\n", em.text);
        abort();
    }
    return s;
}

TEST(zone_tables_match_the_c_library)
{
    static const char *const zones[] = {
        "America/Los_Angeles", "Europe/Berlin",    "Australia/Sydney",
        "Asia/Kolkata",        "Australia/Lord_Howe", "Pacific/Apia",
        "Europe/London",       "America/St_Johns", "America/New_York",
        /* Not America/Sao_Paulo: libical's VTIMEZONE for it (built from
         * zoneinfo by its tz-util) lacks the irregular 2014 change, see
         * zone_tables_follow_libical. */
    };
    char *old = getenv("TZ") ? strdup(getenv("TZ")) : NULL;
    int bad = 0;
    for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++) {
        const sched_zone *z;
        ab_errmsg em;
        CHECK_OK(sched_zone_get(zones[i], &z, &em));
        setenv("TZ", zones[i], 1);
        tzset();
        /* Every 3 hours from 2000 to 2037 (libical's conversion of older,
         * irregular history is lossy: not what schedules are about). */
        for (ab_time t = T("2000-01-01T00:00:00Z");
             t < T("2037-12-31T00:00:00Z"); t += 3 * 3600 + 7) {
            time_t tt = (time_t)t;
            struct tm tm;
            localtime_r(&tt, &tm);
            if (tm.tm_gmtoff != sched_zone_offset(z, t) && bad++ < 5) {
                char b[40];
                t_fail(__FILE__, __LINE__, "%s at %s: libc %ld, ours %d",
                       zones[i], ab_time_format(t, b, 40), tm.tm_gmtoff,
                       sched_zone_offset(z, t));
            }
        }
    }
    if (old)
        setenv("TZ", old, 1);
    else
        unsetenv("TZ");
    tzset();
    free(old);
    CHECK_INT(bad, 0);
}

/* Our expansion of the VTIMEZONE agrees with libical's own reading. */
TEST(zone_tables_follow_libical)
{
    static const char *const zones[] = {"America/Sao_Paulo", "Europe/Berlin",
                                        "America/Los_Angeles", "Africa/Casablanca"};
    int bad = 0;
    for (size_t i = 0; i < sizeof zones / sizeof zones[0]; i++) {
        const sched_zone *z;
        ab_errmsg em;
        CHECK_OK(sched_zone_get(zones[i], &z, &em));
        icaltimezone *iz = icaltimezone_get_builtin_timezone(zones[i]);
        CHECK(iz != NULL);
        for (ab_time t = T("1990-01-01T00:00:00Z");
             t < T("2035-01-01T00:00:00Z"); t += 6 * 3600 + 11) {
            struct icaltimetype it =
                icaltime_from_timet_with_zone((time_t)t, 0,
                                              icaltimezone_get_utc_timezone());
            int dst;
            int off = icaltimezone_get_utc_offset_of_utc_time(iz, &it, &dst);
            if (off != sched_zone_offset(z, t) && bad++ < 5) {
                char b[40];
                t_fail(__FILE__, __LINE__, "%s at %s: libical %d, ours %d",
                       zones[i], ab_time_format(t, b, 40), off,
                       sched_zone_offset(z, t));
            }
        }
    }
    CHECK_INT(bad, 0);
}

TEST(zone_rules_go_on_past_2037)
{
    const sched_zone *z;
    ab_errmsg em;
    CHECK_OK(sched_zone_get("Europe/Berlin", &z, &em));
    CHECK_INT(sched_zone_offset(z, T("2099-07-01T00:00:00Z")), 7200);
    CHECK_INT(sched_zone_offset(z, T("2099-12-01T00:00:00Z")), 3600);
    /* 2099-03-29 is the last Sunday of March. */
    CHECK_INT(sched_zone_offset(z, T("2099-03-29T00:59:59Z")), 3600);
    CHECK_INT(sched_zone_offset(z, T("2099-03-29T01:00:00Z")), 7200);
}

TEST(local_to_instant_gap_and_fold)
{
    static const struct {
        const char *zone, *local;
        enum sched_gap gap;
        const char *expect;
    } rows[] = {
        /* spring forward: 02:00-02:59:59 does not exist */
        {"America/Los_Angeles", "2026-03-08T02:30:00Z", SCHED_GAP_AFTER, "2026-03-08T03:00:00-07:00"},
        {"America/Los_Angeles", "2026-03-08T02:30:00Z", SCHED_GAP_RFC, "2026-03-08T03:30:00-07:00"},
        {"America/Los_Angeles", "2026-03-08T01:59:59Z", SCHED_GAP_AFTER, "2026-03-08T01:59:59-08:00"},
        {"America/Los_Angeles", "2026-03-08T03:00:00Z", SCHED_GAP_AFTER, "2026-03-08T03:00:00-07:00"},
        /* fall back: 01:00-01:59:59 happens twice; the first is meant */
        {"America/Los_Angeles", "2026-11-01T01:30:00Z", SCHED_GAP_AFTER, "2026-11-01T01:30:00-07:00"},
        {"America/Los_Angeles", "2026-11-01T02:00:00Z", SCHED_GAP_AFTER, "2026-11-01T02:00:00-08:00"},
        {"Europe/Berlin", "2026-03-29T02:30:00Z", SCHED_GAP_AFTER, "2026-03-29T03:00:00+02:00"},
        {"Europe/Berlin", "2026-10-25T02:30:00Z", SCHED_GAP_AFTER, "2026-10-25T02:30:00+02:00"},
        {"Europe/Berlin", "2026-10-25T03:00:00Z", SCHED_GAP_AFTER, "2026-10-25T03:00:00+01:00"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const sched_zone *z;
        ab_errmsg em;
        char b[40];
        CHECK_OK(sched_zone_get(rows[i].zone, &z, &em));
        ab_time t = sched_zone_utc(z, T(rows[i].local), rows[i].gap);
        CHECK_STR(sched_zone_format(z, t, b, sizeof b), rows[i].expect);
    }
}

/* The fire times of a rule from `from` for n fires, formatted. */
static void run(sched *s, const char *from, int n, char out[][40])
{
    ab_time t = T(from), nx;
    for (int i = 0; i < n; i++) {
        if (sched_next(s, t, &nx) != AB_OK) {
            snprintf(out[i], 40, "none");
            continue;
        }
        sched_format_local(s, nx, out[i], 40);
        t = nx;
    }
}

TEST(daily_0230_on_dst_days)
{
    static const struct {
        const char *zone, *kind, *rule, *from;
        const char *expect[3];
    } rows[] = {
        {"America/Los_Angeles", "cron", "30 2 * * *", "2026-03-07T00:00:00-08:00",
         {"2026-03-07T02:30:00-08:00", "2026-03-08T03:00:00-07:00", "2026-03-09T02:30:00-07:00"}},
        {"America/Los_Angeles", "rrule", "FREQ=DAILY;BYHOUR=2;BYMINUTE=30", "2026-03-07T00:00:00-08:00",
         {"2026-03-07T02:30:00-08:00", "2026-03-08T03:00:00-07:00", "2026-03-09T02:30:00-07:00"}},
        {"America/Los_Angeles", "cron", "30 2 * * *", "2026-10-31T00:00:00-07:00",
         {"2026-10-31T02:30:00-07:00", "2026-11-01T02:30:00-08:00", "2026-11-02T02:30:00-08:00"}},
        /* 01:30 happens twice on the fall-back day: once is enough */
        {"America/Los_Angeles", "cron", "30 1 * * *", "2026-10-31T00:00:00-07:00",
         {"2026-10-31T01:30:00-07:00", "2026-11-01T01:30:00-07:00", "2026-11-02T01:30:00-08:00"}},
        {"America/Los_Angeles", "rrule", "FREQ=DAILY;BYHOUR=1;BYMINUTE=30", "2026-10-31T00:00:00-07:00",
         {"2026-10-31T01:30:00-07:00", "2026-11-01T01:30:00-07:00", "2026-11-02T01:30:00-08:00"}},
        /* asked in the middle of the repeated hour: already done today */
        {"America/Los_Angeles", "cron", "30 1 * * *", "2026-11-01T01:10:00-08:00",
         {"2026-11-02T01:30:00-08:00", "2026-11-03T01:30:00-08:00", "2026-11-04T01:30:00-08:00"}},
        {"Europe/Berlin", "cron", "30 2 * * *", "2026-03-28T00:00:00+01:00",
         {"2026-03-28T02:30:00+01:00", "2026-03-29T03:00:00+02:00", "2026-03-30T02:30:00+02:00"}},
        {"Europe/Berlin", "rrule", "FREQ=DAILY;BYHOUR=2;BYMINUTE=30", "2026-10-24T00:00:00+02:00",
         {"2026-10-24T02:30:00+02:00", "2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00"}},
        {"Europe/Berlin", "every", "86400", "2026-10-24T12:00:00+02:00",
         {"2026-10-25T00:00:00+02:00", "2026-10-26T00:00:00+01:00", "2026-10-27T00:00:00+01:00"}},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        sched *s = zoned(rows[i].zone);
        ab_errmsg em = {0};
        enum ab_err rc;
        if (strcmp(rows[i].kind, "cron") == 0)
            rc = sched_set_cron(s, rows[i].rule, &em);
        else if (strcmp(rows[i].kind, "rrule") == 0)
            rc = sched_set_rrule(s, rows[i].rule, NULL, &em);
        else
            rc = sched_set_every(s, strtoll(rows[i].rule, NULL, 10), &em);
        CHECK_OK(rc);
        char got[3][40];
        run(s, rows[i].from, 3, got);
        for (int k = 0; k < 3; k++)
            if (strcmp(got[k], rows[i].expect[k]) != 0)
                t_fail(__FILE__, __LINE__, "row %zu fire %d: %s, expected %s",
                       i, k, got[k], rows[i].expect[k]);
        sched_free(s);
    }
}

/* Seconds in [from, to) that the schedule allows, stepping one second. */
static long allowed_secs(const sched *s, ab_time from, ab_time to)
{
    long n = 0;
    for (ab_time t = from; t < to; t++)
        n += sched_allowed(s, t, NULL);
    return n;
}

TEST(window_0100_0300_on_dst_days)
{
    static const struct {
        const char *zone, *day0, *day1;
        long secs;
    } rows[] = {
        /* the wall clock shows 01:00:00..03:00:00 inclusive: 7201 s on a
         * normal day, one hour less when 02:xx is skipped, one more when
         * 01:xx repeats */
        {"America/Los_Angeles", "2026-03-07T00:00:00-08:00", "2026-03-08T00:00:00-08:00", 7201},
        {"America/Los_Angeles", "2026-03-08T00:00:00-08:00", "2026-03-09T00:00:00-07:00", 3601},
        {"America/Los_Angeles", "2026-11-01T00:00:00-07:00", "2026-11-02T00:00:00-08:00", 10801},
        {"Europe/Berlin", "2026-03-29T00:00:00+01:00", "2026-03-30T00:00:00+02:00", 3601},
        /* Berlin repeats 02:00-02:59:59 */
        {"Europe/Berlin", "2026-10-25T00:00:00+02:00", "2026-10-26T00:00:00+01:00", 10801},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        sched_window *w = sched_window_new("night");
        ab_errmsg em;
        for (int d = 0; d < 7; d++) {
            static const char *const days[] = {"Mon", "Tue", "Wed", "Thu",
                                               "Fri", "Sat", "Sun"};
            CHECK_OK(sched_window_add(w, SCHED_PROVISION, days[d], "01:00:00",
                                      "03:00:00", &em));
        }
        sched *s = zoned(rows[i].zone);
        sched_set_window(s, w);
        sched_window_free(w);
        long n = allowed_secs(s, T(rows[i].day0), T(rows[i].day1));
        if (n != rows[i].secs)
            t_fail(__FILE__, __LINE__, "row %zu: %ld s allowed, expected %ld",
                   i, n, rows[i].secs);
        sched_free(s);
    }
    /* And the edges, to the second, on the spring-forward day. */
    sched_window *w = sched_window_new("night");
    ab_errmsg em;
    CHECK_OK(sched_window_add(w, SCHED_PROVISION, "Sunday", "01:00:00",
                              "03:00:00", &em));
    sched *s = zoned("America/Los_Angeles");
    sched_set_window(s, w);
    sched_window_free(w);
    CHECK(!sched_allowed(s, T("2026-03-08T00:59:59-08:00"), NULL));
    CHECK(sched_allowed(s, T("2026-03-08T01:59:59-08:00"), NULL));
    CHECK(sched_allowed(s, T("2026-03-08T03:00:00-07:00"), NULL));
    CHECK(!sched_allowed(s, T("2026-03-08T03:00:01-07:00"), NULL));
    ab_time nx;
    CHECK_OK(sched_next_allowed(s, T("2026-03-08T03:00:00-07:00"), &nx));
    CHECK_INT(nx, T("2026-03-15T01:00:00-07:00"));
    sched_free(s);
}

TEST(every_15m_no_drift_across_dst)
{
    static const struct {
        const char *zone, *from, *to;
        int fires;
    } rows[] = {
        /* the spring-forward day has 23 hours, the fall-back day 25 */
        {"America/Los_Angeles", "2026-03-08T00:00:00-08:00", "2026-03-09T00:00:00-07:00", 92},
        {"America/Los_Angeles", "2026-11-01T00:00:00-07:00", "2026-11-02T00:00:00-08:00", 100},
        {"Europe/Berlin", "2026-03-29T00:00:00+01:00", "2026-03-30T00:00:00+02:00", 92},
        {"Europe/Berlin", "2026-10-25T00:00:00+02:00", "2026-10-26T00:00:00+01:00", 100},
        {"Asia/Kolkata", "2026-10-25T00:00:00+05:30", "2026-10-26T00:00:00+05:30", 96},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        sched *s = zoned(rows[i].zone);
        ab_errmsg em;
        CHECK_OK(sched_set_every(s, 15 * 60, &em));
        ab_time t = T(rows[i].from) - 1, end = T(rows[i].to), nx, prev = 0;
        int n = 0;
        while (sched_next(s, t, &nx) == AB_OK && nx < end) {
            char b[40];
            sched_format_local(s, nx, b, sizeof b);
            /* on the wall clock at :00, :15, :30, :45 ... */
            if (strncmp(b + 14, "00:00", 5) && strncmp(b + 14, "15:00", 5) &&
                strncmp(b + 14, "30:00", 5) && strncmp(b + 14, "45:00", 5))
                t_fail(__FILE__, __LINE__, "off the wall clock: %s", b);
            /* ... and exactly 15 minutes apart in real time */
            if (n > 0 && nx - prev != 900)
                t_fail(__FILE__, __LINE__, "gap of %lld s before %s",
                       (long long)(nx - prev), b);
            prev = nx;
            t = nx;
            n++;
        }
        if (n != rows[i].fires)
            t_fail(__FILE__, __LINE__, "row %zu: %d fires, expected %d", i, n,
                   rows[i].fires);
        sched_free(s);
    }
}

TEST(hourly_cron_fires_in_both_repeated_hours)
{
    /* Vixie cron: a job whose hour field is '*' keeps its cadence through
     * the repeated hour; a job at a fixed hour runs once. */
    sched *s = zoned("America/Los_Angeles");
    ab_errmsg em;
    CHECK_OK(sched_set_cron(s, "0 * * * *", &em));
    char got[4][40];
    run(s, "2026-11-01T00:30:00-07:00", 4, got);
    CHECK_STR(got[0], "2026-11-01T01:00:00-07:00");
    CHECK_STR(got[1], "2026-11-01T01:00:00-08:00");
    CHECK_STR(got[2], "2026-11-01T02:00:00-08:00");
    run(s, "2026-03-08T00:30:00-08:00", 3, got);
    CHECK_STR(got[0], "2026-03-08T01:00:00-08:00");
    CHECK_STR(got[1], "2026-03-08T03:00:00-07:00");
    CHECK_STR(got[2], "2026-03-08T04:00:00-07:00");
    sched_free(s);
}

TEST(format_local)
{
    static const struct {
        const char *zone, *at, *expect;
    } rows[] = {
        {"America/Los_Angeles", "2026-12-01T16:00:00Z", "2026-12-01T08:00:00-08:00"},
        {"America/Los_Angeles", "2026-07-01T15:00:00Z", "2026-07-01T08:00:00-07:00"},
        {"Asia/Kolkata", "2026-07-01T00:00:00Z", "2026-07-01T05:30:00+05:30"},
        {NULL, "2026-07-01T00:00:00Z", "2026-07-01T00:00:00+00:00"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        sched *s = zoned(rows[i].zone);
        char b[40];
        CHECK_STR(sched_format_local(s, T(rows[i].at), b, sizeof b),
                  rows[i].expect);
        CHECK_STR(sched_zone_name(s), rows[i].zone ? rows[i].zone : "UTC");
        sched_free(s);
    }
}

TEST(zz_cleanup)
{
    sched_cleanup();
}
