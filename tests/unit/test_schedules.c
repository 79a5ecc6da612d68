/*
 * test_schedules.c - seed 002's weekly windows (provisions, exclusions,
 * inclusive EndTime, midnight crossing), its four use cases, skip vs
 * defer, and bad input naming the field at fault.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

struct wrow {
    enum sched_window_kind kind;
    const char *day, *start, *end;
};

/* The seed's Main Schedule, values verbatim from its XML. */
static const struct wrow main_schedule[] = {
    {SCHED_PROVISION, "Monday", "00:00:00", "23:59:59"},
    {SCHED_PROVISION, "Tuesday", "05:00:00", "20:00:00"},
    {SCHED_PROVISION, "Wednesday", "05:00:00", "20:00:00"},
    {SCHED_PROVISION, "Thursday", "05:00:00", "20:00:00"},
    {SCHED_PROVISION, "Friday", "05:00:00", "20:00:00"},
    {SCHED_PROVISION, "Saturday", "05:00:00", "20:00:00"},
    {SCHED_PROVISION, "Sunday", "05:00:00", "20:00:00"},
    {SCHED_EXCLUSION, "Monday", "00:30:00", "03:00:00"},
};

static sched_window *make_window(const char *name, const struct wrow *rows,
                                 size_t n)
{
    sched_window *w = sched_window_new(name);
    ab_errmsg em = {0};
    for (size_t i = 0; w && i < n; i++) {
        if (sched_window_add(w, rows[i].kind, rows[i].day, rows[i].start,
                             rows[i].end, &em) != AB_OK) {
            fprintf(stderr, "window row %zu: %s\n", i, em.text);
            abort();
        }
    }
    return w;
}

static sched *main_sched(const char *zone)
{
    sched *s = sched_new();
    ab_errmsg em;
    sched_window *w = make_window("Main Schedule", main_schedule, 8);
    if (sched_set_zone(s, zone, &em) != AB_OK)
        abort();
    sched_set_window(s, w);
    sched_window_free(w); /* the schedule holds its own reference */
    return s;
}

/* The seed's rule, written independently: day 0 = Monday. */
static int main_rule(int dow, int sod)
{
    if (dow == 0)
        return !(sod >= 30 * 60 && sod <= 3 * 3600);
    return sod >= 5 * 3600 && sod <= 20 * 3600;
}

TEST(main_schedule_whole_year_utc)
{
    sched *s = main_sched(NULL);
    long allowed = 0;
    ab_time y0 = T("2026-01-01T00:00:00Z"), y1 = T("2027-01-01T00:00:00Z");
    for (ab_time t = y0; t < y1; t += 60) {
        int64_t days = t / 86400;
        int dow = (int)((days + 3) % 7); /* 1970-01-01 was a Thursday */
        int expect = main_rule(dow, (int)(t % 86400));
        int got = sched_allowed(s, t, NULL);
        if (got != expect) {
            char b[40];
            t_fail(__FILE__, __LINE__, "%s: got %d", ab_time_format(t, b, 40),
                   got);
            break;
        }
        allowed += got;
    }
    /* 52 weeks of (Monday 1440-151 + 6 x 901) minutes, plus one Thursday. */
    CHECK_INT(allowed, 52L * (1289 + 6 * 901) + 901);
    sched_free(s);
}

TEST(main_schedule_whole_year_in_los_angeles_hourly)
{
    /* The independent rule reads local time with the C library (TZ),
     * not with our zone code. */
    sched *s = main_sched("America/Los_Angeles");
    char *old = getenv("TZ") ? strdup(getenv("TZ")) : NULL;
    setenv("TZ", "America/Los_Angeles", 1);
    tzset();
    int bad = 0;
    for (ab_time t = T("2026-01-01T08:00:00Z"); t < T("2027-01-01T08:00:00Z");
         t += 1800) {
        time_t tt = (time_t)t;
        struct tm tm;
        localtime_r(&tt, &tm);
        int dow = (tm.tm_wday + 6) % 7;
        int sod = tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
        if (sched_allowed(s, t, NULL) != main_rule(dow, sod))
            bad++;
    }
    if (old)
        setenv("TZ", old, 1);
    else
        unsetenv("TZ");
    tzset();
    free(old);
    CHECK_INT(bad, 0);
    sched_free(s);
}

