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
#include "store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ab_buf.h"
#include "common/ab_mem.h"

/* Parameters per INSERT: well under SQLite's 32766 and PostgreSQL's 65535. */
#define COPY_MAX_PARAMS 4000
#define COPY_MAX_ROWS 200

enum col_kind { COL_INT, COL_REAL, COL_TEXT, COL_BLOB };

struct col {
    char *name;
    enum col_kind kind;
    int identity; /* PostgreSQL: an identity column to set past its max */
};

struct table {
    char *name;
    struct col *cols;
    size_t ncols;
    char **deps; /* the tables its foreign keys reference */
    size_t ndeps;
    int has_rowid; /* PostgreSQL's hidden insertion order column */
    int placed;    /* in copy order already */
};

struct schema {
    struct table *t;
    size_t n;
};

/* One value held between reading a row and inserting its batch. */
struct val {
    int null;
    int64_t i;
    double d;
    char *p; /* text (NUL-terminated) or blob, ours */
    size_t len;
};

static void schema_free(struct schema *s)
{
    for (size_t i = 0; i < s->n; i++) {
        struct table *t = &s->t[i];
        ab_free(t->name);
        for (size_t c = 0; c < t->ncols; c++)
            ab_free(t->cols[c].name);
        ab_free(t->cols);
        for (size_t d = 0; d < t->ndeps; d++)
            ab_free(t->deps[d]);
        ab_free(t->deps);
    }
    ab_free(s->t);
    s->t = NULL;
    s->n = 0;
}

static enum col_kind kind_of(const char *decl)
{
    char up[64];
    size_t n = 0;
    for (; decl && decl[n] && n < sizeof up - 1; n++)
        up[n] = (char)(decl[n] >= 'a' && decl[n] <= 'z' ? decl[n] - 32 : decl[n]);
    up[n] = '\0';
    if (strstr(up, "INT"))
        return COL_INT;
    if (strstr(up, "REAL") || strstr(up, "DOUBLE") || strstr(up, "FLOA") ||
        strstr(up, "NUMERIC"))
        return COL_REAL;
    if (strstr(up, "BLOB") || strstr(up, "BYTEA"))
        return COL_BLOB;
    return COL_TEXT;
}

/* Grow *v (elements of size) to hold n + 1; non-zero on OOM. */
static int grow(void **v, size_t n, size_t size)
{
    void *p = ab_realloc(*v, (n + 1) * size);
    if (!p)
        return 1;
    *v = p;
    return 0;
}

/* Step a one-text-column query (bound to name when name is set),
 * appending each row's text to *out. */
static enum ab_err list_names(store *st, const char *sql, const char *name, char ***out,
                              size_t *n, ab_errmsg *em)
{
    store_db_stmt *s = NULL;
    enum ab_err e = store_prepare(st, sql, &s, em);
    if (e)
        return e;
    if (name)
        store_db_bind_text(s, 1, name);
    int rc;
    while ((rc = store_step(st, s)) == SDB_ROW) {
        const char *v = store_db_column_text(s, 0);
        char *dup = ab_strdup(v ? v : "");
        if (!dup || grow((void **)out, *n, sizeof **out)) {
            ab_free(dup);
            store_db_finalize(s);
            return ab_fail(em, AB_ENOMEM, "out of memory");
        }
        (*out)[(*n)++] = dup;
    }
    if (rc != SDB_DONE)
        e = store_dberr(st, em, "reading the schema");
    store_db_finalize(s);
    return e;
}

/* A table's columns, in their order; "rowid" (PostgreSQL's hidden one) is
 * noted, not listed. */
static enum ab_err read_columns(store *st, struct table *t, ab_errmsg *em)
{
    const char *sql =
        st->kind == STORE_PG
            ? "SELECT CAST(column_name AS TEXT), CAST(data_type AS TEXT), "
              "CASE WHEN is_identity = 'YES' THEN 1 ELSE 0 END "
              "FROM information_schema.columns WHERE table_schema = current_schema() "
              "AND CAST(table_name AS TEXT) = ? ORDER BY ordinal_position"
            : "SELECT name, type, 0 FROM pragma_table_info(?) ORDER BY cid";
    store_db_stmt *s = NULL;
    enum ab_err e = store_prepare(st, sql, &s, em);
    if (e)
        return e;
    store_db_bind_text(s, 1, t->name);
    int rc;
    while ((rc = store_step(st, s)) == SDB_ROW) {
        const char *name = store_db_column_text(s, 0);
        if (!name)
            continue;
        if (strcmp(name, "rowid") == 0) {
            t->has_rowid = 1;
            continue;
        }
        struct col c = {.name = ab_strdup(name),
                        .kind = kind_of(store_db_column_text(s, 1)),
                        .identity = store_db_column_int(s, 2) == 1};
        if (!c.name || grow((void **)&t->cols, t->ncols, sizeof *t->cols)) {
            ab_free(c.name);
            store_db_finalize(s);
            return ab_fail(em, AB_ENOMEM, "out of memory");
        }
        t->cols[t->ncols++] = c;
    }
    if (rc != SDB_DONE)
        e = store_dberr(st, em, "reading the columns");
    store_db_finalize(s);
    if (!e && !t->ncols)
        e = ab_fail(em, AB_ESTORE, "%s: table %s has no columns", st->path, t->name);
    return e;
}

