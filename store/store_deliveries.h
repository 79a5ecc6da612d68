/*
 * store_deliveries.h - channel deliveries (store/store_deliveries.c),
 * and whether mail is failing (for the channels' fallback).
 */
#ifndef AB_STORE_DELIVERIES_H
#define AB_STORE_DELIVERIES_H

#include <stddef.h>
#include <stdint.h>

#include "common/ab_err.h"
#include "common/ab_time.h"
#include "store/store.h"
#include "store/store_outbox.h"

/*
 * A notice for a channel (webhook, ntfy, slack, matrix, command) waits
 * here as the outbox's mail does: stored first, in the transaction that
 * decides it, then sent by the channels' drain, retried with backoff,
 * and marked sent once the endpoint accepted it.  (channel, txn) is
 * unique: queueing the same notice twice is AB_EEXIST, as a repeated
 * Message-ID is for mail, and txn is the idempotency key a receiver sees
 * (Matrix's transaction id), so a retry is never a second message. */
struct store_delivery {
    int64_t id;
    char *channel;        /* the channel's name */
    char *kind;           /* the notice: "alert-opened", "alert-resolved", ... */
    char *ref;            /* the alert id, may be NULL */
    char *txn;            /* stable per notice and channel */
    char *summary;        /* one line for listings, may be NULL */
    char *body;           /* what the channel's kind sends (JSON) */
    size_t len;
    enum store_outbox_status status;
    int attempts;
    ab_time created, next_attempt, sent_at;
    char *last_error;     /* may be NULL */
};
void store_delivery_free(struct store_delivery *d);
void store_deliveries_free(struct store_delivery **v, size_t n);
/* Queue one (status queued, due at now).  *id may be NULL. */
enum ab_err store_delivery_put(store *st, const char *channel, const char *kind,
                               const char *ref, const char *txn, const char *summary,
                               const char *body, size_t len, ab_time now, int64_t *id,
                               ab_errmsg *em) AB_MUST_CHECK;
/* Claim for node, until lease_until, at most limit (0: all) queued
 * deliveries due at now that no other node holds, oldest first, as
 * store_outbox_claim does for mail (store/store_rowclaim.c); recording an
 * attempt clears the claim.  Free *ids with ab_free. */
enum ab_err store_delivery_claim(store *st, const char *node, ab_time now,
                                 ab_time lease_until, size_t limit, int64_t **ids,
                                 size_t *n, ab_errmsg *em) AB_MUST_CHECK;
/* Ids of queued deliveries due at now, oldest first (free with ab_free). */
enum ab_err store_delivery_due(store *st, ab_time now, int64_t **ids, size_t *n,
                               ab_errmsg *em) AB_MUST_CHECK;
enum ab_err store_delivery_get(store *st, int64_t id, struct store_delivery **out,
                               ab_errmsg *em) AB_MUST_CHECK;
/* Record an attempt: status sent (sent_at = now), failed (given up), or
 * queued again with next_attempt; the claim is cleared.  error may be
 * NULL.  AB_ENOTFOUND if the delivery is no longer queued. */
enum ab_err store_delivery_record(store *st, int64_t id, enum store_outbox_status status,
                                  ab_time now, ab_time next_attempt, const char *error,
                                  ab_errmsg *em) AB_MUST_CHECK;
/* Queued and failed deliveries (all: sent too), oldest first; limit > 0:
 * the newest limit. */
enum ab_err store_delivery_list(store *st, int all, size_t limit,
                                struct store_delivery ***out, size_t *n,
                                ab_errmsg *em) AB_MUST_CHECK;
/* Retention: delete sent and failed deliveries created before `before`;
 * queued ones are never touched.  *deleted (may be NULL) gets how many. */
enum ab_err store_delivery_purge(store *st, ab_time before, int64_t *deleted,
                                 ab_errmsg *em) AB_MUST_CHECK;

/* Is mail failing (store/store_deliveries.c, for the channel fallback)?  The
 * creation time of the oldest queued outbox message that has been tried
 * at least once and is still queued, or AB_TIME_NONE when there is none
 * (mail flows); *last_error (may be NULL; caller frees) its last error. */
enum ab_err store_mail_failing_since(store *st, ab_time *since, char **last_error,
                                     ab_errmsg *em) AB_MUST_CHECK;

#endif
