/*
 * test_sched_gap.c - a fire time that a spring-forward gap moves is not
 * lost when `next` is asked from the last second before the gap.
 *
 * Found by an independent oracle: "30 2 * * *" in Europe/Berlin from
 * 2026-03-29T00:59:59Z gave 03-30 02:30 instead of 03-29 03:00 (the gap's
 * end).  A table of named cases, then a property over every gap of 2026
 * in zones with one-hour and Lord Howe's 30-minute shifts, for RRULE,
 * cron and every=: asking from the second before the gap gives what
 * asking from two seconds before does, and a daily slot inside the gap
 * fires at the gap's end.  The gaps are found with the C library's
 * localtime_r, not with our zone tables.
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
    if (ab_time_parse(s, &t) != AB_OK)
        abort();
    return t;
}

enum kind { CRON, RRULE, EVERY };

static sched *rule(const char *zone, enum kind k, const char *text, int64_t every)
{
    sched *s = sched_new();
    ab_errmsg em;
    enum ab_err e = sched_set_zone(s, zone, &em);
    if (!e)
        e = k == CRON    ? sched_set_cron(s, text, &em)
            : k == RRULE ? sched_set_rrule(s, text, NULL, &em)
                         : sched_set_every(s, every, &em);
    if (e) {
        printf("    %s %s: %s\n", zone, text ? text : "every", em.text);
        sched_free(s);
        return NULL;
    }
    return s;
}

static ab_time next_of(const sched *s, ab_time after)
{
    ab_time n = 0;
    return sched_next(s, after, &n) == AB_OK ? n : -1;
}

TEST(named_cases_around_a_gap)
{
    static const struct {
        const char *zone;
        enum kind k;
        const char *text;
        int64_t every;
        const char *from, *want;
    } cases[] = {
        {"Europe/Berlin", CRON, "30 2 * * *", 0, "2026-03-29T00:59:59Z", "2026-03-29T01:00:00Z"},
        {"Europe/Berlin", CRON, "30 2 * * *", 0, "2026-03-29T00:59:58Z", "2026-03-29T01:00:00Z"},
        {"Europe/Berlin", CRON, "30 2 * * *", 0, "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"},
        {"Europe/Berlin", RRULE, "FREQ=DAILY;BYHOUR=2;BYMINUTE=30;BYSECOND=0", 0,
         "2026-03-29T00:59:59Z", "2026-03-29T01:00:00Z"},
        {"America/New_York", CRON, "0 2 * * *", 0, "2026-03-08T06:59:59Z", "2026-03-08T07:00:00Z"},
        {"America/New_York", RRULE, "FREQ=WEEKLY;BYDAY=SU;BYHOUR=2;BYMINUTE=15", 0,
         "2026-03-08T06:59:59Z", "2026-03-08T07:00:00Z"},
        /* Lord Howe: 02:00 +10:30 becomes 02:30 +11, a 30-minute gap. */
        {"Australia/Lord_Howe", CRON, "15 2 * * *", 0, "2026-10-03T15:29:59Z",
         "2026-10-03T15:30:00Z"},
        {"Australia/Lord_Howe", RRULE, "FREQ=DAILY;BYHOUR=2;BYMINUTE=0;BYSECOND=0", 0,
         "2026-10-03T15:29:59Z", "2026-10-03T15:30:00Z"},
        /* every 45m from Monday midnight local: 02:15 is in the gap. */
        {"Australia/Lord_Howe", EVERY, NULL, 45 * 60, "2026-10-03T15:29:59Z",
         "2026-10-03T15:30:00Z"},
    };
    char a[AB_ISO_LEN], b[AB_ISO_LEN];
    int bad = 0;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sched *s = rule(cases[i].zone, cases[i].k, cases[i].text, cases[i].every);
        CHECK(s != NULL);
        ab_time got = next_of(s, T(cases[i].from));
        if (got != T(cases[i].want)) {
            printf("    %s %s from %s: got %s, want %s\n", cases[i].zone,
                   cases[i].text ? cases[i].text : "every", cases[i].from,
                   got < 0 ? "none" : ab_time_format(got, a, sizeof a),
                   ab_time_format(T(cases[i].want), b, sizeof b));
            bad++;
        }
        sched_free(s);
    }
    CHECK_INT(bad, 0);
}

