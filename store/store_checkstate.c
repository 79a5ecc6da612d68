/*
 * store_checkstate.c - what the engine remembers about each check between
 * ticks: the debounced status of each item, and the check's schedule
 * bookkeeping (first seen, last fired, next due).
 */
#include "store/store_int.h"

#include <string.h>

#include "common/ab_mem.h"
#include "store/store_checkstate.h"

void store_check_state_free(struct store_check_state *s)
{
    if (!s)
        return;
    ab_free(s->check);
    ab_free(s->item);
    ab_free(s->flips);
    ab_free(s);
}

#define STATE_COLS "check_name, item, status, since, bad_streak, good_streak, " \
                   "flips, last_run_id"

static struct store_check_state *state_from_row(store_db_stmt *s)
{
    struct store_check_state *c = ab_calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->check = store_column_dup(s, 0);
    c->item = store_column_dup(s, 1);
    c->status = store_column_status(s, 2);
    c->since = store_column_time(s, 3);
    c->bad_streak = store_db_column_int(s, 4);
    c->good_streak = store_db_column_int(s, 5);
    c->flips = store_column_dup(s, 6);
    c->last_run_id = store_db_column_int64(s, 7);
    if (!c->check || !c->item || !c->flips) {
        store_check_state_free(c);
        return NULL;
    }
    return c;
}

enum ab_err store_check_state_get(store *st, const char *check, const char *item,
                                  struct store_check_state **out, ab_errmsg *em)
{
    store_db_stmt *s;
    *out = NULL;
    static const char sql[] =
        "SELECT " STATE_COLS " FROM check_state WHERE check_name = ? AND item = ?";
    enum ab_err e = store_prepare_cached(st, sql, &s, em);
    if (e)
        return e;
    store_db_bind_text(s, 1, check);
    store_db_bind_text(s, 2, item ? item : "");
    int rc = store_step(st, s);
    if (rc == SDB_ROW) {
        if (!(*out = state_from_row(s)))
            e = ab_fail(em, AB_ENOMEM, "out of memory");
    } else if (rc == SDB_DONE) {
        e = AB_ENOTFOUND;
    } else {
        e = store_dberr(st, em, "check state");
    }
    store_release(st, s);
    return e;
}

enum ab_err store_check_state_put(store *st, const struct store_check_state *c,
                                  ab_errmsg *em)
{
    store_db_stmt *s;
    static const char sql[] =
        "INSERT INTO check_state(" STATE_COLS ") VALUES (?,?,?,?,?,?,?,?) "
            "ON CONFLICT(check_name, item) DO UPDATE SET status = excluded.status, "
            "since = excluded.since, bad_streak = excluded.bad_streak, "
            "good_streak = excluded.good_streak, flips = excluded.flips, "
            "last_run_id = excluded.last_run_id";
    enum ab_err e = store_prepare_cached(st, sql, &s, em);
    if (e)
        return e;
    store_db_bind_text(s, 1, c->check);
    store_db_bind_text(s, 2, c->item ? c->item : "");
    store_db_bind_text(s, 3, ab_status_name(c->status));
    store_bind_time(s, 4, c->since);
    store_db_bind_int(s, 5, c->bad_streak);
    store_db_bind_int(s, 6, c->good_streak);
    store_db_bind_text(s, 7, c->flips ? c->flips : "");
    store_db_bind_int64(s, 8, c->last_run_id);
    if (store_step(st, s) != SDB_DONE)
        e = store_dberr(st, em, "check state put");
    store_release(st, s);
    return e;
}

enum ab_err store_check_state_list(store *st, const char *check,
                                   struct store_check_state ***out, size_t *n,
                                   ab_errmsg *em)
{
    store_db_stmt *s;
    struct store_check_state **v = NULL;
    size_t cnt = 0, cap = 0;
    *out = NULL;
    *n = 0;
    enum ab_err e = store_prepare(
        st, check ? "SELECT " STATE_COLS " FROM check_state WHERE check_name = ? "
                    "ORDER BY item"
                  : "SELECT " STATE_COLS " FROM check_state ORDER BY check_name, item",
        &s, em);
    if (e)
        return e;
    if (check)
        store_db_bind_text(s, 1, check);
    int rc;
    while ((rc = store_step(st, s)) == SDB_ROW) {
        if (cnt == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            struct store_check_state **p = ab_realloc(v, ncap * sizeof *p);
            if (!p) {
                e = ab_fail(em, AB_ENOMEM, "out of memory");
                goto out;
            }
            v = p;
            cap = ncap;
        }
        if (!(v[cnt] = state_from_row(s))) {
            e = ab_fail(em, AB_ENOMEM, "out of memory");
            goto out;
        }
        cnt++;
    }
    if (rc != SDB_DONE) {
        e = store_dberr(st, em, "check state list");
        goto out;
    }
    *out = v;
    *n = cnt;
    v = NULL;
out:
    if (v) {
        for (size_t i = 0; i < cnt; i++)
            store_check_state_free(v[i]);
        ab_free(v);
    }
    store_db_finalize(s);
    return e;
}

