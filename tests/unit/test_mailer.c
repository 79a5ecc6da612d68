/*
 * test_mailer.c - building messages (RFC 5322, MIME RFC 2045-2047,
 * RFC 3834), addresses and Message-IDs, the heartbeat wire format, and
 * the retry schedule.
 *
 * Every built message is parsed back with GMime, the way a mail client
 * would read it, and compared with what went in.
 */
#include <gmime/gmime.h>
#include <string.h>

#include "common/ab_buf.h"
#include "common/ab_token.h"
#include "config/cfg.h"
#include "harness.h"
#include "mailer/mail.h"

#define SUBJECT_UTF8 "R\xc3\xa9sum\xc3\xa9 \xe2\x9c\x93 \xe5\x9b\x9e\xe5\xa4\x8d" /* Résumé ✓ 回复 */
#define T_DATE 1796112000 /* 2026-12-01T08:00:00Z */

static GMimeMessage *parse(const ab_buf *b)
{
    GMimeStream *s = g_mime_stream_mem_new_with_buffer(b->data, b->len);
    GMimeParser *p = g_mime_parser_new_with_stream(s);
    GMimeMessage *m = g_mime_parser_construct_message(p, NULL);
    g_object_unref(p);
    g_object_unref(s);
    return m;
}

/* The decoded text of a part, with the wire's CRLF back to LF (caller
 * g_free's). */
static char *part_text(GMimeObject *o)
{
    if (!GMIME_IS_TEXT_PART(o))
        return NULL;
    char *t = g_mime_text_part_get_text(GMIME_TEXT_PART(o));
    size_t j = 0;
    for (size_t i = 0; t && t[i]; i++)
        if (!(t[i] == '\r' && t[i + 1] == '\n'))
            t[j++] = t[i];
    if (t)
        t[j] = 0;
    return t;
}

/* Every line ends in CRLF and is at most max characters; the whole
 * message is 7-bit.  Returns the number of the first bad line, or 0. */
static int lines_ok(const ab_buf *b, size_t max)
{
    size_t start = 0;
    int line = 1;
    for (size_t i = 0; i < b->len; i++) {
        if ((unsigned char)b->data[i] >= 0x80)
            return line;
        if (b->data[i] == '\n') {
            if (i == 0 || b->data[i - 1] != '\r')
                return line;
            if (i - 1 - start > max)
                return line;
            start = i + 1;
            line++;
        }
    }
    return 0;
}

static struct mail_msg_spec base_spec(void)
{
    static const struct mail_addr to[] = {
        {"alice@example.test", "Alice M\xc3\xbcller"},
        {"bob@example.test", NULL},
    };
    struct mail_msg_spec s = {
        .from = "ackbeat@example.test",
        .from_name = "ackbeat monitor",
        .to = to,
        .nto = 2,
        .subject = "Heartbeat",
        .text = "Hello,\nplease reply.\n",
        .date = T_DATE,
    };
    return s;
}

