/*
 * store_web.h - the read-only summaries the status page and /metrics
 * show (store/store_webq.c): the inbox over every mailbox, and open
 * alerts by priority.
 */
#ifndef AB_STORE_WEB_H
#define AB_STORE_WEB_H

#include <stdint.h>

#include "common/ab_err.h"
#include "common/ab_time.h"
#include "store/store.h"

/* The inbox over every mailbox read so far (for metrics and the status
 * page): how many, the newest successful read and attempt (AB_TIME_NONE
 * if never), and the newest error (NULL if none; the caller ab_free's it). */
struct store_webq_inbox {
    int mailboxes;
    ab_time last_ok;
    ab_time last_attempt;
    char *last_error;
};
enum ab_err store_webq_inbox(store *st, struct store_webq_inbox *out,
                             ab_errmsg *em) AB_MUST_CHECK;

/* Open alerts: all of them, and the active ones (not dismissed, or a
 * snooze that ended by now) in all and by priority (index 1-3; 4 holds 4
 * and lower priorities; 0 is unused). */
struct store_webq_alert_counts {
    int64_t open;
    int64_t active;
    int64_t by_priority[5];
};
enum ab_err store_webq_alert_counts(store *st, ab_time now,
                                    struct store_webq_alert_counts *out,
                                    ab_errmsg *em) AB_MUST_CHECK;

#endif
