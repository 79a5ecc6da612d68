/*
 * store_copy.c - `ackbeat migrate`: every row of one state copied into
 * another, SQLite or PostgreSQL on either side (issue 16: moving a single
 * node's file to a database several nodes share, and back).
 *
 * The tables and their columns are read from the databases themselves
 * (sqlite_master and pragma_table_info; information_schema on
 * PostgreSQL), so a table a later migration adds is copied without a
 * change here.  Both sides are opened by store_open, which brings them to
 * this binary's schema version first, so their tables match; the check
 * below still names any table or column one side lacks.
 *
 * The target must be empty: no row in any table, except the meta rows a
 * fresh state writes when it is created (the Message-ID salt), which are
 * replaced by the source's, so that Message-IDs and reply tokens made
 * before the move still match after it.  Everything is copied inside one
 * transaction on the target, so a failure leaves it as empty as it was;
 * the source is read inside one transaction too (begin_read), so the
 * copy is one consistent moment of it.
 *
 * Rows keep their ids.  On PostgreSQL an identity column does not see
 * ids given explicitly, so afterwards each one is set past the largest
 * id; the hidden "rowid" the dialect gives key-less tables is never
 * copied (it is generated again, in the source's order, since rows are
 * read in insertion order).  Parents are copied before the tables that
 * reference them (PostgreSQL checks each foreign key at once).  Rows go in
 * multi-row INSERTs, a batch per statement, to save round trips.
 */
#include "store/store_copy_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ab_buf.h"
#include "common/ab_mem.h"

/* Parameters per INSERT: well under SQLite's 32766 and PostgreSQL's 65535. */
#define COPY_MAX_PARAMS 4000
#define COPY_MAX_ROWS 200

/* One value held between reading a row and inserting its batch. */
struct val {
    int null;
    int64_t i;
    double d;
    char *p; /* text (NUL-terminated) or blob, ours */
    size_t len;
};

/* A quoted identifier (ours are plain words; a quote is doubled anyway). */
static enum ab_err put_ident(ab_buf *b, const char *name)
{
    enum ab_err e = ab_buf_append(b, "\"", 1);
    for (const char *p = name; !e && *p; p++)
        e = *p == '"' ? ab_buf_append(b, "\"\"", 2) : ab_buf_append(b, p, 1);
    return e ? e : ab_buf_append(b, "\"", 1);
}

static enum ab_err put_cols(ab_buf *b, const struct table *t)
{
    enum ab_err e = AB_OK;
    for (size_t c = 0; !e && c < t->ncols; c++) {
        if (c)
            e = ab_buf_append(b, ", ", 2);
        if (!e)
            e = put_ident(b, t->cols[c].name);
    }
    return e;
}

/* The target holds nothing but the meta rows a fresh state writes. */
static enum ab_err target_empty(store *to, struct schema *ts, ab_errmsg *em)
{
    for (size_t i = 0; i < ts->n; i++) {
        const struct table *t = &ts->t[i];
        ab_buf sql;
        ab_buf_init(&sql, 1 << 12);
        enum ab_err e = ab_buf_puts(&sql, "SELECT 1 FROM ");
        if (!e)
            e = put_ident(&sql, t->name);
        if (!e && strcmp(t->name, "meta") == 0)
            e = ab_buf_puts(&sql, " WHERE key <> 'msgid-salt'");
        if (!e)
            e = ab_buf_puts(&sql, " LIMIT 1");
        store_db_stmt *s = NULL;
        if (e)
            e = ab_fail(em, AB_ENOMEM, "out of memory");
        else
            e = store_prepare(to, ab_buf_str(&sql), &s, em);
        ab_buf_free(&sql);
        if (e)
            return e;
        int rc = store_step(to, s);
        store_db_finalize(s);
        if (rc == SDB_ROW)
            return ab_fail(em, AB_EEXIST,
                           "%s is not empty: table %s has rows; ackbeat migrate copies "
                           "into an empty state only (a new database, or one only "
                           "ackbeat has opened)",
                           to->path, t->name);
        if (rc != SDB_DONE)
            return store_dberr(to, em, "looking for rows");
    }
    return AB_OK;
}

