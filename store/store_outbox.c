/*
 * store_outbox.c - the outbox tables: messages stored before they are sent, one
 * row per recipient, and the record of each attempt.
 *
 * The at-least-once promise rests on two transactions: store_outbox_put
 * writes the message and all its recipients together (a crash leaves
 * either the whole message or none of it), and store_outbox_record
 * writes the recipients' outcomes and the message's new state together
 * (a reader never sees a message 'sent' with a recipient still queued).
 * Recipients are marked only after the server answered, so a crash in
 * between repeats a delivery and never skips one.
 */
#include "store/store_int.h"

#include <string.h>

#include "common/ab_mem.h"
#include "store/store_outbox.h"

static const char *const status_names[] = {"queued", "sent", "failed"};

const char *store_outbox_status_name(enum store_outbox_status s)
{
    return (unsigned)s < 3 ? status_names[s] : "queued";
}

static enum store_outbox_status status_parse(const char *s)
{
    for (int i = 0; i < 3; i++)
        if (s && strcmp((const char *)s, status_names[i]) == 0)
            return (enum store_outbox_status)i;
    return STORE_OUTBOX_QUEUED;
}

static void bind_opt_text(store_db_stmt *s, int idx, const char *v)
{
    if (v)
        store_db_bind_text(s, idx, v);
    else
        store_db_bind_null(s, idx);
}

enum ab_err store_outbox_put(store *st, const void *msg, size_t len,
                             const char *message_id, const char *sender,
                             const char *const *rcpts, size_t nrcpts,
                             const char *kind, const char *ref,
                             const char *subject, ab_time now, int64_t *id,
                             ab_errmsg *em)
{
    store_db_stmt *ins = NULL, *rc = NULL;
    if (nrcpts == 0)
        return ab_fail(em, AB_EINVAL, "outbox: message %s has no recipients", message_id);
    enum ab_err e = store_begin(st, em);
    if (e)
        return e;
    if ((e = store_prepare(st,
                           "INSERT INTO outbox(created, message_id, sender, kind, "
                           "ref, subject, body, next_attempt) "
                           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?1) "
                           "ON CONFLICT DO NOTHING RETURNING id",
                           &ins, em)))
        goto out;
    store_bind_time(ins, 1, now);
    store_db_bind_text(ins, 2, message_id);
    store_db_bind_text(ins, 3, sender);
    store_db_bind_text(ins, 4, kind ? kind : "");
    bind_opt_text(ins, 5, ref);
    bind_opt_text(ins, 6, subject);
    store_db_bind_blob(ins, 7, msg, len);
    int r = store_step(st, ins);
    if (r != SDB_ROW) {
        /* Nothing inserted: that Message-ID is queued already. */
        if (r == SDB_DONE)
            e = ab_fail(em, AB_EEXIST, "outbox: message %s is already queued", message_id);
        else
            e = store_dberr(st, em, "outbox put");
        goto out;
    }
    int64_t oid = store_db_column_int64(ins, 0);
    if ((e = store_prepare(st,
                           "INSERT INTO outbox_rcpts(outbox_id, rcpt) "
                           "VALUES (?, ?) ON CONFLICT DO NOTHING",
                           &rc, em)))
        goto out;
    for (size_t i = 0; i < nrcpts; i++) {
        store_db_reset(rc);
        store_db_bind_int64(rc, 1, oid);
        store_db_bind_text(rc, 2, rcpts[i]);
        if (store_step(st, rc) != SDB_DONE) {
            e = store_dberr(st, em, "outbox put recipient");
            goto out;
        }
    }
    store_db_finalize(ins);
    store_db_finalize(rc);
    ins = rc = NULL;
    if ((e = store_commit(st, em)))
        return e;
    if (id)
        *id = oid;
    return AB_OK;
out:
    store_db_finalize(ins);
    store_db_finalize(rc);
    store_rollback(st);
    return e;
}

