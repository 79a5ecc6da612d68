/*
 * test_checks.c - the SQL check kinds (freshness, count, sql) against real
 * SQLite files made in the scratch directory: every kind's Healthy,
 * Degraded, Failing and Offline paths, timestamp storage formats, period
 * boundaries in zones with DST, timeouts, read-only access, connection
 * reuse, and validate --deep.
 */
#include "harness.h"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "test_checks_util.h"

static const char *NOW = "2026-11-22T12:00:00Z";

/* events(ts TEXT ISO-Z, unixts INTEGER, realts REAL, local TEXT naive Berlin, kind) */
static const char *events_db(void)
{
    static int made;
    const char *p = tpath("events.db");
    if (!made) {
        made = mkdb(p, "CREATE TABLE events(id INTEGER PRIMARY KEY, ts TEXT, unixts INTEGER,"
                       " realts REAL, local TEXT, kind TEXT);"
                       "CREATE INDEX events_ts ON events(ts);"
                       /* newest: 2026-11-19T08:00:00Z = 3d 4h before NOW */
                       "INSERT INTO events(ts, unixts, realts, local, kind) VALUES"
                       " ('2026-11-10T00:00:00Z', 1794355200, 1794355200.5, '2026-11-10 01:00:00', 'a'),"
                       " ('2026-11-19T08:00:00Z', 1795075200, 1795075200.25, '2026-11-19 09:00:00', 'b');"
                       "CREATE TABLE empty(ts TEXT);"
                       "CREATE TABLE \"odd name\"(\"the ts\" TEXT);"
                       "INSERT INTO \"odd name\" VALUES ('2026-11-22T11:00:00Z');"
                       "CREATE TABLE junk(ts TEXT); INSERT INTO junk VALUES ('last tuesday');"
                       "CREATE TABLE ms(ts INTEGER); INSERT INTO ms VALUES (1795075200000);"
                       "CREATE TABLE pg(ts TEXT); INSERT INTO pg VALUES ('2026-11-22 13:00:00+02');") == 0;
    }
    return p;
}

TEST(freshness_iso_healthy_degraded_failing)
{
    struct cfg_source s = src_sqlite("events", events_db());
    struct cfg_check c = mkcheck("fresh", CFG_FRESHNESS, &s);
    chk_ctx *ctx = chk_ctx_new();
    c.table = "events";
    c.column = "ts";
    c.max_age = 2 * 86400;
    EXPECT(ctx, &c, T(NOW), AB_FAILING, "newest row is 3 days 4 hours old (limit 2 days)");
    c.max_age = 4 * 86400;
    c.warn_age = 86400;
    EXPECT(ctx, &c, T(NOW), AB_DEGRADED, "newest row is 3 days 4 hours old (warning after 1 day, limit 4 days)");
    c.warn_age = 0;
    EXPECT(ctx, &c, T(NOW), AB_HEALTHY, "3 days 4 hours old");
    /* Exactly max_age old is not "older than" it. */
    c.max_age = 3 * 86400 + 4 * 3600;
    EXPECT(ctx, &c, T(NOW), AB_HEALTHY, NULL);
    EXPECT(ctx, &c, T(NOW) + 1, AB_FAILING, NULL);
    struct chk_outcome *o = run(ctx, &c, T(NOW));
    CHECK(o);
    CHECK_INT(o->nresults, 1);
    CHECK(o->results[0].has_value);
    CHECK_INT((long long)o->results[0].value, 3 * 86400 + 4 * 3600);
    CHECK_STR(o->results[0].item, "");
    CHECK(o->execution_ms >= 0 && o->execution_ms < 1000);
    CHECK(o->remedy_note == NULL && !o->remedy_ran);
    chk_outcome_free(o);
    chk_ctx_free(ctx);
}

TEST(freshness_unix_real_and_naive_columns)
{
    struct cfg_source s = src_sqlite("events", events_db());
    struct cfg_check c = mkcheck("fresh", CFG_FRESHNESS, &s);
    chk_ctx *ctx = chk_ctx_new();
    c.table = "events";
    c.max_age = 4 * 86400;
    c.column = "unixts";
    EXPECT(ctx, &c, T(NOW), AB_HEALTHY, "3 days 4 hours old");
    c.column = "realts";
    EXPECT(ctx, &c, T(NOW), AB_HEALTHY, "3 days 4 hours old");
    /* local holds Berlin wall clock: 09:00 CET is 08:00Z. */
    c.column = "local";
    c.naive_zone = "Europe/Berlin";
    EXPECT(ctx, &c, T(NOW), AB_HEALTHY, "3 days 4 hours old");
    /* Read as UTC it would be an hour younger. */
    c.naive_zone = NULL;
    EXPECT(ctx, &c, T(NOW), AB_HEALTHY, "3 days 3 hours old");
    /* PostgreSQL-style offset "+02". */
    c.table = "pg";
    c.column = "ts";
    EXPECT(ctx, &c, T(NOW), AB_HEALTHY, "newest row is 1 hour old");
    chk_ctx_free(ctx);
}

