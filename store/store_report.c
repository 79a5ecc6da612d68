/*
 * store_report.c - what the monthly report reads about one window of
 * time: the alerts that were open in it (the outages), each heartbeat's
 * answers per person asked, and the bounces that came back.
 *
 * Three plain queries over history the other files write; nothing here
 * writes.  Alerts under a name starting with '~' (the mail fallback's
 * own, the digest's bookkeeping) are not a check's outages.
 */
#include "store/store_int.h"

#include <string.h>

#include "common/ab_mem.h"
#include "store/store_report.h"

/* The three reads share their shape: one statement over the window
 * [from, to) as ?1 and ?2, every row collected into an array. */
static enum ab_err collect_window(store *st, const char *sql, ab_time from, ab_time to,
                                  size_t size, int (*row)(store_db_stmt *, void *),
                                  void (*clear)(void *), void **out, size_t *n,
                                  ab_errmsg *em, const char *what)
{
    store_db_stmt *s;
    enum ab_err e = store_prepare(st, sql, &s, em);
    if (e)
        return e;
    store_bind_time(s, 1, from);
    store_bind_time(s, 2, to);
    e = store_collect(st, s, size, row, clear, out, n, em, what);
    store_db_finalize(s);
    return e;
}

static void outage_clear(void *p)
{
    struct store_outage *o = p;
    ab_free(o->check);
    ab_free(o->item);
    ab_free(o->status);
}

void store_outages_free(struct store_outage *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        outage_clear(&v[i]);
    ab_free(v);
}

static int outage_row(store_db_stmt *s, void *p)
{
    struct store_outage *o = p;
    o->check = store_column_dup(s, 0);
    o->item = store_column_dup(s, 1);
    o->status = store_column_dup(s, 2);
    o->opened = store_column_time(s, 3);
    o->resolved = store_column_time(s, 4);
    return o->check && o->item && o->status ? 0 : -1;
}

enum ab_err store_report_outages(store *st, ab_time from, ab_time to,
                                 struct store_outage **out, size_t *n, ab_errmsg *em)
{
    void *v = NULL;
    enum ab_err e = collect_window(
        st, "SELECT check_name, item, status, opened, resolved FROM alerts "
            "WHERE opened < ?2 AND (resolved IS NULL OR resolved > ?1) "
            "AND substr(check_name, 1, 1) <> '~' ORDER BY check_name, opened, id",
        from, to, sizeof **out, outage_row, outage_clear, &v, n, em, "outages");
    *out = v;
    return e;
}

static void rate_clear(void *p)
{
    struct store_answer_rate *r = p;
    ab_free(r->check);
    ab_free(r->recipient);
}

void store_answer_rates_free(struct store_answer_rate *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        rate_clear(&v[i]);
    ab_free(v);
}

static int rate_row(store_db_stmt *s, void *p)
{
    struct store_answer_rate *r = p;
    r->check = store_column_dup(s, 0);
    r->recipient = store_column_dup(s, 1);
    r->asked = store_db_column_int64(s, 2);
    r->confirmed = store_db_column_int64(s, 3);
    r->bounced = store_db_column_int64(s, 4);
    return r->check && r->recipient ? 0 : -1;
}

enum ab_err store_report_answer_rates(store *st, ab_time from, ab_time to,
                                      struct store_answer_rate **out, size_t *n,
                                      ab_errmsg *em)
{
    void *v = NULL;
    enum ab_err e = collect_window(
        st, "SELECT c.check_name, MIN(t.recipient), count(*), "
            "  sum(CASE WHEN EXISTS (SELECT 1 FROM acks a WHERE a.token = t.token "
            "    AND a.verified = 1) THEN 1 ELSE 0 END), "
            "  sum(CASE WHEN t.bounced_at IS NOT NULL THEN 1 ELSE 0 END) "
            "FROM tokens t JOIN cycles c ON c.id = t.cycle_id "
            "WHERE c.opened >= ?1 AND c.opened < ?2 "
            "GROUP BY c.check_name, lower(t.recipient) "
            "ORDER BY c.check_name, lower(MIN(t.recipient))",
        from, to, sizeof **out, rate_row, rate_clear, &v, n, em, "answer rates");
    *out = v;
    return e;
}

static void bounce_clear(void *p)
{
    struct store_report_bounce *b = p;
    ab_free(b->recipient);
    ab_free(b->detail);
}

void store_report_bounces_free(struct store_report_bounce *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        bounce_clear(&v[i]);
    ab_free(v);
}

static int bounce_row(store_db_stmt *s, void *p)
{
    struct store_report_bounce *b = p;
    b->recipient = store_column_dup(s, 0);
    b->count = store_db_column_int64(s, 1);
    b->last = store_column_time(s, 2);
    b->detail = store_column_dup(s, 3);
    return b->recipient ? 0 : -1;
}

enum ab_err store_report_bounces(store *st, ab_time from, ab_time to,
                                 struct store_report_bounce **out, size_t *n,
                                 ab_errmsg *em)
{
    /* The newest detail says best why mail to them fails now. */
    void *v = NULL;
    enum ab_err e = collect_window(
        st, "SELECT g.r, g.n, g.last, "
            "  (SELECT u.bounce_detail FROM tokens u WHERE lower(u.recipient) = lower(g.r) "
            "     AND u.bounced_at >= ?1 AND u.bounced_at < ?2 "
            "     ORDER BY u.bounced_at DESC LIMIT 1) "
            "FROM (SELECT MIN(t.recipient) AS r, count(*) AS n, max(t.bounced_at) AS last "
            "  FROM tokens t WHERE t.bounced_at >= ?1 AND t.bounced_at < ?2 "
            "  GROUP BY lower(t.recipient)) AS g ORDER BY lower(g.r)",
        from, to, sizeof **out, bounce_row, bounce_clear, &v, n, em, "bounces");
    *out = v;
    return e;
}
