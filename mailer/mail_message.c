/*
 * mail_message.c - building an outgoing message: RFC 5322 header fields, MIME
 * (RFC 2045-2046) with UTF-8 text and HTML as multipart/alternative,
 * RFC 2047 encoded-words for non-ASCII header text, RFC 3834
 * Auto-Submitted.
 *
 * GMime 3 does the encoding work (encoded-words, quoted-printable,
 * base64, header folding); this file decides what goes in and checks
 * what comes out.  Everything a caller passes is validated first, because
 * some of it (a check name in a subject or header) comes from
 * configuration that a person typed: a CR or LF there must not become a
 * header of its own.
 */
#include "mailer/mail.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/ab_dl_gmime.h"
#include "common/ab_mem.h"

/* RFC 5322 2.1.1: lines SHOULD be at most 78 characters, MUST be at most
 * 998.  Body parts are encoded so they keep to 76 (the QP and base64
 * limit); headers are folded by GMime at 78. */
#define LINE_SOFT 76
#define LINE_HARD 998

static pthread_once_t gmime_once = PTHREAD_ONCE_INIT;

static void gmime_start(void)
{
    /* Never shut down: GMime keeps process-wide tables, and other
     * modules (inbox/) use it too. */
    g_mime_init();
}

/* Header fields this file writes itself; an extra header may not
 * replace them. */
static const char *const reserved[] = {
    "Date", "Message-ID", "From", "Sender", "To", "Cc", "Bcc", "Reply-To",
    "Subject", "In-Reply-To", "References", "Auto-Submitted", "MIME-Version",
    "Content-Type", "Content-Transfer-Encoding", "Return-Path",
};

static enum ab_err check_text(const char *field, const char *s, int header,
                              ab_errmsg *em)
{
    if (!g_utf8_validate(s, -1, NULL))
        return ab_fail(em, AB_EINVAL, "%s: not valid UTF-8", field);
    if (header && strpbrk(s, "\r\n"))
        return ab_fail(em, AB_EINVAL,
                       "%s: line break in header value (header injection "
                       "attempt?)",
                       field);
    return AB_OK;
}

static enum ab_err check_header_name(const char *name, ab_errmsg *em)
{
    if (!name || !*name)
        return ab_fail(em, AB_EINVAL, "extra header: empty field name");
    for (const char *p = name; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c < 33 || c > 126 || c == ':')
            return ab_fail(em, AB_EINVAL,
                           "extra header: '%.60s' is not a field name "
                           "(printable ASCII without ':' or spaces)",
                           name);
    }
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
        if (strcasecmp(name, reserved[i]) == 0)
            return ab_fail(em, AB_EINVAL,
                           "extra header: %s is set by ackbeat itself", name);
    return AB_OK;
}

/* References: one or more msg-ids separated by white space. */
static enum ab_err check_references(const char *refs, ab_errmsg *em)
{
    if (strpbrk(refs, "\r\n"))
        return ab_fail(em, AB_EINVAL,
                       "References: line break in header value (header "
                       "injection attempt?)");
    const char *p = refs;
    int n = 0;
    while (*p) {
        while (*p == ' ' || *p == '\t')
            p++;
        if (!*p)
            break;
        const char *end = strchr(p, '>');
        if (!end)
            return ab_fail(em, AB_EINVAL, "References: '%.80s' is not a list of Message-IDs", refs);
        char one[MAIL_MSGID_MAX];
        size_t len = (size_t)(end - p + 1);
        if (len >= sizeof one)
            return ab_fail(em, AB_EINVAL, "References: Message-ID too long");
        memcpy(one, p, len);
        one[len] = 0;
        enum ab_err e = mail_msgid_check("References", one, em);
        if (e)
            return e;
        n++;
        p = end + 1;
    }
    if (n == 0)
        return ab_fail(em, AB_EINVAL, "References: empty");
    return AB_OK;
}