TEST(freshness_format_mismatch_is_offline)
{
    struct cfg_source s = src_sqlite("events", events_db());
    struct cfg_check c = mkcheck("fresh", CFG_FRESHNESS, &s);
    chk_ctx *ctx = chk_ctx_new();
    c.max_age = 86400;
    c.table = "junk";
    c.column = "ts";
    EXPECT(ctx, &c, T(NOW), AB_OFFLINE, "'last tuesday' is not a timestamp");
    c.table = "events";
    c.ts_format = CFG_TS_UNIX;
    EXPECT(ctx, &c, T(NOW), AB_OFFLINE, "is not Unix seconds");
    c.ts_format = CFG_TS_ISO;
    c.column = "unixts";
    EXPECT(ctx, &c, T(NOW), AB_OFFLINE, "expected an ISO 8601 timestamp");
    c.ts_format = CFG_TS_AUTO;
    c.table = "ms";
    c.column = "ts";
    EXPECT(ctx, &c, T(NOW), AB_OFFLINE, "milliseconds?");
    chk_ctx_free(ctx);
}

TEST(freshness_empty_table_is_failing)
{
    struct cfg_source s = src_sqlite("events", events_db());
    struct cfg_check c = mkcheck("fresh", CFG_FRESHNESS, &s);
    chk_ctx *ctx = chk_ctx_new();
    c.table = "empty";
    c.column = "ts";
    c.max_age = 86400;
    EXPECT(ctx, &c, T(NOW), AB_FAILING, "table empty is empty");
    c.table = NULL;
    c.query = "SELECT ts FROM events WHERE kind = 'zzz'";
    EXPECT(ctx, &c, T(NOW), AB_FAILING, "no rows");
    c.query = "SELECT max(ts) FROM events WHERE kind = 'zzz'";
    EXPECT(ctx, &c, T(NOW), AB_FAILING, "(NULL)");
    chk_ctx_free(ctx);
}

TEST(freshness_query_with_parameters)
{
    struct cfg_source s = src_sqlite("events", events_db());
    struct cfg_check c = mkcheck("fresh", CFG_FRESHNESS, &s);
    chk_ctx *ctx = chk_ctx_new();
    c.max_age = 30 * 86400;
    /* :since = now - max_age; :now; kind 'a' only: 12d 12h old. */
    c.query = "SELECT max(ts) FROM events WHERE kind = 'a' AND ts >= :since AND ts <= :now";
    EXPECT(ctx, &c, T(NOW), AB_HEALTHY, "newest row is 12 days 12 hours old (limit 30 days)");
    c.max_age = 10 * 86400;
    EXPECT(ctx, &c, T(NOW), AB_FAILING, "no rows: the query returned no timestamp");
    /* The same with parameters bound as Unix seconds. */
    c.ts_format = CFG_TS_UNIX;
    c.max_age = 30 * 86400;
    c.query = "SELECT max(unixts) FROM events WHERE unixts BETWEEN :since AND :now";
    EXPECT(ctx, &c, T(NOW), AB_HEALTHY, "3 days 4 hours old");
    chk_ctx_free(ctx);
}

TEST(identifiers_quoted_not_pasted)
{
    struct cfg_source s = src_sqlite("events", events_db());
    struct cfg_check c = mkcheck("fresh", CFG_FRESHNESS, &s);
    chk_ctx *ctx = chk_ctx_new();
    c.max_age = 86400;
    c.table = "odd name";
    c.column = "the ts";
    EXPECT(ctx, &c, T(NOW), AB_HEALTHY, "1 hour old");
    c.table = "events; DROP TABLE events";
    c.column = "ts";
    EXPECT(ctx, &c, T(NOW), AB_OFFLINE, "no such table: events; DROP TABLE events");
    c.table = "events\"--";
    EXPECT(ctx, &c, T(NOW), AB_OFFLINE, "bad name");
    c.table = "events";
    c.column = "nope";
    EXPECT(ctx, &c, T(NOW), AB_OFFLINE, "no such column: nope");
    chk_ctx_free(ctx);
}

