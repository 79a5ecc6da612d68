/*
 * eng_pingbatch.c - group commit of pings (issue 17): the web server
 * hands over the pings that arrived together, and they are written in
 * one transaction, so a burst of pings costs one fsync, not one each;
 * the web holds every answer until eng_ping_batch has committed.
 *
 * Inside, a run of consecutive pings of one check that say the same
 * thing (kind, exit code, body; no run id) is the unit: a run that fails
 * is undone alone and answered so, the others stay in the batch.  That
 * takes a savepoint a run, and a savepoint is two round trips to
 * PostgreSQL, so the batch is first tried without any (eng_ping_batch),
 * and written run by run only when a part of it failed.
 *
 * Every ping is stored.  Judging is what costs (a ping's verdict is a
 * run, its results, the check's state and alert), and in such a run the
 * verdicts repeat: so each ping is judged until the check's debounced
 * state is settled on what they say (the status reached, its streak past
 * confirm= or recover=, where one more of the same changes nothing an
 * alert depends on), and then only the run's last ping is, so that the
 * check's last run names the newest report.  The pings in between are
 * in the ping history, not each a run of its own.
 */
#include "engine/eng_int.h"

#include <string.h>

#include "common/ab_log.h"
#include "common/ab_mem.h"

uint64_t eng_mail_queued(const eng *e)
{
    return e->mail_queued;
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
 * and judged at the last.  A verdict is a function of the stored pings
 * and the second it is drawn at, and these say the same: so the last is
 * not judged again when it is of the second of the one judged before and
 * that verdict recorded nothing, and a run all of one second is stored
 * at once and judged once (on PostgreSQL a burst then costs four round
 * trips: begin, the pings, the verdict's one read, commit). */
static enum ab_err write_run(eng *e, const struct eng_ping_in *v, size_t n, ab_errmsg *em)
{
    if (v[0].rid)
        return eng_ping_rid(e, v[0].check, v[0].kind, v[0].exit_code, v[0].via,
                            v[0].detail, v[0].rid, v[0].at, em);
    const struct cfg_check *k;
    enum ab_err err = AB_OK;
    if (n > 1 && v[n - 1].at == v[0].at) {
        /* All of one second (a burst): one at a time, the first verdict
         * is drawn and each after it, at the same second from the same
         * pings (but for their ids), repeats it and records nothing.  So
         * all are stored at once and judged once. */
        if ((err = store_many(e, v, n, &k, em)))
            return err;
        return eng_ping_judge(e, k, v[0].at, NULL, NULL, em);
    }
    int calm = 0, recorded = 0;
    size_t i = 0;
    for (; i < n && !calm && !err; i++)
        if (!(err = eng_ping_store(e, v[i].check, v[i].kind, v[i].exit_code, v[i].via,
                                   v[i].detail, v[i].at, &k, em)))
            err = eng_ping_judge(e, k, v[i].at, i + 1 < n ? &calm : NULL, &recorded, em);
    if (err || i == n)
        return err;
    if ((err = store_many(e, v + i, n - i, &k, em)))
        return err;
    if (!recorded && v[n - 1].at == v[i - 1].at)
        return AB_OK;
    return eng_ping_judge(e, k, v[n - 1].at, NULL, NULL, em);
}

/* The end of the run of pings that starts at v[i]. */
static size_t run_end(const struct eng_ping_in *v, size_t n, size_t i)
{
    size_t j = i + 1;
    while (j < n && same_say(&v[i], &v[j]))
        j++;
    return j;
}

static void run_failed(struct eng_ping_in *v, size_t n, enum ab_err err, const ab_errmsg *em)
{
    ab_log(AB_LOG_ERROR, "ping %s: %s", v[0].check, em->text);
    for (size_t m = 0; m < n; m++)
        v[m].err = err;
}

/* Each run in a savepoint of its own, inside one transaction: a run that
 * fails is undone alone and answered so. */
static enum ab_err write_apart(eng *e, struct eng_ping_in *v, size_t n, ab_errmsg *em)
{
    enum ab_err err = store_begin(e->st, em);
    if (err)
        return err;
    for (size_t i = 0; i < n;) {
        size_t j = run_end(v, n, i);
        ab_errmsg rem = {{0}};
        enum ab_err rerr = store_begin(e->st, &rem);
        if (!rerr && (rerr = write_run(e, v + i, j - i, &rem)))
            store_rollback(e->st);
        else if (!rerr)
            rerr = store_commit(e->st, &rem);
        if (rerr)
            run_failed(v + i, j - i, rerr, &rem);
        else
            for (size_t m = i; m < j; m++)
                v[m].err = AB_OK;
        i = j;
    }
    return store_commit(e->st, em);
}

enum ab_err eng_ping_batch(eng *e, struct eng_ping_in *v, size_t n, ab_errmsg *em)
{
    /* First the whole batch as one flat transaction, its nested levels
     * not savepoints (store_begin_flat): on PostgreSQL two round trips
     * fewer for each run of pings and four for each verdict recorded,
     * of a dozen.  Nearly every batch goes through so.  When a part of
     * it fails (a ping refused, a statement failing, a claim lost to
     * another node), it is undone whole and written again run by run,
     * each in a savepoint, so that only what failed is lost; what the
     * first try did outside the store is only counting (mail_queued
     * counts up, waking the sender once for nothing). */
    enum ab_err err = store_begin_flat(e->st, em);
    if (err)
        return err;
    enum ab_err rerr = AB_OK;
    for (size_t i = 0; i < n && !rerr;) {
        size_t j = run_end(v, n, i);
        ab_errmsg rem = {{0}};
        rerr = write_run(e, v + i, j - i, &rem);
        i = j;
    }
    if (!rerr && !store_doomed(e->st)) {
        for (size_t m = 0; m < n; m++)
            v[m].err = AB_OK;
        return store_commit(e->st, em); /* rolls back itself when COMMIT fails */
    }
    store_rollback(e->st);
    return write_apart(e, v, n, em);
}