TEST(builds_multipart_alternative_in_utf8)
{
    struct mail_msg_spec s = base_spec();
    const char *text = "Bonjour Alice,\n\nR\xc3\xa9sum\xc3\xa9 \xe2\x9c\x93 \xe5\x9b\x9e\xe5\xa4\x8d\n"
                       ".a line starting with a dot\nFrom the start of a line\n";
    const char *html = "<p>Bonjour <b>Alice</b> \xe2\x9c\x93 \xe5\x9b\x9e\xe5\xa4\x8d</p>\n";
    s.subject = SUBJECT_UTF8;
    s.text = text;
    s.html = html;
    s.message_id = "<m1.abc@example.test>";
    ab_buf b;
    ab_buf_init(&b, 0);
    char msgid[MAIL_MSGID_MAX];
    ab_errmsg em;
    CHECK_OK(mail_msg_build(&s, &b, msgid, &em));
    CHECK_STR(msgid, "<m1.abc@example.test>");
    CHECK_INT(lines_ok(&b, 78), 0);
    /* Raw header shapes. */
    CHECK_CONTAINS(b.data, "Date: Tue, 01 Dec 2026 08:00:00 +0000\r\n");
    CHECK_CONTAINS(b.data, "Message-Id: <m1.abc@example.test>\r\n");
    CHECK_CONTAINS(b.data, "Auto-Submitted: auto-generated\r\n");
    CHECK_CONTAINS(b.data, "MIME-Version: 1.0\r\n");
    CHECK_CONTAINS(b.data, "Subject: =?UTF-8?");
    CHECK_CONTAINS(b.data, "From: ackbeat monitor <ackbeat@example.test>\r\n");

    GMimeMessage *m = parse(&b);
    CHECK(m != NULL);
    CHECK_STR(g_mime_message_get_subject(m), SUBJECT_UTF8);
    CHECK_STR(g_mime_message_get_message_id(m), "m1.abc@example.test");
    GDateTime *d = g_mime_message_get_date(m);
    CHECK(d != NULL);
    CHECK_INT(g_date_time_to_unix(d), T_DATE);
    InternetAddressList *to = g_mime_message_get_to(m);
    CHECK_INT(internet_address_list_length(to), 2);
    InternetAddress *a0 = internet_address_list_get_address(to, 0);
    CHECK_STR(internet_address_get_name(a0), "Alice M\xc3\xbcller");
    CHECK_STR(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a0)),
              "alice@example.test");
    CHECK_STR(internet_address_mailbox_get_addr(
                  INTERNET_ADDRESS_MAILBOX(internet_address_list_get_address(to, 1))),
              "bob@example.test");
    CHECK_STR(g_mime_object_get_header(GMIME_OBJECT(m), "Auto-Submitted"), "auto-generated");

    GMimeObject *body = g_mime_message_get_mime_part(m);
    CHECK(GMIME_IS_MULTIPART(body));
    CHECK_STR(g_mime_content_type_get_media_subtype(g_mime_object_get_content_type(body)),
              "alternative");
    GMimeMultipart *mp = GMIME_MULTIPART(body);
    CHECK_INT(g_mime_multipart_get_count(mp), 2);
    GMimeObject *p0 = g_mime_multipart_get_part(mp, 0), *p1 = g_mime_multipart_get_part(mp, 1);
    CHECK_STR(g_mime_content_type_get_media_subtype(g_mime_object_get_content_type(p0)), "plain");
    CHECK_STR(g_mime_content_type_get_media_subtype(g_mime_object_get_content_type(p1)), "html");
    CHECK_STR(g_mime_object_get_content_type_parameter(p0, "charset"), "utf-8");
    CHECK_STR(g_mime_object_get_content_type_parameter(p1, "charset"), "utf-8");
    char *t0 = part_text(p0), *t1 = part_text(p1);
    int same0 = t0 && strcmp(t0, text) == 0, same1 = t1 && strcmp(t1, html) == 0;
    g_free(t0);
    g_free(t1);
    CHECK(same0);
    CHECK(same1);
    g_object_unref(m);
    ab_buf_free(&b);
}

TEST(text_only_is_a_single_part)
{
    struct mail_msg_spec s = base_spec();
    ab_buf b;
    ab_buf_init(&b, 0);
    CHECK_OK(mail_msg_build(&s, &b, NULL, NULL));
    CHECK_CONTAINS(b.data, "Content-Type: text/plain; charset=utf-8\r\n");
    CHECK(strstr(b.data, "multipart") == NULL);
    CHECK_INT(lines_ok(&b, 78), 0);
    GMimeMessage *m = parse(&b);
    char *t = part_text(g_mime_message_get_mime_part(m));
    int same = t && strcmp(t, s.text) == 0;
    g_free(t);
    g_object_unref(m);
    ab_buf_free(&b);
    CHECK(same);
}

