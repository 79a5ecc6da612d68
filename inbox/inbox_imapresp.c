/*
 * inbox_imapresp.c - a streaming scanner for IMAP server responses (RFC 3501
 * 2.2.2, 4.3, 7.4.2): CRLF-terminated lines, each of which may end in a
 * literal "{N}" followed by exactly N bytes of anything (a whole message,
 * with CRLFs, NULs, and lines that look like tagged responses).
 *
 * Bytes are fed as they arrive from the socket; a response is handed on
 * as soon as it is complete, so a batch of thousands of messages never
 * sits in memory at once.  The first literal of a response is kept up to
 * lit_cap bytes (the rest is counted and dropped: the message is then
 * parsed from its first INBOX_MAX_MESSAGE bytes); later literals in the
 * same response are dropped.
 */
#include "inbox/inbox_int.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

void inbox_imap_scan_init(struct inbox_imap_scan *s, size_t lit_cap,
                          inbox_imap_resp_fn fn, void *ud)
{
    memset(s, 0, sizeof *s);
    ab_buf_init(&s->text, INBOX_IMAP_LINE_MAX);
    ab_buf_init(&s->lit, lit_cap + 1);
    s->lit_cap = lit_cap;
    s->fn = fn;
    s->ud = ud;
}

void inbox_imap_scan_free(struct inbox_imap_scan *s)
{
    ab_buf_free(&s->text);
    ab_buf_free(&s->lit);
}

/* Does the text so far end in "{N}" or "{N+}" (a literal announcement)?
 * The CRLF has been stripped already. */
static int literal_size(const ab_buf *t, uint64_t *n)
{
    const char *d = t->data;
    size_t len = t->len;
    if (!len || d[len - 1] != '}')
        return 0;
    size_t i = len - 1;
    if (i && d[i - 1] == '+')
        i--;
    size_t end = i;
    while (i && isdigit((unsigned char)d[i - 1]))
        i--;
    if (i == end || !i || d[i - 1] != '{' || end - i > 18)
        return 0;
    uint64_t v = 0;
    for (size_t k = i; k < end; k++)
        v = v * 10 + (uint64_t)(d[k] - '0');
    *n = v;
    return 1;
}

static enum ab_err emit(struct inbox_imap_scan *s, ab_errmsg *em)
{
    struct inbox_imap_resp r = {
        .text = ab_buf_str(&s->text),
        .text_len = s->text.len,
        .lit = s->nlits ? ab_buf_str(&s->lit) : NULL,
        .lit_len = s->lit.len,
        .lit_total = s->lit_total,
    };
    enum ab_err e = s->fn(s->ud, &r, em);
    ab_buf_reset(&s->text);
    ab_buf_reset(&s->lit);
    s->nlits = 0;
    s->lit_total = 0;
    return e;
}

enum ab_err inbox_imap_scan_feed(struct inbox_imap_scan *s, const char *p,
                                 size_t n, ab_errmsg *em)
{
    while (n > 0) {
        if (s->in_lit) {
            size_t take = s->lit_left < n ? (size_t)s->lit_left : n;
            if (s->nlits == 1 && s->lit.len < s->lit_cap) {
                size_t keep = s->lit_cap - s->lit.len;
                if (keep > take)
                    keep = take;
                if (ab_buf_append(&s->lit, p, keep) != AB_OK)
                    return ab_fail(em, AB_ENOMEM, "out of memory");
            }
            s->lit_left -= take;
            p += take;
            n -= take;
            if (s->lit_left == 0)
                s->in_lit = 0;
            continue;
        }
        const char *nl = memchr(p, '\n', n);
        size_t seg = nl ? (size_t)(nl - p) : n;
        if (ab_buf_append(&s->text, p, seg) != AB_OK)
            return ab_fail(em, AB_EIMAP, "server response line too long");
        p += seg;
        n -= seg;
        if (!nl)
            break;
        p++; /* the LF */
        n--;
        if (s->text.len && s->text.data[s->text.len - 1] == '\r')
            s->text.data[--s->text.len] = '\0';
        uint64_t lit;
        if (literal_size(&s->text, &lit)) {
            /* Replace "{N}" by "{}" so a reader sees where it was. */
            size_t open = s->text.len;
            while (open && s->text.data[open - 1] != '{')
                open--;
            s->text.len = open;
            if (ab_buf_puts(&s->text, "}") != AB_OK)
                return ab_fail(em, AB_ENOMEM, "out of memory");
            s->nlits++;
            if (s->nlits == 1)
                s->lit_total = lit > SIZE_MAX ? SIZE_MAX : (size_t)lit;
            s->lit_left = lit;
            s->in_lit = lit > 0;
            continue;
        }
        enum ab_err e = emit(s, em);
        if (e)
            return e;
    }
    return AB_OK;
}

ab_time inbox_imap_date(const char *s)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    int d, y, hh, mm, ss, off;
    char mon[4], sign;
    while (*s == ' ' || *s == '"')
        s++;
    if (sscanf(s, "%d-%3s-%d %d:%d:%d %c%4d", &d, mon, &y, &hh, &mm, &ss, &sign,
               &off) != 8)
        return AB_TIME_NONE;
    const char *mp = strstr(months, mon);
    if (!mp || (mp - months) % 3 || d < 1 || d > 31 || hh > 23 || mm > 59 ||
        ss > 60 || y < 1970)
        return AB_TIME_NONE;
    unsigned m = (unsigned)((mp - months) / 3 + 1);
    int64_t t = ab_days_from_civil(y, m, (unsigned)d) * 86400 + hh * 3600 + mm * 60 + ss;
    int64_t o = (off / 100) * 3600 + (off % 100) * 60;
    return sign == '-' ? t + o : t - o;
}

enum ab_err inbox_imap_uidset(const uint64_t *uids, size_t n, ab_buf *out)
{
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && uids[j + 1] == uids[j] + 1)
            j++;
        enum ab_err e = j > i ? ab_buf_printf(out, "%s%llu:%llu", i ? "," : "",
                                              (unsigned long long)uids[i],
                                              (unsigned long long)uids[j])
                              : ab_buf_printf(out, "%s%llu", i ? "," : "",
                                              (unsigned long long)uids[i]);
        if (e)
            return e;
        i = j + 1;
    }
    return AB_OK;
}
