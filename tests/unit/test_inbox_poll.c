/*
 * test_inbox_poll.c - recording with the store and the Maildir reader end
 * to end: counts, idempotence (the same message twice counts once), a
 * UIDVALIDITY change that rescans without double counting, files moved
 * to cur/ with the S flag, reply commands handed to the engine; move-to
 * into a Maildir++ folder, only after the store committed.
 */
#include "harness.h"

#include <dirent.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config/cfg.h"
#include "inbox/inbox_int.h"
#include "test_inbox_util.h"
#include "test_pg_util.h"

#include "store/store.h"
#include "store/store_inbox.h"
#include "store/store_tokens.h"

static const char *tpath(const char *name)
{
    static char p[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", t_tmpdir(), name);
    return p[k];
}

/* One number from the state at db (a file, or its PostgreSQL schema). */
static long long q1(const char *db, const char *sql)
{
    return t_state_int(db, sql);
}

/* A state database with the corpus tokens issued. */
static store *fresh_store(const char *name)
{
    store *st = NULL;
    ab_errmsg em = {{0}};
    const char *path = tpath(name);
    if (store_open(t_state(path), &st, &em) != AB_OK)
        return NULL;
    char *sql = NULL;
    size_t len = 0;
    FILE *o = open_memstream(&sql, &len);
    if (!o)
        abort();
    /* A cycle for each the corpus names: PostgreSQL holds tokens.cycle_id
     * to its foreign key, where SQLite (foreign_keys off) did not. */
    tu_load_tokens();
    long long ncycles = 3;
    for (size_t i = 0; i < tu_ntokens; i++)
        if ((long long)tu_tokens[i].cycle > ncycles)
            ncycles = (long long)tu_tokens[i].cycle;
    for (long long i = 1; i <= ncycles; i++)
        fprintf(o,
                "INSERT INTO cycles(id, check_name, opened, deadline, quorum) VALUES "
                "(%lld,'hb','2026-12-01T08:00:00Z','2026-12-08T08:00:00Z',1);\n",
                i);
    for (size_t i = 0; i < tu_ntokens; i++) {
        /* sqlite3_mprintf only to quote (%Q): the SQL is standard. */
        char *row = sqlite3_mprintf("INSERT INTO tokens(token, cycle_id, recipient, issued) "
                                    "VALUES (%Q, %lld, %Q, '2026-12-01T08:00:00Z');\n",
                                    tu_tokens[i].token, (long long)tu_tokens[i].cycle,
                                    tu_tokens[i].recipient);
        fputs(row, o);
        sqlite3_free(row);
    }
    fclose(o);
    int bad = t_state_exec(path, sql) || t_state_ids_past(path, "cycles");
    free(sql);
    if (bad) {
        store_close(st);
        return NULL;
    }
    return st;
}

TEST(store_token_lookup_and_record_idempotent)
{
    store *st = fresh_store("rec.db");
    CHECK(st);
    ab_errmsg em = {{0}};
    int64_t cyc;
    char *rcpt;
    CHECK_OK(store_token_lookup(st, "ec73552lgvrdtflh7bm3c4isje", &cyc, &rcpt, &em));
    CHECK_INT(cyc, 1);
    CHECK_STR(rcpt, "carol@state-a.example");
    ab_free(rcpt);
    CHECK_INT(store_token_lookup(st, "nbbpx5qse5rm7geqoroatwpde4", &cyc, &rcpt, &em),
              AB_ENOTFOUND);

    struct store_inbox_rec r = {
        .mailbox = "imap://u@h/INBOX", .uidvalidity = 7, .uid = 1,
        .message_id = "m1@x", .received = 1796112000, .klass = "ack",
        .token = "ec73552lgvrdtflh7bm3c4isje", .issued = 1,
        .from_addr = "carol@state-a.example", .cycle_id = 1,
        .for_addr = "carol@state-a.example", .verified = 1, .excerpt = "Got it",
    };
    int dup = -1;
    CHECK_OK(store_begin(st, &em));
    CHECK_OK(store_inbox_record(st, &r, &dup, &em));
    CHECK_INT(dup, 0);
    CHECK_OK(store_inbox_progress(st, r.mailbox, 7, 1, &em));
    CHECK_OK(store_commit(st, &em));
    /* the same message again, and again after a UIDVALIDITY change */
    CHECK_OK(store_inbox_record(st, &r, &dup, &em));
    CHECK_INT(dup, 1);
    r.uidvalidity = 8;
    r.uid = 44;
    CHECK_OK(store_inbox_record(st, &r, &dup, &em));
    CHECK_INT(dup, 1);
    CHECK_INT(q1(tpath("rec.db"), "SELECT count(*) FROM acks"), 1);
    CHECK_INT(q1(tpath("rec.db"), "SELECT count(*) FROM inbox_messages"), 1);

    struct store_inbox_state s;
    CHECK_OK(store_inbox_state_get(st, r.mailbox, &s, &em));
    CHECK_INT(s.uidvalidity, 7);
    CHECK_INT(s.last_uid, 1);
    CHECK(s.last_ok == AB_TIME_NONE);
    CHECK_OK(store_inbox_attempt(st, r.mailbox, 1796112000, "connection refused", &em));
    CHECK_OK(store_inbox_state_get(st, r.mailbox, &s, &em));
    CHECK_STR(s.last_error, "connection refused");
    CHECK(s.last_ok == AB_TIME_NONE);
    ab_free(s.last_error);
    CHECK_OK(store_inbox_attempt(st, r.mailbox, 1796112060, NULL, &em));
    CHECK_OK(store_inbox_state_get(st, r.mailbox, &s, &em));
    CHECK(s.last_error == NULL);
    CHECK_INT(s.last_ok, 1796112060);

    /* a failed write inside the batch rolls the whole batch back */
    struct store_inbox_rec r2 = r;
    r2.message_id = "m2@x";
    r2.uid = 2;
    r2.uidvalidity = 7;
    CHECK_OK(store_begin(st, &em));
    CHECK_OK(store_inbox_record(st, &r2, &dup, &em));
    store_fail_after(st, 0);
    CHECK(store_inbox_progress(st, r.mailbox, 7, 2, &em) != AB_OK);
    store_fail_after(st, -1);
    store_rollback(st);
    CHECK_INT(q1(tpath("rec.db"), "SELECT count(*) FROM inbox_messages"), 1);
    store_close(st);
}

static void copy_file(const char *from, const char *to)
{
    size_t len;
    char *d = tu_read(from, &len);
    FILE *f = fopen(to, "wb");
    if (f && d)
        fwrite(d, 1, len, f);
    if (f)
        fclose(f);
    ab_free(d);
}

static int count_dir(const char *dir, const char *must)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *de;
    while (d && (de = readdir(d)))
        if (de->d_name[0] != '.' && (!must || strstr(de->d_name, must)))
            n++;
    if (d)
        closedir(d);
    return n;
}

