/*
 * store_silences.c - silences set ahead of time and paused checks.
 *
 * A silence (as Alertmanager's) holds matchers, a window and who set it
 * and why; the engine drops the notices of alerts it matches while it is
 * active.  A pause stops a check altogether until a time or until it is
 * resumed.  Both are state, not config: they are set at run time from the
 * CLI and outlive reloads.
 */
#include "store/store_int.h"

#include <string.h>

#include "common/ab_mem.h"
#include "store/store_silences.h"

static void silence_clear(void *p)
{
    struct store_silence *x = p;
    ab_free(x->check_glob);
    ab_free(x->item);
    ab_free(x->tag);
    ab_free(x->created_by);
    ab_free(x->comment);
}

void store_silences_free(struct store_silence *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        silence_clear(&v[i]);
    ab_free(v);
}

enum ab_err store_silence_add(store *st, const struct store_silence *x, int64_t *id,
                              ab_errmsg *em)
{
    store_db_stmt *s;
    enum ab_err e = store_prepare(
        st, "INSERT INTO silences(check_glob, item, tag, starts, ends, created_by, comment, "
            "created) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        &s, em);
    if (e)
        return e;
    store_db_bind_text(s, 1, x->check_glob);
    store_db_bind_text(s, 2, x->item);
    store_db_bind_text(s, 3, x->tag);
    store_bind_time(s, 4, x->starts);
    store_bind_time(s, 5, x->ends);
    store_db_bind_text(s, 6, x->created_by);
    store_db_bind_text(s, 7, x->comment);
    store_bind_time(s, 8, x->created);
    if (store_step(st, s) != SDB_ROW)
        e = store_dberr(st, em, "silence add");
    else if (id)
        *id = store_db_column_int64(s, 0);
    store_db_finalize(s);
    return e;
}

static int silence_row(store_db_stmt *s, void *p)
{
    struct store_silence *x = p;
    x->id = store_db_column_int64(s, 0);
    x->check_glob = store_column_dup(s, 1);
    x->item = store_column_dup(s, 2);
    x->tag = store_column_dup(s, 3);
    x->starts = store_column_time(s, 4);
    x->ends = store_column_time(s, 5);
    x->created_by = store_column_dup(s, 6);
    x->comment = store_column_dup(s, 7);
    x->created = store_column_time(s, 8);
    x->expired = store_column_time(s, 9);
    return !x->created_by;
}

enum ab_err store_silence_list(store *st, int all, ab_time now, struct store_silence **out,
                               size_t *n, ab_errmsg *em)
{
    store_db_stmt *s;
    enum ab_err e = store_prepare(
        st, "SELECT id, check_glob, item, tag, starts, ends, created_by, comment, created, "
            "expired FROM silences WHERE ? = 1 OR (expired IS NULL AND ends > ?) ORDER BY id",
        &s, em);
    if (e)
        return e;
    store_db_bind_int(s, 1, all != 0);
    store_bind_time(s, 2, now);
    void *v = NULL;
    e = store_collect(st, s, sizeof **out, silence_row, silence_clear, &v, n, em, "silences");
    store_db_finalize(s);
    *out = v;
    return e;
}

enum ab_err store_silence_expire(store *st, int64_t id, ab_time now, ab_errmsg *em)
{
    store_db_stmt *s;
    enum ab_err e = store_prepare(st,
                                  "UPDATE silences SET expired = ? WHERE id = ? AND "
                                  "expired IS NULL AND ends > ?",
                                  &s, em);
    if (e)
        return e;
    store_bind_time(s, 1, now);
    store_db_bind_int64(s, 2, id);
    store_bind_time(s, 3, now);
    if (store_step(st, s) != SDB_DONE)
        e = store_dberr(st, em, "silence expire");
    else if (store_db_changes(st) == 0)
        e = ab_fail(em, AB_ENOTFOUND, "no running silence #%lld", (long long)id);
    store_db_finalize(s);
    return e;
}

static void pause_clear(void *p)
{
    struct store_pause *x = p;
    ab_free(x->check);
    ab_free(x->by);
    ab_free(x->note);
}

void store_pauses_free(struct store_pause *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        pause_clear(&v[i]);
    ab_free(v);
}

enum ab_err store_pause_set(store *st, const char *check, ab_time until, const char *by,
                            const char *note, ab_time now, ab_errmsg *em)
{
    store_db_stmt *s;
    enum ab_err e = store_prepare(
        st, "INSERT INTO paused(check_name, until, by_whom, note, at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (check_name) DO UPDATE SET "
            "until = excluded.until, by_whom = excluded.by_whom, "
            "note = excluded.note, at = excluded.at",
        &s, em);
    if (e)
        return e;
    store_db_bind_text(s, 1, check);
    store_bind_time(s, 2, until);
    store_db_bind_text(s, 3, by);
    store_db_bind_text(s, 4, note);
    store_bind_time(s, 5, now);
    if (store_step(st, s) != SDB_DONE)
        e = store_dberr(st, em, "pause");
    store_db_finalize(s);
    return e;
}

enum ab_err store_pause_clear(store *st, const char *check, ab_errmsg *em)
{
    store_db_stmt *s;
    enum ab_err e = store_prepare(st, "DELETE FROM paused WHERE check_name = ?", &s, em);
    if (e)
        return e;
    store_db_bind_text(s, 1, check);
    if (store_step(st, s) != SDB_DONE)
        e = store_dberr(st, em, "resume");
    else if (store_db_changes(st) == 0)
        e = ab_fail(em, AB_ENOTFOUND, "check %s is not paused", check);
    store_db_finalize(s);
    return e;
}

static int pause_row(store_db_stmt *s, void *p)
{
    struct store_pause *x = p;
    x->check = store_column_dup(s, 0);
    x->until = store_column_time(s, 1);
    x->by = store_column_dup(s, 2);
    x->note = store_column_dup(s, 3);
    x->at = store_column_time(s, 4);
    return !x->check || !x->by;
}

enum ab_err store_pause_list(store *st, ab_time now, struct store_pause **out, size_t *n,
                             ab_errmsg *em)
{
    store_db_stmt *s;
    enum ab_err e = store_prepare(st,
                                  "SELECT check_name, until, by_whom, note, at FROM paused "
                                  "WHERE until IS NULL OR until > ? ORDER BY check_name",
                                  &s, em);
    if (e)
        return e;
    store_bind_time(s, 1, now);
    void *v = NULL;
    e = store_collect(st, s, sizeof **out, pause_row, pause_clear, &v, n, em, "pauses");
    store_db_finalize(s);
    *out = v;
    return e;
}
