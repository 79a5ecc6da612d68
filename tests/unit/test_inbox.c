/*
 * test_inbox.c - the inbox module: particular corpus messages through
 * parse and classify (the whole corpus is test_inbox_corpus.c), details (RFC 2047, charsets, flowed, HTML), bounded
 * input, the IMAP response scanner, and recording with the store.
 * Maildir end to end and idempotence are in test_inbox_poll.c.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/ab_mem.h"
#include "inbox/inbox.h"
#include "inbox/inbox_int.h"
#include "test_inbox_util.h"

#define T1 "ec73552lgvrdtflh7bm3c4isje"
#define T2 "7cd4dt3q5kqxxbxs2b5c24ycyu"
#define T3 "y5ymnx4hkdbf37z2wrfmltn7sm"
#define T4 "r5sdww5opant5txcmq6cmgufje"
#define T5 "3hfibz2vaidxjd3zrmwkhi4qsi"
#define T6 "4iabnb7ke5zb54odkcu6udupui"
#define T8 "sbrrcgv5q56zhy25mmxxqitram"
#define F1 "nbbpx5qse5rm7geqoroatwpde4"

/* ---- details of particular messages ------------------------------------ */

TEST(ack_details_and_verification)
{
    struct inbox_msg *m;
    struct inbox_verdict v;
    CHECK_OK(tu_classify_file("outlook_html_gotit.eml", &m, &v));
    CHECK_STR(v.from, "carol@state-a.example");
    CHECK_STR(v.recipient, "carol@state-a.example");
    CHECK_INT(v.verified, 1);
    CHECK_INT(v.issued, 1);
    CHECK_INT(v.cycle_id, 1);
    CHECK_STR(v.excerpt, "Got it, thanks. November data went out on Friday. / Carol");
    CHECK_INT(v.cmd, INBOX_CMD_NONE);
    CHECK_STR(m->from_name, "Carol Jensen");
    CHECK_STR(m->in_reply_to, "hb." T1 "@example.test");
    inbox_verdict_free(&v);
    inbox_msg_free(m);

    /* a colleague in an ack-from domain: acknowledged by X for Y */
    CHECK_OK(tu_classify_file("ref_french_colleague_cp1252.eml", &m, &v));
    CHECK_STR(v.from, "paul@state-a.example");
    CHECK_STR(v.recipient, "carol@state-a.example");
    CHECK_INT(v.verified, 1);
    CHECK_CONTAINS(m->text, "Bien reçu – Carol est en congé");
    CHECK_STR(m->subject, "Réf. : Monthly data delivery - State A");
    CHECK_STR(v.excerpt, "Bien reçu – Carol est en congé, je confirme pour elle. / Paul");
    inbox_verdict_free(&v);
    inbox_msg_free(m);

    /* someone else entirely: recorded, unverified */
    CHECK_OK(tu_classify_file("other_sender_unverified.eml", &m, &v));
    CHECK_INT(v.verified, 0);
    CHECK_STR(v.recipient, "dave@state-b.example");
    inbox_verdict_free(&v);
    inbox_msg_free(m);
}

TEST(reply_commands)
{
    struct inbox_msg *m;
    struct inbox_verdict v;
    CHECK_OK(tu_classify_file("cmd_snooze.eml", &m, &v));
    CHECK_INT(v.cmd, INBOX_CMD_SNOOZE);
    CHECK_INT(v.snooze, 2 * 86400);
    CHECK_INT(v.verified, 1);
    inbox_verdict_free(&v);
    inbox_msg_free(m);
    CHECK_OK(tu_classify_file("cmd_dismiss.eml", &m, &v));
    CHECK_INT(v.cmd, INBOX_CMD_DISMISS);
    inbox_verdict_free(&v);
    inbox_msg_free(m);
    CHECK_OK(tu_classify_file("cmd_note.eml", &m, &v));
    CHECK_INT(v.cmd, INBOX_CMD_NOTE);
    CHECK_STR(v.note, "server moved to the new host on Monday");
    inbox_verdict_free(&v);
    inbox_msg_free(m);
    /* "Got it" is no command */
    CHECK_OK(tu_classify_file("gmail_reply.eml", &m, &v));
    CHECK_INT(v.cmd, INBOX_CMD_NONE);
    CHECK_STR(v.excerpt, "Confirmed, we received it. / Dave");
    inbox_verdict_free(&v);
    inbox_msg_free(m);
}

