/*
 * test_engine_live.c - the live read model (engine/eng_live*.c): it shows
 * a write made through its own engine once told (eng_live_touch), a write
 * made through another store handle (another engine, as the daemon's loop
 * or the CLI) without being told, and each check as eng_view_check shows
 * it.
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

static cfg *load(const char *name)
{
    char db[600], path[600], xml[4096];
    snprintf(db, sizeof db, "%s/%s.db", t_tmpdir(), name);
    remove(db);
    t_state_fresh(db); /* PostgreSQL: an empty schema, as removing the file */
    snprintf(xml, sizeof xml,
             "<ackbeat name=\"live\" timezone=\"UTC\" tick=\"1m\">\n"
             "  %s\n"
             "  <mail from=\"ackbeat@example.test\" transport=\"maildir:%s/md-%s\"/>\n"
             "  <recipients><person name=\"ops\" email=\"ops@example.test\"/></recipients>\n"
             "  <alerting notify=\"ops\" repeat=\"1d\"/>\n"
             "  <checks><command name=\"bad\" command=\"/bin/false\"/>"
             "<command name=\"good\" command=\"/bin/true\"/>"
             "<ping name=\"job\" period=\"1h\"/></checks>\n"
             "</ackbeat>\n",
             t_state_tag(db), t_tmpdir(), name);
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

/* Does the model's entry of k say what eng_view_check says at now? */
static int same_as_view(eng *e, const struct eng_live_view *v, const char *name, ab_time now)
{
    const struct eng_live_check *x = eng_live_find(v, name);
    if (!x)
        return 0;
    struct eng_check_view cv;
    eng_view_check(e, x->k, now, &cv);
    int same = cv.status == x->status && !cv.last == !x->last &&
               (!cv.last || cv.last->id == x->last->id) && !cv.alert == !x->alert &&
               (!cv.alert || cv.alert->id == x->alert->id) && cv.has_sched == x->has_sched &&
               cv.next_run == x->next_run &&
               cv.silenced_by == eng_live_silenced(v, x->k, now) &&
               cv.paused == eng_live_paused(v, name, now, NULL);
    if (!same)
        printf("    %s: view status %d, live %d\n", name, cv.status, x->status);
    eng_view_check_free(&cv);
    return same;
}

TEST(live_model_follows_its_own_writes_and_outside_ones)
{
    cfg *c = load("live");
    CHECK(c);
    eng *e = NULL, *other = NULL;
    ab_errmsg em = {{0}};
    CHECK_OK(eng_open(c, templates(), 0, &e, &em));
    CHECK_OK(eng_open(c, templates(), 0, &other, &em));
    eng_set_send(e, 0);
    eng_set_send(other, 0);
    eng_live *l = eng_live_new(e, NULL, NULL);
    CHECK(l);
    ab_time now = T("2026-12-01T08:00:00Z");
    const struct eng_live_view *v = eng_live_get(l, now);
    CHECK_INT(v->nchecks, 3);
    CHECK_INT(eng_live_find(v, "job")->status, -1);
    CHECK(!eng_live_find(v, "job")->last);
    uint64_t gen = v->gen;

    /* Our own write, told: the next answer shows it. */
    eng_live_touch(l, "job");
    CHECK_OK(eng_ping_atomic(e, "job", STORE_PING_SUCCESS, 0, "http", NULL, now, &em));
    v = eng_live_get(l, now);
    CHECK(v->gen != gen);
    CHECK_INT(eng_live_find(v, "job")->status, AB_HEALTHY);
    CHECK(eng_live_find(v, "job")->last != NULL);
    CHECK(same_as_view(e, v, "job", now));
    gen = v->gen;

    /* Nothing changed: the same model, not read again.  (On PostgreSQL
     * the change marker is the cluster's next transaction id, which any
     * write anywhere on the server moves - the other test binaries t_40
     * runs beside this one - so there it may be read again.) */
    v = eng_live_get(l, now);
    CHECK(v->gen == gen || t_on_pg());

    /* Another connection's tick, not told: the change marker shows it. */
    struct eng_tick_stats s;
    CHECK_OK(eng_tick(other, now + 60, &s, &em));
    CHECK_INT(s.alerts_opened, 1);
    v = eng_live_get(l, now + 61);
    CHECK(v->gen != gen);
    CHECK_INT(eng_live_find(v, "bad")->status, AB_DEGRADED); /* exit 1 */
    CHECK(eng_live_find(v, "bad")->alert != NULL);
    CHECK_INT(eng_live_find(v, "good")->status, AB_HEALTHY);
    struct store_webq_alert_counts ac;
    eng_live_alert_counts(v, now + 61, &ac);
    CHECK_INT(ac.active, 1);
    CHECK_INT(eng_live_worst(v), AB_DEGRADED);
    CHECK(same_as_view(e, v, "bad", now + 61));
    CHECK(same_as_view(e, v, "good", now + 61));
    CHECK(same_as_view(e, v, "job", now + 61));

    /* A pause made elsewhere; then one that ends: derived at the asker's now. */
    CHECK_OK(eng_pause(other, "good", now + 3600, "kim", NULL, now + 61, &em));
    v = eng_live_get(l, now + 62);
    CHECK(eng_live_paused(v, "good", now + 62, NULL));
    CHECK(!eng_live_paused(v, "good", now + 3600, NULL));
    CHECK(same_as_view(e, v, "good", now + 62));
    const struct store_metric_counts *mc = eng_live_counts(l);
    CHECK(mc != NULL);
    CHECK(!eng_live_find(v, "nope"));

    eng_live_free(l);
    eng_free(other);
    eng_free(e);
    cfg_free(c);
}