TEST(unreachable_source_is_offline)
{
    struct cfg_source s = src_sqlite("gone", tpath("does-not-exist.db"));
    struct cfg_check c = mkcheck("fresh", CFG_FRESHNESS, &s);
    chk_ctx *ctx = chk_ctx_new();
    c.table = "t";
    c.column = "ts";
    c.max_age = 60;
    EXPECT(ctx, &c, T(NOW), AB_OFFLINE, "source 'gone'");
    EXPECT(ctx, &c, T(NOW), AB_OFFLINE, "unable to open database file");
    /* read-only open must not have created it */
    CHECK(access(tpath("does-not-exist.db"), F_OK) != 0);
    FILE *f = fopen(tpath("junk.db"), "w");
    CHECK(f);
    fputs("this is not a database, it is a text file that is long enough to tell\n", f);
    fclose(f);
    s.path = tpath("junk.db");
    EXPECT(ctx, &c, T(NOW), AB_OFFLINE, "file is not a database");
    CHECK_INT(chk_ctx_open_count(ctx), 0);
    chk_ctx_free(ctx);
}

TEST(read_only_source_cannot_be_written)
{
    const char *p = tpath("ro.db");
    CHECK(mkdb(p, "CREATE TABLE t(x INTEGER); INSERT INTO t VALUES (1);") == 0);
    struct cfg_source s = src_sqlite("ro", p);
    struct cfg_check c = mkcheck("evil", CFG_SQL, &s);
    chk_ctx *ctx = chk_ctx_new();
    c.query = "DELETE FROM t RETURNING 1";
    EXPECT(ctx, &c, T(NOW), AB_OFFLINE, "readonly");
    c.query = "SELECT count(*) FROM t";
    EXPECT(ctx, &c, T(NOW), AB_HEALTHY, "value 1");
    c.query = "SELECT 1; DELETE FROM t";
    EXPECT(ctx, &c, T(NOW), AB_OFFLINE, "only one SQL statement");
    ab_errmsg em = {{0}};
    c.query = "DELETE FROM t";
    CHECK_INT(chk_validate(&c, ctx, &em), AB_ESOURCE);
    CHECK_CONTAINS(em.text, "check 'evil'");
    chk_ctx_free(ctx);
}

/* ---- count ----------------------------------------------------------- */

/*
 * Rows at the edges of November 2026 in Los Angeles (PDT until Nov 1
 * 02:00, then PST): Oct 31 23:59:59 PDT, Nov 1 00:00:00 PDT, Nov 30
 * 23:59:59 PST, Dec 1 00:00:00 PST; and the middle of November.  Each in
 * three storages: ISO Z text, Unix seconds, naive local text.
 */
static const char *edges_db(void)
{
    static int made;
    const char *p = tpath("edges.db");
    if (!made)
        made = mkdb(p, "CREATE TABLE iso(ts TEXT); CREATE INDEX iso_ts ON iso(ts);"
                       "INSERT INTO iso VALUES ('2026-11-01T06:59:59Z'), ('2026-11-01T07:00:00Z'),"
                       " ('2026-11-15T12:00:00Z'), ('2026-12-01T07:59:59Z'), ('2026-12-01T08:00:00Z');"
                       "CREATE TABLE ux(ts INTEGER);"
                       "INSERT INTO ux SELECT unixepoch(ts) FROM iso;"
                       "CREATE TABLE naive(ts TEXT);"
                       "INSERT INTO naive VALUES ('2026-10-31 23:59:59'), ('2026-11-01 00:00:00'),"
                       " ('2026-11-15 04:00:00'), ('2026-11-30 23:59:59'), ('2026-12-01 00:00:00');"
                       "CREATE TABLE frac(ts TEXT);"
                       "INSERT INTO frac SELECT strftime('%Y-%m-%dT%H:%M:%fZ', ts) FROM iso;") == 0;
    return p;
}

/* grace=: "by the 5th of the month, this month must have data".  Before
 * the grace ends the month just ended is judged, and the message says so;
 * from then on, this month. */
TEST(count_grace_judges_the_previous_period_until_it_ends)
{
    struct cfg_source s = src_sqlite("edges", edges_db());
    chk_ctx *ctx = chk_ctx_new();
    struct cfg_check c = mkcheck("monthly", CFG_COUNT, &s);
    c.table = "iso";
    c.column = "ts";
    c.period = CFG_PERIOD_MONTH;
    c.timezone = "America/Los_Angeles";
    c.naive_zone = "America/Los_Angeles";
    c.has_min = 1;
    c.min = 3;
    c.period_grace = 4 * 86400; /* until the 5th, 00:00 local */
    /* 06:00 on the 1st of December: without grace this fails (1 row);
     * with it, November's 3 rows are judged. */
    EXPECT(ctx, &c, T("2026-12-01T14:00:00Z"), AB_HEALTHY,
           "3 rows last month (at least 3); this month is judged from "
           "Saturday 5 December 2026, 00:00 PST");
    /* The last second of the grace: still November. */
    EXPECT(ctx, &c, T("2026-12-05T07:59:59Z"), AB_HEALTHY, "3 rows last month");
    /* The grace is over: December has only its midnight row. */
    EXPECT(ctx, &c, T("2026-12-05T08:00:00Z"), AB_FAILING,
           "1 row this month (at least 3)");
    c.period_grace = 0;
    EXPECT(ctx, &c, T("2026-12-01T14:00:00Z"), AB_FAILING, "1 row this month");
    chk_ctx_free(ctx);
}

