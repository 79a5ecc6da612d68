/*
 * test_config_hardening.c - what `validate` refuses because it cannot
 * mean anything or would stop the mail later: a control character in any
 * value (a line break in display= once stopped every notice for
 * everyone), max-age="0s", a table= of three parts, a zero window; and
 * the secrets `run` will need, probed the way `validate` does.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/ab_buf.h"
#include "config/cfg.h"

static char path[1024];

/* Load a config whose <recipients>, <checks> and extra <mail> attributes
 * are given; the errors are in errs (caller frees). */
static enum ab_err load(const char *mail_attrs, const char *recipients, const char *checks,
                        cfg **c, ab_buf *errs)
{
    static int n;
    snprintf(path, sizeof path, "%s/c%d.xml", t_tmpdir(), ++n);
    FILE *f = fopen(path, "w");
    if (!f)
        abort();
    fprintf(f,
            "<ackbeat name=\"t\" timezone=\"UTC\" tick=\"1m\">\n"
            "  <state path=\"state.db\"/>\n"
            "  <mail from=\"ackbeat@example.test\" transport=\"maildir:out\" %s/>\n"
            "  <recipients>\n"
            "    <person name=\"ops\" email=\"ops@example.test\"/>\n%s"
            "  </recipients>\n"
            "  <alerting notify=\"ops\"/>\n"
            "  <sources><sqlite name=\"db\" path=\"data.db\"/></sources>\n"
            "  <checks>\n%s"
            "    <ping name=\"p\" period=\"1d\"/>\n"
            "  </checks>\n</ackbeat>\n",
            mail_attrs, recipients, checks);
    fclose(f);
    ab_buf_init(errs, 1 << 16);
    *c = NULL;
    return cfg_load(path, c, errs);
}

/* The config must be refused with needle on line line. */
static int refused(const char *mail_attrs, const char *recipients, const char *checks,
                   int line, const char *needle)
{
    cfg *c;
    ab_buf errs;
    enum ab_err e = load(mail_attrs, recipients, checks, &c, &errs);
    char want[1200];
    snprintf(want, sizeof want, "%s:%d: ", path, line);
    const char *s = ab_buf_str(&errs);
    const char *at = strstr(s, want);
    int ok = e != AB_OK && at && strstr(at, needle);
    if (!ok)
        printf("    expected \"%s...%s\" in: %s\n", want, needle, s);
    cfg_free(c);
    ab_buf_free(&errs);
    return ok;
}

static int accepted(const char *mail_attrs, const char *recipients, const char *checks)
{
    cfg *c;
    ab_buf errs;
    enum ab_err e = load(mail_attrs, recipients, checks, &c, &errs);
    if (e)
        printf("    %s", ab_buf_str(&errs));
    cfg_free(c);
    ab_buf_free(&errs);
    return e == AB_OK;
}

TEST(control_characters_in_header_values_are_refused_with_their_line)
{
    CHECK(refused("", "    <person name=\"kim\" email=\"kim@example.test\" "
                      "display=\"Kim&#10;Bcc: all@example.test\"/>\n",
                  "", 6, "display= holds a control character (0x0a"));
    CHECK(refused("from-name=\"ackbeat&#13;\"", "", "", 3, "from-name= holds a control"));
    CHECK(refused("", "    <group name=\"g&#9;x\"><member>ops</member></group>\n", "", 6,
                  "name= holds a control character (0x09"));
    CHECK(refused("", "", "    <ping name=\"q\" label=\"a&#127;\" period=\"1d\"/>\n", 10,
                  "label= holds a control character (0x7f"));
    /* One mistake, one message, however often the value is read. */
    cfg *c;
    ab_buf errs;
    CHECK(load("from-name=\"a&#10;b\"", "", "", &c, &errs) != AB_OK);
    const char *s = ab_buf_str(&errs);
    const char *first = strstr(s, "from-name= holds");
    CHECK(first && !strstr(first + 1, "from-name= holds"));
    ab_buf_free(&errs);
    /* Ordinary text, non-ASCII included, is fine. */
    CHECK(accepted("from-name=\"Daten-Büro ackbeat\"",
                   "    <person name=\"kim\" email=\"kim@example.test\" display=\"Kim Lee\"/>\n",
                   ""));
}

