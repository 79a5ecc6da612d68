/*
 * test_inbox_bounce.c - bounce detection alone (inbox_parse then
 * inbox_bounce_detect, no classifier): for every message of the bounce
 * corpus, tests/data/mail/bounce, the failed address, the address first
 * written to when the failure was at a forwarding target, the enhanced
 * status code and the reason line; then the rules that are easier to
 * see on small made-up messages (what is not a bounce, several failed
 * addresses, the reason's length cap).
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ab_mem.h"
#include "inbox/inbox.h"
#include "inbox/inbox_int.h"
#include "test_inbox_util.h"

/* One corpus message: delay -1 means "not a bounce"; the other columns
 * are the first failed recipient (NULL: absent). */
struct want {
    const char *file;
    int delay;
    const char *layout;
    const char *addr, *original, *status, *reason;
};

static const struct want corpus[] = {
    {"amazonses_dsn.eml", 0, "DSN: delivery failed",
     "omar@state-al.example", NULL, "5.1.1",
     "550 5.1.1 user unknown"},
    {"arf_abuse_report.eml", -1, NULL, NULL, NULL, NULL, NULL},
    {"barracuda_rejected_verp.eml", 0, "Barracuda NDR: delivery failed",
     "xaver@state-at.example", NULL, "5.1.1",
     "550 5.1.1 <xaver@state-at.example>: Recipient address rejected: User"
     " unknown in virtual mailbox table"},
    {"carrier_mms_inactive.eml", 0, "mail system: delivery failed",
     "5559876543@mms.carrier.example", NULL, "5.1.1",
     "554 5.1.1 The subscriber's account is inactive"},
    {"carrier_vtext_invalid_verp.eml", 0, "mail system: delivery failed",
     "5551234567@vtext.example", NULL, NULL,
     "This message could not be delivered to 5551234567@vtext.example"
     " because the number is not a valid mobile number."},
    {"courier_dsn_failed.eml", 0, "DSN: delivery failed",
     "zoe@state-w.example", NULL, "5.1.1",
     "550 5.1.1 <zoe@state-w.example>: Recipient address rejected: User"
     " unknown in virtual alias table"},
    {"courier_dsn_no_diagnostic_verp.eml", 0, "DSN: delivery failed",
     "abel@state-x.example", NULL, "5.2.2",
     "552 5.2.2 Mailbox quota exceeded"},
    {"dma_failed.eml", 0, "DragonFly Mail Agent: delivery failed",
     "yann@state-v.example", NULL, "5.1.1",
     "550 5.1.1 <yann@state-v.example>: Recipient address rejected: User unknown"},
    {"dmarc_aggregate_report.eml", -1, NULL, NULL, NULL, NULL, NULL},
    {"domino_not_listed_verp.eml", 0, "Domino: delivery failed",
     "tomas@state-ap.example", NULL, NULL,
     "User tomas@state-ap.example (tomas@state-ap.example) not listed in Domino Directory"},
    {"exchange2003_dsn.eml", 0, "DSN: delivery failed",
     "bert@state-y.example", NULL, "5.1.1",
     "The e-mail account does not exist at the organization this message"
     " was sent to. Check the e-mail address, or contact the recipient"
     " directly to find out the correct address. <exchange.state-y.example"
     " #5.1.1>"},
    {"exchange2003_text_verp.eml", 0, "Exchange NDR: delivery failed",
     "cora@state-z.example", NULL, "5.7.1",
     "550 5.7.1 Unable to relay for cora@state-z.example"},
    {"exchange2010_delayed_verp.eml", 1, "Exchange NDR: delivery delayed",
     "fred@state-ac.example", NULL, "4.4.7",
     "400 4.4.7 Message delayed"},
    {"exchange2010_dsn.eml", 0, "DSN: delivery failed",
     "dina@state-aa.example", NULL, "5.1.1",
     "550 5.1.1 RESOLVER.ADR.RecipNotFound; not found"},
    {"exchange2010_text_verp.eml", 0, "Exchange NDR: delivery failed",
     "emil@state-ab.example", NULL, "5.2.2",
     "554 5.2.2 mailbox full;"
     " STOREDRV.Deliver.Exception:QuotaExceededException.MapiExceptionShutof"
     "fQuotaExceeded"},
    {"exchange_german_unzustellbar.eml", 0, "mail system: delivery failed",
     "yvonne@state-av.example", NULL, "5.1.1",
     "550 5.1.1 RESOLVER.ADR.RecipNotFound; not found"},
    {"exim_dsn_failed.eml", 0, "DSN: delivery failed",
     "rosa@state-o.example", NULL, "5.1.1",
     "550 5.1.1 User unknown"},
    {"exim_text_delayed_verp.eml", 1, "Exim: delivery delayed",
     "tara@state-q.example", NULL, "4.7.1",
     "451 4.7.1 Greylisting in action, please come back later"},
    {"exim_text_generated_from.eml", 0, "Exim: delivery failed",
     "jamal@new.example", "j.haddad@state.example", "5.1.1",
     "550 5.1.1 <jamal@new.example>: Recipient address rejected: User"
     " unknown in local recipient table"},
    {"exim_text_multiline_verp.eml", 0, "Exim: delivery failed",
     "sven@state-p.example", NULL, "5.1.1",
     "550 5.1.1 The email account that you tried to reach does not exist."
     " Please try double-checking the recipient's email address for typos"
     " or unnecessary spaces."},
    {"gmail_dsn_address_not_found.eml", 0, "DSN: delivery failed",
     "ines@state-af.example", NULL, "5.1.1",
     "550 5.1.1 <ines@state-af.example>: Recipient address rejected: User"
     " unknown in virtual mailbox table"},
    {"gmail_dsn_delay.eml", 1, "DSN: delivery delayed",
     "lena@state-ai.example", NULL, "4.7.0",
     "421 4.7.0 [198.51.100.99] Try again later, closing connection."},
    {"gmail_dsn_message_blocked_verp.eml", 0, "DSN: delivery failed",
     "kai@state-ah.example", NULL, "5.7.1",
     "550 5.7.1 Message rejected due to local policy. Contact your administrator."},
    {"gmail_text_mailbox_full.eml", 0, "Gmail: delivery failed",
     "jonas@state-ag.example", NULL, "5.2.2",
     "552 5.2.2 The email account that you tried to reach is over quota"},
    {"imail_failed_recipients_verp.eml", 0, "IMail: delivery failed",
     "sara@state-ao.example", NULL, NULL,
     "mailbox is disabled"},
    {"imail_unknown_user.eml", 0, "IMail: delivery failed",
     "rolf@state-an.example", NULL, NULL,
     "Unknown user: rolf@state-an.example"},
    {"mcafee_mxlogic_ndr.eml", 0, "McAfee NDR: delivery failed",
     "ulf@state-aq.example", NULL, "5.1.1",
     "550 5.1.1 <ulf@state-aq.example>: Recipient address rejected: User"
     " unknown in virtual alias table"},
    {"mimecast_rejected.eml", 0, "Mimecast NDR: delivery failed",
     "wanda@state-as.example", NULL, "5.1.1",
     "550 5.1.1 <wanda@state-as.example>: Recipient address rejected: User unknown"},
    {"o365_dsn_not_found.eml", 0, "DSN: delivery failed",
     "gina@state-ad.example", NULL, "5.1.10",
     "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup"},
    {"o365_text_blocked_verp.eml", 0, "Office 365 NDR: delivery failed",
     "hugo@state-ae.example", NULL, "5.7.133",
     "550 5.7.133 RESOLVER.RST.SenderNotAuthenticatedForGroup; authentication required"},
    {"opensmtpd_delayed_verp.eml", 1, "OpenSMTPD: delivery delayed",
     "xena@state-u.example", NULL, NULL,
     "Network error on destination MXs"},
    {"opensmtpd_failed.eml", 0, "OpenSMTPD: delivery failed",
     "walt@state-t.example", NULL, "5.1.1",
     "550 5.1.1 <walt@state-t.example>: Recipient address rejected: User"
     " unknown in local recipient table"},
    {"person_forwarded_bounce.eml", -1, NULL, NULL, NULL, NULL, NULL},
    {"phishing_undelivered_mail.eml", -1, NULL, NULL, NULL, NULL, NULL},
    {"postfix_dsn_delayed_verp.eml", 1, "DSN: delivery delayed",
     "mona@state-i.example", NULL, "4.2.2",
     "452 4.2.2 <mona@state-i.example>: Mailbox over quota, try again later"},
    {"postfix_dsn_forwarded.eml", 0, "DSN: delivery failed",
     "jamal@personal.example", "j.haddad@state.example", "5.1.1",
     "550 5.1.1 <jamal@personal.example>: Recipient address rejected: User unknown"},
    {"postfix_dsn_mailbox_full_headers.eml", 0, "DSN: delivery failed",
     "lars.berg@state-h.example", NULL, "5.2.2",
     "552 5.2.2 <lars.berg@state-h.example>: Mailbox full"},
    {"postfix_dsn_user_unknown.eml", 0, "DSN: delivery failed",
     "kim.lee@state-g.example", NULL, "5.1.1",
     "550 5.1.1 <kim.lee@state-g.example>: Recipient address rejected: User"
     " unknown in virtual mailbox table"},
    {"qmail_over_quota_verp.eml", 0, "qmail: delivery failed",
     "vera@state-s.example", NULL, NULL,
     "user is over quota"},
    {"qmail_remote_said.eml", 0, "qmail: delivery failed",
     "ulla@state-r.example", NULL, "5.1.1",
     "550 5.1.1 <ulla@state-r.example>... User unknown"},
    {"sendmail_v5_returned_mail.eml", 0, "Sendmail: delivery failed",
     "quinn@state-n.example", NULL, NULL,
     "550 <quinn@state-n.example>... User unknown"},
    {"sendmail_v8_dsn_user_unknown.eml", 0, "DSN: delivery failed",
     "nils@state-k.example", NULL, "5.1.1",
     "550 5.1.1 <nils@state-k.example>... User unknown"},
    {"sendmail_v8_text_fatal.eml", 0, "Sendmail: delivery failed",
     "olga@state-l.example", NULL, "5.1.1",
     "550 5.1.1 <olga@state-l.example>... User unknown"},
    {"sendmail_v8_warning_delay_verp.eml", 1, "Sendmail: delivery delayed",
     "paul@state-m.example", NULL, NULL,
     "<paul@state-m.example>... Deferred: Connection timed out with mx.state-m.example."},
    {"success_dsn_delivered.eml", -1, NULL, NULL, NULL, NULL, NULL},
    {"tlsrpt_report.eml", -1, NULL, NULL, NULL, NULL, NULL},
    {"trendmicro_deleted_by_policy_verp.eml", 0, "Trend Micro NDR: delivery failed",
     "vito@state-ar.example", NULL, NULL,
     "Deleted by policy (rule: Block executable attachments)"},
    {"workmail_dsn_quota.eml", 0, "DSN: delivery failed",
     "pia@state-am.example", NULL, "5.2.2",
     "552 5.2.2 Mailbox quota exceeded"},
    {"yahoo_no_account.eml", 0, "Yahoo: delivery failed",
     "milo@yahoo.example", NULL, NULL,
     "554 delivery error: dd This user doesn't have a yahoo.example account"
     " (milo@yahoo.example) [0] - mta1010.mail.ne1.yahoo.example"},
    {"yahoo_rejected_verp.eml", 0, "Yahoo: delivery failed",
     "nora@state-ak.example", NULL, "5.1.1",
     "550: 5.1.1 <nora@state-ak.example>: Recipient address rejected: User"
     " unknown in relay recipient table"},

};

