/*
 * inbox_parse.c - one email, bytes in, struct inbox_msg out, with GMime 3.
 *
 * Implements the reading side of RFC 5322 (headers, addresses, msg-ids),
 * RFC 2045-2047 (MIME structure, quoted-printable and base64, encoded
 * words, via GMime), RFC 3676 (format=flowed, inbox_text.c) and RFC 3464
 * (the delivery-status part of a DSN and its returned message).
 *
 * Everything here is bounded because every byte is untrusted: the parts
 * walked (INBOX_MAX_PARTS, nesting depth), the bytes of any text decoded
 * (INBOX_MAX_TEXT), the headers copied.  Attachments are never decoded:
 * only their content type and disposition are looked at.
 *
 * "The best text part" is the first text/plain that is not an attachment,
 * else the first text/html converted to text: in multipart/alternative the
 * plain part is what the sender's client wrote for text readers, and the
 * token of a quoted heartbeat survives in it.
 */
#include "inbox/inbox_int.h"

#include <pthread.h>
#include <string.h>
#include <strings.h>

#include "common/ab_dl_gmime.h"
#include "common/ab_mem.h"

#define MAX_DEPTH 24
#define MAX_HEADER_VALUE 8192
#define MAX_RETURNED ((size_t)64 << 10)
#define MAX_DSN_RCPTS 100
#define MAX_ADDRS 200

static pthread_once_t gmime_once = PTHREAD_ONCE_INIT;

static void gmime_start(void)
{
    g_mime_init();
}

/* The walk's state: what was found so far, and the limits spent. */
struct walk {
    struct inbox_msg *m;
    char *plain;    /* first text/plain, UTF-8 */
    char *html;     /* first text/html, converted */
    int nomem;
};

static char *dup_lower(const char *s)
{
    char *d = ab_strdup(s);
    if (d)
        for (char *p = d; *p; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p = (char)(*p - 'A' + 'a');
    return d;
}

static int push_str(char ***v, size_t *n, const char *s, size_t max)
{
    if (*n >= max)
        return 0;
    char **nv = ab_realloc(*v, (*n + 1) * sizeof **v);
    if (!nv)
        return -1;
    *v = nv;
    if (!(nv[*n] = dup_lower(s)))
        return -1;
    (*n)++;
    return 0;
}

/* Append every mailbox of list (groups flattened) to v. */
static int add_addrs(InternetAddressList *list, char ***v, size_t *n, int depth)
{
    if (!list || depth > 4)
        return 0;
    int cnt = internet_address_list_length(list);
    for (int i = 0; i < cnt; i++) {
        InternetAddress *ia = internet_address_list_get_address(list, i);
        if (INTERNET_ADDRESS_IS_MAILBOX(ia)) {
            const char *a = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia));
            if (a && *a && push_str(v, n, a, MAX_ADDRS) < 0)
                return -1;
        } else if (INTERNET_ADDRESS_IS_GROUP(ia)) {
            if (add_addrs(internet_address_group_get_members(INTERNET_ADDRESS_GROUP(ia)),
                          v, n, depth + 1) < 0)
                return -1;
        }
    }
    return 0;
}

static int add_header_addrs(GMimeHeaderList *hl, const char *name, char ***v,
                            size_t *n)
{
    int cnt = g_mime_header_list_get_count(hl);
    for (int i = 0; i < cnt; i++) {
        GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
        if (g_ascii_strcasecmp(g_mime_header_get_name(h), name) != 0)
            continue;
        const char *val = g_mime_header_get_value(h);
        if (!val)
            continue;
        InternetAddressList *l = internet_address_list_parse(NULL, val);
        int r = add_addrs(l, v, n, 0);
        if (l)
            g_object_unref(l);
        if (r < 0)
            return -1;
    }
    return 0;
}

