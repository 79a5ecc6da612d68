/*
 * eng_inbox.c - the inbox step of a tick: poll the mailbox when its interval
 * has passed, then act on reply commands ("dismiss - on leave", "snooze
 * 2 days", "snooze until Monday", "note TEXT" on the first line of a
 * reply to an alert's notice, or to a heartbeat: then on that
 * heartbeat's open alert; inbox/inbox_command.c reads them), and tell everyone
 * notified of the alert what was done (eng_answer.c).
 *
 * A command is marked done in the same transaction that applies it, so a
 * crash in between repeats nothing and loses nothing.  Commands count
 * only from allowed senders (the token's recipient or an ack-from
 * domain); others are logged and dropped.
 */
#include "engine/eng_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ab_log.h"
#include "common/ab_mem.h"
#include "inbox/inbox.h"
#include "store/store_inbox.h"
#include "store/store_tokens.h"

enum ab_err eng_inbox_poll(eng *e, ab_time now, int force, struct eng_inbox_result *res,
                           ab_errmsg *em)
{
    const struct cfg_inbox *ib = &cfg_global(e->c)->inbox;
    memset(res, 0, sizeof *res);
    if (!ib->enabled)
        return ab_fail(em, AB_ECONFIG, "no <inbox> in the configuration");
    char key[1024];
    inbox_state_key(ib, key, sizeof key);
    struct store_inbox_state s;
    enum ab_err err = store_inbox_state_get(e->st, key, &s, em);
    if (err && err != AB_ENOTFOUND)
        return err;
    if (!err)
        ab_free(s.last_error);
    if (!force && !err && s.last_attempt != AB_TIME_NONE && now - s.last_attempt < ib->poll)
        return AB_OK; /* not due */
    res->polled = 1;

    char *password = NULL;
    ab_errmsg sem = {{0}};
    if (cfg_secret_read(&ib->password, &password, &sem) != AB_OK) {
        /* Recorded like any failed read, so "nobody replied" is not
         * concluded from a mailbox we never opened. */
        if ((err = store_inbox_attempt(e->st, key, now, sem.text, em)))
            return err;
        snprintf(res->error, sizeof res->error, "inbox password: %s", sem.text);
        return AB_OK;
    }
    struct inbox_ping *pings = NULL;
    size_t np = 0;
    if ((err = inbox_pings_of(e->c, &pings, &np, em))) {
        if (password) {
            memset(password, 0, strlen(password));
            ab_free(password);
        }
        return err;
    }
    struct inbox_env env = {.password = password, .pings = pings, .npings = np,
                            .stamp_now = e->stamp_now,
                            .zone = cfg_global(e->c)->timezone};
    struct inbox_poll_stats ps;
    memset(&ps, 0, sizeof ps);
    ab_errmsg pem = {{0}};
    err = inbox_poll(ib, &env, e->st, now, &ps, &pem);
    ab_free(pings);
    if (password) {
        memset(password, 0, strlen(password));
        ab_free(password);
    }
    if (err) {
        /* inbox_poll recorded the failed attempt itself; the tick goes on. */
        snprintf(res->error, sizeof res->error, "%s", pem.text[0] ? pem.text : ab_strerror(err));
        inbox_poll_stats_free(&ps);
        return err == AB_ESTORE || err == AB_EBUSY ? ab_fail(em, err, "%s", pem.text) : AB_OK;
    }
    res->fetched = ps.fetched;
    res->duplicates = ps.duplicates;
    for (int c = 0; c <= INBOX_SKIPPED; c++)
        res->counts[c] = ps.counts[c];
    inbox_poll_stats_free(&ps);
    return AB_OK;
}

/* Find "cmd=..." in an inbox_messages detail string. */
static const char *find_cmd(const char *detail)
{
    const char *p = detail ? strstr(detail, "cmd=") : NULL;
    return p ? p + 4 : NULL;
}

/* The open alert a command acts on (the caller frees it): the one the
 * notice was about (alert_id), or the heartbeat's (cycle_id).  AB_ENOTFOUND:
 * none is open; AB_OK with *out NULL: the cycle is gone, nothing to say. */
static enum ab_err command_alert(eng *e, int64_t cycle_id, int64_t alert_id,
                                 struct store_alert **out, ab_errmsg *em)
{
    struct store_alert *a = NULL;
    enum ab_err err;
    *out = NULL;
    if (alert_id) {
        /* A reply to an alert's notice acts on that alert, as long as it
         * is open: a newer alert of the same check is news to the sender. */
        err = store_alert_get(e->st, alert_id, &a, em);
        if (!err && a->resolved != AB_TIME_NONE) {
            store_alert_free(a);
            a = NULL;
            err = AB_ENOTFOUND;
        }
    } else {
        struct store_cycle *cy = NULL;
        if ((err = store_cycle_get(e->st, cycle_id, &cy, em)))
            return err == AB_ENOTFOUND ? AB_OK : err;
        err = store_alert_find_open(e->st, cy->check, "", &a, em);
        store_cycle_free(cy);
    }
    if (!err)
        *out = a;
    return err;
}

/* Carry out cmd ("dismiss[:REASON]", "snooze:SECS[:REASON]",
 * "until:T[:REASON]", "note:TEXT") on a, by by.  what gets what was done,
 * for the answer ("" if nothing), *reason why. */
