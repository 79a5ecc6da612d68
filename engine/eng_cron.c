/*
 * eng_cron.c - the engine's own times of day as schedules: the daily
 * digest (every day) and the monthly report (the 1st) each fire at an
 * HH:MM of the config's in the site's zone.  Its own file so that the
 * tick (eng.c) and the report (eng_report.c), which both use it, do not
 * call each other.
 */
#include "engine/eng_int.h"

#include <stdio.h>

/*
 * A cron rule firing at HH:MM ("at", checked by the config) in the site's
 * zone on the days dom says ("*" every day, "1" the 1st): the daily digest
 * and the monthly report are both one.
 */
enum ab_err eng_sched_at(const cfg *c, const char *at, const char *dom, sched **out,
                         ab_errmsg *em)
{
    *out = NULL;
    char cron[48];
    snprintf(cron, sizeof cron, "%d %d %s * *", (at[3] - '0') * 10 + (at[4] - '0'),
             (at[0] - '0') * 10 + (at[1] - '0'), dom);
    sched *s = sched_new();
    if (!s)
        return ab_fail(em, AB_ENOMEM, "out of memory");
    enum ab_err err;
    if ((err = sched_set_zone(s, cfg_global(c)->timezone, em)) ||
        (err = sched_set_cron(s, cron, em))) {
        sched_free(s);
        return err;
    }
    *out = s;
    return AB_OK;
}
