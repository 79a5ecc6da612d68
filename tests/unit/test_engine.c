/*
 * test_engine.c - whole months of ackbeat in seconds: the engine driven
 * with explicit times, mail out to a Maildir, replies in from a Maildir.
 *
 * Heartbeats answered, unanswered, answered only by an auto-reply,
 * bounced, answered late, reminded; the inbox unreadable at the deadline;
 * a freshness check that fails, repeats, escalates, is dismissed, gets
 * worse and recovers; a dependency; maintenance; reply commands.
 */
#include "harness.h"

#include <dirent.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/ab_buf.h"
#include "common/ab_mem.h"
#include "config/cfg.h"
#include "engine/eng.h"
#include "store/store.h"
#include "store/store_alerts.h"
#include "store/store_cycles.h"
#include "store/store_pings.h"
#include "store/store_runs.h"
#include "store/store_tokens.h"
#include "test_engine_util.h"

struct world {
    char dir[512];
    cfg *c;
    store *st;
    eng *e;
};

/* A fresh world: config with the given checks, its own folder. */
static int world_new_a(struct world *w, const char *name, const char *checks,
                       const char *extra, const char *alerting);
static int world_new(struct world *w, const char *name, const char *checks,
                     const char *extra)
{
    return world_new_a(w, name, checks, extra, "");
}

/* Extra attributes for <inbox> in the next world_new (e.g. bounce-address). */
static const char *inbox_extra = "";

static int world_new_a(struct world *w, const char *name, const char *checks,
                       const char *extra, const char *alerting)
{
    memset(w, 0, sizeof *w);
    snprintf(w->dir, sizeof w->dir, "%s/%s", t_tmpdir(), name);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "mkdir -p %s/inbox/new %s/inbox/cur %s/inbox/tmp", w->dir,
             w->dir, w->dir);
    if (system(cmd) != 0)
        return -1;
    ab_buf x;
    ab_buf_init(&x, 1 << 20);
    if (ab_buf_printf(&x,
            "<ackbeat name=\"test\" timezone=\"UTC\" tick=\"1m\">\n"
            "  <state path=\"state.db\"/>\n"
            "  <mail from=\"ackbeat@example.test\" transport=\"maildir:out\"/>\n"
            "  <inbox url=\"maildir:inbox\" poll=\"1m\" reply-address=\"heartbeat@example.test\"\n"
            "         ack-from=\"example.test\" %s/>\n"
            "  <recipients>\n"
            "    <person name=\"alice\" email=\"alice@state-a.test\"/>\n"
            "    <person name=\"bob\" email=\"bob@state-b.test\"/>\n"
            "    <person name=\"ops\" email=\"ops@example.test\"/>\n"
            "    <person name=\"boss\" email=\"boss@example.test\"/>\n"
            "    <person name=\"owl\" email=\"owl@example.test\" quiet-hours=\"Night\"/>\n"
            "  </recipients>\n"
            "  <Schedules><EventScheduleObject><EventSchedule>Night</EventSchedule><Provisions>\n"
            "    <ScheduleProvision><DayOfWeek>Monday</DayOfWeek><StartTime>22:00</StartTime><EndTime>06:00</EndTime></ScheduleProvision>\n"
            "    <ScheduleProvision><DayOfWeek>Tuesday</DayOfWeek><StartTime>22:00</StartTime><EndTime>06:00</EndTime></ScheduleProvision>\n"
            "  </Provisions></EventScheduleObject></Schedules>\n"
            "  <alerting notify=\"ops\" escalate-to=\"boss\" repeat=\"24h\" escalate-after=\"2d\" %s/>\n"
            "  <schedule name=\"monthly\" rrule=\"FREQ=MONTHLY;BYMONTHDAY=1;BYHOUR=8;BYMINUTE=0;BYSECOND=0\"/>\n"
            "  <sources><sqlite name=\"db\" path=\"data.db\"/></sources>\n"
            "  %s\n"
            "  <checks>\n%s\n  </checks>\n</ackbeat>\n",
            inbox_extra, alerting ? alerting : "", extra ? extra : "", checks)) {
        ab_buf_free(&x);
        return -1;
    }
    int r = te_open(w->dir, ab_buf_str(&x), &w->c, &w->st, &w->e);
    ab_buf_free(&x);
    return r;
}

static void world_free(struct world *w)
{
    eng_free(w->e);
    store_close(w->st);
    cfg_free(w->c);
}

static int tick(struct world *w, const char *iso, struct eng_tick_stats *s)
{
    struct eng_tick_stats local;
    ab_errmsg em = {{0}};
    if (eng_tick(w->e, T(iso), s ? s : &local, &em) != AB_OK) {
        printf("tick %s: %s\n", iso, em.text);
        return -1;
    }
    return 0;
}

/* Messages in out/new whose headers contain every needle (NULLs end). */
static int count_mail(struct world *w, const char *n1, const char *n2)
{
    char d[1024];
    snprintf(d, sizeof d, "%s/out/new", w->dir);
    DIR *dir = opendir(d);
    if (!dir)
        return 0;
    int cnt = 0;
    struct dirent *de;
    while ((de = readdir(dir))) {
        if (de->d_name[0] == '.')
            continue;
        char p[1400];
        snprintf(p, sizeof p, "%s/%s", d, de->d_name);
        char *m = read_file(p);
        if (m && (!n1 || strstr(m, n1)) && (!n2 || strstr(m, n2)))
            cnt++;
        ab_free(m);
    }
    closedir(dir);
    return cnt;
}

/* The text of the (first) message matching both needles; ab_free it. */
static char *find_mail(struct world *w, const char *n1, const char *n2)
{
    char d[1024];
    snprintf(d, sizeof d, "%s/out/new", w->dir);
    DIR *dir = opendir(d);
    char *found = NULL;
    struct dirent *de;
    while (dir && !found && (de = readdir(dir))) {
        if (de->d_name[0] == '.')
            continue;
        char p[1400];
        snprintf(p, sizeof p, "%s/%s", d, de->d_name);
        char *m = read_file(p);
        if (m && (!n1 || strstr(m, n1)) && (!n2 || strstr(m, n2)))
            found = m;
        else
            ab_free(m);
    }
    if (dir)
        closedir(dir);
    return found;
}

/* The token of the heartbeat request sent to rcpt, from its Reply-To. */
static int token_for(struct world *w, const char *rcpt, char *tok)
{
    char to[256];
    snprintf(to, sizeof to, "To: %s", rcpt);
    char *m = find_mail(w, "X-Ackbeat-Notice: heartbeat-request", to);
    if (!m)
        return -1;
    const char *p = strstr(m, "heartbeat+");
    int ok = p && sscanf(p, "heartbeat+%26[a-z2-7]@", tok) == 1;
    ab_free(m);
    return ok ? 0 : -1;
}

static int seq;
static void deliver(struct world *w, const char *text)
{
    char p[1400];
    snprintf(p, sizeof p, "%s/inbox/new/%d.%d.test", w->dir, getpid(), ++seq);
    write_file(p, text);
}

static void reply(struct world *w, const char *from, const char *tok, const char *body,
                  const char *extra_headers)
{
    char msg[4096];
    snprintf(msg, sizeof msg,
             "From: %s\r\nTo: heartbeat+%s@example.test\r\nSubject: Re: heartbeat\r\n"
             "Message-ID: <reply.%d.%s@client.test>\r\nIn-Reply-To: <hb.%s@example.test>\r\n"
             "%sMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
             "%s\r\n\r\n> Reference: hb.%s\r\n",
             from, tok, ++seq, tok, tok, extra_headers ? extra_headers : "", body, tok);
    deliver(w, msg);
}

static const char *cycle_status(struct world *w)
{
    static char buf[32];
    struct store_cycle **v = NULL;
    size_t n = 0;
    buf[0] = '\0';
    if (store_cycle_list(w->st, NULL, 0, 1, &v, &n, NULL) == AB_OK && n)
        snprintf(buf, sizeof buf, "%s", v[0]->status);
    store_cycle_list_free(v, n);
    return buf;
}

