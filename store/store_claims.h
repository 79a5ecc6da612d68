/*
 * store_claims.h - work shared by several nodes on one state
 * (store/store_claims.c, issue 16): claims on one piece of work for one
 * due time, leases on a role one node holds at a time, and the nodes
 * table `status` and the web show.
 *
 * Each call is one statement: it runs on its own (autocommit) or inside
 * the caller's transaction, whichever the caller needs.  Instants are
 * compared as ISO text, which orders them on both engines.
 */
#ifndef AB_STORE_CLAIMS_H
#define AB_STORE_CLAIMS_H

#include <stddef.h>
#include <stdint.h>

#include "common/ab_err.h"
#include "common/ab_time.h"
#include "store/store.h"

/*
 * Claim the work (kind, name, due) for node until lease_until.  *got is 1
 * when this node has it now: nobody had it, its holder's lease ran out
 * before now (the holder is taken to be dead), or node already held it
 * (a retry renews the lease).  A claim marked done is never given again,
 * so a node that saw the work late does not do it a second time.
 */
enum ab_err store_claim_take(store *st, const char *kind, const char *name, ab_time due,
                             const char *node, ab_time lease_until, ab_time now, int *got,
                             ab_errmsg *em) AB_MUST_CHECK;
/* The work (kind, name, due) is finished by node: nobody takes it again.
 * Only while node holds the claim: *ours (may be NULL) is 0 when another
 * node had taken it after node's lease lapsed, and nothing is changed. */
enum ab_err store_claim_done(store *st, const char *kind, const char *name, ab_time due,
                             const char *node, int *ours, ab_errmsg *em) AB_MUST_CHECK;
/* Forget claims whose lease ran out before `before` (done or abandoned
 * long ago); *deleted (may be NULL) gets how many. */
enum ab_err store_claims_purge(store *st, ab_time before, int64_t *deleted,
                               ab_errmsg *em) AB_MUST_CHECK;

/*
 * Hold the role `name` for node until `until`: taken when nobody holds
 * it or its holder's lease ran out before now, renewed when node holds
 * it already.  *held is 1 when node holds it after the call.
 */
enum ab_err store_lease_take(store *st, const char *name, const char *node, ab_time until,
                             ab_time now, int *held, ab_errmsg *em) AB_MUST_CHECK;
/* Who holds the role `name` at now (a lease not run out): *node is a copy
 * to free with ab_free, or NULL when nobody does. */
enum ab_err store_lease_holder(store *st, const char *name, ab_time now, char **node,
                               ab_errmsg *em) AB_MUST_CHECK;
/* Give the role up at once (a clean shutdown), if node holds it. */
enum ab_err store_lease_release(store *st, const char *name, const char *node,
                                ab_errmsg *em) AB_MUST_CHECK;

/* A living node keeps what it holds (store_renew.c): its claims not done,
 * its leases, its outbox and delivery rows are pushed on to until, and
 * its last_seen set to now.  One transaction. */
enum ab_err store_node_renew(store *st, const char *node, ab_time now, ab_time until,
                             ab_errmsg *em) AB_MUST_CHECK;

/* One node as the views show it. */
struct store_node {
    char *name;
    ab_time started, last_seen;
    int64_t pid;        /* 0: unknown */
    char *version;      /* may be NULL */
    char *holds;        /* what it said it holds at last_seen: "leader" or "" */
    int64_t in_flight;  /* claims it holds now, not done, lease not run out */
    int leader;         /* it holds the lease "leader" now */
};
/* Record that node name was alive at now (insert or update). */
enum ab_err store_node_seen(store *st, const char *name, ab_time started, ab_time now,
                            int64_t pid, const char *version, const char *holds,
                            ab_errmsg *em) AB_MUST_CHECK;
/* Every node, by name, with its claims in flight and its lease at now.  Free *out with
 * store_nodes_free (also after an error: then it is NULL). */
enum ab_err store_nodes_list(store *st, ab_time now, struct store_node **out, size_t *n,
                             ab_errmsg *em) AB_MUST_CHECK;
void store_nodes_free(struct store_node *v, size_t n);
/* Forget nodes not seen since `before`; *deleted (may be NULL) gets how many. */
enum ab_err store_nodes_purge(store *st, ab_time before, int64_t *deleted,
                              ab_errmsg *em) AB_MUST_CHECK;

#endif
