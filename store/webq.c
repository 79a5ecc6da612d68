/*
 * webq.c - read-only queries for the web pages and metrics (web/).
 *
 * The status page shows heartbeat cycles with, per recipient, who
 * confirmed, who bounced and who only auto-replied; the metrics need the
 * age of the last inbox read over every mailbox.  These read the cycles,
 * tokens, acks and inbox_state tables and never write: the heartbeat and
 * inbox code own those rows.
 */
#include "store/store_int.h"

#include <string.h>

#include "common/ab_mem.h"

void store_webq_cycles_free(struct store_webq_cycle *v, size_t n)
{
    if (!v)
        return;
    for (size_t i = 0; i < n; i++) {
        ab_free(v[i].check);
        ab_free(v[i].status);
        for (size_t j = 0; j < v[i].nrcpts; j++) {
            struct store_webq_rcpt *r = &v[i].rcpts[j];
            ab_free(r->address);
            ab_free(r->confirmed_by);
            ab_free(r->bounce_detail);
            ab_free(r->autoreply_detail);
        }
        ab_free(v[i].rcpts);
    }
    ab_free(v);
}

/* The recipients of one cycle with their first acknowledgement. */
static enum ab_err load_rcpts(store *st, struct store_webq_cycle *c, ab_errmsg *em)
{
    sqlite3_stmt *s;
    /* One row per token; the earliest ack for that recipient wins (a
     * colleague may have confirmed for them: by_addr differs). */
    enum ab_err e = store_prepare(
        st,
        "SELECT t.recipient, t.issued, t.bounced_at, t.bounce_detail, "
        "  t.autoreply_at, t.autoreply_detail, "
        "  (SELECT a.at FROM acks a WHERE a.cycle_id = t.cycle_id AND "
        "     (a.token = t.token OR a.for_addr = t.recipient) "
        "     ORDER BY a.at, a.id LIMIT 1), "
        "  (SELECT a.by_addr FROM acks a WHERE a.cycle_id = t.cycle_id AND "
        "     (a.token = t.token OR a.for_addr = t.recipient) "
        "     ORDER BY a.at, a.id LIMIT 1) "
        "FROM tokens t WHERE t.cycle_id = ? ORDER BY t.recipient",
        &s, em);
    if (e)
        return e;
    sqlite3_bind_int64(s, 1, c->id);
    size_t cap = 0;
    int rc;
    while ((rc = store_step(st, s)) == SQLITE_ROW) {
        if (c->nrcpts == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            struct store_webq_rcpt *nv = ab_realloc(c->rcpts, ncap * sizeof *nv);
            if (!nv) {
                e = ab_fail(em, AB_ENOMEM, "out of memory");
                goto out;
            }
            c->rcpts = nv;
            cap = ncap;
        }
        struct store_webq_rcpt *r = &c->rcpts[c->nrcpts];
        memset(r, 0, sizeof *r);
        c->nrcpts++;
        r->address = store_column_dup(s, 0);
        r->issued = store_column_time(s, 1);
        r->bounced = store_column_time(s, 2);
        r->bounce_detail = store_column_dup(s, 3);
        r->autoreplied = store_column_time(s, 4);
        r->autoreply_detail = store_column_dup(s, 5);
        r->confirmed = store_column_time(s, 6);
        r->confirmed_by = store_column_dup(s, 7);
        if (!r->address) {
            e = ab_fail(em, AB_ENOMEM, "out of memory");
            goto out;
        }
    }
    if (rc != SQLITE_DONE)
        e = store_dberr(st, em, "web cycle recipients");
out:
    sqlite3_finalize(s);
    return e;
}

