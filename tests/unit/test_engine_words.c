/*
 * test_engine_words.c - the words `acks`, `status`, the web and the
 * "nobody confirmed" notice use for what came back from a person asked
 * (engine/eng_words.c): exact text, since that is what people read.
 */
#include <stdio.h>
#include <string.h>

#include "common/ab_time.h"
#include "engine/eng.h"
#include "store/store_cycles.h"
#include "tests/unit/harness.h"

TEST(bounce_reason_drops_the_word_and_the_recipients_own_address)
{
    char b[512];
    int delayed = -1;
    CHECK_STR(eng_bounce_reason("failed: kim@x.example: 550 5.1.1 user unknown",
                                "kim@x.example", &delayed, b, sizeof b),
              "550 5.1.1 user unknown");
    CHECK_INT(delayed, 0);
    /* A forwarding target is news: it stays. */
    CHECK_STR(eng_bounce_reason("failed: kim@x.example (forwarded to kim@y.example): "
                                "550 5.1.1 user unknown",
                                "kim@x.example", NULL, b, sizeof b),
              "forwarded to kim@y.example: 550 5.1.1 user unknown");
    /* Another address than the recipient's is named. */
    CHECK_STR(eng_bounce_reason("failed: lee@x.example: mailbox full", "kim@x.example", NULL,
                                b, sizeof b),
              "lee@x.example: mailbox full");
    CHECK_STR(eng_bounce_reason("delayed: kim@x.example: 4.4.1 connection timed out",
                                "KIM@x.example", &delayed, b, sizeof b),
              "4.4.1 connection timed out");
    CHECK_INT(delayed, 1);
    CHECK_STR(eng_bounce_reason(NULL, "kim@x.example", &delayed, b, sizeof b), "");
}

TEST(inbox_words_leave_out_internal_words)
{
    char b[512];
    CHECK_STR(eng_inbox_words("Auto-Submitted: auto-replied; via=plus", b, sizeof b),
              "Auto-Submitted: auto-replied");
    CHECK_STR(eng_inbox_words("reply; via=thread; unverified; sender failed authentication: "
                              "dmarc=fail by mx.example.org; cmd=dismiss",
                              b, sizeof b),
              "reply; sender failed authentication: dmarc=fail by mx.example.org");
    CHECK_STR(eng_inbox_words(NULL, b, sizeof b), "");
}

TEST(flags_name_why_and_clear_on_a_newer_confirmation)
{
    char b[512];
    struct store_recipient rr = {.address = "kim@x.example", .missed_streak = 2,
                                 .last_confirmed = AB_TIME_NONE, .bounced_at = AB_TIME_NONE};
    CHECK(eng_recipient_flag(&rr, 2, AB_TIME_NONE, b, sizeof b));
    CHECK_STR(b, "missed 2 in a row");
    CHECK(!eng_recipient_flag(&rr, 3, AB_TIME_NONE, b, sizeof b));
    /* A confirmation since (a phone ack, say) clears it at once. */
    CHECK(!eng_recipient_flag(&rr, 2, 1000, b, sizeof b));
    rr.missed_streak = 0;
    rr.bounced_at = 500;
    rr.bounce_detail = "failed: kim@x.example: 550 5.1.1 user unknown";
    CHECK(eng_recipient_flag(&rr, 2, AB_TIME_NONE, b, sizeof b));
    CHECK_STR(b, "bounced: 550 5.1.1 user unknown");
    CHECK(!eng_recipient_flag(&rr, 2, 600, b, sizeof b)); /* confirmed after the bounce */
    CHECK(eng_recipient_flag(&rr, 2, 400, b, sizeof b));  /* ... or only before it */
    rr.last_confirmed = 700;
    CHECK(!eng_recipient_flag(&rr, 2, AB_TIME_NONE, b, sizeof b));
}

static struct store_cycle cycle(const char *status, ab_time deadline)
{
    struct store_cycle c = {.id = 1, .check = "monthly", .status = (char *)status,
                            .opened = 0, .deadline = deadline};
    return c;
}

static struct store_cycle_rcpt rcpt(void)
{
    struct store_cycle_rcpt r = {.address = "kim@x.example", .token = "t",
                                 .confirmed = AB_TIME_NONE, .bounced = AB_TIME_NONE,
                                 .autoreplied = AB_TIME_NONE};
    return r;
}

TEST(what_came_back_in_words)
{
    struct eng_rcpt_words w;
    struct store_cycle c = cycle("Pending", 1000);
    struct store_cycle_rcpt r = rcpt();
    eng_rcpt_words(NULL, NULL, &c, &r, 10, &w);
    CHECK_STR(w.word, "waiting");
    /* Past the deadline nobody is "waiting" any more. */
    eng_rcpt_words(NULL, NULL, &c, &r, 1000, &w);
    CHECK_STR(w.word, "no reply");
    CHECK_INT(w.state, ENG_RCPT_NO_REPLY);
    /* A delay warning is not a failure. */
    r.bounce_detail = "delayed: kim@x.example: 4.4.1 connection timed out";
    eng_rcpt_words(NULL, NULL, &c, &r, 10, &w);
    CHECK_STR(w.word, "delayed");
    CHECK_STR(w.reason, "4.4.1 connection timed out");
    CHECK_STR(w.cls, "degraded");
    r.bounced = 20;
    r.bounce_detail = "failed: kim@x.example: 550 5.1.1 user unknown";
    eng_rcpt_words(NULL, NULL, &c, &r, 30, &w);
    CHECK_STR(w.word, "bounced");
    CHECK_STR(w.reason, "550 5.1.1 user unknown");
    CHECK_STR(w.cls, "failing");
    CHECK_INT(w.when, 20);
    /* An auto-reply's detail without the inbox's via=. */
    r.bounced = AB_TIME_NONE;
    r.bounce_detail = NULL;
    r.autoreplied = 40;
    r.autoreply_detail = "out of office; via=plus";
    eng_rcpt_words(NULL, NULL, &c, &r, 50, &w);
    CHECK_STR(w.word, "auto-reply only");
    CHECK_STR(w.reason, "out of office");
    /* An unverified reply is not a confirmation. */
    r.unverified = 1;
    eng_rcpt_words(NULL, NULL, &c, &r, 50, &w);
    CHECK_STR(w.word, "unverified reply");
    r.confirmed = 60;
    r.confirmed_by = "pat@x.example";
    eng_rcpt_words(NULL, NULL, &c, &r, 70, &w);
    CHECK_STR(w.word, "confirmed");
    CHECK_STR(w.by, "pat@x.example");
    CHECK_STR(w.reason, "");
}