/* Decode a part's content (transfer encoding only), at most cap bytes. */
static char *part_bytes(GMimePart *part, size_t cap, size_t *len, int *truncated)
{
    *len = 0;
    GMimeDataWrapper *dw = g_mime_part_get_content(part);
    if (!dw)
        return ab_strdup("");
    GMimeStream *src = g_mime_data_wrapper_get_stream(dw);
    GMimeContentEncoding enc = g_mime_data_wrapper_get_encoding(dw);
    GMimeFilter *dec = NULL;
    if (enc == GMIME_CONTENT_ENCODING_BASE64 ||
        enc == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE ||
        enc == GMIME_CONTENT_ENCODING_UUENCODE)
        dec = g_mime_filter_basic_new(enc, FALSE);
    ab_buf out;
    ab_buf_init(&out, cap);
    char *res = NULL;
    if (!src)
        goto done;
    g_mime_stream_reset(src);
    char in[16384];
    for (;;) {
        ssize_t r = g_mime_stream_read(src, in, sizeof in);
        int eos = r <= 0;
        char *o = in;
        size_t olen = r > 0 ? (size_t)r : 0, pre;
        if (dec) {
            if (eos)
                g_mime_filter_complete(dec, in, 0, 0, &o, &olen, &pre);
            else
                g_mime_filter_filter(dec, in, (size_t)r, 0, &o, &olen, &pre);
        }
        if (olen) {
            size_t room = cap - out.len;
            if (olen > room) {
                olen = room;
                *truncated = 1;
            }
            if (ab_buf_append(&out, o, olen) != AB_OK)
                goto done;
        }
        if (eos || out.len >= cap) {
            if (!eos)
                *truncated = 1;
            break;
        }
    }
done:
    *len = out.len;
    res = out.len ? ab_buf_steal(&out) : ab_strdup("");
    ab_buf_free(&out);
    if (dec)
        g_object_unref(dec);
    return res;
}

/* A text part as UTF-8 plain text (charset converted, flowed undone). */
static char *part_text(GMimePart *part, int *truncated, int *is_html)
{
    GMimeContentType *ct = g_mime_object_get_content_type(GMIME_OBJECT(part));
    size_t n;
    char *raw = part_bytes(part, INBOX_MAX_TEXT, &n, truncated);
    if (!raw)
        return NULL;
    const char *cs = ct ? g_mime_content_type_get_parameter(ct, "charset") : NULL;
    char *u = inbox_to_utf8(raw, n, cs);
    ab_free(raw);
    if (!u)
        return NULL;
    if (ct && g_mime_content_type_is_type(ct, "text", "html")) {
        char *t = inbox_html_to_text(u, strlen(u));
        ab_free(u);
        *is_html = 1;
        return t;
    }
    *is_html = 0;
    const char *fmt = ct ? g_mime_content_type_get_parameter(ct, "format") : NULL;
    if (fmt && g_ascii_strcasecmp(fmt, "flowed") == 0) {
        const char *d = g_mime_content_type_get_parameter(ct, "delsp");
        char *f = inbox_flowed_unwrap(u, d && g_ascii_strcasecmp(d, "yes") == 0);
        ab_free(u);
        u = f;
    }
    return u;
}

/* RFC 3464 2.1: the delivery-status body is blocks of header-like fields,
 * the first per message, then one per recipient, separated by blank
 * lines; fields may be folded.  A block with a recipient becomes one
 * inbox_dsn_rcpt. */
static void dsn_flush(struct inbox_msg *m, struct inbox_dsn_rcpt *cur)
{
    if (cur->original && cur->recipient && strcmp(cur->original, cur->recipient) == 0) {
        ab_free(cur->original);
        cur->original = NULL;
    }
    if (cur->recipient && m->ndsn < MAX_DSN_RCPTS) {
        struct inbox_dsn_rcpt *nv = ab_realloc(m->dsn, (m->ndsn + 1) * sizeof *nv);
        if (nv) {
            m->dsn = nv;
            m->dsn[m->ndsn++] = *cur;
            memset(cur, 0, sizeof *cur);
            return;
        }
    }
    ab_free(cur->recipient);
    ab_free(cur->original);
    ab_free(cur->action);
    ab_free(cur->status);
    ab_free(cur->diagnostic);
    memset(cur, 0, sizeof *cur);
}

