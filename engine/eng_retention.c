/*
 * eng_retention.c - once a day, forget history older than <state keep=...>
 * and mail and channel deliveries older than <state keep-mail=...>
 * (store/store_retention.c says what is never deleted; queued mail and
 * deliveries stay), claims on work two days after their lease ran out and
 * nodes not seen for a week (those two whatever keep= says: a claim is
 * written for every check run).  Bookkept like a check under the name
 * "~purge"; with several nodes the leader does it, and the day's claim
 * ("daily", "retention") is a second guard against two doing it at once.
 */
#include "engine/eng_int.h"

#include "common/ab_log.h"
#include "store/store_claims.h"
#include "store/store_retention.h"

/* A done claim is kept while a node with an older view may still ask for
 * the same work; two days is far beyond any lease. */
#define CLAIMS_KEPT (2 * 86400)
#define NODES_KEPT (7 * 86400)

/* What keep= and keep-mail= ask for. */
static enum ab_err purge_history(eng *e, ab_time now, ab_errmsg *em)
{
    const struct cfg_global *g = cfg_global(e->c);
    int64_t runs = 0, mail = 0, deliveries = 0;
    enum ab_err err = AB_OK;
    if (g->keep && (err = store_purge_history(e->st, now - g->keep, &runs, em)))
        return err;
    if (g->keep_mail && ((err = store_outbox_purge(e->st, now - g->keep_mail, &mail, em)) ||
                         (err = store_delivery_purge(e->st, now - g->keep_mail, &deliveries,
                                                     em))))
        return err;
    if (runs || mail || deliveries)
        ab_log(AB_LOG_INFO,
               "retention: %lld old runs, %lld old messages and %lld old deliveries deleted",
               (long long)runs, (long long)mail, (long long)deliveries);
    return AB_OK;
}

enum ab_err eng_retention(eng *e, ab_time now, ab_errmsg *em)
{
    struct store_sched_state ss;
    enum ab_err err = store_sched_get(e->st, "~purge", &ss, em);
    if (err && err != AB_ENOTFOUND)
        return err;
    int fresh = err == AB_ENOTFOUND;
    if (!fresh && ss.last_fire != AB_TIME_NONE && now - ss.last_fire < 86400)
        return AB_OK;
    int got = 0;
    if ((err = eng_daily_claim(e, "retention", now, now, &got, em)) || !got)
        return err;
    int64_t claims = 0, nodes = 0;
    if ((err = purge_history(e, now, em)) ||
        (err = store_claims_purge(e->st, now - CLAIMS_KEPT, &claims, em)) ||
        (err = store_nodes_purge(e->st, now - NODES_KEPT, &nodes, em)))
        return err;
    if (nodes)
        ab_log(AB_LOG_INFO, "retention: %lld node(s) not seen for a week forgotten",
               (long long)nodes);
    struct store_sched_state put = {.first_seen = fresh ? now : ss.first_seen,
                                    .last_fire = now, .next_due = now + 86400};
    if ((err = store_sched_put(e->st, "~purge", &put, em)))
        return err;
    return eng_daily_done(e, "retention", now, em);
}
