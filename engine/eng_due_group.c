/*
 * eng_due_group.c - the tick's checks step: the due checks are run in
 * groups that commit together, not several times per check.
 *
 * Why: each commit is an fsync on SQLite, and on PostgreSQL a round trip,
 * a WAL flush and a turn at the writers' advisory lock that every node
 * shares.  A tick with 100,000 due checks committed about five times per
 * check (the claim, the run row, its results, the verdict, the fire
 * time) and spent most of two minutes waiting on the disk.  Now a group
 * of up to GROUP_MAX due checks costs two commits:
 *
 *   A. in the batch that already holds the bookkeeping of the checks that
 *      are not due: each check's due time, its claim and its run row
 *      (started) - one commit, before anything runs, so no lock is held
 *      while a check queries its source;
 *   B. no transaction: each check runs (cached ones are not run);
 *   C. one transaction: for each, its results, the log line, the verdict,
 *      the fire time and the claim done - one commit.
 *
 * Each check's writes in C are a savepoint of their own, and its verdict
 * another inside it: one check whose run or evaluation fails is logged
 * and counted and the others are kept, as when each committed alone.
 * Only the database failing stops the tick.  Phase B stops early once
 * the runs in it took GROUP_RUN_MS (by their execution_ms), or before a
 * check whose timeout is longer than what is left of that: what ran is
 * finished (C) before the rest of the group runs, so a slow check does
 * not hold back the alerts of the ones before it.
 *
 * Killed during B, the group's runs are left started and their claims
 * held until their leases end, as a kill in the middle of one run was.
 */
#include "engine/eng_int.h"

#include <stdlib.h>
#include <string.h>

#include "common/ab_log.h"
#include "common/ab_mem.h"
#include "store/store_claims.h"

#define GROUP_MAX 64
#define GROUP_RUN_MS 1000

/* One due check of the group. */
struct due_job {
    struct eng_exec x;
    struct store_sched_state later; /* its bookkeeping once the run is stored */
    ab_time due_at;                 /* the due time its claim is for */
    enum ab_err err;                /* the run's own failure (B), or AB_OK */
    ab_errmsg em;
};

/* The checks step's state from one check to the next. */
struct due_pass {
    /* The batch: one transaction for the bookkeeping of a run of checks
     * and the beginning of the group's runs; committed before any runs. */
    int batch;
    /* Every check's bookkeeping in one query, looked up in memory: a
     * query per check per tick was most of a quiet tick's cost. */
    struct store_sched_row *rows;
    size_t nrows;
    struct store_pause *pauses;
    size_t npauses;
    struct due_job *jobs; /* GROUP_MAX of them */
    size_t njobs;
    int64_t waits; /* the timeouts of the group's checks so far, summed */
};

int eng_runs_as_check(const struct cfg_check *k)
{
    /* Heartbeats and pings are driven by mail and reports, not runs. */
    return k->kind != CFG_HEARTBEAT && k->kind != CFG_PING;
}

/* The database itself failing: going on would do work whose results
 * cannot be kept, so this stops a tick wherever it is met. */
static int db_failed(enum ab_err err)
{
    return err == AB_ESTORE || err == AB_EBUSY;
}

static int paused_now(const struct store_pause *v, size_t n, const char *check)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(v[i].check, check))
            return 1;
    return 0;
}

/* The time a check is allowed to run: its timeout (0 for none: its
 * source's or the command's own limit, well within a tick). */
static int64_t run_wait(const struct cfg_check *k)
{
    return k->timeout > 0 ? k->timeout : 0;
}

/* A due check's run is claimed for its due time before it runs, so that
 * of several nodes ticking together one runs it.  The lease is a tick
 * plus the time until the check is through: it runs after the group's
 * checks before it, so their timeouts count as well as its own.  A slow
 * check is not run again by another node while its node lives, and a
 * node that died running it loses it within a tick of its turn's end.
 * (A check without a timeout counts as none, as when each check was
 * claimed alone: counting a tick for each would let a dead node hold a
 * group's last check for 64 ticks.) */
static ab_time claim_lease(const eng *e, const struct due_pass *p,
                           const struct cfg_check *k, ab_time now)
{
    /* Renewed while this node lives (eng_renew.c): short then, so that
     * a node killed mid-run loses it within a tick (and a few seconds)
     * however long its checks may take. */
    if (e->renewed)
        return now + ENG_RENEWED_LEASE(cfg_global(e->c)->tick);
    return now + cfg_global(e->c)->tick + p->waits + run_wait(k);
}