/* Large counts read with grouped digits, never 1.0098e+06. */
TEST(count_words_large_numbers)
{
    const char *path = tpath("big.db");
    CHECK(mkdb(path, "CREATE TABLE t(ts TEXT);"
                     "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                     "WHERE i < 1009800) INSERT INTO t SELECT '2026-11-15T00:00:00Z' FROM n;") ==
          0);
    struct cfg_source s = src_sqlite("big", path);
    chk_ctx *ctx = chk_ctx_new();
    struct cfg_check c = mkcheck("big", CFG_COUNT, &s);
    c.table = "t";
    c.column = "ts";
    c.period = CFG_PERIOD_MONTH;
    c.has_min = 1;
    c.min = 1;
    EXPECT(ctx, &c, T("2026-11-20T00:00:00Z"), AB_HEALTHY,
           "1,009,800 rows this month (at least 1)");
    chk_ctx_free(ctx);
}

TEST(count_month_boundaries_los_angeles)
{
    static const char *const tables[] = {"iso", "ux", "naive", "frac"};
    struct cfg_source s = src_sqlite("edges", edges_db());
    chk_ctx *ctx = chk_ctx_new();
    for (size_t i = 0; i < 4; i++) {
        struct cfg_check c = mkcheck("monthly", CFG_COUNT, &s);
        c.table = tables[i];
        c.column = "ts";
        c.period = CFG_PERIOD_MONTH;
        c.timezone = "America/Los_Angeles";
        c.naive_zone = "America/Los_Angeles";
        c.has_min = 1;
        c.min = 3;
        /* The last second of November (local): 3 rows. */
        EXPECT(ctx, &c, T("2026-12-01T07:59:59Z"), AB_HEALTHY,
               "3 rows this month (at least 3)");
        /* The first second of December: only the midnight row. */
        EXPECT(ctx, &c, T("2026-12-01T08:00:00Z"), AB_FAILING, "1 row this month");
        /* The last second of October (local). */
        EXPECT(ctx, &c, T("2026-11-01T06:59:59Z"), AB_FAILING, "1 row this month");
    }
    chk_ctx_free(ctx);
}

TEST(count_thresholds_and_window)
{
    struct cfg_source s = src_sqlite("edges", edges_db());
    struct cfg_check c = mkcheck("recent", CFG_COUNT, &s);
    chk_ctx *ctx = chk_ctx_new();
    c.table = "iso";
    c.column = "ts";
    c.window = 7 * 86400;
    c.has_min = 1;
    c.min = 1;
    c.has_warn_below = 1;
    c.warn_below = 3;
    /* window (Nov 24 08:00, Dec 1 08:00]: two rows, inclusive of now. */
    EXPECT(ctx, &c, T("2026-12-01T08:00:00Z"), AB_DEGRADED,
           "2 rows in the last 7 days (at least 1, warning below 3)");
    c.warn_below = 2;
    EXPECT(ctx, &c, T("2026-12-01T08:00:00Z"), AB_HEALTHY, NULL);
    EXPECT(ctx, &c, T("2027-06-01T00:00:00Z"), AB_FAILING, "0 rows");
    struct chk_outcome *o = run(ctx, &c, T("2026-12-01T08:00:00Z"));
    CHECK(o && o->results[0].has_value);
    CHECK_INT((long long)o->results[0].value, 2);
    chk_outcome_free(o);
    chk_ctx_free(ctx);
}

TEST(count_week_and_day_across_dst_berlin)
{
    const char *p = tpath("berlin.db");
    CHECK(mkdb(p, "CREATE TABLE ev(ts TEXT);"
                  /* Sat 28 Mar 23:30 local (22:30Z), Sun 29 Mar 00:30 local CET,
                   * Sun 29 Mar 23:30 local CEST, Mon 30 Mar 00:00 local CEST. */
                  "INSERT INTO ev VALUES ('2026-03-28T22:30:00Z'), ('2026-03-28T23:30:00Z'),"
                  " ('2026-03-29T21:30:00Z'), ('2026-03-29T22:00:00Z');") == 0);
    struct cfg_source s = src_sqlite("berlin", p);
    struct cfg_check c = mkcheck("daily", CFG_COUNT, &s);
    chk_ctx *ctx = chk_ctx_new();
    c.table = "ev";
    c.column = "ts";
    c.timezone = "Europe/Berlin";
    c.period = CFG_PERIOD_DAY;
    c.has_min = 1;
    c.min = 1;
    EXPECT(ctx, &c, T("2026-03-29T21:59:59Z"), AB_HEALTHY, "2 rows today (at least 1)");
    c.period = CFG_PERIOD_WEEK;
    EXPECT(ctx, &c, T("2026-03-29T21:59:59Z"), AB_HEALTHY, "3 rows this week (at least 1)");
    EXPECT(ctx, &c, T("2026-03-29T22:00:00Z"), AB_HEALTHY, "1 row this week (at least 1)");
    chk_ctx_free(ctx);
}

