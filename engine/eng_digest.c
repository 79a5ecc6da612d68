/*
 * eng_digest.c - the daily digest (alerting/@digest-at): once a day, each
 * person who would be notified about an open alert gets one email listing
 * all of theirs.  Its time is a cron rule in the site's zone, due like a
 * check (bookkeeping under the name ENG_DIGEST_BOOK); the email is the one a
 * person's several notices become (eng_notify.c).
 */
#include "engine/eng_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/ab_mem.h"

/* Rows by address (case-insensitive), then alert. */
static int by_rcpt_alert(const void *pa, const void *pb)
{
    const struct store_notice *a = pa, *b = pb;
    int c = strcasecmp(a->rcpt, b->rcpt);
    if (c)
        return c;
    return (a->alert_id > b->alert_id) - (a->alert_id < b->alert_id);
}

/* A growing list of (person, alert) rows; the addresses are borrowed
 * from the config. */
struct digest_rows {
    struct store_notice *v;
    size_t n, cap;
};

static enum ab_err add_row(struct digest_rows *r, const char *rcpt, int64_t alert_id,
                           ab_errmsg *em)
{
    if (r->n == r->cap) {
        size_t nc = r->cap ? r->cap * 2 : 16;
        struct store_notice *p = ab_realloc(r->v, nc * sizeof *p);
        if (!p)
            return ab_fail(em, AB_ENOMEM, "out of memory");
        r->v = p;
        r->cap = nc;
    }
    struct store_notice *x = &r->v[r->n++];
    memset(x, 0, sizeof *x);
    x->rcpt = (char *)rcpt;
    x->alert_id = alert_id;
    x->message = "daily digest";
    return AB_OK;
}

/* Who hears about which alert: the same lists the notices use. */
static enum ab_err collect(eng *e, struct store_alert **v, size_t na,
                           struct digest_rows *rows, ab_errmsg *em)
{
    enum ab_err err = AB_OK;
    for (size_t i = 0; i < na && !err; i++) {
        const struct cfg_check *k = cfg_check_find(e->c, v[i]->check);
        if (!k || v[i]->dismissed_at != AB_TIME_NONE)
            continue;
        int upto = v[i]->level >= 1 ? v[i]->level : k->kind == CFG_HEARTBEAT ? 1 : 0;
        for (int pass = 0; pass <= upto && !err; pass++) {
            const struct cfg_addrs *l = eng_level_notify(e, k, pass);
            for (size_t j = 0; l && j < l->n && !err; j++)
                if (!cfg_channel_of(e->c, l->v[j])) /* a digest is an email */
                    err = add_row(rows, l->v[j], v[i]->id, em);
        }
    }
    return err;
}

/* One email per address, listing each alert once, and the bookkeeping
 * moved on, in one transaction. */
static enum ab_err send_all(eng *e, struct digest_rows *rows,
                            const struct store_sched_state *ss, ab_time now,
                            struct eng_tick_stats *stats, ab_errmsg *em)
{
    enum ab_err err = store_begin(e->st, em);
    if (err)
        return err;
    struct eng_bufs b;
    eng_bufs_init(&b);
    /* Sorted, each address's rows are one run, however many there are. */
    if (rows->n)
        qsort(rows->v, rows->n, sizeof *rows->v, by_rcpt_alert);
    struct store_notice *v = rows->v;
    for (size_t i = 0; i < rows->n && !err;) {
        size_t j = i, nm = 0;
        while (j < rows->n && !strcasecmp(v[j].rcpt, v[i].rcpt)) {
            if (!nm || v[i + nm - 1].alert_id != v[j].alert_id)
                v[i + nm++] = v[j];
            j++;
        }
        err = eng_notices_email(e, &v[i], nm, &b, "daily-digest", now, em);
        if (!err && stats)
            stats->notices_queued++;
        i = j;
    }
    eng_bufs_free(&b);
    if (!err)
        err = store_sched_put(e->st, ENG_DIGEST_BOOK, ss, em);
    if (err)
        store_rollback(e->st);
    else
        err = store_commit(e->st, em);
    return err;
}

enum ab_err eng_daily_digest(eng *e, ab_time now, struct eng_tick_stats *stats,
                             ab_errmsg *em)
{
    if (!e->digest)
        return AB_OK;
    struct store_sched_state ss;
    enum ab_err err = store_sched_get(e->st, ENG_DIGEST_BOOK, &ss, em);
    if (err == AB_ENOTFOUND) {
        ss.first_seen = now;
        ss.last_fire = AB_TIME_NONE;
        ab_time n;
        ss.next_due = sched_next(e->digest, now - 1, &n) == AB_OK ? n : AB_TIME_NONE;
        return store_sched_put(e->st, ENG_DIGEST_BOOK, &ss, em);
    }
    if (err || ss.next_due == AB_TIME_NONE || now < ss.next_due)
        return err;
    ab_time n;
    ss.last_fire = now;
    ss.next_due = sched_next(e->digest, now, &n) == AB_OK ? n : AB_TIME_NONE;

    struct store_alert **v = NULL;
    size_t na = 0;
    if ((err = store_alert_list(e->st, 0, 0, &v, &na, em)))
        return err;
    struct digest_rows rows = {0};
    err = collect(e, v, na, &rows, em);
    if (!err)
        err = send_all(e, &rows, &ss, now, stats, em);
    ab_free(rows.v);
    for (size_t i = 0; i < na; i++)
        store_alert_free(v[i]);
    ab_free(v);
    return err;
}
