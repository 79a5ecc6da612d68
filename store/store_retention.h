/*
 * store_retention.h - forgetting old history (store/store_retention.c).
 * The outbox and the deliveries purge their own rows
 * (store_outbox_purge, store_delivery_purge).
 */
#ifndef AB_STORE_RETENTION_H
#define AB_STORE_RETENTION_H

#include <stdint.h>

#include "common/ab_err.h"
#include "common/ab_time.h"
#include "store/store.h"

/*
 * Delete history older than `before`: complete runs and their results
 * (never a check's newest run), pings (never a check's newest start and
 * finish), and resolved alerts with their events and notices.  Open
 * alerts, queued mail and heartbeat cycles are never touched.  In one
 * transaction; *deleted (may be NULL) gets the number of runs deleted.
 */
enum ab_err store_purge_history(store *st, ab_time before, int64_t *deleted,
                                ab_errmsg *em) AB_MUST_CHECK;

#endif
