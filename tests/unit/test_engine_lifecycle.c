/*
 * test_engine_lifecycle.c - an alert's life as people live it, month by
 * month with explicit times: what a dismissal silences and for how long,
 * a verdict held while the inbox cannot be read and decided once it can,
 * worse news announced as worse, and a first run that is new, not "was
 * Healthy".
 *
 * Every step asserts exactly which notices were queued since the last
 * step (the outbox: kind and recipient) and so which were not.
 */
#include "harness.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "common/ab_buf.h"
#include "common/ab_mem.h"
#include "config/cfg.h"
#include "engine/eng.h"
#include "store/store.h"
#include "store/store_alerts.h"
#include "store/store_cycles.h"
#include "store/store_runs.h"
#include "test_engine_util.h"

struct world {
    char dir[512];
    cfg *c;
    store *st;
    eng *e;
    long long seen; /* outbox rows up to this id were reported */
};

/* A world with these checks and <alerting> attributes; notices go to ops,
 * and (heartbeats at once, checks after escalate-after) to boss. */
static int world_new(struct world *w, const char *name, const char *alerting,
                     const char *checks)
{
    memset(w, 0, sizeof *w);
    snprintf(w->dir, sizeof w->dir, "%s/%s", t_tmpdir(), name);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "mkdir -p %s/inbox/new %s/inbox/cur %s/inbox/tmp %s/tpl",
             w->dir, w->dir, w->dir, w->dir);
    if (system(cmd) != 0)
        return -1;
    ab_buf x;
    ab_buf_init(&x, 1 << 20);
    if (ab_buf_printf(&x,
            "<ackbeat name=\"test\" timezone=\"UTC\" tick=\"1m\">\n"
            "  <state path=\"state.db\"/>\n"
            "  <mail from=\"ackbeat@example.test\" transport=\"maildir:out\"/>\n"
            "  <inbox url=\"maildir:inbox\" poll=\"1m\" reply-address=\"heartbeat@example.test\"\n"
            "         ack-from=\"example.test\"/>\n"
            "  <templates dir=\"tpl\"/>\n"
            "  <recipients>\n"
            "    <person name=\"alice\" email=\"alice@state-a.test\"/>\n"
            "    <person name=\"bob\" email=\"bob@state-b.test\"/>\n"
            "    <person name=\"ops\" email=\"ops@example.test\"/>\n"
            "    <person name=\"boss\" email=\"boss@example.test\"/>\n"
            "  </recipients>\n"
            "  <alerting notify=\"ops\" escalate-to=\"boss\" %s/>\n"
            "  <schedule name=\"monthly\" rrule=\"FREQ=MONTHLY;BYMONTHDAY=1;BYHOUR=8;BYMINUTE=0;BYSECOND=0\"/>\n"
            "  <sources><sqlite name=\"db\" path=\"data.db\"/></sources>\n"
            "  <checks>\n%s\n  </checks>\n</ackbeat>\n",
            alerting, checks)) {
        ab_buf_free(&x);
        return -1;
    }
    int r = te_open(w->dir, ab_buf_str(&x), &w->c, &w->st, &w->e);
    ab_buf_free(&x);
    return r;
}

static void world_free(struct world *w)
{
    te_close(w->c, w->st, w->e);
}

static int tick(struct world *w, const char *iso)
{
    return te_tick(w->e, iso);
}

/*
 * What was queued in the outbox since the last call: "KIND>RCPT" per
 * message, sorted, space separated ("" for nothing).  The recipient is
 * shortened to its local part (ops, boss, alice, bob).
 */