/* UTC offset of t in zone, by the C library. */
static long libc_off(const char *zone, time_t t)
{
    (void)zone;
    struct tm tm;
    localtime_r(&t, &tm);
    return tm.tm_gmtoff;
}

TEST(every_gap_of_2026_in_every_rule_kind)
{
    static const char *const zones[] = {
        "Europe/Berlin", "Europe/London", "America/New_York", "America/Los_Angeles",
        "America/Santiago", "America/Havana", "Australia/Sydney", "Australia/Lord_Howe",
        "Pacific/Auckland", "Asia/Tehran", "Africa/Cairo", "America/St_Johns",
    };
    const char *old = getenv("TZ");
    char *saved = old ? strdup(old) : NULL;
    int bad = 0, gaps = 0, checks = 0;
    char a[AB_ISO_LEN], b[AB_ISO_LEN];
    for (size_t z = 0; z < sizeof zones / sizeof zones[0]; z++) {
        setenv("TZ", zones[z], 1);
        tzset();
        time_t t0 = (time_t)T("2026-01-01T00:00:00Z"), t1 = (time_t)T("2027-01-01T00:00:00Z");
        for (time_t t = t0; t < t1; t += 900) {
            long o1 = libc_off(zones[z], t), o2 = libc_off(zones[z], t + 900);
            if (o2 <= o1)
                continue;
            /* A gap within (t, t + 900]: find its second. */
            time_t g = t + 1;
            while (libc_off(zones[z], g) == o1)
                g++;
            gaps++;
            /* The gap's first wall time, and one in its middle. */
            long walls[2] = {((long)g + o1) % 86400, ((long)g + o1 + (o2 - o1) / 2) % 86400};
            for (int w = 0; w < 2; w++) {
                char cron[64], rr[128];
                snprintf(cron, sizeof cron, "%ld %ld * * *", walls[w] / 60 % 60, walls[w] / 3600);
                snprintf(rr, sizeof rr, "FREQ=DAILY;BYHOUR=%ld;BYMINUTE=%ld;BYSECOND=0",
                         walls[w] / 3600, walls[w] / 60 % 60);
                for (int k = 0; k < 2; k++) {
                    sched *s = rule(zones[z], k ? RRULE : CRON, k ? rr : cron, 0);
                    if (!s) {
                        bad++;
                        continue;
                    }
                    ab_time n1 = next_of(s, (ab_time)g - 1), n2 = next_of(s, (ab_time)g - 2);
                    checks++;
                    if (n1 != (ab_time)g || n2 != (ab_time)g) {
                        printf("    %s %s: from the gap's last seconds %s / %s, want %s\n",
                               zones[z], k ? rr : cron, ab_time_format(n2, a, sizeof a),
                               ab_time_format(n1, b, sizeof b),
                               ab_time_format((ab_time)g, a, sizeof a));
                        bad++;
                    }
                    sched_free(s);
                }
            }
            /* every=: the second before the gap sees what two seconds
             * before do (unless that is the second before itself). */
            static const int64_t everies[] = {7 * 60, 45 * 60, 90 * 60, 86400, 25 * 3600};
            for (size_t e = 0; e < sizeof everies / sizeof everies[0]; e++) {
                sched *s = rule(zones[z], EVERY, NULL, everies[e]);
                if (!s) {
                    bad++;
                    continue;
                }
                ab_time n2 = next_of(s, (ab_time)g - 2), n1 = next_of(s, (ab_time)g - 1);
                checks++;
                if (n2 != (ab_time)g - 1 && n1 != n2) {
                    printf("    %s every %llds: from %lld: %s, one second later: %s\n",
                           zones[z], (long long)everies[e], (long long)g - 2,
                           ab_time_format(n2, a, sizeof a), ab_time_format(n1, b, sizeof b));
                    bad++;
                }
                sched_free(s);
            }
        }
    }
    if (saved) {
        setenv("TZ", saved, 1);
        free(saved);
    } else {
        unsetenv("TZ");
    }
    tzset();
    printf("    %d gaps, %d checks\n", gaps, checks);
    CHECK(gaps >= 10);
    CHECK_INT(bad, 0);
}
