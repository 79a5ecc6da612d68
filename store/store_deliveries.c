/*
 * store_deliveries.c - notices for channels (webhook, ntfy, slack, matrix,
 * command) between the transaction that decides them and the request
 * that carries them; and the one question the channel fallback asks of
 * the mail outbox: since when has mail been failing?
 *
 * A delivery is stored before anything is sent and marked sent only
 * after the endpoint accepted it, as mail is (store/store_outbox.c): a crash
 * in between sends it again on restart, with the same txn, which is the
 * key a receiver uses to drop the repeat (Matrix's transaction id, the
 * webhook's X-Ackbeat-Delivery header).
 */
#include "store/store_int.h"

#include <string.h>

#include "common/ab_mem.h"
#include "store/store_deliveries.h"
#include "store/store_outbox.h"

static const char *const status_names[] = {"queued", "sent", "failed"};

void store_delivery_free(struct store_delivery *d)
{
    if (!d)
        return;
    ab_free(d->channel);
    ab_free(d->kind);
    ab_free(d->ref);
    ab_free(d->txn);
    ab_free(d->summary);
    ab_free(d->body);
    ab_free(d->last_error);
    ab_free(d);
}

void store_deliveries_free(struct store_delivery **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        store_delivery_free(v[i]);
    ab_free(v);
}

enum ab_err store_delivery_put(store *st, const char *channel, const char *kind,
                               const char *ref, const char *txn, const char *summary,
                               const char *body, size_t len, ab_time now, int64_t *id,
                               ab_errmsg *em)
{
    store_db_stmt *s;
    enum ab_err e = store_prepare(
        st, "INSERT INTO deliveries(created, channel, kind, ref, txn, summary, body, "
            "next_attempt) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING RETURNING id",
        &s, em);
    if (e)
        return e;
    store_bind_time(s, 1, now);
    store_db_bind_text(s, 2, channel);
    store_db_bind_text(s, 3, kind ? kind : "");
    store_db_bind_text(s, 4, ref);
    store_db_bind_text(s, 5, txn);
    store_db_bind_text(s, 6, summary);
    store_db_bind_blob(s, 7, body, len);
    store_bind_time(s, 8, now);
    int rc = store_step(st, s);
    if (rc == SDB_DONE) /* nothing inserted: (channel, txn) is taken */
        e = ab_fail(em, AB_EEXIST, "delivery %s to %s is already queued", txn, channel);
    else if (rc != SDB_ROW)
        e = store_dberr(st, em, "delivery put");
    else if (id)
        *id = store_db_column_int64(s, 0);
    store_db_finalize(s);
    return e;
}

static int id_row(store_db_stmt *s, void *p)
{
    *(int64_t *)p = store_db_column_int64(s, 0);
    return 0;
}

enum ab_err store_delivery_due(store *st, ab_time now, int64_t **ids, size_t *n,
                               ab_errmsg *em)
{
    store_db_stmt *s;
    enum ab_err e = store_prepare(st,
                                  "SELECT id FROM deliveries WHERE status = 'queued' AND "
                                  "next_attempt <= ? ORDER BY next_attempt, id",
                                  &s, em);
    if (e)
        return e;
    store_bind_time(s, 1, now);
    void *out = NULL;
    e = store_collect(st, s, sizeof(int64_t), id_row, NULL, &out, n, em, "deliveries due");
    store_db_finalize(s);
    *ids = out;
    return e;
}

#define DELIVERY_COLS                                                                     \
    "id, channel, kind, ref, txn, summary, body, status, attempts, created, "            \
    "next_attempt, sent_at, last_error"

static struct store_delivery *delivery_row(store_db_stmt *s)
{
    struct store_delivery *d = ab_calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->id = store_db_column_int64(s, 0);
    d->channel = store_column_dup(s, 1);
    d->kind = store_column_dup(s, 2);
    d->ref = store_column_dup(s, 3);
    d->txn = store_column_dup(s, 4);
    d->summary = store_column_dup(s, 5);
    d->len = (size_t)store_db_column_bytes(s, 6);
    d->body = ab_malloc(d->len + 1);
    if (d->body) {
        if (d->len)
            memcpy(d->body, store_db_column_blob(s, 6), d->len);
        d->body[d->len] = '\0';
    }
    const char *status = store_db_column_text(s, 7);
    d->status = STORE_OUTBOX_QUEUED;
    for (int i = 0; i < 3; i++)
        if (status && !strcmp((const char *)status, status_names[i]))
            d->status = (enum store_outbox_status)i;
    d->attempts = store_db_column_int(s, 8);
    d->created = store_column_time(s, 9);
    d->next_attempt = store_column_time(s, 10);
    d->sent_at = store_column_time(s, 11);
    d->last_error = store_column_dup(s, 12);
    if (!d->channel || !d->kind || !d->txn || !d->body) {
        store_delivery_free(d);
        return NULL;
    }
    return d;
}