static const char *queued(struct world *w)
{
    static char out[4096];
    char sql[256];
    out[0] = '\0';
    snprintf(sql, sizeof sql,
             "SELECT o.id, o.kind, r.rcpt FROM outbox o JOIN outbox_rcpts r "
             "ON r.outbox_id = o.id WHERE o.id > %lld ORDER BY o.kind, r.rcpt",
             w->seen);
    char *rows = t_state_text(cfg_global(w->c)->state_path, sql);
    if (!rows)
        abort();
    size_t o = 0;
    long long top = w->seen;
    char kind[64], rcpt[256];
    long long id;
    for (char *l = rows; *l; l = strchr(l, '\n') + 1) {
        if (sscanf(l, "%lld|%63[^|]|%255[^\n]", &id, kind, rcpt) != 3)
            abort();
        int local = (int)strcspn(rcpt, "@");
        if (o < sizeof out)
            o += (size_t)snprintf(out + o, sizeof out - o, "%s%s>%.*s", o ? " " : "", kind,
                                  local, rcpt);
        if (id > top)
            top = id;
    }
    free(rows);
    w->seen = top;
    return out;
}

/* The text of the newest outbox message of kind to rcpt; free it. */
static char *last_mail(struct world *w, const char *kind, const char *rcpt)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT o.body FROM outbox o JOIN outbox_rcpts r ON r.outbox_id = o.id "
             "WHERE o.kind = '%s' AND r.rcpt = '%s' ORDER BY o.id DESC LIMIT 1",
             kind, rcpt);
    char *text = t_state_text(cfg_global(w->c)->state_path, sql);
    if (text && !*text) {
        free(text);
        return NULL;
    }
    if (text) /* the row's end */
        text[strlen(text) - 1] = '\0';
    return text;
}

/* The token of the newest heartbeat request to rcpt (its Reply-To). */
static int token_for(struct world *w, const char *rcpt, char *tok)
{
    char *m = last_mail(w, "heartbeat-request", rcpt);
    const char *p = m ? strstr(m, "heartbeat+") : NULL;
    int ok = p && sscanf(p, "heartbeat+%26[a-z2-7]@", tok) == 1;
    ab_free(m);
    return ok ? 0 : -1;
}

static int seq;
/* A reply to token's request, as the mail server received it at received
 * (the Maildir file's time is what the inbox reads as that). */
static void reply_at(struct world *w, const char *from, const char *tok, const char *body,
                     const char *received)
{
    char p[1400], msg[4096];
    snprintf(p, sizeof p, "%s/inbox/new/%d.%d.lifecycle", w->dir, getpid(), ++seq);
    snprintf(msg, sizeof msg,
             "From: %s\r\nTo: heartbeat+%s@example.test\r\nSubject: Re: heartbeat\r\n"
             "Message-ID: <life.%d.%s@client.test>\r\nIn-Reply-To: <hb.%s@example.test>\r\n"
             "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
             "%s\r\n\r\n> Reference: hb.%s\r\n",
             from, tok, seq, tok, tok, body, tok);
    write_file(p, msg);
    if (received) {
        struct timeval tv[2] = {{(time_t)T(received), 0}, {(time_t)T(received), 0}};
        utimes(p, tv);
    }
}

/* The one open alert (NULL if none; store_alert_free it). */
static struct store_alert *open_alert(struct world *w)
{
    struct store_alert **v = NULL, *a = NULL;
    size_t n = 0;
    if (store_alert_list(w->st, 0, 10, &v, &n, NULL) != AB_OK)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (!a)
            a = v[i];
        else
            store_alert_free(v[i]);
    }
    ab_free(v);
    return a;
}

static int64_t open_alert_id(struct world *w)
{
    struct store_alert *a = open_alert(w);
    int64_t id = a ? a->id : 0;
    store_alert_free(a);
    return id;
}

static const char *newest_cycle_status(struct world *w)
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

static int dismiss(struct world *w, const char *by, const char *until, const char *at)
{
    ab_errmsg em = {{0}};
    int64_t id = open_alert_id(w);
    if (!id || eng_dismiss(w->e, id, by, NULL, until ? T(until) : AB_TIME_NONE, T(at),
                           &em) != AB_OK) {
        printf("dismiss: %s\n", em.text);
        return -1;
    }
    return 0;
}

/* The mailbox becomes unreadable (a broken mount, a wrong path), or is back. */
static void inbox_gone(struct world *w, int gone)
{
    char a[1024], b[1100];
    snprintf(a, sizeof a, "%s/inbox", w->dir);
    snprintf(b, sizeof b, "%s/inbox.gone", w->dir);
    if (gone ? rename(a, b) : rename(b, a))
        abort();
}