static int open_alerts(struct world *w, int *notify_count, int *level)
{
    struct store_alert **v = NULL;
    size_t n = 0;
    if (store_alert_list(w->st, 0, 100, &v, &n, NULL) != AB_OK)
        return -1;
    if (n && notify_count)
        *notify_count = v[0]->notify_count;
    if (n && level)
        *level = v[0]->level;
    for (size_t i = 0; i < n; i++)
        store_alert_free(v[i]);
    ab_free(v);
    return (int)n;
}

#define HB "<heartbeat name=\"monthly\" schedule=\"monthly\" to=\"alice bob\" " \
           "grace=\"7d\" quorum=\"1\" reminder=\"2d\"/>"

TEST(heartbeat_answered)
{
    struct world w;
    CHECK_OK(world_new(&w, "answered", HB, NULL));
    CHECK_OK(tick(&w, "2026-11-30T08:00:00Z", NULL)); /* nothing yet */
    CHECK_INT(count_mail(&w, "heartbeat-request", NULL), 0);
    CHECK_OK(tick(&w, "2026-12-01T08:00:00Z", NULL));
    CHECK_INT(count_mail(&w, "X-Ackbeat-Notice: heartbeat-request", NULL), 2);
    char tok[32];
    CHECK_OK(token_for(&w, "alice@state-a.test", tok));
    char *m = find_mail(&w, "To: alice@state-a.test", NULL);
    /* The wire format: Message-ID, Reply-To, the reference line, Auto-Submitted. */
    char want[128];
    snprintf(want, sizeof want, "<hb.%s@example.test>", tok);
    CHECK_CONTAINS(m, want);
    snprintf(want, sizeof want, "Reference: hb.%s", tok);
    CHECK_CONTAINS(m, want);
    CHECK_CONTAINS(m, "Auto-Submitted: auto-generated");
    ab_free(m);
    CHECK_STR(cycle_status(&w), "Pending");
    reply(&w, "Alice <alice@state-a.test>", tok, "Got it, thanks!", NULL);
    CHECK_OK(tick(&w, "2026-12-01T09:00:00Z", NULL));
    CHECK_STR(cycle_status(&w), "Healthy");
    /* Past the deadline: still Healthy, no alert, no reminder. */
    CHECK_OK(tick(&w, "2026-12-09T09:00:00Z", NULL));
    CHECK_INT(open_alerts(&w, NULL, NULL), 0);
    CHECK_INT(count_mail(&w, "heartbeat-reminder", NULL), 0);
    world_free(&w);
}

TEST(heartbeat_unanswered_reminds_then_alerts)
{
    struct world w;
    CHECK_OK(world_new(&w, "unanswered", HB, NULL));
    CHECK_OK(tick(&w, "2026-12-01T08:00:00Z", NULL));
    CHECK_OK(tick(&w, "2026-12-06T08:00:00Z", NULL)); /* reminder at deadline - 2d */
    CHECK_INT(count_mail(&w, "X-Ackbeat-Notice: heartbeat-reminder", NULL), 2);
    CHECK_OK(tick(&w, "2026-12-06T09:00:00Z", NULL)); /* once only */
    CHECK_INT(count_mail(&w, "X-Ackbeat-Notice: heartbeat-reminder", NULL), 2);
    struct eng_tick_stats s;
    CHECK_OK(tick(&w, "2026-12-08T08:01:00Z", &s));
    CHECK_STR(cycle_status(&w), "Failing");
    CHECK_INT(s.alerts_opened, 1);
    /* "Nobody confirmed" goes to the escalation recipients too. */
    char *m = find_mail(&w, "X-Ackbeat-Notice: nobody-confirmed", "To: boss@example.test");
    CHECK(m != NULL);
    CHECK_CONTAINS(m, "alice@state-a.test");
    CHECK_CONTAINS(m, "bob@state-b.test");
    ab_free(m);
    CHECK_INT(count_mail(&w, "X-Ackbeat-Notice: nobody-confirmed", NULL), 2);
    /* Next month, nobody again: the missed streak grows. */
    CHECK_OK(tick(&w, "2027-01-01T08:00:00Z", NULL));
    CHECK_OK(tick(&w, "2027-01-08T08:01:00Z", NULL));
    struct store_recipient *r;
    CHECK_OK(store_recipient_get(w.st, "bob@state-b.test", &r, NULL));
    CHECK_INT(r->missed_streak, 2);
    store_recipient_free(r);
    /* A third month: missed-limit (3) reached, flagged in the alert. */
    CHECK_OK(tick(&w, "2027-02-01T08:00:00Z", NULL));
    CHECK_OK(tick(&w, "2027-02-08T08:01:00Z", NULL));
    struct store_recipient **fr;
    size_t nfr;
    CHECK_OK(store_recipient_flagged(w.st, 3, &fr, &nfr, NULL));
    CHECK_INT(nfr, 2);
    for (size_t i = 0; i < nfr; i++)
        store_recipient_free(fr[i]);
    ab_free(fr);
    world_free(&w);
}

TEST(heartbeat_autoreply_only_is_not_an_ack)
{
    struct world w;
    CHECK_OK(world_new(&w, "autoreply", HB, NULL));
    CHECK_OK(tick(&w, "2026-12-01T08:00:00Z", NULL));
    char tok[32];
    CHECK_OK(token_for(&w, "bob@state-b.test", tok));
    reply(&w, "bob@state-b.test", tok, "I am out of the office until December 10.",
          "Auto-Submitted: auto-replied\r\nX-Autoreply: yes\r\n");
    CHECK_OK(tick(&w, "2026-12-01T09:00:00Z", NULL));
    CHECK_STR(cycle_status(&w), "Pending");
    CHECK_OK(tick(&w, "2026-12-08T08:01:00Z", NULL));
    CHECK_STR(cycle_status(&w), "Failing");
    char *m = find_mail(&w, "X-Ackbeat-Notice: nobody-confirmed", NULL);
    CHECK(m != NULL);
    CHECK_CONTAINS(m, "auto-reply");
    ab_free(m);
    world_free(&w);
}

TEST(heartbeat_bounce_is_named)
{
    struct world w;
    CHECK_OK(world_new(&w, "bounce", HB, NULL));
    CHECK_OK(tick(&w, "2026-12-01T08:00:00Z", NULL));
    char tok[32];
    CHECK_OK(token_for(&w, "bob@state-b.test", tok));
    char dsn[4096];
    snprintf(dsn, sizeof dsn,
             "From: MAILER-DAEMON@mx.test (Mail Delivery System)\r\n"
             "To: heartbeat@example.test\r\nSubject: Undelivered Mail Returned to Sender\r\n"
             "Message-ID: <dsn.%d@mx.test>\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
             "Content-Type: multipart/report; report-type=delivery-status; boundary=\"BB\"\r\n\r\n"
             "--BB\r\nContent-Type: text/plain\r\n\r\n<bob@state-b.test>: user unknown\r\n"
             "--BB\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.test\r\n\r\n"
             "Final-Recipient: rfc822; bob@state-b.test\r\nAction: failed\r\nStatus: 5.1.1\r\n"
             "Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n"
             "--BB\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <hb.%s@example.test>\r\n"
             "To: bob@state-b.test\r\nSubject: heartbeat\r\n--BB--\r\n",
             getpid(), tok);
    deliver(&w, dsn);
    CHECK_OK(tick(&w, "2026-12-01T09:00:00Z", NULL));
    CHECK_OK(tick(&w, "2026-12-08T08:01:00Z", NULL));
    CHECK_STR(cycle_status(&w), "Failing");
    char *m = find_mail(&w, "X-Ackbeat-Notice: nobody-confirmed", NULL);
    CHECK(m != NULL);
    CHECK_CONTAINS(m, "bounced");
    ab_free(m);
    struct store_alert **v;
    size_t n;
    CHECK_OK(store_alert_list(w.st, 0, 10, &v, &n, NULL));
    CHECK_INT(n, 1);
    CHECK_CONTAINS(v[0]->message, "bounced: bob@state-b.test");
    store_alert_free(v[0]);
    ab_free(v);
    world_free(&w);
}

