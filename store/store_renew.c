/*
 * store_renew.c - a live node keeps what it holds (issue 16).
 *
 * Every lease a node takes (a check's claim for its due time, the
 * leader's role, an outbox or delivery row it is sending) is short: two
 * ticks.  While the node lives, a thread of its own (engine/eng_renew.c)
 * pushes all of them on by calling store_node_renew every tick, so a
 * check that runs for a minute, or a tick of 100,000 checks, keeps its
 * claims and its leadership; a node that is killed stops renewing, and
 * whatever it held is free to the others within two ticks.  That is how
 * a lease can expire "within a tick" of a death without expiring under a
 * slow but living node.
 *
 * The node's claims not yet done, its leases, its rows in the outbox and
 * the deliveries, and its last_seen.  Only rows still in the node's name
 * are touched; one another node took after a lapse is not taken back.
 * On SQLite one transaction (one commit).  On PostgreSQL each UPDATE on
 * its own, without the writers' advisory lock (store_begin): each is
 * atomic by its rows' locks against another node's take, and a renewal
 * must not queue behind the other nodes' long write transactions, the
 * very wait that would let its leases lapse.
 */
#include "store/store_claims.h"

#include "store/store_int.h"

static enum ab_err renew_one(store *st, const char *sql, const char *node, ab_time until,
                             ab_errmsg *em)
{
    store_db_stmt *s;
    enum ab_err e = store_prepare_cached(st, sql, &s, em);
    if (e)
        return e;
    store_db_bind_text(s, 1, node);
    store_bind_time(s, 2, until);
    int rc = store_step(st, s);
    if (rc != SDB_DONE && rc != SDB_ROW)
        e = store_dberr(st, em, "renew");
    store_release(st, s);
    return e;
}

enum ab_err store_node_renew(store *st, const char *node, ab_time now, ab_time until,
                             ab_errmsg *em)
{
    static const char *const sql[] = {
        "UPDATE claims SET lease_until = ?2 WHERE node = ?1 AND done = 0 AND lease_until < ?2",
        "UPDATE leases SET until = ?2 WHERE node = ?1 AND until < ?2",
        "UPDATE outbox SET lease_until = ?2 WHERE claimed_by = ?1 AND lease_until < ?2",
        "UPDATE deliveries SET lease_until = ?2 WHERE claimed_by = ?1 AND lease_until < ?2",
    };
    int txn = st->kind != STORE_PG;
    enum ab_err e = txn ? store_begin(st, em) : AB_OK;
    if (e)
        return e;
    for (size_t i = 0; i < sizeof sql / sizeof sql[0] && !e; i++)
        e = renew_one(st, sql[i], node, until, em);
    if (!e) {
        store_db_stmt *s;
        e = store_prepare_cached(st, "UPDATE nodes SET last_seen = ?2 WHERE name = ?1", &s,
                                 em);
        if (!e) {
            store_db_bind_text(s, 1, node);
            store_bind_time(s, 2, now);
            if (store_step(st, s) != SDB_DONE)
                e = store_dberr(st, em, "renew: last seen");
            store_release(st, s);
        }
    }
    if (!txn)
        return e;
    if (e) {
        store_rollback(st);
        return e;
    }
    return store_commit(st, em);
}
