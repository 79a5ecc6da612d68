/*
 * eng_heartbeat.c - heartbeat cycles (seed 000): the monthly email that asks
 * people to reply, because silence is a signal.
 *
 * A cycle opens when the heartbeat's schedule fires (or `ackbeat send`):
 * one token and one email per recipient, all queued in one transaction
 * with the cycle.  The inbox records what comes back.  Each tick then:
 *  - quorum met: the cycle is Healthy (a late reply turns a Failing cycle
 *    Healthy too, and the alert resolves);
 *  - reminder time: those who have not confirmed (and did not bounce) get
 *    a reminder, once;
 *  - deadline passed without quorum: Failing and a "nobody confirmed"
 *    alert, once the inbox has been read after the deadline (a reply the
 *    server got in time counts, however late it is read).  If the inbox
 *    cannot be read, the verdict is held and the alert says the inbox is
 *    unreadable (Offline: we could not tell), because "nobody replied"
 *    would be a guess; it is decided, and its notice sent, at the first
 *    good read after that.
 * Every verdict is stored as a run of the heartbeat check, so alerts,
 * repeats, escalation and dismissal work as for any check; each verdict
 * is news about its own cycle (engine/eng_evaluate.c: a dismissal of last
 * month's cycle does not silence this month's).
 */
#include "engine/eng_int.h"

#include <stdio.h>
#include <string.h>

#include "common/ab_log.h"
#include "common/ab_mem.h"
#include "common/ab_token.h"
#include "inbox/inbox.h"
#include "mailer/mail.h"
#include "store/store_inbox.h"

/* Render and queue one heartbeat email (request or reminder). */
static enum ab_err queue_request(eng *e, const struct cfg_check *k,
                                 const struct store_cycle *c, const char *rcpt,
                                 const char *token, const char *message, ab_time now,
                                 ab_errmsg *em)
{
    const struct cfg_global *g = cfg_global(e->c);
    char msgid[MAIL_MSGID_MAX + 1], reply_to[MAIL_ADDR_MAX + 1];
    enum ab_err err = mail_heartbeat_ids(g->inbox.reply_address, token, msgid,
                                         reply_to, em);
    if (err)
        return err;
    /* A reminder is a new message in the same thread: its own id. */
    char remid[MAIL_MSGID_MAX + 1];
    int reminder = strcmp(message, "heartbeat-reminder") == 0;
    if (reminder) {
        const char *at = strrchr(msgid, '@');
        snprintf(remid, sizeof remid, "<hb.%s.reminder%s", token, at ? at : "@ackbeat>");
    }
    json_t *ctx = eng_ctx_base(e, rcpt, now);
    eng_ctx_heartbeat(e, ctx, k, c);
    char ref[64];
    snprintf(ref, sizeof ref, "%s%s", AB_TOKEN_REF_PREFIX, token);
    json_object_set_new(ctx, "token", json_string(token));
    json_object_set_new(ctx, "reply_address", json_string(reply_to));
    json_object_set_new(ctx, "reference", json_string(ref));

    ab_buf subject, text, html;
    ab_buf_init(&subject, 4096);
    ab_buf_init(&text, 4 << 20);
    ab_buf_init(&html, 4 << 20);
    const char *kind = cfg_check_kind_name(k->kind);
    if ((err = tpl_set_render(e->tpl, message, "subject", k->name, kind, ctx, &subject, em)) ||
        (err = tpl_set_render(e->tpl, message, "txt", k->name, kind, ctx, &text, em)) ||
        (err = tpl_set_render(e->tpl, message, "html", k->name, kind, ctx, &html, em)))
        goto out;
    /* The wire format: the text body ends with the reference line, even
     * if a custom template forgot it, so a reply can always be matched. */
    if (!strstr(ab_buf_str(&text), ref) &&
        ((err = ab_buf_printf(&text, "\n%s\n", ref)) != AB_OK)) {
        ab_fail(em, err, "out of memory");
        goto out;
    }
    char cid[32];
    snprintf(cid, sizeof cid, "%lld", (long long)c->id);
    struct mail_header hdrs[] = {{"X-Ackbeat-Check", k->name},
                                 {"X-Ackbeat-Cycle", cid},
                                 {"X-Ackbeat-Notice", message}};
    struct eng_email mail = {
        .rcpt = rcpt,
        .subject = ab_buf_str(&subject),
        .text = ab_buf_str(&text),
        .html = ab_buf_str(&html),
        .message_id = reminder ? remid : msgid,
        .in_reply_to = reminder ? msgid : NULL,
        .reply_to = reply_to,
        .token = token,
        .headers = hdrs,
        .nheaders = sizeof hdrs / sizeof hdrs[0],
        .kind = message,
        .ref = cid,
    };
    err = eng_queue_email(e, &mail, now, em);
out:
    json_decref(ctx);
    ab_buf_free(&subject);
    ab_buf_free(&text);
    ab_buf_free(&html);
    return err;
}