/* Does the next job wait for the ones run so far to be finished?  Once
 * they took GROUP_RUN_MS, or when its own timeout says it may take longer
 * than what is left of that: their alerts are not held back by a slow
 * check, nor lost if the node dies while it runs. */
static int finish_first(const struct due_job *next, int64_t ms)
{
    return ms > GROUP_RUN_MS || run_wait(next->x.k) * 1000 > GROUP_RUN_MS - ms;
}

/* Phase A for one check, inside the batch and in a savepoint of its own,
 * so that its failure takes back only its writes: is it due, and if so
 * claim it and begin its run as the group's next job. */
static enum ab_err take_check(eng *e, struct due_pass *p, const struct cfg_check *k,
                              ab_time now, struct eng_tick_stats *stats, ab_errmsg *em)
{
    int due = 0, held = 0, got = 0;
    struct due_job *j = &p->jobs[p->njobs];
    enum ab_err err = AB_OK;
    if (!p->batch && !(err = store_begin(e->st, em)))
        p->batch = 1;
    if (err || (err = store_begin(e->st, em)))
        return err;
    const struct store_sched_row *r = store_sched_row_find(p->rows, p->nrows, k->name);
    err = eng_due_known(e, k, now, r ? &r->state : NULL, &due, &held, &j->later,
                        &j->due_at, em);
    if (!err && held)
        stats->checks_held++;
    if (!err && due)
        err = store_claim_take(e->st, "check", k->name, j->due_at, e->node,
                               claim_lease(e, p, k, now), now, &got, em);
    /* Not got: another node runs it, or ran it (the bookkeeping read at the
     * step's start may predate its run): neither run nor book it. */
    if (!err && due && !got)
        stats->checks_elsewhere++;
    if (!err && due && got)
        err = eng_exec_begin(e, k, now, "schedule", &j->x, em);
    if (err) {
        store_rollback(e->st);
        return err;
    }
    if ((err = store_commit(e->st, em)))
        return err;
    if (due && got) {
        j->err = AB_OK;
        j->em.text[0] = '\0';
        p->waits += run_wait(k);
        p->njobs++;
    }
    return AB_OK;
}

/* Phase C for one job, in a savepoint: its results and verdict, then its
 * fire time taken and its claim done.  A failure of the run or of the
 * verdict is returned after the rest is kept (the run stored, the fire
 * time taken: a check that failed is not retried until its next). */
static enum ab_err finish_job(eng *e, struct due_job *j, ab_time now,
                              struct eng_tick_stats *stats, ab_errmsg *em)
{
    enum ab_err err = store_begin(e->st, em), verr = j->err;
    if (err)
        return err;
    /* First, in the same transaction as all the rest: is the claim still
     * this node's?  One whose lease lapsed (a node stalled past it) and
     * that another node took is theirs: this run is dropped, not booked
     * beside theirs. */
    int ours = 0;
    ab_errmsg sem = {{0}};
    if ((err = store_claim_done(e->st, "check", j->x.k->name, j->due_at, e->node, &ours,
                                &sem))) {
        store_rollback(e->st);
        return ab_fail(em, err, "%s", sem.text);
    }
    if (!ours) {
        store_rollback(e->st);
        stats->checks_elsewhere++;
        ab_log(AB_LOG_WARN, "check %s: another node took its claim while this node ran it; "
                            "this run is not kept", j->x.k->name);
        return AB_OK;
    }
    if (verr)
        (void)ab_fail(em, verr, "%s", j->em.text);
    if (!verr && !(verr = eng_exec_finish(e, &j->x, em))) {
        if (j->x.cached)
            stats->checks_cached++;
        else
            stats->checks_run++;
        /* The verdict's own savepoint: its failure takes back only it. */
        if (!(verr = store_begin(e->st, em))) {
            verr = eng_evaluate(e, j->x.k, j->x.o->results, j->x.o->nresults,
                                j->x.run_id, now, stats, em);
            if (verr)
                store_rollback(e->st);
            else
                verr = store_commit(e->st, em);
        }
    }
    if (db_failed(verr)) {
        store_rollback(e->st);
        return verr;
    }
    if ((err = store_sched_put(e->st, j->x.k->name, &j->later, &sem))) {
        store_rollback(e->st);
        return ab_fail(em, err, "%s", sem.text);
    }
    /* A failed commit has rolled back on its own. */
    if ((err = store_commit(e->st, &sem)))
        return ab_fail(em, err, "%s", sem.text);
    return verr;
}