static const char *const maildir_files[] = {
    "outlook_html_gotit.eml", "gmail_reply.eml", "apple_mail_in_reply_to.eml",
    "ooo_exchange.eml", "dsn_postfix_failed.eml", "forged_plus.eml", "ping_cron.eml",
    "unrelated_newsletter.eml", "cmd_snooze.eml", "ref_french_colleague_cp1252.eml",
};
#define NMD (sizeof maildir_files / sizeof *maildir_files)

static void fill_maildir(const char *md, const char *prefix)
{
    char p[600];
    for (size_t i = 0; i < NMD; i++) {
        char rel[128];
        snprintf(rel, sizeof rel, "mail/%s", maildir_files[i]);
        snprintf(p, sizeof p, "%s/new/%s%zu.M1P2.host", md, prefix, 1796112000 + i);
        copy_file(t_data(rel), p);
    }
}

TEST(maildir_end_to_end)
{
    const char *md = tpath("Maildir");
    char sub[600];
    mkdir(md, 0700);
    snprintf(sub, sizeof sub, "%s/new", md);
    mkdir(sub, 0700);
    snprintf(sub, sizeof sub, "%s/cur", md);
    mkdir(sub, 0700);
    snprintf(sub, sizeof sub, "%s/tmp", md);
    mkdir(sub, 0700);
    fill_maildir(md, "");
    /* a message already read by a person: cur/ with S stays untouched */
    snprintf(sub, sizeof sub, "%s/cur/1700000000.M9P9.host:2,S", md);
    copy_file(t_data("mail/gmail_reply.eml"), sub);

    store *st = fresh_store("md.db");
    CHECK(st);
    char url[600];
    snprintf(url, sizeof url, "maildir:%s", md);
    const char *ack_from[] = {"state-a.example"};
    struct cfg_inbox ib = {.enabled = 1, .url = url,
                           .reply_address = "heartbeat@example.test",
                           .ack_from = ack_from, .nack_from = 1};
    const struct inbox_ping pings[] = {{"nightly-backup", "nbk7q2x9w4m3k8p5v6"}};
    struct inbox_env env = {.pings = pings, .npings = 1, .batch = 3};
    struct inbox_poll_stats stats;
    ab_errmsg em = {{0}};
    CHECK_OK(inbox_poll(&ib, &env, st, 1796115600, &stats, &em));
    CHECK_INT(stats.fetched, NMD);
    CHECK_INT(stats.counts[INBOX_ACK], 5);
    CHECK_INT(stats.counts[INBOX_AUTOREPLY], 1);
    CHECK_INT(stats.counts[INBOX_BOUNCE], 1);
    CHECK_INT(stats.counts[INBOX_FORGED], 1);
    CHECK_INT(stats.counts[INBOX_PING], 1);
    CHECK_INT(stats.counts[INBOX_UNRELATED], 1);
    CHECK_INT(stats.ncmds, 1);
    CHECK_INT(stats.cmds[0].cmd, INBOX_CMD_SNOOZE);
    CHECK_INT(stats.cmds[0].snooze, 172800);
    CHECK_INT(stats.cmds[0].allowed, 1);
    inbox_poll_stats_free(&stats);

    const char *db = tpath("md.db");
    CHECK_INT(q1(db, "SELECT count(*) FROM acks"), 5);
    CHECK_INT(q1(db, "SELECT count(*) FROM acks WHERE by_addr='paul@state-a.example' "
                     "AND for_addr='carol@state-a.example' AND verified=1"), 1);
    CHECK_INT(q1(db, "SELECT count(*) FROM tokens WHERE bounced_at IS NOT NULL"), 1);
    CHECK_INT(q1(db, "SELECT count(*) FROM recipients WHERE address='gone@example.test' "
                     "AND bounced_at IS NOT NULL"), 1);
    CHECK_INT(q1(db, "SELECT count(*) FROM tokens WHERE autoreply_at IS NOT NULL"), 1);
    CHECK_INT(q1(db, "SELECT count(*) FROM pings WHERE check_name='nightly-backup' "
                     "AND via='email'"), 1);
    CHECK_INT(q1(db, "SELECT count(*) FROM inbox_messages WHERE detail LIKE "
                     "'%cmd=snooze:172800%'"), 1);
    CHECK_INT(q1(db, "SELECT count(*) FROM inbox_state WHERE last_ok IS NOT NULL "
                     "AND last_error IS NULL"), 1);
    snprintf(sub, sizeof sub, "%s/new", md);
    CHECK_INT(count_dir(sub, NULL), 0);
    snprintf(sub, sizeof sub, "%s/cur", md);
    CHECK_INT(count_dir(sub, ":2,S"), (int)NMD + 1);

    /* Nothing new: nothing counted. */
    CHECK_OK(inbox_poll(&ib, &env, st, 1796115700, &stats, &em));
    CHECK_INT(stats.fetched, 0);
    inbox_poll_stats_free(&stats);

    /* The same messages delivered again under new names (a restore, a
     * second copy): read, recognised by Message-ID, counted zero times. */
    fill_maildir(md, "x");
    CHECK_OK(inbox_poll(&ib, &env, st, 1796115800, &stats, &em));
    CHECK_INT(stats.fetched, NMD);
    CHECK_INT(stats.duplicates, NMD);
    CHECK_INT(stats.counts[INBOX_ACK], 0);
    inbox_poll_stats_free(&stats);
    CHECK_INT(q1(db, "SELECT count(*) FROM acks"), 5);
    CHECK_INT(q1(db, "SELECT count(*) FROM pings"), 1);

    /* An unreadable mailbox is recorded as such for the engine. */
    struct cfg_inbox bad = ib;
    bad.url = "maildir:/nonexistent/ackbeat-test";
    CHECK(inbox_poll(&bad, &env, st, 1796115900, &stats, &em) != AB_OK);
    inbox_poll_stats_free(&stats);
    CHECK_INT(q1(db, "SELECT count(*) FROM inbox_state WHERE last_error LIKE "
                     "'%not a Maildir%' AND last_ok IS NULL"), 1);
    store_close(st);
}

