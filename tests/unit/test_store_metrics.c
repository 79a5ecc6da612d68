/*
 * test_store_metrics.c - the totals behind /metrics' counters never go
 * down: retention deletes old runs and pings, and what it deletes is
 * folded into the totals in the same transaction.
 */
#include "harness.h"

#include <stdio.h>
#include <string.h>

#include "store/store.h"
#include "store/store_metrics.h"
#include "store/store_pings.h"
#include "store/store_retention.h"
#include "store/store_runs.h"
#include "test_pg_util.h"

static int64_t find(const struct store_count *v, size_t n, const char *name, const char *sub)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i].name, name) == 0 &&
            (!sub || (v[i].sub && strcmp(v[i].sub, sub) == 0)))
            return v[i].n;
    return -1;
}

TEST(counts_survive_retention)
{
    char path[512];
    snprintf(path, sizeof path, "%s/metrics.db", t_tmpdir());
    store *st = NULL;
    ab_errmsg em = {{0}};
    CHECK_OK(store_open(t_state(path), &st, &em));
    const ab_time t0 = 1796112000; /* 2026-12-01T08:00:00Z */
    struct ab_result ok = {.item = "", .status = AB_HEALTHY};
    for (int i = 0; i < 5; i++) {
        int64_t id;
        CHECK_OK(store_run_begin(st, "disk", "Information", "schedule", t0 + i * 3600, &id, &em));
        CHECK_OK(store_run_complete(st, id, 5, 0, &ok, 1, NULL, &em));
        CHECK_OK(store_ping_add(st, "etl", t0 + i * 3600, STORE_PING_SUCCESS, 0, "http", NULL,
                                &em));
    }
    struct store_metric_counts c;
    CHECK_OK(store_metric_counts(st, &c, &em));
    CHECK_INT(find(c.runs, c.nruns, "disk", NULL), 5);
    CHECK_INT(find(c.pings, c.npings, "etl", "success"), 5);
    store_metric_counts_free(&c);

    /* Purge all but the newest: the totals stay, twice over. */
    for (int round = 0; round < 2; round++) {
        int64_t deleted = 0;
        CHECK_OK(store_purge_history(st, t0 + 10 * 3600, &deleted, &em));
        CHECK_INT(deleted, round == 0 ? 4 : 0);
        CHECK_OK(store_metric_counts(st, &c, &em));
        CHECK_INT(find(c.runs, c.nruns, "disk", NULL), 5);
        CHECK_INT(find(c.pings, c.npings, "etl", "success"), 5);
        store_metric_counts_free(&c);
    }
    /* And new runs count on from there. */
    int64_t id;
    CHECK_OK(store_run_begin(st, "disk", "Information", "schedule", t0 + 20 * 3600, &id, &em));
    CHECK_OK(store_run_complete(st, id, 5, 0, &ok, 1, NULL, &em));
    CHECK_OK(store_metric_counts(st, &c, &em));
    CHECK_INT(find(c.runs, c.nruns, "disk", NULL), 6);
    store_metric_counts_free(&c);
    store_close(st);
}
