/*
 * eng_silence.c - silences and pauses, as the engine applies them.
 *
 * A silenced check still runs and records, and its alerts open and
 * resolve as always; only their notices are dropped while a silence
 * matches (claimed as sent, so nothing piles up to burst out when the
 * silence ends: the next repeat after it is the next notice).  A paused
 * check does not run at all, and its pings and heartbeats are not
 * judged, until the pause ends or it is resumed.
 *
 * Matchers are Alertmanager's, narrowed to what a check has: check=GLOB
 * (fnmatch), item=ITEM, tag=TAG; a silence with several matches only
 * what matches them all.
 */
#include "engine/eng_int.h"

#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

#include "common/ab_log.h"
#include "common/ab_mem.h"

int eng_silence_matches(const struct store_silence *s, const struct cfg_check *k,
                        const char *item, ab_time now)
{
    if (now < s->starts || now >= s->ends ||
        (s->expired != AB_TIME_NONE && now >= s->expired))
        return 0;
    if (s->check_glob && fnmatch(s->check_glob, k->name, 0) != 0)
        return 0;
    if (s->item && strcmp(s->item, item ? item : "") != 0)
        return 0;
    if (s->tag) {
        int found = 0;
        for (size_t i = 0; i < k->ntags && !found; i++)
            found = !strcmp(k->tags[i], s->tag);
        if (!found)
            return 0;
    }
    return 1;
}

int64_t eng_silenced(store *st, const struct cfg_check *k, const char *item, ab_time now)
{
    struct store_silence *v = NULL;
    size_t n = 0;
    int64_t id = 0;
    if (store_silence_list(st, 0, now, &v, &n, NULL) != AB_OK)
        return 0;
    for (size_t i = 0; i < n && !id; i++)
        if (eng_silence_matches(&v[i], k, item, now))
            id = v[i].id;
    store_silences_free(v, n);
    return id;
}

int eng_paused(store *st, const char *check, ab_time now, ab_time *until)
{
    struct store_pause *v = NULL;
    size_t n = 0;
    int found = 0;
    if (store_pause_list(st, now, &v, &n, NULL) != AB_OK)
        return 0;
    for (size_t i = 0; i < n && !found; i++)
        if (!strcmp(v[i].check, check)) {
            found = 1;
            if (until)
                *until = v[i].until;
        }
    store_pauses_free(v, n);
    return found;
}

int eng_notices_held(eng *e, const struct cfg_check *k, const struct store_alert *a,
                     const char *message, ab_time now)
{
    if (eng_paused(e->st, k->name, now, NULL)) {
        ab_log(AB_LOG_INFO, "check %s is paused: %s for alert %lld dropped", k->name, message,
               (long long)a->id);
        return 1;
    }
    int64_t sid = eng_silenced(e->st, k, a->item, now);
    if (sid) {
        ab_log(AB_LOG_INFO, "silence #%lld: %s for alert %lld (%s) dropped", (long long)sid,
               message, (long long)a->id, k->name);
        return 1;
    }
    return 0;
}

enum ab_err eng_silence_parse(const char *arg, struct store_silence *s, ab_errmsg *em)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg || !eq[1])
        return ab_fail(em, AB_EINVAL, "matcher \"%s\": use check=GLOB, item=ITEM or tag=TAG",
                       arg);
    size_t kl = (size_t)(eq - arg);
    char **slot = kl == 5 && !strncmp(arg, "check", 5) ? &s->check_glob
                  : kl == 4 && !strncmp(arg, "item", 4) ? &s->item
                  : kl == 3 && !strncmp(arg, "tag", 3)  ? &s->tag
                                                        : NULL;
    if (!slot)
        return ab_fail(em, AB_EINVAL, "matcher \"%s\": use check=GLOB, item=ITEM or tag=TAG",
                       arg);
    if (*slot)
        return ab_fail(em, AB_EINVAL, "matcher \"%.*s\" given twice", (int)kl, arg);
    *slot = ab_strdup(eq + 1);
    return *slot ? AB_OK : ab_fail(em, AB_ENOMEM, "out of memory");
}

void eng_silence_describe(const struct store_silence *s, char *buf, size_t len)
{
    snprintf(buf, len, "%s%s%s%s%s%s%s%s%s", s->check_glob ? "check=" : "",
             s->check_glob ? s->check_glob : "", s->check_glob && (s->item || s->tag) ? " " : "",
             s->item ? "item=" : "", s->item ? s->item : "", s->item && s->tag ? " " : "",
             s->tag ? "tag=" : "", s->tag ? s->tag : "",
             !s->check_glob && !s->item && !s->tag ? "(everything)" : "");
}
