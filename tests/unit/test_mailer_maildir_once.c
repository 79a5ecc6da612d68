/*
 * test_mailer_maildir_once.c - the maildir: transport delivers a message
 * once, however often it is asked: the file is named by the Message-ID,
 * so the retry after a SIGKILL between the delivery and the outbox's
 * "sent" finds it (in new/, or in cur/ once a reader moved it there) and
 * adds no copy.  Our leftovers in tmp/ are removed when it opens; other
 * writers' files and fresh ones are left alone.
 */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

#include "harness.h"
#include "mailer/mail.h"
#include "test_mailer_fake.h"

#define T_NOW 1796112000

static const char MSG[] = "From: ackbeat@example.test\r\nTo: alice@example.test\r\n"
                          "Message-ID: <x1@example.test>\r\nSubject: t\r\n\r\nbody\r\n";

static int count(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *de;
    while (d && (de = readdir(d)))
        n += de->d_name[0] != '.';
    if (d)
        closedir(d);
    return d ? n : -1;
}

static int send_one(const char *url, const char *msgid)
{
    static const char *const rcpts[] = {"alice@example.test"};
    struct mail_envelope env = {.sender = "ackbeat@example.test", .rcpts = rcpts,
                                .nrcpts = 1, .all_rcpts = 1, .data = MSG,
                                .len = sizeof MSG - 1, .message_id = msgid};
    struct cfg_mail mc = test_mail_cfg(url);
    mail_transport *t;
    struct mail_rcpt_result res[1];
    if (mail_transport_open(&mc, T_NOW, &t, NULL) != AB_OK)
        return -1;
    enum ab_err e = mail_transport_send(t, &env, res, NULL);
    mail_transport_free(t);
    return e == AB_OK && res[0].err == AB_OK ? 0 : -1;
}

TEST(maildir_delivers_a_message_id_once)
{
    char dir[600], url[700], sub[800];
    snprintf(dir, sizeof dir, "%s/once", t_tmpdir());
    snprintf(url, sizeof url, "maildir:%s", dir);
    CHECK_OK(send_one(url, "<x1@example.test>"));
    CHECK_OK(send_one(url, "<x1@example.test>")); /* the retry after a kill */
    snprintf(sub, sizeof sub, "%s/new", dir);
    CHECK_INT(count(sub), 1);
    CHECK_OK(send_one(url, "<x2@example.test>")); /* another message: a file */
    CHECK_INT(count(sub), 2);

    /* A reader moved the first one to cur/ and marked it seen. */
    DIR *d = opendir(sub);
    CHECK(d != NULL);
    struct dirent *de;
    char moved[1200] = "", from[1200];
    while ((de = readdir(d)))
        if (de->d_name[0] != '.' && !moved[0]) {
            snprintf(from, sizeof from, "%s/%s", sub, de->d_name);
            snprintf(moved, sizeof moved, "%s/cur/%s:2,S", dir, de->d_name);
        }
    closedir(d);
    CHECK(rename(from, moved) == 0);
    CHECK_OK(send_one(url, "<x1@example.test>"));
    CHECK_OK(send_one(url, "<x2@example.test>"));
    CHECK_INT(count(sub), 1);
    snprintf(sub, sizeof sub, "%s/cur", dir);
    CHECK_INT(count(sub), 1);
    snprintf(sub, sizeof sub, "%s/tmp", dir);
    CHECK_INT(count(sub), 0);
}

TEST(maildir_removes_its_own_tmp_leftovers_at_open)
{
    char dir[600], url[700], p[900];
    snprintf(dir, sizeof dir, "%s/leftover", t_tmpdir());
    snprintf(url, sizeof url, "maildir:%s", dir);
    CHECK_OK(send_one(url, "<first@example.test>")); /* makes the folders */
    const char *names[] = {"ab0123456789abcdef.host", "ab-fresh.host", "1796112000.M1P2.other"};
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/tmp/%s", dir, names[i]);
        FILE *f = fopen(p, "w");
        CHECK(f != NULL);
        fputs("half a message", f);
        fclose(f);
        if (i != 1) { /* a crash's leftover is old; a write in progress is not */
            struct utimbuf ut = {time(NULL) - 3600, time(NULL) - 3600};
            CHECK(utime(p, &ut) == 0);
        }
    }
    CHECK_OK(send_one(url, "<second@example.test>"));
    snprintf(p, sizeof p, "%s/tmp/%s", dir, names[0]);
    CHECK(access(p, F_OK) != 0); /* ours, old: gone */
    snprintf(p, sizeof p, "%s/tmp/%s", dir, names[1]);
    CHECK(access(p, F_OK) == 0); /* ours, fresh: kept */
    snprintf(p, sizeof p, "%s/tmp/%s", dir, names[2]);
    CHECK(access(p, F_OK) == 0); /* another writer's: kept */
}

/* Killed between the link into new/ and the unlink of tmp/: the retry
 * finds the message delivered and removes its tmp/ twin at once. */
TEST(maildir_retry_after_a_kill_past_the_link_leaves_no_tmp_twin)
{
    char dir[600], url[700], sub[800], p[1400];
    snprintf(dir, sizeof dir, "%s/twin", t_tmpdir());
    snprintf(url, sizeof url, "maildir:%s", dir);
    CHECK_OK(send_one(url, "<twin@example.test>"));
    snprintf(sub, sizeof sub, "%s/new", dir);
    DIR *d = opendir(sub);
    CHECK(d != NULL);
    struct dirent *de;
    char name[600] = "";
    while ((de = readdir(d)))
        if (de->d_name[0] != '.')
            snprintf(name, sizeof name, "%s", de->d_name);
    closedir(d);
    CHECK(name[0]);
    char from[1400];
    snprintf(from, sizeof from, "%s/%s", sub, name);
    snprintf(p, sizeof p, "%s/tmp/%s", dir, name);
    CHECK(link(from, p) == 0); /* the state a kill right after link() leaves */
    CHECK_OK(send_one(url, "<twin@example.test>"));
    CHECK(access(p, F_OK) != 0);
    CHECK_INT(count(sub), 1);
}
