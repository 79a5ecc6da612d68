/*
 * store_webq.c - read-only queries for the web pages and metrics (web/).
 *
 * The metrics and the status page need the age of the last inbox read
 * over every mailbox and the open alerts counted by priority.  These
 * read the inbox_state and alerts tables and never write: the inbox and
 * engine code own those rows.  (Heartbeat cycles come from
 * store_cycle_list in store/store_cycles.c.)
 */
#include "store/store_int.h"

#include <string.h>

#include "common/ab_mem.h"
#include "store/store_web.h"

enum ab_err store_webq_inbox(store *st, struct store_webq_inbox *out, ab_errmsg *em)
{
    memset(out, 0, sizeof *out);
    out->last_ok = AB_TIME_NONE;
    out->last_attempt = AB_TIME_NONE;
    store_db_stmt *s;
    /* ISO UTC text compares as time, so MAX() is the newest instant. */
    enum ab_err e = store_prepare(
        st,
        "SELECT COUNT(*), MAX(last_ok), MAX(last_attempt), "
        "  (SELECT last_error FROM inbox_state WHERE last_error IS NOT NULL "
        "     ORDER BY last_attempt DESC LIMIT 1) FROM inbox_state",
        &s, em);
    if (e)
        return e;
    if (store_step(st, s) == SDB_ROW) {
        out->mailboxes = store_db_column_int(s, 0);
        out->last_ok = store_column_time(s, 1);
        out->last_attempt = store_column_time(s, 2);
        out->last_error = store_column_dup(s, 3);
    } else {
        e = store_dberr(st, em, "web inbox state");
    }
    store_db_finalize(s);
    return e;
}

enum ab_err store_webq_alert_counts(store *st, ab_time now,
                                    struct store_webq_alert_counts *out, ab_errmsg *em)
{
    memset(out, 0, sizeof *out);
    store_db_stmt *s;
    /* A snooze that ran out counts as active again, as the engine's
     * follow-up will treat it. */
    enum ab_err e = store_prepare(
        st,
        "SELECT CASE WHEN priority < 1 THEN 1 WHEN priority > 4 THEN 4 "
        "  ELSE priority END, COUNT(*), "
        "  SUM(CASE WHEN dismissed_at IS NULL OR "
        "      (dismissed_until IS NOT NULL AND dismissed_until <= ?) THEN 1 ELSE 0 END) "
        "FROM alerts WHERE resolved IS NULL GROUP BY 1",
        &s, em);
    if (e)
        return e;
    store_bind_time(s, 1, now);
    int rc;
    while ((rc = store_step(st, s)) == SDB_ROW) {
        int p = store_db_column_int(s, 0);
        int64_t n = store_db_column_int64(s, 1), act = store_db_column_int64(s, 2);
        out->open += n;
        out->active += act;
        if (p >= 1 && p <= 4)
            out->by_priority[p] += act;
    }
    if (rc != SDB_DONE)
        e = store_dberr(st, em, "web alert counts");
    store_db_finalize(s);
    return e;
}