TEST(heartbeat_answered_late_resolves)
{
    struct world w;
    CHECK_OK(world_new(&w, "late", HB, NULL));
    CHECK_OK(tick(&w, "2026-12-01T08:00:00Z", NULL));
    CHECK_OK(tick(&w, "2026-12-08T08:01:00Z", NULL));
    CHECK_STR(cycle_status(&w), "Failing");
    CHECK_INT(open_alerts(&w, NULL, NULL), 1);
    char tok[32];
    CHECK_OK(token_for(&w, "alice@state-a.test", tok));
    reply(&w, "alice@state-a.test", tok, "Sorry, I was away. Received.", NULL);
    struct eng_tick_stats s;
    CHECK_OK(tick(&w, "2026-12-09T10:00:00Z", &s));
    CHECK_STR(cycle_status(&w), "Healthy");
    CHECK_INT(s.alerts_resolved, 1);
    CHECK_INT(open_alerts(&w, NULL, NULL), 0);
    CHECK(count_mail(&w, "X-Ackbeat-Notice: alert-resolved", NULL) >= 1);
    world_free(&w);
}

TEST(heartbeat_verdict_held_while_inbox_unreadable)
{
    struct world w;
    CHECK_OK(world_new(&w, "unreadable", HB, NULL));
    CHECK_OK(tick(&w, "2026-12-01T08:00:00Z", NULL));
    CHECK_OK(tick(&w, "2026-12-07T08:00:00Z", NULL));
    /* The mailbox disappears (a broken mount, a wrong path). */
    char from[1024], to[1100];
    snprintf(from, sizeof from, "%s/inbox", w.dir);
    snprintf(to, sizeof to, "%s/inbox.gone", w.dir);
    CHECK(rename(from, to) == 0);
    CHECK_OK(tick(&w, "2026-12-08T08:01:00Z", NULL));
    CHECK_OK(tick(&w, "2026-12-08T08:10:00Z", NULL));
    CHECK_STR(cycle_status(&w), "Held");
    struct store_alert **v;
    size_t n;
    CHECK_OK(store_alert_list(w.st, 0, 10, &v, &n, NULL));
    CHECK_INT(n, 1);
    CHECK_INT(v[0]->status, AB_OFFLINE);
    CHECK_CONTAINS(v[0]->message, "cannot read the inbox");
    store_alert_free(v[0]);
    ab_free(v);
    CHECK_INT(count_mail(&w, "nobody-confirmed", NULL), 0);
    /* The mailbox is back with a reply that came in meanwhile. */
    CHECK(rename(to, from) == 0);
    char tok[32];
    CHECK_OK(token_for(&w, "alice@state-a.test", tok));
    reply(&w, "alice@state-a.test", tok, "ok", NULL);
    CHECK_OK(tick(&w, "2026-12-08T09:00:00Z", NULL));
    CHECK_STR(cycle_status(&w), "Healthy");
    CHECK_INT(open_alerts(&w, NULL, NULL), 0);
    world_free(&w);
}

TEST(reply_commands_and_forgery)
{
    struct world w;
    CHECK_OK(world_new(&w, "commands", HB, NULL));
    CHECK_OK(tick(&w, "2026-12-01T08:00:00Z", NULL));
    CHECK_OK(tick(&w, "2026-12-08T08:01:00Z", NULL));
    CHECK_INT(open_alerts(&w, NULL, NULL), 1);
    /* A forged token acknowledges nothing. */
    reply(&w, "mallory@evil.test", "aaaaaaaaaaaaaaaaaaaaaaaaaa", "ack", NULL);
    CHECK_OK(tick(&w, "2026-12-08T09:00:00Z", NULL));
    CHECK_STR(cycle_status(&w), "Failing");
    /* "snooze 2d" from the recipient snoozes the heartbeat's alert. */
    char tok[32];
    CHECK_OK(token_for(&w, "bob@state-b.test", tok));
    reply(&w, "bob@state-b.test", tok, "snooze 2d", NULL);
    CHECK_OK(tick(&w, "2026-12-08T10:00:00Z", NULL));
    struct store_alert **v;
    size_t n;
    CHECK_OK(store_alert_list(w.st, 1, 10, &v, &n, NULL));
    CHECK(n >= 1);
    CHECK(v[0]->dismissed_at != AB_TIME_NONE);
    CHECK_INT(v[0]->dismissed_until, T("2026-12-10T10:00:00Z"));
    CHECK_STR(v[0]->dismissed_by, "bob@state-b.test");
    for (size_t i = 0; i < n; i++)
        store_alert_free(v[i]);
    ab_free(v);
    world_free(&w);
}

static void set_newest(struct world *w, const char *iso)
{
    char p[1024], sql[512];
    snprintf(p, sizeof p, "%s/data.db", w->dir);
    sqlite3 *db;
    if (sqlite3_open(p, &db) != SQLITE_OK)
        abort();
    snprintf(sql, sizeof sql,
             "CREATE TABLE IF NOT EXISTS t(ts TEXT); INSERT INTO t VALUES ('%s');", iso);
    sqlite3_exec(db, sql, NULL, NULL, NULL);
    sqlite3_close(db);
}

#define FRESH "<freshness name=\"fresh\" source=\"db\" table=\"t\" column=\"ts\" " \
              "max-age=\"2d\" warn-age=\"1d\"/>"

TEST(freshness_fails_repeats_escalates_dismissed_worse_recovers)
{
    struct world w;
    CHECK_OK(world_new(&w, "fresh", FRESH, NULL));
    set_newest(&w, "2026-12-01T00:00:00Z");
    CHECK_OK(tick(&w, "2026-12-01T12:00:00Z", NULL));
    CHECK_INT(open_alerts(&w, NULL, NULL), 0);
    int cnt = 0, lvl = 0;
    CHECK_OK(tick(&w, "2026-12-02T06:00:00Z", NULL)); /* 30h old: Degraded */
    CHECK_INT(open_alerts(&w, &cnt, &lvl), 1);
    CHECK_INT(cnt, 1);
    CHECK_INT(count_mail(&w, "X-Ackbeat-Notice: alert-opened", "To: ops@example.test"), 1);
    CHECK_OK(tick(&w, "2026-12-02T07:00:00Z", NULL)); /* no repeat yet */
    CHECK_OK(open_alerts(&w, &cnt, NULL) == 1 ? 0 : 1);
    CHECK_INT(cnt, 1);
    CHECK_OK(tick(&w, "2026-12-03T06:00:00Z", NULL)); /* 24h later: Failing, worse */
    CHECK_OK(open_alerts(&w, &cnt, NULL) == 1 ? 0 : 1);
    CHECK_INT(cnt, 2);
    CHECK_OK(tick(&w, "2026-12-04T06:01:00Z", NULL)); /* 2d after opening: escalates */
    CHECK_OK(open_alerts(&w, &cnt, &lvl) == 1 ? 0 : 1);
    CHECK_INT(lvl, 1);
    CHECK_INT(count_mail(&w, "X-Ackbeat-Notice: alert-escalated", "To: boss@example.test"), 1);
    /* All notices about this alert are in one thread. */
    CHECK_INT(count_mail(&w, "In-Reply-To: <ackbeat.alert1.n1.", "To: ops@example.test"), 2);
    struct store_alert **v;
    size_t n;
    CHECK_OK(store_alert_list(w.st, 0, 10, &v, &n, NULL));
    int64_t id = v[0]->id;
    store_alert_free(v[0]);
    ab_free(v);
    ab_errmsg em = {{0}};
    CHECK_OK(eng_dismiss(w.e, id, "kim", "known: vendor outage", AB_TIME_NONE,
                         T("2026-12-04T07:00:00Z"), &em));
    int before = count_mail(&w, "X-Ackbeat-Alert: 1", NULL);
    CHECK_OK(tick(&w, "2026-12-06T07:00:00Z", NULL)); /* would repeat: dismissed */
    CHECK_INT(count_mail(&w, "X-Ackbeat-Alert: 1", NULL), before);
    world_free(&w);

    /* Gets worse while dismissed: the dismissal ends and people hear. */
    CHECK_OK(world_new(&w, "fresh2", FRESH, NULL));
    set_newest(&w, "2026-12-01T00:00:00Z");
    CHECK_OK(tick(&w, "2026-12-02T06:00:00Z", NULL)); /* Degraded */
    CHECK_OK(store_alert_list(w.st, 0, 10, &v, &n, NULL));
    id = v[0]->id;
    store_alert_free(v[0]);
    ab_free(v);
    CHECK_OK(eng_dismiss(w.e, id, "kim", NULL, AB_TIME_NONE, T("2026-12-02T06:30:00Z"), &em));
    CHECK_OK(tick(&w, "2026-12-03T01:00:00Z", NULL)); /* Failing: worse */
    struct store_alert *a;
    CHECK_OK(store_alert_get(w.st, id, &a, &em));
    CHECK_INT(a->dismissed_at, AB_TIME_NONE);
    CHECK_INT(a->status, AB_FAILING);
    CHECK_INT(a->notify_count, 2);
    store_alert_free(a);
    /* Fresh data: resolved, and a resolved notice in the same thread. */
    set_newest(&w, "2026-12-03T01:30:00Z");
    struct eng_tick_stats s;
    CHECK_OK(tick(&w, "2026-12-03T02:00:00Z", &s));
    CHECK_INT(s.alerts_resolved, 1);
    char *m = find_mail(&w, "X-Ackbeat-Notice: alert-resolved", NULL);
    CHECK(m != NULL);
    CHECK_CONTAINS(m, "In-Reply-To: <ackbeat.alert1.n1.");
    ab_free(m);
    world_free(&w);
}

