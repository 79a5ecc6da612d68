/*
 * store_inbox.c - the inbox's state: how far each mailbox has been read
 * (inbox_state), every message handled (inbox_messages), and what the
 * messages meant (acks, token bounce/auto-reply marks, recipients'
 * bounces, email pings).  Token lookups for the classifier live here too.
 *
 * Kill safety rests on two things: the caller records a batch of
 * messages and advances last_uid in one transaction, and every message is
 * keyed twice, on (mailbox, uidvalidity, uid) and on Message-ID, so that
 * a re-read after a crash or a UIDVALIDITY change finds it already done.
 */
#include "store/store_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/ab_mem.h"
#include "store/store_alerts.h"
#include "store/store_inbox.h"

enum ab_err store_inbox_state_get(store *st, const char *mailbox,
                                  struct store_inbox_state *out, ab_errmsg *em)
{
    store_db_stmt *s;
    memset(out, 0, sizeof *out);
    out->uidvalidity = -1;
    out->last_ok = out->last_attempt = AB_TIME_NONE;
    enum ab_err e = store_prepare(
        st, "SELECT uidvalidity, last_uid, last_ok, last_attempt, last_error "
            "FROM inbox_state WHERE mailbox = ?",
        &s, em);
    if (e)
        return e;
    store_db_bind_text(s, 1, mailbox);
    int rc = store_step(st, s);
    if (rc == SDB_ROW) {
        out->uidvalidity = store_db_column_is_null(s, 0)
                               ? -1
                               : store_db_column_int64(s, 0);
        out->last_uid = store_db_column_int64(s, 1);
        out->last_ok = store_column_time(s, 2);
        out->last_attempt = store_column_time(s, 3);
        out->last_error = store_column_dup(s, 4);
    } else if (rc == SDB_DONE) {
        e = ab_fail(em, AB_ENOTFOUND, "mailbox %s was never read", mailbox);
    } else {
        e = store_dberr(st, em, "inbox state");
    }
    store_db_finalize(s);
    return e;
}

enum ab_err store_inbox_progress(store *st, const char *mailbox, int64_t uidvalidity,
                                 int64_t last_uid, ab_errmsg *em)
{
    store_db_stmt *s;
    enum ab_err e = store_prepare(
        st, "INSERT INTO inbox_state(mailbox, uidvalidity, last_uid) VALUES (?, ?, ?) "
            "ON CONFLICT(mailbox) DO UPDATE SET uidvalidity = excluded.uidvalidity, "
            "last_uid = excluded.last_uid",
        &s, em);
    if (e)
        return e;
    store_db_bind_text(s, 1, mailbox);
    store_db_bind_int64(s, 2, uidvalidity);
    store_db_bind_int64(s, 3, last_uid);
    if (store_step(st, s) != SDB_DONE)
        e = store_dberr(st, em, "inbox progress");
    store_db_finalize(s);
    return e;
}

enum ab_err store_inbox_attempt(store *st, const char *mailbox, ab_time now,
                                const char *err, ab_errmsg *em)
{
    store_db_stmt *s;
    enum ab_err e = store_prepare(
        st, err ? "INSERT INTO inbox_state(mailbox, last_attempt, last_error) "
                  "VALUES (?1, ?2, ?3) ON CONFLICT(mailbox) DO UPDATE SET "
                  "last_attempt = ?2, last_error = ?3"
                : "INSERT INTO inbox_state(mailbox, last_attempt, last_ok) "
                  "VALUES (?1, ?2, ?2) ON CONFLICT(mailbox) DO UPDATE SET "
                  "last_attempt = ?2, last_ok = ?2, last_error = NULL",
        &s, em);
    if (e)
        return e;
    store_db_bind_text(s, 1, mailbox);
    store_bind_time(s, 2, now);
    if (err)
        store_db_bind_text(s, 3, err);
    if (store_step(st, s) != SDB_DONE)
        e = store_dberr(st, em, "inbox attempt");
    store_db_finalize(s);
    return e;
}

enum ab_err store_inbox_seen(store *st, const char *mailbox, int64_t uidvalidity,
                             int64_t uid, const char *message_id, int *seen,
                             ab_errmsg *em)
{
    store_db_stmt *s;
    *seen = 0;
    enum ab_err e = store_prepare(
        st, "SELECT 1 FROM inbox_messages WHERE (mailbox = ?1 AND uidvalidity = ?2 "
            "AND uid = ?3) OR (?4 IS NOT NULL AND message_id = ?4) LIMIT 1",
        &s, em);
    if (e)
        return e;
    store_db_bind_text(s, 1, mailbox);
    store_db_bind_int64(s, 2, uidvalidity);
    store_db_bind_int64(s, 3, uid);
    store_db_bind_text(s, 4, message_id);
    int rc = store_step(st, s);
    if (rc == SDB_ROW)
        *seen = 1;
    else if (rc != SDB_DONE)
        e = store_dberr(st, em, "inbox seen");
    store_db_finalize(s);
    return e;
}

/* Run one statement with text/int parameters given as a format:
 * 's' text (NULL ok), 'i' int64, 't' ab_time. */
static enum ab_err run(store *st, const char *what, const char *sql,
                       const char *fmt, ab_errmsg *em, ...)
{
    store_db_stmt *s;
    enum ab_err e = store_prepare(st, sql, &s, em);
    if (e)
        return e;
    va_list ap;
    va_start(ap, em);
    for (int i = 0; fmt[i]; i++) {
        if (fmt[i] == 's')
            store_db_bind_text_copy(s, i + 1, va_arg(ap, const char *));
        else if (fmt[i] == 'i')
            store_db_bind_int64(s, i + 1, va_arg(ap, int64_t));
        else
            store_bind_time(s, i + 1, va_arg(ap, ab_time));
    }
    va_end(ap);
    if (store_step(st, s) != SDB_DONE)
        e = store_dberr(st, em, what);
    store_db_finalize(s);
    return e;
}

