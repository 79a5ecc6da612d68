/*
 * mail_outbox.c - draining the outbox: send what is due, record what the
 * server said, schedule retries with exponential backoff and jitter, and
 * give up after the configured maximum age.
 *
 * The delivery promise is at-least-once.  A message is stored (with all
 * its recipients, in one transaction) before anything is sent, and a
 * recipient is marked sent only after the server accepted it, in the
 * transaction that records the attempt (one for a group of messages, see
 * GROUP_MAX).  A process killed between the server's acceptance and that
 * commit sends the message again when it restarts: a duplicate, never a
 * loss.  Recipients refused for good are
 * marked failed with the server's reply and do not hold back the others;
 * recipients that failed temporarily keep the message queued.
 *
 * Several drains may share one outbox (nodes on one PostgreSQL state,
 * issue 16; or a daemon and `ackbeat tick`): each group is claimed
 * before it is sent (store_outbox_claim, a row lease), in the
 * transaction that records the group before it, so claiming costs no
 * commit of its own after the first.  Another drain skips a claimed row
 * until its lease runs out; the lease covers the group's sending (its
 * size times the transport's timeout, counted from the drain's now plus
 * the time the drain has taken so far), so only a drain that died (or
 * stalled past that) between the server's acceptance and the record has
 * its message sent again, once.
 */
#include "mailer/mail_int.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "common/ab_log.h"
#include "common/ab_mem.h"
#include "common/ab_node.h"
#include "config/cfg.h"
#include "store/store_outbox.h"

int64_t mail_backoff(int64_t base, int attempts, uint32_t rnd)
{
    if (base <= 0)
        base = MAIL_BACKOFF_BASE;
    for (int i = 1; i < attempts && base < MAIL_BACKOFF_CAP; i++)
        base *= 2;
    if (base > MAIL_BACKOFF_CAP)
        base = MAIL_BACKOFF_CAP;
    /* [0.8, 1.2] x base: the low bound plus up to 40 % from rnd. */
    int64_t lo = base * 4 / 5, span = base * 2 / 5;
    return lo + (int64_t)(((uint64_t)span * rnd + UINT32_MAX / 2) / UINT32_MAX);
}

