/*
 * store_checkstate.h - what the engine remembers about each check between
 * ticks (store/store_checkstate.c): the debounced status of each item
 * with its streaks and flips, and the schedule's bookkeeping (first
 * seen, last fire, next due).
 */
#ifndef AB_STORE_CHECKSTATE_H
#define AB_STORE_CHECKSTATE_H

#include <stddef.h>
#include <stdint.h>

#include "common/ab_err.h"
#include "common/ab_status.h"
#include "common/ab_time.h"
#include "store/store.h"

/* The engine's memory of one check item: debouncing and flapping. */
struct store_check_state {
    char *check;
    char *item;
    enum ab_status status; /* the status alerts are based on */
    ab_time since;            /* when status last changed */
    int bad_streak;           /* consecutive non-Healthy results */
    int good_streak;          /* consecutive Healthy results */
    char *flips;              /* space-separated ISO times of recent changes */
    int64_t last_run_id;
};
void store_check_state_free(struct store_check_state *s);
/* AB_ENOTFOUND when the item has no state yet. */
enum ab_err store_check_state_get(store *st, const char *check, const char *item,
                                  struct store_check_state **out,
                                  ab_errmsg *em) AB_MUST_CHECK;
enum ab_err store_check_state_put(store *st, const struct store_check_state *s,
                                  ab_errmsg *em) AB_MUST_CHECK;
/* All items of a check (or of every check when check is NULL). */
enum ab_err store_check_state_list(store *st, const char *check,
                                   struct store_check_state ***out, size_t *n,
                                   ab_errmsg *em) AB_MUST_CHECK;

/* The worst debounced status over a check's items, as an enum
 * ab_status; -1 when the check has no state yet (or on error). */
int store_check_worst(store *st, const char *check);

/* When a check was first seen and last fired, and when it is next due. */
struct store_sched_state {
    ab_time first_seen;
    ab_time last_fire; /* AB_TIME_NONE if never */
    ab_time next_due;  /* AB_TIME_NONE if unknown */
};
/* AB_ENOTFOUND if the check has never been seen. */
enum ab_err store_sched_get(store *st, const char *check,
                            struct store_sched_state *out, ab_errmsg *em) AB_MUST_CHECK;
enum ab_err store_sched_put(store *st, const char *check,
                            const struct store_sched_state *s, ab_errmsg *em) AB_MUST_CHECK;
/* The same, only if the check has no state yet: what another node wrote
 * first stands. */
enum ab_err store_sched_add(store *st, const char *check,
                            const struct store_sched_state *s, ab_errmsg *em) AB_MUST_CHECK;

/* Every check's bookkeeping at once, sorted by name (byte order, as
 * strcmp), for a tick over many checks.  Free with store_sched_rows_free. */
struct store_sched_row {
    char *check;
    struct store_sched_state state;
};
enum ab_err store_sched_all(store *st, struct store_sched_row **out, size_t *n,
                            ab_errmsg *em) AB_MUST_CHECK;
void store_sched_rows_free(struct store_sched_row *v, size_t n);
/* The row of check in what store_sched_all read, or NULL. */
const struct store_sched_row *store_sched_row_find(const struct store_sched_row *v, size_t n,
                                                   const char *check);

#endif
