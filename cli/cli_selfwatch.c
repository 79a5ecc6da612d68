/*
 * cli_selfwatch.c - the daemon's own liveness, made visible from outside:
 * a GET of <watchdog ping-url=> on every tick (libcurl, short timeout,
 * failures logged only), and a daily plain-text message to admin= through
 * the outbox.
 *
 * The daily message's Message-ID is derived from its fire time, so the
 * outbox's unique Message-ID makes it idempotent: a restart after 08:00
 * does not send the day's message twice, and one missed while ackbeat was
 * down is sent when it comes back.
 */
#include "cli/cli_selfwatch.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/ab_log.h"
#include "common/ab_mem.h"
#include "mailer/mail.h"
#include "schedules/sched.h"

struct cli_selfwatch {
    ab_time started;
    CURL *curl;
    int ping_failing;          /* last ping failed: log only changes */
    char url[1024];            /* the URL the handle is set up for */
    sched *daily;              /* fires at HH:MM in the global zone */
    char daily_key[128];       /* "HH:MM zone" it was built from */
    ab_time daily_done;        /* fire time already queued (or present) */
};

struct cli_selfwatch *cli_selfwatch_new(ab_time started)
{
    struct cli_selfwatch *w = ab_calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->started = started;
    w->daily_done = AB_TIME_NONE;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    return w;
}

void cli_selfwatch_free(struct cli_selfwatch *w)
{
    if (!w)
        return;
    if (w->curl)
        curl_easy_cleanup(w->curl);
    sched_free(w->daily);
    ab_free(w);
}

static size_t discard(char *p, size_t sz, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return sz * n;
}