TEST(long_lines_are_encoded_within_78)
{
    struct mail_msg_spec s = base_spec();
    char text[2000];
    memset(text, 'x', 300);
    memcpy(text + 300, "\nand a second line with words ", 30);
    memset(text + 330, 'y', 200);
    memcpy(text + 530, "\n", 2);
    s.text = text;
    char longsubj[400];
    memset(longsubj, 0, sizeof longsubj);
    for (int i = 0; i < 40; i++)
        memcpy(longsubj + i * 8, "subject ", 8);
    longsubj[319] = 0; /* no trailing space */
    s.subject = longsubj;
    ab_buf b;
    ab_buf_init(&b, 0);
    CHECK_OK(mail_msg_build(&s, &b, NULL, NULL));
    CHECK_INT(lines_ok(&b, 78), 0);
    CHECK_CONTAINS(b.data, "Content-Transfer-Encoding: quoted-printable");
    GMimeMessage *m = parse(&b);
    char *t = part_text(g_mime_message_get_mime_part(m));
    int same = t && strcmp(t, text) == 0;
    int subj = strcmp(g_mime_message_get_subject(m), longsubj) == 0;
    g_free(t);
    g_object_unref(m);
    ab_buf_free(&b);
    CHECK(same);
    CHECK(subj);
}

TEST(crlf_input_is_normalised)
{
    struct mail_msg_spec s = base_spec();
    s.text = "one\r\ntwo\rthree\n";
    ab_buf b;
    ab_buf_init(&b, 0);
    CHECK_OK(mail_msg_build(&s, &b, NULL, NULL));
    CHECK_INT(lines_ok(&b, 78), 0);
    CHECK_CONTAINS(b.data, "\r\n\r\none\r\ntwo\r\nthree\r\n");
    ab_buf_free(&b);
}

TEST(generates_message_id_in_the_from_domain)
{
    struct mail_msg_spec s = base_spec();
    s.from = "noreply@mon.example.org";
    ab_buf b;
    ab_buf_init(&b, 0);
    char id1[MAIL_MSGID_MAX], id2[MAIL_MSGID_MAX];
    CHECK_OK(mail_msg_build(&s, &b, id1, NULL));
    CHECK_OK(mail_msg_build(&s, &b, id2, NULL));
    CHECK_INT(strlen(id1), 1 + AB_TOKEN_LEN + strlen("@mon.example.org") + 1);
    CHECK_CONTAINS(id1, "@mon.example.org>");
    CHECK(strcmp(id1, id2) != 0);
    CHECK_OK(mail_msgid_check("test", id1, NULL));
    char hdr[300];
    snprintf(hdr, sizeof hdr, "Message-Id: %s\r\n", id2);
    CHECK_CONTAINS(b.data, hdr);
    ab_buf_free(&b);
}

TEST(heartbeat_wire_format)
{
    char tok[AB_TOKEN_LEN + 1], msgid[MAIL_MSGID_MAX], reply[MAIL_ADDR_MAX + 1];
    CHECK_OK(ab_token_new(tok));
    CHECK_OK(mail_heartbeat_ids("heartbeat@example.test", tok, msgid, reply, NULL));
    char want[128];
    snprintf(want, sizeof want, "<hb.%s@example.test>", tok);
    CHECK_STR(msgid, want);
    snprintf(want, sizeof want, "heartbeat+%s@example.test", tok);
    CHECK_STR(reply, want);

    struct mail_msg_spec s = base_spec();
    s.message_id = msgid;
    s.reply_to = reply;
    char text[200];
    snprintf(text, sizeof text, "Please reply.\n\n%s%s\n", AB_TOKEN_REF_PREFIX, tok);
    s.text = text;
    ab_buf b;
    ab_buf_init(&b, 0);
    char got[MAIL_MSGID_MAX];
    CHECK_OK(mail_msg_build(&s, &b, got, NULL));
    CHECK_STR(got, msgid);
    GMimeMessage *m = parse(&b);
    char idnb[MAIL_MSGID_MAX];
    snprintf(idnb, sizeof idnb, "hb.%s@example.test", tok);
    int id_ok = strcmp(g_mime_message_get_message_id(m), idnb) == 0;
    InternetAddressList *rt = g_mime_message_get_reply_to(m);
    int rt_ok = internet_address_list_length(rt) == 1 &&
                strcmp(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(
                           internet_address_list_get_address(rt, 0))),
                       reply) == 0;
    g_object_unref(m);
    ab_buf_free(&b);
    CHECK(id_ok);
    CHECK(rt_ok);

    /* Bad inputs. */
    CHECK_INT(mail_heartbeat_ids("heartbeat@example.test", "short", msgid, reply, NULL),
              AB_EINVAL);
    CHECK_INT(mail_heartbeat_ids("not an address", tok, msgid, reply, NULL), AB_EINVAL);
}

