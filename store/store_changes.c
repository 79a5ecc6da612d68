/*
 * store_changes.c - the change marker of store_changes.h: one cached
 * statement, no table read, so that asking on every request costs
 * about as much as a function call.
 *
 * Why not a counter in meta bumped by every write: every writer of
 * every version would have to bump it, and one that forgot (an older
 * node, a migration, sqlite3 at the shell) would leave the pages stale
 * for good.  The engines' own markers cannot be forgotten.
 */
#include "store/store_int.h"

#include "store/store_changes.h"

static const char sql_sqlite[] = "PRAGMA data_version";
/* txid_snapshot_xmax: the first transaction id not yet assigned; every
 * transaction that writes takes one.  (pg_current_snapshot() is the
 * newer name, PostgreSQL 13 on; this one reads on every version.) */
static const char sql_pg[] = "SELECT txid_snapshot_xmax(txid_current_snapshot())";

enum ab_err store_change_marker(store *st, uint64_t *out, ab_errmsg *em)
{
    store_db_stmt *s;
    *out = 0;
    enum ab_err e =
        store_prepare_cached(st, st->kind == STORE_PG ? sql_pg : sql_sqlite, &s, em);
    if (e)
        return e;
    /* store_db_step, not store_step: the marker is not one of the statements
     * the fault seam counts (tests count those of the code under test). */
    if (store_db_step(s) == SDB_ROW)
        *out = (uint64_t)store_db_column_int64(s, 0);
    else
        e = store_dberr(st, em, "change marker");
    store_release(st, s);
    return e;
}