enum ab_err store_webq_cycles(store *st, const char *check, size_t limit,
                              struct store_webq_cycle **out, size_t *n,
                              ab_errmsg *em)
{
    *out = NULL;
    *n = 0;
    if (limit == 0)
        return AB_OK;
    sqlite3_stmt *s;
    enum ab_err e = store_prepare(
        st,
        "SELECT id, check_name, opened, deadline, quorum, status, verdict_at "
        "FROM cycles WHERE ?1 IS NULL OR check_name = ?1 "
        "ORDER BY opened DESC, id DESC LIMIT ?2",
        &s, em);
    if (e)
        return e;
    if (check)
        sqlite3_bind_text(s, 1, check, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, 1);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)limit);
    struct store_webq_cycle *v = ab_calloc(limit, sizeof *v);
    size_t cnt = 0;
    if (!v) {
        e = ab_fail(em, AB_ENOMEM, "out of memory");
        goto out;
    }
    int rc;
    while (cnt < limit && (rc = store_step(st, s)) == SQLITE_ROW) {
        struct store_webq_cycle *c = &v[cnt++];
        c->id = sqlite3_column_int64(s, 0);
        c->check = store_column_dup(s, 1);
        c->opened = store_column_time(s, 2);
        c->deadline = store_column_time(s, 3);
        c->quorum = sqlite3_column_int(s, 4);
        c->status = store_column_dup(s, 5);
        c->verdict_at = store_column_time(s, 6);
        if (!c->check || !c->status) {
            e = ab_fail(em, AB_ENOMEM, "out of memory");
            goto out;
        }
    }
    if (cnt < limit && rc != SQLITE_DONE) {
        e = store_dberr(st, em, "web cycles");
        goto out;
    }
    /* Recipients after the cycles' statement is done with: one reader
     * at a time keeps this simple to reason about. */
    sqlite3_finalize(s);
    s = NULL;
    for (size_t i = 0; i < cnt && !e; i++)
        e = load_rcpts(st, &v[i], em);
out:
    sqlite3_finalize(s);
    if (e) {
        store_webq_cycles_free(v, cnt);
        return e;
    }
    *out = v;
    *n = cnt;
    return AB_OK;
}

enum ab_err store_webq_inbox(store *st, struct store_webq_inbox *out, ab_errmsg *em)
{
    memset(out, 0, sizeof *out);
    out->last_ok = AB_TIME_NONE;
    out->last_attempt = AB_TIME_NONE;
    sqlite3_stmt *s;
    /* ISO UTC text compares as time, so MAX() is the newest instant. */
    enum ab_err e = store_prepare(
        st,
        "SELECT COUNT(*), MAX(last_ok), MAX(last_attempt), "
        "  (SELECT last_error FROM inbox_state WHERE last_error IS NOT NULL "
        "     ORDER BY last_attempt DESC LIMIT 1) FROM inbox_state",
        &s, em);
    if (e)
        return e;
    if (store_step(st, s) == SQLITE_ROW) {
        out->mailboxes = sqlite3_column_int(s, 0);
        out->last_ok = store_column_time(s, 1);
        out->last_attempt = store_column_time(s, 2);
        out->last_error = store_column_dup(s, 3);
    } else {
        e = store_dberr(st, em, "web inbox state");
    }
    sqlite3_finalize(s);
    return e;
}

enum ab_err store_webq_alert_counts(store *st, ab_time now,
                                    struct store_webq_alert_counts *out, ab_errmsg *em)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *s;
    /* A snooze that ran out counts as active again, as the engine's
     * follow-up will treat it. */
    enum ab_err e = store_prepare(
        st,
        "SELECT MIN(MAX(priority, 1), 4), COUNT(*), "
        "  SUM(dismissed_at IS NULL OR "
        "      (dismissed_until IS NOT NULL AND dismissed_until <= ?)) "
        "FROM alerts WHERE resolved IS NULL GROUP BY 1",
        &s, em);
    if (e)
        return e;
    store_bind_time(s, 1, now);
    int rc;
    while ((rc = store_step(st, s)) == SQLITE_ROW) {
        int p = sqlite3_column_int(s, 0);
        int64_t n = sqlite3_column_int64(s, 1), act = sqlite3_column_int64(s, 2);
        out->open += n;
        out->active += act;
        if (p >= 1 && p <= 4)
            out->by_priority[p] += act;
    }
    if (rc != SQLITE_DONE)
        e = store_dberr(st, em, "web alert counts");
    sqlite3_finalize(s);
    return e;
}