/* The token an alert notice to rcpt carries, from its Reply-To. */
static int alert_token_for(struct world *w, const char *notice, const char *rcpt,
                           char *tok)
{
    char to[256], hdr[128];
    snprintf(to, sizeof to, "To: %s", rcpt);
    snprintf(hdr, sizeof hdr, "X-Ackbeat-Notice: %s", notice);
    char *m = find_mail(w, hdr, to);
    if (!m)
        return -1;
    const char *p = strstr(m, "Reply-To: heartbeat+");
    int ok = p && sscanf(p, "Reply-To: heartbeat+%26[a-z2-7]@", tok) == 1;
    char ref[64];
    snprintf(ref, sizeof ref, "Reference: hb.%s", ok ? tok : "");
    ok = ok && strstr(m, ref) != NULL;
    ab_free(m);
    return ok ? 0 : -1;
}

/* A reply as a mail client writes it to an alert notice: to the
 * Reply-To, in the alert's thread, the notice quoted. */
static void reply_alert(struct world *w, const char *from, const char *tok,
                        const char *body)
{
    char msg[4096];
    snprintf(msg, sizeof msg,
             "From: %s\r\nTo: heartbeat+%s@example.test\r\nSubject: Re: [P2] fresh\r\n"
             "Message-ID: <areply.%d@client.test>\r\n"
             "In-Reply-To: <ackbeat.alert1.n1.0000@example.test>\r\n"
             "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
             "%s\r\n\r\n> Reference: hb.%s\r\n",
             from, tok, ++seq, body, tok);
    deliver(w, msg);
}

static int alert_notes(struct world *w, int64_t id, const char *kind, const char *needle)
{
    struct store_alert_ev *ev = NULL;
    size_t n = 0;
    int cnt = 0;
    if (store_alert_notes(w->st, id, 100, &ev, &n, NULL) != AB_OK)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(ev[i].event, kind) && ev[i].detail && strstr(ev[i].detail, needle))
            cnt++;
    store_alert_notes_free(ev, n);
    return cnt;
}

TEST(replies_to_alert_notices_act_on_the_alert)
{
    struct world w;
    CHECK_OK(world_new(&w, "alertreply", FRESH, NULL));
    set_newest(&w, "2026-12-01T00:00:00Z");
    CHECK_OK(tick(&w, "2026-12-02T06:00:00Z", NULL)); /* Degraded: opened */
    CHECK_INT(open_alerts(&w, NULL, NULL), 1);
    char tok[32], tok2[32];
    CHECK_OK(alert_token_for(&w, "alert-opened", "ops@example.test", tok));
    char *m = find_mail(&w, "X-Ackbeat-Notice: alert-opened", NULL);
    CHECK_CONTAINS(m, "first line of your reply");
    ab_free(m);

    /* A note from the person notified: recorded, and the next notice
     * (worse: Failing) shows it, with the same token. */
    reply_alert(&w, "Ops <ops@example.test>", tok, "note vendor feed late, fix Friday");
    CHECK_OK(tick(&w, "2026-12-02T07:00:00Z", NULL));
    CHECK_INT(alert_notes(&w, 1, "note", "vendor feed late, fix Friday"), 1);
    CHECK_OK(tick(&w, "2026-12-03T06:00:00Z", NULL)); /* Failing: notice 2, worse */
    m = find_mail(&w, "X-Ackbeat-Notice: alert-worse", "To: ops@example.test");
    CHECK(m != NULL);
    CHECK_CONTAINS(m, "vendor feed late, fix Friday");
    char ref[64];
    snprintf(ref, sizeof ref, "Reply-To: heartbeat+%s@example.test", tok);
    CHECK_CONTAINS(m, ref);
    ab_free(m);

    /* Another address outside ack-from: kept in the history, obeyed not. */
    reply_alert(&w, "mallory@evil.test", tok, "dismiss");
    CHECK_OK(tick(&w, "2026-12-03T06:10:00Z", NULL));
    struct store_alert *a = NULL;
    ab_errmsg em = {{0}};
    CHECK_OK(store_alert_get(w.st, 1, &a, &em));
    CHECK_INT(a->dismissed_at, AB_TIME_NONE);
    store_alert_free(a);
    CHECK_INT(alert_notes(&w, 1, "reply", "dismiss"), 1);

    /* A reply without a command: history only. */
    reply_alert(&w, "ops@example.test", tok, "Looking into it.");
    CHECK_OK(tick(&w, "2026-12-03T06:20:00Z", NULL));
    CHECK_INT(alert_notes(&w, 1, "reply", "Looking into it."), 1);
    CHECK_OK(store_alert_get(w.st, 1, &a, &em));
    CHECK_INT(a->dismissed_at, AB_TIME_NONE);
    store_alert_free(a);

    /* The escalation recipient gets a token of their own; "snooze 2d"
     * from them snoozes this alert. */
    CHECK_OK(tick(&w, "2026-12-04T06:01:00Z", NULL));
    CHECK_OK(alert_token_for(&w, "alert-escalated", "boss@example.test", tok2));
    CHECK(strcmp(tok, tok2) != 0);
    reply_alert(&w, "boss@example.test", tok2, "snooze 2d");
    CHECK_OK(tick(&w, "2026-12-04T07:00:00Z", NULL));
    CHECK_OK(store_alert_get(w.st, 1, &a, &em));
    CHECK(a->dismissed_at != AB_TIME_NONE);
    CHECK_INT(a->dismissed_until, T("2026-12-06T07:00:00Z"));
    CHECK_STR(a->dismissed_by, "boss@example.test");
    store_alert_free(a);

    /* Recovery: the resolved notice carries no token; a late "dismiss"
     * with the old one acts on nothing and breaks nothing. */
    set_newest(&w, "2026-12-04T07:30:00Z");
    CHECK_OK(tick(&w, "2026-12-04T08:00:00Z", NULL));
    CHECK_INT(open_alerts(&w, NULL, NULL), 0);
    m = find_mail(&w, "X-Ackbeat-Notice: alert-resolved", "To: ops@example.test");
    CHECK(m != NULL);
    CHECK(strstr(m, "Reply-To: heartbeat+") == NULL);
    CHECK(strstr(m, "Reference: hb.") == NULL);
    ab_free(m);
    reply_alert(&w, "ops@example.test", tok, "dismiss");
    CHECK_OK(tick(&w, "2026-12-04T09:00:00Z", NULL));
    CHECK_OK(store_alert_get(w.st, 1, &a, &em));
    CHECK(a->resolved != AB_TIME_NONE);
    CHECK_INT(a->dismissed_until, T("2026-12-06T07:00:00Z")); /* boss's snooze, unchanged */
    CHECK_STR(a->dismissed_by, "boss@example.test");
    store_alert_free(a);
    world_free(&w);
}