static int same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

TEST(corpus_addresses_statuses_and_reasons)
{
    for (size_t i = 0; i < sizeof corpus / sizeof *corpus; i++) {
        const struct want *w = &corpus[i];
        char rel[256];
        snprintf(rel, sizeof rel, "bounce/%s", w->file);
        struct inbox_msg *m = NULL;
        if (tu_parse_file(rel, &m) != AB_OK) {
            t_fail(__FILE__, __LINE__, "%s: cannot be read or parsed", w->file);
            continue;
        }
        struct inbox_bounce b;
        CHECK_OK(inbox_bounce_detect(m, &b));
        if (w->delay < 0) {
            if (b.is_bounce)
                t_fail(__FILE__, __LINE__, "%s: taken for a bounce (%s)", w->file, b.reason);
        } else if (!b.is_bounce || b.delay != w->delay || !same(b.reason, w->layout) ||
                   b.nrcpts != 1) {
            t_fail(__FILE__, __LINE__, "%s: bounce=%d delay=%d reason=%s nrcpts=%zu", w->file,
                   b.is_bounce, b.delay, b.reason ? b.reason : "(null)", b.nrcpts);
        } else {
            const struct inbox_bounced *r = &b.rcpts[0];
            if (!same(r->addr, w->addr) || !same(r->original, w->original) ||
                !same(r->status, w->status) || !same(r->reason, w->reason))
                t_fail(__FILE__, __LINE__,
                       "%s: got addr=%s original=%s status=%s reason='%s'; "
                       "want %s %s %s '%s'",
                       w->file, r->addr, r->original ? r->original : "-",
                       r->status ? r->status : "-", r->reason ? r->reason : "-", w->addr,
                       w->original ? w->original : "-", w->status ? w->status : "-",
                       w->reason ? w->reason : "-");
        }
        inbox_bounce_free(&b);
        inbox_msg_free(m);
    }
}

