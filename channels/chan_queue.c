/*
 * chan_queue.c - building a channel's body with its kind (chan_kinds.c) and
 * storing it as a delivery, in the caller's transaction.
 */
#include "channels/chan_int.h"

#include <stdio.h>

#include "store/store_deliveries.h"

enum ab_err chan_build(const struct cfg_channel *ch, const struct chan_notice *n,
                       ab_buf *out, ab_errmsg *em)
{
    const struct chan_kind *k = chan_kind_find(ch->kind);
    if (!k)
        return ab_fail(em, AB_ECONFIG, "channel %s: unknown kind %s", ch->name, ch->kind);
    json_t *o = chan_notice_object(n);
    if (!o)
        return ab_fail(em, AB_ENOMEM, "out of memory");
    ab_buf_reset(out);
    enum ab_err e = k->build(ch, n, o, out, em);
    json_decref(o);
    return e;
}

enum ab_err chan_queue(store *st, const struct cfg_channel *ch, const struct chan_notice *n,
                       const char *txn, ab_time now, ab_errmsg *em)
{
    ab_buf b;
    ab_buf_init(&b, 1 << 20);
    char ref[32], line[512];
    snprintf(ref, sizeof ref, "%lld", (long long)n->alert_id);
    chan_headline(n, line, sizeof line);
    enum ab_err e = chan_build(ch, n, &b, em);
    if (!e)
        e = store_delivery_put(st, ch->name, n->notice, ref, txn, line, ab_buf_str(&b), b.len,
                               now, NULL, em);
    ab_buf_free(&b);
    return e;
}
