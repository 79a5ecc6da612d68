/*
 * test_mailer_smtp.c - the smtp:// transport against the scripted fake
 * server (tests/helpers/fake_smtp.c), for what a real server will not do
 * on demand: 550 for one of two recipients, 451/452, 554 after DATA,
 * garbage, a server that hangs after its banner, AUTH PLAIN and LOGIN
 * (and a wrong password that never shows up in an error), STARTTLS
 * required but not offered, and one connection reused for a batch.
 * Plus the table that tells permanent from temporary failures.
 */
#include <time.h>

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

static double mono_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
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

