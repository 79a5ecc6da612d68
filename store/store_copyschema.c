/*
 * store_copyschema.c - the tables of a state for `ackbeat migrate`
 * (store_copy.c): read from the database itself, so that a table a later
 * migration adds is copied with no change here.  SQLite answers from
 * sqlite_master and its pragma functions, cheaply per table; PostgreSQL
 * from information_schema, whose views are slow enough that all columns
 * and all foreign keys are read in one query each.
 */
#include "store/store_copy_int.h"

#include <string.h>

#include "common/ab_mem.h"

void store_copy_schema_free(struct schema *s)
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

/* Add a column to t: "rowid" (PostgreSQL's hidden one) is noted, not
 * listed.  Non-zero on OOM. */
static int add_column(struct table *t, const char *name, const char *type, int identity)
{
    if (!name)
        return 0;
    if (strcmp(name, "rowid") == 0) {
        t->has_rowid = 1;
        return 0;
    }
    struct col c = {.name = ab_strdup(name), .kind = kind_of(type), .identity = identity};
    if (!c.name || grow((void **)&t->cols, t->ncols, sizeof *t->cols)) {
        ab_free(c.name);
        return 1;
    }
    t->cols[t->ncols++] = c;
    return 0;
}

static int add_dep(struct table *t, const char *ref)
{
    char *dup = ab_strdup(ref ? ref : "");
    if (!dup || grow((void **)&t->deps, t->ndeps, sizeof *t->deps)) {
        ab_free(dup);
        return 1;
    }
    t->deps[t->ndeps++] = dup;
    return 0;
}

/* Step sql (bound to bind when set), giving each row to fn (non-zero: OOM). */
static enum ab_err each_row(store *st, const char *sql, const char *bind,
                            int (*fn)(store_db_stmt *s, void *ud), void *ud, ab_errmsg *em)
{
    store_db_stmt *s = NULL;
    enum ab_err e = store_prepare(st, sql, &s, em);
    if (e)
        return e;
    if (bind)
        store_db_bind_text(s, 1, bind);
    int rc;
    while ((rc = store_step(st, s)) == SDB_ROW) {
        if (fn(s, ud)) {
            store_db_finalize(s);
            return ab_fail(em, AB_ENOMEM, "out of memory");
        }
    }
    if (rc != SDB_DONE)
        e = store_dberr(st, em, "reading the schema");
    store_db_finalize(s);
    return e;
}

static int sqlite_column(store_db_stmt *s, void *ud)
{
    return add_column(ud, store_db_column_text(s, 0), store_db_column_text(s, 1), 0);
}

static int sqlite_dep(store_db_stmt *s, void *ud)
{
    return add_dep(ud, store_db_column_text(s, 0));
}

static int pg_column(store_db_stmt *s, void *ud)
{
    const char *name = store_db_column_text(s, 0);
    struct table *t = name ? store_copy_table(ud, name) : NULL;
    return t ? add_column(t, store_db_column_text(s, 1), store_db_column_text(s, 2),
                          store_db_column_int(s, 3) == 1)
             : 0;
}

static int pg_dep(store_db_stmt *s, void *ud)
{
    const char *name = store_db_column_text(s, 0);
    struct table *t = name ? store_copy_table(ud, name) : NULL;
    return t ? add_dep(t, store_db_column_text(s, 1)) : 0;
}

/* PostgreSQL: every column and every foreign key, one query each. */
static enum ab_err pg_details(store *st, struct schema *out, ab_errmsg *em)
{
    enum ab_err e = each_row(
        st,
        "SELECT CAST(table_name AS TEXT), CAST(column_name AS TEXT), "
        "CAST(data_type AS TEXT), CASE WHEN is_identity = 'YES' THEN 1 ELSE 0 END "
        "FROM information_schema.columns WHERE table_schema = current_schema() "
        "ORDER BY table_name, ordinal_position",
        NULL, pg_column, out, em);
    if (e)
        return e;
    return each_row(st,
                    "SELECT DISTINCT CAST(c.table_name AS TEXT), CAST(u.table_name AS TEXT) "
                    "FROM information_schema.table_constraints c "
                    "JOIN information_schema.constraint_column_usage u "
                    "ON u.constraint_schema = c.constraint_schema "
                    "AND u.constraint_name = c.constraint_name "
                    "WHERE c.constraint_type = 'FOREIGN KEY' "
                    "AND c.table_schema = current_schema()",
                    NULL, pg_dep, out, em);
}

