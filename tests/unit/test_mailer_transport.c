/*
 * test_mailer_transport.c - choosing and configuring transports (URL and
 * option errors, secrets kept out of messages), maildir: (files, names,
 * atomic delivery) and sendmail: (arguments, stdin, exit codes,
 * timeouts) against a fake sendmail script.  smtp:// is in
 * test_mailer_smtp.c.
 */
#include <dirent.h>
#include <sys/stat.h>
#include <time.h>

#include "common/ab_buf.h"
#include "harness.h"
#include "mailer/mail.h"
#include "mailer/mail_int.h"
#include "test_mailer_fake.h"

#define T_NOW 1796112000

static const char MSG[] = "From: ackbeat@example.test\r\n"
                          "To: alice@example.test, bob@example.test\r\n"
                          "Subject: test\r\n"
                          "\r\n"
                          "line one\r\n"
                          ".leading dot\r\n"
                          "last line\r\n";
static const char MSG_LF[] = "From: ackbeat@example.test\n"
                             "To: alice@example.test, bob@example.test\n"
                             "Subject: test\n"
                             "\n"
                             "line one\n"
                             ".leading dot\n"
                             "last line\n";

static struct mail_envelope env2(void)
{
    static const char *const rcpts[] = {"alice@example.test", "bob@example.test"};
    struct mail_envelope e = {
        .sender = "ackbeat@example.test",
        .rcpts = rcpts,
        .nrcpts = 2,
        .all_rcpts = 1,
        .data = MSG,
        .len = sizeof MSG - 1,
    };
    return e;
}

/* Names of the regular files in dir (at most 16); returns the count. */
static int list_dir(const char *dir, char names[][256])
{
    DIR *d = opendir(dir);
    int n = 0;
    if (!d)
        return -1;
    struct dirent *de;
    while ((de = readdir(d)) && n < 16)
        if (de->d_name[0] != '.')
            snprintf(names[n++], 256, "%s", de->d_name);
    closedir(d);
    return n;
}

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- maildir -------------------------------------------------------- */

TEST(maildir_delivers_one_file_per_message)
{
    char url[600], dir[600];
    snprintf(dir, sizeof dir, "%s/deep/er/md1", t_tmpdir()); /* parents made too */
    snprintf(url, sizeof url, "maildir:%s", dir);
    struct cfg_mail mc = test_mail_cfg(url);
    mail_transport *t;
    CHECK_OK(mail_transport_open(&mc, T_NOW, &t, NULL));
    CHECK_STR(mail_transport_describe(t), url);
    struct mail_envelope env = env2();
    struct mail_rcpt_result res[2];
    CHECK_OK(mail_transport_send(t, &env, res, NULL));
    CHECK_INT(res[0].err, AB_OK);
    CHECK_INT(res[1].err, AB_OK);
    CHECK_OK(mail_transport_send(t, &env, res, NULL));
    mail_transport_free(t);

    char names[16][256], sub[700];
    snprintf(sub, sizeof sub, "%s/new", dir);
    CHECK_INT(list_dir(sub, names), 2);
    CHECK(strcmp(names[0], names[1]) != 0);
    /* TIME.M<usec>P<pid>Q<n>R<rand>.HOST */
    char prefix[32];
    snprintf(prefix, sizeof prefix, "%d.M", T_NOW);
    CHECK(strncmp(names[0], prefix, strlen(prefix)) == 0);
    CHECK_CONTAINS(names[0], "P");
    CHECK_CONTAINS(names[0], "Q");
    snprintf(sub, sizeof sub, "%s/tmp", dir);
    CHECK_INT(list_dir(sub, names), 0);
    snprintf(sub, sizeof sub, "%s/cur", dir);
    CHECK_INT(list_dir(sub, names), 0);

    snprintf(sub, sizeof sub, "%s/new", dir);
    list_dir(sub, names);
    char file[1200];
    snprintf(file, sizeof file, "%s/new/%s", dir, names[0]);
    size_t len;
    char *body = slurp(file, &len);
    CHECK(body != NULL);
    /* The final delivery records the envelope sender first (RFC 5321
     * 4.4), then the message as it was, in LF. */
    static const char rp[] = "Return-Path: <ackbeat@example.test>\n";
    int same = len == sizeof rp - 1 + sizeof MSG_LF - 1 &&
               memcmp(body, rp, sizeof rp - 1) == 0 &&
               memcmp(body + sizeof rp - 1, MSG_LF, sizeof MSG_LF - 1) == 0;
    free(body);
    CHECK(same);
    struct stat sb;
    CHECK(stat(file, &sb) == 0);
    CHECK_INT(sb.st_mode & 0777, 0600);
}

