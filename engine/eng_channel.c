/*
 * eng_channel.c - notices to channels (webhook, ntfy, slack, matrix, command)
 * and the fallback for when mail itself fails.
 *
 * A channel is a recipient like a person ("channel:NAME" in the resolved
 * lists), so the notices table holds its notices as it holds anyone's;
 * at the flush each of them becomes one delivery (channels/), queued in
 * the transaction that deletes the notice, as an email would be.  The
 * delivery's txn is derived from the database's salt, the alert and the
 * notice's number, so the same notice is never queued twice and a
 * receiver sees one id however often it is retried.
 *
 * The fallback (<alerting fallback="ops-hook" fallback-after="10m">):
 * when the oldest mail still waiting after a failed attempt is older
 * than fallback-after, mail is failing.  Then every new notice also goes
 * to the fallback channel, and an alert of its own, "mail delivery is
 * failing" (check "~mail"), opens and is told to the fallback; it
 * resolves, and says so there, when no mail is waiting after a failure.
 */
#include "engine/eng_int.h"

#include <stdio.h>
#include <string.h>

#include "channels/chan.h"
#include "common/ab_log.h"
#include "common/ab_mem.h"

#define MAIL_ALERT_CHECK "~mail"
#define MAIL_ALERT_ITEM "delivery"

/* The alert's link on the web pages, as eng_context.c makes it. */
static void alert_url(eng *e, int64_t id, char *buf, size_t len)
{
    const char *base = cfg_global(e->c)->web.base_url;
    buf[0] = '\0';
    if (!base || !*base)
        return;
    size_t bl = strlen(base);
    while (bl && base[bl - 1] == '/')
        bl--;
    snprintf(buf, len, "%.*s/alerts#alert-%lld", (int)bl, base, (long long)id);
}

static void txn_for(eng *e, int64_t alert_id, const char *seq, char *buf, size_t len)
{
    char salt[32] = "";
    if (store_msgid_salt(e->st, salt, sizeof salt, NULL) != AB_OK)
        salt[0] = '\0';
    snprintf(buf, len, "ackbeat-%s%sa%lld-%s", salt, salt[0] ? "-" : "",
             (long long)alert_id, seq);
}

static void fill_notice(eng *e, const struct store_alert *a, const char *message, int level,
                        ab_time now, char *url, size_t urllen, struct chan_notice *n)
{
    const struct cfg_global *g = cfg_global(e->c);
    int resolved = !strcmp(message, "alert-resolved");
    alert_url(e, a->id, url, urllen);
    memset(n, 0, sizeof *n);
    n->site = g->name;
    n->check = a->check;
    n->item = a->item;
    n->status = resolved ? "Healthy" : ab_status_name(a->status);
    n->notice = message;
    n->message = a->message;
    n->priority = a->priority;
    n->level = level;
    n->alert_id = a->id;
    n->alert_url = url[0] ? url : NULL;
    n->zone = g->timezone;
    n->at = now;
    n->opened = a->opened;
    n->resolved = resolved ? (a->resolved != AB_TIME_NONE ? a->resolved : now) : AB_TIME_NONE;
}

/* Who was told before a notice at level: everyone of the levels below
 * it (eng_levels.c; borrowed from the config). */
struct told {
    const char **v;
    size_t n;
};

static void told_before(eng *e, const struct store_alert *a, int level, struct told *t)
{
    memset(t, 0, sizeof *t);
    const struct cfg_check *k = cfg_check_find(e->c, a->check);
    if (!k || level < 1 || eng_level_rcpts(e, k, 0, level - 1, &t->v, &t->n) != AB_OK) {
        t->v = NULL;
        t->n = 0;
    }
}

enum ab_err eng_channel_notice(eng *e, const struct store_notice *sn, ab_time now,
                               ab_errmsg *em)
{
    const struct cfg_channel *ch = cfg_channel_of(e->c, sn->rcpt);
    if (!ch) {
        ab_log(AB_LOG_INFO, "notice for alert %lld dropped: %s is no longer in the config",
               (long long)sn->alert_id, sn->rcpt);
        return AB_OK;
    }
    struct store_alert *a = NULL;
    enum ab_err err = store_alert_get(e->st, sn->alert_id, &a, em);
    if (err)
        return err;
    char url[1024], txn[128];
    struct chan_notice n;
    fill_notice(e, a, sn->message, sn->level, now, url, sizeof url, &n);
    struct told told;
    told_before(e, a, sn->level, &told);
    n.told_before = (const char *const *)told.v;
    n.ntold_before = told.n;
    txn_for(e, a->id, sn->seq, txn, sizeof txn);
    err = chan_queue(e->st, ch, &n, txn, now, em);
    if (err == AB_EEXIST)
        err = AB_OK; /* queued before: sent once */
    ab_free(told.v);
    store_alert_free(a);
    return err;
}