enum ab_err eng_cycle_open(eng *e, const struct cfg_check *k, ab_time now,
                           int64_t *cycle_id, ab_errmsg *em)
{
    if (k->kind != CFG_HEARTBEAT)
        return ab_fail(em, AB_EINVAL, "check %s is not a heartbeat", k->name);
    if (k->to.n == 0)
        return ab_fail(em, AB_ECONFIG, "heartbeat %s has nobody to ask", k->name);
    const struct cfg_global *g = cfg_global(e->c);
    if (!g->inbox.enabled || !g->inbox.reply_address)
        return ab_fail(em, AB_ECONFIG, "heartbeat %s needs <inbox reply-address=...>",
                       k->name);
    ab_time deadline = now + k->grace;
    ab_time reminder = k->reminder > 0 ? deadline - k->reminder : AB_TIME_NONE;
    int quorum = k->quorum > 0 ? k->quorum : (int)k->to.n;
    struct store_cycle *c = NULL;
    /* One token per recipient, however many there are. */
    size_t n = k->to.n;
    char (*tokens)[AB_TOKEN_LEN + 1] = ab_calloc(n, sizeof *tokens);
    if (!tokens)
        return ab_fail(em, AB_ENOMEM, "out of memory");
    /* The cycle, its tokens and every email commit together: a crash
     * leaves either a whole cycle with all its mail queued, or nothing. */
    enum ab_err err = store_begin(e->st, em);
    if (err)
        goto out;
    int64_t id;
    if ((err = store_cycle_open(e->st, k->name, now, deadline, reminder, quorum, &id, em)))
        goto fail;
    for (size_t i = 0; i < n; i++) {
        char msgid[MAIL_MSGID_MAX + 1], reply_to[MAIL_ADDR_MAX + 1];
        if ((err = ab_token_new(tokens[i]))) {
            ab_fail(em, err, "no randomness for a token");
            goto fail;
        }
        if ((err = mail_heartbeat_ids(g->inbox.reply_address, tokens[i], msgid, reply_to, em)) ||
            (err = store_cycle_add_token(e->st, id, tokens[i], k->to.v[i], now, msgid, em)))
            goto fail;
    }
    if ((err = store_cycle_get(e->st, id, &c, em)))
        goto fail;
    for (size_t i = 0; i < n; i++)
        if ((err = queue_request(e, k, c, k->to.v[i], tokens[i], "heartbeat-request", now, em)))
            goto fail;
    if ((err = store_commit(e->st, em)))
        goto out;
    char when[96];
    ab_log(AB_LOG_INFO, "heartbeat %s: cycle %lld opened, %zu recipients, deadline %s",
           k->name, (long long)id, n,
           ab_time_human(deadline, cfg_global(e->c)->timezone, when, sizeof when));
    if (cycle_id)
        *cycle_id = id;
    goto out;
fail:
    store_rollback(e->st);
out:
    store_cycle_free(c);
    ab_free(tokens);
    return err;
}

/* Store cycle c's verdict as a run of the heartbeat check and evaluate
 * it: each verdict is news about its own cycle. */
