/*
 * eng_notify.c - from a claimed notice to an email.
 *
 * Two steps.  eng_notify_alert() runs inside the transaction that claims
 * the notice and only records, per recipient, that the notice is owed
 * (store/store_notices.c), not before the end of that person's quiet hours.
 * eng_flush_notices() runs at the end of a tick: each recipient's due
 * notices become one email (a single notice keeps its own template and
 * thread; several become one "digest" email), queued in the transaction
 * that deletes them.  A crash between the steps loses nothing and sends
 * nothing twice.  The emails go to the outbox through eng_mail.c, which
 * also names their Message-IDs; the daily digest is eng_digest.c.
 */
#include "engine/eng_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/ab_log.h"
#include "common/ab_mem.h"
#include "mailer/mail.h"
#include "store/store_tokens.h"


/* When rcpt may be mailed: now, or the end of their quiet hours. */
static ab_time not_before(eng *e, const char *rcpt, int priority, ab_time now)
{
    const struct cfg_person *p = cfg_person_by_email(e->c, rcpt);
    if (!p || !p->quiet)
        return now;
    if (priority == 1 && cfg_global(e->c)->alerting.quiet_bypass_p1)
        return now;
    /* Quiet hours are a window: "allowed" means quiet.  Walk to its end
     * in minutes; a week bounds a window that never ends. */
    ab_time t = now;
    if (!sched_allowed(p->quiet, t, NULL))
        return now;
    for (int i = 0; i < 7 * 24 * 60 && sched_allowed(p->quiet, t, NULL); i++)
        t = (t / 60 + 1) * 60;
    /* EndTime is inclusive to the second: find the first quiet-free one. */
    while (t > now && !sched_allowed(p->quiet, t - 1, NULL))
        t--;
    return t;
}

static enum ab_err notify_each(eng *e, const struct cfg_check *k,
                               const struct store_alert *a, const char *message,
                               int level, ab_time now, const char **rcpts, size_t nr,
                               char *msgid_out, ab_errmsg *em);

enum ab_err eng_notify_alert(eng *e, const struct cfg_check *k,
                             const struct store_alert *a, const char *message,
                             int level, ab_time now, const char *thread_msgid,
                             char *msgid_out, ab_errmsg *em)
{
    (void)thread_msgid;
    /* Paused or silenced: claimed, recorded in the alert's history, not
     * sent (eng_silence.c). */
    if (eng_notices_held(e, k, a, message, now)) {
        if (msgid_out)
            msgid_out[0] = '\0';
        return AB_OK;
    }
    /* Everyone of levels 0..level (eng_levels.c): as many as the config
     * lists (a fixed array here once cut a group of 300 to 256 without a
     * word), and one more slot for the fallback.  A heartbeat nobody
     * confirmed goes to level 1 at once: the people asked are the ones
     * who did not answer.  Everyone told so far stays in. */
    int upto = level >= 1 ? level : k->kind == CFG_HEARTBEAT ? 1 : 0;
    const char **lv = NULL;
    size_t nlv = 0;
    if (eng_level_rcpts(e, k, 0, upto, &lv, &nlv) != AB_OK)
        return ab_fail(em, AB_ENOMEM, "out of memory");
    const char **rcpts = ab_calloc(nlv + 1, sizeof *rcpts);
    if (!rcpts) {
        ab_free(lv);
        return ab_fail(em, AB_ENOMEM, "out of memory");
    }
    size_t nr = nlv;
    if (nlv)
        memcpy(rcpts, lv, nlv * sizeof *rcpts);
    ab_free(lv);
    /* While mail is failing, the fallback channel hears it too. */
    const char *fb = cfg_global(e->c)->alerting.fallback;
    if (fb && eng_mail_failing(e, now)) {
        int dup = 0;
        for (size_t j = 0; j < nr && !dup; j++)
            dup = strcmp(rcpts[j], fb) == 0;
        if (!dup)
            rcpts[nr++] = fb;
    }
    enum ab_err err = notify_each(e, k, a, message, level, now, rcpts, nr, msgid_out, em);
    ab_free(rcpts);
    return err;
}

