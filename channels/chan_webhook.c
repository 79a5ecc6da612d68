/*
 * chan_webhook.c - <webhook name url [secret-env] [template]>: a POST of the
 * notice as JSON (chan_payload.c), or of the channel's Mustache template
 * rendered with it, with "X-Ackbeat-Signature: sha256=HEX" (HMAC-SHA256
 * of the exact body, chan_sign.c) when a secret is set, and the delivery's
 * stable id in X-Ackbeat-Delivery so a receiver can drop a retry it has
 * already seen.
 */
#include "channels/chan_int.h"

#include <stdio.h>
#include <string.h>

#include "common/ab_mem.h"
#include "store/store_deliveries.h"
#include "templates/tpl.h"

static enum ab_err build_body(const struct cfg_channel *ch, const struct chan_notice *n,
                         const json_t *notice, ab_buf *out, ab_errmsg *em)
{
    if (!ch->template_path)
        return chan_notice_json(n, out, em);
    tpl *t = NULL;
    enum ab_err e = tpl_compile_file(ch->template_path, NULL, &t, em);
    if (e)
        return e;
    /* Text mode: a JSON or form body must not get HTML escapes. */
    struct tpl_render_opts o = {0};
    o.mode = TPL_TEXT;
    e = tpl_render(t, notice, &o, out, em);
    tpl_free(t);
    return e;
}

static enum ab_err send_one(const struct cfg_channel *ch, const struct store_delivery *d,
                        ab_errmsg *em)
{
    char *key = NULL;
    enum ab_err e = chan_secret(ch, &key, em);
    if (e)
        return e;
    char sig[128] = "", id[300];
    if (key) {
        char hex[65];
        e = chan_sign(key, d->body, d->len, hex, em);
        ab_free(key);
        if (e)
            return ab_fail(em, AB_EPERMFAIL, "channel %s: %s", ch->name, em->text);
        snprintf(sig, sizeof sig, "X-Ackbeat-Signature: sha256=%s", hex);
    }
    snprintf(id, sizeof id, "X-Ackbeat-Delivery: %s", d->txn);
    /* A template's body is JSON when its file name says so. */
    int json = !ch->template_path || strstr(ch->template_path, ".json");
    const char *ctype = json ? "Content-Type: application/json"
                             : "Content-Type: text/plain; charset=utf-8";
    const char *hdrs[] = {ctype, id, sig};
    struct chan_http_req r = {.method = "POST", .url = ch->url, .body = d->body,
                              .len = d->len, .headers = hdrs,
                              .nheaders = sig[0] ? 3 : 2, .timeout = ch->timeout};
    return chan_http(&r, em);
}

const struct chan_kind chan_kind_webhook = {"webhook", build_body, send_one};
