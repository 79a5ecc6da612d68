/*
 * store_claims.c - exactly-once work across nodes on one state (issue 16):
 * claims (a check's run for one due time, a day's retention), leases (the
 * leader's role) and the nodes table.
 *
 * A claim and a lease are each one INSERT ... ON CONFLICT DO UPDATE ...
 * WHERE ... RETURNING: the row comes back only when this node has the
 * work after the statement, and the database decides that atomically on
 * both engines (SQLite's single writer; PostgreSQL's row lock on the
 * conflicting row), so two nodes asking at the same instant never both
 * get it.  No read-then-write, and no unique-violation error that would
 * abort a PostgreSQL transaction the caller may be in.
 */
#include "store/store_claims.h"

#include "common/ab_mem.h"
#include "store/store_int.h"

/* One statement with no rows, or with at most one RETURNING row: *row
 * (may be NULL) says whether it came back. */
static enum ab_err step_once(store *st, store_db_stmt *s, int *row, ab_errmsg *em,
                             const char *what)
{
    int rc = store_step(st, s);
    if (rc != SDB_ROW && rc != SDB_DONE)
        return store_dberr(st, em, what);
    if (row)
        *row = rc == SDB_ROW;
    return AB_OK;
}

enum ab_err store_claim_take(store *st, const char *kind, const char *name, ab_time due,
                             const char *node, ab_time lease_until, ab_time now, int *got,
                             ab_errmsg *em)
{
    /* Every due check of every tick passes here: kept prepared. */
    static const char sql[] =
        "INSERT INTO claims(kind, name, due, node, lease_until) VALUES (?1, ?2, ?3, ?4, ?5) "
        "ON CONFLICT (kind, name, due) DO UPDATE SET node = excluded.node, "
        "lease_until = excluded.lease_until "
        "WHERE claims.done = 0 AND (claims.lease_until < ?6 OR claims.node = excluded.node) "
        "RETURNING node";
    *got = 0;
    store_db_stmt *s;
    enum ab_err e = store_prepare_cached(st, sql, &s, em);
    if (e)
        return e;
    store_db_bind_text(s, 1, kind);
    store_db_bind_text(s, 2, name);
    store_bind_time(s, 3, due);
    store_db_bind_text(s, 4, node);
    store_bind_time(s, 5, lease_until);
    store_bind_time(s, 6, now);
    e = step_once(st, s, got, em, "claim");
    store_release(st, s);
    return e;
}

enum ab_err store_claim_done(store *st, const char *kind, const char *name, ab_time due,
                             const char *node, int *ours, ab_errmsg *em)
{
    /* Only while the claim is still the node's: one whose lease lapsed
     * and that another node took is theirs to finish, and the caller
     * keeps nothing of its own run (no run booked twice). */
    static const char sql[] =
        "UPDATE claims SET done = 1 WHERE kind = ?1 AND name = ?2 AND due = ?3 "
        "AND node = ?4 RETURNING done";
    store_db_stmt *s;
    enum ab_err e = store_prepare_cached(st, sql, &s, em);
    if (e)
        return e;
    store_db_bind_text(s, 1, kind);
    store_db_bind_text(s, 2, name);
    store_bind_time(s, 3, due);
    store_db_bind_text(s, 4, node);
    int row = 0;
    e = step_once(st, s, &row, em, "claim done");
    store_release(st, s);
    if (ours)
        *ours = row;
    return e;
}

/* DELETE FROM ... WHERE column < before, counting what went. */
static enum ab_err purge(store *st, const char *sql, ab_time before, int64_t *deleted,
                         ab_errmsg *em, const char *what)
{
    store_db_stmt *s;
    enum ab_err e = store_prepare(st, sql, &s, em);
    if (e)
        return e;
    store_bind_time(s, 1, before);
    e = step_once(st, s, NULL, em, what);
    if (!e && deleted)
        *deleted = store_db_changes(st);
    store_db_finalize(s);
    return e;
}

enum ab_err store_claims_purge(store *st, ab_time before, int64_t *deleted, ab_errmsg *em)
{
    /* By the lease, not the due time: a fire time missed while every node
     * was down is claimed long after it was due, and must stay claimed. */
    return purge(st, "DELETE FROM claims WHERE lease_until < ?1", before, deleted, em,
                 "claims purge");
}

enum ab_err store_lease_take(store *st, const char *name, const char *node, ab_time until,
                             ab_time now, int *held, ab_errmsg *em)
{
    /* since stays while the same node renews: it says how long it has led. */
    static const char sql[] =
        "INSERT INTO leases(name, node, since, until) VALUES (?1, ?2, ?3, ?4) "
        "ON CONFLICT (name) DO UPDATE SET node = excluded.node, until = excluded.until, "
        "since = CASE WHEN leases.node = excluded.node THEN leases.since "
        "ELSE excluded.since END "
        "WHERE leases.until < ?3 OR leases.node = excluded.node "
        "RETURNING node";
    *held = 0;
    store_db_stmt *s;
    enum ab_err e = store_prepare(st, sql, &s, em);
    if (e)
        return e;
    store_db_bind_text(s, 1, name);
    store_db_bind_text(s, 2, node);
    store_bind_time(s, 3, now);
    store_bind_time(s, 4, until);
    e = step_once(st, s, held, em, "lease");
    store_db_finalize(s);
    return e;
}