static struct inbox_msg *parse(const char *s)
{
    struct inbox_msg *m = NULL;
    ab_errmsg em = {{0}};
    if (inbox_parse(s, strlen(s), &m, &em) != AB_OK)
        return NULL;
    return m;
}

/* Every message of the bounce folder is in the table above. */
TEST(corpus_table_covers_the_folder)
{
    FILE *f = fopen(t_data("mail/bounce/EXPECT"), "r");
    CHECK(f != NULL);
    char line[1024];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        char file[256];
        if (line[0] == '#' || sscanf(line, "%255s", file) != 1)
            continue;
        n++;
        int found = 0;
        for (size_t i = 0; i < sizeof corpus / sizeof *corpus; i++)
            found |= strcmp(corpus[i].file, file) == 0;
        if (!found)
            t_fail(__FILE__, __LINE__, "%s is not in the table", file);
    }
    fclose(f);
    CHECK_INT(n, (int)(sizeof corpus / sizeof *corpus));
}

TEST(dsn_mixed_outcomes_and_success)
{
    static const char mixed[] =
        "From: MAILER-DAEMON@mx.example.org\r\n"
        "To: heartbeat@example.test\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n"
        "\r\n--B\r\nContent-Type: text/plain\r\n\r\nSee below.\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.org\r\n\r\n"
        "Final-Recipient: rfc822; ok@example.org\r\nAction: delivered\r\nStatus: 2.0.0\r\n\r\n"
        "Final-Recipient: rfc822; Late@Example.org\r\nAction: delayed\r\nStatus: 4.4.1\r\n\r\n"
        "Final-Recipient: rfc822; gone@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550-5.1.1 no such\r\n  550 5.1.1 user here\r\n\r\n"
        "--B--\r\n";
    struct inbox_msg *m = parse(mixed);
    CHECK(m != NULL);
    struct inbox_bounce b;
    CHECK_OK(inbox_bounce_detect(m, &b));
    CHECK_INT(b.is_bounce, 1);
    CHECK_INT(b.delay, 0); /* a failure beats a delay */
    CHECK_INT((long long)b.nrcpts, 1);
    CHECK_STR(b.rcpts[0].addr, "gone@example.org");
    CHECK_STR(b.rcpts[0].status, "5.1.1");
    CHECK_STR(b.rcpts[0].reason, "550 5.1.1 no such user here");
    inbox_bounce_free(&b);
    inbox_msg_free(m);
}