TEST(decoding_headers_and_charsets)
{
    struct inbox_msg *m;
    struct inbox_verdict v;
    CHECK_OK(tu_classify_file("iphone_aw_split_encoded.eml", &m, &v));
    CHECK_STR(m->subject, "AW: Monatliche Bestätigung – Datenlieferung");
    CHECK_STR(v.excerpt, "Erhalten, danke! / Von meinem iPhone gesendet");
    inbox_verdict_free(&v);
    inbox_msg_free(m);
    CHECK_OK(tu_classify_file("chinese_gb18030.eml", &m, &v));
    CHECK_STR(m->subject, "回复：每月数据交付确认");
    CHECK_STR(m->from_name, "王伟");
    CHECK_CONTAINS(m->text, "收到，谢谢。");
    CHECK_STR(v.excerpt, "收到，谢谢。十一月的数据已经发送。");
    inbox_verdict_free(&v);
    inbox_msg_free(m);
    CHECK_OK(tu_classify_file("sv_latin1_body_token.eml", &m, &v));
    CHECK_CONTAINS(m->text, "Allt är levererat");
    inbox_verdict_free(&v);
    inbox_msg_free(m);
    CHECK_OK(tu_classify_file("broken_bad_charset.eml", &m, &v));
    CHECK_CONTAINS(m->text, "Bestätigt – alles gut."); /* fell back to Windows-1252 */
    inbox_verdict_free(&v);
    inbox_msg_free(m);
    CHECK_OK(tu_classify_file("apple_mail_in_reply_to.eml", &m, &v));
    CHECK_CONTAINS(m->text, "Yes — all good here.");
    inbox_verdict_free(&v);
    inbox_msg_free(m);
}

TEST(flowed_and_html)
{
    struct inbox_msg *m;
    struct inbox_verdict v;
    CHECK_OK(tu_classify_file("thunderbird_flowed_quote_only.eml", &m, &v));
    CHECK_CONTAINS(m->text, "short outage on the 28th but the file went out on time.");
    CHECK_CONTAINS(m->text, "> Reference: hb." T4);
    inbox_verdict_free(&v);
    inbox_msg_free(m);
    CHECK_OK(tu_classify_file("html_only_base64.eml", &m, &v));
    CHECK_INT(m->text_from_html, 1);
    CHECK_CONTAINS(m->text, "Thanks & confirmed.");
    CHECK_CONTAINS(m->text, "> Reference: hb." T4);
    CHECK(!strstr(m->text, "color:red"));
    CHECK_STR(v.excerpt, "Thanks & confirmed. / Frank");
    inbox_verdict_free(&v);
    inbox_msg_free(m);

    char *fl = inbox_flowed_unwrap("one two \r\nthree\r\n> quoted \r\n> more\r\n-- \r\nsig", 0);
    CHECK_STR(fl, "one two three\n> quoted more\n-- \nsig");
    ab_free(fl);
    /* ">x" becomes "> x": longer than the input (found by fuzz_mime) */
    fl = inbox_flowed_unwrap(">a\n>>b\n>c", 0);
    CHECK_STR(fl, "> a\n>> b\n> c");
    ab_free(fl);
    char *t = inbox_html_to_text("<p>a&nbsp;b &#233;&#x4e2d;</p><blockquote>q<br>r</blockquote>x",
                                 strlen("<p>a&nbsp;b &#233;&#x4e2d;</p><blockquote>q<br>r</blockquote>x"));
    CHECK_STR(t, "a b é中\n> q\n> r\nx");
    ab_free(t);
}

TEST(dsn_fields_parsed)
{
    struct inbox_msg *m;
    struct inbox_verdict v;
    CHECK_OK(tu_classify_file("dsn_postfix_failed.eml", &m, &v));
    CHECK_INT(m->is_dsn, 1);
    CHECK_INT(m->ndsn, 1);
    CHECK_STR(m->dsn[0].recipient, "gone@example.test");
    CHECK_STR(m->dsn[0].action, "failed");
    CHECK_STR(m->dsn[0].status, "5.1.1");
    CHECK_STR(m->dsn[0].diagnostic, "user unknown");
    CHECK_STR(m->returned_message_id, "hb." T5 "@example.test");
    CHECK_INT(v.delay, 0);
    inbox_verdict_free(&v);
    inbox_msg_free(m);
    CHECK_OK(tu_classify_file("dsn_postfix_delayed.eml", &m, &v));
    CHECK_INT(v.delay, 1);
    CHECK_CONTAINS(m->dsn[0].diagnostic, "Connection timed out");
    inbox_verdict_free(&v);
    inbox_msg_free(m);
    CHECK_OK(tu_classify_file("exim_delayed.eml", &m, &v));
    CHECK_INT(v.delay, 1);
    inbox_verdict_free(&v);
    inbox_msg_free(m);
}

