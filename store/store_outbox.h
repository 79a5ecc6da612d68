/*
 * store_outbox.h - the outbox (store/store_outbox.c): every outgoing
 * message, stored before it is sent, with one row per recipient.
 */
#ifndef AB_STORE_OUTBOX_H
#define AB_STORE_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include "common/ab_err.h"
#include "common/ab_time.h"
#include "store/store.h"

/*
 * Every outgoing message is stored here before it is sent, with one row
 * per recipient.  A message is 'queued' while any recipient is; then
 * 'sent' when all were accepted, or 'failed' when any was refused for
 * good or the message grew too old.  The mailer (mailer/mail_outbox.c)
 * decides; these functions only record.
 */
enum store_outbox_status {
    STORE_OUTBOX_QUEUED = 0,
    STORE_OUTBOX_SENT = 1,
    STORE_OUTBOX_FAILED = 2,
};
const char *store_outbox_status_name(enum store_outbox_status s); /* "queued"... */

/*
 * Store a message (the bytes as they will be sent) and its recipients in
 * one transaction, queued and due at now.  Duplicate recipients are
 * stored once.  kind, ref and subject are for listings and may be NULL.
 * AB_EEXIST if message_id is already in the outbox.  *id may be NULL.
 */
enum ab_err store_outbox_put(store *st, const void *msg, size_t len,
                             const char *message_id, const char *sender,
                             const char *const *rcpts, size_t nrcpts,
                             const char *kind, const char *ref,
                             const char *subject, ab_time now, int64_t *id,
                             ab_errmsg *em) AB_MUST_CHECK;

/* Ids of queued messages with next_attempt <= now, oldest first, at most
 * limit (0: all).  Caller frees *ids with ab_free (NULL when *n == 0). */
enum ab_err store_outbox_due(store *st, ab_time now, size_t limit,
                             int64_t **ids, size_t *n,
                             ab_errmsg *em) AB_MUST_CHECK;

/*
 * Row leases for several nodes on one state (store/store_rowclaim.c):
 * claim for node, until lease_until, at most limit (0: all) queued
 * messages due at now that no other node holds (unclaimed, or held by a
 * node whose lease ran out before now), oldest first, in one statement.
 * Recording an attempt (store_outbox_record) clears the claim.  Caller
 * frees *ids with ab_free (NULL when *n == 0).
 */
enum ab_err store_outbox_claim(store *st, const char *node, ab_time now,
                               ab_time lease_until, size_t limit, int64_t **ids,
                               size_t *n, ab_errmsg *em) AB_MUST_CHECK;
/* Give up at once the row leases (outbox and deliveries) of every node
 * gone(node, ud) says is dead (ab_node_gone: a process of this host that
 * runs no more), so that a restarted daemon need not wait for them.
 * *released (may be NULL) gets how many rows. */
enum ab_err store_rowclaims_release(store *st, ab_time now,
                                    int (*gone)(const char *node, void *ud), void *ud,
                                    int64_t *released, ab_errmsg *em) AB_MUST_CHECK;
/* Claim message id alone.  *holder (caller frees) is NULL when node has
 * it now or it is not queued; else the node holding it. */
enum ab_err store_outbox_claim_id(store *st, int64_t id, const char *node, ab_time now,
                                  ab_time lease_until, char **holder,
                                  ab_errmsg *em) AB_MUST_CHECK;

/* One message as the sender needs it. */
struct store_outbox_msg {
    int64_t id;
    enum store_outbox_status status;
    ab_time created;
    int attempts;
    char *message_id;
    char *sender;
    char *kind;     /* may be NULL */
    char *ref;      /* may be NULL */
    char *subject;  /* may be NULL */
    char *body;     /* len bytes, NUL-terminated as well */
    size_t len;
    char **rcpts;   /* the recipients still queued */
    size_t nrcpts;
    size_t nrcpts_total; /* all recipients, whatever their state */
};
/* Load message id; AB_ENOTFOUND if there is none.  Free with
 * store_outbox_msg_free. */
