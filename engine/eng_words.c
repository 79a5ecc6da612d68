/*
 * eng_words.c - what came back from a person asked, in words a person reads.
 *
 * The store keeps what the inbox learned in the inbox's own terms
 * ("failed: kim@x.example: 550 5.1.1 user unknown", "reply; via=plus;
 * unverified"); `acks`, `status`, the web and the "nobody confirmed"
 * notice all show it, and must say the same thing: so the wording is
 * made here, once.  Two rules from issue 12 shape it: a delay warning is
 * not a failure (the person is "delayed", the address is not flagged),
 * and an unverified reply is not a confirmation (it says why).
 */
#include "engine/eng_int.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/ab_mem.h"

const char *eng_zone_for(const cfg *c, const char *email)
{
    const struct cfg_person *p = email ? cfg_person_by_email(c, email) : NULL;
    if (p && p->timezone)
        return p->timezone;
    return cfg_global(c)->timezone;
}

static int starts(const char *s, const char *prefix)
{
    return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

char *eng_bounce_reason(const char *detail, const char *recipient, int *delayed, char *buf,
                        size_t len)
{
    if (delayed)
        *delayed = 0;
    if (!len)
        return buf;
    buf[0] = '\0';
    if (!detail)
        return buf;
    const char *p = detail;
    if (starts(p, "failed:")) {
        p += 7;
    } else if (starts(p, "delayed:")) {
        p += 8;
        if (delayed)
            *delayed = 1;
    }
    while (*p == ' ')
        p++;
    /* The failed address is usually the recipient's own: naming it again
     * beside the recipient says nothing.  A forwarding target is news. */
    size_t rl = recipient ? strlen(recipient) : 0;
    if (rl && strncasecmp(p, recipient, rl) == 0) {
        const char *q = p + rl;
        if (q[0] == ':' && q[1] == ' ')
            p = q + 2;
        else if (starts(q, " (forwarded to "))
            p = q + 2; /* "forwarded to kim@y.example): 550 ..." */
    }
    size_t o = 0;
    for (; *p && o + 1 < len; p++) {
        /* "forwarded to X): why" reads as "forwarded to X: why". */
        if (*p == ')' && p[1] == ':' && starts(buf, "forwarded to "))
            continue;
        buf[o++] = *p;
    }
    buf[o] = '\0';
    return buf;
}

/* Is this "; "-separated part of an inbox detail one of our own words? */
static int internal_part(const char *s, size_t n)
{
    static const char *const words[] = {"via=", "cmd=", "unverified"};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (n >= strlen(words[i]) && strncasecmp(s, words[i], strlen(words[i])) == 0)
            return 1;
    return n == 0;
}

char *eng_inbox_words(const char *detail, char *buf, size_t len)
{
    size_t o = 0;
    if (!len)
        return buf;
    buf[0] = '\0';
    for (const char *p = detail; p && *p;) {
        const char *end = strstr(p, "; ");
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (!internal_part(p, n) && o < len)
            o += (size_t)snprintf(buf + o, len - o, "%s%.*s", o ? "; " : "", (int)n, p);
        p = end ? end + 2 : p + n;
    }
    return buf;
}

/* Why an unverified reply proves nothing, from what the inbox noted. */
static void unverified_reason(store *st, const struct store_cycle_rcpt *r, char *buf,
                              size_t len)
{
    char *by = NULL, *detail = NULL, words[512];
    buf[0] = '\0';
    if (!st || store_ack_unverified(st, r->token, &by, &detail, NULL) != AB_OK)
        return;
    eng_inbox_words(detail, words, sizeof words);
    /* Our MX's verdict is the stronger reason: name it when it is there. */
    const char *auth = NULL;
    size_t alen = 0;
    for (const char *p = words; *p && !auth;) {
        const char *end = strstr(p, "; ");
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (memmem(p, n, "authenticat", 11) || memmem(p, n, "dmarc=", 6) ||
            memmem(p, n, "spf=", 4) || memmem(p, n, "dkim=", 5))
            auth = p, alen = n;
        p = end ? end + 2 : p + n;
    }
    if (auth)
        snprintf(buf, len, "from %s: %.*s", by, (int)alen, auth);
    else if (strcasecmp(by, r->address) != 0)
        snprintf(buf, len, "from %s: not the address asked, nor of a domain allowed to "
                           "confirm for it",
                 by);
    else
        snprintf(buf, len, "from %s%s%s", by, words[0] ? ": " : "", words);
    ab_free(by);
    ab_free(detail);
}

int eng_recipient_flag(const struct store_recipient *rr, int missed_limit,
                       ab_time confirmed_at, char *buf, size_t len)
{
    if (len)
        buf[0] = '\0';
    if (!rr)
        return 0;
    ab_time conf = rr->last_confirmed;
    if (confirmed_at != AB_TIME_NONE && (conf == AB_TIME_NONE || confirmed_at > conf))
        conf = confirmed_at;
    size_t o = 0;
    /* A confirmation newer than a cycle's verdict resets the streak in the
     * store only at the next verdict; the person has answered now. */
    if (missed_limit > 0 && rr->missed_streak >= missed_limit && confirmed_at == AB_TIME_NONE)
        o += (size_t)snprintf(buf, len, "missed %d in a row", rr->missed_streak);
    if (rr->bounced_at != AB_TIME_NONE && (conf == AB_TIME_NONE || conf < rr->bounced_at) &&
        o < len) {
        char why[512];
        eng_bounce_reason(rr->bounce_detail, rr->address, NULL, why, sizeof why);
        o += (size_t)snprintf(buf + o, len - o, "%sbounced%s%s", o ? "; " : "",
                              why[0] ? ": " : "", why);
    }
    return o > 0;
}

void eng_rcpt_words(const cfg *c, store *st, const struct store_cycle *cy,
                    const struct store_cycle_rcpt *r, ab_time now,
                    struct eng_rcpt_words *out)
{
    memset(out, 0, sizeof *out);
    out->when = AB_TIME_NONE;
    int delayed = 0;
    char why[768];
    eng_bounce_reason(r->bounce_detail, r->address, &delayed, why, sizeof why);
    if (r->confirmed != AB_TIME_NONE) {
        out->state = ENG_RCPT_CONFIRMED, out->word = "confirmed", out->cls = "healthy";
        out->when = r->confirmed;
        if (r->confirmed_by && strcasecmp(r->confirmed_by, r->address) != 0)
            snprintf(out->by, sizeof out->by, "%s", r->confirmed_by);
    } else if (r->bounced != AB_TIME_NONE) {
        out->state = ENG_RCPT_BOUNCED, out->word = "bounced", out->cls = "failing";
        out->when = r->bounced;
        snprintf(out->reason, sizeof out->reason, "%s", why);
    } else if (r->unverified) {
        out->state = ENG_RCPT_UNVERIFIED, out->word = "unverified reply";
        out->cls = "degraded";
        unverified_reason(st, r, out->reason, sizeof out->reason);
    } else if (r->autoreplied != AB_TIME_NONE) {
        out->state = ENG_RCPT_AUTOREPLY, out->word = "auto-reply only", out->cls = "degraded";
        out->when = r->autoreplied;
        eng_inbox_words(r->autoreply_detail, out->reason, sizeof out->reason);
    } else if (delayed) {
        out->state = ENG_RCPT_DELAYED, out->word = "delayed", out->cls = "degraded";
        snprintf(out->reason, sizeof out->reason, "%s", why);
    } else {
        int open = !strcmp(cy->status, "Pending") || !strcmp(cy->status, "Held");
        if (open && now < cy->deadline)
            out->state = ENG_RCPT_WAITING, out->word = "waiting", out->cls = "unknown";
        else
            out->state = ENG_RCPT_NO_REPLY, out->word = "no reply", out->cls = "failing";
    }
    if (!st)
        return;
    /* Seed 000: people change jobs.  Say so when the signs add up; this
     * cycle's own bounce is already the state. */
    const struct cfg_check *k = cfg_check_find(c, cy->check);
    struct store_recipient *rr = NULL;
    if (store_recipient_get(st, r->address, &rr, NULL) != AB_OK)
        return;
    if (out->state == ENG_RCPT_BOUNCED) {
        ab_free(rr->bounce_detail);
        rr->bounce_detail = NULL;
        rr->bounced_at = AB_TIME_NONE;
    }
    eng_recipient_flag(rr, k ? k->missed_limit : 2, r->confirmed, out->flag, sizeof out->flag);
    store_recipient_free(rr);
}

int eng_ping_address(const cfg *c, const struct cfg_check *k, char *buf, size_t len)
{
    const struct cfg_inbox *ib = &cfg_global(c)->inbox;
    const char *at = ib->reply_address ? strrchr(ib->reply_address, '@') : NULL;
    if (len)
        buf[0] = '\0';
    if (k->kind != CFG_PING || !k->ping_token || !ib->enabled || !at)
        return 0;
    snprintf(buf, len, "%.*s+%s%s", (int)(at - ib->reply_address), ib->reply_address,
             k->ping_token, at);
    return 1;
}

int eng_ping_url(const cfg *c, const struct cfg_check *k, char *buf, size_t len)
{
    const struct cfg_web *w = &cfg_global(c)->web;
    if (len)
        buf[0] = '\0';
    if (k->kind != CFG_PING || !k->ping_token || !w->enabled)
        return 0;
    const char *base = w->base_url ? w->base_url : "";
    size_t bl = strlen(base);
    while (bl && base[bl - 1] == '/')
        bl--;
    snprintf(buf, len, "%.*s/ping/%s", (int)bl, base, k->ping_token);
    return 1;
}
