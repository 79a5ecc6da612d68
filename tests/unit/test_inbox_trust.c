/*
 * test_inbox_trust.c - the inbox's trust rules, one at a time, on
 * messages built here: our MX's Authentication-Results decide whether a
 * From: is believed (and only the header of our authserv-id counts), a
 * reply acknowledges one heartbeat, the thread beats the plus address,
 * an email ping needs the check's token, and a bounce flags only the
 * recipient whose token it returns (or, inferred, the one live then).
 */
#include "harness.h"

#include <stdio.h>
#include <string.h>

#include "common/ab_mem.h"
#include "inbox/inbox.h"
#include "inbox/inbox_int.h"
#include "test_inbox_util.h"

#define T1 "ec73552lgvrdtflh7bm3c4isje" /* carol@state-a.example, cycle 1 */
#define T2 "7cd4dt3q5kqxxbxs2b5c24ycyu" /* dave@state-b.example, cycle 1 */
#define T9 "jbiw7t3tom5kxuuzjvefiaa3eu" /* carol@state-a.example, cycle 4 */

static struct inbox_msg *parse(const char *text)
{
    struct inbox_msg *m = NULL;
    ab_errmsg em = {{0}};
    if (inbox_parse(text, strlen(text), &m, &em) != AB_OK)
        return NULL;
    return m;
}

static int classify(const char *text, const struct inbox_rules *r, struct inbox_verdict *v)
{
    struct inbox_msg *m = parse(text);
    memset(v, 0, sizeof *v);
    if (!m)
        return -1;
    ab_errmsg em = {{0}};
    enum ab_err e = inbox_classify(m, r, v, &em);
    inbox_msg_free(m);
    return e == AB_OK ? 0 : -1;
}

static int auth_of(const char *headers, char *why, size_t len)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%sFrom: Carol <carol@state-a.example>\nTo: x@example.test\n"
                              "Subject: s\n\nbody\n",
             headers);
    struct inbox_msg *m = parse(buf);
    if (!m)
        return 99;
    int r = inbox_authres(m, "mx.example.test", why, len);
    inbox_msg_free(m);
    return r;
}

TEST(authres_reads_only_our_authserv_id)
{
    char why[256];
    CHECK_INT(auth_of("Authentication-Results: mx.example.test; dmarc=pass header.from=state-a.example\n",
                      why, sizeof why), 1);
    CHECK_INT(auth_of("Authentication-Results: mx.example.test; dmarc=fail header.from=state-a.example\n",
                      why, sizeof why), -1);
    CHECK_STR(why, "dmarc=fail by mx.example.test");
    /* someone else's header claiming pass is ignored */
    CHECK_INT(auth_of("Authentication-Results: mx.attacker.example; dmarc=pass\n", why,
                      sizeof why), 0);
    /* ours is the topmost one: a look-alike below it does not count */
    CHECK_INT(auth_of("Authentication-Results: mx.example.test; dmarc=fail\n"
                      "Authentication-Results: mx.example.test; dmarc=pass\n",
                      why, sizeof why), -1);
    /* a version, comments and folding */
    CHECK_INT(auth_of("Authentication-Results: mx.example.test 1 (our MX);\n"
                      "\tdkim=pass (good signature) header.d=state-a.example;\n"
                      "\tdmarc=pass (p=reject) header.from=state-a.example\n",
                      why, sizeof why), 1);
}

TEST(authres_without_dmarc_needs_an_aligned_pass)
{
    char why[256];
    /* SPF and DKIM both fail or are absent */
    CHECK_INT(auth_of("Authentication-Results: mx.example.test; spf=fail smtp.mailfrom=a@b.example; dkim=none\n",
                      why, sizeof why), -1);
    CHECK_INT(auth_of("Authentication-Results: mx.example.test; none\n", why, sizeof why), -1);
    /* an aligned DKIM pass (a subdomain of the From: domain) */
    CHECK_INT(auth_of("Authentication-Results: mx.example.test; spf=fail; dkim=pass header.d=mail.state-a.example\n",
                      why, sizeof why), 1);
    /* a pass for somebody else's domain proves nothing about From: */
    CHECK_INT(auth_of("Authentication-Results: mx.example.test; spf=pass smtp.mailfrom=x@attacker.example; "
                      "dkim=pass header.d=attacker.example\n",
                      why, sizeof why), -1);
    /* dmarc=none is no DMARC result: an aligned SPF pass decides */
    CHECK_INT(auth_of("Authentication-Results: mx.example.test; dmarc=none; spf=pass smtp.mailfrom=carol@state-a.example\n",
                      why, sizeof why), 1);
    /* never align on a bare top-level domain */
    CHECK_INT(auth_of("Authentication-Results: mx.example.test; dkim=pass header.d=example\n", why,
                      sizeof why), -1);
}