TEST(edges_to_the_second)
{
    static const struct {
        const char *at;
        int allowed;
        const char *why;
    } rows[] = {
        /* 2026-11-30 is a Monday. */
        {"2026-11-30T00:00:00Z", 1, "allowed: inside provision Monday 00:00:00-23:59:59"},
        {"2026-11-30T00:29:59Z", 1, "inside provision Monday"},
        {"2026-11-30T00:30:00Z", 0, "blocked: inside exclusion Monday 00:30:00-03:00:00"},
        {"2026-11-30T03:00:00Z", 0, "inside exclusion"},
        {"2026-11-30T03:00:01Z", 1, "inside provision Monday"},
        {"2026-11-30T23:59:59Z", 1, "inside provision Monday"},
        {"2026-12-01T00:00:00Z", 0, "blocked: outside every provision"},
        {"2026-12-01T04:59:59Z", 0, "outside every provision"},
        {"2026-12-01T05:00:00Z", 1, "inside provision Tuesday 05:00:00-20:00:00"},
        {"2026-12-01T20:00:00Z", 1, "Tuesday"},
        {"2026-12-01T20:00:01Z", 0, "outside"},
        {"2026-11-29T20:00:00Z", 1, "Sunday 05:00:00-20:00:00"},
        {"2026-11-29T20:00:01Z", 0, "outside"},
        {"2026-11-29T23:59:59Z", 0, "outside"},
    };
    sched *s = main_sched("UTC");
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct sched_why why;
        int got = sched_allowed(s, T(rows[i].at), &why);
        if (got != rows[i].allowed)
            t_fail(__FILE__, __LINE__, "%s: allowed %d (%s)", rows[i].at, got,
                   why.text);
        CHECK_CONTAINS(why.text, rows[i].why);
        CHECK_CONTAINS(why.text, "Main Schedule");
    }
    sched_free(s);
}

TEST(cross_midnight_windows)
{
    static const struct wrow night[] = {
        {SCHED_PROVISION, "friday", "22:00", "06:00"},
        {SCHED_PROVISION, "SUNDAY", "22:00:00", "06:00:00"}, /* into Monday */
        {SCHED_EXCLUSION, "saturday", "01:00", "01:59:59"},
    };
    static const struct {
        const char *at;
        int allowed;
    } rows[] = {
        /* 2026-12-04 is a Friday. */
        {"2026-12-04T21:59:59Z", 0}, {"2026-12-04T22:00:00Z", 1},
        {"2026-12-04T23:59:59Z", 1}, {"2026-12-05T00:00:00Z", 1},
        {"2026-12-05T00:59:59Z", 1}, {"2026-12-05T01:00:00Z", 0},
        {"2026-12-05T01:59:59Z", 0}, {"2026-12-05T02:00:00Z", 1},
        {"2026-12-05T06:00:00Z", 1}, {"2026-12-05T06:00:01Z", 0},
        {"2026-12-05T22:00:00Z", 0}, {"2026-12-06T22:00:00Z", 1},
        {"2026-12-07T03:00:00Z", 1}, {"2026-12-07T06:00:01Z", 0},
    };
    sched_window *w = make_window("nights", night, 3);
    sched *s = sched_new();
    sched_set_window(s, w);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct sched_why why;
        int got = sched_allowed(s, T(rows[i].at), &why);
        if (got != rows[i].allowed)
            t_fail(__FILE__, __LINE__, "%s: allowed %d (%s)", rows[i].at, got,
                   why.text);
    }
    struct sched_why why;
    CHECK(sched_allowed(s, T("2026-12-05T03:00:00Z"), &why));
    CHECK_CONTAINS(why.text, "inside provision Friday 22:00:00-06:00:00");
    /* Windows are frozen once shared. */
    ab_errmsg em = {0};
    CHECK_INT(sched_window_add(w, SCHED_PROVISION, "Monday", "01:00", "02:00",
                               &em),
              AB_EBUSY);
    sched_window_free(w);
    sched_free(s);
}