#define HB "<heartbeat name=\"monthly\" label=\"Monthly data\" schedule=\"monthly\" " \
           "to=\"alice bob\" grace=\"7d\" quorum=\"1\"/>"

#define REQUESTS "heartbeat-request>alice heartbeat-request>bob"
#define NOBODY "nobody-confirmed>boss nobody-confirmed>ops"

/*
 * A dismissal silences its own cycle only.  Month 1 confirmed; month 2
 * nobody, told, dismissed: silent for the rest of the month; month 3
 * nobody again: told again (the root cause of the bug: the heartbeat's one
 * alert per check and item stays open across cycles, and a dismissal on it
 * was consulted as "silent until resolved").
 */
TEST(dismissal_ends_with_its_cycle)
{
    struct world w;
    CHECK_OK(world_new(&w, "cycle", "repeat=\"0s\"", HB));
    char tok[32];
    /* Month 1: alice confirms, nothing but the requests. */
    CHECK_OK(tick(&w, "2026-12-01T08:00:00Z"));
    CHECK_STR(queued(&w), REQUESTS);
    CHECK_OK(token_for(&w, "alice@state-a.test", tok));
    reply_at(&w, "alice@state-a.test", tok, "Got it.", "2026-12-02T10:00:00Z");
    CHECK_OK(tick(&w, "2026-12-02T10:05:00Z"));
    CHECK_OK(tick(&w, "2026-12-08T08:01:00Z"));
    CHECK_STR(newest_cycle_status(&w), "Healthy");
    CHECK_STR(queued(&w), "");

    /* Month 2: nobody.  Told at the deadline, then dismissed. */
    CHECK_OK(tick(&w, "2027-01-01T08:00:00Z"));
    CHECK_STR(queued(&w), REQUESTS);
    CHECK_OK(tick(&w, "2027-01-08T08:01:00Z"));
    CHECK_STR(newest_cycle_status(&w), "Failing");
    CHECK_STR(queued(&w), NOBODY);
    char *m = last_mail(&w, "nobody-confirmed", "ops@example.test");
    CHECK_CONTAINS(m, "January 2027");
    ab_free(m);
    int64_t first = open_alert_id(&w);
    CHECK_OK(dismiss(&w, "boss@example.test", NULL, "2027-01-08T09:00:00Z"));
    CHECK_OK(tick(&w, "2027-01-09T08:00:00Z"));
    CHECK_OK(tick(&w, "2027-01-31T08:00:00Z"));
    CHECK_STR(queued(&w), "");

    /* Month 3: the requests go out while month 2 stays dismissed ... */
    CHECK_OK(tick(&w, "2027-02-01T08:00:00Z"));
    CHECK_STR(queued(&w), REQUESTS);
    struct store_alert *a = open_alert(&w);
    CHECK(a && a->dismissed_at != AB_TIME_NONE);
    store_alert_free(a);
    /* ... and nobody again: people ARE told, about February's cycle. */
    CHECK_OK(tick(&w, "2027-02-08T08:01:00Z"));
    CHECK_STR(queued(&w), NOBODY);
    m = last_mail(&w, "nobody-confirmed", "boss@example.test");
    CHECK_CONTAINS(m, "February 2027");
    ab_free(m);
    a = open_alert(&w);
    CHECK(a != NULL);
    CHECK_INT(a->id, first); /* the same episode of failing, a new cycle */
    CHECK_INT(a->dismissed_at, AB_TIME_NONE);
    store_alert_free(a);
    /* Told once: the next ticks are quiet (no repeat= configured). */
    CHECK_OK(tick(&w, "2027-02-09T08:00:00Z"));
    CHECK_STR(queued(&w), "");

    /* Month 4: alice answers, the alert resolves: the people told hear. */
    CHECK_OK(tick(&w, "2027-03-01T08:00:00Z"));
    CHECK_STR(queued(&w), REQUESTS);
    CHECK_OK(token_for(&w, "alice@state-a.test", tok));
    reply_at(&w, "alice@state-a.test", tok, "Yes.", "2027-03-02T09:00:00Z");
    CHECK_OK(tick(&w, "2027-03-02T09:01:00Z"));
    CHECK_STR(queued(&w), "alert-resolved>boss alert-resolved>ops");
    CHECK_INT(open_alert_id(&w), 0);

    /* Month 5: nobody: a new alert, and it was Healthy before. */
    CHECK_OK(tick(&w, "2027-04-01T08:00:00Z"));
    CHECK_OK(tick(&w, "2027-04-08T08:01:00Z"));
    CHECK_STR(queued(&w), REQUESTS " " NOBODY);
    a = open_alert(&w);
    CHECK(a && a->id != first);
    CHECK_STR(a->previous_status, "Healthy");
    store_alert_free(a);
    world_free(&w);
}

