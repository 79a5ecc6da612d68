/*
 * test_engine_retention.c - <state keep-mail=>: once a day the engine
 * forgets sent and failed channel deliveries older than keep-mail, as it
 * does the outbox's mail; a queued delivery, which may still be sent, and
 * a younger one stay, whatever their age.
 */
#include <stdio.h>
#include <string.h>

#include "common/ab_mem.h"
#include "config/cfg.h"
#include "engine/eng.h"
#include "store/store.h"
#include "store/store_deliveries.h"
#include "store/store_outbox.h"
#include "tests/unit/harness.h"
#include "test_engine_util.h"

static int64_t put(store *st, const char *txn, const char *created)
{
    int64_t id = 0;
    if (store_delivery_put(st, "hook", "alert-opened", "1", txn, "s", "{}", 2, T(created),
                           &id, NULL) != AB_OK)
        return -1;
    return id;
}

/* Is the delivery with this txn still stored? */
static int kept(store *st, const char *txn)
{
    struct store_delivery **v = NULL;
    size_t n = 0;
    int found = 0;
    if (store_delivery_list(st, 1, 0, &v, &n, NULL) != AB_OK)
        return -1;
    for (size_t i = 0; i < n; i++)
        found |= !strcmp(v[i]->txn, txn);
    store_deliveries_free(v, n);
    return found;
}

TEST(old_sent_and_failed_deliveries_are_purged_queued_ones_stay)
{
    char dir[600], xml[2048];
    snprintf(dir, sizeof dir, "%s", t_tmpdir());
    snprintf(xml, sizeof xml,
             "<ackbeat name=\"r\" timezone=\"UTC\">\n"
             "  <state path=\"%s/ret.db\" keep-mail=\"7d\"/>\n"
             "  <mail from=\"ackbeat@example.test\" transport=\"maildir:%s/md\"/>\n"
             "  <recipients><person name=\"ops\" email=\"ops@example.test\"/>\n"
             "    <webhook name=\"hook\" url=\"http://127.0.0.1:9/h\"/></recipients>\n"
             "  <alerting notify=\"ops\"/>\n"
             "  <checks><ping name=\"p\" period=\"1d\"/></checks>\n"
             "</ackbeat>\n",
             dir, dir);
    cfg *c = NULL;
    store *st = NULL;
    eng *e = NULL;
    CHECK(te_open(dir, xml, &c, &st, &e) == 0);
    eng_set_send(e, 0);
    int64_t sent = put(st, "old-sent", "2026-03-01T10:00:00Z");
    int64_t failed = put(st, "old-failed", "2026-03-01T10:00:00Z");
    CHECK(put(st, "old-queued", "2026-03-01T10:00:00Z") > 0);
    int64_t young = put(st, "young-sent", "2026-03-06T10:00:00Z");
    CHECK(sent > 0 && failed > 0 && young > 0);
    CHECK_OK(store_delivery_record(st, sent, STORE_OUTBOX_SENT, T("2026-03-01T10:00:01Z"),
                                   AB_TIME_NONE, NULL, NULL));
    CHECK_OK(store_delivery_record(st, failed, STORE_OUTBOX_FAILED,
                                   T("2026-03-01T10:00:01Z"), AB_TIME_NONE, "HTTP 404", NULL));
    CHECK_OK(store_delivery_record(st, young, STORE_OUTBOX_SENT, T("2026-03-06T10:00:01Z"),
                                   AB_TIME_NONE, NULL, NULL));
    ab_errmsg em = {{0}};
    /* Six days on: nothing is older than keep-mail yet. */
    CHECK_OK(eng_tick(e, T("2026-03-07T10:00:00Z"), NULL, &em));
    CHECK_INT(kept(st, "old-sent"), 1);
    CHECK_INT(kept(st, "old-failed"), 1);
    /* Nine days on, a day after the last purge: the old finished ones go. */
    CHECK_OK(eng_tick(e, T("2026-03-10T10:00:00Z"), NULL, &em));
    CHECK_INT(kept(st, "old-sent"), 0);
    CHECK_INT(kept(st, "old-failed"), 0);
    CHECK_INT(kept(st, "old-queued"), 1);
    CHECK_INT(kept(st, "young-sent"), 1);
    eng_free(e);
    store_close(st);
    cfg_free(c);
}
