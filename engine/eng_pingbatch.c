/*
 * eng_pingbatch.c - the outer transaction of a group commit (issue 17):
 * the web server writes the pings that arrive together inside one
 * transaction and answers them after its one commit, so a burst of
 * pings costs one fsync, not one each.
 *
 * Each ping inside still goes through eng_ping_atomic / eng_ping_rid_
 * atomic, whose store_begin becomes a savepoint here: a ping that fails
 * is rolled back alone and answered at once, the others stay in the
 * batch.  Only the outermost commit makes them durable, which is why
 * the web holds every answer until eng_batch_commit has returned.
 */
#include "engine/eng_int.h"

enum ab_err eng_batch_begin(eng *e, ab_errmsg *em)
{
    return store_begin(e->st, em);
}

enum ab_err eng_batch_commit(eng *e, ab_errmsg *em)
{
    /* store_commit rolls the whole batch back itself when COMMIT fails. */
    return store_commit(e->st, em);
}

void eng_batch_rollback(eng *e)
{
    store_rollback(e->st);
}