TEST(confirm_damps_flapping)
{
    struct world w;
    CHECK_OK(world_new(&w, "confirm",
                       "<freshness name=\"fresh\" source=\"db\" table=\"t\" column=\"ts\" "
                       "max-age=\"2d\" confirm=\"3\"/>", NULL));
    set_newest(&w, "2026-11-01T00:00:00Z");
    CHECK_OK(tick(&w, "2026-12-01T00:00:00Z", NULL));
    CHECK_OK(tick(&w, "2026-12-01T00:01:00Z", NULL));
    CHECK_INT(open_alerts(&w, NULL, NULL), 0);
    CHECK_OK(tick(&w, "2026-12-01T00:02:00Z", NULL)); /* third bad run */
    CHECK_INT(open_alerts(&w, NULL, NULL), 1);
    world_free(&w);
}

TEST(dependency_holds_child_notices)
{
    struct world w;
    CHECK_OK(world_new(&w, "dep",
                       "<sql name=\"db-up\" source=\"db\" crit=\"1\" direction=\"below\">"
                       "<query>SELECT count(*) FROM t</query></sql>\n"
                       "<freshness name=\"child\" source=\"db\" table=\"t\" column=\"ts\" "
                       "max-age=\"1d\" depends-on=\"db-up\"/>", NULL));
    /* An empty table: the parent fails (no rows) and so does the child. */
    char p[1024];
    snprintf(p, sizeof p, "%s/data.db", w.dir);
    sqlite3 *db;
    CHECK(sqlite3_open(p, &db) == SQLITE_OK);
    sqlite3_exec(db, "CREATE TABLE t(ts TEXT)", NULL, NULL, NULL);
    sqlite3_close(db);
    CHECK_OK(tick(&w, "2026-12-01T00:00:00Z", NULL));
    CHECK_INT(open_alerts(&w, NULL, NULL), 2);
    /* Only the parent's alert was sent. */
    CHECK_INT(count_mail(&w, "X-Ackbeat-Check: db-up", NULL), 1);
    CHECK_INT(count_mail(&w, "X-Ackbeat-Check: child", NULL), 0);
    struct store_alert *a;
    CHECK_OK(store_alert_find_open(w.st, "child", "", &a, NULL));
    CHECK_STR(a->held_by, "db-up");
    store_alert_free(a);
    world_free(&w);
}

TEST(maintenance_holds_runs_and_notices)
{
    struct world w;
    char ics[2048];
    snprintf(ics, sizeof ics, "%s/maint.ics", t_tmpdir());
    write_file(ics, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\n"
                    "UID:m1@t\r\nDTSTAMP:20261101T000000Z\r\nDTSTART:20261201T000000Z\r\n"
                    "DTEND:20261201T060000Z\r\nSUMMARY:DB upgrade\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n");
    char extra[2200];
    snprintf(extra, sizeof extra, "<maintenance calendar=\"%s\"/>", ics);
    CHECK_OK(world_new(&w, "maint", FRESH, extra));
    set_newest(&w, "2026-11-01T00:00:00Z");
    struct eng_tick_stats s;
    CHECK_OK(tick(&w, "2026-12-01T01:00:00Z", &s));
    CHECK_INT(s.checks_held, 1);
    CHECK_INT(s.checks_run, 0);
    CHECK_INT(open_alerts(&w, NULL, NULL), 0);
    CHECK_OK(tick(&w, "2026-12-01T06:01:00Z", &s)); /* after the window */
    CHECK_INT(s.checks_run, 1);
    CHECK_INT(open_alerts(&w, NULL, NULL), 1);
    world_free(&w);
}

TEST(ping_check_goes_offline_when_silent)
{
    struct world w;
    CHECK_OK(world_new(&w, "ping", "<ping name=\"backup\" period=\"1d\" grace=\"1h\"/>", NULL));
    CHECK_OK(tick(&w, "2026-12-01T00:00:00Z", NULL));
    ab_errmsg em = {{0}};
    CHECK_OK(eng_ping(w.e, "backup", STORE_PING_SUCCESS, 0, "cli", NULL,
                      T("2026-12-01T02:00:00Z"), &em));
    CHECK_OK(tick(&w, "2026-12-02T02:30:00Z", NULL)); /* within period + grace */
    CHECK_INT(open_alerts(&w, NULL, NULL), 0);
    CHECK_OK(tick(&w, "2026-12-02T03:01:00Z", NULL));
    struct store_alert *a;
    CHECK_OK(store_alert_find_open(w.st, "backup", "", &a, NULL));
    CHECK_INT(a->priority, 1); /* seed 001: failed to report in */
    CHECK_INT(a->status, AB_OFFLINE);
    store_alert_free(a);
    CHECK_OK(eng_ping(w.e, "backup", STORE_PING_EXIT, 3, "http", NULL,
                      T("2026-12-02T04:00:00Z"), &em));
    CHECK_OK(store_alert_find_open(w.st, "backup", "", &a, NULL));
    CHECK_INT(a->status, AB_FAILING);
    CHECK_CONTAINS(a->message, "exit code 3");
    store_alert_free(a);
    CHECK_OK(eng_ping(w.e, "backup", STORE_PING_SUCCESS, 0, "http", NULL,
                      T("2026-12-02T05:00:00Z"), &em));
    CHECK_INT(open_alerts(&w, NULL, NULL), 0);
    world_free(&w);
}

#define TWO_BAD "<sql name=\"a\" source=\"db\" crit=\"5\" direction=\"below\">" \
    "<query>SELECT 1</query></sql>\n<sql name=\"b\" source=\"db\" crit=\"5\" " \
    "direction=\"below\"><query>SELECT 2</query></sql>"

TEST(alerts_for_one_recipient_in_one_tick_are_one_email)
{
    struct world w;
    CHECK_OK(world_new(&w, "group", TWO_BAD, NULL));
    struct eng_tick_stats s;
    CHECK_OK(tick(&w, "2026-12-01T10:00:00Z", &s));
    CHECK_INT(s.alerts_opened, 2);
    CHECK_INT(count_mail(&w, "To: ops@example.test", NULL), 1);
    char *m = find_mail(&w, "To: ops@example.test", "X-Ackbeat-Notice: digest");
    CHECK(m != NULL);
    CHECK_CONTAINS(m, "a");
    CHECK_CONTAINS(m, "b");
    ab_free(m);
    world_free(&w);
}