TEST(reports_that_are_not_bounces)
{
    static const char *const types[] = {"disposition-notification", "feedback-report",
                                        "tlsrpt"};
    for (size_t i = 0; i < 3; i++) {
        char msg[2048];
        snprintf(msg, sizeof msg,
                 "From: MAILER-DAEMON@mx.example.org\r\nTo: heartbeat@example.test\r\n"
                 "Subject: Undeliverable: report\r\nMIME-Version: 1.0\r\n"
                 "Content-Type: multipart/report; report-type=%s; boundary=\"B\"\r\n\r\n"
                 "--B\r\nContent-Type: text/plain\r\n\r\n"
                 "Delivery has failed to these recipients or groups:\r\n\r\n"
                 "kim@example.org\r\n--B--\r\n",
                 types[i]);
        struct inbox_msg *m = parse(msg);
        CHECK(m != NULL);
        struct inbox_bounce b;
        CHECK_OK(inbox_bounce_detect(m, &b));
        CHECK_INT(b.is_bounce, 0);
        inbox_bounce_free(&b);
        inbox_msg_free(m);
    }
}

/* A bounce layout written by a person, a subject alone from a person, a
 * look-alike that names nobody: none is a bounce. */
TEST(prose_only_from_a_mail_system)
{
    static const char person[] =
        "From: Kim <kim@example.org>\r\nTo: heartbeat@example.test\r\n"
        "Subject: Undeliverable: hello\r\n\r\n"
        "This message was created automatically by mail delivery software.\r\n\r\n"
        "  lee@example.org\r\n    550 5.1.1 user unknown\r\n";
    static const char nobody[] =
        "Return-Path: <>\r\nFrom: Mail Delivery System <mailer-daemon@example.org>\r\n"
        "To: heartbeat@example.test\r\nSubject: Undelivered Mail\r\n\r\n"
        "Your mailbox heartbeat@example.test is over its limit. Click below.\r\n";
    const char *const msgs[] = {person, nobody};
    for (size_t i = 0; i < 2; i++) {
        struct inbox_msg *m = parse(msgs[i]);
        CHECK(m != NULL);
        struct inbox_bounce b;
        CHECK_OK(inbox_bounce_detect(m, &b));
        CHECK_INT(b.is_bounce, 0);
        inbox_bounce_free(&b);
        inbox_msg_free(m);
    }
}

