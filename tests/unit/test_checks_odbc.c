/*
 * test_checks_odbc.c - the odbc source against real drivers: a SQLite file
 * through the SQLite ODBC driver (always, when the driver is installed),
 * and PostgreSQL through psqlODBC when a connection string is given:
 *
 *     ACKBEAT_TEST_PG_ODBC='Driver=...;Server=127.0.0.1;Port=...;Database=...;Uid=...;Pwd=...;'
 *
 * (tests/integration/t_30_checks_odbc.sh sets it from the test stack's
 * ACKBEAT_STACK_ODBC_PG).  Without it the PostgreSQL tests are skipped
 * (counted apart by the harness, not as passes); the last test prints how
 * many really ran.  Set ODBCSYSINI to a directory whose
 * odbcinst.ini has CommLog=0, or psqlODBC writes logs into /tmp.
 *
 * Each run works in its own PostgreSQL schema (ackbeat_chk_PID), dropped
 * at the end, since the stack's database is shared.
 */
#include "harness.h"

#include <sql.h>
#include <sqlext.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "test_checks_util.h"

#define SQLITE_DRIVER "/usr/lib/x86_64-linux-gnu/odbc/libsqlite3odbc.so"

static const char *NOW = "2026-11-22T12:00:00Z";
static int pg_ran, pg_skipped;

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Run statements (separated by ';' at line ends) on a fresh connection,
 * straight through the ODBC API: setting up data is not checks/' job. */
static int odbc_exec(const char *conn, const char *sql)
{
    SQLHENV env;
    SQLHDBC dbc;
    SQLHSTMT st;
    int rc = -1;
    SQLAllocHandle(SQL_HANDLE_ENV, SQL_NULL_HANDLE, &env);
    SQLSetEnvAttr(env, SQL_ATTR_ODBC_VERSION, (SQLPOINTER)SQL_OV_ODBC3, 0);
    SQLAllocHandle(SQL_HANDLE_DBC, env, &dbc);
    if (!SQL_SUCCEEDED(SQLDriverConnect(dbc, NULL, (SQLCHAR *)conn, SQL_NTS, NULL, 0,
                                        NULL, SQL_DRIVER_NOPROMPT))) {
        printf("    odbc_exec: cannot connect\n");
        goto out_dbc;
    }
    SQLAllocHandle(SQL_HANDLE_STMT, dbc, &st);
    char *copy = strdup(sql), *p = copy, *end;
    rc = 0;
    while (p && *p) {
        end = strstr(p, ";\n");
        if (end)
            *end = '\0';
        SQLRETURN r = SQLExecDirect(st, (SQLCHAR *)p, SQL_NTS);
        if (!SQL_SUCCEEDED(r) && r != SQL_NO_DATA) {
            SQLCHAR state[6], msg[512];
            SQLINTEGER nat;
            SQLSMALLINT len;
            SQLGetDiagRec(SQL_HANDLE_STMT, st, 1, state, &nat, msg, sizeof msg, &len);
            printf("    odbc_exec: %s: [%s] %s\n", p, state, msg);
            rc = -1;
            break;
        }
        SQLFreeStmt(st, SQL_CLOSE);
        p = end ? end + 2 : NULL;
    }
    free(copy);
    SQLFreeHandle(SQL_HANDLE_STMT, st);
    SQLDisconnect(dbc);
out_dbc:
    SQLFreeHandle(SQL_HANDLE_DBC, dbc);
    SQLFreeHandle(SQL_HANDLE_ENV, env);
    return rc;
}

/* ---- SQLite through the SQLite ODBC driver ----------------------------- */

static const char *sqlite_conn(void)
{
    static char conn[1024];
    static int made;
    const char *db = tpath("odbc.db");
    if (access(SQLITE_DRIVER, R_OK) != 0)
        return NULL;
    if (!made) {
        made = mkdb(db, "CREATE TABLE ev(ts TEXT, ux INTEGER, kind TEXT);"
                        "INSERT INTO ev VALUES ('2026-11-01T06:59:59Z', 1793516399, 'a'),"
                        " ('2026-11-01T07:00:00Z', 1793516400, 'a'), ('2026-11-19T08:00:00Z', 1795075200, 'b');"
                        "CREATE TABLE empty(ts TEXT);") == 0;
        snprintf(conn, sizeof conn, "Driver=%s;Database=%s;", SQLITE_DRIVER, db);
    }
    return conn;
}

