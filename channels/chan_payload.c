/*
 * chan_payload.c - what a notice says, as JSON and as one line.
 *
 * The JSON is compact with sorted keys, so the same notice is the same
 * bytes and a signature over it is reproducible.  Times go out twice:
 * ISO 8601 UTC for programs (*_utc) and in the site's zone for people
 * (*_local).
 */
#include "channels/chan_int.h"

#include <stdio.h>
#include <string.h>

#include "common/ab_mem.h"

static void set_str(json_t *o, const char *k, const char *v)
{
    if (v)
        json_object_set_new(o, k, json_string(v));
}

static void set_times(json_t *o, const char *k, ab_time t, const char *zone)
{
    if (t == AB_TIME_NONE)
        return;
    char key[64], iso[AB_ISO_LEN], human[AB_HUMAN_LEN];
    snprintf(key, sizeof key, "%s_utc", k);
    json_object_set_new(o, key, json_string(ab_time_format(t, iso, sizeof iso)));
    snprintf(key, sizeof key, "%s_local", k);
    json_object_set_new(o, key, json_string(ab_time_human(t, zone ? zone : "UTC", human,
                                                          sizeof human)));
}

json_t *chan_notice_object(const struct chan_notice *n)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    set_str(o, "site", n->site);
    set_str(o, "check", n->check);
    json_object_set_new(o, "item", json_string(n->item ? n->item : ""));
    set_str(o, "status", n->status);
    json_object_set_new(o, "priority", json_integer(n->priority));
    set_str(o, "notice", n->notice);
    set_str(o, "message", n->message);
    json_object_set_new(o, "level", json_integer(n->level));
    json_object_set_new(o, "alert_id", json_integer((json_int_t)n->alert_id));
    set_str(o, "alert_url", n->alert_url);
    json_t *told = json_array();
    for (size_t i = 0; i < n->ntold_before; i++)
        json_array_append_new(told, json_string(n->told_before[i]));
    json_object_set_new(o, "told_before", told);
    set_times(o, "time", n->at, n->zone);
    set_times(o, "opened", n->opened, n->zone);
    set_times(o, "resolved", n->resolved, n->zone);
    char line[1024];
    chan_headline(n, line, sizeof line);
    json_object_set_new(o, "text", json_string(line));
    return o;
}

enum ab_err chan_notice_json(const struct chan_notice *n, ab_buf *out, ab_errmsg *em)
{
    ab_buf_reset(out);
    json_t *o = chan_notice_object(n);
    char *s = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(o);
    if (!s)
        return ab_fail(em, AB_ENOMEM, "out of memory");
    enum ab_err e = ab_buf_puts(out, s);
    free(s); /* jansson's allocator */
    return e ? ab_fail(em, e, "notice too large") : AB_OK;
}

/* What happened, in a word or two. */
static const char *verb(const char *notice)
{
    if (!notice)
        return "is";
    if (!strcmp(notice, "alert-resolved"))
        return "is resolved, now";
    if (!strcmp(notice, "alert-repeated"))
        return "is still";
    if (!strcmp(notice, "alert-escalated"))
        return "escalated:";
    return "is";
}

void chan_headline(const struct chan_notice *n, char *buf, size_t len)
{
    char lvl[32] = "";
    if (n->level > 0)
        snprintf(lvl, sizeof lvl, ", level %d", n->level);
    int has_item = n->item && *n->item;
    snprintf(buf, len, "[%s] %s%s%s %s %s (priority %d%s)%s%s", n->site ? n->site : "ackbeat",
             n->check ? n->check : "?", has_item ? "/" : "", has_item ? n->item : "",
             verb(n->notice), n->status ? n->status : "?", n->priority, lvl,
             n->message && *n->message ? ": " : "", n->message ? n->message : "");
}
