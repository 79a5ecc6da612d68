/*
 * store_latest.h - every check's newest facts at once, for a read model
 * kept in memory (engine/eng_live*.c): each check's worst debounced
 * status and its newest complete run.  The same answers as
 * store_check_worst and store_run_last asked check by check, with each
 * statement prepared once for all checks instead of once per check
 * (with 10,000 checks that is most of the cost).
 */
#ifndef AB_STORE_LATEST_H
#define AB_STORE_LATEST_H

#include <stddef.h>

#include "common/ab_err.h"
#include "store/store_runs.h"

/* One check's worst debounced status over its items. */
struct store_worst {
    char *check;
    int status; /* enum ab_status */
};
/* Every check that has a debounced state, sorted by name in byte order
 * (strcmp).  Free with store_worst_free. */
enum ab_err store_worst_all(store *st, struct store_worst **out, size_t *n,
                            ab_errmsg *em) AB_MUST_CHECK;
void store_worst_free(struct store_worst *v, size_t n);

/* The newest complete run of each of checks[0..n-1] (with its results),
 * as store_run_last: out[i] is checks[i]'s, or NULL when it has none.
 * out has room for n; free each with store_run_free. */
enum ab_err store_run_last_each(store *st, const char *const *checks, size_t n,
                                struct store_run **out, ab_errmsg *em) AB_MUST_CHECK;

#endif
