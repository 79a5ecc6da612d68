/*
 * test_store.c - the state database: migrations, version refusal, runs,
 * transactions under injected failures.
 */
#include "harness.h"

#include <sqlite3.h>
#include <stdio.h>

#include "common/ab_mem.h"
#include "store/store.h"
#include "store/store_alerts.h"
#include "store/store_checkstate.h"
#include "store/store_int.h"
#include "store/store_retention.h"
#include "store/store_runs.h"
#include "store/store_tokens.h"
#include "test_pg_util.h"

/* The test's state: a file, or with AB_TEST_PG_URI a PostgreSQL schema
 * of that name (tests/integration/t_40_state_pg.sh). */
static const char *fpath(const char *name)
{
    static char p[512];
    snprintf(p, sizeof p, "%s/%s", t_tmpdir(), name);
    return p;
}

static const char *dbpath(const char *name)
{
    return t_state(fpath(name));
}

TEST(open_creates_and_migrates)
{
    store *st;
    ab_errmsg em = {{0}};
    CHECK_OK(store_open(dbpath("a.db"), &st, &em));
    CHECK_INT(store_schema_version(st), STORE_SCHEMA_VERSION);
    CHECK_OK(store_integrity_check(st, &em));
    store_close(st);
    /* Reopening an up-to-date database is a no-op. */
    CHECK_OK(store_open(dbpath("a.db"), &st, &em));
    CHECK_INT(store_schema_version(st), STORE_SCHEMA_VERSION);
    store_close(st);
}

/* Set the schema version the state says it has: SQLite keeps it in
 * the file's user_version, PostgreSQL in the table ackbeat_schema. */
static int set_version(const char *name, int v)
{
    char sql[128];
    if (t_pg_state(fpath(name))) {
        store *st = NULL;
        if (store_open(dbpath(name), &st, NULL) != AB_OK)
            return -1;
        store_close(st);
        snprintf(sql, sizeof sql, "UPDATE ackbeat_schema SET version = %d", v);
    } else {
        snprintf(sql, sizeof sql, "PRAGMA user_version = %d", v);
    }
    return t_state_exec(fpath(name), sql);
}

TEST(refuses_newer_database)
{
    CHECK_OK(set_version("new.db", 999));
    store *st = NULL;
    ab_errmsg em = {{0}};
    CHECK_INT(store_open(dbpath("new.db"), &st, &em), AB_EVERSION);
    CHECK(st == NULL);
    CHECK_CONTAINS(em.text, "newer");
    CHECK_CONTAINS(em.text, "999");
}

TEST(refuses_non_database)
{
    SQLITE_ONLY();
    FILE *f = fopen(dbpath("junk.db"), "w");
    CHECK(f);
    fputs("this is not a database, it is a text file that is long enough\n", f);
    fclose(f);
    store *st = NULL;
    ab_errmsg em = {{0}};
    CHECK_INT(store_open(dbpath("junk.db"), &st, &em), AB_ESTORE);
    CHECK_CONTAINS(em.text, "junk.db");
}

TEST(run_round_trip)
{
    store *st;
    ab_errmsg em = {{0}};
    CHECK_OK(store_open(dbpath("runs.db"), &st, &em));
    int64_t id;
    CHECK_OK(store_run_begin(st, "orders", "Information", "schedule", 1796112000, &id, &em));
    struct ab_result res[2] = {
        {.item = "", .status = AB_FAILING, .has_value = 1, .value = 3.5,
         .message = "newest row is 3d old"},
        {.item = "b", .status = AB_HEALTHY},
    };
    CHECK_OK(store_run_complete(st, id, 12, 0, res, 2, NULL, &em));
    /* Completing twice is refused: results are written once. */
    CHECK_INT(store_run_complete(st, id, 12, 0, res, 2, NULL, &em), AB_ENOTFOUND);
    struct store_run *r;
    CHECK_OK(store_run_last(st, "orders", &r, &em));
    CHECK_INT(r->id, id);
    CHECK_INT(r->complete, 1);
    CHECK_INT(r->started, 1796112000);
    CHECK_INT(r->execution_ms, 12);
    CHECK_INT(r->nresults, 2);
    CHECK_INT(r->results[0].status, AB_FAILING);
    CHECK(r->results[0].value == 3.5);
    CHECK_STR(r->results[0].message, "newest row is 3d old");
    CHECK_STR(r->results[1].item, "b");
    CHECK_INT(r->results[1].has_value, 0);
    store_run_free(r);
    CHECK_INT(store_run_last(st, "nothing", &r, &em), AB_ENOTFOUND);
    store_close(st);
}