/* Record the notice for each of rcpts[0..nr-1]. */
static enum ab_err notify_each(eng *e, const struct cfg_check *k,
                               const struct store_alert *a, const char *message,
                               int level, ab_time now, const char **rcpts, size_t nr,
                               char *msgid_out, ab_errmsg *em)
{
    const struct cfg_global *g = cfg_global(e->c);
    if (msgid_out)
        msgid_out[0] = '\0';
    if (nr == 0) {
        ab_log(AB_LOG_WARN, "check %s: %s for alert %lld has no recipients "
                            "(set notify= on the check or in <alerting>)",
               k->name, message, (long long)a->id);
        return AB_OK;
    }
    int emails = 0;
    for (size_t i = 0; i < nr; i++)
        emails += !cfg_channel_of(e->c, rcpts[i]);
    if (emails && !g->mail.from)
        return ab_fail(em, AB_ECONFIG, "no <mail from=...> configured");
    char seq[32];
    if (!strcmp(message, "alert-resolved"))
        snprintf(seq, sizeof seq, "resolved");
    else
        snprintf(seq, sizeof seq, "n%d", a->notify_count + 1);
    for (size_t i = 0; i < nr; i++) {
        struct store_notice n = {.created = now, .rcpt = (char *)rcpts[i],
                                 .alert_id = a->id, .message = (char *)message,
                                 .level = level, .seq = seq, .priority = a->priority,
                                 .not_before = not_before(e, rcpts[i], a->priority, now)};
        enum ab_err err = store_notice_add(e->st, &n, em);
        if (err)
            return err;
        e->notices_made++;
    }
    if (msgid_out && g->mail.from)
        eng_alert_msgid(e, msgid_out, 256, a->id, "n1", rcpts[0]);
    return AB_OK;
}

static enum ab_err render3(eng *e, const char *message, const char *check,
                           const char *kind, json_t *ctx, ab_buf *subject, ab_buf *text,
                           ab_buf *html, ab_errmsg *em)
{
    ab_buf_reset(subject);
    ab_buf_reset(text);
    ab_buf_reset(html);
    enum ab_err err;
    if ((err = tpl_set_render(e->tpl, message, "subject", check, kind, ctx, subject, em)) ||
        (err = tpl_set_render(e->tpl, message, "txt", check, kind, ctx, text, em)) ||
        (err = tpl_set_render(e->tpl, message, "html", check, kind, ctx, html, em)))
        return err;
    return AB_OK;
}

/* The newest cycle of a heartbeat check (for nobody-confirmed), or NULL. */
static struct store_cycle *newest_cycle(eng *e, const char *check)
{
    struct store_cycle **v = NULL, *c = NULL;
    size_t n = 0;
    if (store_cycle_list(e->st, check, 0, 1, &v, &n, NULL) == AB_OK && n) {
        c = v[0];
        v[0] = NULL;
    }
    store_cycle_list_free(v, n);
    return c;
}

void eng_bufs_init(struct eng_bufs *b)
{
    ab_buf_init(&b->subject, 4096);
    ab_buf_init(&b->text, 4 << 20);
    ab_buf_init(&b->html, 4 << 20);
}

void eng_bufs_free(struct eng_bufs *b)
{
    ab_buf_free(&b->subject);
    ab_buf_free(&b->text);
    ab_buf_free(&b->html);
}

/* For a heartbeat: who was asked and what came back in the cycle the
 * alert's latest verdict is about (the newest one may be a later, still
 * open cycle).  Returns the message to render: the first notice of a
 * failed cycle is "nobody confirmed". */
