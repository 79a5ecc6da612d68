/*
 * store_runs.h - runs and their per-item results (store/store_runs.c):
 * what each execution of a check produced, as seed 001 names it.
 *
 * The statuses and struct ab_result are common/ab_status.h's (checks
 * produce them without knowing the store).
 */
#ifndef AB_STORE_RUNS_H
#define AB_STORE_RUNS_H

#include <stddef.h>
#include <stdint.h>

#include "common/ab_err.h"
#include "common/ab_status.h"
#include "common/ab_time.h"
#include "store/store.h"

/* Start a run (status Pending).  type is "Information" or "Action";
 * trigger is "schedule", "manual", "report" or "cache". */
enum ab_err store_run_begin(store *st, const char *check, const char *type,
                            const char *trigger, ab_time started,
                            int64_t *run_id, ab_errmsg *em) AB_MUST_CHECK;
/* Store the results and mark the run Complete, in one transaction. */
enum ab_err store_run_complete(store *st, int64_t run_id, int64_t execution_ms,
                               int from_cache, const struct ab_result *res,
                               size_t nres, const char *remedy_note,
                               ab_errmsg *em) AB_MUST_CHECK;

/* A past run with its results; free with store_run_free. */
struct store_run {
    int64_t id;
    char *check;
    char *type;
    char *trigger;
    int complete;
    ab_time started;
    int64_t execution_ms;
    int from_cache;
    char *remedy_note;
    struct ab_result *results; /* strings owned by the run */
    size_t nresults;
};
void store_run_free(struct store_run *r);
/* The newest Complete run of check, or AB_ENOTFOUND. */
enum ab_err store_run_last(store *st, const char *check, struct store_run **out,
                           ab_errmsg *em) AB_MUST_CHECK;
/* The newest Complete run that really executed (not from the cache). */
enum ab_err store_run_last_fresh(store *st, const char *check,
                                 struct store_run **out, ab_errmsg *em) AB_MUST_CHECK;
/* Up to limit runs, newest first; caller frees each and the array (ab_free). */
enum ab_err store_run_history(store *st, const char *check, size_t limit,
                              struct store_run ***out, size_t *n,
                              ab_errmsg *em) AB_MUST_CHECK;

#endif
