/*
 * bench_inbox.c - the C side of bench/bench_inbox.sh: one inbox_poll() of
 * an IMAP folder into a fresh state database (fetch in batches over one
 * connection, parse, classify, record, mark \Seen), timed.
 *
 *   bench_inbox DB URL USER PASSWORD
 * prints: "messages=N seconds=S rss_kb=K" (peak resident set, getrusage).
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "config/cfg.h"
#include "inbox/inbox.h"
#include "store/store.h"

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: bench_inbox DB URL USER PASSWORD\n");
        return 2;
    }
    store *st;
    ab_errmsg em = {{0}};
    if (store_open(argv[1], &st, &em) != AB_OK) {
        fprintf(stderr, "bench_inbox: %s\n", em.text);
        return 1;
    }
    static const struct inbox_ping pings[] = {{"nightly-backup", "nbk7q2x9w4m3k8p5v6"}};
    struct cfg_inbox ib = {.enabled = 1, .url = argv[2], .username = argv[3],
                           .tls = CFG_TLS_NONE, .timeout = 60,
                           .reply_address = "heartbeat@example.test"};
    struct inbox_env env = {.password = argv[4], .pings = pings, .npings = 1};
    struct inbox_poll_stats s;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    enum ab_err e = inbox_poll(&ib, &env, st, (ab_time)time(NULL), &s, &em);
    clock_gettime(CLOCK_MONOTONIC, &b);
    store_close(st);
    if (e) {
        fprintf(stderr, "bench_inbox: %s\n", em.text);
        inbox_poll_stats_free(&s);
        return 1;
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("messages=%zu seconds=%.3f rss_kb=%ld ack=%zu autoreply=%zu bounce=%zu\n",
           s.fetched, (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9,
           ru.ru_maxrss, s.counts[INBOX_ACK], s.counts[INBOX_AUTOREPLY],
           s.counts[INBOX_BOUNCE]);
    inbox_poll_stats_free(&s);
    return 0;
}