/* One table's copy: its INSERT for a full batch, and the rows read so far. */
struct copier {
    store *from, *to;
    const struct table *t; /* the target's */
    size_t per;            /* rows per full batch */
    store_db_stmt *full;   /* INSERT of per rows, prepared on first use */
    struct val *vals;      /* per * ncols */
    size_t nrows;
};

static enum ab_err insert_sql(const struct table *t, size_t rows, ab_buf *b)
{
    enum ab_err e = ab_buf_puts(b, "INSERT INTO ");
    if (!e)
        e = put_ident(b, t->name);
    if (!e)
        e = ab_buf_puts(b, " (");
    if (!e)
        e = put_cols(b, t);
    if (!e)
        e = ab_buf_puts(b, ") VALUES ");
    for (size_t r = 0; !e && r < rows; r++) {
        e = ab_buf_puts(b, r ? ", (" : "(");
        for (size_t c = 0; !e && c < t->ncols; c++)
            e = ab_buf_puts(b, c ? ", ?" : "?");
        if (!e)
            e = ab_buf_putc(b, ')');
    }
    return e;
}

static enum ab_err prepare_insert(struct copier *c, size_t rows, store_db_stmt **out,
                                  ab_errmsg *em)
{
    ab_buf sql;
    ab_buf_init(&sql, (size_t)1 << 24);
    enum ab_err e = insert_sql(c->t, rows, &sql);
    if (e)
        e = ab_fail(em, AB_ENOMEM, "out of memory");
    else
        e = store_prepare(c->to, ab_buf_str(&sql), out, em);
    ab_buf_free(&sql);
    return e;
}

static void clear_vals(struct copier *c)
{
    for (size_t i = 0; i < c->nrows * c->t->ncols; i++)
        ab_free(c->vals[i].p);
    memset(c->vals, 0, c->nrows * c->t->ncols * sizeof *c->vals);
    c->nrows = 0;
}

/* The current source row into the batch, by the target column's type. */
static enum ab_err read_row(struct copier *c, store_db_stmt *sel, ab_errmsg *em)
{
    struct val *row = c->vals + c->nrows * c->t->ncols;
    for (size_t i = 0; i < c->t->ncols; i++) {
        struct val *v = &row[i];
        int col = (int)i;
        if ((v->null = store_db_column_is_null(sel, col)))
            continue;
        switch (c->t->cols[i].kind) {
        case COL_INT:
            v->i = store_db_column_int64(sel, col);
            break;
        case COL_REAL:
            v->d = store_db_column_double(sel, col);
            break;
        case COL_TEXT: {
            const char *s = store_db_column_text(sel, col);
            v->p = ab_strdup(s ? s : "");
            if (!v->p)
                return ab_fail(em, AB_ENOMEM, "out of memory");
            break;
        }
        case COL_BLOB: {
            v->len = store_db_column_bytes(sel, col);
            const void *b = store_db_column_blob(sel, col);
            v->p = ab_malloc(v->len + 1);
            if (!v->p)
                return ab_fail(em, AB_ENOMEM, "out of memory");
            if (v->len)
                memcpy(v->p, b, v->len);
            break;
        }
        }
    }
    c->nrows++;
    return AB_OK;
}

static void bind_val(store_db_stmt *s, int idx, enum col_kind kind, const struct val *v)
{
    if (v->null)
        store_db_bind_null(s, idx);
    else if (kind == COL_INT)
        store_db_bind_int64(s, idx, v->i);
    else if (kind == COL_REAL)
        store_db_bind_double(s, idx, v->d);
    else if (kind == COL_BLOB)
        store_db_bind_blob(s, idx, v->p, v->len);
    else
        store_db_bind_text(s, idx, v->p);
}