TEST(alert_thread_headers)
{
    struct mail_msg_spec s = base_spec();
    s.in_reply_to = "<alert.1.first@example.test>";
    s.references = "<alert.1.first@example.test>";
    struct mail_header h[] = {{"X-Ackbeat-Check", "orders.fresh"},
                              {"X-Ackbeat-Note", "caf\xc3\xa9 ferm\xc3\xa9"}};
    s.headers = h;
    s.nheaders = 2;
    ab_buf b;
    ab_buf_init(&b, 0);
    CHECK_OK(mail_msg_build(&s, &b, NULL, NULL));
    CHECK_INT(lines_ok(&b, 78), 0);
    CHECK_CONTAINS(b.data, "In-Reply-To: <alert.1.first@example.test>\r\n");
    CHECK_CONTAINS(b.data, "References: <alert.1.first@example.test>\r\n");
    CHECK_CONTAINS(b.data, "X-Ackbeat-Check: orders.fresh\r\n");
    GMimeMessage *m = parse(&b);
    GMimeObject *o = GMIME_OBJECT(m);
    int irt = strcmp(g_mime_object_get_header(o, "In-Reply-To"),
                     "<alert.1.first@example.test>") == 0;
    GMimeHeaderList *hl = g_mime_object_get_header_list(o);
    GMimeHeader *note = g_mime_header_list_get_header(hl, "X-Ackbeat-Note");
    char *dec = note ? g_mime_utils_header_decode_text(NULL, g_mime_header_get_raw_value(note)) : NULL;
    int note_ok = dec && strcmp(g_strstrip(dec), "caf\xc3\xa9 ferm\xc3\xa9") == 0;
    g_free(dec);
    g_object_unref(m);
    ab_buf_free(&b);
    CHECK(irt);
    CHECK(note_ok);

    /* Several references fold between ids. */
    s.references = "<a.1111111111111111@example.test> <b.2222222222222222@example.test> "
                   "<c.3333333333333333@example.test> <d.4444444444444444@example.test>";
    ab_buf_init(&b, 0);
    CHECK_OK(mail_msg_build(&s, &b, NULL, NULL));
    CHECK_INT(lines_ok(&b, 78), 0);
    ab_buf_free(&b);
}

/* VERP (DESIGN.md, wire format): the envelope sender is an address of
 * the watched inbox, with the recipient's token as its plus part, so a
 * DSN (RFC 3464), which goes to the envelope sender, reaches the inbox
 * and names the token even when it quotes nothing. */
