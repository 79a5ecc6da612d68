/*
 * eng_view_checks.c - a check as the views show it: its worst status, its
 * newest run, when it is next due, its open alert, and whether a silence
 * or a pause holds it; its runs and items for its own page.
 *
 * `status`, GET /api/checks, the status page and the badges all read
 * this one function, so they cannot disagree about a check.  Every part
 * is best effort: a part that cannot be read is shown as absent (a check
 * never run), never as an error page.
 */
#include "engine/eng_int.h"

#include <string.h>

#include "common/ab_mem.h"

void eng_view_check(eng *e, const struct cfg_check *k, ab_time now,
                    struct eng_check_view *out)
{
    memset(out, 0, sizeof *out);
    out->k = k;
    out->next_run = AB_TIME_NONE;
    out->paused_until = AB_TIME_NONE;
    out->status = store_check_worst(e->st, k->name);
    if (store_run_last(e->st, k->name, &out->last, NULL) != AB_OK)
        out->last = NULL;
    struct store_sched_state ss;
    if (store_sched_get(e->st, k->name, &ss, NULL) == AB_OK) {
        out->has_sched = 1;
        out->next_run = ss.next_due;
    }
    if (store_alert_find_open(e->st, k->name, "", &out->alert, NULL) != AB_OK)
        out->alert = NULL;
    out->silenced_by = eng_silenced(e->st, k, "", now);
    out->paused = eng_paused(e->st, k->name, now, &out->paused_until);
}

void eng_view_check_free(struct eng_check_view *v)
{
    if (!v)
        return;
    store_run_free(v->last);
    store_alert_free(v->alert);
    memset(v, 0, sizeof *v);
}

int eng_view_status(eng *e, const char *check)
{
    return store_check_worst(e->st, check);
}

int eng_view_paused(eng *e, const char *check, ab_time now, ab_time *until)
{
    return eng_paused(e->st, check, now, until);
}

int64_t eng_view_silenced(eng *e, const struct cfg_check *k, const char *item,
                          ab_time now)
{
    return eng_silenced(e->st, k, item, now);
}

enum ab_err eng_view_runs(eng *e, const char *check, size_t limit,
                          struct store_run ***out, size_t *n, ab_errmsg *em)
{
    return store_run_history(e->st, check, limit, out, n, em);
}

void eng_view_runs_free(struct store_run **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        store_run_free(v[i]);
    ab_free(v);
}

enum ab_err eng_view_items(eng *e, const char *check, struct store_check_state ***out,
                           size_t *n, ab_errmsg *em)
{
    return store_check_state_list(e->st, check, out, n, em);
}

void eng_view_items_free(struct store_check_state **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        store_check_state_free(v[i]);
    ab_free(v);
}

enum ab_err eng_view_ping(eng *e, const char *check, struct store_ping_summary *out,
                          ab_errmsg *em)
{
    return store_ping_summary(e->st, check, out, em);
}