static enum ab_err check_spec(const struct mail_msg_spec *s, ab_errmsg *em)
{
    enum ab_err e;
    if ((e = mail_addr_check("From", s->from, em)))
        return e;
    if (s->from_name && (e = check_text("From name", s->from_name, 1, em)))
        return e;
    if (!s->to || s->nto == 0)
        return ab_fail(em, AB_EINVAL, "To: no recipients");
    for (size_t i = 0; i < s->nto; i++) {
        if ((e = mail_addr_check("To", s->to[i].addr, em)))
            return e;
        if (s->to[i].name && (e = check_text("To name", s->to[i].name, 1, em)))
            return e;
    }
    if (s->reply_to && (e = mail_addr_check("Reply-To", s->reply_to, em)))
        return e;
    if (!s->subject)
        return ab_fail(em, AB_EINVAL, "Subject: missing");
    if ((e = check_text("Subject", s->subject, 1, em)))
        return e;
    if (!s->text)
        return ab_fail(em, AB_EINVAL, "text part: missing");
    if ((e = check_text("text part", s->text, 0, em)))
        return e;
    if (s->html && (e = check_text("HTML part", s->html, 0, em)))
        return e;
    if (s->message_id && (e = mail_msgid_check("Message-ID", s->message_id, em)))
        return e;
    if (s->in_reply_to && (e = mail_msgid_check("In-Reply-To", s->in_reply_to, em)))
        return e;
    if (s->references && (e = check_references(s->references, em)))
        return e;
    for (size_t i = 0; i < s->nheaders; i++) {
        if ((e = check_header_name(s->headers[i].name, em)))
            return e;
        if (!s->headers[i].value)
            return ab_fail(em, AB_EINVAL, "%s: missing value", s->headers[i].name);
        if ((e = check_text(s->headers[i].name, s->headers[i].value, 1, em)))
            return e;
    }
    if (s->date == AB_TIME_NONE)
        return ab_fail(em, AB_EINVAL, "Date: not set");
    return AB_OK;
}

/* The text with CRLF and lone CR turned into LF: GMime writes the
 * newline convention of the output itself, and a CR left in would be
 * encoded as =0D. */
static char *normalise_newlines(const char *s)
{
    size_t n = strlen(s);
    char *o = ab_malloc(n + 1);
    if (!o)
        return NULL;
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\r') {
            o[j++] = '\n';
            if (s[i + 1] == '\n')
                i++;
        } else {
            o[j++] = s[i];
        }
    }
    o[j] = 0;
    return o;
}

static size_t longest_line(const char *s)
{
    size_t best = 0, cur = 0;
    for (; *s; s++) {
        if (*s == '\n') {
            cur = 0;
        } else if (++cur > best) {
            best = cur;
        }
    }
    return best;
}

static GMimeTextPart *text_part(const char *subtype, const char *content,
                                ab_errmsg *em)
{
    char *norm = normalise_newlines(content);
    if (!norm) {
        ab_fail(em, AB_ENOMEM, "out of memory");
        return NULL;
    }
    GMimeTextPart *tp = g_mime_text_part_new_with_subtype(subtype);
    g_mime_text_part_set_text(tp, norm);
    /* Always say UTF-8, even for ASCII text: it is what was rendered. */
    g_mime_text_part_set_charset(tp, "utf-8");
    GMimePart *part = GMIME_PART(tp);
    /* GMime picks 7bit, quoted-printable or base64 by content; it leaves
     * long ASCII lines as 7bit, which would break the 78-column rule,
     * so those get quoted-printable (soft line breaks at 76). */
    GMimeContentEncoding enc =
        g_mime_part_get_best_content_encoding(part, GMIME_ENCODING_CONSTRAINT_7BIT);
    if ((enc == GMIME_CONTENT_ENCODING_DEFAULT || enc == GMIME_CONTENT_ENCODING_7BIT) &&
        longest_line(norm) > LINE_SOFT)
        enc = GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE;
    if (enc == GMIME_CONTENT_ENCODING_DEFAULT)
        enc = GMIME_CONTENT_ENCODING_7BIT;
    g_mime_part_set_content_encoding(part, enc);
    ab_free(norm);
    return tp;
}

static void add_mailbox(InternetAddressList *list, const char *name, const char *addr)
{
    InternetAddress *ia = internet_address_mailbox_new(name, addr);
    /* Without a charset GMime may pick ISO-8859-1 for a name; ackbeat
     * speaks UTF-8 throughout. */
    internet_address_set_charset(ia, "utf-8");
    internet_address_list_add(list, ia);
    g_object_unref(ia);
}

/* Is every line of the serialised message within the hard limit?  Name
 * the header at fault if not. */
static enum ab_err check_lines(const char *s, size_t n, ab_errmsg *em)
{
    size_t start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == '\n') {
            size_t len = i - start;
            if (len > 0 && s[i - 1] == '\r')
                len--;
            if (len > LINE_HARD) {
                const char *colon = memchr(s + start, ':', len);
                int nl = colon ? (int)(colon - (s + start)) : 0;
                return ab_fail(em, AB_EINVAL,
                               "%.*s%sa line of %zu characters cannot be "
                               "folded under %d",
                               nl > 60 ? 60 : nl, s + start, colon ? ": " : "",
                               len, LINE_HARD);
            }
            start = i + 1;
        }
    }
    return AB_OK;
}

/* The header fields after Date:, in the order they are written: the
 * addresses, the subject, the id and threading, then the caller's own. */
