/*
 * eng_run.c - executing one check and recording the run (seed 001's
 * HeartbeatRequest: Pending, then Complete with one result per item).
 *
 * The cache (seed 002's CacheDuration) reuses the last result while it
 * is younger than the check's cache window: the run is still recorded,
 * marked as coming from the cache, so history shows every tick.
 */
#include "engine/eng_int.h"

#include <string.h>

#include "common/ab_log.h"
#include "common/ab_mem.h"

/* Copy a stored run's results into a fresh outcome. */
static struct chk_outcome *outcome_from_run(const struct store_run *r)
{
    struct chk_outcome *o = ab_calloc(1, sizeof *o);
    if (!o)
        return NULL;
    o->results = ab_calloc(r->nresults ? r->nresults : 1, sizeof *o->results);
    if (!o->results) {
        ab_free(o);
        return NULL;
    }
    o->status = AB_HEALTHY;
    for (size_t i = 0; i < r->nresults; i++) {
        struct ab_result *d = &o->results[i];
        *d = r->results[i];
        d->item = ab_strdup(r->results[i].item);
        d->message = ab_strdup(r->results[i].message);
        d->perfdata = ab_strdup(r->results[i].perfdata);
        o->nresults++;
        if (d->status > o->status)
            o->status = d->status;
    }
    o->remedy_exit = -1;
    return o;
}

enum ab_err eng_execute(eng *e, const struct cfg_check *k, ab_time now,
                        const char *trigger, struct chk_outcome **out,
                        int64_t *run_id, int *cached, ab_errmsg *em)
{
    struct chk_outcome *o = NULL;
    enum ab_err err;
    *cached = 0;
    *out = NULL;

    if (k->cache > 0) {
        struct store_run *last = NULL;
        err = store_run_last_fresh(e->st, k->name, &last, em);
        if (err == AB_OK && now - last->started < k->cache &&
            now >= last->started) {
            o = outcome_from_run(last);
            *cached = 1;
        }
        store_run_free(last);
        if (err && err != AB_ENOTFOUND)
            return err;
        if (*cached && !o)
            return ab_fail(em, AB_ENOMEM, "out of memory");
    }

    if ((err = store_run_begin(e->st, k->name, k->type, *cached ? "cache" : trigger,
                               now, run_id, em)))
        goto out;
    if (!o) {
        if ((err = chk_run(e->chk, k, now, &o, em)))
            goto out;
    }
    err = store_run_complete(e->st, *run_id, *cached ? 0 : o->execution_ms, *cached,
                             o->results, o->nresults, o->remedy_note, em);
    if (err)
        goto out;
    ab_log(AB_LOG_INFO, "check %s: %s%s (%lld ms)%s%s", k->name,
           ab_status_name(o->status), *cached ? " from cache" : "",
           (long long)o->execution_ms,
           o->nresults == 1 && o->results[0].message ? ": " : "",
           o->nresults == 1 && o->results[0].message ? o->results[0].message : "");
    *out = o;
    o = NULL;
out:
    chk_outcome_free(o);
    return err;
}
