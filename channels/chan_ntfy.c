/*
 * chan_ntfy.c - <ntfy name url [token-env]>: a message to an ntfy topic.
 *
 * url is the topic's URL (https://ntfy.example/TOPIC); the notice goes
 * as ntfy's JSON publishing form (POST to the server's root with
 * "topic"), so title, priority and tags travel in the body that is
 * stored, and nothing of the notice has to fit a header.  A token is
 * sent as "Authorization: Bearer".
 */
#include "channels/chan_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ab_mem.h"
#include "store/store_deliveries.h"

/* The server root and the topic of url: the last path segment. */
static int split_topic(const char *url, char *root, size_t rlen, const char **topic)
{
    const char *slash = strrchr(url, '/');
    const char *host = strstr(url, "://");
    if (!slash || !host || slash <= host + 2 || !slash[1])
        return 0;
    snprintf(root, rlen, "%.*s", (int)(slash - url), url);
    *topic = slash + 1;
    return 1;
}

/* ntfy's priorities: 5 urgent .. 1 min; an Offline alert (1) is urgent. */
static int ntfy_priority(int p, const char *notice)
{
    if (notice && !strcmp(notice, "alert-resolved"))
        return 2;
    return p <= 1 ? 5 : p == 2 ? 4 : 3;
}

static enum ab_err build_body(const struct cfg_channel *ch, const struct chan_notice *n,
                         const json_t *notice, ab_buf *out, ab_errmsg *em)
{
    char root[1024];
    const char *topic;
    if (!split_topic(ch->url, root, sizeof root, &topic))
        return ab_fail(em, AB_EINVAL, "ntfy %s: url=\"%s\" has no topic", ch->name, ch->url);
    int resolved = n->notice && !strcmp(n->notice, "alert-resolved");
    char title[512];
    snprintf(title, sizeof title, "%s%s%s %s", n->check ? n->check : "?",
             n->item && *n->item ? "/" : "", n->item ? n->item : "",
             resolved ? "resolved" : n->status ? n->status : "?");
    json_t *o = json_object();
    json_object_set_new(o, "topic", json_string(topic));
    json_object_set_new(o, "title", json_string(title));
    json_object_set_new(o, "message", json_incref(json_object_get(notice, "text")));
    json_object_set_new(o, "priority", json_integer(ntfy_priority(n->priority, n->notice)));
    json_t *tags = json_array();
    json_array_append_new(tags, json_string(resolved ? "white_check_mark" : "warning"));
    json_object_set_new(o, "tags", tags);
    if (n->alert_url)
        json_object_set_new(o, "click", json_string(n->alert_url));
    char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    if (!s)
        return ab_fail(em, AB_ENOMEM, "out of memory");
    enum ab_err e = ab_buf_puts(out, s);
    free(s);
    return e ? ab_fail(em, e, "notice too large") : AB_OK;
}

static enum ab_err send_one(const struct cfg_channel *ch, const struct store_delivery *d,
                        ab_errmsg *em)
{
    char root[1024], auth[1024] = "";
    const char *topic;
    if (!split_topic(ch->url, root, sizeof root, &topic))
        return ab_fail(em, AB_EPERMFAIL, "ntfy %s: url has no topic", ch->name);
    char *token = NULL;
    enum ab_err e = chan_secret(ch, &token, em);
    if (e)
        return e;
    if (token) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
        ab_free(token);
    }
    const char *hdrs[] = {"Content-Type: application/json", auth};
    struct chan_http_req r = {.method = "POST", .url = root, .body = d->body, .len = d->len,
                              .headers = hdrs, .nheaders = auth[0] ? 2 : 1,
                              .timeout = ch->timeout};
    e = chan_http(&r, em);
    /* The header held the token: do not leave it in freed memory. */
    memset(auth, 0, sizeof auth);
    return e;
}

const struct chan_kind chan_kind_ntfy = {"ntfy", build_body, send_one};
