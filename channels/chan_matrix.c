/*
 * chan_matrix.c - <matrix name homeserver room token-env>: an m.text message
 * to a room, with the client-server API's
 *   PUT /_matrix/client/v3/rooms/ROOM/send/m.room.message/TXNID
 * TXNID is the delivery's stable id, so a retry after a lost answer is
 * the same event to the homeserver, not a second message.
 */
#include "channels/chan_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ab_dl_curl.h"
#include "common/ab_mem.h"
#include "store/store_deliveries.h"

static enum ab_err build_body(const struct cfg_channel *ch, const struct chan_notice *n,
                         const json_t *notice, ab_buf *out, ab_errmsg *em)
{
    (void)ch;
    (void)n;
    json_t *o = json_object();
    json_object_set_new(o, "msgtype", json_string("m.text"));
    json_object_set_new(o, "body", json_incref(json_object_get(notice, "text")));
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
    char *token = NULL;
    enum ab_err e = chan_secret(ch, &token, em);
    if (e)
        return e;
    if (!token)
        return ab_fail(em, AB_EPERMFAIL, "matrix %s: no token", ch->name);
    /* Room ids (!abc:server) and aliases (#room:server) must be escaped
     * in the path. */
    char *room = curl_easy_escape(NULL, ch->room, 0);
    char *txn = curl_easy_escape(NULL, d->txn, 0);
    char url[2048], auth[1024];
    size_t bl = strlen(ch->url);
    while (bl && ch->url[bl - 1] == '/')
        bl--;
    if (room && txn)
        snprintf(url, sizeof url, "%.*s/_matrix/client/v3/rooms/%s/send/m.room.message/%s",
                 (int)bl, ch->url, room, txn);
    curl_free(room);
    curl_free(txn);
    if (!room || !txn) {
        ab_free(token);
        return ab_fail(em, AB_ETEMPFAIL, "out of memory");
    }
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
    ab_free(token);
    const char *hdrs[] = {"Content-Type: application/json", auth};
    struct chan_http_req r = {.method = "PUT", .url = url, .body = d->body, .len = d->len,
                              .headers = hdrs, .nheaders = 2, .timeout = ch->timeout};
    e = chan_http(&r, em);
    memset(auth, 0, sizeof auth);
    return e;
}

const struct chan_kind chan_kind_matrix = {"matrix", build_body, send_one};