int eng_mail_failing(eng *e, ab_time now)
{
    const struct cfg_alerting *al = &cfg_global(e->c)->alerting;
    if (!al->fallback)
        return 0;
    ab_time since;
    if (store_mail_failing_since(e->st, &since, NULL, NULL) != AB_OK)
        return 0;
    return since != AB_TIME_NONE && now - since >= al->fallback_after;
}

/* Queue one notice about the mail alert to the fallback channel. */
static enum ab_err tell_fallback(eng *e, const struct store_alert *a, const char *message,
                                 ab_time now, ab_errmsg *em)
{
    const struct cfg_channel *ch = cfg_channel_of(e->c, cfg_global(e->c)->alerting.fallback);
    if (!ch)
        return AB_OK;
    char url[1024], txn[128];
    struct chan_notice n;
    fill_notice(e, a, message, 0, now, url, sizeof url, &n);
    n.check = "ackbeat mail";
    txn_for(e, a->id, !strcmp(message, "alert-resolved") ? "resolved" : "n1", txn, sizeof txn);
    enum ab_err err = chan_queue(e->st, ch, &n, txn, now, em);
    return err == AB_EEXIST ? AB_OK : err;
}

enum ab_err eng_mail_fallback(eng *e, ab_time now, ab_errmsg *em)
{
    const struct cfg_alerting *al = &cfg_global(e->c)->alerting;
    if (!al->fallback)
        return AB_OK;
    ab_time since;
    char *last = NULL;
    struct store_alert *open = NULL;
    enum ab_err err = store_mail_failing_since(e->st, &since, &last, em);
    if (err)
        return err;
    err = store_alert_find_open(e->st, MAIL_ALERT_CHECK, MAIL_ALERT_ITEM, &open, em);
    if (err == AB_ENOTFOUND)
        err = AB_OK;
    if (err)
        goto out;
    int failing = since != AB_TIME_NONE && now - since >= al->fallback_after;
    if (failing && !open) {
        char when[AB_HUMAN_LEN], msg[900];
        ab_time_human(since, cfg_global(e->c)->timezone, when, sizeof when);
        snprintf(msg, sizeof msg, "mail delivery is failing: mail queued since %s is not "
                                  "leaving (%s)", when, last && *last ? last : "no reason given");
        int64_t id = 0;
        if ((err = store_begin(e->st, em)))
            goto out;
        if (!(err = store_alert_open(e->st, MAIL_ALERT_CHECK, MAIL_ALERT_ITEM, "mail", 1,
                                     AB_FAILING, msg, now, &id, em)) &&
            !(err = store_alert_get(e->st, id, &open, em)))
            err = tell_fallback(e, open, "alert-opened", now, em);
        if (err) {
            store_rollback(e->st);
            if (err == AB_EEXIST)
                err = AB_OK;
            goto out;
        }
        err = store_commit(e->st, em);
        if (!err)
            ab_log(AB_LOG_WARN, "%s; telling %s", msg, al->fallback);
    } else if (open && since == AB_TIME_NONE) {
        /* Nothing waits after a failure any more: mail flows again. */
        if ((err = store_begin(e->st, em)))
            goto out;
        if (!(err = store_alert_resolve(e->st, open->id, now, em)) &&
            !(err = store_alert_claim_resolved_notice(e->st, open->id, em))) {
            open->resolved = now;
            err = tell_fallback(e, open, "alert-resolved", now, em);
        }
        if (err) {
            store_rollback(e->st);
            if (err == AB_EEXIST)
                err = AB_OK;
            goto out;
        }
        err = store_commit(e->st, em);
        if (!err)
            ab_log(AB_LOG_INFO, "mail flows again: the mail delivery alert is resolved");
    }
out:
    store_alert_free(open);
    ab_free(last);
    return err;
}

void eng_channels_drain(eng *e, ab_time now, struct eng_tick_stats *stats)
{
    const struct cfg_mail *m = &cfg_global(e->c)->mail;
    if (!e->send || cfg_channel_count(e->c) == 0)
        return;
    struct chan_drain_stats ds;
    ab_errmsg em = {{0}};
    if (chan_drain_as(e->st, e->c, e->node, now, m->retry, m->max_age, &ds, &em) != AB_OK) {
        ab_log(AB_LOG_ERROR, "channels: %s", em.text);
        stats->errors++;
        return;
    }
    /* Logged, not added to the mail counts: those are emails. */
    (void)stats;
    if (ds.sent)
        ab_log(AB_LOG_INFO, "channels: %zu notice(s) delivered", ds.sent);
    if (ds.deferred && ds.last_error.text[0])
        ab_log(AB_LOG_WARN, "channels: %zu notice(s) deferred: %s", ds.deferred,
               ds.last_error.text);
}