enum ab_err store_delivery_get(store *st, int64_t id, struct store_delivery **out,
                               ab_errmsg *em)
{
    store_db_stmt *s;
    enum ab_err e =
        store_prepare(st, "SELECT " DELIVERY_COLS " FROM deliveries WHERE id = ?", &s, em);
    if (e)
        return e;
    store_db_bind_int64(s, 1, id);
    int rc = store_step(st, s);
    if (rc == SDB_ROW) {
        *out = delivery_row(s);
        if (!*out)
            e = ab_fail(em, AB_ENOMEM, "out of memory");
    } else if (rc == SDB_DONE) {
        e = ab_fail(em, AB_ENOTFOUND, "delivery %lld not found", (long long)id);
    } else {
        e = store_dberr(st, em, "delivery get");
    }
    store_db_finalize(s);
    return e;
}

enum ab_err store_delivery_record(store *st, int64_t id, enum store_outbox_status status,
                                  ab_time now, ab_time next_attempt, const char *error,
                                  ab_errmsg *em)
{
    store_db_stmt *s;
    /* Only a queued row changes: a second drain that raced this one
     * finds it settled and leaves it be. */
    enum ab_err e = store_prepare(
        st,
        "UPDATE deliveries SET status = ?, attempts = attempts + 1, last_error = ?, "
        "next_attempt = COALESCE(?, next_attempt), sent_at = ?, "
        "claimed_by = NULL, lease_until = NULL "
        "WHERE id = ? AND status = 'queued'",
        &s, em);
    if (e)
        return e;
    store_db_bind_text(s, 1, status_names[(unsigned)status < 3 ? status : 0]);
    store_db_bind_text(s, 2, error);
    store_bind_time(s, 3, next_attempt);
    store_bind_time(s, 4, status == STORE_OUTBOX_SENT ? now : AB_TIME_NONE);
    store_db_bind_int64(s, 5, id);
    if (store_step(st, s) != SDB_DONE)
        e = store_dberr(st, em, "delivery record");
    else if (store_db_changes(st) == 0)
        e = ab_fail(em, AB_ENOTFOUND, "delivery %lld is not queued", (long long)id);
    store_db_finalize(s);
    return e;
}

enum ab_err store_delivery_list(store *st, int all, size_t limit,
                                struct store_delivery ***out, size_t *n, ab_errmsg *em)
{
    *out = NULL;
    *n = 0;
    store_db_stmt *s;
    /* The newest limit, shown oldest first. */
    enum ab_err e = store_prepare(
        st, "SELECT * FROM (SELECT " DELIVERY_COLS " FROM deliveries "
            "WHERE ? = 1 OR status != 'sent' ORDER BY id DESC LIMIT ?) AS newest ORDER BY id",
        &s, em);
    if (e)
        return e;
    store_db_bind_int(s, 1, all != 0);
    store_db_bind_int64(s, 2, limit ? (int64_t)limit : INT64_MAX);
    size_t cap = 0;
    int rc;
    while ((rc = store_step(st, s)) == SDB_ROW) {
        if (*n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            struct store_delivery **v = ab_realloc(*out, nc * sizeof *v);
            if (!v) {
                e = ab_fail(em, AB_ENOMEM, "out of memory");
                break;
            }
            *out = v;
            cap = nc;
        }
        struct store_delivery *d = delivery_row(s);
        if (!d) {
            e = ab_fail(em, AB_ENOMEM, "out of memory");
            break;
        }
        (*out)[(*n)++] = d;
    }
    if (!e && rc != SDB_DONE)
        e = store_dberr(st, em, "delivery list");
    store_db_finalize(s);
    if (e) {
        store_deliveries_free(*out, *n);
        *out = NULL;
        *n = 0;
    }
    return e;
}

enum ab_err store_mail_failing_since(store *st, ab_time *since, char **last_error,
                                     ab_errmsg *em)
{
    *since = AB_TIME_NONE;
    if (last_error)
        *last_error = NULL;
    store_db_stmt *s;
    enum ab_err e = store_prepare(st,
                                  "SELECT created, last_error FROM outbox WHERE status = "
                                  "'queued' AND attempts > 0 ORDER BY created, id LIMIT 1",
                                  &s, em);
    if (e)
        return e;
    int rc = store_step(st, s);
    if (rc == SDB_ROW) {
        *since = store_column_time(s, 0);
        if (last_error)
            *last_error = store_column_dup(s, 1);
    } else if (rc != SDB_DONE) {
        e = store_dberr(st, em, "mail failing since");
    }
    store_db_finalize(s);
    return e;
}

/* Retention, as store_outbox_purge does for mail: a queued delivery may
 * still be sent, so only sent and failed ones go. */
enum ab_err store_delivery_purge(store *st, ab_time before, int64_t *deleted, ab_errmsg *em)
{
    store_db_stmt *s;
    enum ab_err e = store_prepare(
        st, "DELETE FROM deliveries WHERE status != 'queued' AND created < ?", &s, em);
    if (e)
        return e;
    store_bind_time(s, 1, before);
    if (store_step(st, s) != SDB_DONE)
        e = store_dberr(st, em, "delivery purge");
    else if (deleted)
        *deleted = store_db_changes(st);
    store_db_finalize(s);
    return e;
}
