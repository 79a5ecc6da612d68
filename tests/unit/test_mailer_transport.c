/*
 * test_mailer_transport.c - the transports: maildir: (files, names,
 * atomic delivery), sendmail: (arguments, stdin, exit codes, timeouts)
 * against a fake sendmail script, and smtp:// against the scripted fake
 * server for what a real server will not do on demand: 550 for one of
 * two recipients, 451/452, garbage, a server that hangs after its
 * banner, AUTH PLAIN and LOGIN, connection reuse.
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
    int same = len == sizeof MSG_LF - 1 && memcmp(body, MSG_LF, len) == 0;
    free(body);
    CHECK(same);
    struct stat sb;
    CHECK(stat(file, &sb) == 0);
    CHECK_INT(sb.st_mode & 0777, 0600);
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

/* ---- SMTP classification -------------------------------------------- */

TEST(smtp_reply_classification)
{
    int session;
    CHECK_INT(mail_smtp_classify(0, 250, MAIL_STAGE_DATA, &session), AB_OK);
    CHECK_INT(session, 0);
    CHECK_INT(mail_smtp_classify(55, 550, MAIL_STAGE_RCPT, &session), AB_EPERMFAIL);
    CHECK_INT(session, 0);
    CHECK_INT(mail_smtp_classify(55, 553, MAIL_STAGE_MAIL, &session), AB_EPERMFAIL);
    CHECK_INT(mail_smtp_classify(8, 554, MAIL_STAGE_DATA, &session), AB_EPERMFAIL);
    CHECK_INT(mail_smtp_classify(55, 452, MAIL_STAGE_RCPT, &session), AB_ETEMPFAIL);
    CHECK_INT(session, 0);
    CHECK_INT(mail_smtp_classify(8, 451, MAIL_STAGE_DATA, &session), AB_ETEMPFAIL);
    CHECK_INT(session, 0);
    /* Not about the message: the session. */
    CHECK_INT(mail_smtp_classify(7, 0, MAIL_STAGE_SESSION, &session), AB_ETEMPFAIL);
    CHECK_INT(session, 1);
    CHECK_INT(mail_smtp_classify(67, 535, MAIL_STAGE_SESSION, &session), AB_ETEMPFAIL);
    CHECK_INT(session, 1);
    CHECK_INT(mail_smtp_classify(55, 530, MAIL_STAGE_MAIL, &session), AB_ETEMPFAIL);
    CHECK_INT(session, 1);
    CHECK_INT(mail_smtp_classify(55, 421, MAIL_STAGE_RCPT, &session), AB_ETEMPFAIL);
    CHECK_INT(session, 1);
    CHECK_INT(mail_smtp_classify(8, 554, MAIL_STAGE_SESSION, &session), AB_ETEMPFAIL);
    CHECK_INT(session, 1);
    CHECK_INT(mail_smtp_classify(28, 354, MAIL_STAGE_DATA, &session), AB_ETEMPFAIL);
    CHECK_INT(session, 1);
}

/* ---- SMTP against the fake server ----------------------------------- */

static mail_transport *open_fake(struct fake *f, struct cfg_mail *mc, char *url, size_t n)
{
    snprintf(url, n, "smtp://127.0.0.1:%d/client.test", f->port);
    *mc = test_mail_cfg(url);
    mail_transport *t = NULL;
    if (mail_transport_open(mc, T_NOW, &t, NULL) != AB_OK)
        return NULL;
    return t;
}

TEST(smtp_batch_reuses_one_connection)
{
    struct fake f;
    CHECK(fake_start(&f, t_tmpdir(), "reuse", NULL) == 0);
    struct cfg_mail mc;
    char url[200];
    mail_transport *t = open_fake(&f, &mc, url, sizeof url);
    CHECK(t != NULL);
    struct mail_envelope env = env2();
    env.nrcpts = 1;
    struct mail_rcpt_result res[2];
    for (int i = 0; i < 3; i++) {
        CHECK_OK(mail_transport_send(t, &env, res, NULL));
        CHECK_INT(res[0].err, AB_OK);
    }
    mail_transport_free(t);
    fake_stop(&f);
    char *tr = slurp(f.transcript, NULL);
    CHECK(tr != NULL);
    int conns = count_str(tr, "--- connection"), ehlo = count_str(tr, "C: EHLO client.test");
    int mails = count_str(tr, "C: MAIL FROM:<ackbeat@example.test>");
    int quit = count_str(tr, "C: QUIT");
    free(tr);
    CHECK_INT(conns, 1);
    CHECK_INT(ehlo, 1);
    CHECK_INT(mails, 3);
    CHECK_INT(quit, 1);

    /* What arrived is the message, dot-unstuffed. */
    char p[700];
    snprintf(p, sizeof p, "%s/1.eml", f.save);
    size_t len;
    char *got = slurp(p, &len);
    int same = got && len == sizeof MSG - 1 && memcmp(got, MSG, len) == 0;
    free(got);
    CHECK(same);
}

