/*
 * eng_view_nodes.c - the nodes on one state as `status`, the status page
 * and /api show them (issue 16): each node's name, when it was last seen,
 * in words and the site's zone, and what it holds (the leader's lease,
 * check runs claimed and not finished).
 *
 * Whether a node leads is read from the lease itself, not from what the
 * node last wrote of itself: a leader that died still says "leader" in
 * its row, and the page must not believe it once its lease ran out.
 */
#include "engine/eng_int.h"

#include <stdio.h>
#include <string.h>

#include "store/store_claims.h"

enum ab_err eng_view_nodes(eng *e, ab_time now, struct eng_nodes_view *out, ab_errmsg *em)
{
    memset(out, 0, sizeof *out);
    out->shared = store_is_url(cfg_global(e->c)->state_path);
    return store_nodes_list(e->st, now, &out->v, &out->n, em);
}

void eng_view_nodes_free(struct eng_nodes_view *v)
{
    if (!v)
        return;
    store_nodes_free(v->v, v->n);
    v->v = NULL;
    v->n = 0;
}

int eng_view_nodes_worth(const struct eng_nodes_view *v)
{
    return v->n > 1 || (v->shared && v->n > 0);
}

char *eng_node_seen_words(const cfg *c, const struct store_node *x, ab_time now, char *buf,
                          size_t len)
{
    char when[AB_HUMAN_LEN], ago[AB_HUMAN_LEN];
    if (x->last_seen == AB_TIME_NONE) {
        snprintf(buf, len, "never");
        return buf;
    }
    ab_time_human_short(x->last_seen, cfg_global(c)->timezone, when, sizeof when);
    int64_t d = now - x->last_seen;
    if (d <= 0)
        snprintf(buf, len, "just now (%s)", when);
    else
        snprintf(buf, len, "%s ago (%s)", ab_duration_human(d, ago, sizeof ago), when);
    return buf;
}

char *eng_node_holds_words(const struct store_node *x, char *buf, size_t len)
{
    char claims[64] = "";
    if (x->in_flight)
        snprintf(claims, sizeof claims, "%lld claim%s in flight", (long long)x->in_flight,
                 x->in_flight == 1 ? "" : "s");
    if (x->leader)
        snprintf(buf, len, "leader%s%s", claims[0] ? ", " : "", claims);
    else
        snprintf(buf, len, "%s", claims[0] ? claims : "nothing");
    return buf;
}

int eng_node_current(const cfg *c, const struct store_node *x, ab_time now)
{
    /* `ackbeat tick` from cron is a node per run (HOSTNAME:PID): those of
     * last week are history, not nodes anyone runs. */
    int64_t span = 10 * cfg_global(c)->tick;
    if (span < 600)
        span = 600;
    return x->last_seen != AB_TIME_NONE && now - x->last_seen <= span;
}