enum ab_err store_outbox_due(store *st, ab_time now, size_t limit,
                             int64_t **ids, size_t *n, ab_errmsg *em)
{
    /* Asked after each ping and action the web commits: kept prepared. */
    static const char sql[] = "SELECT id FROM outbox WHERE status = 'queued' "
                              "AND next_attempt <= ? ORDER BY next_attempt, id LIMIT ?";
    store_db_stmt *s;
    *ids = NULL;
    *n = 0;
    enum ab_err e = store_prepare_cached(st, sql, &s, em);
    if (e)
        return e;
    store_bind_time(s, 1, now);
    store_db_bind_int64(s, 2, limit ? (int64_t)limit : INT64_MAX);
    size_t cap = 0;
    int r;
    while ((r = store_step(st, s)) == SDB_ROW) {
        if (*n == cap) {
            size_t nc = cap ? cap * 2 : 32;
            int64_t *v = ab_realloc(*ids, nc * sizeof *v);
            if (!v) {
                e = ab_fail(em, AB_ENOMEM, "out of memory");
                goto out;
            }
            *ids = v;
            cap = nc;
        }
        (*ids)[(*n)++] = store_db_column_int64(s, 0);
    }
    if (r != SDB_DONE)
        e = store_dberr(st, em, "outbox due");
out:
    store_release(st, s);
    if (e) {
        ab_free(*ids);
        *ids = NULL;
        *n = 0;
    }
    return e;
}

void store_outbox_msg_free(struct store_outbox_msg *m)
{
    if (!m)
        return;
    ab_free(m->message_id);
    ab_free(m->sender);
    ab_free(m->kind);
    ab_free(m->ref);
    ab_free(m->subject);
    ab_free(m->body);
    for (size_t i = 0; i < m->nrcpts; i++)
        ab_free(m->rcpts[i]);
    ab_free(m->rcpts);
    ab_free(m);
}

/* Append a copy of text to a growing string array. */
static int push_str(char ***v, size_t *n, size_t *cap, const char *text)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 4;
        char **nv = ab_realloc(*v, nc * sizeof *nv);
        if (!nv)
            return -1;
        *v = nv;
        *cap = nc;
    }
    char *c = ab_strdup(text ? (const char *)text : "");
    if (!c)
        return -1;
    (*v)[(*n)++] = c;
    return 0;
}

/* ---- get and record, with statements kept prepared ----------------- */

enum {
    Q_GET_MSG,
    Q_GET_RCPTS,
    Q_REC_RCPT,
    Q_REC_GIVE_UP,
    Q_REC_SETTLE,
    Q_COUNT
};

static const char *const batch_sql[Q_COUNT] = {
    [Q_GET_MSG] = "SELECT status, created, attempts, message_id, sender, kind, ref, "
                  "subject, body FROM outbox WHERE id = ?",
    [Q_GET_RCPTS] = "SELECT rcpt, status FROM outbox_rcpts WHERE outbox_id = ? "
                    "ORDER BY rowid",
    [Q_REC_RCPT] = "UPDATE outbox_rcpts SET status = ?, "
                   "last_error = COALESCE(?, last_error) "
                   "WHERE outbox_id = ? AND rcpt = ? AND status = 'queued'",
    [Q_REC_GIVE_UP] = "UPDATE outbox_rcpts SET status = 'failed', "
                      "last_error = COALESCE(?, last_error) "
                      "WHERE outbox_id = ? AND status = 'queued'",
    /* Settle the message from its recipients' states in one statement.
     * Only a queued message changes: another process may have settled
     * it meanwhile, and then the transaction is rolled back.  The row
     * lease (store_rowclaim.c) ends with the attempt. */
    [Q_REC_SETTLE] =
        "UPDATE outbox SET attempts = attempts + 1, "
        "  status = CASE WHEN c.q > 0 THEN 'queued' "
        "    WHEN c.f > 0 THEN 'failed' ELSE 'sent' END, "
        "  last_error = COALESCE(?2, last_error), "
        "  next_attempt = CASE WHEN c.q > 0 "
        "    THEN COALESCE(?3, next_attempt) ELSE next_attempt END, "
        "  sent_at = CASE WHEN c.q = 0 AND c.f = 0 THEN ?4 END, "
        "  claimed_by = NULL, lease_until = NULL "
        "FROM (SELECT "
        "  COALESCE(SUM(CASE WHEN status = 'queued' THEN 1 ELSE 0 END), 0) AS q, "
        "  COALESCE(SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END), 0) AS f "
        "  FROM outbox_rcpts WHERE outbox_id = ?1) AS c "
        "WHERE outbox.id = ?1 AND outbox.status = 'queued' "
        "RETURNING outbox.status",
};

struct store_outbox_batch {
    store *st;
    store_db_stmt *q[Q_COUNT]; /* prepared on first use */
};

enum ab_err store_outbox_batch_new(store *st, store_outbox_batch **out, ab_errmsg *em)
{
    *out = ab_calloc(1, sizeof **out);
    if (!*out)
        return ab_fail(em, AB_ENOMEM, "out of memory");
    (*out)->st = st;
    return AB_OK;
}

