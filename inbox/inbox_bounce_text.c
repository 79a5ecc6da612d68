/*
 * inbox_bounce_text.c - bounces written as prose: which addresses failed, read
 * from the notice text of MTAs and gateways that send no DSN fields
 * (Exim, qmail, Sendmail, OpenSMTPD, DragonFly Mail Agent, Courier,
 * Exchange, Office 365, Gmail, Yahoo, IMail, Domino, mail gateways,
 * carriers), and the human text part of DSNs for what their fields lack.
 * Why each failed is read by inbox_bounce_reason.c from the same notice
 * lines, which inbox_bounce_notice.c splits off for both.
 *
 * There are dozens of such layouts and each vendor rewords its own from
 * one version to the next, so rather than one parser per layout this
 * reads them all the same way, from what they have in common:
 *
 *  - The notice comes first; the returned message (if it is inline)
 *    starts at a line that says so ("--- Below this line is a copy of
 *    the message.", "Original message headers:") or at its headers.
 *    Only the notice is read: the returned heartbeat names our own
 *    recipient in To: whether or not it failed.
 *  - A failed address stands at the start of a line ("<kim@x>:",
 *    "  kim@x", "kim@x on 01/12/2026") or right after a word that
 *    introduces a recipient ("delivered to kim@x", "Unknown user: kim@x",
 *    "550 5.1.1 <kim@x>... User unknown").  Addresses of the mail system
 *    itself, of the bounce's own sender and recipients (our reply and
 *    VERP addresses) are never failed ones.  "(generated from x)",
 *    "(expanded from <x>)" after an address name the address first
 *    written to, which forwarded there.
 *
 * The layout's name only labels the verdict ("Exim: delivery failed").
 * Prose is believed only from a mail system (mailer-daemon, postmaster,
 * a null Return-Path, a "Mail Delivery System" name), never from a
 * person, who may forward a bounce, and without a known layout only when
 * it names a failed address or returns a message: phishing dresses up as
 * "Undelivered Mail" from a mailer-daemon and does neither.
 */
#include "inbox/inbox_int.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "common/ab_mem.h"

/* ---- addresses of the bounce itself ----------------------------------- */

/* Same mailbox, ignoring a +detail: our VERP address heartbeat+T@d is
 * the reply address heartbeat@d. */
static int same_base(const char *a, size_t an, const char *b)
{
    const char *aat = memchr(a, '@', an), *bat = strchr(b, '@');
    if (!aat || !bat)
        return 0;
    size_t al = strcspn(a, "+@"), bl = strcspn(b, "+@");
    if (al > (size_t)(aat - a))
        al = (size_t)(aat - a);
    size_t ad = an - (size_t)(aat - a), bd = strlen(bat);
    return al == bl && strncasecmp(a, b, al) == 0 && ad == bd &&
           strncasecmp(aat, bat, ad) == 0;
}

/* The mail system's own mailbox names ("mailer-daemon", "Post_Master"). */
static int system_local(const char *a, size_t n)
{
    char k[64];
    size_t kl = 0;
    for (size_t i = 0; i < n && a[i] != '@' && kl < sizeof k - 1; i++)
        if (a[i] != '-' && a[i] != '_' && a[i] != '.')
            k[kl++] = (char)tolower((unsigned char)a[i]);
    k[kl] = '\0';
    static const char *const names[] = {"mailerdaemon", "maildaemon", "mailerdeamon",
                                        "postmaster", "doublebounce", "mdaemon",
                                        "maildelivery", "mailsystem", NULL};
    for (const char *const *p = names; *p; p++)
        if (strcmp(k, *p) == 0)
            return 1;
    return strncmp(k, "microsoftexchange", 17) == 0 || strncmp(k, "mailerdaemon", 12) == 0;
}

/* An address of the bounce itself, never a failed recipient. */
static int own_addr(const struct inbox_msg *m, const char *a, size_t n)
{
    if (system_local(a, n))
        return 1;
    if (m->from_addr && strlen(m->from_addr) == n && strncasecmp(m->from_addr, a, n) == 0)
        return 1;
    for (size_t i = 0; i < m->nrcpts; i++)
        if (same_base(a, n, m->rcpts[i]))
            return 1;
    for (size_t i = 0; i < m->nenvelope; i++)
        if (same_base(a, n, m->envelope[i]))
            return 1;
    return 0;
}