TEST(count_query_and_empty_table)
{
    struct cfg_source s = src_sqlite("events", events_db());
    struct cfg_check c = mkcheck("cnt", CFG_COUNT, &s);
    chk_ctx *ctx = chk_ctx_new();
    c.period = CFG_PERIOD_MONTH;
    c.has_min = 1;
    c.min = 1;
    c.table = "empty";
    c.column = "ts";
    EXPECT(ctx, &c, T(NOW), AB_FAILING, "0 rows this month (the table is empty; at least 1)");
    c.table = NULL;
    c.query = "SELECT count(*) FROM events WHERE ts >= :period_start AND ts < :period_end "
              "AND kind = 'b'";
    EXPECT(ctx, &c, T(NOW), AB_HEALTHY, "1 row this month");
    c.query = "SELECT 'many'";
    EXPECT(ctx, &c, T(NOW), AB_OFFLINE, "text 'many' where a number was expected");
    c.period = CFG_PERIOD_NONE;
    ab_errmsg em = {{0}};
    struct chk_outcome *o = NULL;
    CHECK_INT(chk_run(ctx, &c, T(NOW), &o, &em), AB_EINVAL);
    CHECK_CONTAINS(em.text, "needs a period or a window");
    chk_ctx_free(ctx);
}

/* grace= on an sql check with a period: :period_start and :period_end are
 * the previous period's until the grace ends. */
TEST(sql_grace_binds_the_previous_period_until_it_ends)
{
    struct cfg_source s = src_sqlite("edges", edges_db());
    chk_ctx *ctx = chk_ctx_new();
    struct cfg_check c = mkcheck("monthly-sql", CFG_SQL, &s);
    c.query = "SELECT count(*) FROM iso WHERE ts >= :period_start AND ts < :period_end";
    c.period = CFG_PERIOD_MONTH;
    c.timezone = "America/Los_Angeles";
    c.naive_zone = "America/Los_Angeles";
    c.has_crit = 1;
    c.crit = 3;
    c.direction = CFG_BELOW;
    c.period_grace = 4 * 86400;
    /* November had 3 rows: not below 3 */
    EXPECT(ctx, &c, T("2026-12-01T14:00:00Z"), AB_HEALTHY, "value 3");
    /* past the grace, December's single row is judged */
    EXPECT(ctx, &c, T("2026-12-05T08:00:00Z"), AB_FAILING, "value 1");
    chk_ctx_free(ctx);
}

/* ---- sql ------------------------------------------------------------- */

TEST(sql_thresholds_both_directions)
{
    struct cfg_source s = src_sqlite("events", events_db());
    struct cfg_check c = mkcheck("level", CFG_SQL, &s);
    chk_ctx *ctx = chk_ctx_new();
    c.has_warn = c.has_crit = 1;
    c.warn = 10;
    c.crit = 20;
    c.direction = CFG_ABOVE;
    c.query = "SELECT 5";
    EXPECT(ctx, &c, T(NOW), AB_HEALTHY, "value 5 (warn above 10, crit above 20)");
    c.query = "SELECT 15.5";
    EXPECT(ctx, &c, T(NOW), AB_DEGRADED, "value 15.5");
    c.query = "SELECT 25";
    EXPECT(ctx, &c, T(NOW), AB_FAILING, "value 25");
    c.query = "SELECT 20"; /* equal is not past */
    EXPECT(ctx, &c, T(NOW), AB_DEGRADED, NULL);
    c.direction = CFG_BELOW;
    c.warn = 20;
    c.crit = 10;
    c.query = "SELECT 25";
    EXPECT(ctx, &c, T(NOW), AB_HEALTHY, "below");
    c.query = "SELECT 15";
    EXPECT(ctx, &c, T(NOW), AB_DEGRADED, NULL);
    c.query = "SELECT -3";
    EXPECT(ctx, &c, T(NOW), AB_FAILING, "value -3");
    c.query = "SELECT '42'"; /* numeric text is a number */
    EXPECT(ctx, &c, T(NOW), AB_HEALTHY, "value 42");
    chk_ctx_free(ctx);
}

