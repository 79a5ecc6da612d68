/*
 * bounce_text.c - bounces written as prose: who failed and why, read from
 * the notice text of MTAs and gateways that send no DSN fields (Exim,
 * qmail, Sendmail, OpenSMTPD, DragonFly Mail Agent, Courier, Exchange,
 * Office 365, Gmail, Yahoo, IMail, Domino, mail gateways, carriers), and
 * the human text part of DSNs for what their fields lack.
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
 *  - The reason is the line near the address that looks most like a
 *    diagnostic: an SMTP reply code ("550 5.1.1 ...") beats a phrase
 *    such as "mailbox full" or "not listed in Domino Directory", which
 *    beats nothing.  From a code on, the line is the server's own words
 *    ("host mx[...] said: 550 ..." gives "550 ..."); its continuation
 *    lines (same code, or same indentation) are joined to it.
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

#include "common/ab_buf.h"
#include "common/ab_mem.h"

#define REASON_MAX 300   /* bytes of a reason line, then "..." */
#define WINDOW 8         /* lines after an address searched for its reason */
#define MAX_LINES 4000   /* of the notice; a notice is a screenful or two */
#define JOIN_MAX 2048    /* bytes gathered for one reason before cutting */

struct line {
    const char *p;
    size_t n;      /* without the line end */
    int indent;    /* leading spaces and tabs */
};

struct notice {
    struct line *v;
    size_t n;
    size_t len;    /* bytes of m->text that are the notice */
};

/* ---- small text helpers ---------------------------------------------- */

static int ci_in(const char *p, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (strncasecmp(p + i, needle, k) == 0)
            return 1;
    return 0;
}

static int any_in(const char *p, size_t n, const char *const *list)
{
    for (; *list; list++)
        if (ci_in(p, n, *list))
            return 1;
    return 0;
}

static int local_char(char c)
{
    return isalnum((unsigned char)c) || (c && strchr("._%+-=", c));
}

static int domain_char(char c)
{
    return isalnum((unsigned char)c) || c == '.' || c == '-';
}

/* The next address in p[0..n) from *pos: its start and length; 0 at the
 * end.  Loose on purpose (RFC 5321 allows more), it finds what bounce
 * notices print. */
static size_t next_addr(const char *p, size_t n, size_t *pos, const char **start)
{
    while (*pos < n) {
        const char *at = memchr(p + *pos, '@', n - *pos);
        if (!at)
            break;
        size_t a = (size_t)(at - p);
        *pos = a + 1;
        size_t s = a, e = a + 1;
        while (s > 0 && local_char(p[s - 1]))
            s--;
        while (e < n && domain_char(p[e]))
            e++;
        while (e > a + 1 && (p[e - 1] == '.' || p[e - 1] == '-'))
            e--;
        while (s < a && p[s] == '.')
            s++;
        if (s == a || e == a + 1 || !memchr(p + a + 1, '.', e - a - 1) ||
            p[a + 1] == '.' || (s > 0 && p[s - 1] == '/'))
            continue;
        *pos = e;
        *start = p + s;
        return e - s;
    }
    return 0;
}

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
    return m->from_name && any_in(m->from_name, strlen(m->from_name), names);
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
    if (any_in(t, n, permanent))
        return 0;
    return any_in(t, n, delayed) || delay_subject(subject);
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
        if (any_in(t, n, layouts[i].markers))
            return &layouts[i];
    return NULL;
}

/* ---- the notice and its lines ----------------------------------------- */

/* The line where an inline returned message begins. */
static int returned_starts(const char *p, size_t n)
{
    if (inbox_starts_with_ci(p, "Received: ") || inbox_starts_with_ci(p, "Return-Path:"))
        return 1;
    if (n > 100)
        return 0;
    static const char *const marks[] = {
        "copy of the message", "copy of the original message", "original message follows",
        "unsent message follows", "message follows", "original message headers",
        "below this line is a copy", "returned message", "headers of the original",
        "message header follows", "message headers follow", NULL};
    if (any_in(p, n, marks))
        return 1;
    return *p == '-' && ci_in(p, n, "original message");
}