static enum ab_err obey(eng *e, const struct store_alert *a, const char *cmd, const char *by,
                        ab_time now, char *what, size_t wlen, const char **reason,
                        ab_errmsg *em)
{
    enum ab_err err = AB_OK;
    *reason = NULL;
    what[0] = '\0';
    if (!strncmp(cmd, "dismiss", 7)) {
        *reason = cmd[7] == ':' ? cmd + 8 : NULL;
        err = store_alert_dismiss(e->st, a->id, by, *reason ? *reason : "dismissed by reply",
                                  AB_TIME_NONE, now, em);
        snprintf(what, wlen, "Dismissed");
    } else if (!strncmp(cmd, "snooze:", 7) || !strncmp(cmd, "until:", 6)) {
        int rel = cmd[0] == 's';
        char *end;
        long long v = strtoll(cmd + (rel ? 7 : 6), &end, 10);
        ab_time until = rel ? now + (v > 0 ? v : 86400) : (ab_time)v;
        if (until <= now)
            until = now + 86400;
        *reason = *end == ':' ? end + 1 : NULL;
        err = store_alert_dismiss(e->st, a->id, by, *reason ? *reason : "snoozed by reply",
                                  until, now, em);
        char when[96];
        ab_time_human(until, cfg_global(e->c)->timezone, when, sizeof when);
        snprintf(what, wlen, "Snoozed until %s", when);
    } else if (!strncmp(cmd, "note:", 5)) {
        err = store_alert_event(e->st, a->id, now, "note", by, cmd + 5, em);
        *reason = cmd + 5;
        snprintf(what, wlen, "Note");
    }
    return err;
}

/* A command that names several alerts is not guessed at: the sender is
 * asked which one they meant.  amb points at "; ambiguous:TOKENS". */
static enum ab_err ask_which(eng *e, const struct store_reply_cmd *c, const char *amb,
                             const char *cmd, ab_time now, ab_errmsg *em)
{
    size_t tl = strcspn(amb + 12, ";");
    char *toks = ab_strndup(amb + 12, tl);
    if (!toks)
        return ab_fail(em, AB_ENOMEM, "out of memory");
    enum ab_err err = eng_ask_which(e, c->from_addr, toks, cmd, now, em);
    ab_free(toks);
    return err;
}

static enum ab_err apply_one(eng *e, const struct store_reply_cmd *c, ab_time now,
                             ab_errmsg *em)
{
    const char *cmd = find_cmd(c->detail);
    if (!cmd)
        return AB_OK;
    const char *amb = strstr(c->detail, "; ambiguous:");
    if (amb)
        return ask_which(e, c, amb, cmd, now, em);
    if (!c->token)
        return AB_OK;
    const char *unv = strstr(c->detail, "; unverified");
    if (unv) {
        /* "; unverified: sender failed authentication: dmarc=fail by mx..." */
        const char *why = unv[12] == ':' ? unv + 14 : "not an allowed sender";
        size_t wl = strcspn(why, ";");
        ab_log(AB_LOG_WARN, "reply command from %s ignored: %.*s",
               c->from_addr ? c->from_addr : "?", (int)wl, why);
        return AB_OK;
    }
    int64_t cycle_id, alert_id;
    char *rcpt = NULL;
    enum ab_err err = store_token_owner(e->st, c->token, &cycle_id, &alert_id, &rcpt, em);
    ab_free(rcpt);
    if (err)
        return err == AB_ENOTFOUND ? AB_OK : err;
    struct store_alert *a = NULL;
    err = command_alert(e, cycle_id, alert_id, &a, em);
    if (err == AB_ENOTFOUND) {
        ab_log(AB_LOG_INFO, "reply command \"%.40s\" from %s: no open alert to act on",
               cmd, c->from_addr ? c->from_addr : "?");
        return AB_OK;
    }
    if (err || !a)
        return err;
    const char *by = c->from_addr ? c->from_addr : "email";
    const struct cfg_check *k = cfg_check_find(e->c, a->check);
    if (strstr(c->detail, "; not understood; cmd=")) {
        /* Kept as a note, so people see what was asked; logged so that
         * whoever wrote it can be told how to say it. */
        ab_log(AB_LOG_WARN, "alert %lld: reply from %s looks like a command but is not "
                            "one (\"%.80s\"); kept as a note",
               (long long)a->id, by, cmd + 5);
    }
    char what[160];
    const char *reason = NULL;
    err = obey(e, a, cmd, by, now, what, sizeof what, &reason, em);
    if (!err)
        ab_log(AB_LOG_INFO, "alert %lld: reply command %.60s from %s", (long long)a->id,
               cmd, by);
    if (!err && what[0] && k)
        err = eng_answer_command(e, k, a, what, by, reason, now, em);
    store_alert_free(a);
    return err;
}

enum ab_err eng_reply_commands(eng *e, ab_time now, ab_errmsg *em)
{
    struct store_reply_cmd *v = NULL;
    size_t n = 0;
    enum ab_err err = store_reply_cmds_pending(e->st, &v, &n, em);
    if (err)
        return err;
    for (size_t i = 0; i < n && !err; i++) {
        if ((err = store_begin(e->st, em)))
            break;
        err = store_reply_cmd_done(e->st, v[i].id, em);
        if (!err)
            err = apply_one(e, &v[i], now, em);
        if (err) {
            store_rollback(e->st);
            if (err == AB_EEXIST) /* another process took it */
                err = AB_OK;
        } else {
            err = store_commit(e->st, em);
        }
    }
    store_reply_cmds_free(v, n);
    return err;
}
