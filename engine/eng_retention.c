/*
 * eng_retention.c - once a day, forget history older than <state keep=...>
 * and mail and channel deliveries older than <state keep-mail=...>
 * (store/store_retention.c says what is never deleted; queued mail and
 * deliveries stay).  Bookkept like a check under the name "~purge".
 */
#include "engine/eng_int.h"

#include "common/ab_log.h"
#include "store/store_retention.h"

enum ab_err eng_retention(eng *e, ab_time now, ab_errmsg *em)
{
    const struct cfg_global *g = cfg_global(e->c);
    if (!g->keep && !g->keep_mail)
        return AB_OK;
    struct store_sched_state ss;
    enum ab_err err = store_sched_get(e->st, "~purge", &ss, em);
    if (err && err != AB_ENOTFOUND)
        return err;
    int fresh = err == AB_ENOTFOUND;
    if (!fresh && ss.last_fire != AB_TIME_NONE && now - ss.last_fire < 86400)
        return AB_OK;
    int64_t runs = 0, mail = 0, deliveries = 0;
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
    struct store_sched_state put = {.first_seen = fresh ? now : ss.first_seen,
                                    .last_fire = now, .next_due = now + 86400};
    return store_sched_put(e->st, "~purge", &put, em);
}