enum ab_err store_lease_holder(store *st, const char *name, ab_time now, char **node,
                               ab_errmsg *em)
{
    *node = NULL;
    store_db_stmt *s;
    enum ab_err e = store_prepare(st, "SELECT node FROM leases WHERE name = ?1 AND until >= ?2",
                                  &s, em);
    if (e)
        return e;
    store_db_bind_text(s, 1, name);
    store_bind_time(s, 2, now);
    int rc = store_step(st, s);
    if (rc == SDB_ROW) {
        if (!(*node = store_column_dup(s, 0)))
            e = ab_fail(em, AB_ENOMEM, "out of memory");
    } else if (rc != SDB_DONE) {
        e = store_dberr(st, em, "lease holder");
    }
    store_db_finalize(s);
    return e;
}

enum ab_err store_lease_release(store *st, const char *name, const char *node,
                                ab_errmsg *em)
{
    store_db_stmt *s;
    enum ab_err e =
        store_prepare(st, "DELETE FROM leases WHERE name = ?1 AND node = ?2", &s, em);
    if (e)
        return e;
    store_db_bind_text(s, 1, name);
    store_db_bind_text(s, 2, node);
    e = step_once(st, s, NULL, em, "lease release");
    store_db_finalize(s);
    return e;
}

enum ab_err store_node_seen(store *st, const char *name, ab_time started, ab_time now,
                            int64_t pid, const char *version, const char *holds,
                            ab_errmsg *em)
{
    static const char sql[] =
        "INSERT INTO nodes(name, started, last_seen, pid, version, holds) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (name) DO UPDATE SET "
        "started = excluded.started, last_seen = excluded.last_seen, pid = excluded.pid, "
        "version = excluded.version, holds = excluded.holds";
    store_db_stmt *s;
    enum ab_err e = store_prepare(st, sql, &s, em);
    if (e)
        return e;
    store_db_bind_text(s, 1, name);
    store_bind_time(s, 2, started);
    store_bind_time(s, 3, now);
    store_db_bind_int64(s, 4, pid);
    if (version)
        store_db_bind_text(s, 5, version);
    else
        store_db_bind_null(s, 5);
    store_db_bind_text(s, 6, holds ? holds : "");
    e = step_once(st, s, NULL, em, "node seen");
    store_db_finalize(s);
    return e;
}

static void node_clear(void *p)
{
    struct store_node *x = p;
    ab_free(x->name);
    ab_free(x->version);
    ab_free(x->holds);
}

static int node_row(store_db_stmt *s, void *p)
{
    struct store_node *x = p;
    x->name = store_column_dup(s, 0);
    x->started = store_column_time(s, 1);
    x->last_seen = store_column_time(s, 2);
    x->pid = store_db_column_is_null(s, 3) ? 0 : store_db_column_int64(s, 3);
    x->version = store_column_dup(s, 4);
    x->holds = store_column_dup(s, 5);
    x->in_flight = store_db_column_int64(s, 6);
    x->leader = store_db_column_int64(s, 7) > 0;
    return !x->name || !x->holds || (!x->version && !store_db_column_is_null(s, 4));
}

enum ab_err store_nodes_list(store *st, ab_time now, struct store_node **out, size_t *n,
                             ab_errmsg *em)
{
    *out = NULL;
    *n = 0;
    store_db_stmt *s;
    enum ab_err e = store_prepare(
        st,
        "SELECT n.name, n.started, n.last_seen, n.pid, n.version, n.holds, "
        "(SELECT count(*) FROM claims c WHERE c.node = n.name AND c.done = 0 "
        "AND c.lease_until >= ?1), "
        "(SELECT count(*) FROM leases l WHERE l.name = 'leader' AND l.node = n.name "
        "AND l.until >= ?1) FROM nodes n ORDER BY n.name COLLATE BINARY",
        &s, em);
    if (e)
        return e;
    store_bind_time(s, 1, now);
    void *v = NULL;
    e = store_collect(st, s, sizeof **out, node_row, node_clear, &v, n, em, "nodes");
    store_db_finalize(s);
    *out = v;
    return e;
}

void store_nodes_free(struct store_node *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        node_clear(&v[i]);
    ab_free(v);
}

enum ab_err store_nodes_purge(store *st, ab_time before, int64_t *deleted, ab_errmsg *em)
{
    return purge(st, "DELETE FROM nodes WHERE last_seen < ?1", before, deleted, em,
                 "nodes purge");
}