TEST(envelope_sender_is_verp_at_the_inbox)
{
    char tok[AB_TOKEN_LEN + 1], got[MAIL_ADDR_MAX + 1], want[128];
    CHECK_OK(ab_token_new(tok));
    struct cfg_inbox ib;
    memset(&ib, 0, sizeof ib);
    ib.enabled = 1;
    ib.reply_address = "heartbeat@example.test";

    /* The reply address, +TOKEN. */
    CHECK_OK(mail_envelope_sender(&ib, "ackbeat@example.test", tok, got, NULL));
    snprintf(want, sizeof want, "heartbeat+%s@example.test", tok);
    CHECK_STR(got, want);
    /* No token (a digest, a resolved notice): the plain address. */
    CHECK_OK(mail_envelope_sender(&ib, "ackbeat@example.test", NULL, got, NULL));
    CHECK_STR(got, "heartbeat@example.test");

    /* bounce-address= wins over the reply address, both ways. */
    ib.bounce_address = "bounces@mx.example.test";
    CHECK_OK(mail_envelope_sender(&ib, "ackbeat@example.test", tok, got, NULL));
    snprintf(want, sizeof want, "bounces+%s@mx.example.test", tok);
    CHECK_STR(got, want);
    CHECK_OK(mail_envelope_sender(&ib, "ackbeat@example.test", NULL, got, NULL));
    CHECK_STR(got, "bounces@mx.example.test");

    /* No inbox: nobody reads bounces but <mail from=>, token or not. */
    ib.enabled = 0;
    CHECK_OK(mail_envelope_sender(&ib, "ackbeat@example.test", tok, got, NULL));
    CHECK_STR(got, "ackbeat@example.test");
    CHECK_OK(mail_envelope_sender(NULL, "ackbeat@example.test", NULL, got, NULL));
    CHECK_STR(got, "ackbeat@example.test");

    /* Bad inputs name what is wrong. */
    ab_errmsg em;
    ib.enabled = 1;
    CHECK_INT(mail_envelope_sender(&ib, "ackbeat@example.test", "short", got, &em),
              AB_EINVAL);
    CHECK_CONTAINS(em.text, "bounce-address");
    CHECK_CONTAINS(em.text, "token");
    ib.bounce_address = "\"quoted local\"@example.test";
    CHECK_INT(mail_envelope_sender(&ib, "ackbeat@example.test", tok, got, &em),
              AB_EINVAL);
    CHECK_CONTAINS(em.text, "quoted");
    /* A local part that cannot take 27 more bytes within the 64. */
    ib.bounce_address = "a-local-part-of-forty-characters-long-x@example.test";
    CHECK_INT(mail_envelope_sender(&ib, "ackbeat@example.test", tok, got, &em),
              AB_EINVAL);
    CHECK_INT(mail_envelope_sender(NULL, NULL, NULL, got, &em), AB_EINVAL);

    CHECK_OK(mail_plus_address("x", "a.b@example.test", tok, got, NULL));
    snprintf(want, sizeof want, "a.b+%s@example.test", tok);
    CHECK_STR(got, want);
}

/* The envelope sender travels beside the message, never in it: only the
 * final delivery writes Return-Path (RFC 5321 4.4). */
TEST(envelope_sender_is_not_a_header)
{
    ab_buf b;
    ab_buf_init(&b, 0);
    struct mail_msg_spec s = base_spec();
    s.envelope_from = "heartbeat+abcdefghijklmnopqrstuvwxyz@example.test";
    CHECK_OK(mail_msg_build(&s, &b, NULL, NULL));
    int has_rp = strstr(ab_buf_str(&b), "Return-Path") != NULL;
    int has_verp = strstr(ab_buf_str(&b), "heartbeat+") != NULL;
    ab_buf_free(&b);
    CHECK(!has_rp);
    CHECK(!has_verp);
    /* Nor may an extra header smuggle one in. */
    static const struct mail_header rp[] = {{"Return-Path", "<x@example.test>"}};
    s.headers = rp;
    s.nheaders = 1;
    ab_errmsg em;
    ab_buf_init(&b, 0);
    CHECK_INT(mail_msg_build(&s, &b, NULL, &em), AB_EINVAL);
    ab_buf_free(&b);
    CHECK_CONTAINS(em.text, "Return-Path");
}

