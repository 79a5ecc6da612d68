/*
 * bench_checks.c - what one freshness check costs in ackbeat, beside the
 * same query issued without ackbeat, in the same run:
 *
 *   sqlite  10,000 freshness checks (table + column, SELECT max("ts") over
 *           an index) on a 1,000,000-row SQLite table, through chk_run(),
 *           against the same SELECT prepared once and stepped straight
 *           through the sqlite3 API (the floor), and prepared per query.
 *   odbc    1,000 freshness checks on a PostgreSQL table through psqlODBC,
 *           one chk_ctx (connection included), against the same 1,000
 *           queries run by `isql -b` in batch mode (process and connection
 *           included).  Skipped unless a connection string is given in
 *           ACKBEAT_BENCH_PG_ODBC, ACKBEAT_TEST_PG_ODBC or
 *           ACKBEAT_STACK_ODBC_PG (set ODBCSYSINI as for the tests).
 *
 * Build and run from the repo root (bench/bench_checks.sh does both):
 *   make build/libchecks.a build/libstore.a build/libcommon.a
 *   cc -O2 -std=c17 -D_GNU_SOURCE -I. bench/bench_checks.c build/libchecks.a \
 *       build/libstore.a build/libcommon.a -lsqlite3 -lodbc -lical -lpthread \
 *       -o build/bench_checks
 *   build/bench_checks [N-sqlite [N-odbc]]
 *
 * Each variant runs ROUNDS times interleaved; the median is reported.
 * Ends with lines: BENCH checks <metric> <value> <baseline_value> <ratio>.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <sql.h>
#include <sqlext.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "checks/chk.h"
#include "common/ab_mem.h"

#define ROUNDS 5
#define ROWS 1000000

extern char **environ;

/* checks/ reads ODBC passwords with cfg_secret_read (config/); this bench
 * does not link config/ and never sets a password secret. */
__attribute__((weak)) enum ab_err cfg_secret_read(const struct cfg_secret *s,
                                                  char **out, ab_errmsg *em)
{
    (void)s;
    (void)em;
    *out = NULL;
    return AB_OK;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double median(double *v, int n)
{
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && v[j] < v[j - 1]; j--) {
            double t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
    return v[n / 2];
}

static void die(const char *what)
{
    fprintf(stderr, "bench_checks: %s\n", what);
    exit(1);
}

/* ---- SQLite -------------------------------------------------------------- */

static void make_db(const char *path)
{
    sqlite3 *db;
    char *err = NULL;
    if (sqlite3_open(path, &db) != SQLITE_OK)
        die("cannot create the database");
    char sql[1024];
    snprintf(sql, sizeof sql,
             "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
             "CREATE TABLE ev(id INTEGER PRIMARY KEY, ts TEXT NOT NULL, payload TEXT);"
             "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < %d)"
             " INSERT INTO ev(ts, payload) SELECT strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ',"
             " 1790000000 + i * 5, 'unixepoch'), 'row ' || i FROM n;"
             "CREATE INDEX ev_ts ON ev(ts);",
             ROWS - 1);
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
        fprintf(stderr, "bench_checks: %s\n", err);
        exit(1);
    }
    sqlite3_close(db);
}

static double run_ackbeat(chk_ctx *ctx, const struct cfg_check *c, ab_time now, int n)
{
    double t0 = now_s();
    for (int i = 0; i < n; i++) {
        struct chk_outcome *o;
        if (chk_run(ctx, c, now, &o, NULL) != AB_OK)
            die("chk_run failed");
        if (o->status != AB_HEALTHY)
            die(o->results[0].message ? o->results[0].message : "not healthy");
        chk_outcome_free(o);
    }
    return (now_s() - t0) / n * 1e6;
}

static volatile size_t sink;

static double run_sqlite_prepared(sqlite3 *db, int n)
{
    sqlite3_stmt *st;
    size_t total = 0;
    if (sqlite3_prepare_v2(db, "SELECT max(\"ts\") FROM \"ev\"", -1, &st, NULL) != SQLITE_OK)
        die("prepare failed");
    double t0 = now_s();
    for (int i = 0; i < n; i++) {
        if (sqlite3_step(st) != SQLITE_ROW)
            die("step failed");
        const unsigned char *t = sqlite3_column_text(st, 0);
        ab_time ts = 0;
        if (!t || ab_time_parse((const char *)t, &ts) != AB_OK)
            die("bad timestamp");
        total += (size_t)ts;
        sqlite3_reset(st);
    }
    double us = (now_s() - t0) / n * 1e6;
    sqlite3_finalize(st);
    sink += total; /* keep the parse from being optimised away */
    return us;
}