TEST(several_failed_addresses_each_with_its_reason)
{
    static const char msg[] =
        "Return-Path: <>\r\nFrom: MAILER-DAEMON@mail.example.org\r\n"
        "To: heartbeat+abc@example.test\r\nSubject: failure notice\r\n\r\n"
        "Hi. This is the qmail-send program at mail.example.org.\r\n"
        "I'm afraid I wasn't able to deliver your message to the following addresses.\r\n\r\n"
        "<one@example.org>:\r\nSorry, no mailbox here by that name. (#5.1.1)\r\n\r\n"
        "<Two@Example.org>:\r\n192.0.2.5 does not like recipient.\r\n"
        "Remote host said: 552 5.2.2 Mailbox full\r\n\r\n"
        "--- Below this line is a copy of the message.\r\n\r\n"
        "From: heartbeat@example.test\r\nTo: one@example.org, two@example.org, "
        "three@example.org\r\n";
    struct inbox_msg *m = parse(msg);
    CHECK(m != NULL);
    struct inbox_bounce b;
    CHECK_OK(inbox_bounce_detect(m, &b));
    CHECK_INT(b.is_bounce, 1);
    CHECK_STR(b.reason, "qmail: delivery failed");
    CHECK_INT((long long)b.nrcpts, 2);
    CHECK_STR(b.rcpts[0].addr, "one@example.org");
    CHECK_STR(b.rcpts[0].status, "5.1.1");
    CHECK_STR(b.rcpts[0].reason, "Sorry, no mailbox here by that name. (#5.1.1)");
    CHECK_STR(b.rcpts[1].addr, "two@example.org");
    CHECK_STR(b.rcpts[1].status, "5.2.2");
    CHECK_STR(b.rcpts[1].reason, "552 5.2.2 Mailbox full");
    inbox_bounce_free(&b);
    inbox_msg_free(m);
}

TEST(reason_is_one_short_line)
{
    /* 400 bytes of "é" (2 bytes each) after the code: cut at a character */
    char diag[1024];
    size_t k = (size_t)snprintf(diag, sizeof diag, "smtp; 550 5.7.1");
    for (int i = 0; i < 200; i++)
        k += (size_t)snprintf(diag + k, sizeof diag - k, "%s", i % 10 ? "\xc3\xa9" : "\r\n\t ");
    char *r = NULL;
    CHECK_OK(inbox_bounce_oneline(diag, k, 1, &r));
    CHECK(r != NULL);
    CHECK(strlen(r) <= 303);
    CHECK(strncmp(r, "550 5.7.1 ", 10) == 0);
    CHECK(strstr(r, "\n") == NULL && strstr(r, "  ") == NULL);
    size_t n = strlen(r) - 3;
    CHECK_STR(r + n, "...");
    CHECK(((unsigned char)r[n - 1] & 0xC0) != 0xC0); /* not a cut lead byte */
    ab_free(r);
    CHECK_OK(inbox_bounce_oneline(" \r\n ", 4, 1, &r));
    CHECK(r == NULL);
}