TEST(header_injection_is_rejected)
{
    ab_buf b;
    ab_buf_init(&b, 0);
    ab_errmsg em;
    struct mail_msg_spec s = base_spec();
    s.subject = "Check orders\r\nBcc: victim@example.test";
    CHECK_INT(mail_msg_build(&s, &b, NULL, &em), AB_EINVAL);
    CHECK_CONTAINS(em.text, "Subject");
    CHECK_CONTAINS(em.text, "injection");

    s = base_spec();
    s.subject = "Check orders\nX-Evil: 1";
    CHECK_INT(mail_msg_build(&s, &b, NULL, &em), AB_EINVAL);
    CHECK_CONTAINS(em.text, "Subject");

    s = base_spec();
    s.from_name = "Monitor\r\nBcc: x@example.test";
    CHECK_INT(mail_msg_build(&s, &b, NULL, &em), AB_EINVAL);
    CHECK_CONTAINS(em.text, "From");

    s = base_spec();
    struct mail_addr to[] = {{"alice@example.test\r\nRCPT TO:<evil@example.test>", NULL}};
    s.to = to;
    s.nto = 1;
    CHECK_INT(mail_msg_build(&s, &b, NULL, &em), AB_EINVAL);
    CHECK_CONTAINS(em.text, "To");

    s = base_spec();
    struct mail_addr to2[] = {{"alice@example.test", "Alice\nBcc: evil@example.test"}};
    s.to = to2;
    s.nto = 1;
    CHECK_INT(mail_msg_build(&s, &b, NULL, &em), AB_EINVAL);
    CHECK_CONTAINS(em.text, "To name");

    s = base_spec();
    s.reply_to = "a@example.test\n";
    CHECK_INT(mail_msg_build(&s, &b, NULL, &em), AB_EINVAL);
    CHECK_CONTAINS(em.text, "Reply-To");

    s = base_spec();
    s.in_reply_to = "<a@b.test>\r\nBcc: x@y.test";
    CHECK_INT(mail_msg_build(&s, &b, NULL, &em), AB_EINVAL);
    CHECK_CONTAINS(em.text, "In-Reply-To");

    s = base_spec();
    s.references = "<a@b.test>\n<c@d.test>";
    CHECK_INT(mail_msg_build(&s, &b, NULL, &em), AB_EINVAL);
    CHECK_CONTAINS(em.text, "References");

    s = base_spec();
    s.message_id = "<a@b.test>\r\nX: y";
    CHECK_INT(mail_msg_build(&s, &b, NULL, &em), AB_EINVAL);
    CHECK_CONTAINS(em.text, "Message-ID");

    s = base_spec();
    struct mail_header h1[] = {{"X-Ackbeat-Check", "orders\r\nBcc: x@example.test"}};
    s.headers = h1;
    s.nheaders = 1;
    CHECK_INT(mail_msg_build(&s, &b, NULL, &em), AB_EINVAL);
    CHECK_CONTAINS(em.text, "X-Ackbeat-Check");

    struct mail_header h2[] = {{"X-Bad: Name", "v"}};
    s.headers = h2;
    CHECK_INT(mail_msg_build(&s, &b, NULL, &em), AB_EINVAL);
    CHECK_CONTAINS(em.text, "field name");

    struct mail_header h3[] = {{"bcc", "x@example.test"}};
    s.headers = h3;
    CHECK_INT(mail_msg_build(&s, &b, NULL, &em), AB_EINVAL);
    CHECK_CONTAINS(em.text, "set by ackbeat");
    CHECK_INT(b.len, 0);
    ab_buf_free(&b);
}

TEST(bad_input_is_rejected)
{
    ab_buf b;
    ab_buf_init(&b, 0);
    ab_errmsg em;
    struct mail_msg_spec s = base_spec();
    s.text = "bad \xff\xfe utf-8";
    CHECK_INT(mail_msg_build(&s, &b, NULL, &em), AB_EINVAL);
    CHECK_CONTAINS(em.text, "text part");

    s = base_spec();
    s.nto = 0;
    CHECK_INT(mail_msg_build(&s, &b, NULL, &em), AB_EINVAL);

    s = base_spec();
    s.from = "not an address";
    CHECK_INT(mail_msg_build(&s, &b, NULL, &em), AB_EINVAL);
    CHECK_CONTAINS(em.text, "From: 'not an address' is not an address");

    /* A header that cannot be folded under 998 characters. */
    s = base_spec();
    char big[1200];
    memset(big, 'z', sizeof big - 1);
    big[sizeof big - 1] = 0;
    struct mail_header h[] = {{"X-Long", big}};
    s.headers = h;
    s.nheaders = 1;
    enum ab_err e = mail_msg_build(&s, &b, NULL, &em);
    if (e == AB_OK)
        CHECK_INT(lines_ok(&b, 998), 0);
    else
        CHECK_INT(e, AB_EINVAL);
    ab_buf_free(&b);
}

