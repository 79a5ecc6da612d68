/*
 * store_runs.c - runs and their per-item results (seed 001's HeartbeatRequest
 * and HeartbeatResult).
 *
 * A run is written twice: Pending when it starts, so that a crash during a
 * slow check leaves a visible trace, and Complete with its results in one
 * transaction, so that a reader never sees a Complete run without them.
 */
#include "store/store_int.h"

#include <string.h>

#include "common/ab_mem.h"
#include "store/store_runs.h"

enum ab_err store_run_begin(store *st, const char *check, const char *type,
                            const char *trigger, ab_time started,
                            int64_t *run_id, ab_errmsg *em)
{
    /* Every run of every check passes here: kept prepared (and the
     * two statements of store_run_complete). */
    static const char sql[] = "INSERT INTO runs(check_name, type, trigger, status, started) "
                              "VALUES (?, ?, ?, 'Pending', ?) RETURNING id";
    store_db_stmt *s;
    enum ab_err e = store_prepare_cached(st, sql, &s, em);
    if (e)
        return e;
    store_db_bind_text(s, 1, check);
    store_db_bind_text(s, 2, type);
    store_db_bind_text(s, 3, trigger);
    store_bind_time(s, 4, started);
    if (store_step(st, s) != SDB_ROW)
        e = store_dberr(st, em, "run begin");
    else
        *run_id = store_db_column_int64(s, 0);
    store_release(st, s);
    return e;
}

enum ab_err store_run_complete(store *st, int64_t run_id, int64_t execution_ms,
                               int from_cache, const struct ab_result *res,
                               size_t nres, const char *remedy_note,
                               ab_errmsg *em)
{
    static const char up_sql[] = "UPDATE runs SET status = 'Complete', "
                                 "execution_ms = ?, from_cache = ?, remedy_note = ? "
                                 "WHERE id = ? AND status = 'Pending'";
    static const char ins_sql[] = "INSERT INTO results(run_id, item, status, value, "
                                  "message, perfdata) VALUES (?, ?, ?, ?, ?, ?)";
    store_db_stmt *up = NULL, *ins = NULL;
    enum ab_err e = store_begin(st, em);
    if (e)
        return e;
    if ((e = store_prepare_cached(st, up_sql, &up, em)))
        goto out;
    store_db_bind_int64(up, 1, execution_ms);
    store_db_bind_int(up, 2, from_cache ? 1 : 0);
    store_db_bind_text(up, 3, remedy_note);
    store_db_bind_int64(up, 4, run_id);
    if (store_step(st, up) != SDB_DONE) {
        e = store_dberr(st, em, "run complete");
        goto out;
    }
    if (store_db_changes(st) != 1) {
        e = ab_fail(em, AB_ENOTFOUND, "run %lld is not pending", (long long)run_id);
        goto out;
    }
    if ((e = store_prepare_cached(st, ins_sql, &ins, em)))
        goto out;
    for (size_t i = 0; i < nres; i++) {
        store_db_reset(ins);
        store_db_bind_int64(ins, 1, run_id);
        store_db_bind_text(ins, 2, res[i].item ? res[i].item : "");
        store_db_bind_text(ins, 3, ab_status_name(res[i].status));
        if (res[i].has_value)
            store_db_bind_double(ins, 4, res[i].value);
        else
            store_db_bind_null(ins, 4);
        store_db_bind_text(ins, 5, res[i].message);
        store_db_bind_text(ins, 6, res[i].perfdata);
        if (store_step(st, ins) != SDB_DONE) {
            e = store_dberr(st, em, "result insert");
            goto out;
        }
    }
    store_release(st, up);
    store_release(st, ins);
    return store_commit(st, em);
out:
    store_release(st, up);
    store_release(st, ins);
    store_rollback(st);
    return e;
}

void store_run_free(struct store_run *r)
{
    if (!r)
        return;
    ab_free(r->check);
    ab_free(r->type);
    ab_free(r->trigger);
    ab_free(r->remedy_note);
    for (size_t i = 0; i < r->nresults; i++) {
        ab_free((char *)r->results[i].item);
        ab_free((char *)r->results[i].message);
        ab_free((char *)r->results[i].perfdata);
    }
    ab_free(r->results);
    ab_free(r);
}