static void make_maildir(const char *md)
{
    char sub[600];
    mkdir(md, 0700);
    const char *subs[] = {"new", "cur", "tmp"};
    for (int i = 0; i < 3; i++) {
        snprintf(sub, sizeof sub, "%s/%s", md, subs[i]);
        mkdir(sub, 0700);
    }
}

static int is_dir(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/*
 * move-to on a Maildir: Maildir++ folders, made when missing, the
 * message renamed into the folder's cur/ with its flags plus S, only
 * after the store committed: a poll killed before the commit leaves every
 * file where it was, and a move that fails after the commit leaves the
 * messages unread in place, recorded once, moved by the next poll.
 */
TEST(maildir_move_to_folder)
{
    const char *md = tpath("MaildirMove");
    char sub[700], url[600];
    make_maildir(md);
    fill_maildir(md, "");
    /* unread in cur/, flagged by a person: the F stays */
    snprintf(sub, sizeof sub, "%s/cur/1796000000.M1P1.host:2,F", md);
    copy_file(t_data("mail/cmd_dismiss.eml"), sub);
    snprintf(url, sizeof url, "maildir:%s", md);
    const char *ack_from[] = {"state-a.example"};
    struct cfg_inbox ib = {.enabled = 1, .url = url,
                           .reply_address = "heartbeat@example.test",
                           .ack_from = ack_from, .nack_from = 1,
                           .move_to = "Archive.Best\xc3\xa4tigt"};
    const struct inbox_ping pings[] = {{"nightly-backup", "nbk7q2x9w4m3k8p5v6"}};
    struct inbox_env env = {.pings = pings, .npings = 1, .batch = 4};
    struct inbox_poll_stats stats;
    ab_errmsg em = {{0}};
    store *st = fresh_store("mv.db");
    CHECK(st);
    const char *db = tpath("mv.db");

    /* 1. killed between fetch and store: nothing recorded, nothing moved */
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        setenv("AB_TEST_CRASH_AFTER_FETCH", "kill", 1);
        struct inbox_poll_stats cs;
        ab_errmsg cem;
        enum ab_err ce = inbox_poll(&ib, &env, st, 1796115600, &cs, &cem);
        _exit(ce == AB_OK ? 0 : 1); /* not reached: the seam kills the process */
    }
    int status = 0;
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    CHECK_INT(q1(db, "SELECT count(*) FROM inbox_messages"), 0);
    snprintf(sub, sizeof sub, "%s/new", md);
    CHECK_INT(count_dir(sub, NULL), (int)NMD);
    snprintf(sub, sizeof sub, "%s/.Archive.Best&AOQ-tigt", md);
    CHECK(!is_dir(sub));

    /* 2. the move fails after the commit (a file where the folder goes):
     * recorded once, left unread where they were */
    FILE *f = fopen(sub, "w");
    CHECK(f);
    fclose(f);
    CHECK_OK(inbox_poll(&ib, &env, st, 1796115600, &stats, &em));
    CHECK_INT(stats.fetched, NMD + 1);
    CHECK_INT(stats.duplicates, 0);
    CHECK_INT(stats.counts[INBOX_ACK], 6);
    inbox_poll_stats_free(&stats);
    CHECK_INT(q1(db, "SELECT count(*) FROM inbox_messages"), (long long)NMD + 1);
    snprintf(sub, sizeof sub, "%s/new", md);
    CHECK_INT(count_dir(sub, NULL), (int)NMD);
    snprintf(sub, sizeof sub, "%s/cur", md);
    CHECK_INT(count_dir(sub, ":2,F"), 1);

    /* 3. the obstacle gone: read again, counted zero times, moved */
    snprintf(sub, sizeof sub, "%s/.Archive.Best&AOQ-tigt", md);
    CHECK(unlink(sub) == 0);
    CHECK_OK(inbox_poll(&ib, &env, st, 1796115700, &stats, &em));
    CHECK_INT(stats.fetched, NMD + 1);
    CHECK_INT(stats.duplicates, NMD + 1);
    CHECK_INT(stats.counts[INBOX_ACK], 0);
    inbox_poll_stats_free(&stats);
    CHECK_INT(q1(db, "SELECT count(*) FROM inbox_messages"), (long long)NMD + 1);
    CHECK_INT(q1(db, "SELECT count(*) FROM acks"), 6);
    snprintf(sub, sizeof sub, "%s/new", md);
    CHECK_INT(count_dir(sub, NULL), 0);
    snprintf(sub, sizeof sub, "%s/cur", md);
    CHECK_INT(count_dir(sub, NULL), 0);
    /* the folder, as Dovecot and Courier lay it out */
    const char *parts[] = {"new", "tmp", "cur"};
    for (int i = 0; i < 3; i++) {
        snprintf(sub, sizeof sub, "%s/.Archive.Best&AOQ-tigt/%s", md, parts[i]);
        CHECK(is_dir(sub));
    }
    snprintf(sub, sizeof sub, "%s/.Archive.Best&AOQ-tigt/maildirfolder", md);
    CHECK(access(sub, F_OK) == 0);
    snprintf(sub, sizeof sub, "%s/.Archive.Best&AOQ-tigt/cur", md);
    CHECK_INT(count_dir(sub, ":2,S"), (int)NMD);
    CHECK_INT(count_dir(sub, "1796000000.M1P1.host:2,FS"), 1);
    snprintf(sub, sizeof sub, "%s/.Archive.Best&AOQ-tigt/new", md);
    CHECK_INT(count_dir(sub, NULL), 0);

    /* 4. nothing left to read; the folder is not read */
    CHECK_OK(inbox_poll(&ib, &env, st, 1796115800, &stats, &em));
    CHECK_INT(stats.fetched, 0);
    inbox_poll_stats_free(&stats);

    /* 5. "INBOX." is the Maildir itself (Courier's names): same folder */
    fill_maildir(md, "y");
    ib.move_to = "INBOX.Archive.Best\xc3\xa4tigt";
    CHECK_OK(inbox_poll(&ib, &env, st, 1796115900, &stats, &em));
    CHECK_INT(stats.duplicates, NMD);
    inbox_poll_stats_free(&stats);
    snprintf(sub, sizeof sub, "%s/.Archive.Best&AOQ-tigt/cur", md);
    CHECK_INT(count_dir(sub, ":2,S"), 2 * (int)NMD);
    store_close(st);
}

