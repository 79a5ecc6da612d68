/*
 * test_engine_report.c - the monthly report with explicit times over
 * several weeks in Europe/Berlin: queued once on the 1st at report-at in
 * the site's zone (not before, not twice, not again after a restart), for
 * the month before; each check's uptime and outages, each heartbeat's
 * confirmation rate per person asked, who bounced and why, all in words;
 * a daemon down over the 1st reports once, late; report-at= is checked.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ab_buf.h"
#include "common/ab_mem.h"
#include "config/cfg.h"
#include "engine/eng.h"
#include "store/store.h"
#include "store/store_cycles.h"
#include "store/store_inbox.h"
#include "store/store_pings.h"
#include "tests/unit/harness.h"
#include "test_engine_util.h"

struct world {
    char dir[1024];
    cfg *c;
    store *st;
    eng *e;
};

static int world_new(struct world *w, const char *name, const char *alerting)
{
    memset(w, 0, sizeof *w);
    snprintf(w->dir, sizeof w->dir, "%s/%s", t_tmpdir(), name);
    char cmd[4096], xml[4096];
    snprintf(cmd, sizeof cmd, "mkdir -p %s/inbox/new %s/inbox/cur %s/inbox/tmp", w->dir,
             w->dir, w->dir);
    if (system(cmd) != 0)
        return -1;
    snprintf(xml, sizeof xml,
             "<ackbeat name=\"Acme\" timezone=\"Europe/Berlin\" tick=\"1m\">\n"
             "  <state path=\"state.db\"/>\n"
             "  <mail from=\"ackbeat@example.test\" transport=\"maildir:out\"/>\n"
             "  <inbox url=\"maildir:inbox\" poll=\"1m\" "
             "reply-address=\"heartbeat@example.test\" ack-from=\"example.test\"/>\n"
             "  <recipients>\n"
             "    <person name=\"ops\" email=\"ops@example.test\"/>\n"
             "    <person name=\"kim\" email=\"kim@example.test\" display=\"Kim Lee\"/>\n"
             "    <person name=\"boss\" email=\"boss@example.test\"/>\n"
             "    <group name=\"leads\"><member>ops</member><member>boss</member></group>\n"
             "  </recipients>\n"
             "  %s\n"
             "  <schedule name=\"weekly\" "
             "rrule=\"FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0;BYSECOND=0\"/>\n"
             "  <checks>\n"
             "    <ping name=\"backup\" label=\"Nightly backup\" period=\"1d\" grace=\"1h\"/>\n"
             "    <ping name=\"web\" period=\"1d\" grace=\"1h\"/>\n"
             "    <heartbeat name=\"duty\" label=\"On duty\" schedule=\"weekly\" "
             "to=\"ops kim\" grace=\"2d\" quorum=\"1\"/>\n"
             "  </checks>\n</ackbeat>\n",
             alerting);
    return te_open(w->dir, xml, &w->c, &w->st, &w->e);
}

static void world_free(struct world *w)
{
    eng_free(w->e);
    store_close(w->st);
    cfg_free(w->c);
}

static int tick(struct world *w, ab_time t)
{
    ab_errmsg em = {{0}};
    if (eng_tick(w->e, t, NULL, &em) != AB_OK) {
        printf("tick: %s\n", em.text);
        return -1;
    }
    return 0;
}

/* The report mails in out/new: how many, and (first) the one matching
 * needle, for *text (ab_free; may be NULL). */
static int reports(struct world *w, const char *needle, char **text)
{
    char d[1100];
    snprintf(d, sizeof d, "%s/out/new", w->dir);
    DIR *dir = opendir(d);
    int n = 0;
    struct dirent *de;
    while (dir && (de = readdir(dir))) {
        if (de->d_name[0] == '.')
            continue;
        char p[1400];
        snprintf(p, sizeof p, "%s/%s", d, de->d_name);
        char *m = read_file(p);
        if (m && strstr(m, "X-Ackbeat-Notice: monthly-report") &&
            (!needle || strstr(m, needle))) {
            n++;
            if (text && !*text) {
                *text = m;
                m = NULL;
            }
        }
        ab_free(m);
    }
    if (dir)
        closedir(dir);
    return n;
}

