/*
 * test_engine_cronping.c - ping checks on a cron schedule in a zone
 * (issue 18), as Healthchecks' cron checks: the report is expected at
 * the first fire time after the last one and is late after that plus
 * grace, across a DST change; a ping check needs period= or schedule=.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ab_buf.h"
#include "common/ab_mem.h"
#include "config/cfg.h"
#include "engine/eng.h"
#include "store/store.h"
#include "store/store_alerts.h"
#include "store/store_checkstate.h"
#include "store/store_pings.h"
#include "tests/unit/harness.h"
#include "test_engine_util.h"

struct world {
    cfg *c;
    store *st;
    eng *e;
};

static int world_new(struct world *w, const char *name, const char *alerting)
{
    memset(w, 0, sizeof *w);
    char dir[512], path[600], xml[4096], db[600];
    snprintf(dir, sizeof dir, "%s", t_tmpdir());
    snprintf(db, sizeof db, "%s/%s.db", dir, name);
    remove(db);
    snprintf(xml, sizeof xml,
             "<ackbeat name=\"cron\" timezone=\"Europe/Berlin\">\n"
             "  <state path=\"%s\"/>\n"
             "  <mail from=\"ackbeat@example.test\" transport=\"maildir:%s/md-%s\"/>\n"
             "  <recipients>\n"
             "    <person name=\"ops\" email=\"ops@example.test\"/>\n"

             "  </recipients>\n"
             "  <alerting notify=\"ops\"/>\n"
             "  <schedule name=\"nightly\" cron=\"0 2 * * *\" timezone=\"Europe/Berlin\"/>\n"
             "  %s\n"
             "</ackbeat>\n",
             db, dir, name, alerting);
    snprintf(path, sizeof path, "%s/%s.xml", dir, name);
    return te_open_path(path, xml, &w->c, &w->st, &w->e);
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
    struct eng_tick_stats s;
    if (eng_tick(w->e, T(iso), &s, &em) != AB_OK) {
        printf("tick %s: %s\n", iso, em.text);
        return -1;
    }
    return 0;
}


static int status_of(struct world *w, const char *check)
{
    return store_check_worst(w->st, check);
}

static int ping(struct world *w, const char *check, const char *iso)
{
    ab_errmsg em = {{0}};
    if (eng_ping(w->e, check, STORE_PING_SUCCESS, 0, "http", NULL, T(iso), &em) != AB_OK) {
        printf("ping: %s\n", em.text);
        return -1;
    }
    return 0;
}

TEST(a_cron_ping_is_late_at_its_fire_time_plus_grace)
{
    struct world w;
    CHECK(world_new(&w, "cron",
                    "<checks><ping name=\"backup\" schedule=\"nightly\" grace=\"1h\"/></checks>") == 0);
    /* 02:00 Berlin is 01:00 UTC in winter. */
    CHECK(ping(&w, "backup", "2026-12-02T01:10:00Z") == 0);
    CHECK_INT(status_of(&w, "backup"), AB_HEALTHY);
    CHECK(tick(&w, "2026-12-03T01:59:00Z") == 0);
    CHECK_INT(status_of(&w, "backup"), AB_HEALTHY);
    CHECK(tick(&w, "2026-12-03T02:01:00Z") == 0);
    CHECK_INT(status_of(&w, "backup"), AB_OFFLINE);
    struct store_alert *a = NULL;
    CHECK_OK(store_alert_find_open(w.st, "backup", "", &a, NULL));
    CHECK_CONTAINS(a->message, "expected at Thursday 3 December 2026, 02:00 CET by its schedule");
    store_alert_free(a);
    /* The late run reports: Healthy, until the next night's 02:00 + 1h. */
    CHECK(ping(&w, "backup", "2026-12-03T02:30:00Z") == 0);
    CHECK_INT(status_of(&w, "backup"), AB_HEALTHY);
    CHECK(tick(&w, "2026-12-04T01:30:00Z") == 0);
    CHECK_INT(status_of(&w, "backup"), AB_HEALTHY);
    world_free(&w);
}

TEST(a_cron_ping_follows_its_zone_across_dst)
{
    struct world w;
    CHECK(world_new(&w, "dst",
                    "<checks><ping name=\"backup\" schedule=\"nightly\" grace=\"30m\"/></checks>") == 0);
    /* Berlin goes to summer time on 29 March 2026: 02:00 that night does
     * not exist, and on the 30th 02:00 CEST is 00:00 UTC. */
    CHECK(ping(&w, "backup", "2026-03-29T03:00:00Z") == 0);
    CHECK(tick(&w, "2026-03-30T00:29:00Z") == 0);
    CHECK_INT(status_of(&w, "backup"), AB_HEALTHY);
    CHECK(tick(&w, "2026-03-30T00:31:00Z") == 0);
    CHECK_INT(status_of(&w, "backup"), AB_OFFLINE);
    world_free(&w);
}

TEST(a_ping_needs_a_period_or_a_schedule)
{
    struct world w;
    CHECK(world_new(&w, "none", "<checks><ping name=\"backup\" grace=\"1h\"/></checks>") != 0);
    world_free(&w);
    CHECK(world_new(&w, "period", "<checks><ping name=\"backup\" period=\"1d\"/></checks>") == 0);
    world_free(&w);
}
