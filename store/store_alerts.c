/*
 * store_alerts.c - alerts and their history.
 *
 * Every state change that leads to an email is a compare-and-set in the
 * database (the partial unique index for opening, notify_count for each
 * notice, resolved_notified for the resolved notice), so that two
 * ackbeat processes sharing a state file never send the same notice
 * twice: the loser of a race sees AB_EEXIST and moves on.
 */
#include "store/store_int.h"

#include <stdio.h>
#include <string.h>

#include "common/ab_mem.h"
#include "store/store_alerts.h"

#define ALERT_COLS                                                          \
    "id, check_name, item, kind, priority, status, message, opened, "     \
    "last_notified, notify_count, level, resolved, resolved_notified, "   \
    "dismissed_at, dismissed_by, dismiss_note, dismissed_until, held_by, " \
    "thread_msgid, previous_status, cycle_id"

void store_alert_free(struct store_alert *a)
{
    if (!a)
        return;
    ab_free(a->check);
    ab_free(a->item);
    ab_free(a->kind);
    ab_free(a->message);
    ab_free(a->dismissed_by);
    ab_free(a->dismiss_note);
    ab_free(a->held_by);
    ab_free(a->thread_msgid);
    ab_free(a->previous_status);
    ab_free(a);
}

static struct store_alert *from_row(store_db_stmt *s)
{
    struct store_alert *a = ab_calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->id = store_db_column_int64(s, 0);
    a->check = store_column_dup(s, 1);
    a->item = store_column_dup(s, 2);
    a->kind = store_column_dup(s, 3);
    a->priority = store_db_column_int(s, 4);
    a->status = store_column_status(s, 5);
    a->message = store_column_dup(s, 6);
    a->opened = store_column_time(s, 7);
    a->last_notified = store_column_time(s, 8);
    a->notify_count = store_db_column_int(s, 9);
    a->level = store_db_column_int(s, 10);
    a->resolved = store_column_time(s, 11);
    a->resolved_notified = store_db_column_int(s, 12);
    a->dismissed_at = store_column_time(s, 13);
    a->dismissed_by = store_column_dup(s, 14);
    a->dismiss_note = store_column_dup(s, 15);
    a->dismissed_until = store_column_time(s, 16);
    a->held_by = store_column_dup(s, 17);
    a->thread_msgid = store_column_dup(s, 18);
    a->previous_status = store_column_dup(s, 19);
    a->cycle_id = store_db_column_int64(s, 20);
    if (!a->check || !a->item || !a->kind ||
        (!store_db_column_is_null(s, 19) && !a->previous_status)) {
        store_alert_free(a);
        return NULL;
    }
    return a;
}

/* Run a one-row query; AB_ENOTFOUND when it returns nothing. */
static enum ab_err one(store *st, store_db_stmt *s, struct store_alert **out,
                       ab_errmsg *em, const char *what)
{
    *out = NULL;
    int rc = store_step(st, s);
    enum ab_err e = AB_OK;
    if (rc == SDB_ROW) {
        *out = from_row(s);
        if (!*out)
            e = ab_fail(em, AB_ENOMEM, "out of memory");
    } else if (rc == SDB_DONE) {
        e = ab_fail(em, AB_ENOTFOUND, "no such alert (%s)", what);
    } else {
        e = store_dberr(st, em, what);
    }
    store_release(st, s); /* finalized, unless it is one kept prepared */
    return e;
}

enum ab_err store_alert_open(store *st, const char *check, const char *item,
                             const char *kind, int priority,
                             enum ab_status status, const char *message,
                             ab_time now, int64_t *id, ab_errmsg *em)
{
    store_db_stmt *s;
    enum ab_err e = store_prepare(
        st, "INSERT INTO alerts(check_name, item, kind, priority, status, "
            "message, opened) VALUES (?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING RETURNING id",
        &s, em);
    if (e)
        return e;
    store_db_bind_text(s, 1, check);
    store_db_bind_text(s, 2, item ? item : "");
    store_db_bind_text(s, 3, kind);
    store_db_bind_int(s, 4, priority);
    store_db_bind_text(s, 5, ab_status_name(status));
    store_db_bind_text(s, 6, message);
    store_bind_time(s, 7, now);
    int rc = store_step(st, s);
    if (rc == SDB_ROW) {
        *id = store_db_column_int64(s, 0);
    } else if (rc == SDB_DONE) {
        /* Nothing inserted: the unique index on open alerts refused it.
         * ON CONFLICT rather than the error, which on PostgreSQL would
         * abort the caller's whole transaction. */
        e = ab_fail(em, AB_EEXIST, "an alert for %s%s%s is already open", check,
                    item && *item ? "/" : "", item ? item : "");
    } else {
        e = store_dberr(st, em, "alert open");
    }
    store_db_finalize(s);
    if (!e)
        e = store_alert_event(st, *id, now, "opened", NULL, message, em);
    return e;
}