static void dsn_field(struct inbox_dsn_rcpt *cur, char *line)
{
    char *colon = strchr(line, ':');
    if (!colon)
        return;
    *colon = '\0';
    char *val = colon + 1;
    while (*val == ' ' || *val == '\t')
        val++;
    /* "rfc822; user@example.org": the address follows the type. */
    char *semi = strchr(val, ';');
    char *addr = semi ? semi + 1 : val;
    while (*addr == ' ' || *addr == '\t')
        addr++;
    int final = strcasecmp(line, "Final-Recipient") == 0;
    if (final || strcasecmp(line, "Original-Recipient") == 0) {
        char *a = addr;
        if (*a == '<')
            a++;
        char *v = ab_strndup(a, strcspn(a, "> \t"));
        if (v)
            for (char *q = v; *q; q++)
                if (*q >= 'A' && *q <= 'Z')
                    *q = (char)(*q - 'A' + 'a');
        /* Either order: Original-Recipient stands in for a missing
         * Final-Recipient and is kept apart when both are there. */
        if (final) {
            if (cur->recipient && !cur->recipient_final && !cur->original)
                cur->original = cur->recipient;
            else
                ab_free(cur->recipient);
            cur->recipient = v;
            cur->recipient_final = 1;
        } else if (!cur->recipient) {
            cur->recipient = v;
        } else {
            ab_free(cur->original);
            cur->original = v;
        }
    } else if (strcasecmp(line, "Action") == 0) {
        ab_free(cur->action);
        cur->action = dup_lower(val);
        if (cur->action)
            cur->action[strcspn(cur->action, " \t(")] = '\0';
    } else if (strcasecmp(line, "Status") == 0) {
        ab_free(cur->status);
        cur->status = ab_strndup(val, strcspn(val, " \t("));
    } else if (strcasecmp(line, "Diagnostic-Code") == 0) {
        ab_free(cur->diagnostic);
        cur->diagnostic = ab_strdup(addr);
    }
}

static void dsn_fields(struct inbox_msg *m, const char *p)
{
    struct inbox_dsn_rcpt cur = {0};
    while (*p) {
        /* one logical line: a physical line plus its continuations */
        char line[2048];
        size_t ll = 0;
        for (;;) {
            size_t seg = strcspn(p, "\n");
            size_t take = seg;
            if (take && p[take - 1] == '\r')
                take--;
            if (take > sizeof line - 1 - ll)
                take = sizeof line - 1 - ll;
            memcpy(line + ll, p, take);
            ll += take;
            p += seg;
            if (*p == '\n')
                p++;
            if (*p != ' ' && *p != '\t')
                break;
        }
        line[ll] = '\0';
        if (line[strspn(line, " \t")] == '\0')
            dsn_flush(m, &cur);
        else
            dsn_field(&cur, line);
    }
    dsn_flush(m, &cur);
}

/* Headers and text of a returned message (message/rfc822 or
 * text/rfc822-headers), kept as one searchable text. */
static void returned_from_message(struct walk *w, GMimeMessage *rm)
{
    struct inbox_msg *m = w->m;
    if (m->returned)
        return;
    ab_buf b;
    ab_buf_init(&b, MAX_RETURNED);
    char *hdrs = g_mime_object_get_headers(GMIME_OBJECT(rm), NULL);
    enum ab_err e = AB_OK;
    if (hdrs) {
        e = ab_buf_puts(&b, hdrs);
        g_free(hdrs);
    }
    const char *mid = g_mime_message_get_message_id(rm);
    if (mid && !m->returned_message_id)
        m->returned_message_id = ab_strdup(mid);
    GMimeObject *body = g_mime_message_get_mime_part(rm);
    /* The returned body: its first text part is enough to find a token. */
    for (int i = 0; body && i < 8; i++) {
        if (GMIME_IS_MULTIPART(body)) {
            if (g_mime_multipart_get_count(GMIME_MULTIPART(body)) < 1)
                break;
            body = g_mime_multipart_get_part(GMIME_MULTIPART(body), 0);
        } else if (GMIME_IS_TEXT_PART(body)) {
            int tr = 0, html = 0;
            char *t = part_text(GMIME_PART(body), &tr, &html);
            if (t) {
                /* past the cap the returned text is simply shorter */
                if (!e && !(e = ab_buf_puts(&b, "\n")))
                    e = ab_buf_puts(&b, t);
                ab_free(t);
            }
            break;
        } else {
            break;
        }
    }
    (void)e;
    m->returned = b.len ? ab_buf_steal(&b) : ab_strdup("");
    ab_buf_free(&b);
    if (!m->returned)
        w->nomem = 1;
}

