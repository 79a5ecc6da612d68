/*
 * eng_pinghung.c - has a ping run with a run id hung?  A start whose own
 * finish (the same rid) has not come within grace=, with no finish of any
 * run since its deadline, makes the check Failing: another run starting
 * and finishing meanwhile does not hide it (eng_pingrun.c records the
 * runs; eng_ping.c asks this before its own newest-start rule).
 */
#include "engine/eng_int.h"

#include <stdio.h>

#include "store/store_pingruns.h"

int eng_pingrun_hung(eng *e, const struct cfg_check *k, ab_time now, ab_time last_finish,
                     struct ab_result *r, char *msg, size_t len)
{
    char rid[64], t[AB_ISO_LEN], d[32];
    ab_time started;
    if (store_ping_run_unfinished(e->st, k->name, now - k->ping_grace, rid, sizeof rid,
                                  &started, NULL) != AB_OK)
        return 0;
    /* A finish after the run's deadline is newer news than the hang. */
    if (last_finish != AB_TIME_NONE && last_finish > started + k->ping_grace)
        return 0;
    if (now - started <= k->ping_grace)
        return 0;
    r->status = AB_FAILING;
    snprintf(msg, len, "run %.8s started at %s but did not finish within %s", rid,
             ab_time_format(started, t, sizeof t),
             ab_duration_format(k->ping_grace, d, sizeof d));
    return 1;
}
