/*
 * store_cycles.c - heartbeat cycles (seed 000): the tokens each firing issued,
 * what came back for each, the verdict; per-address memory; reply
 * commands waiting for the engine.
 *
 * Acknowledgements, bounces and auto-replies are written by the inbox
 * (store/store_inbox.c); here they are read back per recipient.  Only verified
 * acknowledgements count towards the quorum: one from a sender outside
 * the allowed domains is shown, but proves nothing.
 */
#include "store/store_int.h"

#include <stdio.h>
#include <string.h>

#include "common/ab_mem.h"
#include "store/store_alerts.h"
#include "store/store_cycles.h"
#include "store/store_tokens.h"

static void rcpt_clear(struct store_cycle_rcpt *r)
{
    ab_free(r->address);
    ab_free(r->token);
    ab_free(r->confirmed_by);
    ab_free(r->excerpt);
    ab_free(r->bounce_detail);
    ab_free(r->autoreply_detail);
}

void store_cycle_free(struct store_cycle *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->nrcpts; i++)
        rcpt_clear(&c->rcpts[i]);
    ab_free(c->rcpts);
    ab_free(c->check);
    ab_free(c->status);
    ab_free(c);
}

void store_cycle_list_free(struct store_cycle **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        store_cycle_free(v[i]);
    ab_free(v);
}

enum ab_err store_cycle_open(store *st, const char *check, ab_time opened,
                             ab_time deadline, ab_time reminder_at, int quorum,
                             int64_t *id, ab_errmsg *em)
{
    store_db_stmt *s;
    enum ab_err e = store_prepare(
        st, "INSERT INTO cycles(check_name, opened, deadline, reminder_at, quorum) "
            "VALUES (?, ?, ?, ?, ?) RETURNING id",
        &s, em);
    if (e)
        return e;
    store_db_bind_text(s, 1, check);
    store_bind_time(s, 2, opened);
    store_bind_time(s, 3, deadline);
    store_bind_time(s, 4, reminder_at);
    store_db_bind_int(s, 5, quorum);
    if (store_step(st, s) != SDB_ROW)
        e = store_dberr(st, em, "cycle open");
    else
        *id = store_db_column_int64(s, 0);
    store_db_finalize(s);
    return e;
}

enum ab_err store_cycle_add_token(store *st, int64_t cycle_id, const char *token,
                                  const char *recipient, ab_time issued,
                                  const char *message_id, ab_errmsg *em)
{
    store_db_stmt *s;
    enum ab_err e = store_prepare(
        st, "INSERT INTO tokens(token, cycle_id, recipient, issued, message_id) "
            "VALUES (?, ?, ?, ?, ?)",
        &s, em);
    if (e)
        return e;
    store_db_bind_text(s, 1, token);
    store_db_bind_int64(s, 2, cycle_id);
    store_db_bind_text(s, 3, recipient);
    store_bind_time(s, 4, issued);
    store_db_bind_text(s, 5, message_id);
    if (store_step(st, s) != SDB_DONE)
        e = store_dberr(st, em, "token add");
    store_db_finalize(s);
    return e;
}

static void rcpt_clear_v(void *p)
{
    rcpt_clear(p);
}

static int rcpt_row(store_db_stmt *s, void *p)
{
    struct store_cycle_rcpt *r = p;
    r->address = store_column_dup(s, 0);
    r->token = store_column_dup(s, 1);
    r->issued = store_column_time(s, 2);
    r->bounced = store_column_time(s, 3);
    r->bounce_detail = store_column_dup(s, 4);
    r->autoreplied = store_column_time(s, 5);
    r->autoreply_detail = store_column_dup(s, 6);
    r->confirmed = store_column_time(s, 7);
    r->confirmed_by = store_column_dup(s, 8);
    r->excerpt = store_column_dup(s, 9);
    r->unverified = store_db_column_int(s, 10);
    return !r->address || !r->token;
}