TEST(quiet_hours_hold_notices_until_morning)
{
    struct world w;
    CHECK_OK(world_new(&w, "quiet",
                       "<sql name=\"q\" source=\"db\" crit=\"5\" direction=\"below\" "
                       "notify=\"owl ops\"><query>SELECT 1</query></sql>", NULL));
    set_newest(&w, "2026-11-30T00:00:00Z"); /* the database exists: Failing, P2 */
    /* Monday 23:00: ops is told at once, owl sleeps until 06:00. */
    CHECK_OK(tick(&w, "2026-11-30T23:00:00Z", NULL));
    CHECK_INT(count_mail(&w, "To: ops@example.test", NULL), 1);
    CHECK_INT(count_mail(&w, "To: owl@example.test", NULL), 0);
    ab_time next = eng_next_wakeup(w.e, T("2026-11-30T23:00:00Z"));
    CHECK(next <= T("2026-12-01T06:00:00Z"));
    CHECK_OK(tick(&w, "2026-12-01T05:59:00Z", NULL));
    CHECK_INT(count_mail(&w, "To: owl@example.test", NULL), 0);
    CHECK_OK(tick(&w, "2026-12-01T06:00:00Z", NULL)); /* EndTime is inclusive */
    CHECK_INT(count_mail(&w, "To: owl@example.test", NULL), 0);
    CHECK_OK(tick(&w, "2026-12-01T06:00:01Z", NULL));
    CHECK_INT(count_mail(&w, "To: owl@example.test", "X-Ackbeat-Notice: alert-opened"), 1);
    world_free(&w);
}

TEST(priority_one_ignores_quiet_hours)
{
    struct world w;
    CHECK_OK(world_new(&w, "quiet-p1",
                       "<sql name=\"q\" source=\"db\" crit=\"5\" priority=\"1\" "
                       "direction=\"below\" notify=\"owl\"><query>SELECT 1</query></sql>",
                       NULL));
    CHECK_OK(tick(&w, "2026-11-30T23:00:00Z", NULL));
    CHECK_INT(count_mail(&w, "To: owl@example.test", NULL), 1);
    world_free(&w);
}

TEST(flapping_sends_one_notice_instead_of_a_storm)
{
    struct world w;
    CHECK_OK(world_new_a(&w, "flap",
                         "<sql name=\"f\" source=\"db\" crit=\"1\" direction=\"below\">"
                         "<query>SELECT count(*) FROM t</query></sql>", NULL,
                         "flap-limit=\"3\""));
    char p[1024];
    snprintf(p, sizeof p, "%s/data.db", w.dir);
    sqlite3 *db;
    CHECK(sqlite3_open(p, &db) == SQLITE_OK);
    sqlite3_exec(db, "CREATE TABLE t(x)", NULL, NULL, NULL);
    char iso[AB_ISO_LEN];
    ab_time t0 = T("2026-12-01T00:00:00Z");
    for (int i = 0; i < 12; i++) {
        /* Bad, good, bad, good... every ten minutes. */
        sqlite3_exec(db, i % 2 ? "INSERT INTO t VALUES (1)" : "DELETE FROM t", NULL, NULL, NULL);
        CHECK_OK(tick(&w, ab_time_format(t0 + i * 600, iso, sizeof iso), NULL));
    }
    sqlite3_close(db);
    int opened = count_mail(&w, "X-Ackbeat-Notice: alert-opened", "X-Ackbeat-Check: f");
    int resolved = count_mail(&w, "X-Ackbeat-Notice: alert-resolved", "X-Ackbeat-Check: f");
    /* Without damping: 6 opened and 6 resolved notices. */
    CHECK(opened + resolved <= 5);
    struct store_alert *a;
    CHECK_OK(store_alert_find_open(w.st, "f", "~flapping", &a, NULL));
    CHECK_STR(a->kind, "flapping");
    CHECK_CONTAINS(a->message, "changed status");
    store_alert_free(a);
    world_free(&w);
}

TEST(daily_digest_lists_open_alerts)
{
    struct world w;
    CHECK_OK(world_new_a(&w, "digest", TWO_BAD, NULL, "digest-at=\"08:00\""));
    CHECK_OK(tick(&w, "2026-12-01T07:00:00Z", NULL));
    CHECK_INT(count_mail(&w, "X-Ackbeat-Notice: digest", NULL), 1); /* the grouped notice */
    CHECK_OK(tick(&w, "2026-12-01T08:00:00Z", NULL));
    CHECK_INT(count_mail(&w, "X-Ackbeat-Notice: daily-digest", "To: ops@example.test"), 1);
    char *m = find_mail(&w, "X-Ackbeat-Notice: daily-digest", NULL);
    CHECK_CONTAINS(m, "2 ");
    ab_free(m);
    CHECK_OK(tick(&w, "2026-12-01T09:00:00Z", NULL)); /* once a day */
    CHECK_INT(count_mail(&w, "X-Ackbeat-Notice: daily-digest", "To: ops@example.test"), 1);
    CHECK_OK(tick(&w, "2026-12-02T08:00:30Z", NULL));
    CHECK_INT(count_mail(&w, "X-Ackbeat-Notice: daily-digest", "To: ops@example.test"), 2);
    world_free(&w);
}

TEST(cache_reuses_the_last_result)
{
    struct world w;
    CHECK_OK(world_new(&w, "cache",
                       "<sql name=\"c\" source=\"db\" crit=\"100\" cache=\"5m\">"
                       "<query>SELECT count(*) FROM t</query></sql>", NULL));
    set_newest(&w, "2026-12-01T00:00:00Z");
    struct eng_tick_stats s;
    CHECK_OK(tick(&w, "2026-12-01T10:00:00Z", &s));
    CHECK_INT(s.checks_run, 1);
    CHECK_OK(tick(&w, "2026-12-01T10:01:00Z", &s)); /* inside 5m: from the cache */
    CHECK_INT(s.checks_cached, 1);
    CHECK_INT(s.checks_run, 0);
    CHECK_OK(tick(&w, "2026-12-01T10:06:00Z", &s)); /* past it: runs again */
    CHECK_INT(s.checks_run, 1);
    struct store_run **v;
    size_t n;
    CHECK_OK(store_run_history(w.st, "c", 10, &v, &n, NULL));
    CHECK_INT(n, 3);
    CHECK_INT(v[1]->from_cache, 1);  /* the run says where it came from */
    CHECK_STR(v[1]->trigger, "cache");
    CHECK_INT(v[0]->from_cache, 0);
    for (size_t i = 0; i < n; i++)
        store_run_free(v[i]);
    ab_free(v);
    world_free(&w);
}

/* ---- the envelope sender (VERP) ------------------------------------- */

/* The value of the header field name in the message m (up to its line's
 * end), or "" if it has none. */
static void header_value(const char *m, const char *name, char *out, size_t n)
{
    size_t nl = strlen(name);
    out[0] = '\0';
    for (const char *p = m; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        if (*p == '\n')
            return; /* end of the header */
        if (strncmp(p, name, nl) == 0 && p[nl] == ':') {
            p += nl + 1;
            while (*p == ' ')
                p++;
            size_t k = strcspn(p, "\r\n");
            snprintf(out, n, "%.*s", (int)(k < n ? k : n - 1), p);
            return;
        }
    }
}

/*
 * Every message in out/new: its Return-Path (what the maildir: transport
 * records of the envelope sender) must be <LOCAL+TOKEN@DOMAIN> of base
 * for the token that was issued to its To: recipient, or <base> for a
 * message that carries no token.  Counts what was seen; *bad the
 * mismatches, printed.
 */
static void check_envelopes(struct world *w, const char *base, int *verp, int *plain,
                            int *bad)
{
    char d[1024];
    snprintf(d, sizeof d, "%s/out/new", w->dir);
    DIR *dir = opendir(d);
    struct dirent *de;
    const char *at = strchr(base, '@');
    *verp = *plain = *bad = 0;
    while (dir && (de = readdir(dir))) {
        if (de->d_name[0] == '.')
            continue;
        char p[1400], rp[512], to[512], rt[512], want[600];
        snprintf(p, sizeof p, "%s/%s", d, de->d_name);
        char *m = read_file(p);
        if (!m)
            continue;
        header_value(m, "Return-Path", rp, sizeof rp);
        header_value(m, "To", to, sizeof to);
        header_value(m, "Reply-To", rt, sizeof rt);
        int first = strncmp(m, "Return-Path: <", 14) == 0;
        char tok[AB_TOKEN_LEN + 1] = "";
        const char *plus = strchr(rt, '+');
        if (plus)
            sscanf(plus, "+%26[a-z2-7]@", tok);
        if (tok[0]) {
            snprintf(want, sizeof want, "<%.*s+%s%s>", (int)(at - base), base, tok, at);
            /* The token must be the one issued to this very recipient. */
            int64_t cyc = 0, alert = 0;
            char *owner = NULL;
            if (store_token_owner(w->st, tok, &cyc, &alert, &owner, NULL) != AB_OK ||
                !owner || !strstr(to, owner)) {
                printf("    %s: token %s is not %s's\n", de->d_name, tok, to);
                (*bad)++;
            }
            ab_free(owner);
            (*verp)++;
        } else {
            snprintf(want, sizeof want, "<%s>", base);
            (*plain)++;
        }
        if (!first || strcmp(rp, want) != 0) {
            printf("    %s to %s: Return-Path %s, expected %s%s\n", de->d_name, to, rp,
                   want, first ? "" : " (and not as the first line)");
            (*bad)++;
        }
        ab_free(m);
    }
    if (dir)
        closedir(dir);
}