TEST(address_syntax)
{
    static const char *const good[] = {
        "alice@example.test", "a.b+tag@sub.example.test", "x@[127.0.0.1]",
        "\"quoted local\"@example.test", "o'brien@example.ie", "UPPER@EXAMPLE.TEST",
        "a@b",
    };
    static const char *const bad[] = {
        "not an address", "alice", "@example.test", "alice@", "alice@@example.test",
        "al ice@example.test", "alice@-x.test", "alice@x-.test", "a..b@example.test",
        ".a@example.test", "a.@example.test", "<alice@example.test>",
        "Alice <alice@example.test>", "alice@exa mple.test", "alice@example..test",
        "j\xc3\xb6rg@example.test", "alice@example.test\n", "", "a\"b@example.test",
        "alice@example.test,bob@example.test",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        if (mail_addr_check("t", good[i], NULL) != AB_OK)
            t_fail(__FILE__, __LINE__, "rejected good address '%s'", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (mail_addr_check("t", bad[i], NULL) != AB_EINVAL)
            t_fail(__FILE__, __LINE__, "accepted bad address '%s'", bad[i]);
    char longlocal[100];
    memset(longlocal, 'a', 65);
    memcpy(longlocal + 65, "@example.test", 14);
    CHECK_INT(mail_addr_check("t", longlocal, NULL), AB_EINVAL);
    CHECK_STR(mail_addr_domain("alice@example.test"), "example.test");
    CHECK(mail_addr_domain("nope") == NULL);
    ab_errmsg em;
    CHECK_INT(mail_addr_check("To", "a@b.test\r\nRCPT TO:<c@d.test>", &em), AB_EINVAL);
    CHECK_CONTAINS(em.text, "To: line break");
}

TEST(message_id_syntax)
{
    CHECK_OK(mail_msgid_check("t", "<a@b>", NULL));
    CHECK_OK(mail_msgid_check("t", "<hb.abcdefghijklmnopqrstuvwxyz@example.test>", NULL));
    CHECK_OK(mail_msgid_check("t", "<x.1@[127.0.0.1]>", NULL));
    CHECK_INT(mail_msgid_check("t", "a@b", NULL), AB_EINVAL);
    CHECK_INT(mail_msgid_check("t", "<ab>", NULL), AB_EINVAL);
    CHECK_INT(mail_msgid_check("t", "<a@b@c>", NULL), AB_EINVAL);
    CHECK_INT(mail_msgid_check("t", "<a b@c>", NULL), AB_EINVAL);
    CHECK_INT(mail_msgid_check("t", "<@c>", NULL), AB_EINVAL);
    CHECK_INT(mail_msgid_check("t", "<a@>", NULL), AB_EINVAL);
    CHECK_INT(mail_msgid_check("t", "<a@b>x", NULL), AB_EINVAL);
}

TEST(backoff_doubles_to_a_cap_with_jitter)
{
    const uint32_t mid = UINT32_MAX / 2;
    CHECK_INT(mail_backoff(0, 1, mid), 60);
    CHECK_INT(mail_backoff(0, 2, mid), 120);
    CHECK_INT(mail_backoff(0, 3, mid), 240);
    CHECK_INT(mail_backoff(0, 6, mid), 1920);
    CHECK_INT(mail_backoff(0, 7, mid), 3600);
    CHECK_INT(mail_backoff(0, 50, mid), 3600);
    CHECK_INT(mail_backoff(0, 1, 0), 48);
    CHECK_INT(mail_backoff(0, 1, UINT32_MAX), 72);
    CHECK_INT(mail_backoff(0, 9, 0), 2880);
    CHECK_INT(mail_backoff(0, 9, UINT32_MAX), 4320);
    /* <mail retry="5s">: the same curve from another start. */
    CHECK_INT(mail_backoff(5, 1, mid), 5);
    CHECK_INT(mail_backoff(5, 3, mid), 20);
    /* Never shorter than the step before, at the same jitter. */
    for (int a = 1; a < 40; a++)
        CHECK(mail_backoff(0, a + 1, 12345) >= mail_backoff(0, a, 12345));
}
