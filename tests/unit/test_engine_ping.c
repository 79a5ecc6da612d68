/*
 * test_engine_ping.c - when a ping check's silence counts, with simulated
 * times (the engine's "now", as `--now` gives it): not for one full
 * period plus grace after the report fell due inside a maintenance
 * window, after the daemon started, or after the check was added; and
 * never longer than that, so a window that recurs every night does not
 * hide a daily job that stopped.  Reports through `ackbeat report` take
 * the same path as pings.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/ab_buf.h"
#include "common/ab_mem.h"
#include "config/cfg.h"
#include "engine/eng.h"
#include "store/store.h"
#include "store/store_alerts.h"
#include "store/store_pings.h"
#include "store/store_runs.h"
#include "test_engine_util.h"

struct world {
    cfg *c;
    store *st;
    eng *e;
};

/* A calendar of VEVENT lines (DTSTART, DTEND, RRULE...) in dir. */
static const char *calendar(const char *dir, const char *event)
{
    static char path[1024];
    char text[2048];
    snprintf(path, sizeof path, "%s/maint.ics", dir);
    snprintf(text, sizeof text,
             "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\n"
             "UID:m1@t\r\nDTSTAMP:20261101T000000Z\r\n%sSUMMARY:upgrade\r\n"
             "END:VEVENT\r\nEND:VCALENDAR\r\n", event);
    write_file(path, text);
    return path;
}

/*
 * A world with one ping check "backup" (period 1d, grace 1h) and, if
 * event is not NULL, a maintenance calendar with that event covering
 * the checks named in covers ("" = all).
 */
static int world_new(struct world *w, const char *name, const char *event,
                     const char *covers)
{
    memset(w, 0, sizeof *w);
    char dir[600];
    snprintf(dir, sizeof dir, "%s/%s", t_tmpdir(), name);
    mkdir(dir, 0700);
    char maint[1400] = "";
    if (event)
        snprintf(maint, sizeof maint, "<maintenance calendar=\"%s\"%s%s%s/>",
                 calendar(dir, event), *covers ? " checks=\"" : "", covers,
                 *covers ? "\"" : "");
    char xml[4096];
    snprintf(xml, sizeof xml,
             "<ackbeat name=\"test\" timezone=\"UTC\" tick=\"1m\">\n"
             "  <state path=\"state.db\"/>\n"
             "  <mail from=\"ackbeat@example.test\" transport=\"maildir:out\"/>\n"
             "  <recipients><person name=\"ops\" email=\"ops@example.test\"/></recipients>\n"
             "  <alerting notify=\"ops\"/>\n"
             "  %s\n"
             "  <checks>\n"
             "    <ping name=\"backup\" period=\"1d\" grace=\"1h\"/>\n"
             "    <ping name=\"other\" period=\"1d\" grace=\"1h\"/>\n"
             "  </checks>\n</ackbeat>\n",
             maint);
    if (te_open(dir, xml, &w->c, &w->st, &w->e) != 0)
        return -1;
    eng_set_send(w->e, 0);
    return 0;
}

static void world_free(struct world *w)
{
    eng_free(w->e);
    store_close(w->st);
    cfg_free(w->c);
}

static int tick(struct world *w, const char *iso)
{
    ab_errmsg em = {{0}};
    if (eng_tick(w->e, T(iso), NULL, &em) != AB_OK) {
        printf("tick %s: %s\n", iso, em.text);
        return -1;
    }
    return 0;
}

static int ping(struct world *w, enum store_ping_kind kind, const char *iso)
{
    ab_errmsg em = {{0}};
    if (eng_ping(w->e, "backup", kind, 0, "http", NULL, T(iso), &em) != AB_OK) {
        printf("ping %s: %s\n", iso, em.text);
        return -1;
    }
    return 0;
}

/* The open alert of "backup": its status, or -1 when there is none;
 * its message in msg. */
static int alert_status(struct world *w, char *msg, size_t len)
{
    struct store_alert *a = NULL;
    if (store_alert_find_open(w->st, "backup", "", &a, NULL) != AB_OK)
        return -1;
    int s = (int)a->status;
    if (msg)
        snprintf(msg, len, "%s", a->message ? a->message : "");
    store_alert_free(a);
    return s;
}

/* How many runs "backup" has on record (a verdict is a run). */
static int runs(struct world *w)
{
    struct store_run **v = NULL;
    size_t n = 0;
    if (store_run_history(w->st, "backup", 100, &v, &n, NULL) != AB_OK)
        return -1;
    for (size_t i = 0; i < n; i++)
        store_run_free(v[i]);
    ab_free(v);
    return (int)n;
}