static void set_headers(GMimeMessage *m, const struct mail_msg_spec *spec,
                        const char *msgid)
{
    GMimeObject *obj = GMIME_OBJECT(m);
    add_mailbox(g_mime_message_get_from(m), spec->from_name, spec->from);
    for (size_t i = 0; i < spec->nto; i++)
        add_mailbox(g_mime_message_get_to(m), spec->to[i].name, spec->to[i].addr);
    if (spec->reply_to)
        add_mailbox(g_mime_message_get_reply_to(m), NULL, spec->reply_to);
    g_mime_message_set_subject(m, spec->subject, "utf-8");

    /* GMime wants the id without its angle brackets. */
    char inner[MAIL_MSGID_MAX];
    size_t idn = strlen(msgid);
    memcpy(inner, msgid + 1, idn - 2);
    inner[idn - 2] = 0;
    g_mime_message_set_message_id(m, inner);
    if (spec->in_reply_to)
        g_mime_object_set_header(obj, "In-Reply-To", spec->in_reply_to, NULL);
    if (spec->references)
        g_mime_object_set_header(obj, "References", spec->references, NULL);
    /* RFC 3834: tells vacation responders and other robots not to
     * answer; the inbox relies on people replying, robots staying
     * quiet. */
    g_mime_object_set_header(obj, "Auto-Submitted", "auto-generated", NULL);
    for (size_t i = 0; i < spec->nheaders; i++)
        g_mime_object_append_header(obj, spec->headers[i].name,
                                    spec->headers[i].value, "utf-8");
}

/* The body: the plain text alone, or it and the HTML as alternatives. */
static enum ab_err set_body(GMimeMessage *m, const struct mail_msg_spec *spec,
                            ab_errmsg *em)
{
    GMimeTextPart *tp = text_part("plain", spec->text, em);
    if (!tp)
        return AB_ENOMEM;
    if (!spec->html) {
        g_mime_message_set_mime_part(m, GMIME_OBJECT(tp));
        g_object_unref(tp);
        return AB_OK;
    }
    GMimeTextPart *hp = text_part("html", spec->html, em);
    if (!hp) {
        g_object_unref(tp);
        return AB_ENOMEM;
    }
    /* RFC 2046 5.1.4: alternatives in increasing order of preference, so
     * plain text first. */
    GMimeMultipart *alt = g_mime_multipart_new_with_subtype("alternative");
    g_mime_multipart_add(alt, GMIME_OBJECT(tp));
    g_mime_multipart_add(alt, GMIME_OBJECT(hp));
    g_object_unref(tp);
    g_object_unref(hp);
    g_mime_message_set_mime_part(m, GMIME_OBJECT(alt));
    g_object_unref(alt);
    return AB_OK;
}

enum ab_err mail_msg_build(const struct mail_msg_spec *spec, ab_buf *out,
                           char *msgid_out, ab_errmsg *em)
{
    enum ab_err e = check_spec(spec, em);
    if (e)
        return e;
    pthread_once(&gmime_once, gmime_start);

    char msgid[MAIL_MSGID_MAX];
    if (spec->message_id) {
        snprintf(msgid, sizeof msgid, "%s", spec->message_id);
    } else if ((e = mail_msgid_new(spec->from, msgid, em))) {
        return e;
    }

    GMimeMessage *m = g_mime_message_new(TRUE);
    GMimeFormatOptions *fo = NULL;
    char *text = NULL;

    GDateTime *date = g_date_time_new_from_unix_utc(spec->date);
    if (!date) {
        e = ab_fail(em, AB_EINVAL, "Date: out of range");
        goto out;
    }
    g_mime_message_set_date(m, date);
    g_date_time_unref(date);
    set_headers(m, spec, msgid);
    if ((e = set_body(m, spec, em)))
        goto out;

    fo = g_mime_format_options_clone(NULL);
    g_mime_format_options_set_newline_format(fo, GMIME_NEWLINE_FORMAT_DOS);
    text = g_mime_object_to_string(GMIME_OBJECT(m), fo);
    if (!text) {
        e = ab_fail(em, AB_ENOMEM, "cannot serialise the message");
        goto out;
    }
    size_t len = strlen(text);
    if ((e = check_lines(text, len, em)))
        goto out;
    ab_buf_reset(out);
    if (ab_buf_append(out, text, len) != AB_OK) {
        e = ab_fail(em, AB_ERANGE, "message of %zu bytes is too large", len);
        goto out;
    }
    if (msgid_out)
        memcpy(msgid_out, msgid, strlen(msgid) + 1);
out:
    g_free(text);
    if (fo)
        g_mime_format_options_free(fo);
    g_object_unref(m);
    return e;
}
