/*
 * store_pings.c - pings from jobs that report in (a dead man's switch, as
 * Healthchecks does it): start, success, fail, or an exit code, over HTTP,
 * email or the command line.
 */
#include "store/store_int.h"

#include <stdio.h>
#include <string.h>

#include "common/ab_buf.h"

#include "store/store_pings.h"
#include "store/store_pingruns.h"

static const char *const kinds[] = {"start", "success", "fail", "exit"};

const char *store_ping_kind_name(enum store_ping_kind k)
{
    return (unsigned)k < 4 ? kinds[k] : "success";
}

/* ?1..?5 of both inserts: what a ping says, besides when. */
static void bind_say(store_db_stmt *s, const char *check, enum store_ping_kind kind,
                     int exit_code, const char *via, const char *detail)
{
    store_db_bind_text(s, 1, check);
    store_db_bind_text(s, 2, store_ping_kind_name(kind));
    if (kind == STORE_PING_EXIT)
        store_db_bind_int(s, 3, exit_code);
    else
        store_db_bind_null(s, 3);
    store_db_bind_text(s, 4, via ? via : "http");
    store_db_bind_text(s, 5, detail);
}

enum ab_err store_ping_add_rid(store *st, const char *check, ab_time at,
                               enum store_ping_kind kind, int exit_code, const char *via,
                               const char *detail, const char *rid, ab_errmsg *em)
{
    /* Every ping passes here: kept prepared. */
    static const char sql[] = "INSERT INTO pings(check_name, at, kind, exit_code, via, "
                              "detail, rid) VALUES (?1, ?6, ?2, ?3, ?4, ?5, ?7)";
    store_db_stmt *s;
    enum ab_err e = store_prepare_cached(st, sql, &s, em);
    if (e)
        return e;
    bind_say(s, check, kind, exit_code, via, detail);
    store_bind_time(s, 6, at);
    store_db_bind_text(s, 7, rid);
    if (store_step(st, s) != SDB_DONE)
        e = store_dberr(st, em, "ping add");
    store_release(st, s);
    return e;
}

enum ab_err store_ping_add(store *st, const char *check, ab_time at,
                           enum store_ping_kind kind, int exit_code,
                           const char *via, const char *detail, ab_errmsg *em)
{
    /* A ping without a run id is one with rid NULL (store_pingruns.c). */
    return store_ping_add_rid(st, check, at, kind, exit_code, via, detail, NULL, em);
}

#define MANY_ROWS 100 /* pings per statement in store_pings_add_many */

/* One INSERT of rows pings: ?1..?5 the shared columns, ?6.. the times. */
static enum ab_err insert_rows(store *st, const char *check, const ab_time *at,
                               size_t rows, enum store_ping_kind kind, int exit_code,
                               const char *via, const char *detail, ab_errmsg *em)
{
    ab_buf sql;
    ab_buf_init(&sql, 0);
    enum ab_err e = ab_buf_printf(&sql, "INSERT INTO pings(check_name, at, kind, exit_code, "
                                        "via, detail, rid) VALUES ");
    for (size_t i = 0; i < rows && !e; i++)
        e = ab_buf_printf(&sql, "%s(?1, ?%zu, ?2, ?3, ?4, ?5, NULL)", i ? ", " : "", i + 6);
    store_db_stmt *s = NULL;
    if (e)
        e = ab_fail(em, AB_ENOMEM, "out of memory");
    else
        e = store_prepare(st, ab_buf_str(&sql), &s, em);
    ab_buf_free(&sql);
    if (e)
        return e;
    bind_say(s, check, kind, exit_code, via, detail);
    for (size_t i = 0; i < rows; i++)
        store_bind_time(s, (int)(i + 6), at[i]);
    if (store_step(st, s) != SDB_DONE)
        e = store_dberr(st, em, "pings add");
    store_db_finalize(s);
    return e;
}

enum ab_err store_pings_add_many(store *st, const char *check, const ab_time *at,
                                 size_t n, enum store_ping_kind kind, int exit_code,
                                 const char *via, const char *detail, ab_errmsg *em)
{
    enum ab_err e = AB_OK;
    for (size_t i = 0; i < n && !e; i += MANY_ROWS) {
        size_t rows = n - i < MANY_ROWS ? n - i : MANY_ROWS;
        /* SQLite has no round trip to save, and its kept one-row insert
         * costs less than parsing a new statement of a hundred rows. */
        if (rows == 1 || st->kind == STORE_SQLITE)
            for (size_t j = 0; j < rows && !e; j++)
                e = store_ping_add(st, check, at[i + j], kind, exit_code, via, detail, em);
        else
            e = insert_rows(st, check, at + i, rows, kind, exit_code, via, detail, em);
    }
    return e;
}

