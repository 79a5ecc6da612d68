/*
 * test_engine_group.c - the due checks of a tick run in groups that
 * commit together (engine/eng_due_group.c): within one group a failing
 * check, a check whose run ends Offline, healthy ones and a held one
 * each come out as when every check committed alone - its verdict, its
 * alert, every fire time taken and claim done; a database failure while
 * a group is finished stops the tick and leaves its runs as a crash
 * would, the claims held, nothing booked twice.
 * More checks than a group holds (64) cross a group's end unharmed;
 * cached and held checks are counted as before.  Runs on SQLite, or on
 * PostgreSQL with AB_TEST_PG_URI.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ab_buf.h"
#include "common/ab_mem.h"
#include "config/cfg.h"
#include "engine/eng.h"
#include "engine/eng_int.h"
#include "store/store.h"
#include "test_engine_util.h"

struct world {
    char dir[512];
    char path[600];
    cfg *c;
    store *st;
    eng *e;
};

/* A config of the checks given, in a fresh state. */
static int world_new(struct world *w, const char *name, const char *checks)
{
    memset(w, 0, sizeof *w);
    snprintf(w->dir, sizeof w->dir, "%s/%s", t_tmpdir(), name);
    snprintf(w->path, sizeof w->path, "%s/state.db", w->dir);
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "mkdir -p %s/out/new %s/out/cur %s/out/tmp", w->dir, w->dir,
             w->dir);
    if (system(cmd) != 0)
        return -1;
    t_state_fresh(w->path);
    char ics[700], so[700];
    /* A plugin file that is no shared object: its run errors. */
    snprintf(so, sizeof so, "%s/broken.so", w->dir);
    write_file(so, "not a shared object\n");
    snprintf(ics, sizeof ics, "%s/maint.ics", w->dir);
    write_file(ics, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\n"
                    "UID:m1@t\r\nDTSTAMP:20261101T000000Z\r\nDTSTART:20261201T000000Z\r\n"
                    "DTEND:20261231T000000Z\r\nSUMMARY:move\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n");
    /* held1, if there is one, is held by a maintenance all month. */
    int held = strstr(checks, "\"held1\"") != NULL;
    size_t cap = strlen(checks) + 4096;
    char *xml = ab_malloc(cap);
    if (!xml)
        return -1;
    snprintf(xml, cap,
             "<ackbeat name=\"group\" timezone=\"UTC\" tick=\"1m\">\n"
             "  <state path=\"%s\"/>\n"
             "  <mail from=\"ackbeat@example.test\" transport=\"maildir:out\"/>\n"
             "  <recipients><person name=\"ops\" email=\"ops@example.test\"/></recipients>\n"
             "  <alerting notify=\"ops\" repeat=\"1d\"/>\n"
             "  %s%s%s\n"
             "  <checks>\n%s  </checks>\n</ackbeat>\n",
             w->path, held ? "<maintenance calendar=\"" : "", held ? ics : "",
             held ? "\" checks=\"held1\"/>" : "", checks);
    int r = te_open(w->dir, xml, &w->c, &w->st, &w->e);
    ab_free(xml);
    if (!r)
        eng_set_send(w->e, 0);
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
    ab_errmsg em = {{0}};
    if (eng_tick(w->e, T(iso), s, &em) != AB_OK) {
        printf("    tick %s: %s\n", iso, em.text);
        return -1;
    }
    return 0;
}

static long long count(struct world *w, const char *sql)
{
    return t_state_int(w->path, sql);
}

/* The status of the check's last complete run ("" if none); free it. */
static char *last_status(struct world *w, const char *check)
{
    char sql[512];
    snprintf(sql, sizeof sql,
             "SELECT r.status FROM results r JOIN runs u ON u.id = r.run_id "
             "WHERE u.check_name = '%s' ORDER BY u.id DESC LIMIT 1",
             check);
    char *t = t_state_text(w->path, sql);
    if (t)
        t[strcspn(t, "\n")] = '\0';
    return t;
}