/* Requests, reminders and alert notices: VERP with each recipient's own
 * token; the digest: the plain address.  Default base: reply-address. */
TEST(envelope_sender_is_verp_per_recipient)
{
    struct world w;
    CHECK_OK(world_new(&w, "verp", HB, NULL));
    CHECK_OK(tick(&w, "2026-12-01T08:00:00Z", NULL));
    /* Two requests with two different tokens, each in its Return-Path. */
    char ta[32], tb[32], want[128];
    CHECK_OK(token_for(&w, "alice@state-a.test", ta));
    CHECK_OK(token_for(&w, "bob@state-b.test", tb));
    CHECK(strcmp(ta, tb) != 0);
    char *m = find_mail(&w, "X-Ackbeat-Notice: heartbeat-request", "To: alice@state-a.test");
    snprintf(want, sizeof want, "Return-Path: <heartbeat+%s@example.test>\n", ta);
    CHECK(m != NULL && strncmp(m, want, strlen(want)) == 0);
    ab_free(m);
    CHECK_OK(tick(&w, "2026-12-06T08:00:00Z", NULL)); /* reminders */
    m = find_mail(&w, "X-Ackbeat-Notice: heartbeat-reminder", "To: bob@state-b.test");
    snprintf(want, sizeof want, "Return-Path: <heartbeat+%s@example.test>\n", tb);
    CHECK(m != NULL && strncmp(m, want, strlen(want)) == 0);
    ab_free(m);
    CHECK_OK(tick(&w, "2026-12-08T08:01:00Z", NULL)); /* nobody confirmed */
    CHECK_INT(count_mail(&w, "X-Ackbeat-Notice: nobody-confirmed", NULL), 2);
    int verp, plain, bad;
    check_envelopes(&w, "heartbeat@example.test", &verp, &plain, &bad);
    CHECK_INT(bad, 0);
    CHECK_INT(verp, 2 + 2 + 2); /* requests, reminders, nobody-confirmed */
    CHECK_INT(plain, 0);
    world_free(&w);

    /* Two failing checks in one tick: one digest to ops, no token, the
     * plain reply address. */
    CHECK_OK(world_new(&w, "verp-digest", TWO_BAD, NULL));
    CHECK_OK(tick(&w, "2026-12-01T10:00:00Z", NULL));
    m = find_mail(&w, "X-Ackbeat-Notice: digest", "To: ops@example.test");
    CHECK(m != NULL && strncmp(m, "Return-Path: <heartbeat@example.test>\n", 38) == 0);
    ab_free(m);
    check_envelopes(&w, "heartbeat@example.test", &verp, &plain, &bad);
    CHECK_INT(bad, 0);
    CHECK_INT(plain, 1);
    world_free(&w);
}

/* With <inbox bounce-address=> the envelope sender is that address's
 * LOCAL+TOKEN@DOMAIN; Reply-To stays at the reply address. */
TEST(envelope_sender_uses_bounce_address)
{
    struct world w;
    inbox_extra = "bounce-address=\"bounces@mx.example.test\"";
    int r = world_new(&w, "verp-bounce", HB "\n" FRESH, NULL);
    inbox_extra = "";
    CHECK_OK(r);
    set_newest(&w, "2026-11-30T20:00:00Z");
    CHECK_OK(tick(&w, "2026-12-01T08:00:00Z", NULL));
    CHECK_OK(tick(&w, "2026-12-02T06:00:00Z", NULL)); /* fresh: Degraded, a notice */
    char tok[32];
    CHECK_OK(alert_token_for(&w, "alert-opened", "ops@example.test", tok));
    char *m = find_mail(&w, "X-Ackbeat-Notice: alert-opened", "To: ops@example.test");
    char want[128];
    snprintf(want, sizeof want, "Return-Path: <bounces+%s@mx.example.test>\n", tok);
    CHECK(m != NULL && strncmp(m, want, strlen(want)) == 0);
    snprintf(want, sizeof want, "Reply-To: heartbeat+%s@example.test", tok);
    CHECK_CONTAINS(m, want);
    ab_free(m);
    int verp, plain, bad;
    check_envelopes(&w, "bounces@mx.example.test", &verp, &plain, &bad);
    CHECK_INT(bad, 0);
    CHECK_INT(verp, 3); /* two requests, one alert notice */
    /* Recovery: the resolved notice has no token: the plain address. */
    set_newest(&w, "2026-12-02T07:00:00Z");
    CHECK_OK(tick(&w, "2026-12-02T08:00:00Z", NULL));
    m = find_mail(&w, "X-Ackbeat-Notice: alert-resolved", "To: ops@example.test");
    CHECK(m != NULL && strncmp(m, "Return-Path: <bounces@mx.example.test>\n", 39) == 0);
    ab_free(m);
    world_free(&w);
}

/* A reply to an alert notice of a heartbeat, as a mail client writes it. */
static void reply_notice(struct world *w, const char *from, const char *tok,
                         const char *body)
{
    char msg[4096];
    snprintf(msg, sizeof msg,
             "From: %s\r\nTo: heartbeat+%s@example.test\r\nSubject: Re: nobody confirmed\r\n"
             "Message-ID: <nreply.%d@client.test>\r\n"
             "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
             "%s\r\n\r\nBest,\r\nA\r\n\r\n> Reference: hb.%s\r\n",
             from, tok, ++seq, body, tok);
    deliver(w, msg);
}

#define HB_NOTIFY "<heartbeat name=\"monthly\" schedule=\"monthly\" to=\"alice bob\" " \
                  "grace=\"7d\" quorum=\"1\" notify=\"alice\"/>"

TEST(a_plain_reply_to_the_nobody_confirmed_notice_confirms)
{
    struct world w;
    CHECK_OK(world_new(&w, "replynotice", HB_NOTIFY, NULL));
    CHECK_OK(tick(&w, "2026-12-01T08:00:00Z", NULL));
    CHECK_OK(tick(&w, "2026-12-08T08:01:00Z", NULL));
    CHECK_STR(cycle_status(&w), "Failing");
    char tok[32];
    CHECK_OK(alert_token_for(&w, "nobody-confirmed", "alice@state-a.test", tok));
    /* Alice, who was asked, answers the alert's notice: that is her
     * confirmation of the cycle, exactly as a reply to the request. */
    reply_notice(&w, "Alice <alice@state-a.test>", tok, "Yes, I got it. Sorry, I was away.");
    struct eng_tick_stats s;
    CHECK_OK(tick(&w, "2026-12-08T09:00:00Z", &s));
    CHECK_STR(cycle_status(&w), "Healthy");
    CHECK_INT(open_alerts(&w, NULL, NULL), 0);
    CHECK_INT(count_mail(&w, "X-Ackbeat-Notice: alert-resolved", "To: alice@state-a.test"), 1);
    world_free(&w);
}