enum ab_err store_alert_find_open(store *st, const char *check, const char *item,
                                  struct store_alert **out, ab_errmsg *em)
{
    /* After each run and each ping: kept prepared. */
    static const char sql[] = "SELECT " ALERT_COLS " FROM alerts WHERE check_name = ? AND "
                              "item = ? AND resolved IS NULL";
    store_db_stmt *s;
    enum ab_err e = store_prepare_cached(st, sql, &s, em);
    if (e)
        return e;
    store_db_bind_text(s, 1, check);
    store_db_bind_text(s, 2, item ? item : "");
    return one(st, s, out, em, check);
}

enum ab_err store_alert_get(store *st, int64_t id, struct store_alert **out,
                            ab_errmsg *em)
{
    store_db_stmt *s;
    enum ab_err e = store_prepare(st, "SELECT " ALERT_COLS " FROM alerts WHERE id = ?",
                                  &s, em);
    if (e)
        return e;
    store_db_bind_int64(s, 1, id);
    char what[32];
    snprintf(what, sizeof what, "id %lld", (long long)id);
    return one(st, s, out, em, what);
}

/* Execute an UPDATE with bound values; *changed = rows changed. */
static enum ab_err update(store *st, store_db_stmt *s, int *changed, ab_errmsg *em,
                          const char *what)
{
    enum ab_err e = AB_OK;
    if (store_step(st, s) != SDB_DONE)
        e = store_dberr(st, em, what);
    else if (changed)
        *changed = store_db_changes(st);
    store_db_finalize(s);
    return e;
}

enum ab_err store_alert_set_status(store *st, int64_t id, int priority,
                                   enum ab_status status, const char *message,
                                   ab_errmsg *em)
{
    store_db_stmt *s;
    /* The status it leaves becomes the previous one, so that worse news
     * can say "now Failing, was Degraded"; a new message alone keeps it. */
    enum ab_err e = store_prepare(
        st, "UPDATE alerts SET previous_status = CASE WHEN status <> ?2 THEN status "
            "ELSE previous_status END, priority = ?1, status = ?2, message = ?3 "
            "WHERE id = ?4",
        &s, em);
    if (e)
        return e;
    store_db_bind_int(s, 1, priority);
    store_db_bind_text(s, 2, ab_status_name(status));
    store_db_bind_text(s, 3, message);
    store_db_bind_int64(s, 4, id);
    return update(st, s, NULL, em, "alert status");
}

enum ab_err store_alert_set_previous(store *st, int64_t id, const char *previous,
                                     ab_errmsg *em)
{
    store_db_stmt *s;
    enum ab_err e = store_prepare(st, "UPDATE alerts SET previous_status = ? WHERE id = ?",
                                  &s, em);
    if (e)
        return e;
    store_db_bind_text(s, 1, previous);
    store_db_bind_int64(s, 2, id);
    return update(st, s, NULL, em, "alert previous status");
}

enum ab_err store_alert_set_cycle(store *st, int64_t id, int64_t cycle_id, ab_errmsg *em)
{
    store_db_stmt *s;
    enum ab_err e = store_prepare(st, "UPDATE alerts SET cycle_id = ? WHERE id = ?", &s, em);
    if (e)
        return e;
    if (cycle_id > 0)
        store_db_bind_int64(s, 1, cycle_id);
    else
        store_db_bind_null(s, 1);
    store_db_bind_int64(s, 2, id);
    return update(st, s, NULL, em, "alert cycle");
}

