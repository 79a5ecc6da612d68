/*
 * inbox_bounce_notice.c - the notice of a bounce as lines: where it ends
 * (an inline returned message starts), which of its lines quote headers
 * or our own SMTP commands, and the addresses and phrases in a line.
 *
 * Both readers of prose bounces work on these lines: inbox_bounce_text.c
 * finds the failed addresses in them, inbox_bounce_reason.c the reason
 * near each.  The pieces live here, below both, so that the two call
 * down into this file and never into each other's.
 */
#include "inbox/inbox_int.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "common/ab_mem.h"

#define MAX_LINES 4000   /* of the notice; a notice is a screenful or two */

/* ---- phrases and addresses in a line ---------------------------------- */

static int ci_in(const char *p, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (strncasecmp(p + i, needle, k) == 0)
            return 1;
    return 0;
}

int inbox_bounce_any_in(const char *p, size_t n, const char *const *list)
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
size_t inbox_bounce_next_addr(const char *p, size_t n, size_t *pos, const char **start)
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
    if (inbox_bounce_any_in(p, n, marks))
        return 1;
    return *p == '-' && ci_in(p, n, "original message");
}

enum ab_err inbox_bounce_notice_split(const char *t, struct inbox_notice *nt)
{
    memset(nt, 0, sizeof *nt);
    const char *p = t;
    while (*p && nt->n < MAX_LINES) {
        size_t n = strcspn(p, "\n");
        size_t k = n && p[n - 1] == '\r' ? n - 1 : n;
        if (returned_starts(p, k))
            break;
        struct inbox_bline *nv = ab_realloc(nt->v, (nt->n + 1) * sizeof *nv);
        if (!nv)
            return AB_ENOMEM;
        nt->v = nv;
        int ind = 0;
        while ((size_t)ind < k && (p[ind] == ' ' || p[ind] == '\t'))
            ind++;
        nt->v[nt->n++] = (struct inbox_bline){p, k, ind};
        p += n;
        if (*p == '\n')
            p++;
    }
    nt->len = (size_t)(p - t);
    return AB_OK;
}

/* Lines that quote headers or our own SMTP commands: never a failed
 * address nor its reason. */
int inbox_bounce_skip_line(const struct inbox_bline *l)
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