static enum ab_err record(eng *e, const struct cfg_check *k, const struct store_cycle *c,
                          enum ab_status status, const char *msg, double value,
                          ab_time now, struct eng_tick_stats *stats, ab_errmsg *em)
{
    int64_t rid;
    struct ab_result r = {.item = "", .status = status, .has_value = 1,
                             .value = value, .message = msg};
    enum ab_err err = store_run_begin(e->st, k->name, k->type, "schedule", now, &rid, em);
    if (!err)
        err = store_run_complete(e->st, rid, 0, 0, &r, 1, NULL, em);
    if (!err)
        err = eng_evaluate_verdict(e, k, &r, rid, c->id, now, stats, em);
    return err;
}

/* Can the verdict on a cycle whose deadline has passed be given? */
enum hb_inbox {
    HB_READ_SINCE, /* read after the deadline: every reply in time is counted */
    HB_READ_SOON,  /* read fine lately, not since the deadline: the next poll */
    HB_UNREADABLE, /* the last read failed, or there was none lately: held */
};

static enum hb_inbox hb_inbox_view(eng *e, ab_time deadline, ab_time now, ab_time *last_ok)
{
    const struct cfg_inbox *ib = &cfg_global(e->c)->inbox;
    char key[1024];
    inbox_state_key(ib, key, sizeof key);
    struct store_inbox_state s;
    *last_ok = AB_TIME_NONE;
    if (store_inbox_state_get(e->st, key, &s, NULL) != AB_OK)
        return HB_UNREADABLE;
    int failing = s.last_error != NULL;
    ab_free(s.last_error);
    *last_ok = s.last_ok;
    if (s.last_ok == AB_TIME_NONE)
        return HB_UNREADABLE;
    /* A reply the server got before the deadline is only seen by a read
     * after it: a verdict from an older read would miss it. */
    if (s.last_ok >= deadline)
        return HB_READ_SINCE;
    int64_t margin = ib->poll > 60 ? ib->poll : 60;
    return !failing && now - s.last_ok <= ib->poll + margin ? HB_READ_SOON
                                                            : HB_UNREADABLE;
}

/* Did quorum arrive by the deadline (by the times the replies were
 * received, not read)? */
static int in_time(const struct store_cycle *c)
{
    size_t n = 0;
    for (size_t i = 0; i < c->nrcpts; i++)
        n += c->rcpts[i].confirmed != AB_TIME_NONE && c->rcpts[i].confirmed <= c->deadline;
    return n >= eng_cycle_quorum(c);
}

static void list_people(const struct store_cycle *c, int (*pick)(const struct store_cycle_rcpt *),
                        char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < c->nrcpts && o < len; i++)
        if (pick(&c->rcpts[i]))
            o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? ", " : "", c->rcpts[i].address);
}

static int is_confirmed(const struct store_cycle_rcpt *r) { return r->confirmed != AB_TIME_NONE; }
static int is_bounced(const struct store_cycle_rcpt *r)
{
    return r->confirmed == AB_TIME_NONE && r->bounced != AB_TIME_NONE;
}
static int is_autoreply(const struct store_cycle_rcpt *r)
{
    return r->confirmed == AB_TIME_NONE && r->bounced == AB_TIME_NONE &&
           r->autoreplied != AB_TIME_NONE;
}

static enum ab_err tally(eng *e, const struct store_cycle *c, ab_time now, ab_errmsg *em)
{
    enum ab_err err = AB_OK;
    for (size_t i = 0; i < c->nrcpts && !err; i++)
        err = store_recipient_tally(e->st, c->rcpts[i].address, is_confirmed(&c->rcpts[i]),
                                    now, em);
    return err;
}

/* Pending, or Held until the inbox can be read: no verdict yet. */
static int undecided(const struct store_cycle *c)
{
    return !strcmp(c->status, "Pending") || !strcmp(c->status, "Held");
}

