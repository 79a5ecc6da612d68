/*
 * inbox_bounce.c - is this message a bounce, and who could not be reached, and
 * why?  The entry point and the standard form; the prose layouts of MTAs
 * and gateways that write no DSN are in inbox_bounce_text.c, the reading of a
 * failure's reason in inbox_bounce_reason.c, the list of failed addresses
 * in inbox_bounce_rcpts.c.  The calls go one way: this file calls the
 * prose reader and the reason reader, those call the notice's lines
 * (inbox_bounce_notice.c) and the list, and nothing calls back up.
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

#include <string.h>

#include "common/ab_mem.h"

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
