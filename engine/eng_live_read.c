/*
 * eng_live_read.c - reading the live read model's parts from the store:
 * every check's status, newest run, schedule and heartbeat cycles, and
 * what all checks share (open alerts, silences, pauses, the outbox, the
 * inbox).  eng_live.c decides when.
 *
 * A full read asks each statement once for all checks (store_latest.h,
 * store_sched_all) and the shared parts once, not once per check as
 * eng_view_check does (it reads the silences and the pauses for every
 * check): with 10,000 checks that is the difference between a refresh
 * and a request that times out.  What a check shows is the same as
 * eng_view_check's (tests/unit/test_engine_live.c holds them together).
 */
#include "engine/eng_live_int.h"

#include <string.h>

#include "common/ab_mem.h"
#include "store/store_latest.h"

static void cycle_clear(struct eng_live_cycle *lc)
{
    if (!lc)
        return;
    store_cycle_free(lc->c);
    ab_free(lc->words);
    memset(lc, 0, sizeof *lc);
}

/* Take c into lc with each person's words as of now. */
static enum ab_err cycle_take(eng *e, struct store_cycle *c, ab_time now,
                              struct eng_live_cycle *lc)
{
    lc->c = c;
    lc->words = ab_calloc(c->nrcpts ? c->nrcpts : 1, sizeof *lc->words);
    if (!lc->words)
        return AB_ENOMEM;
    for (size_t i = 0; i < c->nrcpts; i++)
        eng_rcpt_words(e->c, e->st, c, &c->rcpts[i], now, &lc->words[i]);
    return AB_OK;
}

static void check_clear(struct eng_live_check *x)
{
    store_run_free(x->last);
    if (x->cycle)
        cycle_clear(x->cycle);
    ab_free(x->cycle);
    store_cycle_free(x->open);
    const struct cfg_check *k = x->k;
    memset(x, 0, sizeof *x);
    x->k = k;
    x->status = -1;
    x->next_run = AB_TIME_NONE;
}

/* A heartbeat's newest cycle (with words) and newest open cycle. */
static enum ab_err read_cycles(eng *e, ab_time now, struct eng_live_check *x)
{
    struct store_cycle **v = NULL;
    size_t n = 0;
    enum ab_err err = AB_OK;
    if (store_cycle_list(e->st, x->k->name, 0, 1, &v, &n, NULL) == AB_OK && n) {
        if (!(x->cycle = ab_calloc(1, sizeof *x->cycle)))
            err = AB_ENOMEM;
        else if ((err = cycle_take(e, v[0], now, x->cycle)) == AB_OK)
            v[0] = NULL;
    }
    store_cycle_list_free(v, n);
    v = NULL;
    n = 0;
    if (!err && store_cycle_list(e->st, x->k->name, 1, 1, &v, &n, NULL) == AB_OK && n) {
        x->open = v[0];
        v[0] = NULL;
    }
    store_cycle_list_free(v, n);
    return err;
}

enum ab_err eng_live_read_check(eng *e, ab_time now, struct eng_live_view *v, size_t i)
{
    struct eng_live_check *x = &v->checks[i];
    const struct store_alert *alert = x->alert; /* v->alerts' own, kept */
    check_clear(x);
    x->alert = alert;
    x->status = store_check_worst(e->st, x->k->name);
    if (store_run_last(e->st, x->k->name, &x->last, NULL) != AB_OK)
        x->last = NULL;
    struct store_sched_state ss;
    if (store_sched_get(e->st, x->k->name, &ss, NULL) == AB_OK) {
        x->has_sched = 1;
        x->next_run = ss.next_due;
    }
    return x->k->kind == CFG_HEARTBEAT ? read_cycles(e, now, x) : AB_OK;
}

/* Point every check at its own open alert (item ""), or NULL. */
static void link_alerts(struct eng_live_view *v)
{
    for (size_t i = 0; i < v->nchecks; i++)
        v->checks[i].alert = NULL;
    for (size_t j = 0; j < v->nalerts; j++) {
        const struct store_alert *a = v->alerts[j];
        if (a->item && *a->item)
            continue;
        const struct eng_live_check *x = eng_live_find(v, a->check);
        if (x)
            ((struct eng_live_check *)x)->alert = a;
    }
}

static void shared_clear(struct eng_live_view *v)
{
    for (size_t i = 0; i < v->nalerts; i++)
        store_alert_free(v->alerts[i]);
    ab_free(v->alerts);
    v->alerts = NULL;
    v->nalerts = 0;
    store_silences_free(v->silences, v->nsilences);
    v->silences = NULL;
    v->nsilences = 0;
    store_pauses_free(v->pauses, v->npauses);
    v->pauses = NULL;
    v->npauses = 0;
    if (v->have_inbox)
        ab_free(v->inbox.last_error);
    v->have_inbox = v->have_outbox = 0;
}

enum ab_err eng_live_read_shared(eng *e, ab_time now, struct eng_live_view *v)
{
    shared_clear(v);
    if (store_alert_list(e->st, 0, 0, &v->alerts, &v->nalerts, NULL) != AB_OK) {
        v->alerts = NULL;
        v->nalerts = 0;
    }
    link_alerts(v);
    if (store_silence_list(e->st, 0, now, &v->silences, &v->nsilences, NULL) != AB_OK) {
        v->silences = NULL;
        v->nsilences = 0;
    }
    if (store_pause_list(e->st, now, &v->pauses, &v->npauses, NULL) != AB_OK) {
        v->pauses = NULL;
        v->npauses = 0;
    }
    v->have_outbox = store_outbox_counts(e->st, &v->outbox, NULL) == AB_OK;
    v->have_inbox = cfg_global(e->c)->inbox.enabled &&
                    store_webq_inbox(e->st, &v->inbox, NULL) == AB_OK;
    return AB_OK;
}