/* Quorum is met: the cycle is Healthy (again, after a late reply). */
static enum ab_err verdict_healthy(eng *e, const struct cfg_check *k,
                                   const struct store_cycle *c, ab_time now,
                                   struct eng_tick_stats *stats, ab_errmsg *em)
{
    char who[1024], msg[2048];
    if (!strcmp(c->status, "Healthy"))
        return AB_OK;
    enum ab_err err = store_cycle_verdict(e->st, c->id, "Healthy", now, em);
    if (err == AB_EEXIST)
        return AB_OK;
    if (err)
        return err;
    list_people(c, is_confirmed, who, sizeof who);
    /* Late by when the replies came, not by when they were read: a reply
     * received in time and read after a held verdict is not. */
    snprintf(msg, sizeof msg, "cycle %lld confirmed by %s%s", (long long)c->id, who,
             in_time(c) ? "" : " (late)");
    if (undecided(c) && (err = tally(e, c, now, em)))
        return err;
    ab_log(AB_LOG_INFO, "heartbeat %s: %s", k->name, msg);
    return record(e, k, c, AB_HEALTHY, msg, (double)c->confirmed, now, stats, em);
}

/* Reminder time: those who have not confirmed (and did not bounce) get a
 * reminder, once, claimed in the transaction that queues them. */
static enum ab_err remind(eng *e, const struct cfg_check *k, const struct store_cycle *c,
                          ab_time now, ab_errmsg *em)
{
    if (c->reminder_at == AB_TIME_NONE || now < c->reminder_at || c->reminded)
        return AB_OK;
    enum ab_err err = store_begin(e->st, em);
    if (err)
        return err;
    err = store_cycle_claim_reminder(e->st, c->id, em);
    for (size_t i = 0; i < c->nrcpts && !err; i++) {
        const struct store_cycle_rcpt *r = &c->rcpts[i];
        if (r->confirmed == AB_TIME_NONE && r->bounced == AB_TIME_NONE)
            err = queue_request(e, k, c, r->address, r->token, "heartbeat-reminder", now, em);
    }
    if (err) {
        store_rollback(e->st);
        return err == AB_EEXIST ? AB_OK : err;
    }
    if ((err = store_commit(e->st, em)))
        return err;
    ab_log(AB_LOG_INFO, "heartbeat %s: cycle %lld reminder sent", k->name, (long long)c->id);
    return AB_OK;
}

/* The inbox cannot be read: the verdict is held (Offline: we could not
 * tell), once. */
static enum ab_err verdict_held(eng *e, const struct cfg_check *k, const struct store_cycle *c,
                                ab_time last_ok, const char *asked, ab_time now,
                                struct eng_tick_stats *stats, ab_errmsg *em)
{
    const char *zone = cfg_global(e->c)->timezone;
    char msg[2048], t[64];
    snprintf(msg, sizeof msg,
             "cannot read the inbox (last successful read %s): the verdict on "
             "the request of %s is held until replies can be counted",
             last_ok == AB_TIME_NONE ? "never" : ab_time_human(last_ok, zone, t, sizeof t),
             asked);
    if (!strcmp(c->status, "Held"))
        return AB_OK;
    enum ab_err err = store_cycle_verdict(e->st, c->id, "Held", now, em);
    if (err == AB_EEXIST)
        return AB_OK;
    ab_log(AB_LOG_WARN, "heartbeat %s: %s", k->name, msg);
    return err ? err : record(e, k, c, AB_OFFLINE, msg, 0, now, stats, em);
}

/* "nobody confirmed the request of ...: 0 of 2 needed; bounced: ...;
 * auto-reply only: ...": the alert's message is what `alerts`, the web
 * and a digest show of it. */