/* Insert the rows held: a full batch by the kept statement, the last
 * short one by its own. */
static enum ab_err flush(struct copier *c, ab_errmsg *em)
{
    if (!c->nrows)
        return AB_OK;
    store_db_stmt *s = NULL;
    int full = c->nrows == c->per;
    enum ab_err e = AB_OK;
    if (full && !c->full)
        e = prepare_insert(c, c->per, &c->full, em);
    if (e)
        return e;
    if (full)
        s = c->full;
    else if ((e = prepare_insert(c, c->nrows, &s, em)))
        return e;
    size_t ncols = c->t->ncols;
    for (size_t i = 0; i < c->nrows * ncols; i++)
        bind_val(s, (int)i + 1, c->t->cols[i % ncols].kind, &c->vals[i]);
    int rc = store_step(c->to, s);
    if (rc != SDB_DONE) {
        char what[160];
        snprintf(what, sizeof what, "copying into %s", c->t->name);
        e = store_dberr(c->to, em, what);
    }
    if (full) {
        store_db_reset(s);
        store_db_clear_bindings(s);
    } else {
        store_db_finalize(s);
    }
    clear_vals(c);
    return e;
}

/* SELECT of the source's rows in insertion order. */
static enum ab_err select_sql(const store *from, const struct table *src,
                              const struct table *t, ab_buf *b)
{
    enum ab_err e = ab_buf_puts(b, "SELECT ");
    if (!e)
        e = put_cols(b, t);
    if (!e)
        e = ab_buf_puts(b, " FROM ");
    if (!e)
        e = put_ident(b, t->name);
    if (!e && (from->kind == STORE_SQLITE || src->has_rowid))
        e = ab_buf_puts(b, " ORDER BY rowid");
    else if (!e && store_copy_col(src, "id"))
        e = ab_buf_puts(b, " ORDER BY id");
    return e;
}

static enum ab_err copy_table(store *from, const struct table *src, store *to,
                              const struct table *t, int64_t *rows, ab_errmsg *em)
{
    struct copier c = {.from = from, .to = to, .t = t};
    c.per = COPY_MAX_PARAMS / t->ncols;
    if (c.per > COPY_MAX_ROWS)
        c.per = COPY_MAX_ROWS;
    if (!c.per)
        c.per = 1;
    if (!(c.vals = ab_calloc(c.per * t->ncols, sizeof *c.vals)))
        return ab_fail(em, AB_ENOMEM, "out of memory");
    ab_buf sql;
    ab_buf_init(&sql, 1 << 16);
    store_db_stmt *sel = NULL;
    enum ab_err e = select_sql(from, src, t, &sql);
    if (e)
        e = ab_fail(em, AB_ENOMEM, "out of memory");
    else
        e = store_prepare(from, ab_buf_str(&sql), &sel, em);
    ab_buf_free(&sql);
    int rc = SDB_DONE;
    while (!e && (rc = store_step(from, sel)) == SDB_ROW) {
        e = read_row(&c, sel, em);
        if (!e && c.nrows == c.per)
            e = flush(&c, em);
        if (!e)
            (*rows)++;
    }
    if (!e && rc != SDB_DONE)
        e = store_dberr(from, em, "reading the rows");
    if (!e)
        e = flush(&c, em);
    clear_vals(&c);
    ab_free(c.vals);
    if (sel)
        store_db_finalize(sel);
    if (c.full)
        store_db_finalize(c.full);
    return e;
}