TEST(silence_counts_from_the_end_of_the_window_it_fell_due_in)
{
    struct world w;
    CHECK_OK(world_new(&w, "due_in_window",
                       "DTSTART:20261202T000000Z\r\nDTEND:20261202T120000Z\r\n", ""));
    CHECK_OK(tick(&w, "2026-12-01T00:00:00Z"));
    /* the job reports through `ackbeat report`: a finish ping */
    ab_errmsg em = {{0}};
    CHECK_OK(eng_report(w.e, "backup", NULL, AB_HEALTHY, 0, 0, "ok",
                        T("2026-12-01T02:00:00Z"), &em));
    CHECK_INT(runs(&w), 1);
    /* due at 12-02T03:00, inside the window */
    CHECK_OK(tick(&w, "2026-12-02T06:00:00Z"));
    CHECK_INT(alert_status(&w, NULL, 0), -1);
    /* the window is over (its end is exclusive): a full period from now */
    CHECK_OK(tick(&w, "2026-12-02T12:00:00Z"));
    CHECK_INT(alert_status(&w, NULL, 0), -1);
    CHECK_OK(tick(&w, "2026-12-02T12:01:00Z"));
    CHECK_OK(tick(&w, "2026-12-03T06:00:00Z"));
    CHECK_OK(tick(&w, "2026-12-03T13:00:00Z")); /* end + 1d + 1h: not yet */
    CHECK_INT(alert_status(&w, NULL, 0), -1);
    CHECK_INT(runs(&w), 1); /* nothing said meanwhile, not even Healthy again */
    CHECK_OK(tick(&w, "2026-12-03T13:01:00Z"));
    char msg[512];
    CHECK_INT(alert_status(&w, msg, sizeof msg), AB_OFFLINE);
    CHECK_CONTAINS(msg, "no report since 2026-12-01T02:00:00Z");
    CHECK_CONTAINS(msg, "counted from 2026-12-02T12:00:00Z");
    /* a report ends it */
    CHECK_OK(ping(&w, STORE_PING_SUCCESS, "2026-12-03T14:00:00Z"));
    CHECK_INT(alert_status(&w, NULL, 0), -1);
    world_free(&w);
}

TEST(the_same_silence_without_the_window_is_offline_at_once)
{
    /* The window covers another check only: no forgiveness for backup. */
    struct world w;
    CHECK_OK(world_new(&w, "other_check",
                       "DTSTART:20261202T000000Z\r\nDTEND:20261202T120000Z\r\n", "other"));
    CHECK_OK(tick(&w, "2026-12-01T00:00:00Z"));
    CHECK_OK(ping(&w, STORE_PING_SUCCESS, "2026-12-01T02:00:00Z"));
    CHECK_OK(tick(&w, "2026-12-02T03:00:00Z"));
    CHECK_INT(alert_status(&w, NULL, 0), -1);
    CHECK_OK(tick(&w, "2026-12-02T03:01:00Z"));
    char msg[512];
    CHECK_INT(alert_status(&w, msg, sizeof msg), AB_OFFLINE);
    CHECK(strstr(msg, "counted from") == NULL);
    world_free(&w);
}

TEST(never_reported_and_due_in_a_window_waits_a_period_after_it)
{
    struct world w;
    CHECK_OK(world_new(&w, "never",
                       "DTSTART:20261202T000000Z\r\nDTEND:20261202T060000Z\r\n", "backup"));
    CHECK_OK(tick(&w, "2026-12-01T00:00:00Z")); /* first seen: due 12-02T01:00 */
    CHECK_OK(tick(&w, "2026-12-02T06:01:00Z"));
    CHECK_OK(tick(&w, "2026-12-03T07:00:00Z"));
    CHECK_INT(alert_status(&w, NULL, 0), -1);
    CHECK_OK(tick(&w, "2026-12-03T07:01:00Z"));
    char msg[512];
    CHECK_INT(alert_status(&w, msg, sizeof msg), AB_OFFLINE);
    CHECK_CONTAINS(msg, "never reported");
    CHECK_CONTAINS(msg, "counted from 2026-12-02T06:00:00Z");
    world_free(&w);
}

TEST(started_not_finished_across_a_window_fails_a_grace_after_it)
{
    struct world w;
    CHECK_OK(world_new(&w, "start",
                       "DTSTART:20261202T000000Z\r\nDTEND:20261202T060000Z\r\n", ""));
    CHECK_OK(tick(&w, "2026-12-01T00:00:00Z"));
    CHECK_OK(ping(&w, STORE_PING_SUCCESS, "2026-12-01T22:00:00Z"));
    CHECK_OK(ping(&w, STORE_PING_START, "2026-12-01T23:30:00Z")); /* due 00:30 */
    CHECK_OK(tick(&w, "2026-12-02T03:00:00Z"));
    CHECK_INT(alert_status(&w, NULL, 0), -1);
    CHECK_OK(tick(&w, "2026-12-02T07:00:00Z")); /* end + grace: not yet */
    CHECK_INT(alert_status(&w, NULL, 0), -1);
    CHECK_OK(tick(&w, "2026-12-02T07:01:00Z"));
    char msg[512];
    CHECK_INT(alert_status(&w, msg, sizeof msg), AB_FAILING);
    CHECK_CONTAINS(msg, "did not finish within 1h");
    CHECK_CONTAINS(msg, "counted from 2026-12-02T06:00:00Z");
    world_free(&w);
}

