/*
 * eng_pingbatch.c - group commit of pings (issue 17): the web server
 * hands over the pings that arrived together, and they are written in
 * one transaction (eng_batch_begin .. eng_batch_commit), so a burst of
 * pings costs one fsync, not one each; the web holds every answer until
 * eng_batch_commit has returned.
 *
 * Inside, each run of consecutive pings of one check that say the same
 * thing (kind, exit code, body; no run id) is one savepoint: a run that
 * fails is rolled back alone and answered so, the others stay in the
 * batch.  Every ping is stored.  Judging is what costs (a ping's verdict
 * is a run, its results, the check's state and alert), and in such a run
 * the verdicts repeat: so each ping is judged until the check's
 * debounced state is settled on what they say (the status reached, its
 * streak past confirm= or recover=, where one more of the same changes
 * nothing an alert depends on), and then only the run's last ping is,
 * so that the check's last run names the newest report.  The pings in
 * between are in the ping history, not each a run of its own.
 */
#include "engine/eng_int.h"

#include <string.h>

#include "common/ab_log.h"
#include "common/ab_mem.h"

enum ab_err eng_batch_begin(eng *e, ab_errmsg *em)
{
    return store_begin(e->st, em);
}

enum ab_err eng_batch_commit(eng *e, ab_errmsg *em)
{
    /* store_commit rolls the whole batch back itself when COMMIT fails. */
    return store_commit(e->st, em);
}

uint64_t eng_mail_queued(const eng *e)
{
    return e->mail_queued;
}

void eng_batch_rollback(eng *e)
{
    store_rollback(e->st);
}

static const char *or_empty(const char *s)
{
    return s ? s : "";
}

/* Do a and b say the same, so that b's verdict repeats a's? */
static int same_say(const struct eng_ping_in *a, const struct eng_ping_in *b)
{
    return !a->rid && !b->rid && strcmp(a->check, b->check) == 0 && a->kind == b->kind &&
           (a->kind != STORE_PING_EXIT || a->exit_code == b->exit_code) &&
           strcmp(or_empty(a->via), or_empty(b->via)) == 0 &&
           strcmp(or_empty(a->detail), or_empty(b->detail)) == 0;
}

/* Is k's debounced state settled on said: one more such verdict would
 * only lengthen a streak already past its threshold? */
static int settled(eng *e, const struct cfg_check *k, int said)
{
    struct store_check_state *cs = NULL;
    if (said < 0 || store_check_state_get(e->st, k->name, "", &cs, NULL) != AB_OK)
        return 0;
    int ok = (int)cs->status == said &&
             (said == AB_HEALTHY ? cs->good_streak >= k->recover
                                 : cs->bad_streak >= k->confirm);
    store_check_state_free(cs);
    return ok;
}

/* Store v[0..n), all saying the same, at once (the web's burst of one
 * job's pings); *k their check. */
static enum ab_err store_many(eng *e, const struct eng_ping_in *v, size_t n,
                              const struct cfg_check **k, ab_errmsg *em)
{
    enum ab_err err = eng_ping_target(e, v[0].check, v[0].kind, v[0].exit_code, k, em);
    if (err)
        return err;
    ab_time *at = ab_calloc(n, sizeof *at);
    if (!at)
        return ab_fail(em, AB_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        at[i] = v[i].at;
    err = store_pings_add_many(e->st, (*k)->name, at, n, v[0].kind, v[0].exit_code,
                               v[0].via, v[0].detail, em);
    ab_free(at);
    if (!err)
        ab_log(AB_LOG_INFO, "ping %s: %zu x %s via %s", (*k)->name, n,
               store_ping_kind_name(v[0].kind), v[0].via ? v[0].via : "http");
    return err;
}

/* Pings v[0..n), all saying the same, in one savepoint: each stored and
 * judged until the check is settled on them, the rest stored together
 * and judged at the last. */
static enum ab_err write_run(eng *e, const struct eng_ping_in *v, size_t n, ab_errmsg *em)
{
    if (v[0].rid)
        return eng_ping_rid(e, v[0].check, v[0].kind, v[0].exit_code, v[0].via,
                            v[0].detail, v[0].rid, v[0].at, em);
    const struct cfg_check *k;
    enum ab_err err = AB_OK;
    int calm = 0, said;
    size_t i = 0;
    for (; i < n && !calm && !err; i++)
        if (!(err = eng_ping_store(e, v[i].check, v[i].kind, v[i].exit_code, v[i].via,
                                   v[i].detail, v[i].at, &k, em)) &&
            !(err = eng_ping_judge(e, k, v[i].at, &said, em)))
            calm = settled(e, k, said);
    if (err || i == n)
        return err;
    if ((err = store_many(e, v + i, n - i, &k, em)))
        return err;
    return eng_ping_judge(e, k, v[n - 1].at, NULL, em);
}

void eng_ping_batch(eng *e, struct eng_ping_in *v, size_t n)
{
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && same_say(&v[i], &v[j]))
            j++;
        ab_errmsg em = {{0}};
        enum ab_err err = store_begin(e->st, &em);
        if (!err && (err = write_run(e, v + i, j - i, &em)))
            store_rollback(e->st);
        else if (!err)
            err = store_commit(e->st, &em);
        if (err)
            ab_log(AB_LOG_ERROR, "ping %s: %s", v[i].check, em.text);
        for (size_t m = i; m < j; m++)
            v[m].err = err;
        i = j;
    }
}
