/*
 * inbox_poll.c - one poll of the inbox: read what is new, parse, classify,
 * record, then mark it read.
 *
 * The order is what makes a kill at any point harmless:
 *   1. fetch a batch (BODY.PEEK: nothing changes on the server) and
 *      classify each message as it streams in; only the small verdicts
 *      are kept, never the batch's bytes;
 *   2. one store transaction records every message of the batch (each
 *      keyed on mailbox/UIDVALIDITY/UID and on Message-ID) and advances
 *      inbox_state.last_uid past the batch;
 *   3. only then \Seen (and the optional move) on the server.
 * Killed before 2 commits: the batch is read again next time.  Killed
 * after: last_uid is past it, and a re-read (UIDVALIDITY change, Maildir
 * file not yet renamed) finds every Message-ID recorded.
 *
 * Test seam: AB_TEST_CRASH_AFTER_FETCH=kill makes the process SIGKILL
 * itself between 1 and 2; a number N sleeps N seconds there instead, so
 * a test can kill it from outside.
 */
#include "inbox/inbox_int.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/ab_log.h"
#include "common/ab_mem.h"
#include "config/cfg.h"
#include "store/store_inbox.h"
#include "store/store_tokens.h"

#define DEFAULT_BATCH 500

static const struct inbox_reader_ops *const readers[] = {
    &inbox_reader_imap,
    &inbox_reader_imaps,
    &inbox_reader_maildir,
};

struct pending {
    uint64_t uid;
    char *message_id;
    ab_time received;
    struct inbox_verdict v;
    char *detail;
    char *bounce_line; /* the verdict's, marked when inferred; or NULL */
};

struct ctx {
    const struct inbox_rules *rules;
    const char *key;
    ab_time now;
    int stamp_now;
    struct pending *p;
    size_t n, cap;
    struct inbox_poll_stats *stats;
};

void inbox_state_key(const struct cfg_inbox *ib, char *buf, size_t len)
{
    const char *url = ib->url ? ib->url : "";
    const char *sep = strstr(url, "://");
    if (!sep) {
        snprintf(buf, len, "%s", url);
        return;
    }
    const char *host = sep + 3;
    const char *slash = strchr(host, '/');
    const char *at = strchr(host, '@');
    char user[256] = "";
    if (at && (!slash || at < slash)) {
        /* user[:password]@host in the URL: keep the user, drop the rest */
        size_t ul = strcspn(host, ":@");
        snprintf(user, sizeof user, "%.*s", (int)ul, host);
        host = at + 1;
    }
    if (ib->username)
        snprintf(user, sizeof user, "%s", ib->username);
    snprintf(buf, len, "%.*s%s%s%s", (int)(sep + 3 - url), url, user,
             *user ? "@" : "", host);
}

enum ab_err inbox_store_issued(void *ud, const char *token, int *found,
                               struct inbox_issued *out, ab_errmsg *em)
{
    int64_t cid, aid;
    char *rcpt = NULL;
    enum ab_err e = store_token_owner(ud, token, &cid, &aid, &rcpt, em);
    *found = 0;
    if (e == AB_ENOTFOUND)
        return AB_OK;
    if (e)
        return e;
    *found = 1;
    out->cycle_id = cid;
    out->alert_id = aid;
    snprintf(out->recipient, sizeof out->recipient, "%s", rcpt ? rcpt : "");
    ab_free(rcpt);
    return AB_OK;
}

enum ab_err inbox_store_issued_to(void *ud, const char *addr, ab_time at, int *found,
                                  char token[AB_TOKEN_LEN + 1],
                                  struct inbox_issued *out, ab_errmsg *em)
{
    int64_t cid;
    char *rcpt = NULL;
    enum ab_err e = store_token_live_for(ud, addr, at, token, &cid, &rcpt, em);
    *found = 0;
    if (e == AB_ENOTFOUND)
        return AB_OK;
    if (e)
        return e;
    *found = 1;
    memset(out, 0, sizeof *out);
    out->cycle_id = cid;
    snprintf(out->recipient, sizeof out->recipient, "%s", rcpt ? rcpt : "");
    ab_free(rcpt);
    return AB_OK;
}

/* The one place the rules of a mailbox are read off its <inbox>, for the
 * poller and `ackbeat classify` alike. */
void inbox_rules_init(struct inbox_rules *r, const struct cfg_inbox *ib,
                      const struct inbox_ping *pings, size_t npings, store *st,
                      ab_time now)
{
    memset(r, 0, sizeof *r);
    if (ib) {
        r->reply_address = ib->reply_address;
        r->bounce_address = ib->bounce_address;
        r->authserv_id = ib->authserv_id;
        r->ack_from = ib->ack_from;
        r->nack_from = ib->nack_from;
    }
    r->pings = pings;
    r->npings = npings;
    if (st) {
        r->issued = inbox_store_issued;
        r->issued_ud = st;
        r->issued_to = inbox_store_issued_to;
        r->issued_to_ud = st;
    }
    r->now = now;
}

