/*
 * inbox_tool.c - drives the inbox module for the integration tests and
 * the benchmark, without the engine or a config file.
 *
 *   inbox_tool issue DB TOKEN CYCLE RECIPIENT   record an issued token
 *   inbox_tool poll DB URL USER PASSWORD [CA [MOVE_TO]]
 *        one inbox_poll(); prints "fetched=N ack=N ... duplicates=N
 *        last_uid=N uidvalidity=N rescan=N"; reply address
 *        heartbeat@example.test, ack-from state-a.example, ping check
 *        "nightly-backup" with token nbk7q2x9w4m3k8p5v6; imap:// without TLS, imaps:// with CA
 *   inbox_tool query DB SQL                     print the first column
 *
 * AB_TEST_CRASH_AFTER_FETCH=kill makes poll kill itself between fetch and
 * store (see inbox/inbox_poll.c).  Exit 0 ok, 1 failure, 2 usage.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/ab_log.h"
#include "config/cfg.h"
#include "inbox/inbox.h"
#include "store/store.h"

static void sink(enum ab_log_level lvl, const char *line, void *ud)
{
    (void)ud;
    fprintf(stderr, "inbox_tool: %s: %s\n", ab_log_level_name(lvl), line);
}

static int query(const char *db, const char *sql)
{
    sqlite3 *h;
    if (sqlite3_open(db, &h) != SQLITE_OK)
        return 1;
    sqlite3_stmt *s;
    int rc = 1;
    if (sqlite3_prepare_v2(h, sql, -1, &s, NULL) == SQLITE_OK) {
        if (sqlite3_step(s) == SQLITE_ROW) {
            const unsigned char *t = sqlite3_column_text(s, 0);
            printf("%s\n", t ? (const char *)t : "");
        }
        sqlite3_finalize(s);
        rc = 0;
    } else {
        fprintf(stderr, "inbox_tool: %s\n", sqlite3_errmsg(h));
    }
    sqlite3_close(h);
    return rc;
}

static int issue(store *st, const char *db, const char *tok, const char *cycle,
                 const char *rcpt)
{
    (void)st;
    sqlite3 *h;
    if (sqlite3_open(db, &h) != SQLITE_OK)
        return 1;
    char *sql = sqlite3_mprintf(
        "INSERT OR IGNORE INTO cycles(id, check_name, opened, deadline, quorum) "
        "VALUES (%Q, 'hb', '2026-12-01T08:00:00Z', '2026-12-08T08:00:00Z', 1);"
        "INSERT OR IGNORE INTO tokens(token, cycle_id, recipient, issued) "
        "VALUES (%Q, %Q, %Q, '2026-12-01T08:00:00Z');",
        cycle, tok, cycle, rcpt);
    char *err = NULL;
    int rc = sqlite3_exec(h, sql, NULL, NULL, &err) == SQLITE_OK ? 0 : 1;
    if (rc)
        fprintf(stderr, "inbox_tool: %s\n", err ? err : "?");
    sqlite3_free(err);
    sqlite3_free(sql);
    sqlite3_close(h);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: inbox_tool issue|poll|query DB ...\n");
        return 2;
    }
    ab_log_set_sink(sink, NULL, getenv("INBOX_TOOL_DEBUG") ? AB_LOG_DEBUG : AB_LOG_WARN);
    const char *db = argv[2];
    if (strcmp(argv[1], "query") == 0 && argc == 4)
        return query(db, argv[3]);
    store *st;
    ab_errmsg em = {{0}};
    if (store_open(db, &st, &em) != AB_OK) {
        fprintf(stderr, "inbox_tool: %s\n", em.text);
        return 1;
    }
    int rc = 2;
    if (strcmp(argv[1], "issue") == 0 && argc == 6) {
        rc = issue(st, db, argv[3], argv[4], argv[5]);
    } else if (strcmp(argv[1], "poll") == 0 && argc >= 6) {
        static const char *const ack_from[] = {"state-a.example"};
        static const struct inbox_ping pings[] = {{"nightly-backup", "nbk7q2x9w4m3k8p5v6"}};
        struct cfg_inbox ib = {
            .enabled = 1,
            .url = argv[3],
            .username = argv[4],
            .ca_file = argc > 6 && *argv[6] ? argv[6] : NULL,
            .tls = strncmp(argv[3], "imap://", 7) == 0 ? CFG_TLS_NONE : CFG_TLS_AUTO,
            .timeout = 30,
            .move_to = argc > 7 && *argv[7] ? argv[7] : NULL,
            .reply_address = "heartbeat@example.test",
            .ack_from = ack_from,
            .nack_from = 1,
        };
        const char *b = getenv("INBOX_TOOL_BATCH");
        struct inbox_env env = {.password = argv[5], .pings = pings, .npings = 1,
                                .batch = b ? strtoul(b, NULL, 10) : 0};
        struct inbox_poll_stats s;
        enum ab_err e = inbox_poll(&ib, &env, st, (ab_time)time(NULL), &s, &em);
        if (e) {
            fprintf(stderr, "inbox_tool: poll: %s\n", em.text);
            rc = 1;
        } else {
            printf("fetched=%zu", s.fetched);
            for (int k = INBOX_UNRELATED; k <= INBOX_SKIPPED; k++)
                printf(" %s=%zu", inbox_class_name((enum inbox_class)k), s.counts[k]);
            printf(" duplicates=%zu last_uid=%llu uidvalidity=%u rescan=%d commands=%zu\n",
                   s.duplicates, (unsigned long long)s.last_uid, s.uidvalidity, s.rescan,
                   s.ncmds);
            rc = 0;
        }
        inbox_poll_stats_free(&s);
    }
    store_close(st);
    if (rc == 2)
        fprintf(stderr, "inbox_tool: bad arguments\n");
    return rc;
}
