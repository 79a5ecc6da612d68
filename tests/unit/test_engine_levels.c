/*
 * test_engine_levels.c - escalation levels over days with explicit
 * times: <alerting notify="ops" repeat="1d"><level after="2h"
 * notify="boss"/><level after="1d" notify="director"/></alerting>.  The
 * climb adds each level's people (and channels) to everyone told before,
 * says its level and who was told before, jumps to the highest level
 * due, and stops for good once the alert is dismissed or snoozed.
 * escalate-after/escalate-to remain the shorthand for one level.
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
#include "store/store_outbox.h"
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
             "<ackbeat name=\"levels\" timezone=\"UTC\">\n"
             "  <state path=\"%s\"/>\n"
             "  <mail from=\"ackbeat@example.test\" transport=\"maildir:%s/md-%s\"/>\n"
             "  <recipients>\n"
             "    <person name=\"ops\" email=\"ops@example.test\"/>\n"
             "    <person name=\"boss\" email=\"boss@example.test\"/>\n"
             "    <person name=\"director\" email=\"director@example.test\"/>\n"
             "  </recipients>\n"
             "  %s\n"
             "  <checks><command name=\"job\" command=\"/bin/false\"/></checks>\n"
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

/* The mail of kind sent so far, as "rcpt,rcpt|rcpt" per message, and the
 * body of the last one in *last (caller frees). */
static void mails(struct world *w, const char *kind, char *buf, size_t len, char **last)
{
    struct store_outbox_entry *v = NULL;
    size_t n = 0, used = 0;
    buf[0] = '\0';
    if (last)
        *last = NULL;
    if (store_outbox_list(w->st, 1, 0, &v, &n, NULL) != AB_OK)
        return;
    for (size_t i = 0; i < n; i++) {
        if (!v[i].kind || strcmp(v[i].kind, kind))
            continue;
        for (size_t j = 0; j < v[i].nrcpts; j++)
            used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? " " : "",
                                     v[i].rcpts[j].rcpt);
        if (last) {
            struct store_outbox_msg *m = NULL;
            ab_free(*last);
            *last = NULL;
            if (store_outbox_get(w->st, v[i].id, &m, NULL) == AB_OK)
                *last = ab_strdup(m->body);
            store_outbox_msg_free(m);
        }
    }
    store_outbox_list_free(v, n);
}

#define LEVELS                                                                            \
    "<alerting notify=\"ops\" repeat=\"1d\">"                                            \
    "<level after=\"2h\" notify=\"boss\"/><level after=\"1d\" notify=\"director\"/>"     \
    "</alerting>"

TEST(levels_climb_over_days_adding_people)
{
    struct world w;
    CHECK(world_new(&w, "climb", LEVELS) == 0);
    char got[2048], *body = NULL;
    CHECK(tick(&w, "2026-03-02T08:00:00Z") == 0);
    mails(&w, "alert-opened", got, sizeof got, NULL);
    CHECK_STR(got, "ops@example.test");
    CHECK(tick(&w, "2026-03-02T09:59:00Z") == 0);
    mails(&w, "alert-escalated", got, sizeof got, NULL);
    CHECK_STR(got, "");
    /* Level 1 at 2h: ops and boss. */
    CHECK(tick(&w, "2026-03-02T10:00:00Z") == 0);
    mails(&w, "alert-escalated", got, sizeof got, &body);
    CHECK_STR(got, "boss@example.test ops@example.test");
    CHECK_CONTAINS(body, "escalated to level 1");
    CHECK_CONTAINS(body, "Told before: ops.");
    ab_free(body);
    CHECK(tick(&w, "2026-03-02T20:00:00Z") == 0);
    mails(&w, "alert-escalated", got, sizeof got, NULL);
    CHECK_STR(got, "boss@example.test ops@example.test");
    /* Level 2 at 1d: everyone, and it says who was told before. */
    CHECK(tick(&w, "2026-03-03T08:00:00Z") == 0);
    mails(&w, "alert-escalated", got, sizeof got, &body);
    CHECK_STR(got, "boss@example.test ops@example.test boss@example.test "
                   "director@example.test ops@example.test");
    CHECK_CONTAINS(body, "escalated to level 2");
    CHECK_CONTAINS(body, "Told before: ops, boss.");
    ab_free(body);
    /* The top: repeats go on at level 2, no more escalations. */
    CHECK(tick(&w, "2026-03-05T08:00:00Z") == 0);
    mails(&w, "alert-escalated", got, sizeof got, NULL);
    CHECK_STR(got, "boss@example.test ops@example.test boss@example.test "
                   "director@example.test ops@example.test");
    mails(&w, "alert-repeated", got, sizeof got, NULL);
    CHECK_CONTAINS(got, "director@example.test");
    world_free(&w);
}