/* A Message-ID for mail that has none, stable across re-reads. */
static char *synthetic_id(const char *data, size_t len)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)data[i];
        h *= 1099511628211ULL;
    }
    char buf[64];
    snprintf(buf, sizeof buf, "noid.%016llx.%zu@ackbeat", (unsigned long long)h, len);
    return ab_strdup(buf);
}

static char *make_detail(const struct inbox_verdict *v)
{
    ab_buf b;
    ab_buf_init(&b, 4096);
    enum ab_err e = ab_buf_printf(&b, "%s", v->reason ? v->reason : "");
    if (!e && v->via)
        e = ab_buf_printf(&b, "; via=%s", inbox_via_name(v->via));
    if (!e && v->klass == INBOX_ACK && v->issued == 1 && !v->verified)
        e = v->untrusted ? ab_buf_printf(&b, "; unverified: %s", v->untrusted)
                         : ab_buf_printf(&b, "; unverified");
    if (!e && v->klass == INBOX_BOUNCE && v->bounce_line)
        e = ab_buf_printf(&b, "; %s%s", v->bounce_line, v->inferred ? " (inferred)" : "");
    /* The command goes last: its free text may hold anything.  The engine
     * reads it back (engine/eng_inbox.c): dismiss[:REASON], snooze:SECS[:REASON],
     * until:EPOCH[:REASON], note:TEXT. */
    const char *why = v->note ? v->note : "";
    const char *sep = v->note ? ":" : "";
    if (!e && v->cmd_unknown)
        e = ab_buf_puts(&b, "; not understood");
    if (!e && v->ambiguous)
        e = ab_buf_printf(&b, "; ambiguous:%s", v->ambiguous);
    if (!e && v->cmd == INBOX_CMD_DISMISS)
        e = ab_buf_printf(&b, "; cmd=dismiss%s%s", sep, why);
    else if (!e && v->cmd == INBOX_CMD_SNOOZE && v->until)
        e = ab_buf_printf(&b, "; cmd=until:%lld%s%s", (long long)v->until, sep, why);
    else if (!e && v->cmd == INBOX_CMD_SNOOZE)
        e = ab_buf_printf(&b, "; cmd=snooze:%lld%s%s", (long long)v->snooze, sep, why);
    else if (!e && v->cmd == INBOX_CMD_NOTE)
        e = ab_buf_printf(&b, "; cmd=note:%s", why);
    (void)e; /* capped: a long note is cut, the rest is still useful */
    char *r = b.len ? ab_buf_steal(&b) : ab_strdup("");
    ab_buf_free(&b);
    return r;
}

static enum ab_err on_message(void *ud, const struct inbox_fetched *f, ab_errmsg *em)
{
    struct ctx *c = ud;
    enum ab_err e = AB_OK;
    if (c->n == c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 64;
        struct pending *nv = ab_realloc(c->p, nc * sizeof *nv);
        if (!nv)
            return ab_fail(em, AB_ENOMEM, "out of memory");
        c->p = nv;
        c->cap = nc;
    }
    struct pending *p = &c->p[c->n];
    memset(p, 0, sizeof *p);
    p->uid = f->uid;
    /* When the server got it, so that a reply read late still counts as
     * on time; never later than the poll itself (a clock ahead, or a
     * run simulated with --now, which stamps everything with its now). */
    p->received = f->received != AB_TIME_NONE && !c->stamp_now && f->received < c->now
                      ? f->received
                      : c->now;
    c->stats->fetched++;
    if (f->full_len > f->len)
        ab_log(AB_LOG_WARN, "inbox %s: message %llu is %zu bytes; only the first %zu are read",
               c->key, (unsigned long long)f->uid, f->full_len, f->len);
    struct inbox_msg *m = NULL;
    ab_errmsg pem = {{0}};
    e = inbox_parse(f->data, f->len, &m, &pem);
    if (e == AB_ENOMEM)
        return ab_fail(em, e, "out of memory");
    if (e) {
        ab_log(AB_LOG_WARN, "inbox %s: message %llu skipped: %s", c->key,
               (unsigned long long)f->uid, pem.text);
        p->v.klass = INBOX_SKIPPED;
        p->v.reason = ab_strdup(pem.text);
        e = AB_OK;
    } else {
        if ((e = inbox_classify(m, c->rules, &p->v, em))) {
            inbox_verdict_free(&p->v);
            inbox_msg_free(m);
            return e;
        }
        if (m->message_id && *m->message_id)
            p->message_id = ab_strdup(m->message_id);
    }
    inbox_msg_free(m);
    if (!p->message_id)
        p->message_id = synthetic_id(f->data, f->len);
    p->detail = make_detail(&p->v);
    /* An inferred bounce says so wherever its reason is shown. */
    if (p->v.klass == INBOX_BOUNCE && p->v.inferred && p->v.bounce_line) {
        size_t n = strlen(p->v.bounce_line) + 64;
        if ((p->bounce_line = ab_malloc(n)))
            snprintf(p->bounce_line, n, "%s (inferred from the address and date)",
                     p->v.bounce_line);
    }
    c->n++; /* owned by the batch from here on */
    if (!p->message_id || !p->detail)
        return ab_fail(em, AB_ENOMEM, "out of memory");
    ab_log(AB_LOG_DEBUG, "inbox %s: message %llu: %s %s", c->key,
           (unsigned long long)f->uid, inbox_class_name(p->v.klass), p->detail);
    return AB_OK;
}

