/*
 * store_metrics.h - totals for /metrics' counters (store/store_metrics.c):
 * runs, pings, inbox messages and mail, never decreasing (what retention
 * purges is folded into meta first).
 */
#ifndef AB_STORE_METRICS_H
#define AB_STORE_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "common/ab_err.h"
#include "store/store.h"

struct store_count {
    char *name;  /* check, inbox class, or mail status */
    char *sub;   /* pings: the kind ("start", "success", "fail", "exit"); else NULL */
    int64_t n;
};
struct store_metric_counts {
    struct store_count *runs;   /* completed runs per check, by name */
    size_t nruns;
    struct store_count *pings;  /* pings per check and kind */
    size_t npings;
    struct store_count *inbox;  /* inbox messages per class */
    size_t ninbox;
    int64_t mail_sent, mail_failed; /* outgoing mail, per recipient */
};
/* Fill *out (free with store_metric_counts_free, also after an error). */
enum ab_err store_metric_counts(store *st, struct store_metric_counts *out,
                                ab_errmsg *em) AB_MUST_CHECK;
void store_metric_counts_free(struct store_metric_counts *c);

#endif