static double run_sqlite_each(sqlite3 *db, int n)
{
    double t0 = now_s();
    for (int i = 0; i < n; i++) {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db, "SELECT max(\"ts\") FROM \"ev\"", -1, &st, NULL) != SQLITE_OK ||
            sqlite3_step(st) != SQLITE_ROW)
            die("query failed");
        ab_time ts = 0;
        if (ab_time_parse((const char *)sqlite3_column_text(st, 0), &ts) != AB_OK)
            die("bad timestamp");
        sqlite3_finalize(st);
    }
    return (now_s() - t0) / n * 1e6;
}

static void bench_sqlite(const char *dir, int n)
{
    char path[512];
    snprintf(path, sizeof path, "%s/bench.db", dir);
    double t0 = now_s();
    make_db(path);
    fprintf(stderr, "sqlite: %d rows made in %.1f s\n", ROWS, now_s() - t0);

    struct cfg_source src;
    memset(&src, 0, sizeof src);
    src.name = "bench";
    src.kind = CFG_SRC_SQLITE;
    src.path = path;
    src.timeout = 10;
    struct cfg_check c;
    memset(&c, 0, sizeof c);
    c.name = "fresh";
    c.kind = CFG_FRESHNESS;
    c.type = "Information";
    c.source = &src;
    c.table = "ev";
    c.column = "ts";
    c.max_age = 86400;
    /* now: just after the newest row */
    ab_time now = 1790000000 + (ab_time)(ROWS - 1) * 5 + 60;

    chk_ctx *ctx = chk_ctx_new();
    sqlite3 *db = NULL;
    if (!ctx || sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        die("setup failed");
    run_ackbeat(ctx, &c, now, 200); /* warm both: pages cached, statement prepared */
    run_sqlite_prepared(db, 200);
    double a[ROUNDS], b[ROUNDS], e[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
        a[r] = run_ackbeat(ctx, &c, now, n);
        b[r] = run_sqlite_prepared(db, n);
        e[r] = run_sqlite_each(db, n);
        fprintf(stderr, "sqlite round %d: chk_run %.2f us, prepared %.2f us, prepare-each %.2f us\n",
                r + 1, a[r], b[r], e[r]);
    }
    double ma = median(a, ROUNDS), mb = median(b, ROUNDS), me = median(e, ROUNDS);
    printf("BENCH checks sqlite_freshness_us_per_check %.2f %.2f %.2f\n", ma, mb, ma / mb);
    printf("BENCH checks sqlite_freshness_vs_prepare_each_us %.2f %.2f %.2f\n", ma, me, ma / me);
    sqlite3_close(db);
    chk_ctx_free(ctx);
}

/* ---- PostgreSQL over ODBC ------------------------------------------------ */

static int odbc_exec(const char *conn, const char *sql)
{
    SQLHENV env;
    SQLHDBC dbc;
    SQLHSTMT st;
    int rc = -1;
    SQLAllocHandle(SQL_HANDLE_ENV, SQL_NULL_HANDLE, &env);
    SQLSetEnvAttr(env, SQL_ATTR_ODBC_VERSION, (SQLPOINTER)SQL_OV_ODBC3, 0);
    SQLAllocHandle(SQL_HANDLE_DBC, env, &dbc);
    if (SQL_SUCCEEDED(SQLDriverConnect(dbc, NULL, (SQLCHAR *)conn, SQL_NTS, NULL, 0, NULL,
                                       SQL_DRIVER_NOPROMPT))) {
        SQLAllocHandle(SQL_HANDLE_STMT, dbc, &st);
        SQLRETURN r = SQLExecDirect(st, (SQLCHAR *)sql, SQL_NTS);
        rc = SQL_SUCCEEDED(r) || r == SQL_NO_DATA ? 0 : -1;
        if (rc) {
            SQLCHAR state[6], msg[512];
            SQLINTEGER nat;
            SQLSMALLINT len;
            SQLGetDiagRec(SQL_HANDLE_STMT, st, 1, state, &nat, msg, sizeof msg, &len);
            fprintf(stderr, "bench_checks: [%s] %s\n", state, msg);
        }
        SQLFreeHandle(SQL_HANDLE_STMT, st);
        SQLDisconnect(dbc);
    }
    SQLFreeHandle(SQL_HANDLE_DBC, dbc);
    SQLFreeHandle(SQL_HANDLE_ENV, env);
    return rc;
}

/* Time `isql -b -k CONN < file > /dev/null`. */
static double run_isql(const char *conn, const char *file)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, file, O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    char *argv[] = {"isql", "-b", "-k", (char *)conn, NULL};
    pid_t pid;
    int status;
    double t0 = now_s();
    if (posix_spawnp(&pid, "isql", &fa, NULL, argv, environ) != 0)
        die("cannot run isql");
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    double dt = now_s() - t0;
    posix_spawn_file_actions_destroy(&fa);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        die("isql failed");
    return dt;
}