/* ---- who sent it, what it says it is --------------------------------- */

static int system_sender(const struct inbox_msg *m)
{
    const char *rp = inbox_msg_header(m, "Return-Path");
    if (rp && strcmp(rp + strspn(rp, " "), "<>") == 0)
        return 1;
    if (m->from_addr && system_local(m->from_addr, strcspn(m->from_addr, "@")))
        return 1;
    static const char *const names[] = {
        "mail delivery", "mailer-daemon", "mailer daemon", "mail system",
        "postmaster", "mail administrator", "system administrator",
        "system attendant", "mail router", "delivery status", "microsoft outlook",
        "delivery subsystem", "mail gateway", NULL};
    return m->from_name && inbox_bounce_any_in(m->from_name, strlen(m->from_name), names);
}

/* A person forwarding something: never the mail system's own notice. */
static int forward_subject(const char *s)
{
    static const char *const fw[] = {"Fwd:", "Fw:", "WG:", "TR:", "RV:", "VS:",
                                     "Doorst:", "Enc:", "I:", "转发:", NULL};
    s += strspn(s, " ");
    for (const char *const *p = fw; *p; p++)
        if (inbox_starts_with_ci(s, *p))
            return 1;
    return 0;
}

static int bounce_subject(const char *s)
{
    static const char *const subj[] = {
        "Undeliverable", "Undelivered", "Mail delivery failed", "Delivery Status Notification",
        "failure notice", "Returned mail", "Delivery failure", "Mail System Error",
        "Delivery failed", "Message not delivered", "Mail could not be delivered",
        "Nondeliverable", "Non-deliverable", "Delivery Notification", "Mail delivery failure",
        "Message delivery failure", "Delivery delayed", "Delayed Mail",
        "Warning: message", "Warning: could not send", "Unzustellbar",
        "Non remis", "Non distribuable", "No se puede entregar", "Onbestelbaar",
        "Olevererbart", "退信", "未送达", NULL};
    s += strspn(s, " ");
    for (const char *const *p = subj; *p; p++)
        if (inbox_starts_with_ci(s, *p))
            return 1;
    return 0;
}

static int delay_subject(const char *s)
{
    static const char *const subj[] = {"Warning: message", "Warning: could not send",
                                       "Delayed Mail", "Delivery delayed",
                                       "Message delayed", NULL};
    s += strspn(s, " ");
    for (const char *const *p = subj; *p; p++)
        if (inbox_starts_with_ci(s, *p))
            return 1;
    return inbox_strcasestr(s, "(Delay)") != NULL;
}

/* Still being tried, unless the same notice says it gave up. */
static int says_delayed(const char *t, size_t n, const char *subject)
{
    static const char *const delayed[] = {
        "has not yet been delivered", "still undelivered after", "WARNING MESSAGE ONLY",
        "delivery has been delayed", "delivery is delayed", "has been delayed",
        "temporary problem delivering", "will retry for", "will continue trying",
        "will keep trying", "not been delivered yet", "delivery attempts will continue",
        "still being retried", "is delayed for", "only a temporary failure", NULL};
    static const char *const permanent[] = {"permanent error", "permanent fatal",
                                            "failed permanently", "not going to try again",
                                            "permanently failed", NULL};
    if (inbox_bounce_any_in(t, n, permanent))
        return 0;
    return inbox_bounce_any_in(t, n, delayed) || delay_subject(subject);
}

/* Layout names, for the verdict's reason; first match wins, so the more
 * specific markers come first.  Markers are phrases each writes in its
 * notice, not sender domains: those differ per installation. */
