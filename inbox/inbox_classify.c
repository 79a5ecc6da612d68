/*
 * inbox_classify.c - what a parsed message means to ackbeat.
 *
 * Order of the decision, and why:
 *   1. machine reports (inbox_machine.c): DMARC, TLS and ARF reports are about
 *      mail, not answers to it, whatever tokens they quote;
 *   2. bounce (inbox_bounce.c): a DSN also carries Auto-Submitted and quotes
 *      the heartbeat with its token, so it must be caught before the
 *      auto-reply test.  Its token comes from the VERP address it was
 *      sent back to, the returned heartbeat, or its text; failing those,
 *      for a bounce that names one of our recipients, the token that was
 *      live for that address on the bounce's date (marked inferred).  A
 *      plain-text "bounce" that names nothing of ours is unrelated:
 *      anyone can write "Undelivered Mail";
 *   3. ping: mail to LOCAL+TOKEN@DOMAIN with a ping check's secret token,
 *      before the auto-reply test because cron and backup jobs mark their
 *      mail Auto-Submitted: auto-generated (RFC 3834), and that is the
 *      ping.  A check's name in the address is not enough: names are not
 *      secret;
 *   4. the token, looked for in DESIGN.md's order: the thread
 *      (In-Reply-To, References <hb.TOKEN@...>, then a quoted
 *      "Reference: hb.TOKEN" line), the plus address the reply was sent
 *      to (a client's autocomplete may offer last month's), the subject,
 *      the new text of the reply, then the quoted text.  The first
 *      candidate that was issued wins;
 *   5. mail that answers nothing: a copy of ackbeat's own message, or a
 *      system's mail (cron output, Auto-Submitted: auto-generated) that
 *      is neither threaded on a heartbeat nor sent to a plus address, is
 *      unrelated whatever tokens it lists; so is any message that names
 *      several issued tokens without answering one (a forwarded digest,
 *      a log): a reply acknowledges one heartbeat;
 *   6. auto-reply (inbox_autoreply.c): never an acknowledgement, but recorded
 *      against its token;
 *   7. an ack of the issued token; a candidate in a place only ackbeat
 *      writes (plus address, hb. message id, the "Reference: hb." line,
 *      the subject) that was never issued makes the message forged.  A
 *      bare 26-letter word in free text that was never issued is
 *      ignored: signatures and tracking codes have them.
 *
 * A From: header is only believed as far as our own MX's
 * Authentication-Results allows (inbox_authres.c): when it says the sender
 * failed, the acknowledgement is recorded unverified (it confirms
 * nothing) and reply commands in it are not obeyed.
 *
 * Reply commands (dismiss, snooze 2d, note TEXT) are read from the first
 * line of the new text; whether to obey is the engine's call, helped by
 * verdict.verified.
 */
#include "inbox/inbox_int.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/ab_mem.h"

#define EXCERPT_LINES 3
#define EXCERPT_MAX 300

const char *inbox_class_name(enum inbox_class c)
{
    static const char *const n[] = {"unrelated", "ack", "autoreply", "bounce",
                                    "forged", "ping", "skipped"};
    return (unsigned)c < sizeof n / sizeof *n ? n[c] : "unrelated";
}

const char *inbox_via_name(enum inbox_via v)
{
    static const char *const n[] = {"none", "plus", "thread", "subject",
                                    "body", "quote", "returned", "inferred"};
    return (unsigned)v < sizeof n / sizeof *n ? n[v] : "none";
}

const char *inbox_cmd_name(enum inbox_cmd c)
{
    static const char *const n[] = {"", "dismiss", "snooze", "note"};
    return (unsigned)c < sizeof n / sizeof *n ? n[c] : "";
}

static const char *domain_of(const char *addr)
{
    const char *at = addr ? strrchr(addr, '@') : NULL;
    return at ? at + 1 : "";
}

static int allowed_domain(const struct inbox_rules *r, const char *addr)
{
    const char *d = domain_of(addr);
    for (size_t i = 0; i < r->nack_from; i++)
        if (r->ack_from[i] && strcasecmp(d, r->ack_from[i]) == 0)
            return 1;
    return 0;
}

