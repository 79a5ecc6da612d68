/*
 * store_reach.c - is the state database there?  For /healthz and the
 * daemon's report of an outage (issue 16): a PostgreSQL state can go
 * away under a running node, and the node must say so rather than serve
 * pages from memory as if nothing happened.
 *
 * One SELECT 1, through the same statement layer as everything else, so
 * that a lost connection is retried by store_pg.c's own backoff and the
 * answer is the one the next real statement would get.
 */
#include "store/store_int.h"

enum ab_err store_reachable(store *st, ab_errmsg *em)
{
    store_db_stmt *s;
    enum ab_err e = store_prepare(st, "SELECT 1", &s, em);
    if (e)
        return e;
    if (store_step(st, s) != SDB_ROW)
        e = store_dberr(st, em, "state database");
    store_db_finalize(s);
    return e;
}
