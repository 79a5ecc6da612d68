/*
 * inbox_candidates.c - the tokens a message might be about, gathered from each
 * place a token can travel (thread headers, the plus address, subject,
 * text, a bounce's returned message), in the order the caller adds them,
 * which is the order in which they are believed (inbox_classify.c).
 *
 * A candidate is "strong" when it stands where only ackbeat writes a
 * token: "hb.TOKEN" (Message-ID and the reference line), "+TOKEN@" (the
 * reply and VERP addresses), the subject, a returned message.  A strong
 * candidate that was never issued is a forgery; a weak one (a bare
 * 26-letter word in free text) is ignored, as signatures and tracking
 * codes have such words.
 *
 * There is no cap on the number of candidates: each one costs a lookup,
 * and the text they come from is already bounded (INBOX_MAX_TEXT).
 */
#include "inbox/inbox_int.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "common/ab_mem.h"

void inbox_cands_add(struct inbox_cands *c, const char *tok, enum inbox_via via, int strong)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->v[i].tok, tok) == 0) {
            c->v[i].strong |= strong;
            return;
        }
    if (c->n == c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 8;
        struct inbox_cand *nv = ab_realloc(c->v, nc * sizeof *nv);
        if (!nv) {
            c->nomem = 1;
            return;
        }
        c->v = nv;
        c->cap = nc;
    }
    struct inbox_cand *d = &c->v[c->n++];
    memset(d, 0, sizeof *d);
    memcpy(d->tok, tok, AB_TOKEN_LEN + 1);
    d->via = via;
    d->strong = strong;
    d->issued = -1;
}

void inbox_cands_free(struct inbox_cands *c)
{
    ab_free(c->v);
    memset(c, 0, sizeof *c);
}

/* Is the token written the way ackbeat writes it: "hb.TOKEN" or
 * "+TOKEN@"?  Looks at every occurrence in the scanned text. */
static int written_by_us(const char *text, size_t len, const char *tok, int refs_only)
{
    for (size_t i = 0; i + AB_TOKEN_LEN <= len; i++) {
        if (strncasecmp(text + i, tok, AB_TOKEN_LEN) != 0)
            continue;
        if (i >= 3 && strncasecmp(text + i - 3, "hb.", 3) == 0)
            return 1;
        if (!refs_only && i >= 1 && text[i - 1] == '+')
            return 1;
    }
    return 0;
}

struct scan {
    struct inbox_cands *c;
    enum inbox_via via;
    const char *text;
    size_t len;
    int always_strong;
    int refs_only;
};

static int scan_cb(const char *tok, void *ud)
{
    struct scan *s = ud;
    int ours = written_by_us(s->text, s->len, tok, s->refs_only);
    if (s->refs_only && !ours)
        return 0;
    inbox_cands_add(s->c, tok, s->via, s->always_strong || ours);
    return s->c->nomem;
}

void inbox_cands_scan(struct inbox_cands *c, const char *text, size_t len,
                      enum inbox_via via)
{
    struct scan s = {c, via, text, len,
                     via == INBOX_VIA_SUBJECT || via == INBOX_VIA_RETURNED, 0};
    ab_token_scan(text, len, scan_cb, &s);
}

void inbox_cands_refs(struct inbox_cands *c, const char *text, size_t len,
                      enum inbox_via via)
{
    struct scan s = {c, via, text, len, 1, 1};
    ab_token_scan(text, len, scan_cb, &s);
}

/* "hb.TOKEN@domain" (a request) or "hb.TOKEN.reminder@domain" (its
 * reminder) -> TOKEN */
void inbox_cands_msgid(struct inbox_cands *c, const char *id, enum inbox_via via)
{
    if (!id || !inbox_starts_with_ci(id, "hb."))
        return;
    const char *t = id + 3;
    if (strlen(t) < AB_TOKEN_LEN + 1 || (t[AB_TOKEN_LEN] != '@' && t[AB_TOKEN_LEN] != '.'))
        return;
    char tok[AB_TOKEN_LEN + 1];
    for (size_t i = 0; i < AB_TOKEN_LEN; i++)
        tok[i] = (char)tolower((unsigned char)t[i]);
    tok[AB_TOKEN_LEN] = '\0';
    if (ab_token_valid(tok, AB_TOKEN_LEN))
        inbox_cands_add(c, tok, via, 1);
}

const char *inbox_plus_part(const char *addr, const char *base, char *buf, size_t blen)
{
    const char *bat = base ? strrchr(base, '@') : NULL;
    const char *at = addr ? strrchr(addr, '@') : NULL;
    if (!bat || !at || strcasecmp(at + 1, bat + 1) != 0)
        return NULL;
    size_t ll = (size_t)(bat - base);
    if ((size_t)(at - addr) <= ll + 1 || strncasecmp(addr, base, ll) != 0 ||
        addr[ll] != '+')
        return NULL;
    size_t xl = (size_t)(at - addr) - ll - 1;
    if (xl >= blen)
        return NULL;
    memcpy(buf, addr + ll + 1, xl);
    buf[xl] = '\0';
    return buf;
}

void inbox_cands_plus(struct inbox_cands *c, const struct inbox_msg *m, const char *base)
{
    char *const *lists[2] = {m->rcpts, m->envelope};
    size_t ns[2] = {m->nrcpts, m->nenvelope};
    for (int l = 0; l < 2; l++)
        for (size_t i = 0; i < ns[l]; i++) {
            char x[INBOX_ADDR_MAX];
            const char *px = inbox_plus_part(lists[l][i], base, x, sizeof x);
            if (!px || strlen(px) != AB_TOKEN_LEN)
                continue;
            char tok[AB_TOKEN_LEN + 1];
            for (size_t k = 0; k < AB_TOKEN_LEN; k++)
                tok[k] = (char)tolower((unsigned char)px[k]);
            tok[AB_TOKEN_LEN] = '\0';
            if (ab_token_valid(tok, AB_TOKEN_LEN))
                inbox_cands_add(c, tok, INBOX_VIA_PLUS, 1);
        }
}

enum ab_err inbox_cands_lookup(struct inbox_cands *c, const struct inbox_rules *r,
                               ab_errmsg *em)
{
    if (c->nomem)
        return ab_fail(em, AB_ENOMEM, "out of memory");
    if (!r->issued)
        return AB_OK; /* every candidate stays "unknown" (-1) */
    for (size_t i = 0; i < c->n; i++) {
        int found = 0;
        struct inbox_issued is;
        memset(&is, 0, sizeof is);
        enum ab_err e = r->issued(r->issued_ud, c->v[i].tok, &found, &is, em);
        if (e)
            return e;
        c->v[i].issued = found;
        if (found) {
            is.recipient[sizeof is.recipient - 1] = '\0';
            c->v[i].is = is;
        }
    }
    return AB_OK;
}

enum ab_err inbox_cand_take(struct inbox_verdict *v, const struct inbox_cand *c,
                            ab_errmsg *em)
{
    memcpy(v->token, c->tok, sizeof v->token);
    v->via = c->via;
    v->issued = c->issued;
    v->cycle_id = c->is.cycle_id;
    v->alert_id = c->is.alert_id;
    if (c->issued == 1 && !(v->recipient = ab_strdup(c->is.recipient)))
        return ab_fail(em, AB_ENOMEM, "out of memory");
    return AB_OK;
}