/* Confirm the newest cycle of "duty" for rcpt (by phone, `ackbeat ack`),
 * or record a bounce of its request with why. */
static int answer(struct world *w, const char *rcpt, ab_time at, const char *bounce)
{
    struct store_cycle **v = NULL;
    size_t n = 0;
    int rc = -1;
    if (store_cycle_list(w->st, "duty", 0, 1, &v, &n, NULL) != AB_OK || !n)
        goto out;
    for (size_t i = 0; i < v[0]->nrcpts; i++) {
        const struct store_cycle_rcpt *r = &v[0]->rcpts[i];
        if (strcmp(r->address, rcpt))
            continue;
        int64_t cid;
        if (!bounce) {
            rc = store_ack_manual(w->st, r->token, rcpt, NULL, at, &cid, NULL) == AB_OK ? 0 : -1;
            break;
        }
        char msgid[128];
        snprintf(msgid, sizeof msgid, "<bounce.%s@mx.example.test>", r->token);
        struct store_inbox_rec rec = {.mailbox = "INBOX", .uidvalidity = 1,
                                      .uid = (int64_t)at, .message_id = msgid,
                                      .received = at, .klass = "bounce", .token = r->token,
                                      .issued = 1, .for_addr = rcpt, .bounce_line = bounce};
        int dup = 0;
        rc = store_begin(w->st, NULL) == AB_OK &&
                     store_inbox_record(w->st, &rec, &dup, NULL) == AB_OK &&
                     store_commit(w->st, NULL) == AB_OK
                 ? 0
                 : -1;
        break;
    }
out:
    store_cycle_list_free(v, n);
    return rc;
}

/* Hourly ticks from from to to (exclusive); the pings come daily at 01:00
 * UTC, except that backup fails at 03:00 UTC on 3 November and succeeds
 * again at 06:00; each Monday ops confirms, and in November Kim confirms on the 2nd
 * and the 9th and bounces on the 16th. */
static int walk(struct world *w, ab_time from, ab_time to)
{
    ab_errmsg em = {{0}};
    /* Under valgrind only the hours where something happens are ticked
     * (pings, the failure, the report at 07:00, the cycle, the answers):
     * the same story in a quarter of the ticks. */
    int sparse = getenv("AB_UNDER_VALGRIND") != NULL;
    for (ab_time t = from; t < to; t += 3600) {
        int64_t hour = (t % 86400) / 3600;
        if (sparse && hour != 1 && hour != 3 && hour != 6 && hour != 7 && hour != 8 &&
            hour != 10)
            continue;
        if (hour == 1 && (eng_ping(w->e, "backup", STORE_PING_SUCCESS, 0, "http", NULL, t,
                                   &em) != AB_OK ||
                          eng_ping(w->e, "web", STORE_PING_SUCCESS, 0, "http", NULL, t,
                                   &em) != AB_OK))
            return -1;
        if (t == T("2026-11-03T03:00:00Z") &&
            eng_ping(w->e, "backup", STORE_PING_FAIL, 0, "http", "disk full", t, &em) != AB_OK)
            return -1;
        if (t == T("2026-11-03T06:00:00Z") &&
            eng_ping(w->e, "backup", STORE_PING_SUCCESS, 0, "http", NULL, t, &em) != AB_OK)
            return -1;
        if (tick(w, t))
            return -1;
        /* Mondays at 09:00 CET the cycle opens; answers come at 10:00 UTC. */
        int64_t days = t / 86400;
        int monday = (days + 3) % 7 == 0; /* 1970-01-01 was a Thursday */
        if (monday && hour == 10) {
            if (answer(w, "ops@example.test", t, NULL))
                return -1;
            if ((t / 86400 == T("2026-10-26T00:00:00Z") / 86400 ||
                 t / 86400 == T("2026-11-02T00:00:00Z") / 86400 ||
                 t / 86400 == T("2026-11-09T00:00:00Z") / 86400) &&
                answer(w, "kim@example.test", t, NULL))
                return -1;
            if (t / 86400 == T("2026-11-16T00:00:00Z") / 86400 &&
                answer(w, "kim@example.test", t, "kim@example.test: 550 5.1.1 user unknown"))
                return -1;
        }
    }
    return 0;
}