/* A VERP envelope sender is what the file's Return-Path says, and the
 * message itself carries none of its own. */
TEST(maildir_return_path_is_the_envelope_sender)
{
    char url[600], dir[600];
    snprintf(dir, sizeof dir, "%s/md-verp", t_tmpdir());
    snprintf(url, sizeof url, "maildir:%s", dir);
    struct cfg_mail mc = test_mail_cfg(url);
    mail_transport *t;
    CHECK_OK(mail_transport_open(&mc, T_NOW, &t, NULL));
    struct mail_envelope env = env2();
    env.sender = "heartbeat+abcdefghijklmnopqrstuvwxyz@example.test";
    struct mail_rcpt_result res[2];
    CHECK_OK(mail_transport_send(t, &env, res, NULL));
    mail_transport_free(t);
    char names[16][256], sub[700], file[1200];
    snprintf(sub, sizeof sub, "%s/new", dir);
    CHECK_INT(list_dir(sub, names), 1);
    snprintf(file, sizeof file, "%s/%s", sub, names[0]);
    size_t len;
    char *body = slurp(file, &len);
    CHECK(body != NULL);
    static const char rp[] =
        "Return-Path: <heartbeat+abcdefghijklmnopqrstuvwxyz@example.test>\nFrom: ";
    int first = strncmp(body, rp, sizeof rp - 1) == 0;
    int once = strstr(body + 1, "Return-Path:") == NULL;
    free(body);
    CHECK(first);
    CHECK(once);
}

TEST(maildir_failure_is_temporary)
{
    struct cfg_mail mc = test_mail_cfg("maildir:/dev/null/nope");
    mail_transport *t;
    CHECK_OK(mail_transport_open(&mc, T_NOW, &t, NULL));
    struct mail_envelope env = env2();
    struct mail_rcpt_result res[2];
    ab_errmsg em;
    CHECK_INT(mail_transport_send(t, &env, res, &em), AB_ETEMPFAIL);
    CHECK_INT(res[0].err, AB_ETEMPFAIL);
    CHECK_INT(res[1].err, AB_ETEMPFAIL);
    CHECK_CONTAINS(res[1].detail, "/dev/null/nope");
    CHECK_CONTAINS(em.text, "/dev/null/nope");
    mail_transport_free(t);
}

/* ---- configuration errors ------------------------------------------ */

TEST(bad_transport_urls)
{
    ab_errmsg em;
    mail_transport *t = NULL;
    struct cfg_mail mc = test_mail_cfg("ftp://example.test");
    CHECK_INT(mail_transport_open(&mc, T_NOW, &t, &em), AB_ECONFIG);
    CHECK_CONTAINS(em.text, "unknown kind");

    mc = test_mail_cfg("smtp://user:hunter2@127.0.0.1:25");
    CHECK_INT(mail_transport_open(&mc, T_NOW, &t, &em), AB_ECONFIG);
    CHECK_CONTAINS(em.text, "credentials");
    CHECK(strstr(em.text, "hunter2") == NULL);

    mc = test_mail_cfg("fancy://user:hunter2@127.0.0.1:25");
    CHECK_INT(mail_transport_open(&mc, T_NOW, &t, &em), AB_ECONFIG);
    CHECK(strstr(em.text, "hunter2") == NULL);

    mc = test_mail_cfg("smtp://127.0.0.1:25?auth=cram-md5");
    CHECK_INT(mail_transport_open(&mc, T_NOW, &t, &em), AB_ECONFIG);
    CHECK_CONTAINS(em.text, "auth=plain");

    mc = test_mail_cfg("smtps://127.0.0.1:465");
    mc.tls = CFG_TLS_NONE;
    CHECK_INT(mail_transport_open(&mc, T_NOW, &t, &em), AB_ECONFIG);

    mc = test_mail_cfg("smtp://127.0.0.1:25/bad helo");
    CHECK_INT(mail_transport_open(&mc, T_NOW, &t, &em), AB_ECONFIG);

    mc = test_mail_cfg("smtp://127.0.0.1:25");
    mc.username = "alice";
    CHECK_INT(mail_transport_open(&mc, T_NOW, &t, &em), AB_ECONFIG);
    CHECK_CONTAINS(em.text, "password");

    mc = test_mail_cfg("smtp://127.0.0.1:25");
    mc.username = "alice";
    mc.password.env = "AB_TEST_NO_SUCH_VARIABLE";
    CHECK(mail_transport_open(&mc, T_NOW, &t, &em) != AB_OK);
    CHECK_CONTAINS(em.text, "AB_TEST_NO_SUCH_VARIABLE");

    mc = test_mail_cfg("sendmail:usr/sbin/sendmail");
    CHECK_INT(mail_transport_open(&mc, T_NOW, &t, &em), AB_ECONFIG);
    mc = test_mail_cfg("maildir:");
    CHECK_INT(mail_transport_open(&mc, T_NOW, &t, &em), AB_ECONFIG);
    mc = test_mail_cfg(NULL);
    CHECK_INT(mail_transport_open(&mc, T_NOW, &t, &em), AB_ECONFIG);
    CHECK(t == NULL);

    mc = test_mail_cfg("smtp://127.0.0.1:2525/client.test?auth=login");
    CHECK_OK(mail_transport_open(&mc, T_NOW, &t, &em));
    CHECK_STR(mail_transport_describe(t), "smtp://127.0.0.1:2525/client.test");
    mail_transport_free(t);
    mail_transport_free(NULL);
}

