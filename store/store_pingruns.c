/*
 * store_pingruns.c - pings with a run id: a start and the finish that
 * names the same id are one run of the job (Healthchecks' ?rid=).  The
 * id is the job's own (a UUID it made); the engine checks its form.
 */
#include "store/store_int.h"

#include <stdio.h>
#include <string.h>

#include "store/store_pingruns.h"

enum ab_err store_ping_run_start(store *st, const char *check, const char *rid,
                                 ab_time *started, int *finished, ab_errmsg *em)
{
    store_db_stmt *s;
    *started = AB_TIME_NONE;
    if (finished)
        *finished = 0;
    enum ab_err e = store_prepare(
        st, "SELECT (SELECT min(at) FROM pings WHERE check_name = ?1 AND rid = ?2 "
            "  AND kind = 'start'), "
            " EXISTS (SELECT 1 FROM pings WHERE check_name = ?1 AND rid = ?2 "
            "  AND kind <> 'start')",
        &s, em);
    if (e)
        return e;
    store_db_bind_text(s, 1, check);
    store_db_bind_text(s, 2, rid);
    if (store_step(st, s) == SDB_ROW) {
        *started = store_column_time(s, 0);
        if (finished)
            *finished = store_db_column_int(s, 1);
    } else {
        e = store_dberr(st, em, "ping run");
    }
    store_db_finalize(s);
    return e;
}

enum ab_err store_ping_run_unfinished(store *st, const char *check, ab_time before,
                                      char *rid, size_t len, ab_time *started,
                                      ab_errmsg *em)
{
    store_db_stmt *s;
    /* Asked at every ping's verdict: kept prepared. */
    static const char sql[] =
        "SELECT p.rid, p.at FROM pings p WHERE p.check_name = ?1 AND p.kind = 'start' "
        "AND p.rid IS NOT NULL AND p.at <= ?2 AND NOT EXISTS (SELECT 1 FROM pings f "
        "  WHERE f.check_name = ?1 AND f.rid = p.rid AND f.kind <> 'start') "
        "ORDER BY p.at DESC, p.id DESC LIMIT 1";
    enum ab_err e = store_prepare_cached(st, sql, &s, em);
    if (e)
        return e;
    store_db_bind_text(s, 1, check);
    store_bind_time(s, 2, before);
    int rc = store_step(st, s);
    if (rc == SDB_ROW) {
        const char *r = (const char *)store_db_column_text(s, 0);
        snprintf(rid, len, "%s", r ? r : "");
        *started = store_column_time(s, 1);
    } else if (rc == SDB_DONE) {
        e = AB_ENOTFOUND;
    } else {
        e = store_dberr(st, em, "unfinished ping runs");
    }
    store_release(st, s);
    return e;
}