void store_outbox_batch_free(store_outbox_batch *b)
{
    if (!b)
        return;
    for (int i = 0; i < Q_COUNT; i++)
        store_db_finalize(b->q[i]);
    ab_free(b);
}

/* The statement for i, prepared once, reset and unbound.  Preparing is
 * most of the CPU a drain spends per message, so it is done once per
 * batch.  Callers reset it after use (done()) so that no statement holds
 * a read transaction open between messages. */
static enum ab_err stmt(store_outbox_batch *b, int i, store_db_stmt **out, ab_errmsg *em)
{
    if (!b->q[i]) {
        enum ab_err e = store_prepare(b->st, batch_sql[i], &b->q[i], em);
        if (e)
            return e;
    }
    store_db_reset(b->q[i]);
    store_db_clear_bindings(b->q[i]);
    *out = b->q[i];
    return AB_OK;
}

static void done(store_db_stmt *s)
{
    if (s)
        store_db_reset(s);
}

enum ab_err store_outbox_batch_get(store_outbox_batch *b, int64_t id,
                                   struct store_outbox_msg **out, ab_errmsg *em)
{
    store_db_stmt *s = NULL;
    store *st = b->st;
    *out = NULL;
    struct store_outbox_msg *m = ab_calloc(1, sizeof *m);
    if (!m)
        return ab_fail(em, AB_ENOMEM, "out of memory");
    enum ab_err e = stmt(b, Q_GET_MSG, &s, em);
    if (e)
        goto out;
    store_db_bind_int64(s, 1, id);
    int r = store_step(st, s);
    if (r == SDB_DONE) {
        e = ab_fail(em, AB_ENOTFOUND, "outbox: no message %lld", (long long)id);
        goto out;
    }
    if (r != SDB_ROW) {
        e = store_dberr(st, em, "outbox get");
        goto out;
    }
    m->id = id;
    m->status = status_parse(store_db_column_text(s, 0));
    m->created = store_column_time(s, 1);
    m->attempts = store_db_column_int(s, 2);
    m->message_id = store_column_dup(s, 3);
    m->sender = store_column_dup(s, 4);
    m->kind = store_column_dup(s, 5);
    m->ref = store_column_dup(s, 6);
    m->subject = store_column_dup(s, 7);
    const void *body = store_db_column_blob(s, 8);
    m->len = (size_t)store_db_column_bytes(s, 8);
    m->body = ab_malloc(m->len + 1);
    if (!m->message_id || !m->sender || !m->body) {
        e = ab_fail(em, AB_ENOMEM, "out of memory");
        goto out;
    }
    if (m->len)
        memcpy(m->body, body, m->len);
    m->body[m->len] = 0;
    done(s);

    if ((e = stmt(b, Q_GET_RCPTS, &s, em)))
        goto out;
    store_db_bind_int64(s, 1, id);
    size_t cap = 0;
    while ((r = store_step(st, s)) == SDB_ROW) {
        m->nrcpts_total++;
        if (status_parse(store_db_column_text(s, 1)) != STORE_OUTBOX_QUEUED)
            continue;
        if (push_str(&m->rcpts, &m->nrcpts, &cap, store_db_column_text(s, 0)) < 0) {
            e = ab_fail(em, AB_ENOMEM, "out of memory");
            goto out;
        }
    }
    if (r != SDB_DONE) {
        e = store_dberr(st, em, "outbox get recipients");
        goto out;
    }
    *out = m;
    m = NULL;
out:
    done(s);
    store_outbox_msg_free(m);
    return e;
}