TEST(bad_envelope_address_is_permanent)
{
    char url[600];
    snprintf(url, sizeof url, "maildir:%s/md-bad", t_tmpdir());
    struct cfg_mail mc = test_mail_cfg(url);
    mail_transport *t;
    CHECK_OK(mail_transport_open(&mc, T_NOW, &t, NULL));
    static const char *const rcpts[] = {"not an address"};
    struct mail_envelope env = env2();
    env.rcpts = rcpts;
    env.nrcpts = 1;
    struct mail_rcpt_result res[1];
    CHECK_OK(mail_transport_send(t, &env, res, NULL));
    CHECK_INT(res[0].err, AB_EPERMFAIL);
    CHECK_CONTAINS(res[0].detail, "not an address");
    mail_transport_free(t);
}

/* ---- sendmail ------------------------------------------------------- */

/* A fake sendmail: records its arguments and input, then behaves as the
 * file BEHAVIOUR says ("exit N", "sleep", "noread N"). */
static const char *make_fake_sendmail(void)
{
    static char path[600];
    snprintf(path, sizeof path, "%s/fake-sendmail", t_tmpdir());
    FILE *f = fopen(path, "w");
    if (!f)
        return NULL;
    fprintf(f,
            "#!/bin/sh\n"
            "d=%s\n"
            "b=$(cat $d/behaviour 2>/dev/null)\n"
            "printf '%%s\\n' \"$@\" > $d/sendmail.args\n"
            "case $b in\n"
            "  sleep) exec sleep 30 ;;\n"
            "  noread*) echo 'refusing: no input read' >&2; exit ${b#noread } ;;\n"
            "esac\n"
            "cat > $d/sendmail.stdin\n"
            "case $b in\n"
            "  exit*) echo 'sendmail: said something' >&2; exit ${b#exit } ;;\n"
            "esac\n"
            "exit 0\n",
            t_tmpdir());
    fclose(f);
    chmod(path, 0755);
    return path;
}

static void set_behaviour(const char *b)
{
    char p[600];
    snprintf(p, sizeof p, "%s/behaviour", t_tmpdir());
    FILE *f = fopen(p, "w");
    if (f) {
        fputs(b, f);
        fclose(f);
    }
}

static char *tmp_file(const char *name)
{
    char p[600];
    snprintf(p, sizeof p, "%s/%s", t_tmpdir(), name);
    return slurp(p, NULL);
}

TEST(sendmail_pipes_with_t_and_i)
{
    const char *sm = make_fake_sendmail();
    CHECK(sm != NULL);
    set_behaviour("ok");
    char url[700];
    snprintf(url, sizeof url, "sendmail:%s", sm);
    struct cfg_mail mc = test_mail_cfg(url);
    mail_transport *t;
    CHECK_OK(mail_transport_open(&mc, T_NOW, &t, NULL));
    struct mail_envelope env = env2();
    struct mail_rcpt_result res[2];
    CHECK_OK(mail_transport_send(t, &env, res, NULL));
    CHECK_INT(res[0].err, AB_OK);
    CHECK_INT(res[1].err, AB_OK);
    char *args = tmp_file("sendmail.args"), *in = tmp_file("sendmail.stdin");
    int args_ok = args && strcmp(args, "-i\n-f\nackbeat@example.test\n-t\n") == 0;
    int in_ok = in && strcmp(in, MSG_LF) == 0;
    free(args);
    free(in);
    CHECK(args_ok);
    CHECK(in_ok);

    /* Only some recipients left: named on the command line, no -t. */
    env.all_rcpts = 0;
    env.nrcpts = 1;
    env.rcpts = (const char *const[]){"bob@example.test"};
    CHECK_OK(mail_transport_send(t, &env, res, NULL));
    CHECK_INT(res[0].err, AB_OK);
    args = tmp_file("sendmail.args");
    args_ok = args && strcmp(args, "-i\n-f\nackbeat@example.test\n--\nbob@example.test\n") == 0;
    free(args);
    CHECK(args_ok);
    mail_transport_free(t);
}

