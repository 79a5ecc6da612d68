/*
 * eng_statewatch.c - is the state database reachable, and since when not
 * (issue 16)?  For /healthz, the status page's banner, the self-watch's
 * ping and the daemon's log.
 *
 * On a PostgreSQL state the server may restart or fail over under a
 * running node.  store_pg.c then fails every statement and reconnects
 * with backoff; each tick stops at its first statement and the next one
 * tries again, so the daemon resumes by itself.  What was missing is the
 * node telling anyone: the web serves its pages from memory (the live
 * read model), and a load balancer asking /healthz would keep sending
 * pings to a node that cannot store them.  So the state is probed (one
 * SELECT 1, store_reachable) at most once per second of now, and the
 * outage is remembered with its start, for all of them to show.
 */
#include "engine/eng_int.h"

#include <stdio.h>
#include <string.h>

#include "common/ab_log.h"

int eng_state_reachable(eng *e, ab_time now, char *why, size_t len)
{
    if (!e->state_asked || e->state_at != now) {
        ab_errmsg em = {{0}};
        if (store_reachable(e->st, &em) == AB_OK) {
            e->state_down = 0;
            e->state_why[0] = '\0';
        } else {
            if (!e->state_down)
                e->state_down = now;
            snprintf(e->state_why, sizeof e->state_why, "%s",
                     em.text[0] ? em.text : "the state database cannot be read");
        }
        e->state_asked = 1;
        e->state_at = now;
    }
    if (why && len)
        snprintf(why, len, "%s", e->state_why);
    return e->state_down == 0;
}

ab_time eng_state_down_since(eng *e)
{
    return e && e->state_asked && e->state_down ? e->state_down : AB_TIME_NONE;
}

void eng_state_watch(eng *e, ab_time now)
{
    ab_time was = e->state_down;
    if (eng_state_reachable(e, now, NULL, 0)) {
        if (e->state_logged) {
            char d[AB_HUMAN_LEN];
            ab_log(AB_LOG_INFO,
                   "state: the state database is reachable again after %s; ticks resume",
                   ab_duration_human(now - was, d, sizeof d));
        }
        e->state_logged = 0;
        return;
    }
    if (e->state_logged)
        return;
    char when[AB_HUMAN_LEN];
    ab_time_human_short(e->state_down, cfg_global(e->c)->timezone, when, sizeof when);
    ab_log(AB_LOG_ERROR,
           "state: the state database is unreachable since %s (%s); each tick "
           "retries until it is back",
           when, e->state_why);
    e->state_logged = 1;
}