/* A bounce of an issued token: the token is marked (a delay only gets
 * a note) and its recipient flagged with the reason.  A bounce that
 * returns no token of ours names nobody we asked: anyone can write
 * "Undelivered Mail" with a made-up address, so it flags no one. */
static enum ab_err record_bounce(store *st, const struct store_inbox_rec *r,
                                 ab_errmsg *em)
{
    if (!r->token || !r->issued)
        return AB_OK;
    char detail[1024];
    snprintf(detail, sizeof detail, "%s %s", r->delay ? "delayed:" : "failed:",
             r->bounce_line && *r->bounce_line ? r->bounce_line
                                               : (r->for_addr ? r->for_addr : "?"));
    enum ab_err e = run(st, "token bounce",
                        r->delay ? "UPDATE tokens SET bounce_detail = ?2 WHERE token = ?1 "
                                   "AND bounced_at IS NULL"
                                 : "UPDATE tokens SET bounced_at = COALESCE(bounced_at, ?3), "
                                   "bounce_detail = ?2 WHERE token = ?1",
                        r->delay ? "ss" : "sst", em, r->token, detail, r->received);
    if (e || r->delay || !r->for_addr || !*r->for_addr)
        return e;
    return run(st, "recipient bounce",
               "INSERT INTO recipients(address, bounced_at, bounce_detail) "
               "VALUES (?1, ?2, ?3) ON CONFLICT(address) DO UPDATE SET "
               "bounced_at = ?2, bounce_detail = ?3",
               "sts", em, r->for_addr, r->received, detail);
}

enum ab_err store_inbox_record(store *st, const struct store_inbox_rec *r,
                               int *dup, ab_errmsg *em)
{
    enum ab_err e = store_inbox_seen(st, r->mailbox, r->uidvalidity, r->uid,
                                     r->message_id, dup, em);
    if (e || *dup)
        return e;
    if ((e = run(st, "inbox message",
                 "INSERT INTO inbox_messages(mailbox, uidvalidity, uid, message_id, "
                 "received, class, token, from_addr, detail) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 "siistssss", em, r->mailbox, r->uidvalidity, r->uid,
                 r->message_id, r->received, r->klass, r->token, r->from_addr,
                 r->detail)))
        return e;
    if (strcmp(r->klass, "ack") == 0 && r->token && r->issued && r->alert_id) {
        /* A reply to an alert: its history shows who answered and what;
         * a command in it is the engine's to apply (cmd_done). */
        char by[600];
        snprintf(by, sizeof by, "%s%s", r->from_addr ? r->from_addr : "?",
                 r->verified ? "" : " (unverified)");
        e = store_alert_event(st, r->alert_id, r->received, "reply", by, r->excerpt, em);
        /* A plain "yes, I got it" to a heartbeat alert's notice, from one
         * of the people that heartbeat asks, is their confirmation of its
         * newest cycle, exactly as a reply to the request would be: the
         * notice asks them to reply, so they do. */
        if (!e && r->verified && !r->has_cmd && r->for_addr)
            e = run(st, "ack by notice",
                    "INSERT INTO acks(token, cycle_id, by_addr, for_addr, at, "
                    "verified, via, excerpt, message_id) "
                    "SELECT t.token, t.cycle_id, ?1, t.recipient, ?2, 1, 'email', ?3, ?4 "
                    "FROM tokens t JOIN cycles c ON c.id = t.cycle_id "
                    "WHERE c.check_name = (SELECT check_name FROM alerts WHERE id = ?5) "
                    "AND t.recipient = ?6 COLLATE NOCASE "
                    "ORDER BY c.opened DESC, c.id DESC LIMIT 1 ON CONFLICT DO NOTHING",
                    "stssis", em, r->from_addr ? r->from_addr : "", r->received,
                    r->excerpt, r->message_id, r->alert_id, r->for_addr);
    } else if (strcmp(r->klass, "ack") == 0 && r->token && r->issued) {
        /* DO NOTHING: the same reply under another Message-ID cannot
         * happen, the same one twice must not count twice. */
        e = run(st, "ack",
                "INSERT INTO acks(token, cycle_id, by_addr, for_addr, at, "
                "verified, via, excerpt, message_id) "
                "VALUES (?, ?, ?, ?, ?, ?, 'email', ?, ?) ON CONFLICT DO NOTHING",
                "sisstiss", em, r->token, r->cycle_id,
                r->from_addr ? r->from_addr : "", r->for_addr ? r->for_addr : "",
                r->received, (int64_t)(r->verified ? 1 : 0), r->excerpt, r->message_id);
    } else if (strcmp(r->klass, "bounce") == 0) {
        e = record_bounce(st, r, em);
    } else if (strcmp(r->klass, "autoreply") == 0 && r->token && r->issued) {
        e = run(st, "token autoreply",
                "UPDATE tokens SET autoreply_at = COALESCE(autoreply_at, ?2), "
                "autoreply_detail = ?3 WHERE token = ?1",
                "sts", em, r->token, r->received, r->detail);
    } else if (strcmp(r->klass, "ping") == 0 && r->ping_check) {
        e = run(st, "email ping",
                "INSERT INTO pings(check_name, at, kind, via, detail) "
                "VALUES (?, ?, 'success', 'email', ?)",
                "sts", em, r->ping_check, r->received, r->detail);
    }
    return e;
}