TEST(smtp_550_for_one_recipient_does_not_hold_back_the_other)
{
    struct fake f;
    const char *args[] = {"--rcpt", "bob@example.test=550 5.1.1 <bob@example.test>: "
                                    "Recipient address rejected: User unknown",
                          NULL};
    CHECK(fake_start(&f, t_tmpdir(), "r550", args) == 0);
    struct cfg_mail mc;
    char url[200];
    mail_transport *t = open_fake(&f, &mc, url, sizeof url);
    struct mail_envelope env = env2();
    static const char *const rcpts[] = {"bob@example.test", "alice@example.test"};
    env.rcpts = rcpts;
    struct mail_rcpt_result res[2];
    CHECK_OK(mail_transport_send(t, &env, res, NULL));
    CHECK_INT(res[0].err, AB_EPERMFAIL);
    CHECK_CONTAINS(res[0].detail, "RCPT TO <bob@example.test>: 550 5.1.1");
    CHECK_CONTAINS(res[0].detail, "User unknown");
    CHECK_INT(res[1].err, AB_OK);
    mail_transport_free(t);
    fake_stop(&f);
    char *tr = slurp(f.transcript, NULL);
    int data = count_str(tr, "D: ");
    free(tr);
    CHECK_INT(data, 1);
}

TEST(smtp_4xx_is_temporary)
{
    struct fake f;
    const char *args[] = {"--rcpt", "alice@example.test=452 4.2.2 Mailbox full",
                          "--data-reply", "451 4.3.0 Try again later", NULL};
    CHECK(fake_start(&f, t_tmpdir(), "r4xx", args) == 0);
    struct cfg_mail mc;
    char url[200];
    mail_transport *t = open_fake(&f, &mc, url, sizeof url);
    struct mail_envelope env = env2();
    struct mail_rcpt_result res[2];
    CHECK_OK(mail_transport_send(t, &env, res, NULL));
    CHECK_INT(res[0].err, AB_ETEMPFAIL);
    CHECK_CONTAINS(res[0].detail, "452 4.2.2 Mailbox full");
    CHECK_INT(res[1].err, AB_ETEMPFAIL);
    CHECK_CONTAINS(res[1].detail, "DATA");
    CHECK_CONTAINS(res[1].detail, "451 4.3.0 Try again later");
    mail_transport_free(t);
    fake_stop(&f);
}

TEST(smtp_554_after_data_is_permanent)
{
    struct fake f;
    const char *args[] = {"--data-reply", "554 5.7.1 Message rejected as spam", NULL};
    CHECK(fake_start(&f, t_tmpdir(), "r554", args) == 0);
    struct cfg_mail mc;
    char url[200];
    mail_transport *t = open_fake(&f, &mc, url, sizeof url);
    struct mail_envelope env = env2();
    env.nrcpts = 1;
    struct mail_rcpt_result res[1];
    CHECK_OK(mail_transport_send(t, &env, res, NULL));
    CHECK_INT(res[0].err, AB_EPERMFAIL);
    CHECK_CONTAINS(res[0].detail, "554 5.7.1 Message rejected as spam");
    mail_transport_free(t);
    fake_stop(&f);
}

TEST(smtp_server_that_hangs_times_out)
{
    struct fake f;
    const char *args[] = {"--mode", "hang", NULL};
    CHECK(fake_start(&f, t_tmpdir(), "hang", args) == 0);
    struct cfg_mail mc;
    char url[200];
    mail_transport *t = open_fake(&f, &mc, url, sizeof url);
    mail_transport_free(t);
    mc.timeout = 1;
    CHECK_OK(mail_transport_open(&mc, T_NOW, &t, NULL));
    struct mail_envelope env = env2();
    struct mail_rcpt_result res[2];
    ab_errmsg em;
    double t0 = mono_now();
    CHECK_INT(mail_transport_send(t, &env, res, &em), AB_ETEMPFAIL);
    mail_transport_free(t);
    double took = mono_now() - t0;
    fake_stop(&f);
    CHECK(took < 4.5);
    CHECK_INT(res[0].err, AB_ETEMPFAIL);
    CHECK_INT(res[1].err, AB_ETEMPFAIL);
    CHECK_CONTAINS(em.text, "smtp://127.0.0.1:");
    CHECK_CONTAINS(em.text, "timed out");
}