static const char *add_cycle(eng *e, json_t *ctx, const struct cfg_check *k,
                             const struct store_alert *a, const char *message)
{
    struct store_cycle *cycle = NULL;
    if (k->kind != CFG_HEARTBEAT)
        return message;
    if (a->cycle_id > 0 && store_cycle_get(e->st, a->cycle_id, &cycle, NULL) != AB_OK)
        cycle = NULL;
    if (cycle || (cycle = newest_cycle(e, k->name))) {
        eng_ctx_cycle_outcomes(e, ctx, k, cycle);
        if (!strcmp(message, "alert-opened") && a->status == AB_FAILING)
            message = "nobody-confirmed";
    }
    store_cycle_free(cycle);
    return message;
}

/* Render with the notice's own number, not the count since; an escalation
 * says its level and who was told before it. */
static void set_notice_number(eng *e, json_t *ctx, const struct cfg_check *k,
                              const struct store_notice *n)
{
    json_t *al = json_object_get(ctx, "alert");
    char told[1024];
    eng_level_told_text(e, k, n->level, told, sizeof told);
    if (al && n->level >= 1) {
        json_object_set_new(al, "level", json_integer(n->level));
        if (told[0])
            json_object_set_new(al, "told_before", json_string(told));
    }
    if (al && n->seq[0] == 'n')
        json_object_set_new(al, "notify_count", json_integer(strtol(n->seq + 1, NULL, 10)));
}

/* While the alert is open, the notice carries the recipient's token for
 * it (Reply-To LOCAL+TOKEN@DOMAIN and a reference line), so a reply with
 * "dismiss", "snooze 2d" or "note ..." acts on it.  reply_to and token
 * stay "" when it carries none. */
static enum ab_err add_reply_token(eng *e, json_t *ctx, const struct store_alert *a,
                                   const struct store_notice *n, ab_time now,
                                   char reply_to[MAIL_ADDR_MAX + 1],
                                   char token[AB_TOKEN_LEN + 1], ab_errmsg *em)
{
    const struct cfg_global *g = cfg_global(e->c);
    if (!g->inbox.enabled || !g->inbox.reply_address || a->resolved != AB_TIME_NONE ||
        strcmp(n->message, "alert-resolved") == 0)
        return AB_OK;
    char unused[MAIL_MSGID_MAX + 1], ref[64];
    enum ab_err err;
    if ((err = store_alert_token(e->st, a->id, n->rcpt, now, token, em)) ||
        (err = mail_heartbeat_ids(g->inbox.reply_address, token, unused, reply_to, em)))
        return err;
    snprintf(ref, sizeof ref, "%s%s", AB_TOKEN_REF_PREFIX, token);
    json_object_set_new(ctx, "reply_hint", json_true());
    json_object_set_new(ctx, "reply_address", json_string(reply_to));
    json_object_set_new(ctx, "token", json_string(token));
    json_object_set_new(ctx, "reference", json_string(ref));
    return AB_OK;
}

/* The rendered notice n about a, in its thread, to the outbox. */
static enum ab_err queue_single(eng *e, const struct cfg_check *k, const struct store_alert *a,
                                const struct store_notice *n, const char *message,
                                struct eng_bufs *b, const char *reply_to, const char *token,
                                ab_time now, ab_errmsg *em)
{
    const struct cfg_global *g = cfg_global(e->c);
    char msgid[256], root[256], aid[32];
    eng_alert_msgid(e, msgid, sizeof msgid, a->id, n->seq, n->rcpt);
    eng_alert_msgid(e, root, sizeof root, a->id, "n1", n->rcpt);
    int first = !strcmp(n->seq, "n1");
    snprintf(aid, sizeof aid, "%lld", (long long)a->id);
    struct mail_header hdrs[] = {{"X-Ackbeat-Check", k->name},
                                 {"X-Ackbeat-Alert", aid},
                                 {"X-Ackbeat-Notice", message}};
    struct eng_email mail = {
        .rcpt = n->rcpt,
        .subject = ab_buf_str(&b->subject),
        .text = ab_buf_str(&b->text),
        .html = ab_buf_str(&b->html),
        .message_id = msgid,
        .in_reply_to = first ? NULL : root,
        .reply_to = reply_to[0] ? reply_to : g->inbox.enabled ? g->inbox.reply_address : NULL,
        .token = token[0] ? token : NULL,
        .headers = hdrs,
        .nheaders = sizeof hdrs / sizeof hdrs[0],
        .kind = message,
        .ref = aid,
    };
    return eng_queue_email(e, &mail, now, em);
}

