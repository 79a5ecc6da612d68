/*
 * store_rowclaim.c - row leases on the outbox and the channel deliveries
 * (issue 16): several nodes drain one state, and each row is sent by one
 * of them.
 *
 * A drain claims a batch of due rows with one UPDATE ... WHERE id IN
 * (SELECT ... LIMIT n) RETURNING (on PostgreSQL the batch is picked in a
 * materialised CTE), setting claimed_by and lease_until;
 * another node skips a row whose lease has not run out, and takes it
 * once it has (its holder is taken to be dead).  Recording an attempt
 * clears the claim (store_outbox.c, store_deliveries.c).  So a row is
 * sent twice only when its holder died, or stalled past its lease,
 * between the server's acceptance and the record; the holder's caller
 * sizes the lease to cover the sending.
 *
 * The claim's condition is written twice, in the subquery and in the
 * UPDATE itself: PostgreSQL re-checks the UPDATE's own WHERE on a row
 * another transaction changed meanwhile, not the subquery's, so without
 * the second copy two nodes could both take a row.  There the subquery
 * also skips rows another claim has locked (FOR UPDATE SKIP LOCKED)
 * rather than wait for it.  Each claim is inside store_begin, so on
 * either engine it is serialised with every other write transaction.
 */
#include "store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ab_mem.h"
#include "store/store_deliveries.h"
#include "store/store_outbox.h"

/* Who may take a row: nobody holds it, its lease ran out, or it is ours. */
#define FREE_ROW "(claimed_by IS NULL OR lease_until < ?3 OR claimed_by = ?1)"

#define CLAIM_SQLITE(table)                                   \
    "UPDATE " table " SET claimed_by = ?1, lease_until = ?2 " \
    "WHERE id IN (SELECT id FROM " table                      \
    " WHERE status = 'queued' AND next_attempt <= ?3 "        \
    "AND " FREE_ROW " ORDER BY next_attempt, id LIMIT ?4) "   \
    "AND status = 'queued' AND " FREE_ROW " RETURNING id, next_attempt"

/* PostgreSQL's planner may run an IN (... LIMIT n) subquery again for
 * every row of the UPDATE (a nested-loop semi-join), each run locking one
 * row more: a materialised CTE picks the batch once. */
#define CLAIM_PG(table)                                                                 \
    "WITH c AS MATERIALIZED (SELECT id FROM " table " WHERE status = 'queued' "         \
    "AND next_attempt <= ?3 AND " FREE_ROW " ORDER BY next_attempt, id LIMIT ?4 "       \
    "FOR UPDATE SKIP LOCKED) "                                                          \
    "UPDATE " table " SET claimed_by = ?1, lease_until = ?2 FROM c "                    \
    "WHERE " table ".id = c.id AND status = 'queued' AND " FREE_ROW " RETURNING " table \
    ".id, " table ".next_attempt"

enum table { T_OUTBOX, T_DELIVERIES };

static const char *const claim_sql[2][2] = {
    [T_OUTBOX] = {CLAIM_SQLITE("outbox"), CLAIM_PG("outbox")},
    [T_DELIVERIES] = {CLAIM_SQLITE("deliveries"), CLAIM_PG("deliveries")},
};

/* A claimed row: its id and due time, to put the batch in order
 * (RETURNING gives the rows in no promised order). */
struct claimed {
    int64_t id;
    char due[AB_ISO_LEN];
};

static int claimed_row(store_db_stmt *s, void *elem)
{
    struct claimed *c = elem;
    const char *t = store_db_column_text(s, 1);
    c->id = store_db_column_int64(s, 0);
    snprintf(c->due, sizeof c->due, "%s", t ? t : "");
    return 0;
}

static int claimed_cmp(const void *a, const void *b)
{
    const struct claimed *x = a, *y = b;
    int c = strcmp(x->due, y->due);
    if (c)
        return c;
    return x->id < y->id ? -1 : x->id > y->id;
}

