/*
 * test_engine_pingrun.c - ping runs paired by a run id (Healthchecks'
 * ?rid=) with explicit times: two overlapping runs of one job are kept
 * apart, each finish says how long its own run took, a run whose finish
 * does not come within grace makes the check Failing although the other
 * run finished, a late finish moves it on, and a rid that is not a UUID
 * is refused with a message saying what is wanted.
 */
#include <stdio.h>
#include <string.h>

#include "common/ab_mem.h"
#include "config/cfg.h"
#include "engine/eng.h"
#include "store/store.h"
#include "store/store_alerts.h"
#include "store/store_runs.h"
#include "tests/unit/harness.h"
#include "test_engine_util.h"

#define RUN_A "aaaaaaaa-1111-4111-8111-111111111111"
#define RUN_B "BBBBBBBB-2222-4222-8222-222222222222"

static int ping(eng *e, enum store_ping_kind kind, const char *rid, const char *iso)
{
    ab_errmsg em = {{0}};
    if (eng_ping_rid(e, "job", kind, 0, "http", NULL, rid, T(iso), &em) != AB_OK) {
        printf("ping %s: %s\n", iso, em.text);
        return -1;
    }
    return 0;
}

/* The message of the check's newest run ("" if none), into buf. */
static const char *last_message(store *st, char *buf, size_t len)
{
    struct store_run *r = NULL;
    buf[0] = '\0';
    if (store_run_last(st, "job", &r, NULL) == AB_OK && r->nresults && r->results[0].message)
        snprintf(buf, len, "%s", r->results[0].message);
    store_run_free(r);
    return buf;
}

static int open_alert(store *st)
{
    struct store_alert *a = NULL;
    int yes = store_alert_find_open(st, "job", "", &a, NULL) == AB_OK && a;
    store_alert_free(a);
    return yes;
}

TEST(overlapping_runs_are_kept_apart_and_a_hung_one_fails)
{
    char dir[600], xml[2048], msg[600];
    snprintf(dir, sizeof dir, "%s", t_tmpdir());
    snprintf(xml, sizeof xml,
             "<ackbeat name=\"r\" timezone=\"UTC\">\n"
             "  <state path=\"%s/runs.db\"/>\n"
             "  <mail from=\"ackbeat@example.test\" transport=\"maildir:%s/md\"/>\n"
             "  <recipients><person name=\"ops\" email=\"ops@example.test\"/></recipients>\n"
             "  <alerting notify=\"ops\"/>\n"
             "  <checks><ping name=\"job\" period=\"1d\" grace=\"1h\"/></checks>\n"
             "</ackbeat>\n",
             dir, dir);
    cfg *c = NULL;
    store *st = NULL;
    eng *e = NULL;
    CHECK(te_open(dir, xml, &c, &st, &e) == 0);
    ab_errmsg em = {{0}};
    CHECK_OK(eng_tick(e, T("2026-03-02T09:00:00Z"), NULL, &em));
    /* A starts, B starts, B finishes: B's finish is B's five minutes. */
    CHECK(ping(e, STORE_PING_START, RUN_A, "2026-03-02T10:00:00Z") == 0);
    CHECK(ping(e, STORE_PING_START, RUN_B, "2026-03-02T10:05:00Z") == 0);
    CHECK(ping(e, STORE_PING_SUCCESS, RUN_B, "2026-03-02T10:10:00Z") == 0);
    CHECK_CONTAINS(last_message(st, msg, sizeof msg), "run bbbbbbbb took 5 minutes");
    CHECK_OK(eng_tick(e, T("2026-03-02T10:59:00Z"), NULL, &em));
    CHECK(!open_alert(st));
    /* A has no finish an hour on: it hung, although B finished after it
     * started (the newest start is older than the newest finish). */
    CHECK_OK(eng_tick(e, T("2026-03-02T11:01:00Z"), NULL, &em));
    CHECK(open_alert(st));
    CHECK_STR(last_message(st, msg, sizeof msg),
              "run aaaaaaaa started at 2026-03-02T10:00:00Z but did not finish within 1h");
    /* A's own finish, late: its duration, and the check is Healthy again. */
    CHECK(ping(e, STORE_PING_SUCCESS, RUN_A, "2026-03-02T11:30:00Z") == 0);
    CHECK_CONTAINS(last_message(st, msg, sizeof msg), "run aaaaaaaa took 1 hour 30 minutes");
    CHECK_OK(eng_tick(e, T("2026-03-02T11:31:00Z"), NULL, &em));
    CHECK(!open_alert(st));
    /* A finish nobody started: recorded, said so. */
    CHECK(ping(e, STORE_PING_FAIL, "cccccccc-3333-4333-8333-333333333333",
               "2026-03-02T12:00:00Z") == 0);
    CHECK_CONTAINS(last_message(st, msg, sizeof msg), "run cccccccc finished (no start seen)");
    /* Not a UUID: refused, nothing recorded. */
    CHECK(eng_ping_rid(e, "job", STORE_PING_START, 0, "http", NULL, "run-7",
                       T("2026-03-02T12:01:00Z"), &em) == AB_EINVAL);
    CHECK_CONTAINS(em.text, "rid=\"run-7\" is not a run id: give a UUID");
    CHECK(!eng_rid_valid("aaaaaaaa-1111-4111-8111-11111111111"));
    CHECK(!eng_rid_valid("aaaaaaaa-1111-4111-8111-11111111111g"));
    CHECK(!eng_rid_valid("aaaaaaaa11111-4111-8111-111111111111"));
    CHECK(eng_rid_valid(RUN_B));
    eng_free(e);
    store_close(st);
    cfg_free(c);
}