TEST(exclusions_alone_and_no_window)
{
    static const struct wrow only_excl[] = {
        {SCHED_EXCLUSION, "Saturday", "00:00:00", "23:59:59"},
    };
    sched_window *w = make_window("no saturday", only_excl, 1);
    sched *s = sched_new();
    struct sched_why why;
    CHECK(sched_allowed(s, T("2026-12-05T12:00:00Z"), &why));
    CHECK_INT(why.kind, SCHED_WHY_NO_WINDOW);
    sched_set_window(s, w);
    sched_window_free(w);
    CHECK(!sched_allowed(s, T("2026-12-05T12:00:00Z"), &why));
    CHECK_INT(why.kind, SCHED_WHY_EXCLUSION);
    CHECK(sched_allowed(s, T("2026-12-06T00:00:00Z"), &why));
    CHECK(!sched_allowed(s, T("2026-12-05T23:59:59Z"), NULL));
    sched_free(s);
}

/* Fire times of s in [from, to), into out; returns how many. */
static int fires(const sched *s, ab_time from, ab_time to, ab_time *out,
                 int max)
{
    int n = 0;
    ab_time t = from - 1, nx;
    while (n < max && sched_next(s, t, &nx) == AB_OK && nx < to) {
        out[n++] = nx;
        t = nx;
    }
    return n;
}

TEST(use_case_1_file_system_main_schedule_no_rule)
{
    /* No fire rule: runs on every tick while the Main Schedule allows. */
    sched *s = main_sched("America/Los_Angeles");
    ab_time nx;
    CHECK_INT(sched_rule_kind(s), SCHED_RULE_NONE);
    CHECK_INT(sched_next(s, T("2026-12-01T12:00:00Z"), &nx), AB_ENOTFOUND);
    /* Tuesday 20:00:00 local is the last allowed second; Wednesday 05:00. */
    CHECK_OK(sched_next_allowed(s, T("2026-12-01T20:00:00-08:00"), &nx));
    char b[40];
    CHECK_STR(sched_format_local(s, nx, b, sizeof b),
              "2026-12-02T05:00:00-08:00");
    CHECK_OK(sched_next_allowed(s, T("2026-12-01T10:00:00-08:00"), &nx));
    CHECK_INT(nx, T("2026-12-01T10:00:01-08:00"));
    /* A schedule with no window at all is always allowed. */
    sched *open = sched_new();
    CHECK(sched_allowed(open, T("2026-12-01T03:00:00Z"), NULL));
    sched_free(open);
    sched_free(s);
}

TEST(use_case_2_db_twice_a_day_not_saturday)
{
    static const struct wrow db[] = {
        {SCHED_PROVISION, "Sunday", "00:00:00", "23:59:59"},
        {SCHED_PROVISION, "Monday", "00:00:00", "23:59:59"},
        {SCHED_PROVISION, "Tuesday", "00:00:00", "23:59:59"},
        {SCHED_PROVISION, "Wednesday", "00:00:00", "23:59:59"},
        {SCHED_PROVISION, "Thursday", "00:00:00", "23:59:59"},
        {SCHED_PROVISION, "Friday", "00:00:00", "23:59:59"},
    };
    static const char *const rules[] = {"FREQ=DAILY;BYHOUR=9,21", "0 9,21 * * *"};
    for (int k = 0; k < 2; k++) {
        sched_window *w = make_window("DB Schedule", db, 6);
        sched *s = sched_new();
        ab_errmsg em = {0};
        CHECK_OK(sched_set_zone(s, "America/New_York", &em));
        if (k == 0)
            CHECK_OK(sched_set_rrule(s, rules[0], NULL, &em));
        else
            CHECK_OK(sched_set_cron(s, rules[1], &em));
        sched_set_window(s, w);
        sched_window_free(w);
        ab_time f[64];
        /* Monday 2026-11-30 to Monday 2026-12-07, local. */
        int n = fires(s, T("2026-11-30T00:00:00-05:00"),
                      T("2026-12-07T00:00:00-05:00"), f, 64);
        CHECK_INT(n, 12);
        char b[40];
        CHECK_STR(sched_format_local(s, f[0], b, 40), "2026-11-30T09:00:00-05:00");
        CHECK_STR(sched_format_local(s, f[9], b, 40), "2026-12-04T21:00:00-05:00");
        CHECK_STR(sched_format_local(s, f[10], b, 40), "2026-12-06T09:00:00-05:00");
        sched_free(s);
    }
}