static int is_attachment(GMimeObject *o)
{
    GMimeContentDisposition *d = g_mime_object_get_content_disposition(o);
    return d && g_mime_content_disposition_is_attachment(d);
}

/* "application/gzip; google.com!example.org!1764547200!1764633599.xml.gz":
 * what a machine report's attachment looks like, for inbox_classify.c. */
static void note_attachment(struct walk *w, GMimeObject *o, GMimeContentType *ct)
{
    struct inbox_msg *m = w->m;
    const char *name = g_mime_part_get_filename(GMIME_PART(o));
    char *type = g_mime_content_type_get_mime_type(ct);
    size_t tl = type ? strlen(type) : 0, nl = name ? strlen(name) : 0;
    char *d = ab_malloc(tl + nl + 3);
    char **nv = d ? ab_realloc(m->attachments, (m->nattachments + 1) * sizeof *nv) : NULL;
    if (!nv) {
        ab_free(d);
        w->nomem = 1;
    } else {
        for (size_t i = 0; i < tl; i++)
            d[i] = (type[i] >= 'A' && type[i] <= 'Z') ? (char)(type[i] - 'A' + 'a') : type[i];
        memcpy(d + tl, "; ", 2);
        memcpy(d + tl + 2, name ? name : "", nl + 1);
        m->attachments = nv;
        m->attachments[m->nattachments++] = d;
    }
    g_free(type);
}

static void walk(struct walk *w, GMimeObject *o, int depth, int in_report)
{
    struct inbox_msg *m = w->m;
    if (!o || w->nomem)
        return;
    if (m->nparts >= INBOX_MAX_PARTS || depth > MAX_DEPTH) {
        m->truncated = 1;
        return;
    }
    m->nparts++;
    GMimeContentType *ct = g_mime_object_get_content_type(o);
    if (GMIME_IS_MULTIPART(o)) {
        int report = 0;
        if (ct && g_mime_content_type_is_type(ct, "multipart", "report")) {
            const char *rt = g_mime_content_type_get_parameter(ct, "report-type");
            if (rt && !m->report_type && !(m->report_type = dup_lower(rt)))
                w->nomem = 1;
            if (rt && g_ascii_strcasecmp(rt, "delivery-status") == 0 && depth == 0)
                m->is_dsn = report = 1;
        }
        int cnt = g_mime_multipart_get_count(GMIME_MULTIPART(o));
        for (int i = 0; i < cnt && !w->nomem; i++)
            walk(w, g_mime_multipart_get_part(GMIME_MULTIPART(o), i), depth + 1,
                 report);
        return;
    }
    if (GMIME_IS_MESSAGE_PART(o)) {
        GMimeMessage *inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(o));
        /* A message inside a report is the returned message; one anywhere
         * else (a forward) is not the reply's own text. */
        if (inner && in_report)
            returned_from_message(w, inner);
        return;
    }
    if (!GMIME_IS_PART(o) || !ct)
        return;
    if (in_report && (g_mime_content_type_is_type(ct, "message", "delivery-status") ||
                      g_mime_content_type_is_type(ct, "message", "global-delivery-status"))) {
        size_t n;
        int tr = 0;
        char *raw = part_bytes(GMIME_PART(o), INBOX_MAX_TEXT, &n, &tr);
        if (raw) {
            char *u = inbox_to_utf8(raw, n, "utf-8");
            ab_free(raw);
            if (u) {
                dsn_fields(m, u);
                ab_free(u);
            }
        }
        return;
    }
    if (in_report && (g_mime_content_type_is_type(ct, "text", "rfc822-headers") ||
                      g_mime_content_type_is_type(ct, "message", "rfc822-headers"))) {
        if (!m->returned) {
            int tr = 0, html = 0;
            m->returned = part_text(GMIME_PART(o), &tr, &html);
            if (!m->returned)
                w->nomem = 1;
        }
        return;
    }
    if (!g_mime_content_type_is_type(ct, "text", "*") || is_attachment(o)) {
        note_attachment(w, o, ct);
        return;
    }
    int plain = g_mime_content_type_is_type(ct, "text", "plain");
    int html = g_mime_content_type_is_type(ct, "text", "html");
    if ((plain && w->plain) || (html && w->html) || (!plain && !html))
        return;
    int is_html = 0;
    char *t = part_text(GMIME_PART(o), &m->truncated, &is_html);
    if (!t) {
        w->nomem = 1;
        return;
    }
    if (plain)
        w->plain = t;
    else
        w->html = t;
}

