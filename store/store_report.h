/*
 * store_report.h - what the monthly report reads (store/store_report.c):
 * read-only looks at one window [from, to) of history.
 */
#ifndef AB_STORE_REPORT_H
#define AB_STORE_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "common/ab_err.h"
#include "common/ab_time.h"
#include "store/store.h"

/*
 * Read-only looks at one window [from, to) of history. */

/* An alert open at some time in the window (one outage of its check);
 * resolved is AB_TIME_NONE while it is still open. */
struct store_outage {
    char *check, *item, *status;
    ab_time opened, resolved;
};
void store_outages_free(struct store_outage *v, size_t n);
/* Alerts opened before to and not resolved by from, by check and opening
 * (names starting with '~' left out).  Free with store_outages_free. */
enum ab_err store_report_outages(store *st, ab_time from, ab_time to,
                                 struct store_outage **out, size_t *n,
                                 ab_errmsg *em) AB_MUST_CHECK;

/* One person asked by one heartbeat check in the window's cycles. */
struct store_answer_rate {
    char *check, *recipient;
    int64_t asked;     /* cycles (tokens) that asked them */
    int64_t confirmed; /* of those, with a verified acknowledgement */
    int64_t bounced;   /* of those, whose request bounced */
};
void store_answer_rates_free(struct store_answer_rate *v, size_t n);
/* Over the cycles opened in the window, by check and recipient. */
enum ab_err store_report_answer_rates(store *st, ab_time from, ab_time to,
                                      struct store_answer_rate **out, size_t *n,
                                      ab_errmsg *em) AB_MUST_CHECK;

/* Who bounced in the window: how often, when last, and the newest detail
 * as stored ("failed: kim@x.example: 550 5.1.1 ..."; may be NULL). */
struct store_report_bounce {
    char *recipient, *detail;
    int64_t count;
    ab_time last;
};
void store_report_bounces_free(struct store_report_bounce *v, size_t n);
enum ab_err store_report_bounces(store *st, ab_time from, ab_time to,
                                 struct store_report_bounce **out, size_t *n,
                                 ab_errmsg *em) AB_MUST_CHECK;

#endif
