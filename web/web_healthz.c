/*
 * web_healthz.c - GET /healthz: "ok" (200) while this node can do its
 * work, 503 with a short reason while its state database is unreachable
 * (issue 16: a PostgreSQL restarted or failing over under the node).
 *
 * A load balancer in front of several nodes asks this to decide where
 * pings and pages go; the pages themselves come from memory and would
 * look fine, so the answer must come from the state.  It probes the
 * web's own connection (eng_state_reachable: one SELECT 1 at most once
 * per second, so a balancer asking often costs the database nothing
 * more), and is back to 200 on the first probe after the database is.
 */
#include "web/web_int.h"

#include <stdio.h>

enum ab_err web_healthz(web *w, struct web_response *rs, ab_time now)
{
    char why[256], body[400];
    if (!w->e || eng_state_reachable(w->e, now, why, sizeof why)) {
        enum ab_err e = web_reply_text(rs, 200, "ok\n");
        rs->no_store = 1;
        return e;
    }
    snprintf(body, sizeof body, "state database unreachable: %s\n", why);
    enum ab_err e = web_reply_text(rs, 503, body);
    rs->no_store = 1;
    return e;
}