TEST(failed_step_rolls_back_whole_run)
{
    store *st;
    ab_errmsg em = {{0}};
    CHECK_OK(store_open(dbpath("fail.db"), &st, &em));
    int64_t id;
    CHECK_OK(store_run_begin(st, "c", "Information", "schedule", 1000, &id, &em));
    struct ab_result res[3] = {{.status = AB_HEALTHY, .item = "1"},
                                  {.status = AB_HEALTHY, .item = "2"},
                                  {.status = AB_HEALTHY, .item = "3"}};
    /* Steps: BEGIN, UPDATE, INSERT 1, INSERT 2 fails. */
    store_fail_after(st, 3);
    CHECK(store_run_complete(st, id, 1, 0, res, 3, NULL, &em) != AB_OK);
    store_fail_after(st, -1);
    struct store_run *r;
    CHECK_INT(store_run_last(st, "c", &r, &em), AB_ENOTFOUND);
    /* The run is still Pending and can be completed. */
    CHECK_OK(store_run_complete(st, id, 1, 0, res, 3, NULL, &em));
    CHECK_OK(store_run_last(st, "c", &r, &em));
    CHECK_INT(r->nresults, 3);
    store_run_free(r);
    CHECK_OK(store_integrity_check(st, &em));
    store_close(st);
}

TEST(history_newest_first)
{
    store *st;
    ab_errmsg em = {{0}};
    CHECK_OK(store_open(dbpath("hist.db"), &st, &em));
    for (int i = 0; i < 5; i++) {
        int64_t id;
        struct ab_result res = {.status = AB_HEALTHY, .has_value = 1, .value = i};
        CHECK_OK(store_run_begin(st, "h", "Information", "schedule", 1000 + i * 60, &id, &em));
        CHECK_OK(store_run_complete(st, id, i, 0, &res, 1, NULL, &em));
    }
    struct store_run **v;
    size_t n;
    CHECK_OK(store_run_history(st, "h", 3, &v, &n, &em));
    CHECK_INT(n, 3);
    CHECK_INT(v[0]->started, 1000 + 4 * 60);
    CHECK(v[2]->results[0].value == 2);
    for (size_t i = 0; i < n; i++)
        store_run_free(v[i]);
    ab_free(v);
    store_close(st);
}

TEST(open_survives_allocation_failures)
{
    for (long n = 0; n < 10; n++) {
        store *st = NULL;
        ab_errmsg em = {{0}};
        ab_mem_fail_after(n);
        enum ab_err e = store_open(dbpath("oom.db"), &st, &em);
        ab_mem_fail_reset();
        if (e == AB_OK)
            store_close(st);
        else
            CHECK_INT(e, AB_ENOMEM);
    }
}

TEST(meta_round_trip)
{
    store *st;
    ab_errmsg em = {{0}};
    CHECK_OK(store_open(dbpath("meta.db"), &st, &em));
    char *v;
    CHECK_OK(store_meta_get(st, "k", &v, &em));
    CHECK(v == NULL);
    CHECK_OK(store_meta_set(st, "k", "one", &em));
    CHECK_OK(store_meta_set(st, "k", "two", &em));
    CHECK_OK(store_meta_get(st, "k", &v, &em));
    CHECK_STR(v, "two");
    ab_free(v);
    store_close(st);
}