TEST(maildir_move_to_refuses_names_outside_the_maildir)
{
    const char *md = tpath("MaildirBad");
    char url[600], sub[700];
    make_maildir(md);
    snprintf(url, sizeof url, "maildir:%s", md);
    struct cfg_inbox ib = {.enabled = 1, .url = url};
    const char *bad[] = {"../evil", "a/b", ".Done", "Done.", "Done..x", "INBOX", "INBOX.",
                         "Nope\xff"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        snprintf(sub, sizeof sub, "%s/new/17960000%02zu.M1P1.host", md, i);
        copy_file(t_data("mail/gmail_reply.eml"), sub);
        void *h = NULL;
        uint32_t uv;
        uint64_t *ids = NULL;
        size_t n = 0;
        ab_errmsg em = {{0}};
        CHECK_OK(inbox_reader_maildir.open(&ib, NULL, &h, &em));
        CHECK_OK(inbox_reader_maildir.select(h, &uv, &em));
        CHECK_OK(inbox_reader_maildir.list(h, 0, &ids, &n, &em));
        CHECK_INT(n, i + 1);
        enum ab_err e = inbox_reader_maildir.done(h, ids, n, bad[i], &em);
        ab_free(ids);
        inbox_reader_maildir.close(h);
        if (e == AB_OK)
            printf("  move-to \"%s\" was accepted\n", bad[i]);
        CHECK(e != AB_OK);
        CHECK(strstr(em.text, "move-to") || strstr(em.text, "invalid UTF-8"));
        snprintf(sub, sizeof sub, "%s/new", md);
        CHECK_INT(count_dir(sub, NULL), (int)i + 1); /* nothing moved */
    }
    /* and nothing was made outside it */
    snprintf(sub, sizeof sub, "%s/../.evil", md);
    CHECK(!is_dir(sub));
    snprintf(sub, sizeof sub, "%s/../evil", md);
    CHECK(!is_dir(sub));
}

TEST(state_key_hides_the_password)
{
    char k[256];
    struct cfg_inbox ib = {.url = "imap://bob:secret@127.0.0.1:1143/INBOX"};
    inbox_state_key(&ib, k, sizeof k);
    CHECK_STR(k, "imap://bob@127.0.0.1:1143/INBOX");
    ib.url = "imaps://127.0.0.1:1993/Replies";
    ib.username = "heartbeat";
    inbox_state_key(&ib, k, sizeof k);
    CHECK_STR(k, "imaps://heartbeat@127.0.0.1:1993/Replies");
    ib.url = "maildir:/var/mail/x";
    inbox_state_key(&ib, k, sizeof k);
    CHECK_STR(k, "maildir:/var/mail/x");
}
