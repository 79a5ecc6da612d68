/*
 * eng_selfwatch.c - the self-watch's daily message: once a day at
 * <watchdog daily="HH:MM"> in the site's zone, a plain-text "ackbeat is
 * running" to every admin= through the outbox, so that a silent ackbeat
 * is itself a signal (the URL ping of every tick is the daemon's own, in
 * cli/).
 *
 * The message's Message-ID is derived from its fire time, so the
 * outbox's unique Message-ID makes it idempotent: a restart after 08:00
 * does not send the day's message twice, and one missed while ackbeat was
 * down is sent when it comes back.  With several nodes on one state the
 * leader sends it (engine/eng_node.c), under the day's claim.
 */
#include "engine/eng_int.h"

#include <stdio.h>
#include <string.h>

#include "common/ab_log.h"
#include "common/ab_mem.h"
#include "schedules/sched.h"

struct eng_selfwatch {
    ab_time started;
    sched *daily;        /* fires at HH:MM in the global zone */
    char daily_key[128]; /* "HH:MM zone" it was built from */
    ab_time daily_done;  /* fire time already queued (or present) */
};

eng_selfwatch *eng_selfwatch_new(ab_time started)
{
    eng_selfwatch *w = ab_calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->started = started;
    w->daily_done = AB_TIME_NONE;
    return w;
}

void eng_selfwatch_free(eng_selfwatch *w)
{
    if (!w)
        return;
    sched_free(w->daily);
    ab_free(w);
}

/* (Re)build the daily schedule when daily= or the zone changed. */
static int daily_sched(eng_selfwatch *w, const struct cfg_global *g)
{
    char key[128];
    snprintf(key, sizeof key, "%s %s", g->watchdog.daily, g->timezone);
    if (w->daily && strcmp(key, w->daily_key) == 0)
        return 0;
    sched_free(w->daily);
    w->daily = sched_new();
    w->daily_done = AB_TIME_NONE;
    snprintf(w->daily_key, sizeof w->daily_key, "%s", key);
    char cron[32];
    /* daily is HH:MM (config checked it): cron "MM HH * * *". */
    snprintf(cron, sizeof cron, "%.2s %.2s * * *", g->watchdog.daily + 3,
             g->watchdog.daily);
    ab_errmsg em = {{0}};
    if (!w->daily || sched_set_zone(w->daily, g->timezone, &em) != AB_OK ||
        sched_set_cron(w->daily, cron, &em) != AB_OK) {
        ab_log(AB_LOG_ERROR, "watchdog: daily=\"%s\": %s", g->watchdog.daily, em.text);
        sched_free(w->daily);
        w->daily = NULL;
        return -1;
    }
    return 0;
}

/* The latest fire time at or before now (within two days), or NONE. */
static ab_time latest_fire(const sched *s, ab_time now)
{
    ab_time t, next;
    if (sched_next(s, now - 2 * 86400, &t) != AB_OK || t > now)
        return AB_TIME_NONE;
    while (sched_next(s, t, &next) == AB_OK && next <= now && next > t)
        t = next;
    return t;
}

/* "<ackbeat-daily.20261122T080000Z@example.org>": letters and digits only
 * in the left part, from the ISO fire time. */
static void daily_msgid(const char *when, const char *from, char *buf, size_t len)
{
    const char *domain = strchr(from, '@');
    char stamp[AB_ISO_LEN];
    size_t k = 0;
    for (const char *p = when; *p && k + 1 < sizeof stamp; p++)
        if (*p != '-' && *p != ':')
            stamp[k++] = *p;
    stamp[k] = '\0';
    snprintf(buf, len, "<ackbeat-daily.%s@%s>", stamp, domain ? domain + 1 : "localhost");
}