static void copy_headers(struct inbox_msg *m, GMimeHeaderList *hl)
{
    int cnt = g_mime_header_list_get_count(hl);
    if (cnt > INBOX_MAX_HEADERS) {
        cnt = INBOX_MAX_HEADERS;
        m->truncated = 1;
    }
    if (cnt <= 0)
        return;
    m->headers = ab_calloc((size_t)cnt, sizeof *m->headers);
    if (!m->headers)
        return;
    for (int i = 0; i < cnt; i++) {
        GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
        const char *name = g_mime_header_get_name(h);
        const char *val = g_mime_header_get_value(h);
        struct inbox_header *d = &m->headers[m->nheaders];
        d->name = ab_strdup(name ? name : "");
        size_t vl = val ? strlen(val) : 0;
        if (vl > MAX_HEADER_VALUE) {
            vl = MAX_HEADER_VALUE;
            m->truncated = 1;
        }
        d->value = inbox_to_utf8(val ? val : "", vl, "utf-8");
        if (!d->name || !d->value) {
            ab_free(d->name);
            ab_free(d->value);
            return;
        }
        m->nheaders++;
    }
}

static char *first_msgid(const char *text)
{
    if (!text)
        return NULL;
    GMimeReferences *r = g_mime_references_parse(NULL, text);
    char *res = NULL;
    if (r && g_mime_references_length(r) > 0)
        res = ab_strdup(g_mime_references_get_message_id(r, 0));
    if (r)
        g_mime_references_free(r);
    return res;
}

static void references(struct inbox_msg *m, const char *text)
{
    if (!text)
        return;
    GMimeReferences *r = g_mime_references_parse(NULL, text);
    if (!r)
        return;
    int n = g_mime_references_length(r);
    for (int i = 0; i < n && i < MAX_ADDRS; i++) {
        char **nv = ab_realloc(m->references, (m->nreferences + 1) * sizeof *nv);
        if (!nv)
            break;
        m->references = nv;
        if (!(nv[m->nreferences] = ab_strdup(g_mime_references_get_message_id(r, i))))
            break;
        m->nreferences++;
    }
    g_mime_references_free(r);
}

/* The header fields the classifier reads: From, To and Cc, the envelope
 * recipients, Message-ID, In-Reply-To, References, Subject and Date.  -1
 * when out of memory for an address list. */
static int read_fields(struct inbox_msg *m, GMimeMessage *msg, GMimeHeaderList *hl)
{
    GMimeObject *mo = GMIME_OBJECT(msg);
    InternetAddressList *from = g_mime_message_get_from(msg);
    if (from && internet_address_list_length(from) > 0) {
        InternetAddress *ia = internet_address_list_get_address(from, 0);
        if (INTERNET_ADDRESS_IS_MAILBOX(ia)) {
            const char *a =
                internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia));
            if (a && *a)
                m->from_addr = dup_lower(a);
        }
        const char *nm = internet_address_get_name(ia);
        if (nm && *nm)
            m->from_name = ab_strdup(nm);
    }
    if (add_addrs(g_mime_message_get_to(msg), &m->rcpts, &m->nrcpts, 0) < 0 ||
        add_addrs(g_mime_message_get_cc(msg), &m->rcpts, &m->nrcpts, 0) < 0 ||
        add_header_addrs(hl, "Delivered-To", &m->envelope, &m->nenvelope) < 0 ||
        add_header_addrs(hl, "X-Original-To", &m->envelope, &m->nenvelope) < 0 ||
        add_header_addrs(hl, "Envelope-To", &m->envelope, &m->nenvelope) < 0)
        return -1;
    const char *mid = g_mime_message_get_message_id(msg);
    if (mid && *mid)
        m->message_id = ab_strdup(mid);
    m->in_reply_to = first_msgid(g_mime_object_get_header(mo, "In-Reply-To"));
    references(m, g_mime_object_get_header(mo, "References"));
    const char *subj = g_mime_message_get_subject(msg);
    m->subject = inbox_to_utf8(subj ? subj : "", subj ? strlen(subj) : 0, "utf-8");
    GDateTime *dt = g_mime_message_get_date(msg);
    if (dt)
        m->date = g_date_time_to_unix(dt);
    return 0;
}