TEST(a_group_keeps_each_checks_verdict)
{
    /* A failing check, one whose plugin cannot be loaded (its run ends
     * Offline), healthy ones and a held one, all in one group. */
    struct world w;
    CHECK_OK(world_new(&w, "mixed",
                       "    <command name=\"ok1\" command=\"/bin/true\"/>\n"
                       "    <command name=\"bad\" command=\"/bin/false\"/>\n"
                       "    <plugin name=\"broken\" file=\"broken.so\"/>\n"
                       "    <command name=\"ok2\" command=\"/bin/true\"/>\n"
                       "    <command name=\"held1\" command=\"/bin/true\"/>\n"));
    struct eng_tick_stats s;
    CHECK_OK(tick(&w, "2026-12-01T07:00:00Z", &s));
    CHECK_INT(s.checks_run, 4);
    CHECK_INT(s.checks_held, 1);
    CHECK_INT(s.errors, 0);
    CHECK_INT(s.alerts_opened, 2);
    CHECK_INT(count(&w, "SELECT count(*) FROM alerts WHERE check_name IN ('bad', 'broken') "
                        "AND resolved IS NULL"),
              2);
    CHECK_INT(count(&w, "SELECT count(*) FROM alerts WHERE check_name NOT IN "
                        "('bad', 'broken')"),
              0);
    /* Both told to ops in one message, as two at once always were. */
    CHECK_INT(count(&w, "SELECT count(*) FROM outbox WHERE kind = 'digest'"), 1);
    char *st = last_status(&w, "ok1");
    CHECK_STR(st, "Healthy");
    ab_free(st);
    st = last_status(&w, "ok2");
    CHECK_STR(st, "Healthy");
    ab_free(st);
    st = last_status(&w, "bad");
    CHECK(st && strcmp(st, "Healthy") != 0 && *st);
    ab_free(st);
    st = last_status(&w, "broken");
    CHECK_STR(st, "Offline");
    ab_free(st);
    /* Every run complete, every claim done, no run for the held one. */
    CHECK_INT(count(&w, "SELECT count(*) FROM runs WHERE status = 'Pending'"), 0);
    CHECK_INT(count(&w, "SELECT count(*) FROM runs WHERE check_name = 'held1'"), 0);
    CHECK_INT(count(&w, "SELECT count(*) FROM claims WHERE kind = 'check' AND done = 1"), 4);
    CHECK_INT(count(&w, "SELECT count(*) FROM claims WHERE kind = 'check' AND done = 0"), 0);
    CHECK_INT(count(&w, "SELECT count(*) FROM check_schedule WHERE last_fire IS NOT NULL "
                        "AND check_name IN ('ok1', 'bad', 'broken', 'ok2')"),
              4);
    /* The same tick again: nothing is due twice. */
    CHECK_OK(tick(&w, "2026-12-01T07:00:30Z", &s));
    CHECK_INT(s.checks_run, 0);
    /* The next: the same again, the alerts kept, not reopened. */
    CHECK_OK(tick(&w, "2026-12-01T07:01:00Z", &s));
    CHECK_INT(s.checks_run, 4);
    CHECK_INT(s.alerts_opened, 0);
    CHECK_INT(count(&w, "SELECT count(*) FROM alerts"), 2);
    world_free(&w);
}

TEST(more_checks_than_a_group_all_run_once_with_their_verdicts)
{
    /* 150 checks: three groups, the failing ones spread across them. */
    ab_buf b;
    ab_buf_init(&b, 1 << 20);
    for (int i = 0; i < 150; i++)
        CHECK_OK(ab_buf_printf(&b, "    <command name=\"c%03d\" command=\"%s\"/>\n", i,
                               i % 50 == 7 ? "/bin/false" : "/bin/true"));
    struct world w;
    CHECK_OK(world_new(&w, "many", ab_buf_str(&b)));
    ab_buf_free(&b);
    struct eng_tick_stats s;
    CHECK_OK(tick(&w, "2026-12-01T07:00:00Z", &s));
    CHECK_INT(s.checks_run, 150);
    CHECK_INT(s.errors, 0);
    CHECK_INT(s.alerts_opened, 3);
    CHECK_INT(count(&w, "SELECT count(*) FROM runs WHERE status = 'Complete'"), 150);
    CHECK_INT(count(&w, "SELECT count(*) FROM claims WHERE kind = 'check' AND done = 1"),
              150);
    CHECK_INT(count(&w, "SELECT count(*) FROM alerts WHERE check_name IN "
                        "('c007', 'c057', 'c107')"),
              3);
    CHECK_OK(tick(&w, "2026-12-01T07:01:00Z", &s));
    CHECK_INT(s.checks_run, 150);
    CHECK_INT(count(&w, "SELECT count(*) FROM runs"), 300);
    world_free(&w);
}

TEST(cached_runs_in_a_group_are_counted_and_stored_as_cached)
{
    struct world w;
    CHECK_OK(world_new(&w, "cached",
                       "    <command name=\"a\" command=\"/bin/true\" cache=\"5m\"/>\n"
                       "    <command name=\"b\" command=\"/bin/true\"/>\n"));
    struct eng_tick_stats s;
    CHECK_OK(tick(&w, "2026-12-01T07:00:00Z", &s));
    CHECK_INT(s.checks_run, 2);
    CHECK_INT(s.checks_cached, 0);
    CHECK_OK(tick(&w, "2026-12-01T07:01:00Z", &s));
    CHECK_INT(s.checks_run, 1);
    CHECK_INT(s.checks_cached, 1);
    CHECK_INT(count(&w, "SELECT count(*) FROM runs WHERE check_name = 'a' "
                        "AND trigger = 'cache' AND status = 'Complete'"),
              1);
    world_free(&w);
}