TEST(use_case_3_once_a_day_at_9am)
{
    sched *s = sched_new();
    ab_errmsg em = {0};
    CHECK_OK(sched_set_zone(s, "America/Chicago", &em));
    CHECK_OK(sched_set_rrule(s, "FREQ=DAILY;BYHOUR=9;BYMINUTE=0;BYSECOND=0",
                             NULL, &em));
    ab_time f[16];
    int n = fires(s, T("2026-12-01T00:00:00-06:00"),
                  T("2026-12-08T00:00:00-06:00"), f, 16);
    CHECK_INT(n, 7);
    for (int i = 0; i < n; i++)
        CHECK_INT(f[i], T("2026-12-01T09:00:00-06:00") + i * 86400);
    sched_free(s);
}

TEST(skip_versus_defer)
{
    static const struct wrow office[] = {
        {SCHED_PROVISION, "Monday", "09:00", "17:00"},
        {SCHED_PROVISION, "Tuesday", "09:00", "17:00"},
    };
    static const struct {
        enum sched_on_blocked how;
        const char *after, *expect; /* NULL: AB_ENOTFOUND */
    } rows[] = {
        {SCHED_SKIP, "2026-11-30T00:00:00Z", "2026-11-30T12:00:00Z"},
        {SCHED_DEFER, "2026-11-30T00:00:00Z", "2026-11-30T09:00:00Z"},
        /* after a blocked 08:00 fire, inside the closed stretch */
        {SCHED_DEFER, "2026-11-30T08:30:00Z", "2026-11-30T09:00:00Z"},
        {SCHED_SKIP, "2026-11-30T08:30:00Z", "2026-11-30T12:00:00Z"},
        {SCHED_DEFER, "2026-11-30T09:00:00Z", "2026-11-30T12:00:00Z"},
        /* 20:00 is blocked: deferred to Tuesday 09:00, where 08:00 also
         * lands: one fire */
        {SCHED_DEFER, "2026-11-30T12:00:00Z", "2026-12-01T09:00:00Z"},
        {SCHED_SKIP, "2026-11-30T12:00:00Z", "2026-12-01T12:00:00Z"},
        {SCHED_DEFER, "2026-12-01T12:00:00Z", "2026-12-07T09:00:00Z"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        sched_window *w = make_window("office", office, 2);
        sched *s = sched_new();
        ab_errmsg em = {0};
        CHECK_OK(sched_set_cron(s, "0 8,12,20 * * *", &em));
        sched_set_window(s, w);
        sched_window_free(w);
        sched_set_on_blocked(s, rows[i].how);
        ab_time nx;
        enum ab_err rc = sched_next(s, T(rows[i].after), &nx);
        char b[40];
        if (rc != AB_OK || nx != T(rows[i].expect))
            t_fail(__FILE__, __LINE__, "row %zu: rc %d %s", i, rc,
                   rc == AB_OK ? ab_time_format(nx, b, 40) : "");
        sched_free(s);
    }
    /* Only blocked fire times: skip never fires, defer does. */
    sched_window *w = make_window("office", office, 2);
    sched *s = sched_new();
    ab_errmsg em = {0};
    ab_time nx;
    CHECK_OK(sched_set_cron(s, "0 7 * * *", &em));
    sched_set_window(s, w);
    sched_window_free(w);
    CHECK_INT(sched_next(s, T("2026-11-30T00:00:00Z"), &nx), AB_ENOTFOUND);
    sched_set_on_blocked(s, SCHED_DEFER);
    CHECK_OK(sched_next(s, T("2026-11-30T00:00:00Z"), &nx));
    CHECK_INT(nx, T("2026-11-30T09:00:00Z"));
    sched_free(s);
}

TEST(exdates)
{
    sched *s = sched_new();
    ab_errmsg em = {0};
    CHECK_OK(sched_set_zone(s, "Europe/Berlin", &em));
    CHECK_OK(sched_set_rrule(s, "FREQ=DAILY;BYHOUR=9", NULL, &em));
    CHECK_OK(sched_add_exdate(s, "2026-12-25", &em));
    CHECK_OK(sched_add_exdate(s, "2026-12-26T09:00:00", &em));
    CHECK_OK(sched_add_exdate(s, "2026-12-27T08:00:00Z", &em));
    ab_time nx;
    CHECK_OK(sched_next(s, T("2026-12-24T09:00:00+01:00"), &nx));
    CHECK_INT(nx, T("2026-12-28T09:00:00+01:00"));
    CHECK_INT(sched_add_exdate(s, "Christmas", &em), AB_EPARSE);
    CHECK_CONTAINS(em.text, "exdate \"Christmas\"");
    sched_free(s);
}

TEST(one_rule_only_and_every_bounds)
{
    sched *s = sched_new();
    ab_errmsg em = {0};
    CHECK_OK(sched_set_cron(s, "*/5 * * * *", &em));
    CHECK_INT(sched_set_every(s, 60, &em), AB_EEXIST);
    CHECK_CONTAINS(em.text, "already has a cron rule");
    CHECK_INT(sched_set_rrule(s, "FREQ=DAILY", NULL, &em), AB_EEXIST);
    sched_free(s);
    s = sched_new();
    CHECK_INT(sched_set_every(s, 0, &em), AB_ERANGE);
    CHECK_CONTAINS(em.text, "every 0 s");
    sched_free(s);
}

TEST(bad_window_input_names_the_field)
{
    static const struct {
        const char *day, *start, *end;
        enum ab_err rc;
        const char *msg;
    } rows[] = {
        {"Funday", "00:00", "01:00", AB_EINVAL, "DayOfWeek \"Funday\": not a day name"},
        {"", "00:00", "01:00", AB_EINVAL, "DayOfWeek"},
        {"Monday", "25:00:00", "26:00", AB_ERANGE, "StartTime \"25:00:00\": hour must be 0-23"},
        {"Monday", "10:60", "11:00", AB_ERANGE, "StartTime \"10:60\": minute must be 0-59"},
        {"Monday", "10:00:61", "11:00", AB_ERANGE, "second must be 0-59"},
        {"Monday", "ten", "11:00", AB_EPARSE, "StartTime \"ten\": expected HH:MM:SS or HH:MM"},
        {"Monday", "10:00", "11:00:00:00", AB_EPARSE, "EndTime"},
        {"Monday", "24:00", "11:00", AB_ERANGE, "StartTime \"24:00\""},
        {"Monday", "10:00", NULL, AB_EPARSE, "EndTime: missing"},
        /* found by fuzz_sched: a one-digit hour and a long tail */
        {"Monday", "0:00:INTERVAL00", "11:00", AB_EPARSE, "expected HH:MM:SS or HH:MM"},
    };
    sched_window *w = sched_window_new("bad");
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ab_errmsg em = {0};
        CHECK_INT(sched_window_add(w, SCHED_PROVISION, rows[i].day,
                                   rows[i].start, rows[i].end, &em),
                  rows[i].rc);
        CHECK_CONTAINS(em.text, rows[i].msg);
    }
    ab_errmsg em = {0};
    CHECK_OK(sched_window_add(w, SCHED_PROVISION, " Mon ", " 9:00 ", "24:00",
                              &em));
    sched *s = sched_new();
    sched_set_window(s, w);
    CHECK(sched_allowed(s, T("2026-11-30T23:59:59Z"), NULL));
    CHECK(!sched_allowed(s, T("2026-11-30T08:59:59Z"), NULL));
    sched_free(s);
    sched_window_free(w);
    sched_window_free(NULL);
    sched_free(NULL);
    sched_calendar_free(NULL);
}

TEST(zone_errors)
{
    static const struct {
        const char *zone;
        enum ab_err rc;
        const char *msg;
    } rows[] = {
        {"Mars/Olympus", AB_ENOTFOUND, "timezone \"Mars/Olympus\": unknown IANA zone"},
        {"../../etc/passwd", AB_EINVAL, "not an IANA zone name"},
        {"America", AB_ENOTFOUND, "unknown IANA zone"},
        {"Europe/Berlin", AB_OK, ""},
        {"US/Pacific", AB_OK, ""},
        {"UTC", AB_OK, ""},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ab_errmsg em = {0};
        sched *s = sched_new();
        CHECK_INT(sched_set_zone(s, rows[i].zone, &em), rows[i].rc);
        CHECK_CONTAINS(em.text, rows[i].msg);
        CHECK_INT(sched_zone_check(rows[i].zone, &em), rows[i].rc);
        sched_free(s);
    }
}

/* Last: release the zone tables so leak checkers see nothing. */
TEST(zz_cleanup)
{
    sched_cleanup();
}