TEST(values_that_cannot_mean_anything_are_refused)
{
    CHECK(refused("", "",
                  "    <freshness name=\"f\" source=\"db\" table=\"t\" column=\"c\" "
                  "max-age=\"0s\"/>\n", 10, "max-age must be positive"));
    CHECK(refused("", "",
                  "    <freshness name=\"f\" source=\"db\" table=\"a.b.c\" column=\"c\" "
                  "max-age=\"1d\"/>\n", 10, "table=\"a.b.c\" is not a plain SQL name"));
    CHECK(refused("", "",
                  "    <freshness name=\"f\" source=\"db\" table=\"a.\" column=\"c\" "
                  "max-age=\"1d\"/>\n", 10, "is not a plain SQL name"));
    CHECK(refused("", "",
                  "    <count name=\"n\" source=\"db\" table=\"t\" column=\"c\" "
                  "window=\"0s\"/>\n", 10, "window must be positive"));
    CHECK(refused("", "", "    <ping name=\"z\" period=\"0s\"/>\n", 10,
                  "period must be positive"));
    CHECK(refused("max-age=\"0s\"", "", "", 3, "max-age must be positive"));
    CHECK(accepted("", "",
                   "    <freshness name=\"f\" source=\"db\" table=\"main.t\" column=\"c\" "
                   "max-age=\"1s\"/>\n"));
}

TEST(secrets_run_will_need_are_probed)
{
    char pw[1100], attrs[1400];
    snprintf(pw, sizeof pw, "%s/smtp.pass", t_tmpdir());
    cfg *c;
    ab_buf errs, e2, w2;

    unsetenv("AB_TEST_NO_SUCH_PW");
    enum ab_err le = load("password-env=\"AB_TEST_NO_SUCH_PW\" username=\"u\"", "", "", &c, &errs);
    if (le)
        printf("%s", ab_buf_str(&errs));
    CHECK_OK(le);
    ab_buf_free(&errs);
    ab_buf_init(&e2, 4096);
    ab_buf_init(&w2, 4096);
    CHECK_INT(cfg_secrets_probe(c, &e2, &w2), 1);
    char want[1200];
    snprintf(want, sizeof want, "%s:3: password-env=\"AB_TEST_NO_SUCH_PW\": the "
                                "environment variable is not set", path);
    CHECK_CONTAINS(ab_buf_str(&e2), want);
    setenv("AB_TEST_NO_SUCH_PW", "x", 1);
    ab_buf_reset(&e2);
    CHECK_INT(cfg_secrets_probe(c, &e2, &w2), 0);
    unsetenv("AB_TEST_NO_SUCH_PW");
    cfg_free(c);

    snprintf(attrs, sizeof attrs, "username=\"u\" password-file=\"%s\"", pw);
    CHECK_OK(load(attrs, "", "", &c, &errs));
    ab_buf_free(&errs);
    ab_buf_reset(&e2);
    CHECK_INT(cfg_secrets_probe(c, &e2, &w2), 1); /* not there yet */
    CHECK_CONTAINS(ab_buf_str(&e2), "No such file or directory");
    FILE *f = fopen(pw, "w");
    CHECK(f != NULL);
    fputs("secret\n", f);
    fclose(f);
    chmod(pw, 0644);
    ab_buf_reset(&e2);
    CHECK_INT(cfg_secrets_probe(c, &e2, &w2), 0);
    CHECK_CONTAINS(ab_buf_str(&w2), "warning: password-file=");
    CHECK_CONTAINS(ab_buf_str(&w2), "readable by every user (mode 644");
    chmod(pw, 0640);
    ab_buf_reset(&w2);
    CHECK_INT(cfg_secrets_probe(c, &e2, &w2), 0);
    CHECK_STR(ab_buf_str(&w2), "");
    cfg_free(c);
    ab_buf_free(&e2);
    ab_buf_free(&w2);
}

