/*
 * test_checks_time.c - checks/ internals that need no database or child:
 * calendar periods across DST in real zones, timestamp text (offsets,
 * naive zones, shapes), the :name -> '?' rewrite for ODBC, identifier
 * quoting, Nagios output and perfdata, threshold ranges.
 */
#include "harness.h"

#include <math.h>
#include <stdio.h>

#include "checks/chk_int.h"
#include "test_checks_util.h"

static void bounds(enum cfg_period p, const char *zone, const char *now,
                   char *s, char *e)
{
    ab_time a = 0, b = 0;
    ab_errmsg em = {{0}};
    if (chk_period_bounds(p, zone, T(now), &a, &b, &em) != AB_OK) {
        snprintf(s, AB_ISO_LEN, "error: %s", em.text);
        e[0] = '\0';
        return;
    }
    ab_time_format(a, s, AB_ISO_LEN);
    ab_time_format(b, e, AB_ISO_LEN);
}

#define BOUNDS(p, zone, now, ws, we)                                          \
    do {                                                                      \
        char s_[AB_ISO_LEN], e_[AB_ISO_LEN];                                  \
        bounds((p), (zone), (now), s_, e_);                                   \
        CHECK_STR(s_, ws);                                                    \
        CHECK_STR(e_, we);                                                    \
    } while (0)

TEST(period_month_utc)
{
    BOUNDS(CFG_PERIOD_MONTH, NULL, "2026-11-22T12:00:00Z", "2026-11-01T00:00:00Z",
           "2026-12-01T00:00:00Z");
    BOUNDS(CFG_PERIOD_MONTH, "UTC", "2026-12-31T23:59:59Z", "2026-12-01T00:00:00Z",
           "2027-01-01T00:00:00Z");
}

TEST(period_month_last_and_first_second_los_angeles)
{
    /* 2026-11-30 23:59:59 PST is the last second of November there; the
     * month began in PDT (DST ended on Nov 1 at 02:00). */
    BOUNDS(CFG_PERIOD_MONTH, "America/Los_Angeles", "2026-12-01T07:59:59Z",
           "2026-11-01T07:00:00Z", "2026-12-01T08:00:00Z");
    BOUNDS(CFG_PERIOD_MONTH, "America/Los_Angeles", "2026-12-01T08:00:00Z",
           "2026-12-01T08:00:00Z", "2027-01-01T08:00:00Z");
    /* March: DST begins on the 8th; the month is an hour short. */
    BOUNDS(CFG_PERIOD_MONTH, "America/Los_Angeles", "2026-03-15T12:00:00Z",
           "2026-03-01T08:00:00Z", "2026-04-01T07:00:00Z");
}

TEST(period_day_across_dst_berlin)
{
    /* Spring forward: 23 hours. */
    BOUNDS(CFG_PERIOD_DAY, "Europe/Berlin", "2026-03-29T12:00:00Z",
           "2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z");
    /* Fall back: 25 hours, and the repeated hour belongs to the 25th. */
    BOUNDS(CFG_PERIOD_DAY, "Europe/Berlin", "2026-10-25T00:30:00Z",
           "2026-10-24T22:00:00Z", "2026-10-25T23:00:00Z");
    BOUNDS(CFG_PERIOD_DAY, "Europe/Berlin", "2026-10-25T01:30:00Z",
           "2026-10-24T22:00:00Z", "2026-10-25T23:00:00Z");
    /* Last second of the 25th, first of the 26th (local). */
    BOUNDS(CFG_PERIOD_DAY, "Europe/Berlin", "2026-10-25T22:59:59Z",
           "2026-10-24T22:00:00Z", "2026-10-25T23:00:00Z");
    BOUNDS(CFG_PERIOD_DAY, "Europe/Berlin", "2026-10-25T23:00:00Z",
           "2026-10-25T23:00:00Z", "2026-10-26T23:00:00Z");
}

TEST(period_week_starts_monday)
{
    /* Sunday 2026-03-29 (Berlin) belongs to the week of Monday the 23rd. */
    BOUNDS(CFG_PERIOD_WEEK, "Europe/Berlin", "2026-03-29T12:00:00Z",
           "2026-03-22T23:00:00Z", "2026-03-29T22:00:00Z");
    /* Monday 00:00 local is the start of a new week. */
    BOUNDS(CFG_PERIOD_WEEK, "Europe/Berlin", "2026-03-29T22:00:00Z",
           "2026-03-29T22:00:00Z", "2026-04-05T22:00:00Z");
    /* 2026-01-01 is a Thursday: its week began in 2025. */
    BOUNDS(CFG_PERIOD_WEEK, NULL, "2026-01-01T10:00:00Z", "2025-12-29T00:00:00Z",
           "2026-01-05T00:00:00Z");
}

