/*
 * store_notices.c - notices between their claim and their email.
 *
 * The engine decides "alert 7 needs its 3rd notice to ops@" and claims
 * it (store/store_alerts.c) in the same transaction that adds the row here; at
 * the end of the tick it turns every due row of one recipient into one
 * email and deletes the rows in the transaction that queues that email.
 * So a crash between decision and email neither loses a notice nor sends
 * it twice, and a recipient in quiet hours simply has rows that are not
 * due yet.
 */
#include "store/store_int.h"

#include <string.h>

#include "common/ab_mem.h"
#include "store/store_alerts.h"

static void notice_clear(void *p);

void store_notices_free(struct store_notice *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        notice_clear(&v[i]);
    ab_free(v);
}

enum ab_err store_notice_add(store *st, const struct store_notice *n, ab_errmsg *em)
{
    store_db_stmt *s;
    enum ab_err e = store_prepare(
        st, "INSERT INTO notices(created, rcpt, alert_id, message, level, seq, "
            "priority, not_before) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        &s, em);
    if (e)
        return e;
    store_bind_time(s, 1, n->created);
    store_db_bind_text(s, 2, n->rcpt);
    store_db_bind_int64(s, 3, n->alert_id);
    store_db_bind_text(s, 4, n->message);
    store_db_bind_int(s, 5, n->level);
    store_db_bind_text(s, 6, n->seq);
    store_db_bind_int(s, 7, n->priority);
    store_bind_time(s, 8, n->not_before);
    if (store_step(st, s) != SDB_DONE)
        e = store_dberr(st, em, "notice add");
    store_db_finalize(s);
    return e;
}

static void notice_clear(void *p)
{
    struct store_notice *x = p;
    ab_free(x->rcpt);
    ab_free(x->message);
    ab_free(x->seq);
}

static int notice_row(store_db_stmt *s, void *p)
{
    struct store_notice *x = p;
    x->id = store_db_column_int64(s, 0);
    x->created = store_column_time(s, 1);
    x->rcpt = store_column_dup(s, 2);
    x->alert_id = store_db_column_int64(s, 3);
    x->message = store_column_dup(s, 4);
    x->level = store_db_column_int(s, 5);
    x->seq = store_column_dup(s, 6);
    x->priority = store_db_column_int(s, 7);
    x->not_before = store_column_time(s, 8);
    return !x->rcpt || !x->message || !x->seq;
}

enum ab_err store_notices_due(store *st, ab_time now, struct store_notice **out,
                              size_t *n, ab_errmsg *em)
{
    store_db_stmt *s;
    /* Asked after every verdict (eng_flush_notices): kept prepared. */
    static const char sql[] =
        "SELECT id, created, rcpt, alert_id, message, level, seq, priority, "
        "not_before FROM notices WHERE not_before <= ? ORDER BY rcpt, id";
    enum ab_err e = store_prepare_cached(st, sql, &s, em);
    if (e)
        return e;
    store_bind_time(s, 1, now);
    void *v;
    e = store_collect(st, s, sizeof **out, notice_row, notice_clear, &v, n, em,
                      "notices due");
    *out = v;
    store_release(st, s);
    return e;
}

enum ab_err store_notice_done(store *st, int64_t id, ab_errmsg *em)
{
    store_db_stmt *s;
    enum ab_err e = store_prepare(st, "DELETE FROM notices WHERE id = ?", &s, em);
    if (e)
        return e;
    store_db_bind_int64(s, 1, id);
    if (store_step(st, s) != SDB_DONE)
        e = store_dberr(st, em, "notice done");
    else if (store_db_changes(st) != 1)
        e = ab_fail(em, AB_EEXIST, "notice %lld already sent", (long long)id);
    store_db_finalize(s);
    return e;
}

ab_time store_notices_next(store *st)
{
    store_db_stmt *s;
    ab_time t = AB_TIME_NONE;
    if (store_prepare(st, "SELECT min(not_before) FROM notices", &s, NULL) != AB_OK)
        return t;
    if (store_step(st, s) == SDB_ROW)
        t = store_column_time(s, 0);
    store_db_finalize(s);
    return t;
}