TEST(sql_bad_results_are_offline)
{
    struct cfg_source s = src_sqlite("events", events_db());
    struct cfg_check c = mkcheck("level", CFG_SQL, &s);
    chk_ctx *ctx = chk_ctx_new();
    c.has_crit = 1;
    c.crit = 1;
    c.query = "SELECT 'abc'";
    EXPECT(ctx, &c, T(NOW), AB_OFFLINE, "text 'abc' where a number was expected");
    c.query = "SELECT NULL";
    EXPECT(ctx, &c, T(NOW), AB_OFFLINE, "returned NULL");
    c.query = "SELECT 1 WHERE 0";
    EXPECT(ctx, &c, T(NOW), AB_OFFLINE, "no rows");
    c.query = "SELECT 1, 2";
    EXPECT(ctx, &c, T(NOW), AB_OFFLINE, "2 columns");
    c.query = "SELECT id FROM events";
    EXPECT(ctx, &c, T(NOW), AB_OFFLINE, "more than one row");
    c.query = "SELEC 1";
    EXPECT(ctx, &c, T(NOW), AB_OFFLINE, "syntax error");
    c.query = "SELECT :nope";
    EXPECT(ctx, &c, T(NOW), AB_OFFLINE, "unknown parameter :nope");
    c.query = "SELECT ?";
    EXPECT(ctx, &c, T(NOW), AB_OFFLINE, "positional");
    c.query = "SELECT count(*) FROM events WHERE ts >= :period_start";
    EXPECT(ctx, &c, T(NOW), AB_OFFLINE, ":period_start but the check has no period or window");
    c.query = NULL;
    ab_errmsg em = {{0}};
    struct chk_outcome *o = NULL;
    CHECK_INT(chk_run(ctx, &c, T(NOW), &o, &em), AB_EINVAL);
    CHECK(o == NULL);
    chk_ctx_free(ctx);
}

TEST(sql_parameters_are_bound)
{
    struct cfg_source s = src_sqlite("events", events_db());
    struct cfg_check c = mkcheck("params", CFG_SQL, &s);
    chk_ctx *ctx = chk_ctx_new();
    c.ts_format = CFG_TS_UNIX;
    c.period = CFG_PERIOD_MONTH;
    c.query = "SELECT :now - :period_start";
    EXPECT(ctx, &c, T(NOW), AB_HEALTHY, "value 1857600");
    c.query = "SELECT :period_end - :since";
    EXPECT(ctx, &c, T(NOW), AB_HEALTHY, "value 2592000");
    c.ts_format = CFG_TS_AUTO;
    c.query = "SELECT length(:now) + (:now = '2026-11-22T12:00:00Z') * 100";
    EXPECT(ctx, &c, T(NOW), AB_HEALTHY, "value 120");
    chk_ctx_free(ctx);
}

/* ---- timeouts, locks, connections ------------------------------------ */

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

TEST(query_past_its_timeout_is_offline)
{
    struct cfg_source s = src_sqlite("events", events_db());
    struct cfg_check c = mkcheck("forever", CFG_SQL, &s);
    chk_ctx *ctx = chk_ctx_new();
    s.timeout = 1;
    c.query = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) "
              "SELECT max(x) FROM n";
    double t0 = mono_s();
    struct chk_outcome *o = run(ctx, &c, T(NOW));
    double dt = mono_s() - t0;
    CHECK(o);
    CHECK_INT(o->status, AB_OFFLINE);
    CHECK_CONTAINS(o->results[0].message, "query timed out after 1s");
    CHECK(dt >= 0.9 && dt < 3);
    CHECK(o->execution_ms >= 900);
    chk_outcome_free(o);
    /* The connection was dropped and reopens for the next check. */
    CHECK_INT(chk_ctx_open_count(ctx), 0);
    c.query = "SELECT 1";
    EXPECT(ctx, &c, T(NOW), AB_HEALTHY, "value 1");
    CHECK_INT(chk_ctx_open_count(ctx), 1);
    chk_ctx_free(ctx);
}

TEST(locked_database_waits_then_offline)
{
    const char *p = tpath("locked.db");
    CHECK(mkdb(p, "CREATE TABLE t(x); INSERT INTO t VALUES (1);") == 0);
    sqlite3 *w;
    CHECK(sqlite3_open(p, &w) == SQLITE_OK);
    CHECK(sqlite3_exec(w, "BEGIN EXCLUSIVE; INSERT INTO t VALUES (2);", 0, 0, 0) == SQLITE_OK);
    struct cfg_source s = src_sqlite("locked", p);
    struct cfg_check c = mkcheck("locked", CFG_SQL, &s);
    chk_ctx *ctx = chk_ctx_new();
    s.timeout = 1;
    c.query = "SELECT count(*) FROM t";
    double t0 = mono_s();
    EXPECT(ctx, &c, T(NOW), AB_OFFLINE, "database is locked");
    CHECK(mono_s() - t0 >= 0.9);
    sqlite3_exec(w, "COMMIT", 0, 0, 0);
    sqlite3_close(w);
    EXPECT(ctx, &c, T(NOW), AB_HEALTHY, "value 2");
    chk_ctx_free(ctx);
}

