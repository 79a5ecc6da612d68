/*
 * eng_live_ask.c - questions to the live read model at a given now: a
 * check by name, whether a silence or a pause holds it, the open-alert
 * counts, the worst status.  They read the facts kept (windows, ends,
 * snooze ends), so a silence that began or a snooze that ran out since
 * the last refresh counts without one, as the store's own queries would.
 */
#include "engine/eng_int.h"

#include <string.h>

const struct eng_live_check *eng_live_find(const struct eng_live_view *v, const char *name)
{
    if (!v || !v->nchecks || !v->c || !name)
        return NULL;
    const struct cfg_check *k = cfg_check_find(v->c, name);
    if (!k)
        return NULL;
    /* The checks are the config's, in its order: k's place in the
     * config's array is its place here.  Looked for when it is not (a
     * config whose checks are not one array). */
    const struct cfg_check *first = v->checks[0].k;
    if (k >= first && (size_t)(k - first) < v->nchecks && v->checks[k - first].k == k)
        return &v->checks[k - first];
    for (size_t i = 0; i < v->nchecks; i++)
        if (v->checks[i].k == k)
            return &v->checks[i];
    return NULL;
}

int64_t eng_live_silenced(const struct eng_live_view *v, const struct cfg_check *k,
                          ab_time now)
{
    for (size_t i = 0; i < v->nsilences; i++)
        if (eng_silence_matches(&v->silences[i], k, "", now))
            return v->silences[i].id;
    return 0;
}

int eng_live_paused(const struct eng_live_view *v, const char *check, ab_time now,
                    ab_time *until)
{
    for (size_t i = 0; i < v->npauses; i++) {
        const struct store_pause *p = &v->pauses[i];
        if (strcmp(p->check, check) != 0)
            continue;
        if (p->until != AB_TIME_NONE && p->until <= now)
            return 0; /* ran out since the refresh */
        if (until)
            *until = p->until;
        return 1;
    }
    return 0;
}

void eng_live_alert_counts(const struct eng_live_view *v, ab_time now,
                           struct store_webq_alert_counts *out)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < v->nalerts; i++) {
        const struct store_alert *a = v->alerts[i];
        /* store_webq_alert_counts' rule: a snooze that ran out is active. */
        int active = a->dismissed_at == AB_TIME_NONE ||
                     (a->dismissed_until != AB_TIME_NONE && a->dismissed_until <= now);
        int p = a->priority < 1 ? 1 : a->priority > 4 ? 4 : a->priority;
        out->open++;
        out->active += active;
        out->by_priority[p] += active;
    }
}

int eng_live_worst(const struct eng_live_view *v)
{
    int worst = -1;
    for (size_t i = 0; i < v->nchecks; i++)
        if (v->checks[i].status > worst)
            worst = v->checks[i].status;
    return worst;
}
