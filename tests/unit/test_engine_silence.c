/*
 * test_engine_silence.c - silences and pauses with explicit times: a
 * silence set ahead of time (glob, item, tag) lets the check run and
 * record while its notices are dropped, only inside its window; expired
 * early it stops; a paused check does not run or alert until its end or
 * until resumed.
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
#include "store/store_runs.h"
#include "store/store_silences.h"
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
             "  <checks><command name=\"job\" command=\"/bin/false\" tags=\"finance nightly\"/>"
             "<command name=\"other\" command=\"/bin/false\"/></checks>\n"
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

#define ALERTING "<alerting notify=\"ops\" repeat=\"1h\"/>"

static int runs_of(struct world *w, const char *check)
{
    struct store_run *r = NULL;
    if (store_run_last(w->st, check, &r, NULL) != AB_OK)
        return 0;
    store_run_free(r);
    return 1;
}

/* Mail whose subject names check.  The silence tests pause "other":
 * two notices at one tick would be one digest email. */
static int count_mail(struct world *w, const char *check)
{
    struct store_outbox_entry *v = NULL;
    size_t n = 0;
    int c = 0;
    if (store_outbox_list(w->st, 1, 0, &v, &n, NULL) != AB_OK)
        return -1;
    for (size_t i = 0; i < n; i++)
        c += v[i].subject && strstr(v[i].subject, check) != NULL;
    store_outbox_list_free(v, n);
    return c;
}

TEST(a_silence_set_ahead_drops_notices_only_in_its_window)
{
    struct world w;
    CHECK(world_new(&w, "sil", ALERTING) == 0);
    CHECK_OK(store_pause_set(w.st, "other", AB_TIME_NONE, "t", NULL, 0, NULL));
    struct store_silence s = {.starts = T("2026-03-02T09:00:00Z"),
                              .ends = T("2026-03-02T12:00:00Z"),
                              .created = T("2026-03-01T08:00:00Z"),
                              .expired = AB_TIME_NONE};
    ab_errmsg em = {{0}};
    CHECK_OK(eng_silence_parse("tag=finance", &s, &em));
    CHECK_OK(eng_silence_parse("check=jo*", &s, &em));
    CHECK(eng_silence_parse("check=x", &s, &em) == AB_EINVAL);
    CHECK(eng_silence_parse("colour=red", &s, &em) == AB_EINVAL);
    s.created_by = "alice";
    int64_t id = 0;
    CHECK_OK(store_silence_add(w.st, &s, &id, &em));
    s.created_by = NULL;
    char what[128];
    eng_silence_describe(&s, what, sizeof what);
    CHECK_STR(what, "check=jo* tag=finance");
    const struct cfg_check *job = cfg_check_find(w.c, "job");
    CHECK(!eng_silenced(w.st, job, "", T("2026-03-02T08:59:59Z")));
    CHECK(eng_silenced(w.st, job, "", T("2026-03-02T09:00:00Z")) == id);
    CHECK(!eng_silenced(w.st, cfg_check_find(w.c, "other"), "", T("2026-03-02T10:00:00Z")));
    ab_free(s.check_glob);
    ab_free(s.tag);
    /* Inside the window: job runs and records, alerts, and nobody is told. */
    CHECK(tick(&w, "2026-03-02T10:00:00Z") == 0);
    CHECK(runs_of(&w, "job"));
    struct store_alert *a = NULL;
    CHECK_OK(store_alert_find_open(w.st, "job", "", &a, NULL));
    store_alert_free(a);
    CHECK_INT(count_mail(&w, ": job "), 0);
    CHECK(!runs_of(&w, "other"));
    CHECK(tick(&w, "2026-03-02T11:30:00Z") == 0);
    CHECK_INT(count_mail(&w, ": job "), 0);
    /* After it: the next repeat goes out. */
    CHECK(tick(&w, "2026-03-02T12:30:00Z") == 0);
    CHECK_INT(count_mail(&w, ": job "), 1);
    world_free(&w);
}

TEST(an_expired_silence_stops_early)
{
    struct world w;
    CHECK(world_new(&w, "exp", ALERTING) == 0);
    CHECK_OK(store_pause_set(w.st, "other", AB_TIME_NONE, "t", NULL, 0, NULL));
    struct store_silence s = {.starts = T("2026-03-02T09:00:00Z"),
                              .ends = T("2026-04-02T09:00:00Z"),
                              .created = T("2026-03-02T09:00:00Z"),
                              .expired = AB_TIME_NONE, .item = NULL};
    s.created_by = "alice";
    int64_t id = 0;
    CHECK_OK(store_silence_add(w.st, &s, &id, NULL));
    CHECK(tick(&w, "2026-03-02T10:00:00Z") == 0);
    CHECK_INT(count_mail(&w, ": job "), 0);
    CHECK_OK(store_silence_expire(w.st, id, T("2026-03-02T10:30:00Z"), NULL));
    CHECK(store_silence_expire(w.st, id, T("2026-03-02T10:31:00Z"), NULL) == AB_ENOTFOUND);
    CHECK(tick(&w, "2026-03-02T11:30:00Z") == 0);
    CHECK_INT(count_mail(&w, ": job "), 1);
    struct store_silence *v = NULL;
    size_t n = 0;
    CHECK_OK(store_silence_list(w.st, 0, T("2026-03-02T11:30:00Z"), &v, &n, NULL));
    CHECK_INT(n, 0);
    store_silences_free(v, n);
    CHECK_OK(store_silence_list(w.st, 1, T("2026-03-02T11:30:00Z"), &v, &n, NULL));
    CHECK_INT(n, 1);
    CHECK(v[0].expired == T("2026-03-02T10:30:00Z"));
    store_silences_free(v, n);
    world_free(&w);
}

TEST(a_paused_check_does_not_run_or_alert_until_its_end)
{
    struct world w;
    CHECK(world_new(&w, "pause", ALERTING) == 0);
    CHECK_OK(store_pause_set(w.st, "other", T("2026-03-02T12:00:00Z"), "bob", "maintenance",
                             T("2026-03-02T08:00:00Z"), NULL));
    CHECK_OK(store_pause_set(w.st, "job", AB_TIME_NONE, "bob", NULL, T("2026-03-02T08:00:00Z"),
                             NULL));
    CHECK(tick(&w, "2026-03-02T10:00:00Z") == 0);
    CHECK(!runs_of(&w, "other"));
    CHECK(!runs_of(&w, "job"));
    CHECK_INT(count_mail(&w, ": other "), 0);
    ab_time until = 0;
    CHECK(eng_paused(w.st, "other", T("2026-03-02T10:00:00Z"), &until));
    CHECK(until == T("2026-03-02T12:00:00Z"));
    /* The pause ends by itself; "job" is paused until resumed. */
    CHECK(tick(&w, "2026-03-02T12:00:00Z") == 0);
    CHECK(runs_of(&w, "other"));
    CHECK_INT(count_mail(&w, ": other "), 1);
    CHECK(!runs_of(&w, "job"));
    CHECK_OK(store_pause_clear(w.st, "job", NULL));
    CHECK(store_pause_clear(w.st, "job", NULL) == AB_ENOTFOUND);
    CHECK(tick(&w, "2026-03-02T12:01:00Z") == 0);
    CHECK(runs_of(&w, "job"));
    world_free(&w);
}