TEST(without_lookup_issuance_is_unknown)
{
    struct inbox_msg *m;
    CHECK_OK(tu_parse_file("gmail_reply.eml", &m));
    struct inbox_rules r = {.reply_address = "heartbeat@example.test"};
    struct inbox_verdict v;
    ab_errmsg em = {{0}};
    CHECK_OK(inbox_classify(m, &r, &v, &em));
    CHECK_STR(inbox_class_name(v.klass), "ack");
    CHECK_INT(v.issued, -1);
    CHECK_STR(v.token, T2);
    inbox_verdict_free(&v);
    inbox_msg_free(m);
}

/* ---- bounded input ------------------------------------------------------ */

static enum ab_err classify_bytes(const char *data, size_t len, struct inbox_verdict *v)
{
    struct inbox_msg *m = NULL;
    ab_errmsg em = {{0}};
    memset(v, 0, sizeof *v);
    enum ab_err e = inbox_parse(data, len, &m, &em);
    if (e)
        return e;
    e = inbox_classify(m, tu_rules(), v, &em);
    inbox_msg_free(m);
    return e;
}

TEST(fifty_megabyte_message)
{
    size_t len = (size_t)50 << 20;
    char *big = ab_malloc(len + 1);
    CHECK(big);
    int n = snprintf(big, len, "From: carol@state-a.example\nTo: heartbeat+" T1
                     "@example.test\nSubject: Re: big\nMIME-Version: 1.0\n"
                     "Content-Type: multipart/mixed; boundary=b\n\n--b\n"
                     "Content-Type: text/plain\n\nGot it.\n--b\n"
                     "Content-Type: application/octet-stream\n"
                     "Content-Transfer-Encoding: base64\n\n");
    for (size_t i = (size_t)n; i < len; i++)
        big[i] = (i % 77 == 76) ? '\n' : 'A';
    struct inbox_verdict v;
    CHECK_OK(classify_bytes(big, len, &v));
    CHECK_STR(inbox_class_name(v.klass), "ack");
    inbox_verdict_free(&v);
    ab_free(big);
}

TEST(ten_thousand_parts)
{
    ab_buf b;
    ab_buf_init(&b, 0);
    CHECK_OK(ab_buf_puts(&b, "From: a@b.example\nTo: heartbeat@example.test\nSubject: parts\n"
                             "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=p\n\n"));
    for (int i = 0; i < 10000; i++)
        CHECK_OK(ab_buf_printf(&b, "--p\nContent-Type: text/plain\n\npart %d\n", i));
    CHECK_OK(ab_buf_puts(&b, "--p--\n"));
    struct inbox_msg *m = NULL;
    ab_errmsg em = {{0}};
    CHECK_OK(inbox_parse(b.data, b.len, &m, &em));
    CHECK(m->nparts <= INBOX_MAX_PARTS);
    CHECK_INT(m->truncated, 1);
    CHECK_STR(m->text, "part 0");
    inbox_msg_free(m);
    ab_buf_free(&b);
}

TEST(megabyte_header_line_and_nul_bytes)
{
    size_t hl = (size_t)1 << 20;
    ab_buf b;
    ab_buf_init(&b, 0);
    CHECK_OK(ab_buf_puts(&b, "From: carol@state-a.example\nX-Junk: "));
    for (size_t i = 0; i < hl; i++)
        CHECK_OK(ab_buf_putc(&b, (char)('a' + i % 26)));
    CHECK_OK(ab_buf_puts(&b, "\nTo: heartbeat+" T1 "@example.test\nSubject: Re: x\n\nok "));
    CHECK_OK(ab_buf_append(&b, "\0\0nul\0", 6));
    CHECK_OK(ab_buf_puts(&b, " done\n"));
    struct inbox_msg *m = NULL;
    ab_errmsg em = {{0}};
    CHECK_OK(inbox_parse(b.data, b.len, &m, &em));
    const char *j = inbox_msg_header(m, "X-Junk");
    CHECK(j && strlen(j) <= 8192);
    CHECK_CONTAINS(m->text, "nul");
    CHECK_CONTAINS(m->text, "done");
    inbox_msg_free(m);
    struct inbox_verdict v;
    CHECK_OK(classify_bytes(b.data, b.len, &v));
    CHECK_STR(inbox_class_name(v.klass), "ack");
    inbox_verdict_free(&v);
    ab_buf_free(&b);
}