/*
 * A snooze keeps its end time across cycles: snoozed until after the next
 * deadline, that cycle's verdict is not mailed; when the snooze ends while
 * the heartbeat still fails, the notices resume at once.
 */
TEST(snooze_keeps_its_end_time)
{
    struct world w;
    CHECK_OK(world_new(&w, "snooze", "repeat=\"0s\"", HB));
    CHECK_OK(tick(&w, "2026-12-01T08:00:00Z"));
    CHECK_OK(tick(&w, "2026-12-08T08:01:00Z"));
    CHECK_STR(queued(&w), REQUESTS " " NOBODY);
    /* The office is closed until the middle of January. */
    CHECK_OK(dismiss(&w, "ops@example.test", "2027-01-15T00:00:00Z", "2026-12-08T09:00:00Z"));
    CHECK_OK(tick(&w, "2027-01-01T08:00:00Z"));
    CHECK_OK(tick(&w, "2027-01-08T08:01:00Z"));
    CHECK_STR(newest_cycle_status(&w), "Failing");
    CHECK_STR(queued(&w), REQUESTS);
    struct store_alert *a = open_alert(&w);
    CHECK(a && a->dismissed_until == T("2027-01-15T00:00:00Z"));
    store_alert_free(a);
    CHECK_OK(tick(&w, "2027-01-14T23:59:00Z"));
    CHECK_STR(queued(&w), "");
    /* It ends while nobody has confirmed: told again, once. */
    CHECK_OK(tick(&w, "2027-01-15T00:00:00Z"));
    CHECK_STR(queued(&w), "alert-repeated>boss alert-repeated>ops");
    CHECK_OK(tick(&w, "2027-01-16T00:00:00Z"));
    CHECK_STR(queued(&w), "");
    world_free(&w);
}

/*
 * A verdict held because the inbox could not be read is decided at the
 * first good read after it, and "nobody confirmed" is sent then.
 */
TEST(held_verdict_is_decided_when_the_inbox_is_read)
{
    struct world w;
    CHECK_OK(world_new(&w, "held", "repeat=\"0s\"", HB));
    CHECK_OK(tick(&w, "2026-12-01T08:00:00Z"));
    CHECK_STR(queued(&w), REQUESTS);
    inbox_gone(&w, 1);
    CHECK_OK(tick(&w, "2026-12-08T08:01:00Z"));
    CHECK_STR(newest_cycle_status(&w), "Held");
    /* People hear that the inbox cannot be read, not that nobody confirmed. */
    CHECK_STR(queued(&w), "alert-opened>boss alert-opened>ops");
    char *m = last_mail(&w, "alert-opened", "ops@example.test");
    CHECK_CONTAINS(m, "cannot read the inbox");
    ab_free(m);
    CHECK_OK(tick(&w, "2026-12-08T09:00:00Z"));
    CHECK_OK(tick(&w, "2026-12-09T09:00:00Z"));
    CHECK_STR(newest_cycle_status(&w), "Held");
    CHECK_STR(queued(&w), "");
    /* Someone dismisses the inbox trouble ("IT knows"): that covered the
     * held verdict, not the decision still to come. */
    CHECK_OK(dismiss(&w, "ops@example.test", NULL, "2026-12-09T10:00:00Z"));
    /* Readable again, nothing came in: decided, and told now. */
    inbox_gone(&w, 0);
    CHECK_OK(tick(&w, "2026-12-10T09:00:00Z"));
    CHECK_STR(newest_cycle_status(&w), "Failing");
    CHECK_STR(queued(&w), NOBODY);
    struct store_alert *a = open_alert(&w);
    CHECK(a != NULL);
    CHECK_INT(a->status, AB_FAILING);
    CHECK_INT(a->dismissed_at, AB_TIME_NONE);
    CHECK_CONTAINS(a->message, "nobody confirmed");
    store_alert_free(a);
    m = last_mail(&w, "nobody-confirmed", "ops@example.test");
    CHECK_CONTAINS(m, "December 2026"); /* this cycle's own detail */
    ab_free(m);
    CHECK_OK(tick(&w, "2026-12-11T09:00:00Z"));
    CHECK_STR(queued(&w), "");
    world_free(&w);
}

