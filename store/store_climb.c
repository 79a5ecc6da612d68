/*
 * store_climb.c - has anyone taken an alert on: was it ever dismissed or
 * snoozed?  An escalation stops climbing once someone has (a snooze that
 * runs out brings the repeats back at its level, not the next one).
 */
#include "store/store_alerts.h"
#include "store/store_int.h"

enum ab_err store_alert_climb_stopped(store *st, int64_t id, int *yes, ab_errmsg *em)
{
    *yes = 0;
    store_db_stmt *s;
    enum ab_err e = store_prepare(st,
                                  "SELECT 1 FROM alert_events WHERE alert_id = ? AND "
                                  "event IN ('dismissed', 'snoozed') LIMIT 1",
                                  &s, em);
    if (e)
        return e;
    store_db_bind_int64(s, 1, id);
    int rc = store_step(st, s);
    if (rc == SDB_ROW)
        *yes = 1;
    else if (rc != SDB_DONE)
        e = store_dberr(st, em, "alert climb");
    store_db_finalize(s);
    return e;
}