static enum ab_err load_rcpts(store *st, struct store_cycle *c, ab_errmsg *em)
{
    store_db_stmt *s;
    enum ab_err e = store_prepare(
        st,
        "SELECT t.recipient, t.token, t.issued, t.bounced_at, t.bounce_detail, "
        "  t.autoreply_at, t.autoreply_detail, "
        "  (SELECT min(a.at) FROM acks a WHERE a.token = t.token AND a.verified = 1), "
        "  (SELECT a.by_addr FROM acks a WHERE a.token = t.token AND a.verified = 1 "
        "     ORDER BY a.at, a.id LIMIT 1), "
        "  (SELECT a.excerpt FROM acks a WHERE a.token = t.token "
        "     ORDER BY a.verified DESC, a.at, a.id LIMIT 1), "
        "  (SELECT count(*) FROM acks a WHERE a.token = t.token AND a.verified = 0) "
        "FROM tokens t WHERE t.cycle_id = ? ORDER BY t.recipient",
        &s, em);
    if (e)
        return e;
    store_db_bind_int64(s, 1, c->id);
    void *v;
    e = store_collect(st, s, sizeof *c->rcpts, rcpt_row, rcpt_clear_v, &v, &c->nrcpts,
                      em, "cycle recipients");
    c->rcpts = v;
    for (size_t i = 0; !e && i < c->nrcpts; i++)
        if (c->rcpts[i].confirmed != AB_TIME_NONE)
            c->confirmed++;
    store_db_finalize(s);
    return e;
}

#define CYCLE_COLS "id, check_name, opened, deadline, reminder_at, reminded, " \
                   "quorum, status, verdict_at"

static enum ab_err cycle_from_row(store *st, store_db_stmt *s, struct store_cycle **out,
                                  ab_errmsg *em)
{
    struct store_cycle *c = ab_calloc(1, sizeof *c);
    if (!c)
        return ab_fail(em, AB_ENOMEM, "out of memory");
    c->id = store_db_column_int64(s, 0);
    c->check = store_column_dup(s, 1);
    c->opened = store_column_time(s, 2);
    c->deadline = store_column_time(s, 3);
    c->reminder_at = store_column_time(s, 4);
    c->reminded = store_db_column_int(s, 5);
    c->quorum = store_db_column_int(s, 6);
    c->status = store_column_dup(s, 7);
    c->verdict_at = store_column_time(s, 8);
    enum ab_err e = !c->check || !c->status ? ab_fail(em, AB_ENOMEM, "out of memory")
                                            : load_rcpts(st, c, em);
    if (e) {
        store_cycle_free(c);
        return e;
    }
    *out = c;
    return AB_OK;
}

enum ab_err store_cycle_get(store *st, int64_t id, struct store_cycle **out,
                            ab_errmsg *em)
{
    store_db_stmt *s;
    *out = NULL;
    enum ab_err e = store_prepare(st, "SELECT " CYCLE_COLS " FROM cycles WHERE id = ?",
                                  &s, em);
    if (e)
        return e;
    store_db_bind_int64(s, 1, id);
    int rc = store_step(st, s);
    if (rc == SDB_ROW)
        e = cycle_from_row(st, s, out, em);
    else if (rc == SDB_DONE)
        e = ab_fail(em, AB_ENOTFOUND, "no heartbeat cycle %lld", (long long)id);
    else
        e = store_dberr(st, em, "cycle get");
    store_db_finalize(s);
    return e;
}

enum ab_err store_cycle_list(store *st, const char *check, int open_only,
                             size_t limit, struct store_cycle ***out, size_t *n,
                             ab_errmsg *em)
{
    store_db_stmt *s;
    struct store_cycle **v = NULL;
    size_t cnt = 0;
    *out = NULL;
    *n = 0;
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT " CYCLE_COLS " FROM cycles WHERE (?1 IS NULL OR check_name = ?1)"
             "%s ORDER BY opened DESC, id DESC LIMIT ?2",
             open_only ? " AND status IN ('Pending','Held')" : "");
    enum ab_err e = store_prepare(st, sql, &s, em);
    if (e)
        return e;
    store_db_bind_text(s, 1, check);
    store_db_bind_int64(s, 2, (int64_t)limit);
    v = ab_calloc(limit ? limit : 1, sizeof *v);
    if (!v) {
        e = ab_fail(em, AB_ENOMEM, "out of memory");
        goto out;
    }
    int rc = SDB_DONE;
    while (cnt < limit && (rc = store_step(st, s)) == SDB_ROW) {
        if ((e = cycle_from_row(st, s, &v[cnt], em)))
            goto out;
        cnt++;
    }
    if (rc != SDB_DONE && rc != SDB_ROW) {
        e = store_dberr(st, em, "cycle list");
        goto out;
    }
    *out = v;
    *n = cnt;
    v = NULL;
out:
    if (v)
        store_cycle_list_free(v, cnt);
    store_db_finalize(s);
    return e;
}

