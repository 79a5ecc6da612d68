/*
 * eng_levels.c - escalation levels: who is told at each level of an alert,
 * and when the next level is due.
 *
 * Level 0 is the check's notify=.  Level 1 is its escalate-after= and
 * escalate-to= (the shorthand for one level, inherited from <alerting>,
 * where <level> elements set it too); levels 2 and up come from
 * <alerting>'s further <level> elements.  Each level's after= counts
 * from the alert's opening, and a notice at level N goes to everyone of
 * levels 0..N, so nobody told before is dropped.
 */
#include "engine/eng_int.h"

#include <string.h>
#include <strings.h>

#include "common/ab_mem.h"

int eng_level_count(eng *e, const struct cfg_check *k)
{
    const struct cfg_alerting *al = &cfg_global(e->c)->alerting;
    int n = (int)al->nlevels;
    return n > 0 ? n : k->escalate_to.n ? 1 : 0;
}

const struct cfg_addrs *eng_level_notify(eng *e, const struct cfg_check *k, int level)
{
    const struct cfg_alerting *al = &cfg_global(e->c)->alerting;
    if (level <= 0)
        return &k->notify;
    if (level == 1)
        return &k->escalate_to;
    return (size_t)level <= al->nlevels ? &al->levels[level - 1].notify : NULL;
}

int64_t eng_level_after(eng *e, const struct cfg_check *k, int level)
{
    const struct cfg_alerting *al = &cfg_global(e->c)->alerting;
    if (level == 1)
        return k->escalate_after;
    return level >= 2 && (size_t)level <= al->nlevels ? al->levels[level - 1].after : 0;
}

int eng_level_due(eng *e, const struct cfg_check *k, const struct store_alert *a, ab_time now)
{
    int best = a->level, count = eng_level_count(e, k);
    for (int l = a->level + 1; l <= count; l++) {
        int64_t after = eng_level_after(e, k, l);
        const struct cfg_addrs *to = eng_level_notify(e, k, l);
        if (after <= 0 || now - a->opened < after)
            break;
        if (to && to->n)
            best = l;
    }
    return best;
}

enum ab_err eng_level_rcpts(eng *e, const struct cfg_check *k, int from, int to,
                            const char ***out, size_t *n)
{
    *out = NULL;
    *n = 0;
    size_t cap = 1;
    for (int l = from; l <= to; l++) {
        const struct cfg_addrs *x = eng_level_notify(e, k, l);
        cap += x ? x->n : 0;
    }
    const char **v = ab_calloc(cap, sizeof *v);
    if (!v)
        return AB_ENOMEM;
    for (int l = from; l <= to; l++) {
        const struct cfg_addrs *x = eng_level_notify(e, k, l);
        for (size_t i = 0; x && i < x->n; i++) {
            int dup = 0;
            for (size_t j = 0; j < *n && !dup; j++)
                dup = strcasecmp(v[j], x->v[i]) == 0;
            if (!dup)
                v[(*n)++] = x->v[i];
        }
    }
    *out = v;
    return AB_OK;
}

void eng_level_told_text(eng *e, const struct cfg_check *k, int level, char *buf, size_t len)
{
    buf[0] = '\0';
    const char **v = NULL;
    size_t n = 0, used = 0;
    if (level < 1 || eng_level_rcpts(e, k, 0, level - 1, &v, &n) != AB_OK)
        return;
    for (size_t i = 0; i < n && used + 1 < len; i++) {
        const char *who = v[i];
        const struct cfg_channel *ch = cfg_channel_of(e->c, who);
        const struct cfg_person *p = ch ? NULL : cfg_person_by_email(e->c, who);
        if (ch)
            who = ch->name;
        else if (p && p->name)
            who = p->name;
        int w = snprintf(buf + used, len - used, "%s%s", i ? ", " : "", who);
        if (w < 0)
            break;
        used += (size_t)w < len - used ? (size_t)w : len - used - 1;
    }
    ab_free(v);
}