/* The message's text: what runs where, since when, and the outbox. */
static void daily_text(eng_selfwatch *w, eng *e, const char *host, const char *when,
                       ab_time now, char *buf, size_t len)
{
    const struct cfg_global *g = cfg_global(e->c);
    char start[AB_ISO_LEN], up[32];
    ab_time_format(w->started, start, sizeof start);
    ab_duration_format(now - w->started, up, sizeof up);
    struct store_outbox_counts oc = {0};
    int have_counts = store_outbox_counts(e->st, &oc, NULL) == AB_OK;
    snprintf(buf, len,
             "ackbeat %s on %s is running.\n\n"
             "Site:            %s\n"
             "Daily check-in:  %s (%s, %s)\n"
             "Running since:   %s (%s)\n"
             "Checks:          %zu configured\n"
             "Outbox:          %lld queued, %lld failed\n\n"
             "If this message stops arriving, ackbeat or its mail path is down.\n",
             AB_VERSION, host, g->name, when, g->watchdog.daily, g->timezone, start, up,
             cfg_check_count(e->c), have_counts ? (long long)oc.queued : -1LL,
             have_counts ? (long long)oc.failed : -1LL);
}

/* Queue the message for fire time `when`.  1 when the day is done with: it
 * is queued, was queued before a restart, or its sender cannot be built
 * (that will not fix itself); 0 to try again on the next tick. */
static int daily_queue(eng *e, const char *when, const char *msgid, const char *text,
                       ab_time now)
{
    const struct cfg_global *g = cfg_global(e->c);
    char subject[256];
    snprintf(subject, sizeof subject, "[%s] ackbeat is running (daily check-in)",
             g->name);
    struct mail_addr *to = ab_calloc(g->watchdog.admin.n, sizeof *to);
    if (!to)
        return 0;
    for (size_t i = 0; i < g->watchdog.admin.n; i++)
        to[i].addr = g->watchdog.admin.v[i];
    /* Several admins, no token: the inbox's plain bounce address. */
    char sender[MAIL_ADDR_MAX + 1];
    ab_errmsg em = {{0}};
    enum ab_err err = mail_envelope_sender(&g->inbox, g->mail.from, NULL, sender, &em);
    if (err) {
        ab_log(AB_LOG_WARN, "watchdog: %s", em.text);
        ab_free(to);
        return 1;
    }
    struct mail_msg_spec spec = {
        .from = g->mail.from,
        .envelope_from = sender,
        .from_name = g->mail.from_name,
        .to = to,
        .nto = g->watchdog.admin.n,
        .subject = subject,
        .text = text,
        .message_id = msgid,
        .date = now,
    };
    err = mail_outbox_put(e->st, &spec, "watchdog", "daily", now, NULL, NULL, &em);
    ab_free(to);
    if (err == AB_OK)
        ab_log(AB_LOG_INFO, "watchdog: daily check-in for %s queued to %zu admin(s)",
               when, g->watchdog.admin.n);
    else if (err != AB_EEXIST)
        ab_log(AB_LOG_ERROR, "watchdog: daily check-in: %s", em.text);
    return err == AB_OK || err == AB_EEXIST;
}

void eng_selfwatch_daily(eng_selfwatch *w, eng *e, const char *host, ab_time now)
{
    const struct cfg_global *g = cfg_global(e->c);
    if (!w || !g->watchdog.enabled || !g->watchdog.admin.n || !g->watchdog.daily ||
        daily_sched(w, g) != 0)
        return;
    ab_time fire = latest_fire(w->daily, now);
    if (fire == AB_TIME_NONE || fire == w->daily_done)
        return;
    if (!g->mail.from || !g->mail.transport) {
        ab_log(AB_LOG_WARN,
               "watchdog: admin= is set but there is no <mail> to send with");
        w->daily_done = fire;
        return;
    }
    /* With several nodes on one state, the leader sends it, and the day's
     * claim keeps a leader that just took over from sending it again. */
    ab_errmsg em = {{0}};
    int got = 0;
    if (eng_lead(e, now, &em) != AB_OK ||
        (eng_is_leader(e) && eng_daily_claim(e, "selfwatch", fire, now, &got, &em))) {
        ab_log(AB_LOG_ERROR, "watchdog: daily check-in: %s", em.text);
        return;
    }
    if (!got)
        return; /* not the leader, or another node has the day */
    char when[AB_ISO_LEN], msgid[256], text[2048];
    ab_time_format(fire, when, sizeof when);
    daily_msgid(when, g->mail.from, msgid, sizeof msgid);
    daily_text(w, e, host, when, now, text, sizeof text);
    if (!daily_queue(e, when, msgid, text, now))
        return;
    w->daily_done = fire;
    if (eng_daily_done(e, "selfwatch", fire, &em) != AB_OK)
        ab_log(AB_LOG_WARN, "watchdog: daily check-in: %s", em.text);
}
