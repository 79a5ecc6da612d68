/*
 * store_pingruns.h - pings that carry a run id (store/store_pingruns.c):
 * a job's start and its finish paired by the id it chose, as Healthchecks'
 * ?rid= does, so that overlapping runs are kept apart.
 */
#ifndef AB_STORE_PINGRUNS_H
#define AB_STORE_PINGRUNS_H

#include <stddef.h>

#include "common/ab_err.h"
#include "common/ab_time.h"
#include "store/store.h"
#include "store/store_pings.h"

/* store_ping_add with a run id (rid may be NULL: none). */
enum ab_err store_ping_add_rid(store *st, const char *check, ab_time at,
                               enum store_ping_kind kind, int exit_code, const char *via,
                               const char *detail, const char *rid,
                               ab_errmsg *em) AB_MUST_CHECK;

/* When the start of run rid was pinged (*started; AB_TIME_NONE when it was
 * never started), and whether it already has a finish (*finished may be
 * NULL). */
enum ab_err store_ping_run_start(store *st, const char *check, const char *rid,
                                 ab_time *started, int *finished,
                                 ab_errmsg *em) AB_MUST_CHECK;

/* The newest run started at or before `before` that has no finish with
 * its id: its id in rid (cut to len) and its start in *started; AB_ENOTFOUND
 * when every such run has finished. */
enum ab_err store_ping_run_unfinished(store *st, const char *check, ab_time before,
                                      char *rid, size_t len, ab_time *started,
                                      ab_errmsg *em) AB_MUST_CHECK;

#endif