TEST(nested_transactions_are_savepoints)
{
    store *st;
    ab_errmsg em = {{0}};
    CHECK_OK(store_open(dbpath("nest.db"), &st, &em));
    CHECK_OK(store_begin(st, &em));
    CHECK_OK(store_meta_set(st, "outer", "1", &em));
    CHECK_OK(store_begin(st, &em));
    CHECK_OK(store_meta_set(st, "inner", "1", &em));
    store_rollback(st); /* inner only */
    CHECK_OK(store_begin(st, &em));
    CHECK_OK(store_meta_set(st, "inner2", "1", &em));
    CHECK_OK(store_commit(st, &em));
    CHECK_OK(store_commit(st, &em));
    char *v;
    CHECK_OK(store_meta_get(st, "outer", &v, &em));
    CHECK_STR(v, "1");
    ab_free(v);
    CHECK_OK(store_meta_get(st, "inner", &v, &em));
    CHECK(v == NULL);
    CHECK_OK(store_meta_get(st, "inner2", &v, &em));
    CHECK_STR(v, "1");
    ab_free(v);
    /* A run completed inside an outer transaction that rolls back is gone. */
    int64_t id;
    CHECK_OK(store_run_begin(st, "r", "Information", "schedule", 5, &id, &em));
    CHECK_OK(store_begin(st, &em));
    struct ab_result res = {.status = AB_HEALTHY};
    CHECK_OK(store_run_complete(st, id, 1, 0, &res, 1, NULL, &em));
    store_rollback(st);
    struct store_run *r;
    CHECK_INT(store_run_last(st, "r", &r, &em), AB_ENOTFOUND);
    store_close(st);
}

/* key's value in st ("" when it has none). */
static const char *meta_of(store *st, const char *key)
{
    static char buf[64];
    char *v = NULL;
    buf[0] = '\0';
    if (store_meta_get(st, key, &v, NULL) == AB_OK && v)
        snprintf(buf, sizeof buf, "%s", v);
    ab_free(v);
    return buf;
}

TEST(a_flat_transaction_is_whole_or_nothing)
{
    store *st;
    ab_errmsg em = {{0}};
    CHECK_OK(store_open(dbpath("flat.db"), &st, &em));
    /* Nested levels that all commit: everything is there. */
    CHECK_OK(store_begin_flat(st, &em));
    CHECK_INT(store_begin_flat(st, &em), AB_EINVAL); /* not inside another */
    CHECK_OK(store_meta_set(st, "a", "1", &em));
    CHECK_OK(store_begin(st, &em));
    CHECK_OK(store_meta_set(st, "b", "1", &em));
    CHECK_OK(store_commit(st, &em));
    CHECK(!store_doomed(st));
    CHECK_OK(store_commit(st, &em));
    CHECK_STR(meta_of(st, "a"), "1");
    CHECK_STR(meta_of(st, "b"), "1");
    /* A nested rollback cannot undo its part alone: the transaction is
     * doomed, its commit fails, and nothing of it stays. */
    CHECK_OK(store_begin_flat(st, &em));
    CHECK_OK(store_meta_set(st, "c", "1", &em));
    CHECK_OK(store_begin(st, &em));
    CHECK_OK(store_meta_set(st, "d", "1", &em));
    store_rollback(st);
    CHECK(store_doomed(st));
    CHECK_OK(store_meta_set(st, "e", "1", &em));
    CHECK_INT(store_commit(st, &em), AB_ESTORE);
    CHECK_CONTAINS(em.text, "nothing of it was committed");
    CHECK(!store_doomed(st));
    CHECK_STR(meta_of(st, "c"), "");
    CHECK_STR(meta_of(st, "d"), "");
    CHECK_STR(meta_of(st, "e"), "");
    /* After it, nesting is savepoints again: an inner rollback undoes
     * only its part. */
    CHECK_OK(store_begin(st, &em));
    CHECK_OK(store_meta_set(st, "f", "1", &em));
    CHECK_OK(store_begin(st, &em));
    CHECK_OK(store_meta_set(st, "g", "1", &em));
    store_rollback(st);
    CHECK(!store_doomed(st));
    CHECK_OK(store_commit(st, &em));
    CHECK_STR(meta_of(st, "f"), "1");
    CHECK_STR(meta_of(st, "g"), "");
    /* A flat transaction rolled back from its outermost level leaves
     * nothing behind either, and the next one starts clean. */
    CHECK_OK(store_begin_flat(st, &em));
    CHECK_OK(store_meta_set(st, "h", "1", &em));
    store_rollback(st);
    CHECK_STR(meta_of(st, "h"), "");
    CHECK_OK(store_begin_flat(st, &em));
    CHECK(!store_doomed(st));
    CHECK_OK(store_meta_set(st, "i", "1", &em));
    CHECK_OK(store_commit(st, &em));
    CHECK_STR(meta_of(st, "i"), "1");
    store_close(st);
}