TEST(wal_database_is_read_during_a_write)
{
    /* ackbeat's own state database is WAL: a check of it must neither
     * wait for nor block the writer, and sees only committed rows. */
    const char *p = tpath("wal.db");
    CHECK(mkdb(p, "PRAGMA journal_mode=WAL; CREATE TABLE t(x); INSERT INTO t VALUES (1);") == 0);
    sqlite3 *w;
    CHECK(sqlite3_open(p, &w) == SQLITE_OK);
    CHECK(sqlite3_exec(w, "BEGIN IMMEDIATE; INSERT INTO t VALUES (2);", 0, 0, 0) == SQLITE_OK);
    struct cfg_source s = src_sqlite("wal", p);
    struct cfg_check c = mkcheck("wal", CFG_SQL, &s);
    chk_ctx *ctx = chk_ctx_new();
    c.query = "SELECT count(*) FROM t";
    double t0 = mono_s();
    EXPECT(ctx, &c, T(NOW), AB_HEALTHY, "value 1");
    CHECK(mono_s() - t0 < 0.5);
    CHECK(sqlite3_exec(w, "COMMIT", 0, 0, 0) == SQLITE_OK);
    EXPECT(ctx, &c, T(NOW), AB_HEALTHY, "value 2");
    sqlite3_close(w);
    chk_ctx_free(ctx);
}

TEST(connections_are_reused_per_source)
{
    const char *p = tpath("reuse.db");
    CHECK(mkdb(p, "CREATE TABLE t(x); INSERT INTO t VALUES (1);") == 0);
    struct cfg_source s1 = src_sqlite("one", p), s2 = src_sqlite("two", p);
    struct cfg_check a = mkcheck("a", CFG_SQL, &s1), b = mkcheck("b", CFG_SQL, &s2);
    chk_ctx *ctx = chk_ctx_new();
    a.query = b.query = "SELECT count(*) FROM t";
    for (int i = 0; i < 3; i++) {
        EXPECT(ctx, &a, T(NOW), AB_HEALTHY, NULL);
        EXPECT(ctx, &b, T(NOW), AB_HEALTHY, NULL);
    }
    CHECK_INT(chk_ctx_open_count(ctx), 2);
    /* The same name pointing elsewhere (a reload) is another connection. */
    struct cfg_source s1b = src_sqlite("one", events_db());
    a.source = &s1b;
    a.query = "SELECT count(*) FROM events";
    EXPECT(ctx, &a, T(NOW), AB_HEALTHY, "value 2");
    CHECK_INT(chk_ctx_open_count(ctx), 3);
    chk_ctx_close_all(ctx);
    CHECK_INT(chk_ctx_open_count(ctx), 0);
    EXPECT(ctx, &b, T(NOW), AB_HEALTHY, "value 1");
    chk_ctx_free(ctx);
    chk_ctx_free(NULL);
    chk_outcome_free(NULL);
}

TEST(heartbeat_and_ping_are_not_run_here)
{
    struct cfg_check c = mkcheck("hb", CFG_HEARTBEAT, NULL);
    chk_ctx *ctx = chk_ctx_new();
    struct chk_outcome *o = NULL;
    ab_errmsg em = {{0}};
    CHECK_INT(chk_run(ctx, &c, T(NOW), &o, &em), AB_EINVAL);
    CHECK_CONTAINS(em.text, "check 'hb'");
    CHECK_OK(chk_validate(&c, ctx, &em));
    chk_ctx_free(ctx);
}

/* ---- validate --deep -------------------------------------------------- */