static void recent_clear(struct eng_live_view *v)
{
    for (size_t i = 0; i < v->nrecent; i++)
        cycle_clear(&v->recent[i]);
    ab_free(v->recent);
    v->recent = NULL;
    v->nrecent = 0;
}

enum ab_err eng_live_read_recent(eng *e, ab_time now, struct eng_live_view *v)
{
    recent_clear(v);
    struct store_cycle **cy = NULL;
    size_t n = 0;
    enum ab_err err = AB_OK;
    if (store_cycle_list(e->st, NULL, 0, ENG_LIVE_RECENT, &cy, &n, NULL) != AB_OK)
        return AB_OK; /* none shown, as the page did when they could not be read */
    if (n && !(v->recent = ab_calloc(n, sizeof *v->recent)))
        err = AB_ENOMEM;
    for (size_t i = 0; i < n && !err; i++) {
        err = cycle_take(e, cy[i], now, &v->recent[i]);
        cy[i] = NULL;
        v->nrecent++;
    }
    store_cycle_list_free(cy, n);
    return err;
}

/* The worst status of check in v (sorted by name), -1 if none. */
static int worst_of(const struct store_worst *v, size_t n, const char *check)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(v[mid].check, check);
        if (c == 0)
            return v[mid].status;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

/* Every check's own parts with one statement each for all of them
 * (store_latest.h), the way eng_live_read_check reads one. */
static enum ab_err read_checks(eng *e, ab_time now, struct eng_live_view *v)
{
    struct store_worst *wv = NULL;
    size_t nw = 0;
    struct store_sched_row *sv = NULL;
    size_t ns = 0;
    const char **names = ab_calloc(v->nchecks ? v->nchecks : 1, sizeof *names);
    struct store_run **last = ab_calloc(v->nchecks ? v->nchecks : 1, sizeof *last);
    enum ab_err err = names && last ? AB_OK : AB_ENOMEM;
    for (size_t i = 0; i < v->nchecks && !err; i++)
        names[i] = v->checks[i].k->name;
    /* Best effort, as eng_view_check: what cannot be read stays empty. */
    if (!err && store_worst_all(e->st, &wv, &nw, NULL) != AB_OK)
        wv = NULL, nw = 0;
    if (!err && store_sched_all(e->st, &sv, &ns, NULL) != AB_OK)
        sv = NULL, ns = 0;
    if (!err && store_run_last_each(e->st, names, v->nchecks, last, NULL) != AB_OK)
        memset(last, 0, v->nchecks * sizeof *last);
    for (size_t i = 0; i < v->nchecks && !err; i++) {
        struct eng_live_check *x = &v->checks[i];
        x->status = worst_of(wv, nw, x->k->name);
        x->last = last[i];
        last[i] = NULL;
        const struct store_sched_row *r = store_sched_row_find(sv, ns, x->k->name);
        if (r) {
            x->has_sched = 1;
            x->next_run = r->state.next_due;
        }
        if (x->k->kind == CFG_HEARTBEAT)
            err = read_cycles(e, now, x);
    }
    for (size_t i = 0; last && i < v->nchecks; i++)
        store_run_free(last[i]);
    ab_free(last);
    ab_free(names);
    store_worst_free(wv, nw);
    store_sched_rows_free(sv, ns);
    return err;
}

enum ab_err eng_live_read_all(eng *e, ab_time now, struct eng_live_view *v)
{
    size_t n = cfg_check_count(e->c);
    v->at = now;
    v->c = e->c;
    v->checks = ab_calloc(n ? n : 1, sizeof *v->checks);
    if (!v->checks)
        return AB_ENOMEM;
    v->nchecks = n;
    for (size_t i = 0; i < n; i++) {
        v->checks[i].k = cfg_check_at(e->c, i);
        check_clear(&v->checks[i]);
    }
    enum ab_err err = eng_live_read_shared(e, now, v);
    if (!err)
        err = read_checks(e, now, v);
    if (!err)
        err = eng_live_read_recent(e, now, v);
    return err;
}

static ab_time earlier_deadline(const struct eng_live_cycle *lc, ab_time now, ab_time t)
{
    if (!lc || !lc->c || lc->c->deadline == AB_TIME_NONE || lc->c->deadline <= now)
        return t;
    return t == AB_TIME_NONE || lc->c->deadline < t ? lc->c->deadline : t;
}

ab_time eng_live_next_deadline(const struct eng_live_view *v, ab_time now)
{
    ab_time t = AB_TIME_NONE;
    for (size_t i = 0; i < v->nrecent; i++)
        t = earlier_deadline(&v->recent[i], now, t);
    for (size_t i = 0; i < v->nchecks; i++)
        t = earlier_deadline(v->checks[i].cycle, now, t);
    return t;
}

void eng_live_view_clear(struct eng_live_view *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->nchecks; i++)
        check_clear(&v->checks[i]);
    ab_free(v->checks);
    v->checks = NULL;
    v->nchecks = 0;
    shared_clear(v);
    recent_clear(v);
}
