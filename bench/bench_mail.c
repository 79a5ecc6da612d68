/*
 * bench_mail.c - the driver of bench/bench_mail.sh: queue N messages in a
 * fresh outbox (each built by mail_msg_build, stored by store_outbox_put:
 * one transaction each, as the engine does), then drain them through a
 * transport as the daemon does (mail_outbox_drain: four connections for
 * a backlog, commits a group at a time), and time both.
 *
 *   bench_mail DB TRANSPORT FROM TO N [SAMPLE_FILE]
 *
 * Prints "enqueue n=N seconds=S rate=R", "drain n=N sent=N seconds=S
 * rate=R" and "message_bytes=B"; with SAMPLE_FILE, also writes one of the
 * messages there, for the one-process-per-message baseline.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/ab_mem.h"
#include "config/cfg.h"
#include "mailer/mail.h"
#include "store/store.h"
#include "store/store_outbox.h"

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    ab_mem_tune(); /* as the daemon does (cli/main.c) */
    if (argc < 6) {
        fprintf(stderr, "usage: bench_mail DB TRANSPORT FROM TO N [SAMPLE_FILE]\n");
        return 2;
    }
    const char *db = argv[1], *from = argv[3], *to = argv[4];
    long n = strtol(argv[5], NULL, 10);
    struct cfg_mail mc;
    memset(&mc, 0, sizeof mc);
    mc.from = from;
    mc.transport = argv[2];
    mc.tls = CFG_TLS_NONE;
    mc.timeout = 30;
    mc.max_age = 86400;
    ab_time now = (ab_time)time(NULL);

    store *st;
    ab_errmsg em;
    if (store_open(db, &st, &em) != AB_OK) {
        fprintf(stderr, "bench_mail: %s\n", em.text);
        return 1;
    }
    const struct mail_addr rcpt[] = {{to, NULL}};
    static const char text[] =
        "The check orders.fresh has been Failing since 08:00 UTC.\n\n"
        "Newest row: 2026-11-30 23:14:02 (8 hours 46 minutes old; limit 6 hours).\n"
        "Source: orders (sqlite)\n\n"
        "Dismiss: https://ackbeat.example.test/alerts/42\n";
    static const char html[] =
        "<p>The check <b>orders.fresh</b> has been <b>Failing</b> since 08:00 UTC.</p>\n"
        "<p>Newest row: 2026-11-30 23:14:02 (8 hours 46 minutes old; limit 6 hours).</p>\n"
        "<p><a href=\"https://ackbeat.example.test/alerts/42\">Dismiss</a></p>\n";

    double t0 = mono();
    for (long i = 1; i <= n; i++) {
        char subj[128], seq[64];
        snprintf(subj, sizeof subj, "[ackbeat] orders.fresh is Failing (%ld)", i);
        snprintf(seq, sizeof seq, "bench-%ld", i);
        struct mail_header h[] = {{"X-Ackbeat-Check", "orders.fresh"}, {"X-Ackbeat-Seq", seq}};
        struct mail_msg_spec s = {
            .from = from, .from_name = "ackbeat", .to = rcpt, .nto = 1, .subject = subj,
            .text = text, .html = html, .headers = h, .nheaders = 2, .date = now,
        };
        if (mail_outbox_put(st, &s, "alert", "orders.fresh", now, NULL, NULL, &em) != AB_OK) {
            fprintf(stderr, "bench_mail: enqueue: %s\n", em.text);
            return 1;
        }
    }
    double t1 = mono();
    printf("enqueue n=%ld seconds=%.3f rate=%.1f\n", n, t1 - t0, (double)n / (t1 - t0));

    struct mail_drain_stats stats;
    if (mail_outbox_drain(st, &mc, now, 0, &stats, &em) != AB_OK) {
        fprintf(stderr, "bench_mail: drain: %s\n", em.text);
        return 1;
    }
    double t2 = mono();
    printf("drain n=%ld sent=%zu seconds=%.3f rate=%.1f\n", n, stats.sent, t2 - t1,
           (double)stats.sent / (t2 - t1));
    if (stats.last_error.text[0])
        printf("last_error: %s\n", stats.last_error.text);

    struct store_outbox_msg *m;
    if (store_outbox_get(st, 1, &m, &em) == AB_OK) {
        printf("message_bytes=%zu\n", m->len);
        if (argc > 6) {
            FILE *f = fopen(argv[6], "wb");
            if (f) {
                fwrite(m->body, 1, m->len, f);
                fclose(f);
            }
        }
        store_outbox_msg_free(m);
    }
    store_close(st);
    return stats.sent == (size_t)n ? 0 : 1;
}