static enum ab_err split_notice(const char *t, struct notice *nt)
{
    memset(nt, 0, sizeof *nt);
    const char *p = t;
    while (*p && nt->n < MAX_LINES) {
        size_t n = strcspn(p, "\n");
        size_t k = n && p[n - 1] == '\r' ? n - 1 : n;
        if (returned_starts(p, k))
            break;
        struct line *nv = ab_realloc(nt->v, (nt->n + 1) * sizeof *nv);
        if (!nv)
            return AB_ENOMEM;
        nt->v = nv;
        int ind = 0;
        while ((size_t)ind < k && (p[ind] == ' ' || p[ind] == '\t'))
            ind++;
        nt->v[nt->n++] = (struct line){p, k, ind};
        p += n;
        if (*p == '\n')
            p++;
    }
    nt->len = (size_t)(p - t);
    return AB_OK;
}

/* Lines that quote headers or our own SMTP commands: never a failed
 * address nor its reason. */
static int skip_line(const struct line *l)
{
    const char *p = l->p + l->indent;
    size_t n = l->n - (size_t)l->indent;
    static const char *const hdr[] = {
        "From:", "To:", "Cc:", "Bcc:", "Subject:", "Date:", "Sent:", "Message-ID:",
        "Reply-To:", "Sender:", "Received:", "Return-Path:", "References:", "In-Reply-To:",
        "Reporting-MTA:", "Arrival-Date:", "Generating server:", NULL};
    for (const char *const *h = hdr; *h; h++)
        if (inbox_starts_with_ci(p, *h))
            return 1;
    if (n && p[0] == '>' && !(n > 2 && p[1] == '>' && p[2] == '>'))
        return 1; /* a quote; ">>> RCPT TO:<x>" is a transcript */
    return ci_in(p, n, "MAIL FROM");
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
    if (any_in(p + from, n - from, orig))
        return 2;
    if (any_in(p + from, n - from, fwd))
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

static enum ab_err harvest(const struct inbox_msg *m, const struct notice *nt,
                           struct inbox_bounce *b)
{
    long last = -1;
    for (size_t li = 0; li < nt->n; li++) {
        const struct line *l = &nt->v[li];
        if (skip_line(l))
            continue;
        size_t pos = 0, an;
        const char *a;
        while ((an = next_addr(l->p, l->n, &pos, &a))) {
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

/* ---- reasons ---------------------------------------------------------- */

/* The first SMTP reply code of a failure (4xx, 5xx) standing as a word. */
static const char *find_code(const char *p, size_t n)
{
    for (size_t i = 0; i + 3 < n; i++)
        if ((p[i] == '4' || p[i] == '5') && isdigit((unsigned char)p[i + 1]) &&
            isdigit((unsigned char)p[i + 2]) && (p[i + 3] == ' ' || p[i + 3] == '-') &&
            (i == 0 || strchr(" \t:;'\"#(", p[i - 1])))
            return p + i;
    return NULL;
}

/* The first enhanced status code (RFC 3463) of a failure, "5.1.1". */
static const char *find_status(const char *p, size_t n, size_t *len)
{
    for (size_t i = 0; i + 4 < n; i++) {
        if ((p[i] != '4' && p[i] != '5') || p[i + 1] != '.' ||
            (i > 0 && (isalnum((unsigned char)p[i - 1]) || p[i - 1] == '.')))
            continue;
        size_t j = i + 2, d1 = 0, d2 = 0;
        while (j < n && isdigit((unsigned char)p[j]) && d1 < 4)
            j++, d1++;
        if (!d1 || d1 > 3 || j >= n || p[j] != '.')
            continue;
        j++;
        while (j < n && isdigit((unsigned char)p[j]) && d2 < 4)
            j++, d2++;
        if (!d2 || d2 > 3 || (j < n && isdigit((unsigned char)p[j])) ||
            (j + 1 < n && p[j] == '.' && isdigit((unsigned char)p[j + 1])))
            continue;
        *len = j - i;
        return p + i;
    }
    return NULL;
}

enum ab_err inbox_bounce_status_in(const char *s, char **out)
{
    size_t n;
    const char *st = s ? find_status(s, strlen(s), &n) : NULL;
    if (!st || *out)
        return AB_OK;
    *out = ab_strndup(st, n);
    return *out ? AB_OK : AB_ENOMEM;
}

/* Words of a line that say why mail was not delivered.  Not the intros
 * ("could not be delivered"): every notice has those. */
static const char *const why_words[] = {
    "unknown", "no such", "not exist", "n't exist", "not found", "be found", "wasn't found",
    "is full", "box full", "quota", "rejected", "refused", "blocked", "denied",
    "invalid", "not a valid", "disabled", "inactive", "suspended", "deactivated",
    "not listed", "n't have", "not have", "unable to receive", "not accept",
    "timed out", "timeout", "expired", "too long", "policy", "spam", "unroutable",
    "unrouteable", "no mx", "host not found", "not allowed", "unavailable", "exceeded",
    "deleted", "too large", "size limit", "no mailbox", "not permitted", "unreachable",
    "deferred", "temporar", "try again", "greylist", "no longer", "virus", "blacklist",
    "blocklist", "over the limit", NULL};

/* How much l looks like the reason: 0 not at all, 2 a phrase, 3 a reply
 * code, 4 both; a "Reason:" label adds one.  -1: never (a header). */
static int score(const struct line *l)
{
    if (skip_line(l))
        return -1;
    /* the words of addresses ("unknown.user@x") are not phrases */
    char *c = ab_strndup(l->p, l->n);
    if (!c)
        return 0;
    size_t pos = 0, an;
    const char *a;
    while ((an = next_addr(c, l->n, &pos, &a)))
        memset((char *)a, ' ', an);
    size_t sl;
    int code = find_code(c, l->n) || find_status(c, l->n, &sl);
    int why = any_in(c, l->n, why_words);
    ab_free(c);
    int s = code ? (why ? 4 : 3) : why ? 2 : 0;
    if (inbox_starts_with_ci(l->p + l->indent, "Reason:"))
        s = s ? s + 1 : 2;
    return s;
}

/* Does line l name an address of b other than rcpt self (or its original)? */
static int names_other(const struct line *l, const struct inbox_bounce *b, size_t self)
{
    size_t pos = 0, an;
    const char *a;
    while ((an = next_addr(l->p, l->n, &pos, &a)))
        for (size_t i = 0; i < b->nrcpts; i++) {
            if (i == self)
                continue;
            if (strlen(b->rcpts[i].addr) == an && strncasecmp(b->rcpts[i].addr, a, an) == 0 &&
                !(b->rcpts[self].original && strcasecmp(b->rcpts[self].original,
                                                         b->rcpts[i].addr) == 0))
                return 1;
        }
    return 0;
}

static int mentions(const struct line *l, const char *addr)
{
    size_t pos = 0, an;
    const char *a;
    while ((an = next_addr(l->p, l->n, &pos, &a)))
        if (strlen(addr) == an && strncasecmp(addr, a, an) == 0)
            return 1;
    return 0;
}

/* Length of "<kim@x>: " when line p[0..n) opens with an address and a
 * colon, the "address: why" form (Postfix, qmail, OpenSMTPD, IMail), so
 * that what follows can be the reason; 0 otherwise. */
static size_t addr_colon(const char *p, size_t n)
{
    size_t pos = 0, an;
    const char *a;
    size_t lead = n && *p == '<' ? 1 : 0;
    if (!(an = next_addr(p, n, &pos, &a)) || a != p + lead)
        return 0;
    size_t k = lead + an;
    if (k < n && p[k] == '>')
        k++;
    if (k >= n || p[k] != ':')
        return 0;
    k++;
    while (k < n && (p[k] == ' ' || p[k] == '\t'))
        k++;
    return k < n ? k : 0;
}

/* Drop closers at the end of buf whose openers were cut off with the
 * text before a reply code: "(reason: 550 ...)", "returned '550 ...'",
 * "<mx #5.7.1 smtp;550 ...>". */
static size_t strip_closers(const char *cut, size_t cutn, char quoted, const char *buf,
                            size_t len)
{
    int paren = 0, angle = 0, squote = quoted == '\'', dquote = quoted == '"';
    for (size_t i = 0; i < cutn; i++) {
        paren += cut[i] == '(' ? 1 : cut[i] == ')' ? -1 : 0;
        angle += cut[i] == '<' ? 1 : cut[i] == '>' ? -1 : 0;
        squote ^= cut[i] == '\'';
        dquote ^= cut[i] == '"';
    }
    while (len && isspace((unsigned char)buf[len - 1]))
        len--;
    for (int again = 1; again && len;) {
        char c = buf[len - 1];
        again = (c == ')' && paren > 0 && paren--) || (c == '>' && angle > 0 && angle--) ||
                (c == '\'' && squote && !(squote = 0)) || (c == '"' && dquote && !(dquote = 0));
        if (again)
            len--;
    }
    return len;
}

/* The reason starting at line li, with its continuation lines, as one
 * line: from the reply code on when there is one; continued by lines
 * of the same multi-line reply ("550-5.1.1 ..." then "550 5.1.1 ...")
 * or, in an indented block, by the block's further lines. */
static enum ab_err reason_from(const struct notice *nt, size_t li, const struct inbox_bounce *b,
                               size_t self, char **out)
{
    const struct line *l = &nt->v[li];
    const char *p = l->p + l->indent;
    size_t n = l->n - (size_t)l->indent;
    if (n >= 3 && strncmp(p, "<<<", 3) == 0)
        p += 3, n -= 3; /* a transcript's server line */
    size_t ac = addr_colon(p, n);
    p += ac, n -= ac;
    if (inbox_starts_with_ci(p, "Reason:"))
        p += 7, n -= 7;
    const char *cut = p; /* what goes before the code: "host mx said: " */
    size_t cutn = 0;
    char quoted = 0;     /* 550-'5.1.1 ...': the quote goes, the code stays */
    const char *code = find_code(p, n);
    if (code) {
        cutn = (size_t)(code - p);
        n -= cutn;
        p = code;
        if (n > 5 && (p[4] == '\'' || p[4] == '"'))
            quoted = p[4];
    }
    ab_buf buf;
    ab_buf_init(&buf, JOIN_MAX);
    enum ab_err e;
    if (quoted) {
        e = ab_buf_append(&buf, p, 4);
        if (!e)
            e = ab_buf_append(&buf, p + 5, n - 5 < JOIN_MAX - 8 ? n - 5 : JOIN_MAX - 8);
    } else {
        e = ab_buf_append(&buf, p, n < JOIN_MAX - 1 ? n : JOIN_MAX - 1);
    }
    int more = code && code[3] == '-'; /* "550-": the reply goes on */
    for (size_t j = li + 1; !e && j < nt->n && buf.len < JOIN_MAX - 1; j++) {
        const struct line *c = &nt->v[j];
        const char *q = c->p + c->indent;
        size_t qn = c->n - (size_t)c->indent;
        if (!qn || skip_line(c) || names_other(c, b, self))
            break;
        if (more && qn > 4 && strncmp(q, code, 3) == 0 && (q[3] == ' ' || q[3] == '-')) {
            more = q[3] == '-';
            q += 4, qn -= 4;
            size_t sl;
            if (find_status(q, qn, &sl) == q)
                q += sl, qn -= sl;
        } else if (!(l->indent && c->indent == l->indent && q[qn - 1] != ':' &&
                     !find_code(q, qn))) {
            break;
        }
        if ((e = ab_buf_putc(&buf, ' ')) == AB_OK)
            e = ab_buf_append(&buf, q, qn);
    }
    if (e && e != AB_ENOMEM)
        e = AB_OK; /* past JOIN_MAX: the reason is cut anyway */
    if (!e) {
        size_t len = strip_closers(cut, cutn, quoted, buf.data ? buf.data : "", buf.len);
        e = inbox_bounce_oneline(buf.data ? buf.data : "", len, 0, out);
    }
    ab_buf_free(&buf);
    return e;
}

/* How much line k, in the window of a line naming the address, looks
 * like its reason; "kim@x: why" on the naming line counts as a phrase. */
static int score_near(const struct notice *nt, size_t k, size_t li)
{
    int s = score(&nt->v[k]);
    const struct line *l = &nt->v[k];
    if (k == li && s < 2 && addr_colon(l->p + l->indent, l->n - (size_t)l->indent))
        s = 2;
    return s;
}

/* The best reason line for rcpt i: near each line that names it, up to
 * the next line naming another failed address.  In an indented block
 * ("    The e-mail account does not exist ...\n    <mx #5.1.1>") the
 * reason starts at the block's first line that says why. */
static enum ab_err reason_for(const struct notice *nt, const struct inbox_bounce *b, size_t i,
                              char **out)
{
    int best = 0;
    size_t at = 0;
    for (size_t li = 0; li < nt->n; li++) {
        if (!mentions(&nt->v[li], b->rcpts[i].addr))
            continue;
        for (size_t k = li; k < nt->n && k < li + WINDOW; k++) {
            if (k > li && names_other(&nt->v[k], b, i))
                break;
            int s = score_near(nt, k, li);
            if (s > best)
                best = s, at = k;
        }
    }
    /* One address, named only in a header (X-Failed-Recipients): the
     * notice's one diagnostic with a reply code is its reason. */
    if (!best && b->nrcpts == 1)
        for (size_t li = 0; li < nt->n; li++) {
            int s = score(&nt->v[li]);
            if (s >= 3 && s > best)
                best = s, at = li;
        }
    if (!best)
        return AB_OK;
    while (at > 0 && nt->v[at].indent && nt->v[at - 1].indent == nt->v[at].indent &&
           !find_code(nt->v[at].p, nt->v[at].n) && !names_other(&nt->v[at - 1], b, i) &&
           score(&nt->v[at - 1]) > 0)
        at--;
    return reason_from(nt, at, b, i, out);
}

static enum ab_err fill_reasons(const struct notice *nt, struct inbox_bounce *b)
{
    enum ab_err e = AB_OK;
    for (size_t i = 0; i < b->nrcpts && !e; i++) {
        if (!b->rcpts[i].reason)
            e = reason_for(nt, b, i, &b->rcpts[i].reason);
        if (!e && !b->rcpts[i].status)
            e = inbox_bounce_status_in(b->rcpts[i].reason, &b->rcpts[i].status);
    }
    return e;
}

enum ab_err inbox_bounce_oneline(const char *s, size_t n, int strip_type, char **out)
{
    *out = NULL;
    char *d = ab_malloc(n + 4);
    if (!d)
        return AB_ENOMEM;
    /* whitespace and control characters collapse to one space */
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f || c == ' ') {
            if (k && d[k - 1] != ' ')
                d[k++] = ' ';
        } else {
            d[k++] = (char)c;
        }
    }
    while (k && d[k - 1] == ' ')
        k--;
    d[k] = '\0';
    char *p = d;
    /* RFC 3464 diagnostic-type: "smtp; 550 ...", "X-Postfix; ..." */
    size_t tl = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-");
    if (strip_type && tl && tl < 24 && p[tl] == ';')
        p += tl + 1 + strspn(p + tl + 1, " ");
    /* "550-5.1.1 a 550-5.1.1 b": multi-line replies repeat their code;
     * say it once. */
    const char *code = find_code(p, strlen(p));
    if (code == p) {
        char prefix[16];
        size_t sl = 0;
        const char *st = find_status(p + 4, strlen(p + 4), &sl);
        size_t pl = st == p + 4 && sl < 10 ? 4 + sl : 3;
        memcpy(prefix, p, pl);
        prefix[pl] = '\0';
        p[3] = ' ';
        size_t w = pl;
        for (size_t r = pl; p[r];) {
            if (p[r] == ' ' && strncmp(p + r + 1, prefix, 3) == 0 &&
                (p[r + 4] == ' ' || p[r + 4] == '-')) {
                if (pl == 3) { /* " 550-": the separator becomes the space */
                    r += 4;
                    p[r] = ' ';
                    continue;
                }
                if (strncmp(p + r + 5, prefix + 4, pl - 4) == 0 &&
                    (p[r + 1 + pl] == ' ' || !p[r + 1 + pl])) {
                    r += 1 + pl;
                    continue;
                }
            }
            p[w++] = p[r++];
        }
        p[w] = '\0';
    }
    size_t len = strlen(p);
    if (!len) {
        ab_free(d);
        return AB_OK;
    }
    if (len > REASON_MAX) {
        len = REASON_MAX;
        while (len && ((unsigned char)p[len] & 0xC0) == 0x80)
            len--; /* not inside a UTF-8 sequence */
        memcpy(p + len, "...", 4);
    }
    *out = ab_strdup(p);
    ab_free(d);
    return *out ? AB_OK : AB_ENOMEM;
}

/* ---- the two entry points --------------------------------------------- */

enum ab_err inbox_bounce_text_fill(const struct inbox_msg *m, struct inbox_bounce *b)
{
    struct notice nt;
    enum ab_err e = split_notice(m->text, &nt);
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
        e = fill_reasons(&nt, b);
    inbox_bounce_free(&found);
    ab_free(nt.v);
    return e;
}

enum ab_err inbox_bounce_text(const struct inbox_msg *m, struct inbox_bounce *b)
{
    if (!system_sender(m) || forward_subject(m->subject))
        return AB_OK;
    struct notice nt;
    enum ab_err e = split_notice(m->text, &nt);
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
        e = fill_reasons(&nt, b);
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
