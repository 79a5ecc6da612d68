/*
 * store_metrics.c - the totals behind /metrics' counters: completed runs and
 * pings per check, inbox messages per class, mail recipients sent and
 * failed.
 *
 * They are counted from the state database itself, so that every process
 * on it (the daemon, `ackbeat tick` from cron, the web server's own
 * connection) reports the same totals, and a restart does not reset them.
 * Retention deletes old runs, pings and sent mail; a Prometheus counter
 * must never go down, so what a purge deletes is first added to a
 * "count.*" row of meta (store_metric_fold_*, in the purge's own
 * transaction), and the totals here are the rows left plus those.
 */
#include "store/store_int.h"

#include <stdio.h>
#include <string.h>

#include "common/ab_mem.h"
#include "store/store_metrics.h"

static int count_row(store_db_stmt *s, void *elem)
{
    struct store_count *c = elem;
    const char *name = (const char *)store_db_column_text(s, 0);
    c->name = ab_strdup(name ? name : "");
    c->sub = store_db_column_is_null(s, 1) ? NULL : store_column_dup(s, 1);
    c->n = store_db_column_int64(s, 2);
    return c->name ? 0 : -1;
}

static void count_clear(void *elem)
{
    struct store_count *c = elem;
    ab_free(c->name);
    ab_free(c->sub);
}

static enum ab_err collect(store *st, const char *sql, struct store_count **out, size_t *n,
                           ab_errmsg *em, const char *what)
{
    store_db_stmt *s;
    enum ab_err e = store_prepare(st, sql, &s, em);
    if (e)
        return e;
    void *v = NULL;
    e = store_collect(st, s, sizeof **out, count_row, count_clear, &v, n, em, what);
    store_db_finalize(s);
    *out = v;
    return e;
}

enum ab_err store_metric_counts(store *st, struct store_metric_counts *out, ab_errmsg *em)
{
    memset(out, 0, sizeof *out);
    /* Each: live rows UNION ALL the folded totals of purged ones. */
    enum ab_err e = collect(
        st,
        "SELECT name, NULL, sum(n) FROM ("
        "  SELECT check_name AS name, count(*) AS n FROM runs WHERE status = 'Complete'"
        "  GROUP BY check_name"
        "  UNION ALL SELECT substr(key, 12), CAST(value AS BIGINT) FROM meta"
        "  WHERE key LIKE 'count.runs.%') AS c GROUP BY name ORDER BY name",
        &out->runs, &out->nruns, em, "run counts");
    if (!e)
        e = collect(st,
                    "SELECT name, kind, sum(n) FROM ("
                    "  SELECT check_name AS name, kind, count(*) AS n FROM pings"
                    "  GROUP BY check_name, kind"
                    "  UNION ALL SELECT substr(key, instr(substr(key, 13), '.') + 13),"
                    "    substr(key, 13, instr(substr(key, 13), '.') - 1),"
                    "    CAST(value AS BIGINT) FROM meta WHERE key LIKE 'count.pings.%') AS c"
                    " GROUP BY name, kind ORDER BY name, kind",
                    &out->pings, &out->npings, em, "ping counts");
    if (!e)
        e = collect(st,
                    "SELECT class, NULL, count(*) FROM inbox_messages GROUP BY class "
                    "ORDER BY class",
                    &out->inbox, &out->ninbox, em, "inbox counts");
    struct store_count *mail = NULL;
    size_t nmail = 0;
    if (!e)
        e = collect(st,
                    "SELECT status, NULL, sum(n) FROM ("
                    "  SELECT status, count(*) AS n FROM outbox_rcpts"
                    "  WHERE status IN ('sent', 'failed') GROUP BY status"
                    "  UNION ALL SELECT substr(key, 12), CAST(value AS BIGINT) FROM meta"
                    "  WHERE key IN ('count.mail.sent', 'count.mail.failed')) AS c"
                    " GROUP BY status",
                    &mail, &nmail, em, "mail counts");
    for (size_t i = 0; i < nmail; i++) {
        if (strcmp(mail[i].name, "sent") == 0)
            out->mail_sent = mail[i].n;
        else if (strcmp(mail[i].name, "failed") == 0)
            out->mail_failed = mail[i].n;
        count_clear(&mail[i]);
    }
    ab_free(mail);
    if (e)
        store_metric_counts_free(out);
    return e;
}

static void free_counts(struct store_count *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        count_clear(&v[i]);
    ab_free(v);
}

void store_metric_counts_free(struct store_metric_counts *c)
{
    if (!c)
        return;
    free_counts(c->runs, c->nruns);
    free_counts(c->pings, c->npings);
    free_counts(c->inbox, c->ninbox);
    memset(c, 0, sizeof *c);
}

/* Add the counts a SELECT of (key, n) yields to meta's count.* rows. */
static enum ab_err fold(store *st, const char *select_sql, ab_time before, ab_errmsg *em)
{
    static const char pre[] = "INSERT INTO meta (key, value) ";
    static const char post[] = " ON CONFLICT (key) DO UPDATE SET value = "
                               "CAST(meta.value AS BIGINT) + CAST(excluded.value AS BIGINT)";
    char sql[1024];
    if (snprintf(sql, sizeof sql, "%s%s%s", pre, select_sql, post) >= (int)sizeof sql)
        return ab_fail(em, AB_EINVAL, "metric fold: statement too long");
    store_db_stmt *s;
    enum ab_err e = store_prepare(st, sql, &s, em);
    if (e)
        return e;
    if (before != AB_TIME_NONE)
        store_bind_time(s, 1, before);
    if (store_step(st, s) != SDB_DONE)
        e = store_dberr(st, em, "metric fold");
    store_db_finalize(s);
    return e;
}

/* The WHERE clauses must be the purge's own (store/store_retention.c), so that
 * exactly what is deleted is folded.  "WHERE" before ON CONFLICT also
 * keeps SQLite's parser from reading ON as a join's. */
enum ab_err store_metric_fold_runs(store *st, ab_time before, ab_errmsg *em)
{
    return fold(st,
                "SELECT 'count.runs.' || check_name, count(*) FROM runs r WHERE "
                "r.started < ?1 AND r.status = 'Complete' AND r.id <> (SELECT max(id) "
                "FROM runs n WHERE n.check_name = r.check_name AND n.status = 'Complete') "
                "GROUP BY check_name",
                before, em);
}

enum ab_err store_metric_fold_pings(store *st, ab_time before, ab_errmsg *em)
{
    return fold(st,
                "SELECT 'count.pings.' || kind || '.' || check_name, count(*) FROM pings "
                "WHERE at < ?1 AND id NOT IN (SELECT max(id) FROM pings "
                "GROUP BY check_name, kind = 'start') GROUP BY check_name, kind",
                before, em);
}

enum ab_err store_metric_fold_mail(store *st, ab_time before, ab_errmsg *em)
{
    return fold(st,
                "SELECT 'count.mail.' || r.status, count(*) FROM outbox_rcpts r "
                "JOIN outbox o ON o.id = r.outbox_id WHERE o.status != 'queued' "
                "AND o.created < ?1 AND r.status IN ('sent', 'failed') GROUP BY r.status",
                before, em);
}