/*
 * A reply the server received before the deadline counts as on time when
 * the inbox is read late: no "nobody confirmed", no "(late)".
 */
TEST(reply_in_time_read_late_is_on_time)
{
    struct world w;
    CHECK_OK(world_new(&w, "ontime", "repeat=\"0s\"", HB));
    CHECK_OK(tick(&w, "2026-12-01T08:00:00Z"));
    CHECK_STR(queued(&w), REQUESTS);
    char tok[32];
    CHECK_OK(token_for(&w, "bob@state-b.test", tok));
    inbox_gone(&w, 1);
    CHECK_OK(tick(&w, "2026-12-08T08:01:00Z"));
    CHECK_STR(newest_cycle_status(&w), "Held");
    CHECK_STR(queued(&w), "alert-opened>boss alert-opened>ops");
    /* Bob answered on the 7th; the inbox is read on the 9th. */
    inbox_gone(&w, 0);
    reply_at(&w, "bob@state-b.test", tok, "All fine here.", "2026-12-07T16:00:00Z");
    CHECK_OK(tick(&w, "2026-12-09T09:00:00Z"));
    CHECK_STR(newest_cycle_status(&w), "Healthy");
    CHECK_STR(queued(&w), "alert-resolved>boss alert-resolved>ops");
    struct store_run *run = NULL;
    CHECK_OK(store_run_last(w.st, "monthly", &run, NULL));
    CHECK_INT(run->results[0].status, AB_HEALTHY);
    CHECK(strstr(run->results[0].message, "(late)") == NULL);
    store_run_free(run);
    struct store_cycle **v = NULL;
    size_t n = 0;
    CHECK_OK(store_cycle_list(w.st, "monthly", 0, 1, &v, &n, NULL));
    CHECK_INT(n, 1);
    for (size_t i = 0; i < v[0]->nrcpts; i++)
        if (!strcmp(v[0]->rcpts[i].address, "bob@state-b.test"))
            CHECK_INT(v[0]->rcpts[i].confirmed, T("2026-12-07T16:00:00Z"));
    store_cycle_list_free(v, n);
    world_free(&w);
}

/*
 * The verdict waits for a read after the deadline: a read from before it
 * could miss a reply that came in just in time.
 */
TEST(verdict_waits_for_a_read_after_the_deadline)
{
    struct world w;
    CHECK_OK(world_new(&w, "wait", "repeat=\"0s\"", HB));
    CHECK_OK(tick(&w, "2026-12-01T08:00:00Z"));
    CHECK_STR(queued(&w), REQUESTS);
    char tok[32];
    CHECK_OK(token_for(&w, "alice@state-a.test", tok));
    CHECK_OK(tick(&w, "2026-12-08T07:59:30Z")); /* read, 30 s before the deadline */
    /* Alice's reply arrives at 07:59:50; the next poll is due at 08:00:30. */
    reply_at(&w, "alice@state-a.test", tok, "Here.", "2026-12-08T07:59:50Z");
    CHECK_OK(tick(&w, "2026-12-08T08:00:10Z"));
    CHECK_STR(newest_cycle_status(&w), "Pending");
    CHECK_STR(queued(&w), "");
    CHECK_OK(tick(&w, "2026-12-08T08:00:40Z"));
    CHECK_STR(newest_cycle_status(&w), "Healthy");
    CHECK_STR(queued(&w), "");
    CHECK_INT(open_alert_id(&w), 0);
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
             "CREATE TABLE IF NOT EXISTS t(ts TEXT); DELETE FROM t; INSERT INTO t VALUES ('%s');",
             iso);
    sqlite3_exec(db, sql, NULL, NULL, NULL);
    sqlite3_close(db);
}