static void bench_odbc(const char *dir, const char *conn, int n)
{
    char schema[64], sql[1024], table[96], file[512];
    snprintf(schema, sizeof schema, "ackbeat_bench_%d", (int)getpid());
    snprintf(table, sizeof table, "%s.ev", schema);
    snprintf(sql, sizeof sql,
             "DROP SCHEMA IF EXISTS %s CASCADE; CREATE SCHEMA %s;"
             "CREATE TABLE %s.ev(id bigserial PRIMARY KEY, ts timestamptz NOT NULL);"
             "INSERT INTO %s.ev(ts) SELECT to_timestamp(1790000000 + i * 5)"
             " FROM generate_series(0, 99999) i;"
             "CREATE INDEX ON %s.ev(ts); ANALYZE %s.ev",
             schema, schema, schema, schema, schema, schema);
    if (odbc_exec(conn, sql) != 0)
        die("cannot create the PostgreSQL table");
    snprintf(file, sizeof file, "%s/queries.sql", dir);
    FILE *f = fopen(file, "w");
    if (!f)
        die("cannot write the isql script");
    for (int i = 0; i < n; i++)
        fprintf(f, "SELECT max(\"ts\") FROM \"%s\".\"ev\"\n", schema);
    fclose(f);

    struct cfg_source src;
    memset(&src, 0, sizeof src);
    src.name = "pg";
    src.kind = CFG_SRC_ODBC;
    src.connection = conn;
    src.timeout = 10;
    struct cfg_check c;
    memset(&c, 0, sizeof c);
    c.name = "pgfresh";
    c.kind = CFG_FRESHNESS;
    c.type = "Information";
    c.source = &src;
    c.table = table;
    c.column = "ts";
    c.max_age = 86400;
    ab_time now = 1790000000 + 99999 * 5 + 60;

    double a[ROUNDS], b[ROUNDS];
    run_isql(conn, file); /* warm the server's cache */
    for (int r = 0; r < ROUNDS; r++) {
        chk_ctx *ctx = chk_ctx_new();
        double t0 = now_s();
        run_ackbeat(ctx, &c, now, n);
        a[r] = now_s() - t0;
        chk_ctx_free(ctx);
        b[r] = run_isql(conn, file);
        fprintf(stderr, "odbc round %d: chk_run %.3f s, isql -b %.3f s for %d queries\n", r + 1,
                a[r], b[r], n);
    }
    double ma = median(a, ROUNDS) / n * 1e6, mb = median(b, ROUNDS) / n * 1e6;
    printf("BENCH checks odbc_pg_freshness_us_per_check %.1f %.1f %.2f\n", ma, mb, ma / mb);
    snprintf(sql, sizeof sql, "DROP SCHEMA IF EXISTS %s CASCADE", schema);
    odbc_exec(conn, sql);
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 10000;
    int n_odbc = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 1000;
    char dir[] = "/tmp/ackbeat-bench.XXXXXX";
    if (n <= 0 || n_odbc <= 0 || !mkdtemp(dir))
        die("usage: bench_checks [N-sqlite [N-odbc]]");
    bench_sqlite(dir, n);
    const char *conn = getenv("ACKBEAT_BENCH_PG_ODBC");
    if (!conn || !*conn)
        conn = getenv("ACKBEAT_TEST_PG_ODBC");
    if (!conn || !*conn)
        conn = getenv("ACKBEAT_STACK_ODBC_PG");
    if (conn && *conn)
        bench_odbc(dir, conn, n_odbc);
    else
        fprintf(stderr, "odbc: skipped (no ACKBEAT_BENCH_PG_ODBC, ACKBEAT_TEST_PG_ODBC "
                        "or ACKBEAT_STACK_ODBC_PG)\n");
    char path[600];
    snprintf(path, sizeof path, "%s/bench.db", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/queries.sql", dir);
    unlink(path);
    rmdir(dir);
    return 0;
}