static uint32_t jitter_rnd(void)
{
    uint32_t r = 0;
    if (getrandom(&r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r)
        r = UINT32_MAX / 2; /* no jitter beats no retry */
    return r;
}

enum ab_err mail_outbox_put(store *st, const struct mail_msg_spec *spec,
                            const char *kind, const char *ref, ab_time now,
                            int64_t *id, char *msgid_out, ab_errmsg *em)
{
    ab_buf b;
    ab_buf_init(&b, 0);
    char msgid[MAIL_MSGID_MAX];
    const char **rcpts = NULL;
    /* The envelope sender is stored, not written into the message: the
     * drain hands it to the transport as MAIL FROM, and whoever makes the
     * final delivery records it as Return-Path (RFC 5321 4.4). */
    const char *sender = spec->envelope_from ? spec->envelope_from : spec->from;
    enum ab_err e = mail_msg_build(spec, &b, msgid, em);
    if (!e)
        e = mail_addr_check("envelope sender", sender, em);
    if (e)
        goto out;
    rcpts = ab_calloc(spec->nto, sizeof *rcpts);
    if (!rcpts) {
        e = ab_fail(em, AB_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < spec->nto; i++)
        rcpts[i] = spec->to[i].addr;
    e = store_outbox_put(st, b.data, b.len, msgid, sender, rcpts, spec->nto,
                         kind, ref, spec->subject, now, id, em);
    if (!e && msgid_out)
        memcpy(msgid_out, msgid, strlen(msgid) + 1);
out:
    ab_free(rcpts);
    ab_buf_free(&b);
    return e;
}

/*
 * How many messages are sent before their outcomes are committed, in one
 * transaction.  A commit costs an fsync (synchronous=FULL), as much as
 * Postfix spends taking the message; one per message halved the drain's
 * rate.  The transaction is opened only after the group was sent, so no
 * write lock is held while waiting on the server.  A crash before the
 * commit sends the group's accepted messages once more when the outbox
 * is drained again: a duplicate, never a loss, and never more than once,
 * because the next drain's commit follows its sending as this one's
 * would have.  A drain's first group is one message and each next one
 * twice the last, up to GROUP_MAX: a daemon that keeps being killed
 * still records some progress each time it starts (it would otherwise
 * send the same first messages again and again), and a short drain
 * commits about as often as before.
 */
#define GROUP_MAX 32

/*
 * Connections besides the drain's own when a whole group is due at once
 * (a backlog): four in all overlap the server's per-message fsync, as
 * Postfix's client does with up to 20 towards one destination, while
 * staying far below the per-client limits servers set (Postfix: 50).
 */
#define LANES_EXTRA 3

/* A message of the group: loaded, then sent, then recorded. */
struct pending {
    struct store_outbox_msg *m;
    struct mail_rcpt_result *res;        /* one per queued recipient */
    struct store_outbox_rcpt_update *up; /* what to record for each */
    struct store_outbox_attempt a;
    enum store_outbox_status now_status; /* after the record */
    int recorded;
    ab_buf signed_msg;        /* the message as sent, when DKIM signs it */
    struct mail_lane_job job; /* what the transport is handed */
    char gave_up[700];        /* a->error when it gives up */
};

/* A drain in progress. */
struct drain {
    store *st;
    const struct cfg_mail *mc;
    ab_time now;
    store_outbox_batch *batch; /* statements kept prepared */
    mail_transport *t;         /* opened on the first message */
    mail_dkim *dkim;           /* opened with it; NULL: messages go unsigned */
    int opened;
    char session_error[512];   /* set once the transport has failed */
    struct mail_drain_stats *stats;
    int force;             /* send_one: a message not queued is an error */
    struct pending *group; /* GROUP_MAX of them */
    size_t ngroup;
    size_t group_size; /* this group's: 1, 2, 4 ... GROUP_MAX */
    mail_lanes *lanes; /* the extra connections, once a group was full */
    /* Row leases (a drain of what is due; send_one claims its one id). */
    const char *node;
    char node_buf[320]; /* the default name: HOSTNAME:PID */
    struct timespec t0; /* when the drain began, for the leases */
    int claiming;       /* claim the next group when recording this one */
    size_t left;        /* messages this drain may still claim (limit) */
    int64_t *next;      /* the next group, claimed */
    size_t nnext;
    struct timespec send_by; /* no message of the group starts after this */
    size_t late;             /* messages left unsent for that */
};

/*
 * A group's lease: the transport's timeout plus LEASE_SLACK, from the
 * drain's now plus the time it has spent so far (the engine hands one
 * now per tick).  No message of the group starts later than SEND_WINDOW
 * after the claim (struct mail_lane_job's send_by), so even one that
 * takes the whole timeout ends before the lease: a slow server leaves the
 * rest for the next drain, never for two.  Short, because a node that
 * died holding a group delays it by that long (two minutes by default).
 */
#define LEASE_SLACK 60
#define SEND_WINDOW (LEASE_SLACK - 10)

static ab_time lease_for(struct drain *d)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    d->send_by = t;
    d->send_by.tv_sec += SEND_WINDOW;
    int64_t spent = (int64_t)(t.tv_sec - d->t0.tv_sec) + 1;
    int64_t per = d->mc->timeout > 0 ? d->mc->timeout : 60;
    return d->now + spent + per + LEASE_SLACK;
}

/* Claim the next group (group_size of them, within the drain's limit)
 * into d->next; nothing when none is due or free. */
static enum ab_err claim_next(struct drain *d, ab_errmsg *em)
{
    d->nnext = 0;
    if (!d->claiming || d->left == 0)
        return AB_OK;
    size_t g = d->group_size < d->left ? d->group_size : d->left;
    enum ab_err e = store_outbox_claim(d->st, d->node, d->now, lease_for(d), g, &d->next,
                                       &d->nnext, em);
    if (!e)
        d->left -= d->nnext;
    return e;
}

static void note_error(struct drain *d, const char *fmt, const char *text)
{
    snprintf(d->stats->last_error.text, sizeof d->stats->last_error.text, fmt, text);
}

/* Open the transport on first use; a failure to open counts as a
 * session failure, so the messages show why they are not leaving. */
static enum ab_err ensure_transport(struct drain *d, ab_errmsg *em)
{
    if (d->opened)
        return AB_OK;
    d->opened = 1;
    ab_errmsg msg;
    msg.text[0] = 0;
    enum ab_err e = mail_transport_open(d->mc, d->now, &d->t, &msg);
    /* The DKIM key is read here, once per batch: a key that went missing
     * or bad since the config was loaded defers the batch, like a
     * transport that cannot open, rather than sending unsigned mail. */
    if (!e && (e = mail_dkim_new(d->mc, &d->dkim, &msg)) != AB_OK) {
        mail_transport_free(d->t);
        d->t = NULL;
    }
    if (e) {
        snprintf(d->session_error, sizeof d->session_error, "%s", msg.text);
        ab_log(AB_LOG_ERROR, "mail: %s", msg.text);
        ab_fail(em, e, "%s", msg.text);
    }
    return e;
}

/* Make p's envelope, signed when DKIM is on.  0 when p's outcome is
 * set already: no recipient, the transport is down, or signing failed. */
static int prepare(struct drain *d, struct pending *p)
{
    const struct store_outbox_msg *m = p->m;
    size_t n = m->nrcpts;
    p->job.res = p->res;
    p->job.done = 1;
    if (n == 0)
        return 0;
    if (!d->session_error[0])
        (void)ensure_transport(d, NULL);
    if (d->session_error[0]) {
        /* The transport is down: record why, without trying again. */
        mail_results_set(p->res, n, AB_ETEMPFAIL, "%s", d->session_error);
        return 0;
    }
    p->job.env = (struct mail_envelope){
        .sender = m->sender,
        .rcpts = (const char *const *)m->rcpts,
        .nrcpts = n,
        .all_rcpts = n == m->nrcpts_total,
        .data = m->body,
        .len = m->len,
        .message_id = m->message_id,
    };
    ab_errmsg msg;
    msg.text[0] = 0;
    /* Signed here, just before the transport, so that smtp, sendmail and
     * maildir all carry the signed bytes; t= is the time the message was
     * stored, so every retry sends the same bytes (mail_dkim.c). */
    if (d->dkim) {
        if (mail_dkim_sign(d->dkim, m->body, m->len, m->created, &p->signed_msg, &msg) !=
            AB_OK) {
            /* Not sent unsigned; kept for a retry until max-age. */
            mail_results_set(p->res, n, AB_ETEMPFAIL, "%s", msg.text);
            return 0;
        }
        p->job.env.data = p->signed_msg.data;
        p->job.env.len = p->signed_msg.len;
    }
    p->job.done = 0;
    p->job.send_by = d->send_by;
    return 1;
}

/* Send a prepared job over the drain's own connection (a mail_lanes_run
 * callback); nonzero once that connection has failed. */
static int send_first(void *ud, struct mail_lane_job *job)
{
    struct drain *d = ud;
    ab_errmsg msg;
    msg.text[0] = 0;
    if (mail_lane_late(job)) {
        /* Its lease would run out while it is sent: left claimed, not
         * sent and not recorded; the next drain takes it. */
        job->late = 1;
        job->done = 1;
        d->late++;
        d->stats->attempted--;
        return 0;
    }
    if (d->session_error[0]) {
        mail_results_set(job->res, job->env.nrcpts, AB_ETEMPFAIL, "%s", d->session_error);
    } else if (mail_transport_send(d->t, &job->env, job->res, &msg) != AB_OK) {
        snprintf(d->session_error, sizeof d->session_error, "%s", msg.text);
        ab_log(AB_LOG_WARN, "mail: %s; deferring the rest of this batch", msg.text);
    }
    job->done = 1;
    return d->session_error[0] != 0;
}

/* Each recipient's new status from its result; returns the first error
 * (NULL: none) and sets *any_temp when a recipient stays queued. */
static const char *rcpt_updates(const struct store_outbox_msg *m, size_t n,
                                const struct mail_rcpt_result *res,
                                struct store_outbox_rcpt_update *up, int *any_temp)
{
    const char *first_error = NULL;
    *any_temp = 0;
    for (size_t i = 0; i < n; i++) {
        up[i].rcpt = m->rcpts[i];
        up[i].error = res[i].detail[0] ? res[i].detail : NULL;
        switch (res[i].err) {
        case AB_OK:
            up[i].status = STORE_OUTBOX_SENT;
            break;
        case AB_EPERMFAIL:
            up[i].status = STORE_OUTBOX_FAILED;
            break;
        default:
            up[i].status = STORE_OUTBOX_QUEUED;
            *any_temp = 1;
            break;
        }
        if (res[i].err != AB_OK && !first_error)
            first_error = res[i].detail;
    }
    return first_error;
}

/* A message with recipients still queued: the next attempt after the
 * backoff, but no later than max-age, or give up once that has passed
 * (a->error then points at gave_up, of size n). */
static void plan_retry(const struct drain *d, const struct store_outbox_msg *m,
                       struct store_outbox_attempt *a, char *gave_up, size_t n)
{
    int64_t max_age = d->mc->max_age > 0 ? d->mc->max_age : MAIL_DEFAULT_MAX_AGE;
    ab_time expires = m->created + max_age;
    if (d->now >= expires) {
        char age[32];
        ab_duration_format(d->now - m->created, age, sizeof age);
        snprintf(gave_up, n, "gave up after %d attempts in %s: %s", m->attempts + 1,
                 age, a->error ? a->error : "?");
        a->give_up = 1;
        a->error = gave_up;
    } else {
        ab_time next = d->now + mail_backoff(d->mc->retry, m->attempts + 1, jitter_rnd());
        a->next_attempt = next < expires ? next : expires;
    }
}

/* Count and log what the recorded attempt made of the message. */
static void note_outcome(struct drain *d, const struct store_outbox_msg *m,
                         const struct mail_rcpt_result *res,
                         const struct store_outbox_attempt *a,
                         enum store_outbox_status now_status)
{
    for (size_t i = 0; i < a->nrcpts; i++) {
        if (res[i].err == AB_OK)
            d->stats->rcpt_sent++;
        else if (res[i].err == AB_EPERMFAIL || a->give_up)
            d->stats->rcpt_failed++;
    }
    switch (now_status) {
    case STORE_OUTBOX_SENT:
        d->stats->sent++;
        ab_log(AB_LOG_INFO, "mail: sent %s (%s)", m->message_id,
               m->kind && *m->kind ? m->kind : "mail");
        break;
    case STORE_OUTBOX_FAILED:
        d->stats->failed++;
        note_error(d, "%s", a->error ? a->error : "failed");
        ab_log(AB_LOG_ERROR, "mail: giving up on %s: %s", m->message_id,
               a->error ? a->error : "?");
        break;
    case STORE_OUTBOX_QUEUED: {
        d->stats->deferred++;
        note_error(d, "%s", a->error ? a->error : "deferred");
        char when[AB_ISO_LEN];
        ab_time_format(a->next_attempt, when, sizeof when);
        ab_log(AB_LOG_WARN, "mail: %s deferred until %s: %s", m->message_id, when,
               a->error ? a->error : "?");
        break;
    }
    }
}

/* Get message id and hold it in the group, ready to be sent; a message
 * that is no longer queued is skipped (an error for send_one). */
static enum ab_err load(struct drain *d, int64_t id, ab_errmsg *em)
{
    struct store_outbox_msg *m = NULL;
    enum ab_err e = store_outbox_batch_get(d->batch, id, &m, em);
    if (e)
        return e;
    if (m->status != STORE_OUTBOX_QUEUED) {
        e = d->force ? ab_fail(em, AB_ENOTFOUND, "outbox: message %lld is %s, not queued",
                               (long long)id, store_outbox_status_name(m->status))
                     : AB_OK;
        store_outbox_msg_free(m);
        return e;
    }
    struct pending *p = &d->group[d->ngroup];
    size_t n = m->nrcpts ? m->nrcpts : 1;
    memset(p, 0, sizeof *p);
    ab_buf_init(&p->signed_msg, 0);
    p->m = m;
    p->res = ab_calloc(n, sizeof *p->res);
    p->up = ab_calloc(n, sizeof *p->up);
    if (!p->res || !p->up) {
        ab_free(p->res);
        ab_free(p->up);
        store_outbox_msg_free(m);
        return ab_fail(em, AB_ENOMEM, "out of memory");
    }
    d->ngroup++;
    d->stats->attempted++;
    return AB_OK;
}

/* What p's attempt records, from its results. */
static void settle(struct drain *d, struct pending *p)
{
    size_t n = p->m->nrcpts;
    int any_temp;
    p->a = (struct store_outbox_attempt){
        .rcpts = p->up,
        .nrcpts = n,
        .now = d->now,
        .next_attempt = AB_TIME_NONE,
        .error = rcpt_updates(p->m, n, p->res, p->up, &any_temp),
    };
    if (any_temp)
        plan_retry(d, p->m, &p->a, p->gave_up, sizeof p->gave_up);
}

static void group_free(struct drain *d)
{
    for (size_t i = 0; i < d->ngroup; i++) {
        ab_free(d->group[i].res);
        ab_free(d->group[i].up);
        ab_buf_free(&d->group[i].signed_msg);
        store_outbox_msg_free(d->group[i].m);
    }
    d->ngroup = 0;
}

/* Record every attempt of the group in one transaction (each its own
 * savepoint within it), then count and log what was committed.  An
 * attempt that fails to record stops the rest; those before it are
 * still committed, since the server has accepted what they say. */
static enum ab_err record_group(struct drain *d, ab_errmsg *em)
{
    enum ab_err e = store_begin(d->st, em);
    if (e)
        return e;
    for (size_t i = 0; i < d->ngroup; i++) {
        struct pending *p = &d->group[i];
        if (p->job.late)
            continue;
        enum ab_err r =
            store_outbox_batch_record(d->batch, p->m->id, &p->a, &p->now_status, em);
        if (r == AB_ENOTFOUND && !d->force)
            continue; /* settled by someone else meanwhile */
        if (r) {
            e = r;
            break;
        }
        p->recorded = 1;
    }
    /* The next group is claimed in this transaction: no commit of its own. */
    if (!e)
        e = claim_next(d, em);
    ab_errmsg cm;
    enum ab_err c = store_commit(d->st, &cm);
    for (size_t i = 0; i < d->ngroup; i++) {
        struct pending *p = &d->group[i];
        if (p->recorded && !c)
            note_outcome(d, p->m, p->res, &p->a, p->now_status);
    }
    if (c && !e)
        e = ab_fail(em, c, "%s", cm.text);
    return e;
}

/* A full group over a transport that allows it goes over several
 * connections (mail_lanes.c); the extra ones are set up on the first
 * such group.  Anything they did not send goes over the drain's own. */
static void send_group(struct drain *d)
{
    struct mail_lane_job *jobs[GROUP_MAX];
    size_t n = 0;
    for (size_t i = 0; i < d->ngroup; i++)
        if (prepare(d, &d->group[i]))
            jobs[n++] = &d->group[i].job;
    /* The first message goes over the drain's own connection before any
     * other connects: a server that serves one connection at a time then
     * serves that one, and one that is down defers the batch as before. */
    if (n == GROUP_MAX && !send_first(d, jobs[0]) && mail_transport_parallel(d->t)) {
        if (!d->lanes)
            d->lanes = mail_lanes_new(d->mc, d->now, LANES_EXTRA);
        if (d->lanes)
            mail_lanes_run(d->lanes, jobs + 1, n - 1, send_first, d);
    }
    for (size_t i = 0; i < n; i++)
        if (!jobs[i]->done)
            (void)send_first(d, jobs[i]);
}

/* Send the group, record it, and empty it. */
static enum ab_err flush_group(struct drain *d, ab_errmsg *em)
{
    enum ab_err e = AB_OK;
    /* Doubled first: the record claims the next group, of the new size. */
    if (d->group_size < GROUP_MAX)
        d->group_size *= 2;
    if (d->ngroup > 0) {
        send_group(d);
        for (size_t i = 0; i < d->ngroup; i++)
            if (!d->group[i].job.late)
                settle(d, &d->group[i]);
        e = record_group(d, em);
    }
    group_free(d);
    return e;
}

static enum ab_err drain_init(struct drain *d, store *st, const struct cfg_mail *mc,
                              ab_time now, struct mail_drain_stats *stats, ab_errmsg *em)
{
    memset(d, 0, sizeof *d);
    memset(stats, 0, sizeof *stats);
    d->st = st;
    d->mc = mc;
    d->now = now;
    d->stats = stats;
    d->group_size = 1;
    clock_gettime(CLOCK_MONOTONIC, &d->t0);
    d->node = ab_node_default(d->node_buf, sizeof d->node_buf);
    d->group = ab_calloc(GROUP_MAX, sizeof *d->group);
    if (!d->group)
        return ab_fail(em, AB_ENOMEM, "out of memory");
    return store_outbox_batch_new(st, &d->batch, em);
}

/* A transport that could not even be opened is a configuration problem
 * the caller should hear about, on top of what the messages record. */
static enum ab_err drain_finish(struct drain *d, enum ab_err e, ab_errmsg *em)
{
    if (d->late)
        ab_log(AB_LOG_WARN,
               "mail: %zu message(s) left for the next drain: the server is too slow to "
               "send them within their lease",
               d->late);
    group_free(d);
    ab_free(d->group);
    mail_transport_free(d->t);
    mail_dkim_free(d->dkim);
    mail_lanes_free(d->lanes);
    store_outbox_batch_free(d->batch);
    /* Claimed and not sent (a failure stopped the drain): they wait for
     * their lease to run out, a delay and not a loss. */
    ab_free(d->next);
    if (!e && d->opened && !d->t)
        return ab_fail(em, AB_ECONFIG, "%s", d->session_error);
    return e;
}

/* Load each of ids in turn; a full group, the last message or a failure
 * to load sends and records what is held (a failed load's error wins). */
static enum ab_err drain_ids(struct drain *d, const int64_t *ids, size_t n, ab_errmsg *em)
{
    enum ab_err e = AB_OK;
    for (size_t i = 0; !e && i < n; i++) {
        e = load(d, ids[i], em);
        if (e || d->ngroup >= d->group_size || i + 1 == n) {
            enum ab_err r = flush_group(d, e ? NULL : em);
            if (!e)
                e = r;
        }
    }
    return e;
}

/* Claim a group, send it, record it and claim the next in the same
 * transaction, until nothing due is left free.  A failure to load stops
 * the drain after what was loaded is sent and recorded. */
static enum ab_err drain_claimed(struct drain *d, ab_errmsg *em)
{
    enum ab_err e = claim_next(d, em);
    while (!e && d->nnext > 0) {
        int64_t *ids = d->next;
        size_t n = d->nnext;
        d->next = NULL;
        d->nnext = 0;
        for (size_t i = 0; !e && i < n; i++)
            e = load(d, ids[i], em);
        if (e)
            d->claiming = 0;
        enum ab_err r = flush_group(d, e ? NULL : em);
        if (!e)
            e = r;
        ab_free(ids);
    }
    return e;
}

enum ab_err mail_outbox_drain_as(store *st, const struct cfg_mail *mc, const char *node,
                                 ab_time now, size_t limit,
                                 struct mail_drain_stats *stats, ab_errmsg *em)
{
    struct mail_drain_stats local;
    struct drain d;
    enum ab_err e = drain_init(&d, st, mc, now, stats ? stats : &local, em);
    if (node && *node)
        d.node = node;
    d.claiming = 1;
    d.left = limit ? limit : SIZE_MAX;
    /* A daemon killed and restarted on this host is a new node: what the
     * dead one held is taken back now, not when its leases run out. */
    int64_t freed = 0;
    if (!e && !(e = store_rowclaims_release(st, now, ab_node_gone, NULL, &freed, em)) &&
        freed)
        ab_log(AB_LOG_INFO,
               "mail: took back %lld row(s) leased by a process of this host "
               "that is gone",
               (long long)freed);
    if (!e)
        e = drain_claimed(&d, em);
    return drain_finish(&d, e, em);
}

enum ab_err mail_outbox_drain(store *st, const struct cfg_mail *mc, ab_time now,
                              size_t limit, struct mail_drain_stats *stats, ab_errmsg *em)
{
    return mail_outbox_drain_as(st, mc, NULL, now, limit, stats, em);
}

enum ab_err mail_outbox_send_one(store *st, const struct cfg_mail *mc, int64_t id,
                                 ab_time now, struct mail_drain_stats *stats,
                                 ab_errmsg *em)
{
    struct mail_drain_stats local;
    struct drain d;
    char *holder = NULL;
    enum ab_err e = drain_init(&d, st, mc, now, stats ? stats : &local, em);
    d.force = 1;
    if (!e)
        e = store_outbox_claim_id(st, id, d.node, now, lease_for(&d), &holder, em);
    if (!e && holder)
        e = ab_fail(em, AB_EEXIST, "outbox: message %lld is being sent by node %s",
                    (long long)id, holder);
    if (!e)
        e = drain_ids(&d, &id, 1, em);
    ab_free(holder);
    return drain_finish(&d, e, em);
}
