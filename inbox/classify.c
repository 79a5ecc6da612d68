/*
 * classify.c - what a parsed message means to ackbeat.
 *
 * Order of the decision, and why:
 *   1. bounce (bounce.c): a DSN also carries Auto-Submitted and quotes
 *      the heartbeat with its token, so it must be caught first;
 *   2. ping: mail to LOCAL+NAME@DOMAIN for a ping check; before the
 *      auto-reply test because cron and backup jobs mark their mail
 *      Auto-Submitted: auto-generated (RFC 3834), and that is the ping;
 *   3. auto-reply (autoreply.c): never an acknowledgement, but recorded
 *      against its token;
 *   4. the token, looked for in DESIGN.md's order: the plus address the
 *      reply was sent to, In-Reply-To/References <hb.TOKEN@...>, the
 *      subject, the new text of the reply, then the quoted text.  The
 *      first candidate that was issued wins: an ack.  A candidate in a
 *      place only ackbeat writes (plus address, hb. message id, the
 *      "Reference: hb." line, the subject) that was never issued makes
 *      the message forged.  A bare 26-letter word in free text that was
 *      never issued is ignored: signatures and tracking codes have them.
 *
 * Reply commands (dismiss, snooze 2d, note TEXT) are read from the first
 * line of the new text; whether to obey is the engine's call, helped by
 * verdict.verified (the sender is the recipient or an ack-from domain).
 */
#include "inbox/inbox_int.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "common/ab_mem.h"

#define MAX_CANDS 16
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
                                    "body", "quote", "returned"};
    return (unsigned)v < sizeof n / sizeof *n ? n[v] : "none";
}

const char *inbox_cmd_name(enum inbox_cmd c)
{
    static const char *const n[] = {"", "dismiss", "snooze", "note"};
    return (unsigned)c < sizeof n / sizeof *n ? n[c] : "";
}

struct cand {
    char tok[AB_TOKEN_LEN + 1];
    enum inbox_via via;
    int strong;
};

struct cands {
    struct cand v[MAX_CANDS];
    size_t n;
    enum inbox_via via;  /* for the scan callback */
    const char *text;    /* for the scan callback: where to look for "hb." */
    size_t text_len;
};

static void add_cand(struct cands *c, const char *tok, enum inbox_via via, int strong)
{
    for (size_t i = 0; i < c->n; i++)
        if (strcmp(c->v[i].tok, tok) == 0) {
            c->v[i].strong |= strong;
            return;
        }
    if (c->n >= MAX_CANDS)
        return;
    memcpy(c->v[c->n].tok, tok, AB_TOKEN_LEN + 1);
    c->v[c->n].via = via;
    c->v[c->n].strong = strong;
    c->n++;
}

/* Is the token written the way ackbeat writes it: "hb.TOKEN" or
 * "+TOKEN@"?  Looks at every occurrence in the scanned text. */
static int written_by_us(const char *text, size_t len, const char *tok)
{
    for (size_t i = 0; i + AB_TOKEN_LEN <= len; i++) {
        if (strncasecmp(text + i, tok, AB_TOKEN_LEN) != 0)
            continue;
        if (i >= 3 && strncasecmp(text + i - 3, "hb.", 3) == 0)
            return 1;
        if (i >= 1 && text[i - 1] == '+')
            return 1;
    }
    return 0;
}

static int scan_cb(const char *tok, void *ud)
{
    struct cands *c = ud;
    int strong = c->via == INBOX_VIA_SUBJECT || c->via == INBOX_VIA_RETURNED ||
                 written_by_us(c->text, c->text_len, tok);
    add_cand(c, tok, c->via, strong);
    return c->n >= MAX_CANDS;
}

static void scan(struct cands *c, const char *text, size_t len, enum inbox_via via)
{
    c->via = via;
    c->text = text;
    c->text_len = len;
    ab_token_scan(text, len, scan_cb, c);
}

/* "hb.TOKEN@domain" -> TOKEN */
static void msgid_cand(struct cands *c, const char *id, enum inbox_via via)
{
    if (!id || !inbox_starts_with_ci(id, "hb."))
        return;
    const char *t = id + 3;
    if (strlen(t) < AB_TOKEN_LEN + 1 || t[AB_TOKEN_LEN] != '@')
        return;
    char tok[AB_TOKEN_LEN + 1];
    for (size_t i = 0; i < AB_TOKEN_LEN; i++)
        tok[i] = (char)tolower((unsigned char)t[i]);
    tok[AB_TOKEN_LEN] = '\0';
    if (ab_token_valid(tok, AB_TOKEN_LEN))
        add_cand(c, tok, via, 1);
}