/* The first lines of the new text, joined by " / ". */
static char *excerpt(const char *text, size_t len)
{
    ab_buf b;
    ab_buf_init(&b, EXCERPT_MAX + 8);
    int lines = 0;
    const char *p = text, *end = text + len;
    while (p < end && lines < EXCERPT_LINES) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        const char *s = p;
        while (s < le && isspace((unsigned char)*s))
            s++;
        const char *e = le;
        while (e > s && isspace((unsigned char)e[-1]))
            e--;
        if (e > s) {
            size_t n = (size_t)(e - s);
            if (b.len + n + 3 > EXCERPT_MAX) {
                n = EXCERPT_MAX > b.len + 3 ? EXCERPT_MAX - b.len - 3 : 0;
                /* do not cut a UTF-8 sequence */
                while (n && ((unsigned char)s[n] & 0xC0) == 0x80)
                    n--;
                lines = EXCERPT_LINES;
            }
            if ((b.len && ab_buf_puts(&b, " / ") != AB_OK) ||
                ab_buf_append(&b, s, n) != AB_OK)
                break;
            lines++;
        }
        if (!nl)
            break;
        p = nl + 1;
    }
    char *r = b.len ? ab_buf_steal(&b) : ab_strdup("");
    ab_buf_free(&b);
    return r;
}

static enum ab_err set_reason(struct inbox_verdict *v, const char *why, ab_errmsg *em)
{
    ab_free(v->reason);
    v->reason = ab_strdup(why);
    return v->reason ? AB_OK : ab_fail(em, AB_ENOMEM, "out of memory");
}

/* A candidate that counts: issued, or (without a lookup) strong. */
static int usable(const struct inbox_cand *c)
{
    return c->issued == 1 || (c->issued == -1 && c->strong);
}

/* Does the message answer a heartbeat directly: threaded on it, or sent
 * to its plus address? */
static int answers(const struct inbox_cand *c)
{
    return c->via == INBOX_VIA_THREAD || c->via == INBOX_VIA_PLUS;
}

/* A message ackbeat itself sent (a copy, a forward of the outbox): its
 * own Message-ID at the reply domain. */
static int own_message(const struct inbox_msg *m, const struct inbox_rules *r)
{
    const char *id = m->message_id;
    const char *ra = r->reply_address ? strrchr(r->reply_address, '@') : NULL;
    const char *at = id ? strrchr(id, '@') : NULL;
    if (!id || !ra || !at || strcasecmp(at + 1, ra + 1) != 0)
        return 0;
    return inbox_starts_with_ci(id, "hb.") || inbox_starts_with_ci(id, "ackbeat.");
}

/* Mail to LOCAL+TOKEN@DOMAIN with a ping check's secret token. */
static const struct inbox_ping *ping_of(const struct inbox_msg *m,
                                        const struct inbox_rules *r)
{
    const char *bases[2] = {r->reply_address, r->bounce_address};
    char *const *lists[2] = {m->rcpts, m->envelope};
    size_t ns[2] = {m->nrcpts, m->nenvelope};
    for (int b = 0; b < 2; b++)
        for (int l = 0; l < 2 && bases[b]; l++)
            for (size_t i = 0; i < ns[l]; i++) {
                char x[INBOX_ADDR_MAX];
                const char *px = inbox_plus_part(lists[l][i], bases[b], x, sizeof x);
                for (size_t k = 0; px && k < r->npings; k++)
                    if (r->pings[k].token && *r->pings[k].token &&
                        strcasecmp(px, r->pings[k].token) == 0)
                        return &r->pings[k];
            }
    return NULL;
}

/* Gather the token candidates of a reply, most believed first. */
static void reply_cands(struct inbox_cands *c, const struct inbox_msg *m,
                        const struct inbox_rules *r, size_t nl)
{
    size_t tl = strlen(m->text);
    inbox_cands_msgid(c, m->in_reply_to, INBOX_VIA_THREAD);
    for (size_t i = m->nreferences; i-- > 0;)
        inbox_cands_msgid(c, m->references[i], INBOX_VIA_THREAD);
    /* The quoted "Reference: hb.TOKEN" line is the thread too: it is the
     * heartbeat the person had in front of them. */
    inbox_cands_refs(c, m->text + nl, tl - nl, INBOX_VIA_QUOTE);
    inbox_cands_refs(c, m->text, nl, INBOX_VIA_BODY);
    if (r->reply_address)
        inbox_cands_plus(c, m, r->reply_address);
    if (r->bounce_address)
        inbox_cands_plus(c, m, r->bounce_address);
    inbox_cands_scan(c, m->subject, strlen(m->subject), INBOX_VIA_SUBJECT);
    inbox_cands_scan(c, m->text, nl, INBOX_VIA_BODY);
    inbox_cands_scan(c, m->text + nl, tl - nl, INBOX_VIA_QUOTE);
}

