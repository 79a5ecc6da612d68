/*
 * chan.h - channels: notices delivered beyond email.
 *
 * A channel is a named endpoint in <recipients> (config/cfg.h struct
 * cfg_channel): a webhook (a JSON POST, signed with HMAC-SHA256 when a
 * secret is set, or a Mustache body), ntfy, a Slack-compatible incoming
 * webhook (Mattermost and Rocket.Chat take the same JSON), a Matrix room,
 * or a local command.  Each kind is one file behind a const vtable
 * (chan_int.h), as mail transports are.
 *
 * Two steps, as mail has.  chan_queue() builds the body a channel sends
 * and stores it (store/store_deliveries.c) inside the caller's transaction, so
 * it commits with the decision to notify.  chan_drain() sends what is
 * due, over libcurl or to the command, marks it sent once the endpoint
 * accepted it, and retries the rest with the mail outbox's backoff until
 * the mail's max age: at-least-once, with a stable transaction id per
 * delivery that receivers can use to drop a repeat.
 */
#ifndef AB_CHAN_H
#define AB_CHAN_H

#include <stddef.h>
#include <stdint.h>

#include "common/ab_buf.h"
#include "common/ab_err.h"
#include "common/ab_time.h"
#include "config/cfg.h"

/* The state database's handle (store/store.h), only passed along here. */
#ifndef AB_STORE_TYPEDEF
#define AB_STORE_TYPEDEF
typedef struct store store;
#endif

/* What one notice says.  Every pointer is borrowed for the call; any
 * string may be NULL (left out), times may be AB_TIME_NONE. */
struct chan_notice {
    const char *site;        /* <ackbeat name=> */
    const char *check, *item;
    const char *status;      /* "Failing"; "Healthy" for a resolved notice */
    const char *notice;      /* "alert-opened", "alert-repeated", "alert-resolved", ... */
    const char *message;     /* the result's message */
    int priority;            /* 1 highest */
    int level;               /* escalation level, 0 = the first recipients */
    int64_t alert_id;
    const char *alert_url;   /* a link to the alert on the web pages */
    const char *zone;        /* the site's zone, for the *_local times */
    ab_time at;              /* when the notice was decided */
    ab_time opened, resolved;
    const char *const *told_before; /* who was told at lower levels */
    size_t ntold_before;
};

/* The notice as JSON (compact, keys sorted: stable bytes to sign):
 * site, check, item, status, priority, notice, message, level, alert_id,
 * alert_url, told_before, time/opened/resolved as *_utc (ISO 8601) and
 * *_local (for people, in zone).  out is reset. */
enum ab_err chan_notice_json(const struct chan_notice *n, ab_buf *out,
                             ab_errmsg *em) AB_MUST_CHECK;

/* One line for people: "[site] check/item is Failing (priority 2): msg". */
void chan_headline(const struct chan_notice *n, char *buf, size_t len);

/* The body ch sends for n, into out (reset).  AB_ETEMPLATE when a
 * webhook's template fails; AB_ECONFIG for an unknown kind. */
enum ab_err chan_build(const struct cfg_channel *ch, const struct chan_notice *n,
                       ab_buf *out, ab_errmsg *em) AB_MUST_CHECK;

/* Build and store one delivery to ch, due at now, inside the caller's
 * transaction.  txn must be the same for the same notice (it is the
 * idempotency key); AB_EEXIST if it is already queued. */
enum ab_err chan_queue(store *st, const struct cfg_channel *ch, const struct chan_notice *n,
                       const char *txn, ab_time now, ab_errmsg *em) AB_MUST_CHECK;

/* "sha256=" is not included: out (at least 65 bytes) gets the lower-case
 * hex HMAC-SHA256 of body under key. */
enum ab_err chan_sign(const char *key, const void *body, size_t len, char *out,
                      ab_errmsg *em) AB_MUST_CHECK;

struct chan_drain_stats {
    size_t attempted, sent, failed, deferred;
    ab_errmsg last_error; /* text[0] == 0 if none */
};

/*
 * Send every due delivery (queued, next attempt <= now), oldest first.
 * Accepted: sent.  A 2xx is accepted; 408, 429, 5xx, a connection
 * failure, a timeout or a command's non-zero exit is retried with
 * mail_backoff(retry), until max_age after it was queued (<= 0: the
 * mail default); any other 4xx, a channel gone from the config or a
 * secret that cannot be read fails it for good.  Returns an error only
 * when the store fails.  stats may be NULL.
 */
enum ab_err chan_drain(store *st, const cfg *c, ab_time now, int64_t retry, int64_t max_age,
                       struct chan_drain_stats *stats, ab_errmsg *em) AB_MUST_CHECK;
/* The same as node (the engine's name, issue 16): the deliveries are
 * claimed a few at a time with a row lease (store_delivery_claim), so
 * drains of several nodes on one state never both send one.  chan_drain
 * and node NULL claim as HOSTNAME:PID. */
enum ab_err chan_drain_as(store *st, const cfg *c, const char *node, ab_time now,
                          int64_t retry, int64_t max_age, struct chan_drain_stats *stats,
                          ab_errmsg *em) AB_MUST_CHECK;

#endif