TEST(weekdays_and_weekend_stand_for_their_days)
{
    /* As ackbeat.conf(5) showed: validate used to refuse it. */
    cfg *c;
    ab_buf errs;
    FILE *f;
    snprintf(path, sizeof path, "%s/week.xml", t_tmpdir());
    f = fopen(path, "w");
    CHECK(f != NULL);
    fputs("<ackbeat name=\"t\" timezone=\"UTC\">\n"
          "  <Schedules><EventScheduleObject><EventSchedule>Office</EventSchedule><Provisions>\n"
          "    <ScheduleProvision><DayOfWeek>Weekdays</DayOfWeek><StartTime>08:00</StartTime>"
          "<EndTime>18:00</EndTime></ScheduleProvision>\n"
          "  </Provisions><Exclusions>\n"
          "    <ScheduleExclusion><DayOfWeek>weekend</DayOfWeek><StartTime>00:00</StartTime>"
          "<EndTime>23:59</EndTime></ScheduleExclusion>\n"
          "  </Exclusions></EventScheduleObject></Schedules>\n"
          "  <checks><ping name=\"p\" period=\"1d\" schedule=\"Office\"/></checks>\n"
          "</ackbeat>\n", f);
    fclose(f);
    ab_buf_init(&errs, 1 << 16);
    enum ab_err e = cfg_load(path, &c, &errs);
    if (e)
        printf("    %s", ab_buf_str(&errs));
    CHECK_OK(e);
    ab_buf_free(&errs);
    const struct cfg_check *k = cfg_check_find(c, "p");
    CHECK(k && k->schedule);
    ab_time t;
    CHECK_OK(ab_time_parse("2026-12-04T09:00:00Z", &t)); /* a Friday */
    CHECK(sched_allowed(k->schedule, t, NULL));
    CHECK_OK(ab_time_parse("2026-12-05T09:00:00Z", &t)); /* Saturday */
    CHECK(!sched_allowed(k->schedule, t, NULL));
    CHECK_OK(ab_time_parse("2026-12-07T07:00:00Z", &t)); /* Monday, too early */
    CHECK(!sched_allowed(k->schedule, t, NULL));
    CHECK_OK(ab_time_parse("2026-12-07T17:00:00Z", &t));
    CHECK(sched_allowed(k->schedule, t, NULL));
    cfg_free(c);
}

TEST(command_takes_shell_quoting_without_a_shell)
{
    cfg *c;
    ab_buf errs;
    CHECK_OK(load("", "",
                  "    <command name=\"c\" command=\"'/opt/my tools/check' --name &quot;a b&quot; "
                  "plain\\ word 'it''s' &quot;q\\&quot;d&quot; $HOME\"/>\n", &c, &errs));
    ab_buf_free(&errs);
    const struct cfg_check *k = cfg_check_find(c, "c");
    CHECK(k != NULL);
    CHECK_INT(k->argc, 7);
    CHECK_STR(k->argv[0], "/opt/my tools/check");
    CHECK_STR(k->argv[1], "--name");
    CHECK_STR(k->argv[2], "a b");
    CHECK_STR(k->argv[3], "plain word");
    CHECK_STR(k->argv[4], "its");
    CHECK_STR(k->argv[5], "q\"d");
    CHECK_STR(k->argv[6], "$HOME"); /* no shell: nothing is expanded */
    CHECK(k->argv[7] == NULL);
    cfg_free(c);
    CHECK(refused("", "", "    <command name=\"c\" command=\"/bin/echo 'open\"/>\n", 10,
                  "command=: a ' is not closed"));
}

TEST(a_channel_secret_that_is_not_set_is_a_warning)
{
    cfg *c;
    ab_buf errs, e2, w2;
    unsetenv("AB_TEST_NO_HOOK_KEY");
    unsetenv("AB_TEST_NO_NTFY_TOKEN");
    CHECK_OK(load("", "    <webhook name=\"hook\" url=\"http://127.0.0.1:9/h\" "
                  "secret-env=\"AB_TEST_NO_HOOK_KEY\"/>\n"
                  "    <ntfy name=\"phone\" url=\"http://127.0.0.1:9/t\" "
                  "token-env=\"AB_TEST_NO_NTFY_TOKEN\"/>\n",
                  "", &c, &errs));
    ab_buf_free(&errs);
    ab_buf_init(&e2, 4096);
    ab_buf_init(&w2, 4096);
    /* Not an error: run starts, only the channel's deliveries need it. */
    CHECK_INT(cfg_secrets_probe(c, &e2, &w2), 0);
    CHECK_STR(ab_buf_str(&e2), "");
    char want[1200];
    snprintf(want, sizeof want, "%s:6: warning: <webhook name=\"hook\"> "
                                "secret-env=\"AB_TEST_NO_HOOK_KEY\": the environment "
                                "variable is not set", path);
    CHECK_CONTAINS(ab_buf_str(&w2), want);
    snprintf(want, sizeof want, "%s:7: warning: <ntfy name=\"phone\"> "
                                "token-env=\"AB_TEST_NO_NTFY_TOKEN\"", path);
    CHECK_CONTAINS(ab_buf_str(&w2), want);
    setenv("AB_TEST_NO_HOOK_KEY", "k", 1);
    setenv("AB_TEST_NO_NTFY_TOKEN", "t", 1);
    ab_buf_reset(&w2);
    CHECK_INT(cfg_secrets_probe(c, &e2, &w2), 0);
    CHECK_STR(ab_buf_str(&w2), "");
    unsetenv("AB_TEST_NO_HOOK_KEY");
    unsetenv("AB_TEST_NO_NTFY_TOKEN");
    cfg_free(c);
    ab_buf_free(&e2);
    ab_buf_free(&w2);
}