#define NEED_SQLITE_ODBC()                                                    \
    const char *conn = sqlite_conn();                                        \
    if (!conn)                                                               \
        SKIP("%s not installed", SQLITE_DRIVER);

TEST(sqlite_odbc_freshness_and_count)
{
    NEED_SQLITE_ODBC();
    struct cfg_source s = src_odbc("lite", conn);
    struct cfg_check c = mkcheck("fresh", CFG_FRESHNESS, &s);
    chk_ctx *ctx = chk_ctx_new();
    c.table = "ev";
    c.column = "ts";
    c.max_age = 2 * 86400;
    EXPECT(ctx, &c, T(NOW), AB_FAILING, "newest row is 3 days 4 hours old (limit 2 days)");
    c.column = "ux";
    c.max_age = 4 * 86400;
    EXPECT(ctx, &c, T(NOW), AB_HEALTHY, "3 days 4 hours old");
    c.table = "empty";
    c.column = "ts";
    EXPECT(ctx, &c, T(NOW), AB_FAILING, "is empty");
    struct cfg_check n = mkcheck("count", CFG_COUNT, &s);
    n.table = "ev";
    n.column = "ts";
    n.period = CFG_PERIOD_MONTH;
    n.timezone = "America/Los_Angeles";
    n.has_min = 1;
    n.min = 2;
    EXPECT(ctx, &n, T("2026-12-01T07:59:59Z"), AB_HEALTHY, "2 rows this month");
    n.column = "ux";
    EXPECT(ctx, &n, T("2026-11-01T06:59:59Z"), AB_FAILING, "1 row this month");
    CHECK_INT(chk_ctx_open_count(ctx), 1);
    chk_ctx_free(ctx);
}

TEST(sqlite_odbc_sql_and_errors)
{
    NEED_SQLITE_ODBC();
    struct cfg_source s = src_odbc("lite", conn);
    struct cfg_check c = mkcheck("sql", CFG_SQL, &s);
    chk_ctx *ctx = chk_ctx_new();
    c.has_warn = c.has_crit = 1;
    c.warn = 1;
    c.crit = 5;
    c.query = "SELECT count(*) FROM ev WHERE kind = 'a'";
    EXPECT(ctx, &c, T(NOW), AB_DEGRADED, "value 2");
    c.query = "SELECT 'abc'";
    EXPECT(ctx, &c, T(NOW), AB_OFFLINE, "text 'abc' where a number was expected");
    c.query = "SELECT count(*) FROM nosuch";
    EXPECT(ctx, &c, T(NOW), AB_OFFLINE, "no such table");
    c.ts_format = CFG_TS_UNIX;
    c.query = "SELECT :now - 1795348000";
    EXPECT(ctx, &c, T(NOW), AB_FAILING, "value 800");
    c.query = "SELECT count(*) FROM ev WHERE ux >= :since";
    c.max_age = 30 * 86400;
    EXPECT(ctx, &c, T(NOW), AB_DEGRADED, "value 3");
    chk_ctx_free(ctx);
}

TEST(sqlite_odbc_query_timeout)
{
    NEED_SQLITE_ODBC();
    struct cfg_source s = src_odbc("lite", conn);
    struct cfg_check c = mkcheck("forever", CFG_SQL, &s);
    chk_ctx *ctx = chk_ctx_new();
    s.timeout = 1;
    c.query = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) "
              "SELECT max(x) FROM n";
    double t0 = mono_s();
    EXPECT(ctx, &c, T(NOW), AB_OFFLINE, "timed out after 1s");
    double dt = mono_s() - t0;
    CHECK(dt >= 0.9 && dt < 4);
    c.query = "SELECT 1";
    EXPECT(ctx, &c, T(NOW), AB_HEALTHY, "value 1");
    chk_ctx_free(ctx);
}

