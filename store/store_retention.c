/*
 * store_retention.c - forgetting old history on purpose.
 *
 * Without it the runs table grows for ever (about 100 MB a year for
 * 1,000 checks).  What is deleted is history only: a check's newest run
 * and newest pings (which status, the cache and the dead man's switch
 * read) stay, and so does everything still open or queued.
 */
#include "store/store_int.h"
#include "store/store_retention.h"

enum ab_err store_purge_history(store *st, ab_time before, int64_t *deleted,
                                ab_errmsg *em)
{
    static const char *const steps[] = {
        "DELETE FROM results WHERE run_id IN (SELECT id FROM runs r WHERE "
        "  r.started < ?1 AND r.status = 'Complete' AND r.id <> (SELECT max(id) "
        "  FROM runs n WHERE n.check_name = r.check_name AND n.status = 'Complete'))",
        "DELETE FROM runs WHERE started < ?1 AND status = 'Complete' AND id <> "
        "  (SELECT max(id) FROM runs n WHERE n.check_name = runs.check_name "
        "   AND n.status = 'Complete')",
        "DELETE FROM pings WHERE at < ?1 AND id NOT IN (SELECT max(id) FROM pings "
        "  GROUP BY check_name, kind = 'start')",
        "DELETE FROM notices WHERE alert_id IN (SELECT id FROM alerts WHERE "
        "  resolved IS NOT NULL AND resolved < ?1)",
        "DELETE FROM alert_events WHERE alert_id IN (SELECT id FROM alerts WHERE "
        "  resolved IS NOT NULL AND resolved < ?1)",
        "DELETE FROM alerts WHERE resolved IS NOT NULL AND resolved < ?1",
    };
    enum ab_err e = store_begin(st, em);
    if (e)
        return e;
    /* /metrics' counters must not drop with the history they count. */
    if ((e = store_metric_fold_runs(st, before, em)) ||
        (e = store_metric_fold_pings(st, before, em)))
        goto fail;
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        store_db_stmt *s;
        if ((e = store_prepare(st, steps[i], &s, em)))
            goto fail;
        store_bind_time(s, 1, before);
        int rc = store_step(st, s);
        if (i == 1 && deleted)
            *deleted = store_db_changes(st);
        store_db_finalize(s);
        if (rc != SDB_DONE) {
            e = store_dberr(st, em, "purge");
            goto fail;
        }
    }
    return store_commit(st, em);
fail:
    store_rollback(st);
    return e;
}