TEST(sendmail_exit_codes)
{
    const char *sm = make_fake_sendmail();
    char url[700];
    snprintf(url, sizeof url, "sendmail:%s", sm);
    struct cfg_mail mc = test_mail_cfg(url);
    mail_transport *t;
    CHECK_OK(mail_transport_open(&mc, T_NOW, &t, NULL));
    struct mail_envelope env = env2();
    struct mail_rcpt_result res[2];

    set_behaviour("exit 75");
    CHECK_OK(mail_transport_send(t, &env, res, NULL));
    CHECK_INT(res[0].err, AB_ETEMPFAIL);
    CHECK_INT(res[1].err, AB_ETEMPFAIL);
    CHECK_CONTAINS(res[0].detail, "exited with 75");
    CHECK_CONTAINS(res[0].detail, "said something");

    set_behaviour("exit 67");
    CHECK_OK(mail_transport_send(t, &env, res, NULL));
    CHECK_INT(res[0].err, AB_EPERMFAIL);
    CHECK_CONTAINS(res[1].detail, "exited with 67");

    /* Exits before reading a large message: no SIGPIPE death here. */
    set_behaviour("noread 75");
    ab_buf big;
    ab_buf_init(&big, 0);
    CHECK_OK(ab_buf_append(&big, MSG, sizeof MSG - 1));
    for (int i = 0; i < 20000; i++)
        CHECK_OK(ab_buf_puts(&big, "0123456789012345678901234567890123456789\r\n"));
    env.data = big.data;
    env.len = big.len;
    CHECK_OK(mail_transport_send(t, &env, res, NULL));
    CHECK_INT(res[0].err, AB_ETEMPFAIL);
    CHECK_CONTAINS(res[0].detail, "no input read");
    ab_buf_free(&big);
    mail_transport_free(t);
}

TEST(sendmail_missing_or_hanging)
{
    struct cfg_mail mc = test_mail_cfg("sendmail:/nonexistent/sendmail");
    mail_transport *t;
    CHECK_OK(mail_transport_open(&mc, T_NOW, &t, NULL));
    struct mail_envelope env = env2();
    struct mail_rcpt_result res[2];
    ab_errmsg em;
    CHECK_INT(mail_transport_send(t, &env, res, &em), AB_ETEMPFAIL);
    CHECK_CONTAINS(em.text, "cannot run /nonexistent/sendmail");
    CHECK_CONTAINS(res[0].detail, "cannot run");
    CHECK_INT(res[1].err, AB_ETEMPFAIL);
    mail_transport_free(t);

    const char *sm = make_fake_sendmail();
    set_behaviour("sleep");
    char url[700];
    snprintf(url, sizeof url, "sendmail:%s", sm);
    mc = test_mail_cfg(url);
    mc.timeout = 1;
    CHECK_OK(mail_transport_open(&mc, T_NOW, &t, NULL));
    double t0 = mono_now();
    CHECK_INT(mail_transport_send(t, &env, res, &em), AB_ETEMPFAIL);
    CHECK(mono_now() - t0 < 5);
    CHECK_CONTAINS(em.text, "did not finish");
    mail_transport_free(t);
}

TEST(crlf_to_lf_and_oneline)
{
    ab_buf b;
    ab_buf_init(&b, 0);
    CHECK_OK(mail_crlf_to_lf(&b, "a\r\nb\rc\n\r\n", 9));
    CHECK_STR(ab_buf_str(&b), "a\nb\rc\n\n");
    ab_buf_free(&b);
    char out[32];
    mail_oneline(out, sizeof out, "  550-5.1.1 one\r\n550 5.1.1 two\r\n", 100);
    CHECK_STR(out, "550-5.1.1 one 550 5.1.1 two");
    mail_oneline(out, 8, "abcdefghijkl", 12);
    CHECK_STR(out, "abcdefg");
}
