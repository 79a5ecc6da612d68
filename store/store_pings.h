/*
 * store_pings.h - pings from jobs that report in (store/store_pings.c):
 * by HTTP, by email or from the command line.
 */
#ifndef AB_STORE_PINGS_H
#define AB_STORE_PINGS_H

#include "common/ab_err.h"
#include "common/ab_time.h"
#include "store/store.h"

enum store_ping_kind {
    STORE_PING_START = 0,   /* the job started */
    STORE_PING_SUCCESS = 1, /* it finished well */
    STORE_PING_FAIL = 2,    /* it finished badly */
    STORE_PING_EXIT = 3,    /* it finished with an exit code */
};
const char *store_ping_kind_name(enum store_ping_kind k);
enum ab_err store_ping_add(store *st, const char *check, ab_time at,
                           enum store_ping_kind kind, int exit_code,
                           const char *via, const char *detail,
                           ab_errmsg *em) AB_MUST_CHECK;
/* n pings of one check that say the same (kind, exit code, via, detail;
 * no run id), at the times at[0..n), in as few statements as may be: a
 * burst of one job's pings costs a round trip to PostgreSQL per hundred
 * pings, not per ping. */
enum ab_err store_pings_add_many(store *st, const char *check, const ab_time *at,
                                 size_t n, enum store_ping_kind kind, int exit_code,
                                 const char *via, const char *detail,
                                 ab_errmsg *em) AB_MUST_CHECK;
/* The newest start and the newest finish (success, fail or exit) of a
 * check; AB_TIME_NONE when there is none.  *finish_ok tells whether the
 * newest finish was good (success, or exit 0). */
struct store_ping_summary {
    ab_time last_start;
    ab_time last_finish;
    int finish_ok;
    int exit_code;     /* of the newest finish, -1 if not an exit ping */
    char via[16];      /* "http", "email", "cli" */
    char detail[256];  /* the newest finish's message (cut), "" if none */
    ab_time first_seen; /* the check's in check_schedule; AB_TIME_NONE: none yet */
    int has_rid_start;  /* some start ping carries a run id (eng_pinghung.c) */
    /* The newest Complete run: when it started (AB_TIME_NONE: the check
     * has none) and its first result's status (-1 when it has none). */
    ab_time run_started;
    int run_status;
    /* The debounced state of the check's item "": status -1 when it has
     * none yet. */
    int state_status;
    int bad_streak, good_streak;
};
enum ab_err store_ping_summary(store *st, const char *check,
                               struct store_ping_summary *out,
                               ab_errmsg *em) AB_MUST_CHECK;

#endif