static const char forged_dismiss[] =
    "Authentication-Results: mx.example.test; spf=fail smtp.mailfrom=x@attacker.example;"
    " dkim=none; dmarc=fail header.from=state-a.example\n"
    "From: Carol <carol@state-a.example>\nTo: heartbeat+" T1 "@example.test\n"
    "In-Reply-To: <hb." T1 "@example.test>\nSubject: Re: heartbeat\nMessage-ID: <f@x>\n\n"
    "dismiss\n";

TEST(forged_sender_confirms_nothing_and_commands_nothing)
{
    struct inbox_verdict v;
    CHECK(classify(forged_dismiss, tu_rules(), &v) == 0);
    CHECK_STR(inbox_class_name(v.klass), "ack");
    CHECK_STR(v.token, T1);
    CHECK_INT(v.issued, 1);
    CHECK_INT(v.auth, -1);
    CHECK_INT(v.verified, 0); /* From: is the recipient, but our MX says no */
    CHECK(v.untrusted != NULL);
    CHECK_CONTAINS(v.untrusted, "dmarc=fail by mx.example.test");
    CHECK_INT(v.cmd, INBOX_CMD_DISMISS); /* read, for the record; not allowed */
    inbox_verdict_free(&v);

    /* The same mail, with our MX's pass: believed. */
    char ok[2048];
    snprintf(ok, sizeof ok, "%s", forged_dismiss);
    char *f = strstr(ok, "dmarc=fail");
    CHECK(f);
    memcpy(f, "dmarc=pass", 10);
    CHECK(classify(ok, tu_rules(), &v) == 0);
    CHECK_INT(v.auth, 1);
    CHECK_INT(v.verified, 1);
    CHECK(v.untrusted == NULL);
    inbox_verdict_free(&v);

    /* Without an authserv-id configured the header is not read at all. */
    struct inbox_rules r = *tu_rules();
    r.authserv_id = NULL;
    CHECK(classify(forged_dismiss, &r, &v) == 0);
    CHECK_INT(v.auth, 0);
    CHECK_INT(v.verified, 1);
    inbox_verdict_free(&v);
}

TEST(thread_beats_an_autocompleted_plus_address)
{
    struct inbox_verdict v;
    CHECK(classify("From: carol@state-a.example\nTo: heartbeat+" T1 "@example.test\n"
                   "In-Reply-To: <hb." T9 "@example.test>\nSubject: Re: x\n\nok\n",
                   tu_rules(), &v) == 0);
    CHECK_STR(v.token, T9);
    CHECK_STR(inbox_via_name(v.via), "thread");
    inbox_verdict_free(&v);
    /* the quoted reference line is the heartbeat the person answered */
    CHECK(classify("From: carol@state-a.example\nTo: heartbeat+" T1 "@example.test\n"
                   "Subject: Re: x\n\nok\n\n> Reference: hb." T9 "\n",
                   tu_rules(), &v) == 0);
    CHECK_STR(v.token, T9);
    inbox_verdict_free(&v);
}

TEST(several_tokens_without_threading_acknowledge_none)
{
    struct inbox_verdict v;
    CHECK(classify("From: bo@state-a.example\nTo: heartbeat@example.test\nSubject: fyi\n\n"
                   "Reference: hb." T1 "\nReference: hb." T2 "\n",
                   tu_rules(), &v) == 0);
    CHECK_STR(inbox_class_name(v.klass), "unrelated");
    CHECK_CONTAINS(v.reason, "2 issued tokens");
    inbox_verdict_free(&v);
    /* ...but the same list in a reply threaded on one is that one's ack */
    CHECK(classify("From: carol@state-a.example\nTo: heartbeat@example.test\n"
                   "In-Reply-To: <hb." T1 "@example.test>\nSubject: Re: fyi\n\n"
                   "yes\n\nReference: hb." T1 "\nReference: hb." T2 "\n",
                   tu_rules(), &v) == 0);
    CHECK_STR(inbox_class_name(v.klass), "ack");
    CHECK_STR(v.token, T1);
    inbox_verdict_free(&v);
}

TEST(email_ping_needs_the_token_not_the_name)
{
    struct inbox_verdict v;
    CHECK(classify("From: root@backup.example.test\nTo: heartbeat+nightly-backup@example.test\n"
                   "Subject: backup done\n\nok\n",
                   tu_rules(), &v) == 0);
    CHECK(v.klass != INBOX_PING);
    inbox_verdict_free(&v);
    CHECK(classify("From: root@backup.example.test\nTo: heartbeat+NBK7Q2X9W4M3K8P5V6@example.test\n"
                   "Subject: backup done\n\nok\n",
                   tu_rules(), &v) == 0);
    CHECK_STR(inbox_class_name(v.klass), "ping");
    CHECK_STR(v.ping, "nightly-backup");
    inbox_verdict_free(&v);
}