/* PostgreSQL: each identity column's next value past the ids copied. */
static enum ab_err reset_identities(store *to, struct schema *ts, ab_errmsg *em)
{
    for (size_t i = 0; to->kind == STORE_PG && i < ts->n; i++) {
        const struct table *t = &ts->t[i];
        for (size_t c = 0; c < t->ncols; c++) {
            if (!t->cols[c].identity)
                continue;
            ab_buf sql;
            ab_buf_init(&sql, 1 << 12);
            enum ab_err e = ab_buf_puts(&sql, "SELECT setval(pg_get_serial_sequence(?, ?), m) "
                                              "FROM (SELECT MAX(");
            if (!e)
                e = put_ident(&sql, t->cols[c].name);
            if (!e)
                e = ab_buf_puts(&sql, ") AS m FROM ");
            if (!e)
                e = put_ident(&sql, t->name);
            if (!e)
                e = ab_buf_puts(&sql, ") AS x WHERE m IS NOT NULL");
            store_db_stmt *s = NULL;
            if (e)
                e = ab_fail(em, AB_ENOMEM, "out of memory");
            else
                e = store_prepare(to, ab_buf_str(&sql), &s, em);
            ab_buf_free(&sql);
            if (e)
                return e;
            store_db_bind_text(s, 1, t->name);
            store_db_bind_text(s, 2, t->cols[c].name);
            int rc;
            while ((rc = store_step(to, s)) == SDB_ROW)
                ;
            store_db_finalize(s);
            if (rc != SDB_DONE)
                return store_dberr(to, em, "setting the identity past the copied ids");
        }
    }
    return AB_OK;
}

/* Inside both transactions: check, then copy every table in order. */
static enum ab_err copy_all(store *from, struct schema *fs, store *to, struct schema *ts,
                            store_copy_progress fn, void *ud, ab_errmsg *em)
{
    enum ab_err e = target_empty(to, ts, em);
    if (e)
        return e;
    struct table **order = ab_calloc(ts->n ? ts->n : 1, sizeof *order);
    if (!order)
        return ab_fail(em, AB_ENOMEM, "out of memory");
    e = store_copy_order(ts, order, em);
    /* The fresh target's own salt gives way to the source's. */
    if (!e && store_copy_table(ts, "meta"))
        e = store_exec(to, "DELETE FROM meta", em);
    for (size_t i = 0; !e && i < ts->n; i++) {
        int64_t rows = 0;
        e = copy_table(from, store_copy_table(fs, order[i]->name), to, order[i], &rows, em);
        if (!e && fn)
            fn(order[i]->name, rows, ud);
    }
    ab_free(order);
    return e ? e : reset_identities(to, ts, em);
}

/* The source read as one moment.  SQLite: its write lock, which also
 * holds off any writer.  PostgreSQL: a snapshot without the writers' lock,
 * which the target takes and may share when both are one database. */
static enum ab_err begin_read(store *from, ab_errmsg *em)
{
    if (from->kind == STORE_PG)
        return store_exec(from, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", em);
    return store_begin(from, em);
}

static void end_read(store *from)
{
    if (from->kind == STORE_PG) {
        ab_errmsg em = {{0}};
        if (store_exec(from, "ROLLBACK", &em) != AB_OK)
            return; /* nothing was written; closing ends it as well */
    } else {
        store_rollback(from);
    }
}

enum ab_err store_copy(store *from, store *to, store_copy_progress fn, void *ud,
                       ab_errmsg *em)
{
    int fv = store_schema_version(from), tv = store_schema_version(to);
    if (fv != tv)
        return ab_fail(em, AB_EVERSION, "%s is at schema version %d, %s at %d; both "
                                        "must be at this binary's",
                       from->path, fv, to->path, tv);
    struct schema fs, ts;
    enum ab_err e = store_copy_schema_read(from, &fs, em);
    if (e)
        return e;
    if ((e = store_copy_schema_read(to, &ts, em))) {
        store_copy_schema_free(&fs);
        return e;
    }
    e = store_copy_same(from, &fs, to, &ts, em);
    if (!e && !(e = begin_read(from, em))) {
        if (!(e = store_begin(to, em))) {
            e = copy_all(from, &fs, to, &ts, fn, ud, em);
            if (e)
                store_rollback(to);
            else
                e = store_commit(to, em);
        }
        end_read(from); /* read only: nothing to keep */
    }
    store_copy_schema_free(&fs);
    store_copy_schema_free(&ts);
    return e;
}