static void failing_message(const struct store_cycle *c, const char *asked, char *msg,
                            size_t len)
{
    char who[1024];
    size_t o = (size_t)snprintf(msg, len,
                                c->confirmed ? "not enough confirmations of the request of %s: "
                                               "%zu of %zu needed"
                                             : "nobody confirmed the request of %s: "
                                               "%zu of %zu needed",
                                asked, c->confirmed, eng_cycle_quorum(c));
    /* Who bounced, with why. */
    for (size_t i = 0, nb = 0; i < c->nrcpts && o < len; i++) {
        const struct store_cycle_rcpt *r = &c->rcpts[i];
        if (!is_bounced(r))
            continue;
        char why[512];
        eng_bounce_reason(r->bounce_detail, r->address, NULL, why, sizeof why);
        o += (size_t)snprintf(msg + o, len - o, "%s%s%s%s%s", nb++ ? ", " : "; bounced: ",
                              r->address, why[0] ? " (" : "", why, why[0] ? ")" : "");
    }
    list_people(c, is_autoreply, who, sizeof who);
    if (who[0] && o < len)
        snprintf(msg + o, len - o, "; auto-reply only: %s", who);
}

static enum ab_err evaluate_cycle(eng *e, const struct cfg_check *k, struct store_cycle *c,
                                  ab_time now, struct eng_tick_stats *stats, ab_errmsg *em)
{
    if (c->confirmed >= eng_cycle_quorum(c))
        return verdict_healthy(e, k, c, now, stats, em);
    if (!undecided(c))
        return AB_OK;
    if (now < c->deadline)
        return remind(e, k, c, now, em);
    /* Past the deadline without quorum. */
    ab_time last_ok;
    enum hb_inbox iv = hb_inbox_view(e, c->deadline, now, &last_ok);
    if (iv == HB_READ_SOON)
        return AB_OK; /* decided after the next read */
    char asked[64];
    ab_time_human(c->opened, cfg_global(e->c)->timezone, asked, sizeof asked);
    if (iv == HB_UNREADABLE)
        return verdict_held(e, k, c, last_ok, asked, now, stats, em);
    enum ab_err err = store_cycle_verdict(e->st, c->id, "Failing", now, em);
    if (err == AB_EEXIST)
        return AB_OK;
    if (err || (err = tally(e, c, now, em)))
        return err;
    char msg[2048];
    failing_message(c, asked, msg, sizeof msg);
    ab_log(AB_LOG_WARN, "heartbeat %s: %s", k->name, msg);
    return record(e, k, c, AB_FAILING, msg, (double)c->confirmed, now, stats, em);
}

enum ab_err eng_heartbeats_tick(eng *e, ab_time now, struct eng_tick_stats *stats,
                                ab_errmsg *em)
{
    enum ab_err err = AB_OK;
    for (size_t i = 0; i < cfg_check_count(e->c) && !err; i++) {
        const struct cfg_check *k = cfg_check_at(e->c, i);
        if (k->kind != CFG_HEARTBEAT || eng_paused(e->st, k->name, now, NULL))
            continue;
        int due = 0, held = 0;
        /* The fire time is taken in the transaction that opens its cycle
         * (which nests as a savepoint): killed in between, the month's
         * heartbeat would be consumed and never sent. */
        if ((err = store_begin(e->st, em)))
            break;
        if (k->schedule && (err = eng_due(e, k, now, &due, &held, NULL, em))) {
            store_rollback(e->st);
            break;
        }
        if (held && stats)
            stats->checks_held++;
        if (due) {
            ab_errmsg oem = {{0}};
            if (eng_cycle_open(e, k, now, NULL, &oem) != AB_OK) {
                ab_log(AB_LOG_ERROR, "heartbeat %s: %s", k->name, oem.text);
                if (stats)
                    stats->errors++;
            } else if (stats) {
                stats->checks_run++;
                stats->notices_queued += k->to.n; /* one request each */
            }
        }
        if ((err = store_commit(e->st, em)))
            break;
        /* Open cycles, and the newest one even if decided: a late reply
         * still turns it Healthy. */
        struct store_cycle **v = NULL;
        size_t n = 0;
        if ((err = store_cycle_list(e->st, k->name, 0, 12, &v, &n, em)))
            break;
        for (size_t j = 0; j < n && !err; j++) {
            if (undecided(v[j]) || j == 0)
                err = evaluate_cycle(e, k, v[j], now, stats, em);
        }
        store_cycle_list_free(v, n);
    }
    return err;
}