enum ab_err store_outbox_batch_record(store_outbox_batch *b, int64_t id,
                                      const struct store_outbox_attempt *a,
                                      enum store_outbox_status *status, ab_errmsg *em)
{
    store_db_stmt *s = NULL;
    store *st = b->st;
    enum ab_err e = store_begin(st, em);
    if (e)
        return e;
    if (a->nrcpts > 0) {
        if ((e = stmt(b, Q_REC_RCPT, &s, em)))
            goto out;
        for (size_t i = 0; i < a->nrcpts; i++) {
            store_db_reset(s);
            store_db_bind_text(s, 1, store_outbox_status_name(a->rcpts[i].status));
            bind_opt_text(s, 2, a->rcpts[i].error);
            store_db_bind_int64(s, 3, id);
            store_db_bind_text(s, 4, a->rcpts[i].rcpt);
            if (store_step(st, s) != SDB_DONE) {
                e = store_dberr(st, em, "outbox record recipient");
                goto out;
            }
        }
        done(s);
    }
    if (a->give_up) {
        if ((e = stmt(b, Q_REC_GIVE_UP, &s, em)))
            goto out;
        bind_opt_text(s, 1, a->error);
        store_db_bind_int64(s, 2, id);
        if (store_step(st, s) != SDB_DONE) {
            e = store_dberr(st, em, "outbox give up");
            goto out;
        }
        done(s);
    }
    if ((e = stmt(b, Q_REC_SETTLE, &s, em)))
        goto out;
    store_db_bind_int64(s, 1, id);
    bind_opt_text(s, 2, a->error);
    store_bind_time(s, 3, a->next_attempt);
    store_bind_time(s, 4, a->now);
    int r = store_step(st, s);
    if (r == SDB_DONE) {
        e = ab_fail(em, AB_ENOTFOUND, "outbox: message %lld is not queued", (long long)id);
        goto out;
    }
    if (r != SDB_ROW) {
        e = store_dberr(st, em, "outbox record message");
        goto out;
    }
    enum store_outbox_status now_status = status_parse(store_db_column_text(s, 0));
    done(s);
    s = NULL;
    if ((e = store_commit(st, em)))
        return e;
    if (status)
        *status = now_status;
    return AB_OK;
out:
    done(s);
    store_rollback(st);
    return e;
}

enum ab_err store_outbox_get(store *st, int64_t id, struct store_outbox_msg **out,
                             ab_errmsg *em)
{
    store_outbox_batch *b;
    *out = NULL;
    enum ab_err e = store_outbox_batch_new(st, &b, em);
    if (!e)
        e = store_outbox_batch_get(b, id, out, em);
    store_outbox_batch_free(b);
    return e;
}

enum ab_err store_outbox_record(store *st, int64_t id,
                                const struct store_outbox_attempt *a,
                                enum store_outbox_status *status, ab_errmsg *em)
{
    store_outbox_batch *b;
    enum ab_err e = store_outbox_batch_new(st, &b, em);
    if (!e)
        e = store_outbox_batch_record(b, id, a, status, em);
    store_outbox_batch_free(b);
    return e;
}

void store_outbox_list_free(struct store_outbox_entry *v, size_t n)
{
    if (!v)
        return;
    for (size_t i = 0; i < n; i++) {
        struct store_outbox_entry *x = &v[i];
        ab_free(x->message_id);
        ab_free(x->sender);
        ab_free(x->kind);
        ab_free(x->ref);
        ab_free(x->subject);
        ab_free(x->last_error);
        for (size_t j = 0; j < x->nrcpts; j++) {
            ab_free(x->rcpts[j].rcpt);
            ab_free(x->rcpts[j].last_error);
        }
        ab_free(x->rcpts);
    }
    ab_free(v);
}

static enum ab_err load_rcpts(store *st, store_db_stmt *s, struct store_outbox_entry *x,
                              ab_errmsg *em)
{
    store_db_reset(s);
    store_db_bind_int64(s, 1, x->id);
    size_t cap = 0;
    int r;
    while ((r = store_step(st, s)) == SDB_ROW) {
        if (x->nrcpts == cap) {
            size_t nc = cap ? cap * 2 : 4;
            struct store_outbox_rcpt *v = ab_realloc(x->rcpts, nc * sizeof *v);
            if (!v)
                return ab_fail(em, AB_ENOMEM, "out of memory");
            x->rcpts = v;
            cap = nc;
        }
        struct store_outbox_rcpt *rc = &x->rcpts[x->nrcpts++];
        rc->rcpt = store_column_dup(s, 0);
        rc->status = status_parse(store_db_column_text(s, 1));
        rc->last_error = store_column_dup(s, 2);
        if (!rc->rcpt)
            return ab_fail(em, AB_ENOMEM, "out of memory");
    }
    if (r != SDB_DONE)
        return store_dberr(st, em, "outbox list recipients");
    return AB_OK;
}

