/*
 * store_latest.c - every check's newest facts at once (store_latest.h):
 * the worst debounced status of each check in one pass over check_state,
 * and the newest complete run of many checks with two statements
 * prepared once and stepped per check.
 *
 * The run and its results are read as store_runs.c reads them (the same
 * columns, the same order, an unknown status Offline), so that a page
 * from the read model and `ackbeat history` never disagree.
 */
#include "store/store_int.h"

#include <stdlib.h>
#include <string.h>

#include "common/ab_mem.h"
#include "common/ab_status.h"
#include "store/store_latest.h"

void store_worst_free(struct store_worst *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ab_free(v[i].check);
    ab_free(v);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct store_worst *)a)->check, ((const struct store_worst *)b)->check);
}

enum ab_err store_worst_all(store *st, struct store_worst **out, size_t *n, ab_errmsg *em)
{
    *out = NULL;
    *n = 0;
    store_db_stmt *s;
    enum ab_err e = store_prepare(
        st, "SELECT check_name, status FROM check_state ORDER BY check_name", &s, em);
    if (e)
        return e;
    struct store_worst *v = NULL;
    size_t cnt = 0, cap = 0;
    int rc;
    while ((rc = store_step(st, s)) == SDB_ROW) {
        const char *name = store_db_column_text(s, 0);
        int status = (int)store_column_status(s, 1); /* as state_from_row reads it */
        if (cnt && strcmp(v[cnt - 1].check, name ? name : "") == 0) {
            if (status > v[cnt - 1].status)
                v[cnt - 1].status = status;
            continue;
        }
        if (cnt == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            struct store_worst *p = ab_realloc(v, ncap * sizeof *p);
            if (!p)
                goto oom;
            v = p;
            cap = ncap;
        }
        if (!(v[cnt].check = ab_strdup(name ? name : "")))
            goto oom;
        v[cnt++].status = status;
    }
    if (rc != SDB_DONE) {
        e = store_dberr(st, em, "check states");
        store_worst_free(v, cnt);
    } else {
        /* Byte order whatever the database's collation (PostgreSQL's may
         * not be): callers search it with strcmp. */
        if (cnt > 1)
            qsort(v, cnt, sizeof *v, by_name);
        *out = v;
        *n = cnt;
    }
    store_db_finalize(s);
    return e;
oom:
    store_worst_free(v, cnt);
    store_db_finalize(s);
    return ab_fail(em, AB_ENOMEM, "out of memory");
}

/* The results of r, from s (prepared, bound to nothing yet). */
static enum ab_err results_of(store *st, store_db_stmt *s, struct store_run *r, ab_errmsg *em)
{
    store_db_reset(s);
    store_db_bind_int64(s, 1, r->id);
    size_t cap = 0;
    int rc;
    while ((rc = store_step(st, s)) == SDB_ROW) {
        if (r->nresults == cap) {
            size_t ncap = cap ? cap * 2 : 4;
            struct ab_result *p = ab_realloc(r->results, ncap * sizeof *p);
            if (!p)
                return ab_fail(em, AB_ENOMEM, "out of memory");
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
        if (!res->item)
            return ab_fail(em, AB_ENOMEM, "out of memory");
    }
    return rc == SDB_DONE ? AB_OK : store_dberr(st, em, "results");
}

/* The run at s's current row. */
static struct store_run *run_at(store_db_stmt *s)
{
    struct store_run *r = ab_calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->id = store_db_column_int64(s, 0);
    r->check = store_column_dup(s, 1);
    r->type = store_column_dup(s, 2);
    r->trigger = store_column_dup(s, 3);
    r->complete = 1; /* only complete runs are asked for */
    r->started = store_column_time(s, 5);
    r->execution_ms = store_db_column_int64(s, 6);
    r->from_cache = store_db_column_int(s, 7);
    r->remedy_note = store_column_dup(s, 8);
    if (!r->check || !r->type || !r->trigger) {
        store_run_free(r);
        return NULL;
    }
    return r;
}

/* checks[i]'s newest complete run into *out (NULL: none). */
static enum ab_err last_of(store *st, store_db_stmt *runs, store_db_stmt *res, const char *check,
                           struct store_run **out, ab_errmsg *em)
{
    *out = NULL;
    store_db_reset(runs);
    store_db_bind_text(runs, 1, check);
    int rc = store_step(st, runs);
    if (rc == SDB_DONE)
        return AB_OK;
    if (rc != SDB_ROW)
        return store_dberr(st, em, "last run");
    struct store_run *r = run_at(runs);
    if (!r)
        return ab_fail(em, AB_ENOMEM, "out of memory");
    enum ab_err e = results_of(st, res, r, em);
    if (e) {
        store_run_free(r);
        return e;
    }
    *out = r;
    return AB_OK;
}

enum ab_err store_run_last_each(store *st, const char *const *checks, size_t n,
                                struct store_run **out, ab_errmsg *em)
{
    for (size_t i = 0; i < n; i++)
        out[i] = NULL;
    /* After each run and each ping, for its verdict: kept prepared. */
    static const char runs_sql[] =
        "SELECT id, check_name, type, trigger, status, started, execution_ms, "
        "from_cache, remedy_note FROM runs WHERE check_name = ? AND "
        "status = 'Complete' ORDER BY started DESC, id DESC LIMIT 1";
    static const char res_sql[] = "SELECT item, status, value, message, perfdata FROM results "
                                  "WHERE run_id = ? ORDER BY id";
    store_db_stmt *runs = NULL, *res = NULL;
    enum ab_err e = store_prepare_cached(st, runs_sql, &runs, em);
    if (!e)
        e = store_prepare_cached(st, res_sql, &res, em);
    for (size_t i = 0; i < n && !e; i++)
        e = last_of(st, runs, res, checks[i], &out[i], em);
    store_release(st, runs);
    store_release(st, res);
    if (e)
        for (size_t i = 0; i < n; i++) {
            store_run_free(out[i]);
            out[i] = NULL;
        }
    return e;
}
