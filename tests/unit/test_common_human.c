/*
 * test_common_human.c - the words people read for times, durations and
 * numbers (common/ab_time_human.c): the exact text mail, `status`, `acks`
 * and the web show.
 */
#include <stdio.h>
#include <string.h>

#include "common/ab_time.h"
#include "tests/unit/harness.h"

static ab_time at(const char *iso)
{
    ab_time t = 0;
    if (ab_time_parse(iso, &t) != AB_OK)
        return AB_TIME_NONE;
    return t;
}

TEST(time_in_the_site_zone_reads_as_a_sentence)
{
    char buf[AB_HUMAN_LEN];
    /* 14:00 UTC is 08:00 in Chicago in November (CST, UTC-6). */
    CHECK_STR(ab_time_human(at("2026-11-08T14:00:00Z"), "America/Chicago", buf, sizeof buf),
              "Sunday 8 November 2026, 08:00 CST");
    /* Summer time has its own name. */
    CHECK_STR(ab_time_human(at("2026-07-01T13:00:00Z"), "America/Chicago", buf, sizeof buf),
              "Wednesday 1 July 2026, 08:00 CDT");
    CHECK_STR(ab_time_human(at("2026-12-01T08:00:00Z"), NULL, buf, sizeof buf),
              "Tuesday 1 December 2026, 08:00 UTC");
    CHECK_STR(ab_time_human(AB_TIME_NONE, "UTC", buf, sizeof buf), "never");
}

TEST(time_short_form_for_tables)
{
    char buf[AB_HUMAN_LEN];
    CHECK_STR(ab_time_human_short(at("2026-11-08T14:00:00Z"), "America/Chicago", buf,
                                  sizeof buf),
              "Sun 8 Nov 2026 08:00 CST");
    CHECK_STR(ab_time_human_short(at("2026-03-29T01:30:00Z"), "Europe/Berlin", buf,
                                  sizeof buf),
              "Sun 29 Mar 2026 03:30 CEST");
    CHECK_STR(ab_time_human_short(AB_TIME_NONE, "UTC", buf, sizeof buf), "-");
}

TEST(zone_without_a_name_reads_as_an_offset)
{
    char abbr[32];
    CHECK_INT(ab_zone_offset("America/Sao_Paulo", at("2026-11-08T14:00:00Z"), abbr,
                             sizeof abbr),
              -3 * 3600);
    CHECK_STR(abbr, "UTC-03");
    CHECK_INT(ab_zone_offset("Asia/Kathmandu", at("2026-11-08T14:00:00Z"), abbr, sizeof abbr),
              5 * 3600 + 45 * 60);
    CHECK_STR(abbr, "UTC+05:45");
    /* A zone the config never had falls back to UTC rather than fail. */
    CHECK_INT(ab_zone_offset("Mars/Olympus", 0, abbr, sizeof abbr), 0);
    CHECK_STR(abbr, "UTC");
}

TEST(durations_for_people)
{
    char buf[AB_HUMAN_LEN];
    CHECK_STR(ab_duration_human(3 * 86400 + 4 * 3600 + 12 * 60, buf, sizeof buf),
              "3 days 4 hours");
    /* 3w6d23h30m in the exact form. */
    CHECK_STR(ab_duration_human(27 * 86400 + 23 * 3600 + 30 * 60, buf, sizeof buf),
              "27 days 23 hours");
    CHECK_STR(ab_duration_human(86400, buf, sizeof buf), "1 day");
    CHECK_STR(ab_duration_human(2 * 86400, buf, sizeof buf), "2 days");
    CHECK_STR(ab_duration_human(3600 + 60, buf, sizeof buf), "1 hour 1 minute");
    CHECK_STR(ab_duration_human(45 * 60, buf, sizeof buf), "45 minutes");
    CHECK_STR(ab_duration_human(10, buf, sizeof buf), "10 seconds");
    CHECK_STR(ab_duration_human(0, buf, sizeof buf), "0 seconds");
    CHECK_STR(ab_duration_human(-90, buf, sizeof buf), "-1 minute 30 seconds");
}

TEST(numbers_for_people)
{
    char buf[AB_HUMAN_LEN];
    CHECK_STR(ab_number_human(1009800, buf, sizeof buf), "1,009,800");
    CHECK_STR(ab_number_human(999, buf, sizeof buf), "999");
    CHECK_STR(ab_number_human(1000, buf, sizeof buf), "1,000");
    CHECK_STR(ab_number_human(0, buf, sizeof buf), "0");
    CHECK_STR(ab_number_human(-1234567, buf, sizeof buf), "-1,234,567");
    CHECK_STR(ab_number_human(1234.5, buf, sizeof buf), "1,234.5");
    CHECK_STR(ab_number_human(2.9999, buf, sizeof buf), "3");
    CHECK_STR(ab_number_human(0.125, buf, sizeof buf), "0.125");
}