TEST(alert_lifecycle_claims_once)
{
    store *st, *st2;
    ab_errmsg em = {{0}};
    CHECK_OK(store_open(dbpath("alerts.db"), &st, &em));
    CHECK_OK(store_open(dbpath("alerts.db"), &st2, &em)); /* a second process */
    int64_t id, id2;
    CHECK_OK(store_alert_open(st, "orders", "", "check", 2, AB_FAILING, "stale",
                              1000, &id, &em));
    /* The other process loses the race to open the same alert. */
    CHECK_INT(store_alert_open(st2, "orders", "", "check", 2, AB_FAILING,
                               "stale", 1001, &id2, &em), AB_EEXIST);
    struct store_alert *a;
    CHECK_OK(store_alert_find_open(st2, "orders", "", &a, &em));
    CHECK_INT(a->id, id);
    CHECK_INT(a->notify_count, 0);
    store_alert_free(a);
    /* Both try to send notice #1: exactly one wins. */
    CHECK_OK(store_alert_claim_notify(st, id, 0, 1000, 0, "<m1@x>", &em));
    CHECK_INT(store_alert_claim_notify(st2, id, 0, 1000, 0, "<m2@x>", &em), AB_EEXIST);
    CHECK_OK(store_alert_claim_notify(st2, id, 1, 2000, 1, "<m3@x>", &em));
    CHECK_OK(store_alert_get(st, id, &a, &em));
    CHECK_INT(a->notify_count, 2);
    CHECK_INT(a->level, 1);
    CHECK_INT(a->last_notified, 2000);
    CHECK_STR(a->thread_msgid, "<m1@x>"); /* the thread keeps its first id */
    store_alert_free(a);
    CHECK_OK(store_alert_dismiss(st, id, "alice", "known", AB_TIME_NONE, 2500, &em));
    CHECK_OK(store_alert_resolve(st, id, 3000, &em));
    CHECK_INT(store_alert_resolve(st2, id, 3001, &em), AB_EEXIST);
    CHECK_OK(store_alert_claim_resolved_notice(st2, id, &em));
    CHECK_INT(store_alert_claim_resolved_notice(st, id, &em), AB_EEXIST);
    CHECK_INT(store_alert_find_open(st, "orders", "", &a, &em), AB_ENOTFOUND);
    /* A new alert for the same check can open once the old one resolved. */
    CHECK_OK(store_alert_open(st, "orders", "", "check", 1, AB_OFFLINE, "down",
                              4000, &id2, &em));
    struct store_alert **v;
    size_t n;
    CHECK_OK(store_alert_list(st, 1, 10, &v, &n, &em));
    CHECK_INT(n, 2);
    CHECK_INT(v[0]->id, id2); /* open first */
    CHECK_STR(v[1]->dismissed_by, "alice");
    for (size_t i = 0; i < n; i++)
        store_alert_free(v[i]);
    ab_free(v);
    store_close(st2);
    store_close(st);
}