TEST(period_quarter_and_year)
{
    BOUNDS(CFG_PERIOD_QUARTER, NULL, "2026-11-22T12:00:00Z", "2026-10-01T00:00:00Z",
           "2027-01-01T00:00:00Z");
    BOUNDS(CFG_PERIOD_QUARTER, NULL, "2026-03-31T23:59:59Z", "2026-01-01T00:00:00Z",
           "2026-04-01T00:00:00Z");
    BOUNDS(CFG_PERIOD_QUARTER, "America/Los_Angeles", "2026-04-01T06:59:59Z",
           "2026-01-01T08:00:00Z", "2026-04-01T07:00:00Z");
    BOUNDS(CFG_PERIOD_YEAR, "Europe/Berlin", "2026-12-31T23:00:00Z",
           "2026-12-31T23:00:00Z", "2027-12-31T23:00:00Z");
}

TEST(period_unknown_zone_is_an_error)
{
    ab_time a, b;
    ab_errmsg em = {{0}};
    CHECK_INT(chk_period_bounds(CFG_PERIOD_DAY, "Mars/Olympus_Mons", 0, &a, &b, &em),
              AB_EINVAL);
    CHECK_CONTAINS(em.text, "Mars/Olympus_Mons");
    CHECK_INT(chk_period_bounds(CFG_PERIOD_NONE, NULL, 0, &a, &b, &em), AB_EINVAL);
}

TEST(ts_parse_offsets_and_naive_zones)
{
    ab_time t;
    CHECK_OK(chk_ts_parse("2026-11-22T12:00:00Z", NULL, &t, NULL));
    CHECK_INT(t, T("2026-11-22T12:00:00Z"));
    CHECK_OK(chk_ts_parse("2026-11-22 14:00:00+02", NULL, &t, NULL)); /* PostgreSQL */
    CHECK_INT(t, T("2026-11-22T12:00:00Z"));
    CHECK_OK(chk_ts_parse("2026-11-22T07:00:00.123-0500", NULL, &t, NULL));
    CHECK_INT(t, T("2026-11-22T12:00:00Z"));
    CHECK_OK(chk_ts_parse("2026-11-22T12:00:00+05:30", "Europe/Berlin", &t, NULL));
    CHECK_INT(t, T("2026-11-22T06:30:00Z"));
    /* Naive: wall clock in the zone given (CET in November, CEST in July). */
    CHECK_OK(chk_ts_parse("2026-11-22 13:00:00", "Europe/Berlin", &t, NULL));
    CHECK_INT(t, T("2026-11-22T12:00:00Z"));
    CHECK_OK(chk_ts_parse("2026-07-01 14:00:00", "Europe/Berlin", &t, NULL));
    CHECK_INT(t, T("2026-07-01T12:00:00Z"));
    CHECK_OK(chk_ts_parse("2026-11-22 12:00:00  ", NULL, &t, NULL)); /* CHAR padding */
    CHECK_INT(t, T("2026-11-22T12:00:00Z"));
    CHECK_OK(chk_ts_parse("2026-11-22", "America/Los_Angeles", &t, NULL));
    CHECK_INT(t, T("2026-11-22T08:00:00Z"));
    ab_errmsg em = {{0}};
    CHECK_INT(chk_ts_parse("yesterday", NULL, &t, &em), AB_EPARSE);
    CHECK_CONTAINS(em.text, "yesterday");
    CHECK_INT(chk_ts_parse("2026-11-22T12:00:00+25", NULL, &t, NULL), AB_EPARSE);
    CHECK_INT(chk_ts_parse("2026-02-30T12:00:00Z", NULL, &t, NULL), AB_EPARSE);
}

