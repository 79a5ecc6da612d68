/*
 * store_copy_int.h - private to store_copy.c and store_copyschema.c: the
 * tables of a state as `ackbeat migrate` sees them, read from the
 * database itself, and the order they are copied in.
 */
#ifndef AB_STORE_COPY_INT_H
#define AB_STORE_COPY_INT_H

#include "store/store_int.h"

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

/* Every table of ours in st (not PostgreSQL's ackbeat_schema), with its
 * columns in order and the tables its foreign keys reference. */
enum ab_err store_copy_schema_read(store *st, struct schema *out, ab_errmsg *em);
void store_copy_schema_free(struct schema *s);
struct table *store_copy_table(struct schema *s, const char *name);
const struct col *store_copy_col(const struct table *t, const char *name);
/* The same tables and columns on both sides, or an error naming the first
 * that one lacks. */
enum ab_err store_copy_same(store *from, struct schema *fs, store *to, struct schema *ts,
                            ab_errmsg *em);
/* ts's tables, each after those it references, into order (ts->n). */
enum ab_err store_copy_order(struct schema *ts, struct table **order, ab_errmsg *em);

#endif