TEST(check_state_and_schedule_round_trip)
{
    store *st;
    ab_errmsg em = {{0}};
    CHECK_OK(store_open(dbpath("state.db"), &st, &em));
    struct store_check_state cs = {.check = "c", .item = "", .status = AB_DEGRADED,
                                   .since = 50, .bad_streak = 2, .flips = "x"};
    CHECK_OK(store_check_state_put(st, &cs, &em));
    cs.bad_streak = 3;
    CHECK_OK(store_check_state_put(st, &cs, &em));
    struct store_check_state *got;
    CHECK_OK(store_check_state_get(st, "c", "", &got, &em));
    CHECK_INT(got->bad_streak, 3);
    CHECK_INT(got->status, AB_DEGRADED);
    store_check_state_free(got);
    CHECK_INT(store_check_state_get(st, "c", "other", &got, &em), AB_ENOTFOUND);
    struct store_sched_state ss = {.first_seen = 10, .last_fire = AB_TIME_NONE,
                                   .next_due = 70};
    CHECK_OK(store_sched_put(st, "c", &ss, &em));
    struct store_sched_state back;
    CHECK_OK(store_sched_get(st, "c", &back, &em));
    CHECK_INT(back.first_seen, 10);
    CHECK_INT(back.last_fire, AB_TIME_NONE);
    CHECK_INT(back.next_due, 70);
    store_close(st);
}

TEST(old_database_is_migrated_forward)
{
    store *st;
    ab_errmsg em = {{0}};
    CHECK_OK(store_open(dbpath("old.db"), &st, &em));
    store_close(st);
    /* Wind the state back to schema 1, with a row that must survive. */
    CHECK_OK(t_state_exec(fpath("old.db"),
                       "DROP INDEX pings_by_check_id;"
                       "CREATE INDEX pings_by_check ON pings(check_name, at);"
                       "DROP TABLE claims; DROP TABLE leases; DROP TABLE nodes;"
                       "ALTER TABLE outbox DROP COLUMN claimed_by;"
                       "ALTER TABLE outbox DROP COLUMN lease_until;"
                       "ALTER TABLE deliveries DROP COLUMN claimed_by;"
                       "ALTER TABLE deliveries DROP COLUMN lease_until;"
                       "DROP INDEX pings_by_rid; ALTER TABLE pings DROP COLUMN rid;"
                       "DROP TABLE deliveries; DROP TABLE silences; DROP TABLE paused;"
                       "ALTER TABLE alerts DROP COLUMN previous_status;"
                       "ALTER TABLE alerts DROP COLUMN cycle_id;"
                       "DROP TABLE alert_tokens;"
                       "DROP INDEX pings_by_kind; DROP TABLE notices;"
                       "ALTER TABLE inbox_messages DROP COLUMN cmd_done;"
                       "INSERT INTO meta(key, value) VALUES ('kept', 'yes');"));
    CHECK_OK(set_version("old.db", 1));
    CHECK_OK(store_open(dbpath("old.db"), &st, &em));
    CHECK_INT(store_schema_version(st), STORE_SCHEMA_VERSION);
    char *v = NULL;
    CHECK_OK(store_meta_get(st, "kept", &v, &em));
    CHECK_STR(v, "yes");
    ab_free(v);
    /* What migrations 2-6 add is there again. */
    char tok[AB_TOKEN_LEN + 1];
    CHECK_OK(store_alert_token(st, 7, "kim@example.test", 1000, tok, &em));
    struct store_reply_cmd *cmds;
    size_t n;
    CHECK_OK(store_reply_cmds_pending(st, &cmds, &n, &em));
    CHECK_INT(n, 0);
    store_reply_cmds_free(cmds, n);
    CHECK_INT(store_notices_next(st), AB_TIME_NONE);
    /* Migration 12: the newest finish of a second of many pings is the
     * index's first entry, on either engine (the index ends in id). */
    CHECK_INT(t_state_int(fpath("old.db"),
                          t_pg_state(fpath("old.db"))
                              ? "SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema()"
                                " AND indexname = 'pings_by_check_id'"
                                " AND indexdef LIKE '%(check_name, at, id)'"
                              : "SELECT count(*) FROM pragma_index_info('pings_by_check_id')"
                                " WHERE name IN ('check_name', 'at', 'id')"),
              t_pg_state(fpath("old.db")) ? 1 : 3);
    CHECK_INT(t_state_int(fpath("old.db"),
                          t_pg_state(fpath("old.db"))
                              ? "SELECT count(*) FROM pg_indexes WHERE schemaname = current_schema()"
                                " AND indexname = 'pings_by_check'"
                              : "SELECT count(*) FROM sqlite_master WHERE name = 'pings_by_check'"),
              0);
    CHECK_OK(store_integrity_check(st, &em));
    store_close(st);
}

