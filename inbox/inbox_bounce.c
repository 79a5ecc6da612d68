/*
 * inbox_bounce.c - is this message a bounce, and who could not be reached, and
 * why?  The entry point and the standard form; the prose layouts of MTAs
 * and gateways that write no DSN are in inbox_bounce_text.c, the reading of a
 * failure's reason in inbox_bounce_reason.c.
 *
 * First what is not a bounce although it is a report: feedback (ARF),
 * TLS and read-receipt reports are multipart/report too, of another
 * report-type, and say nothing about delivery of our mail.
 *
 * Then the standard: an RFC 3464 delivery status notification
 * (multipart/report; report-type=delivery-status), whose per-recipient
 * fields inbox_parse.c has read.  Action "failed" is a bounce, Action "delayed"
 * only a warning (delivery is still being tried), "delivered"/"relayed"/
 * "expanded" are success notices and no bounce at all.  Each failed
 * recipient gets its Diagnostic-Code as the reason; where a DSN gives
 * none, or does not name the address before forwarding, its human text
 * part usually does (Exchange 2003 writes the reason only there, Postfix
 * "(expanded from <...>)"), so that is read too.
 *
 * Everything else is prose (inbox_bounce_text.c), believed only from a mail
 * system: a person may forward a bounce, and anybody can write one.
 */
#include "inbox/inbox_int.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "common/ab_mem.h"

/* A documented bound: a bounce naming more addresses than this is cut
 * there (a heartbeat goes to one address; a report on 50 is plenty). */
#define MAX_BOUNCED 50

enum ab_err inbox_bounce_add(struct inbox_bounce *b, const char *s, size_t n, long *idx)
{
    if (idx)
        *idx = -1;
    while (n && (*s == '<' || *s == '"' || *s == '\'' || *s == ' '))
        s++, n--;
    while (n && strchr(">:,.;\"') ", s[n - 1]))
        n--;
    const char *at = memchr(s, '@', n);
    if (!at || at == s || at == s + n - 1 || n >= INBOX_ADDR_MAX)
        return AB_OK;
    for (size_t i = 0; i < n; i++)
        if (isspace((unsigned char)s[i]) || s[i] == '<' || s[i] == '>' ||
            (unsigned char)s[i] < 0x20)
            return AB_OK;
    for (size_t i = 0; i < b->nrcpts; i++)
        if (strlen(b->rcpts[i].addr) == n && strncasecmp(b->rcpts[i].addr, s, n) == 0) {
            if (idx)
                *idx = (long)i;
            return AB_OK;
        }
    if (b->nrcpts >= MAX_BOUNCED)
        return AB_OK;
    struct inbox_bounced *nv = ab_realloc(b->rcpts, (b->nrcpts + 1) * sizeof *nv);
    if (!nv)
        return AB_ENOMEM;
    b->rcpts = nv;
    char *a = ab_strndup(s, n);
    if (!a)
        return AB_ENOMEM;
    for (char *p = a; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    memset(&b->rcpts[b->nrcpts], 0, sizeof *b->rcpts);
    b->rcpts[b->nrcpts].addr = a;
    if (idx)
        *idx = (long)b->nrcpts;
    b->nrcpts++;
    return AB_OK;
}

static enum ab_err dup_into(char **dst, const char *src)
{
    if (*dst || !src || !*src)
        return AB_OK;
    *dst = ab_strdup(src);
    return *dst ? AB_OK : AB_ENOMEM;
}

/* The DSN's recipients of the outcome it reports (failed, else delayed). */
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
    if (!failed && !delayed)
        return AB_OK; /* a success notice (delivered/relayed/expanded) */
    b->is_bounce = 1;
    b->delay = !failed;
    b->reason = b->delay ? "DSN: delivery delayed" : "DSN: delivery failed";
    enum ab_err e = AB_OK;
    for (size_t i = 0; i < m->ndsn && !e; i++) {
        const struct inbox_dsn_rcpt *d = &m->dsn[i];
        const char *a = d->action ? d->action : "";
        if (strcmp(a, b->delay ? "delayed" : "failed") != 0 || !d->recipient)
            continue;
        long k;
        if ((e = inbox_bounce_add(b, d->recipient, strlen(d->recipient), &k)) || k < 0)
            continue;
        struct inbox_bounced *r = &b->rcpts[k];
        if (!(e = dup_into(&r->original, d->original)) &&
            !(e = dup_into(&r->status, d->status)) && d->diagnostic && !r->reason)
            e = inbox_bounce_oneline(d->diagnostic, strlen(d->diagnostic), 1, &r->reason);
        if (!e && r->original && strcmp(r->original, r->addr) == 0) {
            ab_free(r->original);
            r->original = NULL;
        }
    }
    if (!e)
        e = inbox_bounce_text_fill(m, b);
    for (size_t i = 0; i < b->nrcpts && !e; i++) {
        struct inbox_bounced *r = &b->rcpts[i];
        /* "Status: 5.0.0" says only "failed"; the server's reply often
         * has the precise code of the same class ("550 5.1.1 ..."). */
        char *st = NULL;
        if (r->status && strlen(r->status) == 5 && strcmp(r->status + 1, ".0.0") == 0 &&
            !(e = inbox_bounce_status_in(r->reason, &st)) && st && st[0] == r->status[0] &&
            strcmp(st + 1, ".0.0") != 0) {
            ab_free(r->status);
            r->status = st;
            st = NULL;
        }
        ab_free(st);
        if (!e && !r->status && r->reason)
            e = inbox_bounce_status_in(r->reason, &r->status);
    }
    return e;
}

enum ab_err inbox_bounce_detect(const struct inbox_msg *m, struct inbox_bounce *b)
{
    memset(b, 0, sizeof *b);
    /* Feedback, TLS and disposition reports: machine mail, no bounce. */
    if (m->report_type && strcmp(m->report_type, "delivery-status") != 0 && !m->is_dsn)
        return AB_OK;
    enum ab_err e;
    if (m->is_dsn && m->ndsn)
        e = from_dsn(m, b);
    else
        e = inbox_bounce_text(m, b); /* a DSN without fields is read as prose */
    if (e)
        inbox_bounce_free(b);
    return e;
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