static void batch_clear(struct ctx *c)
{
    for (size_t i = 0; i < c->n; i++) {
        inbox_verdict_free(&c->p[i].v);
        ab_free(c->p[i].message_id);
        ab_free(c->p[i].detail);
        ab_free(c->p[i].bounce_line);
    }
    c->n = 0;
}

static enum ab_err add_command(struct inbox_poll_stats *s, const struct pending *p,
                               ab_errmsg *em)
{
    struct inbox_command *nv = ab_realloc(s->cmds, (s->ncmds + 1) * sizeof *nv);
    if (!nv)
        return ab_fail(em, AB_ENOMEM, "out of memory");
    s->cmds = nv;
    struct inbox_command *c = &nv[s->ncmds];
    memset(c, 0, sizeof *c);
    c->cmd = p->v.cmd;
    c->snooze = p->v.snooze;
    c->until = p->v.until;
    memcpy(c->token, p->v.token, sizeof c->token);
    c->cycle_id = p->v.cycle_id;
    c->alert_id = p->v.alert_id;
    c->allowed = p->v.verified;
    c->note = ab_strdup(p->v.note);
    c->untrusted = ab_strdup(p->v.untrusted);
    c->from = ab_strdup(p->v.from);
    c->message_id = ab_strdup(p->message_id);
    s->ncmds++;
    if ((p->v.note && !c->note) || (p->v.from && !c->from) || !c->message_id ||
        (p->v.untrusted && !c->untrusted))
        return ab_fail(em, AB_ENOMEM, "out of memory");
    return AB_OK;
}

/* Record the batch and the progress in one transaction. */
static enum ab_err commit_batch(store *st, struct ctx *c, int64_t uidvalidity,
                                int has_uids, uint64_t last_uid, ab_errmsg *em)
{
    enum ab_err e = store_begin(st, em);
    if (e)
        return e;
    for (size_t i = 0; i < c->n && !e; i++) {
        struct pending *p = &c->p[i];
        const struct inbox_verdict *v = &p->v;
        struct store_inbox_rec r = {
            .mailbox = c->key,
            .uidvalidity = uidvalidity,
            .uid = (int64_t)(p->uid & 0x7fffffffffffffffULL),
            .message_id = p->message_id,
            .received = p->received,
            .klass = inbox_class_name(v->klass),
            .token = v->token[0] ? v->token : NULL,
            .issued = v->issued == 1,
            .from_addr = v->from,
            .detail = p->detail,
            .cycle_id = v->cycle_id,
            .alert_id = v->alert_id,
            .for_addr = v->recipient,
            .verified = v->verified,
            .excerpt = v->excerpt,
            .has_cmd = v->cmd != INBOX_CMD_NONE,
            .bounce_line = p->bounce_line ? p->bounce_line : v->bounce_line,
            .delay = v->delay,
            .ping_check = v->ping,
        };
        int dup = 0;
        if ((e = store_inbox_record(st, &r, &dup, em)))
            break;
        if (dup) {
            c->stats->duplicates++;
            continue;
        }
        c->stats->counts[v->klass]++;
        if (v->klass == INBOX_ACK && v->cmd != INBOX_CMD_NONE)
            e = add_command(c->stats, p, em);
    }
    if (!e && has_uids)
        e = store_inbox_progress(st, c->key, uidvalidity, (int64_t)last_uid, em);
    if (e) {
        store_rollback(st);
        return e;
    }
    return store_commit(st, em);
}

static void crash_point(void)
{
    const char *cp = getenv("AB_TEST_CRASH_AFTER_FETCH");
    if (!cp || !*cp)
        return;
    if (strcmp(cp, "kill") == 0)
        raise(SIGKILL);
    char *end;
    long secs = strtol(cp, &end, 10);
    if (end != cp && secs > 0 && secs < 3600)
        sleep((unsigned)secs);
}

