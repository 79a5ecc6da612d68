/*
 * test_engine_view.c - the read model the CLI and the web format
 * (engine/eng_view*.c) and the self-watch's daily message
 * (engine/eng_selfwatch.c), with explicit times: an engine that opens its
 * own state, each check as the views show it (status, last and next run,
 * open alert, silence, pause), the outbox, a report taken whole or not at
 * all, and one daily message per day across restarts (the latest missed
 * one sent on return).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ab_buf.h"
#include "common/ab_mem.h"
#include "config/cfg.h"
#include "engine/eng.h"
#include "test_engine_util.h"
#include "tests/unit/harness.h"

/* A config in the test's folder, loaded; NULL with the errors printed. */
static cfg *load(const char *name, const char *body)
{
    char db[600], path[600], xml[4096];
    snprintf(db, sizeof db, "%s/%s.db", t_tmpdir(), name);
    remove(db);
    t_state_fresh(db); /* PostgreSQL: an empty schema, as removing the file */
    snprintf(
        xml, sizeof xml,
        "<ackbeat name=\"view\" timezone=\"UTC\" tick=\"1m\">\n"
        "  %s\n"
        "  <mail from=\"ackbeat@example.test\" transport=\"maildir:%s/md-%s\"/>\n"
        "  <recipients><person name=\"ops\" email=\"ops@example.test\"/></recipients>\n"
        "%s</ackbeat>\n",
        t_state_tag(db), t_tmpdir(), name, body);
    snprintf(path, sizeof path, "%s/%s.xml", t_tmpdir(), name);
    write_file(path, xml);
    ab_buf errs;
    ab_buf_init(&errs, 1 << 16);
    cfg *c = NULL;
    if (cfg_load(path, &c, &errs) != AB_OK)
        printf("%.2000s", ab_buf_str(&errs));
    ab_buf_free(&errs);
    return c;
}

static const char checks[] = "  <alerting notify=\"ops\" repeat=\"1d\"/>\n"
                             "  <checks><command name=\"bad\" command=\"/bin/false\"/>"
                             "<command name=\"good\" command=\"/bin/true\"/>"
                             "<ping name=\"job\" period=\"1h\"/></checks>\n";

TEST(an_engine_opens_its_own_state_and_shows_each_check)
{
    cfg *c = load("show", checks);
    CHECK(c);
    eng *e = NULL, *v = NULL;
    ab_errmsg em = {{0}};
    CHECK_OK(eng_open(c, templates(), 0, &e, &em));
    struct eng_tick_stats s;
    CHECK_OK(eng_tick(e, T("2026-12-01T08:00:00Z"), &s, &em));
    CHECK_INT(s.alerts_opened, 1);
    /* A second engine on the same file, as a command beside the daemon. */
    CHECK_OK(eng_open(c, NULL, ENG_OPEN_VIEW, &v, &em));
    ab_time now = T("2026-12-01T08:10:00Z");
    struct eng_check_view bad, good, job;
    eng_view_check(v, cfg_check_find(c, "bad"), now, &bad);
    eng_view_check(v, cfg_check_find(c, "good"), now, &good);
    eng_view_check(v, cfg_check_find(c, "job"), now, &job);
    CHECK(bad.status > 0);
    CHECK_STR(eng_status_name(bad.status), eng_status_name(eng_view_status(v, "bad")));
    CHECK(bad.last && bad.last->started == T("2026-12-01T08:00:00Z"));
    CHECK(bad.alert && bad.alert->dismissed_at == AB_TIME_NONE);
    CHECK(bad.has_sched);
    CHECK_INT(good.status, 0);
    CHECK(good.last && !good.alert);
    CHECK_INT(job.status < 0 || !job.last, 1); /* never reported: no run of its own */
    CHECK(!bad.silenced_by && !bad.paused);
    eng_view_check_free(&bad);
    eng_view_check_free(&good);
    eng_view_check_free(&job);
    /* The alert inbox and one alert agree with the check's view. */
    struct store_alert **al = NULL;
    size_t n = 0;
    CHECK_OK(eng_view_alerts(v, 0, 0, &al, &n, &em));
    CHECK_INT(n, 1);
    CHECK_STR(al[0]->check, "bad");
    struct store_alert *one = NULL;
    CHECK_OK(eng_view_alert(v, al[0]->id, &one, &em));
    CHECK_INT(one->id, al[0]->id);
    eng_view_alert_free(one);
    CHECK_INT(eng_view_alert(v, 999, &one, &em), AB_ENOTFOUND);
    eng_view_alerts_free(al, n);
    /* The notice is in the outbox, sent by the tick's drain. */
    struct eng_outbox_view ob;
    CHECK_OK(eng_view_outbox(v, 1, 0, &ob, &em));
    CHECK_INT(ob.counts.sent, 1);
    CHECK_INT(ob.nmsgs, 1);
    eng_view_outbox_free(&ob);
    CHECK(!eng_view_outbox_due(v, now));
    eng_free(v);
    eng_free(e);
    cfg_free(c);
}

