/*
 * bench_nodes.c - what claiming a check's run costs, apart from the run:
 * the helper of bench/bench_nodes.sh, which measures whole ticks.
 *
 * On the state given (a SQLite path or a postgresql:// URL; the password
 * from PGPASSWORD or .pgpass), N claims are taken and marked done the way
 * a tick's groups do: G takes in one transaction, then G dones in the
 * transaction that books the group's runs (here with nothing else, so the
 * figure is the claim's alone, its share of the two commits included).
 * Prints the microseconds per check of take and done together:
 *   claim_us_per_check <us>
 * Each call is the store's own (store/store_claims.h), as the engine
 * makes them.
 *
 * Usage: bench_nodes STATE [N [G]]      (defaults 20000, 64)
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "common/ab_err.h"
#include "store/store.h"
#include "store/store_claims.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int fail(const char *what, const ab_errmsg *em)
{
    fprintf(stderr, "bench_nodes: %s: %s\n", what, em->text);
    return 1;
}

/* One group as a tick makes it (engine/eng_due_group.c): G takes in one
 * transaction, then G dones in another, each in a savepoint of its own
 * as the runs' bookkeeping is. */
static int group(store *st, long first, long g, ab_time due, ab_errmsg *em)
{
    char name[32];
    if (store_begin(st, em) != AB_OK)
        return fail("begin", em);
    for (long i = first; i < first + g; i++) {
        int got = 0;
        snprintf(name, sizeof name, "c%ld", i);
        if (store_claim_take(st, "check", name, due, "bench", due + 120, due, &got, em) != AB_OK)
            return fail("claim", em);
    }
    if (store_commit(st, em) != AB_OK || store_begin(st, em) != AB_OK)
        return fail("commit", em);
    for (long i = first; i < first + g; i++) {
        int ours = 0;
        snprintf(name, sizeof name, "c%ld", i);
        if (store_begin(st, em) != AB_OK ||
            store_claim_done(st, "check", name, due, "bench", &ours, em) != AB_OK ||
            store_commit(st, em) != AB_OK || !ours)
            return fail("done", em);
    }
    if (store_commit(st, em) != AB_OK)
        return fail("commit", em);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_nodes STATE [N [G]]\n");
        return 2;
    }
    long n = argc > 2 ? atol(argv[2]) : 20000;
    long g = argc > 3 ? atol(argv[3]) : 64;
    if (n <= 0 || g <= 0) {
        fprintf(stderr, "bench_nodes: N and G must be positive\n");
        return 2;
    }
    store *st = NULL;
    ab_errmsg em = {{0}};
    if (store_open(argv[1], &st, &em) != AB_OK)
        return fail(argv[1], &em);
    /* A due time no tick of the bench uses. */
    ab_time due = 4102444800; /* 2100-01-01 */
    double t0 = now_s();
    int rc = 0;
    for (long i = 0; i < n && !rc; i += g)
        rc = group(st, i, i + g <= n ? g : n - i, due, &em);
    double t1 = now_s();
    store_close(st);
    if (rc)
        return rc;
    printf("claim_us_per_check %.2f\n", (t1 - t0) * 1e6 / (double)n);
    return 0;
}