enum ab_err store_alert_seen_healthy(store *st, const char *check, const char *item,
                                     int *yes, ab_errmsg *em)
{
    /* A Healthy result, or an alert of it that resolved (its results may
     * be past <state keep> already). */
    store_db_stmt *s;
    *yes = 0;
    enum ab_err e = store_prepare(
        st, "SELECT EXISTS (SELECT 1 FROM results r JOIN runs u ON u.id = r.run_id "
            "WHERE u.check_name = ?1 AND r.item = ?2 AND r.status = 'Healthy') "
            "OR EXISTS (SELECT 1 FROM alerts WHERE check_name = ?1 AND item = ?2 "
            "AND resolved IS NOT NULL)",
        &s, em);
    if (e)
        return e;
    store_db_bind_text(s, 1, check);
    store_db_bind_text(s, 2, item ? item : "");
    if (store_step(st, s) == SDB_ROW)
        *yes = store_db_column_int(s, 0);
    else
        e = store_dberr(st, em, "alert seen healthy");
    store_db_finalize(s);
    return e;
}

enum ab_err store_alert_claim_notify(store *st, int64_t id, int expect_count,
                                     ab_time at, int level, const char *thread_msgid,
                                     ab_errmsg *em)
{
    store_db_stmt *s;
    enum ab_err e = store_prepare(
        st, "UPDATE alerts SET notify_count = notify_count + 1, "
            "last_notified = ?, level = ?, "
            "thread_msgid = coalesce(thread_msgid, ?) "
            "WHERE id = ? AND notify_count = ? AND resolved IS NULL",
        &s, em);
    if (e)
        return e;
    store_bind_time(s, 1, at);
    store_db_bind_int(s, 2, level);
    store_db_bind_text(s, 3, thread_msgid);
    store_db_bind_int64(s, 4, id);
    store_db_bind_int(s, 5, expect_count);
    int changed = 0;
    if ((e = update(st, s, &changed, em, "alert notify")))
        return e;
    if (changed != 1)
        return ab_fail(em, AB_EEXIST, "alert %lld: notice already claimed",
                       (long long)id);
    return AB_OK;
}

enum ab_err store_alert_resolve(store *st, int64_t id, ab_time at, ab_errmsg *em)
{
    store_db_stmt *s;
    enum ab_err e = store_prepare(
        st, "UPDATE alerts SET resolved = ? WHERE id = ? AND resolved IS NULL",
        &s, em);
    if (e)
        return e;
    store_bind_time(s, 1, at);
    store_db_bind_int64(s, 2, id);
    int changed = 0;
    if ((e = update(st, s, &changed, em, "alert resolve")))
        return e;
    if (changed != 1)
        return ab_fail(em, AB_EEXIST, "alert %lld is already resolved", (long long)id);
    return store_alert_event(st, id, at, "resolved", NULL, NULL, em);
}

enum ab_err store_alert_claim_resolved_notice(store *st, int64_t id, ab_errmsg *em)
{
    store_db_stmt *s;
    enum ab_err e = store_prepare(
        st, "UPDATE alerts SET resolved_notified = 1 WHERE id = ? AND "
            "resolved IS NOT NULL AND resolved_notified = 0",
        &s, em);
    if (e)
        return e;
    store_db_bind_int64(s, 1, id);
    int changed = 0;
    if ((e = update(st, s, &changed, em, "alert resolved notice")))
        return e;
    return changed == 1 ? AB_OK
                        : ab_fail(em, AB_EEXIST, "resolved notice already claimed");
}

enum ab_err store_alert_dismiss(store *st, int64_t id, const char *by,
                                const char *note, ab_time until, ab_time at,
                                ab_errmsg *em)
{
    store_db_stmt *s;
    enum ab_err e = store_prepare(
        st, "UPDATE alerts SET dismissed_at = ?, dismissed_by = ?, "
            "dismiss_note = ?, dismissed_until = ? WHERE id = ?",
        &s, em);
    if (e)
        return e;
    store_bind_time(s, 1, at);
    store_db_bind_text(s, 2, by);
    store_db_bind_text(s, 3, note);
    store_bind_time(s, 4, until);
    store_db_bind_int64(s, 5, id);
    int changed = 0;
    if ((e = update(st, s, &changed, em, "alert dismiss")))
        return e;
    if (changed != 1)
        return ab_fail(em, AB_ENOTFOUND, "no alert with id %lld", (long long)id);
    return store_alert_event(st, id, at, until == AB_TIME_NONE ? "dismissed" : "snoozed",
                             by, note, em);
}

enum ab_err store_alert_undismiss(store *st, int64_t id, ab_errmsg *em)
{
    store_db_stmt *s;
    enum ab_err e = store_prepare(
        st, "UPDATE alerts SET dismissed_at = NULL, dismissed_by = NULL, "
            "dismiss_note = NULL, dismissed_until = NULL WHERE id = ?",
        &s, em);
    if (e)
        return e;
    store_db_bind_int64(s, 1, id);
    return update(st, s, NULL, em, "alert undismiss");
}