TEST(silence_and_pause_written_through_a_view_show_in_it)
{
    cfg *c = load("quiet", checks);
    CHECK(c);
    eng *v = NULL;
    ab_errmsg em = {{0}};
    CHECK_OK(eng_open(c, NULL, ENG_OPEN_VIEW, &v, &em));
    ab_time now = T("2026-12-01T08:00:00Z");
    struct store_silence si = {.starts = now,
                               .ends = now + 3600,
                               .created = now,
                               .expired = AB_TIME_NONE,
                               .created_by = "kim"};
    CHECK_OK(eng_silence_parse("check=b*", &si, &em));
    int64_t id = 0;
    CHECK_OK(eng_silence_add(v, &si, &id, &em));
    ab_free(si.check_glob);
    CHECK_OK(eng_pause(v, "good", now + 7200, "kim", NULL, now, &em));
    struct eng_check_view bad, good;
    eng_view_check(v, cfg_check_find(c, "bad"), now + 60, &bad);
    eng_view_check(v, cfg_check_find(c, "good"), now + 60, &good);
    CHECK_INT(bad.silenced_by, id);
    CHECK(!bad.paused && !good.silenced_by);
    CHECK(good.paused && good.paused_until == now + 7200);
    eng_view_check_free(&bad);
    eng_view_check_free(&good);
    /* After its end the silence is gone from the view; expiring it
     * early works once. */
    CHECK_INT(eng_view_silenced(v, cfg_check_find(c, "bad"), "", now + 3601), 0);
    CHECK_OK(eng_silence_expire(v, id, now + 60, &em));
    CHECK_INT(eng_silence_expire(v, id, now + 61, &em), AB_ENOTFOUND);
    struct store_silence *list = NULL;
    size_t n = 0;
    CHECK_OK(eng_view_silences(v, 0, now + 120, &list, &n, &em));
    CHECK_INT(n, 0);
    eng_view_silences_free(list, n);
    CHECK_OK(eng_resume(v, "good", &em));
    CHECK_INT(eng_resume(v, "good", &em), AB_ENOTFOUND);
    CHECK(!eng_view_paused(v, "good", now + 60, NULL));
    eng_free(v);
    cfg_free(c);
}