/* Every table of ours in st, with its columns and foreign keys. */
static enum ab_err read_schema(store *st, struct schema *out, ab_errmsg *em)
{
    const int pg = st->kind == STORE_PG;
    const char *tables_sql =
        pg ? "SELECT CAST(table_name AS TEXT) FROM information_schema.tables "
             "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' "
             "AND CAST(table_name AS TEXT) <> 'ackbeat_schema' ORDER BY 1"
           : "SELECT name FROM sqlite_master WHERE type = 'table' "
             "AND name NOT LIKE 'sqlite%' ORDER BY 1";
    const char *deps_sql =
        pg ? "SELECT DISTINCT CAST(u.table_name AS TEXT) "
             "FROM information_schema.table_constraints c "
             "JOIN information_schema.constraint_column_usage u "
             "ON u.constraint_schema = c.constraint_schema "
             "AND u.constraint_name = c.constraint_name "
             "WHERE c.constraint_type = 'FOREIGN KEY' "
             "AND c.table_schema = current_schema() AND CAST(c.table_name AS TEXT) = ?"
           : "SELECT DISTINCT \"table\" FROM pragma_foreign_key_list(?)";
    char **names = NULL;
    size_t n = 0;
    memset(out, 0, sizeof *out);
    enum ab_err e = list_names(st, tables_sql, NULL, &names, &n, em);
    if (!e && n && !(out->t = ab_calloc(n, sizeof *out->t)))
        e = ab_fail(em, AB_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        if (e) {
            ab_free(names[i]);
            continue;
        }
        struct table *t = &out->t[out->n++];
        t->name = names[i];
        e = read_columns(st, t, em);
        if (!e)
            e = list_names(st, deps_sql, t->name, &t->deps, &t->ndeps, em);
    }
    ab_free(names);
    if (e)
        schema_free(out);
    return e;
}

static struct table *find_table(struct schema *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->t[i].name, name) == 0)
            return &s->t[i];
    return NULL;
}

static const struct col *find_col(const struct table *t, const char *name)
{
    for (size_t i = 0; i < t->ncols; i++)
        if (strcmp(t->cols[i].name, name) == 0)
            return &t->cols[i];
    return NULL;
}

/* The two sides have the same tables and columns (both are at this
 * binary's version, so only a hand-made change can tell them apart). */
static enum ab_err same_tables(store *from, struct schema *fs, store *to, struct schema *ts,
                               ab_errmsg *em)
{
    for (size_t i = 0; i < fs->n; i++) {
        struct table *t = find_table(ts, fs->t[i].name);
        if (!t)
            return ab_fail(em, AB_ESTORE, "%s has a table %s that %s lacks; both must "
                                          "be ackbeat states of the same version",
                           from->path, fs->t[i].name, to->path);
        for (size_t c = 0; c < t->ncols; c++)
            if (!find_col(&fs->t[i], t->cols[c].name))
                return ab_fail(em, AB_ESTORE, "table %s: column %s is in %s, not in %s",
                               t->name, t->cols[c].name, to->path, from->path);
    }
    for (size_t i = 0; i < ts->n; i++)
        if (!find_table(fs, ts->t[i].name))
            return ab_fail(em, AB_ESTORE, "%s has a table %s that %s lacks; both must "
                                          "be ackbeat states of the same version",
                           to->path, ts->t[i].name, from->path);
    return AB_OK;
}

/* The target's tables, each after those it references: into order. */
static enum ab_err copy_order(struct schema *ts, struct table **order, ab_errmsg *em)
{
    size_t done = 0;
    while (done < ts->n) {
        size_t before = done;
        for (size_t i = 0; i < ts->n; i++) {
            struct table *t = &ts->t[i];
            if (t->placed)
                continue;
            int ready = 1;
            for (size_t d = 0; d < t->ndeps && ready; d++) {
                struct table *p = find_table(ts, t->deps[d]);
                ready = !p || p == t || p->placed;
            }
            if (ready) {
                t->placed = 1;
                order[done++] = t;
            }
        }
        if (done == before)
            return ab_fail(em, AB_ESTORE, "the tables' foreign keys form a cycle; "
                                          "cannot order the copy");
    }
    return AB_OK;
}

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
    else if (!e && find_col(src, "id"))
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
    e = copy_order(ts, order, em);
    /* The fresh target's own salt gives way to the source's. */
    if (!e && find_table(ts, "meta"))
        e = store_exec(to, "DELETE FROM meta", em);
    for (size_t i = 0; !e && i < ts->n; i++) {
        int64_t rows = 0;
        e = copy_table(from, find_table(fs, order[i]->name), to, order[i], &rows, em);
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
    enum ab_err e = read_schema(from, &fs, em);
    if (e)
        return e;
    if ((e = read_schema(to, &ts, em))) {
        schema_free(&fs);
        return e;
    }
    e = same_tables(from, &fs, to, &ts, em);
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
    schema_free(&fs);
    schema_free(&ts);
    return e;
}