TEST(odbc_unknown_driver_is_offline)
{
    struct cfg_source s = src_odbc("nodrv", "Driver=/nonexistent/libnothing.so;Database=x;");
    struct cfg_check c = mkcheck("nodrv", CFG_SQL, &s);
    chk_ctx *ctx = chk_ctx_new();
    c.query = "SELECT 1";
    EXPECT(ctx, &c, T(NOW), AB_OFFLINE, "source 'nodrv': [01000]");
    s.connection = "DSN=no_such_dsn_anywhere";
    EXPECT(ctx, &c, T(NOW), AB_OFFLINE, "[IM002]");
    CHECK_INT(chk_ctx_open_count(ctx), 0);
    ab_errmsg em = {{0}};
    CHECK_INT(chk_validate(&c, ctx, &em), AB_ESOURCE);
    CHECK_CONTAINS(em.text, "check 'nodrv': source 'nodrv'");
    chk_ctx_free(ctx);
}

/* ---- PostgreSQL through psqlODBC --------------------------------------- */

static char schema[64];

static const char *pg_conn(void)
{
    static int state; /* 0 unknown, 1 ready, -1 unusable */
    const char *conn = getenv("ACKBEAT_TEST_PG_ODBC");
    if (!conn || !*conn)
        conn = getenv("ACKBEAT_STACK_ODBC_PG");
    if (!conn || !*conn)
        return NULL;
    if (state == 0) {
        char sql[4096];
        snprintf(schema, sizeof schema, "ackbeat_chk_%d", (int)getpid());
        snprintf(sql, sizeof sql,
                 "DROP SCHEMA IF EXISTS %s CASCADE;\n"
                 "CREATE SCHEMA %s;\n"
                 "CREATE TABLE %s.ev(ts timestamptz, tsn timestamp, ux bigint, iso text,"
                 " d date, kind text);\n"
                 /* The edges of November 2026 in Los Angeles, and 'b' 3d 4h before NOW. */
                 "INSERT INTO %s.ev VALUES"
                 " ('2026-11-01T06:59:59Z', '2026-10-31 23:59:59', 1793516399, '2026-11-01T06:59:59Z', '2026-10-31', 'a'),"
                 " ('2026-11-01T07:00:00Z', '2026-11-01 00:00:00', 1793516400, '2026-11-01T07:00:00Z', '2026-11-01', 'a'),"
                 " ('2026-11-19T08:00:00Z', '2026-11-19 00:00:00', 1795075200, '2026-11-19T08:00:00Z', '2026-11-19', 'b'),"
                 " ('2026-12-01T07:59:59Z', '2026-11-30 23:59:59', 1796111999, '2026-12-01T07:59:59Z', '2026-11-30', 'c'),"
                 " ('2026-12-01T08:00:00Z', '2026-12-01 00:00:00', 1796112000, '2026-12-01T08:00:00Z', '2026-12-01', 'c');\n"
                 "CREATE INDEX ON %s.ev(ts);\n"
                 "CREATE TABLE %s.empty(ts timestamptz)",
                 schema, schema, schema, schema, schema, schema);
        state = odbc_exec(conn, sql) == 0 ? 1 : -1;
    }
    return state > 0 ? conn : NULL;
}

#define NEED_PG()                                                              \
    const char *conn = pg_conn();                                             \
    if (!conn) {                                                              \
        pg_skipped++;                                                         \
        SKIP("no PostgreSQL (set ACKBEAT_TEST_PG_ODBC)");                     \
    }                                                                         \
    pg_ran++;

static const char *q(const char *fmt)
{
    static char buf[8][1024];
    static int k;
    k = (k + 1) % 8;
    snprintf(buf[k], sizeof buf[k], fmt, schema); /* fmt has one %s */
    return buf[k];
}

