/*
 * inbox_classify_bounce.c - which heartbeat a bounce is about, and what to say
 * about its recipient.
 *
 * A bounce is about the heartbeat recipient whose token it returns, not
 * about whatever address it happens to list.  The token is found, most
 * trusted first, in the VERP envelope address the bounce was sent back
 * to (LOCAL+TOKEN@DOMAIN: works even when the bounce quotes nothing),
 * in the returned heartbeat (its hb. Message-ID, its reference line), or
 * in the bounce's own text.  When none of those names an issued token,
 * a bounce from a mail system that lists one of our recipients is
 * matched to the token that was live for that address on the bounce's
 * date, and marked inferred (gateway NDRs that quote nothing and were
 * sent to a plain address).
 *
 * A bounce that names nothing of ours flags nobody: anyone can write
 * "Undelivered Mail" with a made-up Final-Recipient.  When it is not
 * even a real report (no multipart/report, no DSN fields, nothing
 * returned) it is unrelated: phishing dresses up as bounces.
 *
 * When the address that failed is not the one we wrote to, the
 * recipient's domain forwarded the heartbeat (to a personal or a new
 * address) and the failure is there: both are named, and the recipient,
 * who will never read our mail, is the one flagged.
 */
#include "inbox/inbox_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/ab_buf.h"
#include "common/ab_mem.h"

/* The reason a person reads for r: its line, else its status code. */
static void reason_of(const struct inbox_bounced *r, int delay, char *out, size_t len)
{
    if (r && r->reason && *r->reason)
        snprintf(out, len, "%s", r->reason);
    else if (r && r->status && *r->status)
        snprintf(out, len, "status %s", r->status);
    else
        snprintf(out, len, "%s", delay ? "delivery delayed (no reason given)"
                                       : "delivery failed (no reason given)");
}

/* "kim@x: 550 ..." or "kim@x (forwarded to kim@y): 550 ..." */
static enum ab_err bounce_line(struct inbox_verdict *v, const char *recipient,
                               ab_errmsg *em)
{
    const struct inbox_bounced *hit = NULL, *fwd = NULL;
    for (size_t i = 0; i < v->nbounced && !hit; i++)
        if (strcasecmp(v->bounced[i].addr, recipient) == 0)
            hit = &v->bounced[i];
    for (size_t i = 0; i < v->nbounced && !hit && !fwd; i++)
        if (v->bounced[i].original && strcasecmp(v->bounced[i].original, recipient) == 0)
            fwd = &v->bounced[i];
    /* Only one address failed and it is not ours: where ours forwards. */
    if (!hit && !fwd && v->nbounced == 1)
        fwd = &v->bounced[0];
    char why[512];
    reason_of(hit ? hit : fwd ? fwd : v->nbounced ? &v->bounced[0] : NULL, v->delay, why,
              sizeof why);
    ab_buf b;
    ab_buf_init(&b, 2048);
    enum ab_err e = fwd ? ab_buf_printf(&b, "%s (forwarded to %s): %s", recipient,
                                        fwd->addr, why)
                        : ab_buf_printf(&b, "%s: %s", recipient, why);
    if (e == AB_ENOMEM) {
        ab_buf_free(&b);
        return ab_fail(em, AB_ENOMEM, "out of memory");
    }
    /* a line cut at the buffer's cap is still worth showing */
    v->bounce_line = b.len ? ab_buf_steal(&b) : ab_strdup("");
    ab_buf_free(&b);
    return v->bounce_line ? AB_OK : ab_fail(em, AB_ENOMEM, "out of memory");
}

/* The token live for one of the failed addresses at the bounce's date. */
static enum ab_err infer(const struct inbox_msg *m, const struct inbox_rules *r,
                         struct inbox_verdict *v, int *found, ab_errmsg *em)
{
    *found = 0;
    if (!r->issued_to)
        return AB_OK;
    ab_time at = m->date != AB_TIME_NONE ? m->date : r->now;
    for (size_t i = 0; i < v->nbounced && !*found; i++)
        for (int k = 0; k < 2 && !*found; k++) {
            const char *a = k ? v->bounced[i].original : v->bounced[i].addr;
            if (!a)
                continue;
            struct inbox_cand c;
            memset(&c, 0, sizeof c);
            enum ab_err e = r->issued_to(r->issued_to_ud, a, at, found, c.tok, &c.is, em);
            if (e)
                return e;
            if (*found) {
                c.issued = 1;
                c.via = INBOX_VIA_INFERRED;
                if ((e = inbox_cand_take(v, &c, em)))
                    return e;
                v->inferred = 1;
            }
        }
    return AB_OK;
}

enum ab_err inbox_classify_bounce(const struct inbox_msg *m, const struct inbox_rules *r,
                                  struct inbox_bounce *b, struct inbox_verdict *v,
                                  ab_errmsg *em)
{
    struct inbox_cands c = {0};
    enum ab_err e = AB_OK;
    v->klass = INBOX_BOUNCE;
    v->delay = b->delay;
    v->bounced = b->rcpts;
    v->nbounced = b->nrcpts;
    b->rcpts = NULL;
    b->nrcpts = 0;

    if (r->bounce_address)
        inbox_cands_plus(&c, m, r->bounce_address);
    if (r->reply_address)
        inbox_cands_plus(&c, m, r->reply_address);
    inbox_cands_msgid(&c, m->returned_message_id, INBOX_VIA_RETURNED);
    if (m->returned)
        inbox_cands_scan(&c, m->returned, strlen(m->returned), INBOX_VIA_RETURNED);
    inbox_cands_scan(&c, m->text, strlen(m->text), INBOX_VIA_RETURNED);
    if ((e = inbox_cands_lookup(&c, r, em)))
        goto out;

    const struct inbox_cand *pick = NULL;
    for (size_t i = 0; i < c.n && !pick; i++)
        if (c.v[i].issued == 1 || (c.v[i].issued == -1 && c.v[i].strong))
            pick = &c.v[i];
    for (size_t i = 0; i < c.n && !pick; i++)
        if (c.v[i].strong) /* never issued: shown, flags nobody */
            pick = &c.v[i];
    if (pick && (e = inbox_cand_take(v, pick, em)))
        goto out;
    int inferred = 0;
    if (v->issued != 1 && !v->token[0] && (e = infer(m, r, v, &inferred, em)))
        goto out;

    const char *why = b->reason;
    if (v->issued == 1) {
        e = bounce_line(v, v->recipient, em);
        if (v->inferred)
            why = v->delay ? "delay warning naming a recipient of ours (token inferred)"
                           : "bounce naming a recipient of ours (token inferred)";
    } else if (!v->token[0] && !m->is_dsn && !m->returned) {
        v->klass = INBOX_UNRELATED;
        why = "looks like a bounce but names nothing of ours";
    } else if (!v->token[0]) {
        why = "bounce of mail that carries no token of ours";
    } else if (v->issued == 0) {
        why = "bounce naming a token that was never issued";
    }
    if (!e) {
        ab_free(v->reason);
        if (!(v->reason = ab_strdup(why)))
            e = ab_fail(em, AB_ENOMEM, "out of memory");
    }
out:
    inbox_cands_free(&c);
    return e;
}
