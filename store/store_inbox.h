/*
 * store_inbox.h - the inbox's progress and the messages it handled
 * (store/store_inbox.c): where reading each mailbox stands, whether a
 * message was seen, and recording what one meant.
 */
#ifndef AB_STORE_INBOX_H
#define AB_STORE_INBOX_H

#include <stdint.h>

#include "common/ab_err.h"
#include "common/ab_time.h"
#include "store/store.h"

/* Where reading a mailbox stands (inbox_state).  uidvalidity -1: never read. */
struct store_inbox_state {
    int64_t uidvalidity;
    int64_t last_uid;
    ab_time last_ok;      /* last poll that read the mailbox; AB_TIME_NONE */
    ab_time last_attempt;
    char *last_error;     /* NULL when the last attempt succeeded; ab_free */
};
/* AB_ENOTFOUND when the mailbox was never polled (st->uidvalidity = -1). */
enum ab_err store_inbox_state_get(store *st, const char *mailbox,
                                  struct store_inbox_state *out,
                                  ab_errmsg *em) AB_MUST_CHECK;
/* Advance the progress; call inside the transaction that records the
 * messages up to last_uid, so both commit or neither does. */
enum ab_err store_inbox_progress(store *st, const char *mailbox, int64_t uidvalidity,
                                 int64_t last_uid, ab_errmsg *em) AB_MUST_CHECK;
/* The outcome of a poll: err NULL = success (sets last_ok and clears
 * last_error), else the error text (last_ok is kept). */
enum ab_err store_inbox_attempt(store *st, const char *mailbox, ab_time now,
                                const char *err, ab_errmsg *em) AB_MUST_CHECK;

/* Was this message recorded already: same (mailbox, uidvalidity, uid), or
 * the same Message-ID in any mailbox (a rescan after a UIDVALIDITY change,
 * a copy in another folder)?  message_id may be NULL. */
enum ab_err store_inbox_seen(store *st, const char *mailbox, int64_t uidvalidity,
                             int64_t uid, const char *message_id, int *seen,
                             ab_errmsg *em) AB_MUST_CHECK;

/* One handled message and what it means.  All borrowed. */
struct store_inbox_rec {
    const char *mailbox;
    int64_t uidvalidity, uid;
    const char *message_id; /* required: a synthetic one when the mail had none */
    ab_time received;
    const char *klass;      /* "ack", "autoreply", "bounce", "forged", "ping",
                               "unrelated", "skipped" */
    const char *token;      /* NULL when none */
    int issued;             /* token was issued (only then are tokens rows touched) */
    const char *from_addr;
    const char *detail;     /* free text for inbox_messages.detail */
    /* ack: of a heartbeat's cycle, or a reply to an alert's notice */
    int64_t cycle_id;
    int64_t alert_id;       /* non-zero: a reply to an alert (no acks row) */
    const char *for_addr;   /* the token's recipient */
    int verified;
    const char *excerpt;
    int has_cmd;            /* the reply carries a command (dismiss, ...) */
    /* bounce: only a bounce of an issued token flags anyone, and then
     * the token's recipient (for_addr), whatever address failed */
    const char *bounce_line; /* who failed and why, for people */
    int delay;              /* a delay warning: recorded, no address flagged */
    /* ping */
    const char *ping_check;
};
/*
 * Record rec: an inbox_messages row, plus per class an acks row (unique
 * on message_id) or, for a reply to an alert, an alert_events 'reply'
 * row, tokens.bounced_at/bounce_detail and recipients.bounced_at,
 * tokens.autoreply_at/autoreply_detail, or a pings row (via 'email').
 * Idempotent: *dup = 1 and nothing changes when store_inbox_seen() would
 * say so.  Call inside a transaction (store_begin).
 */
enum ab_err store_inbox_record(store *st, const struct store_inbox_rec *rec,
                               int *dup, ab_errmsg *em) AB_MUST_CHECK;

#endif
