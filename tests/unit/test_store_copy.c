/*
 * test_store_copy.c - store_copy, what `ackbeat migrate` runs: a SQLite
 * state copied into a fresh one (with AB_TEST_PG_URI, a PostgreSQL
 * schema), ids, blobs and the Message-ID salt kept; new ids go past the
 * copied ones; a target with rows is refused naming the table; a copy
 * that fails half-way leaves the target empty.
 */
#include "harness.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/ab_mem.h"
#include "store/store.h"
#include "store/store_int.h" /* the fault seam's count */
#include "test_pg_util.h"

static const char *path_in(const char *name)
{
    static char buf[4][600];
    static int i;
    i = (i + 1) % 4;
    snprintf(buf[i], sizeof buf[i], "%s/%s", t_tmpdir(), name);
    return buf[i];
}

/* sql on the SQLite file path, whatever AB_TEST_PG_URI says. */
static int src_exec(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    char *err = NULL;
    int rc = sqlite3_open(path, &db);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, sql, NULL, NULL, &err);
    if (rc != SQLITE_OK)
        printf("    src_exec: %s\n", err ? err : sqlite3_errmsg(db));
    sqlite3_free(err);
    sqlite3_close(db);
    return rc == SQLITE_OK ? 0 : -1;
}

/* A SQLite state (always a file) with a few rows of several kinds. */
static void make_source(const char *src)
{
    unlink(src);
    store *st = NULL;
    ab_errmsg em = {{0}};
    CHECK_OK(store_open(src, &st, &em));
    store_close(st);
    CHECK_INT(src_exec(src, "INSERT INTO meta(key, value) VALUES ('msgid-salt', "
                                "'feedc0ffee42') ON CONFLICT (key) DO UPDATE SET "
                                "value = excluded.value;"
                                "INSERT INTO meta(key, value) VALUES ('count.runs.a', '17');"
                                "INSERT INTO runs(id, check_name, type, status, started, "
                                "execution_ms) VALUES "
                                "(5, 'a', 'Information', 'Complete', '2026-12-01T09:00:00Z', 12),"
                                "(7, 'a', 'Information', 'Complete', '2026-12-01T09:01:00Z', NULL),"
                                "(9, 'b', 'Action', 'Pending', '2026-12-01T09:02:00Z', 3);"
                                "INSERT INTO results(id, run_id, item, status, value, message) "
                                "VALUES (3, 7, '', 'Degraded', 1.5, 'it''s slow'),"
                                "(4, 9, 'x', 'Healthy', NULL, NULL);"
                                "INSERT INTO outbox(id, created, message_id, sender, body, "
                                "next_attempt) VALUES (11, '2026-12-01T09:00:00Z', '<m1@x>', "
                                "'s@x', X'41FF000D0A', '2026-12-01T09:00:00Z');"
                                "INSERT INTO outbox_rcpts(outbox_id, rcpt) VALUES (11, 'r@x');"),
              0);
}

/* The target, fresh: a file removed, or a new PostgreSQL schema. */
static const char *fresh_target(const char *name)
{
    const char *p = path_in(name);
    unlink(p);
    return t_state_fresh(p);
}

static int64_t rows_seen;
static void count_rows(const char *table, int64_t rows, void *ud)
{
    (void)table;
    (void)ud;
    rows_seen += rows;
}

/* Does sql's text on path read want?  (The text freed either way.) */
static int text_is(const char *path, const char *sql, const char *want)
{
    char *got = t_state_text(path, sql);
    int same = got && strcmp(got, want) == 0;
    if (!same)
        printf("    %s: got '%s', expected '%s'\n", sql, got ? got : "(null)", want);
    free(got);
    return same;
}

TEST(everything_is_copied_with_its_ids)
{
    const char *src = path_in("copy-src.db");
    make_source(src);
    const char *dstp = path_in("copy-dst.db");
    const char *dst = fresh_target("copy-dst.db");
    store *from = NULL, *to = NULL;
    ab_errmsg em = {{0}};
    CHECK_OK(store_open(src, &from, &em));
    CHECK_OK(store_open(dst, &to, &em));
    rows_seen = 0;
    CHECK_OK(store_copy(from, to, count_rows, NULL, &em));
    CHECK_INT(rows_seen, 9); /* 2 meta, 3 runs, 2 results, 1 outbox, 1 rcpt */
    store_close(to);
    store_close(from);

    CHECK(text_is(dstp, "SELECT value FROM meta WHERE key = 'msgid-salt'", "feedc0ffee42\n"));
    CHECK_INT(t_state_int(dstp, "SELECT count(*) FROM meta"), 2);
    CHECK_INT(t_state_int(dstp, "SELECT sum(id) FROM runs"), 21);
    CHECK_INT(t_state_int(dstp, "SELECT count(*) FROM runs WHERE execution_ms IS NULL"), 1);
    CHECK(text_is(dstp, "SELECT message FROM results WHERE id = 3", "it's slow\n"));
    CHECK_INT(t_state_int(dstp, "SELECT count(*) FROM results WHERE value = 1.5"), 1);
    CHECK_INT(t_state_int(dstp, "SELECT length(body) FROM outbox WHERE id = 11"), 5);
    char *body = t_state_text(dstp, "SELECT body FROM outbox WHERE id = 11");
    CHECK(body && memcmp(body, "A\xff", 2) == 0);
    free(body);
    CHECK(text_is(dstp, "SELECT rcpt FROM outbox_rcpts WHERE outbox_id = 11", "r@x\n"));
    /* A new row gets an id past the copied ones, on PostgreSQL too. */
    CHECK_INT(t_state_int(dstp, "INSERT INTO runs(check_name, type, status, started) VALUES "
                                "('c', 'Information', 'Pending', '2026-12-02T00:00:00Z') "
                                "RETURNING id"),
              10);
}