TEST(the_report_comes_once_on_the_first_about_the_month_before)
{
    struct world w;
    CHECK(world_new(&w, "month", "<alerting notify=\"ops\" report-to=\"leads\"/>") == 0);
    /* 1 November 08:00 CET is 07:00 UTC (summer time ended on 25 October). */
    CHECK(walk(&w, T("2026-10-20T10:00:00Z"), T("2026-11-01T07:00:00Z")) == 0);
    CHECK_INT(reports(&w, NULL, NULL), 0);
    CHECK(walk(&w, T("2026-11-01T07:00:00Z"), T("2026-11-01T08:00:00Z")) == 0);
    /* October's, to both people of the group: one cycle, both confirmed. */
    CHECK_INT(reports(&w, NULL, NULL), 2);
    char *oct = NULL;
    reports(&w, NULL, &oct);
    if (getenv("AB_SHOW_REPORT"))
        printf("%s\n", oct);
    ab_free(oct);
    CHECK_INT(reports(&w, "Subject: [Acme] Monthly report for October 2026: no outages", NULL),
              2);
    CHECK_INT(reports(&w, "Kim Lee <kim@example.test>: confirmed 1 of 1 (100%)", NULL), 2);
    /* A restart later that morning sends nothing again: the month is kept
     * in the store. */
    eng_free(w.e);
    ab_errmsg em = {{0}};
    CHECK_OK(eng_new(w.c, w.st, templates(), &w.e, &em));
    CHECK(walk(&w, T("2026-11-01T08:00:00Z"), T("2026-12-01T07:00:00Z")) == 0);
    CHECK_INT(reports(&w, NULL, NULL), 2);
    CHECK(walk(&w, T("2026-12-01T07:00:00Z"), T("2026-12-03T00:00:00Z")) == 0);
    CHECK_INT(reports(&w, NULL, NULL), 4);
    char *m = NULL;
    CHECK_INT(reports(&w, "To: ops@example.test", NULL), 2);
    CHECK_INT(reports(&w, "Monthly report for November 2026: 1 outage", &m), 2);
    CHECK(m != NULL);
    CHECK_CONTAINS(m, "This is Acme's report for November 2026, from Sunday 1 November 2026 to");
    CHECK_CONTAINS(m, "Monday 30 November 2026.");
    /* 3 hours of 720: 99.58%; the failed ping's time in the site's zone. */
    CHECK_CONTAINS(m, "Nightly backup (backup): up 99.58%, down 3 hours");
    CHECK_CONTAINS(m, "1 outage, the longest 3 hours:");
    CHECK_CONTAINS(m, "from Tuesday 3 November 2026, 04:00 CET, 3 hours");
    CHECK_CONTAINS(m, "web (web): up 100%, no outages");
    /* Five Mondays in November: ops confirmed each, Kim twice and bounced once. */
    CHECK_CONTAINS(m, "On duty (duty):");
    CHECK_CONTAINS(m, "- ops <ops@example.test>: confirmed 5 of 5 (100%)");
    CHECK_CONTAINS(m, "- Kim Lee <kim@example.test>: confirmed 2 of 5 (40%), 1 bounced");
    CHECK_CONTAINS(m, "On duty (duty): up 100%, no outages");
    CHECK_CONTAINS(m, "- Kim Lee <kim@example.test>, bounced once:\n"
                      "      550 5.1.1 user unknown (last on Monday 16 November 2026, "
                      "11:00 CET)");
    CHECK_CONTAINS(m, "Content-Type: text/html");
    ab_free(m);
    world_free(&w);
}