enum ab_err store_outbox_get(store *st, int64_t id, struct store_outbox_msg **out,
                             ab_errmsg *em) AB_MUST_CHECK;
void store_outbox_msg_free(struct store_outbox_msg *m);

/* The outcome of one attempt at one message. */
struct store_outbox_rcpt_update {
    const char *rcpt;
    enum store_outbox_status status; /* sent, failed, or queued (a retry) */
    const char *error;               /* the reply or local error, may be NULL */
};
struct store_outbox_attempt {
    const struct store_outbox_rcpt_update *rcpts;
    size_t nrcpts;
    ab_time now;
    ab_time next_attempt; /* used when recipients remain queued */
    int give_up;          /* fail every recipient still queued */
    const char *error;    /* the message's last error, may be NULL */
};
/*
 * Record an attempt in one transaction: update the recipients, count the
 * attempt, and settle the message: 'sent' (sent_at = now) when no
 * recipient is queued or failed, 'failed' when none is queued but one
 * failed, else queued until next_attempt.  Only a queued message is
 * changed (AB_ENOTFOUND otherwise), and its claim is cleared.  *status
 * (may be NULL) gets the message's state afterwards.
 */
enum ab_err store_outbox_record(store *st, int64_t id,
                                const struct store_outbox_attempt *a,
                                enum store_outbox_status *status,
                                ab_errmsg *em) AB_MUST_CHECK;

/*
 * The same two for many messages in a row (a drain): the batch keeps its
 * statements prepared, which is most of what get and record cost.  It
 * borrows st; free it before store_close().  A batch is as
 * single-threaded as its store.
 */
typedef struct store_outbox_batch store_outbox_batch;
enum ab_err store_outbox_batch_new(store *st, store_outbox_batch **out,
                                   ab_errmsg *em) AB_MUST_CHECK;
void store_outbox_batch_free(store_outbox_batch *b);
enum ab_err store_outbox_batch_get(store_outbox_batch *b, int64_t id,
                                   struct store_outbox_msg **out,
                                   ab_errmsg *em) AB_MUST_CHECK;
enum ab_err store_outbox_batch_record(store_outbox_batch *b, int64_t id,
                                      const struct store_outbox_attempt *a,
                                      enum store_outbox_status *status,
                                      ab_errmsg *em) AB_MUST_CHECK;

/* Listings for `ackbeat outbox`. */
struct store_outbox_rcpt {
    char *rcpt;
    enum store_outbox_status status;
    char *last_error; /* may be NULL */
};
struct store_outbox_entry {
    int64_t id;
    enum store_outbox_status status;
    char *message_id;
    char *sender;
    char *kind, *ref, *subject; /* may be NULL */
    int attempts;
    ab_time created;
    ab_time next_attempt;
    ab_time sent_at;  /* AB_TIME_NONE unless sent */
    char *last_error; /* may be NULL */
    struct store_outbox_rcpt *rcpts;
    size_t nrcpts;
};
/*
 * Queued and failed messages (all != 0: sent ones too), oldest first; with
 * limit > 0 only the newest limit of them.  Free with
 * store_outbox_list_free(*out, *n).
 */
enum ab_err store_outbox_list(store *st, int all, size_t limit,
                              struct store_outbox_entry **out, size_t *n,
                              ab_errmsg *em) AB_MUST_CHECK;
void store_outbox_list_free(struct store_outbox_entry *v, size_t n);

/* Counts for status pages and metrics. */
struct store_outbox_counts {
    int64_t queued, sent, failed;
    ab_time oldest_queued; /* creation of the oldest queued; AB_TIME_NONE if none */
};
enum ab_err store_outbox_counts(store *st, struct store_outbox_counts *out,
                                ab_errmsg *em) AB_MUST_CHECK;

/* Retention: delete sent and failed messages created before `before`,
 * with their recipients; queued ones are never touched.  *deleted (may
 * be NULL) gets how many messages went. */
enum ab_err store_outbox_purge(store *st, ab_time before, int64_t *deleted,
                               ab_errmsg *em) AB_MUST_CHECK;

#endif