TEST(a_reported_failure_in_a_window_counts_at_once)
{
    struct world w;
    CHECK_OK(world_new(&w, "fail",
                       "DTSTART:20261202T000000Z\r\nDTEND:20261202T060000Z\r\n", ""));
    CHECK_OK(tick(&w, "2026-12-01T00:00:00Z"));
    CHECK_OK(ping(&w, STORE_PING_FAIL, "2026-12-02T01:00:00Z"));
    CHECK_INT(alert_status(&w, NULL, 0), AB_FAILING);
    world_free(&w);
}

TEST(a_nightly_window_does_not_hide_a_daily_job_for_ever)
{
    /* 00:00-01:00 every night; the job reports at 10:00 and then stops.
     * Only a deadline inside a window moves: this one is at 11:00. */
    struct world w;
    CHECK_OK(world_new(&w, "nightly",
                       "DTSTART:20261201T000000Z\r\nDTEND:20261201T010000Z\r\n"
                       "RRULE:FREQ=DAILY\r\n", ""));
    CHECK_OK(tick(&w, "2026-12-01T00:00:00Z"));
    CHECK_OK(ping(&w, STORE_PING_SUCCESS, "2026-12-01T10:00:00Z"));
    CHECK_OK(tick(&w, "2026-12-02T00:30:00Z"));
    CHECK_OK(tick(&w, "2026-12-02T11:00:00Z"));
    CHECK_INT(alert_status(&w, NULL, 0), -1);
    CHECK_OK(tick(&w, "2026-12-02T11:01:00Z"));
    CHECK_INT(alert_status(&w, NULL, 0), AB_OFFLINE);
    world_free(&w);
}

TEST(a_deadline_in_the_next_window_moves_again)
{
    /* Two windows: the first moves the deadline into the second. */
    struct world w;
    CHECK_OK(world_new(&w, "chain",
                       "DTSTART:20261202T000000Z\r\nDTEND:20261202T040000Z\r\n"
                       "RDATE:20261203T030000Z\r\n", ""));
    CHECK_OK(tick(&w, "2026-12-01T00:00:00Z"));
    CHECK_OK(ping(&w, STORE_PING_SUCCESS, "2026-12-01T02:00:00Z"));
    /* due 12-02T03:00 in window 1 (ends 04:00): due 12-03T05:00, in
     * window 2 (03:00-07:00): due 12-04T08:00 */
    CHECK_OK(tick(&w, "2026-12-03T05:01:00Z"));
    CHECK_OK(tick(&w, "2026-12-03T07:01:00Z"));
    CHECK_OK(tick(&w, "2026-12-04T08:00:00Z"));
    CHECK_INT(alert_status(&w, NULL, 0), -1);
    CHECK_OK(tick(&w, "2026-12-04T08:01:00Z"));
    char msg[512];
    CHECK_INT(alert_status(&w, msg, sizeof msg), AB_OFFLINE);
    CHECK_CONTAINS(msg, "counted from 2026-12-03T07:00:00Z");
    world_free(&w);
}

TEST(silence_counts_from_the_daemons_start)
{
    /* The daemon was down for days; restarted, it waits one period. */
    struct world w;
    CHECK_OK(world_new(&w, "restart", NULL, ""));
    CHECK_OK(tick(&w, "2026-12-01T00:00:00Z"));
    CHECK_OK(ping(&w, STORE_PING_SUCCESS, "2026-12-01T02:00:00Z"));
    eng_set_started(w.e, T("2026-12-05T00:00:00Z"));
    CHECK_OK(tick(&w, "2026-12-05T00:01:00Z"));
    CHECK_OK(tick(&w, "2026-12-06T01:00:00Z"));
    CHECK_INT(alert_status(&w, NULL, 0), -1);
    CHECK_OK(tick(&w, "2026-12-06T01:01:00Z"));
    char msg[512];
    CHECK_INT(alert_status(&w, msg, sizeof msg), AB_OFFLINE);
    CHECK_CONTAINS(msg, "counted from 2026-12-05T00:00:00Z");
    world_free(&w);
}
