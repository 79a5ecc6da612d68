/*
 * inbox_bounce_reason.c - why a bounced address failed, as one short line, read
 * from the notice lines inbox_bounce_notice.c split off (and, through
 * inbox_bounce_oneline, from a DSN's Diagnostic-Code).
 *
 * The reason is the line near the address that looks most like a
 * diagnostic: an SMTP reply code ("550 5.1.1 ...") beats a phrase such
 * as "mailbox full" or "not listed in Domino Directory", which beats
 * nothing.  From a code on, the line is the server's own words ("host
 * mx[...] said: 550 ..." gives "550 ..."); its continuation lines (same
 * code, or same indentation) are joined to it.  The result is one line
 * for a person and the log: whitespace and control characters collapse,
 * a multi-line reply's repeated code is said once, and it is cut at
 * REASON_MAX bytes on a UTF-8 boundary.
 */
#include "inbox/inbox_int.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "common/ab_buf.h"
#include "common/ab_mem.h"

#define REASON_MAX 300   /* bytes of a reason line, then "..." */
#define WINDOW 8         /* lines after an address searched for its reason */
#define JOIN_MAX 2048    /* bytes gathered for one reason before cutting */

/* ---- codes ------------------------------------------------------------ */

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
static int score(const struct inbox_bline *l)
{
    if (inbox_bounce_skip_line(l))
        return -1;
    /* the words of addresses ("unknown.user@x") are not phrases */
    char *c = ab_strndup(l->p, l->n);
    if (!c)
        return 0;
    size_t pos = 0, an;
    const char *a;
    while ((an = inbox_bounce_next_addr(c, l->n, &pos, &a)))
        memset((char *)a, ' ', an);
    size_t sl;
    int code = find_code(c, l->n) || find_status(c, l->n, &sl);
    int why = inbox_bounce_any_in(c, l->n, why_words);
    ab_free(c);
    int s = code ? (why ? 4 : 3) : why ? 2 : 0;
    if (inbox_starts_with_ci(l->p + l->indent, "Reason:"))
        s = s ? s + 1 : 2;
    return s;
}

/* Does line l name an address of b other than rcpt self (or its original)? */
static int names_other(const struct inbox_bline *l, const struct inbox_bounce *b, size_t self)
{
    size_t pos = 0, an;
    const char *a;
    while ((an = inbox_bounce_next_addr(l->p, l->n, &pos, &a)))
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

static int mentions(const struct inbox_bline *l, const char *addr)
{
    size_t pos = 0, an;
    const char *a;
    while ((an = inbox_bounce_next_addr(l->p, l->n, &pos, &a)))
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
    if (!(an = inbox_bounce_next_addr(p, n, &pos, &a)) || a != p + lead)
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
static enum ab_err reason_from(const struct inbox_notice *nt, size_t li,
                               const struct inbox_bounce *b, size_t self, char **out)
{
    const struct inbox_bline *l = &nt->v[li];
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
        const struct inbox_bline *c = &nt->v[j];
        const char *q = c->p + c->indent;
        size_t qn = c->n - (size_t)c->indent;
        if (!qn || inbox_bounce_skip_line(c) || names_other(c, b, self))
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
static int score_near(const struct inbox_notice *nt, size_t k, size_t li)
{
    int s = score(&nt->v[k]);
    const struct inbox_bline *l = &nt->v[k];
    if (k == li && s < 2 && addr_colon(l->p + l->indent, l->n - (size_t)l->indent))
        s = 2;
    return s;
}

/* The best reason line for rcpt i: near each line that names it, up to
 * the next line naming another failed address.  In an indented block
 * ("    The e-mail account does not exist ...\n    <mx #5.1.1>") the
 * reason starts at the block's first line that says why. */
static enum ab_err reason_for(const struct inbox_notice *nt, const struct inbox_bounce *b,
                              size_t i, char **out)
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

enum ab_err inbox_bounce_fill_reasons(const struct inbox_notice *nt, struct inbox_bounce *b)
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