/* Split reply_address into LOCAL and DOMAIN; 0 if it has no '@'. */
static int split_reply(const char *ra, char *local, size_t ll, const char **domain)
{
    const char *at = ra ? strrchr(ra, '@') : NULL;
    if (!at || (size_t)(at - ra) >= ll)
        return 0;
    memcpy(local, ra, (size_t)(at - ra));
    local[at - ra] = '\0';
    *domain = at + 1;
    return 1;
}

/* If addr is LOCAL+X@DOMAIN, the X (borrowed into buf), else NULL. */
static const char *plus_part(const char *addr, const char *local, const char *domain,
                             char *buf, size_t blen)
{
    size_t ll = strlen(local);
    const char *at = strrchr(addr, '@');
    if (!at || strcasecmp(at + 1, domain) != 0)
        return NULL;
    if ((size_t)(at - addr) <= ll + 1 || strncasecmp(addr, local, ll) != 0 ||
        addr[ll] != '+')
        return NULL;
    size_t xl = (size_t)(at - addr) - ll - 1;
    if (xl >= blen)
        return NULL;
    memcpy(buf, addr + ll + 1, xl);
    buf[xl] = '\0';
    return buf;
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

/* "dismiss", "snooze 2d", "note TEXT" on the first non-empty line. */
static void command(struct inbox_verdict *v, const char *text, size_t len)
{
    const char *p = text, *end = text + len;
    while (p < end && isspace((unsigned char)*p))
        p++;
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t ll = nl ? (size_t)(nl - p) : (size_t)(end - p);
    while (ll && isspace((unsigned char)p[ll - 1]))
        ll--;
    char line[512];
    if (ll == 0 || ll >= sizeof line)
        return;
    memcpy(line, p, ll);
    line[ll] = '\0';
    if (strcasecmp(line, "dismiss") == 0 || strcasecmp(line, "dismiss.") == 0) {
        v->cmd = INBOX_CMD_DISMISS;
    } else if (strncasecmp(line, "snooze ", 7) == 0) {
        int64_t secs;
        const char *d = line + 7;
        while (*d == ' ')
            d++;
        if (ab_duration_parse(d, &secs) == AB_OK && secs > 0) {
            v->cmd = INBOX_CMD_SNOOZE;
            v->snooze = secs;
        }
    } else if (strncasecmp(line, "note ", 5) == 0 && line[5]) {
        const char *t = line + 5;
        while (*t == ' ')
            t++;
        if (*t && (v->note = ab_strdup(t)))
            v->cmd = INBOX_CMD_NOTE;
    }
}

/* Look the candidates up; fill v for the first issued one.  Returns via
 * *hit: 1 issued, 0 none issued (v->token = first strong, if any). */
static enum ab_err resolve(const struct cands *c, const struct inbox_rules *r,
                           struct inbox_verdict *v, int *hit, ab_errmsg *em)
{
    *hit = 0;
    if (!r->issued) {
        for (size_t i = 0; i < c->n; i++)
            if (c->v[i].strong) {
                memcpy(v->token, c->v[i].tok, sizeof v->token);
                v->via = c->v[i].via;
                v->issued = -1;
                *hit = 1;
                return AB_OK;
            }
        return AB_OK;
    }
    for (size_t i = 0; i < c->n; i++) {
        int found = 0;
        struct inbox_issued is;
        memset(&is, 0, sizeof is);
        enum ab_err e = r->issued(r->issued_ud, c->v[i].tok, &found, &is, em);
        if (e)
            return e;
        if (found) {
            memcpy(v->token, c->v[i].tok, sizeof v->token);
            v->via = c->v[i].via;
            v->issued = 1;
            v->cycle_id = is.cycle_id;
            v->alert_id = is.alert_id;
            is.recipient[sizeof is.recipient - 1] = '\0';
            if (!(v->recipient = ab_strdup(is.recipient)))
                return ab_fail(em, AB_ENOMEM, "out of memory");
            *hit = 1;
            return AB_OK;
        }
    }
    for (size_t i = 0; i < c->n; i++)
        if (c->v[i].strong) {
            memcpy(v->token, c->v[i].tok, sizeof v->token);
            v->via = c->v[i].via;
            v->issued = 0;
            return AB_OK;
        }
    return AB_OK;
}

static enum ab_err set_reason(struct inbox_verdict *v, const char *why, ab_errmsg *em)
{
    ab_free(v->reason);
    v->reason = ab_strdup(why);
    return v->reason ? AB_OK : ab_fail(em, AB_ENOMEM, "out of memory");
}

enum ab_err inbox_classify(const struct inbox_msg *m, const struct inbox_rules *r,
                           struct inbox_verdict *v, ab_errmsg *em)
{
    enum ab_err e = AB_OK;
    struct inbox_bounce b;
    struct cands c;
    memset(v, 0, sizeof *v);
    memset(&c, 0, sizeof c);
    v->issued = -1;
    if (m->from_addr && !(v->from = ab_strdup(m->from_addr)))
        return ab_fail(em, AB_ENOMEM, "out of memory");

    /* 1. bounce */
    if ((e = inbox_bounce_detect(m, &b)))
        return ab_fail(em, e, "out of memory");
    if (b.is_bounce) {
        v->klass = INBOX_BOUNCE;
        v->delay = b.delay;
        v->bounced = b.rcpts;
        v->nbounced = b.nrcpts;
        b.rcpts = NULL;
        b.nrcpts = 0;
        if ((e = set_reason(v, b.reason, em)))
            goto out;
        msgid_cand(&c, m->returned_message_id, INBOX_VIA_RETURNED);
        if (m->returned)
            scan(&c, m->returned, strlen(m->returned), INBOX_VIA_RETURNED);
        scan(&c, m->text, strlen(m->text), INBOX_VIA_RETURNED);
        int hit;
        e = resolve(&c, r, v, &hit, em);
        goto out;
    }

    /* 2. ping, and the plus-address token candidates */
    char local[INBOX_ADDR_MAX];
    const char *domain = NULL;
    if (split_reply(r->reply_address, local, sizeof local, &domain)) {
        char **lists[2] = {m->rcpts, m->envelope};
        size_t ns[2] = {m->nrcpts, m->nenvelope};
        for (int l = 0; l < 2; l++)
            for (size_t i = 0; i < ns[l]; i++) {
                char x[INBOX_ADDR_MAX];
                const char *px = plus_part(lists[l][i], local, domain, x, sizeof x);
                if (!px)
                    continue;
                for (size_t k = 0; k < r->nping; k++)
                    if (r->ping_names[k] && strcasecmp(px, r->ping_names[k]) == 0) {
                        v->klass = INBOX_PING;
                        if (!(v->ping = ab_strdup(r->ping_names[k])))
                            e = ab_fail(em, AB_ENOMEM, "out of memory");
                        else
                            e = set_reason(v, "sent to the ping address", em);
                        goto out;
                    }
                char tok[AB_TOKEN_LEN + 1];
                size_t xl = strlen(px);
                if (xl == AB_TOKEN_LEN) {
                    for (size_t k = 0; k < xl; k++)
                        tok[k] = (char)tolower((unsigned char)px[k]);
                    tok[xl] = '\0';
                    if (ab_token_valid(tok, xl))
                        add_cand(&c, tok, INBOX_VIA_PLUS, 1);
                }
            }
    }

    /* 4 (gathered before 3: an auto-reply is recorded against its token) */
    msgid_cand(&c, m->in_reply_to, INBOX_VIA_THREAD);
    for (size_t i = m->nreferences; i-- > 0;)
        msgid_cand(&c, m->references[i], INBOX_VIA_THREAD);
    scan(&c, m->subject, strlen(m->subject), INBOX_VIA_SUBJECT);
    size_t tl = strlen(m->text);
    size_t nl = inbox_new_text_len(m->text);
    scan(&c, m->text, nl, INBOX_VIA_BODY);
    scan(&c, m->text + nl, tl - nl, INBOX_VIA_QUOTE);
    int hit = 0;
    if ((e = resolve(&c, r, v, &hit, em)))
        goto out;

    /* 3. auto-reply */
    const char *why;
    if (inbox_autoreply_detect(m, &why)) {
        v->klass = INBOX_AUTOREPLY;
        e = set_reason(v, why, em);
        goto out;
    }

    if (hit) {
        v->klass = INBOX_ACK;
        v->verified = v->issued == 1 && v->from &&
                      (strcasecmp(v->from, v->recipient) == 0 || allowed_domain(r, v->from));
        if (!(v->excerpt = excerpt(m->text, nl))) {
            e = ab_fail(em, AB_ENOMEM, "out of memory");
            goto out;
        }
        command(v, m->text, nl);
        const char *as = v->issued != 1   ? "reply with a token (issuance unknown)"
                          : v->alert_id && v->verified ? "reply to an alert's notice"
                          : v->alert_id ? "reply to an alert's notice from another address"
                          : v->verified ? "reply with an issued token"
                                        : "reply from another address";
        e = set_reason(v, as, em);
    } else if (v->token[0]) {
        v->klass = INBOX_FORGED;
        e = set_reason(v, "token was never issued", em);
    } else {
        v->klass = INBOX_UNRELATED;
        e = set_reason(v, "no token", em);
    }
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
    memset(v, 0, sizeof *v);
}