TEST(validate_prepares_without_running)
{
    struct cfg_source s = src_sqlite("events", events_db());
    struct cfg_check c = mkcheck("v", CFG_FRESHNESS, &s);
    ab_errmsg em = {{0}};
    c.table = "events";
    c.column = "ts";
    CHECK_OK(chk_validate(&c, NULL, &em));
    c.table = "nosuch";
    CHECK_INT(chk_validate(&c, NULL, &em), AB_ESOURCE);
    CHECK_CONTAINS(em.text, "check 'v'");
    CHECK_CONTAINS(em.text, "no such table: nosuch");
    c.kind = CFG_SQL;
    c.query = "SELECT count(* FROM events";
    CHECK_INT(chk_validate(&c, NULL, &em), AB_ESOURCE);
    CHECK_CONTAINS(em.text, "check 'v': source 'events'");
    CHECK_CONTAINS(em.text, "syntax error");
    /* A query that never ends is only prepared: validate is quick. */
    c.query = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) "
              "SELECT max(x) FROM n";
    double t0 = mono_s();
    CHECK_OK(chk_validate(&c, NULL, &em));
    CHECK(mono_s() - t0 < 0.5);
    c.query = "SELECT count(*) FROM events WHERE ts > :period_start";
    CHECK_INT(chk_validate(&c, NULL, &em), AB_EINVAL);
    CHECK_CONTAINS(em.text, "no period or window");
    c.period = CFG_PERIOD_DAY;
    CHECK_OK(chk_validate(&c, NULL, &em));
    c.kind = CFG_COUNT;
    c.query = NULL;
    c.table = "events";
    c.column = "nope";
    CHECK_INT(chk_validate(&c, NULL, &em), AB_ESOURCE);
    CHECK_CONTAINS(em.text, "no such column: nope");
    struct cfg_source gone = src_sqlite("gone", tpath("nope/x.db"));
    c.source = &gone;
    CHECK_INT(chk_validate(&c, NULL, &em), AB_ESOURCE);
    CHECK_CONTAINS(em.text, "check 'v': source 'gone'");
    c.source = NULL;
    CHECK_INT(chk_validate(&c, NULL, &em), AB_EINVAL);
    CHECK_CONTAINS(em.text, "no source");
    c.source = &s;
    c.naive_zone = "Nowhere/Special";
    c.column = "ts";
    CHECK_INT(chk_validate(&c, NULL, &em), AB_EINVAL);
    CHECK_CONTAINS(em.text, "Nowhere/Special");
}

TEST(bad_zone_at_run_is_offline)
{
    struct cfg_source s = src_sqlite("events", events_db());
    struct cfg_check c = mkcheck("z", CFG_COUNT, &s);
    chk_ctx *ctx = chk_ctx_new();
    c.table = "events";
    c.column = "ts";
    c.period = CFG_PERIOD_DAY;
    c.timezone = "Atlantis/Capital";
    EXPECT(ctx, &c, T(NOW), AB_OFFLINE, "unknown time zone 'Atlantis/Capital'");
    chk_ctx_free(ctx);
}

/* Fail the Nth allocation for every N until a run gets through: each run
 * either succeeds or reports AB_ENOMEM, and frees what it took (ASan and
 * valgrind see the leaks).  Returns 0 after a failed CHECK. */
static int oom_sweep(const struct cfg_check *c, enum ab_status healthy)
{
    for (long n = 0; n < 400; n++) {
        chk_ctx *ctx = chk_ctx_new();
        if (!ctx)
            continue;
        struct chk_outcome *o = NULL;
        ab_mem_fail_after(n);
        enum ab_err e = chk_run(ctx, c, T(NOW), &o, NULL);
        long used = ab_mem_fail_reset();
        chk_ctx_free(ctx);
        if (e == AB_OK) {
            int good = o && (o->status == healthy || o->status == AB_OFFLINE);
            chk_outcome_free(o);
            if (!good) {
                t_fail(__FILE__, __LINE__, "%s: wrong status after %ld allocations", c->name, n);
                return 0;
            }
            if (used <= n)
                return 1; /* the whole run fitted under the limit: done */
            continue;
        }
        if (e != AB_ENOMEM || o != NULL) {
            t_fail(__FILE__, __LINE__, "%s: chk_run returned %d", c->name, (int)e);
            return 0;
        }
    }
    t_fail(__FILE__, __LINE__, "%s: never succeeded", c->name);
    return 0;
}

TEST(out_of_memory_never_crashes)
{
    struct cfg_source s = src_sqlite("events", events_db());
    struct cfg_check c = mkcheck("oom-count", CFG_COUNT, &s);
    c.table = "events";
    c.column = "ts";
    c.period = CFG_PERIOD_MONTH;
    CHECK(oom_sweep(&c, AB_HEALTHY));
    c = mkcheck("oom-fresh", CFG_FRESHNESS, &s);
    c.table = "events";
    c.column = "ts";
    c.max_age = 30 * 86400;
    CHECK(oom_sweep(&c, AB_HEALTHY));
    c = mkcheck("oom-sql", CFG_SQL, &s);
    c.query = "SELECT count(*) FROM events WHERE ts < :now";
    CHECK(oom_sweep(&c, AB_HEALTHY));
    c = mkcheck("oom-cmd", CFG_COMMAND, NULL);
    c.shell = "echo 'OK | a=1;2;3 b=4'";
    c.type = "Action";
    c.remedy = "true";
    CHECK(oom_sweep(&c, AB_HEALTHY));
    c.shell = "echo 'CRIT | a=1;2;3 b=4'; exit 2";
    CHECK(oom_sweep(&c, AB_FAILING));
}