TEST(pg_freshness_all_column_types)
{
    NEED_PG();
    struct cfg_source s = src_odbc("pg", conn);
    struct cfg_check c = mkcheck("fresh", CFG_FRESHNESS, &s);
    chk_ctx *ctx = chk_ctx_new();
    c.table = q("%s.ev");
    c.max_age = 30 * 86400;
    c.query = q("SELECT max(ts) FROM %s.ev WHERE kind = 'b'");
    EXPECT(ctx, &c, T(NOW), AB_HEALTHY, "newest row is 3 days 4 hours old");
    c.query = q("SELECT max(ux) FROM %s.ev WHERE kind = 'b'");
    EXPECT(ctx, &c, T(NOW), AB_HEALTHY, "newest row is 3 days 4 hours old");
    c.query = q("SELECT max(iso) FROM %s.ev WHERE kind = 'b'");
    EXPECT(ctx, &c, T(NOW), AB_HEALTHY, "newest row is 3 days 4 hours old");
    /* timestamp without time zone holds Los Angeles wall clock here. */
    c.naive_zone = "America/Los_Angeles";
    c.query = q("SELECT max(tsn) FROM %s.ev WHERE kind = 'b'");
    EXPECT(ctx, &c, T(NOW), AB_HEALTHY, "newest row is 3 days 4 hours old");
    c.query = q("SELECT max(d) FROM %s.ev WHERE kind = 'b'");
    EXPECT(ctx, &c, T(NOW), AB_HEALTHY, "newest row is 3 days 4 hours old");
    c.naive_zone = NULL;
    c.query = NULL;
    c.column = "ts";
    c.max_age = 2 * 86400;
    EXPECT(ctx, &c, T("2026-12-02T08:00:00Z"), AB_HEALTHY, "newest row is 1 day old");
    c.warn_age = 12 * 3600;
    EXPECT(ctx, &c, T("2026-12-02T08:00:00Z"), AB_DEGRADED, "(warning after 12 hours, limit 2 days)");
    EXPECT(ctx, &c, T("2026-12-04T08:00:00Z"), AB_FAILING, "newest row is 3 days old");
    c.table = q("%s.empty");
    EXPECT(ctx, &c, T(NOW), AB_FAILING, "is empty");
    CHECK_INT(chk_ctx_open_count(ctx), 1);
    chk_ctx_free(ctx);
}

TEST(pg_count_month_boundaries_los_angeles)
{
    NEED_PG();
    static const char *const cols[] = {"ts", "tsn", "ux", "iso"};
    struct cfg_source s = src_odbc("pg", conn);
    chk_ctx *ctx = chk_ctx_new();
    for (int i = 0; i < 4; i++) {
        struct cfg_check c = mkcheck("monthly", CFG_COUNT, &s);
        c.table = q("%s.ev");
        c.column = cols[i];
        c.period = CFG_PERIOD_MONTH;
        c.timezone = "America/Los_Angeles";
        c.naive_zone = i == 1 ? "America/Los_Angeles" : NULL;
        c.has_min = 1;
        c.min = 3;
        EXPECT(ctx, &c, T("2026-12-01T07:59:59Z"), AB_HEALTHY, "3 rows this month");
        EXPECT(ctx, &c, T("2026-12-01T08:00:00Z"), AB_FAILING, "1 row this month");
        EXPECT(ctx, &c, T("2026-11-01T06:59:59Z"), AB_FAILING, "1 row this month");
    }
    /* The user's query with the bounds bound as TIMESTAMP (UTC wall clock). */
    struct cfg_check c = mkcheck("monthly", CFG_COUNT, &s);
    c.query = q("SELECT count(*) FROM %s.ev WHERE ts >= :period_start AND ts < :period_end "
                "AND kind::text <> ':now'");
    c.period = CFG_PERIOD_MONTH;
    c.timezone = "America/Los_Angeles";
    EXPECT(ctx, &c, T("2026-12-01T07:59:59Z"), AB_HEALTHY, "3 rows this month");
    c.ts_format = CFG_TS_UNIX;
    c.query = q("SELECT count(*) FROM %s.ev WHERE ux >= :period_start AND ux < :period_end");
    EXPECT(ctx, &c, T("2026-12-01T07:59:59Z"), AB_HEALTHY, "3 rows this month");
    chk_ctx_free(ctx);
}

