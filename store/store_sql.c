/*
 * store_sql.c - the statement helpers every other store/ file shares:
 * preparing (and keeping hot statements prepared), stepping through the
 * fault-injection seam, errors in words, collecting rows into an array,
 * and instants as ISO text.
 *
 * It calls nothing else in store/, so that every file may call it and
 * no two files call each other through it.
 */
#include "store/store_int.h"

#include <string.h>

#include "common/ab_mem.h"

enum ab_err store_dberr(store *st, ab_errmsg *em, const char *what)
{
    ab_fail(em, AB_ESTORE, "%s: %s: %s", st->path, what, store_db_errmsg(st));
    if (st->kind == STORE_SQLITE) {
        int code = sqlite3_extended_errcode(st->db);
        if ((code & 0xff) == SQLITE_BUSY || (code & 0xff) == SQLITE_LOCKED)
            return AB_EBUSY;
    }
    return AB_ESTORE;
}

enum ab_err store_prepare(store *st, const char *sql, store_db_stmt **out,
                          ab_errmsg *em)
{
    int rc = store_db_prepare(st, sql, out);
    if (rc == SDB_NOMEM)
        return ab_fail(em, AB_ENOMEM, "out of memory");
    if (rc != 0) {
        *out = NULL;
        return store_dberr(st, em, "prepare");
    }
    return AB_OK;
}

enum ab_err store_prepare_cached(store *st, const char *sql, store_db_stmt **out,
                                 ab_errmsg *em)
{
    for (int i = 0; i < st->ncache; i++)
        if (st->cache[i].sql == sql) {
            *out = st->cache[i].stmt;
            return AB_OK;
        }
    enum ab_err e = store_prepare(st, sql, out, em);
    if (e || st->ncache == STORE_STMT_CACHE)
        return e; /* a full cache is a bug in the caller count, not fatal */
    st->cache[st->ncache].sql = sql;
    st->cache[st->ncache].stmt = *out;
    st->ncache++;
    store_db_keep(*out);
    return AB_OK;
}

void store_release(store *st, store_db_stmt *s)
{
    for (int i = 0; i < st->ncache; i++)
        if (st->cache[i].stmt == s) {
            /* Reset at once: a statement left stepping holds its read
             * snapshot and would keep the WAL from being checkpointed. */
            store_db_reset(s);
            store_db_clear_bindings(s);
            return;
        }
    store_db_finalize(s); /* the cache was full: it was never kept */
}

int store_step(store *st, store_db_stmt *stmt)
{
    if (st->fail_after >= 0) {
        if (st->fail_after == 0)
            return SDB_ERROR;
        st->fail_after--;
    }
    return store_db_step(stmt);
}

/* One statement of SQLite's, run to its end; kept prepared when keep
 * (sql a string literal, as store_prepare_cached wants). */
static enum ab_err exec_one(store *st, const char *sql, int keep, ab_errmsg *em)
{
    store_db_stmt *s;
    enum ab_err e = keep ? store_prepare_cached(st, sql, &s, em) : store_prepare(st, sql, &s, em);
    if (e)
        return e;
    int rc = store_step(st, s);
    if (rc != SDB_DONE && rc != SDB_ROW)
        e = store_dberr(st, em, sql);
    if (keep)
        store_release(st, s);
    else
        store_db_finalize(s);
    return e;
}

enum ab_err store_exec(store *st, const char *sql, ab_errmsg *em)
{
    if (st->kind == STORE_PG) {
        /* The simple protocol: several commands allowed, no parameters. */
        int rc = st->fail_after == 0 ? SDB_ERROR : store_db_exec_script(st, sql);
        if (rc == SDB_NOMEM)
            return ab_fail(em, AB_ENOMEM, "out of memory");
        if (rc != SDB_DONE)
            return store_dberr(st, em, sql);
        if (st->fail_after > 0)
            st->fail_after--;
        return AB_OK;
    }
    return exec_one(st, sql, 0, em);
}

enum ab_err store_exec_kept(store *st, const char *sql, ab_errmsg *em)
{
    /* PostgreSQL's simple protocol has nothing to keep. */
    return st->kind == STORE_PG ? store_exec(st, sql, em) : exec_one(st, sql, 1, em);
}

enum ab_err store_collect(store *st, store_db_stmt *stmt, size_t elem_size,
                          int (*row)(store_db_stmt *s, void *elem),
                          void (*clear)(void *elem), void **out, size_t *n,
                          ab_errmsg *em, const char *what)
{
    char *v = NULL;
    size_t cnt = 0, cap = 0;
    enum ab_err e = AB_OK;
    int rc;
    *out = NULL;
    *n = 0;
    while ((rc = store_step(st, stmt)) == SDB_ROW) {
        if (cnt == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            char *p = ab_realloc(v, ncap * elem_size);
            if (!p) {
                e = ab_fail(em, AB_ENOMEM, "out of memory");
                goto fail;
            }
            v = p;
            cap = ncap;
        }
        void *slot = v + cnt * elem_size;
        memset(slot, 0, elem_size);
        cnt++;
        if (row(stmt, slot)) {
            e = ab_fail(em, AB_ENOMEM, "out of memory");
            goto fail;
        }
    }
    if (rc != SDB_DONE) {
        e = store_dberr(st, em, what);
        goto fail;
    }
    *out = v;
    *n = cnt;
    return AB_OK;
fail:
    for (size_t i = 0; clear && i < cnt; i++)
        clear(v + i * elem_size);
    ab_free(v);
    return e;
}

int store_bind_time(store_db_stmt *s, int idx, ab_time t)
{
    if (t == AB_TIME_NONE)
        return store_db_bind_null(s, idx);
    char buf[AB_ISO_LEN];
    ab_time_format(t, buf, sizeof buf);
    return store_db_bind_text_copy(s, idx, buf);
}

ab_time store_column_time(store_db_stmt *s, int col)
{
    const char *txt = store_db_column_text(s, col);
    ab_time t;
    if (!txt || ab_time_parse(txt, &t) != AB_OK)
        return AB_TIME_NONE;
    return t;
}

char *store_column_dup(store_db_stmt *s, int col)
{
    const char *txt = store_db_column_text(s, col);
    return txt ? ab_strdup(txt) : NULL;
}

enum ab_status store_column_status(store_db_stmt *s, int col)
{
    int v = ab_status_parse((const char *)store_db_column_text(s, col));
    return v < 0 ? AB_OFFLINE : (enum ab_status)v;
}