/* SQLite: each table's columns and foreign keys from its pragmas. */
static enum ab_err sqlite_details(store *st, struct schema *out, ab_errmsg *em)
{
    enum ab_err e = AB_OK;
    for (size_t i = 0; !e && i < out->n; i++) {
        struct table *t = &out->t[i];
        e = each_row(st, "SELECT name, type FROM pragma_table_info(?) ORDER BY cid", t->name,
                     sqlite_column, t, em);
        if (!e)
            e = each_row(st, "SELECT DISTINCT \"table\" FROM pragma_foreign_key_list(?)",
                         t->name, sqlite_dep, t, em);
    }
    return e;
}

enum ab_err store_copy_schema_read(store *st, struct schema *out, ab_errmsg *em)
{
    const int pg = st->kind == STORE_PG;
    const char *tables_sql =
        pg ? "SELECT CAST(table_name AS TEXT) FROM information_schema.tables "
             "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' "
             "AND CAST(table_name AS TEXT) <> 'ackbeat_schema' ORDER BY 1"
           : "SELECT name FROM sqlite_master WHERE type = 'table' "
             "AND name NOT LIKE 'sqlite%' ORDER BY 1";
    char **names = NULL;
    size_t n = 0;
    memset(out, 0, sizeof *out);
    enum ab_err e = list_names(st, tables_sql, NULL, &names, &n, em);
    if (!e && n && !(out->t = ab_calloc(n, sizeof *out->t)))
        e = ab_fail(em, AB_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        if (e)
            ab_free(names[i]);
        else
            out->t[out->n++].name = names[i];
    }
    ab_free(names);
    if (!e)
        e = pg ? pg_details(st, out, em) : sqlite_details(st, out, em);
    for (size_t i = 0; !e && i < out->n; i++)
        if (!out->t[i].ncols)
            e = ab_fail(em, AB_ESTORE, "%s: table %s has no columns", st->path, out->t[i].name);
    if (e)
        store_copy_schema_free(out);
    return e;
}

struct table *store_copy_table(struct schema *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->t[i].name, name) == 0)
            return &s->t[i];
    return NULL;
}

const struct col *store_copy_col(const struct table *t, const char *name)
{
    for (size_t i = 0; i < t->ncols; i++)
        if (strcmp(t->cols[i].name, name) == 0)
            return &t->cols[i];
    return NULL;
}

/* The two sides have the same tables and columns (both are at this
 * binary's version, so only a hand-made change can tell them apart). */
enum ab_err store_copy_same(store *from, struct schema *fs, store *to, struct schema *ts,
                               ab_errmsg *em)
{
    for (size_t i = 0; i < fs->n; i++) {
        struct table *t = store_copy_table(ts, fs->t[i].name);
        if (!t)
            return ab_fail(em, AB_ESTORE, "%s has a table %s that %s lacks; both must "
                                          "be ackbeat states of the same version",
                           from->path, fs->t[i].name, to->path);
        for (size_t c = 0; c < t->ncols; c++)
            if (!store_copy_col(&fs->t[i], t->cols[c].name))
                return ab_fail(em, AB_ESTORE, "table %s: column %s is in %s, not in %s",
                               t->name, t->cols[c].name, to->path, from->path);
    }
    for (size_t i = 0; i < ts->n; i++)
        if (!store_copy_table(fs, ts->t[i].name))
            return ab_fail(em, AB_ESTORE, "%s has a table %s that %s lacks; both must "
                                          "be ackbeat states of the same version",
                           to->path, ts->t[i].name, from->path);
    return AB_OK;
}

/* The target's tables, each after those it references: into order. */
enum ab_err store_copy_order(struct schema *ts, struct table **order, ab_errmsg *em)
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
                struct table *p = store_copy_table(ts, t->deps[d]);
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