static enum ab_err claim(store *st, enum table t, const char *node, ab_time now,
                         ab_time lease_until, size_t limit, int64_t **ids, size_t *n,
                         ab_errmsg *em)
{
    *ids = NULL;
    *n = 0;
    if (!node || !*node)
        return ab_fail(em, AB_EINVAL, "claim: no node name");
    store_db_stmt *s = NULL;
    void *rows = NULL;
    size_t nrows = 0;
    enum ab_err e = store_begin(st, em);
    if (e)
        return e;
    if ((e = store_prepare(st, claim_sql[t][st->kind == STORE_PG], &s, em)))
        goto fail;
    store_db_bind_text(s, 1, node);
    store_bind_time(s, 2, lease_until);
    store_bind_time(s, 3, now);
    store_db_bind_int64(s, 4, limit ? (int64_t)limit : INT64_MAX);
    e = store_collect(st, s, sizeof(struct claimed), claimed_row, NULL, &rows, &nrows, em,
                      t == T_OUTBOX ? "outbox claim" : "deliveries claim");
    store_db_finalize(s);
    if (e)
        goto fail;
    if ((e = store_commit(st, em))) {
        ab_free(rows);
        return e;
    }
    if (nrows == 0)
        return AB_OK;
    struct claimed *v = rows;
    qsort(v, nrows, sizeof *v, claimed_cmp);
    int64_t *out = ab_malloc(nrows * sizeof *out);
    if (!out) {
        /* The rows stay claimed until their lease runs out: a delay,
         * not a loss. */
        ab_free(rows);
        return ab_fail(em, AB_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < nrows; i++)
        out[i] = v[i].id;
    ab_free(rows);
    *ids = out;
    *n = nrows;
    return AB_OK;
fail:
    ab_free(rows);
    store_rollback(st);
    return e;
}

enum ab_err store_outbox_claim(store *st, const char *node, ab_time now,
                               ab_time lease_until, size_t limit, int64_t **ids,
                               size_t *n, ab_errmsg *em)
{
    return claim(st, T_OUTBOX, node, now, lease_until, limit, ids, n, em);
}

enum ab_err store_delivery_claim(store *st, const char *node, ab_time now,
                                 ab_time lease_until, size_t limit, int64_t **ids,
                                 size_t *n, ab_errmsg *em)
{
    return claim(st, T_DELIVERIES, node, now, lease_until, limit, ids, n, em);
}

enum ab_err store_outbox_claim_id(store *st, int64_t id, const char *node, ab_time now,
                                  ab_time lease_until, char **holder, ab_errmsg *em)
{
    static const char take[] =
        "UPDATE outbox SET claimed_by = ?1, lease_until = ?2 "
        "WHERE id = ?4 AND status = 'queued' AND " FREE_ROW " RETURNING id";
    static const char who[] =
        "SELECT claimed_by FROM outbox WHERE id = ? AND status = 'queued'";
    *holder = NULL;
    if (!node || !*node)
        return ab_fail(em, AB_EINVAL, "claim: no node name");
    store_db_stmt *s = NULL;
    enum ab_err e = store_begin(st, em);
    if (e)
        return e;
    if ((e = store_prepare(st, take, &s, em)))
        goto fail;
    store_db_bind_text(s, 1, node);
    store_bind_time(s, 2, lease_until);
    store_bind_time(s, 3, now);
    store_db_bind_int64(s, 4, id);
    int rc = store_step(st, s);
    store_db_finalize(s);
    s = NULL;
    if (rc != SDB_ROW && rc != SDB_DONE) {
        e = store_dberr(st, em, "outbox claim");
        goto fail;
    }
    if (rc == SDB_DONE) {
        /* Not queued (the caller's load says so), or held elsewhere. */
        if ((e = store_prepare(st, who, &s, em)))
            goto fail;
        store_db_bind_int64(s, 1, id);
        if (store_step(st, s) == SDB_ROW && !store_db_column_is_null(s, 0))
            *holder = store_column_dup(s, 0);
        store_db_finalize(s);
    }
    return store_commit(st, em);
fail:
    store_rollback(st);
    return e;
}

/* The nodes holding a live row lease on either table. */
static enum ab_err holders(store *st, ab_time now, char ***out, size_t *n, ab_errmsg *em)
{
    static const char sql[] =
        "SELECT claimed_by FROM outbox WHERE status = 'queued' AND claimed_by IS NOT "
        "NULL "
        "AND lease_until >= ?1 UNION SELECT claimed_by FROM deliveries WHERE status = "
        "'queued' AND claimed_by IS NOT NULL AND lease_until >= ?1";
    *out = NULL;
    *n = 0;
    store_db_stmt *s;
    enum ab_err e = store_prepare(st, sql, &s, em);
    if (e)
        return e;
    store_bind_time(s, 1, now);
    size_t cap = 0;
    int rc;
    while ((rc = store_step(st, s)) == SDB_ROW) {
        if (*n == cap) {
            size_t nc = cap ? cap * 2 : 4;
            char **v = ab_realloc(*out, nc * sizeof *v);
            if (!v) {
                e = ab_fail(em, AB_ENOMEM, "out of memory");
                break;
            }
            *out = v;
            cap = nc;
        }
        if (!((*out)[*n] = store_column_dup(s, 0))) {
            e = ab_fail(em, AB_ENOMEM, "out of memory");
            break;
        }
        (*n)++;
    }
    if (!e && rc != SDB_DONE)
        e = store_dberr(st, em, "row lease holders");
    store_db_finalize(s);
    return e;
}

enum ab_err store_rowclaims_release(store *st, ab_time now,
                                    int (*gone)(const char *node, void *ud), void *ud,
                                    int64_t *released, ab_errmsg *em)
{
    static const char *const free_sql[] = {
        "UPDATE outbox SET claimed_by = NULL, lease_until = NULL "
        "WHERE claimed_by = ? AND status = 'queued'",
        "UPDATE deliveries SET claimed_by = NULL, lease_until = NULL "
        "WHERE claimed_by = ? AND status = 'queued'",
    };
    char **v = NULL;
    size_t n = 0;
    int64_t count = 0;
    enum ab_err e = holders(st, now, &v, &n, em);
    size_t dead = 0;
    for (size_t i = 0; !e && i < n; i++)
        dead += gone(v[i], ud) != 0;
    /* Read outside a transaction: most ticks find nobody to free, and
     * then write nothing. */
    if (!e && dead && !(e = store_begin(st, em))) {
        for (size_t i = 0; !e && i < n; i++) {
            if (!gone(v[i], ud))
                continue;
            for (size_t t = 0; !e && t < 2; t++) {
                store_db_stmt *s;
                if ((e = store_prepare(st, free_sql[t], &s, em)))
                    break;
                store_db_bind_text(s, 1, v[i]);
                if (store_step(st, s) != SDB_DONE)
                    e = store_dberr(st, em, "row lease release");
                else
                    count += store_db_changes(st);
                store_db_finalize(s);
            }
        }
        if (e)
            store_rollback(st);
        else
            e = store_commit(st, em);
    }
    for (size_t i = 0; i < n; i++)
        ab_free(v[i]);
    ab_free(v);
    if (released)
        *released = e ? 0 : count;
    return e;
}
