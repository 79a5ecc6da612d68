/*
 * eng_live.c - when the live read model (eng.h, eng_live_*) reads the
 * store again: what this thread wrote (eng_live_touch: that check and
 * the parts all checks share), everything after a poke from another
 * thread or when a cycle's deadline passes, and everything when the
 * store's change marker moved because another connection wrote.
 *
 * Why a pace for the last case only: a write of our own names the check
 * it touched, so catching up costs a handful of statements; an outside
 * write names nothing, so catching up is a full read, which with 10,000
 * checks takes a while.  Under a flood of outside writes (another node's
 * pings) a full read per request would leave no time for requests, so a
 * full read for outside writes waits until PACE times the last full
 * read's cost has passed since it.  With a few checks the cost is well
 * under a millisecond and the wait is nothing.
 */
#include "engine/eng_live_int.h"

#include <stdatomic.h>
#include <string.h>

#include "common/ab_mem.h"
#include "store/store_changes.h"

#define PACE 4          /* outside refreshes: at most 1/PACE of the time */
#define MAX_DIRTY 64    /* more touched checks than this: read everything */

struct eng_live {
    eng *e;
    eng_live_clock_fn clock;
    void *clock_ud;
    struct eng_live_view v;
    int built;
    int all;               /* touched with NULL, or a read failed */
    int shared;            /* eng_live_touch_shared */
    char *dirty[MAX_DIRTY];
    size_t ndirty;
    atomic_int poked;
    int have_marker;
    uint64_t marker;
    int outside;           /* the marker moved: a full read is owed */
    int64_t last_full_ms;  /* when the last full read ended */
    int64_t full_cost_ms;
    ab_time deadline;      /* the next cycle deadline after the last read */
    struct store_metric_counts counts;
    int have_counts;
    uint64_t counts_gen;
};

eng_live *eng_live_new(eng *e, eng_live_clock_fn mono_ms, void *ud)
{
    eng_live *l = ab_calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->e = e;
    l->clock = mono_ms;
    l->clock_ud = ud;
    l->deadline = AB_TIME_NONE;
    atomic_init(&l->poked, 0);
    return l;
}

static void clear_dirty(eng_live *l)
{
    for (size_t i = 0; i < l->ndirty; i++)
        ab_free(l->dirty[i]);
    l->ndirty = 0;
}

void eng_live_free(eng_live *l)
{
    if (!l)
        return;
    eng_live_view_clear(&l->v);
    clear_dirty(l);
    if (l->have_counts)
        store_metric_counts_free(&l->counts);
    ab_free(l);
}

void eng_live_touch(eng_live *l, const char *check)
{
    if (!l)
        return;
    if (!check || l->ndirty == MAX_DIRTY) {
        l->all = 1;
        return;
    }
    for (size_t i = 0; i < l->ndirty; i++)
        if (strcmp(l->dirty[i], check) == 0)
            return;
    if (!(l->dirty[l->ndirty] = ab_strdup(check)))
        l->all = 1;
    else
        l->ndirty++;
}

void eng_live_touch_shared(eng_live *l)
{
    if (l)
        l->shared = 1;
}

void eng_live_poke(eng_live *l)
{
    if (l)
        atomic_store(&l->poked, 1);
}

static int64_t mono(eng_live *l)
{
    return l->clock ? l->clock(l->clock_ud) : 0;
}

static void read_all(eng_live *l, ab_time now)
{
    int64_t t0 = mono(l);
    struct eng_live_view nv = {0};
    enum ab_err err = eng_live_read_all(l->e, now, &nv);
    nv.gen = l->v.gen + 1;
    eng_live_view_clear(&l->v);
    l->v = nv;
    l->built = 1;
    l->all = err != AB_OK; /* out of memory: try again next time */
    l->outside = 0;
    l->shared = 0;
    clear_dirty(l);
    l->deadline = eng_live_next_deadline(&l->v, now);
    l->last_full_ms = mono(l);
    l->full_cost_ms = l->last_full_ms - t0;
}

/* The checks this thread touched, and what every check shares. */
static void read_touched(eng_live *l, ab_time now)
{
    int heartbeat = 0;
    enum ab_err err = AB_OK;
    for (size_t i = 0; i < l->ndirty && !err; i++) {
        const struct eng_live_check *x = eng_live_find(&l->v, l->dirty[i]);
        if (!x)
            continue; /* not a check of this config (a report for a gone one) */
        heartbeat |= x->k->kind == CFG_HEARTBEAT;
        err = eng_live_read_check(l->e, now, &l->v, (size_t)(x - l->v.checks));
    }
    if (!err)
        err = eng_live_read_shared(l->e, now, &l->v);
    if (!err && heartbeat)
        err = eng_live_read_recent(l->e, now, &l->v);
    clear_dirty(l);
    l->shared = 0;
    l->all = err != AB_OK;
    l->v.at = now;
    l->v.gen++;
    l->deadline = eng_live_next_deadline(&l->v, now);
}

/* Has another connection written since we last asked? */
static void ask_marker(eng_live *l)
{
    uint64_t m;
    if (store_change_marker(eng_state(l->e), &m, NULL) != AB_OK) {
        l->outside = 1; /* cannot tell: assume it did */
        return;
    }
    if (l->have_marker && m != l->marker)
        l->outside = 1;
    l->marker = m;
    l->have_marker = 1;
}

const struct eng_live_view *eng_live_get(eng_live *l, ab_time now)
{
    if (atomic_exchange(&l->poked, 0))
        l->all = 1;
    /* Asked before reading, so that a write landing during the read is
     * seen next time rather than lost. */
    ask_marker(l);
    int outside_due = l->outside && mono(l) - l->last_full_ms >= PACE * l->full_cost_ms;
    int deadline = l->deadline != AB_TIME_NONE && now >= l->deadline;
    if (!l->built || l->all || outside_due || deadline)
        read_all(l, now);
    else if (l->ndirty || l->shared)
        read_touched(l, now);
    return &l->v;
}

const struct store_metric_counts *eng_live_counts(eng_live *l)
{
    if (l->have_counts && l->counts_gen == l->v.gen)
        return &l->counts;
    if (l->have_counts)
        store_metric_counts_free(&l->counts);
    l->have_counts = 0;
    if (store_metric_counts(eng_state(l->e), &l->counts, NULL) != AB_OK) {
        store_metric_counts_free(&l->counts);
        return NULL;
    }
    l->have_counts = 1;
    l->counts_gen = l->v.gen;
    return &l->counts;
}
