/*
 * chan_slack.c - <slack name url>: a Slack-compatible incoming webhook, the
 * JSON {"text": "..."} that Slack, Mattermost and Rocket.Chat all take.
 */
#include "channels/chan_int.h"

#include <stdlib.h>

#include "store/store_deliveries.h"

static enum ab_err build_body(const struct cfg_channel *ch, const struct chan_notice *n,
                         const json_t *notice, ab_buf *out, ab_errmsg *em)
{
    (void)ch;
    (void)n;
    const char *text = json_string_value(json_object_get(notice, "text"));
    const char *url = json_string_value(json_object_get(notice, "alert_url"));
    json_t *o = json_object();
    json_t *t = url ? json_sprintf("%s\n<%s|alert %lld>", text, url,
                                   (long long)json_integer_value(
                                       json_object_get(notice, "alert_id")))
                    : json_string(text);
    json_object_set_new(o, "text", t);
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
    const char *hdrs[] = {"Content-Type: application/json"};
    struct chan_http_req r = {.method = "POST", .url = ch->url, .body = d->body,
                              .len = d->len, .headers = hdrs, .nheaders = 1,
                              .timeout = ch->timeout};
    return chan_http(&r, em);
}

const struct chan_kind chan_kind_slack = {"slack", build_body, send_one};