TEST(garbage_is_skipped_or_classified)
{
    struct inbox_verdict v;
    enum ab_err e = classify_bytes("", 0, &v);
    CHECK(e == AB_OK || e == AB_EPARSE);
    inbox_verdict_free(&v);
    static const char junk[] = "\x01\x02\xff\xfe\n\n\n--\n{}}}";
    e = classify_bytes(junk, sizeof junk - 1, &v);
    CHECK(e == AB_OK || e == AB_EPARSE);
    inbox_verdict_free(&v);
    /* deep nesting */
    ab_buf b;
    ab_buf_init(&b, 0);
    CHECK_OK(ab_buf_puts(&b, "From: a@b.example\nMIME-Version: 1.0\n"));
    for (int i = 0; i < 500; i++)
        CHECK_OK(ab_buf_printf(&b, "Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n", i, i));
    CHECK_OK(ab_buf_puts(&b, "Content-Type: text/plain\n\nhi\n"));
    e = classify_bytes(b.data, b.len, &v);
    CHECK(e == AB_OK || e == AB_EPARSE);
    inbox_verdict_free(&v);
    ab_buf_free(&b);
}

/* ---- the IMAP response scanner ------------------------------------------ */

struct scan_seen {
    int n;
    char texts[8][128];
    char lit[8][256];
    size_t lit_total[8];
};

static enum ab_err scan_fn(void *ud, const struct inbox_imap_resp *r, ab_errmsg *em)
{
    (void)em;
    struct scan_seen *s = ud;
    if (s->n < 8) {
        snprintf(s->texts[s->n], sizeof s->texts[0], "%s", r->text);
        if (r->lit)
            snprintf(s->lit[s->n], sizeof s->lit[0], "%.*s", (int)r->lit_len, r->lit);
        s->lit_total[s->n] = r->lit_total;
    }
    s->n++;
    return AB_OK;
}

TEST(imap_scanner_literals_in_any_chunking)
{
    static const char wire[] =
        "* OK [UIDVALIDITY 1795320587] UIDs valid\r\n"
        "* 1 FETCH (UID 7 INTERNALDATE \"01-Dec-2026 08:00:00 +0100\" BODY[] {25}\r\n"
        "Subject: x\r\n\r\nab3 OK no\r\n)\r\n"
        "* 2 FETCH (UID 9 BODY[] {0}\r\n)\r\n"
        "ab3 OK Fetch completed.\r\n";
    for (size_t chunk = 1; chunk <= sizeof wire; chunk += (chunk < 8 ? 1 : 13)) {
        struct scan_seen s;
        memset(&s, 0, sizeof s);
        struct inbox_imap_scan sc;
        inbox_imap_scan_init(&sc, 10, scan_fn, &s); /* keep 10 bytes of a literal */
        ab_errmsg em = {{0}};
        for (size_t off = 0; off < sizeof wire - 1; off += chunk) {
            size_t n = sizeof wire - 1 - off < chunk ? sizeof wire - 1 - off : chunk;
            CHECK_OK(inbox_imap_scan_feed(&sc, wire + off, n, &em));
        }
        inbox_imap_scan_free(&sc);
        CHECK_INT(s.n, 4);
        CHECK_STR(s.texts[1], "* 1 FETCH (UID 7 INTERNALDATE \"01-Dec-2026 08:00:00 +0100\" BODY[] {})");
        CHECK_STR(s.lit[1], "Subject: x");
        CHECK_INT(s.lit_total[1], 25);
        CHECK_STR(s.texts[3], "ab3 OK Fetch completed.");
    }
    CHECK_INT(inbox_imap_date("01-Dec-2026 08:00:00 +0100"), 1796108400);
    CHECK_INT(inbox_imap_date(" 1-Dec-2026 07:00:00 +0000"), 1796108400);
    ab_buf b;
    ab_buf_init(&b, 0);
    uint64_t uids[] = {1, 2, 3, 5, 7, 8};
    CHECK_OK(inbox_imap_uidset(uids, 6, &b));
    CHECK_STR(ab_buf_str(&b), "1:3,5,7:8");
    ab_buf_free(&b);
}