TEST(pg_sql_values_and_bad_results)
{
    NEED_PG();
    struct cfg_source s = src_odbc("pg", conn);
    struct cfg_check c = mkcheck("sql", CFG_SQL, &s);
    chk_ctx *ctx = chk_ctx_new();
    c.has_warn = c.has_crit = 1;
    c.warn = 10;
    c.crit = 20;
    c.query = "SELECT 15.5::numeric";
    EXPECT(ctx, &c, T(NOW), AB_DEGRADED, "value 15.5");
    c.query = "SELECT 25::bigint";
    EXPECT(ctx, &c, T(NOW), AB_FAILING, "value 25");
    c.query = "SELECT 2.5::float8";
    EXPECT(ctx, &c, T(NOW), AB_HEALTHY, "value 2.5");
    c.query = "SELECT 'abc'::text";
    EXPECT(ctx, &c, T(NOW), AB_OFFLINE, "text 'abc' where a number was expected");
    c.query = "SELECT NULL::int";
    EXPECT(ctx, &c, T(NOW), AB_OFFLINE, "NULL where a number");
    c.query = "SELECT 1 WHERE false";
    EXPECT(ctx, &c, T(NOW), AB_OFFLINE, "no rows");
    c.query = "SELECT 1, 2";
    EXPECT(ctx, &c, T(NOW), AB_OFFLINE, "2 columns");
    c.query = "SELECT generate_series(1, 3)";
    EXPECT(ctx, &c, T(NOW), AB_OFFLINE, "more than one row");
    c.query = q("SELECT count(*) FROM %s.nosuch");
    EXPECT(ctx, &c, T(NOW), AB_OFFLINE, "does not exist");
    c.query = "SELEC 1";
    EXPECT(ctx, &c, T(NOW), AB_OFFLINE, "syntax error");
    c.query = "SELECT extract(epoch FROM :now::timestamp)::bigint - 1795348800";
    EXPECT(ctx, &c, T(NOW), AB_HEALTHY, "value 0");
    chk_ctx_free(ctx);
}

TEST(pg_query_timeout)
{
    NEED_PG();
    struct cfg_source s = src_odbc("pg", conn);
    struct cfg_check c = mkcheck("sleepy", CFG_SQL, &s);
    chk_ctx *ctx = chk_ctx_new();
    s.timeout = 1;
    c.query = "SELECT 1 FROM pg_sleep(30)";
    double t0 = mono_s();
    EXPECT(ctx, &c, T(NOW), AB_OFFLINE, "timed out after 1s");
    double dt = mono_s() - t0;
    CHECK(dt >= 0.9 && dt < 4);
    c.query = "SELECT 7";
    EXPECT(ctx, &c, T(NOW), AB_HEALTHY, "value 7");
    chk_ctx_free(ctx);
}

TEST(pg_credentials_from_source_and_secret)
{
    NEED_PG();
    /* Take Uid/Pwd out of the string and give them as username + secret. */
    char base[1024], user[128] = "", pw[128] = "";
    size_t o = 0;
    for (const char *p = conn; *p;) {
        size_t n = strcspn(p, ";");
        if (strncasecmp(p, "uid=", 4) == 0)
            snprintf(user, sizeof user, "%.*s", (int)(n - 4), p + 4);
        else if (strncasecmp(p, "pwd=", 4) == 0)
            snprintf(pw, sizeof pw, "%.*s", (int)(n - 4), p + 4);
        else if (n)
            o += (size_t)snprintf(base + o, sizeof base - o, "%.*s;", (int)n, p);
        p += n;
        if (*p == ';')
            p++;
    }
    CHECK(user[0] && pw[0]);
    setenv("ACKBEAT_TEST_PG_PW", pw, 1);
    struct cfg_source s = src_odbc("pgsecret", base);
    s.username = user;
    s.password.env = "ACKBEAT_TEST_PG_PW";
    struct cfg_check c = mkcheck("auth", CFG_SQL, &s);
    chk_ctx *ctx = chk_ctx_new();
    c.query = "SELECT 1";
    EXPECT(ctx, &c, T(NOW), AB_HEALTHY, "value 1");
    chk_ctx_close_all(ctx);
    setenv("ACKBEAT_TEST_PG_PW", "wrong;pass}word", 1);
    EXPECT(ctx, &c, T(NOW), AB_OFFLINE, "password authentication failed");
    s.password.env = "ACKBEAT_TEST_NOT_SET";
    EXPECT(ctx, &c, T(NOW), AB_OFFLINE, "ACKBEAT_TEST_NOT_SET is not set");
    unsetenv("ACKBEAT_TEST_PG_PW");
    chk_ctx_free(ctx);
}