static enum ab_err classify_ack(const struct inbox_msg *m, const struct inbox_rules *r,
                                struct inbox_verdict *v, size_t nl, ab_errmsg *em)
{
    v->klass = INBOX_ACK;
    v->verified = v->issued == 1 && v->from &&
                  (strcasecmp(v->from, v->recipient) == 0 || allowed_domain(r, v->from));
    if (r->authserv_id && v->auth < 0) {
        char why[300];
        snprintf(why, sizeof why, "sender failed authentication: %s",
                 v->untrusted ? v->untrusted : "?");
        ab_free(v->untrusted);
        if (!(v->untrusted = ab_strdup(why)))
            return ab_fail(em, AB_ENOMEM, "out of memory");
        v->verified = 0;
    }
    if (!(v->excerpt = excerpt(m->text, nl)))
        return ab_fail(em, AB_ENOMEM, "out of memory");
    inbox_command_parse(v, m->text, nl, r->now, r->zone);
    const char *as = v->issued != 1              ? "reply with a token (issuance unknown)"
                     : v->untrusted && v->alert_id ? "reply to an alert's notice from a "
                                                     "sender that failed authentication"
                     : v->untrusted                ? "reply from a sender that failed "
                                                     "authentication"
                     : v->alert_id && v->verified  ? "reply to an alert's notice"
                     : v->alert_id ? "reply to an alert's notice from another address"
                     : v->verified ? "reply with an issued token"
                                   : "reply from another address";
    if (v->untrusted && v->issued == 1) {
        /* say what our MX said, where people will read it */
        char full[400];
        const char *d = strstr(v->untrusted, ": ");
        snprintf(full, sizeof full, "%s (%s)", as, d ? d + 2 : v->untrusted);
        return set_reason(v, full, em);
    }
    return set_reason(v, as, em);
}

/* A message naming several issued tokens without answering one: it
 * acknowledges none.  When it is the sender's reply with a command to a
 * digest of their alerts (the whole digest quoted), the command cannot
 * be placed; the tokens are kept so the engine can ask which alert. */
static enum ab_err several(const struct inbox_msg *m, const struct inbox_rules *r,
                           struct inbox_verdict *v, const struct inbox_cands *c,
                           size_t nusable, size_t nl, ab_errmsg *em)
{
    char msg[160];
    v->klass = INBOX_UNRELATED;
    inbox_command_parse(v, m->text, nl, r->now, r->zone);
    int theirs = 0;
    for (size_t i = 0; i < c->n && !theirs; i++)
        theirs = c->v[i].issued == 1 && c->v[i].is.alert_id && v->from &&
                 (strcasecmp(v->from, c->v[i].is.recipient) == 0 || allowed_domain(r, v->from));
    if (v->cmd != INBOX_CMD_NONE && theirs && v->auth >= 0) {
        ab_buf b;
        ab_buf_init(&b, 0);
        for (size_t i = 0; i < c->n; i++)
            if (c->v[i].issued == 1 && c->v[i].is.alert_id &&
                ab_buf_printf(&b, "%s%s", b.len ? "," : "", c->v[i].tok) != AB_OK) {
                ab_buf_free(&b);
                return ab_fail(em, AB_ENOMEM, "out of memory");
            }
        v->ambiguous = b.len ? ab_buf_steal(&b) : NULL;
        ab_buf_free(&b);
        snprintf(msg, sizeof msg, "a command naming %zu alerts without answering one: "
                                  "asked which", nusable);
        return set_reason(v, msg, em);
    }
    v->cmd = INBOX_CMD_NONE;
    ab_free(v->note);
    v->note = NULL;
    snprintf(msg, sizeof msg, "names %zu issued tokens without answering one", nusable);
    return set_reason(v, msg, em);
}

/* Steps 4 to 7: a message that is no report, bounce or ping, read for its
 * token. */