/* The source goes away: the check cannot tell (Offline). */
static void drop_table(struct world *w)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/data.db", w->dir);
    sqlite3 *db;
    if (sqlite3_open(p, &db) != SQLITE_OK)
        abort();
    sqlite3_exec(db, "DROP TABLE t;", NULL, NULL, NULL);
    sqlite3_close(db);
}

#define FRESH "<freshness name=\"fresh\" label=\"Orders feed\" source=\"db\" table=\"t\" " \
              "column=\"ts\" max-age=\"2d\" warn-age=\"1d\"/>"

/* The Status line of an alert notice's details, up to its end. */
static int status_line(const char *mail, const char *want)
{
    const char *p = mail ? strstr(mail, "Status:    ") : NULL;
    if (!p)
        return 0;
    size_t n = strcspn(p, "\r\n");
    return strlen(want) == n && !strncmp(p, want, n);
}

/*
 * Worse news is a notice of its own: Degraded to Failing says "now
 * Failing, was Degraded" and ends a dismissal; Failing to Offline (the
 * priority rising, P2 to P1) ends a snooze.  A routine repeat stays
 * "alert-repeated".
 */
TEST(worse_news_is_announced_as_worse)
{
    struct world w;
    CHECK_OK(world_new(&w, "worse", "repeat=\"24h\"", FRESH));
    set_newest(&w, "2026-12-01T00:00:00Z");
    CHECK_OK(tick(&w, "2026-12-01T12:00:00Z")); /* Healthy */
    CHECK_OK(tick(&w, "2026-12-02T06:00:00Z")); /* 30 hours: Degraded */
    CHECK_STR(queued(&w), "alert-opened>ops");
    char *m = last_mail(&w, "alert-opened", "ops@example.test");
    CHECK(status_line(m, "Status:    Degraded (was Healthy)"));
    ab_free(m);
    CHECK_OK(dismiss(&w, "ops@example.test", NULL, "2026-12-02T07:00:00Z"));
    CHECK_OK(tick(&w, "2026-12-02T12:00:00Z"));
    CHECK_STR(queued(&w), "");
    /* 48 hours: Failing, worse than what was dismissed. */
    CHECK_OK(tick(&w, "2026-12-03T00:30:00Z"));
    CHECK_STR(queued(&w), "alert-worse>ops");
    m = last_mail(&w, "alert-worse", "ops@example.test");
    CHECK_CONTAINS(m, "Subject: [test] P2 now Failing, was Degraded: Orders feed");
    CHECK_CONTAINS(m, "now Failing, was Degraded");
    CHECK(status_line(m, "Status:    Failing (was Degraded)"));
    ab_free(m);
    struct store_alert *a = open_alert(&w);
    CHECK(a != NULL);
    CHECK_INT(a->dismissed_at, AB_TIME_NONE);
    CHECK_INT(a->priority, 2);
    store_alert_free(a);
    /* Still Failing a day later: that is a routine repeat. */
    CHECK_OK(tick(&w, "2026-12-04T00:31:00Z"));
    CHECK_STR(queued(&w), "alert-repeated>ops");
    /* Snoozed for a week, then the source goes away: P1 Offline. */
    CHECK_OK(dismiss(&w, "ops@example.test", "2026-12-11T00:00:00Z", "2026-12-04T01:00:00Z"));
    CHECK_OK(tick(&w, "2026-12-05T01:00:00Z"));
    CHECK_STR(queued(&w), "");
    drop_table(&w);
    CHECK_OK(tick(&w, "2026-12-05T02:00:00Z"));
    CHECK_STR(queued(&w), "alert-worse>ops");
    m = last_mail(&w, "alert-worse", "ops@example.test");
    CHECK_CONTAINS(m, "P1 now Offline, was Failing");
    ab_free(m);
    a = open_alert(&w);
    CHECK(a != NULL);
    CHECK_INT(a->dismissed_at, AB_TIME_NONE);
    CHECK_INT(a->priority, 1);
    store_alert_free(a);
    /* Better (Offline back to Failing) is no news: nothing until the repeat. */
    set_newest(&w, "2026-12-01T00:00:00Z");
    CHECK_OK(tick(&w, "2026-12-05T03:00:00Z"));
    CHECK_STR(queued(&w), "");
    world_free(&w);
}