TEST(a_late_tick_jumps_to_the_highest_level_due)
{
    struct world w;
    CHECK(world_new(&w, "jump", LEVELS) == 0);
    char got[2048], *body = NULL;
    CHECK(tick(&w, "2026-03-02T08:00:00Z") == 0);
    CHECK(tick(&w, "2026-03-04T08:00:00Z") == 0);
    mails(&w, "alert-escalated", got, sizeof got, &body);
    CHECK_STR(got, "boss@example.test director@example.test ops@example.test");
    CHECK_CONTAINS(body, "escalated to level 2");
    ab_free(body);
    world_free(&w);
}

TEST(a_snooze_or_dismissal_stops_the_climb)
{
    struct world w;
    CHECK(world_new(&w, "stop", LEVELS) == 0);
    char got[2048];
    CHECK(tick(&w, "2026-03-02T08:00:00Z") == 0);
    CHECK(tick(&w, "2026-03-02T10:00:00Z") == 0);
    struct store_alert *a = NULL;
    CHECK_OK(store_alert_find_open(w.st, "job", "", &a, NULL));
    ab_errmsg em = {{0}};
    /* Snoozed for 2h: it ends before level 2 is due, and the climb does
     * not resume: the repeat goes to level 1's people only. */
    CHECK_OK(eng_dismiss(w.e, a->id, "boss", "on it", T("2026-03-02T13:00:00Z"),
                         T("2026-03-02T11:00:00Z"), &em));
    store_alert_free(a);
    CHECK(tick(&w, "2026-03-02T14:00:00Z") == 0);
    CHECK(tick(&w, "2026-03-03T09:00:00Z") == 0);
    CHECK(tick(&w, "2026-03-04T09:00:00Z") == 0);
    mails(&w, "alert-escalated", got, sizeof got, NULL);
    CHECK_STR(got, "boss@example.test ops@example.test");
    mails(&w, "alert-repeated", got, sizeof got, NULL);
    CHECK(got[0] != '\0');
    CHECK(!strstr(got, "director@example.test"));
    world_free(&w);
}

TEST(escalate_after_is_the_shorthand_for_one_level)
{
    struct world w;
    CHECK(world_new(&w, "short",
                    "<alerting notify=\"ops\" escalate-after=\"2h\" escalate-to=\"boss\" "
                    "repeat=\"30d\"/>") == 0);
    char got[2048];
    CHECK(tick(&w, "2026-03-02T08:00:00Z") == 0);
    CHECK(tick(&w, "2026-03-02T10:00:00Z") == 0);
    CHECK(tick(&w, "2026-03-05T10:00:00Z") == 0);
    mails(&w, "alert-escalated", got, sizeof got, NULL);
    CHECK_STR(got, "boss@example.test ops@example.test");
    world_free(&w);
}

TEST(levels_config_errors)
{
    struct world w;
    CHECK(world_new(&w, "bad1",
                    "<alerting notify=\"ops\" escalate-after=\"1h\" escalate-to=\"boss\">"
                    "<level after=\"2h\" notify=\"boss\"/></alerting>") != 0);
    world_free(&w);
    CHECK(world_new(&w, "bad2",
                    "<alerting notify=\"ops\"><level after=\"1d\" notify=\"boss\"/>"
                    "<level after=\"2h\" notify=\"director\"/></alerting>") != 0);
    world_free(&w);
    CHECK(world_new(&w, "bad3",
                    "<alerting notify=\"ops\"><level after=\"1d\" notify=\"nobody\"/>"
                    "</alerting>") != 0);
    world_free(&w);
}