/* An UPDATE whose single changed row is the claim. */
static enum ab_err claim(store *st, store_db_stmt *s, ab_errmsg *em, const char *what)
{
    enum ab_err e = AB_OK;
    if (store_step(st, s) != SDB_DONE)
        e = store_dberr(st, em, what);
    else if (store_db_changes(st) != 1)
        e = ab_fail(em, AB_EEXIST, "%s: already done", what);
    store_db_finalize(s);
    return e;
}

enum ab_err store_cycle_verdict(store *st, int64_t id, const char *status,
                                ab_time at, ab_errmsg *em)
{
    store_db_stmt *s;
    enum ab_err e = store_prepare(
        st, "UPDATE cycles SET status = ?1, verdict_at = ?2 WHERE id = ?3 "
            "AND status <> ?1",
        &s, em);
    if (e)
        return e;
    store_db_bind_text(s, 1, status);
    store_bind_time(s, 2, at);
    store_db_bind_int64(s, 3, id);
    return claim(st, s, em, "cycle verdict");
}

enum ab_err store_cycle_claim_reminder(store *st, int64_t id, ab_errmsg *em)
{
    store_db_stmt *s;
    enum ab_err e = store_prepare(
        st, "UPDATE cycles SET reminded = 1 WHERE id = ? AND reminded = 0", &s, em);
    if (e)
        return e;
    store_db_bind_int64(s, 1, id);
    return claim(st, s, em, "cycle reminder");
}

enum ab_err store_ack_manual(store *st, const char *token, const char *by,
                             const char *note, ab_time at, int64_t *cycle_id,
                             ab_errmsg *em)
{
    char *rcpt = NULL;
    enum ab_err e = store_token_lookup(st, token, cycle_id, &rcpt, em);
    if (e == AB_ENOTFOUND)
        return ab_fail(em, AB_ENOTFOUND, "token %s was never issued", token);
    if (e)
        return e;
    store_db_stmt *s;
    if ((e = store_prepare(st,
                           "INSERT INTO acks(token, cycle_id, by_addr, for_addr, at, "
                           "verified, via, excerpt, message_id) "
                           "VALUES (?, ?, ?, ?, ?, 1, 'manual', ?, ?)",
                           &s, em)))
        goto out;
    /* A synthetic Message-ID keeps acks unique per event, like mail. */
    char iso[AB_ISO_LEN], msgid[512];
    snprintf(msgid, sizeof msgid, "<manual.%s.%s.%s@ackbeat>", token,
             ab_time_format(at, iso, sizeof iso), by);
    store_db_bind_text(s, 1, token);
    store_db_bind_int64(s, 2, *cycle_id);
    store_db_bind_text(s, 3, by);
    store_db_bind_text(s, 4, rcpt);
    store_bind_time(s, 5, at);
    store_db_bind_text(s, 6, note);
    store_db_bind_text_copy(s, 7, msgid);
    if (store_step(st, s) != SDB_DONE)
        e = store_dberr(st, em, "manual ack");
    store_db_finalize(s);
out:
    ab_free(rcpt);
    return e;
}

void store_recipient_free(struct store_recipient *r)
{
    if (!r)
        return;
    ab_free(r->address);
    ab_free(r->bounce_detail);
    ab_free(r);
}

enum ab_err store_recipient_tally(store *st, const char *address, int confirmed,
                                  ab_time at, ab_errmsg *em)
{
    store_db_stmt *s;
    enum ab_err e = store_prepare(
        st, confirmed
                ? "INSERT INTO recipients(address, missed_streak, last_confirmed) "
                  "VALUES (?1, 0, ?2) ON CONFLICT(address) DO UPDATE SET "
                  "missed_streak = 0, last_confirmed = ?2"
                : "INSERT INTO recipients(address, missed_streak) VALUES (?1, 1) "
                  "ON CONFLICT(address) DO UPDATE SET missed_streak = recipients.missed_streak + 1",
        &s, em);
    if (e)
        return e;
    store_db_bind_text(s, 1, address);
    if (confirmed)
        store_bind_time(s, 2, at);
    if (store_step(st, s) != SDB_DONE)
        e = store_dberr(st, em, "recipient tally");
    store_db_finalize(s);
    return e;
}