/*
 * A check that recovers and fails again is a new episode: the dismissal of
 * the first does not silence the second.
 */
TEST(recovered_and_failing_again_is_told)
{
    struct world w;
    CHECK_OK(world_new(&w, "again", "", FRESH));
    set_newest(&w, "2026-12-01T00:00:00Z");
    CHECK_OK(tick(&w, "2026-12-01T12:00:00Z"));
    CHECK_OK(tick(&w, "2026-12-03T01:00:00Z")); /* Failing */
    CHECK_STR(queued(&w), "alert-opened>ops");
    CHECK_OK(dismiss(&w, "ops@example.test", NULL, "2026-12-03T02:00:00Z"));
    set_newest(&w, "2026-12-03T03:00:00Z");
    CHECK_OK(tick(&w, "2026-12-03T04:00:00Z")); /* recovered */
    CHECK_STR(queued(&w), "alert-resolved>ops");
    CHECK_OK(tick(&w, "2026-12-06T04:00:00Z")); /* Failing again */
    CHECK_STR(queued(&w), "alert-opened>ops");
    char *m = last_mail(&w, "alert-opened", "ops@example.test");
    CHECK(status_line(m, "Status:    Failing (was Healthy)"));
    ab_free(m);
    world_free(&w);
}

/*
 * A first run that fails is new: no "(was Healthy)" it never was, and the
 * templates see alert.new (a per-check override shows it here).
 */
TEST(first_run_failing_is_new)
{
    struct world w;
    CHECK_OK(world_new(&w, "new", "", FRESH));
    char p[1024];
    snprintf(p, sizeof p, "%s/tpl/fresh", w.dir);
    CHECK(mkdir(p, 0755) == 0);
    snprintf(p, sizeof p, "%s/tpl/fresh/alert-opened.subject.mustache", w.dir);
    write_file(p, "{{alert.status}}{{#alert.new}}, new{{/alert.new}}"
                  "{{#alert.previous_status}}, was {{alert.previous_status}}{{/alert.previous_status}}\n");
    set_newest(&w, "2026-11-01T00:00:00Z");
    CHECK_OK(tick(&w, "2026-12-01T00:00:00Z"));
    CHECK_STR(queued(&w), "alert-opened>ops");
    char *m = last_mail(&w, "alert-opened", "ops@example.test");
    CHECK_CONTAINS(m, "Subject: Failing, new\r\n");
    CHECK(status_line(m, "Status:    Failing (new)")); /* the default details say so */
    ab_free(m);
    struct store_alert *a = open_alert(&w);
    CHECK(a && a->previous_status == NULL);
    store_alert_free(a);

    /* A heartbeat whose very first cycle nobody confirms is new too. */
    struct world h;
    CHECK_OK(world_new(&h, "newhb", "", HB));
    CHECK_OK(tick(&h, "2026-12-01T08:00:00Z"));
    CHECK_OK(tick(&h, "2026-12-08T08:01:00Z"));
    CHECK_STR(queued(&h), REQUESTS " " NOBODY);
    a = open_alert(&h);
    CHECK(a && a->previous_status == NULL);
    store_alert_free(a);
    world_free(&h);
    world_free(&w);
}