/* A status column that may be NULL (no such row): -1 then. */
static int status_column(store_db_stmt *s, int col)
{
    return store_db_column_is_null(s, col) ? -1 : (int)store_column_status(s, col);
}

enum ab_err store_ping_summary(store *st, const char *check,
                               struct store_ping_summary *out, ab_errmsg *em)
{
    store_db_stmt *s;
    memset(out, 0, sizeof *out);
    out->last_start = AB_TIME_NONE;
    out->last_finish = AB_TIME_NONE;
    out->exit_code = -1;
    out->first_seen = AB_TIME_NONE;
    out->run_started = AB_TIME_NONE;
    out->run_status = out->state_status = -1;
    /* Kept prepared: every ping and every tick's ping checks ask it.
     * With all else a ping's verdict reads (the check's first sight,
     * whether it has runs with ids, its last run and what that said, its
     * debounced state): each apart would be one more round trip to
     * PostgreSQL per ping, and a ping's whole verdict is otherwise a
     * handful of them.  The last run is the one store_run_last reads,
     * and its first result in load_results's order. */
    static const char sql[] =
        "SELECT (SELECT max(at) FROM pings WHERE check_name = ?1 AND kind = 'start'),"
        " f.at, f.kind, f.exit_code, f.via, f.detail,"
        " (SELECT first_seen FROM check_schedule WHERE check_name = ?1),"
        " EXISTS (SELECT 1 FROM pings WHERE check_name = ?1 AND kind = 'start'"
        "  AND rid IS NOT NULL),"
        " lr.started, lr.said, cs.status, cs.bad_streak, cs.good_streak"
        " FROM (SELECT 1 AS one) AS o LEFT JOIN "
        "(SELECT at, kind, exit_code, via, detail FROM pings WHERE check_name = ?1 "
        " AND kind <> 'start' ORDER BY at DESC, id DESC LIMIT 1) AS f ON 1 = 1"
        " LEFT JOIN (SELECT r.started,"
        "  (SELECT status FROM results WHERE run_id = r.id ORDER BY id LIMIT 1) AS said"
        "  FROM runs r WHERE r.check_name = ?1 AND r.status = 'Complete'"
        "  ORDER BY r.started DESC, r.id DESC LIMIT 1) AS lr ON 1 = 1"
        " LEFT JOIN (SELECT status, bad_streak, good_streak FROM check_state"
        "  WHERE check_name = ?1 AND item = '') AS cs ON 1 = 1";
    enum ab_err e = store_prepare_cached(st, sql, &s, em);
    if (e)
        return e;
    store_db_bind_text(s, 1, check);
    if (store_step(st, s) == SDB_ROW) {
        out->last_start = store_column_time(s, 0);
        out->last_finish = store_column_time(s, 1);
        const char *kind = (const char *)store_db_column_text(s, 2);
        int has_exit = !store_db_column_is_null(s, 3);
        out->exit_code = has_exit ? store_db_column_int(s, 3) : -1;
        out->finish_ok = kind && (strcmp(kind, "success") == 0 ||
                                  (strcmp(kind, "exit") == 0 && out->exit_code == 0));
        const char *via = (const char *)store_db_column_text(s, 4);
        snprintf(out->via, sizeof out->via, "%s", via ? via : "");
        const char *detail = (const char *)store_db_column_text(s, 5);
        snprintf(out->detail, sizeof out->detail, "%s", detail ? detail : "");
        out->first_seen = store_column_time(s, 6);
        out->has_rid_start = store_db_column_int(s, 7) != 0;
        out->run_started = store_column_time(s, 8);
        out->run_status = status_column(s, 9);
        out->state_status = status_column(s, 10);
        out->bad_streak = store_db_column_int(s, 11);
        out->good_streak = store_db_column_int(s, 12);
    } else {
        e = store_dberr(st, em, "ping summary");
    }
    store_release(st, s);
    return e;
}