TEST(a_reply_to_the_notice_from_someone_not_asked_confirms_nothing)
{
    struct world w;
    CHECK_OK(world_new(&w, "replynotice2", HB_NOTIFY, NULL));
    CHECK_OK(tick(&w, "2026-12-01T08:00:00Z", NULL));
    CHECK_OK(tick(&w, "2026-12-08T08:01:00Z", NULL));
    char tok[32];
    CHECK_OK(alert_token_for(&w, "nobody-confirmed", "boss@example.test", tok));
    reply_notice(&w, "boss@example.test", tok, "I will chase them.");
    CHECK_OK(tick(&w, "2026-12-08T09:00:00Z", NULL));
    CHECK_STR(cycle_status(&w), "Failing");
    CHECK_INT(open_alerts(&w, NULL, NULL), 1);
    world_free(&w);
}

TEST(an_obeyed_command_is_answered_to_everyone_notified)
{
    struct world w;
    CHECK_OK(world_new(&w, "answer", HB_NOTIFY, NULL));
    CHECK_OK(tick(&w, "2026-12-01T08:00:00Z", NULL));
    CHECK_OK(tick(&w, "2026-12-08T08:01:00Z", NULL));
    char tok[32];
    CHECK_OK(alert_token_for(&w, "nobody-confirmed", "boss@example.test", tok));
    reply_notice(&w, "boss@example.test", tok, "Dismiss - Dana is on leave");
    CHECK_OK(tick(&w, "2026-12-08T09:00:00Z", NULL));
    struct store_alert *a = NULL;
    ab_errmsg em = {{0}};
    CHECK_OK(store_alert_get(w.st, 1, &a, &em));
    CHECK(a->dismissed_at != AB_TIME_NONE);
    CHECK_STR(a->dismissed_by, "boss@example.test");
    CHECK_STR(a->dismiss_note, "Dana is on leave");
    store_alert_free(a);
    /* Both people told of the alert hear who did what and why, in its thread. */
    CHECK_INT(count_mail(&w, "X-Ackbeat-Notice: alert-command", NULL), 2);
    char *m = find_mail(&w, "X-Ackbeat-Notice: alert-command", "To: alice@state-a.test");
    CHECK(m != NULL);
    CHECK_CONTAINS(m, "Dismissed by boss: Dana is on leave");
    CHECK_CONTAINS(m, "In-Reply-To: <ackbeat.alert1.n1.");
    CHECK(strstr(m, "Reply-To: heartbeat+") == NULL);
    ab_free(m);
    /* The next tick does not answer it again. */
    CHECK_OK(tick(&w, "2026-12-08T09:30:00Z", NULL));
    CHECK_INT(count_mail(&w, "X-Ackbeat-Notice: alert-command", NULL), 2);

    /* "snooze until Monday" on a Tuesday, in the site's zone (UTC here). */
    reply_notice(&w, "boss@example.test", tok, "snooze until Monday: back then");
    CHECK_OK(tick(&w, "2026-12-08T10:00:00Z", NULL));
    CHECK_OK(store_alert_get(w.st, 1, &a, &em));
    CHECK_INT(a->dismissed_until, T("2026-12-14T08:00:00Z"));
    store_alert_free(a);
    m = find_mail(&w, "Snoozed until Monday 14 December 2026", "To: alice@state-a.test");
    CHECK(m != NULL);
    CHECK_CONTAINS(m, "back then");
    ab_free(m);

    /* Not a command after all: kept as a note, not obeyed. */
    reply_notice(&w, "boss@example.test", tok, "snooze forever please");
    CHECK_OK(tick(&w, "2026-12-08T11:00:00Z", NULL));
    CHECK_INT(alert_notes(&w, 1, "note", "snooze forever please"), 1);
    CHECK_OK(store_alert_get(w.st, 1, &a, &em));
    CHECK_INT(a->dismissed_until, T("2026-12-14T08:00:00Z"));
    store_alert_free(a);
    world_free(&w);
}

/* The reference lines of a digest, in order: "Reference: hb.TOKEN". */
static int digest_refs(const char *m, char toks[][32], int max)
{
    int n = 0;
    const char *p = m;
    while (n < max && (p = strstr(p, "Reference: hb."))) {
        if (sscanf(p, "Reference: hb.%26[a-z2-7]", toks[n]) == 1)
            n++;
        p += 14;
    }
    return n;
}

TEST(every_alert_in_a_digest_can_be_acted_on_by_reply)
{
    struct world w;
    CHECK_OK(world_new_a(&w, "digestreply", TWO_BAD, NULL, "digest-at=\"08:00\""));
    CHECK_OK(tick(&w, "2026-12-01T07:00:00Z", NULL));
    CHECK_OK(tick(&w, "2026-12-01T08:00:00Z", NULL));
    char *m = find_mail(&w, "X-Ackbeat-Notice: daily-digest", "To: ops@example.test");
    CHECK(m != NULL);
    char toks[4][32];
    CHECK_INT(digest_refs(m, toks, 4), 2); /* one reference line per alert */
    CHECK(strcmp(toks[0], toks[1]) != 0);
    CHECK_CONTAINS(m, "Reply-To: heartbeat@example.test");
    ab_free(m);

    /* The whole digest quoted under "dismiss": nothing is guessed, the
     * sender is asked which. */
    char msg[4096];
    snprintf(msg, sizeof msg,
             "From: ops@example.test\r\nTo: heartbeat@example.test\r\n"
             "Subject: Re: open alerts\r\nMessage-ID: <dg1@client.test>\r\n\r\n"
             "dismiss\r\n\r\n> Reference: hb.%s\r\n> Reference: hb.%s\r\n",
             toks[0], toks[1]);
    deliver(&w, msg);
    CHECK_OK(tick(&w, "2026-12-01T08:10:00Z", NULL));
    struct store_alert **v = NULL;
    size_t n = 0;
    ab_errmsg em = {{0}};
    CHECK_OK(store_alert_list(w.st, 0, 10, &v, &n, &em));
    CHECK_INT(n, 2);
    for (size_t i = 0; i < n; i++) {
        CHECK_INT(v[i]->dismissed_at, AB_TIME_NONE);
        store_alert_free(v[i]);
    }
    ab_free(v);
    m = find_mail(&w, "X-Ackbeat-Notice: ask-which", "To: ops@example.test");
    CHECK(m != NULL);
    CHECK_CONTAINS(m, "names 2 alerts");
    ab_free(m);

    /* Quoting one line acts on that alert, and only on it. */
    snprintf(msg, sizeof msg,
             "From: ops@example.test\r\nTo: heartbeat@example.test\r\n"
             "Subject: Re: open alerts\r\nMessage-ID: <dg2@client.test>\r\n\r\n"
             "snooze 2 days - vendor\r\n\r\n> Reference: hb.%s\r\n", toks[1]);
    deliver(&w, msg);
    CHECK_OK(tick(&w, "2026-12-01T08:20:00Z", NULL));
    CHECK_OK(store_alert_list(w.st, 0, 10, &v, &n, &em));
    int snoozed = 0;
    for (size_t i = 0; i < n; i++) {
        snoozed += v[i]->dismissed_until == T("2026-12-03T08:20:00Z");
        store_alert_free(v[i]);
    }
    ab_free(v);
    CHECK_INT(snoozed, 1);
    world_free(&w);
}

TEST(a_heartbeat_alert_in_a_digest_keeps_its_detail)
{
    struct world w;
    CHECK_OK(world_new_a(&w, "digesthb", HB, NULL, "digest-at=\"09:00\""));
    CHECK_OK(tick(&w, "2026-12-01T08:00:00Z", NULL));
    CHECK_OK(tick(&w, "2026-12-08T08:01:00Z", NULL));
    CHECK_OK(tick(&w, "2026-12-08T09:00:00Z", NULL));
    char *m = find_mail(&w, "X-Ackbeat-Notice: daily-digest", "To: ops@example.test");
    CHECK(m != NULL);
    CHECK_CONTAINS(m, "alice@state-a.test");
    CHECK_CONTAINS(m, "bob@state-b.test");
    CHECK_CONTAINS(m, "no reply");
    ab_free(m);
    world_free(&w);
}
