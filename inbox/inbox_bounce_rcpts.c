/*
 * inbox_bounce_rcpts.c - the addresses a bounce names: adding one found
 * in a DSN field, a header or the prose (trimmed of brackets and quotes,
 * lower-cased, once each, up to a bound), and freeing the list.
 *
 * Every bounce reader fills the same list (inbox_bounce.c from the DSN
 * fields, inbox_bounce_text.c from the prose), so it sits below them all.
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