TEST(a_daemon_down_over_the_first_reports_once_late)
{
    struct world w;
    CHECK(world_new(&w, "late", "<alerting notify=\"ops\" report-to=\"ops\" "
                                "report-at=\"06:30\"/>") == 0);
    CHECK(tick(&w, T("2026-09-20T10:00:00Z")) == 0);
    /* Down from September 20 to November 3: one report, for October. */
    CHECK(tick(&w, T("2026-11-03T12:00:00Z")) == 0);
    CHECK_INT(reports(&w, NULL, NULL), 1);
    CHECK_INT(reports(&w, "Monthly report for October 2026", NULL), 1);
    CHECK(tick(&w, T("2026-11-04T12:00:00Z")) == 0);
    CHECK(tick(&w, T("2026-12-01T05:29:00Z")) == 0); /* 06:29 CET */
    CHECK_INT(reports(&w, NULL, NULL), 1);
    CHECK(tick(&w, T("2026-12-01T05:30:00Z")) == 0);
    CHECK_INT(reports(&w, "Monthly report for November 2026", NULL), 1);
    world_free(&w);
}

/* A daemon started before the 1st's report time whose first tick (as the
 * leader) comes after it - a slow start, or the leader's lease waited out
 * after a kill - knew the report before it was due: it is sent, not
 * skipped to the next month as if first seen at that tick. */
TEST(a_report_due_before_the_first_tick_of_a_daemon_started_before_it_is_sent)
{
    struct world w;
    CHECK(world_new(&w, "slowstart", "<alerting notify=\"ops\" report-to=\"ops\" "
                                     "report-at=\"06:30\"/>") == 0);
    eng_set_started(w.e, T("2026-12-01T05:29:50Z")); /* 06:29:50 CET */
    CHECK(tick(&w, T("2026-12-01T05:30:20Z")) == 0);
    CHECK_INT(reports(&w, "Monthly report for November 2026", NULL), 1);
    CHECK(tick(&w, T("2026-12-01T05:31:20Z")) == 0);
    CHECK_INT(reports(&w, NULL, NULL), 1);
    world_free(&w);
}

TEST(report_at_needs_report_to_and_a_time)
{
    char path[1100];
    snprintf(path, sizeof path, "%s/bad.xml", t_tmpdir());
    const char *bad[][2] = {
        {"<alerting notify=\"ops\" report-at=\"08:00\"/>", "report-at= needs report-to="},
        {"<alerting notify=\"ops\" report-to=\"ops\" report-at=\"8am\"/>",
         "report-at=\"8am\" must be HH:MM"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char xml[2048];
        snprintf(xml, sizeof xml,
                 "<ackbeat name=\"t\" timezone=\"UTC\">\n"
                 "  <state path=\"s.db\"/>\n"
                 "  <mail from=\"ackbeat@example.test\" transport=\"maildir:out\"/>\n"
                 "  <recipients><person name=\"ops\" email=\"ops@example.test\"/>"
                 "</recipients>\n"
                 "  %s\n"
                 "  <checks><ping name=\"p\" period=\"1d\"/></checks>\n</ackbeat>\n",
                 bad[i][0]);
        write_file(path, xml);
        cfg *c = NULL;
        ab_buf errs;
        ab_buf_init(&errs, 1 << 16);
        CHECK(cfg_load(path, &c, &errs) != AB_OK);
        CHECK_CONTAINS(ab_buf_str(&errs), bad[i][1]);
        CHECK_CONTAINS(ab_buf_str(&errs), ":5: ");
        ab_buf_free(&errs);
    }
}