enum ab_err store_outbox_list(store *st, int all, size_t limit,
                              struct store_outbox_entry **out, size_t *n,
                              ab_errmsg *em)
{
    store_db_stmt *s = NULL, *rs = NULL;
    struct store_outbox_entry *v = NULL;
    size_t cnt = 0, cap = 0;
    *out = NULL;
    *n = 0;
    /* Newest first to apply the limit; reversed below. */
    enum ab_err e = store_prepare(
        st,
        "SELECT id, status, message_id, sender, kind, ref, subject, attempts, "
        "created, next_attempt, sent_at, last_error FROM outbox "
        "WHERE ?1 = 1 OR status != 'sent' ORDER BY id DESC LIMIT ?2",
        &s, em);
    if (e)
        return e;
    store_db_bind_int(s, 1, all ? 1 : 0);
    store_db_bind_int64(s, 2, limit ? (int64_t)limit : INT64_MAX);
    if ((e = store_prepare(st,
                           "SELECT rcpt, status, last_error FROM outbox_rcpts "
                           "WHERE outbox_id = ? ORDER BY rowid",
                           &rs, em)))
        goto out;
    int r;
    while ((r = store_step(st, s)) == SDB_ROW) {
        if (cnt == cap) {
            size_t nc = cap ? cap * 2 : 16;
            struct store_outbox_entry *nv = ab_realloc(v, nc * sizeof *nv);
            if (!nv) {
                e = ab_fail(em, AB_ENOMEM, "out of memory");
                goto out;
            }
            v = nv;
            cap = nc;
        }
        struct store_outbox_entry *x = &v[cnt++];
        memset(x, 0, sizeof *x);
        x->id = store_db_column_int64(s, 0);
        x->status = status_parse(store_db_column_text(s, 1));
        x->message_id = store_column_dup(s, 2);
        x->sender = store_column_dup(s, 3);
        x->kind = store_column_dup(s, 4);
        x->ref = store_column_dup(s, 5);
        x->subject = store_column_dup(s, 6);
        x->attempts = store_db_column_int(s, 7);
        x->created = store_column_time(s, 8);
        x->next_attempt = store_column_time(s, 9);
        x->sent_at = store_column_time(s, 10);
        x->last_error = store_column_dup(s, 11);
        if (!x->message_id || !x->sender) {
            e = ab_fail(em, AB_ENOMEM, "out of memory");
            goto out;
        }
        if ((e = load_rcpts(st, rs, x, em)))
            goto out;
    }
    if (r != SDB_DONE) {
        e = store_dberr(st, em, "outbox list");
        goto out;
    }
    for (size_t i = 0; i < cnt / 2; i++) {
        struct store_outbox_entry t = v[i];
        v[i] = v[cnt - 1 - i];
        v[cnt - 1 - i] = t;
    }
    *out = v;
    *n = cnt;
    v = NULL;
    cnt = 0;
out:
    store_db_finalize(s);
    store_db_finalize(rs);
    store_outbox_list_free(v, cnt);
    return e;
}

enum ab_err store_outbox_counts(store *st, struct store_outbox_counts *out,
                                ab_errmsg *em)
{
    store_db_stmt *s;
    memset(out, 0, sizeof *out);
    out->oldest_queued = AB_TIME_NONE;
    enum ab_err e = store_prepare(
        st,
        "SELECT COALESCE(SUM(CASE WHEN status = 'queued' THEN 1 ELSE 0 END), 0), "
        "COALESCE(SUM(CASE WHEN status = 'sent' THEN 1 ELSE 0 END), 0), "
        "COALESCE(SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END), 0), "
        "MIN(CASE WHEN status = 'queued' THEN created END) FROM outbox",
        &s, em);
    if (e)
        return e;
    if (store_step(st, s) == SDB_ROW) {
        out->queued = store_db_column_int64(s, 0);
        out->sent = store_db_column_int64(s, 1);
        out->failed = store_db_column_int64(s, 2);
        out->oldest_queued = store_column_time(s, 3);
    } else {
        e = store_dberr(st, em, "outbox counts");
    }
    store_db_finalize(s);
    return e;
}

enum ab_err store_outbox_purge(store *st, ab_time before, int64_t *deleted, ab_errmsg *em)
{
    store_db_stmt *s;
    /* The sent and failed totals of /metrics must not drop with the
     * messages: fold them in, in the same transaction as the delete. */
    enum ab_err e = store_begin(st, em);
    if (e)
        return e;
    if ((e = store_metric_fold_mail(st, before, em)))
        goto fail;
    /* outbox_rcpts rows go with their message (ON DELETE CASCADE). */
    e = store_prepare(st,
                      "DELETE FROM outbox WHERE status != 'queued' "
                      "AND created < ?",
                      &s, em);
    if (e)
        goto fail;
    store_bind_time(s, 1, before);
    if (store_step(st, s) != SDB_DONE)
        e = store_dberr(st, em, "outbox purge");
    else if (deleted)
        *deleted = store_db_changes(st);
    store_db_finalize(s);
    if (e)
        goto fail;
    return store_commit(st, em);
fail:
    store_rollback(st);
    return e;
}