enum ab_err inbox_parse(const char *data, size_t len, struct inbox_msg **out,
                        ab_errmsg *em)
{
    enum ab_err e = AB_OK;
    *out = NULL;
    pthread_once(&gmime_once, gmime_start);
    if (len > INBOX_MAX_MESSAGE)
        len = INBOX_MAX_MESSAGE;
    struct inbox_msg *m = ab_calloc(1, sizeof *m);
    if (!m)
        return ab_fail(em, AB_ENOMEM, "out of memory");
    m->date = AB_TIME_NONE;
    if (len > 0 && data && len == INBOX_MAX_MESSAGE)
        m->truncated = 1;

    /* GMime reads from a stream; lend it our bytes instead of copying. */
    GByteArray *arr = g_byte_array_new_take((guint8 *)(uintptr_t)data, len);
    GMimeStream *stream = g_mime_stream_mem_new_with_byte_array(arr);
    g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(stream), FALSE);
    GMimeParser *parser = g_mime_parser_new_with_stream(stream);
    g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
    GMimeMessage *msg = g_mime_parser_construct_message(parser, NULL);
    struct walk w = {.m = m};
    if (!msg) {
        e = ab_fail(em, AB_EPARSE, "not a message (no header block)");
        goto out;
    }
    GMimeHeaderList *hl = g_mime_object_get_header_list(GMIME_OBJECT(msg));
    copy_headers(m, hl);
    if (read_fields(m, msg, hl) < 0) {
        e = ab_fail(em, AB_ENOMEM, "out of memory");
        goto out;
    }
    walk(&w, g_mime_message_get_mime_part(msg), 0, 0);
    if (w.nomem || !m->subject) {
        e = ab_fail(em, AB_ENOMEM, "out of memory");
        goto out;
    }
    if (w.plain && *w.plain) {
        m->text = w.plain;
        w.plain = NULL;
    } else if (w.html) {
        m->text = w.html;
        m->text_from_html = 1;
        w.html = NULL;
    } else {
        m->text = ab_strdup("");
    }
    if (!m->text)
        e = ab_fail(em, AB_ENOMEM, "out of memory");
out:
    ab_free(w.plain);
    ab_free(w.html);
    if (msg)
        g_object_unref(msg);
    g_object_unref(parser);
    g_object_unref(stream);
    g_byte_array_free(arr, FALSE); /* the bytes stay the caller's */
    if (e) {
        inbox_msg_free(m);
        return e;
    }
    *out = m;
    return AB_OK;
}

static void free_strv(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ab_free(v[i]);
    ab_free(v);
}

void inbox_msg_free(struct inbox_msg *m)
{
    if (!m)
        return;
    ab_free(m->from_addr);
    ab_free(m->from_name);
    free_strv(m->rcpts, m->nrcpts);
    free_strv(m->envelope, m->nenvelope);
    ab_free(m->message_id);
    ab_free(m->in_reply_to);
    free_strv(m->references, m->nreferences);
    ab_free(m->subject);
    for (size_t i = 0; i < m->nheaders; i++) {
        ab_free(m->headers[i].name);
        ab_free(m->headers[i].value);
    }
    ab_free(m->headers);
    ab_free(m->text);
    for (size_t i = 0; i < m->ndsn; i++) {
        ab_free(m->dsn[i].recipient);
        ab_free(m->dsn[i].original);
        ab_free(m->dsn[i].action);
        ab_free(m->dsn[i].status);
        ab_free(m->dsn[i].diagnostic);
    }
    ab_free(m->dsn);
    free_strv(m->attachments, m->nattachments);
    ab_free(m->report_type);
    ab_free(m->returned);
    ab_free(m->returned_message_id);
    ab_free(m);
}

const char *inbox_msg_header(const struct inbox_msg *m, const char *name)
{
    for (size_t i = 0; i < m->nheaders; i++)
        if (strcasecmp(m->headers[i].name, name) == 0)
            return m->headers[i].value;
    return NULL;
}