TEST(smtp_garbage_and_refusals_are_temporary)
{
    static const char *const modes[] = {"garbage", "close", "banner554"};
    for (size_t i = 0; i < 3; i++) {
        struct fake f;
        const char *args[] = {"--mode", modes[i], NULL};
        CHECK(fake_start(&f, t_tmpdir(), modes[i], args) == 0);
        struct cfg_mail mc;
        char url[200];
        mail_transport *t = open_fake(&f, &mc, url, sizeof url);
        mail_transport_free(t);
        mc.timeout = 2;
        CHECK_OK(mail_transport_open(&mc, T_NOW, &t, NULL));
        struct mail_envelope env = env2();
        struct mail_rcpt_result res[2];
        ab_errmsg em;
        double t0 = mono_now();
        enum ab_err e = mail_transport_send(t, &env, res, &em);
        double took = mono_now() - t0;
        mail_transport_free(t);
        fake_stop(&f);
        if (e != AB_ETEMPFAIL || res[0].err != AB_ETEMPFAIL || res[1].err != AB_ETEMPFAIL ||
            took > 5)
            t_fail(__FILE__, __LINE__, "mode %s: e=%d res=%d/%d took %.1fs: %s", modes[i],
                   e, res[0].err, res[1].err, took, em.text);
    }

    /* Nobody listening. */
    struct fake f;
    CHECK(fake_start(&f, t_tmpdir(), "gone", NULL) == 0);
    fake_stop(&f);
    struct cfg_mail mc;
    char url[200];
    mail_transport *t = open_fake(&f, &mc, url, sizeof url);
    struct mail_envelope env = env2();
    struct mail_rcpt_result res[2];
    ab_errmsg em;
    CHECK_INT(mail_transport_send(t, &env, res, &em), AB_ETEMPFAIL);
    CHECK_CONTAINS(res[1].detail, "onnect");
    mail_transport_free(t);
}

static void auth_case(const char *query, const char *mech, int good)
{
    struct fake f;
    const char *args[] = {"--auth", "alice:s3cret-pw", NULL};
    CHECK(fake_start(&f, t_tmpdir(), mech, args) == 0);
    char url[200];
    snprintf(url, sizeof url, "smtp://127.0.0.1:%d/client.test%s", f.port, query);
    struct cfg_mail mc = test_mail_cfg(url);
    mc.username = "alice";
    mc.password.env = "AB_TEST_SMTP_PASSWORD";
    setenv("AB_TEST_SMTP_PASSWORD", good ? "s3cret-pw" : "wrong-pw", 1);
    mail_transport *t;
    CHECK_OK(mail_transport_open(&mc, T_NOW, &t, NULL));
    struct mail_envelope env = env2();
    env.nrcpts = 1;
    struct mail_rcpt_result res[1];
    ab_errmsg em;
    em.text[0] = 0;
    enum ab_err e = mail_transport_send(t, &env, res, &em);
    mail_transport_free(t);
    fake_stop(&f);
    char *tr = slurp(f.transcript, NULL);
    char want[64];
    snprintf(want, sizeof want, "C: AUTH %s", mech);
    int used = count_str(tr, want);
    free(tr);
    CHECK_INT(used, 1);
    if (good) {
        CHECK_INT(e, AB_OK);
        CHECK_INT(res[0].err, AB_OK);
    } else {
        CHECK_INT(e, AB_ETEMPFAIL);
        CHECK_INT(res[0].err, AB_ETEMPFAIL);
        CHECK(strstr(em.text, "wrong-pw") == NULL);
        CHECK(strstr(res[0].detail, "wrong-pw") == NULL);
        CHECK_CONTAINS(res[0].detail, "535");
    }
}

TEST(smtp_auth_plain_and_login)
{
    auth_case("?auth=plain", "PLAIN", 1);
    if (t_failed())
        return;
    auth_case("?auth=login", "LOGIN", 1);
    if (t_failed())
        return;
    auth_case("?auth=plain", "PLAIN", 0);
}

TEST(smtp_auth_required_is_temporary)
{
    struct fake f;
    const char *args[] = {"--auth", "alice:pw", NULL};
    CHECK(fake_start(&f, t_tmpdir(), "noauth", args) == 0);
    struct cfg_mail mc;
    char url[200];
    mail_transport *t = open_fake(&f, &mc, url, sizeof url);
    struct mail_envelope env = env2();
    struct mail_rcpt_result res[2];
    ab_errmsg em;
    CHECK_INT(mail_transport_send(t, &env, res, &em), AB_ETEMPFAIL);
    CHECK_INT(res[0].err, AB_ETEMPFAIL);
    CHECK_CONTAINS(res[0].detail, "530");
    mail_transport_free(t);
    fake_stop(&f);
}

TEST(smtp_starttls_required_but_not_offered)
{
    struct fake f;
    CHECK(fake_start(&f, t_tmpdir(), "notls", NULL) == 0);
    struct cfg_mail mc;
    char url[200];
    mail_transport *t = open_fake(&f, &mc, url, sizeof url);
    mail_transport_free(t);
    mc.tls = CFG_TLS_REQUIRED;
    CHECK_OK(mail_transport_open(&mc, T_NOW, &t, NULL));
    struct mail_envelope env = env2();
    struct mail_rcpt_result res[2];
    ab_errmsg em;
    CHECK_INT(mail_transport_send(t, &env, res, &em), AB_ETEMPFAIL);
    mail_transport_free(t);
    fake_stop(&f);
    char *tr = slurp(f.transcript, NULL);
    int mails = count_str(tr, "MAIL FROM");
    free(tr);
    CHECK_INT(mails, 0); /* nothing sent in clear */
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
