/*
 * eng_run.c - executing one check and recording the run (seed 001's
 * HeartbeatRequest: Pending, then Complete with one result per item).
 *
 * The cache (seed 002's CacheDuration) reuses the last result while it
 * is younger than the check's cache window: the run is still recorded,
 * marked as coming from the cache, so history shows every tick.
 *
 * A run is three pieces (begin: the cache looked up and the run row
 * written; run: the check itself; finish: the results stored), so that a
 * tick can begin a group of runs in one transaction, run them with none
 * open, and finish them in another (eng_due_group.c); eng_execute is the
 * three in a row, for a run on its own.
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

void eng_exec_clear(struct eng_exec *x)
{
    chk_outcome_free(x->o);
    x->o = NULL;
}

enum ab_err eng_exec_begin(eng *e, const struct cfg_check *k, ab_time now,
                           const char *trigger, struct eng_exec *x, ab_errmsg *em)
{
    memset(x, 0, sizeof *x);
    x->k = k;
    if (k->cache > 0) {
        struct store_run *last = NULL;
        enum ab_err err = store_run_last_fresh(e->st, k->name, &last, em);
        if (err == AB_OK && now - last->started < k->cache && now >= last->started) {
            x->o = outcome_from_run(last);
            x->cached = 1;
        }
        store_run_free(last);
        if (err && err != AB_ENOTFOUND)
            return err;
        if (x->cached && !x->o)
            return ab_fail(em, AB_ENOMEM, "out of memory");
    }
    enum ab_err err = store_run_begin(e->st, k->name, k->type,
                                      x->cached ? "cache" : trigger, now, &x->run_id, em);
    if (err)
        eng_exec_clear(x);
    return err;
}

enum ab_err eng_exec_run(eng *e, struct eng_exec *x, ab_time now, ab_errmsg *em)
{
    /* A cached run already has its outcome. */
    return x->o ? AB_OK : chk_run(e->chk, x->k, now, &x->o, em);
}

enum ab_err eng_exec_finish(eng *e, struct eng_exec *x, ab_errmsg *em)
{
    const struct chk_outcome *o = x->o;
    enum ab_err err = store_run_complete(e->st, x->run_id, x->cached ? 0 : o->execution_ms,
                                         x->cached, o->results, o->nresults,
                                         o->remedy_note, em);
    if (err)
        return err;
    ab_log(AB_LOG_INFO, "check %s: %s%s (%lld ms)%s%s", x->k->name,
           ab_status_name(o->status), x->cached ? " from cache" : "",
           (long long)o->execution_ms,
           o->nresults == 1 && o->results[0].message ? ": " : "",
           o->nresults == 1 && o->results[0].message ? o->results[0].message : "");
    return AB_OK;
}

enum ab_err eng_execute(eng *e, const struct cfg_check *k, ab_time now,
                        const char *trigger, struct chk_outcome **out,
                        int64_t *run_id, int *cached, ab_errmsg *em)
{
    struct eng_exec x;
    *cached = 0;
    *out = NULL;
    enum ab_err err = eng_exec_begin(e, k, now, trigger, &x, em);
    if (err)
        return err;
    *run_id = x.run_id;
    *cached = x.cached;
    if (!(err = eng_exec_run(e, &x, now, em)) && !(err = eng_exec_finish(e, &x, em))) {
        *out = x.o;
        x.o = NULL;
    }
    eng_exec_clear(&x);
    return err;
}