static enum ab_err classify_reply(const struct inbox_msg *m, const struct inbox_rules *r,
                                  struct inbox_verdict *v, ab_errmsg *em)
{
    enum ab_err e;
    struct inbox_cands c = {0};
    const char *why;
    /* 4. the token (gathered before the auto-reply test: an auto-reply
     * is recorded against its token) */
    size_t nl = inbox_new_text_len(m->text);
    reply_cands(&c, m, r, nl);
    if ((e = inbox_cands_lookup(&c, r, em)))
        goto out;
    const struct inbox_cand *pick = NULL, *forged = NULL;
    size_t nusable = 0;
    int answered = 0;
    for (size_t i = 0; i < c.n; i++) {
        if (usable(&c.v[i])) {
            nusable++;
            if (!pick)
                pick = &c.v[i];
            answered |= answers(&c.v[i]);
        } else if (c.v[i].strong && !forged) {
            forged = &c.v[i];
        }
    }

    /* 5. mail that answers nothing */
    if (!answered && own_message(m, r)) {
        v->klass = INBOX_UNRELATED;
        e = set_reason(v, "a copy of a message ackbeat sent", em);
        goto out;
    }
    const char *arwhy;
    int sys = answered ? 0 : inbox_system_mail(m, &why);
    if (sys == 2 || (sys == 1 && !inbox_autoreply_marked(m, &arwhy))) {
        v->klass = INBOX_UNRELATED;
        e = set_reason(v, why, em);
        goto out;
    }
    if (!answered && nusable > 1) {
        e = several(m, r, v, &c, nusable, nl, em);
        goto out;
    }
    if ((pick && (e = inbox_cand_take(v, pick, em))) ||
        (!pick && forged && (e = inbox_cand_take(v, forged, em))))
        goto out;

    /* 6. auto-reply */
    if (inbox_autoreply_detect(m, &why)) {
        v->klass = INBOX_AUTOREPLY;
        e = set_reason(v, why, em);
        goto out;
    }

    /* 7. ack, forged, unrelated */
    if (pick) {
        e = classify_ack(m, r, v, nl, em);
    } else if (forged) {
        v->klass = INBOX_FORGED;
        e = set_reason(v, "token was never issued", em);
    } else {
        v->klass = INBOX_UNRELATED;
        e = set_reason(v, "no token", em);
    }
out:
    inbox_cands_free(&c);
    return e;
}

enum ab_err inbox_classify(const struct inbox_msg *m, const struct inbox_rules *r,
                           struct inbox_verdict *v, ab_errmsg *em)
{
    enum ab_err e = AB_OK;
    struct inbox_bounce b;
    const char *why;
    memset(v, 0, sizeof *v);
    memset(&b, 0, sizeof b);
    v->issued = -1;
    if (m->from_addr && !(v->from = ab_strdup(m->from_addr)))
        return ab_fail(em, AB_ENOMEM, "out of memory");
    char auth_why[256];
    v->auth = inbox_authres(m, r->authserv_id, auth_why, sizeof auth_why);
    if (v->auth < 0 && !(v->untrusted = ab_strdup(auth_why)))
        return ab_fail(em, AB_ENOMEM, "out of memory");

    /* 1. reports about mail */
    if (inbox_machine_report(m, &why)) {
        v->klass = INBOX_UNRELATED;
        return set_reason(v, why, em);
    }

    /* 2. bounce */
    if ((e = inbox_bounce_detect(m, &b)))
        return ab_fail(em, e, "out of memory");
    if (b.is_bounce) {
        e = inbox_classify_bounce(m, r, &b, v, em);
        goto out;
    }
    if (m->is_dsn) { /* a DSN that is no failure: "delivered", "relayed" */
        v->klass = INBOX_UNRELATED;
        e = set_reason(v, "delivery status report of a success", em);
        goto out;
    }

    /* 3. ping */
    const struct inbox_ping *ping = ping_of(m, r);
    if (ping) {
        v->klass = INBOX_PING;
        if (!(v->ping = ab_strdup(ping->name)))
            e = ab_fail(em, AB_ENOMEM, "out of memory");
        else
            e = set_reason(v, "sent to the ping address", em);
        goto out;
    }
    e = classify_reply(m, r, v, em);
out:
    inbox_bounce_free(&b);
    return e;
}

void inbox_verdict_free(struct inbox_verdict *v)
{
    if (!v)
        return;
    ab_free(v->recipient);
    ab_free(v->from);
    for (size_t i = 0; i < v->nbounced; i++)
        inbox_bounced_clear(&v->bounced[i]);
    ab_free(v->bounced);
    ab_free(v->bounce_line);
    ab_free(v->ping);
    ab_free(v->excerpt);
    ab_free(v->reason);
    ab_free(v->note);
    ab_free(v->untrusted);
    ab_free(v->ambiguous);
    memset(v, 0, sizeof *v);
}