int store_check_worst(store *st, const char *check)
{
    struct store_check_state **v = NULL;
    size_t n = 0;
    int worst = -1;
    if (store_check_state_list(st, check, &v, &n, NULL) != AB_OK)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if ((int)v[i]->status > worst)
            worst = (int)v[i]->status;
        store_check_state_free(v[i]);
    }
    ab_free(v);
    return worst;
}

enum ab_err store_sched_get(store *st, const char *check,
                            struct store_sched_state *out, ab_errmsg *em)
{
    store_db_stmt *s;
    static const char sql[] =
        "SELECT first_seen, last_fire, next_due FROM check_schedule "
            "WHERE check_name = ?";
    enum ab_err e = store_prepare_cached(st, sql, &s, em);
    if (e)
        return e;
    store_db_bind_text(s, 1, check);
    int rc = store_step(st, s);
    if (rc == SDB_ROW) {
        out->first_seen = store_column_time(s, 0);
        out->last_fire = store_column_time(s, 1);
        out->next_due = store_column_time(s, 2);
    } else if (rc == SDB_DONE) {
        e = AB_ENOTFOUND;
    } else {
        e = store_dberr(st, em, "schedule state");
    }
    store_release(st, s);
    return e;
}

/* One row of check_schedule by sql (an upsert or an insert if absent). */
static enum ab_err sched_write(store *st, const char *sql, const char *check,
                               const struct store_sched_state *ss, ab_errmsg *em)
{
    store_db_stmt *s;
    enum ab_err e = store_prepare_cached(st, sql, &s, em);
    if (e)
        return e;
    store_db_bind_text(s, 1, check);
    store_bind_time(s, 2, ss->first_seen);
    store_bind_time(s, 3, ss->last_fire);
    store_bind_time(s, 4, ss->next_due);
    if (store_step(st, s) != SDB_DONE)
        e = store_dberr(st, em, "schedule state put");
    store_release(st, s);
    return e;
}

enum ab_err store_sched_put(store *st, const char *check,
                            const struct store_sched_state *ss, ab_errmsg *em)
{
    static const char sql[] =
        "INSERT INTO check_schedule(check_name, first_seen, last_fire, next_due) "
            "VALUES (?, ?, ?, ?) ON CONFLICT(check_name) DO UPDATE SET "
            "first_seen = excluded.first_seen, last_fire = excluded.last_fire, "
            "next_due = excluded.next_due";
    return sched_write(st, sql, check, ss, em);
}

enum ab_err store_sched_add(store *st, const char *check,
                            const struct store_sched_state *ss, ab_errmsg *em)
{
    static const char sql[] =
        "INSERT INTO check_schedule(check_name, first_seen, last_fire, next_due) "
            "VALUES (?, ?, ?, ?) ON CONFLICT(check_name) DO NOTHING";
    return sched_write(st, sql, check, ss, em);
}

static int sched_row(store_db_stmt *s, void *elem)
{
    struct store_sched_row *r = elem;
    r->check = store_column_dup(s, 0);
    r->state.first_seen = store_column_time(s, 1);
    r->state.last_fire = store_column_time(s, 2);
    r->state.next_due = store_column_time(s, 3);
    return r->check == NULL;
}

static void sched_row_clear(void *elem)
{
    ab_free(((struct store_sched_row *)elem)->check);
}

enum ab_err store_sched_all(store *st, struct store_sched_row **out, size_t *n,
                            ab_errmsg *em)
{
    store_db_stmt *s;
    /* BINARY collation: the same order as strcmp, so callers can bsearch. */
    enum ab_err e = store_prepare(
        st, "SELECT check_name, first_seen, last_fire, next_due FROM check_schedule "
            "ORDER BY check_name COLLATE BINARY",
        &s, em);
    if (e)
        return e;
    void *v;
    e = store_collect(st, s, sizeof **out, sched_row, sched_row_clear, &v, n, em,
                      "schedule states");
    *out = v;
    store_db_finalize(s);
    return e;
}

const struct store_sched_row *store_sched_row_find(const struct store_sched_row *v, size_t n,
                                                   const char *check)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(v[mid].check, check);
        if (c == 0)
            return &v[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

void store_sched_rows_free(struct store_sched_row *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sched_row_clear(&v[i]);
    ab_free(v);
}