/* One notice, one email, in its alert's thread. */
static enum ab_err send_single(eng *e, const struct store_notice *n, struct eng_bufs *b,
                               ab_time now, ab_errmsg *em)
{
    struct store_alert *a = NULL;
    json_t *ctx = NULL;
    enum ab_err err = store_alert_get(e->st, n->alert_id, &a, em);
    if (err)
        return err;
    const struct cfg_check *k = cfg_check_find(e->c, a->check);
    if (!k) {
        /* The check left the config: nothing to render it with. */
        ab_log(AB_LOG_INFO, "notice for alert %lld dropped: check %s is gone",
               (long long)a->id, a->check);
        goto out;
    }
    ctx = eng_ctx_alert(e, k, a, n->rcpt, now);
    if (!ctx) {
        err = ab_fail(em, AB_ENOMEM, "out of memory");
        goto out;
    }
    const char *message = add_cycle(e, ctx, k, a, n->message);
    set_notice_number(e, ctx, k, n);
    char reply_to[MAIL_ADDR_MAX + 1] = "", token[AB_TOKEN_LEN + 1] = "";
    if ((err = add_reply_token(e, ctx, a, n, now, reply_to, token, em)) ||
        (err = render3(e, message, k->name, cfg_check_kind_name(k->kind), ctx, &b->subject,
                       &b->text, &b->html, em)))
        goto out;
    err = queue_single(e, k, a, n, message, b, reply_to, token, now, em);
out:
    json_decref(ctx);
    store_alert_free(a);
    return err;
}

/* An alert owed in a digest, with the notice it is owed for. */
struct owed {
    struct store_alert *a;
    const char *notice;
};

/* P1 first; within a priority, the oldest alert first: in a storm the
 * first to break is the likeliest cause of the rest. */