TEST(a_report_is_recorded_whole_or_not_at_all)
{
    cfg *c = load("report", checks);
    CHECK(c);
    eng *e = NULL;
    ab_errmsg em = {{0}};
    CHECK_OK(eng_open(c, templates(), 0, &e, &em));
    eng_set_send(e, 0);
    ab_time now = T("2026-12-01T08:00:00Z");
    /* A ping check takes no items: the second item fails, so the first,
     * a finish ping, must not stay either. */
    const struct eng_report_item bad[] = {{"", AB_HEALTHY, 0, 0, NULL},
                                          {"x", AB_HEALTHY, 0, 0, NULL}};
    CHECK_INT(eng_report_atomic(e, "job", bad, 2, now, &em), AB_EINVAL);
    struct store_ping_summary ps;
    CHECK_OK(eng_view_ping(e, "job", &ps, &em));
    CHECK(ps.last_finish == AB_TIME_NONE);
    CHECK_OK(eng_report_atomic(e, "job", bad, 1, now, &em));
    CHECK_OK(eng_view_ping(e, "job", &ps, &em));
    CHECK(ps.last_finish == now);
    CHECK_OK(eng_ping_atomic(e, "job", STORE_PING_START, 0, "http", NULL, now + 5, &em));
    CHECK_OK(eng_view_ping(e, "job", &ps, &em));
    CHECK(ps.last_start == now + 5);
    /* Two items of a command check: both runs recorded. */
    const struct eng_report_item two[] = {{"a", AB_HEALTHY, 1, 2.5, NULL},
                                          {"b", AB_FAILING, 0, 0, "down"}};
    CHECK_OK(eng_report_atomic(e, "good", two, 2, now + 10, &em));
    struct store_run **runs = NULL;
    size_t n = 0;
    CHECK_OK(eng_view_runs(e, "good", 10, &runs, &n, &em));
    CHECK_INT(n, 2);
    CHECK_STR(runs[0]->trigger, "report");
    eng_view_runs_free(runs, n);
    struct store_check_state **items = NULL;
    CHECK_OK(eng_view_items(e, "good", &items, &n, &em));
    CHECK_INT(n, 2);
    eng_view_items_free(items, n);
    eng_free(e);
    cfg_free(c);
}

/* Daily messages in the outbox. */
static size_t dailies(eng *e)
{
    struct eng_outbox_view ob;
    ab_errmsg em = {{0}};
    size_t k = 0;
    if (eng_view_outbox(e, 1, 0, &ob, &em) == AB_OK)
        for (size_t i = 0; i < ob.nmsgs; i++)
            k += ob.msgs[i].kind && strcmp(ob.msgs[i].kind, "watchdog") == 0;
    eng_view_outbox_free(&ob);
    return k;
}

TEST(the_daily_message_is_queued_once_a_day_across_restarts)
{
    cfg *c = load("daily", "  <watchdog admin=\"ops\" daily=\"08:00\"/>\n");
    CHECK(c);
    eng *e = NULL;
    ab_errmsg em = {{0}};
    CHECK_OK(eng_open(c, NULL, ENG_OPEN_VIEW, &e, &em));
    ab_time start = T("2026-12-01T07:00:00Z");
    eng_selfwatch *w = eng_selfwatch_new(start);
    CHECK(w);
    /* Started at 07:00, it sends yesterday's, missed while it was down;
     * today's at 08:00, once. */
    eng_selfwatch_daily(w, e, "host", T("2026-12-01T07:59:00Z"));
    CHECK_INT(dailies(e), 1);
    eng_selfwatch_daily(w, e, "host", T("2026-12-01T07:59:30Z"));
    CHECK_INT(dailies(e), 1);
    eng_selfwatch_daily(w, e, "host", T("2026-12-01T08:00:30Z"));
    CHECK_INT(dailies(e), 2);
    eng_selfwatch_daily(w, e, "host", T("2026-12-01T09:00:00Z"));
    CHECK_INT(dailies(e), 2);
    /* A restart at noon finds today's in the outbox. */
    eng_selfwatch_free(w);
    w = eng_selfwatch_new(T("2026-12-01T12:00:00Z"));
    eng_selfwatch_daily(w, e, "host", T("2026-12-01T12:00:00Z"));
    CHECK_INT(dailies(e), 2);
    /* The next day's; then only the latest of two days missed. */
    eng_selfwatch_daily(w, e, "host", T("2026-12-02T08:01:00Z"));
    CHECK_INT(dailies(e), 3);
    eng_selfwatch_daily(w, e, "host", T("2026-12-04T20:00:00Z"));
    CHECK_INT(dailies(e), 4);
    eng_selfwatch_free(w);
    eng_free(e);
    cfg_free(c);
}