enum ab_err store_alert_set_held(store *st, int64_t id, const char *held_by,
                                 ab_errmsg *em)
{
    store_db_stmt *s;
    enum ab_err e = store_prepare(st, "UPDATE alerts SET held_by = ? WHERE id = ?",
                                  &s, em);
    if (e)
        return e;
    store_db_bind_text(s, 1, held_by);
    store_db_bind_int64(s, 2, id);
    return update(st, s, NULL, em, "alert hold");
}

static int alert_row(store_db_stmt *s, void *elem)
{
    struct store_alert **slot = elem;
    *slot = from_row(s);
    return *slot == NULL;
}

static void alert_clear(void *elem)
{
    store_alert_free(*(struct store_alert **)elem);
}

enum ab_err store_alert_list(store *st, int include_closed, size_t limit,
                             struct store_alert ***out, size_t *n, ab_errmsg *em)
{
    store_db_stmt *s;
    *out = NULL;
    *n = 0;
    enum ab_err e = store_prepare(
        st, include_closed
                ? "SELECT " ALERT_COLS " FROM alerts ORDER BY resolved IS NOT NULL, "
                  "CASE WHEN resolved IS NULL THEN priority END, "
                  "CASE WHEN resolved IS NULL THEN opened END, resolved DESC LIMIT ?"
                : "SELECT " ALERT_COLS " FROM alerts WHERE resolved IS NULL "
                  "ORDER BY priority, opened LIMIT ?",
        &s, em);
    if (e)
        return e;
    /* 0: all of them (SQLite reads a negative LIMIT as none). */
    store_db_bind_int64(s, 1, limit ? (int64_t)limit : INT64_MAX);
    void *v;
    e = store_collect(st, s, sizeof **out, alert_row, alert_clear, &v, n, em, "alert list");
    *out = v;
    store_db_finalize(s);
    return e;
}

enum ab_err store_alert_event(store *st, int64_t id, ab_time at, const char *event,
                              const char *by, const char *detail, ab_errmsg *em)
{
    store_db_stmt *s;
    enum ab_err e = store_prepare(
        st, "INSERT INTO alert_events(alert_id, at, event, by_whom, detail) "
            "VALUES (?, ?, ?, ?, ?)",
        &s, em);
    if (e)
        return e;
    store_db_bind_int64(s, 1, id);
    store_bind_time(s, 2, at);
    store_db_bind_text(s, 3, event);
    store_db_bind_text(s, 4, by);
    store_db_bind_text(s, 5, detail);
    return update(st, s, NULL, em, "alert event");
}

static int event_row(store_db_stmt *s, void *elem)
{
    struct store_alert_ev *ev = elem;
    ev->at = store_column_time(s, 0);
    ev->event = store_column_dup(s, 1);
    ev->by = store_column_dup(s, 2);
    ev->detail = store_column_dup(s, 3);
    return !ev->event || (!store_db_column_is_null(s, 2) && !ev->by) ||
           (!store_db_column_is_null(s, 3) && !ev->detail);
}

static void event_clear(void *elem)
{
    struct store_alert_ev *ev = elem;
    ab_free(ev->event);
    ab_free(ev->by);
    ab_free(ev->detail);
}

enum ab_err store_alert_notes(store *st, int64_t id, size_t limit,
                              struct store_alert_ev **out, size_t *n, ab_errmsg *em)
{
    store_db_stmt *s;
    *out = NULL;
    *n = 0;
    /* The newest `limit`, shown oldest first. */
    enum ab_err e = store_prepare(
        st, "SELECT at, event, by_whom, detail FROM (SELECT id, at, event, by_whom, "
            "detail FROM alert_events WHERE alert_id = ? AND event IN ('note', 'reply') "
            "ORDER BY at DESC, id DESC LIMIT ?) AS newest ORDER BY at, id",
        &s, em);
    if (e)
        return e;
    store_db_bind_int64(s, 1, id);
    store_db_bind_int64(s, 2, (int64_t)limit);
    void *v;
    e = store_collect(st, s, sizeof **out, event_row, event_clear, &v, n, em, "alert notes");
    *out = v;
    store_db_finalize(s);
    return e;
}

void store_alert_notes_free(struct store_alert_ev *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        event_clear(&v[i]);
    ab_free(v);
}
