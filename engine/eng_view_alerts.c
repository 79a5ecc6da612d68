/*
 * eng_view_alerts.c - alerts, the outbox and the inbox as the views show
 * them: the alert inbox and one alert with what people said about it,
 * the open-alert counts the page titles and /metrics use, the mail and
 * channel deliveries waiting or given up on, and how reading the inbox
 * goes.
 */
#include "engine/eng_int.h"

#include <string.h>

#include "common/ab_mem.h"

enum ab_err eng_view_alerts(eng *e, int include_closed, size_t limit,
                            struct store_alert ***out, size_t *n, ab_errmsg *em)
{
    return store_alert_list(e->st, include_closed, limit, out, n, em);
}

void eng_view_alerts_free(struct store_alert **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        store_alert_free(v[i]);
    ab_free(v);
}

enum ab_err eng_view_alert(eng *e, int64_t id, struct store_alert **out, ab_errmsg *em)
{
    return store_alert_get(e->st, id, out, em);
}

void eng_view_alert_free(struct store_alert *a)
{
    store_alert_free(a);
}

enum ab_err eng_view_alert_notes(eng *e, int64_t id, size_t limit,
                                 struct store_alert_ev **out, size_t *n, ab_errmsg *em)
{
    return store_alert_notes(e->st, id, limit, out, n, em);
}

void eng_view_alert_notes_free(struct store_alert_ev *v, size_t n)
{
    store_alert_notes_free(v, n);
}

enum ab_err eng_view_alert_counts(eng *e, ab_time now,
                                  struct store_webq_alert_counts *out, ab_errmsg *em)
{
    return store_webq_alert_counts(e->st, now, out, em);
}

enum ab_err eng_view_outbox_counts(eng *e, struct store_outbox_counts *out, ab_errmsg *em)
{
    return store_outbox_counts(e->st, out, em);
}

enum ab_err eng_view_outbox(eng *e, int all, size_t limit, struct eng_outbox_view *out,
                            ab_errmsg *em)
{
    memset(out, 0, sizeof *out);
    enum ab_err err = store_outbox_counts(e->st, &out->counts, em);
    if (!err)
        err = store_outbox_list(e->st, all, limit, &out->msgs, &out->nmsgs, em);
    if (!err)
        err = store_delivery_list(e->st, all, limit, &out->deliveries, &out->ndeliveries,
                                  em);
    return err;
}

void eng_view_outbox_free(struct eng_outbox_view *v)
{
    if (!v)
        return;
    store_deliveries_free(v->deliveries, v->ndeliveries);
    store_outbox_list_free(v->msgs, v->nmsgs);
    memset(v, 0, sizeof *v);
}

int eng_view_outbox_due(eng *e, ab_time now)
{
    int64_t *ids = NULL;
    size_t n = 0;
    int due = store_outbox_due(e->st, now, 1, &ids, &n, NULL) == AB_OK && n > 0;
    ab_free(ids);
    return due;
}

enum ab_err eng_view_inbox(eng *e, struct store_webq_inbox *out, ab_errmsg *em)
{
    return store_webq_inbox(e->st, out, em);
}