static enum ab_err poll_reader(const struct inbox_reader_ops *ops, void *h,
                               const struct cfg_inbox *ib, const struct inbox_env *env,
                               store *st, struct ctx *c, ab_errmsg *em)
{
    uint32_t uv = 0;
    uint64_t *ids = NULL;
    size_t nids = 0;
    struct store_inbox_state state;
    enum ab_err e = ops->select(h, &uv, em);
    if (e)
        return e;
    c->stats->uidvalidity = uv;
    e = store_inbox_state_get(st, c->key, &state, em);
    if (e && e != AB_ENOTFOUND)
        return e;
    ab_free(state.last_error);
    uint64_t after = state.last_uid > 0 ? (uint64_t)state.last_uid : 0;
    if (ops->has_uids && state.uidvalidity >= 0 && state.uidvalidity != (int64_t)uv) {
        ab_log(AB_LOG_WARN, "inbox %s: UIDVALIDITY changed (%lld -> %u): reading "
               "the whole mailbox again; recorded messages are recognised by Message-ID",
               c->key, (long long)state.uidvalidity, uv);
        c->stats->rescan = 1;
        after = 0;
    }
    if (!ops->has_uids)
        after = 0;
    c->stats->last_uid = after;
    if ((e = ops->list(h, after, &ids, &nids, em)))
        return e;
    size_t batch = env && env->batch ? env->batch : DEFAULT_BATCH;
    for (size_t off = 0; off < nids && !e; off += batch) {
        size_t n = nids - off < batch ? nids - off : batch;
        if ((e = ops->fetch(h, ids + off, n, on_message, c, em)))
            break;
        crash_point();
        uint64_t last = ids[off + n - 1];
        if ((e = commit_batch(st, c, uv, ops->has_uids, last, em)))
            break;
        batch_clear(c);
        c->stats->last_uid = last;
        ab_errmsg dem = {{0}};
        if (ops->done(h, ids + off, n, ib->move_to, &dem) != AB_OK)
            ab_log(AB_LOG_WARN, "inbox %s: marking read failed (messages are "
                   "recorded; they stay unread): %s", c->key, dem.text);
    }
    /* A new or emptied mailbox: remember its UIDVALIDITY all the same. */
    if (!e && ops->has_uids && nids == 0 && state.uidvalidity != (int64_t)uv)
        e = store_inbox_progress(st, c->key, uv, (int64_t)after, em);
    ab_free(ids);
    return e;
}

enum ab_err inbox_poll(const struct cfg_inbox *ib, const struct inbox_env *env,
                       store *st, ab_time now, struct inbox_poll_stats *stats,
                       ab_errmsg *em)
{
    memset(stats, 0, sizeof *stats);
    char key[1024];
    inbox_state_key(ib, key, sizeof key);
    const struct inbox_reader_ops *ops = NULL;
    for (size_t i = 0; ib->url && i < sizeof readers / sizeof *readers; i++)
        if (strncmp(ib->url, readers[i]->scheme, strlen(readers[i]->scheme)) == 0)
            ops = readers[i];
    if (!ops)
        return ab_fail(em, AB_ECONFIG, "inbox URL %s: use imap://, imaps:// or maildir:",
                       ib->url ? ib->url : "(none)");
    struct inbox_rules rules;
    inbox_rules_init(&rules, ib, env ? env->pings : NULL, env ? env->npings : 0, st, now);
    rules.zone = env ? env->zone : NULL;
    if (env && env->issued) {
        rules.issued = env->issued;
        rules.issued_ud = env->issued_ud;
        rules.issued_to = NULL; /* a test's own tokens: nothing to infer from */
    }
    struct ctx c = {.rules = &rules, .key = key, .now = now, .stats = stats,
                    .stamp_now = env && env->stamp_now};
    void *h = NULL;
    enum ab_err e = ops->open(ib, env ? env->password : NULL, &h, em);
    if (!e)
        e = poll_reader(ops, h, ib, env, st, &c, em);
    if (h)
        ops->close(h);
    batch_clear(&c);
    ab_free(c.p);
    ab_errmsg aem = {{0}};
    if (store_inbox_attempt(st, key, now, e ? em->text : NULL, &aem) != AB_OK)
        ab_log(AB_LOG_ERROR, "inbox %s: cannot record the poll: %s", key, aem.text);
    if (e)
        ab_log(AB_LOG_WARN, "inbox %s: %s", key, em->text);
    return e;
}

void inbox_poll_stats_free(struct inbox_poll_stats *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->ncmds; i++) {
        ab_free(s->cmds[i].note);
        ab_free(s->cmds[i].untrusted);
        ab_free(s->cmds[i].from);
        ab_free(s->cmds[i].message_id);
    }
    ab_free(s->cmds);
    s->cmds = NULL;
    s->ncmds = 0;
}