TEST(a_target_with_rows_is_refused_naming_the_table)
{
    const char *src = path_in("ref-src.db");
    make_source(src);
    const char *dstp = path_in("ref-dst.db");
    const char *dst = fresh_target("ref-dst.db");
    store *from = NULL, *to = NULL;
    ab_errmsg em = {{0}};
    CHECK_OK(store_open(src, &from, &em));
    CHECK_OK(store_open(dst, &to, &em));
    CHECK_INT(t_state_exec(dstp, "INSERT INTO silences(id, check_glob, starts, ends, created_by, "
                                 "created) VALUES (1, 'x', '2026-12-01T00:00:00Z', "
                                 "'2026-12-02T00:00:00Z', 'p', '2026-12-01T00:00:00Z')"),
              0);
    CHECK_INT(store_copy(from, to, NULL, NULL, &em), AB_EEXIST);
    CHECK_CONTAINS(em.text, "is not empty: table silences has rows");
    CHECK_INT(t_state_int(dstp, "SELECT count(*) FROM runs"), 0);
    /* Only a fresh state's meta rows do not count: any other does. */
    CHECK_INT(t_state_exec(dstp, "DELETE FROM silences; "
                                 "INSERT INTO meta(key, value) VALUES ('last-tick', 'x')"),
              0);
    em.text[0] = '\0';
    CHECK_INT(store_copy(from, to, NULL, NULL, &em), AB_EEXIST);
    CHECK_CONTAINS(em.text, "table meta has rows");
    store_close(to);
    store_close(from);
}

/* How many statements a whole copy of src steps on a fresh target. */
static long copy_steps(const char *src, const char *name)
{
    const char *dst = fresh_target(name);
    store *from = NULL, *to = NULL;
    ab_errmsg em = {{0}};
    long steps = -1;
    if (store_open(src, &from, &em) == AB_OK && store_open(dst, &to, &em) == AB_OK) {
        store_fail_after(to, 1000000);
        if (store_copy(from, to, NULL, NULL, &em) == AB_OK)
            steps = 1000000 - to->fail_after;
    }
    store_close(to);
    store_close(from);
    return steps;
}

/* The statements of the copy made to fail in turn (the store's fault
 * seam): a few early ones (the schema, the checks) and every one of the
 * last 60 (the copy itself): each failure leaves the target as it was;
 * the copy that fails nowhere copies everything. */
TEST(a_copy_that_fails_half_way_leaves_the_target_empty)
{
    const char *src = path_in("half-src.db");
    make_source(src);
    long total = copy_steps(src, "half-probe.db");
    CHECK(total > 60);
    const char *dstp = path_in("half-dst.db");
    const char *dst = fresh_target("half-dst.db");
    store *from = NULL, *to = NULL;
    ab_errmsg em = {{0}};
    CHECK_OK(store_open(src, &from, &em));
    CHECK_OK(store_open(dst, &to, &em));
    char *salt = t_state_text(dstp, "SELECT value FROM meta WHERE key = 'msgid-salt'");
    char want[200];
    snprintf(want, sizeof want, "0|0|%s", salt ? salt : "(none)\n");
    /* Every statement of the copy on SQLite; every fifth on PostgreSQL,
     * where each try costs round trips. */
    const long stride = t_pg_state(dstp) ? 5 : 1;
    int copying = 0, done = 0;
    for (long n = 0; n <= total && !done && !t_failed();
         n = n < total - 60 ? (n + total / 4 < total - 60 ? n + total / 4 : total - 60) : n + stride) {
        store_fail_after(to, n);
        enum ab_err e = store_copy(from, to, NULL, NULL, &em);
        store_fail_after(to, -1);
        if (e == AB_OK) {
            done = 1;
            break;
        }
        copying += strstr(em.text, "copying into") != NULL;
        /* No rows, and its own salt still there: the DELETE was undone too. */
        char *now = t_state_text(dstp, "SELECT (SELECT count(*) FROM runs), "
                                       "(SELECT count(*) FROM outbox), "
                                       "(SELECT value FROM meta WHERE key = 'msgid-salt')");
        CHECK_STR(now ? now : "(none)", want);
        free(now);
    }
    CHECK(done);
    CHECK(copying > 0); /* some failures were among the INSERTs */
    CHECK_INT(t_state_int(dstp, "SELECT count(*) FROM runs"), 3);
    store_close(to);
    store_close(from);
    free(salt);
}
