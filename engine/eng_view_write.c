/*
 * eng_view_write.c - the writes the views trigger, so that cli/ and web/
 * never touch the store: a ping or a report taken over HTTP (one
 * transaction each, for all it leads to), silences and pauses.  Dismiss,
 * snooze and note are engine/eng_answer.c's; `ack` is with the cycles.
 */
#include "engine/eng_int.h"

/* One transaction for the ping and everything it leads to (a run, an
 * alert, its notice): one commit, one fsync, instead of one for each of
 * the engine's steps; and all of it or none. */
enum ab_err eng_ping_atomic(eng *e, const char *check, enum store_ping_kind kind,
                            int exit_code, const char *via, const char *detail,
                            ab_time now, ab_errmsg *em)
{
    enum ab_err err = store_begin(e->st, em);
    if (err)
        return err;
    err = eng_ping(e, check, kind, exit_code, via, detail, now, em);
    if (err) {
        store_rollback(e->st);
        return err;
    }
    return store_commit(e->st, em);
}

enum ab_err eng_report_atomic(eng *e, const char *check, const struct eng_report_item *v,
                              size_t n, ab_time now, ab_errmsg *em)
{
    enum ab_err err = store_begin(e->st, em);
    for (size_t i = 0; i < n && !err; i++)
        err = eng_report(e, check, v[i].item, v[i].status, v[i].has_value, v[i].value,
                         v[i].message, now, em);
    if (err) {
        store_rollback(e->st);
        return err;
    }
    return store_commit(e->st, em);
}

enum ab_err eng_silence_add(eng *e, const struct store_silence *s, int64_t *id,
                            ab_errmsg *em)
{
    return store_silence_add(e->st, s, id, em);
}

enum ab_err eng_view_silences(eng *e, int all, ab_time now, struct store_silence **out,
                              size_t *n, ab_errmsg *em)
{
    return store_silence_list(e->st, all, now, out, n, em);
}

void eng_view_silences_free(struct store_silence *v, size_t n)
{
    store_silences_free(v, n);
}

enum ab_err eng_silence_expire(eng *e, int64_t id, ab_time now, ab_errmsg *em)
{
    return store_silence_expire(e->st, id, now, em);
}

enum ab_err eng_pause(eng *e, const char *check, ab_time until, const char *by,
                      const char *note, ab_time now, ab_errmsg *em)
{
    return store_pause_set(e->st, check, until, by, note, now, em);
}

enum ab_err eng_resume(eng *e, const char *check, ab_errmsg *em)
{
    return store_pause_clear(e->st, check, em);
}