enum ab_err store_recipient_get(store *st, const char *address,
                                struct store_recipient **out, ab_errmsg *em)
{
    store_db_stmt *s;
    *out = NULL;
    enum ab_err e = store_prepare(
        st, "SELECT address, missed_streak, last_confirmed, bounced_at, bounce_detail "
            "FROM recipients WHERE address = ? COLLATE NOCASE",
        &s, em);
    if (e)
        return e;
    store_db_bind_text(s, 1, address);
    int rc = store_step(st, s);
    if (rc == SDB_ROW) {
        struct store_recipient *r = ab_calloc(1, sizeof *r);
        if (r) {
            r->address = store_column_dup(s, 0);
            r->missed_streak = store_db_column_int(s, 1);
            r->last_confirmed = store_column_time(s, 2);
            r->bounced_at = store_column_time(s, 3);
            r->bounce_detail = store_column_dup(s, 4);
        }
        if (!r || !r->address) {
            store_recipient_free(r);
            e = ab_fail(em, AB_ENOMEM, "out of memory");
        } else {
            *out = r;
        }
    } else if (rc == SDB_DONE) {
        e = AB_ENOTFOUND;
    } else {
        e = store_dberr(st, em, "recipient get");
    }
    store_db_finalize(s);
    return e;
}

enum ab_err store_recipient_flagged(store *st, int min_missed,
                                    struct store_recipient ***out, size_t *n,
                                    ab_errmsg *em)
{
    store_db_stmt *s;
    struct store_recipient **v = NULL;
    size_t cnt = 0, cap = 0;
    *out = NULL;
    *n = 0;
    enum ab_err e = store_prepare(
        st, "SELECT address, missed_streak, last_confirmed, bounced_at, bounce_detail "
            "FROM recipients WHERE bounced_at IS NOT NULL OR missed_streak >= ? "
            "ORDER BY address",
        &s, em);
    if (e)
        return e;
    store_db_bind_int(s, 1, min_missed);
    int rc;
    while ((rc = store_step(st, s)) == SDB_ROW) {
        if (cnt == cap) {
            size_t nc = cap ? cap * 2 : 8;
            struct store_recipient **p = ab_realloc(v, nc * sizeof *p);
            if (!p) {
                e = ab_fail(em, AB_ENOMEM, "out of memory");
                goto out;
            }
            v = p;
            cap = nc;
        }
        struct store_recipient *r = ab_calloc(1, sizeof *r);
        if (!r) {
            e = ab_fail(em, AB_ENOMEM, "out of memory");
            goto out;
        }
        v[cnt++] = r;
        r->address = store_column_dup(s, 0);
        r->missed_streak = store_db_column_int(s, 1);
        r->last_confirmed = store_column_time(s, 2);
        r->bounced_at = store_column_time(s, 3);
        r->bounce_detail = store_column_dup(s, 4);
    }
    if (rc != SDB_DONE) {
        e = store_dberr(st, em, "flagged recipients");
        goto out;
    }
    *out = v;
    *n = cnt;
    v = NULL;
out:
    for (size_t i = 0; v && i < cnt; i++)
        store_recipient_free(v[i]);
    ab_free(v);
    store_db_finalize(s);
    return e;
}

static void cmd_clear(void *p);

void store_reply_cmds_free(struct store_reply_cmd *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        cmd_clear(&v[i]);
    ab_free(v);
}

static void cmd_clear(void *p)
{
    struct store_reply_cmd *c = p;
    ab_free(c->token);
    ab_free(c->from_addr);
    ab_free(c->detail);
}

static int cmd_row(store_db_stmt *s, void *p)
{
    struct store_reply_cmd *c = p;
    c->id = store_db_column_int64(s, 0);
    c->token = store_column_dup(s, 1);
    c->from_addr = store_column_dup(s, 2);
    c->detail = store_column_dup(s, 3);
    c->received = store_column_time(s, 4);
    return !c->detail;
}

enum ab_err store_reply_cmds_pending(store *st, struct store_reply_cmd **out,
                                     size_t *n, ab_errmsg *em)
{
    store_db_stmt *s;
    enum ab_err e = store_prepare(
        st, "SELECT id, token, from_addr, detail, received FROM inbox_messages "
            "WHERE cmd_done = 0 AND (class = 'ack' OR detail LIKE '%; ambiguous:%') "
            "AND detail LIKE '%cmd=%' ORDER BY id",
        &s, em);
    if (e)
        return e;
    void *v;
    e = store_collect(st, s, sizeof **out, cmd_row, cmd_clear, &v, n, em,
                      "reply commands");
    *out = v;
    store_db_finalize(s);
    return e;
}

enum ab_err store_reply_cmd_done(store *st, int64_t id, ab_errmsg *em)
{
    store_db_stmt *s;
    enum ab_err e = store_prepare(
        st, "UPDATE inbox_messages SET cmd_done = 1 WHERE id = ? AND cmd_done = 0",
        &s, em);
    if (e)
        return e;
    store_db_bind_int64(s, 1, id);
    return claim(st, s, em, "reply command");
}
