/*
 * store_db.c - the statement calls every store/ file uses (store_db_*), for
 * either engine: SQLite's are the library's own, PostgreSQL's are
 * store_pg.c's.  The calls mirror SQLite's, so the SQL and its binding
 * read as they always did; a statement knows its engine, so one process
 * may hold both (`ackbeat migrate` reads one and writes the other).
 */
#include "store/store_int.h"

#include <string.h>

#include "common/ab_mem.h"

struct store_db_stmt {
    sqlite3_stmt *lite;         /* STORE_SQLITE */
    struct store_pgstmt *pg;    /* STORE_PG */
};

int store_db_prepare(store *st, const char *sql, store_db_stmt **out)
{
    store_db_stmt *s = ab_calloc(1, sizeof *s);
    *out = NULL;
    if (!s)
        return SDB_NOMEM;
    if (st->kind == STORE_PG) {
        /* Nothing reaches the server before the first step: the only
         * failure here is memory. */
        if (store_pg_prepare(st, sql, &s->pg) != SDB_DONE) {
            ab_free(s);
            return SDB_NOMEM;
        }
    } else if (sqlite3_prepare_v2(st->db, sql, -1, &s->lite, NULL) != SQLITE_OK) {
        ab_free(s);
        return SDB_ERROR;
    }
    *out = s;
    return 0;
}

void store_db_keep(store_db_stmt *s)
{
    /* SQLite's statements are prepared already; PostgreSQL's are only
     * text until the server is told. */
    if (s->pg)
        store_pg_keep(s->pg);
}

int store_db_step(store_db_stmt *s)
{
    if (s->pg)
        return store_pg_step(s->pg);
    int rc = sqlite3_step(s->lite);
    switch (rc & 0xff) {
    case SQLITE_ROW:
    case SQLITE_DONE:
    case SQLITE_CONSTRAINT:
    case SQLITE_BUSY:
        return rc & 0xff;
    case SQLITE_LOCKED:
        return SDB_BUSY;
    default:
        return SDB_ERROR;
    }
}

void store_db_reset(store_db_stmt *s)
{
    if (s->pg)
        store_pg_reset(s->pg);
    else
        sqlite3_reset(s->lite);
}

void store_db_clear_bindings(store_db_stmt *s)
{
    if (s->pg)
        store_pg_clear(s->pg);
    else
        sqlite3_clear_bindings(s->lite);
}

void store_db_finalize(store_db_stmt *s)
{
    if (!s)
        return;
    if (s->pg)
        store_pg_finalize(s->pg);
    else
        sqlite3_finalize(s->lite);
    ab_free(s);
}

int store_db_bind_text(store_db_stmt *s, int idx, const char *v)
{
    if (s->pg)
        return store_pg_bind(s->pg, idx, 0, v, v ? strlen(v) : 0, 0);
    return sqlite3_bind_text(s->lite, idx, v, -1, SQLITE_STATIC);
}

int store_db_bind_text_copy(store_db_stmt *s, int idx, const char *v)
{
    if (s->pg) /* store_pg.c always copies */
        return store_pg_bind(s->pg, idx, 0, v, v ? strlen(v) : 0, 0);
    return sqlite3_bind_text(s->lite, idx, v, -1, SQLITE_TRANSIENT);
}

int store_db_bind_int64(store_db_stmt *s, int idx, int64_t v)
{
    if (s->pg)
        return store_pg_bind_int64(s->pg, idx, v);
    return sqlite3_bind_int64(s->lite, idx, v);
}

int store_db_bind_int(store_db_stmt *s, int idx, int v)
{
    return store_db_bind_int64(s, idx, v);
}

int store_db_bind_double(store_db_stmt *s, int idx, double v)
{
    if (s->pg)
        return store_pg_bind_double(s->pg, idx, v);
    return sqlite3_bind_double(s->lite, idx, v);
}

int store_db_bind_null(store_db_stmt *s, int idx)
{
    if (s->pg)
        return store_pg_bind(s->pg, idx, 0, NULL, 0, 0);
    return sqlite3_bind_null(s->lite, idx);
}

int store_db_bind_blob(store_db_stmt *s, int idx, const void *p, size_t len)
{
    if (s->pg)
        return store_pg_bind_blob(s->pg, idx, p, len);
    return sqlite3_bind_blob64(s->lite, idx, p, len, SQLITE_STATIC);
}

int store_db_column_is_null(store_db_stmt *s, int col)
{
    if (s->pg)
        return store_pg_is_null(s->pg, col);
    return sqlite3_column_type(s->lite, col) == SQLITE_NULL;
}

int64_t store_db_column_int64(store_db_stmt *s, int col)
{
    if (s->pg)
        return store_pg_int64(s->pg, col);
    return sqlite3_column_int64(s->lite, col);
}

int store_db_column_int(store_db_stmt *s, int col)
{
    return (int)store_db_column_int64(s, col);
}

double store_db_column_double(store_db_stmt *s, int col)
{
    if (s->pg)
        return store_pg_double(s->pg, col);
    return sqlite3_column_double(s->lite, col);
}

const char *store_db_column_text(store_db_stmt *s, int col)
{
    if (s->pg)
        return store_pg_text(s->pg, col);
    return (const char *)sqlite3_column_text(s->lite, col);
}

const void *store_db_column_blob(store_db_stmt *s, int col)
{
    if (s->pg)
        return store_pg_blob(s->pg, col);
    return sqlite3_column_blob(s->lite, col);
}

size_t store_db_column_bytes(store_db_stmt *s, int col)
{
    if (s->pg)
        return store_pg_bytes(s->pg, col);
    return (size_t)sqlite3_column_bytes(s->lite, col);
}

int64_t store_db_changes(store *st)
{
    if (st->kind == STORE_PG)
        return store_pg_changes(st);
    return sqlite3_changes64(st->db);
}

int store_db_exec_script(store *st, const char *sql)
{
    if (st->kind == STORE_PG)
        return store_pg_exec_script(st, sql);
    return sqlite3_exec(st->db, sql, NULL, NULL, NULL) == SQLITE_OK ? SDB_DONE
                                                                     : SDB_ERROR;
}

const char *store_db_errmsg(store *st)
{
    if (st->kind == STORE_PG)
        return store_pg_errmsg(st);
    return st->db ? sqlite3_errmsg(st->db) : "no database";
}