TEST(tshape_learns_and_formats)
{
    struct chk_tshape sh;
    char buf[64];
    ab_time t = T("2026-11-01T07:00:00Z");
    CHECK(chk_tshape_learn("2026-10-31 23:59:59", &sh));
    CHECK_OK(chk_tshape_format(&sh, "America/Los_Angeles", t, buf, sizeof buf, NULL));
    CHECK_STR(buf, "2026-11-01 00:00:00");
    CHECK(chk_tshape_learn("2026-10-31T23:59:59.250Z", &sh));
    CHECK_INT(sh.frac, 3);
    CHECK_OK(chk_tshape_format(&sh, NULL, t, buf, sizeof buf, NULL));
    CHECK_STR(buf, "2026-11-01T07:00:00.000Z");
    CHECK(chk_tshape_learn("2026-10-31T23:59:59+01:00", &sh));
    CHECK_OK(chk_tshape_format(&sh, NULL, t, buf, sizeof buf, NULL));
    CHECK_STR(buf, "2026-11-01T08:00:00+01:00");
    CHECK(chk_tshape_learn("2026-10-31", &sh));
    CHECK_OK(chk_tshape_format(&sh, "America/Los_Angeles", t, buf, sizeof buf, NULL));
    CHECK_STR(buf, "2026-11-01");
    CHECK(!chk_tshape_learn("1700000000", &sh));
    chk_tshape_default(&sh);
    CHECK_OK(chk_tshape_format(&sh, "Europe/Berlin", t, buf, sizeof buf, NULL));
    CHECK_STR(buf, "2026-11-01T07:00:00Z");
}

TEST(age_format)
{
    /* Ages in check messages read as words (common/ab_time_human.c). */
    char b[64];
    CHECK_STR(chk_age_format(3 * 86400 + 4 * 3600 + 59, b, sizeof b), "3 days 4 hours");
    CHECK_STR(chk_age_format(2 * 86400, b, sizeof b), "2 days");
    CHECK_STR(chk_age_format(3725, b, sizeof b), "1 hour 2 minutes");
    CHECK_STR(chk_age_format(42, b, sizeof b), "42 seconds");
    CHECK_STR(chk_age_format(0, b, sizeof b), "0 seconds");
    CHECK_STR(chk_age_format(-90, b, sizeof b), "1 minute 30 seconds");
}

static const char *positional(const char *sql, int *ids, int *n, ab_errmsg *em)
{
    static char out[1024];
    ab_buf b;
    ab_buf_init(&b, 0);
    enum ab_err e = chk_sql_positional(sql, &b, ids, n, em);
    snprintf(out, sizeof out, "%s", e ? "ERROR" : ab_buf_str(&b));
    ab_buf_free(&b);
    return out;
}

TEST(odbc_placeholders_outside_literals)
{
    int ids[CHK_MAX_PARAMS], n;
    ab_errmsg em = {{0}};
    CHECK_STR(positional("SELECT count(*) FROM t WHERE ts >= :period_start AND "
                         "ts < :period_end AND note <> ':now' AND x::text = \":since\" "
                         "-- :now\n/* :since */ AND y = :now",
                         ids, &n, &em),
              "SELECT count(*) FROM t WHERE ts >= ? AND ts < ? AND note <> ':now' AND "
              "x::text = \":since\" -- :now\n/* :since */ AND y = ?");
    CHECK_INT(n, 3);
    CHECK_INT(ids[0], CHK_P_PERIOD_START);
    CHECK_INT(ids[1], CHK_P_PERIOD_END);
    CHECK_INT(ids[2], CHK_P_NOW);
    CHECK_STR(positional("SELECT 'it''s :now', $$ :now $$, $q$ :since $q$, :since", ids,
                         &n, &em),
              "SELECT 'it''s :now', $$ :now $$, $q$ :since $q$, ?");
    CHECK_INT(n, 1);
    CHECK_INT(ids[0], CHK_P_SINCE);
    CHECK_STR(positional("SELECT :nope", ids, &n, &em), "ERROR");
    CHECK_CONTAINS(em.text, "unknown parameter :nope");
    CHECK_STR(positional("SELECT ?", ids, &n, &em), "ERROR");
    CHECK_CONTAINS(em.text, "positional");
}

TEST(identifiers_are_validated_and_quoted)
{
    ab_buf b;
    ab_buf_init(&b, 0);
    CHECK_OK(chk_sql_ident("public.orders", '"', &b, NULL));
    CHECK_STR(ab_buf_str(&b), "\"public\".\"orders\"");
    ab_buf_reset(&b);
    CHECK_OK(chk_sql_ident("order items", '`', &b, NULL));
    CHECK_STR(ab_buf_str(&b), "`order items`");
    ab_buf_reset(&b);
    ab_errmsg em = {{0}};
    CHECK_INT(chk_sql_ident("t\"; DROP TABLE t; --", '"', &b, &em), AB_EINVAL);
    CHECK_INT(chk_sql_ident("a..b", '"', &b, &em), AB_EINVAL);
    CHECK_INT(chk_sql_ident("", '"', &b, &em), AB_EINVAL);
    ab_buf_free(&b);
}

