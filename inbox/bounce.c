/*
 * bounce.c - is this message a bounce, and who could not be reached?
 *
 * First the standard: an RFC 3464 delivery status notification
 * (multipart/report; report-type=delivery-status), whose per-recipient
 * fields parse.c has read: Action "failed" is a bounce, Action "delayed"
 * only a warning (delivery is still being tried), "delivered"/"relayed"/
 * "expanded" are success notices and no bounce at all.
 *
 * Then the layouts of MTAs that send plain text instead: Exim ("This
 * message was created automatically by mail delivery software", failed
 * addresses indented by two spaces, X-Failed-Recipients), qmail ("Hi.
 * This is the qmail-send program", "<addr>:" lines), and Exchange's older
 * NDRs ("Delivery has failed to these recipients or groups:").  A subject
 * such as "Undeliverable:" only counts when the sender is a mailer daemon:
 * a person may forward a bounce with that subject.
 */
#include "inbox/inbox_int.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "common/ab_mem.h"

#define MAX_BOUNCED 50

static int add_addr(struct inbox_bounce *b, const char *s, size_t n)
{
    while (n && (*s == '<' || *s == '"' || *s == '\''))
        s++, n--;
    while (n && strchr(">:,.;\"')", s[n - 1]))
        n--;
    const char *at = memchr(s, '@', n);
    if (!at || at == s || at == s + n - 1 || n >= INBOX_ADDR_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (isspace((unsigned char)s[i]) || s[i] == '<' || s[i] == '>')
            return 0;
    for (size_t i = 0; i < b->nrcpts; i++)
        if (strlen(b->rcpts[i].addr) == n && strncasecmp(b->rcpts[i].addr, s, n) == 0)
            return 0;
    if (b->nrcpts >= MAX_BOUNCED)
        return 0;
    struct inbox_bounced *nv = ab_realloc(b->rcpts, (b->nrcpts + 1) * sizeof *nv);
    if (!nv)
        return -1;
    b->rcpts = nv;
    char *a = ab_strndup(s, n);
    if (!a)
        return -1;
    for (char *p = a; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    memset(&b->rcpts[b->nrcpts], 0, sizeof *b->rcpts);
    b->rcpts[b->nrcpts++].addr = a;
    return 0;
}

/* Addresses on the lines after the line containing intro, until a line
 * containing one of the stops.  indent: the exact indentation an address
 * line has (-1: any).  Exim writes "  addr" with further detail indented
 * by four spaces. */
static int lines_after(struct inbox_bounce *b, const char *text, const char *intro,
                       int indent, const char *stop)
{
    const char *p = inbox_strcasestr(text, intro);
    if (!p)
        return 0;
    p = strchr(p, '\n');
    const char *stop_at = p && stop ? inbox_strcasestr(p, stop) : NULL;
    while (p && *++p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (stop_at && stop_at < p + len)
            break;
        int ind = 0;
        while ((size_t)ind < len && p[ind] == ' ')
            ind++;
        if ((indent < 0 || ind == indent) && (size_t)ind < len) {
            const char *w = p + ind;
            size_t wl = 0;
            while ((size_t)ind + wl < len && !isspace((unsigned char)w[wl]))
                wl++;
            /* "addr<mailto:addr>" (Exchange) */
            const char *lt = memchr(w, '<', wl);
            if (lt && lt != w)
                wl = (size_t)(lt - w);
            if (add_addr(b, w, wl) < 0)
                return -1;
        }
        p = nl;
    }
    return 0;
}

static int from_daemon(const struct inbox_msg *m)
{
    const char *f = m->from_addr;
    return f && (inbox_starts_with_ci(f, "mailer-daemon@") ||
                 inbox_starts_with_ci(f, "postmaster@") ||
                 inbox_starts_with_ci(f, "mail-daemon@"));
}

static int bounce_subject(const char *s)
{
    static const char *const subj[] = {
        "Undeliverable", "Undelivered Mail", "Mail delivery failed",
        "Delivery Status Notification", "failure notice", "Returned mail",
        "Delivery failure", "Mail System Error", "Unzustellbar",
        "Non remis", "Non distribuable", "No se puede entregar", "Onbestelbaar",
        "Olevererbart", "Warning: message", "Delayed Mail", "退信", "未送达"};
    while (*s == ' ')
        s++;
    for (size_t i = 0; i < sizeof subj / sizeof *subj; i++)
        if (inbox_starts_with_ci(s, subj[i]))
            return 1;
    return 0;
}

static enum ab_err from_dsn(const struct inbox_msg *m, struct inbox_bounce *b)
{
    int failed = 0, delayed = 0;
    for (size_t i = 0; i < m->ndsn; i++) {
        const char *a = m->dsn[i].action ? m->dsn[i].action : "";
        if (strcmp(a, "failed") == 0)
            failed++;
        else if (strcmp(a, "delayed") == 0)
            delayed++;
    }
    if (m->ndsn && !failed && !delayed)
        return AB_OK; /* a success notice (delivered/relayed/expanded) */
    b->is_bounce = 1;
    b->delay = !failed && delayed;
    b->reason = b->delay ? "DSN: delivery delayed" : "DSN: delivery failed";
    for (size_t i = 0; i < m->ndsn; i++) {
        const char *a = m->dsn[i].action ? m->dsn[i].action : "";
        if (strcmp(a, b->delay ? "delayed" : "failed") == 0 && m->dsn[i].recipient &&
            add_addr(b, m->dsn[i].recipient, strlen(m->dsn[i].recipient)) < 0)
            return AB_ENOMEM;
    }
    return AB_OK;
}

enum ab_err inbox_bounce_detect(const struct inbox_msg *m, struct inbox_bounce *b)
{
    memset(b, 0, sizeof *b);
    if (m->is_dsn)
        return from_dsn(m, b);
    const char *t = m->text;
    int r = 0;
    if (inbox_strcasestr(t, "created automatically by mail delivery software")) {
        b->is_bounce = 1;
        if (inbox_strcasestr(t, "has not yet been delivered")) {
            b->delay = 1;
            b->reason = "Exim: delivery delayed";
            r = lines_after(b, t, "has not yet been delivered", 2, "----");
        } else {
            b->reason = "Exim: delivery failed";
            const char *xf = inbox_msg_header(m, "X-Failed-Recipients");
            while (xf && *xf) {
                while (*xf == ' ' || *xf == ',')
                    xf++;
                size_t n = strcspn(xf, ", ");
                if (n && add_addr(b, xf, n) < 0)
                    return AB_ENOMEM;
                xf += n;
            }
            if (!b->nrcpts)
                r = lines_after(b, t, "address(es) failed", 2, "----");
        }
    } else if (inbox_strcasestr(t, "This is the qmail-send program")) {
        b->is_bounce = 1;
        b->reason = "qmail: delivery failed";
        r = lines_after(b, t, "to the following addresses", 0, "--- Below this line");
    } else if (inbox_strcasestr(t, "Delivery has failed to these recipients")) {
        b->is_bounce = 1;
        b->reason = "Exchange NDR: delivery failed";
        r = lines_after(b, t, "Delivery has failed to these recipients", 0,
                        "Diagnostic information");
    } else if (from_daemon(m) && bounce_subject(m->subject)) {
        b->is_bounce = 1;
        b->delay = inbox_starts_with_ci(m->subject, "Warning: message") ||
                   inbox_starts_with_ci(m->subject, "Delayed Mail");
        b->reason = b->delay ? "mailer daemon: delivery delayed"
                             : "mailer daemon: delivery failed";
        const char *xf = inbox_msg_header(m, "X-Failed-Recipients");
        if (xf && add_addr(b, xf, strcspn(xf, ", ")) < 0)
            return AB_ENOMEM;
    }
    return r < 0 ? AB_ENOMEM : AB_OK;
}

void inbox_bounced_clear(struct inbox_bounced *r)
{
    ab_free(r->addr);
    ab_free(r->original);
    ab_free(r->status);
    ab_free(r->reason);
    memset(r, 0, sizeof *r);
}

void inbox_bounce_free(struct inbox_bounce *b)
{
    for (size_t i = 0; i < b->nrcpts; i++)
        inbox_bounced_clear(&b->rcpts[i]);
    ab_free(b->rcpts);
    memset(b, 0, sizeof *b);
}