TEST(pg_unreachable_server)
{
    NEED_PG();
    struct cfg_source s = src_odbc("down",
        "Driver={PostgreSQL Unicode};Server=127.0.0.1;Port=1;Database=x;Uid=x;Pwd=x;");
    struct cfg_check c = mkcheck("down", CFG_SQL, &s);
    chk_ctx *ctx = chk_ctx_new();
    c.query = "SELECT 1";
    double t0 = mono_s();
    EXPECT(ctx, &c, T(NOW), AB_OFFLINE, "source 'down'");
    CHECK(mono_s() - t0 < 6);
    CHECK_INT(chk_ctx_open_count(ctx), 0);
    chk_ctx_free(ctx);
}

TEST(pg_reconnects_after_the_server_drops_us)
{
    NEED_PG();
    struct cfg_source s = src_odbc("pg", conn);
    struct cfg_check c = mkcheck("pid", CFG_SQL, &s);
    chk_ctx *ctx = chk_ctx_new();
    c.query = "SELECT pg_backend_pid()";
    struct chk_outcome *o = run(ctx, &c, T(NOW));
    CHECK(o && o->status == AB_HEALTHY);
    long pid = (long)o->results[0].value;
    chk_outcome_free(o);
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT pg_terminate_backend(%ld)", pid);
    CHECK(odbc_exec(conn, sql) == 0);
    usleep(100000);
    /* The cached connection is dead: it is reopened and the query retried. */
    o = run(ctx, &c, T(NOW));
    CHECK(o);
    CHECK_INT(o->status, AB_HEALTHY);
    CHECK((long)o->results[0].value != pid);
    chk_outcome_free(o);
    CHECK_INT(chk_ctx_open_count(ctx), 1);
    chk_ctx_free(ctx);
}

TEST(pg_validate)
{
    NEED_PG();
    struct cfg_source s = src_odbc("pg", conn);
    struct cfg_check c = mkcheck("pgv", CFG_SQL, &s);
    ab_errmsg em = {{0}};
    c.query = q("SELECT count(*) FROM %s.ev WHERE ts < :now");
    CHECK_OK(chk_validate(&c, NULL, &em));
    c.query = q("SELECT count(*) FROM %s.nosuch");
    CHECK_INT(chk_validate(&c, NULL, &em), AB_ESOURCE);
    CHECK_CONTAINS(em.text, "check 'pgv': source 'pg'");
    CHECK_CONTAINS(em.text, "nosuch");
    c.query = "SELEC 1";
    CHECK_INT(chk_validate(&c, NULL, &em), AB_ESOURCE);
    CHECK_CONTAINS(em.text, "syntax error");
    c.query = "SELECT pg_sleep(30)";
    double t0 = mono_s();
    CHECK_OK(chk_validate(&c, NULL, &em));
    CHECK(mono_s() - t0 < 2);
}

TEST(zz_pg_summary_and_cleanup)
{
    const char *conn = pg_conn();
    printf("    PostgreSQL tests: %d ran, %d skipped\n", pg_ran, pg_skipped);
    if (!conn)
        SKIP("no PostgreSQL: nothing to clean up");
    char sql[128];
    snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE", schema);
    CHECK(odbc_exec(conn, sql) == 0);
}