struct layout {
    const char *failed, *delayed;
    const char *markers[6];
};
static const struct layout layouts[] = {
    {"Exim: delivery failed", "Exim: delivery delayed",
     {"created automatically by mail delivery software", NULL}},
    {"qmail: delivery failed", "qmail: delivery delayed",
     {"This is the qmail-send program", NULL}},
    {"OpenSMTPD: delivery failed", "OpenSMTPD: delivery delayed",
     {"This is the MAILER-DAEMON, please DO NOT REPLY", NULL}},
    {"DragonFly Mail Agent: delivery failed", "DragonFly Mail Agent: delivery delayed",
     {"DragonFly Mail Agent", NULL}},
    {"Courier: delivery failed", "Courier: delivery delayed",
     {"Courier mail server", NULL}},
    {"Postfix: delivery failed", "Postfix: delivery delayed",
     {"This is the mail system at host", "This is the Postfix program", NULL}},
    {"Sendmail: delivery failed", "Sendmail: delivery delayed",
     {"Transcript of session follows", "had permanent fatal errors",
      "Unsent message follows", "The original message was received at", NULL}},
    {"Mimecast NDR: delivery failed", "Mimecast NDR: delivery delayed",
     {"Mimecast", NULL}},
    {"Barracuda NDR: delivery failed", "Barracuda NDR: delivery delayed",
     {"Barracuda", NULL}},
    {"Trend Micro NDR: delivery failed", "Trend Micro NDR: delivery delayed",
     {"InterScan", "Trend Micro", NULL}},
    {"McAfee NDR: delivery failed", "McAfee NDR: delivery delayed",
     {"McAfee", "MXLogic", NULL}},
    {"Exchange NDR: delivery failed", "Exchange NDR: delivery delayed",
     {"Delivery has failed to these recipients", "delayed to these recipients",
      "did not reach the following recipient", "could not be reached:", NULL}},
    {"Office 365 NDR: delivery failed", "Office 365 NDR: delivery delayed",
     {"couldn't be delivered", "wasn't found at", "Office 365", "Microsoft 365", NULL}},
    {"Gmail: delivery failed", "Gmail: delivery delayed",
     {"The response from the remote server was", "wasn't delivered to",
      "Delivery to the following recipient failed", "Gmail will retry",
      "The response was:", NULL}},
    {"Yahoo: delivery failed", "Yahoo: delivery delayed",
     {"we were unable to deliver your message", NULL}},
    {"Amazon SES: delivery failed", "Amazon SES: delivery delayed",
     {"error occurred while trying to deliver the mail to the following", NULL}},
    {"IMail: delivery failed", "IMail: delivery delayed",
     {"Failed Recipients", "Unknown user:", NULL}},
    {"Domino: delivery failed", "Domino: delivery delayed",
     {"was not delivered to:", "Domino Directory", NULL}},
};

static const struct layout *find_layout(const char *t, size_t n)
{
    for (size_t i = 0; i < sizeof layouts / sizeof *layouts; i++)
        if (inbox_bounce_any_in(t, n, layouts[i].markers))
            return &layouts[i];
    return NULL;
}

/* ---- recipients ------------------------------------------------------- */

/* Does the text before an address introduce a recipient?  Returns 1 for a
 * failed address, 2 when it names the original of the one before ("(generated
 * from x)"), 3 when it names where the one before was forwarded to. */
static int intro_kind(const char *p, size_t n)
{
    while (n && strchr(" \t<\"'(:[", p[n - 1]))
        n--;
    if (!n)
        return 1;
    static const char *const orig[] = {"generated from", "expanded from", "forwarded from",
                                       "alias of", NULL};
    static const char *const fwd[] = {"forwarded to", "redirected to", NULL};
    size_t from = n > 24 ? n - 24 : 0;
    if (inbox_bounce_any_in(p + from, n - from, orig))
        return 2;
    if (inbox_bounce_any_in(p + from, n - from, fwd))
        return 3;
    size_t w = n;
    while (w && !isspace((unsigned char)p[w - 1]))
        w--;
    const char *word = p + w;
    size_t wl = n - w;
    /* "550 5.1.1 <kim@x>... User unknown": after a reply or status code */
    if (wl && strspn(word, "0123456789.-#") >= wl)
        return 1;
    static const char *const intro[] = {"to", "for", "recipient", "recipients", "user",
                                        "address", "addresses", "rcpt", "mailbox",
                                        "account", "reach", "reached", "deliver",
                                        "delivering", "failed", "unknown", NULL};
    for (const char *const *i = intro; *i; i++)
        if (strlen(*i) == wl && strncasecmp(word, *i, wl) == 0)
            return 1;
    return 0;
}