TEST(retention_keeps_each_checks_newest_run)
{
    store *st;
    ab_errmsg em = {{0}};
    CHECK_OK(store_open(dbpath("keep.db"), &st, &em));
    struct ab_result res = {.status = AB_HEALTHY};
    int64_t id;
    for (int i = 0; i < 5; i++) { /* busy: runs every day */
        CHECK_OK(store_run_begin(st, "busy", "Information", "schedule", 1000 + i * 86400, &id, &em));
        CHECK_OK(store_run_complete(st, id, 1, 0, &res, 1, NULL, &em));
    }
    /* monthly: ran once, long ago; its only run must survive. */
    CHECK_OK(store_run_begin(st, "monthly", "Information", "schedule", 500, &id, &em));
    CHECK_OK(store_run_complete(st, id, 1, 0, &res, 1, NULL, &em));
    int64_t resolved_alert;
    CHECK_OK(store_alert_open(st, "busy", "", "check", 2, AB_FAILING, "x", 600, &resolved_alert, &em));
    CHECK_OK(store_alert_resolve(st, resolved_alert, 700, &em));
    int64_t open_alert;
    CHECK_OK(store_alert_open(st, "monthly", "", "check", 2, AB_FAILING, "y", 600, &open_alert, &em));
    int64_t n = 0;
    CHECK_OK(store_purge_history(st, 1000 + 3 * 86400, &n, &em));
    CHECK_INT(n, 3); /* days 0, 1, 2 of busy */
    struct store_run **v;
    size_t cnt;
    CHECK_OK(store_run_history(st, "busy", 10, &v, &cnt, &em));
    CHECK_INT(cnt, 2);
    for (size_t i = 0; i < cnt; i++)
        store_run_free(v[i]);
    ab_free(v);
    struct store_run *r;
    CHECK_OK(store_run_last(st, "monthly", &r, &em));
    store_run_free(r);
    struct store_alert *a;
    CHECK_INT(store_alert_get(st, resolved_alert, &a, &em), AB_ENOTFOUND);
    CHECK_OK(store_alert_get(st, open_alert, &a, &em)); /* open: kept */
    store_alert_free(a);
    CHECK_OK(store_integrity_check(st, &em));
    store_close(st);
}

/* PostgreSQL's TEXT is UTF-8: a text parameter with bytes that are not
 * has each of them turned into U+FFFD; valid text passes as it is. */
TEST(text_for_postgresql_is_utf8)
{
    size_t n = 0;
    int oom = 1;
    const char ok[] = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\x9f";
    CHECK(store_dialect_utf8(ok, strlen(ok), &n, &oom) == NULL);
    CHECK_INT(oom, 0);
    const char bad[] = "caf\xe9 \xff";
    char *r = store_dialect_utf8(bad, strlen(bad), &n, &oom);
    CHECK(r != NULL);
    CHECK_STR(r, "caf\xef\xbf\xbd \xef\xbf\xbd");
    CHECK_INT(n, strlen(r));
    ab_free(r);
    /* Overlong, a surrogate, past U+10FFFF, cut short: each byte refused. */
    const char *odd[] = {"\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "x\xe2\x82"};
    const size_t bytes[] = {2, 3, 4, 2};
    for (size_t i = 0; i < 4; i++) {
        r = store_dialect_utf8(odd[i], strlen(odd[i]), &n, &oom);
        CHECK(r != NULL);
        CHECK_INT(n, strlen(odd[i]) + 2 * bytes[i]);
        ab_free(r);
    }
}