/* Phases B and C for the group's jobs: run some, finish them, until all
 * are through.  Only the database failing is returned. */
static enum ab_err run_group(eng *e, struct due_pass *p, ab_time now,
                             struct eng_tick_stats *stats, ab_errmsg *em)
{
    size_t from = 0;
    enum ab_err err = AB_OK;
    while (from < p->njobs && !err) {
        size_t to = from;
        int64_t ms = 0;
        while (to < p->njobs && (to == from || !finish_first(&p->jobs[to], ms))) {
            struct due_job *j = &p->jobs[to++];
            j->err = eng_exec_run(e, &j->x, now, &j->em);
            if (!j->err && !j->x.cached)
                ms += j->x.o->execution_ms;
        }
        if ((err = store_begin(e->st, em)))
            break;
        for (size_t i = from; i < to && !err; i++) {
            ab_errmsg cem = {{0}};
            enum ab_err cerr = finish_job(e, &p->jobs[i], now, stats, &cem);
            if (db_failed(cerr)) {
                store_rollback(e->st);
                err = ab_fail(em, cerr, "%s", cem.text);
            } else if (cerr) {
                ab_log(AB_LOG_ERROR, "check %s: %s", p->jobs[i].x.k->name,
                       cem.text[0] ? cem.text : ab_strerror(cerr));
                stats->errors++;
            }
        }
        if (!err)
            err = store_commit(e->st, em);
        from = to;
    }
    for (size_t i = 0; i < p->njobs; i++)
        eng_exec_clear(&p->jobs[i].x);
    p->njobs = 0;
    p->waits = 0;
    return err;
}

/* The batch committed, then the group run and finished. */
static enum ab_err flush_group(eng *e, struct due_pass *p, ab_time now,
                               struct eng_tick_stats *stats, ab_errmsg *em)
{
    enum ab_err err = AB_OK;
    if (p->batch) {
        p->batch = 0;
        err = store_commit(e->st, em);
    }
    if (err) {
        for (size_t i = 0; i < p->njobs; i++)
            eng_exec_clear(&p->jobs[i].x);
        p->njobs = 0;
        p->waits = 0;
        return err;
    }
    return p->njobs ? run_group(e, p, now, stats, em) : AB_OK;
}

/* One check in phase A; a failure that is not the database's is logged
 * and counted here. */
static enum ab_err take_one(eng *e, struct due_pass *p, const struct cfg_check *k,
                            ab_time now, struct eng_tick_stats *stats, ab_errmsg *em)
{
    ab_errmsg cem = {{0}};
    enum ab_err cerr = take_check(e, p, k, now, stats, &cem);
    if (!cerr)
        return AB_OK;
    if (db_failed(cerr)) {
        if (p->batch)
            store_rollback(e->st);
        p->batch = 0;
        return ab_fail(em, cerr, "%s", cem.text);
    }
    ab_log(AB_LOG_ERROR, "check %s: %s", k->name, cem.text[0] ? cem.text : ab_strerror(cerr));
    stats->errors++;
    return AB_OK;
}

enum ab_err eng_step_checks(eng *e, ab_time now, struct eng_tick_stats *stats,
                            ab_errmsg *em)
{
    struct due_pass p = {0};
    p.jobs = ab_calloc(GROUP_MAX, sizeof *p.jobs);
    if (!p.jobs)
        return ab_fail(em, AB_ENOMEM, "out of memory");
    if (store_pause_list(e->st, now, &p.pauses, &p.npauses, NULL) != AB_OK)
        p.npauses = 0;
    enum ab_err err = store_sched_all(e->st, &p.rows, &p.nrows, em);
    for (size_t i = 0; i < cfg_check_count(e->c) && !err; i++) {
        const struct cfg_check *k = cfg_check_at(e->c, i);
        /* A paused check does not run (eng_silence.c). */
        if (!eng_runs_as_check(k) ||
            (p.npauses && paused_now(p.pauses, p.npauses, k->name)))
            continue;
        err = take_one(e, &p, k, now, stats, em);
        if (!err && p.njobs == GROUP_MAX)
            err = flush_group(e, &p, now, stats, em);
    }
    if (!err)
        err = flush_group(e, &p, now, stats, em);
    if (err && p.batch)
        store_rollback(e->st);
    for (size_t i = 0; i < p.njobs; i++)
        eng_exec_clear(&p.jobs[i].x);
    ab_free(p.jobs);
    store_sched_rows_free(p.rows, p.nrows);
    store_pauses_free(p.pauses, p.npauses);
    return err;
}