static enum ab_err harvest(const struct inbox_msg *m, const struct inbox_notice *nt,
                           struct inbox_bounce *b)
{
    long last = -1;
    for (size_t li = 0; li < nt->n; li++) {
        const struct inbox_bline *l = &nt->v[li];
        if (inbox_bounce_skip_line(l))
            continue;
        size_t pos = 0, an;
        const char *a;
        while ((an = inbox_bounce_next_addr(l->p, l->n, &pos, &a))) {
            int kind = intro_kind(l->p, (size_t)(a - l->p));
            if (!kind || own_addr(m, a, an))
                continue;
            if (kind == 1) {
                enum ab_err e = inbox_bounce_add(b, a, an, &last);
                if (e)
                    return e;
                continue;
            }
            if (last < 0 || b->rcpts[last].original)
                continue;
            struct inbox_bounced *r = &b->rcpts[last];
            char *v = ab_strndup(a, an);
            if (!v)
                return AB_ENOMEM;
            for (char *q = v; *q; q++)
                *q = (char)tolower((unsigned char)*q);
            if (strcmp(v, r->addr) == 0) {
                ab_free(v);
            } else if (kind == 2) {
                r->original = v;
            } else { /* "x (forwarded to y)": y failed, x was written to */
                r->original = r->addr;
                r->addr = v;
            }
        }
    }
    return AB_OK;
}

/* ---- the two entry points --------------------------------------------- */

enum ab_err inbox_bounce_text_fill(const struct inbox_msg *m, struct inbox_bounce *b)
{
    struct inbox_notice nt;
    enum ab_err e = inbox_bounce_notice_split(m->text, &nt);
    struct inbox_bounce found;
    memset(&found, 0, sizeof found);
    if (!e)
        e = harvest(m, &nt, &found);
    for (size_t i = 0; i < b->nrcpts && !e; i++)
        for (size_t j = 0; j < found.nrcpts; j++)
            if (!b->rcpts[i].original && found.rcpts[j].original &&
                strcmp(found.rcpts[j].addr, b->rcpts[i].addr) == 0 &&
                !(b->rcpts[i].original = ab_strdup(found.rcpts[j].original)))
                e = AB_ENOMEM;
    if (!e)
        e = inbox_bounce_fill_reasons(&nt, b);
    inbox_bounce_free(&found);
    ab_free(nt.v);
    return e;
}

enum ab_err inbox_bounce_text(const struct inbox_msg *m, struct inbox_bounce *b)
{
    if (!system_sender(m) || forward_subject(m->subject))
        return AB_OK;
    struct inbox_notice nt;
    enum ab_err e = inbox_bounce_notice_split(m->text, &nt);
    const struct layout *lay = e ? NULL : find_layout(m->text, nt.len);
    if (e || (!lay && !m->is_dsn && !bounce_subject(m->subject))) {
        ab_free(nt.v);
        return e;
    }
    int delay = says_delayed(m->text, nt.len, m->subject);
    /* Exim and others list the failed addresses in a header: those, and
     * the prose only for what it adds about them. */
    const char *xf = inbox_msg_header(m, "X-Failed-Recipients");
    while (!e && xf && *xf) {
        xf += strspn(xf, " ,;\t");
        size_t n = strcspn(xf, " ,;\t");
        if (n)
            e = inbox_bounce_add(b, xf, n, NULL);
        xf += n;
    }
    if (!e)
        e = b->nrcpts ? inbox_bounce_text_fill(m, b) : harvest(m, &nt, b);
    if (!e && !b->nrcpts && !lay && !m->is_dsn && !m->returned && nt.len >= strlen(m->text)) {
        ab_free(nt.v); /* names nobody, returns nothing: a look-alike */
        return AB_OK;
    }
    if (!e)
        e = inbox_bounce_fill_reasons(&nt, b);
    ab_free(nt.v);
    if (e)
        return e;
    b->is_bounce = 1;
    b->delay = delay;
    if (lay)
        b->reason = delay ? lay->delayed : lay->failed;
    else if (m->is_dsn)
        b->reason = delay ? "DSN: delivery delayed" : "DSN: delivery failed";
    else
        b->reason = delay ? "mail system: delivery delayed" : "mail system: delivery failed";
    return AB_OK;
}