/* A lookup "the token live for this address then": carol has T9. */
static enum ab_err live_for(void *ud, const char *addr, ab_time at, int *found,
                            char token[AB_TOKEN_LEN + 1], struct inbox_issued *out,
                            ab_errmsg *em)
{
    (void)ud;
    (void)at;
    (void)em;
    *found = strcmp(addr, "carol@state-a.example") == 0;
    if (*found) {
        memcpy(token, T9, AB_TOKEN_LEN + 1);
        memset(out, 0, sizeof *out);
        out->cycle_id = 4;
        snprintf(out->recipient, sizeof out->recipient, "%s", addr);
    }
    return AB_OK;
}

static const char gateway_ndr[] =
    "From: postmaster@gateway.state-a.example\nTo: heartbeat@example.test\n"
    "Subject: Undeliverable: Monthly data delivery\nDate: Fri, 1 Jan 2027 08:05:00 +0000\n"
    "Message-ID: <ndr1@gateway.state-a.example>\n\n"
    "Delivery has failed to these recipients or groups:\n\n"
    "carol@state-a.example\nThe recipient's mailbox is full.\n\n"
    "Diagnostic information for administrators:\n\n"
    "Remote Server returned '552 5.2.2 mailbox full'\n";

TEST(bounce_inferred_from_our_recipient_and_date)
{
    struct inbox_verdict v;
    struct inbox_rules r = *tu_rules();
    r.issued_to = live_for;
    CHECK(classify(gateway_ndr, &r, &v) == 0);
    CHECK_STR(inbox_class_name(v.klass), "bounce");
    CHECK_STR(v.token, T9);
    CHECK_INT(v.inferred, 1);
    CHECK_STR(inbox_via_name(v.via), "inferred");
    CHECK(v.bounce_line != NULL);
    CHECK_CONTAINS(v.bounce_line, "carol@state-a.example");
    inbox_verdict_free(&v);
    /* Without the lookup (or for a stranger) it flags nobody. */
    CHECK(classify(gateway_ndr, tu_rules(), &v) == 0);
    CHECK(v.issued != 1);
    CHECK(v.bounce_line == NULL);
    inbox_verdict_free(&v);
}

TEST(bounce_at_the_verp_address_names_the_forwarding_target)
{
    struct inbox_verdict v;
    CHECK(classify("From: MAILER-DAEMON@mx.personal.example\n"
                   "To: heartbeat+" T1 "@example.test\n"
                   "Subject: Undelivered Mail Returned to Sender\n\n"
                   "This message was created automatically by mail delivery software.\n\n"
                   "A message that you sent could not be delivered to one or more of its\n"
                   "recipients. This is a permanent error. The following address(es) failed:\n\n"
                   "  jamal@personal.example\n"
                   "    host mx.personal.example [192.0.2.9]\n"
                   "    SMTP error from remote mail server after RCPT TO:<jamal@personal.example>:\n"
                   "    550 5.1.1 user unknown\n\n"
                   "------ This is a copy of the message, including all the headers. ------\n",
                   tu_rules(), &v) == 0);
    CHECK_STR(inbox_class_name(v.klass), "bounce");
    CHECK_STR(v.token, T1);
    CHECK_STR(inbox_via_name(v.via), "plus");
    CHECK(v.bounce_line != NULL);
    CHECK_CONTAINS(v.bounce_line, "carol@state-a.example (forwarded to jamal@personal.example)");
    inbox_verdict_free(&v);
}

TEST(a_bounce_that_names_nothing_of_ours_flags_nobody)
{
    struct inbox_verdict v;
    CHECK(classify("From: MAILER-DAEMON@mail.example.org\nTo: heartbeat@example.test\n"
                   "Subject: Undelivered Mail Returned to Sender\n"
                   "X-Failed-Recipients: ceo@example.org\n\n"
                   "Your message could not be delivered. Click here to see why.\n",
                   tu_rules(), &v) == 0);
    CHECK(v.issued != 1);
    CHECK(v.recipient == NULL);
    CHECK_STR(inbox_class_name(v.klass), "unrelated");
    inbox_verdict_free(&v);
}

TEST(a_reply_to_the_reminder_is_threaded_on_its_heartbeat)
{
    struct inbox_verdict v;
    /* only In-Reply-To, to the reminder's own Message-ID */
    CHECK(classify("From: carol@state-a.example\nTo: heartbeat@example.test\n"
                   "In-Reply-To: <hb." T9 ".reminder@example.test>\nSubject: Re: reminder\n\n"
                   "done\n",
                   tu_rules(), &v) == 0);
    CHECK_STR(inbox_class_name(v.klass), "ack");
    CHECK_STR(v.token, T9);
    CHECK_STR(inbox_via_name(v.via), "thread");
    inbox_verdict_free(&v);
}