static int by_priority_age(const void *pa, const void *pb)
{
    const struct store_alert *a = ((const struct owed *)pa)->a;
    const struct store_alert *b = ((const struct owed *)pb)->a;
    if (a->priority != b->priority)
        return a->priority < b->priority ? -1 : 1;
    if (a->opened != b->opened)
        return a->opened < b->opened ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

/* One listed alert: its line, a heartbeat's detail and the reader's own
 * reference line for it. */
static json_t *digest_item(eng *e, const struct owed *o, const char *rcpt, json_t *ctx,
                           ab_time now)
{
    const struct store_alert *a = o->a;
    const struct cfg_check *k = cfg_check_find(e->c, a->check);
    json_t *one = eng_ctx_digest_item(e, k, a, now);
    json_object_set_new(one, "notice", json_string(o->notice));
    /* A heartbeat's alert keeps its detail in a digest: who was
     * asked and what came back is the whole point of it. */
    struct store_cycle *cy = k && k->kind == CFG_HEARTBEAT ? newest_cycle(e, k->name) : NULL;
    if (cy) {
        eng_ctx_cycle_outcomes(e, one, k, cy);
        json_object_set_new(one, "heartbeat_detail", json_true());
        store_cycle_free(cy);
    }
    /* Each alert listed can be acted on by reply: the person's own
     * token for it, on a reference line of its own, so that a reply
     * quoting that line acts on that alert and no other. */
    const struct cfg_global *g = cfg_global(e->c);
    char token[AB_TOKEN_LEN + 1], ref[64];
    if (g->inbox.enabled && g->inbox.reply_address && a->resolved == AB_TIME_NONE &&
        store_alert_token(e->st, a->id, rcpt, now, token, NULL) == AB_OK) {
        snprintf(ref, sizeof ref, "%s%s", AB_TOKEN_REF_PREFIX, token);
        json_object_set_new(one, "reference", json_string(ref));
        json_object_set_new(ctx, "reply_hint", json_true());
    }
    return one;
}

static enum ab_err queue_digest(eng *e, const char *rcpt, json_t *ctx, struct eng_bufs *b,
                                const char *notice, ab_time now, ab_errmsg *em)
{
    enum ab_err err = render3(e, "digest", NULL, NULL, ctx, &b->subject, &b->text, &b->html, em);
    if (err)
        return err;
    struct mail_header hdrs[] = {{"X-Ackbeat-Notice", notice}};
    const struct cfg_global *g = cfg_global(e->c);
    struct eng_email mail = {
        .rcpt = rcpt,
        .subject = ab_buf_str(&b->subject),
        .text = ab_buf_str(&b->text),
        .html = ab_buf_str(&b->html),
        /* replies go to the inbox, where their reference lines are read */
        .reply_to = g->inbox.enabled ? g->inbox.reply_address : NULL,
        .headers = hdrs,
        .nheaders = 1,
        .kind = notice,
    };
    return eng_queue_email(e, &mail, now, em);
}

/*
 * An alert storm (a database gone, and every check on it failing) may
 * owe one person thousands of notices at once.  They all go into the one
 * email, which says how many there are; it lists the first
 * ENG_DIGEST_LISTED of them, most urgent first, and points to the rest
 * (the alerts page, `ackbeat alerts`), rather than growing past what a
 * mail server takes, or a reader reads.
 */
enum ab_err eng_notices_email(eng *e, const struct store_notice *v, size_t n,
                              struct eng_bufs *b, const char *notice, ab_time now,
                              ab_errmsg *em)
{
    struct owed *ow = ab_calloc(n ? n : 1, sizeof *ow);
    if (!ow)
        return ab_fail(em, AB_ENOMEM, "out of memory");
    size_t count = 0;
    for (size_t i = 0; i < n; i++)
        if (store_alert_get(e->st, v[i].alert_id, &ow[count].a, NULL) == AB_OK)
            ow[count++].notice = v[i].message;
    enum ab_err err = AB_OK;
    if (count) {
        qsort(ow, count, sizeof *ow, by_priority_age);
        json_t *ctx = eng_ctx_base(e, v[0].rcpt, now);
        json_t *alerts = json_array();
        size_t listed = count < ENG_DIGEST_LISTED ? count : ENG_DIGEST_LISTED;
        for (size_t i = 0; i < listed; i++)
            json_array_append_new(alerts, digest_item(e, &ow[i], v[0].rcpt, ctx, now));
        json_object_set_new(ctx, "alerts", alerts);
        json_object_set_new(ctx, "count", json_integer((json_int_t)count));
        json_object_set_new(ctx, "listed", json_integer((json_int_t)listed));
        eng_ctx_digest_more(e, ctx, count - listed);
        err = queue_digest(e, v[0].rcpt, ctx, b, notice, now, em);
        json_decref(ctx);
    }
    for (size_t i = 0; i < count; i++)
        store_alert_free(ow[i].a);
    ab_free(ow);
    return err;
}

/* A notice that is never grouped: it carries its own detailed list. */
static int stands_alone(const struct store_notice *n)
{
    return !strcmp(n->message, "nobody-confirmed");
}

/* Errors that are the message's own (a template, a header value), not
 * the database's or the machine's: retrying cannot help. */
static int unbuildable(enum ab_err err)
{
    return err == AB_EINVAL || err == AB_ETEMPLATE || err == AB_ERANGE ||
           err == AB_EPARSE || err == AB_ENOTFOUND;
}

/*
 * One recipient's notices v[0..n-1] could not be built (why): they fail
 * alone.  They are marked done and recorded as one failed outbox message,
 * so `ackbeat outbox` shows them, and the flush goes on with the others.
 */
static enum ab_err give_up(eng *e, const struct store_notice *v, size_t n,
                           const char *why, ab_time now, struct eng_tick_stats *stats,
                           ab_errmsg *em)
{
    char reason[sizeof em->text], aid[32];
    snprintf(reason, sizeof reason, "%s", why);
    snprintf(aid, sizeof aid, "%lld", (long long)v[0].alert_id);
    ab_log(AB_LOG_ERROR, "notice %s for alert %lld to %s could not be built and is "
                         "not sent (the others go out): %s",
           v[0].message, (long long)v[0].alert_id, v[0].rcpt, reason);
    if (stats)
        stats->errors++;
    enum ab_err err = store_begin(e->st, em);
    if (err)
        return err;
    for (size_t x = 0; x < n && !err; x++)
        err = store_notice_done(e->st, v[x].id, em);
    if (!err)
        err = mail_outbox_unbuilt(e->st, cfg_global(e->c)->mail.from, v[0].rcpt,
                                  v[0].message, aid, reason, now, NULL, em);
    if (err) {
        store_rollback(e->st);
        return err;
    }
    return store_commit(e->st, em);
}

enum ab_err eng_flush_notices(eng *e, ab_time now, struct eng_tick_stats *stats,
                              ab_errmsg *em)
{
    struct store_notice *v = NULL;
    size_t n = 0;
    enum ab_err err = store_notices_due(e->st, now, &v, &n, em);
    if (err)
        return err;
    struct eng_bufs b;
    eng_bufs_init(&b);
    size_t i = 0;
    while (i < n && !err) {
        size_t j = i;
        while (j < n && !strcasecmp(v[j].rcpt, v[i].rcpt))
            j++;
        /* Rows i..j-1 are one recipient's: one transaction, one email
         * (plus any that must stand alone). */
        if ((err = store_begin(e->st, em)))
            break;
        size_t grouped = 0, emails = 0;
        /* A channel takes each notice on its own: no digest. */
        int chan = cfg_channel_of(e->c, v[i].rcpt) != NULL ||
                   !strncmp(v[i].rcpt, CFG_CHANNEL_PREFIX, strlen(CFG_CHANNEL_PREFIX));
        for (size_t x = i; x < j && !err; x++) {
            err = store_notice_done(e->st, v[x].id, em);
            if (err)
                break;
            if (chan) {
                err = eng_channel_notice(e, &v[x], now, em);
            } else if (stands_alone(&v[x]) || j - i == 1) {
                err = send_single(e, &v[x], &b, now, em);
                emails++;
            } else {
                grouped++;
            }
        }
        if (!err && grouped) {
            struct store_notice *g = ab_calloc(grouped, sizeof *g);
            size_t gi = 0;
            if (!g) {
                err = ab_fail(em, AB_ENOMEM, "out of memory");
            } else {
                for (size_t x = i; x < j; x++)
                    if (!stands_alone(&v[x]))
                        g[gi++] = v[x];
                err = gi == 1 ? send_single(e, &g[0], &b, now, em)
                              : eng_notices_email(e, g, gi, &b, "digest", now, em);
                emails++;
                ab_free(g);
            }
        }
        if (err) {
            store_rollback(e->st);
            if (err == AB_EEXIST) /* another process sent these */
                err = AB_OK;
            else if (unbuildable(err))
                err = give_up(e, &v[i], j - i, em->text, now, stats, em);
        } else if (!(err = store_commit(e->st, em))) {
            e->mail_queued += emails;
            if (stats)
                stats->notices_queued += emails;
        }
        i = j;
    }
    eng_bufs_free(&b);
    store_notices_free(v, n);
    return err;
}