static void ping(struct cli_selfwatch *w, const struct cfg_watchdog *wd)
{
    if (!w->curl || strcmp(w->url, wd->ping_url) != 0) {
        if (w->curl)
            curl_easy_cleanup(w->curl);
        w->curl = curl_easy_init();
        if (!w->curl)
            return;
        snprintf(w->url, sizeof w->url, "%s", wd->ping_url);
        curl_easy_setopt(w->curl, CURLOPT_URL, w->url);
        curl_easy_setopt(w->curl, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(w->curl, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(w->curl, CURLOPT_FAILONERROR, 1L);
        curl_easy_setopt(w->curl, CURLOPT_WRITEFUNCTION, discard);
        curl_easy_setopt(w->curl, CURLOPT_USERAGENT, "ackbeat/" AB_VERSION);
    }
    /* A ping must never hold the loop up for long: the watchdog and
     * the checks wait behind it. */
    curl_easy_setopt(w->curl, CURLOPT_TIMEOUT, (long)wd->ping_timeout);
    curl_easy_setopt(w->curl, CURLOPT_CONNECTTIMEOUT, (long)wd->ping_timeout);
    CURLcode rc = curl_easy_perform(w->curl);
    if (rc != CURLE_OK) {
        long code = 0;
        curl_easy_getinfo(w->curl, CURLINFO_RESPONSE_CODE, &code);
        if (!w->ping_failing && rc == CURLE_HTTP_RETURNED_ERROR)
            ab_log(AB_LOG_WARN, "watchdog: ping %s failed: HTTP %ld", w->url, code);
        else if (!w->ping_failing)
            ab_log(AB_LOG_WARN, "watchdog: ping %s failed: %s", w->url,
                   curl_easy_strerror(rc));
        else
            ab_log(AB_LOG_DEBUG, "watchdog: ping still failing: %s",
                   curl_easy_strerror(rc));
        w->ping_failing = 1;
        return;
    }
    if (w->ping_failing)
        ab_log(AB_LOG_INFO, "watchdog: ping %s works again", w->url);
    else
        ab_log(AB_LOG_DEBUG, "watchdog: pinged %s", w->url);
    w->ping_failing = 0;
}

/* (Re)build the daily schedule when daily= or the zone changed. */
static int daily_sched(struct cli_selfwatch *w, const struct cfg_global *g)
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
    snprintf(cron, sizeof cron, "%.2s %.2s * * *", g->watchdog.daily + 3, g->watchdog.daily);
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

static void daily(struct cli_selfwatch *w, const cfg *c, store *st, ab_time now)
{
    const struct cfg_global *g = cfg_global(c);
    if (daily_sched(w, g) != 0)
        return;
    ab_time fire = latest_fire(w->daily, now);
    if (fire == AB_TIME_NONE || fire == w->daily_done)
        return;
    if (!g->mail.from || !g->mail.transport) {
        ab_log(AB_LOG_WARN, "watchdog: admin= is set but there is no <mail> to send with");
        w->daily_done = fire;
        return;
    }
    const char *domain = strchr(g->mail.from, '@');
    char msgid[256], when[AB_ISO_LEN], start[AB_ISO_LEN], up[32], host[128] = "";
    ab_time_format(fire, when, sizeof when);
    /* Letters and digits only in the left part: "2026-11-22T08:00:00Z"
     * becomes "20261122T080000Z". */
    char stamp[AB_ISO_LEN];
    size_t k = 0;
    for (const char *p = when; *p && k + 1 < sizeof stamp; p++)
        if (*p != '-' && *p != ':')
            stamp[k++] = *p;
    stamp[k] = '\0';
    snprintf(msgid, sizeof msgid, "<ackbeat-daily.%s@%s>", stamp, domain ? domain + 1 : "localhost");
    ab_time_format(w->started, start, sizeof start);
    ab_duration_format(now - w->started, up, sizeof up);
    gethostname(host, sizeof host - 1);

    struct store_outbox_counts oc = {0};
    ab_errmsg em = {{0}};
    int have_counts = store_outbox_counts(st, &oc, &em) == AB_OK;
    char subject[256], text[2048];
    snprintf(subject, sizeof subject, "[%s] ackbeat is running (daily check-in)", g->name);
    snprintf(text, sizeof text,
             "ackbeat %s on %s is running.\n\n"
             "Site:            %s\n"
             "Daily check-in:  %s (%s, %s)\n"
             "Running since:   %s (%s)\n"
             "Checks:          %zu configured\n"
             "Outbox:          %lld queued, %lld failed\n\n"
             "If this message stops arriving, ackbeat or its mail path is down.\n",
             AB_VERSION, host, g->name, when, g->watchdog.daily, g->timezone, start, up,
             cfg_check_count(c), have_counts ? (long long)oc.queued : -1LL,
             have_counts ? (long long)oc.failed : -1LL);

    struct mail_addr *to = ab_calloc(g->watchdog.admin.n, sizeof *to);
    if (!to)
        return;
    for (size_t i = 0; i < g->watchdog.admin.n; i++)
        to[i].addr = g->watchdog.admin.v[i];
    /* Several admins, no token: the inbox's plain bounce address. */
    char sender[MAIL_ADDR_MAX + 1];
    if (mail_envelope_sender(&g->inbox, g->mail.from, NULL, sender, &em) != AB_OK) {
        ab_log(AB_LOG_WARN, "watchdog: %s", em.text);
        ab_free(to);
        w->daily_done = fire;
        return;
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
    ab_errmsg_clear(&em);
    enum ab_err e = mail_outbox_put(st, &spec, "watchdog", "daily", now, NULL, NULL, &em);
    ab_free(to);
    if (e == AB_OK) {
        ab_log(AB_LOG_INFO, "watchdog: daily check-in for %s queued to %zu admin(s)", when,
               g->watchdog.admin.n);
        w->daily_done = fire;
    } else if (e == AB_EEXIST) {
        w->daily_done = fire; /* queued before a restart */
    } else {
        ab_log(AB_LOG_ERROR, "watchdog: daily check-in: %s", em.text);
    }
}

void cli_selfwatch_tick(struct cli_selfwatch *w, const cfg *c, store *st, ab_time now)
{
    const struct cfg_watchdog *wd = &cfg_global(c)->watchdog;
    if (!w || !wd->enabled)
        return;
    if (wd->ping_url)
        ping(w, wd);
    if (wd->admin.n && wd->daily)
        daily(w, c, st, now);
}