TEST(nagios_output_split)
{
    char *msg, *perf;
    CHECK_OK(chk_nagios_split("DISK OK - free space: / 3326 MB (56%); | /=2643MB;5948;5958;0;5968\n"
                              "/ 15272 MB (77%);\n"
                              "/boot 68 MB (69%); | /boot=68MB;88;93;0;98\n"
                              "/home=69357MB;253404;253409;0;253414\n",
                              &msg, &perf));
    CHECK_STR(msg, "DISK OK - free space: / 3326 MB (56%);");
    CHECK_STR(perf, "/=2643MB;5948;5958;0;5968  /boot=68MB;88;93;0;98 "
                    "/home=69357MB;253404;253409;0;253414");
    ab_free(msg);
    ab_free(perf);
    CHECK_OK(chk_nagios_split("just text", &msg, &perf));
    CHECK_STR(msg, "just text");
    CHECK_STR(perf, "");
    ab_free(msg);
    ab_free(perf);
}

TEST(perfdata_items)
{
    struct chk_perf *p;
    size_t n;
    CHECK_OK(chk_perf_parse("time=0.06s;;;0.000000 'free space'=75.5%;20:;10:;0;100 "
                            "'it''s'=3 junk load=U;1;2 procs=120;;;0;",
                            &p, &n));
    CHECK_INT(n, 5);
    CHECK_STR(p[0].label, "time");
    CHECK(p[0].has_value && fabs(p[0].value - 0.06) < 1e-9);
    CHECK_STR(p[0].uom, "s");
    CHECK(p[0].warn == NULL && p[0].crit == NULL);
    CHECK_STR(p[1].label, "free space");
    CHECK(fabs(p[1].value - 75.5) < 1e-9);
    CHECK_STR(p[1].uom, "%");
    CHECK_STR(p[1].warn, "20:");
    CHECK_STR(p[1].crit, "10:");
    CHECK_STR(p[2].label, "it's");
    CHECK_STR(p[3].label, "load");
    CHECK(!p[3].has_value);
    CHECK_STR(p[4].label, "procs");
    CHECK_INT((long long)p[4].value, 120);
    CHECK_STR(p[4].raw, "procs=120;;;0;");
    chk_perf_free(p, n);
    CHECK_OK(chk_perf_parse("", &p, &n));
    CHECK_INT(n, 0);
    chk_perf_free(p, n);
}

TEST(nagios_ranges)
{
    CHECK_INT(chk_range_alert("10", 5), 0);
    CHECK_INT(chk_range_alert("10", 11), 1);
    CHECK_INT(chk_range_alert("10", -1), 1);
    CHECK_INT(chk_range_alert("10:", 9), 1);
    CHECK_INT(chk_range_alert("10:", 10), 0);
    CHECK_INT(chk_range_alert("~:10", -100), 0);
    CHECK_INT(chk_range_alert("~:10", 10.5), 1);
    CHECK_INT(chk_range_alert("10:20", 15), 0);
    CHECK_INT(chk_range_alert("10:20", 21), 1);
    CHECK_INT(chk_range_alert("@10:20", 15), 1);
    CHECK_INT(chk_range_alert("@10:20", 25), 0);
    CHECK_INT(chk_range_alert("abc", 1), -1);
    CHECK_INT(chk_range_alert("20:10", 1), -1);
    CHECK_INT(chk_range_alert(NULL, 1), 0);
}

TEST(value_numbers)
{
    struct chk_value v;
    double d;
    memset(&v, 0, sizeof v);
    v.type = CHK_V_TEXT;
    snprintf(v.text, sizeof v.text, " 42.5 ");
    CHECK(chk_value_number(&v, &d) && d == 42.5);
    snprintf(v.text, sizeof v.text, "abc");
    CHECK(!chk_value_number(&v, &d));
    snprintf(v.text, sizeof v.text, "inf");
    CHECK(!chk_value_number(&v, &d));
    snprintf(v.text, sizeof v.text, "0x10");
    CHECK(!chk_value_number(&v, &d));
    snprintf(v.text, sizeof v.text, "1e3");
    CHECK(chk_value_number(&v, &d) && d == 1000);
    v.type = CHK_V_NULL;
    CHECK(!chk_value_number(&v, &d));
}