static enum ab_err load_results(store *st, struct store_run *r, ab_errmsg *em)
{
    store_db_stmt *s;
    static const char sql[] = "SELECT item, status, value, message, perfdata FROM results "
                              "WHERE run_id = ? ORDER BY id";
    enum ab_err e = store_prepare_cached(st, sql, &s, em);
    if (e)
        return e;
    store_db_bind_int64(s, 1, r->id);
    size_t cap = 0;
    int rc;
    while ((rc = store_step(st, s)) == SDB_ROW) {
        if (r->nresults == cap) {
            size_t ncap = cap ? cap * 2 : 4;
            struct ab_result *p = ab_realloc(r->results, ncap * sizeof *p);
            if (!p) {
                e = ab_fail(em, AB_ENOMEM, "out of memory");
                goto out;
            }
            r->results = p;
            cap = ncap;
        }
        struct ab_result *res = &r->results[r->nresults++];
        memset(res, 0, sizeof *res);
        res->item = store_column_dup(s, 0);
        res->status = store_column_status(s, 1);
        res->has_value = !store_db_column_is_null(s, 2);
        res->value = store_db_column_double(s, 2);
        res->message = store_column_dup(s, 3);
        res->perfdata = store_column_dup(s, 4);
        if (!res->item) {
            e = ab_fail(em, AB_ENOMEM, "out of memory");
            goto out;
        }
    }
    if (rc != SDB_DONE)
        e = store_dberr(st, em, "results");
out:
    store_release(st, s);
    return e;
}

#define RUN_COLS "id, check_name, type, trigger, status, started, " \
                 "execution_ms, from_cache, remedy_note"

static enum ab_err run_from_row(store *st, store_db_stmt *s,
                                struct store_run **out, ab_errmsg *em)
{
    struct store_run *r = ab_calloc(1, sizeof *r);
    if (!r)
        return ab_fail(em, AB_ENOMEM, "out of memory");
    r->id = store_db_column_int64(s, 0);
    r->check = store_column_dup(s, 1);
    r->type = store_column_dup(s, 2);
    r->trigger = store_column_dup(s, 3);
    const char *status = (const char *)store_db_column_text(s, 4);
    r->complete = status && strcmp(status, "Complete") == 0;
    r->started = store_column_time(s, 5);
    r->execution_ms = store_db_column_int64(s, 6);
    r->from_cache = store_db_column_int(s, 7);
    r->remedy_note = store_column_dup(s, 8);
    if (!r->check || !r->type || !r->trigger) {
        store_run_free(r);
        return ab_fail(em, AB_ENOMEM, "out of memory");
    }
    enum ab_err e = load_results(st, r, em);
    if (e) {
        store_run_free(r);
        return e;
    }
    *out = r;
    return AB_OK;
}

static enum ab_err run_last(store *st, const char *check, int fresh_only,
                            struct store_run **out, ab_errmsg *em)
{
    store_db_stmt *s;
    *out = NULL;
    /* Asked at every ping's verdict and every cached run: kept prepared. */
    static const char fresh_sql[] = "SELECT " RUN_COLS " FROM runs WHERE check_name = ? AND "
                                    "status = 'Complete' AND from_cache = 0 "
                                    "ORDER BY started DESC, id DESC LIMIT 1";
    static const char any_sql[] = "SELECT " RUN_COLS " FROM runs WHERE check_name = ? AND "
                                  "status = 'Complete' ORDER BY started DESC, id DESC LIMIT 1";
    enum ab_err e = store_prepare_cached(st, fresh_only ? fresh_sql : any_sql, &s, em);
    if (e)
        return e;
    store_db_bind_text(s, 1, check);
    int rc = store_step(st, s);
    if (rc == SDB_ROW)
        e = run_from_row(st, s, out, em);
    else if (rc == SDB_DONE)
        e = ab_fail(em, AB_ENOTFOUND, "check %s has no completed run", check);
    else
        e = store_dberr(st, em, "last run");
    store_release(st, s);
    return e;
}

enum ab_err store_run_last(store *st, const char *check, struct store_run **out,
                           ab_errmsg *em)
{
    return run_last(st, check, 0, out, em);
}

enum ab_err store_run_last_fresh(store *st, const char *check,
                                 struct store_run **out, ab_errmsg *em)
{
    return run_last(st, check, 1, out, em);
}

enum ab_err store_run_history(store *st, const char *check, size_t limit,
                              struct store_run ***out, size_t *n,
                              ab_errmsg *em)
{
    store_db_stmt *s;
    struct store_run **v = NULL;
    size_t cnt = 0;
    *out = NULL;
    *n = 0;
    enum ab_err e = store_prepare(
        st, "SELECT " RUN_COLS " FROM runs WHERE check_name = ? "
            "ORDER BY started DESC, id DESC LIMIT ?",
        &s, em);
    if (e)
        return e;
    store_db_bind_text(s, 1, check);
    store_db_bind_int64(s, 2, (int64_t)limit);
    v = ab_calloc(limit ? limit : 1, sizeof *v);
    if (!v) {
        e = ab_fail(em, AB_ENOMEM, "out of memory");
        goto out;
    }
    int rc;
    while (cnt < limit && (rc = store_step(st, s)) == SDB_ROW) {
        if ((e = run_from_row(st, s, &v[cnt], em)))
            goto out;
        cnt++;
    }
    *out = v;
    *n = cnt;
    v = NULL;
out:
    if (v) {
        for (size_t i = 0; i < cnt; i++)
            store_run_free(v[i]);
        ab_free(v);
    }
    store_db_finalize(s);
    return e;
}
